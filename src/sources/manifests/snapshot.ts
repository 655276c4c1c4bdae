/**
 * A full cluster snapshot from manifests: the configuration (built by `src/config`), and the Nodes,
 * Services and EndpointSlices among the objects. Any problem anywhere — a YAML syntax error, an
 * invalid configuration, a Node/Service/EndpointSlice without a name — rejects the whole snapshot, so
 * the runtime keeps the last good one instead of acting on half a file.
 *
 * Namespaced objects without a namespace get `default`, as `kubectl apply` would give them.
 */
import { configFromManifests } from '../../config/index.js';
import type { ConfigIssue } from '../../config/types.js';
import type { EndpointSlice, Node, Service } from '../../model/kubernetes.js';
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
export const CLUSTER_KINDS = ['Node', 'Service', 'EndpointSlice'] as const;

function withNamespace<T extends { metadata: { namespace?: string } }>(o: T): T {
  return o.metadata.namespace ? o : { ...o, metadata: { ...o.metadata, namespace: 'default' } };
}

/** Splits the objects of `set` into a snapshot, or rejects it with every problem found. */
export function snapshotFromManifests(set: ManifestSet): ClusterSnapshot | RejectedSnapshot {
  const nodes: Node[] = [];
  const services: Service[] = [];
  const endpointSlices: EndpointSlice[] = [];
  const errors: ConfigIssue[] = [];
  for (const m of set.objects) {
    const o = m.object;
    const kind = o['kind'];
    if (kind !== 'Node' && kind !== 'Service' && kind !== 'EndpointSlice') continue;
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
    } else {
      nodes.push(o as unknown as Node);
    }
  }
  const built = configFromManifests(set);
  if (!built.ok) errors.push(...built.errors);
  if (errors.length > 0 || !built.ok) return { ok: false, errors };
  return { ok: true, config: built.config, nodes, services, endpointSlices };
}

/** Reads `paths` (files or folders) and builds the snapshot. */
export async function loadSnapshot(paths: readonly string[]): Promise<ClusterSnapshot | RejectedSnapshot> {
  return snapshotFromManifests(await loadManifests(paths));
}
