/**
 * `ControllerApi` over `@kubernetes/client-node` 1.x: the controller's writes as the API server takes
 * them. Service annotation and status are JSON merge patches (the status through the `status`
 * subresource, conditional on `metadata.resourceVersion` when one is given, so a concurrent change
 * answers 409); Events are core/v1 Events as client-go's recorder writes them (source component
 * `metallb-controller`, as MetalLB's); IPAddressPool and ConfigurationState statuses are merge patches
 * of the `status` subresource of `metallb.io/v1beta1` objects.
 *
 * Every failure becomes an `ApiError` with the HTTP status (0 when the server could not be reached),
 * and "not found" answers `undefined` where the interface says so.
 */
import { hostname } from 'node:os';
import type { CoreV1Event, KubeConfig, V1Service } from '@kubernetes/client-node';
import { CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { ANNOTATION } from '../allocator/request.js';
import type { ControllerApi, EventToCreate, ServiceFresh } from './api.js';
import { ApiError } from './api.js';
import type { ConfigurationStateStatus, PoolStatus } from './desired.js';
import { observedOf } from './desired.js';

/** MetalLB's event source component (`controller/main.go`: ProcessName). */
export const EVENT_COMPONENT = 'metallb-controller';
const GROUP = 'metallb.io';
const VERSION = 'v1beta1';

const MERGE = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/** The HTTP status of a client-node failure (0: no answer). */
export function statusOf(err: unknown): number {
  if (typeof err === 'object' && err !== null && 'code' in err && typeof (err as { code: unknown }).code === 'number') {
    return (err as { code: number }).code;
  }
  return 0;
}

/** A client-node failure as an `ApiError`, with the server's message when it sent a Status. */
export function toApiError(err: unknown, what: string): ApiError {
  const status = statusOf(err);
  let detail = err instanceof Error ? err.message : String(err);
  const body = typeof err === 'object' && err !== null && 'body' in err ? (err as { body: unknown }).body : undefined;
  if (typeof body === 'string') {
    try {
      const parsed = JSON.parse(body) as { message?: unknown };
      if (typeof parsed.message === 'string') detail = parsed.message;
    } catch {
      // not a Status: keep the client's message
    }
  }
  return new ApiError(status, `${what}: ${status === 0 ? 'no answer' : `HTTP ${status}`}: ${detail.split('\n')[0] ?? ''}`);
}

function freshOf(svc: V1Service): ServiceFresh {
  const meta = svc.metadata ?? {};
  const ingress: { ip?: string }[] = [];
  for (const i of svc.status?.loadBalancer?.ingress ?? []) ingress.push(i.ip !== undefined ? { ip: i.ip } : {});
  return {
    resourceVersion: meta.resourceVersion ?? '',
    uid: meta.uid,
    observed: observedOf({
      metadata: { name: meta.name ?? '', ...(meta.annotations ? { annotations: meta.annotations } : {}) },
      status: { loadBalancer: { ingress } },
    }),
  };
}

/** Runs `call`; a 404 answers `undefined`, any other failure throws an `ApiError`. */
async function orNotFound<T>(what: string, call: () => Promise<T>): Promise<T | undefined> {
  try {
    return await call();
  } catch (err) {
    if (statusOf(err) === 404) return undefined;
    throw toApiError(err, what);
  }
}

/** The Kubernetes API through client-node; see the module header. */
export class KubeControllerApi implements ControllerApi {
  readonly #core: CoreV1Api;
  readonly #custom: CustomObjectsApi;
  readonly #instance: string;

  constructor(kubeConfig: KubeConfig) {
    this.#core = kubeConfig.makeApiClient(CoreV1Api);
    this.#custom = kubeConfig.makeApiClient(CustomObjectsApi);
    this.#instance = hostname();
  }

  async readService(namespace: string, name: string): Promise<ServiceFresh | undefined> {
    const svc = await orNotFound(`get service ${namespace}/${name}`, () => this.#core.readNamespacedService({ namespace, name }));
    return svc ? freshOf(svc) : undefined;
  }

  async patchServicePool(namespace: string, name: string, pool: string | undefined): Promise<ServiceFresh | undefined> {
    const body = { metadata: { annotations: { [ANNOTATION.ipAllocatedFromPool]: pool ?? null } } };
    const svc = await orNotFound(`patch service ${namespace}/${name}`, () => this.#core.patchNamespacedService({ namespace, name, body }, MERGE));
    return svc ? freshOf(svc) : undefined;
  }

  async writeServiceStatus(
    namespace: string,
    name: string,
    ingress: readonly string[],
    resourceVersion: string | undefined,
  ): Promise<ServiceFresh | undefined> {
    const list: { ip: string }[] = [];
    for (const ip of ingress) list.push({ ip });
    const body = {
      ...(resourceVersion !== undefined ? { metadata: { resourceVersion } } : {}),
      status: { loadBalancer: { ingress: list.length > 0 ? list : null } },
    };
    const svc = await orNotFound(`update status of service ${namespace}/${name}`, () =>
      this.#core.patchNamespacedServiceStatus({ namespace, name, body }, MERGE),
    );
    return svc ? freshOf(svc) : undefined;
  }

  async createEvent(e: EventToCreate): Promise<void> {
    // client-go names an event after its object and the time in nanoseconds, in hex.
    const nanos = BigInt(e.time.getTime()) * 1_000_000n + BigInt(Math.floor(Math.random() * 1_000_000));
    const body: CoreV1Event = {
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
      firstTimestamp: e.time,
      lastTimestamp: e.time,
      source: { component: EVENT_COMPONENT },
      reportingComponent: EVENT_COMPONENT,
      reportingInstance: this.#instance,
    };
    try {
      await this.#core.createNamespacedEvent({ namespace: e.namespace, body });
    } catch (err) {
      throw toApiError(err, `create event for service ${e.namespace}/${e.serviceName}`);
    }
  }

  async writePoolStatus(namespace: string, name: string, status: PoolStatus): Promise<void> {
    await orNotFound(`update status of ipaddresspool ${namespace}/${name}`, () =>
      this.#custom.patchNamespacedCustomObjectStatus(
        { group: GROUP, version: VERSION, namespace, plural: 'ipaddresspools', name, body: { status } },
        MERGE,
      ),
    );
  }

  async writeConfigurationState(
    namespace: string,
    name: string,
    labels: Readonly<Record<string, string>>,
    status: ConfigurationStateStatus,
  ): Promise<void> {
    const what = `configurationstate ${namespace}/${name}`;
    const patchStatus = (): Promise<unknown> =>
      this.#custom.patchNamespacedCustomObjectStatus(
        { group: GROUP, version: VERSION, namespace, plural: 'configurationstates', name, body: { status: { errorSummary: null, ...status } } },
        MERGE,
      );
    const done = await orNotFound(`update status of ${what}`, patchStatus);
    if (done !== undefined) return;
    try {
      await this.#custom.createNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace,
        plural: 'configurationstates',
        body: { apiVersion: `${GROUP}/${VERSION}`, kind: 'ConfigurationState', metadata: { name, namespace, labels: { ...labels } } },
      });
    } catch (err) {
      if (statusOf(err) !== 409) throw toApiError(err, `create ${what}`);
    }
    try {
      await patchStatus();
    } catch (err) {
      throw toApiError(err, `update status of ${what}`);
    }
  }
}
