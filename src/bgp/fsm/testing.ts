/**
 * Test-only builders for FSM tests: a configuration, a peer's OPEN, decode results. Not exported
 * from the library entry point.
 */
import { AFI, SAFI } from '../wire/types.js';
import type { BgpMessage, Capability, DecodeResult, OpenMessage } from '../wire/types.js';
import { DEFAULT_BACKOFF } from './backoff.js';
import type { FsmConfig } from './types.js';

/** The capabilities a MetalLB-like speaker advertises for `asn`. */
export function standardCapabilities(asn: number): Capability[] {
  return [
    { kind: 'multiprotocol', afi: AFI.ipv4, safi: SAFI.unicast },
    { kind: 'multiprotocol', afi: AFI.ipv6, safi: SAFI.unicast },
    { kind: 'routeRefresh' },
    { kind: 'fourOctetAs', asn },
    { kind: 'extendedMessage' },
  ];
}

/** An FSM configuration for AS 64500 peering with AS 64501, hold time 90 s. */
export function testConfig(over: Partial<FsmConfig> = {}): FsmConfig {
  const localAsn = over.localAsn ?? 64500;
  return {
    localAsn,
    peerAsn: 64501,
    holdTimeSec: 90,
    passive: false,
    connectTimeoutMs: 10_000,
    backoff: DEFAULT_BACKOFF,
    capabilities: standardCapabilities(localAsn),
    ...over,
  };
}

/** A peer's OPEN (AS 64501, hold 90, id 10.0.0.2, MP v4/v6, route refresh, 4-octet AS). */
export function peerOpen(over: Partial<OpenMessage> & { asn?: number; capabilities?: Capability[] } = {}): OpenMessage {
  const asn = over.asn ?? 64501;
  const { asn: _a, capabilities, ...rest } = over;
  return {
    type: 'open',
    version: 4,
    myAs: asn > 0xffff ? 23456 : asn,
    holdTime: 90,
    bgpId: '10.0.0.2',
    optionalParameters: [{ type: 'capabilities', capabilities: capabilities ?? standardCapabilities(asn) }],
    ...rest,
  };
}

/** A successful decode of `msg`. */
export function ok(msg: BgpMessage): DecodeResult {
  return { ok: true, msg, errors: [], withdrawAll: false };
}
