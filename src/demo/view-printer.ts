/**
 * Prints the lab routers' view when it changes: a neighbour table and the routes, as a switch shows
 * them. "Changes" means a session changed state or prefix count, or a route or next hop came or went;
 * message counters and the Up/Down clock alone do not cause a re-print (they tick all the time).
 */
import type { InstalledRoute } from './lab-rib.js';
import type { NeighborRow } from './router-view.js';
import { formatBgpSummary, formatRouteTable } from './router-view.js';

/** What one router shows. */
export interface RouterSnapshot {
  readonly title: string;
  readonly routerId: string;
  readonly localAs: number;
  readonly neighbors: readonly NeighborRow[];
  readonly routes: readonly InstalledRoute[];
  readonly isInternal: (neighbor: string) => boolean;
}

/** The part of a snapshot whose change is worth a re-print. */
export function viewSignature(routers: readonly RouterSnapshot[]): string {
  return JSON.stringify(
    routers.map((r) => ({
      n: r.neighbors.map((n) => [n.address, n.state, n.state === 'Established' ? n.prefixes : 0]),
      r: r.routes.map((x) => [x.prefix, x.paths.map((p) => [p.nextHop, p.localPref, p.communities, p.largeCommunities])]),
    })),
  );
}

/** The full text of the view at `nowMs`. */
export function renderView(routers: readonly RouterSnapshot[], nowMs: number): string {
  const blocks: string[] = [];
  for (const r of routers) {
    const rule = '='.repeat(Math.max(8, 100 - r.title.length - 4));
    blocks.push(
      `== ${r.title} ${rule}`,
      '# show ip bgp summary',
      formatBgpSummary({ routerId: r.routerId, localAs: r.localAs, neighbors: r.neighbors, nowMs }),
      '',
      '# show ip route bgp',
      formatRouteTable({ routes: r.routes, isInternal: r.isInternal, nowMs }),
      '',
    );
  }
  return blocks.join('\n');
}

/**
 * Calls `print` with the rendered view whenever `check` finds its signature changed; `force` prints
 * regardless (the final view on exit).
 */
export class ViewPrinter {
  private last = '';
  constructor(
    private readonly read: () => readonly RouterSnapshot[],
    private readonly print: (text: string) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** Prints when the view changed since the last print; returns whether it printed. */
  check(): boolean {
    const routers = this.read();
    const sig = viewSignature(routers);
    if (sig === this.last) return false;
    this.last = sig;
    this.print(renderView(routers, this.now()));
    return true;
  }

  /** Prints the view now. */
  force(): void {
    const routers = this.read();
    this.last = viewSignature(routers);
    this.print(renderView(routers, this.now()));
  }
}
