// `metallb-ts plan`'s speaker sections: advertisements per node and peer, withheld services.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { planCommand } from './plan-command.js';

const SEED = fileURLToPath(new URL('../../../examples/seed', import.meta.url));

async function plan(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await planCommand(args, { stdout: (t) => (out += t), stderr: (t) => (err += t) });
  return { code, out, err };
}

test('--json: the allocation sections kept, advertisements and withheld added for every node', async () => {
  const r = await plan(['--manifests', SEED, '--json']);
  assert.equal(r.code, 0, r.err);
  const report = JSON.parse(r.out) as Record<string, unknown>;
  assert.deepEqual(Object.keys(report), ['services', 'pools', 'advertisements', 'withheld']);
  assert.deepEqual(report['advertisements'], ['node-116', 'node-117'].map((node) => ({
    node,
    peer: '127.0.0.1',
    peerName: 'peer1',
    prefix: '10.10.10.12/32',
    localPref: 0,
    communities: [],
    largeCommunities: [],
  })));
  assert.deepEqual(report['withheld'], []);
});

test('--node picks one node; a node that does not exist is a usage error naming --node', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mlbts-plan-'));
  try {
    writeFileSync(join(dir, 'config.yaml'), readFileSync(join(SEED, 'config.yaml')));
    // node-117's endpoint is not ready and the policy is Local: node-117 withholds the service.
    const cluster = readFileSync(join(SEED, 'cluster.yaml'), 'utf8')
      .replace('externalTrafficPolicy: Cluster', 'externalTrafficPolicy: Local')
      .replace(/(nodeName: node-116\n- addresses:\n {2}- 10\.244\.2\.23\n {2}conditions:\n {4}ready: )true\n {4}serving: true/, '$1false\n    serving: false');
    assert.ok(cluster.includes('ready: false'));
    writeFileSync(join(dir, 'cluster.yaml'), cluster);
    const r = await plan(['--manifests', dir, '--node', 'node-117', '--json']);
    assert.equal(r.code, 0, r.err);
    const report = JSON.parse(r.out) as { advertisements: unknown[]; withheld: unknown[] };
    assert.deepEqual(report.advertisements, []);
    assert.deepEqual(report.withheld, [{ service: 'argocd/argocd-server', node: 'node-117', reason: 'noLocalEndpoints' }]);
    const text = await plan(['--manifests', dir]);
    assert.match(text.out, /^node-116 +127\.0\.0\.1 +peer1 +10\.10\.10\.12\/32 +0 +- +-$/m);
    assert.match(text.out, /^argocd\/argocd-server +node-117 +noLocalEndpoints$/m);
    const unknown = await plan(['--manifests', dir, '--node', 'node-999']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.err, /--node node-999/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
