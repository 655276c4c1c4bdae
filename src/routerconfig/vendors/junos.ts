/**
 * Juniper Junos as `set` commands: one BGP group per kind and family (`metallb-ibgp`,
 * `metallb-ebgp`, `metallb-ibgp6`, `metallb-ebgp6`), `multipath` (`multiple-as` when eBGP nodes use
 * different ASNs), and a load-balance policy exported to the forwarding table, without which Junos
 * installs one next hop only. Junos has no separate keepalive setting (it is hold time / 3).
 */
import type { RenderOptions } from '../render-options.js';
import { ecmpPaths } from '../render-options.js';
import type { RouterNeighbor, RouterPlan } from '../routers.js';

function quote(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

export function renderJunos(router: RouterPlan, options: RenderOptions): string[] {
  const lines: string[] = [];
  if (router.routerId !== undefined) lines.push(`set routing-options router-id ${router.routerId}`);
  lines.push(`set routing-options autonomous-system ${router.asn}`);
  let anyEcmp = false;
  const groups: { name: string; ibgp: boolean; family: 'ipv4' | 'ipv6'; members: RouterNeighbor[] }[] = [];
  for (const family of ['ipv4', 'ipv6'] as const) {
    for (const ibgp of [true, false]) {
      const members = router.neighbors.filter((n) => n.family === family && n.ibgp === ibgp);
      if (members.length === 0) continue;
      groups.push({ name: `metallb-${ibgp ? 'ibgp' : 'ebgp'}${family === 'ipv6' ? '6' : ''}`, ibgp, family, members });
    }
  }
  for (const g of groups) {
    const at = `set protocols bgp group ${g.name}`;
    lines.push(`${at} type ${g.ibgp ? 'internal' : 'external'}`);
    if (g.family === 'ipv6') lines.push(`${at} family inet6 unicast`);
    const ecmp = ecmpPaths(router, options, g.family);
    if ((g.ibgp ? ecmp.ibgp : ecmp.ebgp) > 0) {
      anyEcmp = true;
      lines.push(`${at} multipath${!g.ibgp && ecmp.multipleAs ? ' multiple-as' : ''}`);
    }
    for (const n of g.members) {
      const nb = `${at} neighbor ${n.address}`;
      lines.push(`${nb} description ${n.node}`);
      if (!g.ibgp) lines.push(`${nb} peer-as ${n.remoteAsn}`);
      if (n.password !== undefined) lines.push(`${nb} authentication-key ${quote(n.password)}`);
      if (n.timers) lines.push(`${nb} hold-time ${n.timers.holdTime}`);
      if (n.multihop && !n.ibgp) lines.push(`${nb} multihop`);
      if (n.bfd) {
        lines.push(`${nb} bfd-liveness-detection minimum-receive-interval ${n.bfd.receiveInterval}`);
        lines.push(`${nb} bfd-liveness-detection transmit-interval minimum-interval ${n.bfd.transmitInterval}`);
        lines.push(`${nb} bfd-liveness-detection multiplier ${n.bfd.detectMultiplier}`);
      }
    }
  }
  if (anyEcmp) {
    lines.push('set policy-options policy-statement metallb-ecmp then load-balance per-packet');
    lines.push('set routing-options forwarding-table export metallb-ecmp');
  }
  return lines;
}
