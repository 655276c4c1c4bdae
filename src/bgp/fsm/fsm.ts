/**
 * The BGP finite state machine of RFC 4271 §8 as a pure reducer: `step(state, event)` returns the
 * next state and the actions (send, connect, timers, close, notifications to the owner) that the
 * session driver performs. No I/O, no clock, no randomness other than the seeded generator in the
 * state.
 *
 * Deviations from the letter of §8, chosen for a speaker that must keep retrying on its own:
 * - Idle means administratively stopped. After an error the FSM does not fall to Idle and wait for an
 *   AutomaticStart (§8.1.1 with its IdleHoldTimer); it goes to Active, where it accepts the peer's
 *   connection, and (unless passive) runs the ConnectRetryTimer with exponential backoff and jitter
 *   before dialing again. Invariant: in Idle no timer runs.
 * - In Connect the ConnectRetryTimer is the connect timeout; when it fires the attempt is abandoned
 *   and the backoff starts, instead of an immediate redial.
 * - DelayOpen and the optional session attributes (§8.1.1) are not implemented.
 * Invariants: Established is reached only after an OPEN was sent and received and a KEEPALIVE was
 * received on the connection; every Close of an established TCP connection carries a NOTIFICATION
 * unless the connection failed or the peer itself sent a NOTIFICATION.
 */
import { nextRandom, backoffDelay } from './backoff.js';
import { CeaseSubcode, ErrorCode, FsmSubcode, notification } from './codes.js';
import { LARGE_HOLD_TIME_MS, buildOpen, checkOpen } from './open.js';
import type { NotificationMessage } from '../wire/types.js';
import type {
  DownReason,
  FsmAction,
  FsmConfig,
  FsmEvent,
  FsmState,
  Negotiated,
  StepResult,
} from './types.js';

function assertNever(x: never): never {
  throw new Error(`unexpected value ${JSON.stringify(x)}`);
}

/** The FSM in Idle for `config`; `seed` initialises the jitter generator. */
export function initialState(config: FsmConfig, seed = 1): FsmState {
  return { name: 'Idle', config, connectRetryCounter: 0, backoffAttempt: 0, rng: seed >>> 0 };
}

/** The negotiated parameters when the FSM is in OpenConfirm or Established. */
export function negotiatedOf(state: FsmState): Negotiated | undefined {
  return state.connection?.negotiated;
}

/** Whether the state holds a TCP connection. */
export function isConnected(state: FsmState): boolean {
  return state.name === 'OpenSent' || state.name === 'OpenConfirm' || state.name === 'Established';
}

const stay = (state: FsmState): StepResult => ({ state, actions: [] });

const STOP_SESSION_TIMERS: readonly FsmAction[] = [
  { type: 'StopTimer', timer: 'hold' },
  { type: 'StopTimer', timer: 'keepalive' },
];

/**
 * Leaves the current connection after a failure: Close (with `sent` if any), report the session
 * down, and go to Active, starting the backoff timer unless the FSM only listens.
 */
function fallBack(state: FsmState, reason: DownReason, sent?: NotificationMessage): StepResult {
  const wasEstablished = state.name === 'Established';
  const actions: FsmAction[] = [...STOP_SESSION_TIMERS, { type: 'StopTimer', timer: 'connectRetry' }];
  actions.push(sent ? { type: 'Close', notification: sent } : { type: 'Close' });
  const { connection: _dropped, ...rest } = state;
  let next: FsmState = { ...rest, name: 'Active', connectRetryCounter: state.connectRetryCounter + 1 };
  let retryInMs: number | undefined;
  if (!state.config.passive) {
    const r = nextRandom(state.rng);
    retryInMs = backoffDelay(state.config.backoff, state.backoffAttempt, r.value);
    next = { ...next, rng: r.rng, backoffAttempt: state.backoffAttempt + 1 };
    actions.push({ type: 'StartTimer', timer: 'connectRetry', ms: retryInMs });
  }
  actions.push({ type: 'SessionDown', reason, wasEstablished, ...(retryInMs !== undefined ? { retryInMs } : {}) });
  return { state: next, actions };
}

/** Closes because of an error we detected, sending `n`. */
function errorClose(state: FsmState, n: NotificationMessage, reason: string): StepResult {
  return fallBack(state, { kind: 'protocolError', notification: n, reason }, n);
}

