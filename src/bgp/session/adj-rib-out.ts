/**
 * The Adj-RIB-Out of one BGP session (RFC 4271 §3.2, §9.2): what we have told the peer, and the pure
 * diff that turns a new desired set of advertisements into the UPDATE messages that bring the peer
 * from what it has to what it should have.
 *
 * Owns the desired set's normalisation (attributes for an iBGP or eBGP peer, duplicates merged), the
 * diff, the initial table followed by End-of-RIB per family (RFC 4724 §2), and the full table again
 * on a ROUTE-REFRESH (RFC 2918 §4), between BoRR and EoRR when enhanced route refresh was negotiated
 * (RFC 7313 §4). Prefix order lives in `route-order.ts`; the path attributes and the packing of
 * UPDATEs (prefixes with identical attributes share UPDATEs, as few as fit the negotiated maximum
 * message size) in `update-packing.ts`.
 *
 * Invariants:
 * - The state is plain data and never mutated; every function returns a new state, except
 *   `updateRoutes`, which takes the state over and updates its route lists in place (so that a change
 *   costs O(change · log n), not a copy of 100 000 routes).
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
import type { LargeCommunity, Prefix, RouteRefreshMessage, UpdateMessage } from '../wire/types.js';
import { AFI, SAFI } from '../wire/types.js';
import { ROUTE_REFRESH_SUBTYPE } from '../wire/codes.js';
import { endOfRib } from '../wire/end-of-rib.js';
import { maxMessageSize } from '../wire/header.js';
import { BufferWriter } from '../wire/buffer-writer.js';
import { encodePrefix } from '../wire/nlri.js';
import { parseIp } from '../../model/ip.js';
import { indexOfOrder, orderOf, sortRoutes } from './route-order.js';
import { AttributeTable } from './route-attributes.js';
import {
  AttributeSizes,
  carriedFamilies,
  fits,
  fitsAlone,
  groupRoutes,
  isIbgp,
  mpNextHops,
  packAnnouncements,
  packPreparedGroup,
  packWithdrawals,
  prefixSize,
} from './update-packing.js';

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

/** The desired route of one prefix after a change of the desired set (see `updateRoutes`). */
export interface RouteChange {
  readonly prefix: Prefix;
  /** The prefix's `orderOf` key. */
  readonly order: number | string;
  /** The prefix's desired route now; undefined when it is no longer desired. */
  readonly route: SentRoute | undefined;
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
// The diff

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
  return { desired, ibgp, ipv4, ipv6, attributeSets, ipv4Groups: encodeIpv4Groups(ipv4) };
}

/**
 * IPv4 routes (sorted, unique) grouped by attribute set with their NLRI encoded once (see
 * `PreparedGroup`). RFC 4271 §4.3: the NLRI encoding of an IPv4 prefix depends on nothing negotiated.
 */
export function encodeIpv4Groups(ipv4: readonly SentRoute[]): PreparedGroup[] {
  return groupRoutes(ipv4).map((g): PreparedGroup => {
    const w = new BufferWriter(g.prefixes.length * 5);
    let entryOctets = g.prefixes.length > 0 ? prefixSize(g.prefixes[0] as Prefix) : 0;
    for (const p of g.prefixes) {
      encodePrefix(w, p);
      if (prefixSize(p) !== entryOctets) entryOctets = 0;
    }
    return { attrs: g.attrs, prefixes: g.prefixes, nlri: w.finish(), entryOctets };
  });
}

