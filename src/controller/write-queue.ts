/**
 * The controller's write queue: one entry per object to write, coalesced (an object marked again
 * while it waits is written once, with what is wanted when its turn comes, not a backlog of old
 * versions), a bounded number of writes in flight, and backoff while the API server is unreachable.
 *
 * The queue knows keys only; `perform(key)` computes what to write at the moment it runs, so a write
 * always carries the latest wanted state. An object marked while its write is in flight is written
 * again after it. Failures are classified by `classify`:
 * - `unavailable` (connection refused, timeouts, 5xx, 429): the API server is down or overloaded. The
 *   whole queue pauses, with exponential backoff (from `initialBackoffMs`, doubling, capped at
 *   `maxBackoffMs`), and the key is tried again first; the first success resets the backoff.
 * - `rejected` (another 4xx): this object's write is refused; it is tried again on its own after its
 *   own backoff (same bounds), and the rest of the queue goes on.
 * Conflicts (409) are the performer's to retry on fresh data; one it gives up on counts as `rejected`.
 *
 * `clear()` drops everything waiting (a controller that lost its lease stops writing at once); writes
 * already in flight finish, and their outcome no longer schedules anything.
 */

/** Timers, injectable so tests drive time. */
export interface QueueClock {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realClock: QueueClock = {
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export type FailureKind = 'unavailable' | 'rejected';

export interface WriteQueueOptions {
  /** Writes the object `key` (computing what to write now). Resolves when done or nothing to do. */
  readonly perform: (key: string) => Promise<void>;
  readonly classify: (err: unknown) => FailureKind;
  /** Called for every failed write (for logs and the error counter). */
  readonly onFailure?: (key: string, err: unknown, kind: FailureKind, retryInMs: number) => void;
  readonly concurrency?: number;
  readonly initialBackoffMs?: number;
  readonly maxBackoffMs?: number;
  readonly clock?: QueueClock;
}

/** See the module header. */
export class WriteQueue {
  readonly #o: Required<Omit<WriteQueueOptions, 'onFailure'>> & Pick<WriteQueueOptions, 'onFailure'>;
  /** Keys waiting, in order (a Set keeps insertion order and coalesces). */
  #pending = new Set<string>();
  /** Keys waiting at low priority: taken only when no other key waits. */
  #pendingLow = new Set<string>();
  /** Which keys are low priority (kept across retries). */
  readonly #low = new Set<string>();
  readonly #inFlight = new Set<string>();
  /** Keys marked again while in flight. */
  readonly #again = new Set<string>();
  /** Keys waiting for their own backoff, with their timer and current delay. */
  readonly #delayed = new Map<string, { handle: unknown; delayMs: number }>();
  readonly #keyBackoff = new Map<string, number>();
  #pausedUntilTimer: unknown;
  #globalBackoffMs = 0;
  /** Incremented at every pause: a success resets the backoff only if its write started after it. */
  #pauseEpoch = 0;
  /** Normal-priority keys in flight (low-priority keys wait for them). */
  #inFlightNormal = 0;
  /** Incremented by `clear`, so the outcome of a write started before it is ignored. */
  #generation = 0;
  #idleWaiters: (() => void)[] = [];
  /** Writes done and failed, for metrics. */
  written = 0;
  failed = 0;

  constructor(options: WriteQueueOptions) {
    this.#o = {
      concurrency: 32,
      initialBackoffMs: 500,
      maxBackoffMs: 30_000,
      clock: realClock,
      ...options,
    };
  }

  /** Keys waiting or in flight. */
  get size(): number {
    return this.#pending.size + this.#pendingLow.size + this.#inFlight.size + this.#delayed.size;
  }

  /** Whether the queue is paused by a backoff after the API server was unreachable. */
  get backingOff(): boolean {
    return this.#pausedUntilTimer !== undefined;
  }

