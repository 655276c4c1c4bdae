import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { allocateAll, Allocator } from './allocator.js';
import type { AllocationInput, ServiceResult } from './types.js';
import { pool, svc } from './test-helpers.js';

function byName(input: AllocationInput): Map<string, ServiceResult> {
  return new Map(allocateAll(input).services.map((r) => [r.service, r]));
}

function get(m: Map<string, ServiceResult>, key: string): ServiceResult {
  const r = m.get(key.includes('/') ? key : `default/${key}`);
  assert.ok(r, `no result for ${key}`);
  return r;
}

describe('pools and addresses', () => {
  test('takes the lowest free address, walking ranges in configuration order', () => {
    const pools = [pool('p', ['10.0.1.0/30', '10.0.0.0/31'])];
    const services = [0, 1, 2, 3, 4, 5, 6].map((i) => svc(`s${i}`, { created: i }));
    const r = byName({ pools, services });
    assert.deepEqual(
      [0, 1, 2, 3, 4, 5].map((i) => get(r, `s${i}`).ips[0]),
      ['10.0.1.0', '10.0.1.1', '10.0.1.2', '10.0.1.3', '10.0.0.0', '10.0.0.1'],
    );
    assert.equal(get(r, 's6').error?.rule, 'noAvailableIPs');
    assert.equal(get(r, 's6').error?.reason, 'AllocationFailed');
  });

  test('ranges given as first-last are used address by address', () => {
    const r = byName({ pools: [pool('p', ['10.0.0.5-10.0.0.6'])], services: [svc('a'), svc('b', { created: 1 }), svc('c', { created: 2 })] });
    assert.deepEqual(get(r, 'a').ips, ['10.0.0.5']);
    assert.deepEqual(get(r, 'b').ips, ['10.0.0.6']);
    assert.equal(get(r, 'c').error?.rule, 'noAvailableIPs');
  });

  test('avoidBuggyIPs skips .0 and .255 and refuses them when requested', () => {
    const pools = [pool('p', ['10.0.0.254-10.0.1.1'], { avoidBuggyIPs: true })];
    const services = [svc('a'), svc('b', { created: 1 }), svc('c', { created: 2 }), svc('d', { created: 3, loadBalancerIP: '10.0.1.0' })];
    const res = allocateAll({ pools, services });
    const r = new Map(res.services.map((x) => [x.service, x]));
    assert.deepEqual(get(r, 'a').ips, ['10.0.0.254']);
    assert.deepEqual(get(r, 'b').ips, ['10.0.1.1']);
    assert.equal(get(r, 'c').error?.rule, 'noAvailableIPs');
    assert.equal(get(r, 'd').error?.rule, 'ipNotInPool');
    assert.deepEqual(res.pools[0]?.ipv4, { inUse: 2, total: 2 });
  });

  test('a /8 and an IPv6 /64 count their addresses without holding them', () => {
    const res = allocateAll({
      pools: [pool('big4', ['10.0.0.0/8'], { avoidBuggyIPs: true }), pool('big6', ['fd00::/64'])],
      services: [svc('a'), svc('b', { clusterIPs: ['fd96::1'] })],
    });
    const big4 = res.pools.find((p) => p.pool === 'big4');
    const big6 = res.pools.find((p) => p.pool === 'big6');
    assert.deepEqual(big4?.ipv4, { inUse: 1, total: 2 ** 24 - 2 * 2 ** 16 });
    assert.deepEqual(big6?.ipv6, { inUse: 1, total: 2 ** 64 });
    assert.deepEqual(res.services.map((s) => s.ips[0]), ['10.0.0.1', 'fd00::']);
  });

  test('autoAssign: false pools are used only on request', () => {
    const pools = [pool('manual', ['10.9.0.0/30'], { autoAssign: false })];
    const r = byName({
      pools,
      services: [svc('auto'), svc('pinned', { annotations: { 'metallb.io/address-pool': 'manual' } }), svc('ip', { loadBalancerIP: '10.9.0.3' })],
    });
    assert.equal(get(r, 'auto').error?.rule, 'noAvailableIPs');
    assert.deepEqual(get(r, 'pinned').ips, ['10.9.0.0']);
    assert.deepEqual(get(r, 'ip').ips, ['10.9.0.3']);
  });

  test('no pools at all: every service is cleared', () => {
    const r = byName({ pools: [], services: [svc('a', { status: ['10.0.0.1'] })] });
    assert.deepEqual(get(r, 'a').ips, []);
    assert.equal(get(r, 'a').error?.rule, 'noPools');
  });
});

