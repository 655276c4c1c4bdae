/**
 * Path attributes (RFC 4271 §4.3 and §5, RFC 1997, RFC 4360, RFC 4760, RFC 6793, RFC 8092): the
 * attribute list of an UPDATE, decoded with the error treatment of RFC 7606 and encoded with every
 * length and the extended-length flag computed here.
 *
 * Decoding keeps attributes in wire order. A malformed attribute is left out of the list and reported
 * as a BgpError whose `handling` says what RFC 7606 prescribes for it; the first session-reset error
 * stops decoding. Unknown optional attributes are kept whole with their flags (without the
 * extended-length bit and the four unused low bits, which the encoder recomputes / zeroes).
 */
import { formatIpv4, formatIpv4Bytes, formatIpv6Bytes, parseIpv4, parseIpv6Into } from './address.js';
import type { BufferReader } from './buffer-reader.js';
import type { BufferWriter } from './buffer-writer.js';
import { ATTRIBUTE_FLAG, ATTRIBUTE_TYPE, AS_PATH_SEGMENT_TYPE } from './codes.js';
import { bgpError } from './errors.js';
import { decodePrefixes, encodePrefix } from './nlri.js';
import { AFI, SAFI } from './types.js';
import type { AsPathSegment, BgpError, CodecOptions, ErrorHandling, PathAttribute, Prefix } from './types.js';

const F_OPTIONAL = ATTRIBUTE_FLAG.OPTIONAL.bit;
const F_TRANSITIVE = ATTRIBUTE_FLAG.TRANSITIVE.bit;
const F_PARTIAL = ATTRIBUTE_FLAG.PARTIAL.bit;
const F_EXTENDED = ATTRIBUTE_FLAG.EXTENDED_LENGTH.bit;
const T = ATTRIBUTE_TYPE;

/** How an attribute's flags must look: well-known, optional transitive, optional non-transitive. */
type AttributeClass = 'wellKnown' | 'optionalTransitive' | 'optionalNonTransitive';

interface KnownAttribute {
  readonly cls: AttributeClass;
  /** RFC 7606 §7 (and the RFC named) treatment when this attribute is malformed. */
  readonly malformed: ErrorHandling;
}

/** The attributes we model, with their flag class and RFC 7606 treatment. */
const KNOWN: ReadonlyMap<number, KnownAttribute> = new Map<number, KnownAttribute>([
  [T.ORIGIN.code, { cls: 'wellKnown', malformed: 'treat-as-withdraw' }], // RFC 7606 §7.1
  [T.AS_PATH.code, { cls: 'wellKnown', malformed: 'treat-as-withdraw' }], // RFC 7606 §7.2
  [T.NEXT_HOP.code, { cls: 'wellKnown', malformed: 'treat-as-withdraw' }], // RFC 7606 §7.3
  [T.MULTI_EXIT_DISC.code, { cls: 'optionalNonTransitive', malformed: 'treat-as-withdraw' }], // RFC 7606 §7.4
  [T.LOCAL_PREF.code, { cls: 'wellKnown', malformed: 'treat-as-withdraw' }], // RFC 7606 §7.5
  [T.ATOMIC_AGGREGATE.code, { cls: 'wellKnown', malformed: 'attribute-discard' }], // RFC 7606 §7.6
  [T.AGGREGATOR.code, { cls: 'optionalTransitive', malformed: 'attribute-discard' }], // RFC 7606 §7.7
  [T.COMMUNITIES.code, { cls: 'optionalTransitive', malformed: 'treat-as-withdraw' }], // RFC 7606 §7.8
  [T.MP_REACH_NLRI.code, { cls: 'optionalNonTransitive', malformed: 'session-reset' }], // RFC 7606 §7.11
  [T.MP_UNREACH_NLRI.code, { cls: 'optionalNonTransitive', malformed: 'session-reset' }], // RFC 7606 §7.11
  [T.EXTENDED_COMMUNITIES.code, { cls: 'optionalTransitive', malformed: 'treat-as-withdraw' }], // RFC 7606 §7.14
  [T.AS4_PATH.code, { cls: 'optionalTransitive', malformed: 'attribute-discard' }], // RFC 6793 §6
  [T.AS4_AGGREGATOR.code, { cls: 'optionalTransitive', malformed: 'attribute-discard' }], // RFC 6793 §6
  [T.LARGE_COMMUNITIES.code, { cls: 'optionalTransitive', malformed: 'treat-as-withdraw' }], // RFC 8092 §6
]);

