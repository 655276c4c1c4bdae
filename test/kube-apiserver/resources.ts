/**
 * The kinds the double serves and how each behaves, as the real API server's registry strategies
 * define them: scope, short names, status subresource, which field selectors it supports, whether
 * metadata.generation is kept, whether PUT may create or may omit resourceVersion, whether DELETE
 * returns the object, the strategic merge table, its `kubectl get` columns, and its defaulting and
 * validation on create/update. Custom resources get a `ResourceType` built from their CRD
 * (`crdResourceTypes`).
 */
import type { FieldError } from './errors.js';
import { invalidValue, notSupported, required } from './errors.js';
import type { Json, StrategyTable } from './patch.js';
import { STRATEGIES } from './patch.js';
import type { Schema } from './schema.js';
import { structuralErrors } from './schema.js';

/** A JSON object. */
export type Obj = { [key: string]: Json };

/** One `kubectl get` column: its definition and how a row's cell is computed from the object. */
export interface PrinterColumn {
  readonly name: string;
  readonly type: string;
  readonly format: string;
  readonly description: string;
  readonly priority: number;
  readonly cell: (obj: Obj, now: number) => Json;
}

/** Context a kind's defaulting/validation may use (allocators shared by the server). */
export interface PrepareContext {
  /** A free cluster IP of a family, or undefined when the range is full. */
  allocateClusterIp(family: 'IPv4' | 'IPv6'): string | undefined;
  /** A free node port (30000-32767), or undefined when all are taken. */
  allocateNodePort(): number | undefined;
}

/** How one kind (at one group/version) is served. */
export interface ResourceType {
  readonly group: string;
  readonly version: string;
  readonly plural: string;
  readonly singular: string;
  readonly kind: string;
  readonly namespaced: boolean;
  readonly shortNames: readonly string[];
  readonly categories: readonly string[];
  /** The `/status` subresource exists: the main resource ignores status, `/status` changes only status. */
  readonly statusSubresource: boolean;
  /** Strategic merge patch support (built-ins); undefined for custom resources (415 on SMP). */
  readonly strategies: StrategyTable | undefined;
  /** Field selectors beyond metadata.name and metadata.namespace. */
  readonly fieldSelectors: ReadonlySet<string>;
  /** metadata.generation is set to 1 on create and bumped when anything but metadata (and status, with the subresource) changes. */
  readonly generation: boolean;
  /** PUT without metadata.resourceVersion is allowed (strategy AllowUnconditionalUpdate). */
  readonly unconditionalUpdate: boolean;
  /** PUT of a missing object creates it (strategy AllowCreateOnUpdate). */
  readonly createOnUpdate: boolean;
  /** DELETE answers with the deleted object (else a Success Status). */
  readonly returnDeletedObject: boolean;
  /** Status given on create is kept (Nodes); otherwise it is cleared when the status subresource exists. */
  readonly keepStatusOnCreate: boolean;
  /** Where objects live: every version of one group/resource shares it. */
  readonly storage: string;
  /** The CRD's name, for custom resources. */
  readonly crd?: string;
  /** The structural schema of this version, for custom resources. */
  readonly schema?: Schema;
  readonly printerColumns: readonly PrinterColumn[];
  /** Defaults and validates an object about to be stored (old is the stored one on update). */
  readonly prepare?: (obj: Obj, old: Obj | undefined, ctx: PrepareContext) => FieldError[];
}

/** `group/version`, or `version` for the core group. */
export function apiVersionOf(t: Pick<ResourceType, 'group' | 'version'>): string {
  return t.group === '' ? t.version : `${t.group}/${t.version}`;
}

function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function get(obj: Json | undefined, path: readonly string[]): Json | undefined {
  let cur: Json | undefined = obj;
  for (const p of path) {
    if (!isObject(cur)) return undefined;
    cur = cur[p];
  }
  return cur;
}

