import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { watchManifests } from './watch.js';
import type { WatchTimers } from './watch.js';

/** Collects the callbacks of a watcher and lets a test wait for the next one (an event, no polling). */
function recorder(): { calls: string[][]; onChange: (files: string[]) => void; next: () => Promise<string[]> } {
  const calls: string[][] = [];
  let waiting: ((files: string[]) => void) | undefined;
  let seen = 0;
  return {
    calls,
    onChange: (files) => {
      calls.push(files);
      const w = waiting;
      waiting = undefined;
      if (w) {
        seen = calls.length;
        w(files);
      }
    },
    next: () =>
      new Promise((res) => {
        if (calls.length > seen) {
          seen = calls.length;
          res(calls[seen - 1] as string[]);
        } else waiting = res;
      }),
  };
}

/** Timers under the test's control: the watcher's quiet-time timer runs only when the test says. */
function manualTimers(): WatchTimers & { armed: () => Promise<void>; runPending: () => void; scheduled: number } {
  let pending: (() => void) | undefined;
  let onArm: (() => void) | undefined;
  const t = {
    scheduled: 0,
    setTimeout(callback: () => void): unknown {
      t.scheduled++;
      pending = callback;
      const w = onArm;
      onArm = undefined;
      w?.();
      return callback;
    },
    clearTimeout(handle: unknown): void {
      if (handle === pending) pending = undefined;
    },
    /** Resolves once a quiet-time timer is pending (at once if one is). */
    armed: () => new Promise<void>((res) => (pending ? res() : (onArm = res))),
    runPending(): void {
      const p = pending;
      pending = undefined;
      p?.();
    },
  };
  return t;
}

const TIMEOUT = { timeout: 10_000 };

test('a folder: writes, new files and files in new subfolders are reported by path', TIMEOUT, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mlbts-watch-'));
  const r = recorder();
  const w = watchManifests([dir], r.onChange);
  try {
    writeFileSync(join(dir, 'a.yaml'), 'a: 1\n');
    assert.ok((await r.next()).includes(join(dir, 'a.yaml')));
    mkdirSync(join(dir, 'sub'));
    assert.ok((await r.next()).includes(join(dir, 'sub')));
    writeFileSync(join(dir, 'sub', 'b.yaml'), 'b: 1\n');
    let files = await r.next();
    // The folder's own event may come first; the file's follows.
    while (!files.includes(join(dir, 'sub', 'b.yaml'))) files = await r.next();
  } finally {
    w.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a file replaced by rename (as editors save) is reported; other files in its folder are not', TIMEOUT, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mlbts-watch-'));
  const file = join(dir, 'cluster.yaml');
  writeFileSync(file, 'x: 1\n');
  const r = recorder();
  const w = watchManifests([file], r.onChange);
  try {
    // The unrelated write happens first: had it been reported, it would be in the first callback.
    writeFileSync(join(dir, 'unrelated.txt'), 'noise');
    writeFileSync(join(dir, '.cluster.yaml.swp'), 'x: 2\n');
    renameSync(join(dir, '.cluster.yaml.swp'), file);
    assert.deepEqual(await r.next(), [file]);
    assert.deepEqual(r.calls, [[file]]);
  } finally {
    w.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the events of one save are merged into one callback after the quiet time', TIMEOUT, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mlbts-watch-'));
  const timers = manualTimers();
  const r = recorder();
  const w = watchManifests([dir], r.onChange, { timers });
  try {
    // A second watcher with real timers on the same folder tells when both events were delivered.
    const witness = recorder();
    const other = watchManifests([dir], witness.onChange);
    writeFileSync(join(dir, 'a.yaml'), 'a: 1\n');
    writeFileSync(join(dir, 'b.yaml'), 'b: 1\n');
    let seen = await witness.next();
    while (!seen.includes(join(dir, 'b.yaml'))) seen = await witness.next();
    other.close();
    await timers.armed();
    assert.deepEqual(r.calls, []);
    timers.runPending();
    assert.deepEqual(r.calls, [[join(dir, 'a.yaml'), join(dir, 'b.yaml')]]);
  } finally {
    w.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('no callback after close, even with an event pending', TIMEOUT, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mlbts-watch-'));
  const timers = manualTimers();
  const r = recorder();
  const w = watchManifests([dir], r.onChange, { timers });
  writeFileSync(join(dir, 'a.yaml'), 'a: 1\n');
  await timers.armed();
  w.close();
  timers.runPending();
  // Later events: a second watcher on the same folder sees the write; the closed one schedules nothing.
  const witness = recorder();
  const other = watchManifests([dir], witness.onChange);
  try {
    const before = timers.scheduled;
    writeFileSync(join(dir, 'b.yaml'), 'b: 1\n');
    await witness.next();
    assert.equal(timers.scheduled, before);
    assert.deepEqual(r.calls, []);
  } finally {
    other.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the callback says when the first event of its batch arrived, and each batch starts afresh', TIMEOUT, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mlbts-watch-'));
  const timers = manualTimers();
  const firsts: number[] = [];
  const w = watchManifests([dir], (_files, firstEventAt) => firsts.push(firstEventAt), { timers });
  const witness = recorder();
  const other = watchManifests([dir], witness.onChange);
  try {
    const beforeWrite = performance.now();
    writeFileSync(join(dir, 'a.yaml'), 'a: 1\n');
    await timers.armed();
    const firstArrived = performance.now();
    // A second event of the same batch does not move its start.
    writeFileSync(join(dir, 'b.yaml'), 'b: 1\n');
    let seen = await witness.next();
    while (!seen.includes(join(dir, 'b.yaml'))) seen = await witness.next();
    await timers.armed();
    timers.runPending();
    assert.equal(firsts.length, 1);
    const first = firsts[0] ?? NaN;
    assert.ok(first >= beforeWrite && first <= firstArrived, `${first} not within [${beforeWrite}, ${firstArrived}]`);
    const afterFirstBatch = performance.now();
    writeFileSync(join(dir, 'c.yaml'), 'c: 1\n');
    await timers.armed();
    timers.runPending();
    assert.equal(firsts.length, 2);
    assert.ok((firsts[1] ?? NaN) >= afterFirstBatch);
  } finally {
    other.close();
    w.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
