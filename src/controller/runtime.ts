/**
 * The controller process, wired: the Kubernetes source (list and watch of Services, Namespaces, the
 * ConfigMap `config` and the metallb.io kinds an allocation reads) feeding the `AllocationController`,
 * a `LeaseElector` that makes it the writer or a standby, and the metrics of MetalLB's controller.
 *
 * Kinds watched: MetalLB's controller reads IPAddressPools, Communities and Namespaces (its
 * PoolReconciler), plus Services; the legacy ConfigMap holds pools too. BGPPeers, BGPAdvertisements,
 * BFDProfiles and Secrets are the speaker's: leaving them out means a broken BGPPeer does not make the
 * controller's configuration stale, as in MetalLB.
 */
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { Logger } from '../observe/log.js';
import type { MetricsSnapshot } from '../observe/metrics.js';
import { KubernetesSource } from '../sources/kubernetes/source.js';
import type { KubeApi } from '../sources/kubernetes/client.js';
import type { ListWatchTiming } from '../sources/kubernetes/list-watch.js';
import type { WatchedKind } from '../sources/kubernetes/resources.js';
import { AllocationController } from './controller.js';
import { KubeControllerApi } from './kube-api.js';
import { KubeLeaseApi } from './kube-lease.js';
import type { LeaseTiming } from './leader-election.js';
import { DEFAULT_LEASE_TIMING, LeaseElector } from './leader-election.js';

/** What the controller watches (see the module header). */
export const CONTROLLER_KINDS: readonly WatchedKind[] = ['ConfigMap', 'IPAddressPool', 'Community', 'Namespace', 'Service'];

export interface ControllerRuntimeOptions {
  readonly api: KubeApi;
  /** The MetalLB namespace. */
  readonly namespace: string;
  readonly logger: Logger;
  readonly leaseName: string;
  readonly leaseTiming?: LeaseTiming;
  /** This replica's identity in the Lease; default `hostname_uuid` (client-go's). */
  readonly identity?: string;
  /** MetalLB's `--lb-class`. */
  readonly loadBalancerClass?: string;
  readonly sourceTiming?: ListWatchTiming;
}

/** A running controller. */
export interface RunningController {
  readonly controller: AllocationController;
  readonly elector: LeaseElector;
  readonly source: KubernetesSource;
  /** Whether the first complete list arrived (`/readyz`). */
  ready(): boolean;
  /** The metrics' view (MetalLB's allocator and k8s client metrics). */
  metricsSnapshot(): MetricsSnapshot;
  /** Stops; with `release` (the default) gives the Lease up so the standby takes over at once. */
  close(options?: { readonly release: boolean }): Promise<void>;
}

/** Starts the controller; see the module header. */
export function startController(options: ControllerRuntimeOptions): RunningController {
  const { logger } = options;
  const controller = new AllocationController({
    namespace: options.namespace,
    api: new KubeControllerApi(options.api),
    logger,
    ...(options.loadBalancerClass !== undefined ? { loadBalancerClass: options.loadBalancerClass } : {}),
  });
  let first = true;
  const source = new KubernetesSource({
    api: options.api,
    namespace: options.namespace,
    kinds: CONTROLLER_KINDS,
    logger,
    onBatch: (batch) => {
      const initial = first;
      first = false;
      controller.apply(batch, { initial });
    },
    ...(options.sourceTiming ? { timing: options.sourceTiming } : {}),
  });
  const elector = new LeaseElector({
    api: new KubeLeaseApi(options.api, options.namespace, options.leaseName),
    identity: options.identity ?? `${hostname()}_${randomUUID()}`,
    timing: options.leaseTiming ?? DEFAULT_LEASE_TIMING,
    logger,
    onStartedLeading: () => controller.setLeader(true),
    onStoppedLeading: () => controller.setLeader(false),
  });
  source.start();
  elector.start();
  let closed = false;
  return {
    controller,
    elector,
    source,
    ready: () => controller.synced,
    metricsSnapshot(): MetricsSnapshot {
      const state = controller.state;
      const byPool = new Map<string, number>();
      if (state) {
        for (const r of state.allocationReport().services) if (r.pool !== undefined && r.ips.length > 0) byPool.set(r.pool, (byPool.get(r.pool) ?? 0) + 1);
      }
      const counters = controller.counters();
      return {
        node: '',
        sessions: [],
        pools: (state?.poolUsage() ?? []).map((p) => ({ ...p, servicesAllocated: byPool.get(p.pool) ?? 0 })),
        announced: [],
        config: {
          loaded: state?.config !== undefined,
          stale: state?.configStale ?? false,
          updates: counters.batches,
          updateErrors: counters.writeErrors,
        },
        refusedConnections: 0,
        ready: controller.synced,
      };
    },
    async close(closeOptions = { release: true }) {
      if (closed) return;
      closed = true;
      await elector.stop(closeOptions);
      controller.setLeader(false);
      await source.close();
    },
  };
}
