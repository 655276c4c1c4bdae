/**
 * The router side of the configuration: which upstream routers the manifests describe and which
 * nodes each must accept as BGP neighbors. Vendor renderers (`render.ts`) turn this into text.
 *
 * A router is a distinct peer address. Its ASN is the peers' `peerAsn` (or `myAsn` for dynamic ASN
 * `internal`); its neighbors are the nodes selected by the nodeSelectors of the peers with that
 * address, each addressed by the peer's `sourceAddress` or else the node's InternalIP of the router's
 * address family, with the node side's ASN (`myAsn`), password, timers, BFD profile and multihop.
 *
 * Invariants: routers in order of first appearance in the configuration; neighbors in node order
 * (the order of the manifests), each address at most once per router. Problems that keep a router
 * or a neighbor out are reported as issues with a stable `rule`, never thrown. Pure.
 */
import type { BfdProfileConfig, Config, PeerConfig } from '../config/types.js';
import type { IpFamily } from '../model/ip.js';
import { canonicalIp, parseIp } from '../model/ip.js';
import type { Node } from '../model/kubernetes.js';
import { anySelectorMatches } from '../model/kubernetes.js';

/** MetalLB's hold time when none is configured (native mode), and its keepalive (hold / 3). */
export const DEFAULT_HOLD_TIME = 90;
export const DEFAULT_KEEPALIVE_TIME = 30;

/** One node as the router's BGP neighbor. */
export interface RouterNeighbor {
  /** The node's name. */
  readonly node: string;
  /** The BGPPeer (or legacy `peerN`) this session comes from. */
  readonly peer: string;
  /** The node's address for this session, canonical text. */
  readonly address: string;
  readonly family: IpFamily;
  /** The node side's ASN (the peer's `myAsn`): the router's `remote-as`. */
  readonly remoteAsn: number;
  /** remoteAsn equals the router's ASN. */
  readonly ibgp: boolean;
  readonly password?: string;
  /**
   * Timers in seconds, present only when they differ from MetalLB's defaults (90 s hold, 30 s
   * keepalive): a router's own defaults negotiate down to the speaker's hold time anyway (RFC 4271
   * §4.2: the smaller hold time wins).
   */
  readonly timers?: { readonly holdTime: number; readonly keepaliveTime: number };
  /** The BFD profile the peer uses, resolved. */
  readonly bfd?: BfdProfileConfig;
  /** eBGP multihop was requested (`ebgpMultiHop`). */
  readonly multihop: boolean;
}

/** One upstream router and the nodes that peer with it. */
export interface RouterPlan {
  /** The router's address (the peers' `peerAddress`), canonical text. */
  readonly address: string;
  readonly family: IpFamily;
  readonly asn: number;
  /** The router's address when it is IPv4 (a BGP identifier must be an IPv4-shaped value, RFC 4271 §4.2). */
  readonly routerId?: string;
  /** The TCP port the nodes dial (`peerPort`, default 179): where the router must listen. */
  readonly port: number;
  readonly neighbors: readonly RouterNeighbor[];
}

export type RouterIssueRule =
  | 'routerAsnUnknown'
  | 'conflictingRouterAsn'
  | 'nodeAddressUnknown'
  | 'duplicateNeighbor'
  | 'bfdProfileUnknown'
  | 'noNeighbors'
  | 'passwordNotPortable'
  | 'conflictingPeerPort'
  | 'nonStandardPeerPort';

/** Something that kept a router or a neighbor out of the output, or was resolved by a choice. */
export interface RouterIssue {
  readonly severity: 'error' | 'warning';
  readonly rule: RouterIssueRule;
  /** The router's address. */
  readonly router: string;
  readonly peer?: string;
  readonly node?: string;
  readonly message: string;
}

export interface RouterPlans {
  readonly routers: readonly RouterPlan[];
  readonly issues: readonly RouterIssue[];
}

function routerAsnOf(peer: PeerConfig): number | undefined {
  if (peer.peerAsn !== undefined) return peer.peerAsn;
  return peer.dynamicAsn === 'internal' ? peer.myAsn : undefined;
}

/** The node's InternalIP of `family` (the first of that family), canonical text. */
export function nodeAddress(node: Node, family: IpFamily): string | undefined {
  for (const a of node.status?.addresses ?? []) {
    if (a.type !== 'InternalIP') continue;
    const ip = parseIp(a.address);
    if (ip?.family === family) return canonicalIp(a.address);
  }
  return undefined;
}

/**
 * The routers described by `config` and the nodes that peer with each. With `router`, only the
 * router at that address.
 */
