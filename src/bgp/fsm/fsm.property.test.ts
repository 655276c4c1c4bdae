// Property test: random event sequences against the FSM, checked against invariants kept by an
// independent model of what went over the wire and which timers run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { initialState, step } from './fsm.js';
import { ok, peerOpen, testConfig } from './testing.js';
import type { FsmEvent, FsmState, TimerName } from './types.js';
import type { BgpMessage, DecodeResult } from '../wire/types.js';

const message: fc.Arbitrary<BgpMessage> = fc.oneof(
  fc.constant<BgpMessage>(peerOpen()),
  fc.constant<BgpMessage>(peerOpen({ holdTime: 0 })),
  fc.constant<BgpMessage>(peerOpen({ holdTime: 2 })),
  fc.constant<BgpMessage>(peerOpen({ asn: 65999 })),
  fc.constant<BgpMessage>({ type: 'keepalive' }),
  fc.constant<BgpMessage>({ type: 'update', withdrawn: [], attributes: [], nlri: [] }),
  fc.constant<BgpMessage>({ type: 'routeRefresh', afi: 1, safi: 1, subtype: 0 }),
  fc.constant<BgpMessage>({ type: 'notification', code: 6, subcode: 2, data: new Uint8Array(0) }),
);

const decodeError: DecodeResult = {
  ok: false,
  error: { code: 1, subcode: 2, data: new Uint8Array(0), reason: 'BGP_ERR_BAD_LENGTH', message: 'm', handling: 'session-reset' },
};

const event: fc.Arbitrary<FsmEvent> = fc.oneof(
  { weight: 1, arbitrary: fc.constant<FsmEvent>({ type: 'ManualStart' }) },
  { weight: 1, arbitrary: fc.boolean().map<FsmEvent>((passive) => ({ type: 'ManualStart', passive })) },
  { weight: 1, arbitrary: fc.constantFrom(2, 3, 4, 8).map<FsmEvent>((subcode) => ({ type: 'ManualStop', subcode })) },
  { weight: 3, arbitrary: fc.constant<FsmEvent>({ type: 'TcpConnected', localBgpId: '10.0.0.1' }) },
  { weight: 2, arbitrary: fc.constant<FsmEvent>({ type: 'TcpConnectionConfirmed', localBgpId: '10.0.0.1' }) },
  { weight: 2, arbitrary: fc.constant<FsmEvent>({ type: 'TcpConnectionFails' }) },
  { weight: 10, arbitrary: message.map<FsmEvent>((msg) => ({ type: 'MessageReceived', result: ok(msg) })) },
  { weight: 1, arbitrary: fc.constant<FsmEvent>({ type: 'MessageReceived', result: decodeError }) },
  {
    weight: 3,
    arbitrary: fc
      .constantFrom('ConnectRetryTimerExpired', 'HoldTimerExpired', 'KeepaliveTimerExpired')
      .map<FsmEvent>((type) => ({ type }) as FsmEvent),
  },
  { weight: 1, arbitrary: fc.constant<FsmEvent>({ type: 'OpenCollisionDump' }) },
);

test('FSM invariants hold on random event sequences', () => {
  fc.assert(
    fc.property(fc.boolean(), fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.array(event, { maxLength: 60 }), (passive, seed, events) => {
      let state: FsmState = initialState(testConfig({ passive }), seed);
      const timers = new Set<TimerName>();
      // What happened on the current connection, as the driver would see it.
      let wire = { sentOpen: false, receivedOpen: false, sentKeepalive: false, receivedKeepalive: false };
      for (const e of events) {
        const before = state;
        const r = step(state, e);
        state = r.state;
        const connectedBefore = ['OpenSent', 'OpenConfirm', 'Established'].includes(before.name);
        if (e.type === 'TcpConnected' || e.type === 'TcpConnectionConfirmed') {
          if (!connectedBefore) wire = { sentOpen: false, receivedOpen: false, sentKeepalive: false, receivedKeepalive: false };
        }
        if (e.type === 'MessageReceived' && e.result.ok && connectedBefore) {
          if (e.result.msg.type === 'open') wire.receivedOpen = true;
          if (e.result.msg.type === 'keepalive') wire.receivedKeepalive = true;
        }
        for (const a of r.actions) {
          switch (a.type) {
            case 'Send':
              if (a.message.type === 'open') wire.sentOpen = true;
              if (a.message.type === 'keepalive') wire.sentKeepalive = true;
              break;
            case 'StartTimer':
              assert.ok(a.ms > 0, 'timers start with a positive duration');
              timers.add(a.timer);
              break;
            case 'StopTimer':
              timers.delete(a.timer);
              break;
            case 'Established':
              // Never Established without OPEN and KEEPALIVE both ways on this connection.
              assert.ok(wire.sentOpen && wire.receivedOpen && wire.sentKeepalive && wire.receivedKeepalive, JSON.stringify(wire));
              assert.equal(before.name, 'OpenConfirm');
              break;
            case 'Close': {
              // Without NOTIFICATION only when no connection was up, TCP failed, or the peer notified.
              if (a.notification === undefined) {
                const peerNotified = e.type === 'MessageReceived' && e.result.ok && e.result.msg.type === 'notification';
                assert.ok(!connectedBefore || e.type === 'TcpConnectionFails' || peerNotified, `bare Close on ${e.type} in ${before.name}`);
              }
              break;
            }
            case 'Connect':
              assert.ok(!passive, 'a passive FSM never dials');
              break;
            case 'SessionDown':
            case 'UpdateReceived':
            case 'RouteRefreshRequested':
              if (a.type !== 'SessionDown') assert.equal(before.name, 'Established');
              break;
            default: {
              const never: never = a;
              throw new Error(String(never));
            }
          }
        }
        if (state.name === 'Established') assert.ok(before.name === 'Established' || r.actions.some((a) => a.type === 'Established'));
        // Timers are all stopped in Idle.
        if (state.name === 'Idle') assert.equal(timers.size, 0, `timers running in Idle: ${[...timers].join(',')}`);
        // A connection is held exactly in the connected states.
        assert.equal(state.connection !== undefined, ['OpenSent', 'OpenConfirm', 'Established'].includes(state.name));
        if (state.name === 'Established' || state.name === 'OpenConfirm') assert.ok(state.connection?.negotiated);
      }
    }),
    { numRuns: 2000 },
  );
});
