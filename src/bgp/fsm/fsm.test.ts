import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { initialState, step } from './fsm.js';
import { backoffDelay, DEFAULT_BACKOFF } from './backoff.js';
import { ok, peerOpen, standardCapabilities, testConfig } from './testing.js';
import type { FsmAction, FsmConfig, FsmEvent, FsmState, Negotiated } from './types.js';
import type { BgpMessage, NotificationMessage, OpenMessage } from '../wire/types.js';

function run(state: FsmState, ...events: FsmEvent[]): { state: FsmState; actions: FsmAction[] } {
  const actions: FsmAction[] = [];
  for (const e of events) {
    const r = step(state, e);
    state = r.state;
    actions.push(...r.actions);
  }
  return { state, actions };
}

const start: FsmEvent = { type: 'ManualStart' };
const connected: FsmEvent = { type: 'TcpConnected', localBgpId: '10.0.0.1' };
const recv = (msg: BgpMessage): FsmEvent => ({ type: 'MessageReceived', result: ok(msg) });
const keepalive = recv({ type: 'keepalive' });

function openSent(config: FsmConfig = testConfig()): FsmState {
  return run(initialState(config), start, connected).state;
}
function openConfirm(config: FsmConfig = testConfig(), open: OpenMessage = peerOpen()): FsmState {
  const r = run(openSent(config), recv(open));
  assert.equal(r.state.name, 'OpenConfirm');
  return r.state;
}
function established(config: FsmConfig = testConfig(), open: OpenMessage = peerOpen()): FsmState {
  const r = run(openConfirm(config, open), keepalive);
  assert.equal(r.state.name, 'Established');
  return r.state;
}

function closeOf(actions: readonly FsmAction[]): Extract<FsmAction, { type: 'Close' }> | undefined {
  return actions.find((a): a is Extract<FsmAction, { type: 'Close' }> => a.type === 'Close');
}
function notified(actions: readonly FsmAction[]): NotificationMessage {
  const c = closeOf(actions);
  assert.ok(c?.notification, `expected a Close with NOTIFICATION in ${JSON.stringify(actions)}`);
  return c.notification;
}
function codes(actions: readonly FsmAction[]): [number, number] {
  const n = notified(actions);
  return [n.code, n.subcode];
}
function timerStarted(actions: readonly FsmAction[], timer: string): number | undefined {
  const a = actions.filter((x) => x.type === 'StartTimer' && x.timer === timer).at(-1);
  return a?.type === 'StartTimer' ? a.ms : undefined;
}
function negotiatedFrom(actions: readonly FsmAction[]): Negotiated {
  const a = actions.find((x) => x.type === 'Established');
  assert.ok(a?.type === 'Established');
  return a.negotiated;
}

