/**
 * Captures the OPEN and UPDATE messages that real FRR, BIRD 2, GoBGP and ExaBGP send, and stores
 * each as `src/bgp/wire/fixtures/<router>-<version>-<session>-<what>.hex` with a first comment line
 * saying where it came from. Rerunnable: it replaces the fixtures of each router version it captures.
 *
 *   npm run build && node dist/test/interop/capture-fixtures.js [frr] [bird] [gobgp] [exabgp]
 *
 * For each router, two lab runs (root, network namespaces): the router as AS 4200000001 (a 4-octet
 * AS) with eBGP sessions to the capture peer (capture-peer.ts) over IPv4 and over IPv6 and one to a
 * peer without the 4-octet AS capability (so the router sends AS_TRANS and AS4_PATH), then the router
 * as AS 64512 (a 2-octet AS) with iBGP sessions over IPv4 and IPv6 (LOCAL_PREF). Each router
 * announces 198.51.100.1/32 and 198.51.100.2/32 (2001:db8::1/128, 2001:db8::2/128 over IPv6) with
 * communities 64512:100 64512:200, large community 64512:1:2, MED 50 and LOCAL_PREF 200, and
 * 203.0.113.0/24 (2001:db8:1::/48) with no extra attributes.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Lab, labUnavailable, sleep } from './lab/lab.js';
import type { Namespace, DaemonKind } from './lab/lab.js';
import { startFrr } from './lab/frr.js';
import { startBird } from './lab/bird.js';
import { startGobgp } from './lab/gobgp.js';
import { startExabgp } from './lab/exabgp.js';

const FIXTURES = fileURLToPath(new URL('../../../src/bgp/wire/fixtures/', import.meta.url));
const PEER_SCRIPT = fileURLToPath(new URL('./capture-peer.js', import.meta.url));
const TODAY = new Date().toISOString().slice(0, 10);

type Family = 'ipv4' | 'ipv6';

interface Session {
  /** Short name used in the fixture file name. */
  readonly id: string;
  readonly label: string;
  readonly local: string;
  readonly asn: number;
  readonly fourOctetAs: boolean;
  readonly family: Family;
}

interface Scenario {
  readonly routerAs: number;
  readonly sessions: readonly Session[];
}

const SCENARIOS: readonly Scenario[] = [
  {
    routerAs: 4200000001,
    sessions: [
      { id: 'ebgp-v4', label: 'eBGP over IPv4', local: '10.10.10.2', asn: 65001, fourOctetAs: true, family: 'ipv4' },
      { id: 'ebgp-v6', label: 'eBGP over IPv6', local: 'fd00:10::2', asn: 65001, fourOctetAs: true, family: 'ipv6' },
      { id: 'ebgp-as2peer', label: 'eBGP over IPv4 to a peer without the 4-octet AS capability', local: '10.10.10.4', asn: 65002, fourOctetAs: false, family: 'ipv4' },
    ],
  },
  {
    routerAs: 64512,
    sessions: [
      { id: 'ibgp-v4', label: 'iBGP over IPv4', local: '10.10.10.3', asn: 64512, fourOctetAs: true, family: 'ipv4' },
      { id: 'ibgp-v6', label: 'iBGP over IPv6', local: 'fd00:10::3', asn: 64512, fourOctetAs: true, family: 'ipv6' },
    ],
  },
];

const ATTR_PREFIXES: Record<Family, string[]> = { ipv4: ['198.51.100.1/32', '198.51.100.2/32'], ipv6: ['2001:db8::1/128', '2001:db8::2/128'] };
const PLAIN_PREFIXES: Record<Family, string[]> = { ipv4: ['203.0.113.0/24'], ipv6: ['2001:db8:1::/48'] };

interface Captured {
  readonly local: string;
  readonly type: number;
  readonly hex: string;
}

function debVersion(pkg: string): string {
  return execFileSync('dpkg-query', ['-W', '-f', '${Version}', pkg]).toString().trim();
}

const ROUTERS: Record<string, { kind: DaemonKind; pkg: string; display: string }> = {
  frr: { kind: 'frr', pkg: 'frr', display: 'FRR' },
  bird: { kind: 'bird', pkg: 'bird2', display: 'BIRD' },
  gobgp: { kind: 'gobgp', pkg: 'gobgpd', display: 'GoBGP' },
  exabgp: { kind: 'exabgp', pkg: 'exabgp', display: 'ExaBGP' },
};

