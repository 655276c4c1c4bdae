/**
 * The desired set of one session, kept for incremental change: the advertisements by prefix, and the
 * routes they make (attributes normalised for an iBGP or an eBGP peer, duplicates of a prefix merged)
 * in two lists sorted by `orderOf`, one per family.
 *
 * A whole new set (`DesiredRoutes.of`) costs O(n) (`prepareAdvertisements`); a change (`apply`) costs
 * O(change · log n): a Map lookup per prefix and a binary-search insert or delete in the sorted list.
 * The index by prefix is built on the first change only, so a set that is only ever replaced whole
 * never pays for it.
 *
 * Mutable, owned by one session. `prepared()` hands out the live lists: use them before the next
 * `apply` (the Adj-RIB-Out copies what it keeps).
 */
import type { Prefix } from '../wire/types.js';
import { distinctAttributes, encodeIpv4Groups, prepareAdvertisements } from './adj-rib-out.js';
import type { Advertisement, PreparedAdvertisements, RouteChange, RouteFamily, SentRoute } from './adj-rib-out.js';
import { AttributeTable } from './route-attributes.js';
import { indexOfOrder, orderOf } from './route-order.js';

/** A change of a desired set: see `Session.updateAdvertisements`. */
export interface AdvertisementChange {
  /** Advertisements that replace every advertisement of their prefix (several of one prefix are merged). */
  readonly upsert: readonly Advertisement[];
  /** Prefixes no longer advertised; an absent prefix is a no-op. */
  readonly withdraw: readonly Prefix[];
}

/** The attribute table is renewed past this many interned sets (interning only saves memory). */
const TABLE_LIMIT = 65_536;

/** A desired set of advertisements with its prepared routes; see the module comment. */
export class DesiredRoutes {
  /** Prepared for an iBGP peer (LOCAL_PREF carried) or an eBGP one. */
  readonly ibgp: boolean;
  #table: AttributeTable;
  /** The advertisements as an array, until a change (then made again on demand). */
  #ads: readonly Advertisement[] | undefined;
  /** Advertisements by prefix key (`orderOf`): one, or several of one prefix; built on the first change. */
  #byOrder: Map<number | string, Advertisement | Advertisement[]> | undefined;
  readonly #ipv4: SentRoute[];
  readonly #ipv6: SentRoute[];
  /** What `prepareAdvertisements` made, while no change happened since. */
  #prepared: PreparedAdvertisements | undefined;
  #count4 = 0;
  #count6 = 0;
  #version = 0;

  private constructor(ibgp: boolean, prepared: PreparedAdvertisements) {
    this.ibgp = ibgp;
    this.#table = new AttributeTable(ibgp);
    this.#ads = prepared.desired;
    this.#prepared = prepared;
    this.#ipv4 = prepared.ipv4.slice();
    this.#ipv6 = prepared.ipv6.slice();
    for (const ad of prepared.desired) {
      if (ad.prefix.family === 'ipv4') this.#count4++;
      else this.#count6++;
    }
  }

  /**
   * The desired set `ads`, prepared for an iBGP peer when `ibgp`, with the IPv4 NLRI encoded ahead when
   * `encodeNlri` (for an initial table). Throws a RangeError on a prefix that breaks the `Prefix`
   * contract or an attribute value outside uint32 (see `prepareAdvertisements`).
   */
  static of(ads: readonly Advertisement[], ibgp: boolean, options: { readonly encodeNlri?: boolean } = {}): DesiredRoutes {
    return new DesiredRoutes(ibgp, prepareAdvertisements(ads, ibgp, options));
  }

  /** Counts the changes: equal versions of one object mean the same set. */
  get version(): number {
    return this.#version;
  }

  /** The number of advertisements (several of one prefix count several times). */
  get size(): number {
    return this.#count4 + this.#count6;
  }

  /** The number of advertisements of `family`. */
  countOf(family: RouteFamily): number {
    return family === 'ipv4' ? this.#count4 : this.#count6;
  }

