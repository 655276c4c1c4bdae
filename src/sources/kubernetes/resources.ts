/**
 * The resources the Kubernetes source watches (pure): where each is listed and watched, and the
 * `kind`/`apiVersion` its objects are given (list items come without them). The set watched is a
 * parameter: the speaker watches all of them, the controller has no use for EndpointSlices.
 */

/** The kinds that can be watched. */
export type WatchedKind =
  | 'Service'
  | 'EndpointSlice'
  | 'Node'
  | 'Namespace'
  | 'ConfigMap'
  | 'Secret'
  | 'IPAddressPool'
  | 'BGPPeer'
  | 'BGPAdvertisement'
  | 'Community'
  | 'BFDProfile'
  | 'L2Advertisement';

/** Every kind, in the order their first lists are made (configuration first, Services last). */
export const ALL_KINDS: readonly WatchedKind[] = [
  'ConfigMap',
  'Secret',
  'IPAddressPool',
  'BGPPeer',
  'BGPAdvertisement',
  'Community',
  'BFDProfile',
  'L2Advertisement',
  'Namespace',
  'Node',
  'EndpointSlice',
  'Service',
];

/** One watched resource. */
export interface ResourceSpec {
  readonly kind: WatchedKind;
  /** The apiVersion its objects carry (`v1`, `discovery.k8s.io/v1`, `metallb.io/v1beta2`). */
  readonly apiVersion: string;
  /** The collection's path, to list and watch. */
  readonly path: string;
  /** A field selector the server applies (the ConfigMap `config` only). */
  readonly fieldSelector?: string;
  /** The object's name must be this (checked again here: a server may ignore the selector). */
  readonly onlyName?: string;
}

/** The MetalLB CRDs and the version read of each (BGPPeer v1beta2 is MetalLB's storage version). */
const METALLB: Readonly<Record<'IPAddressPool' | 'BGPPeer' | 'BGPAdvertisement' | 'Community' | 'BFDProfile' | 'L2Advertisement', { readonly plural: string; readonly version: string }>> = {
  IPAddressPool: { plural: 'ipaddresspools', version: 'v1beta1' },
  BGPPeer: { plural: 'bgppeers', version: 'v1beta2' },
  BGPAdvertisement: { plural: 'bgpadvertisements', version: 'v1beta1' },
  Community: { plural: 'communities', version: 'v1beta1' },
  BFDProfile: { plural: 'bfdprofiles', version: 'v1beta1' },
  L2Advertisement: { plural: 'l2advertisements', version: 'v1beta1' },
};

/** The ConfigMap MetalLB reads its legacy configuration from, in its namespace. */
export const LEGACY_CONFIGMAP = 'config';

/** The resource of `kind`; namespaced configuration kinds are read in `namespace` only. */
export function resourceOf(kind: WatchedKind, namespace: string): ResourceSpec {
  const ns = encodeURIComponent(namespace);
  switch (kind) {
    case 'Service':
      return { kind, apiVersion: 'v1', path: '/api/v1/services' };
    case 'EndpointSlice':
      return { kind, apiVersion: 'discovery.k8s.io/v1', path: '/apis/discovery.k8s.io/v1/endpointslices' };
    case 'Node':
      return { kind, apiVersion: 'v1', path: '/api/v1/nodes' };
    case 'Namespace':
      return { kind, apiVersion: 'v1', path: '/api/v1/namespaces' };
    case 'ConfigMap':
      return { kind, apiVersion: 'v1', path: `/api/v1/namespaces/${ns}/configmaps`, fieldSelector: `metadata.name=${LEGACY_CONFIGMAP}`, onlyName: LEGACY_CONFIGMAP };
    case 'Secret':
      return { kind, apiVersion: 'v1', path: `/api/v1/namespaces/${ns}/secrets` };
    case 'IPAddressPool':
    case 'BGPPeer':
    case 'BGPAdvertisement':
    case 'Community':
    case 'BFDProfile':
    case 'L2Advertisement': {
      const crd = METALLB[kind];
      return { kind, apiVersion: `metallb.io/${crd.version}`, path: `/apis/metallb.io/${crd.version}/namespaces/${ns}/${crd.plural}` };
    }
  }
}

/** The pipeline's kind for a watched kind (`src/model/cluster.ts`): configuration kinds are `Config`. */
export function pipelineKindOf(kind: WatchedKind): 'Service' | 'EndpointSlice' | 'Node' | 'Namespace' | 'Config' {
  return kind === 'Service' || kind === 'EndpointSlice' || kind === 'Node' || kind === 'Namespace' ? kind : 'Config';
}
