/**
 * The manifests of the scale benchmark (bench/scale.ts): N LoadBalancer Services shaped like
 * `kubectl get svc -A -o yaml` output and their EndpointSlices (one ready endpoint on every node),
 * laid out as a user would keep them, and the changes the benchmark makes to them.
 *
 * Layout of the manifests folder (beside the seed topology's 00-config.yaml, 01-nodes.yaml and
 * 10-argocd-server.yaml):
 * - `20-services.yaml`: one `kind: List` of most Services (about 410 bytes each, 41 MB at 100 000);
 * - `21-endpointslices.yaml`: one `kind: List` of most EndpointSlices;
 * - `30-svc-NAME.yaml`: a Service and its EndpointSlice in a small file of their own (the targets of
 *   the small-file removals and IP changes, and the small-file additions);
 * - `31-eps-NAME.yaml`: an EndpointSlice alone in a small file (the targets of the small-file
 *   not-ready changes; their Service is in the big file).
 *
 * Every Service asks for its IP in the bench pool (`benchIp`, the lab's 198.18.0.0/15): nine in ten
 * with the `metallb.io/loadBalancerIPs` annotation, one in ten (index ending in 3) with
 * `spec.loadBalancerIP`, so the prefix each change must add or withdraw is known in advance.
 *
 * Changes come in two edit styles: `small-file` (write a new small file, delete one, rewrite one) and
 * `big-file` (rewrite one of the two big files with one object added, removed or changed, as a user
 * editing a `kubectl get -o yaml` dump does). The big files are kept as one rendered chunk per
 * object, so a change renders one object and joins the chunks.
 */
import { benchIp } from '../test/interop/lab/seed-topology.js';

/** What a change does to a Service. */
export type ChangeKind = 'add' | 'remove' | 'changeIp' | 'notReady';
/** Every change kind, in the order the changes are interleaved. */
export const CHANGE_KINDS: readonly ChangeKind[] = ['add', 'remove', 'changeIp', 'notReady'];
/** Where a change is written. */
export type EditStyle = 'small-file' | 'big-file';

/** A file operation in the manifests folder. */
export type FileOp = { readonly op: 'write'; readonly file: string; readonly text: string } | { readonly op: 'remove'; readonly file: string };

/** What FRR's table must show for one prefix: `paths` paths (0: the prefix is gone). */
export interface PrefixExpectation {
  readonly prefix: string;
  readonly paths: number;
}

/** One change of the benchmark. */
export interface ChangeStep {
  readonly style: EditStyle;
  readonly kind: ChangeKind;
  /** A warm-up change is made and checked, but not counted. */
  readonly warmup: boolean;
  /** `namespace/name` of the Service changed. */
  readonly service: string;
  /** For an IP change, the field changed (`metallb.io/loadBalancerIPs` or `spec.loadBalancerIP`); else ''. */
  readonly field: string;
  /** What FRR shows before the change (checked, so a change never passes without doing anything). */
  readonly before: readonly PrefixExpectation[];
  /** What FRR shows once the change is applied. */
  readonly after: readonly PrefixExpectation[];
  /** Updates the model and returns the file operation that makes the change. Call once, in order. */
  prepare(): FileOp;
}

export interface ScaleManifestOptions {
  /** Services in the initial manifests. */
  readonly services: number;
  /** Node names with a ready endpoint of every Service. */
  readonly nodes: readonly string[];
  /** Edit styles to plan changes for. */
  readonly styles: readonly EditStyle[];
  /** Counted changes of each kind per style (25 for the benchmark's 100). */
  readonly changesPerKind: number;
  /** Uncounted warm-up changes of each kind per style, made first. */
  readonly warmupPerKind: number;
}

/** The big files' names. */
export const SERVICES_FILE = '20-services.yaml';
export const SLICES_FILE = '21-endpointslices.yaml';

type Home = 'big' | 'small';

interface ServiceModel {
  readonly index: number;
  readonly name: string;
  readonly namespace: string;
  ip: string;
  readonly ipInSpec: boolean;
  present: boolean;
  ready: boolean;
  readonly serviceHome: Home;
  /** 'with-service': in the Service's own small file; 'small': alone in a small file. */
  readonly sliceHome: 'big' | 'small' | 'with-service';
}

const NAMESPACES = 50;
const CREATED = Date.UTC(2026, 10, 20, 8, 0, 0);