export function routerPlans(config: Config, nodes: readonly Node[], router?: string): RouterPlans {
  const issues: RouterIssue[] = [];
  const byAddress = new Map<string, { family: IpFamily; asn: number; port: number; neighbors: RouterNeighbor[] }>();
  const wanted = router === undefined ? undefined : (canonicalIp(router) ?? router);

  for (const peer of config.peers) {
    const address = canonicalIp(peer.peerAddress) ?? peer.peerAddress;
    if (wanted !== undefined && address !== wanted) continue;
    const family: IpFamily = parseIp(address)?.family ?? 'ipv4';
    const asn = routerAsnOf(peer);
    if (asn === undefined) {
      issues.push({
        severity: 'error',
        rule: 'routerAsnUnknown',
        router: address,
        peer: peer.name,
        message: `peer ${peer.name} uses dynamicASN ${peer.dynamicAsn ?? ''}: the router's ASN is not in the manifests`,
      });
      continue;
    }
    let entry = byAddress.get(address);
    if (!entry) {
      entry = { family, asn, port: peer.peerPort, neighbors: [] };
      byAddress.set(address, entry);
    } else if (entry.port !== peer.peerPort) {
      issues.push({
        severity: 'error',
        rule: 'conflictingPeerPort',
        router: address,
        peer: peer.name,
        message: `peer ${peer.name} dials router ${address} on port ${peer.peerPort}, an earlier peer on port ${entry.port}; skipped`,
      });
      continue;
    } else if (entry.asn !== asn) {
      issues.push({
        severity: 'error',
        rule: 'conflictingRouterAsn',
        router: address,
        peer: peer.name,
        message: `peer ${peer.name} says router ${address} is AS ${asn}, an earlier peer says AS ${entry.asn}; skipped`,
      });
      continue;
    }

    let bfd: BfdProfileConfig | undefined;
    if (peer.bfdProfile !== undefined) {
      bfd = config.bfdProfiles.find((p) => p.name === peer.bfdProfile);
      if (!bfd) {
        issues.push({
          severity: 'warning',
          rule: 'bfdProfileUnknown',
          router: address,
          peer: peer.name,
          message: `peer ${peer.name} names BFD profile ${peer.bfdProfile}, which is not configured; BFD left out`,
        });
      }
    }
    if (peer.password !== undefined && !/^[\x21-\x7e]+$/.test(peer.password.replace(/["\\]/g, ' '))) {
      // Vendor CLIs take the key as one word, and BIRD strings have no escapes.
      issues.push({
        severity: 'error',
        rule: 'passwordNotPortable',
        router: address,
        peer: peer.name,
        message: `the password of peer ${peer.name} has spaces, quotes, backslashes or non-ASCII characters; routers cannot take it as written`,
      });
    }
    const timers =
      peer.holdTime !== DEFAULT_HOLD_TIME || peer.keepaliveTime !== DEFAULT_KEEPALIVE_TIME
        ? { holdTime: peer.holdTime, keepaliveTime: peer.keepaliveTime }
        : undefined;

    for (const node of nodes) {
      if (!anySelectorMatches(peer.nodeSelectors, node.metadata.labels)) continue;
      const name = node.metadata.name;
      const source = peer.sourceAddress !== undefined ? canonicalIp(peer.sourceAddress) : undefined;
      const nodeIp = source ?? nodeAddress(node, family);
      if (nodeIp === undefined) {
        issues.push({
          severity: 'error',
          rule: 'nodeAddressUnknown',
          router: address,
          peer: peer.name,
          node: name,
          message: `node ${name} has no ${family === 'ipv4' ? 'IPv4' : 'IPv6'} InternalIP and peer ${peer.name} has no sourceAddress`,
        });
        continue;
      }
      const existing = entry.neighbors.find((n) => n.address === nodeIp);
      if (existing) {
        if (existing.remoteAsn !== peer.myAsn || existing.node !== name) {
          issues.push({
            severity: 'warning',
            rule: 'duplicateNeighbor',
            router: address,
            peer: peer.name,
            node: name,
            message: `${nodeIp} is already a neighbor of ${address} (node ${existing.node}, peer ${existing.peer}); kept the first`,
          });
        }
        continue;
      }
      entry.neighbors.push({
        node: name,
        peer: peer.name,
        address: nodeIp,
        family: parseIp(nodeIp)?.family ?? family,
        remoteAsn: peer.myAsn,
        ibgp: peer.myAsn === asn,
        ...(peer.password !== undefined ? { password: peer.password } : {}),
        ...(timers ? { timers } : {}),
        ...(bfd ? { bfd } : {}),
        multihop: peer.ebgpMultiHop,
      });
    }
  }

  const routers: RouterPlan[] = [];
  for (const [address, e] of byAddress) {
    if (e.neighbors.length === 0) {
      issues.push({
        severity: 'warning',
        rule: 'noNeighbors',
        router: address,
        message: `no node peers with router ${address}`,
      });
    }
    if (e.port !== 179) {
      issues.push({
        severity: 'warning',
        rule: 'nonStandardPeerPort',
        router: address,
        message: `the nodes dial router ${address} on port ${e.port}: it must listen there (BIRD: rendered as \`local ... port\`; FRR: bgpd -p ${e.port}; other vendors listen on 179 only)`,
      });
    }
    routers.push({
      address,
      family: e.family,
      asn: e.asn,
      ...(e.family === 'ipv4' ? { routerId: address } : {}),
      port: e.port,
      neighbors: e.neighbors,
    });
  }
  return { routers, issues };
}
