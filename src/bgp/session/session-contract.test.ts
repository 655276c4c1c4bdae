// The session contract suite: two of our own speakers peering with each other, run once over the
// in-memory transport and once over real TCP sockets on loopback (127.0.0.11 <-> 127.0.0.12, ::1).
// Timers run on manual clocks, so hold timers and backoff are driven by hand, never waited for.
import { describe, test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { Speaker } from './speaker.js';
import type { SpeakerEvents } from './speaker.js';
import { ManualClock } from './clock.js';
import { MemoryNetwork } from './memory-transport.js';
import { netTransport } from './net-transport.js';
import type { Transport } from './transport.js';
import type { Advertisement } from './adj-rib-out.js';
import type { PeerSettings } from './settings.js';
import { silentBgpLogger as silentLogger } from './logger.js';
import type { Prefix } from '../wire/types.js';

interface Env {
  readonly name: string;
  /** The transport for a speaker whose own address is `host`. */
  transport(host: string): Transport;
}

function memoryEnv(): Env {
  const network = new MemoryNetwork();
  return { name: 'memory', transport: (host) => network.transport(host) };
}
const netEnv: Env = { name: 'net', transport: () => netTransport };

/** Resolves once `pred` holds, checking after every I/O turn; fails after a generous real bound. */
async function waitFor(pred: () => boolean, what: string, boundMs = 10_000): Promise<void> {
  const start = Date.now();
  while (!pred()) {
    if (Date.now() - start > boundMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 1));
  }
}

function v4(address: string): Prefix {
  return { family: 'ipv4', address, length: 32 };
}
function ad(prefix: Prefix, extra: Partial<Advertisement> = {}): Advertisement {
  return { prefix, communities: [], largeCommunities: [], ...extra };
}

/** Collects a speaker's events. */
function record(s: Speaker): { [K in keyof SpeakerEvents]: SpeakerEvents[K][] } {
  const log = { sessionUp: [], sessionDown: [], notificationReceived: [], updateReceived: [], stateChange: [], connectionRefused: [] } as {
    [K in keyof SpeakerEvents]: SpeakerEvents[K][];
  };
  for (const k of Object.keys(log) as (keyof SpeakerEvents)[]) s.on(k, (p) => (log[k] as unknown[]).push(p));
  return log;
}

const speakers: Speaker[] = [];
afterEach(async () => {
  await Promise.all(speakers.splice(0).map((s) => s.close()));
});

function speaker(env: Env, host: string, clock: ManualClock, listen = true, routerId?: string): Speaker {
  const s = new Speaker({
    transport: env.transport(host),
    clock,
    logger: silentLogger,
    random: () => 0.5,
    closeTimeoutMs: 2000,
    ...(listen ? { listen: { address: host, port: 0 } } : {}),
    ...(routerId !== undefined ? { routerId } : {}),
  });
  speakers.push(s);
  return s;
}

const A = '127.0.0.11';
const B = '127.0.0.12';
/** A NEXT_HOP value only (never an address a socket uses). */
const NH = '192.0.2.254';

/** A (AS 64512 at 127.0.0.11) dials B (AS 64513 at 127.0.0.12), which only accepts. */
async function pair(
  env: Env,
  over: { a?: Partial<PeerSettings>; b?: Partial<PeerSettings>; clockA?: ManualClock; clockB?: ManualClock; defaultNextHop?: boolean } = {},
) {
  const clockA = over.clockA ?? new ManualClock();
  const clockB = over.clockB ?? new ManualClock();
  const b = speaker(env, B, clockB);
  await b.start();
  const a = speaker(env, A, clockA, false);
  const eventsA = record(a);
  const eventsB = record(b);
  const port = b.listenAddress?.port ?? 0;
  b.addPeer({ name: 'to-a', localAsn: 64513, peerAsn: 64512, peerAddress: A, passive: true, ...over.b });
  // Unless the test wants the default (the local address), A announces a NEXT_HOP override.
  const nh = over.defaultNextHop === true ? {} : { nextHopIpv4: NH };
  a.addPeer({ name: 'to-b', localAsn: 64512, peerAsn: 64513, peerAddress: B, peerPort: port, sourceAddress: A, ...nh, ...over.a });
  await waitFor(() => a.peerStatus('to-b')?.state === 'Established' && b.peerStatus('to-a')?.state === 'Established', 'Established');
  return { a, b, eventsA, eventsB, clockA, clockB, port };
}

