/**
 * Start-up probe (not a test): the in-process part of `run` at scale, phase by phase, without FRR or
 * network namespaces. Writes the scale benchmark's manifests (bench/scale-manifests.ts: N Services as
 * one `kind: List`, their EndpointSlices as another, the seed's configuration and Nodes) into a folder
 * once, then in a fresh child process starts one node's speaker as `run` does (`startNodeSpeaker`:
 * the real BGP `Speaker`, whose sessions to the lab's router address cannot connect here, so the
 * advertisements stay in each session's Adj-RIB-Out) and reports per phase the wall time, the CPU time
 * (user + system, GC threads included: the fair figure on a shared machine), the heap and the RSS, and
 * the peak RSS (VmHWM). With `--edit`, it then rewrites the services file with one Service's IP
 * changed and reloads that file, as a user editing a `kubectl get -o yaml` dump does.
 *
 * Run: npm run build && node dist/bench/start-probe.js [N] [--nodes K] [--dir DIR] [--edit]
 *      [--detail] [--node-flag=--max-semi-space-size=32 ...] [--repeat R]
 *
 * `--detail` splits the start into its steps (read, apply the configuration, apply the rest, log
 * written) and collects garbage after the read and at the end, to show what each layer keeps.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { SEED_CONFIGMAP_WITH_BENCH_POOL, argocdManifests, nodeManifest } from '../test/interop/lab/seed-topology.js';
import { SERVICES_FILE, ScaleManifests } from './scale-manifests.js';

const SELF = fileURLToPath(import.meta.url);

/** One phase's figures, in the child. */
interface Phase {
  readonly name: string;
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly heapMiB: number;
  readonly rssMiB: number;
  readonly peakRssMiB: number;
}

function peakRssMiB(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

function nodeNames(count: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < count; i++) out.push(`node-${116 + i}`);
  return out;
}

/** Writes the manifests folder unless it is there already. */
function writeManifests(dir: string, services: number, nodes: number): void {
  if (existsSync(join(dir, 'done'))) return;
  mkdirSync(dir, { recursive: true });
  const names = nodeNames(nodes);
  const m = new ScaleManifests({ services, nodes: names, styles: ['small-file'], changesPerKind: 25, warmupPerKind: 1 });
  const files: Record<string, string> = {
    '00-config.yaml': SEED_CONFIGMAP_WITH_BENCH_POOL,
    '01-nodes.yaml': names.map((n, i) => nodeManifest(n, `10.10.10.${116 + i}`)).join('---\n'),
    '10-argocd-server.yaml': argocdManifests(names),
    ...m.initialFiles(),
  };
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  writeFileSync(join(dir, 'done'), '');
}

/**
 * Resolves once `lines` log lines queued so far are written: the logger writes up to 1024 lines per
 * turn of the event loop (src/observe/log.ts).
 */