/** Whether `code` is an attribute type this codec models. */
export function isModelledAttribute(code: number): boolean {
  return KNOWN.has(code);
}

function flagsOk(cls: AttributeClass, flags: number): boolean {
  // RFC 4271 §4.3: well-known attributes are transitive and never partial; the Partial bit is 0
  // for optional non-transitive attributes too.
  switch (cls) {
    case 'wellKnown':
      return (flags & (F_OPTIONAL | F_TRANSITIVE | F_PARTIAL)) === F_TRANSITIVE;
    case 'optionalTransitive':
      return (flags & (F_OPTIONAL | F_TRANSITIVE)) === (F_OPTIONAL | F_TRANSITIVE);
    case 'optionalNonTransitive':
      return (flags & (F_OPTIONAL | F_TRANSITIVE | F_PARTIAL)) === F_OPTIONAL;
  }
}

function flagsFor(cls: AttributeClass): number {
  switch (cls) {
    case 'wellKnown':
      return F_TRANSITIVE;
    case 'optionalTransitive':
      return F_OPTIONAL | F_TRANSITIVE;
    case 'optionalNonTransitive':
      return F_OPTIONAL;
  }
}

const SEGMENT_TYPES: readonly AsPathSegment['type'][] = ['set', 'sequence', 'confedSequence', 'confedSet'];

function segmentCode(t: AsPathSegment['type']): number {
  switch (t) {
    case 'set':
      return AS_PATH_SEGMENT_TYPE.AS_SET.code;
    case 'sequence':
      return AS_PATH_SEGMENT_TYPE.AS_SEQUENCE.code;
    case 'confedSequence':
      return AS_PATH_SEGMENT_TYPE.AS_CONFED_SEQUENCE.code;
    case 'confedSet':
      return AS_PATH_SEGMENT_TYPE.AS_CONFED_SET.code;
  }
}

/** Decodes AS_PATH / AS4_PATH segments; undefined when malformed (RFC 7606 §7.2). */
function decodeSegments(r: BufferReader, asSize: 2 | 4): AsPathSegment[] | undefined {
  const segments: AsPathSegment[] = [];
  while (r.remaining > 0) {
    if (r.remaining < 2) return undefined;
    const type = SEGMENT_TYPES[r.u8() - 1];
    const count = r.u8();
    // RFC 7606 §7.2: an unrecognized segment type, a zero segment length or a segment that
    // overruns the attribute makes the AS_PATH malformed.
    if (type === undefined || count === 0 || count * asSize > r.remaining) return undefined;
    const asns = new Array<number>(count);
    for (let i = 0; i < count; i++) asns[i] = asSize === 4 ? r.u32() : r.u16();
    segments.push({ type, asns });
  }
  return segments;
}

/** What decoding one attribute list produced. */
export interface AttributeListResult {
  readonly attributes: PathAttribute[];
  /** Errors handled without a session reset (RFC 7606 treat-as-withdraw, attribute-discard). */
  readonly errors: BgpError[];
  /** The first session-reset error; decoding stopped there. */
  readonly reset: BgpError | undefined;
  /** Type codes that appeared in the list, well-formed or not (for the missing-attribute checks). */
  readonly present: ReadonlySet<number>;
}

/**
 * Decodes the path attributes in `r` (exactly the Total Path Attribute Length octets).
 */
