/**
 * One node's speaker on manifests: the BGP `Speaker`, the runtime, and reloads that read the files
 * again and apply the snapshot. Reloads never overlap: one that is asked for while another runs is
 * done once right after it (the files are read again then, so nothing is missed).
 */
import { Speaker } from '../bgp/session/speaker.js';
import type { Logger } from '../observe/log.js';
import { loadSnapshot } from '../sources/manifests/snapshot.js';
import { speakerPort } from './bgp-port.js';
import { SpeakerRuntime } from './runtime.js';

export interface NodeSpeakerOptions {
  readonly node: string;
  readonly manifests: readonly string[];
  readonly logger: Logger;
  /** Also accept peers' connections here. */
  readonly listen?: { readonly host: string; readonly port: number };
  /** Called after every reload (for metrics): whether it applied, and the UPDATEs it caused. */
  readonly onReload?: (report: ReloadReport) => void;
}

/** What one reload did (for the k8s-client metrics and the change-to-UPDATE latency). */
export interface ReloadReport {
  /** The manifests were read, valid, and applied. */
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
  /** Reads the manifests again and applies them; resolves when applied. */
  reload(): Promise<void>;
  /** Closes every session with Cease (administrative shutdown) and the listener. */
  close(): Promise<void>;
}

/** Resolves after `n` turns of the event loop (I/O callbacks included). */
async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** Starts the speaker of `options.node` and applies the manifests once. */
export async function startNodeSpeaker(options: NodeSpeakerOptions): Promise<NodeSpeaker> {
  const { logger } = options;
  const speaker = new Speaker({
    logger,
    // Within MetalLB's 2 s termination grace period, with room to exit.
    closeTimeoutMs: 1500,
    ...(options.listen ? { listen: { address: options.listen.host, port: options.listen.port } } : {}),
  });
  await speaker.start();
  const port = speakerPort(speaker, logger);
  const runtime = new SpeakerRuntime({ node: options.node, speaker: port, logger });

  let running: Promise<void> | undefined;
  let again = false;
  let closed = false;
  /** When the reload now pending (or running) was first asked for, ms (monotonic). */
  let requestedAt = performance.now();
  const updateCounts = (): Map<string, number> => new Map(speaker.status().map((x) => [x.peer, x.counters.messagesSent.update]));
  const once = async (): Promise<void> => {
    const asked = requestedAt;
    let ok = false;
    const updates: { peer: string; seconds: number }[] = [];
    try {
      const snapshot = await loadSnapshot(options.manifests);
      // At start, the sessions open first, and the event loop turns between opening them, allocating
      // and planning (the connect completes and the OPEN goes out; the peer's OPEN and KEEPALIVE are
      // answered): the handshake overlaps that work and the table goes out as soon as the plan is ready.
      if (!closed && runtime.openSessions(snapshot)) {
        await turns(2);
        runtime.allocateAhead(snapshot);
        await turns(2);
      }
      if (!closed) {
        const before = updateCounts();
        ok = runtime.apply(snapshot).applied;
        const after = performance.now();
        for (const [peer, n] of updateCounts()) {
          const was = before.get(peer);
          if (was !== undefined && n > was) updates.push({ peer, seconds: (after - asked) / 1000 });
        }
      }
    } catch (err) {
      logger.error('reloadFailed', 'failed to apply the manifests', { error: err instanceof Error ? err.message : String(err) });
    }
    if (!closed) options.onReload?.({ ok, seconds: (performance.now() - asked) / 1000, updates });
  };
  const reload = (): Promise<void> => {
    if (running) {
      if (!again) requestedAt = performance.now();
      again = true;
      return running;
    }
    requestedAt = performance.now();
    running = (async () => {
      do {
        again = false;
        await once();
      } while (again && !closed);
      running = undefined;
    })();
    return running;
  };

  await reload();
  return {
    speaker,
    runtime,
    reload,
    async close() {
      closed = true;
      // A reload in flight finishes (it applies nothing once closed) before the sessions close.
      if (running) await running;
      await port.settled();
      await speaker.close();
    },
  };
}
