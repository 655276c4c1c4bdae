import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManifestSource } from './source.js';
import type { ChangeBatch, ClusterObjectKinds } from '../../model/cluster.js';

function service(name: string, extra = '', namespace = 'default'): string {
  return `apiVersion: v1\nkind: Service\nmetadata:\n  name: ${name}\n  namespace: ${namespace}\nspec:\n  type: LoadBalancer\n  ports:\n  - port: 80\n${extra}`;
}

/** Each change as `op kind key`. */
function summary(batch: ChangeBatch): string[] {
  return batch.changes.map((c) => `${c.op} ${c.kind} ${c.key}`).sort();
}

function withDir(fn: (dir: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mlbts-source-'));
    try {
      await fn(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

test(
  'load: every kind, List, JSON, configuration objects raw with lines; other kinds ignored',
  withDir(async (dir) => {
    writeFileSync(join(dir, 'a.yaml'), [service('web'), '---', 'apiVersion: v1', 'kind: Node', 'metadata: {name: n1}', '---', 'apiVersion: apps/v1', 'kind: Deployment', 'metadata: {name: d}', ''].join('\n'));
    writeFileSync(
      join(dir, 'list.yaml'),
      ['apiVersion: v1', 'kind: List', 'items:', '- apiVersion: v1', '  kind: Namespace', '  metadata: {name: shop, labels: {team: a}}', '- apiVersion: discovery.k8s.io/v1', '  kind: EndpointSlice', '  metadata: {name: web-1, labels: {kubernetes.io/service-name: web}}', '  addressType: IPv4', '  endpoints: [{addresses: [10.0.0.1]}]', ''].join('\n'),
    );
    writeFileSync(join(dir, 'b.json'), JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [{ apiVersion: 'v1', kind: 'Service', metadata: { name: 'api', namespace: 'shop' }, spec: { type: 'ClusterIP' } }] }));
    writeFileSync(join(dir, 'config.yaml'), ['apiVersion: metallb.io/v1beta1', 'kind: IPAddressPool', 'metadata:', '  name: p', '  namespace: metallb-system', 'spec:', '  addresses: [10.1.0.0/24]', ''].join('\n'));
    writeFileSync(join(dir, 'notes.txt'), 'kind: Node\n');
    const batch = await new ManifestSource([dir]).load();
    assert.deepEqual(summary(batch), [
      'upsert Config IPAddressPool/metallb-system/p',
      'upsert EndpointSlice default/web-1',
      'upsert Namespace shop',
      'upsert Node n1',
      'upsert Service default/web',
      'upsert Service shop/api',
    ]);
    assert.equal(batch.sourceIssues, undefined);
    const pool = batch.changes.find((c) => c.kind === 'Config');
    assert.ok(pool && pool.op === 'upsert');
    const raw = pool.object as ClusterObjectKinds['Config'];
    assert.equal(raw.origin?.file, join(dir, 'config.yaml'));
    assert.equal(raw.origin?.line, 1);
    assert.equal(raw.lineOf?.(['spec', 'addresses']), 7);
    const ns = batch.changes.find((c) => c.kind === 'Namespace');
    assert.deepEqual(ns && ns.op === 'upsert' && ns.object, { name: 'shop', labels: { team: 'a' } });
  }),
);

test(
  'an invalid object is passed on as invalid, with file, line, object, field and rule; the others load',
  withDir(async (dir) => {
    const file = join(dir, 'svc.yaml');
    writeFileSync(file, [service('good'), '---', service('bad').replace('  - port: 80\n', '  - port: 80\n    protocol: HTTP\n'), '---', 'kind: Service', 'metadata: {labels: {a: b}}', 'spec: {}', ''].join('\n'));
    const batch = await new ManifestSource([file]).load();
    assert.deepEqual(summary(batch), ['invalid Service default/bad', 'upsert Service default/good']);
    const bad = batch.changes.find((c) => c.op === 'invalid');
    assert.ok(bad && bad.op === 'invalid');
    assert.deepEqual(
      bad.issues.map((i) => [i.object, i.path, i.rule, i.file, i.line]),
      [['Service/default/bad', 'spec.ports[0].protocol', 'unsupportedValue', file, 21]],
    );
    // A Service without a name cannot be keyed: it is a problem of its file.
    assert.deepEqual(
      batch.sourceIssues?.map((s) => [s.scope, s.issues.map((i) => [i.rule, i.path, i.line])]),
      [[file, [['missingField', 'metadata.name', 25]]]],
    );
  }),
);

test(
  'reload: an edit yields one upsert, a comment-only edit an upsert of the same value, an added and a removed object their changes',
  withDir(async (dir) => {
    const file = join(dir, 'svc.yaml');
    writeFileSync(file, [service('a'), '---', service('b')].join('\n'));
    const source = new ManifestSource([dir]);
    await source.load();
    assert.deepEqual(summary(await source.reload([file])), []);
    writeFileSync(file, [service('a', '  loadBalancerIP: 10.1.0.7\n'), '---', service('b')].join('\n'));
    const edit = await source.reload([file]);
    assert.deepEqual(summary(edit), ['upsert Service default/a']);
    const a = edit.changes[0];
    assert.ok(a && a.op === 'upsert' && a.kind === 'Service');
    assert.equal((a.object as ClusterObjectKinds['Service']).spec.loadBalancerIP, '10.1.0.7');
    // A comment-only edit changes the document's text, not its value: an upsert of the same value
    // (the source keeps no values to compare with); the untouched document yields nothing.
    writeFileSync(file, ['# a comment', service('a', '  loadBalancerIP: 10.1.0.7\n'), '---', service('b')].join('\n'));
    const comment = await source.reload([file]);
    assert.deepEqual(summary(comment), ['upsert Service default/a']);
    assert.deepEqual(comment.changes[0], a);
    assert.deepEqual(summary(await source.reload([file])), []);
    writeFileSync(file, ['# a comment', service('a', '  loadBalancerIP: 10.1.0.7\n'), '---', service('c')].join('\n'));
    assert.deepEqual(summary(await source.reload([file])), ['delete Service default/b', 'upsert Service default/c']);
  }),
);

test(
  'reload: new files, new folders, deleted files and renames',
  withDir(async (dir) => {
    const source = new ManifestSource([dir]);
    assert.deepEqual(summary(await source.load()), []);
    writeFileSync(join(dir, 'a.yaml'), service('a'));
    assert.deepEqual(summary(await source.reload([join(dir, 'a.yaml')])), ['upsert Service default/a']);
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'sub', 'b.yaml'), service('b'));
    assert.deepEqual(summary(await source.reload([join(dir, 'sub')])), ['upsert Service default/b']);
    // A rename moves the object between files: nothing changes for the consumer.
    renameSync(join(dir, 'a.yaml'), join(dir, 'c.yaml'));
    assert.deepEqual(summary(await source.reload([join(dir, 'a.yaml'), join(dir, 'c.yaml')])), []);
    assert.deepEqual(source.trackedFiles(), [join(dir, 'c.yaml'), join(dir, 'sub', 'b.yaml')]);
    unlinkSync(join(dir, 'c.yaml'));
    assert.deepEqual(summary(await source.reload([join(dir, 'c.yaml')])), ['delete Service default/a']);
    rmSync(join(dir, 'sub'), { recursive: true });
    assert.deepEqual(summary(await source.reload([join(dir, 'sub')])), ['delete Service default/b']);
    // A folder reported as a whole (an event without a file name) is listed again.
    writeFileSync(join(dir, 'd.yaml'), service('d'));
    assert.deepEqual(summary(await source.reload([dir])), ['upsert Service default/d']);
    // A full reload finds what the events missed.
    writeFileSync(join(dir, 'f.yaml'), service('f'));
    assert.deepEqual(summary(await source.reload()), ['upsert Service default/f']);
    // Paths outside the watched ones, and files without a manifest extension inside folders, are ignored.
    writeFileSync(join(dir, 'e.txt'), service('e'));
    assert.deepEqual(summary(await source.reload([join(dir, 'e.txt'), join(tmpdir(), 'elsewhere.yaml')])), []);
  }),
);

