/**
 * Where a Service looks for an address in standalone mode: a probe sequence over one family of one
 * pool, derived from a hash of the Service (or of its sharing key), so that the address it gets does
 * not depend on the other Services unless they collide with it.
 *
 * The pool's addresses of a family are numbered 0..size-1 by walking its ranges in configuration
 * order (in key space, so avoidBuggyIPs addresses are not numbered). The sequence is double hashing:
 * offset_i = (home + i * step) mod size with gcd(step, size) = 1, so the first `size` probes visit
 * every address exactly once, and a probe costs one addition, one remainder and a walk over the
 * pool's ranges (a handful): nothing scans the pool, a /8 or a /64 costs what a /24 does.
 *
 * Pure; no state but a per-pool cache of the numbering.
 */
import type { IpFamily } from '../model/ip.js';
import { addressOfKey, isBuggy, keyOfAddress } from './pools.js';
import type { PoolState } from './pools.js';

/** One range of the numbering: offsets `start..start + (hi - lo)` are keys `lo..hi`. */
interface SpaceRange {
  readonly start: bigint;
  readonly lo: bigint;
  readonly hi: bigint;
}

/** The addresses of one family of a pool, numbered 0..size-1. */
export interface ProbeSpace {
  readonly pool: PoolState;
  readonly family: IpFamily;
  readonly size: bigint;
  readonly ranges: readonly SpaceRange[];
}

const spaces = new WeakMap<PoolState, Partial<Record<IpFamily, ProbeSpace | null>>>();

/** The numbering of `pool`'s `family` addresses, or undefined when it has none. */
export function probeSpace(pool: PoolState, family: IpFamily): ProbeSpace | undefined {
  let rec = spaces.get(pool);
  if (!rec) spaces.set(pool, (rec = {}));
  const cached = rec[family];
  if (cached !== undefined) return cached ?? undefined;
  const ranges: SpaceRange[] = [];
  let size = 0n;
  for (const seg of pool.segments) {
    if (seg.family !== family || seg.lo > seg.hi) continue;
    ranges.push({ start: size, lo: seg.lo, hi: seg.hi });
    size += seg.hi - seg.lo + 1n;
  }
  const space = size === 0n ? undefined : { pool, family, size, ranges };
  rec[family] = space ?? null;
  return space;
}

/** The address (raw value) numbered `offset` in `space`. */
export function addressAt(space: ProbeSpace, offset: bigint): bigint {
  const ranges = space.ranges;
  let r = ranges[0] as SpaceRange;
  for (let i = 1; i < ranges.length; i++) {
    const next = ranges[i] as SpaceRange;
    if (next.start > offset) break;
    r = next;
  }
  return addressOfKey(space.pool, space.family, r.lo + (offset - r.start));
}

/** 32-bit FNV-1a of `text`, started from `seed`, with a murmur3 finaliser for avalanche. */
function hash32(text: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A hash of `text` with at least as many bits as `size` needs (32, 64 or 128), as a bigint. */
function wideHash(text: string, seed: number, size: bigint): bigint {
  let h = BigInt(hash32(text, seed));
  const words = size <= 0xffffffffn ? 1 : size <= 0xffffffffffffffffn ? 2 : 4;
  for (let w = 1; w < words; w++) h = (h << 32n) | BigInt(hash32(text, seed + w * 0x9e3779b9));
  return h;
}

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

/** The probe sequence of one hashed identity over one space: `home`, then steps of `step`. */
export interface ProbeSequence {
  readonly space: ProbeSpace;
  readonly home: bigint;
  /** Computed on first use: most services find their address at the first probe. */
  step(): bigint;
}

/**
 * The sequence of `identity` (a Service key, or a sharing key) over `space`. The pool name and the
 * family are hashed in, so the sequences of one Service in two pools are unrelated.
 */
export function probeSequence(identity: string, space: ProbeSpace): ProbeSequence {
  const text = `${identity}\u0000${space.pool.name}\u0000${space.family}`;
  const size = space.size;
  // Most pools fit 32 bits: one hash and a Number remainder, no bigint arithmetic.
  const home = size <= 0xffffffffn ? BigInt(hash32(text, 0) % Number(size)) : wideHash(text, 0, size) % size;
  let step: bigint | undefined;
  return {
    space,
    home,
    step(): bigint {
      if (step !== undefined) return step;
      if (size <= 2n) return (step = 1n);
      let s = 1n + (wideHash(text, 0x5bd1e995, size) % (size - 1n));
      if ((size & (size - 1n)) === 0n) {
        s |= 1n; // a power of two: any odd step is coprime
        if (s >= size) s = 1n;
      } else {
        while (gcd(s, size) !== 1n) s = s + 1n >= size ? 1n : s + 1n;
      }
      return (step = s);
    },
  };
}

/** The inverse of `a` modulo `m` (gcd(a, m) = 1), by the extended Euclidean algorithm. */
function modInverse(a: bigint, m: bigint): bigint {
  let [r0, r1] = [a % m, m];
  let [s0, s1] = [1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  return ((s0 % m) + m) % m;
}

/**
 * The probe index at which `seq` reaches the address `value`, or undefined when the address is not in
 * the space: i = (offset - home) * step^-1 mod size, with no walk.
 */
export function probeIndexOf(seq: ProbeSequence, value: bigint): bigint | undefined {
  const space = seq.space;
  if (space.pool.avoidBuggy && isBuggy(space.family, value)) return undefined;
  const key = keyOfAddress(space.pool, space.family, value);
  const r = space.ranges.find((x) => x.lo <= key && key <= x.hi);
  if (!r) return undefined;
  const size = space.size;
  const d = (((r.start + (key - r.lo) - seq.home) % size) + size) % size;
  if (d === 0n) return 0n;
  return (d * modInverse(seq.step(), size)) % size;
}
