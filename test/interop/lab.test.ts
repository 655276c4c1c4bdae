/**
 * Proves the lab harness end to end before (and independently of) our speaker: FRR and GoBGP in two
 * namespaces on the lab bridge reach Established over IPv4 and IPv6, FRR can be queried as JSON, a
 * route GoBGP announces shows up in FRR with its attributes, and teardown removes every namespace.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { Lab, requireLab, run, waitUntil } from './lab/lab.js';
import { startFrr } from './lab/frr.js';
import { startGobgp } from './lab/gobgp.js';

test('lab: FRR and GoBGP peer over IPv4 and IPv6, FRR is queryable, teardown cleans up', { timeout: 60_000 }, async (t) => {
  if (!requireLab(t, ['frr', 'gobgp'])) return;
  const lab = Lab.create();
  after(() => lab.teardown());
  const r = await lab.addSwitch('r');
  const g = await lab.addHost('g', 3);
  const frr = await startFrr(lab, r, {
    asn: 64512,
    routerId: r.v4,
    neighbors: [
      { address: g.v4, remoteAs: 4200000003 },
      { address: g.v6, remoteAs: 4200000003 },
    ],
  });
  const gobgp = await startGobgp(lab, g, {
    asn: 4200000003,
    routerId: g.v4,
    neighbors: [
      { address: r.v4, peerAs: 64512 },
      { address: r.v6, peerAs: 64512 },
    ],
  });
  await frr.waitEstablished(g.v4);
  await frr.waitEstablished(g.v6);
  await gobgp.addRoute('198.51.100.7/32', ['community', '64512:100', 'large-community', '64512:1:2', 'med', '50']);
  await gobgp.addRoute('2001:db8::7/128', ['community', '64512:100']);
  const [p4] = await waitUntil(async () => {
    const p = await frr.paths('198.51.100.7/32');
    return p.length > 0 ? p : undefined;
  }, { what: 'IPv4 route in FRR' });
  assert.equal(p4?.aspath?.string, '4200000003');
  assert.equal(p4?.metric, 50);
  assert.equal(p4?.community?.string, '64512:100');
  assert.equal(p4?.largeCommunity?.string, '64512:1:2');
  assert.equal(p4?.nexthops?.[0]?.ip, g.v4);
  const [p6] = await waitUntil(async () => {
    const p = await frr.paths('2001:db8::7/128');
    return p.length > 0 ? p : undefined;
  }, { what: 'IPv6 route in FRR' });
  assert.equal(p6?.nexthops?.[0]?.ip, g.v6);
  const gr = await waitUntil(async () => {
    const rib = await gobgp.rib('ipv4');
    return rib['198.51.100.7/32'] ? rib : undefined;
  }, { what: 'route in GoBGP RIB' });
  assert.ok(gr['198.51.100.7/32']);

  await lab.teardown();
  const left = await run('ip', ['netns', 'list']);
  assert.ok(!left.includes(lab.id), `namespaces left: ${left}`);
  assert.equal(await waitUntil(() => frr.bgpd && frr.bgpd.exited.then(() => true)), true);
});
