/**
 * Pools as the allocator holds them: each `PoolConfig` range becomes a segment (first..last) in the
 * pool's order, with the pool's used addresses as one run set per family. With `avoidBuggyIPs` the
 * IPv4 run set is kept in "ordinal" space, where the addresses ending in .0 and .255 do not exist, so
 * a range full but for its buggy addresses is one run and the next free address is one search away.
 *
 * Nothing here grows with the size of a pool: a /8 or a /64 is two bigints until addresses are used.
 */
import type { PoolConfig } from '../config/types.js';
import { parseIp } from '../model/ip.js';
import type { IpFamily } from '../model/ip.js';
import { selectorMatches } from '../model/kubernetes.js';
import type { NamespaceLabels } from './types.js';
import { newRunSet } from './run-set.js';
import type { RunSet } from './run-set.js';

/** One range of a pool: raw addresses `first..last` and the same span in the pool's key space. */
export interface Segment {
  readonly family: IpFamily;
  readonly first: bigint;
  readonly last: bigint;
  /** Key-space bounds (ordinals with avoidBuggyIPs on IPv4, else raw values); lo > hi when empty. */
  readonly lo: bigint;
  readonly hi: bigint;
}

export interface PoolState {
  readonly name: string;
  readonly config: PoolConfig;
  readonly avoidBuggy: boolean;
  /** In the configuration's order: MetalLB walks the CIDRs in this order. */
  readonly segments: readonly Segment[];
  readonly used: Record<IpFamily, RunSet>;
  readonly inUse: Record<IpFamily, number>;
  readonly total: Record<IpFamily, bigint>;
  /** Bumped (to the allocator's epoch) whenever an address of the pool is taken, freed or re-keyed. */
  epoch: number;
}

/** Whether MetalLB's avoidBuggyIPs skips the address: IPv4 ending in .0 or .255. */
export function isBuggy(family: IpFamily, value: bigint): boolean {
  if (family !== 'ipv4') return false;
  const low = value & 0xffn;
  return low === 0n || low === 0xffn;
}

/** Key-space value of a (non-buggy, when avoiding) address of `pool`. */
export function keyOfAddress(pool: PoolState, family: IpFamily, value: bigint): bigint {
  if (pool.avoidBuggy && family === 'ipv4') return (value >> 8n) * 254n + (value & 0xffn) - 1n;
  return value;
}

/** The address whose key-space value is `key`. */
export function addressOfKey(pool: PoolState, family: IpFamily, key: bigint): bigint {
  if (pool.avoidBuggy && family === 'ipv4') return (key / 254n) * 256n + (key % 254n) + 1n;
  return key;
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

/** How many of `first..last` are IPv4 addresses ending in .0 or .255. */
export function countBuggy(first: bigint, last: bigint): bigint {
  const countResidue = (r: bigint): bigint => floorDiv(last - r, 256n) - floorDiv(first - 1n - r, 256n);
  return countResidue(0n) + countResidue(255n);
}

/** Builds the allocator's view of one configured pool. Ranges whose text does not parse are skipped. */
export function buildPool(config: PoolConfig): PoolState {
  const segments: Segment[] = [];
  const total: Record<IpFamily, bigint> = { ipv4: 0n, ipv6: 0n };
  const pool: PoolState = {
    name: config.name,
    config,
    avoidBuggy: config.avoidBuggyIPs,
    segments,
    used: { ipv4: newRunSet(), ipv6: newRunSet() },
    inUse: { ipv4: 0, ipv6: 0 },
    total,
    epoch: 0,
  };
  for (const range of config.addresses) {
    const first = parseIp(range.first);
    const last = parseIp(range.last);
    if (!first || !last || first.family !== last.family || first.value > last.value) continue;
    const family = first.family;
    let lo = first.value;
    let hi = last.value;
    let size = hi - lo + 1n;
    if (pool.avoidBuggy && family === 'ipv4') {
      size -= countBuggy(lo, hi);
      while (lo <= hi && isBuggy(family, lo)) lo++;
      while (hi >= lo && isBuggy(family, hi)) hi--;
      if (lo > hi) {
        segments.push({ family, first: first.value, last: last.value, lo: 1n, hi: 0n });
        continue;
      }
      lo = keyOfAddress(pool, family, lo);
      hi = keyOfAddress(pool, family, hi);
    }
    total[family] += size;
    segments.push({ family, first: first.value, last: last.value, lo, hi });
  }
  return pool;
}

/** Whether `value` is an address `pool` can hand out (inside a range, not skipped as buggy). */
export function poolHolds(pool: PoolState, family: IpFamily, value: bigint): boolean {
  if (pool.avoidBuggy && isBuggy(family, value)) return false;
  return pool.segments.some((s) => s.family === family && s.first <= value && value <= s.last);
}

/** Which families a pool has addresses of. */
export function poolFamilies(pool: PoolState): Set<IpFamily> {
  return new Set(pool.segments.filter((s) => s.lo <= s.hi).map((s) => s.family));
}

/**
 * Whether the pool's `serviceAllocation` admits a service of `namespace` with `labels`
 * (MetalLB's `isPoolCompatibleWithService`). A namespace matches when listed or when its labels
 * (from `namespaces`) match a namespace selector; a namespace not in `namespaces` matches no selector.
 * Service selectors are ORed. A pool without serviceAllocation admits every service.
 */
export function poolAdmits(
  pool: PoolState,
  namespace: string,
  labels: Readonly<Record<string, string>> | undefined,
  namespaces: NamespaceLabels,
): boolean {
  const sa = pool.config.serviceAllocation;
  if (!sa) return true;
  if (sa.namespaces.length > 0 || sa.namespaceSelectors.length > 0) {
    const nsLabels = namespaces[namespace];
    const ok =
      sa.namespaces.includes(namespace) ||
      (nsLabels !== undefined && sa.namespaceSelectors.some((sel) => selectorMatches(sel, nsLabels)));
    if (!ok) return false;
  }
  if (sa.serviceSelectors.length > 0) return sa.serviceSelectors.some((sel) => selectorMatches(sel, labels));
  return true;
}

/** Orders pinned pools: priority ascending, 0 (unset) last, ties by name (MetalLB: random). */
export function comparePinned(a: PoolState, b: PoolState): number {
  const pa = a.config.serviceAllocation?.priority ?? 0;
  const pb = b.config.serviceAllocation?.priority ?? 0;
  const ka = pa > 0 ? pa : Number.POSITIVE_INFINITY;
  const kb = pb > 0 ? pb : Number.POSITIVE_INFINITY;
  if (ka !== kb) return ka < kb ? -1 : 1;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}
