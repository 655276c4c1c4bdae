/**
 * `metallb-ts speaker`: the speaker of one node in a cluster, on the API server. Wiring only: flags
 * -> client configuration -> `startKubeSpeaker` (the runtime `run` uses, fed from the API server) ->
 * metrics and status endpoints, and a clean shutdown on SIGTERM/SIGINT (every session closed with a
 * Cease, exit within 2 s).
 */
import { createLogger } from '../observe/log.js';
import type { RunningOperations } from './operations-wiring.js';
import type { ReloadReport } from '../speaker/node-speaker.js';
import { UsageError, hostPortFlag, logLevelFlag, parseFlags, commandFlags } from './flags.js';
import { DEFAULT_METRICS_ADDR, DEFAULT_STATUS_ADDR, drainTimeFlag, optionalAddr, waitForSignal } from './run-command.js';

export const SPEAKER_USAGE = `usage: metallb-ts speaker --node-name NAME [--kubeconfig FILE] [--namespace NAMESPACE]
                          [--metrics-addr ADDR:PORT|off] [--status-addr ADDR:PORT|off]
                          [--log-level all|debug|info|warn|error|none] [--listen ADDR:PORT | --no-listen]
                          [--lb-class CLASS] [--drain-time DURATION]

Runs the speaker of node NAME in a cluster: watches Services, EndpointSlices, Nodes, Namespaces and,
in the MetalLB namespace, the ConfigMap \`config\`, the metallb.io objects and the Secrets; holds the
node's BGP sessions and announces as \`run\` does; writes a ServiceBGPStatus per announced Service, a
BGPSessionState per session and its ConfigurationState \`speaker-NAME\`. While the API server cannot
be reached it keeps announcing what it last knew.

  --node-name NAME     this node (default: $NODE_NAME, from the downward API)
  --kubeconfig FILE    the API server and credentials (default: in-cluster service account, else
                       $KUBECONFIG or ~/.kube/config)
  --namespace NS       the MetalLB namespace (default: $METALLB_NAMESPACE, else metallb-system)
  --metrics-addr ADDR:PORT
                       serve /metrics, /livez and /readyz here (default :7472, as MetalLB; '' or off: none)
  --status-addr ADDR:PORT
                       serve the documents \`metallb-ts status\` reads (default 127.0.0.1:7473; '' or off: none)
  --log-level LEVEL    all, debug, info (default), warn, error or none
  --listen ADDR:PORT   also accept connections from configured peers on ADDR:PORT
  --no-listen          only dial out, as MetalLB does (the default)
  --lb-class CLASS     handle only Services of this loadBalancerClass (MetalLB's --lb-class)
  --drain-time DURATION
                       graceful shutdown (RFC 8326) on SIGTERM/SIGINT and for a peer that stops
                       selecting this node, as \`run\` (default 5s; 0: withdraw at once)
`;

const FLAGS = {
  'node-name': { type: 'string' },
  kubeconfig: { type: 'string' },
  namespace: { type: 'string' },
  'metrics-addr': { type: 'string' },
  'status-addr': { type: 'string' },
  'log-level': { type: 'string' },
  listen: { type: 'string' },
  'no-listen': { type: 'boolean' },
  'lb-class': { type: 'string' },
  'drain-time': { type: 'string' },
  help: { type: 'boolean' },
} as const;

type Addr = { readonly host: string; readonly port: number };

/** Parsed `speaker` flags. */
export interface SpeakerFlags {
  readonly nodeName: string;
  readonly kubeconfig?: string;
  readonly namespace: string;
  readonly logLevel: ReturnType<typeof logLevelFlag>;
  readonly listen?: Addr;
  readonly metricsAddr?: Addr;
  readonly statusAddr?: Addr;
  readonly loadBalancerClass?: string;
  /** Graceful shutdown drain time, ms (0: none). */
  readonly drainMs: number;
}

/** The default MetalLB namespace. */
export const DEFAULT_NAMESPACE = 'metallb-system';


/** A DNS label (RFC 1123), as namespace names are. */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** A DNS subdomain (RFC 1123), as node names are. */
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * Parses and checks `speaker`'s flags, with NODE_NAME and METALLB_NAMESPACE from `env` as defaults;
 * throws a UsageError naming the flag.
 */
