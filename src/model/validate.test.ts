import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateEndpointSlice, validateNamespace, validateNode, validateService } from './validate.js';
import type { Validation } from './validate.js';
import { sampleEndpointSlice, sampleNode, sampleService, setPath as set } from './validate.test-support.js';


test('a realistic Service is accepted and slimmed to the fields used (a copy, never the input)', () => {
  const raw = sampleService();
  const r = validateService(raw);
  assert.ok(r.ok, JSON.stringify(!r.ok && r.issues));
  // Kept: what the allocator, the planner and the pipeline read (uid, resourceVersion, apiVersion,
  // other annotations, port names, targetPort and nodePort are checked and dropped).
  assert.deepEqual(r.value, {
    kind: 'Service',
    metadata: {
      name: 'web',
      namespace: 'shop',
      creationTimestamp: '2026-01-01T10:00:00Z',
      labels: { 'app.kubernetes.io/name': 'web' },
      annotations: { 'metallb.io/loadBalancerIPs': '192.168.20.10' },
    },
    spec: {
      type: 'LoadBalancer',
      clusterIP: '10.96.0.10',
      clusterIPs: ['10.96.0.10'],
      ipFamilies: ['IPv4'],
      ipFamilyPolicy: 'SingleStack',
      externalTrafficPolicy: 'Local',
      ports: [{ port: 80, protocol: 'TCP' }],
      selector: { app: 'web' },
    },
    status: { loadBalancer: { ingress: [{ ip: '192.168.20.10' }] } },
  });
  // The selector is read only for externalTrafficPolicy Local.
  const cluster = validateService(set(sampleService(), ['spec', 'externalTrafficPolicy'], 'Cluster'));
  assert.ok(cluster.ok);
  assert.equal(cluster.value.spec.selector, undefined);
  // Repeated strings are shared between objects.
  const again = validateService(sampleService());
  assert.ok(again.ok);
  assert.equal(again.value.spec.ipFamilies, r.value.spec.ipFamilies);
  assert.notEqual(r.value.metadata, raw['metadata']);
  assert.notEqual(r.value.spec.ports, (raw['spec'] as Record<string, unknown>)['ports']);
  assert.deepEqual(r.warnings, []);
});

test('namespaced kinds default to namespace default; cluster-scoped kinds have none', () => {
  const svc = validateService({ kind: 'Service', metadata: { name: 'a' }, spec: {} });
  assert.ok(svc.ok && svc.value.metadata.namespace === 'default');
  const node = validateNode({ kind: 'Node', metadata: { name: 'n1' } });
  assert.ok(node.ok && node.value.metadata.namespace === undefined);
});

