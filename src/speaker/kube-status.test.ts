import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SessionStatus } from '../bgp/session/session.js';
import { silentLogger } from '../observe/log.js';
import type { ApiResponse, KubeApi, RequestOptions, WatchOptions } from '../sources/kubernetes/client.js';
import { ServiceBgpStatusWriter, SessionStateWriter, sessionStateName, sessionStateStatus } from './kube-status.js';
import { WriteQueue } from './kube-write-queue.js';
import type { PlanChanges } from './planner.js';

type Obj = Record<string, unknown>;

/** Namespaced custom objects with resourceVersions, generateName, the status subresource, and injectable faults. */
class FakeObjects implements KubeApi {
  readonly objects = new Map<string, Obj>();
  rv = 1;
  generated = 0;
  /** Answers to give before serving normally, per verb (`PUT` status, `POST`, ...). */
  readonly faults: { method: string; status: number }[] = [];
  /** Someone else bumps the object before each of our next N status writes (a 409 for us). */
  interfere = 0;
  readonly calls: string[] = [];

  async request(method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse> {
    await Promise.resolve();
    this.calls.push(`${method} ${path}`);
    const fault = this.faults.findIndex((f) => f.method === method);
    if (fault !== -1) {
      const [f] = this.faults.splice(fault, 1);
      return { status: f?.status ?? 500, body: { kind: 'Status', message: 'injected' } };
    }
    const m = /^\/apis\/metallb\.io\/v1beta1\/namespaces\/([^/]+)\/([a-z]+)(?:\/([^/]+))?(\/status)?$/.exec(path);
    if (!m) return { status: 404, body: {} };
    const [, , plural, name, status] = m;
    const key = (n: string): string => `${plural}/${n}`;
    if (method === 'GET' && name === undefined) {
      const selector = String(options.query?.['labelSelector'] ?? '');
      const [lk, lv] = selector.split('=');
      const items = [...this.objects.entries()].filter(([k, o]) => k.startsWith(`${plural}/`) && (lk === undefined || lk === '' || ((o['metadata'] as Obj)['labels'] as Obj | undefined)?.[lk] === lv)).map(([, o]) => o);
      return { status: 200, body: { items, metadata: {} } };
    }
    if (method === 'POST') {
      const body = options.body as Obj;
      const meta = { ...(body['metadata'] as Obj) };
      if (typeof meta['generateName'] === 'string') meta['name'] = `${meta['generateName']}${++this.generated}`;
      delete meta['generateName'];
      if (this.objects.has(key(String(meta['name'])))) return { status: 409, body: { reason: 'AlreadyExists' } };
      meta['resourceVersion'] = String(++this.rv);
      const o: Obj = { ...body, metadata: meta };
      delete o['status'];
      this.objects.set(key(String(meta['name'])), o);
      return { status: 201, body: o };
    }
    if (name === undefined) return { status: 405, body: {} };
    const have = this.objects.get(key(name));
    if (method === 'GET') return have ? { status: 200, body: have } : { status: 404, body: {} };
    if (method === 'DELETE') {
      this.objects.delete(key(name));
      return have ? { status: 200, body: {} } : { status: 404, body: {} };
    }
    if (method === 'PUT' && status !== undefined) {
      if (!have) return { status: 404, body: {} };
      if (this.interfere > 0) {
        this.interfere--;
        (have['metadata'] as Obj)['resourceVersion'] = String(++this.rv);
      }
      const body = options.body as Obj;
      if ((body['metadata'] as Obj)['resourceVersion'] !== (have['metadata'] as Obj)['resourceVersion']) return { status: 409, body: { reason: 'Conflict' } };
      const o = { ...have, metadata: { ...(have['metadata'] as Obj), resourceVersion: String(++this.rv) }, status: body['status'] };
      this.objects.set(key(name), o);
      return { status: 200, body: o };
    }
    return { status: 405, body: {} };
  }

  watch(_path: string, _options: WatchOptions): Promise<void> {
    return Promise.reject(new Error('not used'));
  }

  ofKind(plural: string): Obj[] {
    return [...this.objects.entries()].filter(([k]) => k.startsWith(`${plural}/`)).map(([, o]) => o);
  }
}

const QUEUE = { initialBackoffMs: 1, maxBackoffMs: 5 };

function announced(service: string, peers: string[]): PlanChanges['announced'][number] {
  return { service, ip: '10.0.0.1', ips: ['10.0.0.1'], pool: 'p', numAds: 1, prefixes: ['10.0.0.1/32'], peers: peers.map((name) => ({ name, address: '192.0.2.1' })) };
}

function changes(c: Partial<PlanChanges>): PlanChanges {
  return { reset: false, peers: new Map(), announced: [], updated: [], withdrawn: [], ...c };
}

describe('WriteQueue', () => {
  it('writes only the latest desired state of an object set many times while one write is in flight', async () => {
    const written: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const q = new WriteQueue<number>({
      logger: silentLogger,
      what: 'test',
      concurrency: 1,
      write: async (key, v) => {
        written.push(`${key}=${String(v)}`);
        if (written.length === 1) await gate;
      },
    });
    q.resume();
    q.set('a', 1);
    for (let i = 2; i <= 50; i++) q.set('a', i);
    q.set('b', 1);
    release();
    await q.idle();
    assert.deepEqual(written, ['a=1', 'a=50', 'b=1']);
  });

  it('holds writes back while the server fails, then writes the latest state', async () => {
    let failures = 3;
    const written: number[] = [];
    const q = new WriteQueue<number>({
      logger: silentLogger,
      what: 'test',
      ...QUEUE,
      write: async (_key, v) => {
        if (failures-- > 0) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
        written.push(v ?? -1);
      },
    });
    q.resume();
    q.set('a', 1);
    q.set('a', 2);
    await q.idle();
    assert.deepEqual(written, [2]);
    assert.equal(q.failures, 3);
  });
});

describe('ServiceBgpStatusWriter', () => {
  it('creates one object per announced service with MetalLB 0.15 name, labels and status, and deletes it when withdrawn', async () => {
    const api = new FakeObjects();
    const w = new ServiceBgpStatusWriter({ api, namespace: 'metallb-system', node: 'n1', logger: silentLogger, queue: QUEUE });
    w.planChanged(changes({ announced: [announced('default/web', ['peer-b', 'peer-a']), announced('default/none', [])] }));
    await w.started;
    await w.queue.idle();
    const objs = api.ofKind('servicebgpstatuses');
    assert.equal(objs.length, 1, 'a service announced to no peer has no object');
    const o = objs[0] as Obj;
    assert.match(String((o['metadata'] as Obj)['name']), /^bgp-/);
    assert.deepEqual((o['metadata'] as Obj)['labels'], { 'metallb.io/node': 'n1', 'metallb.io/service-name': 'web', 'metallb.io/service-namespace': 'default' });
    assert.deepEqual(o['status'], { node: 'n1', serviceName: 'web', serviceNamespace: 'default', peers: ['peer-a', 'peer-b'] });
    w.planChanged(changes({ withdrawn: [{ service: 'default/web', ips: ['10.0.0.1'], pool: 'p', reason: 'serviceDeleted' }] }));
    await w.queue.idle();
    assert.equal(api.ofKind('servicebgpstatuses').length, 0);
    w.close();
  });

  it('retries a status write that conflicts (409) on the fresh object', async () => {
    const api = new FakeObjects();
    const w = new ServiceBgpStatusWriter({ api, namespace: 'metallb-system', node: 'n1', logger: silentLogger, queue: QUEUE });
    await w.started;
    api.interfere = 2;
    w.planChanged(changes({ announced: [announced('default/web', ['a'])] }));
    await w.queue.idle();
    const o = api.ofKind('servicebgpstatuses')[0] as Obj;
    assert.deepEqual((o['status'] as Obj)['peers'], ['a']);
    assert.equal(api.calls.filter((c) => c.startsWith('GET ') && c.includes('/bgp-')).length, 2, 'one fresh read per conflict');
    w.close();
  });

  it('adopts the objects of a previous run: keeps one per service, deletes duplicates and the ones no longer announced', async () => {
    const api = new FakeObjects();
    const old = new ServiceBgpStatusWriter({ api, namespace: 'ns', node: 'n1', logger: silentLogger, queue: QUEUE });
    old.planChanged(changes({ announced: [announced('default/keep', ['a']), announced('default/stale', ['a'])] }));
    await old.started;
    await old.queue.idle();
    old.close();
    // A duplicate for `keep` (as a create whose answer was lost would leave), and another node's object.
    const dup = await api.request('POST', '/apis/metallb.io/v1beta1/namespaces/ns/servicebgpstatuses', { body: { metadata: { generateName: 'bgp-', labels: { 'metallb.io/node': 'n1', 'metallb.io/service-name': 'keep', 'metallb.io/service-namespace': 'default' } } } });
    assert.equal(dup.status, 201);
    await api.request('POST', '/apis/metallb.io/v1beta1/namespaces/ns/servicebgpstatuses', { body: { metadata: { generateName: 'bgp-', labels: { 'metallb.io/node': 'n2', 'metallb.io/service-name': 'stale', 'metallb.io/service-namespace': 'default' } } } });
    const posts = api.calls.filter((c) => c.startsWith('POST')).length;

    const w = new ServiceBgpStatusWriter({ api, namespace: 'ns', node: 'n1', logger: silentLogger, queue: QUEUE });
    w.planChanged(changes({ announced: [announced('default/keep', ['a'])] }));
    await w.started;
    await w.queue.idle();
    const left = api.ofKind('servicebgpstatuses').map((o) => `${String(((o['metadata'] as Obj)['labels'] as Obj)['metallb.io/node'])}/${String(((o['metadata'] as Obj)['labels'] as Obj)['metallb.io/service-name'])}`);
    assert.deepEqual(left.sort(), ['n1/keep', 'n2/stale']);
    assert.equal(api.calls.filter((c) => c.startsWith('POST')).length, posts, 'nothing created again');
    w.close();
  });
});

describe('SessionStateWriter', () => {
  const session = (state: SessionStatus['state'], advertised: number): SessionStatus =>
    ({ name: 'router', peer: '192.0.2.1:179', peerAddress: '192.0.2.1', peerPort: 179, state, stateSince: Date.parse('2026-01-02T03:04:05Z'), prefixesAdvertised: advertised }) as unknown as SessionStatus;

  it('names, labels and fills the object as the contract says, and deletes it when the session goes', async () => {
    const api = new FakeObjects();
    const w = new SessionStateWriter({ api, namespace: 'metallb-system', node: 'n1', logger: silentLogger, queue: QUEUE });
    w.sessions([session('Established', 7)]);
    await w.started;
    await w.queue.idle();
    const o = api.objects.get(`bgpsessionstates/${sessionStateName('n1', '192.0.2.1')}`) as Obj;
    assert.equal((o['metadata'] as Obj)['name'], 'n1-192-0-2-1');
    assert.deepEqual((o['metadata'] as Obj)['labels'], { 'metallb.io/node': 'n1', 'metallb.io/peer': '192.0.2.1' });
    assert.deepEqual(o['status'], { node: 'n1', peer: '192.0.2.1', bgpStatus: 'Established', bfdStatus: 'N/A', establishedSince: '2026-01-02T03:04:05Z', prefixesSent: 7 });
    const puts = api.calls.filter((c) => c.startsWith('PUT')).length;
    w.sessions([session('Established', 7)]);
    await w.queue.idle();
    assert.equal(api.calls.filter((c) => c.startsWith('PUT')).length, puts, 'an unchanged session is not written again');
    w.sessions([]);
    await w.queue.idle();
    assert.equal(api.ofKind('bgpsessionstates').length, 0);
    w.close();
  });

  it('names IPv6 peers with dashes and leaves establishedSince out when not Established', () => {
    assert.equal(sessionStateName('n1', '2001:db8::1'), 'n1-2001-db8--1');
    const st = sessionStateStatus('n1', { ...session('Active', 3), peerAddress: '2001:db8::1' } as SessionStatus);
    assert.equal(st['establishedSince'], undefined);
    assert.equal(st['prefixesSent'], 0);
  });
});
