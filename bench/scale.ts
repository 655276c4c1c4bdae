/**
 * The pipeline at scale against FRR (issue 9's acceptance; `npm run bench:scale`, root).
 *
 * For each size (default 1 000, 10 000 and 100 000 Services) and each node count (one and two
 * nodes), the seed topology (test/interop/lab/seed-topology.ts: FRR 8.4 with `maximum-paths ibgp 8`
 * in a router namespace, one namespace per node running `bin/metallb-ts run --node NAME --manifests
 * DIR`) on manifests shaped like `kubectl get -o yaml` output (bench/scale-manifests.ts), and:
 * 1. start: the clock runs from spawning the `run` processes until FRR's `show bgp ipv4 unicast
 *    summary json` shows every prefix received from every node (PfxRcd);
 * 2. changes: 100 changes per edit style (25 each of add, remove, change IP, endpoint not ready,
 *    interleaved), each one file operation; the clock runs from the rename (or unlink) that makes it
 *    visible until `show bgp ipv4 unicast PREFIX json` shows the result, at two points (bench/scale-
 *    report.ts `Milestone`): FRR has received it, and FRR's decision process has selected it. Before
 *    each change FRR must have selected the state before it (awaited, same limit), so a change never
 *    passes by doing nothing, a slow change is not charged to the next, and bgpd's decision queue is
 *    idle when each change starts;
 * 3. the floor: a reference sender (ExaBGP, bench/scale-reference.ts) announces and withdraws a
 *    prefix of its own between the speaker's changes, timed from its API command the same way, so
 *    FRR's own share of a change is measured in the same run;
 * 4. with --trace, each change broken down from the speakers' `manifestsApplied` debug lines: file
 *    event noticed, re-read started, UPDATEs written;
 * 5. memory: VmHWM of each speaker process after the start and at the end.
 * FRR is read on bgpd's (and zebra's) vty socket (test/interop/lab/vty.ts), never a vtysh process.
 *
 * Every wait has an explicit limit (flags below); a limit reached is a FAIL row in the report, not a
 * crash. Namespaces and processes are removed by the lab's teardown (by pid), also on error and on
 * SIGINT/SIGTERM/SIGHUP. Writes bench/results/scale.md (bench/scale-report.ts renders it).
 *
 *   node dist/bench/scale.js [SIZE...] [--nodes 1,2] [--edits small,big] [--big-edits-max 10000]
 *       [--changes 100] [--warmup 1] [--start-timeout-ms 60000] [--change-timeout-ms 10000]
 *       [--max-timeouts 3] [--changes-budget-s 120] [--settle-timeout-ms 60000] [--gap-ms 20] [--log-level info]
 *       [--quick] [--no-write] [--out FILE]
 */
import { execFileSync } from 'node:child_process';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Lab, labUnavailable, peakMemoryKiB, sleep } from '../test/interop/lab/lab.js';
import { SEED_CONFIGMAP_WITH_BENCH_POOL, startSeedTopology } from '../test/interop/lab/seed-topology.js';
import type { SeedTopology } from '../test/interop/lab/seed-topology.js';
import { VtyClient } from '../test/interop/lab/vty.js';
import { SERVICES_FILE, SLICES_FILE, ScaleManifests } from './scale-manifests.js';
import type { ChangeStep, EditStyle, FileOp, PrefixExpectation } from './scale-manifests.js';
import { ReferenceSender } from './scale-reference.js';
import { renderReport } from './scale-report.js';
import type { BenchSettings, ChangeRecord, ReferenceRecord, RunResult } from './scale-report.js';
import { appliedLines, attachTraces, monotonicOffset } from './scale-trace.js';