describe('serviceAllocation', () => {
  test('pinned pools first, by priority (0 last), ties by name, then autoAssign pools by name', () => {
    const pools = [
      pool('z-general', ['10.0.9.0/32']),
      pool('a-general', ['10.0.8.0/32']),
      pool('prio0', ['10.0.3.0/32'], { serviceAllocation: { namespaces: ['apps'] } }),
      pool('prio2', ['10.0.2.0/32'], { serviceAllocation: { priority: 2, namespaces: ['apps'] } }),
      pool('prio1b', ['10.0.1.1/32'], { serviceAllocation: { priority: 1, namespaces: ['apps'] } }),
      pool('prio1a', ['10.0.1.0/32'], { serviceAllocation: { priority: 1, namespaces: ['apps'] } }),
    ];
    const services = [0, 1, 2, 3, 4, 5, 6].map((i) => svc(`s${i}`, { namespace: 'apps', created: i }));
    const r = byName({ pools, services });
    assert.deepEqual(
      [0, 1, 2, 3, 4, 5].map((i) => get(r, `apps/s${i}`).pool),
      ['prio1a', 'prio1b', 'prio2', 'prio0', 'a-general', 'z-general'],
    );
    assert.equal(get(r, 'apps/s6').error?.rule, 'noAvailableIPs');
    // Another namespace never sees the pinned pools.
    const other = byName({ pools, services: [svc('x', { namespace: 'web' })] });
    assert.equal(get(other, 'web/x').pool, 'a-general');
  });

  test('namespaceSelectors use the namespace labels given as input', () => {
    const pools = [
      pool('team', ['10.1.0.0/30'], { serviceAllocation: { namespaceSelectors: [{ matchLabels: { team: 'blue' } }] } }),
      pool('general', ['10.2.0.0/30']),
    ];
    const services = [svc('a', { namespace: 'blue-ns' }), svc('b', { namespace: 'red-ns' }), svc('c', { namespace: 'unknown' })];
    const namespaces = { 'blue-ns': { team: 'blue' }, 'red-ns': { team: 'red' } };
    const r = byName({ pools, services, namespaces });
    assert.equal(get(r, 'blue-ns/a').pool, 'team');
    assert.equal(get(r, 'red-ns/b').pool, 'general');
    assert.equal(get(r, 'unknown/c').pool, 'general');
  });

  test('serviceSelectors pick services by label; a pool with empty serviceAllocation takes everyone', () => {
    const pools = [
      pool('db', ['10.1.0.0/30'], { serviceAllocation: { priority: 1, serviceSelectors: [{ matchLabels: { app: 'db' } }] } }),
      pool('catch-all', ['10.3.0.0/30'], { serviceAllocation: { priority: 5 } }),
      pool('general', ['10.2.0.0/30']),
    ];
    const r = byName({ pools, services: [svc('db', { labels: { app: 'db' } }), svc('web', { labels: { app: 'web' } })] });
    assert.equal(get(r, 'db').pool, 'db');
    assert.equal(get(r, 'web').pool, 'catch-all');
  });

  test('an explicit pool or IP ignores autoAssign but not the pool\'s selectors', () => {
    const pools = [pool('apps-only', ['10.1.0.0/30'], { autoAssign: false, serviceAllocation: { namespaces: ['apps'] } })];
    const r = byName({
      pools,
      services: [
        svc('ok', { namespace: 'apps', annotations: { 'metallb.io/address-pool': 'apps-only' } }),
        svc('byPool', { namespace: 'web', annotations: { 'metallb.io/address-pool': 'apps-only' } }),
        svc('byIp', { namespace: 'web', loadBalancerIP: '10.1.0.2' }),
      ],
    });
    assert.deepEqual(get(r, 'apps/ok').ips, ['10.1.0.0']);
    assert.equal(get(r, 'web/byPool').error?.rule, 'poolNotAvailable');
    assert.equal(get(r, 'web/byIp').error?.rule, 'poolNotAvailable');
  });

  test('when pinned pools are full, autoAssign pools are used', () => {
    const pools = [pool('pinned', ['10.1.0.0/32'], { serviceAllocation: { namespaces: ['apps'] } }), pool('general', ['10.2.0.0/30'])];
    const r = byName({ pools, services: [svc('a', { namespace: 'apps' }), svc('b', { namespace: 'apps', created: 1 })] });
    assert.equal(get(r, 'apps/a').pool, 'pinned');
    assert.equal(get(r, 'apps/b').pool, 'general');
  });
});