/** `5s`, `3m`, `2d4h`: duration.HumanDuration as kubectl prints ages. */
export function humanAge(fromIso: Json | undefined, now: number): string {
  if (typeof fromIso !== 'string') return '<unknown>';
  const t = Date.parse(fromIso);
  if (Number.isNaN(t)) return '<unknown>';
  const s = Math.max(0, Math.floor((now - t) / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) return m % 60 === 0 ? `${h}h` : `${h}h${m % 60}m`;
  if (h < 48) return `${h}h`;
  const d = Math.floor(h / 24);
  if (d < 8) return h % 24 === 0 ? `${d}d` : `${d}d${h % 24}h`;
  if (d < 365 * 2) return `${d}d`;
  return `${Math.floor(d / 365)}y`;
}

function col(name: string, type: string, cell: (obj: Obj, now: number) => Json, opts: { format?: string; priority?: number; description?: string } = {}): PrinterColumn {
  return { name, type, format: opts.format ?? '', description: opts.description ?? name, priority: opts.priority ?? 0, cell };
}

const NAME_COLUMN = col('Name', 'string', (o) => get(o, ['metadata', 'name']) ?? '', { format: 'name', description: 'Name must be unique within a namespace.' });
const AGE_COLUMN = col('Age', 'string', (o, now) => humanAge(get(o, ['metadata', 'creationTimestamp']), now), {
  description: 'CreationTimestamp is a timestamp representing the server time when this object was created.',
});

/** The default columns of a kind without its own printer: NAME, AGE. */
export const DEFAULT_COLUMNS: readonly PrinterColumn[] = [NAME_COLUMN, AGE_COLUMN];

function len(v: Json | undefined): number {
  if (Array.isArray(v)) return v.length;
  if (isObject(v)) return Object.keys(v).length;
  return 0;
}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

/** Name rules per kind (ValidateObjectMeta's nameFn), with the real messages. */
export type NameRule = 'subdomain' | 'label' | 'dns1035' | 'path';

/** Checks metadata.name against a kind's rule. */
export function nameErrors(name: string, rule: NameRule): FieldError[] {
  const f = 'metadata.name';
  switch (rule) {
    case 'subdomain':
      if (name.length > 253 || !DNS1123_SUBDOMAIN.test(name)) {
        return [invalidValue(f, name, "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")];
      }
      return [];
    case 'label':
      if (name.length > 63 || !DNS1123_LABEL.test(name)) {
        return [invalidValue(f, name, "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')")];
      }
      return [];
    case 'dns1035':
      if (name.length > 63 || !DNS1035_LABEL.test(name)) {
        return [invalidValue(f, name, "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')")];
      }
      return [];
    case 'path':
      if (name === '.' || name === '..' || name.includes('/') || name.includes('%')) return [invalidValue(f, name, 'may not contain \'/\' or \'%\', and may not be \'.\' or \'..\'')];
      return [];
    default: {
      const never: never = rule;
      return never;
    }
  }
}

/** Which name rule each built-in kind uses. */
export const NAME_RULES: Readonly<Record<string, NameRule>> = {
  Service: 'dns1035',
  Namespace: 'label',
  Node: 'subdomain',
  ConfigMap: 'subdomain',
  Secret: 'subdomain',
  Event: 'subdomain',
  EndpointSlice: 'subdomain',
  Lease: 'subdomain',
  CustomResourceDefinition: 'subdomain',
};

const SERVICE_TYPES = ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'];
const PROTOCOLS = ['TCP', 'UDP', 'SCTP'];
const FAMILY_POLICIES = ['SingleStack', 'PreferDualStack', 'RequireDualStack'];

function familyOf(ip: string): 'IPv4' | 'IPv6' {
  return ip.includes(':') ? 'IPv6' : 'IPv4';
}

/**
 * Service defaulting and validation (pkg/apis/core/v1 defaults, the service REST's IP and node-port
 * allocation with patchAllocatedValues on update, and the ValidateService checks we rely on).
 */
function prepareService(obj: Obj, old: Obj | undefined, ctx: PrepareContext): FieldError[] {
  const errors: FieldError[] = [];
  if (!isObject(obj['spec'])) obj['spec'] = {};
  const spec = obj['spec'] as Obj;
  const oldSpec = isObject(old?.['spec']) ? (old['spec'] as Obj) : undefined;
  spec['type'] ??= 'ClusterIP';
  const type = spec['type'];
  if (typeof type !== 'string' || !SERVICE_TYPES.includes(type)) {
    errors.push(notSupported('spec.type', type, SERVICE_TYPES));
    return errors;
  }
  spec['sessionAffinity'] ??= 'None';
  if (type !== 'ExternalName') spec['internalTrafficPolicy'] ??= 'Cluster';
  if (type === 'LoadBalancer' || type === 'NodePort') spec['externalTrafficPolicy'] ??= 'Cluster';
  if (type === 'LoadBalancer') spec['allocateLoadBalancerNodePorts'] ??= true;
  const ports = spec['ports'];
  if (ports !== undefined && !Array.isArray(ports)) errors.push(invalidValue('spec.ports', ports, 'must be a list'));
  const portList = Array.isArray(ports) ? ports : [];
  // patchAllocatedValues: an update that leaves allocated values unset keeps the old ones.
  if (oldSpec !== undefined) {
    if (spec['clusterIP'] === undefined || spec['clusterIP'] === '') {
      if (oldSpec['clusterIP'] !== undefined) spec['clusterIP'] = oldSpec['clusterIP'];
      if (oldSpec['clusterIPs'] !== undefined && spec['clusterIPs'] === undefined) spec['clusterIPs'] = oldSpec['clusterIPs'];
    }
    spec['ipFamilies'] ??= oldSpec['ipFamilies'] ?? null;
    if (spec['ipFamilies'] === null) delete spec['ipFamilies'];
    spec['ipFamilyPolicy'] ??= oldSpec['ipFamilyPolicy'] ?? null;
    if (spec['ipFamilyPolicy'] === null) delete spec['ipFamilyPolicy'];
    const oldPorts = Array.isArray(oldSpec['ports']) ? oldSpec['ports'] : [];
    for (const p of portList) {
      if (!isObject(p) || p['nodePort'] !== undefined) continue;
      const match = oldPorts.find((q) => isObject(q) && q['port'] === p['port'] && (q['protocol'] ?? 'TCP') === (p['protocol'] ?? 'TCP'));
      if (isObject(match) && match['nodePort'] !== undefined && (type === 'NodePort' || type === 'LoadBalancer')) p['nodePort'] = match['nodePort'];
    }
    if (spec['healthCheckNodePort'] === undefined && oldSpec['healthCheckNodePort'] !== undefined && spec['externalTrafficPolicy'] === 'Local') {
      spec['healthCheckNodePort'] = oldSpec['healthCheckNodePort'];
    }
  }
  portList.forEach((p, i) => {
    const at = `spec.ports[${i}]`;
    if (!isObject(p)) {
      errors.push(invalidValue(at, p, 'must be an object'));
      return;
    }
    p['protocol'] ??= 'TCP';
    if (!PROTOCOLS.includes(String(p['protocol']))) errors.push(notSupported(`${at}.protocol`, p['protocol'], PROTOCOLS));
    const port = p['port'];
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
      errors.push(port === undefined ? required(`${at}.port`) : invalidValue(`${at}.port`, port, 'must be between 1 and 65535, inclusive'));
    }
    if (type !== 'ExternalName' && spec['clusterIP'] !== 'None') p['targetPort'] ??= port ?? null;
    if (portList.length > 1 && (typeof p['name'] !== 'string' || p['name'] === '')) errors.push(required(`${at}.name`));
    const np = p['nodePort'];
    if (np !== undefined && (typeof np !== 'number' || np < 30000 || np > 32767)) errors.push(invalidValue(`${at}.nodePort`, np, 'provided port is not in the valid range. The range of valid ports is 30000-32767'));
  });
  if (portList.length === 0 && type !== 'ExternalName' && spec['clusterIP'] !== 'None') errors.push(required('spec.ports'));
  if (type === 'ExternalName') {
    if (typeof spec['externalName'] !== 'string' || spec['externalName'] === '') errors.push(required('spec.externalName'));
    return errors;
  }
  // Cluster IPs (the service REST allocator): keep what was asked, allocate what was not.
  const policy = spec['ipFamilyPolicy'];
  if (policy !== undefined && !FAMILY_POLICIES.includes(String(policy))) errors.push(notSupported('spec.ipFamilyPolicy', policy, FAMILY_POLICIES));
  if (errors.length > 0) return errors;
  const asked = spec['clusterIP'];
  if (asked === 'None') {
    spec['clusterIPs'] = ['None'];
    spec['ipFamilyPolicy'] ??= 'RequireDualStack';
    spec['ipFamilies'] ??= ['IPv4', 'IPv6'];
  } else {
    const askedFamilies = Array.isArray(spec['ipFamilies']) ? (spec['ipFamilies'] as Json[]).map(String) : undefined;
    const dual = policy === 'PreferDualStack' || policy === 'RequireDualStack';
    let families: string[] = askedFamilies ?? (typeof asked === 'string' && asked !== '' ? [familyOf(asked)] : ['IPv4']);
    if (dual && families.length === 1) families = families[0] === 'IPv6' ? ['IPv6', 'IPv4'] : ['IPv4', 'IPv6'];
    for (const [i, f] of families.entries()) if (f !== 'IPv4' && f !== 'IPv6') errors.push(notSupported(`spec.ipFamilies[${i}]`, f, ['IPv4', 'IPv6']));
    if (errors.length > 0) return errors;
    const ips: string[] = Array.isArray(spec['clusterIPs']) ? (spec['clusterIPs'] as Json[]).map(String) : typeof asked === 'string' && asked !== '' ? [asked] : [];
    for (let i = ips.length; i < families.length; i++) {
      const ip = ctx.allocateClusterIp(families[i] as 'IPv4' | 'IPv6');
      if (ip === undefined) return [invalidValue('spec.clusterIPs', null, 'range is full')];
      ips.push(ip);
    }
    spec['clusterIP'] = ips[0] ?? null;
    spec['clusterIPs'] = ips;
    spec['ipFamilies'] = families;
    spec['ipFamilyPolicy'] ??= 'SingleStack';
    if (oldSpec !== undefined && typeof oldSpec['clusterIP'] === 'string' && oldSpec['clusterIP'] !== spec['clusterIP']) {
      errors.push(invalidValue('spec.clusterIPs[0]', spec['clusterIP'], 'may not change once set'));
    }
  }
  if (type === 'NodePort' || (type === 'LoadBalancer' && spec['allocateLoadBalancerNodePorts'] !== false)) {
    for (const p of portList) {
      if (!isObject(p) || p['nodePort'] !== undefined) continue;
      const np = ctx.allocateNodePort();
      if (np === undefined) return [invalidValue('spec.ports', null, 'node port range is full')];
      p['nodePort'] = np;
    }
  }
  if (type === 'LoadBalancer' && spec['externalTrafficPolicy'] === 'Local' && spec['healthCheckNodePort'] === undefined) {
    const np = ctx.allocateNodePort();
    if (np !== undefined) spec['healthCheckNodePort'] = np;
  }
  return errors;
}

