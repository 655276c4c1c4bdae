import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AdvertisementConfig, Config, PeerConfig, PoolConfig } from '../config/types.js';
import type { EndpointSlice, Node, Service } from '../model/kubernetes.js';
import type { PlanInput, ServiceIps, WithheldReason } from './planner.js';
import {
  allAdvertisements,
  comparePrefixes,
  EXCLUDE_BALANCERS_LABEL,
  isIbgp,
  localPrefsCompatible,
  planAnnouncements,
} from './planner.js';
import { allocateAll } from '../allocator/index.js';
import { advertisementConfig as adv, peerConfig as peer, poolConfig as pool } from '../config/test-builders.js';

// ---- builders (test data written by hand, not by the config parser) ----




/** The seed's ConfigMap, normalised: one iBGP peer, pool default, its default advertisement. */
function seedConfig(): Config {
  return {
    peers: [peer()],
    pools: [pool('default', [['10.10.10.10', '10.10.10.98']], { avoidBuggyIPs: true })],
    advertisements: [adv('bgpadvertisement1', ['default'])],
    bfdProfiles: [],
    warnings: [],
  };
}

function node(name: string, address: string, labels: Record<string, string> = {}, networkUnavailable?: boolean): Node {
  return {
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...labels } },
    status: {
      addresses: [{ type: 'InternalIP', address }],
      ...(networkUnavailable === undefined
        ? {}
        : { conditions: [{ type: 'NetworkUnavailable', status: networkUnavailable ? 'True' : 'False' }] }),
    },
  };
}

function service(ns: string, name: string, over: Partial<Service['spec']> = {}, labels?: Record<string, string>): Service {
  return {
    kind: 'Service',
    metadata: { name, namespace: ns, ...(labels ? { labels } : {}) },
    spec: { type: 'LoadBalancer', ports: [{ port: 443 }], selector: { app: name }, ...over },
  };
}

type Cond = { ready?: boolean; serving?: boolean };
function slice(ns: string, svc: string, endpoints: { node?: string; addresses?: string[]; cond?: Cond }[], name = `${svc}-abc`): EndpointSlice {
  return {
    kind: 'EndpointSlice',
    metadata: { name, namespace: ns, labels: { 'kubernetes.io/service-name': svc } },
    addressType: 'IPv4',
    endpoints: endpoints.map((e) => ({
      addresses: e.addresses ?? ['10.244.1.5'],
      ...(e.node !== undefined ? { nodeName: e.node } : {}),
      ...(e.cond ? { conditions: e.cond } : {}),
    })),
  };
}

const node116 = node('node116', '10.10.10.116');
const node117 = node('node117', '10.10.10.117');
const argocd = service('argocd', 'argocd-server');
const argocdSlice = slice('argocd', 'argocd-server', [
  { node: 'node116', cond: { ready: true } },
  { node: 'node117', cond: { ready: true } },
]);
const argocdAlloc: Record<string, ServiceIps> = { 'argocd/argocd-server': { ips: ['10.10.10.12'], pool: 'default' } };

function seedInput(over: Partial<PlanInput> = {}): PlanInput {
  return {
    config: seedConfig(),
    node: node116,
    services: [argocd],
    allocations: argocdAlloc,
    endpointSlices: [argocdSlice],
    ...over,
  };
}

function reasonOf(input: PlanInput, key = 'argocd/argocd-server'): WithheldReason | 'announced' | undefined {
  const plan = planAnnouncements(input);
  if (plan.announcedServices.some((s) => s.service === key)) return 'announced';
  return plan.withheld.find((w) => w.service === key)?.reason;
}

// ---- the seed scenario ----