for (const makeEnv of [memoryEnv, () => netEnv]) {
  const envName = makeEnv().name;
  describe(`session contract (${envName})`, () => {
    test('reaches Established; status reports what was negotiated', async () => {
      const { a, b, eventsA, eventsB } = await pair(makeEnv(), { a: { holdTimeSec: 30 } });
      const sa = a.peerStatus('to-b');
      const sb = b.peerStatus('to-a');
      assert.ok(sa && sb);
      assert.equal(sa.holdTime.negotiated, 30);
      assert.equal(sb.holdTime.negotiated, 30);
      assert.equal(sa.keepaliveTime.negotiated, 10);
      assert.equal(sa.localAddress, A);
      assert.equal(sa.remoteAddress, B);
      assert.equal(sa.localRouterId, A);
      assert.equal(sa.remoteRouterId, B);
      assert.equal(sa.peer, `${B}:${sa.peerPort}`);
      assert.equal(sa.counters.messagesSent.open, 1);
      assert.equal(sa.counters.messagesReceived.open, 1);
      assert.ok(sa.capabilities.received.some((c) => c.kind === 'fourOctetAs'));
      assert.deepEqual(sa.families, ['ipv4']);
      assert.equal(eventsA.sessionUp.length, 1);
      assert.equal(eventsB.sessionUp.length, 1);
      assert.equal(eventsA.sessionUp[0]?.name, 'to-b');
      assert.equal(eventsA.sessionUp[0]?.negotiated.peerAsn, 64513);
    });

    test('routes: initial table with End-of-RIB, eBGP attributes, changes as diffs, withdrawals', async () => {
      const { a, eventsB } = await pair(makeEnv());
      // The empty initial table is just End-of-RIB.
      await waitFor(() => eventsB.updateReceived.some((u) => u.endOfRib === 'ipv4'), 'End-of-RIB');
      a.setAdvertisements('to-b', [
        ad(v4('192.0.2.1'), { communities: [64512 * 65536 + 7], localPref: 300, med: 5, largeCommunities: [{ globalAdmin: 64512, localData1: 1, localData2: 2 }] }),
        ad(v4('192.0.2.2')),
        ad({ family: 'ipv6', address: '2001:db8::1', length: 128 }),
      ]);
      const announced = (): string[] => eventsB.updateReceived.flatMap((u) => u.announced.map((p) => `${p.address}/${p.length}`));
      await waitFor(() => announced().length >= 2, 'announcements');
      assert.deepEqual(announced().sort(), ['192.0.2.1/32', '192.0.2.2/32']);
      const first = eventsB.updateReceived.find((u) => u.announced.some((p) => p.address === '192.0.2.1'));
      assert.ok(first);
      const attrs = first.update.attributes;
      assert.deepEqual(attrs.find((x) => x.kind === 'origin'), { kind: 'origin', origin: 0 });
      assert.deepEqual(attrs.find((x) => x.kind === 'asPath'), { kind: 'asPath', segments: [{ type: 'sequence', asns: [64512] }] });
      assert.deepEqual(attrs.find((x) => x.kind === 'nextHop'), { kind: 'nextHop', nextHop: NH });
      assert.deepEqual(attrs.find((x) => x.kind === 'multiExitDisc'), { kind: 'multiExitDisc', med: 5 });
      assert.equal(attrs.find((x) => x.kind === 'localPref'), undefined, 'no LOCAL_PREF on eBGP');
      assert.deepEqual(attrs.find((x) => x.kind === 'communities'), { kind: 'communities', communities: [64512 * 65536 + 7] });
      assert.ok(attrs.some((x) => x.kind === 'largeCommunities'));
      const st = a.peerStatus('to-b');
      assert.equal(st?.prefixesAdvertised, 2);
      assert.equal(st?.prefixesNotSent, 1, 'the IPv6 prefix does not go over an IPv4 session');
      // Only the difference goes out: one withdrawal, nothing re-announced.
      const before = eventsB.updateReceived.length;
      a.setAdvertisements('to-b', [ad(v4('192.0.2.1'), { communities: [64512 * 65536 + 7], localPref: 300, med: 5, largeCommunities: [{ globalAdmin: 64512, localData1: 1, localData2: 2 }] })]);
      await waitFor(() => eventsB.updateReceived.length > before, 'withdrawal');
      const last = eventsB.updateReceived.slice(before);
      assert.deepEqual(last.flatMap((u) => u.withdrawn.map((p) => p.address)), ['192.0.2.2']);
      assert.deepEqual(last.flatMap((u) => u.announced), []);
      assert.equal(a.peerStatus('to-b')?.prefixesAdvertised, 1);
    });

    test('the default NEXT_HOP is the local address of the session (127/8 with loopbackNextHop at both ends)', async () => {
      const { a, eventsB } = await pair(makeEnv(), { defaultNextHop: true, a: { loopbackNextHop: true }, b: { loopbackNextHop: true } });
      a.setAdvertisements('to-b', [ad(v4('198.51.100.9'))]);
      await waitFor(() => eventsB.updateReceived.some((u) => u.announced.length > 0), 'announcement');
      const u = eventsB.updateReceived.find((x) => x.announced.length > 0);
      assert.deepEqual(u?.update.attributes.find((x) => x.kind === 'nextHop'), { kind: 'nextHop', nextHop: A });
      assert.equal(u?.withdrawAll, false);
    });

    test('without loopbackNextHop a 127/8 session address is no next hop: no route is sent (RFC 4271 §6.3)', async () => {
      const { a } = await pair(makeEnv(), { defaultNextHop: true });
      a.setAdvertisements('to-b', [ad(v4('198.51.100.9'))]);
      assert.deepEqual(a.advertisedRoutes('to-b'), []);
      assert.equal(a.peerStatus('to-b')?.prefixesNotSent, 1);
    });

    test('iBGP carries LOCAL_PREF and an empty AS_PATH', async () => {
      const { a, eventsB } = await pair(makeEnv(), { a: { peerAsn: 64513, localAsn: 64513 }, b: { peerAsn: 64513 } });
      a.setAdvertisements('to-b', [ad(v4('198.51.100.7'), { localPref: 150 })]);
      await waitFor(() => eventsB.updateReceived.some((u) => u.announced.length > 0), 'announcement');
      const u = eventsB.updateReceived.find((x) => x.announced.length > 0);
      assert.deepEqual(u?.update.attributes.find((x) => x.kind === 'localPref'), { kind: 'localPref', localPref: 150 });
      assert.deepEqual(u?.update.attributes.find((x) => x.kind === 'asPath'), { kind: 'asPath', segments: [] });
    });

    test('a session that reconnects sends the full table again', async () => {
      const { a, b, eventsB, clockA } = await pair(makeEnv());
      a.setAdvertisements('to-b', [ad(v4('192.0.2.9'))]);
      await waitFor(() => eventsB.updateReceived.some((u) => u.announced.length > 0), 'announcement');
      const ups = eventsB.sessionUp.length;
      const count = eventsB.updateReceived.filter((u) => u.announced.length > 0).length;
      await b.resetPeer('to-a', 'maintenance');
      // A backs off (first retry within 1 s) and dials again.
      await waitFor(() => a.peerStatus('to-b')?.state === 'Active', 'A backing off');
      clockA.advance(1000);
      await waitFor(() => eventsB.sessionUp.length > ups && eventsB.updateReceived.filter((u) => u.announced.length > 0).length > count, 'table again');
      assert.equal(a.peerStatus('to-b')?.lastNotificationReceived?.subcode, 4);
      assert.equal(a.peerStatus('to-b')?.lastNotificationReceived?.communication, 'maintenance');
      assert.equal(a.peerStatus('to-b')?.counters.flaps, 1);
    });

    test('hold timer expiry: the silent side is sent 4/0', async () => {
      const { a, eventsB, clockA } = await pair(makeEnv(), { a: { holdTimeSec: 9 } });
      // B's clock never moves, so B sends no KEEPALIVE; A's hold timer (9 s) runs out.
      clockA.advance(9000);
      await waitFor(() => eventsB.notificationReceived.length > 0, 'NOTIFICATION at B');
      assert.equal(eventsB.notificationReceived[0]?.notification.code, 4);
      assert.equal(eventsB.notificationReceived[0]?.notification.subcode, 0);
      const st = a.peerStatus('to-b');
      assert.equal(st?.lastNotificationSent?.code, 4);
      assert.equal(st?.counters.notificationsSent['4/0'], 1);
      assert.equal(st?.counters.flaps, 1);
      assert.equal(st?.state, 'Active');
      await waitFor(() => eventsB.sessionDown.length > 0, 'sessionDown at B');
      const reason = eventsB.sessionDown[0]?.reason;
      assert.ok(reason?.kind === 'notificationReceived' && reason.notification.code === 4);
    });

    test('keepalives keep a session up across several hold times', async () => {
      const clock = new ManualClock();
      const { a, b } = await pair(makeEnv(), { a: { holdTimeSec: 9 }, clockA: clock, clockB: clock });
      for (let i = 0; i < 10; i++) {
        const ka = a.peerStatus('to-b')?.counters.messagesReceived.keepalive ?? 0;
        clock.advance(3000);
        await waitFor(() => (a.peerStatus('to-b')?.counters.messagesReceived.keepalive ?? 0) > ka, 'keepalive');
      }
      assert.equal(a.peerStatus('to-b')?.state, 'Established');
      assert.equal(b.peerStatus('to-a')?.state, 'Established');
      assert.equal(a.peerStatus('to-b')?.counters.flaps, 0);
    });

    test('clean close: the other side sees Cease 6/2 with the shutdown communication', async () => {
      const { a, eventsB } = await pair(makeEnv());
      await a.close('going away');
      await waitFor(() => eventsB.notificationReceived.length > 0, 'Cease at B');
      const n = eventsB.notificationReceived[0]?.notification;
      assert.deepEqual([n?.code, n?.subcode, n?.communication], [6, 2, 'going away']);
    });

    test('removePeer sends Cease 6/3 (peer de-configured)', async () => {
      const { a, eventsB } = await pair(makeEnv());
      await a.removePeer('to-b');
      await waitFor(() => eventsB.notificationReceived.length > 0, 'Cease at B');
      assert.equal(eventsB.notificationReceived[0]?.notification.subcode, 3);
      assert.deepEqual(a.peers(), []);
    });

    test('a wrong peer AS is refused with 2/2 and the session retries', async () => {
      const env = makeEnv();
      const clockA = new ManualClock();
      const b = speaker(env, B, new ManualClock());
      await b.start();
      const a = speaker(env, A, clockA, false);
      const eventsB = record(b);
      b.addPeer({ name: 'to-a', localAsn: 64513, peerAsn: 64999, peerAddress: A, passive: true });
      a.addPeer({ name: 'to-b', localAsn: 64512, peerAsn: 64513, peerAddress: B, peerPort: b.listenAddress?.port ?? 0, sourceAddress: A });
      await waitFor(() => a.peerStatus('to-b')?.lastNotificationReceived !== undefined, 'NOTIFICATION at A');
      assert.equal(a.peerStatus('to-b')?.lastNotificationReceived?.code, 2);
      assert.equal(a.peerStatus('to-b')?.lastNotificationReceived?.subcode, 2);
      assert.equal(eventsB.sessionUp.length, 0);
      // The backoff (first retry within 1 s) brings another attempt.
      const attempts = a.peerStatus('to-b')?.counters.connectAttempts ?? 0;
      await waitFor(() => a.peerStatus('to-b')?.state === 'Active', 'Active');
      clockA.advance(1000);
      await waitFor(() => (a.peerStatus('to-b')?.counters.connectAttempts ?? 0) > attempts, 'retry');
    });

    test('an unknown source is refused and counted; the configured peer is untouched', async () => {
      const env = makeEnv();
      const { a, b, eventsB } = await pair(env);
      // A third speaker at 127.0.0.13 that B does not know.
      const c = speaker(env, '127.0.0.13', new ManualClock(), false);
      c.addPeer({ name: 'to-b', localAsn: 64999, peerAsn: 64513, peerAddress: B, peerPort: b.listenAddress?.port ?? 0, sourceAddress: '127.0.0.13' });
      await waitFor(() => eventsB.connectionRefused.length > 0, 'refusal');
      assert.equal(eventsB.connectionRefused[0]?.remoteAddress, '127.0.0.13');
      assert.equal(b.refusedConnections, 1);
      assert.equal(b.peerStatus('to-a')?.state, 'Established');
      assert.equal(a.peerStatus('to-b')?.state, 'Established');
    });

    test('collision: both dial at once, exactly one connection survives', async () => {
      const env = makeEnv();
      const clock = new ManualClock();
      const a = speaker(env, A, clock);
      const b = speaker(env, B, clock);
      await a.start();
      await b.start();
      const pa = a.listenAddress?.port ?? 0;
      const pb = b.listenAddress?.port ?? 0;
      a.addPeer({ name: 'to-b', localAsn: 64512, peerAsn: 64513, peerAddress: B, peerPort: pb, sourceAddress: A });
      b.addPeer({ name: 'to-a', localAsn: 64513, peerAsn: 64512, peerAddress: A, peerPort: pa, sourceAddress: B });
      const up = (): boolean => a.peerStatus('to-b')?.state === 'Established' && b.peerStatus('to-a')?.state === 'Established';
      // Should a timing corner lose both connections, the backoff retries; move the clock for it.
      for (let i = 0; i < 20 && !up(); i++) {
        await waitFor(() => up() || a.peerStatus('to-b')?.state === 'Active' || b.peerStatus('to-a')?.state === 'Active', 'progress').catch(() => undefined);
        if (!up()) clock.advance(2000);
      }
      await waitFor(up, 'Established on both');
      const sa = a.peerStatus('to-b');
      const sb = b.peerStatus('to-a');
      // One TCP connection: each side's local end is the other's remote end.
      assert.equal(sa?.localPort, sb?.remotePort);
      assert.equal(sa?.remotePort, sb?.localPort);
      // Both connections were opened and one was closed by collision resolution ...
      assert.ok((sa?.counters.connectionsAccepted ?? 0) >= 1 && (sb?.counters.connectionsAccepted ?? 0) >= 1);
      assert.ok((sa?.counters.collisions ?? 0) + (sb?.counters.collisions ?? 0) >= 1);
      // ... keeping the one B (the higher BGP Identifier) opened (RFC 4271 §6.8).
      assert.equal(sa?.localPort, pa, 'the surviving connection is the one B opened');
      assert.ok(sa?.counters.notificationsSent['6/7'] || sb?.counters.notificationsSent['6/7'], 'Cease 6/7 sent');
      // It stays up: keepalives flow and nothing else closes.
      clock.advance(30_000);
      await waitFor(() => (a.peerStatus('to-b')?.counters.messagesReceived.keepalive ?? 0) >= 2, 'keepalive');
      assert.ok(up());
    });

    test('IPv6 session over ::1 carries IPv6 routes in MP_REACH with the local IPv6 next hop', async () => {
      const env = makeEnv();
      const b = new Speaker({ transport: env.transport('::1'), clock: new ManualClock(), logger: silentLogger, listen: { address: '::1', port: 0 }, routerId: '10.0.0.2' });
      speakers.push(b);
      await b.start();
      const a = new Speaker({ transport: env.transport('::1'), clock: new ManualClock(), logger: silentLogger, routerId: '10.0.0.1' });
      speakers.push(a);
      const eventsB = record(b);
      b.addPeer({ name: 'to-a', localAsn: 64513, peerAsn: 64512, peerAddress: '::1', passive: true });
      a.addPeer({ name: 'to-b', localAsn: 64512, peerAsn: 64513, peerAddress: '::1', peerPort: b.listenAddress?.port ?? 0 });
      await waitFor(() => a.peerStatus('to-b')?.state === 'Established', 'Established');
      a.setAdvertisements('to-b', [ad({ family: 'ipv6', address: '2001:db8::5', length: 128 }), ad(v4('192.0.2.5'))]);
      await waitFor(() => eventsB.updateReceived.some((u) => u.announced.length > 0), 'announcement');
      const u = eventsB.updateReceived.find((x) => x.announced.length > 0);
      assert.deepEqual(u?.announced, [{ family: 'ipv6', address: '2001:db8::5', length: 128 }]);
      const mp = u?.update.attributes.find((x) => x.kind === 'mpReachNlri');
      assert.ok(mp?.kind === 'mpReachNlri');
      assert.deepEqual(mp.nextHops, ['::1']);
      assert.deepEqual(a.peerStatus('to-b')?.families, ['ipv6']);
    });
  });
}

