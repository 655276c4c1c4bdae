import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { LargeCommunity, PathAttribute, Prefix, UpdateMessage } from '../wire/types.js';
import type { AdjRibOut, AdjRibOutSession, Advertisement } from './adj-rib-out.js';
import { formatIpValue, maskOf } from '../../model/ip.js';
import { endOfRib } from '../wire/end-of-rib.js';
import { maxMessageSize } from '../wire/header.js';
import { decodeMessage, encodeMessage, encodeUpdateFromPartsInto } from '../wire/message.js';
import { BufferWriter } from '../wire/buffer-writer.js';
import {
  emptyAdjRibOut,
  prepareAdvertisements,
  routeRefreshReply,
  setAdvertisements,
  updateRoutes,
} from './adj-rib-out.js';
import { DesiredRoutes } from './desired-routes.js';

// ---------------------------------------------------------------------------------------------------
// Helpers (test-only, independent of the module's own size arithmetic)

const EBGP: AdjRibOutSession = {
  localAsn: 64512,
  peerAsn: 64513,
  fourOctetAs: true,
  extendedMessage: false,
  enhancedRouteRefresh: false,
  families: ['ipv4'],
  ipv4NextHop: '10.10.10.1',
};
const IBGP: AdjRibOutSession = { ...EBGP, peerAsn: 64512 };
const V6: AdjRibOutSession = {
  ...EBGP,
  families: ['ipv6'],
  ipv6NextHop: 'fd00::1',
};

function v4(address: string, length = 32): Prefix {
  return { family: 'ipv4', address, length };
}
function v6(address: string, length = 128): Prefix {
  return { family: 'ipv6', address, length };
}
function ad(prefix: Prefix, extra: Partial<Advertisement> = {}): Advertisement {
  return { prefix, communities: [], largeCommunities: [], ...extra };
}
/** The n-th /32 counting from 10.0.0.0. */
function nthV4(n: number): Prefix {
  const v = 0x0a000000 + n;
  return v4(`${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`);
}
/** The n-th /128 counting from fd00:: (n < 65536), in canonical text. */
function nthV6(n: number): Prefix {
  return v6(n === 0 ? 'fd00::' : `fd00::${n.toString(16)}`);
}
function comm(a: number, b: number): number {
  return a * 65536 + b;
}

/** Wire octets of one attribute value of `n` octets, with the RFC 4271 §4.3 extended-length rule. */
function attr(n: number): number {
  return n + (n > 255 ? 4 : 3);
}
function nlriOctets(ps: readonly Prefix[]): number {
  return ps.reduce((s, p) => s + 1 + Math.ceil(p.length / 8), 0);
}
/** The encoded size of an UPDATE (RFC 4271 §4.3), computed from the message alone. */
function wireSize(msg: UpdateMessage, fourOctetAs: boolean): number {
  let attrs = 0;
  for (const a of msg.attributes) {
    switch (a.kind) {
      case 'origin':
        attrs += attr(1);
        break;
      case 'asPath':
      case 'as4Path': {
        const width = a.kind === 'as4Path' || fourOctetAs ? 4 : 2;
        attrs += attr(a.segments.reduce((s, seg) => s + 2 + width * seg.asns.length, 0));
        break;
      }
      case 'nextHop':
      case 'multiExitDisc':
      case 'localPref':
        attrs += attr(4);
        break;
      case 'communities':
        attrs += attr(4 * a.communities.length);
        break;
      case 'largeCommunities':
        attrs += attr(12 * a.communities.length);
        break;
      case 'mpReachNlri':
        attrs += attr(5 + 16 * a.nextHops.length + nlriOctets(a.nlri));
        break;
      case 'mpUnreachNlri':
        attrs += attr(3 + nlriOctets(a.withdrawn));
        break;
      case 'atomicAggregate':
      case 'aggregator':
      case 'as4Aggregator':
      case 'extendedCommunities':
      case 'unknown':
        throw new Error(`the Adj-RIB-Out never sends ${a.kind}`);
    }
  }
  const size = 19 + 2 + nlriOctets(msg.withdrawn) + 2 + attrs + nlriOctets(msg.nlri);
  // The codec agrees octet for octet (encoded with the larger limit, so an oversized message
  // shows its size instead of throwing).
  assert.equal(encodeMessage(msg, { fourOctetAs, extendedMessage: true }).length, size);
  return size;
}

/** Encodes with the session's options (throws past its maximum) and decodes back to the same message. */
function roundTrip(msg: UpdateMessage, session: AdjRibOutSession): void {
  const opts = { fourOctetAs: session.fourOctetAs, extendedMessage: session.extendedMessage };
  const bytes = encodeMessage(msg, opts);
  assert.ok(bytes.length <= maxMessageSize(opts));
  const back = decodeMessage(bytes, opts);
  assert.ok(back.ok && back.errors.length === 0 && !back.withdrawAll);
  assert.deepEqual(back.msg, msg);
}

function updates(msgs: readonly unknown[]): UpdateMessage[] {
  return msgs.filter((m): m is UpdateMessage => (m as { type: string }).type === 'update');
}
function isEndOfRib(m: UpdateMessage): boolean {
  if (m.withdrawn.length > 0 || m.nlri.length > 0) return false;
  if (m.attributes.length === 0) return true;
  const only = m.attributes[0];
  return m.attributes.length === 1 && only?.kind === 'mpUnreachNlri' && only.withdrawn.length === 0;
}
function find<K extends PathAttribute['kind']>(m: UpdateMessage, kind: K): Extract<PathAttribute, { kind: K }> | undefined {
  return m.attributes.find((a): a is Extract<PathAttribute, { kind: K }> => a.kind === kind);
}
function announced(msgs: readonly UpdateMessage[]): string[] {
  const out: string[] = [];
  for (const m of msgs) {
    for (const p of m.nlri) out.push(`${p.address}/${p.length}`);
    const mp = find(m, 'mpReachNlri');
    if (mp) for (const p of mp.nlri) out.push(`${p.address}/${p.length}`);
  }
  return out;
}
function withdrawnOf(msgs: readonly UpdateMessage[]): string[] {
  const out: string[] = [];
  for (const m of msgs) {
    for (const p of m.withdrawn) out.push(`${p.address}/${p.length}`);
    const mp = find(m, 'mpUnreachNlri');
    if (mp) for (const p of mp.withdrawn) out.push(`${p.address}/${p.length}`);
  }
  return out;
}
/** Starts a session and sends the initial table; returns the state after it. */
function started(session: AdjRibOutSession, desired: readonly Advertisement[] = []): AdjRibOut {
  return setAdvertisements(emptyAdjRibOut(session), desired).rib;
}

// ---------------------------------------------------------------------------------------------------
// Initial table and attributes

test('initial table to an eBGP peer: ORIGIN IGP, AS_PATH [local AS], NEXT_HOP, no LOCAL_PREF, then End-of-RIB', () => {
  const r = setAdvertisements(emptyAdjRibOut(EBGP), [ad(v4('10.0.0.2'), { localPref: 200 }), ad(v4('10.0.0.1'))]);
  assert.equal(r.messages.length, 2);
  const [u, eor] = r.messages as [UpdateMessage, UpdateMessage];
  assert.deepEqual(u.attributes, [
    { kind: 'origin', origin: 0 },
    { kind: 'asPath', segments: [{ type: 'sequence', asns: [64512] }] },
    { kind: 'nextHop', nextHop: '10.10.10.1' },
  ]);
  assert.deepEqual(announced([u]), ['10.0.0.1/32', '10.0.0.2/32']);
  assert.deepEqual(eor, endOfRib(1, 1));
  assert.ok(isEndOfRib(eor));
  assert.equal(r.rib.ipv4.length, 2);
  assert.deepEqual(r.unsendable, []);
});

