/**
 * Structural OpenAPI v3 schemas, as the API server applies a CustomResourceDefinition's
 * `openAPIV3Schema` to custom objects (k8s.io/apiextensions-apiserver: pruning, defaulting, then
 * validation by kube-openapi):
 * - pruning: fields the schema does not declare are dropped (kept under
 *   `x-kubernetes-preserve-unknown-fields: true`, under `additionalProperties`, and at the root
 *   `apiVersion`, `kind`, `metadata`); the dropped paths are reported so the caller can warn
 *   (fieldValidation=Warn, the default), reject (Strict) or stay silent (Ignore);
 * - defaulting: `default` fills an absent property of an object that is present;
 * - validation: type, nullable, enum, pattern, format (int32, int64, byte, date-time, date, ipv4,
 *   ipv6, cidr, hostname, uri, uuid, email), minimum/maximum (and exclusive), multipleOf, minLength,
 *   maxLength, minItems, maxItems, uniqueItems, minProperties, maxProperties, required, items,
 *   properties, additionalProperties, allOf/anyOf/oneOf/not, x-kubernetes-int-or-string,
 *   x-kubernetes-list-type set/map uniqueness, and `x-kubernetes-embedded-resource`.
 * Messages and field paths follow the real server (`spec.ports[0].port: Invalid value: ...`).
 * `x-kubernetes-validations` (CEL) is not evaluated: see README.md.
 *
 * kdeploy uses `validateCustomObject` to check example objects against our CRDs without a server.
 */
import type { FieldError } from './errors.js';
import { invalidValue, notSupported, required, showValue } from './errors.js';
import type { Json } from './patch.js';

/** A JSON schema node as a CRD carries it (the fields we read; others are ignored as the server ignores unknown keywords it does not implement). */
export interface Schema {
  readonly type?: string;
  readonly format?: string;
  readonly description?: string;
  readonly nullable?: boolean;
  readonly enum?: readonly Json[];
  readonly pattern?: string;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly exclusiveMinimum?: boolean;
  readonly exclusiveMaximum?: boolean;
  readonly multipleOf?: number;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly uniqueItems?: boolean;
  readonly minProperties?: number;
  readonly maxProperties?: number;
  readonly required?: readonly string[];
  readonly items?: Schema;
  readonly properties?: Readonly<Record<string, Schema>>;
  readonly additionalProperties?: Schema | boolean;
  readonly allOf?: readonly Schema[];
  readonly anyOf?: readonly Schema[];
  readonly oneOf?: readonly Schema[];
  readonly not?: Schema;
  readonly default?: Json;
  readonly 'x-kubernetes-int-or-string'?: boolean;
  readonly 'x-kubernetes-preserve-unknown-fields'?: boolean;
  readonly 'x-kubernetes-embedded-resource'?: boolean;
  readonly 'x-kubernetes-list-type'?: string;
  readonly 'x-kubernetes-list-map-keys'?: readonly string[];
}

/** What applying a schema to an object gives. */
export interface SchemaResult {
  /** The pruned and defaulted object. */
  readonly value: Json;
  /** Validation errors, in document order. */
  readonly errors: FieldError[];
  /** The dotted paths of the fields pruning dropped (`spec.foo`, `spec.list[0].bar`). */
  readonly unknownFields: string[];
}

function isObject(v: unknown): v is { [key: string]: Json } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

