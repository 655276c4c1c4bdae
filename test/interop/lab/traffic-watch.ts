/**
 * What a router and a client see while speakers restart or shut down, for the graceful restart and
 * graceful shutdown tests and the restart benchmark:
 * - `startClientLoop`: a client (in the client namespace) that opens a TCP connection to the service
 *   IP every `intervalMs`, makes one HTTP/1.0 request on it, and reports every answer (which node) and
 *   every failure with its time;
 * - `startRouteSampler`: a sampler (in the router namespace) that reads the kernel route of each
 *   destination every `intervalMs` (`ip -j route show DST`) and reports every change of its next hops,
 *   the number of samples and the longest gap between two samples;
 * - `enableUpdateLog` / `sessionsInLog`: FRR's debug log of the UPDATEs and End-of-RIBs it receives,
 *   cut into sessions (`%ADJCHANGE ... Up`), with for each the prefixes received before its End-of-RIB
 *   and after it.
 * Both scripts run as lab processes (killed by pid at teardown); `stop()` ends them with SIGTERM and
 * reads their summary.
 */
import type { Frr } from './frr.js';
import type { Lab, LabProcess } from './lab.js';
import { waitUntil } from './lab.js';

// One connection per tick, never waiting for the previous one. Each line of output is one outcome:
// {"t": ms, "node": body} or {"t": ms, "error": message}; SIGTERM stops the ticks, waits for the
// connections in flight and prints {"summary": {...}}.
const CLIENT_LOOP_SCRIPT = `
const net = require('node:net');
const [host, intervalMs] = [process.argv[1], Number(process.argv[2])];
let ok = 0, failed = 0, inflight = 0;
const one = () => {
  const t = Date.now();
  let data = '';
  let done = false;
  inflight++;
  const s = net.connect({ host, port: 80, timeout: 2000 });
  const finish = (err) => {
    if (done) return;
    done = true;
    inflight--;
    const i = data.indexOf('\\r\\n\\r\\n');
    const body = i < 0 ? '' : data.slice(i + 4).trim();
    if (err || body === '') { failed++; process.stdout.write(JSON.stringify({ t, error: err ? err.message : 'no answer' }) + '\\n'); }
    else { ok++; process.stdout.write(JSON.stringify({ t, node: body }) + '\\n'); }
  };
  s.on('connect', () => s.write('GET / HTTP/1.0\\r\\nHost: ' + host + '\\r\\n\\r\\n'));
  s.on('data', (d) => { data += d; });
  s.on('timeout', () => s.destroy(new Error('timeout')));
  s.on('error', (e) => finish(e));
  s.on('close', () => finish());
};
const timer = setInterval(one, intervalMs);
process.on('SIGTERM', () => {
  clearInterval(timer);
  const wait = () => { if (inflight > 0) return setTimeout(wait, 10); process.stdout.write(JSON.stringify({ summary: { ok, failed } }) + '\\n'); process.exit(0); };
  wait();
});
`;

// Every tick reads each destination's kernel route; prints {"t", "dst", "hops"} when a destination's
// next hops change (and once at start), and {"summary": {samples, maxGapMs}} on SIGTERM. Beside the
// samples, \`ip monitor route\` reports every change of a sampled destination's route as it happens
// ({"t", "dst", "event"}), so a change between two samples (a loaded machine stretches the ticks) is
// seen too.
const ROUTE_SAMPLER_SCRIPT = `
const { execFileSync, spawn } = require('node:child_process');
const intervalMs = Number(process.argv[1]);
const dsts = process.argv.slice(2);
const monitor = spawn('ip', ['monitor', 'route'], { stdio: ['ignore', 'pipe', 'ignore'] });
let partial = '';
monitor.stdout.on('data', (d) => {
  partial += d;
  let nl;
  while ((nl = partial.indexOf('\\n')) >= 0) {
    const line = partial.slice(0, nl);
    partial = partial.slice(nl + 1);
    const words = line.split(' ');
    const dst = dsts.find((x) => words.includes(x));
    if (dst !== undefined) process.stdout.write(JSON.stringify({ t: Date.now(), dst, event: line }) + '\\n');
  }
});
const last = new Map();
let samples = 0, maxGapMs = 0, prev;
const sample = () => {
  const t = Date.now();
  if (prev !== undefined) maxGapMs = Math.max(maxGapMs, t - prev);
  prev = t;
  for (const dst of dsts) {
    let hops;
    try {
      const r = JSON.parse(execFileSync('ip', ['-j', 'route', 'show', dst]).toString())[0];
      hops = !r ? [] : r.nexthops ? r.nexthops.map((h) => h.gateway) : r.gateway ? [r.gateway] : ['dev ' + r.dev];
    } catch (e) { hops = ['error ' + e.message]; }
    hops.sort();
    const key = hops.join(',');
    if (last.get(dst) !== key) { last.set(dst, key); process.stdout.write(JSON.stringify({ t, dst, hops }) + '\\n'); }
  }
  samples++;
};
sample();
const timer = setInterval(sample, intervalMs);
process.on('SIGTERM', () => { clearInterval(timer); monitor.kill(); process.stdout.write(JSON.stringify({ summary: { samples, maxGapMs } }) + '\\n'); process.exit(0); });
`;

/** Reads a lab process's JSON lines. */
function jsonLines(lab: Lab, p: LabProcess): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const line of lab.log(p).split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      out.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      continue;
    }
  }
  return out;
}

/** One client request's outcome: answered by `node`, or failed with `error`; `t` is when it started (epoch ms). */
export interface ClientOutcome {
  readonly t: number;
  readonly node?: string;
  readonly error?: string;
}

