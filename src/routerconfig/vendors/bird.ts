/**
 * BIRD 2: one `protocol bgp` per node (direct, or multihop when requested), routes imported and
 * none exported, and kernel protocols that export BGP routes with `merge paths on` so equal routes
 * via several nodes become one ECMP kernel route. BFD options go in each session's `bfd { }` block,
 * with a `protocol bfd` to run them.
 */
import type { RenderOptions } from '../render-options.js';
import { ecmpPaths } from '../render-options.js';
import type { RouterPlan } from '../routers.js';

function quote(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** A BIRD symbol for a node: `metallb_` and the name with every other character made `_`, unique. */
function protocolNames(nodes: readonly string[]): string[] {
  const used = new Set<string>();
  return nodes.map((node) => {
    const base = `metallb_${node.replace(/[^A-Za-z0-9_]/g, '_')}`;
    let name = base;
    for (let i = 2; used.has(name); i++) name = `${base}_${i}`;
    used.add(name);
    return name;
  });
}

export function renderBird(router: RouterPlan, options: RenderOptions): string[] {
  const lines: string[] = [];
  if (router.routerId !== undefined) lines.push(`router id ${router.routerId};`, '');
  lines.push('protocol device {', '}', '');
  for (const family of ['ipv4', 'ipv6'] as const) {
    if (!router.neighbors.some((n) => n.family === family)) continue;
    const ecmp = ecmpPaths(router, options, family);
    lines.push(`protocol kernel metallb_kernel${family === 'ipv4' ? '4' : '6'} {`);
    lines.push(`  ${family} { export where source = RTS_BGP; };`);
    if (ecmp.all > 0) lines.push(`  merge paths on limit ${ecmp.all};`);
    lines.push('}', '');
  }
  if (router.neighbors.some((n) => n.bfd)) lines.push('protocol bfd metallb_bfd {', '}', '');
  const names = protocolNames(router.neighbors.map((n) => n.node));
  router.neighbors.forEach((n, i) => {
    lines.push(`protocol bgp ${names[i] ?? 'metallb'} {`);
    lines.push(`  description ${quote(`${n.node} (${n.peer})`)};`);
    // The nodes dial peerPort; BIRD listens on the `local ... port` it is given.
    lines.push(`  local ${router.address}${router.port !== 179 ? ` port ${router.port}` : ''} as ${router.asn};`);
    lines.push(`  neighbor ${n.address} as ${n.remoteAsn};`);
    lines.push(n.multihop && !n.ibgp ? '  multihop;' : '  direct;');
    if (n.password !== undefined) lines.push(`  password ${quote(n.password)};`);
    if (n.timers) {
      lines.push(`  hold time ${n.timers.holdTime};`);
      // BIRD takes keepalive 1..65535 only; hold time 0 already turns keepalives off (RFC 4271 §4.4).
      if (n.timers.keepaliveTime > 0) lines.push(`  keepalive time ${n.timers.keepaliveTime};`);
    }
    if (n.bfd) {
      const b = n.bfd;
      lines.push(
        `  bfd { min rx interval ${b.receiveInterval} ms; min tx interval ${b.transmitInterval} ms; multiplier ${b.detectMultiplier};${b.passiveMode ? ' passive on;' : ''} };`,
      );
    }
    lines.push(`  ${n.family} { import all; export none; };`);
    lines.push('}', '');
  });
  while (lines.at(-1) === '') lines.pop();
  return lines;
}
