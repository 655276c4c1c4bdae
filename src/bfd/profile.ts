/**
 * A BFDProfile (config) -> the settings of one BFD session for one BGP peer. Pure. The first half of
 * the wiring: the speaker runtime is to call it per peer with a `bfdProfile`.
 *
 * Profile intervals are in milliseconds (MetalLB's BFDProfile CRD); the protocol's in microseconds.
 * Echo mode is not implemented and is reported; `minimumTtl` is reported for a multihop session
 * because node:dgram cannot read a received TTL (see udp.ts).
 */
import type { BfdProfileConfig } from '../config/types.js';
import type { BfdIntervals } from './fsm.js';
import { BFD_MULTI_HOP_PORT, BFD_SINGLE_HOP_PORT } from './udp.js';

/** What a BFD session for one peer runs with. */
export interface BfdPeerSettings {
  readonly intervals: BfdIntervals;
  readonly passive: boolean;
  /** 3784 single hop (RFC 5881 §4), 4784 multihop (RFC 5883 §5). */
  readonly port: number;
  readonly multihop: boolean;
}

/** A profile setting the session cannot honour, with a stable rule name. */
export interface BfdProfileWarning {
  readonly rule: 'bfdEchoNotSupported' | 'bfdMinimumTtlNotChecked';
  readonly field: 'echoMode' | 'minimumTtl';
  readonly message: string;
}

/** The session settings for `profile` on a peer with or without `ebgpMultiHop`, and its warnings. */
export function bfdSettingsFor(profile: BfdProfileConfig, multihop: boolean): { settings: BfdPeerSettings; warnings: BfdProfileWarning[] } {
  const warnings: BfdProfileWarning[] = [];
  if (profile.echoMode) {
    warnings.push({ rule: 'bfdEchoNotSupported', field: 'echoMode', message: 'BFD echo mode is not supported; the session runs in asynchronous mode only' });
  }
  if (multihop) {
    warnings.push({
      rule: 'bfdMinimumTtlNotChecked',
      field: 'minimumTtl',
      message: `the TTL of received BFD packets cannot be read, so minimumTtl ${profile.minimumTtl} is not checked`,
    });
  }
  return {
    settings: {
      intervals: {
        desiredMinTxUs: profile.transmitInterval * 1000,
        requiredMinRxUs: profile.receiveInterval * 1000,
        detectMult: profile.detectMultiplier,
      },
      passive: profile.passiveMode,
      port: multihop ? BFD_MULTI_HOP_PORT : BFD_SINGLE_HOP_PORT,
      multihop,
    },
    warnings,
  };
}
