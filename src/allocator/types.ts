/**
 * The allocator's inputs and outputs as plain data. `allocateAll` and the incremental `Allocator`
 * both speak these; see `README.md` in this folder for the rules and the order of work.
 */
import type { PoolConfig } from '../config/types.js';
import type { Service } from '../model/kubernetes.js';

/** Namespace name -> its labels (for `serviceAllocation.namespaceSelectors`). */
export type NamespaceLabels = Readonly<Record<string, Readonly<Record<string, string>>>>;

export interface AllocatorOptions {
  /**
   * Manifests without a cluster: `spec.clusterIP` may be absent, and the service's family then comes
   * from `spec.ipFamilies` (else IPv4; dual for PreferDualStack/RequireDualStack). Default false: MetalLB's
   * ClusterIP rules apply.
   */
  readonly standalone?: boolean;
  /** `--lb-class`: when unset only services without `spec.loadBalancerClass` are handled. */
  readonly loadBalancerClass?: string;
  /**
   * How the lowest acceptable address of a range is found: `indexed` (default) searches the run set
   * of used addresses; `scan` walks the range address by address against the used set, as MetalLB
   * does. Both give the same answers; `scan` exists for the benchmark and as a test oracle.
   */
  readonly search?: 'indexed' | 'scan';
}

export interface AllocationInput {
  readonly pools: readonly PoolConfig[];
  readonly services: readonly Service[];
  readonly namespaces?: NamespaceLabels;
  readonly options?: AllocatorOptions;
}

/** MetalLB's event reasons (`controller/service.go`). */
export type EventReason =
  | 'IPAllocated'
  | 'ClearAssignment'
  | 'AdditionalAssignFailed'
  | 'AllocationFailed'
  | 'LoadBalancerFailed'
  | 'nolbIPsIPFamily'
  | 'noclusterIPsIPFamily'
  | 'not enough clusterips'
  | 'deprecatedAnnotation';

/**
 * Stable identifiers of the allocator's rules; tests assert these, people read `message`.
 */
export type AllocationRule =
  | 'noPools'
  | 'noClusterIP'
  | 'notEnoughClusterIPs'
  | 'invalidClusterIPs'
  | 'invalidRequestedIPs'
  | 'bothIPRequests'
  | 'requestedFamilyMismatch'
  | 'ipNotInPool'
  | 'ipsInDifferentPools'
  | 'poolNotAvailable'
  | 'requestedPoolMismatch'
  | 'unknownPool'
  | 'noAvailableIPs'
  | 'sharingNotAllowed'
  | 'sharingKeyMismatch'
  | 'backendKeyMismatch'
  | 'portInUse'
  | 'invalidStatusIPs'
  | 'familyChanged'
  | 'currentIPNotAllowed'
  | 'differentPoolRequested'
  | 'differentIPRequested'
  | 'additionalFamilyUnavailable'
  | 'deprecatedAnnotation';

/** Why a service has no IP (or, with LoadBalancerFailed, why its request is ignored). */
export interface AllocationError {
  readonly reason: EventReason;
  readonly rule: AllocationRule;
  readonly message: string;
}

/** An event as MetalLB records it on the Service. */
export interface AllocationEvent {
  readonly service: string;
  readonly type: 'Normal' | 'Warning';
  readonly reason: EventReason;
  readonly rule?: AllocationRule;
  readonly message: string;
}

/** The allocator's answer for one handled service. */
export interface ServiceResult {
  /** `namespace/name`. */
  readonly service: string;
  /** Canonical addresses, in MetalLB's status order (IPv4 before IPv6 when both were chosen here). */
  readonly ips: readonly string[];
  /** The pool the IPs come from (`metallb.io/ip-allocated-from-pool`); absent without IPs. */
  readonly pool?: string;
  readonly error?: AllocationError;
  /** Findings that do not stop allocation: deprecated annotations, a missing second family. */
  readonly warnings: readonly AllocationError[];
}

/** Addresses in use and in total, for one family of a pool. */
export interface FamilyUsage {
  readonly inUse: number;
  /** A number (may lose precision past 2^53, as a Prometheus gauge does). */
  readonly total: number;
}

/** `metallb_allocator_addresses_in_use_total` / `_addresses_total` and their per-family variants. */
export interface PoolUsage {
  readonly pool: string;
  readonly inUse: number;
  readonly total: number;
  readonly ipv4: FamilyUsage;
  readonly ipv6: FamilyUsage;
}

export interface AllocationResult {
  /** Handled services, sorted by `namespace/name`. */
  readonly services: readonly ServiceResult[];
  /** Pools sorted by name. */
  readonly pools: readonly PoolUsage[];
  /** Events of this pass, in processing order. */
  readonly events: readonly AllocationEvent[];
}

/** What one incremental operation changed. */
export interface AllocatorChanges {
  /** Results of the services this operation touched (new or recomputed), sorted by `namespace/name`. */
  readonly updated: readonly ServiceResult[];
  /** Services that left the allocator's care (deleted, no longer LoadBalancer, other class). */
  readonly removed: readonly string[];
  readonly events: readonly AllocationEvent[];
}
