/**
 * Manifests: Kubernetes objects read from YAML/JSON files and folders, each with its origin.
 * `parseManifests` is pure (text in); `loadManifests` reads the files.
 */
export { parseManifests, parseEmbeddedYaml } from './parse.js';
export type {
  ManifestError,
  ManifestObject,
  ManifestOrigin,
  ManifestSet,
  ObjectPath,
  ParseManifestsOptions,
  PathSegment,
} from './parse.js';
export { loadManifests } from './load.js';
export { objectsOfKind } from './select.js';
export { loadConfig } from './config.js';