async function startRouter(router: string, lab: Lab, r: Namespace, sc: Scenario): Promise<void> {
  const ibgp = (s: Session): boolean => s.asn === sc.routerAs;
  switch (router) {
    case 'frr': {
      const routeMaps = [
        'route-map SET permit 10',
        ' set community 64512:100 64512:200',
        ' set large-community 64512:1:2',
        ' set metric 50',
        ' set local-preference 200',
        '!',
      ].join('\n');
      await startFrr(lab, r, {
        asn: sc.routerAs,
        routerId: r.v4,
        neighbors: sc.sessions.map((s) => ({ address: s.local, remoteAs: s.asn, families: [s.family] })),
        networks: [
          ...[...ATTR_PREFIXES.ipv4, ...ATTR_PREFIXES.ipv6].map((prefix) => ({ prefix, routeMap: 'SET' })),
          ...[...PLAIN_PREFIXES.ipv4, ...PLAIN_PREFIXES.ipv6].map((prefix) => ({ prefix })),
        ],
        extra: routeMaps,
      });
      return;
    }
    case 'bird': {
      const attrNets = `[${ATTR_PREFIXES.ipv4.join(', ')}]`;
      const attrNets6 = `[${ATTR_PREFIXES.ipv6.join(', ')}]`;
      const extra = [
        'filter out_set {',
        '  if proto != "st4" && proto != "st6" then reject;',
        `  if (net.type = NET_IP4 && net ~ ${attrNets}) || (net.type = NET_IP6 && net ~ ${attrNets6}) then {`,
        '    bgp_community.add((64512,100)); bgp_community.add((64512,200));',
        '    bgp_large_community.add((64512,1,2));',
        '    bgp_med = 50;',
        '    bgp_local_pref = 200;',
        '  }',
        '  accept;',
        '}',
      ].join('\n');
      await startBird(lab, r, {
        asn: sc.routerAs,
        routerId: r.v4,
        extra,
        staticRoutes: [...ATTR_PREFIXES.ipv4, ...ATTR_PREFIXES.ipv6, ...PLAIN_PREFIXES.ipv4, ...PLAIN_PREFIXES.ipv6].map((prefix) => ({ prefix })),
        neighbors: sc.sessions.map((s, i) => ({
          name: `cap${i}`,
          address: s.local,
          peerAs: s.asn,
          localAddress: s.family === 'ipv4' ? r.v4 : r.v6,
          families: [s.family],
          exportFilter: 'out_set',
        })),
      });
      return;
    }
    case 'gobgp': {
      const g = await startGobgp(lab, r, {
        asn: sc.routerAs,
        routerId: r.v4,
        neighbors: sc.sessions.map((s) => ({ address: s.local, peerAs: s.asn, families: [s.family] })),
      });
      const attrs = ['community', '64512:100,64512:200', 'large-community', '64512:1:2', 'med', '50'];
      const lp = sc.sessions.some(ibgp) ? ['local-pref', '200'] : [];
      for (const p of [...ATTR_PREFIXES.ipv4, ...ATTR_PREFIXES.ipv6]) await g.addRoute(p, [...attrs, ...lp]);
      for (const p of [...PLAIN_PREFIXES.ipv4, ...PLAIN_PREFIXES.ipv6]) await g.addRoute(p);
      return;
    }
    case 'exabgp': {
      await startExabgp(lab, r, {
        asn: sc.routerAs,
        routerId: r.v4,
        neighbors: sc.sessions.map((s) => {
          const attrs = `community [64512:100 64512:200] large-community [64512:1:2] med 50${ibgp(s) ? ' local-preference 200' : ''}`;
          return {
            address: s.local,
            localAddress: s.family === 'ipv4' ? r.v4 : r.v6,
            peerAs: s.asn,
            families: [s.family],
            routes: [
              ...ATTR_PREFIXES[s.family].map((p) => `${p} next-hop self ${attrs}`),
              ...PLAIN_PREFIXES[s.family].map((p) => `${p} next-hop self`),
            ],
          };
        }),
      });
      return;
    }
    default:
      throw new Error(`unknown router ${router}`);
  }
}

/** Runs one scenario and returns the messages received per capture-peer local address. */
async function capture(router: string, sc: Scenario): Promise<Captured[]> {
  const lab = Lab.create();
  try {
    const r = await lab.addSwitch('r');
    const c = await lab.addHost('c', 2, [3, 4]);
    const peer = lab.spawn(c.name, 'capture-peer', process.execPath, [
      PEER_SCRIPT,
      JSON.stringify({ peers: sc.sessions.map((s) => ({ local: s.local, asn: s.asn, bgpId: `10.10.10.${s.local.endsWith('2') ? 2 : s.local.endsWith('3') ? 3 : 4}`, fourOctetAs: s.fourOctetAs, families: [s.family] })) }),
    ], { pipe: true });
    const got: Captured[] = [];
    let lastUpdate = Date.now();
    let partial = '';
    let listening = false;
    peer.child.stdout?.on('data', (d: Buffer) => {
      partial += d.toString();
      let nl: number;
      while ((nl = partial.indexOf('\n')) >= 0) {
        const line = partial.slice(0, nl);
        partial = partial.slice(nl + 1);
        const e = JSON.parse(line) as { event: string; local?: string; type?: number; hex?: string };
        if (e.event === 'listening') listening = true;
        if (e.event === 'message' && e.local !== undefined && e.type !== undefined && e.hex !== undefined) {
          got.push({ local: e.local, type: e.type, hex: e.hex });
          if (e.type === 2) lastUpdate = Date.now();
        }
      }
    });
    const t0 = Date.now();
    while (!listening && Date.now() - t0 < 10_000) await sleep(50);
    await startRouter(router, lab, r, sc);
    const deadline = Date.now() + 40_000;
    for (;;) {
      await sleep(250);
      const ready = sc.sessions.every((s) => got.some((m) => m.local === s.local && m.type === 1) && got.filter((m) => m.local === s.local && m.type === 2).length >= 2);
      if (ready && Date.now() - lastUpdate > 3000) break;
      if (Date.now() > deadline) {
        console.error(`${router}: gave up waiting; have ${got.length} messages`);
        break;
      }
    }
    return got;
  } finally {
    await lab.teardown();
  }
}

