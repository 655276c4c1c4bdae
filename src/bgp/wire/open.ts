/**
 * OPEN (RFC 4271 §4.2) with its optional parameters (RFC 5492 capabilities, RFC 9072 extended
 * optional parameters length), plus pure checks that need the session's context (`validateOpen`)
 * and the negotiation of codec options from two OPENs.
 *
 * The decoder rejects what RFC 4271 §6.2 lets it reject from the bytes alone: a version other than 4,
 * a hold time of 1 or 2, a zero BGP Identifier, an unsupported optional parameter, and a parameter
 * block that does not add up. The encoder refuses (RangeError) to build an OPEN the decoder would
 * reject, so an `unknown` optional parameter cannot be sent.
 */
import { formatIpv4, parseIpv4 } from './address.js';
import type { BufferReader } from './buffer-reader.js';
import { BufferWriter } from './buffer-writer.js';
import { decodeCapability, encodeCapability } from './capabilities.js';
import { BGP_VERSION, OPTIONAL_PARAMETER_TYPE } from './codes.js';
import { bgpError, u16Data } from './errors.js';
import { AS_TRANS } from './types.js';
import type { BgpError, Capability, CodecOptions, OpenMessage, OptionalParameter } from './types.js';

/** What a decoder returns internally before the message layer wraps it. */
export type Decoded<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: BgpError };

const PT_CAPS = OPTIONAL_PARAMETER_TYPE.CAPABILITIES.code;
const PT_EXT = OPTIONAL_PARAMETER_TYPE.EXTENDED_LENGTH.code;

/** Decodes an OPEN body (the bytes after the 19-octet header). */
export function decodeOpen(r: BufferReader): Decoded<OpenMessage> {
  if (r.remaining < 10) return { ok: false, error: bgpError('BGP_ERR_MALFORMED_OPEN', 'OPEN body shorter than 10 octets') };
  const version = r.u8();
  const myAs = r.u16();
  const holdTime = r.u16();
  const id = r.u32();
  const bgpId = formatIpv4(id);
  // RFC 4271 §6.2: unsupported version; the data is the largest supported version below the one bid,
  // or the smallest supported one: 4 either way.
  if (version !== BGP_VERSION) {
    return { ok: false, error: bgpError('BGP_ERR_UNSUPPORTED_VERSION', `unsupported BGP version ${version}`, u16Data(BGP_VERSION)) };
  }
  // RFC 4271 §6.2: a hold time of one or two seconds MUST be rejected.
  if (holdTime === 1 || holdTime === 2) {
    return { ok: false, error: bgpError('BGP_ERR_UNACCEPTABLE_HOLD_TIME', `unacceptable hold time ${holdTime}`) };
  }
  // RFC 4271 §6.2 and RFC 6286 §2.2: the BGP Identifier is a non-zero 32-bit value.
  if (id === 0) return { ok: false, error: bgpError('BGP_ERR_BAD_BGP_IDENTIFIER', 'BGP Identifier is 0.0.0.0') };

  let optLen = r.u8();
  let extended = false;
  // RFC 9072 §2: Non-Ext OP Len 255 followed by Non-Ext OP Type 255 announces a 2-octet length.
  if (optLen === 255 && r.remaining >= 3 && r.buf[r.pos] === PT_EXT) {
    r.skip(1);
    optLen = r.u16();
    extended = true;
  }
  if (optLen !== r.remaining) {
    return { ok: false, error: bgpError('BGP_ERR_MALFORMED_OPEN', `optional parameters length ${optLen} but ${r.remaining} octets follow`) };
  }
  const params: OptionalParameter[] = [];
  while (r.remaining > 0) {
    const hdr = extended ? 3 : 2;
    if (r.remaining < hdr) return { ok: false, error: bgpError('BGP_ERR_MALFORMED_OPEN', 'truncated optional parameter header') };
    const type = r.u8();
    const len = extended ? r.u16() : r.u8();
    if (len > r.remaining) return { ok: false, error: bgpError('BGP_ERR_MALFORMED_OPEN', `optional parameter ${type} overruns the OPEN`) };
    const pr = r.sub(len);
    if (type !== PT_CAPS) {
      // RFC 4271 §6.2: an optional parameter that is not recognized.
      return { ok: false, error: bgpError('BGP_ERR_UNSUPPORTED_OPTIONAL_PARAMETER', `unsupported optional parameter type ${type}`) };
    }
    const capabilities: Capability[] = [];
    while (pr.remaining > 0) {
      // RFC 5492 §4: code (1), length (1), value.
      if (pr.remaining < 2) return { ok: false, error: bgpError('BGP_ERR_MALFORMED_OPEN', 'truncated capability header') };
      const code = pr.u8();
      const clen = pr.u8();
      if (clen > pr.remaining) return { ok: false, error: bgpError('BGP_ERR_MALFORMED_OPEN', `capability ${code} overruns its parameter`) };
      capabilities.push(decodeCapability(code, pr.sub(clen)));
    }
    params.push({ type: 'capabilities', capabilities });
  }
  return { ok: true, value: { type: 'open', version, myAs, holdTime, bgpId, optionalParameters: params } };
}