describe('seed scenario', () => {
  for (const n of [node116, node117]) {
    test(`${n.metadata.name} advertises 10.10.10.12/32 with localPref 0 to 10.10.10.1`, () => {
      const plan = planAnnouncements(seedInput({ node: n }));
      assert.equal(plan.node, n.metadata.name);
      assert.deepEqual(allAdvertisements(plan), [
        {
          peer: 'peer1',
          peerAddress: '10.10.10.1',
          prefix: '10.10.10.12/32',
          localPref: 0,
          communities: [],
          largeCommunities: [],
          services: ['argocd/argocd-server'],
        },
      ]);
      assert.deepEqual(plan.announcedServices, [
        {
          service: 'argocd/argocd-server',
          ip: '10.10.10.12',
          ips: ['10.10.10.12'],
          pool: 'default',
          numAds: 1,
          prefixes: ['10.10.10.12/32'],
          peers: [{ name: 'peer1', address: '10.10.10.1' }],
        },
      ]);
      assert.deepEqual(plan.withheld, []);
      assert.deepEqual(plan.withoutPeers, []);
      assert.equal(plan.peers[0]?.ibgp, true);
    });
  }

  test('a Service and its slice without a namespace are keyed default/NAME, as the allocator keys them', () => {
    const svc: Service = { kind: 'Service', metadata: { name: 'web' }, spec: { type: 'LoadBalancer', ipFamilies: ['IPv4'] } };
    const slices: EndpointSlice[] = [
      {
        kind: 'EndpointSlice',
        metadata: { name: 'web-1', labels: { 'kubernetes.io/service-name': 'web' } },
        endpoints: [{ addresses: ['10.244.0.5'], conditions: { ready: true }, nodeName: 'node116' }],
      },
    ];
    const config = seedConfig();
    const allocation = allocateAll({ pools: config.pools, services: [svc], options: { standalone: true } });
    const allocations = Object.fromEntries(allocation.services.map((r) => [r.service, { ips: r.ips, pool: r.pool ?? '' }]));
    assert.deepEqual(Object.keys(allocations), ['default/web']);
    const plan = planAnnouncements({ config, node: node116, services: [svc], allocations, endpointSlices: slices });
    assert.deepEqual(plan.withheld, []);
    assert.deepEqual(plan.announcedServices.map((s) => [s.service, s.ip]), [['default/web', '10.10.10.97']]); // hashed first choice (standalone)
  });

  test('allocations may be given as a Map', () => {
    const plan = planAnnouncements(seedInput({ allocations: new Map(Object.entries(argocdAlloc)) }));
    assert.deepEqual(plan.announcedServices.map((s) => s.service), ['argocd/argocd-server']);
  });
});

// ---- every withheld reason ----

