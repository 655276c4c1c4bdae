/**
 * The OpenAPI v3 documents the double serves at /openapi/v3 (the index) and
 * /openapi/v3/api/v1, /openapi/v3/apis/GROUP/VERSION (one per group-version), as the real server
 * does. kubectl reads them to learn that the server validates fields itself (the PATCH operation of
 * each kind lists the `fieldValidation` query parameter and carries `x-kubernetes-group-version-kind`),
 * so `kubectl apply` sends `fieldValidation=Strict` instead of validating against OpenAPI v2.
 *
 * Paths, operations and parameters are complete for our kinds; component schemas are given for
 * custom resources (their CRD's schema) only, not for built-in kinds (README.md). The PATCH request
 * bodies of built-in kinds list the JSON and merge patch types but not the strategic merge patch:
 * kubectl then builds its strategic merge patch from its compiled-in types instead of from schemas we
 * do not serve, and the server still accepts strategic merge patches.
 */
import { createHash } from 'node:crypto';
import type { ResourceType } from './resources.js';
import { apiVersionOf } from './resources.js';

/** The /openapi/v3 index from each group-version's document text: its address with a hash of its content, as the real server's. */
export function openApiV3Paths(documents: ReadonlyMap<string, string>): Record<string, { serverRelativeURL: string }> {
  const out: Record<string, { serverRelativeURL: string }> = {};
  for (const [gv, text] of documents) {
    const hash = createHash('sha512').update(text).digest('hex').toUpperCase();
    out[gv] = { serverRelativeURL: `/openapi/v3/${gv}?hash=${hash}` };
  }
  return out;
}

function param(name: string, where: 'query' | 'path', description: string, type = 'string'): Record<string, unknown> {
  return { name, in: where, description, ...(where === 'path' ? { required: true } : {}), schema: { type, uniqueItems: true } };
}

const JSON_BODY = { content: { '*/*': { schema: { type: 'object' } } }, required: true };

/** `io.metallb.v1beta1.IPAddressPool`, the real server's component name for a CRD kind. */
function componentName(t: ResourceType): string {
  const group = t.group.split('.').reverse().join('.');
  return `${group}.${t.version}.${t.kind}`;
}

/** The OpenAPI v3 document of one group-version (`api/v1`, `apis/metallb.io/v1beta1`). */
export function openApiV3Document(gv: string, types: readonly ResourceType[]): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  const schemas: Record<string, unknown> = {};
  const prefix = `/${gv}`;
  for (const t of types) {
    const gvk = { group: t.group, version: t.version, kind: t.kind };
    const ref = { $ref: `#/components/schemas/${componentName(t)}` };
    const body = t.schema !== undefined ? { content: { '*/*': { schema: ref } }, required: true } : JSON_BODY;
    const response = { '200': { description: 'OK', content: { 'application/json': { schema: t.schema !== undefined ? ref : { type: 'object' } } } } };
    if (t.schema !== undefined) schemas[componentName(t)] = { ...t.schema, 'x-kubernetes-group-version-kind': [gvk] };
    const patchTypes = ['application/json-patch+json', 'application/merge-patch+json', 'application/apply-patch+yaml'];
    const patchContent: Record<string, unknown> = {};
    for (const p of patchTypes) patchContent[p] = { schema: { type: 'object' } };
    const writeParams = [
      param('dryRun', 'query', 'When present, indicates that modifications should not be persisted.'),
      param('fieldManager', 'query', 'fieldManager is a name associated with the actor or entity that is making these changes.'),
      param('fieldValidation', 'query', 'fieldValidation instructs the server on how to handle objects in the request containing unknown or duplicate fields: Ignore, Warn or Strict.'),
    ];
    const op = (action: string, verb: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
      description: `${verb} ${t.kind}`,
      operationId: `${verb}${t.kind}`,
      responses: response,
      'x-kubernetes-action': action,
      'x-kubernetes-group-version-kind': gvk,
      ...extra,
    });
    const nsParam = param('namespace', 'path', 'object name and auth scope, such as for teams and projects');
    const nameParam = param('name', 'path', `name of the ${t.kind}`);
    const base = t.namespaced ? `${prefix}/namespaces/{namespace}/${t.plural}` : `${prefix}/${t.plural}`;
    const scopeParams = t.namespaced ? [nsParam] : [];
    paths[base] = {
      get: op('list', 'list', { parameters: [param('labelSelector', 'query', 'label selector'), param('fieldSelector', 'query', 'field selector'), param('watch', 'query', 'watch', 'boolean')] }),
      post: op('post', 'create', { parameters: writeParams, requestBody: body }),
      delete: op('deletecollection', 'deletecollection'),
      parameters: scopeParams,
    };
    const item = {
      get: op('get', 'read'),
      put: op('put', 'replace', { parameters: writeParams, requestBody: body }),
      patch: op('patch', 'patch', { parameters: writeParams, requestBody: { content: patchContent, required: true } }),
      delete: op('delete', 'delete'),
      parameters: [nameParam, ...scopeParams],
    };
    paths[`${base}/{name}`] = item;
    if (t.statusSubresource) {
      paths[`${base}/{name}/status`] = {
        get: op('get', 'readStatus'),
        put: op('put', 'replaceStatus', { parameters: writeParams, requestBody: body }),
        patch: op('patch', 'patchStatus', { parameters: writeParams, requestBody: { content: patchContent, required: true } }),
        parameters: [nameParam, ...scopeParams],
      };
    }
    if (t.namespaced) {
      paths[`${prefix}/${t.plural}`] = { get: op('list', 'listForAllNamespaces') };
    }
  }
  const first = types[0];
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: first !== undefined ? apiVersionOf(first) : gv },
    paths,
    components: { schemas },
  };
}