describe('start and connect', () => {
  test('ManualStart dials with the connect timeout', () => {
    const r = step(initialState(testConfig({ connectTimeoutMs: 7000 })), start);
    assert.equal(r.state.name, 'Connect');
    assert.deepEqual(r.actions, [{ type: 'Connect' }, { type: 'StartTimer', timer: 'connectRetry', ms: 7000 }]);
  });

  test('a passive FSM only waits in Active, and ManualStart with passive does the same', () => {
    assert.equal(step(initialState(testConfig({ passive: true })), start).state.name, 'Active');
    assert.deepEqual(step(initialState(testConfig({ passive: true })), start).actions, []);
    assert.equal(step(initialState(testConfig()), { type: 'ManualStart', passive: true }).state.name, 'Active');
  });

  test('a connection sends our OPEN and starts the 4-minute hold timer (RFC 4271 §8.2.2)', () => {
    const r = run(initialState(testConfig()), start, connected);
    assert.equal(r.state.name, 'OpenSent');
    const send = r.actions.find((a) => a.type === 'Send');
    assert.ok(send?.type === 'Send' && send.message.type === 'open');
    assert.equal(send.message.myAs, 64500);
    assert.equal(send.message.holdTime, 90);
    assert.equal(send.message.bgpId, '10.0.0.1');
    assert.equal(timerStarted(r.actions, 'hold'), 240_000);
    assert.ok(r.actions.some((a) => a.type === 'StopTimer' && a.timer === 'connectRetry'));
  });

  test('a 4-octet local AS goes as AS_TRANS in My AS with the real AS in the capability (RFC 6793)', () => {
    const r = run(initialState(testConfig({ localAsn: 4_200_000_000, capabilities: standardCapabilities(4_200_000_000) })), start, connected);
    const send = r.actions.find((a) => a.type === 'Send');
    assert.ok(send?.type === 'Send' && send.message.type === 'open');
    assert.equal(send.message.myAs, 23456);
  });

  test('an incoming connection in Active is taken (passive accept)', () => {
    const s = step(initialState(testConfig({ passive: true })), start).state;
    const r = step(s, { type: 'TcpConnectionConfirmed', localBgpId: '10.0.0.1' });
    assert.equal(r.state.name, 'OpenSent');
    assert.equal(r.state.connection?.direction, 'inbound');
  });

  test('a connection while Idle is rejected with Cease 6/5 (RFC 4486)', () => {
    const r = step(initialState(testConfig()), { type: 'TcpConnectionConfirmed', localBgpId: '10.0.0.1' });
    assert.equal(r.state.name, 'Idle');
    assert.deepEqual(codes(r.actions), [6, 5]);
  });

  test('a connect timeout abandons the attempt without NOTIFICATION and backs off', () => {
    const r = run(initialState(testConfig()), start, { type: 'ConnectRetryTimerExpired' });
    assert.equal(r.state.name, 'Active');
    const close = closeOf(r.actions);
    assert.ok(close && close.notification === undefined);
    const ms = timerStarted(r.actions, 'connectRetry');
    assert.ok(ms !== undefined && ms <= 1000 && ms >= 750);
    // The backoff timer firing dials again.
    const again = step(r.state, { type: 'ConnectRetryTimerExpired' });
    assert.equal(again.state.name, 'Connect');
    assert.equal(again.actions[0]?.type, 'Connect');
  });
});

describe('connect retry backoff', () => {
  test('first retry within 1 s, doubling, capped, with jitter, reset once Established', () => {
    const config = testConfig({ backoff: { initialMs: 1000, maxMs: 8000, jitter: 0.25 } });
    let s = step(initialState(config, 42), start).state;
    const delays: number[] = [];
    for (let i = 0; i < 7; i++) {
      const r = step(s, { type: 'TcpConnectionFails' });
      const ms = timerStarted(r.actions, 'connectRetry');
      assert.ok(ms !== undefined);
      delays.push(ms);
      s = step(r.state, { type: 'ConnectRetryTimerExpired' }).state;
      assert.equal(s.name, 'Connect');
    }
    const bases = [1000, 2000, 4000, 8000, 8000, 8000, 8000];
    delays.forEach((d, i) => {
      const base = bases[i] ?? 0;
      assert.ok(d <= base && d >= base * 0.75, `delay ${i} = ${d}, base ${base}`);
    });
    assert.equal(s.connectRetryCounter, 7);
    // Established resets the backoff: the next failure waits at most 1 s again.
    const up = run(s, connected, recv(peerOpen()), keepalive);
    assert.equal(up.state.name, 'Established');
    assert.equal(up.state.backoffAttempt, 0);
    const down = step(up.state, { type: 'TcpConnectionFails' });
    const ms = timerStarted(down.actions, 'connectRetry');
    assert.ok(ms !== undefined && ms <= 1000);
  });

  test('the jitter comes from the seeded state, so the same seed gives the same delays', () => {
    const a = run(initialState(testConfig(), 7), start, { type: 'TcpConnectionFails' });
    const b = run(initialState(testConfig(), 7), start, { type: 'TcpConnectionFails' });
    const c = run(initialState(testConfig(), 8), start, { type: 'TcpConnectionFails' });
    assert.equal(timerStarted(a.actions, 'connectRetry'), timerStarted(b.actions, 'connectRetry'));
    assert.notEqual(timerStarted(a.actions, 'connectRetry'), timerStarted(c.actions, 'connectRetry'));
  });

  test('backoffDelay bounds', () => {
    assert.equal(backoffDelay(DEFAULT_BACKOFF, 0, 0), 1000);
    assert.equal(backoffDelay(DEFAULT_BACKOFF, 20, 0), 120_000);
    assert.equal(backoffDelay(DEFAULT_BACKOFF, 1000, 0.999), Math.round(120_000 * (1 - 0.25 * 0.999)));
  });

  test('a passive FSM never starts the backoff timer', () => {
    const s = run(initialState(testConfig({ passive: true })), start, { type: 'TcpConnectionConfirmed', localBgpId: '10.0.0.1' }).state;
    const r = step(s, { type: 'TcpConnectionFails' });
    assert.equal(r.state.name, 'Active');
    assert.equal(timerStarted(r.actions, 'connectRetry'), undefined);
  });
});

