import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseEmbeddedYaml, parseManifests } from './parse.js';

test('multi-document file: objects with the line of their start', () => {
  const text = ['apiVersion: v1', 'kind: Service', 'metadata:', '  name: a', '---', '# comment', 'apiVersion: v1', 'kind: Node', 'metadata:', '  name: n1', ''].join('\n');
  const set = parseManifests(text, 'x.yaml');
  assert.deepEqual(set.errors, []);
  assert.equal(set.objects.length, 2);
  assert.equal(set.objects[0]?.object.kind, 'Service');
  assert.deepEqual(set.objects[0]?.origin, { file: 'x.yaml', line: 1, document: 0 });
  assert.equal(set.objects[1]?.object.kind, 'Node');
  assert.equal(set.objects[1]?.origin.line, 7);
  assert.equal(set.objects[1]?.lineOf(['metadata', 'name']), 10);
});

test('kind: List is expanded, each item with its own line', () => {
  const text = ['apiVersion: v1', 'kind: List', 'items:', '- apiVersion: v1', '  kind: Node', '  metadata: {name: a}', '- apiVersion: v1', '  kind: Node', '  metadata: {name: b}', ''].join('\n');
  const set = parseManifests(text, 'l.yaml');
  assert.deepEqual(set.errors, []);
  assert.deepEqual(
    set.objects.map((o) => [o.origin.item, o.origin.line]),
    [
      [0, 4],
      [1, 7],
    ],
  );
  assert.equal(set.objects[1]?.lineOf(['metadata', 'name']), 9);
});

test('a syntax error names file and line, and other documents still load', () => {
  const text = ['kind: A', 'apiVersion: v1', '---', 'kind: B', 'metadata: [a', '---', 'kind: C', 'apiVersion: v1', ''].join('\n');
  const set = parseManifests(text, 'bad.yaml');
  assert.deepEqual(set.objects.map((o) => o.object.kind), ['A', 'C']);
  assert.ok(set.errors.length >= 1);
  assert.equal(set.errors[0]?.code, 'yamlSyntax');
  assert.equal(set.errors[0]?.file, 'bad.yaml');
  assert.ok((set.errors[0]?.line ?? 0) >= 5);
});

test('duplicate keys are syntax errors', () => {
  const set = parseManifests('kind: A\nkind: B\n', 'd.yaml');
  assert.equal(set.errors[0]?.code, 'yamlSyntax');
  assert.equal(set.errors[0]?.line, 2);
});

test('JSON files parse; scalars and lists are not objects; empty documents are skipped', () => {
  assert.equal(parseManifests('{"apiVersion":"v1","kind":"Node","metadata":{"name":"a"}}', 'a.json').objects.length, 1);
  assert.deepEqual(parseManifests('hello\n', 's.yaml').errors.map((e) => e.code), ['notAnObject']);
  assert.deepEqual(parseManifests('- a\n', 's.yaml').errors.map((e) => e.code), ['notAnObject']);
  const empty = parseManifests('---\n---\n# nothing\n', 'e.yaml');
  assert.deepEqual([empty.objects.length, empty.errors.length], [0, 0]);
});

test('a literal block scalar reports the line of its first content line', () => {
  const text = ['kind: ConfigMap', 'data:', '  config: |', '    peers: []', ''].join('\n');
  const set = parseManifests(text, 'c.yaml');
  assert.equal(set.objects[0]?.blockLineOf(['data', 'config']), 4);
  assert.equal(set.objects[0]?.blockLineOf(['kind']), undefined);
});

test('embedded YAML maps lines through the offset', () => {
  const r = parseEmbeddedYaml('a: 1\nb:\n  c: 2\n', 10);
  assert.deepEqual(r.errors, []);
  assert.equal(r.lineOf(['b', 'c']), 13);
  const bad = parseEmbeddedYaml('a: 1\nb: [\n', 10);
  assert.ok(bad.errors.length > 0 && (bad.errors[0]?.line ?? 0) > 10);
});

test('a List item that is not an object is an error; the other items load', () => {
  const set = parseManifests('apiVersion: v1\nkind: List\nitems:\n- 42\n- apiVersion: v1\n  kind: Node\n  metadata: {name: a}\n', 'l.yaml');
  assert.deepEqual(set.errors.map((e) => [e.code, e.line]), [['listItemNotAnObject', 4]]);
  assert.equal(set.objects.length, 1);
});