test(
  'a broken file keeps its objects and reports the error once with line and column; fixed, its issues clear',
  withDir(async (dir) => {
    const file = join(dir, 'svc.yaml');
    writeFileSync(file, [service('a'), '---', service('b')].join('\n'));
    const source = new ManifestSource([file]);
    await source.load();
    writeFileSync(file, [service('a'), '---', 'kind: Service', 'metadata: [', ''].join('\n'));
    const broken = await source.reload([file]);
    assert.deepEqual(summary(broken), []);
    assert.equal(broken.sourceIssues?.length, 1);
    const issue = broken.sourceIssues?.[0]?.issues[0];
    assert.equal(broken.sourceIssues?.[0]?.scope, file);
    assert.equal(issue?.rule, 'yamlSyntax');
    assert.equal(issue?.file, file);
    assert.equal(issue?.line, 14);
    assert.ok(issue && !issue.message.includes(file), issue?.message);
    assert.match(issue?.message ?? '', /\(column \d+\)$/);
    // Still broken, same error: nothing new to say.
    assert.deepEqual(await source.reload([file]), { changes: [] });
    writeFileSync(file, [service('a'), '---', service('c')].join('\n'));
    const fixed = await source.reload([file]);
    assert.deepEqual(summary(fixed), ['delete Service default/b', 'upsert Service default/c']);
    assert.deepEqual(fixed.sourceIssues, [{ scope: file, issues: [] }]);
  }),
);