  /**
   * Marks `key` to be written. A `low` priority key (an Event) is taken only when no other waits, so
   * the objects' own writes go first.
   */
  enqueue(key: string, priority: 'normal' | 'low' = 'normal'): void {
    if (priority === 'low') this.#low.add(key);
    if (this.#inFlight.has(key)) {
      this.#again.add(key);
      return;
    }
    if (this.#delayed.has(key)) return; // written when its backoff ends, with what is wanted then
    this.#wait(key);
    this.#pump();
  }

  #wait(key: string): void {
    if (this.#low.has(key)) this.#pendingLow.add(key);
    else this.#pending.add(key);
  }

  /** Drops every waiting write; in-flight ones finish and schedule nothing. */
  clear(): void {
    this.#generation++;
    this.#pending = new Set();
    this.#pendingLow = new Set();
    this.#low.clear();
    this.#again.clear();
    for (const d of this.#delayed.values()) this.#o.clock.clearTimeout(d.handle);
    this.#delayed.clear();
    this.#keyBackoff.clear();
    if (this.#pausedUntilTimer !== undefined) this.#o.clock.clearTimeout(this.#pausedUntilTimer);
    this.#pausedUntilTimer = undefined;
    this.#globalBackoffMs = 0;
    this.#checkIdle();
  }

  /** Resolves once nothing waits or is in flight (a delayed retry counts as waiting). */
  idle(): Promise<void> {
    if (this.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  #checkIdle(): void {
    if (this.size !== 0) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const w of waiters) w();
  }

  #pump(): void {
    while (this.#pausedUntilTimer === undefined && this.#inFlight.size < this.#o.concurrency) {
      // Low priority only once no other write waits or runs (an Event after its object's write).
      const from = this.#pending.size > 0 ? this.#pending : this.#pendingLow.size > 0 && this.#inFlightNormal === 0 ? this.#pendingLow : undefined;
      if (!from) break;
      const key = from.values().next().value as string;
      from.delete(key);
      this.#start(key);
    }
    this.#checkIdle();
  }

  #start(key: string): void {
    const generation = this.#generation;
    const epoch = this.#pauseEpoch;
    const normal = !this.#low.has(key);
    if (normal) this.#inFlightNormal++;
    this.#inFlight.add(key);
    this.#o.perform(key).then(
      () => this.#finished(key, normal, generation, epoch, undefined),
      (err: unknown) => this.#finished(key, normal, generation, epoch, err),
    );
  }

  #finished(key: string, normal: boolean, generation: number, epoch: number, err: unknown): void {
    this.#inFlight.delete(key);
    if (normal) this.#inFlightNormal--;
    if (generation !== this.#generation) {
      this.#again.delete(key);
      this.#checkIdle();
      return;
    }
    const again = this.#again.delete(key);
    if (err === undefined) {
      this.written++;
      if (epoch === this.#pauseEpoch) this.#globalBackoffMs = 0;
      this.#keyBackoff.delete(key);
      if (again) this.#wait(key);
      else this.#low.delete(key);
      this.#pump();
      return;
    }
    this.failed++;
    const kind = this.#o.classify(err);
    if (kind === 'unavailable') {
      // The writes in flight when the server went away all fail: one pause, one doubling.
      if (this.#pausedUntilTimer === undefined) {
        this.#pauseEpoch++;
        this.#globalBackoffMs = this.#globalBackoffMs === 0 ? this.#o.initialBackoffMs : Math.min(this.#globalBackoffMs * 2, this.#o.maxBackoffMs);
      }
      this.#o.onFailure?.(key, err, kind, this.#globalBackoffMs);
      // Tried again first when the pause ends.
      const rest = this.#pending;
      this.#pending = new Set([key]);
      for (const k of rest) this.#pending.add(k);
      this.#low.delete(key);
      if (this.#pausedUntilTimer === undefined) {
        this.#pausedUntilTimer = this.#o.clock.setTimeout(() => {
          this.#pausedUntilTimer = undefined;
          this.#pump();
        }, this.#globalBackoffMs);
      }
      return;
    }
    const delayMs = Math.min((this.#keyBackoff.get(key) ?? this.#o.initialBackoffMs / 2) * 2, this.#o.maxBackoffMs);
    this.#keyBackoff.set(key, delayMs);
    this.#o.onFailure?.(key, err, kind, delayMs);
    const handle = this.#o.clock.setTimeout(() => {
      this.#delayed.delete(key);
      this.#wait(key);
      this.#pump();
    }, delayMs);
    this.#delayed.set(key, { handle, delayMs });
    this.#pump();
  }
}