describe('withheld reasons', () => {
  const otherNodeOnly = slice('argocd', 'argocd-server', [{ node: 'node117', cond: { ready: true } }]);
  const table: { name: string; input: PlanInput; want: WithheldReason | 'announced' }[] = [
    { name: 'no allocation', input: seedInput({ allocations: {} }), want: 'noIPAllocated' },
    {
      name: 'allocation without IPs',
      input: seedInput({ allocations: { 'argocd/argocd-server': { ips: [], pool: 'default' } } }),
      want: 'noIPAllocated',
    },
    {
      name: 'unparsable IP',
      input: seedInput({ allocations: { 'argocd/argocd-server': { ips: ['10.10.10.300'], pool: 'default' } } }),
      want: 'invalidIP',
    },
    {
      name: 'unknown pool',
      input: seedInput({ allocations: { 'argocd/argocd-server': { ips: ['10.10.10.12'], pool: 'nope' } } }),
      want: 'ipNotAllowed',
    },
    {
      name: 'IP outside its pool',
      input: seedInput({ allocations: { 'argocd/argocd-server': { ips: ['10.10.10.99'], pool: 'default' } } }),
      want: 'ipNotAllowed',
    },
    {
      name: 'the pool has no advertisement',
      input: seedInput({ config: { ...seedConfig(), advertisements: [] } }),
      want: 'notOwner',
    },
    {
      name: 'advertisement for another pool only',
      input: seedInput({ config: { ...seedConfig(), advertisements: [adv('other', ['other'])] } }),
      want: 'notOwner',
    },
    {
      name: 'advertisement nodeSelectors leave the node out',
      input: seedInput({
        config: {
          ...seedConfig(),
          advertisements: [adv('a', ['default'], { nodeSelectors: [{ matchLabels: { 'kubernetes.io/hostname': 'node117' } }] })],
        },
      }),
      want: 'notOwner',
    },
    {
      name: 'advertisement serviceSelectors do not match',
      input: seedInput({
        config: { ...seedConfig(), advertisements: [adv('a', ['default'], { serviceSelectors: [{ matchLabels: { tier: 'web' } }] })] },
      }),
      want: 'noMatchingAdvertisement',
    },
    {
      name: 'two serviceSelector advertisements disagree on localPref',
      input: seedInput({
        services: [service('argocd', 'argocd-server', {}, { tier: 'web' })],
        config: {
          ...seedConfig(),
          advertisements: [
            adv('a', ['default'], { localPref: 100, serviceSelectors: [{ matchLabels: { tier: 'web' } }] }),
            adv('b', ['default'], { localPref: 200, serviceSelectors: [{ matchExpressions: [{ key: 'tier', operator: 'Exists' }] }] }),
          ],
        },
      }),
      want: 'conflictingAdvertisements',
    },
    { name: 'NetworkUnavailable=True', input: seedInput({ node: node('node116', '10.10.10.116', {}, true) }), want: 'nodeNetworkUnavailable' },
    { name: 'NetworkUnavailable=False', input: seedInput({ node: node('node116', '10.10.10.116', {}, false) }), want: 'announced' },
    {
      name: 'exclude-from-external-load-balancers label (any value)',
      input: seedInput({ node: node('node116', '10.10.10.116', { [EXCLUDE_BALANCERS_LABEL]: '' }) }),
      want: 'nodeLabeledExcludeBalancers',
    },
    {
      name: 'exclude label bypassed by ignoreExcludeLB',
      input: seedInput({ node: node('node116', '10.10.10.116', { [EXCLUDE_BALANCERS_LABEL]: 'true' }), options: { ignoreExcludeLB: true } }),
      want: 'announced',
    },
    {
      name: 'Local policy, endpoint only on another node',
      input: seedInput({ services: [service('argocd', 'argocd-server', { externalTrafficPolicy: 'Local' })], endpointSlices: [otherNodeOnly] }),
      want: 'noLocalEndpoints',
    },
    {
      name: 'Local policy, local endpoint not ready and not serving',
      input: seedInput({
        services: [service('argocd', 'argocd-server', { externalTrafficPolicy: 'Local' })],
        endpointSlices: [slice('argocd', 'argocd-server', [{ node: 'node116', cond: { ready: false, serving: false } }, { node: 'node117' }])],
      }),
      want: 'noLocalEndpoints',
    },
    {
      name: 'Local policy, local endpoint',
      input: seedInput({ services: [service('argocd', 'argocd-server', { externalTrafficPolicy: 'Local' })] }),
      want: 'announced',
    },
    {
      name: 'Cluster policy, endpoint only on another node',
      input: seedInput({ endpointSlices: [otherNodeOnly] }),
      want: 'announced',
    },
    { name: 'no EndpointSlice', input: seedInput({ endpointSlices: [] }), want: 'noEndpoints' },
    {
      name: 'Local policy, no endpoint anywhere',
      input: seedInput({ services: [service('argocd', 'argocd-server', { externalTrafficPolicy: 'Local' })], endpointSlices: [] }),
      want: 'noLocalEndpoints',
    },
    {
      name: 'endpoints not ready and not serving',
      input: seedInput({ endpointSlices: [slice('argocd', 'argocd-server', [{ node: 'node116', cond: { ready: false } }])] }),
      want: 'noEndpoints',
    },
    {
      name: 'endpoint without addresses',
      input: seedInput({ endpointSlices: [slice('argocd', 'argocd-server', [{ node: 'node116', addresses: [] }])] }),
      want: 'noEndpoints',
    },
    {
      name: 'not ready but serving (terminating) counts',
      input: seedInput({ endpointSlices: [slice('argocd', 'argocd-server', [{ node: 'node117', cond: { ready: false, serving: true } }])] }),
      want: 'announced',
    },
    {
      name: 'ready unset counts',
      input: seedInput({ endpointSlices: [slice('argocd', 'argocd-server', [{ node: 'node117' }])] }),
      want: 'announced',
    },
    {
      name: 'slice of a same-named service in another namespace',
      input: seedInput({ endpointSlices: [slice('other', 'argocd-server', [{ node: 'node116' }])] }),
      want: 'noEndpoints',
    },
    {
      name: 'slice of another service in the namespace',
      input: seedInput({ endpointSlices: [slice('argocd', 'argocd-repo', [{ node: 'node116' }])] }),
      want: 'noEndpoints',
    },
    {
      name: 'usable endpoint in a second slice',
      input: seedInput({
        endpointSlices: [
          slice('argocd', 'argocd-server', [{ node: 'node116', cond: { ready: false } }], 's1'),
          slice('argocd', 'argocd-server', [{ node: 'node117', cond: { ready: true } }], 's2'),
        ],
      }),
      want: 'announced',
    },
    // MetalLB's order: the advertisement checks come before the node checks, which come before endpoints.
    {
      name: 'notOwner wins over nodeNetworkUnavailable',
      input: seedInput({ config: { ...seedConfig(), advertisements: [] }, node: node('node116', '10.10.10.116', {}, true) }),
      want: 'notOwner',
    },
    {
      name: 'nodeNetworkUnavailable wins over the exclude label and noEndpoints',
      input: seedInput({ node: node('node116', '10.10.10.116', { [EXCLUDE_BALANCERS_LABEL]: '' }, true), endpointSlices: [] }),
      want: 'nodeNetworkUnavailable',
    },
    {
      name: 'nodeLabeledExcludeBalancers wins over noEndpoints',
      input: seedInput({ node: node('node116', '10.10.10.116', { [EXCLUDE_BALANCERS_LABEL]: '' }), endpointSlices: [] }),
      want: 'nodeLabeledExcludeBalancers',
    },
    {
      name: 'noIPAllocated wins over everything',
      input: seedInput({ allocations: {}, endpointSlices: [], node: node('node116', '10.10.10.116', {}, true) }),
      want: 'noIPAllocated',
    },
  ];
  for (const row of table) {
    test(`${row.name} -> ${row.want}`, () => {
      assert.equal(reasonOf(row.input), row.want);
    });
  }

  test('a withheld service carries its IPs, pool and reason, and sends nothing', () => {
    const plan = planAnnouncements(seedInput({ endpointSlices: [] }));
    assert.deepEqual(plan.withheld, [{ service: 'argocd/argocd-server', ips: ['10.10.10.12'], pool: 'default', reason: 'noEndpoints' }]);
    assert.deepEqual(allAdvertisements(plan), []);
    assert.deepEqual(plan.announcedServices, []);
  });

  test('conflictingAdvertisements names the two advertisements', () => {
    const plan = planAnnouncements(table.find((r) => r.want === 'conflictingAdvertisements')?.input ?? seedInput());
    assert.deepEqual(plan.withheld[0]?.advertisements, ['a', 'b']);
  });
});

