import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  canonicalIp,
  formatIpValue,
  formatPrefix,
  parseCidr,
  parseIp,
  prefixesOverlap,
  summarizeRange,
} from './ip.js';

test('parses and formats IPv4', () => {
  assert.equal(canonicalIp('10.10.10.12'), '10.10.10.12');
  assert.equal(parseIp('10.10.10.12')?.value, 0x0a0a0a0cn);
  for (const bad of ['10.10.10', '10.10.10.256', '010.1.1.1', '1.2.3.4.5', '', 'a.b.c.d', '1..2.3']) {
    assert.equal(parseIp(bad), undefined, bad);
  }
});

test('parses and formats IPv6 canonically (RFC 5952)', () => {
  const cases: [string, string][] = [
    ['2001:db8::1', '2001:db8::1'],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['::', '::'],
    ['::1', '::1'],
    ['fe80::', 'fe80::'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['::ffff:10.1.2.3', '::ffff:10.1.2.3'],
    ['64:ff9b::192.0.2.1', '64:ff9b::c000:201'],
    ['1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5:6:102:304'],
  ];
  for (const [input, want] of cases) assert.equal(canonicalIp(input), want, input);
  for (const bad of ['1::2::3', '1:2:3:4:5:6:7:8:9', '12345::', 'fe80::1%eth0', ':::', '1:2:3:4:5:6:7']) {
    assert.equal(parseIp(bad), undefined, bad);
  }
});

test('format then parse is the identity for any address', () => {
  fc.assert(
    fc.property(fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }), (v) => {
      assert.equal(parseIp(formatIpValue('ipv6', v))?.value, v);
    }),
  );
  fc.assert(
    fc.property(fc.bigInt({ min: 0n, max: (1n << 32n) - 1n }), (v) => {
      assert.equal(parseIp(formatIpValue('ipv4', v))?.value, v);
    }),
  );
});

test('CIDRs: parse, strict host bits, overlap', () => {
  assert.equal(formatPrefix(parseCidr('10.10.10.0/24')!), '10.10.10.0/24');
  assert.equal(formatPrefix(parseCidr('10.10.10.5/24')!), '10.10.10.0/24');
  assert.equal(parseCidr('10.10.10.5/24', true), undefined);
  assert.equal(parseCidr('10.10.10.0/33'), undefined);
  assert.equal(parseCidr('2001:db8::/129'), undefined);
  assert.equal(parseCidr('10.0.0.0'), undefined);
  assert.ok(prefixesOverlap(parseCidr('10.0.0.0/8')!, parseCidr('10.1.0.0/16')!));
  assert.ok(!prefixesOverlap(parseCidr('10.0.0.0/16')!, parseCidr('10.1.0.0/16')!));
  assert.ok(!prefixesOverlap(parseCidr('10.0.0.0/8')!, parseCidr('::/0')!));
});

test('summarizeRange covers the seed range exactly, as ipaddr.Summarize does', () => {
  const first = parseIp('10.10.10.10')!.value;
  const last = parseIp('10.10.10.98')!.value;
  assert.deepEqual(summarizeRange('ipv4', first, last).map(formatPrefix), [
    '10.10.10.10/31',
    '10.10.10.12/30',
    '10.10.10.16/28',
    '10.10.10.32/27',
    '10.10.10.64/27',
    '10.10.10.96/31',
    '10.10.10.98/32',
  ]);
  fc.assert(
    fc.property(fc.bigInt({ min: 0n, max: (1n << 32n) - 1n }), fc.bigInt({ min: 0n, max: 5000n }), (a, d) => {
      const b = a + d > (1n << 32n) - 1n ? (1n << 32n) - 1n : a + d;
      const cidrs = summarizeRange('ipv4', a, b);
      let next = a;
      for (const c of cidrs) {
        assert.equal(c.value, next);
        next = c.value + (1n << BigInt(32 - c.length));
      }
      assert.equal(next, b + 1n);
    }),
  );
});
