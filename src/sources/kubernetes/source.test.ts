import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { ChangeBatch, ObjectChange } from '../../model/cluster.js';
import { createLogger } from '../../observe/log.js';
import { KubernetesSource } from './source.js';
import type { WatchedKind } from './resources.js';
import { FakeKubeApi } from './test-api.js';

const NS = 'metallb-system';
const SERVICES = '/api/v1/services';
const NODES = '/api/v1/nodes';
const CONFIGMAPS = `/api/v1/namespaces/${NS}/configmaps`;
const POOLS = `/apis/metallb.io/v1beta1/namespaces/${NS}/ipaddresspools`;
const PEERS = `/apis/metallb.io/v1beta2/namespaces/${NS}/bgppeers`;

function service(name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec: { type: 'LoadBalancer', ports: [{ port: 80 }], ...extra } };
}

/** Batches as they arrive, and a way to wait for the one that satisfies a condition. */
class Batches {
  readonly all: ChangeBatch[] = [];
  #waiters: { pred: (b: ChangeBatch) => boolean; resolve: (b: ChangeBatch) => void }[] = [];

  readonly onBatch = (b: ChangeBatch): void => {
    this.all.push(b);
    for (const w of [...this.#waiters]) {
      if (w.pred(b)) {
        this.#waiters.splice(this.#waiters.indexOf(w), 1);
        w.resolve(b);
      }
    }
  };

  /** The next batch satisfying `pred` (one already received counts only if `since` is before it). */
  next(pred: (b: ChangeBatch) => boolean): Promise<ChangeBatch> {
    return new Promise((resolve) => this.#waiters.push({ pred, resolve }));
  }
}

function has(b: ChangeBatch, op: ObjectChange['op'], key: string): boolean {
  return b.changes.some((c) => c.op === op && c.key === key);
}

/** Log lines, and a way to wait for an event. */
function recordingLogger(): { lines: Record<string, unknown>[]; logger: ReturnType<typeof createLogger>; next(event: string): Promise<Record<string, unknown>> } {
  const lines: Record<string, unknown>[] = [];
  const waiters: { event: string; resolve: (l: Record<string, unknown>) => void }[] = [];
  const logger = createLogger({
    level: 'all',
    write: (line) => {
      const l = JSON.parse(line) as Record<string, unknown>;
      lines.push(l);
      for (const w of [...waiters]) {
        if (w.event === l['event']) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(l);
        }
      }
    },
  });
  return { lines, logger, next: (event) => new Promise((resolve) => waiters.push({ event, resolve })) };
}

const sources: KubernetesSource[] = [];
afterEach(async () => {
  for (const s of sources.splice(0)) await s.close();
});

function start(api: FakeKubeApi, batches: Batches, kinds: readonly WatchedKind[], logger = createLogger({ level: 'none' })): KubernetesSource {
  const source = new KubernetesSource({ api, namespace: NS, kinds, logger, onBatch: batches.onBatch, timing: { initialBackoffMs: 5, maxBackoffMs: 20, pageSize: 2, missingRetryMs: 50 } });
  sources.push(source);
  source.start();
  return source;
}

describe('KubernetesSource', () => {
  it('delivers the first complete list of every kind as one batch, then each event in a small batch', async () => {
    const api = new FakeKubeApi();
    for (let i = 0; i < 5; i++) api.put(SERVICES, service(`s${i}`));
    api.put(NODES, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' } });
    api.put(CONFIGMAPS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'config', namespace: NS }, data: { config: 'peers: []' } });
    api.put(CONFIGMAPS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'other', namespace: NS }, data: {} });
    api.put(POOLS, { apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name: 'p', namespace: NS }, spec: { addresses: ['10.0.0.0/24'] } });
    const batches = new Batches();
    const source = start(api, batches, ['Service', 'Node', 'ConfigMap', 'IPAddressPool']);
    await source.synced;
    assert.equal(batches.all.length, 1);
    const first = batches.all[0] as ChangeBatch;
    // Five services over three pages of two, the node, the ConfigMap `config` only, the pool.
    assert.equal(first.changes.length, 8);
    for (let i = 0; i < 5; i++) assert.ok(has(first, 'upsert', `default/s${i}`));
    assert.ok(has(first, 'upsert', 'n1'));
    assert.ok(has(first, 'upsert', `ConfigMap/${NS}/config`));
    assert.ok(!first.changes.some((c) => c.key.includes('other')));
    const pool = first.changes.find((c) => c.key === `IPAddressPool/${NS}/p`);
    assert.ok(pool && pool.op === 'upsert' && pool.kind === 'Config');
    // List items come without kind and apiVersion; the configuration builder needs them.
    assert.equal((pool.object as { object: Record<string, unknown> }).object['apiVersion'], 'metallb.io/v1beta1');

