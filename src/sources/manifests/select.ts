/**
 * Picking objects out of a manifest set (pure).
 */
import type { ManifestObject } from './parse.js';

/**
 * The objects of `kind` (and, when given, of `apiVersion` or of an API group such as `metallb.io`),
 * in file order. The objects are returned as read; callers narrow them to their snapshot types.
 */
export function objectsOfKind(objects: readonly ManifestObject[], kind: string, apiVersionOrGroup?: string): ManifestObject[] {
  return objects.filter((o) => {
    if (o.object.kind !== kind) return false;
    if (apiVersionOrGroup === undefined) return true;
    const av = o.object.apiVersion;
    if (typeof av !== 'string') return false;
    return av === apiVersionOrGroup || av.startsWith(`${apiVersionOrGroup}/`);
  });
}
