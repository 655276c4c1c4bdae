/**
 * `metallb-ts controller` against the API server double, over HTTP with the real client: IPs written
 * back (status, annotation, Event), restarts that move no IP, a request outside every pool, a broken
 * configuration, a 409 retried on fresh data, and two replicas electing one writer with failover.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeClient, loadKubeConfig } from '../../src/sources/kubernetes/client.js';
import type { ApiResponse, KubeApi, RequestOptions, WatchOptions } from '../../src/sources/kubernetes/client.js';
import { startController } from '../../src/controller/runtime.js';
import type { RunningController } from '../../src/controller/runtime.js';
import { leaseTimingFor } from '../../src/controller/leader-election.js';
import { createLogger, silentLogger } from '../../src/observe/log.js';
import type { ApiServerDouble } from '../kube-apiserver/server.js';
import type { Obj } from './support.js';
import { annotationOf, CONFIGURATION_STATE, EVENT, ingressOf, LEASE, pool, POOL, service, SERVICE, startDouble, waitFor } from './support.js';

const POOL_ANNOTATION = 'metallb.io/ip-allocated-from-pool';
const root = new URL('../../../', import.meta.url).pathname;

function clientFor(api: ApiServerDouble, dir: string): KubeClient {
  const file = join(dir, `kubeconfig-${Math.random().toString(36).slice(2)}`);
  api.writeKubeconfig(file);
  return new KubeClient(loadKubeConfig(file));
}

function start(client: KubeApi, identity = 'test'): RunningController {
  return startController({
    api: client,
    namespace: 'metallb-system',
    logger: process.env['CONTROLLER_TEST_LOGS'] ? createLogger({ level: 'debug' }) : silentLogger,
    leaseName: 'metallb-ts-controller',
    leaseTiming: leaseTimingFor(2_000),
    identity,
    sourceTiming: { initialBackoffMs: 50, maxBackoffMs: 500 },
  });
}

const svcOf = (api: ApiServerDouble, name: string): Obj | undefined => api.get(SERVICE, 'a', name);
const ipOf = (api: ApiServerDouble, name: string): string | undefined => ingressOf(svcOf(api, name))[0];

test('the controller against the double', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kc-controller-'));
  const api = await startDouble();
  t.after(async () => {
    await api.close();
    rmSync(dir, { recursive: true, force: true });
  });

  await t.test('Services created through the API get IPs written back: status, annotation, Event, pool status, ConfigurationState', async () => {
    api.create(pool('default', ['192.0.2.0/28']));
    api.create(service('web'));
    const client = clientFor(api, dir);
    const c = start(client);
    try {
      const ip = await waitFor('web has an IP', () => ipOf(api, 'web'));
      assert.equal(ip, '192.0.2.0');
      assert.equal(annotationOf(svcOf(api, 'web'), POOL_ANNOTATION), 'default');
      // A Service created while it runs.
      api.create(service('db'));
      assert.equal(await waitFor('db has an IP', () => ipOf(api, 'db')), '192.0.2.1');
      const events = await waitFor('two IPAllocated events', () => {
        const list = api.list(EVENT, 'a').filter((e) => e['reason'] === 'IPAllocated');
        return list.length >= 2 ? list : undefined;
      });
      const web = events.find((e) => (e['involvedObject'] as Obj)['name'] === 'web') as Obj;
      assert.equal(web['message'], 'Assigned IP "192.0.2.0"');
      assert.equal(web['type'], 'Normal');
      assert.equal((web['involvedObject'] as Obj)['uid'], (svcOf(api, 'web')?.['metadata'] as Obj)['uid']);
      assert.equal((web['source'] as Obj)['component'], 'metallb-controller');
      const status = await waitFor('pool status counts', () => {
        const s = api.get(POOL, 'metallb-system', 'default')?.['status'] as Obj | undefined;
        return s?.['assignedIPv4'] === 2 ? s : undefined;
      });
      assert.deepEqual(status, { assignedIPv4: 2, assignedIPv6: 0, availableIPv4: 14, availableIPv6: 0 });
      const cs = await waitFor('ConfigurationState', () => api.get(CONFIGURATION_STATE, 'metallb-system', 'controller'));
      assert.equal((cs['metadata'] as Obj)['labels'] && ((cs['metadata'] as Obj)['labels'] as Obj)['metallb.io/component-type'], 'controller');
      assert.equal((cs['status'] as Obj)['result'], 'Valid');
      const lease = api.get(LEASE, 'metallb-system', 'metallb-ts-controller');
      assert.equal((lease?.['spec'] as Obj)['holderIdentity'], 'test');
      assert.match(String((lease?.['spec'] as Obj)['renewTime']), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    } finally {
      await c.close();
      client.close();
    }
  });

  await t.test('a restart moves no IP, also with Services deleted and added while it was down', async () => {
    const before = new Map<string, string | undefined>([['web', ipOf(api, 'web')], ['db', ipOf(api, 'db')]]);
    // While no controller runs: web (the lowest IP) is deleted, two Services are added.
    api.remove(SERVICE, 'a', 'web');
    api.create(service('new1'));
    api.create(service('new2'));
    const client = clientFor(api, dir);
    const c = start(client);
    try {
      await waitFor('new Services have IPs', () => (ipOf(api, 'new1') && ipOf(api, 'new2') ? true : undefined));
      assert.equal(ipOf(api, 'db'), before.get('db'), 'db kept its IP');
      const taken = new Set([ipOf(api, 'db'), ipOf(api, 'new1'), ipOf(api, 'new2')]);
      assert.equal(taken.size, 3, 'no IP given twice');
    } finally {
      await c.close();
      client.close();
    }
  });

  await t.test('a Service asking for an IP outside every pool gets AllocationFailed; the others are unaffected', async () => {
    const client = clientFor(api, dir);
    const c = start(client);
    try {
      await waitFor('synced', () => (c.ready() ? true : undefined));
      api.create(service('outside', { 'metallb.io/loadBalancerIPs': '198.51.100.7' }));
      api.create(service('inside'));
      await waitFor('inside has an IP', () => ipOf(api, 'inside'));
      const failed = await waitFor('AllocationFailed', () =>
        api.list(EVENT, 'a').find((e) => e['reason'] === 'AllocationFailed' && (e['involvedObject'] as Obj)['name'] === 'outside'),
      );
      assert.equal(failed['type'], 'Warning');
      assert.match(String(failed['message']), /^Failed to allocate IP for "a\/outside": /);
      assert.deepEqual(ingressOf(svcOf(api, 'outside')), []);
    } finally {
      await c.close();
      client.close();
    }
  });

  await t.test('a broken pool keeps the last good configuration, sets the stale metric and writes ConfigurationState', async () => {
    const client = clientFor(api, dir);
    const c = start(client);
    try {
      await waitFor('synced', () => (c.ready() && c.controller.state?.config ? true : undefined));
      const p = api.get(POOL, 'metallb-system', 'default') as Obj;
      api.update({ ...p, spec: { addresses: ['192.0.2.0/28', 'not-an-address'] } });
      await waitFor('stale', () => (c.metricsSnapshot().config.stale ? true : undefined));
      const cs = await waitFor('ConfigurationState Invalid', () => {
        const o = api.get(CONFIGURATION_STATE, 'metallb-system', 'controller');
        return (o?.['status'] as Obj | undefined)?.['result'] === 'Invalid' ? o : undefined;
      });
      const status = cs['status'] as Obj;
      assert.match(String(status['errorSummary']), /^configuration error: IPAddressPool\/default: spec.addresses\[1\]: /);
      const cond = (status['conditions'] as Obj[])[0] as Obj;
      assert.deepEqual([cond['type'], cond['status'], cond['reason']], ['poolReconcilerValid', 'False', 'ConfigurationError']);
      // The last good configuration still allocates.
      api.create(service('during-stale'));
      assert.match(await waitFor('an IP from the last good pool', () => ipOf(api, 'during-stale')), /^192\.0\.2\./);
      // Repaired.
      api.update({ ...(api.get(POOL, 'metallb-system', 'default') as Obj), spec: { addresses: ['192.0.2.0/28'] } });
      await waitFor('Valid again', () => ((api.get(CONFIGURATION_STATE, 'metallb-system', 'controller')?.['status'] as Obj)['result'] === 'Valid' ? true : undefined));
      assert.equal(c.metricsSnapshot().config.stale, false);
    } finally {
      await c.close();
      client.close();
    }
  });

  await t.test('a 409 on a status write is retried on fresh data', async () => {
    const client = clientFor(api, dir);
    let conflicts = 0;
    // Someone else changes the Service (a label) just before our status update reaches the server:
    // the update carries a stale resourceVersion and the double answers 409.
    const racing: KubeApi = {
      request: async (method: string, path: string, options?: RequestOptions): Promise<ApiResponse> => {
        if (method === 'PUT' && path === '/api/v1/namespaces/a/services/racy/status' && conflicts === 0) {
          const cur = svcOf(api, 'racy') as Obj;
          api.update({ ...cur, metadata: { ...(cur['metadata'] as Obj), labels: { touched: 'yes' } } });
        }
        const r = await client.request(method, path, options);
        if (process.env['CONTROLLER_TEST_LOGS'] && path.includes('racy')) process.stdout.write(`${method} ${path} ${r.status} ${JSON.stringify(r.body).slice(0, 300)}\n`);
        if (r.status === 409) conflicts++;
        return r;
      },
      watch: (path: string, options: WatchOptions) => client.watch(path, options),
    };
    const c = start(racing);
    try {
      await waitFor('synced', () => (c.ready() ? true : undefined));
      api.create(service('racy'));
      await waitFor('racy has an IP', () => ipOf(api, 'racy'));
      assert.equal(conflicts, 1, 'the first status update conflicted');
      assert.equal(((svcOf(api, 'racy')?.['metadata'] as Obj)['labels'] as Obj)['touched'], 'yes', 'the other change is kept');
    } finally {
      await c.close();
      client.close();
    }
  });
});

/** A `metallb-ts controller` child process and the lines it logged. */
interface Child {
  readonly proc: ChildProcess;
  readonly lines: string[];
  readonly exited: Promise<void>;
}

