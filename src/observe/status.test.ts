import { test } from 'node:test';
import assert from 'node:assert/strict';
import { capabilityName, notificationName, peerDetail, peersView, routesView, servicesView } from './status.js';
import type { StatusInput } from './status.js';
import { formatDhms, formatPeerDetail, formatPeers, formatRoutes, formatServices, formatUpDown } from './status-format.js';
import { counters, counts, sessionStatus } from './test-helpers.js';
import type { AnnouncementPlan } from '../speaker/planner.js';
import type { PeerConfig } from '../config/types.js';

const NOW = 1_070_000;

const down = sessionStatus({
  name: 'peer2',
  peer: '10.10.10.118:179',
  peerAddress: '10.10.10.118',
  peerAsn: 65001,
  state: 'Active',
  stateSince: 1_010_000,
  uptimeMs: 0,
  holdTime: { configured: 180 },
  keepaliveTime: { configured: 60 },
  prefixesAdvertised: 0,
  families: [],
  counters: counters({ messagesSent: counts({ open: 2, notification: 1 }), messagesReceived: counts({ open: 1, notification: 1 }), flaps: 1 }),
  lastError: { reason: { kind: 'notificationReceived', notification: { type: 'notification', code: 6, subcode: 4, data: new Uint8Array() } }, at: 1_010_000 },
  lastNotificationSent: { code: 4, subcode: 0, data: '', at: 1_000_000 },
  lastNotificationReceived: { code: 6, subcode: 2, data: '0474657374', communication: 'test', at: 1_010_000 },
});
delete (down as { remoteRouterId?: string }).remoteRouterId;

function plan(): AnnouncementPlan {
  const peerConfig = {} as PeerConfig;
  return {
    node: 'node-116',
    peers: [
      {
        name: 'peer1',
        address: '10.10.10.117',
        ibgp: true,
        config: peerConfig,
        advertisements: [
          { peer: 'peer1', peerAddress: '10.10.10.117', prefix: '10.10.10.12/32', localPref: 100, communities: ['64512:1'], largeCommunities: [], services: ['argocd/argocd-server'] },
        ],
      },
    ],
    unselectedPeers: [],
    announcedServices: [
      { service: 'argocd/argocd-server', ip: '10.10.10.12', ips: ['10.10.10.12'], pool: 'default', numAds: 1, prefixes: ['10.10.10.12/32'], peers: [{ name: 'peer1', address: '10.10.10.117' }, { name: 'peer2', address: '10.10.10.118' }] },
      { service: 'b/lonely', ip: '10.10.10.13', ips: ['10.10.10.13'], pool: 'default', numAds: 1, prefixes: ['10.10.10.13/32'], peers: [] },
    ],
    withheld: [
      { service: 'a/no-endpoints', ips: ['10.10.10.14'], pool: 'default', reason: 'noEndpoints' },
      { service: 'c/no-ip', ips: [], reason: 'noIPAllocated' },
    ],
    withoutPeers: ['b/lonely'],
    ignored: [],
  };
}

function input(): StatusInput {
  return {
    now: NOW,
    node: 'node-116',
    sessions: [sessionStatus(), down],
    routes: new Map([
      ['peer1', [{ prefix: { family: 'ipv4', address: '10.10.10.12', length: 32 }, nextHop: '10.10.10.116', localPref: 100, communities: [64512 * 65536 + 1], largeCommunities: [] }]],
      ['peer2', []],
    ]),
    plan: plan(),
    allocationFailures: new Map([['c/no-ip', { reason: 'AllocationFailed', message: 'no available IPs in pool "default"' }]]),
  };
}

test('peers view: the summary fields, negotiated timers when up, configured ones when down', () => {
  const [up, dn] = peersView(input());
  assert.deepEqual(
    up && [up.address, up.asn, up.state, up.uptimeSeconds, up.prefixesSent, up.holdTime, up.keepaliveTime, up.remoteRouterId, up.msgSent, up.msgRcvd],
    ['10.10.10.117', 64512, 'Established', 65, 2, 90, 30, '10.10.10.117', 8, 6],
  );
  assert.deepEqual(
    dn && [dn.address, dn.asn, dn.state, dn.uptimeSeconds, dn.stateSeconds, dn.everUp, dn.holdTime, dn.keepaliveTime, dn.remoteRouterId],
    ['10.10.10.118', 65001, 'Active', 0, 60, true, 180, 60, null],
  );
});

test('peer detail: link, capabilities both ways, last read/write, NOTIFICATIONs both ways', () => {
  const d = peerDetail(input(), '10.10.10.117');
  assert.ok(d);
  assert.equal(d.link, 'internal');
  assert.equal(d.bgpVersion, 4);
  assert.equal(d.lastReadSecondsAgo, 10);
  assert.equal(d.lastWriteSecondsAgo, 8);
  assert.deepEqual(d.capabilities.advertised, ['multiprotocol ipv4-unicast', 'route-refresh', '4-octet-as 64512']);
  assert.deepEqual(d.capabilities.received, ['multiprotocol ipv4-unicast', '4-octet-as 64512']);
  assert.equal(d.lastNotificationSent, null);
  const e = peerDetail(input(), 'peer2');
  assert.ok(e);
  assert.equal(e.link, 'external');
  assert.deepEqual([e.lastNotificationSent?.code, e.lastNotificationSent?.subcode], [4, 0]);
  assert.deepEqual([e.lastNotificationReceived?.code, e.lastNotificationReceived?.subcode, e.lastNotificationReceived?.communication], [6, 2, 'test']);
  assert.equal(e.lastError?.secondsAgo, 60);
  assert.equal(peerDetail(input(), '10.9.9.9'), undefined);
  // Canonical comparison: `fd00:0::1` finds `fd00::1`.
  const v6: StatusInput = { ...input(), sessions: [sessionStatus({ peerAddress: 'fd00::1' })] };
  assert.ok(peerDetail(v6, 'fd00:0::1', (a) => a.replace(':0::', '::')));
});

