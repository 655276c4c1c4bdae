import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  lowerBound,
  lowestAbsent,
  newRunSet,
  runSetAdd,
  runSetDelete,
  runSetHas,
  runSetSize,
  sortedInsert,
  sortedRemove,
} from './run-set.js';

test('run set merges neighbours and splits on delete', () => {
  const s = newRunSet();
  assert.equal(runSetAdd(s, 5n), true);
  assert.equal(runSetAdd(s, 7n), true);
  assert.deepEqual(s, { starts: [5n, 7n], ends: [5n, 7n] });
  assert.equal(runSetAdd(s, 6n), true);
  assert.deepEqual(s, { starts: [5n], ends: [7n] });
  assert.equal(runSetAdd(s, 6n), false);
  assert.equal(runSetDelete(s, 6n), true);
  assert.deepEqual(s, { starts: [5n, 7n], ends: [5n, 7n] });
  assert.equal(runSetDelete(s, 6n), false);
  assert.equal(runSetDelete(s, 5n), true);
  assert.equal(runSetDelete(s, 7n), true);
  assert.deepEqual(s, { starts: [], ends: [] });
});

test('lowestAbsent skips the run that holds the start', () => {
  const s = newRunSet();
  for (const x of [0n, 1n, 2n, 4n]) runSetAdd(s, x);
  assert.equal(lowestAbsent(s, 0n, 10n), 3n);
  assert.equal(lowestAbsent(s, 4n, 10n), 5n);
  assert.equal(lowestAbsent(s, 3n, 10n), 3n);
  assert.equal(lowestAbsent(s, 0n, 2n), undefined);
  assert.equal(lowestAbsent(s, 5n, 4n), undefined);
});

test('values of 128 bits work (IPv6 /64 offsets)', () => {
  const s = newRunSet();
  const base = 0xfd00n << 112n;
  runSetAdd(s, base);
  runSetAdd(s, base + (1n << 63n));
  assert.equal(lowestAbsent(s, base, base + (1n << 64n) - 1n), base + 1n);
  assert.equal(runSetHas(s, base + (1n << 63n)), true);
});

test('run set matches a plain set (property)', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 40 })), { maxLength: 200 }), (ops) => {
      const s = newRunSet();
      const model = new Set<number>();
      for (const [add, x] of ops) {
        const changed = add ? runSetAdd(s, BigInt(x)) : runSetDelete(s, BigInt(x));
        assert.equal(changed, add ? !model.has(x) : model.has(x));
        if (add) model.add(x);
        else model.delete(x);
      }
      assert.equal(runSetSize(s), BigInt(model.size));
      for (let i = 0; i < s.starts.length; i++) {
        assert.ok((s.starts[i] as bigint) <= (s.ends[i] as bigint));
        if (i > 0) assert.ok((s.ends[i - 1] as bigint) + 1n < (s.starts[i] as bigint), 'runs are maximal');
      }
      for (let lo = 0; lo <= 41; lo += 3) {
        let want: number | undefined;
        for (let x = lo; x <= 41; x++) {
          if (!model.has(x)) {
            want = x;
            break;
          }
        }
        assert.equal(lowestAbsent(s, BigInt(lo), 41n), want === undefined ? undefined : BigInt(want));
      }
    }),
  );
});

test('sorted arrays insert, remove and search', () => {
  const a: bigint[] = [];
  for (const x of [5n, 1n, 3n, 3n]) sortedInsert(a, x);
  assert.deepEqual(a, [1n, 3n, 5n]);
  assert.equal(lowerBound(a, 4n), 2);
  assert.equal(sortedRemove(a, 3n), true);
  assert.equal(sortedRemove(a, 3n), false);
  assert.deepEqual(a, [1n, 5n]);
});
