/**
 * One node's speaker on the API server: the BGP `Speaker`, the same `SpeakerRuntime` `run` drives
 * (one pipeline: `ClusterState` -> `NodePlanner` -> sessions), fed by the Kubernetes source instead
 * of files, and the status objects it writes (`kube-status.ts`).
 *
 * - The source's first batch is every watched resource listed once; as `run` does with its first
 *   read (`node-speaker.ts`), the configuration and the Nodes are applied first and the event loop
 *   turns (the sessions open) before the services are planned. Later batches apply as they come.
 * - Batches apply one after the other, in order; the runtime never waits for the API server.
 * - While the API server is down the source delivers nothing: the runtime keeps its last state, so
 *   every announcement stays (nothing is withdrawn because the API is down).
 * - Status writes follow the plan's changes (`ApplyResult.changes`), the sessions' state changes and,
 *   for prefixes sent, a timer; they go through write queues that coalesce and back off.
 */
import type { Speaker } from '../bgp/session/speaker.js';
import type { ChangeBatch } from '../model/cluster.js';
import type { Logger } from '../observe/log.js';
import type { KubeApi } from '../sources/kubernetes/client.js';
import type { ListWatchTiming } from '../sources/kubernetes/list-watch.js';
import { KubernetesSource } from '../sources/kubernetes/source.js';
import { applyFirstBatch, startSpeakerRuntime } from './start.js';
import { ConfigurationStateWriter, ServiceBgpStatusWriter, SessionStateWriter } from './kube-status.js';
import type { StatusWriterOptions } from './kube-status.js';
import type { ReloadReport } from './node-speaker.js';
import type { SpeakerRuntime } from './runtime.js';
import type { ApplyResult } from './runtime.js';

export interface KubeSpeakerOptions {
  readonly node: string;
  /** The MetalLB namespace (configuration in, status objects out). */
  readonly namespace: string;
  readonly api: KubeApi;
  readonly logger: Logger;
  /** Also accept peers' connections here. */
  readonly listen?: { readonly host: string; readonly port: number };
  /** MetalLB's `--lb-class`. */
  readonly loadBalancerClass?: string;
  /** Called after every batch applied (for the k8s-client metrics and the change-to-UPDATE latency). */
  readonly onReload?: (report: ReloadReport) => void;
  /** The source's timing (tests shorten it). */
  readonly timing?: ListWatchTiming;
  /** Graceful shutdown drain time for a peer that stops selecting this node, ms (RFC 8326). */
  readonly drainMs?: number;
  /** Status writing: on by default; `false` writes nothing. */
  readonly status?:
    | false
    | {
        readonly queue?: StatusWriterOptions['queue'];
        /** How often prefixes sent are refreshed on the BGPSessionState objects, ms. Default 5000. */
        readonly prefixesIntervalMs?: number;
      };
}

export interface KubeSpeaker {
  readonly speaker: Speaker;
  readonly runtime: SpeakerRuntime;
  readonly source: KubernetesSource;
  readonly serviceStatus: ServiceBgpStatusWriter | undefined;
  readonly sessionStates: SessionStateWriter | undefined;
  readonly configurationState: ConfigurationStateWriter | undefined;
  /** Resolves once the first complete list has been applied. */
  readonly synced: Promise<void>;
  /**
   * Stops watching and writing, then closes every session with Cease (administrative shutdown); with
   * `drainMs` > 0 each Established session first re-announces its routes with GRACEFUL_SHUTDOWN
   * (RFC 8326) for that long.
   */
  close(options?: { readonly drainMs?: number }): Promise<void>;
  /** Ends every drain now (the sessions withdraw and close at once): a second signal. */
  endDrains(): void;
}


/** The configuration errors a ConfigurationState reports (none when the configuration in force is current). */
function configErrors(runtime: SpeakerRuntime): string[] {
  if (!runtime.cluster.configStale) return [];
  const out: string[] = [];
  for (const e of runtime.cluster.configIssues) if (e.severity === 'error') out.push(`${e.object}${e.path ? ` ${e.path}` : ''}: ${e.message}`);
  return out;
}

