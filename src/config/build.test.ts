/**
 * What `buildConfig` produces: defaults, timer derivations, reference resolution, the features this
 * project accepts beyond MetalLB's native mode, and where issues point.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { adv, bfd, build, buildText, community, configMap, errorsOf, node, peer, pool, secret, warningsOf } from './test-helpers.js';
import type { Obj } from './test-helpers.js';
import type { Config } from './types.js';
import { convertLegacyConfigMap } from './convert.js';

function ok(objects: Obj[]): Config {
  const r = build(objects);
  assert.ok(r.ok, JSON.stringify(errorsOf(r)));
  return r.config;
}

test('timers: parseTimers derivations, in whole seconds rounded down', () => {
  const timers = (spec: Obj): [number, number] => {
    const p = ok([peer('p1', spec), pool('a'), adv('x')]).peers[0];
    return [p?.holdTime ?? -1, p?.keepaliveTime ?? -1];
  };
  assert.deepEqual(timers({}), [90, 30]);
  assert.deepEqual(timers({ holdTime: '10s' }), [10, 3]);
  assert.deepEqual(timers({ keepaliveTime: '20s' }), [60, 20]);
  assert.deepEqual(timers({ holdTime: '1m30.9s', keepaliveTime: '10.5s' }), [90, 10]);
  assert.deepEqual(timers({ holdTime: '0s' }), [0, 0]);
  assert.deepEqual(timers({ holdTime: '3s' }), [3, 1]);
  assert.deepEqual(timers({ holdTime: '1h' }), [3600, 1200]);
});

test('defaults: port 179, autoAssign true, aggregation 32/128, BFD FRR defaults', () => {
  const c = ok([peer('p1', { bfdProfile: 'b' }), bfd('b'), pool('a'), adv('x')]);
  assert.equal(c.peers[0]?.peerPort, 179);
  assert.equal(c.pools[0]?.autoAssign, true);
  assert.equal(c.pools[0]?.avoidBuggyIPs, false);
  assert.deepEqual([c.advertisements[0]?.aggregationLength, c.advertisements[0]?.aggregationLengthV6], [32, 128]);
  assert.equal(c.advertisements[0]?.localPref, undefined);
  assert.deepEqual(c.bfdProfiles[0], { name: 'b', receiveInterval: 300, transmitInterval: 300, detectMultiplier: 3, echoInterval: 50, minimumTtl: 254, echoMode: false, passiveMode: false });
});

test('accepted beyond MetalLB native mode: BFD, keepaliveTime, IPv6, large communities, GR, dynamicASN, connectTime', () => {
  const c = ok([
    peer('p1', { bfdProfile: 'fast', keepaliveTime: '10s', enableGracefulRestart: true, connectTime: '5s' }),
    peer('p2', { peerAddress: 'fd00::1', peerASN: undefined, dynamicASN: 'external' }),
    bfd('fast', { receiveInterval: 100, transmitInterval: 100, detectMultiplier: 5 }),
    pool('v6', { addresses: ['fd00:10::/120'] }),
    adv('x', { communities: ['large:64512:1:2', '65535:65281', 'large:1:2:3'], aggregationLengthV6: 124 }),
  ]);
  assert.equal(c.peers[0]?.enableGracefulRestart, true);
  assert.equal(c.peers[0]?.connectTime, 5);
  assert.equal(c.peers[0]?.keepaliveTime, 10);
  assert.equal(c.peers[0]?.holdTime, 30);
  assert.equal(c.peers[1]?.dynamicAsn, 'external');
  assert.equal(c.peers[1]?.peerAsn, undefined);
  assert.equal(c.peers[1]?.peerAddress, 'fd00::1');
  assert.equal(c.pools[0]?.addresses[0]?.family, 'ipv6');
  assert.deepEqual(c.advertisements[0]?.largeCommunities, ['1:2:3', '64512:1:2']);
  assert.deepEqual(c.advertisements[0]?.communities, ['65535:65281']);
});

test('references resolve: aliases, pool selectors, all pools, secrets', () => {
  const c = ok([
    peer('p1', { passwordSecret: { name: 'pw' } }),
    secret('pw', 'kubernetes.io/basic-auth', { password: 's3cret', username: 'x' }),
    community('c', [{ name: 'no-export', value: '65535:65281' }, { name: 'mine', value: '64512:100' }]),
    pool('a', {}, { labels: { tier: 'web' } }),
    pool('b', { addresses: ['10.20.0.0/24'] }, { labels: { tier: 'db' } }),
    adv('web', { ipAddressPoolSelectors: [{ matchLabels: { tier: 'web' } }], communities: ['no-export', 'mine', '1:1'] }),
    adv('every', {}),
    adv('named', { ipAddressPools: ['b'] }),
  ]);
  assert.equal(c.peers[0]?.password, 's3cret');
  const byName = new Map(c.advertisements.map((a) => [a.name, a]));
  assert.deepEqual(byName.get('web')?.ipAddressPools, ['a']);
  assert.deepEqual(byName.get('web')?.communities, ['1:1', '64512:100', '65535:65281']);
  assert.deepEqual(byName.get('every')?.ipAddressPools, ['a', 'b']);
  assert.deepEqual(byName.get('named')?.ipAddressPools, ['b']);
});

test('addresses: CIDR with host bits, ranges summarised, canonical text', () => {
  const c = ok([peer('p1'), pool('a', { addresses: ['10.1.0.5/24', '10.2.0.1 - 10.2.0.6', 'FD00:0:0::0/126'] }), adv('x')]);
  assert.deepEqual(c.pools[0]?.addresses, [
    { family: 'ipv4', first: '10.1.0.0', last: '10.1.0.255', cidrs: ['10.1.0.0/24'] },
    { family: 'ipv4', first: '10.2.0.1', last: '10.2.0.6', cidrs: ['10.2.0.1/32', '10.2.0.2/31', '10.2.0.4/31', '10.2.0.6/32'] },
    { family: 'ipv6', first: 'fd00::', last: 'fd00::3', cidrs: ['fd00::/126'] },
  ]);
});

test('a v1beta1 BGPPeer reads like v1beta2', () => {
  const c = ok([peer('p1', { holdTime: '30s', nodeSelectors: [{ matchLabels: { a: 'b' }, matchExpressions: [{ key: 'k', operator: 'NotIn', values: ['x'] }] }] }, 'metallb.io/v1beta1'), pool('a'), adv('x')]);
  assert.equal(c.peers[0]?.holdTime, 30);
  assert.deepEqual(c.peers[0]?.nodeSelectors, [{ matchLabels: { a: 'b' }, matchExpressions: [{ key: 'k', operator: 'NotIn', values: ['x'] }] }]);
});

test('v1beta1 peerPort 0 means the default port; in v1beta2 it is out of range', () => {
  assert.equal(ok([peer('p1', { peerPort: 0 }, 'metallb.io/v1beta1'), pool('a'), adv('x')]).peers[0]?.peerPort, 179);
  assert.deepEqual(errorsOf(build([peer('p1', { peerPort: 0 }), pool('a'), adv('x')])).map((e) => e.rule), ['peerPortRange']);
});

test('YAML 1.1 booleans (yes/no/on/off), as Kubernetes reads them', () => {
  const c = ok([configMap('peers:\n- {peer-address: 10.0.0.1, peer-asn: 1, my-asn: 2, ebgp-multihop: yes}\naddress-pools:\n- {name: a, protocol: bgp, addresses: [10.1.0.0/24], avoid-buggy-ips: on, auto-assign: no}\n')]);
  assert.equal(c.peers[0]?.ebgpMultiHop, true);
  assert.deepEqual([c.pools[0]?.avoidBuggyIPs, c.pools[0]?.autoAssign], [true, false]);
  const converted = convertLegacyConfigMap({ object: configMap('peers:\n- {peer-address: 10.0.0.1, peer-asn: 1, my-asn: 2, ebgp-multihop: yes}\naddress-pools:\n- {name: a, protocol: bgp, addresses: [10.1.0.0/24], avoid-buggy-ips: on, auto-assign: no}\n') });
  assert.ok(converted.ok);
  assert.deepEqual(converted.objects.map((o) => o.spec), [
    { ebgpMultiHop: true, holdTime: '1m30s', myASN: 2, passwordSecret: {}, peerASN: 1, peerAddress: '10.0.0.1' },
    { addresses: ['10.1.0.0/24'], autoAssign: false, avoidBuggyIPs: true },
    { ipAddressPools: ['a'] },
  ]);
});

test('serviceAllocation and pool labels pass through', () => {
  const c = ok([peer('p1'), pool('a', { autoAssign: false, serviceAllocation: { priority: 5, namespaces: ['web'], serviceSelectors: [{ matchLabels: { app: 'x' } }] } }, { labels: { l: 'v' } }), adv('x')]);
  assert.deepEqual(c.pools[0]?.serviceAllocation, { priority: 5, namespaces: ['web'], namespaceSelectors: [], serviceSelectors: [{ matchLabels: { app: 'x' } }] });
  assert.deepEqual(c.pools[0]?.labels, { l: 'v' });
  assert.equal(c.pools[0]?.autoAssign, false);
});

test('objects that are not configuration are ignored; unknown metallb.io kinds too', () => {
  const c = ok([
    peer('p1'),
    pool('a'),
    adv('x'),
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { type: 'LoadBalancer' } },
    { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' } },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'other', namespace: 'default' }, data: { config: 'not: metallb' } },
    { apiVersion: 'metallb.io/v1beta1', kind: 'ServiceBGPStatus', metadata: { name: 'bgp-x' } },
    node('n1', { a: 'b' }),
  ]);
  assert.equal(c.peers.length, 1);
  assert.deepEqual(c.warnings, []);
});

test('legacy and CRD objects combine; all errors come out in one run', () => {
  const r = build([
    configMap('peers:\n- {peer-address: 10.0.0.1, peer-asn: 1, my-asn: 2, hold-time: 1s}\naddress-pools:\n- {name: a, protocol: bgp, addresses: [10.9.0.0/16]}\n'),
    peer('p2', { peerAddress: 'nope', myASN: 0 }),
    pool('b', { addresses: ['10.9.1.0/24', 'bad'] }),
  ]);
  assert.deepEqual(
    errorsOf(r).map((e) => `${e.object} ${e.path} ${e.rule}`).sort(),
    [
      'BGPPeer/p2 spec.myASN myAsnRequired',
      'BGPPeer/p2 spec.peerAddress peerAddressInvalid',
      'ConfigMap/config peers[0].hold-time holdTimeRange',
      'IPAddressPool/b spec.addresses[0] cidrOverlap',
      'IPAddressPool/b spec.addresses[1] poolAddressInvalid',
    ],
  );
});

test('issues point at the line of the field, in CRDs and inside a legacy data.config block', () => {
  const text = [
    'apiVersion: metallb.io/v1beta2', // 1
    'kind: BGPPeer',
    'metadata:',
    '  name: p',
    'spec:', // 5
    '  myASN: 64512',
    '  peerASN: 64513',
    '  peerAddress: 10.0.0.1',
    '  routerID: fd00::1', // 9
    '---',
    'apiVersion: v1', // 11
    'kind: ConfigMap',
    'metadata: {name: config, namespace: metallb-system}',
    'data:',
    '  config: |', // 15
    '    address-pools:', // 16
    '    - name: a',
    '      protocol: bgp',
    '      addresses:',
    '      - 10.0.0.0/33', // 20
    '',
  ].join('\n');
  const r = buildText(text, 'lines.yaml');
  assert.deepEqual(
    errorsOf(r).map((e) => [e.file, e.line, e.rule]),
    [
      ['lines.yaml', 9, 'routerIdInvalid'],
      ['lines.yaml', 20, 'poolAddressInvalid'],
    ],
  );
});

test('a legacy config in a quoted string still points at data.config', () => {
  const text = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: config}\ndata:\n  config: "peers: [{peer-address: x, peer-asn: 1, my-asn: 1}]"\n';
  const r = buildText(text, 'q.yaml');
  assert.deepEqual(errorsOf(r).map((e) => [e.line, e.rule, e.path]), [[5, 'peerAddressInvalid', 'peers[0].peer-address']]);
});

test('a YAML error inside data.config gives the file line', () => {
  const text = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: config}\ndata:\n  config: |\n    peers:\n    - peer-address: [10.0.0.1\n';
  const r = buildText(text, 'y.yaml');
  const e = errorsOf(r)[0];
  assert.equal(e?.rule, 'yamlSyntax');
  assert.ok((e?.line ?? 0) >= 7, `line ${e?.line}`);
});

test('an empty legacy config is valid and empty', () => {
  const c = ok([configMap('')]);
  assert.deepEqual([c.peers.length, c.pools.length], [0, 0]);
});

test('duplicate peers are judged on Nodes when Nodes are given', () => {
  const objs = [peer('p1', { nodeSelectors: [{ matchLabels: { rack: 'a' } }] }), peer('p2', { myASN: 65000, nodeSelectors: [{ matchLabels: { zone: 'z' } }] }), pool('a'), adv('x')];
  // Without nodes the two selectors are taken as disjoint.
  assert.equal(build(objs).ok, true);
  // A node in rack a and zone z would run both sessions to 10.0.0.1.
  assert.deepEqual(errorsOf(build([...objs, node('n', { rack: 'a', zone: 'z' })])).map((e) => e.rule), ['duplicatePeer']);
  assert.equal(build([...objs, node('n', { rack: 'a' }), node('m', { zone: 'z' })]).ok, true);
});

test('warnings alone never fail the build and name the object', () => {
  const r = build([peer('p1'), pool('a'), adv('x'), { apiVersion: 'metallb.io/v1beta1', kind: 'L2Advertisement', metadata: { name: 'l2' }, spec: {} }]);
  assert.equal(r.ok, true);
  assert.deepEqual(warningsOf(r).map((w) => [w.object, w.rule]), [['L2Advertisement/l2', 'l2AdvertisementUnsupported']]);
});

test('vrf is an error (as in MetalLB native mode), so it never opens a second session to one router', () => {
  // Two peers at one address, one of them in VRF red: without the vrf error both would open a
  // default-VRF session to the same router.
  const r = build([peer('p1'), peer('p2', { vrf: 'red' }), pool('a'), adv('x')]);
  assert.deepEqual(errorsOf(r).map((e) => [e.object, e.path, e.rule]), [['BGPPeer/p2', 'spec.vrf', 'unsupportedField']]);
  // Alone, a vrf peer is still rejected: the speaker has no VRF to put it in.
  assert.deepEqual(errorsOf(build([peer('p1', { vrf: 'red' }), pool('a'), adv('x')])).map((e) => e.rule), ['unsupportedField']);
});

test('bfdProfile warns (not applied yet), naming rule, object, field, file and line; password and passwordSecret are applied without a warning', () => {
  const text = [
    'apiVersion: metallb.io/v1beta2', // 1
    'kind: BGPPeer',
    'metadata: {name: p1, namespace: metallb-system}',
    'spec:',
    '  myASN: 64512', // 5
    '  peerASN: 64513',
    '  peerAddress: 10.0.0.1',
    '  bfdProfile: fast', // 8
    '  password: s3cret', // 9
    '---',
    'apiVersion: metallb.io/v1beta2',
    'kind: BGPPeer',
    'metadata: {name: p2, namespace: metallb-system}',
    'spec:',
    '  myASN: 64512', // 15
    '  peerASN: 64513',
    '  peerAddress: 10.0.0.2',
    '  passwordSecret: {name: pw}', // 18
    '---',
    'apiVersion: metallb.io/v1beta1',
    'kind: BFDProfile',
    'metadata: {name: fast, namespace: metallb-system}',
    'spec: {}',
    '---',
    'apiVersion: v1',
    'kind: Secret',
    'metadata: {name: pw, namespace: metallb-system}',
    'type: kubernetes.io/basic-auth',
    'stringData: {password: s3cret}',
    '---',
    'apiVersion: metallb.io/v1beta1',
    'kind: IPAddressPool',
    'metadata: {name: a, namespace: metallb-system}',
    'spec: {addresses: [10.1.0.0/24]}',
    '---',
    'apiVersion: metallb.io/v1beta1',
    'kind: BGPAdvertisement',
    'metadata: {name: x, namespace: metallb-system}',
    '',
  ].join('\n');
  const r = buildText(text, 'peers.yaml');
  assert.equal(r.ok, true, JSON.stringify(errorsOf(r)));
  assert.deepEqual(
    warningsOf(r).map((w) => [w.file, w.line, w.object, w.path, w.rule]),
    [
      ['peers.yaml', 8, 'BGPPeer/p1', 'spec.bfdProfile', 'settingNotApplied'],
    ],
  );
  assert.ok(!warningsOf(r).some((w) => w.message.includes('s3cret') || w.value === 's3cret'), 'the password is never shown');
  // The settings are still carried (the features that apply them read the same Config).
  const c = r.ok ? r.config : undefined;
  assert.deepEqual([c?.peers[0]?.bfdProfile, c?.peers[0]?.password, c?.peers[1]?.password], ['fast', 's3cret', 's3cret']);
});

test('legacy bfd-profile warns at its ConfigMap key; the password is applied, without a warning', () => {
  const r = build([configMap('peers:\n- peer-address: 10.0.0.1\n  peer-asn: 64512\n  my-asn: 64512\n  password: x\n  bfd-profile: b\nbfd-profiles:\n- name: b\naddress-pools:\n- name: a\n  protocol: bgp\n  addresses: [10.1.0.0/24]\n')]);
  assert.deepEqual(warningsOf(r).map((w) => [w.path, w.rule]), [['peers[0].bfd-profile', 'settingNotApplied']]);
});
