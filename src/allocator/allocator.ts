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
 * Invariants: every used address lies in its pool (and is not a buggy one when the pool avoids them);
 * services on one address share one non-empty sharing key and backend key and no port/protocol;
 * `pool.inUse` counts distinct used addresses; `pool.used` holds exactly the used addresses' keys;
 * `shared` lists exactly the used addresses with a non-empty sharing key.
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
import { lowerBound, lowestAbsent, runSetAdd, runSetDelete, sortedInsert, sortedRemove } from './run-set.js';
import type {
  AllocationError,
  AllocationEvent,
  AllocationInput,
  AllocationResult,
  AllocatorChanges,
  AllocatorOptions,
  NamespaceLabels,
  PoolUsage,
  ServiceResult,
} from './types.js';

/** The addresses a service holds and their pool. */
export interface Assignment {
  readonly pool: string;
  readonly ips: readonly IpAddress[];
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
}

/** Who uses one address. */
export interface AddressUse {
  readonly family: IpFamily;
  readonly value: bigint;
  readonly pool: string;
  sharing: string;
  backend: string;
  /** Keys of the services on this address (usually one). */
  services: string[];
  /** `port/PROTO` in use on the address, and the service using each (parallel arrays). */
  ports: string[];
  holders: string[];
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
}

interface Ctx {
  readonly events: AllocationEvent[];
  readonly touched: Set<string>;
  readonly removed: Set<string>;
}

type Failure = { readonly error: AllocationError; readonly deps: readonly string[] };
type Choice = { readonly pool: PoolState; readonly ips: readonly IpAddress[] };

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
      use.holders.forEach((h, i) => {
        if (h !== key) {
          ports.push(use.ports[i] as string);
          holders.push(h);
        }
      });
      use.ports = ports;
      use.holders = holders;
    } else {
      use.services = [];
    }
    if (use.services.length === 0) {
      st.used[ip.family].delete(ip.value);
      unindexShared(st, use);
      if (pool) {
        runSetDelete(pool.used[ip.family], keyOfAddress(pool, ip.family, ip.value));
        pool.inUse[ip.family]--;
      }
    }
  }
  if (pool) markPool(st, pool);
}

/** Gives `e` the addresses `ips` of `pool`; the caller has checked that this is allowed. */
function assign(st: AllocatorState, e: ServiceEntry, pool: PoolState, ips: readonly IpAddress[]): void {
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
        // Exact-size arrays: most addresses have one user for their whole life.
        services: [req.key],
        ports: req.ports.slice(),
        holders: req.ports.map(() => req.key),
      };
      st.used[ip.family].set(ip.value, use);
      runSetAdd(pool.used[ip.family], keyOfAddress(pool, ip.family, ip.value));
      pool.inUse[ip.family]++;
      indexShared(st, use);
    } else if (use.sharing !== req.sharingKey || use.backend !== req.backendKey) {
      // Only possible when `e` is the address's only user: its key changes in place (MetalLB too).
      unindexShared(st, use);
      use.sharing = req.sharingKey;
      use.backend = req.backendKey;
      indexShared(st, use);
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
  e.assigned = { pool: pool.name, ips };
  markPool(st, pool);
}