export function decodeAttributes(r: BufferReader, opts: CodecOptions): AttributeListResult {
  const attributes: PathAttribute[] = [];
  const errors: BgpError[] = [];
  const present = new Set<number>();
  const buf = r.buf;
  while (r.remaining > 0) {
    const start = r.pos;
    // RFC 7606 §4: fewer octets than an attribute header (3, or 4 with Extended Length) left:
    // treat-as-withdraw, and the Total Attribute Length still locates the NLRI.
    if (r.remaining < 3) {
      errors.push(bgpError('BGP_ERR_ATTRIBUTE_OVERRUN', 'truncated attribute header'));
      break;
    }
    const flags = r.u8();
    const code = r.u8();
    if (flags & F_EXTENDED && r.remaining < 2) {
      errors.push(bgpError('BGP_ERR_ATTRIBUTE_OVERRUN', 'truncated attribute header'));
      break;
    }
    const len = flags & F_EXTENDED ? r.u16() : r.u8();
    // RFC 7606 §4: an attribute whose length runs past the Total Attribute Length.
    if (len > r.remaining) {
      errors.push(bgpError('BGP_ERR_ATTRIBUTE_OVERRUN', `attribute ${code} of ${len} octets overruns the attribute list`));
      break;
    }
    const value = r.sub(len);
    const raw = (): Uint8Array => buf.slice(start, value.end);
    // RFC 7606 §3(g): MP_REACH_NLRI or MP_UNREACH_NLRI more than once resets the session; any other
    // repeated attribute is discarded after its first occurrence.
    if (present.has(code)) {
      if (code === T.MP_REACH_NLRI.code || code === T.MP_UNREACH_NLRI.code) {
        return { attributes, errors, present, reset: bgpError('BGP_ERR_DUPLICATE_MP_ATTRIBUTE', `attribute ${code} appears twice`) };
      }
      errors.push(bgpError('BGP_ERR_DUPLICATE_ATTRIBUTE', `attribute ${code} appears twice`));
      continue;
    }
    present.add(code);
    const known = KNOWN.get(code);
    if (known === undefined) {
      // RFC 4271 §6.3: an unrecognized well-known attribute (Optional bit clear).
      if ((flags & F_OPTIONAL) === 0) {
        return { attributes, errors, present, reset: bgpError('BGP_ERR_UNRECOGNIZED_WELL_KNOWN_ATTRIBUTE', `unrecognized well-known attribute ${code}`, raw()) };
      }
      attributes.push({ kind: 'unknown', code, flags: flags & 0xe0, value: value.buf.slice(value.pos, value.end) });
      continue;
    }
    // RFC 4271 §6.3 / RFC 7606 §3(c): flags that conflict with the attribute's type.
    if (!flagsOk(known.cls, flags)) {
      const e = bgpError('BGP_ERR_ATTRIBUTE_FLAGS', `attribute ${code} has flags 0x${flags.toString(16)}`, raw(), known.malformed);
      if (known.malformed === 'session-reset') return { attributes, errors, present, reset: e };
      errors.push(e);
      continue;
    }
    const decoded = decodeKnown(code, value, raw, opts, known.malformed);
    if ('kind' in decoded) {
      attributes.push(decoded);
    } else if (decoded.handling === 'session-reset') {
      return { attributes, errors, present, reset: decoded };
    } else {
      errors.push(decoded);
    }
  }
  return { attributes, errors, present, reset: undefined };
}

function lengthError(code: number, raw: () => Uint8Array, handling: ErrorHandling, expected: string): BgpError {
  // RFC 4271 §6.3: Attribute Length Error, the data is the erroneous attribute.
  return bgpError('BGP_ERR_ATTRIBUTE_LENGTH', `attribute ${code} length is not ${expected}`, raw(), handling);
}

