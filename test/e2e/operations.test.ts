// Operations end to end on loopback, no root: the demo's lab router (our own BGP speaker, passive) and
// two `bin/metallb-ts run` processes of the seed scenario, each serving /metrics and its status
// endpoint on 127.0.0.1 with a port the system picks. /metrics and `metallb-ts status` (text and JSON)
// are checked against the router's own view of the same sessions. Bounded, and waits on conditions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startChild } from '../../src/demo/children.js';
import type { ChildHandle } from '../../src/demo/children.js';
import { LabRouter } from '../../src/demo/lab-router.js';
import { labTopology } from '../../src/demo/topology.js';
import { loadClusterState } from '../../src/sources/manifests/state.js';
import { parseExposition } from '../../src/observe/test-helpers.js';
import type { PeerDetail, PeerRoutes, PeerSummary, ServiceView } from '../../src/observe/status.js';
import { BIN, cli, freePort, httpGet, seedManifests, waitFor } from './seed-support.js';

const SERVICE = 'argocd/argocd-server';
const IP = '10.10.10.12';

async function scrape(port: number): Promise<Map<string, number>> {
  const r = await httpGet(port, '/metrics');
  assert.equal(r.status, 200);
  return parseExposition(r.body).values;
}

interface Node {
  readonly name: string;
  readonly address: string;
  readonly child: ChildHandle;
  readonly logs: Record<string, unknown>[];
  metricsPort: number;
  statusPort: number;
}

