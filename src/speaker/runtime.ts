/**
 * The speaker runtime of one node: takes full snapshots of the cluster (configuration, nodes, services,
 * endpoint slices) and drives a BGP speaker so that it holds exactly the sessions and advertisements
 * the snapshot calls for. MetalLB's `speaker/main.go` and `bgp_controller.go` in one loop, with the
 * decisions made by pure layers (allocator, announcement planner, plan diff) and only their
 * difference sent to the speaker.
 *
 * Invariants:
 * - A session is added, removed or replaced only when a setting it depends on changes (`diffConfig`'s
 *   `resetSession` fields, or the node address it binds to) or the peer stops/starts selecting this
 *   node. A change of services, endpoints, pools, advertisements or of other peers never touches it,
 *   nor does the renumbering of legacy peers.
 * - `setAdvertisements` is called for a peer only when what it should receive changed (or its session
 *   is new), always with the full desired set; the session diffs it into UPDATEs.
 * - A snapshot that failed to parse or validate changes nothing: the last good state keeps running
 *   and the failure is logged as MetalLB does (`failed to parse the configuration`).
 * - Allocation is deterministic, so every node reading the same manifests agrees on every IP.
 *
 * The speaker is reached through `SpeakerPort`, so tests drive the runtime with a fake one. The
 * sessions log their own `sessionUp` / `sessionDown` (src/bgp/session), in the same shape.
 */
import type { Config, ConfigIssue } from '../config/types.js';
import type { EndpointSlice, Node, Service } from '../model/kubernetes.js';
import { parseIp } from '../model/ip.js';
import type { LogFields, Logger } from '../observe/log.js';
import { diffPlans } from './plan-diff.js';
import type { WithdrawReason } from './plan-diff.js';
import { planAnnouncements } from './planner.js';
import type { AnnouncedService, AnnouncementPlan, PeerPlan, ServiceIps } from './planner.js';
import { allocateAll } from '../allocator/allocator.js';
import { diffConfig } from '../config/diff.js';
import type { NamespaceLabels } from '../allocator/types.js';

/** Everything one BGP session needs, after the runtime applied its node's defaults. */
export interface SessionSettings {
  /**
   * The session's key in the speaker: the peer's name (BGPPeer name, `peerN` for legacy peers) when
   * the session started. A session kept across a rename keeps its key.
   */
  readonly name: string;
  readonly peerAddress: string;
  readonly peerPort: number;
  readonly myAsn: number;
  readonly peerAsn?: number;
  readonly dynamicAsn?: 'internal' | 'external';
  /**
   * The local address the session binds to: the peer's `sourceAddress`, or else this node's own
   * address of the peer's family (its Node object's InternalIP), or none when the node has none.
   */
  readonly sourceAddress?: string;
  readonly holdTime: number;
  readonly keepaliveTime: number;
  readonly connectTime?: number;
  readonly routerId?: string;
  readonly password?: string;
  readonly ebgpMultiHop: boolean;
  readonly enableGracefulRestart: boolean;
}

/** One prefix for one peer, with its attributes. */
export interface RouteAdvertisement {
  /** `10.10.10.12/32`. */
  readonly prefix: string;
  /** Sent only to iBGP peers (the planner leaves it out for eBGP). */
  readonly localPref?: number;
  readonly communities: readonly string[];
  readonly largeCommunities: readonly string[];
}

/** What the runtime needs of a BGP speaker (`src/bgp/session`'s Speaker, through an adapter). */
export interface SpeakerPort {
  /** Starts a session to a new peer. */
  addPeer(settings: SessionSettings): void;
  /** Closes the session to a peer (Cease, RFC 4486 §4 subcode 3 "Peer De-configured") and forgets it. */
  removePeer(name: string): void;
  /** Replaces the full set of prefixes the peer should have. */
  setAdvertisements(name: string, advertisements: readonly RouteAdvertisement[]): void;
}

/** A snapshot the runtime can apply. */
export interface ClusterSnapshot {
  readonly ok: true;
  readonly config: Config;
  readonly nodes: readonly Node[];
  readonly services: readonly Service[];
  readonly endpointSlices: readonly EndpointSlice[];
  /** Namespace labels, for pools' namespaceSelectors (none when absent). */
  readonly namespaces?: NamespaceLabels;
}

/** A snapshot that could not be read or validated: its problems. */
export interface RejectedSnapshot {
  readonly ok: false;
  readonly errors: readonly ConfigIssue[];
}