/** Stops (ManualStop) or loses a collision: Cease to the peer when connected, then Idle. */
function stop(state: FsmState, n: NotificationMessage): StepResult {
  const actions: FsmAction[] = [...STOP_SESSION_TIMERS, { type: 'StopTimer', timer: 'connectRetry' }];
  const connected = isConnected(state);
  if (connected) actions.push({ type: 'Close', notification: n });
  else if (state.name === 'Connect') actions.push({ type: 'Close' });
  if (connected) actions.push({ type: 'SessionDown', reason: { kind: 'stopped', notification: n }, wasEstablished: state.name === 'Established' });
  const { connection: _dropped, ...rest } = state;
  return { state: { ...rest, name: 'Idle' }, actions };
}

/** A TCP connection is up (ours or the peer's): send OPEN, start the large hold timer (§8.2.2). */
function connectionUp(state: FsmState, localBgpId: string, direction: 'outbound' | 'inbound'): StepResult {
  const sentOpen = buildOpen(state.config, localBgpId);
  return {
    state: { ...state, name: 'OpenSent', connection: { direction, localBgpId, sentOpen } },
    actions: [
      { type: 'StopTimer', timer: 'connectRetry' },
      { type: 'Send', message: sentOpen },
      { type: 'StartTimer', timer: 'hold', ms: LARGE_HOLD_TIME_MS },
    ],
  };
}

function holdTimerActions(n: Negotiated): FsmAction[] {
  // RFC 4271 §4.4/§6.5: with a zero hold time there is neither a hold timer nor KEEPALIVEs.
  return n.holdTimeSec === 0
    ? [{ type: 'StopTimer', timer: 'hold' }]
    : [{ type: 'StartTimer', timer: 'hold', ms: n.holdTimeSec * 1000 }];
}

/** Advances the FSM by one event. */
export function step(state: FsmState, event: FsmEvent): StepResult {
  switch (state.name) {
    case 'Idle':
      return stepIdle(state, event);
    case 'Connect':
    case 'Active':
      return stepUnconnected(state, event);
    case 'OpenSent':
      return stepOpenSent(state, event);
    case 'OpenConfirm':
      return stepOpenConfirm(state, event);
    case 'Established':
      return stepEstablished(state, event);
    default:
      return assertNever(state.name);
  }
}

function stepIdle(state: FsmState, event: FsmEvent): StepResult {
  switch (event.type) {
    case 'ManualStart':
      // RFC 4271 §8.2.2 Idle, Events 1 and 4.
      if (state.config.passive || event.passive === true) return { state: { ...state, name: 'Active' }, actions: [] };
      return {
        state: { ...state, name: 'Connect' },
        actions: [{ type: 'Connect' }, { type: 'StartTimer', timer: 'connectRetry', ms: state.config.connectTimeoutMs }],
      };
    case 'TcpConnected':
    case 'TcpConnectionConfirmed':
      // RFC 4486 §4: a connection while stopped is rejected with Cease 6/5.
      return { state, actions: [{ type: 'Close', notification: notification(ErrorCode.cease, CeaseSubcode.connectionRejected) }] };
    case 'ManualStop':
    case 'TcpConnectionFails':
    case 'MessageReceived':
    case 'ConnectRetryTimerExpired':
    case 'HoldTimerExpired':
    case 'KeepaliveTimerExpired':
    case 'OpenCollisionDump':
      // RFC 4271 §8.2.2 Idle: all other events are ignored.
      return stay(state);
    default:
      return assertNever(event);
  }
}

/** Connect (dialing) and Active (waiting: listening, backoff timer running unless passive). */
function stepUnconnected(state: FsmState, event: FsmEvent): StepResult {
  switch (event.type) {
    case 'ManualStart':
      return stay(state);
    case 'ManualStop':
      return stop(state, notification(ErrorCode.cease, event.subcode, event.data));
    case 'ConnectRetryTimerExpired':
      if (state.name === 'Connect') {
        // The connect timed out: abandon it and back off (see the header).
        return fallBack(state, { kind: 'tcpFailure' });
      }
      if (state.config.passive) return stay(state);
      // RFC 4271 §8.2.2 Active, Event 9: initiate a TCP connection, go to Connect.
      return {
        state: { ...state, name: 'Connect' },
        actions: [{ type: 'Connect' }, { type: 'StartTimer', timer: 'connectRetry', ms: state.config.connectTimeoutMs }],
      };
    case 'TcpConnected':
      return connectionUp(state, event.localBgpId, 'outbound');
    case 'TcpConnectionConfirmed':
      return connectionUp(state, event.localBgpId, 'inbound');
    case 'TcpConnectionFails':
      // RFC 4271 §8.2.2 Connect, Event 18: drop and (here) back off; in Active nothing is connected.
      return state.name === 'Connect' ? fallBack(state, { kind: 'tcpFailure' }) : stay(state);
    case 'MessageReceived':
    case 'HoldTimerExpired':
    case 'KeepaliveTimerExpired':
    case 'OpenCollisionDump':
      // No connection: a late timer or message from a connection already dropped; nothing to do.
      return stay(state);
    default:
      return assertNever(event);
  }
}

