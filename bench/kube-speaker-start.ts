/**
 * The speaker on the API server at scale (not a test): kdouble's API server double, as its own
 * process, holding N LoadBalancer Services (each with its status IP, as the controller writes it) and
 * N EndpointSlices, the metallb.io CRDs of config/crd, a pool, a BGPPeer and an advertisement; then
 * `bin/metallb-ts speaker` as a child process. Measured on the speaker process:
 *
 * - time from its start to `/readyz` answering 200 (the first complete list of every resource
 *   listed, paged, validated and applied as one batch: allocation and the node's plan made), and to
 *   its `k8sSynced` log line;
 * - its CPU time (user + system, from /proc) at that point, which the machine's load does not inflate;
 * - its peak RSS (VmHWM) at that point and after `--settle` more seconds, while it writes the
 *   ServiceBGPStatus objects of the N announced services (2 requests each).
 *
 * The BGP peer is an address where nothing listens (its session stays Active): the measurement is of
 * the source and the pipeline, not of a router.
 *
 * Run: npm run build && node dist/bench/kube-speaker-start.js [N] [--settle SECONDS]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { startApiServer } from '../test/kube-apiserver/server.js';
import type { Obj } from '../test/kube-apiserver/resources.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const NS = 'metallb-system';
const NODE = 'node-116';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i === -1 ? fallback : Number(process.argv[i + 1]);
}

const N = Number(process.argv[2] && !process.argv[2].startsWith('--') ? process.argv[2] : 100_000);
const SETTLE_S = arg('--settle', 20);

function ipOf(i: number): string {
  return `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
}

/** Fills a data file for the double (in this process, which then lets it go). */
async function populate(dataFile: string): Promise<void> {
  const api = await startApiServer({ dataFile });
  for (const f of readdirSync(join(ROOT, 'config/crd')).filter((n) => n.endsWith('.yaml') && n !== 'kustomization.yaml')) {
    api.create(parseYaml(readFileSync(join(ROOT, 'config/crd', f), 'utf8')) as Obj);
  }
  api.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
  api.create({ apiVersion: 'v1', kind: 'Node', metadata: { name: NODE, labels: { 'kubernetes.io/hostname': NODE } }, status: { addresses: [{ type: 'InternalIP', address: '127.0.0.116' }] } });
  api.create({ apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name: 'pool', namespace: NS }, spec: { addresses: ['10.0.0.0/14'] } });
  api.create({ apiVersion: 'metallb.io/v1beta2', kind: 'BGPPeer', metadata: { name: 'router', namespace: NS }, spec: { myASN: 64512, peerASN: 64512, peerAddress: '127.0.0.1', peerPort: 9 } });
  api.create({ apiVersion: 'metallb.io/v1beta1', kind: 'BGPAdvertisement', metadata: { name: 'all', namespace: NS }, spec: {} });
  for (let i = 0; i < N; i++) {
    const ns = `team-${i % 50}`;
    if (i < 50) api.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    const svc = api.create({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: `svc-${i}`, namespace: ns, labels: { 'app.kubernetes.io/name': `svc-${i}` } },
      spec: { type: 'LoadBalancer', allocateLoadBalancerNodePorts: false, ports: [{ port: 80, protocol: 'TCP', targetPort: 8080 }], selector: { app: `svc-${i}` } },
    });
    api.update({ ...svc, status: { loadBalancer: { ingress: [{ ip: ipOf(i + 1) }] } } }, { subresource: 'status' });
    api.create({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: `svc-${i}-x1`, namespace: ns, labels: { 'kubernetes.io/service-name': `svc-${i}` } },
      addressType: 'IPv4',
      endpoints: [{ addresses: [`192.168.${(i >> 8) & 255}.${i & 255}`], conditions: { ready: true }, nodeName: NODE }],
      ports: [{ port: 8080, protocol: 'TCP' }],
    });
  }
  await api.close();
}

/** VmHWM and user+system CPU seconds of a process. */
function procStats(pid: number): { peakRssMiB: number; cpuSeconds: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const hwm = /VmHWM:\s+(\d+) kB/.exec(status);
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return { peakRssMiB: hwm ? Number(hwm[1]) / 1024 : NaN, cpuSeconds: ticks / 100 };
}

async function get(url: string): Promise<number> {
  try {
    return (await fetch(url)).status;
  } catch {
    return 0;
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'mlbts-ks-bench-'));
  const dataFile = join(dir, 'store.jsonl');
  const kubeconfig = join(dir, 'kubeconfig');
  const t0 = performance.now();
  await populate(dataFile);
  process.stderr.write(`populated ${N} Services + EndpointSlices in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);

  const apiPort = 20000 + Math.floor(Math.random() * 10000);
  const double = spawn(process.execPath, [join(ROOT, 'dist/test/kube-apiserver/main.js'), '--listen', `127.0.0.1:${apiPort}`, '--data', dataFile, '--kubeconfig-out', kubeconfig], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    double.stdout.on('data', (d: Buffer) => {
      if (d.toString().includes('listening')) resolve();
    });
    double.on('exit', (code) => reject(new Error(`double exited ${String(code)}`)));
  });

  const metricsPort = 20000 + Math.floor(Math.random() * 10000);
  const started = performance.now();
  const speaker = spawn(process.execPath, [join(ROOT, 'bin/metallb-ts'), 'speaker', '--node-name', NODE, '--kubeconfig', kubeconfig, '--namespace', NS, '--metrics-addr', `127.0.0.1:${metricsPort}`, '--status-addr', 'off', '--log-level', 'warn'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let synced: number | undefined;
  speaker.stdout.on('data', (d: Buffer) => {
    if (synced === undefined && d.toString().includes('"k8sSynced"')) synced = performance.now();
  });
  let readyAt: number | undefined;
  while (readyAt === undefined) {
    if (speaker.exitCode !== null) throw new Error(`speaker exited ${speaker.exitCode}`);
    if ((await get(`http://127.0.0.1:${metricsPort}/readyz`)) === 200) readyAt = performance.now();
    else await new Promise((r) => setTimeout(r, 100));
  }
  const atReady = procStats(speaker.pid as number);
  await new Promise((r) => setTimeout(r, SETTLE_S * 1000));
  const settled = procStats(speaker.pid as number);
  speaker.kill('SIGTERM');
  double.kill('SIGTERM');
  await Promise.all([new Promise((r) => speaker.once('exit', r)), new Promise((r) => double.once('exit', r))]);
  rmSync(dir, { recursive: true, force: true });
  const result = {
    services: N,
    endpointSlices: N,
    readySeconds: Number((((readyAt ?? 0) - started) / 1000).toFixed(2)),
    ...(synced !== undefined ? { syncedLogSeconds: Number(((synced - started) / 1000).toFixed(2)) } : {}),
    cpuSecondsAtReady: atReady.cpuSeconds,
    peakRssMiBAtReady: Math.round(atReady.peakRssMiB),
    [`peakRssMiBAfter${SETTLE_S}s`]: Math.round(settled.peakRssMiB),
    cpuSecondsAfterSettle: settled.cpuSeconds,
    loadavg: loadavg().map((x) => Number(x.toFixed(1))),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

void main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
