/**
 * One node's speaker on manifests: the BGP `Speaker`, the runtime, and the manifest source. A reload
 * re-reads the files named (all of them when none is named) and applies only the objects that
 * changed. Reloads never overlap: files named while one runs are read right after it, once.
 */
import type { Speaker } from '../bgp/session/speaker.js';
import type { Logger } from '../observe/log.js';
import type { ChangeBatch } from '../model/cluster.js';
import { ManifestSource } from '../sources/manifests/source.js';
import { applyFirstBatch, startSpeakerRuntime } from './start.js';
import type { SpeakerRuntime } from './runtime.js';

export interface NodeSpeakerOptions {
  readonly node: string;
  readonly manifests: readonly string[];
  readonly logger: Logger;
  /** Also accept peers' connections here. */
  readonly listen?: { readonly host: string; readonly port: number };
  /** Called after every reload (for metrics): whether it applied, and the UPDATEs it caused. */
  readonly onReload?: (report: ReloadReport) => void;
  /** MetalLB's `--lb-class`. */
  readonly loadBalancerClass?: string;
  /**
   * Graceful shutdown (RFC 8326) of a peer that leaves this node (its node selectors, the
   * configuration): ms its routes stay with GRACEFUL_SHUTDOWN before the withdrawal. Default 0.
   */
  readonly drainMs?: number;
}

/** What one reload did (for the k8s-client metrics and the change-to-UPDATE latency). */
export interface ReloadReport {
  /** The manifests were read and applied, and the configuration is not stale. */
  readonly ok: boolean;
  /** Seconds from the reload being asked for to the manifests being applied. */
  readonly seconds: number;
  /**
   * Sessions that wrote UPDATEs while the snapshot was applied ("IP:PORT" labels), with the seconds
   * from the reload being asked for to those UPDATEs being handed to the socket.
   */
  readonly updates: readonly { readonly peer: string; readonly seconds: number }[];
}

export interface NodeSpeaker {
  readonly speaker: Speaker;
  readonly runtime: SpeakerRuntime;
  /**
   * Reads the files again (these, or all) and applies what changed; resolves when applied.
   * `seenAt` (`performance.now()`) is when the change was first noticed (the watcher's first event),
   * for the `manifestsApplied` debug line; default now.
   */
  reload(files?: readonly string[], seenAt?: number): Promise<void>;
  /**
   * Stops reloading and closes every session with Cease (administrative shutdown) and the listener.
   * With `drainMs` > 0 each Established session first re-announces its routes with GRACEFUL_SHUTDOWN
   * (RFC 8326) and keeps them that long, then withdraws them.
   */
  close(options?: { readonly drainMs?: number }): Promise<void>;
  /** Ends every drain now (the sessions withdraw and close at once): a second signal. */
  endDrains(): void;
}


