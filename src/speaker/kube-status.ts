/**
 * The status objects a speaker writes (group `metallb.io`, version `v1beta1`, in the MetalLB
 * namespace), each through a `WriteQueue` so the announcement path never waits for the API server:
 *
 * - `ServiceBGPStatus`, one per (announced service, this node), as MetalLB 0.15
 *   (`internal/k8s/controllers/bgp_status_controller.go`): name generated from `bgp-`, labels
 *   `metallb.io/node`, `metallb.io/service-name`, `metallb.io/service-namespace`, `status{node,
 *   serviceName, serviceNamespace, peers}` (the names of the peers the service is advertised to),
 *   deleted when the node advertises the service to no peer. It follows the planner's `PlanChanges`
 *   (announced, updated, withdrawn): a change costs the services it touches.
 * - `BGPSessionState`, one per session (ours, modelled on frr-k8s's): name
 *   `<node>-<peer address with . and : as ->`, labels `metallb.io/node`, `metallb.io/peer`,
 *   `status{node, peer, bgpStatus, bfdStatus, establishedSince, prefixesSent, lastError}`.
 * - `ConfigurationState` `speaker-<node>` (MetalLB 0.15.3: labels `metallb.io/component-type:
 *   speaker`, `metallb.io/node-name`; `status{result: Valid|Invalid, errorSummary}`).
 *
 * Every object is created, then its status written through the status subresource (a create drops
 * `status`, as on a real server); a status write that conflicts (409) reads the object again and
 * writes on the fresh resourceVersion. At start each writer lists the objects of this node that
 * exist (a previous run's) and adopts or deletes them, so a restart leaves no stale object and makes
 * no duplicate.
 */
import type { SessionStatus } from '../bgp/session/session.js';
import { describe as describeDown } from '../bgp/session/session.js';
import type { Logger } from '../observe/log.js';
import type { KubeApi } from '../sources/kubernetes/client.js';
import { KubeApiError } from '../sources/kubernetes/client.js';
import { WriteQueue } from './kube-write-queue.js';
import type { WriteQueueOptions } from './kube-write-queue.js';
import type { PlanChanges } from './planner.js';

type Obj = Record<string, unknown>;

const GROUP_VERSION = 'metallb.io/v1beta1';
export const LABEL_NODE = 'metallb.io/node';
export const LABEL_SERVICE_NAME = 'metallb.io/service-name';
export const LABEL_SERVICE_NAMESPACE = 'metallb.io/service-namespace';
export const LABEL_PEER = 'metallb.io/peer';

