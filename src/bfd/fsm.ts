/**
 * The BFD session state machine (RFC 5880 §6.2, §6.8) in asynchronous mode, as a pure reducer:
 * `step(state, event) -> { state, actions }`. The driver (session.ts) owns the socket and the clock
 * and performs the actions; this file owns every protocol decision.
 *
 * Invariants:
 * - Intervals are kept in microseconds, as on the wire; timer actions are in milliseconds.
 * - `inEffect` holds the intervals both sides agreed on; `config` the wanted ones. They differ only
 *   during a poll sequence (§6.5, §6.8.3), and the new ones take effect when the Final arrives.
 * - While the session is not Up the advertised Desired Min TX is at least one second (§6.8.3).
 * - Jitter comes from a xorshift32 generator kept in the state, so the reducer stays deterministic.
 * - Echo mode and demand mode are not implemented: Required Min Echo RX is always sent as 0 and the
 *   D bit is never set.
 */
import { BfdDiag, type BfdControlPacket, type BfdStateName } from './packet.js';

/** The intervals a session asks for (RFC 5880 §6.8.1 bfd.DesiredMinTxInterval etc.). */
export interface BfdIntervals {
  /** bfd.DesiredMinTxInterval, in microseconds. */
  readonly desiredMinTxUs: number;
  /** bfd.RequiredMinRxInterval, in microseconds. */
  readonly requiredMinRxUs: number;
  /** bfd.DetectMult. */
  readonly detectMult: number;
}

/** What the reducer needs to know to start a session. */
export interface BfdFsmConfig extends BfdIntervals {
  /** bfd.LocalDiscr: nonzero and unique among the local sessions (§6.8.1). */
  readonly myDiscriminator: number;
  /** Passive role (§6.1): send nothing until the peer's first packet. */
  readonly passive: boolean;
  /** Seed of the jitter generator; any nonzero 32-bit value. */
  readonly seed: number;
}

/** The state of one BFD session (RFC 5880 §6.8.1 state variables). */
export interface BfdFsmState {
  readonly myDiscriminator: number;
  readonly passive: boolean;
  /** The intervals configured (the ones we advertise, subject to the 1 s rule while not Up). */
  readonly config: BfdIntervals;
  /** The advertised intervals the peer has acknowledged; timers are computed from these. */
  readonly inEffect: BfdIntervals;
  /** True while a poll sequence is running: P is set until a packet with F arrives (§6.5). */
  readonly polling: boolean;
  /** bfd.SessionState. */
  readonly session: BfdStateName;
  /** bfd.LocalDiag. */
  readonly localDiag: number;
  /** bfd.RemoteSessionState. */
  readonly remoteState: BfdStateName;
  /** bfd.RemoteDiscr; 0 until the peer is heard. */
  readonly remoteDiscriminator: number;
  /** bfd.RemoteMinRxInterval, in microseconds (initially 1, §6.8.1). */
  readonly remoteMinRxUs: number;
  /** The peer's last Desired Min TX Interval, in microseconds. */
  readonly remoteDesiredMinTxUs: number;
  /** The peer's last Detect Mult. */
  readonly remoteDetectMult: number;
  /** False for a passive session until the first packet from the peer (§6.1). */
  readonly sendAllowed: boolean;
  /** Started (not administratively down by us) and the tx timer is running. */
  readonly started: boolean;
  /** xorshift32 state for jitter. */
  readonly rng: number;
}

/** What happens to a session. */
export type BfdFsmEvent =
  /** The session is enabled (leaves AdminDown, §6.8.16). */
  | { readonly type: 'Start' }
  /** The session is disabled: AdminDown with diag 7 (§6.8.16). */
  | { readonly type: 'Stop' }
  /** A packet that passed `decodeControlPacket` and was demultiplexed to this session. */
  | { readonly type: 'PacketReceived'; readonly packet: BfdControlPacket }
  /** The periodic transmit timer fired. */
  | { readonly type: 'TxTimerExpired' }
  /** Nothing was received for the detection time (§6.8.4). */
  | { readonly type: 'DetectTimerExpired' }
  /** New intervals from configuration; a running session changes them with a poll sequence. */
  | { readonly type: 'SetIntervals'; readonly intervals: BfdIntervals };

