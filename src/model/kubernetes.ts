/**
 * Plain snapshots of the Kubernetes objects metallb-ts reads: the shape they have in YAML manifests
 * and in the API, narrowed to the fields we use. Sources (`src/sources`) deliver these; the pure
 * layers (allocator, planner) take them as they are and never see a client.
 */

/**
 * `metadata` of any object. Validation (`validate.ts`) keeps name, namespace, labels (for an
 * EndpointSlice only `kubernetes.io/service-name`), MetalLB's annotations and creationTimestamp;
 * `uid` and `resourceVersion` are checked and not kept.
 */
export interface ObjectMeta {
  readonly name: string;
  readonly namespace?: string;
  readonly uid?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  /** RFC 3339 time; services are allocated in this order, then by namespace/name. */
  readonly creationTimestamp?: string;
  readonly resourceVersion?: string;
}

/** A label selector (metav1.LabelSelector). An empty selector matches everything. */
export interface LabelSelector {
  readonly matchLabels?: Readonly<Record<string, string>>;
  readonly matchExpressions?: readonly LabelSelectorRequirement[];
}

export interface LabelSelectorRequirement {
  readonly key: string;
  readonly operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  readonly values?: readonly string[];
}

export type IpFamilyName = 'IPv4' | 'IPv6';

/** A Service port; validation keeps `port` and `protocol` (what IP sharing compares). */
export interface ServicePort {
  readonly name?: string;
  readonly port: number;
  /** TCP (default), UDP or SCTP. */
  readonly protocol?: string;
  readonly targetPort?: number | string;
  readonly nodePort?: number;
}

export interface Service {
  readonly apiVersion?: string;
  readonly kind: 'Service';
  readonly metadata: ObjectMeta;
  readonly spec: {
    readonly type?: string;
    readonly ports?: readonly ServicePort[];
    /** Kept by validation only with externalTrafficPolicy Local (the only case it is read). */
    readonly selector?: Readonly<Record<string, string>>;
    readonly clusterIP?: string;
    readonly clusterIPs?: readonly string[];
    readonly ipFamilies?: readonly IpFamilyName[];
    readonly ipFamilyPolicy?: 'SingleStack' | 'PreferDualStack' | 'RequireDualStack';
    readonly loadBalancerIP?: string;
    readonly loadBalancerClass?: string;
    readonly externalTrafficPolicy?: 'Cluster' | 'Local';
  };
  readonly status?: {
    readonly loadBalancer?: { readonly ingress?: readonly { readonly ip?: string; readonly hostname?: string }[] };
  };
}

export interface NodeCondition {
  readonly type: string;
  readonly status: 'True' | 'False' | 'Unknown';
}

export interface Node {
  readonly apiVersion?: string;
  readonly kind: 'Node';
  readonly metadata: ObjectMeta;
  readonly status?: {
    readonly addresses?: readonly { readonly type: string; readonly address: string }[];
    readonly conditions?: readonly NodeCondition[];
  };
}

export interface Endpoint {
  /** Validation keeps at most the first address: the planner reads only whether there is one. */
  readonly addresses: readonly string[];
  readonly conditions?: { readonly ready?: boolean; readonly serving?: boolean; readonly terminating?: boolean };
  readonly nodeName?: string;
}

/** discovery.k8s.io/v1 EndpointSlice; its service is the label `kubernetes.io/service-name`. */
export interface EndpointSlice {
  readonly apiVersion?: string;
  readonly kind: 'EndpointSlice';
  readonly metadata: ObjectMeta;
  readonly addressType?: 'IPv4' | 'IPv6' | 'FQDN';
  readonly endpoints?: readonly Endpoint[];
}

/** A Secret; `data` is base64 as in the API, `stringData` plain. */
export interface Secret {
  readonly apiVersion?: string;
  readonly kind: 'Secret';
  readonly metadata: ObjectMeta;
  readonly type?: string;
  readonly data?: Readonly<Record<string, string>>;
  readonly stringData?: Readonly<Record<string, string>>;
}

/** `namespace/name` of an object (or `name` for cluster-scoped ones). */
export function keyOf(meta: ObjectMeta): string {
  return meta.namespace ? `${meta.namespace}/${meta.name}` : meta.name;
}

/**
 * `namespace/name` of a namespaced object (Service, EndpointSlice, Secret), with `default` for an
 * absent namespace, as kubectl applies it. Every layer keys services by this.
 */
export function namespacedKeyOf(meta: ObjectMeta): string {
  return `${meta.namespace ?? 'default'}/${meta.name}`;
}

/** Whether `labels` satisfy `selector` (metav1.LabelSelector semantics; empty selects everything). */
export function selectorMatches(selector: LabelSelector, labels: Readonly<Record<string, string>> | undefined): boolean {
  const have = labels ?? {};
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) {
    if (have[k] !== v) return false;
  }
  for (const req of selector.matchExpressions ?? []) {
    const present = Object.prototype.hasOwnProperty.call(have, req.key);
    const value = have[req.key];
    const values = req.values ?? [];
    switch (req.operator) {
      case 'In':
        if (!present || value === undefined || !values.includes(value)) return false;
        break;
      case 'NotIn':
        if (present && value !== undefined && values.includes(value)) return false;
        break;
      case 'Exists':
        if (!present) return false;
        break;
      case 'DoesNotExist':
        if (present) return false;
        break;
    }
  }
  return true;
}

/** Whether any selector of a list matches; an empty list matches every object (MetalLB's rule). */
export function anySelectorMatches(
  selectors: readonly LabelSelector[],
  labels: Readonly<Record<string, string>> | undefined,
): boolean {
  return selectors.length === 0 || selectors.some((s) => selectorMatches(s, labels));
}
