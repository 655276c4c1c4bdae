/**
 * `diffConfig(old, new)`: what changed between two built configurations, so the runtime can leave
 * unchanged BGP sessions alone and touch only what moved. Pure.
 *
 * Peers are matched by name; a peer that only changed its name (legacy peers are numbered by
 * position) is matched by its settings and reported as changed without a session reset.
 */
import type { AdvertisementConfig, BfdProfileConfig, Config, PeerConfig, PoolConfig } from './types.js';

/** Fields whose change needs the BGP session to be torn down and re-established. */
export const SESSION_RESET_FIELDS = [
  'peerAddress', // another router
  'peerPort',
  'sourceAddress',
  'myAsn', // RFC 4271 §4.2: My Autonomous System is sent in the OPEN
  'peerAsn', // checked against the OPEN received
  'dynamicAsn',
  'holdTime', // RFC 4271 §4.2: Hold Time is negotiated in the OPEN
  'routerId', // RFC 4271 §4.2: BGP Identifier is sent in the OPEN
  'password', // RFC 2385: TCP MD5 applies to the connection itself
  'ebgpMultiHop', // the TTL of the connection
  'enableGracefulRestart', // RFC 4724 §3: a capability advertised in the OPEN
] as const satisfies readonly (keyof PeerConfig)[];

export interface PeerChange {
  readonly name: string;
  readonly old: PeerConfig;
  readonly new: PeerConfig;
  /** Fields that differ. */
  readonly fields: readonly (keyof PeerConfig)[];
  /** Whether any differing field needs a session reset (`SESSION_RESET_FIELDS`). */
  readonly resetSession: boolean;
}

export interface NamedChanges<T> {
  readonly added: readonly T[];
  readonly removed: readonly T[];
  readonly changed: readonly { readonly old: T; readonly new: T }[];
  readonly unchanged: readonly string[];
}

export interface ConfigDiff {
  readonly peers: {
    readonly added: readonly PeerConfig[];
    readonly removed: readonly PeerConfig[];
    readonly changed: readonly PeerChange[];
    readonly unchanged: readonly string[];
  };
  readonly pools: NamedChanges<PoolConfig>;
  readonly advertisements: NamedChanges<AdvertisementConfig>;
  readonly bfdProfiles: NamedChanges<BfdProfileConfig>;
  /** True when nothing at all changed (warnings aside). */
  readonly empty: boolean;
}

/** Structural equality of plain data, ignoring key order and absent-vs-undefined keys. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => sameValue(x, b[i]));
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const keys = new Set([...Object.keys(ra), ...Object.keys(rb)]);
  for (const k of keys) if (!sameValue(ra[k], rb[k])) return false;
  return true;
}

function changedFields<T extends object>(a: T, b: T): (keyof T)[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)] as (keyof T)[]);
  return [...keys].filter((k) => !sameValue(a[k], b[k]));
}

function byName<T extends { readonly name: string }>(olds: readonly T[], news: readonly T[]): NamedChanges<T> {
  const oldMap = new Map(olds.map((x) => [x.name, x]));
  const newMap = new Map(news.map((x) => [x.name, x]));
  const changed: { old: T; new: T }[] = [];
  const unchanged: string[] = [];
  for (const n of news) {
    const o = oldMap.get(n.name);
    if (!o) continue;
    if (sameValue(o, n)) unchanged.push(n.name);
    else changed.push({ old: o, new: n });
  }
  return {
    added: news.filter((n) => !oldMap.has(n.name)),
    removed: olds.filter((o) => !newMap.has(o.name)),
    changed,
    unchanged,
  };
}

/** What changed from `old` to `next`. */
export function diffConfig(old: Config, next: Config): ConfigDiff {
  // Match in order of confidence: same name and settings; same settings under another name
  // (renumbered legacy peers); same name with other settings; the rest is added or removed.
  const oldLeft = new Set(old.peers);
  const newLeft = new Set(next.peers);
  const unchanged: string[] = [];
  const changed: PeerChange[] = [];
  for (const n of next.peers) {
    const o = old.peers.find((x) => oldLeft.has(x) && x.name === n.name && sameValue(x, n));
    if (o) {
      unchanged.push(n.name);
      oldLeft.delete(o);
      newLeft.delete(n);
    }
  }
  for (const n of [...newLeft]) {
    const o = [...oldLeft].find((x) => sameValue({ ...x, name: '' }, { ...n, name: '' }));
    if (o) {
      changed.push({ name: n.name, old: o, new: n, fields: ['name'], resetSession: false });
      oldLeft.delete(o);
      newLeft.delete(n);
    }
  }
  for (const n of [...newLeft]) {
    const o = [...oldLeft].find((x) => x.name === n.name);
    if (o) {
      const fields = changedFields(o, n);
      changed.push({ name: n.name, old: o, new: n, fields, resetSession: fields.some((f) => (SESSION_RESET_FIELDS as readonly string[]).includes(f)) });
      oldLeft.delete(o);
      newLeft.delete(n);
    }
  }
  const added = next.peers.filter((p) => newLeft.has(p));
  const removed = old.peers.filter((p) => oldLeft.has(p));
  const pools = byName(old.pools, next.pools);
  const advertisements = byName(old.advertisements, next.advertisements);
  const bfdProfiles = byName(old.bfdProfiles, next.bfdProfiles);
  const nothing = <T>(c: { added: readonly T[]; removed: readonly T[]; changed: readonly unknown[] }): boolean =>
    c.added.length === 0 && c.removed.length === 0 && c.changed.length === 0;
  return {
    peers: { added, removed, changed, unchanged },
    pools,
    advertisements,
    bfdProfiles,
    empty: nothing({ added, removed, changed }) && nothing(pools) && nothing(advertisements) && nothing(bfdProfiles),
  };
}
