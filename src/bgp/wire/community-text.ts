/**
 * Community text: the one parser of the written forms of BGP communities, used by the configuration
 * (MetalLB's grammar), the speaker's advertisements and the library's callers.
 *
 * Forms:
 * - `a:b`: an RFC 1997 community, two decimal 16-bit halves (RFC 1997 §3: a 32-bit value whose high
 *   16 bits are the AS), as 32-bit `a * 65536 + b`;
 * - `a:b:c`: an RFC 8092 large community, three decimal 32-bit values (RFC 8092 §3: Global
 *   Administrator, Local Data Part 1, Local Data Part 2), the form routers print;
 * - `large:a:b:c`: the same large community as MetalLB writes it (`internal/bgp/community`).
 *
 * Numbers are decimal digits only, leading zeros allowed, within range (Go's
 * `strconv.ParseUint(s, 10, bits)`, which MetalLB uses). Pure; never throws.
 */
import type { LargeCommunity } from './types.js';

/** A parsed community. */
export type CommunityText =
  | { readonly kind: 'standard'; readonly value: number }
  | {
      readonly kind: 'large';
      readonly value: LargeCommunity;
      /** Written with the `large:` marker (MetalLB's form). */
      readonly marked: boolean;
    };

/**
 * `ok` with the community; else `invalidValue` when the text has the shape of a community but a part
 * is out of range or not a number, or `notACommunity` when it has no community shape at all (a
 * caller may then take it for a name, as MetalLB takes it for a Community alias).
 */
export type CommunityTextParse =
  | { readonly ok: true; readonly community: CommunityText }
  | { readonly ok: false; readonly reason: 'invalidValue' | 'notACommunity' };

export interface CommunityTextOptions {
  /**
   * Large communities only with the `large:` marker, as MetalLB's configuration: `a:b:c` is then not
   * a community (`notACommunity`). Default false: both forms are large communities.
   */
  readonly largeNeedsMarker?: boolean;
}

const UINT16_MAX = 0xffff;
const UINT32_MAX = 0xffffffff;

/** Decimal digits only, within `max`; undefined otherwise. */
function parseUint(s: string, max: number): number | undefined {
  if (s.length === 0) return undefined;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return undefined;
  }
  const n = Number(s);
  return n <= max ? n : undefined;
}

/** Parses one community's text (see the module comment for the forms). */
export function parseCommunityText(text: string, options: CommunityTextOptions = {}): CommunityTextParse {
  const parts = text.split(':');
  if (parts.length === 2) {
    // RFC 1997 §3: a community is a 32-bit value, written as two 16-bit halves.
    const high = parseUint(parts[0] ?? '', UINT16_MAX);
    const low = parseUint(parts[1] ?? '', UINT16_MAX);
    if (high === undefined || low === undefined) return { ok: false, reason: 'invalidValue' };
    return { ok: true, community: { kind: 'standard', value: high * 0x10000 + low } };
  }
  const marked = parts.length === 4;
  if (marked && parts[0] !== 'large') return { ok: false, reason: 'invalidValue' };
  if (!marked && (parts.length !== 3 || options.largeNeedsMarker === true)) return { ok: false, reason: 'notACommunity' };
  // RFC 8092 §3: a large community is three 32-bit values.
  const from = marked ? 1 : 0;
  const globalAdmin = parseUint(parts[from] ?? '', UINT32_MAX);
  const localData1 = parseUint(parts[from + 1] ?? '', UINT32_MAX);
  const localData2 = parseUint(parts[from + 2] ?? '', UINT32_MAX);
  if (globalAdmin === undefined || localData1 === undefined || localData2 === undefined) return { ok: false, reason: 'invalidValue' };
  return { ok: true, community: { kind: 'large', value: { globalAdmin, localData1, localData2 }, marked } };
}

/** `a:b` (RFC 1997) to its 32-bit value; undefined when it is not one. */
export function parseCommunity(text: string): number | undefined {
  const r = parseCommunityText(text);
  return r.ok && r.community.kind === 'standard' ? r.community.value : undefined;
}

/** `a:b:c` or `large:a:b:c` (RFC 8092) to a large community; undefined when it is not one. */
export function parseLargeCommunity(text: string): LargeCommunity | undefined {
  const r = parseCommunityText(text);
  return r.ok && r.community.kind === 'large' ? r.community.value : undefined;
}

/** The `a:b` text of a 32-bit RFC 1997 community. */
export function formatCommunityValue(value: number): string {
  return `${Math.floor(value / 0x10000)}:${value % 0x10000}`;
}

/** The `a:b:c` text of a large community (RFC 8092 §3). */
export function formatLargeCommunity(c: LargeCommunity): string {
  return `${c.globalAdmin}:${c.localData1}:${c.localData2}`;
}
