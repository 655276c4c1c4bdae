/**
 * Interop: the `frr` and `bird` router-config output, loaded unchanged into a real router, brings up
 * a session with every node and installs one ECMP route via both nodes.
 *
 * Topology (network namespaces with a random suffix, removed at the end): a router namespace with a
 * bridge on 10.10.10.1/24, two node namespaces on 10.10.10.116 and 10.10.10.117 (the seed's), each
 * running BIRD as a stand-in speaker that announces 10.10.10.12/32. The router runs FRR (zebra +
 * bgpd) or BIRD with the generated configuration; the test reads the router namespace's kernel
 * route for 10.10.10.12/32 and expects next hops via both nodes.
 *
 * Needs root, FRR and BIRD; skips otherwise, with the reason (scripts/run-tests.mjs fails a skip under CI).
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../../src/config/types.js';
import type { Node } from '../../src/model/kubernetes.js';
import { routerConfigFromManifests } from '../../src/routerconfig/from-manifests.js';
import type { Vendor } from '../../src/routerconfig/render.js';
import { renderRouterConfig } from '../../src/routerconfig/render.js';
import { routerPlans } from '../../src/routerconfig/routers.js';
import { loadManifests } from '../../src/sources/manifests/load.js';
import { peerConfig as peer } from '../../src/config/test-builders.js';

const ZEBRA = '/usr/lib/frr/zebra';
const BGPD = '/usr/lib/frr/bgpd';
const BIRD = ['/usr/sbin/bird', '/usr/bin/bird'].find((p) => existsSync(p));
const SEED = fileURLToPath(new URL('../../../src/routerconfig/testdata/seed-manifests/', import.meta.url));

function skipReason(): string | false {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces)';
  if (!existsSync(ZEBRA) || !existsSync(BGPD)) return 'FRR is not installed';
  if (!BIRD) return 'BIRD is not installed';
  let frrUser = true;
  try {
    execFileSync('id', ['frr'], { stdio: 'ignore' });
  } catch {
    frrUser = false;
  }
  if (!frrUser) return 'the frr user does not exist';
  return false;
}

const reason = skipReason();

function sh(cmd: string, args: readonly string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A stand-in speaker: BIRD announcing the service IP to the router. */
function nodeBirdConf(o: { ip: string; asn: number; routerAsn: number; password?: string; holdTime?: number }): string {
  return [
    `router id ${o.ip};`,
    'protocol device {}',
    'protocol static { ipv4; route 10.10.10.12/32 blackhole; }',
    'protocol bgp upstream {', // `router` is a BIRD keyword
    `  local ${o.ip} as ${o.asn};`,
    `  neighbor 10.10.10.1 as ${o.routerAsn};`,
    '  direct;',
    '  connect retry time 1;',
    ...(o.password !== undefined ? [`  password "${o.password}";`] : []),
    ...(o.holdTime !== undefined ? [`  hold time ${o.holdTime};`] : []),
    '  ipv4 { import none; export where source = RTS_STATIC; next hop self; };',
    '}',
    '',
  ].join('\n');
}

class Lab {
  readonly sfx = randomBytes(3).toString('hex');
  readonly router = `mtsrc-r-${this.sfx}`;
  readonly nodes = [
    { ns: `mtsrc-a-${this.sfx}`, veth: `mrca${this.sfx}`, ip: '10.10.10.116' },
    { ns: `mtsrc-b-${this.sfx}`, veth: `mrcb${this.sfx}`, ip: '10.10.10.117' },
  ];
  readonly dir = mkdtempSync(join(tmpdir(), 'metallb-ts-rc-'));
  readonly frrName = `mtsrc${this.sfx}`;
  private readonly children: ChildProcess[] = [];
  private readonly namespaces: string[] = [];
  private frrDirs: string[] = [];

