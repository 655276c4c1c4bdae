/**
 * The BFD control packet codec (RFC 5880 §4.1), pure: bytes <-> `BfdControlPacket`.
 *
 * `decodeControlPacket` applies the reception checks of RFC 5880 §6.8.6 that need no session
 * (version, length, detect multiplier, multipoint bit, discriminators) and returns an error with a
 * stable `reason`; it never throws on peer bytes. Authentication (§4.2-§4.4) is not supported: a
 * packet with the A bit is parsed far enough to be reported and then rejected, as §6.8.6 requires
 * of a session without authentication.
 */

/** BFD session states as carried in the Sta field (RFC 5880 §4.1). */
export const BfdStateCode = {
  AdminDown: 0,
  Down: 1,
  Init: 2,
  Up: 3,
} as const;

/** The state names of RFC 5880 §4.1 / §6.2. */
export type BfdStateName = keyof typeof BfdStateCode;

/** Diagnostic codes (RFC 5880 §4.1, "Diag"). */
export const BfdDiag = {
  /** 0: No Diagnostic. */
  None: 0,
  /** 1: Control Detection Time Expired (§6.8.4). */
  ControlDetectionTimeExpired: 1,
  /** 2: Echo Function Failed. */
  EchoFunctionFailed: 2,
  /** 3: Neighbor Signaled Session Down (§6.8.6). */
  NeighborSignaledSessionDown: 3,
  /** 4: Forwarding Plane Reset. */
  ForwardingPlaneReset: 4,
  /** 5: Path Down. */
  PathDown: 5,
  /** 6: Concatenated Path Down. */
  ConcatenatedPathDown: 6,
  /** 7: Administratively Down (§6.8.16). */
  AdministrativelyDown: 7,
  /** 8: Reverse Concatenated Path Down. */
  ReverseConcatenatedPathDown: 8,
} as const;

/** The version this codec speaks (RFC 5880 §4.1: "This document defines protocol version 1"). */
export const BFD_VERSION = 1;
/** Length of the mandatory section (RFC 5880 §4.1). */
export const BFD_HEADER_LENGTH = 24;

/** One BFD control packet. Intervals are in microseconds, as on the wire (RFC 5880 §4.1). */
export interface BfdControlPacket {
  readonly version: number;
  readonly diag: number;
  readonly state: BfdStateName;
  /** Poll (P) bit: the sender asks for a Final (§6.5). */
  readonly poll: boolean;
  /** Final (F) bit: the answer to a Poll (§6.5). */
  readonly final: boolean;
  /** Control Plane Independent (C) bit. */
  readonly controlPlaneIndependent: boolean;
  /** Authentication Present (A) bit; always false in a decoded packet (rejected otherwise). */
  readonly authPresent: boolean;
  /** Demand (D) bit. */
  readonly demand: boolean;
  /** Multipoint (M) bit; always false in a decoded packet (§6.8.6). */
  readonly multipoint: boolean;
  readonly detectMult: number;
  readonly myDiscriminator: number;
  readonly yourDiscriminator: number;
  readonly desiredMinTxUs: number;
  readonly requiredMinRxUs: number;
  readonly requiredMinEchoRxUs: number;
}

/** Why a received packet is discarded; stable strings that tests and counters use. */
export type BfdDecodeReason =
  | 'BFD_ERR_SHORT'
  | 'BFD_ERR_VERSION'
  | 'BFD_ERR_LENGTH'
  | 'BFD_ERR_DETECT_MULT_ZERO'
  | 'BFD_ERR_MULTIPOINT'
  | 'BFD_ERR_MY_DISCRIMINATOR_ZERO'
  | 'BFD_ERR_YOUR_DISCRIMINATOR_ZERO'
  | 'BFD_ERR_AUTH_UNSUPPORTED';

/** A discarded packet: a stable reason and a sentence for logs. */
export interface BfdDecodeError {
  readonly reason: BfdDecodeReason;
  readonly message: string;
}

/** The result of `decodeControlPacket`. */
export type BfdDecodeResult = { readonly ok: true; readonly packet: BfdControlPacket } | { readonly ok: false; readonly error: BfdDecodeError };

const STATE_BY_CODE: readonly BfdStateName[] = ['AdminDown', 'Down', 'Init', 'Up'];
const AUTH_TYPE_NAMES: readonly string[] = ['reserved', 'simple password', 'keyed MD5', 'meticulous keyed MD5', 'keyed SHA1', 'meticulous keyed SHA1'];

function fail(reason: BfdDecodeReason, message: string): BfdDecodeResult {
  return { ok: false, error: { reason, message } };
}

