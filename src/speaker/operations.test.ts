import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NodeOperations, ReloadStats, pendingPrefixes } from './operations.js';
import { sessionStatus } from '../observe/test-helpers.js';
import type { AdvertisedRoute } from '../bgp/session/session.js';

function sent(...prefixes: string[]): AdvertisedRoute[] {
  return prefixes.map((p) => {
    const [address = '', length = '32'] = p.split('/');
    return { prefix: { family: address.includes(':') ? 'ipv6' : 'ipv4', address, length: Number(length) }, communities: [], largeCommunities: [] };
  });
}

test('pending prefixes: everything while down; missing and stale ones while up; other families never', () => {
  const desired = ['10.0.0.1/32', '10.0.0.2/32', 'fd00::1/128'];
  assert.equal(pendingPrefixes(sessionStatus({ state: 'Active', families: [] }), desired, []), 3);
  const up = sessionStatus({ state: 'Established', families: ['ipv4'] });
  assert.equal(pendingPrefixes(up, desired, sent('10.0.0.1/32', '10.0.0.2/32')), 0);
  assert.equal(pendingPrefixes(up, desired, sent('10.0.0.1/32')), 1);
  assert.equal(pendingPrefixes(up, desired, sent('10.0.0.1/32', '10.0.0.2/32', '10.0.0.9/32')), 1);
  assert.equal(pendingPrefixes(up, [], []), 0);
});

test('reload stats: loaded once any reload applied, stale while the last one failed', () => {
  const s = new ReloadStats();
  s.record({ ok: false, seconds: 0, updates: [] });
  assert.deepEqual([s.updates, s.updateErrors, s.loaded, s.stale], [1, 1, false, true]);
  s.record({ ok: true, seconds: 0, updates: [] });
  assert.deepEqual([s.updates, s.updateErrors, s.loaded, s.stale], [2, 1, true, false]);
  s.record({ ok: false, seconds: 0, updates: [] });
  assert.deepEqual([s.updates, s.updateErrors, s.loaded, s.stale], [3, 2, true, true]);
});

test('before a speaker is attached: nothing to show, not ready', () => {
  const ops = new NodeOperations('node-116');
  ops.stats.record({ ok: true, seconds: 0, updates: [] });
  assert.equal(ops.ready, false);
  const m = ops.metricsSnapshot();
  assert.deepEqual([m.sessions.length, m.pools.length, m.announced.length, m.ready], [0, 0, 0, false]);
  assert.deepEqual(ops.statusInput(5).sessions, []);
});