describe('OPEN handling and negotiation', () => {
  test('a good OPEN answers KEEPALIVE, sets hold and keepalive timers, then KEEPALIVE establishes', () => {
    const r1 = step(openSent(), recv(peerOpen()));
    assert.equal(r1.state.name, 'OpenConfirm');
    assert.deepEqual(r1.actions[0], { type: 'Send', message: { type: 'keepalive' } });
    assert.equal(timerStarted(r1.actions, 'hold'), 90_000);
    assert.equal(timerStarted(r1.actions, 'keepalive'), 30_000);
    const r2 = step(r1.state, keepalive);
    assert.equal(r2.state.name, 'Established');
    const n = negotiatedFrom(r2.actions);
    assert.equal(n.holdTimeSec, 90);
    assert.equal(n.peerAsn, 64501);
    assert.equal(n.ibgp, false);
    assert.equal(n.fourOctetAs, true);
    assert.equal(n.extendedMessage, true);
    assert.equal(n.routeRefresh, true);
    assert.deepEqual(n.families, [
      { afi: 1, safi: 1 },
      { afi: 2, safi: 1 },
    ]);
    assert.equal(timerStarted(r2.actions, 'hold'), 90_000);
  });

  test('hold time is the smaller one; keepalive a third of it', () => {
    const r = step(openSent(), recv(peerOpen({ holdTime: 9 })));
    assert.equal(timerStarted(r.actions, 'hold'), 9000);
    assert.equal(timerStarted(r.actions, 'keepalive'), 3000);
  });

  test('a configured keepalive is used when below the negotiated hold time, else a third of it', () => {
    const r = step(openSent(testConfig({ keepaliveSec: 10 })), recv(peerOpen()));
    assert.equal(timerStarted(r.actions, 'keepalive'), 10_000);
    const r2 = step(openSent(testConfig({ keepaliveSec: 60 })), recv(peerOpen({ holdTime: 30 })));
    assert.equal(timerStarted(r2.actions, 'keepalive'), 10_000);
  });

  test('hold time 0 means no hold timer and no keepalives (RFC 4271 §4.4)', () => {
    const r = step(openSent(), recv(peerOpen({ holdTime: 0 })));
    assert.equal(r.state.name, 'OpenConfirm');
    assert.equal(timerStarted(r.actions, 'hold'), undefined);
    assert.equal(timerStarted(r.actions, 'keepalive'), undefined);
    assert.ok(r.actions.some((a) => a.type === 'StopTimer' && a.timer === 'hold'));
    const e = step(r.state, keepalive);
    assert.equal(timerStarted(e.actions, 'hold'), undefined);
    assert.deepEqual(step(e.state, { type: 'KeepaliveTimerExpired' }).actions, []);
    // Our own hold time 0 has the same effect.
    const ours = step(openSent(testConfig({ holdTimeSec: 0 })), recv(peerOpen()));
    assert.equal(timerStarted(ours.actions, 'keepalive'), undefined);
  });

  test('a peer hold time of 1 or 2 s is refused with 2/6', () => {
    for (const holdTime of [1, 2]) {
      const r = step(openSent(), recv(peerOpen({ holdTime })));
      assert.deepEqual(codes(r.actions), [2, 6]);
      assert.equal(r.state.name, 'Active');
    }
  });

  test('version other than 4 is refused with 2/1 and our version in the data', () => {
    const r = step(openSent(), recv(peerOpen({ version: 3 })));
    const n = notified(r.actions);
    assert.deepEqual([n.code, n.subcode, [...n.data]], [2, 1, [0, 4]]);
  });

  test('the wrong peer AS is refused with 2/2', () => {
    assert.deepEqual(codes(step(openSent(), recv(peerOpen({ asn: 64502 }))).actions), [2, 2]);
  });

  test('dynamicASN internal accepts only our AS, external only another AS', () => {
    const internal = testConfig({ dynamicAsn: 'internal' });
    delete (internal as { peerAsn?: number }).peerAsn;
    const external = testConfig({ dynamicAsn: 'external' });
    delete (external as { peerAsn?: number }).peerAsn;
    assert.equal(step(openSent(internal), recv(peerOpen({ asn: 64500 }))).state.name, 'OpenConfirm');
    assert.deepEqual(codes(step(openSent(internal), recv(peerOpen({ asn: 64501 }))).actions), [2, 2]);
    assert.equal(step(openSent(external), recv(peerOpen({ asn: 65010 }))).state.name, 'OpenConfirm');
    assert.deepEqual(codes(step(openSent(external), recv(peerOpen({ asn: 64500 }))).actions), [2, 2]);
  });

  test('4-octet AS: AS_TRANS with the capability is the capability AS (RFC 6793)', () => {
    const config = testConfig({ peerAsn: 4_200_000_001 });
    const r = run(openSent(config), recv(peerOpen({ asn: 4_200_000_001 })), keepalive);
    assert.equal(negotiatedFrom(r.actions).peerAsn, 4_200_000_001);
  });

  test('4-octet AS: AS_TRANS without the capability, or a mismatch, is 2/2', () => {
    const config = testConfig({ peerAsn: 4_200_000_001 });
    const noCap = peerOpen({ asn: 4_200_000_001, capabilities: [{ kind: 'routeRefresh' }] });
    assert.deepEqual(codes(step(openSent(config), recv(noCap)).actions), [2, 2]);
    const mismatch = peerOpen({ myAs: 64999, capabilities: [{ kind: 'fourOctetAs', asn: 64501 }] });
    assert.deepEqual(codes(step(openSent(), recv(mismatch)).actions), [2, 2]);
  });

  test('our 4-octet AS with a peer that lacks the capability is 2/7 naming the capability', () => {
    const config = testConfig({ localAsn: 4_200_000_000, capabilities: standardCapabilities(4_200_000_000) });
    const r = step(openSent(config), recv(peerOpen({ capabilities: [{ kind: 'routeRefresh' }] })));
    const n = notified(r.actions);
    assert.deepEqual([n.code, n.subcode, n.data[0], n.data[1]], [2, 7, 65, 4]);
  });

  test('BGP Identifier 0 is 2/3; the same identifier is 2/3 on iBGP only (RFC 6286)', () => {
    assert.deepEqual(codes(step(openSent(), recv(peerOpen({ bgpId: '0.0.0.0' }))).actions), [2, 3]);
    const ibgp = testConfig({ peerAsn: 64500 });
    assert.deepEqual(codes(step(openSent(ibgp), recv(peerOpen({ asn: 64500, bgpId: '10.0.0.1' }))).actions), [2, 3]);
    assert.equal(step(openSent(), recv(peerOpen({ bgpId: '10.0.0.1' }))).state.name, 'OpenConfirm');
  });

  test('an unknown optional parameter is 2/4', () => {
    const open = peerOpen();
    const r = step(openSent(), recv({ ...open, optionalParameters: [...open.optionalParameters, { type: 'unknown', code: 9, value: new Uint8Array(0) }] }));
    assert.deepEqual(codes(r.actions), [2, 4]);
  });

  test('the peer capabilities are recorded: families intersect, GR and extended message', () => {
    const gr = { kind: 'gracefulRestart', restartFlags: 0, restartTime: 120, families: [] } as const;
    const r = run(openSent(), recv(peerOpen({ capabilities: [{ kind: 'multiprotocol', afi: 2, safi: 1 }, gr, { kind: 'fourOctetAs', asn: 64501 }] })), keepalive);
    const n = negotiatedFrom(r.actions);
    assert.deepEqual(n.families, [{ afi: 2, safi: 1 }]);
    assert.deepEqual(n.peerGracefulRestart, gr);
    assert.equal(n.extendedMessage, false);
    assert.equal(n.routeRefresh, false);
    assert.equal(n.peerCapabilities.length, 3);
  });

  test('a peer without MP capabilities is IPv4 unicast only (RFC 4760 §8)', () => {
    const r = run(openSent(), recv(peerOpen({ capabilities: [{ kind: 'fourOctetAs', asn: 64501 }] })), keepalive);
    assert.deepEqual(negotiatedFrom(r.actions).families, [{ afi: 1, safi: 1 }]);
  });
});