function decodeKnown(code: number, v: BufferReader, raw: () => Uint8Array, opts: CodecOptions, handling: ErrorHandling): PathAttribute | BgpError {
  const len = v.remaining;
  const asSize = opts.fourOctetAs ? 4 : 2;
  switch (code) {
    case T.ORIGIN.code: {
      if (len !== 1) return lengthError(code, raw, handling, '1');
      const origin = v.u8();
      // RFC 4271 §6.3: an undefined ORIGIN value.
      if (origin !== 0 && origin !== 1 && origin !== 2) return bgpError('BGP_ERR_INVALID_ORIGIN', `ORIGIN ${origin}`, raw());
      return { kind: 'origin', origin };
    }
    case T.AS_PATH.code: {
      const segments = decodeSegments(v, asSize);
      // RFC 4271 §6.3: Malformed AS_PATH; RFC 7606 §7.2: treat-as-withdraw.
      if (!segments) return bgpError('BGP_ERR_MALFORMED_AS_PATH', 'malformed AS_PATH');
      return { kind: 'asPath', segments };
    }
    case T.NEXT_HOP.code: {
      if (len !== 4) return lengthError(code, raw, handling, '4');
      const first = v.buf[v.pos] as number;
      const nextHop = formatIpv4Bytes(v.buf, v.pos);
      // RFC 4271 §6.3 / RFC 7606 §7.3: a NEXT_HOP that cannot be a host (0/8, 127/8, multicast and
      // the reserved 240/4 including broadcast) is invalid; the route is ignored, no reset.
      if (first === 0 || (first === 127 && opts.loopbackNextHop !== true) || first >= 224) return bgpError('BGP_ERR_INVALID_NEXT_HOP', `NEXT_HOP ${nextHop}`, raw());
      return { kind: 'nextHop', nextHop };
    }
    case T.MULTI_EXIT_DISC.code:
      if (len !== 4) return lengthError(code, raw, handling, '4');
      return { kind: 'multiExitDisc', med: v.u32() };
    case T.LOCAL_PREF.code:
      if (len !== 4) return lengthError(code, raw, handling, '4');
      return { kind: 'localPref', localPref: v.u32() };
    case T.ATOMIC_AGGREGATE.code:
      if (len !== 0) return lengthError(code, raw, handling, '0');
      return { kind: 'atomicAggregate' };
    case T.AGGREGATOR.code: {
      // RFC 4271 §5.1.7 / RFC 6793 §4: AS (2 or 4 octets as negotiated) and an IPv4 address.
      if (len !== asSize + 4) return lengthError(code, raw, handling, String(asSize + 4));
      const asn = asSize === 4 ? v.u32() : v.u16();
      return { kind: 'aggregator', asn, address: formatIpv4(v.u32()) };
    }
    case T.AS4_AGGREGATOR.code:
      // RFC 6793 §3: a 4-octet AS and an IPv4 address.
      if (len !== 8) return lengthError(code, raw, handling, '8');
      return { kind: 'as4Aggregator', asn: v.u32(), address: formatIpv4(v.u32()) };
    case T.AS4_PATH.code: {
      const segments = decodeSegments(v, 4);
      // RFC 6793 §6: a malformed AS4_PATH is discarded.
      if (!segments) return bgpError('BGP_ERR_OPTIONAL_ATTRIBUTE', 'malformed AS4_PATH', raw(), handling);
      return { kind: 'as4Path', segments };
    }
    case T.COMMUNITIES.code: {
      // RFC 7606 §7.8: a length that is not a non-zero multiple of 4.
      if (len === 0 || len % 4 !== 0) return bgpError('BGP_ERR_OPTIONAL_ATTRIBUTE', 'COMMUNITIES length', raw(), handling);
      const communities = new Array<number>(len / 4);
      for (let i = 0; i < communities.length; i++) communities[i] = v.u32();
      return { kind: 'communities', communities };
    }
    case T.EXTENDED_COMMUNITIES.code: {
      // RFC 7606 §7.14: a length that is not a non-zero multiple of 8.
      if (len === 0 || len % 8 !== 0) return bgpError('BGP_ERR_OPTIONAL_ATTRIBUTE', 'EXTENDED_COMMUNITIES length', raw(), handling);
      const communities: Uint8Array[] = [];
      while (v.remaining > 0) communities.push(v.copy(8));
      return { kind: 'extendedCommunities', communities };
    }
    case T.LARGE_COMMUNITIES.code: {
      // RFC 8092 §6: a length that is not a non-zero multiple of 12.
      if (len === 0 || len % 12 !== 0) return bgpError('BGP_ERR_OPTIONAL_ATTRIBUTE', 'LARGE_COMMUNITIES length', raw(), handling);
      const communities: { globalAdmin: number; localData1: number; localData2: number }[] = [];
      while (v.remaining > 0) communities.push({ globalAdmin: v.u32(), localData1: v.u32(), localData2: v.u32() });
      return { kind: 'largeCommunities', communities };
    }
    case T.MP_REACH_NLRI.code:
      return decodeMpReach(v, raw);
    case T.MP_UNREACH_NLRI.code:
      return decodeMpUnreach(v, raw);
    default:
      throw new Error(`decodeKnown: attribute ${code} is in KNOWN but not decoded`);
  }
}

