/**
 * List and watch one resource, as client-go's reflector does, and pass on object changes.
 *
 * - A list (paged, `limit`/`continue`) gives every object and the collection's resourceVersion; the
 *   watch then starts from that resourceVersion, with bookmarks, and every event moves it on.
 * - A watch that ends (the server's `timeoutSeconds`, a dropped connection) resumes from the last
 *   resourceVersion seen: no relist, nothing repeated.
 * - 410 Gone (the history expired: the watch's ERROR event, the watch request's status, or a stale
 *   `continue` token) relists, and passes on only the difference with what was passed on before:
 *   objects whose resourceVersion changed, and deletions of the objects that no longer exist. An
 *   object that still exists is never withdrawn.
 * - A failure (the server unreachable, 5xx, 403) retries with exponential backoff and changes
 *   nothing: what was passed on stays until the server says otherwise.
 * - A resource the server does not serve (404: a CRD not installed) has no objects; it is listed
 *   again every `missingRetryMs` so a CRD installed later is picked up.
 *
 * Memory: per object only its key and the resourceVersion passed on (the pipeline holds the objects).
 */
import type { ObjectChange, ObjectIssue } from '../../model/cluster.js';
import type { KubeApi } from './client.js';
import { KubeApiError } from './client.js';
import { convertObject, keyOfObject } from './convert.js';
import type { Converted } from './convert.js';
import { pipelineKindOf } from './resources.js';
import type { ResourceSpec } from './resources.js';

/** Timing of a resource's loop; the defaults suit a cluster, tests shorten them. */
export interface ListWatchTiming {
  /** First retry delay after a failure, ms (doubles up to `maxBackoffMs`). Default 500. */
  readonly initialBackoffMs?: number;
  /** Default 30 000. */
  readonly maxBackoffMs?: number;
  /** The server ends each watch after this many seconds (client-go picks 5-10 minutes). Default 300. */
  readonly watchTimeoutSeconds?: number;
  /** Objects per list page. Default 500. */
  readonly pageSize?: number;
  /** How often a resource the server does not serve is listed again, ms. Default 30 000. */
  readonly missingRetryMs?: number;
}

/** What a resource's loop reports to its source. */
export interface ListWatchSink {
  /** Changes to pass on, in order (one call per list, one per watch event). */
  changes(changes: readonly ObjectChange[]): void;
  /** Validation warnings of an object (reported once per version). */
  warnings(issues: readonly ObjectIssue[]): void;
  /** The first complete list is done (called once). */
  synced(): void;
  /** A request succeeded (the server is reachable again). */
  succeeded(): void;
  /** A list or watch failed; `op` names which. */
  failed(op: 'list' | 'watch', error: Error): void;
  /** The history expired (410): the resource is listed again. */
  expired(): void;
  /** The server does not serve the resource (404). */
  missing(): void;
}

/** Thrown inside the loop when the history expired: relist. */
class Gone extends Error {}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done);
  });
}

/** The loop of one resource; see the module header. */
export class ListWatch {
  readonly spec: ResourceSpec;
  readonly #api: KubeApi;
  readonly #sink: ListWatchSink;
  readonly #timing: Required<ListWatchTiming>;
  /** Key -> the resourceVersion of the version passed on. */
  readonly #versions = new Map<string, string>();
  /** Where the watch resumes; undefined: list first. */
  #resourceVersion: string | undefined;
  #synced = false;
  #backoffMs: number;

