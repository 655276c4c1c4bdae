/**
 * Speaker convergence against a real FRR (issue 5's benchmark; `npm run bench:convergence`, root).
 *
 * 1. Change latency: the seed topology (test/interop/lab/seed-topology.ts: FRR in a router
 *    namespace, two node namespaces running `metallb-ts run` on one manifest folder). Each change
 *    writes one new Service (+ EndpointSlice) file into the folder (atomic rename) and the clock runs
 *    until the prefix is in FRR's BGP table: first from one node, then from both. FRR is polled on
 *    bgpd's vty socket directly (about 1 ms a query, every 2 ms), never through a vtysh process.
 * 2. Scale: 10 000 Services on two nodes written before the speakers start; the clock runs from
 *    starting both speaker processes until FRR has received every prefix from both nodes.
 *
 * Prints a report and writes it to bench/results/speaker-convergence.md, beside MetalLB's published
 * 3-4 s (FRR-reload debounce) and Cilium's 100 ms reconcile rate limit
 * (shared/reference/peers.md, "MetalLB-FRR advertisement delay" and "Cilium").
 *
 *   node dist/bench/speaker-convergence.js [--changes 100] [--services 10000] [--scale-runs 3]
 *                                          [--only changes|scale] [--no-write]
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { Lab, labUnavailable, sleep, waitUntil } from '../test/interop/lab/lab.js';
import { VtyClient } from '../test/interop/lab/vty.js';
import { SEED_CONFIGMAP_WITH_BENCH_POOL, SERVICE_IP, benchIp, manifestList, serviceManifests, serviceObjects, startSeedTopology } from '../test/interop/lab/seed-topology.js';
import type { SeedTopology } from '../test/interop/lab/seed-topology.js';

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[idx] as number;
}

interface Stats {
  readonly n: number;
  readonly min: number;
  readonly median: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

function stats(xs: readonly number[]): Stats {
  const s = [...xs].sort((a, b) => a - b);
  return { n: s.length, min: s[0] ?? NaN, median: quantile(s, 0.5), p90: quantile(s, 0.9), p99: quantile(s, 0.99), max: s[s.length - 1] ?? NaN };
}

const ms = (x: number): string => `${x.toFixed(1)} ms`;

interface LatencyResult {
  readonly first: Stats;
  readonly both: Stats;
  readonly queryMs: Stats;
  readonly connections: { readonly node: string; readonly established: number; readonly dropped: number }[];
}

interface BgpPrefixJson {
  readonly paths?: readonly unknown[];
}

/** Part 1: `changes` new services, one at a time; time to the prefix in FRR's table. */
async function measureChanges(changes: number): Promise<LatencyResult> {
  const lab = Lab.create();
  try {
    const topo = await startSeedTopology(lab, { client: false, extraManifests: { '00-config.yaml': SEED_CONFIGMAP_WITH_BENCH_POOL } });
    await topo.waitEstablished(30_000);
    await topo.waitRoute(`${SERVICE_IP}/32`, topo.nodes.map((n) => n.address), 30_000);
    const vty = await VtyClient.connect(topo.frr.bgpdVty);
    const names = topo.nodes.map((n) => n.name);
    const first: number[] = [];
    const both: number[] = [];
    const queries: number[] = [];
    try {
      // A few warm-up changes (JIT, first file events), not counted.
      const warmup = 5;
      for (let i = 0; i < changes + warmup; i++) {
        const ip = benchIp(i);
        const text = serviceManifests({ namespace: 'bench', name: `svc-${i}`, ip, endpointNodes: names }, i);
        const t0 = performance.now();
        topo.writeManifest(`20-svc-${i}.yaml`, text);
        let tFirst: number | undefined;
        for (;;) {
          const q0 = performance.now();
          const j = JSON.parse(await vty.command(`show bgp ipv4 unicast ${ip}/32 json`)) as BgpPrefixJson;
          const now = performance.now();
          queries.push(now - q0);
          const count = j.paths?.length ?? 0;
          if (count >= 1 && tFirst === undefined) tFirst = now - t0;
          if (count >= 2) {
            if (i >= warmup) {
              first.push(tFirst ?? now - t0);
              both.push(now - t0);
            }
            break;
          }
          if (now - t0 > 10_000) throw new Error(`change ${i}: ${ip}/32 not in FRR after 10 s`);
          await sleep(1);
        }
        await sleep(20);
      }
    } finally {
      vty.close();
    }
    const connections = [];
    for (const n of topo.nodes) {
      const nb = await topo.frr.neighbor(n.address);
      connections.push({ node: n.name, established: nb?.connectionsEstablished ?? -1, dropped: nb?.connectionsDropped ?? -1 });
    }
    return { first: stats(first), both: stats(both), queryMs: stats(queries), connections };
  } finally {
    await lab.teardown();
  }
}

