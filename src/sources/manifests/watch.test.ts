import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { watchManifests } from './watch.js';

function waitFor(pred: () => boolean, ms = 3000): Promise<void> {
  const start = Date.now();
  return new Promise((res, rej) => {
    const tick = (): void => {
      if (pred()) res();
      else if (Date.now() - start > ms) rej(new Error('condition not met in time'));
      else setTimeout(tick, 10);
    };
    tick();
  });
}

test('a folder: writes, new files, and files in new subfolders are seen', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mlbts-watch-'));
  let calls = 0;
  const w = watchManifests([dir], () => calls++, { debounceMs: 10 });
  try {
    writeFileSync(join(dir, 'a.yaml'), 'a: 1\n');
    await waitFor(() => calls >= 1);
    const before = calls;
    mkdirSync(join(dir, 'sub'));
    await waitFor(() => calls > before);
    const mid = calls;
    writeFileSync(join(dir, 'sub', 'b.yaml'), 'b: 1\n');
    await waitFor(() => calls > mid);
  } finally {
    w.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a file replaced by rename (as editors save) is seen; other files in its folder are not', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mlbts-watch-'));
  const file = join(dir, 'cluster.yaml');
  writeFileSync(file, 'x: 1\n');
  let calls = 0;
  const w = watchManifests([file], () => calls++, { debounceMs: 10 });
  try {
    writeFileSync(join(dir, 'unrelated.txt'), 'noise');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(calls, 0);
    writeFileSync(join(dir, '.cluster.yaml.swp'), 'x: 2\n');
    renameSync(join(dir, '.cluster.yaml.swp'), file);
    await waitFor(() => calls >= 1);
  } finally {
    w.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('no callback after close', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mlbts-watch-'));
  let calls = 0;
  const w = watchManifests([dir], () => calls++, { debounceMs: 10 });
  w.close();
  writeFileSync(join(dir, 'a.yaml'), 'a: 1\n');
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(calls, 0);
  rmSync(dir, { recursive: true, force: true });
});
