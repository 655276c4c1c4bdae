/**
 * The Adj-RIB-Out of one BGP session (RFC 4271 §3.2, §9.2): what we have told the peer, and the pure
 * diff that turns a new desired set of advertisements into the UPDATE messages that bring the peer
 * from what it has to what it should have.
 *
 * Owns:
 * - the per-session path attributes MetalLB's native speaker sends, improved: ORIGIN IGP; AS_PATH
 *   empty for iBGP and one AS_SEQUENCE [local AS] for eBGP (AS_TRANS plus AS4_PATH to a 2-octet-only
 *   peer, RFC 6793 §4.2.2); NEXT_HOP for IPv4; IPv6 in MP_REACH_NLRI / MP_UNREACH_NLRI (RFC 4760);
 *   MED when given; LOCAL_PREF to iBGP peers only (0 when unset, as MetalLB); COMMUNITIES and
 *   LARGE_COMMUNITIES sorted and deduplicated;
 * - packing: prefixes with identical attributes share UPDATEs, as few as fit the negotiated maximum
 *   message size (4096, or 65535 with RFC 8654); withdrawals are packed the same way;
 * - the initial table followed by End-of-RIB per family (RFC 4724 §2), and the full table again on a
 *   ROUTE-REFRESH (RFC 2918 §4), between BoRR and EoRR when enhanced route refresh was negotiated
 *   (RFC 7313 §4).
 *
 * Invariants:
 * - The state is plain data and never mutated; every function returns a new state.
 * - No emitted UPDATE exceeds the maximum message size: sizes are computed exactly from the wire
 *   layout (RFC 4271 §4.3), including the extended-length flag of an attribute longer than 255 octets.
 * - Output is deterministic: groups are ordered by family then attribute key, prefixes by address then
 *   length, whatever the order of the desired set.
 * - An UPDATE carries exactly one of: withdrawn routes, NLRI, MP_REACH_NLRI, MP_UNREACH_NLRI; an
 *   MP attribute is the first attribute (RFC 7606 §5.1), the others follow in type-code order
 *   (RFC 4271 §5).
 *
 * Pure: no sockets, timers or files. Cost is linear in the desired set: sort keys are parsed once
 * per prefix, routes are radix-sorted (skipped when already in order), and the diff is a merge walk
 * of two sorted lists. `prepareAdvertisements` does the per-prefix work that needs no session (sort,
 * merge, IPv4 NLRI encoding) ahead, when the desired set is given.
 */
import type { LargeCommunity, PathAttribute, Prefix, RouteRefreshMessage, UpdateMessage } from '../wire/types.js';
import { AFI, AS_TRANS, SAFI } from '../wire/types.js';
import { ROUTE_REFRESH_SUBTYPE } from '../wire/codes.js';
import { endOfRib } from '../wire/end-of-rib.js';
import { maxMessageSize } from '../wire/header.js';
import { BufferWriter } from '../wire/buffer-writer.js';
import { encodePrefix } from '../wire/nlri.js';
import { parseIp } from '../../model/ip.js';

// ---------------------------------------------------------------------------------------------------
// Types

/** An address family a session can carry. */
export type RouteFamily = Prefix['family'];

/**
 * One route the speaker wants the peer to have.
 *
 * `communities` are RFC 1997 communities as 32-bit numbers (high 16 bits the AS, low 16 bits the
 * value: `a:b` is `a * 65536 + b`), the same representation as the wire contract's COMMUNITIES
 * attribute; `parseCommunity` converts the `a:b` text of the config. Order and duplicates do not
 * matter: they are sorted and deduplicated before sending.
 */
export interface Advertisement {
  /** A canonical prefix (host bits clear, canonical address text), as `src/bgp/wire/types.ts` says. */
  readonly prefix: Prefix;
  /** Sent to iBGP peers only; 0 is sent there when unset (MetalLB native). */
  readonly localPref?: number;
  /** MULTI_EXIT_DISC (RFC 4271 §5.1.4), sent when set. */
  readonly med?: number;
  readonly communities: readonly number[];
  readonly largeCommunities: readonly LargeCommunity[];
}

/** What the session negotiated and what it carries, fixed for the life of one session. */
export interface AdjRibOutSession {
  /** Our AS. */
  readonly localAsn: number;
  /** The peer's AS; equal to `localAsn` means iBGP. */
  readonly peerAsn: number;
  /** Both sides advertised 4-octet AS support (RFC 6793). */
  readonly fourOctetAs: boolean;
  /** Both sides advertised extended messages (RFC 8654): 65535-octet messages instead of 4096. */
  readonly extendedMessage: boolean;
  /** Enhanced route refresh negotiated (RFC 7313): a refresh is framed by BoRR and EoRR. */
  readonly enhancedRouteRefresh: boolean;
  /**
   * The families sent on this session (IPv4 over an IPv4 session, IPv6 over an IPv6 session).
   * Advertisements of any other family are skipped.
   */
  readonly families: readonly RouteFamily[];
  /** NEXT_HOP for IPv4 routes: the session's local IPv4 address. Required when IPv4 is carried. */
  readonly ipv4NextHop?: string;
  /** Global next hop for IPv6 routes: the session's local IPv6 address. Required when IPv6 is carried. */
  readonly ipv6NextHop?: string;
  /** Optional link-local next hop sent after the global one (RFC 2545 §3). */
  readonly ipv6LinkLocalNextHop?: string;
}

/**
 * The attributes of one route after the session's rules are applied: `localPref` is present exactly
 * on iBGP sessions, communities are sorted and unique. `key` identifies the attribute set; routes
 * with equal keys are packed together.
 */
export interface RouteAttributes {
  readonly key: string;
  readonly localPref?: number;
  readonly med?: number;
  readonly communities: readonly number[];
  readonly largeCommunities: readonly LargeCommunity[];
}

/** One route in the Adj-RIB-Out. */
export interface SentRoute {
  readonly prefix: Prefix;
  readonly attributes: RouteAttributes;
  /**
   * The route's place in address order (address, then length), an opaque sort key: a number for
   * IPv4 (`address * 64 + length`), for IPv6 a string of nine UTF-16 code units (the eight 16-bit
   * groups, then the length). Routes are kept sorted by it.
   */
  readonly order: number | string;
}

