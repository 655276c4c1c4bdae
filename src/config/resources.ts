/**
 * The intermediate resources both configuration formats become: one record per MetalLB object
 * (IPAddressPool, BGPPeer, BGPAdvertisement, Community, BFDProfile, Secret), in the shape of the
 * `metallb.io` CRD specs, with values as the user wrote them (durations still text, addresses not yet
 * parsed) and a `source` that says where each came from so `buildConfig` can name the object, the
 * field and the line of every problem.
 *
 * The legacy ConfigMap decodes into exactly these records (as MetalLB's configmaptocrs converts it),
 * so one `buildConfig` validates both formats.
 */
import type { LabelSelector } from '../model/kubernetes.js';
import type { ConfigIssue } from './types.js';

export type PathSegment = string | number;
export type FieldPath = readonly PathSegment[];

/** Where a resource came from, and how to turn a CRD field path into the path the user wrote. */
export interface ResourceSource {
  /** `IPAddressPool`, `BGPPeer`, ..., or `ConfigMap` for legacy records. */
  readonly kind: string;
  readonly name: string;
  readonly namespace?: string;
  /** How issues name the object: `BGPPeer/peer-a`, `ConfigMap/config`. */
  readonly object: string;
  /** Path of this record inside the object: `['spec']`, or `['peers', 0]` in a legacy config. */
  readonly base: FieldPath;
  /** Legacy records translate CRD field names to the ConfigMap's kebab-case keys. */
  readonly legacy: boolean;
  readonly file?: string;
  readonly line?: number;
  /** Line of a path (relative to the object's root) in `file`, when known. */
  readonly lineOf?: (path: FieldPath) => number | undefined;
}

export interface PasswordSecretRef {
  readonly name?: string;
  readonly namespace?: string;
}

export interface PeerResource {
  readonly source: ResourceSource;
  readonly name: string;
  readonly namespace?: string;
  readonly myASN?: number;
  readonly peerASN?: number;
  readonly dynamicASN?: string;
  readonly localASN?: number;
  readonly peerAddress?: string;
  readonly interface?: string;
  readonly sourceAddress?: string;
  readonly peerPort?: number;
  /** Go duration text, as written. */
  readonly holdTime?: string;
  readonly keepaliveTime?: string;
  readonly connectTime?: string;
  readonly routerID?: string;
  readonly nodeSelectors: readonly LabelSelector[];
  readonly password?: string;
  readonly passwordSecret?: PasswordSecretRef;
  readonly bfdProfile?: string;
  readonly ebgpMultiHop: boolean;
  readonly enableGracefulRestart: boolean;
  readonly vrf?: string;
  readonly disableMP: boolean;
  readonly dualStackAddressFamily: boolean;
}

export interface ServiceAllocationResource {
  readonly priority?: number;
  readonly namespaces: readonly string[];
  readonly namespaceSelectors: readonly LabelSelector[];
  readonly serviceSelectors: readonly LabelSelector[];
}

export interface PoolResource {
  readonly source: ResourceSource;
  readonly name: string;
  readonly namespace?: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly addresses: readonly string[];
  readonly autoAssign?: boolean;
  readonly avoidBuggyIPs: boolean;
  readonly serviceAllocation?: ServiceAllocationResource;
  /** Legacy pools only: `bgp` or `layer2` (validated by the legacy decoder). */
  readonly protocol?: string;
}

export interface AdvertisementResource {
  readonly source: ResourceSource;
  readonly name: string;
  readonly namespace?: string;
  readonly aggregationLength?: number;
  readonly aggregationLengthV6?: number;
  readonly localPref?: number;
  readonly communities: readonly string[];
  readonly ipAddressPools: readonly string[];
  readonly ipAddressPoolSelectors: readonly LabelSelector[];
  readonly nodeSelectors: readonly LabelSelector[];
  readonly peers: readonly string[];
  readonly serviceSelectors: readonly LabelSelector[];
}

export interface CommunityAliasResource {
  readonly name: string;
  readonly value: string;
  /** Path of this alias's value in its object (`['spec','communities',0,'value']`, `['bgp-communities','no-export']`). */
  readonly path: FieldPath;
}

export interface CommunityResource {
  readonly source: ResourceSource;
  readonly name: string;
  readonly aliases: readonly CommunityAliasResource[];
}

export interface BfdProfileResource {
  readonly source: ResourceSource;
  readonly name: string;
  readonly receiveInterval?: number;
  readonly transmitInterval?: number;
  readonly detectMultiplier?: number;
  readonly echoInterval?: number;
  readonly echoMode?: boolean;
  readonly passiveMode?: boolean;
  readonly minimumTtl?: number;
}

