/**
 * One BGP session to one peer: the driver that runs the pure FSM (`../fsm`) over a transport
 * connection with real (or injected) timers, frames and decodes what the peer sends, encodes and
 * queues what we send, keeps the Adj-RIB-Out in step with the desired advertisements, and keeps the
 * counters and timestamps that `status()` reports.
 *
 * A session holds up to two connections ("attempts"), each with its own FSM instance: the primary,
 * and while a connection collision is being resolved (RFC 4271 §6.8) a secondary for the peer's
 * incoming connection. The collision is decided when an OPEN arrives and the other attempt is in
 * OpenConfirm: the connection opened by the side with the higher BGP Identifier survives (RFC 6286
 * §2.3: the higher AS on a tie), the other is closed with Cease 6/7.
 *
 * Invariants:
 * - Nothing the peer sends can throw out of the session: decoding never throws, and any unexpected
 *   exception while handling a connection drops that connection and lets the FSM retry.
 * - Every close of an established connection sends a NOTIFICATION first (the FSM guarantees the
 *   action; `end()` flushes it before FIN), except when the connection failed or the peer notified.
 * - UPDATEs are sent only in Established; the Adj-RIB-Out is rebuilt for every new session, so a
 *   reconnect sends the full table and End-of-RIB again. The initial table may be computed and
 *   encoded in OpenConfirm, but it is written only once the connection is Established.
 * - A session created with `awaitTable` sends no UPDATE and no End-of-RIB until `tableReady()`: its
 *   owner's first complete table (RFC 4724 §4.1: End-of-RIB follows the initial update). An
 *   Established session waiting for it exchanges only KEEPALIVEs.
 * - After `beginGracefulShutdown()` every route goes with the GRACEFUL_SHUTDOWN community and LOCAL_PREF
 *   0 (RFC 8326 §4); a Cease closes the connection only after the UPDATEs queued before it.
 */
import { encodeMessage, encodeMessageInto, encodeUpdateFromPartsInto, decodeMessage } from '../wire/message.js';
import { BufferWriter } from '../wire/buffer-writer.js';
import { MessageFramer } from '../wire/framer.js';
import { readShutdownCommunication, shutdownNotification } from '../wire/notification.js';
import { AFI, SAFI } from '../wire/types.js';
import type {
  BgpError,
  BgpMessage,
  Capability,
  CodecOptions,
  LargeCommunity,
  NotificationMessage,
  Prefix,
  RouteRefreshMessage,
  UpdateMessage,
} from '../wire/types.js';
import { initialState, step } from '../fsm/fsm.js';
import { bgpIdToNumber } from '../fsm/open.js';
import { CeaseSubcode, ErrorCode } from '../fsm/codes.js';
import type { DownReason, FsmAction, FsmConfig, FsmEvent, FsmState, FsmStateName, Negotiated, TimerName } from '../fsm/types.js';
import { emptyAdjRibOut, routeRefreshReply, setAdvertisements as ribSet, updateRoutes } from './adj-rib-out.js';
import type { AdjRibOut, AdjRibOutChange, AdjRibOutSession, Advertisement, RouteChange, RouteFamily } from './adj-rib-out.js';
import { DesiredRoutes } from './desired-routes.js';
import type { AdvertisementChange } from './desired-routes.js';
import { orderOf } from './route-order.js';
import { fsmConfigFor, PEER_DEFAULTS } from './settings.js';
import type { PeerSettings } from './settings.js';
import type { Clock, TimerHandle } from './clock.js';
import type { Connection, Transport } from './transport.js';
import type { BgpLogger } from './logger.js';
import { formatPrefix, parseIp, prefixOf } from '../../model/ip.js';

type MessageType = BgpMessage['type'];

/** Per-type message counters. */
export interface MessageCounts {
  open: number;
  update: number;
  notification: number;
  keepalive: number;
  routeRefresh: number;
}

/** A NOTIFICATION as recorded in status and events. */
export interface NotificationRecord {
  readonly code: number;
  readonly subcode: number;
  /** Hex of the data. */
  readonly data: string;
  /** The RFC 9003 shutdown communication, when one was carried. */
  readonly communication?: string;
  /** Epoch milliseconds. */
  readonly at: number;
}

/** Session counters (cumulative over the life of the session object). */
export interface SessionCounters {
  readonly messagesSent: Readonly<MessageCounts>;
  readonly messagesReceived: Readonly<MessageCounts>;
  /** Prefixes announced in UPDATEs we sent (re-announcements included). */
  readonly prefixesAnnounced: number;
  /** Prefixes withdrawn in UPDATEs we sent. */
  readonly prefixesWithdrawn: number;
  /** Prefixes the peer announced / withdrew (treat-as-withdraw counts as withdrawn). */
  readonly prefixesReceived: number;
  readonly withdrawalsReceived: number;
  /** UPDATEs with RFC 7606 findings (treat-as-withdraw or attribute-discard). */
  readonly updateErrorsReceived: number;
  /** NOTIFICATIONs by `code/subcode`. */
  readonly notificationsSent: Readonly<Record<string, number>>;
  readonly notificationsReceived: Readonly<Record<string, number>>;
  /** Times the session left Established. */
  readonly flaps: number;
  readonly connectAttempts: number;
  readonly connectFailures: number;
  readonly connectionsAccepted: number;
  /** Collisions resolved (RFC 4271 §6.8). */
  readonly collisions: number;
}

/** A snapshot of one session. */
export interface SessionStatus {
  readonly name: string;
  /** "IP:port" of the peer, as MetalLB's metric label. */
  readonly peer: string;
  readonly peerAddress: string;
  readonly peerPort: number;
  readonly passive: boolean;
  readonly state: FsmStateName;
  /** Epoch ms when the state was entered. */
  readonly stateSince: number;
  /** Milliseconds in Established, 0 otherwise. */
  readonly uptimeMs: number;
  readonly localAsn: number;
  /** Configured peer AS, or the negotiated one with dynamicAsn. */
  readonly peerAsn?: number;
  readonly dynamicAsn?: 'internal' | 'external';
  readonly localAddress?: string;
  readonly localPort?: number;
  readonly remoteAddress?: string;
  readonly remotePort?: number;
  readonly localRouterId?: string;
  readonly remoteRouterId?: string;
  readonly holdTime: { readonly configured: number; readonly negotiated?: number };
  /** Seconds (negotiated may be fractional: a third of the hold time). */
  readonly keepaliveTime: { readonly configured?: number; readonly negotiated?: number };
  readonly capabilities: { readonly advertised: readonly Capability[]; readonly received: readonly Capability[] };
  /** The families exchanged on this session (IPv4 over an IPv4 session, IPv6 over IPv6). */
  readonly families: readonly RouteFamily[];
  readonly fourOctetAs?: boolean;
  readonly extendedMessage?: boolean;
  readonly counters: SessionCounters;
  /** Advertisements currently desired (as last given to `setAdvertisements`). */
  readonly prefixesDesired: number;
  /** Prefixes in the Adj-RIB-Out now (sent and not withdrawn). */
  readonly prefixesAdvertised: number;
  /** Desired advertisements not sendable on this session (other family, or too large). */
  readonly prefixesNotSent: number;
  /** Bytes queued for the peer (ours plus the transport's). */
  readonly pendingBytes: number;
  /** False while the session holds its initial table for the owner's first complete one (`awaitTable`). */
  readonly tableReady?: boolean;
  /** The routes go with GRACEFUL_SHUTDOWN (RFC 8326): the session is draining before it closes. */
  readonly gracefulShutdown?: boolean;
  /** Epoch ms of the last message received / sent. */
  readonly lastRead?: number;
  readonly lastWrite?: number;
  readonly lastError?: { readonly reason: DownReason; readonly at: number };
  readonly lastNotificationSent?: NotificationRecord;
  readonly lastNotificationReceived?: NotificationRecord;
}

