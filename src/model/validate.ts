/**
 * Validation at the edge (pure): a cluster object from outside (a manifest, later the API) is checked
 * against its Kubernetes shape and MetalLB's Service annotations, and copied into the slim typed shape
 * of `kubernetes.ts`, holding only the fields the allocator, the planner and the pipeline read
 * (`src/allocator/request.ts`, `src/speaker/planner.ts`, `endpoints.ts`, `src/pipeline`). Fields
 * validated but not kept: `uid`, `resourceVersion`, annotations other than MetalLB's, a Service's
 * `apiVersion`, ports' `name`, `targetPort` and `nodePort`, its `selector` unless
 * `externalTrafficPolicy` is `Local` (the only case it is read: IP sharing), ingress `hostname`; an
 * EndpointSlice's `apiVersion`, labels other than `kubernetes.io/service-name`, and endpoint addresses
 * after the first (the planner reads only whether there is one).
 *
 * Repeated short strings (namespaces, node names, label and annotation keys, timestamps, enumerated
 * values) are shared through a small bounded table, so 100 000 objects hold one copy of each.
 *
 * Invariants: never throws on any input (any JSON/YAML value, of any depth or size); never returns
 * (or keeps a reference into) the input; what it accepts never makes the allocator
 * (`src/allocator/request.ts`) or the planner (`src/speaker/planner.ts`, `endpoints.ts`) throw. Every
 * problem is an `ObjectIssue` naming the object (`Service/ns/name`), the field
 * (`spec.ports[0].port`, `metadata.annotations["metallb.io/loadBalancerIPs"]`), a stable rule and,
 * when short, the value. Namespaced kinds get the namespace `default` when it is absent, as kubectl
 * applies them.
 *
 * Rules follow the Kubernetes API server's validation (apimachinery `IsDNS1123Label`,
 * `IsDNS1123Subdomain`, `IsDNS1035Label`, `IsQualifiedName`, `IsValidLabelValue`; core/v1 and
 * discovery/v1 field types) for the fields kept, and MetalLB's annotations for Services.
 */
import { parseIp } from './ip.js';
import type { IpFamily } from './ip.js';
import type { ClusterObjectKinds, ObjectIssue } from './cluster.js';
import type { Endpoint, EndpointSlice, IpFamilyName, Node, NodeCondition, ObjectMeta, Service, ServicePort } from './kubernetes.js';

/** A validated, slimmed object and its warnings, or every problem found in it. */
export type Validation<T> =
  | { readonly ok: true; readonly value: T; readonly warnings: ObjectIssue[] }
  | { readonly ok: false; readonly issues: ObjectIssue[] };

/** One segment of a field path: a key or a list index. */
export type FieldSegment = string | number;

/**
 * Where an object was read, so issues carry a file and a line. `lineOf` is asked only when an issue
 * is reported (a source may resolve it lazily, e.g. by re-parsing just that document).
 */
export interface ValidationContext {
  readonly file?: string;
  /** The line of the object's start, used when `lineOf` has no answer. */
  readonly line?: number;
  readonly lineOf?: (path: readonly FieldSegment[]) => number | undefined;
}

/** MetalLB's Service annotations, stable and deprecated (`metallb.universe.tf/...`) prefixes. */
export const METALLB_ANNOTATIONS = {
  loadBalancerIPs: ['metallb.io/loadBalancerIPs', 'metallb.universe.tf/loadBalancerIPs'],
  addressPool: ['metallb.io/address-pool', 'metallb.universe.tf/address-pool'],
  allowSharedIP: ['metallb.io/allow-shared-ip', 'metallb.universe.tf/allow-shared-ip'],
} as const;

// apimachinery/pkg/util/validation.
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED_NAME_PART = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
// IANA service name (core/v1 validation of a named targetPort): lowercase, a letter, no "--".
const IANA_SVC_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

function isDns1123Label(s: string): boolean {
  return s.length <= 63 && DNS1123_LABEL.test(s);
}
function isDns1035Label(s: string): boolean {
  return s.length <= 63 && DNS1035_LABEL.test(s);
}
function isDns1123Subdomain(s: string): boolean {
  return s.length <= 253 && DNS1123_SUBDOMAIN.test(s);
}

/** Whether `key` is a Kubernetes qualified name (`[prefix/]name`), as label and annotation keys are. */
export function isQualifiedName(key: string): boolean {
  const slash = key.indexOf('/');
  const name = slash === -1 ? key : key.slice(slash + 1);
  if (slash !== -1) {
    const prefix = key.slice(0, slash);
    if (prefix === '' || !isDns1123Subdomain(prefix)) return false;
  }
  return name.length > 0 && name.length <= 63 && QUALIFIED_NAME_PART.test(name);
}

