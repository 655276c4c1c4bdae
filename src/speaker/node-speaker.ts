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
}

export interface NodeSpeaker {
  readonly speaker: Speaker;
  readonly runtime: SpeakerRuntime;
  /** Reads the manifests again and applies them; resolves when applied. */
  reload(): Promise<void>;
  /** Closes every session with Cease (administrative shutdown) and the listener. */
  close(): Promise<void>;
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
  const once = async (): Promise<void> => {
    try {
      const snapshot = await loadSnapshot(options.manifests);
      if (!closed) runtime.apply(snapshot);
    } catch (err) {
      logger.error('reloadFailed', 'failed to apply the manifests', { error: err instanceof Error ? err.message : String(err) });
    }
  };
  const reload = (): Promise<void> => {
    if (running) {
      again = true;
      return running;
    }
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
