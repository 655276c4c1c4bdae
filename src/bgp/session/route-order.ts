/**
 * The order of routes in the Adj-RIB-Out: address, then prefix length. Each prefix gets an opaque
 * sort key (`orderOf`): a number for IPv4 (`address * 64 + length`, exact in a double), for IPv6 a
 * string of nine UTF-16 code units (the eight 16-bit groups, then the length), so that comparing keys
 * with `<` is address order. The key is also the prefix's identity: equal keys, equal prefix.
 *
 * Sorting is linear (LSD radix sort, skipped when already in order); `indexOfOrder` is a binary
 * search, for the incremental changes of a sorted list. Pure.
 */
import type { Prefix } from '../wire/types.js';
import { parseIp } from '../../model/ip.js';

/** Anything kept in address order by its `orderOf` key. */
export interface Ordered {
  readonly order: number | string;
}

/** IPv4 dotted quad to its 32-bit value, -1 when malformed. */
function ipv4Value(text: string): number {
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || part > 255) return -1;
      value = value * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57) {
      part = part * 10 + (c - 48);
      digits++;
    } else {
      return -1;
    }
  }
  if (dots !== 3 || digits === 0 || part > 255) return -1;
  return value * 256 + part;
}

/**
 * The sort key of a prefix: address, then length. A number for IPv4 (`address * 64 + length`, exact
 * in a double), fixed-width hex text for IPv6. Throws on a prefix that breaks the `Prefix` contract.
 */
export function orderOf(p: Prefix): number | string {
  if (p.family === 'ipv4') {
    const v = ipv4Value(p.address);
    if (v < 0 || !Number.isInteger(p.length) || p.length < 0 || p.length > 32) {
      throw new RangeError(`not an IPv4 prefix: ${p.address}/${p.length}`);
    }
    return v * 64 + p.length;
  }
  const order = Number.isInteger(p.length) && p.length >= 0 && p.length <= 128 ? ipv6Order(p.address, p.length) : undefined;
  if (order === undefined) throw new RangeError(`not an IPv6 prefix: ${p.address}/${p.length}`);
  return order;
}

const groups = new Uint16Array(8);

/**
 * The IPv6 sort key: the eight 16-bit groups of `text`, then `length`, one UTF-16 code unit each, so
 * that string order is address order. `undefined` when `text` is not an IPv6 address. One pass, no
 * allocation but the key (this runs once per desired prefix).
 */
function ipv6Order(text: string, length: number): string | undefined {
  if (text.includes('.')) {
    // An embedded IPv4 tail (::ffff:a.b.c.d) is rare: take the general parser.
    const ip = parseIp(text);
    if (ip?.family !== 'ipv6') return undefined;
    for (let g = 0; g < 8; g++) groups[g] = Number((ip.value >> BigInt(16 * (7 - g))) & 0xffffn);
  } else {
    const len = text.length;
    let n = 0;
    let gap = -1;
    let value = 0;
    let digits = 0;
    let i = 0;
    if (len >= 2 && text.charCodeAt(0) === 58) {
      if (text.charCodeAt(1) !== 58) return undefined;
      gap = 0;
      i = 2;
    }
    for (; i < len; i++) {
      const c = text.charCodeAt(i);
      if (c === 58) {
        if (digits === 0 || n === 8) return undefined;
        groups[n++] = value;
        value = 0;
        digits = 0;
        if (i + 1 < len && text.charCodeAt(i + 1) === 58) {
          if (gap !== -1) return undefined;
          gap = n;
          i++;
        } else if (i + 1 === len) {
          return undefined;
        }
        continue;
      }
      let d: number;
      if (c >= 48 && c <= 57) d = c - 48;
      else if (c >= 97 && c <= 102) d = c - 87;
      else if (c >= 65 && c <= 70) d = c - 55;
      else return undefined;
      if (++digits > 4) return undefined;
      value = value * 16 + d;
    }
    if (digits > 0) {
      if (n === 8) return undefined;
      groups[n++] = value;
    } else if (gap !== n) {
      return undefined;
    }
    if (gap === -1) {
      if (n !== 8) return undefined;
    } else {
      if (n > 7) return undefined;
      const tail = n - gap;
      for (let t = tail - 1; t >= 0; t--) groups[8 - tail + t] = groups[gap + t] as number;
      for (let z = gap; z < 8 - tail; z++) groups[z] = 0;
    }
  }
  const g = groups;
  return String.fromCharCode(
    g[0] as number, g[1] as number, g[2] as number, g[3] as number,
    g[4] as number, g[5] as number, g[6] as number, g[7] as number, length,
  );
}