function isRecord(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function canonical(v: unknown): string {
  if (isRecord(v)) return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(',')}}`;
  if (Array.isArray(v)) return `[${v.map((x) => canonical(x)).join(',')}]`;
  return JSON.stringify(v ?? null);
}

/** An object as this writer last saw it on the server. */
interface Known {
  readonly name: string;
  resourceVersion: string;
  status: Obj | undefined;
}

/** Create, read, write the status of, and delete objects of one kind in one namespace. */
class StatusObjects {
  constructor(
    readonly api: KubeApi,
    readonly namespace: string,
    readonly kind: string,
    readonly plural: string,
  ) {}

  get #path(): string {
    return `/apis/${GROUP_VERSION}/namespaces/${encodeURIComponent(this.namespace)}/${this.plural}`;
  }

  /** Every object with `labelSelector`, page by page. */
  async list(labelSelector: string): Promise<Obj[]> {
    const out: Obj[] = [];
    let cont: string | undefined;
    do {
      const r = await this.api.request('GET', this.#path, { query: { labelSelector, limit: 500, ...(cont ? { continue: cont } : {}) } });
      if (r.status !== 200) throw KubeApiError.of(r, `list ${this.plural}`);
      const body = isRecord(r.body) ? r.body : {};
      for (const item of Array.isArray(body['items']) ? body['items'] : []) if (isRecord(item)) out.push(item);
      const meta = isRecord(body['metadata']) ? body['metadata'] : {};
      cont = typeof meta['continue'] === 'string' && meta['continue'] !== '' ? meta['continue'] : undefined;
    } while (cont);
    return out;
  }

  /** Creates the object (`name`, or a name generated from `generateName`); returns what the server holds. */
  async create(metadata: Obj): Promise<{ object: Obj; existed: boolean }> {
    const r = await this.api.request('POST', this.#path, { body: { apiVersion: GROUP_VERSION, kind: this.kind, metadata: { ...metadata, namespace: this.namespace } } });
    if (r.status === 409 && typeof metadata['name'] === 'string') {
      const have = await this.get(metadata['name']);
      if (have) return { object: have, existed: true };
    }
    if (r.status !== 200 && r.status !== 201) throw KubeApiError.of(r, `create ${this.kind}`);
    return { object: r.body as Obj, existed: false };
  }

  async get(name: string): Promise<Obj | undefined> {
    const r = await this.api.request('GET', `${this.#path}/${encodeURIComponent(name)}`);
    if (r.status === 404) return undefined;
    if (r.status !== 200) throw KubeApiError.of(r, `get ${this.kind} ${name}`);
    return r.body as Obj;
  }

  /** Writes `status` on the object's resourceVersion: the new object, 'conflict' (409) or 'gone' (404). */
  async putStatus(known: Known, labels: Readonly<Record<string, string>>, status: Obj): Promise<Obj | 'conflict' | 'gone'> {
    const body = {
      apiVersion: GROUP_VERSION,
      kind: this.kind,
      metadata: { name: known.name, namespace: this.namespace, resourceVersion: known.resourceVersion, labels },
      status,
    };
    const r = await this.api.request('PUT', `${this.#path}/${encodeURIComponent(known.name)}/status`, { body });
    if (r.status === 409) return 'conflict';
    if (r.status === 404) return 'gone';
    if (r.status !== 200 && r.status !== 201) throw KubeApiError.of(r, `update ${this.kind} ${known.name} status`);
    return r.body as Obj;
  }

  async delete(name: string): Promise<void> {
    const r = await this.api.request('DELETE', `${this.#path}/${encodeURIComponent(name)}`);
    if (r.status !== 200 && r.status !== 202 && r.status !== 404) throw KubeApiError.of(r, `delete ${this.kind} ${name}`);
  }
}

function knownOf(o: Obj): Known | undefined {
  const meta = isRecord(o['metadata']) ? o['metadata'] : {};
  const name = meta['name'];
  if (typeof name !== 'string') return undefined;
  return { name, resourceVersion: typeof meta['resourceVersion'] === 'string' ? meta['resourceVersion'] : '', status: isRecord(o['status']) ? o['status'] : undefined };
}

function labelsOf(o: Obj): Record<string, string> {
  const meta = isRecord(o['metadata']) ? o['metadata'] : {};
  const labels = isRecord(meta['labels']) ? meta['labels'] : {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels)) if (typeof v === 'string') out[k] = v;
  return out;
}

/** How many times a status write is tried again on fresh data after a conflict, before the queue's retry. */
const CONFLICT_RETRIES = 5;

/**
 * Brings one object to `status`: created when unknown (or gone), its status written on the latest
 * resourceVersion (a 409 reads it again). Returns what is known of it afterwards.
 */
async function writeObject(objects: StatusObjects, known: Known | undefined, create: Obj, labels: Readonly<Record<string, string>>, status: Obj): Promise<Known> {
  let current = known;
  for (let attempt = 0; attempt <= CONFLICT_RETRIES; attempt++) {
    if (current === undefined) {
      const created = await objects.create({ ...create, labels });
      current = knownOf(created.object);
      if (current === undefined) throw new Error(`create ${objects.kind}: the answer has no name`);
    }
    if (current.status !== undefined && canonical(current.status) === canonical(status)) return current;
    const r = await objects.putStatus(current, labels, status);
    if (r === 'gone') {
      // Deleted behind our back (by hand, or a namespace cleanup): created again, unless named by the server.
      current = undefined;
      continue;
    }
    if (r === 'conflict') {
      const fresh = await objects.get(current.name);
      current = fresh ? knownOf(fresh) : undefined;
      continue;
    }
    const after = knownOf(r);
    if (after === undefined) throw new Error(`update ${objects.kind}: the answer has no name`);
    return after;
  }
  throw new KubeApiError(409, `update ${objects.kind}: still conflicting after ${CONFLICT_RETRIES} fresh reads`);
}

