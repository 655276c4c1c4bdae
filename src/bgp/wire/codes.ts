/**
 * BGP code points as `as const` tables, each entry with the RFC section that defines it: message
 * types, NOTIFICATION error codes and subcodes, optional parameter types, capability codes, path
 * attribute type codes and flags. The codec, the state machine and the session driver all take their
 * numbers from here.
 */

/** Message types (RFC 4271 §4.1, RFC 2918 §3). */
export const MESSAGE_TYPE = {
  OPEN: { code: 1, section: 'RFC 4271 §4.2' },
  UPDATE: { code: 2, section: 'RFC 4271 §4.3' },
  NOTIFICATION: { code: 3, section: 'RFC 4271 §4.5' },
  KEEPALIVE: { code: 4, section: 'RFC 4271 §4.4' },
  ROUTE_REFRESH: { code: 5, section: 'RFC 2918 §3' },
} as const;

/** Fixed sizes of the message format (RFC 4271 §4.1, RFC 8654 §4). */
export const MESSAGE_SIZE = {
  /** Marker (16) + Length (2) + Type (1). RFC 4271 §4.1. */
  HEADER: 19,
  /** RFC 4271 §4.1: the largest message without the extended message capability. */
  MAX: 4096,
  /** RFC 8654 §4: the largest message once extended message is negotiated. */
  MAX_EXTENDED: 65535,
  /** RFC 4271 §4.2: the smallest OPEN. */
  MIN_OPEN: 29,
  /** RFC 4271 §4.3: the smallest UPDATE. */
  MIN_UPDATE: 23,
  /** RFC 4271 §4.5: the smallest NOTIFICATION. */
  MIN_NOTIFICATION: 21,
  /** RFC 4271 §4.4: a KEEPALIVE is the header alone. */
  KEEPALIVE: 19,
  /** RFC 2918 §3, RFC 7313 §5: AFI (2) + subtype (1) + SAFI (1). */
  ROUTE_REFRESH: 23,
} as const;

/** The only BGP version we speak (RFC 4271 §4.2). */
export const BGP_VERSION = 4;

/**
 * NOTIFICATION error codes and subcodes (RFC 4271 §4.5 and §6, with the later RFCs named per entry).
 * Subcode 0 is "Unspecific" for every code (RFC 4271 §4.5). Deprecated subcodes are listed so a
 * received NOTIFICATION can be named, and marked `deprecated: true`: nothing sends them.
 */