  build(): void {
    const r = this.router;
    sh('ip', ['netns', 'add', r]);
    this.namespaces.push(r);
    sh('ip', ['-n', r, 'link', 'set', 'lo', 'up']);
    sh('ip', ['-n', r, 'link', 'add', 'br0', 'type', 'bridge']);
    sh('ip', ['-n', r, 'link', 'set', 'br0', 'up']);
    sh('ip', ['-n', r, 'addr', 'add', '10.10.10.1/24', 'dev', 'br0']);
    for (const n of this.nodes) {
      sh('ip', ['netns', 'add', n.ns]);
      this.namespaces.push(n.ns);
      sh('ip', ['link', 'add', n.veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', n.ns]);
      sh('ip', ['link', 'set', n.veth, 'netns', r]);
      sh('ip', ['-n', r, 'link', 'set', n.veth, 'master', 'br0', 'up']);
      sh('ip', ['-n', n.ns, 'link', 'set', 'lo', 'up']);
      sh('ip', ['-n', n.ns, 'link', 'set', 'eth0', 'up']);
      sh('ip', ['-n', n.ns, 'addr', 'add', `${n.ip}/24`, 'dev', 'eth0']);
    }
  }

  private spawnIn(ns: string, cmd: string, args: readonly string[]): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => {
      if (code !== 0 && code !== null) process.stderr.write(`${cmd} in ${ns} exited ${code}: ${err}\n`);
    });
    this.children.push(child);
    return child;
  }

  startNodeSpeakers(asns: readonly number[], routerAsn: number, password?: string, holdTime?: number): void {
    this.nodes.forEach((n, i) => {
      const conf = join(this.dir, `node-${i}.conf`);
      const opts = { ip: n.ip, asn: asns[i] ?? 64512, routerAsn, ...(password !== undefined ? { password } : {}), ...(holdTime !== undefined ? { holdTime } : {}) };
      writeFileSync(conf, nodeBirdConf(opts));
      this.spawnIn(n.ns, BIRD ?? 'bird', ['-f', '-c', conf, '-s', join(this.dir, `node-${i}.ctl`)]);
    });
  }

  async startRouter(vendor: Vendor, text: string): Promise<void> {
    const conf = join(this.dir, 'router.conf');
    writeFileSync(conf, text);
    if (vendor === 'bird') {
      this.spawnIn(this.router, BIRD ?? 'bird', ['-f', '-c', conf, '-s', join(this.dir, 'router.ctl')]);
      return;
    }
    // FRR with its own path space (-N), as in the lab notes.
    const etc = `/etc/frr/${this.frrName}`;
    const run = `/var/run/frr/${this.frrName}`;
    this.frrDirs = [etc, run];
    const frr = Number(sh('id', ['-u', 'frr']).trim());
    const frrGid = Number(sh('id', ['-g', 'frr']).trim());
    for (const d of this.frrDirs) {
      mkdirSync(d, { recursive: true });
      chownSync(d, frr, frrGid);
    }
    writeFileSync(join(etc, 'frr.conf'), text);
    writeFileSync(join(etc, 'vtysh.conf'), '');
    chownSync(join(etc, 'frr.conf'), frr, frrGid);
    chownSync(join(etc, 'vtysh.conf'), frr, frrGid);
    this.spawnIn(this.router, ZEBRA, ['-N', this.frrName, '-F', 'traditional', '-f', join(etc, 'frr.conf')]);
    for (let i = 0; i < 50 && !existsSync(join(run, 'zserv.api')); i++) await sleep(100);
    this.spawnIn(this.router, BGPD, ['-N', this.frrName, '-F', 'traditional', '-f', join(etc, 'frr.conf')]);
  }

  /** The gateways of the router namespace's kernel route to 10.10.10.12/32. */
  gateways(): string[] {
    let out: string;
    try {
      out = sh('ip', ['-n', this.router, '-j', 'route', 'show', '10.10.10.12/32']);
    } catch {
      return [];
    }
    const routes = JSON.parse(out || '[]') as { gateway?: string; nexthops?: { gateway?: string }[] }[];
    const gws: string[] = [];
    for (const r of routes) {
      if (r.gateway) gws.push(r.gateway);
      for (const nh of r.nexthops ?? []) if (nh.gateway) gws.push(nh.gateway);
    }
    return gws.sort();
  }