/** One route the peer has been sent, for status pages. */
export interface AdvertisedRoute {
  readonly prefix: Prefix;
  /** NEXT_HOP (IPv4) or the global next hop of MP_REACH_NLRI (IPv6). */
  readonly nextHop?: string;
  readonly localPref?: number;
  readonly med?: number;
  readonly communities: readonly number[];
  readonly largeCommunities: readonly LargeCommunity[];
}

/** What a session reports to its owner. */
export interface SessionEvents {
  sessionUp: { readonly negotiated: Negotiated; readonly localAddress: string; readonly remoteAddress: string };
  sessionDown: { readonly reason: DownReason; readonly retryInMs?: number };
  notificationReceived: { readonly notification: NotificationRecord; readonly established: boolean };
  updateReceived: {
    readonly update: UpdateMessage;
    /** Prefixes announced (NLRI and MP_REACH_NLRI); empty when `withdrawAll`. */
    readonly announced: readonly Prefix[];
    /** Prefixes withdrawn (withdrawn routes, MP_UNREACH_NLRI, and all NLRI when treat-as-withdraw). */
    readonly withdrawn: readonly Prefix[];
    readonly errors: readonly BgpError[];
    readonly withdrawAll: boolean;
    /** The End-of-RIB family when the UPDATE is an End-of-RIB marker (RFC 4724 §2). */
    readonly endOfRib?: RouteFamily;
  };
  stateChange: { readonly from: FsmStateName; readonly to: FsmStateName };
}

/** What a session needs from its environment. */
export interface SessionDeps {
  readonly transport: Transport;
  readonly clock: Clock;
  readonly logger: BgpLogger;
  /** A number in [0, 1), seeds the backoff jitter. */
  readonly random: () => number;
  /** Router ID used when the settings give none and the session is not over IPv4. */
  readonly defaultRouterId?: string;
  /** How long a close may wait for the NOTIFICATION to go out before the connection is dropped. */
  readonly closeTimeoutMs?: number;
  /**
   * Hold the initial table (UPDATEs and End-of-RIB) until `tableReady()`: the owner has not yet read
   * everything the table is made of (RFC 4724 §4.1). Default false: the table goes out at Established.
   */
  readonly awaitTable?: boolean;
  readonly emit: <K extends keyof SessionEvents>(event: K, payload: SessionEvents[K]) => void;
}

const NO_CODEC: CodecOptions = { fourOctetAs: false, extendedMessage: false };

/** RFC 4724 §3: the Restart State (R) bit, the high bit of the capability's 4-bit Restart Flags. */
const RESTART_STATE_FLAG = 0x8;

/** RFC 8326 §3: the well-known GRACEFUL_SHUTDOWN community, 65535:0. */
export const GRACEFUL_SHUTDOWN_COMMUNITY = 0xffff0000;

/**
 * An advertisement as RFC 8326 §4 has it re-announced before a shutdown: with GRACEFUL_SHUTDOWN, and
 * LOCAL_PREF 0 (sent to iBGP peers only; an eBGP peer lowers its own preference on the community).
 */
export function gracefulShutdownAdvertisement(ad: Advertisement): Advertisement {
  const communities = ad.communities.includes(GRACEFUL_SHUTDOWN_COMMUNITY) ? ad.communities : [...ad.communities, GRACEFUL_SHUTDOWN_COMMUNITY];
  return { ...ad, localPref: 0, communities };
}

function zeroCounts(): MessageCounts {
  return { open: 0, update: 0, notification: 0, keepalive: 0, routeRefresh: 0 };
}

function hex(data: Uint8Array): string {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('hex');
}

