/**
 * The lab router's view as text, in the shape network engineers read on a switch: a neighbour table like
 * `show ip bgp summary` and the BGP routes like `show ip route bgp` (FRR's layout, as in the seed's
 * walkthrough). Pure: the caller passes the current time.
 */
import type { InstalledRoute } from './lab-rib.js';
import { formatUpDown as formatUpDownSeconds } from '../observe/status-format.js';

/** One neighbour of the summary. */
export interface NeighborRow {
  readonly address: string;
  readonly asn: number;
  readonly msgRcvd: number;
  readonly msgSent: number;
  /** RFC 4271 §8.2.2 state name: Idle, Connect, Active, OpenSent, OpenConfirm, Established. */
  readonly state: string;
  /** Since when the session is in its current up (Established) or down state, ms since the epoch. */
  readonly sinceMs?: number;
  /** Prefixes received (counted only when Established). */
  readonly prefixes: number;
}

export interface SummaryInput {
  readonly routerId: string;
  readonly localAs: number;
  readonly neighbors: readonly NeighborRow[];
  readonly nowMs: number;
}

/**
 * FRR's Up/Down column: `hh:mm:ss` under a day, `NdNNhNNm` under a week, `NwNdNNh` beyond,
 * `never` when the session was never up.
 */
export function formatUpDown(sinceMs: number | undefined, nowMs: number): string {
  return sinceMs === undefined ? 'never' : formatUpDownSeconds((nowMs - sinceMs) / 1000);
}

function pad(text: string, width: number): string {
  return text.length >= width ? `${text} ` : text.padEnd(width);
}

function padLeft(text: string, width: number): string {
  return text.padStart(width);
}

/**
 * The neighbour table. State/PfxRcd holds the prefix count when Established and the state name
 * otherwise (as FRR prints it); the last column spells the state out for every row.
 */
export function formatBgpSummary(input: SummaryInput): string {
  const lines = [
    `BGP router identifier ${input.routerId}, local AS number ${input.localAs}`,
    `Peers ${input.neighbors.length}`,
    '',
    `${pad('Neighbor', 16)}V ${padLeft('AS', 10)} ${padLeft('MsgRcvd', 9)} ${padLeft('MsgSent', 9)} ${padLeft('Up/Down', 9)} ${padLeft('State/PfxRcd', 12)}  State`,
  ];
  for (const n of input.neighbors) {
    const established = n.state === 'Established';
    const pfx = established ? String(n.prefixes) : n.state;
    const upDown = formatUpDown(n.sinceMs, input.nowMs);
    lines.push(
      `${pad(n.address, 16)}4 ${padLeft(String(n.asn), 10)} ${padLeft(String(n.msgRcvd), 9)} ${padLeft(String(n.msgSent), 9)} ${padLeft(upDown, 9)} ${padLeft(pfx, 12)}  ${n.state}`,
    );
  }
  const up = input.neighbors.filter((n) => n.state === 'Established').length;
  lines.push('', `Total number of neighbors ${input.neighbors.length}, established ${up}`);
  return lines.join('\n');
}

export interface RouteTableInput {
  readonly routes: readonly InstalledRoute[];
  /** Whether a neighbour is in our own AS (iBGP: administrative distance 200, eBGP: 20). */
  readonly isInternal: (neighbor: string) => boolean;
  readonly nowMs: number;
}

/**
 * The routes, as FRR's `show ip route bgp`: `B>* 10.10.10.12/32 [200/0] via 127.0.0.116, weight 1,
 * 00:00:05` and one continuation line per further equal-cost next hop.
 */
export function formatRouteTable(input: RouteTableInput): string {
  const lines = ['Codes: B - BGP, > - selected route, * - FIB route', ''];
  if (input.routes.length === 0) lines.push('(no BGP routes)');
  for (const r of input.routes) {
    const first = r.paths[0];
    if (!first) continue;
    const distance = input.isInternal(first.neighbor) ? 200 : 20;
    const head = `B>* ${r.prefix} [${distance}/${first.med ?? 0}] `;
    r.paths.forEach((p, i) => {
      const via = `via ${p.nextHop}, weight 1, ${formatUpDown(p.sinceMs, input.nowMs)}`;
      lines.push(i === 0 ? `${head}${via}` : `  *${' '.repeat(Math.max(1, head.length - 3))}${via}`);
    });
  }
  return lines.join('\n');
}