const USAGE = `usage: node dist/bench/scale.js [SIZE...] [options]   (root; npm run bench:scale -- [SIZE...] [options])

  SIZE                      services per run (default 1000 10000 100000)
  --nodes 1,2               node counts to run (default 1,2)
  --edits small,big         edit styles of the changes: small files, the big files (default both)
  --big-edits-max N         big-file edits only at sizes <= N (default 10000)
  --changes N               counted changes per edit style, a multiple of 4 (default 100)
  --warmup N                uncounted warm-up changes of each kind first (default 1)
  --start-timeout-ms MS     limit for start -> every prefix in FRR (default 60000)
  --change-timeout-ms MS    limit for one change (default 10000)
  --max-timeouts N          timed-out changes of one edit style in a run before its rest is not made (default 3)
  --changes-budget-s S      time for one edit style's changes in a run; the rest are not made (default 120)
  --settle-timeout-ms MS    limit for FRR's FIB to hold every route before the changes (default 60000)
  --gap-ms MS               pause between changes (default 20)
  --poll-ms MS              pause between two polls of FRR during a change (default 1)
  --log-level LEVEL         the speakers' --log-level (default info, as a user runs it)
  --reference-changes N     reference sender (ExaBGP) changes per edit style, interleaved (default changes / 2; 0: none)
  --trace                   speakers at --log-level debug; break each change down from their log
  --quick                   development: 1000 services, two nodes, 20 changes per style, no file written
  --no-write                print the report only
  --out FILE                write the report here (default bench/results/scale.md)
`;

/** A bad command line: reported with the usage, without a stack. */
class UsageError extends Error {}

/** The lab of the run in progress, torn down on a signal. */
let currentLab: Lab | undefined;
/** Set by a signal: no further run starts and no report is written. */
let interrupted = false;

function installSignalHandlers(): void {
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      process.stderr.write(`\nbench: ${sig}: tearing down the lab...\n`);
      interrupted = true;
      const lab = currentLab;
      const done = (): void => process.exit(130);
      if (lab) lab.teardown().then(done, done);
      else done();
    });
  }
}

interface SummaryPeer {
  readonly state?: string;
  readonly pfxRcd?: number;
}

interface SummaryJson {
  readonly peers?: Record<string, SummaryPeer>;
  readonly ipv4Unicast?: { readonly peers?: Record<string, SummaryPeer> };
}

async function summaryPeers(vty: VtyClient): Promise<Record<string, SummaryPeer>> {
  const j = await vty.json<SummaryJson>('show bgp ipv4 unicast summary json');
  return j.peers ?? j.ipv4Unicast?.peers ?? {};
}

interface PathJson {
  readonly valid?: boolean;
  readonly removed?: boolean;
  readonly multipath?: boolean;
  readonly bestpath?: { readonly overall?: boolean };
}

/** What FRR's table shows of some prefixes against what they should show. */
interface TableView {
  /** Every prefix has its expected paths received (listed, not marked removed), and no other. */
  readonly received: boolean;
  /** Every prefix's expected paths are selected (best path and multipaths), and no other path is listed. */
  readonly selected: boolean;
  readonly seen: string;
}

async function prefixPaths(vty: VtyClient, prefix: string): Promise<readonly PathJson[]> {
  try {
    const j = await vty.json<{ paths?: readonly PathJson[] }>(`show bgp ipv4 unicast ${prefix} json`);
    return j.paths ?? [];
  } catch (e) {
    // bgpd answers a prefix it does not hold with status 1 and "{}".
    if (e instanceof Error && /status 1: \{\}$/.test(e.message)) return [];
    throw e;
  }
}

async function tableView(vty: VtyClient, want: readonly PrefixExpectation[]): Promise<TableView> {
  let received = true;
  let selected = true;
  const seen: string[] = [];
  for (const e of want) {
    const paths = await prefixPaths(vty, e.prefix);
    let live = 0;
    let chosen = 0;
    for (const p of paths) {
      if (p.removed === true) continue;
      live++;
      if (p.bestpath?.overall === true || p.multipath === true) chosen++;
    }
    seen.push(`${e.prefix}: ${paths.length} paths, ${paths.length - live} removed, ${chosen} selected`);
    if (live !== e.paths) received = false;
    if (paths.length !== e.paths || chosen !== e.paths) selected = false;
  }
  return { received, selected, seen: seen.join(', ') };
}