function prepareNamespace(obj: Obj): FieldError[] {
  if (!isObject(obj['spec'])) obj['spec'] = {};
  const spec = obj['spec'] as Obj;
  spec['finalizers'] ??= ['kubernetes'];
  obj['status'] = { phase: 'Active' };
  return [];
}

function prepareEndpointSlice(obj: Obj): FieldError[] {
  const errors: FieldError[] = [];
  const t = obj['addressType'];
  if (t === undefined) errors.push(required('addressType'));
  else if (!['IPv4', 'IPv6', 'FQDN'].includes(String(t))) errors.push(notSupported('addressType', t, ['IPv4', 'IPv6', 'FQDN']));
  const eps = obj['endpoints'];
  if (eps !== undefined && eps !== null && !Array.isArray(eps)) errors.push(invalidValue('endpoints', eps, 'must be a list'));
  if (Array.isArray(eps)) {
    eps.forEach((e, i) => {
      if (!isObject(e)) return;
      const addrs = e['addresses'];
      if (!Array.isArray(addrs) || addrs.length === 0) errors.push(required(`endpoints[${i}].addresses`));
    });
  }
  return errors;
}

function prepareLease(obj: Obj): FieldError[] {
  const spec = obj['spec'];
  if (spec !== undefined && isObject(spec)) {
    const d = spec['leaseDurationSeconds'];
    if (d !== undefined && (typeof d !== 'number' || d <= 0)) return [invalidValue('spec.leaseDurationSeconds', d, 'must be greater than 0')];
  }
  return [];
}

