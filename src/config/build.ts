/**
 * `buildConfig`: configuration resources -> the normalised `Config`, applying MetalLB's defaults and
 * every validation rule of MetalLB's parser (`internal/config/config.go`, v0.12.1 for the legacy
 * ConfigMap), collecting all issues in one pass rather than stopping at the first. Pure.
 *
 * Accepted here although MetalLB's native mode rejects them (this project implements them): BFD
 * profiles, keepaliveTime, IPv6 pools, large communities, graceful restart, dynamicASN, connectTime.
 *
 * Node sets: MetalLB decides whether two advertisements (or peers) reach the same node by evaluating
 * their node selectors on the cluster's Nodes. When `resources.nodes` is given we do the same; without
 * nodes two selector lists are taken to overlap when either is empty (all nodes) or both contain the
 * same selector, and to be disjoint otherwise (the speaker still checks conflicts per node).
 */
import type { LabelSelector } from '../model/kubernetes.js';
import { anySelectorMatches } from '../model/kubernetes.js';
import type { IpPrefix } from '../model/ip.js';
import { bitsOf, canonicalIp, compareIp, formatIp, formatPrefix, parseCidr, parseIp, prefixesOverlap, summarizeRange } from '../model/ip.js';
import type {
  AdvertisementConfig,
  BfdProfileConfig,
  Config,
  ConfigIssue,
  PeerConfig,
  PoolConfig,
  PoolRange,
  ServiceAllocation,
} from './types.js';
import type { AdvertisementResource, ConfigResources, FieldPath, NodeInfo, PeerResource, PoolResource, ResourceSource } from './resources.js';
import { issueAt, issueAtPath } from './resources.js';
import { compareCommunityText, formatCommunity, parseCommunity } from './community.js';
import type { ParsedCommunity } from './community.js';
import { parseGoDuration, wholeSeconds } from './duration.js';

/** The result of `buildConfig`: the configuration, or every error found (with the warnings). */
export type BuildResult =
  | { readonly ok: true; readonly config: Config }
  | { readonly ok: false; readonly errors: readonly ConfigIssue[]; readonly warnings: readonly ConfigIssue[] };

/** MetalLB's defaults (native mode) and the limits this module enforces. */
export const CONFIG_DEFAULTS = {
  holdTime: 90,
  peerPort: 179,
  aggregationLength: 32,
  aggregationLengthV6: 128,
  /** FRR's BFD defaults, which MetalLB relies on when a profile leaves a field unset. */
  bfd: { receiveInterval: 300, transmitInterval: 300, detectMultiplier: 3, echoInterval: 50, minimumTtl: 254 },
} as const;

/** Stable rule identifiers `buildConfig` and the decoders emit (tests assert these). */
export const RULES = [
  'yamlSyntax', 'invalidType', 'integerRange', 'unknownField', 'missingName', 'duplicateName', 'duplicateEntry',
  'duplicateSelector', 'labelSelectorInvalid', 'mixedNamespaces', 'l2AdvertisementUnsupported', 'layer2Unsupported',
  'layer2Advertisements', 'missingProtocol', 'unknownProtocol', 'bgpExtrasUnsupported', 'secretDataInvalid',
  'myAsnRequired', 'peerAsnRequired', 'peerAsnXorDynamicAsn', 'dynamicAsnInvalid', 'ebgpMultiHopOnIbgp',
  'peerAddressRequired', 'peerAddressAndInterface', 'peerAddressInvalid', 'sourceAddressInvalid', 'routerIdInvalid',
  'peerPortRange', 'durationSyntax', 'holdTimeRange', 'keepaliveRange', 'keepaliveExceedsHold', 'connectTimeRange',
  'passwordXorSecret', 'passwordSecretNotFound', 'passwordSecretType', 'passwordSecretKey', 'bfdProfileNotFound',
  'duplicatePeer', 'unsupportedField', 'deprecatedField', 'poolAddressesRequired', 'poolAddressInvalid',
  'poolRangeOrder', 'poolRangeFamilyMismatch', 'cidrOverlap', 'aggregationLengthRange', 'aggregationVsPrefix',
  'localPrefConflict', 'serviceSelectorsWithAggregation', 'communityInvalid', 'unknownCommunityAlias',
  'duplicateCommunity', 'duplicateCommunityAlias', 'duplicateAdvertisement', 'unknownPool', 'unknownPeer',
  'poolNotAdvertised', 'bfdRange', 'bfdEchoWithIpv6', 'unsupportedKind',
  // Reading manifests (src/sources/manifests) and converting (convert.ts):
  'notAnObject', 'listItemNotAnObject', 'readFailed', 'nameNotConvertible',
] as const;
export type RuleId = (typeof RULES)[number];