/** Encodes an OPEN body. Throws a RangeError for an OPEN the decoder would reject. */
export function encodeOpen(w: BufferWriter, m: OpenMessage): void {
  if (m.version !== BGP_VERSION) throw new RangeError(`encodeOpen: version ${m.version}`);
  if (m.holdTime === 1 || m.holdTime === 2) throw new RangeError(`encodeOpen: hold time ${m.holdTime}`);
  const id = parseIpv4(m.bgpId);
  if (id <= 0) throw new RangeError(`encodeOpen: BGP Identifier ${m.bgpId}`);
  w.u8(m.version);
  w.u16(m.myAs);
  w.u16(m.holdTime);
  w.u32(id);
  // Encode the parameters once with 2-octet lengths to learn their sizes; switch to the RFC 9072
  // form only when a parameter or the block exceeds 255 octets.
  const lenAt = w.pos;
  w.u8(0);
  const start = w.pos;
  const paramStarts: number[] = [];
  for (const p of m.optionalParameters) {
    if (p.type !== 'capabilities') throw new RangeError(`encodeOpen: unsupported optional parameter ${p.code}`);
    paramStarts.push(w.pos);
    w.u8(PT_CAPS);
    w.u16(0);
    const vs = w.pos;
    for (const c of p.capabilities) encodeCapability(w, c);
    w.setU16(vs - 2, w.pos - vs);
  }
  const extendedLen = w.pos - start;
  let needExtended = false;
  for (const at of paramStarts) if (((w.buf[at + 1] as number) << 8) + (w.buf[at + 2] as number) > 255) needExtended = true;
  if (!needExtended && extendedLen - paramStarts.length > 255) needExtended = true;
  if (needExtended) {
    // RFC 9072 §2: Non-Ext OP Len = 255, Non-Ext OP Type = 255, Extended Opt. Parm. Length (2).
    w.setU8(lenAt, 255);
    w.ensure(3);
    w.buf.copyWithin(start + 3, start, w.pos);
    w.buf[start] = PT_EXT;
    w.pos += 3;
    w.setU16(start + 1, extendedLen);
  } else {
    // Squeeze each 2-octet parameter length to one octet, back to front so offsets stay valid.
    for (let i = paramStarts.length - 1; i >= 0; i--) w.removeByte((paramStarts[i] as number) + 1);
    w.setU8(lenAt, w.pos - start);
  }
}

/** Every capability an OPEN carries, across all its optional parameters. */
export function capabilitiesOf(open: OpenMessage): Capability[] {
  const out: Capability[] = [];
  for (const p of open.optionalParameters) if (p.type === 'capabilities') for (const c of p.capabilities) out.push(c);
  return out;
}

/** The peer's AS: the 4-octet AS capability if present (RFC 6793 §4.1), else My Autonomous System. */
export function peerAsOf(open: OpenMessage): number {
  for (const c of capabilitiesOf(open)) if (c.kind === 'fourOctetAs') return c.asn;
  return open.myAs;
}

