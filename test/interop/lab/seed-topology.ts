/**
 * The seed scenario for real (shared/seed/metallb-bgp-mode.md, recipe in shared/notes/lab.md): a
 * router namespace running FRR (AS 64512, router-id 10.10.10.1, `maximum-paths ibgp 8`) holding the
 * lab bridge; one namespace per node (10.10.10.116, 10.10.10.117) running `metallb-ts run` on a
 * generated manifest folder (the seed's ConfigMap verbatim, the Nodes, the `argocd/argocd-server`
 * Service and its EndpointSlice); each node holds the service IP on `lo` with a tiny HTTP server bound
 * to it that answers with the node's name (standing in for kube-proxy); and a client namespace
 * (172.31.0.0/24) behind the router, which forwards with an L4 multipath hash.
 *
 * Used by `npm run lab` (scripts/lab.mjs), the interop tests and the convergence benchmark. All
 * processes are started through the `Lab` (killed by pid in its teardown), all namespaces carry the
 * lab's random suffix, all addresses live inside them.
 */
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Frr } from './frr.js';
import { startFrr } from './frr.js';
import type { Lab, LabProcess, Namespace } from './lab.js';
import { waitUntil } from './lab.js';

/** The `metallb-ts` executable of this checkout (it loads the compiled dist/). */
export const METALLB_TS_BIN = fileURLToPath(new URL('../../../../bin/metallb-ts', import.meta.url));

/** The seed's router address and AS. */
export const ROUTER_V4 = '10.10.10.1';
export const ROUTER_ASN = 64512;
/** The service IP of `argocd/argocd-server` in the seed's logs. */
export const SERVICE_IP = '10.10.10.12';
/** The client link behind the router. */
export const CLIENT_ROUTER_V4 = '172.31.0.1';
export const CLIENT_V4 = '172.31.0.2';

/** The seed's ConfigMap, verbatim (shared/seed/metallb-bgp-mode.md). */
export const SEED_CONFIGMAP = `apiVersion: v1
kind: ConfigMap
metadata:
  namespace: metallb-system
  name: config
data:
  config: |
    peers:
    - peer-address: 10.10.10.1
      peer-asn: 64512
      my-asn: 64512
    address-pools:
    - name: default
      protocol: bgp
      addresses:
      - 10.10.10.10-10.10.10.98
      avoid-buggy-ips: true
`;

/**
 * The seed's ConfigMap with a second pool `bench` for many services (198.18.0.0/15, the benchmarking
 * range of RFC 2544; only ever routed inside the lab's namespaces), not auto-assigned: its services
 * ask for their IP with `metallb.io/loadBalancerIPs`.
 */
export const SEED_CONFIGMAP_WITH_BENCH_POOL = SEED_CONFIGMAP.replace(
  '      avoid-buggy-ips: true\n',
  '      avoid-buggy-ips: true\n    - name: bench\n      protocol: bgp\n      auto-assign: false\n      addresses:\n      - 198.18.0.0/15\n',
);

/** The i-th address of the bench pool: 198.18.0.1, 198.18.0.2, ... (never a .0 or .255). */
export function benchIp(i: number): string {
  const n = Math.floor(i / 254) * 256 + (i % 254) + 1;
  return `198.${18 + (n >> 16)}.${(n >> 8) & 0xff}.${n & 0xff}`;
}

/** A Node object with its InternalIP. */
export function nodeManifest(name: string, address: string, labels: Readonly<Record<string, string>> = {}): string {
  const extra = Object.entries(labels).map(([k, v]) => `\n    ${JSON.stringify(k)}: ${JSON.stringify(v)}`).join('');
  return `apiVersion: v1
kind: Node
metadata:
  name: ${name}
  labels:
    kubernetes.io/hostname: ${name}${extra}
status:
  addresses:
  - type: InternalIP
    address: ${address}
  - type: Hostname
    address: ${name}
`;
}

/** What `serviceManifests` generates. */
export interface ServiceSpec {
  readonly namespace: string;
  readonly name: string;
  /** Asks for this IP (`metallb.io/loadBalancerIPs`); without it the allocator picks. */
  readonly ip?: string;
  /** Nodes with a ready endpoint of the service. */
  readonly endpointNodes: readonly string[];
  readonly labels?: Readonly<Record<string, string>>;
}

