/**
 * Every example under examples/config is valid on its own, and the legacy example converts to CRDs
 * that build the same configuration.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { parseManifests } from '../sources/manifests/parse.js';
import { configFromManifests } from './from-manifests.js';
import { convertLegacyConfigMap, renderCrdsYaml } from './convert.js';
import { errorsOf } from './test-helpers.js';

const dir = new URL('../../../examples/config/', import.meta.url);

test('every example validates on its own, warning only about the settings not applied yet', async () => {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.yaml'));
  assert.ok(files.length >= 2, 'examples/config has the examples');
  for (const f of files) {
    const r = configFromManifests(parseManifests(await readFile(new URL(f, dir), 'utf8'), f));
    assert.ok(r.ok, `${f}: ${JSON.stringify(errorsOf(r))}`);
    assert.deepEqual(r.config.warnings.filter((w) => w.rule !== 'settingNotApplied'), [], f);
    assert.ok(r.config.peers.length > 0 && r.config.pools.length > 0, f);
  }
});

test('the CRD example resolves its Secret, BFD profile and pool selector', async () => {
  const r = configFromManifests(parseManifests(await readFile(new URL('crds.yaml', dir), 'utf8'), 'crds.yaml'));
  assert.ok(r.ok);
  const [v4, v6] = r.config.peers;
  assert.equal(v4?.password, 'change-me');
  assert.equal(v4?.bfdProfile, 'fast');
  // The example shows both settings; the speaker applies the password, not BFD yet, and says so.
  assert.deepEqual(
    r.config.warnings.map((w) => [w.object, w.path, w.rule]),
    [['BGPPeer/router-v4', 'spec.bfdProfile', 'settingNotApplied']],
  );
  assert.deepEqual([v6?.holdTime, v6?.keepaliveTime], [30, 10]);
  assert.deepEqual(
    r.config.advertisements.map((a) => [a.name, a.ipAddressPools, a.communities, a.largeCommunities]),
    [
      ['public', ['default'], ['65535:65281'], ['64512:1:1']],
      ['reserved', ['reserved'], [], []],
    ],
  );
});

test('the legacy example converts to CRDs that build the same configuration', async () => {
  const text = await readFile(new URL('legacy-configmap.yaml', dir), 'utf8');
  const set = parseManifests(text, 'legacy-configmap.yaml');
  const legacy = configFromManifests(set);
  const cm = set.objects[0];
  assert.ok(cm && legacy.ok);
  const converted = convertLegacyConfigMap(cm);
  assert.ok(converted.ok);
  const crds = configFromManifests(parseManifests(renderCrdsYaml(converted.objects), 'converted.yaml'));
  assert.ok(crds.ok, JSON.stringify(errorsOf(crds)));
  assert.deepEqual({ ...crds.config, warnings: [] }, { ...legacy.config, warnings: [] });
});
