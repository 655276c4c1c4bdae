/**
 * metallb-ts as a library: the BGP speaker core and the shared models.
 */
export * from './bgp/index.js';
export * from './model/ip.js';
export type * from './model/kubernetes.js';
export type * from './config/types.js';
export * from './allocator/index.js';
