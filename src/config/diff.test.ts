import { test } from 'node:test';
import assert from 'node:assert/strict';
import { diffConfig, sameValue } from './diff.js';
import type { Config } from './types.js';
import { adv, build, configMap, peer, pool } from './test-helpers.js';
import type { Obj } from './test-helpers.js';

function cfg(objects: Obj[]): Config {
  const r = build(objects);
  assert.ok(r.ok, JSON.stringify(r.ok ? [] : r.errors));
  return r.config;
}

test('identical configurations: empty diff, everything unchanged', () => {
  const a = cfg([peer('p1'), pool('a'), adv('x')]);
  const d = diffConfig(a, cfg([peer('p1'), pool('a'), adv('x')]));
  assert.equal(d.empty, true);
  assert.deepEqual(d.peers.unchanged, ['p1']);
  assert.deepEqual(d.pools.unchanged, ['a']);
});

test('peers added, removed, changed with and without session reset', () => {
  const old = cfg([peer('p1'), peer('p2', { peerAddress: '10.0.0.2' }), peer('p3', { peerAddress: '10.0.0.3' }), pool('a'), adv('x')]);
  const next = cfg([
    peer('p1', { holdTime: '30s' }), // hold time is in the OPEN: reset
    peer('p2', { peerAddress: '10.0.0.2', nodeSelectors: [{ matchLabels: { a: 'b' } }], connectTime: '5s' }), // no reset
    peer('p4', { peerAddress: '10.0.0.4' }),
    pool('a'),
    adv('x'),
  ]);
  const d = diffConfig(old, next);
  assert.deepEqual(d.peers.added.map((p) => p.name), ['p4']);
  assert.deepEqual(d.peers.removed.map((p) => p.name), ['p3']);
  assert.deepEqual(
    d.peers.changed.map((c) => [c.name, [...c.fields].sort(), c.resetSession]),
    [
      ['p1', ['holdTime', 'keepaliveTime'], true],
      ['p2', ['connectTime', 'nodeSelectors'], false],
    ],
  );
  assert.equal(d.empty, false);
});

test('each session field forces a reset', () => {
  const base = cfg([peer('p1'), pool('a'), adv('x')]);
  const cases: [Obj, string][] = [
    [{ peerAddress: '10.0.0.9' }, 'peerAddress'],
    [{ peerPort: 1179 }, 'peerPort'],
    [{ myASN: 65000 }, 'myAsn'],
    [{ peerASN: 65001 }, 'peerAsn'],
    [{ password: 'secret' }, 'password'],
    [{ routerID: '1.1.1.1' }, 'routerId'],
    [{ sourceAddress: '10.0.0.100' }, 'sourceAddress'],
    [{ ebgpMultiHop: true }, 'ebgpMultiHop'],
    [{ enableGracefulRestart: true }, 'enableGracefulRestart'],
  ];
  for (const [spec, field] of cases) {
    const d = diffConfig(base, cfg([peer('p1', spec), pool('a'), adv('x')]));
    assert.equal(d.peers.changed.length, 1, field);
    assert.ok(d.peers.changed[0]?.fields.includes(field as never), field);
    assert.equal(d.peers.changed[0]?.resetSession, true, field);
  }
});

test('a renumbered legacy peer is a rename without reset', () => {
  const text = (peers: string[]): Obj[] => [configMap(`peers:\n${peers.join('')}address-pools:\n- {name: a, protocol: bgp, addresses: [10.1.0.0/24]}\n`)];
  const p = (addr: string): string => `- {peer-address: ${addr}, peer-asn: 65001, my-asn: 65000}\n`;
  const d = diffConfig(cfg(text([p('10.0.0.1'), p('10.0.0.2')])), cfg(text([p('10.0.0.2')])));
  assert.deepEqual(d.peers.removed.map((x) => x.peerAddress), ['10.0.0.1']);
  assert.deepEqual(d.peers.changed.map((c) => [c.old.name, c.new.name, c.fields, c.resetSession]), [['peer2', 'peer1', ['name'], false]]);
});

test('pools and advertisements changes', () => {
  const old = cfg([peer('p1'), pool('a'), pool('b', { addresses: ['10.2.0.0/24'] }), adv('x'), adv('y', { localPref: 0, communities: ['1:1'] })]);
  const next = cfg([peer('p1'), pool('a', { autoAssign: false }), pool('c', { addresses: ['10.3.0.0/24'] }), adv('x'), adv('y', { communities: ['1:2'] })]);
  const d = diffConfig(old, next);
  assert.deepEqual(d.pools.changed.map((c) => c.new.name), ['a']);
  assert.deepEqual(d.pools.added.map((p) => p.name), ['c']);
  assert.deepEqual(d.pools.removed.map((p) => p.name), ['b']);
  // x applies to all pools, so its resolved pool list changed too.
  assert.deepEqual(d.advertisements.changed.map((c) => c.new.name).sort(), ['x', 'y']);
});

test('sameValue ignores key order and absent keys', () => {
  assert.equal(sameValue({ a: 1, b: [1, { c: 2 }] }, { b: [1, { c: 2 }], a: 1 }), true);
  assert.equal(sameValue({ a: 1, b: undefined }, { a: 1 }), true);
  assert.equal(sameValue([1, 2], [2, 1]), false);
});
