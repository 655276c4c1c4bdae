/**
 * The interop lab: network namespaces, a bridge, veths and addresses, processes started inside the
 * namespaces, bounded polling, and a teardown that undoes all of it.
 *
 * Invariants: every namespace name carries the lab's random suffix (parallel runs never collide);
 * every address lives inside a namespace this lab created (10.10.10.0/24, fd00:10::/64); nothing is
 * added to the root namespace (veths are created directly inside their namespaces); every process
 * is started by this lab, remembered by pid, and killed by pid in `teardown()`, which also deletes
 * the namespaces and the lab's temporary directory. Teardown is idempotent.
 */
import { spawn, execFile, execFileSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, openSync, closeSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { TestContext } from 'node:test';

const execFileP = promisify(execFile);

/** A namespace of the lab with its addresses on the shared link (if any). */
export interface Namespace {
  /** The real namespace name (role plus the lab suffix). */
  readonly name: string;
  readonly role: string;
  /** IPv4 address on the lab link, no prefix length. */
  readonly v4: string;
  /** IPv6 address on the lab link, no prefix length. */
  readonly v6: string;
}

/** A process the lab started, with where its output goes. */
export interface LabProcess {
  readonly name: string;
  readonly pid: number;
  readonly child: ChildProcess;
  readonly logFile: string;
  /** Resolves when the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Options for `waitUntil`. */
export interface WaitOptions {
  readonly timeoutMs?: number;
  readonly intervalMs?: number;
  /** What is being waited for, for the error message. */
  readonly what?: string;
}

/**
 * Polls `probe` until it returns a value that is not `undefined`/`false`/`null`, or the timeout
 * passes (then it throws with the last probe error, if any). Probes that throw count as "not yet".
 */
export async function waitUntil<T>(
  probe: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  opts: WaitOptions = {},
): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 20_000;
  const intervalMs = opts.intervalMs ?? 200;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== null && v !== false) return v;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() >= deadline) {
      const why = lastError instanceof Error ? `: last error: ${lastError.message}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${opts.what ?? 'condition'}${why}`);
    }
    await sleep(intervalMs);
  }
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Runs a command in the root namespace and returns its stdout; throws with stderr on failure. */
export async function run(cmd: string, args: readonly string[], opts: { timeoutMs?: number; input?: string } = {}): Promise<string> {
  try {
    const { stdout } = await execFileP(cmd, [...args], { timeout: opts.timeoutMs ?? 15_000, maxBuffer: 256 * 1024 * 1024 });
    return stdout;
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed: ${err.stderr?.trim() || err.message}`);
  }
}

/** Which daemon binaries each kind of lab router needs. */
export const DAEMON_BINARIES = {
  frr: ['/usr/lib/frr/zebra', '/usr/lib/frr/bgpd', '/usr/bin/vtysh'],
  bird: ['/usr/sbin/bird', '/usr/sbin/birdc'],
  gobgp: ['/usr/bin/gobgpd', '/usr/bin/gobgp'],
  exabgp: ['/usr/sbin/exabgp'],
} as const;

export type DaemonKind = keyof typeof DAEMON_BINARIES;

/**
 * Why the lab cannot run here (not root, `ip` missing, a daemon missing), or undefined if it can.
 */
export function labUnavailable(daemons: readonly DaemonKind[] = []): string | undefined {
  if (process.platform !== 'linux') return 'interop lab needs Linux network namespaces';
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return 'interop lab needs root';
  if (!['/usr/sbin/ip', '/usr/bin/ip', '/sbin/ip', '/bin/ip'].some((bin) => existsSync(bin))) return 'interop lab needs iproute2 (ip)';
  return missingDaemon(daemons);
}

function missingDaemon(daemons: readonly DaemonKind[]): string | undefined {
  for (const d of daemons) for (const bin of DAEMON_BINARIES[d]) if (!existsSync(bin)) return `${d} is not installed (${bin} missing)`;
  return undefined;
}

/**
 * Skips the test, with the reason, when the lab cannot run here (under CI, scripts/run-tests.mjs
 * fails the run on any skip). Returns true when the test may go on.
 */
export function requireLab(t: TestContext, daemons: readonly DaemonKind[] = []): boolean {
  const why = labUnavailable(daemons);
  if (why === undefined) return true;
  t.skip(why);
  return false;
}

/** Addresses of the lab link: host number n gets 10.10.10.n/24 and fd00:10::n/64. */
export function labAddress(n: number): { v4: string; v6: string } {
  return { v4: `10.10.10.${n}`, v6: `fd00:10::${n.toString(16)}` };
}

/**
 * One lab: a "switch" namespace holding bridge br0, and hosts attached to it by veths. Create with
 * `Lab.create()`, register `lab.teardown` with node:test `after`, and build from there.
 */
export class Lab {
  /** Random suffix shared by every name this lab creates. */
  readonly id: string;
  /** Temporary directory for configs, sockets and logs. */
  readonly dir: string;
  private readonly namespaces: string[] = [];
  private readonly processes: LabProcess[] = [];
  private readonly cleanups: (() => Promise<void> | void)[] = [];
  private switchNs: Namespace | undefined;
  private veths = 0;
  private tornDown = false;

  private constructor() {
    this.id = randomBytes(3).toString('hex');
    this.dir = mkdtempSync(join(tmpdir(), `mts-lab-${this.id}-`));
    // Safety net if the process exits without `teardown()` (a crash, process.exit): kill what we
    // started and delete our namespaces synchronously.
    this.exitHandler = () => this.teardownSync();
    process.once('exit', this.exitHandler);
  }

  private readonly exitHandler: () => void;

  /** The synchronous part of teardown, for process exit. */
  private teardownSync(): void {
    if (this.tornDown) return;
    this.tornDown = true;
    for (const p of this.processes) signal(p.pid, 'SIGKILL');
    for (const ns of this.namespaces) {
      try {
        execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
      } catch {
        /* already gone */
      }
    }
    for (const fn of this.cleanups) {
      try {
        void fn();
      } catch {
        /* keep going */
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Makes an empty lab (no namespaces yet). */
  static create(): Lab {
    return new Lab();
  }

  /** The namespace name for a role in this lab (prefix `mts`, or `MTS_LAB_NS_PREFIX` when set). */
  nsName(role: string): string {
    return `${process.env.MTS_LAB_NS_PREFIX ?? 'mts'}-${role}-${this.id}`;
  }

  /** Registers an extra cleanup step, run in reverse order before processes are killed. */
  onTeardown(fn: () => Promise<void> | void): void {
    this.cleanups.push(fn);
  }

  private async addNamespace(role: string): Promise<string> {
    const name = this.nsName(role);
    await run('ip', ['netns', 'add', name]);
    this.namespaces.push(name);
    await this.exec(name, 'ip', ['link', 'set', 'lo', 'up']);
    // Loopback-only IPv6 must work too (speaker tests bind ::1).
    await this.exec(name, 'sysctl', ['-q', '-w', 'net.ipv6.conf.all.disable_ipv6=0']).catch(() => undefined);
    return name;
  }

  /**
   * A namespace of this lab attached to nothing (loopback only); link it with `addLink`. It is
   * deleted in `teardown()` like every other.
   */
  async addIsolated(role: string): Promise<Namespace> {
    const name = await this.addNamespace(role);
    return { name, role, v4: '', v6: '' };
  }

  /**
   * A veth between two namespaces of this lab: `nameA` in `a`, `nameB` in `b`, both up. Created
   * directly inside the namespaces (nothing in the root namespace).
   */
  async addLink(a: string, nameA: string, b: string, nameB: string): Promise<void> {
    await run('ip', ['link', 'add', 'name', nameA, 'netns', a, 'type', 'veth', 'peer', 'name', nameB, 'netns', b]);
    await this.exec(a, 'ip', ['link', 'set', nameA, 'up']);
    await this.exec(b, 'ip', ['link', 'set', nameB, 'up']);
  }

  /**
   * The switch: a namespace with bridge br0 carrying `host` (default 1) of the lab link. The first
   * router usually lives here.
   */
  async addSwitch(role: string, host = 1): Promise<Namespace> {
    if (this.switchNs) throw new Error('lab already has a switch');
    const name = await this.addNamespace(role);
    const a = labAddress(host);
    await this.exec(name, 'ip', ['link', 'add', 'br0', 'type', 'bridge']);
    await this.exec(name, 'ip', ['link', 'set', 'br0', 'up']);
    await this.exec(name, 'ip', ['addr', 'add', `${a.v4}/24`, 'dev', 'br0']);
    await this.exec(name, 'ip', ['-6', 'addr', 'add', `${a.v6}/64`, 'dev', 'br0', 'nodad']);
    this.switchNs = { name, role, ...a };
    return this.switchNs;
  }

  /**
   * A host namespace attached to the switch's bridge by a veth (its end is eth0), with address
   * `host` of the lab link plus any `extra` host numbers (secondary addresses).
   */
  async addHost(role: string, host: number, extra: readonly number[] = []): Promise<Namespace> {
    const sw = this.switchNs;
    if (!sw) throw new Error('add a switch first');
    const name = await this.addNamespace(role);
    const veth = `mv${this.id}${(this.veths++).toString(36)}`;
    // Both ends are created inside their namespaces: nothing touches the root namespace.
    await run('ip', ['link', 'add', 'name', veth, 'netns', sw.name, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', name]);
    await this.exec(sw.name, 'ip', ['link', 'set', veth, 'master', 'br0', 'up']);
    await this.exec(name, 'ip', ['link', 'set', 'eth0', 'up']);
    for (const n of [host, ...extra]) {
      const a = labAddress(n);
      await this.exec(name, 'ip', ['addr', 'add', `${a.v4}/24`, 'dev', 'eth0']);
      await this.exec(name, 'ip', ['-6', 'addr', 'add', `${a.v6}/64`, 'dev', 'eth0', 'nodad']);
    }
    return { name, role, ...labAddress(host) };
  }

  /** Runs a command inside a namespace (`ip netns exec`) and returns its stdout. */
  exec(ns: string, cmd: string, args: readonly string[], opts: { timeoutMs?: number } = {}): Promise<string> {
    return run('ip', ['netns', 'exec', ns, cmd, ...args], opts);
  }

  /**
   * Starts a long-running process inside a namespace. `ip netns exec` execs the command in place,
   * so the child's pid is the process's own pid. Output goes to a log file in the lab directory
   * unless `stdio: 'pipe'` is asked for.
   */
  spawn(ns: string | undefined, name: string, cmd: string, args: readonly string[], opts: { pipe?: boolean; env?: NodeJS.ProcessEnv } = {}): LabProcess {
    if (this.tornDown) throw new Error('lab is torn down');
    const logFile = join(this.dir, `${name}.log`);
    const fd = openSync(logFile, 'a');
    const argv = ns === undefined ? [cmd, ...args] : ['ip', 'netns', 'exec', ns, cmd, ...args];
    const child = spawn(argv[0] as string, argv.slice(1), {
      stdio: opts.pipe ? ['pipe', 'pipe', fd] : ['ignore', fd, fd],
      env: opts.env ?? process.env,
    });
    closeSync(fd);
    if (child.pid === undefined) throw new Error(`could not start ${cmd}`);
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal }));
    });
    const p: LabProcess = { name, pid: child.pid, child, logFile, exited };
    this.processes.push(p);
    return p;
  }

  /** Remembers a process started some other way (a daemon that wrote a pid file) for teardown. */
  adoptPid(name: string, pid: number): void {
    const child = undefined as unknown as ChildProcess;
    this.processes.push({ name, pid, child, logFile: '', exited: Promise.resolve({ code: null, signal: null }) });
  }

  /** Stops one process by pid: SIGCONT (it may be frozen), SIGTERM, then SIGKILL after `graceMs`. */
  async kill(p: LabProcess, graceMs = 2000): Promise<void> {
    if (!alive(p.pid)) return;
    signal(p.pid, 'SIGCONT');
    signal(p.pid, 'SIGTERM');
    const deadline = Date.now() + graceMs;
    while (alive(p.pid) && Date.now() < deadline) await sleep(25);
    if (alive(p.pid)) signal(p.pid, 'SIGKILL');
    while (alive(p.pid) && Date.now() < deadline + 2000) await sleep(25);
  }

  /** Reads a process's log file (for failure messages). */
  log(p: LabProcess): string {
    try {
      return readFileSync(p.logFile, 'utf8');
    } catch {
      return '';
    }
  }

  /**
   * Kills every process this lab started (by pid, newest first), then any process still inside one
   * of its namespaces (children of those daemons), deletes the namespaces and the lab directory.
   */
  async teardown(): Promise<void> {
    if (this.tornDown) return;
    this.tornDown = true;
    process.removeListener('exit', this.exitHandler);
    for (const fn of this.cleanups.reverse()) {
      try {
        await fn();
      } catch {
        /* keep tearing down */
      }
    }
    await Promise.all([...this.processes].reverse().map((p) => this.kill(p, 1500)));
    for (const ns of this.namespaces) {
      let pids: string[] = [];
      try {
        pids = (await run('ip', ['netns', 'pids', ns])).split('\n').filter((s) => /^\d+$/.test(s.trim()));
      } catch {
        /* namespace may be gone */
      }
      for (const pid of pids) signal(Number(pid), 'SIGKILL');
    }
    for (const ns of this.namespaces.reverse()) {
      await run('ip', ['netns', 'del', ns]).catch(() => undefined);
    }
    if (!process.env.MTS_LAB_KEEP) rmSync(this.dir, { recursive: true, force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie still answers signal 0; read its state.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z';
  } catch {
    return false;
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    /* already gone */
  }
}

/** Peak resident memory of a process in KiB (VmHWM from /proc/PID/status), or undefined. */
export function peakMemoryKiB(pid: number): number | undefined {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}
