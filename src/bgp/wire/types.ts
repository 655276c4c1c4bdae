/**
 * BGP-4 messages as plain data (RFC 4271 §4), the contract between the codec, the state machine, the
 * session driver and the Adj-RIB-Out.
 *
 * Every message, optional parameter, capability and path attribute is a readonly object in a
 * discriminated union. Capabilities and path attributes the codec does not model are kept whole in an
 * `unknown` variant (with their code, flags and raw value) so that they survive a decode/encode round
 * trip. Addresses are canonical text (see `src/model/ip.ts`); AS numbers are plain numbers (4-octet,
 * 0..4294967295); byte strings are `Uint8Array`.
 */

/** One IPv4 or IPv6 prefix as carried in NLRI and withdrawn routes (RFC 4271 §4.3, RFC 4760 §5). */
export interface Prefix {
  readonly family: 'ipv4' | 'ipv6';
  /** Canonical network address (host bits clear). */
  readonly address: string;
  readonly length: number;
}

// ---------------------------------------------------------------------------------------------------
// OPEN (RFC 4271 §4.2) and capabilities (RFC 5492)

/** A capability advertised in an OPEN (RFC 5492 §4). */
export type Capability =
  /** RFC 4760 §8: multiprotocol extensions, one per AFI/SAFI. */
  | { readonly kind: 'multiprotocol'; readonly afi: number; readonly safi: number }
  /** RFC 2918 §2: route refresh (code 2). */
  | { readonly kind: 'routeRefresh' }
  /** RFC 7313 §3: enhanced route refresh (code 70). */
  | { readonly kind: 'enhancedRouteRefresh' }
  /** RFC 6793 §3: support for 4-octet AS numbers, carrying the speaker's real AS. */
  | { readonly kind: 'fourOctetAs'; readonly asn: number }
  /** RFC 4724 §3: graceful restart. */
  | {
      readonly kind: 'gracefulRestart';
      /** The 4 restart flag bits (R = 0x8, N = 0x4 per RFC 8538). */
      readonly restartFlags: number;
      /** Restart time in seconds, 12 bits. */
      readonly restartTime: number;
      readonly families: readonly { readonly afi: number; readonly safi: number; readonly flags: number }[];
    }
  /** RFC 8654 §3: extended message (code 6). */
  | { readonly kind: 'extendedMessage' }
  /** Any other capability, kept as its code and raw value. */
  | { readonly kind: 'unknown'; readonly code: number; readonly value: Uint8Array };

/**
 * An optional parameter of an OPEN (RFC 4271 §4.2). Routers differ in whether they put all
 * capabilities into one parameter (BIRD) or each into its own (FRR); keeping the grouping lets an
 * OPEN re-encode byte for byte.
 */
export type OptionalParameter =
  | { readonly type: 'capabilities'; readonly capabilities: readonly Capability[] }
  | { readonly type: 'unknown'; readonly code: number; readonly value: Uint8Array };

export interface OpenMessage {
  readonly type: 'open';
  /** Always 4 on the wire we accept (RFC 4271 §6.2). */
  readonly version: number;
  /** The 2-octet "My Autonomous System" field: the real AS, or AS_TRANS (23456) per RFC 6793. */
  readonly myAs: number;
  /** Proposed hold time in seconds (0, or >= 3). */
  readonly holdTime: number;
  /** BGP Identifier as dotted quad. */
  readonly bgpId: string;
  readonly optionalParameters: readonly OptionalParameter[];
}

// ---------------------------------------------------------------------------------------------------
// UPDATE (RFC 4271 §4.3) and path attributes

/** One AS_PATH / AS4_PATH segment (RFC 4271 §4.3, RFC 5065 §3 for the confederation types). */
export interface AsPathSegment {
  readonly type: 'set' | 'sequence' | 'confedSequence' | 'confedSet';
  readonly asns: readonly number[];
}

/** A large community (RFC 8092 §3). */
export interface LargeCommunity {
  readonly globalAdmin: number;
  readonly localData1: number;
  readonly localData2: number;
}

