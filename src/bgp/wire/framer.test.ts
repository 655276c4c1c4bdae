import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageFramer } from './framer.js';
import type { FrameResult } from './framer.js';
import { frame, toHex } from './test-helpers.js';

const stream = [frame(4, ''), frame(5, '0001 00 01'), frame(3, '06 02 00'), frame(2, '0000 0000'), frame(4, '')];
const all = new Uint8Array(stream.reduce((n, m) => n + m.length, 0));
{
  let at = 0;
  for (const m of stream) {
    all.set(m, at);
    at += m.length;
  }
}

function collect(chunks: Uint8Array[], framer = new MessageFramer()): FrameResult[] {
  const out: FrameResult[] = [];
  for (const c of chunks) out.push(...framer.pushAndCollect(c));
  return out;
}

function assertAllFramed(results: FrameResult[]): void {
  assert.equal(results.length, stream.length);
  results.forEach((r, i) => {
    assert.ok(r.ok);
    assert.equal(toHex(r.bytes), toHex(stream[i] as Uint8Array));
  });
}

test('frames many messages from one chunk', () => {
  assertAllFramed(collect([all]));
});

test('frames a stream split at every byte offset (RFC 4271 §4.1)', () => {
  for (let cut = 0; cut <= all.length; cut++) {
    assertAllFramed(collect([all.subarray(0, cut), all.subarray(cut)]));
  }
});

test('frames a stream split at every pair of offsets', () => {
  for (let a = 0; a <= all.length; a++) {
    for (let b = a; b <= all.length; b++) {
      assertAllFramed(collect([all.subarray(0, a), all.subarray(a, b), all.subarray(b)]));
    }
  }
});

test('frames a stream delivered byte by byte', () => {
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < all.length; i++) chunks.push(all.subarray(i, i + 1));
  assertAllFramed(collect(chunks));
});

test('a bad marker is Connection Not Synchronized (RFC 4271 §6.1) and the framer stays failed', () => {
  const bad = frame(4, '');
  bad[3] = 0;
  const framer = new MessageFramer();
  const r = collect([stream[0] as Uint8Array, bad], framer);
  assert.equal(r.length, 2);
  assert.ok(r[0]?.ok);
  const e = r[1];
  assert.ok(e && !e.ok);
  assert.equal(e.error.code, 1);
  assert.equal(e.error.subcode, 1);
  assert.equal(e.error.reason, 'BGP_ERR_CONNECTION_NOT_SYNCHRONIZED');
  const again = framer.pushAndCollect(frame(4, ''));
  assert.equal(again.length, 1);
  assert.equal(again[0]?.ok, false);
});

test('a length below 19 or above the maximum is Bad Message Length with the length as data (RFC 4271 §6.1, RFC 8654)', () => {
  for (const [length, extended] of [
    [18, false],
    [0, false],
    [4097, false],
    [65535, false],
  ] as const) {
    const m = frame(2, '');
    m[16] = length >>> 8;
    m[17] = length & 0xff;
    const r = new MessageFramer({ extendedMessage: extended }).pushAndCollect(m);
    const e = r[0];
    assert.ok(e && !e.ok, `length ${length}`);
    assert.equal(e.error.code, 1);
    assert.equal(e.error.subcode, 2);
    assert.deepEqual([...e.error.data], [length >>> 8, length & 0xff]);
  }
  // With extended messages negotiated, 4097..65535 frames.
  const big = frame(2, '0000 0000' + '00'.repeat(5000));
  const framer = new MessageFramer();
  framer.setExtendedMessage(true);
  const r = framer.pushAndCollect(big);
  assert.equal(r.length, 1);
  assert.ok(r[0]?.ok);
});

test('waits for the rest of a message and reports what is buffered', () => {
  const framer = new MessageFramer();
  assert.deepEqual(framer.pushAndCollect(all.subarray(0, 10)), []);
  assert.equal(framer.buffered, 10);
});
