/**
 * Interop (issue 11): TCP MD5 (RFC 2385) between `metallb-ts run` and FRR 8.4, in both directions.
 *
 * 1. The speaker dials: FRR runs the `metallb-ts router-config --vendor frr` output unchanged for a
 *    BGPPeer whose password comes from a `passwordSecret`; the session comes up and the service
 *    route arrives. The Secret changed to a wrong password, then the password removed: no session,
 *    and FRR's kernel counts the speaker's dropped segments (TCPMD5Failure, then TCPMD5NotFound).
 * 2. FRR dials in to the speaker's `--listen [::]` (FRR itself does not listen, so every session is
 *    FRR's connection; the listener's key for the IPv4 peer is an IPv4-mapped one): up with the
 *    same password; with another one, or none, on FRR's side, no session, and `metallb-ts status
 *    peer` says which drop counter rose and what it likely means.
 *
 * "No session" is shown by the event that stops it (a drop counter rising, twice, with FRR's count
 * of established connections unchanged in between), never by waiting for nothing to happen.
 * Namespaces: `mts-m5*-<id>`; all addresses live inside them. Needs root and FRR; skips otherwise.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Lab, requireLab, run, waitUntil } from './lab/lab.js';
import type { Frr } from './lab/frr.js';
import { startFrr } from './lab/frr.js';
import { METALLB_TS_BIN, manifestList, nodeManifest, serviceObjects } from './lab/seed-topology.js';
import { parseTcpMd5Counters } from '../../src/bgp/session/md5-counters.js';
import type { TcpMd5Counters } from '../../src/bgp/session/md5-counters.js';

const SERVICE = '10.10.10.20/32';

async function md5Counters(lab: Lab, ns: string): Promise<TcpMd5Counters> {
  const c = parseTcpMd5Counters(await lab.exec(ns, 'cat', ['/proc/net/netstat']));
  if (!c) throw new Error(`no TCP MD5 counters in ${ns}`);
  return c;
}

const crd = (kind: string, name: string, spec: object): object => ({
  apiVersion: kind === 'BGPPeer' ? 'metallb.io/v1beta2' : 'metallb.io/v1beta1',
  kind,
  metadata: { name, namespace: 'metallb-system' },
  spec,
});

/** The manifests of node-116 with one BGPPeer `peer` (and the Secret `bgp-pw` when `secret` is set). */
function writeManifests(dir: string, nodeIp: string, peer: object, secret?: string): void {
  const objects: object[] = [
    crd('BGPPeer', 'router', peer),
    crd('IPAddressPool', 'default', { addresses: ['10.10.10.10-10.10.10.98'] }),
    crd('BGPAdvertisement', 'all', { ipAddressPools: ['default'] }),
  ];
  if (secret !== undefined) {
    objects.push({
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'kubernetes.io/basic-auth',
      metadata: { name: 'bgp-pw', namespace: 'metallb-system' },
      stringData: { password: secret },
    });
  }
  // Written beside and renamed, so the watcher never reads half a file.
  const tmp = join(dir, '..', 'config.tmp');
  writeFileSync(tmp, manifestList(objects));
  renameSync(tmp, join(dir, '00-config.json'));
  writeFileSync(join(dir, '01-node.yaml'), nodeManifest('node-116', nodeIp));
  writeFileSync(join(dir, '10-svc.json'), manifestList(serviceObjects({ namespace: 'demo', name: 'svc', ip: '10.10.10.20', endpointNodes: ['node-116'] }, 1)));
}

/**
 * Resolves once `counter` of `ns` rose twice (two dropped attempts, or retransmissions), checking
 * that FRR established no connection to `neighbor` in between: the session did not come up.
 */
async function dropsWithoutSession(lab: Lab, ns: string, counter: keyof TcpMd5Counters, frr: Frr, neighbor: string): Promise<void> {
  await waitUntil(async () => (await frr.neighborState(neighbor)) !== 'Established', { what: 'the session down', timeoutMs: 30_000 });
  const established = (await frr.neighbor(neighbor))?.connectionsEstablished ?? 0;
  let seen = (await md5Counters(lab, ns))[counter];
  for (let rises = 0; rises < 2; rises++) {
    const from = seen;
    seen = await waitUntil(async () => {
      const now = (await md5Counters(lab, ns))[counter];
      return now > from ? now : undefined;
    }, { what: `${counter} rising in ${ns}`, timeoutMs: 40_000 });
  }
  assert.notEqual(await frr.neighborState(neighbor), 'Established');
  assert.equal((await frr.neighbor(neighbor))?.connectionsEstablished ?? 0, established, 'no connection was established meanwhile');
}