/**
 * A LoadBalancer Service (externalTrafficPolicy Cluster, port 80) and its EndpointSlice with one
 * ready endpoint per node in `endpointNodes`, as JSON documents (valid YAML, quick to parse).
 */
export function serviceManifests(s: ServiceSpec, index = 0): string {
  const [service, slice] = serviceObjects(s, index);
  return `---\n${JSON.stringify(service)}\n---\n${JSON.stringify(slice)}\n`;
}

/**
 * Many objects as one JSON `kind: List` (what `kubectl get -o json` writes); the manifest reader
 * parses a JSON file with JSON.parse, so thousands of services load in milliseconds.
 */
export function manifestList(objects: readonly object[]): string {
  return JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects });
}

/** The Service and EndpointSlice objects of `serviceManifests`. */
export function serviceObjects(s: ServiceSpec, index = 0): [object, object] {
  const service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      namespace: s.namespace,
      name: s.name,
      ...(s.labels ? { labels: s.labels } : {}),
      ...(s.ip !== undefined ? { annotations: { 'metallb.io/loadBalancerIPs': s.ip } } : {}),
    },
    spec: {
      type: 'LoadBalancer',
      externalTrafficPolicy: 'Cluster',
      ipFamilies: ['IPv4'],
      ipFamilyPolicy: 'SingleStack',
      selector: { app: s.name },
      ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }],
    },
  };
  const slice = {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { namespace: s.namespace, name: `${s.name}-ep`, labels: { 'kubernetes.io/service-name': s.name } },
    addressType: 'IPv4',
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    endpoints: s.endpointNodes.map((node, i) => ({
      addresses: [`10.244.${(index >> 8) & 0xff}.${((index & 0xff) + i) & 0xff}`],
      conditions: { ready: true, serving: true, terminating: false },
      nodeName: node,
    })),
  };
  return [service, slice];
}

/** The seed's `argocd/argocd-server` Service (on 10.10.10.12) with endpoints on `nodes`. */
export function argocdManifests(nodes: readonly string[]): string {
  return serviceManifests({ namespace: 'argocd', name: 'argocd-server', ip: SERVICE_IP, endpointNodes: nodes });
}

/** One node of the scenario. */
export interface SeedNode {
  readonly name: string;
  readonly ns: Namespace;
  readonly address: string;
  /** The latest `metallb-ts run` process (undefined before `startSpeaker`). */
  speaker: LabProcess | undefined;
  /** The HTTP server standing in for kube-proxy, if started. */
  http: LabProcess | undefined;
}

export interface SeedTopologyOptions {
  /** Host numbers of the nodes on the lab link (default 116 and 117, as in the seed). */
  readonly nodeHosts?: readonly number[];
  /** Build the client namespace and the HTTP servers (default true). */
  readonly client?: boolean;
  /** Start the speakers (default true). */
  readonly startSpeakers?: boolean;
  /** Extra files (name -> text) for the manifests folder. */
  readonly extraManifests?: Readonly<Record<string, string>>;
  /** Leave out the argocd Service (default false). */
  readonly withoutArgocd?: boolean;
  /** `--log-level` of the speakers (default info). */
  readonly logLevel?: string;
  /** More `metallb-ts run` arguments (for example `--drain-time 0`). */
  readonly speakerArgs?: readonly string[];
  /** Prefix of the namespaces' roles, so that a test's namespaces are recognisable (default none). */
  readonly rolePrefix?: string;
}

/** The seed's node name for a host number (node-116, node-117). */
export function nodeName(host: number): string {
  return `node-${host}`;
}

// A client that makes one HTTP/1.0 request per local port and prints the answers as JSON: the source
// port is what the router's L4 multipath hash (fib_multipath_hash_policy=1) spreads on.
const CLIENT_SCRIPT = `
const net = require('node:net');
const [host, first, count] = [process.argv[1], Number(process.argv[2]), Number(process.argv[3])];
const one = (localPort) => new Promise((resolve) => {
  let data = '';
  const s = net.connect({ host, port: 80, localPort, timeout: 3000 });
  s.on('connect', () => s.write('GET / HTTP/1.0\\r\\nHost: ' + host + '\\r\\n\\r\\n'));
  s.on('data', (d) => { data += d; });
  s.on('timeout', () => s.destroy(new Error('timeout')));
  s.on('error', (e) => resolve({ localPort, error: e.message }));
  s.on('close', () => { const i = data.indexOf('\\r\\n\\r\\n'); resolve({ localPort, body: i < 0 ? data : data.slice(i + 4).trim() }); });
});
(async () => {
  const out = [];
  for (let i = 0; i < count; i++) out.push(await one(first + i));
  process.stdout.write(JSON.stringify(out));
})();
`;