/**
 * A string the slim object may keep: a copy when `s` may be a slice of a larger text. V8 makes
 * substrings of 13 or more characters views into their parent, so one kept value (a timestamp)
 * would keep a whole manifest file in memory. Joining two non-empty parts gives a flat string of its
 * own (no view, no parent: 32 bytes less per string than a view of a flattened copy).
 */
export function own(s: string): string {
  return s.length < 13 ? s : [s.charAt(0), s.slice(1)].join('');
}

/**
 * `a + b` as one flat string of its own. `a + b` (and a template literal) of 13 or more characters is
 * a V8 cons string: two references, flattened into a third string when first hashed, so a key kept
 * in a Map costs three strings instead of one.
 */
export function joined(a: string, b: string): string {
  return a === '' ? own(b) : b === '' ? own(a) : [a, b].join('');
}

/** The table of `intern`: bounded (cleared when full), so it never grows with the cluster. */
const INTERNED = new Map<string, string>();
const INTERN_LIMIT = 8192;
const INTERN_MAX_LENGTH = 64;

/**
 * One shared copy of a short string that many objects repeat (a namespace, a node name, a label key),
 * never a slice of the input. Longer strings are copied (`own`).
 */
export function intern(s: string): string {
  if (s.length > INTERN_MAX_LENGTH) return own(s);
  const have = INTERNED.get(s);
  if (have !== undefined) return have;
  if (INTERNED.size >= INTERN_LIMIT) INTERNED.clear();
  const mine = own(s);
  INTERNED.set(mine, mine);
  return mine;
}

