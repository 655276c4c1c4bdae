/**
 * The cluster as the pipeline holds it: the last good version of every object, the configuration in
 * force, and the allocation, with the indexes that make a change cost what it touches.
 *
 * `apply(batch)` takes a batch of object changes (`src/model/cluster.ts`) and says what changed:
 * the configuration (applied, rejected, unchanged), the Node objects, and the services whose
 * object, allocation or endpoints changed, so the planners (`NodePlanner`) re-judge only those.
 *
 * Invariants:
 * - An object reported `invalid` keeps its last good version (or stays absent) and is listed in
 *   `invalidObjects()` until a valid version or a deletion arrives; nothing else is affected.
 * - A configuration that does not build keeps the last good one (`configStale`), and the issues of
 *   the failed build are kept for reports.
 * - The allocator is the incremental `Allocator`: built from every service once a first good
 *   configuration exists, then told of each service change (`upsert`/`remove`), a new configuration
 *   (`setPools`) or new namespace labels (`setNamespaces`).
 *
 * Pure: no I/O, no timers, no logging; the runtime logs what `apply` returns.
 */
import { Allocator } from '../allocator/allocator.js';
import type { AllocationEvent, AllocationResult, NamespaceLabels, PoolUsage, ServiceResult } from '../allocator/types.js';
import { buildConfig } from '../config/build.js';
import { resourcesFromObjects } from '../config/decode.js';
import type { Config, ConfigIssue } from '../config/types.js';
import type { ChangeBatch, ClusterObjectKind, ObjectIssue, ObjectOrigin, RawConfigObject } from '../model/cluster.js';
import type { EndpointSlice, Node, Service } from '../model/kubernetes.js';
import { joined } from '../model/validate.js';
import { SERVICE_NAME_LABEL } from '../speaker/endpoints.js';
import type { PlanSource, ServiceIps } from '../speaker/planner.js';

export interface ClusterStateOptions {
  /** Manifests without a cluster (MetalLB's ClusterIP rules relaxed; see the allocator's README). */
  readonly standalone: boolean;
  /** MetalLB's `--lb-class`. */
  readonly loadBalancerClass?: string;
}

/** What happened to the configuration in one batch. */
export type ConfigOutcome =
  | { readonly status: 'unchanged' }
  /** A new configuration is in force; `recovered` when the previous build had failed. */
  | { readonly status: 'applied'; readonly config: Config; readonly previous: Config | undefined; readonly recovered: boolean }
  /** The objects changed but the configuration did not (and the previous build had failed). */
  | { readonly status: 'recovered'; readonly config: Config }
  /** The new configuration does not build; the last good one (if any) stays. */
  | { readonly status: 'rejected'; readonly issues: readonly ConfigIssue[]; readonly keeping: boolean };

/** An object reported invalid, and whether a last good version of it stays in force. */
export interface InvalidObject {
  readonly kind: ClusterObjectKind;
  readonly key: string;
  readonly issues: readonly ObjectIssue[];
  readonly keptLastGood: boolean;
}

/** What one `apply` changed. */
export interface ClusterDelta {
  readonly config: ConfigOutcome;
  /** Names of Node objects added, changed or removed. */
  readonly nodes: ReadonlySet<string>;
  /** Services to re-plan: their object, allocation or endpoints changed (or they were removed). */
  readonly services: ReadonlySet<string>;
  /** Allocation results that are new or changed. */
  readonly allocations: readonly ServiceResult[];
  /** Services that left the allocator (deleted, no longer LoadBalancer, another class). */
  readonly deallocated: readonly string[];
  readonly events: readonly AllocationEvent[];
  /** Objects reported invalid by this batch. */
  readonly invalid: readonly InvalidObject[];
  /** Objects that were invalid and are now valid or deleted: `Kind key`. */
  readonly repaired: readonly { readonly kind: ClusterObjectKind; readonly key: string }[];
  /** Source-level issues that changed (a file that stopped or started parsing), by scope. */
  readonly sourceIssues: ReadonlyMap<string, readonly ObjectIssue[]>;
}

const idOf = (kind: ClusterObjectKind, key: string): string => `${kind} ${key}`;

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The configuration-relevant part of a Node (the build reads names and labels). */
function nodeLabelsKey(node: Node | undefined): string {
  return node ? JSON.stringify(node.metadata.labels ?? {}) : '';
}