describe('requests', () => {
  const pools = [pool('a', ['10.0.0.0/24']), pool('b', ['10.1.0.0/24']), pool('v6', ['fd00::/120'])];

  test('spec.loadBalancerIP and the loadBalancerIPs annotation are honoured', () => {
    const r = byName({
      pools,
      services: [
        svc('spec', { loadBalancerIP: '10.0.0.7' }),
        svc('annot', { annotations: { 'metallb.io/loadBalancerIPs': '10.1.0.9' } }),
        svc('dual', {
          clusterIPs: ['10.96.0.1', 'fd96::1'],
          policy: 'RequireDualStack',
          annotations: { 'metallb.io/loadBalancerIPs': '10.0.0.8, fd00::8' },
        }),
      ],
    });
    assert.deepEqual(get(r, 'spec').ips, ['10.0.0.7']);
    assert.deepEqual(get(r, 'annot').ips, ['10.1.0.9']);
    assert.equal(get(r, 'annot').pool, 'b');
    assert.equal(get(r, 'dual').error?.rule, 'ipsInDifferentPools');
  });

  test('request errors', () => {
    const r = byName({
      pools,
      services: [
        svc('both', { loadBalancerIP: '10.0.0.7', annotations: { 'metallb.io/loadBalancerIPs': '10.0.0.8' } }),
        svc('bad', { loadBalancerIP: 'ten' }),
        svc('twoV4', { annotations: { 'metallb.io/loadBalancerIPs': '10.0.0.1,10.0.0.2' } }),
        svc('family', { loadBalancerIP: 'fd00::1' }),
        svc('nowhere', { loadBalancerIP: '10.1.2.3' }),
        svc('outside', { loadBalancerIP: '192.168.0.1' }),
        svc('mismatch', { loadBalancerIP: '10.0.0.9', annotations: { 'metallb.io/address-pool': 'b' } }),
        svc('unknown', { annotations: { 'metallb.io/address-pool': 'nope' } }),
      ],
    });
    assert.equal(get(r, 'both').error?.rule, 'bothIPRequests');
    assert.equal(get(r, 'bad').error?.rule, 'invalidRequestedIPs');
    assert.equal(get(r, 'twoV4').error?.rule, 'invalidRequestedIPs');
    assert.equal(get(r, 'family').error?.rule, 'requestedFamilyMismatch');
    assert.equal(get(r, 'nowhere').error?.rule, 'ipNotInPool');
    assert.match(get(r, 'nowhere').error?.message ?? '', /10\.1\.2\.3/);
    assert.equal(get(r, 'outside').error?.rule, 'ipNotInPool');
    assert.equal(get(r, 'mismatch').error?.rule, 'requestedPoolMismatch');
    assert.equal(get(r, 'unknown').error?.rule, 'unknownPool');
    for (const k of ['both', 'bad', 'family', 'outside', 'unknown']) assert.equal(get(r, k).error?.reason, 'AllocationFailed');
  });

  test('legacy metallb.universe.tf annotations work and warn', () => {
    const res = allocateAll({
      pools,
      services: [
        svc('old', { annotations: { 'metallb.universe.tf/address-pool': 'b' } }),
        svc('both', { annotations: { 'metallb.io/address-pool': 'a', 'metallb.universe.tf/address-pool': 'b' } }),
      ],
    });
    const r = new Map(res.services.map((x) => [x.service, x]));
    assert.equal(get(r, 'old').pool, 'b');
    assert.deepEqual(get(r, 'old').warnings.map((w) => w.reason), ['deprecatedAnnotation']);
    assert.equal(get(r, 'both').pool, 'a', 'the metallb.io annotation wins');
    assert.ok(res.events.some((e) => e.service === 'default/old' && e.reason === 'deprecatedAnnotation' && e.type === 'Warning'));
  });

  test('only LoadBalancer services of our class are handled', () => {
    const res = allocateAll({
      pools,
      services: [svc('cip', { type: 'ClusterIP' }), svc('classed', { loadBalancerClass: 'other' }), svc('plain')],
    });
    assert.deepEqual(res.services.map((s) => s.service), ['default/plain']);
    const withClass = allocateAll({
      pools,
      services: [svc('classed', { loadBalancerClass: 'metallb' }), svc('other', { loadBalancerClass: 'x' }), svc('plain')],
      options: { loadBalancerClass: 'metallb' },
    });
    assert.deepEqual(withClass.services.map((s) => s.service), ['default/classed']);
  });
});

