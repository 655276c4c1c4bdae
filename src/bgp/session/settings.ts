/**
 * Per-peer session settings: a type of the library's own (it knows nothing of MetalLB's configuration;
 * the application maps its peers to these), their checks, and what we advertise in our OPEN.
 */
import { AFI, SAFI } from '../wire/types.js';
import type { Capability } from '../wire/types.js';
import { parseIp } from '../../model/ip.js';
import { DEFAULT_BACKOFF } from '../fsm/backoff.js';
import type { BackoffConfig, FsmConfig } from '../fsm/types.js';
import type { PeerTransportOptions } from './transport.js';
import { TCP_MD5_MAX_KEY_BYTES } from './socket-options.js';

/** How a session to one peer behaves. Only `name`, `localAsn`, a peer AS and `peerAddress` are required. */
export interface PeerSettings {
  /** Unique per speaker; names the peer in status, events and logs. */
  readonly name: string;
  readonly localAsn: number;
  /** The AS the peer must have; give this or `dynamicAsn`. */
  readonly peerAsn?: number;
  /** MetalLB's dynamicASN: `internal` = our AS, `external` = any other AS. */
  readonly dynamicAsn?: 'internal' | 'external';
  readonly peerAddress: string;
  /** Default 179. */
  readonly peerPort?: number;
  /** Local address to bind when dialing; also the local address an incoming connection must reach. */
  readonly sourceAddress?: string;
  /** Seconds, 0 or >= 3; default 90. */
  readonly holdTimeSec?: number;
  /** Seconds; default a third of the negotiated hold time. */
  readonly keepaliveSec?: number;
  /**
   * MetalLB's `connectTime`: how long to wait between connection attempts, in seconds. The retry
   * backoff (first retry within 1 s, doubling) is capped here; default 120 (MetalLB native's cap).
   */
  readonly connectTimeSec?: number;
  /** How long one TCP connect may take, in seconds; default 10 (MetalLB native). */
  readonly connectTimeoutSec?: number;
  /** Our BGP Identifier on this session; default the speaker's, else the session's local IPv4 address. */
  readonly routerId?: string;
  /**
   * The TCP MD5 signature password (RFC 2385) of the session's connections, both the ones we dial
   * and the ones the peer opens to our listener; at most 80 bytes (the kernel's limit).
   */
  readonly password?: string;
  /**
   * The eBGP peer is more than one hop away: packets go out with TTL 255 instead of 1. iBGP
   * sessions always use 255 (as FRR). See `ttlFor`.
   */
  readonly ebgpMultiHop?: boolean;
  /** Only accept the peer's connection; never dial. */
  readonly passive?: boolean;
  /** Advertise graceful restart (RFC 4724), as MetalLB's `enableGracefulRestart`. */
  readonly gracefulRestart?: boolean;
  /** Restart time advertised with graceful restart, seconds; default 120. */
  readonly gracefulRestartTimeSec?: number;
  /** Advertise enhanced route refresh (RFC 7313); default false. */
  readonly enhancedRouteRefresh?: boolean;
  /** Advertise extended messages (RFC 8654); default true. */
  readonly extendedMessage?: boolean;
  /**
   * NEXT_HOP for IPv4 routes instead of the session's local address (e.g. behind NAT or when the
   * session runs over loopback addresses, which are not valid next hops).
   */
  readonly nextHopIpv4?: string;
  /** The global IPv6 next hop instead of the session's local IPv6 address. */
  readonly nextHopIpv6?: string;
  /**
   * 127/8 addresses are real next hops on this session: both ends run on one host's loopback (a lab,
   * such as metallb-ts's demo). A 127/8 NEXT_HOP is then sent and accepted; by default RFC 4271 §6.3
   * applies (127/8 is not a valid NEXT_HOP: such routes are not sent, and treated as withdrawn when
   * received, RFC 7606 §7.3).
   */
  readonly loopbackNextHop?: boolean;
  /** Connect retry backoff; default first retry within 1 s, doubling to 2 minutes, 25 % jitter. */
  readonly backoff?: Partial<BackoffConfig>;
}

/** Defaults applied to `PeerSettings`. */
export const PEER_DEFAULTS = {
  peerPort: 179,
  holdTimeSec: 90,
  connectTimeoutSec: 10,
  gracefulRestartTimeSec: 120,
} as const;

/** The session is iBGP: the peer's AS is ours (configured, or `dynamicAsn: internal`). */
export function isIbgp(settings: PeerSettings): boolean {
  return settings.dynamicAsn === 'internal' || (settings.peerAsn !== undefined && settings.peerAsn === settings.localAsn);
}

/**
 * The TTL of the session's packets, as FRR sets it: 1 for a single-hop eBGP peer (its packets die
 * at the first router, so only a directly connected peer is reached), 255 for a multihop eBGP
 * peer and for iBGP (RFC 4271 §5.1.3 leaves iBGP peers anywhere in the AS).
 */
export function ttlFor(settings: PeerSettings): number {
  return isIbgp(settings) || settings.ebgpMultiHop === true ? 255 : 1;
}

/** The options of the session's TCP connections: MD5 password and TTL. */
export function transportOptionsFor(settings: PeerSettings): PeerTransportOptions {
  return { ...(settings.password !== undefined ? { md5Password: settings.password } : {}), ttl: ttlFor(settings) };
}

/**
 * The capabilities of our OPEN: MP IPv4 and IPv6 unicast (as MetalLB), route refresh, enhanced route
 * refresh when asked, 4-octet AS with our real AS, extended message, graceful restart when asked.
 */
