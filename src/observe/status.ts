/**
 * The views `metallb-ts status` shows, as plain JSON-ready data built from the speaker's session
 * snapshots (`Speaker.status()`, `advertisedRoutes()`), the announcement plan and the allocation.
 * Pure: the caller passes the current time, and every age is computed here (seconds), so the client
 * never needs the server's clock.
 *
 * - `peersView`: one row per session, like `show ip bgp summary`.
 * - `peerDetail`: one session in full, like `show ip bgp neighbors ADDRESS`.
 * - `routesView`: the routes each peer has been sent (its Adj-RIB-Out), with their attributes.
 * - `servicesView`: each LoadBalancer service with its IPs, pool, the peers it is announced to, or
 *   why it is withheld.
 */
import type { AdvertisedRoute, MessageCounts, NotificationRecord, SessionStatus } from '../bgp/session/session.js';
import type { PeerStatus } from '../bgp/session/speaker.js';
import { describe as describeDownReason } from '../bgp/session/session.js';
import { BGP_VERSION, ERROR_CODE } from '../bgp/wire/codes.js';
import { AFI, SAFI } from '../bgp/wire/types.js';
import type { Capability } from '../bgp/wire/types.js';
import type { AnnouncementPlan } from '../speaker/planner.js';

/** RFC 4271 §6.2: a peer's hold time of 1 or 2 seconds is refused; 3 is the least accepted (0 disables). */
export const MIN_PEER_HOLD_TIME = 3;

/** Everything the views are built from. */
export interface StatusInput {
  /** Epoch ms. */
  readonly now: number;
  readonly node: string;
  readonly sessions: readonly PeerStatus[];
  /** The Adj-RIB-Out of each session, by peer name. */
  readonly routes: ReadonlyMap<string, readonly AdvertisedRoute[]>;
  readonly plan?: AnnouncementPlan;
  /** Services that got no IP, by `namespace/name`: MetalLB's event reason and a sentence. */
  readonly allocationFailures?: ReadonlyMap<string, { readonly reason: string; readonly message: string }>;
  /** What keeps the node from working as configured: no Node object of its name, a stale configuration. */
  readonly warnings?: readonly string[];
}

/** A row of `status peers` (`show ip bgp summary`). */
export interface PeerSummary {
  readonly name: string;
  readonly address: string;
  readonly port: number;
  /** The peer's AS (configured, or learnt with dynamicAsn); 0 when not known yet. */
  readonly asn: number;
  readonly localAsn: number;
  /** RFC 4271 §8.2.2 state name. */
  readonly state: string;
  /** Seconds in Established; 0 otherwise. */
  readonly uptimeSeconds: number;
  /** Seconds since the state was entered. */
  readonly stateSeconds: number;
  /** Whether the session was ever Established (FRR prints `never` in Up/Down otherwise). */
  readonly everUp: boolean;
  readonly msgRcvd: number;
  readonly msgSent: number;
  /** Prefixes in the Adj-RIB-Out (sent and not withdrawn). */
  readonly prefixesSent: number;
  /** Negotiated hold time while Established, else the configured one; seconds. */
  readonly holdTime: number;
  /** Negotiated keepalive interval while Established, else the configured one; seconds. */
  readonly keepaliveTime: number;
  readonly remoteRouterId: string | null;
}

/** A NOTIFICATION in a view. */
export interface NotificationView {
  readonly code: number;
  readonly subcode: number;
  /** `Cease / administrative shutdown`. */
  readonly name: string;
  readonly data: string;
  readonly communication?: string;
  readonly secondsAgo: number;
}

