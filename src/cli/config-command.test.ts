import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { configCommand } from './config-command.js';

const testdata = fileURLToPath(new URL('../../../src/cli/testdata/', import.meta.url));
const configTestdata = fileURLToPath(new URL('../../../src/config/testdata/', import.meta.url));

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await configCommand(argv, { stdout: (t) => (out += t), stderr: (t) => (err += t) });
  return { code, out, err };
}

test('validate lists every mistake of a file, each with file, line, object, path and rule', async () => {
  const file = join(testdata, 'several-mistakes.yaml');
  const { code, out, err } = await run(['validate', file]);
  assert.equal(code, 1);
  assert.equal(out, '');
  const lines = err.trim().split('\n');
  const parsed = lines
    .filter((l) => l.startsWith(file))
    .map((l) => {
      const m = /^(.*?):(\d+): (\S+): (\S+): .* \((\w+)\)$/.exec(l);
      assert.ok(m, `unexpected line format: ${l}`);
      return [Number(m[2]), m[3], m[4], m[5]];
    });
  assert.deepEqual(parsed, [
    [10, 'BGPPeer/router-a', 'spec.peerAddress', 'peerAddressInvalid'],
    [11, 'BGPPeer/router-a', 'spec.holdTime', 'holdTimeRange'],
    [21, 'IPAddressPool/pool-a', 'spec.addresses[1]', 'poolRangeOrder'],
    [30, 'BGPAdvertisement/adv-a', 'spec.aggregationLength', 'aggregationVsPrefix'],
    [32, 'BGPAdvertisement/adv-a', 'spec.communities[0]', 'unknownCommunityAlias'],
    [51, 'ConfigMap/config', 'peers[0].my-asn', 'myAsnRequired'],
    [56, 'ConfigMap/config', 'address-pools[0].addresses[0]', 'cidrOverlap'],
    [59, 'ConfigMap/config', 'address-pools[0].bgp-advertisements[0].communities[0]', 'communityInvalid'],
  ]);
});

test('validate: a valid folder of mixed objects exits 0 with a summary', async () => {
  const { code, out, err } = await run(['validate', join(configTestdata, 'seed.yaml')]);
  assert.equal(code, 0, err);
  assert.match(out, /^valid: 1 peer, 1 pool, 1 advertisement, 0 BFD profiles, 0 services\n$/);
});

test('validate: YAML syntax errors carry file and line; several paths are read together', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'metallb-ts-config-cli-'));
  try {
    await writeFile(join(dir, 'a.yaml'), 'apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata:\n  name: a\nspec:\n  addresses: [10.0.0.0/24\n');
    await writeFile(join(dir, 'b.yaml'), 'apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata:\n  name: b\nspec:\n  addresses: [10.0.0.0/25]\n');
    const { code, err } = await run(['validate', join(dir, 'a.yaml'), join(dir, 'b.yaml')]);
    assert.equal(code, 1);
    assert.match(err, new RegExp(`^${join(dir, 'a.yaml').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:\\d+: .*\\(yamlSyntax\\)$`, 'm'));
    // b alone is a valid pool (with a warning that nothing advertises it).
    const b = await run(['validate', join(dir, 'b.yaml')]);
    assert.equal(b.code, 0);
    assert.match(b.err, /warning: IPAddressPool\/b: .*\(poolNotAdvertised\)/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('convert prints CRDs on stdout; explain prints the normalised configuration', async () => {
  const seed = join(configTestdata, 'seed.yaml');
  const c = await run(['convert', seed]);
  assert.equal(c.code, 0, c.err);
  assert.match(c.out, /^kind: BGPPeer$/m);
  const e = await run(['explain', '--json', seed]);
  assert.equal(e.code, 0, e.err);
  const config = JSON.parse(e.out) as { peers: { holdTime: number }[] };
  assert.equal(config.peers[0]?.holdTime, 90);
  const secretPeer = join(configTestdata, '..', '..', '..', 'examples', 'config', 'crds.yaml');
  const redacted = await run(['explain', '--json', secretPeer]);
  assert.equal(redacted.code, 0, redacted.err);
  assert.ok(!redacted.out.includes('change-me'));
  assert.match(redacted.out, /"password": "<redacted>"/);
  const y = await run(['explain', seed]);
  assert.match(y.out, /^peers:$/m);
});

test('usage errors exit 2', async () => {
  assert.equal((await run([])).code, 2);
  assert.equal((await run(['validate'])).code, 2);
  assert.equal((await run(['frobnicate', 'x'])).code, 2);
  assert.equal((await run(['convert', 'a', 'b'])).code, 2);
  assert.equal((await run(['validate', '--bogus', 'x'])).code, 2);
});

test('convert without a legacy ConfigMap fails', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'metallb-ts-config-cli-'));
  try {
    await writeFile(join(dir, 'svc.yaml'), 'apiVersion: v1\nkind: Service\nmetadata:\n  name: s\n');
    const { code, err } = await run(['convert', dir]);
    assert.equal(code, 1);
    assert.match(err, /no legacy MetalLB ConfigMap/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('bin/metallb-ts config validate: exit code and stderr through the real binary', async () => {
  const { spawnSync } = await import('node:child_process');
  const bin = fileURLToPath(new URL('../../../bin/metallb-ts', import.meta.url));
  const bad = spawnSync(process.execPath, [bin, 'config', 'validate', join(testdata, 'several-mistakes.yaml')], { encoding: 'utf8' });
  assert.equal(bad.status, 1);
  assert.equal(bad.stderr.split('\n').filter((l) => / \(\w+\)$/.test(l)).length, 8);
  const good = spawnSync(process.execPath, [bin, 'config', 'validate', join(configTestdata, 'seed.yaml')], { encoding: 'utf8' });
  assert.equal(good.status, 0, good.stderr);
  assert.match(good.stdout, /^valid: /);
});
