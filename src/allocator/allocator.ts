/**
 * Address allocation with MetalLB's rules (`internal/allocator/allocator.go`, `controller/service.go`),
 * deterministic, and with costs that do not grow with pool size.
 *
 * One engine serves both entry points: `allocateAll(input)` builds an `Allocator` from a whole state and
 * reads its results; the incremental `Allocator` takes one service at a time (`add`, `update`, `remove`)
 * or a new configuration (`setPools`, `setNamespaces`). The order of work (README.md):
 *  1. keep: every service whose status (or current assignment) still holds valid IPs keeps them, in
 *     service order (creation time, then namespace/name); a conflict between two holders is won by the
 *     earlier one;
 *  2. settle: every other service is allocated in service order; a service that gets nothing is pending
 *     on the pools it tried, and is tried again (in order) whenever one of those pools changes.
 * After every operation the state is settled: no pending service could get an address, so the state
 * is the one `allocateAll` computes from the same services with their current IPs as statuses.
 *
 * Standalone mode (README "Standalone mode") replaces both steps: every claim on an address has a rank
 * (status > request > automatic; automatic by pool order, creation time, probe index, key), automatic
 * choices come from hashed probe sequences (`probe.ts`), and each service holds its first acceptable
 * choice given the stronger claims only. A work queue re-evaluates the services a change frees,
 * evicts or wakes, so the state is always `allocateAll` of the current services as they are.
 *
 * Invariants: every used address lies in its pool (and is not a buggy one when the pool avoids them);
 * services on one address share one non-empty sharing key and backend key and no port/protocol;
 * `pool.inUse` counts distinct used addresses; outside standalone mode `pool.used` holds exactly the
 * used addresses' keys and `shared` lists exactly the used addresses with a non-empty sharing key
 * (standalone mode probes `used` and keeps neither).
 */
import type { PoolConfig } from '../config/types.js';
import { formatIp, formatIpValue } from '../model/ip.js';
import type { IpAddress, IpFamily } from '../model/ip.js';
import type { Service } from '../model/kubernetes.js';
import {
  addressOfKey,
  buildPool,
  comparePinned,
  isBuggy,
  keyOfAddress,
  poolAdmits,
} from './pools.js';
import type { PoolState, Segment } from './pools.js';
import { ANNOTATION, compareRequests, familyOfAddresses, readRequest, serviceKey } from './request.js';
import type { ServiceFamily, ServiceRequest } from './request.js';
import { addressAt, probeIndexOf, probeSequence, probeSpace } from './probe.js';
import { lowerBound, lowestAbsent, runSetAdd, runSetDelete, sortedInsert, sortedRemove } from './run-set.js';
import type {
  AllocationError,
  AllocationEvent,
  AllocationInput,
  AllocationResult,
  AllocationRule,
  AllocatorChanges,
  AllocatorOptions,
  NamespaceLabels,
  PoolUsage,
  ServiceResult,
} from './types.js';

/**
 * How strong a claim on an address is, in standalone mode (README "Standalone mode"): a status IP
 * (tier 0) beats a requested IP (tier 1), which beats an automatic choice (tier 2); automatic choices
 * compare by the pool's place in the service's pool order, then creation time, then the probe index
 * at which the service reached the address (its first choice beats a later one), then key.
 */
export interface Rank {
  readonly tier: 0 | 1 | 2;
  readonly poolOrd: number;
  readonly idx: number;
}

/** The addresses a service holds and their pool. */
export interface Assignment {
  readonly pool: string;
  readonly ips: readonly IpAddress[];
  /** Standalone mode: the rank of the claim on each of `ips`. */
  readonly ranks?: readonly Rank[] | undefined;
}

/** One service in the allocator's care. */
export interface ServiceEntry {
  service: Service;
  req: ServiceRequest;
  assigned?: Assignment | undefined;
  /** Undefined when the service is not handled (not LoadBalancer, other class). */
  result?: ServiceResult | undefined;
  /** Pools whose changes may let a new try succeed; undefined when not pending. */
  pending?: readonly string[] | undefined;
  /** The allocator's epoch at the last try. */
  attemptEpoch: number;
  /** AdditionalAssignFailed, while a PreferDualStack service lacks its second family. */
  extraWarning?: AllocationError | undefined;
  /** Standalone mode: in the work queue. */
  queued?: boolean | undefined;
  /** Standalone mode: new or changed; its next evaluation reports its warnings. */
  announce?: boolean | undefined;
  /** Standalone mode: addresses freed since the last evaluation whose release woke this service. */
  freed?: (readonly [IpFamily, bigint, string])[] | undefined;
  /** Standalone mode: addresses the last evaluation refused because a stronger claim held them. */
  trail?: Trail | undefined;
  /**
   * Standalone mode: the requested addresses of a request refused by a stronger claim: they stay
   * closed to weaker claims (README "Standalone mode", rule 1), as if the request held them.
   */
  reserved?: readonly IpAddress[] | undefined;
}

/**
 * Standalone mode: addresses refused because a stronger claim held them, as flat pairs (family,
 * value, family, value, ...): no array per address, and tens of thousands of services keep one.
 */
export type Trail = (IpFamily | bigint)[];
const NO_TRAIL: readonly (IpFamily | bigint)[] = Object.freeze([]);

/** Who uses one address. */
export interface AddressUse {
  readonly family: IpFamily;
  readonly value: bigint;
  readonly pool: string;
  sharing: string;
  backend: string;
  /** Keys of the services on this address (usually one). */
  services: string[];
  /**
   * `port/PROTO` in use on the address, and the service using each (parallel arrays); both undefined
   * while the address has had one user only: its ports are then those of `services[0]` (`portHolder`).
   */
  ports: string[] | undefined;
  holders: string[] | undefined;
}

/**
 * A new entry, every field present: one hidden class for all entries and no out-of-object property
 * store (a hundred thousand of them).
 */
function newEntry(service: Service, req: ServiceRequest): ServiceEntry {
  return {
    service,
    req,
    assigned: undefined,
    result: undefined,
    pending: undefined,
    attemptEpoch: 0,
    extraWarning: undefined,
    queued: false,
    announce: false,
    freed: undefined,
    trail: undefined,
    reserved: undefined,
  };
}

/** The service using `port` on `use`, if any. */
function portHolder(st: AllocatorState, use: AddressUse, port: string): string | undefined {
  if (use.ports === undefined) {
    const only = use.services[0];
    if (only === undefined) return undefined;
    return st.entries.get(only)?.req.ports.includes(port) === true ? only : undefined;
  }
  const i = use.ports.indexOf(port);
  return i === -1 ? undefined : use.holders?.[i];
}

/** The allocator's whole state: plain maps, arrays and records. */
export interface AllocatorState {
  readonly options: AllocatorOptions;
  readonly namespaces: NamespaceLabels;
  readonly pools: Map<string, PoolState>;
  /** Pools by name. */
  readonly poolList: readonly PoolState[];
  /** autoAssign pools without serviceAllocation, by name (MetalLB: Go map order). */
  readonly autoPools: readonly PoolState[];
  /** Pools with a serviceAllocation. */
  readonly allocationPools: readonly PoolState[];
  /** Every segment of every pool, per family, sorted by first address. */
  readonly segmentIndex: Record<IpFamily, readonly { readonly seg: Segment; readonly pool: PoolState }[]>;
  readonly entries: Map<string, ServiceEntry>;
  readonly used: Record<IpFamily, Map<bigint, AddressUse>>;
  /** `sharing\0backend` -> used addresses with that key, per family, sorted. */
  readonly shared: Map<string, Record<IpFamily, bigint[]>>;
  readonly pendingByPool: Map<string, Set<string>>;
  /** Pools changed since the last settle. */
  readonly dirty: Set<string>;
  epoch: number;
  /**
   * Standalone mode: address -> services whose last evaluation was refused there (`trail`): one key,
   * or a set once there are several.
   */
  readonly refusedAt: Record<IpFamily, Map<bigint, string | Set<string>>>;
  /** Standalone mode: address -> services whose refused request reserves it (`ServiceEntry.reserved`). */
  readonly reserved: Record<IpFamily, Map<bigint, string[]>>;
  /** Standalone mode: services to evaluate again, because an address they wanted was freed. */
  readonly woken: Set<string>;
  /** Standalone mode: the work queue, a binary heap in service order. */
  readonly queue: ServiceEntry[];
}

interface Ctx {
  readonly events: AllocationEvent[];
  /**
   * Result of every service the operation touched, before it touched it; undefined in the
   * constructor, whose answer is every result (`results()`), not a diff.
   */
  readonly before: Map<string, ServiceResult | undefined> | undefined;
  readonly removed: Set<string>;
}

/** MetalLB's IPAllocated message, as one flat string (a template literal leaves a rope of three). */
const assignedMessage = (ips: string): string => ['Assigned IP "', ips, '"'].join('');

/** Records `e`'s result before the operation changes it. */
function touch(ctx: Ctx, e: ServiceEntry): void {
  const before = ctx.before;
  if (before !== undefined && !before.has(e.req.key)) before.set(e.req.key, e.result);
}

