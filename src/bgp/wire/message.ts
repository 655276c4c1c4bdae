/**
 * Whole messages: `decodeMessage` turns one framed message into a DecodeResult and never throws on
 * peer bytes; `encodeMessage` turns a BgpMessage into bytes, computing every length, and throws a
 * RangeError (a programmer error) for a message it cannot or must not send, such as one larger than
 * the negotiated maximum or one its own decoder would reject.
 */
import { BufferReader } from './buffer-reader.js';
import { BufferWriter } from './buffer-writer.js';
import { MESSAGE_SIZE, MESSAGE_TYPE } from './codes.js';
import { bgpError, u16Data } from './errors.js';
import { decodeHeader, finishHeader, maxMessageSize, writeHeader } from './header.js';
import { decodeNotification, encodeNotification } from './notification.js';
import { decodeOpen, encodeOpen } from './open.js';
import { decodeRouteRefresh, encodeRouteRefresh } from './route-refresh.js';
import { decodeUpdate, encodeUpdate, encodeUpdateFromParts } from './update.js';
import type { BgpMessage, CodecOptions, DecodeResult, UpdateMessage } from './types.js';

const MT = MESSAGE_TYPE;

/**
 * Decodes one complete message (header included), as the framer delivers it. RFC 4271 §6.1: the
 * header is checked again, then the length against the type's fixed or minimum size.
 */
export function decodeMessage(bytes: Uint8Array, opts: CodecOptions): DecodeResult {
  if (bytes.length < MESSAGE_SIZE.HEADER) {
    const data = bytes.length >= 18 ? bytes.slice(16, 18) : new Uint8Array(0);
    return { ok: false, error: bgpError('BGP_ERR_BAD_MESSAGE_LENGTH', `message of ${bytes.length} octets`, data) };
  }
  const h = decodeHeader(bytes, 0, maxMessageSize(opts));
  if (!h.ok) return h;
  const badLength = (): DecodeResult => ({
    ok: false,
    error: bgpError('BGP_ERR_BAD_MESSAGE_LENGTH', `length ${h.length} for message type ${h.type}`, u16Data(h.length)),
  });
  if (h.length !== bytes.length) return badLength();
  const r = new BufferReader(bytes, MESSAGE_SIZE.HEADER, h.length);
  switch (h.type) {
    case MT.OPEN.code: {
      // RFC 4271 §6.1 (minimum 29); RFC 8654 §4: an OPEN never exceeds 4096 octets.
      if (h.length < MESSAGE_SIZE.MIN_OPEN || h.length > MESSAGE_SIZE.MAX) return badLength();
      const d = decodeOpen(r);
      return d.ok ? { ok: true, msg: d.value, errors: [], withdrawAll: false } : d;
    }
    case MT.UPDATE.code:
      // RFC 4271 §6.1: an UPDATE is at least 23 octets.
      if (h.length < MESSAGE_SIZE.MIN_UPDATE) return badLength();
      return decodeUpdate(r, opts);
    case MT.NOTIFICATION.code:
      // RFC 4271 §6.1: a NOTIFICATION is at least 21 octets.
      if (h.length < MESSAGE_SIZE.MIN_NOTIFICATION) return badLength();
      return { ok: true, msg: decodeNotification(r), errors: [], withdrawAll: false };
    case MT.KEEPALIVE.code:
      // RFC 4271 §6.1: a KEEPALIVE is exactly 19 octets.
      if (h.length !== MESSAGE_SIZE.KEEPALIVE) return badLength();
      return { ok: true, msg: { type: 'keepalive' }, errors: [], withdrawAll: false };
    case MT.ROUTE_REFRESH.code: {
      const d = decodeRouteRefresh(r, bytes);
      return d.ok ? { ok: true, msg: d.value, errors: [], withdrawAll: false } : d;
    }
    default:
      // RFC 4271 §6.1: Bad Message Type, with the type octet as data.
      return { ok: false, error: bgpError('BGP_ERR_BAD_MESSAGE_TYPE', `message type ${h.type}`, Uint8Array.of(h.type)) };
  }
}

/** Encodes a message, header included. */
export function encodeMessage(msg: BgpMessage, opts: CodecOptions): Uint8Array {
  const w = new BufferWriter(msg.type === 'update' ? 4096 : 64);
  encodeMessageInto(w, msg, opts);
  return w.finish();
}

/**
 * Appends a message to `w` (to batch several messages into one socket write without copies).
 */
export function encodeMessageInto(w: BufferWriter, msg: BgpMessage, opts: CodecOptions): void {
  let max = maxMessageSize(opts);
  let at: number;
  switch (msg.type) {
    case 'open':
      at = writeHeader(w, MT.OPEN.code);
      encodeOpen(w, msg);
      // RFC 8654 §4: OPEN stays within 4096 octets.
      max = MESSAGE_SIZE.MAX;
      break;
    case 'update':
      at = writeHeader(w, MT.UPDATE.code);
      encodeUpdate(w, msg, opts);
      break;
    case 'notification':
      at = writeHeader(w, MT.NOTIFICATION.code);
      encodeNotification(w, msg);
      break;
    case 'keepalive':
      at = writeHeader(w, MT.KEEPALIVE.code);
      break;
    case 'routeRefresh':
      at = writeHeader(w, MT.ROUTE_REFRESH.code);
      encodeRouteRefresh(w, msg);
      break;
  }
  finishHeader(w, at, max);
}

/**
 * Appends an UPDATE, header included, whose IPv4 NLRI field is already encoded (see
 * `encodeUpdateFromParts`). Throws a RangeError when it exceeds the negotiated maximum size.
 */
export function encodeUpdateFromPartsInto(
  w: BufferWriter,
  attributes: UpdateMessage['attributes'],
  nlri: Uint8Array,
  opts: CodecOptions,
): void {
  const at = writeHeader(w, MT.UPDATE.code);
  encodeUpdateFromParts(w, attributes, nlri, opts);
  finishHeader(w, at, maxMessageSize(opts));
}
