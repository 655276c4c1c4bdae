/**
 * Property tests of the allocator against simple models: the invariants of a valid state, the
 * MetalLB-style address scan as an oracle for the indexed search, determinism under shuffled input,
 * restarts that move nothing, and incremental operations that always agree with `allocateAll`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import type { PoolConfig } from '../config/types.js';
import { formatIp, parseIp } from '../model/ip.js';
import type { Service } from '../model/kubernetes.js';
import { allocateAll, Allocator } from './allocator.js';
import { buildPool, poolHolds } from './pools.js';
import { readRequest } from './request.js';
import type { AllocationInput, AllocatorChanges, AllocatorOptions, ServiceResult } from './types.js';
import { pool, svc, withStatus } from './test-helpers.js';
import type { SvcOptions } from './test-helpers.js';

/** Non-overlapping ranges the pools are made of (one crosses a .255/.0 boundary). */
const RANGES = ['10.0.0.0/30', '10.0.0.254-10.0.1.2', '10.0.2.0/31', 'fd00::/126', 'fd00::10-fd00::12', '10.0.3.5/32'];
/** Addresses requests and statuses draw from: inside the ranges, and outside every one. */
const IPS = [
  '10.0.0.0', '10.0.0.1', '10.0.0.3', '10.0.0.255', '10.0.1.0', '10.0.1.1', '10.0.2.1', '10.0.3.5',
  'fd00::', 'fd00::2', 'fd00::11', '192.168.0.1', 'fd01::1',
];
const POOL_NAMES = ['p0', 'p1', 'p2'];

const poolsArb: fc.Arbitrary<PoolConfig[]> = fc
  .tuple(
    fc.array(fc.integer({ min: -1, max: 2 }), { minLength: RANGES.length, maxLength: RANGES.length }),
    fc.array(
      fc.record({
        autoAssign: fc.constantFrom(true, true, true, false),
        avoidBuggyIPs: fc.boolean(),
        alloc: fc.option(
          fc.record({
            priority: fc.integer({ min: 0, max: 2 }),
            namespaces: fc.subarray(['a', 'b']),
            serviceSelectors: fc.subarray([{ matchLabels: { app: 'x' } }]),
            namespaceSelectors: fc.subarray([{ matchLabels: { tier: 'gold' } }]),
          }),
          { freq: 2 },
        ),
      }),
      { minLength: 3, maxLength: 3 },
    ),
    fc.boolean(),
  )
  .map(([owners, opts, reverse]) => {
    const out: PoolConfig[] = [];
    POOL_NAMES.forEach((name, i) => {
      let ranges = RANGES.filter((_, r) => owners[r] === i);
      if (reverse) ranges = [...ranges].reverse();
      const o = opts[i];
      if (ranges.length === 0 || !o) return;
      out.push(
        pool(name, ranges, {
          autoAssign: o.autoAssign,
          avoidBuggyIPs: o.avoidBuggyIPs,
          ...(o.alloc ? { serviceAllocation: o.alloc } : {}),
        }),
      );
    });
    return out;
  });

const familyArb = fc.constantFrom('v4', 'v4', 'v6', 'prefer', 'prefer6', 'require', 'single-dual-bad');

const specArb = fc.record({
  ns: fc.constantFrom('a', 'b'),
  created: fc.integer({ min: 0, max: 4 }),
  app: fc.constantFrom('x', 'y'),
  ports: fc.subarray([80, 443, 53]),
  share: fc.constantFrom(undefined, undefined, 'k1', 'k2'),
  legacy: fc.boolean(),
  local: fc.boolean(),
  selector: fc.constantFrom('s1', 's2'),
  family: familyArb,
  lb: fc.constantFrom(true, true, true, true, false),
  request: fc.oneof(
    { weight: 4, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.record({ pool: fc.constantFrom('p0', 'p1', 'p2', 'nope') }) },
    { weight: 2, arbitrary: fc.record({ ips: fc.subarray(IPS, { minLength: 1, maxLength: 2 }) }) },
    { weight: 1, arbitrary: fc.record({ spec: fc.constantFrom(...IPS, 'bogus') }) },
  ),
  status: fc.option(fc.subarray(IPS, { minLength: 1, maxLength: 2 }), { freq: 2 }),
});
type Spec = typeof specArb extends fc.Arbitrary<infer T> ? T : never;