/** The allocation of every service: IPs and pool, or why it has none. */
export interface AllocationOutcome {
  readonly allocations: ReadonlyMap<string, ServiceIps>;
  /** Services that could not get an IP: MetalLB's event reason, the rule, a sentence. */
  readonly failures: ReadonlyMap<string, { readonly reason: string; readonly rule: string; readonly message: string }>;
}

/** Allocates IPs for every service from `config`'s pools; a pure function of its arguments. */
export type AllocateFn = (config: Config, services: readonly Service[], namespaces?: NamespaceLabels) => AllocationOutcome;

/**
 * The allocation of standalone mode: the whole state from the snapshot alone (`allocateAll`), so
 * every node that reads the same files computes the same IPs, whatever it saw before. A service keeps
 * an IP written in its manifest (`status.loadBalancer.ingress`, `metallb.io/loadBalancerIPs`).
 */
export function allocateFromSnapshot(config: Config, services: readonly Service[], namespaces: NamespaceLabels = {}): AllocationOutcome {
  const result = allocateAll({ pools: config.pools, services, namespaces, options: { standalone: true } });
  const allocations = new Map<string, ServiceIps>();
  const failures = new Map<string, { reason: string; rule: string; message: string }>();
  for (const r of result.services) {
    if (r.ips.length > 0 && r.pool !== undefined) allocations.set(r.service, { ips: r.ips, pool: r.pool });
    else if (r.error) failures.set(r.service, { reason: r.error.reason, rule: r.error.rule, message: r.error.message });
  }
  return { allocations, failures };
}

/** Says whether two configurations differ (and how), for the `config reloaded` log. */
export type ConfigChangedFn = (before: Config | undefined, after: Config) => boolean;

export interface RuntimeOptions {
  /** This node's name (its Node object must be in the snapshot for it to peer). */
  readonly node: string;
  readonly speaker: SpeakerPort;
  readonly logger: Logger;
  /** Default `allocateFromSnapshot`. */
  readonly allocate?: AllocateFn;
  /** Default: the two configurations differ in any field. */
  readonly configChanged?: ConfigChangedFn;
}

/** What `apply` did, for callers and tests. */
export interface ApplyResult {
  readonly applied: boolean;
  readonly plan?: AnnouncementPlan;
}

/** The node's address of `family`: its InternalIP, or else its ExternalIP, in the order listed. */
export function nodeAddressOf(node: Node, family: 'ipv4' | 'ipv6'): string | undefined {
  const addresses = node.status?.addresses ?? [];
  for (const type of ['InternalIP', 'ExternalIP']) {
    for (const a of addresses) {
      if (a.type !== type) continue;
      const ip = parseIp(a.address);
      if (ip?.family === family) return a.address;
    }
  }
  return undefined;
}

/**
 * The settings of the session to `peer` from `node`. Without a configured sourceAddress, the session
 * binds to the node's own address of the peer's family, so that on a host with many addresses (or a
 * loopback lab where every node is 127.0.0.x) the router sees the node's address.
 */
export function sessionSettingsFor(peer: PeerPlan, node: Node): SessionSettings {
  const c = peer.config;
  const family = parseIp(c.peerAddress)?.family ?? 'ipv4';
  const source = c.sourceAddress ?? nodeAddressOf(node, family);
  return {
    name: c.name,
    peerAddress: c.peerAddress,
    peerPort: c.peerPort,
    myAsn: c.myAsn,
    ...(c.peerAsn !== undefined ? { peerAsn: c.peerAsn } : {}),
    ...(c.dynamicAsn !== undefined ? { dynamicAsn: c.dynamicAsn } : {}),
    ...(source !== undefined ? { sourceAddress: source } : {}),
    holdTime: c.holdTime,
    keepaliveTime: c.keepaliveTime,
    ...(c.connectTime !== undefined ? { connectTime: c.connectTime } : {}),
    ...(c.routerId !== undefined ? { routerId: c.routerId } : {}),
    ...(c.password !== undefined ? { password: c.password } : {}),
    ebgpMultiHop: c.ebgpMultiHop,
    enableGracefulRestart: c.enableGracefulRestart,
  };
}