test('notification and capability names come from the RFC tables', () => {
  assert.equal(notificationName(6, 2), 'Cease / administrative shutdown');
  assert.equal(notificationName(4, 0), 'Hold timer expired');
  assert.equal(notificationName(2, 2), 'OPEN message error / bad peer as');
  assert.equal(notificationName(99, 1), 'code 99 / subcode 1');
  assert.equal(capabilityName({ kind: 'multiprotocol', afi: 2, safi: 1 }), 'multiprotocol ipv6-unicast');
  assert.equal(capabilityName({ kind: 'unknown', code: 73, value: new Uint8Array(3) }), 'unknown code=73 length=3');
});

test('routes view: attributes as sent, AS_PATH empty on iBGP, services from the plan', () => {
  const [r1, r2] = routesView(input());
  assert.deepEqual(r1?.routes, [
    {
      prefix: '10.10.10.12/32',
      nextHop: '10.10.10.116',
      asPath: [],
      origin: 'IGP',
      localPref: 100,
      med: null,
      communities: ['64512:1'],
      largeCommunities: [],
      services: ['argocd/argocd-server'],
    },
  ]);
  assert.deepEqual(r2?.routes, []);
});

test('services view: announced with peers and their state, no peers, withheld with the reason', () => {
  const v = servicesView(input());
  assert.deepEqual(
    v.map((s) => [s.service, s.status, s.reason]),
    [
      ['a/no-endpoints', 'withheld', 'noEndpoints'],
      ['argocd/argocd-server', 'announced', null],
      ['b/lonely', 'noPeers', 'noPeerSelectsNode'],
      ['c/no-ip', 'withheld', 'noIPAllocated'],
    ],
  );
  assert.deepEqual(v[1]?.peers, [
    { name: 'peer1', address: '10.10.10.117', established: true },
    { name: 'peer2', address: '10.10.10.118', established: false },
  ]);
  assert.match(v[3]?.message ?? '', /^AllocationFailed: /);
});

test('durations as FRR and Onyx print them', () => {
  assert.equal(formatUpDown(0), '00:00:00');
  assert.equal(formatUpDown(3725), '01:02:05');
  assert.equal(formatUpDown(90061), '1d01h01m');
  assert.equal(formatUpDown(8 * 86400 + 3 * 3600), '1w1d03h');
  assert.equal(formatDhms(5), '0:00:00:05');
  assert.equal(formatDhms(90061), '1:01:01:01');
});

test('text views: summary rows, Onyx neighbor lines, routes, services', () => {
  const i = input();
  const summary = formatPeers(i.node, peersView(i)).split('\n');
  assert.match(summary[3] ?? '', /^Neighbor +V +AS +MsgRcvd +MsgSent +Up\/Down +State +PfxSnt$/);
  assert.match(summary[4] ?? '', /^10\.10\.10\.117 +4 +64512 +6 +8 +00:01:05 +Established +2$/);
  assert.match(summary[5] ?? '', /^10\.10\.10\.118 +4 +65001 +2 +3 +00:01:00 +Active +0$/);
  const detail = formatPeerDetail(peerDetail(i, '10.10.10.117')!);
  assert.match(detail, /^BGP neighbor: 10\.10\.10\.117, remote AS: 64512, link: internal$/m);
  assert.match(detail, /^ {2}BGP version: 4, remote router ID: 10\.10\.10\.117,/m);
  assert.match(detail, /^ {2}BGP State: ESTABLISHED,/m);
  assert.match(detail, /^ {2}Last read: 0:00:00:10, last write: 0:00:00:08, hold time is: 90, keepalive interval in seconds: 30$/m);
  assert.match(detail, /^ {2}Configured hold time in seconds: 90, keepalive interval in seconds: 30$/m);
  assert.match(detail, /^ {2}Minimum holdtime from neighbor in seconds: 3$/m);
  const other = formatPeerDetail(peerDetail(i, '10.10.10.118')!);
  assert.match(other, /Last NOTIFICATION received: 6\/2 .*"test"/);
  assert.match(other, /Last NOTIFICATION sent: 4\/0 /);
  assert.match(formatRoutes(routesView(i)), /^ {2}10\.10\.10\.12\/32 +10\.10\.10\.116 +100 +i +64512:1 +argocd\/argocd-server$/m);
  assert.match(formatServices(servicesView(i)), /^argocd\/argocd-server +10\.10\.10\.12 +default +announced +10\.10\.10\.117,10\.10\.10\.118\(down\)$/m);
});
