/**
 * `metallb-ts plan --manifests PATH [--manifests PATH...] [--json] [--lb-class CLASS]`: reads the
 * configuration and the cluster objects (Services, Namespaces, Nodes, EndpointSlices, ...) from YAML
 * files or folders and prints what metallb-ts would do, without opening any session: the IPs each
 * LoadBalancer service gets (or why it gets none) and the use of each pool. Wiring only: the work is in
 * `src/allocator`, `src/config` and `src/sources/manifests`.
 *
 * The report is built in sections (`PlanReport`): later work adds its own (the speaker's
 * advertisements per node) next to `services` and `pools` without changing these.
 */
import { allocateAll } from '../allocator/index.js';
import type { AllocationResult, AllocatorOptions, NamespaceLabels, PoolUsage, ServiceResult } from '../allocator/index.js';
import type { Config, ConfigIssue } from '../config/types.js';
import type { Service } from '../model/kubernetes.js';
import { loadConfig, objectsOfKind } from '../sources/manifests/index.js';
import type { ManifestSet } from '../sources/manifests/index.js';
import { formatIssue, sortIssues } from './config-command.js';
import { clusterObjectsOf } from '../sources/manifests/snapshot.js';
import { advertisementReport, formatAdvertisementReport } from '../speaker/plan-report.js';
import type { AdvertisementReport, AdvertisementRow, WithheldRow } from '../speaker/plan-report.js';
import type { ServiceIps } from '../speaker/planner.js';
import { defaultIo, type CommandIo } from './io.js';

export type { CommandIo };

export const PLAN_USAGE = `usage: metallb-ts plan --manifests PATH [--manifests PATH...] [--node NAME] [--json] [--lb-class CLASS]

Reads the MetalLB configuration and cluster objects (Services, Namespaces, Nodes, EndpointSlices, ...)
from YAML files or folders and prints the allocation: each LoadBalancer service's IPs and pool, or why
it has none, and the use of each pool; then, per node (only NAME with --node), the prefixes each BGP
peer would receive with their attributes and why the other services are withheld. Opens no session.
Services without a ClusterIP are planned from ipFamilies.
`;

export interface PlanOptions {
  readonly paths: readonly string[];
  readonly json: boolean;
  readonly loadBalancerClass?: string;
  /** Only this node's advertisements (every node's when absent). */
  readonly node?: string;
}

/** One service in the JSON report. */
export interface PlanService {
  readonly service: string;
  readonly ips: readonly string[];
  readonly pool?: string;
  /** Why the service has no IP (or why its request is ignored); absent when none. */
  readonly error?: string;
  /** MetalLB's event reason and our stable rule for `error`. */
  readonly reason?: string;
  readonly rule?: string;
  readonly warnings?: readonly string[];
}

/** The whole report; sections are added by later stages (advertisements per node). */
export interface PlanReport {
  readonly services: readonly PlanService[];
  readonly pools: readonly PoolUsage[];
  /** Per node, per peer: what the speakers would send (`src/speaker/plan-report.ts`). */
  readonly advertisements?: readonly AdvertisementRow[];
  /** Per node: LoadBalancer services not announced, with MetalLB's reason. */
  readonly withheld?: readonly WithheldRow[];
}

/** Everything read and computed for a plan, for commands that build on it. */
export interface PlanInputs {
  readonly manifests: ManifestSet;
  readonly config: Config;
  readonly services: readonly Service[];
  readonly namespaces: NamespaceLabels;
  readonly allocation: AllocationResult;
}

