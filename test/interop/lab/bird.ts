/**
 * BIRD 2 inside a lab namespace: a config generated from parameters, `bird -f` in the foreground
 * with its own control socket, and `birdc show route all` / `show protocols` parsed into objects.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Lab, LabProcess, Namespace } from './lab.js';
import { run, waitUntil } from './lab.js';

export interface BirdNeighbor {
  /** Protocol name in BIRD (not `rx`, a keyword). */
  readonly name: string;
  readonly address: string;
  readonly peerAs: number;
  readonly localAddress: string;
  readonly families?: readonly ('ipv4' | 'ipv6')[];
  readonly holdTime?: number;
  readonly keepalive?: number;
  readonly passive?: boolean;
  readonly port?: number;
  /** Filter body for export (default `none`; e.g. `all`, or a `filter { ... }` block). */
  readonly exportFilter?: string;
}

/** A static route BIRD originates (announced through export filters). */
export interface BirdStaticRoute {
  readonly prefix: string;
}

export interface BirdOptions {
  readonly asn: number;
  readonly routerId: string;
  readonly neighbors: readonly BirdNeighbor[];
  readonly staticRoutes?: readonly BirdStaticRoute[];
  /** Raw text appended (filters). */
  readonly extra?: string;
}

/** Generates bird.conf. */
export function birdConfig(o: BirdOptions): string {
  const l: string[] = [`router id ${o.routerId};`, 'protocol device {}', 'protocol direct { ipv4; ipv6; interface "*"; }'];
  if (o.extra) l.push(o.extra);
  const v4 = (o.staticRoutes ?? []).filter((r) => !r.prefix.includes(':'));
  const v6 = (o.staticRoutes ?? []).filter((r) => r.prefix.includes(':'));
  if (v4.length > 0) l.push('protocol static st4 {', ' ipv4;', ...v4.map((r) => ` route ${r.prefix} blackhole;`), '}');
  if (v6.length > 0) l.push('protocol static st6 {', ' ipv6;', ...v6.map((r) => ` route ${r.prefix} blackhole;`), '}');
  for (const n of o.neighbors) {
    l.push(`protocol bgp ${n.name} {`);
    l.push(` local ${n.localAddress} as ${o.asn};`);
    l.push(` neighbor ${n.address}${n.port !== undefined ? ` port ${n.port}` : ''} as ${n.peerAs};`);
    l.push(` hold time ${n.holdTime ?? 9};`, ` keepalive time ${n.keepalive ?? 3};`);
    l.push(' connect delay time 1;', ' connect retry time 1;', ' error wait time 1, 2;');
    if (n.passive) l.push(' passive on;');
    for (const f of n.families ?? [n.address.includes(':') ? 'ipv6' : 'ipv4']) {
      const exp = n.exportFilter ?? 'none';
      const filt = exp.startsWith('filter') || exp === 'all' || exp === 'none' ? exp : `filter ${exp}`;
      l.push(` ${f} { import all; export ${filt}; ${o.asn === n.peerAs ? 'next hop self; ' : ''}};`);
    }
    l.push('}');
  }
  return l.join('\n') + '\n';
}

/** One route of `birdc show route all`. */
export interface BirdRoute {
  readonly prefix: string;
  readonly table: string;
  /** The protocol that brought it (`n1`, `st4`). */
  readonly protocol: string;
  /** `unicast`, `blackhole`, `unreachable` ... */
  readonly kind: string;
  readonly primary: boolean;
  /** `via X on IF` lines. */
  readonly via: readonly string[];
  /** Attribute lines (`BGP.med` -> `50`, `BGP.community` -> `(64512,100)`). */
  readonly attrs: Readonly<Record<string, string>>;
}