export function parseSpeakerFlags(argv: readonly string[], env: Readonly<Record<string, string | undefined>> = process.env): SpeakerFlags | 'help' {
  const v = parseFlags(argv, FLAGS);
  if (v.help) return 'help';
  const nodeName = v['node-name'] ?? env['NODE_NAME'];
  if (nodeName === undefined || nodeName.trim() === '') throw new UsageError('--node-name', '--node-name is required (or NODE_NAME in the environment)');
  if (nodeName.length > 253 || !DNS_SUBDOMAIN.test(nodeName)) throw new UsageError('--node-name', `--node-name must be a node name (a DNS subdomain), got '${nodeName}'`);
  const namespace = v.namespace ?? (env['METALLB_NAMESPACE'] || DEFAULT_NAMESPACE);
  if (namespace.length > 63 || !DNS_LABEL.test(namespace)) throw new UsageError('--namespace', `--namespace must be a namespace name (a DNS label), got '${namespace}'`);
  if (v.kubeconfig !== undefined && v.kubeconfig.trim() === '') throw new UsageError('--kubeconfig', '--kubeconfig needs a file');
  if (v.listen !== undefined && v['no-listen']) throw new UsageError('--listen', '--listen and --no-listen exclude each other');
  if (v['lb-class'] !== undefined && v['lb-class'].trim() === '') throw new UsageError('--lb-class', '--lb-class needs a class name');
  const logLevel = logLevelFlag(v['log-level']);
  const listen = v.listen !== undefined ? hostPortFlag(v.listen, '--listen') : undefined;
  const metricsAddr = optionalAddr(v['metrics-addr'], DEFAULT_METRICS_ADDR, '--metrics-addr');
  const statusAddr = optionalAddr(v['status-addr'], DEFAULT_STATUS_ADDR, '--status-addr');
  const drainMs = drainTimeFlag(v['drain-time']);
  return {
    nodeName,
    namespace,
    drainMs,
    logLevel,
    ...(v.kubeconfig !== undefined ? { kubeconfig: v.kubeconfig } : {}),
    ...(listen ? { listen } : {}),
    ...(metricsAddr ? { metricsAddr } : {}),
    ...(statusAddr ? { statusAddr } : {}),
    ...(v['lb-class'] !== undefined ? { loadBalancerClass: v['lb-class'] } : {}),
  };
}

/** Runs `metallb-ts speaker` until SIGTERM/SIGINT; resolves to the exit code. */
export async function speakerCommand(argv: readonly string[]): Promise<number> {
  const parsed = commandFlags('speaker', SPEAKER_USAGE, () => parseSpeakerFlags(argv));
  if ('exit' in parsed) return parsed.exit;
  const flags = parsed.flags;
  const logger = createLogger({ level: flags.logLevel });
  const { KubeClient, loadKubeConfig } = await import('../sources/kubernetes/client.js');
  let client: InstanceType<typeof KubeClient>;
  try {
    client = new KubeClient(loadKubeConfig(flags.kubeconfig));
  } catch (err) {
    logger.error('startFailed', 'cannot configure the Kubernetes client', { error: err instanceof Error ? err.message : String(err) });
    return 1;
  }
  logger.info('k8sClient', 'watching the API server', { server: client.server, namespace: flags.namespace, node: flags.nodeName });
  // The endpoints start first: /readyz answers 503 until the first complete list is applied.
  const { startOperations } = await import('./operations-wiring.js');
  const ops: RunningOperations = await startOperations(flags.nodeName, logger, flags.metricsAddr, flags.statusAddr);
  const { startKubeSpeaker } = await import('../speaker/kube-speaker.js');
  let speaker: Awaited<ReturnType<typeof startKubeSpeaker>>;
  try {
    speaker = await startKubeSpeaker({
      node: flags.nodeName,
      namespace: flags.namespace,
      api: client,
      logger,
      ...(flags.listen ? { listen: flags.listen } : {}),
      ...(flags.loadBalancerClass !== undefined ? { loadBalancerClass: flags.loadBalancerClass } : {}),
      drainMs: flags.drainMs,
      onReload: (report: ReloadReport) => ops.onReload(report),
    });
  } catch (err) {
    // The listener could not be bound (address in use, not local, no permission for a port < 1024).
    logger.error('startFailed', 'failed to start the speaker', { error: err instanceof Error ? err.message : String(err) });
    await ops.close();
    client.close();
    return 1;
  }
  ops.attach(speaker);
  return await waitForSignal(
    logger,
    flags.drainMs,
    async () => {
      await Promise.all([speaker.close({ drainMs: flags.drainMs }), ops.close()]);
      client.close();
    },
    () => speaker.endDrains(),
  );
}