function familyOf(afi: number, safi: number): 'ipv4' | 'ipv6' | undefined {
  if (safi !== SAFI.unicast) return undefined;
  return afi === AFI.ipv4 ? 'ipv4' : afi === AFI.ipv6 ? 'ipv6' : undefined;
}

function mpError(message: string, raw: () => Uint8Array): BgpError {
  // RFC 4760 §7: an incorrect MP_(UN)REACH_NLRI is an Optional Attribute Error; RFC 7606 §7.11:
  // session reset.
  return bgpError('BGP_ERR_MP_ATTRIBUTE', message, raw());
}

function decodeMpReach(v: BufferReader, raw: () => Uint8Array): PathAttribute | BgpError {
  // RFC 4760 §3: AFI (2), SAFI (1), next hop length (1), next hop, reserved (1), NLRI.
  if (v.remaining < 5) return mpError('MP_REACH_NLRI shorter than 5 octets', raw);
  const start = v.pos;
  const afi = v.u16();
  const safi = v.u8();
  const nhLen = v.u8();
  if (nhLen + 1 > v.remaining) return mpError('MP_REACH_NLRI next hop overruns the attribute', raw);
  const family = familyOf(afi, safi);
  if (family === undefined) {
    return { kind: 'unknown', code: T.MP_REACH_NLRI.code, flags: F_OPTIONAL, value: v.buf.slice(start, v.end) };
  }
  const nextHops: string[] = [];
  const b = v.buf;
  if (nhLen === 4 && family === 'ipv4') {
    nextHops.push(formatIpv4Bytes(b, v.pos));
  } else if (nhLen === 16 || nhLen === 32) {
    // RFC 2545 §3: a global IPv6 address, optionally followed by a link-local one; RFC 8950 allows
    // IPv6 next hops for IPv4 NLRI.
    nextHops.push(formatIpv6Bytes(b, v.pos));
    if (nhLen === 32) nextHops.push(formatIpv6Bytes(b, v.pos + 16));
  } else {
    return mpError(`MP_REACH_NLRI next hop length ${nhLen} for AFI ${afi}`, raw);
  }
  v.skip(nhLen);
  v.skip(1); // RFC 4760 §3: reserved, ignored on receipt.
  const nlri: Prefix[] = [];
  if (decodePrefixes(v, family, nlri) !== undefined) return mpError('MP_REACH_NLRI has a malformed prefix', raw);
  return { kind: 'mpReachNlri', afi, safi, nextHops, nlri };
}

