/**
 * The write queue: coalescing, a key marked again while in flight, priorities, backoff and clear.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError, classifyApiError } from './api.js';
import { ManualClock, settle } from './test-support.js';
import { WriteQueue } from './write-queue.js';

/** A performer whose calls wait until the test releases them. */
function gated(): { perform: (key: string) => Promise<void>; started: string[]; release: (key: string, err?: unknown) => void } {
  const started: string[] = [];
  const waiting = new Map<string, { resolve: () => void; reject: (e: unknown) => void }>();
  return {
    started,
    perform: (key) =>
      new Promise<void>((resolve, reject) => {
        started.push(key);
        waiting.set(key, { resolve, reject });
      }),
    release: (key, err) => {
      const w = waiting.get(key);
      waiting.delete(key);
      if (err === undefined) w?.resolve();
      else w?.reject(err);
    },
  };
}

test('a key marked many times while it waits is written once', async () => {
  const g = gated();
  const q = new WriteQueue({ perform: g.perform, classify: classifyApiError, concurrency: 1 });
  q.enqueue('a');
  q.enqueue('b');
  q.enqueue('b');
  q.enqueue('b');
  assert.deepEqual(g.started, ['a']);
  g.release('a');
  await settle();
  assert.deepEqual(g.started, ['a', 'b']);
  g.release('b');
  await q.idle();
  assert.deepEqual(g.started, ['a', 'b']);
});

test('a key marked while its write is in flight is written again after it', async () => {
  const g = gated();
  const q = new WriteQueue({ perform: g.perform, classify: classifyApiError });
  q.enqueue('a');
  q.enqueue('a');
  assert.deepEqual(g.started, ['a']);
  g.release('a');
  await settle();
  assert.deepEqual(g.started, ['a', 'a']);
  g.release('a');
  await q.idle();
  assert.equal(q.size, 0);
});

test('low-priority keys wait until no other key waits or runs', async () => {
  const g = gated();
  const q = new WriteQueue({ perform: g.perform, classify: classifyApiError, concurrency: 4 });
  q.enqueue('svc', 'normal');
  q.enqueue('event', 'low');
  assert.deepEqual(g.started, ['svc']);
  g.release('svc');
  await settle();
  assert.deepEqual(g.started, ['svc', 'event']);
  g.release('event');
  await q.idle();
});

test('an unreachable server pauses the whole queue with doubling backoff; a refused write waits alone', async () => {
  const g = gated();
  const clock = new ManualClock();
  const failures: string[] = [];
  const q = new WriteQueue({
    perform: g.perform,
    classify: classifyApiError,
    clock,
    concurrency: 1,
    initialBackoffMs: 100,
    onFailure: (key, _err, kind, ms) => failures.push(`${key} ${kind} ${ms}`),
  });
  q.enqueue('a');
  q.enqueue('b');
  g.release('a', new ApiError(0, 'refused'));
  await settle();
  assert.deepEqual(g.started, ['a'], 'paused');
  assert.ok(q.backingOff);
  await clock.advance(100);
  assert.deepEqual(g.started, ['a', 'a'], 'the failed key goes first');
  g.release('a', new ApiError(503, 'unavailable'));
  await settle();
  await clock.advance(199);
  assert.equal(g.started.length, 2);
  await clock.advance(1);
  assert.equal(g.started.length, 3);
  g.release('a');
  await settle();
  assert.deepEqual(g.started, ['a', 'a', 'a', 'b']);
  // A 422 is this object's problem: it waits alone and the rest goes on.
  q.enqueue('c');
  g.release('b', new ApiError(422, 'invalid'));
  await settle();
  assert.deepEqual(g.started.slice(4), ['c']);
  g.release('c');
  await settle();
  await clock.advance(100);
  assert.deepEqual(g.started.slice(5), ['b']);
  g.release('b');
  await q.idle();
  assert.deepEqual(failures, ['a unavailable 100', 'a unavailable 200', 'b rejected 100']);
});

test('clear drops every waiting write, and the outcome of one in flight schedules nothing', async () => {
  const g = gated();
  const clock = new ManualClock();
  const q = new WriteQueue({ perform: g.perform, classify: classifyApiError, clock, concurrency: 1 });
  q.enqueue('a');
  q.enqueue('b');
  q.enqueue('a');
  q.clear();
  g.release('a', new ApiError(0, 'refused'));
  await settle();
  await clock.advance(60_000);
  assert.deepEqual(g.started, ['a']);
  assert.equal(q.size, 0);
  assert.equal(clock.pending, 0);
});
