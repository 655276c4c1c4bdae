/**
 * `ControllerApi` over the Kubernetes client the source runs on (`KubeApi` of
 * `src/sources/kubernetes`, configured by client-node's `KubeConfig`): one client, one connection
 * pool for reading and writing. The verbs are the ones MetalLB's controller uses and our RBAC grants:
 * a merge patch for the Service's annotation, an update (PUT, conditional on the object's
 * resourceVersion) of the `status` subresource for the Service, the IPAddressPool and the
 * ConfigurationState, and core/v1 Events as client-go's recorder writes them (source component
 * `metallb-controller`, MetalLB's).
 *
 * Every failure becomes an `ApiError` with the HTTP status (0 when the server could not be reached).
 */
import { hostname } from 'node:os';
import { ANNOTATION } from '../allocator/request.js';
import type { ApiResponse, KubeApi, RequestOptions } from '../sources/kubernetes/client.js';
import type { ControllerApi, EventToCreate, RawObject } from './api.js';
import { ApiError } from './api.js';
import type { ConfigurationStateStatus } from './desired.js';

/** MetalLB's event source component (`controller/main.go`: ProcessName). */
export const EVENT_COMPONENT = 'metallb-controller';
const METALLB = '/apis/metallb.io/v1beta1';
const MERGE_PATCH = 'application/merge-patch+json';

const enc = encodeURIComponent;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** One request; an unreachable server is an `ApiError` with status 0. */
export async function send(api: KubeApi, method: string, path: string, what: string, options?: RequestOptions): Promise<ApiResponse> {
  try {
    return await api.request(method, path, options);
  } catch (err) {
    throw new ApiError(0, `${what}: no answer: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** The body of a 2xx answer; undefined for 404 when `notFound` allows it; else an `ApiError`. */
export function bodyOf(r: ApiResponse, what: string): RawObject;
export function bodyOf(r: ApiResponse, what: string, notFound: 'undefined'): RawObject | undefined;
export function bodyOf(r: ApiResponse, what: string, notFound?: 'undefined'): RawObject | undefined {
  if (r.status >= 200 && r.status < 300) return isRecord(r.body) ? r.body : {};
  if (r.status === 404 && notFound) return undefined;
  const message = isRecord(r.body) && typeof r.body['message'] === 'string' ? r.body['message'] : '';
  throw new ApiError(r.status, `${what}: HTTP ${r.status}${message !== '' ? `: ${message}` : ''}`);
}

function nameOf(object: RawObject): { namespace: string; name: string } {
  const meta = isRecord(object['metadata']) ? object['metadata'] : {};
  return { namespace: String(meta['namespace'] ?? ''), name: String(meta['name'] ?? '') };
}

/** The Kubernetes API for the controller; see the module header. */
export class KubeControllerApi implements ControllerApi {
  readonly #api: KubeApi;
  readonly #instance: string;

  constructor(api: KubeApi) {
    this.#api = api;
    this.#instance = hostname();
  }

  async readService(namespace: string, name: string): Promise<RawObject | undefined> {
    const what = `get service ${namespace}/${name}`;
    return bodyOf(await send(this.#api, 'GET', `/api/v1/namespaces/${enc(namespace)}/services/${enc(name)}`, what), what, 'undefined');
  }

  async patchServicePool(namespace: string, name: string, pool: string | undefined): Promise<RawObject | undefined> {
    const what = `patch service ${namespace}/${name}`;
    const body = { metadata: { annotations: { [ANNOTATION.ipAllocatedFromPool]: pool ?? null } } };
    const r = await send(this.#api, 'PATCH', `/api/v1/namespaces/${enc(namespace)}/services/${enc(name)}`, what, { body, contentType: MERGE_PATCH });
    return bodyOf(r, what, 'undefined');
  }

  async updateServiceStatus(object: RawObject): Promise<RawObject | undefined> {
    const { namespace, name } = nameOf(object);
    const what = `update status of service ${namespace}/${name}`;
    const r = await send(this.#api, 'PUT', `/api/v1/namespaces/${enc(namespace)}/services/${enc(name)}/status`, what, { body: object });
    return bodyOf(r, what, 'undefined');
  }

  async createEvent(e: EventToCreate): Promise<void> {
    // client-go names an event after its object and the time in nanoseconds, in hex.
    const nanos = BigInt(e.time.getTime()) * 1_000_000n + BigInt(Math.floor(Math.random() * 1_000_000));
    const time = e.time.toISOString().replace(/\.\d+Z$/, 'Z');
    const body = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${e.serviceName}.${nanos.toString(16)}`, namespace: e.namespace },
      involvedObject: {
        apiVersion: 'v1',
        kind: 'Service',
        namespace: e.namespace,
        name: e.serviceName,
        ...(e.serviceUid !== undefined ? { uid: e.serviceUid } : {}),
      },
      reason: e.reason,
      message: e.message,
      type: e.type,
      count: e.count,
      firstTimestamp: time,
      lastTimestamp: time,
      source: { component: EVENT_COMPONENT },
      reportingComponent: EVENT_COMPONENT,
      reportingInstance: this.#instance,
    };
    const what = `create event for service ${e.namespace}/${e.serviceName}`;
    bodyOf(await send(this.#api, 'POST', `/api/v1/namespaces/${enc(e.namespace)}/events`, what, { body }), what);
  }

  async readPool(namespace: string, name: string): Promise<RawObject | undefined> {
    const what = `get ipaddresspool ${namespace}/${name}`;
    return bodyOf(await send(this.#api, 'GET', `${METALLB}/namespaces/${enc(namespace)}/ipaddresspools/${enc(name)}`, what), what, 'undefined');
  }

  async updatePoolStatus(object: RawObject): Promise<RawObject | undefined> {
    const { namespace, name } = nameOf(object);
    const what = `update status of ipaddresspool ${namespace}/${name}`;
    const r = await send(this.#api, 'PUT', `${METALLB}/namespaces/${enc(namespace)}/ipaddresspools/${enc(name)}/status`, what, { body: object });
    return bodyOf(r, what, 'undefined');
  }

  async writeConfigurationState(
    namespace: string,
    name: string,
    labels: Readonly<Record<string, string>>,
    status: ConfigurationStateStatus,
  ): Promise<void> {
    const path = `${METALLB}/namespaces/${enc(namespace)}/configurationstates`;
    const what = `configurationstate ${namespace}/${name}`;
    let object = bodyOf(await send(this.#api, 'GET', `${path}/${enc(name)}`, `get ${what}`), `get ${what}`, 'undefined');
    if (!object) {
      const body = { apiVersion: 'metallb.io/v1beta1', kind: 'ConfigurationState', metadata: { name, namespace, labels: { ...labels } } };
      const r = await send(this.#api, 'POST', path, `create ${what}`, { body });
      // Created meanwhile by someone else: read it (a 409 otherwise retries the whole write).
      object = r.status === 409 ? bodyOf(await send(this.#api, 'GET', `${path}/${enc(name)}`, `get ${what}`), `get ${what}`) : bodyOf(r, `create ${what}`);
    }
    const r = await send(this.#api, 'PUT', `${path}/${enc(name)}/status`, `update status of ${what}`, { body: { ...object, status } });
    bodyOf(r, `update status of ${what}`);
  }
}
