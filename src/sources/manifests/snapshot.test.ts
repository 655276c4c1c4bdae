import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSnapshot } from './snapshot.js';
import { SpeakerRuntime } from '../../speaker/runtime.js';
import { createLogger } from '../../observe/log.js';

const SEED = fileURLToPath(new URL('../../../../examples/seed', import.meta.url));

test('examples/seed: the seed ConfigMap, two nodes, the argocd-server Service and its EndpointSlice', async () => {
  const s = await loadSnapshot([SEED]);
  assert.ok(s.ok, JSON.stringify(!s.ok && s.errors));
  assert.deepEqual(s.config.peers.map((p) => [p.name, p.peerAddress, p.peerPort, p.myAsn, p.peerAsn]), [['peer1', '127.0.0.1', 1179, 64512, 64512]]);
  assert.deepEqual(s.config.pools.map((p) => [p.name, p.avoidBuggyIPs, p.addresses.map((a) => `${a.first}-${a.last}`)]), [['default', true, ['10.10.10.10-10.10.10.98']]]);
  assert.deepEqual(s.nodes.map((n) => n.metadata.name), ['node-116', 'node-117']);
  assert.deepEqual(s.services.map((x) => `${x.metadata.namespace}/${x.metadata.name}`), ['argocd/argocd-server']);
  assert.equal(s.endpointSlices.length, 1);

  // Both nodes plan the same: 10.10.10.12/32 to the lab router, each from its own address.
  for (const [node, address] of [['node-116', '127.0.0.116'], ['node-117', '127.0.0.117']] as const) {
    const calls: unknown[] = [];
    const rt = new SpeakerRuntime({
      node,
      logger: createLogger({ level: 'none' }),
      speaker: {
        addPeer: (p) => calls.push(['add', p.peerAddress, p.peerPort, p.sourceAddress]),
        removePeer: (n) => calls.push(['remove', n]),
        setAdvertisements: (n, ads) => calls.push(['set', n, ads.map((a) => a.prefix)]),
      },
    });
    rt.apply(s);
    assert.deepEqual(calls, [
      ['add', '127.0.0.1', 1179, address],
      ['set', 'peer1', ['10.10.10.12/32']],
    ]);
  }
});

test('the seed ConfigMap in examples is the seed verbatim except peer address and port', () => {
  const text = readFileSync(join(SEED, 'config.yaml'), 'utf8');
  const block = text.slice(text.indexOf('    peers:'));
  assert.equal(
    block.replace('127.0.0.1\n      peer-port: 1179', '10.10.10.1').trimEnd(),
    [
      '    peers:',
      '    - peer-address: 10.10.10.1',
      '      peer-asn: 64512',
      '      my-asn: 64512',
      '    address-pools:',
      '    - name: default',
      '      protocol: bgp',
      '      addresses:',
      '      - 10.10.10.10-10.10.10.98',
      '      avoid-buggy-ips: true',
    ].join('\n'),
  );
});

test('any broken file rejects the whole snapshot, with file and line', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mlbts-snap-'));
  try {
    writeFileSync(join(dir, 'config.yaml'), readFileSync(join(SEED, 'config.yaml')));
    writeFileSync(join(dir, 'cluster.yaml'), 'apiVersion: v1\nkind: Service\nmetadata:\n  name: x\nspec: [\n');
    const broken = await loadSnapshot([dir]);
    assert.equal(broken.ok, false);
    assert.ok(!broken.ok && broken.errors.some((e) => e.file?.endsWith('cluster.yaml') && e.line !== undefined));

    writeFileSync(join(dir, 'cluster.yaml'), 'apiVersion: v1\nkind: Node\nmetadata:\n  labels: {}\n');
    const nameless = await loadSnapshot([dir]);
    assert.ok(!nameless.ok && nameless.errors.some((e) => e.rule === 'invalidObject' && e.line === 1));

    writeFileSync(join(dir, 'cluster.yaml'), 'apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  type: LoadBalancer\n');
    const ok = await loadSnapshot([dir]);
    assert.ok(ok.ok);
    assert.equal(ok.services[0]?.metadata.namespace, 'default');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
