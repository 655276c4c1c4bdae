// Session behaviour against a scripted raw peer on the in-memory network: hostile input classes and
// the NOTIFICATION each one gets, isolation between peers, route refresh, RFC 7606 handling,
// backpressure, bounded close and refusals. Byte fixtures are built by hand (test helpers), and
// valid messages for the raw peer by the codec (not the code under test here).
import { describe, test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { Speaker } from './speaker.js';
import type { SpeakerEvents } from './speaker.js';
import { Session } from './session.js';
import { ManualClock } from './clock.js';
import { MemoryNetwork } from './memory-transport.js';
import type { Connection } from './transport.js';
import type { Advertisement } from './adj-rib-out.js';
import { silentBgpLogger as silentLogger } from './logger.js';
import { decodeMessage, encodeMessage } from '../wire/message.js';
import { MessageFramer } from '../wire/framer.js';
import { attr, frame, updateBody } from '../wire/test-helpers.js';
import type { BgpMessage, CodecOptions, OpenMessage } from '../wire/types.js';
import { capabilitiesFor, fsmConfigFor, validatePeerSettings } from './settings.js';

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

/** A peer driven by hand: connects, records what it is sent (decoded), sends what it is told. */
interface RawPeer {
  readonly conn: Connection;
  readonly received: BgpMessage[];
  closed: boolean;
  send(m: BgpMessage | Uint8Array): void;
}

function connectRaw(network: MemoryNetwork, from: string, to: string, port: number): Promise<RawPeer> {
  return new Promise((resolve, reject) => {
    network.transport(from).connect({ host: to, port }, (err, conn) => {
      if (err || !conn) return reject(err ?? new Error('no connection'));
      const framer = new MessageFramer({ extendedMessage: true });
      const peer: RawPeer = {
        conn,
        received: [],
        closed: false,
        send: (m) => void conn.write(m instanceof Uint8Array ? m : encodeMessage(m, OPTS)),
      };
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

function openFrom(asn: number, bgpId: string, holdTime = 90): OpenMessage {
  return {
    type: 'open',
    version: 4,
    myAs: asn,
    holdTime,
    bgpId,
    optionalParameters: [
      {
        type: 'capabilities',
        capabilities: [
          { kind: 'multiprotocol', afi: 1, safi: 1 },
          { kind: 'routeRefresh' },
          { kind: 'fourOctetAs', asn },
        ],
      },
    ],
  };
}

const speakers: Speaker[] = [];
afterEach(async () => {
  await Promise.all(speakers.splice(0).map((s) => s.close()));
});

/** Our speaker at 127.0.0.12 with a passive peer `raw` (AS 64513) at 127.0.0.13. */
async function setup(extraPeers: { name: string; address: string }[] = []) {
  const network = new MemoryNetwork();
  const clock = new ManualClock();
  const speaker = new Speaker({ transport: network.transport(US), clock, logger: silentLogger, listen: { address: US, port: 0 }, random: () => 0 });
  speakers.push(speaker);
  await speaker.start();
  const events = { up: [] as SpeakerEvents['sessionUp'][], down: [] as SpeakerEvents['sessionDown'][], updates: [] as SpeakerEvents['updateReceived'][] };
  speaker.on('sessionUp', (e) => events.up.push(e));
  speaker.on('sessionDown', (e) => events.down.push(e));
  speaker.on('updateReceived', (e) => events.updates.push(e));
  speaker.addPeer({ name: 'raw', localAsn: 64512, peerAsn: 64513, peerAddress: RAW, passive: true, nextHopIpv4: '192.0.2.254' });
  for (const p of extraPeers) speaker.addPeer({ name: p.name, localAsn: 64512, peerAsn: 64513, peerAddress: p.address, passive: true, nextHopIpv4: '192.0.2.254' });
  const port = speaker.listenAddress?.port ?? 0;
  return { network, clock, speaker, events, port };
}

async function established(network: MemoryNetwork, port: number, from = RAW, bgpId = '10.0.0.13'): Promise<RawPeer> {
  const peer = await connectRaw(network, from, US, port);
  peer.send(openFrom(64513, bgpId));
  peer.send({ type: 'keepalive' });
  await waitFor(() => peer.received.some((m) => m.type === 'keepalive'), 'KEEPALIVE from us');
  return peer;
}

function lastNotification(peer: RawPeer): [number, number] | undefined {
  const n = peer.received.filter((m) => m.type === 'notification').at(-1);
  return n?.type === 'notification' ? [n.code, n.subcode] : undefined;
}

describe('hostile input: each class gets its NOTIFICATION and the process carries on', () => {
  const cases: { name: string; when: 'opensent' | 'established'; bytes: () => Uint8Array | BgpMessage; expect: [number, number] }[] = [
    { name: 'bad marker (1/1)', when: 'opensent', bytes: () => new Uint8Array(19).fill(0), expect: [1, 1] },
    { name: 'bad length (1/2)', when: 'opensent', bytes: () => Uint8Array.of(...new Array<number>(16).fill(0xff), 0, 5, 4), expect: [1, 2] },
    { name: 'bad type (1/3)', when: 'opensent', bytes: () => frame(9, ''), expect: [1, 3] },
    { name: 'unsupported version (2/1)', when: 'opensent', bytes: () => frame(1, '03 fbf1 005a 0a00000d 00'), expect: [2, 1] },
    { name: 'bad peer AS (2/2)', when: 'opensent', bytes: () => openFrom(64999, '10.0.0.13'), expect: [2, 2] },
    { name: 'zero BGP Identifier (2/3)', when: 'opensent', bytes: () => frame(1, '04 fbf1 005a 00000000 00'), expect: [2, 3] },
    { name: 'hold time 1 (2/6)', when: 'opensent', bytes: () => frame(1, '04 fbf1 0001 0a00000d 00'), expect: [2, 6] },
    { name: 'KEEPALIVE before OPEN (5/1)', when: 'opensent', bytes: () => ({ type: 'keepalive' }), expect: [5, 1] },
    { name: 'OPEN in Established (5/3)', when: 'established', bytes: () => openFrom(64513, '10.0.0.13'), expect: [5, 3] },
    {
      name: 'attribute list overrun (3/1)',
      when: 'established',
      // Total path attribute length 200 with nothing behind it.
      bytes: () => frame(2, '0000 00c8'),
      expect: [3, 1],
    },
    {
      name: 'unrecognised well-known attribute (3/2)',
      when: 'established',
      bytes: () => frame(2, updateBody('', attr(0x40, 1, '00') + attr(0x40, 2, '') + attr(0x40, 3, 'c0000201') + attr(0x40, 99, '00'), '20c6336407')),
      expect: [3, 2],
    },
  ];

  for (const c of cases) {
    test(c.name, async () => {
      const { network, speaker, port, clock } = await setup();
      const peer = c.when === 'established' ? await established(network, port) : await connectRaw(network, RAW, US, port);
      if (c.when === 'opensent') await waitFor(() => peer.received.some((m) => m.type === 'open'), 'our OPEN');
      const b = c.bytes();
      peer.send(b);
      await waitFor(() => peer.closed, 'close');
      assert.deepEqual(lastNotification(peer), c.expect);
      const st = speaker.peerStatus('raw');
      assert.deepEqual([st?.lastNotificationSent?.code, st?.lastNotificationSent?.subcode], c.expect);
      // The session comes back: the peer may connect again and reach Established.
      clock.advance(1000);
      const again = await established(network, port);
      assert.equal(speaker.peerStatus('raw')?.state, 'Established');
      assert.equal(again.closed, false);
    });
  }
});

describe('session behaviour', () => {
  test('a bad peer never disturbs another peer', async () => {
    const { network, speaker, port } = await setup([{ name: 'good', address: '127.0.0.14' }]);
    const good = await established(network, port, '127.0.0.14', '10.0.0.14');
    const bad = await established(network, port);
    speaker.setAdvertisements('good', [{ prefix: { family: 'ipv4', address: '203.0.113.1', length: 32 }, communities: [], largeCommunities: [] }]);
    bad.send(new Uint8Array(19).fill(0));
    await waitFor(() => bad.closed, 'bad peer closed');
    await waitFor(() => good.received.some((m) => m.type === 'update' && m.nlri.length > 0), 'update to the good peer');
    assert.equal(speaker.peerStatus('good')?.state, 'Established');
    assert.equal(speaker.peerStatus('good')?.counters.flaps, 0);
    assert.equal(good.closed, false);
  });

  test('ROUTE-REFRESH is answered with the full table', async () => {
    const { network, speaker, port } = await setup();
    const peer = await established(network, port);
    const ads: Advertisement[] = [1, 2, 3].map((i) => ({ prefix: { family: 'ipv4', address: `203.0.113.${i}`, length: 32 }, communities: [], largeCommunities: [] }));
    speaker.setAdvertisements('raw', ads);
    const nlri = (): number => peer.received.reduce((n, m) => n + (m.type === 'update' ? m.nlri.length : 0), 0);
    await waitFor(() => nlri() === 3, 'table');
    peer.send({ type: 'routeRefresh', afi: 1, safi: 1, subtype: 0 });
    await waitFor(() => nlri() === 6, 'table again');
    assert.equal(speaker.peerStatus('raw')?.counters.messagesReceived.routeRefresh, 1);
    // A family that was not negotiated is ignored (RFC 2918 §4).
    peer.send({ type: 'routeRefresh', afi: 2, safi: 1, subtype: 0 });
    peer.send({ type: 'keepalive' });
    await waitFor(() => speaker.peerStatus('raw')?.counters.messagesReceived.keepalive === 2, 'keepalive');
    assert.equal(nlri(), 6);
  });

  test('treat-as-withdraw: a bad ORIGIN withdraws the NLRI and keeps the session (RFC 7606)', async () => {
    const { network, speaker, port, events } = await setup();
    const peer = await established(network, port);
    // ORIGIN 7 (invalid), AS_PATH [64513], NEXT_HOP 10.0.0.13, NLRI 198.51.100.7/32.
    peer.send(frame(2, updateBody('', attr(0x40, 1, '07') + attr(0x40, 2, '020100 00fbf1'.replace(/ /g, '')) + attr(0x40, 3, '0a00000d'), '20c6336407')));
    await waitFor(() => events.updates.length > 0, 'update event');
    const u = events.updates[0];
    assert.equal(u?.withdrawAll, true);
    assert.deepEqual(u?.announced, []);
    assert.deepEqual(u?.withdrawn.map((p) => p.address), ['198.51.100.7']);
    assert.equal(u?.errors[0]?.subcode, 6);
    assert.equal(speaker.peerStatus('raw')?.state, 'Established');
    assert.equal(speaker.peerStatus('raw')?.counters.updateErrorsReceived, 1);
    assert.equal(peer.closed, false);
  });

  test('received routes are counted and reported, not installed', async () => {
    const { network, speaker, port, events } = await setup();
    const peer = await established(network, port);
    peer.send({
      type: 'update',
      withdrawn: [],
      attributes: [
        { kind: 'origin', origin: 0 },
        { kind: 'asPath', segments: [{ type: 'sequence', asns: [64513] }] },
        { kind: 'nextHop', nextHop: '10.0.0.13' },
      ],
      nlri: [{ family: 'ipv4', address: '198.51.100.0', length: 24 }],
    });
    peer.send({ type: 'update', withdrawn: [], attributes: [], nlri: [] });
    await waitFor(() => events.updates.length === 2, 'updates');
    assert.deepEqual(events.updates[0]?.announced, [{ family: 'ipv4', address: '198.51.100.0', length: 24 }]);
    assert.equal(events.updates[1]?.endOfRib, 'ipv4');
    assert.equal(speaker.peerStatus('raw')?.counters.prefixesReceived, 1);
  });

  test('initial table: prepared in OpenConfirm, sent only once Established, remade when the desired set changed', async () => {
    const { network, speaker, port } = await setup();
    const v4 = (i: number): Advertisement => ({ prefix: { family: 'ipv4', address: `203.0.113.${i}`, length: 32 }, communities: [], largeCommunities: [] });
    speaker.setAdvertisements('raw', [1, 2, 3].map(v4));
    const peer = await connectRaw(network, RAW, US, port);
    peer.send(openFrom(64513, '10.0.0.13'));
    await waitFor(() => peer.received.some((m) => m.type === 'keepalive'), 'KEEPALIVE from us');
    assert.equal(speaker.peerStatus('raw')?.state, 'OpenConfirm');
    // A new desired set while the prepared table waits for the peer's KEEPALIVE.
    speaker.setAdvertisements('raw', [4, 5].map(v4));
    await new Promise((r) => setTimeout(r, 5));
    // RFC 4271 §9.2: no UPDATE before Established.
    assert.deepEqual(
      peer.received.map((m) => m.type),
      ['open', 'keepalive'],
    );
    peer.send({ type: 'keepalive' });
    const updates = () => peer.received.filter((m) => m.type === 'update');
    // The table and End-of-RIB (RFC 4724 §2).
    await waitFor(() => updates().length === 2, 'initial table and End-of-RIB');
    const sent = updates().flatMap((m) => m.nlri.map((p) => p.address));
    assert.deepEqual(sent, ['203.0.113.4', '203.0.113.5']);
    const st = speaker.peerStatus('raw');
    assert.equal(st?.state, 'Established');
    assert.equal(st?.prefixesAdvertised, 2);
    assert.equal(st?.counters.prefixesAnnounced, 2);
    assert.equal(st?.counters.messagesSent.update, 2);
    // A later change is a diff against what was sent.
    speaker.setAdvertisements('raw', [5, 6].map(v4));
    await waitFor(() => updates().length === 4, 'the diff');
    const [withdraw, announce] = updates().slice(2);
    assert.deepEqual(withdraw?.withdrawn.map((p) => p.address), ['203.0.113.4']);
    assert.deepEqual(announce?.nlri.map((p) => p.address), ['203.0.113.6']);
  });

  test('backpressure: a large table is queued and delivered completely', async () => {
    const { network, speaker, port } = await setup();
    network.highWaterMark = 1024;
    const peer = await established(network, port);
    const ads: Advertisement[] = [];
    for (let i = 0; i < 20_000; i++) {
      ads.push({ prefix: { family: 'ipv4', address: `10.${(i >> 8) & 255}.${i & 255}.1`, length: 32 }, communities: [], largeCommunities: [] });
    }
    speaker.setAdvertisements('raw', ads);
    assert.ok((speaker.peerStatus('raw')?.pendingBytes ?? 0) > 1024, 'bytes wait in the queue');
    const nlri = (): number => peer.received.reduce((n, m) => n + (m.type === 'update' ? m.nlri.length : 0), 0);
    await waitFor(() => nlri() === 20_000, 'all prefixes');
    const st = speaker.peerStatus('raw');
    assert.equal(st?.prefixesAdvertised, 20_000);
    assert.equal(st?.counters.prefixesAnnounced, 20_000);
    // Packed: far fewer UPDATEs than prefixes (MetalLB native sends one per prefix).
    assert.ok((st?.counters.messagesSent.update ?? 0) < 40, `${st?.counters.messagesSent.update} UPDATEs`);
    await waitFor(() => speaker.peerStatus('raw')?.pendingBytes === 0, 'drained');
  });

  test('close is bounded when the peer never closes its side', async () => {
    const { network, speaker, port, clock } = await setup();
    const peer = await established(network, port);
    // A peer that ignores our FIN: the memory connection stays open until destroyed.
    (peer.conn as unknown as { end: () => void }).end = () => undefined;
    let done = false;
    const closing = speaker.close().then(() => (done = true));
    await waitFor(() => lastNotification(peer) !== undefined, 'Cease');
    assert.deepEqual(lastNotification(peer), [6, 2]);
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    assert.equal(done, false, 'still waiting for the peer to close');
    clock.advance(3000);
    await closing;
    assert.ok(done);
    speakers.splice(speakers.indexOf(speaker), 1);
  });

  test('a connection while Established is a collision and gets 6/7; a stopped session rejects with 6/5', async () => {
    const { network, port, speaker } = await setup();
    await established(network, port);
    const second = await connectRaw(network, RAW, US, port);
    await waitFor(() => second.closed, 'second closed');
    assert.deepEqual(lastNotification(second), [6, 7]);
    assert.equal(speaker.peerStatus('raw')?.state, 'Established');

    const s = new Session(
      { name: 'x', localAsn: 64512, peerAsn: 64513, peerAddress: RAW },
      { transport: network.transport(US), clock: new ManualClock(), logger: silentLogger, random: () => 0, emit: () => undefined },
    );
    const listener = await network.transport(US).listen({ host: US, port: 0 }, (c) => s.acceptConnection(c));
    const third = await connectRaw(network, RAW, US, listener.port);
    await waitFor(() => third.closed, 'third closed');
    assert.deepEqual(lastNotification(third), [6, 5]);
    await listener.close();
  });

  test('updatePeer: same settings keep the session; changed ones Cease 6/6 and keep the advertisements', async () => {
    const { network, speaker, port, clock } = await setup();
    const peer = await established(network, port);
    const settings = { name: 'raw', localAsn: 64512, peerAsn: 64513, peerAddress: RAW, passive: true, nextHopIpv4: '192.0.2.254' };
    speaker.setAdvertisements('raw', [{ prefix: { family: 'ipv4', address: '203.0.113.9', length: 32 }, communities: [], largeCommunities: [] }]);
    // The same settings in another key order change nothing.
    await speaker.updatePeer({ nextHopIpv4: '192.0.2.254', passive: true, peerAddress: RAW, peerAsn: 64513, localAsn: 64512, name: 'raw' });
    assert.equal(peer.closed, false);
    await speaker.updatePeer({ ...settings, holdTimeSec: 30 });
    await waitFor(() => peer.closed, 'closed');
    assert.deepEqual(lastNotification(peer), [6, 6]);
    clock.advance(1000);
    const again = await established(network, port);
    await waitFor(() => again.received.some((m) => m.type === 'update' && m.nlri.length > 0), 'advertisements again');
    assert.equal(speaker.peerStatus('raw')?.holdTime.configured, 30);
  });

  test('malformed advertisements are refused with a RangeError and the previous set stays', async () => {
    const { speaker } = await setup();
    const good: Advertisement = { prefix: { family: 'ipv4', address: '203.0.113.1', length: 32 }, communities: [], largeCommunities: [] };
    speaker.setAdvertisements('raw', [good]);
    const bad: Advertisement[] = [
      { ...good, prefix: { family: 'ipv4', address: '203.0.113.1', length: 24 } },
      { ...good, prefix: { family: 'ipv4', address: '203.0.113.01', length: 32 } },
      { ...good, prefix: { family: 'ipv4', address: '203.0.113.256', length: 32 } },
      { ...good, prefix: { family: 'ipv4', address: '2001:db8::1', length: 32 } },
      { ...good, prefix: { family: 'ipv4', address: '203.0.113.0', length: 33 } },
      { ...good, prefix: { family: 'ipv6', address: '203.0.113.1', length: 32 } },
      { ...good, prefix: { family: 'ipv6', address: '2001:DB8::1', length: 128 } },
      { ...good, med: -1 },
      { ...good, communities: [2 ** 32] },
    ];
    for (const b of bad) assert.throws(() => speaker.setAdvertisements('raw', [b]), RangeError, JSON.stringify(b.prefix));
    const fine: Advertisement[] = [
      { ...good, prefix: { family: 'ipv4', address: '0.0.0.0', length: 0 } },
      { ...good, prefix: { family: 'ipv4', address: '10.0.0.0', length: 8 } },
      { ...good, prefix: { family: 'ipv6', address: '2001:db8::', length: 32 } },
    ];
    speaker.setAdvertisements('raw', fine);
    assert.deepEqual(speaker.advertisementsOf('raw'), fine);
    assert.throws(() => speaker.setAdvertisements('raw', [good, ...bad]), RangeError);
    assert.deepEqual(speaker.advertisementsOf('raw'), fine);
  });

  test('dynamicASN external accepts any other AS and reports it', async () => {
    const network = new MemoryNetwork();
    const speaker = new Speaker({ transport: network.transport(US), clock: new ManualClock(), logger: silentLogger, listen: { address: US, port: 0 } });
    speakers.push(speaker);
    await speaker.start();
    speaker.addPeer({ name: 'raw', localAsn: 64512, dynamicAsn: 'external', peerAddress: RAW, passive: true });
    await established(network, speaker.listenAddress?.port ?? 0);
    assert.equal(speaker.peerStatus('raw')?.peerAsn, 64513);
  });
});

describe('settings', () => {
  test('MetalLB connectTime caps the backoff; one TCP connect waits 10 s by default', () => {
    const f = fsmConfigFor({ name: 'p', localAsn: 64512, dynamicAsn: 'internal', peerAddress: '10.10.10.1', connectTimeSec: 5, gracefulRestart: true });
    // MetalLB's connectTime is the wait between attempts: it caps the backoff.
    assert.equal(f.backoff.maxMs, 5000);
    assert.equal(f.connectTimeoutMs, 10_000);
    assert.ok(f.capabilities.some((c) => c.kind === 'gracefulRestart' && c.restartTime === 120));
  });

  test('capabilities: MP v4/v6, route refresh, 4-octet AS, extended message; GR and ERR on request', () => {
    const kinds = capabilitiesFor({ name: 'p', localAsn: 4_200_000_000, peerAsn: 1, peerAddress: '10.0.0.1' }).map((c) => c.kind);
    assert.deepEqual(kinds, ['multiprotocol', 'multiprotocol', 'routeRefresh', 'fourOctetAs', 'extendedMessage']);
    const more = capabilitiesFor({ name: 'p', localAsn: 1, peerAsn: 1, peerAddress: '10.0.0.1', gracefulRestart: true, enhancedRouteRefresh: true, extendedMessage: false });
    assert.deepEqual(
      more.map((c) => c.kind),
      ['multiprotocol', 'multiprotocol', 'routeRefresh', 'enhancedRouteRefresh', 'fourOctetAs', 'gracefulRestart'],
    );
  });

  test('invalid settings are reported', () => {
    assert.deepEqual(validatePeerSettings({ name: 'p', localAsn: 1, peerAsn: 2, peerAddress: '10.0.0.1' }), []);
    assert.equal(validatePeerSettings({ name: 'p', localAsn: 0, peerAddress: '10.0.0.1', holdTimeSec: 2 }).length, 3);
    assert.equal(validatePeerSettings({ name: 'p', localAsn: 1, peerAsn: 2, peerAddress: 'nope' }).length, 1);
    assert.equal(validatePeerSettings({ name: 'p', localAsn: 1, peerAsn: 2, peerAddress: '10.0.0.1', connectTimeSec: 0, keepaliveSec: -1 }).length, 2);
  });
});
