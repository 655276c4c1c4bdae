/**
 * Fast address conversions between canonical text and wire octets, without bigint: IPv4 as a
 * 32-bit number, IPv6 as 16 octets. Formatting matches `src/model/ip.ts` exactly (RFC 5952, with
 * IPv4-mapped addresses as `::ffff:a.b.c.d`), so decoded addresses compare equal to canonical text.
 * Parsing is strict; invalid text returns -1 / false and the encoders turn that into a RangeError
 * (text addresses come from our own code, so a bad one is a programmer error).
 */

/** Parses dotted-quad IPv4 text; -1 when `text` is not one (no leading zeros, four octets). */
export function parseIpv4(text: string): number {
  const n = text.length;
  if (n < 7 || n > 15) return -1;
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || dots === 3) return -1;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && octet === 0) return -1; // leading zero
      octet = octet * 10 + (c - 48);
      digits++;
      if (octet > 255) return -1;
    } else {
      return -1;
    }
  }
  if (dots !== 3 || digits === 0) return -1;
  return value * 256 + octet;
}

/** Formats a 32-bit number as dotted quad. */
export function formatIpv4(v: number): string {
  return `${v >>> 24}.${(v >>> 16) & 0xff}.${(v >>> 8) & 0xff}.${v & 0xff}`;
}

/** Formats four octets of `b` from `at` as dotted quad. */
export function formatIpv4Bytes(b: Uint8Array, at: number): string {
  return `${b[at] as number}.${b[at + 1] as number}.${b[at + 2] as number}.${b[at + 3] as number}`;
}

const HEX4 = /^[0-9a-fA-F]{1,4}$/;

/** Parses IPv6 text into 16 octets at `out[at..]`; false when `text` is not an IPv6 address. */
export function parseIpv6Into(text: string, out: Uint8Array, at: number): boolean {
  if (text.length < 2 || text.length > 45) return false;
  let body = text;
  let tail: number | undefined;
  const lastColon = text.lastIndexOf(':');
  if (lastColon === -1) return false;
  if (text.indexOf('.', lastColon) !== -1) {
    const v4 = parseIpv4(text.slice(lastColon + 1));
    if (v4 < 0) return false;
    tail = v4;
    body = text.slice(0, lastColon + 1) + '0:0';
  }
  const groups = new Array<number>(8).fill(0);
  const dbl = body.indexOf('::');
  if (dbl !== -1 && body.indexOf('::', dbl + 1) !== -1) return false;
  const parse = (s: string): number[] | undefined => {
    if (s === '') return [];
    const parts = s.split(':');
    const r: number[] = [];
    for (const p of parts) {
      if (!HEX4.test(p)) return undefined;
      r.push(parseInt(p, 16));
    }
    return r;
  };
  if (dbl === -1) {
    const g = parse(body);
    if (!g || g.length !== 8) return false;
    for (let i = 0; i < 8; i++) groups[i] = g[i] as number;
  } else {
    const left = parse(body.slice(0, dbl));
    const right = parse(body.slice(dbl + 2));
    if (!left || !right || left.length + right.length > 7) return false;
    for (let i = 0; i < left.length; i++) groups[i] = left[i] as number;
    for (let i = 0; i < right.length; i++) groups[8 - right.length + i] = right[i] as number;
  }
  if (tail !== undefined) {
    groups[6] = tail >>> 16;
    groups[7] = tail & 0xffff;
  }
  for (let i = 0; i < 8; i++) {
    const g = groups[i] as number;
    out[at + 2 * i] = g >>> 8;
    out[at + 2 * i + 1] = g & 0xff;
  }
  return true;
}

/** Formats 16 octets of `b` from `at` as canonical IPv6 text (RFC 5952). */
export function formatIpv6Bytes(b: Uint8Array, at: number): string {
  const g: number[] = new Array<number>(8);
  for (let i = 0; i < 8; i++) g[i] = ((b[at + 2 * i] as number) << 8) | (b[at + 2 * i + 1] as number);
  // RFC 5952 §5: IPv4-mapped addresses keep the dotted tail.
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    return `::ffff:${formatIpv4Bytes(b, at + 12)}`;
  }
  // RFC 5952 §4.2: compress the longest run of two or more zero groups, the first on a tie.
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestStart === -1) return g.map((x) => x.toString(16)).join(':');
  let s = '';
  for (let i = 0; i < bestStart; i++) s += (i > 0 ? ':' : '') + (g[i] as number).toString(16);
  s += '::';
  for (let i = bestStart + bestLen; i < 8; i++) s += (i > bestStart + bestLen ? ':' : '') + (g[i] as number).toString(16);
  return s;
}
