import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Config, PeerConfig } from '../config/types.js';
import type { Node } from '../model/kubernetes.js';
import { labTopology } from './topology.js';
import { configOf, peerConfig } from '../config/test-builders.js';

const peer = (over: Partial<PeerConfig>): PeerConfig => peerConfig({ peerAddress: '127.0.0.1', peerPort: 1179, ...over });
const cfg = (peers: PeerConfig[]): Config => configOf({ peers });



function node(name: string, addresses: string[], labels: Record<string, string> = {}): Node {
  return { kind: 'Node', metadata: { name, labels }, status: { addresses: addresses.map((address) => ({ type: 'InternalIP', address })) } };
}

const NODES = [node('node-116', ['127.0.0.116'], { rack: 'a' }), node('node-117', ['127.0.0.117', '::117']), node('no-ip', [])];

test('the seed: one router on the peer address, accepting both nodes at their InternalIPs', () => {
  const t = labTopology(cfg([peer({})]), NODES);
  assert.deepEqual(t.routers, [
    {
      peers: ['peer1'],
      address: '127.0.0.1',
      port: 1179,
      asn: 64512,
      neighbors: [
        { node: 'node-116', address: '127.0.0.116', asn: 64512 },
        { node: 'node-117', address: '127.0.0.117', asn: 64512 },
      ],
    },
  ]);
  assert.deepEqual(t.nodes, ['node-116', 'node-117']);
  assert.equal(t.problems.length, 1); // no-ip has no address
});

test('node selectors, address families, eBGP and dynamic ASNs', () => {
  const t = labTopology(
    cfg([
      peer({ name: 'tor-a', peerAddress: '127.0.0.2', peerAsn: 65000, nodeSelectors: [{ matchLabels: { rack: 'a' } }] }),
      peer({ name: 'v6', peerAddress: '::1', dynamicAsn: 'internal' }),
      peer({ name: 'ext', peerAddress: '127.0.0.3', dynamicAsn: 'external' }),
    ].map((p) => (p.dynamicAsn ? (({ peerAsn: _drop, ...rest }) => rest)(p) : p))),
    NODES,
  );
  assert.deepEqual(
    t.routers.map((r) => [r.address, r.asn, r.neighbors.map((n) => n.address)]),
    [
      ['127.0.0.2', 65000, ['127.0.0.116']],
      ['::1', 64512, ['::117']],
    ],
  );
  assert.ok(t.problems.some((p) => p.includes('ext')));
});