/** Options every writer takes. */
export interface StatusWriterOptions {
  readonly api: KubeApi;
  readonly namespace: string;
  readonly node: string;
  readonly logger: Logger;
  /** Queue tuning (tests shorten the backoff). */
  readonly queue?: Pick<WriteQueueOptions<unknown>, 'concurrency' | 'initialBackoffMs' | 'maxBackoffMs'>;
}

/** Lists this node's objects until it succeeds (the API server may be down at start). */
async function listUntilDone(objects: StatusObjects, node: string, logger: Logger, closed: () => boolean, initialBackoffMs: number, maxBackoffMs: number): Promise<Obj[] | undefined> {
  let delay = initialBackoffMs;
  for (;;) {
    if (closed()) return undefined;
    try {
      return await objects.list(`${LABEL_NODE}=${node}`);
    } catch (err) {
      logger.debug('statusListFailed', `cannot list ${objects.kind} objects yet; retrying`, { error: err instanceof Error ? err.message : String(err) });
      await new Promise((r) => setTimeout(r, delay).unref());
      delay = Math.min(delay * 2, maxBackoffMs);
    }
  }
}

/** The ServiceBGPStatus objects of this node; see the module header. */
export class ServiceBgpStatusWriter {
  readonly #options: StatusWriterOptions;
  readonly #objects: StatusObjects;
  readonly queue: WriteQueue<readonly string[]>;
  /** Service key -> the object that holds its status. */
  readonly #known = new Map<string, Known>();
  /** Service key -> the peers it is advertised to (only services advertised to some peer). */
  readonly #desired = new Map<string, readonly string[]>();
  #closed = false;
  readonly started: Promise<void>;

