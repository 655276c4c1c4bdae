/**
 * Operations against a real FRR (issue 6 acceptance): the seed scenario (two nodes running
 * `metallb-ts run` with the default `--metrics-addr :7472` and `--status-addr 127.0.0.1:7473`, each in
 * its own namespace, peering with FRR). Each node's `/metrics` and `metallb-ts status` are read
 * inside its namespace and compared with FRR's own view of the same session (vtysh JSON): state,
 * prefixes, UPDATE counts, router IDs, negotiated timers, the path's attributes; then FRR resets one
 * session (Cease 6/4) and both sides must agree on the NOTIFICATION and the flap.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { Lab, requireLab, waitUntil } from './lab/lab.js';
import type { Namespace } from './lab/lab.js';
import { METALLB_TS_BIN, ROUTER_ASN, ROUTER_V4, SERVICE_IP, startSeedTopology } from './lab/seed-topology.js';
import { parseExposition } from '../../src/observe/test-helpers.js';
import type { PeerDetail, PeerRoutes, PeerSummary, ServiceView } from '../../src/observe/status.js';

const PREFIX = `${SERVICE_IP}/32`;
const PEER = `${ROUTER_V4}:179`;

const FETCH = `fetch(process.argv[1]).then(async (r) => { process.stdout.write(String(r.status) + '\\n' + await r.text()); }, (e) => { process.stderr.write(String(e)); process.exit(1); })`;

/** FRR's `show bgp neighbors ADDR json`, the fields compared here. */
interface FrrNeighbor {
  readonly bgpState?: string;
  readonly remoteRouterId?: string;
  readonly localRouterId?: string;
  readonly remoteAs?: number;
  readonly bgpTimerHoldTimeMsecs?: number;
  readonly bgpTimerKeepAliveIntervalMsecs?: number;
  readonly connectionsEstablished?: number;
  readonly connectionsDropped?: number;
  readonly lastNotificationReason?: string;
  readonly messageStats?: {
    readonly updatesRecv?: number;
    readonly updatesSent?: number;
    readonly notificationsSent?: number;
    readonly notificationsRecv?: number;
    readonly opensRecv?: number;
    readonly opensSent?: number;
  };
  readonly addressFamilyInfo?: Record<string, { readonly acceptedPrefixCounter?: number }>;
}

