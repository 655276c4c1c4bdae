/**
 * Builders for allocator tests: pools and services as plain objects, short to write.
 */
import type { PoolConfig, PoolRange, ServiceAllocation } from '../config/types.js';
import { formatIpValue, parseCidr, parseIp, rangeOfPrefix } from '../model/ip.js';
import type { Service, ServicePort } from '../model/kubernetes.js';

/** A pool range from `a.b.c.d/n` or `first-last`. */
export function range(text: string): PoolRange {
  if (text.includes('/')) {
    const p = parseCidr(text);
    if (!p) throw new Error(`bad cidr ${text}`);
    const r = rangeOfPrefix(p);
    return { family: p.family, first: formatIpValue(p.family, r.first), last: formatIpValue(p.family, r.last), cidrs: [text] };
  }
  const [a, b] = text.split('-');
  const first = parseIp(a ?? '');
  const last = parseIp(b ?? '');
  if (!first || !last) throw new Error(`bad range ${text}`);
  return { family: first.family, first: a as string, last: b as string, cidrs: [] };
}

export function pool(
  name: string,
  addresses: readonly string[],
  opts: { autoAssign?: boolean; avoidBuggyIPs?: boolean; serviceAllocation?: Partial<ServiceAllocation> } = {},
): PoolConfig {
  return {
    name,
    labels: {},
    addresses: addresses.map(range),
    autoAssign: opts.autoAssign ?? true,
    avoidBuggyIPs: opts.avoidBuggyIPs ?? false,
    ...(opts.serviceAllocation
      ? {
          serviceAllocation: {
            priority: opts.serviceAllocation.priority ?? 0,
            namespaces: opts.serviceAllocation.namespaces ?? [],
            namespaceSelectors: opts.serviceAllocation.namespaceSelectors ?? [],
            serviceSelectors: opts.serviceAllocation.serviceSelectors ?? [],
          },
        }
      : {}),
  };
}

export interface SvcOptions {
  namespace?: string;
  created?: number;
  type?: string;
  annotations?: Record<string, string>;
  labels?: Record<string, string>;
  ports?: (number | ServicePort)[];
  clusterIPs?: string[];
  ipFamilies?: ('IPv4' | 'IPv6')[];
  policy?: 'SingleStack' | 'PreferDualStack' | 'RequireDualStack';
  loadBalancerIP?: string;
  loadBalancerClass?: string;
  etp?: 'Cluster' | 'Local';
  selector?: Record<string, string>;
  status?: string[];
}

/** A LoadBalancer service `ns/name` (IPv4 ClusterIP unless told otherwise), created at `created` seconds. */
export function svc(name: string, o: SvcOptions = {}): Service {
  const clusterIPs = o.clusterIPs ?? ['10.96.0.10'];
  return {
    kind: 'Service',
    metadata: {
      name,
      namespace: o.namespace ?? 'default',
      creationTimestamp: new Date(Date.UTC(2026, 0, 1) + (o.created ?? 0) * 1000).toISOString(),
      ...(o.annotations ? { annotations: o.annotations } : {}),
      ...(o.labels ? { labels: o.labels } : {}),
    },
    spec: {
      type: o.type ?? 'LoadBalancer',
      ports: (o.ports ?? [80]).map((p) => (typeof p === 'number' ? { port: p, protocol: 'TCP' } : p)),
      ...(clusterIPs.length > 0 ? { clusterIP: clusterIPs[0] as string, clusterIPs } : {}),
      ...(o.ipFamilies ? { ipFamilies: o.ipFamilies } : {}),
      ...(o.policy ? { ipFamilyPolicy: o.policy } : {}),
      ...(o.loadBalancerIP !== undefined ? { loadBalancerIP: o.loadBalancerIP } : {}),
      ...(o.loadBalancerClass !== undefined ? { loadBalancerClass: o.loadBalancerClass } : {}),
      ...(o.etp ? { externalTrafficPolicy: o.etp } : {}),
      ...(o.selector ? { selector: o.selector } : {}),
    },
    ...(o.status ? { status: { loadBalancer: { ingress: o.status.map((ip) => ({ ip })) } } } : {}),
  };
}

/** The same service with `status` as its ingress IPs. */
export function withStatus(s: Service, ips: readonly string[]): Service {
  return { ...s, status: { loadBalancer: { ingress: ips.map((ip) => ({ ip })) } } };
}
