/**
 * FRRouting (frr.conf / vtysh), loadable unchanged: `router bgp` with the router ID,
 * `no bgp ebgp-requires-policy` (RFC 8212 would otherwise drop every eBGP route without a policy),
 * `no bgp default ipv4-unicast` with explicit activation per address family, `maximum-paths` /
 * `maximum-paths ibgp` for ECMP, and a `bfd` block with one profile per BFD profile used.
 */
import type { BfdProfileConfig } from '../../config/types.js';
import type { RenderOptions } from '../render-options.js';
import { ecmpPaths } from '../render-options.js';
import type { RouterPlan } from '../routers.js';

function bfdProfileLines(p: BfdProfileConfig): string[] {
  const lines = [
    ` profile ${p.name}`,
    `  receive-interval ${p.receiveInterval}`,
    `  transmit-interval ${p.transmitInterval}`,
    `  detect-multiplier ${p.detectMultiplier}`,
  ];
  if (p.echoMode) {
    lines.push('  echo-mode', `  echo transmit-interval ${p.echoInterval}`, `  echo receive-interval ${p.echoInterval}`);
  }
  if (p.passiveMode) lines.push('  passive-mode');
  if (p.minimumTtl !== 254) lines.push(`  minimum-ttl ${p.minimumTtl}`);
  lines.push(' exit', ' !');
  return lines;
}

export function renderFrr(router: RouterPlan, options: RenderOptions): string[] {
  const lines: string[] = [];
  // bgpd takes its listening port on the command line only (`bgpd -p PORT`).
  if (router.port !== 179) lines.push(`! the nodes dial port ${router.port}: run bgpd with -p ${router.port}`);
  lines.push(`router bgp ${router.asn}`);
  if (router.routerId !== undefined) lines.push(` bgp router-id ${router.routerId}`);
  lines.push(' no bgp ebgp-requires-policy', ' no bgp default ipv4-unicast');
  if (ecmpPaths(router, options).multipleAs) lines.push(' bgp bestpath as-path multipath-relax');
  for (const n of router.neighbors) {
    lines.push(` neighbor ${n.address} remote-as ${n.remoteAsn}`);
    lines.push(` neighbor ${n.address} description ${n.node}`);
    if (n.password !== undefined) lines.push(` neighbor ${n.address} password ${n.password}`);
    if (n.timers) lines.push(` neighbor ${n.address} timers ${n.timers.keepaliveTime} ${n.timers.holdTime}`);
    if (n.multihop && !n.ibgp) lines.push(` neighbor ${n.address} ebgp-multihop`);
    if (n.bfd) lines.push(` neighbor ${n.address} bfd`, ` neighbor ${n.address} bfd profile ${n.bfd.name}`);
  }
  for (const family of ['ipv4', 'ipv6'] as const) {
    const members = router.neighbors.filter((n) => n.family === family);
    if (members.length === 0) continue;
    lines.push(' !', ` address-family ${family} unicast`);
    for (const n of members) lines.push(`  neighbor ${n.address} activate`);
    const ecmp = ecmpPaths(router, options, family);
    if (ecmp.ebgp > 0) lines.push(`  maximum-paths ${ecmp.ebgp}`);
    if (ecmp.ibgp > 0) lines.push(`  maximum-paths ibgp ${ecmp.ibgp}`);
    lines.push(' exit-address-family');
  }
  lines.push('exit', '!');
  const profiles = new Map<string, BfdProfileConfig>();
  for (const n of router.neighbors) if (n.bfd) profiles.set(n.bfd.name, n.bfd);
  if (profiles.size > 0) {
    lines.push('bfd');
    for (const p of profiles.values()) for (const l of bfdProfileLines(p)) lines.push(l);
    lines.push('exit', '!');
  }
  return lines;
}
