// `plan`, `status`, the metrics and the running speaker read one pipeline, so they agree: on loopback,
// no root, the demo's lab router and one `bin/metallb-ts run`, on manifests with a pool chosen by
// namespace selectors (which `status` and the metrics once recomputed without the selectors), a
// Service without spec (which `plan` once accepted and `run` rejected with the whole snapshot) and
// malformed objects (which once crashed `plan` and stopped every later reload of `run`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startChild } from '../../src/demo/children.js';
import type { ChildHandle } from '../../src/demo/children.js';
import { LabRouter } from '../../src/demo/lab-router.js';
import { parseExposition } from '../../src/observe/test-helpers.js';
import type { PeerRoutes, ServiceView } from '../../src/observe/status.js';
import { BIN, cli, freeCrdPort, httpGet, waitFor } from './seed-support.js';

/** `metallb-ts run` for `node` on `dir`, its JSON log lines collected in `logs`. */
function startRun(node: string, dir: string, logs: Record<string, unknown>[]): ChildHandle {
  return startChild(node, process.execPath, [BIN, 'run', '--node', node, '--manifests', dir, '--metrics-addr', '127.0.0.1:0', '--status-addr', '127.0.0.1:0'], {
    onLine: (_s, l) => {
      try {
        logs.push(JSON.parse(l) as Record<string, unknown>);
      } catch {
        logs.push({ raw: l });
      }
    },
  });
}

const config = (port: number): string => `apiVersion: metallb.io/v1beta2
kind: BGPPeer
metadata: {name: router, namespace: metallb-system}
spec: {myASN: 64512, peerASN: 64512, peerAddress: 127.0.0.1, peerPort: ${port}}
---
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: default, namespace: metallb-system}
spec: {addresses: [10.10.10.10-10.10.10.98], avoidBuggyIPs: true}
---
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: team, namespace: metallb-system}
spec:
  addresses: [10.10.20.0/28]
  serviceAllocation:
    priority: 10
    namespaceSelectors:
    - matchLabels: {team: a}
---
apiVersion: metallb.io/v1beta1
kind: BGPAdvertisement
metadata: {name: all, namespace: metallb-system}
spec: {ipAddressPools: [default, team]}
`;

const node = (name: string, address: string): string => `apiVersion: v1
kind: Node
metadata: {name: ${name}, labels: {kubernetes.io/hostname: ${name}}}
status: {addresses: [{type: InternalIP, address: ${address}}]}
`;

const service = (ns: string, name: string, extra = ''): string => `apiVersion: v1
kind: Service
metadata: {namespace: ${ns}, name: ${name}${extra}}
spec: {type: LoadBalancer, ipFamilies: [IPv4], ports: [{port: 80, protocol: TCP}]}
`;

const slice = (ns: string, svc: string): string => `apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {namespace: ${ns}, name: ${svc}-1, labels: {kubernetes.io/service-name: ${svc}}}
addressType: IPv4
endpoints: [{addresses: [10.244.1.15], conditions: {ready: true}, nodeName: node-116}]
`;

const CLUSTER = [
  node('node-116', '127.0.0.116'),
  node('node-117', '127.0.0.117'),
  `apiVersion: v1\nkind: Namespace\nmetadata: {name: apps, labels: {team: a}}\n`,
  service('argocd', 'argocd-server', ', annotations: {metallb.io/loadBalancerIPs: 10.10.10.12}'),
  slice('argocd', 'argocd-server'),
  service('apps', 'web'),
  slice('apps', 'web'),
].join('---\n');

// Each bad object on its own lines of bad.yaml: the line of the field that is wrong is reported.
const BAD = [
  `apiVersion: v1\nkind: Service\nmetadata: {namespace: bad, name: nospec}\n`, // lines 1-3
  `apiVersion: v1\nkind: Service\nmetadata: {namespace: bad, name: ports}\nspec:\n  type: LoadBalancer\n  ports: 5432\n`, // 5-10
  `apiVersion: v1\nkind: Service\nmetadata:\n  namespace: bad\n  name: badip\n  annotations:\n    metallb.io/loadBalancerIPs: 192.168.20.300\nspec: {type: LoadBalancer}\n`, // 12-19
].join('---\n');