    const added = batches.next((b) => has(b, 'upsert', 'default/late'));
    api.put(SERVICES, service('late'));
    const b = await added;
    assert.equal(b.changes.length, 1);
    const removed = batches.next((b) => has(b, 'delete', 'default/s0'));
    api.remove(SERVICES, 'default', 's0');
    assert.equal((await removed).changes.length, 1);
  });

  it('passes on an invalid object as invalid, and the others as they are', async () => {
    const api = new FakeKubeApi();
    api.put(SERVICES, service('good'));
    api.put(SERVICES, service('bad', { ports: [{ port: 70000 }] }));
    const batches = new Batches();
    const source = start(api, batches, ['Service']);
    await source.synced;
    const first = batches.all[0] as ChangeBatch;
    assert.ok(has(first, 'upsert', 'default/good'));
    const bad = first.changes.find((c) => c.key === 'default/bad');
    assert.ok(bad && bad.op === 'invalid');
    assert.equal(bad.issues[0]?.rule, 'outOfRange');
    assert.equal(bad.issues[0]?.path, 'spec.ports[0].port');
  });

  it('resumes a dropped watch from the last resourceVersion, without listing again', async () => {
    const api = new FakeKubeApi();
    api.put(SERVICES, service('a'));
    const batches = new Batches();
    const source = start(api, batches, ['Service']);
    await source.synced;
    const lists = api.lists;
    const watches = api.watches;
    api.dropWatches();
    // A change made while no watch is open arrives through the resumed watch's history.
    const arrived = batches.next((b) => has(b, 'upsert', 'default/b'));
    api.put(SERVICES, service('b'));
    const b = await arrived;
    assert.equal(b.changes.length, 1);
    assert.equal(api.lists, lists, 'no relist');
    assert.ok(api.watches > watches);
  });

  it('relists after 410 Gone and passes on only the difference; nothing that still exists is withdrawn', async () => {
    const api = new FakeKubeApi();
    api.put(SERVICES, service('same'));
    api.put(SERVICES, service('changed'));
    api.put(SERVICES, service('vanished'));
    const batches = new Batches();
    const { logger, next } = recordingLogger();
    const source = start(api, batches, ['Service'], logger);
    await source.synced;
    const relisted = next('k8sRelist');
    const diff = batches.next((b) => b.changes.length > 0);
    // The changes happen while the watch hears nothing, and the history is compacted: only a relist finds them.
    api.quietly(() => {
      api.put(SERVICES, service('changed', { ports: [{ port: 81 }] }));
      api.remove(SERVICES, 'default', 'vanished');
      api.put(SERVICES, service('new'));
    });
    api.sendGone();
    await relisted;
    const b = await diff;
    assert.deepEqual(
      b.changes.map((c) => `${c.op} ${c.key}`).sort(),
      ['delete default/vanished', 'upsert default/changed', 'upsert default/new'],
    );
  });

  it('relists when resuming finds the history expired (the watch answers 410)', async () => {
    const api = new FakeKubeApi();
    api.put(SERVICES, service('a'));
    const batches = new Batches();
    const source = start(api, batches, ['Service']);
    await source.synced;
    const diff = batches.next((b) => b.changes.length > 0);
    api.quietly(() => api.remove(SERVICES, 'default', 'a'));
    api.dropWatches();
    const b = await diff;
    assert.deepEqual(b.changes.map((c) => `${c.op} ${c.key}`), ['delete default/a']);
  });

  it('deletes nothing while the server is unreachable, logs the loss and the recovery, and catches up', async () => {
    const api = new FakeKubeApi();
    api.put(SERVICES, service('a'));
    api.put(NODES, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' } });
    const batches = new Batches();
    const { logger, next, lines } = recordingLogger();
    const source = start(api, batches, ['Service', 'Node'], logger);
    await source.synced;
    const lost = next('k8sConnectionLost');
    api.down = true;
    api.dropWatches(new Error('socket hang up'));
    const line = await lost;
    assert.equal(line['level'], 'error');
    assert.equal(source.reachability, 'unreachable');
    // Several retries fail; still nothing is delivered.
    while (lines.filter((l) => l['event'] === 'k8sRetry').length < 4) await next('k8sRetry');
    assert.equal(batches.all.length, 1);
    const restored = next('k8sConnectionRestored');
    const later = batches.next((b) => has(b, 'upsert', 'default/b'));
    api.down = false;
    api.put(SERVICES, service('b'));
    await restored;
    const b = await later;
    assert.ok(!b.changes.some((c) => c.op === 'delete'));
    assert.equal(lines.filter((l) => l['event'] === 'k8sConnectionLost').length, 1);
  });

  it('restarts a list whose continue token expired, and a resource not served counts as empty', async () => {
    const api = new FakeKubeApi();
    for (let i = 0; i < 5; i++) api.put(SERVICES, service(`s${i}`));
    api.expireContinue = true;
    api.missing.add(PEERS);
    const batches = new Batches();
    const source = start(api, batches, ['Service', 'BGPPeer']);
    await source.synced;
    const first = batches.all[0] as ChangeBatch;
    assert.equal(first.changes.length, 5);
    assert.equal(new Set(first.changes.map((c) => c.key)).size, 5);
    // The CRD installed later is picked up.
    const peer = batches.next((b) => has(b, 'upsert', `BGPPeer/${NS}/p1`));
    api.put(PEERS, { apiVersion: 'metallb.io/v1beta2', kind: 'BGPPeer', metadata: { name: 'p1', namespace: NS }, spec: { myASN: 64500, peerASN: 64501, peerAddress: '10.0.0.1' } });
    api.missing.delete(PEERS);
    await peer;
  });
});