function spawnController(kubeconfig: string, port: number): Child {
  const proc = spawn(
    process.execPath,
    [join(root, 'bin/metallb-ts'), 'controller', '--kubeconfig', kubeconfig, '--namespace', 'metallb-system', '--metrics-addr', `127.0.0.1:${port}`, '--lease-duration', '10s'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const lines: string[] = [];
  let buf = '';
  proc.stdout?.setEncoding('utf8');
  proc.stdout?.on('data', (d: string) => {
    buf += d;
    let nl: number;
    while ((nl = buf.indexOf('\n')) !== -1) {
      lines.push(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
    }
  });
  proc.stderr?.resume();
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  return { proc, lines, exited };
}

const logged = (c: Child, event: string): boolean => c.lines.some((l) => l.includes(`"event":"${event}"`));

test('two controller processes elect one leader; SIGKILL of the leader: the other takes over within 15 s and writes', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kc-election-'));
  const api = await startDouble();
  const kubeconfig = join(dir, 'kubeconfig');
  api.writeKubeconfig(kubeconfig);
  const children: Child[] = [];
  t.after(async () => {
    for (const c of children) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGKILL');
    await Promise.all(children.map((c) => c.exited));
    await api.close();
    rmSync(dir, { recursive: true, force: true });
  });
  api.create(pool('default', ['192.0.2.0/28']));
  api.create(service('first'));
  const a = spawnController(kubeconfig, 0);
  const b = spawnController(kubeconfig, 0);
  children.push(a, b);
  await waitFor('one leader', () => (logged(a, 'leaseAcquired') || logged(b, 'leaseAcquired') ? true : undefined), 30_000);
  await waitFor('first has an IP', () => ipOf(api, 'first'), 30_000);
  const leader = logged(a, 'leaseAcquired') ? a : b;
  const standby = leader === a ? b : a;
  assert.ok(!logged(standby, 'leaseAcquired'), 'only one leader');
  await waitFor('the standby is synced', () => (logged(standby, 'initialLoad') ? true : undefined), 30_000);

  leader.proc.kill('SIGKILL');
  await leader.exited;
  const killedAt = Date.now();
  api.create(service('after-failover'));
  await waitFor('the standby took over', () => (logged(standby, 'leaseAcquired') ? true : undefined), 20_000);
  const tookOver = Date.now() - killedAt;
  assert.ok(tookOver <= 15_000, `took over after ${tookOver} ms`);
  await waitFor('after-failover has an IP', () => ipOf(api, 'after-failover'), 10_000);
  assert.equal(ipOf(api, 'first'), '192.0.2.0', 'the take-over moved no IP');
  assert.equal(ipOf(api, 'after-failover'), '192.0.2.1');
});
