/**
 * One node running `metallb-ts run` peers with FRR, BIRD and GoBGP at once (issue 5 acceptance), from
 * metallb.io CRDs: FRR (10.10.10.1) and BIRD (10.10.10.2) are iBGP (AS 64512), GoBGP (10.10.10.3) is
 * eBGP (AS 64520). One BGPAdvertisement sets LOCAL_PREF 150, community 64512:100 and large community
 * 64512:1:2. Each router reports the attributes as it sees them: LOCAL_PREF only on the iBGP
 * sessions (reference/metallb.md: "LOCAL_PREF is sent only on iBGP sessions"), the communities
 * everywhere, AS_PATH empty on iBGP and [64512] on eBGP. Then a Service removed from the manifests is
 * withdrawn from all three routers while the other stays and no session resets.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { Lab, requireLab, waitUntil } from './lab/lab.js';
import { startFrr } from './lab/frr.js';
import { startBird } from './lab/bird.js';
import type { GobgpAttr } from './lab/gobgp.js';
import { startGobgp } from './lab/gobgp.js';
import { METALLB_TS_BIN, manifestList, nodeManifest, serviceObjects } from './lab/seed-topology.js';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const crd = (kind: string, name: string, spec: object): object => ({
  apiVersion: kind === 'BGPPeer' ? 'metallb.io/v1beta2' : 'metallb.io/v1beta1',
  kind,
  metadata: { name, namespace: 'metallb-system' },
  spec,
});

const A = '10.10.10.20/32';
const B = '10.10.10.21/32';

test('one node, three routers (FRR, BIRD iBGP; GoBGP eBGP): attributes as each reports them; a removed service is withdrawn everywhere', { timeout: 60_000 }, async (t) => {
  if (!requireLab(t, ['frr', 'bird', 'gobgp'])) return;
  const lab = Lab.create();
  after(() => lab.teardown());
  const sw = await lab.addSwitch('frr', 1);
  const birdNs = await lab.addHost('bird', 2);
  const gobgpNs = await lab.addHost('gobgp', 3);
  const node = await lab.addHost('n116', 116);

  const [frr, bird, gobgp] = await Promise.all([
    startFrr(lab, sw, { asn: 64512, routerId: sw.v4, neighbors: [{ address: node.v4, remoteAs: 64512 }] }),
    startBird(lab, birdNs, { asn: 64512, routerId: birdNs.v4, neighbors: [{ name: 'n116', address: node.v4, peerAs: 64512, localAddress: birdNs.v4 }] }),
    startGobgp(lab, gobgpNs, { asn: 64520, routerId: gobgpNs.v4, neighbors: [{ address: node.v4, peerAs: 64512 }] }),
  ]);

  const dir = join(lab.dir, 'manifests');
  mkdirSync(dir);
  const config = [
    crd('BGPPeer', 'frr', { myASN: 64512, peerASN: 64512, peerAddress: sw.v4 }),
    crd('BGPPeer', 'bird', { myASN: 64512, peerASN: 64512, peerAddress: birdNs.v4 }),
    crd('BGPPeer', 'gobgp', { myASN: 64512, peerASN: 64520, peerAddress: gobgpNs.v4 }),
    crd('IPAddressPool', 'default', { addresses: ['10.10.10.10-10.10.10.98'], avoidBuggyIPs: true }),
    crd('BGPAdvertisement', 'tagged', { ipAddressPools: ['default'], localPref: 150, communities: ['64512:100', 'large:64512:1:2'] }),
  ];
  writeFileSync(join(dir, '00-config.json'), manifestList(config));
  writeFileSync(join(dir, '01-node.yaml'), nodeManifest('node-116', node.v4));
  const svc = (name: string, ip: string, i: number): string => manifestList(serviceObjects({ namespace: 'demo', name, ip, endpointNodes: ['node-116'] }, i));
  writeFileSync(join(dir, '10-svc-a.json'), svc('svc-a', '10.10.10.20', 1));
  writeFileSync(join(dir, '11-svc-b.json'), svc('svc-b', '10.10.10.21', 2));

  const speaker = lab.spawn(node.name, 'speaker', process.execPath, [METALLB_TS_BIN, 'run', '--node', 'node-116', '--manifests', dir]);
  t.after(() => lab.kill(speaker));

  await Promise.all([frr.waitEstablished(node.v4), bird.waitEstablished('n116'), gobgp.waitEstablished(node.v4)]).catch((e: unknown) => {
    throw new Error(`${(e as Error).message}\nspeaker log:\n${lab.log(speaker)}`);
  });

  // FRR (iBGP): LOCAL_PREF 150, both communities, empty AS_PATH, next hop the node.
  const frrPaths = await waitUntil(async () => {
    const [a, b] = [await frr.paths(A), await frr.paths(B)];
    return a.length > 0 && b.length > 0 ? { a, b } : undefined;
  }, { what: 'both prefixes in FRR' });
  for (const p of [...frrPaths.a, ...frrPaths.b]) {
    assert.equal(p.locPrf, 150, 'FRR: LOCAL_PREF on iBGP');
    assert.equal(p.community?.string, '64512:100');
    assert.equal(p.largeCommunity?.string, '64512:1:2');
    assert.equal(p.aspath?.string, 'Local', 'FRR: iBGP path, empty AS_PATH');
    assert.equal(p.nexthops?.[0]?.ip, node.v4);
  }

  // BIRD (iBGP): the same, in BIRD's words.
  const birdRoutes = await waitUntil(async () => {
    const rs = await bird.routes('n116');
    return rs.some((r) => r.prefix === A) && rs.some((r) => r.prefix === B) ? rs : undefined;
  }, { what: 'both prefixes in BIRD' });
  for (const r of birdRoutes.filter((x) => x.prefix === A || x.prefix === B)) {
    assert.equal(r.attrs['BGP.local_pref'], '150', 'BIRD: LOCAL_PREF on iBGP');
    assert.equal(r.attrs['BGP.community']?.replace(/\s/g, ''), '(64512,100)');
    assert.equal(r.attrs['BGP.large_community']?.replace(/\s/g, ''), '(64512,1,2)');
    assert.equal(r.attrs['BGP.as_path']?.trim(), '', 'BIRD: iBGP path, empty AS_PATH');
    assert.equal(r.attrs['BGP.next_hop']?.trim(), node.v4);
  }

  // GoBGP (eBGP): no LOCAL_PREF (type 5), AS_PATH [64512], both communities.
  const rib = await waitUntil(async () => {
    const r = await gobgp.rib('ipv4');
    return r[A] && r[B] ? r : undefined;
  }, { what: 'both prefixes in GoBGP' });
  for (const prefix of [A, B]) {
    const attrs: readonly GobgpAttr[] = rib[prefix]?.[0]?.attrs ?? [];
    const byType = (type: number): GobgpAttr | undefined => attrs.find((a) => a.type === type);
    assert.equal(byType(5), undefined, `GoBGP: no LOCAL_PREF on eBGP (attrs ${JSON.stringify(attrs)})`);
    assert.deepEqual((byType(2)?.['as_paths'] as { asns?: number[] }[] | undefined)?.flatMap((s) => s.asns ?? []), [64512], 'GoBGP: AS_PATH [64512]');
    assert.deepEqual(byType(8)?.['communities'], [64512 * 65536 + 100], 'GoBGP: community 64512:100');
    const large = byType(32)?.['value'] as { ASN?: number; LocalData1?: number; LocalData2?: number }[] | undefined;
    assert.deepEqual(large?.map((l) => [l.ASN, l.LocalData1, l.LocalData2]), [[64512, 1, 2]], `GoBGP: large community (attrs ${JSON.stringify(attrs)})`);
    assert.equal(byType(3)?.['nexthop'], node.v4, 'GoBGP: NEXT_HOP the node');
  }

  // svc-b removed from the manifests: withdrawn from all three, svc-a stays, no session resets.
  rmSync(join(dir, '11-svc-b.json'));
  await waitUntil(async () => (await frr.paths(B)).length === 0, { timeoutMs: 10_000, intervalMs: 50, what: 'svc-b withdrawn from FRR' });
  await waitUntil(async () => !(await bird.routes('n116')).some((r) => r.prefix === B), { timeoutMs: 10_000, intervalMs: 50, what: 'svc-b withdrawn from BIRD' });
  await waitUntil(async () => (await gobgp.rib('ipv4'))[B] === undefined, { timeoutMs: 10_000, intervalMs: 50, what: 'svc-b withdrawn from GoBGP' });
  assert.equal((await frr.paths(A)).length, 1, 'svc-a still in FRR');
  assert.ok((await bird.routes('n116')).some((r) => r.prefix === A), 'svc-a still in BIRD');
  assert.ok((await gobgp.rib('ipv4'))[A], 'svc-a still in GoBGP');
  const nb = await frr.neighbor(node.v4);
  assert.equal(nb?.connectionsEstablished, 1, 'FRR: one connection throughout');
  assert.equal(nb?.connectionsDropped, 0);
  assert.equal(await bird.protocolState('n116'), 'Established');
  assert.equal(await gobgp.neighborState(node.v4), 'established');
  const gn = (await gobgp.neighbors()).find((n) => n.conf?.neighbor_address === node.v4);
  assert.equal(gn?.state?.messages?.received?.notification ?? 0, 0, 'GoBGP: no NOTIFICATION received');
});
