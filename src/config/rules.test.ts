/**
 * The rule table: every rule `buildConfig` and the decoders enforce, each with a valid and an invalid
 * case. Asserts rule ids and paths, never message wording.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RULES } from './build.js';
import type { Obj } from './test-helpers.js';
import { adv, bfd, build, community, configMap, crd, errorsOf, node, peer, pool, secret, warningsOf } from './test-helpers.js';

interface Row {
  readonly rule: string;
  readonly why: string;
  readonly valid: readonly Obj[];
  readonly invalid: readonly Obj[];
  /** Expected `object` and `path` of the issue with this rule. */
  readonly object?: string;
  readonly path?: string;
  readonly warning?: boolean;
}

const base = (...more: Obj[]): Obj[] => [peer('p1'), pool('a'), adv('all'), ...more];
const legacy = (text: string): Obj[] => [configMap(text)];
const legacyOk = 'peers:\n- peer-address: 10.0.0.1\n  peer-asn: 64512\n  my-asn: 64512\naddress-pools:\n- name: default\n  protocol: bgp\n  addresses: [10.10.10.0/24]\n';

const rows: Row[] = [
  { rule: 'invalidType', why: 'myASN as a string', valid: base(), invalid: [peer('p1', { myASN: '64512' }), pool('a'), adv('all')], object: 'BGPPeer/p1', path: 'spec.myASN' },
  { rule: 'integerRange', why: 'negative localPref', valid: base(), invalid: [peer('p1'), pool('a'), adv('all', { localPref: -1 })], object: 'BGPAdvertisement/all', path: 'spec.localPref' },
  { rule: 'unknownField', why: 'misspelt CRD field', valid: base(), invalid: [peer('p1', { holdtime: '90s' }), pool('a'), adv('all')], path: 'spec.holdtime' },
  { rule: 'unknownField', why: 'legacy strict keys', valid: legacy(legacyOk), invalid: legacy(legacyOk.replace('peer-asn', 'peer-as')), object: 'ConfigMap/config', path: 'peers[0].peer-as' },
  { rule: 'unknownField', why: 'v1beta1 BGPPeer has no dynamicASN', valid: [peer('p1', {}, 'metallb.io/v1beta1'), pool('a'), adv('all')], invalid: [peer('p1', { dynamicASN: 'external', peerASN: undefined }, 'metallb.io/v1beta1'), pool('a'), adv('all')], path: 'spec.dynamicASN' },
  { rule: 'missingName', why: 'pool without a name', valid: base(), invalid: [peer('p1'), { apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: {}, spec: { addresses: ['10.1.0.0/24'] } }], path: 'metadata.name' },
  { rule: 'missingName', why: 'legacy pool without a name', valid: legacy(legacyOk), invalid: legacy(legacyOk.replace('name: default\n  protocol', 'protocol')), path: 'address-pools[0].name' },
  { rule: 'duplicateName', why: 'two pools named a', valid: base(pool('b', { addresses: ['10.9.0.0/24'] })), invalid: base(pool('a', { addresses: ['10.9.0.0/24'] })), object: 'IPAddressPool/a', path: 'metadata.name' },
  { rule: 'duplicateName', why: 'two peers named p1', valid: base(peer('p2', { peerAddress: '10.0.0.2' })), invalid: base(peer('p1', { peerAddress: '10.0.0.2' })), object: 'BGPPeer/p1', path: 'metadata.name' },
  { rule: 'duplicateEntry', why: 'a pool listed twice', valid: base(adv('x', { ipAddressPools: ['a'] })), invalid: base(adv('x', { ipAddressPools: ['a', 'a'] })), path: 'spec.ipAddressPools[1]' },
  { rule: 'duplicateSelector', why: 'the same node selector twice', valid: [peer('p1', { nodeSelectors: [{ matchLabels: { a: 'b' } }, { matchLabels: { a: 'c' } }] }), pool('a'), adv('all')], invalid: [peer('p1', { nodeSelectors: [{ matchLabels: { a: 'b' } }, { matchLabels: { a: 'b' } }] }), pool('a'), adv('all')], path: 'spec.nodeSelectors[1]' },
  { rule: 'labelSelectorInvalid', why: 'an unknown operator', valid: [peer('p1', { nodeSelectors: [{ matchExpressions: [{ key: 'k', operator: 'In', values: ['v'] }] }] }), pool('a'), adv('all')], invalid: [peer('p1', { nodeSelectors: [{ matchExpressions: [{ key: 'k', operator: 'Equals', values: ['v'] }] }] }), pool('a'), adv('all')], path: 'spec.nodeSelectors[0].matchExpressions[0].operator' },
  { rule: 'labelSelectorInvalid', why: 'In without values', valid: base(), invalid: [peer('p1', { nodeSelectors: [{ matchExpressions: [{ key: 'k', operator: 'In' }] }] }), pool('a'), adv('all')], path: 'spec.nodeSelectors[0].matchExpressions[0].values' },
  { rule: 'mixedNamespaces', why: 'a pool in another namespace', warning: true, valid: base(), invalid: [peer('p1'), crd('IPAddressPool', 'a', { addresses: ['10.1.0.0/24'] }, 'metallb.io/v1beta1', { namespace: 'other' }), adv('all')], path: 'metadata.namespace' },
  { rule: 'l2AdvertisementUnsupported', why: 'an L2Advertisement', warning: true, valid: base(), invalid: base(crd('L2Advertisement', 'l2', {})), object: 'L2Advertisement/l2' },
  { rule: 'layer2Unsupported', why: 'a legacy layer2 pool', warning: true, valid: legacy(legacyOk), invalid: legacy(legacyOk.replace('protocol: bgp', 'protocol: layer2')), object: 'ConfigMap/config', path: 'address-pools[0].protocol' },
  { rule: 'layer2Advertisements', why: 'bgp-advertisements on a layer2 pool', valid: legacy(legacyOk.replace('protocol: bgp', 'protocol: layer2')), invalid: legacy(legacyOk.replace('protocol: bgp', 'protocol: layer2') + '  bgp-advertisements:\n  - localpref: 1\n'), path: 'address-pools[0].bgp-advertisements' },
  { rule: 'missingProtocol', why: 'a legacy pool without protocol', valid: legacy(legacyOk), invalid: legacy(legacyOk.replace('  protocol: bgp\n', '')), path: 'address-pools[0].protocol' },
  { rule: 'unknownProtocol', why: 'protocol l2', valid: legacy(legacyOk), invalid: legacy(legacyOk.replace('protocol: bgp', 'protocol: l2')), path: 'address-pools[0].protocol' },
  { rule: 'unsupportedKind', why: 'the removed AddressPool kind', warning: true, valid: base(crd('ServiceBGPStatus', 's', {})), invalid: base(crd('AddressPool', 'old', { protocol: 'bgp', addresses: ['10.5.0.0/24'] })), object: 'AddressPool/old', path: 'kind' },
  { rule: 'unsupportedKind', why: 'an unknown BGPPeer version', warning: true, valid: base(), invalid: base(crd('BGPPeer', 'p9', {}, 'metallb.io/v1beta3')), object: 'BGPPeer/p9', path: 'kind' },
  { rule: 'bgpExtrasUnsupported', why: 'the bgpextras ConfigMap', warning: true, valid: base(), invalid: base({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'bgpextras', namespace: 'metallb-system' }, data: { extras: 'x' } }), object: 'ConfigMap/bgpextras' },
  { rule: 'secretDataInvalid', why: 'Secret data not base64', warning: true, valid: base(secret('s', 'Opaque', { a: 'b' })), invalid: base({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { a: '!!!' } }), object: 'Secret/s', path: 'data.a' },
  { rule: 'yamlSyntax', why: 'broken YAML in data.config', valid: legacy(legacyOk), invalid: legacy('peers: [\n'), object: 'ConfigMap/config', path: 'data.config' },
  { rule: 'myAsnRequired', why: 'myASN 0', valid: base(), invalid: [peer('p1', { myASN: 0 }), pool('a'), adv('all')], path: 'spec.myASN' },
  { rule: 'myAsnRequired', why: 'legacy my-asn missing', valid: legacy(legacyOk), invalid: legacy(legacyOk.replace('  my-asn: 64512\n', '')), path: 'peers[0].my-asn' },
  { rule: 'peerAsnRequired', why: 'no peerASN, no dynamicASN', valid: base(), invalid: [peer('p1', { peerASN: undefined }), pool('a'), adv('all')], path: 'spec.peerASN' },
  { rule: 'peerAsnXorDynamicAsn', why: 'both peerASN and dynamicASN', valid: [peer('p1', { peerASN: undefined, dynamicASN: 'external' }), pool('a'), adv('all')], invalid: [peer('p1', { dynamicASN: 'external' }), pool('a'), adv('all')], path: 'spec.dynamicASN' },
  { rule: 'dynamicAsnInvalid', why: 'dynamicASN other', valid: [peer('p1', { peerASN: undefined, dynamicASN: 'internal' }), pool('a'), adv('all')], invalid: [peer('p1', { peerASN: undefined, dynamicASN: 'other' }), pool('a'), adv('all')], path: 'spec.dynamicASN' },
  { rule: 'ebgpMultiHopOnIbgp', why: 'ebgpMultiHop with peerASN == myASN', valid: [peer('p1', { ebgpMultiHop: true }), pool('a'), adv('all')], invalid: [peer('p1', { ebgpMultiHop: true, peerASN: 64512 }), pool('a'), adv('all')], path: 'spec.ebgpMultiHop' },
  { rule: 'peerAddressRequired', why: 'no peerAddress', valid: base(), invalid: [peer('p1', { peerAddress: undefined }), pool('a'), adv('all')], path: 'spec.peerAddress' },
  { rule: 'peerAddressAndInterface', why: 'peerAddress and interface', valid: base(), invalid: [peer('p1', { interface: 'eth0' }), pool('a'), adv('all')], path: 'spec.interface' },
  { rule: 'peerAddressInvalid', why: 'a host name', valid: [peer('p1', { peerAddress: 'fd00::1' }), pool('a'), adv('all')], invalid: [peer('p1', { peerAddress: 'router.example' }), pool('a'), adv('all')], path: 'spec.peerAddress' },
  { rule: 'sourceAddressInvalid', why: 'a bad source address', valid: [peer('p1', { sourceAddress: '10.0.0.2' }), pool('a'), adv('all')], invalid: [peer('p1', { sourceAddress: '10.0.0.256' }), pool('a'), adv('all')], path: 'spec.sourceAddress' },
  { rule: 'routerIdInvalid', why: 'an IPv6 router id', valid: [peer('p1', { routerID: '1.2.3.4' }), pool('a'), adv('all')], invalid: [peer('p1', { routerID: 'fd00::1' }), pool('a'), adv('all')], path: 'spec.routerID' },
  { rule: 'routerIdInvalid', why: 'router id 0.0.0.0', valid: [peer('p1', { routerID: '0.0.0.1' }), pool('a'), adv('all')], invalid: [peer('p1', { routerID: '0.0.0.0' }), pool('a'), adv('all')], path: 'spec.routerID' },
  { rule: 'peerPortRange', why: 'port above 16384', valid: [peer('p1', { peerPort: 1179 }), pool('a'), adv('all')], invalid: [peer('p1', { peerPort: 20000 }), pool('a'), adv('all')], path: 'spec.peerPort' },
  { rule: 'durationSyntax', why: 'a hold time without unit', valid: [peer('p1', { holdTime: '1m30s' }), pool('a'), adv('all')], invalid: [peer('p1', { holdTime: '90' }), pool('a'), adv('all')], path: 'spec.holdTime' },
  { rule: 'holdTimeRange', why: 'hold time 2s', valid: [peer('p1', { holdTime: '0s' }), pool('a'), adv('all')], invalid: [peer('p1', { holdTime: '2s' }), pool('a'), adv('all')], path: 'spec.holdTime' },
  { rule: 'holdTimeRange', why: 'keepalive 0.5s derives hold 1.5s', valid: [peer('p1', { keepaliveTime: '1s' }), pool('a'), adv('all')], invalid: [peer('p1', { keepaliveTime: '500ms' }), pool('a'), adv('all')], path: 'spec.keepaliveTime' },
  { rule: 'keepaliveRange', why: 'negative keepalive', valid: base(), invalid: [peer('p1', { holdTime: '90s', keepaliveTime: '-1s' }), pool('a'), adv('all')], path: 'spec.keepaliveTime' },
  { rule: 'keepaliveExceedsHold', why: 'keepalive above hold', valid: [peer('p1', { keepaliveTime: '40s' }), pool('a'), adv('all')], invalid: [peer('p1', { holdTime: '30s', keepaliveTime: '40s' }), pool('a'), adv('all')], path: 'spec.keepaliveTime' },
  { rule: 'keepaliveExceedsHold', why: 'legacy keepalive above the default hold', valid: legacy(legacyOk.replace('  my-asn: 64512\n', '  my-asn: 64512\n  keepalive-time: 60s\n')), invalid: legacy(legacyOk.replace('  my-asn: 64512\n', '  my-asn: 64512\n  keepalive-time: 100s\n')), path: 'peers[0].keepalive-time' },
  { rule: 'connectTimeRange', why: 'fractional connect time', valid: [peer('p1', { connectTime: '10s' }), pool('a'), adv('all')], invalid: [peer('p1', { connectTime: '1500ms' }), pool('a'), adv('all')], path: 'spec.connectTime' },
  { rule: 'connectTimeRange', why: 'connect time above 65535s', valid: base(), invalid: [peer('p1', { connectTime: '20h' }), pool('a'), adv('all')], path: 'spec.connectTime' },
  { rule: 'passwordXorSecret', why: 'password and passwordSecret', valid: [peer('p1', { password: 'x' }), pool('a'), adv('all')], invalid: [peer('p1', { password: 'x', passwordSecret: { name: 's' } }), pool('a'), adv('all'), secret('s', 'kubernetes.io/basic-auth', { password: 'y' })], path: 'spec.passwordSecret' },
  { rule: 'passwordSecretNotFound', why: 'a missing Secret', valid: base(peer('p2', { peerAddress: '10.0.0.2', passwordSecret: { name: 's' } }), secret('s', 'kubernetes.io/basic-auth', { password: 'y' })), invalid: base(peer('p2', { peerAddress: '10.0.0.2', passwordSecret: { name: 's' } })), object: 'BGPPeer/p2', path: 'spec.passwordSecret.name' },
  { rule: 'passwordSecretType', why: 'an Opaque Secret', valid: base(peer('p2', { peerAddress: '10.0.0.2', passwordSecret: { name: 's' } }), secret('s', 'kubernetes.io/basic-auth', { password: 'y' })), invalid: base(peer('p2', { peerAddress: '10.0.0.2', passwordSecret: { name: 's' } }), secret('s', 'Opaque', { password: 'y' })), path: 'spec.passwordSecret.name' },
  { rule: 'passwordSecretKey', why: 'no password key', valid: base(peer('p2', { peerAddress: '10.0.0.2', passwordSecret: { name: 's' } }), secret('s', 'kubernetes.io/basic-auth', { password: 'y' })), invalid: base(peer('p2', { peerAddress: '10.0.0.2', passwordSecret: { name: 's' } }), secret('s', 'kubernetes.io/basic-auth', { username: 'y' })), path: 'spec.passwordSecret.name' },
  { rule: 'bfdProfileNotFound', why: 'a missing BFD profile', valid: base(peer('p2', { peerAddress: '10.0.0.2', bfdProfile: 'fast' }), bfd('fast')), invalid: base(peer('p2', { peerAddress: '10.0.0.2', bfdProfile: 'fast' })), path: 'spec.bfdProfile' },
  { rule: 'duplicatePeer', why: 'two peers to one router from all nodes', valid: base(peer('p2', { peerAddress: '10.0.0.2' })), invalid: base(peer('p2', { holdTime: '30s' })), object: 'BGPPeer/p2', path: 'spec.peerAddress' },
  { rule: 'duplicatePeer', why: 'disjoint node selectors are fine, overlapping nodes are not', valid: [peer('p1', { nodeSelectors: [{ matchLabels: { rack: 'r1' } }] }), peer('p2', { myASN: 64600, nodeSelectors: [{ matchLabels: { rack: 'r2' } }] }), pool('a'), adv('all')], invalid: [peer('p1', { nodeSelectors: [{ matchLabels: { rack: 'r1' } }] }), peer('p2', { myASN: 64600, nodeSelectors: [{ matchLabels: { rack: 'r1' } }] }), pool('a'), adv('all')], path: 'spec.peerAddress' },
  { rule: 'unsupportedField', why: 'localASN', valid: base(), invalid: [peer('p1', { localASN: 65000 }), pool('a'), adv('all')], path: 'spec.localASN' },
  { rule: 'deprecatedField', why: 'disableMP', warning: true, valid: base(), invalid: [peer('p1', { disableMP: true }), pool('a'), adv('all')], path: 'spec.disableMP' },
  { rule: 'poolAddressesRequired', why: 'a pool with no addresses', valid: base(), invalid: [peer('p1'), pool('a', { addresses: [] }), adv('all')], path: 'spec.addresses' },
  { rule: 'poolAddressInvalid', why: 'not a CIDR', valid: [peer('p1'), pool('a', { addresses: ['10.1.0.5/24'] }), adv('all')], invalid: [peer('p1'), pool('a', { addresses: ['10.1.0.0/33'] }), adv('all')], path: 'spec.addresses[0]' },
  { rule: 'poolAddressInvalid', why: 'legacy path of a bad address', valid: legacy(legacyOk), invalid: legacy(legacyOk.replace('10.10.10.0/24', '10.10.10.0/24, nonsense')), object: 'ConfigMap/config', path: 'address-pools[0].addresses[1]' },
  { rule: 'poolRangeOrder', why: 'a reversed range', valid: [peer('p1'), pool('a', { addresses: ['10.1.0.1-10.1.0.9'] }), adv('all')], invalid: [peer('p1'), pool('a', { addresses: ['10.1.0.9-10.1.0.1'] }), adv('all')], path: 'spec.addresses[0]' },
  { rule: 'poolRangeFamilyMismatch', why: 'IPv4 to IPv6', valid: [peer('p1'), pool('a', { addresses: ['fd00::1-fd00::9'] }), adv('all')], invalid: [peer('p1'), pool('a', { addresses: ['10.1.0.1-fd00::9'] }), adv('all')], path: 'spec.addresses[0]' },
  { rule: 'cidrOverlap', why: 'across pools', valid: base(pool('b', { addresses: ['192.168.11.0/24'] })), invalid: base(pool('b', { addresses: ['192.168.10.128-192.168.10.200'] })), object: 'IPAddressPool/b', path: 'spec.addresses[0]' },
  { rule: 'cidrOverlap', why: 'inside one pool', valid: [peer('p1'), pool('a', { addresses: ['10.0.0.0/25', '10.0.0.128/25'] }), adv('all')], invalid: [peer('p1'), pool('a', { addresses: ['10.0.0.0/24', '10.0.0.128/25'] }), adv('all')], path: 'spec.addresses[1]' },
  { rule: 'aggregationLengthRange', why: 'aggregationLength 33', valid: [peer('p1'), pool('a'), adv('all', { aggregationLength: 24 })], invalid: [peer('p1'), pool('a'), adv('all', { aggregationLength: 33 })], path: 'spec.aggregationLength' },
  { rule: 'aggregationLengthRange', why: 'aggregationLengthV6 129', valid: [peer('p1'), pool('a'), adv('all', { aggregationLengthV6: 64 })], invalid: [peer('p1'), pool('a'), adv('all', { aggregationLengthV6: 129 })], path: 'spec.aggregationLengthV6' },
  { rule: 'aggregationVsPrefix', why: 'aggregating a /24 pool to /16', valid: [peer('p1'), pool('a'), adv('all', { aggregationLength: 24 })], invalid: [peer('p1'), pool('a'), adv('all', { aggregationLength: 16 })], path: 'spec.aggregationLength' },
  { rule: 'aggregationVsPrefix', why: 'an IPv6 pool /64 aggregated to /48', valid: [peer('p1'), pool('a', { addresses: ['fd00:1::/64'] }), adv('all', { aggregationLengthV6: 64 })], invalid: [peer('p1'), pool('a', { addresses: ['fd00:1::/64'] }), adv('all', { aggregationLengthV6: 48 })], path: 'spec.aggregationLengthV6' },
  { rule: 'aggregationVsPrefix', why: 'legacy', valid: legacy(legacyOk + '  bgp-advertisements:\n  - aggregation-length: 24\n'), invalid: legacy(legacyOk + '  bgp-advertisements:\n  - aggregation-length: 16\n'), path: 'address-pools[0].bgp-advertisements[0].aggregation-length' },
  { rule: 'localPrefConflict', why: 'two localPrefs, same pool, peers and nodes', valid: base(adv('x', { localPref: 0 })), invalid: base(adv('x', { localPref: 100 })), object: 'BGPAdvertisement/x', path: 'spec.localPref' },
  { rule: 'localPrefConflict', why: 'disjoint peer lists do not conflict', valid: [peer('p1'), peer('p2', { peerAddress: '10.0.0.2' }), pool('a'), adv('x', { peers: ['p1'], localPref: 10 }), adv('y', { peers: ['p2'], localPref: 20 })], invalid: [peer('p1'), peer('p2', { peerAddress: '10.0.0.2' }), pool('a'), adv('x', { peers: ['p1'], localPref: 10 }), adv('y', { peers: ['p1', 'p2'], localPref: 20 })], path: 'spec.localPref' },
  { rule: 'localPrefConflict', why: 'different aggregation lengths do not conflict', valid: base(adv('x', { localPref: 100, aggregationLength: 24 })), invalid: base(adv('x', { localPref: 100, aggregationLengthV6: 64 })), path: 'spec.localPref' },
  { rule: 'localPrefConflict', why: 'disjoint node sets (evaluated on Nodes) do not conflict', valid: [node('n1', { zone: 'a' }), node('n2', { zone: 'b' }), peer('p1'), pool('a'), adv('x', { nodeSelectors: [{ matchLabels: { zone: 'a' } }], localPref: 10 }), adv('y', { nodeSelectors: [{ matchLabels: { zone: 'b' } }], localPref: 20 })], invalid: [node('n1', { zone: 'a', rack: 'r' }), node('n2', { zone: 'b' }), peer('p1'), pool('a'), adv('x', { nodeSelectors: [{ matchLabels: { zone: 'a' } }], localPref: 10 }), adv('y', { nodeSelectors: [{ matchLabels: { rack: 'r' } }], localPref: 20 })], path: 'spec.localPref' },
  { rule: 'localPrefConflict', why: 'serviceSelectors skip the check', valid: base(adv('x', { localPref: 100, serviceSelectors: [{ matchLabels: { a: 'b' } }] })), invalid: base(adv('x', { localPref: 100 })), path: 'spec.localPref' },
  { rule: 'serviceSelectorsWithAggregation', why: 'serviceSelectors with aggregation 24', valid: base(adv('x', { aggregationLength: 32, serviceSelectors: [{ matchLabels: { a: 'b' } }] })), invalid: base(adv('x', { aggregationLength: 24, serviceSelectors: [{ matchLabels: { a: 'b' } }] })), path: 'spec.aggregationLength' },
  { rule: 'communityInvalid', why: 'a 17-bit half', valid: base(adv('x', { communities: ['65535:65281', 'large:1:2:3'] })), invalid: base(adv('x', { communities: ['65536:1'] })), path: 'spec.communities[0]' },
  { rule: 'communityInvalid', why: 'large with a bad marker', valid: base(adv('x', { communities: ['large:4294967295:0:1'] })), invalid: base(adv('x', { communities: ['huge:1:2:3'] })), path: 'spec.communities[0]' },
  { rule: 'communityInvalid', why: 'a bad alias value', valid: base(community('c', [{ name: 'no-export', value: '65535:65281' }])), invalid: base(community('c', [{ name: 'no-export', value: '65535' }])), object: 'Community/c', path: 'spec.communities[0].value' },
  { rule: 'unknownCommunityAlias', why: 'an undefined alias', valid: base(community('c', [{ name: 'no-export', value: '65535:65281' }]), adv('x', { communities: ['no-export'] })), invalid: base(adv('x', { communities: ['no-export'] })), path: 'spec.communities[0]' },
  { rule: 'duplicateCommunity', why: 'a community twice', valid: base(adv('x', { communities: ['1:1', '1:2'] })), invalid: base(adv('x', { communities: ['1:1', '1:1'] })), path: 'spec.communities[1]' },
  { rule: 'duplicateCommunityAlias', why: 'an alias in two Community objects', valid: base(community('c', [{ name: 'a', value: '1:1' }]), community('d', [{ name: 'b', value: '1:1' }])), invalid: base(community('c', [{ name: 'a', value: '1:1' }]), community('d', [{ name: 'a', value: '1:2' }])), object: 'Community/d', path: 'spec.communities[0]' },
  { rule: 'duplicateAdvertisement', why: 'a legacy advertisement twice', valid: legacy(legacyOk + '  bgp-advertisements:\n  - localpref: 1\n  - localpref: 1\n    aggregation-length: 24\n'), invalid: legacy(legacyOk + '  bgp-advertisements:\n  - localpref: 1\n  - localpref: 1\n'), path: 'address-pools[0].bgp-advertisements[1]' },
  { rule: 'unknownPool', why: 'an advertisement of a missing pool', warning: true, valid: base(adv('x', { ipAddressPools: ['a'] })), invalid: base(adv('x', { ipAddressPools: ['nope'] })), path: 'spec.ipAddressPools[0]' },
  { rule: 'unknownPeer', why: 'an advertisement to a missing peer', warning: true, valid: base(adv('x', { peers: ['p1'] })), invalid: base(adv('x', { peers: ['nope'] })), path: 'spec.peers[0]' },
  { rule: 'poolNotAdvertised', why: 'a pool no advertisement selects', warning: true, valid: [peer('p1'), pool('a', {}, { labels: { t: 'x' } }), adv('x', { ipAddressPoolSelectors: [{ matchLabels: { t: 'x' } }] })], invalid: [peer('p1'), pool('a', {}, { labels: { t: 'y' } }), adv('x', { ipAddressPoolSelectors: [{ matchLabels: { t: 'x' } }] })], object: 'IPAddressPool/a' },
  { rule: 'bfdRange', why: 'detectMultiplier 1', valid: base(bfd('b', { detectMultiplier: 2, receiveInterval: 10, minimumTtl: 254 })), invalid: base(bfd('b', { detectMultiplier: 1 })), object: 'BFDProfile/b', path: 'spec.detectMultiplier' },
  { rule: 'bfdRange', why: 'legacy transmit-interval 5', valid: legacy(legacyOk + 'bfd-profiles:\n- name: b\n  transmit-interval: 60000\n'), invalid: legacy(legacyOk + 'bfd-profiles:\n- name: b\n  transmit-interval: 5\n'), path: 'bfd-profiles[0].transmit-interval' },
  { rule: 'settingNotApplied', why: 'bfdProfile is not applied yet', warning: true, valid: base(bfd('b')), invalid: [peer('p1', { bfdProfile: 'b' }), bfd('b'), pool('a'), adv('all')], object: 'BGPPeer/p1', path: 'spec.bfdProfile' },
  { rule: 'passwordLength', why: 'a password over the kernel\'s 80 bytes', valid: [peer('p1', { password: 'x'.repeat(80) }), pool('a'), adv('all')], invalid: [peer('p1', { password: 'x'.repeat(81) }), pool('a'), adv('all')], object: 'BGPPeer/p1', path: 'spec.password' },
  { rule: 'unsupportedField', why: 'vrf (MetalLB native rejects it)', valid: base(), invalid: [peer('p1', { vrf: 'red' }), pool('a'), adv('all')], object: 'BGPPeer/p1', path: 'spec.vrf' },
  { rule: 'bfdEchoWithIpv6', why: 'echo mode with an IPv6 pool', valid: [peer('p1', { bfdProfile: 'e' }), bfd('e', { echoMode: true }), pool('a'), adv('all')], invalid: [peer('p1', { bfdProfile: 'e' }), bfd('e', { echoMode: true }), pool('a', { addresses: ['fd00::/120'] }), adv('all')], object: 'BGPAdvertisement/all' },
];