describe('TCP MD5 with FRR', { timeout: 240_000 }, () => {
  test('the speaker dials: router-config output with a passwordSecret peer works unchanged; a wrong password or none gives no session', async (t) => {
    if (!requireLab(t, ['frr'])) return;
    const lab = Lab.create();
    after(() => lab.teardown());
    const sw = await lab.addSwitch('m5r1', 1);
    const node = await lab.addHost('m5n1', 116);
    const dir = join(lab.dir, 'manifests');
    mkdirSync(dir);
    const peer = { myASN: 64512, peerASN: 64512, peerAddress: sw.v4, passwordSecret: { name: 'bgp-pw' } };
    writeManifests(dir, node.v4, peer, 's3cret');

    const routerConfig = await run(process.execPath, [METALLB_TS_BIN, 'router-config', '--vendor', 'frr', '--manifests', dir]);
    assert.match(routerConfig, /^ neighbor 10\.10\.10\.116 password s3cret$/m);
    const frr = await startFrr(lab, sw, { asn: 64512, routerId: sw.v4, neighbors: [], rawConfig: routerConfig });
    const speaker = lab.spawn(node.name, 'speaker', process.execPath, [METALLB_TS_BIN, 'run', '--node', 'node-116', '--manifests', dir, '--metrics-addr', 'off']);
    t.after(() => lab.kill(speaker));
    const fail = (e: unknown): never => {
      throw new Error(`${(e as Error).message}\nspeaker log:\n${lab.log(speaker)}`);
    };

    await frr.waitEstablished(node.v4, 30_000).catch(fail);
    await waitUntil(async () => (await frr.paths(SERVICE)).length > 0, { what: 'the service route in FRR' }).catch(fail);

    // A wrong password in the Secret: the speaker resets the session and dials with it. FRR drops
    // the SYNs silently; the speaker's status says what an unanswered connect likely means.
    writeManifests(dir, node.v4, peer, 'wrong');
    await dropsWithoutSession(lab, sw.name, 'failure', frr, node.v4).catch(fail);
    await waitUntil(async () => {
      const text = await lab.exec(node.name, process.execPath, [METALLB_TS_BIN, 'status', 'peer', sw.v4]);
      return /Connection problem: no answer to our SYN to 10\.10\.10\.1 port 179 .*TCP MD5 password differs/.test(text);
    }, { what: 'status peer explaining the unanswered connect', timeoutMs: 30_000 }).catch(fail);

    // No password at all: FRR's kernel drops the unsigned segments.
    writeManifests(dir, node.v4, { myASN: 64512, peerASN: 64512, peerAddress: sw.v4 });
    await dropsWithoutSession(lab, sw.name, 'notFound', frr, node.v4).catch(fail);

    // The right one again (inline this time): up, and the route is back.
    writeManifests(dir, node.v4, { ...peer, passwordSecret: undefined, password: 's3cret' });
    await frr.waitEstablished(node.v4, 30_000).catch(fail);
    await waitUntil(async () => (await frr.paths(SERVICE)).length > 0, { what: 'the service route again' }).catch(fail);
  });

  test('FRR dials in to --listen: up with the same password; another one or none gives no session, and status peer says why', async (t) => {
    if (!requireLab(t, ['frr'])) return;
    const lab = Lab.create();
    after(() => lab.teardown());
    const sw = await lab.addSwitch('m5r2', 1);
    const node = await lab.addHost('m5n2', 116);
    const dir = join(lab.dir, 'manifests');
    mkdirSync(dir);
    writeManifests(dir, node.v4, { myASN: 64512, peerASN: 64512, peerAddress: sw.v4, password: 's3cret' });
    // FRR does not listen: a session can only be FRR's own connection to our listener.
    const frr = await startFrr(lab, sw, { asn: 64512, routerId: sw.v4, listenPort: 0, neighbors: [{ address: node.v4, remoteAs: 64512, password: 's3cret' }] });
    const speaker = lab.spawn(node.name, 'speaker', process.execPath, [
      METALLB_TS_BIN, 'run', '--node', 'node-116', '--manifests', dir, '--listen', '[::]:179', '--metrics-addr', 'off', '--status-addr', '127.0.0.1:7473',
    ]);
    t.after(() => lab.kill(speaker));
    const fail = (e: unknown): never => {
      throw new Error(`${(e as Error).message}\nspeaker log:\n${lab.log(speaker)}`);
    };
    const statusPeer = (): Promise<string> => lab.exec(node.name, process.execPath, [METALLB_TS_BIN, 'status', 'peer', sw.v4, '--status-addr', '127.0.0.1:7473']);

    await frr.waitEstablished(node.v4, 30_000).catch(fail);
    const n = await frr.neighbor(node.v4);
    assert.equal(n?.portForeign, 179, 'FRR dialled our port 179');
    await waitUntil(async () => (await frr.paths(SERVICE)).length > 0, { what: 'the service route in FRR' }).catch(fail);

    // FRR changes its password (and resets the session): its segments fail our check.
    await frr.configure(['router bgp 64512', `neighbor ${node.v4} password other`]);
    await dropsWithoutSession(lab, node.name, 'failure', frr, node.v4).catch(fail);
    const wrong = await waitUntil(async () => {
      const text = await statusPeer();
      return /TCPMD5Failure rose by \d+: .*password likely differs/.test(text) ? text : undefined;
    }, { what: 'status peer naming TCPMD5Failure', timeoutMs: 30_000 }).catch(fail);
    assert.match(wrong, /Connection problem: /);
    assert.match(lab.log(speaker), /connectionProblem.*TCPMD5Failure/);

    // FRR without a password: its unsigned segments are dropped by our key.
    await frr.configure(['router bgp 64512', `no neighbor ${node.v4} password`]);
    await dropsWithoutSession(lab, node.name, 'notFound', frr, node.v4).catch(fail);
    await waitUntil(async () => /TCPMD5NotFound rose by \d+: .*no password set/.test(await statusPeer()), {
      what: 'status peer naming TCPMD5NotFound',
      timeoutMs: 30_000,
    }).catch(fail);

    // The same password again: up.
    await frr.configure(['router bgp 64512', `neighbor ${node.v4} password s3cret`]);
    await frr.waitEstablished(node.v4, 60_000).catch(fail);
  });
});