  /** The advertisements, as given (after a change: in address order). O(n) after a change, then cached. */
  advertisements(): readonly Advertisement[] {
    if (this.#ads !== undefined) return this.#ads;
    const out: Advertisement[] = [];
    for (const routes of [this.#ipv4, this.#ipv6]) {
      for (const r of routes) {
        const ads = this.#byOrder?.get(r.order);
        if (ads === undefined) continue;
        if (Array.isArray(ads)) for (const a of ads) out.push(a);
        else out.push(ads as Advertisement);
      }
    }
    this.#ads = out;
    return out;
  }

  /**
   * The set as `setAdvertisements` of the Adj-RIB-Out takes it, with the IPv4 NLRI encoded when
   * `encodeNlri`. The lists are the live ones: use the result before the next `apply`.
   */
  prepared(options: { readonly encodeNlri?: boolean } = {}): PreparedAdvertisements {
    const p = this.#prepared;
    if (p !== undefined && (p.ipv4Groups !== undefined || options.encodeNlri !== true)) return p;
    const ipv4: readonly SentRoute[] = this.#ipv4;
    const ipv6: readonly SentRoute[] = this.#ipv6;
    const attributeSets = { ipv4: distinctAttributes(ipv4), ipv6: distinctAttributes(ipv6) };
    const desired = this.advertisements();
    const made: PreparedAdvertisements = {
      desired,
      ibgp: this.ibgp,
      ipv4,
      ipv6,
      attributeSets,
      ...(options.encodeNlri === true ? { ipv4Groups: encodeIpv4Groups(ipv4) } : {}),
    };
    this.#prepared = made;
    return made;
  }

  /**
   * Applies a change: first the withdrawals, then the upserts (each replaces every advertisement of its
   * prefix; several upserts of one prefix are merged as `setAdvertisements` merges them). Returns the
   * desired route of every prefix the change touched, for `updateRoutes`. Throws a RangeError, changing
   * nothing, on a prefix that breaks the `Prefix` contract or an attribute value outside uint32.
   */
  apply(change: AdvertisementChange): RouteChange[] {
    // Everything that can throw, before anything changes.
    const withdrawOrders: (number | string)[] = [];
    for (const p of change.withdraw) withdrawOrders.push(orderOf(p));
    const upsertOrders: (number | string)[] = [];
    if (this.#table.size > TABLE_LIMIT) this.#table = new AttributeTable(this.ibgp);
    for (const ad of change.upsert) {
      upsertOrders.push(orderOf(ad.prefix));
      this.#table.fromAdvertisement(ad);
    }
    const byOrder = this.#index();
    const touched = new Map<number | string, Prefix>();
    for (let i = 0; i < withdrawOrders.length; i++) {
      const o = withdrawOrders[i] as number | string;
      if (this.#remove(byOrder, o)) touched.set(o, change.withdraw[i] as Prefix);
    }
    const replaced = new Set<number | string>();
    for (let i = 0; i < upsertOrders.length; i++) {
      const o = upsertOrders[i] as number | string;
      const ad = change.upsert[i] as Advertisement;
      if (!replaced.has(o)) {
        replaced.add(o);
        this.#remove(byOrder, o);
        byOrder.set(o, ad);
      } else {
        const known = byOrder.get(o);
        byOrder.set(o, known === undefined ? ad : Array.isArray(known) ? [...known, ad] : [known as Advertisement, ad]);
      }
      if (ad.prefix.family === 'ipv4') this.#count4++;
      else this.#count6++;
      touched.set(o, ad.prefix);
    }
    if (touched.size === 0) return [];
    this.#version++;
    this.#ads = undefined;
    this.#prepared = undefined;
    const out: RouteChange[] = [];
    for (const [order, prefix] of touched) {
      const route = this.#routeOf(byOrder.get(order), order);
      const routes = prefix.family === 'ipv4' ? this.#ipv4 : this.#ipv6;
      const at = indexOfOrder(routes, order);
      if (route !== undefined) {
        if (at >= 0) routes[at] = route;
        else routes.splice(-at - 1, 0, route);
      } else if (at >= 0) {
        routes.splice(at, 1);
      }
      out.push({ prefix, order, route });
    }
    return out;
  }

  /** The index by prefix, built from the advertisements the first time. */
  #index(): Map<number | string, Advertisement | Advertisement[]> {
    if (this.#byOrder !== undefined) return this.#byOrder;
    const byOrder = new Map<number | string, Advertisement | Advertisement[]>();
    for (const ad of this.#ads ?? []) {
      const o = orderOf(ad.prefix);
      const known = byOrder.get(o);
      if (known === undefined) byOrder.set(o, ad);
      else if (Array.isArray(known)) known.push(ad);
      else byOrder.set(o, [known as Advertisement, ad]);
    }
    this.#byOrder = byOrder;
    return byOrder;
  }

  /** Removes every advertisement of prefix `order`; whether there was one. */
  #remove(byOrder: Map<number | string, Advertisement | Advertisement[]>, order: number | string): boolean {
    const known = byOrder.get(order);
    if (known === undefined) return false;
    byOrder.delete(order);
    const list: readonly Advertisement[] = Array.isArray(known) ? known : [known as Advertisement];
    for (const ad of list) {
      if (ad.prefix.family === 'ipv4') this.#count4--;
      else this.#count6--;
    }
    return true;
  }

  /** The one route of a prefix's advertisements (merged as `prepareAdvertisements` merges them). */
  #routeOf(ads: Advertisement | Advertisement[] | undefined, order: number | string): SentRoute | undefined {
    if (ads === undefined) return undefined;
    const list: readonly Advertisement[] = Array.isArray(ads) ? ads : [ads];
    const first = list[0];
    if (first === undefined) return undefined;
    let attributes = this.#table.fromAdvertisement(first);
    for (let i = 1; i < list.length; i++) attributes = this.#table.merge(attributes, this.#table.fromAdvertisement(list[i] as Advertisement));
    return { prefix: first.prefix, attributes, order };
  }
}
