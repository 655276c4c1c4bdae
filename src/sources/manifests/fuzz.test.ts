/**
 * Fuzz of the edge: 100 000 random and mutated cluster objects go through validation and through the
 * manifest reader (as YAML and JSON text, some of it mangled), and nothing throws; what validation
 * accepts goes through the allocator and the planner without throwing either.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { dump } from 'js-yaml';
import { validateEndpointSlice, validateNamespace, validateNode, validateService } from '../../model/validate.js';
import { sampleEndpointSlice, sampleNode, sampleService } from '../../model/validate.test-support.js';
import type { EndpointSlice, Node, Service } from '../../model/kubernetes.js';
import { readManifestText } from './read.js';
import { classify } from './classify.js';
import { allocateAll } from '../../allocator/allocator.js';
import { planAnnouncements } from '../../speaker/planner.js';
import type { ServiceIps } from '../../speaker/planner.js';
import { advertisementConfig, configOf, peerConfig, poolConfig } from '../../config/test-builders.js';

const SEED = 20261203;
const TOTAL = 100_000;

/** Values that break types: wrong types, nulls, huge numbers, odd strings, nested junk. */
const weird: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null),
  fc.constant(undefined),
  fc.boolean(),
  fc.integer(),
  fc.double(),
  fc.constantFrom(1e308, -1e308, Number.POSITIVE_INFINITY, Number.NaN, 2 ** 53 + 1, -0, 65536, 0, -1, 80, 5432),
  fc.string(),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.constantFrom('', ' ', 'None', '::', '1.2.3.4', '10.0.0.1,', '192.168.20.300', ',', '__proto__', 'constructor', 'IPv4', 'IPv6', 'Local', 'LoadBalancer', 'TCP', 'a'.repeat(300), '0x10', '1e3'),
  fc.array(fc.oneof(fc.constant(null), fc.string(), fc.integer(), fc.constantFrom('10.0.0.1', 'IPv4')), { maxLength: 4 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.string(), fc.integer(), fc.constant(null)), { maxKeys: 3 }),
  fc.anything({ maxDepth: 1 }),
);

type Kind = 'Service' | 'EndpointSlice' | 'Node' | 'Namespace';

function base(kind: Kind): Record<string, unknown> {
  switch (kind) {
    case 'Service':
      return sampleService();
    case 'EndpointSlice':
      return sampleEndpointSlice();
    case 'Node':
      return sampleNode();
    case 'Namespace':
      return { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels: { team: 'a' } } };
  }
}

/** Every container (object or list) in `v`, with a way to set or delete one of its entries. */
function containers(v: unknown, out: (Record<string, unknown> | unknown[])[]): void {
  if (typeof v !== 'object' || v === null) return;
  out.push(v as Record<string, unknown> | unknown[]);
  for (const child of Object.values(v)) containers(child, out);
}

/** Applies mutations: (container index, key index or new key, value, delete?). */
function mutate(o: Record<string, unknown>, edits: readonly (readonly [number, number, string, unknown, boolean])[]): Record<string, unknown> {
  for (const [ci, ki, newKey, value, remove] of edits) {
    const all: (Record<string, unknown> | unknown[])[] = [];
    containers(o, all);
    const target = all[ci % all.length];
    if (target === undefined) continue;
    const keys = Object.keys(target);
    const key = keys.length === 0 || ki % 5 === 4 ? newKey : (keys[ki % keys.length] as string);
    if (Array.isArray(target)) {
      const i = Number(key);
      if (Number.isInteger(i) && i >= 0 && i < target.length) {
        if (remove) target.splice(i, 1);
        else target[i] = value;
      } else target.push(value);
    } else if (remove) delete target[key];
    else target[key] = value;
  }
  return o;
}

const mutated: fc.Arbitrary<unknown> = fc
  .tuple(
    fc.constantFrom<Kind>('Service', 'Service', 'EndpointSlice', 'Node', 'Namespace'),
    fc.array(fc.tuple(fc.nat(), fc.nat(), fc.string({ maxLength: 6 }), weird, fc.boolean()), { minLength: 0, maxLength: 4 }),
  )
  .map(([kind, edits]) => mutate(base(kind), edits));

const randomObject: fc.Arbitrary<unknown> = fc.oneof(
  fc.record({ kind: fc.constantFrom('Service', 'EndpointSlice', 'Node', 'Namespace'), apiVersion: fc.constantFrom('v1', 'discovery.k8s.io/v1', undefined), metadata: weird, spec: weird, status: weird, endpoints: weird }),
  fc.anything({ maxDepth: 3 }),
);

function validateAny(raw: unknown): boolean {
  const kind = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>)['kind'] : undefined;
  const r =
    kind === 'EndpointSlice' ? validateEndpointSlice(raw) : kind === 'Node' ? validateNode(raw) : kind === 'Namespace' ? validateNamespace(raw) : validateService(raw);
  if (r.ok) {
    assert.ok(r.value !== raw);
    return true;
  }
  assert.ok(r.issues.length > 0);
  for (const i of r.issues) assert.ok(typeof i.rule === 'string' && typeof i.message === 'string' && typeof i.path === 'string');
  return false;
}

