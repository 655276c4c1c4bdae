/**
 * The announcement planner: for one node, which service IPs go to which BGP peers with which
 * attributes, and why every other LoadBalancer service is withheld. MetalLB's rules
 * (`speaker/bgp_controller.go: ShouldAnnounce, SetBalancer, publishAds`; `speaker/main.go:
 * SetBalancer`), as plain data in and plain data out.
 *
 * Invariants of a plan:
 * - `peers` holds every configured peer whose nodeSelectors select this node (empty = every node), in
 *   configuration order, each with its advertisements sorted by prefix and each prefix at most once.
 * - Every LoadBalancer service of our class is in exactly one of `announcedServices` and `withheld`;
 *   every other service is in `ignored`. All lists are sorted by service key.
 * - The plan depends only on its input (no clock, no randomness), so every node reading the same
 *   manifests computes the same answer.
 *
 * Pure: no I/O, no timers.
 */
import type { AdvertisementConfig, Config, PeerConfig, PoolConfig } from '../config/types.js';
import type { EndpointSlice, Node, Service } from '../model/kubernetes.js';
import { anySelectorMatches, namespacedKeyOf } from '../model/kubernetes.js';
import type { IpAddress } from '../model/ip.js';
import { compareIp, formatIp, formatPrefix, parseCidr, parseIp, prefixOf } from '../model/ip.js';
import { mergeCommunities } from './communities.js';
import { hasUsableEndpoint, indexSlicesByService, slicesOf } from './endpoints.js';

/** The label that keeps a node out of load balancing (`corev1.LabelNodeExcludeBalancers`). */
export const EXCLUDE_BALANCERS_LABEL = 'node.kubernetes.io/exclude-from-external-load-balancers';

/**
 * Why a LoadBalancer service is not announced from this node, with MetalLB's names:
 * - `noIPAllocated`: no allocation, or an allocation without IPs;
 * - `invalidIP`: an allocated IP does not parse;
 * - `ipNotAllowed`: the allocation's pool is not configured or does not hold every allocated IP;
 * - `notOwner`: no advertisement of the pool selects this node;
 * - `noMatchingAdvertisement`: advertisements select this node, but none selects the service's labels;
 * - `conflictingAdvertisements`: two advertisements that apply to the service disagree on localPref
 *   for the same prefix and peers;
 * - `nodeNetworkUnavailable`: the node has the condition NetworkUnavailable=True;
 * - `nodeLabeledExcludeBalancers`: the node has the label {@link EXCLUDE_BALANCERS_LABEL};
 * - `noLocalEndpoints`: externalTrafficPolicy Local and no usable endpoint on this node;
 * - `noEndpoints`: no usable endpoint anywhere.
 */
export type WithheldReason =
  | 'noIPAllocated'
  | 'invalidIP'
  | 'ipNotAllowed'
  | 'notOwner'
  | 'noMatchingAdvertisement'
  | 'conflictingAdvertisements'
  | 'nodeNetworkUnavailable'
  | 'nodeLabeledExcludeBalancers'
  | 'noLocalEndpoints'
  | 'noEndpoints';

/**
 * Why a service is not handled at all: not `type: LoadBalancer`, or its `loadBalancerClass` is not
 * ours (MetalLB's `--lb-class` rule: no class handled when unset, only the matching class when set).
 */
export type IgnoredReason = 'notLoadBalancer' | 'otherLoadBalancerClass';

/** The IPs the allocator gave a service and the pool they came from. */
export interface ServiceIps {
  readonly ips: readonly string[];
  readonly pool: string;
}

/** Service key (`namespace/name`) to its allocation, as a Map or a plain object. */
export type Allocations = ReadonlyMap<string, ServiceIps> | Readonly<Record<string, ServiceIps | undefined>>;

export interface PlanOptions {
  /** Announce from nodes labelled {@link EXCLUDE_BALANCERS_LABEL} too (MetalLB `--ignore-exclude-lb`). */
  readonly ignoreExcludeLB?: boolean;
  /** The load balancer class handled; unset handles services without a class (MetalLB `--lb-class`). */
  readonly loadBalancerClass?: string;
}

export interface PlanInput {
  readonly config: Config;
  /** The node this plan is for. */
  readonly node: Node;
  readonly services: readonly Service[];
  readonly allocations: Allocations;
  readonly endpointSlices: readonly EndpointSlice[];
  readonly options?: PlanOptions;
}

