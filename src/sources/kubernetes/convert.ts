/**
 * An object from the API server -> the pipeline's change for it (pure), through the one
 * classification every source uses (`../classify-object.ts`): Services, EndpointSlices, Nodes and
 * Namespaces validated and slimmed, configuration objects (ConfigMap, Secrets, `metallb.io` kinds)
 * raw. List items come without `kind` and `apiVersion`: the resource's are set.
 */
import type { ObjectChange, ObjectIssue, RawConfigObject } from '../../model/cluster.js';
import { configKey, keyFor, kindOf, nameOf, validateObject } from '../classify-object.js';
import type { ResourceSpec } from './resources.js';

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** What an object of a watched resource is to the pipeline. */
export type Converted =
  | { readonly key: string; readonly resourceVersion: string; readonly change: ObjectChange; readonly warnings: readonly ObjectIssue[] }
  /** Not the pipeline's (another name than the one watched, no name, a kind it does not take). */
  | undefined;

/** The object with the resource's kind and apiVersion, and without `managedFields` (never read, often large). */
function normalized(spec: ResourceSpec, raw: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const object: Record<string, unknown> = { ...raw, apiVersion: spec.apiVersion, kind: spec.kind };
  const meta = raw['metadata'];
  if (isRecord(meta) && meta['managedFields'] !== undefined) {
    const { managedFields: _dropped, ...rest } = meta;
    void _dropped;
    object['metadata'] = rest;
  }
  return object;
}

function resourceVersionOf(raw: Readonly<Record<string, unknown>>): string {
  const meta = raw['metadata'];
  const rv = isRecord(meta) ? meta['resourceVersion'] : undefined;
  return typeof rv === 'string' ? rv : '';
}

/** The key of an object of `spec` (undefined when it is not one the pipeline takes). */
export function keyOfObject(spec: ResourceSpec, raw: Readonly<Record<string, unknown>>): string | undefined {
  const object = normalized(spec, raw);
  const kind = kindOf(object);
  const { name, namespace } = nameOf(object);
  if (kind === undefined || name === undefined) return undefined;
  if (spec.onlyName !== undefined && name !== spec.onlyName) return undefined;
  return kind === 'Config' ? configKey(object, namespace, name) : keyFor(kind, namespace, name);
}

/** The change an object added or modified stands for (`upsert`, or `invalid` with its issues). */
export function convertObject(spec: ResourceSpec, raw: Readonly<Record<string, unknown>>): Converted {
  const object = normalized(spec, raw);
  const kind = kindOf(object);
  const { name, namespace } = nameOf(object);
  if (kind === undefined || name === undefined) return undefined;
  if (spec.onlyName !== undefined && name !== spec.onlyName) return undefined;
  const resourceVersion = resourceVersionOf(raw);
  if (kind === 'Config') {
    const key = configKey(object, namespace, name);
    const config: RawConfigObject = { object };
    return { key, resourceVersion, change: { op: 'upsert', kind, key, object: config }, warnings: [] };
  }
  const v = validateObject(kind, object, {});
  if (v.key === undefined) return undefined;
  const change: ObjectChange = v.state.ok
    ? ({ op: 'upsert', kind, key: v.key, object: v.state.object } as ObjectChange)
    : { op: 'invalid', kind, key: v.key, issues: v.state.issues };
  return { key: v.key, resourceVersion, change, warnings: v.warnings };
}
