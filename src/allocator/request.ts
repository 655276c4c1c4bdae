/**
 * What a Service asks of the allocator, read once per service version: whether it is handled at all
 * (`type: LoadBalancer`, the configured `loadBalancerClass`), its IP family, the IPs or pool it
 * requests, its sharing and backend keys and its ports (MetalLB's `controller/service.go` and
 * `k8salloc`), plus the IPs its status already holds. Pure; no state.
 */
import { parseIp } from '../model/ip.js';
import type { IpAddress, IpFamily } from '../model/ip.js';
import type { Service, ServicePort } from '../model/kubernetes.js';
import { namespacedKeyOf } from '../model/kubernetes.js';
import type { AllocationError, AllocatorOptions } from './types.js';

export const ANNOTATION = {
  addressPool: 'metallb.io/address-pool',
  loadBalancerIPs: 'metallb.io/loadBalancerIPs',
  allowSharedIP: 'metallb.io/allow-shared-ip',
  ipAllocatedFromPool: 'metallb.io/ip-allocated-from-pool',
} as const;

export const DEPRECATED_ANNOTATION = {
  addressPool: 'metallb.universe.tf/address-pool',
  loadBalancerIPs: 'metallb.universe.tf/loadBalancerIPs',
  allowSharedIP: 'metallb.universe.tf/allow-shared-ip',
} as const;

/** A service's family: one of the two, or both (two ClusterIPs, or dual in standalone mode). */
export type ServiceFamily = IpFamily | 'dual';

export type FamilyPolicy = 'SingleStack' | 'PreferDualStack' | 'RequireDualStack';

export interface ServiceRequest {
  /** `namespace/name`. */
  readonly key: string;
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>> | undefined;
  /** Creation time in ms since the epoch; +Infinity when absent or unreadable. */
  readonly createdAt: number;
  /** LoadBalancer and of our class. */
  readonly handled: boolean;
  /** Set unless `familyError` is. */
  readonly family: ServiceFamily | undefined;
  readonly familyError: AllocationError | undefined;
  /** `spec.ipFamilies[0]`, IPv4 when absent. */
  readonly primary: IpFamily;
  readonly policy: FamilyPolicy;
  /** From `spec.loadBalancerIP` or the loadBalancerIPs annotation. */
  readonly requestedIps: readonly IpAddress[] | undefined;
  readonly requestError: AllocationError | undefined;
  readonly requestedPool: string | undefined;
  /** `allow-shared-ip`; "" when sharing is not allowed. */
  readonly sharingKey: string;
  /** "" for externalTrafficPolicy Cluster, the selector string for Local. */
  readonly backendKey: string;
  /** `port/PROTOCOL`, e.g. `80/TCP`. */
  readonly ports: readonly string[];
  /** IPs in `status.loadBalancer.ingress`; undefined when none. */
  readonly statusIps: readonly IpAddress[] | undefined;
  /** Set when a status IP does not parse. */
  readonly statusError: AllocationError | undefined;
  readonly warnings: readonly AllocationError[];
}

/** `namespace/name` of a service (`default` when the namespace is absent, as kubectl applies it). */
export function serviceKey(svc: Service): string {
  return namespacedKeyOf(svc.metadata);
}

/** The creation time used for ordering: ms since the epoch, +Infinity when absent. */
export function creationTime(svc: Service): number {
  const ts = svc.metadata.creationTimestamp;
  if (ts === undefined) return Number.POSITIVE_INFINITY;
  // Services created together (a manifest, a Helm release) share timestamps: one parse for a run of them.
  if (ts === lastStamp.text) return lastStamp.ms;
  const parsed = Date.parse(ts);
  const ms = Number.isNaN(parsed) ? Number.POSITIVE_INFINITY : parsed;
  lastStamp.text = ts;
  lastStamp.ms = ms;
  return ms;
}

/** The last timestamp `creationTime` parsed. */
const lastStamp = { text: '', ms: Number.POSITIVE_INFINITY };

/** Whether the allocator takes care of this service at all. */
export function isHandled(svc: Service, options: AllocatorOptions): boolean {
  if (svc.spec.type !== 'LoadBalancer') return false;
  const cls = svc.spec.loadBalancerClass;
  return options.loadBalancerClass === undefined ? cls === undefined || cls === '' : cls === options.loadBalancerClass;
}