function byOrder(a: Ordered, b: Ordered): number {
  return a.order < b.order ? -1 : a.order > b.order ? 1 : 0;
}

/** One stable counting-sort pass of `from` into `to` by `digit[i]` (values below `buckets`). */
function countingPass(from: Uint32Array, to: Uint32Array, digit: Uint32Array, buckets: number): void {
  const count = new Uint32Array(buckets + 1);
  for (let k = 0; k < from.length; k++) (count[(digit[from[k] as number] as number) + 1] as number)++;
  for (let b = 0; b < buckets; b++) count[b + 1] = (count[b + 1] as number) + (count[b] as number);
  for (let k = 0; k < from.length; k++) {
    const i = from[k] as number;
    const d = digit[i] as number;
    to[count[d] as number] = i;
    count[d] = (count[d] as number) + 1;
  }
}

/**
 * Sorts IPv4 routes by `order` with an LSD radix sort (length, then the address in 11-, 11- and
 * 10-bit digits): linear, where a comparison sort of 100 000 shuffled routes costs several times more.
 */
function radixSortIpv4<T extends Ordered>(routes: T[]): void {
  const n = routes.length;
  const addr = new Uint32Array(n);
  const digit = new Uint32Array(n);
  let a = new Uint32Array(n);
  let b = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const o = (routes[i] as T).order as number;
    addr[i] = Math.floor(o / 64);
    digit[i] = o % 64;
    a[i] = i;
  }
  countingPass(a, b, digit, 64);
  [a, b] = [b, a];
  for (const [shift, bits] of [
    [0, 11],
    [11, 11],
    [22, 10],
  ] as const) {
    const mask = (1 << bits) - 1;
    for (let i = 0; i < n; i++) digit[i] = ((addr[i] as number) >>> shift) & mask;
    countingPass(a, b, digit, 1 << bits);
    [a, b] = [b, a];
  }
  const copy = routes.slice();
  for (let k = 0; k < n; k++) routes[k] = copy[a[k] as number] as T;
}

/**
 * Sorts IPv6 routes by `order` (nine 16-bit code units) with an LSD radix sort, one pass per code
 * unit from the last, skipping the passes where every route has the same unit.
 */
function radixSortIpv6<T extends Ordered>(routes: T[]): void {
  const n = routes.length;
  const digit = new Uint32Array(n);
  let a = new Uint32Array(n);
  let b = new Uint32Array(n);
  for (let i = 0; i < n; i++) a[i] = i;
  for (let pos = 8; pos >= 0; pos--) {
    let same = true;
    const first = ((routes[0] as T).order as string).charCodeAt(pos);
    for (let i = 0; i < n; i++) {
      const d = ((routes[i] as T).order as string).charCodeAt(pos);
      digit[i] = d;
      if (d !== first) same = false;
    }
    if (same) continue;
    countingPass(a, b, digit, pos === 8 ? 129 : 65536);
    [a, b] = [b, a];
  }
  const copy = routes.slice();
  for (let k = 0; k < n; k++) routes[k] = copy[a[k] as number] as T;
}

/** Sorts routes of one family by `order` in place, skipping the sort when they already are. */
export function sortRoutes<T extends Ordered>(routes: T[]): void {
  for (let i = 1; i < routes.length; i++) {
    if ((routes[i - 1] as T).order > (routes[i] as T).order) {
      if (routes.length < 64) routes.sort(byOrder);
      else if (typeof routes[0]?.order === 'number') radixSortIpv4(routes);
      else radixSortIpv6(routes);
      return;
    }
  }
}

/**
 * The index of `order` in `routes` (sorted by `order`, unique), or `-(insertion point) - 1` when it is
 * absent. O(log n).
 */
export function indexOfOrder(routes: readonly Ordered[], order: number | string): number {
  let lo = 0;
  let hi = routes.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const o = (routes[mid] as Ordered).order;
    if (o < order) lo = mid + 1;
    else if (o > order) hi = mid - 1;
    else return mid;
  }
  return -lo - 1;
}