async function logDrained(lines: number): Promise<void> {
  for (let i = 0; i < Math.ceil(lines / 1024) + 20 || process.stdout.writableLength > 0; i++) {
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/**
 * The same start, step by step (what `startNodeSpeaker` does, split so each step is measured): read
 * every file, apply the configuration and Nodes, apply the rest, let the log drain, collect garbage.
 */
async function detail(dir: string, node: string, resultFile: string): Promise<void> {
  const { Speaker } = await import('../src/bgp/session/speaker.js');
  const { speakerPort } = await import('../src/speaker/bgp-port.js');
  const { SpeakerRuntime } = await import('../src/speaker/runtime.js');
  const { ManifestSource } = await import('../src/sources/manifests/source.js');
  const { createLogger } = await import('../src/observe/log.js');
  const logger = createLogger({ level: 'info' });
  const phases: Phase[] = [];
  let wall = performance.now();
  let cpu = process.cpuUsage();
  const mark = (name: string): void => {
    const now = performance.now();
    const c = process.cpuUsage(cpu);
    const mem = process.memoryUsage();
    phases.push({ name, wallMs: now - wall, cpuMs: (c.user + c.system) / 1000, heapMiB: mem.heapUsed / 2 ** 20, rssMiB: mem.rss / 2 ** 20, peakRssMiB: peakRssMiB() });
    wall = performance.now();
    cpu = process.cpuUsage();
  };
  const gc = (globalThis as { gc?: () => void }).gc;
  const source = new ManifestSource([dir]);
  const batch = await source.load();
  mark(`read and validate (${batch.changes.length} changes)`);
  gc?.();
  mark('  gc: what the source keeps and the batch');
  const speaker = new Speaker({ logger, closeTimeoutMs: 1500 });
  await speaker.start();
  const runtime = new SpeakerRuntime({ node, speaker: speakerPort(speaker, logger), logger });
  const head = batch.changes.filter((c) => c.kind === 'Config' || c.kind === 'Node' || c.kind === 'Namespace');
  const tail = batch.changes.filter((c) => !(c.kind === 'Config' || c.kind === 'Node' || c.kind === 'Namespace'));
  runtime.apply({ changes: head, ...(batch.sourceIssues ? { sourceIssues: batch.sourceIssues } : {}) });
  mark('apply configuration and Nodes');
  runtime.apply({ changes: tail });
  mark('apply Services and EndpointSlices (allocate, plan, sessions)');
  const lines = 3 * tail.length;
  head.splice(0);
  tail.splice(0);
  await logDrained(lines);
  mark('log lines written');
  gc?.();
  mark('  gc: what the source, pipeline and sessions keep');
  const snapshot = process.env['START_PROBE_HEAP_SNAPSHOT'];
  if (snapshot !== undefined) (await import('node:v8')).writeHeapSnapshot(snapshot);
  writeFileSync(resultFile, JSON.stringify({ phases, announced: runtime.planner.plan().announcedServices.length, editNote: '' }));
  await speaker.close();
}

/** The measurement, in the child. */
async function child(dir: string, node: string, edit: boolean, resultFile: string): Promise<void> {
  const { startNodeSpeaker } = await import('../src/speaker/node-speaker.js');
  const { createLogger } = await import('../src/observe/log.js');
  // As `run --log-level info` logs (to stdout, which the parent sends to a file as the lab does).
  const logger = createLogger({ level: 'info' });
  const phases: Phase[] = [];
  let wall = performance.now();
  let cpu = process.cpuUsage();
  const mark = (name: string): void => {
    const now = performance.now();
    const c = process.cpuUsage(cpu);
    const mem = process.memoryUsage();
    phases.push({ name, wallMs: now - wall, cpuMs: (c.user + c.system) / 1000, heapMiB: mem.heapUsed / 2 ** 20, rssMiB: mem.rss / 2 ** 20, peakRssMiB: peakRssMiB() });
    wall = performance.now();
    cpu = process.cpuUsage();
  };
  const speaker = await startNodeSpeaker({ node, manifests: [dir], logger });
  mark('start (read, validate, allocate, plan, hand to sessions)');
  const announced = speaker.runtime.planner.plan().announcedServices.length;
  mark('plan() materialized (status view)');
  let editNote = '';
  if (edit) {
    const file = join(dir, SERVICES_FILE);
    const text = readFileSync(file, 'utf8');
    // One Service's requested IP moved to an address of the bench pool no Service uses.
    const at = text.indexOf('metallb.io/loadBalancerIPs: ', text.length >> 1);
    const end = text.indexOf('\n', at);
    const before = text.slice(at, end);
    const changed = `${text.slice(0, at)}metallb.io/loadBalancerIPs: 198.19.255.250${text.slice(end)}`;
    writeFileSync(`${file}.tmp`, changed);
    renameSync(`${file}.tmp`, file);
    mark('edit written');
    await speaker.reload([file]);
    mark('reload of the edited services file');
    writeFileSync(`${file}.tmp`, text);
    renameSync(`${file}.tmp`, file);
    await speaker.reload([file]);
    mark('reload of the restored services file');
    editNote = before;
  }
  await speaker.close();
  writeFileSync(resultFile, JSON.stringify({ phases, announced, editNote }));
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === '--child') {
    if (args[3] === 'detail') await detail(args[1] ?? '', args[2] ?? 'node-116', args[4] ?? '');
    else await child(args[1] ?? '', args[2] ?? 'node-116', args[3] === 'edit', args[4] ?? '');
    return;
  }
  const services = Number(args.find((a) => /^\d+$/.test(a)) ?? 100_000);
  const flag = (name: string): string | undefined => {
    const i = args.indexOf(name);
    return i === -1 ? undefined : args[i + 1];
  };
  const nodes = Number(flag('--nodes') ?? 1);
  const repeat = Number(flag('--repeat') ?? 1);
  const dir = flag('--dir') ?? `/tmp/pm-scale/${services}-${nodes}`;
  const nodeFlags = args.filter((a) => a.startsWith('--node-flag=')).map((a) => a.slice('--node-flag='.length));
  const t = performance.now();
  writeManifests(dir, services, nodes);
  process.stdout.write(`manifests in ${dir} (${((performance.now() - t) / 1000).toFixed(1)} s)\n`);
  for (let r = 0; r < repeat; r++) {
    const load = loadavg();
    const resultFile = join(dir, '..', `result-${process.pid}.json`);
    const logFd = openSync(join(dir, '..', `log-${process.pid}.jsonl`), 'w');
    const out = spawnSync(process.execPath, [...nodeFlags, ...(args.includes('--detail') ? ['--expose-gc'] : []), '--enable-source-maps', SELF, '--child', dir, 'node-116', args.includes('--detail') ? 'detail' : args.includes('--edit') ? 'edit' : '-', resultFile], { stdio: ['ignore', logFd, 'pipe'], encoding: 'utf8' });
    closeSync(logFd);
    if (out.status !== 0) {
      process.stderr.write(out.stderr);
      process.exitCode = 1;
      return;
    }
    const result = JSON.parse(readFileSync(resultFile, 'utf8')) as { phases: Phase[]; announced: number; editNote: string };
    rmSync(resultFile);
    process.stdout.write(`run ${r + 1}: ${services} services, ${nodes} node(s), node flags [${nodeFlags.join(' ')}], load ${load.map((x) => x.toFixed(1)).join('/')}, announced ${result.announced}\n`);
    for (const p of result.phases) {
      process.stdout.write(`  ${p.name.padEnd(58)} wall ${(p.wallMs / 1000).toFixed(2).padStart(6)} s  cpu ${(p.cpuMs / 1000).toFixed(2).padStart(6)} s  heap ${p.heapMiB.toFixed(0).padStart(4)} MiB  rss ${p.rssMiB.toFixed(0).padStart(4)} MiB  peak ${p.peakRssMiB.toFixed(0).padStart(4)} MiB\n`);
    }
  }
}

await main();