/** Hex digits of a 32-bit mix of `n` (deterministic uids and name suffixes). */
function hash32(n: number, salt: number): string {
  let h = (n ^ salt) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x45d9f3b) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x45d9f3b) >>> 0;
  h = (h ^ (h >>> 16)) >>> 0;
  return h.toString(16).padStart(8, '0');
}

function uid(index: number): string {
  const a = hash32(index, 0x1234567);
  const b = hash32(index, 0x7654321);
  const c = hash32(index, 0x0badf00);
  return `${a}-${b.slice(0, 4)}-4${b.slice(5, 8)}-8${c.slice(1, 4)}-${c.slice(4)}${index.toString(16).padStart(8, '0').slice(-8)}`;
}

/** A cluster IP in 10.96.0.0/12 (a string in the manifest only; never configured anywhere). */
function clusterIp(index: number): string {
  const n = index + 10;
  return `10.${96 + ((n >> 16) & 0x0f)}.${(n >> 8) & 0xff}.${n & 0xff}`;
}

/** A pod IP in 10.244.0.0/14 (a string in the manifest only). */
function podIp(index: number, node: number): string {
  const n = index * 4 + node + 2;
  return `10.${244 + ((n >> 16) & 0x03)}.${(n >> 8) & 0xff}.${n & 0xff}`;
}

function serviceLines(s: ServiceModel): string[] {
  const created = new Date(CREATED + s.index * 1000).toISOString().replace('.000Z', 'Z');
  const lines = ['apiVersion: v1', 'kind: Service', 'metadata:', '  annotations:'];
  if (s.ipInSpec) lines.push(`    app.example.com/owner: team-${s.index % NAMESPACES}`);
  else lines.push(`    metallb.io/loadBalancerIPs: ${s.ip}`);
  lines.push(
    `  creationTimestamp: "${created}"`,
    '  labels:',
    `    app: ${s.name}`,
    `  name: ${s.name}`,
    `  namespace: ${s.namespace}`,
    `  uid: ${uid(s.index)}`,
    'spec:',
    `  clusterIP: ${clusterIp(s.index)}`,
    '  externalTrafficPolicy: Cluster',
    '  ipFamilies:',
    '  - IPv4',
  );
  if (s.ipInSpec) lines.push(`  loadBalancerIP: ${s.ip}`);
  lines.push(
    '  ports:',
    '  - name: http',
    '    port: 80',
    '    protocol: TCP',
    '    targetPort: 8080',
    '  selector:',
    `    app: ${s.name}`,
    '  type: LoadBalancer',
  );
  return lines;
}

function sliceLines(s: ServiceModel, nodes: readonly string[]): string[] {
  const lines = ['addressType: IPv4', 'apiVersion: discovery.k8s.io/v1', 'endpoints:'];
  const ready = s.ready ? 'true' : 'false';
  for (let i = 0; i < nodes.length; i++) {
    lines.push(
      '- addresses:',
      `  - ${podIp(s.index, i)}`,
      '  conditions:',
      `    ready: ${ready}`,
      `    serving: ${ready}`,
      '    terminating: false',
      `  nodeName: ${nodes[i] ?? ''}`,
    );
  }
  lines.push(
    'kind: EndpointSlice',
    'metadata:',
    '  labels:',
    `    kubernetes.io/service-name: ${s.name}`,
    `  name: ${s.name}-${hash32(s.index, 0x51ce).slice(0, 5)}`,
    `  namespace: ${s.namespace}`,
    'ports:',
    '- name: http',
    '  port: 8080',
    '  protocol: TCP',
  );
  return lines;
}

/** Lines of one object as an item of a YAML list (`- ` before the first line, two spaces before the others). */
function listItem(lines: readonly string[]): string {
  let out = '';
  for (let i = 0; i < lines.length; i++) out += (i === 0 ? '- ' : '  ') + lines[i] + '\n';
  return out;
}

function documentText(lines: readonly string[]): string {
  return lines.join('\n') + '\n';
}

/** A `kind: List` as `kubectl get -o yaml` writes it, from rendered list items. */
function listText(items: readonly string[]): string {
  let out = 'apiVersion: v1\nitems:\n';
  for (const item of items) out += item;
  return out + 'kind: List\nmetadata:\n  resourceVersion: ""\n';
}

/**
 * The manifests of one benchmark run and its planned changes. `initialFiles()` gives the folder's
 * files before the speakers start; `changes(style)` the changes in the order to make them.
 */
