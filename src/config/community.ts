/**
 * BGP community text as MetalLB accepts it (`internal/bgp/community`): `a:b` with two uint16 (RFC 1997
 * §3), `large:a:b:c` with three uint32 (RFC 8092 §3), or else an alias name defined by a Community
 * object.
 */

export type ParsedCommunity =
  | { readonly kind: 'standard'; readonly high: number; readonly low: number }
  | { readonly kind: 'large'; readonly global: number; readonly local1: number; readonly local2: number };

/**
 * `ok` with the community, `invalidValue` when the text has the shape of a community but a part is
 * out of range or not a number, or `notACommunity` when it has neither shape (then it may be an alias).
 */
export type CommunityParse =
  | { readonly ok: true; readonly community: ParsedCommunity }
  | { readonly ok: false; readonly reason: 'invalidValue' | 'notACommunity' };

/** strconv.ParseUint(s, 10, bits): decimal digits only, within range. */
function parseUint(s: string, max: number): number | undefined {
  if (!/^[0-9]+$/.test(s)) return undefined;
  const n = Number(s);
  return n <= max ? n : undefined;
}

/** Parses community text (not aliases). */
export function parseCommunity(text: string): CommunityParse {
  const parts = text.split(':');
  if (parts.length === 2) {
    // RFC 1997 §3: a community is a 32-bit value, written as two 16-bit halves.
    const high = parseUint(parts[0] ?? '', 0xffff);
    const low = parseUint(parts[1] ?? '', 0xffff);
    if (high === undefined || low === undefined) return { ok: false, reason: 'invalidValue' };
    return { ok: true, community: { kind: 'standard', high, low } };
  }
  if (parts.length === 4) {
    // RFC 8092 §3: a large community is three 32-bit values.
    if (parts[0] !== 'large') return { ok: false, reason: 'invalidValue' };
    const values = parts.slice(1).map((p) => parseUint(p, 0xffffffff));
    const [global, local1, local2] = values;
    if (global === undefined || local1 === undefined || local2 === undefined) return { ok: false, reason: 'invalidValue' };
    return { ok: true, community: { kind: 'large', global, local1, local2 } };
  }
  return { ok: false, reason: 'notACommunity' };
}

/** `a:b` for standard, `a:b:c` for large (without the `large:` marker). */
export function formatCommunity(c: ParsedCommunity): string {
  return c.kind === 'standard' ? `${c.high}:${c.low}` : `${c.global}:${c.local1}:${c.local2}`;
}

/** Numeric order of formatted communities of one kind (`a:b` or `a:b:c`). */
export function compareCommunityText(a: string, b: string): number {
  const pa = a.split(':').map(Number);
  const pb = b.split(':').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
