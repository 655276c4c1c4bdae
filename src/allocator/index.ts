/**
 * The allocator's public surface: the whole-state `allocateAll`, the incremental `Allocator`, and the
 * plain-data types they speak (see README.md).
 */
export { allocateAll, Allocator } from './allocator.js';
export type { AddressUse, AllocatorState, Assignment, ServiceEntry } from './allocator.js';
export { ANNOTATION, DEPRECATED_ANNOTATION, readRequest, serviceKey } from './request.js';
export type { ServiceRequest } from './request.js';
export type * from './types.js';
