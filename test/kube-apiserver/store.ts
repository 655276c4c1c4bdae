/**
 * The double's etcd: objects by storage (group/resource) and key (`namespace/name`), one global
 * resourceVersion counter bumped by every write (as etcd's revision), and a bounded history of
 * change events that watches replay from. Objects are held as JSON text without apiVersion/kind
 * (the version is the request's) plus their labels, so a list or watch writes text and never
 * re-serializes; a handler parses the text when it needs the object.
 *
 * Invariants: every event in `history` has a resourceVersion greater than `historyStart`, and every
 * change after `historyStart` is in `history` (so a watch from a resourceVersion at or after it
 * misses nothing); `tooOldBelow` <= `historyStart` + 1 unless a test expired the history.
 *
 * With a data file, every change is appended to it as a JSON line (flushed at the end of the tick
 * and on close), and the file is compacted when the store opens it, so a restart keeps objects and
 * the resourceVersion counter.
 */
import { appendFileSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

/** One stored object. */
export interface Entry {
  readonly namespace: string;
  readonly name: string;
  readonly rv: number;
  /** The object as JSON without apiVersion and kind: `{"metadata":...}`. */
  readonly body: string;
  readonly labels: Readonly<Record<string, string>> | undefined;
}

/** A change, as a watch sends it. */
export interface StoredEvent {
  readonly rv: number;
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED';
  readonly storage: string;
  /** The object after the change (for DELETED, its last state with the deletion's resourceVersion). */
  readonly entry: Entry;
  /** The object before the change (MODIFIED, DELETED), for selector transitions. */
  readonly prev: Entry | undefined;
}

interface Bucket {
  readonly objects: Map<string, Entry>;
  /** Keys in etcd order (sorted), rebuilt lazily after an insert or delete. */
  sorted: string[] | undefined;
}

/** `namespace/name`, or `name` for cluster-scoped objects (etcd's key order). */
export function keyOf(namespace: string, name: string): string {
  return namespace === '' ? name : `${namespace}/${name}`;
}

/** Builds an entry from an object (with or without apiVersion/kind; they are dropped). */
export function entryOf(obj: Record<string, unknown>, rv: number): Entry {
  const { apiVersion: _a, kind: _k, ...rest } = obj;
  const meta = (rest['metadata'] ?? {}) as Record<string, unknown>;
  const labels = meta['labels'];
  return {
    namespace: typeof meta['namespace'] === 'string' ? meta['namespace'] : '',
    name: String(meta['name'] ?? ''),
    rv,
    body: JSON.stringify(rest),
    labels: typeof labels === 'object' && labels !== null ? (labels as Record<string, string>) : undefined,
  };
}

/** The options of a store. */
export interface StoreOptions {
  /** How many change events watches can replay (the watch cache's window). */
  readonly historySize: number;
  /** Where to persist objects and the counter; none keeps them in memory only. */
  readonly dataFile?: string;
}

/** The object store with its resourceVersion counter and change history. */
export class Store {
  private counter = 0;
  private readonly buckets = new Map<string, Bucket>();
  private readonly history: Array<StoredEvent | undefined>;
  private historyHead = 0; // index of the oldest event
  private historyLength = 0;
  /** Every change with a resourceVersion above this is in the history. */
  historyStart = 0;
  /** Watches and continue tokens from a resourceVersion below this get 410 Gone (a test's expiry). */
  tooOldBelow = 0;
  private readonly listeners = new Set<(ev: StoredEvent) => void>();
  private pending: string[] = [];
  private flushScheduled = false;

  constructor(private readonly options: StoreOptions) {
    this.history = new Array<StoredEvent | undefined>(Math.max(1, options.historySize));
    if (options.dataFile !== undefined && existsSync(options.dataFile)) this.load(options.dataFile);
    this.historyStart = this.counter;
    if (options.dataFile !== undefined) this.compact(options.dataFile);
  }

  /** The current resourceVersion (the last write's). */
  get resourceVersion(): number {
    return this.counter;
  }

  /** Takes the next resourceVersion for a write. */
  nextResourceVersion(): number {
    this.counter += 1;
    return this.counter;
  }

  /** The object at a key, if any. */
  get(storage: string, key: string): Entry | undefined {
    return this.buckets.get(storage)?.objects.get(key);
  }

  /** Every entry of a storage in key order (optionally from a key on, exclusive of none). */
  sortedKeys(storage: string): readonly string[] {
    const b = this.buckets.get(storage);
    if (b === undefined) return [];
    if (b.sorted === undefined) {
      b.sorted = Array.from(b.objects.keys());
      b.sorted.sort();
    }
    return b.sorted;
  }

  /** How many objects a storage holds. */
  count(storage: string): number {
    return this.buckets.get(storage)?.objects.size ?? 0;
  }

  /** Entries of a storage in insertion order (cheap iteration when order does not matter). */
  entries(storage: string): IterableIterator<Entry> {
    return (this.buckets.get(storage)?.objects ?? new Map<string, Entry>()).values();
  }

  private bucket(storage: string): Bucket {
    let b = this.buckets.get(storage);
    if (b === undefined) {
      b = { objects: new Map(), sorted: undefined };
      this.buckets.set(storage, b);
    }
    return b;
  }

  /** Stores an entry (created or modified) and emits its event. */
  put(storage: string, entry: Entry): StoredEvent {
    const b = this.bucket(storage);
    const key = keyOf(entry.namespace, entry.name);
    const prev = b.objects.get(key);
    if (prev === undefined) b.sorted = undefined;
    b.objects.set(key, entry);
    this.persist(JSON.stringify({ s: storage, k: key, rv: entry.rv, b: entry.body }));
    return this.emit({ rv: entry.rv, type: prev === undefined ? 'ADDED' : 'MODIFIED', storage, entry, prev });
  }

  /** Removes an object; `last` is its final state with the deletion's resourceVersion. */
  remove(storage: string, last: Entry): StoredEvent | undefined {
    const b = this.buckets.get(storage);
    const key = keyOf(last.namespace, last.name);
    const prev = b?.objects.get(key);
    if (b === undefined || prev === undefined) return undefined;
    b.objects.delete(key);
    b.sorted = undefined;
    this.persist(JSON.stringify({ s: storage, k: key, rv: last.rv, d: 1 }));
    return this.emit({ rv: last.rv, type: 'DELETED', storage, entry: last, prev });
  }

  /** Drops a whole storage (a CRD's objects once each was deleted). */
  dropStorage(storage: string): void {
    this.buckets.delete(storage);
  }

  private emit(ev: StoredEvent): StoredEvent {
    const cap = this.history.length;
    if (this.historyLength === cap) {
      const oldest = this.history[this.historyHead];
      if (oldest !== undefined) this.historyStart = oldest.rv;
      this.historyHead = (this.historyHead + 1) % cap;
      this.historyLength--;
    }
    this.history[(this.historyHead + this.historyLength) % cap] = ev;
    this.historyLength++;
    for (const l of this.listeners) l(ev);
    return ev;
  }

  /** The events after a resourceVersion, oldest first (the caller checked it is within the window). */
  *eventsAfter(rv: number): Generator<StoredEvent> {
    const cap = this.history.length;
    for (let i = 0; i < this.historyLength; i++) {
      const ev = this.history[(this.historyHead + i) % cap];
      if (ev !== undefined && ev.rv > rv) yield ev;
    }
  }

  /** The oldest resourceVersion a watch may start from without 410 Gone. */
  get oldestWatchable(): number {
    return Math.max(this.historyStart, this.tooOldBelow);
  }

  /**
   * Forgets the history, as an etcd compaction at the current revision: every resourceVersion older
   * than the current one becomes too old; the current one (what a list returns now) stays watchable.
   */
  expireHistory(): void {
    for (let i = 0; i < this.history.length; i++) this.history[i] = undefined;
    this.historyHead = 0;
    this.historyLength = 0;
    this.historyStart = this.counter;
    this.tooOldBelow = this.counter;
  }

  /** Calls `l` for every change from now on; returns the unsubscribe function. */
  subscribe(l: (ev: StoredEvent) => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  private persist(line: string): void {
    if (this.options.dataFile === undefined) return;
    this.pending.push(line);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Writes the pending changes to the data file. */
  flush(): void {
    this.flushScheduled = false;
    if (this.options.dataFile === undefined || this.pending.length === 0) return;
    const text = `${this.pending.join('\n')}\n`;
    this.pending = [];
    appendFileSync(this.options.dataFile, text);
  }

  private load(file: string): void {
    const text = readFileSync(file, 'utf8');
    let lineNo = 0;
    for (const line of text.split('\n')) {
      lineNo++;
      if (line.trim() === '') continue;
      let rec: { s?: string; k?: string; rv?: number; b?: string; d?: number; counter?: number };
      try {
        rec = JSON.parse(line) as typeof rec;
      } catch {
        // A line cut by a crash mid-write can only be the last one: stop there.
        if (lineNo < text.split('\n').length - 1) throw new Error(`${file}:${lineNo}: not a JSON line`);
        break;
      }
      if (typeof rec.counter === 'number') this.counter = Math.max(this.counter, rec.counter);
      if (rec.s === undefined || rec.k === undefined || typeof rec.rv !== 'number') continue;
      this.counter = Math.max(this.counter, rec.rv);
      const b = this.bucket(rec.s);
      if (rec.d === 1) b.objects.delete(rec.k);
      else if (rec.b !== undefined) b.objects.set(rec.k, entryOf({ ...(JSON.parse(rec.b) as Record<string, unknown>) }, rec.rv));
      b.sorted = undefined;
    }
  }

  /** Rewrites the data file as one line per live object (CRDs first) plus the counter. */
  private compact(file: string): void {
    const lines: string[] = [JSON.stringify({ counter: this.counter })];
    const storages = Array.from(this.buckets.keys()).sort((a, b) => Number(b.startsWith('apiextensions.k8s.io/')) - Number(a.startsWith('apiextensions.k8s.io/')));
    for (const s of storages) {
      for (const [k, e] of this.bucket(s).objects) lines.push(JSON.stringify({ s, k, rv: e.rv, b: e.body }));
    }
    writeFileSync(`${file}.tmp`, `${lines.join('\n')}\n`);
    renameSync(`${file}.tmp`, file);
  }

  /** Flushes and records the counter (so a restart continues after the last resourceVersion). */
  close(): void {
    if (this.options.dataFile === undefined) return;
    this.pending.push(JSON.stringify({ counter: this.counter }));
    this.flush();
  }

  /** Every storage name (for tests and persistence). */
  storages(): string[] {
    return Array.from(this.buckets.keys());
  }
}
