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

const groups16 = new Uint16Array(8);

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/**
 * Parses IPv6 text (RFC 4291 §2.2: eight groups, one `::`, an optional dotted IPv4 tail) into 16
 * octets at `out[at..]`; false when `text` is not an IPv6 address. A character loop, no regex or
 * split, since the Adj-RIB-Out encodes every advertised /128 through here.
 */
export function parseIpv6Into(text: string, out: Uint8Array, at: number): boolean {
  const n = text.length;
  if (n < 2 || n > 45) return false;
  const g = groups16;
  let count = 0;
  let dbl = -1;
  let i = 0;
  if (text.charCodeAt(0) === 58) {
    if (text.charCodeAt(1) !== 58) return false;
    dbl = 0;
    i = 2;
  }
  while (i < n) {
    if (count === 8) return false;
    let v = 0;
    let d = 0;
    let j = i;
    for (; j < n; j++) {
      const h = hexValue(text.charCodeAt(j));
      if (h < 0) break;
      v = v * 16 + h;
      d++;
    }
    if (j < n && text.charCodeAt(j) === 46) {
      // A dotted IPv4 tail stands for the last two groups.
      if (count > 6) return false;
      const v4 = parseIpv4(text.slice(i));
      if (v4 < 0) return false;
      g[count++] = v4 >>> 16;
      g[count++] = v4 & 0xffff;
      i = n;
      break;
    }
    if (d === 0 || d > 4) return false;
    g[count++] = v;
    i = j;
    if (i === n) break;
    if (text.charCodeAt(i) !== 58) return false;
    i++;
    if (i === n) return false; // a single trailing colon
    if (text.charCodeAt(i) === 58) {
      if (dbl !== -1) return false;
      dbl = count;
      i++;
    }
  }
  if (dbl === -1) {
    if (count !== 8) return false;
  } else {
    if (count > 7) return false;
    const tail = count - dbl;
    for (let k = 0; k < tail; k++) g[7 - k] = g[count - 1 - k] as number;
    for (let k = dbl; k < 8 - tail; k++) g[k] = 0;
  }
  for (let k = 0; k < 8; k++) {
    const x = g[k] as number;
    out[at + 2 * k] = x >>> 8;
    out[at + 2 * k + 1] = x & 0xff;
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