/** The Adj-RIB-Out of one session: plain data. */
export interface AdjRibOut {
  readonly session: AdjRibOutSession;
  /** The IPv4 routes the peer has been sent and not withdrawn, sorted by `order`, one per prefix. */
  readonly ipv4: readonly SentRoute[];
  /** The IPv6 routes likewise. */
  readonly ipv6: readonly SentRoute[];
  /** Whether the initial table and its End-of-RIB markers have been emitted. */
  readonly initialTableSent: boolean;
}

/** The outcome of `setAdvertisements`. */
export interface AdjRibOutChange {
  readonly rib: AdjRibOut;
  /** UPDATEs to send, in order. Empty when nothing changed. */
  readonly messages: readonly UpdateMessage[];
  /**
   * Prefixes left out because their attributes alone (thousands of communities) do not fit in one
   * message of the negotiated size. They are neither sent nor recorded as sent.
   */
  readonly unsendable: readonly Prefix[];
  /**
   * The NLRI field of IPv4 announcements in `messages`, already encoded (RFC 4271 §4.3): given for
   * an initial IPv4 table made from a `PreparedAdvertisements` with `ipv4Groups` (when every route
   * fits), absent otherwise. The bytes are exactly what encoding the message's `nlri` gives.
   */
  readonly encodedNlri?: ReadonlyMap<UpdateMessage, Uint8Array>;
}

/**
 * Prepared IPv4 routes of one attribute set, in address order, with their NLRI encoded once: each
 * route's length octet and prefix octets (RFC 4271 §4.3), concatenated in the same order.
 */
export interface PreparedGroup {
  readonly attrs: RouteAttributes;
  readonly prefixes: readonly Prefix[];
  readonly nlri: Uint8Array;
  /** The octets of every entry in `nlri` when all prefixes have one length; 0 when they differ. */
  readonly entryOctets: number;
}

/**
 * A desired set of advertisements with the per-prefix work that does not depend on the negotiated
 * session done: attributes normalised for an iBGP or an eBGP peer and interned, prefixes validated
 * and sorted, duplicates merged, and (optionally) the IPv4 NLRI encoded. What remains for a session
 * (`setAdvertisements`) is the family filter, the size check against the negotiated maximum, the
 * diff, the attribute encoding (its AS_PATH width is negotiated) and the packing. Plain data; never
 * mutated.
 */
export interface PreparedAdvertisements {
  /** The advertisements this was prepared from. */
  readonly desired: readonly Advertisement[];
  /** Prepared for an iBGP peer (LOCAL_PREF carried) or an eBGP one. */
  readonly ibgp: boolean;
  /** IPv4 routes sorted by `order`, one per prefix. */
  readonly ipv4: readonly SentRoute[];
  /** IPv6 routes likewise. */
  readonly ipv6: readonly SentRoute[];
  /** The distinct attribute sets of `ipv4`, and of `ipv6`. */
  readonly attributeSets: { readonly ipv4: readonly RouteAttributes[]; readonly ipv6: readonly RouteAttributes[] };
  /**
   * `ipv4` grouped by attribute set (ordered by attribute key) with its NLRI encoded, when asked
   * for: an initial table is then packed from these bytes.
   */
  readonly ipv4Groups?: readonly PreparedGroup[];
}

// ---------------------------------------------------------------------------------------------------
// Constants

/** RFC 4271 §4.1 header (19) + withdrawn length (2) + total path attribute length (2). */
const UPDATE_OVERHEAD = 23;

const UINT32_MAX = 0xffffffff;

// ---------------------------------------------------------------------------------------------------
// Construction

function isUint32(n: number): boolean {
  return Number.isInteger(n) && n >= 0 && n <= UINT32_MAX;
}

/**
 * An empty Adj-RIB-Out for a session that has just reached Established. Throws (a programmer error)
 * when a carried family has no next hop or an AS number or next hop is invalid.
 */
export function emptyAdjRibOut(session: AdjRibOutSession): AdjRibOut {
  if (!isUint32(session.localAsn) || session.localAsn === 0) throw new RangeError('localAsn must be 1..4294967295');
  if (!isUint32(session.peerAsn) || session.peerAsn === 0) throw new RangeError('peerAsn must be 1..4294967295');
  for (const family of session.families) {
    if (family === 'ipv4') {
      if (session.ipv4NextHop === undefined || parseIp(session.ipv4NextHop)?.family !== 'ipv4') {
        throw new RangeError('an IPv4 session needs an IPv4 next hop');
      }
    } else if (session.ipv6NextHop === undefined || parseIp(session.ipv6NextHop)?.family !== 'ipv6') {
      throw new RangeError('an IPv6 session needs an IPv6 next hop');
    }
  }
  if (session.ipv6LinkLocalNextHop !== undefined && parseIp(session.ipv6LinkLocalNextHop)?.family !== 'ipv6') {
    throw new RangeError('the link-local next hop must be an IPv6 address');
  }
  return { session, ipv4: [], ipv6: [], initialTableSent: false };
}

// ---------------------------------------------------------------------------------------------------
// Attributes

function isIbgp(session: AdjRibOutSession): boolean {
  return session.localAsn === session.peerAsn;
}

function compareLarge(a: LargeCommunity, b: LargeCommunity): number {
  return a.globalAdmin - b.globalAdmin || a.localData1 - b.localData1 || a.localData2 - b.localData2;
}

function sortedUniqueNumbers(values: readonly number[]): readonly number[] {
  if (values.length === 0) return values;
  const out = [...values].sort((a, b) => a - b);
  let w = 1;
  for (let r = 1; r < out.length; r++) if (out[r] !== out[w - 1]) out[w++] = out[r] as number;
  out.length = w;
  return out;
}

function sortedUniqueLarge(values: readonly LargeCommunity[]): readonly LargeCommunity[] {
  if (values.length === 0) return values;
  const out = [...values].sort(compareLarge);
  let w = 1;
  for (let r = 1; r < out.length; r++) {
    if (compareLarge(out[r] as LargeCommunity, out[w - 1] as LargeCommunity) !== 0) out[w++] = out[r] as LargeCommunity;
  }
  out.length = w;
  return out;
}