test('iBGP: empty AS_PATH, LOCAL_PREF 0 when unset (as MetalLB native) and the value when set', () => {
  const r = setAdvertisements(emptyAdjRibOut(IBGP), [ad(v4('10.0.0.1')), ad(v4('10.0.0.2'), { localPref: 150 })]);
  const us = r.messages.filter((m) => !isEndOfRib(m));
  assert.equal(us.length, 2, 'two attribute sets, two UPDATEs');
  const byLp = new Map(us.map((u) => [find(u, 'localPref')?.localPref, u]));
  assert.deepEqual(announced([byLp.get(0) as UpdateMessage]), ['10.0.0.1/32']);
  assert.deepEqual(announced([byLp.get(150) as UpdateMessage]), ['10.0.0.2/32']);
  for (const u of us) assert.deepEqual(find(u, 'asPath')?.segments, []);
});

test('eBGP ignores localPref: advertisements that differ only in it share an UPDATE', () => {
  const r = setAdvertisements(emptyAdjRibOut(EBGP), [ad(v4('10.0.0.1'), { localPref: 1 }), ad(v4('10.0.0.2'), { localPref: 2 })]);
  assert.equal(r.messages.length, 2);
  assert.equal(find(r.messages[0] as UpdateMessage, 'localPref'), undefined);
});

test('MED, sorted unique COMMUNITIES and LARGE_COMMUNITIES, attributes in type-code order', () => {
  const large: LargeCommunity[] = [
    { globalAdmin: 64512, localData1: 2, localData2: 1 },
    { globalAdmin: 64512, localData1: 1, localData2: 9 },
    { globalAdmin: 64512, localData1: 2, localData2: 1 },
  ];
  const r = setAdvertisements(emptyAdjRibOut(IBGP), [
    ad(v4('10.0.0.1'), { med: 7, localPref: 300, communities: [comm(65000, 2), comm(100, 1), comm(65000, 2)], largeCommunities: large }),
  ]);
  const u = r.messages[0] as UpdateMessage;
  assert.deepEqual(
    u.attributes.map((a) => a.kind),
    ['origin', 'asPath', 'nextHop', 'multiExitDisc', 'localPref', 'communities', 'largeCommunities'],
  );
  assert.equal(find(u, 'multiExitDisc')?.med, 7);
  assert.equal(find(u, 'localPref')?.localPref, 300);
  assert.deepEqual(find(u, 'communities')?.communities, [comm(100, 1), comm(65000, 2)]);
  assert.deepEqual(find(u, 'largeCommunities')?.communities, [
    { globalAdmin: 64512, localData1: 1, localData2: 9 },
    { globalAdmin: 64512, localData1: 2, localData2: 1 },
  ]);
});

test('a 4-octet local AS to a 2-octet-only eBGP peer goes as AS_TRANS with AS4_PATH (RFC 6793 §4.2.2)', () => {
  const session: AdjRibOutSession = { ...EBGP, localAsn: 4200000001, fourOctetAs: false };
  const u = setAdvertisements(emptyAdjRibOut(session), [ad(v4('10.0.0.1'), { largeCommunities: [{ globalAdmin: 1, localData1: 2, localData2: 3 }] })])
    .messages[0] as UpdateMessage;
  assert.deepEqual(find(u, 'asPath')?.segments, [{ type: 'sequence', asns: [23456] }]);
  assert.deepEqual(find(u, 'as4Path')?.segments, [{ type: 'sequence', asns: [4200000001] }]);
  assert.deepEqual(
    u.attributes.map((a) => a.kind),
    ['origin', 'asPath', 'nextHop', 'as4Path', 'largeCommunities'],
  );
  // With 4-octet AS negotiated there is no AS4_PATH.
  const u4 = setAdvertisements(emptyAdjRibOut({ ...session, fourOctetAs: true }), [ad(v4('10.0.0.1'))]).messages[0] as UpdateMessage;
  assert.deepEqual(find(u4, 'asPath')?.segments, [{ type: 'sequence', asns: [4200000001] }]);
  assert.equal(find(u4, 'as4Path'), undefined);
  // A 2-octet local AS needs none either, and iBGP has an empty path whatever the AS.
  const u2 = setAdvertisements(emptyAdjRibOut({ ...EBGP, fourOctetAs: false }), [ad(v4('10.0.0.1'))]).messages[0] as UpdateMessage;
  assert.equal(find(u2, 'as4Path'), undefined);
  const ui = setAdvertisements(emptyAdjRibOut({ ...session, peerAsn: 4200000001 }), [ad(v4('10.0.0.1'))]).messages[0] as UpdateMessage;
  assert.deepEqual(find(ui, 'asPath')?.segments, []);
  assert.equal(find(ui, 'as4Path'), undefined);
});

test('IPv6 goes in MP_REACH_NLRI, first, with the session next hop and no NEXT_HOP; End-of-RIB is an empty MP_UNREACH', () => {
  const r = setAdvertisements(emptyAdjRibOut(V6), [ad(v6('fd00::2')), ad(v6('fd00::1')), ad(v4('10.0.0.1'))]);
  assert.equal(r.messages.length, 2);
  const [u, eor] = r.messages as [UpdateMessage, UpdateMessage];
  assert.deepEqual(u.nlri, []);
  assert.equal(u.attributes[0]?.kind, 'mpReachNlri', 'RFC 7606 §5.1: MP_REACH_NLRI first');
  assert.deepEqual(find(u, 'mpReachNlri'), {
    kind: 'mpReachNlri',
    afi: 2,
    safi: 1,
    nextHops: ['fd00::1'],
    nlri: [v6('fd00::1'), v6('fd00::2')],
  });
  assert.equal(find(u, 'nextHop'), undefined);
  assert.deepEqual(eor, { type: 'update', withdrawn: [], nlri: [], attributes: [{ kind: 'mpUnreachNlri', afi: 2, safi: 1, withdrawn: [] }] });
  assert.equal(r.rib.ipv4.length, 0, 'the IPv4 advertisement is skipped on an IPv6-only session');
  assert.equal(r.rib.ipv6.length, 2);
  const ll = setAdvertisements(emptyAdjRibOut({ ...V6, ipv6LinkLocalNextHop: 'fe80::1' }), [ad(v6('fd00::1'))]);
  assert.deepEqual(find(ll.messages[0] as UpdateMessage, 'mpReachNlri')?.nextHops, ['fd00::1', 'fe80::1']);
});

test('End-of-RIB per carried family, even for an empty table, and only after the initial table', () => {
  const both: AdjRibOutSession = { ...EBGP, families: ['ipv6', 'ipv4'], ipv6NextHop: 'fd00::1' };
  const r = setAdvertisements(emptyAdjRibOut(both), []);
  assert.deepEqual(r.messages, [endOfRib(1, 1), endOfRib(2, 1)]);
  const again = setAdvertisements(r.rib, [ad(v4('10.0.0.1'))]);
  assert.equal(again.messages.length, 1);
  assert.ok(!isEndOfRib(again.messages[0] as UpdateMessage));
  assert.deepEqual(setAdvertisements(again.rib, [ad(v4('10.0.0.1'))]).messages, []);
});

