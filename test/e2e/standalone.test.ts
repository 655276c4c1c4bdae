// End to end on loopback, no root: the demo's pieces for real. A lab router (our own BGP speaker,
// passive) and two `bin/metallb-ts run` processes, one per node of the seed scenario, on a random
// high port. Each test is bounded (well under 20 s) and waits on conditions, not on fixed sleeps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startChild } from '../../src/demo/children.js';
import type { ChildHandle } from '../../src/demo/children.js';
import { LabRouter } from '../../src/demo/lab-router.js';
import { labTopology } from '../../src/demo/topology.js';
import { loadClusterState } from '../../src/sources/manifests/state.js';
import { BIN, SEED, cli, freePort, seedManifests, waitFor } from './seed-support.js';

function nextHops(router: LabRouter, prefix: string): string[] {
  return router.routes().find((r) => r.prefix === prefix)?.paths.map((p) => p.nextHop) ?? [];
}

test('two speakers reach Established, the router holds the ECMP route, edits apply live, SIGTERM sends a Cease', { timeout: 20_000 }, async () => {
  const port = await freePort();
  const dir = seedManifests(port);
  const snap = await loadClusterState([dir]);
  assert.ok(snap.config);
  const topo = labTopology(snap.config, snap.nodes());
  assert.equal(topo.routers.length, 1);
  const router = new LabRouter(topo.routers[0]!);
  const logs = new Map<string, Record<string, unknown>[]>();
  const children: ChildHandle[] = [];
  try {
    await router.start();
    for (const node of topo.nodes) {
      const lines: Record<string, unknown>[] = [];
      logs.set(node, lines);
      children.push(
        startChild(node, process.execPath, [BIN, 'run', '--node', node, '--manifests', dir, '--drain-time', '0'], {
          onLine: (_s, l) => {
            try {
              lines.push(JSON.parse(l) as Record<string, unknown>);
            } catch {
              lines.push({ raw: l });
            }
          },
        }),
      );
    }
    const established = (): boolean => router.neighbors().every((n) => n.state === 'Established');
    await waitFor('both sessions and the ECMP route', () => established() && nextHops(router, '10.10.10.12/32').length === 2, 8000);
    assert.deepEqual(nextHops(router, '10.10.10.12/32'), ['127.0.0.116', '127.0.0.117']);
    // The log lines come through a pipe and may trail the UPDATEs a little.
    const logged = (event: string): boolean => [...logs.values()].every((l) => l.some((x) => x['event'] === event));
    await waitFor('serviceAnnounced in both logs', () => logged('serviceAnnounced'), 2000);
    for (const lines of logs.values()) {
      const announced = lines.find((l) => l['event'] === 'serviceAnnounced');
      assert.deepEqual(
        announced && [announced['ip'], announced['pool'], announced['protocol'], announced['service']],
        ['10.10.10.12', 'default', 'bgp', 'argocd/argocd-server'],
      );
    }

    // A broken edit keeps the last good state: the route stays, the speakers say why.
    const cluster = readFileSync(join(dir, 'cluster.yaml'), 'utf8');
    writeFileSync(join(dir, 'cluster.yaml'), `${cluster}\n---\nkind: Service\nmetadata: [\n`);
    await waitFor('the parse failure in both logs', () => [...logs.values()].every((l) => l.some((x) => x['msg'] === 'failed to parse the configuration')), 5000);
    assert.deepEqual(nextHops(router, '10.10.10.12/32'), ['127.0.0.116', '127.0.0.117']);

    // The Service and its EndpointSlice go: the route is withdrawn, the sessions stay up.
    const nodesOnly = cluster.split('\n---\n').filter((doc) => /\nkind: Node\n/.test(`\n${doc}`)).join('\n---\n');
    writeFileSync(join(dir, 'cluster.yaml'), nodesOnly);
    await waitFor('the withdrawal', () => router.routes().length === 0, 5000);
    assert.ok(established());
    assert.equal(router.establishedCount('127.0.0.116'), 1);
    assert.equal(router.establishedCount('127.0.0.117'), 1);
    await waitFor('serviceWithdrawn in both logs', () => logged('serviceWithdrawn'), 2000);
    for (const lines of logs.values()) {
      const w = lines.find((l) => l['event'] === 'serviceWithdrawn');
      assert.deepEqual(w && [w['reason'], w['service']], ['serviceDeleted', 'argocd/argocd-server']);
    }

    // And back: announced again on the same sessions.
    writeFileSync(join(dir, 'cluster.yaml'), cluster);
    await waitFor('the route again', () => nextHops(router, '10.10.10.12/32').length === 2, 5000);
    assert.equal(router.establishedCount('127.0.0.116'), 1);

    // SIGTERM without a drain time: a Cease (administrative shutdown) reaches the router and the
    // process exits in < 2 s.
    const t0 = Date.now();
    const exit = await children[0]!.stop(5000);
    const elapsed = Date.now() - t0;
    assert.equal(exit.killed, false);
    assert.equal(exit.code, 0);
    assert.ok(elapsed < 2000, `exit took ${elapsed} ms`);
    await waitFor('the Cease', () => router.notifications().some((n) => n.neighbor === '127.0.0.116'), 2000);
    assert.deepEqual(
      router.notifications().map((n) => [n.neighbor, n.code, n.subcode]),
      [['127.0.0.116', 6, 2]],
    );
    await waitFor('the path via the stopped node to go', () => nextHops(router, '10.10.10.12/32').join() === '127.0.0.117', 2000);
  } finally {
    await Promise.all(children.map((c) => c.stop(2000)));
    await router.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the demo with --for exits 0 after showing the ECMP route and the Ceases', { timeout: 20_000 }, async () => {
  const port = await freePort();
  const dir = seedManifests(port);
  try {
    const r = await cli(['demo', '--for', '3', '--manifests', dir], 15_000);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^B>\* 10\.10\.10\.12\/32 \[200\/0\] via 127\.0\.0\.116, .*\n {2}\* +via 127\.0\.0\.117, /m);
    assert.match(r.stdout, /^127\.0\.0\.116 +4 +64512 .* 1 +Established$/m);
    assert.match(r.stdout, /NOTIFICATION 6\/2 .* from 127\.0\.0\.116/);
    assert.match(r.stdout, /NOTIFICATION 6\/2 .* from 127\.0\.0\.117/);
    assert.match(r.stdout, /"event":"serviceAnnounced"/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad flags name the flag and exit 2', { timeout: 20_000 }, async () => {
  const missing = await cli(['run', '--manifests', SEED], 5000);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /--node/);
  const unknown = await cli(['run', '--node', 'node-116', '--manifests', SEED, '--colour'], 5000);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /--colour/);
  const level = await cli(['run', '--node', 'node-116', '--manifests', SEED, '--log-level', 'loud'], 5000);
  assert.equal(level.code, 2);
  assert.match(level.stderr, /--log-level/);
  const demo = await cli(['demo', '--for', 'soon'], 5000);
  assert.equal(demo.code, 2);
  assert.match(demo.stderr, /--for/);
});
