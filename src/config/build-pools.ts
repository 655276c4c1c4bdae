/**
 * Address pools -> `PoolConfig`: each `addresses` entry (a CIDR, host bits allowed as Go's
 * net.ParseCIDR, or `first-last`) parsed to a range and its covering CIDRs, no two pools
 * overlapping, and the `serviceAllocation` lists free of duplicates. A pool with an error is kept
 * aside (`broken`) so its advertisements are still checked and one run reports every problem.
 */
import type { IpPrefix } from '../model/ip.js';
import { bitsOf, compareIp, formatIp, formatPrefix, parseCidr, parseIp, prefixesOverlap, summarizeRange } from '../model/ip.js';
import type { PoolConfig, PoolRange, ServiceAllocation } from './types.js';
import type { PoolResource, ResourceSource, ServiceAllocationResource } from './resources.js';
import type { Issues, RuleId } from './issues.js';
import { checkDuplicateSelectors, checkDuplicateStrings } from './selectors.js';

/** One `addresses` entry as written, its index, and its CIDRs (for aggregation checks). */
export interface PoolEntry {
  readonly text: string;
  readonly index: number;
  readonly prefixes: readonly IpPrefix[];
}

/** A checked pool: its configuration, the resource it came from, and what advertisements check. */
export interface PoolParse {
  readonly config: PoolConfig;
  readonly resource: PoolResource;
  readonly entries: readonly PoolEntry[];
  readonly hasV4: boolean;
  readonly hasV6: boolean;
}

/** The pools without errors (`valid`), those with errors (`broken`), and every name written. */
export interface BuiltPools {
  readonly valid: readonly PoolParse[];
  readonly broken: readonly PoolParse[];
  readonly names: ReadonlySet<string>;
}

/** Parses one `addresses` entry: a CIDR (host bits allowed, as Go's net.ParseCIDR) or `first-last`. */
export function parseAddressEntry(
  text: string,
): { ok: true; range: PoolRange; prefixes: IpPrefix[] } | { ok: false; rule: RuleId; message: string } {
  if (!text.includes('-')) {
    const prefix = parseCidr(text.trim() === text ? text : '', false);
    if (!prefix) return { ok: false, rule: 'poolAddressInvalid', message: 'not a CIDR or an address range' };
    const bits = BigInt(bitsOf(prefix.family) - prefix.length);
    const last = prefix.value + (1n << bits) - 1n;
    return {
      ok: true,
      range: { family: prefix.family, first: formatIp({ family: prefix.family, value: prefix.value }), last: formatIp({ family: prefix.family, value: last }), cidrs: [formatPrefix(prefix)] },
      prefixes: [prefix],
    };
  }
  const dash = text.indexOf('-');
  const start = parseIp(text.slice(0, dash).trim());
  const end = parseIp(text.slice(dash + 1).trim());
  if (!start || !end) return { ok: false, rule: 'poolAddressInvalid', message: 'not a valid address range (first-last)' };
  if (start.family !== end.family) return { ok: false, rule: 'poolRangeFamilyMismatch', message: 'range mixes IPv4 and IPv6' };
  if (compareIp(start, end) > 0) return { ok: false, rule: 'poolRangeOrder', message: 'the first address of the range is after the last' };
  const prefixes = summarizeRange(start.family, start.value, end.value);
  return {
    ok: true,
    range: { family: start.family, first: formatIp(start), last: formatIp(end), cidrs: prefixes.map(formatPrefix) },
    prefixes,
  };
}

function buildServiceAllocation(issues: Issues, src: ResourceSource, sa: ServiceAllocationResource): ServiceAllocation {
  const saSrc: ResourceSource = { ...src, base: [...src.base, 'serviceAllocation'] };
  checkDuplicateStrings(issues, saSrc, 'namespaces', sa.namespaces);
  checkDuplicateSelectors(issues, saSrc, 'namespaceSelectors', sa.namespaceSelectors);
  checkDuplicateSelectors(issues, saSrc, 'serviceSelectors', sa.serviceSelectors);
  return { priority: sa.priority ?? 0, namespaces: sa.namespaces, namespaceSelectors: sa.namespaceSelectors, serviceSelectors: sa.serviceSelectors };
}

/** Checks every pool of `resources`, including overlaps between pools. */
export function buildPools(issues: Issues, resources: readonly PoolResource[]): BuiltPools {
  const valid: PoolParse[] = [];
  const broken: PoolParse[] = [];
  const names = new Set<string>();
  const seen: { prefix: IpPrefix; pool: string }[] = [];
  for (const p of resources) {
    const src = p.source;
    const mark = issues.mark();
    if (p.name === '') issues.nameError(src, 'missingName', 'address pool has no name');
    else if (names.has(p.name)) issues.nameError(src, 'duplicateName', `duplicate definition of pool "${p.name}"`, p.name);
    names.add(p.name);
    if (p.addresses.length === 0) issues.error(src, ['addresses'], 'poolAddressesRequired', 'pool has no addresses');
    const ranges: PoolRange[] = [];
    const entries: PoolEntry[] = [];
    p.addresses.forEach((text, index) => {
      const parsed = parseAddressEntry(text);
      if (!parsed.ok) {
        issues.error(src, ['addresses', index], parsed.rule, parsed.message, text);
        return;
      }
      for (const prefix of parsed.prefixes) {
        const other = seen.find((o) => prefixesOverlap(o.prefix, prefix));
        if (other) {
          issues.error(src, ['addresses', index], 'cidrOverlap', `${formatPrefix(prefix)} overlaps with ${formatPrefix(other.prefix)} of pool "${other.pool}"`, text);
          break;
        }
      }
      for (const prefix of parsed.prefixes) seen.push({ prefix, pool: p.name });
      ranges.push(parsed.range);
      entries.push({ text, index, prefixes: parsed.prefixes });
    });
    const serviceAllocation = p.serviceAllocation ? buildServiceAllocation(issues, src, p.serviceAllocation) : undefined;
    (issues.errorsSince(mark) ? broken : valid).push({
      resource: p,
      entries,
      hasV4: ranges.some((r) => r.family === 'ipv4'),
      hasV6: ranges.some((r) => r.family === 'ipv6'),
      config: {
        name: p.name,
        ...(p.namespace !== undefined ? { namespace: p.namespace } : {}),
        labels: p.labels,
        addresses: ranges,
        autoAssign: p.autoAssign ?? true,
        avoidBuggyIPs: p.avoidBuggyIPs,
        ...(serviceAllocation ? { serviceAllocation } : {}),
      },
    });
  }
  return { valid, broken, names };
}
