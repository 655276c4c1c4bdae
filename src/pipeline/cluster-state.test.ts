/**
 * ClusterState: what one batch of object changes changes, and what it keeps.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ObjectChange, RawConfigObject } from '../model/cluster.js';
import type { EndpointSlice, Service } from '../model/kubernetes.js';
import { ClusterState } from './cluster-state.js';

const configMap = (pool: string): RawConfigObject => ({
  object: {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'config', namespace: 'metallb-system' },
    data: {
      config: `peers:\n- peer-address: 10.10.10.1\n  peer-asn: 64512\n  my-asn: 64512\naddress-pools:\n- name: default\n  protocol: bgp\n  addresses:\n  - ${pool}\n`,
    },
  },
});

const service = (name: string, over: Partial<Service['spec']> = {}, created = '2026-12-01T00:00:00Z'): Service => ({
  kind: 'Service',
  metadata: { name, namespace: 'a', creationTimestamp: created },
  spec: { type: 'LoadBalancer', ipFamilies: ['IPv4'], ...over },
});

const slice = (name: string, svc: string): EndpointSlice => ({
  kind: 'EndpointSlice',
  metadata: { name, namespace: 'a', labels: { 'kubernetes.io/service-name': svc } },
  addressType: 'IPv4',
  endpoints: [{ addresses: ['10.244.0.1'], nodeName: 'n1' }],
});

const upsertConfig = (object: RawConfigObject): ObjectChange => ({ op: 'upsert', kind: 'Config', key: 'ConfigMap/metallb-system/config', object });
const upsertService = (svc: Service): ObjectChange => ({ op: 'upsert', kind: 'Service', key: `a/${svc.metadata.name}`, object: svc });

test('services are allocated once a configuration builds, and a bad configuration keeps the last good one', () => {
  const state = new ClusterState({ standalone: true });
  const first = state.apply({ changes: [upsertService(service('web'))] });
  assert.equal(first.config.status, 'unchanged');
  assert.deepEqual(first.allocations, []);
  const second = state.apply({ changes: [upsertConfig(configMap('10.20.0.0/24'))] });
  assert.equal(second.config.status, 'applied');
  assert.deepEqual([...second.services], ['a/web']);
  assert.equal(state.allocation('a/web')?.pool, 'default');

  const broken = state.apply({ changes: [upsertConfig({ object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'config', namespace: 'metallb-system' }, data: { config: 'peers: [' } } })] });
  assert.equal(broken.config.status, 'rejected');
  assert.equal(state.configStale, true);
  assert.equal(state.config?.pools[0]?.name, 'default');
  assert.equal(state.allocation('a/web')?.pool, 'default');

  const fixed = state.apply({ changes: [upsertConfig(configMap('10.20.0.0/24'))] });
  assert.equal(fixed.config.status, 'recovered');
  assert.equal(state.configStale, false);
});

test('an invalid object keeps its last good version and affects nothing else', () => {
  const state = new ClusterState({ standalone: true });
  state.apply({ changes: [upsertConfig(configMap('10.20.0.0/24')), upsertService(service('web')), upsertService(service('db'))] });
  const ip = state.allocation('a/web')?.ips;
  const issue = { severity: 'error' as const, object: 'Service/a/web', path: 'spec.ports', rule: 'notAList', message: 'ports must be a list' };
  const delta = state.apply({ changes: [{ op: 'invalid', kind: 'Service', key: 'a/web', issues: [issue] }, upsertService(service('api'))] });
  assert.deepEqual(delta.invalid, [{ kind: 'Service', key: 'a/web', issues: [issue], keptLastGood: true }]);
  assert.deepEqual([...delta.services], ['a/api']);
  assert.deepEqual(state.allocation('a/web')?.ips, ip);
  assert.equal(state.invalidObjects().length, 1);
  const repaired = state.apply({ changes: [upsertService(service('web'))] });
  assert.deepEqual(repaired.repaired, [{ kind: 'Service', key: 'a/web' }]);
  assert.equal(state.invalidObjects().length, 0);
  const fresh = state.apply({ changes: [{ op: 'invalid', kind: 'Service', key: 'a/new', issues: [issue] }] });
  assert.equal(fresh.invalid[0]?.keptLastGood, false);
  assert.equal(state.service('a/new'), undefined);
});

test('endpoint slices are indexed by their service, and moving a slice touches both services', () => {
  const state = new ClusterState({ standalone: true });
  state.apply({ changes: [upsertConfig(configMap('10.20.0.0/24')), upsertService(service('web')), upsertService(service('db'))] });
  const added = state.apply({ changes: [{ op: 'upsert', kind: 'EndpointSlice', key: 'a/s1', object: slice('s1', 'web') }] });
  assert.deepEqual([...added.services], ['a/web']);
  assert.equal(state.slices('a/web').length, 1);
  const moved = state.apply({ changes: [{ op: 'upsert', kind: 'EndpointSlice', key: 'a/s1', object: slice('s1', 'db') }] });
  assert.deepEqual([...moved.services].sort(), ['a/db', 'a/web']);
  assert.equal(state.slices('a/web').length, 0);
  const second = state.apply({ changes: [{ op: 'upsert', kind: 'EndpointSlice', key: 'a/s2', object: slice('s2', 'db') }] });
  assert.deepEqual([...second.services], ['a/db']);
  assert.deepEqual(state.slices('a/db').map((s) => s.metadata.name).sort(), ['s1', 's2']);
  const removed = state.apply({ changes: [{ op: 'delete', kind: 'EndpointSlice', key: 'a/s1' }] });
  assert.deepEqual([...removed.services], ['a/db']);
  assert.deepEqual(state.slices('a/db').map((s) => s.metadata.name), ['s2']);
  state.apply({ changes: [{ op: 'delete', kind: 'EndpointSlice', key: 'a/s2' }] });
  assert.equal(state.slices('a/db').length, 0);
});

test('a deleted service leaves the allocator and frees its IP', () => {
  const state = new ClusterState({ standalone: true });
  state.apply({ changes: [upsertConfig(configMap('10.20.0.1/32')), upsertService(service('web'))] });
  assert.equal(state.allocation('a/web')?.ips[0], '10.20.0.1');
  // Created later than web: it waits (an older Service keeps its address in standalone mode).
  state.apply({ changes: [upsertService(service('db', {}, '2026-12-02T00:00:00Z'))] });
  assert.equal(state.allocation('a/db'), undefined);
  const gone = state.apply({ changes: [{ op: 'delete', kind: 'Service', key: 'a/web' }] });
  assert.deepEqual(gone.deallocated, ['a/web']);
  assert.ok(gone.services.has('a/db'));
  assert.equal(state.allocation('a/db')?.ips[0], '10.20.0.1');
  assert.equal(state.poolUsage()[0]?.inUse, 1);
});

test('an upsert holding the same value changes nothing (a comment edited in a file)', () => {
  const state = new ClusterState({ standalone: true });
  const node = { kind: 'Node' as const, metadata: { name: 'n1', labels: { rack: 'a' } } };
  state.apply({ changes: [upsertConfig(configMap('10.20.0.0/24')), upsertService(service('web')), { op: 'upsert', kind: 'Node', key: 'n1', object: node }] });
  const again = state.apply({
    changes: [
      upsertConfig(configMap('10.20.0.0/24')),
      upsertService(service('web')),
      { op: 'upsert', kind: 'Node', key: 'n1', object: { ...node, metadata: { ...node.metadata } } },
    ],
  });
  assert.equal(again.config.status, 'unchanged');
  assert.deepEqual([...again.services], []);
  assert.deepEqual([...again.nodes], []);
  assert.equal(state.node('n1'), node);
  const relabelled = state.apply({ changes: [{ op: 'upsert', kind: 'Node', key: 'n1', object: { ...node, metadata: { name: 'n1', labels: { rack: 'b' } } } }] });
  assert.deepEqual([...relabelled.nodes], ['n1']);
});