  async waitForEcmp(timeoutMs: number): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    let last: string[] = [];
    while (Date.now() < deadline) {
      last = this.gateways();
      if (last.length === 2) return last;
      await sleep(200);
    }
    return last;
  }

  async destroy(): Promise<void> {
    for (const c of this.children) {
      if (c.exitCode === null && c.signalCode === null && c.pid !== undefined) {
        try {
          process.kill(c.pid, 'SIGTERM');
        } catch {
          /* already gone */
        }
      }
    }
    await Promise.all(
      this.children.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null || c.signalCode !== null) return resolve();
            const t = setTimeout(() => {
              if (c.pid !== undefined) {
                try {
                  process.kill(c.pid, 'SIGKILL');
                } catch {
                  /* gone */
                }
              }
              resolve();
            }, 3000);
            c.once('exit', () => {
              clearTimeout(t);
              resolve();
            });
          }),
      ),
    );
    for (const ns of this.namespaces.reverse()) {
      try {
        sh('ip', ['netns', 'del', ns]);
      } catch {
        /* already gone */
      }
    }
    for (const d of this.frrDirs) rmSync(d, { recursive: true, force: true });
    rmSync(this.dir, { recursive: true, force: true });
  }
}


function node(name: string, ip: string, rack: string): Node {
  return {
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, rack } },
    status: { addresses: [{ type: 'InternalIP', address: ip }] },
  };
}

/** eBGP from two racks with different ASNs, TCP MD5 and short timers: needs multipath-relax. */
function ebgpRouterConfig(vendor: Vendor): string {
  const config: Config = {
    peers: [
      peer({ name: 'rack1', myAsn: 64601, peerAsn: 65000, password: 's3cret', holdTime: 9, keepaliveTime: 3, nodeSelectors: [{ matchLabels: { rack: '1' } }] }),
      peer({ name: 'rack2', myAsn: 64602, peerAsn: 65000, password: 's3cret', holdTime: 9, keepaliveTime: 3, nodeSelectors: [{ matchLabels: { rack: '2' } }] }),
    ],
    pools: [],
    advertisements: [],
    bfdProfiles: [],
    warnings: [],
  };
  const plans = routerPlans(config, [node('node116', '10.10.10.116', '1'), node('node117', '10.10.10.117', '2')]);
  assert.deepEqual(plans.issues, []);
  return renderRouterConfig(vendor, plans.routers);
}

async function seedRouterConfig(vendor: Vendor): Promise<string> {
  const result = routerConfigFromManifests(await loadManifests([SEED]), { vendor });
  assert.ok(result.ok);
  assert.deepEqual(result.issues, []);
  return result.text;
}

describe('router-config output in real routers', { skip: reason }, () => {
  const labs: Lab[] = [];
  after(async () => {
    for (const lab of labs) await lab.destroy();
  });

  for (const vendor of ['frr', 'bird'] as const) {
    test(`${vendor}: the seed's manifests, iBGP: sessions with both nodes and an ECMP route`, async () => {
      const lab = new Lab();
      labs.push(lab);
      lab.build();
      lab.startNodeSpeakers([64512, 64512], 64512);
      await lab.startRouter(vendor, await seedRouterConfig(vendor));
      assert.deepEqual(await lab.waitForEcmp(30_000), ['10.10.10.116', '10.10.10.117']);
      await lab.destroy();
      labs.splice(labs.indexOf(lab), 1);
    });

    test(`${vendor}: eBGP from two ASNs with TCP MD5 and 9 s hold time: an ECMP route`, async () => {
      const lab = new Lab();
      labs.push(lab);
      lab.build();
      lab.startNodeSpeakers([64601, 64602], 65000, 's3cret', 9);
      await lab.startRouter(vendor, ebgpRouterConfig(vendor));
      assert.deepEqual(await lab.waitForEcmp(30_000), ['10.10.10.116', '10.10.10.117']);
      await lab.destroy();
      labs.splice(labs.indexOf(lab), 1);
    });
  }
});
