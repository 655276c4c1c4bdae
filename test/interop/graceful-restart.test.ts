/**
 * Graceful restart with FRR (issue 11, RFC 4724): a speaker whose BGPPeer has
 * `enableGracefulRestart` is killed with SIGKILL and started again, ten times, while a client behind
 * the router opens a connection to the service IP every 10 ms and the router's kernel route is sampled
 * every 20 ms (test/interop/lab/restart-scenario.ts). FRR keeps the node's path as stale over each
 * restart; the new session sends its whole table before End-of-RIB, so FRR never purges the path:
 * the kernel route keeps the node's next hop throughout, no request fails, FRR's log shows every
 * prefix of each new session before its End-of-RIB, and no path is stale at the end.
 * The same with 10 000 Services: `npm run bench:graceful-restart` (bench/graceful-restart.ts).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { Lab, requireLab } from './lab/lab.js';
import { SERVICE_IP } from './lab/seed-topology.js';
import { runRestartScenario } from './lab/restart-scenario.js';

test('graceful restart: SIGKILL and restart ten times, the route keeps the node, every UPDATE before End-of-RIB', { timeout: 300_000 }, async (t) => {
  if (!requireLab(t, ['frr'])) return;
  const lab = Lab.create();
  after(() => lab.teardown());
  const r = await runRestartScenario(lab, {
    services: 0,
    restarts: 10,
    onRestart: (x) => t.diagnostic(`restart ${x.index}: stale after ${x.staleMs.toFixed(0)} ms, Established ${x.establishedMs.toFixed(0)} ms, fresh ${x.freshMs.toFixed(0)} ms`),
  });
  t.diagnostic(`${r.requests.length} requests, ${r.routeSamples} route samples (longest gap ${r.maxSampleGapMs} ms)`);

  // The kernel route never changed: its first sample (via the node) is its only one.
  assert.deepEqual(
    r.routeChanges.map((c) => [c.dst, c.hops]),
    [[SERVICE_IP, [r.node]]],
    'the router kernel route of the service IP kept the node as its next hop at every sample',
  );
  // And no change between two samples either (ticks stretch on a loaded machine): the route monitor
  // saw none.
  assert.deepEqual(r.routeEvents, [], 'ip monitor route saw no change of the service route');
  assert.ok(r.routeSamples > 100, `sampled throughout (${r.routeSamples} samples)`);
  // Not one request failed, and they were answered all along.
  assert.deepEqual(r.requests.filter((q) => q.error !== undefined), [], 'no request failed');
  assert.ok(r.requests.length > 200, `requests every 10 ms throughout (${r.requests.length})`);

  // FRR's log: the first session and one per restart; in each, the prefix before End-of-RIB.
  assert.equal(r.sessions.length, 11);
  for (const [i, s] of r.sessions.entries()) {
    assert.equal(s.endOfRib, true, `session ${i}: End-of-RIB received`);
    assert.deepEqual(s.beforeEndOfRib, [`${SERVICE_IP}/32`], `session ${i}: the UPDATE before End-of-RIB`);
    assert.deepEqual(s.afterEndOfRib, [], `session ${i}: nothing of the table after End-of-RIB`);
  }
  assert.equal(r.restarts.length, 10);
  assert.deepEqual([r.pathsAtEnd, r.staleAtEnd], [1, 0], 'the path is there and no longer stale');
});