/** One prefix as one peer receives it. */
export interface PlannedAdvertisement {
  /** The peer's name (BGPPeer name, or `peerN` for legacy peers). */
  readonly peer: string;
  readonly peerAddress: string;
  /** The service IP masked to the aggregation length, e.g. `10.10.10.12/32`. */
  readonly prefix: string;
  /** Present only on iBGP sessions (0 when no advertisement sets it, as MetalLB native sends). */
  readonly localPref?: number;
  /** Standard communities `a:b`, the union over every service and advertisement giving this prefix. */
  readonly communities: readonly string[];
  /** Large communities `a:b:c`, unioned the same way. */
  readonly largeCommunities: readonly string[];
  /** Keys of the services whose IPs this prefix carries, sorted. */
  readonly services: readonly string[];
}

/** A peer that selects this node, and everything it receives. */
export interface PeerPlan {
  readonly name: string;
  readonly address: string;
  /** myAsn == peerAsn, or dynamicAsn `internal`. */
  readonly ibgp: boolean;
  readonly config: PeerConfig;
  /** Sorted by prefix (IPv4 first, then address, then length). */
  readonly advertisements: readonly PlannedAdvertisement[];
}

/** A peer as a service's announcement names it. */
export interface PeerRef {
  readonly name: string;
  readonly address: string;
}

/** A service announced from this node (what `updatedAdvertisements` and `serviceAnnounced` log). */
export interface AnnouncedService {
  readonly service: string;
  /** The first IP (the single IP of a single-stack service), as MetalLB logs `ip`. */
  readonly ip: string;
  readonly ips: readonly string[];
  readonly pool: string;
  /** MetalLB's `numAds`: IPs × advertisements applying to the service, before deduplication. */
  readonly numAds: number;
  /** Its distinct prefixes, sorted. */
  readonly prefixes: readonly string[];
  /** The peers that receive at least one of its prefixes, in configuration order; may be empty. */
  readonly peers: readonly PeerRef[];
}

/** A LoadBalancer service this node does not announce, and why. */
export interface WithheldService {
  readonly service: string;
  readonly ips: readonly string[];
  readonly pool?: string;
  readonly reason: WithheldReason;
  /** For `conflictingAdvertisements`: the two advertisement names that conflict. */
  readonly advertisements?: readonly string[];
}

export interface IgnoredService {
  readonly service: string;
  readonly reason: IgnoredReason;
}

export interface AnnouncementPlan {
  /** The node's name. */
  readonly node: string;
  readonly peers: readonly PeerPlan[];
  /** Names of configured peers whose nodeSelectors leave this node out. */
  readonly unselectedPeers: readonly string[];
  readonly announcedServices: readonly AnnouncedService[];
  readonly withheld: readonly WithheldService[];
  /** Keys of announced services that no peer receives (no peer selects the node, or `peers` filters). */
  readonly withoutPeers: readonly string[];
  readonly ignored: readonly IgnoredService[];
}

/** The allocation of `key`, from a Map or a plain object. */
export function allocationOf(allocations: Allocations, key: string): ServiceIps | undefined {
  if (allocations instanceof Map) return (allocations as ReadonlyMap<string, ServiceIps>).get(key);
  const record = allocations as Readonly<Record<string, ServiceIps | undefined>>;
  return Object.prototype.hasOwnProperty.call(record, key) ? record[key] : undefined;
}

/** Whether a peer's session runs on a node with these labels (empty nodeSelectors = every node). */
export function peerSelectsNode(peer: PeerConfig, node: Node): boolean {
  return anySelectorMatches(peer.nodeSelectors, node.metadata.labels);
}

/** Whether a peer session is iBGP: same ASN on both sides, or dynamic ASN `internal`. */
export function isIbgp(peer: PeerConfig): boolean {
  if (peer.peerAsn !== undefined) return peer.peerAsn === peer.myAsn;
  return peer.dynamicAsn === 'internal';
}

/** Whether `node` has the condition NetworkUnavailable=True (`k8snodes.IsNetworkUnavailable`). */
export function isNetworkUnavailable(node: Node): boolean {
  const cond = node.status?.conditions?.find((c) => c.type === 'NetworkUnavailable');
  return cond?.status === 'True';
}

/** Whether `node` carries the exclude-from-external-load-balancers label, whatever its value. */
export function isExcludedFromBalancers(node: Node): boolean {
  const labels = node.metadata.labels ?? {};
  return Object.prototype.hasOwnProperty.call(labels, EXCLUDE_BALANCERS_LABEL);
}

