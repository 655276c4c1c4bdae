/**
 * The reference sender of the scale benchmark (bench/scale.ts): ExaBGP 4.2 as one more iBGP neighbor
 * of the lab's FRR, in its own namespace on the lab link, driven through its API (a text command per
 * line, written to a FIFO that the API process relays to ExaBGP). The benchmark times the same
 * announcements and withdrawals from the command to FRR's table with the same polling as the
 * speaker's changes, so FRR's own share of a change (its route-processing hold, see bench/scale.ts)
 * is measured beside ours in the same run, on the same machine, under the same load.
 *
 * The FIFO is opened read-write by the relay (`exec 3<>FIFO`), so it never sees end-of-file and
 * ExaBGP never loses its API process; the benchmark keeps one write descriptor open for the run.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, closeSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Lab, LabProcess } from '../test/interop/lab/lab.js';
import type { Frr } from '../test/interop/lab/frr.js';

/** ExaBGP's configuration: one neighbor (the router), IPv4 unicast, the relay as its API process. */
export function referenceConfig(o: { readonly routerAddress: string; readonly address: string; readonly asn: number; readonly relay: string }): string {
  return [
    'process relay {',
    `  run ${o.relay};`,
    '  encoder text;',
    '}',
    `neighbor ${o.routerAddress} {`,
    `  router-id ${o.address};`,
    `  local-address ${o.address};`,
    `  local-as ${o.asn};`,
    `  peer-as ${o.asn};`,
    '  hold-time 9;',
    '  family { ipv4 unicast; }',
    '  api { processes [ relay ]; }',
    '}',
    '',
  ].join('\n');
}

/** A running reference sender. */
export class ReferenceSender {
  readonly #fd: number;

  private constructor(
    readonly address: string,
    readonly proc: LabProcess,
    fd: number,
  ) {
    this.#fd = fd;
  }

  /**
   * Starts ExaBGP on lab host `host` (10.10.10.HOST) and configures the router to peer with it
   * (iBGP, `asn`); resolves once FRR reports the session Established.
   */
  static async start(lab: Lab, frr: Frr, o: { readonly host: number; readonly asn: number; readonly routerAddress: string; readonly timeoutMs: number }): Promise<ReferenceSender> {
    const ns = await lab.addHost('ref', o.host);
    const fifo = join(lab.dir, 'reference.fifo');
    execFileSync('mkfifo', [fifo]);
    const relay = join(lab.dir, 'reference-relay.sh');
    writeFileSync(relay, `#!/bin/sh\nexec 3<>${fifo}\nexec cat <&3\n`);
    chmodSync(relay, 0o755);
    const conf = join(lab.dir, 'reference.conf');
    writeFileSync(conf, referenceConfig({ routerAddress: o.routerAddress, address: ns.v4, asn: o.asn, relay }));
    await frr.configure([
      `neighbor ${ns.v4} remote-as ${o.asn}`,
      `neighbor ${ns.v4} timers connect 1`,
      'address-family ipv4 unicast',
      `neighbor ${ns.v4} activate`,
      'exit-address-family',
    ]);
    const env = {
      ...process.env,
      'exabgp.daemon.user': 'root',
      'exabgp.daemon.daemonize': 'false',
      'exabgp.log.destination': join(lab.dir, 'reference.exalog'),
      'exabgp.api.cli': 'false',
      'exabgp.api.ack': 'false',
    };
    const proc = lab.spawn(ns.name, 'reference-exabgp', '/usr/sbin/exabgp', [conf], { env });
    await frr.waitEstablished(ns.v4, o.timeoutMs);
    // Opened after the relay holds the FIFO open, so this never blocks.
    const fd = openSync(fifo, 'w');
    return new ReferenceSender(ns.v4, proc, fd);
  }

  /** Announces `prefix` (next hop self); returns the time of the command (`performance.now()`). */
  announce(prefix: string): number {
    return this.#command(`announce route ${prefix} next-hop self`);
  }

  /** Withdraws `prefix`; returns the time of the command (`performance.now()`). */
  withdraw(prefix: string): number {
    return this.#command(`withdraw route ${prefix} next-hop self`);
  }

  #command(line: string): number {
    const t0 = performance.now();
    writeSync(this.#fd, `${line}\n`);
    return t0;
  }

  close(): void {
    closeSync(this.#fd);
  }
}