/** Each case: the object, the rule and path expected among the issues. */
const SERVICE_CASES: { name: string; mutate: (o: Record<string, unknown>) => unknown; rule: string; path: string; value?: string }[] = [
  { name: 'ports: 5432', mutate: (o) => set(o, ['spec', 'ports'], 5432), rule: 'notAList', path: 'spec.ports', value: '5432' },
  { name: 'ports: [null]', mutate: (o) => set(o, ['spec', 'ports'], [null]), rule: 'notAnObject', path: 'spec.ports[0]' },
  { name: 'ipFamilies: IPv4', mutate: (o) => set(o, ['spec', 'ipFamilies'], 'IPv4'), rule: 'notAList', path: 'spec.ipFamilies', value: 'IPv4' },
  { name: 'loadBalancerIPs: 5', mutate: (o) => set(o, ['metadata', 'annotations', 'metallb.io/loadBalancerIPs'], 5), rule: 'notAString', path: 'metadata.annotations["metallb.io/loadBalancerIPs"]', value: '5' },
  { name: 'annotation 192.168.20.300', mutate: (o) => set(o, ['metadata', 'annotations', 'metallb.io/loadBalancerIPs'], '192.168.20.300'), rule: 'invalidIP', path: 'metadata.annotations["metallb.io/loadBalancerIPs"]', value: '192.168.20.300' },
  { name: 'deprecated annotation with a bad IP', mutate: (o) => set(o, ['metadata', 'annotations', 'metallb.universe.tf/loadBalancerIPs'], '10.0.0.1, nope'), rule: 'invalidIP', path: 'metadata.annotations["metallb.universe.tf/loadBalancerIPs"]' },
  { name: 'address-pool not a string', mutate: (o) => set(o, ['metadata', 'annotations', 'metallb.io/address-pool'], ['a']), rule: 'notAString', path: 'metadata.annotations["metallb.io/address-pool"]' },
  { name: 'allow-shared-ip true', mutate: (o) => set(o, ['metadata', 'annotations', 'metallb.io/allow-shared-ip'], true), rule: 'notAString', path: 'metadata.annotations["metallb.io/allow-shared-ip"]', value: 'true' },
  { name: 'no spec', mutate: (o) => set(o, ['spec'], undefined), rule: 'missingField', path: 'spec' },
  { name: 'spec a list', mutate: (o) => set(o, ['spec'], []), rule: 'notAnObject', path: 'spec' },
  { name: 'no name', mutate: (o) => set(o, ['metadata', 'name'], undefined), rule: 'missingField', path: 'metadata.name' },
  { name: 'name a number', mutate: (o) => set(o, ['metadata', 'name'], 12), rule: 'notAString', path: 'metadata.name', value: '12' },
  { name: 'name with capitals', mutate: (o) => set(o, ['metadata', 'name'], 'Web'), rule: 'invalidName', path: 'metadata.name', value: 'Web' },
  { name: 'namespace not a label', mutate: (o) => set(o, ['metadata', 'namespace'], 'a.b'), rule: 'invalidName', path: 'metadata.namespace', value: 'a.b' },
  { name: 'metadata a string', mutate: (o) => set(o, ['metadata'], 'x'), rule: 'notAnObject', path: 'metadata', value: 'x' },
  { name: 'labels a list', mutate: (o) => set(o, ['metadata', 'labels'], ['a']), rule: 'notAnObject', path: 'metadata.labels' },
  { name: 'label value a number', mutate: (o) => set(o, ['metadata', 'labels', 'tier'], 3), rule: 'notAString', path: 'metadata.labels.tier', value: '3' },
  { name: 'label value with a space', mutate: (o) => set(o, ['metadata', 'labels', 'tier'], 'a b'), rule: 'invalidLabelValue', path: 'metadata.labels.tier', value: 'a b' },
  { name: 'annotation key invalid', mutate: (o) => set(o, ['metadata', 'annotations', 'a b'], 'x'), rule: 'invalidKey', path: 'metadata.annotations["a b"]', value: 'a b' },
  { name: 'creationTimestamp garbage', mutate: (o) => set(o, ['metadata', 'creationTimestamp'], 'yesterday'), rule: 'invalidTimestamp', path: 'metadata.creationTimestamp', value: 'yesterday' },
  { name: 'port 0', mutate: (o) => set(o, ['spec', 'ports', 0, 'port'], 0), rule: 'outOfRange', path: 'spec.ports[0].port', value: '0' },
  { name: 'port 70000', mutate: (o) => set(o, ['spec', 'ports', 0, 'port'], 70000), rule: 'outOfRange', path: 'spec.ports[0].port', value: '70000' },
  { name: 'port "80"', mutate: (o) => set(o, ['spec', 'ports', 0, 'port'], '80'), rule: 'notAnInteger', path: 'spec.ports[0].port', value: '80' },
  { name: 'port 1.5', mutate: (o) => set(o, ['spec', 'ports', 0, 'port'], 1.5), rule: 'notAnInteger', path: 'spec.ports[0].port', value: '1.5' },
  { name: 'port missing', mutate: (o) => set(o, ['spec', 'ports', 0, 'port'], undefined), rule: 'missingField', path: 'spec.ports[0].port' },
  { name: 'protocol HTTP', mutate: (o) => set(o, ['spec', 'ports', 0, 'protocol'], 'HTTP'), rule: 'unsupportedValue', path: 'spec.ports[0].protocol', value: 'HTTP' },
  { name: 'targetPort bad name', mutate: (o) => set(o, ['spec', 'ports', 0, 'targetPort'], 'Not_A_Name'), rule: 'invalidPortName', path: 'spec.ports[0].targetPort' },
  { name: 'nodePort huge', mutate: (o) => set(o, ['spec', 'ports', 0, 'nodePort'], 1e300), rule: 'outOfRange', path: 'spec.ports[0].nodePort' },
  { name: 'type Balancer', mutate: (o) => set(o, ['spec', 'type'], 'Balancer'), rule: 'unsupportedValue', path: 'spec.type', value: 'Balancer' },
  { name: 'ipFamilies [IPv5]', mutate: (o) => set(o, ['spec', 'ipFamilies'], ['IPv5']), rule: 'unsupportedValue', path: 'spec.ipFamilies[0]', value: 'IPv5' },
  { name: 'ipFamilies twice', mutate: (o) => set(o, ['spec', 'ipFamilies'], ['IPv4', 'IPv4']), rule: 'duplicate', path: 'spec.ipFamilies[1]' },
  { name: 'ipFamilyPolicy Dual', mutate: (o) => set(o, ['spec', 'ipFamilyPolicy'], 'Dual'), rule: 'unsupportedValue', path: 'spec.ipFamilyPolicy' },
  { name: 'externalTrafficPolicy local', mutate: (o) => set(o, ['spec', 'externalTrafficPolicy'], 'local'), rule: 'unsupportedValue', path: 'spec.externalTrafficPolicy' },
  { name: 'clusterIP not an IP', mutate: (o) => set(o, ['spec', 'clusterIP'], '10.96.0'), rule: 'invalidIP', path: 'spec.clusterIP' },
  { name: 'clusterIPs a string', mutate: (o) => set(o, ['spec', 'clusterIPs'], '10.96.0.10'), rule: 'notAList', path: 'spec.clusterIPs' },
  { name: 'clusterIPs [null]', mutate: (o) => set(o, ['spec', 'clusterIPs'], [null]), rule: 'notAString', path: 'spec.clusterIPs[0]' },
  { name: 'loadBalancerIP bad', mutate: (o) => set(o, ['spec', 'loadBalancerIP'], '1.2.3.4.5'), rule: 'invalidIP', path: 'spec.loadBalancerIP' },
  { name: 'loadBalancerClass a number', mutate: (o) => set(o, ['spec', 'loadBalancerClass'], 7), rule: 'notAString', path: 'spec.loadBalancerClass' },
  { name: 'selector value a list', mutate: (o) => set(o, ['spec', 'selector', 'app'], ['web']), rule: 'notAString', path: 'spec.selector.app' },
  { name: 'status ingress ip bad', mutate: (o) => set(o, ['status', 'loadBalancer', 'ingress', 0, 'ip'], '300.1.1.1'), rule: 'invalidIP', path: 'status.loadBalancer.ingress[0].ip' },
  { name: 'status ingress a map', mutate: (o) => set(o, ['status', 'loadBalancer', 'ingress'], { ip: '1.1.1.1' }), rule: 'notAList', path: 'status.loadBalancer.ingress' },
  { name: 'status ingress [null]', mutate: (o) => set(o, ['status', 'loadBalancer', 'ingress'], [null]), rule: 'notAnObject', path: 'status.loadBalancer.ingress[0]' },
  { name: 'the object a list', mutate: () => [1], rule: 'notAnObject', path: '' },
  { name: 'the object null', mutate: () => null, rule: 'notAnObject', path: '', value: 'null' },
];

