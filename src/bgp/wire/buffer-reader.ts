/**
 * A bounds-checked cursor over a byte array, used by every decoder.
 *
 * Decoders check `remaining` before they read and turn a shortfall into a BgpError; a read past the
 * end therefore means a decoder bug and throws a RangeError (a programmer error, which the fuzz test
 * would find). Reads return numbers (no bigint) and `bytes()` returns a view, never a copy.
 */
export class BufferReader {
  /** The next byte to read. */
  pos: number;
  /** One past the last readable byte. */
  readonly end: number;

  constructor(
    readonly buf: Uint8Array,
    start = 0,
    end = buf.length,
  ) {
    if (start < 0 || end > buf.length || start > end) throw new RangeError('BufferReader: bad bounds');
    this.pos = start;
    this.end = end;
  }

  /** Bytes left before `end`. */
  get remaining(): number {
    return this.end - this.pos;
  }

  private need(n: number): void {
    if (this.pos + n > this.end) throw new RangeError(`BufferReader: read of ${n} past end`);
  }

  u8(): number {
    this.need(1);
    return this.buf[this.pos++] as number;
  }

  u16(): number {
    this.need(2);
    const b = this.buf;
    const p = this.pos;
    this.pos = p + 2;
    return ((b[p] as number) << 8) | (b[p + 1] as number);
  }

  u32(): number {
    this.need(4);
    const b = this.buf;
    const p = this.pos;
    this.pos = p + 4;
    return (b[p] as number) * 0x1000000 + (((b[p + 1] as number) << 16) | ((b[p + 2] as number) << 8) | (b[p + 3] as number));
  }

  /** A view of the next `n` bytes (not a copy). */
  bytes(n: number): Uint8Array {
    this.need(n);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  /** A copy of the next `n` bytes, for values kept in decoded messages. */
  copy(n: number): Uint8Array {
    this.need(n);
    const v = this.buf.slice(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  skip(n: number): void {
    this.need(n);
    this.pos += n;
  }

  /** A reader over the next `n` bytes; this reader moves past them. */
  sub(n: number): BufferReader {
    this.need(n);
    const r = new BufferReader(this.buf, this.pos, this.pos + n);
    this.pos += n;
    return r;
  }
}