describe('unexpected messages (RFC 6608)', () => {
  test('KEEPALIVE or UPDATE in OpenSent is 5/1', () => {
    assert.deepEqual(codes(step(openSent(), keepalive).actions), [5, 1]);
    assert.deepEqual(codes(step(openSent(), recv({ type: 'update', withdrawn: [], attributes: [], nlri: [] })).actions), [5, 1]);
  });
  test('OPEN or UPDATE in OpenConfirm is 5/2', () => {
    assert.deepEqual(codes(step(openConfirm(), recv(peerOpen())).actions), [5, 2]);
    assert.deepEqual(codes(step(openConfirm(), recv({ type: 'routeRefresh', afi: 1, safi: 1, subtype: 0 })).actions), [5, 2]);
  });
  test('OPEN in Established is 5/3 and the session goes down', () => {
    const r = step(established(), recv(peerOpen()));
    assert.deepEqual(codes(r.actions), [5, 3]);
    const down = r.actions.find((a) => a.type === 'SessionDown');
    assert.ok(down?.type === 'SessionDown' && down.wasEstablished);
  });
});

describe('hold timer and keepalives', () => {
  test('hold timer expiry sends 4/0 in OpenSent, OpenConfirm and Established', () => {
    for (const s of [openSent(), openConfirm(), established()]) {
      const r = step(s, { type: 'HoldTimerExpired' });
      assert.deepEqual(codes(r.actions), [4, 0]);
      assert.equal(r.state.name, 'Active');
      const down = r.actions.find((a) => a.type === 'SessionDown');
      assert.ok(down?.type === 'SessionDown');
      assert.equal(down.wasEstablished, s.name === 'Established');
      assert.equal(down.reason.kind, 'protocolError');
    }
  });

  test('every received message restarts the hold timer in Established', () => {
    const s = established();
    for (const msg of [
      { type: 'keepalive' },
      { type: 'update', withdrawn: [], attributes: [], nlri: [] },
      { type: 'routeRefresh', afi: 1, safi: 1, subtype: 0 },
    ] as const) {
      assert.equal(timerStarted(step(s, recv(msg)).actions, 'hold'), 90_000, msg.type);
    }
  });

  test('the keepalive timer sends KEEPALIVE and restarts', () => {
    const r = step(established(), { type: 'KeepaliveTimerExpired' });
    assert.deepEqual(r.actions, [
      { type: 'Send', message: { type: 'keepalive' } },
      { type: 'StartTimer', timer: 'keepalive', ms: 30_000 },
    ]);
  });
});

