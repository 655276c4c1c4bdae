/**
 * Hostile input against a real `Speaker` over real TCP sockets on loopback (no root needed). Two
 * well-behaved raw peers hold sessions with the speaker throughout; for each malformed-message class a
 * fresh raw peer (its own 127.0.0.x address) accepts the speaker's connection and sends the bad
 * bytes (built by hand in lab/raw-bgp.ts, not by our codec). We check that the peer receives the
 * NOTIFICATION RFC 4271 §6 (with RFC 7606) prescribes, code, subcode and where specified the data;
 * that RFC 7606 treat-as-withdraw cases keep the session up with no NOTIFICATION; that the process
 * keeps running; that the good sessions see no reset at all; and that the hostile peer's session
 * comes back (connect retry) once it behaves.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Speaker } from '../../src/bgp/session/speaker.js';
import type { SpeakerEvents } from '../../src/bgp/session/speaker.js';
import { silentLogger } from '../../src/observe/log.js';
import { waitUntil, sleep } from './lab/lab.js';
import { attr, behave, goodAttrs, ipv4, KEEPALIVE, message, open, RawPeer, u16, u32, update } from './lab/raw-bgp.js';
import type { RawConnection } from './lab/raw-bgp.js';

const LOCAL_AS = 64512;
const PEER_AS = 65001;
const HOLD = 9;

let speaker: Speaker;
const goodPeers: RawPeer[] = [];
const hostilePeers: RawPeer[] = [];
const downs: SpeakerEvents['sessionDown'][] = [];
const updates: SpeakerEvents['updateReceived'][] = [];
let nextHost = 40;

function peerOpen(bgpId: string, over: Partial<Parameters<typeof open>[0]> = {}): Buffer {
  return open({ asn: PEER_AS, bgpId, holdTime: HOLD, ...over });
}

async function addSpeakerPeer(p: RawPeer, name: string): Promise<void> {
  speaker.addPeer({
    name,
    localAsn: LOCAL_AS,
    peerAsn: PEER_AS,
    peerAddress: p.address,
    peerPort: p.port,
    sourceAddress: '127.0.0.1',
    holdTimeSec: HOLD,
    backoff: { initialMs: 300, maxMs: 1000, jitter: 0.1 },
  });
  await waitUntil(() => speaker.peerStatus(name)?.state === 'Established', { timeoutMs: 15_000, intervalMs: 50, what: `${name} Established` }).catch(
    () => undefined,
  );
}

before(async () => {
  speaker = new Speaker({ routerId: '127.0.0.1', logger: silentLogger });
  speaker.on('sessionDown', (e) => downs.push(e));
  speaker.on('updateReceived', (e) => updates.push(e));
  await speaker.start();
  for (let i = 0; i < 2; i++) {
    const address = `127.0.0.${20 + i}`;
    const p = await new RawPeer(address, behave({ asn: PEER_AS, bgpId: address, holdTime: HOLD }, 1000)).listen();
    goodPeers.push(p);
    speaker.addPeer({
      name: `good-${i}`,
      localAsn: LOCAL_AS,
      peerAsn: PEER_AS,
      peerAddress: address,
      peerPort: p.port,
      sourceAddress: '127.0.0.1',
      holdTimeSec: HOLD,
    });
  }
  await waitUntil(() => speaker.peerStatus('good-0')?.state === 'Established' && speaker.peerStatus('good-1')?.state === 'Established', {
    timeoutMs: 15_000,
    what: 'good sessions Established',
  });
});

after(async () => {
  await speaker?.close();
  for (const p of [...goodPeers, ...hostilePeers]) await p.close();
});

/** The good sessions are still the very first connections, Established, never notified or reset. */
function assertGoodUntouched(): void {
  for (const [i, p] of goodPeers.entries()) {
    assert.equal(p.connections.length, 1, `good-${i} reconnected`);
    const c = p.connections[0] as RawConnection;
    assert.equal(c.closed, false, `good-${i} connection closed`);
    assert.deepEqual(c.notifications, [], `good-${i} got a NOTIFICATION`);
    assert.equal(speaker.peerStatus(`good-${i}`)?.state, 'Established');
  }
  assert.equal(downs.filter((d) => (d as { name?: string }).name?.startsWith('good-')).length, 0);
}

