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
import type { PoolUsage, ServiceResult } from '../allocator/index.js';
import type { Config, ConfigIssue } from '../config/types.js';
import type { ObjectIssue } from '../model/cluster.js';
import { ClusterState } from '../pipeline/cluster-state.js';
import { ManifestSource } from '../sources/manifests/source.js';
import { formatIssue, sortIssues } from './config-command.js';
import { advertisementReport, formatAdvertisementReport } from '../speaker/plan-report.js';
import type { AdvertisementReport, AdvertisementRow, WithheldRow } from '../speaker/plan-report.js';
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

/** Everything read and computed for a plan: the pipeline's state after reading the manifests. */
export interface PlanInputs {
  readonly state: ClusterState;
  readonly config: Config;
  /** Errors printed (files that do not parse, invalid objects): the plan is of the rest. */
  readonly errors: number;
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
 * Reads the manifests into the pipeline (`ClusterState`, as `metallb-ts run` does) and prints every
 * problem on stderr: files that do not parse, configuration errors and warnings, invalid objects
 * (each left out on its own). Resolves to the inputs, or to the exit code when there is no
 * configuration to plan with.
 */
export async function readPlanInputs(options: PlanOptions, io: CommandIo): Promise<PlanInputs | number> {
  const state = new ClusterState({
    standalone: true,
    ...(options.loadBalancerClass !== undefined ? { loadBalancerClass: options.loadBalancerClass } : {}),
  });
  state.apply(await new ManifestSource(options.paths).load());
  const errors: (ConfigIssue | ObjectIssue)[] = [];
  for (const issues of state.sourceIssues().values()) for (const e of issues) errors.push(e);
  for (const bad of state.invalidObjects()) for (const e of bad.issues) errors.push(e);
  const config = state.config;
  const configIssues = state.configIssues;
  for (const w of sortIssues(configIssues.filter((e) => e.severity === 'warning'))) io.stderr(`${formatIssue(w)}\n`);
  for (const e of sortIssues(errors.filter((e) => e.severity === 'warning'))) io.stderr(`${formatIssue(e)}\n`);
  const failed = errors.filter((e) => e.severity === 'error');
  for (const e of sortIssues(failed)) io.stderr(`${formatIssue(e)}\n`);
  if (!config || state.configStale) {
    const configErrors = configIssues.filter((e) => e.severity === 'error');
    for (const e of sortIssues(configErrors)) io.stderr(`${formatIssue(e)}\n`);
    io.stderr(`metallb-ts plan: the configuration is invalid (${configErrors.length} error${configErrors.length === 1 ? '' : 's'})\n`);
    return 1;
  }
  return { state, config, errors: failed.length };
}

/** The report's allocation sections. */
export function planReport(inputs: PlanInputs): PlanReport {
  const allocation = inputs.state.allocationReport();
  return { services: allocation.services.map(planService), pools: allocation.pools };
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
 * The speaker's sections: each node's advertisements and withheld services, planned from the same
 * state with the same planner as `metallb-ts run`.
 */
export function speakerSections(inputs: PlanInputs, options: PlanOptions): AdvertisementReport | { readonly unknownNode: string } {
  return advertisementReport(inputs.state, {
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
  if (inputs.errors > 0) {
    io.stderr(`metallb-ts plan: ${inputs.errors} error${inputs.errors === 1 ? '' : 's'} in the manifests; the plan leaves those objects out\n`);
    return 1;
  }
  return 0;
}
