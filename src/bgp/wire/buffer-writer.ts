/**
 * A growable byte buffer used by every encoder. Writes are bounds-checked against the value range
 * (a value that does not fit is a programmer error and throws a RangeError) and the buffer doubles
 * when it runs out of room, so encoders never precompute sizes.
 */
export class BufferWriter {
  buf: Uint8Array;
  /** The next byte to write, which is also the number of bytes written. */
  pos = 0;

  constructor(initialSize = 256) {
    this.buf = new Uint8Array(Math.max(16, initialSize));
  }

  /** Makes room for `n` more bytes. */
  ensure(n: number): void {
    const need = this.pos + n;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  u8(v: number): void {
    if (!Number.isInteger(v) || v < 0 || v > 0xff) throw new RangeError(`BufferWriter: ${v} is not an octet`);
    this.ensure(1);
    this.buf[this.pos++] = v;
  }

  u16(v: number): void {
    if (!Number.isInteger(v) || v < 0 || v > 0xffff) throw new RangeError(`BufferWriter: ${v} is not a 16-bit value`);
    this.ensure(2);
    const b = this.buf;
    b[this.pos] = v >>> 8;
    b[this.pos + 1] = v & 0xff;
    this.pos += 2;
  }

  u32(v: number): void {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError(`BufferWriter: ${v} is not a 32-bit value`);
    this.ensure(4);
    const b = this.buf;
    const p = this.pos;
    b[p] = v >>> 24;
    b[p + 1] = (v >>> 16) & 0xff;
    b[p + 2] = (v >>> 8) & 0xff;
    b[p + 3] = v & 0xff;
    this.pos = p + 4;
  }

  bytes(v: Uint8Array): void {
    this.ensure(v.length);
    this.buf.set(v, this.pos);
    this.pos += v.length;
  }

  /** Writes a 16-bit value at an earlier offset (a length filled in after its body). */
  setU16(at: number, v: number): void {
    if (!Number.isInteger(v) || v < 0 || v > 0xffff) throw new RangeError(`BufferWriter: ${v} is not a 16-bit value`);
    if (at < 0 || at + 2 > this.pos) throw new RangeError('BufferWriter: setU16 outside written bytes');
    this.buf[at] = v >>> 8;
    this.buf[at + 1] = v & 0xff;
  }

  /** Writes an octet at an earlier offset. */
  setU8(at: number, v: number): void {
    if (!Number.isInteger(v) || v < 0 || v > 0xff) throw new RangeError(`BufferWriter: ${v} is not an octet`);
    if (at < 0 || at + 1 > this.pos) throw new RangeError('BufferWriter: setU8 outside written bytes');
    this.buf[at] = v;
  }

  /** Removes the byte at `at`, moving everything after it one to the left. */
  removeByte(at: number): void {
    if (at < 0 || at >= this.pos) throw new RangeError('BufferWriter: removeByte outside written bytes');
    this.buf.copyWithin(at, at + 1, this.pos);
    this.pos -= 1;
  }

  /** A copy of the written bytes. */
  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}