/** Whether the service is handled at all, or why not. */
function ignoredReason(svc: Service, options: PlanOptions): IgnoredReason | undefined {
  if (svc.spec.type !== 'LoadBalancer') return 'notLoadBalancer';
  const want = options.loadBalancerClass ?? '';
  const have = svc.spec.loadBalancerClass;
  if (have === undefined) return want === '' ? undefined : 'otherLoadBalancerClass';
  return have === want ? undefined : 'otherLoadBalancerClass';
}

/** Advertisements that apply to `pool` (config has resolved `ipAddressPools` and pool selectors). */
export function advertisementsForPool(config: Config, pool: string): AdvertisementConfig[] {
  return config.advertisements.filter((a) => a.ipAddressPools.includes(pool));
}

/** Whether an advertisement's nodeSelectors select `node` (empty = every node). */
export function advertisementSelectsNode(ad: AdvertisementConfig, node: Node): boolean {
  return anySelectorMatches(ad.nodeSelectors, node.metadata.labels);
}

/** Whether an advertisement's serviceSelectors select `svc` (ORed; empty = every service). */
export function advertisementSelectsService(ad: AdvertisementConfig, svc: Service): boolean {
  return anySelectorMatches(ad.serviceSelectors, svc.metadata.labels);
}

/**
 * Whether the aggregation lengths of two advertisements differ for every family the pool holds, so
 * they never produce the same prefix (`config.isAggrLengthDifferent`).
 */
function aggregationLengthsDiffer(a: AdvertisementConfig, b: AdvertisementConfig, pool: PoolConfig): boolean {
  const hasV4 = pool.addresses.some((r) => r.family === 'ipv4');
  const hasV6 = pool.addresses.some((r) => r.family === 'ipv6');
  if (!hasV4 && !hasV6) return true;
  const v4Differs = a.aggregationLength !== b.aggregationLength;
  const v6Differs = a.aggregationLengthV6 !== b.aggregationLengthV6;
  if (v4Differs && !hasV6) return true;
  if (v6Differs && !hasV4) return true;
  return v4Differs && v6Differs;
}

/**
 * Whether two advertisements that both apply to a service on this node may differ in localPref
 * (`config.BGPAdvertisementsHaveCompatibleLocalPref`): equal localPref (unset counts as 0), aggregation
 * lengths that never give the same prefix, or non-empty disjoint `peers` lists. Their node sets both
 * hold this node, so they are never disjoint here.
 */
export function localPrefsCompatible(a: AdvertisementConfig, b: AdvertisementConfig, pool: PoolConfig): boolean {
  if ((a.localPref ?? 0) === (b.localPref ?? 0)) return true;
  if (aggregationLengthsDiffer(a, b, pool)) return true;
  if (a.peers.length > 0 && b.peers.length > 0 && !a.peers.some((p) => b.peers.includes(p))) return true;
  return false;
}

/** One advertisement a service asks for, before it is split per peer and deduplicated. */
interface ServiceAd {
  readonly service: string;
  readonly prefix: string;
  readonly sortKey: { readonly ip: IpAddress; readonly length: number };
  readonly localPref: number | undefined;
  readonly communities: readonly string[];
  readonly largeCommunities: readonly string[];
  /** Peer names; empty means every peer. */
  readonly peers: readonly string[];
}

/** A pool's ranges as numbers and the advertisements that apply to it on this node: once per plan. */
type PoolIndex = ReadonlyMap<string, { readonly pool: PoolConfig; readonly ranges: readonly IpRangeValue[]; readonly nodeAds: readonly AdvertisementConfig[] }>;
interface IpRangeValue {
  readonly family: IpAddress['family'];
  readonly first: bigint;
  readonly last: bigint;
}

function indexPools(config: Config, node: Node): PoolIndex {
  const out = new Map<string, { pool: PoolConfig; ranges: IpRangeValue[]; nodeAds: AdvertisementConfig[] }>();
  for (const pool of config.pools) {
    if (out.has(pool.name)) continue; // the first pool of a name, as pools.find did
    const ranges: IpRangeValue[] = [];
    for (const r of pool.addresses) {
      const first = parseIp(r.first);
      const last = parseIp(r.last);
      if (first && last) ranges.push({ family: r.family, first: first.value, last: last.value });
    }
    out.set(pool.name, { pool, ranges, nodeAds: advertisementsForPool(config, pool.name).filter((a) => advertisementSelectsNode(a, node)) });
  }
  return out;
}

function rangesHold(ranges: readonly IpRangeValue[], ip: IpAddress): boolean {
  return ranges.some((r) => r.family === ip.family && r.first <= ip.value && ip.value <= r.last);
}