/** The distinct attribute objects of `routes`. */
export function distinctAttributes(routes: readonly SentRoute[]): RouteAttributes[] {
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
  // (The new state gets its own copy: the prepared lists may belong to a live desired set.)
  const next4 = groups4 !== undefined ? want4.slice() : diffRoutes(rib.ipv4, want4, withdrawn4, announced4);
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
 * Brings the peer from the Adj-RIB-Out to a desired set that differs from the one it was made for in
 * the prefixes of `changes` only: each change gives the prefix's desired route after the change
 * (prepared, with attributes for this kind of peer: see `DesiredRoutes`), or none. The UPDATEs are
 * those `setAdvertisements` sends for the same change (withdrawals first, announcements packed per
 * attribute set), and the new state is the one it makes; the cost is O(changes · log n) plus the
 * move of the list tail on an insert or a delete, instead of a walk of the whole table.
 *
 * The route lists of `rib` are updated in place and handed to the new state: `rib` must not be used
 * afterwards. `unsendable` lists the changed prefixes whose attributes do not fit one UPDATE (not
 * sent, and withdrawn if they were). Throws an Error (a programmer error) before the initial table was
 * sent (the initial table comes from `setAdvertisements`), or when a change carries attributes
 * prepared for the other kind of peer.
 */
export function updateRoutes(rib: AdjRibOut, changes: readonly RouteChange[]): AdjRibOutChange {
  const session = rib.session;
  if (!rib.initialTableSent) throw new Error('updateRoutes needs the initial table sent (setAdvertisements first)');
  const ibgp = isIbgp(session);
  const max = maxMessageSize(session);
  const sizes = new AttributeSizes(session);
  const mpFixedValue = 5 + 16 * mpNextHops(session).length;
  const carries4 = session.families.includes('ipv4');
  const carries6 = session.families.includes('ipv6');
  const ipv4 = rib.ipv4 as SentRoute[];
  const ipv6 = rib.ipv6 as SentRoute[];
  const unsendable: Prefix[] = [];
  const withdrawn4: Prefix[] = [];
  const withdrawn6: Prefix[] = [];
  const announced4: SentRoute[] = [];
  const announced6: SentRoute[] = [];
  // In address order, so that the UPDATEs are those of a diff of the whole set.
  const sorted = changes.slice();
  sortRoutes(sorted);
  for (const c of sorted) {
    const family = c.prefix.family;
    if (family === 'ipv4' ? !carries4 : !carries6) continue;
    let want = c.route;
    // RFC 4271 §5.1.5: LOCAL_PREF is present exactly on the attributes of an iBGP peer's routes.
    if (want !== undefined && (want.attributes.localPref !== undefined) !== ibgp) throw new Error('a route prepared for the other kind of peer (iBGP/eBGP)');
    if (want !== undefined && !fitsAlone(mpFixedValue, sizes.of(family, want.attributes), want, max)) {
      unsendable.push(c.prefix);
      want = undefined;
    }
    const routes = family === 'ipv4' ? ipv4 : ipv6;
    const at = indexOfOrder(routes, c.order);
    if (want !== undefined) {
      if (at < 0) routes.splice(-at - 1, 0, want);
      else if ((routes[at] as SentRoute).attributes.key !== want.attributes.key) routes[at] = want;
      else continue;
      (family === 'ipv4' ? announced4 : announced6).push(want);
    } else if (at >= 0) {
      (family === 'ipv4' ? withdrawn4 : withdrawn6).push((routes[at] as SentRoute).prefix);
      routes.splice(at, 1);
    }
  }
  const messages: UpdateMessage[] = [];
  if (withdrawn4.length > 0) packWithdrawals('ipv4', withdrawn4, max, messages);
  if (withdrawn6.length > 0) packWithdrawals('ipv6', withdrawn6, max, messages);
  for (const g of groupRoutes(announced4)) packAnnouncements(session, 'ipv4', g.attrs, g.prefixes, max, messages);
  for (const g of groupRoutes(announced6)) packAnnouncements(session, 'ipv6', g.attrs, g.prefixes, max, messages);
  return { rib: { session, ipv4, ipv6, initialTableSent: true }, messages, unsendable };
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
  for (const m of updates) out.push(m);
  if (enhanced) out.push({ type: 'routeRefresh', afi: request.afi, safi: request.safi, subtype: ROUTE_REFRESH_SUBTYPE.END_OF_ROUTE_REFRESH.code });
  return out;
}
