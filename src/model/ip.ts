/**
 * IP addresses and prefixes as plain values, shared by every layer.
 *
 * An address is held as a family and a bigint (`IpAddress`); text forms are parsed strictly (no
 * leading zeros in IPv4 octets, no zone IDs) and formatted canonically (RFC 5952 for IPv6, with
 * IPv4-mapped addresses written as `::ffff:a.b.c.d`). Nothing here allocates per address of a range,
 * so a /8 or a /64 costs the same as a /32.
 */

/** An address family. */
export type IpFamily = 'ipv4' | 'ipv6';

/** One IP address. `value` is the address as an unsigned integer of 32 or 128 bits. */
export interface IpAddress {
  readonly family: IpFamily;
  readonly value: bigint;
}

/** A prefix (network address and length). The address has no bits set past `length`. */
export interface IpPrefix {
  readonly family: IpFamily;
  readonly value: bigint;
  readonly length: number;
}

/** Width in bits of an address of `family`. */
export function bitsOf(family: IpFamily): 32 | 128 {
  return family === 'ipv4' ? 32 : 128;
}

/**
 * Dotted quad to its 32-bit value, one pass over the characters (no split, no regex: the allocator
 * and the planner parse every service IP): four decimal octets of 1-3 digits, no leading zero, <= 255.
 */
function parseIpv4Value(text: string): bigint | undefined {
  const n = text.length;
  if (n < 7 || n > 15) return undefined;
  let value = 0;
  let octets = 0;
  let i = 0;
  while (i <= n) {
    const start = i;
    let octet = 0;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c < 48 || c > 57) break;
      octet = octet * 10 + (c - 48);
      i++;
    }
    const digits = i - start;
    if (digits === 0 || digits > 3 || (digits > 1 && text.charCodeAt(start) === 48) || octet > 255) return undefined;
    value = value * 256 + octet;
    octets++;
    if (i === n) break;
    if (text.charCodeAt(i) !== 46 || octets === 4) return undefined; // '.'
    i++;
  }
  return octets === 4 ? BigInt(value) : undefined;
}

function parseIpv6Value(text: string): bigint | undefined {
  if (text.length === 0 || text.length > 45 || text.includes('%')) return undefined;
  let body = text;
  const lastColon = text.lastIndexOf(':');
  if (text.indexOf('.', lastColon) !== -1) {
    // An embedded IPv4 tail (RFC 4291 §2.2 form 3) stands for the last two 16-bit groups.
    const v4 = parseIpv4Value(text.slice(lastColon + 1));
    if (v4 === undefined) return undefined;
    body = `${text.slice(0, lastColon + 1)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const halves = body.split('::');
  if (halves.length > 2) return undefined;
  const parseGroups = (s: string): number[] | undefined => {
    if (s === '') return [];
    const out: number[] = [];
    for (const g of s.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  let groups: number[];
  if (halves.length === 2) {
    const left = parseGroups(halves[0] ?? '');
    const right = parseGroups(halves[1] ?? '');
    if (!left || !right) return undefined;
    const missing = 8 - left.length - right.length;
    if (missing < 1) return undefined;
    groups = [...left, ...new Array<number>(missing).fill(0), ...right];
  } else {
    const g = parseGroups(body);
    if (!g || g.length !== 8) return undefined;
    groups = g;
  }
  let value = 0n;
  for (const g of groups) value = (value << 16n) | BigInt(g);
  return value;
}

/** Parses an IPv4 or IPv6 address; `undefined` when `text` is not one. */
export function parseIp(text: string): IpAddress | undefined {
  if (text.includes(':')) {
    const value = parseIpv6Value(text);
    return value === undefined ? undefined : { family: 'ipv6', value };
  }
  const value = parseIpv4Value(text);
  return value === undefined ? undefined : { family: 'ipv4', value };
}

/** Formats an address of `family` whose integer value is `value`. */
export function formatIpValue(family: IpFamily, value: bigint): string {
  if (family === 'ipv4') {
    const v = Number(value & 0xffffffffn);
    return `${(v >>> 24) & 255}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
  }
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((value >> BigInt(i * 16)) & 0xffffn));
  // IPv4-mapped (::ffff:a.b.c.d), RFC 5952 §5.
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `::ffff:${formatIpValue('ipv4', value & 0xffffffffn)}`;
  }
  // RFC 5952 §4.2: compress the longest run of two or more zero groups, the first one on a tie.
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart === -1) return hex.join(':');
  const left = hex.slice(0, bestStart).join(':');
  const right = hex.slice(bestStart + bestLen).join(':');
  return `${left}::${right}`;
}