describe('Established traffic', () => {
  test('UPDATEs are handed out with their RFC 7606 findings', () => {
    const update = { type: 'update', withdrawn: [], attributes: [], nlri: [{ family: 'ipv4', address: '10.1.0.0', length: 16 }] } as const;
    const err = { code: 3, subcode: 1, data: new Uint8Array(0), reason: 'X', message: 'x', handling: 'treat-as-withdraw' } as const;
    const r = step(established(), { type: 'MessageReceived', result: { ok: true, msg: update, errors: [err], withdrawAll: true } });
    const a = r.actions.find((x) => x.type === 'UpdateReceived');
    assert.ok(a?.type === 'UpdateReceived');
    assert.equal(a.withdrawAll, true);
    assert.equal(a.errors.length, 1);
    assert.equal(r.state.name, 'Established');
  });

  test('ROUTE-REFRESH for a negotiated family is passed on; others and BoRR/EoRR are ignored', () => {
    const s = established(testConfig(), peerOpen({ capabilities: [{ kind: 'multiprotocol', afi: 1, safi: 1 }, { kind: 'routeRefresh' }] }));
    assert.ok(step(s, recv({ type: 'routeRefresh', afi: 1, safi: 1, subtype: 0 })).actions.some((a) => a.type === 'RouteRefreshRequested'));
    assert.ok(!step(s, recv({ type: 'routeRefresh', afi: 2, safi: 1, subtype: 0 })).actions.some((a) => a.type === 'RouteRefreshRequested'));
    assert.ok(!step(s, recv({ type: 'routeRefresh', afi: 1, safi: 1, subtype: 1 })).actions.some((a) => a.type === 'RouteRefreshRequested'));
  });

  test('a NOTIFICATION from the peer closes without a reply', () => {
    const n = { type: 'notification', code: 6, subcode: 2, data: new Uint8Array(0) } as const;
    const r = step(established(), recv(n));
    const close = closeOf(r.actions);
    assert.ok(close && close.notification === undefined);
    const down = r.actions.find((a) => a.type === 'SessionDown');
    assert.ok(down?.type === 'SessionDown' && down.reason.kind === 'notificationReceived');
    assert.equal(down.reason.notification.subcode, 2);
  });

  test('a decode error closes with the error NOTIFICATION', () => {
    const error = { code: 3, subcode: 11, data: Uint8Array.of(1), reason: 'BGP_ERR_MALFORMED_AS_PATH', message: 'm', handling: 'session-reset' } as const;
    const r = step(established(), { type: 'MessageReceived', result: { ok: false, error } });
    assert.deepEqual(codes(r.actions), [3, 11]);
  });

  test('a TCP failure closes without NOTIFICATION and reports the flap', () => {
    const r = step(established(), { type: 'TcpConnectionFails' });
    assert.equal(closeOf(r.actions)?.notification, undefined);
    const down = r.actions.find((a) => a.type === 'SessionDown');
    assert.ok(down?.type === 'SessionDown' && down.wasEstablished && down.reason.kind === 'tcpFailure');
  });
});