// ---- services that are not handled ----

describe('ignored services', () => {
  test('non-LoadBalancer services are ignored, not withheld', () => {
    const plan = planAnnouncements(
      seedInput({ services: [argocd, service('argocd', 'argocd-repo', { type: 'ClusterIP' }), service('x', 'np', { type: 'NodePort' })] }),
    );
    assert.deepEqual(plan.ignored, [
      { service: 'argocd/argocd-repo', reason: 'notLoadBalancer' },
      { service: 'x/np', reason: 'notLoadBalancer' },
    ]);
    assert.deepEqual(plan.withheld, []);
  });

  test('loadBalancerClass: unset handles only services without a class; set handles only that class', () => {
    const classed = service('argocd', 'argocd-server', { loadBalancerClass: 'example.com/lb' });
    assert.deepEqual(planAnnouncements(seedInput({ services: [classed] })).ignored, [
      { service: 'argocd/argocd-server', reason: 'otherLoadBalancerClass' },
    ]);
    assert.equal(reasonOf(seedInput({ services: [classed], options: { loadBalancerClass: 'example.com/lb' } })), 'announced');
    assert.deepEqual(planAnnouncements(seedInput({ options: { loadBalancerClass: 'example.com/lb' } })).ignored, [
      { service: 'argocd/argocd-server', reason: 'otherLoadBalancerClass' },
    ]);
  });
});

// ---- peers and advertisement filters ----

const peerA = peer({ name: 'a', peerAddress: '10.10.10.1' });
const peerB = peer({ name: 'b', peerAddress: '10.10.10.2', peerAsn: 65000 });

