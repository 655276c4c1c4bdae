/**
 * Lease election with a manual clock and an in-memory Lease that behaves as the API server's
 * (resourceVersion checked on update, 409 on a stale one).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '../observe/log.js';
import { ApiError } from './api.js';
import type { LeaseApi, LeaseRead, LeaseRecord } from './leader-election.js';
import { DEFAULT_LEASE_TIMING, LeaseElector, leaseTimingFor, microTime } from './leader-election.js';
import { ManualClock } from './test-support.js';

class MemoryLease {
  read: LeaseRead | undefined;
  #rv = 1;
  down = false;
  writes: LeaseRecord[] = [];
  apiFor(): LeaseApi {
    return {
      get: async () => {
        if (this.down) throw new ApiError(0, 'connection refused');
        return this.read;
      },
      create: async (record) => {
        if (this.down) throw new ApiError(0, 'connection refused');
        if (this.read) throw new ApiError(409, 'exists');
        this.writes.push(record);
        this.read = { record, resourceVersion: String(this.#rv++) };
        return this.read;
      },
      update: async (record, rv) => {
        if (this.down) throw new ApiError(0, 'connection refused');
        if (!this.read || this.read.resourceVersion !== rv) throw new ApiError(409, 'conflict');
        this.writes.push(record);
        this.read = { record, resourceVersion: String(this.#rv++) };
        return this.read;
      },
    };
  }
}

function candidate(lease: MemoryLease, clock: ManualClock, identity: string): { elector: LeaseElector; log: string[] } {
  const log: string[] = [];
  const elector = new LeaseElector({
    api: lease.apiFor(),
    identity,
    logger: silentLogger,
    clock,
    monotonicNow: () => clock.now,
    wallNow: () => 1_780_000_000_000 + clock.now + 0.123,
    onStartedLeading: () => log.push('start'),
    onStoppedLeading: () => log.push('stop'),
  });
  return { elector, log };
}

test('MicroTime has six fractional digits', () => {
  assert.equal(microTime(Date.UTC(2026, 11, 3, 19, 30, 0, 123) + 0.456), '2026-12-03T19:30:00.123456Z');
  assert.equal(microTime(Date.UTC(2026, 11, 3, 19, 30, 0, 0)), '2026-12-03T19:30:00.000000Z');
});

test('timing: renew deadline and retry period follow the lease duration', () => {
  assert.deepEqual(leaseTimingFor(10_000), DEFAULT_LEASE_TIMING);
});

test('one of two candidates leads; when it dies the other takes over within 15 s', async () => {
  const clock = new ManualClock();
  const lease = new MemoryLease();
  const a = candidate(lease, clock, 'a');
  const b = candidate(lease, clock, 'b');
  a.elector.start();
  await clock.advance(0);
  b.elector.start();
  await clock.advance(0);
  assert.deepEqual(a.log, ['start']);
  assert.equal(b.log.length, 0);
  assert.equal(lease.read?.record.holderIdentity, 'a');
  assert.match(lease.read?.record.renewTime ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  // a keeps renewing; b never takes over meanwhile.
  await clock.advance(30_000);
  assert.equal(b.log.length, 0);
  // a dies without releasing (no more renewals) right after a renewal.
  await a.elector.stop({ release: false });
  const died = clock.now;
  let tookOver: number | undefined;
  for (let t = 0; t < 20_000 && tookOver === undefined; t += 100) {
    await clock.advance(100);
    if (b.log.includes('start')) tookOver = clock.now;
  }
  assert.ok(tookOver !== undefined, 'b took over');
  assert.ok(tookOver - died <= 15_000, `took over ${tookOver - died} ms after the leader died`);
  assert.equal(lease.read?.record.holderIdentity, 'b');
  assert.equal(lease.read?.record.leaseTransitions, 1);
});

test('a released lease is taken at the next try', async () => {
  const clock = new ManualClock();
  const lease = new MemoryLease();
  const a = candidate(lease, clock, 'a');
  const b = candidate(lease, clock, 'b');
  a.elector.start();
  await clock.advance(0);
  b.elector.start();
  await clock.advance(0);
  await a.elector.stop({ release: true });
  assert.deepEqual(a.log, ['start', 'stop']);
  assert.equal(lease.read?.record.holderIdentity, '');
  await clock.advance(DEFAULT_LEASE_TIMING.retryPeriodMs);
  assert.deepEqual(b.log, ['start']);
});

test('a leader that cannot renew stops leading at the renew deadline, before the lease expires for others', async () => {
  const clock = new ManualClock();
  const lease = new MemoryLease();
  const a = candidate(lease, clock, 'a');
  a.elector.start();
  await clock.advance(0);
  assert.deepEqual(a.log, ['start']);
  lease.down = true;
  const downAt = clock.now;
  let stoppedAt: number | undefined;
  for (let t = 0; t < 20_000 && stoppedAt === undefined; t += 100) {
    await clock.advance(100);
    if (a.log.includes('stop')) stoppedAt = clock.now;
  }
  assert.ok(stoppedAt !== undefined);
  assert.ok(stoppedAt - downAt <= DEFAULT_LEASE_TIMING.renewDeadlineMs, `stopped after ${stoppedAt - downAt} ms`);
  assert.ok(stoppedAt - downAt < DEFAULT_LEASE_TIMING.leaseDurationMs);
  // The server returns: a leads again.
  lease.down = false;
  await clock.advance(DEFAULT_LEASE_TIMING.retryPeriodMs);
  assert.deepEqual(a.log, ['start', 'stop', 'start']);
});

test('a leader that sees another holder in the lease stops at once', async () => {
  const clock = new ManualClock();
  const lease = new MemoryLease();
  const a = candidate(lease, clock, 'a');
  a.elector.start();
  await clock.advance(0);
  const read = lease.read as LeaseRead;
  // Someone else wrote the lease (a partition healed, an operator edited it).
  lease.read = { record: { ...read.record, holderIdentity: 'z' }, resourceVersion: '999' };
  await clock.advance(DEFAULT_LEASE_TIMING.retryPeriodMs);
  assert.deepEqual(a.log, ['start', 'stop']);
});
