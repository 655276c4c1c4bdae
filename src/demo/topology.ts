/**
 * The demo's lab, derived from the manifests: the router every configured peer stands for (it listens
 * on the peer address and port, with the peer's AS) and, per router, the nodes it must accept as
 * neighbours (each node the peer selects, at its own address of the peer's family, with the node's AS).
 * Pure.
 */
import type { Config } from '../config/types.js';
import type { Node } from '../model/kubernetes.js';
import { anySelectorMatches } from '../model/kubernetes.js';
import { parseIp } from '../model/ip.js';
import { nodeAddressOf } from '../speaker/runtime.js';

/** A node the lab router accepts. */
export interface LabNeighbor {
  readonly node: string;
  /** The address the node's speaker connects from. */
  readonly address: string;
  /** The node's AS (the peer's myASN). */
  readonly asn: number;
}

/** One router of the lab. */
export interface LabRouterSpec {
  /** The peer names (from the configuration) this router stands for. */
  readonly peers: readonly string[];
  readonly address: string;
  readonly port: number;
  readonly asn: number;
  readonly neighbors: readonly LabNeighbor[];
}

export interface LabTopology {
  readonly routers: readonly LabRouterSpec[];
  /** Nodes that have a session with at least one router, in manifest order. */
  readonly nodes: readonly string[];
  /** Why a part of the manifests could not be turned into the lab, for the demo to print. */
  readonly problems: readonly string[];
}

/**
 * The lab for `config` and `nodes`. Peers with the same address and port become one router; a peer
 * with `dynamicAsn` gets the node's AS for `internal` and cannot be represented for `external`.
 */
export function labTopology(config: Config, nodes: readonly Node[]): LabTopology {
  const routers = new Map<string, { peers: string[]; address: string; port: number; asn: number; neighbors: LabNeighbor[] }>();
  const problems: string[] = [];
  const used = new Set<string>();
  for (const peer of config.peers) {
    const asn = peer.peerAsn ?? (peer.dynamicAsn === 'internal' ? peer.myAsn : undefined);
    if (asn === undefined) {
      problems.push(`peer ${peer.name}: dynamicASN external has no fixed AS for the lab router`);
      continue;
    }
    const key = `${peer.peerAddress}|${peer.peerPort}`;
    let r = routers.get(key);
    if (!r) {
      r = { peers: [], address: peer.peerAddress, port: peer.peerPort, asn, neighbors: [] };
      routers.set(key, r);
    } else if (r.asn !== asn) {
      problems.push(`peer ${peer.name}: ${peer.peerAddress}:${peer.peerPort} is already a router with AS ${r.asn}`);
      continue;
    }
    r.peers.push(peer.name);
    const family = parseIp(peer.peerAddress)?.family ?? 'ipv4';
    for (const node of nodes) {
      if (!anySelectorMatches(peer.nodeSelectors, node.metadata.labels)) continue;
      const address = peer.sourceAddress ?? nodeAddressOf(node, family);
      if (address === undefined) {
        problems.push(`node ${node.metadata.name}: no ${family} InternalIP to peer with ${peer.peerAddress}`);
        continue;
      }
      if (r.neighbors.some((n) => n.address === address)) continue;
      r.neighbors.push({ node: node.metadata.name, address, asn: peer.myAsn });
      used.add(node.metadata.name);
    }
  }
  return {
    routers: [...routers.values()],
    nodes: nodes.map((n) => n.metadata.name).filter((n) => used.has(n)),
    problems,
  };
}