function attributesKey(
  localPref: number | undefined,
  med: number | undefined,
  communities: readonly number[],
  large: readonly LargeCommunity[],
): string {
  let key = `${localPref ?? ''}|${med ?? ''}|${communities.join(',')}|`;
  for (let i = 0; i < large.length; i++) {
    const l = large[i] as LargeCommunity;
    key += `${i === 0 ? '' : ','}${l.globalAdmin}:${l.localData1}:${l.localData2}`;
  }
  return key;
}

function checkAttributes(attrs: RouteAttributes): void {
  if (attrs.localPref !== undefined && !isUint32(attrs.localPref)) throw new RangeError('localPref must be a uint32');
  if (attrs.med !== undefined && !isUint32(attrs.med)) throw new RangeError('med must be a uint32');
  for (const c of attrs.communities) if (!isUint32(c)) throw new RangeError('a community must be a uint32');
  for (const l of attrs.largeCommunities) {
    if (!isUint32(l.globalAdmin) || !isUint32(l.localData1) || !isUint32(l.localData2)) {
      throw new RangeError('large community parts must be uint32');
    }
  }
}

function sameNumbers(a: readonly number[], b: readonly number[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function sameLarge(a: readonly LargeCommunity[], b: readonly LargeCommunity[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (compareLarge(a[i] as LargeCommunity, b[i] as LargeCommunity) !== 0) return false;
  return true;
}

/** Interns attribute sets within one call, so that equal sets share one object. */
class AttributeTable {
  private readonly byKey = new Map<string, RouteAttributes>();

  constructor(private readonly ibgp: boolean) {}

  intern(
    localPref: number | undefined,
    med: number | undefined,
    communities: readonly number[],
    large: readonly LargeCommunity[],
  ): RouteAttributes {
    // LOCAL_PREF goes to iBGP peers only (RFC 4271 §5.1.5); MetalLB native sends 0 when unset.
    const lp = this.ibgp ? (localPref ?? 0) : undefined;
    const key = attributesKey(lp, med, communities, large);
    const known = this.byKey.get(key);
    if (known) return known;
    const attrs: RouteAttributes = {
      key,
      ...(lp !== undefined ? { localPref: lp } : {}),
      ...(med !== undefined ? { med } : {}),
      communities,
      largeCommunities: large,
    };
    checkAttributes(attrs);
    this.byKey.set(key, attrs);
    return attrs;
  }

  // The advertisement last converted: consecutive advertisements usually share their attributes
  // (often the very same arrays), so a shallow comparison saves the sort and the key.
  private last: Advertisement | undefined;
  private lastAttrs: RouteAttributes | undefined;

  fromAdvertisement(ad: Advertisement): RouteAttributes {
    const last = this.last;
    if (
      last !== undefined &&
      this.lastAttrs !== undefined &&
      last.localPref === ad.localPref &&
      last.med === ad.med &&
      sameNumbers(last.communities, ad.communities) &&
      sameLarge(last.largeCommunities, ad.largeCommunities)
    ) {
      return this.lastAttrs;
    }
    const attrs = this.intern(
      ad.localPref,
      ad.med,
      sortedUniqueNumbers(ad.communities),
      sortedUniqueLarge(ad.largeCommunities),
    );
    this.last = ad;
    this.lastAttrs = attrs;
    return attrs;
  }

  /**
   * Two advertisements of one prefix: the union of their communities and large communities (as
   * MetalLB native unions communities), the highest LOCAL_PREF, and the lowest MED (the preferred
   * value, RFC 4271 §9.1.2.2), a MED given by either side winning over none.
   */
  merge(a: RouteAttributes, b: RouteAttributes): RouteAttributes {
    const lp = a.localPref === undefined ? b.localPref : b.localPref === undefined ? a.localPref : Math.max(a.localPref, b.localPref);
    const med = a.med === undefined ? b.med : b.med === undefined ? a.med : Math.min(a.med, b.med);
    return this.intern(
      lp,
      med,
      sortedUniqueNumbers([...a.communities, ...b.communities]),
      sortedUniqueLarge([...a.largeCommunities, ...b.largeCommunities]),
    );
  }
}

/** Octets of one path attribute whose value is `valueLength` long (RFC 4271 §4.3, extended length). */
function attributeSize(valueLength: number): number {
  return (valueLength > 255 ? 4 : 3) + valueLength;
}

/**
 * The path attributes other than MP_REACH_NLRI for routes of `family` with `attrs`, in type-code
 * order, and their encoded size.
 */
function pathAttributes(
  session: AdjRibOutSession,
  family: RouteFamily,
  attrs: RouteAttributes,
): { attributes: PathAttribute[]; size: number } {
  const out: PathAttribute[] = [];
  let size = 0;
  // RFC 4271 §5.1.1: ORIGIN IGP, the route is originated here.
  out.push({ kind: 'origin', origin: 0 });
  size += attributeSize(1);
  // RFC 4271 §5.1.2: iBGP sends an empty AS_PATH; eBGP prepends our AS as one AS_SEQUENCE.
  // RFC 6793 §4.2.2: to a 2-octet-only peer a 4-octet AS goes as AS_TRANS, with the real path in AS4_PATH.
  const ibgp = isIbgp(session);
  const needsAs4Path = !ibgp && !session.fourOctetAs && session.localAsn > 0xffff;
  if (ibgp) {
    out.push({ kind: 'asPath', segments: [] });
    size += attributeSize(0);
  } else {
    const asn = needsAs4Path ? AS_TRANS : session.localAsn;
    out.push({ kind: 'asPath', segments: [{ type: 'sequence', asns: [asn] }] });
    size += attributeSize(2 + (session.fourOctetAs ? 4 : 2));
  }
  // RFC 4271 §5.1.3: NEXT_HOP for IPv4 NLRI; RFC 4760 §3: not with MP_REACH_NLRI-only UPDATEs.
  if (family === 'ipv4') {
    out.push({ kind: 'nextHop', nextHop: session.ipv4NextHop ?? '' });
    size += attributeSize(4);
  }
  if (attrs.med !== undefined) {
    out.push({ kind: 'multiExitDisc', med: attrs.med });
    size += attributeSize(4);
  }
  // RFC 4271 §5.1.5: LOCAL_PREF only on iBGP (present in attrs exactly then).
  if (attrs.localPref !== undefined) {
    out.push({ kind: 'localPref', localPref: attrs.localPref });
    size += attributeSize(4);
  }
  if (attrs.communities.length > 0) {
    out.push({ kind: 'communities', communities: attrs.communities });
    size += attributeSize(4 * attrs.communities.length);
  }
  if (needsAs4Path) {
    out.push({ kind: 'as4Path', segments: [{ type: 'sequence', asns: [session.localAsn] }] });
    size += attributeSize(2 + 4);
  }
  if (attrs.largeCommunities.length > 0) {
    out.push({ kind: 'largeCommunities', communities: attrs.largeCommunities });
    size += attributeSize(12 * attrs.largeCommunities.length);
  }
  return { attributes: out, size };
}

/** Octets of one prefix in NLRI or withdrawn routes (RFC 4271 §4.3): length octet + prefix octets. */
function prefixSize(p: Prefix): number {
  return 1 + ((p.length + 7) >> 3);
}

// ---------------------------------------------------------------------------------------------------
// Ordering

/** IPv4 dotted quad to its 32-bit value, -1 when malformed. */
function ipv4Value(text: string): number {
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || part > 255) return -1;
      value = value * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57) {
      part = part * 10 + (c - 48);
      digits++;
    } else {
      return -1;
    }
  }
  if (dots !== 3 || digits === 0 || part > 255) return -1;
  return value * 256 + part;
}