for (const c of SERVICE_CASES) {
  test(`Service: ${c.name} is reported (${c.rule} at ${c.path || 'the object'})`, () => {
    const raw = sampleService();
    const input = c.mutate(raw);
    const r = validateService(input, { file: 'svc.yaml', lineOf: (path) => 100 + path.length });
    assert.equal(r.ok, false);
    const issues = (r as Extract<Validation<unknown>, { ok: false }>).issues;
    const hit = issues.find((i) => i.rule === c.rule && i.path === c.path);
    assert.ok(hit, `expected ${c.rule} at ${c.path}, got ${JSON.stringify(issues)}`);
    assert.equal(hit.file, 'svc.yaml');
    assert.equal(typeof hit.line, 'number');
    assert.equal(hit.severity, 'error');
    if (c.value !== undefined) assert.equal(hit.value, c.value);
    if (input !== null && !Array.isArray(input) && c.path.startsWith('spec')) assert.equal(hit.object, 'Service/shop/web');
  });
}

test('the deprecated annotation prefix is a warning, not an error', () => {
  const raw = sampleService();
  set(raw, ['metadata', 'annotations'], { 'metallb.universe.tf/address-pool': 'p' });
  const r = validateService(raw);
  assert.ok(r.ok);
  assert.deepEqual(r.warnings.map((w) => [w.rule, w.path, w.severity]), [['deprecatedAnnotation', 'metadata.annotations["metallb.universe.tf/address-pool"]', 'warning']]);
});

