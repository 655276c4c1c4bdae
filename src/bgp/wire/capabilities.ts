/**
 * Capabilities carried in the OPEN's capabilities optional parameter (RFC 5492 §4): code, length,
 * value. The modelled ones are decoded into their variants; any other code, and a modelled code
 * whose value has the wrong length, is kept whole as `unknown` so it re-encodes byte for byte (RFC
 * 5492 §4: a speaker ignores capabilities it does not understand).
 */
import { CAPABILITY_CODE } from './codes.js';
import type { BufferReader } from './buffer-reader.js';
import type { BufferWriter } from './buffer-writer.js';
import type { Capability } from './types.js';

const CC = CAPABILITY_CODE;

/** Decodes one capability's value, given its code. Never fails: odd values become `unknown`. */
export function decodeCapability(code: number, r: BufferReader): Capability {
  const len = r.remaining;
  switch (code) {
    case CC.MULTIPROTOCOL.code:
      // RFC 4760 §8: AFI (2), reserved (1), SAFI (1).
      if (len === 4) {
        const afi = r.u16();
        r.skip(1);
        return { kind: 'multiprotocol', afi, safi: r.u8() };
      }
      break;
    case CC.ROUTE_REFRESH.code:
      // RFC 2918 §2: length 0.
      if (len === 0) return { kind: 'routeRefresh' };
      break;
    case CC.ENHANCED_ROUTE_REFRESH.code:
      // RFC 7313 §3.1: length 0.
      if (len === 0) return { kind: 'enhancedRouteRefresh' };
      break;
    case CC.EXTENDED_MESSAGE.code:
      // RFC 8654 §3: length 0.
      if (len === 0) return { kind: 'extendedMessage' };
      break;
    case CC.FOUR_OCTET_AS.code:
      // RFC 6793 §3: the 4-octet AS number.
      if (len === 4) return { kind: 'fourOctetAs', asn: r.u32() };
      break;
    case CC.GRACEFUL_RESTART.code:
      // RFC 4724 §3: restart flags (4 bits), restart time (12 bits), then AFI/SAFI/flags tuples.
      if (len >= 2 && (len - 2) % 4 === 0) {
        const word = r.u16();
        const families: { afi: number; safi: number; flags: number }[] = [];
        while (r.remaining > 0) families.push({ afi: r.u16(), safi: r.u8(), flags: r.u8() });
        return { kind: 'gracefulRestart', restartFlags: word >>> 12, restartTime: word & 0xfff, families };
      }
      break;
    default:
      break;
  }
  return { kind: 'unknown', code, value: r.copy(len) };
}

/** The capability code of a capability. */
export function capabilityCode(c: Capability): number {
  switch (c.kind) {
    case 'multiprotocol':
      return CC.MULTIPROTOCOL.code;
    case 'routeRefresh':
      return CC.ROUTE_REFRESH.code;
    case 'enhancedRouteRefresh':
      return CC.ENHANCED_ROUTE_REFRESH.code;
    case 'fourOctetAs':
      return CC.FOUR_OCTET_AS.code;
    case 'gracefulRestart':
      return CC.GRACEFUL_RESTART.code;
    case 'extendedMessage':
      return CC.EXTENDED_MESSAGE.code;
    case 'unknown':
      return c.code;
  }
}

/** Encodes one capability (code, length, value). A value over 255 octets throws a RangeError. */
export function encodeCapability(w: BufferWriter, c: Capability): void {
  w.u8(capabilityCode(c));
  const lenAt = w.pos;
  w.u8(0);
  switch (c.kind) {
    case 'multiprotocol':
      w.u16(c.afi);
      w.u8(0);
      w.u8(c.safi);
      break;
    case 'routeRefresh':
    case 'enhancedRouteRefresh':
    case 'extendedMessage':
      break;
    case 'fourOctetAs':
      w.u32(c.asn);
      break;
    case 'gracefulRestart':
      if (c.restartFlags < 0 || c.restartFlags > 0xf || c.restartTime < 0 || c.restartTime > 0xfff) {
        throw new RangeError('encodeCapability: graceful restart flags or time out of range');
      }
      w.u16((c.restartFlags << 12) | c.restartTime);
      for (const f of c.families) {
        w.u16(f.afi);
        w.u8(f.safi);
        w.u8(f.flags);
      }
      break;
    case 'unknown':
      w.bytes(c.value);
      break;
  }
  const len = w.pos - lenAt - 1;
  if (len > 255) throw new RangeError(`encodeCapability: capability ${capabilityCode(c)} value of ${len} octets`);
  w.setU8(lenAt, len);
}
