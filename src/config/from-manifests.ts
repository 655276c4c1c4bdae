/**
 * The whole pipeline on a set of manifests (pure): manifest errors become configuration issues
 * (`yamlSyntax`, ...), configuration objects are decoded, and `buildConfig` builds the result.
 */
import type { ManifestSet } from '../sources/manifests/parse.js';
import type { ConfigIssue } from './types.js';
import type { BuildResult } from './build.js';
import { buildConfig } from './build.js';
import { resourcesFromObjects } from './decode.js';
import type { ConfigResources } from './resources.js';

/** Manifest reading errors as configuration issues (a syntax error keeps its file and line). */
export function manifestIssues(set: ManifestSet): ConfigIssue[] {
  return set.errors.map((e) => ({
    severity: 'error' as const,
    object: e.file,
    path: '',
    rule: e.code,
    message: e.message,
    file: e.file,
    ...(e.line > 0 ? { line: e.line } : {}),
  }));
}

/** Decodes the configuration objects of `set`, with its reading errors as issues. */
export function resourcesFromManifests(set: ManifestSet): ConfigResources {
  const resources = resourcesFromObjects(set.objects);
  return { ...resources, issues: [...manifestIssues(set), ...resources.issues] };
}

/** Builds the configuration held in `set` (see `buildConfig`). */
export function configFromManifests(set: ManifestSet): BuildResult {
  return buildConfig(resourcesFromManifests(set));
}
