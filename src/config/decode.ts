/**
 * Kubernetes objects -> configuration resources. Picks the objects that configure MetalLB out of any
 * mix (`metallb.io` CRDs, the legacy ConfigMap, basic-auth Secrets, Nodes) and decodes each into the
 * intermediate records of `resources.ts`, recording type errors and unknown fields with their exact
 * path. Objects that are not configuration are ignored. Pure; never throws.
 *
 * Namespaces: objects are accepted in any namespace (so `config validate` works on files that omit
 * it), but a warning (`mixedNamespaces`) says so when configuration objects sit in more than one
 * namespace, since MetalLB only reads its own namespace and its webhooks reject the rest.
 */
import { parseEmbeddedYaml } from './yaml-lines.js';
import type { ObjectPath } from './yaml-lines.js';
import type { ConfigIssue } from './types.js';
import type {
  AdvertisementResource,
  BfdProfileResource,
  CommunityAliasResource,
  CommunityResource,
  ConfigResources,
  FieldPath,
  NodeInfo,
  PeerResource,
  PoolResource,
  ResourceSource,
  SecretResource,
  ServiceAllocationResource,
} from './resources.js';
import { issueAtPath } from './resources.js';
import { Reader, isRecord } from './reader.js';

/** One object to decode: `ManifestObject` from `src/sources/manifests` fits, and so does `{ object }`. */
export interface ConfigObjectInput {
  readonly object: Readonly<Record<string, unknown>>;
  readonly origin?: { readonly file: string; readonly line: number };
  readonly lineOf?: (path: ObjectPath) => number | undefined;
  readonly blockLineOf?: (path: ObjectPath) => number | undefined;
}

/** Kinds of the `metallb.io` group this project reads. */
export const CONFIG_KINDS = ['IPAddressPool', 'BGPPeer', 'BGPAdvertisement', 'Community', 'BFDProfile', 'L2Advertisement'] as const;

const PEER_V1BETA1_FIELDS = [
  'myASN', 'peerASN', 'peerAddress', 'sourceAddress', 'peerPort', 'holdTime', 'keepaliveTime', 'routerID',
  'nodeSelectors', 'password', 'bfdProfile', 'ebgpMultiHop',
];
const PEER_V1BETA2_FIELDS = [
  ...PEER_V1BETA1_FIELDS, 'peerASN', 'localASN', 'dynamicASN', 'interface', 'connectTime', 'passwordSecret',
  'enableGracefulRestart', 'vrf', 'disableMP', 'dualStackAddressFamily',
];
const POOL_FIELDS = ['addresses', 'autoAssign', 'avoidBuggyIPs', 'serviceAllocation'];
const ADV_FIELDS = [
  'aggregationLength', 'aggregationLengthV6', 'localPref', 'communities', 'ipAddressPools', 'ipAddressPoolSelectors',
  'nodeSelectors', 'peers', 'serviceSelectors',
];
const BFD_FIELDS = ['receiveInterval', 'transmitInterval', 'detectMultiplier', 'echoInterval', 'echoMode', 'passiveMode', 'minimumTtl'];

const U32 = 0xffffffff;

interface Sink {
  peers: PeerResource[];
  pools: PoolResource[];
  advertisements: AdvertisementResource[];
  communities: CommunityResource[];
  bfdProfiles: BfdProfileResource[];
  secrets: SecretResource[];
  nodes: NodeInfo[];
  sawNodes: boolean;
  issues: ConfigIssue[];
  namespaces: Map<string, string>;
}

function sourceFor(input: ConfigObjectInput, kind: string, name: string, namespace: string | undefined, base: FieldPath, legacy: boolean, object?: string): ResourceSource {
  return {
    kind,
    name,
    ...(namespace !== undefined ? { namespace } : {}),
    object: object ?? `${kind}/${name}`,
    base,
    legacy,
    ...(input.origin ? { file: input.origin.file, line: input.origin.line } : {}),
    ...(input.lineOf ? { lineOf: input.lineOf } : {}),
  };
}

