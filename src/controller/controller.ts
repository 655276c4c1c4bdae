/**
 * The allocation loop with writes: batches of object changes in (from the Kubernetes source), writes
 * out (Service status and annotation, Events, IPAddressPool status, ConfigurationState) through the
 * narrow `ControllerApi`. The allocation is the pipeline's: a `ClusterState` with its incremental
 * `Allocator` (MetalLB's rules); nothing here decides an IP.
 *
 * Invariants:
 * - Nothing is written before the source's first complete list (`apply(batch, { initial: true })`)
 *   and while this replica does not hold the lease (`setLeader`).
 * - Becoming the writer builds a fresh `ClusterState` from every object at once: the allocator's
 *   first pass keeps every valid `status.loadBalancer.ingress` before it allocates anything, so a
 *   restart or a take-over moves no IP. A standby keeps only the latest objects (`ObjectStore`), not
 *   an allocation of its own that could disagree with what the leader wrote.
 * - A write is computed when it runs, from the state at that moment, and only what the API server
 *   does not already show is written (the watch echoes our writes back, which then cost nothing).
 * - Losing the lease drops every waiting write at once and the allocation with it.
 */
import type { AllocationEvent } from '../allocator/types.js';
import type { ChangeBatch, ClusterObjectKind, ObjectChange, ObjectIssue, RawConfigObject } from '../model/cluster.js';
import type { Logger } from '../observe/log.js';
import type { ClusterDelta } from '../pipeline/cluster-state.js';
import { ClusterState } from '../pipeline/cluster-state.js';
import type { ControllerApi, RawObject, ServiceFresh } from './api.js';
import { classifyApiError, isConflict } from './api.js';
import type { ConfigurationStateStatus, ServiceEvent } from './desired.js';
import {
  annotationDiffers,
  CONFIGURATION_STATE,
  configurationStateStatus,
  desiredService,
  eventFor,
  observedOf,
  observedOfRaw,
  poolStatusMatches,
  poolStatusOf,
  sameConfigurationState,
  serviceWriteNeeded,
  statusDiffers,
  versionOf,
  withIngress,
} from './desired.js';
import type { QueueClock } from './write-queue.js';
import { WriteQueue } from './write-queue.js';

/**
 * The latest version of every object the source delivered, so a replica that becomes the writer can
 * build its state from all of them at once. Holds the same slim objects `ClusterState` holds.
 */
export class ObjectStore {
  readonly #upserts = new Map<string, ObjectChange & { op: 'upsert' }>();
  readonly #invalid = new Map<string, ObjectChange & { op: 'invalid' }>();
  readonly #sourceIssues = new Map<string, readonly ObjectIssue[]>();

  apply(batch: ChangeBatch): void {
    for (const s of batch.sourceIssues ?? []) {
      if (s.issues.length === 0) this.#sourceIssues.delete(s.scope);
      else this.#sourceIssues.set(s.scope, s.issues);
    }
    for (const c of batch.changes) {
      const id = `${c.kind} ${c.key}`;
      if (c.op === 'upsert') {
        this.#upserts.set(id, c);
        this.#invalid.delete(id);
      } else if (c.op === 'delete') {
        this.#upserts.delete(id);
        this.#invalid.delete(id);
      } else this.#invalid.set(id, c);
    }
  }

