/**
 * Usable endpoints of a Service, from its EndpointSlices, by MetalLB's rules
 * (`internal/k8s/epslices.EndpointCanServe`, `speaker/bgp_controller.go: hasHealthyEndpoint`).
 *
 * An endpoint is usable when it has at least one address and its `ready` condition is unset or true,
 * or its `serving` condition is true (a terminating pod that still serves keeps the route). Pure.
 */
import type { Endpoint, EndpointSlice, Service } from '../model/kubernetes.js';
import { namespacedKeyOf } from '../model/kubernetes.js';

/** The label that ties an EndpointSlice to its Service (in the same namespace). */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

/** Whether an endpoint's conditions let it take traffic: ready nil/true, or serving true. */
export function endpointCanServe(ep: Endpoint): boolean {
  const c = ep.conditions;
  if (c?.ready === undefined || c.ready) return true;
  return c.serving === true;
}

/** The EndpointSlices of `svc`: label `kubernetes.io/service-name` = its name, in its namespace. */
export function slicesForService(svc: Service, slices: readonly EndpointSlice[]): EndpointSlice[] {
  const ns = svc.metadata.namespace ?? 'default';
  return slices.filter(
    (s) => (s.metadata.namespace ?? 'default') === ns && s.metadata.labels?.[SERVICE_NAME_LABEL] === svc.metadata.name,
  );
}

/**
 * Every slice grouped by the Service it belongs to (`namespace/name` from its namespace and the
 * `kubernetes.io/service-name` label), so a plan over many services looks each one up once instead
 * of scanning every slice per service. `slicesOf(index, svc)` equals `slicesForService(svc, slices)`.
 */
export function indexSlicesByService(slices: readonly EndpointSlice[]): ReadonlyMap<string, readonly EndpointSlice[]> {
  const index = new Map<string, EndpointSlice[]>();
  for (const s of slices) {
    const name = s.metadata.labels?.[SERVICE_NAME_LABEL];
    if (name === undefined) continue;
    const key = `${s.metadata.namespace ?? 'default'}/${name}`;
    const list = index.get(key);
    if (list) list.push(s);
    else index.set(key, [s]);
  }
  return index;
}

/** The slices of `svc` from an index made by `indexSlicesByService`. */
export function slicesOf(index: ReadonlyMap<string, readonly EndpointSlice[]>, svc: Service): readonly EndpointSlice[] {
  return index.get(namespacedKeyOf(svc.metadata)) ?? [];
}

/**
 * Whether any slice holds a usable endpoint; with `nodeName`, only endpoints on that node count
 * (an endpoint without `nodeName` is on no node, as in MetalLB).
 */
export function hasUsableEndpoint(slices: readonly EndpointSlice[], nodeName?: string): boolean {
  for (const slice of slices) {
    for (const ep of slice.endpoints ?? []) {
      if (nodeName !== undefined && ep.nodeName !== nodeName) continue;
      if (ep.addresses.length > 0 && endpointCanServe(ep)) return true;
    }
  }
  return false;
}
