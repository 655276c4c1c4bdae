/**
 * UPDATE (RFC 4271 §4.3): withdrawn routes, path attributes, NLRI, with the checks of RFC 4271 §6.3
 * that the bytes alone allow and the treatments of RFC 7606. Checks that need the session (iBGP or
 * eBGP, the peer's AS, our addresses) are in `validateUpdate`.
 */
import type { BufferReader } from './buffer-reader.js';
import type { BufferWriter } from './buffer-writer.js';
import { ATTRIBUTE_TYPE } from './codes.js';
import { bgpError, severity } from './errors.js';
import { decodePrefixes, encodePrefix, prefixEncodedSize } from './nlri.js';
import { attributesEncodedSize, decodeAttributes, encodeAttributes } from './path-attributes.js';
import type { BgpError, CodecOptions, DecodeResult, Prefix, UpdateMessage } from './types.js';

const T = ATTRIBUTE_TYPE;

/** Decodes an UPDATE body (the bytes after the header) into a DecodeResult. */
export function decodeUpdate(r: BufferReader, opts: CodecOptions): DecodeResult {
  const bodyLen = r.remaining;
  // RFC 4271 §6.3: Withdrawn Routes Length + Total Attribute Length + 23 must not exceed the
  // message length; otherwise Malformed Attribute List.
  if (bodyLen < 4) return { ok: false, error: bgpError('BGP_ERR_MALFORMED_ATTRIBUTE_LIST', 'UPDATE body shorter than 4 octets') };
  const wlen = r.u16();
  if (wlen + 4 > bodyLen) {
    return { ok: false, error: bgpError('BGP_ERR_MALFORMED_ATTRIBUTE_LIST', `withdrawn routes length ${wlen} exceeds the message`) };
  }
  const withdrawn: Prefix[] = [];
  // RFC 4271 §6.3 / RFC 7606 §5.3: a syntactically incorrect prefix field resets the session.
  if (decodePrefixes(r.sub(wlen), 'ipv4', withdrawn) !== undefined) {
    return { ok: false, error: bgpError('BGP_ERR_INVALID_NETWORK_FIELD', 'malformed withdrawn routes') };
  }
  const alen = r.u16();
  if (alen > r.remaining) {
    return { ok: false, error: bgpError('BGP_ERR_MALFORMED_ATTRIBUTE_LIST', `total attribute length ${alen} exceeds the message`) };
  }
  const attrs = decodeAttributes(r.sub(alen), opts);
  if (attrs.reset) return { ok: false, error: attrs.reset };
  const nlri: Prefix[] = [];
  if (decodePrefixes(r, 'ipv4', nlri) !== undefined) {
    return { ok: false, error: bgpError('BGP_ERR_INVALID_NETWORK_FIELD', 'malformed NLRI') };
  }
  const errors = attrs.errors;
  // RFC 4271 §6.3, RFC 4760 §3, RFC 7606 §3(d): an UPDATE that carries reachability must have ORIGIN
  // and AS_PATH, and NEXT_HOP when it has IPv4 NLRI in the NLRI field; missing ones are
  // treat-as-withdraw. An UPDATE with only withdrawals needs none.
  const present = attrs.present;
  if (nlri.length > 0 || present.has(T.MP_REACH_NLRI.code)) {
    const required: number[] = [T.ORIGIN.code, T.AS_PATH.code];
    if (nlri.length > 0) required.push(T.NEXT_HOP.code);
    for (const code of required) {
      if (!present.has(code)) {
        // RFC 4271 §6.3: the data is the type code of the missing attribute.
        errors.push(bgpError('BGP_ERR_MISSING_WELL_KNOWN_ATTRIBUTE', `missing well-known attribute ${code}`, Uint8Array.of(code)));
      }
    }
  }
  const msg: UpdateMessage = { type: 'update', withdrawn, attributes: attrs.attributes, nlri };
  const withdrawAll = errors.some((e) => severity(e.handling) === severity('treat-as-withdraw'));
  return { ok: true, msg, errors, withdrawAll };
}

/** Encodes an UPDATE body. The caller keeps the message within the negotiated size. */
export function encodeUpdate(w: BufferWriter, m: UpdateMessage, opts: CodecOptions): void {
  const wAt = w.pos;
  w.u16(0);
  for (const p of m.withdrawn) {
    if (p.family !== 'ipv4') throw new RangeError('encodeUpdate: withdrawn routes are IPv4 (use MP_UNREACH_NLRI)');
    encodePrefix(w, p);
  }
  w.setU16(wAt, w.pos - wAt - 2);
  const aAt = w.pos;
  w.u16(0);
  encodeAttributes(w, m.attributes, opts);
  w.setU16(aAt, w.pos - aAt - 2);
  for (const p of m.nlri) {
    if (p.family !== 'ipv4') throw new RangeError('encodeUpdate: NLRI are IPv4 (use MP_REACH_NLRI)');
    encodePrefix(w, p);
  }
}

