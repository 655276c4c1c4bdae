/**
 * Building our OPEN and checking the peer's (RFC 4271 §4.2, §6.2; RFC 5492; RFC 6793; RFC 4760 §8;
 * RFC 8654; RFC 6286), and negotiating the session parameters from the two. Pure.
 */
import { AFI, AS_TRANS, SAFI } from '../wire/types.js';
import type { Capability, NotificationMessage, OpenMessage } from '../wire/types.js';
import { ErrorCode, OpenSubcode, notification } from './codes.js';
import type { FsmConfig, Negotiated } from './types.js';

/** The hold time used in OpenSent before the peer's OPEN arrives (RFC 4271 §8.2.2: "4 minutes"). */
export const LARGE_HOLD_TIME_MS = 240_000;

/** All capabilities of an OPEN, across its optional parameters. */
export function capabilitiesOf(open: OpenMessage): Capability[] {
  const out: Capability[] = [];
  for (const p of open.optionalParameters) if (p.type === 'capabilities') for (const c of p.capabilities) out.push(c);
  return out;
}

/** Our OPEN for a connection on which we are `bgpId` (RFC 4271 §4.2). */
export function buildOpen(config: FsmConfig, bgpId: string): OpenMessage {
  // RFC 6793 §4.1: a 4-octet AS that does not fit 2 octets goes as AS_TRANS in My Autonomous System.
  const myAs = config.localAsn > 0xffff ? AS_TRANS : config.localAsn;
  return {
    type: 'open',
    version: 4,
    myAs,
    holdTime: config.holdTimeSec,
    bgpId,
    optionalParameters: config.capabilities.length > 0 ? [{ type: 'capabilities', capabilities: config.capabilities }] : [],
  };
}

function ipv4ToNumber(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    n = n * 256 + Number(p);
  }
  return n;
}

/** A BGP Identifier as an unsigned 32-bit number (RFC 6286 §2.1), for comparisons (§6.8). */
export function bgpIdToNumber(bgpId: string): number {
  return ipv4ToNumber(bgpId) ?? 0;
}

/** The families a side supports: its MP capabilities, or IPv4 unicast when it sent none (RFC 4760 §8). */
function familiesOf(caps: readonly Capability[]): { afi: number; safi: number }[] {
  const mp = caps.flatMap((c) => (c.kind === 'multiprotocol' ? [{ afi: c.afi, safi: c.safi }] : []));
  return mp.length > 0 ? mp : [{ afi: AFI.ipv4, safi: SAFI.unicast }];
}

/** The outcome of checking a peer's OPEN. */
export type OpenCheck =
  | { readonly ok: true; readonly negotiated: Negotiated }
  | { readonly ok: false; readonly notification: NotificationMessage; readonly reason: string };

function fail(subcode: number, reason: string, data?: Uint8Array): OpenCheck {
  return { ok: false, notification: notification(ErrorCode.openMessage, subcode, data), reason };
}

/**
 * Checks the peer's OPEN against our configuration and the OPEN we sent, and negotiates the session
 * parameters. The codec has already checked the message's syntax.
 */