test('headless and dual-stack Services are valid', () => {
  const raw = sampleService();
  set(raw, ['spec', 'clusterIP'], 'None');
  set(raw, ['spec', 'clusterIPs'], ['None']);
  assert.ok(validateService(raw).ok);
  const dual = sampleService();
  set(dual, ['spec', 'clusterIPs'], ['10.96.0.10', 'fd00::10']);
  set(dual, ['spec', 'ipFamilies'], ['IPv4', 'IPv6']);
  set(dual, ['spec', 'ipFamilyPolicy'], 'RequireDualStack');
  set(dual, ['metadata', 'annotations', 'metallb.io/loadBalancerIPs'], '192.168.20.10, fd00::1');
  assert.ok(validateService(dual).ok);
});

const OTHER_CASES: { name: string; run: () => Validation<unknown>; rule: string; path: string }[] = [
  { name: 'EndpointSlice endpoints a map', run: () => validateEndpointSlice(set(sampleEndpointSlice(), ['endpoints'], { a: 1 })), rule: 'notAList', path: 'endpoints' },
  { name: 'EndpointSlice endpoint null', run: () => validateEndpointSlice(set(sampleEndpointSlice(), ['endpoints'], [null])), rule: 'notAnObject', path: 'endpoints[0]' },
  { name: 'EndpointSlice IPv6 address in an IPv4 slice', run: () => validateEndpointSlice(set(sampleEndpointSlice(), ['endpoints', 0, 'addresses'], ['fd00::1'])), rule: 'wrongFamily', path: 'endpoints[0].addresses[0]' },
  { name: 'EndpointSlice address not an IP', run: () => validateEndpointSlice(set(sampleEndpointSlice(), ['endpoints', 0, 'addresses'], ['pod-a'])), rule: 'invalidIP', path: 'endpoints[0].addresses[0]' },
  { name: 'EndpointSlice addresses missing', run: () => validateEndpointSlice(set(sampleEndpointSlice(), ['endpoints', 0, 'addresses'], undefined)), rule: 'missingField', path: 'endpoints[0].addresses' },
  { name: 'EndpointSlice ready "yes"', run: () => validateEndpointSlice(set(sampleEndpointSlice(), ['endpoints', 0, 'conditions', 'ready'], 'yes')), rule: 'notABoolean', path: 'endpoints[0].conditions.ready' },
  { name: 'EndpointSlice addressType IPv5', run: () => validateEndpointSlice(set(sampleEndpointSlice(), ['addressType'], 'IPv5')), rule: 'unsupportedValue', path: 'addressType' },
  { name: 'EndpointSlice nodeName a number', run: () => validateEndpointSlice(set(sampleEndpointSlice(), ['endpoints', 0, 'nodeName'], 5)), rule: 'notAString', path: 'endpoints[0].nodeName' },
  { name: 'Node InternalIP not an IP', run: () => validateNode(set(sampleNode(), ['status', 'addresses', 0, 'address'], 'node-1')), rule: 'invalidIP', path: 'status.addresses[0].address' },
  { name: 'Node addresses a string', run: () => validateNode(set(sampleNode(), ['status', 'addresses'], '1.2.3.4')), rule: 'notAList', path: 'status.addresses' },
  { name: 'Node condition status yes', run: () => validateNode(set(sampleNode(), ['status', 'conditions', 0, 'status'], 'yes')), rule: 'unsupportedValue', path: 'status.conditions[0].status' },
  { name: 'Node name with underscore', run: () => validateNode(set(sampleNode(), ['metadata', 'name'], 'node_1')), rule: 'invalidName', path: 'metadata.name' },
  { name: 'Namespace labels a string', run: () => validateNamespace({ kind: 'Namespace', metadata: { name: 'a', labels: 'x' } }), rule: 'notAnObject', path: 'metadata.labels' },
  { name: 'Namespace without metadata', run: () => validateNamespace({ kind: 'Namespace' }), rule: 'missingField', path: 'metadata' },
];

