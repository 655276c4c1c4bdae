/**
 * BGP community text as MetalLB accepts it (`internal/bgp/community`): `a:b` with two uint16 (RFC 1997
 * §3), `large:a:b:c` with three uint32 (RFC 8092 §3), or else an alias name defined by a Community
 * object. Parsed by the one community parser, `src/bgp/wire/community-text.ts`.
 */
import { parseCommunityText } from '../bgp/wire/community-text.js';

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

/** Parses community text (not aliases), with MetalLB's grammar: large communities need `large:`. */
export function parseCommunity(text: string): CommunityParse {
  // The one community parser (RFC 1997 §3 `a:b`, RFC 8092 §3 `large:a:b:c`).
  const r = parseCommunityText(text, { largeNeedsMarker: true });
  if (!r.ok) return r;
  const c = r.community;
  if (c.kind === 'standard') return { ok: true, community: { kind: 'standard', high: Math.floor(c.value / 0x10000), low: c.value % 0x10000 } };
  return { ok: true, community: { kind: 'large', global: c.value.globalAdmin, local1: c.value.localData1, local2: c.value.localData2 } };
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
