/**
 * ROUTE-REFRESH (RFC 2918 §3, RFC 7313 §3.2): AFI (2), message subtype (1), SAFI (1). A subtype-0
 * message longer than 23 octets carries ORF entries (RFC 5291), which we do not model and skip; for
 * subtypes 1 and 2 (BoRR, EoRR) any length but 23 is an error (RFC 7313 §5). Other subtypes decode
 * as they are: RFC 7313 §5 says the receiver ignores them, which is the session's decision.
 */
import type { BufferReader } from './buffer-reader.js';
import type { BufferWriter } from './buffer-writer.js';
import { ROUTE_REFRESH_SUBTYPE } from './codes.js';
import { bgpError } from './errors.js';
import type { Decoded } from './open.js';
import type { RouteRefreshMessage } from './types.js';

/** Decodes a ROUTE-REFRESH body; `whole` is the complete message, the data of a length error. */
export function decodeRouteRefresh(r: BufferReader, whole: Uint8Array): Decoded<RouteRefreshMessage> {
  const len = r.remaining;
  const subtype = len >= 3 ? (r.buf[r.pos + 2] as number) : -1;
  const borrOrEorr = subtype === ROUTE_REFRESH_SUBTYPE.BEGINNING_OF_ROUTE_REFRESH.code || subtype === ROUTE_REFRESH_SUBTYPE.END_OF_ROUTE_REFRESH.code;
  // RFC 7313 §5: a length other than 4 (after the header) is Invalid Message Length, with the
  // complete message as data. A shorter normal refresh cannot be read at all: the same error.
  if (len < 4 || (borrOrEorr && len !== 4)) {
    return { ok: false, error: bgpError('BGP_ERR_ROUTE_REFRESH_LENGTH', `ROUTE-REFRESH body of ${len} octets`, whole.slice()) };
  }
  const afi = r.u16();
  r.skip(1);
  const safi = r.u8();
  return { ok: true, value: { type: 'routeRefresh', afi, subtype, safi } };
}

export function encodeRouteRefresh(w: BufferWriter, m: RouteRefreshMessage): void {
  w.u16(m.afi);
  w.u8(m.subtype);
  w.u8(m.safi);
}

/** A ROUTE-REFRESH asking for a family's routes (RFC 2918), or marking BoRR/EoRR (RFC 7313). */
export function routeRefresh(afi: number, safi: number, subtype: number = ROUTE_REFRESH_SUBTYPE.NORMAL.code): RouteRefreshMessage {
  return { type: 'routeRefresh', afi, subtype, safi };
}