function prepareEvent(obj: Obj): FieldError[] {
  const errors: FieldError[] = [];
  if (!isObject(obj['involvedObject'])) errors.push(required('involvedObject'));
  return errors;
}

function serviceExternalIp(o: Obj): string {
  const ing = get(o, ['status', 'loadBalancer', 'ingress']);
  const ips: string[] = [];
  if (Array.isArray(ing)) for (const i of ing) if (isObject(i)) ips.push(String(i['ip'] ?? i['hostname'] ?? ''));
  const ext = get(o, ['spec', 'externalIPs']);
  if (Array.isArray(ext)) for (const e of ext) ips.push(String(e));
  if (ips.length > 0) return ips.join(',');
  return get(o, ['spec', 'type']) === 'LoadBalancer' ? '<pending>' : '<none>';
}

function servicePorts(o: Obj): string {
  const ports = get(o, ['spec', 'ports']);
  if (!Array.isArray(ports) || ports.length === 0) return '<none>';
  return ports
    .map((p) => (isObject(p) ? `${String(p['port'])}${p['nodePort'] !== undefined ? `:${String(p['nodePort'])}` : ''}/${String(p['protocol'] ?? 'TCP')}` : ''))
    .join(',');
}

function nodeStatus(o: Obj): string {
  const conds = get(o, ['status', 'conditions']);
  let ready = 'Unknown';
  if (Array.isArray(conds)) for (const c of conds) if (isObject(c) && c['type'] === 'Ready') ready = c['status'] === 'True' ? 'Ready' : 'NotReady';
  if (get(o, ['spec', 'unschedulable']) === true) ready += ',SchedulingDisabled';
  return ready;
}

