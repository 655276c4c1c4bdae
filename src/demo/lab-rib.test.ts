import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { UpdateMessage } from '../bgp/wire/types.js';
import { LabRib } from './lab-rib.js';

function announce(prefixes: string[], nextHop: string, extra: UpdateMessage['attributes'] = []): UpdateMessage {
  return {
    type: 'update',
    withdrawn: [],
    attributes: [{ kind: 'origin', origin: 0 }, { kind: 'asPath', segments: [] }, { kind: 'nextHop', nextHop }, ...extra],
    nlri: prefixes.map((p) => {
      const [address, length] = p.split('/');
      return { family: 'ipv4' as const, address: address!, length: Number(length) };
    }),
  };
}

function withdraw(prefixes: string[]): UpdateMessage {
  return {
    type: 'update',
    withdrawn: prefixes.map((p) => {
      const [address, length] = p.split('/');
      return { family: 'ipv4' as const, address: address!, length: Number(length) };
    }),
    attributes: [],
    nlri: [],
  };
}

test('the same prefix from two neighbours is one route with two next hops, ordered by address', () => {
  const rib = new LabRib();
  assert.equal(rib.applyUpdate('127.0.0.117', announce(['10.10.10.12/32'], '127.0.0.117'), 1000), true);
  assert.equal(rib.applyUpdate('127.0.0.116', announce(['10.10.10.12/32'], '127.0.0.116'), 2000), true);
  const routes = rib.routes();
  assert.equal(routes.length, 1);
  assert.equal(routes[0]!.prefix, '10.10.10.12/32');
  assert.deepEqual(routes[0]!.paths.map((p) => p.nextHop), ['127.0.0.116', '127.0.0.117']);
  assert.equal(rib.prefixCount('127.0.0.116'), 1);
});

test('re-announcing an identical path is no change and keeps its age', () => {
  const rib = new LabRib();
  rib.applyUpdate('127.0.0.116', announce(['10.10.10.12/32'], '127.0.0.116'), 1000);
  assert.equal(rib.applyUpdate('127.0.0.116', announce(['10.10.10.12/32'], '127.0.0.116'), 5000), false);
  assert.equal(rib.paths()[0]!.sinceMs, 1000);
  // A changed attribute is a new path (RFC 4271 §3.1: the new route replaces the old one).
  assert.equal(rib.applyUpdate('127.0.0.116', announce(['10.10.10.12/32'], '127.0.0.116', [{ kind: 'communities', communities: [65536 * 64512 + 7] }]), 6000), true);
  assert.deepEqual(rib.paths()[0]!.communities, ['64512:7']);
  assert.equal(rib.paths()[0]!.sinceMs, 6000);
});

test('withdrawals, treat-as-withdraw and a neighbour going away remove paths', () => {
  const rib = new LabRib();
  rib.applyUpdate('127.0.0.116', announce(['10.10.10.12/32', '10.10.10.13/32'], '127.0.0.116'), 0);
  rib.applyUpdate('127.0.0.117', announce(['10.10.10.12/32'], '127.0.0.117'), 0);
  assert.equal(rib.applyUpdate('127.0.0.116', withdraw(['10.10.10.13/32']), 0), true);
  assert.equal(rib.applyUpdate('127.0.0.116', withdraw(['10.10.10.13/32']), 0), false);
  assert.equal(rib.applyUpdate('127.0.0.117', announce(['10.10.10.12/32'], '127.0.0.117'), 0, true), true);
  assert.deepEqual(rib.routes().map((r) => r.paths.map((p) => p.neighbor)), [['127.0.0.116']]);
  assert.equal(rib.dropNeighbor('127.0.0.116'), true);
  assert.deepEqual(rib.routes(), []);
});

test('a higher LOCAL_PREF wins over multipath; equal ones share (RFC 4271 §9.1.2.2)', () => {
  const rib = new LabRib();
  rib.applyUpdate('127.0.0.116', announce(['10.10.10.12/32'], '127.0.0.116', [{ kind: 'localPref', localPref: 200 }]), 0);
  rib.applyUpdate('127.0.0.117', announce(['10.10.10.12/32'], '127.0.0.117', [{ kind: 'localPref', localPref: 100 }]), 0);
  assert.deepEqual(rib.routes()[0]!.paths.map((p) => p.neighbor), ['127.0.0.116']);
  rib.applyUpdate('127.0.0.117', announce(['10.10.10.12/32'], '127.0.0.117', [{ kind: 'localPref', localPref: 200 }]), 0);
  assert.equal(rib.routes()[0]!.paths.length, 2);
});

test('MP_REACH_NLRI carries IPv6 routes with their own next hop (RFC 4760 §3)', () => {
  const rib = new LabRib();
  rib.applyUpdate(
    '::1',
    {
      type: 'update',
      withdrawn: [],
      attributes: [
        { kind: 'origin', origin: 0 },
        { kind: 'asPath', segments: [{ type: 'sequence', asns: [64513] }] },
        { kind: 'mpReachNlri', afi: 2, safi: 1, nextHops: ['fd00::116'], nlri: [{ family: 'ipv6', address: 'fd00:10::', length: 128 }] },
      ],
      nlri: [],
    },
    0,
  );
  assert.deepEqual(rib.routes().map((r) => [r.prefix, r.paths[0]!.nextHop, r.paths[0]!.asPath]), [['fd00:10::/128', 'fd00::116', [64513]]]);
  rib.applyUpdate('::1', { type: 'update', withdrawn: [], attributes: [{ kind: 'mpUnreachNlri', afi: 2, safi: 1, withdrawn: [{ family: 'ipv6', address: 'fd00:10::', length: 128 }] }], nlri: [] }, 0);
  assert.deepEqual(rib.routes(), []);
});