/** Formats an address. */
export function formatIp(ip: IpAddress): string {
  return formatIpValue(ip.family, ip.value);
}

/** Canonical text of an address given as text; `undefined` when it does not parse. */
export function canonicalIp(text: string): string | undefined {
  const ip = parseIp(text);
  return ip ? formatIp(ip) : undefined;
}

/** The mask of the first `length` bits of an address of `family`. */
export function maskOf(family: IpFamily, length: number): bigint {
  const bits = BigInt(bitsOf(family));
  const all = (1n << bits) - 1n;
  return (all >> BigInt(length)) ^ all;
}

/** The prefix of `length` bits that holds `ip` (host bits cleared). */
export function prefixOf(ip: IpAddress, length: number): IpPrefix {
  return { family: ip.family, value: ip.value & maskOf(ip.family, length), length };
}

/**
 * Parses `a.b.c.d/n` or `x::y/n`. With `strict`, host bits set past the length are an error (as
 * Go's `net.ParseCIDR` accepts them but MetalLB reports the canonical network); without it they are
 * cleared.
 */
export function parseCidr(text: string, strict = false): IpPrefix | undefined {
  const slash = text.indexOf('/');
  if (slash === -1) return undefined;
  const ip = parseIp(text.slice(0, slash));
  const lenText = text.slice(slash + 1);
  if (!ip || !/^(0|[1-9][0-9]{0,2})$/.test(lenText)) return undefined;
  const length = Number(lenText);
  if (length > bitsOf(ip.family)) return undefined;
  const prefix = prefixOf(ip, length);
  if (strict && prefix.value !== ip.value) return undefined;
  return prefix;
}

/** Formats a prefix as `address/length`. */
export function formatPrefix(p: IpPrefix): string {
  // One flat string (a template literal would be a cons string of two parts; prefixes are kept as keys).
  return [formatIpValue(p.family, p.value), p.length].join('/');
}

/** The first and last address of a prefix. */
export function rangeOfPrefix(p: IpPrefix): { first: bigint; last: bigint } {
  const hostBits = BigInt(bitsOf(p.family) - p.length);
  return { first: p.value, last: p.value + (1n << hostBits) - 1n };
}

/** Whether `ip` lies inside `p`. */
export function prefixContains(p: IpPrefix, ip: IpAddress): boolean {
  return p.family === ip.family && (ip.value & maskOf(p.family, p.length)) === p.value;
}

/** Whether two prefixes share any address. */
export function prefixesOverlap(a: IpPrefix, b: IpPrefix): boolean {
  if (a.family !== b.family) return false;
  const shorter = Math.min(a.length, b.length);
  const mask = maskOf(a.family, shorter);
  return (a.value & mask) === (b.value & mask);
}

/**
 * The fewest prefixes that cover exactly `first..last` (inclusive), in address order: what Go's
 * `ipaddr.Summarize` gives MetalLB for a range such as `10.10.10.10-10.10.10.98`.
 */
export function summarizeRange(family: IpFamily, first: bigint, last: bigint): IpPrefix[] {
  const bits = bitsOf(family);
  const out: IpPrefix[] = [];
  let cur = first;
  while (cur <= last) {
    // The largest block aligned at `cur` that does not pass `last`.
    let size = 0;
    while (size < bits) {
      const next = size + 1;
      const blockMask = (1n << BigInt(next)) - 1n;
      if ((cur & blockMask) !== 0n) break;
      if (cur + blockMask > last) break;
      size = next;
    }
    out.push({ family, value: cur, length: bits - size });
    cur += 1n << BigInt(size);
  }
  return out;
}

/** Compares two addresses: family first (IPv4 before IPv6), then value. */
export function compareIp(a: IpAddress, b: IpAddress): number {
  if (a.family !== b.family) return a.family === 'ipv4' ? -1 : 1;
  return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
}
