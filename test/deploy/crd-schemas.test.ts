/**
 * Our CRD schemas (config/crd, as rendered into config/manifests/metallb-ts.yaml) against the objects
 * they must accept and reject, through the API server double's schema module
 * (test/kube-apiserver/schema.ts: pruning, defaulting and validation as the real API server applies a
 * CRD's structural schema; CEL rules are not evaluated there):
 * - every metallb.io object of our examples and config testdata that our configuration accepts;
 * - every object of MetalLB's documentation examples (testdata/metallb-docs);
 * - defaulting by the schema changes no configuration, and pruning drops no field we read;
 * - BGPPeer v1beta1 objects stored as v1beta2 (conversion strategy None) mean the same;
 * - wrong objects are rejected, naming the field.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { structuralErrors, validateCustomObject } from '../kube-apiserver/schema.js';
import type { CrdLike, Schema } from '../kube-apiserver/schema.js';
import type { Json } from '../kube-apiserver/patch.js';
import { parseManifests } from '../../src/sources/manifests/parse.js';
import { configFromManifests } from '../../src/config/from-manifests.js';
import { buildConfig } from '../../src/config/build.js';
import { resourcesFromObjects } from '../../src/config/decode.js';
import { REPO, renderedObjects, type K8sObject } from './manifests.js';

interface Crd extends CrdLike {
  readonly metadata: { readonly name: string };
  readonly spec: { readonly group: string; readonly names: { readonly kind: string }; readonly versions: { readonly name: string; readonly schema: { readonly openAPIV3Schema: Schema } }[] };
}

const CRDS: readonly Crd[] = renderedObjects().filter((o) => o.kind === 'CustomResourceDefinition') as unknown as Crd[];

function crdFor(o: { apiVersion?: unknown; kind?: unknown }): Crd | undefined {
  const group = typeof o.apiVersion === 'string' ? o.apiVersion.split('/')[0] : undefined;
  return CRDS.find((c) => c.spec.group === group && c.spec.names.kind === o.kind);
}

interface CrdVersion {
  readonly name: string;
  readonly subresources?: { readonly status?: object };
}

/**
 * What the API server would say on writing `o`: the errors (`field: detail`), the pruned fields, the
 * stored object. A create or update of the main resource of a kind with a status subresource drops
 * `status` first (the API server ignores it there); `via: 'status'` is a write to the subresource,
 * which validates the status as given.
 */
function apply(o: K8sObject, via: 'main' | 'status' = 'main'): { errors: string[]; pruned: string[]; value: K8sObject } {
  const crd = crdFor(o);
  assert.ok(crd, `no CRD for ${o.apiVersion} ${o.kind}`);
  const version = (crd.spec.versions as readonly CrdVersion[]).find((v) => `${crd.spec.group}/${v.name}` === o.apiVersion);
  let written: Record<string, unknown> = o;
  if (via === 'main' && version?.subresources?.status !== undefined) {
    const { status: _ignored, ...rest } = o;
    written = rest;
  }
  const r = validateCustomObject(crd, written as Json);
  return { errors: r.errors.map((e) => `${e.field}: ${e.detail}`), pruned: r.unknownFields, value: r.value as unknown as K8sObject };
}

const isMetallb = (o: { apiVersion?: unknown }): boolean => typeof o.apiVersion === 'string' && o.apiVersion.startsWith('metallb.io/');

/** The objects of a manifest file, as our manifest reader reads them (Lists flattened). */
function objectsOf(path: string): { set: ReturnType<typeof parseManifests>; objects: K8sObject[] } {
  const set = parseManifests(readFileSync(join(REPO, path), 'utf8'), path);
  return { set, objects: set.objects.map((m) => m.object as K8sObject) };
}

/** The configuration a set of objects builds, without its warnings' file positions. */
function configOf(objects: readonly K8sObject[]): unknown {
  const r = buildConfig(resourcesFromObjects(objects.map((object) => ({ object }))));
  return r.ok ? { ...r.config, warnings: r.config.warnings.map((w) => [w.object, w.path, w.rule]) } : { errors: r.errors.map((e) => [e.object, e.path, e.rule]) };
}

/** Every file must be accepted whole, with no field pruned, and defaulting must not change the configuration it builds. */
function checkAcceptedFile(path: string, objects: readonly K8sObject[]): number {
  let n = 0;
  const stored: K8sObject[] = [];
  for (const o of objects) {
    if (!isMetallb(o)) {
      stored.push(o);
      continue;
    }
    const r = apply(o);
    const name = `${path}: ${o.kind}/${o.metadata.name}`;
    assert.deepEqual(r.errors, [], name);
    assert.deepEqual(r.pruned, [], `${name}: the schema would drop fields our configuration reads`);
    stored.push(r.value);
    n++;
  }
  assert.deepEqual(configOf(stored), configOf(objects), `${path}: the schema's defaults change the configuration`);
  return n;
}

