import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { addressOfKey, buildPool, comparePinned, countBuggy, isBuggy, keyOfAddress, poolAdmits, poolHolds } from './pools.js';
import { pool } from './test-helpers.js';

test('buggy addresses are IPv4 ending in .0 or .255', () => {
  assert.equal(isBuggy('ipv4', 0x0a000000n), true);
  assert.equal(isBuggy('ipv4', 0x0a0000ffn), true);
  assert.equal(isBuggy('ipv4', 0x0a000001n), false);
  assert.equal(isBuggy('ipv6', 0n), false);
});

test('countBuggy counts .0 and .255 in any span', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 0, max: 1200 }), (a, n) => {
      let want = 0n;
      for (let x = a; x <= a + n; x++) if (x % 256 === 0 || x % 256 === 255) want++;
      assert.equal(countBuggy(BigInt(a), BigInt(a + n)), want);
    }),
  );
});

test('ordinal keys skip buggy addresses and keep order (avoidBuggyIPs)', () => {
  const p = buildPool(pool('p', ['10.0.0.0/22'], { avoidBuggyIPs: true }));
  let prev = -1n;
  for (let v = 0x0a000000n; v < 0x0a000400n; v++) {
    if (isBuggy('ipv4', v)) continue;
    const k = keyOfAddress(p, 'ipv4', v);
    assert.equal(k, prev + 1n === 0n ? k : prev + 1n, 'consecutive');
    assert.equal(addressOfKey(p, 'ipv4', k), v);
    prev = k;
  }
  assert.equal(p.total.ipv4, 1024n - 8n);
  assert.equal(poolHolds(p, 'ipv4', 0x0a000100n), false);
  assert.equal(poolHolds(p, 'ipv4', 0x0a000101n), true);
});

test('pool totals per family; an all-buggy range is empty', () => {
  const p = buildPool(pool('p', ['10.0.0.0/32', 'fd00::/64', '10.0.1.0-10.0.1.9'], { avoidBuggyIPs: true }));
  assert.equal(p.total.ipv4, 9n);
  assert.equal(p.total.ipv6, 1n << 64n);
  assert.equal(p.segments[0]?.lo, 1n);
  assert.equal(p.segments[0]?.hi, 0n);
});

test('serviceAllocation admission: namespaces, namespace selectors, service selectors', () => {
  const ns = { blue: { team: 'blue' }, red: { team: 'red' } };
  const byNs = buildPool(pool('a', ['10.0.0.0/30'], { serviceAllocation: { namespaces: ['apps'], namespaceSelectors: [{ matchLabels: { team: 'blue' } }] } }));
  assert.equal(poolAdmits(byNs, 'apps', undefined, ns), true);
  assert.equal(poolAdmits(byNs, 'blue', undefined, ns), true);
  assert.equal(poolAdmits(byNs, 'red', undefined, ns), false);
  const bySvc = buildPool(pool('b', ['10.0.0.0/30'], { serviceAllocation: { namespaces: ['apps'], serviceSelectors: [{ matchLabels: { app: 'db' } }] } }));
  assert.equal(poolAdmits(bySvc, 'apps', { app: 'db' }, ns), true);
  assert.equal(poolAdmits(bySvc, 'apps', { app: 'web' }, ns), false);
  assert.equal(poolAdmits(bySvc, 'other', { app: 'db' }, ns), false);
  const all = buildPool(pool('c', ['10.0.0.0/30'], { serviceAllocation: { priority: 3 } }));
  assert.equal(poolAdmits(all, 'anything', undefined, ns), true);
});

test('pinned pool order: priority ascending, 0 last, then name', () => {
  const mk = (name: string, priority: number) => buildPool(pool(name, ['10.0.0.0/32'], { serviceAllocation: { priority } }));
  const sorted = [mk('z0', 0), mk('b2', 2), mk('a0', 0), mk('c1', 1), mk('a2', 2)].sort(comparePinned).map((p) => p.name);
  assert.deepEqual(sorted, ['c1', 'a2', 'b2', 'a0', 'z0']);
});