/** Makes a file operation in `dir`; returns the time it became visible (the rename or unlink). */
function applyFileOp(dir: string, op: FileOp): number {
  const path = join(dir, op.file);
  if (op.op === 'remove') {
    const t0 = performance.now();
    rmSync(path);
    return t0;
  }
  // The clock starts at the rename: the watcher cannot see the new text before it.
  const tmp = join(dir, `.${op.file}.tmp`);
  writeFileSync(tmp, op.text);
  const t0 = performance.now();
  renameSync(tmp, path);
  return t0;
}

function notMade(step: ChangeStep, why: string): ChangeRecord {
  return { style: step.style, kind: step.kind, warmup: step.warmup, service: step.service, field: step.field, made: false, receivedMs: undefined, selectedMs: undefined, failure: `not made: ${why}` };
}

function errorLines(log: string, max: number): string[] {
  const out: string[] = [];
  for (const line of log.split('\n')) {
    if (!line.includes('"level":"error"') && !/\b(Error|RangeError|TypeError)\b/.test(line)) continue;
    out.push(line.length > 300 ? `${line.slice(0, 300)}...` : line);
    if (out.length >= max) break;
  }
  return out;
}

interface RunOptions {
  readonly services: number;
  readonly nodeCount: number;
  readonly styles: readonly EditStyle[];
  readonly settings: BenchSettings;
}

