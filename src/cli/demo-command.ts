/**
 * `metallb-ts demo` (what `npm start` runs): the seed's scenario on loopback. Wiring only; the demo
 * itself is `src/demo/`.
 */
import { DEFAULT_DEMO_MANIFESTS, startDemo } from '../demo/demo.js';
import { UsageError, logLevelFlag, parseFlags, reportUsageError, secondsFlag } from './flags.js';

export const DEMO_USAGE = `usage: metallb-ts demo [--for SECONDS] [--manifests PATH...] [--log-level LEVEL]

The seed's scenario on loopback, no root needed: a lab router built on metallb-ts's own BGP speaker
stands for each configured peer, one \`metallb-ts run\` speaker per node announces the services, and
the router's view (neighbors and routes) is printed whenever it changes. Edit the manifests while it
runs to change the routes live; Ctrl-C stops everything cleanly.

  --for SECONDS        stop after this long (default: run until Ctrl-C)
  --manifests PATH     manifests to use instead of examples/seed (repeatable)
  --log-level LEVEL    the speakers' log level (default info)
`;

const FLAGS = {
  for: { type: 'string' },
  manifests: { type: 'string', multiple: true },
  'log-level': { type: 'string' },
  help: { type: 'boolean' },
} as const;

/** Runs the demo; resolves to the exit code. */
export async function demoCommand(argv: readonly string[]): Promise<number> {
  let forSeconds: number | undefined;
  let manifests: readonly string[];
  let logLevel: string;
  try {
    const v = parseFlags(argv, FLAGS);
    if (v.help) {
      process.stdout.write(DEMO_USAGE);
      return 0;
    }
    forSeconds = secondsFlag(v.for, '--for');
    manifests = v.manifests && v.manifests.length > 0 ? v.manifests : [DEFAULT_DEMO_MANIFESTS];
    logLevel = logLevelFlag(v['log-level']);
  } catch (err) {
    if (err instanceof UsageError) return reportUsageError('demo', err, DEMO_USAGE);
    throw err;
  }
  let demo;
  try {
    demo = await startDemo({ manifests, logLevel, ...(forSeconds !== undefined ? { forSeconds } : {}) });
  } catch (err) {
    process.stderr.write(`metallb-ts demo: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
  const onSignal = (): void => void demo.stop(0);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const code = await demo.done;
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  return code;
}