/**
 * Encodes an UPDATE body that announces IPv4 NLRI already encoded (RFC 4271 §4.3: no withdrawn
 * routes, the path attributes, then `nlri`, a run of length-octet-plus-prefix-octets entries as
 * `encodePrefix` writes them). The bytes are copied as given; the caller keeps the message within
 * the negotiated size.
 */
export function encodeUpdateFromParts(
  w: BufferWriter,
  attributes: UpdateMessage['attributes'],
  nlri: Uint8Array,
  opts: CodecOptions,
): void {
  w.u16(0);
  const aAt = w.pos;
  w.u16(0);
  encodeAttributes(w, attributes, opts);
  w.setU16(aAt, w.pos - aAt - 2);
  w.bytes(nlri);
}

/**
 * The octets an UPDATE takes on the wire, header included, without encoding it:
 * 19 + 2 + withdrawn + 2 + attributes + NLRI (RFC 4271 §4.3).
 */
export function updateEncodedSize(m: UpdateMessage, opts: CodecOptions): number {
  let n = 23 + attributesEncodedSize(m.attributes, opts);
  for (const p of m.withdrawn) n += prefixEncodedSize(p);
  for (const p of m.nlri) n += prefixEncodedSize(p);
  return n;
}

/** The session context `validateUpdate` checks against. */
export interface UpdateContext {
  /** Whether the peer is in our AS. */
  readonly ibgp: boolean;
  /** The peer's AS (for the first-AS check on eBGP, RFC 4271 §6.3). */
  readonly peerAs: number;
  /** Whether the peer is a confederation member (allows AS_CONFED_* segments from eBGP). */
  readonly confederationPeer?: boolean;
  /** Our own addresses; a NEXT_HOP equal to one of them is invalid (RFC 4271 §6.3). */
  readonly localAddresses?: readonly string[];
  /**
   * Whether an external peer's AS_PATH must start with its AS (RFC 4271 §6.3 "MAY"; FRR's
   * `enforce-first-as`). Default true; turn off for route servers, which do not prepend.
   */
  readonly enforceFirstAs?: boolean;
}

/**
 * The checks of RFC 4271 §6.3 and RFC 7606 that need the session's context, run on a decoded UPDATE.
 * Returns the errors found (none is a session reset; all are treat-as-withdraw or attribute-discard).
 * The message is not changed: for attribute-discard the caller ignores that attribute, for
 * treat-as-withdraw it treats the UPDATE's NLRI as withdrawn.
 */
export function validateUpdate(m: UpdateMessage, ctx: UpdateContext): BgpError[] {
  const errors: BgpError[] = [];
  const hasReach = m.nlri.length > 0 || m.attributes.some((a) => a.kind === 'mpReachNlri' && a.nlri.length > 0);
  for (const a of m.attributes) {
    if (a.kind === 'asPath' && !ctx.ibgp) {
      const first = a.segments[0];
      // RFC 7606 §7.2 (RFC 5065 §5.3): confederation segments from a non-confederation eBGP peer.
      if (!ctx.confederationPeer && a.segments.some((s) => s.type === 'confedSequence' || s.type === 'confedSet')) {
        errors.push(bgpError('BGP_ERR_MALFORMED_AS_PATH', 'confederation segment from an external peer'));
      } else if (hasReach && ctx.enforceFirstAs !== false && !ctx.confederationPeer && (first === undefined || first.type !== 'sequence' || first.asns[0] !== ctx.peerAs)) {
        // RFC 4271 §6.3: the leftmost AS of an external peer's AS_PATH must be the peer's AS.
        errors.push(bgpError('BGP_ERR_MALFORMED_AS_PATH', `AS_PATH does not start with peer AS ${ctx.peerAs}`));
      }
    }
    if (a.kind === 'localPref' && !ctx.ibgp) {
      // RFC 7606 §7.5: LOCAL_PREF from an external peer is discarded.
      errors.push(bgpError('BGP_ERR_LOCAL_PREF_FROM_EXTERNAL', 'LOCAL_PREF from an external peer'));
    }
    if (a.kind === 'nextHop' && m.nlri.length > 0 && ctx.localAddresses?.includes(a.nextHop)) {
      // RFC 4271 §6.3: a NEXT_HOP that is the receiving speaker's own address; the route is ignored.
      errors.push(bgpError('BGP_ERR_INVALID_NEXT_HOP', `NEXT_HOP ${a.nextHop} is our own address`));
    }
  }
  // RFC 4271 §6.3 (and §5.1.5): LOCAL_PREF is required from internal peers.
  if (ctx.ibgp && hasReach && !m.attributes.some((a) => a.kind === 'localPref')) {
    errors.push(bgpError('BGP_ERR_MISSING_WELL_KNOWN_ATTRIBUTE', 'internal peer sent no LOCAL_PREF', Uint8Array.of(T.LOCAL_PREF.code)));
  }
  return errors;
}
