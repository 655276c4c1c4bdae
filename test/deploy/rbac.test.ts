/**
 * The RBAC of config/rbac is what the components need, no less: `bin/metallb-ts controller` and
 * `bin/metallb-ts speaker` run against the API server double through a recording proxy (one per
 * component), do their work (the controller assigns a Service's IP and writes its state; the speaker
 * plans, writes its ConfigurationState and a BGPSessionState for a peer that does not answer), and
 * every request each one made is then authorized against its own ClusterRole and Role as the RBAC
 * authorizer would (verb from method and query, resource and subresource from the path, Roles only in
 * metallb-system). Discovery and other non-resource URLs are open to every authenticated user and are
 * not checked.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApiServer, type ApiServerDouble } from '../kube-apiserver/server.js';
import type { Obj } from '../kube-apiserver/resources.js';
import { REPO, renderedObjects, theObject, type K8sObject } from './manifests.js';

const NS = 'metallb-system';
const V1B1 = 'metallb.io/v1beta1';

interface Recorded {
  readonly method: string;
  readonly url: string;
}

/** A proxy to the double that records every request. */
function recordingProxy(target: string, log: Recorded[]): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    log.push({ method: req.method ?? 'GET', url: req.url ?? '/' });
    const up = request(`${target}${req.url ?? '/'}`, { method: req.method, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
    res.on('close', () => up.destroy());
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    const a = server.address();
    resolve({ server, url: `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}` });
  }));
}

/** What the RBAC authorizer sees in a request. */
interface Attributes {
  readonly verb: string;
  readonly group: string;
  readonly resource: string;
  readonly namespace: string | undefined;
}

/** Request attributes as the API server derives them (k8s.io/apiserver RequestInfoFactory), or undefined for a non-resource URL. */
function attributesOf(r: Recorded): Attributes | undefined {
  const u = new URL(r.url, 'http://x');
  const parts = u.pathname.split('/').filter((p) => p !== '');
  let group: string;
  let rest: string[];
  if (parts[0] === 'api' && parts.length >= 3) {
    group = '';
    rest = parts.slice(2);
  } else if (parts[0] === 'apis' && parts.length >= 4) {
    group = parts[1] ?? '';
    rest = parts.slice(3);
  } else {
    return undefined;
  }
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [resource = '', name, sub] = rest;
  const watch = ['1', 'true'].includes(u.searchParams.get('watch') ?? '');
  const verbs: Record<string, string> = { POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: name === undefined ? 'deletecollection' : 'delete' };
  const verb = r.method === 'GET' ? (watch ? 'watch' : name === undefined ? 'list' : 'get') : (verbs[r.method] ?? r.method.toLowerCase());
  return { verb, group, resource: sub !== undefined ? `${resource}/${sub}` : resource, namespace };
}

type Rule = { apiGroups: string[]; resources: string[]; verbs: string[] };

function rulesOf(o: K8sObject): Rule[] {
  return (o as unknown as { rules: Rule[] }).rules;
}

function allowedBy(rules: readonly Rule[], a: Attributes): boolean {
  return rules.some((r) => r.apiGroups.includes(a.group) && r.resources.includes(a.resource) && r.verbs.includes(a.verb));
}

/** The requests `log` holds that the component's roles do not allow, as `verb group/resource (namespace)`. */
function denied(log: readonly Recorded[], component: 'controller' | 'speaker'): { denied: string[]; checked: Set<string> } {
  const objects = renderedObjects();
  const cluster = rulesOf(theObject(objects, 'ClusterRole', `metallb-ts:${component}`));
  const namespaced = rulesOf(theObject(objects, 'Role', `metallb-ts-${component}`));
  const out: string[] = [];
  const checked = new Set<string>();
  for (const r of log) {
    const a = attributesOf(r);
    if (!a) continue;
    const key = `${a.verb} ${a.group === '' ? 'core' : a.group}/${a.resource}${a.namespace !== undefined ? ` (${a.namespace})` : ''}`;
    checked.add(key);
    const ok = allowedBy(cluster, a) || (a.namespace === NS && allowedBy(namespaced, a));
    if (!ok) out.push(`${key}: ${r.method} ${r.url}`);
  }
  return { denied: out, checked };
}

let api: ApiServerDouble | undefined;
let dir = '';
const proxies: Server[] = [];
const children: ChildProcess[] = [];

async function kubeconfigVia(log: Recorded[], name: string): Promise<string> {
  assert.ok(api);
  const { server, url } = await recordingProxy(api.url, log);
  proxies.push(server);
  const direct = join(dir, `${name}.direct`);
  api.writeKubeconfig(direct);
  const path = join(dir, name);
  writeFileSync(path, readFileSync(direct, 'utf8').replaceAll(api.url, url));
  return path;
}

