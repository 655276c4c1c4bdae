/**
 * Test-only: a cluster described as plain lists (a normalised `Config`, Nodes, Services, slices)
 * turned into what a source delivers: `metallb.io` objects for the configuration, and batches of
 * object changes from one state of the lists to the next (as `ManifestSource.reload` computes them).
 */
import type { Config } from '../config/types.js';
import type { ChangeBatch, ObjectChange, RawConfigObject } from '../model/cluster.js';
import type { EndpointSlice, Node, Service } from '../model/kubernetes.js';
import { namespacedKeyOf } from '../model/kubernetes.js';

const NS = 'metallb-system';

function crd(kind: string, name: string, spec: Record<string, unknown>): RawConfigObject {
  return { object: { apiVersion: kind === 'BGPPeer' ? 'metallb.io/v1beta2' : 'metallb.io/v1beta1', kind, metadata: { name, namespace: NS }, spec } };
}

/** The `metallb.io` objects whose build is `config` (for the fields the runtime tests use). */
export function crdObjectsOf(config: Config): RawConfigObject[] {
  const out: RawConfigObject[] = [];
  for (const p of config.peers) {
    out.push(
      crd('BGPPeer', p.name, {
        myASN: p.myAsn,
        ...(p.peerAsn !== undefined ? { peerASN: p.peerAsn } : {}),
        ...(p.dynamicAsn !== undefined ? { dynamicASN: p.dynamicAsn } : {}),
        peerAddress: p.peerAddress,
        peerPort: p.peerPort,
        holdTime: `${p.holdTime}s`,
        keepaliveTime: `${p.keepaliveTime}s`,
        ...(p.sourceAddress !== undefined ? { sourceAddress: p.sourceAddress } : {}),
        ...(p.routerId !== undefined ? { routerID: p.routerId } : {}),
        ...(p.nodeSelectors.length > 0 ? { nodeSelectors: p.nodeSelectors } : {}),
      }),
    );
  }
  for (const pool of config.pools) {
    out.push(
      crd('IPAddressPool', pool.name, {
        addresses: pool.addresses.map((r) => `${r.first}-${r.last}`),
        autoAssign: pool.autoAssign,
        avoidBuggyIPs: pool.avoidBuggyIPs,
      }),
    );
  }
  for (const a of config.advertisements) {
    out.push(
      crd('BGPAdvertisement', a.name, {
        aggregationLength: a.aggregationLength,
        aggregationLengthV6: a.aggregationLengthV6,
        ...(a.localPref !== undefined ? { localPref: a.localPref } : {}),
        ...(a.communities.length > 0 ? { communities: a.communities } : {}),
        ipAddressPools: a.ipAddressPools,
        ...(a.nodeSelectors.length > 0 ? { nodeSelectors: a.nodeSelectors } : {}),
        ...(a.peers.length > 0 ? { peers: a.peers } : {}),
      }),
    );
  }
  return out;
}

/** One state of the cluster: configuration objects (or a Config to express as CRDs) and objects. */
export interface WorldState {
  readonly config?: Config;
  readonly configObjects?: readonly RawConfigObject[];
  readonly nodes?: readonly Node[];
  readonly services?: readonly Service[];
  readonly endpointSlices?: readonly EndpointSlice[];
}

function configKey(o: RawConfigObject): string {
  const meta = o.object['metadata'] as { name?: string; namespace?: string } | undefined;
  return `${String(o.object['kind'])}/${meta?.namespace ?? ''}/${meta?.name ?? ''}`;
}

/** Batches from each state to the next: upserts of what is new or changed, deletes of what is gone. */
export class World {
  #last = new Map<string, { change: ObjectChange; text: string }>();

  /** The batch that moves the pipeline from the previous state to `state`. */
  batch(state: WorldState): ChangeBatch {
    const next = new Map<string, { change: ObjectChange; text: string }>();
    const put = (change: ObjectChange & { op: 'upsert' }): void => {
      next.set(`${change.kind} ${change.key}`, { change, text: JSON.stringify(change.object) });
    };
    for (const o of [...(state.configObjects ?? []), ...(state.config ? crdObjectsOf(state.config) : [])]) put({ op: 'upsert', kind: 'Config', key: configKey(o), object: o });
    for (const n of state.nodes ?? []) put({ op: 'upsert', kind: 'Node', key: n.metadata.name, object: n });
    for (const s of state.services ?? []) put({ op: 'upsert', kind: 'Service', key: namespacedKeyOf(s.metadata), object: s });
    for (const s of state.endpointSlices ?? []) put({ op: 'upsert', kind: 'EndpointSlice', key: namespacedKeyOf(s.metadata), object: s });
    const changes: ObjectChange[] = [];
    for (const [id, was] of this.#last) if (!next.has(id)) changes.push({ op: 'delete', kind: was.change.kind, key: was.change.key });
    for (const [id, now] of next) if (this.#last.get(id)?.text !== now.text) changes.push(now.change);
    this.#last = next;
    return { changes };
  }
}