for (const c of OTHER_CASES) {
  test(`${c.name} is reported (${c.rule} at ${c.path})`, () => {
    const r = c.run();
    assert.equal(r.ok, false);
    const issues = (r as Extract<Validation<unknown>, { ok: false }>).issues;
    assert.ok(issues.some((i) => i.rule === c.rule && i.path === c.path), JSON.stringify(issues));
  });
}

test('realistic EndpointSlices, Nodes and Namespaces are accepted and slimmed', () => {
  const slice = validateEndpointSlice(sampleEndpointSlice());
  assert.ok(slice.ok);
  assert.deepEqual(slice.value.endpoints, [{ addresses: ['10.1.0.5'], conditions: { ready: true, serving: true, terminating: false }, nodeName: 'node-1' }]);
  assert.deepEqual(slice.value.metadata.labels, { 'kubernetes.io/service-name': 'web' });
  // Only the first address is kept (the planner reads whether there is one); every address is checked.
  const two = sampleEndpointSlice();
  set(two, ['metadata', 'labels', 'team'], 'a');
  set((two['endpoints'] as Record<string, unknown>[])[0] as Record<string, unknown>, ['addresses'], ['10.1.0.5', '10.1.0.6']);
  const twoSlice = validateEndpointSlice(two);
  assert.ok(twoSlice.ok);
  assert.deepEqual(twoSlice.value.endpoints?.[0]?.addresses, ['10.1.0.5']);
  assert.deepEqual(twoSlice.value.metadata.labels, { 'kubernetes.io/service-name': 'web' });
  set((two['endpoints'] as Record<string, unknown>[])[0] as Record<string, unknown>, ['addresses'], ['10.1.0.5', '10.1.0.300']);
  assert.equal(validateEndpointSlice(two).ok, false);
  const node = validateNode(sampleNode());
  assert.ok(node.ok);
  assert.deepEqual(node.value.status, {
    addresses: [
      { type: 'InternalIP', address: '192.168.1.11' },
      { type: 'Hostname', address: 'node-1' },
    ],
    conditions: [{ type: 'Ready', status: 'True' }],
  });
  assert.deepEqual(validateNamespace({ kind: 'Namespace', metadata: { name: 'shop', labels: { team: 'a' } } }), { ok: true, value: { name: 'shop', labels: { team: 'a' } }, warnings: [] });
});
