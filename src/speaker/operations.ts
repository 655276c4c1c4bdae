/**
 * What the operations endpoints read from a running node speaker: the metrics snapshot
 * (`src/observe/metrics.ts`) and the status input (`src/observe/status.ts`), both taken on demand
 * from the BGP speaker's `status()` and Adj-RIB-Outs, the runtime's plan and snapshot, and the reload
 * counters this module keeps from `NodeSpeaker`'s `onReload` reports.
 *
 * Pool usage, allocation failures and the plan are read from the runtime's pipeline state (the same
 * allocator and planner the speaker announces from); nothing here recomputes them.
 */
import type { AdvertisedRoute, SessionStatus } from '../bgp/session/session.js';
import { canonicalIp } from '../model/ip.js';
import type { MetricsSnapshot, SessionMetrics } from '../observe/metrics.js';
import type { StatusInput } from '../observe/status.js';
import type { NodeSpeaker, ReloadReport } from './node-speaker.js';
import type { AnnouncementPlan } from './planner.js';

/** Reload counters (MetalLB's k8s client metrics). */
export class ReloadStats {
  updates = 0;
  updateErrors = 0;
  loaded = false;
  stale = false;

  /** Counts one reload. */
  record(report: ReloadReport): void {
    this.updates++;
    if (report.ok) {
      this.loaded = true;
      this.stale = false;
    } else {
      this.updateErrors++;
      this.stale = true;
    }
  }
}

/**
 * Prefixes that should be on a session but are not: while it is down, every desired prefix; while
 * Established, desired prefixes of the families it carries missing from its Adj-RIB-Out, plus routes
 * in it that are no longer desired (withdrawals not sent).
 */
export function pendingPrefixes(status: SessionStatus, desired: readonly string[], sent: readonly AdvertisedRoute[]): number {
  if (status.state !== 'Established') return desired.length;
  const sentSet = new Set(sent.map((r) => `${r.prefix.address}/${r.prefix.length}`));
  const carried = new Set<string>(status.families);
  let pending = 0;
  const want = new Set<string>();
  for (const p of desired) {
    want.add(p);
    const family = p.includes(':') ? 'ipv6' : 'ipv4';
    if (carried.has(family) && !sentSet.has(p)) pending++;
  }
  for (const p of sentSet) if (!want.has(p)) pending++;
  return pending;
}

/** What the endpoints read of a running speaker (on manifests, or on the API server). */
export type AttachedSpeaker = Pick<NodeSpeaker, 'speaker' | 'runtime'>;

/** Reads a node speaker for the metrics and status endpoints. */
export class NodeOperations {
  readonly stats = new ReloadStats();
  readonly #node: string;
  #speaker: AttachedSpeaker | undefined;

  /** `node` is this node's name; the speaker is attached once started (`attach`). */
  constructor(node: string) {
    this.#node = node;
  }

  /** Attaches the started speaker; until then every view is empty and the process is not ready. */
  attach(speaker: AttachedSpeaker): void {
    this.#speaker = speaker;
  }

  /** Ready: the speaker started and the first configuration loaded. */
  get ready(): boolean {
    return this.#speaker !== undefined && this.stats.loaded;
  }

  #desiredByPeer(plan: AnnouncementPlan | undefined): Map<string, string[]> {
    return new Map((plan?.peers ?? []).map((p) => [p.name, p.advertisements.map((a) => a.prefix)]));
  }

  /** The metrics snapshot. */
  metricsSnapshot(): MetricsSnapshot {
    const speaker = this.#speaker?.speaker;
    const plan = this.#speaker?.runtime.currentPlan;
    const desired = this.#desiredByPeer(plan);
    const sessions: SessionMetrics[] = (speaker?.status() ?? []).map((status) => ({
      status,
      pendingPrefixes: pendingPrefixes(status, desired.get(status.name) ?? [], speaker?.advertisedRoutes(status.name) ?? []),
    }));
    const allocation = this.#speaker?.runtime.cluster.allocationReport();
    const servicesPerPool = new Map<string, number>();
    for (const r of allocation?.services ?? []) {
      if (r.pool !== undefined && r.ips.length > 0) servicesPerPool.set(r.pool, (servicesPerPool.get(r.pool) ?? 0) + 1);
    }
    const announced: { service: string; ip: string }[] = [];
    for (const s of plan?.announcedServices ?? []) for (const ip of s.ips) announced.push({ service: s.service, ip });
    return {
      node: this.#node,
      sessions,
      pools: (allocation?.pools ?? []).map((p) => ({ ...p, servicesAllocated: servicesPerPool.get(p.pool) ?? 0 })),
      announced,
      config: { loaded: this.stats.loaded, stale: this.#speaker?.runtime.stale ?? this.stats.stale, updates: this.stats.updates, updateErrors: this.stats.updateErrors },
      refusedConnections: speaker?.refusedConnections ?? 0,
      ready: this.ready,
    };
  }

  /** The status input. */
  statusInput(now = Date.now()): StatusInput {
    const speaker = this.#speaker?.speaker;
    const sessions = speaker?.status() ?? [];
    const failures = new Map<string, { reason: string; message: string }>();
    for (const r of this.#speaker?.runtime.cluster.allocationReport().services ?? []) {
      if (r.error) failures.set(r.service, { reason: r.error.reason, message: r.error.message });
    }
    const runtime = this.#speaker?.runtime;
    const plan = runtime?.currentPlan;
    const warnings: string[] = [];
    if (runtime && runtime.cluster.config && !runtime.nodeFound) {
      const nodes = runtime.cluster.nodeNames();
      warnings.push(
        `node ${this.#node} has no Node object in the manifests (${nodes.length > 0 ? `found: ${nodes.slice(0, 10).join(', ')}${nodes.length > 10 ? ', ...' : ''}` : 'none found'}); announcing nothing until it appears`,
      );
    }
    if (runtime?.stale) warnings.push('the configuration is stale: the latest manifests do not read or build; running on the last good one');
    return {
      now,
      warnings,
      node: this.#node,
      sessions,
      routes: new Map(sessions.map((s) => [s.name, speaker?.advertisedRoutes(s.name) ?? []])),
      ...(plan ? { plan } : {}),
      allocationFailures: failures,
    };
  }
}

/** Canonical address text for matching `status peer ADDRESS` (unparseable text is kept as is). */
export function canonicalAddress(a: string): string {
  return canonicalIp(a) ?? a;
}