export const ERROR_CODE = {
  MESSAGE_HEADER_ERROR: {
    code: 1,
    section: 'RFC 4271 §6.1',
    subcodes: {
      UNSPECIFIC: { subcode: 0, section: 'RFC 4271 §4.5' },
      CONNECTION_NOT_SYNCHRONIZED: { subcode: 1, section: 'RFC 4271 §6.1' },
      BAD_MESSAGE_LENGTH: { subcode: 2, section: 'RFC 4271 §6.1' },
      BAD_MESSAGE_TYPE: { subcode: 3, section: 'RFC 4271 §6.1' },
    },
  },
  OPEN_MESSAGE_ERROR: {
    code: 2,
    section: 'RFC 4271 §6.2',
    subcodes: {
      UNSPECIFIC: { subcode: 0, section: 'RFC 4271 §4.5' },
      UNSUPPORTED_VERSION_NUMBER: { subcode: 1, section: 'RFC 4271 §6.2' },
      BAD_PEER_AS: { subcode: 2, section: 'RFC 4271 §6.2' },
      BAD_BGP_IDENTIFIER: { subcode: 3, section: 'RFC 4271 §6.2' },
      UNSUPPORTED_OPTIONAL_PARAMETER: { subcode: 4, section: 'RFC 4271 §6.2' },
      AUTHENTICATION_FAILURE: { subcode: 5, section: 'RFC 4271 §4.5 (deprecated, Appendix A)', deprecated: true },
      UNACCEPTABLE_HOLD_TIME: { subcode: 6, section: 'RFC 4271 §6.2' },
      UNSUPPORTED_CAPABILITY: { subcode: 7, section: 'RFC 5492 §5' },
    },
  },
  UPDATE_MESSAGE_ERROR: {
    code: 3,
    section: 'RFC 4271 §6.3',
    subcodes: {
      UNSPECIFIC: { subcode: 0, section: 'RFC 4271 §4.5' },
      MALFORMED_ATTRIBUTE_LIST: { subcode: 1, section: 'RFC 4271 §6.3' },
      UNRECOGNIZED_WELL_KNOWN_ATTRIBUTE: { subcode: 2, section: 'RFC 4271 §6.3' },
      MISSING_WELL_KNOWN_ATTRIBUTE: { subcode: 3, section: 'RFC 4271 §6.3' },
      ATTRIBUTE_FLAGS_ERROR: { subcode: 4, section: 'RFC 4271 §6.3' },
      ATTRIBUTE_LENGTH_ERROR: { subcode: 5, section: 'RFC 4271 §6.3' },
      INVALID_ORIGIN_ATTRIBUTE: { subcode: 6, section: 'RFC 4271 §6.3' },
      AS_ROUTING_LOOP: { subcode: 7, section: 'RFC 4271 §4.5 (deprecated, Appendix A)', deprecated: true },
      INVALID_NEXT_HOP_ATTRIBUTE: { subcode: 8, section: 'RFC 4271 §6.3' },
      OPTIONAL_ATTRIBUTE_ERROR: { subcode: 9, section: 'RFC 4271 §6.3' },
      INVALID_NETWORK_FIELD: { subcode: 10, section: 'RFC 4271 §6.3' },
      MALFORMED_AS_PATH: { subcode: 11, section: 'RFC 4271 §6.3' },
    },
  },
  HOLD_TIMER_EXPIRED: {
    code: 4,
    section: 'RFC 4271 §6.5',
    subcodes: {
      UNSPECIFIC: { subcode: 0, section: 'RFC 4271 §6.5' },
    },
  },
  FINITE_STATE_MACHINE_ERROR: {
    code: 5,
    section: 'RFC 4271 §6.6',
    subcodes: {
      UNSPECIFIC: { subcode: 0, section: 'RFC 4271 §6.6' },
      UNEXPECTED_MESSAGE_IN_OPENSENT: { subcode: 1, section: 'RFC 6608 §4' },
      UNEXPECTED_MESSAGE_IN_OPENCONFIRM: { subcode: 2, section: 'RFC 6608 §4' },
      UNEXPECTED_MESSAGE_IN_ESTABLISHED: { subcode: 3, section: 'RFC 6608 §4' },
    },
  },
  CEASE: {
    code: 6,
    section: 'RFC 4271 §6.7',
    subcodes: {
      UNSPECIFIC: { subcode: 0, section: 'RFC 4271 §6.7' },
      MAXIMUM_NUMBER_OF_PREFIXES_REACHED: { subcode: 1, section: 'RFC 4486 §4' },
      ADMINISTRATIVE_SHUTDOWN: { subcode: 2, section: 'RFC 4486 §4, RFC 9003 §2' },
      PEER_DE_CONFIGURED: { subcode: 3, section: 'RFC 4486 §4' },
      ADMINISTRATIVE_RESET: { subcode: 4, section: 'RFC 4486 §4, RFC 9003 §2' },
      CONNECTION_REJECTED: { subcode: 5, section: 'RFC 4486 §4' },
      OTHER_CONFIGURATION_CHANGE: { subcode: 6, section: 'RFC 4486 §4' },
      CONNECTION_COLLISION_RESOLUTION: { subcode: 7, section: 'RFC 4486 §4' },
      OUT_OF_RESOURCES: { subcode: 8, section: 'RFC 4486 §4' },
      HARD_RESET: { subcode: 9, section: 'RFC 8538 §3' },
      BFD_DOWN: { subcode: 10, section: 'RFC 9384 §3' },
    },
  },
  ROUTE_REFRESH_MESSAGE_ERROR: {
    code: 7,
    section: 'RFC 7313 §5',
    subcodes: {
      RESERVED: { subcode: 0, section: 'RFC 7313 §5' },
      INVALID_MESSAGE_LENGTH: { subcode: 1, section: 'RFC 7313 §5' },
    },
  },
} as const;

/** Whether `code`/`subcode` is a pair listed in ERROR_CODE. */
export function isKnownErrorCode(code: number, subcode: number): boolean {
  for (const entry of Object.values(ERROR_CODE)) {
    if (entry.code !== code) continue;
    return Object.values(entry.subcodes).some((s) => s.subcode === subcode);
  }
  return false;
}

/** ROUTE-REFRESH message subtypes (RFC 7313 §3.2). */
export const ROUTE_REFRESH_SUBTYPE = {
  NORMAL: { code: 0, section: 'RFC 7313 §3.2' },
  BEGINNING_OF_ROUTE_REFRESH: { code: 1, section: 'RFC 7313 §3.2' },
  END_OF_ROUTE_REFRESH: { code: 2, section: 'RFC 7313 §3.2' },
} as const;

