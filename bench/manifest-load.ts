/**
 * Loading manifests (not a test): generates a file of N Services as `kubectl get -o yaml` prints them
 * (metadata with labels, an annotation and a creation time, spec with ports, clusterIP, ipFamilies and
 * a selector, status with the ingress IP), ~470 bytes each, `---`-separated, into a temp dir. Each
 * measurement runs in a fresh child process, which reports its wall time and peak RSS:
 *
 * - `load`: `ManifestSource.load()`: read, split, parse (js-yaml), validate and slim every Service,
 *   of the `---`-separated file and of the same Services as one `kind: List` (`kubectl get -o yaml`);
 * - `reload, 1 edit`: after `load()`, one Service edited in the file and `reload([file])` (one change);
 * - `legacy loadManifests` (with `--legacy`): the previous reader (the `yaml` package), for comparison.
 *
 * Run: npm run bench:manifest-load [-- N] [--legacy]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { ManifestSource } from '../src/sources/manifests/source.js';
import { loadManifests } from '../src/sources/manifests/load.js';

const SELF = fileURLToPath(import.meta.url);

/** One realistic Service, as kubectl prints it. */
export function serviceYaml(i: number): string {
  const ns = `team-${i % 50}`;
  return `apiVersion: v1
kind: Service
metadata:
  annotations:
    metallb.io/address-pool: default
  creationTimestamp: "2026-01-0${1 + (i % 9)}T10:00:00Z"
  labels:
    app.kubernetes.io/name: svc-${i}
  name: svc-${i}
  namespace: ${ns}
spec:
  clusterIP: 10.96.${(i >> 8) & 255}.${i & 255}
  ipFamilies:
  - IPv4
  ports:
  - name: http
    port: 80
    protocol: TCP
    targetPort: 8080
  selector:
    app: svc-${i}
  type: LoadBalancer
status:
  loadBalancer:
    ingress:
    - ip: 10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}
`;
}

interface ChildResult {
  readonly ms: number;
  /** CPU time (user + system) of the measured part: the fair figure on a shared machine. */
  readonly cpuMs: number;
  readonly changes: number;
  readonly invalid: number;
  readonly rssMiB: number;
}

/** The measurement, in the child. */
async function child(mode: string, file: string): Promise<void> {
  const start = performance.now();
  let cpu = process.cpuUsage();
  let changes = 0;
  let invalid = 0;
  let ms: number;
  if (mode === 'legacy') {
    const set = await loadManifests([file]);
    changes = set.objects.length;
    invalid = set.errors.length;
    ms = performance.now() - start;
  } else {
    const source = new ManifestSource([file]);
    const batch = await source.load();
    changes = batch.changes.length;
    invalid = batch.changes.filter((c) => c.op === 'invalid').length;
    ms = performance.now() - start;
    if (mode === 'reload') {
      const text = readFileSync(file, 'utf8');
      writeFileSync(file, text.replace('app: svc-77\n', 'app: svc-77-v2\n'));
      const t = performance.now();
      cpu = process.cpuUsage();
      const again = await source.reload([file]);
      ms = performance.now() - t;
      changes = again.changes.length;
      writeFileSync(file, text);
    }
  }
  const used = process.cpuUsage(cpu);
  const result: ChildResult = { ms, cpuMs: (used.user + used.system) / 1000, changes, invalid, rssMiB: process.resourceUsage().maxRSS / 1024 };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

function run(mode: string, file: string, nodeFlags: readonly string[]): ChildResult {
  const out = spawnSync(process.execPath, [...nodeFlags, SELF, '--child', mode, file], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (out.status !== 0) throw new Error(`child ${mode} failed: ${out.stderr}`);
  return JSON.parse(out.stdout.trim().split('\n').pop() ?? '{}') as ChildResult;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === '--child') {
    await child(args[1] ?? 'load', args[2] ?? '');
    return;
  }
  const n = Number(args.find((a) => /^\d+$/.test(a)) ?? 100_000);
  const legacy = args.includes('--legacy');
  const dir = mkdtempSync(join(tmpdir(), 'mlbts-bench-load-'));
  try {
    const file = join(dir, 'services.yaml');
    const parts: string[] = [];
    for (let i = 0; i < n; i++) parts.push(serviceYaml(i));
    writeFileSync(file, parts.join('---\n'));
    // The same Services as kubectl prints a list: `items:` and each item at column 0.
    const listFile = join(dir, 'services-list.yaml');
    let list = 'apiVersion: v1\nitems:\n';
    for (const p of parts) list += `- ${p.trimEnd().replaceAll('\n', '\n  ')}\n`;
    writeFileSync(listFile, `${list}kind: List\nmetadata:\n  resourceVersion: ""\n`);
    list = '';
    parts.length = 0;
    const mb = statSync(file).size / 1e6;
    const rows: [string, ChildResult][] = [
      ['load, `---`-separated documents', run('load', file, [])],
      ['reload, 1 edit, `---`-separated documents', run('reload', file, [])],
      ['load, one `kind: List`', run('load', listFile, [])],
      ['reload, 1 edit, one `kind: List`', run('reload', listFile, [])],
    ];
    if (legacy) rows.push(['legacy loadManifests (yaml), documents', run('legacy', file, [])]);
    console.log(`${n} Services, ${mb.toFixed(1)} MB of YAML; node ${process.version}, ${cpus().length} CPUs, load average ${loadavg()[0]?.toFixed(1)}`);
    console.log('| what | wall time | CPU time | changes | peak RSS |');
    console.log('|---|---:|---:|---:|---:|');
    for (const [name, r] of rows) {
      console.log(`| ${name} | ${(r.ms / 1000).toFixed(2)} s | ${(r.cpuMs / 1000).toFixed(2)} s | ${r.changes} | ${r.rssMiB.toFixed(0)} MiB |`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
