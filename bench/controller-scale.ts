/**
 * The controller at scale through the API server double (issue 10; `npm run bench:controller`).
 *
 * Three processes on loopback: the double (`dist/test/kube-apiserver/main.js`), one
 * `bin/metallb-ts controller` (the command the Deployment runs), and this one, which creates N
 * Services through HTTP (POST, 16 in flight, keep-alive) in a pool of 2^18 addresses and watches
 * every Service. Measured:
 * 1. live: from the first create until every Service shows an IP in `status.loadBalancer.ingress`
 *    (the watch stream says so), with the controller running and synced on the empty cluster; and
 *    until the controller's write queue has drained (annotations, pool status and the Events too:
 *    `IPAllocated` Events go after the status writes);
 * 2. restart: the controller stopped (SIGTERM) and started again with the N Services present: time
 *    until it logs its full pass (`fullPass`, with the number of writes it needed: 0 is "no IP moved"),
 *    and that no Service's IP changed;
 * 3. memory: the controller's peak RSS (VmHWM) in each phase.
 * Writes bench/results/controller-scale.md with the commit measured.
 *
 *   node dist/bench/controller-scale.js [N] [--out FILE] [--no-write]
 */
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const root = new URL('../../', import.meta.url).pathname;
/** The controller's bound on Events waiting to be written (`maxPendingEvents` default). */
const MAX_PENDING_EVENTS = 20_000;

function peakRssKiB(pid: number): number | undefined {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

function cpuSeconds(pid: number): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    const ticks = Number(fields[11]) + Number(fields[12]);
    return ticks / 100;
  } catch {
    return undefined;
  }
}

interface Proc {
  readonly proc: ChildProcess;
  readonly lines: string[];
  readonly exited: Promise<void>;
  waitLine(pattern: RegExp, timeoutMs: number): Promise<string>;
}