/**
 * The sort key of a prefix: address, then length. A number for IPv4 (`address * 64 + length`, exact
 * in a double), fixed-width hex text for IPv6. Throws on a prefix that breaks the `Prefix` contract.
 */
function orderOf(p: Prefix): number | string {
  if (p.family === 'ipv4') {
    const v = ipv4Value(p.address);
    if (v < 0 || !Number.isInteger(p.length) || p.length < 0 || p.length > 32) {
      throw new RangeError(`not an IPv4 prefix: ${p.address}/${p.length}`);
    }
    return v * 64 + p.length;
  }
  const order = Number.isInteger(p.length) && p.length >= 0 && p.length <= 128 ? ipv6Order(p.address, p.length) : undefined;
  if (order === undefined) throw new RangeError(`not an IPv6 prefix: ${p.address}/${p.length}`);
  return order;
}

const groups = new Uint16Array(8);

/**
 * The IPv6 sort key: the eight 16-bit groups of `text`, then `length`, one UTF-16 code unit each, so
 * that string order is address order. `undefined` when `text` is not an IPv6 address. One pass, no
 * allocation but the key (this runs once per desired prefix).
 */
function ipv6Order(text: string, length: number): string | undefined {
  if (text.includes('.')) {
    // An embedded IPv4 tail (::ffff:a.b.c.d) is rare: take the general parser.
    const ip = parseIp(text);
    if (ip?.family !== 'ipv6') return undefined;
    for (let g = 0; g < 8; g++) groups[g] = Number((ip.value >> BigInt(16 * (7 - g))) & 0xffffn);
  } else {
    const len = text.length;
    let n = 0;
    let gap = -1;
    let value = 0;
    let digits = 0;
    let i = 0;
    if (len >= 2 && text.charCodeAt(0) === 58) {
      if (text.charCodeAt(1) !== 58) return undefined;
      gap = 0;
      i = 2;
    }
    for (; i < len; i++) {
      const c = text.charCodeAt(i);
      if (c === 58) {
        if (digits === 0 || n === 8) return undefined;
        groups[n++] = value;
        value = 0;
        digits = 0;
        if (i + 1 < len && text.charCodeAt(i + 1) === 58) {
          if (gap !== -1) return undefined;
          gap = n;
          i++;
        } else if (i + 1 === len) {
          return undefined;
        }
        continue;
      }
      let d: number;
      if (c >= 48 && c <= 57) d = c - 48;
      else if (c >= 97 && c <= 102) d = c - 87;
      else if (c >= 65 && c <= 70) d = c - 55;
      else return undefined;
      if (++digits > 4) return undefined;
      value = value * 16 + d;
    }
    if (digits > 0) {
      if (n === 8) return undefined;
      groups[n++] = value;
    } else if (gap !== n) {
      return undefined;
    }
    if (gap === -1) {
      if (n !== 8) return undefined;
    } else {
      if (n > 7) return undefined;
      const tail = n - gap;
      for (let t = tail - 1; t >= 0; t--) groups[8 - tail + t] = groups[gap + t] as number;
      for (let z = gap; z < 8 - tail; z++) groups[z] = 0;
    }
  }
  const g = groups;
  return String.fromCharCode(
    g[0] as number, g[1] as number, g[2] as number, g[3] as number,
    g[4] as number, g[5] as number, g[6] as number, g[7] as number, length,
  );
}

function byOrder(a: SentRoute, b: SentRoute): number {
  return a.order < b.order ? -1 : a.order > b.order ? 1 : 0;
}

/** One stable counting-sort pass of `from` into `to` by `digit[i]` (values below `buckets`). */
function countingPass(from: Uint32Array, to: Uint32Array, digit: Uint32Array, buckets: number): void {
  const count = new Uint32Array(buckets + 1);
  for (let k = 0; k < from.length; k++) (count[(digit[from[k] as number] as number) + 1] as number)++;
  for (let b = 0; b < buckets; b++) count[b + 1] = (count[b + 1] as number) + (count[b] as number);
  for (let k = 0; k < from.length; k++) {
    const i = from[k] as number;
    const d = digit[i] as number;
    to[count[d] as number] = i;
    count[d] = (count[d] as number) + 1;
  }
}

/**
 * Sorts IPv4 routes by `order` with an LSD radix sort (length, then the address in 11-, 11- and
 * 10-bit digits): linear, where a comparison sort of 100 000 shuffled routes costs several times more.
 */
