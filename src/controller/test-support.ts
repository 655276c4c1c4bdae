/**
 * Test-only helpers of the controller's tests: a manual clock, a fake `ControllerApi` that keeps
 * Services like an API server (resourceVersions, 409 on a stale one, injectable failures), and object
 * builders.
 */
import type { ControllerApi, EventToCreate, RawObject } from './api.js';
import { ApiError } from './api.js';
import type { ConfigurationStateStatus, PoolStatus } from './desired.js';
import { observedOfRaw } from './desired.js';
import type { QueueClock } from './write-queue.js';
import type { ChangeBatch, ObjectChange, RawConfigObject } from '../model/cluster.js';
import type { Service } from '../model/kubernetes.js';

/** Timers that fire only when `advance` passes their time. */
export class ManualClock implements QueueClock {
  now = 0;
  #timers: { at: number; fn: () => void; id: number }[] = [];
  #next = 1;
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.#next++;
    this.#timers.push({ at: this.now + ms, fn, id });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.#timers = this.#timers.filter((t) => t.id !== handle);
  }
  /** Moves time forward, firing due timers in order (and letting their promises settle). */
  async advance(ms: number): Promise<void> {
    const end = this.now + ms;
    for (;;) {
      this.#timers.sort((a, b) => a.at - b.at);
      const t = this.#timers[0];
      if (!t || t.at > end) break;
      this.#timers.shift();
      this.now = t.at;
      t.fn();
      await settle();
    }
    this.now = end;
    await settle();
  }
  get pending(): number {
    return this.#timers.length;
  }
}

/** Lets every pending promise callback run (a few turns of the event loop). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
}

interface StoredService {
  rv: number;
  uid: string;
  ingress: string[];
  pool: string | undefined;
}

/** A fake API server for the controller's writes. */
export class FakeApi implements ControllerApi {
  readonly services = new Map<string, StoredService>();
  readonly events: EventToCreate[] = [];
  readonly pools = new Map<string, PoolStatus>();
  readonly configurationStates: { name: string; labels: Readonly<Record<string, string>>; status: ConfigurationStateStatus }[] = [];
  /** Every call, as `method key`. */
  readonly calls: string[] = [];
  /** Failures to inject: the next calls of a method throw these, in order. */
  readonly failNext = new Map<string, ApiError[]>();
  /** Called before a status write (a test may change the object to cause a conflict). */
  beforeStatusWrite: ((key: string) => void) | undefined;
  #rv = 1;