type Failure = { readonly error: AllocationError; readonly deps: readonly string[] };
type Choice = { readonly pool: PoolState; readonly ips: readonly IpAddress[]; readonly ranks?: readonly Rank[] };
/** An acceptable address and the probe index it was found at (0 outside standalone mode). */
type Found = { readonly value: bigint; readonly idx: number };
type Free = Partial<Record<IpFamily, Found>>;

/** Standalone mode: what one evaluation of a service refused, and so waits on. */
interface Probe {
  readonly req: ServiceRequest;
  /** Addresses refused because a stronger claim holds them. */
  readonly trail: Trail;
  /** Pools the evaluation probed beyond `TRAIL_PROBES` addresses: any address freed there counts. */
  watch: Set<string> | undefined;
}

/** Refused addresses noted one by one per pool and family; past this, the whole pool is watched. */
const TRAIL_PROBES = 32;

const FAMILIES: readonly IpFamily[] = ['ipv4', 'ipv6'];
const other = (f: IpFamily): IpFamily => (f === 'ipv4' ? 'ipv6' : 'ipv4');
const familyLabel = (f: ServiceFamily): string => (f === 'ipv4' ? 'IPv4' : f === 'ipv6' ? 'IPv6' : 'dual-stack');
const ipText = (ips: readonly IpAddress[]): string => ips.map(formatIp).join(',');
const failure = (
  reason: AllocationError['reason'],
  rule: AllocationError['rule'],
  message: string,
  deps: readonly string[] = [],
): Failure => ({ error: { reason, rule, message }, deps });

function newState(
  pools: readonly PoolConfig[],
  options: AllocatorOptions,
  namespaces: NamespaceLabels,
): AllocatorState {
  const built = pools.map(buildPool).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const map = new Map<string, PoolState>();
  for (const p of built) if (!map.has(p.name)) map.set(p.name, p);
  const poolList = [...map.values()];
  const segmentIndex: Record<IpFamily, { seg: Segment; pool: PoolState }[]> = { ipv4: [], ipv6: [] };
  for (const pool of poolList) for (const seg of pool.segments) segmentIndex[seg.family].push({ seg, pool });
  for (const f of FAMILIES) segmentIndex[f].sort((a, b) => (a.seg.first < b.seg.first ? -1 : a.seg.first > b.seg.first ? 1 : 0));
  return {
    options,
    namespaces,
    pools: map,
    poolList,
    autoPools: poolList.filter((p) => p.config.autoAssign && !p.config.serviceAllocation),
    allocationPools: poolList.filter((p) => p.config.serviceAllocation !== undefined),
    segmentIndex,
    entries: new Map(),
    used: { ipv4: new Map(), ipv6: new Map() },
    shared: new Map(),
    pendingByPool: new Map(),
    dirty: new Set(),
    epoch: 0,
    refusedAt: { ipv4: new Map(), ipv6: new Map() },
    reserved: { ipv4: new Map(), ipv6: new Map() },
    woken: new Set(),
    queue: [],
  };
}

function markPool(st: AllocatorState, pool: PoolState): void {
  st.epoch++;
  pool.epoch = st.epoch;
  st.dirty.add(pool.name);
}

const sharedKey = (sharing: string, backend: string): string => `${sharing}\u0000${backend}`;

function sharedList(st: AllocatorState, use: AddressUse, create: boolean): bigint[] | undefined {
  const k = sharedKey(use.sharing, use.backend);
  let rec = st.shared.get(k);
  if (!rec && create) {
    rec = { ipv4: [], ipv6: [] };
    st.shared.set(k, rec);
  }
  return rec?.[use.family];
}

function unindexShared(st: AllocatorState, use: AddressUse): void {
  if (use.sharing === '') return;
  const list = sharedList(st, use, false);
  if (!list) return;
  sortedRemove(list, use.value);
  const rec = st.shared.get(sharedKey(use.sharing, use.backend));
  if (rec && rec.ipv4.length === 0 && rec.ipv6.length === 0) st.shared.delete(sharedKey(use.sharing, use.backend));
}

function indexShared(st: AllocatorState, use: AddressUse): void {
  if (use.sharing === '') return;
  sortedInsert(sharedList(st, use, true) as bigint[], use.value);
}

/** Standalone mode: `value` lost a holder; services refused there, or waiting on its pool, look again. */
function wakeAt(st: AllocatorState, family: IpFamily, value: bigint, pool: string): void {
  const wake = (k: string): void => {
    st.woken.add(k);
    const w = st.entries.get(k);
    if (w) (w.freed ??= []).push([family, value, pool]);
  };
  const refused = st.refusedAt[family].get(value);
  if (typeof refused === 'string') wake(refused);
  else if (refused) for (const k of refused) wake(k);
  const waiting = st.pendingByPool.get(pool);
  if (waiting) for (const k of waiting) wake(k);
}

/** Frees everything `e` holds. */
function release(st: AllocatorState, e: ServiceEntry): void {
  const a = e.assigned;
  if (!a) return;
  e.assigned = undefined;
  const pool = st.pools.get(a.pool);
  for (const ip of a.ips) {
    const use = st.used[ip.family].get(ip.value);
    if (!use) continue;
    const key = e.req.key;
    if (use.services.length > 1) {
      use.services = use.services.filter((s) => s !== key);
      const ports: string[] = [];
      const holders: string[] = [];
      const had = use.holders ?? [];
      for (let i = 0; i < had.length; i++) {
        const h = had[i] as string;
        if (h !== key) {
          ports.push(use.ports?.[i] as string);
          holders.push(h);
        }
      }
      use.ports = ports;
      use.holders = holders;
    } else {
      use.services = [];
    }
    if (st.options.standalone) wakeAt(st, ip.family, ip.value, a.pool);
    if (use.services.length === 0) {
      st.used[ip.family].delete(ip.value);
      if (pool) pool.inUse[ip.family]--;
      // The lowest-free indexes; standalone mode probes `st.used` and keeps neither (hashed
      // addresses would make the run set one run per address, and every insert a splice).
      if (!st.options.standalone) {
        unindexShared(st, use);
        if (pool) runSetDelete(pool.used[ip.family], keyOfAddress(pool, ip.family, ip.value));
      }
    }
  }
  if (pool) markPool(st, pool);
}

/** Gives `e` the addresses `ips` of `pool`; the caller has checked that this is allowed. */
function assign(st: AllocatorState, e: ServiceEntry, pool: PoolState, ips: readonly IpAddress[], ranks?: readonly Rank[]): void {
  release(st, e);
  const req = e.req;
  for (const ip of ips) {
    let use = st.used[ip.family].get(ip.value);
    if (!use) {
      use = {
        family: ip.family,
        value: ip.value,
        pool: pool.name,
        sharing: req.sharingKey,
        backend: req.backendKey,
        // Most addresses have one user for their whole life: its ports are read from its request.
        services: [req.key],
        ports: undefined,
        holders: undefined,
      };
      st.used[ip.family].set(ip.value, use);
      pool.inUse[ip.family]++;
      if (!st.options.standalone) {
        runSetAdd(pool.used[ip.family], keyOfAddress(pool, ip.family, ip.value));
        indexShared(st, use);
      }
    } else if (use.sharing !== req.sharingKey || use.backend !== req.backendKey) {
      // Only possible when `e` is the address's only user: its key changes in place (MetalLB too).
      if (!st.options.standalone) unindexShared(st, use);
      use.sharing = req.sharingKey;
      use.backend = req.backendKey;
      if (!st.options.standalone) indexShared(st, use);
    }
    if (use.services.length === 1 && use.services[0] === req.key) continue;
    if (use.ports === undefined || use.holders === undefined) {
      // A second user: the first one's ports become explicit.
      const first = use.services[0];
      const firstPorts = first === undefined ? [] : (st.entries.get(first)?.req.ports ?? []);
      use.ports = firstPorts.slice();
      use.holders = firstPorts.map(() => first as string);
    }
    if (!use.services.includes(req.key)) use.services.push(req.key);
    for (const port of req.ports) {
      const i = use.ports.indexOf(port);
      if (i === -1) {
        use.ports.push(port);
        use.holders.push(req.key);
      } else {
        use.holders[i] = req.key;
      }
    }
  }
  e.assigned = { pool: pool.name, ips, ranks };
  markPool(st, pool);
}

/** A claim being judged in standalone mode: only stronger claims on an address count against it. */
interface View {
  readonly req: ServiceRequest;
  readonly rank: Rank;
}

const TOP: Rank = Object.freeze({ tier: 0, poolOrd: 0, idx: 0 });
const REQUESTED: Rank = Object.freeze({ tier: 1, poolOrd: 0, idx: 0 });
/** Shared rank lists of one or two kept (status) or requested addresses. */
const TOP_RANKS: readonly (readonly Rank[])[] = [Object.freeze([]), Object.freeze([TOP]), Object.freeze([TOP, TOP])];
const REQUESTED_RANKS: readonly (readonly Rank[])[] = [Object.freeze([]), Object.freeze([REQUESTED]), Object.freeze([REQUESTED, REQUESTED])];
const sameRanks = (ips: readonly IpAddress[], table: readonly (readonly Rank[])[], rank: Rank): readonly Rank[] =>
  table[ips.length] ?? ips.map(() => rank);