type Stage = 'open' | 'established';

/** Completes the handshake from the peer's side (OPEN, KEEPALIVE) and waits for the speaker's KEEPALIVE. */
async function establish(c: RawConnection, bgpId: string): Promise<void> {
  c.send(peerOpen(bgpId));
  await c.waitType(1);
  c.send(KEEPALIVE);
  await c.waitType(4);
}

/**
 * Runs one hostile class: the first connection gets `bytes` at `stage`, later connections behave.
 * Returns the first connection.
 */
async function hostile(name: string, stage: Stage, bytes: (bgpId: string) => Buffer): Promise<{ first: RawConnection; peer: RawPeer; bgpId: string }> {
  const address = `127.0.0.${nextHost++}`;
  const good = behave({ asn: PEER_AS, bgpId: address, holdTime: HOLD }, 1000);
  const peer = await new RawPeer(address, async (c, index) => {
    if (index > 0) return good(c);
    if (stage === 'open') {
      await c.waitType(1); // the speaker's OPEN: we are in its OpenSent state now
      c.send(bytes(address));
    } else {
      await establish(c, address);
      c.send(bytes(address));
    }
  }).listen();
  hostilePeers.push(peer);
  await addSpeakerPeer(peer, name);
  const first = await peer.waitConnection(1);
  return { first, peer, bgpId: address };
}

/** Expects a NOTIFICATION with code/subcode (and data), then the session back on a new connection. */
async function expectResetAndRecovery(name: string, h: { first: RawConnection; peer: RawPeer }, code: number, subcode: number, data?: readonly number[]): Promise<void> {
  const n = await h.first.waitNotification();
  assert.deepEqual([n.code, n.subcode], [code, subcode], `NOTIFICATION ${n.code}/${n.subcode}, want ${code}/${subcode}`);
  if (data) assert.deepEqual([...n.data], [...data]);
  await h.first.waitClosed();
  await h.peer.waitConnection(2);
  await waitUntil(() => speaker.peerStatus(name)?.state === 'Established', { timeoutMs: 15_000, intervalMs: 50, what: `${name} back to Established` });
  assertGoodUntouched();
  await speaker.removePeer(name);
}

/** Expects the RFC 7606 treatment without a reset: the UPDATE is reported with the error, no NOTIFICATION. */
async function expectTreatAsWithdraw(name: string, h: { first: RawConnection }, code: number, subcode: number): Promise<void> {
  const u = await waitUntil(() => updates.find((x) => (x as { name?: string }).name === name && x.errors.length > 0), { timeoutMs: 10_000, what: `${name} UPDATE error` });
  assert.ok(u.withdrawAll, 'treat-as-withdraw expected');
  assert.ok(
    u.errors.some((e) => e.code === code && e.subcode === subcode && e.handling === 'treat-as-withdraw'),
    `errors: ${JSON.stringify(u.errors.map((e) => [e.code, e.subcode, e.handling]))}`,
  );
  await sleep(500);
  assert.deepEqual(h.first.notifications, []);
  assert.equal(h.first.closed, false);
  assert.equal(speaker.peerStatus(name)?.state, 'Established');
  assertGoodUntouched();
  await speaker.removePeer(name);
}

const T = { timeout: 30_000 };
const NLRI = [32, 198, 51, 100, 9];
/** A NEXT_HOP that is valid as data (the codec flags loopback next hops as invalid, RFC 4271 §6.3). */
const NH = '192.0.2.1';

// --- Message header errors (RFC 4271 §6.1) -------------------------------------------------------

test('hostile: bad marker -> 1/1 Connection Not Synchronized', T, async () => {
  const h = await hostile('bad-marker', 'open', () => message(4, [], { marker: new Array<number>(16).fill(0) }));
  await expectResetAndRecovery('bad-marker', h, 1, 1);
});