/** Family of a list of addresses as MetalLB's `ipfamily.ForAddresses`: one, or two of different families. */
export function familyOfAddresses(ips: readonly IpAddress[]): ServiceFamily | undefined {
  if (ips.length === 1) return (ips[0] as IpAddress).family;
  if (ips.length === 2) return (ips[0] as IpAddress).family === (ips[1] as IpAddress).family ? undefined : 'dual';
  return undefined;
}

/** Go's `labels.Set(selector).String()`: `k=v` pairs sorted by key, joined with commas. */
export function selectorString(selector: Readonly<Record<string, string>> | undefined): string {
  if (!selector) return '';
  return Object.keys(selector)
    .sort()
    .map((k) => `${k}=${selector[k] ?? ''}`)
    .join(',');
}

function annotationValue(
  annotations: Readonly<Record<string, string>>,
  stable: string,
  legacy: string,
  warnings: AllocationError[],
): string | undefined {
  if (Object.prototype.hasOwnProperty.call(annotations, legacy)) {
    warnings.push({
      reason: 'deprecatedAnnotation',
      rule: 'deprecatedAnnotation',
      message: `annotation ${legacy} is deprecated, use ${stable}`,
    });
  }
  if (Object.prototype.hasOwnProperty.call(annotations, stable)) return annotations[stable];
  if (Object.prototype.hasOwnProperty.call(annotations, legacy)) return annotations[legacy];
  return undefined;
}

const fail = (
  reason: AllocationError['reason'],
  rule: AllocationError['rule'],
  message: string,
): AllocationError => ({ reason, rule, message });

function readFamily(svc: Service, policy: FamilyPolicy, options: AllocatorOptions):
  | { family: ServiceFamily }
  | { error: AllocationError } {
  const spec = svc.spec;
  const clusterIPs =
    spec.clusterIPs && spec.clusterIPs.length > 0 ? spec.clusterIPs : spec.clusterIP ? [spec.clusterIP] : [];
  if (clusterIPs.length === 0) {
    if (options.standalone) {
      // No cluster to ask: the family comes from ipFamilies, IPv4 by default, both for the dual policies.
      const fams = [...new Set((spec.ipFamilies ?? []).map((f) => (f === 'IPv6' ? 'ipv6' : 'ipv4')))];
      if (policy === 'SingleStack') return { family: fams[0] ?? 'ipv4' };
      return { family: 'dual' };
    }
    return {
      error: fail('noclusterIPsIPFamily', 'noClusterIP', 'service has no ClusterIP, so its IP family is unknown'),
    };
  }
  if (policy === 'RequireDualStack' && (spec.clusterIPs?.length ?? 0) < 2) {
    return {
      error: fail(
        'not enough clusterips',
        'notEnoughClusterIPs',
        `service requires dual stack but has fewer than 2 clusterIPs (${clusterIPs.join(', ')})`,
      ),
    };
  }
  const parsed = clusterIPs.map((t) => parseIp(t));
  const ips = parsed.filter((p): p is IpAddress => p !== undefined);
  const family = ips.length === parsed.length ? familyOfAddresses(ips) : undefined;
  if (!family) {
    return {
      error: fail(
        'noclusterIPsIPFamily',
        'invalidClusterIPs',
        `cannot tell the IP family from clusterIPs ${clusterIPs.join(', ')}`,
      ),
    };
  }
  return { family };
}

function readRequestedIps(
  svc: Service,
  annotation: string | undefined,
): { ips?: readonly IpAddress[]; error?: AllocationError } {
  const specIp = svc.spec.loadBalancerIP ?? '';
  const annot = annotation ?? '';
  if (annot === '' && specIp === '') return {};
  if (annot !== '' && specIp !== '') {
    return {
      error: fail(
        'AllocationFailed',
        'bothIPRequests',
        `service can not have both ${ANNOTATION.loadBalancerIPs} and spec.loadBalancerIP`,
      ),
    };
  }
  const texts = annot !== '' ? annot.split(',').map((s) => s.trim()) : [specIp.trim()];
  // Exact size: `[]` then push reserves 17 slots, kept for the service's life.
  const ips = new Array<IpAddress>(texts.length);
  for (let i = 0; i < texts.length; i++) {
    const t = texts[i] as string;
    const ip = parseIp(t);
    if (!ip) {
      return {
        error: fail('AllocationFailed', 'invalidRequestedIPs', `requested IP ${JSON.stringify(t)} is not an IP address`),
      };
    }
    ips[i] = ip;
  }
  if (!familyOfAddresses(ips)) {
    return {
      error: fail(
        'AllocationFailed',
        'invalidRequestedIPs',
        `requested IPs ${texts.join(',')}: at most one IPv4 and one IPv6 address`,
      ),
    };
  }
  return { ips };
}