/** Milliseconds to the microsecond, for a log line. */
function round3(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/** User and system CPU time of the process since `start`, in ms. */
function cpuMsSince(start: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(start);
  return (d.user + d.system) / 1000;
}

/** Starts the speaker of `options.node` and applies the manifests once. */
export async function startNodeSpeaker(options: NodeSpeakerOptions): Promise<NodeSpeaker> {
  const { logger } = options;
  const { speaker, port, runtime } = await startSpeakerRuntime({
    node: options.node,
    logger,
    ...(options.listen ? { listen: options.listen } : {}),
    ...(options.loadBalancerClass !== undefined ? { loadBalancerClass: options.loadBalancerClass } : {}),
    ...(options.drainMs !== undefined ? { drainMs: options.drainMs } : {}),
  });
  const source = new ManifestSource(options.manifests);

  let running: Promise<void> | undefined;
  /** Files to read on the next pass; `all` when every file is to be read. */
  let pending: Set<string> | 'all' | undefined;
  let closed = false;
  let drainsEnded = false;
  let started = false;
  /** When the reload now pending was first asked for, and when its change was first noticed, ms (monotonic). */
  let requestedAt = performance.now();
  let seenFirstAt = requestedAt;
  const updateCounts = (): Map<string, number> => new Map(speaker.status().map((x) => [x.peer, x.counters.messagesSent.update]));
  const apply = (batch: ChangeBatch): boolean => runtime.apply(batch).applied;
  const once = async (files: Set<string> | 'all', asked: number, seen: number): Promise<void> => {
    let ok = false;
    const updates: { peer: string; seconds: number }[] = [];
    try {
      const readAt = performance.now();
      const cpuAt = process.cpuUsage();
      const batch = !started ? await source.load() : await source.reload(files === 'all' ? undefined : [...files]);
      const readMs = performance.now() - readAt;
      if (!closed) {
        const before = updateCounts();
        if (!started) {
          started = true;
          ok = (await applyFirstBatch(runtime, batch, () => closed))?.applied ?? false;
        } else {
          ok = apply(batch);
        }
        const after = performance.now();
        for (const [peer, n] of updateCounts()) {
          const was = before.get(peer);
          if (was !== undefined && n > was) updates.push({ peer, seconds: (after - asked) / 1000 });
        }
        // Where the time of a change goes before the UPDATEs (written to the sockets within the apply):
        // noticed -> asked (the watcher's quiet time), asked -> read (behind a reload in flight), read, apply.
        logger.debug('manifestsApplied', 'manifests re-read and applied', {
          files: files === 'all' ? 'all' : files.size,
          changes: batch.changes.length,
          quietMs: round3(asked - seen),
          queuedMs: round3(readAt - asked),
          readMs: round3(readMs),
          applyMs: round3(after - readAt - readMs),
          // CPU time of the process (every thread) over the read and the apply: on a busy host the
          // wall time above is mostly waiting for a core when this is much smaller.
          cpuMs: round3(cpuMsSince(cpuAt)),
          updatesTo: updates.length,
          // CLOCK_MONOTONIC at the end of the apply: one clock for every process of the host, so a
          // benchmark can place these times against its own (the wall clock of `ts` may be slewed).
          monotonicMs: round3(Number(process.hrtime.bigint()) / 1e6),
        });
      }
    } catch (err) {
      logger.error('reloadFailed', 'failed to apply the manifests', { error: err instanceof Error ? err.message : String(err) });
    }
    // Every file has been read and applied once (what failed keeps nothing, and is reported): the
    // tables are complete, and the sessions send them and End-of-RIB (RFC 4724 §4.1).
    if (started && !closed) runtime.sourcesSynced();
    if (!closed) options.onReload?.({ ok, seconds: (performance.now() - asked) / 1000, updates });
  };
  const reload = (files?: readonly string[], seenAt?: number): Promise<void> => {
    if (pending === undefined) {
      requestedAt = performance.now();
      seenFirstAt = Math.min(seenAt ?? requestedAt, requestedAt);
    }
    if (files === undefined || pending === 'all') pending = 'all';
    else {
      pending ??= new Set();
      for (const f of files) pending.add(f);
    }
    if (running) return running;
    running = (async () => {
      while (pending !== undefined && !closed) {
        const files = pending;
        const asked = requestedAt;
        const seen = seenFirstAt;
        pending = undefined;
        await once(files, asked, seen);
      }
      running = undefined;
    })();
    return running;
  };

  await reload();
  return {
    speaker,
    runtime,
    reload,
    async close(closeOptions = {}) {
      closed = true;
      // A reload in flight finishes (it applies nothing once closed) before the sessions close.
      if (running) await running;
      await port.settled();
      // A second signal that came meanwhile (`endDrains`) leaves nothing to drain.
      await speaker.close(undefined, closeOptions.drainMs !== undefined && !drainsEnded ? { drainMs: closeOptions.drainMs } : {});
    },
    endDrains() {
      drainsEnded = true;
      speaker.endDrains();
    },
  };
}
