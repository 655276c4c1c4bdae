/**
 * The controller against a fake API: what it writes, when, and what it never writes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '../observe/log.js';
import { ApiError } from './api.js';
import { AllocationController } from './controller.js';
import type { ObjectChange } from '../model/cluster.js';
import type { Service } from '../model/kubernetes.js';
import { batch, deleteService, FakeApi, lbService, ManualClock, poolObject, settle, upsertPool, upsertService } from './test-support.js';

function setup(options: { leader?: boolean } = {}): { api: FakeApi; clock: ManualClock; controller: AllocationController } {
  const api = new FakeApi();
  const clock = new ManualClock();
  const controller = new AllocationController({
    namespace: 'metallb-system',
    api,
    logger: silentLogger,
    clock,
    now: () => new Date('2026-12-03T12:00:00Z'),
  });
  if (options.leader !== false) controller.setLeader(true);
  return { api, clock, controller };
}

/** Feeds the API's current view of a service back, as the watch would after a write. */
function echo(api: FakeApi, svc: Service): ObjectChange {
  const s = api.services.get(`a/${svc.metadata.name}`);
  const annotations = { ...(svc.metadata.annotations ?? {}) };
  if (s?.pool !== undefined) annotations['metallb.io/ip-allocated-from-pool'] = s.pool;
  else delete annotations['metallb.io/ip-allocated-from-pool'];
  return upsertService({
    ...svc,
    metadata: { ...svc.metadata, annotations },
    ...(s && s.ingress.length > 0 ? { status: { loadBalancer: { ingress: s.ingress.map((ip) => ({ ip })) } } } : { status: {} }),
  });
}

const pool = upsertPool('default', poolObject('default', ['192.0.2.0/30']));

test('nothing is written before the first complete list; then IPs, annotation, event, pool status and ConfigurationState', async () => {
  const { api, controller } = setup();
  api.add('a/web');
  api.add('a/db');
  controller.apply(batch(pool, upsertService(lbService('web'))));
  await settle();
  assert.equal(api.calls.length, 0, 'a partial list writes nothing');
  controller.apply(batch(upsertService(lbService('db', { created: '2026-12-01T00:00:01Z' }))), { initial: true });
  await controller.idle();
  assert.deepEqual(api.services.get('a/web')?.ingress, ['192.0.2.0']);
  assert.equal(api.services.get('a/web')?.pool, 'default');
  assert.deepEqual(api.services.get('a/db')?.ingress, ['192.0.2.1']);
  const allocated = api.events.filter((e) => e.reason === 'IPAllocated');
  assert.deepEqual(allocated.map((e) => [e.serviceName, e.message, e.type, e.serviceUid]).sort(), [
    ['db', 'Assigned IP "192.0.2.1"', 'Normal', 'uid-a/db'],
    ['web', 'Assigned IP "192.0.2.0"', 'Normal', 'uid-a/web'],
  ]);
  assert.deepEqual(api.pools.get('metallb-system/default'), { assignedIPv4: 2, assignedIPv6: 0, availableIPv4: 2, availableIPv6: 0 });
  const cs = api.configurationStates.at(-1);
  assert.equal(cs?.name, 'controller');
  assert.deepEqual(cs?.labels, { 'metallb.io/component-type': 'controller' });
  assert.equal(cs?.status.result, 'Valid');
  assert.deepEqual(cs?.status.conditions.map((c) => [c.type, c.status, c.reason]), [['poolReconcilerValid', 'True', 'Reconciled']]);
  // Events go after the writes of the objects (their uid is known then: no extra read).
  assert.ok(!api.calls.some((c) => c.startsWith('read ')), api.calls.join('\n'));
});

test('the watch echo of our own writes writes nothing more', async () => {
  const { api, controller } = setup();
  api.add('a/web');
  const web = lbService('web');
  controller.apply(batch(pool, upsertService(web)), { initial: true });
  await controller.idle();
  const before = api.calls.length;
  controller.apply(batch(echo(api, web)));
  await controller.idle();
  assert.deepEqual(api.calls.slice(before), []);
});