export function checkOpen(config: FsmConfig, sent: OpenMessage, open: OpenMessage): OpenCheck {
  // RFC 4271 §6.2: unsupported version; the data is the largest version we support, 2 octets.
  if (open.version !== 4) {
    return fail(OpenSubcode.unsupportedVersion, 'BGP_ERR_UNSUPPORTED_VERSION', Uint8Array.of(0, 4));
  }
  // RFC 5492 §4 / RFC 4271 §6.2: an optional parameter we do not recognise.
  const unknownParam = open.optionalParameters.find((p) => p.type === 'unknown');
  if (unknownParam) return fail(OpenSubcode.unsupportedOptionalParameter, 'BGP_ERR_UNSUPPORTED_OPTIONAL_PARAMETER');

  const peerCaps = capabilitiesOf(open);
  const fourOctet = peerCaps.find((c): c is Extract<Capability, { kind: 'fourOctetAs' }> => c.kind === 'fourOctetAs');
  // RFC 6793 §4.1: with the capability, the real AS is the one it carries; My Autonomous System is
  // that AS when it fits 2 octets, else AS_TRANS. Anything else is inconsistent.
  let peerAsn = open.myAs;
  if (fourOctet) {
    const expectedMyAs = fourOctet.asn > 0xffff ? AS_TRANS : fourOctet.asn;
    if (open.myAs !== expectedMyAs) {
      return fail(OpenSubcode.badPeerAs, 'BGP_ERR_AS4_MISMATCH');
    }
    peerAsn = fourOctet.asn;
  } else if (open.myAs === AS_TRANS) {
    // RFC 6793 §9: AS_TRANS stands for a 4-octet AS and is only meaningful with the capability.
    return fail(OpenSubcode.badPeerAs, 'BGP_ERR_AS_TRANS_WITHOUT_AS4');
  }
  // RFC 4271 §6.2: Bad Peer AS. MetalLB's dynamicASN: internal = our AS, external = any other AS.
  const expectedOk =
    config.peerAsn !== undefined
      ? peerAsn === config.peerAsn
      : config.dynamicAsn === 'internal'
        ? peerAsn === config.localAsn
        : config.dynamicAsn === 'external'
          ? peerAsn !== config.localAsn
          : true;
  if (!expectedOk || peerAsn === 0) return fail(OpenSubcode.badPeerAs, 'BGP_ERR_BAD_PEER_AS');

  const ibgp = peerAsn === config.localAsn;
  // RFC 6286 §2.2: the identifier is a non-zero 32-bit number; within one AS (iBGP) the two speakers'
  // identifiers must differ. RFC 4271 §6.2 names the subcode.
  const peerId = bgpIdToNumber(open.bgpId);
  if (peerId === 0) return fail(OpenSubcode.badBgpIdentifier, 'BGP_ERR_BAD_BGP_ID');
  if (ibgp && peerId === bgpIdToNumber(sent.bgpId)) return fail(OpenSubcode.badBgpIdentifier, 'BGP_ERR_BAD_BGP_ID');

  // RFC 4271 §6.2 / §4.2: the hold time must be 0 or at least 3 seconds.
  if (open.holdTime === 1 || open.holdTime === 2) {
    return fail(OpenSubcode.unacceptableHoldTime, 'BGP_ERR_UNACCEPTABLE_HOLD_TIME');
  }

  const localCaps = capabilitiesOf(sent);
  const localFourOctet = localCaps.some((c) => c.kind === 'fourOctetAs');
  // RFC 5492 §5: our AS does not fit 2 octets and the peer cannot carry 4-octet AS numbers, so it
  // cannot see our AS; tell it which capability it lacks (code 65, length 4, our AS).
  if (config.localAsn > 0xffff && !fourOctet) {
    const a = config.localAsn;
    const data = Uint8Array.of(65, 4, (a >>> 24) & 0xff, (a >>> 16) & 0xff, (a >>> 8) & 0xff, a & 0xff);
    return fail(OpenSubcode.unsupportedCapability, 'BGP_ERR_AS4_REQUIRED', data);
  }

  // RFC 4271 §4.2 / §10: the hold time is the smaller of the two; 0 turns off hold and keepalives.
  const holdTimeSec = Math.min(config.holdTimeSec, open.holdTime);
  const holdMs = holdTimeSec * 1000;
  const configuredKeepaliveMs = (config.keepaliveSec ?? 0) * 1000;
  // RFC 4271 §10: keepalive a third of the hold time unless configured; a configured value that is
  // not below the negotiated hold time would let the peer's hold timer fire, so it falls back too.
  const keepaliveMs =
    holdMs === 0 ? 0 : configuredKeepaliveMs > 0 && configuredKeepaliveMs < holdMs ? configuredKeepaliveMs : Math.floor(holdMs / 3);

  const peerFamilies = familiesOf(peerCaps);
  const families = familiesOf(localCaps).filter((f) => peerFamilies.some((p) => p.afi === f.afi && p.safi === f.safi));
  const peerGr = peerCaps.find((c): c is Extract<Capability, { kind: 'gracefulRestart' }> => c.kind === 'gracefulRestart');
  const has = (kind: Capability['kind']): boolean => peerCaps.some((c) => c.kind === kind);
  const localHas = (kind: Capability['kind']): boolean => localCaps.some((c) => c.kind === kind);

  const negotiated: Negotiated = {
    holdTimeSec,
    keepaliveMs,
    peerAsn,
    localAsn: config.localAsn,
    ibgp,
    peerBgpId: open.bgpId,
    localBgpId: sent.bgpId,
    fourOctetAs: localFourOctet && fourOctet !== undefined,
    // RFC 8654 §3: larger messages only when both sides advertised the capability.
    extendedMessage: localHas('extendedMessage') && has('extendedMessage'),
    routeRefresh: has('routeRefresh'),
    enhancedRouteRefresh: has('enhancedRouteRefresh'),
    families,
    ...(peerGr ? { peerGracefulRestart: peerGr } : {}),
    localCapabilities: localCaps,
    peerCapabilities: peerCaps,
    sentOpen: sent,
    receivedOpen: open,
  };
  return { ok: true, negotiated };
}