class Issues {
  readonly list: ConfigIssue[];
  constructor(initial: readonly ConfigIssue[]) {
    this.list = [...initial];
  }
  error(source: ResourceSource, field: FieldPath, rule: RuleId, message: string, value?: unknown): void {
    const issue = issueAt('error', source, field, rule, message, value);
    // A field already reported with the wrong type is not reported again as missing or out of range.
    if (this.list.some((i) => i.rule === 'invalidType' && i.object === issue.object && i.path === issue.path)) return;
    this.list.push(issue);
  }
  warn(source: ResourceSource, field: FieldPath, rule: RuleId, message: string, value?: unknown): void {
    this.list.push(issueAt('warning', source, field, rule, message, value));
  }
  /** An issue about the object's name: `metadata.name`, or the legacy entry's `name`. */
  nameError(source: ResourceSource, rule: RuleId, message: string, value?: unknown): void {
    const path = source.legacy ? [...source.base, 'name'] : ['metadata', 'name'];
    this.list.push(issueAtPath('error', source, path, rule, message, value));
  }
  errorAtPath(source: ResourceSource, path: FieldPath, rule: RuleId, message: string, value?: unknown): void {
    this.list.push(issueAtPath('error', source, path, rule, message, value));
  }
}

/** A selector in a canonical text form (sorted keys, expressions and values). */
export function selectorKey(s: LabelSelector): string {
  const labels = Object.entries(s.matchLabels ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const exprs = (s.matchExpressions ?? [])
    .map((e) => JSON.stringify([e.key, e.operator, [...(e.values ?? [])].sort()]))
    .sort();
  return JSON.stringify([labels, exprs]);
}

function checkDuplicateSelectors(issues: Issues, source: ResourceSource, field: string, selectors: readonly LabelSelector[]): void {
  const seen = new Set<string>();
  selectors.forEach((s, i) => {
    const key = selectorKey(s);
    if (seen.has(key)) issues.error(source, [field, i], 'duplicateSelector', `duplicate definition of ${field}`);
    seen.add(key);
  });
}

function checkDuplicateStrings(issues: Issues, source: ResourceSource, field: string, values: readonly string[], rule: RuleId = 'duplicateEntry'): void {
  values.forEach((v, i) => {
    if (values.indexOf(v) !== i) issues.error(source, [field, i], rule, `duplicate definition of ${field} "${v}"`, v);
  });
}

/** Whether two node-selector lists can select a common node (see the module header). */
export function nodeSetsOverlap(a: readonly LabelSelector[], b: readonly LabelSelector[], nodes: readonly NodeInfo[] | undefined): boolean {
  if (nodes !== undefined) {
    return nodes.some((n) => anySelectorMatches(a, n.labels) && anySelectorMatches(b, n.labels));
  }
  if (a.length === 0 || b.length === 0) return true;
  const keys = new Set(a.map(selectorKey));
  return b.some((s) => keys.has(selectorKey(s)));
}

interface ParsedDuration {
  readonly seconds: number;
}

function readDuration(issues: Issues, source: ResourceSource, field: string, text: string | undefined): ParsedDuration | undefined | null {
  if (text === undefined) return undefined;
  const seconds = parseGoDuration(text);
  if (seconds === undefined) {
    issues.error(source, [field], 'durationSyntax', 'not a duration (examples: 90s, 1m30s)', text);
    return null;
  }
  return { seconds };
}

/** `internal/config/config.go: parseTimers`, in whole seconds. Returns undefined after reporting an error. */
function peerTimers(issues: Issues, p: PeerResource): { holdTime: number; keepaliveTime: number } | undefined {
  const ht = readDuration(issues, p.source, 'holdTime', p.holdTime);
  const ka = readDuration(issues, p.source, 'keepaliveTime', p.keepaliveTime);
  if (ht === null || ka === null) return undefined;
  if (ht === undefined && ka === undefined) {
    return { holdTime: CONFIG_DEFAULTS.holdTime, keepaliveTime: CONFIG_DEFAULTS.holdTime / 3 };
  }
  const hold = ht !== undefined ? ht.seconds : (ka?.seconds ?? 0) * 3;
  const keepalive = ka !== undefined ? ka.seconds : hold / 3;
  let ok = true;
  const holdRounded = wholeSeconds(hold);
  // RFC 4271 §4.2: the hold time MUST be either zero or at least three seconds.
  // RFC 4271 §4.2: Hold Time is a 2-octet field, so at most 65535 seconds.
  if ((holdRounded !== 0 && holdRounded < 3) || holdRounded > 65535) {
    issues.error(p.source, [ht !== undefined ? 'holdTime' : 'keepaliveTime'], 'holdTimeRange', 'hold time must be 0 or from 3s to 65535s', ht !== undefined ? p.holdTime : p.keepaliveTime);
    ok = false;
  }
  if (keepalive < 0) {
    issues.error(p.source, ['keepaliveTime'], 'keepaliveRange', 'keepalive time must not be negative', p.keepaliveTime);
    ok = false;
  } else if (keepalive > hold) {
    issues.error(p.source, ['keepaliveTime'], 'keepaliveExceedsHold', 'keepalive time must not be longer than the hold time', p.keepaliveTime);
    ok = false;
  }
  return ok ? { holdTime: holdRounded, keepaliveTime: wholeSeconds(keepalive) } : undefined;
}

interface PoolParse {
  readonly config: PoolConfig;
  readonly resource: PoolResource;
  /** Per address entry: its CIDRs (for aggregation checks and overlap). */
  readonly entries: readonly { readonly text: string; readonly index: number; readonly prefixes: readonly IpPrefix[] }[];
  readonly hasV4: boolean;
  readonly hasV6: boolean;
}

/** Parses one `addresses` entry: a CIDR (host bits allowed, as Go's net.ParseCIDR) or `first-last`. */
function parseAddressEntry(
  text: string,
): { ok: true; range: PoolRange; prefixes: IpPrefix[] } | { ok: false; rule: RuleId; message: string } {
  if (!text.includes('-')) {
    const prefix = parseCidr(text.trim() === text ? text : '', false);
    if (!prefix) return { ok: false, rule: 'poolAddressInvalid', message: 'not a CIDR or an address range' };
    const bits = BigInt(bitsOf(prefix.family) - prefix.length);
    const last = prefix.value + (1n << bits) - 1n;
    return {
      ok: true,
      range: { family: prefix.family, first: formatIp({ family: prefix.family, value: prefix.value }), last: formatIp({ family: prefix.family, value: last }), cidrs: [formatPrefix(prefix)] },
      prefixes: [prefix],
    };
  }
  const dash = text.indexOf('-');
  const start = parseIp(text.slice(0, dash).trim());
  const end = parseIp(text.slice(dash + 1).trim());
  if (!start || !end) return { ok: false, rule: 'poolAddressInvalid', message: 'not a valid address range (first-last)' };
  if (start.family !== end.family) return { ok: false, rule: 'poolRangeFamilyMismatch', message: 'range mixes IPv4 and IPv6' };
  if (compareIp(start, end) > 0) return { ok: false, rule: 'poolRangeOrder', message: 'the first address of the range is after the last' };
  const prefixes = summarizeRange(start.family, start.value, end.value);
  return {
    ok: true,
    range: { family: start.family, first: formatIp(start), last: formatIp(end), cidrs: prefixes.map(formatPrefix) },
    prefixes,
  };
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

/**
 * Builds the normalised configuration from `resources`, or returns every error found. Warnings
 * (unsupported layer2 objects, unknown references that MetalLB ignores, ...) are in
 * `config.warnings` on success and beside the errors on failure.
 */
export function buildConfig(resources: ConfigResources): BuildResult {
  const issues = new Issues(resources.issues);
  const nodes = resources.nodes;

  // BFD profiles.
  const bfdProfiles: BfdProfileConfig[] = [];
  const bfdByName = new Map<string, BfdProfileConfig>();
  for (const b of resources.bfdProfiles) {
    if (b.name === '') {
      issues.nameError(b.source, 'missingName', 'BFD profile has no name');
      continue;
    }
    if (bfdByName.has(b.name)) issues.nameError(b.source, 'duplicateName', `duplicate BFD profile name "${b.name}"`, b.name);
    const ranges: [keyof typeof CONFIG_DEFAULTS.bfd, number, number][] = [
      ['detectMultiplier', 2, 255],
      ['receiveInterval', 10, 60000],
      ['transmitInterval', 10, 60000],
      ['minimumTtl', 1, 254],
      ['echoInterval', 10, 60000],
    ];
    const values = { ...CONFIG_DEFAULTS.bfd } as Record<keyof typeof CONFIG_DEFAULTS.bfd, number>;
    for (const [field, min, max] of ranges) {
      const v = b[field];
      if (v === undefined) continue;
      if (v < min || v > max) issues.error(b.source, [field], 'bfdRange', `must be from ${min} to ${max}`, v);
      values[field] = v;
    }
    const profile: BfdProfileConfig = { name: b.name, ...values, echoMode: b.echoMode ?? false, passiveMode: b.passiveMode ?? false };
    if (!bfdByName.has(b.name)) {
      bfdByName.set(b.name, profile);
      bfdProfiles.push(profile);
    }
  }

  // Community aliases.
  const aliases = new Map<string, ParsedCommunity>();
  for (const c of resources.communities) {
    for (const alias of c.aliases) {
      const parsed = parseCommunity(alias.value);
      if (!parsed.ok) issues.errorAtPath(c.source, alias.path, 'communityInvalid', 'not a community (a:b or large:a:b:c)', alias.value);
      if (aliases.has(alias.name)) {
        issues.errorAtPath(c.source, alias.path.slice(0, -1), 'duplicateCommunityAlias', `duplicate definition of community alias "${alias.name}"`, alias.name);
      } else if (parsed.ok) aliases.set(alias.name, parsed.community);
    }
  }

  // Peers.
  const peers: PeerConfig[] = [];
  const peerResources: PeerResource[] = [];
  const peerNames = new Set<string>();
  for (const p of resources.peers) {
    const before = issues.list.length;
    const errorsSince = (): boolean => issues.list.slice(before).some((i) => i.severity === 'error');
    const src = p.source;
    if (peerNames.has(p.name)) issues.nameError(src, 'duplicateName', `duplicate BGPPeer name "${p.name}"`, p.name);
    peerNames.add(p.name);
    if (p.myASN === undefined || p.myASN === 0) issues.error(src, ['myASN'], 'myAsnRequired', 'myASN is required and must not be 0', p.myASN);
    const hasPeerAsn = p.peerASN !== undefined && p.peerASN !== 0;
    if (!hasPeerAsn && !p.dynamicASN) issues.error(src, ['peerASN'], 'peerAsnRequired', 'peerASN (or dynamicASN) is required', p.peerASN);
    if (hasPeerAsn && p.dynamicASN) issues.error(src, ['dynamicASN'], 'peerAsnXorDynamicAsn', 'peerASN and dynamicASN are mutually exclusive', p.dynamicASN);
    if (p.dynamicASN && p.dynamicASN !== 'internal' && p.dynamicASN !== 'external') {
      issues.error(src, ['dynamicASN'], 'dynamicAsnInvalid', 'dynamicASN must be internal or external', p.dynamicASN);
    }
    const ibgp = (hasPeerAsn && p.peerASN === p.myASN) || p.dynamicASN === 'internal';
    if (ibgp && p.ebgpMultiHop) issues.error(src, ['ebgpMultiHop'], 'ebgpMultiHopOnIbgp', 'ebgpMultiHop cannot be set on an iBGP peer', true);
    if (p.localASN !== undefined && p.localASN !== 0) issues.error(src, ['localASN'], 'unsupportedField', 'localASN is not supported by metallb-ts', p.localASN);
    if (p.interface) issues.error(src, ['interface'], 'unsupportedField', 'unnumbered BGP (interface) is not supported by metallb-ts', p.interface);
    if (p.peerAddress && p.interface) issues.error(src, ['interface'], 'peerAddressAndInterface', 'peerAddress and interface are mutually exclusive', p.interface);
    let address: string | undefined;
    if (!p.peerAddress) {
      if (!p.interface) issues.error(src, ['peerAddress'], 'peerAddressRequired', 'peerAddress is required');
    } else {
      address = canonicalIp(p.peerAddress);
      if (address === undefined) issues.error(src, ['peerAddress'], 'peerAddressInvalid', 'not an IP address', p.peerAddress);
    }
    let sourceAddress: string | undefined;
    if (p.sourceAddress) {
      sourceAddress = canonicalIp(p.sourceAddress);
      if (sourceAddress === undefined) issues.error(src, ['sourceAddress'], 'sourceAddressInvalid', 'not an IP address', p.sourceAddress);
    }
    let routerId: string | undefined;
    if (p.routerID) {
      const ip = parseIp(p.routerID);
      // RFC 4271 §4.2: the BGP Identifier is a 4-octet value, written as an IPv4 address;
      // RFC 6286 §2.1: it must not be zero.
      if (!ip || ip.family !== 'ipv4' || ip.value === 0n) issues.error(src, ['routerID'], 'routerIdInvalid', 'routerID must be a non-zero IPv4 address', p.routerID);
      else routerId = formatIp(ip);
    }
    const maxPort = src.legacy ? 65535 : 16384;
    if (p.peerPort !== undefined && (p.peerPort < 1 || p.peerPort > maxPort)) {
      issues.error(src, ['peerPort'], 'peerPortRange', `peerPort must be from 1 to ${maxPort}`, p.peerPort);
    }
    const timers = peerTimers(issues, p);
    let connectTime: number | undefined;
    const ct = readDuration(issues, src, 'connectTime', p.connectTime);
    if (ct) {
      const ms = Math.trunc(ct.seconds * 1000 + 1e-6);
      if (ct.seconds < 1 || ct.seconds >= 65536 || ms % 1000 !== 0) {
        issues.error(src, ['connectTime'], 'connectTimeRange', 'connectTime must be whole seconds from 1 to 65535', p.connectTime);
      } else connectTime = ms / 1000;
    }
    checkDuplicateSelectors(issues, src, 'nodeSelectors', p.nodeSelectors);
    let password = p.password || undefined;
    if (p.password && p.passwordSecret?.name) {
      issues.error(src, ['passwordSecret'], 'passwordXorSecret', 'password and passwordSecret are mutually exclusive', p.passwordSecret.name);
    } else if (p.passwordSecret?.name) {
      const ns = p.passwordSecret.namespace ?? p.namespace;
      const secret = resources.secrets.find((s) => s.name === p.passwordSecret?.name && (ns === undefined || s.namespace === undefined || s.namespace === ns));
      if (!secret) {
        issues.error(src, ['passwordSecret', 'name'], 'passwordSecretNotFound', `Secret "${p.passwordSecret.name}" not found`, p.passwordSecret.name);
      } else if (secret.type !== 'kubernetes.io/basic-auth') {
        issues.error(src, ['passwordSecret', 'name'], 'passwordSecretType', `Secret "${secret.name}" must be of type kubernetes.io/basic-auth`, secret.type ?? 'Opaque');
      } else if (secret.data.password === undefined) {
        issues.error(src, ['passwordSecret', 'name'], 'passwordSecretKey', `Secret "${secret.name}" has no "password" key`, secret.name);
      } else password = secret.data.password;
    }
    if (p.bfdProfile && !bfdByName.has(p.bfdProfile)) {
      issues.error(src, ['bfdProfile'], 'bfdProfileNotFound', `BFD profile "${p.bfdProfile}" does not exist`, p.bfdProfile);
    }
    if (p.disableMP) issues.warn(src, ['disableMP'], 'deprecatedField', 'disableMP is deprecated and ignored', true);
    if (p.dualStackAddressFamily) issues.warn(src, ['dualStackAddressFamily'], 'unsupportedField', 'dualStackAddressFamily is ignored: each session carries the family of its peer address', true);
    if (errorsSince() || !timers || address === undefined || p.myASN === undefined) continue;
    const dyn = p.dynamicASN === 'internal' || p.dynamicASN === 'external' ? p.dynamicASN : undefined;
    peers.push({
      name: p.name,
      ...(p.namespace !== undefined ? { namespace: p.namespace } : {}),
      myAsn: p.myASN,
      ...(dyn === undefined && p.peerASN !== undefined ? { peerAsn: p.peerASN } : {}),
      ...(dyn !== undefined ? { dynamicAsn: dyn } : {}),
      peerAddress: address,
      peerPort: p.peerPort ?? CONFIG_DEFAULTS.peerPort,
      ...(sourceAddress !== undefined ? { sourceAddress } : {}),
      holdTime: timers.holdTime,
      keepaliveTime: timers.keepaliveTime,
      ...(connectTime !== undefined ? { connectTime } : {}),
      ...(routerId !== undefined ? { routerId } : {}),
      nodeSelectors: p.nodeSelectors,
      ...(password !== undefined ? { password } : {}),
      ...(p.bfdProfile ? { bfdProfile: p.bfdProfile } : {}),
      ebgpMultiHop: p.ebgpMultiHop,
      enableGracefulRestart: p.enableGracefulRestart,
      ...(p.vrf ? { vrf: p.vrf } : {}),
    });
    peerResources.push(p);
  }
  // Two sessions from one node to one router endpoint would fight each other (MetalLB #705).
  for (let i = 0; i < peers.length; i++) {
    for (let j = 0; j < i; j++) {
      const a = peers[i];
      const b = peers[j];
      const ra = peerResources[i];
      if (!a || !b || !ra) continue;
      if (a.peerAddress === b.peerAddress && a.peerPort === b.peerPort && (a.vrf ?? '') === (b.vrf ?? '') && nodeSetsOverlap(a.nodeSelectors, b.nodeSelectors, nodes)) {
        issues.error(ra.source, ['peerAddress'], 'duplicatePeer', `peer ${b.name} already connects to ${a.peerAddress} port ${a.peerPort} from the same nodes`, a.peerAddress);
      }
    }
  }

  // Pools.
  const pools: PoolParse[] = [];
  const brokenPools: PoolParse[] = [];
  const poolNames = new Set<string>();
  const allPrefixes: { prefix: IpPrefix; pool: string }[] = [];
  for (const p of resources.pools) {
    const src = p.source;
    const before = issues.list.length;
    if (p.name === '') issues.nameError(src, 'missingName', 'address pool has no name');
    else if (poolNames.has(p.name)) issues.nameError(src, 'duplicateName', `duplicate definition of pool "${p.name}"`, p.name);
    poolNames.add(p.name);
    if (p.addresses.length === 0) issues.error(src, ['addresses'], 'poolAddressesRequired', 'pool has no addresses');
    const ranges: PoolRange[] = [];
    const entries: { text: string; index: number; prefixes: IpPrefix[] }[] = [];
    p.addresses.forEach((text, index) => {
      const parsed = parseAddressEntry(text);
      if (!parsed.ok) {
        issues.error(src, ['addresses', index], parsed.rule, parsed.message, text);
        return;
      }
      for (const prefix of parsed.prefixes) {
        const other = allPrefixes.find((o) => prefixesOverlap(o.prefix, prefix));
        if (other) {
          issues.error(src, ['addresses', index], 'cidrOverlap', `${formatPrefix(prefix)} overlaps with ${formatPrefix(other.prefix)} of pool "${other.pool}"`, text);
          break;
        }
      }
      for (const prefix of parsed.prefixes) allPrefixes.push({ prefix, pool: p.name });
      ranges.push(parsed.range);
      entries.push({ text, index, prefixes: parsed.prefixes });
    });
    let serviceAllocation: ServiceAllocation | undefined;
    if (p.serviceAllocation) {
      const sa = p.serviceAllocation;
      const saSrc: ResourceSource = { ...src, base: [...src.base, 'serviceAllocation'] };
      checkDuplicateStrings(issues, saSrc, 'namespaces', sa.namespaces);
      checkDuplicateSelectors(issues, saSrc, 'namespaceSelectors', sa.namespaceSelectors);
      checkDuplicateSelectors(issues, saSrc, 'serviceSelectors', sa.serviceSelectors);
      serviceAllocation = { priority: sa.priority ?? 0, namespaces: sa.namespaces, namespaceSelectors: sa.namespaceSelectors, serviceSelectors: sa.serviceSelectors };
    }
    // A pool with errors is left out of the result but still checked against its advertisements,
    // so one run reports every problem.
    const valid = !issues.list.slice(before).some((i) => i.severity === 'error');
    (valid ? pools : brokenPools).push({
      resource: p,
      entries,
      hasV4: ranges.some((r) => r.family === 'ipv4'),
      hasV6: ranges.some((r) => r.family === 'ipv6'),
      config: {
        name: p.name,
        ...(p.namespace !== undefined ? { namespace: p.namespace } : {}),
        labels: p.labels,
        addresses: ranges,
        autoAssign: p.autoAssign ?? true,
        avoidBuggyIPs: p.avoidBuggyIPs,
        ...(serviceAllocation ? { serviceAllocation } : {}),
      },
    });
  }

  // Advertisements.
  const advertisements: AdvertisementConfig[] = [];
  const attached = new Map<string, AdvParse[]>();
  const advNames = new Set<string>();
  const peerByName = new Map(peers.map((p) => [p.name, p]));
  for (const a of resources.advertisements) {
    const src = a.source;
    const before = issues.list.length;
    if (!src.legacy) {
      if (advNames.has(a.name)) issues.nameError(src, 'duplicateName', `duplicate BGPAdvertisement name "${a.name}"`, a.name);
      advNames.add(a.name);
    }
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
      const alias = aliases.get(text);
      const parsed = alias ? ({ ok: true, community: alias } as const) : parseCommunity(text);
      if (parsed.ok) (parsed.community.kind === 'standard' ? standard : large).add(formatCommunity(parsed.community));
      else if (parsed.reason === 'invalidValue') issues.error(src, ['communities', i], 'communityInvalid', 'not a valid community (a:b with two 16-bit values, or large:a:b:c with three 32-bit values)', text);
      else issues.error(src, ['communities', i], 'unknownCommunityAlias', `"${text}" is neither a community nor a known Community alias`, text);
    });
    for (const name of a.ipAddressPools) {
      if (!poolNames.has(name)) issues.warn(src, ['ipAddressPools', a.ipAddressPools.indexOf(name)], 'unknownPool', `pool "${name}" does not exist`, name);
    }
    a.peers.forEach((name, i) => {
      if (!peerNames.has(name)) issues.warn(src, ['peers', i], 'unknownPeer', `peer "${name}" does not exist; this advertisement is sent to no session for it`, name);
    });
    const checked = [...pools, ...brokenPools];
    const targets =
      a.ipAddressPools.length === 0 && a.ipAddressPoolSelectors.length === 0
        ? checked
        : checked.filter((p) => a.ipAddressPools.includes(p.config.name) || (a.ipAddressPoolSelectors.length > 0 && anySelectorMatches(a.ipAddressPoolSelectors, p.config.labels)));
    const parse: AdvParse = {
      resource: a,
      aggregationLength,
      aggregationLengthV6,
      localPref: a.localPref ?? 0,
      communities: [...standard].sort(compareCommunityText),
      largeCommunities: [...large].sort(compareCommunityText),
    };
    for (const pool of targets) {
      // validateBGPAdvPerPool: the aggregate must not reach outside the pool's largest block.
      for (const entry of pool.entries) {
        const first = entry.prefixes[0];
        if (!first) continue;
        const v6 = first.family === 'ipv6';
        const length = v6 ? aggregationLengthV6 : aggregationLength;
        const lowest = Math.min(...entry.prefixes.map((x) => x.length));
        if (length < lowest) {
          issues.error(src, [v6 ? 'aggregationLengthV6' : 'aggregationLength'], 'aggregationVsPrefix',
            `aggregation length ${length} is shorter than prefix /${lowest} of "${entry.text}" in pool "${pool.config.name}"`, length);
        }
      }
      if (a.serviceSelectors.length === 0) {
        for (const other of attached.get(pool.config.name) ?? []) {
          if (other.resource.serviceSelectors.length > 0) continue;
          if (!compatibleLocalPref(parse, other, pool, nodes)) {
            issues.error(src, ['localPref'], 'localPrefConflict',
              `localPref ${parse.localPref} conflicts with localPref ${other.localPref} of ${other.resource.name} on pool "${pool.config.name}" (same aggregation, peers and nodes)`, parse.localPref);
          }
        }
      }
      attached.set(pool.config.name, [...(attached.get(pool.config.name) ?? []), parse]);
    }
    // MetalLB validateConfig: BFD echo mode cannot serve IPv6 advertisements.
    for (const pool of targets.filter((t) => t.hasV6)) {
      const receivers = a.peers.length === 0 ? peers : a.peers.map((n) => peerByName.get(n)).filter((x): x is PeerConfig => x !== undefined);
      for (const peer of receivers) {
        if (peer.bfdProfile && bfdByName.get(peer.bfdProfile)?.echoMode) {
          issues.error(src, a.peers.length === 0 ? [] : ['peers'], 'bfdEchoWithIpv6',
            `pool "${pool.config.name}" has IPv6 addresses advertised to peer ${peer.name}, whose BFD profile uses echo mode`, peer.name);
        }
      }
    }
    if (issues.list.slice(before).some((i) => i.severity === 'error')) continue;
    advertisements.push({
      name: a.name,
      aggregationLength,
      aggregationLengthV6,
      ...(a.localPref !== undefined ? { localPref: a.localPref } : {}),
      communities: parse.communities,
      largeCommunities: parse.largeCommunities,
      ipAddressPools: targets.filter((t) => pools.includes(t)).map((t) => t.config.name),
      nodeSelectors: a.nodeSelectors,
      peers: a.peers,
      serviceSelectors: a.serviceSelectors,
    });
  }
  for (const pool of pools) {
    if (pool.resource.protocol === 'layer2') continue;
    if (!resources.advertisements.some((a) => (a.ipAddressPools.length === 0 && a.ipAddressPoolSelectors.length === 0) || a.ipAddressPools.includes(pool.config.name) || (a.ipAddressPoolSelectors.length > 0 && anySelectorMatches(a.ipAddressPoolSelectors, pool.config.labels)))) {
      issues.warn(pool.resource.source, [], 'poolNotAdvertised', `no BGPAdvertisement selects pool "${pool.config.name}": its addresses are allocated but not announced`);
    }
  }

  const errors = issues.list.filter((i) => i.severity === 'error');
  const warnings = issues.list.filter((i) => i.severity === 'warning');
  if (errors.length > 0) return { ok: false, errors, warnings };
  return { ok: true, config: { peers, pools: pools.map((p) => p.config), advertisements, bfdProfiles, warnings } };
}
