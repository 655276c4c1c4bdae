/**
 * Test-only builders for the normalised configuration (`Config` and its parts), written by hand
 * rather than by the config parser, so tests of later layers (planner, router-config, runtime) do
 * not depend on parsing. Defaults are the seed's: one iBGP peer 10.10.10.1 in AS 64512, MetalLB's
 * timers (90 s / 30 s).
 */
import type { AdvertisementConfig, BfdProfileConfig, Config, PeerConfig, PoolConfig } from './types.js';

/** A peer with MetalLB's defaults; `over` replaces any field. */
export function peerConfig(over: Partial<PeerConfig> = {}): PeerConfig {
  return {
    name: 'peer1',
    myAsn: 64512,
    peerAsn: 64512,
    peerAddress: '10.10.10.1',
    peerPort: 179,
    holdTime: 90,
    keepaliveTime: 30,
    nodeSelectors: [],
    ebgpMultiHop: false,
    enableGracefulRestart: false,
    ...over,
  };
}

/** A pool of `first-last` ranges (no covering CIDRs: the layers under test do not read them). */
export function poolConfig(name: string, ranges: readonly (readonly [string, string])[], over: Partial<PoolConfig> = {}): PoolConfig {
  return {
    name,
    labels: {},
    addresses: ranges.map(([first, last]) => ({ family: first.includes(':') ? 'ipv6' : 'ipv4', first, last, cidrs: [] })),
    autoAssign: true,
    avoidBuggyIPs: false,
    ...over,
  };
}

/** An advertisement of `pools` with MetalLB's defaults (/32, /128, no communities, all nodes and peers). */
export function advertisementConfig(name: string, pools: readonly string[], over: Partial<AdvertisementConfig> = {}): AdvertisementConfig {
  return {
    name,
    aggregationLength: 32,
    aggregationLengthV6: 128,
    communities: [],
    largeCommunities: [],
    ipAddressPools: pools,
    nodeSelectors: [],
    peers: [],
    serviceSelectors: [],
    ...over,
  };
}

/** A configuration of the given parts; absent parts are empty. */
export function configOf(parts: {
  peers?: readonly PeerConfig[];
  pools?: readonly PoolConfig[];
  advertisements?: readonly AdvertisementConfig[];
  bfdProfiles?: readonly BfdProfileConfig[];
}): Config {
  return {
    peers: parts.peers ?? [],
    pools: parts.pools ?? [],
    advertisements: parts.advertisements ?? [],
    bfdProfiles: parts.bfdProfiles ?? [],
    warnings: [],
  };
}
