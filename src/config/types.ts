/**
 * The normalised configuration: what both the legacy ConfigMap and the `metallb.io` CRDs become
 * after parsing, defaulting and validation (`buildConfig`). Every later layer (allocator, speaker
 * planner, sessions, router-config) reads only this.
 *
 * Invariants once built: names are unique per kind; addresses and CIDRs are canonical text; every
 * reference (pool names of an advertisement, peer names, BFD profile, community aliases) is
 * resolved; defaults are filled in, so no consumer applies a default of its own.
 */
import type { ObjectIssue } from '../model/cluster.js';
import type { LabelSelector } from '../model/kubernetes.js';
import type { IpFamily } from '../model/ip.js';

export interface Config {
  readonly peers: readonly PeerConfig[];
  readonly pools: readonly PoolConfig[];
  /** BGP advertisements; a BGP pool that had none in the legacy format gets a default one here. */
  readonly advertisements: readonly AdvertisementConfig[];
  readonly bfdProfiles: readonly BfdProfileConfig[];
  /** Non-fatal findings (L2Advertisement and layer2 pools are unsupported here, deprecated fields). */
  readonly warnings: readonly ConfigIssue[];
}

export interface PeerConfig {
  /** BGPPeer name, or `peer1..N` for legacy peers (as configmaptocrs names them). */
  readonly name: string;
  readonly namespace?: string;
  readonly myAsn: number;
  /** Set unless `dynamicAsn` is. */
  readonly peerAsn?: number;
  readonly dynamicAsn?: 'internal' | 'external';
  /** Canonical address. */
  readonly peerAddress: string;
  readonly peerPort: number;
  readonly sourceAddress?: string;
  /** Seconds; 0 or >= 3. Default 90. */
  readonly holdTime: number;
  /** Seconds; <= holdTime. Default holdTime / 3, rounded down. */
  readonly keepaliveTime: number;
  /** Seconds, when set (1..65535). */
  readonly connectTime?: number;
  readonly routerId?: string;
  /** Nodes that peer with this router; empty means every node. */
  readonly nodeSelectors: readonly LabelSelector[];
  /** TCP MD5 password, resolved from `password` or from `passwordSecret`. */
  readonly password?: string;
  readonly bfdProfile?: string;
  readonly ebgpMultiHop: boolean;
  readonly enableGracefulRestart: boolean;
}

/** One contiguous span of a pool: a CIDR or a `first-last` range, with its covering CIDRs. */
export interface PoolRange {
  readonly family: IpFamily;
  /** First and last address, canonical text. */
  readonly first: string;
  readonly last: string;
  /** The CIDRs that cover exactly first..last (a CIDR entry gives itself). */
  readonly cidrs: readonly string[];
}

export interface ServiceAllocation {
  /** Lower first; 0 means unset and sorts last. */
  readonly priority: number;
  readonly namespaces: readonly string[];
  readonly namespaceSelectors: readonly LabelSelector[];
  readonly serviceSelectors: readonly LabelSelector[];
}

export interface PoolConfig {
  readonly name: string;
  readonly namespace?: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly addresses: readonly PoolRange[];
  readonly autoAssign: boolean;
  readonly avoidBuggyIPs: boolean;
  readonly serviceAllocation?: ServiceAllocation;
}

export interface AdvertisementConfig {
  /** BGPAdvertisement name, or `bgpadvertisementN` for legacy ones. */
  readonly name: string;
  /** 1..32, default 32. */
  readonly aggregationLength: number;
  /** 1..128, default 128. */
  readonly aggregationLengthV6: number;
  /** Sent only to iBGP peers; absent when unset (MetalLB native then sends 0 on iBGP). */
  readonly localPref?: number;
  /** Standard communities as `a:b` (aliases resolved), sorted. */
  readonly communities: readonly string[];
  /** Large communities as `a:b:c` (without the `large:` prefix), sorted. */
  readonly largeCommunities: readonly string[];
  /** Pool names this advertisement applies to (explicit names and selector matches, resolved). */
  readonly ipAddressPools: readonly string[];
  /** Nodes that announce; empty means every node. */
  readonly nodeSelectors: readonly LabelSelector[];
  /** Peer names that receive it; empty means every peer. */
  readonly peers: readonly string[];
  /** Services it applies to (ORed); empty means every service. */
  readonly serviceSelectors: readonly LabelSelector[];
}

export interface BfdProfileConfig {
  readonly name: string;
  readonly receiveInterval: number;
  readonly transmitInterval: number;
  readonly detectMultiplier: number;
  readonly echoInterval: number;
  readonly echoMode: boolean;
  readonly passiveMode: boolean;
  readonly minimumTtl: number;
}

/**
 * One configuration error or warning. `object` names the object (`BGPPeer/peer-a`, or the legacy path
 * root `ConfigMap metallb-system/config`), `path` the field (`spec.holdTime`,
 * `address-pools[1].addresses[0]`), `value` the offending value, `rule` a stable identifier
 * (`holdTimeRange`) that tests assert, `message` a sentence for people. `file` and `line` are set
 * when the problem is tied to a place in a YAML file. The same shape as a problem with any object
 * from outside (`ObjectIssue`), so both print alike.
 */
export type ConfigIssue = ObjectIssue;