/** One size on one node count: start, changes, memory. Never throws: failures are in the result. */
async function measureRun(o: RunOptions): Promise<RunResult> {
  const s = o.settings;
  const result: RunResult = {
    services: o.services,
    nodes: o.nodeCount,
    styles: o.styles,
    manifestBytes: {},
    start: { establishedMs: {}, allMs: {}, totalMs: undefined, fibMs: undefined },
    changes: [],
    reference: [],
    skipped: [],
    rss: [],
    frrBgpdKiB: undefined,
    speakerErrors: [],
    errors: [],
  };
  const lab = Lab.create();
  currentLab = lab;
  let vty: VtyClient | undefined;
  let zebraVty: VtyClient | undefined;
  let topo: SeedTopology | undefined;
  try {
    process.stdout.write(`bench: ${o.services} services, ${o.nodeCount} node(s): writing manifests...\n`);
    const hosts = o.nodeCount === 1 ? [116] : [116, 117];
    const manifests = new ScaleManifests({
      services: o.services,
      nodes: hosts.map((h) => `node-${h}`),
      styles: o.styles,
      changesPerKind: s.changes / 4,
      warmupPerKind: s.warmup,
    });
    const files = manifests.initialFiles();
    result.manifestBytes = { services: Buffer.byteLength(files[SERVICES_FILE] ?? ''), slices: Buffer.byteLength(files[SLICES_FILE] ?? '') };
    topo = await startSeedTopology(lab, {
      nodeHosts: hosts,
      client: false,
      startSpeakers: false,
      logLevel: s.logLevel,
      extraManifests: { '00-config.yaml': SEED_CONFIGMAP_WITH_BENCH_POOL, ...files },
    });
    vty = await VtyClient.connect(topo.frr.bgpdVty);
    zebraVty = await VtyClient.connect(`${topo.frr.runDir}/zebra.vty`);
    const want = o.services + 1; // and argocd-server
    // The reference sender is up before the speakers start, so its start costs their start nothing.
    let ref: ReferenceSender | undefined;
    if (s.referenceChanges > 0) {
      try {
        ref = await ReferenceSender.start(lab, topo.frr, { host: 118, asn: 64512, routerAddress: topo.router.v4, timeoutMs: 30_000 });
      } catch (e) {
        result.errors.push(`reference sender: ${e instanceof Error ? e.message : String(e)}; no floor measured`);
      }
    }
    const starts = new Map<ChangeRecord, number>();

    // 1. Start to every prefix in FRR.
    process.stdout.write(`bench: ${o.services} services, ${o.nodeCount} node(s): starting the speakers...\n`);
    const exited = new Set<string>();
    const t0 = performance.now();
    for (const n of topo.nodes) {
      const p = topo.startSpeaker(n);
      void p.exited.then(() => exited.add(n.name));
    }
    for (;;) {
      const peers = await summaryPeers(vty);
      const now = performance.now() - t0;
      for (const n of topo.nodes) {
        const p = peers[n.address];
        if (p?.state === 'Established' && result.start.establishedMs[n.name] === undefined) result.start.establishedMs[n.name] = now;
        if ((p?.pfxRcd ?? 0) >= want && result.start.allMs[n.name] === undefined) result.start.allMs[n.name] = now;
      }
      if (topo.nodes.every((n) => result.start.allMs[n.name] !== undefined)) {
        result.start.totalMs = now;
        break;
      }
      if (exited.size > 0) {
        result.errors.push(`speaker exited during the start: ${[...exited].join(', ')}`);
        break;
      }
      if (now > s.startTimeoutMs) {
        const got = topo.nodes.map((n) => `${n.name} ${peers[n.address]?.state ?? 'no session'}, ${peers[n.address]?.pfxRcd ?? 0} of ${want} prefixes`);
        result.errors.push(`start: not every prefix in FRR after ${s.startTimeoutMs} ms (${got.join('; ')})`);
        break;
      }
      await sleep(10);
    }
    for (const n of topo.nodes) {
      if (n.speaker) result.rss.push({ node: n.name, afterStartKiB: peakMemoryKiB(n.speaker.pid), endKiB: undefined });
    }

    if (result.start.totalMs !== undefined) {
      // FRR installs the routes in its FIB after its BGP table has them; let it finish first, so the
      // changes are not measured against zebra's backlog.
      const settle0 = performance.now();
      for (;;) {
        const sum = await zebraVty.json<{ routes?: { type?: string; fib?: number }[] }>('show ip route summary json');
        const bgp = (sum.routes ?? []).find((r) => r.type === 'ibgp' || r.type === 'bgp');
        if ((bgp?.fib ?? 0) >= want) {
          result.start.fibMs = performance.now() - t0;
          break;
        }
        if (performance.now() - settle0 > s.settleTimeoutMs) {
          result.errors.push(`FRR's FIB held ${bgp?.fib ?? 0} of ${want} routes ${s.settleTimeoutMs} ms after the BGP table was complete; changes measured anyway`);
          break;
        }
        await sleep(50);
      }

      // 2. Changes.
      for (const style of o.styles) {
        const steps = manifests.changes(style);
        process.stdout.write(`bench: ${o.services} services, ${o.nodeCount} node(s): ${steps.length} ${style} changes...\n`);
        await measureChanges(vty, topo, steps, s, result, ref, starts);
      }
      if (s.trace) {
        const offset = monotonicOffset();
        const logs = topo.nodes.map((n) => (n.speaker ? appliedLines(lab.log(n.speaker), offset) : []));
        attachTraces(starts, logs, s.changeTimeoutMs);
      }
      ref?.close();
    } else {
      const why = 'the start did not complete';
      for (const style of o.styles) {
        for (const step of manifests.changes(style)) if (!step.warmup) result.changes.push(notMade(step, why));
        result.skipped.push({ style, count: s.changes, why });
      }
    }
  } catch (e) {
    result.errors.push(`run failed: ${e instanceof Error ? e.message : String(e)}`);
  } finally {
    if (topo) {
      for (const n of topo.nodes) {
        const r = result.rss.find((x) => x.node === n.name);
        const end = n.speaker ? peakMemoryKiB(n.speaker.pid) : undefined;
        if (r) r.endKiB = end;
        else result.rss.push({ node: n.name, afterStartKiB: undefined, endKiB: end });
        if (!n.speaker) continue;
        const log = lab.log(n.speaker);
        for (const line of errorLines(log, 3)) result.speakerErrors.push(`${n.name}: ${line}`);
        if (result.start.totalMs === undefined) {
          // What the speaker was doing when the start limit was reached.
          const last = log.trimEnd().split('\n').slice(-2);
          for (const line of last) if (line !== '') result.speakerErrors.push(`${n.name}, last log line: ${line.length > 300 ? `${line.slice(0, 300)}...` : line}`);
        }
      }
      if (topo.frr?.bgpd) result.frrBgpdKiB = peakMemoryKiB(topo.frr.bgpd.pid);
    }
    vty?.close();
    zebraVty?.close();
    await lab.teardown();
    currentLab = undefined;
  }
  return result;
}