describe('sharing', () => {
  const pools = [pool('p', ['10.50.0.200/29'])];
  const shared = (key: string) => ({ 'metallb.io/allow-shared-ip': key });

  test('same key, different ports: one IP; automatic allocation joins the shared IP', () => {
    const r = byName({
      pools,
      services: [
        svc('web', { namespace: 'apps', annotations: shared('k'), ports: [80] }),
        svc('dns', { namespace: 'apps', created: 1, annotations: shared('k'), ports: [{ port: 53, protocol: 'UDP' }] }),
        svc('other', { namespace: 'apps', created: 2 }),
      ],
    });
    assert.deepEqual(get(r, 'apps/web').ips, ['10.50.0.200']);
    assert.deepEqual(get(r, 'apps/dns').ips, ['10.50.0.200']);
    assert.deepEqual(get(r, 'apps/other').ips, ['10.50.0.201']);
  });

  test('refusals: port in use, key mismatch, no key, backend mismatch', () => {
    const r = byName({
      pools,
      services: [
        svc('web', { namespace: 'apps', annotations: shared('k'), ports: [80] }),
        svc('port', { created: 1, loadBalancerIP: '10.50.0.200', annotations: shared('k'), ports: [80] }),
        svc('key', { created: 2, loadBalancerIP: '10.50.0.200', annotations: shared('other'), ports: [81] }),
        svc('nokey', { created: 3, loadBalancerIP: '10.50.0.200', ports: [82] }),
        svc('local', { created: 4, loadBalancerIP: '10.50.0.200', annotations: shared('k'), ports: [83], etp: 'Local', selector: { a: 'b' } }),
      ],
    });
    assert.equal(get(r, 'port').error?.rule, 'portInUse');
    assert.match(get(r, 'port').error?.message ?? '', /80\/TCP.*10\.50\.0\.200.*apps\/web/);
    assert.equal(get(r, 'key').error?.rule, 'sharingKeyMismatch');
    assert.equal(get(r, 'nokey').error?.rule, 'sharingNotAllowed');
    assert.equal(get(r, 'local').error?.rule, 'backendKeyMismatch');
  });

  test('Local services share only with identical selectors; the legacy key annotation counts', () => {
    const r = byName({
      pools,
      services: [
        svc('a', { etp: 'Local', selector: { app: 'x', tier: 'y' }, annotations: shared('k'), ports: [80] }),
        svc('b', { created: 1, etp: 'Local', selector: { tier: 'y', app: 'x' }, annotations: { 'metallb.universe.tf/allow-shared-ip': 'k' }, ports: [443] }),
        svc('c', { created: 2, etp: 'Local', selector: { app: 'z' }, annotations: shared('k'), ports: [8080] }),
      ],
    });
    assert.deepEqual(get(r, 'a').ips, ['10.50.0.200']);
    assert.deepEqual(get(r, 'b').ips, ['10.50.0.200']);
    assert.deepEqual(get(r, 'c').ips, ['10.50.0.201']);
  });
});