describe('session with a hostile peer (net)', () => {
  test('garbage bytes get a header-error NOTIFICATION; the session survives to retry', async () => {
    const clock = new ManualClock();
    const b = speaker(netEnv, B, clock);
    await b.start();
    b.addPeer({ name: 'to-a', localAsn: 64513, peerAsn: 64512, peerAddress: A, passive: true });
    const port = b.listenAddress?.port ?? 0;
    const received: Buffer[] = [];
    const sock = net.createConnection({ host: B, port, localAddress: A });
    sock.on('data', (d: Buffer) => received.push(d));
    const closed = new Promise<void>((r) => sock.on('close', () => r()));
    sock.on('error', () => undefined);
    await new Promise<void>((r) => sock.once('connect', () => r()));
    sock.write(Buffer.alloc(19, 0)); // a header whose marker is not all ones
    await closed;
    const all = Buffer.concat(received);
    // Our OPEN comes first, then NOTIFICATION 1/1 (Connection Not Synchronized, RFC 4271 §6.1).
    const notif = all.subarray(all.length - 21);
    assert.equal(notif[18], 3, 'message type NOTIFICATION');
    assert.deepEqual([notif[19], notif[20]], [1, 1]);
    assert.equal(b.peerStatus('to-a')?.state, 'Active');
    assert.equal(b.peerStatus('to-a')?.lastNotificationSent?.code, 1);
  });
});