/** CRC-32 (IEEE), for a stable fallback router ID, as MetalLB derives one from the node name. */
function crc32(text: string): number {
  let c = 0xffffffff;
  for (const b of new TextEncoder().encode(text)) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

function numberToIpv4(n: number): string {
  return [24, 16, 8, 0].map((s) => String((n >>> s) & 0xff)).join('.');
}

/**
 * The initial table of one connection, diffed and encoded ahead of Established (see
 * `Session.#prepareInitialTable`). Valid only for the connection, the negotiated parameters and the
 * desired set it was made from.
 */
interface InitialTable {
  readonly conn: Connection;
  readonly negotiated: Negotiated;
  /** The desired set and its version the table was made from. */
  readonly desired: DesiredRoutes;
  readonly version: number;
  /** The next hop that made the session carry no routes (logged once Established), if any. */
  readonly invalidNextHop: string | undefined;
  readonly change: AdjRibOutChange;
  /** Every message of `change`, encoded back to back: one socket write. */
  readonly bytes: Uint8Array;
}

/** One connection and the FSM instance that runs it. */
class Attempt {
  fsm: FsmState;
  conn: Connection | undefined;
  cancelDial: (() => void) | undefined;
  readonly timers = new Map<TimerName, TimerHandle>();
  framer = new MessageFramer();
  /** Encoded messages waiting for the transport to drain. */
  queue: Uint8Array[] = [];
  queuedBytes = 0;
  blocked = false;
  /** The initial table prepared in OpenConfirm, sent when the connection becomes Established. */
  initialTable: InitialTable | undefined;
  /** The settings' `loopbackNextHop`: 127/8 NEXT_HOPs are sent and accepted. */
  readonly loopbackNextHop: boolean;

  constructor(fsm: FsmState, loopbackNextHop: boolean) {
    this.fsm = fsm;
    this.loopbackNextHop = loopbackNextHop;
  }

  codecOptions(): CodecOptions {
    const n = this.fsm.connection?.negotiated;
    if (!n) return NO_CODEC;
    return { fourOctetAs: n.fourOctetAs, extendedMessage: n.extendedMessage, ...(this.loopbackNextHop ? { loopbackNextHop: true } : {}) };
  }
}

/** A BGP session with one peer. Create through `Speaker.addPeer`, or directly for tests. */
export class Session {
  readonly #deps: SessionDeps;
  #settings: PeerSettings;
  #primary: Attempt;
  #secondary: Attempt | undefined;
  #started = false;
  #stateSince: number;
  #establishedAt: number | undefined;
  #negotiated: Negotiated | undefined;
  #rib: AdjRibOut | undefined;
  /** The desired set, prepared for this peer; replaced by `setAdvertisements`, changed by `updateAdvertisements`. */
  #desired: DesiredRoutes;
  /** Keys (`orderOf`) of the desired prefixes whose attributes do not fit one UPDATE (not sent). */
  #unsendableKeys = new Set<number | string>();
  #notSent = 0;
  #unsendable = 0;
  #lastRead: number | undefined;
  #lastWrite: number | undefined;
  #lastError: { reason: DownReason; at: number } | undefined;
  #lastNotificationSent: NotificationRecord | undefined;
  #lastNotificationReceived: NotificationRecord | undefined;
  #closings = new Set<Promise<void>>();
  /** Whether the owner's first complete table has been given (see `SessionDeps.awaitTable`). */
  #tableReady: boolean;
  /** The primary's configuration still sets the Restart State bit, though the table is ready. */
  #restartAnnounced = false;
  /** RFC 8326: every route is re-announced with GRACEFUL_SHUTDOWN and LOCAL_PREF 0. */
  #gracefulShutdown = false;
  /** Settles when a connection has closed, whoever owns it now. */
  readonly #closed = new WeakMap<Connection, Promise<void>>();
  readonly #log: BgpLogger;
  readonly #c = {
    messagesSent: zeroCounts(),
    messagesReceived: zeroCounts(),
    prefixesAnnounced: 0,
    prefixesWithdrawn: 0,
    prefixesReceived: 0,
    withdrawalsReceived: 0,
    updateErrorsReceived: 0,
    notificationsSent: {} as Record<string, number>,
    notificationsReceived: {} as Record<string, number>,
    flaps: 0,
    connectAttempts: 0,
    connectFailures: 0,
    connectionsAccepted: 0,
    collisions: 0,
  };

  constructor(settings: PeerSettings, deps: SessionDeps) {
    this.#settings = settings;
    this.#deps = deps;
    this.#desired = DesiredRoutes.of([], this.#expectsIbgp());
    this.#tableReady = deps.awaitTable !== true;
    this.#primary = this.#newAttempt();
    this.#stateSince = deps.clock.now();
    this.#log = deps.logger.with({
      peer: this.peerLabel,
      localASN: settings.localAsn,
      ...(settings.peerAsn !== undefined ? { peerASN: settings.peerAsn } : {}),
    });
  }

  /** The peer's name in the speaker. */
  get name(): string {
    return this.#settings.name;
  }

  get settings(): PeerSettings {
    return this.#settings;
  }

  /** "IP:port" of the peer (IPv6 in brackets), as MetalLB labels its metrics. */
  get peerLabel(): string {
    const a = this.#settings.peerAddress;
    return `${a.includes(':') ? `[${a}]` : a}:${this.#settings.peerPort ?? PEER_DEFAULTS.peerPort}`;
  }

  /** The FSM state of the session (of its primary connection). */
  get state(): FsmStateName {
    return this.#primary.fsm.name;
  }

  /** The negotiated parameters while Established. */
  get negotiated(): Negotiated | undefined {
    return this.#negotiated;
  }

  #newAttempt(): Attempt {
    const seed = Math.floor(this.#deps.random() * 0x100000000) >>> 0;
    return new Attempt(initialState(this.#fsmConfig(), seed), this.#settings.loopbackNextHop === true);
  }

  /**
   * The FSM configuration of a new connection. RFC 4724 §3: while the session waits for its first
   * complete table (the process has just started: a restart, as far as the peer can tell) its
   * graceful restart capability sets the Restart State bit, as FRR does during its startup; the peer
   * then does not wait for our End-of-RIB before sending its own routes.
   */
  #fsmConfig(): FsmConfig {
    const config = fsmConfigFor(this.#settings);
    if (this.#tableReady) return config;
    const capabilities = config.capabilities.map((c) => (c.kind === 'gracefulRestart' ? { ...c, restartFlags: c.restartFlags | RESTART_STATE_FLAG } : c));
    return { ...config, capabilities };
  }

  /** Starts the session: dials the peer (unless passive) and accepts its connections. */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#step(this.#primary, { type: 'ManualStart' });
  }

  /**
   * Stops the session: Cease with `subcode` (default 2, administrative shutdown, with the RFC 9003
   * `message` if given) on every connection. Resolves when the NOTIFICATION went out and the
   * connection closed, or after the close timeout.
   */
  stop(subcode: number = CeaseSubcode.adminShutdown, message?: string): Promise<void> {
    this.#started = false;
    const n =
      (subcode === CeaseSubcode.adminShutdown || subcode === CeaseSubcode.adminReset) && message !== undefined
        ? shutdownNotification(subcode, message)
        : undefined;
    const event: FsmEvent = { type: 'ManualStop', subcode, ...(n ? { data: n.data } : {}) };
    if (this.#secondary) {
      const s = this.#secondary;
      this.#secondary = undefined;
      this.#step(s, event);
      this.#dispose(s);
    }
    this.#step(this.#primary, event);
    return Promise.all([...this.#closings]).then(() => undefined);
  }

  /**
   * Replaces the desired advertisements; in Established only the difference is sent. Throws a
   * RangeError (and keeps the previous set) when an advertisement is malformed: a prefix that is not
   * canonical, or a value outside uint32.
   */
  setAdvertisements(given: readonly Advertisement[]): void {
    const ads = this.#gracefulShutdown ? given.map(gracefulShutdownAdvertisement) : given;
    for (const ad of ads) {
      const problem = advertisementProblem(ad);
      if (problem) throw new RangeError(`advertisement ${ad.prefix.address}/${ad.prefix.length}: ${problem}`);
    }
    // The per-prefix work that needs no negotiation is done now, before any session needs it; the
    // IPv4 NLRI are encoded ahead only for an initial table (in Established only a diff is sent).
    const established = this.#rib !== undefined && this.state === 'Established';
    this.#desired = DesiredRoutes.of(ads, this.#expectsIbgp(), { encodeNlri: !established });
    if (established) this.#guarded(this.#primary, () => this.#syncRib());
  }

  /**
   * Changes the desired advertisements by `change`: exactly `setAdvertisements` of the current set
   * with every advertisement of a withdrawn prefix removed (a prefix not advertised is a no-op), then
   * every advertisement of an upserted prefix replaced by the upserts of that prefix. Costs
   * O(change · log n), whatever the size of the set. In Established the UPDATEs for just those
   * prefixes are sent (packed); before, the desired set changes and the initial table is made from it
   * (a table prepared in OpenConfirm is made again). Throws a RangeError (and changes nothing) when an
   * advertisement or a withdrawn prefix is malformed.
   */
  updateAdvertisements(given: AdvertisementChange): void {
    const change = this.#gracefulShutdown ? { upsert: given.upsert.map(gracefulShutdownAdvertisement), withdraw: given.withdraw } : given;
    for (const ad of change.upsert) {
      const problem = advertisementProblem(ad);
      if (problem) throw new RangeError(`advertisement ${ad.prefix.address}/${ad.prefix.length}: ${problem}`);
    }
    for (const p of change.withdraw) {
      const problem = prefixProblem(p);
      if (problem) throw new RangeError(`withdrawn prefix ${p.address}/${p.length}: ${problem}`);
    }
    const changes = this.#desired.apply(change);
    if (changes.length === 0) return;
    if (this.#rib !== undefined && this.state === 'Established') this.#guarded(this.#primary, () => this.#syncChanges(changes));
  }

  /** Whether the owner's first complete table has been given (always true without `awaitTable`). */
  get isTableReady(): boolean {
    return this.#tableReady;
  }

  /**
   * The owner's first complete table is in the desired set: an Established session sends it now,
   * followed by End-of-RIB (RFC 4724 §4.1), and every later connection sends it at Established.
   * Idempotent.
   */
  tableReady(): void {
    if (this.#tableReady) return;
    this.#tableReady = true;
    const p = this.#primary;
    // Connections opened from now on no longer announce a restart.
    this.#restartAnnounced = true;
    this.#clearRestartState(p);
    const conn = p.conn;
    const n = this.#negotiated;
    if (p.fsm.name === 'Established' && conn && n && this.#rib === undefined) {
      this.#guarded(p, () => {
        const table = this.#sendInitialTable(p, conn, n);
        const rib = table.change.rib;
        this.#log.info('initialTableSent', 'first complete table sent, then End-of-RIB', { prefixes: rib.ipv4.length + rib.ipv6.length });
        this.#reportTable(table);
      });
    } else if (p.fsm.name === 'OpenConfirm') {
      this.#guarded(p, () => this.#prepareInitialTable(p));
    }
  }

  /**
   * Gives the primary the configuration without the Restart State bit once it is between connections
   * (none of its OPENs is out), after `tableReady`.
   */
  #clearRestartState(attempt: Attempt): void {
    if (!this.#restartAnnounced || attempt !== this.#primary) return;
    const name = attempt.fsm.name;
    if (name !== 'Idle' && name !== 'Connect' && name !== 'Active') return;
    this.#restartAnnounced = false;
    attempt.fsm = { ...attempt.fsm, config: this.#fsmConfig() };
  }

  /** Whether `beginGracefulShutdown` was called. */
  get gracefulShutdown(): boolean {
    return this.#gracefulShutdown;
  }

  /**
   * RFC 8326 §4: re-announces every route with the GRACEFUL_SHUTDOWN community (65535:0) and, to an
   * iBGP peer, LOCAL_PREF 0, so that the peer moves its traffic to other paths before this one is
   * withdrawn; advertisements given later get them too. Idempotent; the owner withdraws and stops the
   * session after its drain time.
   */
  beginGracefulShutdown(): void {
    if (this.#gracefulShutdown) return;
    this.#gracefulShutdown = true;
    const ads = this.#desired.advertisements();
    const n = this.#negotiated;
    if (n !== undefined && n.localAsn === n.peerAsn && ads.length > 0 && ads.every((ad) => (ad.localPref ?? 0) === 0)) {
      // RFC 8326 §4.1 lowers LOCAL_PREF; routes already sent with 0 (MetalLB's default on iBGP) cannot
      // go lower, and routers lower the preference on the community for eBGP paths only.
      this.#log.warn('gracefulShutdownWithoutEffect', 'draining an iBGP session whose routes already have LOCAL_PREF 0: the router keeps this path unless it matches GRACEFUL_SHUTDOWN itself', {
        prefixes: ads.length,
      });
    }
    this.setAdvertisements(ads);
  }

  /** Whether the peer is expected in our AS (the negotiated AS decides; see `setAdvertisements` of the Adj-RIB-Out). */
  #expectsIbgp(): boolean {
    const s = this.#settings;
    return s.peerAsn !== undefined ? s.peerAsn === s.localAsn : s.dynamicAsn === 'internal';
  }

  /** How many advertisements are desired now (without materializing them). */
  get advertisementCount(): number {
    return this.#desired.size;
  }

  /** The advertisements desired now (as given to `setAdvertisements`, changed by `updateAdvertisements`). */
  get advertisements(): readonly Advertisement[] {
    return this.#desired.advertisements();
  }

  /**
   * Hands the session a connection the peer opened to our listener. Returns false when the session
   * refused it (it has then been closed with a NOTIFICATION).
   */
  acceptConnection(conn: Connection): boolean {
    try {
      return this.#accept(conn);
    } catch (e) {
      this.#log.error('sessionError', 'unexpected error accepting a connection', { error: e as Error });
      conn.destroy();
      return false;
    }
  }

  #accept(conn: Connection): boolean {
    const p = this.#primary;
    const refuse = (subcode: number): false => {
      const n: NotificationMessage = { type: 'notification', code: 6, subcode, data: new Uint8Array(0) };
      this.#log.info('connectionRefused', 'incoming connection refused', {
        remote: `${conn.remoteAddress}:${conn.remotePort}`,
        state: p.fsm.name,
        subcode,
      });
      this.#countNotificationSent(n);
      let onClosed: () => void = () => undefined;
      this.#closed.set(conn, new Promise<void>((resolve) => (onClosed = resolve)));
      conn.start({ onData: () => undefined, onDrain: () => undefined, onClose: () => onClosed() });
      conn.write(encodeMessage(n, NO_CODEC));
      this.#c.messagesSent.notification++;
      conn.end();
      this.#closeLater(conn);
      return false;
    };
    switch (p.fsm.name) {
      case 'Idle':
        // RFC 4486 §4: the session is stopped; Connection Rejected.
        return refuse(CeaseSubcode.connectionRejected);
      case 'Established':
        // RFC 4271 §6.8: a collision with an Established connection closes the new one.
        this.#c.collisions++;
        return refuse(CeaseSubcode.connectionCollision);
      case 'Active':
        // RFC 4271 §8.2.2 Active, Event 17: take the peer's connection.
        this.#c.connectionsAccepted++;
        this.#attach(p, conn);
        this.#step(p, { type: 'TcpConnectionConfirmed', localBgpId: this.#routerIdFor(conn) });
        return true;
      case 'Connect':
      case 'OpenSent':
      case 'OpenConfirm': {
        // RFC 4271 §6.8: both sides are connecting. Run the peer's connection as a second FSM; the
        // OPENs tell which one survives. (Abandoning our own dial instead would, when both sides do
        // it at once, lose both connections.)
        if (this.#secondary) return refuse(CeaseSubcode.connectionRejected);
        this.#c.connectionsAccepted++;
        const s = this.#newAttempt();
        s.fsm = step(s.fsm, { type: 'ManualStart', passive: true }).state;
        this.#secondary = s;
        this.#attach(s, conn);
        this.#step(s, { type: 'TcpConnectionConfirmed', localBgpId: this.#routerIdFor(conn) });
        return true;
      }
      default: {
        const never: never = p.fsm.name;
        return never;
      }
    }
  }

  /** Our BGP Identifier on `conn`: configured, else the local IPv4 address, else a stable fallback. */
  #routerIdFor(conn: Connection): string {
    if (this.#settings.routerId) return this.#settings.routerId;
    if (this.#deps.defaultRouterId) return this.#deps.defaultRouterId;
    if (parseIp(conn.localAddress)?.family === 'ipv4') return conn.localAddress;
    // MetalLB falls back to a CRC32 (of the node name); here of the local address, never 0.
    return numberToIpv4(crc32(conn.localAddress) || 1);
  }

  // -------------------------------------------------------------------------------------------------
  // Driving the FSM

  #step(attempt: Attempt, event: FsmEvent): void {
    const before = attempt.fsm.name;
    const r = step(attempt.fsm, event);
    attempt.fsm = r.state;
    if (attempt === this.#primary && before !== r.state.name) this.#stateChanged(before, r.state.name);
    for (const a of r.actions) this.#perform(attempt, a);
    this.#afterAttemptChange(attempt);
  }

  #stateChanged(from: FsmStateName, to: FsmStateName): void {
    this.#stateSince = this.#deps.clock.now();
    this.#log.debug('stateChange', 'BGP state change', { from, to });
    this.#deps.emit('stateChange', { from, to });
  }

  #perform(attempt: Attempt, action: FsmAction): void {
    switch (action.type) {
      case 'Connect':
        this.#dial(attempt);
        return;
      case 'Send':
        this.#send(attempt, action.message);
        return;
      case 'StartTimer': {
        attempt.timers.get(action.timer)?.cancel();
        const event: FsmEvent['type'] =
          action.timer === 'connectRetry' ? 'ConnectRetryTimerExpired' : action.timer === 'hold' ? 'HoldTimerExpired' : 'KeepaliveTimerExpired';
        const handle = this.#deps.clock.setTimer(action.ms, () => {
          if (attempt.timers.get(action.timer) !== handle) return;
          attempt.timers.delete(action.timer);
          this.#guarded(attempt, () => this.#step(attempt, { type: event } as FsmEvent));
        });
        attempt.timers.set(action.timer, handle);
        return;
      }
      case 'StopTimer':
        attempt.timers.get(action.timer)?.cancel();
        attempt.timers.delete(action.timer);
        return;
      case 'Close':
        this.#close(attempt, action.notification);
        return;
      case 'Established':
        this.#established(attempt, action.negotiated);
        return;
      case 'SessionDown':
        this.#down(attempt, action.reason, action.wasEstablished, action.retryInMs);
        return;
      case 'UpdateReceived':
        this.#updateReceived(action.update, action.errors, action.withdrawAll);
        return;
      case 'RouteRefreshRequested':
        this.#routeRefresh(attempt, action.request);
        return;
      default: {
        const never: never = action;
        throw new Error(`unknown action ${JSON.stringify(never)}`);
      }
    }
  }

  /** Runs `fn`; an exception (a bug, never peer input by design) drops the connection and retries. */
  #guarded(attempt: Attempt, fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.#log.error('sessionError', 'unexpected error in BGP session, dropping the connection', { error: e as Error });
      try {
        const conn = attempt.conn;
        attempt.conn = undefined;
        conn?.destroy();
        this.#step(attempt, { type: 'TcpConnectionFails' });
      } catch (e2) {
        this.#log.error('sessionError', 'BGP session failed to recover', { error: e2 as Error });
      }
    }
  }

  #dial(attempt: Attempt): void {
    const s = this.#settings;
    this.#c.connectAttempts++;
    attempt.cancelDial?.();
    attempt.cancelDial = this.#deps.transport.connect(
      {
        host: s.peerAddress,
        port: s.peerPort ?? PEER_DEFAULTS.peerPort,
        ...(s.sourceAddress !== undefined ? { localAddress: s.sourceAddress } : {}),
      },
      (error, conn) => {
        attempt.cancelDial = undefined;
        this.#guarded(attempt, () => {
          if (error || !conn) {
            this.#c.connectFailures++;
            this.#log.debug('connectFailed', 'BGP connection attempt failed', { error: error?.message });
            this.#step(attempt, { type: 'TcpConnectionFails' });
            return;
          }
          if (attempt.fsm.name !== 'Connect' || (attempt !== this.#primary && attempt !== this.#secondary)) {
            conn.destroy();
            return;
          }
          this.#attach(attempt, conn);
          this.#step(attempt, { type: 'TcpConnected', localBgpId: this.#routerIdFor(conn) });
        });
      },
    );
  }

  #attach(attempt: Attempt, conn: Connection): void {
    attempt.conn = conn;
    attempt.framer = new MessageFramer();
    attempt.queue = [];
    attempt.queuedBytes = 0;
    attempt.blocked = false;
    attempt.initialTable = undefined;
    let onClosed: () => void = () => undefined;
    this.#closed.set(conn, new Promise<void>((resolve) => (onClosed = resolve)));
    conn.start({
      onData: (bytes) => {
        if (attempt.conn !== conn) return;
        this.#guarded(attempt, () => this.#receive(attempt, conn, bytes));
      },
      onDrain: () => {
        if (attempt.conn !== conn) return;
        this.#guarded(attempt, () => this.#flush(attempt));
      },
      onClose: (error) => {
        onClosed();
        if (attempt.conn !== conn) return;
        attempt.conn = undefined;
        this.#guarded(attempt, () => {
          this.#log.debug('connectionClosed', 'BGP connection closed', { error: error?.message });
          this.#step(attempt, { type: 'TcpConnectionFails' });
          this.#afterAttemptChange(attempt);
        });
      },
    });
  }

  #receive(attempt: Attempt, conn: Connection, bytes: Uint8Array): void {
    attempt.framer.push(bytes);
    while (attempt.conn === conn) {
      const frame = attempt.framer.next();
      if (!frame) break;
      const opts = attempt.codecOptions();
      const result = frame.ok ? decodeMessage(frame.bytes, opts) : frame;
      this.#lastRead = this.#deps.clock.now();
      if (result.ok) {
        const msg = result.msg;
        this.#c.messagesReceived[msg.type]++;
        if (msg.type === 'notification') this.#notificationReceived(attempt, msg);
      }
      const wasOpenSent = attempt.fsm.name === 'OpenSent';
      this.#step(attempt, { type: 'MessageReceived', result });
      if (wasOpenSent && attempt.fsm.name === 'OpenConfirm') {
        // RFC 8654 §3: once both sides advertised it, messages may be up to 65535 octets.
        attempt.framer.setExtendedMessage(attempt.codecOptions().extendedMessage);
        this.#checkCollision(attempt);
        this.#prepareInitialTable(attempt);
      }
      this.#afterAttemptChange(attempt);
    }
  }

  #notificationReceived(attempt: Attempt, msg: NotificationMessage): void {
    const record = this.#record(msg);
    this.#lastNotificationReceived = record;
    const key = `${msg.code}/${msg.subcode}`;
    this.#c.notificationsReceived[key] = (this.#c.notificationsReceived[key] ?? 0) + 1;
    const established = attempt.fsm.name === 'Established';
    this.#log.info('peerNotification', 'peer sent notification, closing session', {
      code: msg.code,
      subcode: msg.subcode,
      ...(record.communication !== undefined ? { communication: record.communication } : {}),
    });
    this.#deps.emit('notificationReceived', { notification: record, established });
  }

  #record(msg: NotificationMessage): NotificationRecord {
    const sc = readShutdownCommunication(msg);
    return {
      code: msg.code,
      subcode: msg.subcode,
      data: hex(msg.data),
      ...(sc.kind === 'message' ? { communication: sc.text } : {}),
      at: this.#deps.clock.now(),
    };
  }

  #countNotificationSent(n: NotificationMessage): void {
    this.#lastNotificationSent = this.#record(n);
    const key = `${n.code}/${n.subcode}`;
    this.#c.notificationsSent[key] = (this.#c.notificationsSent[key] ?? 0) + 1;
  }

  /**
   * RFC 4271 §6.8: `attempt` just received an OPEN (it is in OpenConfirm). When the other connection
   * has received the peer's OPEN too (OpenConfirm, or Established meanwhile), one of the two must go,
   * chosen by BGP Identifier so that both sides pick the same one.
   */
  #checkCollision(attempt: Attempt): void {
    const other = attempt === this.#primary ? this.#secondary : this.#primary;
    if (!other || !other.conn) return;
    const mine = attempt.fsm.connection;
    const theirs = other.fsm.connection;
    if (!mine?.negotiated || !theirs?.negotiated) return;
    const n = mine.negotiated;
    const localId = bgpIdToNumber(n.localBgpId);
    const remoteId = bgpIdToNumber(n.peerBgpId);
    // RFC 4271 §6.8: the connection initiated by the side with the higher BGP Identifier survives;
    // RFC 6286 §2.3: with equal identifiers, the side with the higher AS number.
    const localWins = localId !== remoteId ? localId > remoteId : n.localAsn > n.peerAsn;
    const survivorDirection = localWins ? 'outbound' : 'inbound';
    const loser = mine.direction === survivorDirection ? other : attempt;
    this.#dump(loser);
  }

  /** Closes `loser` with Cease 6/7 and, when it was the primary, promotes the other connection. */
  #dump(loser: Attempt): void {
    this.#c.collisions++;
    this.#log.info('connectionCollision', 'connection collision resolved', { closed: loser.fsm.connection?.direction });
    if (loser === this.#primary) {
      const winner = this.#secondary;
      if (!winner) return;
      this.#secondary = undefined;
      this.#primary = winner;
      if (loser.fsm.name !== winner.fsm.name) this.#stateChanged(loser.fsm.name, winner.fsm.name);
    } else if (loser === this.#secondary) {
      this.#secondary = undefined;
    } else {
      return;
    }
    // The loser is now neither primary nor secondary: its SessionDown is not the session's.
    this.#step(loser, { type: 'OpenCollisionDump' });
    this.#dispose(loser);
  }

  /** Cancels whatever an attempt still has running. */
  #dispose(attempt: Attempt): void {
    for (const t of attempt.timers.values()) t.cancel();
    attempt.timers.clear();
    attempt.cancelDial?.();
    attempt.cancelDial = undefined;
  }

  /**
   * After an attempt changed: a secondary that fell out of the connected states is dropped; a primary
   * that lost its connection while the secondary is still connecting hands over to it.
   */
  #afterAttemptChange(attempt: Attempt): void {
    this.#clearRestartState(attempt);
    const connected = (a: Attempt): boolean => a.fsm.name === 'OpenSent' || a.fsm.name === 'OpenConfirm' || a.fsm.name === 'Established';
    if (attempt === this.#secondary && !connected(attempt)) {
      this.#secondary = undefined;
      this.#dispose(attempt);
    } else if (attempt === this.#primary && !connected(attempt) && this.#secondary && connected(this.#secondary)) {
      const winner = this.#secondary;
      this.#secondary = undefined;
      this.#dispose(attempt);
      const from = attempt.fsm.name;
      // The winner continues with the primary's backoff position.
      winner.fsm = { ...winner.fsm, backoffAttempt: attempt.fsm.backoffAttempt, connectRetryCounter: attempt.fsm.connectRetryCounter };
      this.#primary = winner;
      if (from !== winner.fsm.name) this.#stateChanged(from, winner.fsm.name);
    }
  }

  // -------------------------------------------------------------------------------------------------
  // Sending

  #send(attempt: Attempt, msg: BgpMessage): void {
    const conn = attempt.conn;
    if (!conn) return;
    const bytes = encodeMessage(msg, attempt.codecOptions());
    this.#c.messagesSent[msg.type]++;
    if (msg.type === 'notification') this.#countNotificationSent(msg);
    this.#lastWrite = this.#deps.clock.now();
    // KEEPALIVE, OPEN and NOTIFICATION skip our queue (never behind a table dump); UPDATEs wait for
    // the transport to drain.
    if (msg.type === 'update') this.#writeUpdates(attempt, conn, bytes);
    else if (!conn.write(bytes)) attempt.blocked = true;
  }

  /** Writes encoded UPDATEs, or queues them behind earlier ones while the transport drains. */
  #writeUpdates(attempt: Attempt, conn: Connection, bytes: Uint8Array): void {
    if (attempt.blocked || attempt.queue.length > 0) {
      attempt.queue.push(bytes);
      attempt.queuedBytes += bytes.length;
      return;
    }
    if (!conn.write(bytes)) attempt.blocked = true;
  }

  #flush(attempt: Attempt): void {
    const conn = attempt.conn;
    attempt.blocked = false;
    if (!conn) return;
    while (attempt.queue.length > 0) {
      const next = attempt.queue.shift() as Uint8Array;
      attempt.queuedBytes -= next.length;
      if (!conn.write(next)) {
        attempt.blocked = true;
        return;
      }
    }
  }

  #close(attempt: Attempt, notification: NotificationMessage | undefined): void {
    if (attempt.cancelDial) {
      attempt.cancelDial();
      attempt.cancelDial = undefined;
    }
    const conn = attempt.conn;
    if (!conn) return;
    attempt.conn = undefined;
    // A Cease ends the session on purpose (RFC 4486): the UPDATEs queued before it (a graceful
    // shutdown's withdrawals) go out first. After an error, nothing more than the NOTIFICATION is sent.
    if (notification?.code === ErrorCode.cease) for (const bytes of attempt.queue) conn.write(bytes);
    attempt.queue = [];
    attempt.queuedBytes = 0;
    attempt.initialTable = undefined;
    if (notification) {
      this.#c.messagesSent.notification++;
      this.#countNotificationSent(notification);
      this.#lastWrite = this.#deps.clock.now();
      conn.write(encodeMessage(notification, attempt.codecOptions()));
      this.#log.info('notificationSent', 'sent notification, closing connection', {
        code: notification.code,
        subcode: notification.subcode,
      });
    }
    conn.end();
    this.#closeLater(conn);
  }

  /** Drops `conn` if it has not closed within the close timeout; tracked for `stop()`. */
  #closeLater(conn: Connection): void {
    const closed = this.#closed.get(conn);
    if (!closed) {
      conn.destroy();
      return;
    }
    const ms = this.#deps.closeTimeoutMs ?? 3000;
    let timer: TimerHandle | undefined;
    const p = Promise.race([
      closed,
      new Promise<void>((resolve) => {
        timer = this.#deps.clock.setTimer(ms, () => {
          conn.destroy();
          resolve();
        });
      }),
    ]).then(() => {
      timer?.cancel();
      this.#closings.delete(p);
    });
    this.#closings.add(p);
  }

  // -------------------------------------------------------------------------------------------------
  // Session up and down, routes

  #established(attempt: Attempt, n: Negotiated): void {
    // A connection reaching Established while the other has not seen the peer's OPEN: the other is
    // the colliding one and closes (RFC 4271 §6.8, collision with an Established connection).
    if (attempt === this.#secondary) {
      this.#dump(this.#primary);
    } else if (this.#secondary) {
      this.#dump(this.#secondary);
    }
    const conn = attempt.conn;
    this.#negotiated = n;
    this.#establishedAt = this.#deps.clock.now();
    // The initial table goes out first: the log line and the event wait until it is written. Until the
    // owner's first complete table is in, nothing goes (RFC 4724 §4.1: End-of-RIB after the table).
    const table = conn && this.#tableReady ? this.#sendInitialTable(attempt, conn, n) : undefined;
    this.#log.info('sessionUp', 'BGP session established', {
      peerASN: n.peerAsn,
      localAddress: conn?.localAddress,
      holdTime: n.holdTimeSec,
      routerID: n.localBgpId,
      peerRouterID: n.peerBgpId,
      ...(this.#tableReady ? {} : { waitingForTable: true }),
    });
    if (table) this.#reportTable(table);
    this.#deps.emit('sessionUp', { negotiated: n, localAddress: conn?.localAddress ?? '', remoteAddress: conn?.remoteAddress ?? '' });
  }

  /** Logs what an initial table could not carry. */
  #reportTable(table: InitialTable): void {
    if (table.invalidNextHop !== undefined) {
      // RFC 4271 §6.3: the peer would ignore routes with this NEXT_HOP (0/8, 127/8, multicast).
      this.#log.error('invalidNextHop', 'the session address is not a valid next hop; no routes are sent', { nextHop: table.invalidNextHop });
    }
    this.#noteUnsendable(table.change.unsendable.length);
  }

  /**
   * RFC 4271 §9.2: UPDATEs are sent only in Established, but what the initial table holds depends
   * only on the negotiated parameters, the connection's addresses and the desired set, all known once
   * the peer's OPEN is in (OpenConfirm). So the table is diffed and encoded then, while the peer's
   * KEEPALIVE is on its way, and written in one piece the moment the connection becomes Established
   * (`#sendInitialTable`). Nothing is sent early; a table made stale by a new desired set is made
   * again at Established. The per-prefix work that needs no negotiation (sorting, merging, the IPv4
   * NLRI encoding) was done earlier, when the desired set was given (`setAdvertisements`).
   */
  #prepareInitialTable(attempt: Attempt): void {
    const conn = attempt.conn;
    const n = attempt.fsm.connection?.negotiated;
    if (!conn || !n || attempt.fsm.name !== 'OpenConfirm' || !this.#tableReady) return;
    attempt.initialTable = this.#initialTable(attempt, conn, n);
  }

  #initialTable(attempt: Attempt, conn: Connection, n: Negotiated): InitialTable {
    const { session, invalidNextHop } = this.#ribSession(conn, n);
    const desired = this.#desired;
    const change = ribSet(emptyAdjRibOut(session), desired.prepared({ encodeNlri: true }));
    const w = new BufferWriter(4096);
    const opts = attempt.codecOptions();
    const encoded = change.encodedNlri;
    for (const m of change.messages) {
      const nlri = encoded?.get(m);
      if (nlri !== undefined) encodeUpdateFromPartsInto(w, m.attributes, nlri, opts);
      else encodeMessageInto(w, m, opts);
    }
    return { conn, negotiated: n, desired, version: desired.version, invalidNextHop, change, bytes: w.finish() };
  }

  /** Sends the initial table of a connection that just became Established, prepared or made now. */
  #sendInitialTable(attempt: Attempt, conn: Connection, n: Negotiated): InitialTable {
    const ready = attempt.initialTable;
    attempt.initialTable = undefined;
    const table =
      ready !== undefined && ready.conn === conn && ready.negotiated === n && ready.desired === this.#desired && ready.version === this.#desired.version
        ? ready
        : this.#initialTable(attempt, conn, n);
    const change = table.change;
    this.#rib = change.rib;
    this.#unsendable = 0;
    this.#setUnsendable(change.unsendable);
    this.#notSent = this.#notSentCount(change.rib.session);
    for (const m of change.messages) this.#countPrefixes(m);
    this.#c.messagesSent.update += change.messages.length;
    if (change.messages.length > 0) {
      this.#lastWrite = this.#deps.clock.now();
      this.#writeUpdates(attempt, conn, table.bytes);
    }
    return table;
  }

  /** The Adj-RIB-Out parameters of a connection. */
  #ribSession(conn: Connection, n: Negotiated): { session: AdjRibOutSession; invalidNextHop: string | undefined } {
    const local = parseIp(conn.localAddress);
    // IPv4 prefixes over IPv4 sessions, IPv6 over IPv6 sessions, each only if negotiated.
    const family: RouteFamily = local?.family === 'ipv6' ? 'ipv6' : 'ipv4';
    const afi = family === 'ipv4' ? AFI.ipv4 : AFI.ipv6;
    const nextHop = (family === 'ipv4' ? this.#settings.nextHopIpv4 : this.#settings.nextHopIpv6) ?? conn.localAddress;
    let carried = n.families.some((f) => f.afi === afi && f.safi === SAFI.unicast);
    let invalidNextHop: string | undefined;
    if (carried && !usableNextHop(family, nextHop) && !(this.#settings.loopbackNextHop === true && isLoopback(nextHop))) {
      // RFC 4271 §6.3: the peer would ignore routes with this NEXT_HOP (0/8, 127/8, multicast).
      invalidNextHop = nextHop;
      carried = false;
    }
    const session: AdjRibOutSession = {
      localAsn: n.localAsn,
      peerAsn: n.peerAsn,
      fourOctetAs: n.fourOctetAs,
      extendedMessage: n.extendedMessage,
      enhancedRouteRefresh: n.enhancedRouteRefresh && n.localCapabilities.some((c) => c.kind === 'enhancedRouteRefresh'),
      families: carried ? [family] : [],
      ...(carried ? (family === 'ipv4' ? { ipv4NextHop: nextHop } : { ipv6NextHop: nextHop }) : {}),
    };
    return { session, invalidNextHop };
  }

  /** Desired advertisements not sent: of a family the session does not carry, or too large. */
  #notSentCount(session: AdjRibOutSession): number {
    let carried = 0;
    for (const f of session.families) carried += this.#desired.countOf(f);
    return this.#desired.size - carried + this.#unsendableKeys.size;
  }

  #setUnsendable(prefixes: readonly Prefix[]): void {
    this.#unsendableKeys = new Set();
    for (const p of prefixes) this.#unsendableKeys.add(orderOf(p));
  }

  /** Reported on every diff while desired; logged when the count changes. */
  #noteUnsendable(count: number): void {
    if (count === this.#unsendable) return;
    this.#unsendable = count;
    if (count > 0) this.#log.warn('prefixesNotSent', 'prefixes whose attributes do not fit one UPDATE are not sent', { count });
  }

  #syncRib(): void {
    const rib = this.#rib;
    const attempt = this.#primary;
    if (!rib || attempt.fsm.name !== 'Established') return;
    const change = ribSet(rib, this.#desired.prepared());
    this.#rib = change.rib;
    this.#setUnsendable(change.unsendable);
    this.#notSent = this.#notSentCount(rib.session);
    this.#noteUnsendable(change.unsendable.length);
    for (const m of change.messages) this.#sendUpdate(attempt, m);
  }

  /** Sends the UPDATEs for the prefixes of `changes` (see `updateAdvertisements`). */
  #syncChanges(changes: readonly RouteChange[]): void {
    const rib = this.#rib;
    const attempt = this.#primary;
    if (!rib || attempt.fsm.name !== 'Established') return;
    // Prepared for the other kind of peer than negotiated (never with a configured AS): the whole set.
    if (this.#desired.ibgp !== (rib.session.localAsn === rib.session.peerAsn)) {
      this.#syncRib();
      return;
    }
    this.#rib = undefined;
    const change = updateRoutes(rib, changes);
    this.#rib = change.rib;
    for (const c of changes) this.#unsendableKeys.delete(c.order);
    for (const p of change.unsendable) this.#unsendableKeys.add(orderOf(p));
    this.#notSent = this.#notSentCount(rib.session);
    this.#noteUnsendable(this.#unsendableKeys.size);
    for (const m of change.messages) this.#sendUpdate(attempt, m);
  }

  /** Counts the prefixes an UPDATE we send announces and withdraws. */
  #countPrefixes(m: UpdateMessage | RouteRefreshMessage): void {
    if (m.type !== 'update') return;
    let announced = m.nlri.length;
    let withdrawn = m.withdrawn.length;
    for (const a of m.attributes) {
      if (a.kind === 'mpReachNlri') announced += a.nlri.length;
      if (a.kind === 'mpUnreachNlri') withdrawn += a.withdrawn.length;
    }
    this.#c.prefixesAnnounced += announced;
    this.#c.prefixesWithdrawn += withdrawn;
  }

  #sendUpdate(attempt: Attempt, m: UpdateMessage | RouteRefreshMessage): void {
    this.#countPrefixes(m);
    this.#send(attempt, m);
  }

  #routeRefresh(attempt: Attempt, request: RouteRefreshMessage): void {
    if (!this.#rib || attempt !== this.#primary) return;
    // RFC 2918 §4: the whole Adj-RIB-Out of the family again (RFC 7313 §4: between BoRR and EoRR).
    for (const m of routeRefreshReply(this.#rib, request)) this.#sendUpdate(attempt, m);
  }

  #down(attempt: Attempt, reason: DownReason, wasEstablished: boolean, retryInMs: number | undefined): void {
    if (attempt !== this.#primary) return;
    this.#lastError = { reason, at: this.#deps.clock.now() };
    if (!wasEstablished) return;
    this.#c.flaps++;
    this.#rib = undefined;
    this.#negotiated = undefined;
    this.#establishedAt = undefined;
    this.#log.info('sessionDown', 'BGP session down', { reason: describe(reason), ...(retryInMs !== undefined ? { retryInMs } : {}) });
    this.#deps.emit('sessionDown', { reason, ...(retryInMs !== undefined ? { retryInMs } : {}) });
  }

  #updateReceived(update: UpdateMessage, errors: readonly BgpError[], withdrawAll: boolean): void {
    let announced: Prefix[] = [...update.nlri];
    const withdrawn: Prefix[] = [...update.withdrawn];
    for (const a of update.attributes) {
      if (a.kind === 'mpReachNlri') for (const p of a.nlri) announced.push(p);
      if (a.kind === 'mpUnreachNlri') for (const p of a.withdrawn) withdrawn.push(p);
    }
    // RFC 7606 §2: treat-as-withdraw: every NLRI of the UPDATE is withdrawn.
    if (withdrawAll) {
      for (const p of announced) withdrawn.push(p);
      announced = [];
    }
    if (errors.length > 0) {
      this.#c.updateErrorsReceived++;
      this.#log.warn('updateError', 'malformed UPDATE handled per RFC 7606', {
        reasons: errors.map((e) => e.reason).join(','),
        withdrawAll,
      });
    }
    this.#c.prefixesReceived += announced.length;
    this.#c.withdrawalsReceived += withdrawn.length;
    const eor = endOfRibOf(update);
    this.#deps.emit('updateReceived', {
      update,
      announced,
      withdrawn,
      errors,
      withdrawAll,
      ...(eor ? { endOfRib: eor } : {}),
    });
  }

  /**
   * The routes in the Adj-RIB-Out now (sent and not withdrawn), in address order, with the next hop
   * they were sent with; empty unless Established. For status pages (`metallb-ts status routes`).
   */
  advertisedRoutes(): AdvertisedRoute[] {
    const rib = this.#rib;
    if (!rib) return [];
    const out: AdvertisedRoute[] = [];
    for (const [routes, nextHop] of [
      [rib.ipv4, rib.session.ipv4NextHop],
      [rib.ipv6, rib.session.ipv6NextHop],
    ] as const) {
      for (const r of routes) {
        const a = r.attributes;
        out.push({
          prefix: r.prefix,
          ...(nextHop !== undefined ? { nextHop } : {}),
          ...(a.localPref !== undefined ? { localPref: a.localPref } : {}),
          ...(a.med !== undefined ? { med: a.med } : {}),
          communities: a.communities,
          largeCommunities: a.largeCommunities,
        });
      }
    }
    return out;
  }

  /** A snapshot for status pages and metrics. */
  status(): SessionStatus {
    const s = this.#settings;
    const p = this.#primary;
    const conn = p.conn;
    const n = this.#negotiated;
    const now = this.#deps.clock.now();
    const configuredHold = s.holdTimeSec ?? PEER_DEFAULTS.holdTimeSec;
    const sentOpenCaps = p.fsm.config.capabilities;
    const peerAsn = s.peerAsn ?? n?.peerAsn;
    return {
      name: s.name,
      peer: this.peerLabel,
      peerAddress: s.peerAddress,
      peerPort: s.peerPort ?? PEER_DEFAULTS.peerPort,
      passive: s.passive === true,
      state: p.fsm.name,
      stateSince: this.#stateSince,
      uptimeMs: this.#establishedAt !== undefined && p.fsm.name === 'Established' ? now - this.#establishedAt : 0,
      localAsn: s.localAsn,
      ...(peerAsn !== undefined ? { peerAsn } : {}),
      ...(s.dynamicAsn !== undefined ? { dynamicAsn: s.dynamicAsn } : {}),
      ...(conn
        ? { localAddress: conn.localAddress, localPort: conn.localPort, remoteAddress: conn.remoteAddress, remotePort: conn.remotePort }
        : {}),
      ...(p.fsm.connection ? { localRouterId: p.fsm.connection.localBgpId } : {}),
      ...(p.fsm.connection?.negotiated ? { remoteRouterId: p.fsm.connection.negotiated.peerBgpId } : {}),
      holdTime: { configured: configuredHold, ...(n ? { negotiated: n.holdTimeSec } : {}) },
      keepaliveTime: {
        ...(s.keepaliveSec !== undefined ? { configured: s.keepaliveSec } : {}),
        ...(n ? { negotiated: n.keepaliveMs / 1000 } : {}),
      },
      capabilities: { advertised: sentOpenCaps, received: p.fsm.connection?.negotiated?.peerCapabilities ?? [] },
      families: this.#rib?.session.families ?? [],
      ...(n ? { fourOctetAs: n.fourOctetAs, extendedMessage: n.extendedMessage } : {}),
      counters: structuredClone(this.#c),
      prefixesDesired: this.#desired.size,
      prefixesAdvertised: this.#rib ? this.#rib.ipv4.length + this.#rib.ipv6.length : 0,
      prefixesNotSent: this.#rib ? this.#notSent : 0,
      pendingBytes: p.queuedBytes + (conn?.bufferedBytes ?? 0),
      tableReady: this.#tableReady,
      gracefulShutdown: this.#gracefulShutdown,
      ...(this.#lastRead !== undefined ? { lastRead: this.#lastRead } : {}),
      ...(this.#lastWrite !== undefined ? { lastWrite: this.#lastWrite } : {}),
      ...(this.#lastError ? { lastError: this.#lastError } : {}),
      ...(this.#lastNotificationSent ? { lastNotificationSent: this.#lastNotificationSent } : {}),
      ...(this.#lastNotificationReceived ? { lastNotificationReceived: this.#lastNotificationReceived } : {}),
    };
  }
}

function isUint32(n: number): boolean {
  return Number.isInteger(n) && n >= 0 && n <= 0xffffffff;
}

/** The 32-bit value of canonical dotted-quad text, or -1 (a fast path: no bigint per prefix). */
function ipv4Value(text: string): number {
  const parts = text.split('.');
  if (parts.length !== 4) return -1;
  let v = 0;
  for (const part of parts) {
    if (part.length === 0 || part.length > 3 || (part.length > 1 && part[0] === '0')) return -1;
    let n = 0;
    for (let i = 0; i < part.length; i++) {
      const c = part.charCodeAt(i) - 48;
      if (c < 0 || c > 9) return -1;
      n = n * 10 + c;
    }
    if (n > 255) return -1;
    v = v * 256 + n;
  }
  return v;
}

/** Why a prefix breaks the `Prefix` contract (canonical, host bits clear), or undefined. */
export function prefixProblem(p: Prefix): string | undefined {
  const bits = p.family === 'ipv4' ? 32 : 128;
  if (!Number.isInteger(p.length) || p.length < 0 || p.length > bits) return 'bad prefix length';
  if (p.family === 'ipv4') {
    const v = ipv4Value(p.address);
    if (v < 0) return 'address does not match its family';
    const host = p.length === 0 ? 0xffffffff : p.length === 32 ? 0 : (0xffffffff >>> p.length) >>> 0;
    if ((v & host) >>> 0 !== 0) return 'not canonical (host bits set)';
  } else {
    const ip = parseIp(p.address);
    if (!ip || ip.family !== 'ipv6') return 'address does not match its family';
    if (formatPrefix(prefixOf(ip, p.length)) !== `${p.address}/${p.length}`) return 'not canonical (host bits set or non-canonical text)';
  }
  return undefined;
}

/** Why an advertisement cannot be sent, or undefined when it is well formed. */
export function advertisementProblem(ad: Advertisement): string | undefined {
  const problem = prefixProblem(ad.prefix);
  if (problem !== undefined) return problem;
  if (ad.localPref !== undefined && !isUint32(ad.localPref)) return 'localPref outside uint32';
  if (ad.med !== undefined && !isUint32(ad.med)) return 'med outside uint32';
  for (const c of ad.communities) if (!isUint32(c)) return 'community outside uint32';
  for (const c of ad.largeCommunities) {
    if (!isUint32(c.globalAdmin) || !isUint32(c.localData1) || !isUint32(c.localData2)) return 'large community part outside uint32';
  }
  return undefined;
}

/** Whether `address` is an IPv4 loopback address (127/8, RFC 1122 §3.2.1.3). */
function isLoopback(address: string): boolean {
  const ip = parseIp(address);
  return ip !== undefined && ip.family === 'ipv4' && ip.value >> 24n === 127n;
}

/** Whether `address` can be a NEXT_HOP (RFC 4271 §6.3: not 0/8, 127/8 or class D/E for IPv4). */
function usableNextHop(family: RouteFamily, address: string): boolean {
  const ip = parseIp(address);
  if (!ip || ip.family !== family) return false;
  if (family === 'ipv6') return ip.value !== 0n;
  const first = Number(ip.value >> 24n);
  return first !== 0 && first !== 127 && first < 224;
}

/** The End-of-RIB family of an UPDATE (RFC 4724 §2), if it is one. */
function endOfRibOf(m: UpdateMessage): RouteFamily | undefined {
  if (m.withdrawn.length > 0 || m.nlri.length > 0) return undefined;
  if (m.attributes.length === 0) return 'ipv4';
  const a = m.attributes[0];
  if (m.attributes.length === 1 && a?.kind === 'mpUnreachNlri' && a.withdrawn.length === 0 && a.afi === AFI.ipv6) return 'ipv6';
  return undefined;
}

/** A short text for a down reason, for logs. */
export function describe(reason: DownReason): string {
  switch (reason.kind) {
    case 'tcpFailure':
      return 'connection failed or closed';
    case 'notificationReceived':
      return `notification received ${reason.notification.code}/${reason.notification.subcode}`;
    case 'protocolError':
      return `${reason.reason} (sent ${reason.notification.code}/${reason.notification.subcode})`;
    case 'stopped':
      return `stopped (sent ${reason.notification.code}/${reason.notification.subcode})`;
    default: {
      const never: never = reason;
      return String(never);
    }
  }
}

export type { MessageType };
