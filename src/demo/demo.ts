/**
 * The demo: the seed's scenario on loopback. Lab routers (our own BGP speaker, passive) stand where
 * the configured peers are, one `metallb-ts run` child per node announces the services, and the
 * routers' view is printed as a switch shows it whenever it changes. Orchestration only: the pieces are
 * `labTopology`, `LabRouter`, `startChild` and `ViewPrinter`.
 *
 * Every line a speaker writes is prefixed with its node's name (`node-116 | {...}`), and where each
 * node serves its status and metrics is printed once at start. The first node keeps MetalLB's and
 * `metallb-ts status`'s default ports (7472, 7473) when they are free; every other endpoint gets a
 * free loopback port, chosen before the speaker starts (a port taken in between shows up as that
 * speaker's `opsListenFailed` line).
 */
import { createServer } from 'node:net';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Writable } from 'node:stream';
import { loadClusterState, stateErrors } from '../sources/manifests/state.js';
import type { ChildExit, ChildHandle } from './children.js';
import { startChild } from './children.js';
import { LabRouter } from './lab-router.js';
import { labTopology } from './topology.js';
import { ViewPrinter } from './view-printer.js';

/** A NOTIFICATION's name (RFC 4271 §4.5; Cease subcodes RFC 4486 §4). */
export function notificationName(code: number, subcode: number): string {
  const codes: Record<number, string> = {
    1: 'Message Header Error',
    2: 'OPEN Message Error',
    3: 'UPDATE Message Error',
    4: 'Hold Timer Expired',
    5: 'Finite State Machine Error',
    6: 'Cease',
  };
  const cease: Record<number, string> = {
    1: 'maximum number of prefixes reached',
    2: 'administrative shutdown',
    3: 'peer de-configured',
    4: 'administrative reset',
    5: 'connection rejected',
    6: 'other configuration change',
    7: 'connection collision resolution',
    8: 'out of resources',
  };
  const name = codes[code] ?? `code ${code}`;
  if (code === 6 && cease[subcode] !== undefined) return `${name}, ${cease[subcode]}`;
  return name;
}

/**
 * The prefix of each node's log lines: its name padded to the longest name, then ` | `, so the
 * speakers' lines line up (as docker compose prints its services' logs).
 */
export function nodeLinePrefixes(nodes: readonly string[]): Map<string, string> {
  let width = 0;
  for (const n of nodes) if (n.length > width) width = n.length;
  return new Map(nodes.map((n) => [n, `${n.padEnd(width)} | `]));
}

/** Where one node's speaker serves its operations endpoints (loopback). */
export interface NodeEndpoints {
  readonly node: string;
  readonly metricsPort: number;
  readonly statusPort: number;
}

/** The lines that say where each node serves its status and metrics. */
export function endpointLines(endpoints: readonly NodeEndpoints[]): string[] {
  const lines = ['demo: each speaker serves its status and metrics on loopback:'];
  for (const e of endpoints) {
    const status = `127.0.0.1:${e.statusPort}`;
    const ask = e.statusPort === 7473 ? 'metallb-ts status peers' : `metallb-ts status peers --status-addr ${status}`;
    lines.push(`demo:   ${e.node}: status ${status} (${ask}), metrics http://127.0.0.1:${e.metricsPort}/metrics`);
  }
  return lines;
}

/** A loopback TCP port that is free now: `preferred` when it is, else one the system picks. */
export async function freeLoopbackPort(preferred = 0): Promise<number> {
  const tryPort = (port: number): Promise<number | undefined> =>
    new Promise((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(undefined));
      server.listen(port, '127.0.0.1', () => {
        const address = server.address();
        const got = typeof address === 'object' && address !== null ? address.port : undefined;
        server.close(() => resolve(got));
      });
    });
  const port = (preferred !== 0 ? await tryPort(preferred) : undefined) ?? (await tryPort(0));
  if (port === undefined) throw new Error("no free loopback port for the speakers' status and metrics");
  return port;
}

/** The manifests `npm start` uses. */
export const DEFAULT_DEMO_MANIFESTS = fileURLToPath(new URL('../../../examples/seed', import.meta.url));
/** The CLI the speaker children run. */
export const METALLB_TS_BIN = fileURLToPath(new URL('../../../bin/metallb-ts', import.meta.url));

export interface DemoOptions {
  readonly manifests: readonly string[];
  /** Stop after this many seconds; run until `stop` otherwise. */
  readonly forSeconds?: number;
  /** Where logs and views go (default process.stdout). */
  readonly out?: Writable;
  /** Log level of the speaker children (default info). */
  readonly logLevel?: string;
  /** How long each child gets to exit after SIGTERM before SIGKILL, in ms (default 2500). */
  readonly stopGraceMs?: number;
}

/** A running demo. */
export interface DemoHandle {
  readonly routers: readonly LabRouter[];
  readonly children: readonly ChildHandle[];
  /** Stops the children (SIGTERM), then the routers; resolves to the exit code. */
  stop(code?: number): Promise<number>;
  /** Resolves to the exit code once the demo has stopped (by `stop`, `--for`, or a child dying). */
  readonly done: Promise<number>;
}

