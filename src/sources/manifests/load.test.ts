import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadManifests } from './load.js';

test('loads files and folders recursively, only manifest extensions inside folders', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'metallb-ts-manifests-'));
  try {
    await mkdir(join(dir, 'sub'));
    await writeFile(join(dir, 'a.yaml'), 'apiVersion: v1\nkind: Node\nmetadata: {name: a}\n');
    await writeFile(join(dir, 'sub', 'b.yml'), 'apiVersion: v1\nkind: Node\nmetadata: {name: b}\n---\nkind: [\n');
    await writeFile(join(dir, 'sub', 'c.json'), '{"apiVersion":"v1","kind":"Node","metadata":{"name":"c"}}');
    await writeFile(join(dir, 'notes.txt'), 'kind: Node\n');
    const set = await loadManifests([dir, join(dir, 'missing.yaml')]);
    assert.deepEqual(
      set.objects.map((o) => (o.object.metadata as { name: string }).name),
      ['a', 'b', 'c'],
    );
    assert.deepEqual(
      set.errors.map((e) => [e.code, e.file.endsWith('b.yml') || e.file.endsWith('missing.yaml')]).sort(),
      [
        ['readFailed', true],
        ['yamlSyntax', true],
      ],
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('loadConfig reads the configuration and keeps every other object', async () => {
  const { loadConfig } = await import('./config.js');
  const { objectsOfKind } = await import('./select.js');
  const dir = await mkdtemp(join(tmpdir(), 'metallb-ts-manifests-'));
  try {
    await writeFile(
      join(dir, 'all.yaml'),
      [
        'apiVersion: metallb.io/v1beta2',
        'kind: BGPPeer',
        'metadata: {name: r, namespace: metallb-system}',
        'spec: {myASN: 64512, peerASN: 64513, peerAddress: 10.0.0.1}',
        '---',
        'apiVersion: metallb.io/v1beta1',
        'kind: IPAddressPool',
        'metadata: {name: p, namespace: metallb-system}',
        'spec: {addresses: [10.1.0.0/24]}',
        '---',
        'apiVersion: metallb.io/v1beta1',
        'kind: BGPAdvertisement',
        'metadata: {name: a, namespace: metallb-system}',
        '---',
        'apiVersion: v1',
        'kind: Service',
        'metadata: {name: web, namespace: default}',
        'spec: {type: LoadBalancer}',
        '',
      ].join('\n'),
    );
    const { result, manifests } = await loadConfig([dir]);
    assert.ok(result.ok, JSON.stringify(result.ok ? [] : result.errors));
    assert.deepEqual(result.config.peers.map((p) => p.name), ['r']);
    assert.deepEqual(objectsOfKind(manifests.objects, 'Service').map((o) => o.origin.line), [15]);
    assert.equal(objectsOfKind(manifests.objects, 'BGPPeer', 'metallb.io').length, 1);
    assert.equal(objectsOfKind(manifests.objects, 'BGPPeer', 'metallb.io/v1beta1').length, 0);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