function metadataOf(input: ConfigObjectInput, kind: string, sink: Sink): { name: string; namespace?: string; labels: Record<string, string> } | undefined {
  const meta = input.object.metadata;
  const placeholder = sourceFor(input, kind, '?', undefined, [], false, `${kind}/?`);
  if (!isRecord(meta) || typeof meta.name !== 'string' || meta.name === '') {
    sink.issues.push(issueAtPath('error', placeholder, ['metadata', 'name'], 'missingName', `${kind} has no metadata.name`));
    return undefined;
  }
  const namespace = typeof meta.namespace === 'string' && meta.namespace !== '' ? meta.namespace : undefined;
  const labels: Record<string, string> = {};
  if (isRecord(meta.labels)) {
    for (const [k, v] of Object.entries(meta.labels)) if (typeof v === 'string') labels[k] = v;
  }
  return { name: meta.name, ...(namespace !== undefined ? { namespace } : {}), labels };
}

function specOf(input: ConfigObjectInput, r: Reader): Record<string, unknown> {
  const spec = input.object.spec;
  if (spec === undefined || spec === null) return {};
  if (!isRecord(spec)) {
    r.error(['spec'], 'invalidType', 'spec must be an object', spec);
    return {};
  }
  return spec;
}

function decodePeer(input: ConfigObjectInput, version: string, sink: Sink): void {
  const meta = metadataOf(input, 'BGPPeer', sink);
  if (!meta) return;
  const source = sourceFor(input, 'BGPPeer', meta.name, meta.namespace, ['spec'], false);
  const r = new Reader(source, sink.issues, false);
  const spec = specOf(input, r);
  const p: FieldPath = ['spec'];
  r.known(spec, p, version === 'v1beta1' ? PEER_V1BETA1_FIELDS : PEER_V1BETA2_FIELDS);
  const secret = r.record(spec, 'passwordSecret', p);
  let passwordSecret: { name?: string; namespace?: string } | undefined;
  if (secret) {
    r.known(secret, [...p, 'passwordSecret'], ['name', 'namespace']);
    const name = r.string(secret, 'name', [...p, 'passwordSecret']);
    const namespace = r.string(secret, 'namespace', [...p, 'passwordSecret']);
    passwordSecret = { ...(name ? { name } : {}), ...(namespace ? { namespace } : {}) };
  }
  const record = peerRecord(r, spec, p, meta.name, meta.namespace, passwordSecret);
  // v1beta1 allows peerPort 0 (minimum 0) and means the default port by it.
  if (version === 'v1beta1' && record.peerPort === 0) {
    const { peerPort: _zero, ...rest } = record;
    sink.peers.push(rest);
  } else sink.peers.push(record);
}

/** The fields both formats share, read with CRD names (the legacy reader translates nothing here: it reads kebab keys itself). */
function peerRecord(
  r: Reader,
  spec: Record<string, unknown>,
  p: FieldPath,
  name: string,
  namespace: string | undefined,
  passwordSecret: { name?: string; namespace?: string } | undefined,
): PeerResource {
  const opt = <T,>(k: string, v: T | undefined): Record<string, T> => (v === undefined ? {} : { [k]: v });
  return {
    source: r.source,
    name,
    ...opt('namespace', namespace),
    ...opt('myASN', r.uint(spec, 'myASN', p, U32)),
    ...opt('peerASN', r.uint(spec, 'peerASN', p, U32)),
    ...opt('dynamicASN', r.string(spec, 'dynamicASN', p)),
    ...opt('localASN', r.uint(spec, 'localASN', p, U32)),
    ...opt('peerAddress', r.string(spec, 'peerAddress', p)),
    ...opt('interface', r.string(spec, 'interface', p)),
    ...opt('sourceAddress', r.string(spec, 'sourceAddress', p)),
    ...opt('peerPort', r.uint(spec, 'peerPort', p, 0xffff)),
    ...opt('holdTime', r.string(spec, 'holdTime', p)),
    ...opt('keepaliveTime', r.string(spec, 'keepaliveTime', p)),
    ...opt('connectTime', r.string(spec, 'connectTime', p)),
    ...opt('routerID', r.string(spec, 'routerID', p)),
    nodeSelectors: r.selectors(spec, 'nodeSelectors', p),
    ...opt('password', r.string(spec, 'password', p)),
    ...opt('passwordSecret', passwordSecret),
    ...opt('bfdProfile', r.string(spec, 'bfdProfile', p)),
    ebgpMultiHop: r.bool(spec, 'ebgpMultiHop', p) ?? false,
    enableGracefulRestart: r.bool(spec, 'enableGracefulRestart', p) ?? false,
    ...opt('vrf', r.string(spec, 'vrf', p)),
    disableMP: r.bool(spec, 'disableMP', p) ?? false,
    dualStackAddressFamily: r.bool(spec, 'dualStackAddressFamily', p) ?? false,
  } as PeerResource;
}