const NO_IPS: readonly string[] = Object.freeze([]);
const NO_EVENTS: readonly AllocationEvent[] = Object.freeze([]);

/**
 * Automatic ranks are shared: nearly every service takes its address within a few probes of a
 * few pools, so a small table of frozen ranks (and one-rank lists) replaces an object and an array
 * per service.
 */
const SHARED_POOL_ORDS = 8;
const SHARED_PROBE_IDX = 64;
const autoRanks: (readonly [Rank, readonly Rank[]] | undefined)[] = [];

function sharedAuto(poolOrd: number, idx: number): readonly [Rank, readonly Rank[]] | undefined {
  if (poolOrd >= SHARED_POOL_ORDS || idx >= SHARED_PROBE_IDX) return undefined;
  const slot = poolOrd * SHARED_PROBE_IDX + idx;
  let hit = autoRanks[slot];
  if (!hit) {
    const rank: Rank = Object.freeze({ tier: 2, poolOrd, idx });
    autoRanks[slot] = hit = [rank, Object.freeze([rank])];
  }
  return hit;
}

/** The rank of an automatic choice found at probe `idx` of the pool at `poolOrd`. */
function autoRank(poolOrd: number, idx: number): Rank {
  return sharedAuto(poolOrd, idx)?.[0] ?? { tier: 2, poolOrd, idx };
}

/** Whether claim `a` beats claim `b` on one address (README "Standalone mode"). */
function stronger(a: ServiceRequest, ra: Rank, b: ServiceRequest, rb: Rank): boolean {
  if (ra.tier !== rb.tier) return ra.tier < rb.tier;
  if (ra.poolOrd !== rb.poolOrd) return ra.poolOrd < rb.poolOrd;
  if (a.createdAt !== b.createdAt) return a.createdAt < b.createdAt;
  if (ra.idx !== rb.idx) return ra.idx < rb.idx;
  return a.key < b.key;
}

/** The rank of `key`'s claim on an address it holds. */
function rankAt(e: ServiceEntry, family: IpFamily, value: bigint): Rank {
  const a = e.assigned;
  if (!a?.ranks) return TOP;
  for (let i = 0; i < a.ips.length; i++) {
    const ip = a.ips[i] as IpAddress;
    if (ip.family === family && ip.value === value) return a.ranks[i] ?? TOP;
  }
  return TOP;
}

/** Whether holder `key` of an address counts against `req` (with a `view`, only a stronger claim does). */
function counts(st: AllocatorState, req: ServiceRequest, key: string, family: IpFamily, value: bigint, view: View | undefined): boolean {
  if (key === req.key) return false;
  if (!view) return true;
  const h = st.entries.get(key);
  return h !== undefined && stronger(h.req, rankAt(h, family, value), view.req, view.rank);
}

/**
 * Why `req` may not use the address (MetalLB's `checkSharing`), or undefined when it may. With a
 * `view` (standalone mode), only holders with a stronger claim than the view's count.
 */
function sharingProblem(st: AllocatorState, req: ServiceRequest, family: IpFamily, value: bigint, view?: View): AllocationError | undefined {
  return holderProblem(st, req, family, value, view) ?? (view ? reservationProblem(st, req, family, value, view) : undefined);
}

/**
 * Standalone mode: why a stronger request that was refused elsewhere keeps `req` off the address
 * (`ServiceEntry.reserved`), or undefined.
 */
function reservationProblem(st: AllocatorState, req: ServiceRequest, family: IpFamily, value: bigint, view: View): AllocationError | undefined {
  const list = st.reserved[family].get(value);
  if (!list) return undefined;
  let by: ServiceRequest | undefined;
  for (const key of list) {
    if (key === req.key) continue;
    const r = st.entries.get(key)?.req;
    if (!r || compatible(r, req) || !stronger(r, REQUESTED, view.req, view.rank)) continue;
    if (by === undefined || r.key < by.key) by = r;
  }
  if (by === undefined) return undefined;
  const rule: AllocationRule =
    by.sharingKey === '' || req.sharingKey === ''
      ? 'sharingNotAllowed'
      : by.sharingKey !== req.sharingKey
        ? 'sharingKeyMismatch'
        : by.backendKey !== req.backendKey
          ? 'backendKeyMismatch'
          : 'portInUse';
  return {
    reason: 'AllocationFailed',
    rule,
    message: `${formatIpValue(family, value)} is requested by ${by.key}, whose request comes first and may not share it`,
  };
}

/** Why a holder of the address keeps `req` off it (with a `view`, only stronger holders count). */
function holderProblem(st: AllocatorState, req: ServiceRequest, family: IpFamily, value: bigint, view?: View): AllocationError | undefined {
  const use = st.used[family].get(value);
  if (!use) return undefined;
  let holder: string | undefined;
  for (const s of use.services) if (counts(st, req, s, family, value, view) && (holder === undefined || s < holder)) holder = s;
  if (holder === undefined) return undefined;
  const ip = formatIpValue(family, value);
  if (use.sharing === '') {
    return {
      reason: 'AllocationFailed',
      rule: 'sharingNotAllowed',
      message: `${ip} is already used by ${holder}, which does not allow sharing (${ANNOTATION.allowSharedIP})`,
    };
  }
  if (req.sharingKey === '') {
    return {
      reason: 'AllocationFailed',
      rule: 'sharingNotAllowed',
      message: `${ip} is already used by ${holder}; to share it set ${ANNOTATION.allowSharedIP}: ${JSON.stringify(use.sharing)}`,
    };
  }
  if (use.sharing !== req.sharingKey) {
    return {
      reason: 'AllocationFailed',
      rule: 'sharingKeyMismatch',
      message: `sharing key ${JSON.stringify(req.sharingKey)} does not match ${JSON.stringify(use.sharing)} used on ${ip} by ${holder}`,
    };
  }
  if (use.backend !== req.backendKey) {
    return {
      reason: 'AllocationFailed',
      rule: 'backendKeyMismatch',
      message:
        `${ip} is shared by ${holder} with other backends: services sharing an IP need the same ` +
        `externalTrafficPolicy, and with Local the same selector (${JSON.stringify(use.backend)} vs ${JSON.stringify(req.backendKey)})`,
    };
  }
  for (const port of req.ports) {
    const h = portHolder(st, use, port);
    if (h !== undefined && counts(st, req, h, family, value, view)) {
      return { reason: 'AllocationFailed', rule: 'portInUse', message: `port ${port} already used on shared IP ${ip} by ${h}` };
    }
  }
  return undefined;
}

function poolOf(st: AllocatorState, ip: IpAddress): { pool?: PoolState; buggyIn?: PoolState } {
  const idx = st.segmentIndex[ip.family];
  let lo = 0;
  let hi = idx.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if ((idx[mid] as { seg: Segment }).seg.first <= ip.value) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  const hit = found >= 0 ? idx[found] : undefined;
  if (!hit || hit.seg.last < ip.value) return {};
  if (hit.pool.avoidBuggy && isBuggy(ip.family, ip.value)) return { buggyIn: hit.pool };
  return { pool: hit.pool };
}

function admits(st: AllocatorState, pool: PoolState, req: ServiceRequest): boolean {
  return poolAdmits(pool, req.namespace, req.labels, st.namespaces);
}

/**
 * MetalLB's `Assign` checks: one pool holds all of `ips`, the pool admits the service, sharing allows
 * it. With a `view` (standalone mode) only stronger claims count, and refusals are noted in `trail`.
 */
function checkAssign(
  st: AllocatorState,
  req: ServiceRequest,
  ips: readonly IpAddress[],
  view?: View,
  trail?: Trail,
): { pool: PoolState } | Failure {
  if (!familyOfAddresses(ips)) {
    return failure('AllocationFailed', 'invalidRequestedIPs', `${ipText(ips)}: at most one IPv4 and one IPv6 address`);
  }
  let pool: PoolState | undefined;
  for (const ip of ips) {
    const where = poolOf(st, ip);
    if (where.buggyIn) {
      return failure(
        'AllocationFailed',
        'ipNotInPool',
        `${formatIp(ip)} is not in any pool (pool ${where.buggyIn.name} skips addresses ending in .0 and .255: avoidBuggyIPs)`,
      );
    }
    if (!where.pool) return failure('AllocationFailed', 'ipNotInPool', `${formatIp(ip)} is not in any pool`);
    if (pool && pool !== where.pool) {
      return failure(
        'AllocationFailed',
        'ipsInDifferentPools',
        `${ipText(ips)} are in different pools (${pool.name}, ${where.pool.name}); both must come from one pool`,
      );
    }
    pool = where.pool;
  }
  if (!pool) return failure('AllocationFailed', 'invalidRequestedIPs', 'no IP given');
  if (!admits(st, pool, req)) {
    return failure(
      'AllocationFailed',
      'poolNotAvailable',
      `pool ${pool.name} is not available to ${req.key}: its serviceAllocation selects other namespaces or services`,
    );
  }
  for (const ip of ips) {
    const problem = sharingProblem(st, req, ip.family, ip.value, view);
    if (problem) {
      trail?.push(ip.family, ip.value);
      return { error: problem, deps: view ? [] : [pool.name] };
    }
  }
  return { pool };
}