// ---------------------------------------------------------------------------------------------------
// The diff

test('diff: add, remove, change attributes, and no change yields no UPDATE', () => {
  let rib = started(IBGP, [ad(v4('10.0.0.1')), ad(v4('10.0.0.2'))]);
  // add
  let r = setAdvertisements(rib, [ad(v4('10.0.0.1')), ad(v4('10.0.0.2')), ad(v4('10.0.0.3'))]);
  assert.deepEqual(announced(r.messages), ['10.0.0.3/32']);
  assert.deepEqual(withdrawnOf(r.messages), []);
  rib = r.rib;
  // remove: IPv4 withdrawals in the Withdrawn Routes field, with no attributes
  r = setAdvertisements(rib, [ad(v4('10.0.0.1')), ad(v4('10.0.0.3'))]);
  assert.equal(r.messages.length, 1);
  assert.deepEqual(r.messages[0], { type: 'update', withdrawn: [v4('10.0.0.2')], attributes: [], nlri: [] });
  rib = r.rib;
  // change attributes: re-announced, not withdrawn
  r = setAdvertisements(rib, [ad(v4('10.0.0.1'), { localPref: 50 }), ad(v4('10.0.0.3'))]);
  assert.deepEqual(announced(r.messages), ['10.0.0.1/32']);
  assert.deepEqual(withdrawnOf(r.messages), []);
  assert.equal(find(r.messages[0] as UpdateMessage, 'localPref')?.localPref, 50);
  rib = r.rib;
  // no-op, whatever the order and with equal attributes written differently
  r = setAdvertisements(rib, [ad(v4('10.0.0.3'), { localPref: 0 }), ad(v4('10.0.0.1'), { localPref: 50, communities: [] })]);
  assert.deepEqual(r.messages, []);
  assert.equal(r.rib.ipv4.length, 2);
});

test('diff: IPv6 withdrawals go in MP_UNREACH_NLRI', () => {
  const rib = started(V6, [ad(v6('fd00::1')), ad(v6('fd00::2'))]);
  const r = setAdvertisements(rib, [ad(v6('fd00::2'))]);
  assert.deepEqual(r.messages, [
    { type: 'update', withdrawn: [], nlri: [], attributes: [{ kind: 'mpUnreachNlri', afi: 2, safi: 1, withdrawn: [v6('fd00::1')] }] },
  ]);
});

test('withdrawals come before announcements and never share an UPDATE with them (RFC 7606 §5.1)', () => {
  const both: AdjRibOutSession = { ...EBGP, families: ['ipv4', 'ipv6'], ipv6NextHop: 'fd00::1' };
  const rib = started(both, [ad(v4('10.0.0.1')), ad(v6('fd00::1'))]);
  const r = setAdvertisements(rib, [ad(v4('10.0.0.2')), ad(v6('fd00::2'))]);
  assert.deepEqual(withdrawnOf(r.messages.slice(0, 2)), ['10.0.0.1/32', 'fd00::1/128']);
  assert.deepEqual(announced(r.messages.slice(2)), ['10.0.0.2/32', 'fd00::2/128']);
  for (const m of r.messages) {
    const parts = [m.withdrawn.length > 0, m.nlri.length > 0, !!find(m, 'mpReachNlri'), !!find(m, 'mpUnreachNlri')];
    assert.equal(parts.filter(Boolean).length, 1);
  }
});

test('duplicate prefixes: identical ones are announced once; differing ones are merged', () => {
  const r = setAdvertisements(emptyAdjRibOut(IBGP), [ad(v4('10.0.0.1')), ad(v4('10.0.0.1'))]);
  assert.deepEqual(announced(r.messages), ['10.0.0.1/32']);
  const m = setAdvertisements(emptyAdjRibOut(IBGP), [
    ad(v4('10.0.0.1'), { localPref: 100, med: 20, communities: [comm(1, 1), comm(3, 3)] }),
    ad(v4('10.0.0.1'), { localPref: 300, communities: [comm(2, 2), comm(1, 1)], largeCommunities: [{ globalAdmin: 1, localData1: 1, localData2: 1 }] }),
    ad(v4('10.0.0.1'), { localPref: 200, med: 10 }),
  ]);
  assert.equal(m.messages.length, 2);
  const u = m.messages[0] as UpdateMessage;
  assert.deepEqual(announced([u]), ['10.0.0.1/32']);
  assert.equal(find(u, 'localPref')?.localPref, 300, 'the highest LOCAL_PREF');
  assert.equal(find(u, 'multiExitDisc')?.med, 10, 'the lowest MED');
  assert.deepEqual(find(u, 'communities')?.communities, [comm(1, 1), comm(2, 2), comm(3, 3)], 'union, sorted');
  assert.deepEqual(find(u, 'largeCommunities')?.communities, [{ globalAdmin: 1, localData1: 1, localData2: 1 }]);
  // The merge does not depend on the order of the duplicates.
  const rev = setAdvertisements(emptyAdjRibOut(IBGP), [
    ad(v4('10.0.0.1'), { localPref: 200, med: 10 }),
    ad(v4('10.0.0.1'), { localPref: 300, communities: [comm(2, 2), comm(1, 1)], largeCommunities: [{ globalAdmin: 1, localData1: 1, localData2: 1 }] }),
    ad(v4('10.0.0.1'), { localPref: 100, med: 20, communities: [comm(1, 1), comm(3, 3)] }),
  ]);
  assert.deepEqual(rev.messages, m.messages);
});

test('output is the same whatever the order of the desired set', () => {
  const ads: Advertisement[] = [];
  for (let i = 0; i < 300; i++) ads.push(ad(nthV4(i * 7), { communities: [comm(1, i % 3)] }));
  ads.push(ad(v4('10.0.0.0', 8), { communities: [comm(1, 0)] }), ad(v4('10.0.0.0', 24), { communities: [comm(1, 0)] }));
  const a = setAdvertisements(emptyAdjRibOut(EBGP), ads).messages;
  const b = setAdvertisements(emptyAdjRibOut(EBGP), [...ads].reverse()).messages;
  assert.deepEqual(a, b);
  // Prefixes come out in address order, then length.
  const first = announced(a.slice(0, 1));
  assert.deepEqual(first.slice(0, 3), ['10.0.0.0/8', '10.0.0.0/24', '10.0.0.0/32']);
});

// ---------------------------------------------------------------------------------------------------
// Packing

/** eBGP with 4-octet AS: ORIGIN (4) + AS_PATH (3 + 6) + NEXT_HOP (7) = 20 octets of attributes. */
const EBGP_V4_ATTRS = 20;

