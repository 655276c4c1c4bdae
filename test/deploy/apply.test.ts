/**
 * The deployment applied with kubectl (a client we did not write) to the API server double
 * (test/kube-apiserver): the namespace and the CRDs of config/manifests/metallb-ts.yaml apply and
 * converge (a second apply changes nothing; the double serves no workloads nor RBAC, which
 * openapi.test.ts checks against the Kubernetes schemas instead), MetalLB's documentation examples
 * apply against our CRDs, an invalid metallb.io object is refused naming the field, and `kubectl get`
 * shows the status objects with our printer columns.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApiServer, type ApiServerDouble } from '../kube-apiserver/server.js';
import { findKubectl } from '../kube-apiserver/test-support.js';
import { MANIFEST, REPO, parseObjects } from './manifests.js';

/** Kinds of the manifest the double may not serve (checked by openapi.test.ts instead). */
const WORKLOAD_AND_RBAC_KINDS = new Set(['ServiceAccount', 'Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding', 'Deployment', 'DaemonSet']);

const kubectl = findKubectl();
const skip = 'skip' in kubectl ? kubectl.skip : false;

let server: ApiServerDouble | undefined;
let dir = '';
let kubeconfig = '';

before(async () => {
  if (skip !== false) return;
  dir = mkdtempSync(join(tmpdir(), 'ky-apply-'));
  kubeconfig = join(dir, 'kubeconfig');
  server = await startApiServer();
  server.writeKubeconfig(kubeconfig);
});

after(async () => {
  await server?.close();
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

/**
 * Runs kubectl against the double (asynchronously: the double answers from this process); resolves
 * to its exit code and output.
 */
function run(args: readonly string[], input?: string): Promise<{ code: number; out: string; err: string }> {
  assert.ok('path' in kubectl);
  const child = spawn(kubectl.path, ['--kubeconfig', kubeconfig, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  child.stdin.end(input ?? '');
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, out, err }));
  });
}

async function ok(args: readonly string[], input?: string): Promise<string> {
  const r = await run(args, input);
  assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.err}`);
  return r.out;
}

/** Whether the double serves `kind` at `apiVersion` (its discovery lists it). */
async function served(apiVersion: string, kind: string): Promise<boolean> {
  assert.ok(server);
  const path = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  const r = await fetch(`${server.url}${path}`);
  if (r.status !== 200) return false;
  const list = (await r.json()) as { resources?: { kind: string; name: string }[] };
  return (list.resources ?? []).some((x) => x.kind === kind && !x.name.includes('/'));
}

/**
 * The manifest's objects the double serves, as YAML for kubectl, and the kinds it does not serve.
 * The double serves the kinds metallb-ts talks to (core, discovery, coordination, events, CRDs), not
 * workloads nor RBAC; those are validated against the Kubernetes schemas in openapi.test.ts.
 */
async function servedPart(): Promise<{ yaml: string; notServed: Set<string> }> {
  const docs = readFileSync(MANIFEST, 'utf8').split(/^---\n/m);
  const keep: string[] = [];
  const notServed = new Set<string>();
  for (const d of docs) {
    const [o] = parseObjects(d, 'metallb-ts.yaml');
    if (!o) continue;
    if (await served(o.apiVersion, o.kind)) keep.push(d);
    else notServed.add(o.kind);
  }
  return { yaml: keep.join('---\n'), notServed };
}

test('kubectl apply of config/manifests/metallb-ts.yaml: the namespace and every CRD are created, and a second apply changes nothing', { skip }, async () => {
  const { yaml, notServed } = await servedPart();
  for (const k of notServed) assert.ok(WORKLOAD_AND_RBAC_KINDS.has(k), `the double does not serve ${k}`);
  const first = await ok(['apply', '-f', '-'], yaml);
  assert.match(first, /namespace\/metallb-system created/);
  const crds = first.split('\n').filter((l) => /^customresourcedefinition.apiextensions.k8s.io\/\S+\.metallb\.io created$/.test(l));
  assert.equal(crds.length, 10, first);
  const second = await ok(['apply', '-f', '-'], yaml);
  for (const line of second.trim().split('\n')) assert.match(line, / unchanged$/, line);
  // The double serves the new kinds, both BGPPeer versions included.
  const resources = await ok(['api-resources', '--api-group=metallb.io', '-o', 'name']);
  for (const r of ['bgppeers.metallb.io', 'bgpsessionstates.metallb.io', 'servicebgpstatuses.metallb.io', 'configurationstates.metallb.io']) {
    assert.ok(resources.split('\n').includes(r), `${r} served: ${resources}`);
  }
  assert.match(await ok(['get', '--raw', '/apis/metallb.io/v1beta1']), /"kind":"BGPPeer"/);
  assert.match(await ok(['get', '--raw', '/apis/metallb.io/v1beta2']), /"kind":"BGPPeer"/);
});

test("MetalLB's documentation examples apply against our CRDs", { skip }, async () => {
  const docs = join(REPO, 'test/deploy/testdata/metallb-docs');
  const files = readdirSync(docs).filter((f) => f.endsWith('.yaml'));
  assert.ok(files.length >= 9);
  let created = 0;
  for (const f of files) {
    // Each file is its own configuration; names repeat between files, so each goes to a fresh namespace.
    const ns = `docs-${f.replace(/\.yaml$/, '')}`;
    await ok(['apply', '-f', '-'], `apiVersion: v1\nkind: Namespace\nmetadata: {name: ${ns}}\n`);
    const text = readFileSync(join(docs, f), 'utf8').replaceAll('namespace: metallb-system', `namespace: ${ns}`);
    const out = await ok(['apply', '--validate=strict', '-f', '-'], text);
    created += out.split('\n').filter((l) => / created$/.test(l)).length;
  }
  assert.ok(created >= 40, `created the examples' objects (${created})`);
  // Stored with the schema's defaults: the v1beta2 peer got MetalLB's default port.
  const peer = JSON.parse(await ok(['get', 'bgppeers.v1beta2.metallb.io', 'sample', '-n', 'docs-basic', '-o', 'json'])) as { spec: { peerPort?: number } };
  assert.equal(peer.spec.peerPort, 179);
});

