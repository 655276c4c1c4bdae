/**
 * Collects complete BGP messages from a byte stream (RFC 4271 §4.1): any number of messages per chunk
 * and messages split across chunks. The header of each message is checked as soon as its 19 octets
 * are in; a bad marker or length (RFC 4271 §6.1, RFC 8654 for the maximum) yields an error outcome,
 * after which the framer stays failed (the session must close). Nothing here throws on peer bytes.
 */
import { MESSAGE_SIZE } from './codes.js';
import { decodeHeader, maxMessageSize } from './header.js';
import type { BgpError } from './types.js';

/** One framed message (a copy, header included) or the header error that stopped the stream. */
export type FrameResult = { readonly ok: true; readonly bytes: Uint8Array } | { readonly ok: false; readonly error: BgpError };

export class MessageFramer {
  private buf: Uint8Array;
  private start = 0;
  private end = 0;
  private maxLength: number;
  private failed: BgpError | undefined;

  /** `extendedMessage` raises the maximum from 4096 to 65535 (RFC 8654), e.g. once negotiated. */
  constructor(opts: { readonly extendedMessage?: boolean } = {}) {
    this.maxLength = maxMessageSize({ extendedMessage: opts.extendedMessage ?? false });
    this.buf = new Uint8Array(8192);
  }

  /** Changes the maximum message size for messages not yet framed (RFC 8654 §3). */
  setExtendedMessage(on: boolean): void {
    this.maxLength = maxMessageSize({ extendedMessage: on });
  }

  /** Octets received but not yet framed. */
  get buffered(): number {
    return this.end - this.start;
  }

  /** Appends received bytes. */
  push(chunk: Uint8Array): void {
    if (this.failed || chunk.length === 0) return;
    if (this.start === this.end) {
      this.start = 0;
      this.end = 0;
    }
    if (this.end + chunk.length > this.buf.length) {
      const live = this.end - this.start;
      if (live + chunk.length <= this.buf.length) {
        this.buf.copyWithin(0, this.start, this.end);
      } else {
        let size = this.buf.length * 2;
        while (size < live + chunk.length) size *= 2;
        const next = new Uint8Array(size);
        next.set(this.buf.subarray(this.start, this.end));
        this.buf = next;
      }
      this.start = 0;
      this.end = live;
    }
    this.buf.set(chunk, this.end);
    this.end += chunk.length;
  }

  /** The next complete message, an error, or undefined when more bytes are needed. */
  next(): FrameResult | undefined {
    if (this.failed) return { ok: false, error: this.failed };
    if (this.end - this.start < MESSAGE_SIZE.HEADER) return undefined;
    const h = decodeHeader(this.buf, this.start, this.maxLength);
    if (!h.ok) {
      this.failed = h.error;
      return h;
    }
    if (this.end - this.start < h.length) return undefined;
    const bytes = this.buf.slice(this.start, this.start + h.length);
    this.start += h.length;
    return { ok: true, bytes };
  }

  /** Appends `chunk` and returns every result now available (an error is always the last one). */
  pushAndCollect(chunk: Uint8Array): FrameResult[] {
    this.push(chunk);
    const out: FrameResult[] = [];
    for (;;) {
      const r = this.next();
      if (!r) break;
      out.push(r);
      if (!r.ok) break;
    }
    return out;
  }
}
