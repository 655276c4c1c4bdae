/**
 * `metallb-ts run`: the speaker of one node in standalone mode, on plain manifest files. Wiring only:
 * manifests → snapshot → runtime → BGP speaker, a watcher that re-applies on every change, and a clean
 * shutdown on SIGTERM/SIGINT (every session closed with a Cease, exit within 2 s).
 */
import { createLogger, type Logger } from '../observe/log.js';
import { watchManifests } from '../sources/manifests/watch.js';
import type { ReloadReport } from '../speaker/node-speaker.js';
import type { RunningOperations } from './operations-wiring.js';
import { EXIT_USAGE, UsageError, hostPortFlag, logLevelFlag, parseFlags, reportUsageError, requireFlag } from './flags.js';

export const RUN_USAGE = `usage: metallb-ts run --node NAME --manifests PATH [--manifests PATH...]
                      [--log-level all|debug|info|warn|error|none] [--listen ADDR:PORT | --no-listen]
                      [--metrics-addr ADDR:PORT|off] [--status-addr ADDR:PORT|off]

Runs the speaker of node NAME from plain manifests (any mix of the MetalLB ConfigMap or CRDs, Secrets,
Nodes, Services and EndpointSlices, in files or folders), re-planning on every change. The node's own
address comes from its Node object (InternalIP); a peer without sourceAddress is dialled from it.

  --node NAME          this node (its Node object must be in the manifests)
  --manifests PATH     a file or folder of manifests; repeat for more
  --log-level LEVEL    all, debug, info (default), warn, error or none
  --listen ADDR:PORT   also accept connections from configured peers on ADDR:PORT
  --no-listen          only dial out, as MetalLB does (the default)
  --metrics-addr ADDR:PORT
                       serve /metrics, /livez and /readyz here (default :7472, as MetalLB; '' or off: none)
  --status-addr ADDR:PORT
                       serve the status documents \`metallb-ts status\` reads (default 127.0.0.1:7473;
                       '' or off: none)
`;

/** MetalLB's metrics port, on every address. */
export const DEFAULT_METRICS_ADDR = ':7472';
/** The status endpoint: loopback only, it is for `metallb-ts status` on the same host. */
export const DEFAULT_STATUS_ADDR = '127.0.0.1:7473';

const FLAGS = {
  node: { type: 'string' },
  manifests: { type: 'string', multiple: true },
  'log-level': { type: 'string' },
  listen: { type: 'string' },
  'no-listen': { type: 'boolean' },
  'metrics-addr': { type: 'string' },
  'status-addr': { type: 'string' },
  help: { type: 'boolean' },
} as const;

/** Parsed `run` flags. */
export interface RunFlags {
  readonly node: string;
  readonly manifests: readonly string[];
  readonly logLevel: ReturnType<typeof logLevelFlag>;
  readonly listen?: { readonly host: string; readonly port: number };
  /** Where to serve metrics and health; absent: nowhere. */
  readonly metricsAddr?: { readonly host: string; readonly port: number };
  /** Where to serve the status documents; absent: nowhere. */
  readonly statusAddr?: { readonly host: string; readonly port: number };
}

/** An address flag that `''` or `off` turns off. */
function optionalAddr(value: string | undefined, fallback: string, flag: string): { host: string; port: number } | undefined {
  const v = value ?? fallback;
  if (v === '' || v === 'off') return undefined;
  return hostPortFlag(v, flag);
}

/** Parses and checks `run`'s flags; throws a UsageError naming the flag. */
export function parseRunFlags(argv: readonly string[]): RunFlags | 'help' {
  const v = parseFlags(argv, FLAGS);
  if (v.help) return 'help';
  const node = requireFlag(v.node, '--node');
  const manifests = v.manifests ?? [];
  if (manifests.length === 0) throw new UsageError('--manifests', '--manifests is required (a file or folder)');
  if (manifests.some((m) => m.trim() === '')) throw new UsageError('--manifests', '--manifests needs a path');
  if (v.listen !== undefined && v['no-listen']) throw new UsageError('--listen', '--listen and --no-listen exclude each other');
  const logLevel = logLevelFlag(v['log-level']);
  const listen = v.listen !== undefined ? hostPortFlag(v.listen, '--listen') : undefined;
  const metricsAddr = optionalAddr(v['metrics-addr'], DEFAULT_METRICS_ADDR, '--metrics-addr');
  const statusAddr = optionalAddr(v['status-addr'], DEFAULT_STATUS_ADDR, '--status-addr');
  return {
    node,
    manifests,
    logLevel,
    ...(listen ? { listen } : {}),
    ...(metricsAddr ? { metricsAddr } : {}),
    ...(statusAddr ? { statusAddr } : {}),
  };
}