  constructor(options: StatusWriterOptions) {
    this.#options = options;
    this.#objects = new StatusObjects(options.api, options.namespace, 'ServiceBGPStatus', 'servicebgpstatuses');
    this.queue = new WriteQueue<readonly string[]>({ ...options.queue, logger: options.logger, what: 'ServiceBGPStatus', write: (key, peers) => this.#write(key, peers) });
    this.started = this.#adopt();
  }

  /** The peers each service is advertised to, as this writer wants them written. */
  desired(): ReadonlyMap<string, readonly string[]> {
    return this.#desired;
  }

  /** Follows a change of the plan: the services it names get their status written (or deleted). */
  planChanged(changes: PlanChanges): void {
    // Withdrawn first: a service whose IP changed is withdrawn and announced again in one change.
    for (const w of changes.withdrawn) this.#want(w.service, undefined);
    for (const s of changes.announced) this.#want(s.service, s.peers.map((p) => p.name));
    for (const s of changes.updated) this.#want(s.service, s.peers.map((p) => p.name));
  }

  #want(service: string, peers: readonly string[] | undefined): void {
    const sorted = peers === undefined || peers.length === 0 ? undefined : [...new Set(peers)].sort();
    const before = this.#desired.get(service);
    if (sorted === undefined) {
      if (before === undefined) return;
      this.#desired.delete(service);
    } else {
      if (before !== undefined && before.length === sorted.length && before.every((p, i) => p === sorted[i])) return;
      this.#desired.set(service, sorted);
    }
    this.queue.set(service, sorted);
  }

  /** Lists what a previous run left, keeps one object per service and deletes the rest, then starts writing. */
  async #adopt(): Promise<void> {
    const q = this.#options.queue ?? {};
    const items = await listUntilDone(this.#objects, this.#options.node, this.#options.logger, () => this.#closed, q.initialBackoffMs ?? 500, q.maxBackoffMs ?? 30_000);
    if (items === undefined) return;
    const duplicates: string[] = [];
    for (const item of items) {
      const labels = labelsOf(item);
      const known = knownOf(item);
      const name = labels[LABEL_SERVICE_NAME];
      const namespace = labels[LABEL_SERVICE_NAMESPACE];
      if (!known || labels[LABEL_NODE] !== this.#options.node) continue;
      if (name === undefined || namespace === undefined) {
        duplicates.push(known.name);
        continue;
      }
      const key = `${namespace}/${name}`;
      if (this.#known.has(key)) duplicates.push(known.name);
      else this.#known.set(key, known);
    }
    for (const name of duplicates) this.queue.set(`#duplicate/${name}`, undefined);
    for (const key of this.#known.keys()) if (!this.#desired.has(key)) this.queue.set(key, undefined);
    this.queue.resume();
  }

  async #write(key: string, peers: readonly string[] | undefined): Promise<void> {
    if (key.startsWith('#duplicate/')) {
      await this.#objects.delete(key.slice('#duplicate/'.length));
      return;
    }
    const known = this.#known.get(key);
    if (peers === undefined) {
      if (known) await this.#objects.delete(known.name);
      this.#known.delete(key);
      return;
    }
    const slash = key.indexOf('/');
    const serviceNamespace = key.slice(0, slash);
    const serviceName = key.slice(slash + 1);
    const labels = { [LABEL_NODE]: this.#options.node, [LABEL_SERVICE_NAME]: serviceName, [LABEL_SERVICE_NAMESPACE]: serviceNamespace };
    const status = { node: this.#options.node, serviceName, serviceNamespace, peers: [...peers] };
    this.#known.set(key, await writeObject(this.#objects, known, { generateName: 'bgp-' }, labels, status));
  }

  close(): void {
    this.#closed = true;
    this.queue.close();
  }
}

/** The BGPSessionState object name of a session: `<node>-<peer address, . and : as ->`. */
export function sessionStateName(node: string, peerAddress: string): string {
  return `${node}-${peerAddress.replace(/[.:]/g, '-')}`.toLowerCase();
}

/** A label value for a peer address (IPv6's `:` is not allowed in label values). */
function peerLabel(address: string): string {
  return /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/.test(address) && address.length <= 63 ? address : address.replace(/:/g, '-');
}

/** What a BGPSessionState's status says of one session. */
export function sessionStateStatus(node: string, s: SessionStatus): Obj {
  return {
    node,
    peer: s.peerAddress,
    bgpStatus: s.state,
    bfdStatus: 'N/A',
    ...(s.state === 'Established' ? { establishedSince: new Date(s.stateSince).toISOString().replace(/\.\d{3}Z$/, 'Z') } : {}),
    prefixesSent: s.state === 'Established' ? s.prefixesAdvertised : 0,
    ...(s.lastError ? { lastError: describeDown(s.lastError.reason) } : {}),
  };
}

/** The BGPSessionState objects of this node; see the module header. */
export class SessionStateWriter {
  readonly #options: StatusWriterOptions;
  readonly #objects: StatusObjects;
  readonly queue: WriteQueue<{ readonly peer: string; readonly status: Obj }>;
  /** Object name -> what the server holds. */
  readonly #known = new Map<string, Known>();
  /** Object name -> the status last asked for. */
  readonly #wanted = new Map<string, string>();
  #closed = false;
  readonly started: Promise<void>;

  constructor(options: StatusWriterOptions) {
    this.#options = options;
    this.#objects = new StatusObjects(options.api, options.namespace, 'BGPSessionState', 'bgpsessionstates');
    this.queue = new WriteQueue({ ...options.queue, logger: options.logger, what: 'BGPSessionState', write: (name, desired) => this.#write(name, desired) });
    this.started = this.#adopt();
  }

  /**
   * The sessions now (the speaker's `status()`): each one's object is written when what it says
   * changed; objects of sessions that are gone are deleted.
   */
  sessions(statuses: readonly SessionStatus[]): void {
    const seen = new Set<string>();
    for (const s of statuses) {
      const name = sessionStateName(this.#options.node, s.peerAddress);
      seen.add(name);
      this.session(s);
    }
    for (const name of [...this.#wanted.keys()]) {
      if (seen.has(name)) continue;
      this.#wanted.delete(name);
      this.queue.set(name, undefined);
    }
  }

  /** One session changed (a state change): its object is written if what it says changed. */
  session(s: SessionStatus): void {
    const name = sessionStateName(this.#options.node, s.peerAddress);
    const status = sessionStateStatus(this.#options.node, s);
    const text = canonical(status);
    if (this.#wanted.get(name) === text) return;
    this.#wanted.set(name, text);
    this.queue.set(name, { peer: s.peerAddress, status });
  }

  async #adopt(): Promise<void> {
    const q = this.#options.queue ?? {};
    const items = await listUntilDone(this.#objects, this.#options.node, this.#options.logger, () => this.#closed, q.initialBackoffMs ?? 500, q.maxBackoffMs ?? 30_000);
    if (items === undefined) return;
    for (const item of items) {
      const known = knownOf(item);
      if (!known || labelsOf(item)[LABEL_NODE] !== this.#options.node) continue;
      this.#known.set(known.name, known);
      if (!this.#wanted.has(known.name)) this.queue.set(known.name, undefined);
    }
    this.queue.resume();
  }

  async #write(name: string, desired: { readonly peer: string; readonly status: Obj } | undefined): Promise<void> {
    const known = this.#known.get(name);
    if (desired === undefined) {
      if (known) await this.#objects.delete(name);
      this.#known.delete(name);
      return;
    }
    const labels = { [LABEL_NODE]: this.#options.node, [LABEL_PEER]: peerLabel(desired.peer) };
    this.#known.set(name, await writeObject(this.#objects, known, { name }, labels, desired.status));
  }

  close(): void {
    this.#closed = true;
    this.queue.close();
  }
}

/** The speaker's ConfigurationState `speaker-<node>` (MetalLB 0.15.3's shape). */
export class ConfigurationStateWriter {
  readonly #options: StatusWriterOptions;
  readonly #objects: StatusObjects;
  readonly queue: WriteQueue<Obj>;
  readonly #name: string;
  #known: Known | undefined;
  #last: string | undefined;

  constructor(options: StatusWriterOptions) {
    this.#options = options;
    this.#name = `speaker-${options.node}`;
    this.#objects = new StatusObjects(options.api, options.namespace, 'ConfigurationState', 'configurationstates');
    this.queue = new WriteQueue<Obj>({ ...options.queue, logger: options.logger, what: 'ConfigurationState', write: (_key, status) => this.#write(status) });
    this.queue.resume();
  }

  /** The configuration's state: valid, or the errors of the build that failed (the last good one runs). */
  report(errors: readonly string[]): void {
    const status: Obj = errors.length === 0 ? { result: 'Valid', errorSummary: '' } : { result: 'Invalid', errorSummary: errors.join('\n') };
    const text = canonical(status);
    if (text === this.#last) return;
    this.#last = text;
    this.queue.set(this.#name, status);
  }

  async #write(status: Obj | undefined): Promise<void> {
    if (status === undefined) return;
    if (this.#known === undefined) {
      const have = await this.#objects.get(this.#name);
      if (have) this.#known = knownOf(have);
    }
    const labels = { 'metallb.io/component-type': 'speaker', 'metallb.io/node-name': this.#options.node };
    this.#known = await writeObject(this.#objects, this.#known, { name: this.#name }, labels, status);
  }

  close(): void {
    this.queue.close();
  }
}
