/**
 * `NodePlanner.update`: the per-peer changes and service events of single changes, case by case
 * (the property test in planner.property.test.ts covers random sequences).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { advertisementConfig, configOf, peerConfig, poolConfig } from '../config/test-builders.js';
import type { EndpointSlice, Node, Service } from '../model/kubernetes.js';
import { NodePlanner } from './planner.js';
import type { PlanSource, ServiceIps } from './planner.js';

const node: Node = { kind: 'Node', metadata: { name: 'n1' } };
const config = configOf({
  peers: [peerConfig()],
  pools: [poolConfig('p', [['10.20.0.0', '10.20.0.255']])],
  advertisements: [
    advertisementConfig('web', ['p'], { communities: ['65000:1'], serviceSelectors: [{ matchLabels: { tier: 'web' } }] }),
    advertisementConfig('db', ['p'], { communities: ['65000:2'], serviceSelectors: [{ matchLabels: { tier: 'db' } }] }),
  ],
});

function world() {
  const services = new Map<string, Service>();
  const allocations = new Map<string, ServiceIps>();
  const slice = (name: string): EndpointSlice => ({
    kind: 'EndpointSlice',
    metadata: { name: `${name}-1`, namespace: 'a', labels: { 'kubernetes.io/service-name': name } },
    endpoints: [{ addresses: ['10.244.0.1'], nodeName: 'n1' }],
  });
  const source: PlanSource = {
    keys: () => services.keys(),
    service: (k) => services.get(k),
    allocation: (k) => allocations.get(k),
    slices: (k) => [slice(k.split('/')[1] ?? '')],
  };
  const put = (name: string, tier: string, ip: string): string => {
    const key = `a/${name}`;
    services.set(key, { kind: 'Service', metadata: { name, namespace: 'a', labels: { tier } }, spec: { type: 'LoadBalancer' } });
    allocations.set(key, { ips: [ip], pool: 'p' });
    return key;
  };
  const planner = new NodePlanner('n1', source);
  planner.reset(config, node);
  return { services, allocations, put, planner };
}

test('a change of attributes on the same prefix is sent as an upsert and logged as updated', () => {
  const w = world();
  const key = w.put('s1', 'web', '10.20.0.1');
  const added = w.planner.update([key]);
  assert.deepEqual(added.peers.get('peer1')?.upsert.map((a) => [a.prefix, a.communities]), [['10.20.0.1/32', ['65000:1']]]);
  assert.deepEqual(added.announced.map((s) => s.service), ['a/s1']);
  w.put('s1', 'db', '10.20.0.1');
  const changed = w.planner.update([key]);
  assert.deepEqual(changed.peers.get('peer1'), {
    upsert: [{ peer: 'peer1', peerAddress: '10.10.10.1', prefix: '10.20.0.1/32', localPref: 0, communities: ['65000:2'], largeCommunities: [], services: ['a/s1'] }],
    withdraw: [],
  });
  assert.deepEqual(changed.updated.map((s) => s.service), ['a/s1']);
  assert.deepEqual(changed.announced, []);
  assert.deepEqual(changed.withdrawn, []);
});

test('a prefix shared by two services stays while one gives it, with the union of their communities', () => {
  const w = world();
  const s1 = w.put('s1', 'web', '10.20.0.1');
  const s2 = w.put('s2', 'db', '10.20.0.1');
  w.planner.update([s1, s2]);
  assert.deepEqual(w.planner.advertisementsOf('peer1').map((a) => [a.prefix, a.communities, a.services]), [
    ['10.20.0.1/32', ['65000:1', '65000:2'], ['a/s1', 'a/s2']],
  ]);
  w.services.delete(s1);
  w.allocations.delete(s1);
  const removed = w.planner.update([s1]);
  assert.deepEqual(removed.peers.get('peer1')?.withdraw, []);
  assert.deepEqual(removed.peers.get('peer1')?.upsert.map((a) => a.communities), [['65000:2']]);
  assert.deepEqual(removed.withdrawn, [{ service: 'a/s1', ips: ['10.20.0.1'], pool: 'p', reason: 'serviceDeleted' }]);
  // s2 was not touched, but what it sends changed.
  assert.deepEqual(removed.updated.map((s) => s.service), ['a/s2']);
});

test('a new IP withdraws the old prefix and logs loadBalancerIPChanged', () => {
  const w = world();
  const key = w.put('s1', 'web', '10.20.0.1');
  w.planner.update([key]);
  w.put('s1', 'web', '10.20.0.2');
  const moved = w.planner.update([key]);
  assert.deepEqual(moved.peers.get('peer1')?.withdraw, ['10.20.0.1/32']);
  assert.deepEqual(moved.peers.get('peer1')?.upsert.map((a) => a.prefix), ['10.20.0.2/32']);
  assert.deepEqual(moved.withdrawn.map((x) => x.reason), ['loadBalancerIPChanged']);
  assert.deepEqual(moved.announced.map((s) => s.ip), ['10.20.0.2']);
});

test('without its Node object the node withdraws everything with nodeNotFound', () => {
  const w = world();
  const key = w.put('s1', 'web', '10.20.0.1');
  w.planner.update([key]);
  const gone = w.planner.reset(config, undefined);
  assert.deepEqual(gone.withdrawn.map((x) => [x.service, x.reason]), [['a/s1', 'nodeNotFound']]);
  assert.deepEqual(w.planner.plan().unselectedPeers, ['peer1']);
  assert.deepEqual(w.planner.update([key]).announced, []);
  const back = w.planner.reset(config, node);
  assert.deepEqual(back.announced.map((s) => s.service), ['a/s1']);
});
