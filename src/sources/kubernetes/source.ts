/**
 * The Kubernetes API server as a source of object changes: one list-and-watch loop per watched
 * resource (`list-watch.ts`), their changes delivered as `ChangeBatch`es (`src/model/cluster.ts`).
 *
 * Invariants:
 * - The first batch holds the first complete list of every watched resource (and any event that came
 *   meanwhile), so nothing is planned from a partial cluster. It is delivered once, when the last
 *   resource has been listed.
 * - Later changes are delivered as they come, without debounce: the changes received in one turn of
 *   the event loop (one chunk of a watch stream, one relist) make one batch, delivered on the next
 *   turn.
 * - While the API server cannot be reached nothing is deleted: each resource keeps what it passed on
 *   and retries with backoff. The loss is logged once (`k8sConnectionLost`, with the first error),
 *   the recovery once (`k8sConnectionRestored`), in MetalLB's log shape.
 * - Invalid objects are `invalid` changes (the pipeline keeps their last good version and reports
 *   them); validation warnings are logged once per object version.
 */
import type { ChangeBatch, ObjectChange, ObjectIssue } from '../../model/cluster.js';
import type { Logger } from '../../observe/log.js';
import type { KubeApi } from './client.js';
import { ListWatch } from './list-watch.js';
import type { ListWatchTiming } from './list-watch.js';
import { ALL_KINDS, resourceOf } from './resources.js';
import type { WatchedKind } from './resources.js';

export interface KubernetesSourceOptions {
  readonly api: KubeApi;
  /** The MetalLB namespace: its ConfigMap `config`, its Secrets and its `metallb.io` objects are read. */
  readonly namespace: string;
  /** The kinds watched (default: all of them; the controller leaves out EndpointSlices). */
  readonly kinds?: readonly WatchedKind[];
  readonly logger: Logger;
  /** Receives every batch, in order. */
  readonly onBatch: (batch: ChangeBatch) => void;
  readonly timing?: ListWatchTiming;
}

/** The server's reachability, as the source saw it last. */
export type Reachability = 'unknown' | 'reachable' | 'unreachable';

/** The Kubernetes source; see the module header. */
export class KubernetesSource {
  readonly #options: KubernetesSourceOptions;
  readonly #loops: ListWatch[];
  readonly #abort = new AbortController();
  readonly #running: Promise<void>[] = [];
  /** Changes not delivered yet. */
  #pending: ObjectChange[] = [];
  #flushScheduled = false;
  #unsynced: number;
  #firstDelivered = false;
  /** Resources whose last request failed. */
  readonly #failing = new Set<WatchedKind>();
  #lost = false;
  #reachability: Reachability = 'unknown';
  readonly #synced: Promise<void>;
  #resolveSynced!: () => void;
  #started = false;

  constructor(options: KubernetesSourceOptions) {
    this.#options = options;
    const kinds = options.kinds ?? ALL_KINDS;
    // In ALL_KINDS order (configuration first), whatever order they were given in.
    const ordered = ALL_KINDS.filter((k) => kinds.includes(k));
    this.#loops = ordered.map((kind) => new ListWatch(resourceOf(kind, options.namespace), options.api, this.#sinkFor(kind), options.timing ?? {}));
    this.#unsynced = this.#loops.length;
    this.#synced = new Promise((resolve) => (this.#resolveSynced = resolve));
  }

  /** Resolves once the first batch (every resource listed) has been delivered. */
  get synced(): Promise<void> {
    return this.#synced;
  }

  /** Whether the first batch has been delivered. */
  get isSynced(): boolean {
    return this.#firstDelivered;
  }

  /** The server's reachability as last seen. */
  get reachability(): Reachability {
    return this.#reachability;
  }

  /** The resourceVersion each resource's watch resumes from (for tests and status). */
  resourceVersions(): ReadonlyMap<WatchedKind, string | undefined> {
    return new Map(this.#loops.map((l) => [l.spec.kind, l.resourceVersion]));
  }

  /** Starts every resource's loop. */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    if (this.#loops.length === 0) this.#deliverFirst();
    for (const loop of this.#loops) {
      this.#running.push(
        loop.run(this.#abort.signal).catch((err: unknown) => {
          this.#options.logger.error('k8sWatchStopped', 'a watch loop stopped unexpectedly', { kind: loop.spec.kind, error: err instanceof Error ? err.message : String(err) });
        }),
      );
    }
  }

  /** Stops every loop; nothing is delivered afterwards. */
  async close(): Promise<void> {
    this.#abort.abort();
    await Promise.all(this.#running);
    this.#pending = [];
  }

  #sinkFor(kind: WatchedKind): ConstructorParameters<typeof ListWatch>[2] {
    const log = this.#options.logger;
    return {
      changes: (changes) => {
        for (const c of changes) this.#pending.push(c);
        if (this.#firstDelivered) this.#scheduleFlush();
      },
      warnings: (issues: readonly ObjectIssue[]) => {
        for (const w of issues) log.warn('objectWarning', w.message, { kind, object: w.object, path: w.path, rule: w.rule });
      },
      synced: () => {
        this.#unsynced--;
        if (this.#unsynced === 0) this.#deliverFirst();
      },
      succeeded: () => {
        this.#failing.delete(kind);
        if (this.#failing.size > 0) return;
        this.#reachability = 'reachable';
        if (this.#lost) {
          this.#lost = false;
          log.info('k8sConnectionRestored', 'connection to the API server restored; catching up from the last resourceVersion', { server: this.#serverText() });
        }
      },
      failed: (op, error) => {
        const first = this.#failing.size === 0;
        this.#failing.add(kind);
        this.#reachability = 'unreachable';
        if (first && !this.#lost) {
          this.#lost = true;
          log.error('k8sConnectionLost', 'cannot reach the API server; keeping the last known objects and announcements, retrying', { op, kind, error: error.message, server: this.#serverText() });
        } else {
          log.debug('k8sRetry', 'API server request failed, retrying', { op, kind, error: error.message });
        }
      },
      expired: () => {
        log.info('k8sRelist', 'watch history expired (410 Gone); listing again and passing on only the difference', { kind });
      },
      missing: () => {
        log.warn('k8sResourceMissing', 'the API server does not serve this resource (CRD not installed?); treating it as empty and checking again later', { kind });
      },
    };
  }

  #serverText(): string | undefined {
    const server = (this.#options.api as { server?: unknown }).server;
    return typeof server === 'string' ? server : undefined;
  }

  #deliverFirst(): void {
    if (this.#firstDelivered) return;
    this.#firstDelivered = true;
    const changes = this.#pending;
    this.#pending = [];
    if (!this.#abort.signal.aborted) this.#options.onBatch({ changes });
    this.#resolveSynced();
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    setImmediate(() => {
      this.#flushScheduled = false;
      if (this.#pending.length === 0 || this.#abort.signal.aborted) return;
      const changes = this.#pending;
      this.#pending = [];
      this.#options.onBatch({ changes });
    });
  }
}
