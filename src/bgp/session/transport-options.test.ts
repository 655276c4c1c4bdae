// The transport options of a peer, each applied: TCP MD5 password, TTL (ebgpMultiHop), sourceAddress,
// peerPort, connectTime and routerId. Two of our speakers peer over the in-memory transport and over
// real sockets on loopback (TCP MD5 needs no privilege there); timers run on manual clocks. A
// connection that must not come up is shown by the event that stops it (the kernel's MD5 drop
// counter rising, the memory network's drop count), never by waiting.
import { describe, test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { Speaker } from './speaker.js';
import { ManualClock } from './clock.js';
import { MemoryNetwork } from './memory-transport.js';
import { connectionHopLimit, netTransport } from './net-transport.js';
import type { Connection, Transport } from './transport.js';
import type { PeerSettings } from './settings.js';
import { isIbgp, transportOptionsFor, ttlFor, validatePeerSettings } from './settings.js';
import { silentBgpLogger } from './logger.js';
import type { BgpLogger } from './logger.js';
import { readTcpMd5Counters } from './md5-counters.js';
import type { TcpMd5Counters } from './md5-counters.js';
import { socketOptionsProblem } from './socket-options.js';

async function waitFor(pred: () => boolean, what: string, boundMs = 10_000): Promise<void> {
  const start = Date.now();
  while (!pred()) {
    if (Date.now() - start > boundMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 1));
  }
}

const speakers: Speaker[] = [];
afterEach(async () => {
  await Promise.all(speakers.splice(0).map((s) => s.close()));
});

const A = '127.0.0.21';
const B = '127.0.0.22';

interface Env {
  readonly name: string;
  transport(host: string): Transport;
  /** Resolves when a connection was dropped for its MD5 signature after this call. */
  md5Drop(): () => boolean;
}

function memoryEnv(): Env & { network: MemoryNetwork } {
  const network = new MemoryNetwork();
  return {
    name: 'memory',
    network,
    transport: (host) => network.transport(host),
    md5Drop: () => {
      const before = network.md5Drops;
      return () => network.md5Drops > before;
    },
  };
}

function total(c: TcpMd5Counters | undefined): number {
  return c ? c.failure + c.notFound + c.unexpected : 0;
}
const netEnv: Env = {
  name: 'net',
  transport: () => netTransport,
  md5Drop: () => {
    const before = total(readTcpMd5Counters());
    return () => total(readTcpMd5Counters()) > before;
  },
};

function speaker(transport: Transport, host: string, clock: ManualClock, listen: boolean, extra: { logger?: BgpLogger; counters?: () => TcpMd5Counters | undefined } = {}): Speaker {
  const s = new Speaker({
    transport,
    clock,
    logger: extra.logger ?? silentBgpLogger,
    random: () => 0.5,
    closeTimeoutMs: 2000,
    ...(listen ? { listen: { address: host, port: 0 } } : {}),
    ...(extra.counters ? { tcpMd5Counters: extra.counters, tcpMd5CheckIntervalMs: 1000 } : {}),
  });
  speakers.push(s);
  return s;
}

/** B listens (passive peer A); A dials B. Returns both, not waiting for anything. */
async function pair(env: Env, a: Partial<PeerSettings>, b: Partial<PeerSettings>) {
  const clockA = new ManualClock();
  const sb = speaker(env.transport(B), B, new ManualClock(), true);
  await sb.start();
  const sa = speaker(env.transport(A), A, clockA, false);
  sb.addPeer({ name: 'to-a', localAsn: 64513, peerAsn: 64512, peerAddress: A, passive: true, ...b });
  sa.addPeer({ name: 'to-b', localAsn: 64512, peerAsn: 64513, peerAddress: B, peerPort: sb.listenAddress?.port ?? 0, sourceAddress: A, ...a });
  return { sa, sb, clockA };
}

const established = (s: Speaker, name: string) => () => s.peerStatus(name)?.state === 'Established';