describe('dual stack and families', () => {
  const pools = [pool('v4only', ['10.0.0.0/30']), pool('zdual', ['10.1.0.0/30', 'fd00::/126'])];
  const dual = { clusterIPs: ['10.96.0.1', 'fd96::1'] };

  test('RequireDualStack needs one pool with both families', () => {
    const r = byName({ pools, services: [svc('req', { ...dual, policy: 'RequireDualStack', ipFamilies: ['IPv4', 'IPv6'] })] });
    assert.deepEqual(get(r, 'req').ips, ['10.1.0.0', 'fd00::']);
    assert.equal(get(r, 'req').pool, 'zdual');
    const none = byName({ pools: [pool('v4', ['10.0.0.0/30']), pool('v6', ['fd00::/126'])], services: [svc('req', { ...dual, policy: 'RequireDualStack' })] });
    assert.equal(get(none, 'req').error?.rule, 'noAvailableIPs');
  });

  test('PreferDualStack takes both from a dual pool, else the primary family, and reports the missing one', () => {
    const r = byName({ pools, services: [svc('pref', { ...dual, policy: 'PreferDualStack' })] });
    assert.deepEqual(get(r, 'pref').ips, ['10.1.0.0', 'fd00::']);
    const onlyV4 = byName({
      pools: [pool('a4', ['10.0.0.0/30']), pool('b6', ['fd00::/126'])],
      services: [
        svc('pref', { ...dual, policy: 'PreferDualStack', ipFamilies: ['IPv4', 'IPv6'] }),
        svc('pref6', { created: 1, clusterIPs: ['fd96::1', '10.96.0.1'], policy: 'PreferDualStack', ipFamilies: ['IPv6', 'IPv4'] }),
      ],
    });
    assert.deepEqual(get(onlyV4, 'pref').ips, ['10.0.0.0']);
    assert.deepEqual(get(onlyV4, 'pref').warnings.map((w) => w.rule), ['additionalFamilyUnavailable']);
    assert.deepEqual(get(onlyV4, 'pref6').ips, ['fd00::']);
  });

  test('PreferDualStack gets its second family once the pool frees one', () => {
    const p = [pool('d', ['10.0.0.0/31', 'fd00::/128'])];
    const a = new Allocator({ pools: p, services: [svc('holder', { clusterIPs: ['fd96::1'] })] });
    a.add(svc('pref', { created: 1, ...dual, policy: 'PreferDualStack' }));
    assert.deepEqual(a.result('default/pref')?.ips, ['10.0.0.0']);
    const ch = a.remove('default/holder');
    assert.deepEqual(a.result('default/pref')?.ips, ['10.0.0.0', 'fd00::']);
    assert.ok(ch.events.some((e) => e.service === 'default/pref' && e.reason === 'IPAllocated'));
  });

  test('the service family comes from its ClusterIPs; requests of another family are refused', () => {
    const r = byName({ pools, services: [svc('v6', { clusterIPs: ['fd96::1'] }), svc('v4', { clusterIPs: ['10.96.0.2'] })] });
    assert.deepEqual(get(r, 'v6').ips, ['fd00::']);
    assert.deepEqual(get(r, 'v4').ips, ['10.0.0.0']);
  });

  test('cluster mode: no ClusterIP, too few for RequireDualStack, or unreadable ones', () => {
    const res = allocateAll({
      pools,
      services: [
        svc('none', { clusterIPs: [] }),
        svc('req', { policy: 'RequireDualStack', clusterIPs: ['10.96.0.1'] }),
        svc('headless', { clusterIPs: ['None'] }),
      ],
    });
    const r = new Map(res.services.map((x) => [x.service, x]));
    assert.equal(get(r, 'none').error?.rule, 'noClusterIP');
    assert.equal(get(r, 'req').error?.rule, 'notEnoughClusterIPs');
    assert.equal(get(r, 'req').error?.reason, 'not enough clusterips');
    assert.equal(get(r, 'headless').error?.reason, 'noclusterIPsIPFamily');
  });

  test('standalone mode: the family comes from ipFamilies, else IPv4', () => {
    const options = { standalone: true };
    const r = byName({
      pools,
      options,
      services: [
        svc('plain', { clusterIPs: [] }),
        svc('v6', { clusterIPs: [], ipFamilies: ['IPv6'], created: 1 }),
        svc('req', { clusterIPs: [], policy: 'RequireDualStack', created: 2 }),
      ],
    });
    // Standalone mode picks addresses by hash (README "Standalone mode"); the families and pools are the point here.
    assert.match(get(r, 'plain').ips[0] ?? '', /^10\.0\.0\./);
    assert.equal(get(r, 'plain').ips.length, 1);
    assert.match(get(r, 'v6').ips[0] ?? '', /^fd00::/);
    assert.equal(get(r, 'v6').ips.length, 1);
    assert.equal(get(r, 'req').pool, 'zdual');
    assert.match(get(r, 'req').ips[0] ?? '', /^10\.1\.0\./);
    assert.match(get(r, 'req').ips[1] ?? '', /^fd00::/);
  });
});