export class ScaleManifests {
  private readonly models: ServiceModel[] = [];
  private readonly serviceChunks: string[] = [];
  private readonly sliceChunks: string[] = [];
  private readonly steps = new Map<EditStyle, ChangeStep[]>();
  private nextIp: number;

  constructor(readonly options: ScaleManifestOptions) {
    const { services, styles, changesPerKind, warmupPerKind } = options;
    const perKind = changesPerKind + warmupPerKind;
    // Targets of removals, IP changes and not-ready changes: spread over the index range.
    const targetsNeeded = styles.length * 3 * perKind;
    if (services < targetsNeeded * 4) throw new Error(`${services} services are too few for ${targetsNeeded} change targets (need at least ${targetsNeeded * 4})`);
    const used = new Set<number>();
    let slot = 0;
    const pick = (want: (i: number) => boolean): number => {
      const base = Math.floor(((slot++ + 0.5) * services) / targetsNeeded);
      for (let k = 0; k < services; k++) {
        const i = (base + k) % services;
        if (!used.has(i) && want(i)) {
          used.add(i);
          return i;
        }
      }
      throw new Error('no free change target');
    };
    const isSpec = (i: number): boolean => i % 10 === 3;
    const plan = new Map<EditStyle, Record<'remove' | 'changeIp' | 'notReady', number[]>>();
    for (const style of styles) plan.set(style, { remove: [], changeIp: [], notReady: [] });
    // Interleave the picks so each kind's targets spread over the whole range.
    for (let j = 0; j < perKind; j++) {
      for (const style of styles) {
        const p = plan.get(style);
        if (!p) continue;
        p.remove.push(pick(() => true));
        // IP changes alternate between the annotation and spec.loadBalancerIP.
        p.changeIp.push(pick((i) => isSpec(i) === (j % 2 === 1)));
        p.notReady.push(pick(() => true));
      }
    }
    const small = plan.get('small-file');
    const ownFile = new Set([...(small?.remove ?? []), ...(small?.changeIp ?? [])]);
    const ownSlice = new Set(small?.notReady ?? []);

    for (let i = 0; i < services; i++) {
      const home: Home = ownFile.has(i) ? 'small' : 'big';
      this.models.push({
        index: i,
        name: `svc-${i}`,
        namespace: `team-${i % NAMESPACES}`,
        ip: benchIp(i),
        ipInSpec: isSpec(i),
        present: true,
        ready: true,
        serviceHome: home,
        sliceHome: home === 'small' ? 'with-service' : ownSlice.has(i) ? 'small' : 'big',
      });
    }
    // Services to add: indices after the initial ones. The big-file additions' EndpointSlices are in
    // the big slices file from the start, so an addition is one write of the services file.
    const adds = new Map<EditStyle, ServiceModel[]>();
    let next = services;
    for (const style of styles) {
      const list: ServiceModel[] = [];
      for (let j = 0; j < perKind; j++) {
        const i = next++;
        const home: Home = style === 'small-file' ? 'small' : 'big';
        const m: ServiceModel = {
          index: i,
          name: `svc-${i}`,
          namespace: `team-${i % NAMESPACES}`,
          ip: benchIp(i),
          ipInSpec: false,
          present: false,
          ready: true,
          serviceHome: home,
          sliceHome: home === 'small' ? 'with-service' : 'big',
        };
        this.models.push(m);
        list.push(m);
      }
      adds.set(style, list);
    }
    this.nextIp = next;
    for (const m of this.models) {
      this.serviceChunks.push(m.present && m.serviceHome === 'big' ? listItem(serviceLines(m)) : '');
      this.sliceChunks.push(m.sliceHome === 'big' ? listItem(sliceLines(m, options.nodes)) : '');
    }
    for (const style of styles) {
      const p = plan.get(style);
      const a = adds.get(style);
      if (p && a) this.steps.set(style, this.planSteps(style, p, a));
    }
  }

  /** The manifests folder's benchmark files before the speakers start, by file name. */
  initialFiles(): Record<string, string> {
    const files: Record<string, string> = {
      [SERVICES_FILE]: listText(this.serviceChunks),
      [SLICES_FILE]: listText(this.sliceChunks),
    };
    for (const m of this.models) {
      if (m.present && m.serviceHome === 'small') files[this.ownFile(m)] = this.ownFileText(m);
      if (m.sliceHome === 'small') files[this.sliceFile(m)] = documentText(sliceLines(m, this.options.nodes));
    }
    return files;
  }