function spawnLogged(args: readonly string[]): Proc {
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const waiters: { pattern: RegExp; resolve: (l: string) => void }[] = [];
  const onLine = (line: string): void => {
    lines.push(line);
    if (lines.length > 2000) lines.splice(0, 1000);
    for (let i = waiters.length - 1; i >= 0; i--) {
      const w = waiters[i] as (typeof waiters)[number];
      if (w.pattern.test(line)) {
        waiters.splice(i, 1);
        w.resolve(line);
      }
    }
  };
  for (const stream of [proc.stdout, proc.stderr]) {
    let buf = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (d: string) => {
      buf += d;
      let nl: number;
      while ((nl = buf.indexOf('\n')) !== -1) {
        onLine(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
      }
    });
  }
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  return {
    proc,
    lines,
    exited,
    waitLine(pattern, timeoutMs) {
      const have = lines.find((l) => pattern.test(l));
      if (have) return Promise.resolve(have);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}`)), timeoutMs);
        waiters.push({
          pattern,
          resolve: (l) => {
            clearTimeout(t);
            resolve(l);
          },
        });
      });
    },
  };
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });

function request(base: URL, method: string, path: string, body?: unknown): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = http.request(new URL(path, base), {
      method,
      agent,
      headers: { Accept: 'application/json', ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': String(payload.length) } : {}) },
    });
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.end(payload);
  });
}

async function mustCreate(base: URL, path: string, body: unknown): Promise<void> {
  const r = await request(base, 'POST', path, body);
  if (r.status !== 201 && r.status !== 200 && r.status !== 409) throw new Error(`POST ${path}: HTTP ${r.status}: ${r.text.slice(0, 300)}`);
}

/** Watches every Service; tracks which have an IP, and the IP of each. */
class ServiceWatch {
  readonly ips = new Map<string, string>();
  withIp = 0;
  #waiters: { n: number; resolve: () => void }[] = [];
  #req: http.ClientRequest | undefined;

  start(base: URL): Promise<void> {
    return new Promise((resolve, reject) => {
      const req = http.request(new URL('/api/v1/services?watch=1&resourceVersion=0', base), { method: 'GET', headers: { Accept: 'application/json' } });
      this.#req = req;
      req.on('error', (err) => reject(err));
      req.on('response', (res) => {
        resolve();
        res.setEncoding('utf8');
        let buf = '';
        res.on('data', (d: string) => {
          buf += d;
          let nl: number;
          while ((nl = buf.indexOf('\n')) !== -1) {
            const line = buf.slice(0, nl);
            buf = buf.slice(nl + 1);
            if (line.trim() === '') continue;
            const e = JSON.parse(line) as { type: string; object: { metadata?: { name?: string; namespace?: string }; status?: { loadBalancer?: { ingress?: { ip?: string }[] } } } };
            const key = `${e.object.metadata?.namespace}/${e.object.metadata?.name}`;
            const ip = e.type === 'DELETED' ? undefined : e.object.status?.loadBalancer?.ingress?.[0]?.ip;
            const had = this.ips.has(key);
            if (ip !== undefined) this.ips.set(key, ip);
            else this.ips.delete(key);
            if (!had && ip !== undefined) this.withIp++;
            if (had && ip === undefined) this.withIp--;
          }
          for (let i = this.#waiters.length - 1; i >= 0; i--) {
            const w = this.#waiters[i] as { n: number; resolve: () => void };
            if (this.withIp >= w.n) {
              this.#waiters.splice(i, 1);
              w.resolve();
            }
          }
        });
      });
      req.end();
    });
  }

  until(n: number, timeoutMs: number): Promise<void> {
    if (this.withIp >= n) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`timed out: ${this.withIp} of ${n} Services have an IP`)), timeoutMs);
      this.#waiters.push({
        n,
        resolve: () => {
          clearTimeout(t);
          resolve();
        },
      });
    });
  }

  close(): void {
    this.#req?.destroy();
  }
}

/** Counts the IPAllocated Events created in namespace `apps`. */
class EventCount {
  count = 0;
  #waiters: { n: number; resolve: () => void }[] = [];
  #req: http.ClientRequest | undefined;

  start(base: URL): Promise<void> {
    return new Promise((resolve, reject) => {
      const req = http.request(new URL('/api/v1/namespaces/apps/events?watch=1&resourceVersion=0', base), { method: 'GET' });
      this.#req = req;
      req.on('error', reject);
      req.on('response', (res) => {
        resolve();
        res.setEncoding('utf8');
        let buf = '';
        res.on('data', (d: string) => {
          buf += d;
          let nl: number;
          while ((nl = buf.indexOf('\n')) !== -1) {
            const line = buf.slice(0, nl);
            buf = buf.slice(nl + 1);
            if (line.startsWith('{"type":"ADDED"') && line.includes('"reason":"IPAllocated"')) this.count++;
          }
          for (let i = this.#waiters.length - 1; i >= 0; i--) {
            const w = this.#waiters[i] as { n: number; resolve: () => void };
            if (this.count >= w.n) {
              this.#waiters.splice(i, 1);
              w.resolve();
            }
          }
        });
      });
      req.end();
    });
  }

  until(n: number, timeoutMs: number): Promise<void> {
    if (this.count >= n) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`timed out: ${this.count} of ${n} events`)), timeoutMs);
      this.#waiters.push({ n, resolve: () => (clearTimeout(t), resolve()) });
    });
  }

  close(): void {
    this.#req?.destroy();
  }
}

async function scrape(port: number, name: string): Promise<number | undefined> {
  const r = await request(new URL(`http://127.0.0.1:${port}`), 'GET', '/metrics');
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+]+)$`, 'm').exec(r.text);
  return m ? Number(m[1]) : undefined;
}

async function freePort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    args: process.argv.slice(2),
    options: { out: { type: 'string' }, 'no-write': { type: 'boolean' } },
    allowPositionals: true,
  });
  const n = Number(positionals[0] ?? 100_000);
  const dir = mkdtempSync(join(tmpdir(), 'kc-bench-'));
  const kubeconfig = join(dir, 'kubeconfig');
  const apiPort = await freePort();
  const metricsPort = await freePort();
  const procs: Proc[] = [];
  const cleanup = (): void => {
    for (const p of procs) if (p.proc.exitCode === null && p.proc.signalCode === null) p.proc.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  process.on('SIGINT', () => {
    cleanup();
    process.exit(130);
  });
  try {
    const double = spawnLogged([join(root, 'dist/test/kube-apiserver/main.js'), '--listen', `127.0.0.1:${apiPort}`, '--kubeconfig-out', kubeconfig]);
    procs.push(double);
    const base = new URL(`http://127.0.0.1:${apiPort}`);
    for (let i = 0; ; i++) {
      try {
        if ((await request(base, 'GET', '/version')).status === 200) break;
      } catch {
        if (i > 200) throw new Error('the double did not start');
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    // CRDs and namespaces.
    const { parseAllDocuments } = await import('yaml');
    const { readdirSync } = await import('node:fs');
    for (const file of readdirSync(join(root, 'config/crd')).sort()) {
      if (!file.endsWith('.yaml') || file === 'kustomization.yaml') continue;
      for (const doc of parseAllDocuments(readFileSync(join(root, 'config/crd', file), 'utf8'))) {
        const obj = doc.toJSON() as Record<string, unknown> | null;
        if (obj?.['kind'] === 'CustomResourceDefinition') await mustCreate(base, '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', obj);
      }
    }
    for (const ns of ['metallb-system', 'apps']) await mustCreate(base, '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    await mustCreate(base, '/apis/metallb.io/v1beta1/namespaces/metallb-system/ipaddresspools', {
      apiVersion: 'metallb.io/v1beta1',
      kind: 'IPAddressPool',
      metadata: { name: 'bench', namespace: 'metallb-system' },
      spec: { addresses: ['10.128.0.0/14'] },
    });

    const watch = new ServiceWatch();
    await watch.start(base);
    const events = new EventCount();
    await events.start(base);
    // CONTROLLER_CPU_PROF=DIR profiles the controller (node --cpu-prof) into DIR.
    const prof = process.env['CONTROLLER_CPU_PROF'];
    const controllerArgs = [...(prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : []), join(root, 'bin/metallb-ts'), 'controller', '--kubeconfig', kubeconfig, '--namespace', 'metallb-system', '--metrics-addr', `127.0.0.1:${metricsPort}`];
    let controller = spawnLogged(controllerArgs);
    procs.push(controller);
    await controller.waitLine(/"event":"fullPass"/, 60_000);

    // 1. Live: create N Services.
    const t0 = performance.now();
    let next = 0;
    const creators: Promise<void>[] = [];
    for (let w = 0; w < 16; w++) {
      creators.push(
        (async () => {
          for (;;) {
            const i = next++;
            if (i >= n) return;
            const ip = `10.${96 + Math.floor(i / 65536)}.${Math.floor(i / 256) % 256}.${i % 256}`;
            await mustCreate(base, '/api/v1/namespaces/apps/services', {
              apiVersion: 'v1',
              kind: 'Service',
              metadata: { name: `svc-${i}`, namespace: 'apps' },
              spec: { type: 'LoadBalancer', clusterIP: ip, clusterIPs: [ip], ipFamilies: ['IPv4'], ipFamilyPolicy: 'SingleStack', allocateLoadBalancerNodePorts: false, ports: [{ port: 80, protocol: 'TCP', targetPort: 8080 }] },
            });
          }
        })(),
      );
    }
    const progress = setInterval(() => {
      const at = ((performance.now() - t0) / 1000).toFixed(0);
      const rss = controller.proc.pid ? peakRssKiB(controller.proc.pid) : undefined;
      process.stderr.write(`${at} s: created ${Math.min(next, n)}, with IP ${watch.withIp}, events ${events.count}, controller peak RSS ${rss ?? '?'} KiB\n`);
    }, 30_000);
    await Promise.all(creators);
    const created = (performance.now() - t0) / 1000;
    await watch.until(n, 30 * 60_000);
    const allIps = (performance.now() - t0) / 1000;
    // Every IPAllocated Event the controller keeps written (the events watch counts them): at most
    // MAX_PENDING_EVENTS wait at once, the rest are dropped as client-go's recorder drops them.
    const expectedEvents = Math.min(n, MAX_PENDING_EVENTS);
    await events.until(expectedEvents, 30 * 60_000);
    const drained = (performance.now() - t0) / 1000;
    clearInterval(progress);
    const inUse = await scrape(metricsPort, 'metallb_allocator_addresses_in_use_total');
    const livePeak = controller.proc.pid ? peakRssKiB(controller.proc.pid) : undefined;
    const liveCpu = controller.proc.pid ? cpuSeconds(controller.proc.pid) : undefined;
    const before = new Map(watch.ips);

    // 2. Restart with N Services present.
    controller.proc.kill('SIGTERM');
    await controller.exited;
    const t1 = performance.now();
    controller = spawnLogged(controllerArgs);
    procs.push(controller);
    const full = await controller.waitLine(/"event":"fullPass"/, 10 * 60_000);
    const restart = (performance.now() - t1) / 1000;
    const writes = Number(/"writes":(\d+)/.exec(full)?.[1] ?? NaN);
    let moved = 0;
    for (const [k, ip] of before) if (watch.ips.get(k) !== ip) moved++;
    const restartPeak = controller.proc.pid ? peakRssKiB(controller.proc.pid) : undefined;
    const restartCpu = controller.proc.pid ? cpuSeconds(controller.proc.pid) : undefined;
    controller.proc.kill('SIGTERM');
    await controller.exited;
    watch.close();
    events.close();
    double.proc.kill('SIGTERM');
    await double.exited;

    let commit = 'unknown';
    try {
      commit = execFileSync('git', ['-C', root, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
      const dirty = execFileSync('git', ['-C', root, 'status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' }).trim();
      if (dirty !== '') commit += ' (with uncommitted changes)';
    } catch {
      // not a checkout
    }
    const mib = (k: number | undefined): string => (k === undefined ? '?' : `${(k / 1024).toFixed(0)} MiB`);
    const report = `# Controller at scale through the API server double

\`node dist/bench/controller-scale.js ${n}\` on commit ${commit}, ${new Date().toISOString().slice(0, 16)}Z,
${cpus().length} CPUs shared with other work (load average at the end ${loadavg().map((x) => x.toFixed(1)).join(' ')}).

Three processes on loopback: the API server double (\`dist/test/kube-apiserver/main.js\`), one
\`bin/metallb-ts controller\` (as the Deployment runs it), and the bench, which creates ${n} Services
(POST, 16 in flight) in namespace \`apps\` with one IPAddressPool of 2^18 addresses and watches every
Service. Per Service the controller writes the annotation (merge patch), the status (PUT of the status
subresource) and an \`IPAllocated\` Event (after the statuses: Events wait for the objects' writes).

| phase | measure | value |
|---|---|---|
| live | ${n} Services created through the API | ${created.toFixed(1)} s |
| live | first create -> every Service has its IP in status | ${allIps.toFixed(1)} s |
| live | first create -> ${expectedEvents} IPAllocated Events written (at most ${MAX_PENDING_EVENTS} wait at once; later ones are dropped) | ${drained.toFixed(1)} s |
| live | metallb_allocator_addresses_in_use_total{pool="bench"} at the end | ${inUse ?? '?'} |
| live | controller CPU (user+system) | ${liveCpu?.toFixed(1) ?? '?'} s |
| live | controller peak RSS (VmHWM) | ${mib(livePeak)} |
| restart | start -> full pass done (list of ${n}, allocation rebuilt) | ${restart.toFixed(1)} s |
| restart | writes the full pass needed / IPs moved | ${writes} / ${moved} |
| restart | controller CPU / peak RSS | ${restartCpu?.toFixed(1) ?? '?'} s / ${mib(restartPeak)} |
`;
    process.stdout.write(report);
    if (!values['no-write']) writeFileSync(values.out ?? join(root, 'bench/results/controller-scale.md'), report);
  } finally {
    cleanup();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