function decodePool(input: ConfigObjectInput, sink: Sink): void {
  const meta = metadataOf(input, 'IPAddressPool', sink);
  if (!meta) return;
  const source = sourceFor(input, 'IPAddressPool', meta.name, meta.namespace, ['spec'], false);
  const r = new Reader(source, sink.issues, false);
  const spec = specOf(input, r);
  const p: FieldPath = ['spec'];
  r.known(spec, p, POOL_FIELDS);
  let serviceAllocation: ServiceAllocationResource | undefined;
  const sa = r.record(spec, 'serviceAllocation', p);
  if (sa) {
    const sp: FieldPath = [...p, 'serviceAllocation'];
    r.known(sa, sp, ['priority', 'namespaces', 'namespaceSelectors', 'serviceSelectors']);
    const priority = r.int(sa, 'priority', sp);
    serviceAllocation = {
      ...(priority !== undefined ? { priority } : {}),
      namespaces: r.stringList(sa, 'namespaces', sp),
      namespaceSelectors: r.selectors(sa, 'namespaceSelectors', sp),
      serviceSelectors: r.selectors(sa, 'serviceSelectors', sp),
    };
  }
  const autoAssign = r.bool(spec, 'autoAssign', p);
  sink.pools.push({
    source,
    name: meta.name,
    ...(meta.namespace !== undefined ? { namespace: meta.namespace } : {}),
    labels: meta.labels,
    addresses: r.stringList(spec, 'addresses', p),
    ...(autoAssign !== undefined ? { autoAssign } : {}),
    avoidBuggyIPs: r.bool(spec, 'avoidBuggyIPs', p) ?? false,
    ...(serviceAllocation ? { serviceAllocation } : {}),
  });
}

function decodeAdvertisement(input: ConfigObjectInput, sink: Sink): void {
  const meta = metadataOf(input, 'BGPAdvertisement', sink);
  if (!meta) return;
  const source = sourceFor(input, 'BGPAdvertisement', meta.name, meta.namespace, ['spec'], false);
  const r = new Reader(source, sink.issues, false);
  const spec = specOf(input, r);
  const p: FieldPath = ['spec'];
  r.known(spec, p, ADV_FIELDS);
  const aggregationLength = r.int(spec, 'aggregationLength', p);
  const aggregationLengthV6 = r.int(spec, 'aggregationLengthV6', p);
  const localPref = r.uint(spec, 'localPref', p, U32);
  sink.advertisements.push({
    source,
    name: meta.name,
    ...(meta.namespace !== undefined ? { namespace: meta.namespace } : {}),
    ...(aggregationLength !== undefined ? { aggregationLength } : {}),
    ...(aggregationLengthV6 !== undefined ? { aggregationLengthV6 } : {}),
    ...(localPref !== undefined ? { localPref } : {}),
    communities: r.stringList(spec, 'communities', p),
    ipAddressPools: r.stringList(spec, 'ipAddressPools', p),
    ipAddressPoolSelectors: r.selectors(spec, 'ipAddressPoolSelectors', p),
    nodeSelectors: r.selectors(spec, 'nodeSelectors', p),
    peers: r.stringList(spec, 'peers', p),
    serviceSelectors: r.selectors(spec, 'serviceSelectors', p),
  });
}

