/**
 * The comment a router's configuration carries in place of a setting the metallb-ts speaker does
 * not apply yet, so the router is not configured to expect something the speaker never sends.
 */
import type { RouterNeighbor } from './routers.js';

/**
 * The comment line (after the vendor's `comment` marker) that replaces a neighbor's password.
 * RFC 2385 §2: a router that requires the MD5 option drops every segment without it.
 */
export function passwordNotAppliedComment(comment: string, n: RouterNeighbor): string {
  return `${comment} neighbor ${n.address}: password (TCP MD5) of peer ${n.peer} left out: the metallb-ts speaker does not apply it yet`;
}
