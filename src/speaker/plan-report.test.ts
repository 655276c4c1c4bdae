import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import type { EndpointSlice, Service } from '../model/kubernetes.js';
import { ClusterState } from '../pipeline/cluster-state.js';
import { ManifestSource } from '../sources/manifests/source.js';
import { advertisementReport, formatAdvertisementReport } from './plan-report.js';

const SEED = fileURLToPath(new URL('../../../examples/seed', import.meta.url));

const local: Service = {
  kind: 'Service',
  metadata: { namespace: 'web', name: 'shop', annotations: { 'metallb.io/loadBalancerIPs': '10.10.10.20' } },
  spec: { type: 'LoadBalancer', externalTrafficPolicy: 'Local', ipFamilies: ['IPv4'] },
};
const localSlice: EndpointSlice = {
  kind: 'EndpointSlice',
  metadata: { namespace: 'web', name: 'shop-1', labels: { 'kubernetes.io/service-name': 'shop' } },
  endpoints: [{ addresses: ['10.244.1.9'], conditions: { ready: true }, nodeName: 'node-116' }],
};

test('every node: what each peer receives, and why the rest is withheld', async () => {
  const state = new ClusterState({ standalone: true });
  state.apply(await new ManifestSource([SEED]).load());
  state.apply({
    changes: [
      { op: 'upsert', kind: 'Service', key: 'web/shop', object: local },
      { op: 'upsert', kind: 'EndpointSlice', key: 'web/shop-1', object: localSlice },
    ],
  });
  const r = advertisementReport(state);
  assert.ok('advertisements' in r);
  assert.deepEqual(r.nodes, ['node-116', 'node-117']);
  assert.deepEqual(r.advertisements, [
    { node: 'node-116', peer: '127.0.0.1', peerName: 'peer1', prefix: '10.10.10.12/32', localPref: 0, communities: [], largeCommunities: [] },
    { node: 'node-116', peer: '127.0.0.1', peerName: 'peer1', prefix: '10.10.10.20/32', localPref: 0, communities: [], largeCommunities: [] },
    { node: 'node-117', peer: '127.0.0.1', peerName: 'peer1', prefix: '10.10.10.12/32', localPref: 0, communities: [], largeCommunities: [] },
  ]);
  assert.deepEqual(r.withheld, [{ service: 'web/shop', node: 'node-117', reason: 'noLocalEndpoints' }]);
  const text = formatAdvertisementReport(r);
  const lines = text.split('\n').map((l) => l.split(/\s+/));
  assert.deepEqual(lines[0], ['NODE', 'PEER', 'PEERNAME', 'PREFIX', 'LOCALPREF', 'COMMUNITIES', 'LARGECOMMUNITIES']);
  assert.deepEqual(lines[3], ['node-117', '127.0.0.1', 'peer1', '10.10.10.12/32', '0', '-', '-']);
  assert.deepEqual(lines.slice(-2), [['SERVICE', 'NODE', 'WITHHELD'], ['web/shop', 'node-117', 'noLocalEndpoints']]);

  const one = advertisementReport(state, { node: 'node-117' });
  assert.ok('advertisements' in one);
  assert.deepEqual(one.nodes, ['node-117']);
  assert.deepEqual(advertisementReport(state, { node: 'nope' }), { unknownNode: 'nope' });
});
