/**
 * The configuration held in manifest files: `loadManifests` at the edge, then the pure pipeline of
 * `src/config` (decode both formats, `buildConfig`). For `plan`, `run --manifests` and `config validate`.
 */
import type { BuildResult } from '../../config/build.js';
import { configFromManifests } from '../../config/from-manifests.js';
import { loadManifests } from './load.js';
import type { ManifestSet } from './parse.js';

/**
 * Reads every manifest under `paths` and builds the MetalLB configuration in them. `manifests` holds
 * all objects read (Services, Nodes, EndpointSlices, ... as well), so callers read files only once.
 */
export async function loadConfig(paths: readonly string[]): Promise<{ readonly result: BuildResult; readonly manifests: ManifestSet }> {
  const manifests = await loadManifests(paths);
  return { result: configFromManifests(manifests), manifests };
}
