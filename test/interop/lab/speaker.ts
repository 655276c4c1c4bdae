/**
 * Our speaker inside a lab namespace. A Node.js process cannot put one socket into another network
 * namespace, so the speaker runs as a child process, `ip netns exec NS node speaker-driver.js`,
 * that takes its settings as JSON on argv, commands as JSON lines on stdin, and reports events as
 * JSON lines on stdout (see test/interop/speaker-driver.ts for the protocol).
 */
import { fileURLToPath } from 'node:url';
import type { Lab, LabProcess, Namespace } from './lab.js';
import { waitUntil } from './lab.js';

/** One configured peer of the driver's speaker. */
export interface DriverPeer {
  readonly address: string;
  readonly asn: number;
  readonly port?: number;
  /** Never dial, only accept. */
  readonly passive?: boolean;
  readonly holdTime?: number;
  readonly keepalive?: number;
  readonly localAddress?: string;
}

/** Settings passed to the driver on argv. */
export interface DriverSettings {
  readonly asn: number;
  readonly routerId: string;
  /** Where to listen (omit to not listen). */
  readonly listen?: { readonly address: string; readonly port: number };
  readonly peers: readonly DriverPeer[];
  /** Connect-retry base in ms (the driver's default is the session's default). */
  readonly connectRetryMs?: number;
}

/** One advertisement: a prefix with its attributes, to some peers (default all). */
export interface DriverAdvertisement {
  readonly prefix: string;
  readonly peers?: readonly string[];
  readonly localPref?: number;
  readonly med?: number;
  /** "AS:VALUE" strings. */
  readonly communities?: readonly string[];
  /** "GLOBAL:LOCAL1:LOCAL2" strings. */
  readonly largeCommunities?: readonly string[];
}

/** An event line from the driver. */
export interface DriverEvent {
  readonly event: string;
  readonly peer?: string;
  readonly id?: number;
  readonly [key: string]: unknown;
}

export const DRIVER_SCRIPT = fileURLToPath(new URL('../speaker-driver.js', import.meta.url));

/** A running driver process. */
export class SpeakerProcess {
  readonly events: DriverEvent[] = [];
  private nextId = 1;
  private partial = '';
  private waiters: (() => void)[] = [];

  constructor(
    readonly lab: Lab,
    readonly proc: LabProcess,
  ) {
    proc.child.stdout?.on('data', (d: Buffer) => {
      this.partial += d.toString();
      let nl: number;
      while ((nl = this.partial.indexOf('\n')) >= 0) {
        const line = this.partial.slice(0, nl);
        this.partial = this.partial.slice(nl + 1);
        if (!line.startsWith('{')) continue;
        try {
          this.events.push(JSON.parse(line) as DriverEvent);
        } catch {
          continue;
        }
        for (const w of this.waiters.splice(0)) w();
      }
    });
  }

  /** Sends a command and waits for its acknowledgement; returns the ack event. */
  async command(cmd: string, args: Record<string, unknown> = {}, timeoutMs = 30_000): Promise<DriverEvent> {
    const id = this.nextId++;
    this.proc.child.stdin?.write(JSON.stringify({ id, cmd, ...args }) + '\n');
    const ack = await this.waitEvent((e) => (e.event === 'ack' || e.event === 'error') && e.id === id, timeoutMs, `ack of ${cmd}`);
    if (ack.event === 'error') throw new Error(`driver ${cmd} failed: ${String(ack.message)}`);
    return ack;
  }

  /** Replaces the advertised set (the speaker's desired state). */
  async advertise(ads: readonly DriverAdvertisement[]): Promise<void> {
    await this.command('advertise', { ads }, 120_000);
  }

  /** Waits for an event matching `pred` (already seen ones count, from `from` on). */
  async waitEvent(pred: (e: DriverEvent) => boolean, timeoutMs = 20_000, what = 'driver event', from = 0): Promise<DriverEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.events.slice(from).find(pred);
      if (hit) return hit;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; events: ${JSON.stringify(this.events.slice(-10))}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 500));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** The session state the driver last reported for a peer. */
  peerState(peer: string): string | undefined {
    for (let i = this.events.length - 1; i >= 0; i--) {
      const e = this.events[i];
      if (e?.event === 'state' && e.peer === peer) return String(e.state);
    }
    return undefined;
  }

  /** Waits until the driver reports the peer Established, counting only events from `from` on. */
  async waitEstablished(peer: string, timeoutMs = 20_000, from = 0): Promise<void> {
    await this.waitEvent((e) => e.event === 'state' && e.peer === peer && e.state === 'established', timeoutMs, `speaker session with ${peer} established`, from);
  }

  /** Events about one peer. */
  eventsFor(peer: string): DriverEvent[] {
    return this.events.filter((e) => e.peer === peer);
  }

  async stop(): Promise<void> {
    await this.lab.kill(this.proc);
  }
}

/** Starts the speaker driver in `ns` and waits until it reports ready. */
export async function startSpeaker(lab: Lab, ns: Namespace, settings: DriverSettings, name = 'speaker'): Promise<SpeakerProcess> {
  const proc = lab.spawn(ns.name, name, process.execPath, [DRIVER_SCRIPT, JSON.stringify(settings)], { pipe: true });
  const sp = new SpeakerProcess(lab, proc);
  await waitUntil(() => sp.events.some((e) => e.event === 'ready'), { timeoutMs: 15_000, intervalMs: 50, what: 'speaker driver ready' }).catch((e: unknown) => {
    throw new Error(`${(e as Error).message}\n${lab.log(proc)}`);
  });
  return sp;
}