/** The timers the driver runs for a session. */
export type BfdTimerName = 'tx' | 'detect';

/** What the reducer asks its driver to do. */
export type BfdFsmAction =
  | { readonly type: 'Send'; readonly packet: Omit<BfdControlPacket, 'version' | 'authPresent' | 'multipoint'> }
  /** (Re)starts a timer: a running one with the same name is replaced. */
  | { readonly type: 'StartTimer'; readonly timer: BfdTimerName; readonly ms: number }
  | { readonly type: 'StopTimer'; readonly timer: BfdTimerName }
  | { readonly type: 'StateChanged'; readonly from: BfdStateName; readonly to: BfdStateName; readonly diag: number };

/** The result of one step. */
export interface BfdStepResult {
  readonly state: BfdFsmState;
  readonly actions: readonly BfdFsmAction[];
}

/** RFC 5880 §6.8.3: while not Up, Desired Min TX is at least one second. */
export const SLOW_TX_US = 1_000_000;

/** A session in AdminDown, not started. */
export function initialBfdState(config: BfdFsmConfig): BfdFsmState {
  const intervals: BfdIntervals = { desiredMinTxUs: config.desiredMinTxUs, requiredMinRxUs: config.requiredMinRxUs, detectMult: config.detectMult };
  return {
    myDiscriminator: config.myDiscriminator,
    passive: config.passive,
    config: intervals,
    inEffect: advertised(intervals, 'Down'),
    polling: false,
    session: 'AdminDown',
    localDiag: BfdDiag.None,
    remoteState: 'Down',
    remoteDiscriminator: 0,
    remoteMinRxUs: 1,
    remoteDesiredMinTxUs: 0,
    remoteDetectMult: 0,
    sendAllowed: !config.passive,
    started: false,
    rng: config.seed >>> 0 || 0x9e3779b9,
  };
}

/** The intervals we advertise in `session` state (§6.8.3: at least 1 s when not Up). */
function advertised(c: BfdIntervals, session: BfdStateName): BfdIntervals {
  if (session === 'Up') return c;
  return { ...c, desiredMinTxUs: Math.max(c.desiredMinTxUs, SLOW_TX_US) };
}

function sameIntervals(a: BfdIntervals, b: BfdIntervals): boolean {
  return a.desiredMinTxUs === b.desiredMinTxUs && a.requiredMinRxUs === b.requiredMinRxUs && a.detectMult === b.detectMult;
}

/** The detection time in ms (§6.8.4, asynchronous mode): remote Detect Mult x agreed interval. */
export function detectionTimeMs(s: BfdFsmState): number {
  return (s.remoteDetectMult * Math.max(s.inEffect.requiredMinRxUs, s.remoteDesiredMinTxUs)) / 1000;
}

/** The transmit interval before jitter, in ms (§6.8.7: the larger of ours and the peer's Min RX). */
export function transmitIntervalMs(s: BfdFsmState): number {
  return Math.max(s.inEffect.desiredMinTxUs, s.remoteMinRxUs) / 1000;
}

function xorshift32(x: number): number {
  let v = x >>> 0;
  v ^= v << 13;
  v >>>= 0;
  v ^= v >>> 17;
  v ^= v << 5;
  return v >>> 0;
}

/** Schedules the next periodic packet with jitter (§6.8.7: 75-100 %, 75-90 % with Detect Mult 1). */
function scheduleTx(s: BfdFsmState, actions: BfdFsmAction[]): BfdFsmState {
  const rng = xorshift32(s.rng);
  const r = rng / 0x1_0000_0000;
  const span = s.inEffect.detectMult === 1 ? 0.15 : 0.25;
  actions.push({ type: 'StartTimer', timer: 'tx', ms: transmitIntervalMs(s) * (0.75 + span * r) });
  return { ...s, rng };
}