function decodeMpUnreach(v: BufferReader, raw: () => Uint8Array): PathAttribute | BgpError {
  // RFC 4760 §4: AFI (2), SAFI (1), withdrawn routes.
  if (v.remaining < 3) return mpError('MP_UNREACH_NLRI shorter than 3 octets', raw);
  const start = v.pos;
  const afi = v.u16();
  const safi = v.u8();
  const family = familyOf(afi, safi);
  if (family === undefined) {
    return { kind: 'unknown', code: T.MP_UNREACH_NLRI.code, flags: F_OPTIONAL, value: v.buf.slice(start, v.end) };
  }
  const withdrawn: Prefix[] = [];
  if (decodePrefixes(v, family, withdrawn) !== undefined) return mpError('MP_UNREACH_NLRI has a malformed prefix', raw);
  return { kind: 'mpUnreachNlri', afi, safi, withdrawn };
}

// ---------------------------------------------------------------------------------------------------
// Encoding

/** The type code of an attribute. */
export function attributeCode(a: PathAttribute): number {
  switch (a.kind) {
    case 'origin':
      return T.ORIGIN.code;
    case 'asPath':
      return T.AS_PATH.code;
    case 'nextHop':
      return T.NEXT_HOP.code;
    case 'multiExitDisc':
      return T.MULTI_EXIT_DISC.code;
    case 'localPref':
      return T.LOCAL_PREF.code;
    case 'atomicAggregate':
      return T.ATOMIC_AGGREGATE.code;
    case 'aggregator':
      return T.AGGREGATOR.code;
    case 'communities':
      return T.COMMUNITIES.code;
    case 'extendedCommunities':
      return T.EXTENDED_COMMUNITIES.code;
    case 'largeCommunities':
      return T.LARGE_COMMUNITIES.code;
    case 'as4Path':
      return T.AS4_PATH.code;
    case 'as4Aggregator':
      return T.AS4_AGGREGATOR.code;
    case 'mpReachNlri':
      return T.MP_REACH_NLRI.code;
    case 'mpUnreachNlri':
      return T.MP_UNREACH_NLRI.code;
    case 'unknown':
      return a.code;
  }
}

function attributeFlags(a: PathAttribute): number {
  if (a.kind === 'unknown') {
    // RFC 4271 §6.3: an attribute with the Optional bit clear must be one we recognize.
    if ((a.flags & F_OPTIONAL) === 0) throw new RangeError(`encodeAttribute: unknown attribute ${a.code} is not optional`);
    return a.flags & 0xe0;
  }
  const known = KNOWN.get(attributeCode(a));
  if (!known) throw new Error(`attributeFlags: no class for ${a.kind}`);
  return flagsFor(known.cls);
}

function segmentsSize(segments: readonly AsPathSegment[], asSize: number): number {
  let n = 0;
  for (const s of segments) n += 2 + s.asns.length * asSize;
  return n;
}

function nextHopsSize(nextHops: readonly string[]): number {
  let n = 0;
  for (const h of nextHops) n += h.includes(':') ? 16 : 4;
  return n;
}

function prefixesSize(prefixes: readonly Prefix[]): number {
  let n = 0;
  for (const p of prefixes) n += 1 + ((p.length + 7) >>> 3);
  return n;
}

/** The value length of an attribute, as the encoder would write it. */
export function attributeValueSize(a: PathAttribute, opts: CodecOptions): number {
  const asSize = opts.fourOctetAs ? 4 : 2;
  switch (a.kind) {
    case 'origin':
      return 1;
    case 'asPath':
      return segmentsSize(a.segments, asSize);
    case 'nextHop':
    case 'multiExitDisc':
    case 'localPref':
      return 4;
    case 'atomicAggregate':
      return 0;
    case 'aggregator':
      return asSize + 4;
    case 'communities':
      return 4 * a.communities.length;
    case 'extendedCommunities':
      return 8 * a.communities.length;
    case 'largeCommunities':
      return 12 * a.communities.length;
    case 'as4Path':
      return segmentsSize(a.segments, 4);
    case 'as4Aggregator':
      return 8;
    case 'mpReachNlri':
      return 5 + nextHopsSize(a.nextHops) + prefixesSize(a.nlri);
    case 'mpUnreachNlri':
      return 3 + prefixesSize(a.withdrawn);
    case 'unknown':
      return a.value.length;
  }
}

