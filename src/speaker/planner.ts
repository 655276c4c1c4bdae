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
import { hasUsableEndpoint, indexSlicesByService } from './endpoints.js';

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
  readonly prefix: string;
  readonly localPref: number | undefined;
  readonly communities: readonly string[];
  readonly largeCommunities: readonly string[];
  /** Peer names; empty means every peer. */
  readonly peers: readonly string[];
}

/** A pool's ranges as numbers and the advertisements that apply to it on this node: once per context. */
type PoolIndex = ReadonlyMap<string, { readonly pool: PoolConfig; readonly ranges: readonly IpRangeValue[]; readonly nodeAds: readonly AdvertisementConfig[] }>;
interface IpRangeValue {
  readonly family: IpAddress['family'];
  readonly first: bigint;
  readonly last: bigint;
}

function indexPools(config: Config, node: Node): PoolIndex {
  const out = new Map<string, { pool: PoolConfig; ranges: IpRangeValue[]; nodeAds: AdvertisementConfig[] }>();
  for (const pool of config.pools) {
    if (out.has(pool.name)) continue; // the first pool of a name
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

/** What the planner knows of the node it plans for, and the configuration: fixed between resets. */
interface PlanContext {
  readonly config: Config;
  readonly node: Node;
  readonly excludeLB: boolean;
  readonly pools: PoolIndex;
  /** Peers selecting the node, in configuration order. */
  readonly peers: readonly { readonly config: PeerConfig; readonly ibgp: boolean }[];
  readonly unselectedPeers: readonly string[];
}

/** The planner's answer for one service. */
type Outcome =
  | { readonly kind: 'ignored'; readonly reason: IgnoredReason }
  | { readonly kind: 'withheld'; readonly withheld: WithheldService }
  | {
      readonly kind: 'announced';
      readonly ips: readonly string[];
      readonly pool: string;
      readonly ads: readonly ServiceAd[];
      /** Distinct prefixes of `ads`, sorted. */
      readonly prefixes: readonly string[];
    };

/** MetalLB's `SetBalancer` + `ShouldAnnounce` checks, in MetalLB's order. */
function judge(svc: Service, key: string, alloc: ServiceIps | undefined, ctx: PlanContext, slices: readonly EndpointSlice[]): Outcome {
  const withheld = (reason: WithheldReason, extra: Partial<WithheldService> = {}): Outcome => ({
    kind: 'withheld',
    withheld: { service: key, ips: alloc?.ips ?? [], ...(alloc ? { pool: alloc.pool } : {}), reason, ...extra },
  });
  if (!alloc || alloc.ips.length === 0) return withheld('noIPAllocated');
  const ips: IpAddress[] = [];
  for (const text of alloc.ips) {
    const ip = parseIp(text);
    if (!ip) return withheld('invalidIP');
    ips.push(ip);
  }
  const known = ctx.pools.get(alloc.pool);
  if (!known || !ips.every((ip) => rangesHold(known.ranges, ip))) return withheld('ipNotAllowed');
  const { pool, nodeAds: poolAds } = known;

  const { node } = ctx;
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
  if (ctx.excludeLB && isExcludedFromBalancers(node)) return withheld('nodeLabeledExcludeBalancers');

  if (svc.spec.externalTrafficPolicy === 'Local' && !hasUsableEndpoint(slices, node.metadata.name)) {
    return withheld('noLocalEndpoints');
  }
  if (!hasUsableEndpoint(slices)) return withheld('noEndpoints');
  const serviceAds = serviceAdsOf(ips, ads);
  const prefixes = [...new Set(serviceAds.map((a) => a.prefix))].sort(comparePrefixes);
  return { kind: 'announced', ips: ips.map(formatIp), pool: pool.name, ads: serviceAds, prefixes };
}

/** The advertisements a service asks for: every IP × every advertisement that applies to it. */
function serviceAdsOf(ips: readonly IpAddress[], ads: readonly AdvertisementConfig[]): ServiceAd[] {
  const out: ServiceAd[] = [];
  for (const ip of ips) {
    for (const ad of ads) {
      const length = ip.family === 'ipv4' ? ad.aggregationLength : ad.aggregationLengthV6;
      const prefix = prefixOf(ip, length);
      out.push({
        prefix: formatPrefix(prefix),
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

/** What the planner reads about services: the pipeline's indexes, or plain lists (`planAnnouncements`). */
export interface PlanSource {
  /** Every service key (`namespace/name`), LoadBalancer or not. */
  keys(): Iterable<string>;
  service(key: string): Service | undefined;
  allocation(key: string): ServiceIps | undefined;
  /** The EndpointSlices of the service `key`. */
  slices(key: string): readonly EndpointSlice[];
}

/** Why an announced service stops being announced (`nodeNotFound`: this node has no Node object). */
export type WithdrawReason = WithheldReason | IgnoredReason | 'serviceDeleted' | 'loadBalancerIPChanged' | 'nodeNotFound';

export interface ServiceWithdrawal {
  readonly service: string;
  /** The IPs it was announced with. */
  readonly ips: readonly string[];
  readonly pool: string;
  readonly reason: WithdrawReason;
}

/** What a peer must be sent after a change: prefixes (re)announced with their attributes, and withdrawn. */
export interface PeerChange {
  readonly upsert: readonly PlannedAdvertisement[];
  readonly withdraw: readonly string[];
}

/**
 * What a planner operation changed. After `reset` the peers and their whole sets may have changed
 * (`reset: true`, `peers` empty: read `advertisementsOf` for every peer); after `update`, `peers` holds
 * the change of each peer whose advertisements changed. Service events follow MetalLB's speaker:
 * `announced` for a service announced now and not before (or again after `loadBalancerIPChanged`),
 * `updated` when what an announced service sends changed, `withdrawn` with the reason.
 */
export interface PlanChanges {
  readonly reset: boolean;
  readonly peers: ReadonlyMap<string, PeerChange>;
  readonly announced: readonly AnnouncedService[];
  readonly updated: readonly AnnouncedService[];
  readonly withdrawn: readonly ServiceWithdrawal[];
}

const byKey = (a: { service: string }, b: { service: string }): number => (a.service < b.service ? -1 : a.service > b.service ? 1 : 0);

function attributesKey(ad: PlannedAdvertisement): string {
  return `${ad.localPref ?? ''}|${ad.communities.join(',')}|${ad.largeCommunities.join(',')}`;
}

/**
 * The announcement plan of one node, held as state: per service its verdict and advertisements, per
 * prefix the services giving it, per peer the merged advertisement of each prefix. `reset` replans
 * everything for a new configuration or Node object; `update(keys)` re-judges those services only
 * (their object, allocation or endpoints changed) and costs work proportional to them and to the
 * services sharing their prefixes. `plan()` materializes the whole `AnnouncementPlan` from the same
 * state, so what is sent and what is shown cannot disagree.
 */
export class NodePlanner {
  readonly #node: string;
  readonly #source: PlanSource;
  readonly #options: PlanOptions;
  #context: PlanContext | undefined;
  /** The configuration when the node is unknown (for `unselectedPeers`). */
  #config: Config | undefined;
  readonly #outcomes = new Map<string, Outcome>();
  /** Prefix -> keys of the announced services that give it. */
  readonly #prefixServices = new Map<string, string | Set<string>>();
  /** Peer name -> prefix -> what it receives. */
  readonly #peerRoutes = new Map<string, Map<string, PlannedAdvertisement>>();
  /** Each peer's routes before the last `reset`, to tell which peers' sets it changed. */
  #routesBeforeReset = new Map<string, Map<string, PlannedAdvertisement>>();
  #plan: AnnouncementPlan | undefined;

  /** A planner for the node `node`, reading services from `source`. */
  constructor(node: string, source: PlanSource, options: PlanOptions = {}) {
    this.#node = node;
    this.#source = source;
    this.#options = options;
  }

  /** The configured peers that select this node, in configuration order (none while not planning). */
  peers(): readonly PeerConfig[] {
    return (this.#context?.peers ?? []).map((p) => p.config);
  }

  /** Whether the node's Node object and a configuration are known (else nothing is announced). */
  get planning(): boolean {
    return this.#context !== undefined;
  }

  /**
   * Replans every service for a new configuration and Node object (`node` undefined: the node has no
   * Node object, and everything announced is withdrawn with `nodeNotFound`).
   */
  reset(config: Config | undefined, node: Node | undefined): PlanChanges {
    const before = new Map<string, { outcome: Outcome; signature: string | undefined }>();
    for (const [key, outcome] of this.#outcomes) before.set(key, { outcome, signature: this.#signature(key, outcome) });
    this.#config = config;
    this.#context = config && node ? this.#contextOf(config, node) : undefined;
    this.#outcomes.clear();
    this.#prefixServices.clear();
    this.#routesBeforeReset = new Map(this.#peerRoutes);
    this.#peerRoutes.clear();
    this.#plan = undefined;
    const ctx = this.#context;
    if (ctx) {
      for (const p of ctx.peers) this.#peerRoutes.set(p.config.name, new Map());
      for (const key of this.#source.keys()) this.#setOutcome(key, this.#judgeKey(ctx, key));
      for (const prefix of this.#prefixServices.keys()) {
        for (const p of ctx.peers) {
          const route = this.#merge(p.config, p.ibgp, prefix);
          if (route) this.#peerRoutes.get(p.config.name)?.set(prefix, route);
        }
      }
    }
    const events = this.#events(before, ctx ? undefined : 'nodeNotFound');
    return { reset: true, peers: new Map(), ...events };
  }

  /** Re-judges the services `keys` (added, changed, removed, re-allocated, or their endpoints changed). */
  update(keys: Iterable<string>): PlanChanges {
    this.#routesBeforeReset = new Map();
    const ctx = this.#context;
    const empty = { reset: false, peers: new Map<string, PeerChange>(), announced: [], updated: [], withdrawn: [] };
    if (!ctx) return empty;
    const next = new Map<string, Outcome | undefined>();
    for (const key of keys) next.set(key, this.#judgeKey(ctx, key));
    if (next.size === 0) return empty;

    // Prefixes whose merged advertisement may change, and the services whose signature may change.
    const prefixes = new Set<string>();
    for (const [key, outcome] of next) {
      const old = this.#outcomes.get(key);
      if (old?.kind === 'announced') for (const p of old.prefixes) prefixes.add(p);
      if (outcome?.kind === 'announced') for (const p of outcome.prefixes) prefixes.add(p);
    }
    const before = new Map<string, { outcome: Outcome; signature: string | undefined }>();
    const remember = (key: string): void => {
      const outcome = this.#outcomes.get(key);
      if (outcome && !before.has(key)) before.set(key, { outcome, signature: this.#signature(key, outcome) });
    };
    for (const key of next.keys()) remember(key);
    for (const p of prefixes) for (const key of this.#servicesOf(p)) remember(key);

    for (const [key, outcome] of next) this.#setOutcome(key, outcome);
    this.#plan = undefined;

    const peers = new Map<string, PeerChange>();
    for (const p of ctx.peers) {
      const routes = this.#peerRoutes.get(p.config.name);
      if (!routes) continue;
      const upsert: PlannedAdvertisement[] = [];
      const withdraw: string[] = [];
      for (const prefix of prefixes) {
        const was = routes.get(prefix);
        const now = this.#merge(p.config, p.ibgp, prefix);
        if (!now) {
          if (was) {
            routes.delete(prefix);
            withdraw.push(prefix);
          }
          continue;
        }
        routes.set(prefix, now);
        if (!was || attributesKey(was) !== attributesKey(now)) upsert.push(now);
      }
      if (upsert.length > 0 || withdraw.length > 0) peers.set(p.config.name, { upsert, withdraw });
    }
    // Services sharing a changed prefix are compared too: their merged attributes may have changed.
    for (const p of prefixes) for (const key of this.#servicesOf(p)) if (!next.has(key)) next.set(key, this.#outcomes.get(key));
    return { reset: false, peers, ...this.#events(before, undefined, next.keys()) };
  }

  /**
   * Whether the last `reset` left what `peer` receives as it was under the name `before` (a peer
   * renamed by the new configuration keeps its session, so its old set is its new set's baseline).
   */
  unchangedByReset(before: string, peer: string): boolean {
    const was = this.#routesBeforeReset.get(before);
    const now = this.#peerRoutes.get(peer);
    if (!was || !now || was.size !== now.size) return false;
    for (const [prefix, route] of now) {
      const old = was.get(prefix);
      if (!old || attributesKey(old) !== attributesKey(route)) return false;
    }
    return true;
  }

  /** Everything `peer` should receive now, in prefix order. */
  advertisementsOf(peer: string): PlannedAdvertisement[] {
    return sortedByPrefix([...(this.#peerRoutes.get(peer)?.values() ?? [])]);
  }

  /** The number of prefixes `peer` should receive now. */
  advertisementCount(peer: string): number {
    return this.#peerRoutes.get(peer)?.size ?? 0;
  }

  /** The whole plan, made from the current state (cached until the next change). */
  plan(): AnnouncementPlan {
    if (this.#plan) return this.#plan;
    const ctx = this.#context;
    if (!ctx) {
      this.#plan = {
        node: this.#node,
        peers: [],
        unselectedPeers: (this.#config?.peers ?? []).map((p) => p.name),
        announcedServices: [],
        withheld: [],
        withoutPeers: [],
        ignored: [],
      };
      return this.#plan;
    }
    const peers: PeerPlan[] = ctx.peers.map((p) => ({
      name: p.config.name,
      address: p.config.peerAddress,
      ibgp: p.ibgp,
      config: p.config,
      advertisements: this.advertisementsOf(p.config.name),
    }));
    const announcedServices: AnnouncedService[] = [];
    const withheld: WithheldService[] = [];
    const ignored: IgnoredService[] = [];
    const keys = [...this.#outcomes.keys()].sort();
    for (const key of keys) {
      const o = this.#outcomes.get(key);
      if (!o) continue;
      if (o.kind === 'ignored') ignored.push({ service: key, reason: o.reason });
      else if (o.kind === 'withheld') withheld.push(o.withheld);
      else announcedServices.push(this.#announced(ctx, key, o));
    }
    this.#plan = {
      node: ctx.node.metadata.name,
      peers,
      unselectedPeers: ctx.unselectedPeers,
      announcedServices,
      withheld,
      withoutPeers: announcedServices.filter((s) => s.peers.length === 0).map((s) => s.service),
      ignored,
    };
    return this.#plan;
  }

  #contextOf(config: Config, node: Node): PlanContext {
    const peers: { config: PeerConfig; ibgp: boolean }[] = [];
    const unselectedPeers: string[] = [];
    for (const peer of config.peers) {
      if (peerSelectsNode(peer, node)) peers.push({ config: peer, ibgp: isIbgp(peer) });
      else unselectedPeers.push(peer.name);
    }
    return { config, node, excludeLB: this.#options.ignoreExcludeLB !== true, pools: indexPools(config, node), peers, unselectedPeers };
  }

  #judgeKey(ctx: PlanContext, key: string): Outcome | undefined {
    const svc = this.#source.service(key);
    if (!svc) return undefined;
    const ignore = ignoredReason(svc, this.#options);
    if (ignore) return { kind: 'ignored', reason: ignore };
    return judge(svc, key, this.#source.allocation(key), ctx, this.#source.slices(key));
  }

  #setOutcome(key: string, outcome: Outcome | undefined): void {
    const old = this.#outcomes.get(key);
    if (old?.kind === 'announced') {
      for (const p of old.prefixes) {
        const given = this.#prefixServices.get(p);
        if (given === key) this.#prefixServices.delete(p);
        else if (typeof given === 'object') {
          given.delete(key);
          if (given.size === 1) this.#prefixServices.set(p, given.values().next().value as string);
        }
      }
    }
    if (!outcome) {
      this.#outcomes.delete(key);
      return;
    }
    this.#outcomes.set(key, outcome);
    if (outcome.kind !== 'announced') return;
    for (const p of outcome.prefixes) {
      const given = this.#prefixServices.get(p);
      // One service per prefix is the rule (a Set only for shared IPs and aggregated prefixes).
      if (given === undefined) this.#prefixServices.set(p, key);
      else if (typeof given === 'string') {
        if (given !== key) this.#prefixServices.set(p, new Set([given, key]));
      } else given.add(key);
    }
  }

  /**
   * What `peer` receives for `prefix`: the advertisements of the services giving it whose `peers`
   * filter admits the peer, merged. Communities and large communities are unioned (MetalLB native at
   * HEAD) and the localPref of the first service in key order is kept (services giving one prefix
   * with different localPrefs is a configuration MetalLB resolves by map order, i.e. at random).
   */
  #merge(peer: PeerConfig, ibgp: boolean, prefix: string): PlannedAdvertisement | undefined {
    const given = this.#prefixServices.get(prefix);
    if (given === undefined) return undefined;
    const keys = typeof given === 'string' ? [given] : [...given].sort();
    let first: ServiceAd | undefined;
    const communities: (readonly string[])[] = [];
    const large: (readonly string[])[] = [];
    const services: string[] = [];
    for (const key of keys) {
      const o = this.#outcomes.get(key);
      if (o?.kind !== 'announced') continue;
      let given = false;
      for (const ad of o.ads) {
        if (ad.prefix !== prefix) continue;
        if (ad.peers.length > 0 && !ad.peers.includes(peer.name)) continue;
        first ??= ad;
        given = true;
        if (ad.communities.length > 0) communities.push(ad.communities);
        if (ad.largeCommunities.length > 0) large.push(ad.largeCommunities);
      }
      if (given) services.push(key);
    }
    if (!first) return undefined;
    return {
      peer: peer.name,
      peerAddress: peer.peerAddress,
      prefix,
      // RFC 4271 §5.1.5: LOCAL_PREF is only sent to internal peers. MetalLB native sends 0 when unset.
      ...(ibgp ? { localPref: first.localPref ?? 0 } : {}),
      communities: this.#merged(communities),
      largeCommunities: this.#merged(large),
      services,
    };
  }

  /** The keys of the announced services giving `prefix`. */
  #servicesOf(prefix: string): Iterable<string> {
    const given = this.#prefixServices.get(prefix);
    return given === undefined ? [] : typeof given === 'string' ? [given] : given;
  }

  /** Merged community lists, shared between routes with the same lists (there are few distinct ones). */
  readonly #mergedLists = new Map<string, readonly string[]>();
  #merged(lists: readonly (readonly string[])[]): readonly string[] {
    if (lists.length === 0) return NO_COMMUNITIES;
    const key = lists.map((l) => l.join(',')).join('|');
    let merged = this.#mergedLists.get(key);
    if (!merged) {
      if (this.#mergedLists.size > 4096) this.#mergedLists.clear();
      const all: string[] = [];
      for (const l of lists) for (const c of l) all.push(c);
      merged = mergeCommunities(all);
      this.#mergedLists.set(key, merged);
    }
    return merged;
  }

  /** The peers (in configuration order) that receive at least one prefix of the announced service `key`. */
  #receivingPeers(ctx: PlanContext, key: string, o: Outcome & { kind: 'announced' }): PeerRef[] {
    const out: PeerRef[] = [];
    for (const p of ctx.peers) {
      const routes = this.#peerRoutes.get(p.config.name);
      if (o.prefixes.some((prefix) => routes?.get(prefix)?.services.includes(key) === true)) {
        out.push({ name: p.config.name, address: p.config.peerAddress });
      }
    }
    return out;
  }

  #announced(ctx: PlanContext, key: string, o: Outcome & { kind: 'announced' }): AnnouncedService {
    return { service: key, ip: o.ips[0] ?? '', ips: o.ips, pool: o.pool, numAds: o.ads.length, prefixes: o.prefixes, peers: this.#receivingPeers(ctx, key, o) };
  }

  /** What an announced service sends, peer by peer: changes of it are `updated` events. */
  #signature(key: string, o: Outcome): string | undefined {
    const ctx = this.#context;
    if (o.kind !== 'announced' || !ctx) return undefined;
    let text = `${o.ips.join(',')};${o.pool};${o.ads.length};${o.prefixes.join(',')}`;
    for (const p of ctx.peers) {
      const routes = this.#peerRoutes.get(p.config.name);
      for (const prefix of o.prefixes) {
        const route = routes?.get(prefix);
        if (route?.services.includes(key)) text += `;${p.config.name}|${prefix}|${attributesKey(route)}`;
      }
    }
    return text;
  }

  /** Service events from the state before (of the services in `before`, and `keys`) to now. */
  #events(
    before: ReadonlyMap<string, { readonly outcome: Outcome; readonly signature: string | undefined }>,
    absentReason: WithdrawReason | undefined,
    keys: Iterable<string> = [...before.keys(), ...this.#outcomes.keys()],
  ): Pick<PlanChanges, 'announced' | 'updated' | 'withdrawn'> {
    const ctx = this.#context;
    const announced: AnnouncedService[] = [];
    const updated: AnnouncedService[] = [];
    const withdrawn: ServiceWithdrawal[] = [];
    const seen = new Set<string>();
    for (const key of keys) {
      if (seen.has(key)) continue;
      seen.add(key);
      const was = before.get(key);
      const now = this.#outcomes.get(key);
      const wasAnnounced = was?.outcome.kind === 'announced' ? was.outcome : undefined;
      if (now?.kind === 'announced' && ctx) {
        if (!wasAnnounced) announced.push(this.#announced(ctx, key, now));
        else if (!sameIpSet(wasAnnounced.ips, now.ips)) {
          withdrawn.push({ service: key, ips: wasAnnounced.ips, pool: wasAnnounced.pool, reason: 'loadBalancerIPChanged' });
          announced.push(this.#announced(ctx, key, now));
        } else if (was?.signature !== this.#signature(key, now)) updated.push(this.#announced(ctx, key, now));
        continue;
      }
      if (!wasAnnounced) continue;
      const reason: WithdrawReason =
        absentReason ?? (now?.kind === 'withheld' ? now.withheld.reason : now?.kind === 'ignored' ? now.reason : 'serviceDeleted');
      withdrawn.push({ service: key, ips: wasAnnounced.ips, pool: wasAnnounced.pool, reason });
    }
    return { announced: announced.sort(byKey), updated: updated.sort(byKey), withdrawn: withdrawn.sort(byKey) };
  }
}

function sameIpSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((ip) => b.includes(ip));
}

const NO_COMMUNITIES: readonly string[] = Object.freeze([]);

/** Advertisements in prefix order (IPv4 first, then address, then length), each prefix parsed once. */
function sortedByPrefix(ads: PlannedAdvertisement[]): PlannedAdvertisement[] {
  const keyed = ads.map((ad) => ({ ad, cidr: parseCidr(ad.prefix) }));
  keyed.sort((x, y) => {
    if (!x.cidr || !y.cidr) return x.ad.prefix < y.ad.prefix ? -1 : x.ad.prefix > y.ad.prefix ? 1 : 0;
    const byIp = compareIp(x.cidr, y.cidr);
    return byIp !== 0 ? byIp : x.cidr.length - y.cidr.length;
  });
  return keyed.map((k) => k.ad);
}

/** A `PlanSource` over plain lists (the last of two services with one key wins). */
export function planSourceOf(
  services: readonly Service[],
  allocations: Allocations,
  endpointSlices: readonly EndpointSlice[],
): PlanSource {
  const byKey = new Map<string, Service>();
  for (const svc of services) byKey.set(namespacedKeyOf(svc.metadata), svc);
  const slices = indexSlicesByService(endpointSlices);
  return {
    keys: () => byKey.keys(),
    service: (key) => byKey.get(key),
    allocation: (key) => allocationOf(allocations, key),
    slices: (key) => slices.get(key) ?? [],
  };
}

/**
 * Plans the announcements of `input.node` from plain lists: the advertisements of every peer that
 * selects it, the services announced (with the peers that receive them) and the reason every other
 * LoadBalancer service is withheld. The same `NodePlanner` the running speaker keeps.
 */
export function planAnnouncements(input: PlanInput): AnnouncementPlan {
  const planner = new NodePlanner(input.node.metadata.name, planSourceOf(input.services, input.allocations, input.endpointSlices), input.options ?? {});
  planner.reset(input.config, input.node);
  return planner.plan();
}

/** Every advertisement of a plan, peer by peer (the shape `plan --json` prints). */
export function allAdvertisements(plan: AnnouncementPlan): PlannedAdvertisement[] {
  return plan.peers.flatMap((p) => p.advertisements);
}
