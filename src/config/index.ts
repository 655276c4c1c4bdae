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
