/**
 * The 19-octet message header (RFC 4271 §4.1): a marker of sixteen 0xff octets, the total length
 * (19..4096, or ..65535 with RFC 8654 extended messages) and the type. Shared by the framer and
 * `decodeMessage` so both reject a bad header with the same NOTIFICATION.
 */
import type { BufferWriter } from './buffer-writer.js';
import { MESSAGE_SIZE } from './codes.js';
import { bgpError, u16Data } from './errors.js';
import type { BgpError, CodecOptions } from './types.js';

/** The largest message the session accepts (RFC 4271 §4.1, RFC 8654 §4). */
export function maxMessageSize(opts: Pick<CodecOptions, 'extendedMessage'>): number {
  return opts.extendedMessage ? MESSAGE_SIZE.MAX_EXTENDED : MESSAGE_SIZE.MAX;
}

export type HeaderResult =
  | { readonly ok: true; readonly length: number; readonly type: number }
  | { readonly ok: false; readonly error: BgpError };

/**
 * Checks the header at `b[at..at+19)` (the caller guarantees 19 octets). RFC 4271 §6.1: a marker
 * that is not all ones is Connection Not Synchronized; a length below 19 or above the maximum is
 * Bad Message Length, with the erroneous Length field as data.
 */
export function decodeHeader(b: Uint8Array, at: number, maxLength: number): HeaderResult {
  for (let i = 0; i < 16; i++) {
    if (b[at + i] !== 0xff) return { ok: false, error: bgpError('BGP_ERR_CONNECTION_NOT_SYNCHRONIZED', 'marker is not all ones') };
  }
  const length = ((b[at + 16] as number) << 8) | (b[at + 17] as number);
  if (length < MESSAGE_SIZE.HEADER || length > maxLength) {
    return { ok: false, error: bgpError('BGP_ERR_BAD_MESSAGE_LENGTH', `message length ${length}`, u16Data(length)) };
  }
  return { ok: true, length, type: b[at + 18] as number };
}

/** Writes a header with a zero length; returns its offset for `finishHeader`. */
export function writeHeader(w: BufferWriter, type: number): number {
  const at = w.pos;
  w.ensure(MESSAGE_SIZE.HEADER);
  w.buf.fill(0xff, at, at + 16);
  w.pos += 16;
  w.u16(0);
  w.u8(type);
  return at;
}

/** Fills in the length of the message that starts at `at`; throws a RangeError past `maxLength`. */
export function finishHeader(w: BufferWriter, at: number, maxLength: number): void {
  const length = w.pos - at;
  if (length > maxLength) throw new RangeError(`message of ${length} octets exceeds the maximum of ${maxLength}`);
  w.setU16(at + 16, length);
}
