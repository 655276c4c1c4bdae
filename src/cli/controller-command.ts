/**
 * `metallb-ts controller`: MetalLB's controller on the API server (allocation, Service status and
 * annotation, Events, IPAddressPool status, ConfigurationState), with leader election on a Lease so
 * two replicas can run. Wiring only: flags, the client, `startController`, the metrics server, and a
 * clean stop on SIGTERM/SIGINT (the Lease released so the standby takes over at once).
 */
import { loadKubeConfig, KubeClient } from '../sources/kubernetes/client.js';
import { parseGoDuration } from '../config/duration.js';
import { createLogger } from '../observe/log.js';
import { EXIT_USAGE, UsageError, hostPortFlag, logLevelFlag, parseFlags, commandFlags } from './flags.js';
import { untilSignal } from './signals.js';

export const CONTROLLER_USAGE = `usage: metallb-ts controller [--kubeconfig FILE] [--namespace NS] [--metrics-addr ADDR:PORT|off]
                             [--log-level all|debug|info|warn|error|none] [--lease-name NAME]
                             [--lease-duration DURATION] [--lb-class CLASS]

Assigns IPs to LoadBalancer Services from the metallb.io IPAddressPools (or the legacy ConfigMap) and
writes them back, with MetalLB's Events, pool status counts and ConfigurationState. Two or more
replicas elect one writer on a coordination.k8s.io Lease.

  --kubeconfig FILE        the cluster to use (default: in-cluster service account, else KUBECONFIG)
  --namespace NS           the MetalLB namespace (default $METALLB_NAMESPACE, else metallb-system)
  --metrics-addr ADDR:PORT serve /metrics, /livez and /readyz here (default :7472; '' or off: none)
  --log-level LEVEL        all, debug, info (default), warn, error or none
  --lease-name NAME        the Lease of the election (default metallb-ts-controller)
  --lease-duration D       how long a Lease holder is trusted without renewing (default 10s; renewal
                           deadline 7/10 of it, retry every 1/5): a dead leader is replaced within
                           D + 2/5 D (14 s at 10s)
  --lb-class CLASS         handle only Services of this loadBalancerClass (default: those without one)
`;

const FLAGS = {
  kubeconfig: { type: 'string' },
  namespace: { type: 'string' },
  'metrics-addr': { type: 'string' },
  'log-level': { type: 'string' },
  'lease-name': { type: 'string' },
  'lease-duration': { type: 'string' },
  'lb-class': { type: 'string' },
  help: { type: 'boolean' },
} as const;

/** MetalLB's metrics port, on every address. */
const DEFAULT_METRICS_ADDR = ':7472';

/** Parsed `controller` flags. */
export interface ControllerFlags {
  readonly kubeconfig?: string;
  readonly namespace: string;
  readonly metricsAddr?: { readonly host: string; readonly port: number };
  readonly logLevel: ReturnType<typeof logLevelFlag>;
  readonly leaseName: string;
  readonly leaseDurationMs: number;
  readonly loadBalancerClass?: string;
}

/** Parses and checks `controller`'s flags (`env` for METALLB_NAMESPACE); throws a UsageError naming the flag. */
export function parseControllerFlags(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): ControllerFlags | 'help' {
  const v = parseFlags(argv, FLAGS);
  if (v.help) return 'help';
  const namespace = v.namespace ?? (env['METALLB_NAMESPACE'] || 'metallb-system');
  if (namespace.trim() === '') throw new UsageError('--namespace', '--namespace needs a name');
  const leaseName = v['lease-name'] ?? 'metallb-ts-controller';
  if (leaseName.trim() === '') throw new UsageError('--lease-name', '--lease-name needs a name');
  let leaseDurationMs = 10_000;
  if (v['lease-duration'] !== undefined) {
    const seconds = parseGoDuration(v['lease-duration']);
    if (seconds === undefined || seconds < 1) {
      throw new UsageError('--lease-duration', `--lease-duration must be a duration of at least 1s, like 10s (got '${v['lease-duration']}')`);
    }
    leaseDurationMs = Math.round(seconds * 1000);
  }
  const metrics = v['metrics-addr'] ?? DEFAULT_METRICS_ADDR;
  const metricsAddr = metrics === '' || metrics === 'off' ? undefined : hostPortFlag(metrics, '--metrics-addr');
  if (v.kubeconfig !== undefined && v.kubeconfig.trim() === '') throw new UsageError('--kubeconfig', '--kubeconfig needs a path');
  return {
    namespace,
    leaseName,
    leaseDurationMs,
    logLevel: logLevelFlag(v['log-level']),
    ...(v.kubeconfig !== undefined ? { kubeconfig: v.kubeconfig } : {}),
    ...(metricsAddr ? { metricsAddr } : {}),
    ...(v['lb-class'] !== undefined && v['lb-class'] !== '' ? { loadBalancerClass: v['lb-class'] } : {}),
  };
}

/** Runs `metallb-ts controller` until SIGTERM/SIGINT; resolves to the exit code. */
export async function controllerCommand(argv: readonly string[]): Promise<number> {
  const parsed = commandFlags('controller', CONTROLLER_USAGE, () => parseControllerFlags(argv));
  if ('exit' in parsed) return parsed.exit;
  const flags = parsed.flags;
  const logger = createLogger({ level: flags.logLevel });
  let client: KubeClient;
  try {
    client = new KubeClient(loadKubeConfig(flags.kubeconfig));
  } catch (err) {
    logger.error('startFailed', 'cannot load the Kubernetes configuration', { error: err instanceof Error ? err.message : String(err) });
    return 1;
  }
  const { startController } = await import('../controller/runtime.js');
  const { leaseTimingFor } = await import('../controller/leader-election.js');
  const running = startController({
    api: client,
    namespace: flags.namespace,
    logger,
    leaseName: flags.leaseName,
    leaseTiming: leaseTimingFor(flags.leaseDurationMs),
    ...(flags.loadBalancerClass !== undefined ? { loadBalancerClass: flags.loadBalancerClass } : {}),
  });
  logger.info('controllerStarted', 'controller running', { server: client.server, namespace: flags.namespace, identity: running.elector.identity });

  let closeServer: (() => Promise<void>) | undefined;
  if (flags.metricsAddr) {
    const { createMetrics } = await import('../observe/metrics.js');
    const { routes, startOpsServer } = await import('../observe/http-server.js');
    const { healthRoutes, metricsRoutes } = await import('../observe/ops-routes.js');
    const metrics = createMetrics({ snapshot: () => running.metricsSnapshot() });
    try {
      const server = await startOpsServer(flags.metricsAddr.host, flags.metricsAddr.port, routes(metricsRoutes(metrics), healthRoutes(() => running.ready())));
      logger.info('opsListening', 'serving metrics endpoints', { role: 'metrics', address: server.address, port: server.port });
      closeServer = () => server.close();
    } catch (err) {
      logger.error('opsListenFailed', 'cannot serve metrics endpoints', {
        role: 'metrics',
        address: flags.metricsAddr.host,
        port: flags.metricsAddr.port,
        error: err instanceof Error ? err.message : String(err),
      });
    }
  }
  return await untilSignal(
    logger,
    async () => {
      await running.close({ release: true });
      await closeServer?.();
      client.close();
    },
    { message: 'received signal, releasing the lease', limitMs: 5000, overdueMessage: 'did not stop in time, exiting' },
  );
}

export { EXIT_USAGE };