function radixSortIpv4(routes: SentRoute[]): void {
  const n = routes.length;
  const addr = new Uint32Array(n);
  const digit = new Uint32Array(n);
  let a = new Uint32Array(n);
  let b = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const o = (routes[i] as SentRoute).order as number;
    addr[i] = Math.floor(o / 64);
    digit[i] = o % 64;
    a[i] = i;
  }
  countingPass(a, b, digit, 64);
  [a, b] = [b, a];
  for (const [shift, bits] of [
    [0, 11],
    [11, 11],
    [22, 10],
  ] as const) {
    const mask = (1 << bits) - 1;
    for (let i = 0; i < n; i++) digit[i] = ((addr[i] as number) >>> shift) & mask;
    countingPass(a, b, digit, 1 << bits);
    [a, b] = [b, a];
  }
  const copy = routes.slice();
  for (let k = 0; k < n; k++) routes[k] = copy[a[k] as number] as SentRoute;
}

/**
 * Sorts IPv6 routes by `order` (nine 16-bit code units) with an LSD radix sort, one pass per code
 * unit from the last, skipping the passes where every route has the same unit.
 */
function radixSortIpv6(routes: SentRoute[]): void {
  const n = routes.length;
  const digit = new Uint32Array(n);
  let a = new Uint32Array(n);
  let b = new Uint32Array(n);
  for (let i = 0; i < n; i++) a[i] = i;
  for (let pos = 8; pos >= 0; pos--) {
    let same = true;
    const first = ((routes[0] as SentRoute).order as string).charCodeAt(pos);
    for (let i = 0; i < n; i++) {
      const d = ((routes[i] as SentRoute).order as string).charCodeAt(pos);
      digit[i] = d;
      if (d !== first) same = false;
    }
    if (same) continue;
    countingPass(a, b, digit, pos === 8 ? 129 : 65536);
    [a, b] = [b, a];
  }
  const copy = routes.slice();
  for (let k = 0; k < n; k++) routes[k] = copy[a[k] as number] as SentRoute;
}