/** The codec options two OPENs negotiate: a capability counts when both sides sent it. */
export function negotiateCodecOptions(local: OpenMessage, remote: OpenMessage): CodecOptions {
  const has = (o: OpenMessage, kind: Capability['kind']): boolean => capabilitiesOf(o).some((c) => c.kind === kind);
  return {
    // RFC 6793 §4: 4-octet AS numbers once both speakers advertise the capability.
    fourOctetAs: has(local, 'fourOctetAs') && has(remote, 'fourOctetAs'),
    // RFC 8654 §3: extended messages once both speakers advertise the capability.
    extendedMessage: has(local, 'extendedMessage') && has(remote, 'extendedMessage'),
  };
}

/** The session's expectations of a peer's OPEN, for `validateOpen`. */
export interface OpenExpectations {
  /** The AS configured for the peer; undefined accepts any (except 0). */
  readonly peerAs?: number;
  /** Our AS, to tell iBGP from eBGP. */
  readonly localAs: number;
  /** Our BGP Identifier. */
  readonly localBgpId: string;
  /** The smallest non-zero hold time we accept (RFC 4271 §6.2 "MAY reject"); default 3. */
  readonly minHoldTime?: number;
  /** Whether we accept a hold time of 0 (no keepalives); default true. */
  readonly allowZeroHoldTime?: boolean;
  /** Capabilities the peer must advertise (multiprotocol compared with its AFI/SAFI). */
  readonly requiredCapabilities?: readonly Capability[];
}

function sameCapability(a: Capability, b: Capability): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === 'multiprotocol' && b.kind === 'multiprotocol') return a.afi === b.afi && a.safi === b.safi;
  if (a.kind === 'unknown' && b.kind === 'unknown') return a.code === b.code;
  return true;
}

/**
 * Checks a decoded OPEN against the session's expectations (RFC 4271 §6.2): the peer AS, the BGP
 * Identifier, the hold time and required capabilities. Returns the error to answer with, or
 * undefined when the OPEN is acceptable.
 */
export function validateOpen(open: OpenMessage, x: OpenExpectations): BgpError | undefined {
  const peerAs = peerAsOf(open);
  // RFC 7607 §3: AS 0 in an OPEN is Bad Peer AS.
  if (peerAs === 0 || open.myAs === 0) return bgpError('BGP_ERR_BAD_PEER_AS', 'peer AS is 0');
  // RFC 6793 §4.1: a 4-octet AS that fits in 2 octets must also be in My Autonomous System;
  // a larger one goes with AS_TRANS there.
  if (peerAs !== open.myAs && !(peerAs > 0xffff && open.myAs === AS_TRANS)) {
    return bgpError('BGP_ERR_BAD_PEER_AS', `My Autonomous System ${open.myAs} disagrees with 4-octet AS ${peerAs}`);
  }
  // RFC 4271 §6.2: the AS is not the one configured for the peer.
  if (x.peerAs !== undefined && peerAs !== x.peerAs) {
    return bgpError('BGP_ERR_BAD_PEER_AS', `peer AS ${peerAs}, expected ${x.peerAs}`);
  }
  // RFC 6286 §2.2: within an AS the BGP Identifiers must differ.
  if (peerAs === x.localAs && open.bgpId === x.localBgpId) {
    return bgpError('BGP_ERR_BAD_BGP_IDENTIFIER', `internal peer uses our BGP Identifier ${open.bgpId}`);
  }
  // RFC 4271 §6.2: hold time 1 or 2 MUST be rejected; an implementation MAY reject others.
  const min = x.minHoldTime ?? 3;
  if (open.holdTime === 0 ? x.allowZeroHoldTime === false : open.holdTime < Math.max(3, min)) {
    return bgpError('BGP_ERR_UNACCEPTABLE_HOLD_TIME', `hold time ${open.holdTime} not acceptable`);
  }
  // RFC 5492 §5: required capabilities the peer did not advertise go in the data field.
  const caps = capabilitiesOf(open);
  const missing = (x.requiredCapabilities ?? []).filter((req) => !caps.some((c) => sameCapability(req, c)));
  if (missing.length > 0) {
    const w = new BufferWriter(32);
    for (const c of missing) encodeCapability(w, c);
    return bgpError('BGP_ERR_UNSUPPORTED_CAPABILITY', `peer lacks ${missing.length} required capabilities`, w.finish());
  }
  return undefined;
}