test('hostile: length below 19 -> 1/2 Bad Message Length, data = the length', T, async () => {
  const h = await hostile('bad-length-short', 'open', () => message(4, [], { length: 18 }));
  await expectResetAndRecovery('bad-length-short', h, 1, 2, u16(18));
});

test('hostile: length above 4096 -> 1/2 Bad Message Length, data = the length', T, async () => {
  const h = await hostile('bad-length-long', 'open', () => message(2, new Array<number>(4200).fill(0)));
  await expectResetAndRecovery('bad-length-long', h, 1, 2, u16(4219));
});

test('hostile: KEEPALIVE of 20 octets -> 1/2 Bad Message Length', T, async () => {
  const h = await hostile('bad-keepalive-length', 'established', () => message(4, [0]));
  await expectResetAndRecovery('bad-keepalive-length', h, 1, 2, u16(20));
});

test('hostile: unknown message type -> 1/3 Bad Message Type, data = the type', T, async () => {
  const h = await hostile('bad-type', 'established', () => message(42, []));
  await expectResetAndRecovery('bad-type', h, 1, 3, [42]);
});

// --- OPEN errors (RFC 4271 §6.2) ----------------------------------------------------------------

test('hostile: OPEN version 5 -> 2/1 Unsupported Version Number, data = 4', T, async () => {
  const h = await hostile('open-version', 'open', (id) => peerOpen(id, { version: 5 }));
  await expectResetAndRecovery('open-version', h, 2, 1, u16(4));
});

test('hostile: OPEN from the wrong AS -> 2/2 Bad Peer AS', T, async () => {
  const h = await hostile('open-peer-as', 'open', (id) => peerOpen(id, { asn: 65099 }));
  await expectResetAndRecovery('open-peer-as', h, 2, 2);
});

test('hostile: OPEN with BGP Identifier 0.0.0.0 -> 2/3 Bad BGP Identifier', T, async () => {
  const h = await hostile('open-bgp-id', 'open', () => peerOpen('0.0.0.0'));
  await expectResetAndRecovery('open-bgp-id', h, 2, 3);
});

test('hostile: OPEN with an unsupported optional parameter -> 2/4', T, async () => {
  const caps = [1, 4, 0, 1, 0, 1, 65, 4, ...u32(PEER_AS)];
  const h = await hostile('open-param', 'open', (id) => peerOpen(id, { params: [2, caps.length, ...caps, 99, 2, 0xab, 0xcd] }));
  await expectResetAndRecovery('open-param', h, 2, 4);
});

test('hostile: OPEN with hold time 2 -> 2/6 Unacceptable Hold Time', T, async () => {
  const h = await hostile('open-hold', 'open', (id) => peerOpen(id, { holdTime: 2 }));
  await expectResetAndRecovery('open-hold', h, 2, 6);
});

test('hostile: OPEN shorter than 29 octets (truncated) -> 1/2 Bad Message Length', T, async () => {
  const h = await hostile('open-truncated', 'open', (id) => message(1, [4, ...u16(PEER_AS), ...u16(HOLD), ...ipv4(id)]));
  await expectResetAndRecovery('open-truncated', h, 1, 2, u16(28));
});

// --- UPDATE errors (RFC 4271 §6.3, RFC 7606) ----------------------------------------------------

test('hostile: UPDATE whose attribute length overruns the message -> 3/1 Malformed Attribute List', T, async () => {
  const h = await hostile('update-attr-list', 'established', () => update({ attrs: goodAttrs(PEER_AS, NH), attrLength: 200, nlri: NLRI }));
  await expectResetAndRecovery('update-attr-list', h, 3, 1);
});

test('hostile: UPDATE shorter than 23 octets (truncated) -> 1/2 Bad Message Length', T, async () => {
  const h = await hostile('update-truncated', 'established', () => message(2, [0, 0]));
  await expectResetAndRecovery('update-truncated', h, 1, 2, u16(21));
});

