/**
 * config/ renders with `kubectl kustomize`, and the committed all-in-one file
 * config/manifests/metallb-ts.yaml is exactly its output (regenerate with `npm run manifests`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { MANIFEST, REPO, kubectlUnavailable, parseObjects, renderedObjects, repoFile } from './manifests.js';
import { readFileSync } from 'node:fs';

const noKubectl = kubectlUnavailable();

test('config/manifests/metallb-ts.yaml is the output of kubectl kustomize config/', { skip: noKubectl ?? false }, () => {
  const rendered = execFileSync('kubectl', ['kustomize', join(REPO, 'config')], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const committed = readFileSync(MANIFEST, 'utf8');
  const body = committed.replace(/^(#[^\n]*\n)+/, '');
  assert.ok(body.length < committed.length, 'the committed file starts with its header comment');
  assert.equal(body, rendered, 'config/ and config/manifests/metallb-ts.yaml differ: run `npm run manifests`');
  // The regeneration script agrees (it is what `npm run manifests` runs).
  execFileSync(process.execPath, [join(REPO, 'scripts/render-manifests.mjs'), '--check'], { stdio: 'pipe' });
});

test('the rendered manifest holds the namespace, the CRDs, RBAC and both components', () => {
  const objects = renderedObjects();
  const names = objects.map((o) => `${o.kind}/${o.metadata.name}`);
  for (const expected of [
    'Namespace/metallb-system',
    'CustomResourceDefinition/ipaddresspools.metallb.io',
    'CustomResourceDefinition/bgppeers.metallb.io',
    'CustomResourceDefinition/bgpadvertisements.metallb.io',
    'CustomResourceDefinition/l2advertisements.metallb.io',
    'CustomResourceDefinition/communities.metallb.io',
    'CustomResourceDefinition/bfdprofiles.metallb.io',
    'CustomResourceDefinition/servicebgpstatuses.metallb.io',
    'CustomResourceDefinition/servicel2statuses.metallb.io',
    'CustomResourceDefinition/configurationstates.metallb.io',
    'CustomResourceDefinition/bgpsessionstates.metallb.io',
    'ServiceAccount/metallb-ts-controller',
    'ServiceAccount/metallb-ts-speaker',
    'Deployment/metallb-ts-controller',
    'DaemonSet/metallb-ts-speaker',
  ]) {
    assert.ok(names.includes(expected), `${expected} is in the manifest`);
  }
  assert.equal(new Set(names).size, names.length, 'no object twice');
  // Every namespaced object sits in metallb-system.
  for (const o of objects) {
    if (['Namespace', 'CustomResourceDefinition', 'ClusterRole', 'ClusterRoleBinding'].includes(o.kind)) {
      assert.equal(o.metadata.namespace, undefined, `${o.kind}/${o.metadata.name} is cluster-scoped`);
    } else {
      assert.equal(o.metadata.namespace, 'metallb-system', `${o.kind}/${o.metadata.name}`);
    }
  }
});

test("the image tag is the package's version", () => {
  const version = (JSON.parse(repoFile('package.json')) as { version: string }).version;
  const images = new Set<string>();
  for (const o of renderedObjects()) {
    const spec = (o as { spec?: { template?: { spec?: { containers?: { image?: string }[] } } } }).spec;
    for (const c of spec?.template?.spec?.containers ?? []) images.add(c.image ?? '');
  }
  assert.deepEqual([...images], [`metallb-ts:${version}`]);
});

test('parseObjects rejects a document without apiVersion or kind', () => {
  assert.throws(() => parseObjects('metadata: {name: x}\n', 'x.yaml'), /apiVersion\/kind/);
  assert.deepEqual(parseObjects('---\n', 'empty.yaml'), []);
});