function nodeRoles(o: Obj): string {
  const labels = get(o, ['metadata', 'labels']);
  const roles: string[] = [];
  if (isObject(labels)) for (const k of Object.keys(labels)) if (k.startsWith('node-role.kubernetes.io/')) roles.push(k.slice('node-role.kubernetes.io/'.length));
  return roles.length > 0 ? roles.sort().join(',') : '<none>';
}

interface Builtin {
  group: string;
  version: string;
  plural: string;
  singular: string;
  kind: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  statusSubresource?: boolean;
  fieldSelectors?: string[];
  generation?: boolean;
  createOnUpdate?: boolean;
  returnDeletedObject?: boolean;
  keepStatusOnCreate?: boolean;
  storage?: string;
  columns?: PrinterColumn[];
  prepare?: (obj: Obj, old: Obj | undefined, ctx: PrepareContext) => FieldError[];
}

function builtin(b: Builtin): ResourceType {
  return {
    group: b.group,
    version: b.version,
    plural: b.plural,
    singular: b.singular,
    kind: b.kind,
    namespaced: b.namespaced,
    shortNames: b.shortNames ?? [],
    categories: b.categories ?? [],
    statusSubresource: b.statusSubresource ?? false,
    strategies: STRATEGIES[b.kind] ?? new Map(),
    fieldSelectors: new Set(b.fieldSelectors ?? []),
    generation: b.generation ?? false,
    unconditionalUpdate: true,
    createOnUpdate: b.createOnUpdate ?? false,
    returnDeletedObject: b.returnDeletedObject ?? false,
    keepStatusOnCreate: b.keepStatusOnCreate ?? false,
    storage: b.storage ?? `${b.group}/${b.plural}`,
    printerColumns: b.columns ?? DEFAULT_COLUMNS,
    ...(b.prepare !== undefined ? { prepare: b.prepare } : {}),
  };
}

