/**
 * `config convert` golden files (testdata/convert/*.golden.yaml, five of them byte-for-byte MetalLB's
 * own configmaptocrs goldens), and the round trip: the converted CRDs validate and build the same
 * normalised configuration as the legacy ConfigMap.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { parseManifests } from '../sources/manifests/parse.js';
import { configFromManifests } from './from-manifests.js';
import { convertLegacyConfigMap, kubernetesName, renderCrdsYaml } from './convert.js';
import { resourcesFromObjects } from './decode.js';
import { buildConfig } from './build.js';
import type { Config } from './types.js';
import { configMap, errorsOf } from './test-helpers.js';

const dir = new URL('../../../src/config/testdata/convert/', import.meta.url);

async function cases(): Promise<string[]> {
  const names = (await readdir(dir)).filter((f) => f.endsWith('.golden.yaml')).map((f) => f.replace(/\.golden\.yaml$/, ''));
  return names.sort();
}

function convertText(text: string, file: string): string {
  const set = parseManifests(text, file);
  assert.deepEqual(set.errors, []);
  const cm = set.objects.find((o) => o.object.kind === 'ConfigMap');
  assert.ok(cm, 'fixture has a ConfigMap');
  const result = convertLegacyConfigMap(cm);
  assert.ok(result.ok, JSON.stringify(result.ok ? [] : result.errors));
  return renderCrdsYaml(result.objects);
}

test('golden files exist (the folder is not silently empty)', async () => {
  const names = await cases();
  for (const expected of ['peers', 'address-pools', 'communities', 'bfdprofile', 'convert-names', 'full', 'seed']) {
    assert.ok(names.includes(expected), `missing golden ${expected}`);
  }
});

for (const name of await cases()) {
  test(`config convert golden: ${name}`, async () => {
    const input = await readFile(new URL(`${name}.yaml`, dir), 'utf8');
    const golden = await readFile(new URL(`${name}.golden.yaml`, dir), 'utf8');
    assert.equal(convertText(input, `${name}.yaml`), golden);
  });

  test(`converted ${name} validates to the same configuration as the ConfigMap`, async () => {
    const input = await readFile(new URL(`${name}.yaml`, dir), 'utf8');
    const legacy = configFromManifests(parseManifests(input, `${name}.yaml`));
    const crds = configFromManifests(parseManifests(convertText(input, `${name}.yaml`), `${name}.golden.yaml`));
    assert.ok(legacy.ok, JSON.stringify(errorsOf(legacy)));
    assert.ok(crds.ok, JSON.stringify(errorsOf(crds)));
    // Peer names aside (both are peer1..N here anyway), and with legacy names made Kubernetes-safe.
    const normal = (c: Config, renamed: boolean): unknown => {
      const k8s = (n: string): string => (renamed ? (kubernetesName(n) ?? n) : n);
      return {
        peers: c.peers.map((p) => ({ ...p, name: '', ...(p.bfdProfile ? { bfdProfile: k8s(p.bfdProfile) } : {}) })),
        pools: c.pools.map((p) => ({ ...p, name: k8s(p.name) })),
        advertisements: c.advertisements.map((a) => ({ ...a, ipAddressPools: a.ipAddressPools.map(k8s) })),
        bfdProfiles: c.bfdProfiles.map((b) => ({ ...b, name: k8s(b.name) })),
      };
    };
    assert.deepEqual(normal(crds.config, false), normal(legacy.config, true));
  });
}

test('Kubernetes-safe names as configmaptocrs makes them', () => {
  assert.equal(kubernetesName('default'), 'default');
  assert.equal(kubernetesName('My_Pool'), 'my-pool');
  assert.equal(kubernetesName('01-numbered'), 'numbered');
  assert.equal(kubernetesName('x'.repeat(70))?.length, 63);
  assert.equal(kubernetesName('0123'), undefined);
});

test('an invalid ConfigMap does not convert, and says why', () => {
  const result = convertLegacyConfigMap({ object: configMap('peers:\n- peer-address: 10.0.0.1\n  my-asn: 1\n') });
  assert.equal(result.ok, false);
  assert.deepEqual(result.ok ? [] : result.errors.map((e) => [e.rule, e.path]), [['peerAsnRequired', 'peers[0].peer-asn']]);
});

test('a pool name without a letter cannot be converted', () => {
  const result = convertLegacyConfigMap({ object: configMap('address-pools:\n- name: "0123"\n  protocol: bgp\n  addresses: [10.0.0.0/24]\n') });
  assert.deepEqual(result.ok ? [] : result.errors.map((e) => e.rule), ['nameNotConvertible']);
});

test('convert keeps only what was given: keepaliveTime, localPref, communities, aggregation', () => {
  const cfg = [
    'peers:',
    '- {peer-address: 10.0.0.1, peer-asn: 65001, my-asn: 65000, keepalive-time: 10s, hold-time: 1m}',
    'address-pools:',
    '- name: p',
    '  protocol: bgp',
    '  addresses: [10.1.0.0/24]',
    '  bgp-advertisements:',
    '  - {localpref: 200, communities: [no-export, "1:2"], aggregation-length: 24}',
    'bgp-communities: {no-export: "65535:65281"}',
  ].join('\n');
  const result = convertLegacyConfigMap({ object: configMap(cfg, 'config', 'lb') });
  assert.ok(result.ok);
  const [peer, pool, adv, community] = result.objects as Record<string, Record<string, unknown>>[];
  assert.deepEqual(peer?.spec, { holdTime: '1m0s', keepaliveTime: '10s', myASN: 65000, passwordSecret: {}, peerASN: 65001, peerAddress: '10.0.0.1' });
  assert.deepEqual(peer?.metadata, { name: 'peer1', namespace: 'lb' });
  assert.deepEqual(pool?.spec, { addresses: ['10.1.0.0/24'] });
  assert.deepEqual(adv?.spec, { aggregationLength: 24, communities: ['no-export', '1:2'], ipAddressPools: ['p'], localPref: 200 });
  assert.deepEqual(community?.spec, { communities: [{ name: 'no-export', value: '65535:65281' }] });
  const built = buildConfig(resourcesFromObjects(result.objects.map((object) => ({ object }))));
  assert.ok(built.ok);
  assert.deepEqual(built.config.advertisements[0]?.communities, ['1:2', '65535:65281']);
});
