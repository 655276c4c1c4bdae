/**
 * router-config on a set of manifests (pure): the configuration (ConfigMap or CRDs) is built by
 * `configFromManifests`, the Node objects are taken as they are, and the router plans are rendered
 * for a vendor. Every problem comes back as data; nothing throws on bad input.
 */
import { configFromManifests } from '../config/from-manifests.js';
import type { ConfigIssue } from '../config/types.js';
import type { Node } from '../model/kubernetes.js';
import type { ManifestSet } from '../sources/manifests/parse.js';
import type { Vendor } from './render.js';
import { renderRouterConfig } from './render.js';
import type { RenderOptions } from './render-options.js';
import type { RouterIssue, RouterPlan } from './routers.js';
import { routerPlans } from './routers.js';

/** The Node objects of a manifest set (kind `Node`, core `v1`, with a name), in manifest order. */
export function nodesFromManifests(set: ManifestSet): Node[] {
  const out: Node[] = [];
  for (const { object } of set.objects) {
    if (object.kind !== 'Node') continue;
    if (object.apiVersion !== undefined && object.apiVersion !== 'v1') continue;
    const meta = object.metadata as { name?: unknown } | undefined;
    if (typeof meta?.name !== 'string' || meta.name === '') continue;
    out.push(object as unknown as Node);
  }
  return out;
}

export interface RouterConfigRequest {
  readonly vendor: Vendor;
  /** Only the router with this address. */
  readonly router?: string;
  readonly options?: RenderOptions;
}

export type RouterConfigResult =
  /** The configuration is invalid: nothing rendered. */
  | { readonly ok: false; readonly configErrors: readonly ConfigIssue[]; readonly issues: readonly RouterIssue[] }
  | {
      readonly ok: true;
      readonly text: string;
      readonly routers: readonly RouterPlan[];
      /** Problems of the router side; `severity: 'error'` means something was left out. */
      readonly issues: readonly RouterIssue[];
      readonly configWarnings: readonly ConfigIssue[];
    };

/** Renders the routers' configuration for the peers and nodes in `set`. */
export function routerConfigFromManifests(set: ManifestSet, request: RouterConfigRequest): RouterConfigResult {
  const built = configFromManifests(set);
  if (!built.ok) return { ok: false, configErrors: built.errors, issues: [] };
  const plans = routerPlans(built.config, nodesFromManifests(set), request.router);
  return {
    ok: true,
    text: renderRouterConfig(request.vendor, plans.routers, request.options ?? {}),
    routers: plans.routers,
    issues: plans.issues,
    configWarnings: built.config.warnings,
  };
}
