/**
 * Graceful restart at scale (issue 11; `npm run bench:graceful-restart`, root, FRR): the restart
 * scenario of test/interop/graceful-restart.test.ts (test/interop/lab/restart-scenario.ts) with
 * 10 000 Services besides argocd-server: the speaker of node-117, whose BGPPeer has
 * `enableGracefulRestart`, is killed with SIGKILL and started again ten times, while a client behind
 * the router opens a connection to 10.10.10.12 every 10 ms and the router's kernel routes of
 * 10.10.10.12 and of the first and last bench Service are sampled every 20 ms (and watched with
 * `ip monitor route`). Per restart: when FRR marks the path stale, when the new session is
 * Established, and when no stale path is left (its End-of-RIB processed).
 *
 * Checks the same properties as the test (every route kept, no request failed, every prefix of each
 * session before its End-of-RIB, nothing stale at the end) and writes bench/results/graceful-restart.md
 * with the commit measured and the load.
 *
 *   node dist/bench/graceful-restart.js [--services 10000] [--restarts 10] [--no-write]
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { Lab, labUnavailable } from '../test/interop/lab/lab.js';
import { runRestartScenario } from '../test/interop/lab/restart-scenario.js';
import type { RestartScenarioResult } from '../test/interop/lab/restart-scenario.js';

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

function maxOf(xs: readonly number[]): number {
  let m = -Infinity;
  for (const x of xs) if (x > m) m = x;
  return m;
}

/** What the run must show; each failed check is one line. */
function problems(r: RestartScenarioResult, restarts: number): string[] {
  const out: string[] = [];
  const first = new Map<string, string>();
  for (const c of r.routeChanges) {
    const hops = c.hops.join(',');
    const was = first.get(c.dst);
    if (was === undefined) first.set(c.dst, hops);
    else out.push(`kernel route of ${c.dst} changed from [${was}] to [${hops}]`);
  }
  for (const [dst, hops] of first) if (hops !== r.node) out.push(`kernel route of ${dst} was [${hops}] at the first sample`);
  for (const e of r.routeEvents) out.push(`ip monitor route: ${e.event}`);
  const failed = r.requests.filter((q) => q.error !== undefined);
  if (failed.length > 0) out.push(`${failed.length} requests failed (first: ${failed[0]?.error})`);
  if (r.sessions.length !== restarts + 1) out.push(`${r.sessions.length} sessions in FRR's log, expected ${restarts + 1}`);
  for (const [i, s] of r.sessions.entries()) {
    if (!s.endOfRib) out.push(`session ${i}: no End-of-RIB`);
    if (new Set(s.beforeEndOfRib).size !== r.prefixes) out.push(`session ${i}: ${new Set(s.beforeEndOfRib).size} prefixes before End-of-RIB, expected ${r.prefixes}`);
    if (s.afterEndOfRib.length > 0) out.push(`session ${i}: ${s.afterEndOfRib.length} prefixes after End-of-RIB`);
  }
  if (r.staleAtEnd !== 0) out.push(`${r.staleAtEnd} paths stale at the end`);
  if (r.pathsAtEnd !== r.prefixes) out.push(`${r.pathsAtEnd} paths at the end, expected ${r.prefixes}`);
  return out;
}

