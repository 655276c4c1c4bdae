/**
 * The rendered manifest validates against the Kubernetes OpenAPI schemas (npm kubernetes-models:
 * the schemas of Kubernetes 1.27, each object through its kind's validator), and holds to what the
 * deployment promises: the speaker on the host network with no added capability, everything
 * non-root, probes on the metrics port, the downward API for NODE_NAME and METALLB_NAMESPACE.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Namespace, ServiceAccount } from 'kubernetes-models/v1';
import { ClusterRole, ClusterRoleBinding, Role, RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { DaemonSet, Deployment } from 'kubernetes-models/apps/v1';
import { CustomResourceDefinition } from 'kubernetes-models/apiextensions.k8s.io/v1';
import type { IDeployment, IDaemonSet } from 'kubernetes-models/apps/v1';
import type { IContainer, IPodSpec } from 'kubernetes-models/v1';
import type { IClusterRole, IRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { renderedObjects, theObject, type K8sObject } from './manifests.js';

/** The validator of each kind the manifest may hold; a kind missing here fails the test. */
const VALIDATORS: Record<string, (o: K8sObject) => void> = {
  'v1/Namespace': (o) => new Namespace(o as never).validate(),
  'v1/ServiceAccount': (o) => new ServiceAccount(o as never).validate(),
  'rbac.authorization.k8s.io/v1/Role': (o) => new Role(o as never).validate(),
  'rbac.authorization.k8s.io/v1/ClusterRole': (o) => new ClusterRole(o as never).validate(),
  'rbac.authorization.k8s.io/v1/RoleBinding': (o) => new RoleBinding(o as never).validate(),
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': (o) => new ClusterRoleBinding(o as never).validate(),
  'apps/v1/Deployment': (o) => new Deployment(o as never).validate(),
  'apps/v1/DaemonSet': (o) => new DaemonSet(o as never).validate(),
  'apiextensions.k8s.io/v1/CustomResourceDefinition': (o) => new CustomResourceDefinition(o as never).validate(),
};

test('every object of the rendered manifest validates against the Kubernetes OpenAPI schema of its kind', () => {
  const objects = renderedObjects();
  assert.ok(objects.length >= 15, 'the manifest has its objects');
  for (const o of objects) {
    const validate = VALIDATORS[`${o.apiVersion}/${o.kind}`];
    assert.ok(validate, `no validator for ${o.apiVersion} ${o.kind}`);
    assert.doesNotThrow(() => validate(o), `${o.kind}/${o.metadata.name}`);
  }
});

test('the validators reject a wrong object (they check something)', () => {
  const speaker = structuredClone(theObject(renderedObjects(), 'DaemonSet', 'metallb-ts-speaker')) as unknown as IDaemonSet;
  const c = speaker.spec?.template.spec?.containers[0];
  assert.ok(c);
  (c as { ports: unknown }).ports = [{ containerPort: '7472' }];
  assert.throws(() => new DaemonSet(speaker).validate(), /containerPort/);
  const crd = structuredClone(theObject(renderedObjects(), 'CustomResourceDefinition', 'bgppeers.metallb.io')) as Record<string, unknown>;
  (crd.spec as { scope: unknown }).scope = 7;
  assert.throws(() => VALIDATORS['apiextensions.k8s.io/v1/CustomResourceDefinition']?.(crd as K8sObject), /scope/);
});

function podSpecOf(o: K8sObject): IPodSpec {
  const spec = (o as unknown as IDeployment | IDaemonSet).spec?.template.spec;
  assert.ok(spec, `${o.kind}/${o.metadata.name} has a pod spec`);
  return spec;
}

function onlyContainer(spec: IPodSpec): IContainer {
  assert.equal(spec.containers.length, 1);
  return spec.containers[0] as IContainer;
}

function checkHardened(name: string, spec: IPodSpec, c: IContainer): void {
  assert.equal(spec.securityContext?.runAsNonRoot, true, `${name}: runAsNonRoot`);
  assert.equal(spec.securityContext?.runAsUser, 65534, `${name}: runs as nobody`);
  assert.equal(c.securityContext?.allowPrivilegeEscalation, false, `${name}: no privilege escalation`);
  assert.equal(c.securityContext?.readOnlyRootFilesystem, true, `${name}: read-only root`);
  assert.deepEqual(c.securityContext?.capabilities?.drop, ['ALL'], `${name}: drops every capability`);
  assert.equal(c.securityContext?.capabilities?.add, undefined, `${name}: adds none`);
  assert.equal(c.securityContext?.privileged, undefined, `${name}: not privileged`);
  // Probes on the metrics port, /livez and /readyz, as `run` serves them.
  const port = c.ports?.find((p) => p.name === 'monitoring');
  assert.equal(port?.containerPort, 7472, `${name}: metrics on 7472`);
  assert.deepEqual([c.livenessProbe?.httpGet?.path, c.livenessProbe?.httpGet?.port], ['/livez', 'monitoring'], name);
  assert.deepEqual([c.readinessProbe?.httpGet?.path, c.readinessProbe?.httpGet?.port], ['/readyz', 'monitoring'], name);
  assert.ok(c.resources?.requests?.cpu && c.resources.requests.memory, `${name}: resource requests`);
  const env = new Map((c.env ?? []).map((e) => [e.name, e.valueFrom?.fieldRef?.fieldPath]));
  assert.equal(env.get('METALLB_NAMESPACE'), 'metadata.namespace', `${name}: METALLB_NAMESPACE from the downward API`);
}