test('every CRD schema is structural, every version of every CRD', () => {
  assert.equal(CRDS.length, 10);
  for (const crd of CRDS) {
    for (const [i, v] of crd.spec.versions.entries()) {
      assert.deepEqual(structuralErrors(v.schema.openAPIV3Schema, `spec.versions[${i}].schema.openAPIV3Schema`), [], `${crd.metadata.name} ${v.name}`);
    }
  }
});

/** Our examples and config testdata holding metallb.io objects (several-mistakes.yaml is wrong on purpose). */
const OUR_FILES = [
  'examples/config/crds.yaml',
  'src/cli/testdata/plan/crds/pools.yaml',
  'src/routerconfig/testdata/rich-manifests/metallb.yaml',
  ...readdirSync(join(REPO, 'src/config/testdata/convert'))
    .filter((f) => f.endsWith('.golden.yaml'))
    .map((f) => `src/config/testdata/convert/${f}`),
];

test('every metallb.io object of our examples and config testdata that our configuration accepts validates against our CRDs', () => {
  let accepted = 0;
  let objects = 0;
  for (const path of OUR_FILES) {
    const { set, objects: all } = objectsOf(path);
    if (!configFromManifests(set).ok) continue;
    accepted++;
    objects += checkAcceptedFile(path, all);
  }
  assert.ok(accepted >= 8, `found the accepted files (${accepted})`);
  assert.ok(objects >= 30, `checked their objects (${objects})`);
});

const DOCS = 'test/deploy/testdata/metallb-docs';

test("MetalLB's documentation examples validate against our CRDs, and those our configuration accepts build the same configuration once stored", () => {
  const files = readdirSync(join(REPO, DOCS)).filter((f) => f.endsWith('.yaml'));
  assert.ok(files.length >= 9, 'found the documentation examples');
  const kinds = new Set<string>();
  for (const f of files) {
    const path = `${DOCS}/${f}`;
    const text = readFileSync(join(REPO, path), 'utf8');
    const marker = /^# config: (accepted|schema-only)/.exec(text)?.[1];
    assert.ok(marker, `${path} says whether our configuration accepts it`);
    const { set, objects } = objectsOf(path);
    const built = configFromManifests(set);
    if (marker === 'accepted') {
      assert.ok(built.ok, `${path}: ${JSON.stringify(built.ok ? [] : built.errors.map((e) => e.message))}`);
      checkAcceptedFile(path, objects);
    } else {
      for (const o of objects.filter(isMetallb)) {
        const r = apply(o);
        assert.deepEqual([r.errors, r.pruned], [[], []], `${path}: ${o.kind}/${o.metadata.name}`);
      }
    }
    for (const o of objects.filter(isMetallb)) kinds.add(`${o.apiVersion} ${o.kind}`);
  }
  assert.deepEqual([...kinds].sort(), [
    'metallb.io/v1beta1 BFDProfile',
    'metallb.io/v1beta1 BGPAdvertisement',
    'metallb.io/v1beta1 BGPPeer',
    'metallb.io/v1beta1 Community',
    'metallb.io/v1beta1 IPAddressPool',
    'metallb.io/v1beta1 L2Advertisement',
    'metallb.io/v1beta2 BGPPeer',
  ]);
});

test('a BGPPeer written as v1beta1 and read as v1beta2 (conversion strategy None: only apiVersion changes) is valid and configures the same peer', () => {
  const { objects } = objectsOf(`${DOCS}/deprecated-v1beta1-peer.yaml`);
  const v1 = objects.find((o) => o.kind === 'BGPPeer');
  assert.ok(v1 && v1.apiVersion === 'metallb.io/v1beta1');
  const written = apply(v1);
  assert.deepEqual([written.errors, written.pruned], [[], []]);
  const asV2 = { ...written.value, apiVersion: 'metallb.io/v1beta2' };
  const read = apply(asV2);
  assert.deepEqual([read.errors, read.pruned], [[], []]);
  const others = objects.filter((o) => o.kind !== 'BGPPeer');
  assert.deepEqual(configOf([read.value, ...others]), configOf(objects));
});

/** `o` must be rejected on `field` (written through the status subresource when it has a status). */
function rejects(o: K8sObject, field: string): void {
  const r = apply(o, 'status' in o ? 'status' : 'main');
  assert.ok(r.errors.some((e) => e.startsWith(`${field}:`)), `${o.kind} rejected on ${field}: got ${JSON.stringify(r.errors)}`);
}

const obj = (apiVersion: string, kind: string, rest: Record<string, unknown>): K8sObject =>
  ({ apiVersion, kind, metadata: { name: 'x', namespace: 'metallb-system' }, ...rest }) as K8sObject;

