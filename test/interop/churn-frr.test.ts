/**
 * 1 000 services added and then removed by manifest rewrites on the seed topology (two nodes, FRR),
 * issue 5 acceptance: FRR's count of established connections for each node stays at one throughout
 * (`connectionsEstablished` and `connectionsDropped` of `show bgp neighbors json` never move: no
 * session is reset by a change of services), and FRR ends with the right prefix count at each stage.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { Lab, requireLab, waitUntil } from './lab/lab.js';
import { VtyClient } from './lab/vty.js';
import { SEED_CONFIGMAP_WITH_BENCH_POOL, SERVICE_IP, benchIp, manifestList, serviceObjects, startSeedTopology } from './lab/seed-topology.js';
import type { SeedTopology } from './lab/seed-topology.js';

const TOTAL = 1000;
const STEP = 100;
const FILE = '20-churn.json';

interface SummaryJson {
  readonly peers?: Record<string, { readonly state?: string; readonly pfxRcd?: number }>;
}

interface NeighborJson {
  readonly bgpState?: string;
  readonly connectionsEstablished?: number;
  readonly connectionsDropped?: number;
}

/** The churn file holding services [0, n). */
function churnFile(n: number): string {
  const objects: object[] = [];
  for (let i = 0; i < n; i++) objects.push(...serviceObjects({ namespace: 'churn', name: `svc-${i}`, ip: benchIp(i), endpointNodes: ['node-116', 'node-117'] }, i));
  return manifestList(objects);
}

test('1 000 services added and removed by manifest rewrites: one connection per peer throughout, right prefix counts', { timeout: 60_000 }, async (t) => {
  if (!requireLab(t, ['frr'])) return;
  const lab = Lab.create();
  after(() => lab.teardown());
  const topo: SeedTopology = await startSeedTopology(lab, { client: false, extraManifests: { '00-config.yaml': SEED_CONFIGMAP_WITH_BENCH_POOL } });
  await topo.waitEstablished(20_000);
  await topo.waitRoute(`${SERVICE_IP}/32`, topo.nodes.map((n) => n.address));
  const vty = await VtyClient.connect(topo.frr.bgpdVty);
  t.after(() => vty.close());

  /** Every node: Established, connected once, never dropped. */
  const checkConnections = async (when: string): Promise<void> => {
    for (const n of topo.nodes) {
      const j = await vty.json<Record<string, NeighborJson>>(`show bgp neighbors ${n.address} json`);
      const nb = j[n.address];
      assert.equal(nb?.bgpState, 'Established', `${n.name} Established ${when}`);
      assert.equal(nb?.connectionsEstablished, 1, `${n.name}: connectionsEstablished ${when}`);
      assert.equal(nb?.connectionsDropped, 0, `${n.name}: connectionsDropped ${when}`);
    }
  };
  /** Waits until FRR has `want` prefixes from every node, checking the connections on every poll. */
  const waitPrefixes = async (want: number, when: string): Promise<void> => {
    await waitUntil(
      async () => {
        await checkConnections(when);
        const s = await vty.json<SummaryJson>('show bgp ipv4 unicast summary json');
        return topo.nodes.every((n) => s.peers?.[n.address]?.pfxRcd === want);
      },
      { timeoutMs: 20_000, intervalMs: 100, what: `${want} prefixes from each node ${when}` },
    ).catch((e: unknown) => {
      throw new Error(`${(e as Error).message}\n${topo.speakerLogs().map((l) => l.log.split('\n').slice(-5).join('\n')).join('\n')}`);
    });
  };

  await checkConnections('before');
  // Added: ten rewrites of one file, 100 more services each, without waiting in between.
  for (let n = STEP; n <= TOTAL; n += STEP) {
    topo.writeManifest(FILE, churnFile(n));
    await checkConnections(`while adding (${n})`);
  }
  await waitPrefixes(TOTAL + 1, 'after adding');
  // Every service IP is one ECMP prefix with a path from each node.
  const table = await vty.json<{ routes?: Record<string, unknown[]> }>('show bgp ipv4 unicast json');
  const routes = table.routes ?? {};
  assert.equal(Object.keys(routes).length, TOTAL + 1);
  for (let i = 0; i < TOTAL; i++) assert.equal(routes[`${benchIp(i)}/32`]?.length, 2, `${benchIp(i)}/32 via both nodes`);

  // Removed: ten rewrites, 100 fewer each, then the file deleted.
  for (let n = TOTAL - STEP; n >= STEP; n -= STEP) {
    topo.writeManifest(FILE, churnFile(n));
    await checkConnections(`while removing (${n})`);
  }
  topo.removeManifest(FILE);
  await waitPrefixes(1, 'after removing');
  // pfxRcd counts as soon as a withdrawal is read; bgpd drops the table entries in its work queue a
  // moment later, so the table is waited for too.
  const end = await waitUntil(
    async () => {
      const j = await vty.json<{ routes?: Record<string, unknown[]> }>('show bgp ipv4 unicast json');
      return Object.keys(j.routes ?? {}).length === 1 ? j : undefined;
    },
    { timeoutMs: 10_000, intervalMs: 100, what: 'FRR table down to one prefix' },
  );
  assert.deepEqual(Object.keys(end.routes ?? {}), [`${SERVICE_IP}/32`], 'only argocd-server is left');
  assert.equal(end.routes?.[`${SERVICE_IP}/32`]?.length, 2);
  await checkConnections('at the end');
});
