/**
 * A Kubernetes API server double for tests: the real HTTP protocol (discovery, CRUD, list with
 * selectors and pagination, watch with resourceVersion, bookmarks and 410 Gone, the status
 * subresource, merge/JSON/strategic patches, `Table` output for kubectl, CRDs with structural schema
 * validation, minimal OpenAPI v3 for kubectl's field-validation check), with one store and one
 * resourceVersion counter (store.ts). It is written from the API conventions and the real server's
 * behaviour, not from our own client: kubectl and Python's `kubernetes` client drive it in tests.
 *
 * Every mutation, from HTTP or from a test's direct call, goes through `create`, `update`, `patch`
 * and `remove` here, so the same checks run and the same watch events are sent. What the real
 * server does that this one does not is listed in README.md.
 */
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { parse as parseYaml } from 'yaml';
import type { FieldError } from './errors.js';
import { ApiError, alreadyExists, badRequest, conflict, expired, invalid, invalidValue, methodNotSupported, notFound, pathNotFound, required, unsupportedMediaType } from './errors.js';
import type { Json } from './patch.js';
import { PatchError, jsonPatch, mergePatch, strategicMergePatch } from './patch.js';
import type { Obj, PrepareContext, ResourceType } from './resources.js';
import { BUILTINS, NAME_RULES, apiVersionOf, crdResourceTypes, fieldValue, nameErrors } from './resources.js';
import { applySchema } from './schema.js';
import type { FieldSelector, LabelSelector } from './selectors.js';
import { matchesFields, matchesLabels, parseFieldSelector, parseLabelSelector } from './selectors.js';
import type { Entry, StoredEvent } from './store.js';
import { Store, entryOf, keyOf } from './store.js';
import { openApiV3Document, openApiV3Paths } from './openapi.js';

/** How to start the double. */
export interface ApiServerOptions {
  /** Address to listen on; default 127.0.0.1. */
  readonly host?: string;
  /** Port; default 0 (any free port). */
  readonly port?: number;
  /** Persist objects and the resourceVersion counter to this file (JSON lines), reloaded at start. */
  readonly dataFile?: string;
  /** Change events kept for watches to resume from (the watch cache window); default 100 000. */
  readonly historySize?: number;
  /** How often a watch that asked for bookmarks gets one; default 60 s (the real server's cadence). */
  readonly bookmarkIntervalMs?: number;
  /** The version /version reports; default v1.32.0. */
  readonly gitVersion?: string;
}

/** Where a test names a kind: `apiVersion` (`v1`, `metallb.io/v1beta1`) and `kind` or plural. */
export interface KindRef {
  readonly apiVersion: string;
  readonly kind: string;
}

/** Options of a direct call, as the query parameters of the HTTP verbs. */
export interface WriteOptions {
  readonly dryRun?: boolean;
  /** Strict rejects unknown fields (400), Warn (default) drops them with a warning, Ignore drops them silently. */
  readonly fieldValidation?: 'Strict' | 'Warn' | 'Ignore';
}

/** The running double. */
export interface ApiServerDouble {
  /** `http://host:port`. */
  readonly url: string;
  readonly port: number;
  /** Writes a kubeconfig for this server (plain http with insecure-skip-tls-verify, namespace `default`). */
  writeKubeconfig(path: string, options?: { namespace?: string }): void;
  /** Ends every watch, closes the listener and flushes the data file. */
  close(): Promise<void>;
  /** The current resourceVersion. */
  resourceVersion(): string;
  /** Reads an object (apiVersion and kind set), or undefined. */
  get(ref: KindRef, namespace: string, name: string): Obj | undefined;
  /** Every object of a kind (in one namespace, or all with ''), in key order. */
  list(ref: KindRef, namespace?: string): Obj[];
  /** Creates an object through the same path as POST. */
  create(obj: Obj, options?: WriteOptions): Obj;
  /** Replaces an object through the same path as PUT (`subresource: 'status'` for /status). */
  update(obj: Obj, options?: WriteOptions & { subresource?: 'status' }): Obj;
  /** Deletes an object through the same path as DELETE; returns whether it existed. */
  remove(ref: KindRef, namespace: string, name: string): boolean;
  /**
   * Test hook, as an etcd compaction at the current revision: every resourceVersion older than the
   * current one becomes too old for a watch or a continue token (410 Gone); the current one stays
   * watchable, so a client that relists can watch again. With `dropWatches` it forces watching
   * clients to resume, and those behind the current resourceVersion to relist.
   */
  expireHistory(): void;
  /** Test hook: ends every open watch response (abruptly, by destroying the socket, when asked). */
  dropWatches(options?: { abrupt?: boolean }): number;
  /** Test hook: sends a BOOKMARK now to every watch that allows them. */
  sendBookmarks(): void;
  /** Open watch connections. */
  watchCount(): number;
  /** Requests served, by verb (`list`, `watch`, `get`, `create`, `update`, `patch`, `delete`, ...). */
  requestCounts(): Record<string, number>;
}

function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function meta(o: Obj): Obj {
  if (!isObject(o['metadata'])) o['metadata'] = {};
  return o['metadata'] as Obj;
}