function configWith(peers: PeerConfig[], advertisements: AdvertisementConfig[], pools: readonly PoolConfig[] = seedConfig().pools): Config {
  return { peers, pools, advertisements, bfdProfiles: [], warnings: [] };
}

function prefixesByPeer(input: PlanInput): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const p of planAnnouncements(input).peers) out[p.name] = p.advertisements.map((a) => a.prefix);
  return out;
}

describe('peer selection', () => {
  test('peer nodeSelectors: only matching peers get a session; the others are listed as unselected', () => {
    const onlyRack1 = peer({ name: 'rack1', peerAddress: '10.10.10.3', nodeSelectors: [{ matchLabels: { rack: '1' } }] });
    const input = seedInput({ config: configWith([peerA, onlyRack1], [adv('x', ['default'])]) });
    const plan = planAnnouncements(input);
    assert.deepEqual(plan.peers.map((p) => p.name), ['a']);
    assert.deepEqual(plan.unselectedPeers, ['rack1']);
    const onRack1 = planAnnouncements({ ...input, node: node('node116', '10.10.10.116', { rack: '1' }) });
    assert.deepEqual(onRack1.peers.map((p) => p.name), ['a', 'rack1']);
    assert.deepEqual(onRack1.unselectedPeers, []);
  });

  test('nodeSelectors are ORed', () => {
    const p = peer({ nodeSelectors: [{ matchLabels: { rack: '1' } }, { matchLabels: { rack: '2' } }] });
    const plan = planAnnouncements(seedInput({ config: configWith([p], [adv('x', ['default'])]), node: node('n', '10.0.0.1', { rack: '2' }) }));
    assert.equal(plan.peers.length, 1);
  });

  test('a service with no peer to receive it is announced but listed in withoutPeers', () => {
    const far = peer({ nodeSelectors: [{ matchLabels: { rack: '9' } }] });
    const plan = planAnnouncements(seedInput({ config: configWith([far], [adv('x', ['default'])]) }));
    assert.deepEqual(plan.announcedServices.map((s) => [s.service, s.peers]), [['argocd/argocd-server', []]]);
    assert.deepEqual(plan.withoutPeers, ['argocd/argocd-server']);
    assert.deepEqual(plan.peers, []);
  });
});

