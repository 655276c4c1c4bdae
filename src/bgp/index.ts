/**
 * The BGP speaker core as a library: message types and codec, the RFC 4271 state machine, sessions
 * and the Adj-RIB-Out.
 */
export type * from './wire/types.js';
export { AFI, SAFI, AS_TRANS } from './wire/types.js';
export * from './wire/index.js';
export * from './session/adj-rib-out.js';
export * from './fsm/index.js';
export * from './session/index.js';