/** Whether an annotation is one of MetalLB's (`metallb.io/*`, `metallb.universe.tf/*`), the only ones kept. */
export function isMetalLbAnnotation(key: string): boolean {
  return key.startsWith('metallb.io/') || key.startsWith('metallb.universe.tf/');
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A segment as written in a path: `.name`, `[3]`, or `["a/b"]` for keys that are not identifiers. */
function formatPath(path: readonly FieldSegment[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'number') return Number.isInteger(v) ? 'an integer' : 'a number';
  return `a ${typeof v}`;
}

/** The value as short text, or undefined for long strings and any list or object. */
function shortValue(v: unknown): string | undefined {
  if (typeof v === 'string') return v.length <= 80 ? v : undefined;
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return String(v);
  return undefined;
}

/** Collects the issues of one object. */
class Checker {
  readonly issues: ObjectIssue[] = [];
  readonly warnings: ObjectIssue[] = [];
  object: string;

  constructor(
    object: string,
    private readonly context: ValidationContext,
  ) {
    this.object = object;
  }

  private make(severity: 'error' | 'warning', path: readonly FieldSegment[], rule: string, message: string, value: unknown): ObjectIssue {
    const text = shortValue(value);
    let line: number | undefined;
    try {
      line = this.context.lineOf?.(path) ?? this.context.line;
    } catch {
      line = this.context.line;
    }
    return {
      severity,
      object: this.object,
      path: formatPath(path),
      ...(text !== undefined ? { value: text } : {}),
      rule,
      message,
      ...(this.context.file !== undefined ? { file: this.context.file } : {}),
      ...(line !== undefined ? { line } : {}),
    };
  }

  error(path: readonly FieldSegment[], rule: string, message: string, value?: unknown): void {
    this.issues.push(this.make('error', path, rule, message, value));
  }

  warn(path: readonly FieldSegment[], rule: string, message: string, value?: unknown): void {
    this.warnings.push(this.make('warning', path, rule, message, value));
  }

  /** Re-labels every issue so far (the object's name is known only after its metadata is read). */
  relabel(object: string): void {
    this.object = object;
    for (let i = 0; i < this.issues.length; i++) this.issues[i] = { ...(this.issues[i] as ObjectIssue), object };
    for (let i = 0; i < this.warnings.length; i++) this.warnings[i] = { ...(this.warnings[i] as ObjectIssue), object };
  }

  wrongType(path: readonly FieldSegment[], want: string, v: unknown): void {
    const rule = want === 'a list' ? 'notAList' : want === 'an object' ? 'notAnObject' : want === 'a string' ? 'notAString' : want === 'a boolean' ? 'notABoolean' : 'invalidType';
    this.error(path, rule, `must be ${want}, not ${typeName(v)}`, v);
  }

  /** An optional object: undefined when absent (or null), and an issue when of another type. */
  record(v: unknown, path: readonly FieldSegment[]): Record<string, unknown> | undefined {
    if (v === undefined || v === null) return undefined;
    if (!isRecord(v)) {
      this.wrongType(path, 'an object', v);
      return undefined;
    }
    return v;
  }

  /** An optional list. */
  list(v: unknown, path: readonly FieldSegment[]): readonly unknown[] | undefined {
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v)) {
      this.wrongType(path, 'a list', v);
      return undefined;
    }
    return v;
  }

  /** An optional string. */
  string(v: unknown, path: readonly FieldSegment[]): string | undefined {
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') {
      this.wrongType(path, 'a string', v);
      return undefined;
    }
    return own(v);
  }

  /** An optional boolean. */
  boolean(v: unknown, path: readonly FieldSegment[]): boolean | undefined {
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'boolean') {
      this.wrongType(path, 'a boolean', v);
      return undefined;
    }
    return v;
  }

  /** An optional integer in `min..max`. */
  integer(v: unknown, path: readonly FieldSegment[], min: number, max: number): number | undefined {
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v)) {
      this.error(path, 'notAnInteger', `must be an integer, not ${typeName(v)}`, v);
      return undefined;
    }
    if (v < min || v > max) {
      this.error(path, 'outOfRange', `must be between ${min} and ${max}`, v);
      return undefined;
    }
    return v;
  }

  /** An optional string among `values`. */
  oneOf<T extends string>(v: unknown, path: readonly FieldSegment[], values: readonly T[]): T | undefined {
    const s = this.string(v, path);
    if (s === undefined) return undefined;
    // The constant itself: one copy of `TCP` for every port.
    const known = values.find((v) => v === s);
    if (known === undefined) {
      this.error(path, 'unsupportedValue', `must be one of ${values.join(', ')}`, s);
      return undefined;
    }
    return known;
  }

  /** An optional IP address in text (any family unless `family` is given). */
  ip(v: unknown, path: readonly FieldSegment[], family?: IpFamily): string | undefined {
    const s = this.string(v, path);
    if (s === undefined) return undefined;
    const ip = parseIp(s);
    if (ip === undefined) {
      this.error(path, 'invalidIP', 'must be an IP address', s);
      return undefined;
    }
    if (family !== undefined && ip.family !== family) {
      this.error(path, 'wrongFamily', `must be an ${family === 'ipv4' ? 'IPv4' : 'IPv6'} address`, s);
      return undefined;
    }
    return s;
  }

  /**
   * An optional map of strings with qualified-name keys (labels, annotations, selectors), copied.
   * With `labelValues`, values must be valid label values too.
   */
  stringMap(v: unknown, path: readonly FieldSegment[], labelValues: boolean, keep?: (key: string) => boolean): Record<string, string> | undefined {
    const m = this.record(v, path);
    if (m === undefined) return undefined;
    const out: Record<string, string> = {};
    let ok = true;
    for (const key of Object.keys(m)) {
      const value = m[key];
      const at = [...path, key];
      if (!isQualifiedName(key)) {
        this.error(at, 'invalidKey', 'key must be a qualified name ([prefix/]name: alphanumerics, "-", "_", "."; name at most 63 characters)', key);
        ok = false;
        continue;
      }
      if (typeof value !== 'string') {
        this.wrongType(at, 'a string', value);
        ok = false;
        continue;
      }
      if (labelValues && (value.length > 63 || !LABEL_VALUE.test(value))) {
        this.error(at, 'invalidLabelValue', 'must be a label value: at most 63 alphanumerics, "-", "_" or ".", starting and ending alphanumeric', value);
        ok = false;
        continue;
      }
      if (keep === undefined || keep(key)) out[intern(key)] = own(value);
    }
    return ok ? out : undefined;
  }
}

type NameRule = 'dns1123Label' | 'dns1035Label' | 'dns1123Subdomain';

const NAME_RULES: Record<NameRule, { readonly test: (s: string) => boolean; readonly text: string }> = {
  dns1123Label: { test: isDns1123Label, text: 'a DNS label (RFC 1123: at most 63 lowercase alphanumerics or "-", starting and ending alphanumeric)' },
  dns1035Label: { test: isDns1035Label, text: 'a DNS label (RFC 1035: at most 63 lowercase alphanumerics or "-", starting with a letter)' },
  dns1123Subdomain: { test: isDns1123Subdomain, text: 'a DNS name (RFC 1123 subdomain: lowercase alphanumerics, "-" and ".", at most 253 characters)' },
};

