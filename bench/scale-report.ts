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
  readonly logLevel: string;
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
  /** From the file operation to FRR showing the result; undefined when it failed. */
  ms: number | undefined;
  failure: string | undefined;
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

/** Stats over counted (not warm-up) records; a record without a time (failed or not made) counts as failed. */
export function changeStats(records: readonly ChangeRecord[]): ChangeStats {
  const xs: number[] = [];
  let failed = 0;
  for (const r of records) {
    if (r.warmup) continue;
    if (r.ms === undefined) failed++;
    else xs.push(r.ms);
  }
  xs.sort((a, b) => a - b);
  return { n: xs.length, failed, median: quantile(xs, 0.5), p90: quantile(xs, 0.9), p99: quantile(xs, 0.99), max: xs[xs.length - 1] ?? NaN };
}

const fmtMs = (x: number | undefined): string => (x === undefined || Number.isNaN(x) ? '—' : `${x.toFixed(1)} ms`);
const fmtS = (x: number | undefined): string => (x === undefined || Number.isNaN(x) ? '—' : `${(x / 1000).toFixed(2)} s`);
const fmtMiB = (kib: number | undefined): string => (kib === undefined ? '—' : `${(kib / 1024).toFixed(0)} MiB`);
const fmtMB = (bytes: number | undefined): string => (bytes === undefined ? '—' : `${(bytes / 1e6).toFixed(1)} MB`);
const num = (n: number): string => n.toLocaleString('en-US').replace(/,/g, ' ');
const verdict = (ok: boolean): string => (ok ? '**PASS**' : '**FAIL**');
const KIND_LABEL: Record<ChangeKind, string> = { add: 'add a Service', remove: 'remove a Service', changeIp: "change a Service's IP", notReady: 'endpoints not ready' };
const STYLE_LABEL: Record<EditStyle, string> = { 'small-file': 'small files', 'big-file': 'the big files' };

function styleStats(r: RunResult, style: EditStyle, kind?: ChangeKind): ChangeStats {
  return changeStats(r.changes.filter((c) => c.style === style && (kind === undefined || c.kind === kind)));
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
    const cells = (f: (r: RunResult, s: ChangeStats) => string): string =>
      big.map((r) => (r.styles.includes(style) ? f(r, styleStats(r, style)) : 'not run')).join(' | ');
    l.push(`| change median <= ${TARGETS.changeMedianMs} ms (${STYLE_LABEL[style]}) | ${cells((_r, s) => `${fmtMs(s.median)} ${verdict(s.failed === 0 && s.median <= TARGETS.changeMedianMs)}`)} |`);
    l.push(`| change p99 <= ${TARGETS.changeP99Ms} ms (${STYLE_LABEL[style]}) | ${cells((_r, s) => `${fmtMs(s.p99)} ${verdict(s.failed === 0 && s.p99 <= TARGETS.changeP99Ms)}`)} |`);
    l.push(`| changes that failed or were not made: none (${STYLE_LABEL[style]}) | ${cells((_r, s) => `${s.failed} of ${input.settings.changes} ${verdict(s.failed === 0)}`)} |`);
    l.push(
      `| change no slower than at 1 000, median and p99 (${STYLE_LABEL[style]}) | ${cells((r, s) => {
        const base = input.results.find((x) => x.services === 1000 && x.nodes === r.nodes && x.styles.includes(style));
        if (!base) return 'n/a: 1 000 not run';
        const b = styleStats(base, style);
        if (b.n === 0) return 'n/a: no change measured at 1 000';
        const ok = s.failed === 0 && noSlower(s.median, b.median) && noSlower(s.p99, b.p99);
        return `${fmtMs(s.median)} / ${fmtMs(s.p99)} vs ${fmtMs(b.median)} / ${fmtMs(b.p99)} ${verdict(ok)}`;
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
      'The clock starts at the rename that makes the new text visible (the temporary file is written before it) or at the unlink, and stops when `show bgp ipv4 unicast PREFIX json` on the vty socket (polled every ~1 ms) shows the result: ' +
      "an added or moved prefix with every node's path, a removed one with none (an IP change: both). Before each change the benchmark waits (same limit) until FRR shows the state before it, so a change never passes by doing nothing and a slow change is not charged to the next one. " +
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
  l.push('| services | nodes | edit | change | counted | median | p90 | p99 | max | failed or not made |');
  l.push('|---:|---:|---|---|---:|---:|---:|---:|---:|---:|');
  for (const r of input.results) {
    for (const style of r.styles) {
      if (!r.changes.some((c) => c.style === style && c.made)) {
        // Not one change made (the start failed, or a limit was reached at once): one row says why.
        const st = styleStats(r, style);
        const why = r.skipped.find((x) => x.style === style)?.why ?? 'no change was made';
        l.push(`| ${num(r.services)} | ${r.nodes} | ${STYLE_LABEL[style]} | not made: ${why} | 0 | — | — | — | — | ${st.failed} |`);
        continue;
      }
      const rows: [string, ChangeStats][] = [['**all kinds**', styleStats(r, style)]];
      for (const kind of CHANGE_KINDS) rows.push([KIND_LABEL[kind], styleStats(r, style, kind)]);
      for (const field of ['metallb.io/loadBalancerIPs', 'spec.loadBalancerIP']) {
        rows.push([`&nbsp;&nbsp;IP by \`${field}\``, changeStats(r.changes.filter((c) => c.style === style && c.kind === 'changeIp' && c.field === field))]);
      }
      for (const [label, st] of rows) {
        l.push(`| ${num(r.services)} | ${r.nodes} | ${STYLE_LABEL[style]} | ${label} | ${st.n} | ${fmtMs(st.median)} | ${fmtMs(st.p90)} | ${fmtMs(st.p99)} | ${fmtMs(st.max)} | ${st.failed} |`);
      }
    }
  }
  l.push('');

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