export interface SecretResource {
  readonly source: ResourceSource;
  readonly name: string;
  readonly namespace?: string;
  readonly type?: string;
  /** Decoded values of `data` (base64) merged with `stringData`, as the API server does. */
  readonly data: Readonly<Record<string, string>>;
}

/** A node's name and labels, used to tell whether node selectors overlap. */
export interface NodeInfo {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** Everything `buildConfig` needs. `issues` holds what decoding already found. */
export interface ConfigResources {
  readonly peers: readonly PeerResource[];
  readonly pools: readonly PoolResource[];
  readonly advertisements: readonly AdvertisementResource[];
  readonly communities: readonly CommunityResource[];
  readonly bfdProfiles: readonly BfdProfileResource[];
  readonly secrets: readonly SecretResource[];
  /** When given, node-selector overlap is decided on these nodes (as MetalLB does); see buildConfig. */
  readonly nodes?: readonly NodeInfo[];
  readonly issues: readonly ConfigIssue[];
}

/** An empty set of resources. */
export function emptyResources(): ConfigResources {
  return { peers: [], pools: [], advertisements: [], communities: [], bfdProfiles: [], secrets: [], issues: [] };
}

/** Concatenates resource sets (in order). */
export function mergeResources(...sets: readonly ConfigResources[]): ConfigResources {
  const nodes = sets.flatMap((s) => s.nodes ?? []);
  return {
    peers: sets.flatMap((s) => s.peers),
    pools: sets.flatMap((s) => s.pools),
    advertisements: sets.flatMap((s) => s.advertisements),
    communities: sets.flatMap((s) => s.communities),
    bfdProfiles: sets.flatMap((s) => s.bfdProfiles),
    secrets: sets.flatMap((s) => s.secrets),
    ...(sets.some((s) => s.nodes !== undefined) ? { nodes } : {}),
    issues: sets.flatMap((s) => s.issues),
  };
}

/** CRD field names and their legacy ConfigMap spelling. */
const LEGACY_KEYS: Readonly<Record<string, string>> = {
  myASN: 'my-asn',
  peerASN: 'peer-asn',
  peerAddress: 'peer-address',
  peerPort: 'peer-port',
  sourceAddress: 'source-address',
  holdTime: 'hold-time',
  keepaliveTime: 'keepalive-time',
  routerID: 'router-id',
  nodeSelectors: 'node-selectors',
  matchLabels: 'match-labels',
  matchExpressions: 'match-expressions',
  bfdProfile: 'bfd-profile',
  ebgpMultiHop: 'ebgp-multihop',
  autoAssign: 'auto-assign',
  avoidBuggyIPs: 'avoid-buggy-ips',
  aggregationLength: 'aggregation-length',
  aggregationLengthV6: 'aggregation-length-v6',
  localPref: 'localpref',
  receiveInterval: 'receive-interval',
  transmitInterval: 'transmit-interval',
  detectMultiplier: 'detect-multiplier',
  echoInterval: 'echo-interval',
  echoMode: 'echo-mode',
  passiveMode: 'passive-mode',
  minimumTtl: 'minimum-ttl',
};

/** The full path (from the object's root) of a CRD-style field of `source`. */
export function fieldPath(source: ResourceSource, field: FieldPath): FieldPath {
  const translated = source.legacy ? field.map((seg) => (typeof seg === 'string' ? (LEGACY_KEYS[seg] ?? seg) : seg)) : field;
  return [...source.base, ...translated];
}

/** `spec.nodeSelectors[0].matchLabels["kubernetes.io/hostname"]` */
export function formatPath(path: FieldPath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z0-9_-]+$/.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/** Text of an offending value for an issue. */
export function valueText(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}

/** Builds an issue about a `field` (CRD-style, relative to the record) of `source`. */
export function issueAt(
  severity: 'error' | 'warning',
  source: ResourceSource,
  field: FieldPath,
  rule: string,
  message: string,
  value?: unknown,
): ConfigIssue {
  const path = fieldPath(source, field);
  return issueAtPath(severity, source, path, rule, message, value);
}

/** Builds an issue about a full `path` (from the object's root) of `source`. */
export function issueAtPath(
  severity: 'error' | 'warning',
  source: ResourceSource,
  path: FieldPath,
  rule: string,
  message: string,
  value?: unknown,
): ConfigIssue {
  const line = source.lineOf?.(path) ?? source.line;
  // Never echo a password back in an error message.
  const text = path.some((seg) => seg === 'password') ? undefined : valueText(value);
  return {
    severity,
    object: source.object,
    path: formatPath(path),
    ...(text !== undefined ? { value: text } : {}),
    rule,
    message,
    ...(source.file !== undefined ? { file: source.file } : {}),
    ...(line !== undefined ? { line } : {}),
  };
}