describe('lifecycle', () => {
  const pools = [pool('p', ['10.0.0.0/29'])];

  test('status IPs are kept first, so a restart moves nothing even for later services', () => {
    const r = byName({
      pools,
      services: [svc('early', { created: 0 }), svc('late', { created: 5, status: ['10.0.0.0'] })],
    });
    assert.deepEqual(get(r, 'late').ips, ['10.0.0.0']);
    assert.deepEqual(get(r, 'early').ips, ['10.0.0.1']);
  });

  test('a status IP no pool holds is replaced; two holders of one IP: the earlier keeps it', () => {
    const res = allocateAll({
      pools,
      services: [
        svc('gone', { status: ['192.168.1.1'] }),
        svc('first', { created: 1, status: ['10.0.0.5'] }),
        svc('second', { created: 2, status: ['10.0.0.5'] }),
      ],
    });
    const r = new Map(res.services.map((x) => [x.service, x]));
    assert.deepEqual(get(r, 'gone').ips, ['10.0.0.0']);
    assert.deepEqual(get(r, 'first').ips, ['10.0.0.5']);
    assert.deepEqual(get(r, 'second').ips, ['10.0.0.1']);
    assert.ok(res.events.some((e) => e.service === 'default/gone' && e.reason === 'ClearAssignment'));
  });

  test('a deleted service frees its IP for the earliest pending service', () => {
    const tiny = [pool('tiny', ['10.0.0.1/32'])];
    const a = new Allocator({ pools: tiny, services: [svc('holder')] });
    a.add(svc('late', { created: 9 }));
    a.add(svc('early', { created: 5 }));
    assert.equal(a.result('default/early')?.error?.rule, 'noAvailableIPs');
    const ch = a.remove('default/holder');
    assert.deepEqual(a.result('default/early')?.ips, ['10.0.0.1']);
    assert.equal(a.result('default/late')?.error?.rule, 'noAvailableIPs');
    assert.deepEqual(ch.removed, ['default/holder']);
    // Exactly the services whose result changed: `late` still has no address.
    assert.deepEqual(ch.updated.map((u) => u.service), ['default/early']);
  });

  test('a changed pool or IP request reallocates; an unchanged update keeps the IP', () => {
    const two = [pool('a', ['10.0.0.0/30']), pool('b', ['10.1.0.0/30'])];
    const a = new Allocator({ pools: two, services: [svc('x')] });
    assert.equal(a.result('default/x')?.pool, 'a');
    a.update(svc('x', { ports: [81] }));
    assert.deepEqual(a.result('default/x')?.ips, ['10.0.0.0']);
    a.update(svc('x', { annotations: { 'metallb.io/address-pool': 'b' } }));
    assert.deepEqual(a.result('default/x')?.ips, ['10.1.0.0']);
    a.update(svc('x', { annotations: { 'metallb.io/address-pool': 'b', 'metallb.io/loadBalancerIPs': '10.1.0.3' } }));
    assert.deepEqual(a.result('default/x')?.ips, ['10.1.0.3']);
  });

  test('a bad request keeps a valid IP and reports LoadBalancerFailed', () => {
    const r = byName({ pools, services: [svc('x', { status: ['10.0.0.4'], loadBalancerIP: 'nonsense' })] });
    assert.deepEqual(get(r, 'x').ips, ['10.0.0.4']);
    assert.equal(get(r, 'x').error?.reason, 'LoadBalancerFailed');
  });

  test('a service that stops being a LoadBalancer frees its IP', () => {
    const a = new Allocator({ pools: [pool('t', ['10.0.0.1/32'])], services: [svc('x')] });
    a.add(svc('y', { created: 1 }));
    const ch = a.update(svc('x', { type: 'ClusterIP' }));
    assert.deepEqual(ch.removed, ['default/x']);
    assert.deepEqual(a.result('default/y')?.ips, ['10.0.0.1']);
    assert.equal(a.result('default/x'), undefined);
  });

  test('setPools keeps valid IPs and moves the others in service order', () => {
    const a = new Allocator({ pools: [pool('a', ['10.0.0.0/30']), pool('b', ['10.1.0.0/30'])], services: [svc('x'), svc('y', { created: 1, annotations: { 'metallb.io/address-pool': 'b' } })] });
    assert.deepEqual(a.result('default/y')?.ips, ['10.1.0.0']);
    const ch = a.setPools([pool('b', ['10.1.0.0/30']), pool('c', ['10.2.0.0/30'])]);
    assert.deepEqual(a.result('default/y')?.ips, ['10.1.0.0']);
    assert.deepEqual(a.result('default/x')?.ips, ['10.1.0.1']);
    assert.ok(ch.events.some((e) => e.service === 'default/x' && e.reason === 'ClearAssignment'));
    assert.ok(!ch.events.some((e) => e.service === 'default/y'));
  });

  test('a changed namespace label moves a service out of a selected pool', () => {
    const p = [
      pool('team', ['10.1.0.0/30'], { serviceAllocation: { namespaceSelectors: [{ matchLabels: { team: 'blue' } }] } }),
      pool('general', ['10.2.0.0/30']),
    ];
    const a = new Allocator({ pools: p, services: [svc('x', { namespace: 'ns' })], namespaces: { ns: { team: 'blue' } } });
    assert.equal(a.result('ns/x')?.pool, 'team');
    a.setNamespaces({ ns: { team: 'red' } });
    assert.equal(a.result('ns/x')?.pool, 'general');
  });

  test('order is creationTimestamp, then namespace/name, whatever the input order', () => {
    const services = [svc('b', { created: 1 }), svc('a', { created: 1 }), svc('z', { namespace: 'a', created: 1 }), svc('old', { created: 0 })];
    const r1 = allocateAll({ pools, services });
    const r2 = allocateAll({ pools, services: [...services].reverse() });
    assert.deepEqual(r1.services, r2.services);
    const r = new Map(r1.services.map((x) => [x.service, x.ips[0]]));
    assert.deepEqual([r.get('default/old'), r.get('a/z'), r.get('default/a'), r.get('default/b')], ['10.0.0.0', '10.0.0.1', '10.0.0.2', '10.0.0.3']);
  });
});

