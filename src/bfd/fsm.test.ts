// The BFD reducer: transitions of RFC 5880 §6.8.6, timers (§6.8.4, §6.8.7), the poll sequence
// (§6.5) and passive mode (§6.1); and a property test of two reducers joined by a channel.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { detectionTimeMs, initialBfdState, SLOW_TX_US, step, type BfdFsmAction, type BfdFsmConfig, type BfdFsmEvent, type BfdFsmState } from './fsm.js';
import { BfdDiag, type BfdControlPacket } from './packet.js';

const base: BfdFsmConfig = { myDiscriminator: 11, passive: false, seed: 1, desiredMinTxUs: 300_000, requiredMinRxUs: 300_000, detectMult: 3 };

function peer(p: Partial<BfdControlPacket>): BfdControlPacket {
  return {
    version: 1, diag: 0, state: 'Down', poll: false, final: false, controlPlaneIndependent: false, authPresent: false, demand: false,
    multipoint: false, detectMult: 3, myDiscriminator: 22, yourDiscriminator: 0, desiredMinTxUs: 300_000, requiredMinRxUs: 300_000,
    requiredMinEchoRxUs: 0, ...p,
  };
}

function run(s: BfdFsmState, events: readonly BfdFsmEvent[]): { state: BfdFsmState; actions: BfdFsmAction[] } {
  const actions: BfdFsmAction[] = [];
  for (const e of events) {
    const r = step(s, e);
    s = r.state;
    for (const a of r.actions) actions.push(a);
  }
  return { state: s, actions };
}

const sends = (a: readonly BfdFsmAction[]) => a.flatMap((x) => (x.type === 'Send' ? [x.packet] : []));

test('Down -> Init -> Up on the three-way handshake, and diag 3 when the peer says Down', () => {
  let r = run(initialBfdState(base), [{ type: 'Start' }]);
  assert.equal(r.state.session, 'Down');
  // §6.8.3: slow rate while not Up.
  const tx = r.actions.find((a) => a.type === 'StartTimer' && a.timer === 'tx');
  assert.ok(tx && tx.type === 'StartTimer' && tx.ms >= 750 && tx.ms <= 1000);
  r = run(r.state, [{ type: 'PacketReceived', packet: peer({ state: 'Down' }) }]);
  assert.equal(r.state.session, 'Init');
  assert.equal(sends(r.actions)[0]?.yourDiscriminator, 22);
  r = run(r.state, [{ type: 'PacketReceived', packet: peer({ state: 'Up', yourDiscriminator: 11 }) }]);
  assert.equal(r.state.session, 'Up');
  // Going Up lowers Desired Min TX from 1 s to 300 ms: a poll sequence carries the new value.
  const up = sends(r.actions)[0];
  assert.equal(up?.poll, true);
  assert.equal(up?.desiredMinTxUs, 300_000);
  // §6.8.3: a decrease of our TX interval may apply at once; the poll still runs until the Final.
  assert.equal(r.state.inEffect.desiredMinTxUs, 300_000);
  assert.equal(r.state.polling, true);
  r = run(r.state, [{ type: 'PacketReceived', packet: peer({ state: 'Up', yourDiscriminator: 11, final: true }) }]);
  assert.equal(r.state.polling, false);
  // An increase (and a reduced Min RX) waits for the Final: the old values stay in effect until then.
  r = run(r.state, [{ type: 'SetIntervals', intervals: { desiredMinTxUs: 2_000_000, requiredMinRxUs: 100_000, detectMult: 3 } }]);
  assert.equal(sends(r.actions)[0]?.poll, true);
  assert.equal(sends(r.actions)[0]?.desiredMinTxUs, 2_000_000);
  assert.deepEqual([r.state.inEffect.desiredMinTxUs, r.state.inEffect.requiredMinRxUs], [300_000, 300_000]);
  r = run(r.state, [{ type: 'TxTimerExpired' }]);
  assert.equal(sends(r.actions)[0]?.poll, true, 'P stays set until the Final');
  r = run(r.state, [{ type: 'PacketReceived', packet: peer({ state: 'Up', yourDiscriminator: 11, final: true }) }]);
  assert.deepEqual([r.state.polling, r.state.inEffect.desiredMinTxUs, r.state.inEffect.requiredMinRxUs], [false, 2_000_000, 100_000]);
  assert.equal(SLOW_TX_US, 1_000_000);
  r = run(r.state, [{ type: 'PacketReceived', packet: peer({ state: 'Down', yourDiscriminator: 11 }) }]);
  assert.equal(r.state.session, 'Down');
  assert.equal(r.state.localDiag, BfdDiag.NeighborSignaledSessionDown);
});