/** The metadata fields every kind keeps, checked; `namespaced` kinds default their namespace. */
function readMetadata(c: Checker, raw: Record<string, unknown>, kind: string, nameRule: NameRule, namespaced: boolean, keepLabel?: (key: string) => boolean): ObjectMeta | undefined {
  const metaRaw = raw['metadata'];
  if (metaRaw === undefined || metaRaw === null) {
    c.error(['metadata'], 'missingField', `a ${kind} needs metadata with a name`);
    return undefined;
  }
  const meta = c.record(metaRaw, ['metadata']);
  if (meta === undefined) return undefined;
  const nameRaw = meta['name'];
  let name: string | undefined;
  if (nameRaw === undefined || nameRaw === null || nameRaw === '') {
    c.error(['metadata', 'name'], 'missingField', `a ${kind} needs metadata.name`);
  } else if (typeof nameRaw !== 'string') {
    c.wrongType(['metadata', 'name'], 'a string', nameRaw);
  } else if (!NAME_RULES[nameRule].test(nameRaw)) {
    c.error(['metadata', 'name'], 'invalidName', `must be ${NAME_RULES[nameRule].text}`, nameRaw);
    name = nameRaw; // still names the object in the issue
  } else name = own(nameRaw);

  let namespace: string | undefined;
  if (namespaced) {
    const ns = c.string(meta['namespace'], ['metadata', 'namespace']);
    if (ns !== undefined && ns !== '' && !isDns1123Label(ns)) {
      c.error(['metadata', 'namespace'], 'invalidName', `must be ${NAME_RULES.dns1123Label.text}`, ns);
    }
    namespace = ns === undefined || ns === '' ? 'default' : intern(ns);
  }
  c.relabel(`${kind}/${namespace !== undefined ? `${namespace}/` : ''}${name ?? (typeof nameRaw === 'string' ? nameRaw : '?')}`);
  if (name === undefined) return undefined;

  const labels = c.stringMap(meta['labels'], ['metadata', 'labels'], true, keepLabel);
  // Only MetalLB's annotations are read; the others are checked and dropped.
  const annotations = c.stringMap(meta['annotations'], ['metadata', 'annotations'], false, isMetalLbAnnotation);
  // Checked, not kept: nothing reads them.
  c.string(meta['uid'], ['metadata', 'uid']);
  c.string(meta['resourceVersion'], ['metadata', 'resourceVersion']);
  const created = c.string(meta['creationTimestamp'], ['metadata', 'creationTimestamp']);
  if (created !== undefined && Number.isNaN(Date.parse(created))) {
    c.error(['metadata', 'creationTimestamp'], 'invalidTimestamp', 'must be an RFC 3339 time', created);
  }
  const out: { -readonly [K in keyof ObjectMeta]: ObjectMeta[K] } = { name };
  if (namespace !== undefined) out.namespace = namespace;
  if (labels !== undefined) out.labels = labels;
  if (annotations !== undefined && Object.keys(annotations).length > 0) out.annotations = annotations;
  if (created !== undefined) out.creationTimestamp = intern(created);
  return out;
}

function apiVersionOf(c: Checker, raw: Record<string, unknown>): string | undefined {
  return c.string(raw['apiVersion'], ['apiVersion']);
}

function result<T>(c: Checker, value: T | undefined): Validation<T> {
  if (c.issues.length > 0 || value === undefined) {
    if (c.issues.length === 0) c.error([], 'invalidObject', 'the object is not valid');
    return { ok: false, issues: c.issues };
  }
  return { ok: true, value, warnings: c.warnings };
}

function start(raw: unknown, kind: string, context: ValidationContext): { c: Checker; raw?: Record<string, unknown> } {
  const c = new Checker(`${kind}/?`, context);
  if (!isRecord(raw)) {
    c.wrongType([], 'an object', raw);
    return { c };
  }
  return { c, raw };
}