test('wrong objects are rejected, naming the field', () => {
  rejects(obj('metallb.io/v1beta2', 'BGPPeer', { spec: { myASN: '64512', peerASN: 1, peerAddress: '10.0.0.1' } }), 'spec.myASN');
  rejects(obj('metallb.io/v1beta2', 'BGPPeer', { spec: { myASN: 1, peerASN: 4294967296, peerAddress: '10.0.0.1' } }), 'spec.peerASN');
  rejects(obj('metallb.io/v1beta2', 'BGPPeer', { spec: { peerASN: 1, peerAddress: '10.0.0.1' } }), 'spec.myASN');
  rejects(obj('metallb.io/v1beta2', 'BGPPeer', { spec: { myASN: 1, dynamicASN: 'sideways', peerAddress: '10.0.0.1' } }), 'spec.dynamicASN');
  rejects(obj('metallb.io/v1beta2', 'BGPPeer', { spec: { myASN: 1, peerASN: 2, peerAddress: '10.0.0.1', peerPort: 0 } }), 'spec.peerPort');
  rejects(obj('metallb.io/v1beta2', 'BGPPeer', { spec: { myASN: 1, peerASN: 2, peerAddress: '10.0.0.1', peerPort: 16385 } }), 'spec.peerPort');
  rejects(obj('metallb.io/v1beta1', 'BGPPeer', { spec: { myASN: 1, peerASN: 2 } }), 'spec.peerAddress');
  rejects(obj('metallb.io/v1beta1', 'IPAddressPool', { spec: { addresses: [] } }), 'spec.addresses');
  rejects(obj('metallb.io/v1beta1', 'IPAddressPool', {}), 'spec');
  rejects(obj('metallb.io/v1beta1', 'IPAddressPool', { spec: { addresses: ['10.0.0.0/24'], autoAssign: 'yes' } }), 'spec.autoAssign');
  rejects(obj('metallb.io/v1beta1', 'BGPAdvertisement', { spec: { aggregationLength: 0 } }), 'spec.aggregationLength');
  rejects(obj('metallb.io/v1beta1', 'BGPAdvertisement', { spec: { localPref: -1 } }), 'spec.localPref');
  rejects(obj('metallb.io/v1beta1', 'BGPAdvertisement', { spec: { nodeSelectors: [{ matchExpressions: [{ key: 'k' }] }] } }), 'spec.nodeSelectors[0].matchExpressions[0].operator');
  rejects(obj('metallb.io/v1beta1', 'BFDProfile', { spec: { detectMultiplier: 1 } }), 'spec.detectMultiplier');
  rejects(obj('metallb.io/v1beta1', 'BFDProfile', { spec: { receiveInterval: 60001 } }), 'spec.receiveInterval');
  rejects(obj('metallb.io/v1beta1', 'Community', { spec: { communities: [{ name: 'a', value: 1 }] } }), 'spec.communities[0].value');
  rejects(obj('metallb.io/v1beta1', 'BGPSessionState', { status: { bgpStatus: 'Up' } }), 'status.bgpStatus');
  rejects(obj('metallb.io/v1beta1', 'BGPSessionState', { status: { prefixesSent: -1 } }), 'status.prefixesSent');
  rejects(obj('metallb.io/v1beta1', 'BGPSessionState', { status: { establishedSince: 'yesterday' } }), 'status.establishedSince');
  rejects(obj('metallb.io/v1beta1', 'ConfigurationState', { status: { result: 'Fine' } }), 'status.result');
  rejects(obj('metallb.io/v1beta1', 'IPAddressPool', { spec: { addresses: ['10.0.0.0/24'] }, status: { assignedIPv4: 1 } }), 'status.assignedIPv6');
});

test('the status objects the components write are accepted as the contract shapes them', () => {
  const ok = (o: K8sObject): void => {
    const r = apply(o, 'status');
    assert.deepEqual([r.errors, r.pruned], [[], []], o.kind);
  };
  ok(obj('metallb.io/v1beta1', 'BGPSessionState', {
    metadata: { name: 'node-a-10-0-0-1', namespace: 'metallb-system', labels: { 'metallb.io/node': 'node-a', 'metallb.io/peer': '10.0.0.1' } },
    spec: {},
    status: { node: 'node-a', peer: '10.0.0.1', bgpStatus: 'Established', bfdStatus: 'N/A', establishedSince: '2026-12-03T19:00:00Z', prefixesSent: 12 },
  }));
  ok(obj('metallb.io/v1beta1', 'BGPSessionState', { status: { node: 'node-a', peer: 'fd00::1', vrf: 'red', bgpStatus: 'Active', bfdStatus: 'N/A', prefixesSent: 0, lastError: 'connection refused' } }));
  ok(obj('metallb.io/v1beta1', 'ServiceBGPStatus', { spec: {}, status: { node: 'node-a', serviceName: 's', serviceNamespace: 'default', peers: ['peer1'] } }));
  ok(obj('metallb.io/v1beta1', 'ConfigurationState', {
    status: {
      result: 'Invalid',
      errorSummary: 'BGPPeer/p: spec.myASN: ...',
      conditions: [{ type: 'ConfigurationValid', status: 'False', reason: 'ConfigurationError', message: 'x', lastTransitionTime: '2026-12-03T19:00:00Z', observedGeneration: 1 }],
    },
  }));
  ok(obj('metallb.io/v1beta1', 'IPAddressPool', { spec: { addresses: ['10.0.0.0/24'] }, status: { assignedIPv4: 1, assignedIPv6: 0, availableIPv4: 255, availableIPv6: 0 } }));
});