test('a restart moves no IP: statuses are kept before anything is allocated, also with services deleted and added meanwhile', async () => {
  const { api, controller } = setup();
  // What a previous controller wrote: a and c hold .1 and .3 (the lowest, .0, was freed when the
  // service holding it was deleted while the controller was down); d is new.
  const a = lbService('a', { ingress: ['192.0.2.1'], annotations: { 'metallb.io/ip-allocated-from-pool': 'default' }, created: '2026-12-01T00:00:05Z' });
  const c = lbService('c', { ingress: ['192.0.2.3'], annotations: { 'metallb.io/ip-allocated-from-pool': 'default' }, created: '2026-12-01T00:00:06Z' });
  const d = lbService('d', { created: '2026-12-01T00:00:01Z' });
  api.add('a/a', ['192.0.2.1'], 'default');
  api.add('a/c', ['192.0.2.3'], 'default');
  api.add('a/d');
  controller.apply(batch(pool, upsertService(a), upsertService(c), upsertService(d)), { initial: true });
  await controller.idle();
  assert.deepEqual(api.services.get('a/a')?.ingress, ['192.0.2.1']);
  assert.deepEqual(api.services.get('a/c')?.ingress, ['192.0.2.3']);
  // d is older than both, yet it gets a free address: kept statuses come first.
  assert.deepEqual(api.services.get('a/d')?.ingress, ['192.0.2.0']);
  assert.ok(!api.calls.some((x) => x.includes('a/a') || x.includes('a/c')), `kept services are not written: ${api.calls.join('; ')}`);
});

test('a Service asking for an IP outside every pool gets AllocationFailed and the others are unaffected', async () => {
  const { api, controller } = setup();
  api.add('a/bad');
  api.add('a/good');
  const bad = lbService('bad', { annotations: { 'metallb.io/loadBalancerIPs': '198.51.100.7' } });
  controller.apply(batch(pool, upsertService(bad), upsertService(lbService('good'))), { initial: true });
  await controller.idle();
  assert.deepEqual(api.services.get('a/good')?.ingress, ['192.0.2.0']);
  assert.deepEqual(api.services.get('a/bad')?.ingress, []);
  const failed = api.events.find((e) => e.serviceName === 'bad');
  assert.equal(failed?.reason, 'AllocationFailed');
  assert.equal(failed?.type, 'Warning');
  assert.match(failed?.message ?? '', /^Failed to allocate IP for "a\/bad": 198\.51\.100\.7 is not in any pool/);
});

test('a broken configuration keeps the last good one and writes ConfigurationState Invalid with each error', async () => {
  const { api, controller } = setup();
  api.add('a/web');
  controller.apply(batch(pool, upsertService(lbService('web'))), { initial: true });
  await controller.idle();
  const broken = upsertPool('default', poolObject('default', ['not-a-cidr', '192.0.2.0/33']));
  controller.apply(batch(broken));
  await controller.idle();
  assert.equal(controller.state?.configStale, true);
  assert.deepEqual(api.services.get('a/web')?.ingress, ['192.0.2.0'], 'the last good configuration stays in force');
  const cs = api.configurationStates.at(-1);
  assert.equal(cs?.status.result, 'Invalid');
  const cond = cs?.status.conditions[0];
  assert.equal(cond?.status, 'False');
  assert.equal(cond?.reason, 'ConfigurationError');
  assert.match(cond?.message ?? '', /^configuration error: /);
  assert.equal((cond?.message ?? '').split('\n').length, 2, `one line per error: ${cond?.message}`);
  assert.equal(cs?.status.errorSummary, cond?.message);
  // Fixed: Valid again.
  controller.apply(batch(pool));
  await controller.idle();
  assert.equal(api.configurationStates.at(-1)?.status.result, 'Valid');
});

test('a Service that stops being a LoadBalancer has its status and annotation cleared', async () => {
  const { api, controller } = setup();
  api.add('a/web');
  const web = lbService('web');
  controller.apply(batch(pool, upsertService(web)), { initial: true });
  await controller.idle();
  const now = echo(api, web);
  controller.apply(batch(now));
  const asClusterIp = now.op === 'upsert' && now.kind === 'Service' ? { ...now.object, spec: { ...now.object.spec, type: 'ClusterIP' } } : web;
  controller.apply(batch(upsertService(asClusterIp)));
  await controller.idle();
  assert.deepEqual(api.services.get('a/web')?.ingress, []);
  assert.equal(api.services.get('a/web')?.pool, undefined);
});

