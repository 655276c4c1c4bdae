/**
 * `LeaseApi` over the Kubernetes client (`KubeApi` of `src/sources/kubernetes`): one
 * `coordination.k8s.io/v1` Lease in the MetalLB namespace, read with GET and written with POST and a
 * PUT conditional on its resourceVersion (the verbs our RBAC grants: get, create, update). Times are
 * MicroTime strings with six fractional digits, written as given.
 */
import type { KubeApi } from '../sources/kubernetes/client.js';
import type { RawObject } from './api.js';
import { bodyOf, send } from './kube-api.js';
import type { LeaseApi, LeaseRead, LeaseRecord } from './leader-election.js';

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function readOf(lease: RawObject): LeaseRead {
  const meta = isRecord(lease['metadata']) ? lease['metadata'] : {};
  const s = isRecord(lease['spec']) ? lease['spec'] : {};
  const str = (k: string): string | undefined => (typeof s[k] === 'string' ? s[k] : undefined);
  const num = (k: string): number | undefined => (typeof s[k] === 'number' ? s[k] : undefined);
  const holderIdentity = str('holderIdentity');
  const leaseDurationSeconds = num('leaseDurationSeconds');
  const acquireTime = str('acquireTime');
  const renewTime = str('renewTime');
  const leaseTransitions = num('leaseTransitions');
  return {
    resourceVersion: typeof meta['resourceVersion'] === 'string' ? meta['resourceVersion'] : '',
    record: {
      ...(holderIdentity !== undefined ? { holderIdentity } : {}),
      ...(leaseDurationSeconds !== undefined ? { leaseDurationSeconds } : {}),
      ...(acquireTime !== undefined ? { acquireTime } : {}),
      ...(renewTime !== undefined ? { renewTime } : {}),
      ...(leaseTransitions !== undefined ? { leaseTransitions } : {}),
    },
  };
}

/** The Lease `namespace/name`. */
export class KubeLeaseApi implements LeaseApi {
  readonly #api: KubeApi;
  readonly #namespace: string;
  readonly #name: string;
  readonly #path: string;

  constructor(api: KubeApi, namespace: string, name: string) {
    this.#api = api;
    this.#namespace = namespace;
    this.#name = name;
    this.#path = `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/leases`;
  }

  #body(record: LeaseRecord, resourceVersion?: string): RawObject {
    return {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: this.#name, namespace: this.#namespace, ...(resourceVersion !== undefined ? { resourceVersion } : {}) },
      spec: { ...record },
    };
  }

  async get(): Promise<LeaseRead | undefined> {
    const what = `get lease ${this.#namespace}/${this.#name}`;
    const lease = bodyOf(await send(this.#api, 'GET', `${this.#path}/${encodeURIComponent(this.#name)}`, what), what, 'undefined');
    return lease ? readOf(lease) : undefined;
  }

  async create(record: LeaseRecord): Promise<LeaseRead> {
    const what = `create lease ${this.#namespace}/${this.#name}`;
    return readOf(bodyOf(await send(this.#api, 'POST', this.#path, what, { body: this.#body(record) }), what));
  }

  async update(record: LeaseRecord, resourceVersion: string): Promise<LeaseRead> {
    const what = `update lease ${this.#namespace}/${this.#name}`;
    const r = await send(this.#api, 'PUT', `${this.#path}/${encodeURIComponent(this.#name)}`, what, { body: this.#body(record, resourceVersion) });
    return readOf(bodyOf(r, what));
  }
}