/** The prefix the reference sender announces and withdraws (in the bench range, never a Service's IP). */
const REFERENCE_PREFIX = '198.19.255.1/32';

/**
 * Polls FRR until it has selected `want`, from `t0`; returns when it had received and selected it,
 * or a failure after the limit.
 */
async function awaitTable(vty: VtyClient, want: readonly PrefixExpectation[], t0: number, limitMs: number, pollMs: number): Promise<{ receivedMs: number | undefined; selectedMs: number | undefined; failure: string | undefined }> {
  let receivedMs: number | undefined;
  for (;;) {
    const view = await tableView(vty, want);
    const now = performance.now() - t0;
    if (view.received && receivedMs === undefined) receivedMs = now;
    if (view.selected) return { receivedMs: receivedMs ?? now, selectedMs: now, failure: undefined };
    if (now > limitMs) return { receivedMs, selectedMs: undefined, failure: `timed out after ${limitMs} ms (${view.seen})` };
    await sleep(pollMs);
  }
}

/** Waits (up to the limit) until FRR has selected `want`: the state before a change. */
async function awaitBefore(vty: VtyClient, want: readonly PrefixExpectation[], limitMs: number): Promise<string | undefined> {
  const b0 = performance.now();
  for (;;) {
    const view = await tableView(vty, want);
    if (view.selected) return undefined;
    if (performance.now() - b0 > limitMs) return `FRR did not show the state before the change within ${limitMs} ms (${view.seen})`;
    await sleep(5);
  }
}

/** One reference change (announce or withdraw, in turn), measured like ours. */
async function measureReference(vty: VtyClient, ref: ReferenceSender, s: BenchSettings, result: RunResult): Promise<void> {
  const op: ReferenceRecord['op'] = result.reference.length % 2 === 0 ? 'announce' : 'withdraw';
  const record: ReferenceRecord = { op, receivedMs: undefined, selectedMs: undefined, failure: undefined };
  result.reference.push(record);
  const before = await awaitBefore(vty, [{ prefix: REFERENCE_PREFIX, paths: op === 'announce' ? 0 : 1 }], s.changeTimeoutMs);
  if (before !== undefined) {
    record.failure = before;
    return;
  }
  const t0 = op === 'announce' ? ref.announce(REFERENCE_PREFIX) : ref.withdraw(REFERENCE_PREFIX);
  const r = await awaitTable(vty, [{ prefix: REFERENCE_PREFIX, paths: op === 'announce' ? 1 : 0 }], t0, s.changeTimeoutMs, s.pollMs);
  record.receivedMs = r.receivedMs;
  record.selectedMs = r.selectedMs;
  record.failure = r.failure;
  await sleep(s.gapMs);
}

