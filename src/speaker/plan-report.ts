/**
 * What every node would announce, for `metallb-ts plan`: per node, each prefix each peer would receive
 * with its attributes, and why each other LoadBalancer service is withheld. The same allocation and
 * planner as `metallb-ts run`, so the report is what the speakers do. Pure.
 */
import type { Config } from '../config/types.js';
import type { EndpointSlice, Node, Service } from '../model/kubernetes.js';
import { planAnnouncements } from './planner.js';
import type { AnnouncementPlan, ServiceIps } from './planner.js';

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

export interface ReportInput {
  readonly config: Config;
  readonly nodes: readonly Node[];
  readonly services: readonly Service[];
  readonly endpointSlices: readonly EndpointSlice[];
  readonly allocations: ReadonlyMap<string, ServiceIps>;
  /** Only this node (every node when absent). */
  readonly node?: string;
}

/** The report, or the name of the node that is not in the manifests. */
export function advertisementReport(input: ReportInput): AdvertisementReport | { readonly unknownNode: string } {
  let nodes = input.nodes;
  if (input.node !== undefined) {
    const n = input.nodes.find((x) => x.metadata.name === input.node);
    if (!n) return { unknownNode: input.node };
    nodes = [n];
  }
  const advertisements: AdvertisementRow[] = [];
  const withheld: WithheldRow[] = [];
  const plans: AnnouncementPlan[] = [];
  for (const node of nodes) {
    const plan = planAnnouncements({
      config: input.config,
      node,
      services: input.services,
      allocations: input.allocations,
      endpointSlices: input.endpointSlices,
    });
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
  return { nodes: nodes.map((n) => n.metadata.name), advertisements, withheld, plans };
}

/** The report as text, node by node. */
export function formatAdvertisementReport(report: AdvertisementReport): string {
  const lines: string[] = [];
  for (const node of report.nodes) {
    lines.push(`node ${node}:`);
    const ads = report.advertisements.filter((a) => a.node === node);
    if (ads.length === 0) lines.push('  advertises nothing');
    const width = Math.max(0, ...ads.map((a) => a.prefix.length));
    for (const a of ads) {
      const attrs = [
        a.localPref !== null ? `localPref ${a.localPref}` : undefined,
        a.communities.length > 0 ? `communities ${a.communities.join(' ')}` : undefined,
        a.largeCommunities.length > 0 ? `largeCommunities ${a.largeCommunities.join(' ')}` : undefined,
      ].filter((x) => x !== undefined);
      lines.push(`  ${a.prefix.padEnd(width)}  to ${a.peerName} (${a.peer})${attrs.length > 0 ? `  ${attrs.join(', ')}` : ''}`);
    }
    for (const w of report.withheld.filter((x) => x.node === node)) lines.push(`  withheld ${w.service}: ${w.reason}`);
  }
  return lines.join('\n');
}
