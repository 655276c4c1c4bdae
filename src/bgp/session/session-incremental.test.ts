// Incremental advertisements through a session: `updateAdvertisements` in every state gives the routes
// that `setAdvertisements` of the final set gives, at the peer and in the Adj-RIB-Out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Session } from './session.js';
import { Speaker } from './speaker.js';
import { ManualClock } from './clock.js';
import { MemoryNetwork } from './memory-transport.js';
import type { Connection, ConnectionHandlers, Transport } from './transport.js';
import { emptyAdjRibOut, setAdvertisements } from './adj-rib-out.js';
import type { Advertisement } from './adj-rib-out.js';
import { silentBgpLogger } from './logger.js';
import { decodeMessage, encodeMessage } from '../wire/message.js';
import { MessageFramer } from '../wire/framer.js';
import type { BgpMessage, LargeCommunity, Prefix, UpdateMessage } from '../wire/types.js';

function v4(n: number): Prefix {
  const v = 0x0a000000 + n;
  return { family: 'ipv4', address: `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`, length: 32 };
}
function ad(prefix: Prefix, extra: Partial<Advertisement> = {}): Advertisement {
  return { prefix, communities: [], largeCommunities: [], ...extra };
}
const keyOf = (p: Prefix): string => `${p.address}/${p.length}`;
/** The Adj-RIB-Out's attribute key of a route as a receiver sees it (eBGP: no LOCAL_PREF). */
function attributeKey(med: number | undefined, communities: readonly number[], large: readonly LargeCommunity[]): string {
  return `|${med ?? ''}|${communities.join(',')}|${large.map((l) => `${l.globalAdmin}:${l.localData1}:${l.localData2}`).join(',')}`;
}

const adArb: fc.Arbitrary<Advertisement> = fc.record(
  {
    prefix: fc.integer({ min: 0, max: 30 }).map(v4),
    med: fc.constantFrom(0, 10),
    communities: fc.array(fc.constantFrom(65537, 65538, 7), { maxLength: 2 }),
    largeCommunities: fc.array(fc.constant<LargeCommunity>({ globalAdmin: 1, localData1: 2, localData2: 3 }), { maxLength: 1 }),
  },
  { requiredKeys: ['prefix', 'communities', 'largeCommunities'] },
);
type Op =
  | { readonly kind: 'set'; readonly ads: readonly Advertisement[] }
  | { readonly kind: 'update'; readonly upsert: readonly Advertisement[]; readonly withdraw: readonly Prefix[] };
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 1, arbitrary: fc.array(adArb, { maxLength: 20 }).map((ads): Op => ({ kind: 'set', ads })) },
  {
    weight: 4,
    arbitrary: fc
      .record({ upsert: fc.array(adArb, { maxLength: 5 }), withdraw: fc.array(fc.integer({ min: 0, max: 30 }).map(v4), { maxLength: 5 }) })
      .map((c): Op => ({ kind: 'update', ...c })),
  },
);
function applyModel(model: readonly Advertisement[], op: Op): readonly Advertisement[] {
  if (op.kind === 'set') return op.ads;
  const gone = new Set([...op.withdraw.map(keyOf), ...op.upsert.map((a) => keyOf(a.prefix))]);
  return [...model.filter((a) => !gone.has(keyOf(a.prefix))), ...op.upsert];
}

/** Resolves once `pred` holds, checked after every I/O turn; fails after a generous bound. */
async function until(pred: () => boolean, what: string): Promise<void> {
  const start = Date.now();
  while (!pred()) {
    if (Date.now() - start > 10_000) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

test('property: updateAdvertisements before and after Established gives the routes of setAdvertisements of the final set (in memory)', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(opArb, { maxLength: 10 }), fc.nat({ max: 10 }), async (ops, upAt) => {
      const network = new MemoryNetwork();
      const clock = new ManualClock();
      const common = { clock, logger: silentBgpLogger, random: () => 0.5 };
      const b = new Speaker({ ...common, transport: network.transport('127.0.0.12'), listen: { address: '127.0.0.12', port: 179 } });
      const a = new Speaker({ ...common, transport: network.transport('127.0.0.11') });
      try {
        await b.start();
        const received = new Map<string, string>();
        b.on('updateReceived', (e) => {
          for (const p of e.withdrawn) received.delete(keyOf(p));
          const u = e.update;
          const med = u.attributes.find((x) => x.kind === 'multiExitDisc');
          const c = u.attributes.find((x) => x.kind === 'communities');
          const l = u.attributes.find((x) => x.kind === 'largeCommunities');
          const key = attributeKey(med?.med, c?.communities ?? [], l?.communities ?? []);
          for (const p of e.announced) received.set(keyOf(p), key);
        });
        b.addPeer({ name: 'to-a', localAsn: 64513, peerAsn: 64512, peerAddress: '127.0.0.11', passive: true });
        a.addPeer({ name: 'to-b', localAsn: 64512, peerAsn: 64513, peerAddress: '127.0.0.12', sourceAddress: '127.0.0.11', nextHopIpv4: '192.0.2.254' });
        let model: readonly Advertisement[] = [];
        for (const [i, op] of ops.entries()) {
          if (i === upAt) await until(() => a.peerStatus('to-b')?.state === 'Established', 'Established');
          if (op.kind === 'set') a.setAdvertisements('to-b', op.ads);
          else a.updateAdvertisements('to-b', { upsert: op.upsert, withdraw: op.withdraw });
          model = applyModel(model, op);
        }
        const reference = setAdvertisements(
          emptyAdjRibOut({ localAsn: 64512, peerAsn: 64513, fourOctetAs: true, extendedMessage: true, enhancedRouteRefresh: false, families: ['ipv4'], ipv4NextHop: '192.0.2.254' }),
          model,
        ).rib;
        const expected = new Map(reference.ipv4.map((r) => [keyOf(r.prefix), attributeKey(r.attributes.med, r.attributes.communities, r.attributes.largeCommunities)]));
        await until(() => a.peerStatus('to-b')?.state === 'Established', 'Established');
        const sameAsExpected = (): boolean => received.size === expected.size && [...expected].every(([k, v]) => received.get(k) === v);
        await until(sameAsExpected, 'the routes of the final set at the peer');
        // The Adj-RIB-Out holds the same routes; the desired set and the counts agree.
        assert.deepEqual(
          a.advertisedRoutes('to-b').map((r) => `${keyOf(r.prefix)} ${attributeKey(r.med, r.communities, r.largeCommunities)}`),
          [...expected].map(([k, v]) => `${k} ${v}`),
        );
        assert.equal(a.peerStatus('to-b')?.prefixesDesired, model.length);
        assert.equal(a.advertisementsOf('to-b').length, model.length);
      } finally {
        await Promise.all([a.close(), b.close()]);
      }
    }),
    { numRuns: 60 },
  );
});

