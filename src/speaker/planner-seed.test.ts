/**
 * The seed scenario end to end through the real configuration pipeline: the seed's ConfigMap
 * (verbatim) and its nodes, read by the manifest loader and built by `buildConfig`, then planned.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { configFromManifests } from '../config/from-manifests.js';
import type { EndpointSlice, Service } from '../model/kubernetes.js';
import { loadManifests } from '../sources/manifests/load.js';
import { nodesFromManifests } from '../routerconfig/from-manifests.js';
import { allAdvertisements, planAnnouncements } from './planner.js';

const SEED = fileURLToPath(new URL('../../../src/routerconfig/testdata/seed-manifests/', import.meta.url));

const argocd: Service = {
  kind: 'Service',
  metadata: { name: 'argocd-server', namespace: 'argocd' },
  spec: { type: 'LoadBalancer', ports: [{ port: 443 }], selector: { 'app.kubernetes.io/name': 'argocd-server' } },
};
const slice: EndpointSlice = {
  kind: 'EndpointSlice',
  metadata: { name: 'argocd-server-x1', namespace: 'argocd', labels: { 'kubernetes.io/service-name': 'argocd-server' } },
  addressType: 'IPv4',
  endpoints: [
    { addresses: ['10.244.0.7'], conditions: { ready: true }, nodeName: 'node116' },
    { addresses: ['10.244.1.9'], conditions: { ready: true }, nodeName: 'node117' },
  ],
};

test('seed: both nodes advertise 10.10.10.12/32 with localPref 0 to 10.10.10.1', async () => {
  const set = await loadManifests([SEED]);
  const built = configFromManifests(set);
  assert.ok(built.ok, JSON.stringify(built.ok ? [] : built.errors));
  const nodes = nodesFromManifests(set);
  assert.deepEqual(nodes.map((n) => n.metadata.name).sort(), ['node116', 'node117']);
  for (const node of nodes) {
    const plan = planAnnouncements({
      config: built.config,
      node,
      services: [argocd],
      allocations: { 'argocd/argocd-server': { ips: ['10.10.10.12'], pool: 'default' } },
      endpointSlices: [slice],
    });
    assert.deepEqual(
      allAdvertisements(plan).map((a) => ({ peerAddress: a.peerAddress, prefix: a.prefix, localPref: a.localPref, c: a.communities })),
      [{ peerAddress: '10.10.10.1', prefix: '10.10.10.12/32', localPref: 0, c: [] }],
    );
    assert.deepEqual(
      plan.announcedServices.map((s) => [s.service, s.ip, s.pool, s.numAds]),
      [['argocd/argocd-server', '10.10.10.12', 'default', 1]],
    );
  }
});