test('Down -> Up directly when the peer is in Init; AdminDown from the peer brings Down', () => {
  let r = run(initialBfdState(base), [{ type: 'Start' }, { type: 'PacketReceived', packet: peer({ state: 'Init', yourDiscriminator: 11 }) }]);
  assert.equal(r.state.session, 'Up');
  r = run(r.state, [{ type: 'PacketReceived', packet: peer({ state: 'AdminDown', yourDiscriminator: 11 }) }]);
  assert.equal(r.state.session, 'Down');
  assert.equal(r.state.localDiag, BfdDiag.NeighborSignaledSessionDown);
});

test('detection time is remote Detect Mult x max(our Min RX, their Desired Min TX), and expiry brings Down with diag 1', () => {
  const r = run(initialBfdState(base), [{ type: 'Start' }, { type: 'PacketReceived', packet: peer({ state: 'Init', yourDiscriminator: 11, detectMult: 5, desiredMinTxUs: 400_000 }) }]);
  assert.equal(detectionTimeMs(r.state), 5 * 400);
  const last = r.actions.filter((a) => a.type === 'StartTimer' && a.timer === 'detect').at(-1);
  assert.deepEqual(last, { type: 'StartTimer', timer: 'detect', ms: 2000 });
  const d = run(r.state, [{ type: 'DetectTimerExpired' }]);
  assert.equal(d.state.session, 'Down');
  assert.equal(d.state.localDiag, BfdDiag.ControlDetectionTimeExpired);
  assert.equal(d.state.remoteDiscriminator, 0);
});

test('a packet for another discriminator is discarded; a Poll is answered with a Final', () => {
  const s = run(initialBfdState(base), [{ type: 'Start' }]).state;
  assert.equal(step(s, { type: 'PacketReceived', packet: peer({ state: 'Init', yourDiscriminator: 99 }) }).state, s);
  const r = step(s, { type: 'PacketReceived', packet: peer({ state: 'Down', poll: true }) });
  const f = sends(r.actions).find((p) => p.final);
  assert.ok(f);
  assert.equal(f.poll, false);
});

test('passive mode sends nothing until the first packet from the peer', () => {
  const r = run(initialBfdState({ ...base, passive: true }), [{ type: 'Start' }, { type: 'TxTimerExpired' }]);
  assert.equal(sends(r.actions).length, 0);
  assert.equal(r.actions.some((a) => a.type === 'StartTimer' && a.timer === 'tx'), false);
  const p = run(r.state, [{ type: 'PacketReceived', packet: peer({ state: 'Down' }) }]);
  assert.equal(sends(p.actions).length, 1);
  assert.ok(p.actions.some((a) => a.type === 'StartTimer' && a.timer === 'tx'));
});

test('jitter: 75-100 % of the interval, 75-90 % with Detect Mult 1', () => {
  for (const [mult, hi] of [[3, 1], [1, 0.9]] as const) {
    let s = run(initialBfdState({ ...base, detectMult: mult, seed: 7 }), [{ type: 'Start' }]).state;
    for (let i = 0; i < 500; i++) {
      const r = step(s, { type: 'TxTimerExpired' });
      s = r.state;
      const t = r.actions.find((a) => a.type === 'StartTimer');
      assert.ok(t && t.type === 'StartTimer');
      assert.ok(t.ms >= 750 && t.ms <= 1000 * hi, `${t.ms}`);
    }
  }
});

test('Stop sends AdminDown with diag 7 and stops both timers', () => {
  const r = run(initialBfdState(base), [{ type: 'Start' }, { type: 'PacketReceived', packet: peer({ state: 'Init', yourDiscriminator: 11 }) }, { type: 'Stop' }]);
  assert.equal(r.state.session, 'AdminDown');
  const last = sends(r.actions).at(-1);
  assert.equal(last?.state, 'AdminDown');
  assert.equal(last?.diag, BfdDiag.AdministrativelyDown);
  assert.ok(r.actions.some((a) => a.type === 'StopTimer' && a.timer === 'detect'));
});

/** Two reducers joined by a lossless channel with a fixed delay, on a simulated clock. */
class Pair {
  now = 0;
  readonly states: [BfdFsmState, BfdFsmState];
  readonly timers = [new Map<string, number>(), new Map<string, number>()];
  readonly inFlight: { at: number; to: 0 | 1; packet: BfdControlPacket }[] = [];
  cut = false;
  readonly downs: { side: number; at: number; diag: number }[] = [];
  upAt: number | undefined;

