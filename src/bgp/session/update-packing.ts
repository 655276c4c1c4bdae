/**
 * UPDATE packing for the Adj-RIB-Out: the path attributes a route of this speaker carries, their exact
 * encoded sizes (RFC 4271 §4.3, with the extended-length flag past 255 octets), and the packing of
 * announcements and withdrawals into as few UPDATEs as fit the negotiated maximum message size (4096,
 * or 65535 with RFC 8654).
 *
 * Attributes (MetalLB's native speaker, improved): ORIGIN IGP; AS_PATH empty for iBGP and one
 * AS_SEQUENCE [local AS] for eBGP (AS_TRANS plus AS4_PATH to a 2-octet-only peer, RFC 6793 §4.2.2);
 * NEXT_HOP for IPv4; IPv6 in MP_REACH_NLRI / MP_UNREACH_NLRI (RFC 4760), as the first attribute
 * (RFC 7606 §5.1), the others in type-code order (RFC 4271 §5); MED when given; LOCAL_PREF to iBGP
 * peers only; COMMUNITIES and LARGE_COMMUNITIES.
 *
 * Invariant: no UPDATE built here exceeds the maximum size given. Pure.
 */
import type { PathAttribute, Prefix, UpdateMessage } from '../wire/types.js';
import { AFI, AS_TRANS, SAFI } from '../wire/types.js';
import type { AdjRibOutSession, PreparedGroup, RouteAttributes, RouteFamily, SentRoute } from './adj-rib-out.js';

/** RFC 4271 §4.1 header (19) + withdrawn length (2) + total path attribute length (2). */
export const UPDATE_OVERHEAD = 23;

/** Whether the session is iBGP (the peer is in our AS). */
export function isIbgp(session: AdjRibOutSession): boolean {
  return session.localAsn === session.peerAsn;
}

/** Octets of one path attribute whose value is `valueLength` long (RFC 4271 §4.3, extended length). */
export function attributeSize(valueLength: number): number {
  return (valueLength > 255 ? 4 : 3) + valueLength;
}

/**
 * The path attributes other than MP_REACH_NLRI for routes of `family` with `attrs`, in type-code
 * order, and their encoded size.
 */
export function pathAttributes(
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
export function prefixSize(p: Prefix): number {
  return 1 + ((p.length + 7) >> 3);
}


export function mpNextHops(session: AdjRibOutSession): string[] {
  // RFC 2545 §3: the global address, optionally followed by a link-local one (length 16 or 32).
  const hops = [session.ipv6NextHop ?? ''];
  if (session.ipv6LinkLocalNextHop !== undefined) hops.push(session.ipv6LinkLocalNextHop);
  return hops;
}

/**
 * Announcements of `prefixes` (sorted, one family, all with `attrs`, each known to fit alone) in as
 * few UPDATEs as fit `max`, appended to `out`.
 */
export function packAnnouncements(
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
export function packPreparedGroup(
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
export function packWithdrawals(family: RouteFamily, prefixes: readonly Prefix[], max: number, out: UpdateMessage[]): void {
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
export interface RouteGroup {
  readonly attrs: RouteAttributes;
  readonly prefixes: Prefix[];
}

/**
 * Groups routes (sorted, one family) by attribute set. Groups come out ordered by attribute key and
 * each keeps its prefixes in address order.
 */
export function groupRoutes(routes: readonly SentRoute[]): RouteGroup[] {
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

export function carriedFamilies(session: AdjRibOutSession): RouteFamily[] {
  // Deterministic order: IPv4 first.
  return (['ipv4', 'ipv6'] as const).filter((f) => session.families.includes(f));
}

/** Octets the path attributes of `attrs` take for `family`, cached for the last set asked about. */
export class AttributeSizes {
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
export function fitsAlone(mpFixedValue: number, attrSize: number, route: SentRoute, max: number): boolean {
  return fits(mpFixedValue, attrSize, route.prefix.family, prefixSize(route.prefix), max);
}

/** Whether a prefix of `nlri` octets of `family` with attributes of `attrSize` octets fits in `max`. */
export function fits(mpFixedValue: number, attrSize: number, family: RouteFamily, nlri: number, max: number): boolean {
  if (family === 'ipv4') return UPDATE_OVERHEAD + attrSize + nlri <= max;
  return UPDATE_OVERHEAD + attrSize + attributeSize(mpFixedValue + nlri) <= max;
}