test('an invalid metallb.io object is refused, naming the field', { skip }, async () => {
  const bad = `apiVersion: metallb.io/v1beta2
kind: BGPPeer
metadata: {name: bad, namespace: metallb-system}
spec: {myASN: 64512, peerASN: 64512, peerAddress: 10.0.0.1, dynamicASN: sideways}
`;
  const r = await run(['apply', '-f', '-'], bad);
  assert.notEqual(r.code, 0);
  assert.match(r.err, /spec\.dynamicASN/);
  const pool = `apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: empty, namespace: metallb-system}
spec: {addresses: []}
`;
  const p = await run(['apply', '-f', '-'], pool);
  assert.notEqual(p.code, 0);
  assert.match(p.err, /spec\.addresses/);
  // An unknown field is refused too under kubectl's strict validation (the default).
  const typo = `apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: typo, namespace: metallb-system}
spec: {addresses: [10.0.0.0/24], autoAsign: false}
`;
  const t = await run(['apply', '-f', '-'], typo);
  assert.notEqual(t.code, 0);
  assert.match(t.err, /autoAsign/);
});

test('kubectl get shows the status objects with their printer columns', { skip }, async () => {
  assert.ok(server);
  server.create({
    apiVersion: 'metallb.io/v1beta1',
    kind: 'BGPSessionState',
    metadata: { name: 'node-a-10-10-10-1', namespace: 'metallb-system', labels: { 'metallb.io/node': 'node-a', 'metallb.io/peer': '10.10.10.1' } },
    spec: {},
  });
  const stored = server.get({ apiVersion: 'metallb.io/v1beta1', kind: 'BGPSessionState' }, 'metallb-system', 'node-a-10-10-10-1');
  assert.ok(stored);
  server.update(
    { ...stored, status: { node: 'node-a', peer: '10.10.10.1', bgpStatus: 'Established', bfdStatus: 'N/A', establishedSince: new Date(Date.now() - 3600_000).toISOString(), prefixesSent: 42 } },
    { subresource: 'status' },
  );
  const table = await ok(['get', 'bgpsessionstates', '-n', 'metallb-system']);
  const [header, row] = table.trim().split('\n');
  assert.match(header ?? '', /^NAME\s+NODE\s+PEER\s+STATE\s+SINCE\s+PREFIXES$/);
  assert.match(row ?? '', /^node-a-10-10-10-1\s+node-a\s+10\.10\.10\.1\s+Established\s+(59m|60m|\d+m\d*s?|1h)\s+42$/);
  const wide = await ok(['get', 'bgpsessionstates', '-n', 'metallb-system', '-o', 'wide']);
  assert.match(wide.split('\n')[0] ?? '', /VRF\s+BFD\s+LAST ERROR/);
});