test('the speaker: host network, no capability added, non-root, NODE_NAME from the downward API, tolerations as MetalLB', () => {
  const ds = theObject(renderedObjects(), 'DaemonSet', 'metallb-ts-speaker');
  const spec = podSpecOf(ds);
  const c = onlyContainer(spec);
  assert.equal(spec.hostNetwork, true);
  assert.equal(spec.serviceAccountName, 'metallb-ts-speaker');
  checkHardened('speaker', spec, c);
  const env = new Map((c.env ?? []).map((e) => [e.name, e.valueFrom?.fieldRef?.fieldPath]));
  assert.equal(env.get('NODE_NAME'), 'spec.nodeName');
  assert.deepEqual(
    (spec.tolerations ?? []).map((t) => [t.key, t.operator, t.effect]),
    [
      ['node-role.kubernetes.io/master', 'Exists', 'NoSchedule'],
      ['node-role.kubernetes.io/control-plane', 'Exists', 'NoSchedule'],
    ],
  );
  assert.deepEqual(spec.nodeSelector, { 'kubernetes.io/os': 'linux' });
});

test('the controller: two replicas (leader election), pod network, non-root', () => {
  const d = theObject(renderedObjects(), 'Deployment', 'metallb-ts-controller');
  const spec = podSpecOf(d);
  const c = onlyContainer(spec);
  assert.equal((d as unknown as IDeployment).spec?.replicas, 2);
  assert.equal(spec.hostNetwork, undefined);
  assert.equal(spec.serviceAccountName, 'metallb-ts-controller');
  checkHardened('controller', spec, c);
});

test('the namespace carries the pod-security labels a host-network speaker needs', () => {
  const ns = theObject(renderedObjects(), 'Namespace', 'metallb-system');
  const labels = (ns.metadata as { labels?: Record<string, string> }).labels ?? {};
  for (const mode of ['enforce', 'audit', 'warn']) assert.equal(labels[`pod-security.kubernetes.io/${mode}`], 'privileged', mode);
});

type Rule = { apiGroups?: string[]; resources?: string[]; verbs: string[]; resourceNames?: string[] };

/** `group/resource verb` for every rule of a Role or ClusterRole, sorted. */
function grants(o: K8sObject): string[] {
  const out: string[] = [];
  for (const r of ((o as unknown as IRole | IClusterRole).rules ?? []) as Rule[]) {
    for (const g of r.apiGroups ?? []) for (const res of r.resources ?? []) for (const v of r.verbs) out.push(`${g === '' ? 'core' : g}/${res} ${v}`);
  }
  return out.sort();
}

test('RBAC: no wildcard, Secrets and ConfigMaps only in metallb-system, writes only where each component writes', () => {
  const objects = renderedObjects();
  for (const o of objects.filter((x) => x.kind === 'Role' || x.kind === 'ClusterRole')) {
    for (const g of grants(o)) assert.ok(!g.includes('*'), `${o.kind}/${o.metadata.name}: ${g}`);
  }
  for (const name of ['metallb-ts:controller', 'metallb-ts:speaker']) {
    const cluster = grants(theObject(objects, 'ClusterRole', name));
    assert.ok(!cluster.some((g) => /^core\/(secrets|configmaps) /.test(g)), `${name} reads no Secret or ConfigMap cluster-wide`);
    assert.ok(!cluster.some((g) => g.startsWith('metallb.io/')), `${name}: metallb.io objects only in the namespace`);
    assert.ok(!cluster.some((g) => / (delete|deletecollection)$/.test(g)), `${name} deletes nothing cluster-wide`);
  }
  const speakerCluster = grants(theObject(objects, 'ClusterRole', 'metallb-ts:speaker'));
  assert.ok(!speakerCluster.some((g) => g.startsWith('core/services') && !/ (list|watch)$/.test(g)), 'the speaker never writes a Service');
  const controllerNs = grants(theObject(objects, 'Role', 'metallb-ts-controller'));
  assert.ok(controllerNs.includes('coordination.k8s.io/leases update'), 'the controller renews its Lease');
  assert.ok(!controllerNs.some((g) => /servicebgpstatuses|bgpsessionstates/.test(g)), "the controller does not touch the speakers' status objects");
  // Each binding names its component's ServiceAccount in metallb-system.
  for (const o of objects.filter((x) => x.kind === 'RoleBinding' || x.kind === 'ClusterRoleBinding')) {
    const b = o as unknown as { roleRef: { name: string }; subjects: { kind: string; name: string; namespace: string }[] };
    const component = b.roleRef.name.endsWith('controller') ? 'controller' : 'speaker';
    assert.deepEqual(b.subjects, [{ kind: 'ServiceAccount', name: `metallb-ts-${component}`, namespace: 'metallb-system' }], o.metadata.name);
  }
});