/** `status peer ADDRESS` (`show ip bgp neighbors ADDRESS`). */
export interface PeerDetail extends PeerSummary {
  /** `internal` (iBGP) or `external` (eBGP); `unknown` with dynamicAsn before the OPEN. */
  readonly link: 'internal' | 'external' | 'unknown';
  readonly bgpVersion: number;
  readonly localRouterId: string | null;
  readonly localAddress: string | null;
  readonly localPort: number | null;
  readonly remotePort: number | null;
  readonly passive: boolean;
  readonly configuredHoldTime: number;
  readonly configuredKeepaliveTime: number | null;
  /** The least non-zero hold time accepted from the peer's OPEN. */
  readonly minimumHoldTimeFromPeer: number;
  readonly lastReadSecondsAgo: number | null;
  readonly lastWriteSecondsAgo: number | null;
  readonly capabilities: { readonly advertised: readonly string[]; readonly received: readonly string[] };
  readonly families: readonly string[];
  readonly messagesSent: MessageCounts;
  readonly messagesReceived: MessageCounts;
  readonly prefixesReceived: number;
  readonly prefixesNotSent: number;
  readonly flaps: number;
  readonly lastError: { readonly reason: string; readonly secondsAgo: number } | null;
  /** Why the session likely cannot connect (not Established only): a connect error or TCP MD5 drops. */
  readonly connectionProblem: { readonly reason: string; readonly secondsAgo: number } | null;
  readonly lastNotificationSent: NotificationView | null;
  readonly lastNotificationReceived: NotificationView | null;
}

/** One route as a peer was sent it. */
export interface RouteView {
  readonly prefix: string;
  readonly nextHop: string | null;
  /** AS_PATH as sent: empty on iBGP, our AS on eBGP (RFC 4271 §5.1.2). */
  readonly asPath: readonly number[];
  readonly origin: 'IGP';
  readonly localPref: number | null;
  readonly med: number | null;
  readonly communities: readonly string[];
  readonly largeCommunities: readonly string[];
  /** The services whose IPs the prefix carries (from the plan). */
  readonly services: readonly string[];
}

/** The routes of one peer. */
export interface PeerRoutes {
  readonly name: string;
  readonly address: string;
  readonly asn: number;
  readonly state: string;
  readonly routes: readonly RouteView[];
}

/** A service in `status services`. */
export interface ServiceView {
  readonly service: string;
  readonly ips: readonly string[];
  readonly pool: string | null;
  /** `announced` (to at least one peer), `noPeers` (no peer selects the node or takes it), `withheld`. */
  readonly status: 'announced' | 'noPeers' | 'withheld';
  readonly prefixes: readonly string[];
  readonly peers: readonly { readonly name: string; readonly address: string; readonly established: boolean }[];
  /** Why the service is not announced: the planner's reason (`noEndpoints`, ...), or null. */
  readonly reason: string | null;
  /** A sentence about the reason, where one is known (the allocation failure's message). */
  readonly message: string | null;
}

/** The whole status document (`/status`). */
export interface StatusDocument {
  readonly node: string;
  readonly warnings: readonly string[];
  readonly peers: readonly PeerDetail[];
  readonly routes: readonly PeerRoutes[];
  readonly services: readonly ServiceView[];
}

function seconds(ms: number): number {
  return Math.max(0, Math.floor(ms / 1000));
}

function sum(c: MessageCounts): number {
  return c.open + c.update + c.notification + c.keepalive + c.routeRefresh;
}

/** A NOTIFICATION's name from the RFC 4271 §4.5 tables: `Cease / administrative shutdown`. */
export function notificationName(code: number, subcode: number): string {
  const words = (key: string): string => key.toLowerCase().replaceAll('_', ' ');
  for (const [key, entry] of Object.entries(ERROR_CODE)) {
    if (entry.code !== code) continue;
    const codeName = words(key).replace(/^./, (c) => c.toUpperCase()).replace('Open', 'OPEN').replace('Update', 'UPDATE').replace('fsm', 'FSM');
    for (const [sk, se] of Object.entries(entry.subcodes as Record<string, { subcode: number }>)) {
      if (se.subcode === subcode) return subcode === 0 ? codeName : `${codeName} / ${words(sk)}`;
    }
    return `${codeName} / subcode ${subcode}`;
  }
  return `code ${code} / subcode ${subcode}`;
}

function familyName(afi: number, safi: number): string {
  const a = afi === AFI.ipv4 ? 'ipv4' : afi === AFI.ipv6 ? 'ipv6' : `afi${afi}`;
  const s = safi === SAFI.unicast ? 'unicast' : `safi${safi}`;
  return `${a}-${s}`;
}

