// BfdSession on a ManualClock joined in memory, and two sessions over real UDP on loopback.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { BfdSession } from './session.js';
import { ManualClock, systemClock } from '../bgp/session/clock.js';
import { BfdListener, BfdSender, BFD_SOURCE_PORT_MIN } from './udp.js';
import type { BfdStateName } from './packet.js';

const intervals = { desiredMinTxUs: 300_000, requiredMinRxUs: 300_000, detectMult: 3 };

test('two sessions on a manual clock come Up, and one goes Down 900 ms after the other stops sending', () => {
  const clock = new ManualClock();
  let link = true;
  const log: string[] = [];
  const a: BfdSession = new BfdSession({ ...intervals, myDiscriminator: 1, passive: false, seed: 5, clock, send: (b) => { if (link) queueMicrotask(() => b2.receive(b)); }, onStateChange: (f, t) => log.push(`a ${f}->${t}@${clock.now()}`) });
  const b2: BfdSession = new BfdSession({ ...intervals, myDiscriminator: 2, passive: true, seed: 9, clock, send: (b) => { if (link) queueMicrotask(() => a.receive(b)); } });
  a.start();
  b2.start();
  return (async () => {
    for (let i = 0; i < 40 && (a.state.session !== 'Up' || b2.state.session !== 'Up'); i++) {
      clock.advance(100);
      await new Promise((r) => setImmediate(r));
    }
    assert.equal(a.state.session, 'Up');
    assert.equal(b2.state.session, 'Up');
    for (let i = 0; i < 100; i++) {
      clock.advance(100);
      await new Promise((r) => setImmediate(r));
    }
    assert.equal(a.counters.sessionDownEvents, 0);
    link = false;
    const cut = clock.now();
    for (let i = 0; i < 20 && a.state.session === 'Up'; i++) {
      clock.advance(50);
      await new Promise((r) => setImmediate(r));
    }
    assert.equal(a.state.session, 'Down');
    assert.ok(clock.now() - cut <= 900 + 50, `${clock.now() - cut}`);
    assert.ok(a.counters.controlPacketOutput > 0 && a.counters.controlPacketInput > 0);
    assert.ok(log.some((l) => l.startsWith('a Init->Up') || l.startsWith('a Down->Up')));
  })();
});

test('a malformed packet is counted by reason and leaves the session alone', () => {
  const s = new BfdSession({ ...intervals, myDiscriminator: 1, passive: false, seed: 1, clock: new ManualClock(), send: () => undefined });
  s.start();
  assert.equal(s.receive(new Uint8Array(10)), 'BFD_ERR_SHORT');
  assert.equal(s.counters.discarded.BFD_ERR_SHORT, 1);
  assert.equal(s.state.session, 'Down');
});

test('two sessions over UDP on loopback come Up, from source ports in 49152-65535', async () => {
  const la = await BfdListener.open('127.0.0.1', 0);
  const lb = await BfdListener.open('127.0.0.2', 0);
  const sa = await BfdSender.open('127.0.0.1', '127.0.0.2', lb.port);
  const sb = await BfdSender.open('127.0.0.2', '127.0.0.1', la.port);
  assert.ok(sa.sourcePort >= BFD_SOURCE_PORT_MIN);
  const fast = { desiredMinTxUs: 50_000, requiredMinRxUs: 50_000, detectMult: 3 };
  let upCount = 0;
  let resolveUp: () => void = () => undefined;
  const bothUp = new Promise<void>((r) => { resolveUp = r; });
  const onStateChange = (_f: BfdStateName, t: BfdStateName) => { if (t === 'Up' && ++upCount === 2) resolveUp(); };
  const a = new BfdSession({ ...fast, myDiscriminator: 1, passive: false, seed: 3, clock: systemClock, send: (b) => sa.send(b), onStateChange });
  const b = new BfdSession({ ...fast, myDiscriminator: 2, passive: false, seed: 4, clock: systemClock, send: (x) => sb.send(x), onStateChange });
  la.register('127.0.0.2', (x) => a.receive(x));
  lb.register('127.0.0.1', (x) => b.receive(x));
  a.start();
  b.start();
  await bothUp;
  assert.equal(a.state.session, 'Up');
  a.stop();
  b.stop();
  for (const s of [la, lb, sa, sb]) s.close();
});
