/**
 * The BGP speaker: owns the sessions (one per configured peer) and at most one listener, matches
 * incoming connections to peers, and reports events and status. A bad peer never disturbs another:
 * each session handles its own connection errors, and listener callbacks are isolated.
 *
 * Incoming connections are matched by the remote address (and, for a peer with `sourceAddress`, the
 * local address the connection reached). Anything else is refused: closed at once, logged as
 * `connectionRefused` with the address, and counted.
 *
 * Each session's connections carry its transport options (`transportOptionsFor`: TCP MD5 password,
 * TTL): the ones it dials through the transport given to it, the ones it accepts through the
 * listener's per-address options, kept in step with the peers here. While a peer is not
 * Established, the speaker says why it likely cannot connect (`PeerStatus.connectionProblem`, and a
 * log line when that changes): the last connect error, or a rise of the kernel's TCP MD5 drop
 * counters that fits the peer's password setting (`md5-counters.ts`).
 */
import { randomInt } from 'node:crypto';
import { systemClock } from './clock.js';
import type { Clock } from './clock.js';
import { netTransport, normalizeAddress } from './net-transport.js';
import type { Connection, ConnectOptions, Listener, PeerTransportOptions, Transport } from './transport.js';
import { socketOptionsProblem } from './socket-options.js';
import { readTcpMd5Counters, tcpMd5Explanation } from './md5-counters.js';
import type { TcpMd5Counters } from './md5-counters.js';
import { Session } from './session.js';
import type { AdvertisedRoute, SessionEvents, SessionStatus } from './session.js';
import { transportOptionsFor, validatePeerSettings } from './settings.js';
import type { PeerSettings } from './settings.js';
import type { Advertisement } from './adj-rib-out.js';
import type { AdvertisementChange } from './desired-routes.js';
import { CeaseSubcode } from '../fsm/codes.js';
import { silentBgpLogger } from './logger.js';
import type { BgpLogger } from './logger.js';
import { canonicalIp } from '../../model/ip.js';

/** Options of a speaker. Everything has a default; tests inject transport, clock, logger and random. */
export interface SpeakerOptions {
  /**
   * Listen for peers' connections on `address` (default `::`, falling back to `0.0.0.0` where IPv6
   * is unavailable) and `port` (default 179). Without it the speaker only dials.
   */
  readonly listen?: { readonly address?: string; readonly port?: number };
  /** Our BGP Identifier for every session that does not set its own. */
  readonly routerId?: string;
  readonly transport?: Transport;
  readonly clock?: Clock;
  /** Where the speaker and its sessions log; default nowhere. */
  readonly logger?: BgpLogger;
  /** A number in [0, 1), for the backoff jitter. */
  readonly random?: () => number;
  /** How long a close may wait for its NOTIFICATION to go out, ms; default 3000. */
  readonly closeTimeoutMs?: number;
  /**
   * Reads the kernel's TCP MD5 drop counters; default `/proc/net/netstat` of this network
   * namespace (with the node:net transport), none with another transport.
   */
  readonly tcpMd5Counters?: () => TcpMd5Counters | undefined;
  /** How often the counters are read while the speaker has peers, ms; default 5000. */
  readonly tcpMd5CheckIntervalMs?: number;
}

/** A session's status, with what the speaker knows of why it cannot connect. */
export interface PeerStatus extends SessionStatus {
  /**
   * Set while the session is not Established and something explains it: the last connection error
   * (e.g. the FFI needed for a password cannot load, `sourceAddress` is not local) or a rise of the
   * kernel's TCP MD5 drop counters that fits the peer's password setting.
   */
  readonly connectionProblem?: { readonly reason: string; readonly at: number };
}

/** Events of a speaker; each carries the peer's `name` and its "IP:port" label `peer`. */
export interface SpeakerEvents {
  sessionUp: SessionEvents['sessionUp'] & PeerRef;
  sessionDown: SessionEvents['sessionDown'] & PeerRef;
  notificationReceived: SessionEvents['notificationReceived'] & PeerRef;
  updateReceived: SessionEvents['updateReceived'] & PeerRef;
  stateChange: SessionEvents['stateChange'] & PeerRef;
  /** An incoming connection from an address that is not a configured peer. */
  connectionRefused: { readonly remoteAddress: string; readonly remotePort: number; readonly localAddress: string };
}

