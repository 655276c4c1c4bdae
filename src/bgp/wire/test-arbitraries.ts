/**
 * Test-only fast-check arbitraries for valid BgpMessages with canonical addresses: everything
 * `encodeMessage` accepts and `decodeMessage` gives back unchanged (so decode(encode(m)) = m).
 */
import fc from 'fast-check';
import { formatIpValue } from '../../model/ip.js';
import { isModelledAttribute } from './path-attributes.js';
import { updateEncodedSize } from './update.js';
import { maxMessageSize } from './header.js';
import type {
  AsPathSegment,
  BgpMessage,
  Capability,
  CodecOptions,
  KeepaliveMessage,
  NotificationMessage,
  OpenMessage,
  PathAttribute,
  Prefix,
  RouteRefreshMessage,
  UpdateMessage,
} from './types.js';

/** fc.record with ordinary prototypes, so deepStrictEqual compares decoded and generated objects. */
function rec<T>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }): fc.Arbitrary<T> {
  return fc.record(model, { noNullPrototype: true });
}

const u8 = fc.integer({ min: 0, max: 0xff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });

function v4Text(v: number): string {
  return `${v >>> 24}.${(v >>> 16) & 0xff}.${(v >>> 8) & 0xff}.${v & 0xff}`;
}

/** Any IPv4 address as canonical text. */
export const ipv4 = u32.map(v4Text);
/** An IPv4 address usable as NEXT_HOP (not 0/8, 127/8, 224/3). */
export const hostIpv4 = u32.filter((v) => v >>> 24 !== 0 && v >>> 24 !== 127 && v >>> 24 < 224).map(v4Text);

function v6Value(bytes: Uint8Array): bigint {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v;
}

/** Any IPv6 address as canonical text (RFC 5952, via src/model/ip.ts). Biased toward zero runs. */
export const ipv6 = fc
  .oneof(
    fc.uint8Array({ minLength: 16, maxLength: 16 }),
    fc.array(fc.constantFrom(0, 0, 0, 1, 0xff, 0xfe), { minLength: 16, maxLength: 16 }).map((a) => Uint8Array.from(a)),
  )
  .map((b) => formatIpValue('ipv6', v6Value(b)));

export const ipv4Prefix: fc.Arbitrary<Prefix> = fc.tuple(u32, fc.integer({ min: 0, max: 32 })).map(([v, length]) => {
  const masked = length === 0 ? 0 : v - (v % 2 ** (32 - length));
  return { family: 'ipv4', address: v4Text(masked), length };
});

export const ipv6Prefix: fc.Arbitrary<Prefix> = fc
  .tuple(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.integer({ min: 0, max: 128 }))
  .map(([b, length]) => {
    const all = (1n << 128n) - 1n;
    const mask = (all >> BigInt(length)) ^ all;
    return { family: 'ipv6', address: formatIpValue('ipv6', v6Value(b) & mask), length };
  });

const MODELLED_CAPS = new Set([1, 2, 6, 64, 65, 70]);

export const capability: fc.Arbitrary<Capability> = fc.oneof(
  rec({ kind: fc.constant('multiprotocol' as const), afi: u16, safi: u8 }),
  fc.constant({ kind: 'routeRefresh' as const }),
  fc.constant({ kind: 'enhancedRouteRefresh' as const }),
  fc.constant({ kind: 'extendedMessage' as const }),
  rec({ kind: fc.constant('fourOctetAs' as const), asn: u32 }),
  rec({
    kind: fc.constant('gracefulRestart' as const),
    restartFlags: fc.integer({ min: 0, max: 15 }),
    restartTime: fc.integer({ min: 0, max: 4095 }),
    families: fc.array(rec({ afi: u16, safi: u8, flags: u8 }), { maxLength: 5 }),
  }),
  rec({
    kind: fc.constant('unknown' as const),
    code: u8.filter((c) => !MODELLED_CAPS.has(c)),
    value: fc.uint8Array({ maxLength: 40 }),
  }),
);

export const open: fc.Arbitrary<OpenMessage> = rec({
  type: fc.constant('open' as const),
  version: fc.constant(4),
  myAs: u16,
  holdTime: fc.oneof(fc.constant(0), fc.integer({ min: 3, max: 0xffff })),
  bgpId: u32.filter((v) => v !== 0).map(v4Text),
  optionalParameters: fc.array(
    rec({ type: fc.constant('capabilities' as const), capabilities: fc.array(capability, { maxLength: 6 }) }),
    { maxLength: 8 },
  ),
});

const segment = (asn: fc.Arbitrary<number>): fc.Arbitrary<AsPathSegment> =>
  rec({
    type: fc.constantFrom('set' as const, 'sequence' as const, 'confedSequence' as const, 'confedSet' as const),
    asns: fc.array(asn, { minLength: 1, maxLength: 12 }),
  });

