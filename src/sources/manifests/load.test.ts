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
