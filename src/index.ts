/**
 * metallb-ts as a library: the BGP speaker core and the shared models.
 */
export * from './bgp/index.js';
export * from './model/ip.js';
export type * from './model/kubernetes.js';
export type * from './config/types.js';
export { allocateAll, Allocator } from './allocator/index.js';
export type {
  AllocationError,
  AllocationEvent,
  AllocationInput,
  AllocationResult,
  AllocatorChanges,
  AllocatorOptions,
  PoolUsage,
  ServiceResult,
} from './allocator/index.js';
