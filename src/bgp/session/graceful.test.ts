// Graceful restart and graceful shutdown, message by message, against a raw peer on the in-memory
// network: a session that waits for its owner's first complete table sends no UPDATE and no
// End-of-RIB before it (RFC 4724 §4.1), then the whole table and End-of-RIB last; a graceful shutdown
// re-announces with GRACEFUL_SHUTDOWN and LOCAL_PREF 0 (RFC 8326 §4), withdraws after the drain time,
// then sends the Cease. Orders are checked by waiting for a message that must come after the one that
// must not come earlier (a KEEPALIVE from a timer, a ROUTE-REFRESH answer), never by sleeping.
import { describe, test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { Speaker } from './speaker.js';
import { GRACEFUL_SHUTDOWN_COMMUNITY } from './session.js';
import { ManualClock } from './clock.js';
import { MemoryNetwork } from './memory-transport.js';
import type { Connection } from './transport.js';
import type { Advertisement } from './adj-rib-out.js';
import { silentBgpLogger } from './logger.js';
import { decodeMessage, encodeMessage } from '../wire/message.js';
import { endOfRibFamily } from '../wire/end-of-rib.js';
import { MessageFramer } from '../wire/framer.js';
import type { BgpMessage, CodecOptions, OpenMessage, UpdateMessage } from '../wire/types.js';

const OPTS: CodecOptions = { fourOctetAs: true, extendedMessage: false };
const US = '127.0.0.12';
const RAW = '127.0.0.13';

async function waitFor(pred: () => boolean, what: string): Promise<void> {
  const start = Date.now();
  while (!pred()) {
    if (Date.now() - start > 5000) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 1));
  }
}

interface RawPeer {
  readonly received: BgpMessage[];
  closed: boolean;
  send(m: BgpMessage): void;
}

function connectRaw(network: MemoryNetwork, port: number): Promise<RawPeer> {
  return new Promise((resolve, reject) => {
    network.transport(RAW).connect({ host: US, port }, (err, conn?: Connection) => {
      if (err || !conn) return reject(err ?? new Error('no connection'));
      const framer = new MessageFramer({ extendedMessage: true });
      const peer: RawPeer = { received: [], closed: false, send: (m) => void conn.write(encodeMessage(m, OPTS)) };
      conn.start({
        onData: (b) => {
          framer.push(b);
          for (let f = framer.next(); f?.ok; f = framer.next()) {
            const d = decodeMessage(f.bytes, { fourOctetAs: true, extendedMessage: true });
            if (d.ok) peer.received.push(d.msg);
          }
        },
        onDrain: () => undefined,
        onClose: () => (peer.closed = true),
      });
      resolve(peer);
    });
  });
}

function openFrom(asn: number): OpenMessage {
  return {
    type: 'open',
    version: 4,
    myAs: asn,
    holdTime: 90,
    bgpId: '10.0.0.13',
    optionalParameters: [
      { type: 'capabilities', capabilities: [{ kind: 'multiprotocol', afi: 1, safi: 1 }, { kind: 'routeRefresh' }, { kind: 'fourOctetAs', asn }] },
    ],
  };
}

const speakers: Speaker[] = [];
afterEach(async () => {
  await Promise.all(speakers.splice(0).map((s) => s.close()));
});

/** Our speaker (AS 64512) with the passive peer `raw` at 127.0.0.13 in `peerAsn` (64512: iBGP). */
async function setup(peerAsn: number, awaitTable: boolean, gracefulRestart = false) {
  const network = new MemoryNetwork();
  const clock = new ManualClock();
  const speaker = new Speaker({ transport: network.transport(US), clock, logger: silentBgpLogger, listen: { address: US, port: 0 }, random: () => 0 });
  speakers.push(speaker);
  await speaker.start();
  speaker.addPeer({ name: 'raw', localAsn: 64512, peerAsn, peerAddress: RAW, passive: true, nextHopIpv4: '192.0.2.254', gracefulRestart }, { awaitTable });
  const port = speaker.listenAddress?.port ?? 0;
  const connect = async (): Promise<RawPeer> => {
    const peer = await connectRaw(network, port);
    peer.send(openFrom(peerAsn));
    peer.send({ type: 'keepalive' });
    await waitFor(() => speaker.peerStatus('raw')?.state === 'Established', 'Established');
    return peer;
  };
  return { clock, speaker, connect };
}