test(
  'an explicit file that is missing is a source issue until it appears',
  withDir(async (dir) => {
    const file = join(dir, 'later.yaml');
    const source = new ManifestSource([file]);
    const first = await source.load();
    assert.deepEqual(first.sourceIssues?.map((s) => [s.scope, s.issues.map((i) => [i.rule, i.message])]), [[file, [['readFailed', 'no such file or directory']]]]);
    writeFileSync(file, service('a'));
    const next = await source.reload([file]);
    assert.deepEqual(summary(next), ['upsert Service default/a']);
    assert.deepEqual(next.sourceIssues, [{ scope: file, issues: [] }]);
  }),
);

test(
  'duplicates: the later file wins with a warning on the other; deleting the winner brings the other back',
  withDir(async (dir) => {
    writeFileSync(join(dir, 'a.yaml'), service('web', '  loadBalancerIP: 10.1.0.1\n'));
    writeFileSync(join(dir, 'b.yaml'), service('web', '  loadBalancerIP: 10.1.0.2\n'));
    const source = new ManifestSource([dir]);
    const first = await source.load();
    assert.equal(first.changes.length, 1);
    const won = first.changes[0];
    assert.ok(won && won.op === 'upsert');
    assert.equal((won.object as ClusterObjectKinds['Service']).spec.loadBalancerIP, '10.1.0.2');
    assert.deepEqual(
      first.sourceIssues?.map((s) => [s.scope, s.issues.map((i) => [i.severity, i.rule, i.object])]),
      [[join(dir, 'a.yaml'), [['warning', 'duplicateObject', 'Service/default/web']]]],
    );
    unlinkSync(join(dir, 'b.yaml'));
    const back = await source.reload([join(dir, 'b.yaml')]);
    assert.equal(back.changes.length, 1);
    const c = back.changes[0];
    assert.ok(c && c.op === 'upsert');
    assert.equal((c.object as ClusterObjectKinds['Service']).spec.loadBalancerIP, '10.1.0.1');
    assert.deepEqual(back.sourceIssues, [{ scope: join(dir, 'a.yaml'), issues: [] }]);
  }),
);

