import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AnnouncedService, AnnouncementPlan, PeerPlan } from './planner.js';
import type { PeerConfig } from '../config/types.js';
import { diffPlans, samePeerConfig } from './plan-diff.js';

function peerConfig(name: string, over: Partial<PeerConfig> = {}): PeerConfig {
  return {
    name,
    myAsn: 64512,
    peerAsn: 64512,
    peerAddress: '10.10.10.1',
    peerPort: 179,
    holdTime: 90,
    keepaliveTime: 30,
    nodeSelectors: [],
    ebgpMultiHop: false,
    enableGracefulRestart: false,
    ...over,
  };
}

function peerPlan(config: PeerConfig, ads: { prefix: string; services: string[]; communities?: string[] }[] = []): PeerPlan {
  return {
    name: config.name,
    address: config.peerAddress,
    ibgp: true,
    config,
    advertisements: ads.map((a) => ({
      peer: config.name,
      peerAddress: config.peerAddress,
      prefix: a.prefix,
      localPref: 0,
      communities: a.communities ?? [],
      largeCommunities: [],
      services: a.services,
    })),
  };
}

function announced(service: string, ip: string, peers = ['peer1']): AnnouncedService {
  return {
    service,
    ip,
    ips: [ip],
    pool: 'default',
    numAds: 1,
    prefixes: [`${ip}/32`],
    peers: peers.map((name) => ({ name, address: '10.10.10.1' })),
  };
}

function plan(over: Partial<AnnouncementPlan>): AnnouncementPlan {
  return { node: 'node116', peers: [], unselectedPeers: [], announcedServices: [], withheld: [], withoutPeers: [], ignored: [], ...over };
}

const p1 = peerConfig('peer1');
const base = plan({
  peers: [peerPlan(p1, [{ prefix: '10.10.10.12/32', services: ['argocd/argocd-server'] }])],
  announcedServices: [announced('argocd/argocd-server', '10.10.10.12')],
});

