/**
 * BgpError values: every protocol error the codec (or the state machine and session, through the
 * same table) reports, each with a stable `reason`, the NOTIFICATION code and subcode it maps to, its
 * default RFC 7606 handling and the RFC section that says so. Builders take the NOTIFICATION data the
 * RFC prescribes for that error (RFC 4271 §6).
 */
import { ERROR_CODE } from './codes.js';
import type { BgpError, ErrorHandling, NotificationMessage } from './types.js';

const H = ERROR_CODE.MESSAGE_HEADER_ERROR;
const O = ERROR_CODE.OPEN_MESSAGE_ERROR;
const U = ERROR_CODE.UPDATE_MESSAGE_ERROR;
const C = ERROR_CODE.CEASE;
const F = ERROR_CODE.FINITE_STATE_MACHINE_ERROR;

/** Every reason with its NOTIFICATION code/subcode, default handling and source. */
export const BGP_ERRORS = {
  // Message header (RFC 4271 §6.1)
  BGP_ERR_CONNECTION_NOT_SYNCHRONIZED: { code: H.code, subcode: H.subcodes.CONNECTION_NOT_SYNCHRONIZED.subcode, handling: 'session-reset', section: 'RFC 4271 §6.1' },
  BGP_ERR_BAD_MESSAGE_LENGTH: { code: H.code, subcode: H.subcodes.BAD_MESSAGE_LENGTH.subcode, handling: 'session-reset', section: 'RFC 4271 §6.1' },
  BGP_ERR_BAD_MESSAGE_TYPE: { code: H.code, subcode: H.subcodes.BAD_MESSAGE_TYPE.subcode, handling: 'session-reset', section: 'RFC 4271 §6.1' },
  // OPEN (RFC 4271 §6.2, RFC 5492 §5)
  BGP_ERR_MALFORMED_OPEN: { code: O.code, subcode: O.subcodes.UNSPECIFIC.subcode, handling: 'session-reset', section: 'RFC 4271 §4.5' },
  BGP_ERR_UNSUPPORTED_VERSION: { code: O.code, subcode: O.subcodes.UNSUPPORTED_VERSION_NUMBER.subcode, handling: 'session-reset', section: 'RFC 4271 §6.2' },
  BGP_ERR_BAD_PEER_AS: { code: O.code, subcode: O.subcodes.BAD_PEER_AS.subcode, handling: 'session-reset', section: 'RFC 4271 §6.2' },
  BGP_ERR_BAD_BGP_IDENTIFIER: { code: O.code, subcode: O.subcodes.BAD_BGP_IDENTIFIER.subcode, handling: 'session-reset', section: 'RFC 4271 §6.2, RFC 6286 §2.2' },
  BGP_ERR_UNSUPPORTED_OPTIONAL_PARAMETER: { code: O.code, subcode: O.subcodes.UNSUPPORTED_OPTIONAL_PARAMETER.subcode, handling: 'session-reset', section: 'RFC 4271 §6.2' },
  BGP_ERR_UNACCEPTABLE_HOLD_TIME: { code: O.code, subcode: O.subcodes.UNACCEPTABLE_HOLD_TIME.subcode, handling: 'session-reset', section: 'RFC 4271 §6.2' },
  BGP_ERR_UNSUPPORTED_CAPABILITY: { code: O.code, subcode: O.subcodes.UNSUPPORTED_CAPABILITY.subcode, handling: 'session-reset', section: 'RFC 5492 §5' },
  // UPDATE (RFC 4271 §6.3, RFC 7606)
  BGP_ERR_MALFORMED_ATTRIBUTE_LIST: { code: U.code, subcode: U.subcodes.MALFORMED_ATTRIBUTE_LIST.subcode, handling: 'session-reset', section: 'RFC 4271 §6.3' },
  BGP_ERR_DUPLICATE_ATTRIBUTE: { code: U.code, subcode: U.subcodes.MALFORMED_ATTRIBUTE_LIST.subcode, handling: 'attribute-discard', section: 'RFC 7606 §3(g)' },
  BGP_ERR_DUPLICATE_MP_ATTRIBUTE: { code: U.code, subcode: U.subcodes.MALFORMED_ATTRIBUTE_LIST.subcode, handling: 'session-reset', section: 'RFC 7606 §3(g)' },
  BGP_ERR_ATTRIBUTE_OVERRUN: { code: U.code, subcode: U.subcodes.ATTRIBUTE_LENGTH_ERROR.subcode, handling: 'treat-as-withdraw', section: 'RFC 7606 §4' },
  BGP_ERR_UNRECOGNIZED_WELL_KNOWN_ATTRIBUTE: { code: U.code, subcode: U.subcodes.UNRECOGNIZED_WELL_KNOWN_ATTRIBUTE.subcode, handling: 'session-reset', section: 'RFC 4271 §6.3' },
  BGP_ERR_MISSING_WELL_KNOWN_ATTRIBUTE: { code: U.code, subcode: U.subcodes.MISSING_WELL_KNOWN_ATTRIBUTE.subcode, handling: 'treat-as-withdraw', section: 'RFC 4271 §6.3, RFC 7606 §3(d)' },
  BGP_ERR_ATTRIBUTE_FLAGS: { code: U.code, subcode: U.subcodes.ATTRIBUTE_FLAGS_ERROR.subcode, handling: 'treat-as-withdraw', section: 'RFC 4271 §6.3, RFC 7606 §3(c)' },
  BGP_ERR_ATTRIBUTE_LENGTH: { code: U.code, subcode: U.subcodes.ATTRIBUTE_LENGTH_ERROR.subcode, handling: 'treat-as-withdraw', section: 'RFC 4271 §6.3, RFC 7606 §7' },
  BGP_ERR_INVALID_ORIGIN: { code: U.code, subcode: U.subcodes.INVALID_ORIGIN_ATTRIBUTE.subcode, handling: 'treat-as-withdraw', section: 'RFC 4271 §6.3, RFC 7606 §7.1' },
  BGP_ERR_INVALID_NEXT_HOP: { code: U.code, subcode: U.subcodes.INVALID_NEXT_HOP_ATTRIBUTE.subcode, handling: 'treat-as-withdraw', section: 'RFC 4271 §6.3, RFC 7606 §7.3' },
  BGP_ERR_OPTIONAL_ATTRIBUTE: { code: U.code, subcode: U.subcodes.OPTIONAL_ATTRIBUTE_ERROR.subcode, handling: 'treat-as-withdraw', section: 'RFC 4271 §6.3' },
  BGP_ERR_MP_ATTRIBUTE: { code: U.code, subcode: U.subcodes.OPTIONAL_ATTRIBUTE_ERROR.subcode, handling: 'session-reset', section: 'RFC 4760 §7, RFC 7606 §7.11' },
  BGP_ERR_INVALID_NETWORK_FIELD: { code: U.code, subcode: U.subcodes.INVALID_NETWORK_FIELD.subcode, handling: 'session-reset', section: 'RFC 4271 §6.3, RFC 7606 §5.3' },
  BGP_ERR_LOCAL_PREF_FROM_EXTERNAL: { code: U.code, subcode: U.subcodes.UNSPECIFIC.subcode, handling: 'attribute-discard', section: 'RFC 7606 §7.5' },
  BGP_ERR_MALFORMED_AS_PATH: { code: U.code, subcode: U.subcodes.MALFORMED_AS_PATH.subcode, handling: 'treat-as-withdraw', section: 'RFC 4271 §6.3, RFC 7606 §7.2' },
  // Timers and state machine (RFC 4271 §6.5, §6.6, RFC 6608)
  BGP_ERR_HOLD_TIMER_EXPIRED: { code: ERROR_CODE.HOLD_TIMER_EXPIRED.code, subcode: 0, handling: 'session-reset', section: 'RFC 4271 §6.5' },
  BGP_ERR_FSM: { code: F.code, subcode: F.subcodes.UNSPECIFIC.subcode, handling: 'session-reset', section: 'RFC 4271 §6.6' },
  BGP_ERR_FSM_UNEXPECTED_IN_OPENSENT: { code: F.code, subcode: F.subcodes.UNEXPECTED_MESSAGE_IN_OPENSENT.subcode, handling: 'session-reset', section: 'RFC 6608 §4' },
  BGP_ERR_FSM_UNEXPECTED_IN_OPENCONFIRM: { code: F.code, subcode: F.subcodes.UNEXPECTED_MESSAGE_IN_OPENCONFIRM.subcode, handling: 'session-reset', section: 'RFC 6608 §4' },
  BGP_ERR_FSM_UNEXPECTED_IN_ESTABLISHED: { code: F.code, subcode: F.subcodes.UNEXPECTED_MESSAGE_IN_ESTABLISHED.subcode, handling: 'session-reset', section: 'RFC 6608 §4' },
  // Cease (RFC 4271 §6.7, RFC 4486 §4, RFC 9003, RFC 8538)
  BGP_ERR_CEASE: { code: C.code, subcode: C.subcodes.UNSPECIFIC.subcode, handling: 'session-reset', section: 'RFC 4271 §6.7' },
  BGP_ERR_CEASE_MAX_PREFIXES: { code: C.code, subcode: C.subcodes.MAXIMUM_NUMBER_OF_PREFIXES_REACHED.subcode, handling: 'session-reset', section: 'RFC 4486 §4' },
  BGP_ERR_CEASE_ADMIN_SHUTDOWN: { code: C.code, subcode: C.subcodes.ADMINISTRATIVE_SHUTDOWN.subcode, handling: 'session-reset', section: 'RFC 4486 §4, RFC 9003' },
  BGP_ERR_CEASE_PEER_DECONFIGURED: { code: C.code, subcode: C.subcodes.PEER_DE_CONFIGURED.subcode, handling: 'session-reset', section: 'RFC 4486 §4' },
  BGP_ERR_CEASE_ADMIN_RESET: { code: C.code, subcode: C.subcodes.ADMINISTRATIVE_RESET.subcode, handling: 'session-reset', section: 'RFC 4486 §4, RFC 9003' },
  BGP_ERR_CEASE_CONNECTION_REJECTED: { code: C.code, subcode: C.subcodes.CONNECTION_REJECTED.subcode, handling: 'session-reset', section: 'RFC 4486 §4' },
  BGP_ERR_CEASE_CONFIGURATION_CHANGE: { code: C.code, subcode: C.subcodes.OTHER_CONFIGURATION_CHANGE.subcode, handling: 'session-reset', section: 'RFC 4486 §4' },
  BGP_ERR_CEASE_CONNECTION_COLLISION: { code: C.code, subcode: C.subcodes.CONNECTION_COLLISION_RESOLUTION.subcode, handling: 'session-reset', section: 'RFC 4486 §4, RFC 4271 §6.8' },
  BGP_ERR_CEASE_OUT_OF_RESOURCES: { code: C.code, subcode: C.subcodes.OUT_OF_RESOURCES.subcode, handling: 'session-reset', section: 'RFC 4486 §4' },
  BGP_ERR_CEASE_HARD_RESET: { code: C.code, subcode: C.subcodes.HARD_RESET.subcode, handling: 'session-reset', section: 'RFC 8538 §3' },
  // ROUTE-REFRESH (RFC 7313 §5)
  BGP_ERR_ROUTE_REFRESH_LENGTH: { code: ERROR_CODE.ROUTE_REFRESH_MESSAGE_ERROR.code, subcode: ERROR_CODE.ROUTE_REFRESH_MESSAGE_ERROR.subcodes.INVALID_MESSAGE_LENGTH.subcode, handling: 'session-reset', section: 'RFC 7313 §5' },
} as const satisfies Record<string, { code: number; subcode: number; handling: ErrorHandling; section: string }>;