  add(key: string, ingress: string[] = [], pool?: string): void {
    this.services.set(key, { rv: this.#rv++, uid: `uid-${key}`, ingress, pool });
  }

  bump(key: string): void {
    const s = this.services.get(key);
    if (s) s.rv = this.#rv++;
  }

  #fail(method: string): void {
    const list = this.failNext.get(method);
    const err = list?.shift();
    if (err) throw err;
  }

  #raw(key: string): RawObject | undefined {
    const s = this.services.get(key);
    if (!s) return undefined;
    const [namespace, name] = key.split('/');
    return {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name,
        namespace,
        uid: s.uid,
        resourceVersion: String(s.rv),
        ...(s.pool !== undefined ? { annotations: { 'metallb.io/ip-allocated-from-pool': s.pool } } : {}),
      },
      spec: { type: 'LoadBalancer' },
      status: { loadBalancer: s.ingress.length > 0 ? { ingress: s.ingress.map((ip) => ({ ip })) } : {} },
    };
  }

  async readService(namespace: string, name: string): Promise<RawObject | undefined> {
    const key = `${namespace}/${name}`;
    this.calls.push(`read ${key}`);
    this.#fail('read');
    return this.#raw(key);
  }

  async patchServicePool(namespace: string, name: string, pool: string | undefined): Promise<RawObject | undefined> {
    const key = `${namespace}/${name}`;
    this.calls.push(`annotate ${key} ${pool ?? '-'}`);
    this.#fail('annotate');
    const s = this.services.get(key);
    if (!s) return undefined;
    s.pool = pool;
    s.rv = this.#rv++;
    return this.#raw(key);
  }

  async updateServiceStatus(object: RawObject): Promise<RawObject | undefined> {
    const meta = object['metadata'] as { namespace: string; name: string; resourceVersion: string };
    const key = `${meta.namespace}/${meta.name}`;
    const ingress = observedOfRaw(object).ingress;
    this.beforeStatusWrite?.(key);
    this.calls.push(`status ${key} ${ingress.join(',') || '-'}`);
    this.#fail('status');
    const s = this.services.get(key);
    if (!s) return undefined;
    if (meta.resourceVersion !== String(s.rv)) throw new ApiError(409, `conflict on ${key}`);
    s.ingress = [...ingress];
    s.rv = this.#rv++;
    return this.#raw(key);
  }

  async createEvent(event: EventToCreate): Promise<void> {
    this.calls.push(`event ${event.namespace}/${event.serviceName} ${event.reason}`);
    this.#fail('event');
    this.events.push(event);
  }

  async readPool(namespace: string, name: string): Promise<RawObject | undefined> {
    this.calls.push(`read pool ${namespace}/${name}`);
    const status = this.pools.get(`${namespace}/${name}`);
    return { metadata: { name, namespace, resourceVersion: String(this.#rv) }, ...(status ? { status } : {}) };
  }

  async updatePoolStatus(object: RawObject): Promise<RawObject | undefined> {
    const meta = object['metadata'] as { namespace: string; name: string };
    this.calls.push(`pool ${meta.namespace}/${meta.name}`);
    this.#fail('pool');
    this.pools.set(`${meta.namespace}/${meta.name}`, object['status'] as PoolStatus);
    return object;
  }

  async writeConfigurationState(namespace: string, name: string, labels: Readonly<Record<string, string>>, status: ConfigurationStateStatus): Promise<void> {
    this.calls.push(`configurationstate ${namespace}/${name} ${status.result}`);
    this.#fail('configurationstate');
    this.configurationStates.push({ name, labels, status });
  }
}

/** A LoadBalancer Service in namespace `a` with one ClusterIP. */
export function lbService(name: string, over: { ingress?: string[]; annotations?: Record<string, string>; created?: string; type?: string; loadBalancerClass?: string } = {}): Service {
  return {
    kind: 'Service',
    metadata: {
      name,
      namespace: 'a',
      creationTimestamp: over.created ?? '2026-12-01T00:00:00Z',
      ...(over.annotations ? { annotations: over.annotations } : {}),
    },
    spec: {
      type: over.type ?? 'LoadBalancer',
      clusterIP: '10.96.0.10',
      clusterIPs: ['10.96.0.10'],
      ipFamilies: ['IPv4'],
      ports: [{ port: 80, protocol: 'TCP' }],
      ...(over.loadBalancerClass !== undefined ? { loadBalancerClass: over.loadBalancerClass } : {}),
    },
    ...(over.ingress ? { status: { loadBalancer: { ingress: over.ingress.map((ip) => ({ ip })) } } } : {}),
  };
}

/** An IPAddressPool in `metallb-system`. */
export function poolObject(name: string, addresses: string[], extra: Record<string, unknown> = {}): RawConfigObject {
  return {
    object: {
      apiVersion: 'metallb.io/v1beta1',
      kind: 'IPAddressPool',
      metadata: { name, namespace: 'metallb-system' },
      spec: { addresses, ...extra },
    },
  };
}

export const upsertService = (svc: Service): ObjectChange => ({ op: 'upsert', kind: 'Service', key: `a/${svc.metadata.name}`, object: svc });
export const deleteService = (name: string): ObjectChange => ({ op: 'delete', kind: 'Service', key: `a/${name}` });
export const upsertPool = (name: string, raw: RawConfigObject): ObjectChange => ({ op: 'upsert', kind: 'Config', key: `IPAddressPool/metallb-system/${name}`, object: raw });

/** A batch of changes. */
export function batch(...changes: ObjectChange[]): ChangeBatch {
  return { changes };
}