/** A path attribute (RFC 4271 §5 and the RFCs named per variant). */
export type PathAttribute =
  /** §5.1.1, type 1: 0 IGP, 1 EGP, 2 INCOMPLETE. */
  | { readonly kind: 'origin'; readonly origin: 0 | 1 | 2 }
  /** §5.1.2, type 2. AS numbers are 2 or 4 octets on the wire as the session negotiated. */
  | { readonly kind: 'asPath'; readonly segments: readonly AsPathSegment[] }
  /** §5.1.3, type 3. */
  | { readonly kind: 'nextHop'; readonly nextHop: string }
  /** §5.1.4, type 4. */
  | { readonly kind: 'multiExitDisc'; readonly med: number }
  /** §5.1.5, type 5. */
  | { readonly kind: 'localPref'; readonly localPref: number }
  /** §5.1.6, type 6. */
  | { readonly kind: 'atomicAggregate' }
  /** §5.1.7, type 7. */
  | { readonly kind: 'aggregator'; readonly asn: number; readonly address: string }
  /** RFC 1997, type 8: each community as a 32-bit number (high 16 bits AS, low 16 bits value). */
  | { readonly kind: 'communities'; readonly communities: readonly number[] }
  /** RFC 4360, type 16: each community as its 8 raw octets. */
  | { readonly kind: 'extendedCommunities'; readonly communities: readonly Uint8Array[] }
  /** RFC 8092, type 32. */
  | { readonly kind: 'largeCommunities'; readonly communities: readonly LargeCommunity[] }
  /** RFC 6793 §3, type 17: the 4-octet path sent to a 2-octet-only speaker. */
  | { readonly kind: 'as4Path'; readonly segments: readonly AsPathSegment[] }
  /** RFC 6793 §3, type 18. */
  | { readonly kind: 'as4Aggregator'; readonly asn: number; readonly address: string }
  /**
   * RFC 4760 §3, type 14, for IPv4/IPv6 unicast. `nextHops` holds one address, or for IPv6 the
   * global address followed by a link-local one (RFC 2545 §3).
   */
  | {
      readonly kind: 'mpReachNlri';
      readonly afi: number;
      readonly safi: number;
      readonly nextHops: readonly string[];
      readonly nlri: readonly Prefix[];
    }
  /** RFC 4760 §4, type 15, for IPv4/IPv6 unicast. */
  | { readonly kind: 'mpUnreachNlri'; readonly afi: number; readonly safi: number; readonly withdrawn: readonly Prefix[] }
  /** Any other attribute (or MP_REACH/MP_UNREACH of a family we do not model), kept whole. */
  | { readonly kind: 'unknown'; readonly code: number; readonly flags: number; readonly value: Uint8Array };

export interface UpdateMessage {
  readonly type: 'update';
  /** IPv4 unicast withdrawn routes (RFC 4271 §4.3). */
  readonly withdrawn: readonly Prefix[];
  readonly attributes: readonly PathAttribute[];
  /** IPv4 unicast NLRI (RFC 4271 §4.3). */
  readonly nlri: readonly Prefix[];
}

// ---------------------------------------------------------------------------------------------------
// NOTIFICATION, KEEPALIVE, ROUTE-REFRESH

/** RFC 4271 §4.5. The shutdown communication of RFC 9003 is in `data` for Cease subcodes 2 and 4. */
export interface NotificationMessage {
  readonly type: 'notification';
  readonly code: number;
  readonly subcode: number;
  readonly data: Uint8Array;
}

/** RFC 4271 §4.4. */
export interface KeepaliveMessage {
  readonly type: 'keepalive';
}

/** RFC 2918 §3; `subtype` is RFC 7313's message subtype (0 normal, 1 BoRR, 2 EoRR). */
export interface RouteRefreshMessage {
  readonly type: 'routeRefresh';
  readonly afi: number;
  readonly subtype: number;
  readonly safi: number;
}

/** Any BGP message. */
export type BgpMessage = OpenMessage | UpdateMessage | NotificationMessage | KeepaliveMessage | RouteRefreshMessage;

// ---------------------------------------------------------------------------------------------------
// Decoding outcome and protocol errors

/**
 * How a malformation is handled (RFC 7606 §2): reset the session with a NOTIFICATION, treat the
 * UPDATE's NLRI as withdrawn, or drop the one attribute and keep the rest.
 */
export type ErrorHandling = 'session-reset' | 'treat-as-withdraw' | 'attribute-discard';

/**
 * A protocol error found in a peer's bytes. It carries the NOTIFICATION it maps to (`code`,
 * `subcode`, `data`), a stable `reason` (`'BGP_ERR_BAD_PEER_AS'`) for logs, metrics and tests, a
 * human `message`, and its RFC 7606 handling.
 */
export interface BgpError {
  readonly code: number;
  readonly subcode: number;
  readonly data: Uint8Array;
  readonly reason: string;
  readonly message: string;
  readonly handling: ErrorHandling;
}

/**
 * What the session negotiated that changes how bytes decode: 4-octet AS numbers in AS_PATH and
 * AGGREGATOR (RFC 6793), and the largest message accepted (4096, or 65535 with RFC 8654).
 */
export interface CodecOptions {
  readonly fourOctetAs: boolean;
  readonly extendedMessage: boolean;
  /**
   * The caller says 127/8 addresses are real next hops here (both ends of the session on one host's
   * loopback, a lab): a 127/8 NEXT_HOP is then encoded and accepted. Absent or false: RFC 4271 §6.3
   * applies and 127/8 is an invalid NEXT_HOP. Never inferred by the library (see the session setting
   * `loopbackNextHop`).
   */
  readonly loopbackNextHop?: boolean;
}

/**
 * The result of decoding one framed message. A session-reset error is `ok: false`. An UPDATE whose
 * malformations RFC 7606 handles without a reset is `ok: true` with those errors in `errors`; for
 * treat-as-withdraw, `withdrawAll` is true and the receiver must treat every NLRI in it as withdrawn.
 */
export type DecodeResult =
  | { readonly ok: true; readonly msg: BgpMessage; readonly errors: readonly BgpError[]; readonly withdrawAll: boolean }
  | { readonly ok: false; readonly error: BgpError };

/** AFI and SAFI values used here (IANA registries; RFC 4760 §3). */
export const AFI = { ipv4: 1, ipv6: 2 } as const;
export const SAFI = { unicast: 1 } as const;

/** AS_TRANS, the 2-octet stand-in for a 4-octet AS (RFC 6793 §9). */
export const AS_TRANS = 23456;