/** The octets one attribute takes on the wire: header (3, or 4 past 255 octets of value) and value. */
export function attributeEncodedSize(a: PathAttribute, opts: CodecOptions): number {
  const v = attributeValueSize(a, opts);
  return v + (v > 255 ? 4 : 3);
}

/** The octets an attribute list takes on the wire (the Total Path Attribute Length). */
export function attributesEncodedSize(attrs: readonly PathAttribute[], opts: CodecOptions): number {
  let n = 0;
  for (const a of attrs) n += attributeEncodedSize(a, opts);
  return n;
}

function encodeSegments(w: BufferWriter, segments: readonly AsPathSegment[], asSize: 2 | 4, what: string): void {
  for (const s of segments) {
    // RFC 7606 §7.2: a segment holds 1 to 255 AS numbers (the caller splits longer ones).
    if (s.asns.length === 0 || s.asns.length > 255) throw new RangeError(`${what}: segment of ${s.asns.length} AS numbers`);
    w.u8(segmentCode(s.type));
    w.u8(s.asns.length);
    for (const asn of s.asns) {
      if (asSize === 4) w.u32(asn);
      else w.u16(asn);
    }
  }
}

const v6 = new Uint8Array(16);

function encodeIpv4(w: BufferWriter, text: string, what: string): void {
  const v = parseIpv4(text);
  if (v < 0) throw new RangeError(`${what}: bad IPv4 address ${text}`);
  w.u32(v);
}

function encodeAddress(w: BufferWriter, text: string, what: string): void {
  if (text.includes(':')) {
    if (!parseIpv6Into(text, v6, 0)) throw new RangeError(`${what}: bad IPv6 address ${text}`);
    w.bytes(v6);
  } else {
    const v = parseIpv4(text);
    if (v < 0) throw new RangeError(`${what}: bad IPv4 address ${text}`);
    w.u32(v);
  }
}

function encodeValue(w: BufferWriter, a: PathAttribute, opts: CodecOptions): void {
  const asSize = opts.fourOctetAs ? 4 : 2;
  switch (a.kind) {
    case 'origin':
      w.u8(a.origin);
      return;
    case 'asPath':
      encodeSegments(w, a.segments, asSize, 'AS_PATH');
      return;
    case 'nextHop': {
      const v = parseIpv4(a.nextHop);
      // RFC 4271 §6.3: the decoder refuses these as NEXT_HOP, so the encoder does too.
      if (v < 0 || v >>> 24 === 0 || (v >>> 24 === 127 && opts.loopbackNextHop !== true) || v >>> 24 >= 224) throw new RangeError(`NEXT_HOP: bad address ${a.nextHop}`);
      w.u32(v);
      return;
    }
    case 'multiExitDisc':
      w.u32(a.med);
      return;
    case 'localPref':
      w.u32(a.localPref);
      return;
    case 'atomicAggregate':
      return;
    case 'aggregator':
      if (asSize === 4) w.u32(a.asn);
      else w.u16(a.asn);
      encodeIpv4(w, a.address, 'AGGREGATOR');
      return;
    case 'communities':
      if (a.communities.length === 0) throw new RangeError('COMMUNITIES: empty list (omit the attribute)');
      for (const c of a.communities) w.u32(c);
      return;
    case 'extendedCommunities':
      if (a.communities.length === 0) throw new RangeError('EXTENDED_COMMUNITIES: empty list (omit the attribute)');
      for (const c of a.communities) {
        if (c.length !== 8) throw new RangeError('EXTENDED_COMMUNITIES: a community is 8 octets');
        w.bytes(c);
      }
      return;
    case 'largeCommunities':
      if (a.communities.length === 0) throw new RangeError('LARGE_COMMUNITIES: empty list (omit the attribute)');
      for (const c of a.communities) {
        w.u32(c.globalAdmin);
        w.u32(c.localData1);
        w.u32(c.localData2);
      }
      return;
    case 'as4Path':
      encodeSegments(w, a.segments, 4, 'AS4_PATH');
      return;
    case 'as4Aggregator':
      w.u32(a.asn);
      encodeIpv4(w, a.address, 'AS4_AGGREGATOR');
      return;
    case 'mpReachNlri': {
      const family = familyOf(a.afi, a.safi);
      if (family === undefined) throw new RangeError(`MP_REACH_NLRI: AFI ${a.afi} SAFI ${a.safi} is not modelled (use an unknown attribute)`);
      const nh = a.nextHops;
      const allV6 = nh.every((h) => h.includes(':'));
      const ok = (family === 'ipv4' && nh.length === 1 && !allV6) || ((nh.length === 1 || nh.length === 2) && allV6);
      if (!ok) throw new RangeError(`MP_REACH_NLRI: next hops ${nh.join(',')} do not fit AFI ${a.afi}`);
      w.u16(a.afi);
      w.u8(a.safi);
      w.u8(nextHopsSize(nh));
      for (const h of nh) encodeAddress(w, h, 'MP_REACH_NLRI');
      w.u8(0);
      for (const p of a.nlri) {
        if (p.family !== family) throw new RangeError(`MP_REACH_NLRI: ${p.family} prefix under AFI ${a.afi}`);
        encodePrefix(w, p);
      }
      return;
    }
    case 'mpUnreachNlri': {
      const family = familyOf(a.afi, a.safi);
      if (family === undefined) throw new RangeError(`MP_UNREACH_NLRI: AFI ${a.afi} SAFI ${a.safi} is not modelled (use an unknown attribute)`);
      w.u16(a.afi);
      w.u8(a.safi);
      for (const p of a.withdrawn) {
        if (p.family !== family) throw new RangeError(`MP_UNREACH_NLRI: ${p.family} prefix under AFI ${a.afi}`);
        encodePrefix(w, p);
      }
      return;
    }
    case 'unknown':
      w.bytes(a.value);
      return;
  }
}

