/**
 * The scale benchmark's trace (bench/scale.ts --trace): the speakers' `manifestsApplied` debug lines
 * (src/speaker/node-speaker.ts) read back and matched to the benchmark's file operations. Both sides
 * stamp CLOCK_MONOTONIC, one clock for every process of the host, so no wall clock (which NTP may
 * slew) enters. Pure: log text and times in, traces out.
 */
import type { ChangeRecord, ChangeTrace } from './scale-report.js';

/** One `manifestsApplied` debug line, on the benchmark's clock (`performance.now()`). */
export interface AppliedLine {
  readonly noticed: number;
  readonly read: number;
  readonly written: number;
  /** The speaker's CPU time over the read and the apply. */
  readonly cpuMs: number | undefined;
}

/** CLOCK_MONOTONIC in ms minus `performance.now()`: the two advance together within a process. */
export function monotonicOffset(): number {
  return Number(process.hrtime.bigint()) / 1e6 - performance.now();
}

/** The `manifestsApplied` lines of a speaker's log, oldest first. */
export function appliedLines(log: string, offset: number): AppliedLine[] {
  const out: AppliedLine[] = [];
  for (const line of log.split('\n')) {
    if (!line.includes('"manifestsApplied"')) continue;
    let j: { monotonicMs?: number; cpuMs?: number; quietMs?: number; queuedMs?: number; readMs?: number; applyMs?: number };
    try {
      j = JSON.parse(line) as typeof j;
    } catch {
      continue;
    }
    // The speaker's CLOCK_MONOTONIC, on this process's `performance.now()`.
    const written = j.monotonicMs !== undefined ? j.monotonicMs - offset : undefined;
    if (written === undefined || j.readMs === undefined || j.applyMs === undefined || j.queuedMs === undefined || j.quietMs === undefined) continue;
    const read = written - j.applyMs - j.readMs;
    out.push({ noticed: read - j.queuedMs - j.quietMs, read, written, cpuMs: j.cpuMs });
  }
  return out;
}

/**
 * Gives each change the trace of the reload that carried it, on every node: the first
 * `manifestsApplied` line whose re-read started at or after the file operation (both on
 * CLOCK_MONOTONIC), within the limit; the slowest node's times. Writing the temporary file before the
 * rename already wakes the watcher, so the rename's event may join a batch noticed before it: then
 * `noticedMs` is left out (the read still starts after the rename's quiet time).
 */
export function attachTraces(starts: ReadonlyMap<ChangeRecord, number>, logs: readonly AppliedLine[][], limitMs: number): void {
  for (const [record, t0] of starts) {
    if (record.selectedMs === undefined) continue;
    let trace: ChangeTrace | undefined;
    for (const lines of logs) {
      const l = lines.find((x) => x.read >= t0 && x.read <= t0 + limitMs);
      if (!l) {
        trace = undefined;
        break;
      }
      const mine: ChangeTrace = { noticedMs: l.noticed >= t0 ? l.noticed - t0 : undefined, readMs: l.read - t0, writtenMs: l.written - t0, cpuMs: l.cpuMs };
      if (!trace || mine.writtenMs > trace.writtenMs) trace = mine;
    }
    record.trace = trace;
  }
}