/** How a peer's session starts (`Speaker.addPeer`). */
export interface AddPeerOptions {
  /**
   * Hold the initial table and End-of-RIB until `tableReady(name)`: the caller has not read everything
   * yet (after a restart, RFC 4724 §4.1 wants End-of-RIB after the complete table). Default false.
   */
  readonly awaitTable?: boolean;
}

/** How a session is shut down gracefully (RFC 8326). */
export interface GracefulShutdownOptions {
  /**
   * How long the routes stay announced with GRACEFUL_SHUTDOWN before they are withdrawn, ms; 0 (or a
   * session that is not Established) withdraws at once.
   */
  readonly drainMs: number;
  /** Cease subcode of the NOTIFICATION that closes the session (RFC 4486 §4); default 2, administrative shutdown. */
  readonly subcode?: number;
  /** RFC 9003 shutdown communication, for subcodes 2 and 4. */
  readonly message?: string;
}

export interface PeerRef {
  readonly name: string;
  readonly peer: string;
}

type Listeners = { [K in keyof SpeakerEvents]: Set<(payload: SpeakerEvents[K]) => void> };

/** A BGP speaker with many peers. */
export class Speaker {
  readonly #sessions = new Map<string, Session>();
  readonly #transport: Transport;
  readonly #clock: Clock;
  readonly #logger: BgpLogger;
  readonly #random: () => number;
  readonly #options: SpeakerOptions;
  readonly #listeners: Listeners = {
    sessionUp: new Set(),
    sessionDown: new Set(),
    notificationReceived: new Set(),
    updateReceived: new Set(),
    stateChange: new Set(),
    connectionRefused: new Set(),
  };
  #listener: Listener | undefined;
  /** Sessions between the end of their drain and their close, with the function that ends the wait. */
  readonly #draining = new Map<Session, () => void>();
  #refused = 0;
  #closed = false;
  /**
   * Per peer name: why it likely cannot connect (cleared when it is Established): the last connect
   * error, and the last rise of the MD5 drop counters that fits it, kept apart so that neither hides
   * the other.
   */
  readonly #problems = new Map<string, Partial<Record<'connect' | 'md5', { reason: string; at: number }>>>();
  /** The MD5 drop counters at the last check. */
  #md5Counters: TcpMd5Counters | undefined;
  #md5Timer: { cancel(): void } | undefined;
  readonly #readMd5Counters: () => TcpMd5Counters | undefined;

  constructor(options: SpeakerOptions = {}) {
    this.#options = options;
    this.#transport = options.transport ?? netTransport;
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger ?? silentBgpLogger;
    this.#random = options.random ?? (() => randomInt(0, 0x100000000) / 0x100000000);
    this.#readMd5Counters = options.tcpMd5Counters ?? (this.#transport === netTransport ? () => readTcpMd5Counters() : () => undefined);
    if (this.#transport === netTransport) {
      const problem = socketOptionsProblem();
      if (problem !== undefined) {
        this.#logger.warn('socketOptionsUnavailable', 'TCP socket options cannot be set: sessions use the system\'s TTL, and peers with a password cannot connect', { reason: problem });
      }
    }
  }

  /** Binds the listener, when one is configured. Rejects when the address cannot be bound. */
  async start(): Promise<void> {
    const l = this.#options.listen;
    if (!l || this.#listener) return;
    const port = l.port ?? 179;
    const onConnection = (c: Connection): void => this.#incoming(c);
    const onError = (error: Error): void => this.#logger.error('listenerError', 'incoming connection dropped', { error });
    if (l.address !== undefined) {
      this.#listener = await this.#transport.listen({ host: l.address, port, onError }, onConnection);
    } else {
      try {
        this.#listener = await this.#transport.listen({ host: '::', port, onError }, onConnection);
      } catch (e) {
        const code = (e as { code?: string }).code;
        if (code !== 'EAFNOSUPPORT' && code !== 'EADDRNOTAVAIL') throw e;
        this.#listener = await this.#transport.listen({ host: '0.0.0.0', port, onError }, onConnection);
      }
    }
    this.#logger.info('listening', 'BGP listener started', { address: this.#listener.address, port: this.#listener.port });
    const addresses = new Set<string>();
    for (const s of this.#sessions.values()) addresses.add(this.#addressKey(s.settings.peerAddress));
    for (const a of addresses) this.#syncListener(a);
  }

  /** The address and port the listener is bound to, once started. */
  get listenAddress(): { readonly address: string; readonly port: number } | undefined {
    return this.#listener ? { address: this.#listener.address, port: this.#listener.port } : undefined;
  }

  /** Connections refused because no peer matched. */
  get refusedConnections(): number {
    return this.#refused;
  }

  /** Subscribes to an event; returns the function that unsubscribes. */
  on<K extends keyof SpeakerEvents>(event: K, fn: (payload: SpeakerEvents[K]) => void): () => void {
    const set = this.#listeners[event] as Set<(payload: SpeakerEvents[K]) => void>;
    set.add(fn);
    return () => set.delete(fn);
  }

  #emit<K extends keyof SpeakerEvents>(event: K, payload: SpeakerEvents[K]): void {
    for (const fn of this.#listeners[event] as Set<(payload: SpeakerEvents[K]) => void>) {
      try {
        fn(payload);
      } catch (e) {
        this.#logger.error('listenerError', 'event listener threw', { event, error: e as Error });
      }
    }
  }

  /** Adds a peer and starts its session. Throws on invalid settings or a duplicate name. */
  addPeer(settings: PeerSettings, options: AddPeerOptions = {}): void {
    if (this.#closed) throw new Error('speaker is closed');
    const errors = validatePeerSettings(settings);
    if (errors.length > 0) throw new RangeError(`peer ${settings.name}: ${errors.join('; ')}`);
    if (this.#sessions.has(settings.name)) throw new Error(`peer ${settings.name} already exists`);
    const ref = { name: settings.name };
    const session: Session = new Session(settings, {
      transport: this.#transportFor(settings),
      clock: this.#clock,
      logger: this.#logger,
      random: this.#random,
      ...(this.#options.routerId !== undefined ? { defaultRouterId: this.#options.routerId } : {}),
      ...(this.#options.closeTimeoutMs !== undefined ? { closeTimeoutMs: this.#options.closeTimeoutMs } : {}),
      ...(options.awaitTable === true ? { awaitTable: true } : {}),
      emit: (event, payload) => {
        if (event === 'sessionUp') this.#problems.delete(ref.name);
        this.#emit(event, { ...payload, name: ref.name, peer: session.peerLabel } as never);
      },
    });
    this.#sessions.set(settings.name, session);
    this.#syncListener(this.#addressKey(settings.peerAddress));
    session.start();
    this.#scheduleMd5Check();
  }

  /** The transport of one peer's session: its dials carry the peer's options, errors are kept. */
  #transportFor(settings: PeerSettings): Transport {
    const options = transportOptionsFor(settings);
    const inner = this.#transport;
    // Problems of a session that was replaced or removed are not recorded.
    const current = (): boolean => this.#sessions.get(settings.name)?.settings === settings;
    return {
      connect: (o: ConnectOptions, done) => {
        const started = this.#clock.now();
        let settled = false;
        const cancel = inner.connect({ ...o, ...options }, (error, conn) => {
          settled = true;
          if (error && current()) this.#problem(settings.name, 'connect', `connection to ${o.host} failed: ${error.message}`);
          done(error, conn);
        });
        return () => {
          const waited = this.#clock.now() - started;
          if (!settled && current() && waited >= 1000) {
            // RFC 2385 §2: a peer that requires another MD5 password (or one we do not send) drops
            // our SYN without a word, so a connect that is never answered is the sign on our side.
            const md5 = settings.password !== undefined ? 'its TCP MD5 password differs (or it has none)' : 'it requires a TCP MD5 password';
            this.#problem(settings.name, 'connect', `no answer to our SYN to ${o.host} port ${o.port} within ${Math.round(waited / 1000)} s: the peer is down or filtered, or ${md5} and drops our segments silently (RFC 2385 §2)`);
          }
          settled = true;
          cancel();
        };
      },
      listen: (o, onConnection) => inner.listen(o, onConnection),
    };
  }

  /** Records (and logs, when it changed) why peer `name` likely cannot connect. */
  #problem(name: string, kind: 'connect' | 'md5', reason: string): void {
    if (!this.#sessions.has(name)) return;
    let entry = this.#problems.get(name);
    if (!entry) this.#problems.set(name, (entry = {}));
    const before = entry[kind];
    entry[kind] = { reason, at: this.#clock.now() };
    if (before?.reason !== reason && this.#sessions.has(name)) {
      this.#logger.warn('connectionProblem', 'BGP peer cannot connect', { peerName: name, reason });
    }
  }

  #addressKey(address: string): string {
    return canonicalIp(address) ?? address;
  }

  /**
   * Sets the listener's options for connections from `address`: those of the first peer at that
   * address (peers told apart by their sourceAddress share the listener's key, which the kernel
   * holds per remote address); a peer whose options differ is told why its connections may fail.
   */
  #syncListener(address: string): void {
    const listener = this.#listener;
    if (!listener) return;
    let chosen: { name: string; options: PeerTransportOptions } | undefined;
    for (const s of this.#sessions.values()) {
      if (this.#addressKey(s.settings.peerAddress) !== address) continue;
      const options = transportOptionsFor(s.settings);
      if (!chosen) chosen = { name: s.settings.name, options };
      else if (options.md5Password !== chosen.options.md5Password || options.ttl !== chosen.options.ttl) {
        this.#problem(s.settings.name, 'connect', `peer ${chosen.name} at the same address ${address} sets another password or TTL; the listener uses ${chosen.name}'s for connections from ${address}`);
      }
    }
    try {
      listener.setPeerOptions(address, chosen?.options);
    } catch (e) {
      if (chosen) this.#problem(chosen.name, 'connect', `connections from ${address} cannot be accepted with its options: ${(e as Error).message}`);
      else this.#logger.error('listenerError', 'cannot remove the options of a peer address from the listener', { address, error: e as Error });
    }
  }

  /** Reads the MD5 counters every interval while there are peers (a fresh baseline for the next failure). */
  #scheduleMd5Check(): void {
    if (this.#md5Timer || this.#closed) return;
    this.#md5Counters ??= this.#readMd5Counters();
    if (!this.#md5Counters) return;
    this.#md5Timer = this.#clock.setTimer(this.#options.tcpMd5CheckIntervalMs ?? 5000, () => {
      this.#md5Timer = undefined;
      this.#checkMd5Counters();
      if (this.#sessions.size > 0) this.#scheduleMd5Check();
      // No peer left: the next one starts from a fresh reading.
      else this.#md5Counters = undefined;
    });
  }

  #checkMd5Counters(): void {
    const before = this.#md5Counters;
    const after = this.#readMd5Counters();
    if (!before || !after) return;
    this.#md5Counters = after;
    for (const s of this.#sessions.values()) {
      if (s.state === 'Established') continue;
      const why = tcpMd5Explanation(s.settings.password !== undefined, before, after);
      if (why !== undefined) this.#problem(s.settings.name, 'md5', why);
    }
  }

  /**
   * Applies new settings to a peer. Unchanged settings do nothing; otherwise the session is closed
   * with Cease 6/6 (other configuration change, RFC 4486) and started again with the new settings,
   * keeping its advertisements.
   */
  async updatePeer(settings: PeerSettings): Promise<void> {
    const old = this.#sessions.get(settings.name);
    if (!old) {
      this.addPeer(settings);
      return;
    }
    if (stableJson(old.settings) === stableJson(settings)) return;
    const errors = validatePeerSettings(settings);
    if (errors.length > 0) throw new RangeError(`peer ${settings.name}: ${errors.join('; ')}`);
    const ads = old.advertisements;
    this.#sessions.delete(settings.name);
    this.#problems.delete(settings.name);
    this.#syncListener(this.#addressKey(old.settings.peerAddress));
    await old.stop(CeaseSubcode.otherConfigChange);
    this.addPeer(settings, { awaitTable: !old.isTableReady });
    this.#sessions.get(settings.name)?.setAdvertisements(ads);
  }

  /**
   * The caller's first complete table for a peer added with `awaitTable` is in: the session sends it
   * (now if Established), then End-of-RIB. Throws on an unknown peer.
   */
  tableReady(name: string): void {
    const s = this.#sessions.get(name);
    if (!s) throw new Error(`no peer ${name}`);
    s.tableReady();
  }

  /**
   * RFC 8326 graceful shutdown of one peer: the peer is removed at once (its name is free again), its
   * routes are re-announced with GRACEFUL_SHUTDOWN (65535:0) and, on iBGP, LOCAL_PREF 0, stay so for
   * `drainMs`, are withdrawn, and the session closes with Cease `subcode` (default 2). Resolves when the
   * NOTIFICATION went out. `endDrains()` cuts the wait short.
   */
  async shutdownPeer(name: string, options: GracefulShutdownOptions): Promise<void> {
    const s = this.#sessions.get(name);
    if (!s) return;
    this.#sessions.delete(name);
    await this.#shutdown(s, options);
  }

  /** Ends every drain now: the sessions waiting withdraw and close at once (a second SIGTERM). */
  endDrains(): void {
    for (const end of [...this.#draining.values()]) end();
  }

  async #shutdown(s: Session, options: GracefulShutdownOptions): Promise<void> {
    const subcode = options.subcode ?? CeaseSubcode.adminShutdown;
    // Nothing to drain on a session that is down, has nothing, or has not sent its table yet.
    if (options.drainMs > 0 && s.state === 'Established' && s.isTableReady && s.advertisementCount > 0) {
      this.#logger.info('gracefulShutdown', 'announcing GRACEFUL_SHUTDOWN, draining before the withdrawal', {
        peer: s.peerLabel,
        drainMs: options.drainMs,
        prefixes: s.advertisementCount,
      });
      s.beginGracefulShutdown();
      await new Promise<void>((resolve) => {
        const timer = this.#clock.setTimer(options.drainMs, () => end());
        const end = (): void => {
          timer.cancel();
          this.#draining.delete(s);
          resolve();
        };
        this.#draining.set(s, end);
      });
    }
    // Withdrawn explicitly before the Cease (which follows the UPDATEs), so the peer drops the routes
    // even if it would keep them over a NOTIFICATION (RFC 8538).
    s.setAdvertisements([]);
    await s.stop(subcode, options.message);
  }

  /** Removes a peer: Cease 6/3 (peer de-configured). Resolves when the NOTIFICATION went out. */
  async removePeer(name: string): Promise<void> {
    const s = this.#sessions.get(name);
    if (!s) return;
    this.#sessions.delete(name);
    this.#problems.delete(name);
    this.#syncListener(this.#addressKey(s.settings.peerAddress));
    await s.stop(CeaseSubcode.peerDeconfigured);
  }

  /**
   * Resets a peer's session: Cease 6/4 (administrative reset, with an optional RFC 9003 message),
   * then connects again.
   */
  async resetPeer(name: string, message?: string): Promise<void> {
    const s = this.#sessions.get(name);
    if (!s) return;
    await s.stop(CeaseSubcode.adminReset, message);
    if (this.#sessions.get(name) === s) s.start();
  }

  /** Replaces the advertisements of a peer (see `Session.setAdvertisements`). */
  setAdvertisements(name: string, ads: readonly Advertisement[]): void {
    const s = this.#sessions.get(name);
    if (!s) throw new Error(`no peer ${name}`);
    s.setAdvertisements(ads);
  }

  /**
   * Changes the advertisements of a peer by `change` (see `Session.updateAdvertisements`): upserts
   * replace their prefix's advertisement, withdrawals of absent prefixes are no-ops; in Established
   * only the UPDATEs for those prefixes are sent. Costs O(change · log n).
   */
  updateAdvertisements(name: string, change: AdvertisementChange): void {
    const s = this.#sessions.get(name);
    if (!s) throw new Error(`no peer ${name}`);
    s.updateAdvertisements(change);
  }

  /** The advertisements desired now for a peer (empty for an unknown peer). */
  advertisementsOf(name: string): readonly Advertisement[] {
    return this.#sessions.get(name)?.advertisements ?? [];
  }

  /** Peer names. */
  peers(): string[] {
    return [...this.#sessions.keys()];
  }

  /** A snapshot of every session. */
  status(): PeerStatus[] {
    return [...this.#sessions.values()].map((s) => this.#statusOf(s));
  }

  #statusOf(s: Session): PeerStatus {
    const st = s.status();
    const p = this.#problems.get(st.name);
    if (!p || st.state === 'Established') return st;
    const parts = [p.md5, p.connect].filter((x): x is { reason: string; at: number } => x !== undefined);
    if (parts.length === 0) return st;
    let at = 0;
    for (const x of parts) if (x.at > at) at = x.at;
    return { ...st, connectionProblem: { reason: parts.map((x) => x.reason).join('; '), at } };
  }

  /** The routes a peer has been sent and not withdrawn (see `Session.advertisedRoutes`). */
  advertisedRoutes(name: string): AdvertisedRoute[] {
    return this.#sessions.get(name)?.advertisedRoutes() ?? [];
  }

  /** A snapshot of one session. */
  peerStatus(name: string): PeerStatus | undefined {
    const s = this.#sessions.get(name);
    return s ? this.#statusOf(s) : undefined;
  }

  /**
   * Closes every session with Cease 6/2 (administrative shutdown, with an optional RFC 9003
   * message) and the listener. With `drainMs` > 0 each Established session is first shut down
   * gracefully (RFC 8326, see `shutdownPeer`): its routes go with GRACEFUL_SHUTDOWN for `drainMs`, then
   * are withdrawn. Resolves when the NOTIFICATIONs went out, within the close timeout after the drain.
   */
  async close(message?: string, options: { readonly drainMs?: number } = {}): Promise<void> {
    this.#closed = true;
    this.#md5Timer?.cancel();
    this.#md5Timer = undefined;
    const listener = this.#listener;
    this.#listener = undefined;
    const sessions = [...this.#sessions.values()];
    this.#sessions.clear();
    const drainMs = options.drainMs ?? 0;
    const stops = sessions.map((s) =>
      drainMs > 0 ? this.#shutdown(s, { drainMs, ...(message !== undefined ? { message } : {}) }) : s.stop(CeaseSubcode.adminShutdown, message),
    );
    await Promise.all([...stops, listener?.close()]);
  }

  #incoming(conn: Connection): void {
    try {
      const session = this.#match(conn);
      if (!session) {
        this.#refused++;
        this.#logger.warn('connectionRefused', 'connection from an address that is not a configured peer refused', {
          remote: `${conn.remoteAddress}:${conn.remotePort}`,
          local: `${conn.localAddress}:${conn.localPort}`,
        });
        conn.destroy();
        this.#emit('connectionRefused', { remoteAddress: conn.remoteAddress, remotePort: conn.remotePort, localAddress: conn.localAddress });
        return;
      }
      session.acceptConnection(conn);
    } catch (e) {
      this.#logger.error('listenerError', 'error handling an incoming connection', { error: e as Error });
      conn.destroy();
    }
  }

  #match(conn: Connection): Session | undefined {
    const remote = normalizeAddress(conn.remoteAddress);
    const local = normalizeAddress(conn.localAddress);
    let fallback: Session | undefined;
    for (const s of this.#sessions.values()) {
      const st = s.settings;
      if ((canonicalIp(st.peerAddress) ?? st.peerAddress) !== remote) continue;
      if (st.sourceAddress !== undefined) {
        if ((canonicalIp(st.sourceAddress) ?? st.sourceAddress) === local) return s;
      } else {
        fallback ??= s;
      }
    }
    return fallback;
  }
}

/** JSON with object keys sorted, to compare settings regardless of key order. */
function stableJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}
