/**
 * Arista EOS: `router bgp` with `maximum-paths N ecmp N` (one knob for iBGP and eBGP), neighbors
 * with per-neighbor BFD intervals, and IPv6 neighbors activated under `address-family ipv6`.
 */
import type { RenderOptions } from '../render-options.js';
import { ecmpPaths } from '../render-options.js';
import type { RouterPlan } from '../routers.js';

export function renderEos(router: RouterPlan, options: RenderOptions): string[] {
  const lines = ['ip routing'];
  if (router.neighbors.some((n) => n.family === 'ipv6')) lines.push('ipv6 unicast-routing');
  lines.push('!', `router bgp ${router.asn}`);
  if (router.routerId !== undefined) lines.push(`   router-id ${router.routerId}`);
  const ecmp = ecmpPaths(router, options);
  if (ecmp.all > 0) lines.push(`   maximum-paths ${ecmp.all} ecmp ${ecmp.all}`);
  if (ecmp.multipleAs) lines.push('   bgp bestpath as-path multipath-relax');
  for (const n of router.neighbors) {
    lines.push(`   neighbor ${n.address} remote-as ${n.remoteAsn}`);
    lines.push(`   neighbor ${n.address} description ${n.node}`);
    if (n.password !== undefined) lines.push(`   neighbor ${n.address} password 0 ${n.password}`);
    if (n.timers) lines.push(`   neighbor ${n.address} timers ${n.timers.keepaliveTime} ${n.timers.holdTime}`);
    if (n.multihop && !n.ibgp) lines.push(`   neighbor ${n.address} ebgp-multihop`);
    if (n.bfd) {
      lines.push(`   neighbor ${n.address} bfd`);
      lines.push(
        `   neighbor ${n.address} bfd interval ${n.bfd.transmitInterval} min-rx ${n.bfd.receiveInterval} multiplier ${n.bfd.detectMultiplier}`,
      );
    }
  }
  for (const family of ['ipv4', 'ipv6'] as const) {
    const members = router.neighbors.filter((n) => n.family === family);
    if (members.length === 0) continue;
    lines.push('   !', `   address-family ${family}`);
    for (const n of members) lines.push(`      neighbor ${n.address} activate`);
  }
  lines.push('!');
  return lines;
}
