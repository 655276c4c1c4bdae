// Property test: whatever bytes a peer sends, in whatever chunks, nothing throws out of the session,
// every connection it closes after our OPEN gets a NOTIFICATION first (unless the peer notified), and
// no timer runs once the session is stopped. Driven synchronously through a fake connection.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Session } from './session.js';
import { ManualClock } from './clock.js';
import type { Connection, ConnectionHandlers, Transport } from './transport.js';
import { silentBgpLogger as silentLogger } from './logger.js';
import { encodeMessage } from '../wire/message.js';
import { MessageFramer } from '../wire/framer.js';
import { decodeMessage } from '../wire/message.js';
import type { BgpMessage } from '../wire/types.js';

class FakeConnection implements Connection {
  readonly localAddress = '127.0.0.12';
  readonly localPort = 179;
  readonly remoteAddress = '127.0.0.13';
  readonly remotePort = 40000;
  handlers: ConnectionHandlers | undefined;
  readonly written: BgpMessage[] = [];
  ended = false;
  destroyed = false;
  readonly #framer = new MessageFramer({ extendedMessage: true });
  start(h: ConnectionHandlers): void {
    this.handlers = h;
  }
  write(bytes: Uint8Array): boolean {
    assert.ok(!this.ended, 'no write after end');
    this.#framer.push(bytes);
    for (let f = this.#framer.next(); f?.ok; f = this.#framer.next()) {
      const d = decodeMessage(f.bytes, { fourOctetAs: true, extendedMessage: true });
      assert.ok(d.ok, 'we only send messages that decode');
      this.written.push(d.msg);
    }
    return true;
  }
  get bufferedBytes(): number {
    return 0;
  }
  end(): void {
    this.ended = true;
  }
  destroy(): void {
    this.destroyed = true;
  }
}

const noDial: Transport = {
  connect: () => () => undefined,
  listen: () => Promise.reject(new Error('not used')),
};

const OPEN = encodeMessage(
  {
    type: 'open',
    version: 4,
    myAs: 64513,
    holdTime: 9,
    bgpId: '10.0.0.13',
    optionalParameters: [{ type: 'capabilities', capabilities: [{ kind: 'fourOctetAs', asn: 64513 }, { kind: 'routeRefresh' }] }],
  },
  { fourOctetAs: false, extendedMessage: false },
);
const KEEPALIVE = encodeMessage({ type: 'keepalive' }, { fourOctetAs: true, extendedMessage: false });

test('random peer bytes never throw out of a session and every close carries a NOTIFICATION', () => {
  const chunk = fc.oneof(
    fc.uint8Array({ minLength: 1, maxLength: 64 }),
    fc.constant(KEEPALIVE),
    // A plausible header with a random type and length.
    fc.tuple(fc.integer({ min: 0, max: 4200 }), fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 40 })).map(([len, type, body]) =>
      Uint8Array.from([...new Array<number>(16).fill(0xff), len >> 8, len & 0xff, type, ...body]),
    ),
  );
  fc.assert(
    fc.property(fc.boolean(), fc.array(chunk, { maxLength: 12 }), fc.array(fc.integer({ min: 0, max: 20_000 }), { maxLength: 4 }), (sendOpen, chunks, tickList) => {
      const ticks = [...tickList];
      const clock = new ManualClock();
      const s = new Session(
        { name: 'p', localAsn: 64512, peerAsn: 64513, peerAddress: '127.0.0.13', passive: true, holdTimeSec: 9 },
        { transport: noDial, clock, logger: silentLogger, random: () => 0.5, emit: () => undefined },
      );
      s.start();
      const conn = new FakeConnection();
      assert.equal(s.acceptConnection(conn), true);
      const h = conn.handlers;
      assert.ok(h);
      if (sendOpen) {
        h.onData(OPEN);
        h.onData(KEEPALIVE);
      }
      for (const c of chunks) {
        h.onData(c);
        const t = ticks.shift();
        if (t !== undefined) clock.advance(t);
      }
      if (conn.ended || conn.destroyed) {
        const last = conn.written.at(-1);
        const peerNotified = s.status().lastNotificationReceived !== undefined;
        assert.ok(last?.type === 'notification' || peerNotified || conn.destroyed, `closed without NOTIFICATION after ${last?.type}`);
        assert.notEqual(s.state, 'Established');
      }
      assert.ok(conn.written[0]?.type === 'open', 'our OPEN goes first');
      // Stopping leaves nothing running.
      void s.stop();
      assert.equal(s.state, 'Idle');
      // Nothing runs afterwards: no KEEPALIVE, no retry, only the close timeout, which drops the connection.
      const count = conn.written.length;
      clock.advance(600_000);
      assert.equal(clock.pending, 0);
      assert.equal(conn.written.length, count);
      assert.ok(conn.ended || conn.destroyed);
    }),
    { numRuns: 500 },
  );
});
