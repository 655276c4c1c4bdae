/**
 * What every node would announce, for `metallb-ts plan`: per node, each prefix each peer would receive
 * with its attributes, and why each other LoadBalancer service is withheld. Read from the pipeline's
 * state with the same `NodePlanner` as `metallb-ts run`, so the report is what the speakers do. Pure.
 */
import type { ClusterState } from '../pipeline/cluster-state.js';
import { NodePlanner } from './planner.js';
import type { AnnouncementPlan } from './planner.js';

/** One prefix as one peer of one node would receive it. */
export interface AdvertisementRow {
  readonly node: string;
  /** The peer's address. */
  readonly peer: string;
  readonly peerName: string;
  /** `10.10.10.12/32`. */
  readonly prefix: string;
  /** Sent to iBGP peers only; null for eBGP peers. */
  readonly localPref: number | null;
  readonly communities: readonly string[];
  readonly largeCommunities: readonly string[];
}

/** A LoadBalancer service a node does not announce, and MetalLB's reason. */
export interface WithheldRow {
  readonly service: string;
  readonly node: string;
  readonly reason: string;
}

export interface AdvertisementReport {
  /** The nodes reported, in the order given. */
  readonly nodes: readonly string[];
  readonly advertisements: readonly AdvertisementRow[];
  readonly withheld: readonly WithheldRow[];
  /** The full plan of each node, for callers that want more. */
  readonly plans: readonly AnnouncementPlan[];
}

export interface ReportOptions {
  /** Only this node (every node when absent). */
  readonly node?: string;
  /** The load balancer class handled (`--lb-class`); unset handles services without a class. */
  readonly loadBalancerClass?: string;
}

/** The report of the nodes of `state`, or the name of the node that is not in it. */
export function advertisementReport(state: ClusterState, options: ReportOptions = {}): AdvertisementReport | { readonly unknownNode: string } {
  let nodes = state.nodeNames();
  if (options.node !== undefined) {
    if (!state.node(options.node)) return { unknownNode: options.node };
    nodes = [options.node];
  }
  const advertisements: AdvertisementRow[] = [];
  const withheld: WithheldRow[] = [];
  const plans: AnnouncementPlan[] = [];
  for (const name of nodes) {
    const planner = new NodePlanner(name, state, options.loadBalancerClass !== undefined ? { loadBalancerClass: options.loadBalancerClass } : {});
    planner.reset(state.config, state.node(name));
    const plan = planner.plan();
    plans.push(plan);
    for (const p of plan.peers) {
      for (const a of p.advertisements) {
        advertisements.push({
          node: plan.node,
          peer: a.peerAddress,
          peerName: a.peer,
          prefix: a.prefix,
          localPref: a.localPref ?? null,
          communities: a.communities,
          largeCommunities: a.largeCommunities,
        });
      }
    }
    for (const w of plan.withheld) withheld.push({ service: w.service, node: plan.node, reason: w.reason });
  }
  return { nodes, advertisements, withheld, plans };
}

function table(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ').trimEnd()).join('\n');
}

/**
 * The report as text: a table of advertisements (node by node, peer by peer), a line for each node
 * that advertises nothing, and a table of withheld services with their reasons.
 */
export function formatAdvertisementReport(report: AdvertisementReport): string {
  const out: string[] = [];
  const rows = [['NODE', 'PEER', 'PEERNAME', 'PREFIX', 'LOCALPREF', 'COMMUNITIES', 'LARGECOMMUNITIES']];
  for (const a of report.advertisements) {
    rows.push([
      a.node,
      a.peer,
      a.peerName,
      a.prefix,
      a.localPref === null ? '-' : String(a.localPref),
      a.communities.length > 0 ? a.communities.join(',') : '-',
      a.largeCommunities.length > 0 ? a.largeCommunities.join(',') : '-',
    ]);
  }
  out.push(report.advertisements.length > 0 ? table(rows) : 'no advertisements');
  for (const node of report.nodes) {
    if (!report.advertisements.some((a) => a.node === node)) out.push(`node ${node} advertises nothing`);
  }
  if (report.withheld.length > 0) {
    out.push('', table([['SERVICE', 'NODE', 'WITHHELD'], ...report.withheld.map((w) => [w.service, w.node, w.reason])]));
  }
  return out.join('\n');
}
