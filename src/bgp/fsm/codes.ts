/**
 * The NOTIFICATION codes and subcodes the state machine itself produces (the codec owns the full
 * tables for errors it finds in bytes), and a helper that builds a NOTIFICATION message.
 */
import type { NotificationMessage } from '../wire/types.js';

/** RFC 4271 §4.5 error codes. */
export const ErrorCode = {
  /** §6.1 */
  messageHeader: 1,
  /** §6.2 */
  openMessage: 2,
  /** §6.3 */
  updateMessage: 3,
  /** §6.5 */
  holdTimerExpired: 4,
  /** §6.6 */
  fsm: 5,
  /** §6.7 */
  cease: 6,
} as const;

/** RFC 4271 §6.2 OPEN message error subcodes, and RFC 5492 §5 for subcode 7. */
export const OpenSubcode = {
  unsupportedVersion: 1,
  badPeerAs: 2,
  badBgpIdentifier: 3,
  unsupportedOptionalParameter: 4,
  unacceptableHoldTime: 6,
  unsupportedCapability: 7,
} as const;

/** RFC 6608 §3: FSM error subcodes, by the state the unexpected message arrived in. */
export const FsmSubcode = {
  unspecified: 0,
  unexpectedInOpenSent: 1,
  unexpectedInOpenConfirm: 2,
  unexpectedInEstablished: 3,
} as const;

/** RFC 4486 §4 Cease subcodes (and RFC 8538 §4 for hard reset). */
export const CeaseSubcode = {
  maxPrefixes: 1,
  adminShutdown: 2,
  peerDeconfigured: 3,
  adminReset: 4,
  connectionRejected: 5,
  otherConfigChange: 6,
  connectionCollision: 7,
  outOfResources: 8,
  hardReset: 9,
} as const;

/** A NOTIFICATION message with `code`, `subcode` and optional data. */
export function notification(code: number, subcode: number, data: Uint8Array = new Uint8Array(0)): NotificationMessage {
  return { type: 'notification', code, subcode, data };
}
