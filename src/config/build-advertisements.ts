/**
 * BGP advertisements -> `AdvertisementConfig`: aggregation lengths, communities (aliases resolved),
 * the pools each applies to, and MetalLB's per-pool checks (`validateBGPAdvPerPool`: the aggregate
 * stays inside the pool's blocks; two advertisements of one pool agree on localPref unless they
 * reach disjoint peers or nodes), BFD echo mode against IPv6, and a warning for every BGP pool that
 * no advertisement selects.
 */
import { anySelectorMatches } from '../model/kubernetes.js';
import type { AdvertisementConfig, BfdProfileConfig, PeerConfig } from './types.js';
import type { AdvertisementResource, NodeInfo, PoolResource } from './resources.js';
import { CONFIG_DEFAULTS } from './defaults.js';
import { compareCommunityText, formatCommunity, parseCommunity } from './community.js';
import type { ParsedCommunity } from './community.js';
import type { Issues } from './issues.js';
import { checkDuplicateSelectors, checkDuplicateStrings, nodeSetsOverlap } from './selectors.js';
import type { BuiltPools, PoolParse } from './build-pools.js';

/** What the other builders produced, which advertisements refer to. */
export interface AdvertisementContext {
  readonly pools: BuiltPools;
  readonly peers: readonly PeerConfig[];
  readonly peerNames: ReadonlySet<string>;
  readonly bfdByName: ReadonlyMap<string, BfdProfileConfig>;
  readonly aliases: ReadonlyMap<string, ParsedCommunity>;
  readonly nodes: readonly NodeInfo[] | undefined;
}

interface AdvParse {
  readonly resource: AdvertisementResource;
  readonly aggregationLength: number;
  readonly aggregationLengthV6: number;
  readonly localPref: number;
  readonly communities: string[];
  readonly largeCommunities: string[];
}

/** `BGPAdvertisementsHaveCompatibleLocalPref` and `isAggrLengthDifferent`. */
function compatibleLocalPref(a: AdvParse, b: AdvParse, pool: PoolParse, nodes: readonly NodeInfo[] | undefined): boolean {
  if (a.localPref === b.localPref) return true;
  const { hasV4, hasV6 } = pool;
  if (!hasV4 && !hasV6) return true;
  if (a.aggregationLength !== b.aggregationLength && !hasV6) return true;
  if (a.aggregationLengthV6 !== b.aggregationLengthV6 && !hasV4) return true;
  if (a.aggregationLength !== b.aggregationLength && a.aggregationLengthV6 !== b.aggregationLengthV6) return true;
  // Advertisements to disjoint sets of peers do not collide.
  if (a.resource.peers.length > 0 && b.resource.peers.length > 0 && !a.resource.peers.some((p) => b.resource.peers.includes(p))) {
    return true;
  }
  // Nor do advertisements from disjoint sets of nodes.
  return !nodeSetsOverlap(a.resource.nodeSelectors, b.resource.nodeSelectors, nodes);
}

/** Whether advertisement `a` applies to the pool named `name` with `labels`. */
function selectsPool(a: AdvertisementResource, name: string, labels: Readonly<Record<string, string>>): boolean {
  if (a.ipAddressPools.length === 0 && a.ipAddressPoolSelectors.length === 0) return true;
  return a.ipAddressPools.includes(name) || (a.ipAddressPoolSelectors.length > 0 && anySelectorMatches(a.ipAddressPoolSelectors, labels));
}

/** The shortest prefix length of `prefixes` (they are never empty here). */
function shortestLength(prefixes: readonly { readonly length: number }[]): number {
  let lowest = Infinity;
  for (const p of prefixes) if (p.length < lowest) lowest = p.length;
  return lowest;
}

