/**
 * ExaBGP 4.2 inside a lab namespace, as in the checked receiver recipe: run as root in the
 * foreground, one neighbor block per peer with `listen`, and an API process that appends every JSON
 * line ExaBGP emits (state changes, OPENs, UPDATEs, NOTIFICATIONs) to a file the tests read back.
 */
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Lab, LabProcess, Namespace } from './lab.js';
import { waitUntil } from './lab.js';

export interface ExabgpNeighbor {
  readonly address: string;
  readonly localAddress: string;
  readonly peerAs: number;
  readonly families?: readonly ('ipv4' | 'ipv6')[];
  readonly holdTime?: number;
  readonly passive?: boolean;
  /** Static routes, ExaBGP syntax after `route` (e.g. `198.51.100.1/32 next-hop self med 50`). */
  readonly routes?: readonly string[];
}

export interface ExabgpOptions {
  readonly asn: number;
  readonly routerId: string;
  readonly neighbors: readonly ExabgpNeighbor[];
  /** TCP port ExaBGP listens on (default 179). */
  readonly listenPort?: number;
}

export function exabgpConfig(o: ExabgpOptions, collectScript: string): string {
  const l: string[] = [`process collect {`, `  run ${collectScript};`, '  encoder json;', '}'];
  for (const n of o.neighbors) {
    l.push(`neighbor ${n.address} {`, `  router-id ${o.routerId};`, `  local-address ${n.localAddress};`);
    l.push(`  local-as ${o.asn};`, `  peer-as ${n.peerAs};`, `  hold-time ${n.holdTime ?? 9};`);
    l.push(`  listen ${o.listenPort ?? 179};`);
    if (n.passive) l.push('  passive;');
    l.push('  capability { route-refresh; }');
    l.push('  family {', ...(n.families ?? ['ipv4', 'ipv6']).map((f) => `    ${f} unicast;`), '  }');
    l.push('  api {', '    processes [ collect ];', '    neighbor-changes;', '    receive { parsed; update; open; notification; refresh; }', '  }');
    if (n.routes && n.routes.length > 0) l.push('  static {', ...n.routes.map((r) => `    route ${r};`), '  }');
    l.push('}');
  }
  return l.join('\n') + '\n';
}

/** A running ExaBGP and the JSON lines it has emitted. */
export class Exabgp {
  proc: LabProcess | undefined;
  readonly confFile: string;
  readonly eventsFile: string;

  constructor(
    readonly lab: Lab,
    readonly ns: Namespace,
    readonly options: ExabgpOptions,
    readonly name = 'exabgp',
  ) {
    this.confFile = join(lab.dir, `${name}.conf`);
    this.eventsFile = join(lab.dir, `${name}.events`);
  }

  async start(): Promise<this> {
    const script = join(this.lab.dir, `${this.name}-collect.sh`);
    // A reader that never exits on its own: ExaBGP stops everything after five helper deaths.
    writeFileSync(
      script,
      `#!/usr/bin/python3\nimport sys\nout = open(${JSON.stringify(this.eventsFile)}, 'a')\nwhile True:\n    line = sys.stdin.readline()\n    if not line:\n        break\n    out.write(line)\n    out.flush()\n`,
    );
    chmodSync(script, 0o755);
    writeFileSync(this.eventsFile, '');
    writeFileSync(this.confFile, exabgpConfig(this.options, script));
    const env = {
      ...process.env,
      'exabgp.daemon.user': 'root',
      'exabgp.daemon.daemonize': 'false',
      'exabgp.log.destination': join(this.lab.dir, `${this.name}.exalog`),
      'exabgp.api.cli': 'false',
    };
    this.proc = this.lab.spawn(this.ns.name, this.name, '/usr/sbin/exabgp', [this.confFile], { env });
    return this;
  }

  async stop(): Promise<void> {
    if (this.proc) await this.lab.kill(this.proc);
  }

  /** Every JSON object emitted so far. */
  events(): ExabgpEvent[] {
    const out: ExabgpEvent[] = [];
    for (const line of readFileSync(this.eventsFile, 'utf8').split('\n')) {
      if (!line.startsWith('{')) continue;
      try {
        out.push(JSON.parse(line) as ExabgpEvent);
      } catch {
        /* a line still being written */
      }
    }
    return out;
  }

  /** The last state ExaBGP reported for a peer (`up`, `down`, `connected`). */
  peerState(address: string): string | undefined {
    let state: string | undefined;
    for (const e of this.events()) {
      if (e.type === 'state' && e.neighbor?.address?.peer === address) state = e.neighbor.state;
    }
    return state;
  }

  async waitUp(address: string, timeoutMs = 20_000): Promise<void> {
    await waitUntil(() => this.peerState(address) === 'up', { timeoutMs, what: `ExaBGP peer ${address} up` });
  }

  /**
   * The routes ExaBGP currently holds from one peer, replaying its announce/withdraw events:
   * "afi safi" -> prefix -> { nextHop, attribute }.
   */
  rib(address: string): Map<string, { nextHop: string; attribute: Record<string, unknown> }> {
    const rib = new Map<string, { nextHop: string; attribute: Record<string, unknown> }>();
    for (const e of this.events()) {
      if (e.neighbor?.address?.peer !== address) continue;
      if (e.type === 'state' && e.neighbor.state === 'down') rib.clear();
      const u = e.neighbor.message?.update;
      if (e.type !== 'update' || !u) continue;
      for (const fam of Object.values(u.withdraw ?? {})) for (const w of fam) rib.delete(w.nlri);
      for (const fam of Object.values(u.announce ?? {})) {
        for (const [nh, list] of Object.entries(fam)) for (const a of list) rib.set(a.nlri, { nextHop: nh, attribute: u.attribute ?? {} });
      }
    }
    return rib;
  }
}

/** The parts of ExaBGP's JSON API output the tests use. */
export interface ExabgpEvent {
  readonly type: string;
  readonly neighbor?: {
    readonly address?: { readonly local?: string; readonly peer?: string };
    readonly state?: string;
    readonly message?: {
      readonly update?: {
        readonly attribute?: Record<string, unknown>;
        readonly announce?: Record<string, Record<string, readonly { readonly nlri: string }[]>>;
        readonly withdraw?: Record<string, readonly { readonly nlri: string }[]>;
      };
      readonly open?: Record<string, unknown>;
    };
  };
}

export async function startExabgp(lab: Lab, ns: Namespace, options: ExabgpOptions, name = 'exabgp'): Promise<Exabgp> {
  return new Exabgp(lab, ns, options, name).start();
}