test(
  'an object that becomes invalid is passed on as invalid; valid again, as an upsert',
  withDir(async (dir) => {
    const file = join(dir, 's.yaml');
    writeFileSync(file, service('a'));
    const source = new ManifestSource([file]);
    await source.load();
    writeFileSync(file, service('a').replace('port: 80', 'port: 5432x'));
    assert.deepEqual(summary(await source.reload([file])), ['invalid Service default/a']);
    writeFileSync(file, service('a'));
    assert.deepEqual(summary(await source.reload([file])), ['upsert Service default/a']);
  }),
);

test(
  'a file of 10 000 Services: one edit yields exactly one change',
  withDir(async (dir) => {
    const file = join(dir, 'many.yaml');
    const docs: string[] = [];
    for (let i = 0; i < 10_000; i++) docs.push(service(`svc-${i}`, `  selector:\n    app: svc-${i}\n`, `team-${i % 10}`));
    writeFileSync(file, docs.join('---\n'));
    const source = new ManifestSource([file]);
    const first = await source.load();
    assert.equal(first.changes.length, 10_000);
    assert.ok(first.changes.every((c) => c.op === 'upsert'));
    const text = readFileSync(file, 'utf8');
    writeFileSync(file, text.replace('app: svc-4321\n', 'app: svc-4321-v2\n'));
    const batch = await source.reload([file]);
    assert.deepEqual(summary(batch), ['upsert Service team-1/svc-4321']);
  }),
);

test(
  'a kind: List as kubectl prints it is read item by item: one edited item yields one change, with its own lines',
  withDir(async (dir) => {
    const file = join(dir, 'dump.yaml');
    const item = (name: string, port: string): string => `- apiVersion: v1\n  kind: Service\n  metadata:\n    name: ${name}\n    namespace: shop\n  spec:\n    type: LoadBalancer\n    ports:\n    - port: ${port}\n`;
    const list = (items: string[]): string => `apiVersion: v1\nitems:\n${items.join('')}kind: List\nmetadata:\n  resourceVersion: ""\n`;
    const items: string[] = [];
    for (let i = 0; i < 1_000; i++) items.push(item(`svc-${i}`, '80'));
    writeFileSync(file, list(items));
    const source = new ManifestSource([file]);
    assert.equal((await source.load()).changes.length, 1_000);
    items[500] = item('svc-500', '8080');
    writeFileSync(file, list(items));
    assert.deepEqual(summary(await source.reload([file])), ['upsert Service shop/svc-500']);
    items[700] = item('svc-700', 'http');
    writeFileSync(file, list(items));
    const bad = await source.reload([file]);
    assert.deepEqual(summary(bad), ['invalid Service shop/svc-700']);
    const c = bad.changes[0];
    assert.ok(c && c.op === 'invalid');
    // Item 700 starts on line 3 + 700 * 9; its port is on the item's ninth line.
    assert.deepEqual(c.issues.map((i) => [i.path, i.rule, i.line]), [['spec.ports[0].port', 'notAnInteger', 3 + 700 * 9 + 8]]);
  }),
);

test(
  'the paths the watcher reports drive reload: a write reaches the consumer as one change',
  { timeout: 10_000 },
  withDir(async (dir) => {
    const { watchManifests } = await import('./watch.js');
    writeFileSync(join(dir, 'a.yaml'), service('a'));
    const source = new ManifestSource([dir]);
    await source.load();
    const batches: Promise<ChangeBatch>[] = [];
    let reported: (() => void) | undefined;
    const watcher = watchManifests([dir], (files) => {
      batches.push(source.reload(files));
      reported?.();
    });
    try {
      const seen = new Promise<void>((res) => (reported = res));
      writeFileSync(join(dir, 'b.yaml'), service('b'));
      await seen;
      const all = await Promise.all(batches);
      assert.deepEqual(all.flatMap((b) => summary(b)), ['upsert Service default/b']);
    } finally {
      watcher.close();
    }
  }),
);

