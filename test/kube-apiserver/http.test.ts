/**
 * The double over plain HTTP, checked against what the real API server answers: discovery, create
 * (generateName, AlreadyExists, Invalid, NotFound namespace), update with a stale resourceVersion
 * (409 Conflict), the status subresource, generation, patches, finalizers, list pagination and
 * selectors, watch replay from a resourceVersion, selector transitions, 410 Gone, bookmarks,
 * dropped watches, CRDs, and persistence across a restart.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ApiServerDouble } from './server.js';
import { startApiServer } from './server.js';
import type { Loose } from './test-support.js';
import { call, openWatch } from './test-support.js';

const SVC = '/api/v1/namespaces/default/services';

function service(name: string, extra: Loose = {}): Loose {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, labels: { app: name } }, spec: { type: 'LoadBalancer', ports: [{ port: 80 }], ...extra } };
}

describe('kube-apiserver double over HTTP', () => {
  let api: ApiServerDouble;
  let url = '';
  before(async () => {
    api = await startApiServer({ historySize: 1000 });
    url = api.url;
  });
  after(async () => {
    await api.close();
  });

  test('discovery: /version, /api, /api/v1 with services/status, /apis with our groups', async () => {
    const v = await call(url, 'GET', '/version');
    assert.equal(v.body.major, '1');
    const core = await call(url, 'GET', '/api');
    assert.deepEqual(core.body.versions, ['v1']);
    const v1 = await call(url, 'GET', '/api/v1');
    assert.equal(v1.body.kind, 'APIResourceList');
    const svc = v1.body.resources.find((r: Loose) => r.name === 'services');
    assert.equal(svc.namespaced, true);
    assert.deepEqual(svc.shortNames, ['svc']);
    assert.ok(svc.verbs.includes('watch'));
    assert.ok(v1.body.resources.some((r: Loose) => r.name === 'services/status'));
    const groups = await call(url, 'GET', '/apis');
    const names = groups.body.groups.map((g: Loose) => g.name);
    for (const g of ['discovery.k8s.io', 'coordination.k8s.io', 'apiextensions.k8s.io']) assert.ok(names.includes(g), g);
    const disc = await call(url, 'GET', '/apis/discovery.k8s.io/v1');
    assert.equal(disc.body.resources[0].kind, 'EndpointSlice');
    assert.equal((await call(url, 'GET', '/apis/nope.io/v1')).status, 404);
  });

  test('create: defaults and metadata, generateName, AlreadyExists, Invalid, missing namespace', async () => {
    const r = await call(url, 'POST', SVC, service('create-a'));
    assert.equal(r.status, 201);
    assert.match(r.body.metadata.uid, /^[0-9a-f-]{36}$/);
    assert.match(r.body.metadata.resourceVersion, /^\d+$/);
    assert.match(r.body.metadata.creationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal(r.body.spec.ports[0].protocol, 'TCP');
    assert.equal(r.body.spec.ports[0].targetPort, 80);
    assert.match(r.body.spec.clusterIP, /^10\.96\./);
    assert.ok(r.body.spec.ports[0].nodePort >= 30000);
    assert.deepEqual(r.body.status, { loadBalancer: {} });
    const again = await call(url, 'POST', SVC, service('create-a'));
    assert.equal(again.status, 409);
    assert.equal(again.body.kind, 'Status');
    assert.equal(again.body.reason, 'AlreadyExists');
    assert.equal(again.body.message, 'services "create-a" already exists');
    const gen = await call(url, 'POST', '/api/v1/namespaces/default/configmaps', { metadata: { generateName: 'cm-' }, data: { a: 'b' } });
    assert.equal(gen.status, 201);
    assert.match(gen.body.metadata.name, /^cm-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    const bad = await call(url, 'POST', SVC, { metadata: { name: 'bad' }, spec: { ports: [{ port: 70000 }] } });
    assert.equal(bad.status, 422);
    assert.equal(bad.body.reason, 'Invalid');
    assert.equal(bad.body.details.causes[0].field, 'spec.ports[0].port');
    const nons = await call(url, 'POST', '/api/v1/namespaces/nowhere/configmaps', { metadata: { name: 'x' } });
    assert.equal(nons.status, 404);
    assert.equal(nons.body.message, 'namespaces "nowhere" not found');
    const missing = await call(url, 'GET', `${SVC}/nope`);
    assert.equal(missing.status, 404);
    assert.equal(missing.body.reason, 'NotFound');
    assert.equal(missing.body.details.kind, 'services');
  });

  test('update: a stale resourceVersion is 409 Conflict; the main resource ignores status; /status changes only status', async () => {
    const created = (await call(url, 'POST', SVC, service('upd'))).body;
    const changed = structuredClone(created);
    changed.metadata.labels.tier = 'web';
    changed.status = { loadBalancer: { ingress: [{ ip: '192.0.2.1' }] } };
    const put = await call(url, 'PUT', `${SVC}/upd`, changed);
    assert.equal(put.status, 200);
    assert.equal(put.body.metadata.labels.tier, 'web');
    assert.deepEqual(put.body.status, { loadBalancer: {} }, 'the main resource ignores status');
    assert.ok(Number(put.body.metadata.resourceVersion) > Number(created.metadata.resourceVersion));
    const stale = await call(url, 'PUT', `${SVC}/upd`, changed);
    assert.equal(stale.status, 409);
    assert.equal(stale.body.reason, 'Conflict');
    assert.match(stale.body.message, /the object has been modified; please apply your changes to the latest version and try again/);
    const st = structuredClone(put.body);
    st.status = { loadBalancer: { ingress: [{ ip: '192.0.2.1' }] } };
    st.spec.ports = [{ port: 443 }];
    st.metadata.labels.other = 'x';
    const sput = await call(url, 'PUT', `${SVC}/upd/status`, st);
    assert.equal(sput.status, 200);
    assert.equal(sput.body.status.loadBalancer.ingress[0].ip, '192.0.2.1');
    assert.equal(sput.body.spec.ports[0].port, 80, '/status leaves spec alone');
    assert.equal(sput.body.metadata.labels.other, undefined, '/status leaves metadata alone');
    const mp = await call(url, 'PATCH', `${SVC}/upd/status`, { status: { loadBalancer: { ingress: [{ ip: '192.0.2.2' }] } } }, 'application/merge-patch+json');
    assert.equal(mp.body.status.loadBalancer.ingress[0].ip, '192.0.2.2');
    // A write that changes nothing keeps the resourceVersion (and sends no event).
    const same = await call(url, 'PUT', `${SVC}/upd`, mp.body);
    assert.equal(same.body.metadata.resourceVersion, mp.body.metadata.resourceVersion);
  });

  test('patch: merge, JSON and strategic merge patch (ports by port); SMP refused on custom resources is tested with CRDs', async () => {
    await call(url, 'POST', SVC, service('pat', { ports: [{ name: 'a', port: 80 }, { name: 'b', port: 81 }] }));
    const smp = await call(url, 'PATCH', `${SVC}/pat`, { spec: { ports: [{ port: 81, name: 'b', targetPort: 9081 }, { port: 80, $patch: 'delete' }], '$setElementOrder/ports': [{ port: 81 }] } }, 'application/strategic-merge-patch+json');
    assert.equal(smp.status, 200, smp.text);
    assert.deepEqual(smp.body.spec.ports.map((p: Loose) => [p.port, p.targetPort]), [[81, 9081]]);
    const merge = await call(url, 'PATCH', `${SVC}/pat`, { metadata: { labels: { app: null, x: 'y' } } }, 'application/merge-patch+json');
    assert.deepEqual(merge.body.metadata.labels, { x: 'y' });
    const jp = await call(url, 'PATCH', `${SVC}/pat`, [{ op: 'test', path: '/metadata/labels/x', value: 'y' }, { op: 'add', path: '/metadata/annotations', value: { a: 'b' } }], 'application/json-patch+json');
    assert.equal(jp.body.metadata.annotations.a, 'b');
    const failed = await call(url, 'PATCH', `${SVC}/pat`, [{ op: 'test', path: '/metadata/labels/x', value: 'z' }], 'application/json-patch+json');
    assert.equal(failed.status, 422);
    const stale = await call(url, 'PATCH', `${SVC}/pat`, { metadata: { resourceVersion: '1', labels: { q: 'r' } } }, 'application/merge-patch+json');
    assert.equal(stale.status, 409, 'a resourceVersion in a patch is a precondition');
    const ssa = await call(url, 'PATCH', `${SVC}/pat`, 'metadata: {}', 'application/apply-patch+yaml');
    assert.equal(ssa.status, 415);
  });

  test('delete: returns the object for Services and a Success Status for ConfigMaps; finalizers hold an object until removed', async () => {
    await call(url, 'POST', SVC, service('del'));
    const d = await call(url, 'DELETE', `${SVC}/del`);
    assert.equal(d.status, 200);
    assert.equal(d.body.kind, 'Service');
    await call(url, 'POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'del' } });
    const dc = await call(url, 'DELETE', '/api/v1/namespaces/default/configmaps/del');
    assert.equal(dc.body.kind, 'Status');
    assert.equal(dc.body.status, 'Success');
    assert.equal((await call(url, 'DELETE', '/api/v1/namespaces/default/configmaps/del')).status, 404);
    const fin = (await call(url, 'POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'fin', finalizers: ['example.com/hold'] } })).body;
    const marked = await call(url, 'DELETE', '/api/v1/namespaces/default/configmaps/fin');
    assert.equal(marked.status, 200);
    assert.ok(marked.body.metadata.deletionTimestamp);
    assert.equal((await call(url, 'GET', '/api/v1/namespaces/default/configmaps/fin')).status, 200);
    const w = await openWatch(url, `/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=${marked.body.metadata.resourceVersion}`);
    const cleared = await call(url, 'PATCH', '/api/v1/namespaces/default/configmaps/fin', { metadata: { finalizers: null } }, 'application/merge-patch+json');
    assert.equal(cleared.status, 200);
    const ev = await w.next();
    assert.equal(ev?.type, 'DELETED');
    assert.equal(ev?.object.metadata.uid, fin.metadata.uid);
    w.close();
    assert.equal((await call(url, 'GET', '/api/v1/namespaces/default/configmaps/fin')).status, 404);
  });

  test('list: resourceVersion, labelSelector, fieldSelector, limit and continue, remainingItemCount', async () => {
    await call(url, 'POST', '/api/v1/namespaces', { metadata: { name: 'lst' } });
    for (let i = 0; i < 5; i++) await call(url, 'POST', '/api/v1/namespaces/lst/configmaps', { metadata: { name: `c${i}`, labels: { n: String(i), even: String(i % 2 === 0) } } });
    const all = await call(url, 'GET', '/api/v1/namespaces/lst/configmaps');
    assert.equal(all.body.kind, 'ConfigMapList');
    assert.equal(all.body.items.length, 5);
    assert.match(all.body.metadata.resourceVersion, /^\d+$/);
    const even = await call(url, 'GET', '/api/v1/namespaces/lst/configmaps?labelSelector=even%3Dtrue');
    assert.deepEqual(even.body.items.map((i: Loose) => i.metadata.name), ['c0', 'c2', 'c4']);
    const set = await call(url, 'GET', `/api/v1/namespaces/lst/configmaps?labelSelector=${encodeURIComponent('n in (1,3),even!=true')}`);
    assert.deepEqual(set.body.items.map((i: Loose) => i.metadata.name), ['c1', 'c3']);
    const byName = await call(url, 'GET', '/api/v1/configmaps?fieldSelector=metadata.name%3Dc3');
    assert.deepEqual(byName.body.items.map((i: Loose) => i.metadata.namespace), ['lst']);
    const badField = await call(url, 'GET', '/api/v1/configmaps?fieldSelector=spec.nope%3D1');
    assert.equal(badField.status, 400);
    assert.match(badField.body.message, /field label not supported: spec.nope/);
    const p1 = await call(url, 'GET', '/api/v1/namespaces/lst/configmaps?limit=2');
    assert.equal(p1.body.items.length, 2);
    assert.equal(p1.body.metadata.remainingItemCount, 3);
    const p2 = await call(url, 'GET', `/api/v1/namespaces/lst/configmaps?limit=2&continue=${encodeURIComponent(p1.body.metadata.continue)}`);
    const p3 = await call(url, 'GET', `/api/v1/namespaces/lst/configmaps?limit=2&continue=${encodeURIComponent(p2.body.metadata.continue)}`);
    assert.deepEqual([...p1.body.items, ...p2.body.items, ...p3.body.items].map((i: Loose) => i.metadata.name), ['c0', 'c1', 'c2', 'c3', 'c4']);
    assert.equal(p3.body.metadata.continue, undefined);
    assert.equal(p2.body.metadata.resourceVersion, p1.body.metadata.resourceVersion);
    const tooLarge = await call(url, 'GET', `/api/v1/configmaps?resourceVersion=${Number(api.resourceVersion()) + 100}`);
    assert.equal(tooLarge.status, 504);
  });

  test('watch: replays from a resourceVersion, selector transitions give ADDED/DELETED, bookmarks, timeoutSeconds', async () => {
    await call(url, 'POST', '/api/v1/namespaces', { metadata: { name: 'wat' } });
    const list = await call(url, 'GET', '/api/v1/namespaces/wat/configmaps');
    const rv = list.body.metadata.resourceVersion;
    await call(url, 'POST', '/api/v1/namespaces/wat/configmaps', { metadata: { name: 'w1', labels: { sel: 'yes' } } });
    const w = await openWatch(url, `/api/v1/namespaces/wat/configmaps?watch=true&resourceVersion=${rv}&labelSelector=sel%3Dyes&allowWatchBookmarks=true`);
    assert.equal(w.status, 200);
    const added = await w.next();
    assert.equal(added?.type, 'ADDED');
    assert.equal(added?.object.kind, 'ConfigMap');
    assert.equal(added?.object.metadata.name, 'w1');
    await call(url, 'PATCH', '/api/v1/namespaces/wat/configmaps/w1', { data: { k: 'v' } }, 'application/merge-patch+json');
    const mod = await w.next();
    assert.equal(mod?.type, 'MODIFIED');
    assert.equal(mod?.object.data.k, 'v');
    const left = await call(url, 'PATCH', '/api/v1/namespaces/wat/configmaps/w1', { metadata: { labels: { sel: 'no' } } }, 'application/merge-patch+json');
    const gone = await w.next();
    assert.equal(gone?.type, 'DELETED', 'leaving the selection is a DELETED for this watch');
    assert.equal(gone?.object.metadata.resourceVersion, left.body.metadata.resourceVersion);
    await call(url, 'PATCH', '/api/v1/namespaces/wat/configmaps/w1', { metadata: { labels: { sel: 'yes' } } }, 'application/merge-patch+json');
    assert.equal((await w.next())?.type, 'ADDED');
    api.sendBookmarks();
    const bm = await w.next();
    assert.equal(bm?.type, 'BOOKMARK');
    assert.equal(bm?.object.metadata.resourceVersion, api.resourceVersion());
    w.close();
    // Without a resourceVersion: the current objects as ADDED first.
    const w0 = await openWatch(url, '/api/v1/namespaces/wat/configmaps?watch=1&timeoutSeconds=1');
    const first = await w0.next();
    assert.equal(first?.type, 'ADDED');
    assert.equal(first?.object.metadata.name, 'w1');
    await w0.ended; // timeoutSeconds ends the stream
    assert.equal(await w0.next(), undefined);
  });

  test('watch: sendInitialEvents ends the initial ADDED events with a bookmark annotated k8s.io/initial-events-end', async () => {
    const w = await openWatch(url, '/api/v1/namespaces/wat/configmaps?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true');
    assert.equal((await w.next())?.type, 'ADDED');
    const bm = await w.next();
    assert.equal(bm?.type, 'BOOKMARK');
    assert.equal(bm?.object.metadata.annotations['k8s.io/initial-events-end'], 'true');
    w.close();
  });

  test('watch: a resourceVersion older than the history is 200 then ERROR 410 Expired; dropWatches ends open watches', async () => {
    const rv = api.resourceVersion();
    const w = await openWatch(url, `/api/v1/namespaces/default/services?watch=1&resourceVersion=${rv}`);
    await call(url, 'POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'later' } });
    api.expireHistory();
    assert.equal(api.dropWatches(), 1);
    await w.ended;
    const old = await openWatch(url, `/api/v1/namespaces/default/services?watch=1&resourceVersion=${rv}`);
    assert.equal(old.status, 200);
    const err = await old.next();
    assert.equal(err?.type, 'ERROR');
    assert.equal(err?.object.kind, 'Status');
    assert.equal(err?.object.code, 410);
    assert.equal(err?.object.reason, 'Expired');
    assert.match(err?.object.message, /^too old resource version: \d+ \(\d+\)$/);
    assert.equal(await old.next(), undefined);
    // A fresh list gives a resourceVersion to watch from again.
    const list = await call(url, 'GET', SVC);
    const fresh = await openWatch(url, `${SVC}?watch=1&resourceVersion=${list.body.metadata.resourceVersion}`);
    await call(url, 'POST', SVC, service('after-410'));
    assert.equal((await fresh.next())?.object.metadata.name, 'after-410');
    fresh.close();
  });

  test('Lease: renewTime keeps its microseconds; PUT creates a missing Lease', async () => {
    const lease = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'ctl', namespace: 'default' }, spec: { holderIdentity: 'a', leaseDurationSeconds: 15, renewTime: '2026-01-02T03:04:05.123456Z', acquireTime: '2026-01-02T03:04:05.000001Z' } };
    const put = await call(url, 'PUT', '/apis/coordination.k8s.io/v1/namespaces/default/leases/ctl', lease);
    assert.equal(put.status, 201);
    const got = await call(url, 'GET', '/apis/coordination.k8s.io/v1/namespaces/default/leases/ctl');
    assert.equal(got.body.spec.renewTime, '2026-01-02T03:04:05.123456Z');
  });

  test('CRD: serves its kind (discovery), validates against the schema, prunes or rejects unknown fields, status subresource, refuses SMP', async () => {
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'widgets.example.com' },
      spec: {
        group: 'example.com',
        scope: 'Namespaced',
        names: { plural: 'widgets', singular: 'widget', kind: 'Widget', shortNames: ['wd'] },
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            subresources: { status: {} },
            schema: {
              openAPIV3Schema: {
                type: 'object',
                properties: {
                  spec: { type: 'object', required: ['size'], properties: { size: { type: 'integer', minimum: 1 }, color: { type: 'string', enum: ['red', 'blue'], default: 'red' } } },
                  status: { type: 'object', properties: { ready: { type: 'boolean' } } },
                },
              },
            },
          },
        ],
      },
    };
    const c = await call(url, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd);
    assert.equal(c.status, 201, c.text);
    assert.equal(c.body.status.conditions.find((x: Loose) => x.type === 'Established').status, 'True');
    const disc = await call(url, 'GET', '/apis/example.com/v1');
    assert.deepEqual(disc.body.resources.map((r: Loose) => r.name), ['widgets', 'widgets/status']);
    const base = '/apis/example.com/v1/namespaces/default/widgets';
    const ok = await call(url, 'POST', base, { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' }, spec: { size: 2, extra: true }, status: { ready: true } });
    assert.equal(ok.status, 201, ok.text);
    assert.equal(ok.body.spec.color, 'red', 'defaulted');
    assert.equal(ok.body.spec.extra, undefined, 'pruned');
    assert.equal(ok.body.status, undefined, 'status is cleared on create with the subresource');
    assert.equal(ok.body.metadata.generation, 1);
    assert.match(ok.headers.get('warning') ?? '', /unknown field \\?"spec.extra\\?"/);
    const strict = await call(url, 'POST', `${base}?fieldValidation=Strict`, { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w2' }, spec: { size: 2, extra: true } });
    assert.equal(strict.status, 400);
    assert.match(strict.body.message, /strict decoding error: unknown field "spec.extra"/);
    const bad = await call(url, 'POST', base, { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w3' }, spec: { size: 0, color: 'green' } });
    assert.equal(bad.status, 422);
    assert.deepEqual(bad.body.details.causes.map((x: Loose) => x.field).sort(), ['spec.color', 'spec.size']);
    assert.match(bad.body.message, /^Widget.example.com "w3" is invalid: /);
    const noRv = await call(url, 'PUT', `${base}/w`, { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' }, spec: { size: 3 } });
    assert.equal(noRv.status, 422, 'custom resources need a resourceVersion on update');
    const st = await call(url, 'PATCH', `${base}/w/status`, { status: { ready: true } }, 'application/merge-patch+json');
    assert.equal(st.body.status.ready, true);
    assert.equal(st.body.metadata.generation, 1, 'a status change does not bump generation');
    const sp = await call(url, 'PATCH', `${base}/w`, { spec: { size: 5 } }, 'application/merge-patch+json');
    assert.equal(sp.body.metadata.generation, 2);
    const smp = await call(url, 'PATCH', `${base}/w`, { spec: { size: 6 } }, 'application/strategic-merge-patch+json');
    assert.equal(smp.status, 415);
    const del = await call(url, 'DELETE', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com');
    assert.equal(del.status, 200);
    assert.equal((await call(url, 'GET', base)).status, 404);
  });
});

test('persistence: objects and the resourceVersion counter survive a restart with the same data file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kube-double-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'state.jsonl');
  const a = await startApiServer({ dataFile: file });
  const s = await call(a.url, 'POST', SVC, service('keep'));
  await call(a.url, 'POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'gone' } });
  await call(a.url, 'DELETE', '/api/v1/namespaces/default/configmaps/gone');
  const rv = a.resourceVersion();
  await a.close();
  const b = await startApiServer({ dataFile: file });
  try {
    assert.equal(b.resourceVersion(), rv);
    const got = await call(b.url, 'GET', `${SVC}/keep`);
    assert.equal(got.body.metadata.uid, s.body.metadata.uid);
    assert.equal(got.body.spec.clusterIP, s.body.spec.clusterIP);
    assert.equal((await call(b.url, 'GET', '/api/v1/namespaces/default/configmaps/gone')).status, 404);
    // A watch resumed from the last resourceVersion before the restart misses nothing and is not 410.
    const w = await openWatch(b.url, `${SVC}?watch=1&resourceVersion=${rv}`);
    const next = await call(b.url, 'POST', SVC, service('after'));
    assert.ok(Number(next.body.metadata.resourceVersion) > Number(rv));
    const ev = await w.next();
    assert.equal(ev?.type, 'ADDED');
    assert.equal(ev?.object.metadata.name, 'after');
    w.close();
    // Another Service does not get the restored one's cluster IP.
    assert.notEqual(next.body.spec.clusterIP, s.body.spec.clusterIP);
  } finally {
    await b.close();
  }
});
