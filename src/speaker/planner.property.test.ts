/**
 * Invariants of the planner on random inputs (fast-check):
 * - every LoadBalancer service is either announced or withheld, exactly once; others are ignored;
 * - a peer never receives the same prefix twice, and every prefix it receives belongs to an
 *   announced service whose advertisements admit that peer;
 * - LOCAL_PREF is present exactly on iBGP sessions;
 * - an announced service has a usable endpoint (a local one under policy Local);
 * - the plan does not depend on the order of services, slices or allocations.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { AdvertisementConfig, Config, PeerConfig } from '../config/types.js';
import type { EndpointSlice, Node, Service } from '../model/kubernetes.js';
import type { PlanChanges, PlannedAdvertisement, PlanSource, ServiceIps } from './planner.js';
import { comparePrefixes, NodePlanner, planAnnouncements } from './planner.js';
import { hasUsableEndpoint, slicesForService } from './endpoints.js';

const NODE_NAMES = ['n1', 'n2', 'n3'] as const;

const peerArb = fc.record({
  name: fc.constantFrom('p1', 'p2', 'p3'),
  ebgp: fc.boolean(),
  // Mostly unset, so that most runs have peers on the node.
  rack: fc.constantFrom(undefined, undefined, undefined, 'a', 'b'),
});

const advArb = fc.record({
  pools: fc.subarray(['v4', 'v6'], { minLength: 1 }),
  agg: fc.constantFrom(32, 24),
  agg6: fc.constantFrom(128, 64),
  localPref: fc.option(fc.constantFrom(100, 200), { nil: undefined }),
  communities: fc.subarray(['65000:1', '9:9', '100:20']),
  large: fc.subarray(['1:2:3', '64512:1:1']),
  peers: fc.oneof(fc.constant([]), fc.constant([]), fc.subarray(['p1', 'p2', 'p3'])),
  rack: fc.constantFrom(undefined, undefined, undefined, 'a', 'b'),
  tier: fc.constantFrom(undefined, undefined, undefined, 'web', 'db'),
});

const serviceArb = fc.record({
  name: fc.constantFrom('s1', 's2', 's3', 's4', 's5'),
  ns: fc.constantFrom('a', 'b'),
  lb: fc.constantFrom(true, true, true, false),
  local: fc.boolean(),
  tier: fc.option(fc.constantFrom('web', 'db'), { nil: undefined }),
  alloc: fc.option(
    fc.record({ pool: fc.constantFrom('v4', 'v4', 'v6', 'v6', 'gone'), host: fc.integer({ min: 1, max: 40 }) }),
    { nil: undefined, freq: 6 },
  ),
  endpoints: fc.array(
    fc.record({
      node: fc.option(fc.constantFrom(...NODE_NAMES), { nil: undefined }),
      ready: fc.option(fc.boolean(), { nil: undefined }),
      serving: fc.option(fc.boolean(), { nil: undefined }),
      empty: fc.constantFrom(false, false, false, true),
    }),
    { minLength: 1, maxLength: 3 },
  ),
});

const inputArb = fc.record({
  peers: fc.uniqueArray(peerArb, { selector: (p) => p.name, minLength: 1, maxLength: 3 }),
  advs: fc.array(advArb, { minLength: 1, maxLength: 3 }),
  services: fc.uniqueArray(serviceArb, { selector: (s) => `${s.ns}/${s.name}`, maxLength: 5 }),
  node: fc.record({
    name: fc.constantFrom(...NODE_NAMES),
    rack: fc.constantFrom('a', 'b'),
    // Mostly healthy nodes, so that most runs announce something.
    unavailable: fc.constantFrom(false, false, false, false, true),
    excluded: fc.constantFrom(false, false, false, false, true),
  }),
});

type Input = typeof inputArb extends fc.Arbitrary<infer T> ? T : never;

function build(input: Input) {
  const peers: PeerConfig[] = input.peers.map((p, i) => ({
    name: p.name,
    myAsn: 64512,
    peerAsn: p.ebgp ? 65000 + i : 64512,
    peerAddress: `10.10.10.${i + 1}`,
    peerPort: 179,
    holdTime: 90,
    keepaliveTime: 30,
    nodeSelectors: p.rack ? [{ matchLabels: { rack: p.rack } }] : [],
    ebgpMultiHop: false,
    enableGracefulRestart: false,
  }));
  const advertisements: AdvertisementConfig[] = input.advs.map((a, i) => ({
    name: `adv${i}`,
    aggregationLength: a.tier ? 32 : a.agg,
    aggregationLengthV6: a.tier ? 128 : a.agg6,
    ...(a.localPref !== undefined ? { localPref: a.localPref } : {}),
    communities: a.communities,
    largeCommunities: a.large,
    ipAddressPools: a.pools,
    nodeSelectors: a.rack ? [{ matchLabels: { rack: a.rack } }] : [],
    peers: a.peers,
    serviceSelectors: a.tier ? [{ matchLabels: { tier: a.tier } }] : [],
  }));
  const config: Config = {
    peers,
    pools: [
      { name: 'v4', labels: {}, addresses: [{ family: 'ipv4', first: '10.20.0.0', last: '10.20.0.255', cidrs: ['10.20.0.0/24'] }], autoAssign: true, avoidBuggyIPs: false },
      { name: 'v6', labels: {}, addresses: [{ family: 'ipv6', first: 'fd00::', last: 'fd00::ff', cidrs: ['fd00::/120'] }], autoAssign: true, avoidBuggyIPs: false },
    ],
    advertisements,
    bfdProfiles: [],
    warnings: [],
  };
  const node: Node = {
    kind: 'Node',
    metadata: {
      name: input.node.name,
      labels: { rack: input.node.rack, ...(input.node.excluded ? { 'node.kubernetes.io/exclude-from-external-load-balancers': '' } : {}) },
    },
    status: { conditions: [{ type: 'NetworkUnavailable', status: input.node.unavailable ? 'True' : 'False' }] },
  };
  const services: Service[] = [];
  const slices: EndpointSlice[] = [];
  const allocations = new Map<string, ServiceIps>();
  for (const s of input.services) {
    services.push({
      kind: 'Service',
      metadata: { name: s.name, namespace: s.ns, ...(s.tier ? { labels: { tier: s.tier } } : {}) },
      spec: { type: s.lb ? 'LoadBalancer' : 'ClusterIP', externalTrafficPolicy: s.local ? 'Local' : 'Cluster' },
    });
    slices.push({
      kind: 'EndpointSlice',
      metadata: { name: `${s.name}-x`, namespace: s.ns, labels: { 'kubernetes.io/service-name': s.name } },
      endpoints: s.endpoints.map((e) => ({
        addresses: e.empty ? [] : ['10.244.0.1'],
        ...(e.node ? { nodeName: e.node } : {}),
        conditions: { ...(e.ready !== undefined ? { ready: e.ready } : {}), ...(e.serving !== undefined ? { serving: e.serving } : {}) },
      })),
    });
    if (s.alloc) {
      const ip = s.alloc.pool === 'v6' ? `fd00::${s.alloc.host.toString(16)}` : `10.20.0.${s.alloc.host}`;
      allocations.set(`${s.ns}/${s.name}`, { ips: [ip], pool: s.alloc.pool });
    }
  }
  return { config, node, services, endpointSlices: slices, allocations };
}

test('planner invariants hold on random inputs', () => {
  fc.assert(
    fc.property(inputArb, (input) => {
      const built = build(input);
      const plan = planAnnouncements(built);
      const lb = built.services.filter((s) => s.spec.type === 'LoadBalancer').map((s) => `${s.metadata.namespace}/${s.metadata.name}`);
      const announced = plan.announcedServices.map((s) => s.service);
      const withheld = plan.withheld.map((s) => s.service);
      assert.deepEqual([...announced, ...withheld].sort(), [...lb].sort());
      assert.equal(plan.ignored.length, built.services.length - lb.length);

      for (const p of plan.peers) {
        const prefixes = p.advertisements.map((a) => a.prefix);
        assert.equal(new Set(prefixes).size, prefixes.length, 'a prefix twice to one peer');
        for (const a of p.advertisements) {
          assert.equal(a.localPref !== undefined, p.ibgp);
          assert.ok(a.services.length > 0);
          for (const svc of a.services) {
            const s = plan.announcedServices.find((x) => x.service === svc);
            assert.ok(s, `${svc} sends ${a.prefix} but is not announced`);
            assert.ok(s.prefixes.includes(a.prefix));
            assert.ok(s.peers.some((x) => x.name === p.name));
          }
        }
      }
      for (const s of plan.announcedServices) {
        const svc = built.services.find((x) => `${x.metadata.namespace}/${x.metadata.name}` === s.service);
        assert.ok(svc);
        const sl = slicesForService(svc, built.endpointSlices);
        assert.ok(hasUsableEndpoint(sl));
        if (svc.spec.externalTrafficPolicy === 'Local') assert.ok(hasUsableEndpoint(sl, built.node.metadata.name));
        assert.equal(input.node.unavailable, false);
      }

      const shuffled = planAnnouncements({
        ...built,
        services: [...built.services].reverse(),
        endpointSlices: [...built.endpointSlices].reverse(),
        allocations: new Map([...built.allocations].reverse()),
      });
      assert.deepEqual(shuffled, plan);
    }),
    { numRuns: 300 },
  );
});

/**
 * The running speaker's planner is updated service by service (`NodePlanner.update`): after any
 * sequence of changes its plan equals a plan made from scratch, the per-peer changes it hands out
 * rebuild exactly each peer's set, and its events track exactly the announced services.
 */
