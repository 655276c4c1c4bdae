/**
 * The lab router's routing table: what each neighbour announced (an Adj-RIB-In per neighbour, RFC 4271
 * §3.2) and the routes the router would install, with equal-cost multipath across neighbours the way
 * FRR does with `maximum-paths ibgp 8`. Pure: time is passed in, nothing here touches a socket.
 *
 * Invariants: a neighbour holds at most one path per prefix (a new announcement replaces the old one,
 * RFC 4271 §3.1); a neighbour that goes away takes its paths with it (RFC 4271 §9.1 when the session
 * closes).
 */
import type { PathAttribute, Prefix, UpdateMessage } from '../bgp/wire/types.js';
import { AFI } from '../bgp/wire/types.js';
import { compareIp, parseCidr, parseIp } from '../model/ip.js';

/** One path a neighbour announced. */
export interface ReceivedPath {
  readonly neighbor: string;
  /** `address/length`. */
  readonly prefix: string;
  readonly nextHop: string;
  readonly origin: number;
  readonly asPath: readonly number[];
  readonly localPref?: number;
  readonly med?: number;
  /** `a:b`, in the order received. */
  readonly communities: readonly string[];
  /** `a:b:c`, in the order received. */
  readonly largeCommunities: readonly string[];
  /** When it was (last) received, ms since the epoch. */
  readonly sinceMs: number;
}

/** A route the router installs: a prefix and its equal-cost next hops. */
export interface InstalledRoute {
  readonly prefix: string;
  /** The selected paths, ordered by next hop. */
  readonly paths: readonly ReceivedPath[];
}

/** iBGP default when LOCAL_PREF is absent (RFC 4271 §5.1.5 leaves it local; FRR and Cisco use 100). */
export const DEFAULT_LOCAL_PREF = 100;

function prefixText(p: Prefix): string {
  return `${p.address}/${p.length}`;
}

function comparePrefixText(a: string, b: string): number {
  const pa = parseCidr(a);
  const pb = parseCidr(b);
  if (!pa || !pb) return a < b ? -1 : a > b ? 1 : 0;
  if (pa.family !== pb.family) return pa.family === 'ipv4' ? -1 : 1;
  if (pa.value !== pb.value) return pa.value < pb.value ? -1 : 1;
  return pa.length - pb.length;
}

