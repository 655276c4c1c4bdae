/**
 * Test-only helpers of the controller's end-to-end tests: the API server double with MetalLB's CRDs
 * (config/crd) and namespace, object builders, and waiting for a condition by polling the double's
 * store (each check is an event-driven read, bounded by a deadline that only fails the test).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { ApiServerDouble } from '../kube-apiserver/server.js';
import { startApiServer } from '../kube-apiserver/server.js';

export type { Obj } from '../kube-apiserver/resources.js';
import type { Obj } from '../kube-apiserver/resources.js';

const root = new URL('../../../', import.meta.url).pathname;

/** The double, with every CRD of config/crd and the namespaces `metallb-system` and `a`. */
export async function startDouble(options: { dataFile?: string; port?: number } = {}): Promise<ApiServerDouble> {
  const api = await startApiServer({ ...(options.dataFile ? { dataFile: options.dataFile } : {}), ...(options.port ? { port: options.port } : {}) });
  const crdDir = join(root, 'config/crd');
  for (const file of readdirSync(crdDir).sort()) {
    if (!file.endsWith('.yaml') || file === 'kustomization.yaml') continue;
    for (const doc of parseAllDocuments(readFileSync(join(crdDir, file), 'utf8'))) {
      const obj = doc.toJSON() as Obj | null;
      if (obj && obj['kind'] === 'CustomResourceDefinition' && !api.get({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition' }, '', (obj['metadata'] as Obj)['name'] as string)) {
        api.create(obj);
      }
    }
  }
  for (const ns of ['metallb-system', 'a']) {
    if (!api.get({ apiVersion: 'v1', kind: 'Namespace' }, '', ns)) api.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  }
  return api;
}

export function pool(name: string, addresses: string[]): Obj {
  return { apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name, namespace: 'metallb-system' }, spec: { addresses } };
}

let clusterIp = 10;
/** A LoadBalancer Service in namespace `a` (ClusterIP from 10.96.0.0/16, as the real server would set). */
export function service(name: string, annotations: Record<string, string> = {}): Obj {
  const n = clusterIp++;
  const ip = `10.96.${Math.floor(n / 250) % 250}.${(n % 250) + 1}`;
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: 'a', ...(Object.keys(annotations).length > 0 ? { annotations } : {}) },
    spec: { type: 'LoadBalancer', clusterIP: ip, clusterIPs: [ip], ipFamilies: ['IPv4'], ipFamilyPolicy: 'SingleStack', ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }] },
  };
}

export const SERVICE = { apiVersion: 'v1', kind: 'Service' } as const;
export const EVENT = { apiVersion: 'v1', kind: 'Event' } as const;
export const POOL = { apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool' } as const;
export const LEASE = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease' } as const;
export const CONFIGURATION_STATE = { apiVersion: 'metallb.io/v1beta1', kind: 'ConfigurationState' } as const;

/** The IPs in a Service's status. */
export function ingressOf(svc: Obj | undefined): string[] {
  const lb = ((svc?.['status'] as Obj | undefined)?.['loadBalancer'] as Obj | undefined)?.['ingress'];
  return Array.isArray(lb) ? lb.map((i) => String((i as Obj)['ip'])) : [];
}

export function annotationOf(svc: Obj | undefined, key: string): string | undefined {
  const a = (svc?.['metadata'] as Obj | undefined)?.['annotations'] as Record<string, string> | undefined;
  return a?.[key];
}

/** Resolves once `check` returns a value other than undefined; rejects after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
