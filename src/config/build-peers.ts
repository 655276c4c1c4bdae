/**
 * BGP peers -> `PeerConfig`: MetalLB's parser rules for ASNs, addresses, timers
 * (`internal/config/config.go: parseTimers`), passwords and their Secrets, and the duplicate-peer
 * check (two sessions from one node to one router endpoint fight each other, MetalLB #705). A peer
 * with an error is left out of the result; the others are still built.
 */
import { canonicalIp, formatIp, parseIp } from '../model/ip.js';
import type { BfdProfileConfig, PeerConfig } from './types.js';
import type { NodeInfo, PeerResource, ResourceSource, SecretResource } from './resources.js';
import { CONFIG_DEFAULTS } from './defaults.js';
import type { Issues } from './issues.js';
import { checkDuplicateSelectors, nodeSetsOverlap } from './selectors.js';
import { parseGoDuration, wholeSeconds } from './duration.js';

/** The peers that were built, and the names of every peer written (built or not). */
export interface BuiltPeers {
  readonly list: readonly PeerConfig[];
  readonly names: ReadonlySet<string>;
}

interface ParsedDuration {
  readonly seconds: number;
}

/** A duration field: undefined when unset, null after reporting an error. */
export function readDuration(issues: Issues, source: ResourceSource, field: string, text: string | undefined): ParsedDuration | undefined | null {
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

/** `connectTime`: whole seconds from 1 to 65535 (MetalLB's CEL rule). */
function peerConnectTime(issues: Issues, p: PeerResource): number | undefined {
  const ct = readDuration(issues, p.source, 'connectTime', p.connectTime);
  if (!ct) return undefined;
  const ms = Math.trunc(ct.seconds * 1000 + 1e-6);
  if (ct.seconds < 1 || ct.seconds >= 65536 || ms % 1000 !== 0) {
    issues.error(p.source, ['connectTime'], 'connectTimeRange', 'connectTime must be whole seconds from 1 to 65535', p.connectTime);
    return undefined;
  }
  return ms / 1000;
}

/** What the kernel takes as a TCP MD5 key (`TCP_MD5SIG_MAXKEYLEN`); RFC 2385 §4.1 sets no length. */
const MD5_KEY_LENGTH_RULE = 'must be 1 to 80 bytes long (UTF-8): the kernel\'s TCP MD5 key limit';

function md5KeyLengthOk(password: string): boolean {
  const bytes = Buffer.byteLength(password, 'utf8');
  return bytes >= 1 && bytes <= 80;
}

/** `password`, or the `password` key of the `passwordSecret` Secret (of type basic-auth). */
function peerPassword(issues: Issues, p: PeerResource, secrets: readonly SecretResource[]): string | undefined {
  const src = p.source;
  if (p.password && p.passwordSecret?.name) {
    issues.error(src, ['passwordSecret'], 'passwordXorSecret', 'password and passwordSecret are mutually exclusive', p.passwordSecret.name);
    return undefined;
  }
  if (!p.passwordSecret?.name) {
    if (p.password && !md5KeyLengthOk(p.password)) {
      issues.error(src, ['password'], 'passwordLength', `the password ${MD5_KEY_LENGTH_RULE}`);
      return undefined;
    }
    return p.password || undefined;
  }
  const name = p.passwordSecret.name;
  const ns = p.passwordSecret.namespace ?? p.namespace;
  const secret = secrets.find((s) => s.name === name && (ns === undefined || s.namespace === undefined || s.namespace === ns));
  if (!secret) {
    issues.error(src, ['passwordSecret', 'name'], 'passwordSecretNotFound', `Secret "${name}" not found`, name);
  } else if (secret.type !== 'kubernetes.io/basic-auth') {
    issues.error(src, ['passwordSecret', 'name'], 'passwordSecretType', `Secret "${secret.name}" must be of type kubernetes.io/basic-auth`, secret.type ?? 'Opaque');
  } else if (secret.data.password === undefined) {
    issues.error(src, ['passwordSecret', 'name'], 'passwordSecretKey', `Secret "${secret.name}" has no "password" key`, secret.name);
  } else if (!md5KeyLengthOk(secret.data.password)) {
    issues.error(src, ['passwordSecret', 'name'], 'passwordLength', `the password of Secret "${secret.name}" ${MD5_KEY_LENGTH_RULE}`, secret.name);
  } else return secret.data.password;
  return undefined;
}

/**
 * Settings that are valid but that the speaker does not apply yet: one warning per field, so every
 * command that reads the configuration says so (`validate`, `explain`, `plan`, `run`,
 * `router-config`). Remove a warning when its feature lands.
 */
function warnNotApplied(issues: Issues, p: PeerResource): void {
  if (p.bfdProfile) {
    issues.warn(p.source, ['bfdProfile'], 'settingNotApplied',
      'the speaker does not run BFD yet: a failed link is detected by the BGP hold time only', p.bfdProfile);
  }
}

/** Checks one peer (and records its name in `names`); returns its `PeerConfig` when it has no error. */
function buildPeer(
  issues: Issues,
  p: PeerResource,
  names: Set<string>,
  secrets: readonly SecretResource[],
  bfdByName: ReadonlyMap<string, BfdProfileConfig>,
): PeerConfig | undefined {
  const mark = issues.mark();
  const src = p.source;
  if (names.has(p.name)) issues.nameError(src, 'duplicateName', `duplicate BGPPeer name "${p.name}"`, p.name);
  names.add(p.name);
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
  // MetalLB's native mode rejects vrf too (`validation.go: DiscardFRROnly`): every session runs in
  // the default VRF, so accepting it would also let two peers at one address reach one router.
  if (p.vrf) issues.error(src, ['vrf'], 'unsupportedField', 'vrf is not supported by metallb-ts (as in MetalLB\'s native BGP mode): every session runs in the default VRF', p.vrf);
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
  const connectTime = peerConnectTime(issues, p);
  checkDuplicateSelectors(issues, src, 'nodeSelectors', p.nodeSelectors);
  const password = peerPassword(issues, p, secrets);
  if (p.bfdProfile && !bfdByName.has(p.bfdProfile)) {
    issues.error(src, ['bfdProfile'], 'bfdProfileNotFound', `BFD profile "${p.bfdProfile}" does not exist`, p.bfdProfile);
  }
  warnNotApplied(issues, p);
  if (p.disableMP) issues.warn(src, ['disableMP'], 'deprecatedField', 'disableMP is deprecated and ignored', true);
  if (p.dualStackAddressFamily) issues.warn(src, ['dualStackAddressFamily'], 'unsupportedField', 'dualStackAddressFamily is ignored: each session carries the family of its peer address', true);
  if (issues.errorsSince(mark) || !timers || address === undefined || p.myASN === undefined) return undefined;
  const dyn = p.dynamicASN === 'internal' || p.dynamicASN === 'external' ? p.dynamicASN : undefined;
  return {
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
  };
}

/** Checks every peer of `peers`, then that no two of them reach one router endpoint from one node. */
export function buildPeers(
  issues: Issues,
  peers: readonly PeerResource[],
  secrets: readonly SecretResource[],
  bfdByName: ReadonlyMap<string, BfdProfileConfig>,
  nodes: readonly NodeInfo[] | undefined,
): BuiltPeers {
  const list: PeerConfig[] = [];
  const sources: ResourceSource[] = [];
  const names = new Set<string>();
  for (const p of peers) {
    const peer = buildPeer(issues, p, names, secrets, bfdByName);
    if (peer === undefined) continue;
    list.push(peer);
    sources.push(p.source);
  }
  // Two sessions from one node to one router endpoint would fight each other (MetalLB #705).
  for (let i = 0; i < list.length; i++) {
    for (let j = 0; j < i; j++) {
      const a = list[i];
      const b = list[j];
      const source = sources[i];
      if (!a || !b || !source) continue;
      if (a.peerAddress === b.peerAddress && a.peerPort === b.peerPort && nodeSetsOverlap(a.nodeSelectors, b.nodeSelectors, nodes)) {
        issues.error(source, ['peerAddress'], 'duplicatePeer', `peer ${b.name} already connects to ${a.peerAddress} port ${a.peerPort} from the same nodes`, a.peerAddress);
      }
    }
  }
  return { list, names };
}
