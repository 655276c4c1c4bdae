/**
 * kubectl (1.32, a client we did not write) against the double: discovery and `get` with the
 * server's Table columns, `apply -f` (create, then a changed re-apply that kubectl sends as a
 * strategic merge patch for a Service and a merge patch for a custom resource), `get --watch`
 * seeing events arrive, `delete`, and a CRD applied then custom objects validated against its
 * schema (an invalid one refused with the field named).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ApiServerDouble } from './server.js';
import { startApiServer } from './server.js';
import { findKubectl } from './test-support.js';

const found = findKubectl();
const skip = 'skip' in found ? found.skip : false;

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

describe('kubectl against the double', { skip }, () => {
  let api: ApiServerDouble;
  let dir = '';
  let kubeconfig = '';

  /** Runs kubectl with our kubeconfig and a private discovery cache (never the user's ~/.kube). */
  function kubectl(args: readonly string[], input?: string): Promise<Run> {
    return new Promise((resolve, reject) => {
      const p = spawn('path' in found ? found.path : 'kubectl', ['--kubeconfig', kubeconfig, '--cache-dir', join(dir, 'cache'), ...args], { stdio: 'pipe' });
      let stdout = '';
      let stderr = '';
      p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      p.on('error', reject);
      p.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
      p.stdin.end(input ?? '');
    });
  }

  function file(name: string, text: string): string {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kube-double-kubectl-'));
    api = await startApiServer();
    kubeconfig = join(dir, 'kubeconfig');
    api.writeKubeconfig(kubeconfig);
  });
  after(async () => {
    await api?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('get namespaces and version', async () => {
    const r = await kubectl(['get', 'namespaces']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^NAME\s+STATUS\s+AGE\n/);
    assert.match(r.stdout, /\ndefault\s+Active\s+\d+s\n/);
    const v = await kubectl(['version', '-o', 'json']);
    assert.equal(JSON.parse(v.stdout).serverVersion.major, '1');
  });

  test('apply -f creates a Service, a changed re-apply patches it, get shows it, delete removes it', async () => {
    const svc = (port: number): string =>
      ['apiVersion: v1', 'kind: Service', 'metadata:', '  name: web', '  labels: {app: web}', 'spec:', '  type: LoadBalancer', '  selector: {app: web}', '  ports:', `  - {name: http, port: ${port}, targetPort: 8080}`, ''].join('\n');
    const created = await kubectl(['apply', '-f', file('svc.yaml', svc(80))]);
    assert.equal(created.code, 0, created.stderr);
    assert.equal(created.stdout.trim(), 'service/web created');
    const first = api.get({ apiVersion: 'v1', kind: 'Service' }, 'default', 'web');
    assert.ok(first?.['metadata'] !== undefined);
    const patchesBefore = api.requestCounts()['patch'] ?? 0;
    const again = await kubectl(['apply', '-f', file('svc.yaml', svc(81))]);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stdout.trim(), 'service/web configured');
    assert.equal((api.requestCounts()['patch'] ?? 0) - patchesBefore, 1, 'kubectl apply sent one PATCH');
    const after = api.get({ apiVersion: 'v1', kind: 'Service' }, 'default', 'web') as { spec: { ports: Array<{ port: number }>; clusterIP: string }; metadata: { uid: string } };
    assert.deepEqual(after.spec.ports.map((p) => p.port), [81], 'the strategic merge patch replaced port 80 by 81');
    assert.equal(after.metadata.uid, (first as { metadata: { uid: string } }).metadata.uid);
    const unchanged = await kubectl(['apply', '-f', file('svc.yaml', svc(81))]);
    assert.equal(unchanged.stdout.trim(), 'service/web unchanged');
    const get = await kubectl(['get', 'svc']);
    assert.match(get.stdout, /^NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE\n/);
    assert.match(get.stdout, /\nweb\s+LoadBalancer\s+10\.96\.\d+\.\d+\s+<pending>\s+81:\d+\/TCP\s+\d+s\n/);
    const yaml = await kubectl(['get', 'svc', 'web', '-o', 'yaml']);
    assert.match(yaml.stdout, /kubectl.kubernetes.io\/last-applied-configuration/);
    const json = await kubectl(['get', 'service', 'web', '-o', 'json']);
    assert.equal(JSON.parse(json.stdout).spec.clusterIP, after.spec.clusterIP);
    const del = await kubectl(['delete', 'svc', 'web']);
    assert.equal(del.code, 0, del.stderr);
    assert.equal(del.stdout.trim(), 'service "web" deleted');
    assert.equal(api.get({ apiVersion: 'v1', kind: 'Service' }, 'default', 'web'), undefined);
    const missing = await kubectl(['get', 'svc', 'web']);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /Error from server \(NotFound\): services "web" not found/);
  });

  test('get --watch prints the events that arrive', async () => {
    api.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'w0', namespace: 'default' }, data: { a: '1' } });
    const p: ChildProcessWithoutNullStreams = spawn(
      'path' in found ? found.path : 'kubectl',
      ['--kubeconfig', kubeconfig, '--cache-dir', join(dir, 'cache'), 'get', 'configmaps', '--watch', '--output-watch-events', '-o', 'jsonpath={.type} {.object.metadata.name}{"\\n"}'],
      { stdio: 'pipe' },
    );
    const lines: string[] = [];
    const waiters: Array<{ line: string; resolve: () => void }> = [];
    let buf = '';
    p.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i).trim();
        buf = buf.slice(i + 1);
        lines.push(line);
        for (const w of waiters.splice(0)) if (lines.includes(w.line)) w.resolve();
        else waiters.push(w);
      }
    });
    const seen = (line: string): Promise<void> => new Promise((resolve) => (lines.includes(line) ? resolve() : waiters.push({ line, resolve })));
    try {
      await seen('ADDED w0');
      api.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'w1', namespace: 'default' }, data: { a: '1' } });
      await seen('ADDED w1');
      const cur = api.get({ apiVersion: 'v1', kind: 'ConfigMap' }, 'default', 'w1') as { data: Record<string, string> };
      cur.data['a'] = '2';
      api.update(cur as unknown as Record<string, never>);
      await seen('MODIFIED w1');
      api.remove({ apiVersion: 'v1', kind: 'ConfigMap' }, 'default', 'w1');
      await seen('DELETED w1');
      assert.deepEqual(lines, ['ADDED w0', 'ADDED w1', 'MODIFIED w1', 'DELETED w1']);
    } finally {
      p.kill();
    }
  });

  test('apply a CRD, then custom objects: a valid one is created, an invalid one refused naming the field, a re-apply merge-patches', async () => {
    const crd = [
      'apiVersion: apiextensions.k8s.io/v1',
      'kind: CustomResourceDefinition',
      'metadata: {name: ipaddresspools.metallb.io}',
      'spec:',
      '  group: metallb.io',
      '  names: {kind: IPAddressPool, listKind: IPAddressPoolList, plural: ipaddresspools, singular: ipaddresspool}',
      '  scope: Namespaced',
      '  versions:',
      '  - name: v1beta1',
      '    served: true',
      '    storage: true',
      '    subresources: {status: {}}',
      '    additionalPrinterColumns:',
      '    - {name: Auto Assign, type: boolean, jsonPath: .spec.autoAssign}',
      '    - {name: Addresses, type: string, jsonPath: .spec.addresses}',
      '    schema:',
      '      openAPIV3Schema:',
      '        type: object',
      '        properties:',
      '          spec:',
      '            type: object',
      '            required: [addresses]',
      '            properties:',
      '              addresses: {type: array, items: {type: string}}',
      '              autoAssign: {type: boolean, default: true}',
      '          status: {type: object, properties: {assignedIPv4: {type: integer, format: int64}}}',
      '',
    ].join('\n');
    const c = await kubectl(['apply', '-f', file('crd.yaml', crd)]);
    assert.equal(c.code, 0, c.stderr);
    assert.equal(c.stdout.trim(), 'customresourcedefinition.apiextensions.k8s.io/ipaddresspools.metallb.io created');
    const pool = (addresses: string): string => `apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: pool1, namespace: default}\nspec:\n  addresses: ${addresses}\n`;
    const ok = await kubectl(['apply', '-f', file('pool.yaml', pool('[192.0.2.0/24]'))]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout.trim(), 'ipaddresspool.metallb.io/pool1 created');
    const get = await kubectl(['get', 'ipaddresspools']);
    assert.match(get.stdout, /^NAME\s+AUTO ASSIGN\s+ADDRESSES\n/);
    assert.match(get.stdout, /\npool1\s+true\s+\["192\.0\.2\.0\/24"\]\n/);
    const bad = await kubectl(['apply', '-f', file('bad.yaml', pool('7').replace('pool1', 'pool2'))]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /IPAddressPool "pool2" is invalid: spec\.addresses: Invalid value: "integer": spec\.addresses in body must be of type array/);
    const unknown = await kubectl(['apply', '-f', file('unknown.yaml', `${pool('[192.0.2.0/24]').replace('pool1', 'pool3')}  colour: red\n`)]);
    assert.notEqual(unknown.code, 0, 'kubectl apply asks for strict field validation');
    assert.match(unknown.stderr, /unknown field "spec.colour"/);
    const re = await kubectl(['apply', '-f', file('pool.yaml', pool('[192.0.3.0/24]'))]);
    assert.equal(re.stdout.trim(), 'ipaddresspool.metallb.io/pool1 configured');
    const stored = api.get({ apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool' }, 'default', 'pool1') as { spec: { addresses: string[] }; metadata: { generation: number } };
    assert.deepEqual(stored.spec.addresses, ['192.0.3.0/24']);
    assert.equal(stored.metadata.generation, 2);
    const del = await kubectl(['delete', '-f', file('pool.yaml', pool('[192.0.3.0/24]'))]);
    assert.equal(del.code, 0, del.stderr);
  });
});
