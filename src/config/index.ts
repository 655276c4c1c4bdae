/**
 * MetalLB configuration (pure): both formats -> resources -> `buildConfig` -> `Config`, plus
 * `diffConfig` and the legacy-to-CRD conversion.
 */
export type * from './types.js';
export type * from './resources.js';
export { emptyResources, mergeResources, formatPath } from './resources.js';
export { resourcesFromObjects, isLegacyConfigMap, CONFIG_KINDS } from './decode.js';
export type { ConfigObjectInput } from './decode.js';
export { buildConfig, CONFIG_DEFAULTS, RULES, nodeSetsOverlap, selectorKey } from './build.js';
export type { BuildResult, RuleId } from './build.js';
export { parseGoDuration, formatGoDuration } from './duration.js';
export { parseCommunity, formatCommunity } from './community.js';
export type { ParsedCommunity, CommunityParse } from './community.js';
export { configFromManifests, resourcesFromManifests, manifestIssues } from './from-manifests.js';
export type { ManifestInput } from './from-manifests.js';
export { resourcesForNode } from './for-node.js';
export { diffConfig, sameValue, SESSION_RESET_FIELDS } from './diff.js';
export type { ConfigDiff, PeerChange, NamedChanges } from './diff.js';
export { convertLegacyConfigMap, renderCrdsYaml, kubernetesName } from './convert.js';
export type { ConvertResult, CrdObject } from './convert.js';
