// The BFD control packet codec: hand-written hex fixtures, the RFC 5880 §6.8.6 discard rules, and
// properties (round trip; random bytes never throw).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeControlPacket, encodeControlPacket, type BfdControlPacket, type BfdDecodeResult } from './packet.js';

function hex(s: string): Uint8Array {
  return Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
}

function reasonOf(r: BfdDecodeResult): string {
  return r.ok ? 'ok' : r.error.reason;
}

// Version 1, diag 0, state Down, detect mult 3, length 24, my disc 1, your disc 0,
// tx 300 ms, rx 300 ms, echo 50 ms (the values FRR 8.4 bfdd sends for a 300 ms x 3 profile).
const DOWN_FIXTURE = '20 40 03 18 00000001 00000000 000493e0 000493e0 0000c350';
// Version 1, diag 3 (neighbor down), state Up with P and C, detect mult 5, my 0x0a0b0c0d, your 7.
const UP_POLL_FIXTURE = '23 e8 05 18 0a0b0c0d 00000007 000f4240 000186a0 00000000';

test('decodes a Down packet fixture', () => {
  const r = decodeControlPacket(hex(DOWN_FIXTURE));
  assert.ok(r.ok);
  assert.deepEqual(r.packet, {
    version: 1, diag: 0, state: 'Down', poll: false, final: false, controlPlaneIndependent: false, authPresent: false,
    demand: false, multipoint: false, detectMult: 3, myDiscriminator: 1, yourDiscriminator: 0,
    desiredMinTxUs: 300_000, requiredMinRxUs: 300_000, requiredMinEchoRxUs: 50_000,
  });
});

test('decodes an Up packet with Poll and C bits, and encodes both fixtures back to the same bytes', () => {
  const r = decodeControlPacket(hex(UP_POLL_FIXTURE));
  assert.ok(r.ok);
  assert.equal(r.packet.state, 'Up');
  assert.equal(r.packet.diag, 3);
  assert.equal(r.packet.poll, true);
  assert.equal(r.packet.final, false);
  assert.equal(r.packet.controlPlaneIndependent, true);
  assert.equal(r.packet.myDiscriminator, 0x0a0b0c0d);
  assert.equal(r.packet.desiredMinTxUs, 1_000_000);
  assert.equal(r.packet.requiredMinRxUs, 100_000);
  assert.deepEqual(encodeControlPacket(r.packet), hex(UP_POLL_FIXTURE));
  const d = decodeControlPacket(hex(DOWN_FIXTURE));
  assert.ok(d.ok);
  assert.deepEqual(encodeControlPacket(d.packet), hex(DOWN_FIXTURE));
});

test('accepts a payload longer than the length field (trailing bytes ignored)', () => {
  assert.equal(reasonOf(decodeControlPacket(hex(DOWN_FIXTURE + '0000'))), 'ok');
});

test('malformed packets are discarded with their RFC 5880 §6.8.6 reason', () => {
  const cases: [string, string][] = [
    ['', 'BFD_ERR_SHORT'],
    [DOWN_FIXTURE.slice(0, -2), 'BFD_ERR_SHORT'],
    ['40 40 03 18 00000001 00000000 000493e0 000493e0 0000c350', 'BFD_ERR_VERSION'], // version 2
    ['00 40 03 18 00000001 00000000 000493e0 000493e0 0000c350', 'BFD_ERR_VERSION'], // version 0
    ['20 40 03 17 00000001 00000000 000493e0 000493e0 0000c350', 'BFD_ERR_LENGTH'], // length 23
    ['20 40 03 1a 00000001 00000000 000493e0 000493e0 0000c350', 'BFD_ERR_LENGTH'], // length 26 > 24 bytes
    ['20 44 03 18 00000001 00000000 000493e0 000493e0 0000c350 0105', 'BFD_ERR_LENGTH'], // A bit, length 24 < 26
    ['20 40 00 18 00000001 00000000 000493e0 000493e0 0000c350', 'BFD_ERR_DETECT_MULT_ZERO'],
    ['20 41 03 18 00000001 00000000 000493e0 000493e0 0000c350', 'BFD_ERR_MULTIPOINT'],
    ['20 40 03 18 00000000 00000000 000493e0 000493e0 0000c350', 'BFD_ERR_MY_DISCRIMINATOR_ZERO'],
    ['20 c0 03 18 00000001 00000000 000493e0 000493e0 0000c350', 'BFD_ERR_YOUR_DISCRIMINATOR_ZERO'], // Up
    ['20 80 03 18 00000001 00000000 000493e0 000493e0 0000c350', 'BFD_ERR_YOUR_DISCRIMINATOR_ZERO'], // Init
    ['20 44 03 1d 00000001 00000000 000493e0 000493e0 0000c350 01 05 01 6162 63', 'BFD_ERR_AUTH_UNSUPPORTED'], // simple password
  ];
  for (const [bytes, reason] of cases) assert.equal(reasonOf(decodeControlPacket(hex(bytes))), reason, bytes);
  // Your Discriminator zero is allowed in Down and AdminDown.
  assert.equal(reasonOf(decodeControlPacket(hex('20 00 03 18 00000001 00000000 000493e0 000493e0 0000c350'))), 'ok');
});

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const packet: fc.Arbitrary<BfdControlPacket> = fc.record({
  version: fc.constant(1),
  diag: fc.integer({ min: 0, max: 31 }),
  state: fc.constantFrom('AdminDown' as const, 'Down' as const, 'Init' as const, 'Up' as const),
  poll: fc.boolean(),
  final: fc.boolean(),
  controlPlaneIndependent: fc.boolean(),
  authPresent: fc.constant(false),
  demand: fc.boolean(),
  multipoint: fc.constant(false),
  detectMult: fc.integer({ min: 1, max: 255 }),
  myDiscriminator: fc.integer({ min: 1, max: 0xffffffff }),
  yourDiscriminator: fc.integer({ min: 1, max: 0xffffffff }),
  desiredMinTxUs: u32,
  requiredMinRxUs: u32,
  requiredMinEchoRxUs: u32,
});

test('property: decode(encode(p)) = p', () => {
  fc.assert(fc.property(packet, (p) => {
    const r = decodeControlPacket(encodeControlPacket(p));
    assert.ok(r.ok);
    assert.deepEqual(r.packet, { ...p });
  }));
});

test('property: random bytes never throw', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
    decodeControlPacket(b);
  }), { numRuns: 2000 });
});
