/**
 * `resourcesForNode`: the configuration as one node's speaker sees it. Since MetalLB v0.16 each
 * speaker parses only the BGPPeers and BGPAdvertisements whose nodeSelectors select its own node, so
 * a broken peer meant for other nodes cannot take this node's sessions down. Pure.
 */
import { anySelectorMatches } from '../model/kubernetes.js';
import type { ConfigIssue } from './types.js';
import type { ConfigResources, NodeInfo, ResourceSource } from './resources.js';
import { formatPath } from './resources.js';

function issueBelongsTo(issue: ConfigIssue, source: ResourceSource): boolean {
  if (issue.object !== source.object) return false;
  if (!source.legacy) return true;
  const base = formatPath(source.base);
  return issue.path === base || issue.path.startsWith(`${base}.`) || issue.path.startsWith(`${base}[`);
}

/**
 * Keeps only the peers and advertisements whose node selectors select `node` (an empty list selects
 * every node), and drops the decoding issues of those left out. Pools, communities, BFD profiles and
 * Secrets are shared by all nodes and stay.
 */
export function resourcesForNode(resources: ConfigResources, node: NodeInfo): ConfigResources {
  const peers = resources.peers.filter((p) => anySelectorMatches(p.nodeSelectors, node.labels));
  const advertisements = resources.advertisements.filter((a) => anySelectorMatches(a.nodeSelectors, node.labels));
  const dropped = [
    ...resources.peers.filter((p) => !peers.includes(p)).map((p) => p.source),
    ...resources.advertisements.filter((a) => !advertisements.includes(a)).map((a) => a.source),
  ];
  const issues = resources.issues.filter((i) => !dropped.some((s) => issueBelongsTo(i, s)));
  return { ...resources, peers, advertisements, issues };
}