  /** The planned changes of one style: the warm-up ones first, then the kinds interleaved. */
  changes(style: EditStyle): readonly ChangeStep[] {
    return this.steps.get(style) ?? [];
  }

  private ownFile(m: ServiceModel): string {
    return `30-svc-${m.name}.yaml`;
  }

  private sliceFile(m: ServiceModel): string {
    return `31-eps-${m.name}.yaml`;
  }

  private ownFileText(m: ServiceModel): string {
    return `---\n${documentText(serviceLines(m))}---\n${documentText(sliceLines(m, this.options.nodes))}`;
  }

  private servicesFileOp(): FileOp {
    return { op: 'write', file: SERVICES_FILE, text: listText(this.serviceChunks) };
  }

  private planSteps(style: EditStyle, targets: Record<'remove' | 'changeIp' | 'notReady', number[]>, adds: readonly ServiceModel[]): ChangeStep[] {
    const k = this.options.nodes.length;
    const perKind = this.options.changesPerKind + this.options.warmupPerKind;
    const steps: ChangeStep[] = [];
    const model = (i: number | undefined): ServiceModel => {
      const m = i === undefined ? undefined : this.models[i];
      if (!m) throw new Error(`no service ${String(i)}`);
      return m;
    };
    for (let j = 0; j < perKind; j++) {
      const warmup = j < this.options.warmupPerKind;
      for (const kind of CHANGE_KINDS) {
        const key = (m: ServiceModel): string => `${m.namespace}/${m.name}`;
        switch (kind) {
          case 'add': {
            const m = adds[j];
            if (!m) throw new Error('no service to add');
            steps.push({
              style, kind, warmup, service: key(m), field: '',
              before: [{ prefix: `${m.ip}/32`, paths: 0 }],
              after: [{ prefix: `${m.ip}/32`, paths: k }],
              prepare: () => {
                m.present = true;
                if (style === 'small-file') return { op: 'write', file: this.ownFile(m), text: this.ownFileText(m) };
                this.serviceChunks[m.index] = listItem(serviceLines(m));
                return this.servicesFileOp();
              },
            });
            break;
          }
          case 'remove': {
            const m = model(targets.remove[j]);
            steps.push({
              style, kind, warmup, service: key(m), field: '',
              before: [{ prefix: `${m.ip}/32`, paths: k }],
              after: [{ prefix: `${m.ip}/32`, paths: 0 }],
              prepare: () => {
                m.present = false;
                if (style === 'small-file') return { op: 'remove', file: this.ownFile(m) };
                this.serviceChunks[m.index] = '';
                return this.servicesFileOp();
              },
            });
            break;
          }
          case 'changeIp': {
            const m = model(targets.changeIp[j]);
            const oldIp = m.ip;
            const newIp = benchIp(this.nextIp++);
            steps.push({
              style, kind, warmup, service: key(m), field: m.ipInSpec ? 'spec.loadBalancerIP' : 'metallb.io/loadBalancerIPs',
              before: [{ prefix: `${oldIp}/32`, paths: k }, { prefix: `${newIp}/32`, paths: 0 }],
              after: [{ prefix: `${newIp}/32`, paths: k }, { prefix: `${oldIp}/32`, paths: 0 }],
              prepare: () => {
                m.ip = newIp;
                if (style === 'small-file') return { op: 'write', file: this.ownFile(m), text: this.ownFileText(m) };
                this.serviceChunks[m.index] = listItem(serviceLines(m));
                return this.servicesFileOp();
              },
            });
            break;
          }
          case 'notReady': {
            const m = model(targets.notReady[j]);
            steps.push({
              style, kind, warmup, service: key(m), field: '',
              before: [{ prefix: `${m.ip}/32`, paths: k }],
              after: [{ prefix: `${m.ip}/32`, paths: 0 }],
              prepare: () => {
                m.ready = false;
                if (style === 'small-file') return { op: 'write', file: this.sliceFile(m), text: documentText(sliceLines(m, this.options.nodes)) };
                this.sliceChunks[m.index] = listItem(sliceLines(m, this.options.nodes));
                return { op: 'write', file: SLICES_FILE, text: listText(this.sliceChunks) };
              },
            });
            break;
          }
        }
      }
    }
    return steps;
  }
}