test('incremental planning equals planning from scratch, and its changes rebuild every peer', () => {
  // Few addresses, so that consecutive steps often keep a service's prefix and change its attributes.
  const stepServiceArb = serviceArb.map((s) => (s.alloc ? { ...s, alloc: { ...s.alloc, host: (s.alloc.host % 3) + 1 } } : s));
  const stepsArb = fc.array(fc.uniqueArray(stepServiceArb, { selector: (s) => `${s.ns}/${s.name}`, maxLength: 5 }), { minLength: 1, maxLength: 6 });
  fc.assert(
    fc.property(inputArb, stepsArb, (input, steps) => {
      const first = build(input);
      const services = new Map<string, Service>();
      const allocations = new Map<string, ServiceIps>();
      const slices = new Map<string, EndpointSlice[]>();
      const source: PlanSource = {
        keys: () => services.keys(),
        service: (k) => services.get(k),
        allocation: (k) => allocations.get(k),
        slices: (k) => slices.get(k) ?? [],
      };
      const planner = new NodePlanner(first.node.metadata.name, source);
      const announced = new Set<string>();
      const track = (changes: PlanChanges): void => {
        for (const w of changes.withdrawn) assert.ok(announced.delete(w.service), `${w.service} withdrawn but not announced`);
        for (const a of changes.announced) {
          assert.ok(!announced.has(a.service), `${a.service} announced twice`);
          announced.add(a.service);
        }
      };
      track(planner.reset(first.config, first.node));
      const mirrors = new Map(first.config.peers.map((p) => [p.name, new Map<string, PlannedAdvertisement>()]));
      for (const step of [input.services, ...steps]) {
        const next = build({ ...input, services: step });
        const keys = new Set([...services.keys()]);
        services.clear();
        allocations.clear();
        slices.clear();
        for (const svc of next.services) {
          const key = `${svc.metadata.namespace}/${svc.metadata.name}`;
          keys.add(key);
          services.set(key, svc);
          const a = next.allocations.get(key);
          if (a) allocations.set(key, a);
          slices.set(key, slicesForService(svc, next.endpointSlices));
        }
        const changes = planner.update(keys);
        track(changes);
        for (const [peer, change] of changes.peers) {
          const mirror = mirrors.get(peer);
          assert.ok(mirror);
          for (const p of change.withdraw) assert.ok(mirror.delete(p), `withdrawal of ${p} never sent`);
          for (const a of change.upsert) mirror.set(a.prefix, a);
        }
        const scratch = planAnnouncements({ ...next, node: first.node, config: first.config });
        assert.deepEqual(planner.plan(), scratch);
        assert.deepEqual([...announced].sort(), scratch.announcedServices.map((s) => s.service));
        for (const p of scratch.peers) {
          const strip = (a: PlannedAdvertisement) => ({ prefix: a.prefix, localPref: a.localPref, c: a.communities, l: a.largeCommunities });
          const mirror = [...(mirrors.get(p.name)?.values() ?? [])].map(strip).sort((x, y) => comparePrefixes(x.prefix, y.prefix));
          assert.deepEqual(mirror, p.advertisements.map(strip));
        }
      }
    }),
    { numRuns: 300 },
  );
});