describe('stopping and collisions', () => {
  test('ManualStop sends Cease with the given subcode and data, stops every timer, goes Idle', () => {
    for (const subcode of [2, 3, 4, 8]) {
      const data = Uint8Array.of(3, 0x62, 0x79, 0x65);
      const r = step(established(), { type: 'ManualStop', subcode, data });
      const n = notified(r.actions);
      assert.deepEqual([n.code, n.subcode, [...n.data]], [6, subcode, [...data]]);
      assert.equal(r.state.name, 'Idle');
      for (const t of ['hold', 'keepalive', 'connectRetry']) {
        assert.ok(r.actions.some((a) => a.type === 'StopTimer' && a.timer === t), t);
      }
    }
  });

  test('ManualStop while dialing abandons the connect without NOTIFICATION', () => {
    const r = run(initialState(testConfig()), start, { type: 'ManualStop', subcode: 2 });
    assert.equal(r.state.name, 'Idle');
    assert.equal(closeOf(r.actions)?.notification, undefined);
  });

  test('OpenCollisionDump sends Cease 6/7 (RFC 4271 §6.8, RFC 4486)', () => {
    for (const s of [openSent(), openConfirm(), established()]) {
      const r = step(s, { type: 'OpenCollisionDump' });
      assert.deepEqual(codes(r.actions), [6, 7]);
      assert.equal(r.state.name, 'Idle');
    }
  });
});

describe('stale and repeated events', () => {
  test('late timers, repeated starts and second connections change nothing', () => {
    const cases: [string, () => FsmState, FsmEvent[]][] = [
      ['Idle', () => initialState(testConfig()), [{ type: 'ManualStop', subcode: 2 }, { type: 'TcpConnectionFails' }, { type: 'HoldTimerExpired' }, { type: 'KeepaliveTimerExpired' }, { type: 'ConnectRetryTimerExpired' }, { type: 'OpenCollisionDump' }, keepalive]],
      ['Connect', () => step(initialState(testConfig()), start).state, [start, { type: 'HoldTimerExpired' }, { type: 'KeepaliveTimerExpired' }, keepalive]],
      ['OpenSent', () => openSent(), [start, connected, { type: 'ConnectRetryTimerExpired' }, { type: 'KeepaliveTimerExpired' }]],
      ['OpenConfirm', () => openConfirm(), [start, connected, { type: 'ConnectRetryTimerExpired' }]],
      ['Established', () => established(), [start, connected, { type: 'TcpConnectionConfirmed', localBgpId: '10.0.0.1' }, { type: 'ConnectRetryTimerExpired' }]],
    ];
    for (const [name, make, events] of cases) {
      for (const e of events) {
        const s = make();
        const r = step(s, e);
        assert.equal(r.state, s, `${name} + ${e.type} keeps the state`);
        assert.deepEqual(r.actions, [], `${name} + ${e.type} does nothing`);
      }
    }
  });
});
