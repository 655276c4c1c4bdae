/**
 * One cluster object from outside -> what the pipeline gets for it (pure), for every source: the
 * manifest files (`manifests/classify.ts` adds where in a file it was) and the API server's watches
 * (`kubernetes/`). Services, EndpointSlices, Nodes and Namespaces are validated and slimmed
 * (`src/model/validate.ts`); configuration objects (ConfigMap, Secret, any `metallb.io` kind) travel
 * raw; anything else is not the pipeline's. Keys follow `ObjectKey` of `src/model/cluster.ts`.
 *
 * Never throws; never keeps a reference into the input except a configuration object's (which the
 * configuration build reads whole).
 */
import type { ClusterObjectKind, ClusterObjectKinds, ObjectIssue } from '../model/cluster.js';
import { intern, own, validateEndpointSlice, validateNamespace, validateNode, validateService } from '../model/validate.js';
import type { Validation, ValidationContext } from '../model/validate.js';

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The kinds validated and slimmed at the edge (configuration objects travel raw). */
export type ValidatedKind = Exclude<ClusterObjectKind, 'Config'>;

const VALIDATORS: { readonly [K in ValidatedKind]: (raw: unknown, context: ValidationContext) => Validation<ClusterObjectKinds[K]> } = {
  Service: validateService,
  EndpointSlice: validateEndpointSlice,
  Node: validateNode,
  Namespace: validateNamespace,
};

/** The kind the pipeline takes `object` as, or undefined when it is not one it handles. */
export function kindOf(object: Readonly<Record<string, unknown>>): ClusterObjectKind | undefined {
  const kind = object['kind'];
  const apiVersion = object['apiVersion'];
  const core = apiVersion === undefined || apiVersion === 'v1';
  if (typeof apiVersion === 'string' && apiVersion.startsWith('metallb.io/')) return 'Config';
  // The constants, never the input's strings (a slice of the document would keep its text alive).
  if (kind === 'Service') return core ? 'Service' : undefined;
  if (kind === 'Node') return core ? 'Node' : undefined;
  if (kind === 'Namespace') return core ? 'Namespace' : undefined;
  if (kind === 'EndpointSlice') return apiVersion === undefined || (typeof apiVersion === 'string' && apiVersion.startsWith('discovery.k8s.io/')) ? 'EndpointSlice' : undefined;
  if (kind === 'ConfigMap' || kind === 'Secret') return core ? 'Config' : undefined;
  return undefined;
}

/** `metadata.name` and `metadata.namespace` when they are non-empty strings. */
export function nameOf(object: Readonly<Record<string, unknown>>): { name?: string; namespace?: string } {
  const meta = object['metadata'];
  if (!isRecord(meta)) return {};
  const name = meta['name'];
  const namespace = meta['namespace'];
  return {
    ...(typeof name === 'string' && name !== '' ? { name } : {}),
    ...(typeof namespace === 'string' && namespace !== '' ? { namespace } : {}),
  };
}

/**
 * `namespace/name` as a string of its own: the namespace part is shared, the name copied (a slice of
 * the document would keep the whole document's text alive as long as the key).
 */
export function namespacedKey(namespace: string | undefined, name: string): string {
  return intern(`${namespace ?? 'default'}/`) + own(name);
}

/** The key of an object of `kind` named `name` (in `namespace`): see `ObjectKey`. */
export function keyFor(kind: ValidatedKind, namespace: string | undefined, name: string): string {
  return kind === 'Service' || kind === 'EndpointSlice' ? namespacedKey(namespace, name) : own(name);
}

/** The key of a configuration object: `Kind/namespace/name` (`id` stands in for a missing name). */
export function configKey(object: Readonly<Record<string, unknown>>, namespace: string | undefined, id: string): string {
  const objectKind = typeof object['kind'] === 'string' ? object['kind'] : '?';
  return own(`${objectKind}/${namespace ?? 'default'}/${id}`);
}

/** The text that names an object of a kind in issues: `Service/ns/name`, `Node/name`. */
export function objectLabel(kind: ClusterObjectKind, key: string): string {
  return kind === 'Config' ? key : `${kind}/${key}`;
}

/** A validated object: its key (undefined when it has no name) and its slim value or its issues. */
export interface ValidatedObject {
  readonly key: string | undefined;
  readonly state: { readonly ok: true; readonly object: ClusterObjectKinds[ValidatedKind] } | { readonly ok: false; readonly issues: readonly ObjectIssue[] };
  readonly warnings: readonly ObjectIssue[];
}

/** Validates and slims an object of a validated kind, and keys it. */
export function validateObject(kind: ValidatedKind, object: Readonly<Record<string, unknown>>, context: ValidationContext): ValidatedObject {
  const { name, namespace } = nameOf(object);
  const result = (VALIDATORS[kind] as (raw: unknown, context: ValidationContext) => Validation<ClusterObjectKinds[ValidatedKind]>)(object, context);
  const key = name === undefined ? undefined : keyFor(kind, namespace, name);
  return result.ok ? { key, state: { ok: true, object: result.value }, warnings: result.warnings } : { key, state: { ok: false, issues: result.issues }, warnings: [] };
}
