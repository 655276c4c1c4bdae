/**
 * The speaker on the API server, end to end on loopback: kdouble's API server double (the real HTTP
 * protocol), the metallb.io CRDs of config/crd, the speaker (`startKubeSpeaker`, what `metallb-ts
 * speaker` runs) with the Kubernetes client over HTTP, and the demo's lab router as its BGP peer.
 *
 * Services created through the API reach the router; an invalid one is reported and the others are
 * still announced; a dropped watch resumes without a relist; an expired history relists with nothing
 * withdrawn; the API server stopped leaves every route in place, and once restarted later changes
 * arrive; ServiceBGPStatus and BGPSessionState objects match the session.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { LabRouter } from '../../src/demo/lab-router.js';
import { createLogger } from '../../src/observe/log.js';
import { KubeClient, loadKubeConfig } from '../../src/sources/kubernetes/client.js';
import { startKubeSpeaker } from '../../src/speaker/kube-speaker.js';
import type { KubeSpeaker } from '../../src/speaker/kube-speaker.js';
import { startApiServer } from '../kube-apiserver/server.js';
import type { ApiServerDouble } from '../kube-apiserver/server.js';
import type { Obj } from '../kube-apiserver/resources.js';
import { ROOT, freeCrdPort, freePort } from './seed-support.js';

const NS = 'metallb-system';
const NODE = 'node-116';
const NODE_IP = '127.0.0.116';
const V1B1 = { apiVersion: 'metallb.io/v1beta1' };

/** Waits for `pred`, re-checking on every change `subscribe` reports (and on a slow tick as a net). */
function until(what: string, pred: () => boolean, subscribe: (fn: () => void) => () => void, ms = 20_000): Promise<void> {
  return new Promise((resolve, reject) => {
    if (pred()) return resolve();
    let off = (): void => undefined;
    const check = (): void => {
      if (!pred()) return;
      off();
      clearInterval(net);
      clearTimeout(timer);
      resolve();
    };
    off = subscribe(check);
    // Objects written by the speaker change without an event here: polled.
    const net = setInterval(check, 25);
    const timer = setTimeout(() => {
      off();
      clearInterval(net);
      reject(new Error(`timed out waiting for ${what}`));
    }, ms);
  });
}

function service(name: string, ip: string, annotations: Record<string, string> = {}): Obj {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: 'default', annotations },
    spec: { type: 'LoadBalancer', ports: [{ port: 80, protocol: 'TCP' }], selector: { app: name } },
    // What the controller would write (status subresource, below).
    status: { loadBalancer: { ingress: [{ ip }] } },
  };
}

function slice(name: string): Obj {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: `${name}-abc`, namespace: 'default', labels: { 'kubernetes.io/service-name': name } },
    addressType: 'IPv4',
    endpoints: [{ addresses: ['10.244.0.5'], conditions: { ready: true }, nodeName: NODE }],
    ports: [{ port: 8080, protocol: 'TCP' }],
  };
}