async function measureChanges(vty: VtyClient, topo: SeedTopology, steps: readonly ChangeStep[], s: BenchSettings, result: RunResult, ref: ReferenceSender | undefined, starts: Map<ChangeRecord, number>): Promise<void> {
  let timeouts = 0;
  let skipped = 0;
  let why = '';
  let style: EditStyle | undefined;
  let counted = 0;
  let referenceMade = 0;
  const budgetEnd = performance.now() + s.changesBudgetS * 1000;
  for (const step of steps) {
    style = step.style;
    if (timeouts >= s.maxTimeouts) why = `${s.maxTimeouts} changes timed out`;
    else if (performance.now() > budgetEnd) why = `the ${s.changesBudgetS} s budget for them was spent`;
    if (why !== '') {
      if (!step.warmup) {
        skipped++;
        result.changes.push(notMade(step, why));
      }
      continue;
    }
    const record: ChangeRecord = { style: step.style, kind: step.kind, warmup: step.warmup, service: step.service, field: step.field, made: true, receivedMs: undefined, selectedMs: undefined, failure: undefined };
    // The state before the change, awaited: a slow previous change must not poison this one.
    const before = await awaitBefore(vty, step.before, s.changeTimeoutMs);
    if (before !== undefined) {
      record.failure = before;
      timeouts++;
    }
    const t0 = applyFileOp(topo.manifestsDir, step.prepare());
    starts.set(record, t0);
    if (record.failure === undefined) {
      const r = await awaitTable(vty, step.after, t0, s.changeTimeoutMs, s.pollMs);
      record.receivedMs = r.receivedMs;
      record.selectedMs = r.selectedMs;
      record.failure = r.failure;
      if (r.failure !== undefined) timeouts++;
    }
    result.changes.push(record);
    const tag = record.selectedMs !== undefined ? `${(record.receivedMs ?? NaN).toFixed(1)} / ${record.selectedMs.toFixed(1)} ms` : `FAIL: ${record.failure ?? ''}`;
    if (record.failure !== undefined || result.changes.length % 20 === 0) {
      process.stdout.write(`  ${step.style} ${step.kind}${step.warmup ? ' (warm-up)' : ''} ${step.service}: ${tag}\n`);
    }
    await sleep(s.gapMs);
    // The reference sender's change after every other counted change of ours.
    if (!step.warmup && ++counted % 2 === 0 && ref && referenceMade < s.referenceChanges) {
      referenceMade++;
      await measureReference(vty, ref, s, result);
    }
  }
  if (skipped > 0 && style) result.skipped.push({ style, count: skipped, why });
}