const SERVER_SCRIPT = `
const http = require('node:http');
const [ip, name] = [process.argv[1], process.argv[2]];
http.createServer((req, res) => { res.setHeader('connection', 'close'); res.end(name + '\\n'); }).listen(80, ip, () => process.stdout.write('listening\\n'));
`;

/** One client request's outcome. */
export interface ClientAnswer {
  readonly localPort: number;
  readonly body?: string;
  readonly error?: string;
}

/** The running scenario. */
export class SeedTopology {
  readonly manifestsDir: string;
  router!: Namespace;
  frr!: Frr;
  client: Namespace | undefined;
  readonly nodes: SeedNode[] = [];
  private nextClientPort = 40000;

  constructor(
    readonly lab: Lab,
    readonly options: SeedTopologyOptions = {},
  ) {
    this.manifestsDir = join(lab.dir, 'manifests');
  }

  /** Builds the namespaces, starts FRR (and the HTTP servers and speakers unless told not to). */
  async start(): Promise<this> {
    const o = this.options;
    const hosts = o.nodeHosts ?? [116, 117];
    const role = o.rolePrefix ?? '';
    this.router = await this.lab.addSwitch(`${role}router`, 1);
    for (const h of hosts) {
      const ns = await this.lab.addHost(`${role}n${h}`, h);
      this.nodes.push({ name: nodeName(h), ns, address: ns.v4, speaker: undefined, http: undefined });
    }
    // The switch of the seed: every node a neighbor, one ECMP route via all of them.
    this.frr = await startFrr(this.lab, this.router, {
      asn: ROUTER_ASN,
      routerId: ROUTER_V4,
      neighbors: this.nodes.map((n) => ({ address: n.address, remoteAs: ROUTER_ASN })),
      ipv4Extra: ['maximum-paths ibgp 8'],
    });

    mkdirSync(this.manifestsDir, { recursive: true });
    this.writeManifest('00-config.yaml', SEED_CONFIGMAP);
    this.writeManifest('01-nodes.yaml', this.nodes.map((n) => nodeManifest(n.name, n.address)).join('---\n'));
    if (!o.withoutArgocd) this.writeManifest('10-argocd-server.yaml', argocdManifests(this.nodes.map((n) => n.name)));
    for (const [name, text] of Object.entries(o.extraManifests ?? {})) this.writeManifest(name, text);

    if (o.client ?? true) await this.startClientSide();
    if (o.startSpeakers ?? true) for (const n of this.nodes) this.startSpeaker(n);
    return this;
  }

  private async startClientSide(): Promise<void> {
    const r = this.router.name;
    await this.lab.exec(r, 'sysctl', ['-q', '-w', 'net.ipv4.ip_forward=1']);
    await this.lab.exec(r, 'sysctl', ['-q', '-w', 'net.ipv4.fib_multipath_hash_policy=1']);
    const client = await this.lab.addIsolated(`${this.options.rolePrefix ?? ''}client`);
    this.client = client;
    await this.lab.addLink(r, `mc${this.lab.id}`, client.name, 'eth0');
    await this.lab.exec(r, 'ip', ['addr', 'add', `${CLIENT_ROUTER_V4}/24`, 'dev', `mc${this.lab.id}`]);
    await this.lab.exec(client.name, 'ip', ['addr', 'add', `${CLIENT_V4}/24`, 'dev', 'eth0']);
    await this.lab.exec(client.name, 'ip', ['route', 'add', 'default', 'via', CLIENT_ROUTER_V4]);
    for (const n of this.nodes) {
      // The answers go back through the router; the service IP lives on lo, as kube-proxy's would.
      await this.lab.exec(n.ns.name, 'ip', ['route', 'add', '172.31.0.0/24', 'via', ROUTER_V4]);
      await this.lab.exec(n.ns.name, 'ip', ['addr', 'add', `${SERVICE_IP}/32`, 'dev', 'lo']);
      n.http = this.lab.spawn(n.ns.name, `http-${n.name}`, process.execPath, ['-e', SERVER_SCRIPT, SERVICE_IP, n.name]);
    }
    for (const n of this.nodes) {
      const http = n.http;
      if (http) await waitUntil(() => this.lab.log(http).includes('listening'), { timeoutMs: 10_000, intervalMs: 50, what: `HTTP server on ${n.name}` });
    }
  }

