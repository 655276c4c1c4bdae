/**
 * IPv4 and IPv6 prefixes as carried in NLRI, withdrawn routes and MP_(UN)REACH_NLRI (RFC 4271 §4.3,
 * RFC 4760 §5): a length octet and the fewest octets that hold that many bits. Decoding clears the
 * trailing bits (RFC 4271 §4.3: "the value of the trailing bits is irrelevant"), so every decoded
 * prefix is canonical; encoding masks them as well.
 */
import { formatIpv4, parseIpv4, parseIpv6Into, formatIpv6Bytes } from './address.js';
import type { BufferReader } from './buffer-reader.js';
import type { BufferWriter } from './buffer-writer.js';
import type { Prefix } from './types.js';

/** The octets a prefix of `length` bits takes on the wire, length octet included. */
export function prefixEncodedSize(prefix: Prefix): number {
  return 1 + ((prefix.length + 7) >>> 3);
}

/** Why a prefix list did not parse; the caller maps it to its NOTIFICATION. */
export type PrefixListError = 'length' | 'truncated';

const scratch = new Uint8Array(16);

/**
 * Decodes prefixes of `family` until `r` is exhausted, appending them to `out`. Returns an error
 * kind when a length octet exceeds the family's width or a prefix overruns the field.
 */
export function decodePrefixes(r: BufferReader, family: 'ipv4' | 'ipv6', out: Prefix[]): PrefixListError | undefined {
  const max = family === 'ipv4' ? 32 : 128;
  const b = r.buf;
  while (r.pos < r.end) {
    const length = b[r.pos] as number;
    if (length > max) return 'length';
    const n = (length + 7) >>> 3;
    if (r.pos + 1 + n > r.end) return 'truncated';
    const p = r.pos + 1;
    r.pos = p + n;
    if (family === 'ipv4') {
      let v = 0;
      for (let i = 0; i < 4; i++) v = v * 256 + (i < n ? (b[p + i] as number) : 0);
      if (length < 32) v = length === 0 ? 0 : v - (v % 2 ** (32 - length));
      out.push({ family, address: formatIpv4(v), length });
    } else {
      scratch.fill(0);
      for (let i = 0; i < n; i++) scratch[i] = b[p + i] as number;
      if (length & 7) scratch[n - 1] = (scratch[n - 1] as number) & (0xff << (8 - (length & 7)));
      out.push({ family, address: formatIpv6Bytes(scratch, 0), length });
    }
  }
  return undefined;
}

/** Encodes one prefix. A malformed prefix (bad text, length out of range) throws a RangeError. */
export function encodePrefix(w: BufferWriter, prefix: Prefix): void {
  const length = prefix.length;
  const n = (length + 7) >>> 3;
  w.ensure(1 + n);
  const b = w.buf;
  let p = w.pos;
  if (prefix.family === 'ipv4') {
    const v = parseIpv4(prefix.address);
    if (v < 0 || !Number.isInteger(length) || length < 0 || length > 32) {
      throw new RangeError(`encodePrefix: bad IPv4 prefix ${prefix.address}/${length}`);
    }
    b[p++] = length;
    if (n > 0) b[p++] = v >>> 24;
    if (n > 1) b[p++] = (v >>> 16) & 0xff;
    if (n > 2) b[p++] = (v >>> 8) & 0xff;
    if (n > 3) b[p++] = v & 0xff;
  } else {
    if (prefix.family !== 'ipv6' || !parseIpv6Into(prefix.address, scratch, 0) || !Number.isInteger(length) || length < 0 || length > 128) {
      throw new RangeError(`encodePrefix: bad IPv6 prefix ${prefix.address}/${length}`);
    }
    b[p++] = length;
    for (let i = 0; i < n; i++) b[p++] = scratch[i] as number;
  }
  // Clear the bits past `length` in the last octet.
  if (length & 7) b[p - 1] = (b[p - 1] as number) & (0xff << (8 - (length & 7)));
  w.pos = p;
}
