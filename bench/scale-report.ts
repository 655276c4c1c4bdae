/**
 * The report of the scale benchmark (bench/scale.ts): the measured runs as markdown, with issue 9's
 * targets checked at 100 000 services (PASS/FAIL beside each). Pure: results in, text out.
 */
import type { ChangeKind, EditStyle } from './scale-manifests.js';
import { CHANGE_KINDS } from './scale-manifests.js';

/** The limits and settings a benchmark ran with. */
export interface BenchSettings {
  readonly changes: number;
  readonly warmup: number;
  readonly bigEditsMax: number;
  readonly startTimeoutMs: number;
  readonly changeTimeoutMs: number;
  readonly maxTimeouts: number;
  readonly changesBudgetS: number;
  readonly settleTimeoutMs: number;
  readonly gapMs: number;
  /** Pause between two polls of FRR during a change. */
  readonly pollMs: number;
  readonly logLevel: string;
  /** Reference changes (ExaBGP) made per edit style, interleaved with the speaker's; 0: none. */
  readonly referenceChanges: number;
  /** The speakers ran at debug level and the report breaks each change down from their log. */
  readonly trace: boolean;
}

/**
 * The two points at which a change is timed in FRR's BGP table (`show bgp ipv4 unicast PREFIX json`):
 * - `received`: FRR holds what was sent: every expected path is listed and not marked removed, and
 *   every withdrawn one is gone or marked removed (bgpd marks a withdrawn path BGP_PATH_REMOVED the
 *   moment the UPDATE is read);
 * - `selected`: FRR's decision reflects it: the expected paths are the best path (and the ECMP
 *   multipaths) and a withdrawn path is gone. bgpd runs its decision process from a work queue
 *   with a 50 ms hold (FRR 8.4 `bgp_process_queue_init`: `spec.hold = 50`), for any sender, and only
 *   then hands the route to zebra.
 */
export type Milestone = 'received' | 'selected';

/** Where one change's time went before FRR (from the speakers' `manifestsApplied` debug lines), ms after the file operation; the slowest node's. */
export interface ChangeTrace {
  /** The watcher's first file event; undefined when the change joined a batch noticed before it (the temporary file's write). */
  readonly noticedMs: number | undefined;
  /** The re-read started (after the watcher's quiet time and any reload in flight). */
  readonly readMs: number;
  /** The batch applied: the UPDATEs were written to the sockets. */
  readonly writtenMs: number;
  /** The speaker's CPU time (every thread) over the read and the apply. */
  readonly cpuMs: number | undefined;
}

/** One announcement or withdrawal by the reference sender, timed from its API command. */
export interface ReferenceRecord {
  readonly op: 'announce' | 'withdraw';
  receivedMs: number | undefined;
  selectedMs: number | undefined;
  failure: string | undefined;
}

/** One change as measured. */
export interface ChangeRecord {
  readonly style: EditStyle;
  readonly kind: ChangeKind;
  readonly warmup: boolean;
  readonly service: string;
  readonly field: string;
  /** False when the change was not made (a limit was reached before it); it counts as failed. */
  readonly made: boolean;
  /** From the file operation to FRR having received the result (see `Milestone`); undefined when it failed. */
  receivedMs: number | undefined;
  /** From the file operation to FRR's decision showing the result; undefined when it failed. */
  selectedMs: number | undefined;
  failure: string | undefined;
  /** The speakers' part, when traced. */
  trace?: ChangeTrace | undefined;
}

/** One size on one node count. */
export interface RunResult {
  readonly services: number;
  readonly nodes: number;
  readonly styles: readonly EditStyle[];
  manifestBytes: { services?: number; slices?: number };
  readonly start: {
    readonly establishedMs: Record<string, number>;
    readonly allMs: Record<string, number>;
    /** Start to every prefix from every node in FRR; undefined when the limit was reached. */
    totalMs: number | undefined;
    fibMs: number | undefined;
  };
  readonly changes: ChangeRecord[];
  /** The reference sender's changes (empty when not run). */
  readonly reference: ReferenceRecord[];
  readonly skipped: { readonly style: EditStyle; readonly count: number; readonly why: string }[];
  readonly rss: { readonly node: string; afterStartKiB: number | undefined; endKiB: number | undefined }[];
  frrBgpdKiB: number | undefined;
  readonly speakerErrors: string[];
  readonly errors: string[];
}

