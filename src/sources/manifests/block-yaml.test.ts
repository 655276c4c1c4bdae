import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CORE_SCHEMA, load } from 'js-yaml';
import { readBlockDocument, readBlockEntry } from './block-yaml.js';

/** js-yaml's value of a document, or `'error'`. */
function jsYaml(text: string): unknown {
  try {
    return load(text, { schema: CORE_SCHEMA });
  } catch {
    return 'error';
  }
}

const SERVICE_ITEM = `- apiVersion: v1
  kind: Service
  metadata:
    annotations:
      metallb.io/loadBalancerIPs: 198.18.0.1
    creationTimestamp: "2026-11-20T08:00:00Z"
    labels:
      app: svc-0
    name: svc-0
    namespace: team-0
    resourceVersion: ""
    uid: 0c2b6a3e-1f2d-4a5b-8c9d-000000000000
  spec:
    clusterIP: 10.96.0.10
    externalTrafficPolicy: Cluster
    ipFamilies:
    - IPv4
    ports:
    - name: http
      port: 80
      protocol: TCP
      targetPort: 8080
    selector:
      app: svc-0
    type: LoadBalancer
  status:
    loadBalancer: {}
`;

const SLICE_ITEM = `- addressType: IPv4
  apiVersion: discovery.k8s.io/v1
  endpoints:
  - addresses:
    - 10.244.0.2
    conditions:
      ready: true
      serving: true
      terminating: false
    nodeName: node-116
  - addresses:
    - fd00::1
    conditions: {}
  kind: EndpointSlice
  metadata:
    labels:
      kubernetes.io/service-name: svc-0
    name: svc-0-abcde
    namespace: team-0
  ports:
  - name: http
    port: 8080
    protocol: TCP
`;

test('a kubectl List item reads as js-yaml reads it', () => {
  for (const item of [SERVICE_ITEM, SLICE_ITEM]) {
    const got = readBlockEntry(item, 0, item.length);
    assert.notEqual(got, undefined);
    assert.deepEqual(got, (jsYaml(`items:\n${item}`) as { items: unknown[] }).items[0]);
  }
});

test('an entry inside a larger text is read from its bounds only', () => {
  const text = `apiVersion: v1\nitems:\n${SERVICE_ITEM}${SLICE_ITEM}kind: List\n`;
  const start = text.indexOf('- addressType');
  const end = text.indexOf('kind: List\n', start);
  assert.deepEqual(readBlockEntry(text, start, end), (jsYaml(`items:\n${SLICE_ITEM}`) as { items: unknown[] }).items[0]);
});

test('plain scalars resolve as in the core schema, keys included', () => {
  const doc = ['---', 'a: 1', 'b: -2', 'c: 0x1F', 'd: 0o17', 'e: 1.5e3', 'f: .inf', 'g: ~', 'h: Null', 'i: TRUE', 'j: yes', 'k: 010', 'l: 1_000', 'm:', '80: http', 'true: x', 'n: "80"', "o: '~'", 'p: a:b', 'q: a#b', ''].join('\n');
  const got = readBlockDocument(doc, 0, doc.length);
  assert.notEqual(got, undefined);
  assert.deepEqual(got, jsYaml(doc));
});

test('kubectl sequences at the key column and nested entries', () => {
  const doc = ['a:', '- x', '- - y', '  - z', '- k: 1', '  l:', '  - 2', 'b:', '  c:', '  - d: e', '    f: []', ''].join('\n');
  assert.deepEqual(readBlockDocument(doc, 0, doc.length), jsYaml(doc));
});

test('text outside the subset is left to js-yaml', () => {
  const outside = [
    'a: &x 1\nb: *x\n', // anchors and aliases
    'a: !!str 1\n', // tags
    'a: |\n  text\n', // block scalar
    'a: b\n  c\n', // multi-line plain scalar
    'a: [1, 2]\n', // flow collection
    'a: "x\\ty"\n', // escape
    "a: 'it''s'\n", // quote escape
    'a: 1 # comment\n', // comment after content
    'a: 1\na: 2\n', // duplicate key (js-yaml reports it)
    '<<: {a: 1}\n', // merge key
    '__proto__: 1\n',
    '"a": 1\n', // quoted key
    'a: b: c\n', // error
    '--- a\n', // content on the marker line
    'a:\n    b: 1\n  c: 2\n', // bad indentation
    'just a scalar\n',
  ];
  for (const doc of outside) assert.equal(readBlockDocument(doc, 0, doc.length), undefined, doc);
});

test('empty and comment-only documents are null, as in js-yaml', () => {
  for (const doc of ['', '---\n', '# only a comment\n', '---\n\n# c\n']) assert.equal(readBlockDocument(doc, 0, doc.length), null);
});

/** A deterministic PRNG (mulberry32). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('fuzz: on mutated documents the reader gives js-yaml’s value or leaves the text to js-yaml', () => {
  const base = SERVICE_ITEM.replace(/^- /, '').replace(/\n {2}/g, '\n') + SLICE_ITEM.replace(/^- /, 'slice:\n- ');
  const alphabet = [' ', '  ', '\n', ':', ': ', '- ', '-', '#', ' #', '"', "'", '[', ']', '{}', '[]', '&a', '*a', '!', '|', '>', '?', ',', '~', '0', '1', '0x', '.', 'e', 'null', 'true', 'x', '%', '@', '`', '\\'];
  const rand = prng(20261203);
  let read = 0;
  for (let n = 0; n < 20_000; n++) {
    let text = base;
    const edits = 1 + Math.floor(rand() * 3);
    for (let k = 0; k < edits; k++) {
      const at = Math.floor(rand() * text.length);
      const r = rand();
      const piece = alphabet[Math.floor(rand() * alphabet.length)] ?? '';
      if (r < 0.4) text = text.slice(0, at) + piece + text.slice(at);
      else if (r < 0.7) text = text.slice(0, at) + text.slice(at + 1 + Math.floor(rand() * 4));
      else text = text.slice(0, at) + piece + text.slice(at + piece.length);
    }
    const got = readBlockDocument(text, 0, text.length);
    if (got === undefined) continue;
    read++;
    assert.deepEqual(got, jsYaml(text), text);
  }
  assert.ok(read > 1000, `only ${read} mutated documents stayed inside the subset`);
});
