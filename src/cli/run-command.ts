/**
 * `metallb-ts run`: the speaker of one node in standalone mode, on plain manifest files. Wiring only:
 * manifests → snapshot → runtime → BGP speaker, a watcher that re-applies on every change, and a
 * graceful shutdown on SIGTERM/SIGINT (RFC 8326: every route re-announced with GRACEFUL_SHUTDOWN for
 * `--drain-time`, then withdrawn, every session closed with a Cease; a second signal ends the drain).
 */
import { parseGoDuration } from '../config/duration.js';
import { createLogger, type Logger } from '../observe/log.js';
import { watchManifests } from '../sources/manifests/watch.js';
import type { ReloadReport } from '../speaker/node-speaker.js';
import type { RunningOperations } from './operations-wiring.js';
import { EXIT_USAGE, UsageError, hostPortFlag, logLevelFlag, parseFlags, commandFlags, requireFlag } from './flags.js';
import { untilSignal } from './signals.js';

export const RUN_USAGE = `usage: metallb-ts run --node NAME --manifests PATH [--manifests PATH...]
                      [--log-level all|debug|info|warn|error|none] [--listen ADDR:PORT | --no-listen]
                      [--metrics-addr ADDR:PORT|off] [--status-addr ADDR:PORT|off]
                      [--drain-time DURATION]

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
  --drain-time DURATION
                       graceful shutdown (RFC 8326), on SIGTERM/SIGINT and for a peer that stops
                       selecting this node: the routes are re-announced with GRACEFUL_SHUTDOWN
                       (65535:0, and LOCAL_PREF 0 to iBGP peers) and withdrawn only after DURATION, so
                       the routers move new connections to other nodes first (default 5s; 0: withdraw
                       at once; a second signal ends the drain)
`;

/** The default drain time, ms: a router and the one behind it converge well within it (docs/operations.md). */
export const DEFAULT_DRAIN_MS = 5000;

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
  'drain-time': { type: 'string' },
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
  /** Graceful shutdown drain time, ms (0: none). */
  readonly drainMs: number;
}

/** `--drain-time`: a Go duration (`5s`, `1500ms`, `0`), not negative, at most an hour. */
export function drainTimeFlag(value: string | undefined): number {
  if (value === undefined) return DEFAULT_DRAIN_MS;
  const seconds = parseGoDuration(value.trim());
  if (seconds === undefined || seconds < 0 || seconds > 3600) {
    throw new UsageError('--drain-time', `--drain-time must be a duration from 0 to 1h such as 5s or 1500ms (got '${value}')`);
  }
  return Math.round(seconds * 1000);
}

/** An address flag that `''` or `off` turns off. */
export function optionalAddr(value: string | undefined, fallback: string, flag: string): { host: string; port: number } | undefined {
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
  const drainMs = drainTimeFlag(v['drain-time']);
  return {
    node,
    manifests,
    logLevel,
    drainMs,
    ...(listen ? { listen } : {}),
    ...(metricsAddr ? { metricsAddr } : {}),
    ...(statusAddr ? { statusAddr } : {}),
  };
}

/** Runs `metallb-ts run` until SIGTERM/SIGINT; resolves to the exit code. */
export async function runCommand(argv: readonly string[]): Promise<number> {
  const parsed = commandFlags('run', RUN_USAGE, () => parseRunFlags(argv));
  if ('exit' in parsed) return parsed.exit;
  const flags = parsed.flags;
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
  const watcher = watchManifests(flags.manifests, (files, seenAt) => {
    if (changedEarly) for (const f of files) changedEarly.push(f);
    else void speaker.reload(files, seenAt);
  });
  try {
    speaker = await startNodeSpeaker({
      node: flags.node,
      manifests: flags.manifests,
      logger,
      ...(flags.listen ? { listen: flags.listen } : {}),
      drainMs: flags.drainMs,
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
  return await waitForSignal(
    logger,
    flags.drainMs,
    async () => {
      watcher.close();
      await Promise.all([speaker.close({ drainMs: flags.drainMs }), started.close()]);
    },
    () => speaker.endDrains(),
  );
}

/**
 * Resolves with exit code 0 once SIGTERM or SIGINT arrived and `shutdown` finished. The drain takes
 * `drainMs`; a second signal ends it at once (`endDrain`). If the sessions have not closed 1.8 s after
 * the drain, the process exits anyway (MetalLB's speaker has a 2 s termination grace period, to which
 * the drain time adds).
 */
export function waitForSignal(logger: Logger, drainMs: number, shutdown: () => Promise<void>, endDrain: () => void): Promise<number> {
  return untilSignal(logger, shutdown, {
    message: drainMs > 0 ? 'received signal, draining then closing BGP sessions' : 'received signal, closing BGP sessions',
    fields: { drainMs },
    limitMs: drainMs + 1800,
    overdueMessage: 'sessions did not close in time, exiting',
    onSecondSignal: { message: 'received a second signal, ending the drain', run: endDrain },
  });
}

export { EXIT_USAGE };