/** Orders addresses numerically (IPv4 before IPv6); unparsable text sorts last, by text. */
export function compareAddressText(a: string, b: string): number {
  const ia = parseIp(a);
  const ib = parseIp(b);
  if (ia && ib) return compareIp(ia, ib);
  if (ia) return -1;
  if (ib) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

function flattenAsPath(attrs: readonly PathAttribute[]): number[] {
  const out: number[] = [];
  for (const a of attrs) {
    if (a.kind !== 'asPath') continue;
    // RFC 4271 §9.1.2.2 a): an AS_SET counts as one AS however many it holds.
    for (const s of a.segments) {
      if (s.type === 'sequence') for (const asn of s.asns) out.push(asn);
      else if (s.type === 'set' && s.asns.length > 0) out.push(s.asns[0] ?? 0);
    }
  }
  return out;
}

/** The routing table of the lab router. */
export class LabRib {
  /** neighbour → prefix → path. */
  private readonly byNeighbor = new Map<string, Map<string, ReceivedPath>>();

  /**
   * Applies one UPDATE from `neighbor`; with `withdrawAll` (RFC 7606 treat-as-withdraw) every prefix it
   * carries is withdrawn. Returns whether the table changed.
   */
  applyUpdate(neighbor: string, update: UpdateMessage, nowMs: number, withdrawAll = false): boolean {
    const table = this.byNeighbor.get(neighbor) ?? new Map<string, ReceivedPath>();
    this.byNeighbor.set(neighbor, table);
    let changed = false;
    const withdrawn: Prefix[] = [...update.withdrawn];
    const announced: Prefix[] = [...update.nlri];
    let nextHop: string | undefined;
    let mpNextHop: string | undefined;
    let origin = 0;
    let localPref: number | undefined;
    let med: number | undefined;
    let communities: string[] = [];
    let largeCommunities: string[] = [];
    const mpAnnounced: Prefix[] = [];
    for (const a of update.attributes) {
      switch (a.kind) {
        case 'nextHop':
          nextHop = a.nextHop;
          break;
        case 'origin':
          origin = a.origin;
          break;
        case 'localPref':
          localPref = a.localPref;
          break;
        case 'multiExitDisc':
          med = a.med;
          break;
        case 'communities':
          communities = a.communities.map((c) => `${Math.floor(c / 65536)}:${c % 65536}`);
          break;
        case 'largeCommunities':
          largeCommunities = a.communities.map((c) => `${c.globalAdmin}:${c.localData1}:${c.localData2}`);
          break;
        case 'mpReachNlri':
          // RFC 4760 §3: the next hop of MP_REACH_NLRI applies to its own NLRI.
          if (a.afi === AFI.ipv4 || a.afi === AFI.ipv6) {
            mpNextHop = a.nextHops[0];
            for (const p of a.nlri) mpAnnounced.push(p);
          }
          break;
        case 'mpUnreachNlri':
          for (const p of a.withdrawn) withdrawn.push(p);
          break;
        case 'asPath':
        case 'atomicAggregate':
        case 'aggregator':
        case 'extendedCommunities':
        case 'as4Path':
        case 'as4Aggregator':
        case 'unknown':
          break;
      }
    }
    for (const p of withdrawn) changed = table.delete(prefixText(p)) || changed;
    const asPath = flattenAsPath(update.attributes);
    const put = (prefixes: readonly Prefix[], hop: string | undefined): void => {
      for (const p of prefixes) {
        const key = prefixText(p);
        if (withdrawAll || hop === undefined) {
          changed = table.delete(key) || changed;
          continue;
        }
        const old = table.get(key);
        const path: ReceivedPath = {
          neighbor,
          prefix: key,
          nextHop: hop,
          origin,
          asPath,
          ...(localPref !== undefined ? { localPref } : {}),
          ...(med !== undefined ? { med } : {}),
          communities,
          largeCommunities,
          sinceMs: old && samePath(old, hop, origin, asPath, localPref, med, communities, largeCommunities) ? old.sinceMs : nowMs,
        };
        if (!old || old.sinceMs !== path.sinceMs) changed = true;
        table.set(key, path);
      }
    };
    put(announced, nextHop);
    put(mpAnnounced, mpNextHop);
    return changed;
  }

  /** Forgets everything `neighbor` announced (its session went down). Returns whether anything went. */
  dropNeighbor(neighbor: string): boolean {
    const table = this.byNeighbor.get(neighbor);
    this.byNeighbor.delete(neighbor);
    return table !== undefined && table.size > 0;
  }

  /** How many prefixes `neighbor` currently announces (FRR's PfxRcd). */
  prefixCount(neighbor: string): number {
    return this.byNeighbor.get(neighbor)?.size ?? 0;
  }

  /** Every path received, by neighbour then prefix. */
  paths(): ReceivedPath[] {
    const out: ReceivedPath[] = [];
    for (const n of [...this.byNeighbor.keys()].sort(compareAddressText)) {
      const table = this.byNeighbor.get(n);
      if (table) for (const r of [...table.values()].sort((a, b) => comparePrefixText(a.prefix, b.prefix))) out.push(r);
    }
    return out;
  }

  /**
   * The installed routes: per prefix, the best paths by RFC 4271 §9.1.2.2 (highest LOCAL_PREF,
   * shortest AS_PATH, lowest ORIGIN, lowest MED) — all of the equally good ones, as multipath.
   */
  routes(): InstalledRoute[] {
    const byPrefix = new Map<string, ReceivedPath[]>();
    for (const table of this.byNeighbor.values()) {
      for (const p of table.values()) {
        const list = byPrefix.get(p.prefix) ?? [];
        list.push(p);
        byPrefix.set(p.prefix, list);
      }
    }
    const out: InstalledRoute[] = [];
    for (const prefix of [...byPrefix.keys()].sort(comparePrefixText)) {
      const candidates = byPrefix.get(prefix) ?? [];
      const best = candidates.reduce<ReceivedPath[]>((acc, p) => {
        const first = acc[0];
        if (!first) return [p];
        const c = comparePaths(p, first);
        if (c < 0) return [p];
        if (c === 0) acc.push(p);
        return acc;
      }, []);
      best.sort((a, b) => compareAddressText(a.nextHop, b.nextHop) || compareAddressText(a.neighbor, b.neighbor));
      out.push({ prefix, paths: best });
    }
    return out;
  }
}

function samePath(
  old: ReceivedPath,
  hop: string,
  origin: number,
  asPath: readonly number[],
  localPref: number | undefined,
  med: number | undefined,
  communities: readonly string[],
  largeCommunities: readonly string[],
): boolean {
  return (
    old.nextHop === hop &&
    old.origin === origin &&
    old.localPref === localPref &&
    old.med === med &&
    old.asPath.join(' ') === asPath.join(' ') &&
    old.communities.join(' ') === communities.join(' ') &&
    old.largeCommunities.join(' ') === largeCommunities.join(' ')
  );
}

/** Negative when `a` is preferred over `b` (RFC 4271 §9.1.2.2 a–c, in that order). */
function comparePaths(a: ReceivedPath, b: ReceivedPath): number {
  const lpA = a.localPref ?? DEFAULT_LOCAL_PREF;
  const lpB = b.localPref ?? DEFAULT_LOCAL_PREF;
  if (lpA !== lpB) return lpB - lpA;
  if (a.asPath.length !== b.asPath.length) return a.asPath.length - b.asPath.length;
  if (a.origin !== b.origin) return a.origin - b.origin;
  // RFC 4271 §9.1.2.2 c): MED compares only between paths from the same neighbouring AS; both are
  // from the same AS here when their first AS matches (empty for iBGP).
  if ((a.asPath[0] ?? 0) === (b.asPath[0] ?? 0)) {
    const medA = a.med ?? 0;
    const medB = b.med ?? 0;
    if (medA !== medB) return medA - medB;
  }
  return 0;
}