describe('advertisement filters', () => {
  const pools = [pool('default', [['10.10.10.10', '10.10.10.98']]), pool('other', [['10.20.0.0', '10.20.0.255']])];
  const twoServices = {
    services: [argocd, service('web', 'front')],
    allocations: { ...argocdAlloc, 'web/front': { ips: ['10.20.0.7'], pool: 'other' } },
    endpointSlices: [argocdSlice, slice('web', 'front', [{ node: 'node117' }])],
  };

  test('ipAddressPools: an advertisement applies only to its pools', () => {
    const input = seedInput({
      ...twoServices,
      config: configWith([peerA], [adv('d', ['default'], { communities: ['1:1'] }), adv('o', ['other'], { communities: ['2:2'] })], pools),
    });
    const ads = allAdvertisements(planAnnouncements(input));
    assert.deepEqual(
      ads.map((a) => [a.prefix, a.communities]),
      [
        ['10.10.10.12/32', ['1:1']],
        ['10.20.0.7/32', ['2:2']],
      ],
    );
  });

  test('ipAddressPools resolved from ipAddressPoolSelectors behave the same (one advertisement, two pools)', () => {
    const input = seedInput({ ...twoServices, config: configWith([peerA], [adv('both', ['default', 'other'])], pools) });
    assert.deepEqual(prefixesByPeer(input), { a: ['10.10.10.12/32', '10.20.0.7/32'] });
  });

  test('advertisement nodeSelectors: only the selected nodes announce through it', () => {
    const cfg = configWith(
      [peerA],
      [
        adv('all', ['default']),
        adv('rack1', ['default'], { aggregationLength: 24, nodeSelectors: [{ matchLabels: { rack: '1' } }] }),
      ],
    );
    assert.deepEqual(prefixesByPeer(seedInput({ config: cfg })), { a: ['10.10.10.12/32'] });
    assert.deepEqual(prefixesByPeer(seedInput({ config: cfg, node: node('node116', '10.10.10.116', { rack: '1' }) })), {
      a: ['10.10.10.0/24', '10.10.10.12/32'],
    });
  });

  test('advertisement peers: only the named peers receive it', () => {
    const cfg = configWith([peerA, peerB], [adv('host', ['default']), adv('agg', ['default'], { aggregationLength: 24, peers: ['b'] })]);
    const plan = planAnnouncements(seedInput({ config: cfg }));
    assert.deepEqual(prefixesByPeer(seedInput({ config: cfg })), { a: ['10.10.10.12/32'], b: ['10.10.10.0/24', '10.10.10.12/32'] });
    assert.deepEqual(plan.announcedServices[0]?.peers, [
      { name: 'a', address: '10.10.10.1' },
      { name: 'b', address: '10.10.10.2' },
    ]);
  });

  test('a service whose only advertisement names a peer that does not select the node has no peers', () => {
    const cfg = configWith([peerA], [adv('only-b', ['default'], { peers: ['b'] })]);
    const plan = planAnnouncements(seedInput({ config: cfg }));
    assert.deepEqual(plan.withoutPeers, ['argocd/argocd-server']);
    assert.deepEqual(plan.peers[0]?.advertisements, []);
  });

  test('serviceSelectors: ORed, and only matching advertisements apply', () => {
    const web = service('argocd', 'argocd-server', {}, { tier: 'web' });
    const cfg = configWith(
      [peerA],
      [
        adv('web', ['default'], { communities: ['10:1'], serviceSelectors: [{ matchLabels: { tier: 'db' } }, { matchLabels: { tier: 'web' } }] }),
        adv('db', ['default'], { communities: ['20:1'], serviceSelectors: [{ matchLabels: { tier: 'db' } }] }),
      ],
    );
    const ads = allAdvertisements(planAnnouncements(seedInput({ config: cfg, services: [web] })));
    assert.deepEqual(ads.map((a) => a.communities), [['10:1']]);
    const plan = planAnnouncements(seedInput({ config: cfg, services: [web] }));
    assert.equal(plan.announcedServices[0]?.numAds, 1);
  });
});

// ---- prefixes and attributes ----

describe('aggregation', () => {
  test('IPv4: the IP is masked to aggregationLength', () => {
    const cfg = configWith([peerA], [adv('agg', ['default'], { aggregationLength: 26 })]);
    assert.deepEqual(prefixesByPeer(seedInput({ config: cfg, allocations: { 'argocd/argocd-server': { ips: ['10.10.10.77'], pool: 'default' } } })), {
      a: ['10.10.10.64/26'],
    });
  });

  test('IPv6: masked to aggregationLengthV6, canonical text; IPv4 keeps its own length', () => {
    const v6Pool = pool('dual', [
      ['10.10.10.10', '10.10.10.98'],
      ['2001:db8::', '2001:db8::ffff'],
    ]);
    const cfg = configWith([peerA], [adv('agg', ['dual'], { aggregationLength: 32, aggregationLengthV6: 64 })], [v6Pool]);
    const plan = planAnnouncements(
      seedInput({ config: cfg, allocations: { 'argocd/argocd-server': { ips: ['2001:DB8::0:12', '10.10.10.12'], pool: 'dual' } } }),
    );
    assert.deepEqual(plan.peers[0]?.advertisements.map((a) => a.prefix), ['10.10.10.12/32', '2001:db8::/64']);
    assert.deepEqual(plan.announcedServices[0]?.ips, ['2001:db8::12', '10.10.10.12']);
    assert.equal(plan.announcedServices[0]?.ip, '2001:db8::12');
    assert.equal(plan.announcedServices[0]?.numAds, 2);
  });

  test('IPv6 host routes are /128 by default', () => {
    const cfg = configWith([peerA], [adv('d', ['v6'])], [pool('v6', [['fd00::10', 'fd00::20']])]);
    assert.deepEqual(prefixesByPeer(seedInput({ config: cfg, allocations: { 'argocd/argocd-server': { ips: ['fd00::12'], pool: 'v6' } } })), {
      a: ['fd00::12/128'],
    });
  });

  test('services in one aggregated prefix give one advertisement naming both', () => {
    const cfg = configWith([peerA], [adv('agg', ['default'], { aggregationLength: 24 })]);
    const plan = planAnnouncements(
      seedInput({
        config: cfg,
        services: [argocd, service('argocd', 'argocd-dex')],
        allocations: { ...argocdAlloc, 'argocd/argocd-dex': { ips: ['10.10.10.13'], pool: 'default' } },
        endpointSlices: [argocdSlice, slice('argocd', 'argocd-dex', [{ node: 'node117' }])],
      }),
    );
    assert.deepEqual(allAdvertisements(plan).map((a) => [a.prefix, a.services]), [['10.10.10.0/24', ['argocd/argocd-dex', 'argocd/argocd-server']]]);
    assert.deepEqual(plan.announcedServices.map((s) => s.prefixes), [['10.10.10.0/24'], ['10.10.10.0/24']]);
  });
});

