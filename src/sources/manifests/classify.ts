/**
 * One object read from a manifest -> what the pipeline gets for it (pure): Services, EndpointSlices,
 * Nodes and Namespaces are validated and slimmed (`src/model/validate.ts`); configuration objects
 * (ConfigMap, Secret, any `metallb.io` kind) travel raw with their origin and line lookups; anything
 * else is ignored. Keys follow `ObjectKey` of `src/model/cluster.ts`.
 */
import type { ClusterObjectKind, ClusterObjectKinds, ObjectIssue, RawConfigObject } from '../../model/cluster.js';
import { joined, own, validateEndpointSlice, validateNamespace, validateNode, validateService } from '../../model/validate.js';
import type { Validation, ValidationContext } from '../../model/validate.js';
import type { ReadObject } from './read.js';

/** What one object of a file stands for: a change the source may pass on, or a problem of the file. */
export type Classified =
  | {
      readonly kind: ClusterObjectKind;
      readonly key: string;
      /** The slim object (or the raw configuration object), or why it is invalid. */
      readonly state: { readonly ok: true; readonly object: ClusterObjectKinds[ClusterObjectKind] } | { readonly ok: false; readonly issues: readonly ObjectIssue[] };
      readonly warnings: readonly ObjectIssue[];
    }
  /** An object of a validated kind that cannot be keyed (no name): a problem of its file. */
  | { readonly kind: 'unkeyed'; readonly issues: readonly ObjectIssue[] }
  | { readonly kind: 'ignored' };

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const CORE_KINDS = { Service: validateService, Node: validateNode, Namespace: validateNamespace } as const;

/** The kind this source delivers `object` as, or undefined when it is not one it handles. */
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

function nameOf(object: Readonly<Record<string, unknown>>): { name?: string; namespace?: string } {
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
 * `namespace/name` as one flat string of its own (a slice of the document would keep the whole
 * document's text alive as long as the key; a concatenation would keep its two parts).
 */
function namespacedKey(namespace: string | undefined, name: string): string {
  return joined(namespace ?? 'default', `/${name}`);
}

/** The text that names an object of a kind in issues: `Service/ns/name`, `Node/name`. */
export function objectLabel(kind: ClusterObjectKind, key: string): string {
  return kind === 'Config' ? key : `${kind}/${key}`;
}

/** Classifies, validates and slims one object read from a file. */
export function classify(read: ReadObject): Classified {
  const object = read.object;
  const kind = kindOf(object);
  if (kind === undefined) return { kind: 'ignored' };
  const file = read.document.file;
  const { name, namespace } = nameOf(object);
  if (kind === 'Config') {
    const objectKind = typeof object['kind'] === 'string' ? object['kind'] : '?';
    // A nameless configuration object still goes to the configuration builder, which reports it with
    // its line; its key is unique to where it is.
    const id = name ?? `?${file}#${read.document.index}${read.item !== undefined ? `.${read.item}` : ''}`;
    const raw: RawConfigObject = {
      object,
      origin: {
        file,
        get line(): number {
          return read.line;
        },
      },
      lineOf: read.lineOf,
      blockLineOf: read.blockLineOf,
    };
    return { kind, key: own(`${objectKind}/${namespace ?? 'default'}/${id}`), state: { ok: true, object: raw }, warnings: [] };
  }
  const context: ValidationContext = { file, lineOf: (path) => read.lineOf(path) ?? read.line };
  let result: Validation<ClusterObjectKinds[Exclude<ClusterObjectKind, 'Config'>]>;
  let key: string | undefined;
  if (kind === 'EndpointSlice') {
    result = validateEndpointSlice(object, context);
    key = name === undefined ? undefined : namespacedKey(namespace, name);
  } else {
    result = CORE_KINDS[kind](object, context);
    key = name === undefined ? undefined : kind === 'Service' ? namespacedKey(namespace, name) : own(name);
  }
  if (key === undefined) {
    return { kind: 'unkeyed', issues: result.ok ? [] : result.issues };
  }
  return result.ok
    ? { kind, key, state: { ok: true, object: result.value }, warnings: result.warnings }
    : { kind, key, state: { ok: false, issues: result.issues }, warnings: [] };
}