test('/metrics and `status` of the seed speakers agree with FRR’s view of the same sessions', { timeout: 60_000 }, async (t) => {
  if (!requireLab(t, ['frr'])) return;
  const lab = Lab.create();
  after(() => lab.teardown());
  const topo = await startSeedTopology(lab, { client: false });
  const [n116, n117] = topo.nodes;
  assert.ok(n116 && n117);
  await topo.waitEstablished(20_000);
  await topo.waitRoute(PREFIX, [n116.address, n117.address]);

  const get = async (ns: Namespace, url: string): Promise<{ status: number; body: string }> => {
    const out = await lab.exec(ns.name, process.execPath, ['-e', FETCH, url], { timeoutMs: 10_000 });
    const nl = out.indexOf('\n');
    return { status: Number(out.slice(0, nl)), body: out.slice(nl + 1) };
  };
  const metrics = async (ns: Namespace): Promise<Map<string, number>> => {
    const r = await get(ns, 'http://127.0.0.1:7472/metrics');
    assert.equal(r.status, 200);
    return parseExposition(r.body).values;
  };
  const status = async (ns: Namespace, ...args: string[]): Promise<string> =>
    lab.exec(ns.name, process.execPath, [METALLB_TS_BIN, 'status', ...args], { timeoutMs: 10_000 });
  const frrNeighbor = async (address: string): Promise<FrrNeighbor> => {
    const j = await topo.frr.json<Record<string, FrrNeighbor>>(`show bgp neighbors ${address}`);
    const n = j[address];
    assert.ok(n, `FRR knows ${address}`);
    return n;
  };

  for (const n of topo.nodes) {
    await waitUntil(async () => (await get(n.ns, 'http://127.0.0.1:7472/readyz')).status === 200, { timeoutMs: 10_000, what: `${n.name} ready` });
    // Both sides settle on the same UPDATE count (the route, then End-of-RIB) before comparing.
    await waitUntil(
      async () => (await metrics(n.ns)).get(`metallb_bgp_updates_total{peer="${PEER}"}`) === (await frrNeighbor(n.address)).messageStats?.updatesRecv,
      { timeoutMs: 10_000, what: `${n.name}'s UPDATE count to match FRR's` },
    );
    const m = await metrics(n.ns);
    const f = await frrNeighbor(n.address);
    assert.equal(f.bgpState, 'Established');
    assert.equal(m.get(`metallb_bgp_session_up{peer="${PEER}"}`), 1);
    assert.equal(m.get(`metallb_bgp_announced_prefixes_total{peer="${PEER}"}`), f.addressFamilyInfo?.['ipv4Unicast']?.acceptedPrefixCounter);
    assert.equal(m.get(`metallb_bgp_announced_prefixes_total{peer="${PEER}"}`), 1);
    assert.equal(m.get(`metallb_bgp_pending_prefixes_total{peer="${PEER}"}`), 0);
    assert.equal(m.get(`metallb_bgp_updates_total{peer="${PEER}"}`), f.messageStats?.updatesRecv);
    assert.equal(m.get(`metallbts_bgp_messages_received_total{peer="${PEER}",type="update"}`), f.messageStats?.updatesSent);
    assert.equal(m.get(`metallbts_bgp_messages_sent_total{peer="${PEER}",type="open"}`), f.messageStats?.opensRecv);
    assert.equal(m.get(`metallb_speaker_announced{service="argocd/argocd-server",protocol="bgp",node="${n.name}",ip="${SERVICE_IP}"}`), 1);
    assert.equal(m.get('metallb_k8s_client_config_loaded_bool'), 1);
    assert.equal(m.get('metallb_k8s_client_config_stale_bool'), 0);
    assert.equal(m.get('metallb_allocator_addresses_in_use_total{pool="default"}'), 1);

    // `status --json` versus FRR: state, AS, prefixes, router IDs both ways, negotiated timers.
    const peers = JSON.parse(await status(n.ns, '--json')) as { node: string; peers: PeerSummary[] };
    assert.equal(peers.node, n.name);
    const p = peers.peers[0];
    assert.ok(p && peers.peers.length === 1);
    assert.equal(p.address, ROUTER_V4);
    assert.equal(p.asn, ROUTER_ASN);
    assert.equal(p.state, f.bgpState);
    assert.equal(p.prefixesSent, f.addressFamilyInfo?.['ipv4Unicast']?.acceptedPrefixCounter);
    assert.equal(p.remoteRouterId, ROUTER_V4);
    assert.equal(p.holdTime * 1000, f.bgpTimerHoldTimeMsecs);
    assert.equal(p.keepaliveTime * 1000, f.bgpTimerKeepAliveIntervalMsecs);
    const d = JSON.parse(await status(n.ns, 'peer', ROUTER_V4, '--json')) as PeerDetail;
    assert.equal(d.localRouterId, f.remoteRouterId, 'our router ID is the one FRR sees');
    assert.equal(d.localAddress, n.address);
    assert.equal(d.link, 'internal');

    // The text views.
    const summary = await status(n.ns);
    assert.match(summary, new RegExp(`^10\\.10\\.10\\.1 +4 +${ROUTER_ASN} +\\d+ +\\d+ +\\d\\d:\\d\\d:\\d\\d +Established +1$`, 'm'));
    const detail = await status(n.ns, 'peer', ROUTER_V4);
    assert.match(detail, /^BGP neighbor: 10\.10\.10\.1, remote AS: 64512, link: internal$/m);
    assert.match(detail, new RegExp(`hold time is: ${(f.bgpTimerHoldTimeMsecs ?? 0) / 1000}, keepalive interval in seconds: ${(f.bgpTimerKeepAliveIntervalMsecs ?? 0) / 1000}$`, 'm'));

    // Routes: what we list as sent is the path FRR holds from this node.
    const routes = JSON.parse(await status(n.ns, 'routes', '--json')) as { peers: PeerRoutes[] };
    const sent = routes.peers[0]?.routes ?? [];
    assert.deepEqual(sent.map((r) => r.prefix), [PREFIX]);
    const path = (await topo.frr.paths(PREFIX)).find((x) => x.nexthops?.[0]?.ip === n.address);
    assert.ok(path, `FRR holds ${PREFIX} via ${n.address}`);
    assert.equal(sent[0]?.nextHop, path.nexthops?.[0]?.ip);
    assert.equal(sent[0]?.localPref, path.locPrf);
    assert.deepEqual(sent[0]?.asPath, []);
    assert.equal(path.aspath?.string, 'Local');

    const services = JSON.parse(await status(n.ns, 'services', '--json')) as { services: ServiceView[] };
    assert.deepEqual(
      services.services.map((s) => [s.service, s.status, s.peers.map((x) => [x.address, x.established])]),
      [['argocd/argocd-server', 'announced', [[ROUTER_V4, true]]]],
    );
  }

  // FRR resets node-116's session (Cease, administrative reset): both sides count one NOTIFICATION
  // 6/4 (FRR sent, we received) and one flap; the session and the route come back.
  const before = await frrNeighbor(n116.address);
  await topo.frr.vtysh(`clear bgp ${n116.address}`);
  await waitUntil(async () => ((await frrNeighbor(n116.address)).connectionsEstablished ?? 0) > (before.connectionsEstablished ?? 0), {
    timeoutMs: 30_000,
    what: 'the session to come back after the reset',
  });
  await frrNeighbor(n116.address).then((x) => assert.equal(x.bgpState, 'Established'));
  await waitUntil(async () => (await metrics(n116.ns)).get(`metallb_bgp_session_up{peer="${PEER}"}`) === 1, { timeoutMs: 10_000, what: 'session_up 1 again' });
  const after116 = await frrNeighbor(n116.address);
  const m = await metrics(n116.ns);
  assert.equal(after116.messageStats?.notificationsSent, (before.messageStats?.notificationsSent ?? 0) + 1);
  assert.equal(m.get(`metallbts_bgp_notifications_total{peer="${PEER}",direction="received",code="6",subcode="4"}`), 1);
  assert.equal(m.get(`metallbts_bgp_session_flaps_total{peer="${PEER}"}`), (after116.connectionsDropped ?? 0));
  const d = JSON.parse(await status(n116.ns, 'peer', ROUTER_V4, '--json')) as PeerDetail;
  assert.deepEqual([d.lastNotificationReceived?.code, d.lastNotificationReceived?.subcode], [6, 4]);
  assert.equal(d.flaps, 1);
  await topo.waitRoute(PREFIX, [n116.address, n117.address]);
  // node-117 was not touched.
  const m117 = await metrics(n117.ns);
  assert.equal(m117.get(`metallbts_bgp_session_flaps_total{peer="${PEER}"}`), 0);
});