/** OPEN optional parameter types. */
export const OPTIONAL_PARAMETER_TYPE = {
  /** Deprecated by RFC 4271 Appendix A; treated as unsupported. */
  AUTHENTICATION: { code: 1, section: 'RFC 4271 Appendix A' },
  CAPABILITIES: { code: 2, section: 'RFC 5492 §4' },
  /** RFC 9072 §2: the marker type of the extended optional parameters length encoding. */
  EXTENDED_LENGTH: { code: 255, section: 'RFC 9072 §2' },
} as const;

/** Capability codes (IANA "Capability Codes" registry). */
export const CAPABILITY_CODE = {
  MULTIPROTOCOL: { code: 1, section: 'RFC 4760 §8' },
  ROUTE_REFRESH: { code: 2, section: 'RFC 2918 §2' },
  EXTENDED_MESSAGE: { code: 6, section: 'RFC 8654 §3' },
  GRACEFUL_RESTART: { code: 64, section: 'RFC 4724 §3' },
  FOUR_OCTET_AS: { code: 65, section: 'RFC 6793 §3' },
  ADD_PATH: { code: 69, section: 'RFC 7911 §4' },
  ENHANCED_ROUTE_REFRESH: { code: 70, section: 'RFC 7313 §3.1' },
  LONG_LIVED_GRACEFUL_RESTART: { code: 71, section: 'RFC 9494 §3' },
  FQDN: { code: 73, section: 'draft-walton-bgp-hostname-capability' },
  /** The pre-standard route refresh code some routers (FRR, Cisco) still send. */
  ROUTE_REFRESH_OLD: { code: 128, section: 'RFC 2918 (pre-standard code)' },
} as const;

/** Path attribute flag bits (RFC 4271 §4.3). The low four bits are unused. */
export const ATTRIBUTE_FLAG = {
  OPTIONAL: { bit: 0x80, section: 'RFC 4271 §4.3' },
  TRANSITIVE: { bit: 0x40, section: 'RFC 4271 §4.3' },
  PARTIAL: { bit: 0x20, section: 'RFC 4271 §4.3' },
  EXTENDED_LENGTH: { bit: 0x10, section: 'RFC 4271 §4.3' },
} as const;

/** Path attribute type codes (IANA "BGP Path Attributes" registry). */
export const ATTRIBUTE_TYPE = {
  ORIGIN: { code: 1, section: 'RFC 4271 §5.1.1' },
  AS_PATH: { code: 2, section: 'RFC 4271 §5.1.2' },
  NEXT_HOP: { code: 3, section: 'RFC 4271 §5.1.3' },
  MULTI_EXIT_DISC: { code: 4, section: 'RFC 4271 §5.1.4' },
  LOCAL_PREF: { code: 5, section: 'RFC 4271 §5.1.5' },
  ATOMIC_AGGREGATE: { code: 6, section: 'RFC 4271 §5.1.6' },
  AGGREGATOR: { code: 7, section: 'RFC 4271 §5.1.7' },
  COMMUNITIES: { code: 8, section: 'RFC 1997' },
  MP_REACH_NLRI: { code: 14, section: 'RFC 4760 §3' },
  MP_UNREACH_NLRI: { code: 15, section: 'RFC 4760 §4' },
  EXTENDED_COMMUNITIES: { code: 16, section: 'RFC 4360 §2' },
  AS4_PATH: { code: 17, section: 'RFC 6793 §3' },
  AS4_AGGREGATOR: { code: 18, section: 'RFC 6793 §3' },
  LARGE_COMMUNITIES: { code: 32, section: 'RFC 8092 §3' },
} as const;

/** AS_PATH segment types (RFC 4271 §4.3, RFC 5065 §3). */
export const AS_PATH_SEGMENT_TYPE = {
  AS_SET: { code: 1, section: 'RFC 4271 §4.3' },
  AS_SEQUENCE: { code: 2, section: 'RFC 4271 §4.3' },
  AS_CONFED_SEQUENCE: { code: 3, section: 'RFC 5065 §3' },
  AS_CONFED_SET: { code: 4, section: 'RFC 5065 §3' },
} as const;

/** ORIGIN values (RFC 4271 §5.1.1). */
export const ORIGIN = {
  IGP: { code: 0, section: 'RFC 4271 §5.1.1' },
  EGP: { code: 1, section: 'RFC 4271 §5.1.1' },
  INCOMPLETE: { code: 2, section: 'RFC 4271 §5.1.1' },
} as const;