/** The objects as JSON (a List), a YAML List as kubectl prints it (items at column 0), or YAML documents. */
function textOf(objects: readonly unknown[], style: number): string {
  if (style === 0) return JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects });
  if (style === 2) return dump({ apiVersion: 'v1', items: objects, kind: 'List', metadata: { resourceVersion: '' } }, { skipInvalid: true, noArrayIndent: true });
  return objects.map((o) => dump(o, { skipInvalid: true })).join('---\n');
}

test(`${TOTAL} random and mutated objects: validation never throws, and the reader never does on their text`, () => {
  const objects = fc.sample(fc.oneof({ arbitrary: mutated, weight: 4 }, { arbitrary: randomObject, weight: 1 }), { numRuns: TOTAL, seed: SEED });
  let accepted = 0;
  for (const o of objects) if (validateAny(o)) accepted++;
  // The mutations leave a good share valid, so both paths are exercised.
  assert.ok(accepted > TOTAL / 20 && accepted < TOTAL, `accepted ${accepted}`);

  const mangle = fc.sample(fc.tuple(fc.nat(), fc.nat(40), fc.constantFrom('', ':', '- ', '[', ']', '{', '\n', '  ', '---\n', '&a ', '*a', '"', "'", '? ', '|', '!!binary ', '%YAML 1.2\n', '...\n', '\t')), { numRuns: TOTAL / 100, seed: SEED });
  let read = 0;
  let errors = 0;
  for (let batch = 0; batch < TOTAL / 100; batch++) {
    const slice = objects.slice(batch * 100, batch * 100 + 100);
    let text = textOf(slice, batch % 5);
    const [at, len, insert] = mangle[batch] as [number, number, string];
    if (batch % 2 === 1) {
      const pos = at % (text.length + 1);
      text = text.slice(0, pos) + insert + text.slice(pos + len);
    }
    // Every tenth batch is also classified, with the line of every issue resolved (a YAML re-parse
    // of each invalid document: the costly part); the others are read only.
    const classifying = batch % 10 === 0;
    readManifestText(text, `fuzz-${batch}.yaml`, {
      object(o) {
        read++;
        if (!classifying) return;
        const c = classify(o);
        if (c.kind !== 'ignored' && c.kind !== 'unkeyed' && !c.state.ok) {
          // Lines of issues resolve (lazily) without throwing.
          for (const i of c.state.issues) assert.ok(i.line === undefined || Number.isInteger(i.line));
        }
      },
      error(e) {
        errors++;
        assert.ok(e.line >= 0 && e.message.length > 0 && !e.message.includes(e.file));
      },
    });
  }
  assert.ok(read > TOTAL / 2, `read ${read}`);
  assert.ok(errors > 0);
});

test('2 000 accepted objects go through allocateAll and planAnnouncements without throwing', () => {
  const objects = fc.sample(mutated, { numRuns: 15_000, seed: SEED + 1 });
  const services: Service[] = [];
  const slices: EndpointSlice[] = [];
  const nodes: Node[] = [sampleNode() as unknown as Node];
  const keys = new Set<string>();
  for (const o of objects) {
    const kind = (o as Record<string, unknown>)['kind'];
    if (kind === 'Service') {
      const r = validateService(o);
      if (!r.ok) continue;
      // Distinct keys, as a source delivers them.
      const svc: Service = { ...r.value, metadata: { ...r.value.metadata, name: `s${services.length}` } };
      keys.add(`${svc.metadata.namespace}/${svc.metadata.name}`);
      services.push(svc);
    } else if (kind === 'EndpointSlice') {
      const r = validateEndpointSlice(o);
      if (r.ok) slices.push(r.value);
    } else if (kind === 'Node') {
      const r = validateNode(o);
      if (r.ok) nodes.push(r.value);
    }
    if (services.length >= 2_000) break;
  }
  assert.equal(services.length, 2_000);
  assert.ok(slices.length > 0 && nodes.length > 1);
  const pools = [poolConfig('default', [['192.168.20.0', '192.168.23.255'], ['fd00::', 'fd00::ffff']]), poolConfig('p', [['10.1.0.0', '10.1.0.255']])];
  const config = configOf({ peers: [peerConfig()], pools, advertisements: [advertisementConfig('a', ['default', 'p'])] });
  for (const standalone of [true, false]) {
    const result = allocateAll({ pools, services, options: { standalone } });
    const allocations = new Map<string, ServiceIps>();
    for (const s of result.services) if (s.pool !== undefined) allocations.set(s.service, { ips: s.ips, pool: s.pool });
    for (const node of nodes.slice(0, 5)) planAnnouncements({ config, node, services, allocations, endpointSlices: slices });
  }
});
