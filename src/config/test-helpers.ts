/**
 * Test-only builders of configuration objects (kept out of the library exports).
 */
import { parseManifests } from '../sources/manifests/parse.js';
import type { BuildResult } from './build.js';
import { buildConfig } from './build.js';
import { resourcesFromObjects } from './decode.js';
import type { ConfigIssue } from './types.js';

export type Obj = Record<string, unknown>;

export function crd(kind: string, name: string, spec: Obj, apiVersion = kind === 'BGPPeer' ? 'metallb.io/v1beta2' : 'metallb.io/v1beta1', meta: Obj = {}): Obj {
  return { apiVersion, kind, metadata: { name, namespace: 'metallb-system', ...meta }, spec };
}

export const peer = (name: string, spec: Obj = {}, apiVersion?: string): Obj =>
  crd('BGPPeer', name, { myASN: 64512, peerASN: 64513, peerAddress: '10.0.0.1', ...spec }, apiVersion);
export const pool = (name: string, spec: Obj = {}, meta: Obj = {}): Obj => crd('IPAddressPool', name, { addresses: ['192.168.10.0/24'], ...spec }, undefined, meta);
export const adv = (name: string, spec: Obj = {}): Obj => crd('BGPAdvertisement', name, spec);
export const community = (name: string, communities: { name: string; value: string }[]): Obj => crd('Community', name, { communities });
export const bfd = (name: string, spec: Obj = {}): Obj => crd('BFDProfile', name, spec);
export const secret = (name: string, type: string, data: Record<string, string>): Obj => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name, namespace: 'metallb-system' },
  type,
  data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
});
export const node = (name: string, labels: Record<string, string>): Obj => ({ apiVersion: 'v1', kind: 'Node', metadata: { name, labels } });

export function configMap(config: string, name = 'config', namespace = 'metallb-system'): Obj {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace }, data: { config } };
}

/** Builds from plain objects. */
export function build(objects: readonly Obj[]): BuildResult {
  return buildConfig(resourcesFromObjects(objects.map((object) => ({ object }))));
}

/** Builds from YAML text (with origins and lines). */
export function buildText(text: string, file = 'test.yaml'): BuildResult {
  const set = parseManifests(text, file);
  if (set.errors.length > 0) throw new Error(`fixture does not parse: ${set.errors[0]?.message}`);
  return buildConfig(resourcesFromObjects(set.objects));
}

export function errorsOf(r: BuildResult): readonly ConfigIssue[] {
  return r.ok ? [] : r.errors;
}

export function warningsOf(r: BuildResult): readonly ConfigIssue[] {
  return r.ok ? r.config.warnings : r.warnings;
}