/** Sorts routes of one family by `order` in place, skipping the sort when they already are. */
function sortRoutes(routes: SentRoute[]): void {
  for (let i = 1; i < routes.length; i++) {
    if ((routes[i - 1] as SentRoute).order > (routes[i] as SentRoute).order) {
      if (routes.length < 64) routes.sort(byOrder);
      else if (typeof routes[0]?.order === 'number') radixSortIpv4(routes);
      else radixSortIpv6(routes);
      return;
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// Packing

function mpNextHops(session: AdjRibOutSession): string[] {
  // RFC 2545 §3: the global address, optionally followed by a link-local one (length 16 or 32).
  const hops = [session.ipv6NextHop ?? ''];
  if (session.ipv6LinkLocalNextHop !== undefined) hops.push(session.ipv6LinkLocalNextHop);
  return hops;
}

/**
 * Announcements of `prefixes` (sorted, one family, all with `attrs`, each known to fit alone) in as
 * few UPDATEs as fit `max`, appended to `out`.
 */
function packAnnouncements(
  session: AdjRibOutSession,
  family: RouteFamily,
  attrs: RouteAttributes,
  prefixes: readonly Prefix[],
  max: number,
  out: UpdateMessage[],
): void {
  const { attributes, size: attrSize } = pathAttributes(session, family, attrs);
  if (family === 'ipv4') {
    // RFC 4271 §4.3: 23 octets of fixed fields, the attributes, then the NLRI.
    const budget = max - UPDATE_OVERHEAD - attrSize;
    let chunk: Prefix[] = [];
    let used = 0;
    for (const p of prefixes) {
      const s = prefixSize(p);
      if (used + s > budget && chunk.length > 0) {
        out.push({ type: 'update', withdrawn: [], attributes, nlri: chunk });
        chunk = [];
        used = 0;
      }
      chunk.push(p);
      used += s;
    }
    if (chunk.length > 0) out.push({ type: 'update', withdrawn: [], attributes, nlri: chunk });
    return;
  }
  packMpAnnouncements(session, attributes, attrSize, prefixes, max, out);
}

/**
 * Like `packAnnouncements` for a prepared IPv4 group: the NLRI field of each UPDATE is a slice of
 * the group's encoded NLRI, recorded in `encoded`.
 */
function packPreparedGroup(
  session: AdjRibOutSession,
  group: PreparedGroup,
  max: number,
  out: UpdateMessage[],
  encoded: Map<UpdateMessage, Uint8Array>,
): void {
  const { attributes, size: attrSize } = pathAttributes(session, 'ipv4', group.attrs);
  // RFC 4271 §4.3: 23 octets of fixed fields, the attributes, then the NLRI.
  const budget = max - UPDATE_OVERHEAD - attrSize;
  const bytes = group.nlri;
  const e = group.entryOctets;
  if (e > 0) {
    // One prefix length throughout: the same number of prefixes in every full message.
    const per = Math.max(1, Math.floor(budget / e));
    for (let first = 0; first < group.prefixes.length; first += per) {
      const end = Math.min(first + per, group.prefixes.length);
      const m: UpdateMessage = { type: 'update', withdrawn: [], attributes, nlri: group.prefixes.slice(first, end) };
      out.push(m);
      encoded.set(m, bytes.subarray(first * e, end * e));
    }
    return;
  }
  let first = 0;
  let from = 0;
  let pos = 0;
  let count = 0;
  while (pos < bytes.length) {
    // Each entry is a length octet and that many bits rounded up to octets.
    const s = 1 + (((bytes[pos] as number) + 7) >> 3);
    if (pos + s - from > budget && pos > from) {
      const m: UpdateMessage = { type: 'update', withdrawn: [], attributes, nlri: group.prefixes.slice(first, first + count) };
      out.push(m);
      encoded.set(m, bytes.subarray(from, pos));
      first += count;
      count = 0;
      from = pos;
    }
    pos += s;
    count++;
  }
  if (count > 0) {
    const m: UpdateMessage = { type: 'update', withdrawn: [], attributes, nlri: group.prefixes.slice(first, first + count) };
    out.push(m);
    encoded.set(m, bytes.subarray(from, pos));
  }
}

function packMpAnnouncements(
  session: AdjRibOutSession,
  attributes: PathAttribute[],
  attrSize: number,
  prefixes: readonly Prefix[],
  max: number,
  out: UpdateMessage[],
): void {
  // RFC 4760 §3: IPv6 NLRI travel in MP_REACH_NLRI: AFI (2), SAFI (1), next hop length (1), next
  // hops, reserved (1), NLRI. Its header grows to 4 octets once the value passes 255 (extended length).
  const nextHops = mpNextHops(session);
  const fixedValue = 5 + 16 * nextHops.length;
  const room = (nlri: number): boolean => UPDATE_OVERHEAD + attrSize + attributeSize(fixedValue + nlri) <= max;
  let chunk: Prefix[] = [];
  let used = 0;
  const flush = (): void => {
    // RFC 7606 §5.1: MP_REACH_NLRI is encoded as the very first path attribute.
    const mp: PathAttribute = { kind: 'mpReachNlri', afi: AFI.ipv6, safi: SAFI.unicast, nextHops, nlri: chunk };
    out.push({ type: 'update', withdrawn: [], attributes: [mp, ...attributes], nlri: [] });
  };
  for (const p of prefixes) {
    const s = prefixSize(p);
    if (!room(used + s) && chunk.length > 0) {
      flush();
      chunk = [];
      used = 0;
    }
    chunk.push(p);
    used += s;
  }
  if (chunk.length > 0) flush();
}

/** Withdrawals of `prefixes` (sorted, one family) in as few UPDATEs as fit `max`. */
function packWithdrawals(family: RouteFamily, prefixes: readonly Prefix[], max: number, out: UpdateMessage[]): void {
  // RFC 4271 §4.3: IPv4 withdrawals in the Withdrawn Routes field, no attributes needed.
  // RFC 4760 §4: IPv6 withdrawals in MP_UNREACH_NLRI (AFI 2, SAFI 1, withdrawn routes), alone.
  const room =
    family === 'ipv4'
      ? (w: number): boolean => UPDATE_OVERHEAD + w <= max
      : (w: number): boolean => UPDATE_OVERHEAD + attributeSize(3 + w) <= max;
  const emit = (chunk: Prefix[]): void => {
    if (family === 'ipv4') out.push({ type: 'update', withdrawn: chunk, attributes: [], nlri: [] });
    else {
      out.push({
        type: 'update',
        withdrawn: [],
        attributes: [{ kind: 'mpUnreachNlri', afi: AFI.ipv6, safi: SAFI.unicast, withdrawn: chunk }],
        nlri: [],
      });
    }
  };
  let chunk: Prefix[] = [];
  let used = 0;
  for (const p of prefixes) {
    const s = prefixSize(p);
    if (!room(used + s)) {
      emit(chunk);
      chunk = [];
      used = 0;
    }
    chunk.push(p);
    used += s;
  }
  if (chunk.length > 0) emit(chunk);
}

/** Routes of one attribute set, in address order. */
interface RouteGroup {
  readonly attrs: RouteAttributes;
  readonly prefixes: Prefix[];
}

/**
 * Groups routes (sorted, one family) by attribute set. Groups come out ordered by attribute key and
 * each keeps its prefixes in address order.
 */
function groupRoutes(routes: readonly SentRoute[]): RouteGroup[] {
  const groups = new Map<string, RouteGroup>();
  let lastAttrs: RouteAttributes | undefined;
  let last: RouteGroup | undefined;
  for (const r of routes) {
    // Neighbouring routes mostly share one attribute object: look the group up only on a change.
    if (r.attributes !== lastAttrs || last === undefined) {
      lastAttrs = r.attributes;
      last = groups.get(r.attributes.key);
      if (last === undefined) {
        last = { attrs: r.attributes, prefixes: [] };
        groups.set(r.attributes.key, last);
      }
    }
    last.prefixes.push(r.prefix);
  }
  return [...groups.values()].sort((a, b) => (a.attrs.key < b.attrs.key ? -1 : a.attrs.key > b.attrs.key ? 1 : 0));
}

function carriedFamilies(session: AdjRibOutSession): RouteFamily[] {
  // Deterministic order: IPv4 first.
  return (['ipv4', 'ipv6'] as const).filter((f) => session.families.includes(f));
}

// ---------------------------------------------------------------------------------------------------
// The diff

/** Octets the path attributes of `attrs` take for `family`, cached for the last set asked about. */
class AttributeSizes {
  private attrs: RouteAttributes | undefined;
  private family: RouteFamily | undefined;
  private size = 0;

  constructor(private readonly session: AdjRibOutSession) {}

  of(family: RouteFamily, attrs: RouteAttributes): number {
    if (attrs !== this.attrs || family !== this.family) {
      this.attrs = attrs;
      this.family = family;
      this.size = pathAttributes(this.session, family, attrs).size;
    }
    return this.size;
  }
}

/** Whether one prefix with its attributes fits in a message of `max` octets. */
function fitsAlone(mpFixedValue: number, attrSize: number, route: SentRoute, max: number): boolean {
  return fits(mpFixedValue, attrSize, route.prefix.family, prefixSize(route.prefix), max);
}

/** Whether a prefix of `nlri` octets of `family` with attributes of `attrSize` octets fits in `max`. */
function fits(mpFixedValue: number, attrSize: number, family: RouteFamily, nlri: number, max: number): boolean {
  if (family === 'ipv4') return UPDATE_OVERHEAD + attrSize + nlri <= max;
  return UPDATE_OVERHEAD + attrSize + attributeSize(mpFixedValue + nlri) <= max;
}

/** Routes of one family sorted by address, one per prefix (duplicates merged, see `AttributeTable.merge`). */
function uniqueRoutes(table: AttributeTable, routes: SentRoute[]): SentRoute[] {
  sortRoutes(routes);
  const out: SentRoute[] = [];
  for (const r of routes) {
    const prev = out[out.length - 1];
    if (prev !== undefined && prev.order === r.order) {
      // The same prefix again: one route with the attributes merged (see AttributeTable.merge).
      if (prev.attributes !== r.attributes) {
        const merged = table.merge(prev.attributes, r.attributes);
        if (merged !== prev.attributes) out[out.length - 1] = { prefix: prev.prefix, attributes: merged, order: prev.order };
      }
    } else {
      out.push(r);
    }
  }
  return out;
}

/**
 * The routes (sorted, unique, one family) that fit one message of `max` octets with their
 * attributes; the others go to `unsendable`. Returns `routes` itself when all fit.
 */
function sendableRoutes(
  session: AdjRibOutSession,
  family: RouteFamily,
  routes: readonly SentRoute[],
  attributeSets: readonly RouteAttributes[],
  max: number,
  unsendable: Prefix[],
): readonly SentRoute[] {
  const sizes = new AttributeSizes(session);
  const mpFixedValue = 5 + 16 * mpNextHops(session).length;
  // When every attribute set fits with the longest prefix of the family, every route fits.
  const longest = family === 'ipv4' ? 5 : 17;
  if (attributeSets.every((a) => fits(mpFixedValue, sizes.of(family, a), family, longest, max))) return routes;
  let out: SentRoute[] | undefined;
  for (let i = 0; i < routes.length; i++) {
    const r = routes[i] as SentRoute;
    if (fitsAlone(mpFixedValue, sizes.of(r.prefix.family, r.attributes), r, max)) out?.push(r);
    else {
      out ??= routes.slice(0, i);
      unsendable.push(r.prefix);
    }
  }
  return out ?? routes;
}

/**
 * Walks the sent and desired routes of one family (both sorted, unique) side by side: a route only
 * sent is withdrawn, a route only desired or desired with other attributes is announced. Returns the
 * new sent list, reusing the recorded routes that did not change.
 */
function diffRoutes(
  sent: readonly SentRoute[],
  desired: readonly SentRoute[],
  withdrawn: Prefix[],
  announced: SentRoute[],
): SentRoute[] {
  const next: SentRoute[] = new Array<SentRoute>(desired.length);
  let i = 0;
  let j = 0;
  while (i < sent.length && j < desired.length) {
    const o = sent[i] as SentRoute;
    const n = desired[j] as SentRoute;
    if (o.order === n.order) {
      if (o.attributes.key === n.attributes.key) next[j] = o;
      else {
        next[j] = n;
        announced.push(n);
      }
      i++;
      j++;
    } else if (o.order < n.order) {
      withdrawn.push(o.prefix);
      i++;
    } else {
      next[j] = n;
      announced.push(n);
      j++;
    }
  }
  for (; i < sent.length; i++) withdrawn.push((sent[i] as SentRoute).prefix);
  for (; j < desired.length; j++) {
    const n = desired[j] as SentRoute;
    next[j] = n;
    announced.push(n);
  }
  return next;
}

/**
 * Does the per-prefix work on a desired set that does not depend on a session's negotiation (see
 * `PreparedAdvertisements`): for iBGP peers when `ibgp` (LOCAL_PREF is sent to them only, RFC 4271
 * §5.1.5), with the IPv4 NLRI encoded when `encodeNlri`. Throws a RangeError (a programmer error) on
 * a prefix that breaks the `Prefix` contract or on an attribute value outside uint32.
 */
export function prepareAdvertisements(
  desired: readonly Advertisement[],
  ibgp: boolean,
  options: { readonly encodeNlri?: boolean } = {},
): PreparedAdvertisements {
  const table = new AttributeTable(ibgp);
  const want4: SentRoute[] = [];
  const want6: SentRoute[] = [];
  for (const ad of desired) {
    const p = ad.prefix;
    const route: SentRoute = { prefix: p, attributes: table.fromAdvertisement(ad), order: orderOf(p) };
    if (p.family === 'ipv4') want4.push(route);
    else want6.push(route);
  }
  const ipv4 = uniqueRoutes(table, want4);
  const ipv6 = uniqueRoutes(table, want6);
  const attributeSets = { ipv4: distinctAttributes(ipv4), ipv6: distinctAttributes(ipv6) };
  if (!options.encodeNlri) return { desired, ibgp, ipv4, ipv6, attributeSets };
  // RFC 4271 §4.3: the NLRI encoding of an IPv4 prefix depends on nothing negotiated.
  const ipv4Groups = groupRoutes(ipv4).map((g): PreparedGroup => {
    const w = new BufferWriter(g.prefixes.length * 5);
    let entryOctets = g.prefixes.length > 0 ? prefixSize(g.prefixes[0] as Prefix) : 0;
    for (const p of g.prefixes) {
      encodePrefix(w, p);
      if (prefixSize(p) !== entryOctets) entryOctets = 0;
    }
    return { attrs: g.attrs, prefixes: g.prefixes, nlri: w.finish(), entryOctets };
  });
  return { desired, ibgp, ipv4, ipv6, attributeSets, ipv4Groups };
}

/** The distinct attribute objects of `routes`. */
function distinctAttributes(routes: readonly SentRoute[]): RouteAttributes[] {
  const seen = new Set<RouteAttributes>();
  for (const r of routes) seen.add(r.attributes);
  return [...seen];
}

function isPrepared(desired: readonly Advertisement[] | PreparedAdvertisements): desired is PreparedAdvertisements {
  return !Array.isArray(desired);
}

/**
 * Replaces the desired set of advertisements and returns the UPDATEs that take the peer there.
 * `desired` may be given prepared (`prepareAdvertisements`); one prepared for the other kind of peer
 * (iBGP / eBGP) is prepared again from its advertisements. The outcome is the same either way, except
 * that the IPv4 announcements of an initial table made from prepared, encoded NLRI come with those
 * bytes (`encodedNlri`).
 *
 * - Advertisements of a family the session does not carry are skipped.
 * - Several advertisements of one prefix become one route: communities and large communities are
 *   unioned, the highest LOCAL_PREF and the lowest MED win (a MED given beats none).
 * - New prefixes and prefixes whose attributes changed are announced (a re-announcement replaces
 *   the old route, RFC 4271 §3.1); prefixes no longer desired are withdrawn. Withdrawals come first,
 *   IPv4 before IPv6.
 * - The first call on a new session sends the whole table, then End-of-RIB for every carried family
 *   (RFC 4724 §2), even when the table is empty.
 * - An unchanged set yields no message.
 *
 * Throws a RangeError (a programmer error) on a prefix that breaks the `Prefix` contract or on an
 * attribute value outside uint32.
 */
export function setAdvertisements(rib: AdjRibOut, desired: readonly Advertisement[] | PreparedAdvertisements): AdjRibOutChange {
  const session = rib.session;
  const ibgp = isIbgp(session);
  let prepared = isPrepared(desired) ? desired : prepareAdvertisements(desired, ibgp);
  if (prepared.ibgp !== ibgp) prepared = prepareAdvertisements(prepared.desired, ibgp, { encodeNlri: prepared.ipv4Groups !== undefined });
  const carries4 = session.families.includes('ipv4');
  const carries6 = session.families.includes('ipv6');
  const max = maxMessageSize(session);
  const unsendable: Prefix[] = [];
  const withdrawn4: Prefix[] = [];
  const withdrawn6: Prefix[] = [];
  const announced4: SentRoute[] = [];
  const announced6: SentRoute[] = [];
  const sets = prepared.attributeSets;
  const want4 = carries4 ? sendableRoutes(session, 'ipv4', prepared.ipv4, sets.ipv4, max, unsendable) : [];
  const want6 = carries6 ? sendableRoutes(session, 'ipv6', prepared.ipv6, sets.ipv6, max, unsendable) : [];
  // Nothing sent yet and every prepared IPv4 route sendable: all are announced, in the prepared
  // groups, whose encoded NLRI can be used as they are.
  const groups4 = rib.ipv4.length === 0 && want4 === prepared.ipv4 ? prepared.ipv4Groups : undefined;
  const next4 = groups4 !== undefined ? want4 : diffRoutes(rib.ipv4, want4, withdrawn4, announced4);
  const next6 = diffRoutes(rib.ipv6, want6, withdrawn6, announced6);

  const messages: UpdateMessage[] = [];
  const encodedNlri = groups4 !== undefined ? new Map<UpdateMessage, Uint8Array>() : undefined;
  if (withdrawn4.length > 0) packWithdrawals('ipv4', withdrawn4, max, messages);
  if (withdrawn6.length > 0) packWithdrawals('ipv6', withdrawn6, max, messages);
  if (groups4 !== undefined && encodedNlri !== undefined) {
    for (const g of groups4) packPreparedGroup(session, g, max, messages, encodedNlri);
  } else {
    for (const g of groupRoutes(announced4)) packAnnouncements(session, 'ipv4', g.attrs, g.prefixes, max, messages);
  }
  for (const g of groupRoutes(announced6)) packAnnouncements(session, 'ipv6', g.attrs, g.prefixes, max, messages);
  if (!rib.initialTableSent) {
    // RFC 4724 §2: End-of-RIB per family once the initial table is out; the RFC recommends it for
    // convergence in general, so it is sent whether or not graceful restart was negotiated.
    for (const family of carriedFamilies(session)) messages.push(endOfRib(AFI[family], SAFI.unicast));
  }
  return {
    rib: { session, ipv4: next4, ipv6: next6, initialTableSent: true },
    messages,
    unsendable,
    ...(encodedNlri !== undefined ? { encodedNlri } : {}),
  };
}

/**
 * The answer to a ROUTE-REFRESH from the peer (RFC 2918 §4): the whole Adj-RIB-Out of the requested
 * family again, preceded by a BoRR and followed by an EoRR when enhanced route refresh was negotiated
 * (RFC 7313 §4). Empty when the request is for a family this session does not carry (RFC 2918 §4:
 * ignored), when it is a BoRR/EoRR marker rather than a request (RFC 7313 §5), or when the initial
 * table has not been sent yet (the initial table answers the request). The state is unchanged.
 */
export function routeRefreshReply(rib: AdjRibOut, request: RouteRefreshMessage): (UpdateMessage | RouteRefreshMessage)[] {
  // RFC 7313 §5: only subtype 0 is a request; markers and reserved subtypes ask for nothing.
  if (request.subtype !== ROUTE_REFRESH_SUBTYPE.NORMAL.code || request.safi !== SAFI.unicast) return [];
  const family: RouteFamily | undefined =
    request.afi === AFI.ipv4 ? 'ipv4' : request.afi === AFI.ipv6 ? 'ipv6' : undefined;
  if (family === undefined || !rib.session.families.includes(family) || !rib.initialTableSent) return [];
  const out: (UpdateMessage | RouteRefreshMessage)[] = [];
  const enhanced = rib.session.enhancedRouteRefresh;
  // RFC 7313 §4: BoRR before the re-advertisement, EoRR after it.
  if (enhanced) out.push({ type: 'routeRefresh', afi: request.afi, safi: request.safi, subtype: ROUTE_REFRESH_SUBTYPE.BEGINNING_OF_ROUTE_REFRESH.code });
  const max = maxMessageSize(rib.session);
  const updates: UpdateMessage[] = [];
  for (const g of groupRoutes(family === 'ipv4' ? rib.ipv4 : rib.ipv6)) {
    packAnnouncements(rib.session, family, g.attrs, g.prefixes, max, updates);
  }
  out.push(...updates);
  if (enhanced) out.push({ type: 'routeRefresh', afi: request.afi, safi: request.safi, subtype: ROUTE_REFRESH_SUBTYPE.END_OF_ROUTE_REFRESH.code });
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Community text

/** `a:b` (two 16-bit numbers, RFC 1997) to its 32-bit value; `undefined` when malformed. */
export function parseCommunity(text: string): number | undefined {
  const m = /^(0|[1-9][0-9]{0,4}):(0|[1-9][0-9]{0,4})$/.exec(text);
  if (!m) return undefined;
  const hi = Number(m[1]);
  const lo = Number(m[2]);
  if (hi > 0xffff || lo > 0xffff) return undefined;
  return hi * 0x10000 + lo;
}

/** `a:b:c` (three 32-bit numbers, RFC 8092) to a large community; `undefined` when malformed. */
export function parseLargeCommunity(text: string): LargeCommunity | undefined {
  const m = /^(0|[1-9][0-9]{0,9}):(0|[1-9][0-9]{0,9}):(0|[1-9][0-9]{0,9})$/.exec(text);
  if (!m) return undefined;
  const [g, l1, l2] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (g > UINT32_MAX || l1 > UINT32_MAX || l2 > UINT32_MAX) return undefined;
  return { globalAdmin: g, localData1: l1, localData2: l2 };
}
