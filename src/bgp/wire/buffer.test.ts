import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BufferReader } from './buffer-reader.js';
import { BufferWriter } from './buffer-writer.js';

test('BufferReader reads big-endian numbers and refuses to read past its end', () => {
  const r = new BufferReader(Uint8Array.of(1, 2, 3, 0xff, 0xff, 0xff, 0xff, 9), 1, 7);
  assert.equal(r.remaining, 6);
  assert.equal(r.u16(), 0x0203);
  assert.equal(r.u32(), 0xffffffff);
  assert.equal(r.remaining, 0);
  assert.throws(() => r.u8(), RangeError);
  const s = new BufferReader(Uint8Array.of(1, 2, 3, 4));
  const sub = s.sub(3);
  assert.equal(s.remaining, 1);
  assert.deepEqual([...sub.bytes(3)], [1, 2, 3]);
  assert.throws(() => sub.skip(1), RangeError);
  assert.throws(() => new BufferReader(new Uint8Array(2), 0, 3), RangeError);
  // bytes() is a view, copy() is not.
  const buf = Uint8Array.of(7, 8);
  const view = new BufferReader(buf).bytes(2);
  const copy = new BufferReader(buf).copy(2);
  buf[0] = 0;
  assert.equal(view[0], 0);
  assert.equal(copy[0], 7);
});

test('BufferWriter grows, checks value ranges and patches lengths', () => {
  const w = new BufferWriter(16);
  for (let i = 0; i < 100; i++) w.u32(0xdeadbeef);
  assert.equal(w.pos, 400);
  assert.ok(w.buf.length >= 400);
  assert.throws(() => w.u8(256), RangeError);
  assert.throws(() => w.u16(-1), RangeError);
  assert.throws(() => w.u32(2 ** 32), RangeError);
  assert.throws(() => w.u8(1.5), RangeError);
  const x = new BufferWriter();
  x.u16(0);
  x.bytes(Uint8Array.of(1, 2, 3));
  x.setU16(0, 3);
  x.removeByte(2);
  assert.deepEqual([...x.finish()], [0, 3, 2, 3]);
  assert.throws(() => x.setU16(3, 1), RangeError);
});