for (const extendedMessage of [false, true]) {
  const max = extendedMessage ? 65535 : 4096;
  const session: AdjRibOutSession = { ...EBGP, extendedMessage };

  test(`IPv4 packing at ${max}: an exact fit is one message of ${max} octets, one prefix more starts another`, () => {
    const budget = max - 23 - EBGP_V4_ATTRS;
    const n32 = Math.floor(budget / 5);
    const rest = budget - 5 * n32; // filled by one shorter prefix of `rest` octets
    assert.ok(rest >= 1 && rest <= 4);
    const filler = v4('192.0.0.0', (rest - 1) * 8);
    const ads = [ad(filler)];
    for (let i = 0; i < n32; i++) ads.push(ad(nthV4(i)));
    const exact = updates(setAdvertisements(emptyAdjRibOut(session), ads).messages).filter((m) => !isEndOfRib(m));
    assert.equal(exact.length, 1);
    assert.equal(wireSize(exact[0] as UpdateMessage, true), max);
    roundTrip(exact[0] as UpdateMessage, session);
    assert.equal(maxMessageSize(session), max);

    const over = updates(setAdvertisements(emptyAdjRibOut(session), [...ads, ad(nthV4(n32))]).messages).filter((m) => !isEndOfRib(m));
    assert.equal(over.length, 2);
    assert.equal(wireSize(over[0] as UpdateMessage, true), max - rest, 'the first is full of /32s');
    assert.ok(over.every((m) => wireSize(m, true) <= max));
    assert.equal(announced(over).length, n32 + 2);
  });

  test(`IPv4 withdrawal packing at ${max}`, () => {
    const n = Math.floor((max - 23) / 5);
    const ads: Advertisement[] = [];
    for (let i = 0; i <= n; i++) ads.push(ad(nthV4(i)));
    const rib = started(session, ads);
    const r = setAdvertisements(rib, []);
    assert.equal(r.messages.length, 2);
    assert.equal((r.messages[0] as UpdateMessage).withdrawn.length, n);
    assert.ok(r.messages.every((m) => wireSize(m, true) <= max && m.attributes.length === 0));
    assert.equal(withdrawnOf(r.messages).length, n + 1);
  });

  test(`IPv6 packing at ${max}: MP_REACH_NLRI exact fit and overflow`, () => {
    const s6: AdjRibOutSession = { ...V6, extendedMessage };
    // ORIGIN (4) + AS_PATH (9); MP_REACH header 4 (extended length), value 5 + 16 + NLRI.
    const budget = max - 23 - 13 - 4 - 21;
    const n128 = Math.floor(budget / 17);
    const rest = budget - 17 * n128;
    assert.ok(rest >= 1 && rest <= 16);
    const ads = [ad(v6('fd01::', (rest - 1) * 8))];
    for (let i = 0; i < n128; i++) ads.push(ad(nthV6(i)));
    const exact = updates(setAdvertisements(emptyAdjRibOut(s6), ads).messages).filter((m) => !isEndOfRib(m));
    assert.equal(exact.length, 1);
    assert.equal(wireSize(exact[0] as UpdateMessage, true), max);
    roundTrip(exact[0] as UpdateMessage, s6);
    const over = updates(setAdvertisements(emptyAdjRibOut(s6), [...ads, ad(nthV6(n128))]).messages).filter((m) => !isEndOfRib(m));
    assert.equal(over.length, 2);
    assert.ok(over.every((m) => wireSize(m, true) <= max));

    // Withdrawals: MP_UNREACH_NLRI value 3 + withdrawn, header 4.
    const wn = Math.floor((max - 23 - 4 - 3) / 17);
    const wads: Advertisement[] = [];
    for (let i = 0; i <= wn; i++) wads.push(ad(nthV6(i)));
    const w = setAdvertisements(started(s6, wads), []);
    assert.equal(w.messages.length, 2);
    assert.equal(find(w.messages[0] as UpdateMessage, 'mpUnreachNlri')?.withdrawn.length, wn);
    assert.ok(w.messages.every((m) => wireSize(m, true) <= max));
  });
}

test('prefixes with identical attributes are packed together, one group per attribute set', () => {
  const ads: Advertisement[] = [];
  for (let i = 0; i < 2000; i++) ads.push(ad(nthV4(i), { communities: i % 2 === 0 ? [comm(1, 1)] : [] }));
  const msgs = setAdvertisements(emptyAdjRibOut(EBGP), ads).messages.filter((m) => !isEndOfRib(m));
  // 1000 prefixes per attribute set: 5000 octets of NLRI, two UPDATEs each at 4096.
  assert.equal(msgs.length, 4);
  for (const m of msgs) {
    const c = find(m, 'communities')?.communities ?? [];
    assert.ok(m.nlri.every((p) => (Number(p.address.split('.')[3]) + 256 * Number(p.address.split('.')[2])) % 2 === (c.length > 0 ? 0 : 1)));
  }
});

test('the extended-length flag is counted once an attribute value passes 255 octets', () => {
  // 64 communities = 256 octets: extended length; 63 = 252: not.
  for (const n of [63, 64]) {
    const cs = Array.from({ length: n }, (_, i) => comm(1, i));
    const budget = 4096 - 23 - EBGP_V4_ATTRS - attr(4 * n);
    const count = Math.floor(budget / 5) + 1;
    const ads = Array.from({ length: count }, (_, i) => ad(nthV4(i), { communities: cs }));
    const msgs = setAdvertisements(emptyAdjRibOut(EBGP), ads).messages.filter((m) => !isEndOfRib(m));
    assert.equal(msgs.length, 2);
    assert.equal(msgs[0]?.nlri.length, count - 1);
    assert.ok(msgs.every((m) => wireSize(m, true) <= 4096));
  }
});

test('a route whose attributes alone exceed the message size is reported, not sent, and withdrawn if it was sent', () => {
  const huge = Array.from({ length: 1100 }, (_, i) => comm(2, i)); // 4400 octets of COMMUNITIES
  const rib = started(EBGP, [ad(v4('10.0.0.1')), ad(v4('10.0.0.2'))]);
  const r = setAdvertisements(rib, [ad(v4('10.0.0.1'), { communities: huge }), ad(v4('10.0.0.2'))]);
  assert.deepEqual(r.unsendable, [v4('10.0.0.1')]);
  assert.deepEqual(withdrawnOf(r.messages), ['10.0.0.1/32']);
  assert.deepEqual(announced(r.messages), []);
  assert.deepEqual(r.rib.ipv4.map((x) => x.prefix), [v4('10.0.0.2')]);
  // With extended messages the same route fits.
  const x = setAdvertisements(emptyAdjRibOut({ ...EBGP, extendedMessage: true }), [ad(v4('10.0.0.1'), { communities: huge })]);
  assert.deepEqual(x.unsendable, []);
  assert.deepEqual(announced(x.messages), ['10.0.0.1/32']);
});

// ---------------------------------------------------------------------------------------------------
// Route refresh