/** The lowest address of `seg` that `req` may take, or undefined. */
function lowestAcceptable(st: AllocatorState, pool: PoolState, seg: Segment, req: ServiceRequest): bigint | undefined {
  const family = seg.family;
  if (st.options.search === 'scan') {
    // MetalLB's approach: walk the range from its start, testing each address against the used set.
    for (let v = seg.first; v <= seg.last; v++) {
      if (pool.avoidBuggy && isBuggy(family, v)) continue;
      if (!st.used[family].has(v) || sharingProblem(st, req, family, v) === undefined) return v;
    }
    return undefined;
  }
  const k = lowestAbsent(pool.used[family], seg.lo, seg.hi);
  const free = k === undefined ? undefined : addressOfKey(pool, family, k);
  if (req.sharingKey !== '') {
    // A used address below the lowest free one is acceptable when it shares our keys and no port.
    const list = st.shared.get(sharedKey(req.sharingKey, req.backendKey))?.[family];
    if (list) {
      for (let i = lowerBound(list, seg.first); i < list.length; i++) {
        const v = list[i] as bigint;
        if (v > seg.last || (free !== undefined && v >= free)) break;
        if (sharingProblem(st, req, family, v) === undefined) return v;
      }
    }
  }
  return free;
}

/** Whose probe sequence a service follows: its own, or its sharing key's, so sharers meet. */
const probeIdentity = (req: ServiceRequest): string =>
  req.sharingKey !== '' ? `share\u0000${req.sharingKey}\u0000${req.backendKey}` : req.key;

/**
 * Standalone mode: the first address of `req`'s probe sequence in `pool` (`probe.ts`) that it may
 * take: free, shareable, or held only by weaker claims (which it then evicts). Sharing services
 * probe with their sharing key, so services that share a key look at the same addresses.
 */
function probeFor(st: AllocatorState, pool: PoolState, family: IpFamily, req: ServiceRequest, poolOrd: number, sa: Probe): Found | undefined {
  const space = probeSpace(pool, family);
  if (!space) return undefined;
  const identity = probeIdentity(req);
  const seq = probeSequence(identity, space);
  const size = space.size;
  const limit = size > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(size);
  let off = seq.home;
  let step = 0n;
  for (let i = 0; i < limit; i++) {
    if (i === 1) step = seq.step();
    if (i > 0) {
      off += step;
      if (off >= size) off -= size;
    }
    const v = addressAt(space, off);
    if (!st.used[family].has(v) && !st.reserved[family].has(v)) return { value: v, idx: i };
    if (sharingProblem(st, req, family, v, { req, rank: autoRank(poolOrd, i) }) === undefined) return { value: v, idx: i };
    if (i < TRAIL_PROBES) sa.trail.push(family, v);
    else (sa.watch ??= new Set()).add(pool.name);
  }
  return undefined;
}

/**
 * MetalLB's `getFreeIPsFromPool`: per wanted family, the lowest acceptable address, walking ranges in
 * order; in standalone mode (`sa`), the first acceptable address of the service's probe sequence.
 */
function freeIn(st: AllocatorState, pool: PoolState, req: ServiceRequest, families: readonly IpFamily[], poolOrd = 0, sa?: Probe): Free {
  const out: Free = {};
  if (sa) {
    for (const f of families) {
      const found = probeFor(st, pool, f, req, poolOrd, sa);
      if (found) out[f] = found;
    }
    return out;
  }
  for (const seg of pool.segments) {
    if (!families.includes(seg.family) || out[seg.family] !== undefined || seg.lo > seg.hi) continue;
    const v = lowestAcceptable(st, pool, seg, req);
    if (v !== undefined) out[seg.family] = { value: v, idx: 0 };
  }
  return out;
}

const familiesOf = (f: ServiceFamily): readonly IpFamily[] => (f === 'dual' ? FAMILIES : [f]);
const addr = (family: IpFamily, value: bigint): IpAddress => ({ family, value });

/** MetalLB's `selectIPsForFamilyAndPolicy` over one pool's free addresses. */
function select(req: ServiceRequest, free: Free): IpAddress[] | undefined {
  const family = req.family as ServiceFamily;
  if (family !== 'dual') {
    const v = free[family];
    return v === undefined ? undefined : [addr(family, v.value)];
  }
  const v4 = free.ipv4;
  const v6 = free.ipv6;
  if (req.policy === 'SingleStack') return undefined;
  if (v4 !== undefined && v6 !== undefined) return [addr('ipv4', v4.value), addr('ipv6', v6.value)];
  if (req.policy === 'RequireDualStack') return undefined;
  if (v4 !== undefined) return [addr('ipv4', v4.value)];
  if (v6 !== undefined) return [addr('ipv6', v6.value)];
  return undefined;
}

/** A choice of `ips` from `pool`, with their ranks in standalone mode. */
function choose(pool: PoolState, ips: readonly IpAddress[], free: Free, poolOrd: number, sa: Probe | undefined): Choice {
  if (!sa) return { pool, ips };
  const only = ips.length === 1 ? sharedAuto(poolOrd, free[(ips[0] as IpAddress).family]?.idx ?? 0) : undefined;
  return { pool, ips, ranks: only ? only[1] : ips.map((ip) => autoRank(poolOrd, free[ip.family]?.idx ?? 0)) };
}

/** MetalLB's `findBestPoolForService` + selection: the first pool that serves the service fully. */
function bestPool(st: AllocatorState, pools: readonly PoolState[], req: ServiceRequest, ordBase = 0, sa?: Probe): Choice | undefined {
  const family = req.family as ServiceFamily;
  let primaryCandidate: Choice | undefined;
  let secondaryCandidate: Choice | undefined;
  for (let j = 0; j < pools.length; j++) {
    const pool = pools[j] as PoolState;
    const ord = ordBase + j;
    const free = freeIn(st, pool, req, familiesOf(family), ord, sa);
    if (family !== 'dual') {
      const v = free[family];
      if (v !== undefined) return choose(pool, [addr(family, v.value)], free, ord, sa);
      continue;
    }
    if (free.ipv4 !== undefined && free.ipv6 !== undefined) {
      const ips = select(req, free);
      if (ips) return choose(pool, ips, free, ord, sa);
      continue;
    }
    if (req.policy !== 'PreferDualStack') continue;
    const p = free[req.primary];
    const s = free[other(req.primary)];
    if (p !== undefined && !primaryCandidate) primaryCandidate = choose(pool, [addr(req.primary, p.value)], free, ord, sa);
    if (s !== undefined && !secondaryCandidate) secondaryCandidate = choose(pool, [addr(other(req.primary), s.value)], free, ord, sa);
  }
  return primaryCandidate ?? secondaryCandidate;
}

function familySuffix(req: ServiceRequest): string {
  const f = req.family as ServiceFamily;
  if (f === 'ipv4') return '';
  if (f === 'ipv6') return ' for an IPv6 service';
  return req.policy === 'RequireDualStack'
    ? ' for a RequireDualStack service (it needs a free IPv4 and a free IPv6 address in one pool)'
    : ' for a dual-stack service';
}

/** Pools with a serviceAllocation that admit `req`, autoAssign, by priority (MetalLB's pinned pools). */
function pinnedPools(st: AllocatorState, req: ServiceRequest): readonly PoolState[] {
  if (st.allocationPools.length === 0) return st.allocationPools;
  return st.allocationPools.filter((p) => p.config.autoAssign && admits(st, p, req)).sort(comparePinned);
}

/**
 * Standalone mode: whether a service that found no address anywhere (`noAvailableIPs`, one family),
 * or holds one automatic address, keeps its result after the addresses in `e.freed` were freed. Nothing else changed for it (an
 * address only becomes acceptable when a holder leaves it, and every leave wakes with its address),
 * so only the freed addresses need a look, each at its probe index (`probeIndexOf`): no walk of the
 * pool. A freed address among its status IPs always needs a look (its refused status may now be
 * kept). Returns false when a full evaluation is needed.
 */