function nowRfc3339(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function canonical(v: Json | undefined): string {
  if (isObject(v)) return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(',')}}`;
  if (Array.isArray(v)) return `[${v.map((x) => canonical(x)).join(',')}]`;
  return JSON.stringify(v ?? null);
}

/** The object without what never counts as a change of the spec (metadata, and status with the subresource). */
function specPart(o: Obj, t: ResourceType): string {
  const { metadata: _m, apiVersion: _a, kind: _k, ...rest } = o;
  if (t.statusSubresource) delete rest['status'];
  return canonical(rest);
}

/** The object without resourceVersion, to detect a write that changes nothing (no new version, no event). */
function contentOf(o: Obj): string {
  const { apiVersion: _a, kind: _k, ...rest } = o;
  const m = { ...(isObject(rest['metadata']) ? rest['metadata'] : {}) };
  delete m['resourceVersion'];
  delete m['managedFields'];
  return canonical({ ...rest, metadata: m });
}

/** A boolean query parameter as Go's strconv.ParseBool reads it (`1`, `t`, `true`, `True`, `TRUE`, ...). */
function queryBool(q: Query, name: string): boolean {
  const v = q.get(name);
  return v !== null && ['1', 't', 'T', 'true', 'TRUE', 'True'].includes(v);
}

const GENERATE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** The served kinds, by group/version/plural, changing as CRDs come and go. */
class Registry {
  private readonly types = new Map<string, ResourceType>();

  constructor() {
    for (const t of BUILTINS) this.add(t);
  }

  add(t: ResourceType): void {
    this.types.set(`${t.group}/${t.version}/${t.plural}`, t);
  }

  removeCrd(name: string): void {
    for (const [k, t] of this.types) if (t.crd === name) this.types.delete(k);
  }

  find(group: string, version: string, plural: string): ResourceType | undefined {
    return this.types.get(`${group}/${version}/${plural}`);
  }

  byKind(ref: KindRef): ResourceType | undefined {
    for (const t of this.types.values()) if (apiVersionOf(t) === ref.apiVersion && (t.kind === ref.kind || t.plural === ref.kind)) return t;
    return undefined;
  }

  byStorage(storage: string): ResourceType[] {
    const out: ResourceType[] = [];
    for (const t of this.types.values()) if (t.storage === storage) out.push(t);
    return out;
  }

  /** Groups in discovery order (core first, then built-in groups, then CRD groups by name), with versions. */
  groups(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    const crdGroups: string[] = [];
    for (const t of this.types.values()) {
      let vs = out.get(t.group);
      if (vs === undefined) {
        vs = [];
        out.set(t.group, vs);
        if (t.crd !== undefined) crdGroups.push(t.group);
      }
      if (!vs.includes(t.version)) vs.push(t.version);
    }
    for (const vs of out.values()) vs.sort(compareVersions);
    return out;
  }

  inGroupVersion(group: string, version: string): ResourceType[] {
    const out: ResourceType[] = [];
    for (const t of this.types.values()) if (t.group === group && t.version === version) out.push(t);
    return out;
  }

  all(): IterableIterator<ResourceType> {
    return this.types.values();
  }
}

/** Kubernetes version priority: GA > beta > alpha, higher numbers first (v1 > v1beta2 > v1beta1 > v1alpha1). */
export function compareVersions(a: string, b: string): number {
  const rank = (v: string): [number, number, number] => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return [0, 0, 0];
    const stage = m[2] === undefined ? 3 : m[2] === 'beta' ? 2 : 1;
    return [stage, Number(m[1]), Number(m[3] ?? 0)];
  };
  const [sa, ma, na] = rank(a);
  const [sb, mb, nb] = rank(b);
  if (sa === 0 && sb === 0) return a < b ? -1 : a > b ? 1 : 0;
  if (sa !== sb) return sb - sa;
  if (ma !== mb) return mb - ma;
  return nb - na;
}

interface Watcher {
  readonly t: ResourceType;
  readonly namespace: string;
  readonly labels: LabelSelector;
  readonly fields: FieldSelector;
  readonly res: ServerResponse;
  readonly table: TableMode | undefined;
  readonly bookmarks: boolean;
  timers: NodeJS.Timeout[];
  closed: boolean;
  unsubscribe: () => void;
}

type TableMode = 'None' | 'Metadata' | 'Object';

interface Query {
  get(name: string): string | null;
}

/** Everything a request resolved to before its verb runs. */
interface Target {
  readonly t: ResourceType;
  readonly namespace: string;
  readonly name: string | undefined;
  readonly subresource: string | undefined;
}

/** The implementation: one store, one registry, the HTTP handlers and the direct calls. */
class Double implements ApiServerDouble {
  url = '';
  port = 0;
  private readonly store: Store;
  private readonly registry = new Registry();
  private readonly watchers = new Set<Watcher>();
  private readonly sockets = new Set<Socket>();
  private readonly counts: Record<string, number> = {};
  private nextIpv4 = 10; // 10.96.0.10 upwards (10.96.0.1 is the kubernetes Service's)
  private nextIpv6 = 10;
  private nextNodePort = 30000;
  private readonly usedClusterIps = new Set<string>();
  private readonly usedNodePorts = new Set<number>();
  private readonly server: Server;

  constructor(private readonly options: ApiServerOptions) {
    this.store = new Store({ historySize: options.historySize ?? 100_000, ...(options.dataFile !== undefined ? { dataFile: options.dataFile } : {}) });
    // Restored CRDs serve their kinds again; restored Services keep their addresses.
    for (const e of this.store.entries('apiextensions.k8s.io/customresourcedefinitions')) {
      const crd = JSON.parse(e.body) as Obj;
      for (const t of crdResourceTypes(crd)) this.registry.add(t);
    }
    for (const e of this.store.entries('/services')) this.reserveServiceAddresses(JSON.parse(e.body) as Obj);
    for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
      if (this.store.get('/namespaces', ns) === undefined) this.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    }
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => this.fail(res, err));
    });
    this.server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port ?? 0, this.options.host ?? '127.0.0.1', () => {
        const a = this.server.address() as AddressInfo;
        this.port = a.port;
        const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
        this.url = `http://${host}:${a.port}`;
        resolve();
      });
    });
  }

  // ---- test-facing API -------------------------------------------------------------------

  writeKubeconfig(path: string, options: { namespace?: string } = {}): void {
    const lines = [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: kube-apiserver-double',
      '  cluster:',
      `    server: ${this.url}`,
      '    insecure-skip-tls-verify: true',
      'users:',
      '- name: double-user',
      '  user:',
      '    token: kube-apiserver-double',
      'contexts:',
      '- name: kube-apiserver-double',
      '  context:',
      '    cluster: kube-apiserver-double',
      '    user: double-user',
      `    namespace: ${options.namespace ?? 'default'}`,
      'current-context: kube-apiserver-double',
      '',
    ];
    writeFileSync(path, lines.join('\n'));
  }

  async close(): Promise<void> {
    for (const w of this.watchers) this.endWatch(w);
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      for (const s of this.sockets) s.destroy();
    });
    this.store.close();
  }

  resourceVersion(): string {
    return String(this.store.resourceVersion);
  }

  private typeOf(ref: KindRef): ResourceType {
    const t = this.registry.byKind(ref);
    if (t === undefined) throw new Error(`no kind ${ref.kind} in ${ref.apiVersion} is served`);
    return t;
  }

  get(ref: KindRef, namespace: string, name: string): Obj | undefined {
    const t = this.typeOf(ref);
    const e = this.store.get(t.storage, keyOf(t.namespaced ? namespace : '', name));
    return e === undefined ? undefined : (JSON.parse(this.objectText(t, e)) as Obj);
  }

  list(ref: KindRef, namespace = ''): Obj[] {
    const t = this.typeOf(ref);
    const out: Obj[] = [];
    for (const k of this.store.sortedKeys(t.storage)) {
      const e = this.store.get(t.storage, k);
      if (e !== undefined && (namespace === '' || e.namespace === namespace)) out.push(JSON.parse(this.objectText(t, e)) as Obj);
    }
    return out;
  }

  create(obj: Obj, options: WriteOptions = {}): Obj {
    const t = this.typeOf({ apiVersion: String(obj['apiVersion']), kind: String(obj['kind']) });
    const ns = t.namespaced ? String(meta(obj)['namespace'] ?? 'default') : '';
    return this.doCreate(t, ns, structuredClone(obj), options).obj;
  }

  update(obj: Obj, options: WriteOptions & { subresource?: 'status' } = {}): Obj {
    const t = this.typeOf({ apiVersion: String(obj['apiVersion']), kind: String(obj['kind']) });
    const m = meta(obj);
    const ns = t.namespaced ? String(m['namespace'] ?? 'default') : '';
    return this.doUpdate(t, ns, String(m['name'] ?? ''), structuredClone(obj), options, options.subresource).obj;
  }

  remove(ref: KindRef, namespace: string, name: string): boolean {
    const t = this.typeOf(ref);
    try {
      this.doDelete(t, t.namespaced ? namespace : '', name, {});
      return true;
    } catch (err) {
      if (err instanceof ApiError && err.code === 404) return false;
      throw err;
    }
  }

  expireHistory(): void {
    this.store.expireHistory();
  }

  dropWatches(options: { abrupt?: boolean } = {}): number {
    let n = 0;
    for (const w of this.watchers) {
      n++;
      if (options.abrupt === true) {
        this.closeWatcher(w);
        w.res.socket?.destroy();
      } else this.endWatch(w);
    }
    return n;
  }

  sendBookmarks(): void {
    for (const w of this.watchers) if (w.bookmarks) this.sendBookmark(w);
  }

  watchCount(): number {
    return this.watchers.size;
  }

  requestCounts(): Record<string, number> {
    return { ...this.counts };
  }

  // ---- serialization ---------------------------------------------------------------------

  /** The object as served at a type's version: apiVersion and kind first, then the stored body. */
  private objectText(t: ResourceType, e: Entry): string {
    return `{"apiVersion":"${apiVersionOf(t)}","kind":"${t.kind}",${e.body.slice(1)}`;
  }

  /** A list item: typed lists leave apiVersion/kind out of items, custom resource lists keep them. */
  private itemText(t: ResourceType, e: Entry): string {
    return t.crd === undefined ? e.body : this.objectText(t, e);
  }

  private tableColumns(t: ResourceType): Json[] {
    return t.printerColumns.map((c) => ({ name: c.name, type: c.type, format: c.format, description: c.description, priority: c.priority }));
  }

  private tableRow(t: ResourceType, e: Entry, mode: TableMode, now: number): Json {
    const obj = JSON.parse(this.objectText(t, e)) as Obj;
    const row: Obj = { cells: t.printerColumns.map((c) => c.cell(obj, now)) };
    if (mode === 'Object') row['object'] = obj;
    else if (mode === 'Metadata') row['object'] = { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj['metadata'] ?? {} };
    return row;
  }

  private tableText(t: ResourceType, entries: readonly Entry[], mode: TableMode, listMeta: Obj): string {
    const now = Date.now();
    return JSON.stringify({
      kind: 'Table',
      apiVersion: 'meta.k8s.io/v1',
      metadata: listMeta,
      columnDefinitions: this.tableColumns(t),
      rows: entries.map((e) => this.tableRow(t, e, mode, now)),
    });
  }

  // ---- writes ----------------------------------------------------------------------------

  private prepareContext(): PrepareContext {
    return {
      allocateClusterIp: (family) => {
        for (let i = 0; i < 1 << 20; i++) {
          const n = family === 'IPv4' ? this.nextIpv4++ : this.nextIpv6++;
          const ip = family === 'IPv4' ? `10.${96 + ((n >> 16) & 15)}.${(n >> 8) & 255}.${n & 255}` : `fd00:10:96::${n.toString(16)}`;
          if (family === 'IPv4' && n >= 1 << 20) return undefined;
          if (!this.usedClusterIps.has(ip)) return ip;
        }
        return undefined;
      },
      allocateNodePort: () => {
        for (let i = 0; i < 2768; i++) {
          const p = this.nextNodePort;
          this.nextNodePort = p >= 32767 ? 30000 : p + 1;
          if (!this.usedNodePorts.has(p)) return p;
        }
        return undefined;
      },
    };
  }

  private reserveServiceAddresses(svc: Obj): void {
    const spec = isObject(svc['spec']) ? svc['spec'] : {};
    if (Array.isArray(spec['clusterIPs'])) for (const ip of spec['clusterIPs']) if (typeof ip === 'string' && ip !== 'None') this.usedClusterIps.add(ip);
    if (Array.isArray(spec['ports'])) for (const p of spec['ports']) if (isObject(p) && typeof p['nodePort'] === 'number') this.usedNodePorts.add(p['nodePort']);
    if (typeof spec['healthCheckNodePort'] === 'number') this.usedNodePorts.add(spec['healthCheckNodePort']);
  }

  private releaseServiceAddresses(svc: Obj): void {
    const spec = isObject(svc['spec']) ? svc['spec'] : {};
    if (Array.isArray(spec['clusterIPs'])) for (const ip of spec['clusterIPs']) if (typeof ip === 'string') this.usedClusterIps.delete(ip);
    if (Array.isArray(spec['ports'])) for (const p of spec['ports']) if (isObject(p) && typeof p['nodePort'] === 'number') this.usedNodePorts.delete(p['nodePort']);
    if (typeof spec['healthCheckNodePort'] === 'number') this.usedNodePorts.delete(spec['healthCheckNodePort']);
  }

  /** Checks apiVersion/kind of a body against the endpoint it was sent to, and fills them in. */
  private checkTypeMeta(t: ResourceType, obj: Obj): void {
    const kind = obj['kind'];
    const apiVersion = obj['apiVersion'];
    if (kind !== undefined && kind !== t.kind) throw badRequest(`the object provided is unrecognized (must be of type ${t.kind}): kind ${String(kind)} in ${String(apiVersion)}`);
    if (apiVersion !== undefined && apiVersion !== apiVersionOf(t)) {
      // A custom resource of another served version of the same CRD is accepted (conversion None).
      const sibling = this.registry.byStorage(t.storage).some((s) => apiVersionOf(s) === apiVersion);
      if (!sibling) throw badRequest(`the API version in the data (${String(apiVersion)}) does not match the expected API version (${apiVersionOf(t)})`);
    }
    obj['apiVersion'] = apiVersionOf(t);
    obj['kind'] = t.kind;
  }

  /** Applies the CRD schema (custom resources): prune, default, validate; unknown fields per fieldValidation. */
  private applySchema(t: ResourceType, obj: Obj, options: WriteOptions, warnings: string[]): { obj: Obj; errors: FieldError[] } {
    if (t.schema === undefined) return { obj, errors: [] };
    const r = applySchema(obj, t.schema);
    if (r.unknownFields.length > 0) {
      const mode = options.fieldValidation ?? 'Warn';
      if (mode === 'Strict') {
        const list = r.unknownFields.map((f) => `unknown field "${f}"`);
        throw badRequest(`${t.kind} in version "${t.version}" cannot be handled as a ${t.kind}: strict decoding error: ${list.join(', ')}`);
      }
      if (mode === 'Warn') for (const f of r.unknownFields) warnings.push(`unknown field "${f}"`);
    }
    return { obj: r.value as Obj, errors: r.errors };
  }

  private metadataErrors(t: ResourceType, obj: Obj): FieldError[] {
    const m = meta(obj);
    const name = m['name'];
    if (typeof name !== 'string' || name === '') return [required('metadata.name', 'name or generateName is required')];
    const errors = nameErrors(name, NAME_RULES[t.kind] ?? 'subdomain');
    for (const field of ['labels', 'annotations'] as const) {
      const v = m[field];
      if (v === undefined || v === null) continue;
      if (!isObject(v)) {
        errors.push(invalidValue(`metadata.${field}`, v, 'must be a map of strings'));
        continue;
      }
      for (const [k, x] of Object.entries(v)) if (typeof x !== 'string') errors.push(invalidValue(`metadata.${field}`, x, `value of ${k} must be a string`));
    }
    return errors;
  }

  private doCreate(t: ResourceType, namespace: string, obj: Obj, options: WriteOptions): { obj: Obj; warnings: string[] } {
    const warnings: string[] = [];
    if (!isObject(obj)) throw badRequest('the body of the request is not a JSON object');
    this.checkTypeMeta(t, obj);
    const m = meta(obj);
    if (t.namespaced) {
      if (m['namespace'] !== undefined && m['namespace'] !== '' && m['namespace'] !== namespace) {
        throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      m['namespace'] = namespace;
      // NamespaceLifecycle admission: the namespace must exist.
      if (this.store.get('/namespaces', namespace) === undefined) throw notFound({ group: '', plural: 'namespaces', kind: 'Namespace' }, namespace);
    } else delete m['namespace'];
    if ((m['name'] === undefined || m['name'] === '') && typeof m['generateName'] === 'string' && m['generateName'] !== '') {
      // names.SimpleNameGenerator: the prefix (cut to fit) and five random characters.
      const prefix = m['generateName'].slice(0, 58);
      let name = '';
      do {
        let suffix = '';
        for (let i = 0; i < 5; i++) suffix += GENERATE_ALPHABET[Math.floor(Math.random() * GENERATE_ALPHABET.length)];
        name = `${prefix}${suffix}`;
      } while (this.store.get(t.storage, keyOf(namespace, name)) !== undefined);
      m['name'] = name;
    }
    // The server owns these: whatever the client sent is replaced.
    delete m['resourceVersion'];
    delete m['deletionTimestamp'];
    delete m['deletionGracePeriodSeconds'];
    delete m['managedFields'];
    delete m['selfLink'];
    if (t.statusSubresource && !t.keepStatusOnCreate) {
      if (t.kind === 'Service') obj['status'] = { loadBalancer: {} };
      else delete obj['status'];
    }
    const schema = this.applySchema(t, obj, options, warnings);
    obj = schema.obj;
    const errors = this.metadataErrors(t, obj);
    for (const e of schema.errors) errors.push(e);
    if (t.prepare !== undefined && errors.length === 0) for (const e of t.prepare(obj, undefined, this.prepareContext())) errors.push(e);
    const name = String(meta(obj)['name'] ?? '');
    if (errors.length > 0) throw invalid(t, name, errors);
    if (this.store.get(t.storage, keyOf(namespace, name)) !== undefined) throw alreadyExists(t, name);
    const m2 = meta(obj);
    m2['uid'] = randomUUID();
    m2['creationTimestamp'] = nowRfc3339();
    if (t.generation) m2['generation'] = 1;
    else delete m2['generation'];
    if (t.kind === 'CustomResourceDefinition') this.crdCreating(obj);
    if (options.dryRun === true) return { obj, warnings };
    const rv = this.store.nextResourceVersion();
    m2['resourceVersion'] = String(rv);
    this.store.put(t.storage, entryOf(obj, rv));
    if (t.kind === 'Service') this.reserveServiceAddresses(obj);
    if (t.kind === 'CustomResourceDefinition') for (const ct of crdResourceTypes(obj)) this.registry.add(ct);
    return { obj, warnings };
  }

  /** A new CRD is accepted and established at once (the real server's controllers do it within moments). */
  private crdCreating(crd: Obj): void {
    const spec = crd['spec'] as Obj;
    const names = spec['names'] as Obj;
    const now = nowRfc3339();
    const versions = (spec['versions'] as Json[]).filter(isObject);
    crd['status'] = {
      acceptedNames: { ...names },
      conditions: [
        { type: 'NamesAccepted', status: 'True', lastTransitionTime: now, reason: 'NoConflicts', message: 'no conflicts found' },
        { type: 'Established', status: 'True', lastTransitionTime: now, reason: 'InitialNamesAccepted', message: 'the initial names have been accepted' },
      ],
      storedVersions: versions.filter((v) => v['storage'] === true).map((v) => v['name'] ?? ''),
    };
  }

  private current(t: ResourceType, namespace: string, name: string): Obj {
    const e = this.store.get(t.storage, keyOf(namespace, name));
    if (e === undefined) throw notFound(t, name);
    return JSON.parse(this.objectText(t, e)) as Obj;
  }

  private doUpdate(t: ResourceType, namespace: string, name: string, obj: Obj, options: WriteOptions, subresource: string | undefined): { obj: Obj; warnings: string[]; created: boolean } {
    if (!isObject(obj)) throw badRequest('the body of the request is not a JSON object');
    this.checkTypeMeta(t, obj);
    const m = meta(obj);
    if (m['name'] !== undefined && m['name'] !== name) throw badRequest(`the name of the object (${String(m['name'])}) does not match the name on the URL (${name})`);
    m['name'] = name;
    if (t.namespaced) {
      if (m['namespace'] !== undefined && m['namespace'] !== '' && m['namespace'] !== namespace) {
        throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      m['namespace'] = namespace;
    }
    const e = this.store.get(t.storage, keyOf(namespace, name));
    if (e === undefined) {
      if (t.createOnUpdate && subresource === undefined) {
        const r = this.doCreate(t, namespace, obj, options);
        return { ...r, created: true };
      }
      throw notFound(t, name);
    }
    const old = JSON.parse(this.objectText(t, e)) as Obj;
    const rv = m['resourceVersion'];
    if (rv === undefined || rv === '') {
      if (!t.unconditionalUpdate) throw invalid(t, name, [invalidValue('metadata.resourceVersion', 0, 'must be specified for an update')]);
    } else if (String(rv) !== String(e.rv)) {
      throw conflict(t, name);
    }
    return { ...this.replace(t, old, obj, options, subresource), created: false };
  }

  /** Stores `next` in place of `old` (same key), with the update rules of the kind and subresource. */
  private replace(t: ResourceType, old: Obj, next: Obj, options: WriteOptions, subresource: string | undefined): { obj: Obj; warnings: string[] } {
    const warnings: string[] = [];
    const oldMeta = meta(old);
    let obj: Obj;
    if (subresource === 'status') {
      // The status subresource changes status only (metadata and spec are the stored ones).
      obj = { ...old };
      if (next['status'] === undefined) delete obj['status'];
      else obj['status'] = next['status'];
      obj['metadata'] = { ...oldMeta };
    } else {
      obj = next;
      if (t.statusSubresource) {
        if (old['status'] === undefined) delete obj['status'];
        else obj['status'] = old['status'];
      }
      const m = meta(obj);
      // Immutable or server-owned metadata.
      for (const k of ['uid', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'generation']) {
        if (oldMeta[k] === undefined) delete m[k];
        else m[k] = oldMeta[k] as Json;
      }
      delete m['managedFields'];
      delete m['selfLink'];
    }
    const schema = this.applySchema(t, obj, options, warnings);
    obj = schema.obj;
    const errors = this.metadataErrors(t, obj);
    for (const e of schema.errors) errors.push(e);
    const name = String(oldMeta['name']);
    if (t.prepare !== undefined && errors.length === 0 && subresource === undefined) for (const e of t.prepare(obj, old, this.prepareContext())) errors.push(e);
    if (t.kind === 'CustomResourceDefinition' && subresource === undefined && errors.length === 0) {
      const os = old['spec'] as Obj;
      const ns = obj['spec'] as Obj;
      if (os['group'] !== ns['group']) errors.push(invalidValue('spec.group', ns['group'] ?? null, 'field is immutable'));
      if (os['scope'] !== ns['scope']) errors.push(invalidValue('spec.scope', ns['scope'] ?? null, 'field is immutable'));
      if (errors.length === 0) {
        obj['status'] = old['status'] ?? null;
        this.crdCreating(obj);
      }
    }
    if (errors.length > 0) throw invalid(t, name, errors);
    const m = meta(obj);
    if (t.generation && subresource === undefined) {
      const gen = typeof oldMeta['generation'] === 'number' ? oldMeta['generation'] : 1;
      m['generation'] = specPart(obj, t) === specPart(old, t) ? gen : gen + 1;
    }
    m['resourceVersion'] = oldMeta['resourceVersion'] ?? null;
    if (contentOf(obj) === contentOf(old)) return { obj: old, warnings };
    // An object being deleted goes once its last finalizer is removed.
    const finalizers = m['finalizers'];
    const gone = m['deletionTimestamp'] !== undefined && (!Array.isArray(finalizers) || finalizers.length === 0);
    if (options.dryRun === true) return { obj, warnings };
    const rv = this.store.nextResourceVersion();
    m['resourceVersion'] = String(rv);
    if (gone) {
      this.finishDelete(t, obj, rv);
      return { obj, warnings };
    }
    this.store.put(t.storage, entryOf(obj, rv));
    if (t.kind === 'Service') {
      this.releaseServiceAddresses(old);
      this.reserveServiceAddresses(obj);
    }
    if (t.kind === 'CustomResourceDefinition' && subresource === undefined) {
      this.registry.removeCrd(name);
      for (const ct of crdResourceTypes(obj)) this.registry.add(ct);
    }
    return { obj, warnings };
  }

  private doPatch(t: ResourceType, namespace: string, name: string, contentType: string, text: string, options: WriteOptions, subresource: string | undefined): { obj: Obj; warnings: string[] } {
    if (contentType === 'application/apply-patch+yaml') {
      throw unsupportedMediaType(
        'server-side apply (application/apply-patch+yaml) is not implemented by this API server double; use client-side apply (kubectl apply without --server-side), or a merge, JSON or strategic merge patch',
      );
    }
    const kinds = ['application/json-patch+json', 'application/merge-patch+json'];
    if (t.strategies !== undefined) kinds.push('application/strategic-merge-patch+json');
    if (!kinds.includes(contentType)) {
      throw unsupportedMediaType(`the body of the request was in an unknown format - accepted media types include: ${kinds.join(', ')}, application/apply-patch+yaml`);
    }
    const old = this.current(t, namespace, name);
    let patch: Json;
    try {
      patch = JSON.parse(text) as Json;
    } catch (err) {
      throw badRequest(`error decoding patch: ${(err as Error).message}`);
    }
    let next: Json;
    try {
      if (contentType === 'application/json-patch+json') next = jsonPatch(old, patch);
      else if (contentType === 'application/merge-patch+json') {
        if (!isObject(patch)) throw new PatchError('a merge patch must be a JSON object', true);
        next = mergePatch(structuredClone(old), patch);
      } else {
        if (!isObject(patch)) throw new PatchError('a strategic merge patch must be a JSON object', true);
        next = strategicMergePatch(structuredClone(old), patch, t.strategies ?? new Map());
      }
    } catch (err) {
      if (err instanceof PatchError) {
        if (err.malformed) throw badRequest(err.message);
        throw new ApiError(422, 'Invalid', err.message);
      }
      throw err;
    }
    if (!isObject(next)) throw badRequest('the patch does not give an object');
    const m = meta(next);
    // A resourceVersion in the patch is a precondition; without one the patch applies to the current object.
    const rv = m['resourceVersion'];
    const oldRv = meta(old)['resourceVersion'];
    if (rv !== undefined && rv !== null && String(rv) !== String(oldRv)) throw conflict(t, name);
    const uid = m['uid'];
    if (uid !== undefined && uid !== meta(old)['uid']) throw conflict(t, name);
    m['resourceVersion'] = oldRv ?? null;
    if (m['name'] !== name) throw badRequest(`the name of the object (${String(m['name'])}) does not match the name on the URL (${name})`);
    this.checkTypeMeta(t, next);
    return this.replace(t, old, next, options, subresource);
  }

  private doDelete(t: ResourceType, namespace: string, name: string, options: { dryRun?: boolean; uid?: string; resourceVersion?: string }): { obj: Obj; deleted: boolean } {
    const old = this.current(t, namespace, name);
    const m = meta(old);
    if (options.uid !== undefined && options.uid !== m['uid']) {
      throw new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${t.group === '' ? t.plural : `${t.plural}.${t.group}`} "${name}": Precondition failed: UID in precondition: ${options.uid}, UID in object meta: ${String(m['uid'])}`, { name, ...(t.group !== '' ? { group: t.group } : {}), kind: t.plural });
    }
    if (options.resourceVersion !== undefined && options.resourceVersion !== m['resourceVersion']) {
      throw new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${t.group === '' ? t.plural : `${t.plural}.${t.group}`} "${name}": Precondition failed: ResourceVersion in precondition: ${options.resourceVersion}, ResourceVersion in object meta: ${String(m['resourceVersion'])}`, { name, ...(t.group !== '' ? { group: t.group } : {}), kind: t.plural });
    }
    if (options.dryRun === true) return { obj: old, deleted: true };
    const finalizers = m['finalizers'];
    if (Array.isArray(finalizers) && finalizers.length > 0 && t.kind !== 'Namespace') {
      // Graceful deletion: the object stays, marked, until its finalizers are removed.
      if (m['deletionTimestamp'] !== undefined) return { obj: old, deleted: false };
      m['deletionTimestamp'] = nowRfc3339();
      m['deletionGracePeriodSeconds'] = 0;
      const rv = this.store.nextResourceVersion();
      m['resourceVersion'] = String(rv);
      this.store.put(t.storage, entryOf(old, rv));
      return { obj: old, deleted: false };
    }
    if (t.kind === 'Namespace') {
      // The namespace controller's work, done at once: everything in the namespace goes first.
      for (const rt of this.storagesNamespaced()) {
        const keys = this.store.sortedKeys(rt.storage).slice();
        for (const k of keys) {
          const e = this.store.get(rt.storage, k);
          if (e !== undefined && e.namespace === name) {
            const o = JSON.parse(this.objectText(rt, e)) as Obj;
            meta(o)['finalizers'] = null;
            delete meta(o)['finalizers'];
            this.finishDelete(rt, o, this.store.nextResourceVersion());
          }
        }
      }
    }
    if (t.kind === 'CustomResourceDefinition') {
      const storage = `${String((old['spec'] as Obj)['group'])}/${String(((old['spec'] as Obj)['names'] as Obj)['plural'])}`;
      const rt = this.registry.byStorage(storage)[0];
      if (rt !== undefined) {
        const keys = this.store.sortedKeys(storage).slice();
        for (const k of keys) {
          const e = this.store.get(storage, k);
          if (e !== undefined) this.finishDelete(rt, JSON.parse(this.objectText(rt, e)) as Obj, this.store.nextResourceVersion());
        }
      }
      this.registry.removeCrd(name);
      this.store.dropStorage(storage);
    }
    const rv = this.store.nextResourceVersion();
    this.finishDelete(t, old, rv);
    return { obj: old, deleted: true };
  }

  /** One type per namespaced storage. */
  private storagesNamespaced(): ResourceType[] {
    const seen = new Map<string, ResourceType>();
    for (const t of this.registry.all()) if (t.namespaced && !seen.has(t.storage)) seen.set(t.storage, t);
    return Array.from(seen.values());
  }

  private finishDelete(t: ResourceType, obj: Obj, rv: number): void {
    meta(obj)['resourceVersion'] = String(rv);
    this.store.remove(t.storage, entryOf(obj, rv));
    if (t.kind === 'Service') this.releaseServiceAddresses(obj);
  }

  // ---- HTTP ------------------------------------------------------------------------------

  private count(verb: string): void {
    this.counts[verb] = (this.counts[verb] ?? 0) + 1;
  }

  private fail(res: ServerResponse, err: unknown): void {
    const e = err instanceof ApiError ? err : new ApiError(500, 'InternalError', `Internal error occurred: ${(err as Error)?.message ?? String(err)}`);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    this.send(res, e.code, JSON.stringify(e.toStatus()));
  }

  private send(res: ServerResponse, code: number, body: string, warnings: readonly string[] = []): void {
    const headers: Record<string, string | string[]> = { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' };
    if (warnings.length > 0) headers['Warning'] = warnings.map((w) => `299 - ${JSON.stringify(w)}`);
    res.writeHead(code, headers);
    res.end(body);
  }

  private async readBody(req: IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req) {
      const b = c as Buffer;
      size += b.length;
      if (size > 3 * 1024 * 1024) throw new ApiError(413, 'RequestEntityTooLarge', 'Request entity too large: limit is 3145728');
      chunks.push(b);
    }
    return Buffer.concat(chunks).toString('utf8');
  }

  /** Decodes a create/update body (JSON, or YAML as the real server also accepts). */
  private decode(req: IncomingMessage, text: string): Obj {
    const type = (req.headers['content-type'] ?? 'application/json').split(';')[0]?.trim() ?? '';
    let v: unknown;
    try {
      if (type === 'application/json' || type === '') v = JSON.parse(text);
      else if (type === 'application/yaml' || type === 'application/x-yaml' || type === 'text/yaml') v = parseYaml(text);
      else throw unsupportedMediaType(`the body of the request was in an unknown format - accepted media types include: application/json, application/yaml`);
    } catch (err) {
      if (err instanceof ApiError) throw err;
      throw badRequest(`Object 'Kind' is missing in '${text.slice(0, 200)}'`);
    }
    if (!isObject(v)) throw badRequest(`Object 'Kind' is missing in '${text.slice(0, 200)}'`);
    return v;
  }

  private writeOptions(q: Query): WriteOptions {
    const dryRun = q.get('dryRun');
    if (dryRun !== null && dryRun !== 'All') throw badRequest(`Invalid value: "${dryRun}": supported values: "All"`);
    const fv = q.get('fieldValidation');
    if (fv !== null && fv !== 'Strict' && fv !== 'Warn' && fv !== 'Ignore') throw badRequest(`fieldValidation: Unsupported value: "${fv}": supported values: "Ignore", "Strict", "Warn"`);
    return { ...(dryRun === 'All' ? { dryRun: true } : {}), ...(fv !== null ? { fieldValidation: fv } : {}) };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://double');
    const segs = url.pathname.split('/').filter((s) => s !== '').map((s) => decodeURIComponent(s));
    const method = req.method ?? 'GET';
    const q = url.searchParams;
    if (segs.length === 0) return this.sendJson(res, { paths: ['/api', '/api/v1', '/apis', '/healthz', '/livez', '/openapi/v3', '/readyz', '/version'] });
    if (segs[0] === 'healthz' || segs[0] === 'livez' || segs[0] === 'readyz') {
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('ok');
      return;
    }
    if (segs[0] === 'version' && segs.length === 1) return this.sendJson(res, this.version());
    if (segs[0] === 'openapi') return this.openapi(res, segs, req);
    if (segs[0] === 'api') {
      if (segs.length === 1) return this.sendJson(res, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: req.headers.host ?? '' }] });
      if (segs[1] !== 'v1') throw pathNotFound();
      if (segs.length === 2) return this.resourceList(res, '', 'v1');
      return this.resource(req, res, '', 'v1', segs.slice(2), q, method);
    }
    if (segs[0] === 'apis') {
      if (segs.length === 1) return this.sendJson(res, this.groupList());
      const group = segs[1] ?? '';
      if (segs.length === 2) {
        const g = this.groupList().groups.find((x) => x.name === group);
        if (g === undefined) throw pathNotFound();
        return this.sendJson(res, { kind: 'APIGroup', apiVersion: 'v1', ...g });
      }
      const version = segs[2] ?? '';
      if (this.registry.inGroupVersion(group, version).length === 0) throw pathNotFound();
      if (segs.length === 3) return this.resourceList(res, group, version);
      return this.resource(req, res, group, version, segs.slice(3), q, method);
    }
    throw pathNotFound();
  }

  private sendJson(res: ServerResponse, v: unknown, code = 200): void {
    this.send(res, code, JSON.stringify(v));
  }

  private version(): Obj {
    const gitVersion = this.options.gitVersion ?? 'v1.32.0';
    const m = /^v(\d+)\.(\d+)/.exec(gitVersion);
    return {
      major: m?.[1] ?? '1',
      minor: m?.[2] ?? '32',
      gitVersion,
      gitCommit: '0000000000000000000000000000000000000000',
      gitTreeState: 'clean',
      buildDate: '2024-12-11T00:00:00Z',
      goVersion: 'go1.23.4',
      compiler: 'gc',
      platform: `linux/${process.arch === 'x64' ? 'amd64' : process.arch}`,
    };
  }

  private groupList(): { kind: string; apiVersion: string; groups: Array<{ name: string; versions: Obj[]; preferredVersion: Obj }> } {
    const groups: Array<{ name: string; versions: Obj[]; preferredVersion: Obj }> = [];
    for (const [name, versions] of this.registry.groups()) {
      if (name === '') continue;
      const vs = versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v }));
      groups.push({ name, versions: vs, preferredVersion: vs[0] ?? {} });
    }
    return { kind: 'APIGroupList', apiVersion: 'v1', groups };
  }

  private resourceList(res: ServerResponse, group: string, version: string): void {
    const resources: Obj[] = [];
    for (const t of this.registry.inGroupVersion(group, version)) {
      const verbs = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
      const r: Obj = { name: t.plural, singularName: t.singular, namespaced: t.namespaced, kind: t.kind, verbs };
      if (t.shortNames.length > 0) r['shortNames'] = [...t.shortNames];
      if (t.categories.length > 0) r['categories'] = [...t.categories];
      if (t.crd !== undefined) r['storageVersionHash'] = Buffer.from(t.storage).toString('base64').slice(0, 11);
      resources.push(r);
      if (t.statusSubresource) resources.push({ name: `${t.plural}/status`, singularName: '', namespaced: t.namespaced, kind: t.kind, verbs: ['get', 'patch', 'update'] });
    }
    this.sendJson(res, { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group === '' ? version : `${group}/${version}`, resources });
  }

  private openapi(res: ServerResponse, segs: string[], _req: IncomingMessage): void {
    if (segs[1] !== 'v3') throw pathNotFound();
    if (segs.length === 2) {
      const docs = new Map<string, string>();
      for (const gv of this.registryGroupVersions()) docs.set(gv, JSON.stringify(openApiV3Document(gv, this.typesOfGroupVersionPath(gv) ?? [])));
      return this.sendJson(res, { paths: openApiV3Paths(docs) });
    }
    const gv = segs.slice(2).join('/');
    const types = this.typesOfGroupVersionPath(gv);
    if (types === undefined) throw pathNotFound();
    this.sendJson(res, openApiV3Document(gv, types));
  }

  private registryGroupVersions(): string[] {
    const out: string[] = [];
    for (const [g, vs] of this.registry.groups()) for (const v of vs) out.push(g === '' ? `api/${v}` : `apis/${g}/${v}`);
    return out;
  }

  private typesOfGroupVersionPath(gv: string): ResourceType[] | undefined {
    const parts = gv.split('/');
    if (parts[0] === 'api' && parts.length === 2) return this.registry.inGroupVersion('', parts[1] ?? '');
    if (parts[0] === 'apis' && parts.length === 3) {
      const ts = this.registry.inGroupVersion(parts[1] ?? '', parts[2] ?? '');
      return ts.length > 0 ? ts : undefined;
    }
    return undefined;
  }

  /** Resolves `[namespaces, ns,] plural [, name [, subresource]]` (with a leading legacy `watch`). */
  private resolve(group: string, version: string, rest: string[]): { target: Target; legacyWatch: boolean } {
    let legacyWatch = false;
    if (rest[0] === 'watch') {
      legacyWatch = true;
      rest = rest.slice(1);
    }
    let namespace = '';
    let plural: string;
    let name: string | undefined;
    let sub: string | undefined;
    if (rest[0] === 'namespaces' && rest.length >= 3 && !(group === '' && rest.length === 3 && (rest[2] === 'status' || rest[2] === 'finalize'))) {
      namespace = rest[1] ?? '';
      plural = rest[2] ?? '';
      name = rest[3];
      sub = rest[4];
      if (rest.length > 5) throw pathNotFound();
    } else {
      plural = rest[0] ?? '';
      name = rest[1];
      sub = rest[2];
      if (rest.length > 3) throw pathNotFound();
    }
    const t = this.registry.find(group, version, plural);
    if (t === undefined) throw pathNotFound();
    if (namespace !== '' && !t.namespaced) throw pathNotFound();
    if (t.namespaced && namespace === '' && name !== undefined) throw pathNotFound();
    if (sub !== undefined && !(sub === 'status' && t.statusSubresource)) throw pathNotFound();
    return { target: { t, namespace, name, subresource: sub }, legacyWatch };
  }

  private async resource(req: IncomingMessage, res: ServerResponse, group: string, version: string, rest: string[], q: URLSearchParams, method: string): Promise<void> {
    const { target, legacyWatch } = this.resolve(group, version, rest);
    const { t, namespace, name, subresource } = target;
    const tableMode = this.tableMode(req, q);
    if (name === undefined) {
      if (method === 'GET') {
        const watch = legacyWatch || queryBool(q, 'watch');
        if (watch) return this.watch(req, res, t, namespace, q, tableMode);
        return this.serveList(res, t, namespace, q, tableMode);
      }
      if (legacyWatch) throw methodNotSupported(t, method);
      if (method === 'POST') {
        this.count('create');
        if (t.namespaced && namespace === '') throw methodNotSupported(t, 'create');
        const body = this.decode(req, await this.readBody(req));
        const r = this.doCreate(t, namespace, body, this.writeOptions(q));
        return this.send(res, 201, JSON.stringify(r.obj), r.warnings);
      }
      if (method === 'DELETE') return this.deleteCollection(req, res, t, namespace, q);
      throw methodNotSupported(t, method);
    }
    if (legacyWatch) {
      if (method !== 'GET') throw methodNotSupported(t, method);
      const fq = new URLSearchParams(q);
      const sel = q.get('fieldSelector');
      fq.set('fieldSelector', sel === null || sel === '' ? `metadata.name=${name}` : `${sel},metadata.name=${name}`);
      return this.watch(req, res, t, namespace, fq, tableMode);
    }
    switch (method) {
      case 'GET': {
        this.count('get');
        const e = this.store.get(t.storage, keyOf(namespace, name));
        if (e === undefined) throw notFound(t, name);
        if (tableMode !== undefined) return this.send(res, 200, this.tableText(t, [e], tableMode, { resourceVersion: String(e.rv) }));
        return this.send(res, 200, this.objectText(t, e));
      }
      case 'PUT': {
        this.count('update');
        const body = this.decode(req, await this.readBody(req));
        const r = this.doUpdate(t, namespace, name, body, this.writeOptions(q), subresource);
        return this.send(res, r.created ? 201 : 200, JSON.stringify(r.obj), r.warnings);
      }
      case 'PATCH': {
        this.count('patch');
        const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim() ?? '';
        const text = await this.readBody(req);
        const r = this.doPatch(t, namespace, name, type, text, this.writeOptions(q), subresource);
        return this.send(res, 200, JSON.stringify(r.obj), r.warnings);
      }
      case 'DELETE': {
        if (subresource !== undefined) throw methodNotSupported(t, method);
        this.count('delete');
        const text = await this.readBody(req);
        const opts = this.deleteOptions(text, q);
        const r = this.doDelete(t, namespace, name, opts);
        if (!r.deleted || t.returnDeletedObject) return this.send(res, 200, JSON.stringify(r.obj));
        const uid = meta(r.obj)['uid'];
        return this.sendJson(res, {
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Success',
          details: { name, ...(t.group !== '' ? { group: t.group } : {}), kind: t.plural, uid },
        });
      }
      default:
        throw methodNotSupported(t, method);
    }
  }

  private deleteOptions(text: string, q: URLSearchParams): { dryRun?: boolean; uid?: string; resourceVersion?: string } {
    const out: { dryRun?: boolean; uid?: string; resourceVersion?: string } = {};
    if (q.get('dryRun') === 'All') out.dryRun = true;
    if (text.trim() === '') return out;
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw badRequest('the body of the request is not a valid DeleteOptions');
    }
    if (!isObject(body)) return out;
    const pre = body['preconditions'];
    if (isObject(pre)) {
      if (typeof pre['uid'] === 'string') out.uid = pre['uid'];
      if (typeof pre['resourceVersion'] === 'string') out.resourceVersion = pre['resourceVersion'];
    }
    if (Array.isArray(body['dryRun']) && body['dryRun'].includes('All')) out.dryRun = true;
    return out;
  }

  private tableMode(req: IncomingMessage, q: URLSearchParams): TableMode | undefined {
    const accept = req.headers['accept'] ?? '';
    // The first acceptable type wins: `application/json;as=Table;v=v1;g=meta.k8s.io, application/json`.
    for (const part of accept.split(',')) {
      const params = part.split(';').map((s) => s.trim());
      const type = params[0] ?? '';
      if (type !== 'application/json' && type !== '*/*') continue;
      const as = params.find((p) => p.startsWith('as='));
      if (as === undefined) return undefined;
      if (as === 'as=Table' && params.includes('g=meta.k8s.io') && (params.includes('v=v1') || params.includes('v=v1beta1'))) {
        const io = q.get('includeObject');
        return io === 'None' || io === 'Object' ? io : 'Metadata';
      }
    }
    return undefined;
  }

  private selectors(t: ResourceType, q: Query): { labels: LabelSelector; fields: FieldSelector } {
    const supported = new Set<string>(['metadata.name', 'metadata.namespace']);
    for (const f of t.fieldSelectors) supported.add(f);
    return {
      labels: parseLabelSelector(q.get('labelSelector') ?? ''),
      fields: parseFieldSelector(q.get('fieldSelector') ?? '', supported),
    };
  }

  private matches(t: ResourceType, e: Entry, namespace: string, labels: LabelSelector, fields: FieldSelector): boolean {
    if (namespace !== '' && e.namespace !== namespace) return false;
    if (!matchesLabels(labels, e.labels)) return false;
    if (fields.requirements.length === 0) return true;
    let parsed: Obj | undefined;
    return matchesFields(fields, (f) => {
      if (f === 'metadata.name') return e.name;
      if (f === 'metadata.namespace') return e.namespace;
      parsed ??= JSON.parse(e.body) as Obj;
      return fieldValue(parsed, f);
    });
  }

  private serveList(res: ServerResponse, t: ResourceType, namespace: string, q: URLSearchParams, tableMode: TableMode | undefined): void {
    this.count('list');
    const { labels, fields } = this.selectors(t, q);
    const current = this.store.resourceVersion;
    const rvParam = q.get('resourceVersion');
    const rvMatch = q.get('resourceVersionMatch');
    if (rvMatch !== null && rvMatch !== 'NotOlderThan' && rvMatch !== 'Exact') throw badRequest(`resourceVersionMatch: Unsupported value: "${rvMatch}": supported values: "Exact", "NotOlderThan"`);
    if (rvMatch !== null && (rvParam === null || rvParam === '')) throw badRequest('resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided');
    if (rvParam !== null && rvParam !== '' && rvParam !== '0') {
      if (!/^\d+$/.test(rvParam)) throw badRequest(`resourceVersion: Invalid value: "${rvParam}": must be a valid resource version`);
      const n = Number(rvParam);
      if (n > current) {
        throw new ApiError(504, 'Timeout', `Too large resource version: ${n}, current: ${current}`, { causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }], retryAfterSeconds: 1 });
      }
      if (rvMatch === 'Exact' && n !== current) {
        // Serving an older snapshot needs etcd's MVCC; the double only has the present (README.md).
        throw expired(`too old resource version: ${n} (${current})`);
      }
    }
    let limit = Number(q.get('limit') ?? '0');
    if (!Number.isInteger(limit) || limit < 0) limit = 0;
    let start = '';
    let listRv = current;
    const cont = q.get('continue');
    if (cont !== null && cont !== '') {
      let token: { v?: string; rv?: number; start?: string };
      try {
        token = JSON.parse(Buffer.from(cont, 'base64').toString('utf8')) as typeof token;
      } catch {
        throw badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
      }
      if (token.v !== 'meta.k8s.io/v1' || typeof token.rv !== 'number' || typeof token.start !== 'string') throw badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
      if (token.rv < this.store.tooOldBelow) {
        throw expired('The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.');
      }
      start = token.start;
      listRv = token.rv;
    }
    const keys = this.store.sortedKeys(t.storage);
    // Binary search for the first key >= start (keys of one namespace are contiguous, `ns/` prefix).
    let lo = 0;
    let hi = keys.length;
    const from = start !== '' ? start : namespace !== '' ? `${namespace}/` : '';
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((keys[mid] ?? '') < from) lo = mid + 1;
      else hi = mid;
    }
    const items: Entry[] = [];
    let next: string | undefined;
    let remaining = 0;
    const prefix = namespace !== '' ? `${namespace}/` : '';
    for (let i = lo; i < keys.length; i++) {
      const k = keys[i] ?? '';
      if (prefix !== '' && !k.startsWith(prefix)) break;
      const e = this.store.get(t.storage, k);
      if (e === undefined || !this.matches(t, e, namespace, labels, fields)) continue;
      if (limit > 0 && items.length >= limit) {
        next = k;
        if (labels.requirements.length === 0 && fields.requirements.length === 0) {
          for (let j = i; j < keys.length && (prefix === '' || (keys[j] ?? '').startsWith(prefix)); j++) remaining++;
        }
        break;
      }
      items.push(e);
    }
    const listMeta: Obj = { resourceVersion: String(listRv) };
    if (next !== undefined) {
      listMeta['continue'] = Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: listRv, start: next })).toString('base64');
      if (remaining > 0) listMeta['remainingItemCount'] = remaining;
    }
    if (tableMode !== undefined) return this.send(res, 200, this.tableText(t, items, tableMode, listMeta));
    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
    const listKind = `${t.kind}List`;
    res.write(`{"kind":"${listKind}","apiVersion":"${apiVersionOf(t)}","metadata":${JSON.stringify(listMeta)},"items":[`);
    // Written in slices so a list of 100 000 objects never becomes one string.
    const SLICE = 1000;
    for (let i = 0; i < items.length; i += SLICE) {
      const parts: string[] = [];
      for (let j = i; j < Math.min(items.length, i + SLICE); j++) parts.push(this.itemText(t, items[j] as Entry));
      res.write(`${i > 0 ? ',' : ''}${parts.join(',')}`);
    }
    res.end(']}');
  }

  private deleteCollection(req: IncomingMessage, res: ServerResponse, t: ResourceType, namespace: string, q: URLSearchParams): void {
    this.count('deletecollection');
    void req;
    const { labels, fields } = this.selectors(t, q);
    const deleted: Entry[] = [];
    for (const k of this.store.sortedKeys(t.storage).slice()) {
      const e = this.store.get(t.storage, k);
      if (e === undefined || !this.matches(t, e, namespace, labels, fields)) continue;
      const r = this.doDelete(t, e.namespace, e.name, q.get('dryRun') === 'All' ? { dryRun: true } : {});
      deleted.push(entryOf(r.obj, Number(meta(r.obj)['resourceVersion'] ?? 0)));
    }
    const parts = deleted.map((e) => this.itemText(t, e));
    this.send(res, 200, `{"kind":"${t.kind}List","apiVersion":"${apiVersionOf(t)}","metadata":{"resourceVersion":"${this.store.resourceVersion}"},"items":[${parts.join(',')}]}`);
  }

  // ---- watch -----------------------------------------------------------------------------

  private watch(req: IncomingMessage, res: ServerResponse, t: ResourceType, namespace: string, q: URLSearchParams, tableMode: TableMode | undefined): void {
    this.count('watch');
    const { labels, fields } = this.selectors(t, q);
    const rvParam = q.get('resourceVersion') ?? '';
    const sendInitial = q.get('sendInitialEvents');
    const bookmarks = queryBool(q, 'allowWatchBookmarks');
    if (sendInitial !== null && (q.get('resourceVersionMatch') !== 'NotOlderThan' || !bookmarks)) {
      throw invalid(t, '', [invalidValue('sendInitialEvents', sendInitial, 'sendInitialEvents is forbidden for watch unless resourceVersionMatch is NotOlderThan and allowWatchBookmarks is true')]);
    }
    if (rvParam !== '' && !/^\d+$/.test(rvParam)) throw badRequest(`resourceVersion: Invalid value: "${rvParam}": must be a valid resource version`);
    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
    res.flushHeaders();
    const w: Watcher = { t, namespace, labels, fields, res, table: tableMode, bookmarks, timers: [], closed: false, unsubscribe: () => undefined };
    const initial = queryBool(q, 'sendInitialEvents') || ((rvParam === '' || rvParam === '0') && sendInitial === null);
    if (rvParam !== '' && rvParam !== '0') {
      const n = Number(rvParam);
      if (n < this.store.oldestWatchable) {
        // The real server answers 200, then one ERROR event with a 410 Expired Status.
        const status = expired(`too old resource version: ${n} (${this.store.oldestWatchable + 1})`).toStatus();
        res.end(`{"type":"ERROR","object":${JSON.stringify(status)}}\n`);
        return;
      }
      if (!initial) for (const ev of this.store.eventsAfter(n)) if (ev.storage === t.storage) this.deliver(w, ev);
    }
    if (initial) {
      for (const k of this.store.sortedKeys(t.storage)) {
        const e = this.store.get(t.storage, k);
        if (e !== undefined && this.matches(t, e, namespace, labels, fields)) this.writeEvent(w, 'ADDED', e);
      }
      if (queryBool(q, 'sendInitialEvents')) this.sendBookmark(w, true);
    }
    this.watchers.add(w);
    w.unsubscribe = this.store.subscribe((ev) => {
      if (ev.storage === t.storage) this.deliver(w, ev);
    });
    const timeout = Number(q.get('timeoutSeconds') ?? '0');
    if (Number.isFinite(timeout) && timeout > 0) w.timers.push(setTimeout(() => this.endWatch(w), timeout * 1000));
    if (bookmarks) {
      const every = this.options.bookmarkIntervalMs ?? 60_000;
      const timer = setInterval(() => this.sendBookmark(w), every);
      timer.unref();
      w.timers.push(timer);
    }
    req.on('close', () => this.closeWatcher(w));
    res.on('close', () => this.closeWatcher(w));
  }

  /** Sends one stored change to a watcher, after its selectors (an object leaving the selection is DELETED for it). */
  private deliver(w: Watcher, ev: StoredEvent): void {
    const now = this.matches(w.t, ev.entry, w.namespace, w.labels, w.fields);
    if (ev.type === 'ADDED') {
      if (now) this.writeEvent(w, 'ADDED', ev.entry);
      return;
    }
    if (ev.type === 'DELETED') {
      if (now) this.writeEvent(w, 'DELETED', ev.entry);
      return;
    }
    const before = ev.prev !== undefined && this.matches(w.t, ev.prev, w.namespace, w.labels, w.fields);
    if (now && before) this.writeEvent(w, 'MODIFIED', ev.entry);
    else if (now) this.writeEvent(w, 'ADDED', ev.entry);
    else if (before && ev.prev !== undefined) {
      // The previous content with the event's resourceVersion, as the watch cache sends it.
      const o = JSON.parse(ev.prev.body) as Obj;
      meta(o)['resourceVersion'] = String(ev.rv);
      this.writeEvent(w, 'DELETED', entryOf(o, ev.rv));
    }
  }

  private writeEvent(w: Watcher, type: string, e: Entry): void {
    if (w.closed) return;
    const object = w.table !== undefined ? this.tableText(w.t, [e], w.table, { resourceVersion: String(e.rv) }) : this.objectText(w.t, e);
    w.res.write(`{"type":"${type}","object":${object}}\n`);
  }

  private sendBookmark(w: Watcher, initialEventsEnd = false): void {
    if (w.closed) return;
    const m: Obj = { resourceVersion: String(this.store.resourceVersion) };
    if (initialEventsEnd) m['annotations'] = { 'k8s.io/initial-events-end': 'true' };
    w.res.write(`{"type":"BOOKMARK","object":${JSON.stringify({ kind: w.t.kind, apiVersion: apiVersionOf(w.t), metadata: m })}}\n`);
  }

  private closeWatcher(w: Watcher): void {
    if (w.closed) return;
    w.closed = true;
    for (const timer of w.timers) clearTimeout(timer);
    w.unsubscribe();
    this.watchers.delete(w);
  }

  private endWatch(w: Watcher): void {
    this.closeWatcher(w);
    w.res.end();
  }
}

/** Starts the double and resolves once it listens. */
export async function startApiServer(options: ApiServerOptions = {}): Promise<ApiServerDouble> {
  const d = new Double(options);
  await d.listen();
  return d;
}