for (const row of rows) {
  test(`${row.rule}: ${row.why}`, () => {
    const ok = build(row.valid);
    assert.deepEqual(errorsOf(ok).map((e) => `${e.rule} ${e.object} ${e.path}`), [], 'the valid case has errors');
    assert.ok(!warningsOf(ok).some((w) => w.rule === row.rule), 'the valid case has the warning');
    const bad = build(row.invalid);
    const found = (row.warning ? warningsOf(bad) : errorsOf(bad)).filter((e) => e.rule === row.rule);
    assert.ok(found.length > 0, `expected ${row.rule}; got ${JSON.stringify((row.warning ? warningsOf(bad) : errorsOf(bad)).map((e) => [e.rule, e.path]))}`);
    if (row.warning) assert.equal(bad.ok, true, 'a warning alone must not fail the build');
    if (row.path !== undefined) assert.ok(found.some((e) => e.path === row.path), `path ${row.path} not in ${JSON.stringify(found.map((e) => e.path))}`);
    if (row.object !== undefined) assert.ok(found.some((e) => e.object === row.object), `object ${row.object} not in ${JSON.stringify(found.map((e) => e.object))}`);
  });
}

test('the table covers every rule', () => {
  // Tested where they arise: parse.test.ts and load.test.ts (manifests), convert.test.ts.
  const elsewhere = ['notAnObject', 'listItemNotAnObject', 'readFailed', 'nameNotConvertible'];
  const covered = new Set([...rows.map((r) => r.rule), ...elsewhere]);
  assert.deepEqual(RULES.filter((r) => !covered.has(r)), []);
});

test('holdTimeRange: above 65535s does not fit the OPEN message', () => {
  assert.equal(build([peer('p1', { holdTime: '65535s' }), pool('a'), adv('all')]).ok, true);
  assert.deepEqual(errorsOf(build([peer('p1', { holdTime: '65536s' }), pool('a'), adv('all')])).map((e) => e.rule), ['holdTimeRange']);
});

test('a password is never echoed in an issue', () => {
  const r = build([peer('p1', { password: 12345 }), pool('a'), adv('all')]);
  const e = errorsOf(r).find((i) => i.path === 'spec.password');
  assert.equal(e?.rule, 'invalidType');
  assert.equal(e?.value, undefined);
  assert.ok(!e?.message.includes('12345'));
});