/** Everything the report says. */
export interface ReportInput {
  readonly started: Date;
  readonly commit: string;
  readonly node: string;
  readonly cpu: string;
  readonly frr: string;
  readonly load: { readonly start: readonly number[]; readonly end: readonly number[] };
  readonly command: string;
  readonly settings: BenchSettings;
  readonly results: readonly RunResult[];
}

/** Issue 9's targets at 100 000 services. */
export const TARGETS = { startMs: 5000, changeMedianMs: 20, changeP99Ms: 60, rssMiB: 300, size: 100_000 } as const;

/** Nearest-rank quantile of sorted values. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[idx] as number;
}

/** Summary of a set of change times, with how many changes failed or were not made. */
export interface ChangeStats {
  readonly n: number;
  readonly failed: number;
  readonly median: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

/** Stats of a list of times; `undefined` entries count as failed. */
export function timeStats(times: readonly (number | undefined)[]): ChangeStats {
  const xs: number[] = [];
  let failed = 0;
  for (const t of times) {
    if (t === undefined) failed++;
    else xs.push(t);
  }
  xs.sort((a, b) => a - b);
  return { n: xs.length, failed, median: quantile(xs, 0.5), p90: quantile(xs, 0.9), p99: quantile(xs, 0.99), max: xs[xs.length - 1] ?? NaN };
}

/**
 * Stats over counted (not warm-up) records at one milestone; a record without a time (failed or not
 * made) counts as failed.
 */
export function changeStats(records: readonly ChangeRecord[], milestone: Milestone): ChangeStats {
  const times: (number | undefined)[] = [];
  for (const r of records) if (!r.warmup) times.push(milestone === 'received' ? r.receivedMs : r.selectedMs);
  return timeStats(times);
}

/** Stats of the reference sender's changes at one milestone (`op`: one kind, or both). */
export function referenceStats(records: readonly ReferenceRecord[], milestone: Milestone, op?: ReferenceRecord['op']): ChangeStats {
  const times: (number | undefined)[] = [];
  for (const r of records) if (op === undefined || r.op === op) times.push(milestone === 'received' ? r.receivedMs : r.selectedMs);
  return timeStats(times);
}

const fmtMs = (x: number | undefined): string => (x === undefined || Number.isNaN(x) ? '—' : `${x.toFixed(1)} ms`);
const fmtS = (x: number | undefined): string => (x === undefined || Number.isNaN(x) ? '—' : `${(x / 1000).toFixed(2)} s`);
const fmtMiB = (kib: number | undefined): string => (kib === undefined ? '—' : `${(kib / 1024).toFixed(0)} MiB`);
const fmtMB = (bytes: number | undefined): string => (bytes === undefined ? '—' : `${(bytes / 1e6).toFixed(1)} MB`);
const num = (n: number): string => n.toLocaleString('en-US').replace(/,/g, ' ');
const verdict = (ok: boolean): string => (ok ? '**PASS**' : '**FAIL**');
const KIND_LABEL: Record<ChangeKind, string> = { add: 'add a Service', remove: 'remove a Service', changeIp: "change a Service's IP", notReady: 'endpoints not ready' };
const STYLE_LABEL: Record<EditStyle, string> = { 'small-file': 'small files', 'big-file': 'the big files' };

function styleStats(r: RunResult, style: EditStyle, milestone: Milestone, kind?: ChangeKind): ChangeStats {
  return changeStats(r.changes.filter((c) => c.style === style && (kind === undefined || c.kind === kind)), milestone);
}

/** At most 2 ms (about the polling resolution) or 10 % slower counts as "no slower". */
function noSlower(x: number, base: number): boolean {
  return x <= base + Math.max(2, base * 0.1);
}

function targetRows(input: ReportInput): string[] {
  const l: string[] = [];
  const big = input.results.filter((r) => r.services === TARGETS.size);
  l.push(`## Targets at ${num(TARGETS.size)} services`);
  l.push('');
  if (big.length === 0) {
    l.push(`${num(TARGETS.size)} services were not run in this invocation: no verdict (the tables below show the sizes that were).`);
    l.push('');
    return l;
  }
  const cols = big.map((r) => `${r.nodes} node${r.nodes === 1 ? '' : 's'}`);
  l.push(`| target | ${cols.join(' | ')} |`);
  l.push(`|---|${cols.map(() => '---').join('|')}|`);
  l.push(`| start to every prefix in FRR <= ${TARGETS.startMs / 1000} s | ${big.map((r) => `${fmtS(r.start.totalMs)} ${verdict(r.start.totalMs !== undefined && r.start.totalMs <= TARGETS.startMs)}`).join(' | ')} |`);
  const styles: EditStyle[] = ['small-file', 'big-file'];
  for (const style of styles) {
    if (!big.some((r) => r.styles.includes(style))) continue;
    const cells = (f: (r: RunResult, s: ChangeStats, sel: ChangeStats) => string): string =>
      big.map((r) => (r.styles.includes(style) ? f(r, styleStats(r, style, 'received'), styleStats(r, style, 'selected')) : 'not run')).join(' | ');
    const what = `${STYLE_LABEL[style]}, file operation to FRR received`;
    l.push(`| change median <= ${TARGETS.changeMedianMs} ms (${what}) | ${cells((_r, s) => `${fmtMs(s.median)} ${verdict(s.failed === 0 && s.median <= TARGETS.changeMedianMs)}`)} |`);
    l.push(`| change p99 <= ${TARGETS.changeP99Ms} ms (${what}) | ${cells((_r, s) => `${fmtMs(s.p99)} ${verdict(s.failed === 0 && s.p99 <= TARGETS.changeP99Ms)}`)} |`);
    l.push(`| changes that failed or were not made: none (${STYLE_LABEL[style]}) | ${cells((_r, s) => `${s.failed} of ${input.settings.changes} ${verdict(s.failed === 0)}`)} |`);
    l.push(
      `| change no slower than at 1 000, median and p99 (${what}) | ${cells((r, s) => {
        const base = input.results.find((x) => x.services === 1000 && x.nodes === r.nodes && x.styles.includes(style));
        if (!base) return 'n/a: 1 000 not run';
        const b = styleStats(base, style, 'received');
        if (b.n === 0) return 'n/a: no change measured at 1 000';
        const ok = s.failed === 0 && noSlower(s.median, b.median) && noSlower(s.p99, b.p99);
        return `${fmtMs(s.median)} / ${fmtMs(s.p99)} vs ${fmtMs(b.median)} / ${fmtMs(b.p99)} ${verdict(ok)}`;
      })} |`,
    );
    l.push(
      `| raw: median <= ${TARGETS.changeMedianMs} ms and p99 <= ${TARGETS.changeP99Ms} ms (${STYLE_LABEL[style]}, file operation to FRR selected) | ${cells(
        (_r, _s, sel) => `${fmtMs(sel.median)} / ${fmtMs(sel.p99)} ${verdict(sel.failed === 0 && sel.median <= TARGETS.changeMedianMs && sel.p99 <= TARGETS.changeP99Ms)}`,
      )} |`,
    );
    l.push(
      `| the floor: reference sender (ExaBGP), command to FRR selected, median / p99, same run | ${cells((r) => {
        const ref = referenceStats(r.reference, 'selected');
        return ref.n === 0 ? 'not run' : `${fmtMs(ref.median)} / ${fmtMs(ref.p99)}`;
      })} |`,
    );
    l.push(
      `| the speaker's share of "selected": ours minus the floor, median / p99 (${STYLE_LABEL[style]}) | ${cells((r, _s, sel) => {
        const ref = referenceStats(r.reference, 'selected');
        return ref.n === 0 ? 'no floor measured' : `${fmtMs(sel.median - ref.median)} / ${fmtMs(sel.p99 - ref.p99)}`;
      })} |`,
    );
  }
  l.push(
    `| peak RSS <= ${TARGETS.rssMiB} MiB per speaker | ${big
      .map((r) => {
        const peaks = r.rss.map((x) => x.endKiB ?? x.afterStartKiB);
        const ok = peaks.length === r.nodes && peaks.every((k) => k !== undefined && k / 1024 <= TARGETS.rssMiB);
        return `${peaks.map((k) => fmtMiB(k)).join(', ')} ${verdict(ok)}`;
      })
      .join(' | ')} |`,
  );
  l.push('');
  l.push('"No slower than at 1 000" allows 2 ms (about the polling resolution) or 10 %, whichever is more. A change that timed out, was not made, or whose state before it FRR did not reach within the limit fails the change rows.');
  l.push('');
  l.push(
    'How the targets are read: issue 9 asks for a change "from the file write to FRR\'s table" in 20 ms (median) and 60 ms (p99). FRR 8.4 has a change in its table at two moments: when it *receives* it ' +
      '(the new path is listed, a withdrawn path is marked removed) and, later, when its decision process has *selected* it (best path and ECMP set updated, the withdrawn path gone, the route handed to zebra). ' +
      'bgpd runs that decision process from a work queue held 50 ms after the first item (`spec.hold = 50` in `bgp_process_queue_init`), whoever sent the UPDATE: the reference sender, an ExaBGP driven through its API in the same run, ' +
      'shows the same floor. The targets are therefore checked on "received", the part a speaker controls, and the raw "selected" figure is kept beside them with the reference floor and our share of it. ' +
      '(The previous version of this benchmark counted listed paths: an add then stopped at "received" but a removal at "selected", which made withdrawals look 25-50 ms slower than adds.)',
  );
  l.push('');
  return l;
}

/** The whole report as markdown. */
export function renderReport(input: ReportInput): string {
  const s = input.settings;
  const l: string[] = [];
  const load = (xs: readonly number[]): string => xs.map((x) => x.toFixed(2)).join(' / ');
  l.push('# The pipeline at scale against FRR');
  l.push('');
  l.push(`Measured ${input.started.toISOString()} by \`${input.command}\` (bench/scale.ts) on commit ${input.commit}; ${input.cpu}, Node.js ${input.node}, FRR ${input.frr}.`);
  l.push(`Load average (1 / 5 / 15 min) at start ${load(input.load.start)}, at end ${load(input.load.end)}: the machine's 2 cores are shared with other sessions, so these are figures under that load.`);
  l.push('');
  l.push(
    'Setup: the seed topology in network namespaces (test/interop/lab/seed-topology.ts): FRR (AS 64512, `maximum-paths ibgp 8`, iBGP) in a router namespace, one namespace per node ' +
      `running \`bin/metallb-ts run --node NAME --manifests DIR --log-level ${s.logLevel}\` on one shared folder: the seed's ConfigMap plus a pool \`bench\` (198.18.0.0/15, inside the namespaces only), the Nodes, argocd-server, ` +
      'and N Services shaped like `kubectl get svc -A -o yaml` output (labels, annotations, creationTimestamp, uid; clusterIP, ipFamilies, ports, selector, type LoadBalancer, externalTrafficPolicy Cluster) in one `kind: List` file, ' +
      'their EndpointSlices (one ready endpoint on every node) in another. Each Service asks for its IP: nine in ten by `metallb.io/loadBalancerIPs`, one in ten by `spec.loadBalancerIP`.',
  );
  l.push('');
  l.push(...targetRows(input));

  l.push('## Start to every prefix in FRR');
  l.push('');
  l.push("The clock starts when the `run` processes are spawned and stops when FRR's `show bgp ipv4 unicast summary json` (bgpd's vty socket, every 10 ms) shows N + 1 prefixes received from every node. " +
    `Limit ${fmtS(s.startTimeoutMs)} (--start-timeout-ms). FIB complete: zebra's \`show ip route summary json\` counts N + 1 BGP routes (informational; the changes start after it).`);
  l.push('');
  l.push('| services | nodes | services file | slices file | sessions Established | every prefix from each node | start to all in FRR | FIB complete |');
  l.push('|---:|---:|---:|---:|---|---|---:|---:|');
  for (const r of input.results) {
    const est = Object.entries(r.start.establishedMs).map(([n, v]) => `${n} ${fmtMs(v)}`).join(', ') || '—';
    const all = Object.entries(r.start.allMs).map(([n, v]) => `${n} ${fmtMs(v)}`).join(', ') || '—';
    const total = r.start.totalMs !== undefined ? `**${fmtS(r.start.totalMs)}**` : '**FAIL** (limit reached or error)';
    l.push(`| ${num(r.services)} | ${r.nodes} | ${fmtMB(r.manifestBytes.services)} | ${fmtMB(r.manifestBytes.slices)} | ${est} | ${all} | ${total} | ${fmtS(r.start.fibMs)} |`);
  }
  l.push('');

  l.push("## Changes: file operation to FRR's table");
  l.push('');
  l.push(
    `${s.changes} changes per edit style and run (${s.changes / 4} of each kind, interleaved; ${s.warmup} uncounted warm-up change${s.warmup === 1 ? '' : 's'} of each kind first), one file operation each. ` +
      `The clock starts at the rename that makes the new text visible (the temporary file is written before it) or at the unlink. \`show bgp ipv4 unicast PREFIX json\` on bgpd's vty socket is polled (${s.pollMs} ms between the answer and the next query, --poll-ms) and each change is timed twice: ` +
      "**received** (every node's path listed and not marked removed for an added or moved prefix; none but removed ones for a withdrawn one) and **selected** (those paths are FRR's best path and multipaths; a withdrawn prefix has no path left) - see the targets above. " +
      'Before each change the benchmark waits (same limit) until FRR has selected the state before it, so a change never passes by doing nothing, a slow change is not charged to the next one, and every change starts with bgpd\'s decision queue idle. ' +
      `Limits: ${s.changeTimeoutMs < 1000 ? fmtMs(s.changeTimeoutMs) : fmtS(s.changeTimeoutMs)} per change (--change-timeout-ms); after ${s.maxTimeouts} timeouts (--max-timeouts) or ${s.changesBudgetS} s (--changes-budget-s) the rest of an edit style's changes in a run are not made, and count as failed. ${s.gapMs} ms between changes.`,
  );
  l.push('');
  l.push(
    '- **small files**: add = write a new `30-svc-NAME.yaml` (Service + EndpointSlice); remove = delete such a file; change IP = rewrite it; not ready = rewrite a `31-eps-NAME.yaml` holding one EndpointSlice (its Service is in the big file) with `ready: false`.',
  );
  l.push(
    `- **the big files**: each change rewrites \`20-services.yaml\` (add, remove, change IP) or \`21-endpointslices.yaml\` (not ready) with one object added, removed or changed, as a user editing a \`kubectl get -o yaml\` dump does; the added Services' EndpointSlices are in the slices file from the start. Run at sizes up to ${num(s.bigEditsMax)} (--big-edits-max).`,
  );
  l.push('');
  l.push('| services | nodes | edit | change | counted | received: median | p90 | p99 | max | selected: median | p90 | p99 | max | failed or not made |');
  l.push('|---:|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  const statCells = (st: ChangeStats): string => `${fmtMs(st.median)} | ${fmtMs(st.p90)} | ${fmtMs(st.p99)} | ${fmtMs(st.max)}`;
  for (const r of input.results) {
    for (const style of r.styles) {
      if (!r.changes.some((c) => c.style === style && c.made)) {
        // Not one change made (the start failed, or a limit was reached at once): one row says why.
        const st = styleStats(r, style, 'selected');
        const why = r.skipped.find((x) => x.style === style)?.why ?? 'no change was made';
        l.push(`| ${num(r.services)} | ${r.nodes} | ${STYLE_LABEL[style]} | not made: ${why} | 0 | — | — | — | — | — | — | — | — | ${st.failed} |`);
        continue;
      }
      const rows: [string, readonly ChangeRecord[]][] = [['**all kinds**', r.changes.filter((c) => c.style === style)]];
      for (const kind of CHANGE_KINDS) rows.push([KIND_LABEL[kind], r.changes.filter((c) => c.style === style && c.kind === kind)]);
      for (const field of ['metallb.io/loadBalancerIPs', 'spec.loadBalancerIP']) {
        rows.push([`&nbsp;&nbsp;IP by \`${field}\``, r.changes.filter((c) => c.style === style && c.kind === 'changeIp' && c.field === field)]);
      }
      for (const [label, recs] of rows) {
        const rec = changeStats(recs, 'received');
        const sel = changeStats(recs, 'selected');
        l.push(`| ${num(r.services)} | ${r.nodes} | ${STYLE_LABEL[style]} | ${label} | ${sel.n} | ${statCells(rec)} | ${statCells(sel)} | ${sel.failed} |`);
      }
    }
  }
  l.push('');

  if (input.results.some((r) => r.reference.length > 0)) {
    l.push('## The floor: a reference sender in the same run');
    l.push('');
    l.push(
      'ExaBGP 4.2 in its own namespace on the lab link (10.10.10.118), one more iBGP neighbor of the same FRR (bench/scale-reference.ts). Its changes are interleaved with the speaker\'s ' +
        `(${s.referenceChanges} per edit style, announce and withdraw of 198.19.255.1/32 in turn, after every other change of ours), timed from the API command (a line written to the FIFO ExaBGP reads) ` +
        'with the same polling, the same two points and the same wait for the state before. Its "received" includes ExaBGP\'s own API handling (Python); its "selected" is the floor any sender meets in this FRR.',
    );
    l.push('');
    l.push('| services | nodes | reference change | counted | received: median | p90 | p99 | max | selected: median | p90 | p99 | max | failed |');
    l.push('|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const r of input.results) {
      if (r.reference.length === 0) continue;
      for (const [label, op] of [['**both**', undefined], ['announce', 'announce'], ['withdraw', 'withdraw']] as const) {
        const rec = referenceStats(r.reference, 'received', op);
        const sel = referenceStats(r.reference, 'selected', op);
        l.push(`| ${num(r.services)} | ${r.nodes} | ${label} | ${sel.n} | ${statCells(rec)} | ${statCells(sel)} | ${sel.failed} |`);
      }
    }
    l.push('');
  }

  if (input.results.some((r) => r.changes.some((c) => c.trace !== undefined))) {
    l.push('## Where the time goes');
    l.push('');
    l.push(
      'Medians in ms after the file operation, of the changes whose speaker log (`--trace`: the speakers run at `--log-level debug` and log `manifestsApplied` with the quiet time, the wait, the read and the apply of each reload) could be matched to them; with two nodes, the slower node. ' +
        '**noticed**: the watcher\'s first event (fs.watch delivery; counted only when the batch started after the file operation, since writing the temporary file may wake it first); **read**: the re-read starts (after the watcher\'s quiet time); **written**: the batch is applied and its UPDATEs are written to the sockets (the planner, the Adj-RIB-Out and the encoding all run within it); **CPU**: the speaker\'s CPU time over read -> written (all its threads), against that wall time; ' +
        '**received** / **selected**: FRR, as above. written -> received is the kernel, bgpd reading the socket and the polling; received -> selected is bgpd\'s decision queue.',
    );
    l.push('');
    l.push('| services | nodes | edit | change | traced | noticed | read | written | CPU | received | selected |');
    l.push('|---:|---:|---|---|---:|---:|---:|---:|---:|---:|---:|');
    for (const r of input.results) {
      for (const style of r.styles) {
        for (const kind of [undefined, ...CHANGE_KINDS]) {
          const recs = r.changes.filter((c) => !c.warmup && c.style === style && (kind === undefined || c.kind === kind) && c.trace !== undefined);
          if (recs.length === 0) continue;
          const med = (f: (c: ChangeRecord) => number | undefined): string => fmtMs(timeStats(recs.map(f).filter((x) => x !== undefined)).median);
          l.push(
            `| ${num(r.services)} | ${r.nodes} | ${STYLE_LABEL[style]} | ${kind === undefined ? '**all kinds**' : KIND_LABEL[kind]} | ${recs.length} | ${med((c) => c.trace?.noticedMs)} | ${med((c) => c.trace?.readMs)} | ${med((c) => c.trace?.writtenMs)} | ${med((c) => c.trace?.cpuMs)} | ${med((c) => c.receivedMs)} | ${med((c) => c.selectedMs)} |`,
          );
        }
      }
    }
    l.push('');
    l.push('The slowest changes of each run (by "received"), where the tail goes:');
    l.push('');
    l.push('| services | nodes | change | service | noticed | read | written | CPU | received | selected |');
    l.push('|---:|---:|---|---|---:|---:|---:|---:|---:|---:|');
    for (const r of input.results) {
      const slowest = r.changes.filter((c) => !c.warmup && c.receivedMs !== undefined).sort((x, y) => (y.receivedMs ?? 0) - (x.receivedMs ?? 0));
      for (const c of slowest.slice(0, 5)) {
        const t = c.trace;
        l.push(
          `| ${num(r.services)} | ${r.nodes} | ${KIND_LABEL[c.kind]} | ${c.service} | ${fmtMs(t?.noticedMs)} | ${fmtMs(t?.readMs)} | ${fmtMs(t?.writtenMs)} | ${fmtMs(t?.cpuMs)} | ${fmtMs(c.receivedMs)} | ${fmtMs(c.selectedMs)} |`,
        );
      }
    }
    l.push('');
  }

  l.push('## Peak memory');
  l.push('');
  l.push(`VmHWM from /proc/PID/status of each speaker process right after the start and at the end of the run (after every change). Target at ${num(TARGETS.size)}: <= ${TARGETS.rssMiB} MiB per speaker. For comparison (issue 9, same machine): GoBGP alone holds 199 MiB for the same 100 000 prefixes.`);
  l.push('');
  l.push('| services | nodes | node | after start | at end | FRR bgpd at end |');
  l.push('|---:|---:|---|---:|---:|---:|');
  for (const r of input.results) {
    for (const x of r.rss) l.push(`| ${num(r.services)} | ${r.nodes} | ${x.node} | ${fmtMiB(x.afterStartKiB)} | ${fmtMiB(x.endKiB)} | ${fmtMiB(r.frrBgpdKiB)} |`);
  }
  l.push('');

  const problems: string[] = [];
  for (const r of input.results) {
    const where = `${num(r.services)} services, ${r.nodes} node${r.nodes === 1 ? '' : 's'}`;
    for (const e of r.errors) problems.push(`- ${where}: ${e}`);
    for (const sk of r.skipped) problems.push(`- ${where}: ${sk.count} ${STYLE_LABEL[sk.style]} changes not made: ${sk.why}`);
    let shown = 0;
    for (const c of r.changes) {
      if (c.failure === undefined || !c.made) continue;
      if (shown++ < 5) problems.push(`- ${where}: ${STYLE_LABEL[c.style]} ${KIND_LABEL[c.kind]} ${c.service}${c.warmup ? ' (warm-up)' : ''}: ${c.failure}`);
    }
    if (shown > 5) problems.push(`- ${where}: ... and ${shown - 5} more failed changes`);
    let refShown = 0;
    for (const x of r.reference) if (x.failure !== undefined && refShown++ < 3) problems.push(`- ${where}: reference ${x.op}: ${x.failure}`);
    for (const e of r.speakerErrors) problems.push(`- ${where}: speaker log: \`${e.replace(/`/g, "'")}\``);
  }
  if (problems.length > 0) {
    l.push('## Failures and speaker errors');
    l.push('');
    l.push(...problems);
    l.push('');
  }
  return l.join('\n') + '\n';
}
