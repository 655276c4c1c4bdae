/**
 * The legacy ConfigMap as `metallb.io` CRDs, as MetalLB's `configmaptocrs` converts it: BGPPeer
 * v1beta2 `peer1..N` (holdTime always set, keepaliveTime only when given), IPAddressPools,
 * `bgpadvertisementN` pinned to their pool (an empty one for a BGP pool without advertisements),
 * `l2advertisementN` for layer2 pools, BFDProfiles, and one Community `communities` with every alias;
 * names made Kubernetes-safe; the namespace taken from the ConfigMap. The configuration is validated
 * first, so only a valid ConfigMap converts. Pure.
 */
import { stringify } from 'yaml';
import { parseEmbeddedYaml } from './yaml-lines.js';
import type { ConfigIssue } from './types.js';
import type { ConfigObjectInput } from './decode.js';
import { resourcesFromObjects } from './decode.js';
import { buildConfig } from './build.js';
import { formatGoDuration, parseGoDuration, wholeSeconds } from './duration.js';
import { isRecord, yamlBool } from './reader.js';

export type CrdObject = Readonly<Record<string, unknown>>;

export type ConvertResult =
  | { readonly ok: true; readonly objects: readonly CrdObject[]; readonly warnings: readonly ConfigIssue[] }
  | { readonly ok: false; readonly errors: readonly ConfigIssue[]; readonly warnings: readonly ConfigIssue[] };

const K8S_NAME = /^[a-z][-a-z0-9]{0,61}[a-z0-9]{1}$/;

/** configmaptocrs `formatToK8S`: at most 63 characters, lowercase, `_` -> `-`, from the first letter on. */
export function kubernetesName(name: string): string | undefined {
  if (K8S_NAME.test(name)) return name;
  const lower = name.slice(0, 63).toLowerCase().replaceAll('_', '-');
  const first = lower.search(/[a-z]/);
  return first === -1 ? undefined : lower.slice(first);
}

type Raw = Record<string, unknown>;

const asList = (v: unknown): Raw[] => (Array.isArray(v) ? v.filter(isRecord) : []);
const asStrings = (v: unknown): string[] => (Array.isArray(v) ? v.map((x) => String(x)) : []);
const str = (v: unknown): string => (v === undefined || v === null ? '' : String(v));
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

function meta(name: string, namespace: string): Raw {
  return { name, namespace };
}

function duration(text: string): string {
  return formatGoDuration(wholeSeconds(parseGoDuration(text) ?? 0));
}

function nodeSelector(sel: Raw): Raw {
  const out: Raw = {};
  const labels = isRecord(sel['match-labels']) ? sel['match-labels'] : undefined;
  const exprs = asList(sel['match-expressions']).map((e) => {
    const values = asStrings(e.values);
    return { key: str(e.key), operator: str(e.operator), ...(values.length > 0 ? { values } : {}) };
  });
  if (exprs.length > 0) out.matchExpressions = exprs;
  if (labels && Object.keys(labels).length > 0) out.matchLabels = Object.fromEntries(Object.entries(labels).map(([k, v]) => [k, str(v)]));
  return out;
}

/**
 * Converts one legacy ConfigMap (`input.object`) into CRD objects, after validating it. Errors name
 * the ConfigMap's paths as `config validate` does.
 */