function packetOf(s: BfdFsmState, final: boolean): Extract<BfdFsmAction, { type: 'Send' }>['packet'] {
  const adv = advertised(s.config, s.session);
  return {
    diag: s.localDiag,
    state: s.session,
    // §6.5: P and F are never both set; a Final answers and does not continue our poll.
    poll: s.polling && !final,
    final,
    controlPlaneIndependent: false,
    demand: false,
    detectMult: adv.detectMult,
    myDiscriminator: s.myDiscriminator,
    yourDiscriminator: s.remoteDiscriminator,
    desiredMinTxUs: adv.desiredMinTxUs,
    requiredMinRxUs: adv.requiredMinRxUs,
    requiredMinEchoRxUs: 0,
  };
}

/**
 * Starts a poll sequence when what we advertise differs from what is in effect (§6.8.3). With no
 * peer heard (RemoteDiscr 0) there is nobody to poll and the new values apply at once.
 */
function reconcileIntervals(s: BfdFsmState): BfdFsmState {
  const adv = advertised(s.config, s.session);
  if (sameIntervals(adv, s.inEffect)) return s.polling ? { ...s, polling: false } : s;
  if (s.remoteDiscriminator === 0 || s.session === 'AdminDown') return { ...s, inEffect: adv, polling: false };
  // §6.8.3: an increased Desired Min TX and a reduced Required Min RX wait for the Final; the
  // opposite changes are safe for the peer and apply at once (so its detection time never
  // undercuts our actual rate).
  const inEffect: BfdIntervals = {
    desiredMinTxUs: Math.min(s.inEffect.desiredMinTxUs, adv.desiredMinTxUs),
    requiredMinRxUs: Math.max(s.inEffect.requiredMinRxUs, adv.requiredMinRxUs),
    detectMult: adv.detectMult,
  };
  return { ...s, inEffect, polling: true };
}

function changeState(s: BfdFsmState, to: BfdStateName, diag: number, actions: BfdFsmAction[]): BfdFsmState {
  if (s.session === to) return s;
  actions.push({ type: 'StateChanged', from: s.session, to, diag });
  let next: BfdFsmState = { ...s, session: to, localDiag: diag };
  next = reconcileIntervals(next);
  // A state change is told to the peer at once, as FRR's bfdd does, rather than a period later.
  if (next.sendAllowed && next.started) actions.push({ type: 'Send', packet: packetOf(next, false) });
  return next;
}

/** The BFD reducer. Pure: the same state and event always give the same result. */
export function step(s: BfdFsmState, e: BfdFsmEvent): BfdStepResult {
  const r = stepInner(s, e);
  // When the transmit interval shrinks, the next packet must not wait out the old, longer period:
  // the peer already computes its detection time from the new one (§6.8.4, §6.8.7).
  if (e.type !== 'TxTimerExpired' && r.state.started && r.state.sendAllowed && s.sendAllowed && transmitIntervalMs(r.state) < transmitIntervalMs(s)) {
    const actions = [...r.actions];
    return { state: scheduleTx(r.state, actions), actions };
  }
  return r;
}