const NO_WARNINGS: readonly AllocationError[] = Object.freeze([]);
const NO_PORTS: readonly string[] = Object.freeze([]);
/** One frozen array per single `port/PROTOCOL` seen (most services have one port). */
const singlePorts = new Map<string, readonly string[]>();

/** `port/PROTOCOL` of each port; services with one port share one frozen array per port. */
function portsOf(svc: Service): readonly string[] {
  const list = svc.spec.ports;
  if (!list || list.length === 0) return NO_PORTS;
  if (list.length > 1) return list.map((p) => `${p.port}/${p.protocol ?? 'TCP'}`);
  const p = list[0] as ServicePort;
  const text = `${p.port}/${p.protocol ?? 'TCP'}`;
  let shared = singlePorts.get(text);
  if (shared) return shared;
  shared = Object.freeze([text]);
  // Protocols are TCP, UDP or SCTP after validation; the bound only guards against anything else.
  if (singlePorts.size < 3 * 65_536) singlePorts.set(text, shared);
  return shared;
}

/** Reads what `svc` asks for. */
export function readRequest(svc: Service, options: AllocatorOptions): ServiceRequest {
  const annotations = svc.metadata.annotations ?? {};
  const warnings: AllocationError[] = [];
  const policy: FamilyPolicy = svc.spec.ipFamilyPolicy ?? 'SingleStack';
  const primary: IpFamily = svc.spec.ipFamilies?.[0] === 'IPv6' ? 'ipv6' : 'ipv4';
  const handled = isHandled(svc, options);
  const fam = readFamily(svc, policy, options);
  const lbIps = annotationValue(annotations, ANNOTATION.loadBalancerIPs, DEPRECATED_ANNOTATION.loadBalancerIPs, warnings);
  const pool = annotationValue(annotations, ANNOTATION.addressPool, DEPRECATED_ANNOTATION.addressPool, warnings);
  const sharing = annotationValue(annotations, ANNOTATION.allowSharedIP, DEPRECATED_ANNOTATION.allowSharedIP, warnings);
  const requested = readRequestedIps(svc, lbIps);
  const ports = portsOf(svc);
  let statusIps: IpAddress[] | undefined;
  let statusError: AllocationError | undefined;
  for (const ing of svc.status?.loadBalancer?.ingress ?? []) {
    if (!ing.ip) continue;
    const ip = parseIp(ing.ip);
    if (!ip) {
      statusError = fail('nolbIPsIPFamily', 'invalidStatusIPs', `status IP ${JSON.stringify(ing.ip)} is not an IP address`);
      continue;
    }
    (statusIps ??= []).push(ip);
  }
  if (statusIps) statusIps = statusIps.slice(); // exact size, as above
  const namespace = svc.metadata.namespace ?? 'default';
  // One literal with every field: one hidden class for all requests, no out-of-object properties.
  return {
    // join gives a flat string: a template literal gives a rope that the first Map lookup flattens
    // into a second copy.
    key: [namespace, svc.metadata.name].join('/'),
    namespace,
    labels: svc.metadata.labels,
    createdAt: creationTime(svc),
    handled,
    family: 'family' in fam ? fam.family : undefined,
    familyError: 'error' in fam ? fam.error : undefined,
    primary,
    policy,
    requestedIps: requested.ips,
    requestError: requested.error,
    requestedPool: pool !== undefined && pool !== '' ? pool : undefined,
    sharingKey: sharing ?? '',
    backendKey: svc.spec.externalTrafficPolicy === 'Local' ? selectorString(svc.spec.selector) : '',
    ports,
    statusIps,
    statusError,
    warnings: warnings.length === 0 ? NO_WARNINGS : warnings.slice(),
  };
}

/** Service order: creation time, then `namespace/name`. */
export function compareRequests(a: ServiceRequest, b: ServiceRequest): number {
  if (a.createdAt !== b.createdAt) return a.createdAt < b.createdAt ? -1 : 1;
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}