/** Decodes one UDP payload as a BFD control packet and applies the RFC 5880 §6.8.6 packet checks. */
export function decodeControlPacket(bytes: Uint8Array): BfdDecodeResult {
  if (bytes.length < BFD_HEADER_LENGTH) return fail('BFD_ERR_SHORT', `packet of ${bytes.length} bytes is shorter than the ${BFD_HEADER_LENGTH}-byte header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const b0 = view.getUint8(0);
  const b1 = view.getUint8(1);
  const version = b0 >>> 5;
  // RFC 5880 §6.8.6: "If the version number is not correct (1), the packet MUST be discarded."
  if (version !== BFD_VERSION) return fail('BFD_ERR_VERSION', `version ${version}, expected ${BFD_VERSION}`);
  const authPresent = (b1 & 0x04) !== 0;
  const length = view.getUint8(3);
  // RFC 5880 §6.8.6: Length less than the minimum (24, or 26 with the A bit) MUST be discarded.
  const minimum = authPresent ? BFD_HEADER_LENGTH + 2 : BFD_HEADER_LENGTH;
  if (length < minimum) return fail('BFD_ERR_LENGTH', `length field ${length} is less than ${minimum}`);
  // RFC 5880 §6.8.6: Length greater than the payload of the encapsulating protocol MUST be discarded.
  if (length > bytes.length) return fail('BFD_ERR_LENGTH', `length field ${length} exceeds the ${bytes.length}-byte payload`);
  const detectMult = view.getUint8(2);
  // RFC 5880 §6.8.6: "If the Detect Mult field is zero, the packet MUST be discarded."
  if (detectMult === 0) return fail('BFD_ERR_DETECT_MULT_ZERO', 'detect multiplier is zero');
  // RFC 5880 §6.8.6: "If the Multipoint (M) bit is nonzero, the packet MUST be discarded."
  if ((b1 & 0x01) !== 0) return fail('BFD_ERR_MULTIPOINT', 'multipoint bit is set');
  const myDiscriminator = view.getUint32(4);
  const yourDiscriminator = view.getUint32(8);
  // RFC 5880 §6.8.6: "If the My Discriminator field is zero, the packet MUST be discarded."
  if (myDiscriminator === 0) return fail('BFD_ERR_MY_DISCRIMINATOR_ZERO', 'my discriminator is zero');
  const state = STATE_BY_CODE[b1 >>> 6] ?? 'AdminDown';
  // RFC 5880 §6.8.6: Your Discriminator zero with State not Down or AdminDown MUST be discarded.
  if (yourDiscriminator === 0 && state !== 'Down' && state !== 'AdminDown') {
    return fail('BFD_ERR_YOUR_DISCRIMINATOR_ZERO', `your discriminator is zero in state ${state}`);
  }
  // RFC 5880 §6.8.6: A bit set and no authentication in use on the session: discard. We never use it.
  if (authPresent) {
    const authType = view.getUint8(BFD_HEADER_LENGTH);
    const name = AUTH_TYPE_NAMES[authType] ?? `type ${authType}`;
    return fail('BFD_ERR_AUTH_UNSUPPORTED', `authentication (${name}) is not supported`);
  }
  return {
    ok: true,
    packet: {
      version,
      diag: b0 & 0x1f,
      state,
      poll: (b1 & 0x20) !== 0,
      final: (b1 & 0x10) !== 0,
      controlPlaneIndependent: (b1 & 0x08) !== 0,
      authPresent: false,
      demand: (b1 & 0x02) !== 0,
      multipoint: false,
      detectMult,
      myDiscriminator,
      yourDiscriminator,
      desiredMinTxUs: view.getUint32(12),
      requiredMinRxUs: view.getUint32(16),
      requiredMinEchoRxUs: view.getUint32(20),
    },
  };
}

/**
 * Encodes a control packet without authentication (24 bytes). The version is always 1 and the A
 * and M bits are always clear: we never send authentication or multipoint (RFC 5880 §4.1).
 */
export function encodeControlPacket(p: Omit<BfdControlPacket, 'version' | 'authPresent' | 'multipoint'>): Uint8Array {
  const out = new Uint8Array(BFD_HEADER_LENGTH);
  const view = new DataView(out.buffer);
  view.setUint8(0, (BFD_VERSION << 5) | (p.diag & 0x1f));
  view.setUint8(
    1,
    (BfdStateCode[p.state] << 6) | (p.poll ? 0x20 : 0) | (p.final ? 0x10 : 0) | (p.controlPlaneIndependent ? 0x08 : 0) | (p.demand ? 0x02 : 0),
  );
  view.setUint8(2, p.detectMult);
  view.setUint8(3, BFD_HEADER_LENGTH);
  view.setUint32(4, p.myDiscriminator >>> 0);
  view.setUint32(8, p.yourDiscriminator >>> 0);
  view.setUint32(12, p.desiredMinTxUs >>> 0);
  view.setUint32(16, p.requiredMinRxUs >>> 0);
  view.setUint32(20, p.requiredMinEchoRxUs >>> 0);
  return out;
}