/** Removes the fields the schema does not declare, recording their paths. */
function prune(v: Json, s: Schema | undefined, path: string, root: boolean, dropped: string[]): Json {
  if (s === undefined) return v;
  if (isObject(v)) {
    const preserve = s['x-kubernetes-preserve-unknown-fields'] === true;
    const embedded = s['x-kubernetes-embedded-resource'] === true;
    const out: { [key: string]: Json } = {};
    for (const [k, x] of Object.entries(v)) {
      const prop = s.properties?.[k];
      // ObjectMeta of the object (and of embedded resources) is the server's, never pruned by the schema.
      if ((root || embedded) && k === 'metadata') out[k] = x;
      else if (prop !== undefined) out[k] = prune(x, prop, join(path, k), false, dropped);
      else if (typeof s.additionalProperties === 'object') out[k] = prune(x, s.additionalProperties, `${path}[${k}]`, false, dropped);
      else if (preserve || s.additionalProperties === true) out[k] = x;
      else if ((root || embedded) && (k === 'apiVersion' || k === 'kind' || k === 'metadata')) out[k] = x;
      else dropped.push(join(path, k));
    }
    return out;
  }
  if (Array.isArray(v)) return v.map((x, i) => prune(x, s.items, `${path}[${i}]`, false, dropped));
  return v;
}

/** Fills absent properties from `default`, recursively (apiextensions structural defaulting). */
function applyDefaults(v: Json, s: Schema | undefined): Json {
  if (s === undefined) return v;
  if (isObject(v)) {
    const out: { [key: string]: Json } = { ...v };
    if (s.properties !== undefined) {
      for (const [k, p] of Object.entries(s.properties)) {
        if (!(k in out) && p.default !== undefined) out[k] = JSON.parse(JSON.stringify(p.default)) as Json;
        const cur = out[k];
        if (cur !== undefined) out[k] = applyDefaults(cur, p);
      }
    }
    if (typeof s.additionalProperties === 'object') {
      const ap = s.additionalProperties;
      for (const [k, x] of Object.entries(out)) if (s.properties?.[k] === undefined) out[k] = applyDefaults(x, ap);
    }
    return out;
  }
  if (Array.isArray(v)) return v.map((x) => applyDefaults(x, s.items));
  return v;
}

function typeName(v: Json): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function typeMatches(v: Json, type: string): boolean {
  switch (type) {
    case 'object':
      return isObject(v);
    case 'array':
      return Array.isArray(v);
    case 'string':
      return typeof v === 'string';
    case 'boolean':
      return typeof v === 'boolean';
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v);
    case 'number':
      return typeof v === 'number';
    default:
      return true;
  }
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

function isIpv6(s: string): boolean {
  if (!/^[0-9a-fA-F:.]+$/.test(s) || !s.includes(':')) return false;
  const dbl = s.split('::');
  if (dbl.length > 2) return false;
  const groups = s.replace('::', ':x:').split(':').filter((g) => g !== '');
  let count = 0;
  for (const g of groups) {
    if (g === 'x') continue;
    if (g.includes('.')) {
      if (!IPV4.test(g)) return false;
      count += 2;
    } else if (/^[0-9a-fA-F]{1,4}$/.test(g)) count++;
    else return false;
  }
  return dbl.length === 2 ? count < 8 : count === 8;
}