function stepOpenSent(state: FsmState, event: FsmEvent): StepResult {
  const conn = state.connection;
  if (!conn) throw new Error('OpenSent without a connection');
  switch (event.type) {
    case 'ManualStart':
    case 'ConnectRetryTimerExpired':
    case 'KeepaliveTimerExpired':
    case 'TcpConnected':
    case 'TcpConnectionConfirmed':
      return stay(state);
    case 'ManualStop':
      return stop(state, notification(ErrorCode.cease, event.subcode, event.data));
    case 'OpenCollisionDump':
      // RFC 4271 §8.2.2 OpenSent, Event 23: Cease (RFC 4486 subcode 7).
      return stop(state, notification(ErrorCode.cease, CeaseSubcode.connectionCollision));
    case 'HoldTimerExpired':
      // RFC 4271 §8.2.2 OpenSent, Event 10: NOTIFICATION Hold Timer Expired (§6.5).
      return errorClose(state, notification(ErrorCode.holdTimerExpired, 0), 'BGP_ERR_HOLD_TIMER_EXPIRED');
    case 'TcpConnectionFails':
      // RFC 4271 §8.2.2 OpenSent, Event 18: close, restart the ConnectRetryTimer, go to Active.
      return fallBack(state, { kind: 'tcpFailure' });
    case 'MessageReceived': {
      const result = event.result;
      if (!result.ok) return errorClose(state, notifOf(result.error), result.error.reason);
      const msg = result.msg;
      switch (msg.type) {
        case 'open': {
          // RFC 4271 §8.2.2 OpenSent, Event 19: check the OPEN; on success KEEPALIVE and OpenConfirm.
          const check = checkOpen(state.config, conn.sentOpen, msg);
          if (!check.ok) return errorClose(state, check.notification, check.reason);
          const n = check.negotiated;
          const actions: FsmAction[] = [{ type: 'Send', message: { type: 'keepalive' } }, ...holdTimerActions(n)];
          if (n.keepaliveMs > 0) actions.push({ type: 'StartTimer', timer: 'keepalive', ms: n.keepaliveMs });
          return { state: { ...state, name: 'OpenConfirm', connection: { ...conn, negotiated: n } }, actions };
        }
        case 'notification':
          // RFC 4271 §8.2.2 OpenSent, Events 24/25: close without replying.
          return fallBack(state, { kind: 'notificationReceived', notification: msg });
        case 'keepalive':
        case 'update':
        case 'routeRefresh':
          // RFC 6608 §3: unexpected message in OpenSent, FSM error subcode 1.
          return errorClose(state, notification(ErrorCode.fsm, FsmSubcode.unexpectedInOpenSent), 'BGP_ERR_FSM_UNEXPECTED_IN_OPENSENT');
        default:
          return assertNever(msg);
      }
    }
    default:
      return assertNever(event);
  }
}

/**
 * The events other than a received message, handled alike in OpenConfirm and Established once
 * hold time and keepalive are negotiated (RFC 4271 §8.2.2): starts and TCP events are ignored, a stop
 * or a lost collision closes with Cease, the hold timer expiring closes with 4/0 (§6.5), the
 * keepalive timer sends a KEEPALIVE, and a TCP failure falls back.
 */
