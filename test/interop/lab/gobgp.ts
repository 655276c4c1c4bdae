/**
 * GoBGP (gobgpd) inside a lab namespace: a TOML config generated from parameters, the gRPC API on
 * 127.0.0.1:PORT inside the namespace, and `gobgp -p PORT ... -j` queries parsed as JSON.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Lab, LabProcess, Namespace } from './lab.js';
import { waitUntil } from './lab.js';

export interface GobgpNeighbor {
  readonly address: string;
  readonly peerAs: number;
  readonly families?: readonly ('ipv4' | 'ipv6')[];
  readonly holdTime?: number;
  readonly keepalive?: number;
  readonly passive?: boolean;
  readonly localAddress?: string;
  /** Neighbor's TCP port (default 179). */
  readonly port?: number;
}

export interface GobgpOptions {
  readonly asn: number;
  readonly routerId: string;
  readonly neighbors: readonly GobgpNeighbor[];
  /** BGP listen port (default 179; -1 does not listen). */
  readonly listenPort?: number;
  /** gRPC API port on 127.0.0.1 inside the namespace (default 50051). */
  readonly apiPort?: number;
}

/** Generates gobgpd's TOML config. */
export function gobgpConfig(o: GobgpOptions): string {
  const l: string[] = ['[global.config]', `  as = ${o.asn}`, `  router-id = "${o.routerId}"`, `  port = ${o.listenPort ?? 179}`];
  for (const n of o.neighbors) {
    l.push('', '[[neighbors]]', '  [neighbors.config]', `    neighbor-address = "${n.address}"`, `    peer-as = ${n.peerAs}`);
    l.push('  [neighbors.timers.config]', '    connect-retry = 1', `    hold-time = ${n.holdTime ?? 9}`, `    keepalive-interval = ${n.keepalive ?? 3}`);
    l.push('  [neighbors.transport.config]', `    passive-mode = ${n.passive ? 'true' : 'false'}`);
    if (n.localAddress) l.push(`    local-address = "${n.localAddress}"`);
    if (n.port !== undefined) l.push(`    remote-port = ${n.port}`);
    for (const f of n.families ?? [n.address.includes(':') ? 'ipv6' : 'ipv4']) {
      l.push('  [[neighbors.afi-safis]]', '    [neighbors.afi-safis.config]', `      afi-safi-name = "${f}-unicast"`);
    }
  }
  return l.join('\n') + '\n';
}

/** A running gobgpd. */
export class Gobgp {
  proc: LabProcess | undefined;
  readonly apiPort: number;
  readonly confFile: string;

  constructor(
    readonly lab: Lab,
    readonly ns: Namespace,
    readonly options: GobgpOptions,
    readonly name = 'gobgp',
  ) {
    this.apiPort = options.apiPort ?? 50051;
    this.confFile = join(lab.dir, `${name}.toml`);
  }

  async start(): Promise<this> {
    writeFileSync(this.confFile, gobgpConfig(this.options));
    this.proc = this.lab.spawn(this.ns.name, this.name, '/usr/bin/gobgpd', [
      '-f', this.confFile, '-t', 'toml', '--api-hosts', `127.0.0.1:${this.apiPort}`, '--pprof-disable', '-p',
    ]);
    await waitUntil(async () => (await this.cli(['global'])).includes('AS:'), { timeoutMs: 15_000, intervalMs: 100, what: 'gobgpd API' });
    return this;
  }

  /** Runs the gobgp CLI against this daemon (inside its namespace). */
  cli(args: readonly string[], timeoutMs = 30_000): Promise<string> {
    return this.lab.exec(this.ns.name, '/usr/bin/gobgp', ['-p', String(this.apiPort), ...args], { timeoutMs });
  }

  /** `gobgp global rib -a FAMILY -j`: prefix -> paths. */
  async rib(family: 'ipv4' | 'ipv6' = 'ipv4'): Promise<Record<string, GobgpPath[]>> {
    const out = await this.cli(['global', 'rib', '-a', family, '-j']);
    return JSON.parse(out.trim() || '{}') as Record<string, GobgpPath[]>;
  }

  /** `gobgp neighbor -j`: every neighbor's state. */
  async neighbors(): Promise<GobgpNeighborJson[]> {
    return JSON.parse(await this.cli(['neighbor', '-j'])) as GobgpNeighborJson[];
  }

  /**
   * The session state of one neighbor in lower case (`established`, `active`, ...). gobgp 3.10 prints
   * the state as the number of its protobuf enum (6 = ESTABLISHED).
   */
  async neighborState(address: string): Promise<string | undefined> {
    const n = (await this.neighbors()).find((x) => x.conf?.neighbor_address === address);
    const s = n?.state?.session_state;
    if (typeof s === 'number') return GOBGP_STATES[s];
    return s?.toLowerCase();
  }

  async waitEstablished(address: string, timeoutMs = 20_000): Promise<void> {
    await waitUntil(async () => (await this.neighborState(address)) === 'established', { timeoutMs, what: `GoBGP neighbor ${address} established` });
  }

  /** Adds one route to the global RIB (announced to every neighbor of its family). */
  async addRoute(prefix: string, attrs: readonly string[] = []): Promise<void> {
    await this.cli(['global', 'rib', '-a', prefix.includes(':') ? 'ipv6' : 'ipv4', 'add', prefix, ...attrs]);
  }
}

/** apipb.PeerState.SessionState. */
const GOBGP_STATES: Record<number, string> = { 0: 'unknown', 1: 'idle', 2: 'connect', 3: 'active', 4: 'opensent', 5: 'openconfirm', 6: 'established' };

/** One path in `gobgp global rib -j`. */
export interface GobgpPath {
  readonly nlri?: { readonly prefix?: string };
  readonly attrs?: readonly GobgpAttr[];
  readonly best?: boolean;
  readonly 'source-id'?: string;
  readonly 'neighbor-ip'?: string;
}

/** A path attribute as gobgp prints it; `type` is the attribute type code. */
export interface GobgpAttr {
  readonly type: number;
  readonly [key: string]: unknown;
}

export interface GobgpNeighborJson {
  readonly conf?: { readonly neighbor_address?: string; readonly peer_asn?: number };
  readonly state?: {
    readonly session_state?: string | number;
    readonly messages?: { readonly received?: { readonly update?: number; readonly notification?: number } };
  };
}

export async function startGobgp(lab: Lab, ns: Namespace, options: GobgpOptions, name = 'gobgp'): Promise<Gobgp> {
  return new Gobgp(lab, ns, options, name).start();
}
