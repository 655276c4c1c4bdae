/**
 * Label-selector checks shared by the per-resource builders: a canonical text form of a selector,
 * duplicate entries in a list, and whether two node-selector lists can reach a common node.
 *
 * Node sets: MetalLB decides whether two advertisements (or peers) reach the same node by evaluating
 * their node selectors on the cluster's Nodes. When nodes are given we do the same; without nodes two
 * selector lists are taken to overlap when either is empty (all nodes) or both contain the same
 * selector, and to be disjoint otherwise (the speaker still checks conflicts per node).
 */
import type { LabelSelector } from '../model/kubernetes.js';
import { anySelectorMatches } from '../model/kubernetes.js';
import type { NodeInfo, ResourceSource } from './resources.js';
import type { Issues, RuleId } from './issues.js';

/** A selector in a canonical text form (sorted keys, expressions and values). */
export function selectorKey(s: LabelSelector): string {
  const labels = Object.entries(s.matchLabels ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const exprs = (s.matchExpressions ?? [])
    .map((e) => JSON.stringify([e.key, e.operator, [...(e.values ?? [])].sort()]))
    .sort();
  return JSON.stringify([labels, exprs]);
}

/** Reports every selector of `selectors` that repeats an earlier one. */
export function checkDuplicateSelectors(issues: Issues, source: ResourceSource, field: string, selectors: readonly LabelSelector[]): void {
  const seen = new Set<string>();
  selectors.forEach((s, i) => {
    const key = selectorKey(s);
    if (seen.has(key)) issues.error(source, [field, i], 'duplicateSelector', `duplicate definition of ${field}`);
    seen.add(key);
  });
}

/** Reports every value of `values` that repeats an earlier one. */
export function checkDuplicateStrings(issues: Issues, source: ResourceSource, field: string, values: readonly string[], rule: RuleId = 'duplicateEntry'): void {
  const seen = new Set<string>();
  values.forEach((v, i) => {
    if (seen.has(v)) issues.error(source, [field, i], rule, `duplicate definition of ${field} "${v}"`, v);
    seen.add(v);
  });
}

/** Whether two node-selector lists can select a common node (see the module header). */
export function nodeSetsOverlap(a: readonly LabelSelector[], b: readonly LabelSelector[], nodes: readonly NodeInfo[] | undefined): boolean {
  if (nodes !== undefined) {
    return nodes.some((n) => anySelectorMatches(a, n.labels) && anySelectorMatches(b, n.labels));
  }
  if (a.length === 0 || b.length === 0) return true;
  const keys = new Set(a.map(selectorKey));
  return b.some((s) => keys.has(selectorKey(s)));
}