  constructor(a: BfdFsmConfig, b: BfdFsmConfig, readonly delayMs: number) {
    this.states = [initialBfdState(a), initialBfdState(b)];
    this.apply(0, { type: 'Start' });
    this.apply(1, { type: 'Start' });
  }

  apply(side: 0 | 1, e: BfdFsmEvent): void {
    const r = step(this.states[side], e);
    this.states[side] = r.state;
    for (const a of r.actions) {
      if (a.type === 'StartTimer') this.timers[side]?.set(a.timer, this.now + a.ms);
      else if (a.type === 'StopTimer') this.timers[side]?.delete(a.timer);
      else if (a.type === 'Send') {
        if (!this.cut) this.inFlight.push({ at: this.now + this.delayMs, to: side === 0 ? 1 : 0, packet: { ...a.packet, version: 1, authPresent: false, multipoint: false } });
      } else if (a.from !== 'AdminDown' && (a.to === 'Down' || a.to === 'AdminDown')) this.downs.push({ side, at: this.now, diag: a.diag });
    }
    if (this.upAt === undefined && this.states[0].session === 'Up' && this.states[1].session === 'Up') this.upAt = this.now;
  }

  /** Runs the next event due before `until`; false when none is. */
  next(until: number): boolean {
    let best: { at: number; run: () => void } | undefined;
    for (const side of [0, 1] as const) {
      for (const [name, at] of this.timers[side] ?? []) {
        if (at <= until && (!best || at < best.at)) {
          best = { at, run: () => { this.timers[side]?.delete(name); this.apply(side, { type: name === 'tx' ? 'TxTimerExpired' : 'DetectTimerExpired' }); } };
        }
      }
    }
    let idx = -1;
    this.inFlight.forEach((m, i) => { if (m.at <= until && (!best || m.at < best.at)) { best = { at: m.at, run: () => undefined }; idx = i; } });
    if (!best) return false;
    this.now = best.at;
    if (idx >= 0) {
      const [m] = this.inFlight.splice(idx, 1);
      if (m) this.apply(m.to, { type: 'PacketReceived', packet: m.packet });
    } else best.run();
    return true;
  }

  runUntil(t: number): void {
    while (this.next(t));
    this.now = t;
  }
}

const side = fc.record({
  desiredMinTxUs: fc.integer({ min: 10, max: 2000 }).map((ms) => ms * 1000),
  requiredMinRxUs: fc.integer({ min: 10, max: 2000 }).map((ms) => ms * 1000),
  detectMult: fc.integer({ min: 1, max: 10 }),
  passive: fc.boolean(),
  seed: fc.integer({ min: 1, max: 0xffffffff }),
});

test('property: two sessions over a lossless channel reach Up, stay Up, and fall Down after silence for the detection time', () => {
  fc.assert(fc.property(side, side, fc.integer({ min: 0, max: 5 }), (a, b, delayMs) => {
    // At least one side must be active (§6.1: two passive sides never start).
    const cfgA: BfdFsmConfig = { ...a, passive: false, myDiscriminator: 1 };
    const cfgB: BfdFsmConfig = { ...b, myDiscriminator: 2 };
    const pair = new Pair(cfgA, cfgB, delayMs);
    pair.runUntil(10_000);
    assert.ok(pair.upAt !== undefined, 'both sides reach Up');
    assert.deepEqual(pair.downs, [], 'no flap once Up');
    pair.runUntil(60_000);
    assert.deepEqual(pair.downs, [], 'still Up after a minute');
    assert.equal(pair.states[0].polling || pair.states[1].polling, false);
    // Silence: every packet from now on is lost.
    const cutAt = pair.now;
    const bound = Math.max(detectionTimeMs(pair.states[0]), detectionTimeMs(pair.states[1]));
    pair.cut = true;
    pair.inFlight.length = 0;
    pair.runUntil(cutAt + 30_000);
    assert.equal(pair.states[0].session, 'Down');
    assert.equal(pair.states[1].session, 'Down');
    const downs: readonly { side: number; at: number; diag: number }[] = pair.downs;
    assert.equal(downs.length, 2);
    for (const d of downs) {
      assert.equal(d.diag, BfdDiag.ControlDetectionTimeExpired);
      // Down no later than the detection time after the last packet could have arrived.
      assert.ok(d.at <= cutAt + bound + 1, `down at ${d.at - cutAt} ms after the cut, detection time ${bound}`);
    }
  }), { numRuns: 150 });
});