/** Starts the speaker of `options.node` on the API server; resolves once it is watching (not yet synced). */
export async function startKubeSpeaker(options: KubeSpeakerOptions): Promise<KubeSpeaker> {
  const { logger } = options;
  const { speaker, port, runtime } = await startSpeakerRuntime({
    node: options.node,
    logger,
    standalone: false,
    ...(options.listen ? { listen: options.listen } : {}),
    ...(options.loadBalancerClass !== undefined ? { loadBalancerClass: options.loadBalancerClass } : {}),
    ...(options.drainMs !== undefined ? { drainMs: options.drainMs } : {}),
  });

  const statusOptions = options.status === false ? undefined : (options.status ?? {});
  const writerOptions: StatusWriterOptions = {
    api: options.api,
    namespace: options.namespace,
    node: options.node,
    logger,
    ...(statusOptions?.queue ? { queue: statusOptions.queue } : {}),
  };
  const serviceStatus = statusOptions ? new ServiceBgpStatusWriter(writerOptions) : undefined;
  const sessionStates = statusOptions ? new SessionStateWriter(writerOptions) : undefined;
  const configurationState = statusOptions ? new ConfigurationStateWriter(writerOptions) : undefined;

  let closed = false;
  let drainsEnded = false;
  let first = true;
  let chain: Promise<void> = Promise.resolve();
  let resolveSynced!: () => void;
  const synced = new Promise<void>((resolve) => (resolveSynced = resolve));
  const updateCounts = (): Map<string, number> => new Map(speaker.status().map((x) => [x.peer, x.counters.messagesSent.update]));

  const afterApply = (result: ApplyResult): void => {
    if (result.changes) serviceStatus?.planChanged(result.changes);
    if (result.delta.config.status !== 'unchanged' || result.delta.nodes.size > 0) {
      sessionStates?.sessions(speaker.status());
      configurationState?.report(configErrors(runtime));
    }
  };

  const applyBatch = async (batch: ChangeBatch, receivedAt: number): Promise<void> => {
    if (closed) return;
    let ok = false;
    const updates: { peer: string; seconds: number }[] = [];
    try {
      const before = updateCounts();
      if (first) {
        first = false;
        const t = await applyFirstBatch(runtime, batch, () => closed, afterApply);
        if (t === undefined) return;
        ok = t.applied;
        // The whole cluster is known: the sessions send their tables, then End-of-RIB (RFC 4724 §4.1).
        runtime.sourcesSynced();
        // Whether or not the configuration built, the state is reported once the cluster is known.
        configurationState?.report(configErrors(runtime));
        sessionStates?.sessions(speaker.status());
        logger.info('k8sSynced', 'first complete list of the cluster applied', {
          objects: batch.changes.length,
          services: runtime.cluster.serviceCount,
          seconds: Math.round(performance.now() - receivedAt) / 1000,
        });
        resolveSynced();
      } else {
        const r = runtime.apply(batch);
        afterApply(r);
        ok = r.applied;
      }
      const after = performance.now();
      for (const [peer, n] of updateCounts()) {
        const was = before.get(peer);
        if (was !== undefined && n > was) updates.push({ peer, seconds: (after - receivedAt) / 1000 });
      }
    } catch (err) {
      logger.error('applyFailed', 'failed to apply the changes from the API server', { error: err instanceof Error ? err.message : String(err) });
    }
    if (!closed) options.onReload?.({ ok, seconds: (performance.now() - receivedAt) / 1000, updates });
  };

  const source = new KubernetesSource({
    api: options.api,
    namespace: options.namespace,
    logger,
    ...(options.timing ? { timing: options.timing } : {}),
    onBatch: (batch) => {
      const receivedAt = performance.now();
      chain = chain.then(() => applyBatch(batch, receivedAt));
    },
  });

  const offState = speaker.on('stateChange', (e) => {
    const s = speaker.peerStatus(e.name);
    if (s) sessionStates?.session(s);
  });
  const prefixesTimer = statusOptions
    ? setInterval(() => {
        if (!first) sessionStates?.sessions(speaker.status());
      }, statusOptions.prefixesIntervalMs ?? 5000)
    : undefined;
  prefixesTimer?.unref();

  source.start();
  return {
    speaker,
    runtime,
    source,
    serviceStatus,
    sessionStates,
    configurationState,
    synced,
    async close(closeOptions = {}) {
      closed = true;
      if (prefixesTimer) clearInterval(prefixesTimer);
      offState();
      await source.close();
      await chain;
      serviceStatus?.close();
      sessionStates?.close();
      configurationState?.close();
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