function stepSynchronized(state: FsmState, event: Exclude<FsmEvent, { type: 'MessageReceived' }>, n: Negotiated): StepResult {
  switch (event.type) {
    case 'ManualStart':
    case 'ConnectRetryTimerExpired':
    case 'TcpConnected':
    case 'TcpConnectionConfirmed':
      return stay(state);
    case 'ManualStop':
      return stop(state, notification(ErrorCode.cease, event.subcode, event.data));
    case 'OpenCollisionDump':
      return stop(state, notification(ErrorCode.cease, CeaseSubcode.connectionCollision));
    case 'HoldTimerExpired':
      return errorClose(state, notification(ErrorCode.holdTimerExpired, 0), 'BGP_ERR_HOLD_TIMER_EXPIRED');
    case 'KeepaliveTimerExpired':
      return keepalive(state, n);
    case 'TcpConnectionFails':
      return fallBack(state, { kind: 'tcpFailure' });
    default:
      return assertNever(event);
  }
}

function stepOpenConfirm(state: FsmState, event: FsmEvent): StepResult {
  const conn = state.connection;
  const n = conn?.negotiated;
  if (!conn || !n) throw new Error('OpenConfirm without negotiated parameters');
  if (event.type !== 'MessageReceived') return stepSynchronized(state, event, n);
  const result = event.result;
  if (!result.ok) return errorClose(state, notifOf(result.error), result.error.reason);
  const msg = result.msg;
  switch (msg.type) {
    case 'keepalive':
      // RFC 4271 §8.2.2 OpenConfirm, Event 26: restart the hold timer, go to Established. The
      // backoff starts over (MetalLB resets it once the session is up).
      return {
        state: { ...state, name: 'Established', backoffAttempt: 0, connectRetryCounter: 0 },
        actions: [...holdTimerActions(n), { type: 'Established', negotiated: n }],
      };
    case 'notification':
      return fallBack(state, { kind: 'notificationReceived', notification: msg });
    case 'open':
    case 'update':
    case 'routeRefresh':
      // RFC 6608 §3: unexpected message in OpenConfirm, FSM error subcode 2. (An OPEN on a
      // colliding connection is handled by the session before it reaches this FSM, §6.8.)
      return errorClose(state, notification(ErrorCode.fsm, FsmSubcode.unexpectedInOpenConfirm), 'BGP_ERR_FSM_UNEXPECTED_IN_OPENCONFIRM');
    default:
      return assertNever(msg);
  }
}

function stepEstablished(state: FsmState, event: FsmEvent): StepResult {
  const conn = state.connection;
  const n = conn?.negotiated;
  if (!conn || !n) throw new Error('Established without negotiated parameters');
  if (event.type !== 'MessageReceived') return stepSynchronized(state, event, n);
  const result = event.result;
  if (!result.ok) return errorClose(state, notifOf(result.error), result.error.reason);
  const msg = result.msg;
  // RFC 4271 §8.2.2 Established, Events 26/27 (and RFC 2918 messages): restart the hold timer.
  const restart = holdTimerActions(n);
  switch (msg.type) {
    case 'keepalive':
      return { state, actions: restart };
    case 'update':
      return {
        state,
        actions: [...restart, { type: 'UpdateReceived', update: msg, errors: result.errors, withdrawAll: result.withdrawAll }],
      };
    case 'routeRefresh': {
      // RFC 2918 §4: a request for a family we did not negotiate is ignored; RFC 7313 §5:
      // BoRR/EoRR markers (subtypes 1, 2) from the peer ask for nothing.
      const wanted = n.families.some((f) => f.afi === msg.afi && f.safi === msg.safi) && msg.subtype === 0;
      return { state, actions: wanted ? [...restart, { type: 'RouteRefreshRequested', request: msg }] : restart };
    }
    case 'notification':
      return fallBack(state, { kind: 'notificationReceived', notification: msg });
    case 'open':
      // RFC 6608 §3: unexpected message in Established, FSM error subcode 3.
      return errorClose(state, notification(ErrorCode.fsm, FsmSubcode.unexpectedInEstablished), 'BGP_ERR_FSM_UNEXPECTED_IN_ESTABLISHED');
    default:
      return assertNever(msg);
  }
}

function keepalive(state: FsmState, n: Negotiated): StepResult {
  // RFC 4271 §8.2.2 Event 11: send KEEPALIVE, restart the KeepaliveTimer (never with hold time 0).
  if (n.keepaliveMs === 0) return stay(state);
  return {
    state,
    actions: [
      { type: 'Send', message: { type: 'keepalive' } },
      { type: 'StartTimer', timer: 'keepalive', ms: n.keepaliveMs },
    ],
  };
}

function notifOf(error: { code: number; subcode: number; data: Uint8Array }): NotificationMessage {
  return notification(error.code, error.subcode, error.data);
}