test('hostile: UPDATE with NLRI prefix length 33 -> 3/10 Invalid Network Field (RFC 7606 §5.3)', T, async () => {
  const h = await hostile('update-nlri', 'established', () => update({ attrs: goodAttrs(PEER_AS, NH), nlri: [33, 198, 51, 100, 9, 0] }));
  await expectResetAndRecovery('update-nlri', h, 3, 10);
});

test('hostile: ORIGIN with wrong flags -> RFC 7606 §3(c) treat-as-withdraw (3/4), no reset', T, async () => {
  const h = await hostile('update-flags', 'established', () =>
    update({ attrs: [...attr(0xc0, 1, [0]), ...attr(0x40, 2, [2, 1, ...u32(PEER_AS)]), ...attr(0x40, 3, ipv4(NH))], nlri: NLRI }),
  );
  await expectTreatAsWithdraw('update-flags', h, 3, 4);
});

test('hostile: ORIGIN value 5 -> RFC 7606 §7.1 treat-as-withdraw (3/6), no reset', T, async () => {
  const h = await hostile('update-origin', 'established', () =>
    update({ attrs: [...attr(0x40, 1, [5]), ...attr(0x40, 2, [2, 1, ...u32(PEER_AS)]), ...attr(0x40, 3, ipv4(NH))], nlri: NLRI }),
  );
  await expectTreatAsWithdraw('update-origin', h, 3, 6);
});

test('hostile: NEXT_HOP of 5 octets -> RFC 7606 §7.3 treat-as-withdraw (3/5), no reset', T, async () => {
  const h = await hostile('update-next-hop', 'established', () =>
    update({ attrs: [...attr(0x40, 1, [0]), ...attr(0x40, 2, [2, 1, ...u32(PEER_AS)]), ...attr(0x40, 3, [...ipv4(NH), 1])], nlri: NLRI }),
  );
  await expectTreatAsWithdraw('update-next-hop', h, 3, 5);
});

test('hostile: AS_PATH with segment type 7 -> RFC 7606 §7.2 treat-as-withdraw (3/11), no reset', T, async () => {
  const h = await hostile('update-as-path', 'established', () =>
    update({ attrs: [...attr(0x40, 1, [0]), ...attr(0x40, 2, [7, 1, ...u32(PEER_AS)]), ...attr(0x40, 3, ipv4(NH))], nlri: NLRI }),
  );
  await expectTreatAsWithdraw('update-as-path', h, 3, 11);
});

test('hostile: NEXT_HOP 0.0.0.0 (semantically wrong) -> no NOTIFICATION, session stays up (RFC 4271 §6.3, RFC 7606 §7.3)', T, async () => {
  const h = await hostile('update-next-hop-zero', 'established', () =>
    update({ attrs: [...attr(0x40, 1, [0]), ...attr(0x40, 2, [2, 1, ...u32(PEER_AS)]), ...attr(0x40, 3, [0, 0, 0, 0])], nlri: NLRI }),
  );
  const u = await waitUntil(() => updates.find((x) => (x as { name?: string }).name === 'update-next-hop-zero'), { timeoutMs: 10_000, what: 'UPDATE seen' });
  // Either ignored (RFC 4271 §6.3) or treated as withdrawn (RFC 7606 §7.3): never announced.
  assert.equal(u.announced.length, 0);
  await sleep(500);
  assert.deepEqual(h.first.notifications, []);
  assert.equal(h.first.closed, false);
  assert.equal(speaker.peerStatus('update-next-hop-zero')?.state, 'Established');
  assertGoodUntouched();
  await speaker.removePeer('update-next-hop-zero');
});

test('hostile: UPDATE without ORIGIN -> RFC 7606 §3(d) treat-as-withdraw (3/3), no reset', T, async () => {
  const h = await hostile('update-missing', 'established', () =>
    update({ attrs: [...attr(0x40, 2, [2, 1, ...u32(PEER_AS)]), ...attr(0x40, 3, ipv4(NH))], nlri: NLRI }),
  );
  await expectTreatAsWithdraw('update-missing', h, 3, 3);
});

