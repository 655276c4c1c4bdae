// The one community parser: RFC 1997 `a:b`, RFC 8092 `a:b:c` and MetalLB's `large:a:b:c`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatCommunityValue, formatLargeCommunity, parseCommunity, parseCommunityText, parseLargeCommunity } from './community-text.js';

test('a:b is a standard community: two uint16 halves', () => {
  assert.equal(parseCommunity('65535:65281'), 0xffffff01);
  assert.equal(parseCommunity('0:0'), 0);
  // Leading zeros are digits (Go's strconv.ParseUint, which MetalLB uses).
  assert.equal(parseCommunity('01:2'), 0x10002);
  for (const bad of ['65536:1', '1:65536', '1', '1:2:3', 'a:b', '', ':1', '1:', '-1:2', '1:2 ', '0x1:2']) assert.equal(parseCommunity(bad), undefined, bad);
});

test('a:b:c and large:a:b:c are large communities: three uint32', () => {
  assert.deepEqual(parseLargeCommunity('4294967295:0:7'), { globalAdmin: 4294967295, localData1: 0, localData2: 7 });
  assert.deepEqual(parseLargeCommunity('large:1:02:3'), { globalAdmin: 1, localData1: 2, localData2: 3 });
  for (const bad of ['4294967296:0:0', '1:2', '1:2:3:4', 'large:1:2', 'big:1:2:3', '1::3']) assert.equal(parseLargeCommunity(bad), undefined, bad);
});

test('reasons: invalidValue for a community shape with a bad part, notACommunity otherwise', () => {
  assert.deepEqual(parseCommunityText('1:70000'), { ok: false, reason: 'invalidValue' });
  assert.deepEqual(parseCommunityText('big:1:2:3'), { ok: false, reason: 'invalidValue' });
  assert.deepEqual(parseCommunityText('large:1:2:x'), { ok: false, reason: 'invalidValue' });
  assert.deepEqual(parseCommunityText('1:2:x'), { ok: false, reason: 'invalidValue' });
  assert.deepEqual(parseCommunityText('no-export'), { ok: false, reason: 'notACommunity' });
  assert.deepEqual(parseCommunityText('1:2:3:4:5'), { ok: false, reason: 'notACommunity' });
});

test('MetalLB grammar: with largeNeedsMarker, a:b:c is not a community and large:a:b:c is', () => {
  assert.deepEqual(parseCommunityText('1:2:3', { largeNeedsMarker: true }), { ok: false, reason: 'notACommunity' });
  assert.deepEqual(parseCommunityText('large:1:2:3', { largeNeedsMarker: true }), {
    ok: true,
    community: { kind: 'large', value: { globalAdmin: 1, localData1: 2, localData2: 3 }, marked: true },
  });
  assert.deepEqual(parseCommunityText('1:2', { largeNeedsMarker: true }), { ok: true, community: { kind: 'standard', value: 0x10002 } });
});

test('format then parse is the identity', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 0xffffffff }), (v) => parseCommunity(formatCommunityValue(v)) === v),
  );
  fc.assert(
    fc.property(fc.tuple(fc.nat(), fc.nat(), fc.nat()).map(([a, b, c]) => ({ globalAdmin: a, localData1: b, localData2: c })), (l) => {
      assert.deepEqual(parseLargeCommunity(formatLargeCommunity(l)), l);
      assert.deepEqual(parseLargeCommunity(`large:${formatLargeCommunity(l)}`), l);
    }),
  );
});