function toService(name: string, s: Spec): Service {
  const prefix = s.legacy ? 'metallb.universe.tf' : 'metallb.io';
  const annotations: Record<string, string> = {};
  if (s.share) annotations[`${prefix}/allow-shared-ip`] = s.share;
  const o: SvcOptions = {
    namespace: s.ns,
    created: s.created,
    labels: { app: s.app },
    ports: s.ports.map((p) => (p === 53 ? { port: 53, protocol: 'UDP' } : p)),
    type: s.lb ? 'LoadBalancer' : 'ClusterIP',
    annotations,
  };
  if (s.local) {
    o.etp = 'Local';
    o.selector = { app: s.selector };
  }
  switch (s.family) {
    case 'v4':
      o.clusterIPs = ['10.96.0.1'];
      break;
    case 'v6':
      o.clusterIPs = ['fd96::1'];
      o.ipFamilies = ['IPv6'];
      break;
    case 'prefer':
      o.clusterIPs = ['10.96.0.1', 'fd96::1'];
      o.policy = 'PreferDualStack';
      break;
    case 'prefer6':
      o.clusterIPs = ['fd96::1', '10.96.0.1'];
      o.ipFamilies = ['IPv6', 'IPv4'];
      o.policy = 'PreferDualStack';
      break;
    case 'require':
      o.clusterIPs = ['10.96.0.1', 'fd96::1'];
      o.policy = 'RequireDualStack';
      break;
    case 'single-dual-bad':
      o.clusterIPs = ['10.96.0.1'];
      o.policy = 'RequireDualStack';
      break;
  }
  if (s.request && 'pool' in s.request) annotations[`${prefix}/address-pool`] = s.request.pool;
  if (s.request && 'ips' in s.request) annotations[`${prefix}/loadBalancerIPs`] = s.request.ips.join(',');
  if (s.request && 'spec' in s.request) o.loadBalancerIP = s.request.spec;
  if (s.status) o.status = s.status;
  return svc(name, o);
}

const servicesArb = fc
  .array(specArb, { maxLength: 14 })
  .map((specs) => specs.map((s, i) => toService(`s${i}`, s)));

const namespacesArb = fc.record({ a: fc.constantFrom({ tier: 'gold' }, {}), b: fc.constantFrom({ tier: 'gold' }, {}) });

const inputArb: fc.Arbitrary<AllocationInput> = fc
  .tuple(poolsArb, servicesArb, namespacesArb, fc.boolean())
  .map(([pools, services, namespaces, standalone]) => ({
    pools,
    services,
    namespaces,
    options: { standalone } as AllocatorOptions,
  }));

/** The invariants of a valid result, checked from the outside against a simple model of the rules. */
function checkInvariants(input: AllocationInput, results: readonly ServiceResult[]): void {
  const pools = new Map(input.pools.map((p) => [p.name, buildPool(p)]));
  const byKey = new Map(input.services.map((s) => [`${s.metadata.namespace ?? 'default'}/${s.metadata.name}`, s]));
  const holders = new Map<string, { key: string; sharing: string; backend: string; ports: readonly string[] }[]>();
  for (const r of results) {
    const s = byKey.get(r.service);
    assert.ok(s, `result for unknown service ${r.service}`);
    const req = readRequest(s, input.options ?? {});
    assert.ok(req.handled, `${r.service} is not handled but has a result`);
    // Every handled service has IPs or a reason.
    assert.ok(r.ips.length > 0 || r.error !== undefined, `${r.service}: neither IPs nor error`);
    if (r.ips.length === 0) continue;
    // Every IP lies inside its pool.
    const p = pools.get(r.pool ?? '');
    assert.ok(p, `${r.service}: unknown pool ${r.pool}`);
    const parsed = r.ips.map((t) => parseIp(t));
    for (const ip of parsed) {
      assert.ok(ip && poolHolds(p, ip.family, ip.value), `${r.service}: ${r.ips.join(',')} not in pool ${p.name}`);
    }
    assert.ok(r.ips.length <= 2 && new Set(parsed.map((i) => i?.family)).size === r.ips.length, `${r.service}: families`);
    // The family matches the service.
    if (req.family === 'ipv4' || req.family === 'ipv6') assert.deepEqual(parsed.map((i) => i?.family), [req.family], r.service);
    if (req.family === 'dual' && req.policy === 'RequireDualStack') assert.equal(r.ips.length, 2, r.service);
    // Requested IPs are honoured (or the service has none, with a reason); a requested pool too.
    if (req.requestedIps && !req.requestError) {
      assert.deepEqual([...r.ips].sort(), req.requestedIps.map(formatIp).sort(), r.service);
    }
    if (req.requestedPool !== undefined && r.error === undefined) assert.equal(r.pool, req.requestedPool, r.service);
    for (const ip of r.ips) {
      const list = holders.get(ip) ?? [];
      list.push({ key: r.service, sharing: req.sharingKey, backend: req.backendKey, ports: req.ports });
      holders.set(ip, list);
    }
  }
  // No IP is held by two services that may not share it.
  for (const [ip, list] of holders) {
    if (list.length < 2) continue;
    const first = list[0] as (typeof list)[number];
    const seen = new Set<string>();
    for (const h of list) {
      assert.ok(h.sharing !== '' && h.sharing === first.sharing && h.backend === first.backend, `${ip} shared by ${list.map((x) => x.key).join(',')}`);
      for (const port of h.ports) {
        assert.ok(!seen.has(port), `${ip}: port ${port} used twice`);
        seen.add(port);
      }
    }
  }
}