/**
 * Encodes one attribute. The value is written after a 2-octet length; when it turns out to fit in
 * one octet the length is squeezed and the Extended Length bit left clear (RFC 4271 §4.3).
 */
export function encodeAttribute(w: BufferWriter, a: PathAttribute, opts: CodecOptions): void {
  const flagsAt = w.pos;
  w.u8(attributeFlags(a) | F_EXTENDED);
  w.u8(attributeCode(a));
  w.u16(0);
  const start = w.pos;
  encodeValue(w, a, opts);
  const len = w.pos - start;
  if (len > 0xffff) throw new RangeError(`encodeAttribute: ${a.kind} value of ${len} octets`);
  if (len > 255) {
    w.setU16(start - 2, len);
  } else {
    w.setU8(flagsAt, (w.buf[flagsAt] as number) & ~F_EXTENDED);
    w.removeByte(start - 2);
    w.setU8(start - 2, len);
  }
}

/**
 * The attributes in the order we send them: MP_REACH_NLRI and MP_UNREACH_NLRI first (RFC 7606 §5.1,
 * so a receiver can find the NLRI even if a later attribute is malformed), the rest in ascending
 * type code (RFC 4271 §5). Stable; returns a new array.
 */
export function canonicalAttributeOrder(attrs: readonly PathAttribute[]): PathAttribute[] {
  const rank = (a: PathAttribute): number => {
    const code = attributeCode(a);
    return code === T.MP_REACH_NLRI.code || code === T.MP_UNREACH_NLRI.code ? code - 256 : code;
  };
  return attrs
    .map((a, i) => ({ a, i, r: rank(a) }))
    .sort((x, y) => x.r - y.r || x.i - y.i)
    .map((x) => x.a);
}

/** Encodes an attribute list in the given order. */
export function encodeAttributes(w: BufferWriter, attrs: readonly PathAttribute[], opts: CodecOptions): void {
  for (const a of attrs) encodeAttribute(w, a, opts);
}