/** MetalLB's annotations of a Service: values are strings (checked by `stringMap`), IP lists parse. */
function checkMetalLbAnnotations(c: Checker, annotations: Readonly<Record<string, string>> | undefined): void {
  if (annotations === undefined) return;
  for (const key of METALLB_ANNOTATIONS.loadBalancerIPs) {
    const value = annotations[key];
    if (value === undefined || value === '') continue;
    const path = ['metadata', 'annotations', key];
    for (const part of value.split(',')) {
      const ip = part.trim();
      if (parseIp(ip) === undefined) {
        c.error(path, 'invalidIP', `${JSON.stringify(ip)} is not an IP address (${key} is a comma-separated list of IPs)`, value);
      }
    }
  }
  for (const names of Object.values(METALLB_ANNOTATIONS)) {
    const [stable, legacy] = names;
    if (Object.prototype.hasOwnProperty.call(annotations, legacy)) {
      c.warn(['metadata', 'annotations', legacy], 'deprecatedAnnotation', `annotation ${legacy} is deprecated, use ${stable}`);
    }
  }
}

const SERVICE_TYPES = ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'] as const;
const PROTOCOLS = ['TCP', 'UDP', 'SCTP'] as const;
const FAMILY_POLICIES = ['SingleStack', 'PreferDualStack', 'RequireDualStack'] as const;
const TRAFFIC_POLICIES = ['Cluster', 'Local'] as const;
const IP_FAMILIES = ['IPv4', 'IPv6'] as const;

/** A cluster IP: an address, `None` (headless) or empty. */
function clusterIp(c: Checker, v: unknown, path: readonly FieldSegment[]): string | undefined {
  const s = c.string(v, path);
  if (s === undefined || s === '' || s === 'None') return s;
  return c.ip(s, path);
}

function readPorts(c: Checker, v: unknown): ServicePort[] | undefined {
  const list = c.list(v, ['spec', 'ports']);
  if (list === undefined) return undefined;
  const out: ServicePort[] = [];
  for (let i = 0; i < list.length; i++) {
    const path = ['spec', 'ports', i];
    const p = list[i];
    if (!isRecord(p)) {
      c.wrongType(path, 'an object', p);
      continue;
    }
    const port = c.integer(p['port'], [...path, 'port'], 1, 65535);
    if (p['port'] === undefined || p['port'] === null) c.error([...path, 'port'], 'missingField', 'a port needs a port number');
    const protocol = c.oneOf(p['protocol'], [...path, 'protocol'], PROTOCOLS);
    const name = c.string(p['name'], [...path, 'name']);
    const nodePort = c.integer(p['nodePort'], [...path, 'nodePort'], 0, 65535);
    let targetPort: number | string | undefined;
    const tp = p['targetPort'];
    if (typeof tp === 'string') {
      if (tp.length > 15 || !IANA_SVC_NAME.test(tp) || tp.includes('--') || !/[a-z]/.test(tp)) {
        c.error([...path, 'targetPort'], 'invalidPortName', 'must be a port number or an IANA service name', tp);
      } else targetPort = own(tp);
    } else targetPort = c.integer(tp, [...path, 'targetPort'], 1, 65535);
    if (port === undefined) continue;
    // Kept: what IP sharing compares (`port/protocol`); `name`, `targetPort`, `nodePort` are checked only.
    void name;
    void nodePort;
    void targetPort;
    out.push(protocol === undefined ? { port } : { port, protocol });
  }
  return out.slice(); // exact length: a list grown by push holds 17 slots
}

function readIngress(c: Checker, statusRaw: unknown): Service['status'] | undefined {
  const status = c.record(statusRaw, ['status']);
  if (status === undefined) return undefined;
  const lb = c.record(status['loadBalancer'], ['status', 'loadBalancer']);
  if (lb === undefined) return {};
  const list = c.list(lb['ingress'], ['status', 'loadBalancer', 'ingress']);
  if (list === undefined) return { loadBalancer: {} };
  const ingress: { ip?: string }[] = [];
  for (let i = 0; i < list.length; i++) {
    const path = ['status', 'loadBalancer', 'ingress', i];
    const item = c.record(list[i], path);
    if (item === undefined) {
      if (list[i] === null || list[i] === undefined) c.wrongType(path, 'an object', list[i]);
      continue;
    }
    const ip = c.ip(item['ip'], [...path, 'ip']);
    c.string(item['hostname'], [...path, 'hostname']); // checked, not read
    ingress.push(ip !== undefined ? { ip } : {});
  }
  return { loadBalancer: { ingress: ingress.slice() } };
}

/**
 * Validates a Service (core/v1) and slims it to `Service`: metadata, `spec` (type, ports, selector,
 * clusterIP(s), ipFamilies, ipFamilyPolicy, loadBalancerIP, loadBalancerClass,
 * externalTrafficPolicy) and `status.loadBalancer.ingress`, plus MetalLB's annotations.
 */