const stable = (rs: readonly ServiceResult[]) => rs;

function withStatuses(services: readonly Service[], results: readonly ServiceResult[]): Service[] {
  const ips = new Map(results.map((r) => [r.service, r.ips]));
  return services.map((s) => withStatus(s, ips.get(`${s.metadata.namespace ?? 'default'}/${s.metadata.name}`) ?? []));
}

test('results keep the invariants (no unshareable IP twice, IPs inside pools, requests honoured)', () => {
  fc.assert(
    fc.property(inputArb, (input) => {
      checkInvariants(input, allocateAll(input).services);
    }),
    { numRuns: 400 },
  );
});

test('the indexed search gives what the MetalLB-style scan gives', () => {
  fc.assert(
    fc.property(inputArb, (input) => {
      const indexed = allocateAll(input);
      const scan = allocateAll({ ...input, options: { ...input.options, search: 'scan' } });
      assert.deepEqual(indexed.services, scan.services);
      assert.deepEqual(indexed.pools, scan.pools);
    }),
    { numRuns: 300 },
  );
});

test('same input, same output, whatever the order of services and pools', () => {
  fc.assert(
    fc.property(inputArb, fc.infiniteStream(fc.nat()), (input, rnd) => {
      const shuffle = <T>(xs: readonly T[]): T[] => {
        const out = [...xs];
        const it = rnd[Symbol.iterator]();
        for (let i = out.length - 1; i > 0; i--) {
          const j = (it.next().value as number) % (i + 1);
          [out[i], out[j]] = [out[j] as T, out[i] as T];
        }
        return out;
      };
      const a = allocateAll(input);
      const b = allocateAll({ ...input, services: shuffle(input.services), pools: shuffle(input.pools) });
      assert.deepEqual(b.services, a.services);
      assert.deepEqual(b.pools, a.pools);
    }),
    { numRuns: 200 },
  );
});

test('a restart with the previous statuses moves nothing', () => {
  fc.assert(
    fc.property(inputArb, (input) => {
      const first = allocateAll(input);
      const again = allocateAll({ ...input, services: withStatuses(input.services, first.services) });
      assert.deepEqual(stable(again.services), stable(first.services));
      assert.ok(!again.events.some((e) => e.reason === 'ClearAssignment'), 'nothing is cleared on restart');
    }),
    { numRuns: 300 },
  );
});

type Op =
  | { kind: 'add'; spec: Spec }
  | { kind: 'update'; index: number; spec: Spec }
  | { kind: 'touch'; index: number; ports: number[] }
  | { kind: 'remove'; index: number }
  | { kind: 'pools'; pools: PoolConfig[] }
  | { kind: 'namespaces'; a: boolean };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: specArb.map((spec) => ({ kind: 'add' as const, spec })) },
  { weight: 2, arbitrary: fc.tuple(fc.nat(), specArb).map(([index, spec]) => ({ kind: 'update' as const, index, spec })) },
  { weight: 1, arbitrary: fc.tuple(fc.nat(), fc.subarray([80, 443, 8080])).map(([index, ports]) => ({ kind: 'touch' as const, index, ports })) },
  { weight: 3, arbitrary: fc.nat().map((index) => ({ kind: 'remove' as const, index })) },
  { weight: 1, arbitrary: poolsArb.map((pools) => ({ kind: 'pools' as const, pools })) },
  { weight: 1, arbitrary: fc.boolean().map((a) => ({ kind: 'namespaces' as const, a })) },
);