/** Parses `birdc show route all` output. */
export function parseBirdRoutes(text: string): BirdRoute[] {
  const routes: { prefix: string; table: string; protocol: string; kind: string; primary: boolean; via: string[]; attrs: Record<string, string> }[] = [];
  let table = '';
  let prefix = '';
  for (const raw of text.split('\n')) {
    if (raw.trim() === '' || /^\d{4}[- ]/.test(raw) || raw.startsWith('BIRD ')) continue;
    const tm = /^Table (\S+):/.exec(raw);
    if (tm) {
      table = tm[1] ?? '';
      continue;
    }
    // "198.51.100.7/32      unicast [n1 10:00:00.000] * (100) [AS64512i]" or a continuation
    // line for another route of the same prefix that starts with whitespace.
    const rm = /^(\S+)?\s+(unicast|blackhole|unreachable|prohibited)\s+\[(\S+)\s[^\]]*\]\s*(\*)?/.exec(raw);
    if (rm && (rm[1] !== undefined || !raw.startsWith('\t'))) {
      if (rm[1] !== undefined) prefix = rm[1];
      routes.push({ prefix, table, protocol: rm[3] ?? '', kind: rm[2] ?? '', primary: rm[4] === '*', via: [], attrs: {} });
      continue;
    }
    const cur = routes[routes.length - 1];
    if (!cur) continue;
    const line = raw.trim();
    if (line.startsWith('via ')) {
      cur.via.push(line);
      continue;
    }
    const am = /^([A-Za-z0-9_.]+):\s?(.*)$/.exec(line);
    if (am) cur.attrs[am[1] ?? ''] = am[2] ?? '';
  }
  return routes;
}

/** A running BIRD. */
export class Bird {
  proc: LabProcess | undefined;
  readonly confFile: string;
  readonly socket: string;

  constructor(
    readonly lab: Lab,
    readonly ns: Namespace,
    readonly options: BirdOptions,
    readonly name = 'bird',
  ) {
    this.confFile = join(lab.dir, `${name}.conf`);
    this.socket = join(lab.dir, `${name}.ctl`);
  }

  async start(): Promise<this> {
    writeFileSync(this.confFile, birdConfig(this.options));
    this.proc = this.lab.spawn(this.ns.name, this.name, '/usr/sbin/bird', [
      '-f', '-c', this.confFile, '-s', this.socket, '-P', join(this.lab.dir, `${this.name}.pid`),
    ]);
    await waitUntil(async () => (await this.birdc('show status')).includes('Daemon is up'), { timeoutMs: 15_000, intervalMs: 100, what: 'BIRD control socket' });
    return this;
  }

  async stop(): Promise<void> {
    if (this.proc) await this.lab.kill(this.proc);
  }

  /** Runs one birdc command (birdc talks to the unix socket; no namespace needed). */
  birdc(command: string): Promise<string> {
    return run('/usr/sbin/birdc', ['-s', this.socket, ...command.split(' ')], { timeoutMs: 60_000 });
  }

  /** `show route all` (optionally `protocol NAME`), parsed. */
  async routes(protocol?: string): Promise<BirdRoute[]> {
    return parseBirdRoutes(await this.birdc(`show route all${protocol ? ` protocol ${protocol}` : ''}`));
  }

  /** The BGP state of one protocol (`Established`, `Active`, `Connect`...). */
  async protocolState(name: string): Promise<string | undefined> {
    const out = await this.birdc(`show protocols all ${name}`);
    return /BGP state:\s+(\S+)/.exec(out)?.[1];
  }

  /** Route counters of one protocol: `imported` and `exported` of its first channel with numbers. */
  async protocolInfo(name: string): Promise<string> {
    return this.birdc(`show protocols all ${name}`);
  }

  async waitEstablished(name: string, timeoutMs = 20_000): Promise<void> {
    await waitUntil(async () => (await this.protocolState(name)) === 'Established', { timeoutMs, what: `BIRD protocol ${name} Established` });
  }
}

export async function startBird(lab: Lab, ns: Namespace, options: BirdOptions, name = 'bird'): Promise<Bird> {
  return new Bird(lab, ns, options, name).start();
}