/** The cluster state of the pipeline; see the module header. */
export class ClusterState implements PlanSource {
  readonly options: ClusterStateOptions;
  readonly #services = new Map<string, Service>();
  readonly #nodes = new Map<string, Node>();
  readonly #namespaces = new Map<string, Readonly<Record<string, string>>>();
  readonly #configObjects = new Map<string, RawConfigObject>();
  readonly #slices = new Map<string, EndpointSlice>();
  /** Service key -> its slice (the usual case: one) or its slices by slice key. */
  readonly #slicesOfService = new Map<string, EndpointSlice | Map<string, EndpointSlice>>();
  readonly #invalid = new Map<string, InvalidObject>();
  /** Where each Service was read, when the source says (`Kind key` -> origin). */
  readonly #origins = new Map<string, ObjectOrigin>();
  readonly #sourceIssues = new Map<string, readonly ObjectIssue[]>();
  #config: Config | undefined;
  /** Issues of the last configuration build (errors when it failed, warnings when it succeeded). */
  #configIssues: readonly ConfigIssue[] = [];
  #configStale = false;
  #allocator: Allocator | undefined;

  constructor(options: ClusterStateOptions) {
    this.options = options;
  }

  /** The configuration in force (the last one that built), if any. */
  get config(): Config | undefined {
    return this.#config;
  }

  /** Whether the latest configuration objects failed to build (the last good one is in force). */
  get configStale(): boolean {
    return this.#configStale;
  }

  /** Issues of the latest configuration build: its errors when stale, else its warnings. */
  get configIssues(): readonly ConfigIssue[] {
    return this.#configIssues;
  }