describe('diffPlans: services', () => {
  test('the first plan announces everything and adds every peer', () => {
    const d = diffPlans(undefined, base);
    assert.deepEqual(d.announced.map((s) => s.service), ['argocd/argocd-server']);
    assert.deepEqual(d.peersAdded.map((p) => p.name), ['peer1']);
    assert.deepEqual([d.withdrawn, d.updated, d.peersRemoved], [[], [], []]);
  });

  test('an unchanged plan gives no change', () => {
    assert.deepEqual(diffPlans(base, structuredClone(base)), { announced: [], updated: [], withdrawn: [], peersAdded: [], peersRemoved: [] });
  });

  test('withheld now: withdrawn with the withheld reason', () => {
    const after = plan({
      peers: [peerPlan(p1)],
      withheld: [{ service: 'argocd/argocd-server', ips: ['10.10.10.12'], pool: 'default', reason: 'noEndpoints' }],
    });
    assert.deepEqual(diffPlans(base, after).withdrawn, [{ service: 'argocd/argocd-server', ips: ['10.10.10.12'], pool: 'default', reason: 'noEndpoints' }]);
  });

  test('no longer a LoadBalancer: withdrawn with notLoadBalancer; gone: serviceDeleted', () => {
    const ignored = plan({ peers: [peerPlan(p1)], ignored: [{ service: 'argocd/argocd-server', reason: 'notLoadBalancer' }] });
    assert.equal(diffPlans(base, ignored).withdrawn[0]?.reason, 'notLoadBalancer');
    assert.equal(diffPlans(base, plan({ peers: [peerPlan(p1)] })).withdrawn[0]?.reason, 'serviceDeleted');
  });

  test('a service never announced is never withdrawn', () => {
    const before = plan({ withheld: [{ service: 'a/b', ips: [], reason: 'noIPAllocated' }] });
    const after = plan({ withheld: [{ service: 'a/b', ips: ['10.10.10.20'], pool: 'default', reason: 'noEndpoints' }] });
    assert.deepEqual(diffPlans(before, after).withdrawn, []);
  });

  test('a changed IP: withdrawn with loadBalancerIPChanged and announced again', () => {
    const after = plan({
      peers: [peerPlan(p1, [{ prefix: '10.10.10.13/32', services: ['argocd/argocd-server'] }])],
      announcedServices: [announced('argocd/argocd-server', '10.10.10.13')],
    });
    const d = diffPlans(base, after);
    assert.deepEqual(d.withdrawn, [{ service: 'argocd/argocd-server', ips: ['10.10.10.12'], pool: 'default', reason: 'loadBalancerIPChanged' }]);
    assert.deepEqual(d.announced.map((s) => s.ip), ['10.10.10.13']);
    assert.deepEqual(d.updated, []);
  });

  test('changed attributes or peers of an announced service: updated', () => {
    const communities = plan({
      peers: [peerPlan(p1, [{ prefix: '10.10.10.12/32', services: ['argocd/argocd-server'], communities: ['1:1'] }])],
      announcedServices: [announced('argocd/argocd-server', '10.10.10.12')],
    });
    assert.deepEqual(diffPlans(base, communities).updated.map((s) => s.service), ['argocd/argocd-server']);
    const p2 = peerConfig('peer2', { peerAddress: '10.10.10.2' });
    const morePeers = plan({
      peers: [
        peerPlan(p1, [{ prefix: '10.10.10.12/32', services: ['argocd/argocd-server'] }]),
        peerPlan(p2, [{ prefix: '10.10.10.12/32', services: ['argocd/argocd-server'] }]),
      ],
      announcedServices: [announced('argocd/argocd-server', '10.10.10.12', ['peer1', 'peer2'])],
    });
    const d = diffPlans(base, morePeers);
    assert.deepEqual(d.updated.map((s) => s.service), ['argocd/argocd-server']);
    assert.deepEqual(d.peersAdded.map((p) => p.name), ['peer2']);
    assert.deepEqual(d.announced, []);
  });

  test('another service sharing the prefix does not make this one updated', () => {
    const after = plan({
      peers: [peerPlan(p1, [{ prefix: '10.10.10.12/32', services: ['argocd/argocd-server'] }, { prefix: '10.10.10.13/32', services: ['x/y'] }])],
      announcedServices: [announced('argocd/argocd-server', '10.10.10.12'), announced('x/y', '10.10.10.13')],
    });
    const d = diffPlans(base, after);
    assert.deepEqual(d.updated, []);
    assert.deepEqual(d.announced.map((s) => s.service), ['x/y']);
  });
});

describe('diffPlans: peers', () => {
  test('a peer with any changed field is removed (removedFromConfig) and added again', () => {
    const after = plan({ ...base, peers: [peerPlan(peerConfig('peer1', { holdTime: 30, keepaliveTime: 10 }))] });
    const d = diffPlans(base, after);
    assert.deepEqual(d.peersRemoved, [{ name: 'peer1', address: '10.10.10.1', reason: 'removedFromConfig' }]);
    assert.deepEqual(d.peersAdded.map((p) => p.config.holdTime), [30]);
  });

  test('a peer that stops selecting the node: filteredByNodeSelector', () => {
    const after = plan({ unselectedPeers: ['peer1'] });
    assert.deepEqual(diffPlans(base, after).peersRemoved, [{ name: 'peer1', address: '10.10.10.1', reason: 'filteredByNodeSelector' }]);
  });

  test('a peer gone from the configuration: removedFromConfig', () => {
    assert.deepEqual(diffPlans(base, plan({})).peersRemoved, [{ name: 'peer1', address: '10.10.10.1', reason: 'removedFromConfig' }]);
  });

  test('samePeerConfig ignores key order but not values', () => {
    const reordered = Object.fromEntries(Object.entries(p1).reverse()) as unknown as PeerConfig;
    assert.equal(samePeerConfig(p1, reordered), true);
    assert.equal(samePeerConfig(p1, peerConfig('peer1', { password: 'x' })), false);
    assert.equal(samePeerConfig(p1, peerConfig('peer1', { nodeSelectors: [{ matchLabels: { a: 'b' } }] })), false);
  });
});