function decodeCommunity(input: ConfigObjectInput, sink: Sink): void {
  const meta = metadataOf(input, 'Community', sink);
  if (!meta) return;
  const source = sourceFor(input, 'Community', meta.name, meta.namespace, ['spec'], false);
  const r = new Reader(source, sink.issues, false);
  const spec = specOf(input, r);
  r.known(spec, ['spec'], ['communities']);
  const aliases: CommunityAliasResource[] = [];
  for (const { item, path } of r.list(spec, 'communities', ['spec'])) {
    r.known(item, path, ['name', 'value']);
    const name = r.string(item, 'name', path);
    const value = r.string(item, 'value', path);
    if (name === undefined || name === '') r.error([...path, 'name'], 'missingName', 'community alias has no name');
    if (value === undefined) r.error([...path, 'value'], 'communityInvalid', 'community alias has no value');
    if (name !== undefined && name !== '' && value !== undefined) aliases.push({ name, value, path: [...path, 'value'] });
  }
  sink.communities.push({ source, name: meta.name, aliases });
}

function bfdRecord(r: Reader, spec: Record<string, unknown>, p: FieldPath, name: string): BfdProfileResource {
  const out: Record<string, unknown> = { source: r.source, name };
  for (const k of ['receiveInterval', 'transmitInterval', 'detectMultiplier', 'echoInterval', 'minimumTtl']) {
    const v = r.uint(spec, k, p, U32);
    if (v !== undefined) out[k] = v;
  }
  for (const k of ['echoMode', 'passiveMode']) {
    const v = r.bool(spec, k, p);
    if (v !== undefined) out[k] = v;
  }
  return out as unknown as BfdProfileResource;
}

function decodeBfd(input: ConfigObjectInput, sink: Sink): void {
  const meta = metadataOf(input, 'BFDProfile', sink);
  if (!meta) return;
  const source = sourceFor(input, 'BFDProfile', meta.name, meta.namespace, ['spec'], false);
  const r = new Reader(source, sink.issues, false);
  const spec = specOf(input, r);
  r.known(spec, ['spec'], BFD_FIELDS);
  sink.bfdProfiles.push(bfdRecord(r, spec, ['spec'], meta.name));
}

function decodeBase64(text: string): string | undefined {
  const clean = text.replace(/\s+/g, '');
  if (clean.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(clean)) return undefined;
  return Buffer.from(clean, 'base64').toString('utf8');
}

function decodeSecret(input: ConfigObjectInput, sink: Sink): void {
  const meta = metadataOf(input, 'Secret', sink);
  if (!meta) return;
  const source = sourceFor(input, 'Secret', meta.name, meta.namespace, [], false);
  const data: Record<string, string> = {};
  const raw = input.object.data;
  if (isRecord(raw)) {
    for (const [k, v] of Object.entries(raw)) {
      const decoded = typeof v === 'string' ? decodeBase64(v) : undefined;
      if (decoded === undefined) {
        sink.issues.push(issueAtPath('warning', source, ['data', k], 'secretDataInvalid', 'Secret data is not valid base64; the key is ignored'));
      } else data[k] = decoded;
    }
  }
  const stringData = input.object.stringData;
  if (isRecord(stringData)) {
    for (const [k, v] of Object.entries(stringData)) if (typeof v === 'string') data[k] = v;
  }
  const type = typeof input.object.type === 'string' ? input.object.type : undefined;
  sink.secrets.push({ source, name: meta.name, ...(meta.namespace !== undefined ? { namespace: meta.namespace } : {}), ...(type !== undefined ? { type } : {}), data });
}