test('/metrics and `status` of two running speakers match the lab router’s view of the same sessions', { timeout: 30_000 }, async () => {
  const routerPort = await freePort();
  const dir = seedManifests(routerPort);
  const snap = await loadClusterState([dir]);
  assert.ok(snap.config);
  const topo = labTopology(snap.config, snap.nodes());
  const router = new LabRouter(topo.routers[0]!);
  const nodes: Node[] = [];
  try {
    await router.start();
    for (const [name, address] of [
      ['node-116', '127.0.0.116'],
      ['node-117', '127.0.0.117'],
    ] as const) {
      const logs: Record<string, unknown>[] = [];
      const child = startChild(
        name,
        process.execPath,
        [BIN, 'run', '--node', name, '--manifests', dir, '--metrics-addr', '127.0.0.1:0', '--status-addr', '127.0.0.1:0'],
        {
          onLine: (_s, l) => {
            try {
              logs.push(JSON.parse(l) as Record<string, unknown>);
            } catch {
              logs.push({ raw: l });
            }
          },
        },
      );
      nodes.push({ name, address, child, logs, metricsPort: 0, statusPort: 0 });
    }
    for (const n of nodes) {
      await waitFor(`${n.name}'s endpoints`, () => n.logs.filter((l) => l['event'] === 'opsListening').length === 2, 8000);
      for (const l of n.logs.filter((x) => x['event'] === 'opsListening')) {
        if (l['role'] === 'metrics') n.metricsPort = Number(l['port']);
        if (l['role'] === 'status') n.statusPort = Number(l['port']);
      }
      assert.ok(n.metricsPort > 0 && n.statusPort > 0);
    }
    const rows = () => new Map(router.neighbors().map((r) => [r.address, r]));
    await waitFor(
      'both sessions up with the route',
      () => [...rows().values()].every((r) => r.state === 'Established' && r.prefixes === 1),
      10_000,
    );
    const peerLabel = `127.0.0.1:${router.port}`;

    for (const n of nodes) {
      assert.equal((await httpGet(n.metricsPort, '/readyz')).status, 200);
      assert.equal((await httpGet(n.statusPort, '/livez')).status, 200);

      // /metrics versus the router: the session is up, the prefixes the router holds from this node
      // are the ones we count as announced, and every message one side sent the other received.
      await waitFor(
        `${n.name}'s counters to agree with the router`,
        async () => {
          const m = await scrape(n.metricsPort);
          const row = rows().get(n.address);
          const sent = ['open', 'update', 'notification', 'keepalive', 'route_refresh'].reduce(
            (a, t) => a + (m.get(`metallbts_bgp_messages_sent_total{peer="${peerLabel}",type="${t}"}`) ?? NaN),
            0,
          );
          return row !== undefined && sent === row.msgRcvd;
        },
        5000,
      );
      const m = await scrape(n.metricsPort);
      const row = rows().get(n.address)!;
      assert.equal(m.get(`metallb_bgp_session_up{peer="${peerLabel}"}`), 1);
      assert.equal(m.get(`metallb_bgp_announced_prefixes_total{peer="${peerLabel}"}`), row.prefixes);
      assert.equal(m.get(`metallb_bgp_pending_prefixes_total{peer="${peerLabel}"}`), 0);
      assert.ok((m.get(`metallb_bgp_updates_total{peer="${peerLabel}"}`) ?? 0) >= 2, 'the route and End-of-RIB');
      assert.equal(m.get(`metallb_speaker_announced{service="${SERVICE}",protocol="bgp",node="${n.name}",ip="${IP}"}`), 1);
      assert.equal(m.get('metallb_allocator_addresses_in_use_total{pool="default"}'), 1);
      assert.equal(m.get('metallb_k8s_client_config_loaded_bool'), 1);
      assert.equal(m.get('metallb_k8s_client_config_stale_bool'), 0);

      // `status --json` versus the router's neighbour row of this node.
      const peers = await cli(['status', '--json', '--status-addr', `127.0.0.1:${n.statusPort}`]);
      assert.equal(peers.code, 0, peers.stderr);
      const doc = JSON.parse(peers.stdout) as { node: string; peers: PeerSummary[] };
      assert.equal(doc.node, n.name);
      assert.equal(doc.peers.length, 1);
      const p = doc.peers[0]!;
      const now = rows().get(n.address)!;
      assert.deepEqual(
        [p.address, p.asn, p.state, p.prefixesSent, p.holdTime, p.keepaliveTime, p.remoteRouterId],
        ['127.0.0.1', topo.routers[0]!.asn, now.state, now.prefixes, 90, 30, '127.0.0.1'],
      );
      assert.equal(p.msgSent, now.msgRcvd);
      assert.equal(p.msgRcvd, now.msgSent);
      assert.ok(p.uptimeSeconds >= 0);

      // The text views.
      const text = await cli(['status', '--status-addr', `127.0.0.1:${n.statusPort}`]);
      assert.equal(text.code, 0, text.stderr);
      assert.match(text.stdout, new RegExp(`^127\\.0\\.0\\.1 +4 +${topo.routers[0]!.asn} +${now.msgSent} +${now.msgRcvd} +\\d\\d:\\d\\d:\\d\\d +Established +1$`, 'm'));
      const detail = await cli(['status', 'peer', '127.0.0.1', '--status-addr', `127.0.0.1:${n.statusPort}`]);
      assert.equal(detail.code, 0, detail.stderr);
      assert.match(detail.stdout, /^BGP neighbor: 127\.0\.0\.1, remote AS: 64512, link: internal$/m);
      assert.match(detail.stdout, /^ {2}BGP State: ESTABLISHED,/m);
      assert.match(detail.stdout, /hold time is: 90, keepalive interval in seconds: 30$/m);
      const detailJson = JSON.parse((await cli(['status', 'peer', '127.0.0.1', '--json', '--status-addr', `127.0.0.1:${n.statusPort}`])).stdout) as PeerDetail;
      assert.equal(detailJson.localAddress, n.address);
      assert.ok(detailJson.capabilities.received.includes('4-octet-as 64512'));

      const routes = JSON.parse((await cli(['status', 'routes', '--json', '--status-addr', `127.0.0.1:${n.statusPort}`])).stdout) as { peers: PeerRoutes[] };
      assert.deepEqual(
        routes.peers.map((x) => x.routes.map((r) => [r.prefix, r.nextHop, r.localPref, r.services])),
        [[[`${IP}/32`, n.address, 0, [SERVICE]]]],
      );
      const installed = router.routes().find((r) => r.prefix === `${IP}/32`);
      assert.ok(installed?.paths.some((x) => x.nextHop === n.address), 'the router holds the path we list');

      const services = JSON.parse((await cli(['status', 'services', '--json', '--status-addr', `127.0.0.1:${n.statusPort}`])).stdout) as { services: ServiceView[] };
      assert.deepEqual(
        services.services.map((s) => [s.service, s.ips, s.pool, s.status, s.peers.map((x) => [x.address, x.established])]),
        [[SERVICE, [IP], 'default', 'announced', [['127.0.0.1', true]]]],
      );

      const unknown = await cli(['status', 'peer', '10.9.9.9', '--status-addr', `127.0.0.1:${n.statusPort}`]);
      assert.equal(unknown.code, 1);
      assert.match(unknown.stderr, /10\.9\.9\.9/);
    }

    // A broken edit: both run on the last good configuration, marked stale; routes untouched.
    const [n116] = nodes;
    const cluster = readFileSync(join(dir, 'cluster.yaml'), 'utf8');
    writeFileSync(join(dir, 'cluster.yaml'), `${cluster}\n---\nkind: Service\nmetadata: [\n`);
    await waitFor('stale config in /metrics', async () => (await scrape(n116!.metricsPort)).get('metallb_k8s_client_config_stale_bool') === 1, 5000);
    const stale = await scrape(n116!.metricsPort);
    assert.ok((stale.get('metallb_k8s_client_update_errors_total') ?? 0) >= 1);
    assert.equal(stale.get('metallb_k8s_client_config_loaded_bool'), 1);
    assert.equal(stale.get(`metallb_bgp_announced_prefixes_total{peer="${peerLabel}"}`), 1);

    // The service goes: withdrawn at the router, 0 prefixes in /metrics and status, the latency of
    // that change observed, the config fresh again.
    const nodesOnly = cluster.split('\n---\n').filter((doc) => /\nkind: Node\n/.test(`\n${doc}`)).join('\n---\n');
    writeFileSync(join(dir, 'cluster.yaml'), nodesOnly);
    await waitFor('the withdrawal at the router', () => router.routes().length === 0, 5000);
    const after = await scrape(n116!.metricsPort);
    assert.equal(after.get('metallb_k8s_client_config_stale_bool'), 0);
    assert.equal(after.get(`metallb_bgp_announced_prefixes_total{peer="${peerLabel}"}`), 0);
    assert.equal(after.get(`metallb_speaker_announced{service="${SERVICE}",protocol="bgp",node="node-116",ip="${IP}"}`), undefined);
    assert.ok((after.get(`metallbts_bgp_update_latency_seconds_count{peer="${peerLabel}"}`) ?? 0) >= 1);
    assert.equal(rows().get('127.0.0.116')?.prefixes, 0);
    const empty = JSON.parse((await cli(['status', '--json', '--status-addr', `127.0.0.1:${n116!.statusPort}`])).stdout) as { peers: PeerSummary[] };
    assert.equal(empty.peers[0]?.prefixesSent, 0);
    assert.equal(empty.peers[0]?.state, 'Established');

    // SIGTERM: the Cease the router receives is the NOTIFICATION counted (we can read it at the
    // router only, the process is gone): 6/2.
    await n116!.child.stop(3000);
    await waitFor('the Cease', () => router.notifications().some((x) => x.neighbor === '127.0.0.116'), 3000);
    assert.deepEqual(router.notifications().map((x) => [x.code, x.subcode]), [[6, 2]]);
    const gone = await cli(['status', '--status-addr', `127.0.0.1:${n116!.statusPort}`]);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /nothing is listening/);
  } finally {
    await Promise.all(nodes.map((n) => n.child.stop(2000)));
    await router.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