function stillNothing(st: AllocatorState, e: ServiceEntry): boolean {
  const freed = e.freed;
  const req = e.req;
  const family = req.family;
  if (!freed || e.announce) return false;
  if (family !== 'ipv4' && family !== 'ipv6') return false;
  if (req.requestedIps || req.requestError) return false;
  // A freed address that is one of its status IPs may make its status (the strongest claim) valid
  // again: that is no probe-order question (a status outranks every automatic choice, whatever its
  // pool's place in the pool order), so it needs a full evaluation.
  if (req.statusIps && freed.some(([f, value]) => req.statusIps?.some((ip) => ip.family === f && ip.value === value))) return false;
  // A holder of one automatic address (it probed far, so it waits on its pool) may only move to a freed
  // address it reaches before its own: same test, against its current claim.
  const held = e.assigned;
  const heldRank = held?.ranks?.[0];
  if (held) {
    if (held.ips.length !== 1 || heldRank?.tier !== 2 || e.result?.error !== undefined || e.result?.ips.length !== 1) return false;
  } else if (e.result?.error?.rule !== 'noAvailableIPs') {
    return false;
  }
  const pools = req.requestedPool !== undefined ? [st.pools.get(req.requestedPool)] : [...pinnedPools(st, req), ...st.autoPools];
  const identity = probeIdentity(req);
  for (const [f, value, poolName] of freed) {
    if (f !== family) continue;
    const ord = pools.findIndex((p) => p?.name === poolName);
    const pool = pools[ord];
    if (!pool) continue;
    const space = probeSpace(pool, family);
    if (!space) continue;
    const idx = probeIndexOf(probeSequence(identity, space), value);
    if (idx === undefined) continue;
    const rank: Rank = { tier: 2, poolOrd: ord, idx: Number(idx) };
    if (heldRank && (ord > heldRank.poolOrd || (ord === heldRank.poolOrd && rank.idx >= heldRank.idx))) continue;
    if (!st.used[family].has(value) || sharingProblem(st, req, family, value, { req, rank }) === undefined) return false;
  }
  return true;
}

/**
 * MetalLB's `allocateIPs`: requested IPs, else the requested pool, else pinned then autoAssign pools.
 * In standalone mode (`sa`) automatic choices come from the probe sequences and only stronger claims
 * count against a request.
 */
function allocateFresh(st: AllocatorState, req: ServiceRequest, sa?: Probe): Choice | Failure {
  if (req.requestError) return { error: req.requestError, deps: [] };
  const family = req.family as ServiceFamily;
  if (req.requestedIps) {
    const reqFamily = familyOfAddresses(req.requestedIps) as ServiceFamily;
    if (reqFamily !== family) {
      return failure(
        'AllocationFailed',
        'requestedFamilyMismatch',
        `requested IPs ${ipText(req.requestedIps)} are ${familyLabel(reqFamily)} but the service is ${familyLabel(family)}`,
      );
    }
    const view: View | undefined = sa ? { req, rank: REQUESTED } : undefined;
    const checked = checkAssign(st, req, req.requestedIps, view, sa?.trail);
    if ('error' in checked) return checked;
    if (req.requestedPool !== undefined && checked.pool.name !== req.requestedPool) {
      return failure(
        'AllocationFailed',
        'requestedPoolMismatch',
        `requested IPs ${ipText(req.requestedIps)} are in pool ${checked.pool.name}, not in the requested pool ${req.requestedPool}`,
      );
    }
    const ips = req.requestedIps;
    return sa ? { pool: checked.pool, ips, ranks: sameRanks(ips, REQUESTED_RANKS, REQUESTED) } : { pool: checked.pool, ips };
  }
  if (req.requestedPool !== undefined) {
    const pool = st.pools.get(req.requestedPool);
    if (!pool) {
      return failure('AllocationFailed', 'unknownPool', `pool ${req.requestedPool} (${ANNOTATION.addressPool}) does not exist`);
    }
    if (!admits(st, pool, req)) {
      return failure(
        'AllocationFailed',
        'poolNotAvailable',
        `pool ${pool.name} is not available to ${req.key}: its serviceAllocation selects other namespaces or services`,
      );
    }
    const free = freeIn(st, pool, req, familiesOf(family), 0, sa);
    const ips = select(req, free);
    if (!ips) {
      return failure('AllocationFailed', 'noAvailableIPs', `no available IPs in pool ${pool.name}${familySuffix(req)}`, [pool.name]);
    }
    return choose(pool, ips, free, 0, sa);
  }
  const pinned = pinnedPools(st, req);
  const choice = bestPool(st, pinned, req, 0, sa) ?? bestPool(st, st.autoPools, req, pinned.length, sa);
  if (choice) return choice;
  const triedPools = [...pinned, ...st.autoPools];
  const tried = triedPools.map((p) => p.name);
  if (tried.length === 0) {
    return failure(
      'AllocationFailed',
      'noAvailableIPs',
      `no pool assigns addresses to ${req.key} automatically (autoAssign: false pools need ${ANNOTATION.addressPool}; serviceAllocation reserves the others)`,
    );
  }
  const where = tried.length === 1 ? `pool ${tried[0] as string}` : `pools ${tried.join(', ')}`;
  // Only pools with addresses of the service's families can change the answer (until setPools).
  const families = familiesOf(family);
  const deps = triedPools.filter((p) => p.segments.some((seg) => families.includes(seg.family) && seg.lo <= seg.hi)).map((p) => p.name);
  return failure('AllocationFailed', 'noAvailableIPs', `no available IPs in ${where}${familySuffix(req)}`, deps);
}

function setPending(st: AllocatorState, e: ServiceEntry, deps: readonly string[]): void {
  clearPending(st, e);
  if (deps.length === 0) return;
  e.pending = deps;
  for (const d of deps) {
    let set = st.pendingByPool.get(d);
    if (!set) st.pendingByPool.set(d, (set = new Set()));
    set.add(e.req.key);
  }
}

function clearPending(st: AllocatorState, e: ServiceEntry): void {
  if (!e.pending) return;
  for (const d of e.pending) st.pendingByPool.get(d)?.delete(e.req.key);
  e.pending = undefined;
}

function setOk(e: ServiceEntry): void {
  const a = e.assigned as Assignment;
  e.result = {
    service: e.req.key,
    ips: a.ips.map(formatIp),
    pool: a.pool,
    warnings: e.extraWarning ? [...e.req.warnings, e.extraWarning] : e.req.warnings,
  };
}

function setFailed(st: AllocatorState, e: ServiceEntry, f: Failure, ctx: Ctx): void {
  release(st, e);
  const before = e.result?.error?.message;
  e.result = { service: e.req.key, ips: NO_IPS, error: f.error, warnings: e.req.warnings };
  setPending(st, e, f.deps);
  if (before !== f.error.message) {
    ctx.events.push({ service: e.req.key, type: 'Warning', reason: f.error.reason, rule: f.error.rule, message: f.error.message });
  }
}

function event(ctx: Ctx, e: ServiceEntry, type: AllocationEvent['type'], err: AllocationError): void {
  ctx.events.push({ service: e.req.key, type, reason: err.reason, rule: err.rule, message: err.message });
}

function needsAdditional(e: ServiceEntry): boolean {
  return e.assigned?.ips.length === 1 && e.req.policy === 'PreferDualStack' && e.req.family === 'dual';
}

/** A service's IP family as MetalLB's `serviceFamilyChanged` sees it. */
function familyChanged(lb: ServiceFamily, svc: ServiceFamily, req: ServiceRequest): boolean {
  if (lb === svc) return false;
  return !(svc === 'dual' && req.policy === 'PreferDualStack');
}