export function capabilitiesFor(settings: PeerSettings): Capability[] {
  const caps: Capability[] = [
    { kind: 'multiprotocol', afi: AFI.ipv4, safi: SAFI.unicast },
    { kind: 'multiprotocol', afi: AFI.ipv6, safi: SAFI.unicast },
    { kind: 'routeRefresh' },
  ];
  if (settings.enhancedRouteRefresh === true) caps.push({ kind: 'enhancedRouteRefresh' });
  caps.push({ kind: 'fourOctetAs', asn: settings.localAsn });
  if (settings.extendedMessage !== false) caps.push({ kind: 'extendedMessage' });
  if (settings.gracefulRestart === true) {
    // RFC 4724 §3: restart time, and per family the Forwarding State bit (0x80): the routes we
    // announce stay valid while we restart (MetalLB's FRR mode: `preserve-fw-state`).
    caps.push({
      kind: 'gracefulRestart',
      restartFlags: 0,
      restartTime: Math.min(4095, settings.gracefulRestartTimeSec ?? PEER_DEFAULTS.gracefulRestartTimeSec),
      families: [
        { afi: AFI.ipv4, safi: SAFI.unicast, flags: 0x80 },
        { afi: AFI.ipv6, safi: SAFI.unicast, flags: 0x80 },
      ],
    });
  }
  return caps;
}

/** The FSM configuration for `settings`. */
export function fsmConfigFor(settings: PeerSettings): FsmConfig {
  return {
    localAsn: settings.localAsn,
    ...(settings.peerAsn !== undefined ? { peerAsn: settings.peerAsn } : {}),
    ...(settings.dynamicAsn !== undefined ? { dynamicAsn: settings.dynamicAsn } : {}),
    holdTimeSec: settings.holdTimeSec ?? PEER_DEFAULTS.holdTimeSec,
    ...(settings.keepaliveSec !== undefined ? { keepaliveSec: settings.keepaliveSec } : {}),
    passive: settings.passive === true,
    connectTimeoutMs: (settings.connectTimeoutSec ?? PEER_DEFAULTS.connectTimeoutSec) * 1000,
    backoff: {
      ...DEFAULT_BACKOFF,
      ...(settings.connectTimeSec !== undefined ? { maxMs: settings.connectTimeSec * 1000 } : {}),
      ...settings.backoff,
    },
    capabilities: capabilitiesFor(settings),
  };
}

/** Problems with settings that make a session impossible (programmer or configuration errors). */
export function validatePeerSettings(settings: PeerSettings): string[] {
  const errors: string[] = [];
  const asnOk = (n: number): boolean => Number.isInteger(n) && n > 0 && n <= 0xffffffff;
  if (!settings.name) errors.push('name is empty');
  if (!asnOk(settings.localAsn)) errors.push(`localAsn ${settings.localAsn} out of range`);
  if (settings.peerAsn === undefined && settings.dynamicAsn === undefined) errors.push('peerAsn or dynamicAsn is required');
  if (settings.peerAsn !== undefined && !asnOk(settings.peerAsn)) errors.push(`peerAsn ${settings.peerAsn} out of range`);
  const hold = settings.holdTimeSec ?? PEER_DEFAULTS.holdTimeSec;
  // RFC 4271 §4.2: the hold time is 0 or at least 3 seconds.
  if (!Number.isInteger(hold) || hold < 0 || hold > 65535 || hold === 1 || hold === 2) errors.push(`holdTimeSec ${hold} must be 0 or 3..65535`);
  if (parseIp(settings.peerAddress) === undefined) errors.push(`peerAddress ${settings.peerAddress} is not an IP address`);
  if (settings.sourceAddress !== undefined && parseIp(settings.sourceAddress) === undefined) {
    errors.push(`sourceAddress ${settings.sourceAddress} is not an IP address`);
  }
  if (settings.routerId !== undefined && parseIp(settings.routerId)?.family !== 'ipv4') errors.push(`routerId ${settings.routerId} is not an IPv4 address`);
  for (const [key, v] of [
    ['connectTimeSec', settings.connectTimeSec],
    ['connectTimeoutSec', settings.connectTimeoutSec],
  ] as const) {
    if (v !== undefined && !(Number.isFinite(v) && v > 0)) errors.push(`${key} ${v} must be positive`);
  }
  if (settings.keepaliveSec !== undefined && !(Number.isFinite(settings.keepaliveSec) && settings.keepaliveSec >= 0)) {
    errors.push(`keepaliveSec ${settings.keepaliveSec} must not be negative`);
  }
  if (settings.password !== undefined) {
    const bytes = Buffer.byteLength(settings.password, 'utf8');
    // RFC 2385 §4.1 leaves the key's length open; Linux takes 1..80 bytes (TCP_MD5SIG_MAXKEYLEN).
    if (bytes === 0 || bytes > TCP_MD5_MAX_KEY_BYTES) errors.push(`password must be 1..${TCP_MD5_MAX_KEY_BYTES} bytes, it has ${bytes}`);
  }
  if (settings.ebgpMultiHop === true && isIbgp(settings)) errors.push('ebgpMultiHop is for eBGP peers only');
  const port = settings.peerPort ?? PEER_DEFAULTS.peerPort;
  if (!Number.isInteger(port) || port < 1 || port > 65535) errors.push(`peerPort ${port} out of range`);
  return errors;
}