  /** Every object as one batch: the last good versions, then the objects currently invalid. */
  batch(): ChangeBatch {
    const changes: ObjectChange[] = [];
    for (const c of this.#upserts.values()) changes.push(c);
    for (const c of this.#invalid.values()) changes.push(c);
    const sourceIssues: { scope: string; issues: readonly ObjectIssue[] }[] = [];
    for (const [scope, issues] of this.#sourceIssues) sourceIssues.push({ scope, issues });
    return { changes, sourceIssues };
  }

  /** A configuration object by its key (`Kind/namespace/name`). */
  config(key: string): RawConfigObject | undefined {
    const c = this.#upserts.get(`Config ${key}`);
    return c?.kind === 'Config' ? c.object : undefined;
  }

  /** Whether any configuration object (valid or not) was delivered. */
  hasConfig(): boolean {
    for (const id of this.#upserts.keys()) if (id.startsWith('Config ')) return true;
    for (const id of this.#invalid.keys()) if (id.startsWith('Config ')) return true;
    return false;
  }

  count(kind: ClusterObjectKind): number {
    let n = 0;
    const prefix = `${kind} `;
    for (const id of this.#upserts.keys()) if (id.startsWith(prefix)) n++;
    return n;
  }
}

export interface ControllerOptions {
  /** The MetalLB namespace (IPAddressPools, the ConfigurationState). */
  readonly namespace: string;
  readonly api: ControllerApi;
  readonly logger: Logger;
  /** MetalLB's `--lb-class`. */
  readonly loadBalancerClass?: string;
  /** Wall clock, for Events and conditions. */
  readonly now?: () => Date;
  readonly clock?: QueueClock;
  readonly concurrency?: number;
  readonly initialBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /** Events waiting beyond this many are dropped (and counted), as client-go's recorder drops them. */
  readonly maxPendingEvents?: number;
}

/** What the metrics read. */
export interface ControllerCounters {
  readonly batches: number;
  readonly writes: number;
  readonly writeErrors: number;
  readonly eventsDropped: number;
}

const SERVICE = 'svc:';
const POOL = 'pool:';
const EVENT = 'event:';
const CONFIG_STATE = 'configurationstate';

function splitKey(key: string): { namespace: string; name: string } {
  const slash = key.indexOf('/');
  return slash === -1 ? { namespace: 'default', name: key } : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

/** See the module header. */
export class AllocationController {
  readonly store = new ObjectStore();
  readonly #o: ControllerOptions;
  readonly #log: Logger;
  readonly #queue: WriteQueue;
  readonly #now: () => Date;
  #state: ClusterState | undefined;
  #leader = false;
  #synced = false;
  /** Events waiting to be written, by `event:` key (identical ones coalesce into a count). */
  readonly #events = new Map<string, ServiceEvent & { count: number; time: Date }>();
  /** Service uids learned from write responses (Events name their object by uid). */
  readonly #uids = new Map<string, string>();
  /** The ConfigurationState status last written (undefined: write it). */
  #configStateWritten: ConfigurationStateStatus | undefined;
  #batches = 0;
  #eventsDropped = 0;
  readonly #logAllocated: (fields: Record<string, unknown>) => void;

  constructor(options: ControllerOptions) {
    this.#o = options;
    this.#log = options.logger;
    this.#now = options.now ?? (() => new Date());
    this.#logAllocated = this.#log.bind('info', 'ipAllocated', 'IP address assigned by controller');
    this.#queue = new WriteQueue({
      perform: (key) => this.#perform(key),
      classify: classifyApiError,
      onFailure: (key, err, kind, retryInMs) =>
        this.#log.warn('writeFailed', kind === 'unavailable' ? 'API server unavailable, backing off' : 'write refused, will retry', {
          object: key,
          error: err instanceof Error ? err.message : String(err),
          retryInMs,
        }),
      ...(options.clock ? { clock: options.clock } : {}),
      ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
      ...(options.initialBackoffMs !== undefined ? { initialBackoffMs: options.initialBackoffMs } : {}),
      ...(options.maxBackoffMs !== undefined ? { maxBackoffMs: options.maxBackoffMs } : {}),
    });
  }

  /** The state the writes are computed from; present while leading after the first full list. */
  get state(): ClusterState | undefined {
    return this.#state;
  }

  get leader(): boolean {
    return this.#leader;
  }

  /** Whether the source's first complete list arrived. */
  get synced(): boolean {
    return this.#synced;
  }

  /** Writes waiting or in flight. */
  get pendingWrites(): number {
    return this.#queue.size;
  }

  counters(): ControllerCounters {
    return { batches: this.#batches, writes: this.#queue.written, writeErrors: this.#queue.failed, eventsDropped: this.#eventsDropped };
  }

  /** Resolves once no write waits or is in flight. */
  idle(): Promise<void> {
    return this.#queue.idle();
  }

  /**
   * Takes a batch from the source. `initial` marks the first complete list of every kind: nothing is
   * decided before it.
   */
  apply(batch: ChangeBatch, options: { readonly initial?: boolean } = {}): void {
    this.#batches++;
    this.store.apply(batch);
    if (this.#state) this.#handle(this.#state.apply(batch), false);
    if (options.initial && !this.#synced) {
      this.#synced = true;
      this.#log.info('initialLoad', 'first complete list of the cluster received', { services: this.store.count('Service') });
      if (this.#leader) this.#startWriting();
    }
  }

  /** Whether this replica holds the lease. Losing it stops every write at once. */
  setLeader(leader: boolean): void {
    if (leader === this.#leader) return;
    this.#leader = leader;
    if (leader) {
      this.#log.info('leaderElected', 'this controller holds the lease and writes');
      if (this.#synced) this.#startWriting();
      return;
    }
    this.#log.info('leaderLost', 'this controller lost the lease, stopping every write');
    this.#queue.clear();
    this.#events.clear();
    this.#state = undefined;
    this.#configStateWritten = undefined;
  }

  /** A full pass: a fresh state from every object, then every write it needs. */
  #startWriting(): void {
    const state = new ClusterState({
      standalone: false,
      ...(this.#o.loadBalancerClass !== undefined ? { loadBalancerClass: this.#o.loadBalancerClass } : {}),
    });
    this.#state = state;
    const delta = state.apply(this.store.batch());
    // Services first: their Events wait for them in the queue (and learn their uid from them).
    let writes = 0;
    for (const key of state.keys()) {
      if (serviceWriteNeeded(state, key)) {
        this.#queue.enqueue(SERVICE + key);
        writes++;
      }
    }
    this.#handle(delta, true);
    this.#log.info('fullPass', 'allocation rebuilt from every service, writing what differs', {
      services: state.serviceCount,
      writes,
    });
  }

  #handle(delta: ClusterDelta, full: boolean): void {
    const state = this.#state;
    if (!state) return;
    switch (delta.config.status) {
      case 'applied':
        this.#log.info('configLoaded', 'config reloaded', { pools: delta.config.config.pools.length });
        break;
      case 'recovered':
        this.#log.info('configCurrent', 'configuration builds again');
        break;
      case 'rejected':
        this.#log.error('configStale', 'failed to parse the configuration', {
          error: delta.config.issues.filter((i) => i.severity === 'error').map((i) => `${i.object}: ${i.message}`),
          keepingLastGood: delta.config.keeping,
        });
        break;
      case 'unchanged':
        break;
    }
    if (!this.#leader) return;
    if (!full) {
      for (const key of delta.services) {
        if (!state.service(key)) {
          this.#uids.delete(key);
          continue;
        }
        if (serviceWriteNeeded(state, key)) this.#queue.enqueue(SERVICE + key);
      }
      // A service whose object did not change but whose status should now be cleared (a new
      // configuration with no pool for it) is in `services` too: the allocator lists it.
    }
    for (const r of delta.allocations) {
      if (r.ips.length > 0) this.#logAllocated({ service: r.service, ip: r.ips, pool: r.pool });
    }
    for (const e of delta.events) this.#recordEvent(e);
    if (full || delta.allocations.length > 0 || delta.deallocated.length > 0 || delta.config.status === 'applied') this.#enqueuePools(state);
    if (full || delta.config.status !== 'unchanged') this.#queue.enqueue(CONFIG_STATE);
  }

  #enqueuePools(state: ClusterState): void {
    const config = state.config;
    if (!config) return;
    const usage = new Map<string, ReturnType<ClusterState['poolUsage']>[number]>();
    for (const u of state.poolUsage()) usage.set(u.pool, u);
    for (const pool of config.pools) {
      const key = `IPAddressPool/${pool.namespace ?? this.#o.namespace}/${pool.name}`;
      const raw = this.store.config(key);
      const u = usage.get(pool.name);
      if (!raw || !u) continue; // a pool of the legacy ConfigMap has no object to carry a status
      if (!poolStatusMatches(raw.object['status'], poolStatusOf(u))) this.#queue.enqueue(POOL + key);
    }
  }

  #recordEvent(e: AllocationEvent): void {
    const ev = eventFor(e);
    const key = `${EVENT}${ev.service}\u0000${ev.type}\u0000${ev.reason}\u0000${ev.message}`;
    const have = this.#events.get(key);
    if (have) {
      have.count++;
      have.time = this.#now();
      return;
    }
    if (this.#events.size >= (this.#o.maxPendingEvents ?? 20_000)) {
      if (this.#eventsDropped++ === 0) this.#log.warn('eventsDropped', 'too many events waiting, dropping new ones', { waiting: this.#events.size });
      return;
    }
    this.#events.set(key, { ...ev, count: 1, time: this.#now() });
    this.#queue.enqueue(key, 'low');
  }

  async #perform(key: string): Promise<void> {
    if (!this.#leader || !this.#state) return;
    if (key.startsWith(SERVICE)) return this.#writeService(key.slice(SERVICE.length));
    if (key.startsWith(EVENT)) return this.#writeEvent(key);
    if (key.startsWith(POOL)) return this.#writePool(key.slice(POOL.length));
    if (key === CONFIG_STATE) return this.#writeConfigurationState();
  }

  async #writeService(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const api = this.#o.api;
    const svc = this.#state?.service(key);
    let want = this.#state ? desiredService(this.#state, key) : undefined;
    if (!want || !svc) return;
    let have = observedOf(svc);
    /** The object as the API server last sent it: the base of the status update. */
    let fresh: ServiceFresh | undefined;
    const learn = (raw: RawObject | undefined): boolean => {
      if (!raw) return false;
      const v = versionOf(raw);
      fresh = { ...v, observed: observedOfRaw(raw), object: raw };
      have = fresh.observed;
      if (v.uid !== undefined) this.#uids.set(key, v.uid);
      return true;
    };
    for (let attempt = 0; ; attempt++) {
      if (annotationDiffers(want, have)) {
        if (!learn(await api.patchServicePool(namespace, name, want.pool))) return;
      }
      if (!statusDiffers(want, have)) return;
      if (!this.#leader) return;
      if (!fresh && !learn(await api.readService(namespace, name))) return;
      if (!statusDiffers(want, have) || !fresh) return;
      try {
        learn(await api.updateServiceStatus(withIngress(fresh.object, want.ingress)));
        return;
      } catch (err) {
        // 409: the object changed since it was read. Read it again and write on fresh data.
        if (!isConflict(err) || attempt >= 5) throw err;
        this.#log.debug('writeConflict', 'service changed meanwhile, retrying on fresh data', { service: key });
        if (!learn(await api.readService(namespace, name)) || !this.#leader) return;
        want = this.#state ? desiredService(this.#state, key) : undefined;
        if (!want) return;
      }
    }
  }

  async #writeEvent(key: string): Promise<void> {
    const ev = this.#events.get(key);
    if (!ev) return;
    this.#events.delete(key);
    const { namespace, name } = splitKey(ev.service);
    let uid = this.#uids.get(ev.service);
    if (uid === undefined) {
      const fresh = await this.#o.api.readService(namespace, name);
      if (!fresh) return; // the Service is gone: no object to attach the event to
      uid = versionOf(fresh).uid;
    }
    try {
      await this.#o.api.createEvent({
        namespace,
        serviceName: name,
        serviceUid: uid,
        type: ev.type,
        reason: ev.reason,
        message: ev.message,
        count: ev.count,
        time: ev.time,
      });
    } catch (err) {
      // Events are best effort (as client-go's recorder): retried only while the server is down.
      if (classifyApiError(err) !== 'unavailable') {
        this.#log.warn('eventRefused', 'the API server refused an event', { service: ev.service, reason: ev.reason, error: String(err) });
        return;
      }
      if (!this.#events.has(key)) this.#events.set(key, ev);
      throw err;
    }
  }

  async #writePool(key: string): Promise<void> {
    const state = this.#state;
    const raw = this.store.config(key);
    if (!state || !raw) return;
    const [, namespace = this.#o.namespace, name = ''] = key.split('/');
    const usage = state.poolUsage().find((u) => u.pool === name);
    if (!usage) return;
    const want = poolStatusOf(usage);
    let object: RawObject | undefined = raw.object;
    for (let attempt = 0; object; attempt++) {
      if (poolStatusMatches(object['status'], want)) return;
      try {
        await this.#o.api.updatePoolStatus({ ...object, status: want });
        return;
      } catch (err) {
        if (!isConflict(err) || attempt >= 5) throw err;
        object = await this.#o.api.readPool(namespace, name);
      }
    }
  }

  async #writeConfigurationState(): Promise<void> {
    const state = this.#state;
    if (!state) return;
    const status = configurationStateStatus(state, this.store.hasConfig(), this.#now().toISOString().replace(/\.\d+Z$/, 'Z'));
    if (sameConfigurationState(this.#configStateWritten, status)) return;
    await this.#o.api.writeConfigurationState(this.#o.namespace, CONFIGURATION_STATE.name, CONFIGURATION_STATE.labels, status);
    this.#configStateWritten = status;
  }
}
