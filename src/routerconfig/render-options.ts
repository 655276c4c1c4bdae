/**
 * Options shared by every vendor renderer, and the ECMP path counts they derive from a router plan.
 */
import type { RouterPlan } from './routers.js';

export interface RenderOptions {
  /**
   * Emit the ECMP settings (maximum-paths, multipath, merge paths) so the router installs one route
   * via every node announcing a prefix. Default true.
   */
  readonly ecmp?: boolean;
  /** The ECMP path limit; default: the number of neighbors of the kind (iBGP, eBGP) concerned. */
  readonly maximumPaths?: number;
}

/** How many paths to allow for iBGP and for eBGP; 0 means leave the vendor's default (one path). */
export interface EcmpPaths {
  readonly ibgp: number;
  readonly ebgp: number;
  /** Both kinds together, for vendors with a single knob. */
  readonly all: number;
  /** eBGP neighbors come from more than one AS, so AS paths differ and must be relaxed for ECMP. */
  readonly multipleAs: boolean;
}

/**
 * The ECMP path counts for a router: with two or more neighbors of a kind, that many paths (or
 * `maximumPaths`); otherwise 0.
 */
export function ecmpPaths(router: RouterPlan, options: RenderOptions, family?: RouterPlan['family']): EcmpPaths {
  const neighbors = family === undefined ? router.neighbors : router.neighbors.filter((n) => n.family === family);
  if (options.ecmp === false) return { ibgp: 0, ebgp: 0, all: 0, multipleAs: false };
  const count = (n: number): number => (n >= 2 ? (options.maximumPaths ?? n) : 0);
  const ibgp = neighbors.filter((n) => n.ibgp).length;
  const ebgpNeighbors = neighbors.filter((n) => !n.ibgp);
  return {
    ibgp: count(ibgp),
    ebgp: count(ebgpNeighbors.length),
    all: count(neighbors.length),
    multipleAs: new Set(ebgpNeighbors.map((n) => n.remoteAsn)).size > 1,
  };
}