/** Checks one advertisement's own fields and its communities; returns what the pool checks need. */
function parseAdvertisement(issues: Issues, a: AdvertisementResource, ctx: AdvertisementContext): AdvParse {
  const src = a.source;
  checkDuplicateStrings(issues, src, 'ipAddressPools', a.ipAddressPools);
  checkDuplicateStrings(issues, src, 'peers', a.peers);
  checkDuplicateStrings(issues, src, 'communities', a.communities, 'duplicateCommunity');
  checkDuplicateSelectors(issues, src, 'ipAddressPoolSelectors', a.ipAddressPoolSelectors);
  checkDuplicateSelectors(issues, src, 'nodeSelectors', a.nodeSelectors);
  checkDuplicateSelectors(issues, src, 'serviceSelectors', a.serviceSelectors);
  const aggregationLength = a.aggregationLength ?? CONFIG_DEFAULTS.aggregationLength;
  const aggregationLengthV6 = a.aggregationLengthV6 ?? CONFIG_DEFAULTS.aggregationLengthV6;
  if (aggregationLength < 1 || aggregationLength > 32) issues.error(src, ['aggregationLength'], 'aggregationLengthRange', 'aggregationLength must be from 1 to 32', aggregationLength);
  if (aggregationLengthV6 < 1 || aggregationLengthV6 > 128) issues.error(src, ['aggregationLengthV6'], 'aggregationLengthRange', 'aggregationLengthV6 must be from 1 to 128', aggregationLengthV6);
  if (a.serviceSelectors.length > 0) {
    if (aggregationLength !== 32) issues.error(src, ['aggregationLength'], 'serviceSelectorsWithAggregation', 'serviceSelectors can only be used with the default aggregationLength (32)', aggregationLength);
    if (aggregationLengthV6 !== 128) issues.error(src, ['aggregationLengthV6'], 'serviceSelectorsWithAggregation', 'serviceSelectors can only be used with the default aggregationLengthV6 (128)', aggregationLengthV6);
  }
  const standard = new Set<string>();
  const large = new Set<string>();
  a.communities.forEach((text, i) => {
    const alias = ctx.aliases.get(text);
    const parsed = alias ? ({ ok: true, community: alias } as const) : parseCommunity(text);
    if (parsed.ok) (parsed.community.kind === 'standard' ? standard : large).add(formatCommunity(parsed.community));
    else if (parsed.reason === 'invalidValue') issues.error(src, ['communities', i], 'communityInvalid', 'not a valid community (a:b with two 16-bit values, or large:a:b:c with three 32-bit values)', text);
    else issues.error(src, ['communities', i], 'unknownCommunityAlias', `"${text}" is neither a community nor a known Community alias`, text);
  });
  for (const name of a.ipAddressPools) {
    if (!ctx.pools.names.has(name)) issues.warn(src, ['ipAddressPools', a.ipAddressPools.indexOf(name)], 'unknownPool', `pool "${name}" does not exist`, name);
  }
  a.peers.forEach((name, i) => {
    if (!ctx.peerNames.has(name)) issues.warn(src, ['peers', i], 'unknownPeer', `peer "${name}" does not exist; this advertisement is sent to no session for it`, name);
  });
  return {
    resource: a,
    aggregationLength,
    aggregationLengthV6,
    localPref: a.localPref ?? 0,
    communities: [...standard].sort(compareCommunityText),
    largeCommunities: [...large].sort(compareCommunityText),
  };
}

