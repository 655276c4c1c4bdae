/**
 * Interop with FRR: our speaker (the driver process inside node namespace `n`) peers with FRR `r`
 * (AS 64512, iBGP, over IPv4 and over IPv6) and FRR `r2` (AS 64600, eBGP, over IPv4 and IPv6).
 * Everything is checked as FRR itself reports it (vtysh JSON).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Lab, labUnavailable, requireLab, sleep, waitUntil } from './lab/lab.js';
import type { Namespace } from './lab/lab.js';
import { startFrr } from './lab/frr.js';
import type { Frr, FrrPath } from './lab/frr.js';
import { startSpeaker } from './lab/speaker.js';
import type { DriverAdvertisement, SpeakerProcess } from './lab/speaker.js';

const V4 = '198.51.100.7/32';
const V6 = '2001:db8::7/128';
const ATTRS = { localPref: 150, med: 20, communities: ['64512:100', '64512:200'], largeCommunities: ['64512:1:2'] } as const;
const ADS: DriverAdvertisement[] = [
  { prefix: V4, ...ATTRS, communities: [...ATTRS.communities], largeCommunities: [...ATTRS.largeCommunities] },
  { prefix: V6, ...ATTRS, communities: [...ATTRS.communities], largeCommunities: [...ATTRS.largeCommunities] },
];

const unavailable = labUnavailable(['frr']);
let lab: Lab;
let r: Namespace;
let r2: Namespace;
let n: Namespace;
let frr: Frr;
let frr2: Frr;
let speaker: SpeakerProcess;

async function pathOf(f: Frr, prefix: string): Promise<FrrPath> {
  return waitUntil(async () => (await f.paths(prefix))[0], { timeoutMs: 15_000, what: `${prefix} in FRR ${f.pathspace}` });
}

async function gone(f: Frr, prefix: string): Promise<void> {
  await waitUntil(async () => (await f.paths(prefix)).length === 0, { timeoutMs: 15_000, what: `${prefix} withdrawn from FRR ${f.pathspace}` });
}


before(async () => {
  if (unavailable !== undefined) return;
  lab = Lab.create();
  r = await lab.addSwitch('r');
  r2 = await lab.addHost('r2', 2);
  n = await lab.addHost('n', 11);
  frr = await startFrr(lab, r, {
    asn: 64512,
    routerId: r.v4,
    neighbors: [
      { address: n.v4, remoteAs: 64512 },
      { address: n.v6, remoteAs: 64512 },
    ],
  });
  frr2 = await startFrr(lab, r2, {
    asn: 64600,
    routerId: r2.v4,
    neighbors: [
      { address: n.v4, remoteAs: 64512, keepalive: 1, holdTime: 3 },
      { address: n.v6, remoteAs: 64512, keepalive: 1, holdTime: 3 },
    ],
  });
  speaker = await startSpeaker(lab, n, {
    asn: 64512,
    routerId: n.v4,
    listen: { address: '::', port: 179 },
    connectRetryMs: 500,
    peers: [
      { address: r.v4, asn: 64512, localAddress: n.v4, holdTime: 9 },
      { address: r.v6, asn: 64512, localAddress: n.v6, holdTime: 9 },
      { address: r2.v4, asn: 64600, localAddress: n.v4, holdTime: 3 },
      { address: r2.v6, asn: 64600, localAddress: n.v6, holdTime: 3 },
    ],
  });
});

after(async () => {
  if (lab) await lab.teardown();
});

test('FRR: iBGP and eBGP sessions over IPv4 and IPv6 reach Established', { timeout: 60_000 }, async (t) => {
  if (!requireLab(t, ['frr'])) return;
  await frr.waitEstablished(n.v4, 30_000);
  await frr.waitEstablished(n.v6, 30_000);
  await frr2.waitEstablished(n.v4, 30_000);
  await frr2.waitEstablished(n.v6, 30_000);
  for (const p of [r.v4, r.v6, r2.v4, r2.v6]) assert.equal(speaker.peerState(p), 'established');
});

test('FRR: receives /32 and /128 with next hop, LOCAL_PREF (iBGP only), MED, communities, large communities', { timeout: 60_000 }, async (t) => {
  if (!requireLab(t, ['frr'])) return;
  await speaker.advertise(ADS);
  // iBGP (r): LOCAL_PREF as sent, empty AS_PATH.
  const i4 = await pathOf(frr, V4);
  assert.equal(i4.nexthops?.[0]?.ip, n.v4);
  assert.equal(i4.locPrf, 150);
  assert.equal(i4.metric, 20);
  assert.equal(i4.community?.string, '64512:100 64512:200');
  assert.equal(i4.largeCommunity?.string, '64512:1:2');
  // An empty AS_PATH, which FRR prints as "Local".
  assert.equal(i4.aspath?.string, 'Local');
  const i6 = await pathOf(frr, V6);
  assert.equal(i6.nexthops?.[0]?.ip, n.v6);
  assert.equal(i6.locPrf, 150);
  assert.equal(i6.metric, 20);
  assert.equal(i6.community?.string, '64512:100 64512:200');
  assert.equal(i6.largeCommunity?.string, '64512:1:2');
  // IPv4 routes only over the IPv4 session, IPv6 only over the IPv6 session.
  assert.equal((await frr.paths(V4)).length, 1);
  assert.equal((await frr.paths(V6)).length, 1);
  // eBGP (r2): our AS in the path, MED and communities, and no LOCAL_PREF from us (RFC 4271 §5.1.5):
  // FRR then shows its default 100, not our 150.
  for (const [prefix, nh] of [[V4, n.v4], [V6, n.v6]] as const) {
    const e = await pathOf(frr2, prefix);
    assert.equal(e.nexthops?.[0]?.ip, nh);
    assert.equal(e.aspath?.string, '64512');
    assert.equal(e.metric, 20);
    assert.notEqual(e.locPrf, 150);
    assert.equal(e.community?.string, '64512:100 64512:200');
    assert.equal(e.largeCommunity?.string, '64512:1:2');
  }
});

test('FRR: withdrawals reach both routers', { timeout: 60_000 }, async (t) => {
  if (!requireLab(t, ['frr'])) return;
  await speaker.advertise([ADS[1] as DriverAdvertisement]);
  await gone(frr, V4);
  await gone(frr2, V4);
  assert.ok((await frr.paths(V6)).length > 0);
  await speaker.advertise([]);
  await gone(frr, V6);
  await gone(frr2, V6);
  await speaker.advertise(ADS);
  await pathOf(frr, V4);
  await pathOf(frr2, V6);
});

test('FRR: routes FRR announces to us are decoded and counted, never installed', { timeout: 60_000 }, async (t) => {
  if (!requireLab(t, ['frr'])) return;
  const from = speaker.events.length;
  await frr.configure(['address-family ipv4 unicast', 'network 203.0.113.0/24']);
  const u = await speaker.waitEvent((e) => e.event === 'update' && e.peer === r.v4 && Number(e.announced) > 0, 15_000, 'UPDATE from FRR', from);
  assert.equal(u.announced, 1);
  assert.deepEqual(u.errors, []);
  // Never installed: the node's kernel has no route for it.
  assert.equal((await lab.exec(n.name, 'ip', ['-4', 'route', 'show', '203.0.113.0/24'])).trim(), '');
  await frr.configure(['address-family ipv4 unicast', 'no network 203.0.113.0/24']);
  await speaker.waitEvent((e) => e.event === 'update' && e.peer === r.v4 && Number(e.withdrawn) > 0, 15_000, 'withdrawal from FRR', from);
  assert.equal(speaker.peerState(r.v4), 'established');
});

test("FRR: 'clear bgp * soft in' sends ROUTE-REFRESH and gets the full table again", { timeout: 60_000 }, async (t) => {
  if (!requireLab(t, ['frr'])) return;
  await pathOf(frr, V4);
  await pathOf(frr, V6);
  const before4 = await frr.neighbor(n.v4);
  const before6 = await frr.neighbor(n.v6);
  await frr.vtysh('clear bgp * soft in');
  for (const [addr, b] of [[n.v4, before4], [n.v6, before6]] as const) {
    await waitUntil(
      async () => {
        const nb = await frr.neighbor(addr);
        return (
          (nb?.messageStats?.routeRefreshSent ?? 0) > (b?.messageStats?.routeRefreshSent ?? 0) &&
          (nb?.messageStats?.updatesRecv ?? 0) > (b?.messageStats?.updatesRecv ?? 0)
        );
      },
      { timeoutMs: 15_000, what: `refresh answered on ${addr}` },
    );
    // No reset: the same session.
    assert.equal((await frr.neighbor(addr))?.connectionsEstablished, b?.connectionsEstablished);
  }
  assert.equal((await frr.paths(V4))[0]?.locPrf, 150);
  assert.equal((await frr.paths(V6))[0]?.locPrf, 150);
});

test('FRR: a restarted router gets a new session and the full table', { timeout: 60_000 }, async (t) => {
  if (!requireLab(t, ['frr'])) return;
  await pathOf(frr2, V4);
  const from = speaker.events.length;
  await frr2.stopBgpd();
  await speaker.waitEvent((e) => e.event === 'down' && e.peer === r2.v4, 15_000, 'session to r2 down', from);
  await frr2.startBgpd();
  await frr2.waitEstablished(n.v4, 30_000);
  await frr2.waitEstablished(n.v6, 30_000);
  await speaker.waitEstablished(r2.v4, 15_000, from);
  const e4 = await pathOf(frr2, V4);
  assert.equal(e4.metric, 20);
  assert.equal(e4.largeCommunity?.string, '64512:1:2');
  await pathOf(frr2, V6);
  // The iBGP router never noticed.
  assert.equal(speaker.events.slice(from).filter((e) => e.event === 'down' && (e.peer === r.v4 || e.peer === r.v6)).length, 0);
});

test('FRR: a silent router (SIGSTOP) is dropped when the 3 s hold timer expires, and comes back', { timeout: 60_000 }, async (t) => {
  if (!requireLab(t, ['frr'])) return;
  await frr2.waitEstablished(n.v4, 30_000);
  await speaker.waitEstablished(r2.v4, 15_000);
  const pid = frr2.bgpd?.pid;
  assert.ok(pid);
  const from = speaker.events.length;
  const t0 = Date.now();
  process.kill(pid, 'SIGSTOP');
  try {
    const down = await speaker.waitEvent((e) => e.event === 'down' && e.peer === r2.v4, 10_000, 'hold timer expiry', from);
    const elapsed = Date.now() - t0;
    // RFC 4271 §6.5: Hold Timer Expired. Between 3 s (hold time) and 3 s + a keepalive interval
    // plus scheduling slack: the last keepalive arrived at most 1 s before the stop.
    assert.ok(elapsed >= 1900 && elapsed < 6000, `dropped after ${elapsed} ms`);
    assert.match(JSON.stringify(down.reason), /hold/i);
  } finally {
    process.kill(pid, 'SIGCONT');
  }
  await speaker.waitEstablished(r2.v4, 30_000, from);
  await frr2.waitEstablished(n.v4, 30_000);
  await pathOf(frr2, V4);
  // The iBGP sessions stayed up throughout.
  assert.equal(speaker.events.slice(from).filter((e) => e.event === 'down' && (e.peer === r.v4 || e.peer === r.v6)).length, 0);
});

interface StatusLine {
  readonly name: string;
  readonly counters?: { readonly collisions?: number };
}

async function collisionsSoFar(): Promise<number> {
  const status = (await speaker.command('status')).status as StatusLine[];
  return status.find((x) => x.name === r.v4)?.counters?.collisions ?? 0;
}

test('FRR: when both sides dial at once, exactly one session survives', { timeout: 60_000 }, async (t) => {
  if (!requireLab(t, ['frr'])) return;
  // Make both sides dial while the other is already dialing: reset the session, then freeze our
  // speaker (SIGSTOP) before its connect-retry timer fires. FRR (active, connect timer 1 s) dials
  // the frozen speaker; the kernel completes the handshake into the listen backlog and FRR sends
  // its OPEN. On SIGCONT our retry timer has expired, so the speaker dials FRR too: two
  // connections between the same pair (RFC 4271 §6.8). Whether the speaker's event loop runs the
  // timer before it accepts the waiting connection is up to libuv, so a round may end without a
  // collision; up to four rounds run until one collides, and every round must end with exactly one
  // session.
  const pid = speaker.proc.pid;
  let collided = false;
  for (let round = 0; round < 4 && !collided; round++) {
    const from = speaker.events.length;
    const before = await frr.neighbor(n.v4);
    const collisionsBefore = await collisionsSoFar();
    await speaker.command('reset', { peer: r.v4 });
    process.kill(pid, 'SIGSTOP');
    try {
      await waitUntil(async () => ['OpenSent', 'OpenConfirm'].includes((await frr.neighborState(n.v4)) ?? ''), {
        timeoutMs: 10_000,
        intervalMs: 50,
        what: 'FRR dialing the frozen speaker',
      });
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    await speaker.waitEstablished(r.v4, 30_000, from);
    await frr.waitEstablished(n.v4, 30_000);
    await sleep(3000);
    // Exactly one session: one TCP connection between the two on port 179, Established on both
    // sides, and it stays (no further flaps).
    const ss = await lab.exec(n.name, 'ss', ['-Htn', 'state', 'established', 'dst', r.v4]);
    const conns = ss.split('\n').filter((l) => l.includes(':179'));
    assert.equal(conns.length, 1, `connections: ${ss}`);
    assert.equal(speaker.peerState(r.v4), 'established');
    assert.equal(await frr.neighborState(n.v4), 'Established');
    const ups = speaker.events.slice(from).filter((e) => e.event === 'up' && e.peer === r.v4);
    assert.equal(ups.length, 1, `sessions established after the reset: ${ups.length}`);
    const afterNb = await frr.neighbor(n.v4);
    assert.ok((afterNb?.connectionsEstablished ?? 0) > (before?.connectionsEstablished ?? 0));
    // Evidence that a collision really happened and was resolved (Cease / Connection Collision
    // Resolution, 6/7, from either side, or the speaker's collision counter).
    const got = speaker.events.slice(from).some((e) => e.event === 'notificationReceived' && e.peer === r.v4 && e.code === 6 && e.subcode === 7);
    const frrSays = JSON.stringify(afterNb ?? {}).toLowerCase().includes('collision');
    collided = got || frrSays || (await collisionsSoFar()) > collisionsBefore;
  }
  assert.ok(collided, 'no connection collision happened in four rounds');
  await pathOf(frr, V4);
});