export function validateService(raw: unknown, context: ValidationContext = {}): Validation<Service> {
  const { c, raw: o } = start(raw, 'Service', context);
  if (o === undefined) return result<Service>(c, undefined);
  const apiVersion = apiVersionOf(c, o);
  const metadata = readMetadata(c, o, 'Service', 'dns1035Label', true);
  checkMetalLbAnnotations(c, metadata?.annotations);
  const specRaw = o['spec'];
  if (specRaw === undefined || specRaw === null) {
    c.error(['spec'], 'missingField', 'a Service needs a spec');
    return result<Service>(c, undefined);
  }
  const s = c.record(specRaw, ['spec']);
  if (s === undefined || metadata === undefined) return result<Service>(c, undefined);

  const spec: { -readonly [K in keyof Service['spec']]: Service['spec'][K] } = {};
  const type = c.oneOf(s['type'], ['spec', 'type'], SERVICE_TYPES);
  if (type !== undefined) spec.type = type;
  const ports = readPorts(c, s['ports']);
  if (ports !== undefined) spec.ports = ports;
  const selector = c.stringMap(s['selector'], ['spec', 'selector'], true);
  const ip = clusterIp(c, s['clusterIP'], ['spec', 'clusterIP']);
  if (ip !== undefined) spec.clusterIP = ip;
  const ipsRaw = c.list(s['clusterIPs'], ['spec', 'clusterIPs']);
  if (ipsRaw !== undefined) {
    if (ipsRaw.length > 2) c.error(['spec', 'clusterIPs'], 'tooMany', 'at most two cluster IPs (one per family)');
    const ips: string[] = [];
    for (let i = 0; i < ipsRaw.length; i++) {
      const one = clusterIp(c, ipsRaw[i], ['spec', 'clusterIPs', i]);
      if (ipsRaw[i] === null) c.wrongType(['spec', 'clusterIPs', i], 'a string', null);
      // clusterIPs[0] repeats clusterIP: one string for both.
      if (one !== undefined) ips.push(one === ip ? ip : one);
    }
    spec.clusterIPs = ips.slice(); // exact length
  }
  const familiesRaw = c.list(s['ipFamilies'], ['spec', 'ipFamilies']);
  if (familiesRaw !== undefined) {
    if (familiesRaw.length > 2) c.error(['spec', 'ipFamilies'], 'tooMany', 'at most two IP families');
    const families: IpFamilyName[] = [];
    for (let i = 0; i < familiesRaw.length; i++) {
      if (familiesRaw[i] === null) c.wrongType(['spec', 'ipFamilies', i], 'a string', null);
      const f = c.oneOf(familiesRaw[i], ['spec', 'ipFamilies', i], IP_FAMILIES);
      if (f === undefined) continue;
      if (families.includes(f)) c.error(['spec', 'ipFamilies', i], 'duplicate', `${f} is listed twice`, f);
      families.push(f);
    }
    spec.ipFamilies = sharedFamilies(families);
  }
  const policy = c.oneOf(s['ipFamilyPolicy'], ['spec', 'ipFamilyPolicy'], FAMILY_POLICIES);
  if (policy !== undefined) spec.ipFamilyPolicy = policy;
  const lbIpRaw = c.string(s['loadBalancerIP'], ['spec', 'loadBalancerIP']);
  if (lbIpRaw !== undefined && lbIpRaw !== '') {
    const lbIp = c.ip(lbIpRaw.trim(), ['spec', 'loadBalancerIP']);
    if (lbIp !== undefined) spec.loadBalancerIP = lbIpRaw;
  }
  const cls = c.string(s['loadBalancerClass'], ['spec', 'loadBalancerClass']);
  if (cls !== undefined) spec.loadBalancerClass = cls;
  const etp = c.oneOf(s['externalTrafficPolicy'], ['spec', 'externalTrafficPolicy'], TRAFFIC_POLICIES);
  if (etp !== undefined) spec.externalTrafficPolicy = etp;
  // The selector is read only for externalTrafficPolicy Local (services sharing an IP must select the same pods).
  if (selector !== undefined && etp === 'Local') spec.selector = selector;
  const status = readIngress(c, o['status']);

  void apiVersion; // checked, not read
  const svc: { -readonly [K in keyof Service]: Service[K] } = { kind: 'Service', metadata, spec };
  if (status !== undefined) svc.status = status;
  return result<Service>(c, svc);
}

const ADDRESS_TYPES = ['IPv4', 'IPv6', 'FQDN'] as const;

