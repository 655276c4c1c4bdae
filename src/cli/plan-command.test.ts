import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parsePlanArgs, planCommand } from './plan-command.js';
import type { PlanReport } from './plan-command.js';

const testdata = fileURLToPath(new URL('../../../src/cli/testdata/plan/', import.meta.url));

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await planCommand(argv, { stdout: (t) => (out += t), stderr: (t) => (err += t) });
  return { code, out, err };
}

test('plan --json on the seed ConfigMap: statuses kept, sharing, requests refused with their rule', async () => {
  const { code, out } = await run(['--manifests', join(testdata, 'seed'), '--json']);
  assert.equal(code, 0);
  const report = JSON.parse(out) as PlanReport;
  const by = new Map(report.services.map((s) => [s.service, s]));
  assert.deepEqual([...by.keys()].sort(), ['apps/outside', 'apps/web', 'apps/web-copy', 'apps/web-tls', 'argocd/argocd-server']);
  assert.deepEqual(by.get('argocd/argocd-server')?.ips, ['10.10.10.12']);
  // Standalone mode: web's hashed first choice, shared by web-tls (same key); web-copy's request for
  // 10.10.10.10 outranks automatic choices (src/allocator/README.md, "Standalone mode").
  assert.deepEqual(by.get('apps/web')?.ips, ['10.10.10.45']);
  assert.deepEqual(by.get('apps/web-tls')?.ips, ['10.10.10.45']);
  assert.equal(by.get('apps/web')?.pool, 'default');
  assert.equal(by.get('apps/web')?.error, undefined);
  assert.deepEqual(by.get('apps/web-copy')?.ips, ['10.10.10.10']);
  assert.equal(by.get('apps/outside')?.rule, 'ipNotInPool');
  assert.equal(by.get('apps/outside')?.reason, 'AllocationFailed');
  assert.equal(by.get('apps/web-tls')?.warnings?.length, 1);
  assert.deepEqual(report.pools, [{ pool: 'default', inUse: 3, total: 89, ipv4: { inUse: 3, total: 89 }, ipv6: { inUse: 0, total: 0 } }]);
});

test('plan on CRDs: namespace selectors, dual stack, exhaustion, other classes left out', async () => {
  const { code, out } = await run(['--manifests=' + join(testdata, 'crds'), '--json']);
  assert.equal(code, 0);
  const report = JSON.parse(out) as PlanReport;
  assert.deepEqual(report.services.map((s) => [s.service, s.pool ?? null, s.rule ?? null]), [
    ['blue/a', 'team', null],
    ['red/b', 'tiny', null],
    ['red/c', null, 'noAvailableIPs'],
  ]);
  assert.deepEqual(report.services[0]?.ips, ['198.51.100.1', '2001:db8::3']); // hashed (standalone)
  const classed = await run(['--manifests', join(testdata, 'crds'), '--json', '--lb-class', 'other.io/lb']);
  assert.deepEqual((JSON.parse(classed.out) as PlanReport).services.map((s) => s.service), ['red/classed']);
});

test('plan text form is a table with every service and pool', async () => {
  const { code, out } = await run(['--manifests', join(testdata, 'crds')]);
  assert.equal(code, 0);
  const lines = out.split('\n');
  assert.match(lines[0] ?? '', /^SERVICE\s+IPS\s+POOL\s+STATUS$/);
  for (const s of ['blue/a', 'red/b', 'red/c']) assert.ok(lines.some((l) => l.startsWith(s)), s);
  assert.ok(lines.some((l) => /^POOL\s+IPV4 IN USE/.test(l)));
  assert.ok(lines.some((l) => /^tiny\s+1\s+1\s+0\s+0$/.test(l)));
});

test('plan: usage errors exit 2, an invalid configuration exits 1', async () => {
  assert.equal(typeof parsePlanArgs([]), 'string');
  assert.equal(typeof parsePlanArgs(['--manifests']), 'string');
  assert.equal(typeof parsePlanArgs(['--manifests', 'x', '--bogus']), 'string');
  assert.equal(typeof parsePlanArgs(['x']), 'string');
  assert.deepEqual(parsePlanArgs(['--manifests', 'a', '--manifests=b', '--json']), { paths: ['a', 'b'], json: true });
  assert.equal((await run(['--json'])).code, 2);
  const dir = await mkdtemp(join(tmpdir(), 'metallb-ts-plan-'));
  try {
    await writeFile(
      join(dir, 'bad.yaml'),
      'apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: p, namespace: metallb-system}\nspec: {addresses: [not-an-ip]}\n',
    );
    const bad = await run(['--manifests', dir]);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /bad\.yaml:\d+/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('metallb-ts plan through the binary', () => {
  const bin = fileURLToPath(new URL('../../../bin/metallb-ts', import.meta.url));
  const r = spawnSync(process.execPath, [bin, 'plan', '--manifests', join(testdata, 'seed'), '--json'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.ok((JSON.parse(r.stdout) as PlanReport).services.length === 5);
});