test('incremental operations always agree with allocateAll (standalone: on the services as they are; else with their IPs as statuses)', () => {
  fc.assert(
    fc.property(poolsArb, fc.array(opArb, { maxLength: 25 }), fc.boolean(), (initialPools, ops, standalone) => {
      const options: AllocatorOptions = { standalone };
      let pools = initialPools;
      let namespaces: Record<string, Record<string, string>> = { a: { tier: 'gold' }, b: {} };
      const alloc = new Allocator({ pools, options, namespaces });
      const live = new Map<string, Service>();
      let counter = 0;
      let previous = new Map<string, ServiceResult>();
      for (const op of ops) {
        const keys = [...live.keys()].sort();
        let ch: AllocatorChanges | undefined;
        switch (op.kind) {
          case 'add': {
            const s = toService(`n${counter++}`, op.spec);
            live.set(`${op.spec.ns}/${s.metadata.name}`, s);
            ch = alloc.add(s);
            break;
          }
          case 'update': {
            const key = keys[op.index % Math.max(1, keys.length)];
            if (key === undefined) break;
            const old = live.get(key) as Service;
            // Same identity (namespace, name, creation time), new spec.
            const s = toService(old.metadata.name, { ...op.spec, ns: (old.metadata.namespace ?? 'default') as Spec['ns'] });
            const renewed: Service = { ...s, metadata: { ...s.metadata, creationTimestamp: old.metadata.creationTimestamp as string } };
            live.set(key, renewed);
            ch = alloc.update(renewed);
            break;
          }
          case 'touch': {
            const key = keys[op.index % Math.max(1, keys.length)];
            if (key === undefined) break;
            const old = live.get(key) as Service;
            const s: Service = { ...old, spec: { ...old.spec, ports: op.ports.map((port) => ({ port, protocol: 'TCP' })) } };
            live.set(key, s);
            ch = alloc.update(s);
            break;
          }
          case 'remove': {
            const key = keys[op.index % Math.max(1, keys.length)];
            if (key === undefined) break;
            live.delete(key);
            ch = alloc.remove(key);
            break;
          }
          case 'pools':
            pools = op.pools;
            ch = alloc.setPools(pools);
            break;
          case 'namespaces':
            namespaces = { a: op.a ? { tier: 'gold' } : {}, b: op.a ? {} : { tier: 'gold' } };
            ch = alloc.setNamespaces(namespaces);
            break;
        }
        const incremental = alloc.results();
        if (ch) {
          // The changes list exactly the results that differ, and the services that lost theirs.
          const now = new Map(incremental.map((r) => [r.service, r]));
          const changed = incremental.filter((r) => !isDeepStrictEqual(previous.get(r.service), r)).map((r) => r.service);
          assert.deepEqual(ch.updated.map((r) => r.service), changed);
          assert.deepEqual([...ch.removed], [...previous.keys()].filter((k) => !now.has(k)).sort());
        }
        previous = new Map(incremental.map((r) => [r.service, r]));
        // Standalone: a function of the services as they are; else the current IPs act as statuses.
        const services = standalone ? [...live.values()] : withStatuses([...live.values()], incremental);
        const input: AllocationInput = { pools, namespaces, options, services };
        const whole = allocateAll(input);
        assert.deepEqual(incremental, whole.services);
        assert.deepEqual(alloc.poolUsage(), whole.pools);
        checkInvariants(input, incremental);
      }
    }),
    { numRuns: 300 },
  );
});

/**
 * Standalone mode keeps assigned IPs put: random adds and deletes among 2 000 services at 50 % use
 * of a 4 000-address pool. A move is a service present before and after a change whose IPs changed.
 */
function churnMoves(ops: readonly (readonly [boolean, number])[], timestamps: boolean): { moves: number[]; final: Allocator; live: Service[] } {
  const pools = [pool('p', ['10.0.0.0-10.0.15.159'])];
  let n = 0;
  const make = (): Service => {
    const i = n++;
    const s = svc(`svc-${i}`, { namespace: `ns-${i % 7}`, clusterIPs: [], created: i });
    if (timestamps) return s;
    const { creationTimestamp: _, ...metadata } = s.metadata;
    return { ...s, metadata };
  };
  const live: Service[] = [];
  for (let i = 0; i < 2000; i++) live.push(make());
  const alloc = new Allocator({ pools, services: live, options: { standalone: true } });
  const moves: number[] = [];
  for (const [add, pick] of ops) {
    if (add || live.length === 0) {
      const s = make();
      live.push(s);
      const ch = alloc.add(s);
      moves.push(ch.updated.filter((r) => r.service !== `${s.metadata.namespace}/${s.metadata.name}`).length);
    } else {
      const [gone] = live.splice(pick % live.length, 1);
      const ch = alloc.remove(gone as Service);
      moves.push(ch.updated.length);
    }
  }
  return { moves, final: alloc, live };
}