  /** Writes (atomically: temp file, rename) one file of the manifests folder. */
  writeManifest(name: string, text: string): void {
    const tmp = join(this.manifestsDir, `.${name}.tmp`);
    writeFileSync(tmp, text);
    renameSync(tmp, join(this.manifestsDir, name));
  }

  /** Removes one file of the manifests folder. */
  removeManifest(name: string): void {
    rmSync(join(this.manifestsDir, name), { force: true });
  }

  /** Starts `metallb-ts run` for a node. */
  startSpeaker(n: SeedNode): LabProcess {
    const args = [
      METALLB_TS_BIN, 'run', '--node', n.name, '--manifests', this.manifestsDir, '--log-level', this.options.logLevel ?? 'info',
      ...(this.options.speakerArgs ?? []),
    ];
    n.speaker = this.lab.spawn(n.ns.name, `speaker-${n.name}`, process.execPath, args);
    return n.speaker;
  }

  /** Sends SIGTERM to a node's speaker; resolves when it has exited. */
  async stopSpeaker(n: SeedNode): Promise<void> {
    const p = n.speaker;
    if (!p) return;
    process.kill(p.pid, 'SIGTERM');
    await p.exited;
  }

  /** The node by name. */
  node(name: string): SeedNode {
    const n = this.nodes.find((x) => x.name === name);
    if (!n) throw new Error(`no node ${name}`);
    return n;
  }

  /** Waits until FRR reports every node Established. */
  async waitEstablished(timeoutMs = 20_000): Promise<void> {
    for (const n of this.nodes) await this.frr.waitEstablished(n.address, timeoutMs);
  }

  /** The next hops of FRR's installed route for `prefix` (`show ip route PREFIX json`), sorted. */
  async routeNexthops(prefix: string): Promise<string[]> {
    const j = await this.frr.json<Record<string, FrrRoute[]>>(`show ip route ${prefix}`);
    const route = (j[prefix] ?? []).find((r) => r.protocol === 'bgp' && r.selected);
    return (route?.nexthops ?? []).filter((h) => h.active && h.ip !== undefined).map((h) => h.ip as string).sort();
  }

  /** Waits until FRR's route for `prefix` goes via exactly `nexthops`. */
  async waitRoute(prefix: string, nexthops: readonly string[], timeoutMs = 20_000): Promise<void> {
    const want = [...nexthops].sort().join(',');
    await waitUntil(async () => (await this.routeNexthops(prefix)).join(',') === want, {
      timeoutMs,
      intervalMs: 100,
      what: `FRR route ${prefix} via [${want}]`,
    });
  }

  /** `count` requests from the client to the service IP, each from its own source port. */
  async clientRequests(count: number): Promise<ClientAnswer[]> {
    if (!this.client) throw new Error('no client namespace');
    const first = this.nextClientPort;
    this.nextClientPort += count;
    const out = await this.lab.exec(this.client.name, process.execPath, ['-e', CLIENT_SCRIPT, SERVICE_IP, String(first), String(count)], { timeoutMs: 30_000 });
    return JSON.parse(out) as ClientAnswer[];
  }

  /** Each node's speaker log. */
  speakerLogs(): { node: string; log: string }[] {
    return this.nodes.map((n) => ({ node: n.name, log: n.speaker ? this.lab.log(n.speaker) : '' }));
  }
}

/** One route of `show ip route PREFIX json`. */
export interface FrrRoute {
  readonly prefix?: string;
  readonly protocol?: string;
  readonly selected?: boolean;
  readonly installed?: boolean;
  readonly nexthops?: readonly { readonly ip?: string; readonly active?: boolean; readonly fib?: boolean }[];
}

/** Builds and starts the seed scenario in `lab`. */
export function startSeedTopology(lab: Lab, options: SeedTopologyOptions = {}): Promise<SeedTopology> {
  return new SeedTopology(lab, options).start();
}