describe('LOCAL_PREF', () => {
  test('sent to iBGP peers (0 when unset), never to eBGP peers', () => {
    const dyn = peer({ name: 'dyn', peerAddress: '10.10.10.3', dynamicAsn: 'internal' });
    delete (dyn as { peerAsn?: number }).peerAsn;
    const dynExt = peer({ name: 'dynext', peerAddress: '10.10.10.4', dynamicAsn: 'external' });
    delete (dynExt as { peerAsn?: number }).peerAsn;
    for (const [localPref, want] of [
      [undefined, 0],
      [150, 150],
    ] as const) {
      const cfg = configWith([peerA, peerB, dyn, dynExt], [adv('x', ['default'], localPref === undefined ? {} : { localPref })]);
      const ads = allAdvertisements(planAnnouncements(seedInput({ config: cfg })));
      assert.deepEqual(
        ads.map((a) => [a.peer, a.localPref]),
        [
          ['a', want],
          ['b', undefined],
          ['dyn', want],
          ['dynext', undefined],
        ],
      );
      assert.equal('localPref' in (ads[1] ?? {}), false);
    }
  });

  test('isIbgp', () => {
    assert.equal(isIbgp(peerA), true);
    assert.equal(isIbgp(peerB), false);
  });

  test('advertisements with different localPref but different aggregation lengths, or disjoint peers, are compatible', () => {
    const p = seedConfig().pools[0];
    assert.ok(p);
    const a = adv('a', ['default'], { localPref: 100 });
    assert.equal(localPrefsCompatible(a, adv('b', ['default'], { localPref: 100 }), p), true);
    assert.equal(localPrefsCompatible(a, adv('b', ['default'], { localPref: 200 }), p), false);
    assert.equal(localPrefsCompatible(a, adv('b', ['default'], { localPref: 200, aggregationLength: 24 }), p), true);
    assert.equal(localPrefsCompatible(adv('a', ['default'], { localPref: 100, peers: ['a'] }), adv('b', ['default'], { localPref: 200, peers: ['b'] }), p), true);
    assert.equal(localPrefsCompatible(adv('a', ['default'], { localPref: 100, peers: ['a'] }), adv('b', ['default'], { localPref: 200 }), p), false);
    // unset counts as 0
    assert.equal(localPrefsCompatible(adv('a', ['default']), adv('b', ['default'], { localPref: 0 }), p), true);
    // a dual-stack pool needs both lengths to differ
    const dual = pool('dual', [
      ['10.0.0.0', '10.0.0.255'],
      ['fd00::', 'fd00::ff'],
    ]);
    assert.equal(localPrefsCompatible(a, adv('b', ['dual'], { localPref: 200, aggregationLength: 24 }), dual), false);
    assert.equal(localPrefsCompatible(a, adv('b', ['dual'], { localPref: 200, aggregationLength: 24, aggregationLengthV6: 120 }), dual), true);
  });

  test('serviceSelector advertisements with different localPref but disjoint peers announce', () => {
    const cfg = configWith(
      [peerA, peer({ name: 'c', peerAddress: '10.10.10.5' })],
      [adv('x', ['default'], { localPref: 100, peers: ['a'], serviceSelectors: [{}] }), adv('y', ['default'], { localPref: 200, peers: ['c'], serviceSelectors: [{}] })],
    );
    const ads = allAdvertisements(planAnnouncements(seedInput({ config: cfg })));
    assert.deepEqual(ads.map((a) => [a.peer, a.localPref]), [
      ['a', 100],
      ['c', 200],
    ]);
  });
});