/** Parses the plan flags; a string is a usage error. */
export function parsePlanArgs(argv: readonly string[]): PlanOptions | string {
  const paths: string[] = [];
  let json = false;
  let lbClass: string | undefined;
  let node: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string | undefined => inline ?? argv[++i];
    switch (flag) {
      case '--manifests': {
        const v = value();
        if (v === undefined || v === '') return '--manifests needs a path';
        paths.push(v);
        break;
      }
      case '--json':
        json = true;
        break;
      case '--node': {
        const v = value();
        if (v === undefined || v === '') return '--node needs a node name';
        node = v;
        break;
      }
      case '--lb-class': {
        const v = value();
        if (v === undefined || v === '') return '--lb-class needs a class name';
        lbClass = v;
        break;
      }
      default:
        return arg.startsWith('-') ? `unknown option ${arg}` : `unexpected argument ${arg} (use --manifests PATH)`;
    }
  }
  if (paths.length === 0) return 'at least one --manifests PATH is needed';
  return { paths, json, ...(lbClass !== undefined ? { loadBalancerClass: lbClass } : {}), ...(node !== undefined ? { node } : {}) };
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The core/v1 Services of a manifest set, as snapshots (objects without a name are skipped). */
export function servicesOf(set: ManifestSet): Service[] {
  const out: Service[] = [];
  for (const o of objectsOfKind(set.objects, 'Service')) {
    const obj = o.object;
    if (obj.apiVersion !== undefined && obj.apiVersion !== 'v1') continue;
    const meta = obj.metadata;
    if (!isRecord(meta) || typeof meta.name !== 'string') continue;
    out.push({ ...(obj as unknown as Service), spec: isRecord(obj.spec) ? (obj.spec as Service['spec']) : {} });
  }
  return out;
}

/** Namespace name -> labels, from the Namespace objects of a manifest set. */
export function namespacesOf(set: ManifestSet): NamespaceLabels {
  const out: Record<string, Readonly<Record<string, string>>> = {};
  for (const o of objectsOfKind(set.objects, 'Namespace')) {
    if (o.object.apiVersion !== undefined && o.object.apiVersion !== 'v1') continue;
    const meta = o.object.metadata;
    if (!isRecord(meta) || typeof meta.name !== 'string') continue;
    const labels: Record<string, string> = {};
    if (isRecord(meta.labels)) for (const [k, v] of Object.entries(meta.labels)) if (typeof v === 'string') labels[k] = v;
    out[meta.name] = labels;
  }
  return out;
}

/** The JSON form of one service result. */
export function planService(r: ServiceResult): PlanService {
  return {
    service: r.service,
    ips: r.ips,
    ...(r.pool !== undefined ? { pool: r.pool } : {}),
    ...(r.error ? { error: r.error.message, reason: r.error.reason, rule: r.error.rule } : {}),
    ...(r.warnings.length > 0 ? { warnings: r.warnings.map((w) => `${w.reason}: ${w.message}`) } : {}),
  };
}

/**
 * Reads the manifests and computes the allocation. Resolves to the inputs, or to the exit code after
 * printing why there is no plan (unreadable files, an invalid configuration).
 */
export async function readPlanInputs(options: PlanOptions, io: CommandIo): Promise<PlanInputs | number> {
  const { result, manifests } = await loadConfig(options.paths);
  for (const e of manifests.errors) io.stderr(`${e.file}${e.line > 0 ? `:${e.line}` : ''}: ${e.message} (${e.code})\n`);
  if (manifests.errors.length > 0) return 1;
  const warnings: readonly ConfigIssue[] = result.ok ? result.config.warnings : result.warnings;
  for (const w of sortIssues(warnings)) io.stderr(`${formatIssue(w)}\n`);
  if (!result.ok) {
    for (const e of sortIssues(result.errors)) io.stderr(`${formatIssue(e)}\n`);
    io.stderr(`metallb-ts plan: the configuration is invalid (${result.errors.length} error${result.errors.length === 1 ? '' : 's'})\n`);
    return 1;
  }
  const services = servicesOf(manifests);
  const namespaces = namespacesOf(manifests);
  const allocatorOptions: AllocatorOptions = {
    standalone: true,
    ...(options.loadBalancerClass !== undefined ? { loadBalancerClass: options.loadBalancerClass } : {}),
  };
  const allocation = allocateAll({ pools: result.config.pools, services, namespaces, options: allocatorOptions });
  return { manifests, config: result.config, services, namespaces, allocation };
}

