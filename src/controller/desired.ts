/**
 * What the controller wants written to the API server, computed from the pipeline's `ClusterState`
 * (pure: no I/O, no client). Three kinds of object, each compared with what the API server last
 * showed so that nothing is written that is already there:
 *
 * - a Service: `status.loadBalancer.ingress` (the allocator's IPs, MetalLB's order) and the annotation
 *   `metallb.io/ip-allocated-from-pool`; cleared when the Service stops being eligible (MetalLB's
 *   `clearServiceState`: not `type: LoadBalancer`, no IP, or another `loadBalancerClass` that still
 *   carries our annotation);
 * - an IPAddressPool's `status` counts, as MetalLB 0.15's `PoolStatusReconciler` writes them;
 * - the controller's ConfigurationState (MetalLB 0.15.3: object `controller`, label
 *   `metallb.io/component-type: controller`, one condition `poolReconcilerValid`, `result` and
 *   `errorSummary`).
 *
 * Also MetalLB's Event messages for the allocator's events (`controller/service.go`).
 */
import { ANNOTATION } from '../allocator/request.js';
import type { AllocationEvent, PoolUsage } from '../allocator/types.js';
import type { ConfigIssue } from '../config/types.js';
import type { Service } from '../model/kubernetes.js';
import type { ClusterState } from '../pipeline/cluster-state.js';

/** The Service fields the controller owns, as they should be. */
export interface ServiceWrite {
  /** `status.loadBalancer.ingress[].ip`, in order; empty: the status is cleared. */
  readonly ingress: readonly string[];
  /** `metallb.io/ip-allocated-from-pool`; undefined: the annotation is removed. */
  readonly pool: string | undefined;
}

/** The controller's fields of a Service as the API server shows them. */
export interface ServiceObserved {
  readonly ingress: readonly string[];
  readonly pool: string | undefined;
}

/** The IPs in a Service's `status.loadBalancer.ingress` and our annotation. */
export function observedOf(svc: Pick<Service, 'metadata' | 'status'>): ServiceObserved {
  const ingress: string[] = [];
  for (const i of svc.status?.loadBalancer?.ingress ?? []) if (i.ip !== undefined && i.ip !== '') ingress.push(i.ip);
  return { ingress, pool: svc.metadata.annotations?.[ANNOTATION.ipAllocatedFromPool] };
}

/** Whether what the API server shows differs from `want` in the status. */
export function statusDiffers(want: ServiceWrite, have: ServiceObserved): boolean {
  if (want.ingress.length !== have.ingress.length) return true;
  for (let i = 0; i < want.ingress.length; i++) if (want.ingress[i] !== have.ingress[i]) return true;
  return false;
}

/** Whether the annotation differs. */
export function annotationDiffers(want: ServiceWrite, have: ServiceObserved): boolean {
  return want.pool !== have.pool;
}

const CLEAR: ServiceWrite = { ingress: [], pool: undefined };

/**
 * What the Service `key` should carry, or undefined when the controller leaves it alone: no
 * configuration yet (nothing is decided before one), the Service is gone, or it belongs to another
 * load-balancer class and carries nothing of ours (MetalLB filters those out).
 */
export function desiredService(state: ClusterState, key: string): ServiceWrite | undefined {
  if (state.config === undefined) return undefined;
  const svc = state.service(key);
  if (!svc) return undefined;
  const r = state.allocationResult(key);
  if (r) return r.ips.length > 0 && r.pool !== undefined ? { ingress: r.ips, pool: r.pool } : CLEAR;
  // Not handled by the allocator: not a LoadBalancer (MetalLB clears its state), or another class.
  if (svc.spec.type !== 'LoadBalancer') return CLEAR;
  return svc.metadata.annotations?.[ANNOTATION.ipAllocatedFromPool] !== undefined ? CLEAR : undefined;
}

/** The write a Service needs now, or undefined when the API server already shows it. */
export function serviceWriteNeeded(state: ClusterState, key: string): ServiceWrite | undefined {
  const want = desiredService(state, key);
  const svc = state.service(key);
  if (!want || !svc) return undefined;
  const have = observedOf(svc);
  return statusDiffers(want, have) || annotationDiffers(want, have) ? want : undefined;
}

/** An IPAddressPool's `status` (MetalLB 0.15 `IPAddressPoolStatus`, int64 counts). */
export interface PoolStatus {
  readonly assignedIPv4: number;
  readonly assignedIPv6: number;
  readonly availableIPv4: number;
  readonly availableIPv6: number;
}

