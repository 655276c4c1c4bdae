/**
 * NVIDIA/Mellanox Onyx, as in the seed document: the global prerequisites (`no spanning-tree`,
 * `lldp`, `ip routing`, `protocol bgp`), then `router bgp ASN` and one `neighbor IP remote-as ASN`
 * per node, in configuration-mode form (what is typed after `configure terminal`).
 */
import type { RenderOptions } from '../render-options.js';
import { ecmpPaths } from '../render-options.js';
import type { RouterPlan } from '../routers.js';

export function renderOnyx(router: RouterPlan, options: RenderOptions): string[] {
  const lines = ['no spanning-tree', 'lldp', 'ip routing', 'protocol bgp'];
  const bfd = router.neighbors.some((n) => n.bfd);
  if (bfd) lines.push('protocol bfd');
  lines.push(`router bgp ${router.asn}`);
  for (const n of router.neighbors) lines.push(`neighbor ${n.address} remote-as ${n.remoteAsn}`);
  for (const n of router.neighbors) {
    if (n.password !== undefined) lines.push(`neighbor ${n.address} password ${n.password}`);
    if (n.timers) lines.push(`neighbor ${n.address} timers ${n.timers.keepaliveTime} ${n.timers.holdTime}`);
    if (n.multihop && !n.ibgp) lines.push(`neighbor ${n.address} ebgp-multihop 255`);
    if (n.bfd) lines.push(`neighbor ${n.address} fall-over bfd`);
  }
  const ecmp = ecmpPaths(router, options);
  if (ecmp.multipleAs && ecmp.ebgp > 0) lines.push('bestpath as-path multipath-relax force');
  if (ecmp.all > 0) lines.push(`maximum-paths ${ecmp.all}`);
  return lines;
}
