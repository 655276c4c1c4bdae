/**
 * Sets of large integers kept as sorted, merged runs of consecutive values, and sorted arrays of
 * integers. The allocator keeps the addresses in use in a pool as a run set, so the lowest free
 * address of a range is one binary search away and a pool of 2^64 addresses costs nothing until
 * addresses are taken.
 *
 * Invariants of a `RunSet`: `starts` and `ends` have the same length; `starts[i] <= ends[i]`; runs are
 * sorted and never touch (`ends[i] + 1 < starts[i + 1]`), so every run is maximal. Plain data: two
 * arrays, nothing else.
 */

/** A set of integers held as maximal runs `[starts[i], ends[i]]`. */
export interface RunSet {
  readonly starts: bigint[];
  readonly ends: bigint[];
}

/** An empty run set. */
export function newRunSet(): RunSet {
  return { starts: [], ends: [] };
}

/** Index of the last run whose start is `<= x`, or -1. */
function floorIndex(set: RunSet, x: bigint): number {
  const starts = set.starts;
  let lo = 0;
  let hi = starts.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if ((starts[mid] as bigint) <= x) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}

/** Whether `x` is in the set. */
export function runSetHas(set: RunSet, x: bigint): boolean {
  const i = floorIndex(set, x);
  return i >= 0 && (set.ends[i] as bigint) >= x;
}

/** Adds `x`; returns false when it was already there. */
export function runSetAdd(set: RunSet, x: bigint): boolean {
  const { starts, ends } = set;
  const i = floorIndex(set, x);
  if (i >= 0 && (ends[i] as bigint) >= x) return false;
  const joinLeft = i >= 0 && (ends[i] as bigint) + 1n === x;
  const joinRight = i + 1 < starts.length && starts[i + 1] === x + 1n;
  if (joinLeft && joinRight) {
    ends[i] = ends[i + 1] as bigint;
    starts.splice(i + 1, 1);
    ends.splice(i + 1, 1);
  } else if (joinLeft) {
    ends[i] = x;
  } else if (joinRight) {
    starts[i + 1] = x;
  } else {
    starts.splice(i + 1, 0, x);
    ends.splice(i + 1, 0, x);
  }
  return true;
}

/** Removes `x`; returns false when it was not there. */
export function runSetDelete(set: RunSet, x: bigint): boolean {
  const { starts, ends } = set;
  const i = floorIndex(set, x);
  if (i < 0) return false;
  const start = starts[i] as bigint;
  const end = ends[i] as bigint;
  if (end < x) return false;
  if (start === x && end === x) {
    starts.splice(i, 1);
    ends.splice(i, 1);
  } else if (start === x) {
    starts[i] = x + 1n;
  } else if (end === x) {
    ends[i] = x - 1n;
  } else {
    ends[i] = x - 1n;
    starts.splice(i + 1, 0, x + 1n);
    ends.splice(i + 1, 0, end);
  }
  return true;
}

/** The lowest value of `lo..hi` (inclusive) that is not in the set, or undefined when all are. */
export function lowestAbsent(set: RunSet, lo: bigint, hi: bigint): bigint | undefined {
  if (lo > hi) return undefined;
  const i = floorIndex(set, lo);
  // Runs are maximal, so the value right after the run holding `lo` is free.
  const candidate = i >= 0 && (set.ends[i] as bigint) >= lo ? (set.ends[i] as bigint) + 1n : lo;
  return candidate <= hi ? candidate : undefined;
}

/** Number of values in the set. */
export function runSetSize(set: RunSet): bigint {
  let n = 0n;
  for (let i = 0; i < set.starts.length; i++) n += (set.ends[i] as bigint) - (set.starts[i] as bigint) + 1n;
  return n;
}

/** Index of the first element of the sorted array `arr` that is `>= x` (arr.length if none). */
export function lowerBound(arr: readonly bigint[], x: bigint): number {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((arr[mid] as bigint) < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Inserts `x` into the sorted array `arr` unless present; returns whether it was inserted. */
export function sortedInsert(arr: bigint[], x: bigint): boolean {
  const i = lowerBound(arr, x);
  if (arr[i] === x) return false;
  arr.splice(i, 0, x);
  return true;
}

/** Removes `x` from the sorted array `arr`; returns whether it was there. */
export function sortedRemove(arr: bigint[], x: bigint): boolean {
  const i = lowerBound(arr, x);
  if (arr[i] !== x) return false;
  arr.splice(i, 1);
  return true;
}