type Verdict =
  | { readonly ok: true; readonly ips: readonly IpAddress[]; readonly pool: PoolConfig; readonly ads: readonly AdvertisementConfig[] }
  | { readonly ok: false; readonly withheld: WithheldService };

/** MetalLB's `SetBalancer` + `ShouldAnnounce` checks, in MetalLB's order. */
function judge(
  svc: Service,
  key: string,
  alloc: ServiceIps | undefined,
  input: PlanInput,
  excludeLB: boolean,
  slices: readonly EndpointSlice[],
  pools: PoolIndex,
): Verdict {
  const withheld = (reason: WithheldReason, extra: Partial<WithheldService> = {}): Verdict => ({
    ok: false,
    withheld: { service: key, ips: alloc?.ips ?? [], ...(alloc ? { pool: alloc.pool } : {}), reason, ...extra },
  });
  if (!alloc || alloc.ips.length === 0) return withheld('noIPAllocated');
  const ips: IpAddress[] = [];
  for (const text of alloc.ips) {
    const ip = parseIp(text);
    if (!ip) return withheld('invalidIP');
    ips.push(ip);
  }
  const known = pools.get(alloc.pool);
  if (!known || !ips.every((ip) => rangesHold(known.ranges, ip))) return withheld('ipNotAllowed');
  const { pool, nodeAds: poolAds } = known;

  const { node } = input;
  if (poolAds.length === 0) return withheld('notOwner');
  const ads = poolAds.filter((a) => advertisementSelectsService(a, svc));
  if (ads.length === 0) return withheld('noMatchingAdvertisement');
  for (let i = 0; i < ads.length; i++) {
    for (let j = i + 1; j < ads.length; j++) {
      const a = ads[i];
      const b = ads[j];
      if (a && b && !localPrefsCompatible(a, b, pool)) {
        return withheld('conflictingAdvertisements', { advertisements: [a.name, b.name] });
      }
    }
  }
  if (isNetworkUnavailable(node)) return withheld('nodeNetworkUnavailable');
  if (excludeLB && isExcludedFromBalancers(node)) return withheld('nodeLabeledExcludeBalancers');

  if (svc.spec.externalTrafficPolicy === 'Local' && !hasUsableEndpoint(slices, node.metadata.name)) {
    return withheld('noLocalEndpoints');
  }
  if (!hasUsableEndpoint(slices)) return withheld('noEndpoints');
  return { ok: true, ips, pool, ads };
}

/** The advertisements a service asks for: every IP × every advertisement that applies to it. */
function serviceAds(key: string, ips: readonly IpAddress[], ads: readonly AdvertisementConfig[]): ServiceAd[] {
  const out: ServiceAd[] = [];
  for (const ip of ips) {
    for (const ad of ads) {
      const length = ip.family === 'ipv4' ? ad.aggregationLength : ad.aggregationLengthV6;
      const prefix = prefixOf(ip, length);
      out.push({
        service: key,
        prefix: formatPrefix(prefix),
        sortKey: { ip: { family: prefix.family, value: prefix.value }, length },
        localPref: ad.localPref,
        communities: ad.communities,
        largeCommunities: ad.largeCommunities,
        peers: ad.peers,
      });
    }
  }
  return out;
}

/** Orders prefixes given as text: IPv4 first, then by address, then by length. */
export function comparePrefixes(a: string, b: string): number {
  const pa = parseCidr(a);
  const pb = parseCidr(b);
  if (!pa || !pb) return a < b ? -1 : a > b ? 1 : 0;
  const byIp = compareIp(pa, pb);
  return byIp !== 0 ? byIp : pa.length - pb.length;
}

/**
 * The advertisements one peer receives: the service ads whose `peers` filter admits it, one per
 * prefix. For a prefix given more than once, communities and large communities are unioned (MetalLB
 * native at HEAD) and the localPref of the first service in key order is kept (services giving one
 * prefix with different localPrefs is a configuration MetalLB resolves by map order, i.e. at random).
 */