function decodeNode(input: ConfigObjectInput, sink: Sink): void {
  const meta = input.object.metadata;
  if (!isRecord(meta) || typeof meta.name !== 'string') return;
  const labels: Record<string, string> = {};
  if (isRecord(meta.labels)) for (const [k, v] of Object.entries(meta.labels)) if (typeof v === 'string') labels[k] = v;
  sink.nodes.push({ name: meta.name, labels });
  sink.sawNodes = true;
}

/** Whether a ConfigMap is MetalLB's legacy configuration: `config` (or Helm's `metallb`), or any ConfigMap in `metallb-system`, with `data.config`. */
export function isLegacyConfigMap(object: Readonly<Record<string, unknown>>): boolean {
  if (object.kind !== 'ConfigMap' || !isRecord(object.metadata) || !isRecord(object.data)) return false;
  if (object.data.config === undefined) return false;
  const { name, namespace } = object.metadata;
  return name === 'config' || name === 'metallb' || namespace === 'metallb-system';
}

/** Decodes the legacy ConfigMap's `data.config` into resources, as configmaptocrs would convert them. */
function decodeLegacy(input: ConfigObjectInput, sink: Sink): void {
  const meta = input.object.metadata as Record<string, unknown>;
  const name = typeof meta.name === 'string' ? meta.name : 'config';
  const namespace = typeof meta.namespace === 'string' && meta.namespace !== '' ? meta.namespace : undefined;
  const data = input.object.data as Record<string, unknown>;
  const object = `ConfigMap/${name}`;
  const text = data.config;
  const rootSource: ResourceSource = {
    ...sourceFor(input, 'ConfigMap', name, namespace, [], true, object),
    ...(input.lineOf ? { lineOf: (p: FieldPath) => input.lineOf?.(['data', 'config', ...p]) } : {}),
  };
  if (typeof text !== 'string') {
    sink.issues.push(issueAtPath('error', { ...rootSource, lineOf: (p) => input.lineOf?.(p) }, ['data', 'config'], 'invalidType', 'data.config must be a string'));
    return;
  }
  const contentLine = input.blockLineOf?.(['data', 'config']);
  const parsed = parseEmbeddedYaml(text, contentLine !== undefined ? contentLine - 1 : 0);
  const lineOf = (p: FieldPath): number | undefined =>
    (contentLine !== undefined ? parsed.lineOf(p) : undefined) ?? input.lineOf?.(['data', 'config']);
  const root: ResourceSource = { ...rootSource, lineOf };
  if (parsed.errors.length > 0) {
    for (const e of parsed.errors) {
      sink.issues.push({
        severity: 'error',
        object,
        path: 'data.config',
        rule: 'yamlSyntax',
        message: e.message,
        ...(input.origin ? { file: input.origin.file } : {}),
        line: contentLine !== undefined ? e.line : (input.lineOf?.(['data', 'config']) ?? e.line),
      });
    }
    return;
  }
  decodeLegacyConfig(parsed.value, root, namespace, sink);
}

/**
 * Decodes the YAML value of a legacy `data.config` (MetalLB v0.12 `configFile`; unknown keys are
 * errors) into resources named as configmaptocrs names them. `root` names the ConfigMap.
 */
