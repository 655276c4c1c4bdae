/**
 * The whole pipeline on a set of manifests (pure): manifest errors become configuration issues
 * (`yamlSyntax`, ...), configuration objects are decoded, and `buildConfig` builds the result.
 */
import type { ConfigIssue } from './types.js';
import type { BuildResult } from './build.js';
import { buildConfig } from './build.js';
import { resourcesFromObjects } from './decode.js';
import type { ConfigResources } from './resources.js';
import type { ConfigObjectInput } from './decode.js';

/**
 * What a manifest reader delivers (`ManifestSet` of `src/sources/manifests` has this shape): objects,
 * and reading errors with file, line and a code.
 */
export interface ManifestInput {
  readonly objects: readonly ConfigObjectInput[];
  readonly errors: readonly { readonly file: string; readonly line: number; readonly code: string; readonly message: string }[];
}

/** Manifest reading errors as configuration issues (a syntax error keeps its file and line). */
export function manifestIssues(set: ManifestInput): ConfigIssue[] {
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
export function resourcesFromManifests(set: ManifestInput): ConfigResources {
  const resources = resourcesFromObjects(set.objects);
  return { ...resources, issues: [...manifestIssues(set), ...resources.issues] };
}

/** Builds the configuration held in `set` (see `buildConfig`). */
export function configFromManifests(set: ManifestInput): BuildResult {
  return buildConfig(resourcesFromManifests(set));
}