test(
  'duplicates across reloads: the value of a copy that wins again is read again from its file',
  withDir(async (dir) => {
    const a = join(dir, 'a.yaml');
    const b = join(dir, 'b.yaml');
    writeFileSync(a, [service('other'), '---', service('web', '  loadBalancerIP: 10.1.0.1\n')].join('\n'));
    const source = new ManifestSource([dir]);
    assert.deepEqual(summary(await source.load()), ['upsert Service default/other', 'upsert Service default/web']);
    // A later file defines it too: it wins.
    writeFileSync(b, service('web', '  loadBalancerIP: 10.1.0.2\n'));
    const dup = await source.reload([b]);
    assert.deepEqual(summary(dup), ['upsert Service default/web']);
    assert.equal((dup.changes[0] as { object: ClusterObjectKinds['Service'] }).object.spec.loadBalancerIP, '10.1.0.2');
    // Deleting the winner brings back the copy of a.yaml, whose value the source did not keep.
    unlinkSync(b);
    const back = await source.reload([b]);
    assert.deepEqual(summary(back), ['upsert Service default/web']);
    assert.equal((back.changes[0] as { object: ClusterObjectKinds['Service'] }).object.spec.loadBalancerIP, '10.1.0.1');
    // The same text in the winner and the other copy: nothing to pass on when the winner goes.
    writeFileSync(b, readFileSync(a, 'utf8'));
    assert.deepEqual(summary(await source.reload([b])), []);
    unlinkSync(b);
    assert.deepEqual(summary(await source.reload([b])), []);
  }),
);

test(
  'duplicates: a copy that wins again while its file does not parse is passed on once the file is fixed',
  withDir(async (dir) => {
    const a = join(dir, 'a.yaml');
    const b = join(dir, 'b.yaml');
    writeFileSync(a, service('web', '  loadBalancerIP: 10.1.0.1\n'));
    const source = new ManifestSource([dir]);
    await source.load();
    writeFileSync(b, service('web', '  loadBalancerIP: 10.1.0.2\n'));
    await source.reload([b]);
    writeFileSync(a, service('web', '  loadBalancerIP: 10.1.0.1\n') + 'metadata: [\n');
    const broken = await source.reload([a]);
    assert.deepEqual(summary(broken), []);
    unlinkSync(b);
    // a.yaml keeps its last good objects, but its copy's value cannot be read: nothing yet.
    assert.deepEqual(summary(await source.reload([b])), []);
    writeFileSync(a, service('web', '  loadBalancerIP: 10.1.0.1\n'));
    const fixed = await source.reload([a]);
    assert.deepEqual(summary(fixed), ['upsert Service default/web']);
    assert.equal((fixed.changes[0] as { object: ClusterObjectKinds['Service'] }).object.spec.loadBalancerIP, '10.1.0.1');
  }),
);

test(
  'an object defined twice in one file: the later copy counts; removing it brings the earlier back',
  withDir(async (dir) => {
    const file = join(dir, 'a.yaml');
    const early = service('web', '  loadBalancerIP: 10.1.0.1\n');
    const late = service('web', '  loadBalancerIP: 10.1.0.2\n');
    writeFileSync(file, [service('x'), '---', early, '---', late].join('\n'));
    const source = new ManifestSource([file]);
    const first = await source.load();
    assert.deepEqual(summary(first), ['upsert Service default/web', 'upsert Service default/x']);
    const web = first.changes.find((c) => c.key === 'default/web') as { object: ClusterObjectKinds['Service'] };
    assert.equal(web.object.spec.loadBalancerIP, '10.1.0.2');
    assert.deepEqual(first.sourceIssues?.[0]?.issues.map((i) => i.rule), ['duplicateObject']);
    writeFileSync(file, [service('x'), '---', early].join('\n'));
    const back = await source.reload([file]);
    assert.deepEqual(summary(back), ['upsert Service default/web']);
    assert.equal((back.changes[0] as { object: ClusterObjectKinds['Service'] }).object.spec.loadBalancerIP, '10.1.0.1');
    assert.deepEqual(back.sourceIssues, [{ scope: file, issues: [] }]);
  }),
);