function decodeLegacyConfig(value: unknown, root: ResourceSource, namespace: string | undefined, sink: Sink): void {
  const r = new Reader(root, sink.issues, true);
  if (value === null || value === undefined) return; // an empty config: no pools, no peers
  if (!isRecord(value)) {
    r.error([], 'invalidType', 'data.config must hold a YAML mapping', value);
    return;
  }
  r.known(value, [], ['peers', 'bgp-communities', 'address-pools', 'bfd-profiles']);
  const sub = (base: FieldPath): ResourceSource => ({ ...root, base });
  const ns = namespace !== undefined ? { namespace } : {};

  r.list(value, 'peers', []).forEach(({ item, path }, i) => {
    const pr = new Reader(sub(path), sink.issues, true);
    pr.known(item, path, ['my-asn', 'peer-asn', 'peer-address', 'source-address', 'peer-port', 'hold-time', 'keepalive-time', 'router-id', 'node-selectors', 'password', 'bfd-profile', 'ebgp-multihop']);
    const opt = <T,>(k: string, v: T | undefined): Record<string, T> => (v === undefined ? {} : { [k]: v });
    const port = pr.uint(item, 'peer-port', path, 0xffff);
    sink.peers.push({
      source: sub(path),
      name: `peer${i + 1}`,
      ...ns,
      myASN: pr.uint(item, 'my-asn', path, U32) ?? 0,
      peerASN: pr.uint(item, 'peer-asn', path, U32) ?? 0,
      ...opt('peerAddress', pr.string(item, 'peer-address', path)),
      ...opt('sourceAddress', pr.string(item, 'source-address', path)),
      ...(port !== undefined && port !== 0 ? { peerPort: port } : {}),
      holdTime: pr.string(item, 'hold-time', path) || '90s', // configmaptocrs always sets holdTime
      ...opt('keepaliveTime', pr.string(item, 'keepalive-time', path) || undefined),
      ...opt('routerID', pr.string(item, 'router-id', path) || undefined),
      nodeSelectors: pr.selectors(item, 'node-selectors', path),
      ...opt('password', pr.string(item, 'password', path) || undefined),
      ...opt('bfdProfile', pr.string(item, 'bfd-profile', path) || undefined),
      ebgpMultiHop: pr.bool(item, 'ebgp-multihop', path) ?? false,
      enableGracefulRestart: false,
      disableMP: false,
      dualStackAddressFamily: false,
    } as PeerResource);
  });

  const communities = r.stringMap(value, 'bgp-communities', []);
  if (communities && Object.keys(communities).length > 0) {
    const aliases = Object.keys(communities)
      .sort()
      .map((alias) => ({ name: alias, value: communities[alias] ?? '', path: ['bgp-communities', alias] }));
    sink.communities.push({ source: sub(['bgp-communities']), name: 'communities', aliases });
  }

  r.list(value, 'bfd-profiles', []).forEach(({ item, path }) => {
    const br = new Reader(sub(path), sink.issues, true);
    br.known(item, path, ['name', 'receive-interval', 'transmit-interval', 'detect-multiplier', 'echo-interval', 'echo-mode', 'passive-mode', 'minimum-ttl']);
    const bfdName = br.string(item, 'name', path) ?? '';
    const out: Record<string, unknown> = { source: sub(path), name: bfdName };
    for (const [k, key] of [['receiveInterval', 'receive-interval'], ['transmitInterval', 'transmit-interval'], ['detectMultiplier', 'detect-multiplier'], ['echoInterval', 'echo-interval'], ['minimumTtl', 'minimum-ttl']] as const) {
      const v = br.uint(item, key, path, U32);
      if (v !== undefined) out[k] = v;
    }
    out.echoMode = br.bool(item, 'echo-mode', path) ?? false;
    out.passiveMode = br.bool(item, 'passive-mode', path) ?? false;
    sink.bfdProfiles.push(out as unknown as BfdProfileResource);
  });

  let advIndex = 1;
  r.list(value, 'address-pools', []).forEach(({ item, path }) => {
    const pr = new Reader(sub(path), sink.issues, true);
    pr.known(item, path, ['protocol', 'name', 'addresses', 'avoid-buggy-ips', 'auto-assign', 'bgp-advertisements']);
    const poolName = pr.string(item, 'name', path) ?? '';
    const protocol = pr.string(item, 'protocol', path) ?? '';
    const autoAssign = pr.bool(item, 'auto-assign', path);
    sink.pools.push({
      source: sub(path),
      name: poolName,
      ...ns,
      labels: {},
      addresses: pr.stringList(item, 'addresses', path),
      ...(autoAssign !== undefined ? { autoAssign } : {}),
      avoidBuggyIPs: pr.bool(item, 'avoid-buggy-ips', path) ?? false,
      protocol,
    });
    const ads = pr.list(item, 'bgp-advertisements', path);
    if (protocol === '') pr.error([...path, 'protocol'], 'missingProtocol', 'address pool is missing the protocol field');
    else if (protocol !== 'bgp' && protocol !== 'layer2') pr.error([...path, 'protocol'], 'unknownProtocol', 'protocol must be bgp or layer2', protocol);
    if (protocol === 'layer2') {
      if (ads.length > 0) pr.error([...path, 'bgp-advertisements'], 'layer2Advertisements', 'a layer2 address pool cannot have bgp-advertisements');
      pr.warn([...path, 'protocol'], 'layer2Unsupported', `pool "${poolName}" uses layer2, which metallb-ts (BGP only) does not announce; its addresses are still allocated`, protocol);
      return;
    }
    if (protocol !== 'bgp') return;
    if (ads.length === 0) {
      sink.advertisements.push({
        source: sub(path),
        name: `bgpadvertisement${advIndex++}`,
        ...ns,
        communities: [],
        ipAddressPools: [poolName],
        ipAddressPoolSelectors: [],
        nodeSelectors: [],
        peers: [],
        serviceSelectors: [],
      });
      return;
    }
    const seen: string[] = [];
    ads.forEach(({ item: ad, path: ap }) => {
      const ar = new Reader(sub(ap), sink.issues, true);
      ar.known(ad, ap, ['aggregation-length', 'aggregation-length-v6', 'localpref', 'communities']);
      const key = JSON.stringify([ad['aggregation-length'], ad['aggregation-length-v6'], ad.localpref, ad.communities]);
      if (seen.includes(key)) ar.error(ap, 'duplicateAdvertisement', 'this bgp-advertisement repeats an earlier one of the same pool');
      seen.push(key);
      const aggregationLength = ar.int(ad, 'aggregation-length', ap);
      const aggregationLengthV6 = ar.int(ad, 'aggregation-length-v6', ap);
      const localPref = ar.uint(ad, 'localpref', ap, U32);
      sink.advertisements.push({
        source: sub(ap),
        name: `bgpadvertisement${advIndex++}`,
        ...ns,
        ...(aggregationLength !== undefined ? { aggregationLength } : {}),
        ...(aggregationLengthV6 !== undefined ? { aggregationLengthV6 } : {}),
        ...(localPref !== undefined ? { localPref } : {}),
        communities: ar.stringList(ad, 'communities', ap),
        ipAddressPools: [poolName],
        ipAddressPoolSelectors: [],
        nodeSelectors: [],
        peers: [],
        serviceSelectors: [],
      });
    });
  });
}

