/**
 * Scale measurement of the double (not a test): starts `main.js` as its own process, opens three
 * watches on Services (two speakers and a controller), creates N Services by POST, one by one with
 * several in flight, then lists all of them three times at once as the components' informers do,
 * and prints create throughput, list time and size, the time for every watch to see every ADDED
 * event, and the server's CPU time and peak RSS (from /proc, so other load on the machine does not
 * distort them).
 *
 *   node dist/test/kube-apiserver/bench-scale.js [--services 100000] [--in-flight 16] [--server-node-arg --cpu-prof]
 *
 * The Services set allocateLoadBalancerNodePorts: false: the node-port range holds 2768 ports, so
 * 100 000 LoadBalancer Services cannot all get one (on a real cluster either).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { createInterface } from 'node:readline';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}

const N = arg('--services', 100_000);
const IN_FLIGHT = arg('--in-flight', 16);

/** CPU seconds (user+system) and peak RSS (MiB) of a process, from /proc. */
function usage(pid: number): { cpu: number; peakMiB: number; rssMiB: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string): number => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { cpu: ticks / 100, peakMiB: kb('VmHWM') / 1024, rssMiB: kb('VmRSS') / 1024 };
}

const agent = new Agent({ keepAlive: true, maxSockets: IN_FLIGHT });

function post(base: string, path: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { method: 'POST', agent, headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function get(base: string, path: string): Promise<{ ms: number; bytes: number; items: number }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    request(`${base}${path}`, { agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const items = (JSON.parse(text) as { items: unknown[] }).items.length;
        resolve({ ms: performance.now() - t0, bytes: text.length, items });
      });
    })
      .on('error', reject)
      .end();
  });
}

const ADDED = '{"type":"ADDED"';

/** A watch that counts ADDED events and resolves when it has seen `n`. */
function watchCount(base: string, path: string, n: number): Promise<number> {
  return new Promise((resolve, reject) => {
    request(`${base}${path}`, { agent: false }, (res) => {
      let seen = 0;
      let tail = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        // Counts event openings; the tail keeps one cut across two chunks.
        const text = tail + c;
        let at = text.indexOf(ADDED);
        while (at >= 0) {
          seen++;
          at = text.indexOf(ADDED, at + ADDED.length);
        }
        tail = text.slice(Math.max(0, text.length - ADDED.length + 1));
        if (seen >= n) {
          resolve(performance.now());
          res.destroy();
        }
      });
    })
      .on('error', reject)
      .end();
  });
}

async function main(): Promise<void> {
  // --server-node-arg passes an option to the server's node (e.g. --cpu-prof to profile it).
  const nodeArgs: string[] = [];
  for (let i = 0; i < process.argv.length; i++) if (process.argv[i] === '--server-node-arg') nodeArgs.push(process.argv[i + 1] ?? '');
  const server = spawn(process.execPath, [...nodeArgs, new URL('./main.js', import.meta.url).pathname, '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve) => createInterface({ input: server.stdout }).once('line', resolve));
  const { url, resourceVersion } = JSON.parse(line) as { url: string; resourceVersion: string };
  const pid = server.pid as number;
  const idle = usage(pid);
  const watches = [0, 1, 2].map(() => watchCount(url, `/api/v1/services?watch=1&resourceVersion=${resourceVersion}&allowWatchBookmarks=true`, N));
  const t0 = performance.now();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < N) {
      const i = next++;
      const body = JSON.stringify({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: `svc-${i}`, namespace: 'default', labels: { app: `app-${i % 100}` }, annotations: { 'metallb.io/address-pool': 'default' } },
        spec: { type: 'LoadBalancer', allocateLoadBalancerNodePorts: false, selector: { app: `app-${i % 100}` }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
      });
      const code = await post(url, '/api/v1/namespaces/default/services', body);
      if (code !== 201) throw new Error(`POST svc-${i} answered ${code}`);
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, () => worker()));
  const created = performance.now();
  const watchedAt = await Promise.all(watches);
  const afterCreate = usage(pid);
  const lists = await Promise.all([0, 1, 2].map(() => get(url, '/api/v1/services')));
  const afterList = usage(pid);
  const one = await get(url, '/api/v1/services');
  const benchCpu = process.cpuUsage();
  const createS = (created - t0) / 1000;
  const result = {
    services: N,
    inFlight: IN_FLIGHT,
    createSeconds: Number(createS.toFixed(2)),
    createsPerSecond: Math.round(N / createS),
    allWatchesSawEveryAddMs: Math.round(Math.max(...watchedAt) - t0),
    serverCpuSecondsForCreates: Number((afterCreate.cpu - idle.cpu).toFixed(2)),
    threeConcurrentListsMs: lists.map((l) => Math.round(l.ms)),
    oneListMs: Math.round(one.ms),
    listMiB: Number((one.bytes / 1048576).toFixed(1)),
    listItems: one.items,
    serverCpuSecondsForThreeLists: Number((afterList.cpu - afterCreate.cpu).toFixed(2)),
    serverRssIdleMiB: Math.round(idle.rssMiB),
    serverRssAfterCreateMiB: Math.round(afterCreate.rssMiB),
    serverPeakRssMiB: Math.round(usage(pid).peakMiB),
    benchClientCpuSeconds: Number(((benchCpu.user + benchCpu.system) / 1e6).toFixed(2)),
    loadAverage: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  server.kill('SIGTERM');
  await new Promise((r) => server.once('exit', r));
  agent.destroy();
}

main().catch((err: unknown) => {
  process.stderr.write(`${String(err)}\n`);
  process.exit(1);
});