describe('communities and deduplication', () => {
  test('communities and large communities are carried, sorted numerically', () => {
    const cfg = configWith([peerA], [adv('x', ['default'], { communities: ['64512:100', '9:1', '10:1'], largeCommunities: ['64512:2:1', '64512:10:1'] })]);
    const [ad] = allAdvertisements(planAnnouncements(seedInput({ config: cfg })));
    assert.deepEqual(ad?.communities, ['9:1', '10:1', '64512:100']);
    assert.deepEqual(ad?.largeCommunities, ['64512:2:1', '64512:10:1']);
  });

  test('an identical prefix from two advertisements of one service is sent once, communities unioned', () => {
    const cfg = configWith([peerA], [adv('x', ['default'], { communities: ['1:1', '2:2'] }), adv('y', ['default'], { communities: ['2:2', '3:3'], largeCommunities: ['1:2:3'] })]);
    const plan = planAnnouncements(seedInput({ config: cfg }));
    assert.deepEqual(allAdvertisements(plan).map((a) => [a.prefix, a.communities, a.largeCommunities]), [['10.10.10.12/32', ['1:1', '2:2', '3:3'], ['1:2:3']]]);
    assert.equal(plan.announcedServices[0]?.numAds, 2);
  });

  test('an identical prefix from services of two pools is sent once, communities unioned', () => {
    const pools = [pool('p1', [['10.1.1.0', '10.1.1.255']]), pool('p2', [['10.1.2.0', '10.1.2.255']])];
    const cfg = configWith(
      [peerA],
      [adv('a1', ['p1'], { aggregationLength: 16, communities: ['100:1'] }), adv('a2', ['p2'], { aggregationLength: 16, communities: ['100:2'] })],
      pools,
    );
    const plan = planAnnouncements(
      seedInput({
        config: cfg,
        services: [service('n', 's1'), service('n', 's2')],
        allocations: { 'n/s1': { ips: ['10.1.1.5'], pool: 'p1' }, 'n/s2': { ips: ['10.1.2.5'], pool: 'p2' } },
        endpointSlices: [slice('n', 's1', [{ node: 'x' }]), slice('n', 's2', [{ node: 'x' }])],
      }),
    );
    assert.deepEqual(allAdvertisements(plan).map((a) => [a.prefix, a.communities, a.services]), [['10.1.0.0/16', ['100:1', '100:2'], ['n/s1', 'n/s2']]]);
  });

  test('each peer receives its own copy; prefixes sorted with IPv4 first', () => {
    const cfg = configWith([peerA, peerB], [adv('x', ['default'])]);
    const plan = planAnnouncements(seedInput({ config: cfg }));
    assert.deepEqual(plan.peers.map((p) => p.advertisements.length), [1, 1]);
    assert.deepEqual(['fd00::/8', '10.0.0.0/8', '10.0.0.0/7', '9.0.0.0/8'].sort(comparePrefixes), ['9.0.0.0/8', '10.0.0.0/7', '10.0.0.0/8', 'fd00::/8']);
  });

  test('the plan does not depend on input order', () => {
    const services = [argocd, service('argocd', 'argocd-dex'), service('web', 'front')];
    const allocations = { ...argocdAlloc, 'argocd/argocd-dex': { ips: ['10.10.10.13'], pool: 'default' }, 'web/front': { ips: ['10.10.10.14'], pool: 'default' } };
    const endpointSlices = [argocdSlice, slice('argocd', 'argocd-dex', [{ node: 'x' }]), slice('web', 'front', [{ node: 'x' }])];
    const a = planAnnouncements(seedInput({ services, allocations, endpointSlices }));
    const b = planAnnouncements(seedInput({ services: [...services].reverse(), allocations, endpointSlices: [...endpointSlices].reverse() }));
    assert.deepEqual(a, b);
    assert.deepEqual(a.announcedServices.map((s) => s.service), ['argocd/argocd-dex', 'argocd/argocd-server', 'web/front']);
  });
});
