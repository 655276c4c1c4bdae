/**
 * The RFC 4271 state machine as a pure reducer: `step(state, event) -> { state, actions }`.
 */
export * from './types.js';
export { step, initialState, negotiatedOf, isConnected } from './fsm.js';
export { buildOpen, checkOpen, bgpIdToNumber, LARGE_HOLD_TIME_MS } from './open.js';
export type { OpenCheck } from './open.js';
export { DEFAULT_BACKOFF, backoffDelay, nextRandom } from './backoff.js';
export { ErrorCode, OpenSubcode, FsmSubcode, CeaseSubcode, notification } from './codes.js';
