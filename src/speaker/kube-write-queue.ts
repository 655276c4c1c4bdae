/**
 * The speaker's writes to the API server, off the announcement path: a queue that holds, per object,
 * only the latest desired state (a burst of changes to one object is one write), runs a few writes
 * at a time, and while the API server fails (unreachable, 5xx, 429) holds everything back with an
 * exponential backoff instead of hammering it. `set` never waits and never throws, so the runtime
 * announces at its own pace whatever the API server does.
 *
 * A write that the server refuses for good (400, 403, 422: a schema or RBAC problem that retrying
 * cannot fix) is logged and dropped; the next change of that object tries again.
 */
import type { Logger } from '../observe/log.js';
import { KubeApiError } from '../sources/kubernetes/client.js';

export interface WriteQueueOptions<D> {
  /** Brings the object `key` to `desired` (undefined: absent). Throws to be retried. */
  readonly write: (key: string, desired: D | undefined) => Promise<void>;
  readonly logger: Logger;
  /** What is written, for logs (`ServiceBGPStatus`). */
  readonly what: string;
  /** Writes at a time. Default 4. */
  readonly concurrency?: number;
  /** First delay after a failure, ms; doubles up to `maxBackoffMs`. Default 500. */
  readonly initialBackoffMs?: number;
  /** Default 30 000. */
  readonly maxBackoffMs?: number;
}

/** Whether an error is worth retrying: the server unreachable or failing, not refusing the object. */
export function isRetryable(err: unknown): boolean {
  if (!(err instanceof KubeApiError)) return true;
  return err.status >= 500 || err.status === 429 || err.status === 409 || err.status === 0;
}

/** See the module header. */
export class WriteQueue<D> {
  readonly #options: WriteQueueOptions<D>;
  readonly #concurrency: number;
  /** Keys waiting, with their latest desired state, in the order first set. */
  readonly #pending = new Map<string, { desired: D | undefined }>();
  readonly #inFlight = new Set<string>();
  #paused = true;
  #closed = false;
  #backoffMs: number;
  #retryTimer: NodeJS.Timeout | undefined;
  #failing = false;
  #idleWaiters: (() => void)[] = [];
  /** Writes done (for tests and metrics). */
  writes = 0;
  failures = 0;

  constructor(options: WriteQueueOptions<D>) {
    this.#options = options;
    this.#concurrency = options.concurrency ?? 4;
    this.#backoffMs = options.initialBackoffMs ?? 500;
  }

  /** Wants `key` in the state `desired` (undefined: absent). Never waits. */
  set(key: string, desired: D | undefined): void {
    if (this.#closed) return;
    const have = this.#pending.get(key);
    if (have) have.desired = desired;
    else this.#pending.set(key, { desired });
    this.#pump();
  }

  /** Starts writing (a queue starts paused, so its owner can first read what exists). */
  resume(): void {
    this.#paused = false;
    this.#pump();
  }

  /** How many objects wait to be written (in flight included). */
  get backlog(): number {
    return this.#pending.size + this.#inFlight.size;
  }

  /** Resolves when nothing waits and nothing is in flight. */
  idle(): Promise<void> {
    if (this.backlog === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Stops writing; what waits is dropped. */
  close(): void {
    this.#closed = true;
    this.#pending.clear();
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#settle();
  }

  #pump(): void {
    if (this.#paused || this.#closed || this.#retryTimer !== undefined) return;
    for (const [key, entry] of this.#pending) {
      if (this.#inFlight.size >= this.#concurrency) break;
      if (this.#inFlight.has(key)) continue;
      this.#pending.delete(key);
      this.#inFlight.add(key);
      void this.#run(key, entry.desired);
    }
  }

  async #run(key: string, desired: D | undefined): Promise<void> {
    try {
      await this.#options.write(key, desired);
      this.writes++;
      this.#backoffMs = this.#options.initialBackoffMs ?? 500;
      if (this.#failing) {
        this.#failing = false;
        this.#options.logger.info('statusWritesResumed', `${this.#options.what} writes succeed again`, { what: this.#options.what });
      }
    } catch (err) {
      this.failures++;
      const message = err instanceof Error ? err.message : String(err);
      if (!this.#closed && isRetryable(err)) {
        // Retried with its latest desired state, after the backoff.
        if (!this.#pending.has(key)) this.#pending.set(key, { desired });
        if (!this.#failing) {
          this.#failing = true;
          this.#options.logger.error('statusWriteFailed', `cannot write ${this.#options.what}; retrying with backoff`, { what: this.#options.what, object: key, error: message });
        }
        this.#holdBack();
      } else if (!this.#closed) {
        this.#options.logger.error('statusWriteRefused', `the API server refused a ${this.#options.what} write`, { what: this.#options.what, object: key, error: message });
      }
    } finally {
      this.#inFlight.delete(key);
      this.#pump();
      this.#settle();
    }
  }

  #holdBack(): void {
    if (this.#retryTimer !== undefined) return;
    const max = this.#options.maxBackoffMs ?? 30_000;
    const delay = Math.round(this.#backoffMs * (0.8 + 0.4 * Math.random()));
    this.#backoffMs = Math.min(this.#backoffMs * 2, max);
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      this.#pump();
    }, delay);
    this.#retryTimer.unref();
  }

  #settle(): void {
    if (this.backlog > 0 && !this.#closed) return;
    for (const w of this.#idleWaiters.splice(0)) w();
  }
}
