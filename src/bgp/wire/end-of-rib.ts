/**
 * End-of-RIB markers (RFC 4724 §2): for IPv4 unicast an UPDATE with no withdrawn routes, no path
 * attributes and no NLRI; for any other family an UPDATE whose only attribute is an MP_UNREACH_NLRI
 * of that family with no withdrawn routes.
 */
import { ATTRIBUTE_TYPE } from './codes.js';
import { AFI, SAFI } from './types.js';
import type { DecodeResult, UpdateMessage } from './types.js';

/** The End-of-RIB marker of a family. */
export function endOfRib(afi: number, safi: number): UpdateMessage {
  if (afi === AFI.ipv4 && safi === SAFI.unicast) return { type: 'update', withdrawn: [], attributes: [], nlri: [] };
  if ((afi === AFI.ipv4 || afi === AFI.ipv6) && safi === SAFI.unicast) {
    return { type: 'update', withdrawn: [], attributes: [{ kind: 'mpUnreachNlri', afi, safi, withdrawn: [] }], nlri: [] };
  }
  // A family the codec does not model: the MP_UNREACH_NLRI is kept as raw bytes (AFI, SAFI).
  const value = Uint8Array.of((afi >>> 8) & 0xff, afi & 0xff, safi & 0xff);
  return { type: 'update', withdrawn: [], attributes: [{ kind: 'unknown', code: ATTRIBUTE_TYPE.MP_UNREACH_NLRI.code, flags: 0x80, value }], nlri: [] };
}

/** The family an UPDATE marks as End-of-RIB, or undefined when it is not one. */
export function endOfRibFamily(m: UpdateMessage): { afi: number; safi: number } | undefined {
  if (m.withdrawn.length > 0 || m.nlri.length > 0) return undefined;
  if (m.attributes.length === 0) return { afi: AFI.ipv4, safi: SAFI.unicast };
  if (m.attributes.length !== 1) return undefined;
  const a = m.attributes[0];
  if (a?.kind === 'mpUnreachNlri' && a.withdrawn.length === 0) return { afi: a.afi, safi: a.safi };
  if (a?.kind === 'unknown' && a.code === ATTRIBUTE_TYPE.MP_UNREACH_NLRI.code && a.value.length === 3) {
    return { afi: ((a.value[0] as number) << 8) | (a.value[1] as number), safi: a.value[2] as number };
  }
  return undefined;
}

/**
 * The family a decoded message marks as End-of-RIB: only an UPDATE that decoded without any error
 * counts, so an UPDATE whose malformed attributes were discarded (RFC 7606) is never mistaken for
 * the empty End-of-RIB marker.
 */
export function endOfRibOf(r: DecodeResult): { afi: number; safi: number } | undefined {
  if (!r.ok || r.errors.length > 0 || r.msg.type !== 'update') return undefined;
  return endOfRibFamily(r.msg);
}
