import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatIpValue, parseIp } from '../model/ip.js';
import { buildPool, isBuggy } from './pools.js';
import { addressAt, probeIndexOf, probeSequence, probeSpace } from './probe.js';
import { pool } from './test-helpers.js';

/** Every address of the space, in probe order, for `identity`. */
function walk(identity: string, space: NonNullable<ReturnType<typeof probeSpace>>): bigint[] {
  const seq = probeSequence(identity, space);
  const out: bigint[] = [];
  let off = seq.home;
  for (let i = 0n; i < space.size; i++) {
    if (i > 0n) off = (off + seq.step()) % space.size;
    out.push(addressAt(space, off));
  }
  return out;
}

test('a probe sequence visits every address of the pool once (ranges in order, buggy addresses skipped)', () => {
  const p = buildPool(pool('p', ['10.0.0.250-10.0.1.5', '10.9.0.0/29', '10.0.3.5/32'], { avoidBuggyIPs: true }));
  const space = probeSpace(p, 'ipv4');
  assert.ok(space);
  // 10.0.0.250-254 and 10.0.1.1-5 (10), 10.9.0.1-7 (7), 10.0.3.5: 18 addresses.
  assert.equal(space.size, 18n);
  for (const id of ['a/x', 'b/y', 'share\u0000k\u0000', 'z/zzzzzzzz']) {
    const seen = walk(id, space);
    assert.equal(new Set(seen).size, 18, id);
    for (const v of seen) assert.ok(!isBuggy('ipv4', v), `${formatIpValue('ipv4', v)} is buggy`);
  }
  assert.equal(probeSpace(p, 'ipv6'), undefined);
});

test('sizes that are powers of two, primes and 1 are all covered', () => {
  for (const [cidr, size] of [['10.0.0.0/28', 16], ['10.0.0.0-10.0.0.12', 13], ['10.0.0.7/32', 1], ['fd00::/126', 4]] as const) {
    const p = buildPool(pool('p', [cidr]));
    const space = probeSpace(p, cidr.includes(':') ? 'ipv6' : 'ipv4');
    assert.ok(space);
    assert.equal(space.size, BigInt(size));
    assert.equal(new Set(walk('ns/svc', space)).size, size, cidr);
  }
});

test('first choices spread over a huge pool and cost no scan (/8 with avoidBuggyIPs, /64)', () => {
  const v4 = probeSpace(buildPool(pool('big4', ['10.0.0.0/8'], { avoidBuggyIPs: true })), 'ipv4');
  const v6 = probeSpace(buildPool(pool('big6', ['fd00::/64'])), 'ipv6');
  assert.ok(v4 && v6);
  assert.equal(v6.size, 1n << 64n);
  const first4 = parseIp('10.0.0.0')?.value as bigint;
  const first6 = parseIp('fd00::')?.value as bigint;
  let high6 = 0;
  for (let i = 0; i < 200; i++) {
    const s4 = probeSequence(`ns/svc-${i}`, v4);
    const a4 = addressAt(v4, s4.home);
    assert.ok(a4 >= first4 && a4 < first4 + (1n << 24n) && !isBuggy('ipv4', a4));
    const s6 = probeSequence(`ns/svc-${i}`, v6);
    const a6 = addressAt(v6, s6.home);
    assert.ok(a6 >= first6 && a6 < first6 + (1n << 64n));
    if (a6 - first6 >= 1n << 63n) high6++;
    // A later probe is one step away, whatever the pool size.
    assert.equal(s6.step() % 2n, 1n);
  }
  // The hash uses all 64 bits of the /64: about half the first choices lie in its upper half.
  assert.ok(high6 > 60 && high6 < 140, `${high6} of 200 in the upper half`);
});

test('one identity, one sequence; the pool and the family are hashed in', () => {
  const a = probeSpace(buildPool(pool('a', ['10.0.0.0/16'])), 'ipv4');
  const b = probeSpace(buildPool(pool('b', ['10.0.0.0/16'])), 'ipv4');
  assert.ok(a && b);
  assert.equal(probeSequence('ns/x', a).home, probeSequence('ns/x', a).home);
  let same = 0;
  for (let i = 0; i < 50; i++) if (probeSequence(`ns/x${i}`, a).home === probeSequence(`ns/x${i}`, b).home) same++;
  assert.ok(same < 3, `${same} of 50 identical homes in two pools`);
});

test('probeIndexOf inverts the sequence: the i-th address is at index i', () => {
  for (const [cidrs, avoid] of [[['10.0.0.250-10.0.1.5', '10.9.0.0/29'], true], [['10.0.0.0/26'], false], [['fd00::/120', 'fd00:1::/125'], false]] as const) {
    const p = buildPool(pool('p', [...cidrs], { avoidBuggyIPs: avoid }));
    const space = probeSpace(p, cidrs[0].includes(':') ? 'ipv6' : 'ipv4');
    assert.ok(space);
    for (const id of ['a/x', 'b/y', 'c/z']) {
      const seq = probeSequence(id, space);
      walk(id, space).forEach((v, i) => assert.equal(probeIndexOf(seq, v), BigInt(i), `${id} ${formatIpValue(space.family, v)}`));
      assert.equal(probeIndexOf(seq, (parseIp('192.0.2.1') as { value: bigint }).value), undefined);
    }
  }
  const big = probeSpace(buildPool(pool('big', ['fd00::/64'])), 'ipv6');
  assert.ok(big);
  const seq = probeSequence('ns/x', big);
  const third = (seq.home + 3n * seq.step()) % big.size;
  assert.equal(probeIndexOf(seq, addressAt(big, third)), 3n);
});