export function convertLegacyConfigMap(input: ConfigObjectInput): ConvertResult {
  const built = buildConfig(resourcesFromObjects([input]));
  const warnings = built.ok ? built.config.warnings : built.warnings;
  if (!built.ok) return built;
  const metadata = isRecord(input.object.metadata) ? input.object.metadata : {};
  const cmName = typeof metadata.name === 'string' ? metadata.name : 'config';
  const ns = typeof metadata.namespace === 'string' && metadata.namespace !== '' ? metadata.namespace : 'metallb-system';
  const data = isRecord(input.object.data) ? input.object.data : {};
  const parsed = parseEmbeddedYaml(typeof data.config === 'string' ? data.config : '', 0);
  const cf: Raw = isRecord(parsed.value) ? parsed.value : {};

  const errors: ConfigIssue[] = [];
  const rename = (name: string, kind: string, path: string): string => {
    const out = kubernetesName(name);
    if (out === undefined) {
      errors.push({ severity: 'error', object: `ConfigMap/${cmName}`, path, value: name, rule: 'nameNotConvertible', message: `${kind} name has no letter to start a Kubernetes name with`, ...(input.origin ? { file: input.origin.file, line: input.origin.line } : {}) });
      return name;
    }
    return out;
  };

  const pools = asList(cf['address-pools']).map((p, i): Raw & { name: string } => ({ ...p, name: rename(str(p.name), 'IPAddressPool', `address-pools[${i}].name`) }));
  const bfds = asList(cf['bfd-profiles']).map((b, i): Raw & { name: string } => ({ ...b, name: rename(str(b.name), 'BFDProfile', `bfd-profiles[${i}].name`) }));

  const peers: CrdObject[] = asList(cf.peers).map((p, i) => {
    const spec: Raw = {};
    const bfdProfile = str(p['bfd-profile']);
    if (bfdProfile) spec.bfdProfile = rename(bfdProfile, 'BFDProfile', `peers[${i}].bfd-profile`);
    if (yamlBool(p['ebgp-multihop']) === true) spec.ebgpMultiHop = true;
    spec.holdTime = str(p['hold-time']) === '' ? '1m30s' : duration(str(p['hold-time']));
    if (str(p['keepalive-time']) !== '') spec.keepaliveTime = duration(str(p['keepalive-time']));
    spec.myASN = num(p['my-asn']) ?? 0;
    const selectors = asList(p['node-selectors']).map(nodeSelector);
    if (selectors.length > 0) spec.nodeSelectors = selectors;
    if (str(p.password)) spec.password = str(p.password);
    spec.passwordSecret = {};
    if (num(p['peer-asn'])) spec.peerASN = num(p['peer-asn']);
    if (str(p['peer-address'])) spec.peerAddress = str(p['peer-address']);
    if (num(p['peer-port'])) spec.peerPort = num(p['peer-port']);
    if (str(p['router-id'])) spec.routerID = str(p['router-id']);
    if (str(p['source-address'])) spec.sourceAddress = str(p['source-address']);
    return { apiVersion: 'metallb.io/v1beta2', kind: 'BGPPeer', metadata: meta(`peer${i + 1}`, ns), spec, status: {} };
  });

  const ipPools: CrdObject[] = pools.map((p) => {
    const spec: Raw = { addresses: asStrings(p.addresses) };
    const autoAssign = yamlBool(p['auto-assign']);
    if (autoAssign !== undefined) spec.autoAssign = autoAssign;
    if (yamlBool(p['avoid-buggy-ips']) === true) spec.avoidBuggyIPs = true;
    return {
      apiVersion: 'metallb.io/v1beta1',
      kind: 'IPAddressPool',
      metadata: meta(p.name, ns),
      spec,
      status: { assignedIPv4: 0, assignedIPv6: 0, availableIPv4: 0, availableIPv6: 0 },
    };
  });

  const bgpAdvs: CrdObject[] = [];
  for (const p of pools) {
    const ads = asList(p['bgp-advertisements']);
    for (const ad of ads) {
      const spec: Raw = {};
      if (num(ad['aggregation-length']) !== undefined) spec.aggregationLength = num(ad['aggregation-length']);
      if (num(ad['aggregation-length-v6']) !== undefined) spec.aggregationLengthV6 = num(ad['aggregation-length-v6']);
      const communities = asStrings(ad.communities);
      if (communities.length > 0) spec.communities = communities;
      spec.ipAddressPools = [p.name];
      if (num(ad.localpref)) spec.localPref = num(ad.localpref);
      bgpAdvs.push({ apiVersion: 'metallb.io/v1beta1', kind: 'BGPAdvertisement', metadata: meta(`bgpadvertisement${bgpAdvs.length + 1}`, ns), spec, status: {} });
    }
    if (ads.length === 0 && p.protocol === 'bgp') {
      bgpAdvs.push({ apiVersion: 'metallb.io/v1beta1', kind: 'BGPAdvertisement', metadata: meta(`bgpadvertisement${bgpAdvs.length + 1}`, ns), spec: { ipAddressPools: [p.name] }, status: {} });
    }
  }
  const l2Advs: CrdObject[] = pools
    .filter((p) => p.protocol === 'layer2')
    .map((p, i) => ({ apiVersion: 'metallb.io/v1beta1', kind: 'L2Advertisement', metadata: meta(`l2advertisement${i + 1}`, ns), spec: { ipAddressPools: [p.name] }, status: {} }));

  const bfdProfiles: CrdObject[] = bfds.map((b) => {
    const spec: Raw = {};
    for (const [key, field] of [['detect-multiplier', 'detectMultiplier'], ['echo-interval', 'echoInterval'], ['minimum-ttl', 'minimumTtl'], ['receive-interval', 'receiveInterval'], ['transmit-interval', 'transmitInterval']] as const) {
      if (num(b[key]) !== undefined) spec[field] = num(b[key]);
    }
    spec.echoMode = yamlBool(b['echo-mode']) === true;
    spec.passiveMode = yamlBool(b['passive-mode']) === true;
    return { apiVersion: 'metallb.io/v1beta1', kind: 'BFDProfile', metadata: meta(b.name, ns), spec, status: {} };
  });

  const communityMap = isRecord(cf['bgp-communities']) ? cf['bgp-communities'] : {};
  const aliases = Object.keys(communityMap).sort();
  const communities: CrdObject[] =
    aliases.length === 0
      ? []
      : [{ apiVersion: 'metallb.io/v1beta1', kind: 'Community', metadata: meta('communities', ns), spec: { communities: aliases.map((name) => ({ name, value: str(communityMap[name]) })) }, status: {} }];

  if (errors.length > 0) return { ok: false, errors, warnings };
  return { ok: true, objects: [...peers, ...ipPools, ...bgpAdvs, ...l2Advs, ...bfdProfiles, ...communities], warnings };
}

/** Writes objects as configmaptocrs does: a header comment, then each object followed by `---`. */
export function renderCrdsYaml(objects: readonly CrdObject[]): string {
  let out = "# This was autogenerated by MetalLB's custom resource generator.\n";
  for (const o of objects) {
    // Go's YAML (via JSON) sorts keys and quotes what YAML 1.1 would read as another type.
    out += stringify(o, { version: '1.1', indentSeq: false, lineWidth: 0, sortMapEntries: true });
    out += '---\n';
  }
  return out;
}