function advertisementsOf(peer: PeerPlan): RouteAdvertisement[] {
  return peer.advertisements.map((a) => ({
    prefix: a.prefix,
    ...(a.localPref !== undefined ? { localPref: a.localPref } : {}),
    communities: a.communities,
    largeCommunities: a.largeCommunities,
  }));
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** MetalLB logs a single-stack service's `ip` as one address, a dual-stack one's as a list. */
function ipField(ips: readonly string[]): string | readonly string[] {
  return ips.length === 1 ? (ips[0] ?? '') : ips;
}

/** The runtime of one node's speaker. */
export class SpeakerRuntime {
  private readonly options: RuntimeOptions;
  private readonly log: Logger;
  private lastGood: ClusterSnapshot | undefined;
  private plan: AnnouncementPlan | undefined;
  private allocation: AllocationOutcome | undefined;
  /** Peers with a session, by name: the settings it was started with and what it was last sent. */
  /**
   * Sessions by their key in the speaker (the peer's name when the session started): the peer's
   * current name, the settings the session started with, and what it was last sent.
   */
  private readonly sessions = new Map<string, { peerName: string; settings: SessionSettings; sent: RouteAdvertisement[] | undefined }>();
  private nodeMissingLogged = false;
  /** The configuration the sessions were last reconciled with. */
  private sessionConfig: Config | undefined;
  /** An allocation done by `allocateAhead`, for `apply` of the same snapshot. */
  private allocatedAhead: { readonly snapshot: ClusterSnapshot; readonly outcome: AllocationOutcome } | undefined;
  /** The configuration last logged as `config reloaded`. */
  private loggedConfig: Config | undefined;
  /** The per-service lines (a reload that announces 10 000 services logs 30 000 of them). */
  private readonly logIpAllocated: (fields: LogFields) => void;
  private readonly logUpdatedAdvertisements: (fields: LogFields) => void;
  private readonly logServiceAnnounced: (fields: LogFields) => void;
  private readonly logServiceWithdrawn: (fields: LogFields) => void;

  constructor(options: RuntimeOptions) {
    this.options = options;
    this.log = options.logger;
    this.logIpAllocated = this.log.bind('info', 'ipAllocated', 'IP address assigned by controller');
    this.logUpdatedAdvertisements = this.log.bind('info', 'updatedAdvertisements', 'making advertisements using BGP');
    this.logServiceAnnounced = this.log.bind('info', 'serviceAnnounced', 'service has IP, announcing');
    this.logServiceWithdrawn = this.log.bind('info', 'serviceWithdrawn', 'withdrawing service announcement');
  }

  /** The snapshot currently in force, if any was ever good. */
  get current(): ClusterSnapshot | undefined {
    return this.lastGood;
  }

  /** The plan currently in force. */
  get currentPlan(): AnnouncementPlan | undefined {
    return this.plan;
  }

  /** Settings of the sessions the runtime keeps, by session key. */
  sessionSettings(): ReadonlyMap<string, SessionSettings> {
    return new Map([...this.sessions].map(([k, v]) => [k, v.settings]));
  }

  /**
   * At start (no snapshot applied yet, no session): opens the sessions a good snapshot calls for
   * before its services are allocated and planned, so that the BGP handshake overlaps that work. The
   * peers this node selects do not depend on services (peer nodeSelectors and the node's address
   * only). The sessions get their advertisements from `apply(snapshot)`, which keeps them. Says
   * whether a session was opened.
   */
  openSessions(snapshot: ClusterSnapshot | RejectedSnapshot): boolean {
    if (!snapshot.ok || this.lastGood !== undefined || this.sessions.size > 0) return false;
    const node = snapshot.nodes.find((n) => n.metadata.name === this.options.node);
    if (!node) return false;
    this.logConfig(snapshot.config);
    const peersOnly = planAnnouncements({ config: snapshot.config, node, services: [], allocations: new Map(), endpointSlices: [] });
    this.reconcileSessions(snapshot.config, node, peersOnly, false);
    return this.sessions.size > 0;
  }

  /**
   * Allocates a good snapshot's services ahead of `apply(snapshot)`, which then uses this result
   * (allocation is a pure function of the snapshot), so that a caller can let I/O run between the two.
   */
  allocateAhead(snapshot: ClusterSnapshot | RejectedSnapshot): void {
    if (!snapshot.ok) return;
    const outcome = (this.options.allocate ?? allocateFromSnapshot)(snapshot.config, snapshot.services, snapshot.namespaces);
    this.allocatedAhead = { snapshot, outcome };
  }

  /** Logs `config reloaded` (and the configuration's warnings) when the configuration changed. */
  private logConfig(config: Config): void {
    const configChanged = this.options.configChanged ?? ((a: Config | undefined, b: Config) => !sameJson(a, b));
    const changed = configChanged(this.loggedConfig, config);
    this.loggedConfig = config;
    if (!changed) return;
    this.log.info('config reloaded', 'config (re)loaded', {
      peers: config.peers.length,
      pools: config.pools.length,
      advertisements: config.advertisements.length,
    });
    for (const w of config.warnings) {
      this.log.warn('configWarning', w.message, { rule: w.rule, object: w.object, path: w.path });
    }
  }

  /**
   * Applies a snapshot: a rejected one is logged and changes nothing; a good one is allocated,
   * planned for this node and its difference sent to the speaker.
   */
  apply(snapshot: ClusterSnapshot | RejectedSnapshot): ApplyResult {
    if (!snapshot.ok) {
      const errors = snapshot.errors.filter((e) => e.severity === 'error');
      const shown = errors.length > 0 ? errors : snapshot.errors;
      this.log.error('configStale', 'failed to parse the configuration', {
        error: shown.map(describeIssue).join('; '),
        errors: shown.map((e) => ({
          rule: e.rule,
          object: e.object,
          path: e.path,
          message: e.message,
          ...(e.file !== undefined ? { file: e.file } : {}),
          ...(e.line !== undefined ? { line: e.line } : {}),
        })),
        keeping: this.lastGood ? 'last good configuration' : 'no configuration yet',
      });
      return { applied: false };
    }

    this.logConfig(snapshot.config);

    // Allocation: every node computes the same answer from the same snapshot.
    const ahead = this.allocatedAhead?.snapshot === snapshot ? this.allocatedAhead.outcome : undefined;
    this.allocatedAhead = undefined;
    const outcome = ahead ?? (this.options.allocate ?? allocateFromSnapshot)(snapshot.config, snapshot.services, snapshot.namespaces);
    for (const [service, a] of outcome.allocations) {
      const before = this.allocation?.allocations.get(service);
      if (before && sameJson(before, a)) continue;
      this.logIpAllocated({ ip: a.ips, pool: a.pool, service });
    }
    for (const [service, f] of outcome.failures) {
      const before = this.allocation?.failures.get(service);
      if (before && sameJson(before, f)) continue;
      this.log.error(f.reason, 'IP allocation failed', { error: f.message, op: 'allocateIP', rule: f.rule, service });
    }
    this.allocation = outcome;

    const node = snapshot.nodes.find((n) => n.metadata.name === this.options.node);
    let plan: AnnouncementPlan;
    if (node) {
      this.nodeMissingLogged = false;
      plan = planAnnouncements({
        config: snapshot.config,
        node,
        services: snapshot.services,
        allocations: outcome.allocations,
        endpointSlices: snapshot.endpointSlices,
      });
    } else {
      if (!this.nodeMissingLogged) {
        this.log.error('nodeNotFound', 'this node has no Node object in the manifests; announcing nothing', { node: this.options.node });
        this.nodeMissingLogged = true;
      }
      plan = {
        node: this.options.node,
        peers: [],
        unselectedPeers: snapshot.config.peers.map((p) => p.name),
        announcedServices: [],
        withheld: [],
        withoutPeers: [],
        ignored: [],
      };
    }

    const diff = diffPlans(this.plan, plan);

    this.reconcileSessions(snapshot.config, node, plan, true);

    // MetalLB's service logs, on change only.
    for (const w of diff.withdrawn) this.logWithdrawn(w.service, w.ips, w.pool, node ? w.reason : 'nodeNotFound');
    for (const s of [...diff.announced, ...diff.updated]) this.logAnnounced(s);

    this.lastGood = snapshot;
    this.plan = plan;
    return { applied: true, plan };
  }

  /**
   * Sessions follow `diffConfig`: a peer keeps its session unless a field that the session depends on
   * changed (`resetSession`: address, port, ASNs, hold time, router ID, ...), the node address it binds
   * to moved, or it stopped selecting this node. A legacy peer renumbered because an earlier one was
   * deleted (`peer2` becoming `peer1`) keeps its session. Only then are advertisements sent, and only
   * to peers whose set changed.
   */
  private reconcileSessions(config: Config, node: Node | undefined, plan: AnnouncementPlan, advertise: boolean): void {
    const previous = this.sessionConfig;
    this.sessionConfig = config;
    const desired = new Map<string, { plan: PeerPlan; settings: SessionSettings }>();
    if (node) for (const p of plan.peers) desired.set(p.name, { plan: p, settings: sessionSettingsFor(p, node) });

    // Which current peer name each new name continues, and whether the change needs a new session.
    const continues = new Map<string, { readonly from: string; readonly reset: boolean; readonly fields: readonly string[] }>();
    if (previous) {
      const d = diffConfig(previous, config);
      for (const name of d.peers.unchanged) continues.set(name, { from: name, reset: false, fields: [] });
      for (const c of d.peers.changed) continues.set(c.name, { from: c.old.name, reset: c.resetSession, fields: c.fields });
    }
    const successorOf = new Map([...continues].map(([to, c]) => [c.from, { to, ...c }]));
    const configured = new Set(config.peers.map((p) => p.name));

    for (const [key, s] of [...this.sessions]) {
      const next = successorOf.get(s.peerName);
      const want = next ? desired.get(next.to) : undefined;
      let reason: string | undefined;
      if (!next || !configured.has(next.to)) reason = 'removedFromConfig';
      else if (!want) reason = 'filteredByNodeSelector';
      else if (next.reset || want.settings.sourceAddress !== s.settings.sourceAddress) reason = 'removedFromConfig';
      if (reason === undefined && next && want) {
        // Kept: same session, possibly under its new name; fields that need no reset apply from the
        // next session (keepalive and connect time, node selectors, BFD profile).
        const changedFields = next.fields.filter((f) => f !== 'name');
        if (next.to !== s.peerName || changedFields.length > 0) {
          this.log.info('peerUpdated', 'peer configuration changed, keeping the BGP session', {
            peer: s.settings.peerAddress,
            peerName: next.to,
            ...(next.to !== s.peerName ? { previousName: s.peerName } : {}),
            ...(changedFields.length > 0 ? { fields: changedFields } : {}),
          });
        }
        s.peerName = next.to;
        continue;
      }
      this.log.info('peerRemoved', 'peer deconfigured, closing BGP session', {
        peer: s.settings.peerAddress,
        peerName: s.peerName,
        reason,
      });
      this.options.speaker.removePeer(key);
      this.sessions.delete(key);
    }

    const sessionOf = new Map([...this.sessions].map(([key, s]) => [s.peerName, key]));
    for (const [name, want] of desired) {
      if (sessionOf.has(name)) continue;
      let key = name;
      for (let i = 2; this.sessions.has(key); i++) key = `${name}#${i}`;
      const settings = { ...want.settings, name: key };
      this.log.info('peerAdded', 'peer added, starting BGP session', {
        holdTime: `${settings.holdTime}s`,
        localASN: settings.myAsn,
        peer: settings.peerAddress,
        peerASN: settings.peerAsn ?? settings.dynamicAsn,
        peerName: name,
        port: settings.peerPort,
        routerID: settings.routerId,
        sourceAddress: settings.sourceAddress,
      });
      this.options.speaker.addPeer(settings);
      this.sessions.set(key, { peerName: name, settings, sent: undefined });
      sessionOf.set(name, key);
    }

    if (!advertise) return;
    for (const [name, want] of desired) {
      const key = sessionOf.get(name);
      const s = key !== undefined ? this.sessions.get(key) : undefined;
      if (key === undefined || !s) continue;
      const ads = advertisementsOf(want.plan);
      if (s.sent && sameJson(s.sent, ads)) continue;
      this.options.speaker.setAdvertisements(key, ads);
      s.sent = ads;
    }
  }

  private logAnnounced(s: AnnouncedService): void {
    const fields = { ip: ipField(s.ips), pool: s.pool, protocol: 'bgp', service: s.service };
    this.logUpdatedAdvertisements({ ...fields, numAds: s.numAds });
    this.logServiceAnnounced(fields);
  }

  private logWithdrawn(service: string, ips: readonly string[], pool: string, reason: WithdrawReason | 'nodeNotFound'): void {
    this.logServiceWithdrawn({
      ip: ipField(ips),
      pool,
      protocol: 'bgp',
      reason,
      service,
    });
  }
}

function describeIssue(e: ConfigIssue): string {
  const where = e.file !== undefined ? `${e.file}${e.line !== undefined ? `:${e.line}` : ''}: ` : '';
  return `${where}${e.object} ${e.path}: ${e.message}`;
}
