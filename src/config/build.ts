/**
 * `buildConfig`: configuration resources -> the normalised `Config`, applying MetalLB's defaults and
 * every validation rule of MetalLB's parser (`internal/config/config.go`, v0.12.1 for the legacy
 * ConfigMap), collecting all issues in one pass rather than stopping at the first. Pure.
 *
 * One builder per resource, in the order references need them: BFD profiles (build-bfd.ts),
 * community aliases (build-communities.ts), peers (build-peers.ts), pools (build-pools.ts), then
 * advertisements (build-advertisements.ts), which refer to all of them. An object with an error is
 * left out of the result and reported; the others are still checked, so one run reports everything.
 *
 * Accepted here although MetalLB's native mode rejects them (this project implements them):
 * keepaliveTime, IPv6 pools, large communities, graceful restart, dynamicASN, connectTime. Accepted
 * with a `settingNotApplied` warning until the speaker applies it: a peer's `bfdProfile`. Rejected as in native mode: `vrf`; and (until issue 12)
 * `localASN` and `interface`.
 * Node sets: see selectors.ts.
 */
import type { Config, ConfigIssue } from './types.js';
import type { ConfigResources } from './resources.js';
import { Issues } from './issues.js';
import { buildBfdProfiles } from './build-bfd.js';
import { buildCommunityAliases } from './build-communities.js';
import { buildPeers } from './build-peers.js';
import { buildPools } from './build-pools.js';
import { buildAdvertisements, warnUnadvertisedPools } from './build-advertisements.js';

export { CONFIG_DEFAULTS } from './defaults.js';
export { RULES } from './issues.js';
export type { RuleId } from './issues.js';
export { nodeSetsOverlap, selectorKey } from './selectors.js';

/** The result of `buildConfig`: the configuration, or every error found (with the warnings). */
export type BuildResult =
  | { readonly ok: true; readonly config: Config }
  | { readonly ok: false; readonly errors: readonly ConfigIssue[]; readonly warnings: readonly ConfigIssue[] };

/**
 * Builds the normalised configuration from `resources`, or returns every error found. Warnings
 * (unsupported layer2 objects, unknown references that MetalLB ignores, ...) are in
 * `config.warnings` on success and beside the errors on failure.
 */
export function buildConfig(resources: ConfigResources): BuildResult {
  const issues = new Issues(resources.issues);
  const bfd = buildBfdProfiles(issues, resources.bfdProfiles);
  const aliases = buildCommunityAliases(issues, resources.communities);
  const peers = buildPeers(issues, resources.peers, resources.secrets, bfd.byName, resources.nodes);
  const pools = buildPools(issues, resources.pools);
  const advertisements = buildAdvertisements(issues, resources.advertisements, {
    pools,
    peers: peers.list,
    peerNames: peers.names,
    bfdByName: bfd.byName,
    aliases,
    nodes: resources.nodes,
  });
  warnUnadvertisedPools(issues, pools.valid, resources.advertisements);

  const errors = issues.list.filter((i) => i.severity === 'error');
  const warnings = issues.list.filter((i) => i.severity === 'warning');
  if (errors.length > 0) return { ok: false, errors, warnings };
  return { ok: true, config: { peers: peers.list, pools: pools.valid.map((p) => p.config), advertisements, bfdProfiles: bfd.list, warnings } };
}
