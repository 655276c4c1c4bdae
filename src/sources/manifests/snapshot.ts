/**
 * A full cluster snapshot from manifests: the configuration (built by `src/config`), and the Nodes,
 * Services, EndpointSlices and Namespaces among the objects. Any problem anywhere — a YAML syntax error, an
 * invalid configuration, a Node/Service/EndpointSlice without a name — rejects the whole snapshot, so
 * the runtime keeps the last good one instead of acting on half a file.
 *
 * Namespaced objects without a namespace get `default`, as `kubectl apply` would give them.
 */
import { configFromManifests } from '../../config/index.js';
import type { ConfigIssue } from '../../config/types.js';
import type { EndpointSlice, Node, Service } from '../../model/kubernetes.js';
import type { NamespaceLabels } from '../../allocator/types.js';
import type { ClusterSnapshot, RejectedSnapshot } from '../../speaker/runtime.js';
import { loadManifests } from './load.js';
import type { ManifestObject, ManifestSet } from './parse.js';

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function issue(m: ManifestObject, kind: string, message: string, path = 'metadata.name'): ConfigIssue {
  return {
    severity: 'error',
    object: kind,
    path,
    rule: 'invalidObject',
    message,
    file: m.origin.file,
    line: m.origin.line,
  };
}

/** The kinds this module takes from manifests besides the configuration. */
export const CLUSTER_KINDS = ['Node', 'Service', 'EndpointSlice', 'Namespace'] as const;

function withNamespace<T extends { metadata: { namespace?: string } }>(o: T): T {
  return o.metadata.namespace ? o : { ...o, metadata: { ...o.metadata, namespace: 'default' } };
}

/** The cluster objects of a manifest set (besides the configuration), and what is wrong with them. */
export interface ClusterObjects {
  readonly nodes: readonly Node[];
  readonly services: readonly Service[];
  readonly endpointSlices: readonly EndpointSlice[];
  /** Namespace name → labels (for pools' `serviceAllocation.namespaceSelectors`). */
  readonly namespaces: NamespaceLabels;
  readonly errors: readonly ConfigIssue[];
}

/**
 * The Nodes, Services (core/v1), EndpointSlices and Namespaces of `set`, namespaced ones defaulted to
 * `default`. Objects without a name (or a Service without a spec) are errors.
 */
export function clusterObjectsOf(set: ManifestSet): ClusterObjects {
  const nodes: Node[] = [];
  const services: Service[] = [];
  const endpointSlices: EndpointSlice[] = [];
  const namespaces: Record<string, Readonly<Record<string, string>>> = {};
  const errors: ConfigIssue[] = [];
  for (const m of set.objects) {
    const o = m.object;
    const kind = o['kind'];
    if (kind !== 'Node' && kind !== 'Service' && kind !== 'EndpointSlice' && kind !== 'Namespace') continue;
    const apiVersion = o['apiVersion'];
    // Only core/v1 Services, Nodes and Namespaces (a CRD may reuse the kind), discovery.k8s.io slices.
    if (kind !== 'EndpointSlice' && apiVersion !== undefined && apiVersion !== 'v1') continue;
    if (kind === 'EndpointSlice' && apiVersion !== undefined && typeof apiVersion === 'string' && !apiVersion.startsWith('discovery.k8s.io/')) continue;
    const meta = o['metadata'];
    if (!isRecord(meta) || typeof meta['name'] !== 'string' || meta['name'] === '') {
      errors.push(issue(m, kind, `a ${kind} needs metadata.name`));
      continue;
    }
    const name = `${kind}/${typeof meta['namespace'] === 'string' ? `${meta['namespace']}/` : ''}${meta['name']}`;
    if (kind === 'Service') {
      if (!isRecord(o['spec'])) {
        errors.push(issue(m, name, 'a Service needs a spec', 'spec'));
        continue;
      }
      services.push(withNamespace(o as unknown as Service));
    } else if (kind === 'EndpointSlice') {
      if (o['endpoints'] !== undefined && !Array.isArray(o['endpoints'])) {
        errors.push(issue(m, name, 'endpoints must be a list', 'endpoints'));
        continue;
      }
      endpointSlices.push(withNamespace(o as unknown as EndpointSlice));
    } else if (kind === 'Namespace') {
      const labels: Record<string, string> = {};
      if (isRecord(meta['labels'])) for (const [k, v] of Object.entries(meta['labels'])) if (typeof v === 'string') labels[k] = v;
      namespaces[meta['name']] = labels;
    } else {
      nodes.push(o as unknown as Node);
    }
  }
  return { nodes, services, endpointSlices, namespaces, errors };
}

/** Splits the objects of `set` into a snapshot, or rejects it with every problem found. */
export function snapshotFromManifests(set: ManifestSet): ClusterSnapshot | RejectedSnapshot {
  const objects = clusterObjectsOf(set);
  const errors: ConfigIssue[] = [...objects.errors];
  const built = configFromManifests(set);
  if (!built.ok) errors.push(...built.errors);
  if (errors.length > 0 || !built.ok) return { ok: false, errors };
  return {
    ok: true,
    config: built.config,
    nodes: objects.nodes,
    services: objects.services,
    endpointSlices: objects.endpointSlices,
    namespaces: objects.namespaces,
  };
}

/** Reads `paths` (files or folders) and builds the snapshot. */
export async function loadSnapshot(paths: readonly string[]): Promise<ClusterSnapshot | RejectedSnapshot> {
  return snapshotFromManifests(await loadManifests(paths));
}