/** The report's allocation sections. */
export function planReport(inputs: PlanInputs): PlanReport {
  return { services: inputs.allocation.services.map(planService), pools: inputs.allocation.pools };
}

/** Pads columns of a table of strings (first row = header). */
export function renderTable(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows
    .map((row) =>
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

const count = (n: number): string => (n >= 2 ** 53 ? `2^${Math.round(Math.log2(n))}` : String(n));

/** The services section as text. */
export function renderServices(services: readonly PlanService[]): string {
  if (services.length === 0) return 'no LoadBalancer services';
  const rows = [['SERVICE', 'IPS', 'POOL', 'STATUS']];
  for (const s of services) {
    const status = s.error !== undefined ? `${s.reason ?? 'error'}: ${s.error}` : 'allocated';
    rows.push([s.service, s.ips.length > 0 ? s.ips.join(',') : '-', s.pool ?? '-', status]);
  }
  const warnings = services.flatMap((s) => (s.warnings ?? []).map((w) => `warning: ${s.service}: ${w}`));
  return [renderTable(rows), ...warnings].join('\n');
}

/** The pools section as text. */
export function renderPools(pools: readonly PoolUsage[]): string {
  if (pools.length === 0) return 'no address pools';
  const rows = [['POOL', 'IPV4 IN USE', 'IPV4 TOTAL', 'IPV6 IN USE', 'IPV6 TOTAL']];
  for (const p of pools) rows.push([p.pool, String(p.ipv4.inUse), count(p.ipv4.total), String(p.ipv6.inUse), count(p.ipv6.total)]);
  return renderTable(rows);
}

/** The report as text: one section after the other. */
export function renderPlanText(report: PlanReport): string {
  return `${renderServices(report.services)}\n\n${renderPools(report.pools)}\n`;
}

/**
 * The speaker's sections: each node's advertisements and withheld services, planned from this plan's
 * allocation with the Nodes and EndpointSlices of the manifests, as `metallb-ts run` plans them.
 */
export function speakerSections(inputs: PlanInputs, options: PlanOptions): AdvertisementReport | { readonly unknownNode: string } {
  const objects = clusterObjectsOf(inputs.manifests);
  const allocations = new Map<string, ServiceIps>();
  for (const s of inputs.allocation.services) if (s.ips.length > 0 && s.pool !== undefined) allocations.set(s.service, { ips: s.ips, pool: s.pool });
  return advertisementReport({
    config: inputs.config,
    nodes: objects.nodes,
    services: objects.services,
    endpointSlices: objects.endpointSlices,
    allocations,
    ...(options.node !== undefined ? { node: options.node } : {}),
    ...(options.loadBalancerClass !== undefined ? { loadBalancerClass: options.loadBalancerClass } : {}),
  });
}

/** Runs `metallb-ts plan ...` with `argv` after `plan`; resolves to the exit code. */
export async function planCommand(argv: readonly string[], io: CommandIo = defaultIo): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.stdout(PLAN_USAGE);
    return 0;
  }
  const options = parsePlanArgs(argv);
  if (typeof options === 'string') {
    io.stderr(`metallb-ts plan: ${options}\n\n${PLAN_USAGE}`);
    return 2;
  }
  const inputs = await readPlanInputs(options, io);
  if (typeof inputs === 'number') return inputs;
  const speaker = speakerSections(inputs, options);
  if ('unknownNode' in speaker) {
    io.stderr(`metallb-ts plan: --node ${speaker.unknownNode}: no Node of that name in the manifests\n`);
    return 2;
  }
  const report: PlanReport = { ...planReport(inputs), advertisements: speaker.advertisements, withheld: speaker.withheld };
  io.stdout(options.json ? `${JSON.stringify(report, null, 2)}\n` : `${renderPlanText(report)}\n${formatAdvertisementReport(speaker)}\n`);
  return 0;
}
