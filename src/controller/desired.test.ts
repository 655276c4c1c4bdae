/**
 * What the controller writes: MetalLB's Event messages, pool status counts, ConfigurationState, and
 * the Service fields compared with what the API server shows.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AllocationEvent } from '../allocator/types.js';
import { ClusterState } from '../pipeline/cluster-state.js';
import { configurationStateStatus, eventFor, observedOfRaw, poolStatusOf, withIngress } from './desired.js';
import { batch, lbService, poolObject, upsertPool, upsertService } from './test-support.js';

const ev = (reason: AllocationEvent['reason'], message: string, type: AllocationEvent['type'] = 'Warning'): AllocationEvent => ({ service: 'a/web', type, reason, message });

test("MetalLB's event reasons, types and messages", () => {
  assert.deepEqual(eventFor(ev('IPAllocated', 'Assigned IP "192.0.2.1"', 'Normal')), {
    service: 'a/web',
    type: 'Normal',
    reason: 'IPAllocated',
    message: 'Assigned IP "192.0.2.1"',
  });
  assert.equal(eventFor(ev('AllocationFailed', 'no available IPs in pool tiny')).message, 'Failed to allocate IP for "a/web": no available IPs in pool tiny');
  assert.equal(eventFor(ev('LoadBalancerFailed', 'x')).message, 'invalid requested loadbalancer IPs: x');
  assert.equal(eventFor(ev('AdditionalAssignFailed', 'y', 'Normal')).message, 'cannot assign additional IP in PreferDualStack: y');
  assert.equal(
    eventFor(ev('deprecatedAnnotation', 'annotation metallb.universe.tf/address-pool is deprecated, use metallb.io/address-pool')).message,
    'Service uses deprecated annotation metallb.universe.tf/address-pool',
  );
  assert.equal(eventFor(ev('not enough clusterips', 'one ClusterIP')).reason, 'not enough clusterips');
});

test('the allocator emits deprecatedAnnotation, and the controller turns it into the Warning MetalLB records', () => {
  const state = new ClusterState({ standalone: false });
  const delta = state.apply(
    batch(upsertPool('default', poolObject('default', ['192.0.2.0/30'])), upsertService(lbService('web', { annotations: { 'metallb.universe.tf/address-pool': 'default' } }))),
  );
  const warnings = delta.events.filter((e) => e.reason === 'deprecatedAnnotation').map(eventFor);
  assert.deepEqual(warnings.map((w) => [w.type, w.message]), [['Warning', 'Service uses deprecated annotation metallb.universe.tf/address-pool']]);
});

test('pool status: assigned and available per family; a huge IPv6 pool is capped at 2^53 - 1', () => {
  assert.deepEqual(poolStatusOf({ pool: 'p', inUse: 3, total: 2 ** 64 + 256, ipv4: { inUse: 2, total: 256 }, ipv6: { inUse: 1, total: 2 ** 64 } }), {
    assignedIPv4: 2,
    assignedIPv6: 1,
    availableIPv4: 254,
    availableIPv6: Number.MAX_SAFE_INTEGER,
  });
});

test('ConfigurationState: Unknown before any configuration, Valid, then Invalid with every error', () => {
  const state = new ClusterState({ standalone: false });
  assert.equal(configurationStateStatus(state, false, 't').result, 'Unknown');
  state.apply(batch(upsertPool('default', poolObject('default', ['192.0.2.0/30']))));
  assert.deepEqual(configurationStateStatus(state, true, 't'), {
    result: 'Valid',
    conditions: [{ type: 'poolReconcilerValid', status: 'True', reason: 'Reconciled', message: '', lastTransitionTime: 't' }],
  });
  state.apply(batch(upsertPool('default', poolObject('default', ['x', 'y']))));
  const bad = configurationStateStatus(state, true, 't');
  assert.equal(bad.result, 'Invalid');
  assert.equal(bad.errorSummary?.split('\n').length, 2);
  assert.match(bad.errorSummary ?? '', /^configuration error: IPAddressPool\/default: spec\.addresses\[0\]: /);
});

test('status update body: ingress set or cleared, the rest of the status kept', () => {
  const raw = { metadata: { name: 'web' }, status: { conditions: [{ type: 'X' }], loadBalancer: { ingress: [{ ip: '1.1.1.1' }] } } };
  assert.deepEqual(withIngress(raw, ['192.0.2.1'])['status'], { conditions: [{ type: 'X' }], loadBalancer: { ingress: [{ ip: '192.0.2.1' }] } });
  assert.deepEqual(withIngress(raw, [])['status'], { conditions: [{ type: 'X' }], loadBalancer: {} });
  assert.deepEqual(observedOfRaw({ metadata: { annotations: { 'metallb.io/ip-allocated-from-pool': 'p' } }, status: { loadBalancer: { ingress: [{ hostname: 'h' }, { ip: '192.0.2.9' }] } } }), {
    ingress: ['192.0.2.9'],
    pool: 'p',
  });
});
