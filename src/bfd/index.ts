/**
 * BFD (RFC 5880, 5881, 5883): the control packet codec, the state machine reducer, the session
 * driver and its UDP transport.
 */
export * from './packet.js';
export * from './fsm.js';
export * from './session.js';
export * from './udp.js';
export * from './profile.js';