/**
 * A count as the API's int64 holds it exactly from JavaScript: MetalLB caps a prefix of 2^62 or more
 * addresses at MaxInt64; a JS number cannot write that value, so we cap at 2^53 - 1.
 */
function int64(n: number): number {
  return Number.isFinite(n) ? Math.min(Math.max(0, Math.floor(n)), Number.MAX_SAFE_INTEGER) : Number.MAX_SAFE_INTEGER;
}

/** MetalLB's `PoolCounters`: assigned = in use, available = total - in use, per family. */
export function poolStatusOf(usage: PoolUsage): PoolStatus {
  return {
    assignedIPv4: int64(usage.ipv4.inUse),
    assignedIPv6: int64(usage.ipv6.inUse),
    availableIPv4: int64(usage.ipv4.total - usage.ipv4.inUse),
    availableIPv6: int64(usage.ipv6.total - usage.ipv6.inUse),
  };
}

/** Whether an object's `status` (as read from the API) holds exactly `want`. */
export function poolStatusMatches(have: unknown, want: PoolStatus): boolean {
  if (typeof have !== 'object' || have === null) return false;
  const h = have as Record<string, unknown>;
  return (
    h['assignedIPv4'] === want.assignedIPv4 &&
    h['assignedIPv6'] === want.assignedIPv6 &&
    h['availableIPv4'] === want.availableIPv4 &&
    h['availableIPv6'] === want.availableIPv6
  );
}

/** The name and label of the controller's ConfigurationState (MetalLB 0.15.3 `internal/k8s/k8s.go`). */
export const CONFIGURATION_STATE = {
  name: 'controller',
  labels: { 'metallb.io/component-type': 'controller' },
  /** The condition MetalLB's PoolReconciler writes. */
  conditionType: 'poolReconcilerValid',
} as const;

/** `metav1.Condition`. */
export interface Condition {
  readonly type: string;
  readonly status: 'True' | 'False' | 'Unknown';
  readonly reason: string;
  readonly message: string;
  readonly lastTransitionTime: string;
}

/** `ConfigurationStateStatus` (MetalLB 0.15.3 `api/v1beta1/configurationstate_types.go`). */
export interface ConfigurationStateStatus {
  readonly result: 'Valid' | 'Invalid' | 'Unknown';
  readonly errorSummary?: string;
  readonly conditions: readonly Condition[];
}

/** One configuration issue on one line: `Kind/ns/name: field: message`. */
export function formatIssue(issue: ConfigIssue): string {
  const where = issue.path !== '' ? `${issue.object}: ${issue.path}` : issue.object;
  return `${where}: ${issue.message}`;
}

/**
 * The controller's ConfigurationState status: `Valid` with condition reason `Reconciled` when the
 * configuration built, `Invalid` with reason `ConfigurationError` and the message MetalLB writes
 * (`configuration error: ...`, here with every error of the build, one per line) when it did not;
 * `Unknown` before any configuration object was seen. `now` is the condition's transition time.
 */
export function configurationStateStatus(state: ClusterState, seenConfig: boolean, now: string): ConfigurationStateStatus {
  if (!seenConfig && state.config === undefined) return { result: 'Unknown', conditions: [] };
  if (state.configStale || state.config === undefined) {
    const errors = state.configIssues.filter((i) => i.severity === 'error').map(formatIssue);
    const message = `configuration error: ${errors.length > 0 ? errors.join('\n') : 'no configuration'}`;
    return {
      result: 'Invalid',
      errorSummary: message,
      conditions: [{ type: CONFIGURATION_STATE.conditionType, status: 'False', reason: 'ConfigurationError', message, lastTransitionTime: now }],
    };
  }
  return {
    result: 'Valid',
    conditions: [{ type: CONFIGURATION_STATE.conditionType, status: 'True', reason: 'Reconciled', message: '', lastTransitionTime: now }],
  };
}

/** Whether two statuses say the same thing (transition times aside). */
export function sameConfigurationState(a: ConfigurationStateStatus | undefined, b: ConfigurationStateStatus): boolean {
  if (!a || a.result !== b.result || (a.errorSummary ?? '') !== (b.errorSummary ?? '') || a.conditions.length !== b.conditions.length) return false;
  return a.conditions.every((c, i) => {
    const d = b.conditions[i];
    return d !== undefined && c.type === d.type && c.status === d.status && c.reason === d.reason && c.message === d.message;
  });
}

