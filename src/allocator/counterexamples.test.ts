/**
 * Shrunk counterexamples of the property tests (`allocator.property.test.ts`), kept as fixtures so
 * that each one runs on every test run, whatever the random seed (STYLE.md "Tests").
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Service } from '../model/kubernetes.js';
import { allocateAll, Allocator } from './allocator.js';
import type { AllocationInput } from './types.js';
import { pool, svc, withStatus } from './test-helpers.js';

/** Restarting from the statuses of a first run (every IP written back) must give the same results. */
function assertRestartMovesNothing(input: AllocationInput): void {
  const first = allocateAll(input);
  const ips = new Map(first.services.map((r) => [r.service, r.ips]));
  const again = allocateAll({
    ...input,
    services: input.services.map((s) => withStatus(s, ips.get(`${s.metadata.namespace ?? 'default'}/${s.metadata.name}`) ?? [])),
  });
  assert.deepEqual(again.services, first.services);
  assert.ok(!again.events.some((e) => e.reason === 'ClearAssignment'), 'nothing is cleared on restart');
}

// fast-check seed -869955450, path "275:1:1:1:1:2:2:1:1:1:1:1:5:0:0:1:3:4:5:9:9:9:9:11:11:13:13:13:13:13:13:13:15:10:10"
// of 'a restart with the previous statuses moves nothing'.
const failedRequestBesideAnAutomaticChoice: AllocationInput = {
  pools: [
    pool('p0', ['10.0.0.254-10.0.1.2', '10.0.2.0/31', 'fd00::/126', 'fd00::10-fd00::12', '10.0.3.5/32']),
    pool('p1', ['10.0.0.0/30']),
  ],
  services: [
    svc('s0', {
      namespace: 'a',
      labels: { app: 'x' },
      ports: [],
      clusterIPs: ['10.96.0.1'],
      annotations: { 'metallb.io/allow-shared-ip': 'k1' },
      etp: 'Local',
      selector: { app: 's1' },
    }),
    svc('s1', {
      namespace: 'a',
      labels: { app: 'x' },
      ports: [],
      clusterIPs: ['10.96.0.1', 'fd96::1'],
      policy: 'PreferDualStack',
      annotations: { 'metallb.io/loadBalancerIPs': '10.0.1.1,fd00::' },
    }),
    svc('s2', {
      namespace: 'a',
      labels: { app: 'x' },
      ports: [],
      clusterIPs: ['10.96.0.1', 'fd96::1'],
      policy: 'PreferDualStack',
      annotations: {},
      status: ['fd00::'],
    }),
  ],
  namespaces: { a: { tier: 'gold' }, b: { tier: 'gold' } },
  options: { standalone: true },
};

test('standalone: a request refused by a status IP, one of whose addresses an automatic choice wants, survives a restart', () => {
  assertRestartMovesNothing(failedRequestBesideAnAutomaticChoice);
  // a/s1's request is refused by a/s2's status on fd00::, and still keeps a/s0's automatic choice
  // off 10.0.1.1 (README "Standalone mode", rule 1); a/s0 looks further.
  const r = new Map(allocateAll(failedRequestBesideAnAutomaticChoice).services.map((x) => [x.service, x]));
  assert.equal(r.get('a/s1')?.error?.rule, 'sharingNotAllowed');
  assert.match(r.get('a/s1')?.error?.message ?? '', /^fd00:: is already used by a\/s2/);
  assert.deepEqual(r.get('a/s2')?.ips, ['fd00::', '10.0.3.5']);
  assert.equal(r.get('a/s0')?.ips.length, 1);
  assert.notEqual(r.get('a/s0')?.ips[0], '10.0.1.1');
});

/**
 * Standalone mode: applies `ops` to an `Allocator` one by one and checks after each that its results
 * are those of `allocateAll` on the services as they are.
 */
function assertIncrementalAgrees(
  input: Omit<AllocationInput, 'services'>,
  ops: readonly ({ readonly add: Service } | { readonly remove: string })[],
): Allocator {
  const alloc = new Allocator(input);
  const live = new Map<string, Service>();
  for (const op of ops) {
    if ('add' in op) {
      live.set(`${op.add.metadata.namespace ?? 'default'}/${op.add.metadata.name}`, op.add);
      alloc.add(op.add);
    } else {
      live.delete(op.remove);
      alloc.remove(op.remove);
    }
    assert.deepEqual(alloc.results(), allocateAll({ ...input, services: [...live.values()] }).services);
  }
  return alloc;
}

// fast-check seed 598245103, path "115:0:1:0:0:0:0:0:0:5:4:4:4:5:7:2:5:5:5:5:5:5:1:5:6"
// of 'incremental operations always agree with allocateAll' (standalone).
const sameStatusTwice = (name: string): Service =>
  svc(name, { namespace: 'a', labels: { app: 'x' }, ports: [], clusterIPs: ['10.96.0.1'], annotations: {}, status: ['10.0.1.0'] });

test('standalone: a service whose status IP an older service held takes it back when that one is removed, even from a later pool', () => {
  // a/n1 loses its status 10.0.1.0 (in p1) to a/n0 (same creation time, earlier name) and gets an
  // automatic address from p0, the first pool of its pool order. Removing a/n0 must give a/n1 its
  // status back: the freed address is no probe-order question (a status outranks any automatic choice).
  const alloc = assertIncrementalAgrees(
    {
      pools: [pool('p0', ['10.0.0.0/30', '10.0.2.0/31', 'fd00::/126', 'fd00::10-fd00::12', '10.0.3.5/32']), pool('p1', ['10.0.0.254-10.0.1.2'])],
      namespaces: { a: { tier: 'gold' }, b: {} },
      options: { standalone: true },
    },
    [{ add: sameStatusTwice('n0') }, { add: sameStatusTwice('n1') }, { remove: 'a/n0' }],
  );
  assert.deepEqual(alloc.result('a/n1')?.ips, ['10.0.1.0']);
});

test('standalone: a service left with nothing takes its status IP back from a pool outside its automatic pool order', () => {
  // p1 is not autoAssign: a/n1 can only reach 10.0.1.0 by its status; p0's one address goes to the
  // older a/n2, so a/n1 gets nothing (noAvailableIPs) until a/n0, which holds the same status, goes.
  const alloc = assertIncrementalAgrees(
    {
      pools: [pool('p0', ['10.0.2.0/32']), pool('p1', ['10.0.1.0/32'], { autoAssign: false })],
      namespaces: {},
      options: { standalone: true },
    },
    [
      { add: svc('n0', { namespace: 'a', clusterIPs: ['10.96.0.1'], created: 1, status: ['10.0.1.0'] }) },
      { add: svc('n2', { namespace: 'a', clusterIPs: ['10.96.0.1'], created: 0 }) },
      { add: svc('n1', { namespace: 'a', clusterIPs: ['10.96.0.1'], created: 1, status: ['10.0.1.0'] }) },
      { remove: 'a/n0' },
    ],
  );
  assert.deepEqual(alloc.result('a/n1')?.ips, ['10.0.1.0']);
});
