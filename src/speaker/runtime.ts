/**
 * The speaker runtime of one node: takes batches of object changes (`src/model/cluster.ts`), feeds
 * them to the pipeline (`ClusterState` for the configuration and the allocation, `NodePlanner` for
 * this node's announcements) and drives a BGP speaker so that it holds exactly the sessions and
 * advertisements the cluster calls for. MetalLB's `speaker/main.go` and `bgp_controller.go` in one
 * loop, with the decisions made by the pure layers and only their difference sent to the speaker.
 *
 * Invariants:
 * - A session is added, removed or replaced only when a setting it depends on changes (`diffConfig`'s
 *   `resetSession` fields, or the node address it binds to) or the peer stops/starts selecting this
 *   node. A change of services, endpoints, pools, advertisements or of other peers never touches it,
 *   nor does the renumbering of legacy peers.
 * - A service change costs its own planning: the peers get only the prefixes that changed
 *   (`updateAdvertisements`); a new configuration or Node object replans the node and hands every
 *   session its whole set, which the session diffs.
 * - A configuration that does not build, a file that does not parse and an invalid object change
 *   nothing that was working: the last good version stays, and the failure is logged as MetalLB does
 *   (`failed to parse the configuration`).
 * - Allocation is a function of the objects (standalone mode), so every node reading the same
 *   manifests agrees on every IP.
 *
 * The speaker is reached through `SpeakerPort`, so tests drive the runtime with a fake one. The
 * sessions log their own `sessionUp` / `sessionDown` (src/bgp/session), in the same shape.
 */