const ffi = socketOptionsProblem();
for (const makeEnv of [memoryEnv, () => netEnv]) {
  const env0 = makeEnv();
  describe(`TCP MD5 (RFC 2385) over ${env0.name}`, { skip: env0.name === 'net' && ffi !== undefined ? ffi : false }, () => {
    test('the same password on both sides: Established', async () => {
      const { sa, sb } = await pair(makeEnv(), { password: 's3cret' }, { password: 's3cret' });
      await waitFor(() => established(sa, 'to-b')() && established(sb, 'to-a')(), 'Established');
    });

    for (const [what, a, b] of [
      ['a wrong password', { password: 'wrong' }, { password: 's3cret' }],
      ['no password on the dialling side', {}, { password: 's3cret' }],
      ['no password on the listening side', { password: 's3cret' }, {}],
    ] as const) {
      test(`${what}: the SYN is dropped, no session`, async () => {
        const env = makeEnv();
        const dropped = env.md5Drop();
        const { sa, sb } = await pair(env, a, b);
        await waitFor(dropped, 'an MD5 drop');
        assert.notEqual(sa.peerStatus('to-b')?.state, 'Established');
        assert.notEqual(sb.peerStatus('to-a')?.state, 'Established');
        assert.equal(sb.peerStatus('to-a')?.counters.connectionsAccepted, 0);
      });
    }

    test('a password changed on the listener applies to the next connection', async () => {
      const env = makeEnv();
      const dropped = env.md5Drop();
      const { sa, sb, clockA } = await pair(env, { password: 'new', connectTimeSec: 1 }, { password: 'old' });
      await waitFor(dropped, 'an MD5 drop');
      await sb.updatePeer({ name: 'to-a', localAsn: 64513, peerAsn: 64512, peerAddress: A, passive: true, password: 'new' });
      // A's connect attempt times out (10 s) and it retries within connectTime.
      for (let i = 0; i < 30 && !established(sa, 'to-b')(); i++) {
        clockA.advance(1000);
        await new Promise((r) => setTimeout(r, 5));
      }
      await waitFor(established(sa, 'to-b'), 'Established with the new password');
    });
  });
}

describe('TTL (ebgpMultiHop) over net', { skip: ffi ?? false }, () => {
  test('dialled and accepted connections carry the TTL of their peer: 1 single-hop eBGP, 255 multihop eBGP and iBGP', async () => {
    const accepted: Connection[] = [];
    const listener = await netTransport.listen({ host: B, port: 0 }, (c) => accepted.push(c));
    try {
      for (const [settings, want] of [
        [{ localAsn: 64512, peerAsn: 64513 }, 1],
        [{ localAsn: 64512, peerAsn: 64513, ebgpMultiHop: true }, 255],
        [{ localAsn: 64512, peerAsn: 64512 }, 255],
        [{ localAsn: 64512, dynamicAsn: 'external' as const }, 1],
        [{ localAsn: 64512, dynamicAsn: 'internal' as const }, 255],
      ] as const) {
        const peer: PeerSettings = { name: 'p', peerAddress: B, ...settings };
        listener.setPeerOptions(A, transportOptionsFor({ ...peer, peerAddress: A }));
        const conn = await new Promise<Connection>((resolve, reject) => {
          netTransport.connect({ host: B, port: listener.port, localAddress: A, ...transportOptionsFor(peer) }, (e, c) => (c ? resolve(c) : reject(e)));
        });
        await waitFor(() => accepted.length > 0, 'accepted');
        const other = accepted.shift() as Connection;
        assert.equal(connectionHopLimit(conn), want, JSON.stringify(settings));
        assert.equal(connectionHopLimit(other), want, `accepted, ${JSON.stringify(settings)}`);
        conn.destroy();
        other.destroy();
      }
    } finally {
      await listener.close();
    }
  });

  test('IPv6: the MD5 key and the hop limit on ::1', async () => {
    const accepted: Connection[] = [];
    const listener = await netTransport.listen({ host: '::1', port: 0 }, (c) => accepted.push(c));
    try {
      listener.setPeerOptions('::1', { md5Password: 'v6', ttl: 255 });
      const conn = await new Promise<Connection>((resolve, reject) => {
        netTransport.connect({ host: '::1', port: listener.port, md5Password: 'v6', ttl: 1 }, (e, c) => (c ? resolve(c) : reject(e)));
      });
      await waitFor(() => accepted.length > 0, 'accepted');
      assert.equal(connectionHopLimit(conn), 1);
      assert.equal(connectionHopLimit(accepted[0] as Connection), 255);
      conn.destroy();
      accepted[0]?.destroy();
      const dropped = netEnv.md5Drop();
      const cancel = netTransport.connect({ host: '::1', port: listener.port, md5Password: 'other' }, () => assert.fail('connected with another password'));
      await waitFor(dropped, 'an MD5 drop');
      cancel();
    } finally {
      await listener.close();
    }
  });

  test('a sourceAddress that is not local fails the connect with the errno, not silently', async () => {
    const error = await new Promise<Error | undefined>((resolve) => {
      netTransport.connect({ host: B, port: 9, localAddress: '192.0.2.1', ttl: 1 }, (e) => resolve(e));
    });
    assert.equal((error as { code?: string } | undefined)?.code, 'EADDRNOTAVAIL');
  });
});