function advertisementsForPeer(peer: PeerConfig, ads: readonly ServiceAd[]): PlannedAdvertisement[] {
  const ibgp = isIbgp(peer);
  const byPrefix = new Map<
    string,
    { sortKey: ServiceAd['sortKey']; localPref: number | undefined; communities: string[]; large: string[]; services: Set<string> }
  >();
  for (const ad of ads) {
    if (ad.peers.length > 0 && !ad.peers.includes(peer.name)) continue;
    const existing = byPrefix.get(ad.prefix);
    if (!existing) {
      byPrefix.set(ad.prefix, {
        sortKey: ad.sortKey,
        localPref: ad.localPref,
        communities: [...ad.communities],
        large: [...ad.largeCommunities],
        services: new Set([ad.service]),
      });
      continue;
    }
    existing.communities.push(...ad.communities);
    existing.large.push(...ad.largeCommunities);
    existing.services.add(ad.service);
  }
  const out: PlannedAdvertisement[] = [];
  const entries = [...byPrefix.entries()].sort(([, x], [, y]) => {
    const byIp = compareIp(x.sortKey.ip, y.sortKey.ip);
    return byIp !== 0 ? byIp : x.sortKey.length - y.sortKey.length;
  });
  for (const [prefix, e] of entries) {
    out.push({
      peer: peer.name,
      peerAddress: peer.peerAddress,
      prefix,
      // RFC 4271 §5.1.5: LOCAL_PREF is only sent to internal peers. MetalLB native sends 0 when unset.
      ...(ibgp ? { localPref: e.localPref ?? 0 } : {}),
      communities: mergeCommunities(e.communities),
      largeCommunities: mergeCommunities(e.large),
      services: [...e.services].sort(),
    });
  }
  return out;
}

/**
 * Plans the announcements of `input.node`: the advertisements of every peer that selects it, the
 * services announced (with the peers that receive them) and the reason every other LoadBalancer
 * service is withheld.
 */
export function planAnnouncements(input: PlanInput): AnnouncementPlan {
  const options = input.options ?? {};
  const excludeLB = options.ignoreExcludeLB !== true;
  const announcedAds: ServiceAd[] = [];
  const announcedBase: { key: string; ips: readonly IpAddress[]; pool: string; numAds: number; prefixes: string[] }[] = [];
  const withheld: WithheldService[] = [];
  const ignored: IgnoredService[] = [];

  // Keys computed once per service, not once per comparison.
  const services = input.services.map((svc) => ({ svc, key: namespacedKeyOf(svc.metadata) }));
  services.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const sliceIndex = indexSlicesByService(input.endpointSlices);
  const pools = indexPools(input.config, input.node);
  for (const { svc, key } of services) {
    const ignore = ignoredReason(svc, options);
    if (ignore) {
      ignored.push({ service: key, reason: ignore });
      continue;
    }
    const verdict = judge(svc, key, allocationOf(input.allocations, key), input, excludeLB, slicesOf(sliceIndex, svc), pools);
    if (!verdict.ok) {
      withheld.push(verdict.withheld);
      continue;
    }
    const ads = serviceAds(key, verdict.ips, verdict.ads);
    announcedAds.push(...ads);
    announcedBase.push({
      key,
      ips: verdict.ips,
      pool: verdict.pool.name,
      numAds: ads.length,
      prefixes: [...new Set(ads.map((a) => a.prefix))].sort(comparePrefixes),
    });
  }

  const peers: PeerPlan[] = [];
  const unselectedPeers: string[] = [];
  for (const peer of input.config.peers) {
    if (!peerSelectsNode(peer, input.node)) {
      unselectedPeers.push(peer.name);
      continue;
    }
    peers.push({
      name: peer.name,
      address: peer.peerAddress,
      ibgp: isIbgp(peer),
      config: peer,
      advertisements: advertisementsForPeer(peer, announcedAds),
    });
  }

  // Which services each peer receives, as sets: one pass over the advertisements, not one per service.
  const servicesOfPeer = peers.map((p) => new Set(p.advertisements.flatMap((a) => a.services)));
  const announcedServices: AnnouncedService[] = announcedBase.map((s) => {
    const ips = s.ips.map(formatIp);
    const receiving = peers
      .filter((_p, i) => servicesOfPeer[i]?.has(s.key) === true)
      .map((p) => ({ name: p.name, address: p.address }));
    return { service: s.key, ip: ips[0] ?? '', ips, pool: s.pool, numAds: s.numAds, prefixes: s.prefixes, peers: receiving };
  });

  return {
    node: input.node.metadata.name,
    peers,
    unselectedPeers,
    announcedServices,
    withheld,
    withoutPeers: announcedServices.filter((s) => s.peers.length === 0).map((s) => s.service),
    ignored,
  };
}

/** Every advertisement of a plan, peer by peer (the shape `plan --json` prints). */
export function allAdvertisements(plan: AnnouncementPlan): PlannedAdvertisement[] {
  return plan.peers.flatMap((p) => p.advertisements);
}
