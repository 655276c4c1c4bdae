/**
 * Interop (issue 11): the transport options of a BGPPeer, applied by `metallb-ts run` against FRR 8.4.
 *
 * Topology: the node (10.10.10.116, and 10.10.10.117 as a second address) on the lab bridge of a
 * middle router namespace (10.10.10.1, forwarding on), and FRR two hops away on 172.31.5.2/24 behind
 * that router (AS 64600, `ebgp-multihop`, so its own packets reach the node, listening on port 1179,
 * passive: every session is the speaker's connection).
 *
 * Without `ebgpMultiHop`, the speaker's SYNs leave with TTL 1 and die at the middle router, which
 * answers with ICMP time exceeded (its `OutTimeExcds` counter rises: the event that shows the
 * session cannot come up). With `ebgpMultiHop: true` (TTL 255) the session comes up, and FRR sees
 * `sourceAddress` (10.10.10.117) as the neighbor, `routerID` as its BGP Identifier and was reached
 * on `peerPort` 1179.
 *
 * Namespaces: `mts-m5*-<id>`; all addresses live inside them. Needs root and FRR; skips otherwise.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Lab, requireLab, waitUntil } from './lab/lab.js';
import { startFrr } from './lab/frr.js';
import { METALLB_TS_BIN, manifestList, nodeManifest, serviceObjects } from './lab/seed-topology.js';

const FAR_ROUTER_SIDE = '172.31.5.1';
const FAR = '172.31.5.2';
const SOURCE = '10.10.10.117';

const crd = (kind: string, name: string, spec: object): object => ({
  apiVersion: kind === 'BGPPeer' ? 'metallb.io/v1beta2' : 'metallb.io/v1beta1',
  kind,
  metadata: { name, namespace: 'metallb-system' },
  spec,
});

function writeManifests(dir: string, nodeIp: string, ebgpMultiHop: boolean): void {
  const objects = [
    crd('BGPPeer', 'far', { myASN: 64512, peerASN: 64600, peerAddress: FAR, peerPort: 1179, sourceAddress: SOURCE, routerID: '10.99.0.7', ebgpMultiHop }),
    crd('IPAddressPool', 'default', { addresses: ['10.10.10.10-10.10.10.98'] }),
    crd('BGPAdvertisement', 'all', { ipAddressPools: ['default'] }),
  ];
  const tmp = join(dir, '..', 'config.tmp');
  writeFileSync(tmp, manifestList(objects));
  renameSync(tmp, join(dir, '00-config.json'));
  writeFileSync(join(dir, '01-node.yaml'), nodeManifest('node-116', nodeIp));
  writeFileSync(join(dir, '10-svc.json'), manifestList(serviceObjects({ namespace: 'demo', name: 'svc', ip: '10.10.10.20', endpointNodes: ['node-116'] }, 1)));
}

/** The middle router's count of ICMP time exceeded messages sent (`/proc/net/snmp`, Icmp OutTimeExcds). */
async function timeExceededSent(lab: Lab, ns: string): Promise<number> {
  const lines = (await lab.exec(ns, 'cat', ['/proc/net/snmp'])).split('\n').filter((l) => l.startsWith('Icmp:'));
  const names = (lines[0] ?? '').trim().split(/\s+/);
  const values = (lines[1] ?? '').trim().split(/\s+/);
  const v = Number(values[names.indexOf('OutTimeExcds')]);
  if (!Number.isFinite(v)) throw new Error('no Icmp OutTimeExcds counter');
  return v;
}

test('ebgpMultiHop: an eBGP peer two hops away comes up only with it; sourceAddress, routerID and peerPort reach FRR', { timeout: 120_000 }, async (t) => {
  if (!requireLab(t, ['frr'])) return;
  const lab = Lab.create();
  after(() => lab.teardown());
  const mid = await lab.addSwitch('m5mid', 1);
  const node = await lab.addHost('m5n', 116, [117]);
  const far = await lab.addIsolated('m5far');
  await lab.addLink(mid.name, 'm5far0', far.name, 'eth0');
  await lab.exec(mid.name, 'ip', ['addr', 'add', `${FAR_ROUTER_SIDE}/24`, 'dev', 'm5far0']);
  await lab.exec(mid.name, 'sysctl', ['-q', '-w', 'net.ipv4.ip_forward=1']);
  await lab.exec(far.name, 'ip', ['addr', 'add', `${FAR}/24`, 'dev', 'eth0']);
  await lab.exec(far.name, 'ip', ['route', 'add', 'default', 'via', FAR_ROUTER_SIDE]);
  await lab.exec(node.name, 'ip', ['route', 'add', 'default', 'via', mid.v4]);

  const frr = await startFrr(lab, { ...far, v4: FAR }, {
    asn: 64600,
    routerId: FAR,
    listenPort: 1179,
    neighbors: [{ address: SOURCE, remoteAs: 64512, passive: true, ebgpMultihop: true }],
  });

  const dir = join(lab.dir, 'manifests');
  mkdirSync(dir);
  writeManifests(dir, node.v4, false);
  const before = await timeExceededSent(lab, mid.name);
  const speaker = lab.spawn(node.name, 'speaker', process.execPath, [METALLB_TS_BIN, 'run', '--node', 'node-116', '--manifests', dir, '--metrics-addr', 'off']);
  t.after(() => lab.kill(speaker));
  const fail = (e: unknown): never => {
    throw new Error(`${(e as Error).message}\nspeaker log:\n${lab.log(speaker)}`);
  };

  // TTL 1: the middle router drops the SYNs (twice: a retransmission or a retry) and says so.
  await waitUntil(async () => (await timeExceededSent(lab, mid.name)) >= before + 2, { what: 'ICMP time exceeded from the middle router', timeoutMs: 30_000 }).catch(fail);
  assert.notEqual(await frr.neighborState(SOURCE), 'Established');
  assert.equal((await frr.neighbor(SOURCE))?.connectionsEstablished ?? 0, 0);

  // ebgpMultiHop: TTL 255, the session comes up (the changed setting resets the session at once).
  writeManifests(dir, node.v4, true);
  await frr.waitEstablished(SOURCE, 40_000).catch(fail);
  const n = await frr.neighbor(SOURCE);
  assert.equal(n?.remoteRouterId, '10.99.0.7', 'routerID');
  assert.equal(n?.hostForeign, SOURCE, 'sourceAddress');
  assert.equal(n?.portLocal, 1179, 'peerPort');
  await waitUntil(async () => (await frr.paths('10.10.10.20/32')).length > 0, { what: 'the service route in FRR' }).catch(fail);
});
