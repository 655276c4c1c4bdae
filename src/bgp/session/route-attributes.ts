/**
 * The attribute sets of Adj-RIB-Out routes: an advertisement's attributes normalised for an iBGP or
 * an eBGP peer (LOCAL_PREF to iBGP peers only, RFC 4271 §5.1.5; communities sorted and unique), keyed
 * so that routes with equal attributes share UPDATEs, interned so that equal sets share one object,
 * and merged when one prefix is advertised twice. Pure data in, plain objects out.
 */
import type { LargeCommunity } from '../wire/types.js';
import type { Advertisement, RouteAttributes } from './adj-rib-out.js';

const UINT32_MAX = 0xffffffff;

function isUint32(n: number): boolean {
  return Number.isInteger(n) && n >= 0 && n <= UINT32_MAX;
}

function compareLarge(a: LargeCommunity, b: LargeCommunity): number {
  return a.globalAdmin - b.globalAdmin || a.localData1 - b.localData1 || a.localData2 - b.localData2;
}

function sortedUniqueNumbers(values: readonly number[]): readonly number[] {
  if (values.length === 0) return values;
  const out = [...values].sort((a, b) => a - b);
  let w = 1;
  for (let r = 1; r < out.length; r++) if (out[r] !== out[w - 1]) out[w++] = out[r] as number;
  out.length = w;
  return out;
}

function sortedUniqueLarge(values: readonly LargeCommunity[]): readonly LargeCommunity[] {
  if (values.length === 0) return values;
  const out = [...values].sort(compareLarge);
  let w = 1;
  for (let r = 1; r < out.length; r++) {
    if (compareLarge(out[r] as LargeCommunity, out[w - 1] as LargeCommunity) !== 0) out[w++] = out[r] as LargeCommunity;
  }
  out.length = w;
  return out;
}

function attributesKey(
  localPref: number | undefined,
  med: number | undefined,
  communities: readonly number[],
  large: readonly LargeCommunity[],
): string {
  let key = `${localPref ?? ''}|${med ?? ''}|${communities.join(',')}|`;
  for (let i = 0; i < large.length; i++) {
    const l = large[i] as LargeCommunity;
    key += `${i === 0 ? '' : ','}${l.globalAdmin}:${l.localData1}:${l.localData2}`;
  }
  return key;
}

function checkAttributes(attrs: RouteAttributes): void {
  if (attrs.localPref !== undefined && !isUint32(attrs.localPref)) throw new RangeError('localPref must be a uint32');
  if (attrs.med !== undefined && !isUint32(attrs.med)) throw new RangeError('med must be a uint32');
  for (const c of attrs.communities) if (!isUint32(c)) throw new RangeError('a community must be a uint32');
  for (const l of attrs.largeCommunities) {
    if (!isUint32(l.globalAdmin) || !isUint32(l.localData1) || !isUint32(l.localData2)) {
      throw new RangeError('large community parts must be uint32');
    }
  }
}

function sameNumbers(a: readonly number[], b: readonly number[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function sameLarge(a: readonly LargeCommunity[], b: readonly LargeCommunity[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (compareLarge(a[i] as LargeCommunity, b[i] as LargeCommunity) !== 0) return false;
  return true;
}

/** Interns attribute sets (within one desired set), so that equal sets share one object. */
export class AttributeTable {
  private readonly byKey = new Map<string, RouteAttributes>();

  constructor(readonly ibgp: boolean) {}

  /** The number of attribute sets interned. */
  get size(): number {
    return this.byKey.size;
  }

  intern(
    localPref: number | undefined,
    med: number | undefined,
    communities: readonly number[],
    large: readonly LargeCommunity[],
  ): RouteAttributes {
    // LOCAL_PREF goes to iBGP peers only (RFC 4271 §5.1.5); MetalLB native sends 0 when unset.
    const lp = this.ibgp ? (localPref ?? 0) : undefined;
    const key = attributesKey(lp, med, communities, large);
    const known = this.byKey.get(key);
    if (known) return known;
    const attrs: RouteAttributes = {
      key,
      ...(lp !== undefined ? { localPref: lp } : {}),
      ...(med !== undefined ? { med } : {}),
      communities,
      largeCommunities: large,
    };
    checkAttributes(attrs);
    this.byKey.set(key, attrs);
    return attrs;
  }

  // The advertisement last converted: consecutive advertisements usually share their attributes
  // (often the very same arrays), so a shallow comparison saves the sort and the key.
  private last: Advertisement | undefined;
  private lastAttrs: RouteAttributes | undefined;

  fromAdvertisement(ad: Advertisement): RouteAttributes {
    const last = this.last;
    if (
      last !== undefined &&
      this.lastAttrs !== undefined &&
      last.localPref === ad.localPref &&
      last.med === ad.med &&
      sameNumbers(last.communities, ad.communities) &&
      sameLarge(last.largeCommunities, ad.largeCommunities)
    ) {
      return this.lastAttrs;
    }
    const attrs = this.intern(
      ad.localPref,
      ad.med,
      sortedUniqueNumbers(ad.communities),
      sortedUniqueLarge(ad.largeCommunities),
    );
    this.last = ad;
    this.lastAttrs = attrs;
    return attrs;
  }

  /**
   * Two advertisements of one prefix: the union of their communities and large communities (as
   * MetalLB native unions communities), the highest LOCAL_PREF, and the lowest MED (the preferred
   * value, RFC 4271 §9.1.2.2), a MED given by either side winning over none.
   */
  merge(a: RouteAttributes, b: RouteAttributes): RouteAttributes {
    const lp = a.localPref === undefined ? b.localPref : b.localPref === undefined ? a.localPref : Math.max(a.localPref, b.localPref);
    const med = a.med === undefined ? b.med : b.med === undefined ? a.med : Math.min(a.med, b.med);
    return this.intern(
      lp,
      med,
      sortedUniqueNumbers([...a.communities, ...b.communities]),
      sortedUniqueLarge([...a.largeCommunities, ...b.largeCommunities]),
    );
  }
}