/** Checks `parse` against each pool it applies to (`validateBGPAdvPerPool`) and records it on them. */
function checkAgainstPools(
  issues: Issues,
  parse: AdvParse,
  targets: readonly PoolParse[],
  attached: Map<string, AdvParse[]>,
  peerByName: ReadonlyMap<string, PeerConfig>,
  ctx: AdvertisementContext,
): void {
  const a = parse.resource;
  const src = a.source;
  for (const pool of targets) {
    // validateBGPAdvPerPool: the aggregate must not reach outside the pool's largest block.
    for (const entry of pool.entries) {
      const first = entry.prefixes[0];
      if (!first) continue;
      const v6 = first.family === 'ipv6';
      const length = v6 ? parse.aggregationLengthV6 : parse.aggregationLength;
      const lowest = shortestLength(entry.prefixes);
      if (length < lowest) {
        issues.error(src, [v6 ? 'aggregationLengthV6' : 'aggregationLength'], 'aggregationVsPrefix',
          `aggregation length ${length} is shorter than prefix /${lowest} of "${entry.text}" in pool "${pool.config.name}"`, length);
      }
    }
    const onPool = attached.get(pool.config.name) ?? [];
    if (a.serviceSelectors.length === 0) {
      for (const other of onPool) {
        if (other.resource.serviceSelectors.length > 0) continue;
        if (!compatibleLocalPref(parse, other, pool, ctx.nodes)) {
          issues.error(src, ['localPref'], 'localPrefConflict',
            `localPref ${parse.localPref} conflicts with localPref ${other.localPref} of ${other.resource.name} on pool "${pool.config.name}" (same aggregation, peers and nodes)`, parse.localPref);
        }
      }
    }
    onPool.push(parse);
    attached.set(pool.config.name, onPool);
  }
  // MetalLB validateConfig: BFD echo mode cannot serve IPv6 advertisements.
  for (const pool of targets) {
    if (!pool.hasV6) continue;
    const receivers = a.peers.length === 0 ? ctx.peers : a.peers.map((n) => peerByName.get(n)).filter((x): x is PeerConfig => x !== undefined);
    for (const peer of receivers) {
      if (peer.bfdProfile && ctx.bfdByName.get(peer.bfdProfile)?.echoMode) {
        issues.error(src, a.peers.length === 0 ? [] : ['peers'], 'bfdEchoWithIpv6',
          `pool "${pool.config.name}" has IPv6 addresses advertised to peer ${peer.name}, whose BFD profile uses echo mode`, peer.name);
      }
    }
  }
}

/** Checks every advertisement of `resources`; returns those without errors. */
export function buildAdvertisements(issues: Issues, resources: readonly AdvertisementResource[], ctx: AdvertisementContext): AdvertisementConfig[] {
  const advertisements: AdvertisementConfig[] = [];
  const attached = new Map<string, AdvParse[]>();
  const names = new Set<string>();
  const checked = [...ctx.pools.valid, ...ctx.pools.broken];
  const valid = new Set(ctx.pools.valid);
  const peerByName = new Map(ctx.peers.map((p) => [p.name, p]));
  for (const a of resources) {
    const src = a.source;
    const mark = issues.mark();
    if (!src.legacy) {
      if (names.has(a.name)) issues.nameError(src, 'duplicateName', `duplicate BGPAdvertisement name "${a.name}"`, a.name);
      names.add(a.name);
    }
    const parse = parseAdvertisement(issues, a, ctx);
    const targets = checked.filter((p) => selectsPool(a, p.config.name, p.config.labels));
    checkAgainstPools(issues, parse, targets, attached, peerByName, ctx);
    if (issues.errorsSince(mark)) continue;
    advertisements.push({
      name: a.name,
      aggregationLength: parse.aggregationLength,
      aggregationLengthV6: parse.aggregationLengthV6,
      ...(a.localPref !== undefined ? { localPref: a.localPref } : {}),
      communities: parse.communities,
      largeCommunities: parse.largeCommunities,
      ipAddressPools: targets.filter((t) => valid.has(t)).map((t) => t.config.name),
      nodeSelectors: a.nodeSelectors,
      peers: a.peers,
      serviceSelectors: a.serviceSelectors,
    });
  }
  return advertisements;
}

/** Warns about every BGP pool of `pools` that no advertisement of `resources` selects. */
export function warnUnadvertisedPools(issues: Issues, pools: readonly PoolParse[], resources: readonly AdvertisementResource[]): void {
  for (const pool of pools) {
    const p: PoolResource = pool.resource;
    if (p.protocol === 'layer2') continue;
    if (!resources.some((a) => selectsPool(a, pool.config.name, pool.config.labels))) {
      issues.warn(p.source, [], 'poolNotAdvertised', `no BGPAdvertisement selects pool "${pool.config.name}": its addresses are allocated but not announced`);
    }
  }
}
