/**
 * The narrow interface through which the controller writes to the API server, so the controller can
 * be tested against a fake and the Kubernetes client stays at the edge (`kube-api.ts` implements it
 * with `@kubernetes/client-node`).
 */
import type { ConfigurationStateStatus, ServiceObserved } from './desired.js';

/** An object as the API server sent it (plain JSON). */
export type RawObject = Readonly<Record<string, unknown>>;

/** A Service as a write's response (or a fresh read) shows it. */
export interface ServiceFresh {
  readonly resourceVersion: string;
  readonly uid: string | undefined;
  readonly observed: ServiceObserved;
  /** The whole object, the base of a status update. */
  readonly object: RawObject;
}

/** A core/v1 Event to create about a Service. */
export interface EventToCreate {
  readonly namespace: string;
  readonly serviceName: string;
  /** The Service's uid, so `kubectl describe service` lists the event. */
  readonly serviceUid: string | undefined;
  readonly type: 'Normal' | 'Warning';
  readonly reason: string;
  readonly message: string;
  /** How many times it happened (events repeated while waiting are written once, counted). */
  readonly count: number;
  readonly time: Date;
}

/** An error answer of the API server (or none: `status` 0 when it could not be reached). */
export class ApiError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
  }
}

/** Whether `err` is a 409 Conflict (a stale resourceVersion). */
export function isConflict(err: unknown): boolean {
  return err instanceof ApiError && err.status === 409;
}

/** `unavailable` when the API server could not answer (down, 5xx, 429), else `rejected`. */
export function classifyApiError(err: unknown): 'unavailable' | 'rejected' {
  if (err instanceof ApiError) return err.status === 0 || err.status === 429 || err.status >= 500 ? 'unavailable' : 'rejected';
  return 'unavailable';
}

/**
 * The controller's writes, with the verbs MetalLB's RBAC (and ours, `config/rbac/controller.yaml`)
 * grants: `patch` on services, `update` on services/status, ipaddresspools/status and
 * configurationstates(/status), `create` on events. Not found answers `undefined` (the object went
 * away: nothing to do); a stale resourceVersion throws a 409 `ApiError`.
 */
export interface ControllerApi {
  readService(namespace: string, name: string): Promise<RawObject | undefined>;
  /** Sets (or, with `undefined`, removes) `metallb.io/ip-allocated-from-pool` with a merge patch. */
  patchServicePool(namespace: string, name: string, pool: string | undefined): Promise<RawObject | undefined>;
  /** Replaces the Service's status through the status subresource (`object` carries the resourceVersion). */
  updateServiceStatus(object: RawObject): Promise<RawObject | undefined>;
  createEvent(event: EventToCreate): Promise<void>;
  readPool(namespace: string, name: string): Promise<RawObject | undefined>;
  /** Replaces an IPAddressPool's status through its status subresource. */
  updatePoolStatus(object: RawObject): Promise<RawObject | undefined>;
  /** Creates the ConfigurationState if missing (with `labels`), then replaces its status. */
  writeConfigurationState(namespace: string, name: string, labels: Readonly<Record<string, string>>, status: ConfigurationStateStatus): Promise<void>;
}
