import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resourcesForNode } from './for-node.js';
import { resourcesFromObjects } from './decode.js';
import { buildConfig } from './build.js';
import { adv, configMap, peer, pool } from './test-helpers.js';
import type { Obj } from './test-helpers.js';

const resources = (objects: Obj[]) => resourcesFromObjects(objects.map((object) => ({ object })));

test('a broken peer for other nodes does not break this node', () => {
  const r = resources([
    peer('everywhere'),
    peer('rack-b', { peerAddress: '10.0.0.2', holdTime: '1s', myASN: 'x', nodeSelectors: [{ matchLabels: { rack: 'b' } }] }),
    pool('a'),
    adv('all'),
    adv('only-b', { localPref: 'high', nodeSelectors: [{ matchLabels: { rack: 'b' } }] }),
  ]);
  assert.equal(buildConfig(r).ok, false);
  const a = buildConfig(resourcesForNode(r, { name: 'n1', labels: { rack: 'a' } }));
  assert.ok(a.ok, JSON.stringify(a.ok ? [] : a.errors));
  assert.deepEqual(a.config.peers.map((p) => p.name), ['everywhere']);
  assert.deepEqual(a.config.advertisements.map((x) => x.name), ['all']);
  const b = buildConfig(resourcesForNode(r, { name: 'n2', labels: { rack: 'b' } }));
  assert.deepEqual(b.ok ? [] : b.errors.map((e) => `${e.object} ${e.rule}`).sort(), [
    'BGPAdvertisement/only-b invalidType',
    'BGPPeer/rack-b holdTimeRange',
    'BGPPeer/rack-b invalidType',
  ]);
});

test('legacy peers are filtered by their node-selectors, with their decoding issues', () => {
  const r = resources([
    configMap(
      [
        'peers:',
        '- {peer-address: 10.0.0.1, peer-asn: 1, my-asn: 2}',
        '- {peer-address: 10.0.0.2, peer-asn: 1, my-asn: 2, bogus: 1, node-selectors: [{match-labels: {rack: b}}]}',
        'address-pools:',
        '- {name: a, protocol: bgp, addresses: [10.1.0.0/24], bogus: 2}',
      ].join('\n'),
    ),
  ]);
  const a = buildConfig(resourcesForNode(r, { name: 'n1', labels: { rack: 'a' } }));
  // The pool's unknown field stays (pools are shared); the rack-b peer's goes with it.
  assert.deepEqual(a.ok ? [] : a.errors.map((e) => e.path), ['address-pools[0].bogus']);
});
