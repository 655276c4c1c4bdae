/**
 * Connect retry backoff (RFC 4271 §8.1.3 ConnectRetryTimer, with MetalLB's doubling): the n-th
 * retry waits `min(max, initial * 2^n)` less a random jitter fraction. The randomness comes from a
 * small seeded generator kept in the FSM state, so the reducer stays pure and tests are repeatable.
 */
import type { BackoffConfig } from './types.js';

/** Defaults: first retry within 1 s, doubling up to 2 minutes (MetalLB native), 25 % jitter. */
export const DEFAULT_BACKOFF: BackoffConfig = { initialMs: 1000, maxMs: 120_000, jitter: 0.25 };

/** One step of mulberry32: the next generator state and a number in [0, 1). */
export function nextRandom(rng: number): { rng: number; value: number } {
  const next = (rng + 0x6d2b79f5) >>> 0;
  let t = next;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  const value = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  return { rng: next, value };
}

/** The delay before retry number `attempt` (0-based), given a random number `r` in [0, 1). */
export function backoffDelay(config: BackoffConfig, attempt: number, r: number): number {
  const base = Math.min(config.maxMs, config.initialMs * 2 ** Math.min(attempt, 40));
  const jitter = Math.min(1, Math.max(0, config.jitter));
  return Math.max(1, Math.round(base * (1 - jitter * r)));
}