function optionalAttributes(opts: CodecOptions): fc.Arbitrary<PathAttribute>[] {
  const asn = opts.fourOctetAs ? u32 : u16;
  return [
    rec({ kind: fc.constant('multiExitDisc' as const), med: u32 }),
    rec({ kind: fc.constant('localPref' as const), localPref: u32 }),
    fc.constant({ kind: 'atomicAggregate' as const }),
    rec({ kind: fc.constant('aggregator' as const), asn, address: ipv4 }),
    rec({ kind: fc.constant('communities' as const), communities: fc.array(u32, { minLength: 1, maxLength: 80 }) }),
    rec({
      kind: fc.constant('extendedCommunities' as const),
      communities: fc.array(fc.uint8Array({ minLength: 8, maxLength: 8 }), { minLength: 1, maxLength: 6 }),
    }),
    rec({
      kind: fc.constant('largeCommunities' as const),
      communities: fc.array(rec({ globalAdmin: u32, localData1: u32, localData2: u32 }), { minLength: 1, maxLength: 6 }),
    }),
    rec({ kind: fc.constant('as4Path' as const), segments: fc.array(segment(u32), { maxLength: 3 }) }),
    rec({ kind: fc.constant('as4Aggregator' as const), asn: u32, address: ipv4 }),
    rec({
      kind: fc.constant('mpUnreachNlri' as const),
      afi: fc.constant(2),
      safi: fc.constant(1),
      withdrawn: fc.array(ipv6Prefix, { maxLength: 20 }),
    }),
    rec({
      kind: fc.constant('unknown' as const),
      code: u8.filter((c) => !isModelledAttribute(c)),
      flags: fc.constantFrom(0x80, 0xa0, 0xc0, 0xe0),
      value: fc.uint8Array({ maxLength: 300 }),
    }),
  ];
}

const mpReach: fc.Arbitrary<PathAttribute> = fc.oneof(
  rec({
    kind: fc.constant('mpReachNlri' as const),
    afi: fc.constant(2),
    safi: fc.constant(1),
    nextHops: fc.oneof(fc.tuple(ipv6), fc.tuple(ipv6, ipv6)),
    nlri: fc.array(ipv6Prefix, { maxLength: 30 }),
  }),
  rec({
    kind: fc.constant('mpReachNlri' as const),
    afi: fc.constant(1),
    safi: fc.constant(1),
    nextHops: fc.oneof(fc.tuple(ipv4), fc.tuple(ipv6), fc.tuple(ipv6, ipv6)),
    nlri: fc.array(ipv4Prefix, { maxLength: 30 }),
  }),
);

/** A valid UPDATE for a session with `opts`: required attributes present whenever it reaches. */
export function update(opts: CodecOptions): fc.Arbitrary<UpdateMessage> {
  const asn = opts.fourOctetAs ? u32 : u16;
  return fc
    .record({
      withdrawn: fc.array(ipv4Prefix, { maxLength: 30 }),
      nlri: fc.array(ipv4Prefix, { maxLength: 30 }),
      origin: fc.option(fc.constantFrom(0 as const, 1 as const, 2 as const)),
      asPath: fc.option(fc.array(segment(asn), { maxLength: 4 })),
      nextHop: fc.option(hostIpv4),
      mp: fc.option(mpReach),
      others: fc.uniqueArray(fc.oneof(...optionalAttributes(opts)), {
        maxLength: 6,
        selector: (a) => (a.kind === 'unknown' ? `u${a.code}` : a.kind),
      }),
      seed: fc.integer(),
    })
    .map((g) => {
      const attrs: PathAttribute[] = [...g.others];
      const reaches = g.nlri.length > 0 || g.mp !== null;
      if (g.mp) attrs.push(g.mp);
      if (g.origin !== null || reaches) attrs.push({ kind: 'origin', origin: g.origin ?? 0 });
      if (g.asPath !== null || reaches) attrs.push({ kind: 'asPath', segments: g.asPath ?? [] });
      if (g.nextHop !== null || g.nlri.length > 0) attrs.push({ kind: 'nextHop', nextHop: g.nextHop ?? '10.0.0.1' });
      // A deterministic shuffle: the decoder keeps wire order, whatever it is.
      let s = g.seed;
      for (let i = attrs.length - 1; i > 0; i--) {
        s = (Math.imul(s, 1103515245) + 12345) | 0;
        const j = (s >>> 8) % (i + 1);
        [attrs[i], attrs[j]] = [attrs[j] as PathAttribute, attrs[i] as PathAttribute];
      }
      return { type: 'update' as const, withdrawn: g.withdrawn, attributes: attrs, nlri: g.nlri };
    })
    .filter((m) => updateEncodedSize(m, opts) <= maxMessageSize(opts));
}

export const keepalive: fc.Arbitrary<KeepaliveMessage> = fc.constant({ type: 'keepalive' as const });

export const notification: fc.Arbitrary<NotificationMessage> = rec({
  type: fc.constant('notification' as const),
  code: u8,
  subcode: u8,
  data: fc.uint8Array({ maxLength: 64 }),
});

export const routeRefreshMsg: fc.Arbitrary<RouteRefreshMessage> = rec({
  type: fc.constant('routeRefresh' as const),
  afi: u16,
  subtype: u8,
  safi: u8,
});

/** Any valid message for a session with `opts`. */
export function message(opts: CodecOptions): fc.Arbitrary<BgpMessage> {
  return fc.oneof(
    { arbitrary: open, weight: 2 },
    { arbitrary: update(opts), weight: 5 },
    { arbitrary: notification, weight: 1 },
    { arbitrary: keepalive, weight: 1 },
    { arbitrary: routeRefreshMsg, weight: 1 },
  );
}

/** The session option combinations. */
export const codecOptions: fc.Arbitrary<CodecOptions> = rec({ fourOctetAs: fc.boolean(), extendedMessage: fc.boolean() });