const ad = (i: number, communities: number[] = []): Advertisement => ({
  prefix: { family: 'ipv4', address: `203.0.113.${i}`, length: 32 },
  localPref: 200,
  communities,
  largeCommunities: [],
});

const updates = (p: RawPeer): UpdateMessage[] => p.received.filter((m): m is UpdateMessage => m.type === 'update');
const isEndOfRib = (m: UpdateMessage): boolean => endOfRibFamily(m) !== undefined;
const announced = (p: RawPeer): string[] => updates(p).flatMap((m) => m.nlri.map((n) => n.address));
const withdrawn = (p: RawPeer): string[] => updates(p).flatMap((m) => m.withdrawn.map((n) => n.address));
const keepalives = (p: RawPeer): number => p.received.filter((m) => m.type === 'keepalive').length;

function attribute<K extends UpdateMessage['attributes'][number]['kind']>(m: UpdateMessage, kind: K): Extract<UpdateMessage['attributes'][number], { kind: K }> | undefined {
  return m.attributes.find((a) => a.kind === kind) as Extract<UpdateMessage['attributes'][number], { kind: K }> | undefined;
}

describe('graceful restart: End-of-RIB after the first complete table (RFC 4724 §4.1)', () => {
  test('an Established session waits with KEEPALIVEs, then sends the whole table and End-of-RIB last', async () => {
    const { clock, speaker, connect } = await setup(64513, true);
    // Part of the table is known before the session comes up, part after.
    speaker.setAdvertisements('raw', [ad(1), ad(2)]);
    const peer = await connect();
    speaker.updateAdvertisements('raw', { upsert: [ad(3)], withdraw: [ad(1).prefix] });
    assert.equal(speaker.peerStatus('raw')?.tableReady, false);
    // The keepalive timer fires (a third of 90 s): that KEEPALIVE comes after anything sent before it.
    const before = keepalives(peer);
    clock.advance(30_000);
    await waitFor(() => keepalives(peer) > before, 'a KEEPALIVE from the timer');
    assert.deepEqual(updates(peer), [], 'no UPDATE and no End-of-RIB before the table is ready');
    assert.equal(speaker.peerStatus('raw')?.prefixesAdvertised, 0);

    speaker.tableReady('raw');
    await waitFor(() => updates(peer).some(isEndOfRib), 'End-of-RIB');
    const all = updates(peer);
    assert.equal(isEndOfRib(all.at(-1) as UpdateMessage), true, 'End-of-RIB is the last UPDATE');
    assert.equal(all.filter(isEndOfRib).length, 1);
    assert.deepEqual(announced(peer).sort(), ['203.0.113.2', '203.0.113.3']);
    assert.deepEqual(withdrawn(peer), []);
    assert.equal(speaker.peerStatus('raw')?.tableReady, true);
    assert.equal(speaker.peerStatus('raw')?.prefixesAdvertised, 2);

    // Ready for good: a later change is a plain UPDATE, and a new connection gets table + End-of-RIB at once.
    speaker.updateAdvertisements('raw', { upsert: [ad(4)], withdraw: [] });
    await waitFor(() => announced(peer).includes('203.0.113.4'), 'the change');
    assert.equal(updates(peer).filter(isEndOfRib).length, 1);
  });

  test('a session that comes up after the table is ready sends it at Established, End-of-RIB last', async () => {
    const { speaker, connect } = await setup(64513, true);
    speaker.setAdvertisements('raw', [ad(1), ad(2), ad(3)]);
    speaker.tableReady('raw');
    const peer = await connect();
    await waitFor(() => updates(peer).some(isEndOfRib), 'End-of-RIB');
    assert.deepEqual(announced(peer), ['203.0.113.1', '203.0.113.2', '203.0.113.3']);
    assert.equal(isEndOfRib(updates(peer).at(-1) as UpdateMessage), true);
  });

  test('without awaitTable the table goes at Established (the library default)', async () => {
    const { speaker, connect } = await setup(64513, false);
    speaker.setAdvertisements('raw', [ad(1)]);
    const peer = await connect();
    await waitFor(() => updates(peer).some(isEndOfRib), 'End-of-RIB');
    assert.deepEqual(announced(peer), ['203.0.113.1']);
  });

  test('the capability: restart time 120 s, F bit per family; R bit while the first table is awaited', async () => {
    const { speaker, connect } = await setup(64513, true, true);
    const grOf = (p: RawPeer): unknown => {
      const open = p.received.find((m) => m.type === 'open');
      const caps = open?.type === 'open' ? open.optionalParameters.flatMap((o) => (o.type === 'capabilities' ? o.capabilities : [])) : [];
      return caps.find((c) => c.kind === 'gracefulRestart');
    };
    const families = [
      { afi: 1, safi: 1, flags: 0x80 },
      { afi: 2, safi: 1, flags: 0x80 },
    ];
    const first = await connect();
    assert.deepEqual(grOf(first), { kind: 'gracefulRestart', restartFlags: 0x8, restartTime: 120, families });
    speaker.tableReady('raw');
    await waitFor(() => updates(first).some(isEndOfRib), 'End-of-RIB');
    // The next connection (the peer reset the session) no longer announces a restart.
    first.send({ type: 'notification', code: 6, subcode: 4, data: new Uint8Array(0) });
    await waitFor(() => speaker.peerStatus('raw')?.state !== 'Established', 'the session down');
    const second = await connect();
    assert.deepEqual(grOf(second), { kind: 'gracefulRestart', restartFlags: 0, restartTime: 120, families });
    await waitFor(() => updates(second).some(isEndOfRib), 'End-of-RIB at once');
  });

  test('an End-of-RIB from the peer is reported and changes nothing we send', async () => {
    const { speaker, connect } = await setup(64513, true);
    const eors: unknown[] = [];
    speaker.on('updateReceived', (e) => eors.push(e.endOfRib));
    speaker.setAdvertisements('raw', [ad(1)]);
    const peer = await connect();
    peer.send({ type: 'update', withdrawn: [], attributes: [], nlri: [] });
    await waitFor(() => eors.length === 1, 'the peer End-of-RIB');
    assert.deepEqual(eors, ['ipv4']);
    assert.equal(speaker.peerStatus('raw')?.state, 'Established');
    speaker.tableReady('raw');
    await waitFor(() => updates(peer).some(isEndOfRib), 'our End-of-RIB');
    assert.deepEqual(announced(peer), ['203.0.113.1']);
  });
});