test('hostile: unrecognized well-known attribute -> 3/2 Unrecognized Well-known Attribute', T, async () => {
  const h = await hostile('update-unknown-wk', 'established', () => update({ attrs: [...goodAttrs(PEER_AS, NH), ...attr(0x40, 99, [1, 2])], nlri: NLRI }));
  await expectResetAndRecovery('update-unknown-wk', h, 3, 2);
});

test('hostile: MP_REACH_NLRI with an IPv6 prefix of length 129 -> 3/9 Optional Attribute Error (RFC 4760 §7, RFC 7606 §5.3)', T, async () => {
  const nh = [0xfd, 0, 0, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x28];
  const mp = [0, 2, 1, 16, ...nh, 0, 129, ...new Array<number>(17).fill(0x20)];
  const h = await hostile('update-mp-nlri', 'established', () =>
    update({ attrs: [...attr(0x40, 1, [0]), ...attr(0x40, 2, [2, 1, ...u32(PEER_AS)]), ...attr(0x80, 14, mp)] }),
  );
  await expectResetAndRecovery('update-mp-nlri', h, 3, 9);
});

test('hostile: two MP_REACH_NLRI attributes -> 3/1 Malformed Attribute List (RFC 7606 §3(g))', T, async () => {
  const nh = [0xfd, 0, 0, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x28];
  const mp = [0, 2, 1, 16, ...nh, 0, 128, ...new Array<number>(16).fill(0x20)];
  const h = await hostile('update-dup-mp', 'established', () =>
    update({ attrs: [...attr(0x40, 1, [0]), ...attr(0x40, 2, [2, 1, ...u32(PEER_AS)]), ...attr(0x80, 14, mp), ...attr(0x80, 14, mp)] }),
  );
  await expectResetAndRecovery('update-dup-mp', h, 3, 1);
});

test('hostile: a duplicated MED -> RFC 7606 §3(g) attribute discard, no reset, the route kept', T, async () => {
  const h = await hostile('update-dup-med', 'established', () =>
    update({ attrs: [...goodAttrs(PEER_AS, NH), ...attr(0x80, 4, u32(10)), ...attr(0x80, 4, u32(20))], nlri: NLRI }),
  );
  const u = await waitUntil(() => updates.find((x) => (x as { name?: string }).name === 'update-dup-med'), { timeoutMs: 10_000, what: 'UPDATE seen' });
  assert.equal(u.withdrawAll, false);
  assert.equal(u.announced.length, 1);
  assert.ok(u.errors.some((e) => e.code === 3 && e.subcode === 1 && e.handling === 'attribute-discard'), JSON.stringify(u.errors.map((e) => e.reason)));
  await sleep(500);
  assert.deepEqual(h.first.notifications, []);
  assert.equal(speaker.peerStatus('update-dup-med')?.state, 'Established');
  assertGoodUntouched();
  await speaker.removePeer('update-dup-med');
});

// --- Garbage and cut streams --------------------------------------------------------------------

test('hostile: garbage after Established -> 1/1 Connection Not Synchronized', T, async () => {
  const garbage = Buffer.from(Array.from({ length: 64 }, (_, i) => (i * 37 + 11) & 0xff));
  const h = await hostile('garbage', 'established', () => garbage);
  await expectResetAndRecovery('garbage', h, 1, 1);
});

test('hostile: a message cut off mid-way and the connection closed -> session comes back, nothing else moves', T, async () => {
  const address = `127.0.0.${nextHost++}`;
  const good = behave({ asn: PEER_AS, bgpId: address, holdTime: HOLD }, 1000);
  const peer = await new RawPeer(address, async (c, index) => {
    if (index > 0) return good(c);
    await establish(c, address);
    c.socket.end(update({ attrs: goodAttrs(PEER_AS, NH), nlri: NLRI }).subarray(0, 30));
  }).listen();
  hostilePeers.push(peer);
  await addSpeakerPeer(peer, 'cut');
  await peer.waitConnection(2);
  await waitUntil(() => speaker.peerStatus('cut')?.state === 'Established', { timeoutMs: 15_000, what: 'cut back to Established' });
  assertGoodUntouched();
  await speaker.removePeer('cut');
});