/** The lists of IP families as shared constants (every single-stack IPv4 Service holds the same one). */
const FAMILY_LISTS: readonly (readonly IpFamilyName[])[] = [[], ['IPv4'], ['IPv6'], ['IPv4', 'IPv6'], ['IPv6', 'IPv4']].map((l) => Object.freeze(l as IpFamilyName[]));

function sharedFamilies(families: readonly IpFamilyName[]): readonly IpFamilyName[] {
  for (const l of FAMILY_LISTS) if (l.length === families.length && l.every((f, i) => f === families[i])) return l;
  return families;
}

type Conditions = NonNullable<Endpoint['conditions']>;

/** Endpoint conditions as shared constants, one per combination (3^3 with unset), made on first use. */
const CONDITIONS = new Map<number, Conditions>();

function sharedConditions(c: { ready?: boolean; serving?: boolean; terminating?: boolean }): Conditions {
  const code = (c.ready === undefined ? 0 : c.ready ? 1 : 2) + 3 * (c.serving === undefined ? 0 : c.serving ? 1 : 2) + 9 * (c.terminating === undefined ? 0 : c.terminating ? 1 : 2);
  let have = CONDITIONS.get(code);
  if (have === undefined) CONDITIONS.set(code, (have = Object.freeze({ ...c })));
  return have;
}

/** Keeps only the label that ties a slice to its Service. */
function isServiceNameLabel(key: string): boolean {
  return key === 'kubernetes.io/service-name';
}

/**
 * Validates an EndpointSlice (discovery.k8s.io/v1) and slims it to `EndpointSlice`: metadata (its
 * Service is the label `kubernetes.io/service-name`), `addressType` and each endpoint's addresses
 * (checked per addressType), conditions and nodeName.
 */
export function validateEndpointSlice(raw: unknown, context: ValidationContext = {}): Validation<EndpointSlice> {
  const { c, raw: o } = start(raw, 'EndpointSlice', context);
  if (o === undefined) return result<EndpointSlice>(c, undefined);
  const apiVersion = apiVersionOf(c, o);
  const metadata = readMetadata(c, o, 'EndpointSlice', 'dns1123Subdomain', true, isServiceNameLabel);
  const addressType = c.oneOf(o['addressType'], ['addressType'], ADDRESS_TYPES);
  const list = c.list(o['endpoints'], ['endpoints']);
  const endpoints: Endpoint[] = [];
  for (let i = 0; i < (list?.length ?? 0); i++) {
    const path = ['endpoints', i];
    const ep = list?.[i];
    if (!isRecord(ep)) {
      c.wrongType(path, 'an object', ep);
      continue;
    }
    const addrRaw = ep['addresses'];
    if (addrRaw === undefined || addrRaw === null) c.error([...path, 'addresses'], 'missingField', 'an endpoint needs addresses');
    const addrList = c.list(addrRaw, [...path, 'addresses']) ?? [];
    const addresses: string[] = [];
    for (let j = 0; j < addrList.length; j++) {
      const at = [...path, 'addresses', j];
      const a = addrList[j];
      if (a === null) {
        c.wrongType(at, 'a string', a);
        continue;
      }
      const value =
        addressType === 'FQDN'
          ? c.string(a, at)
          : c.ip(a, at, addressType === 'IPv4' ? 'ipv4' : addressType === 'IPv6' ? 'ipv6' : undefined);
      if (addressType === 'FQDN' && value !== undefined && !isDns1123Subdomain(value)) {
        c.error(at, 'invalidName', `must be ${NAME_RULES.dns1123Subdomain.text}`, value);
        continue;
      }
      if (value !== undefined) addresses.push(value);
    }
    const condRaw = c.record(ep['conditions'], [...path, 'conditions']);
    const nodeName = c.string(ep['nodeName'], [...path, 'nodeName']);
    if (nodeName !== undefined && !isDns1123Subdomain(nodeName)) {
      c.error([...path, 'nodeName'], 'invalidName', `must be ${NAME_RULES.dns1123Subdomain.text}`, nodeName);
    }
    // The first address only: the planner reads whether there is one.
    const endpoint: { -readonly [K in keyof Endpoint]: Endpoint[K] } = { addresses: addresses.length === 0 ? [] : [addresses[0] as string] };
    if (condRaw !== undefined) {
      const conditions: { ready?: boolean; serving?: boolean; terminating?: boolean } = {};
      for (const name of ['ready', 'serving', 'terminating'] as const) {
        const b = c.boolean(condRaw[name], [...path, 'conditions', name]);
        if (b !== undefined) conditions[name] = b;
      }
      endpoint.conditions = sharedConditions(conditions);
    }
    if (nodeName !== undefined) endpoint.nodeName = intern(nodeName);
    endpoints.push(endpoint);
  }
  const endpointList = endpoints.slice(); // exact length
  if (metadata === undefined) return result<EndpointSlice>(c, undefined);
  void apiVersion; // checked, not read
  const slice: { -readonly [K in keyof EndpointSlice]: EndpointSlice[K] } = { kind: 'EndpointSlice', metadata };
  if (addressType !== undefined) slice.addressType = addressType;
  if (list !== undefined) slice.endpoints = endpointList;
  return result<EndpointSlice>(c, slice);
}

