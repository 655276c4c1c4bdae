/**
 * MetalLB's defaults (native mode) that `buildConfig` fills in, so no later layer applies one of its own.
 */

/** MetalLB's defaults (native mode) and the limits this module enforces. */
export const CONFIG_DEFAULTS = {
  holdTime: 90,
  peerPort: 179,
  aggregationLength: 32,
  aggregationLengthV6: 128,
  /** FRR's BFD defaults, which MetalLB relies on when a profile leaves a field unset. */
  bfd: { receiveInterval: 300, transmitInterval: 300, detectMultiplier: 3, echoInterval: 50, minimumTtl: 254 },
} as const;