/** Starts the demo; rejects when the manifests cannot be used or a router cannot listen. */
export async function startDemo(options: DemoOptions): Promise<DemoHandle> {
  const out = options.out ?? process.stdout;
  const write = (text: string): void => void out.write(text.endsWith('\n') ? text : `${text}\n`);
  const state = await loadClusterState(options.manifests);
  const errors = stateErrors(state);
  if (!state.config || errors.length > 0) {
    const lines = errors.map((e) => `  ${e.file ?? ''}${e.line !== undefined ? `:${e.line}` : ''} ${e.object} ${e.path}: ${e.message}`);
    throw new Error(`the demo manifests are not valid:\n${lines.join('\n')}`);
  }
  const topology = labTopology(state.config, state.nodes());
  for (const p of topology.problems) write(`demo: ${p}`);
  if (topology.routers.length === 0) throw new Error('the manifests configure no BGP peer for the lab router to stand for');
  if (topology.nodes.length === 0) throw new Error('no node of the manifests peers with any router');

  const routers: LabRouter[] = [];
  try {
    for (const spec of topology.routers) {
      const r = new LabRouter(spec);
      routers.push(r);
      await r.start();
    }
  } catch (err) {
    await Promise.all(routers.map((r) => r.close()));
    throw err;
  }

  const printer = new ViewPrinter(
    () => routers.map((r) => r.snapshot()),
    (text) => write(text),
  );
  let pending: NodeJS.Timeout | undefined;
  let printing = true;
  const schedule = (): void => {
    if (pending || !printing) return;
    pending = setTimeout(() => {
      pending = undefined;
      printer.check();
    }, 100);
  };
  for (const r of routers) {
    r.onChange(schedule);
    r.onNotification((n) => write(`demo: lab router ${r.spec.address}:${r.port} received NOTIFICATION ${n.code}/${n.subcode} (${notificationName(n.code, n.subcode)}) from ${n.neighbor}`));
  }
  for (const r of routers) {
    write(`demo: lab router listening on ${r.spec.address}:${r.spec.port} (AS ${r.spec.asn}), neighbors ${r.spec.neighbors.map((n) => `${n.address} (${n.node})`).join(', ')}`);
  }

  let finish: (code: number) => void = () => undefined;
  const done = new Promise<number>((resolve) => (finish = resolve));
  let stopping: Promise<number> | undefined;

  // All speakers share this host: each gets its own loopback ports (see the module header).
  // A port is free again once probed, so the system may hand it out twice: keep the chosen ones apart.
  const chosen = new Set<number>();
  const pick = async (preferred: number): Promise<number> => {
    let port = await freeLoopbackPort(preferred);
    while (chosen.has(port)) port = await freeLoopbackPort(0);
    chosen.add(port);
    return port;
  };
  const endpoints: NodeEndpoints[] = [];
  for (const [i, node] of topology.nodes.entries()) {
    const metricsPort = await pick(i === 0 ? 7472 : 0);
    const statusPort = await pick(i === 0 ? 7473 : 0);
    endpoints.push({ node, metricsPort, statusPort });
  }
  for (const line of endpointLines(endpoints)) write(line);

  const children: ChildHandle[] = [];
  const manifestArgs = options.manifests.flatMap((m) => ['--manifests', m]);
  const prefixes = nodeLinePrefixes(topology.nodes);
  for (const { node, metricsPort, statusPort } of endpoints) {
    const opsArgs = ['--metrics-addr', `127.0.0.1:${metricsPort}`, '--status-addr', `127.0.0.1:${statusPort}`];
    const prefix = prefixes.get(node) ?? `${node} | `;
    const child = startChild(
      node,
      process.execPath,
      [METALLB_TS_BIN, 'run', '--node', node, ...manifestArgs, '--log-level', options.logLevel ?? 'info', ...opsArgs, '--drain-time', '0'],
      { onLine: (_stream, line) => write(`${prefix}${line}`) },
    );
    children.push(child);
    write(`demo: started speaker for ${node} (pid ${child.pid ?? '?'})`);
    void child.exited.then((exit: ChildExit) => {
      if (stopping) return;
      write(`demo: the speaker of ${node} exited unexpectedly (code ${exit.code ?? 'none'}, signal ${exit.signal ?? 'none'})`);
      void stop(1);
    });
  }

  const stop = (code = 0): Promise<number> => {
    if (stopping) return stopping;
    stopping = (async () => {
      if (timer) clearTimeout(timer);
      const results = await Promise.all(children.map((c) => c.stop(options.stopGraceMs ?? 2500)));
      // Let the routers take in the speakers' NOTIFICATIONs before the last view.
      await new Promise((r) => setTimeout(r, 50));
      if (pending) clearTimeout(pending);
      printing = false;
      printer.check();
      await Promise.all(routers.map((r) => r.close()));
      const killed = results.filter((r) => r.killed).length;
      if (killed > 0) write(`demo: ${killed} speaker(s) had to be killed`);
      write('demo: stopped');
      const result = killed > 0 ? 1 : code;
      finish(result);
      return result;
    })();
    return stopping;
  };

  write(
    `demo: edit ${options.manifests.map((m) => relative(process.cwd(), m) || m).join(' or ')} to change the routes live; ${options.forSeconds !== undefined ? `stopping in ${options.forSeconds} s` : 'Ctrl-C stops everything'}`,
  );
  const timer = options.forSeconds !== undefined ? setTimeout(() => void stop(0), options.forSeconds * 1000) : undefined;
  return { routers, children, stop, done };
}
