import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compareCommunities, mergeCommunities } from './communities.js';

test('standard communities sort by their 32-bit value, not as text', () => {
  assert.deepEqual(mergeCommunities(['65535:1', '10:1', '9:2', '9:10']), ['9:2', '9:10', '10:1', '65535:1']);
});

test('large communities sort field by field', () => {
  assert.deepEqual(mergeCommunities(['2:1:1', '1:10:1', '1:9:5']), ['1:9:5', '1:10:1', '2:1:1']);
});

test('merge is a sorted union without duplicates', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.integer({ min: 0, max: 65535 }), fc.integer({ min: 0, max: 65535 }))),
      fc.array(fc.tuple(fc.integer({ min: 0, max: 65535 }), fc.integer({ min: 0, max: 65535 }))),
      (xs, ys) => {
        const a = xs.map(([x, y]) => `${x}:${y}`);
        const b = ys.map(([x, y]) => `${x}:${y}`);
        const merged = mergeCommunities(a, b);
        assert.deepEqual(new Set(merged), new Set([...a, ...b]));
        assert.equal(new Set(merged).size, merged.length);
        for (let i = 1; i < merged.length; i++) assert.ok(compareCommunities(merged[i - 1] ?? '', merged[i] ?? '') < 0);
        const value = (c: string): number => c.split(':').reduce((acc, p) => acc * 65536 + Number(p), 0);
        for (let i = 1; i < merged.length; i++) assert.ok(value(merged[i - 1] ?? '') < value(merged[i] ?? ''));
      },
    ),
  );
});