function sameIps(a: readonly IpAddress[], b: readonly IpAddress[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((x) => b.some((y) => y.family === x.family && y.value === x.value));
}

/** What step 1 decided for one service. */
type Judgement =
  | { readonly kind: 'unhandled' }
  | { readonly kind: 'fail'; readonly failure: Failure }
  | { readonly kind: 'keep'; readonly pool: PoolState; readonly ips: readonly IpAddress[]; readonly badRequest?: AllocationError }
  | { readonly kind: 'allocate' };

/**
 * Step 1 for one service (MetalLB's `convergeBalancer` up to allocation): whether `current` is still
 * valid. Records the events of clearing it in `ctx`; changes no state. With a `view` (standalone
 * mode) only stronger claims count, and refused addresses are noted in `trail`.
 */
function judgeCurrent(
  st: AllocatorState,
  e: ServiceEntry,
  current: readonly IpAddress[] | undefined,
  how: { readonly fromStatus: boolean; readonly announce: boolean },
  ctx: Ctx,
  view?: View,
  trail?: Trail,
): Judgement {
  const req = e.req;
  if (!req.handled) return { kind: 'unhandled' };
  if (how.announce) {
    for (const w of req.warnings) event(ctx, e, 'Warning', w);
  }
  if (st.pools.size === 0) return { kind: 'fail', failure: failure('AllocationFailed', 'noPools', 'no IPAddressPool is configured') };
  if (req.familyError) return { kind: 'fail', failure: { error: req.familyError, deps: [] } };
  let ips = current && current.length > 0 ? current : undefined;
  if (how.fromStatus && req.statusError) {
    event(ctx, e, 'Warning', req.statusError);
    ips = undefined;
  }
  if (ips) {
    const lbFamily = familyOfAddresses(ips);
    if (!lbFamily) {
      event(ctx, e, 'Warning', {
        reason: 'nolbIPsIPFamily',
        rule: 'invalidStatusIPs',
        message: `cannot tell the IP family of the current IPs ${ipText(ips)}`,
      });
      ips = undefined;
    } else if (familyChanged(lbFamily, req.family as ServiceFamily, req)) {
      event(ctx, e, 'Normal', {
        reason: 'ClearAssignment',
        rule: 'familyChanged',
        message: `current IPs ${ipText(ips)} are ${familyLabel(lbFamily)} but the service is ${familyLabel(req.family as ServiceFamily)}`,
      });
      ips = undefined;
    }
  }
  if (ips) {
    const checked = checkAssign(st, req, ips, view, trail);
    if ('error' in checked) {
      event(ctx, e, 'Normal', {
        reason: 'ClearAssignment',
        rule: 'currentIPNotAllowed',
        message: `current IP for ${req.key} not allowed by config, will attempt for new IP assignment: ${checked.error.message}`,
      });
    } else if (req.requestedPool !== undefined && checked.pool.name !== req.requestedPool) {
      event(ctx, e, 'Normal', {
        reason: 'ClearAssignment',
        rule: 'differentPoolRequested',
        message: `pool ${req.requestedPool} requested instead of ${checked.pool.name}`,
      });
    } else if (req.requestError) {
      // MetalLB keeps the valid IPs and reports the bad request (LoadBalancerFailed).
      return { kind: 'keep', pool: checked.pool, ips, badRequest: { ...req.requestError, reason: 'LoadBalancerFailed' } };
    } else if (req.requestedIps && (!sameIps(req.requestedIps, ips) || familyOfAddresses(req.requestedIps) !== req.family)) {
      // A request of another family than the service's is refused by the allocation that follows.
      event(ctx, e, 'Normal', {
        reason: 'ClearAssignment',
        rule: 'differentIPRequested',
        message: `requested IPs ${ipText(req.requestedIps)} differ from the current ${ipText(ips)}`,
      });
    } else {
      return { kind: 'keep', pool: checked.pool, ips };
    }
  }
  return { kind: 'allocate' };
}

/** The result of a service that keeps valid IPs while its new request is unreadable. */
function setBadRequest(e: ServiceEntry, error: AllocationError, ctx: Ctx): void {
  setOk(e);
  e.result = { ...(e.result as ServiceResult), error };
  event(ctx, e, 'Warning', error);
}

/**
 * Step 1 for one service (MetalLB's `convergeBalancer` up to allocation): keeps `current` when it is
 * still valid, else clears it. Returns true when the service still needs an allocation step.
 */
function keep(
  st: AllocatorState,
  e: ServiceEntry,
  current: readonly IpAddress[] | undefined,
  how: { readonly fromStatus: boolean; readonly announce: boolean },
  ctx: Ctx,
): boolean {
  touch(ctx, e);
  clearPending(st, e);
  e.extraWarning = undefined;
  const j = judgeCurrent(st, e, current, how, ctx);
  switch (j.kind) {
    case 'unhandled':
      release(st, e);
      if (e.result) ctx.removed.add(e.req.key);
      e.result = undefined;
      return false;
    case 'fail':
      setFailed(st, e, j.failure, ctx);
      return false;
    case 'keep':
      assign(st, e, j.pool, j.ips);
      if (j.badRequest) {
        setBadRequest(e, j.badRequest, ctx);
        return false;
      }
      setOk(e);
      return needsAdditional(e);
    case 'allocate':
      release(st, e);
      return true;
  }
}

/** PreferDualStack with one address: try the missing family from the same pool. */
function additional(st: AllocatorState, e: ServiceEntry, ctx: Ctx): void {
  const a = e.assigned as Assignment;
  const pool = st.pools.get(a.pool) as PoolState;
  const have = (a.ips[0] as IpAddress).family;
  const want = other(have);
  const v = freeIn(st, pool, e.req, [want])[want]?.value;
  if (v === undefined) {
    // Only a pool with addresses of the missing family can ever supply it (until setPools).
    const canChange = pool.segments.some((seg) => seg.family === want && seg.lo <= seg.hi);
    const warning = additionalWarning(want, pool);
    const had = e.extraWarning?.message;
    e.extraWarning = warning;
    setOk(e);
    setPending(st, e, canChange ? [pool.name] : []);
    if (had !== warning.message) event(ctx, e, 'Normal', warning);
    return;
  }
  e.extraWarning = undefined;
  assign(st, e, pool, [a.ips[0] as IpAddress, addr(want, v)]);
  setOk(e);
  ctx.events.push({
    service: e.req.key,
    type: 'Normal',
    reason: 'IPAllocated',
    message: `Assigned additional IP ${JSON.stringify(formatIpValue(want, v))}`,
  });
}

/** Step 2 for one service: allocation (or the second family of a PreferDualStack service). */
function allocate(st: AllocatorState, e: ServiceEntry, ctx: Ctx): void {
  touch(ctx, e);
  clearPending(st, e);
  if (e.assigned) {
    if (needsAdditional(e)) additional(st, e, ctx);
    e.attemptEpoch = st.epoch;
    return;
  }
  const r = allocateFresh(st, e.req);
  if ('error' in r) {
    setFailed(st, e, r, ctx);
  } else {
    assign(st, e, r.pool, r.ips);
    setOk(e);
    const text = (e.result as ServiceResult).ips.join(',');
    ctx.events.push({ service: e.req.key, type: 'Normal', reason: 'IPAllocated', message: assignedMessage(text) });
    if (needsAdditional(e)) additional(st, e, ctx);
  }
  e.attemptEpoch = st.epoch;
}

function isStale(st: AllocatorState, e: ServiceEntry): boolean {
  if (!e.pending) return false;
  return e.pending.some((d) => (st.pools.get(d)?.epoch ?? 0) > e.attemptEpoch);
}

const compareEntries = (a: ServiceEntry, b: ServiceEntry): number => compareRequests(a.req, b.req);

/**
 * Allocates `initial` and every pending service whose pools changed, in service order, until no
 * pending service is left whose pools changed since its last try.
 */
function settle(st: AllocatorState, initial: readonly ServiceEntry[], ctx: Ctx): void {
  let queue: ServiceEntry[] = [...initial];
  for (;;) {
    // Entries of `queue` are never pending (keep() cleared that), so only stale ones need de-duplication.
    const seen = new Set<string>();
    const dirty = [...st.dirty];
    st.dirty.clear();
    for (const name of dirty) {
      for (const key of st.pendingByPool.get(name) ?? []) {
        const e = st.entries.get(key);
        if (e && !seen.has(key) && isStale(st, e)) {
          seen.add(key);
          queue.push(e);
        }
      }
    }
    if (queue.length === 0) return;
    queue.sort(compareEntries);
    for (const e of queue) allocate(st, e, ctx);
    queue = [];
  }
}

const newCtx = (diff = true): Ctx => ({ events: [], before: diff ? new Map() : undefined, removed: new Set() });

function sameError(a: AllocationError | undefined, b: AllocationError | undefined): boolean {
  if (a === b) return true;
  return a !== undefined && b !== undefined && a.reason === b.reason && a.rule === b.rule && a.message === b.message;
}

/** Whether two results say the same thing (IPs, pool, error, warnings). */
function sameResult(a: ServiceResult | undefined, b: ServiceResult | undefined): boolean {
  if (a === b) return true;
  if (!a || !b) return false;
  return (
    a.service === b.service &&
    a.pool === b.pool &&
    a.ips.length === b.ips.length &&
    a.ips.every((ip, i) => ip === b.ips[i]) &&
    sameError(a.error, b.error) &&
    a.warnings.length === b.warnings.length &&
    a.warnings.every((w, i) => sameError(w, b.warnings[i]))
  );
}

/** The services whose result the operation changed, exactly, and those that left. */
function changes(st: AllocatorState, ctx: Ctx): AllocatorChanges {
  const updated: ServiceResult[] = [];
  const before = ctx.before ?? new Map<string, ServiceResult | undefined>();
  for (const key of [...before.keys()].sort()) {
    const r = st.entries.get(key)?.result;
    if (r && !sameResult(before.get(key), r)) updated.push(r);
  }
  return { updated, removed: [...ctx.removed].filter((k) => !st.entries.get(k)?.result).sort(), events: ctx.events };
}

// ---------------------------------------------------------------------------------------------
// Standalone mode (README "Standalone mode"): every claim on an address has a rank; a service's
// result is the first acceptable choice given the stronger claims only, whatever the history, so the
// state is a function of the current services. A change re-evaluates only the services that were
// refused at an address that was freed (`refusedAt`), those waiting on a pool that freed one
// (`pendingByPool`), and those evicted by a stronger claim: work follows the change.

function queuePush(st: AllocatorState, e: ServiceEntry): void {
  if (e.queued) return;
  e.queued = true;
  const q = st.queue;
  q.push(e);
  let i = q.length - 1;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (compareEntries(q[parent] as ServiceEntry, e) <= 0) break;
    q[i] = q[parent] as ServiceEntry;
    i = parent;
  }
  q[i] = e;
}