/** A Kubernetes Event about a Service, as MetalLB records it. */
export interface ServiceEvent {
  /** `namespace/name`. */
  readonly service: string;
  readonly type: 'Normal' | 'Warning';
  readonly reason: string;
  readonly message: string;
}

/**
 * The Event MetalLB's controller records for one allocator event (`controller/service.go`): the same
 * reason and type, and MetalLB's message around our allocator's explanation:
 * `Failed to allocate IP for "ns/name": ...`, `invalid requested loadbalancer IPs: ...`,
 * `cannot assign additional IP in PreferDualStack: ...`, `Failed to retrieve LBIPs IPFamily ...`,
 * `Service requires dual stack but not enough clusterips`, `Service uses deprecated annotation X`.
 * `IPAllocated` and `ClearAssignment` messages are the allocator's, already MetalLB's wording.
 */
export function eventFor(e: AllocationEvent): ServiceEvent {
  const base = { service: e.service, type: e.type, reason: e.reason };
  switch (e.reason) {
    case 'AllocationFailed':
      return { ...base, message: `Failed to allocate IP for ${JSON.stringify(e.service)}: ${e.message}` };
    case 'LoadBalancerFailed':
      return { ...base, message: `invalid requested loadbalancer IPs: ${e.message}` };
    case 'AdditionalAssignFailed':
      return { ...base, message: `cannot assign additional IP in PreferDualStack: ${e.message}` };
    case 'nolbIPsIPFamily':
      return { ...base, message: `Failed to retrieve LBIPs IPFamily: ${e.message}` };
    case 'noclusterIPsIPFamily':
      return { ...base, message: `Failed to retrieve ClusterIPs IPFamily: ${e.message}` };
    case 'not enough clusterips':
      return { ...base, message: `Service requires dual stack but not enough clusterips: ${e.message}` };
    case 'deprecatedAnnotation': {
      const legacy = /\b(metallb\.universe\.tf\/[A-Za-z-]+)/.exec(e.message)?.[1];
      return { ...base, message: legacy !== undefined ? `Service uses deprecated annotation ${legacy}` : e.message };
    }
    case 'IPAllocated':
    case 'ClearAssignment':
      return { ...base, message: e.message };
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The controller's fields of a Service as the API server sent it (plain JSON). */
export function observedOfRaw(raw: Readonly<Record<string, unknown>>): ServiceObserved {
  const meta = isRecord(raw['metadata']) ? raw['metadata'] : {};
  const annotations = isRecord(meta['annotations']) ? meta['annotations'] : {};
  const pool = annotations[ANNOTATION.ipAllocatedFromPool];
  const status = isRecord(raw['status']) ? raw['status'] : {};
  const lb = isRecord(status['loadBalancer']) ? status['loadBalancer'] : {};
  const ingress: string[] = [];
  if (Array.isArray(lb['ingress'])) {
    for (const i of lb['ingress'] as unknown[]) if (isRecord(i) && typeof i['ip'] === 'string' && i['ip'] !== '') ingress.push(i['ip']);
  }
  return { ingress, pool: typeof pool === 'string' ? pool : undefined };
}

/** `metadata.resourceVersion` and `metadata.uid` of a plain object. */
export function versionOf(raw: Readonly<Record<string, unknown>>): { resourceVersion: string; uid: string | undefined } {
  const meta = isRecord(raw['metadata']) ? raw['metadata'] : {};
  return {
    resourceVersion: typeof meta['resourceVersion'] === 'string' ? meta['resourceVersion'] : '',
    uid: typeof meta['uid'] === 'string' ? meta['uid'] : undefined,
  };
}

/**
 * The Service `raw` with `status.loadBalancer` set to `ingress` (MetalLB: `{ingress: [{ip}...]}`, or
 * `{}` when cleared); the rest of its status (conditions) as it was.
 */
export function withIngress(raw: Readonly<Record<string, unknown>>, ingress: readonly string[]): Record<string, unknown> {
  const status = isRecord(raw['status']) ? raw['status'] : {};
  const list: { ip: string }[] = [];
  for (const ip of ingress) list.push({ ip });
  return { ...raw, status: { ...status, loadBalancer: list.length > 0 ? { ingress: list } : {} } };
}