describe('graceful shutdown (RFC 8326)', () => {
  test('iBGP: re-announced with GRACEFUL_SHUTDOWN and LOCAL_PREF 0, withdrawn after the drain, then Cease 6/3', async () => {
    const { clock, speaker, connect } = await setup(64512, false);
    speaker.setAdvertisements('raw', [ad(1, [0xfde80064]), ad(2)]);
    const peer = await connect();
    await waitFor(() => updates(peer).some(isEndOfRib), 'the table');
    const sent = updates(peer).length;

    const done = speaker.shutdownPeer('raw', { drainMs: 5000, subcode: 3 });
    assert.deepEqual(speaker.peers(), [], 'the name is free at once');
    await waitFor(() => announced(peer).length === 4, 'the re-announcement');
    const again = updates(peer).slice(sent);
    assert.ok(again.length > 0);
    for (const m of again) {
      assert.equal(attribute(m, 'localPref')?.localPref, 0);
      assert.ok(attribute(m, 'communities')?.communities.includes(GRACEFUL_SHUTDOWN_COMMUNITY));
    }
    // The route that had a community keeps it beside GRACEFUL_SHUTDOWN.
    const first = again.find((m) => m.nlri.some((n) => n.address === '203.0.113.1'));
    assert.deepEqual(first && attribute(first, 'communities')?.communities, [0xfde80064, GRACEFUL_SHUTDOWN_COMMUNITY].sort((a, b) => a - b));

    // Still announced during the drain: a route refresh is answered with the draining routes and no
    // withdrawal came before the answer.
    peer.send({ type: 'routeRefresh', afi: 1, safi: 1, subtype: 0 });
    await waitFor(() => announced(peer).length === 6, 'the route refresh answer');
    assert.deepEqual(withdrawn(peer), []);
    assert.equal(peer.closed, false);

    clock.advance(5000);
    await done;
    await waitFor(() => peer.closed, 'the close');
    const tail = peer.received.slice(-2);
    assert.deepEqual(tail[0]?.type === 'update' ? tail[0].withdrawn.map((p) => p.address) : tail[0]?.type, ['203.0.113.1', '203.0.113.2']);
    assert.deepEqual(tail[1]?.type === 'notification' ? [tail[1].code, tail[1].subcode] : tail[1]?.type, [6, 3]);
  });

  test('eBGP: GRACEFUL_SHUTDOWN without LOCAL_PREF; Speaker.close drains every session, endDrains cuts it short', async () => {
    const { speaker, connect } = await setup(64513, false);
    speaker.setAdvertisements('raw', [ad(1)]);
    const peer = await connect();
    await waitFor(() => updates(peer).some(isEndOfRib), 'the table');
    const closed = speaker.close('maintenance', { drainMs: 3_600_000 });
    await waitFor(() => announced(peer).length === 2, 'the re-announcement');
    const m = updates(peer).at(-1) as UpdateMessage;
    assert.equal(attribute(m, 'localPref'), undefined);
    assert.deepEqual(attribute(m, 'communities')?.communities, [GRACEFUL_SHUTDOWN_COMMUNITY]);
    speaker.endDrains();
    await closed;
    await waitFor(() => peer.closed, 'the close');
    const tail = peer.received.slice(-2);
    assert.deepEqual(tail[0]?.type === 'update' ? tail[0].withdrawn.map((p) => p.address) : tail[0]?.type, ['203.0.113.1']);
    assert.deepEqual(tail[1]?.type === 'notification' ? [tail[1].code, tail[1].subcode] : tail[1]?.type, [6, 2]);
  });

  test('a drain time of 0, or a session with nothing announced, withdraws and closes at once', async () => {
    const { speaker, connect } = await setup(64512, false);
    speaker.setAdvertisements('raw', [ad(1)]);
    const peer = await connect();
    await waitFor(() => updates(peer).some(isEndOfRib), 'the table');
    await speaker.shutdownPeer('raw', { drainMs: 0 });
    await waitFor(() => peer.closed, 'the close');
    assert.equal(
      updates(peer).some((m) => attribute(m, 'communities')?.communities.includes(GRACEFUL_SHUTDOWN_COMMUNITY) === true),
      false,
    );
    assert.deepEqual(withdrawn(peer), ['203.0.113.1']);
  });

  test('a session still waiting for its first table is not drained: no UPDATE, Cease at once', async () => {
    const { speaker, connect } = await setup(64512, true);
    speaker.setAdvertisements('raw', [ad(1)]);
    const peer = await connect();
    // Resolves without the clock moving: there was nothing announced to drain.
    await speaker.shutdownPeer('raw', { drainMs: 3_600_000 });
    await waitFor(() => peer.closed, 'the close');
    assert.deepEqual(updates(peer), []);
    const last = peer.received.at(-1);
    assert.deepEqual(last?.type === 'notification' ? [last.code, last.subcode] : last?.type, [6, 2]);
  });
});
