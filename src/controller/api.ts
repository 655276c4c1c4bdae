/**
 * The narrow interface through which the controller writes to the API server, so the controller can
 * be tested against a fake and the Kubernetes client stays at the edge (`kube-api.ts` implements it
 * with `@kubernetes/client-node`).
 */
import type { ConfigurationStateStatus, PoolStatus, ServiceObserved } from './desired.js';

/** A Service as a write's response (or a fresh read) shows it. */
export interface ServiceFresh {
  readonly resourceVersion: string;
  readonly uid: string | undefined;
  readonly observed: ServiceObserved;
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

/** The controller's writes. Not found answers `undefined` (the object went away: nothing to do). */
export interface ControllerApi {
  readService(namespace: string, name: string): Promise<ServiceFresh | undefined>;
  /** Sets (or, with `undefined`, removes) `metallb.io/ip-allocated-from-pool` with a merge patch. */
  patchServicePool(namespace: string, name: string, pool: string | undefined): Promise<ServiceFresh | undefined>;
  /**
   * Writes `status.loadBalancer.ingress` through the status subresource (empty: cleared). With a
   * `resourceVersion` the write is conditional and a concurrent change answers a 409 `ApiError`.
   */
  writeServiceStatus(namespace: string, name: string, ingress: readonly string[], resourceVersion: string | undefined): Promise<ServiceFresh | undefined>;
  createEvent(event: EventToCreate): Promise<void>;
  /** Writes an IPAddressPool's `status` through its status subresource. */
  writePoolStatus(namespace: string, name: string, status: PoolStatus): Promise<void>;
  /** Creates the ConfigurationState if missing (with `labels`), then writes its status. */
  writeConfigurationState(namespace: string, name: string, labels: Readonly<Record<string, string>>, status: ConfigurationStateStatus): Promise<void>;
}