function queuePop(st: AllocatorState): ServiceEntry | undefined {
  const q = st.queue;
  const top = q[0];
  if (top === undefined) return undefined;
  const last = q.pop() as ServiceEntry;
  if (q.length > 0) {
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      const cur = (k: number): ServiceEntry => (k === i ? last : (q[k] as ServiceEntry));
      if (l < q.length && compareEntries(q[l] as ServiceEntry, cur(m)) < 0) m = l;
      if (r < q.length && compareEntries(q[r] as ServiceEntry, cur(m)) < 0) m = r;
      if (m === i) break;
      q[i] = q[m] as ServiceEntry;
      i = m;
    }
    q[i] = last;
  }
  top.queued = false;
  return top;
}

/** Forgets where `e` was refused and which pools it waits on. */
function unregister(st: AllocatorState, e: ServiceEntry): void {
  const trail = e.trail ?? NO_TRAIL;
  for (let i = 0; i + 1 < trail.length; i += 2) {
    const family = trail[i] as IpFamily;
    const value = trail[i + 1] as bigint;
    const at = st.refusedAt[family];
    const set = at.get(value);
    if (set === undefined) continue;
    if (typeof set === 'string') {
      if (set === e.req.key) at.delete(value);
      continue;
    }
    set.delete(e.req.key);
    if (set.size === 0) at.delete(value);
  }
  e.trail = undefined;
  clearPending(st, e);
  unreserve(st, e);
}

/** Lifts `e`'s reservation; the services it kept off those addresses look again. */
function unreserve(st: AllocatorState, e: ServiceEntry): void {
  const ips = e.reserved;
  if (!ips) return;
  e.reserved = undefined;
  for (const ip of ips) {
    const at = st.reserved[ip.family];
    const list = at.get(ip.value);
    if (!list) continue;
    const rest = list.filter((k) => k !== e.req.key);
    if (rest.length === 0) at.delete(ip.value);
    else at.set(ip.value, rest);
    const pool = poolOf(st, ip).pool;
    if (pool) wakeAt(st, ip.family, ip.value, pool.name);
  }
}

/**
 * A request refused by a stronger claim on one of its addresses still outranks the weaker claims on
 * all of them: it reserves them and evicts the weaker holders it may not share with. Without this,
 * an automatic choice would take a requested address while the request is refused, and a restart
 * (that address now a status) would refuse the request for another reason than before.
 */
function reserve(st: AllocatorState, e: ServiceEntry, ips: readonly IpAddress[], ctx: Ctx): void {
  e.reserved = ips;
  for (const ip of ips) {
    const at = st.reserved[ip.family];
    const list = at.get(ip.value);
    if (list) list.push(e.req.key);
    else at.set(ip.value, [e.req.key]);
    const use = st.used[ip.family].get(ip.value);
    if (!use) continue;
    for (const key of [...use.services]) {
      const h = st.entries.get(key);
      if (!h || h === e || compatible(e.req, h.req)) continue;
      if (!stronger(e.req, REQUESTED, h.req, rankAt(h, ip.family, ip.value))) continue;
      touch(ctx, h);
      release(st, h);
      st.woken.add(key);
    }
  }
}

const SHARING_RULES: ReadonlySet<AllocationRule> = new Set(['sharingNotAllowed', 'sharingKeyMismatch', 'backendKeyMismatch', 'portInUse']);

function register(st: AllocatorState, e: ServiceEntry, sa: Probe, deps: readonly string[]): void {
  if (sa.trail.length > 0) {
    e.trail = sa.trail.slice(); // exact size: it is kept until the next evaluation
    for (let i = 0; i + 1 < sa.trail.length; i += 2) {
      const family = sa.trail[i] as IpFamily;
      const value = sa.trail[i + 1] as bigint;
      const at = st.refusedAt[family];
      const set = at.get(value);
      if (set === undefined) at.set(value, e.req.key);
      else if (typeof set !== 'string') set.add(e.req.key);
      else if (set !== e.req.key) at.set(value, new Set([set, e.req.key]));
    }
  }
  if (deps.length === 0 && sa.watch === undefined) return;
  const watch = new Set(deps);
  for (const p of sa.watch ?? []) watch.add(p);
  setPending(st, e, [...watch].sort());
}

/** Whether `a` and `b` may be on one address together (MetalLB's sharing rules). */
function compatible(a: ServiceRequest, b: ServiceRequest): boolean {
  if (a.sharingKey === '' || a.sharingKey !== b.sharingKey || a.backendKey !== b.backendKey) return false;
  return !a.ports.some((p) => b.ports.includes(p));
}

function sameAssignment(a: Assignment | undefined, pool: PoolState, ips: readonly IpAddress[], ranks: readonly Rank[]): boolean {
  if (!a || a.pool !== pool.name || a.ips.length !== ips.length || !a.ranks) return false;
  for (let i = 0; i < ips.length; i++) {
    const x = a.ips[i] as IpAddress;
    const y = ips[i] as IpAddress;
    const rx = a.ranks[i] as Rank;
    const ry = ranks[i] as Rank;
    if (x.family !== y.family || x.value !== y.value || rx.tier !== ry.tier || rx.poolOrd !== ry.poolOrd || rx.idx !== ry.idx) return false;
  }
  return true;
}

/** Gives `e` the addresses, evicting the weaker holders it cannot share with (they are evaluated again). */
function claim(st: AllocatorState, e: ServiceEntry, pool: PoolState, ips: readonly IpAddress[], ranks: readonly Rank[], ctx: Ctx): boolean {
  if (sameAssignment(e.assigned, pool, ips, ranks)) return false;
  release(st, e);
  for (const ip of ips) {
    const use = st.used[ip.family].get(ip.value);
    if (!use) continue;
    for (const key of [...use.services]) {
      const h = st.entries.get(key);
      if (!h || h === e || compatible(e.req, h.req)) continue;
      touch(ctx, h);
      release(st, h);
      st.woken.add(key);
    }
  }
  assign(st, e, pool, ips, ranks);
  return true;
}

function additionalWarning(want: IpFamily, pool: PoolState): AllocationError {
  return {
    reason: 'AdditionalAssignFailed',
    rule: 'additionalFamilyUnavailable',
    message: `cannot assign additional IP in PreferDualStack: no available ${familyLabel(want)} IPs in pool ${pool.name}`,
  };
}

const FROM_STATUS_ANNOUNCED = { fromStatus: true, announce: true } as const;
const FROM_STATUS_QUIET = { fromStatus: true, announce: false } as const;

/** Standalone mode: computes `e`'s result from the stronger claims and applies it. */
function evaluate(st: AllocatorState, e: ServiceEntry, announce: boolean, ctx: Ctx): void {
  touch(ctx, e);
  const before = e.result;
  const eventsBefore = ctx.events.length;
  unregister(st, e);
  const req = e.req;
  const sa: Probe = { req, trail: [], watch: undefined };
  const j = judgeCurrent(st, e, req.statusIps, announce ? FROM_STATUS_ANNOUNCED : FROM_STATUS_QUIET, ctx, { req, rank: TOP }, sa.trail);
  let deps: readonly string[] = [];
  const hadWarning = e.extraWarning?.message;
  e.extraWarning = undefined;
  if (j.kind === 'unhandled') {
    release(st, e);
    if (e.result) ctx.removed.add(req.key);
    e.result = undefined;
  } else if (j.kind === 'fail') {
    setFailed(st, e, j.failure, ctx);
    deps = j.failure.deps;
  } else if (j.kind === 'keep') {
    let ips = j.ips;
    let ranks: readonly Rank[] = sameRanks(j.ips, TOP_RANKS, TOP);
    if (!j.badRequest && ips.length === 1 && req.policy === 'PreferDualStack' && req.family === 'dual') {
      // MetalLB adds the missing family from the same pool; here, from the service's probe sequence.
      const want = other((ips[0] as IpAddress).family);
      const found = probeFor(st, j.pool, want, req, 0, sa);
      if (found) {
        ips = [ips[0] as IpAddress, addr(want, found.value)];
        ranks = [TOP, autoRank(0, found.idx)];
      } else {
        e.extraWarning = additionalWarning(want, j.pool);
        if (j.pool.segments.some((seg) => seg.family === want && seg.lo <= seg.hi)) deps = [j.pool.name];
      }
    }
    claim(st, e, j.pool, ips, ranks, ctx);
    if (j.badRequest) setBadRequest(e, j.badRequest, ctx);
    else setOk(e);
    if (e.extraWarning && hadWarning !== e.extraWarning.message) event(ctx, e, 'Normal', e.extraWarning);
  } else {
    const r = allocateFresh(st, req, sa);
    if ('error' in r) {
      setFailed(st, e, r, ctx);
      deps = r.deps;
      if (req.requestedIps && SHARING_RULES.has(r.error.rule)) reserve(st, e, req.requestedIps, ctx);
    } else {
      const moved = claim(st, e, r.pool, r.ips, r.ranks as readonly Rank[], ctx);
      if (r.ips.length === 1 && req.policy === 'PreferDualStack' && req.family === 'dual') {
        // No pool had both families: the first pool with the primary one gave it; say what is missing.
        const want = other((r.ips[0] as IpAddress).family);
        e.extraWarning = additionalWarning(want, r.pool);
        if (r.pool.segments.some((seg) => seg.family === want && seg.lo <= seg.hi)) deps = [r.pool.name];
      }
      setOk(e);
      const ips = (e.result as ServiceResult).ips;
      if (moved && (before === undefined || before.ips.length !== ips.length || before.ips.some((ip, i) => ip !== ips[i]))) {
        const text = (e.result as ServiceResult).ips.join(',');
        ctx.events.push({ service: req.key, type: 'Normal', reason: 'IPAllocated', message: assignedMessage(text) });
      }
      if (e.extraWarning && hadWarning !== e.extraWarning.message) event(ctx, e, 'Normal', e.extraWarning);
    }
  }
  register(st, e, sa, deps);
  // A re-evaluation that changed nothing says nothing.
  if (!announce && sameResult(before, e.result)) ctx.events.length = eventsBefore;
}