describe('usage and events', () => {
  test('a shared address counts once in the pool usage', () => {
    const shared = { 'metallb.io/allow-shared-ip': 'k' };
    const res = allocateAll({
      pools: [pool('p', ['10.0.0.0/30', 'fd00::/126'])],
      services: [svc('a', { annotations: shared, ports: [80] }), svc('b', { created: 1, annotations: shared, ports: [443] }), svc('c', { created: 2, clusterIPs: ['fd96::1'] })],
    });
    assert.deepEqual(res.pools, [{ pool: 'p', inUse: 2, total: 8, ipv4: { inUse: 1, total: 4 }, ipv6: { inUse: 1, total: 4 } }]);
  });

  test('operations report the services they changed and MetalLB events', () => {
    const a = new Allocator({ pools: [pool('p', ['10.0.0.0/31'])] });
    const added = a.add(svc('x'));
    assert.deepEqual(added.updated.map((r) => [r.service, r.ips]), [['default/x', ['10.0.0.0']]]);
    assert.deepEqual(added.events.map((e) => [e.service, e.type, e.reason]), [['default/x', 'Normal', 'IPAllocated']]);
    const moved = a.update(svc('x', { loadBalancerIP: '10.0.0.1' }));
    assert.deepEqual(moved.events.map((e) => e.reason), ['ClearAssignment', 'IPAllocated']);
    const failed = a.add(svc('y', { created: 1, loadBalancerIP: '10.0.0.1' }));
    assert.deepEqual(failed.events.map((e) => [e.type, e.reason, e.rule]), [['Warning', 'AllocationFailed', 'sharingNotAllowed']]);
    // The same failure again is not repeated as an event.
    assert.deepEqual(a.update(svc('y', { created: 1, loadBalancerIP: '10.0.0.1' })).events, []);
  });
});