/** A capability as one line of text: `multiprotocol ipv4-unicast`, `4-octet-as 64512`, ... */
export function capabilityName(c: Capability): string {
  switch (c.kind) {
    case 'multiprotocol':
      return `multiprotocol ${familyName(c.afi, c.safi)}`;
    case 'routeRefresh':
      return 'route-refresh';
    case 'enhancedRouteRefresh':
      return 'enhanced-route-refresh';
    case 'fourOctetAs':
      return `4-octet-as ${c.asn}`;
    case 'gracefulRestart': {
      const fams = c.families.map((f) => familyName(f.afi, f.safi)).join(',');
      return `graceful-restart time=${c.restartTime}s flags=0x${c.restartFlags.toString(16)}${fams ? ` families=${fams}` : ''}`;
    }
    case 'extendedMessage':
      return 'extended-message';
    case 'unknown':
      return `unknown code=${c.code} length=${c.value.length}`;
    default: {
      const never: never = c;
      return String(never);
    }
  }
}

function notificationView(n: NotificationRecord | undefined, now: number): NotificationView | null {
  if (!n) return null;
  return {
    code: n.code,
    subcode: n.subcode,
    name: notificationName(n.code, n.subcode),
    data: n.data,
    ...(n.communication !== undefined ? { communication: n.communication } : {}),
    secondsAgo: seconds(now - n.at),
  };
}

function summaryOf(s: SessionStatus, now: number): PeerSummary {
  const up = s.state === 'Established';
  return {
    name: s.name,
    address: s.peerAddress,
    port: s.peerPort,
    asn: s.peerAsn ?? 0,
    localAsn: s.localAsn,
    state: s.state,
    uptimeSeconds: Math.floor(s.uptimeMs / 1000),
    stateSeconds: seconds(now - s.stateSince),
    everUp: up || s.counters.flaps > 0,
    msgRcvd: sum(s.counters.messagesReceived),
    msgSent: sum(s.counters.messagesSent),
    prefixesSent: s.prefixesAdvertised,
    holdTime: s.holdTime.negotiated ?? s.holdTime.configured,
    keepaliveTime: s.keepaliveTime.negotiated ?? s.keepaliveTime.configured ?? Math.floor(s.holdTime.configured / 3),
    remoteRouterId: s.remoteRouterId ?? null,
  };
}

/** `status peers`: one row per session, in the speaker's order. */
export function peersView(input: StatusInput): PeerSummary[] {
  return input.sessions.map((s) => summaryOf(s, input.now));
}

function detailOf(s: PeerStatus, now: number): PeerDetail {
  const link: PeerDetail['link'] =
    s.peerAsn === undefined
      ? s.dynamicAsn === 'internal'
        ? 'internal'
        : s.dynamicAsn === 'external'
          ? 'external'
          : 'unknown'
      : s.peerAsn === s.localAsn
        ? 'internal'
        : 'external';
  return {
    ...summaryOf(s, now),
    link,
    bgpVersion: BGP_VERSION,
    localRouterId: s.localRouterId ?? null,
    localAddress: s.localAddress ?? null,
    localPort: s.localPort ?? null,
    remotePort: s.remotePort ?? null,
    passive: s.passive,
    configuredHoldTime: s.holdTime.configured,
    configuredKeepaliveTime: s.keepaliveTime.configured ?? null,
    minimumHoldTimeFromPeer: MIN_PEER_HOLD_TIME,
    lastReadSecondsAgo: s.lastRead !== undefined ? seconds(now - s.lastRead) : null,
    lastWriteSecondsAgo: s.lastWrite !== undefined ? seconds(now - s.lastWrite) : null,
    capabilities: {
      advertised: s.capabilities.advertised.map(capabilityName),
      received: s.capabilities.received.map(capabilityName),
    },
    families: s.families.map((f) => `${f}-unicast`),
    messagesSent: { ...s.counters.messagesSent },
    messagesReceived: { ...s.counters.messagesReceived },
    prefixesReceived: s.counters.prefixesReceived,
    prefixesNotSent: s.prefixesNotSent,
    flaps: s.counters.flaps,
    lastError: s.lastError ? { reason: describeDownReason(s.lastError.reason), secondsAgo: seconds(now - s.lastError.at) } : null,
    connectionProblem: s.connectionProblem ? { reason: s.connectionProblem.reason, secondsAgo: seconds(now - s.connectionProblem.at) } : null,
    lastNotificationSent: notificationView(s.lastNotificationSent, now),
    lastNotificationReceived: notificationView(s.lastNotificationReceived, now),
  };
}