/** A short description of an UPDATE, parsed here by hand (RFC 4271 §4.3, RFC 4760). */
function describeUpdate(hex: string): string {
  const b = Buffer.from(hex, 'hex');
  const wlen = b.readUInt16BE(19);
  const alen = b.readUInt16BE(21 + wlen);
  const nlriLen = b.length - 23 - wlen - alen;
  const types: number[] = [];
  let mp = '';
  let off = 23 + wlen;
  const end = off + alen;
  while (off < end) {
    const flags = b[off] ?? 0;
    const type = b[off + 1] ?? 0;
    const ext = (flags & 0x10) !== 0;
    const len = ext ? b.readUInt16BE(off + 2) : (b[off + 2] ?? 0);
    const hdr = ext ? 4 : 3;
    types.push(type);
    if (type === 14) mp = ' with MP_REACH_NLRI';
    if (type === 15) mp = len <= 3 ? ' (MP_UNREACH_NLRI only: End-of-RIB)' : ' with MP_UNREACH_NLRI';
    off += hdr + len;
  }
  if (wlen === 0 && alen === 0) return 'UPDATE, empty (IPv4 End-of-RIB)';
  if (wlen === 0 && types.length === 1 && types[0] === 15 && mp.includes('End-of-RIB')) return 'UPDATE (IPv6 End-of-RIB, RFC 4724 §2)';
  const parts = [`attribute types [${types.join(',')}]${mp}`];
  if (wlen > 0) parts.push(`${wlen} bytes of withdrawn routes`);
  if (nlriLen > 0) parts.push(`${nlriLen} bytes of IPv4 NLRI`);
  return `UPDATE, ${parts.join(', ')}`;
}

async function main(): Promise<void> {
  const wanted = process.argv.slice(2).filter((a) => a in ROUTERS);
  const routers = wanted.length > 0 ? wanted : Object.keys(ROUTERS);
  const why = labUnavailable(routers.map((r) => ROUTERS[r]?.kind ?? 'frr'));
  if (why) throw new Error(`cannot capture: ${why}`);
  mkdirSync(FIXTURES, { recursive: true });
  for (const router of routers) {
    const info = ROUTERS[router];
    if (!info) continue;
    const deb = debVersion(info.pkg);
    const version = deb.replace(/^\d+:/, '').split('-')[0] ?? deb;
    const files = new Map<string, string>();
    for (const sc of SCENARIOS) {
      const msgs = await capture(router, sc);
      for (const s of sc.sessions) {
        const mine = msgs.filter((m) => m.local === s.local);
        const ctx = `${info.display} ${version} (Debian ${deb}), ${s.label}, router AS ${sc.routerAs} to capture peer AS ${s.asn}${s.fourOctetAs ? '' : ' (no 4-octet AS capability)'}, captured in the lab ${TODAY} by test/interop/capture-fixtures.ts`;
        const open = mine.find((m) => m.type === 1);
        if (open) files.set(`${router}-${version}-${s.id}-open.hex`, `# OPEN from ${ctx}\n${open.hex}\n`);
        const seen = new Set<string>();
        let n = 0;
        for (const m of mine.filter((x) => x.type === 2)) {
          if (seen.has(m.hex)) continue;
          seen.add(m.hex);
          n += 1;
          files.set(`${router}-${version}-${s.id}-update-${n}.hex`, `# ${describeUpdate(m.hex)} from ${ctx}\n${m.hex}\n`);
        }
        console.log(`${router} ${s.id}: OPEN ${open ? 'yes' : 'NO'}, ${n} distinct UPDATEs`);
      }
    }
    for (const f of readdirSync(FIXTURES)) if (f.startsWith(`${router}-${version}-`) && f.endsWith('.hex')) rmSync(FIXTURES + f);
    for (const [name, text] of files) writeFileSync(FIXTURES + name, text);
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
