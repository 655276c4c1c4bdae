/**
 * What changed between two announcement plans of one node, so the speaker runtime logs MetalLB's
 * events only on change: `serviceAnnounced` (+ `updatedAdvertisements`) for a newly announced
 * service, `updatedAdvertisements` when what an announced service sends changed, `serviceWithdrawn`
 * with its reason, and `peerAdded` / `peerRemoved` for sessions.
 *
 * Rules, as MetalLB's speaker (`speaker/main.go`, `speaker/bgp_controller.go: SetConfig, syncPeers`):
 * - a service that was announced and is now withheld is withdrawn with the withheld reason; one that
 *   is no longer a LoadBalancer of our class with that reason; one that is gone with `serviceDeleted`;
 * - a service announced in both plans with different IPs is withdrawn (`loadBalancerIPChanged`) and
 *   announced again;
 * - a service that was never announced is never "withdrawn", whatever its reason;
 * - a peer is kept only when its whole configuration is unchanged; a changed peer is removed
 *   (`removedFromConfig`) and added again; a peer whose nodeSelectors stop selecting the node is
 *   removed with `filteredByNodeSelector`.
 *
 * Pure.
 */
import type { PeerConfig } from '../config/types.js';
import type {
  AnnouncedService,
  AnnouncementPlan,
  IgnoredReason,
  PeerPlan,
  WithheldReason,
} from './planner.js';

/** Why an announced service stops being announced. */
export type WithdrawReason = WithheldReason | IgnoredReason | 'serviceDeleted' | 'loadBalancerIPChanged';

export interface ServiceWithdrawal {
  readonly service: string;
  /** The IPs it was announced with. */
  readonly ips: readonly string[];
  readonly pool: string;
  readonly reason: WithdrawReason;
}

export type PeerRemovedReason = 'removedFromConfig' | 'filteredByNodeSelector';

export interface PeerRemoval {
  readonly name: string;
  readonly address: string;
  readonly reason: PeerRemovedReason;
}

export interface PlanDiff {
  /** Services announced now and not before (or again after `loadBalancerIPChanged`). */
  readonly announced: readonly AnnouncedService[];
  /** Services announced in both plans whose IPs' advertisements, attributes or peers changed. */
  readonly updated: readonly AnnouncedService[];
  /** Services announced before and not now. Withdrawals come before announcements of the same service. */
  readonly withdrawn: readonly ServiceWithdrawal[];
  /** Peers whose session must start (new, re-selected, or with a changed configuration). */
  readonly peersAdded: readonly PeerPlan[];
  /** Peers whose session must close. */
  readonly peersRemoved: readonly PeerRemoval[];
}

/** JSON with sorted keys, so equal plain objects give equal text. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const sorted: Record<string, unknown> = {};
      for (const k of Object.keys(v).sort()) sorted[k] = (v as Record<string, unknown>)[k];
      return sorted;
    }
    return v;
  });
}

/** Whether two peer configurations are the same in every field (MetalLB's `reflect.DeepEqual`). */
export function samePeerConfig(a: PeerConfig, b: PeerConfig): boolean {
  return canonical(a) === canonical(b);
}

/** What a service sends, peer by peer: prefixes with their attributes. */
function serviceSignature(plan: AnnouncementPlan, svc: AnnouncedService): string {
  const perPeer = plan.peers.map((p) => ({
    peer: p.name,
    ads: p.advertisements
      .filter((a) => a.services.includes(svc.service))
      .map((a) => ({ prefix: a.prefix, localPref: a.localPref, c: a.communities, l: a.largeCommunities })),
  }));
  return canonical({ ips: svc.ips, pool: svc.pool, numAds: svc.numAds, prefixes: svc.prefixes, perPeer });
}

function sameIps(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((ip) => b.includes(ip));
}

/**
 * The changes from `before` to `after` (both for the same node). With no `before` (the first plan),
 * every announced service and every peer is new.
 */
export function diffPlans(before: AnnouncementPlan | undefined, after: AnnouncementPlan): PlanDiff {
  const announced: AnnouncedService[] = [];
  const updated: AnnouncedService[] = [];
  const withdrawn: ServiceWithdrawal[] = [];

  const oldAnnounced = new Map((before?.announcedServices ?? []).map((s) => [s.service, s]));
  const newAnnounced = new Map(after.announcedServices.map((s) => [s.service, s]));
  const withheld = new Map(after.withheld.map((s) => [s.service, s.reason]));
  const ignored = new Map(after.ignored.map((s) => [s.service, s.reason]));

  for (const [key, was] of oldAnnounced) {
    const now = newAnnounced.get(key);
    if (now) {
      if (!sameIps(was.ips, now.ips)) {
        withdrawn.push({ service: key, ips: was.ips, pool: was.pool, reason: 'loadBalancerIPChanged' });
        announced.push(now);
      } else if (before && serviceSignature(before, was) !== serviceSignature(after, now)) {
        updated.push(now);
      }
      continue;
    }
    const reason: WithdrawReason = withheld.get(key) ?? ignored.get(key) ?? 'serviceDeleted';
    withdrawn.push({ service: key, ips: was.ips, pool: was.pool, reason });
  }
  for (const [key, now] of newAnnounced) {
    if (!oldAnnounced.has(key)) announced.push(now);
  }

  const peersAdded: PeerPlan[] = [];
  const peersRemoved: PeerRemoval[] = [];
  const oldPeers = new Map((before?.peers ?? []).map((p) => [p.name, p]));
  const newPeers = new Map(after.peers.map((p) => [p.name, p]));
  const unselected = new Set(after.unselectedPeers);
  for (const [name, was] of oldPeers) {
    const now = newPeers.get(name);
    if (now && samePeerConfig(was.config, now.config)) continue;
    // A peer kept in the configuration but no longer selecting this node is filtered; any other change
    // replaces the session (MetalLB keeps a peer only when reflect.DeepEqual holds).
    peersRemoved.push({
      name,
      address: was.address,
      reason: !now && unselected.has(name) ? 'filteredByNodeSelector' : 'removedFromConfig',
    });
  }
  for (const [name, now] of newPeers) {
    const was = oldPeers.get(name);
    if (!was || !samePeerConfig(was.config, now.config)) peersAdded.push(now);
  }

  const byKey = (a: { service: string }, b: { service: string }): number =>
    a.service < b.service ? -1 : a.service > b.service ? 1 : 0;
  return {
    announced: announced.sort(byKey),
    updated: updated.sort(byKey),
    withdrawn: withdrawn.sort(byKey),
    peersAdded,
    peersRemoved,
  };
}
