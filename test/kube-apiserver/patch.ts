/**
 * The three patch formats the API server accepts for every kind:
 * - JSON merge patch, `application/merge-patch+json` (RFC 7386): objects merge, `null` removes a
 *   key, anything else (arrays included) replaces;
 * - JSON patch, `application/json-patch+json` (RFC 6902): add, remove, replace, move, copy, test
 *   on JSON pointers (RFC 6901);
 * - strategic merge patch, `application/strategic-merge-patch+json`, for built-in kinds only: a merge
 *   patch where lists with a patch merge key merge element by element and the directives `$patch`,
 *   `$retainKeys`, `$setElementOrder/<list>` and `$deleteFromPrimitiveList/<list>` apply
 *   (k8s.io/apimachinery/pkg/util/strategicpatch). The merge keys come from a table per kind, the
 *   `patchMergeKey`/`patchStrategy` tags of the Go types for the fields our kinds have.
 * Every function returns a new value and leaves its inputs untouched. A patch that cannot apply
 * throws a `PatchError` whose message the server turns into a 422 (or 400 for a malformed patch).
 */

/** A JSON value. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A patch that is malformed or does not apply. */
export class PatchError extends Error {
  constructor(
    message: string,
    /** True when the patch text itself is wrong (400), false when it does not apply (422). */
    readonly malformed: boolean,
  ) {
    super(message);
  }
}

