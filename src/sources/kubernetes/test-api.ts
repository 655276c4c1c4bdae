/**
 * Test-only: an in-memory `KubeApi` with the API server's list and watch semantics (resourceVersions,
 * paging with `continue`, a bounded watch history that answers 410 Gone, bookmarks), and switches
 * for faults: drop every watch, expire the history, refuse connections. For the source's unit tests;
 * the end-to-end tests use kdouble's HTTP double.
 */
import type { ApiResponse, KubeApi, RequestOptions, WatchOptions } from './client.js';

type Obj = Record<string, unknown>;

interface Stored {
  readonly path: string;
  readonly object: Obj;
}

interface Watcher {
  readonly path: string;
  readonly options: WatchOptions;
  readonly end: (err?: Error) => void;
}

/** The error a connection to a stopped server fails with. */
function refused(): Error {
  return Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6443'), { code: 'ECONNREFUSED' });
}

/** See the module header. */
export class FakeKubeApi implements KubeApi {
  readonly server = 'http://fake';
  #rv = 100;
  /** Path -> key (`ns/name`) -> object. */
  readonly #store = new Map<string, Map<string, Stored>>();
  /** Events kept for watches to resume from: the oldest resourceVersion still in history. */
  #history: { rv: number; path: string; type: string; object: Obj }[] = [];
  #historyStart = 100;
  readonly #watchers = new Set<Watcher>();
  /** Paths answered 404. */
  readonly missing = new Set<string>();
  /** Whether requests fail as if the server were stopped. */
  down = false;
  /** Counters for assertions. */
  lists = 0;
  watches = 0;
  /** Continue tokens that are stale (answered 410). */
  expireContinue = false;

  /** Creates or replaces an object at the collection `path`; returns its resourceVersion. */
  put(path: string, object: Obj): string {
    const meta = (object['metadata'] ?? {}) as Obj;
    const key = `${String(meta['namespace'] ?? '')}/${String(meta['name'])}`;
    const collection = this.#collection(path);
    const existed = collection.has(key);
    const rv = String(++this.#rv);
    const stored = { ...object, metadata: { ...meta, resourceVersion: rv } };
    collection.set(key, { path, object: stored });
    this.#publish(path, existed ? 'MODIFIED' : 'ADDED', stored);
    return rv;
  }

  /** Deletes an object. */
  remove(path: string, namespace: string | undefined, name: string): void {
    const collection = this.#collection(path);
    const key = `${namespace ?? ''}/${name}`;
    const had = collection.get(key);
    if (!had) return;
    collection.delete(key);
    const rv = String(++this.#rv);
    this.#publish(path, 'DELETED', { ...had.object, metadata: { ...(had.object['metadata'] as Obj), resourceVersion: rv } });
  }

  /** Changes the store without any watcher hearing of it, and forgets the history (as after compaction). */
  quietly(fn: () => void): void {
    const watchers = [...this.#watchers];
    this.#watchers.clear();
    fn();
    for (const w of watchers) this.#watchers.add(w);
    this.expireHistory();
  }

  /** Forgets the watch history: resuming from an older resourceVersion answers 410. */
  expireHistory(): void {
    this.#history = [];
    this.#historyStart = this.#rv;
  }

  /** Ends every open watch stream (as a dropped connection). */
  dropWatches(err?: Error): void {
    for (const w of [...this.#watchers]) w.end(err);
  }

  /** Sends a 410 ERROR event on every open watch. */
  sendGone(): void {
    for (const w of [...this.#watchers]) {
      try {
        w.options.onEvent({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired', message: 'too old resource version' } });
      } catch (err) {
        w.end(err instanceof Error ? err : new Error(String(err)));
      }
    }
  }

  /** Open watch streams. */
  get openWatches(): number {
    return this.#watchers.size;
  }

  #collection(path: string): Map<string, Stored> {
    let c = this.#store.get(path);
    if (!c) this.#store.set(path, (c = new Map()));
    return c;
  }

  #publish(path: string, type: string, object: Obj): void {
    const rv = Number((object['metadata'] as Obj)['resourceVersion']);
    this.#history.push({ rv, path, type, object });
    for (const w of [...this.#watchers]) {
      if (w.path !== path) continue;
      try {
        w.options.onEvent({ type, object });
      } catch (err) {
        w.end(err instanceof Error ? err : new Error(String(err)));
      }
    }
  }

  async request(method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse> {
    await Promise.resolve();
    if (this.down) throw refused();
    if (method !== 'GET') return { status: 405, body: { kind: 'Status', message: 'not supported by the fake' } };
    if (this.missing.has(path)) return { status: 404, body: { kind: 'Status', code: 404, reason: 'NotFound', message: 'the server could not find the requested resource' } };
    this.lists++;
    const query = options.query ?? {};
    const limit = typeof query['limit'] === 'number' ? query['limit'] : Infinity;
    const cont = typeof query['continue'] === 'string' ? query['continue'] : undefined;
    if (cont !== undefined && this.expireContinue) {
      this.expireContinue = false;
      return { status: 410, body: { kind: 'Status', code: 410, reason: 'Expired', message: 'continue token expired' } };
    }
    const fieldSelector = typeof query['fieldSelector'] === 'string' ? query['fieldSelector'] : undefined;
    let all = [...this.#collection(path).values()].map((s) => s.object);
    if (fieldSelector?.startsWith('metadata.name=')) {
      const name = fieldSelector.slice('metadata.name='.length);
      all = all.filter((o) => (o['metadata'] as Obj)['name'] === name);
    }
    // List items come without kind and apiVersion, as from the API server.
    const items = all.map((o) => {
      const { kind: _k, apiVersion: _a, ...rest } = o;
      void _k;
      void _a;
      return rest;
    });
    const start = cont !== undefined ? Number(cont) : 0;
    const page = items.slice(start, start + limit);
    const next = start + limit < items.length ? String(start + limit) : undefined;
    return { status: 200, body: { kind: 'List', metadata: { resourceVersion: String(this.#rv), ...(next ? { continue: next } : {}) }, items: page } };
  }

  async watch(path: string, options: WatchOptions): Promise<void> {
    await Promise.resolve();
    if (this.down) throw refused();
    this.watches++;
    const from = Number(options.query?.['resourceVersion'] ?? 0);
    if (from < this.#historyStart) {
      // Expired: the API server answers the watch with a 410 ERROR event.
      options.onOpen?.();
      options.onEvent({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired', message: 'too old resource version' } });
      return;
    }
    return new Promise<void>((resolve, reject) => {
      let done = false;
      const watcher: Watcher = {
        path,
        options,
        end: (err) => {
          if (done) return;
          done = true;
          this.#watchers.delete(watcher);
          options.signal.removeEventListener('abort', onAbort);
          if (err) reject(err);
          else resolve();
        },
      };
      const onAbort = (): void => watcher.end();
      options.signal.addEventListener('abort', onAbort);
      options.onOpen?.();
      try {
        for (const e of this.#history) if (e.path === path && e.rv > from) options.onEvent({ type: e.type, object: e.object });
      } catch (err) {
        done = true;
        options.signal.removeEventListener('abort', onAbort);
        reject(err instanceof Error ? err : new Error(String(err)));
        return;
      }
      this.#watchers.add(watcher);
    });
  }
}
