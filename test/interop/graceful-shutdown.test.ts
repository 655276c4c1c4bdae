/**
 * Graceful shutdown with FRR (issue 11, RFC 8326) on the seed topology: two nodes announce the
 * service IP over iBGP with LOCAL_PREF 100, FRR (`maximum-paths ibgp 8`) routes it by ECMP via both,
 * a client behind the router opens a connection every 10 ms, and each node answers only through the
 * BGP route (`arp_ignore=1`). SIGTERM to node-117's speaker re-announces its path with
 * GRACEFUL_SHUTDOWN and LOCAL_PREF 0: the router's route loses node-117 while FRR still holds the path
 * (with the community and LOCAL_PREF 0), new requests go to node-116, and only after the drain time
 * (3 s here) is the path withdrawn and the session closed with Cease 6/2. Not one request fails.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { Lab, requireLab, sleep, waitUntil } from './lab/lab.js';
import { VtyClient } from './lab/vty.js';
import { SERVICE_IP, startSeedTopology } from './lab/seed-topology.js';
import { startClientLoop, startRouteSampler } from './lab/traffic-watch.js';

const PREFIX = `${SERVICE_IP}/32`;
const DRAIN_MS = 3000;

/** The seed's pool and peer as CRDs, with LOCAL_PREF 100 on the advertisement. */
const CONFIG = `apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: default, namespace: metallb-system}
spec:
  addresses: [10.10.10.10-10.10.10.98]
  avoidBuggyIPs: true
---
apiVersion: metallb.io/v1beta1
kind: BGPAdvertisement
metadata: {name: default, namespace: metallb-system}
spec:
  ipAddressPools: [default]
  localPref: 100
---
apiVersion: metallb.io/v1beta2
kind: BGPPeer
metadata: {name: router, namespace: metallb-system}
spec:
  myASN: 64512
  peerASN: 64512
  peerAddress: 10.10.10.1
`;

interface PathJson {
  readonly locPrf?: number;
  readonly community?: { readonly string?: string };
  readonly nexthops?: readonly { readonly ip?: string }[];
}

test('graceful shutdown: SIGTERM moves new requests to the other node before the path is withdrawn; no request fails', { timeout: 120_000 }, async (t) => {
  if (!requireLab(t, ['frr'])) return;
  const lab = Lab.create();
  after(() => lab.teardown());
  const topo = await startSeedTopology(lab, {
    rolePrefix: 'gr-',
    extraManifests: { '00-config.yaml': CONFIG },
    speakerArgs: ['--drain-time', `${DRAIN_MS}ms`],
  });
  const [n116, n117] = topo.nodes;
  assert.ok(n116 && n117 && topo.client);
  for (const n of topo.nodes) await lab.exec(n.ns.name, 'sysctl', ['-q', '-w', 'net.ipv4.conf.all.arp_ignore=1']);
  await topo.waitEstablished(30_000);
  await topo.waitRoute(PREFIX, [n116.address, n117.address]);

  const sampler = await startRouteSampler(lab, topo.router.name, [SERVICE_IP], 20);
  const loop = await startClientLoop(lab, topo.client.name, SERVICE_IP, 10);
  await waitUntil(() => new Set(loop.outcomes().map((o) => o.node)).size === 2, { timeoutMs: 20_000, intervalMs: 20, what: 'answers from both nodes' });

  const vty = await VtyClient.connect(topo.frr.bgpdVty);
  t.after(() => vty.close());
  const pathVia = async (address: string): Promise<PathJson | undefined> => {
    const j = JSON.parse(await vty.command(`show bgp ipv4 unicast ${PREFIX} json`)) as { paths?: PathJson[] };
    return (j.paths ?? []).find((p) => p.nexthops?.[0]?.ip === address);
  };
  const before = await pathVia(n117.address);
  assert.equal(before?.locPrf, 100);

  // SIGTERM; follow node-117's path in FRR until it is withdrawn.
  const speaker = n117.speaker;
  assert.ok(speaker);
  const t0 = Date.now();
  process.kill(speaker.pid, 'SIGTERM');
  let drained: { at: number; path: PathJson } | undefined;
  let withdrawnAt: number | undefined;
  while (Date.now() - t0 < DRAIN_MS + 10_000) {
    const p = await pathVia(n117.address);
    const at = Date.now();
    if (!p) {
      withdrawnAt = at;
      break;
    }
    if (!drained && p.locPrf === 0) drained = { at, path: p };
    await sleep(5);
  }
  const exit = await speaker.exited;
  // A few more requests after the withdrawal, then stop watching.
  const seen = loop.outcomes().length;
  await waitUntil(() => loop.outcomes().length >= seen + 20, { timeoutMs: 10_000, intervalMs: 20, what: 'more requests' });
  const requests = await loop.stop();
  const route = await sampler.stop();

  assert.ok(drained, 'FRR held the path with LOCAL_PREF 0 before the withdrawal');
  assert.ok(withdrawnAt !== undefined, 'the path was withdrawn');
  // FRR prints 65535:0 by its well-known name.
  assert.match(drained.path.community?.string ?? '', /graceful-shutdown/);
  assert.ok(withdrawnAt - drained.at >= DRAIN_MS - 500, `withdrawn after the drain (${withdrawnAt - drained.at} ms after LOCAL_PREF 0)`);

  // The kernel route lost node-117 while the path was still in FRR, and kept node-116 throughout.
  const lost = route.changes.find((c) => c.t >= t0 && c.hops.join() === n116.address);
  assert.ok(lost, `the route went to node-116 alone: ${JSON.stringify(route.changes)}`);
  assert.ok(lost.t < withdrawnAt, `the route lost node-117 ${withdrawnAt - lost.t} ms before the withdrawal`);
  assert.deepEqual(
    route.changes.filter((c) => c.t >= t0).map((c) => c.hops),
    [[n116.address]],
    'one route change after SIGTERM: node-117 removed, node-116 kept',
  );
  assert.ok(route.events.length > 0, 'ip monitor route saw the change');

  // New requests went to node-116 before the withdrawal, and none failed.
  const moved = requests.filter((r) => r.t > lost.t + 50 && r.t < withdrawnAt);
  assert.ok(moved.length > 0, 'requests between the route change and the withdrawal');
  assert.deepEqual([...new Set(moved.map((r) => r.node))], ['node-116'], 'new requests answered by node-116 during the drain');
  assert.deepEqual(requests.filter((r) => r.error !== undefined), [], 'no request failed');
  t.diagnostic(
    `${requests.length} requests; route lost node-117 ${lost.t - t0} ms after SIGTERM, path withdrawn ${withdrawnAt - t0} ms after; ${moved.length} requests to node-116 in between`,
  );

  // The session closed with Cease, Administrative Shutdown, and the speaker exited cleanly.
  assert.equal(exit.code, 0);
  const neighbor = await topo.frr.neighbor(n117.address);
  assert.match(neighbor?.lastNotificationReason ?? '', /^Cease\/Administrative Shutdown/);
  const kept = await topo.frr.neighbor(n116.address);
  assert.equal(kept?.connectionsDropped, 0);
});