/** Runs `metallb-ts run` until SIGTERM/SIGINT; resolves to the exit code. */
export async function runCommand(argv: readonly string[]): Promise<number> {
  let flags: RunFlags | 'help';
  try {
    flags = parseRunFlags(argv);
  } catch (err) {
    if (err instanceof UsageError) return reportUsageError('run', err, RUN_USAGE);
    throw err;
  }
  if (flags === 'help') {
    process.stdout.write(RUN_USAGE);
    return 0;
  }
  const logger = createLogger({ level: flags.logLevel });
  const { startNodeSpeaker } = await import('../speaker/node-speaker.js');
  // The speaker starts first (its sessions open and its first table goes out); the metrics and status
  // endpoints (prom-client and all) load after it, with the reports of the reloads done meanwhile.
  const ops: { current?: RunningOperations } = {};
  const early: ReloadReport[] = [];
  let speaker: Awaited<ReturnType<typeof startNodeSpeaker>>;
  // Watching starts before the first read, so a file changed while it runs is read again after it.
  // The watcher names the changed files and only those are read again (2 ms of quiet coalesces the
  // events of one save; a reload that catches a half-written file keeps the last good state, and
  // the write's next event reloads again).
  let changedEarly: string[] | undefined = [];
  const watcher = watchManifests(flags.manifests, (files) => {
    if (changedEarly) for (const f of files) changedEarly.push(f);
    else void speaker.reload(files);
  });
  try {
    speaker = await startNodeSpeaker({
      node: flags.node,
      manifests: flags.manifests,
      logger,
      ...(flags.listen ? { listen: flags.listen } : {}),
      onReload: (report) => (ops.current ? ops.current.onReload(report) : early.push(report)),
    });
  } catch (err) {
    // The listener could not be bound (address in use, not local, no permission for a port < 1024).
    watcher.close();
    logger.error('startFailed', 'failed to start the speaker', { error: err instanceof Error ? err.message : String(err) });
    return 1;
  }
  const changedWhileStarting = changedEarly;
  changedEarly = undefined;
  if (changedWhileStarting.length > 0) void speaker.reload(changedWhileStarting);
  const { startOperations } = await import('./operations-wiring.js');
  const started = await startOperations(flags.node, logger, flags.metricsAddr, flags.statusAddr);
  ops.current = started;
  for (const report of early.splice(0)) started.onReload(report);
  started.attach(speaker);
  return await waitForSignal(logger, async () => {
    watcher.close();
    await Promise.all([speaker.close(), started.close()]);
  });
}

/**
 * Resolves with exit code 0 once SIGTERM or SIGINT arrived and `shutdown` finished; if shutdown takes
 * longer than 1.8 s the process exits anyway (MetalLB's speaker has a 2 s termination grace period).
 */
export function waitForSignal(logger: Logger, shutdown: () => Promise<void>): Promise<number> {
  return new Promise((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stopping) return;
      stopping = true;
      logger.info('shutdown', 'received signal, closing BGP sessions', { signal });
      const hard = setTimeout(() => {
        logger.error('shutdown', 'sessions did not close in time, exiting');
        process.exit(1);
      }, 1800);
      hard.unref();
      shutdown().then(
        () => {
          clearTimeout(hard);
          process.off('SIGTERM', onSignal);
          process.off('SIGINT', onSignal);
          resolve(0);
        },
        (err: unknown) => {
          logger.error('shutdown', 'failed to close cleanly', { error: err instanceof Error ? err.message : String(err) });
          clearTimeout(hard);
          resolve(1);
        },
      );
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}

export { EXIT_USAGE };