test('plan, status, the metrics and the running speaker agree, through the one pipeline', { timeout: 30_000 }, async () => {
  const routerPort = await freeCrdPort();
  const dir = mkdtempSync(join(tmpdir(), 'mlbts-pipeline-'));
  writeFileSync(join(dir, 'config.yaml'), config(routerPort));
  writeFileSync(join(dir, 'cluster.yaml'), CLUSTER);
  writeFileSync(join(dir, 'bad.yaml'), BAD);
  const router = new LabRouter({ peers: ['router'], address: '127.0.0.1', port: routerPort, asn: 64512, neighbors: [{ node: 'node-116', address: '127.0.0.116', asn: 64512 }] });
  let child: ChildHandle | undefined;
  let late: ChildHandle | undefined;
  try {
    // `plan`: the good objects planned, every bad one named with file, line and field, exit 1.
    const plan = await cli(['plan', '--json', '--node', 'node-116', '--manifests', dir]);
    assert.equal(plan.code, 1, plan.stderr);
    const bad = join(dir, 'bad.yaml');
    assert.match(plan.stderr, new RegExp(`${bad}:1: Service/bad/nospec: spec`));
    assert.match(plan.stderr, new RegExp(`${bad}:10: Service/bad/ports: spec\\.ports`));
    assert.match(plan.stderr, new RegExp(`${bad}:18: Service/bad/badip: metadata\\.annotations\\["metallb\\.io/loadBalancerIPs"\\]`));
    const report = JSON.parse(plan.stdout) as {
      services: { service: string; ips: string[]; pool?: string }[];
      pools: { pool: string; inUse: number }[];
      advertisements: { node: string; prefix: string }[];
    };
    assert.deepEqual(report.services.map((s) => s.service), ['apps/web', 'argocd/argocd-server']);
    const web = report.services.find((s) => s.service === 'apps/web');
    assert.equal(web?.pool, 'team');
    assert.match(web?.ips[0] ?? '', /^10\.10\.20\.\d+$/);
    assert.deepEqual(report.pools.map((p) => [p.pool, p.inUse]), [['default', 1], ['team', 1]]);
    const planned = report.advertisements.map((a) => a.prefix).sort();
    assert.deepEqual(planned, [`${web?.ips[0]}/32`, '10.10.10.12/32'].sort());

    // The running speaker: the router receives exactly the planned prefixes.
    await router.start();
    const logs: Record<string, unknown>[] = [];
    child = startRun('node-116', dir, logs);
    await waitFor('the endpoints', () => logs.filter((l) => l['event'] === 'opsListening').length === 2, 8000);
    const port = (role: string): number => Number(logs.find((l) => l['event'] === 'opsListening' && l['role'] === role)?.['port']);
    await waitFor('both routes at the router', () => router.routes().length === 2, 10_000);
    assert.deepEqual(router.routes().map((r) => r.prefix).sort(), planned);
    // Each bad object is logged with where it is, and blocked nothing.
    const invalid = logs.filter((l) => l['event'] === 'invalidObject').map((l) => String(l['msg']));
    assert.deepEqual(invalid.sort(), ['Service bad/badip is invalid; left out', 'Service bad/nospec is invalid; left out', 'Service bad/ports is invalid; left out']);

    // `status`: the same services, announced, with the same IPs and pools; the same routes.
    const statusAddr = `127.0.0.1:${port('status')}`;
    const services = JSON.parse((await cli(['status', 'services', '--json', '--status-addr', statusAddr])).stdout) as { services: ServiceView[] };
    assert.deepEqual(
      services.services.map((s) => [s.service, s.ips, s.pool, s.status]),
      report.services.map((s) => [s.service, s.ips, s.pool, 'announced']),
    );
    const routes = JSON.parse((await cli(['status', 'routes', '--json', '--status-addr', statusAddr])).stdout) as { peers: PeerRoutes[] };
    assert.deepEqual(routes.peers.flatMap((p) => p.routes.map((r) => r.prefix)).sort(), planned);

    // The metrics: addresses in use per pool as `plan` counts them, both services announced.
    const metrics = parseExposition((await httpGet(port('metrics'), '/metrics')).body).values;
    for (const p of report.pools) assert.equal(metrics.get(`metallb_allocator_addresses_in_use_total{pool="${p.pool}"}`), p.inUse, p.pool);
    for (const s of report.services) {
      assert.equal(metrics.get(`metallb_speaker_announced{service="${s.service}",protocol="bgp",node="node-116",ip="${s.ips[0]}"}`), 1, s.service);
    }
    assert.equal(metrics.get('metallb_k8s_client_config_stale_bool'), 0);

    // A speaker for a node the manifests do not have yet: it says so (log and status), keeps
    // watching, and peers once the Node appears.
    const lateLogs: Record<string, unknown>[] = [];
    late = startRun('node-118', dir, lateLogs);
    await waitFor('the missing node reported', () => lateLogs.some((l) => l['event'] === 'nodeNotFound'), 8000);
    assert.deepEqual(lateLogs.find((l) => l['event'] === 'nodeNotFound')?.['nodes'], ['node-116', 'node-117']);
    await waitFor('its endpoints', () => lateLogs.filter((l) => l['event'] === 'opsListening').length === 2, 8000);
    const lateStatus = `127.0.0.1:${Number(lateLogs.find((l) => l['event'] === 'opsListening' && l['role'] === 'status')?.['port'])}`;
    const peers = await cli(['status', '--status-addr', lateStatus]);
    assert.match(peers.stdout, /^Warning: node node-118 has no Node object in the manifests \(found: node-116, node-117\); announcing nothing until it appears$/m);
    assert.match(peers.stdout, /^Peers 0$/m);
    writeFileSync(join(dir, 'node-118.yaml'), node('node-118', '127.0.0.118'));
    await waitFor('the late node to peer', () => lateLogs.some((l) => l['event'] === 'peerAdded'), 8000);
    assert.ok(lateLogs.some((l) => l['event'] === 'nodeFound'));
    assert.doesNotMatch((await cli(['status', '--status-addr', lateStatus])).stdout, /Warning/);
  } finally {
    await late?.stop(2000);
    await child?.stop(2000);
    await router.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
