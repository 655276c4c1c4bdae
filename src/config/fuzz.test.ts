/**
 * Fuzzing the whole configuration pipeline (text -> manifests -> resources -> buildConfig -> convert):
 * random and mutated documents must only ever produce configuration issues, never an exception.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { parseManifests } from '../sources/manifests/parse.js';
import { configFromManifests } from './from-manifests.js';
import { resourcesFromObjects } from './decode.js';
import { buildConfig } from './build.js';
import { convertLegacyConfigMap } from './convert.js';
import { diffConfig } from './diff.js';
import type { BuildResult } from './build.js';

const SEEDS = [
  `apiVersion: v1
kind: ConfigMap
metadata: {namespace: metallb-system, name: config}
data:
  config: |
    peers:
    - peer-address: 10.10.10.1
      peer-asn: 64512
      my-asn: 64512
      hold-time: 120s
      node-selectors:
      - match-labels: {a: b}
        match-expressions: [{key: k, operator: In, values: [x]}]
    bgp-communities: {no-export: "65535:65281"}
    bfd-profiles: [{name: b, receive-interval: 300, echo-mode: true}]
    address-pools:
    - name: default
      protocol: bgp
      addresses: [10.10.10.10-10.10.10.98, "fd00::/120"]
      bgp-advertisements: [{aggregation-length: 32, localpref: 100, communities: [no-export, "1:1"]}]
`,
  `apiVersion: metallb.io/v1beta2
kind: BGPPeer
metadata: {name: p, namespace: metallb-system}
spec: {myASN: 64512, peerASN: 64513, peerAddress: 10.0.0.1, holdTime: 90s, keepaliveTime: 30s, passwordSecret: {name: s}, bfdProfile: b}
---
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: a, namespace: metallb-system, labels: {t: x}}
spec: {addresses: [192.168.0.0/24], serviceAllocation: {priority: 1, namespaces: [n]}}
---
apiVersion: metallb.io/v1beta1
kind: BGPAdvertisement
metadata: {name: x, namespace: metallb-system}
spec: {ipAddressPoolSelectors: [{matchLabels: {t: x}}], communities: ["large:1:2:3"], peers: [p], localPref: 5}
---
apiVersion: metallb.io/v1beta1
kind: BFDProfile
metadata: {name: b}
spec: {detectMultiplier: 3}
---
apiVersion: v1
kind: Secret
metadata: {name: s, namespace: metallb-system}
type: kubernetes.io/basic-auth
data: {password: cGFzcw==}
---
apiVersion: v1
kind: List
items:
- apiVersion: metallb.io/v1beta1
  kind: Community
  metadata: {name: c}
  spec: {communities: [{name: a, value: "1:1"}]}
`,
];

function checkResult(r: BuildResult): void {
  const issues = r.ok ? r.config.warnings : [...r.errors, ...r.warnings];
  for (const i of issues) {
    assert.ok(i.severity === 'error' || i.severity === 'warning');
    assert.equal(typeof i.rule, 'string');
    assert.equal(typeof i.object, 'string');
    assert.equal(typeof i.path, 'string');
    assert.equal(typeof i.message, 'string');
  }
  if (!r.ok) assert.ok(r.errors.length > 0);
}

function pipeline(text: string): void {
  const set = parseManifests(text, 'fuzz.yaml');
  const r = configFromManifests(set);
  checkResult(r);
  if (r.ok) diffConfig(r.config, r.config);
  for (const o of set.objects) {
    if (o.object.kind === 'ConfigMap') {
      const c = convertLegacyConfigMap(o);
      if (c.ok) checkResult(buildConfig(resourcesFromObjects(c.objects.map((object) => ({ object })))));
    }
  }
}

test('the seeds themselves are valid (so mutations start from meaningful input)', () => {
  for (const s of SEEDS) {
    const r = configFromManifests(parseManifests(s, 'seed.yaml'));
    assert.ok(r.ok, JSON.stringify(r.ok ? [] : r.errors));
  }
});

test('mutated YAML documents never throw', () => {
  const mutation = fc.record({
    seed: fc.constantFrom(...SEEDS),
    edits: fc.array(
      fc.record({
        at: fc.nat(),
        del: fc.nat({ max: 8 }),
        ins: fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom(':', '- ', '\n', '  ', '"', '[', '{', '}', '0', '-1', '999999999999', 'x:y', '/', '::', '&a', '*a', '!!int', '|')),
      }),
      { minLength: 1, maxLength: 4 },
    ),
  });
  fc.assert(
    fc.property(mutation, ({ seed, edits }) => {
      let text = seed;
      for (const e of edits) {
        const at = e.at % (text.length + 1);
        text = text.slice(0, at) + e.ins + text.slice(at + e.del);
      }
      pipeline(text);
    }),
    { numRuns: 1000 },
  );
});

test('random text never throws', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 200 }), (text) => pipeline(text)),
    { numRuns: 500 },
  );
});

const fieldNames = [
  'myASN', 'peerASN', 'peerAddress', 'holdTime', 'keepaliveTime', 'connectTime', 'nodeSelectors', 'password', 'passwordSecret',
  'dynamicASN', 'addresses', 'autoAssign', 'serviceAllocation', 'aggregationLength', 'aggregationLengthV6', 'localPref',
  'communities', 'ipAddressPools', 'ipAddressPoolSelectors', 'peers', 'serviceSelectors', 'detectMultiplier', 'echoMode',
  'routerID', 'peerPort', 'bfdProfile', 'ebgpMultiHop', 'sourceAddress', 'matchLabels', 'matchExpressions',
];
const legacyNames = [
  'peers', 'address-pools', 'bgp-communities', 'bfd-profiles', 'peer-address', 'peer-asn', 'my-asn', 'hold-time',
  'keepalive-time', 'name', 'protocol', 'addresses', 'bgp-advertisements', 'aggregation-length', 'localpref', 'communities',
  'node-selectors', 'match-labels', 'match-expressions', 'bfd-profile', 'receive-interval', 'echo-mode', 'auto-assign',
];

const value = (keys: string[]): fc.Arbitrary<unknown> =>
  fc.letrec<{ v: unknown }>((tie) => ({
    v: fc.oneof(
      { depthSize: 'small' },
      fc.constantFrom('10.0.0.1', 'fd00::1', '10.0.0.0/24', '10.0.0.1-10.0.0.9', '90s', '1:1', 'large:1:2:3', 'bgp', 'layer2', 'In', 'x', '', 0, 1, 32, 128, 64512, -1, 4294967296, 1.5, true, false, null),
      fc.anything({ maxDepth: 1 }),
      fc.array(tie('v'), { maxLength: 3 }),
      fc.dictionary(fc.constantFrom(...keys), tie('v'), { maxKeys: 4 }),
    ),
  })).v;

test('random configuration objects never throw', () => {
  const crd = fc.record({
    apiVersion: fc.constantFrom('metallb.io/v1beta1', 'metallb.io/v1beta2'),
    kind: fc.constantFrom('BGPPeer', 'IPAddressPool', 'BGPAdvertisement', 'Community', 'BFDProfile', 'L2Advertisement'),
    metadata: fc.oneof(fc.record({ name: fc.constantFrom('a', 'b', 'p'), namespace: fc.constantFrom('metallb-system', 'x') }), value(['name', 'labels'])),
    spec: fc.oneof(fc.dictionary(fc.constantFrom(...fieldNames), value(fieldNames), { maxKeys: 8 }), value(fieldNames)),
  });
  const legacy = fc.dictionary(fc.constantFrom(...legacyNames), value(legacyNames), { maxKeys: 5 }).map((cfg) => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'config', namespace: 'metallb-system' },
    data: { config: stringify(cfg) },
  }));
  fc.assert(
    fc.property(fc.array(fc.oneof(crd, legacy), { maxLength: 6 }), (objects) => {
      const r = buildConfig(resourcesFromObjects(objects.map((object) => ({ object: object as Record<string, unknown> }))));
      checkResult(r);
      for (const o of objects) if (o.kind === 'ConfigMap') convertLegacyConfigMap({ object: o as Record<string, unknown> });
    }),
    { numRuns: 1000 },
  );
});