  /** Objects currently reported invalid. */
  invalidObjects(): InvalidObject[] {
    return [...this.#invalid.values()];
  }

  /** Source-level issues in force (files that do not read or parse), by scope. */
  sourceIssues(): ReadonlyMap<string, readonly ObjectIssue[]> {
    return this.#sourceIssues;
  }

  node(name: string): Node | undefined {
    return this.#nodes.get(name);
  }

  /** The Node objects, by name. */
  nodes(): Node[] {
    const out: Node[] = [];
    for (const name of this.nodeNames()) {
      const n = this.#nodes.get(name);
      if (n) out.push(n);
    }
    return out;
  }

  /** Names of the Node objects, sorted. */
  nodeNames(): string[] {
    return [...this.#nodes.keys()].sort();
  }

  get serviceCount(): number {
    return this.#services.size;
  }

  // PlanSource: what the planners read.
  keys(): Iterable<string> {
    return this.#services.keys();
  }

  service(key: string): Service | undefined {
    return this.#services.get(key);
  }

  /** The service's IPs and pool, when it has IPs. */
  allocation(key: string): ServiceIps | undefined {
    const r = this.#allocator?.result(key);
    return r && r.ips.length > 0 && r.pool !== undefined ? { ips: r.ips, pool: r.pool } : undefined;
  }

  slices(key: string): readonly EndpointSlice[] {
    const given = this.#slicesOfService.get(key);
    return given === undefined ? [] : given instanceof Map ? [...given.values()] : [given];
  }

  /** Where an object was read, when its source said (`{}` otherwise), to spread into an issue. */
  origin(kind: ClusterObjectKind, key: string): { file?: string; line?: number } {
    const o = this.#origins.get(idOf(kind, key));
    return o ? { file: o.file, line: o.line } : {};
  }

  /** The allocator's result for a service (IPs, or why none). */
  allocationResult(key: string): ServiceResult | undefined {
    return this.#allocator?.result(key);
  }

  /** The whole allocation: every handled service's result and every pool's use. */
  allocationReport(): Pick<AllocationResult, 'services' | 'pools'> {
    return { services: this.#allocator?.results() ?? [], pools: this.#allocator?.poolUsage() ?? [] };
  }

  /** Every pool's use. */
  poolUsage(): PoolUsage[] {
    return this.#allocator?.poolUsage() ?? [];
  }

  /** Applies a batch of changes; see `ClusterDelta`. */
  apply(batch: ChangeBatch): ClusterDelta {
    const services = new Set<string>();
    const nodes = new Set<string>();
    const changedServices = new Set<string>();
    const invalid: InvalidObject[] = [];
    const repaired: { kind: ClusterObjectKind; key: string }[] = [];
    const sourceIssues = new Map<string, readonly ObjectIssue[]>();
    let configObjectsChanged = false;
    let nodeLabelsChanged = false;
    let namespacesChanged = false;

    for (const s of batch.sourceIssues ?? []) {
      const before = this.#sourceIssues.get(s.scope) ?? [];
      if (s.issues.length === 0) this.#sourceIssues.delete(s.scope);
      else this.#sourceIssues.set(s.scope, s.issues);
      if (!sameJson(before, s.issues)) sourceIssues.set(s.scope, s.issues);
    }

    for (const change of batch.changes) {
      // `Kind key` is made only when an index keyed by it is in use (a first load of 100 000
      // objects would otherwise make and hash 100 000 strings for nothing).
      if (change.op === 'invalid') {
        const id = idOf(change.kind, change.key);
        const keptLastGood = this.#has(change.kind, change.key);
        const record: InvalidObject = { kind: change.kind, key: change.key, issues: change.issues, keptLastGood };
        if (!sameJson(this.#invalid.get(id), record)) invalid.push(record);
        this.#invalid.set(id, record);
        continue;
      }
      if (this.#invalid.size > 0 && this.#invalid.delete(idOf(change.kind, change.key))) repaired.push({ kind: change.kind, key: change.key });
      // A source may pass on an object whose text changed but whose value did not (a comment
      // edited): holding the same value, nothing changes (a Node or configuration object would
      // otherwise replan every service).
      if (change.op === 'upsert' && this.#holdsSame(change.kind, change.key, change.object)) continue;
      if (change.op === 'upsert' && change.origin && change.kind === 'Service') this.#origins.set(idOf(change.kind, change.key), change.origin);
      else if (change.op === 'delete' && this.#origins.size > 0) this.#origins.delete(idOf(change.kind, change.key));
      switch (change.kind) {
        case 'Service':
          if (change.op === 'upsert') this.#services.set(change.key, change.object);
          else if (!this.#services.delete(change.key)) break;
          changedServices.add(change.key);
          services.add(change.key);
          break;
        case 'EndpointSlice':
          for (const svc of this.#setSlice(change.key, change.op === 'upsert' ? change.object : undefined)) services.add(svc);
          break;
        case 'Node': {
          const before = this.#nodes.get(change.key);
          const after = change.op === 'upsert' ? change.object : undefined;
          if (after) this.#nodes.set(change.key, after);
          else if (!this.#nodes.delete(change.key)) break;
          nodes.add(change.key);
          if (nodeLabelsKey(before) !== nodeLabelsKey(after)) nodeLabelsChanged = true;
          break;
        }
        case 'Namespace':
          if (change.op === 'upsert') this.#namespaces.set(change.key, change.object.labels);
          else if (!this.#namespaces.delete(change.key)) break;
          namespacesChanged = true;
          break;
        case 'Config':
          if (change.op === 'upsert') this.#configObjects.set(change.key, change.object);
          else if (!this.#configObjects.delete(change.key)) break;
          configObjectsChanged = true;
          break;
      }
    }

    const config = configObjectsChanged || (nodeLabelsChanged && this.#configObjects.size > 0) ? this.#rebuildConfig() : { status: 'unchanged' as const };

    // Allocation.
    const updated = new Map<string, ServiceResult>();
    const deallocated = new Set<string>();
    const events: AllocationEvent[] = [];
    const take = (c: { updated: readonly ServiceResult[]; removed: readonly string[]; events: readonly AllocationEvent[] }): void => {
      // The allocator lists exactly the services whose result changed.
      for (const r of c.updated) {
        updated.set(r.service, r);
        deallocated.delete(r.service);
        services.add(r.service);
      }
      for (const k of c.removed) {
        deallocated.add(k);
        updated.delete(k);
        services.add(k);
      }
      for (const e of c.events) events.push(e);
    };
    if (this.#config) {
      // A fresh allocator (or one still empty when the services arrive in bulk) is built in one pass.
      const bulk = this.#allocator !== undefined && this.#allocator.state.entries.size === 0 && changedServices.size > 1000;
      if (!this.#allocator || bulk) {
        this.#allocator = new Allocator({
          pools: this.#config.pools,
          services: [...this.#services.values()],
          namespaces: this.#namespaceLabels(),
          options: this.#allocatorOptions(),
        });
        take({ updated: this.#allocator.results(), removed: [], events: this.#allocator.lastEvents });
      } else {
        if (config.status === 'applied') take(this.#allocator.setPools(this.#config.pools));
        if (namespacesChanged) take(this.#allocator.setNamespaces(this.#namespaceLabels()));
        for (const key of changedServices) {
          const svc = this.#services.get(key);
          take(svc ? this.#allocator.upsert(svc) : this.#allocator.remove(key));
        }
      }
    }

    return {
      config,
      nodes,
      services,
      allocations: [...updated.values()],
      deallocated: [...deallocated],
      events,
      invalid,
      repaired,
      sourceIssues,
    };
  }

  /** Whether the object held for `kind`/`key` has the value `object` (compared as JSON). */
  #holdsSame(kind: ClusterObjectKind, key: string, object: unknown): boolean {
    let held: unknown;
    switch (kind) {
      case 'Service':
        held = this.#services.get(key);
        break;
      case 'EndpointSlice':
        held = this.#slices.get(key);
        break;
      case 'Node':
        held = this.#nodes.get(key);
        break;
      case 'Namespace': {
        const labels = this.#namespaces.get(key);
        held = labels === undefined ? undefined : { name: key, labels };
        break;
      }
      case 'Config': {
        const c = this.#configObjects.get(key);
        // Line numbers are part of a configuration object's reports: compare its origin too.
        return c !== undefined && sameJson(c.object, (object as RawConfigObject).object) && sameJson(c.origin, (object as RawConfigObject).origin);
      }
    }
    return held !== undefined && (held === object || sameJson(held, object));
  }

  #has(kind: ClusterObjectKind, key: string): boolean {
    switch (kind) {
      case 'Service':
        return this.#services.has(key);
      case 'EndpointSlice':
        return this.#slices.has(key);
      case 'Node':
        return this.#nodes.has(key);
      case 'Namespace':
        return this.#namespaces.has(key);
      case 'Config':
        return this.#configObjects.has(key);
    }
  }

  /** Sets (or removes) a slice; returns the services whose endpoints changed. */
  #setSlice(key: string, slice: EndpointSlice | undefined): string[] {
    const touched: string[] = [];
    const old = this.#slices.get(key);
    if (old) {
      const svc = serviceOfSlice(old);
      if (svc !== undefined) {
        const given = this.#slicesOfService.get(svc);
        if (given instanceof Map) {
          given.delete(key);
          if (given.size === 1) this.#slicesOfService.set(svc, given.values().next().value as EndpointSlice);
        } else if (given !== undefined) this.#slicesOfService.delete(svc);
        touched.push(svc);
      }
      this.#slices.delete(key);
    }
    if (slice) {
      this.#slices.set(key, slice);
      const svc = serviceOfSlice(slice);
      if (svc !== undefined) {
        const given = this.#slicesOfService.get(svc);
        if (given === undefined) this.#slicesOfService.set(svc, slice);
        else if (given instanceof Map) given.set(key, slice);
        else {
          const both = new Map<string, EndpointSlice>();
          const givenKey = sliceKeyOf(given);
          if (givenKey !== key) both.set(givenKey, given);
          both.set(key, slice);
          this.#slicesOfService.set(svc, both.size === 1 ? slice : both);
        }
        if (!touched.includes(svc)) touched.push(svc);
      }
    }
    return touched;
  }

  #namespaceLabels(): NamespaceLabels {
    return Object.fromEntries(this.#namespaces);
  }

  #allocatorOptions(): { standalone: boolean; loadBalancerClass?: string } {
    return {
      standalone: this.options.standalone,
      ...(this.options.loadBalancerClass !== undefined ? { loadBalancerClass: this.options.loadBalancerClass } : {}),
    };
  }

  /** Builds the configuration from the configuration objects (and the Nodes' labels, as MetalLB does). */
  #rebuildConfig(): ConfigOutcome {
    const inputs: RawConfigObject[] = [...this.#configObjects.values()];
    for (const node of this.#nodes.values()) inputs.push({ object: node as unknown as Readonly<Record<string, unknown>> });
    const built = buildConfig(resourcesFromObjects(inputs));
    const wasStale = this.#configStale;
    if (!built.ok) {
      this.#configStale = true;
      this.#configIssues = built.errors;
      return { status: 'rejected', issues: built.errors, keeping: this.#config !== undefined };
    }
    this.#configStale = false;
    this.#configIssues = built.config.warnings;
    const previous = this.#config;
    if (previous && sameJson(previous, built.config)) return wasStale ? { status: 'recovered', config: previous } : { status: 'unchanged' };
    this.#config = built.config;
    return { status: 'applied', config: built.config, previous, recovered: wasStale };
  }
}

/** The key of a slice (`namespace/name`). */
function sliceKeyOf(slice: EndpointSlice): string {
  return `${slice.metadata.namespace ?? 'default'}/${slice.metadata.name}`;
}

/**
 * The key of the Service a slice belongs to (`kubernetes.io/service-name`, same namespace), as one
 * flat string (it is kept as a Map key).
 */
function serviceOfSlice(slice: EndpointSlice): string | undefined {
  const name = slice.metadata.labels?.[SERVICE_NAME_LABEL];
  return name === undefined ? undefined : joined(slice.metadata.namespace ?? 'default', `/${name}`);
}