/** The built-in kinds, in discovery order. */
export const BUILTINS: readonly ResourceType[] = [
  builtin({
    group: '',
    version: 'v1',
    plural: 'namespaces',
    singular: 'namespace',
    kind: 'Namespace',
    namespaced: false,
    shortNames: ['ns'],
    statusSubresource: true,
    fieldSelectors: ['status.phase'],
    returnDeletedObject: true,
    columns: [NAME_COLUMN, col('Status', 'string', (o) => get(o, ['status', 'phase']) ?? ''), AGE_COLUMN],
    prepare: prepareNamespace,
  }),
  builtin({
    group: '',
    version: 'v1',
    plural: 'nodes',
    singular: 'node',
    kind: 'Node',
    namespaced: false,
    shortNames: ['no'],
    statusSubresource: true,
    fieldSelectors: ['spec.unschedulable'],
    keepStatusOnCreate: true,
    columns: [
      NAME_COLUMN,
      col('Status', 'string', nodeStatus),
      col('Roles', 'string', nodeRoles),
      AGE_COLUMN,
      col('Version', 'string', (o) => get(o, ['status', 'nodeInfo', 'kubeletVersion']) ?? ''),
    ],
  }),
  builtin({
    group: '',
    version: 'v1',
    plural: 'services',
    singular: 'service',
    kind: 'Service',
    namespaced: true,
    shortNames: ['svc'],
    categories: ['all'],
    statusSubresource: true,
    returnDeletedObject: true,
    columns: [
      NAME_COLUMN,
      col('Type', 'string', (o) => get(o, ['spec', 'type']) ?? ''),
      col('Cluster-IP', 'string', (o) => get(o, ['spec', 'clusterIP']) ?? '<none>'),
      col('External-IP', 'string', serviceExternalIp),
      col('Port(s)', 'string', servicePorts),
      AGE_COLUMN,
      col('Selector', 'string', (o) => {
        const s = get(o, ['spec', 'selector']);
        return isObject(s) && Object.keys(s).length > 0 ? Object.entries(s).map(([k, v]) => `${k}=${String(v)}`).join(',') : '<none>';
      }, { priority: 1 }),
    ],
    prepare: prepareService,
  }),
  builtin({
    group: '',
    version: 'v1',
    plural: 'configmaps',
    singular: 'configmap',
    kind: 'ConfigMap',
    namespaced: true,
    shortNames: ['cm'],
    columns: [NAME_COLUMN, col('Data', 'string', (o) => len(o['data']) + len(o['binaryData'])), AGE_COLUMN],
  }),
  builtin({
    group: '',
    version: 'v1',
    plural: 'secrets',
    singular: 'secret',
    kind: 'Secret',
    namespaced: true,
    fieldSelectors: ['type'],
    columns: [NAME_COLUMN, col('Type', 'string', (o) => o['type'] ?? 'Opaque'), col('Data', 'string', (o) => len(o['data'])), AGE_COLUMN],
    prepare: (o) => {
      o['type'] ??= 'Opaque';
      // The API server stores stringData merged into data, base64-encoded.
      const sd = o['stringData'];
      if (isObject(sd)) {
        const data: Obj = isObject(o['data']) ? { ...(o['data'] as Obj) } : {};
        for (const [k, v] of Object.entries(sd)) data[k] = Buffer.from(String(v), 'utf8').toString('base64');
        o['data'] = data;
        delete o['stringData'];
      }
      return [];
    },
  }),
  builtin({
    group: '',
    version: 'v1',
    plural: 'events',
    singular: 'event',
    kind: 'Event',
    namespaced: true,
    shortNames: ['ev'],
    fieldSelectors: [
      'involvedObject.kind',
      'involvedObject.namespace',
      'involvedObject.name',
      'involvedObject.uid',
      'involvedObject.apiVersion',
      'involvedObject.resourceVersion',
      'involvedObject.fieldPath',
      'reason',
      'reportingComponent',
      'source',
      'type',
    ],
    createOnUpdate: true,
    columns: [
      col('Last Seen', 'string', (o, now) => humanAge(o['lastTimestamp'] ?? o['eventTime'] ?? get(o, ['metadata', 'creationTimestamp']), now)),
      col('Type', 'string', (o) => o['type'] ?? ''),
      col('Reason', 'string', (o) => o['reason'] ?? ''),
      col('Object', 'string', (o) => `${String(get(o, ['involvedObject', 'kind']) ?? '').toLowerCase()}/${String(get(o, ['involvedObject', 'name']) ?? '')}`),
      col('Message', 'string', (o) => o['message'] ?? ''),
    ],
    prepare: prepareEvent,
  }),
  builtin({
    group: 'discovery.k8s.io',
    version: 'v1',
    plural: 'endpointslices',
    singular: 'endpointslice',
    kind: 'EndpointSlice',
    namespaced: true,
    generation: true,
    columns: [
      NAME_COLUMN,
      col('AddressType', 'string', (o) => o['addressType'] ?? ''),
      col('Ports', 'string', (o) => {
        const ports = o['ports'];
        return Array.isArray(ports) && ports.length > 0 ? ports.map((p) => (isObject(p) ? String(p['port'] ?? '') : '')).join(',') : '<unset>';
      }),
      col('Endpoints', 'string', (o) => {
        const eps = o['endpoints'];
        const addrs: string[] = [];
        if (Array.isArray(eps)) for (const e of eps) if (isObject(e) && Array.isArray(e['addresses'])) for (const a of e['addresses']) addrs.push(String(a));
        if (addrs.length === 0) return '<unset>';
        return addrs.length > 3 ? `${addrs.slice(0, 3).join(',')} + ${addrs.length - 3} more...` : addrs.join(',');
      }),
      AGE_COLUMN,
    ],
    prepare: prepareEndpointSlice,
  }),
  builtin({
    group: 'coordination.k8s.io',
    version: 'v1',
    plural: 'leases',
    singular: 'lease',
    kind: 'Lease',
    namespaced: true,
    createOnUpdate: true,
    columns: [NAME_COLUMN, col('Holder', 'string', (o) => get(o, ['spec', 'holderIdentity']) ?? ''), AGE_COLUMN],
    prepare: prepareLease,
  }),
  builtin({
    group: 'apiextensions.k8s.io',
    version: 'v1',
    plural: 'customresourcedefinitions',
    singular: 'customresourcedefinition',
    kind: 'CustomResourceDefinition',
    namespaced: false,
    shortNames: ['crd', 'crds'],
    categories: ['api-extensions'],
    statusSubresource: true,
    generation: true,
    returnDeletedObject: true,
    columns: [NAME_COLUMN, col('Created At', 'date', (o) => get(o, ['metadata', 'creationTimestamp']) ?? '')],
    prepare: (o) => prepareCrd(o),
  }),
];