// A connection driven by hand, to stop the session in OpenConfirm.
class FakeConnection implements Connection {
  readonly localAddress = '10.0.0.12';
  readonly localPort = 179;
  readonly remoteAddress = '10.0.0.13';
  readonly remotePort = 40000;
  handlers: ConnectionHandlers | undefined;
  readonly written: BgpMessage[] = [];
  readonly #framer = new MessageFramer({ extendedMessage: true });
  start(h: ConnectionHandlers): void {
    this.handlers = h;
  }
  write(bytes: Uint8Array): boolean {
    this.#framer.push(bytes);
    for (let f = this.#framer.next(); f?.ok; f = this.#framer.next()) {
      const d = decodeMessage(f.bytes, { fourOctetAs: true, extendedMessage: true });
      assert.ok(d.ok);
      this.written.push(d.msg);
    }
    return true;
  }
  get bufferedBytes(): number {
    return 0;
  }
  end(): void {}
  destroy(): void {}
}
const noDial: Transport = { connect: () => () => undefined, listen: () => Promise.reject(new Error('not used')) };

test('a change in OpenConfirm reaches the initial table prepared there', () => {
  const s = new Session(
    { name: 'p', localAsn: 64512, peerAsn: 64513, peerAddress: '10.0.0.13', passive: true },
    { transport: noDial, clock: new ManualClock(), logger: silentBgpLogger, random: () => 0.5, emit: () => undefined },
  );
  s.setAdvertisements([ad(v4(1)), ad(v4(2)), ad(v4(3))]);
  s.start();
  const conn = new FakeConnection();
  assert.equal(s.acceptConnection(conn), true);
  const open = encodeMessage(
    {
      type: 'open',
      version: 4,
      myAs: 64513,
      holdTime: 90,
      bgpId: '10.0.0.13',
      optionalParameters: [{ type: 'capabilities', capabilities: [{ kind: 'multiprotocol', afi: 1, safi: 1 }, { kind: 'fourOctetAs', asn: 64513 }] }],
    },
    { fourOctetAs: false, extendedMessage: false },
  );
  conn.handlers?.onData(open);
  assert.equal(s.state, 'OpenConfirm');
  s.updateAdvertisements({ upsert: [ad(v4(4)), ad(v4(1), { med: 7 })], withdraw: [v4(2), v4(99)] });
  assert.deepEqual(conn.written.filter((m) => m.type === 'update'), [], 'nothing is sent before Established');
  conn.handlers?.onData(encodeMessage({ type: 'keepalive' }, { fourOctetAs: true, extendedMessage: false }));
  assert.equal(s.state, 'Established');
  const announced = new Map<string, number | undefined>();
  for (const m of conn.written) {
    if (m.type !== 'update') continue;
    const med = (m as UpdateMessage).attributes.find((x) => x.kind === 'multiExitDisc');
    for (const p of m.nlri) announced.set(keyOf(p), med?.med);
  }
  assert.deepEqual([...announced].sort(), [['10.0.0.1/32', 7], ['10.0.0.3/32', undefined], ['10.0.0.4/32', undefined]]);
  assert.equal(s.status().prefixesDesired, 3);
  // In Established, a change sends just its prefixes.
  const before = conn.written.length;
  s.updateAdvertisements({ upsert: [], withdraw: [v4(3)] });
  assert.deepEqual(conn.written.slice(before), [{ type: 'update', withdrawn: [v4(3)], attributes: [], nlri: [] }]);
  // Malformed input throws and changes nothing.
  assert.throws(() => s.updateAdvertisements({ upsert: [ad(v4(5))], withdraw: [{ family: 'ipv4', address: '10.0.0.1', length: 24 }] }), RangeError);
  assert.equal(s.status().prefixesDesired, 2);
  void s.stop();
});
