import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareRequests, readRequest, selectorString } from './request.js';
import { svc } from './test-helpers.js';

test('ports, sharing and backend keys', () => {
  const r = readRequest(
    svc('x', {
      ports: [80, { port: 53, protocol: 'UDP' }, { port: 443 }],
      annotations: { 'metallb.io/allow-shared-ip': 'k' },
      etp: 'Local',
      selector: { b: '2', a: '1' },
    }),
    {},
  );
  assert.deepEqual(r.ports, ['80/TCP', '53/UDP', '443/TCP']);
  assert.equal(r.sharingKey, 'k');
  assert.equal(r.backendKey, 'a=1,b=2');
  assert.equal(readRequest(svc('y', { selector: { a: '1' } }), {}).backendKey, '', 'Cluster policy shares regardless of backends');
  assert.equal(selectorString(undefined), '');
});

test('handled: type LoadBalancer and the class', () => {
  assert.equal(readRequest(svc('x'), {}).handled, true);
  assert.equal(readRequest(svc('x', { type: 'NodePort' }), {}).handled, false);
  assert.equal(readRequest(svc('x', { loadBalancerClass: 'c' }), {}).handled, false);
  assert.equal(readRequest(svc('x', { loadBalancerClass: 'c' }), { loadBalancerClass: 'c' }).handled, true);
  assert.equal(readRequest(svc('x'), { loadBalancerClass: 'c' }).handled, false);
});

test('families: ClusterIPs in a cluster, ipFamilies standalone', () => {
  assert.equal(readRequest(svc('x', { clusterIPs: ['10.0.0.1', 'fd00::1'] }), {}).family, 'dual');
  assert.equal(readRequest(svc('x', { clusterIPs: ['fd00::1'] }), {}).family, 'ipv6');
  assert.equal(readRequest(svc('x', { clusterIPs: ['10.0.0.1', '10.0.0.2'] }), {}).familyError?.rule, 'invalidClusterIPs');
  assert.equal(readRequest(svc('x', { clusterIPs: [] }), {}).familyError?.rule, 'noClusterIP');
  assert.equal(readRequest(svc('x', { clusterIPs: [] }), { standalone: true }).family, 'ipv4');
  assert.equal(readRequest(svc('x', { clusterIPs: [], ipFamilies: ['IPv6'] }), { standalone: true }).family, 'ipv6');
  assert.equal(readRequest(svc('x', { clusterIPs: [], policy: 'PreferDualStack' }), { standalone: true }).family, 'dual');
  assert.equal(readRequest(svc('x', { clusterIPs: [], policy: 'PreferDualStack', ipFamilies: ['IPv6', 'IPv4'] }), { standalone: true }).primary, 'ipv6');
});

test('requested IPs and their errors; deprecated annotations warn', () => {
  const r = readRequest(svc('x', { annotations: { 'metallb.universe.tf/loadBalancerIPs': '10.0.0.1, fd00::1' } }), {});
  assert.deepEqual(r.requestedIps?.map((i) => i.family), ['ipv4', 'ipv6']);
  assert.deepEqual(r.warnings.map((w) => w.rule), ['deprecatedAnnotation']);
  assert.equal(readRequest(svc('x', { loadBalancerIP: '10.0.0.1', annotations: { 'metallb.io/loadBalancerIPs': '10.0.0.2' } }), {}).requestError?.rule, 'bothIPRequests');
  assert.equal(readRequest(svc('x', { annotations: { 'metallb.io/loadBalancerIPs': 'fd00::1,fd00::2' } }), {}).requestError?.rule, 'invalidRequestedIPs');
  assert.equal(readRequest(svc('x', { status: ['bogus'] }), {}).statusError?.reason, 'nolbIPsIPFamily');
});

test('order: creation time, then namespace/name; missing timestamps last', () => {
  const a = readRequest(svc('a', { created: 5 }), {});
  const b = readRequest(svc('b', { created: 1 }), {});
  const c = readRequest({ ...svc('c'), metadata: { name: 'c', namespace: 'default' } }, {});
  assert.deepEqual([a, b, c].sort(compareRequests).map((r) => r.key), ['default/b', 'default/a', 'default/c']);
});