/** The group/version/plural triples of the built-in kinds, to refuse a CRD that would shadow one. */
const BUILTIN_GROUPS = new Set(BUILTINS.map((b) => b.group));

function prepareCrd(o: Obj): FieldError[] {
  const errors: FieldError[] = [];
  const spec = o['spec'];
  if (!isObject(spec)) return [required('spec')];
  const group = spec['group'];
  const names = spec['names'];
  const name = get(o, ['metadata', 'name']);
  if (typeof group !== 'string' || group === '') errors.push(required('spec.group'));
  else if (!group.includes('.')) errors.push(invalidValue('spec.group', group, 'should be a domain with at least one dot'));
  else if (BUILTIN_GROUPS.has(group)) errors.push(invalidValue('spec.group', group, 'is a built-in API group of this server'));
  if (!isObject(names)) errors.push(required('spec.names'));
  else {
    if (typeof names['plural'] !== 'string' || names['plural'] === '') errors.push(required('spec.names.plural'));
    if (typeof names['kind'] !== 'string' || names['kind'] === '') errors.push(required('spec.names.kind'));
    if (typeof names['plural'] === 'string' && typeof group === 'string' && name !== `${names['plural']}.${group}`) {
      errors.push(invalidValue('metadata.name', name ?? '', `must be spec.names.plural+"."+spec.group`));
    }
    names['singular'] ??= typeof names['kind'] === 'string' ? names['kind'].toLowerCase() : '';
    names['listKind'] ??= typeof names['kind'] === 'string' ? `${names['kind']}List` : '';
  }
  const scope = spec['scope'];
  if (scope !== 'Namespaced' && scope !== 'Cluster') errors.push(scope === undefined ? required('spec.scope') : notSupported('spec.scope', scope, ['Cluster', 'Namespaced']));
  const versions = spec['versions'];
  if (!Array.isArray(versions) || versions.length === 0) errors.push(required('spec.versions', 'must have exactly one version marked as storage version'));
  else {
    let storage = 0;
    versions.forEach((v, i) => {
      const at = `spec.versions[${i}]`;
      if (!isObject(v)) {
        errors.push(invalidValue(at, v, 'must be an object'));
        return;
      }
      if (typeof v['name'] !== 'string' || v['name'] === '') errors.push(required(`${at}.name`));
      if (v['storage'] === true) storage++;
      if (typeof v['served'] !== 'boolean') errors.push(required(`${at}.served`));
      const schema = get(v, ['schema', 'openAPIV3Schema']);
      if (schema === undefined) errors.push(required(`${at}.schema.openAPIV3Schema`, 'schemas are required'));
      else for (const e of structuralErrors(schema, `${at}.schema.openAPIV3Schema`)) errors.push(e);
    });
    if (storage !== 1) errors.push(invalidValue('spec.versions', storage, 'must have exactly one version marked as storage version'));
  }
  if (spec['conversion'] === undefined) spec['conversion'] = { strategy: 'None' };
  return errors;
}

