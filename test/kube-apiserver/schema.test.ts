/**
 * The structural schema module on its own (what kdeploy uses to check example objects against our
 * CRDs): pruning, defaulting, each validation keyword with the real server's field paths and
 * messages, and the structural check of a CRD's schema. Plus the selectors and patches it sits with.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Schema } from './schema.js';
import { applySchema, structuralErrors, validateCustomObject } from './schema.js';
import { jsonPatch, mergePatch, strategicMergePatch, STRATEGIES } from './patch.js';
import { matchesLabels, parseLabelSelector } from './selectors.js';
import type { Json } from './patch.js';

const POOL: Schema = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      required: ['addresses'],
      properties: {
        addresses: { type: 'array', minItems: 1, maxItems: 3, items: { type: 'string' } },
        autoAssign: { type: 'boolean', default: true },
        mode: { type: 'string', enum: ['a', 'b'] },
        port: { type: 'integer', minimum: 1, maximum: 65535, format: 'int32' },
        name: { type: 'string', pattern: '^[a-z]+$', maxLength: 5 },
        nodeSelectors: { type: 'array', items: { type: 'object', properties: { matchLabels: { type: 'object', additionalProperties: { type: 'string' } } } } },
        holdTime: { 'x-kubernetes-int-or-string': true },
        free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
        maybe: { type: 'string', nullable: true },
        address: { type: 'string', format: 'ipv4' },
      },
    },
  },
};

function fields(obj: Json): string[] {
  return applySchema(obj, POOL).errors.map((e) => e.field);
}

test('schema: a valid object passes, is defaulted, and unknown fields are pruned and reported', () => {
  const r = applySchema({ apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name: 'x', labels: { a: 'b' } }, spec: { addresses: ['10.0.0.0/24'], extra: 1, free: { any: { thing: 1 } }, nodeSelectors: [{ matchLabels: { k: 'v' }, odd: true }] } }, POOL);
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.unknownFields, ['spec.extra', 'spec.nodeSelectors[0].odd']);
  assert.deepEqual(r.value, {
    apiVersion: 'metallb.io/v1beta1',
    kind: 'IPAddressPool',
    metadata: { name: 'x', labels: { a: 'b' } },
    spec: { addresses: ['10.0.0.0/24'], free: { any: { thing: 1 } }, nodeSelectors: [{ matchLabels: { k: 'v' } }], autoAssign: true },
  });
});

test('schema: each keyword fails with the field named', () => {
  assert.deepEqual(fields({ spec: {} }), ['spec.addresses']);
  assert.deepEqual(fields({ spec: { addresses: 'x' } }), ['spec.addresses']);
  assert.deepEqual(fields({ spec: { addresses: [] } }), ['spec.addresses']);
  assert.deepEqual(fields({ spec: { addresses: ['a', 'b', 'c', 'd'] } }), ['spec.addresses']);
  assert.deepEqual(fields({ spec: { addresses: [1] } }), ['spec.addresses[0]']);
  assert.deepEqual(fields({ spec: { addresses: ['a'], mode: 'c' } }), ['spec.mode']);
  assert.deepEqual(fields({ spec: { addresses: ['a'], port: 0 } }), ['spec.port']);
  assert.deepEqual(fields({ spec: { addresses: ['a'], port: 1.5 } }), ['spec.port']);
  assert.deepEqual(fields({ spec: { addresses: ['a'], name: 'ABC' } }), ['spec.name']);
  assert.deepEqual(fields({ spec: { addresses: ['a'], name: 'abcdef' } }), ['spec.name']);
  assert.deepEqual(fields({ spec: { addresses: ['a'], nodeSelectors: [{ matchLabels: { k: 1 } }] } }), ['spec.nodeSelectors[0].matchLabels[k]']);
  assert.deepEqual(fields({ spec: { addresses: ['a'], holdTime: '90s' } }), []);
  assert.deepEqual(fields({ spec: { addresses: ['a'], holdTime: 90 } }), []);
  assert.deepEqual(fields({ spec: { addresses: ['a'], holdTime: true } }), ['spec.holdTime']);
  assert.deepEqual(fields({ spec: { addresses: ['a'], maybe: null } }), []);
  assert.deepEqual(fields({ spec: { addresses: ['a'], address: '10.0.0.300' } }), ['spec.address']);
  const r = applySchema({ spec: { addresses: ['a'], mode: 'c' } }, POOL);
  assert.equal(r.errors[0]?.detail, 'Unsupported value: "c": supported values: "a", "b"');
  const t = applySchema({ spec: { addresses: 'x' } }, POOL);
  assert.equal(t.errors[0]?.detail, 'Invalid value: "string": spec.addresses in body must be of type array: "string"');
  assert.equal(applySchema({ spec: {} }, POOL).errors[0]?.detail, 'Required value');
});

test('schema: structural check of a CRD schema', () => {
  assert.deepEqual(structuralErrors({ type: 'object', properties: { spec: { type: 'object' } } }, 'x'), []);
  assert.deepEqual(structuralErrors({ properties: {} }, 'x').map((e) => e.field), ['x.type', 'x.type']);
  assert.deepEqual(structuralErrors({ type: 'object', properties: { a: { properties: {} } } }, 'x').map((e) => e.field), ['x.properties[a].type']);
  assert.deepEqual(structuralErrors({ type: 'object', properties: { a: { type: 'array' } } }, 'x').map((e) => e.field), ['x.properties[a].items']);
});

test('schema: validateCustomObject picks the CRD version from apiVersion and refuses a wrong kind', () => {
  const crd = { spec: { group: 'metallb.io', names: { kind: 'IPAddressPool' }, versions: [{ name: 'v1beta1', schema: { openAPIV3Schema: POOL } }] } };
  assert.deepEqual(validateCustomObject(crd, { apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name: 'a' }, spec: { addresses: ['x'] } }).errors, []);
  assert.deepEqual(validateCustomObject(crd, { apiVersion: 'metallb.io/v1', kind: 'IPAddressPool' }).errors.map((e) => e.field), ['apiVersion']);
  assert.deepEqual(validateCustomObject(crd, { apiVersion: 'metallb.io/v1beta1', kind: 'BGPPeer' }).errors.map((e) => e.field), ['kind']);
});

test('selectors: set-based and equality requirements', () => {
  const s = parseLabelSelector('app in (a,b),!legacy,tier!=db,env');
  assert.equal(matchesLabels(s, { app: 'a', env: 'x' }), true);
  assert.equal(matchesLabels(s, { app: 'c', env: 'x' }), false);
  assert.equal(matchesLabels(s, { app: 'a', env: 'x', legacy: '1' }), false);
  assert.equal(matchesLabels(s, { app: 'a', env: 'x', tier: 'db' }), false);
  assert.equal(matchesLabels(s, { app: 'a' }), false);
  assert.throws(() => parseLabelSelector('a=b=c'));
});

test('patches: RFC 7386 merge, RFC 6902 JSON patch, strategic merge by key with $patch: delete and primitive lists', () => {
  assert.deepEqual(mergePatch({ a: { b: 1, c: 2 }, l: [1, 2] }, { a: { b: null, d: 3 }, l: [3] }), { a: { c: 2, d: 3 }, l: [3] });
  assert.deepEqual(jsonPatch({ a: [1, 2] }, [{ op: 'add', path: '/a/-', value: 3 }, { op: 'remove', path: '/a/0' }, { op: 'copy', from: '/a', path: '/b' }]), { a: [2, 3], b: [2, 3] });
  assert.throws(() => jsonPatch({ a: 1 }, [{ op: 'replace', path: '/nope', value: 1 }]));
  const svc = { metadata: { finalizers: ['a'] }, spec: { ports: [{ port: 80, name: 'a' }, { port: 81, name: 'b' }] } };
  const out = strategicMergePatch(svc, { metadata: { finalizers: ['b'] }, spec: { ports: [{ port: 81, targetPort: 9 }, { port: 80, $patch: 'delete' }, { port: 82 }] } }, STRATEGIES['Service'] ?? new Map());
  assert.deepEqual(out, { metadata: { finalizers: ['a', 'b'] }, spec: { ports: [{ port: 81, name: 'b', targetPort: 9 }, { port: 82 }] } });
  const repl = strategicMergePatch(svc, { spec: { $patch: 'replace', ports: [] } }, STRATEGIES['Service'] ?? new Map());
  assert.deepEqual(repl, { metadata: { finalizers: ['a'] }, spec: { ports: [] } });
});
