/**
 * FRR (zebra + bgpd) inside a lab namespace, with its own path space (`-N <name>`) so several
 * instances run side by side, a config generated from parameters, and vtysh JSON queries.
 *
 * The daemons run in the foreground (no `-d`) under `ip netns exec`, so the lab knows their pids.
 * The TCP vty is off (`-P 0`); vtysh talks to the unix sockets in /var/run/frr/<name>/.
 */
import { mkdirSync, writeFileSync, rmSync, chownSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import type { Lab, LabProcess, Namespace } from './lab.js';
import { run, waitUntil } from './lab.js';

/** One FRR neighbor. */
export interface FrrNeighbor {
  readonly address: string;
  readonly remoteAs: number;
  /** Address families activated for this neighbor (default: the transport's family). */
  readonly families?: readonly ('ipv4' | 'ipv6')[];
  /** Keepalive and hold time in seconds (default 3 and 9). */
  readonly keepalive?: number;
  readonly holdTime?: number;
  /** Only accept, never dial. */
  readonly passive?: boolean;
  /** TCP port of the neighbor (default 179). */
  readonly port?: number;
  /** The source address for the session. */
  readonly updateSource?: string;
  /** Start administratively down (`neighbor X shutdown`); bring it up with `configure([`no neighbor X shutdown`])`. */
  readonly shutdown?: boolean;
  /** TCP MD5 password (`neighbor X password P`). */
  readonly password?: string;
  /** eBGP neighbor more than one hop away (`neighbor X ebgp-multihop`: TTL 255). */
  readonly ebgpMultihop?: boolean;
}

/** A prefix FRR announces itself (`network` statements; import-check is off). */
export interface FrrNetwork {
  readonly prefix: string;
  readonly routeMap?: string;
}

export interface FrrOptions {
  readonly asn: number;
  readonly routerId: string;
  readonly neighbors: readonly FrrNeighbor[];
  readonly networks?: readonly FrrNetwork[];
  /** Raw config appended at the end (route-maps, prefix-lists). */
  readonly extra?: string;
  /** Lines added inside `router bgp` before the address families. */
  readonly bgpExtra?: readonly string[];
  /** Lines added inside `address-family ipv4 unicast` (for example `maximum-paths ibgp 8`). */
  readonly ipv4Extra?: readonly string[];
  /** bgpd listen port (default 179; 0 disables listening). */
  readonly listenPort?: number;
  /** A whole frr.conf used as it is (e.g. `metallb-ts router-config` output); the fields above are then ignored except `listenPort`. */
  readonly rawConfig?: string;
}

/** Generates frr.conf for the options. */
export function frrConfig(o: FrrOptions): string {
  if (o.rawConfig !== undefined) return o.rawConfig;
  const lines: string[] = ['frr defaults traditional', 'hostname lab', 'log stdout informational', 'log timestamp precision 3', '!'];
  lines.push(`router bgp ${o.asn}`, ` bgp router-id ${o.routerId}`, ' bgp log-neighbor-changes', ' no bgp ebgp-requires-policy', ' no bgp network import-check');
  lines.push(' no bgp default ipv4-unicast');
  for (const l of o.bgpExtra ?? []) lines.push(` ${l}`);
  for (const n of o.neighbors) {
    lines.push(` neighbor ${n.address} remote-as ${n.remoteAs}`);
    lines.push(` neighbor ${n.address} timers ${n.keepalive ?? 3} ${n.holdTime ?? 9}`);
    lines.push(` neighbor ${n.address} timers connect 1`);
    if (n.passive) lines.push(` neighbor ${n.address} passive`);
    if (n.port !== undefined) lines.push(` neighbor ${n.address} port ${n.port}`);
    if (n.updateSource !== undefined) lines.push(` neighbor ${n.address} update-source ${n.updateSource}`);
    if (n.shutdown) lines.push(` neighbor ${n.address} shutdown`);
    if (n.password !== undefined) lines.push(` neighbor ${n.address} password ${n.password}`);
    if (n.ebgpMultihop) lines.push(` neighbor ${n.address} ebgp-multihop`);
  }
  for (const fam of ['ipv4', 'ipv6'] as const) {
    lines.push(` address-family ${fam} unicast`);
    if (fam === 'ipv4') for (const l of o.ipv4Extra ?? []) lines.push(`  ${l}`);
    for (const net of o.networks ?? []) {
      if (net.prefix.includes(':') === (fam === 'ipv6')) lines.push(`  network ${net.prefix}${net.routeMap ? ` route-map ${net.routeMap}` : ''}`);
    }
    for (const n of o.neighbors) {
      const fams = n.families ?? [n.address.includes(':') ? 'ipv6' : 'ipv4'];
      if (fams.includes(fam)) lines.push(`  neighbor ${n.address} activate`);
    }
    lines.push(' exit-address-family');
  }
  lines.push('!');
  if (o.extra) lines.push(o.extra);
  return lines.join('\n') + '\n';
}

/** A running FRR instance. */
export class Frr {
  zebra: LabProcess | undefined;
  bgpd: LabProcess | undefined;
  readonly confDir: string;
  readonly runDir: string;

  constructor(
    readonly lab: Lab,
    readonly ns: Namespace,
    readonly pathspace: string,
    private options: FrrOptions,
  ) {
    this.confDir = `/etc/frr/${pathspace}`;
    this.runDir = `/var/run/frr/${pathspace}`;
  }

  get confFile(): string {
    return `${this.confDir}/frr.conf`;
  }

  /** Writes the config and starts zebra and bgpd, then waits until vtysh answers. */
  async start(): Promise<this> {
    const uid = Number(execFileSync('id', ['-u', 'frr']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'frr']).toString().trim());
    for (const d of [this.confDir, this.runDir]) {
      mkdirSync(d, { recursive: true });
      chownSync(d, uid, gid);
    }
    writeFileSync(this.confFile, frrConfig(this.options));
    writeFileSync(`${this.confDir}/vtysh.conf`, '');
    chownSync(this.confFile, uid, gid);
    chownSync(`${this.confDir}/vtysh.conf`, uid, gid);
    this.lab.onTeardown(() => {
      rmSync(this.confDir, { recursive: true, force: true });
      rmSync(this.runDir, { recursive: true, force: true });
    });
    this.zebra = this.lab.spawn(this.ns.name, `frr-zebra-${this.pathspace}`, '/usr/lib/frr/zebra', [
      '-N', this.pathspace, '-F', 'traditional', '-f', this.confFile, '-P', '0',
    ]);
    await waitUntil(() => this.vtyshOk('zebra'), { timeoutMs: 15_000, intervalMs: 100, what: 'zebra vty' });
    await this.startBgpd();
    return this;
  }

  /** Starts bgpd (again) and waits until it answers. */
  async startBgpd(): Promise<void> {
    const port = this.options.listenPort ?? 179;
    this.bgpd = this.lab.spawn(this.ns.name, `frr-bgpd-${this.pathspace}`, '/usr/lib/frr/bgpd', [
      '-N', this.pathspace, '-F', 'traditional', '-f', this.confFile, '-P', '0', '-p', String(port),
    ]);
    await waitUntil(() => this.vtyshOk('bgpd'), { timeoutMs: 15_000, intervalMs: 100, what: 'bgpd vty' });
  }

  /** Stops bgpd only (a router restart as far as BGP is concerned). */
  async stopBgpd(): Promise<void> {
    if (this.bgpd) await this.lab.kill(this.bgpd);
  }

  private async vtyshOk(daemon: string): Promise<boolean> {
    const out = await run('vtysh', ['-N', this.pathspace, '-d', daemon, '-c', 'show version'], { timeoutMs: 5000 });
    return out.includes('FRRouting');
  }

  /** Runs one vtysh command and returns its text output. */
  vtysh(...commands: string[]): Promise<string> {
    return run('vtysh', ['-N', this.pathspace, ...commands.flatMap((c) => ['-c', c])], { timeoutMs: 10_000 });
  }

  /** Runs a vtysh `show ... json` command and parses it. */
  async json<T = unknown>(command: string): Promise<T> {
    const out = await this.vtysh(command.endsWith(' json') ? command : `${command} json`);
    return JSON.parse(out) as T;
  }

  /**
   * When bgpd logged each neighbor Up (`%ADJCHANGE ... Up`, millisecond timestamps) for `address`,
   * as epoch milliseconds, oldest first.
   */
  upTimes(address: string): number[] {
    if (!this.bgpd) return [];
    const out: number[] = [];
    for (const line of this.lab.log(this.bgpd).split('\n')) {
      const m = /^(\d{4})\/(\d\d)\/(\d\d) (\d\d:\d\d:\d\d\.\d{3}) .*%ADJCHANGE: neighbor (\S+?)(\(|\s).* Up\b/.exec(line);
      if (m && m[5] === address) out.push(new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}`).getTime());
    }
    return out;
  }

  /** Runs configuration commands (`configure terminal`, `router bgp ASN`, then `lines`). */
  async configure(lines: readonly string[]): Promise<void> {
    await this.vtysh('configure terminal', `router bgp ${this.options.asn}`, ...lines);
  }

  /** Path of bgpd's vty socket (for `VtyClient`). */
  get bgpdVty(): string {
    return `${this.runDir}/bgpd.vty`;
  }

  /** The neighbor's state as FRR reports it (`Established`, `Active`, ...). */
  async neighborState(address: string): Promise<string | undefined> {
    const j = await this.json<Record<string, { bgpState?: string }>>(`show bgp neighbors ${address}`);
    return j[address]?.bgpState;
  }

  /** `show bgp neighbors ADDR json` for one neighbor. */
  async neighbor(address: string): Promise<FrrNeighborJson | undefined> {
    const j = await this.json<Record<string, FrrNeighborJson>>(`show bgp neighbors ${address}`);
    return j[address];
  }

  /** Waits until FRR reports the neighbor Established. */
  async waitEstablished(address: string, timeoutMs = 20_000): Promise<void> {
    await waitUntil(async () => (await this.neighborState(address)) === 'Established', {
      timeoutMs,
      what: `FRR ${this.pathspace} neighbor ${address} Established`,
    });
  }

  /** The paths FRR holds for one prefix (`show bgp <afi> unicast PREFIX json`), or [] if none. */
  async paths(prefix: string): Promise<FrrPath[]> {
    const afi = prefix.includes(':') ? 'ipv6' : 'ipv4';
    const j = await this.json<{ paths?: FrrPath[] }>(`show bgp ${afi} unicast ${prefix}`);
    return j.paths ?? [];
  }

  /** Every prefix in FRR's BGP table of a family. */
  async table(afi: 'ipv4' | 'ipv6'): Promise<Record<string, FrrPath[]>> {
    const j = await this.json<{ routes?: Record<string, FrrPath[]> }>(`show bgp ${afi} unicast`);
    return j.routes ?? {};
  }
}

/** The parts of `show bgp neighbors ADDR json` the tests use. */
export interface FrrNeighborJson {
  readonly bgpState?: string;
  readonly bgpTimerUpMsec?: number;
  readonly connectionsEstablished?: number;
  readonly connectionsDropped?: number;
  readonly remoteRouterId?: string;
  readonly hostForeign?: string;
  readonly portForeign?: number;
  readonly hostLocal?: string;
  readonly portLocal?: number;
  readonly lastResetDueTo?: string;
  readonly lastNotificationReason?: string;
  readonly messageStats?: {
    readonly updatesRecv?: number;
    readonly updatesSent?: number;
    readonly routeRefreshRecv?: number;
    readonly routeRefreshSent?: number;
    readonly notificationsRecv?: number;
    readonly notificationsSent?: number;
  };
  readonly addressFamilyInfo?: Record<string, { acceptedPrefixCounter?: number }>;
}

/** One path of `show bgp ipv4 unicast PREFIX json`. */
export interface FrrPath {
  readonly aspath?: { readonly string?: string; readonly segments?: unknown[] };
  readonly med?: number;
  readonly metric?: number;
  readonly locPrf?: number;
  readonly community?: { readonly string?: string };
  readonly largeCommunity?: { readonly string?: string };
  readonly nexthops?: readonly { readonly ip?: string; readonly scope?: string }[];
  readonly peer?: { readonly peerId?: string };
  readonly valid?: boolean;
  readonly bestpath?: { readonly overall?: boolean };
}

/** Starts FRR in `ns` with a path space named after the namespace. */
export async function startFrr(lab: Lab, ns: Namespace, options: FrrOptions): Promise<Frr> {
  return new Frr(lab, ns, ns.name, options).start();
}