/** Every session in full. */
export function peerDetails(input: StatusInput): PeerDetail[] {
  return input.sessions.map((s) => detailOf(s, input.now));
}

/**
 * `status peer ADDRESS`: the session whose peer address (or name) is `key`. Addresses compare in
 * canonical form, so `fd00::1` finds `fd00:0::1`.
 */
export function peerDetail(input: StatusInput, key: string, canonical: (a: string) => string = (a) => a): PeerDetail | undefined {
  const want = canonical(key);
  const s = input.sessions.find((x) => canonical(x.peerAddress) === want) ?? input.sessions.find((x) => x.name === key);
  return s ? detailOf(s, input.now) : undefined;
}

function communityText(v: number): string {
  return `${Math.floor(v / 0x10000)}:${v % 0x10000}`;
}

/** `status routes`: each peer's Adj-RIB-Out. */
export function routesView(input: StatusInput): PeerRoutes[] {
  const servicesOf = new Map<string, Map<string, readonly string[]>>();
  for (const p of input.plan?.peers ?? []) {
    servicesOf.set(p.name, new Map(p.advertisements.map((a) => [a.prefix, a.services])));
  }
  return input.sessions.map((s) => {
    const ibgp = s.peerAsn !== undefined ? s.peerAsn === s.localAsn : s.dynamicAsn === 'internal';
    const routes = (input.routes.get(s.name) ?? []).map((r): RouteView => {
      const prefix = `${r.prefix.address}/${r.prefix.length}`;
      return {
        prefix,
        nextHop: r.nextHop ?? null,
        // RFC 4271 §5.1.2: an iBGP speaker sends an empty AS_PATH for its own routes; eBGP prepends its AS.
        asPath: ibgp ? [] : [s.localAsn],
        origin: 'IGP',
        localPref: r.localPref ?? null,
        med: r.med ?? null,
        communities: r.communities.map(communityText),
        largeCommunities: r.largeCommunities.map((c) => `${c.globalAdmin}:${c.localData1}:${c.localData2}`),
        services: servicesOf.get(s.name)?.get(prefix) ?? [],
      };
    });
    return { name: s.name, address: s.peerAddress, asn: s.peerAsn ?? 0, state: s.state, routes };
  });
}

/** `status services`: every LoadBalancer service the plan knows, sorted by `namespace/name`. */
export function servicesView(input: StatusInput): ServiceView[] {
  const plan = input.plan;
  const out: ServiceView[] = [];
  const established = new Map(input.sessions.map((s) => [s.name, s.state === 'Established']));
  const withoutPeers = new Set(plan?.withoutPeers ?? []);
  for (const a of plan?.announcedServices ?? []) {
    const noPeers = withoutPeers.has(a.service) || a.peers.length === 0;
    out.push({
      service: a.service,
      ips: a.ips,
      pool: a.pool,
      status: noPeers ? 'noPeers' : 'announced',
      prefixes: a.prefixes,
      peers: a.peers.map((p) => ({ name: p.name, address: p.address, established: established.get(p.name) ?? false })),
      reason: noPeers ? 'noPeerSelectsNode' : null,
      message: null,
    });
  }
  for (const w of plan?.withheld ?? []) {
    const failure = input.allocationFailures?.get(w.service);
    out.push({
      service: w.service,
      ips: w.ips,
      pool: w.pool ?? null,
      status: 'withheld',
      prefixes: [],
      peers: [],
      reason: w.reason,
      message:
        failure !== undefined
          ? `${failure.reason}: ${failure.message}`
          : w.advertisements !== undefined
            ? `advertisements ${w.advertisements.join(' and ')} conflict`
            : null,
    });
  }
  return out.sort((a, b) => (a.service < b.service ? -1 : a.service > b.service ? 1 : 0));
}

/** The whole document. */
export function statusDocument(input: StatusInput): StatusDocument {
  return { node: input.node, warnings: input.warnings ?? [], peers: peerDetails(input), routes: routesView(input), services: servicesView(input) };
}