const CONDITION_STATUSES = ['True', 'False', 'Unknown'] as const;

/**
 * Validates a Node (core/v1) and slims it to `Node`: metadata (labels select peers and
 * advertisements), `status.addresses` (the `*IP` types must be IPs) and `status.conditions` (type
 * and status).
 */
export function validateNode(raw: unknown, context: ValidationContext = {}): Validation<Node> {
  const { c, raw: o } = start(raw, 'Node', context);
  if (o === undefined) return result<Node>(c, undefined);
  const apiVersion = apiVersionOf(c, o);
  const metadata = readMetadata(c, o, 'Node', 'dns1123Subdomain', false);
  const statusRaw = c.record(o['status'], ['status']);
  let status: { -readonly [K in keyof NonNullable<Node['status']>]: NonNullable<Node['status']>[K] } | undefined;
  if (statusRaw !== undefined) {
    status = {};
    const addrList = c.list(statusRaw['addresses'], ['status', 'addresses']);
    if (addrList !== undefined) {
      const addresses: { type: string; address: string }[] = [];
      for (let i = 0; i < addrList.length; i++) {
        const path = ['status', 'addresses', i];
        const a = addrList[i];
        if (!isRecord(a)) {
          c.wrongType(path, 'an object', a);
          continue;
        }
        const type = c.string(a['type'], [...path, 'type']);
        const address = type === 'InternalIP' || type === 'ExternalIP' ? c.ip(a['address'], [...path, 'address']) : c.string(a['address'], [...path, 'address']);
        if (type === undefined) c.error([...path, 'type'], 'missingField', 'a node address needs a type');
        if (address === undefined && (a['address'] === undefined || a['address'] === null)) c.error([...path, 'address'], 'missingField', 'a node address needs an address');
        if (type !== undefined && address !== undefined) addresses.push({ type, address });
      }
      status.addresses = addresses;
    }
    const condList = c.list(statusRaw['conditions'], ['status', 'conditions']);
    if (condList !== undefined) {
      const conditions: NodeCondition[] = [];
      for (let i = 0; i < condList.length; i++) {
        const path = ['status', 'conditions', i];
        const cond = condList[i];
        if (!isRecord(cond)) {
          c.wrongType(path, 'an object', cond);
          continue;
        }
        const type = c.string(cond['type'], [...path, 'type']);
        const st = c.oneOf(cond['status'], [...path, 'status'], CONDITION_STATUSES);
        if (type === undefined) c.error([...path, 'type'], 'missingField', 'a node condition needs a type');
        if (st === undefined && (cond['status'] === undefined || cond['status'] === null)) c.error([...path, 'status'], 'missingField', 'a node condition needs a status');
        if (type !== undefined && st !== undefined) conditions.push({ type, status: st });
      }
      status.conditions = conditions;
    }
  }
  if (metadata === undefined) return result<Node>(c, undefined);
  const node: { -readonly [K in keyof Node]: Node[K] } = { kind: 'Node', metadata };
  if (apiVersion !== undefined) node.apiVersion = apiVersion;
  if (status !== undefined) node.status = status;
  return result<Node>(c, node);
}

/** Validates a Namespace (core/v1): its name (a DNS label) and labels (for pools' namespaceSelectors). */
export function validateNamespace(raw: unknown, context: ValidationContext = {}): Validation<ClusterObjectKinds['Namespace']> {
  const { c, raw: o } = start(raw, 'Namespace', context);
  if (o === undefined) return result<ClusterObjectKinds['Namespace']>(c, undefined);
  apiVersionOf(c, o);
  const metadata = readMetadata(c, o, 'Namespace', 'dns1123Label', false);
  return result(c, metadata === undefined ? undefined : { name: metadata.name, labels: metadata.labels ?? {} });
}
