/**
 * Ordering and merging of BGP communities as text (`a:b`, RFC 1997 §3) and large communities
 * (`a:b:c`, RFC 8092 §3), the forms the normalised Config carries. Sorted numerically, as MetalLB's
 * `community.LessThan` compares the 32-bit value, so `9:1` comes before `10:1`. Pure.
 */

function parts(text: string): number[] {
  return text.split(':').map((p) => Number(p));
}

/** Compares two communities (standard or large) field by field, numerically. */
export function compareCommunities(a: string, b: string): number {
  const pa = parts(a);
  const pb = parts(b);
  const n = Math.max(pa.length, pb.length);
  for (let i = 0; i < n; i++) {
    const x = pa[i] ?? -1;
    const y = pb[i] ?? -1;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** The union of community lists, without duplicates, sorted numerically. */
export function mergeCommunities(...lists: readonly (readonly string[])[]): string[] {
  const set = new Set<string>();
  for (const list of lists) for (const c of list) set.add(c);
  return [...set].sort(compareCommunities);
}
