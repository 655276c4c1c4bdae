/**
 * `LeaseApi` over `@kubernetes/client-node`: one `coordination.k8s.io/v1` Lease in the MetalLB
 * namespace. Times travel as MetalLB-compatible MicroTime strings (`2026-12-03T19:30:00.123456Z`):
 * client-node's own `V1MicroTime` writes only milliseconds, so the strings are passed through as they
 * are (client-node does not reformat values of that type).
 */
import type { KubeConfig, V1Lease, V1MicroTime } from '@kubernetes/client-node';
import { CoordinationV1Api } from '@kubernetes/client-node';
import type { LeaseApi, LeaseRead, LeaseRecord } from './leader-election.js';
import { statusOf, toApiError } from './kube-api.js';

/** A MicroTime as client-node reads it back: a string (or a Date when it parsed one). */
function timeText(t: unknown): string | undefined {
  if (typeof t === 'string') return t;
  if (t instanceof Date) return t.toISOString();
  return undefined;
}

function readOf(lease: V1Lease): LeaseRead {
  const s = lease.spec ?? {};
  const renewTime = timeText(s.renewTime);
  const acquireTime = timeText(s.acquireTime);
  return {
    resourceVersion: lease.metadata?.resourceVersion ?? '',
    record: {
      ...(s.holderIdentity !== undefined ? { holderIdentity: s.holderIdentity } : {}),
      ...(s.leaseDurationSeconds !== undefined ? { leaseDurationSeconds: s.leaseDurationSeconds } : {}),
      ...(acquireTime !== undefined ? { acquireTime } : {}),
      ...(renewTime !== undefined ? { renewTime } : {}),
      ...(s.leaseTransitions !== undefined ? { leaseTransitions: s.leaseTransitions } : {}),
    },
  };
}

/** The MicroTime string where client-node's type wants a `V1MicroTime` (serialized as given). */
const micro = (t: string | undefined): V1MicroTime | undefined => t as unknown as V1MicroTime | undefined;

function leaseOf(namespace: string, name: string, r: LeaseRecord, resourceVersion?: string): V1Lease {
  const acquireTime = micro(r.acquireTime);
  const renewTime = micro(r.renewTime);
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name, namespace, ...(resourceVersion !== undefined ? { resourceVersion } : {}) },
    spec: {
      ...(r.holderIdentity !== undefined ? { holderIdentity: r.holderIdentity } : {}),
      ...(r.leaseDurationSeconds !== undefined ? { leaseDurationSeconds: r.leaseDurationSeconds } : {}),
      ...(acquireTime !== undefined ? { acquireTime } : {}),
      ...(renewTime !== undefined ? { renewTime } : {}),
      ...(r.leaseTransitions !== undefined ? { leaseTransitions: r.leaseTransitions } : {}),
    },
  };
}

/** The Lease `namespace/name` through client-node. */
export class KubeLeaseApi implements LeaseApi {
  readonly #api: CoordinationV1Api;
  readonly #namespace: string;
  readonly #name: string;

  constructor(kubeConfig: KubeConfig, namespace: string, name: string) {
    this.#api = kubeConfig.makeApiClient(CoordinationV1Api);
    this.#namespace = namespace;
    this.#name = name;
  }

  async get(): Promise<LeaseRead | undefined> {
    try {
      return readOf(await this.#api.readNamespacedLease({ namespace: this.#namespace, name: this.#name }));
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw toApiError(err, `get lease ${this.#namespace}/${this.#name}`);
    }
  }

  async create(record: LeaseRecord): Promise<LeaseRead> {
    try {
      return readOf(await this.#api.createNamespacedLease({ namespace: this.#namespace, body: leaseOf(this.#namespace, this.#name, record) }));
    } catch (err) {
      throw toApiError(err, `create lease ${this.#namespace}/${this.#name}`);
    }
  }

  async update(record: LeaseRecord, resourceVersion: string): Promise<LeaseRead> {
    try {
      return readOf(
        await this.#api.replaceNamespacedLease({
          namespace: this.#namespace,
          name: this.#name,
          body: leaseOf(this.#namespace, this.#name, record, resourceVersion),
        }),
      );
    } catch (err) {
      throw toApiError(err, `update lease ${this.#namespace}/${this.#name}`);
    }
  }
}