interface ScaleResult {
  readonly services: number;
  readonly manifestBytes: number;
  readonly establishedMs: Record<string, number>;
  readonly fullMs: Record<string, number>;
  readonly allMs: number;
  readonly routesInstalledMs: number | undefined;
}

interface SummaryJson {
  readonly ipv4Unicast?: { readonly peers?: Record<string, { readonly state?: string; readonly pfxRcd?: number }> };
}

/** Part 2: `count` services on two nodes; time from starting the speakers to all prefixes in FRR. */
async function measureScale(count: number, mode: 'start' | 'write' = 'start', logLevel = 'info'): Promise<ScaleResult> {
  const lab = Lab.create();
  try {
    const objects: object[] = [];
    for (let i = 0; i < count; i++) objects.push(...serviceObjects({ namespace: 'bench', name: `svc-${i}`, ip: benchIp(i), endpointNodes: ['node-116', 'node-117'] }, i));
    const text = manifestList(objects);
    const topo: SeedTopology = await startSeedTopology(lab, {
      client: false,
      logLevel,
      startSpeakers: mode === 'write',
      extraManifests: { '00-config.yaml': SEED_CONFIGMAP_WITH_BENCH_POOL, ...(mode === 'start' ? { '20-services.json': text } : {}) },
    });
    if (mode === 'write') {
      // Speakers running, sessions up, argocd-server announced: the clock starts at the write.
      await topo.waitEstablished(30_000);
      await topo.waitRoute(`${SERVICE_IP}/32`, topo.nodes.map((n) => n.address), 30_000);
    }
    const want = count + 1; // and argocd-server
    const vty = await VtyClient.connect(topo.frr.bgpdVty);
    const establishedMs: Record<string, number> = {};
    const fullMs: Record<string, number> = {};
    let routesInstalledMs: number | undefined;
    try {
      const t0 = performance.now();
      if (mode === 'start') for (const n of topo.nodes) topo.startSpeaker(n);
      else topo.writeManifest('20-services.json', text);
      for (;;) {
        const j = JSON.parse(await vty.command('show bgp ipv4 unicast summary json')) as SummaryJson & { peers?: Record<string, { state?: string; pfxRcd?: number }> };
        const peers = j.peers ?? j.ipv4Unicast?.peers ?? {};
        const now = performance.now() - t0;
        for (const n of topo.nodes) {
          const p = peers[n.address];
          if (p?.state === 'Established' && establishedMs[n.name] === undefined) establishedMs[n.name] = now;
          if ((p?.pfxRcd ?? 0) >= want && fullMs[n.name] === undefined) fullMs[n.name] = now;
        }
        if (topo.nodes.every((n) => fullMs[n.name] !== undefined)) break;
        if (now > 60_000) throw new Error(`not converged after 60 s: ${JSON.stringify(peers)}`);
        await sleep(10);
      }
      // Also: when zebra has the ECMP routes (informational; the kernel install is FRR's work).
      await waitUntil(
        async () => {
          const s = await topo.frr.json<{ routes?: { type?: string; fib?: number }[] }>('show ip route summary');
          const bgp = (s.routes ?? []).find((r) => r.type === 'ibgp' || r.type === 'bgp');
          return (bgp?.fib ?? 0) >= want ? true : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 50, what: 'routes in the FIB' },
      ).then(
        () => {
          routesInstalledMs = performance.now() - t0;
        },
        () => undefined,
      );
      const allMs = Math.max(...Object.values(fullMs));
      return { services: count, manifestBytes: Buffer.byteLength(text), establishedMs, fullMs, allMs, routesInstalledMs };
    } finally {
      vty.close();
    }
  } finally {
    await lab.teardown();
  }
}