test('ROUTE-REFRESH is answered with the full table of that family (RFC 2918 §4)', () => {
  const both: AdjRibOutSession = { ...IBGP, families: ['ipv4', 'ipv6'], ipv6NextHop: 'fd00::1' };
  const desired = [ad(v4('10.0.0.1'), { localPref: 5 }), ad(v4('10.0.0.2')), ad(v6('fd00::1'))];
  const first = setAdvertisements(emptyAdjRibOut(both), desired);
  const v4Initial = first.messages.filter((m) => !isEndOfRib(m) && m.nlri.length > 0);
  const reply = routeRefreshReply(first.rib, { type: 'routeRefresh', afi: 1, safi: 1, subtype: 0 });
  assert.deepEqual(reply, v4Initial);
  const reply6 = updates(routeRefreshReply(first.rib, { type: 'routeRefresh', afi: 2, safi: 1, subtype: 0 }));
  assert.deepEqual(announced(reply6), ['fd00::1/128']);
  // Not a request, or a family not carried: ignored.
  assert.deepEqual(routeRefreshReply(first.rib, { type: 'routeRefresh', afi: 1, safi: 1, subtype: 1 }), []);
  assert.deepEqual(routeRefreshReply(first.rib, { type: 'routeRefresh', afi: 1, safi: 2, subtype: 0 }), []);
  assert.deepEqual(routeRefreshReply(started(EBGP), { type: 'routeRefresh', afi: 2, safi: 1, subtype: 0 }), []);
  // Before the initial table nothing is sent: the initial table answers.
  assert.deepEqual(routeRefreshReply(emptyAdjRibOut(both), { type: 'routeRefresh', afi: 1, safi: 1, subtype: 0 }), []);
});

test('enhanced route refresh frames the table with BoRR and EoRR (RFC 7313 §4)', () => {
  const rib = started({ ...EBGP, enhancedRouteRefresh: true }, [ad(v4('10.0.0.1'))]);
  const reply = routeRefreshReply(rib, { type: 'routeRefresh', afi: 1, safi: 1, subtype: 0 });
  assert.equal(reply.length, 3);
  assert.deepEqual(reply[0], { type: 'routeRefresh', afi: 1, safi: 1, subtype: 1 });
  assert.deepEqual(announced(updates(reply)), ['10.0.0.1/32']);
  assert.deepEqual(reply[2], { type: 'routeRefresh', afi: 1, safi: 1, subtype: 2 });
  // An empty table still gets its markers.
  const empty = routeRefreshReply(started({ ...EBGP, enhancedRouteRefresh: true }), { type: 'routeRefresh', afi: 1, safi: 1, subtype: 0 });
  assert.deepEqual(empty.map((m) => m.type), ['routeRefresh', 'routeRefresh']);
});

test('the route-refresh reply reflects the latest desired set, changed routes included', () => {
  let rib = started(IBGP, [ad(v4('10.0.0.1')), ad(v4('10.0.0.2')), ad(v4('10.0.0.3'))]);
  rib = setAdvertisements(rib, [ad(v4('10.0.0.1')), ad(v4('10.0.0.3'), { localPref: 9 }), ad(v4('10.0.0.4'))]).rib;
  const reply = updates(routeRefreshReply(rib, { type: 'routeRefresh', afi: 1, safi: 1, subtype: 0 }));
  assert.equal(reply.length, 2);
  const fresh = setAdvertisements(emptyAdjRibOut(IBGP), [ad(v4('10.0.0.1')), ad(v4('10.0.0.3'), { localPref: 9 }), ad(v4('10.0.0.4'))]);
  assert.deepEqual(reply, fresh.messages.filter((m) => !isEndOfRib(m)));
});

// ---------------------------------------------------------------------------------------------------
// Contract checks

test('programmer errors throw: missing next hop, bad prefix, out-of-range attribute', () => {
  assert.throws(() => emptyAdjRibOut({ ...EBGP, ipv4NextHop: 'fd00::1' }), RangeError);
  assert.throws(() => emptyAdjRibOut({ ...V6, ipv6NextHop: undefined as unknown as string }), RangeError);
  assert.throws(() => emptyAdjRibOut({ ...EBGP, localAsn: 0 }), RangeError);
  const rib = emptyAdjRibOut(EBGP);
  assert.throws(() => setAdvertisements(rib, [ad(v4('10.0.0.1', 33))]), RangeError);
  assert.throws(() => setAdvertisements(rib, [ad(v4('10.0.0.256'))]), RangeError);
  assert.throws(() => setAdvertisements(rib, [ad(v4('10.0.0.1'), { med: -1 })]), RangeError);
  assert.throws(() => setAdvertisements(rib, [ad(v4('10.0.0.1'), { communities: [2 ** 32] })]), RangeError);
});

// ---------------------------------------------------------------------------------------------------
// Property: the receiver ends up with exactly the desired set

interface ReceivedRoute {
  readonly localPref: number | undefined;
  readonly med: number | undefined;
  readonly communities: readonly number[];
  readonly large: readonly string[];
  readonly nextHops: readonly string[];
  readonly asPath: string;
  readonly as4Path: string;
}

/** A receiver's Adj-RIB-In: applies UPDATEs as RFC 4271 §3.1 / RFC 4760 say. */
function applyUpdate(rib: Map<string, ReceivedRoute>, m: UpdateMessage): void {
  for (const p of m.withdrawn) rib.delete(`${p.address}/${p.length}`);
  const unreach = find(m, 'mpUnreachNlri');
  if (unreach) for (const p of unreach.withdrawn) rib.delete(`${p.address}/${p.length}`);
  const reach = find(m, 'mpReachNlri');
  const base = {
    localPref: find(m, 'localPref')?.localPref,
    med: find(m, 'multiExitDisc')?.med,
    communities: find(m, 'communities')?.communities ?? [],
    large: (find(m, 'largeCommunities')?.communities ?? []).map((l) => `${l.globalAdmin}:${l.localData1}:${l.localData2}`),
    asPath: JSON.stringify(find(m, 'asPath')?.segments),
    as4Path: JSON.stringify(find(m, 'as4Path')?.segments),
  };
  for (const p of m.nlri) rib.set(`${p.address}/${p.length}`, { ...base, nextHops: [find(m, 'nextHop')?.nextHop ?? '?'] });
  if (reach) for (const p of reach.nlri) rib.set(`${p.address}/${p.length}`, { ...base, nextHops: reach.nextHops });
}

/** What the receiver should hold for a desired set: a simple model of the merge rules. */
function expectedRib(session: AdjRibOutSession, desired: readonly Advertisement[]): Map<string, ReceivedRoute> {
  const ibgp = session.localAsn === session.peerAsn;
  const as4 = !ibgp && !session.fourOctetAs && session.localAsn > 65535;
  const acc = new Map<string, { lp: number[]; med: number[]; c: Set<number>; l: Set<string>; family: string }>();
  for (const a of desired) {
    if (!session.families.includes(a.prefix.family)) continue;
    const k = `${a.prefix.address}/${a.prefix.length}`;
    const e = acc.get(k) ?? { lp: [], med: [], c: new Set(), l: new Set(), family: a.prefix.family };
    if (a.localPref !== undefined) e.lp.push(a.localPref);
    if (a.med !== undefined) e.med.push(a.med);
    for (const c of a.communities) e.c.add(c);
    for (const l of a.largeCommunities) e.l.add(`${l.globalAdmin}:${l.localData1}:${l.localData2}`);
    acc.set(k, e);
  }
  const out = new Map<string, ReceivedRoute>();
  for (const [k, e] of acc) {
    out.set(k, {
      localPref: ibgp ? Math.max(0, ...e.lp) : undefined,
      med: e.med.length > 0 ? Math.min(...e.med) : undefined,
      communities: [...e.c].sort((a, b) => a - b),
      large: [...e.l].sort((a, b) => {
        const [x, y] = [a.split(':').map(Number), b.split(':').map(Number)];
        return (x[0] ?? 0) - (y[0] ?? 0) || (x[1] ?? 0) - (y[1] ?? 0) || (x[2] ?? 0) - (y[2] ?? 0);
      }),
      nextHops:
        e.family === 'ipv4'
          ? [session.ipv4NextHop ?? '']
          : [session.ipv6NextHop ?? '', ...(session.ipv6LinkLocalNextHop !== undefined ? [session.ipv6LinkLocalNextHop] : [])],
      asPath: JSON.stringify(ibgp ? [] : [{ type: 'sequence', asns: [as4 ? 23456 : session.localAsn] }]),
      as4Path: JSON.stringify(as4 ? [{ type: 'sequence', asns: [session.localAsn] }] : undefined),
    });
  }
  return out;
}

