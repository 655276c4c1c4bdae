/**
 * Cisco NX-OS: `feature bgp`, `router bgp` with `maximum-paths` / `maximum-paths ibgp` per address
 * family, neighbors in their own sub-mode with their address family enabled. NX-OS sets BFD
 * intervals globally (or per interface), so the first BFD profile in use gives the global values.
 */
import type { RenderOptions } from '../render-options.js';
import { ecmpPaths } from '../render-options.js';
import type { RouterPlan } from '../routers.js';

export function renderNxos(router: RouterPlan, options: RenderOptions): string[] {
  const lines = ['feature bgp'];
  const bfdProfiles = [...new Map(router.neighbors.flatMap((n) => (n.bfd ? [[n.bfd.name, n.bfd] as const] : []))).values()];
  const first = bfdProfiles[0];
  if (first) {
    lines.push('feature bfd');
    if (bfdProfiles.length > 1) {
      lines.push(`! BFD intervals are global on NX-OS: profile ${first.name} applies to every neighbor`);
    }
    lines.push(`bfd interval ${first.transmitInterval} min_rx ${first.receiveInterval} multiplier ${first.detectMultiplier}`);
  }
  lines.push('!', `router bgp ${router.asn}`);
  if (router.routerId !== undefined) lines.push(`  router-id ${router.routerId}`);
  const all = ecmpPaths(router, options);
  if (all.multipleAs) lines.push('  bestpath as-path multipath-relax');
  for (const family of ['ipv4', 'ipv6'] as const) {
    if (!router.neighbors.some((n) => n.family === family)) continue;
    lines.push(`  address-family ${family} unicast`);
    const ecmp = ecmpPaths(router, options, family);
    if (ecmp.ebgp > 0) lines.push(`    maximum-paths ${ecmp.ebgp}`);
    if (ecmp.ibgp > 0) lines.push(`    maximum-paths ibgp ${ecmp.ibgp}`);
  }
  for (const n of router.neighbors) {
    lines.push(`  neighbor ${n.address}`);
    lines.push(`    remote-as ${n.remoteAsn}`);
    lines.push(`    description ${n.node}`);
    if (n.password !== undefined) lines.push(`    password 0 ${n.password}`);
    if (n.timers) lines.push(`    timers ${n.timers.keepaliveTime} ${n.timers.holdTime}`);
    if (n.multihop && !n.ibgp) lines.push('    ebgp-multihop 255');
    if (n.bfd) lines.push('    bfd');
    lines.push(`    address-family ${n.family} unicast`);
  }
  lines.push('!');
  return lines;
}