/** A running client loop. */
export interface ClientLoop {
  /** Outcomes so far. */
  outcomes(): ClientOutcome[];
  /** Stops the ticks, waits for the connections in flight; every outcome. */
  stop(): Promise<ClientOutcome[]>;
}

/** Starts a client in namespace `ns` that opens a connection to `host`:80 every `intervalMs`. */
export async function startClientLoop(lab: Lab, ns: string, host: string, intervalMs = 10): Promise<ClientLoop> {
  const p = lab.spawn(ns, `client-loop-${host}`, process.execPath, ['-e', CLIENT_LOOP_SCRIPT, host, String(intervalMs)]);
  const outcomes = (): ClientOutcome[] => jsonLines(lab, p).filter((l) => typeof l['t'] === 'number') as unknown as ClientOutcome[];
  await waitUntil(() => outcomes().length > 0, { timeoutMs: 10_000, intervalMs: 20, what: 'the client loop to start' });
  return {
    outcomes,
    async stop() {
      process.kill(p.pid, 'SIGTERM');
      await p.exited;
      return outcomes();
    },
  };
}

/** A change of a destination's kernel next hops seen by a sample (epoch ms). */
export interface RouteChange {
  readonly t: number;
  readonly dst: string;
  readonly hops: readonly string[];
}

/** A change of a destination's kernel route as `ip monitor route` reported it (epoch ms). */
export interface RouteEvent {
  readonly t: number;
  readonly dst: string;
  /** The monitor's line (`Deleted 10.10.10.12 via ...`, `10.10.10.12 nhid ...`). */
  readonly event: string;
}

/** A running route sampler. */
export interface RouteSampler {
  changes(): RouteChange[];
  /** Every change the route monitor reported. */
  events(): RouteEvent[];
  /** Stops sampling: every change, every monitor event, the number of samples and the longest gap between two. */
  stop(): Promise<{ changes: RouteChange[]; events: RouteEvent[]; samples: number; maxGapMs: number }>;
}

/** Starts sampling the kernel routes of `dsts` in namespace `ns` every `intervalMs`. */
export async function startRouteSampler(lab: Lab, ns: string, dsts: readonly string[], intervalMs = 20): Promise<RouteSampler> {
  const p = lab.spawn(ns, 'route-sampler', process.execPath, ['-e', ROUTE_SAMPLER_SCRIPT, String(intervalMs), ...dsts]);
  const changes = (): RouteChange[] => jsonLines(lab, p).filter((l) => typeof l['dst'] === 'string' && Array.isArray(l['hops'])) as unknown as RouteChange[];
  const events = (): RouteEvent[] => jsonLines(lab, p).filter((l) => typeof l['event'] === 'string') as unknown as RouteEvent[];
  await waitUntil(() => changes().length >= dsts.length, { timeoutMs: 10_000, intervalMs: 20, what: 'the route sampler to start' });
  return {
    changes,
    events,
    async stop() {
      process.kill(p.pid, 'SIGTERM');
      await p.exited;
      const summary = jsonLines(lab, p).find((l) => l['summary'] !== undefined)?.['summary'] as { samples: number; maxGapMs: number } | undefined;
      return { changes: changes(), events: events(), samples: summary?.samples ?? 0, maxGapMs: summary?.maxGapMs ?? 0 };
    },
  };
}

/** Turns on FRR's debug log of received UPDATEs, End-of-RIBs and neighbor events (to its stdout log). */
export async function enableUpdateLog(frr: Frr): Promise<void> {
  await frr.vtysh('configure terminal', 'log stdout debugging');
  await frr.vtysh('debug bgp updates in', 'debug bgp neighbor-events', 'debug bgp graceful-restart');
}

/** One session of a neighbor in FRR's log, from its `%ADJCHANGE ... Up`. */
export interface LoggedSession {
  /** Prefixes received (`rcvd 10.10.10.12/32`) before the session's first End-of-RIB, in order. */
  readonly beforeEndOfRib: string[];
  /** Prefixes received after it. */
  readonly afterEndOfRib: string[];
  /** Whether an IPv4 unicast End-of-RIB was received. */
  readonly endOfRib: boolean;
  /** FRR's "flapped quicker than processing" lines (a path replaced before it was processed). */
  readonly flapped: number;
}

/** Cuts FRR's debug log into the sessions of neighbor `address` (see `enableUpdateLog`). */
export function sessionsInLog(log: string, address: string): LoggedSession[] {
  const sessions: { beforeEndOfRib: string[]; afterEndOfRib: string[]; endOfRib: boolean; flapped: number }[] = [];
  const esc = address.replace(/\./g, '\\.');
  const up = new RegExp(`%ADJCHANGE: neighbor ${esc}(\\(|\\s).* Up\\b`);
  const eor = new RegExp(`rcvd End-of-RIB for IPv4 Unicast from ${esc}\\b`);
  const prefix = new RegExp(`\\b${esc}(\\([^)]*\\))? rcvd (\\d+\\.\\d+\\.\\d+\\.\\d+/\\d+)`);
  const flap = new RegExp(`\\b${esc}(\\([^)]*\\))? rcvd \\S+, flapped quicker than processing`);
  let cur: (typeof sessions)[number] | undefined;
  for (const line of log.split('\n')) {
    if (up.test(line)) {
      cur = { beforeEndOfRib: [], afterEndOfRib: [], endOfRib: false, flapped: 0 };
      sessions.push(cur);
      continue;
    }
    if (!cur) continue;
    if (eor.test(line)) {
      cur.endOfRib = true;
      continue;
    }
    if (flap.test(line)) cur.flapped++;
    const m = prefix.exec(line);
    if (m?.[2] !== undefined) (cur.endOfRib ? cur.afterEndOfRib : cur.beforeEndOfRib).push(m[2]);
  }
  return sessions;
}
