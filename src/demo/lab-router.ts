/**
 * The demo's lab router, built on metallb-ts's own BGP `Speaker`: passive (it listens and never
 * dials), it accepts exactly the configured neighbours, keeps what each announces (from the speaker's
 * `updateReceived` events) in a `LabRib`, and reports the neighbour table and routes the way a switch
 * shows them. It also records every NOTIFICATION its neighbours send (the Cease of a clean shutdown).
 */
import { Speaker } from '../bgp/session/speaker.js';
import type { Logger } from '../observe/log.js';
import { silentLogger } from '../observe/log.js';
import { parseIp } from '../model/ip.js';
import type { InstalledRoute } from './lab-rib.js';
import { LabRib } from './lab-rib.js';
import type { NeighborRow } from './router-view.js';
import type { LabRouterSpec } from './topology.js';
import type { RouterSnapshot } from './view-printer.js';

/** A NOTIFICATION a neighbour sent. */
export interface ReceivedNotification {
  readonly neighbor: string;
  readonly code: number;
  readonly subcode: number;
  /** The RFC 9003 shutdown communication, if any. */
  readonly communication?: string;
  readonly atMs: number;
}

export interface LabRouterOptions {
  /** Where the router's own BGP logs go (default: nowhere). */
  readonly logger?: Logger;
  /** Hold time the router proposes, seconds (default 90). */
  readonly holdTimeSec?: number;
}

/** A passive BGP router for the lab. */
export class LabRouter {
  readonly spec: LabRouterSpec;
  readonly #speaker: Speaker;
  readonly #rib = new LabRib();
  readonly #listeners = new Set<() => void>();
  readonly #notificationListeners = new Set<(n: ReceivedNotification) => void>();
  readonly #notifications: ReceivedNotification[] = [];
  readonly #established = new Map<string, number>();
  /** Neighbour name (node) → address. */
  readonly #addressOf = new Map<string, string>();
  readonly #asnOf = new Map<string, number>();
  readonly #refusedList: { address: string; atMs: number }[] = [];
  readonly #holdTimeSec: number;

  constructor(spec: LabRouterSpec, options: LabRouterOptions = {}) {
    this.spec = spec;
    this.#holdTimeSec = options.holdTimeSec ?? 90;
    const v4 = parseIp(spec.address)?.family === 'ipv4';
    this.#speaker = new Speaker({
      listen: { address: spec.address, port: spec.port },
      logger: options.logger ?? silentLogger,
      ...(v4 ? { routerId: spec.address } : { routerId: '10.255.255.254' }),
    });
    for (const n of spec.neighbors) {
      this.#addressOf.set(n.node, n.address);
      this.#asnOf.set(n.address, n.asn);
    }
    const changed = (): void => {
      for (const fn of this.#listeners) fn();
    };
    this.#speaker.on('updateReceived', (e) => {
      const neighbor = this.#addressOf.get(e.name) ?? e.name;
      if (this.#rib.applyUpdate(neighbor, e.update, Date.now(), e.withdrawAll)) changed();
    });
    this.#speaker.on('sessionUp', (e) => {
      const neighbor = this.#addressOf.get(e.name) ?? e.name;
      this.#established.set(neighbor, (this.#established.get(neighbor) ?? 0) + 1);
      changed();
    });
    this.#speaker.on('sessionDown', (e) => {
      // RFC 4271 §9.1: the routes of a session that went down are gone.
      this.#rib.dropNeighbor(this.#addressOf.get(e.name) ?? e.name);
      changed();
    });
    this.#speaker.on('stateChange', () => changed());
    this.#speaker.on('notificationReceived', (e) => {
      const n: ReceivedNotification = {
        neighbor: this.#addressOf.get(e.name) ?? e.name,
        code: e.notification.code,
        subcode: e.notification.subcode,
        ...(e.notification.communication !== undefined ? { communication: e.notification.communication } : {}),
        atMs: e.notification.at,
      };
      this.#notifications.push(n);
      for (const fn of this.#notificationListeners) fn(n);
      changed();
    });
    this.#speaker.on('connectionRefused', (e) => {
      this.#refusedList.push({ address: e.remoteAddress, atMs: Date.now() });
    });
  }

  /** Starts listening and waits for the neighbours. Rejects when the address cannot be bound. */
  async start(): Promise<void> {
    await this.#speaker.start();
    for (const n of this.spec.neighbors) {
      this.#speaker.addPeer({
        name: n.node,
        localAsn: this.spec.asn,
        peerAsn: n.asn,
        peerAddress: n.address,
        passive: true,
        holdTimeSec: this.#holdTimeSec,
        // The lab runs on this host's loopback: the speakers' 127/8 next hops are real addresses here.
        loopbackNextHop: true,
      });
    }
  }

  /** The port the router listens on (the spec's, or the one the system chose for port 0). */
  get port(): number {
    return this.#speaker.listenAddress?.port ?? this.spec.port;
  }

  /** Calls `fn` whenever sessions or routes may have changed. */
  onChange(fn: () => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  /** Calls `fn` with every NOTIFICATION a neighbour sends. */
  onNotification(fn: (n: ReceivedNotification) => void): () => void {
    this.#notificationListeners.add(fn);
    return () => this.#notificationListeners.delete(fn);
  }

  /** The neighbour table. */
  neighbors(): NeighborRow[] {
    const byName = new Map(this.#speaker.status().map((s) => [s.name, s]));
    return this.spec.neighbors.map((n) => {
      const s = byName.get(n.node);
      const received = s ? sumCounts(s.counters.messagesReceived) : 0;
      const sent = s ? sumCounts(s.counters.messagesSent) : 0;
      const state = s?.state ?? 'Idle';
      const everUp = (this.#established.get(n.address) ?? 0) > 0;
      return {
        address: n.address,
        asn: n.asn,
        msgRcvd: received,
        msgSent: sent,
        state,
        ...(s && (state === 'Established' || everUp) ? { sinceMs: s.stateSince } : {}),
        prefixes: this.#rib.prefixCount(n.address),
      };
    });
  }

  /** The installed routes (ECMP across neighbours). */
  routes(): InstalledRoute[] {
    return this.#rib.routes();
  }

  /** Every NOTIFICATION received, in order. */
  notifications(): readonly ReceivedNotification[] {
    return this.#notifications;
  }

  /** How many times the session with `address` reached Established. */
  establishedCount(address: string): number {
    return this.#established.get(address) ?? 0;
  }

  /** Connections refused because they came from no configured neighbour. */
  refused(): readonly { address: string; atMs: number }[] {
    return this.#refusedList;
  }

  /** What the view printer shows. */
  snapshot(): RouterSnapshot {
    return {
      title: `lab router ${this.spec.address}:${this.port} AS ${this.spec.asn}`,
      routerId: parseIp(this.spec.address)?.family === 'ipv4' ? this.spec.address : '10.255.255.254',
      localAs: this.spec.asn,
      neighbors: this.neighbors(),
      routes: this.routes(),
      isInternal: (neighbor) => this.#asnOf.get(neighbor) === this.spec.asn,
    };
  }

  /** Closes every session (Cease, administrative shutdown) and the listener. */
  async close(): Promise<void> {
    await this.#speaker.close();
  }
}

function sumCounts(c: Readonly<Record<string, number>>): number {
  let n = 0;
  for (const v of Object.values(c)) n += v;
  return n;
}
