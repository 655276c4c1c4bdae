/**
 * NOTIFICATION (RFC 4271 §4.5): error code, subcode and data, plus the shutdown communication of
 * RFC 9003 (updating RFC 8203): for Cease subcodes 2 (Administrative Shutdown) and 4 (Administrative
 * Reset) the data may hold a length octet and up to 255 octets of UTF-8 text.
 */
import type { BufferReader } from './buffer-reader.js';
import type { BufferWriter } from './buffer-writer.js';
import { ERROR_CODE } from './codes.js';
import type { NotificationMessage } from './types.js';

/** Decodes a NOTIFICATION body (at least 2 octets, checked by the message layer). */
export function decodeNotification(r: BufferReader): NotificationMessage {
  const code = r.u8();
  const subcode = r.u8();
  return { type: 'notification', code, subcode, data: r.copy(r.remaining) };
}

export function encodeNotification(w: BufferWriter, m: NotificationMessage): void {
  w.u8(m.code);
  w.u8(m.subcode);
  w.bytes(m.data);
}

/** RFC 9003 §2: the longest shutdown communication, in octets. */
export const SHUTDOWN_COMMUNICATION_MAX = 255;

const CEASE = ERROR_CODE.CEASE;
const SHUTDOWN_SUBCODES: readonly number[] = [CEASE.subcodes.ADMINISTRATIVE_SHUTDOWN.subcode, CEASE.subcodes.ADMINISTRATIVE_RESET.subcode];

/**
 * The Cease NOTIFICATION for an administrative shutdown (subcode 2) or reset (subcode 4) carrying
 * `text` as its shutdown communication (RFC 9003 §2). Text longer than 255 octets of UTF-8 is cut at
 * the last whole character that fits; empty text sends no communication.
 */
export function shutdownNotification(subcode: 2 | 4, text = ''): NotificationMessage {
  const utf8 = new TextEncoder().encode(text);
  let n = Math.min(utf8.length, SHUTDOWN_COMMUNICATION_MAX);
  // Do not cut inside a multi-octet sequence: back up over continuation octets (10xxxxxx).
  if (n < utf8.length) while (n > 0 && ((utf8[n] as number) & 0xc0) === 0x80) n--;
  const data = n === 0 ? new Uint8Array(0) : new Uint8Array(1 + n);
  if (n > 0) {
    data[0] = n;
    data.set(utf8.subarray(0, n), 1);
  }
  return { type: 'notification', code: CEASE.code, subcode, data };
}

/** What a NOTIFICATION says as a shutdown communication. */
export type ShutdownCommunication =
  /** Not a Cease 2/4, or one without a communication. */
  | { readonly kind: 'none' }
  | { readonly kind: 'message'; readonly text: string }
  /** RFC 9003 §3: a length past the data, or invalid UTF-8; log it, do not propagate it. */
  | { readonly kind: 'invalid'; readonly reason: 'length' | 'utf8' };

/** Reads the shutdown communication of a Cease NOTIFICATION (RFC 9003 §2, §3). */
export function readShutdownCommunication(m: NotificationMessage): ShutdownCommunication {
  if (m.code !== CEASE.code || !SHUTDOWN_SUBCODES.includes(m.subcode) || m.data.length === 0) return { kind: 'none' };
  const n = m.data[0] as number;
  if (n === 0) return { kind: 'none' };
  if (n > m.data.length - 1) return { kind: 'invalid', reason: 'length' };
  try {
    return { kind: 'message', text: new TextDecoder('utf-8', { fatal: true }).decode(m.data.subarray(1, 1 + n)) };
  } catch {
    return { kind: 'invalid', reason: 'utf8' };
  }
}
