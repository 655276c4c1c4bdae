/**
 * Manifest change to route, on loopback (not a test): the demo's pieces — a lab router on our own
 * Speaker and two `metallb-ts run` processes — and N changes that each add one LoadBalancer Service
 * (with a ready endpoint on both nodes) to a manifest file. Measures the time from the file write to
 * the new prefix being installed with both next hops at the router, then the same for removals. This
 * covers the watcher debounce (20 ms), reading and validating every manifest, allocation, planning,
 * the UPDATE and its decoding at the router. Writes bench/results/manifest-to-route.md.
 *
 * Run: npm run build && node dist/bench/manifest-to-route.js [N]
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { startChild } from '../src/demo/children.js';
import { LabRouter } from '../src/demo/lab-router.js';
import { labTopology } from '../src/demo/topology.js';
import { loadClusterState } from '../src/sources/manifests/state.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const N = Number(process.argv[2] ?? 100);

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

async function waitFor(pred: () => boolean, ms: number): Promise<void> {
  const start = performance.now();
  while (!pred()) {
    if (performance.now() - start > ms) throw new Error('timed out');
    await new Promise((r) => setImmediate(r));
  }
}

function service(i: number): string {
  const ip = `10.10.10.${20 + (i % 70)}`;
  return `---
apiVersion: v1
kind: Service
metadata: {namespace: bench, name: svc-${i}, annotations: {metallb.io/loadBalancerIPs: ${ip}}}
spec: {type: LoadBalancer, ipFamilies: [IPv4], ports: [{port: 80}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {namespace: bench, name: svc-${i}-1, labels: {kubernetes.io/service-name: svc-${i}}}
endpoints:
- {addresses: [10.244.1.${i % 250}], conditions: {ready: true}, nodeName: node-116}
- {addresses: [10.244.2.${i % 250}], conditions: {ready: true}, nodeName: node-117}
`;
}

function stats(xs: number[]): { median: number; p99: number; max: number } {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number): number => s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
  return { median: at(0.5), p99: at(0.99), max: s[s.length - 1] ?? NaN };
}

async function main(): Promise<void> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'mlbts-bench-'));
  const seed = join(ROOT, 'examples/seed');
  writeFileSync(join(dir, 'config.yaml'), readFileSync(join(seed, 'config.yaml'), 'utf8').replace('peer-port: 1179', `peer-port: ${port}`));
  writeFileSync(join(dir, 'cluster.yaml'), readFileSync(join(seed, 'cluster.yaml')));
  const snap = await loadClusterState([dir]);
  if (!snap.config) throw new Error('bad manifests');
  const router = new LabRouter(labTopology(snap.config, snap.nodes()).routers[0]!);
  await router.start();
  const children = ['node-116', 'node-117'].map((node) =>
    startChild(node, process.execPath, [join(ROOT, 'bin/metallb-ts'), 'run', '--node', node, '--manifests', dir, '--log-level', 'warn'], { onLine: () => undefined }),
  );
  const hops = (prefix: string): number => router.routes().find((r) => r.prefix === prefix)?.paths.length ?? 0;
  try {
    await waitFor(() => hops('10.10.10.12/32') === 2, 10_000);
    const adds: number[] = [];
    const removes: number[] = [];
    const WARMUP = 10;
    const warm: number[] = [];
    for (let i = 0; i < N + WARMUP; i++) {
      const prefix = `10.10.10.${20 + (i % 70)}/32`;
      const t0 = performance.now();
      writeFileSync(join(dir, 'bench.yaml'), service(i));
      await waitFor(() => hops(prefix) === 2, 5000);
      const added = performance.now() - t0;
      const t1 = performance.now();
      writeFileSync(join(dir, 'bench.yaml'), '');
      await waitFor(() => hops(prefix) === 0, 5000);
      const removed = performance.now() - t1;
      if (i < WARMUP) {
        warm.push(added, removed);
      } else {
        adds.push(added);
        removes.push(removed);
      }
    }
        const a = stats(adds);
    const r = stats(removes);
    const row = (name: string, s: { median: number; p99: number; max: number }): string =>
      `| ${name} | ${N} | ${s.median.toFixed(1)} | ${s.p99.toFixed(1)} | ${s.max.toFixed(1)} |`;
    const text = [
      '# Manifest change to route (loopback, lab router on our own speaker, two `run` processes)',
      '',
      `${new Date().toISOString()}, Node.js ${process.version}, ${cpus()[0]?.model ?? 'cpu'} x${cpus().length}`,
      '',
      '| change | n | median ms | p99 ms | max ms |',
      '|---|---|---|---|---|',
      row('add a Service (prefix installed via both nodes)', a),
      row('remove it (prefix gone at the router)', r),
      '',
      `The first ${WARMUP} adds and removes after start (JIT warm-up, not in the table): max ${Math.max(...warm).toFixed(1)} ms.`,
      '',
      'Includes the 20 ms watcher debounce. For comparison, MetalLB in FRR mode waits for a 3 s reload',
      'debounce (3-4 s per change); Cilium rate-limits to 100 ms.',
      '',
    ].join('\n');
    const out = join(ROOT, 'bench/results/manifest-to-route.md');
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, text);
    process.stdout.write(text);
  } finally {
    await Promise.all(children.map((c) => c.stop(2000)));
    await router.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