test('a Service of another loadBalancerClass is left alone', async () => {
  const { api, controller } = setup();
  api.add('a/other', ['203.0.113.9']);
  controller.apply(batch(pool, upsertService(lbService('other', { ingress: ['203.0.113.9'], loadBalancerClass: 'example.com/other' }))), { initial: true });
  await controller.idle();
  assert.deepEqual(api.services.get('a/other')?.ingress, ['203.0.113.9']);
  assert.ok(!api.calls.some((c) => c.includes('a/other')));
});

test('a standby writes nothing; on taking the lease it writes; on losing it, it stops at once', async () => {
  const { api, controller } = setup({ leader: false });
  api.add('a/web');
  api.add('a/db');
  controller.apply(batch(pool, upsertService(lbService('web'))), { initial: true });
  await settle();
  assert.equal(api.calls.length, 0);
  controller.setLeader(true);
  await controller.idle();
  assert.deepEqual(api.services.get('a/web')?.ingress, ['192.0.2.0']);
  // Losing the lease while writes wait: they are dropped.
  api.failNext.set('annotate', [new ApiError(503, 'down')]);
  controller.apply(batch(upsertService(lbService('db', { created: '2026-12-01T00:00:09Z' }))));
  controller.setLeader(false);
  await settle();
  assert.equal(controller.pendingWrites, 0);
  assert.deepEqual(api.services.get('a/db')?.ingress, []);
});

test('a 409 on a status write is retried on fresh data', async () => {
  const { api, controller } = setup();
  api.add('a/web');
  let conflicts = 1;
  api.beforeStatusWrite = (key) => {
    if (conflicts-- > 0) api.bump(key); // someone else changed the Service between our patch and our status write
  };
  controller.apply(batch(pool, upsertService(lbService('web'))), { initial: true });
  await controller.idle();
  assert.deepEqual(api.services.get('a/web')?.ingress, ['192.0.2.0']);
  const statusCalls = api.calls.filter((c) => c.startsWith('status a/web') || c.startsWith('read a/web'));
  assert.deepEqual(statusCalls, ['status a/web 192.0.2.0', 'read a/web', 'status a/web 192.0.2.0']);
});

test('while the API server is down, writes back off and go through when it returns', async () => {
  const { api, clock, controller } = setup();
  api.add('a/web');
  api.failNext.set('annotate', [new ApiError(0, 'connection refused'), new ApiError(0, 'connection refused')]);
  controller.apply(batch(pool, upsertService(lbService('web'))), { initial: true });
  await settle();
  assert.deepEqual(api.services.get('a/web')?.ingress, []);
  const tries = (): number => api.calls.filter((c) => c.startsWith('annotate a/web')).length;
  assert.equal(tries(), 1);
  await clock.advance(499);
  assert.equal(tries(), 1, 'no retry before the backoff');
  await clock.advance(1);
  assert.equal(tries(), 2);
  await clock.advance(999);
  assert.equal(tries(), 2, 'the backoff doubled');
  await clock.advance(1);
  await controller.idle();
  assert.equal(tries(), 3);
  assert.deepEqual(api.services.get('a/web')?.ingress, ['192.0.2.0']);
});

test('a deleted Service frees its IP for a pending one', async () => {
  const { api, controller } = setup();
  const tiny = upsertPool('tiny', poolObject('tiny', ['192.0.2.8/32']));
  api.add('a/first');
  api.add('a/second');
  const first = lbService('first');
  controller.apply(batch(tiny, upsertService(first), upsertService(lbService('second', { created: '2026-12-01T00:00:02Z' }))), { initial: true });
  await controller.idle();
  assert.deepEqual(api.services.get('a/first')?.ingress, ['192.0.2.8']);
  assert.equal(api.events.find((e) => e.serviceName === 'second')?.reason, 'AllocationFailed');
  api.services.delete('a/first');
  controller.apply(batch(deleteService('first')));
  await controller.idle();
  assert.deepEqual(api.services.get('a/second')?.ingress, ['192.0.2.8']);
  assert.deepEqual(api.pools.get('metallb-system/tiny'), { assignedIPv4: 1, assignedIPv6: 0, availableIPv4: 0, availableIPv6: 0 });
});