/** A CRD's printer column: evaluates `jsonPath` (dotted fields and `[n]` indexes, as CRDs use). */
function crdColumn(c: Obj): PrinterColumn | undefined {
  const path = c['jsonPath'];
  const name = c['name'];
  if (typeof path !== 'string' || typeof name !== 'string') return undefined;
  const steps: Array<string | number> = [];
  for (const m of path.matchAll(/\.([^.[\]]+)|\[(\d+)\]|\['([^']+)'\]/g)) {
    if (m[1] !== undefined) steps.push(m[1]);
    else if (m[2] !== undefined) steps.push(Number(m[2]));
    else if (m[3] !== undefined) steps.push(m[3]);
  }
  const type = typeof c['type'] === 'string' ? c['type'] : 'string';
  return {
    name,
    type,
    format: typeof c['format'] === 'string' ? c['format'] : '',
    description: typeof c['description'] === 'string' ? c['description'] : '',
    priority: typeof c['priority'] === 'number' ? c['priority'] : 0,
    cell: (o, now) => {
      let cur: Json | undefined = o;
      for (const s of steps) {
        if (typeof s === 'number') cur = Array.isArray(cur) ? cur[s] : undefined;
        else cur = isObject(cur) ? cur[s] : undefined;
      }
      if (cur === undefined || cur === null) return null;
      if (type === 'date') return humanAge(cur, now);
      if (typeof cur === 'object') return JSON.stringify(cur);
      return cur;
    },
  };
}

/**
 * The resource types one CRD serves: one per served version, sharing one storage. The CRD has
 * already passed `prepareCrd`.
 */
export function crdResourceTypes(crd: Obj): ResourceType[] {
  const spec = crd['spec'] as Obj;
  const names = spec['names'] as Obj;
  const group = String(spec['group']);
  const plural = String(names['plural']);
  const out: ResourceType[] = [];
  for (const v of spec['versions'] as Json[]) {
    if (!isObject(v) || v['served'] !== true) continue;
    const schema = get(v, ['schema', 'openAPIV3Schema']) as Schema | undefined;
    const cols = get(v, ['additionalPrinterColumns']);
    let printerColumns: PrinterColumn[] = [NAME_COLUMN];
    if (Array.isArray(cols) && cols.length > 0) {
      for (const c of cols) {
        const pc = isObject(c) ? crdColumn(c) : undefined;
        if (pc !== undefined) printerColumns.push(pc);
      }
    } else {
      printerColumns = [NAME_COLUMN, col('Age', 'date', (o, now) => humanAge(get(o, ['metadata', 'creationTimestamp']), now))];
    }
    const selectable = get(v, ['selectableFields']);
    const fields: string[] = [];
    if (Array.isArray(selectable)) for (const f of selectable) if (isObject(f) && typeof f['jsonPath'] === 'string') fields.push(f['jsonPath'].replace(/^\./, ''));
    out.push({
      group,
      version: String(v['name']),
      plural,
      singular: String(names['singular'] ?? String(names['kind']).toLowerCase()),
      kind: String(names['kind']),
      namespaced: spec['scope'] === 'Namespaced',
      shortNames: Array.isArray(names['shortNames']) ? names['shortNames'].map(String) : [],
      categories: Array.isArray(names['categories']) ? names['categories'].map(String) : [],
      statusSubresource: isObject(get(v, ['subresources', 'status'])),
      strategies: undefined,
      fieldSelectors: new Set(fields),
      generation: true,
      unconditionalUpdate: false,
      createOnUpdate: false,
      returnDeletedObject: true,
      keepStatusOnCreate: false,
      storage: `${group}/${plural}`,
      crd: String(get(crd, ['metadata', 'name'])),
      ...(schema !== undefined ? { schema } : {}),
      printerColumns,
    });
  }
  return out;
}

/** A selectable field of an object as a string (fields.Set semantics: absent is ""). */
export function fieldValue(obj: Obj, field: string): string {
  if (field === 'source' && isObject(obj['source'])) return String(obj['source']['component'] ?? '');
  const v = get(obj, field.split('.'));
  if (v === undefined || v === null) return '';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}