describe('transport options over memory', () => {
  test('ebgpMultiHop: the TTL of both ends of the connection', async () => {
    const env = memoryEnv();
    const { sa, sb } = await pair(env, { ebgpMultiHop: true }, { ebgpMultiHop: true });
    await waitFor(() => established(sa, 'to-b')() && established(sb, 'to-a')(), 'Established');
    assert.equal(env.network.ttls.get(`${A}|${B}`), 255);
    assert.equal(env.network.ttls.get(`${B}|${A}`), 255);
    const single = memoryEnv();
    const p = await pair(single, {}, {});
    await waitFor(established(p.sa, 'to-b'), 'Established');
    assert.equal(single.network.ttls.get(`${A}|${B}`), 1);
    assert.equal(single.network.ttls.get(`${B}|${A}`), 1);
  });

  test('sourceAddress, peerPort and routerId reach the peer', async () => {
    const { sa, sb } = await pair(memoryEnv(), { routerId: '10.9.8.7' }, {});
    await waitFor(() => established(sa, 'to-b')() && established(sb, 'to-a')(), 'Established');
    const a = sa.peerStatus('to-b');
    const b = sb.peerStatus('to-a');
    assert.equal(a?.localAddress, A);
    assert.equal(b?.remoteAddress, A);
    assert.equal(a?.remotePort, sb.listenAddress?.port);
    assert.equal(b?.remoteRouterId, '10.9.8.7');
  });

  test('connectTime: the time between connection attempts is at most connectTime', async () => {
    const count = async (connectTimeSec?: number): Promise<number> => {
      const network = new MemoryNetwork();
      const clock = new ManualClock();
      const s = speaker(network.transport(A), A, clock, false);
      // Nothing listens at B: every attempt is refused at once.
      s.addPeer({ name: 'p', localAsn: 64512, peerAsn: 64513, peerAddress: B, ...(connectTimeSec !== undefined ? { connectTimeSec } : {}) });
      for (let t = 0; t < 60; t++) {
        clock.advance(1000);
        await new Promise((r) => setImmediate(r));
        await new Promise((r) => setImmediate(r));
      }
      const attempts = s.peerStatus('p')?.counters.connectAttempts ?? 0;
      await s.close();
      return attempts;
    };
    const capped = await count(2);
    const uncapped = await count();
    // 60 s with at most 2 s between attempts: 30 or more; with the default cap (120 s), doubling
    // from 1 s: 1+2+4+8+16+32 > 60, so at most 7.
    assert.ok(capped >= 30, `connectTime 2: ${capped} attempts in 60 s`);
    assert.ok(uncapped <= 7, `default: ${uncapped} attempts in 60 s`);
  });

  test('a connect never answered (a peer dropping our SYN for its password) is explained in status when the attempt times out', async () => {
    const env = memoryEnv();
    const { sa, clockA } = await pair(env, { password: 'wrong', connectTimeoutSec: 5 }, { password: 's3cret' });
    await waitFor(() => env.network.md5Drops > 0, 'an MD5 drop');
    assert.equal(sa.peerStatus('to-b')?.connectionProblem, undefined);
    clockA.advance(5000);
    assert.match(sa.peerStatus('to-b')?.connectionProblem?.reason ?? '', /no answer to our SYN to 127\.0\.0\.22 port \d+ within 5 s: .*its TCP MD5 password differs/);
  });

  test('a rise of the MD5 counters that fits the peer is reported in status and logged', async () => {
    let counters: TcpMd5Counters = { notFound: 5, unexpected: 7, failure: 9 };
    const logged: string[] = [];
    const logger: BgpLogger = { ...silentBgpLogger, warn: (event, _m, fields) => logged.push(`${event} ${String(fields?.reason ?? '')}`) };
    const network = new MemoryNetwork();
    const clock = new ManualClock();
    const s = speaker(network.transport(A), A, clock, false, { logger, counters: () => counters });
    s.addPeer({ name: 'with', localAsn: 64512, peerAsn: 64513, peerAddress: B, password: 'p' });
    s.addPeer({ name: 'without', localAsn: 64512, peerAsn: 64513, peerAddress: '127.0.0.23' });
    counters = { notFound: 5, unexpected: 7, failure: 12 };
    clock.advance(1000);
    assert.match(s.peerStatus('with')?.connectionProblem?.reason ?? '', /TCPMD5Failure rose by 3.*password likely differs/);
    assert.equal(s.peerStatus('without')?.connectionProblem, undefined);
    counters = { notFound: 5, unexpected: 8, failure: 12 };
    clock.advance(1000);
    assert.match(s.peerStatus('without')?.connectionProblem?.reason ?? '', /TCPMD5Unexpected rose by 1.*requires a password/);
    assert.equal(logged.filter((l) => l.startsWith('connectionProblem') && l.includes('TCPMD5')).length, 2);
  });
});