function frrVersion(): string {
  try {
    const out = execFileSync('/usr/lib/frr/bgpd', ['--version']).toString();
    return /version\s+(\S+)/i.exec(out)?.[1] ?? out.split('\n')[0] ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

function report(
  lat: LatencyResult | undefined,
  scales: readonly ScaleResult[],
  writes: readonly ScaleResult[],
  quiet: readonly ScaleResult[],
  changes: number,
  load: { readonly start: number[]; readonly end: number[] },
): string {
  const scale = [...scales].sort((a, b) => a.allMs - b.allMs)[Math.floor((scales.length - 1) / 2)];
  const l: string[] = [];
  l.push('# Speaker convergence against FRR');
  l.push('');
  l.push(`Measured ${new Date().toISOString()} by \`npm run bench:convergence\` (bench/speaker-convergence.ts) on ${cpus()[0]?.model ?? 'unknown CPU'} (${cpus().length} CPUs), Node.js ${process.version}, FRR ${frrVersion()}.`);
  l.push('Topology: the seed scenario in network namespaces (test/interop/lab/seed-topology.ts): FRR (AS 64512, `maximum-paths ibgp 8`) in a router namespace, two node namespaces each running `bin/metallb-ts run --node NAME --manifests DIR` (log level info) on the same folder.');
  l.push(`Load average (1/5/15 min) at start ${load.start.map((x) => x.toFixed(2)).join(' / ')}, at end ${load.end.map((x) => x.toFixed(2)).join(' / ')}: other sessions share this machine, so these are figures under load.`);
  l.push('');
  if (lat) {
    l.push(`## Manifest change to prefix in FRR's BGP table (${changes} changes)`);
    l.push('');
    l.push('Each change writes one new Service and its EndpointSlice into the manifests folder (write to a temp file, rename); the clock stops when `show bgp ipv4 unicast PREFIX json` on bgpd\'s vty socket shows the path. Polling: one query every ~2 ms, ' +
      `median query ${ms(lat.queryMs.median)} (p99 ${ms(lat.queryMs.p99)}), so the resolution is about 3 ms. 5 warm-up changes are not counted.`);
    l.push('');
    l.push('| | median | p90 | p99 | max | min | target |');
    l.push('|---|---|---|---|---|---|---|');
    l.push(`| first node's path in FRR | ${ms(lat.first.median)} | ${ms(lat.first.p90)} | ${ms(lat.first.p99)} | ${ms(lat.first.max)} | ${ms(lat.first.min)} | median < 50 ms, p99 < 200 ms |`);
    l.push(`| both nodes' paths in FRR (ECMP complete) | ${ms(lat.both.median)} | ${ms(lat.both.p90)} | ${ms(lat.both.p99)} | ${ms(lat.both.max)} | ${ms(lat.both.min)} | |`);
    l.push('');
    l.push(`Sessions during the ${changes + 5} changes, as FRR counts them (\`show bgp neighbors json\`): ` +
      lat.connections.map((c) => `${c.node} connectionsEstablished ${c.established}, connectionsDropped ${c.dropped}`).join('; ') + '.');
    l.push('');
  }
  if (scale) {
    l.push(`## ${scale.services.toLocaleString('en-US')} services on two nodes, from start`);
    l.push('');
    l.push(`${scale.services} Services and EndpointSlices (${(scale.manifestBytes / 1e6).toFixed(1)} MB of manifests, plus argocd-server) are in the folder before the speakers start. The clock starts when both \`metallb-ts run\` processes are spawned and stops when FRR's \`show bgp ipv4 unicast summary json\` shows ${scale.services + 1} prefixes received from each node (polled every 10 ms on the vty socket).`);
    l.push('');
    l.push('| node | session Established | all prefixes in FRR |');
    l.push('|---|---|---|');
    for (const node of Object.keys(scale.fullMs)) l.push(`| ${node} | ${ms(scale.establishedMs[node] ?? NaN)} | ${ms(scale.fullMs[node] ?? NaN)} |`);
    l.push('');
    l.push(`Runs: ${scales.map((r) => ms(r.allMs)).join(', ')}; the table shows the median run.`);
    l.push('');
    l.push(`Converged (both nodes, every prefix in FRR's BGP table): **${ms(scale.allMs)}** after start (target < 2 s).` +
      (scale.routesInstalledMs !== undefined ? ` FRR had installed the ${scale.services + 1} ECMP routes in its FIB (\`show ip route summary json\`) ${ms(scale.routesInstalledMs)} after start.` : ''));
    l.push('');
  }
  if (quiet[0]) {
    l.push(`For comparison, the same start with \`--log-level warn\` (no per-service info lines; 30 000 fewer lines per node): ${ms(quiet[0].allMs)}. The difference is what MetalLB-shaped info logging of every allocation and announcement costs here.`);
    l.push('');
  }
  if (writes.length > 0) {
    const w = [...writes].sort((a, b) => a.allMs - b.allMs)[Math.floor((writes.length - 1) / 2)];
    l.push(`## ${w?.services.toLocaleString('en-US')} services in one manifest write, sessions already up`);
    l.push('');
    l.push('The same services written as one file while both speakers run with their sessions Established (only argocd-server announced); the clock starts at the write (rename) and stops when FRR has every prefix from both nodes.');
    l.push('');
    l.push(`Runs: ${writes.map((r) => ms(r.allMs)).join(', ')}; median **${ms(w?.allMs ?? NaN)}**` +
      (w?.routesInstalledMs !== undefined ? `, FIB complete ${ms(w.routesInstalledMs)} after the write.` : '.'));
    l.push('');
  }
  l.push('## Beside published figures');
  l.push('');
  l.push('| implementation | new service IP to the router | source |');
  l.push('|---|---|---|');
  if (lat) l.push(`| metallb-ts (this run) | median ${ms(lat.first.median)}, p99 ${ms(lat.first.p99)} (manifest write to FRR's table) | above |`);
  l.push('| MetalLB, FRR mode | 3-4 s after the endpoints are ready: the 3 s FRR-reload debounce (`speaker/main.go defaultDebounceTimeout`) | metallb/metallb#2900, via shared/reference/peers.md |');
  l.push('| Cilium BGP control plane | reconciles rate-limited to 100 ms | cilium/cilium PR #40916, via shared/reference/peers.md |');
  l.push('');
  l.push('Caveats: this measures from a file write, not from a Kubernetes watch event (no API server in the loop); both speakers and FRR share one machine. MetalLB also reset sessions on Service changes in v0.13.x (#1944, #2049); the connection counters above show ours were not.');
  return l.join('\n') + '\n';
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { changes: { type: 'string' }, services: { type: 'string' }, 'no-write': { type: 'boolean' }, only: { type: 'string' }, 'scale-runs': { type: 'string' } } });
  const why = labUnavailable(['frr']);
  if (why) {
    process.stderr.write(`bench: cannot run here: ${why}\n`);
    return 1;
  }
  const changes = Number(values.changes ?? 100);
  const services = Number(values.services ?? 10_000);
  let lat: LatencyResult | undefined;
  const scales: ScaleResult[] = [];
  const writes: ScaleResult[] = [];
  const quiet: ScaleResult[] = [];
  const runs = Number(values['scale-runs'] ?? 3);
  const load = { start: loadavg(), end: [] as number[] };
  if (values.only !== 'scale') {
    process.stdout.write(`bench: ${changes} manifest changes...\n`);
    lat = await measureChanges(changes);
  }
  if (values.only !== 'changes') {
    for (let r = 0; r < runs; r++) {
      process.stdout.write(`bench: ${services} services on two nodes (run ${r + 1} of ${runs})...\n`);
      scales.push(await measureScale(services));
    }
    process.stdout.write(`bench: ${services} services on two nodes with --log-level warn (one run, for comparison)...\n`);
    quiet.push(await measureScale(services, 'start', 'warn'));
    for (let r = 0; r < runs; r++) {
      process.stdout.write(`bench: ${services} services in one write, sessions up (run ${r + 1} of ${runs})...\n`);
      writes.push(await measureScale(services, 'write'));
    }
  }
  load.end = loadavg();
  const text = report(lat, scales, writes, quiet, changes, load);
  process.stdout.write('\n' + text);
  if (!values['no-write']) {
    const dir = new URL('../../bench/results/', import.meta.url);
    mkdirSync(dir, { recursive: true });
    writeFileSync(new URL('speaker-convergence.md', dir), text);
    process.stdout.write(`\nwritten to bench/results/speaker-convergence.md\n`);
  }
  return 0;
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