import type { PeerSettings } from '../bgp/session/settings.js';
import type { Config, ConfigIssue, PeerConfig } from '../config/types.js';
import type { ChangeBatch, ObjectIssue } from '../model/cluster.js';
import type { Node } from '../model/kubernetes.js';
import { parseIp } from '../model/ip.js';
import type { LogFields, Logger } from '../observe/log.js';
import { ClusterState } from '../pipeline/cluster-state.js';
import type { ClusterDelta } from '../pipeline/cluster-state.js';
import { NodePlanner } from './planner.js';
import type { AnnouncedService, AnnouncementPlan, PlanChanges, WithdrawReason } from './planner.js';
import { diffConfig } from '../config/diff.js';

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
  addPeer(settings: PeerSettings): void;
  /** Closes the session to a peer (Cease, RFC 4486 §4 subcode 3 "Peer De-configured") and forgets it. */
  removePeer(name: string): void;
  /** Replaces the full set of prefixes the peer should have. */
  setAdvertisements(name: string, advertisements: readonly RouteAdvertisement[]): void;
  /**
   * Changes part of the set: `upsert` replaces (or adds) those prefixes' advertisements, `withdraw`
   * removes those prefixes. The same as `setAdvertisements` of the changed set, at the cost of the change.
   */
  updateAdvertisements(name: string, upsert: readonly RouteAdvertisement[], withdraw: readonly string[]): void;
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
 * The settings of the session to `peer` from `node` (the BGP library's own shape). Without a
 * configured sourceAddress, the session binds to the node's own address of the peer's family, so that
 * on a host with many addresses (or a loopback lab where every node is 127.0.0.x) the router sees the
 * node's address. A session between two 127/8 addresses runs on one host's loopback (the demo's lab):
 * its 127/8 next hop is a real local address there, so routes are sent with it.
 */
export function sessionSettingsFor(c: PeerConfig, node: Node): PeerSettings {
  const family = parseIp(c.peerAddress)?.family ?? 'ipv4';
  const source = c.sourceAddress ?? nodeAddressOf(node, family);
  return {
    name: c.name,
    localAsn: c.myAsn,
    ...(c.peerAsn !== undefined ? { peerAsn: c.peerAsn } : {}),
    ...(c.dynamicAsn !== undefined ? { dynamicAsn: c.dynamicAsn } : {}),
    peerAddress: c.peerAddress,
    peerPort: c.peerPort,
    ...(source !== undefined ? { sourceAddress: source } : {}),
    holdTimeSec: c.holdTime,
    keepaliveSec: c.keepaliveTime,
    ...(c.connectTime !== undefined ? { connectTimeSec: c.connectTime } : {}),
    ...(c.routerId !== undefined ? { routerId: c.routerId } : {}),
    gracefulRestart: c.enableGracefulRestart,
    ...(source !== undefined && isIpv4Loopback(source) && isIpv4Loopback(c.peerAddress) ? { loopbackNextHop: true } : {}),
  };
}

/** Whether `address` is in 127/8 (RFC 1122 §3.2.1.3). */
function isIpv4Loopback(address: string): boolean {
  const ip = parseIp(address);
  return ip !== undefined && ip.family === 'ipv4' && ip.value >> 24n === 127n;
}

/** MetalLB logs a single-stack service's `ip` as one address, a dual-stack one's as a list. */
function ipField(ips: readonly string[]): string | readonly string[] {
  return ips.length === 1 ? (ips[0] ?? '') : ips;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Says whether two configurations differ (and how), for the `config reloaded` log. */
export type ConfigChangedFn = (before: Config | undefined, after: Config) => boolean;

export interface RuntimeOptions {
  /** This node's name (its Node object must be known for it to peer). */
  readonly node: string;
  readonly speaker: SpeakerPort;
  readonly logger: Logger;
  /** Manifests without a cluster (default true: `run` reads files). */
  readonly standalone?: boolean;
  /** MetalLB's `--lb-class`. */
  readonly loadBalancerClass?: string;
  /** Default: the two configurations differ in any field. */
  readonly configChanged?: ConfigChangedFn;
}

/** What `apply` did, for callers and tests. */
export interface ApplyResult {
  /** False when the batch left the configuration stale (it did not build, or a file did not parse). */
  readonly applied: boolean;
  readonly delta: ClusterDelta;
  /**
   * What the plan's services did (announced, updated, withdrawn, with their peers), when the batch
   * replanned any: for status writers that follow the plan without recomputing it.
   */
  readonly changes?: PlanChanges;
}

/**
 * A change hands a peer its whole set instead of the change when the change is this large: the
 * session then diffs one sorted set (an initial load of 100 000 services is one such change).
 */
const WHOLE_SET_RATIO = 4;

/** The runtime of one node's speaker. */
export class SpeakerRuntime {
  readonly #options: RuntimeOptions;
  readonly #log: Logger;
  /** The pipeline's state: configuration, objects, allocation. */
  readonly cluster: ClusterState;
  /** This node's plan. */
  readonly planner: NodePlanner;
  /**
   * Sessions by their key in the speaker (the peer's name when the session started): the peer's
   * current name and the settings the session started with.
   */
  readonly #sessions = new Map<string, { peerName: string; settings: PeerSettings }>();
  /** The configuration and Node object the plan and the sessions were last reset with. */
  #planned: { config: Config; node: Node | undefined } | undefined;
  #nodeMissingLogged = false;
  /** The configuration last logged as `config reloaded`. */
  #loggedConfig: Config | undefined;
  /** The per-service lines (a reload that announces 10 000 services logs 30 000 of them). */
  readonly #logIpAllocated: (fields: LogFields) => void;
  readonly #logUpdatedAdvertisements: (fields: LogFields) => void;
  readonly #logServiceAnnounced: (fields: LogFields) => void;
  readonly #logServiceWithdrawn: (fields: LogFields) => void;

  constructor(options: RuntimeOptions) {
    this.#options = options;
    this.#log = options.logger;
    this.cluster = new ClusterState({
      standalone: options.standalone ?? true,
      ...(options.loadBalancerClass !== undefined ? { loadBalancerClass: options.loadBalancerClass } : {}),
    });
    this.planner = new NodePlanner(options.node, this.cluster, {
      ...(options.loadBalancerClass !== undefined ? { loadBalancerClass: options.loadBalancerClass } : {}),
    });
    this.#logIpAllocated = this.#log.bind('info', 'ipAllocated', 'IP address assigned by controller');
    this.#logUpdatedAdvertisements = this.#log.bind('info', 'updatedAdvertisements', 'making advertisements using BGP');
    this.#logServiceAnnounced = this.#log.bind('info', 'serviceAnnounced', 'service has IP, announcing');
    this.#logServiceWithdrawn = this.#log.bind('info', 'serviceWithdrawn', 'withdrawing service announcement');
  }

  /** This node's name. */
  get node(): string {
    return this.#options.node;
  }

  /** Whether this node's Node object is known (else it announces nothing and has no session). */
  get nodeFound(): boolean {
    return this.cluster.node(this.#options.node) !== undefined;
  }

  /** Whether the configuration in force is stale: the latest one did not build, or a file does not parse. */
  get stale(): boolean {
    return this.cluster.configStale || this.cluster.sourceIssues().size > 0;
  }

  /** The plan currently in force (materialized from the planner's state). */
  get currentPlan(): AnnouncementPlan | undefined {
    return this.cluster.config ? this.planner.plan() : undefined;
  }

  /** Settings of the sessions the runtime keeps, by session key. */
  sessionSettings(): ReadonlyMap<string, PeerSettings> {
    return new Map([...this.#sessions].map(([k, v]) => [k, v.settings]));
  }

  /**
   * Applies a batch of changes: the pipeline's state moves on, what failed is logged and keeps the
   * last good version, and the speaker gets the difference.
   */
  apply(batch: ChangeBatch): ApplyResult {
    const delta = this.cluster.apply(batch);
    this.#logProblems(delta);
    const config = this.cluster.config;
    let planChanges: PlanChanges | undefined;
    if (config) {
      if (delta.config.status === 'applied') this.#logConfig(config);
      this.#logAllocation(delta);
      const node = this.cluster.node(this.#options.node);
      const planned = this.#planned;
      if (!planned || planned.config !== config || planned.node !== node) {
        this.#checkNode(node);
        const changes = this.planner.reset(config, node);
        this.#planned = { config, node };
        const kept = this.#reconcileSessions(config, node);
        for (const [key, s] of this.#sessions) {
          const before = kept.get(key);
          if (before !== undefined && this.planner.unchangedByReset(before, s.peerName)) continue;
          this.#options.speaker.setAdvertisements(key, this.planner.advertisementsOf(s.peerName));
        }
        this.#logServices(changes);
        planChanges = changes;
      } else if (delta.services.size > 0) {
        const changes = this.planner.update(delta.services);
        this.#send(changes);
        this.#logServices(changes);
        planChanges = changes;
      }
    }
    return planChanges ? { applied: !this.stale, delta, changes: planChanges } : { applied: !this.stale, delta };
  }

  /** Hands each peer its change, or its whole set when the change is a large part of it. */
  #send(changes: PlanChanges): void {
    if (changes.peers.size === 0) return;
    const keyOf = new Map([...this.#sessions].map(([key, s]) => [s.peerName, key]));
    for (const [peer, change] of changes.peers) {
      const key = keyOf.get(peer);
      if (key === undefined) continue;
      const size = change.upsert.length + change.withdraw.length;
      if (size * WHOLE_SET_RATIO > this.planner.advertisementCount(peer) && size > 64) {
        this.#options.speaker.setAdvertisements(key, this.planner.advertisementsOf(peer));
      } else {
        this.#options.speaker.updateAdvertisements(key, change.upsert, change.withdraw);
      }
    }
  }

  /** Logs `config reloaded` (and the configuration's warnings) when the configuration changed. */
  #logConfig(config: Config): void {
    const configChanged = this.#options.configChanged ?? ((a: Config | undefined, b: Config) => !sameJson(a, b));
    const changed = configChanged(this.#loggedConfig, config);
    this.#loggedConfig = config;
    if (!changed) return;
    this.#log.info('config reloaded', 'config (re)loaded', {
      peers: config.peers.length,
      pools: config.pools.length,
      advertisements: config.advertisements.length,
    });
    for (const w of config.warnings) {
      this.#log.warn('configWarning', w.message, { rule: w.rule, object: w.object, path: w.path, ...where(w) });
    }
  }

  /** Logs a configuration that does not build, files that do not parse, invalid objects, and recoveries. */
  #logProblems(delta: ClusterDelta): void {
    const stale: ConfigIssue[] = [];
    if (delta.config.status === 'rejected') for (const e of delta.config.issues) if (e.severity === 'error') stale.push(e);
    for (const issues of delta.sourceIssues.values()) for (const e of issues) stale.push(e);
    if (stale.length > 0) {
      this.#log.error('configStale', 'failed to parse the configuration', {
        error: stale.map(describeIssue).join('; '),
        errors: stale.map(issueFields),
        keeping: this.cluster.config ? 'last good configuration' : 'no configuration yet',
      });
    }
    const recovered = delta.config.status === 'recovered' || (delta.config.status === 'applied' && delta.config.recovered);
    const filesRepaired = [...delta.sourceIssues.values()].some((issues) => issues.length === 0);
    if ((recovered || filesRepaired) && !this.stale) {
      this.#log.info('configCurrent', 'configuration is current again', {});
    }
    for (const bad of delta.invalid) {
      this.#log.error('invalidObject', `${bad.kind} ${bad.key} is invalid; ${bad.keptLastGood ? 'keeping its last good version' : 'left out'}`, {
        error: bad.issues.filter((i) => i.severity === 'error').map(describeIssue).join('; '),
        errors: bad.issues.map(issueFields),
      });
    }
    for (const good of delta.repaired) this.#log.info('objectValid', `${good.kind} ${good.key} is valid again`, {});
  }

  #logAllocation(delta: ClusterDelta): void {
    for (const r of delta.allocations) {
      if (r.ips.length > 0 && r.pool !== undefined) this.#logIpAllocated({ ip: r.ips, pool: r.pool, service: r.service });
      else if (r.error) this.#log.error(r.error.reason, 'IP allocation failed', { error: r.error.message, op: 'allocateIP', rule: r.error.rule, service: r.service });
    }
  }

  /** Says once, when this node has no Node object, which nodes there are; and when it comes back. */
  #checkNode(node: Node | undefined): void {
    if (node) {
      if (this.#nodeMissingLogged) this.#log.info('nodeFound', 'this node has a Node object again', { node: this.#options.node });
      this.#nodeMissingLogged = false;
      return;
    }
    if (this.#nodeMissingLogged) return;
    const names = this.cluster.nodeNames();
    this.#log.warn('nodeNotFound', 'this node has no Node object in the manifests; announcing nothing until it appears', {
      node: this.#options.node,
      nodes: names.length > 20 ? [...names.slice(0, 20), `... ${names.length - 20} more`] : names,
    });
    this.#nodeMissingLogged = true;
  }

  /**
   * Sessions follow `diffConfig`: a peer keeps its session unless a field that the session depends on
   * changed (`resetSession`: address, port, ASNs, hold time, router ID, ...), the node address it binds
   * to moved, or it stopped selecting this node. A legacy peer renumbered because an earlier one was
   * deleted (`peer2` becoming `peer1`) keeps its session. Returns the sessions kept, by key, with the
   * peer name each had before.
   */
  #reconcileSessions(config: Config, node: Node | undefined): Map<string, string> {
    const kept = new Map<string, string>();
    const previous = this.#sessionConfig;
    this.#sessionConfig = config;
    const desired = new Map<string, PeerSettings>();
    if (node) for (const p of this.planner.peers()) desired.set(p.name, sessionSettingsFor(p, node));

    // Which current peer name each new name continues, and whether the change needs a new session.
    const continues = new Map<string, { readonly from: string; readonly reset: boolean; readonly fields: readonly string[] }>();
    if (previous) {
      const d = diffConfig(previous, config);
      for (const name of d.peers.unchanged) continues.set(name, { from: name, reset: false, fields: [] });
      for (const c of d.peers.changed) continues.set(c.name, { from: c.old.name, reset: c.resetSession, fields: c.fields });
    }
    const successorOf = new Map([...continues].map(([to, c]) => [c.from, { to, ...c }]));
    const configured = new Set(config.peers.map((p) => p.name));

    for (const [key, s] of [...this.#sessions]) {
      const next = successorOf.get(s.peerName);
      const want = next ? desired.get(next.to) : undefined;
      let reason: string | undefined;
      if (!next || !configured.has(next.to)) reason = 'removedFromConfig';
      else if (!want) reason = 'filteredByNodeSelector';
      else if (next.reset || want.sourceAddress !== s.settings.sourceAddress) reason = 'removedFromConfig';
      if (reason === undefined && next && want) {
        // Kept: same session, possibly under its new name; fields that need no reset apply from the
        // next session (keepalive and connect time, node selectors, BFD profile).
        const changedFields = next.fields.filter((f) => f !== 'name');
        if (next.to !== s.peerName || changedFields.length > 0) {
          this.#log.info('peerUpdated', 'peer configuration changed, keeping the BGP session', {
            peer: s.settings.peerAddress,
            peerName: next.to,
            ...(next.to !== s.peerName ? { previousName: s.peerName } : {}),
            ...(changedFields.length > 0 ? { fields: changedFields } : {}),
          });
        }
        kept.set(key, s.peerName);
        s.peerName = next.to;
        continue;
      }
      this.#log.info('peerRemoved', 'peer deconfigured, closing BGP session', {
        peer: s.settings.peerAddress,
        peerName: s.peerName,
        reason,
      });
      this.#options.speaker.removePeer(key);
      this.#sessions.delete(key);
    }

    const sessionOf = new Set([...this.#sessions.values()].map((s) => s.peerName));
    for (const [name, want] of desired) {
      if (sessionOf.has(name)) continue;
      let key = name;
      for (let i = 2; this.#sessions.has(key); i++) key = `${name}#${i}`;
      const settings = { ...want, name: key };
      this.#log.info('peerAdded', 'peer added, starting BGP session', {
        holdTime: `${settings.holdTimeSec}s`,
        localASN: settings.localAsn,
        peer: settings.peerAddress,
        peerASN: settings.peerAsn ?? settings.dynamicAsn,
        peerName: name,
        port: settings.peerPort,
        routerID: settings.routerId,
        sourceAddress: settings.sourceAddress,
      });
      this.#options.speaker.addPeer(settings);
      this.#sessions.set(key, { peerName: name, settings });
      sessionOf.add(name);
    }
    return kept;
  }

  /** The configuration the sessions were last reconciled with. */
  #sessionConfig: Config | undefined;

  #logServices(changes: PlanChanges): void {
    for (const w of changes.withdrawn) this.#logWithdrawn(w.service, w.ips, w.pool, w.reason);
    for (const s of changes.announced) this.#logAnnounced(s);
    for (const s of changes.updated) this.#logAnnounced(s);
  }

  #logAnnounced(s: AnnouncedService): void {
    const fields = { ip: ipField(s.ips), pool: s.pool, protocol: 'bgp', service: s.service };
    this.#logUpdatedAdvertisements({ ...fields, numAds: s.numAds });
    this.#logServiceAnnounced(fields);
  }

  #logWithdrawn(service: string, ips: readonly string[], pool: string, reason: WithdrawReason): void {
    this.#logServiceWithdrawn({ ip: ipField(ips), pool, protocol: 'bgp', reason, service });
  }
}

function where(e: { readonly file?: string | undefined; readonly line?: number | undefined }): { file?: string; line?: number } {
  return { ...(e.file !== undefined ? { file: e.file } : {}), ...(e.line !== undefined ? { line: e.line } : {}) };
}

function issueFields(e: ConfigIssue | ObjectIssue): Record<string, unknown> {
  return { rule: e.rule, object: e.object, path: e.path, message: e.message, ...where(e) };
}

function describeIssue(e: ConfigIssue | ObjectIssue): string {
  const at = e.file !== undefined ? `${e.file}${e.line !== undefined ? `:${e.line}` : ''}: ` : '';
  return `${at}${e.object}${e.path ? ` ${e.path}` : ''}: ${e.message}`;
}