function frrVersion(): string {
  try {
    const out = execFileSync('/usr/lib/frr/bgpd', ['--version']).toString();
    return /version\s+(\S+)/i.exec(out)?.[1] ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

function gitCommit(): string {
  const root = new URL('../../', import.meta.url).pathname;
  try {
    const sha = execFileSync('git', ['-C', root, 'rev-parse', '--short', 'HEAD']).toString().trim();
    const dirty = execFileSync('git', ['-C', root, 'status', '--porcelain', '--untracked-files=no']).toString().trim() !== '';
    return dirty ? `${sha} (with uncommitted changes)` : sha;
  } catch {
    return 'unknown';
  }
}

function positiveInt(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`${name === 'SIZE' ? name : `--${name}`}: expected a non-negative integer, got ${JSON.stringify(value)}`);
  return n;
}

function listFlag<T extends string>(name: string, value: string | undefined, allowed: Readonly<Record<string, T>>, fallback: readonly T[]): T[] {
  if (value === undefined) return [...fallback];
  const out: T[] = [];
  for (const part of value.split(',')) {
    const v = allowed[part.trim()];
    if (v === undefined) throw new UsageError(`--${name}: ${JSON.stringify(part)} is not one of ${Object.keys(allowed).join(', ')}`);
    if (!out.includes(v)) out.push(v);
  }
  return out;
}

/** The command line, parsed (throws on an unknown option). */
function parseCommandLine() {
  return parseArgs({
    allowPositionals: true,
    options: {
      nodes: { type: 'string' },
      edits: { type: 'string' },
      'big-edits-max': { type: 'string' },
      changes: { type: 'string' },
      warmup: { type: 'string' },
      'start-timeout-ms': { type: 'string' },
      'change-timeout-ms': { type: 'string' },
      'max-timeouts': { type: 'string' },
      'changes-budget-s': { type: 'string' },
      'settle-timeout-ms': { type: 'string' },
      'gap-ms': { type: 'string' },
      'poll-ms': { type: 'string' },
      'log-level': { type: 'string' },
      'reference-changes': { type: 'string' },
      trace: { type: 'boolean' },
      quick: { type: 'boolean' },
      'no-write': { type: 'boolean' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseCommandLine();
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e));
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const quick = values.quick === true;
  const sizes = positionals.length > 0 ? positionals.map((p) => positiveInt('SIZE', p, 0)) : quick ? [1000] : [1000, 10_000, 100_000];
  sizes.sort((a, b) => a - b);
  const nodeCounts = listFlag('nodes', values.nodes, { '1': 'one', '2': 'two' }, quick ? ['two'] : ['one', 'two']).map((x) => (x === 'one' ? 1 : 2));
  const styles = listFlag<EditStyle>('edits', values.edits, { small: 'small-file', big: 'big-file' }, ['small-file', 'big-file']);
  const settings: BenchSettings = {
    changes: positiveInt('changes', values.changes, quick ? 20 : 100),
    warmup: positiveInt('warmup', values.warmup, 1),
    bigEditsMax: positiveInt('big-edits-max', values['big-edits-max'], 10_000),
    startTimeoutMs: positiveInt('start-timeout-ms', values['start-timeout-ms'], 60_000),
    changeTimeoutMs: positiveInt('change-timeout-ms', values['change-timeout-ms'], 10_000),
    maxTimeouts: Math.max(1, positiveInt('max-timeouts', values['max-timeouts'], 3)),
    changesBudgetS: Math.max(1, positiveInt('changes-budget-s', values['changes-budget-s'], 120)),
    settleTimeoutMs: positiveInt('settle-timeout-ms', values['settle-timeout-ms'], 60_000),
    gapMs: positiveInt('gap-ms', values['gap-ms'], 20),
    pollMs: positiveInt('poll-ms', values['poll-ms'], 1),
    logLevel: values['log-level'] ?? (values.trace === true ? 'debug' : 'info'),
    referenceChanges: positiveInt('reference-changes', values['reference-changes'], Math.floor(positiveInt('changes', values.changes, quick ? 20 : 100) / 2)),
    trace: values.trace === true,
  };
  if (settings.trace && !['all', 'debug'].includes(settings.logLevel)) throw new UsageError(`--trace needs the speakers' debug lines: --log-level debug (or leave it out), got ${JSON.stringify(settings.logLevel)}`);
  if (!['all', 'debug', 'info', 'warn', 'error', 'none'].includes(settings.logLevel)) throw new UsageError(`--log-level: expected all, debug, info, warn, error or none, got ${JSON.stringify(settings.logLevel)}`);
  if (settings.changes % 4 !== 0 || settings.changes === 0) throw new UsageError(`--changes: expected a positive multiple of 4 (as many of each kind), got ${settings.changes}`);
  const why = labUnavailable(['frr']);
  if (why) {
    process.stderr.write(`bench: cannot run here: ${why}\n`);
    return 1;
  }
  installSignalHandlers();
  const started = new Date();
  const loadStart = loadavg();
  const results: RunResult[] = [];
  for (const services of sizes) {
    for (const nodeCount of nodeCounts) {
      if (interrupted) break;
      const runStyles = styles.filter((st) => st !== 'big-file' || services <= settings.bigEditsMax);
      const r = await measureRun({ services, nodeCount, styles: runStyles, settings });
      results.push(r);
      for (const e of r.errors) process.stdout.write(`  error: ${e}\n`);
    }
  }
  if (interrupted) return 130;
  const text = renderReport({
    started,
    commit: gitCommit(),
    node: process.version,
    cpu: `${cpus()[0]?.model ?? 'unknown CPU'} (${cpus().length} CPUs)`,
    frr: frrVersion(),
    load: { start: loadStart, end: loadavg() },
    command: `npm run bench:scale -- ${process.argv.slice(2).join(' ')}`.trim(),
    settings,
    results,
  });
  process.stdout.write('\n' + text);
  if (!values['no-write'] && (!quick || values.out !== undefined)) {
    const out = values.out ?? new URL('../../bench/results/scale.md', import.meta.url).pathname;
    writeFileSync(out, text);
    process.stdout.write(`\nwritten to ${out}\n`);
  }
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof UsageError) {
      process.stderr.write(`bench: ${err.message}\n${USAGE}`);
      process.exitCode = 2;
      return;
    }
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
