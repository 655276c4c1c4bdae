/**
 * Manifests: Kubernetes objects read from YAML/JSON files and folders, each with its origin.
 * `ManifestSource` is the pipeline's source (validated, slimmed objects as `ChangeBatch`es of what
 * changed; `watchManifests` says which files to re-read); `readManifestText` is its pure reader.
 * `parseManifests` (pure, text in) and `loadManifests` (files) are the earlier whole-set readers.
 */
export { ManifestSource } from './source.js';
export { readManifestText } from './read.js';
export type { DocumentSource, ReadError, ReadObject, ReadSink } from './read.js';
export { classify, kindOf } from './classify.js';
export type { Classified } from './classify.js';
export { watchManifests } from './watch.js';
export type { ManifestWatcher, WatchOptions, WatchTimers } from './watch.js';
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
