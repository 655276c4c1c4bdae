/**
 * Test helpers for the deployment (config/, config/manifests/metallb-ts.yaml, Dockerfile): where the
 * files are, the rendered objects, and whether kubectl (for `kubectl kustomize`) is here. Tests only.
 */
import { existsSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

/** The repository root (this file is compiled to dist/test/deploy/). */
export const REPO = fileURLToPath(new URL('../../../', import.meta.url));

/** The all-in-one manifest `npm run manifests` renders from config/. */
export const MANIFEST = join(REPO, 'config/manifests/metallb-ts.yaml');

/** A Kubernetes object as YAML gives it. */
export type K8sObject = Record<string, unknown> & { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } };

/** Why kubectl cannot be used here, or undefined when it can (the machine image ships kubectl 1.32). */
export function kubectlUnavailable(): string | undefined {
  try {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore' });
    return undefined;
  } catch {
    return 'kubectl is not installed (kubectl kustomize renders config/)';
  }
}

/** Every document of a YAML stream, as plain objects; a document that is not an object throws. */
export function parseObjects(text: string, where: string): K8sObject[] {
  const out: K8sObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(`${where}: ${doc.errors[0]?.message ?? 'YAML error'}`);
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    if (typeof value !== 'object' || Array.isArray(value)) throw new Error(`${where}: a document is not an object`);
    const o = value as K8sObject;
    if (typeof o.apiVersion !== 'string' || typeof o.kind !== 'string') throw new Error(`${where}: a document has no apiVersion/kind`);
    out.push(o);
  }
  return out;
}

let rendered: readonly K8sObject[] | undefined;

/** The objects of the committed all-in-one manifest (parsed once; callers clone before changing one). */
export function renderedObjects(): readonly K8sObject[] {
  rendered ??= parseObjects(readFileSync(MANIFEST, 'utf8'), 'config/manifests/metallb-ts.yaml');
  return rendered;
}

/** The one object of `kind` named `name` in `objects`; throws when there is not exactly one. */
export function theObject(objects: readonly K8sObject[], kind: string, name: string): K8sObject {
  const found = objects.filter((o) => o.kind === kind && o.metadata.name === name);
  if (found.length !== 1) throw new Error(`expected one ${kind}/${name}, found ${found.length}`);
  return found[0] as K8sObject;
}

/** Reads a repository file. */
export function repoFile(path: string): string {
  return readFileSync(join(REPO, path), 'utf8');
}

/** Whether a repository file exists. */
export function repoHas(path: string): boolean {
  return existsSync(join(REPO, path));
}