describe('metallb-ts speaker on the API server double', () => {
  let api: ApiServerDouble;
  let apiPort: number;
  let dataFile: string;
  let kubeconfig: string;
  let router: LabRouter;
  let speaker: KubeSpeaker;
  let client: KubeClient;
  const lines: Record<string, unknown>[] = [];
  const logListeners = new Set<() => void>();
  /** Every prefix the router ever lost after having it. */
  const withdrawn: string[] = [];
  let seen = new Set<string>();

  const routes = (): Set<string> => new Set(router.routes().map((r) => r.prefix));
  const onRouter = (fn: () => void): (() => void) => router.onChange(fn);
  const onLog = (fn: () => void): (() => void) => {
    logListeners.add(fn);
    return () => logListeners.delete(fn);
  };
  const logged = (event: string): number => lines.filter((l) => l['event'] === event).length;

  async function createService(name: string, ip: string, annotations: Record<string, string> = {}): Promise<void> {
    const svc = service(name, ip, annotations);
    const created = api.create(svc);
    // The status subresource: a create drops `status`, as on a real server.
    api.update({ ...created, status: svc['status'] ?? null }, { subresource: 'status' });
    api.create(slice(name));
  }

  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mlbts-ks-'));
    dataFile = join(dir, 'store.jsonl');
    kubeconfig = join(dir, 'kubeconfig');
    apiPort = await freePort();
    api = await startApiServer({ port: apiPort, dataFile });
    api.writeKubeconfig(kubeconfig);
    // The CRDs as deployed.
    for (const f of readdirSync(join(ROOT, 'config/crd')).filter((n) => n.endsWith('.yaml') && n !== 'kustomization.yaml')) {
      api.create(parseYaml(readFileSync(join(ROOT, 'config/crd', f), 'utf8')) as Obj);
    }
    const bgpPort = await freeCrdPort();
    router = new LabRouter({ peers: ['router'], address: '127.0.0.1', port: bgpPort, asn: 64512, neighbors: [{ node: NODE, address: NODE_IP, asn: 64512 }] });
    await router.start();
    router.onChange(() => {
      const now = routes();
      for (const p of seen) if (!now.has(p)) withdrawn.push(p);
      seen = now;
    });
    api.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    api.create({ apiVersion: 'v1', kind: 'Node', metadata: { name: NODE, labels: { 'kubernetes.io/hostname': NODE } }, status: { addresses: [{ type: 'InternalIP', address: NODE_IP }] } });
    api.create({ ...V1B1, kind: 'IPAddressPool', metadata: { name: 'pool', namespace: NS }, spec: { addresses: ['10.10.10.0/24'] } });
    api.create({ apiVersion: 'metallb.io/v1beta2', kind: 'BGPPeer', metadata: { name: 'router', namespace: NS }, spec: { myASN: 64512, peerASN: 64512, peerAddress: '127.0.0.1', peerPort: bgpPort } });
    api.create({ ...V1B1, kind: 'BGPAdvertisement', metadata: { name: 'all', namespace: NS }, spec: {} });
    await createService('web', '10.10.10.20');
    await createService('db', '10.10.10.21');

    client = new KubeClient(loadKubeConfig(kubeconfig));
    const logger = createLogger({
      level: 'all',
      write: (line) => {
        lines.push(JSON.parse(line) as Record<string, unknown>);
        for (const fn of [...logListeners]) fn();
      },
    });
    speaker = await startKubeSpeaker({
      node: NODE,
      namespace: NS,
      api: client,
      logger,
      timing: { initialBackoffMs: 50, maxBackoffMs: 400 },
      status: { queue: { initialBackoffMs: 50, maxBackoffMs: 400 }, prefixesIntervalMs: 200 },
    });
  });

  after(async () => {
    await speaker?.close();
    client?.close();
    await router?.close();
    await api?.close();
  });

  it('announces the Services created through the API to the peer', async () => {
    await speaker.synced;
    await until('both services at the router', () => routes().has('10.10.10.20/32') && routes().has('10.10.10.21/32'), onRouter);
  });

  it('writes a ServiceBGPStatus per announced service and a BGPSessionState that match the session', async () => {
    const statuses = (): Obj[] => api.list({ ...V1B1, kind: 'ServiceBGPStatus' }, NS);
    await until('two ServiceBGPStatus objects', () => statuses().filter((s) => (s['status'] as Obj | undefined)?.['peers'] !== undefined).length === 2, onLog);
    const web = statuses().find((s) => ((s['metadata'] as Obj)['labels'] as Obj)['metallb.io/service-name'] === 'web');
    assert.ok(web);
    const meta = web['metadata'] as Obj;
    assert.match(String(meta['name']), /^bgp-/);
    assert.deepEqual(meta['labels'], { 'metallb.io/node': NODE, 'metallb.io/service-name': 'web', 'metallb.io/service-namespace': 'default' });
    assert.deepEqual(web['status'], { node: NODE, serviceName: 'web', serviceNamespace: 'default', peers: ['router'] });

    const name = `${NODE}-127-0-0-1`;
    await until('the session state Established with 2 prefixes', () => {
      const st = api.get({ ...V1B1, kind: 'BGPSessionState' }, NS, name)?.['status'] as Obj | undefined;
      return st?.['bgpStatus'] === 'Established' && st['prefixesSent'] === 2;
    }, onLog);
    const state = api.get({ ...V1B1, kind: 'BGPSessionState' }, NS, name) as Obj;
    const st = state['status'] as Obj;
    assert.equal(st['node'], NODE);
    assert.equal(st['peer'], '127.0.0.1');
    assert.equal(st['bfdStatus'], 'N/A');
    assert.ok(typeof st['establishedSince'] === 'string' && !Number.isNaN(Date.parse(st['establishedSince'])));
    assert.deepEqual(((state['metadata'] as Obj)['labels'] as Obj)['metallb.io/peer'], '127.0.0.1');
    const cs = api.get({ ...V1B1, kind: 'ConfigurationState' }, NS, `speaker-${NODE}`);
    assert.equal((cs?.['status'] as Obj | undefined)?.['result'], 'Valid');
  });

  it('reports an invalid Service and still announces the others', async () => {
    const before = logged('invalidObject');
    await createService('bad', '10.10.10.22', { 'metallb.io/loadBalancerIPs': 'not-an-ip' });
    await createService('good', '10.10.10.23');
    await until('the good one at the router', () => routes().has('10.10.10.23/32'), onRouter);
    await until('the invalid one reported', () => logged('invalidObject') > before, onLog);
    const line = lines.filter((l) => l['event'] === 'invalidObject').at(-1) as Record<string, unknown>;
    assert.match(String(line['msg']), /Service default\/bad/);
    assert.ok(!routes().has('10.10.10.22/32'));
    assert.ok(routes().has('10.10.10.20/32'));
  });

  it('resumes a dropped watch from its resourceVersion, without listing again', async () => {
    const lists = api.requestCounts()['list'] ?? 0;
    assert.ok(lists >= 12, `the source listed every resource (${lists} lists)`);
    assert.ok(api.dropWatches({ abrupt: true }) > 0);
    await createService('after-drop', '10.10.10.24');
    await until('the service created after the drop', () => routes().has('10.10.10.24/32'), onRouter);
    // The speaker's own status writers list at start only; the source did not relist.
    assert.equal(api.requestCounts()['list'] ?? 0, lists);
  });

  it('relists when the history expired, passing on only the difference: nothing is withdrawn', async () => {
    const relists = logged('k8sRelist');
    api.expireHistory();
    api.dropWatches();
    await until('a relist', () => logged('k8sRelist') > relists, onLog);
    await createService('after-expiry', '10.10.10.25');
    await until('the service created after the relist', () => routes().has('10.10.10.25/32'), onRouter);
    assert.deepEqual(withdrawn, []);
  });

  it('keeps every route while the API server is stopped, and catches up once it is back', async () => {
    const have = routes();
    await api.close();
    await until('the loss logged', () => logged('k8sConnectionLost') > 0, onLog);
    // Several retries fail while it is down; the routes stay.
    const retries = logged('k8sRetry');
    await until('retries', () => logged('k8sRetry') >= retries + 3, onLog);
    assert.deepEqual(routes(), have);
    assert.deepEqual(withdrawn, []);
    api = await startApiServer({ port: apiPort, dataFile });
    await createService('after-restart', '10.10.10.26');
    api.remove({ apiVersion: 'v1', kind: 'Service' }, 'default', 'db');
    await until('the later changes at the router', () => routes().has('10.10.10.26/32') && !routes().has('10.10.10.21/32'), onRouter);
    await until('the recovery logged', () => logged('k8sConnectionRestored') > 0, onLog);
    assert.deepEqual(withdrawn, ['10.10.10.21/32']);
    // The deleted service's ServiceBGPStatus goes too.
    await until('db ServiceBGPStatus deleted', () => !api.list({ ...V1B1, kind: 'ServiceBGPStatus' }, NS).some((s) => ((s['metadata'] as Obj)['labels'] as Obj)['metallb.io/service-name'] === 'db'), onLog);
  });
});