const churnArb = (length: number) => fc.array(fc.tuple(fc.boolean(), fc.nat()), { minLength: length, maxLength: length });
const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);

/**
 * Moves per window of 100 changes are heavy-tailed: a deletion can start a chain of moves. Over the
 * windows of one run they average well under 2 % (bench/results/allocator.md: 0.94 %, worst of 10
 * windows 1.55 %), but one window can exceed it: seed 245280465 (fast-check, numRuns 4) gives 72 moves
 * (3.6 %). So the 2 % bound is asserted on the mean of the run's windows, and each window is capped at 5 %.
 */
const windowMoves: number[] = [];

test('standalone: 100 random adds and deletes at 50 % use move at most 2 % of 2 000 services on average, 5 % in any window (with creation timestamps)', () => {
  windowMoves.length = 0;
  fc.assert(
    fc.property(churnArb(100), (ops) => {
      const { moves, final, live } = churnMoves(ops, true);
      windowMoves.push(sum(moves));
      assert.ok(sum(moves) <= 100, `${sum(moves)} moves in 100 changes`);
      // Adds never move anyone: a newer service never wins an address from an older one.
      ops.forEach(([add], i) => {
        if (add) assert.equal(moves[i], 0, `add ${i} moved ${moves[i]}`);
      });
      assert.deepEqual(final.results(), allocateAll({ pools: final.state.poolList.map((p) => p.config), services: live, options: { standalone: true } }).services);
    }),
    { numRuns: 4 },
  );
  assert.ok(sum(windowMoves) <= 40 * windowMoves.length, `${sum(windowMoves)} moves in ${windowMoves.length} windows of 100 changes`);
});

test('standalone: without creation timestamps, random adds and deletes at 50 % use move at most 2 % per 100 changes on average', () => {
  fc.assert(
    fc.property(churnArb(400), (ops) => {
      const { moves } = churnMoves(ops, false);
      assert.ok(sum(moves) <= 4 * 40, `${sum(moves)} moves in 400 changes`);
    }),
    { numRuns: 2 },
  );
});

test('standalone: overfull pools larger than the refused-address trail: incremental operations agree with allocateAll', () => {
  // Waiting services and far probers are woken per pool and checked at the freed addresses only.
  fc.assert(
    fc.property(fc.boolean(), fc.array(fc.tuple(fc.nat(99), fc.nat(), fc.nat(99)), { minLength: 30, maxLength: 30 }), (timestamps, ops) => {
      const pools = [
        pool('a', ['10.0.0.0/26'], { serviceAllocation: { namespaces: ['n0'] } }),
        pool('b', ['10.1.0.0/27', '10.1.1.0/28']),
        pool('c', ['10.2.0.0/26'], { autoAssign: false }),
      ];
      let n = 0;
      const make = (r: number): Service => {
        const i = n++;
        const o: SvcOptions = { namespace: `n${i % 3}`, clusterIPs: [], created: i, annotations: {} };
        if (r < 15) {
          o.annotations = { 'metallb.io/allow-shared-ip': `k${i % 4}` };
          o.ports = [80 + (i % 3)];
        }
        if (r >= 15 && r < 25) o.annotations = { 'metallb.io/address-pool': 'c' };
        if (r >= 25 && r < 30) o.loadBalancerIP = `10.0.0.${(i * 7) % 64}`;
        const s = svc(`s${i}`, o);
        if (timestamps) return s;
        const { creationTimestamp: _, ...metadata } = s.metadata;
        return { ...s, metadata };
      };
      const live = new Map<string, Service>();
      for (let i = 0; i < 150; i++) {
        const s = make((i * 37) % 100);
        live.set(`${s.metadata.namespace}/${s.metadata.name}`, s);
      }
      const options = { standalone: true };
      const alloc = new Allocator({ pools, services: [...live.values()], options });
      for (const [kind, pick, r] of ops) {
        if (kind < 50) {
          const s = make(r);
          live.set(`${s.metadata.namespace}/${s.metadata.name}`, s);
          alloc.add(s);
        } else {
          const keys = [...live.keys()].sort();
          const key = keys[pick % keys.length] as string;
          live.delete(key);
          alloc.remove(key);
        }
        assert.deepEqual(alloc.results(), allocateAll({ pools, services: [...live.values()], options }).services);
      }
    }),
    { numRuns: 6 },
  );
});