const prefixArb = fc.oneof(
  fc.integer({ min: 0, max: 40 }).map(nthV4),
  fc.integer({ min: 0, max: 3 }).map((i) => v4(`10.0.${i}.0`, 24)),
  fc.integer({ min: 0, max: 3 }).map((i) => v4(`10.${i}.0.0`, 16)),
  fc.integer({ min: 0, max: 40 }).map(nthV6),
  fc.integer({ min: 1, max: 4 }).map((i) => v6(`fd00:${i}::`, 64)),
);
const adArb: fc.Arbitrary<Advertisement> = fc.record(
  {
    prefix: prefixArb,
    localPref: fc.constantFrom(0, 100, 200, 4294967295),
    med: fc.constantFrom(0, 10, 20),
    communities: fc.array(fc.constantFrom(comm(1, 1), comm(1, 2), comm(65535, 65281), 7), { maxLength: 3 }),
    largeCommunities: fc.array(
      fc.constantFrom<LargeCommunity>({ globalAdmin: 1, localData1: 2, localData2: 3 }, { globalAdmin: 4200000000, localData1: 0, localData2: 0 }),
      { maxLength: 2 },
    ),
  },
  { requiredKeys: ['prefix', 'communities', 'largeCommunities'] },
);
const sessionArb: fc.Arbitrary<AdjRibOutSession> = fc
  .record({
    ibgp: fc.boolean(),
    fourOctetAs: fc.boolean(),
    extendedMessage: fc.boolean(),
    families: fc.constantFrom<('ipv4' | 'ipv6')[]>(['ipv4'], ['ipv6'], ['ipv4', 'ipv6']),
    localAsn: fc.constantFrom(64512, 4200000001),
    enhancedRouteRefresh: fc.boolean(),
    linkLocal: fc.boolean(),
  })
  .map(({ ibgp, fourOctetAs, extendedMessage, families, localAsn, enhancedRouteRefresh, linkLocal }) => ({
    localAsn,
    peerAsn: ibgp ? localAsn : 65001,
    fourOctetAs,
    extendedMessage,
    enhancedRouteRefresh,
    families,
    ipv4NextHop: '10.10.10.1',
    ipv6NextHop: 'fd00::1',
    ...(linkLocal ? { ipv6LinkLocalNextHop: 'fe80::1' } : {}),
  }));

test('property: applying the UPDATEs yields exactly the desired set; no message exceeds the maximum', () => {
  fc.assert(
    fc.property(sessionArb, fc.array(fc.array(adArb, { maxLength: 30 }), { minLength: 1, maxLength: 6 }), (session, sets) => {
      let rib = emptyAdjRibOut(session);
      const receiver = new Map<string, ReceivedRoute>();
      const max = session.extendedMessage ? 65535 : 4096;
      sets.forEach((desired, step) => {
        const r = setAdvertisements(rib, desired);
        const eors = r.messages.filter(isEndOfRib).length;
        assert.equal(eors, step === 0 ? session.families.length : 0);
        for (const m of r.messages) {
          assert.ok(wireSize(m, session.fourOctetAs) <= max);
          roundTrip(m, session);
          applyUpdate(receiver, m);
        }
        assert.deepEqual(receiver, expectedRib(session, desired));
        // A route refresh re-sends exactly the same table.
        const refreshed = new Map<string, ReceivedRoute>();
        for (const f of session.families) {
          for (const m of updates(routeRefreshReply(r.rib, { type: 'routeRefresh', afi: f === 'ipv4' ? 1 : 2, safi: 1, subtype: 0 }))) {
            applyUpdate(refreshed, m);
          }
        }
        assert.deepEqual(refreshed, receiver);
        rib = r.rib;
      });
    }),
    { numRuns: 300 },
  );
});

test('property: prefixes come out in address order, then length, for any addresses (both sort paths)', () => {
  const v4Arb = fc.record({ v: fc.integer({ min: 0, max: 0xffffffff }), len: fc.integer({ min: 0, max: 32 }) }).map(({ v, len }) => {
    const net = Number(BigInt(v) & maskOf('ipv4', len));
    return { value: BigInt(net), prefix: v4(formatIpValue('ipv4', BigInt(net)), len) };
  });
  const v6Arb = fc
    .record({ v: fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }), len: fc.integer({ min: 0, max: 128 }), sparse: fc.boolean() })
    .map(({ v, len, sparse }) => {
      // Sparse values exercise '::' compression, in every position.
      const value = (sparse ? v & 0xffff0000ffff00000000ffff0000ffffn : v) & maskOf('ipv6', len);
      return { value, prefix: v6(formatIpValue('ipv6', value), len) };
    });
  for (const [family, arb] of [['ipv4', v4Arb], ['ipv6', v6Arb]] as const) {
    const session: AdjRibOutSession = { ...EBGP, extendedMessage: true, families: [family], ipv6NextHop: 'fd00::1' };
    // Short lists take a comparison sort, 64 routes and more a radix sort: cover both.
    const lists = fc.oneof(fc.array(arb, { minLength: 1, maxLength: 63 }), fc.array(arb, { minLength: 64, maxLength: 300 }));
    fc.assert(
      fc.property(lists, (items) => {
        const msgs = setAdvertisements(emptyAdjRibOut(session), items.map((i) => ad(i.prefix))).messages;
        const seen = new Map(items.map((i) => [`${i.prefix.address}/${i.prefix.length}`, i]));
        const expected = [...seen.values()]
          .sort((a, b) => (a.value < b.value ? -1 : a.value > b.value ? 1 : a.prefix.length - b.prefix.length))
          .map((i) => `${i.prefix.address}/${i.prefix.length}`);
        assert.deepEqual(announced(msgs), expected);
      }),
      { numRuns: 100 },
    );
  }
});

test('IPv6 address text is checked', () => {
  const rib = emptyAdjRibOut(V6);
  for (const bad of ['fd00:::1', 'fd00::1::2', ':fd00::1', 'fd00::1:', '1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8:9', 'fd00::12345', 'fd00::g', '10.0.0.1']) {
    assert.throws(() => setAdvertisements(rib, [ad(v6(bad))]), RangeError, bad);
  }
  for (const good of ['::', '::1', 'fd00::', '1:2:3:4:5:6:7:8', '1::8', '::ffff:10.0.0.1', '1:2:3:4:5:6::8']) {
    assert.doesNotThrow(() => setAdvertisements(rib, [ad(v6(good))]), good);
  }
});

// ---------------------------------------------------------------------------------------------------
// Prepared desired sets