  constructor(spec: ResourceSpec, api: KubeApi, sink: ListWatchSink, timing: ListWatchTiming = {}) {
    this.spec = spec;
    this.#api = api;
    this.#sink = sink;
    this.#timing = {
      initialBackoffMs: timing.initialBackoffMs ?? 500,
      maxBackoffMs: timing.maxBackoffMs ?? 30_000,
      watchTimeoutSeconds: timing.watchTimeoutSeconds ?? 300,
      pageSize: timing.pageSize ?? 500,
      missingRetryMs: timing.missingRetryMs ?? 30_000,
    };
    this.#backoffMs = this.#timing.initialBackoffMs;
  }

  /** The resourceVersion the watch resumes from (undefined before the first list and after a 410). */
  get resourceVersion(): string | undefined {
    return this.#resourceVersion;
  }

  /** How many objects were passed on and not deleted. */
  get size(): number {
    return this.#versions.size;
  }

  /** Runs until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      let op: 'list' | 'watch' = 'list';
      try {
        if (this.#resourceVersion === undefined) {
          const served = await this.#list(signal);
          if (signal.aborted) break;
          if (!served) {
            await sleep(this.#timing.missingRetryMs, signal);
            continue;
          }
        }
        op = 'watch';
        const started = Date.now();
        let events = 0;
        await this.#watch(signal, () => events++);
        this.#backoffMs = this.#timing.initialBackoffMs;
        // A server that ends watches at once, again and again, is not spun on.
        if (events === 0 && Date.now() - started < 1000) await sleep(this.#timing.initialBackoffMs, signal);
      } catch (err) {
        if (signal.aborted) break;
        if (err instanceof Gone) {
          this.#resourceVersion = undefined;
          this.#sink.expired();
          continue;
        }
        this.#sink.failed(op, err instanceof Error ? err : new Error(String(err)));
        await sleep(this.#jittered(), signal);
        this.#backoffMs = Math.min(this.#backoffMs * 2, this.#timing.maxBackoffMs);
      }
    }
  }

  #jittered(): number {
    return Math.round(this.#backoffMs * (0.8 + 0.4 * Math.random()));
  }

  /**
   * Lists every object (page by page) and passes on the difference with what was passed on. Returns
   * false when the server does not serve the resource (its objects, if any were known, are deleted).
   */
  async #list(signal: AbortSignal): Promise<boolean> {
    // Staged until the list is complete: a list restarted (stale continue token) or failed changes nothing.
    const seen = new Map<string, string>();
    const changes: ObjectChange[] = [];
    const warnings: ObjectIssue[] = [];
    let continueToken: string | undefined;
    let resourceVersion: string | undefined;
    for (;;) {
      const query = {
        limit: this.#timing.pageSize,
        ...(continueToken !== undefined ? { continue: continueToken } : {}),
        ...(this.spec.fieldSelector !== undefined ? { fieldSelector: this.spec.fieldSelector } : {}),
      };
      const response = await this.#api.request('GET', this.spec.path, { query, signal });
      if (response.status === 410 && continueToken !== undefined) {
        // The continue token expired: the list starts again, whole.
        seen.clear();
        changes.length = 0;
        warnings.length = 0;
        continueToken = undefined;
        continue;
      }
      if (response.status === 404) {
        this.#sink.succeeded();
        this.#sink.missing();
        this.#commit(seen, changes, warnings);
        this.#resourceVersion = undefined;
        return false;
      }
      if (response.status !== 200) throw KubeApiError.of(response, `list ${this.spec.path}`);
      const body = isRecord(response.body) ? response.body : {};
      const meta = isRecord(body['metadata']) ? body['metadata'] : {};
      const items = Array.isArray(body['items']) ? body['items'] : [];
      for (const item of items) {
        if (!isRecord(item)) continue;
        const c = convertObject(this.spec, item);
        if (c === undefined) continue;
        seen.set(c.key, c.resourceVersion);
        if (this.#versions.get(c.key) === c.resourceVersion && c.resourceVersion !== '') continue;
        changes.push(c.change);
        for (const w of c.warnings) warnings.push(w);
      }
      const next = meta['continue'];
      if (typeof meta['resourceVersion'] === 'string') resourceVersion = meta['resourceVersion'];
      if (typeof next === 'string' && next !== '') {
        continueToken = next;
        continue;
      }
      break;
    }
    this.#sink.succeeded();
    this.#commit(seen, changes, warnings);
    this.#resourceVersion = resourceVersion ?? '';
    return true;
  }

  /** Takes a complete list as what was passed on: its changes, and deletions of the objects not in it. */
  #commit(seen: ReadonlyMap<string, string>, changes: ObjectChange[], warnings: readonly ObjectIssue[]): void {
    const kind = pipelineKindOf(this.spec.kind);
    for (const key of this.#versions.keys()) {
      if (!seen.has(key)) changes.push({ op: 'delete', kind, key });
    }
    this.#versions.clear();
    for (const [key, rv] of seen) this.#versions.set(key, rv);
    if (warnings.length > 0) this.#sink.warnings(warnings);
    if (changes.length > 0) this.#sink.changes(changes);
    if (!this.#synced) {
      this.#synced = true;
      this.#sink.synced();
    }
  }

  /** Watches from the last resourceVersion until the stream ends. */
  async #watch(signal: AbortSignal, counted: () => void): Promise<void> {
    const query = {
      resourceVersion: this.#resourceVersion,
      allowWatchBookmarks: true,
      timeoutSeconds: this.#timing.watchTimeoutSeconds,
      ...(this.spec.fieldSelector !== undefined ? { fieldSelector: this.spec.fieldSelector } : {}),
    };
    try {
      await this.#api.watch(this.spec.path, {
        query,
        signal,
        // A bookmark comes at least every minute or so from a real server; this is its grace.
        idleTimeoutMs: (this.#timing.watchTimeoutSeconds + 30) * 1000,
        onOpen: () => this.#sink.succeeded(),
        onEvent: (event) => {
          counted();
          this.#event(event.type, event.object);
        },
      });
    } catch (err) {
      if (err instanceof KubeApiError && err.status === 410) throw new Gone();
      throw err;
    }
  }

  #event(type: string, object: Readonly<Record<string, unknown>>): void {
    const meta = isRecord(object['metadata']) ? object['metadata'] : {};
    const rv = typeof meta['resourceVersion'] === 'string' ? meta['resourceVersion'] : undefined;
    switch (type) {
      case 'ADDED':
      case 'MODIFIED': {
        const c: Converted = convertObject(this.spec, object);
        if (c !== undefined && !(this.#versions.get(c.key) === c.resourceVersion && c.resourceVersion !== '')) {
          this.#versions.set(c.key, c.resourceVersion);
          if (c.warnings.length > 0) this.#sink.warnings(c.warnings);
          this.#sink.changes([c.change]);
        }
        break;
      }
      case 'DELETED': {
        const key = keyOfObject(this.spec, object);
        if (key !== undefined && this.#versions.delete(key)) this.#sink.changes([{ op: 'delete', kind: pipelineKindOf(this.spec.kind), key }]);
        break;
      }
      case 'BOOKMARK':
        break;
      case 'ERROR': {
        const code = object['code'];
        if (code === 410) throw new Gone();
        const message = typeof object['message'] === 'string' ? object['message'] : 'watch error';
        throw new KubeApiError(typeof code === 'number' ? code : 500, `watch ${this.spec.path}: ${message}`, typeof object['reason'] === 'string' ? object['reason'] : undefined);
      }
      default:
        return;
    }
    if (rv !== undefined) this.#resourceVersion = rv;
  }
}