describe('settings', () => {
  test('ttlFor: 1 for single-hop eBGP, 255 for multihop eBGP and iBGP', () => {
    const base = { name: 'p', peerAddress: '10.0.0.1', localAsn: 64512 };
    assert.equal(ttlFor({ ...base, peerAsn: 64513 }), 1);
    assert.equal(ttlFor({ ...base, peerAsn: 64513, ebgpMultiHop: true }), 255);
    assert.equal(ttlFor({ ...base, peerAsn: 64512 }), 255);
    assert.equal(isIbgp({ ...base, dynamicAsn: 'internal' }), true);
    assert.deepEqual(transportOptionsFor({ ...base, peerAsn: 64513, password: 'x' }), { md5Password: 'x', ttl: 1 });
    assert.deepEqual(transportOptionsFor({ ...base, peerAsn: 64512 }), { ttl: 255 });
  });

  test('a password of 1..80 bytes; ebgpMultiHop only on eBGP', () => {
    const base = { name: 'p', peerAddress: '10.0.0.1', localAsn: 64512, peerAsn: 64513 };
    assert.deepEqual(validatePeerSettings({ ...base, password: 'x'.repeat(80) }), []);
    assert.equal(validatePeerSettings({ ...base, password: 'x'.repeat(81) }).length, 1);
    assert.equal(validatePeerSettings({ ...base, password: '' }).length, 1);
    // Multi-byte characters count in bytes: 27 × 3 bytes = 81.
    assert.equal(validatePeerSettings({ ...base, password: '€'.repeat(27) }).length, 1);
    assert.equal(validatePeerSettings({ ...base, peerAsn: 64512, ebgpMultiHop: true }).length, 1);
  });
});