function start(args: readonly string[]): ChildProcess {
  const child = spawn(process.execPath, [join(REPO, 'bin/metallb-ts'), ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NODE_NAME: '', METALLB_NAMESPACE: '' } });
  children.push(child);
  return child;
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** Waits until `pred` holds: the components write to the double, which tells no one, so it is polled. */
async function until(what: string, pred: () => boolean, child: ChildProcess, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  while (!pred()) {
    if (child.exitCode !== null) throw new Error(`exited (${child.exitCode}) before ${what}: ${stderr}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ky-rbac-'));
  api = await startApiServer();
  for (const o of renderedObjects()) if (o.kind === 'Namespace' || o.kind === 'CustomResourceDefinition') api.create(structuredClone(o) as unknown as Obj);
  api.create({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-a', labels: { 'kubernetes.io/hostname': 'node-a' } }, status: { addresses: [{ type: 'InternalIP', address: '127.0.0.1' }] } });
  api.create({ apiVersion: V1B1, kind: 'IPAddressPool', metadata: { name: 'pool', namespace: NS }, spec: { addresses: ['10.200.0.0/24'] } });
  api.create({ apiVersion: V1B1, kind: 'BGPAdvertisement', metadata: { name: 'all', namespace: NS }, spec: {} });
  // A peer nobody answers for: the session stays in Connect/Active and is reported as such.
  api.create({ apiVersion: 'metallb.io/v1beta2', kind: 'BGPPeer', metadata: { name: 'router', namespace: NS }, spec: { myASN: 64512, peerASN: 64512, peerAddress: '127.0.0.1', peerPort: 9 } });
  api.create({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default' }, spec: { type: 'LoadBalancer', ports: [{ port: 80, protocol: 'TCP' }], selector: { app: 'web' } } });
  api.create({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: 'web-1', namespace: 'default', labels: { 'kubernetes.io/service-name': 'web' } },
    addressType: 'IPv4',
    endpoints: [{ addresses: ['10.244.0.5'], conditions: { ready: true }, nodeName: 'node-a' }],
    ports: [{ port: 80, protocol: 'TCP' }],
  });
});

after(async () => {
  for (const c of children) await stop(c);
  for (const p of proxies) p.close();
  await api?.close();
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

test("the controller's requests are all allowed by its ClusterRole and Role", async () => {
  assert.ok(api);
  const log: Recorded[] = [];
  const kubeconfig = await kubeconfigVia(log, 'controller');
  const child = start(['controller', '--kubeconfig', kubeconfig, '--metrics-addr', 'off', '--log-level', 'error']);
  const ingress = (): unknown => (api?.get({ apiVersion: 'v1', kind: 'Service' }, 'default', 'web')?.['status'] as { loadBalancer?: { ingress?: unknown[] } } | undefined)?.loadBalancer?.ingress?.[0];
  await until('the Service IP', () => ingress() !== undefined, child);
  await until('the ConfigurationState', () => api?.get({ apiVersion: V1B1, kind: 'ConfigurationState' }, NS, 'controller') !== undefined, child);
  await stop(child);
  const { denied: refused, checked } = denied(log, 'controller');
  assert.deepEqual(refused, []);
  for (const k of ['watch core/services', 'update core/services/status (default)', 'create coordination.k8s.io/leases (metallb-system)']) {
    assert.ok([...checked].some((c) => c.startsWith(k)), `the controller made "${k}" (${[...checked].join(', ')})`);
  }
});

test("the speaker's requests are all allowed by its ClusterRole and Role", async () => {
  assert.ok(api);
  const log: Recorded[] = [];
  const kubeconfig = await kubeconfigVia(log, 'speaker');
  const child = start(['speaker', '--node-name', 'node-a', '--kubeconfig', kubeconfig, '--metrics-addr', 'off', '--status-addr', 'off', '--log-level', 'error']);
  await until('the speaker ConfigurationState', () => api?.get({ apiVersion: V1B1, kind: 'ConfigurationState' }, NS, 'speaker-node-a') !== undefined, child);
  await until('a BGPSessionState', () => (api?.list({ apiVersion: V1B1, kind: 'BGPSessionState' }, NS).length ?? 0) > 0, child);
  await stop(child);
  const { denied: refused, checked } = denied(log, 'speaker');
  assert.deepEqual(refused, []);
  for (const k of ['watch core/services', 'watch discovery.k8s.io/endpointslices', 'create metallb.io/bgpsessionstates (metallb-system)']) {
    assert.ok([...checked].some((c) => c.startsWith(k)), `the speaker made "${k}" (${[...checked].join(', ')})`);
  }
});

test('the authorizer model denies what the roles do not grant', () => {
  const log = [
    { method: 'GET', url: '/api/v1/secrets' },
    { method: 'DELETE', url: '/api/v1/namespaces/default/services/web' },
    { method: 'GET', url: '/api/v1/namespaces/kube-system/configmaps?watch=1' },
    { method: 'PUT', url: '/apis/metallb.io/v1beta1/namespaces/metallb-system/bgpsessionstates/x' },
    { method: 'GET', url: '/apis' },
  ];
  assert.equal(denied(log, 'speaker').denied.length, 4);
  assert.deepEqual(denied([{ method: 'GET', url: '/api/v1/namespaces/metallb-system/configmaps?watch=1&fieldSelector=metadata.name%3Dconfig' }], 'speaker').denied, []);
});