/** A stable error reason. */
export type BgpErrorReason = keyof typeof BGP_ERRORS;

const EMPTY = new Uint8Array(0);

/**
 * Builds the BgpError for `reason`, with the NOTIFICATION `data` the RFC prescribes and, where the
 * RFC 7606 treatment depends on the attribute, an explicit `handling`.
 */
export function bgpError(reason: BgpErrorReason, message: string, data: Uint8Array = EMPTY, handling?: ErrorHandling): BgpError {
  const e = BGP_ERRORS[reason];
  return { code: e.code, subcode: e.subcode, data, reason, message, handling: handling ?? e.handling };
}

/** The NOTIFICATION a session-reset error is answered with (RFC 4271 §6). */
export function notificationFor(error: BgpError): NotificationMessage {
  return { type: 'notification', code: error.code, subcode: error.subcode, data: error.data };
}

/** A 2-octet big-endian value, as the data of several NOTIFICATIONs. */
export function u16Data(v: number): Uint8Array {
  return Uint8Array.of((v >>> 8) & 0xff, v & 0xff);
}

/** Orders handlings by severity (RFC 7606 §3: the most severe applicable treatment wins). */
export function severity(h: ErrorHandling): number {
  switch (h) {
    case 'session-reset':
      return 2;
    case 'treat-as-withdraw':
      return 1;
    case 'attribute-discard':
      return 0;
  }
}