function stepInner(s: BfdFsmState, e: BfdFsmEvent): BfdStepResult {
  const actions: BfdFsmAction[] = [];
  switch (e.type) {
    case 'Start': {
      if (s.started) return { state: s, actions };
      let next: BfdFsmState = { ...s, started: true };
      next = changeState(next, 'Down', BfdDiag.None, actions);
      if (next.sendAllowed) next = scheduleTx(next, actions);
      return { state: next, actions };
    }
    case 'Stop': {
      if (!s.started) return { state: s, actions };
      // §6.8.16: AdminDown with diag 7; the peer is told, then we stop sending.
      let next = changeState(s, 'AdminDown', BfdDiag.AdministrativelyDown, actions);
      next = { ...next, started: false, remoteDiscriminator: 0, remoteMinRxUs: 1 };
      actions.push({ type: 'StopTimer', timer: 'tx' }, { type: 'StopTimer', timer: 'detect' });
      return { state: next, actions };
    }
    case 'SetIntervals': {
      const next = reconcileIntervals({ ...s, config: e.intervals });
      // §6.8.3: a poll sequence starts with a packet carrying P, sent without waiting a period.
      if (next.polling && !s.polling && next.started && next.sendAllowed) actions.push({ type: 'Send', packet: packetOf(next, false) });
      return { state: next, actions };
    }
    case 'TxTimerExpired': {
      if (!s.started || !s.sendAllowed) return { state: s, actions };
      // §6.8.7: a Min RX of zero from the peer means it wants no periodic packets.
      if (s.remoteMinRxUs !== 0) actions.push({ type: 'Send', packet: packetOf(s, false) });
      return { state: scheduleTx(s, actions), actions };
    }
    case 'DetectTimerExpired': {
      if (s.session !== 'Init' && s.session !== 'Up') return { state: s, actions };
      // §6.8.4: the detection time passed: Down with diag 1; §6.8.1: RemoteDiscr back to zero.
      let next = changeState({ ...s, remoteDiscriminator: 0, remoteMinRxUs: 1 }, 'Down', BfdDiag.ControlDetectionTimeExpired, actions);
      next = reconcileIntervals(next);
      return { state: next, actions };
    }
    case 'PacketReceived':
      return received(s, e.packet, actions);
  }
}

function received(s: BfdFsmState, p: BfdControlPacket, actions: BfdFsmAction[]): BfdStepResult {
  // §6.8.6: a nonzero Your Discriminator that is not ours selects no session: discard.
  if (p.yourDiscriminator !== 0 && p.yourDiscriminator !== s.myDiscriminator) return { state: s, actions };
  // §6.8.6: "If bfd.SessionState is AdminDown: Discard the packet".
  if (!s.started || s.session === 'AdminDown') return { state: s, actions };
  let next: BfdFsmState = {
    ...s,
    remoteDiscriminator: p.myDiscriminator,
    remoteState: p.state,
    remoteMinRxUs: p.requiredMinRxUs,
    remoteDesiredMinTxUs: p.desiredMinTxUs,
    remoteDetectMult: p.detectMult,
  };
  // §6.1: a passive session starts sending once it has heard the peer.
  const startSending = !next.sendAllowed;
  if (startSending) next = { ...next, sendAllowed: true };
  // §6.5: a Final ends our poll sequence; the advertised intervals take effect now.
  if (p.final && next.polling) next = { ...next, polling: false, inEffect: advertised(next.config, next.session) };
  // §6.8.6 state transitions.
  if (p.state === 'AdminDown') {
    if (next.session !== 'Down') next = changeState(next, 'Down', BfdDiag.NeighborSignaledSessionDown, actions);
  } else if (next.session === 'Down') {
    if (p.state === 'Down') next = changeState(next, 'Init', BfdDiag.None, actions);
    else if (p.state === 'Init') next = changeState(next, 'Up', BfdDiag.None, actions);
  } else if (next.session === 'Init') {
    if (p.state === 'Init' || p.state === 'Up') next = changeState(next, 'Up', BfdDiag.None, actions);
  } else if (p.state === 'Down') {
    next = changeState(next, 'Down', BfdDiag.NeighborSignaledSessionDown, actions);
  }
  // §6.8.6: "If the Poll (P) bit is set, send a BFD Control packet ... with the Final (F) bit set."
  if (p.poll) actions.push({ type: 'Send', packet: packetOf(next, true) });
  if (startSending) next = scheduleTx(next, actions);
  // §6.8.4: the detection timer restarts on every accepted packet.
  actions.push({ type: 'StartTimer', timer: 'detect', ms: detectionTimeMs(next) });
  return { state: next, actions };
}
