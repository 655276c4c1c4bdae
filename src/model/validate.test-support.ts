/**
 * Test-only samples of cluster objects as `kubectl get -o yaml` prints them (fields we drop included),
 * for the validation table, the fuzz tests and the manifest source tests.
 */
/** A realistic Service as `kubectl get -o yaml` prints it (extra fields included). */
export function sampleService(): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: 'web',
      namespace: 'shop',
      uid: '6f1c8a52-0000-4000-8000-000000000001',
      resourceVersion: '42',
      creationTimestamp: '2026-01-01T10:00:00Z',
      labels: { 'app.kubernetes.io/name': 'web' },
      annotations: { 'metallb.io/loadBalancerIPs': '192.168.20.10', 'kubectl.kubernetes.io/last-applied-configuration': '{}' },
      managedFields: [{ manager: 'kubectl', operation: 'Update' }],
    },
    spec: {
      type: 'LoadBalancer',
      clusterIP: '10.96.0.10',
      clusterIPs: ['10.96.0.10'],
      ipFamilies: ['IPv4'],
      ipFamilyPolicy: 'SingleStack',
      externalTrafficPolicy: 'Local',
      internalTrafficPolicy: 'Cluster',
      sessionAffinity: 'None',
      ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080, nodePort: 30080 }],
      selector: { app: 'web' },
    },
    status: { loadBalancer: { ingress: [{ ip: '192.168.20.10', ipMode: 'VIP' }] } },
  };
}

export function sampleEndpointSlice(): Record<string, unknown> {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: 'web-abcde', namespace: 'shop', labels: { 'kubernetes.io/service-name': 'web' } },
    addressType: 'IPv4',
    endpoints: [{ addresses: ['10.1.0.5'], conditions: { ready: true, serving: true, terminating: false }, nodeName: 'node-1', targetRef: { kind: 'Pod' } }],
    ports: [{ port: 8080, protocol: 'TCP' }],
  };
}

export function sampleNode(): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: 'node-1', labels: { 'kubernetes.io/hostname': 'node-1' } },
    spec: { podCIDR: '10.244.0.0/24' },
    status: {
      addresses: [
        { type: 'InternalIP', address: '192.168.1.11' },
        { type: 'Hostname', address: 'node-1' },
      ],
      conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', lastHeartbeatTime: '2026-01-01T10:00:00Z' }],
      images: [{ names: ['x'], sizeBytes: 1 }],
    },
  };
}

/** Sets (or, with `undefined`, deletes) the value at `path` inside `o`, in place; returns `o`. */
export function setPath(o: Record<string, unknown>, path: readonly (string | number)[], value: unknown): Record<string, unknown> {
  let cur: Record<string, unknown> = o;
  for (let i = 0; i < path.length - 1; i++) cur = cur[path[i] as string] as Record<string, unknown>;
  const last = path[path.length - 1] as string;
  if (value === undefined) delete cur[last];
  else cur[last] = value;
  return o;
}

