/**
 * Interop with BIRD 2 (eBGP, AS 64601), GoBGP (eBGP, 4-byte AS 4200000003) and ExaBGP 4.2 (iBGP,
 * AS 64512): our speaker (driver process in namespace `n`, AS 64512) peers with each over IPv4 and
 * over IPv6; each router receives a /32 and a /128 with the expected next hop, MED, communities,
 * large communities and (iBGP only) LOCAL_PREF, as the router itself reports them; withdrawals reach
 * them.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Lab, labUnavailable, requireLab, waitUntil } from './lab/lab.js';
import type { Namespace } from './lab/lab.js';
import { startBird } from './lab/bird.js';
import type { Bird, BirdRoute } from './lab/bird.js';
import { startGobgp } from './lab/gobgp.js';
import type { Gobgp, GobgpPath } from './lab/gobgp.js';
import { startExabgp } from './lab/exabgp.js';
import type { Exabgp } from './lab/exabgp.js';
import { startSpeaker } from './lab/speaker.js';
import type { DriverAdvertisement, SpeakerProcess } from './lab/speaker.js';

const V4 = '198.51.100.8/32';
const V6 = '2001:db8::8/128';
const ATTRS = { localPref: 150, med: 20, communities: ['64512:100', '64512:200'], largeCommunities: ['64512:1:2'] };
const ADS: DriverAdvertisement[] = [
  { prefix: V4, ...ATTRS },
  { prefix: V6, ...ATTRS },
];

const unavailable = labUnavailable(['bird', 'gobgp', 'exabgp']);
let lab: Lab;
let n: Namespace;
let b: Namespace;
let g: Namespace;
let e: Namespace;
let bird: Bird;
let gobgp: Gobgp;
let exabgp: Exabgp;
let speaker: SpeakerProcess;


before(async () => {
  if (unavailable !== undefined) return;
  lab = Lab.create();
  await lab.addSwitch('sw', 1);
  b = await lab.addHost('b', 2);
  g = await lab.addHost('g', 3);
  e = await lab.addHost('e', 4);
  n = await lab.addHost('n', 11);
  bird = await startBird(lab, b, {
    asn: 64601,
    routerId: b.v4,
    neighbors: [
      { name: 'node4', address: n.v4, peerAs: 64512, localAddress: b.v4 },
      { name: 'node6', address: n.v6, peerAs: 64512, localAddress: b.v6 },
    ],
  });
  gobgp = await startGobgp(lab, g, {
    asn: 4200000003,
    routerId: g.v4,
    neighbors: [
      { address: n.v4, peerAs: 64512 },
      { address: n.v6, peerAs: 64512 },
    ],
  });
  exabgp = await startExabgp(lab, e, {
    asn: 64512,
    routerId: e.v4,
    neighbors: [
      { address: n.v4, localAddress: e.v4, peerAs: 64512, families: ['ipv4'] },
      { address: n.v6, localAddress: e.v6, peerAs: 64512, families: ['ipv6'] },
    ],
  });
  speaker = await startSpeaker(lab, n, {
    asn: 64512,
    routerId: n.v4,
    listen: { address: '::', port: 179 },
    connectRetryMs: 500,
    peers: [
      { address: b.v4, asn: 64601, localAddress: n.v4 },
      { address: b.v6, asn: 64601, localAddress: n.v6 },
      { address: g.v4, asn: 4200000003, localAddress: n.v4 },
      { address: g.v6, asn: 4200000003, localAddress: n.v6 },
      { address: e.v4, asn: 64512, localAddress: n.v4 },
      { address: e.v6, asn: 64512, localAddress: n.v6 },
    ],
  });
});

after(async () => {
  if (lab) await lab.teardown();
});

// ---------------------------------------------------------------------------------------------------
// BIRD

function birdRoute(routes: BirdRoute[], prefix: string): BirdRoute | undefined {
  return routes.find((x) => x.prefix === prefix && x.protocol.startsWith('node'));
}

test('BIRD 2: sessions over IPv4 and IPv6 reach Established', { timeout: 60_000 }, async (t) => {
  if (!requireLab(t, ['bird', 'gobgp', 'exabgp'])) return;
  await bird.waitEstablished('node4', 30_000);
  await bird.waitEstablished('node6', 30_000);
  assert.equal(speaker.peerState(b.v4), 'established');
  assert.equal(speaker.peerState(b.v6), 'established');
});

test('BIRD 2: receives /32 and /128 with next hop, MED, communities, large communities, no LOCAL_PREF from eBGP', { timeout: 60_000 }, async (t) => {
  if (!requireLab(t, ['bird', 'gobgp', 'exabgp'])) return;
  await speaker.advertise(ADS);
  for (const [prefix, nh, proto] of [[V4, n.v4, 'node4'], [V6, n.v6, 'node6']] as const) {
    const route = await waitUntil(async () => birdRoute(await bird.routes(), prefix), { what: `${prefix} in BIRD` });
    assert.equal(route.protocol, proto);
    assert.equal(route.attrs['BGP.next_hop']?.split(' ')[0], nh);
    assert.equal(route.attrs['BGP.as_path'], '64512');
    assert.equal(route.attrs['BGP.med'], '20');
    assert.equal(route.attrs['BGP.community'], '(64512,100) (64512,200)');
    assert.equal(route.attrs['BGP.large_community'], '(64512, 1, 2)');
    // RFC 4271 §5.1.5: no LOCAL_PREF to an external peer. BIRD gives every eBGP route its default
    // local preference 100 on import, so 150 would show only if it took ours.
    assert.equal(route.attrs['BGP.local_pref'], '100');
  }
});

test('BIRD 2: withdrawals reach it', { timeout: 60_000 }, async (t) => {
  if (!requireLab(t, ['bird', 'gobgp', 'exabgp'])) return;
  await speaker.advertise(ADS);
  await waitUntil(async () => birdRoute(await bird.routes(), V4), { what: `${V4} in BIRD` });
  await speaker.advertise([ADS[1] as DriverAdvertisement]);
  await waitUntil(async () => !birdRoute(await bird.routes(), V4), { what: `${V4} withdrawn from BIRD` });
  assert.ok(birdRoute(await bird.routes(), V6), `${V6} should stay in BIRD`);
  await speaker.advertise([]);
  await waitUntil(async () => {
    const routes = await bird.routes();
    return !birdRoute(routes, V4) && !birdRoute(routes, V6);
  }, { what: 'withdrawals in BIRD' });
});

// ---------------------------------------------------------------------------------------------------
// GoBGP

function gobgpAttr(p: GobgpPath, type: number): Record<string, unknown> | undefined {
  return p.attrs?.find((a) => a.type === type) as Record<string, unknown> | undefined;
}

test('GoBGP (4-byte AS): sessions over IPv4 and IPv6 reach Established', { timeout: 60_000 }, async (t) => {
  if (!requireLab(t, ['bird', 'gobgp', 'exabgp'])) return;
  await gobgp.waitEstablished(n.v4, 30_000);
  await gobgp.waitEstablished(n.v6, 30_000);
  assert.equal(speaker.peerState(g.v4), 'established');
  assert.equal(speaker.peerState(g.v6), 'established');
});

test('GoBGP (4-byte AS): receives /32 and /128 with next hop, MED, communities, large communities, no LOCAL_PREF', { timeout: 60_000 }, async (t) => {
  if (!requireLab(t, ['bird', 'gobgp', 'exabgp'])) return;
  await speaker.advertise(ADS);
  for (const [prefix, nh, fam] of [[V4, n.v4, 'ipv4'], [V6, n.v6, 'ipv6']] as const) {
    const path = await waitUntil(async () => (await gobgp.rib(fam))[prefix]?.[0], { what: `${prefix} in GoBGP` });
    assert.equal(path['neighbor-ip'], nh);
    const nextHop = fam === 'ipv4' ? gobgpAttr(path, 3)?.nexthop : gobgpAttr(path, 14)?.nexthop;
    assert.equal(nextHop, nh);
    const asPath = gobgpAttr(path, 2)?.as_paths as { asns: number[] }[] | undefined;
    assert.deepEqual(asPath?.flatMap((s) => s.asns), [64512]);
    assert.equal(gobgpAttr(path, 4)?.metric, 20);
    assert.deepEqual(gobgpAttr(path, 8)?.communities, [64512 * 65536 + 100, 64512 * 65536 + 200]);
    assert.deepEqual(gobgpAttr(path, 32)?.value, [{ ASN: 64512, LocalData1: 1, LocalData2: 2 }]);
    assert.equal(gobgpAttr(path, 5), undefined);
  }
});

test('GoBGP (4-byte AS): withdrawals reach it', { timeout: 60_000 }, async (t) => {
  if (!requireLab(t, ['bird', 'gobgp', 'exabgp'])) return;
  await speaker.advertise(ADS);
  await waitUntil(async () => (await gobgp.rib('ipv4'))[V4], { what: `${V4} in GoBGP` });
  await speaker.advertise([ADS[1] as DriverAdvertisement]);
  await waitUntil(async () => !(await gobgp.rib('ipv4'))[V4], { what: `${V4} withdrawn from GoBGP` });
  assert.ok((await gobgp.rib('ipv6'))[V6], `${V6} should stay in GoBGP`);
  await speaker.advertise([]);
  await waitUntil(async () => !(await gobgp.rib('ipv4'))[V4] && !(await gobgp.rib('ipv6'))[V6], { what: 'withdrawals in GoBGP' });
});

// ---------------------------------------------------------------------------------------------------
// ExaBGP

test('ExaBGP: iBGP sessions over IPv4 and IPv6 reach Established', { timeout: 60_000 }, async (t) => {
  if (!requireLab(t, ['bird', 'gobgp', 'exabgp'])) return;
  await exabgp.waitUp(n.v4, 30_000);
  await exabgp.waitUp(n.v6, 30_000);
  assert.equal(speaker.peerState(e.v4), 'established');
  assert.equal(speaker.peerState(e.v6), 'established');
});

test('ExaBGP: receives /32 and /128 with next hop, LOCAL_PREF, MED, communities, large communities', { timeout: 60_000 }, async (t) => {
  if (!requireLab(t, ['bird', 'gobgp', 'exabgp'])) return;
  await speaker.advertise(ADS);
  for (const [prefix, nh] of [[V4, n.v4], [V6, n.v6]] as const) {
    const route = await waitUntil(() => exabgp.rib(nh).get(prefix), { what: `${prefix} in ExaBGP` });
    assert.equal(route.nextHop, nh);
    assert.equal(route.attribute['local-preference'], 150);
    assert.equal(route.attribute.med, 20);
    assert.deepEqual(route.attribute.community, [
      [64512, 100],
      [64512, 200],
    ]);
    assert.deepEqual(route.attribute['large-community'], [[64512, 1, 2]]);
    assert.deepEqual(route.attribute['as-path'] ?? [], []);
  }
});

test('ExaBGP: withdrawals reach it', { timeout: 60_000 }, async (t) => {
  if (!requireLab(t, ['bird', 'gobgp', 'exabgp'])) return;
  await speaker.advertise(ADS);
  await waitUntil(() => exabgp.rib(n.v4).get(V4), { what: `${V4} in ExaBGP` });
  await waitUntil(() => exabgp.rib(n.v6).get(V6), { what: `${V6} in ExaBGP` });
  await speaker.advertise([ADS[1] as DriverAdvertisement]);
  await waitUntil(() => !exabgp.rib(n.v4).has(V4), { what: `${V4} withdrawn from ExaBGP` });
  assert.ok(exabgp.rib(n.v6).has(V6), `${V6} should stay in ExaBGP`);
  await speaker.advertise([]);
  await waitUntil(() => !exabgp.rib(n.v4).has(V4) && !exabgp.rib(n.v6).has(V6), { what: 'withdrawals in ExaBGP' });
});

// ---------------------------------------------------------------------------------------------------
// Restarts: each router, restarted, gets a new session and the full table.

test('BIRD 2, GoBGP and ExaBGP: a restarted router gets a new session and the full table', { timeout: 60_000 }, async (t) => {
  if (!requireLab(t, ['bird', 'gobgp', 'exabgp'])) return;
  await speaker.advertise(ADS);
  await waitUntil(async () => birdRoute(await bird.routes(), V6), { what: `${V6} in BIRD` });
  await waitUntil(async () => (await gobgp.rib('ipv6'))[V6], { what: `${V6} in GoBGP` });
  await waitUntil(() => exabgp.rib(n.v6).get(V6), { what: `${V6} in ExaBGP` });
  const from = speaker.events.length;
  await Promise.all([bird.stop(), gobgp.proc ? lab.kill(gobgp.proc) : undefined, exabgp.stop()]);
  for (const peer of [b.v4, g.v4, e.v4]) await speaker.waitEvent((x) => x.event === 'down' && x.peer === peer, 15_000, `session to ${peer} down`, from);
  await Promise.all([bird.start(), gobgp.start(), exabgp.start()]);
  for (const peer of [b.v4, b.v6, g.v4, g.v6, e.v4, e.v6]) await speaker.waitEstablished(peer, 30_000, from);
  await waitUntil(async () => {
    const routes = await bird.routes();
    return birdRoute(routes, V4) && birdRoute(routes, V6);
  }, { what: 'full table in the restarted BIRD' });
  await waitUntil(async () => (await gobgp.rib('ipv4'))[V4] && (await gobgp.rib('ipv6'))[V6], { what: 'full table in the restarted GoBGP' });
  await waitUntil(() => exabgp.rib(n.v4).has(V4) && exabgp.rib(n.v6).has(V6), { what: 'full table in the restarted ExaBGP' });
  const r4 = exabgp.rib(n.v4).get(V4);
  assert.equal(r4?.attribute['local-preference'], 150);
  assert.deepEqual(r4?.attribute['large-community'], [[64512, 1, 2]]);
});