/** The wire bytes of `messages`, IPv4 NLRI taken from `encodedNlri` where given. */
function wireOf(messages: readonly UpdateMessage[], session: AdjRibOutSession, encodedNlri?: ReadonlyMap<UpdateMessage, Uint8Array>): Uint8Array {
  const w = new BufferWriter(4096);
  const opts = { fourOctetAs: session.fourOctetAs, extendedMessage: session.extendedMessage };
  for (const m of messages) {
    const nlri = encodedNlri?.get(m);
    if (nlri !== undefined) encodeUpdateFromPartsInto(w, m.attributes, nlri, opts);
    else w.bytes(encodeMessage(m, opts));
  }
  return w.finish();
}

test('a prepared set: sorted unique routes per family, attributes for its kind of peer, IPv4 NLRI encoded', () => {
  const p = prepareAdvertisements(
    [ad(nthV4(2), { localPref: 5 }), ad(v6('fd00::1')), ad(nthV4(1)), ad(nthV4(2), { communities: [comm(1, 1)] })],
    true,
    { encodeNlri: true },
  );
  assert.deepEqual(p.ipv4.map((r) => r.prefix.address), ['10.0.0.1', '10.0.0.2']);
  assert.deepEqual(p.ipv6.map((r) => r.prefix.address), ['fd00::1']);
  // RFC 4271 §5.1.5: iBGP attributes carry LOCAL_PREF (0 when unset); duplicates merged.
  assert.equal(p.ipv4[0]?.attributes.localPref, 0);
  assert.equal(p.ipv4[1]?.attributes.localPref, 5);
  assert.deepEqual(p.ipv4[1]?.attributes.communities, [comm(1, 1)]);
  // One group per attribute set, ordered by key; RFC 4271 §4.3: length octet, then the prefix octets.
  assert.deepEqual(
    p.ipv4Groups?.map((g) => [g.attrs.key, g.prefixes.map((x) => x.address), [...g.nlri]]),
    [
      [p.ipv4[0]?.attributes.key, ['10.0.0.1'], [32, 10, 0, 0, 1]],
      [p.ipv4[1]?.attributes.key, ['10.0.0.2'], [32, 10, 0, 0, 2]],
    ],
  );
  const plain = prepareAdvertisements([ad(nthV4(1), { localPref: 5 })], false);
  assert.equal(plain.ipv4Groups, undefined);
  assert.equal(plain.ipv4[0]?.attributes.localPref, undefined);
  assert.throws(() => prepareAdvertisements([ad(v4('10.0.0.300'))], false), RangeError);
});

test('encodeUpdateFromPartsInto writes the same octets as encoding the whole UPDATE', () => {
  const m: UpdateMessage = {
    type: 'update',
    withdrawn: [],
    attributes: [{ kind: 'origin', origin: 0 }, { kind: 'asPath', segments: [{ type: 'sequence', asns: [64512] }] }, { kind: 'nextHop', nextHop: '10.10.10.1' }],
    nlri: [nthV4(1), v4('10.1.0.0', 16), v4('10.0.3.0', 24), v4('0.0.0.0', 0)],
  };
  const opts = { fourOctetAs: true, extendedMessage: false };
  const w = new BufferWriter(64);
  encodeUpdateFromPartsInto(w, m.attributes, Uint8Array.of(32, 10, 0, 0, 1, 16, 10, 1, 24, 10, 0, 3, 0), opts);
  assert.deepEqual(w.finish(), encodeMessage(m, opts));
});

test('property: a prepared set gives the same UPDATEs, wire octets and state as the plain set, for any peer kind', () => {
  fc.assert(
    fc.property(
      sessionArb,
      fc.array(fc.array(adArb, { maxLength: 30 }), { minLength: 1, maxLength: 4 }),
      fc.boolean(),
      fc.boolean(),
      (session, sets, preparedIbgp, encodeNlri) => {
        let plainRib = emptyAdjRibOut(session);
        let preparedRib = emptyAdjRibOut(session);
        for (const desired of sets) {
          const plain = setAdvertisements(plainRib, desired);
          const prepared = setAdvertisements(preparedRib, prepareAdvertisements(desired, preparedIbgp, { encodeNlri }));
          assert.deepEqual(prepared.messages, plain.messages);
          assert.deepEqual(prepared.unsendable, plain.unsendable);
          assert.deepEqual(prepared.rib, plain.rib);
          if (!encodeNlri) assert.equal(prepared.encodedNlri, undefined);
          assert.deepEqual(wireOf(prepared.messages, session, prepared.encodedNlri), wireOf(plain.messages, session));
          plainRib = plain.rib;
          preparedRib = prepared.rib;
        }
      },
    ),
    { numRuns: 200 },
  );
});

test('a prepared IPv4 table of many prefixes is packed to the maximum size from the encoded NLRI', () => {
  const desired = Array.from({ length: 3000 }, (_, i) => ad(nthV4(2999 - i)));
  const r = setAdvertisements(emptyAdjRibOut(EBGP), prepareAdvertisements(desired, false, { encodeNlri: true }));
  const plain = setAdvertisements(emptyAdjRibOut(EBGP), desired);
  assert.deepEqual(r.messages, plain.messages);
  assert.ok(r.messages.length > 2);
  let withBytes = 0;
  for (const m of updates(r.messages)) {
    assert.ok(wireSize(m, true) <= 4096);
    if (r.encodedNlri?.has(m)) withBytes++;
  }
  assert.equal(withBytes, r.messages.length - 1);
  assert.deepEqual(wireOf(r.messages, EBGP, r.encodedNlri), wireOf(plain.messages, EBGP));
  // Groups of several attribute sets, and a route too large to send: the same outcome.
  const big = Array.from({ length: 1100 }, (_, i) => comm(1, i));
  const mixed = desired.map((a, i) => (i % 7 === 0 ? { ...a, med: 5 } : i === 10 ? { ...a, communities: big } : a));
  const m1 = setAdvertisements(emptyAdjRibOut(EBGP), prepareAdvertisements(mixed, false, { encodeNlri: true }));
  const m2 = setAdvertisements(emptyAdjRibOut(EBGP), mixed);
  assert.deepEqual(m1.messages, m2.messages);
  assert.deepEqual(m1.unsendable, m2.unsendable);
  assert.equal(m1.unsendable.length, 1);
  assert.deepEqual(wireOf(m1.messages, EBGP, m1.encodedNlri), wireOf(m2.messages, EBGP));
  const m3 = setAdvertisements(emptyAdjRibOut(EBGP), prepareAdvertisements(mixed.filter((_, i) => i !== 10), false, { encodeNlri: true }));
  assert.equal(m3.encodedNlri?.size, updates(m3.messages).length - 1);
  assert.deepEqual(wireOf(m3.messages, EBGP, m3.encodedNlri), wireOf(setAdvertisements(emptyAdjRibOut(EBGP), mixed.filter((_, i) => i !== 10)).messages, EBGP));
  // Prefixes of several lengths in one group: packed by walking the encoded entries.
  const lengths = Array.from({ length: 3000 }, (_, i) => ad(i % 3 === 0 ? v4(`11.${i >> 8}.${i & 255}.0`, 24) : i % 3 === 1 ? nthV4(i) : v4(`13.${i >> 8}.${i & 255}.128`, 25)));
  const l1 = setAdvertisements(emptyAdjRibOut(EBGP), prepareAdvertisements(lengths, false, { encodeNlri: true }));
  const l2 = setAdvertisements(emptyAdjRibOut(EBGP), lengths);
  assert.deepEqual(l1.messages, l2.messages);
  assert.ok(l1.messages.length > 3);
  assert.equal(l1.encodedNlri?.size, l1.messages.length - 1);
  assert.deepEqual(wireOf(l1.messages, EBGP, l1.encodedNlri), wireOf(l2.messages, EBGP));
});