function unsupportedKind(input: ConfigObjectInput, kind: string, meta: Record<string, unknown>, message: string, sink: Sink): void {
  const name = typeof meta.name === 'string' ? meta.name : '?';
  sink.issues.push(issueAtPath('warning', sourceFor(input, kind, name, undefined, [], false), ['kind'], 'unsupportedKind', message, kind));
}

function groupOf(apiVersion: unknown): { group: string; version: string } | undefined {
  if (typeof apiVersion !== 'string') return undefined;
  const slash = apiVersion.lastIndexOf('/');
  return slash === -1 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

/**
 * Picks the configuration objects out of `inputs` (any mix of Kubernetes objects) and decodes them.
 * Objects that are not MetalLB configuration (Services, Deployments, ...) are ignored.
 */
export function resourcesFromObjects(inputs: readonly ConfigObjectInput[]): ConfigResources {
  const sink: Sink = {
    peers: [], pools: [], advertisements: [], communities: [], bfdProfiles: [], secrets: [], nodes: [],
    sawNodes: false, issues: [], namespaces: new Map(),
  };
  for (const input of inputs) {
    const { kind } = input.object;
    const gv = groupOf(input.object.apiVersion);
    if (typeof kind !== 'string' || !gv) continue;
    const meta = isRecord(input.object.metadata) ? input.object.metadata : {};
    const noteNamespace = (): void => {
      // Objects without a namespace go wherever they are applied; only explicit ones can disagree.
      if (typeof meta.namespace !== 'string' || meta.namespace === '') return;
      const ns = meta.namespace;
      if (!sink.namespaces.has(ns)) sink.namespaces.set(ns, `${kind}/${typeof meta.name === 'string' ? meta.name : '?'}`);
    };
    if (gv.group === 'metallb.io') {
      switch (kind) {
        case 'BGPPeer':
          if (gv.version !== 'v1beta1' && gv.version !== 'v1beta2') {
            unsupportedKind(input, kind, meta, `${String(input.object.apiVersion)} BGPPeer is not a known version (v1beta1, v1beta2); it is ignored`, sink);
            continue;
          }
          decodePeer(input, gv.version, sink);
          break;
        case 'IPAddressPool':
          decodePool(input, sink);
          break;
        case 'BGPAdvertisement':
          decodeAdvertisement(input, sink);
          break;
        case 'Community':
          decodeCommunity(input, sink);
          break;
        case 'BFDProfile':
          decodeBfd(input, sink);
          break;
        case 'L2Advertisement': {
          const name = typeof meta.name === 'string' ? meta.name : '?';
          sink.issues.push(issueAtPath('warning', sourceFor(input, kind, name, undefined, [], false), [], 'l2AdvertisementUnsupported',
            `L2Advertisement "${name}" is ignored: metallb-ts announces in BGP mode only`));
          break;
        }
        case 'ServiceBGPStatus':
        case 'ServiceL2Status':
        case 'ConfigurationState':
          continue; // status objects, not configuration
        case 'AddressPool':
          unsupportedKind(input, kind, meta, 'AddressPool was removed in MetalLB v0.14 and is ignored; use IPAddressPool and BGPAdvertisement', sink);
          continue;
        default:
          unsupportedKind(input, kind, meta, `metallb.io kind ${kind} is not known to metallb-ts and is ignored`, sink);
          continue;
      }
      noteNamespace();
    } else if (gv.group === '' && gv.version === 'v1') {
      if (kind === 'ConfigMap' && isLegacyConfigMap(input.object)) {
        decodeLegacy(input, sink);
        noteNamespace();
      } else if (kind === 'ConfigMap' && meta.name === 'bgpextras') {
        sink.issues.push(issueAtPath('warning', sourceFor(input, kind, 'bgpextras', undefined, [], false), ['data'], 'bgpExtrasUnsupported',
          'the bgpextras ConfigMap holds raw FRR configuration, which metallb-ts does not use'));
      } else if (kind === 'Secret') decodeSecret(input, sink);
      else if (kind === 'Node') decodeNode(input, sink);
    }
  }
  if (sink.namespaces.size > 1) {
    const list = [...sink.namespaces.entries()].map(([ns, obj]) => `${ns} (${obj})`).join(', ');
    sink.issues.push({
      severity: 'warning',
      object: [...sink.namespaces.values()][1] ?? '?',
      path: 'metadata.namespace',
      rule: 'mixedNamespaces',
      message: `configuration objects are in several namespaces: ${list}; MetalLB reads only its own namespace, metallb-ts reads them all`,
    });
  }
  return {
    peers: sink.peers,
    pools: sink.pools,
    advertisements: sink.advertisements,
    communities: sink.communities,
    bfdProfiles: sink.bfdProfiles,
    secrets: sink.secrets,
    ...(sink.sawNodes ? { nodes: sink.nodes } : {}),
    issues: sink.issues,
  };
}