/** Why `req` may not use the address (MetalLB's `checkSharing`), or undefined when it may. */
function sharingProblem(st: AllocatorState, req: ServiceRequest, family: IpFamily, value: bigint): AllocationError | undefined {
  const use = st.used[family].get(value);
  if (!use) return undefined;
  let holder: string | undefined;
  for (const s of use.services) if (s !== req.key && (holder === undefined || s < holder)) holder = s;
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
    const i = use.ports.indexOf(port);
    const h = i === -1 ? undefined : use.holders[i];
    if (h !== undefined && h !== req.key) {
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

/** MetalLB's `Assign` checks: one pool holds all of `ips`, the pool admits the service, sharing allows it. */
function checkAssign(st: AllocatorState, req: ServiceRequest, ips: readonly IpAddress[]): { pool: PoolState } | Failure {
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
    const problem = sharingProblem(st, req, ip.family, ip.value);
    if (problem) return { error: problem, deps: [pool.name] };
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

/** MetalLB's `getFreeIPsFromPool`: per wanted family, the lowest acceptable address, walking ranges in order. */
function freeIn(st: AllocatorState, pool: PoolState, req: ServiceRequest, families: readonly IpFamily[]): Partial<Record<IpFamily, bigint>> {
  const out: Partial<Record<IpFamily, bigint>> = {};
  for (const seg of pool.segments) {
    if (!families.includes(seg.family) || out[seg.family] !== undefined || seg.lo > seg.hi) continue;
    const v = lowestAcceptable(st, pool, seg, req);
    if (v !== undefined) out[seg.family] = v;
  }
  return out;
}

const familiesOf = (f: ServiceFamily): readonly IpFamily[] => (f === 'dual' ? FAMILIES : [f]);
const addr = (family: IpFamily, value: bigint): IpAddress => ({ family, value });

/** MetalLB's `selectIPsForFamilyAndPolicy` over one pool's free addresses. */
function select(req: ServiceRequest, free: Partial<Record<IpFamily, bigint>>): IpAddress[] | undefined {
  const family = req.family as ServiceFamily;
  if (family !== 'dual') {
    const v = free[family];
    return v === undefined ? undefined : [addr(family, v)];
  }
  const v4 = free.ipv4;
  const v6 = free.ipv6;
  if (req.policy === 'SingleStack') return undefined;
  if (v4 !== undefined && v6 !== undefined) return [addr('ipv4', v4), addr('ipv6', v6)];
  if (req.policy === 'RequireDualStack') return undefined;
  if (v4 !== undefined) return [addr('ipv4', v4)];
  if (v6 !== undefined) return [addr('ipv6', v6)];
  return undefined;
}

/** MetalLB's `findBestPoolForService` + selection: the first pool that serves the service fully. */
function bestPool(st: AllocatorState, pools: readonly PoolState[], req: ServiceRequest): Choice | undefined {
  const family = req.family as ServiceFamily;
  let primaryCandidate: Choice | undefined;
  let secondaryCandidate: Choice | undefined;
  for (const pool of pools) {
    const free = freeIn(st, pool, req, familiesOf(family));
    if (family !== 'dual') {
      const v = free[family];
      if (v !== undefined) return { pool, ips: [addr(family, v)] };
      continue;
    }
    if (free.ipv4 !== undefined && free.ipv6 !== undefined) {
      const ips = select(req, free);
      if (ips) return { pool, ips };
      continue;
    }
    if (req.policy !== 'PreferDualStack') continue;
    const p = free[req.primary];
    const s = free[other(req.primary)];
    if (p !== undefined && !primaryCandidate) primaryCandidate = { pool, ips: [addr(req.primary, p)] };
    if (s !== undefined && !secondaryCandidate) secondaryCandidate = { pool, ips: [addr(other(req.primary), s)] };
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

/** MetalLB's `allocateIPs`: requested IPs, else the requested pool, else pinned then autoAssign pools. */
function allocateFresh(st: AllocatorState, req: ServiceRequest): Choice | Failure {
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
    const checked = checkAssign(st, req, req.requestedIps);
    if ('error' in checked) return checked;
    if (req.requestedPool !== undefined && checked.pool.name !== req.requestedPool) {
      return failure(
        'AllocationFailed',
        'requestedPoolMismatch',
        `requested IPs ${ipText(req.requestedIps)} are in pool ${checked.pool.name}, not in the requested pool ${req.requestedPool}`,
      );
    }
    return { pool: checked.pool, ips: req.requestedIps };
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
    const ips = select(req, freeIn(st, pool, req, familiesOf(family)));
    if (!ips) {
      return failure('AllocationFailed', 'noAvailableIPs', `no available IPs in pool ${pool.name}${familySuffix(req)}`, [pool.name]);
    }
    return { pool, ips };
  }
  const pinned = st.allocationPools.filter((p) => p.config.autoAssign && admits(st, p, req)).sort(comparePinned);
  const choice = bestPool(st, pinned, req) ?? bestPool(st, st.autoPools, req);
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
  e.result = { service: e.req.key, ips: [], error: f.error, warnings: e.req.warnings };
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
  const fromStatus = how.fromStatus;
  const req = e.req;
  ctx.touched.add(req.key);
  clearPending(st, e);
  e.extraWarning = undefined;
  if (!req.handled) {
    release(st, e);
    if (e.result) ctx.removed.add(req.key);
    e.result = undefined;
    return false;
  }
  if (how.announce) {
    for (const w of req.warnings) event(ctx, e, 'Warning', w);
  }
  if (st.pools.size === 0) {
    setFailed(st, e, failure('AllocationFailed', 'noPools', 'no IPAddressPool is configured'), ctx);
    return false;
  }
  if (req.familyError) {
    setFailed(st, e, { error: req.familyError, deps: [] }, ctx);
    return false;
  }
  let ips = current && current.length > 0 ? current : undefined;
  if (fromStatus && req.statusError) {
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
    const checked = checkAssign(st, req, ips);
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
      assign(st, e, checked.pool, ips);
      setOk(e);
      const error: AllocationError = { ...req.requestError, reason: 'LoadBalancerFailed' };
      e.result = { ...(e.result as ServiceResult), error };
      event(ctx, e, 'Warning', error);
      return false;
    } else if (req.requestedIps && (!sameIps(req.requestedIps, ips) || familyOfAddresses(req.requestedIps) !== req.family)) {
      // A request of another family than the service's is refused by the allocation that follows.
      event(ctx, e, 'Normal', {
        reason: 'ClearAssignment',
        rule: 'differentIPRequested',
        message: `requested IPs ${ipText(req.requestedIps)} differ from the current ${ipText(ips)}`,
      });
    } else {
      assign(st, e, checked.pool, ips);
      setOk(e);
      return needsAdditional(e);
    }
  }
  release(st, e);
  return true;
}

/** PreferDualStack with one address: try the missing family from the same pool. */
function additional(st: AllocatorState, e: ServiceEntry, ctx: Ctx): void {
  const a = e.assigned as Assignment;
  const pool = st.pools.get(a.pool) as PoolState;
  const have = (a.ips[0] as IpAddress).family;
  const want = other(have);
  const v = freeIn(st, pool, e.req, [want])[want];
  if (v === undefined) {
    // Only a pool with addresses of the missing family can ever supply it (until setPools).
    const canChange = pool.segments.some((seg) => seg.family === want && seg.lo <= seg.hi);
    const warning: AllocationError = {
      reason: 'AdditionalAssignFailed',
      rule: 'additionalFamilyUnavailable',
      message: `cannot assign additional IP in PreferDualStack: no available ${familyLabel(want)} IPs in pool ${pool.name}`,
    };
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
  ctx.touched.add(e.req.key);
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
    ctx.events.push({ service: e.req.key, type: 'Normal', reason: 'IPAllocated', message: `Assigned IP "${text}"` });
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

const newCtx = (): Ctx => ({ events: [], touched: new Set(), removed: new Set() });

function changes(st: AllocatorState, ctx: Ctx): AllocatorChanges {
  const updated: ServiceResult[] = [];
  for (const key of [...ctx.touched].sort()) {
    const r = st.entries.get(key)?.result;
    if (r) updated.push(r);
  }
  return { updated, removed: [...ctx.removed].sort(), events: ctx.events };
}

function usage(pool: PoolState): PoolUsage {
  const v4 = { inUse: pool.inUse.ipv4, total: Number(pool.total.ipv4) };
  const v6 = { inUse: pool.inUse.ipv6, total: Number(pool.total.ipv6) };
  return { pool: pool.name, inUse: v4.inUse + v6.inUse, total: Number(pool.total.ipv4 + pool.total.ipv6), ipv4: v4, ipv6: v6 };
}

/**
 * The incremental allocator. Every operation leaves the state settled and returns what changed; the
 * results are always those `allocateAll` gives for the same services with their current IPs as
 * statuses.
 */
export class Allocator {
  private st: AllocatorState;

  /** An allocator over `input.pools`, loaded with `input.services` (statuses are kept first). */
  constructor(input: Partial<AllocationInput> & { readonly pools: readonly PoolConfig[] }) {
    this.st = newState(input.pools, input.options ?? {}, input.namespaces ?? {});
    const ctx = newCtx();
    const entries: ServiceEntry[] = [];
    for (const svc of input.services ?? []) {
      const req = readRequest(svc, this.st.options);
      const e: ServiceEntry = { service: svc, req, attemptEpoch: 0 };
      const prev = this.st.entries.get(req.key);
      if (prev) entries.splice(entries.indexOf(prev), 1);
      this.st.entries.set(req.key, e);
      entries.push(e);
    }
    this.load(entries, (e) => e.req.statusIps, { fromStatus: true, announce: true }, ctx);
    this.lastEvents = ctx.events;
  }

  /** Events of the constructor's pass. */
  readonly lastEvents: readonly AllocationEvent[];

  private load(
    entries: readonly ServiceEntry[],
    current: (e: ServiceEntry) => readonly IpAddress[] | undefined,
    how: { readonly fromStatus: boolean; readonly announce: boolean },
    ctx: Ctx,
  ): void {
    const sorted = [...entries].sort(compareEntries);
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
    const req = readRequest(svc, this.st.options);
    const existing = this.st.entries.get(req.key);
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
      e = { service: svc, req, attemptEpoch: 0 };
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
    const key = typeof svc === 'string' ? svc : serviceKey(svc);
    const e = this.st.entries.get(key);
    if (e) {
      clearPending(this.st, e);
      release(this.st, e);
      this.st.entries.delete(key);
      if (e.result) ctx.removed.add(key);
      settle(this.st, [], ctx);
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
    const old = this.st;
    this.st = newState(pools, old.options, namespaces);
    const entries: ServiceEntry[] = [];
    const current = new Map<string, readonly IpAddress[] | undefined>();
    for (const [key, e] of old.entries) {
      current.set(key, e.assigned?.ips);
      const fresh: ServiceEntry = { service: e.service, req: e.req, attemptEpoch: 0 };
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