// ---------------------------------------------------------------------------------------------------
// Incremental changes (DesiredRoutes.apply + updateRoutes)

type Op =
  | { readonly kind: 'set'; readonly ads: readonly Advertisement[] }
  | { readonly kind: 'update'; readonly upsert: readonly Advertisement[]; readonly withdraw: readonly Prefix[] };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 1, arbitrary: fc.array(adArb, { maxLength: 30 }).map((ads): Op => ({ kind: 'set', ads })) },
  {
    weight: 4,
    arbitrary: fc
      .record({ upsert: fc.array(adArb, { maxLength: 6 }), withdraw: fc.array(prefixArb, { maxLength: 6 }) })
      .map((c): Op => ({ kind: 'update', ...c })),
  },
);

const keyOf = (p: Prefix): string => `${p.address}/${p.length}`;

/** The model of a change: the desired set with every advertisement of a touched prefix replaced. */
function applyModel(model: readonly Advertisement[], op: Op): readonly Advertisement[] {
  if (op.kind === 'set') return op.ads;
  const gone = new Set([...op.withdraw.map(keyOf), ...op.upsert.map((a) => keyOf(a.prefix))]);
  return [...model.filter((a) => !gone.has(keyOf(a.prefix))), ...op.upsert];
}

/** The routes of an Adj-RIB-Out, as comparable text. */
function ribRoutes(rib: AdjRibOut): string[] {
  return [...rib.ipv4, ...rib.ipv6].map((r) => `${keyOf(r.prefix)} ${r.attributes.key}`);
}

test('property: any sequence of changes and replacements gives the Adj-RIB-Out and the peer routes of the final set', () => {
  fc.assert(
    fc.property(sessionArb, fc.array(opArb, { maxLength: 12 }), fc.nat({ max: 12 }), (session, ops, establishAt) => {
      const ibgp = session.localAsn === session.peerAsn;
      const max = session.extendedMessage ? 65535 : 4096;
      let desired = DesiredRoutes.of([], ibgp);
      let model: readonly Advertisement[] = [];
      let rib: AdjRibOut | undefined;
      const receiver = new Map<string, ReceivedRoute>();
      const send = (messages: readonly UpdateMessage[]): void => {
        for (const m of messages) {
          assert.ok(wireSize(m, session.fourOctetAs) <= max);
          roundTrip(m, session);
          applyUpdate(receiver, m);
        }
      };
      const establish = (): AdjRibOut => {
        // The initial table, as a session makes it: from the prepared set, NLRI encoded ahead.
        const r = setAdvertisements(emptyAdjRibOut(session), desired.prepared({ encodeNlri: true }));
        send(r.messages);
        return r.rib;
      };
      ops.forEach((op, i) => {
        if (i === establishAt) rib = establish();
        model = applyModel(model, op);
        if (op.kind === 'set') {
          desired = DesiredRoutes.of(op.ads, ibgp);
          if (rib) {
            const r = setAdvertisements(rib, desired.prepared());
            send(r.messages);
            rib = r.rib;
          }
        } else {
          const changes = desired.apply({ upsert: op.upsert, withdraw: op.withdraw });
          if (rib) {
            const r = updateRoutes(rib, changes);
            assert.deepEqual(r.unsendable, []);
            send(r.messages);
            rib = r.rib;
          }
        }
        assert.equal(desired.size, model.length);
        if (rib) assert.deepEqual(receiver, expectedRib(session, model));
      });
      rib ??= establish();
      const reference = setAdvertisements(emptyAdjRibOut(session), model).rib;
      assert.deepEqual(ribRoutes(rib), ribRoutes(reference));
      assert.deepEqual(receiver, expectedRib(session, model));
      // The desired set reads back as the model (in another order).
      const sorted = (ads: readonly Advertisement[]): string[] => ads.map((a) => JSON.stringify(a)).sort();
      assert.deepEqual(sorted(desired.advertisements()), sorted(model));
    }),
    { numRuns: 400 },
  );
});

test('incremental: a change sends only its prefixes; withdrawing an absent prefix sends nothing', () => {
  let desired = DesiredRoutes.of(Array.from({ length: 1000 }, (_, i) => ad(nthV4(i))), false);
  const first = setAdvertisements(emptyAdjRibOut(EBGP), desired.prepared({ encodeNlri: true }));
  let rib = first.rib;
  let r = updateRoutes(rib, desired.apply({ upsert: [ad(nthV4(5000)), ad(nthV4(7), { med: 5 })], withdraw: [nthV4(3), nthV4(9999)] }));
  rib = r.rib;
  assert.deepEqual(r.messages, [
    { type: 'update', withdrawn: [nthV4(3)], attributes: [], nlri: [] },
    ...setAdvertisements(emptyAdjRibOut(EBGP), [ad(nthV4(7), { med: 5 })]).messages.slice(0, 1),
    ...setAdvertisements(emptyAdjRibOut(EBGP), [ad(nthV4(5000))]).messages.slice(0, 1),
  ]);
  assert.equal(rib.ipv4.length, 1000);
  // The same change again, and an absent withdrawal: nothing to send.
  r = updateRoutes(rib, desired.apply({ upsert: [ad(nthV4(7), { med: 5 })], withdraw: [nthV4(3)] }));
  assert.deepEqual(r.messages, []);
  assert.deepEqual(desired.apply({ upsert: [], withdraw: [nthV4(123456)] }), []);
  // Malformed input throws and changes nothing.
  const before = desired.version;
  assert.throws(() => desired.apply({ upsert: [ad(nthV4(1))], withdraw: [v4('10.0.0.1', 33)] }), RangeError);
  assert.equal(desired.version, before);
  desired = DesiredRoutes.of([], false);
  assert.throws(() => updateRoutes(emptyAdjRibOut(EBGP), desired.apply({ upsert: [ad(nthV4(1))], withdraw: [] })), Error);
});

test('incremental: a prefix whose attributes do not fit one UPDATE is reported and withdrawn', () => {
  const desired = DesiredRoutes.of([ad(nthV4(1)), ad(nthV4(2))], false);
  const rib = setAdvertisements(emptyAdjRibOut(EBGP), desired.prepared()).rib;
  const huge = ad(nthV4(1), { communities: Array.from({ length: 1100 }, (_, i) => i) });
  const r = updateRoutes(rib, desired.apply({ upsert: [huge], withdraw: [] }));
  assert.deepEqual(r.unsendable, [nthV4(1)]);
  assert.deepEqual(r.messages, [{ type: 'update', withdrawn: [nthV4(1)], attributes: [], nlri: [] }]);
  assert.deepEqual(r.rib.ipv4.map((x) => x.prefix), [nthV4(2)]);
  // What a whole diff says about the same set.
  assert.deepEqual(setAdvertisements(emptyAdjRibOut(EBGP), desired.advertisements()).unsendable, [nthV4(1)]);
});