function report(r: RestartScenarioResult, restarts: number, commit: string, load: { start: number[]; end: number[] }, frr: string): string {
  const l: string[] = [];
  const f = (x: number): string => `${(x / 1000).toFixed(2)} s`;
  const bad = problems(r, restarts);
  l.push('# Graceful restart at scale', '');
  l.push(`Measured on commit ${commit}, ${cpus().length} CPUs, load average ${load.start.map((x) => x.toFixed(1)).join(' ')} at the start and ${load.end.map((x) => x.toFixed(1)).join(' ')} at the end (other engineers' work shares the machine); ${frr}.`, '');
  l.push(
    `The seed topology with one node (10.10.10.117) announcing ${r.prefixes} prefixes (argocd-server and ${r.prefixes - 1} Services on the bench pool) to FRR over iBGP with \`enableGracefulRestart\`. ` +
      `The speaker is killed with SIGKILL and started again ${restarts} times; a client behind the router opens a connection to 10.10.10.12 every 10 ms; the router's kernel routes of 10.10.10.12 and of the first and last bench Service are sampled every 20 ms and watched with \`ip monitor route\`. ` +
      'Times are from the SIGKILL, polled on bgpd\'s vty socket every 5 ms. (`npm run bench:graceful-restart`; bench/graceful-restart.ts.)',
    '',
  );
  l.push('| restart | path stale in FRR | new session Established | no stale path left (End-of-RIB) |', '|---:|---:|---:|---:|');
  for (const x of r.restarts) l.push(`| ${x.index} | ${f(x.staleMs)} | ${f(x.establishedMs)} | ${f(x.freshMs)} |`);
  l.push(
    `| median | ${f(median(r.restarts.map((x) => x.staleMs)))} | ${f(median(r.restarts.map((x) => x.establishedMs)))} | ${f(median(r.restarts.map((x) => x.freshMs)))} |`,
    `| worst | ${f(maxOf(r.restarts.map((x) => x.staleMs)))} | ${f(maxOf(r.restarts.map((x) => x.establishedMs)))} | ${f(maxOf(r.restarts.map((x) => x.freshMs)))} |`,
    '',
  );
  const failed = r.requests.filter((q) => q.error !== undefined).length;
  const counts = r.sessions.map((s) => new Set(s.beforeEndOfRib).size);
  l.push(
    `- Kernel routes: ${r.routeSamples} samples (longest gap between two: ${r.maxSampleGapMs} ms, the ticks stretch under load), ${r.routeChanges.length - new Set(r.routeChanges.map((c) => c.dst)).size} changes after the first sample of each, ${r.routeEvents.length} changes seen by \`ip monitor route\`.`,
    `- Requests: ${r.requests.length}, ${failed} failed.`,
    `- FRR's log (\`debug bgp updates in\`): ${r.sessions.length} sessions; prefixes received before each session's End-of-RIB: ${[...new Set(counts)].join(', ')} (of ${r.prefixes}); after it: ${r.sessions.reduce((n, s) => n + s.afterEndOfRib.length, 0)}; "flapped quicker than processing": ${r.sessions.reduce((n, s) => n + s.flapped, 0)}.`,
    `- At the end: ${r.pathsAtEnd} paths from the node, ${r.staleAtEnd} stale.`,
    '',
  );
  l.push(bad.length === 0 ? '**Every check held.**' : `**Checks that failed:**\n${bad.map((b) => `- ${b}`).join('\n')}`, '');
  return l.join('\n');
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { services: { type: 'string' }, restarts: { type: 'string' }, 'no-write': { type: 'boolean' } } });
  const why = labUnavailable(['frr']);
  if (why) {
    process.stderr.write(`bench: cannot run: ${why}\n`);
    return 1;
  }
  const services = Number(values.services ?? 10_000);
  const restarts = Number(values.restarts ?? 10);
  const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD']).toString().trim();
  const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no']).toString().trim() !== '';
  const frr = execFileSync('/usr/lib/frr/bgpd', ['--version']).toString().split('\n')[0]?.trim() ?? 'FRR';
  const load = { start: loadavg(), end: [] as number[] };
  const lab = Lab.create();
  let result: RestartScenarioResult;
  try {
    process.stdout.write(`bench: ${services} services, ${restarts} restarts...\n`);
    result = await runRestartScenario(lab, {
      services,
      restarts,
      onRestart: (x) => process.stdout.write(`restart ${x.index}: stale ${x.staleMs.toFixed(0)} ms, Established ${x.establishedMs.toFixed(0)} ms, fresh ${x.freshMs.toFixed(0)} ms\n`),
    });
  } finally {
    await lab.teardown();
  }
  load.end = loadavg();
  const text = report(result, restarts, `${commit}${dirty ? ' (with uncommitted changes)' : ''}`, load, frr);
  process.stdout.write('\n' + text);
  if (!values['no-write']) {
    const dir = new URL('../../bench/results/', import.meta.url);
    mkdirSync(dir, { recursive: true });
    writeFileSync(new URL('graceful-restart.md', dir), text);
    process.stdout.write('\nwritten to bench/results/graceful-restart.md\n');
  }
  return problems(result, restarts).length === 0 ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
