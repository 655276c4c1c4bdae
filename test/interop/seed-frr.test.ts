/**
 * The seed scenario with a real FRR (issue 5 acceptance): two nodes running `metallb-ts run` on the
 * seed's ConfigMap verbatim peer with FRR; FRR reports both sessions Established, installs
 * 10.10.10.12/32 as one ECMP route via both nodes, a client behind the router is answered by both
 * nodes; one speaker stopped with SIGTERM closes its session with a Cease and its path is withdrawn
 * from FRR within 2 s (measured).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { Lab, requireLab, run, sleep } from './lab/lab.js';
import { VtyClient } from './lab/vty.js';
import { SERVICE_IP, startSeedTopology } from './lab/seed-topology.js';

const PREFIX = `${SERVICE_IP}/32`;

interface SummaryJson {
  readonly ipv4Unicast?: { readonly peers?: Record<string, { readonly state?: string; readonly pfxRcd?: number }> };
}

test('seed scenario with FRR: Established, ECMP via both nodes, client answered by both, SIGTERM withdraws within 2 s', { timeout: 60_000 }, async (t) => {
  if (!requireLab(t, ['frr'])) return;
  const lab = Lab.create();
  after(() => lab.teardown());
  // Without a drain time, SIGTERM withdraws at once (graceful-shutdown.test.ts checks the drain).
  const topo = await startSeedTopology(lab, { speakerArgs: ['--drain-time', '0'] });
  const [n116, n117] = topo.nodes;
  assert.ok(n116 && n117);

  // Sessions Established as FRR reports them, one prefix received from each node.
  await topo.waitEstablished(20_000);
  await topo.waitRoute(PREFIX, [n116.address, n117.address]);
  const summary = await topo.frr.json<SummaryJson>('show bgp summary');
  for (const n of topo.nodes) {
    const peer = summary.ipv4Unicast?.peers?.[n.address];
    assert.equal(peer?.state, 'Established', `FRR's state of ${n.address}`);
    assert.equal(peer?.pfxRcd, 1, `prefixes FRR received from ${n.address}`);
  }

  // The ECMP route via both nodes, installed in the router's kernel as one multipath route.
  assert.deepEqual(await topo.routeNexthops(PREFIX), [n116.address, n117.address].sort());
  const kernel = await lab.exec(topo.router.name, 'ip', ['-j', 'route', 'show', SERVICE_IP]);
  const kroutes = JSON.parse(kernel) as { dst: string; nexthops?: { gateway: string }[] }[];
  assert.deepEqual(kroutes[0]?.nexthops?.map((h) => h.gateway).sort(), [n116.address, n117.address].sort());

  // The path's attributes: iBGP from the node, next hop the node, LOCAL_PREF 0 (MetalLB sends 0 on
  // iBGP when the advertisement sets none: reference/metallb.md, native speaker).
  const paths = await topo.frr.paths(PREFIX);
  assert.equal(paths.length, 2);
  for (const p of paths) {
    assert.equal(p.aspath?.string, 'Local', 'an iBGP path from the node itself: empty AS_PATH (FRR prints Local)');
    assert.equal(p.locPrf, 0);
  }
  assert.deepEqual(paths.map((p) => p.nexthops?.[0]?.ip).sort(), [n116.address, n117.address].sort());

  // The client behind the router is answered by both nodes through the ECMP route.
  const answers = await topo.clientRequests(32);
  assert.deepEqual(answers.filter((a) => a.error !== undefined), [], 'every request answered');
  assert.deepEqual([...new Set(answers.map((a) => a.body))].sort(), ['node-116', 'node-117']);

  // SIGTERM to node-117's speaker: Cease to FRR, path withdrawn within 2 s.
  const vty = await VtyClient.connect(topo.frr.bgpdVty);
  t.after(() => vty.close());
  const before = await topo.frr.neighbor(n117.address);
  const t0 = performance.now();
  const exited = topo.stopSpeaker(n117);
  let withdrawnMs: number | undefined;
  while (performance.now() - t0 < 3000) {
    const j = JSON.parse(await vty.command(`show bgp ipv4 unicast ${PREFIX} json`)) as { paths?: { nexthops?: { ip?: string }[] }[] };
    const hops = (j.paths ?? []).map((p) => p.nexthops?.[0]?.ip);
    if (!hops.includes(n117.address)) {
      withdrawnMs = performance.now() - t0;
      break;
    }
    await sleep(5);
  }
  await exited;
  t.diagnostic(`path via node-117 withdrawn from FRR ${withdrawnMs?.toFixed(1)} ms after SIGTERM`);
  assert.ok(withdrawnMs !== undefined && withdrawnMs < 2000, `withdrawn within 2 s (took ${withdrawnMs} ms)`);
  assert.equal(n117.speaker?.child.exitCode, 0, 'the speaker exits cleanly');
  const afterStop = await topo.frr.neighbor(n117.address);
  assert.notEqual(afterStop?.bgpState, 'Established');
  // FRR 8's notificationsRecv moves by 2 for one NOTIFICATION (the speaker logs one notificationSent);
  // the reason is what tells: Cease, Administrative Shutdown (RFC 4486 §3, subcode 2).
  assert.ok((afterStop?.messageStats?.notificationsRecv ?? 0) > (before?.messageStats?.notificationsRecv ?? 0), 'FRR received a NOTIFICATION');
  assert.match(afterStop?.lastNotificationReason ?? '', /^Cease\/Administrative Shutdown/);

  // The route now goes via node-116 alone, and the client is answered by it.
  await topo.waitRoute(PREFIX, [n116.address], 5000);
  const rest = await topo.clientRequests(8);
  assert.deepEqual([...new Set(rest.map((a) => a.body ?? a.error))], ['node-116']);

  // node-116 kept its one session throughout.
  const n116After = await topo.frr.neighbor(n116.address);
  assert.equal(n116After?.connectionsEstablished, 1);
  assert.equal(n116After?.connectionsDropped, 0);

  await lab.teardown();
  assert.ok(!(await run('ip', ['netns', 'list'])).includes(lab.id), 'namespaces removed');
});