/** The formats kube-openapi's strfmt registry checks (the cheap ones); unknown formats pass, as there. */
function formatOk(format: string, v: Json): boolean {
  if (typeof v === 'number') {
    if (format === 'int32') return Number.isInteger(v) && v >= -2147483648 && v <= 2147483647;
    if (format === 'int64') return Number.isInteger(v);
    return true;
  }
  if (typeof v !== 'string') return true;
  switch (format) {
    case 'ipv4':
      return IPV4.test(v);
    case 'ipv6':
      return isIpv6(v);
    case 'cidr': {
      const [a, l, extra] = v.split('/');
      if (extra !== undefined || a === undefined || l === undefined || !/^\d+$/.test(l)) return false;
      return IPV4.test(a) ? Number(l) <= 32 : isIpv6(a) && Number(l) <= 128;
    }
    case 'date-time':
      return /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.test(v) && !Number.isNaN(Date.parse(v.replace(' ', 'T')));
    case 'date':
      return /^\d{4}-\d{2}-\d{2}$/.test(v) && !Number.isNaN(Date.parse(v));
    case 'byte':
      return /^[A-Za-z0-9+/]*={0,2}$/.test(v) && v.length % 4 === 0;
    case 'hostname':
      return v.length <= 253 && /^[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?(\.[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?)*$/.test(v);
    case 'uri':
      return /^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(v);
    case 'uuid':
      return /^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/.test(v);
    case 'email':
      return /^[^@\s]+@[^@\s]+$/.test(v);
    default:
      return true;
  }
}

function canonical(v: Json): string {
  if (isObject(v)) return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical(v[k] ?? null)}`).join(',')}}`;
  if (Array.isArray(v)) return `[${v.map((x) => canonical(x)).join(',')}]`;
  return JSON.stringify(v);
}

/** Validates a value against a schema node, appending field errors (kube-openapi's messages). */
function check(v: Json, s: Schema, path: string, errors: FieldError[]): void {
  const shown = path === '' ? '<root>' : path;
  if (v === null) {
    if (s.nullable === true) return;
    if (s.type !== undefined || s['x-kubernetes-int-or-string'] === true) {
      errors.push({ field: shown, type: 'FieldValueTypeInvalid', detail: `Invalid value: "null": ${shown} in body must be of type ${s.type ?? 'integer or string'}: "null"` });
      return;
    }
  }
  if (s['x-kubernetes-int-or-string'] === true) {
    if (!(typeof v === 'string' || (typeof v === 'number' && Number.isInteger(v)))) {
      errors.push({ field: shown, type: 'FieldValueTypeInvalid', detail: `Invalid value: "${typeName(v)}": ${shown} in body must be of type integer,string: "${typeName(v)}"` });
      return;
    }
  } else if (s.type !== undefined && !typeMatches(v, s.type)) {
    errors.push({ field: shown, type: 'FieldValueTypeInvalid', detail: `Invalid value: "${typeName(v)}": ${shown} in body must be of type ${s.type}: "${typeName(v)}"` });
    return;
  }
  if (s.enum !== undefined && !s.enum.some((e) => canonical(e) === canonical(v))) errors.push(notSupported(shown, v, s.enum));
  if (typeof v === 'string') {
    if (s.maxLength !== undefined && [...v].length > s.maxLength) errors.push({ field: shown, type: 'FieldValueTooLong', detail: `Too long: may not be more than ${s.maxLength} bytes` });
    if (s.minLength !== undefined && [...v].length < s.minLength) errors.push(invalidValue(shown, v, `${shown} in body should be at least ${s.minLength} chars long`));
    if (s.pattern !== undefined) {
      let re: RegExp | undefined;
      try {
        re = new RegExp(s.pattern, 'u');
      } catch {
        re = undefined;
      }
      if (re !== undefined && !re.test(v)) errors.push(invalidValue(shown, v, `${shown} in body should match '${s.pattern}'`));
    }
  }
  if (s.format !== undefined && !formatOk(s.format, v)) errors.push(invalidValue(shown, v, `${shown} in body must be of type ${s.format}: ${showValue(v)}`));
  if (typeof v === 'number') {
    if (s.minimum !== undefined && (s.exclusiveMinimum === true ? v <= s.minimum : v < s.minimum)) {
      errors.push(invalidValue(shown, v, `${shown} in body should be greater than ${s.exclusiveMinimum === true ? '' : 'or equal to '}${s.minimum}`));
    }
    if (s.maximum !== undefined && (s.exclusiveMaximum === true ? v >= s.maximum : v > s.maximum)) {
      errors.push(invalidValue(shown, v, `${shown} in body should be less than ${s.exclusiveMaximum === true ? '' : 'or equal to '}${s.maximum}`));
    }
    if (s.multipleOf !== undefined && s.multipleOf > 0 && !Number.isInteger(v / s.multipleOf)) errors.push(invalidValue(shown, v, `${shown} in body should be a multiple of ${s.multipleOf}`));
  }
  if (Array.isArray(v)) {
    if (s.maxItems !== undefined && v.length > s.maxItems) errors.push({ field: shown, type: 'FieldValueTooMany', detail: `Too many: ${v.length}: must have at most ${s.maxItems} items` });
    if (s.minItems !== undefined && v.length < s.minItems) errors.push(invalidValue(shown, v.length, `${shown} in body should have at least ${s.minItems} items`));
    const listType = s['x-kubernetes-list-type'];
    if (s.uniqueItems === true || listType === 'set') {
      const seen = new Set<string>();
      v.forEach((x, i) => {
        const c = canonical(x);
        if (seen.has(c)) errors.push({ field: `${path}[${i}]`, type: 'FieldValueDuplicate', detail: `Duplicate value: ${showValue(x)}` });
        seen.add(c);
      });
    }
    if (listType === 'map' && s['x-kubernetes-list-map-keys'] !== undefined) {
      const keys = s['x-kubernetes-list-map-keys'];
      const seen = new Set<string>();
      v.forEach((x, i) => {
        if (!isObject(x)) return;
        const c = canonical(keys.map((k) => x[k] ?? null));
        if (seen.has(c)) errors.push({ field: `${path}[${i}]`, type: 'FieldValueDuplicate', detail: `Duplicate value: ${canonical(Object.fromEntries(keys.map((k) => [k, x[k] ?? null])))}` });
        seen.add(c);
      });
    }
    if (s.items !== undefined) v.forEach((x, i) => check(x, s.items as Schema, `${path}[${i}]`, errors));
  }
  if (isObject(v)) {
    const n = Object.keys(v).length;
    if (s.maxProperties !== undefined && n > s.maxProperties) errors.push({ field: shown, type: 'FieldValueTooMany', detail: `Too many: ${n}: must have at most ${s.maxProperties} items` });
    if (s.minProperties !== undefined && n < s.minProperties) errors.push(invalidValue(shown, n, `${shown} in body should have at least ${s.minProperties} properties`));
    for (const r of s.required ?? []) if (!(r in v)) errors.push(required(join(path, r)));
    for (const [k, x] of Object.entries(v)) {
      const prop = s.properties?.[k];
      if (prop !== undefined) check(x, prop, join(path, k), errors);
      else if (typeof s.additionalProperties === 'object') check(x, s.additionalProperties, `${path}[${k}]`, errors);
    }
  }
  for (const sub of s.allOf ?? []) check(v, sub, path, errors);
  if (s.anyOf !== undefined && !s.anyOf.some((sub) => errorsOf(v, sub, path).length === 0)) {
    errors.push(invalidValue(shown, v, `${shown} in body must be valid against at least one schema in anyOf`));
  }
  if (s.oneOf !== undefined) {
    const ok = s.oneOf.filter((sub) => errorsOf(v, sub, path).length === 0).length;
    if (ok !== 1) errors.push(invalidValue(shown, v, `${shown} in body must validate one and only one schema (oneOf). Found ${ok} valid alternatives`));
  }
  if (s.not !== undefined && errorsOf(v, s.not, path).length === 0) errors.push(invalidValue(shown, v, `${shown} in body must not validate the schema (not)`));
}

function errorsOf(v: Json, s: Schema, path: string): FieldError[] {
  const errors: FieldError[] = [];
  check(v, s, path, errors);
  return errors;
}

/**
 * Applies a structural schema to a whole custom object: prune, default, validate (in that order, as
 * the API server does on create and update). `metadata` is not validated here.
 */
export function applySchema(obj: Json, schema: Schema): SchemaResult {
  const unknownFields: string[] = [];
  const pruned = prune(obj, schema, '', true, unknownFields);
  const value = applyDefaults(pruned, schema);
  const errors: FieldError[] = [];
  if (isObject(value)) {
    // The root's apiVersion, kind and metadata are the server's, never the schema's.
    const body: { [key: string]: Json } = { ...value };
    delete body['apiVersion'];
    delete body['kind'];
    delete body['metadata'];
    const rootSchema: Schema = { ...schema, required: (schema.required ?? []).filter((r) => r !== 'apiVersion' && r !== 'kind' && r !== 'metadata') };
    const props = { ...(schema.properties ?? {}) };
    delete props['metadata'];
    check(body, { ...rootSchema, properties: props }, '', errors);
  } else {
    check(value, schema, '', errors);
  }
  return { value, errors, unknownFields };
}

/**
 * Whether a CRD version's schema is structural (apiextensions' NewStructural rules, the common
 * ones): the root is `type: object`, and every node that has properties, items or
 * additionalProperties names its type unless it is int-or-string or preserves unknown fields.
 * Returns the field errors against `spec.versions[i].schema.openAPIV3Schema`.
 */
export function structuralErrors(schema: unknown, path: string): FieldError[] {
  const errors: FieldError[] = [];
  if (!isObject(schema)) return [required(path)];
  if (schema['type'] !== 'object') errors.push(invalidValue(`${path}.type`, schema['type'] ?? '', 'must be object at the root'));
  const walk = (s: Json, p: string): void => {
    if (!isObject(s)) return;
    const hasType = typeof s['type'] === 'string' && s['type'] !== '';
    const exempt = s['x-kubernetes-int-or-string'] === true || s['x-kubernetes-preserve-unknown-fields'] === true;
    if (!hasType && !exempt && (s['properties'] !== undefined || s['items'] !== undefined || s['additionalProperties'] !== undefined)) {
      errors.push(required(`${p}.type`, 'must not be empty for specified object fields'));
    }
    if (s['properties'] !== undefined && s['additionalProperties'] !== undefined && s['additionalProperties'] !== false) {
      errors.push({ field: `${p}.additionalProperties`, type: 'FieldValueForbidden', detail: 'Forbidden: additionalProperties and properties are mutual exclusive' });
    }
    if (s['type'] === 'array' && s['items'] === undefined) errors.push(required(`${p}.items`, 'must be specified'));
    const props = s['properties'];
    if (isObject(props)) for (const [k, x] of Object.entries(props)) walk(x, `${p}.properties[${k}]`);
    if (isObject(s['items'])) walk(s['items'], `${p}.items`);
    if (isObject(s['additionalProperties'])) walk(s['additionalProperties'], `${p}.additionalProperties`);
  };
  walk(schema, path);
  return errors;
}

/** The subset of a CustomResourceDefinition this module reads. */
export interface CrdLike {
  readonly spec?: {
    readonly group?: string;
    readonly names?: { readonly kind?: string };
    readonly versions?: ReadonlyArray<{ readonly name?: string; readonly schema?: { readonly openAPIV3Schema?: Schema } }>;
  };
}

/**
 * Checks a custom object against a CRD's schema for the object's version, as the API server does
 * on create: returns the pruned and defaulted object, the errors (empty when valid) and the fields
 * pruning dropped. An apiVersion or kind the CRD does not serve is an error on that field.
 */
export function validateCustomObject(crd: CrdLike, obj: Json): SchemaResult {
  if (!isObject(obj)) return { value: obj, errors: [invalidValue('<root>', obj, 'must be an object')], unknownFields: [] };
  const group = crd.spec?.group ?? '';
  const apiVersion = obj['apiVersion'];
  const version = (crd.spec?.versions ?? []).find((v) => `${group}/${v.name ?? ''}` === apiVersion);
  if (version === undefined) return { value: obj, errors: [invalidValue('apiVersion', apiVersion ?? null, `not served by the CRD for group ${group}`)], unknownFields: [] };
  if (obj['kind'] !== crd.spec?.names?.kind) return { value: obj, errors: [invalidValue('kind', obj['kind'] ?? null, `the CRD's kind is ${crd.spec?.names?.kind ?? ''}`)], unknownFields: [] };
  const schema = version.schema?.openAPIV3Schema ?? { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
  return applySchema(obj, schema);
}