/**
 * Standalone mode: evaluates `sorted` (in service order) and every service woken or evicted, until none
 * is left. The queue is merged with `sorted`, so a whole load costs no heap operations.
 */
function runQueue(st: AllocatorState, sorted: readonly ServiceEntry[], ctx: Ctx): void {
  const drainWoken = (): void => {
    for (const key of st.woken) {
      const w = st.entries.get(key);
      if (w) queuePush(st, w);
    }
    st.woken.clear();
  };
  drainWoken();
  let i = 0;
  for (;;) {
    const next = sorted[i];
    const top = st.queue[0];
    let e: ServiceEntry | undefined;
    if (next !== undefined && (top === undefined || compareEntries(next, top) <= 0)) {
      i++;
      if (next.queued) continue; // woken already: the queue has it
      e = next;
    } else {
      e = queuePop(st);
    }
    if (e === undefined) return;
    if (st.entries.get(e.req.key) !== e) continue;
    const skip = stillNothing(st, e);
    e.freed = undefined;
    if (skip) continue;
    const announce = e.announce === true;
    e.announce = false;
    evaluate(st, e, announce, ctx);
    drainWoken();
  }
}

function usage(pool: PoolState): PoolUsage {
  const v4 = { inUse: pool.inUse.ipv4, total: Number(pool.total.ipv4) };
  const v6 = { inUse: pool.inUse.ipv6, total: Number(pool.total.ipv6) };
  return { pool: pool.name, inUse: v4.inUse + v6.inUse, total: Number(pool.total.ipv4 + pool.total.ipv6), ipv4: v4, ipv6: v6 };
}

/**
 * The incremental allocator. Every operation leaves the state settled and returns exactly the results
 * it changed. Without `standalone` the results are always those `allocateAll` gives for the same
 * services with their current IPs as statuses; in standalone mode, those `allocateAll` gives for the
 * same services as they are (a function of the current services, whatever the history).
 */
export class Allocator {
  private st: AllocatorState;

  /** An allocator over `input.pools`, loaded with `input.services` (statuses are kept first). */
  constructor(input: Partial<AllocationInput> & { readonly pools: readonly PoolConfig[] }) {
    this.st = newState(input.pools, input.options ?? {}, input.namespaces ?? {});
    const ctx = newCtx(false);
    const entries: ServiceEntry[] = [];
    for (const svc of input.services ?? []) {
      const req = readRequest(svc, this.st.options);
      const e = newEntry(svc, req);
      const prev = this.st.entries.get(req.key);
      if (prev) entries.splice(entries.indexOf(prev), 1);
      this.st.entries.set(req.key, e);
      entries.push(e);
    }
    this.load(entries, (e) => e.req.statusIps, { fromStatus: true, announce: true }, ctx);
    this.#lastEvents = ctx.events;
  }

  #lastEvents: readonly AllocationEvent[];

  /**
   * Events of the constructor's pass, until the next operation: every later operation returns its own
   * events, and these (one or more per Service) are let go rather than kept for the allocator's life.
   */
  get lastEvents(): readonly AllocationEvent[] {
    return this.#lastEvents;
  }

  private load(
    entries: readonly ServiceEntry[],
    current: (e: ServiceEntry) => readonly IpAddress[] | undefined,
    how: { readonly fromStatus: boolean; readonly announce: boolean },
    ctx: Ctx,
  ): void {
    const sorted = [...entries].sort(compareEntries);
    if (this.st.options.standalone) {
      for (const e of sorted) e.announce = how.announce;
      runQueue(this.st, sorted, ctx);
      return;
    }
    const todo: ServiceEntry[] = [];
    for (const e of sorted) if (keep(this.st, e, current(e), how, ctx)) todo.push(e);
    settle(this.st, todo, ctx);
  }

  /** The allocator's state (plain data; read it, do not change it). */
  get state(): AllocatorState {
    return this.st;
  }

  /**
   * A new or changed service. A new one keeps the IPs of its status when they are valid; a known one
   * keeps its current IPs while they are valid for its new spec.
   */
  upsert(svc: Service): AllocatorChanges {
    const ctx = newCtx();
    this.#lastEvents = NO_EVENTS;
    const req = readRequest(svc, this.st.options);
    const existing = this.st.entries.get(req.key);
    if (this.st.options.standalone) {
      let e = existing;
      if (e) {
        touch(ctx, e);
        unregister(this.st, e);
        release(this.st, e);
        e.service = svc;
        e.req = req;
      } else {
        e = newEntry(svc, req);
        this.st.entries.set(req.key, e);
      }
      e.announce = true;
      runQueue(this.st, [e], ctx);
      return changes(this.st, ctx);
    }
    let e: ServiceEntry;
    let current: readonly IpAddress[] | undefined;
    let fromStatus: boolean;
    if (existing) {
      e = existing;
      current = existing.assigned?.ips;
      fromStatus = false;
      e.service = svc;
      e.req = req;
    } else {
      e = newEntry(svc, req);
      this.st.entries.set(req.key, e);
      current = req.statusIps;
      fromStatus = true;
    }
    const todo = keep(this.st, e, current, { fromStatus, announce: true }, ctx) ? [e] : [];
    settle(this.st, todo, ctx);
    return changes(this.st, ctx);
  }

  /** Same as `upsert`: a service the allocator has not seen. */
  add(svc: Service): AllocatorChanges {
    return this.upsert(svc);
  }

  /** Same as `upsert`: a new version of a service. */
  update(svc: Service): AllocatorChanges {
    return this.upsert(svc);
  }

  /** A deleted service (by object or `namespace/name`): frees its IPs; pending services get them. */
  remove(svc: Service | string): AllocatorChanges {
    const ctx = newCtx();
    this.#lastEvents = NO_EVENTS;
    const key = typeof svc === 'string' ? svc : serviceKey(svc);
    const e = this.st.entries.get(key);
    if (e) {
      touch(ctx, e);
      if (this.st.options.standalone) unregister(this.st, e);
      clearPending(this.st, e);
      release(this.st, e);
      this.st.entries.delete(key);
      if (e.result) ctx.removed.add(key);
      if (this.st.options.standalone) runQueue(this.st, [], ctx);
      else settle(this.st, [], ctx);
    }
    return changes(this.st, ctx);
  }

  /** A new pool configuration: IPs still valid stay; the rest are reallocated in service order. */
  setPools(pools: readonly PoolConfig[]): AllocatorChanges {
    return this.rebuild(pools, this.st.namespaces);
  }

  /** New namespace labels (namespaceSelectors): as `setPools`. */
  setNamespaces(namespaces: NamespaceLabels): AllocatorChanges {
    return this.rebuild(
      this.st.poolList.map((p) => p.config),
      namespaces,
    );
  }

  private rebuild(pools: readonly PoolConfig[], namespaces: NamespaceLabels): AllocatorChanges {
    const ctx = newCtx();
    this.#lastEvents = NO_EVENTS;
    const old = this.st;
    this.st = newState(pools, old.options, namespaces);
    const entries: ServiceEntry[] = [];
    const current = new Map<string, readonly IpAddress[] | undefined>();
    for (const [key, e] of old.entries) {
      current.set(key, e.assigned?.ips);
      const fresh = newEntry(e.service, e.req);
      if (e.result) fresh.result = e.result;
      this.st.entries.set(key, fresh);
      entries.push(fresh);
    }
    this.load(entries, (e) => current.get(e.req.key), { fromStatus: false, announce: false }, ctx);
    return changes(this.st, ctx);
  }

  /** The result for one service, if it is handled. */
  result(key: string): ServiceResult | undefined {
    return this.st.entries.get(key)?.result;
  }

  /** Results of every handled service, sorted by `namespace/name`. */
  results(): ServiceResult[] {
    const out: ServiceResult[] = [];
    for (const e of this.st.entries.values()) if (e.result) out.push(e.result);
    return out.sort((a, b) => (a.service < b.service ? -1 : a.service > b.service ? 1 : 0));
  }

  /** Usage of every pool, by name. */
  poolUsage(): PoolUsage[] {
    return this.st.poolList.map(usage);
  }
}

/** The whole-state allocation: services with IPs in their status keep them first, then the rest in order. */
export function allocateAll(input: AllocationInput): AllocationResult {
  const a = new Allocator(input);
  return { services: a.results(), pools: a.poolUsage(), events: a.lastEvents };
}