function isObject(v: unknown): v is { [key: string]: Json } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** RFC 7386 §2: MergePatch(Target, Patch). */
export function mergePatch(target: Json | undefined, patch: Json): Json {
  if (!isObject(patch)) return patch;
  const out: { [key: string]: Json } = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** RFC 6901 §4: a JSON pointer's reference tokens (`~1` is `/`, `~0` is `~`). */
function pointerTokens(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new PatchError(`invalid JSON pointer "${pointer}"`, true);
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function clone(v: Json): Json {
  return JSON.parse(JSON.stringify(v)) as Json;
}

function deepEqual(a: Json | undefined, b: Json | undefined): boolean {
  return JSON.stringify(a) === JSON.stringify(b) || canonical(a) === canonical(b);
}

function canonical(v: Json | undefined): string {
  if (isObject(v)) {
    const keys = Object.keys(v).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(',')}}`;
  }
  if (Array.isArray(v)) return `[${v.map((x) => canonical(x)).join(',')}]`;
  return JSON.stringify(v);
}

/** The container a pointer's last token lives in, and that token. */
function parentOf(doc: Json, tokens: string[], pointer: string): { parent: Json; last: string } {
  let cur: Json = doc;
  for (let i = 0; i < tokens.length - 1; i++) {
    const t = tokens[i] ?? '';
    if (Array.isArray(cur)) {
      const idx = Number(t);
      if (!/^\d+$/.test(t) || idx >= cur.length) throw new PatchError(`doc is missing path: "${pointer}"`, false);
      cur = cur[idx] as Json;
    } else if (isObject(cur)) {
      if (!(t in cur)) throw new PatchError(`doc is missing path: "${pointer}"`, false);
      cur = cur[t] as Json;
    } else {
      throw new PatchError(`doc is missing path: "${pointer}"`, false);
    }
  }
  return { parent: cur, last: tokens[tokens.length - 1] ?? '' };
}

function getAt(doc: Json, pointer: string): Json {
  let cur: Json = doc;
  for (const t of pointerTokens(pointer)) {
    if (Array.isArray(cur) && /^\d+$/.test(t) && Number(t) < cur.length) cur = cur[Number(t)] as Json;
    else if (isObject(cur) && t in cur) cur = cur[t] as Json;
    else throw new PatchError(`doc is missing path: "${pointer}"`, false);
  }
  return cur;
}

function addAt(doc: Json, pointer: string, value: Json): Json {
  const tokens = pointerTokens(pointer);
  if (tokens.length === 0) return value;
  const { parent, last } = parentOf(doc, tokens, pointer);
  if (Array.isArray(parent)) {
    const idx = last === '-' ? parent.length : Number(last);
    if (last !== '-' && (!/^\d+$/.test(last) || idx > parent.length)) throw new PatchError(`add operation does not apply: index out of bounds at "${pointer}"`, false);
    parent.splice(idx, 0, value);
  } else if (isObject(parent)) {
    parent[last] = value;
  } else {
    throw new PatchError(`doc is missing path: "${pointer}"`, false);
  }
  return doc;
}

function removeAt(doc: Json, pointer: string): Json {
  const tokens = pointerTokens(pointer);
  if (tokens.length === 0) throw new PatchError('remove of the whole document', false);
  const { parent, last } = parentOf(doc, tokens, pointer);
  if (Array.isArray(parent)) {
    const idx = Number(last);
    if (!/^\d+$/.test(last) || idx >= parent.length) throw new PatchError(`remove operation does not apply: doc is missing path: "${pointer}"`, false);
    parent.splice(idx, 1);
  } else if (isObject(parent) && last in parent) {
    delete parent[last];
  } else {
    throw new PatchError(`remove operation does not apply: doc is missing path: "${pointer}"`, false);
  }
  return doc;
}

/** RFC 6902 §4: applies the operations in order; any failure fails the whole patch. */
export function jsonPatch(target: Json, ops: Json): Json {
  if (!Array.isArray(ops)) throw new PatchError('json patch must be an array of operations', true);
  let doc = clone(target);
  for (const op of ops) {
    if (!isObject(op) || typeof op['op'] !== 'string' || typeof op['path'] !== 'string') throw new PatchError('json patch operation must be an object with "op" and "path"', true);
    const path = op['path'];
    switch (op['op']) {
      case 'add':
        if (!('value' in op)) throw new PatchError(`add operation at "${path}" has no value`, true);
        doc = addAt(doc, path, clone(op['value'] as Json));
        break;
      case 'remove':
        doc = removeAt(doc, path);
        break;
      case 'replace':
        if (!('value' in op)) throw new PatchError(`replace operation at "${path}" has no value`, true);
        getAt(doc, path); // RFC 6902 §4.3: the target location MUST exist
        doc = removeAt(doc, path);
        doc = addAt(doc, path, clone(op['value'] as Json));
        break;
      case 'move':
      case 'copy': {
        const from = op['from'];
        if (typeof from !== 'string') throw new PatchError(`${op['op']} operation at "${path}" has no "from"`, true);
        const v = clone(getAt(doc, from));
        if (op['op'] === 'move') doc = removeAt(doc, from);
        doc = addAt(doc, path, v);
        break;
      }
      case 'test':
        if (!deepEqual(getAt(doc, path), op['value'] as Json)) throw new PatchError(`testing value ${path} failed`, false);
        break;
      default:
        throw new PatchError(`Unexpected kind: ${String(op['op'])}`, true);
    }
  }
  return doc;
}

/** The merge behaviour of one list field: merge by `key`, or merge a list of primitives. */
export interface ListStrategy {
  readonly mergeKey?: string;
  /** `retainKeys` on a map field: keys absent from `$retainKeys` are dropped. */
  readonly retainKeys?: boolean;
}

/** Merge strategies by dotted path from the object root (`spec.ports`), for one kind. */
export type StrategyTable = ReadonlyMap<string, ListStrategy>;

const DIRECTIVE_ORDER = '$setElementOrder/';
const DIRECTIVE_DELETE_PRIMITIVE = '$deleteFromPrimitiveList/';

/**
 * Strategic merge patch (k8s.io/apimachinery/pkg/util/strategicpatch): a merge patch in which the
 * lists named in `strategies` merge by their merge key (or as sets of primitives), and the
 * directives apply. Lists not in the table are replaced, as lists without a patch strategy are.
 */
export function strategicMergePatch(target: Json | undefined, patch: Json, strategies: StrategyTable, path = ''): Json {
  if (!isObject(patch)) return patch;
  if (patch['$patch'] === 'replace') {
    const out = { ...patch };
    delete out['$patch'];
    return stripDirectives(out);
  }
  if (patch['$patch'] === 'delete') return null;
  const out: { [key: string]: Json } = isObject(target) ? { ...target } : {};
  const retain = patch['$retainKeys'];
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$patch' || k === '$retainKeys' || k.startsWith(DIRECTIVE_ORDER)) continue;
    if (k.startsWith(DIRECTIVE_DELETE_PRIMITIVE)) {
      const field = k.slice(DIRECTIVE_DELETE_PRIMITIVE.length);
      const cur = out[field];
      if (Array.isArray(cur) && Array.isArray(v)) out[field] = cur.filter((x) => !v.some((d) => deepEqual(d, x)));
      continue;
    }
    const childPath = path === '' ? k : `${path}.${k}`;
    if (v === null) {
      delete out[k];
      continue;
    }
    const strategy = strategies.get(childPath);
    if (Array.isArray(v) && strategy !== undefined) {
      out[k] = mergeList(out[k], v, strategy, strategies, childPath);
    } else if (isObject(v)) {
      out[k] = strategicMergePatch(out[k], v, strategies, childPath);
    } else {
      out[k] = v;
    }
  }
  if (Array.isArray(retain)) {
    for (const k of Object.keys(out)) if (!retain.includes(k)) delete out[k];
  }
  // $setElementOrder only orders the merged list; kept lists are already in a valid order.
  return out;
}

function stripDirectives(v: Json): Json {
  if (Array.isArray(v)) return v.map((x) => stripDirectives(x));
  if (!isObject(v)) return v;
  const out: { [key: string]: Json } = {};
  for (const [k, x] of Object.entries(v)) if (!k.startsWith('$')) out[k] = stripDirectives(x);
  return out;
}

function mergeList(target: Json | undefined, patch: Json[], strategy: ListStrategy, strategies: StrategyTable, path: string): Json {
  const cur: Json[] = Array.isArray(target) ? target.slice() : [];
  const key = strategy.mergeKey;
  if (key === undefined) {
    // A list of primitives with the merge strategy: a union, in the patch's order after the existing ones.
    for (const item of patch) {
      if (isObject(item) && item['$patch'] === 'replace') return patch.filter((x) => !isObject(x));
      if (!cur.some((x) => deepEqual(x, item))) cur.push(item);
    }
    return cur;
  }
  for (const item of patch) {
    if (!isObject(item)) throw new PatchError(`${path}: a strategic merge patch list with merge key "${key}" holds a non-object`, true);
    if (item['$patch'] === 'replace') return patch.filter((x) => !(isObject(x) && x['$patch'] === 'replace')).map((x) => stripDirectives(x));
    const id = item[key];
    const idx = cur.findIndex((x) => isObject(x) && deepEqual(x[key], id));
    if (item['$patch'] === 'delete') {
      if (idx >= 0) cur.splice(idx, 1);
      continue;
    }
    if (idx >= 0) cur[idx] = strategicMergePatch(cur[idx], item, strategies, path);
    else cur.push(stripDirectives(item));
  }
  return cur;
}

/** Merge keys shared by every kind (ObjectMeta). */
const METADATA: Array<[string, ListStrategy]> = [
  ['metadata.finalizers', {}],
  ['metadata.ownerReferences', { mergeKey: 'uid' }],
];

/** The strategic merge table of each built-in kind we serve, from the Go types' struct tags. */
export const STRATEGIES: Readonly<Record<string, StrategyTable>> = {
  Service: new Map([
    ...METADATA,
    ['spec.ports', { mergeKey: 'port' }],
    ['status.conditions', { mergeKey: 'type' }],
  ]),
  Node: new Map([
    ...METADATA,
    ['spec.podCIDRs', {}],
    ['status.addresses', { mergeKey: 'type' }],
    ['status.conditions', { mergeKey: 'type' }],
    ['status.images', {}],
  ]),
  Namespace: new Map(METADATA),
  ConfigMap: new Map(METADATA),
  Secret: new Map(METADATA),
  Event: new Map(METADATA),
  EndpointSlice: new Map(METADATA),
  Lease: new Map(METADATA),
  CustomResourceDefinition: new Map(METADATA),
};
