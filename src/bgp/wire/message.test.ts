import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeMessage, encodeMessage } from './message.js';
import { attr, frame, hex, toHex, updateBody } from './test-helpers.js';
import type { BgpMessage, CodecOptions, DecodeResult } from './types.js';

const NEW: CodecOptions = { fourOctetAs: true, extendedMessage: false };
const OLD: CodecOptions = { fourOctetAs: false, extendedMessage: false };

function ok(r: DecodeResult): BgpMessage {
  if (!r.ok) assert.fail(`decode failed: ${r.error.reason} ${r.error.message}`);
  assert.deepEqual(r.errors, []);
  assert.equal(r.withdrawAll, false);
  return r.msg;
}

/** Decode, compare with the expected message, encode back to the same bytes. */
function fixture(bytes: Uint8Array, expected: BgpMessage, opts: CodecOptions): void {
  assert.deepEqual(ok(decodeMessage(bytes, opts)), expected);
  assert.equal(toHex(encodeMessage(expected, opts)), toHex(bytes));
  assert.deepEqual(ok(decodeMessage(encodeMessage(expected, opts), opts)), expected);
}

test('KEEPALIVE (RFC 4271 §4.4)', () => {
  fixture(frame(4, ''), { type: 'keepalive' }, NEW);
});

test('OPEN with multiprotocol, route refresh and 4-octet AS capabilities (RFC 4271 §4.2, RFC 5492)', () => {
  const bytes = frame(
    1,
    '04 fde9 00b4 0a000001 14' + '02 06 01 04 0001 00 01' + '02 02 02 00' + '02 06 41 04 0000fde9',
  );
  fixture(
    bytes,
    {
      type: 'open',
      version: 4,
      myAs: 65001,
      holdTime: 180,
      bgpId: '10.0.0.1',
      optionalParameters: [
        { type: 'capabilities', capabilities: [{ kind: 'multiprotocol', afi: 1, safi: 1 }] },
        { type: 'capabilities', capabilities: [{ kind: 'routeRefresh' }] },
        { type: 'capabilities', capabilities: [{ kind: 'fourOctetAs', asn: 65001 }] },
      ],
    },
    NEW,
  );
});

test('UPDATE with ORIGIN, AS_PATH, NEXT_HOP, MED, COMMUNITIES, LARGE_COMMUNITIES and NLRI', () => {
  const body = updateBody(
    '',
    attr(0x40, 1, '00') +
      attr(0x40, 2, '02 01 0000fde9') +
      attr(0x40, 3, '0a000001') +
      attr(0x80, 4, '00000064') +
      attr(0xc0, 8, 'fde90064') +
      attr(0xc0, 32, '0000fde9 00000001 00000002'),
    '20 0a0a0a0c 18 c0a801',
  );
  fixture(
    frame(2, body),
    {
      type: 'update',
      withdrawn: [],
      attributes: [
        { kind: 'origin', origin: 0 },
        { kind: 'asPath', segments: [{ type: 'sequence', asns: [65001] }] },
        { kind: 'nextHop', nextHop: '10.0.0.1' },
        { kind: 'multiExitDisc', med: 100 },
        { kind: 'communities', communities: [0xfde90064] },
        { kind: 'largeCommunities', communities: [{ globalAdmin: 65001, localData1: 1, localData2: 2 }] },
      ],
      nlri: [
        { family: 'ipv4', address: '10.10.10.12', length: 32 },
        { family: 'ipv4', address: '192.168.1.0', length: 24 },
      ],
    },
    NEW,
  );
});

test('UPDATE with MP_REACH_NLRI for IPv6, global and link-local next hop (RFC 4760 §3, RFC 2545 §3)', () => {
  const body = updateBody(
    '',
    attr(0x40, 1, '00') +
      attr(0x40, 2, '') +
      attr(0x80, 14, '0002 01 20 20010db8000000000000000000000001 fe800000000000000000000000000001 00 80 20010db8000000000000000000000064'),
    '',
  );
  fixture(
    frame(2, body),
    {
      type: 'update',
      withdrawn: [],
      attributes: [
        { kind: 'origin', origin: 0 },
        { kind: 'asPath', segments: [] },
        {
          kind: 'mpReachNlri',
          afi: 2,
          safi: 1,
          nextHops: ['2001:db8::1', 'fe80::1'],
          nlri: [{ family: 'ipv6', address: '2001:db8::64', length: 128 }],
        },
      ],
      nlri: [],
    },
    NEW,
  );
});

test('UPDATE with 2-octet AS_PATH on a session without 4-octet AS (RFC 4271 §4.3)', () => {
  const body = updateBody('18 0a0b0c', attr(0x40, 1, '02') + attr(0x40, 2, '02 02 fde9 fdea 01 01 0001'), '');
  fixture(
    frame(2, body),
    {
      type: 'update',
      withdrawn: [{ family: 'ipv4', address: '10.11.12.0', length: 24 }],
      attributes: [
        { kind: 'origin', origin: 2 },
        {
          kind: 'asPath',
          segments: [
            { type: 'sequence', asns: [65001, 65002] },
            { type: 'set', asns: [1] },
          ],
        },
      ],
      nlri: [],
    },
    OLD,
  );
});

test('NOTIFICATION Cease/Administrative Shutdown with a communication (RFC 4271 §4.5, RFC 9003)', () => {
  fixture(frame(3, '06 02 03 627965'), { type: 'notification', code: 6, subcode: 2, data: hex('03627965') }, NEW);
});

test('ROUTE-REFRESH for IPv4 unicast (RFC 2918 §3)', () => {
  fixture(frame(5, '0001 00 01'), { type: 'routeRefresh', afi: 1, subtype: 0, safi: 1 }, NEW);
});

test('OPEN as FRR sends it: each capability in its own parameter, unknown codes 64/69/70/71/73/128 kept', () => {
  // Built by hand in FRR's layout (one capability per optional parameter).
  const params =
    '02 06 01 04 0001 00 01' + // MP IPv4 unicast
    '02 06 01 04 0002 00 01' + // MP IPv6 unicast
    '02 02 80 00' + // route refresh, pre-standard code 128
    '02 02 02 00' + // route refresh
    '02 02 46 00' + // enhanced route refresh (70)
    '02 06 41 04 fffffffe' + // 4-octet AS 4294967294
    '02 06 45 04 0001 01 01' + // ADD-PATH (69): IPv4 unicast receive
    '02 08 49 06 04 66727231 00' + // FQDN (73): "frr1", empty domain, kept as bytes
    '02 04 40 02 c0 78' + // graceful restart (64): R and N bits, 120 s, no families
    '02 02 47 00' + // LLGR (71), empty
    '02 02 06 00'; // extended message (6)
  const bytes = frame(1, `04 5ba0 005a c0a80001 ${(hex(params).length).toString(16).padStart(2, '0')}` + params);
  fixture(
    bytes,
    {
      type: 'open',
      version: 4,
      myAs: 23456,
      holdTime: 90,
      bgpId: '192.168.0.1',
      optionalParameters: [
        { type: 'capabilities', capabilities: [{ kind: 'multiprotocol', afi: 1, safi: 1 }] },
        { type: 'capabilities', capabilities: [{ kind: 'multiprotocol', afi: 2, safi: 1 }] },
        { type: 'capabilities', capabilities: [{ kind: 'unknown', code: 128, value: new Uint8Array(0) }] },
        { type: 'capabilities', capabilities: [{ kind: 'routeRefresh' }] },
        { type: 'capabilities', capabilities: [{ kind: 'enhancedRouteRefresh' }] },
        { type: 'capabilities', capabilities: [{ kind: 'fourOctetAs', asn: 4294967294 }] },
        { type: 'capabilities', capabilities: [{ kind: 'unknown', code: 69, value: hex('0001 01 01') }] },
        { type: 'capabilities', capabilities: [{ kind: 'unknown', code: 73, value: hex('04 66727231 00') }] },
        { type: 'capabilities', capabilities: [{ kind: 'gracefulRestart', restartFlags: 0xc, restartTime: 120, families: [] }] },
        { type: 'capabilities', capabilities: [{ kind: 'unknown', code: 71, value: new Uint8Array(0) }] },
        { type: 'capabilities', capabilities: [{ kind: 'extendedMessage' }] },
      ],
    },
    NEW,
  );
});

test('OPEN as BIRD sends it: all capabilities in one parameter, graceful restart with families', () => {
  const caps = '01 04 0001 00 01' + '02 00' + '40 0a 00 78 0001 01 80 0002 01 00' + '41 04 0000fde9';
  const param = `02 ${(hex(caps).length).toString(16).padStart(2, '0')} ${caps}`;
  const bytes = frame(1, `04 fde9 00f0 0a000002 ${(hex(param).length).toString(16).padStart(2, '0')} ${param}`);
  fixture(
    bytes,
    {
      type: 'open',
      version: 4,
      myAs: 65001,
      holdTime: 240,
      bgpId: '10.0.0.2',
      optionalParameters: [
        {
          type: 'capabilities',
          capabilities: [
            { kind: 'multiprotocol', afi: 1, safi: 1 },
            { kind: 'routeRefresh' },
            {
              kind: 'gracefulRestart',
              restartFlags: 0,
              restartTime: 120,
              families: [
                { afi: 1, safi: 1, flags: 0x80 },
                { afi: 2, safi: 1, flags: 0 },
              ],
            },
            { kind: 'fourOctetAs', asn: 65001 },
          ],
        },
      ],
    },
    NEW,
  );
});

test('OPEN with RFC 9072 extended optional parameters length', () => {
  // One capabilities parameter of 300 octets: an unknown capability of 255 octets (code 200), and
  // 15 multiprotocol capabilities of 6 octets... built by hand below.
  const big = '00'.repeat(255);
  const mps = Array.from({ length: 7 }, (_, i) => `01 04 00${(i + 1).toString(16).padStart(2, '0')} 00 01`).join('');
  const capsHex = `c8 ff ${big}` + mps;
  const capsLen = hex(capsHex).length; // 257 + 42 = 299
  const paramHex = `02 ${capsLen.toString(16).padStart(4, '0')} ${capsHex}`;
  const extLen = hex(paramHex).length;
  const bytes = frame(1, `04 fde9 00b4 0a000001 ff ff ${extLen.toString(16).padStart(4, '0')} ${paramHex}`);
  fixture(
    bytes,
    {
      type: 'open',
      version: 4,
      myAs: 65001,
      holdTime: 180,
      bgpId: '10.0.0.1',
      optionalParameters: [
        {
          type: 'capabilities',
          capabilities: [
            { kind: 'unknown', code: 200, value: new Uint8Array(255) },
            ...Array.from({ length: 7 }, (_, i) => ({ kind: 'multiprotocol' as const, afi: i + 1, safi: 1 })),
          ],
        },
      ],
    },
    NEW,
  );
});

test('UPDATE with every other modelled attribute, 4-octet session', () => {
  const body = updateBody(
    '',
    attr(0x40, 1, '01') +
      attr(0x40, 2, '03 01 0000fc00 04 02 0000fc01 0000fc02 02 02 0001 0000 fffffffe') +
      attr(0x40, 3, 'c0a80001') +
      attr(0x40, 5, '00000064') +
      attr(0x40, 6, '') +
      attr(0xc0, 7, '0000fde9 0a000001') +
      attr(0xc0, 16, '0002fde900000064 0102030405060708') +
      attr(0xe0, 99, 'deadbeef') + // unknown optional transitive, partial: kept with flags
      attr(0x80, 200, ''),
    '00 08 0a',
  );
  fixture(
    frame(2, body),
    {
      type: 'update',
      withdrawn: [],
      attributes: [
        { kind: 'origin', origin: 1 },
        {
          kind: 'asPath',
          segments: [
            { type: 'confedSequence', asns: [64512] },
            { type: 'confedSet', asns: [64513, 64514] },
            { type: 'sequence', asns: [65536, 4294967294] },
          ],
        },
        { kind: 'nextHop', nextHop: '192.168.0.1' },
        { kind: 'localPref', localPref: 100 },
        { kind: 'atomicAggregate' },
        { kind: 'aggregator', asn: 65001, address: '10.0.0.1' },
        { kind: 'extendedCommunities', communities: [hex('0002fde900000064'), hex('0102030405060708')] },
        { kind: 'unknown', code: 99, flags: 0xe0, value: hex('deadbeef') },
        { kind: 'unknown', code: 200, flags: 0x80, value: new Uint8Array(0) },
      ],
      nlri: [
        { family: 'ipv4', address: '0.0.0.0', length: 0 },
        { family: 'ipv4', address: '10.0.0.0', length: 8 },
      ],
    },
    NEW,
  );
});

test('UPDATE to a 2-octet speaker with AS_TRANS, AS4_PATH, AGGREGATOR and AS4_AGGREGATOR (RFC 6793 §4.2.2)', () => {
  const body = updateBody(
    '',
    attr(0x40, 1, '00') +
      attr(0x40, 2, '02 02 5ba0 fde9') +
      attr(0x40, 3, '0a000001') +
      attr(0xc0, 7, '5ba0 0a000001') +
      attr(0xc0, 17, '02 02 00010000 0000fde9') +
      attr(0xc0, 18, '00010000 0a000001'),
    '20 0a0a0a0a',
  );
  fixture(
    frame(2, body),
    {
      type: 'update',
      withdrawn: [],
      attributes: [
        { kind: 'origin', origin: 0 },
        { kind: 'asPath', segments: [{ type: 'sequence', asns: [23456, 65001] }] },
        { kind: 'nextHop', nextHop: '10.0.0.1' },
        { kind: 'aggregator', asn: 23456, address: '10.0.0.1' },
        { kind: 'as4Path', segments: [{ type: 'sequence', asns: [65536, 65001] }] },
        { kind: 'as4Aggregator', asn: 65536, address: '10.0.0.1' },
      ],
      nlri: [{ family: 'ipv4', address: '10.10.10.10', length: 32 }],
    },
    OLD,
  );
});

test('UPDATE with MP_UNREACH_NLRI for IPv6 and MP_REACH_NLRI for IPv4 (RFC 4760 §3, §4)', () => {
  const body = updateBody(
    '',
    attr(0x40, 1, '00') +
      attr(0x40, 2, '') +
      attr(0x80, 15, '0002 01 40 20010db800000001 30 20010db80002') +
      attr(0x80, 14, '0001 01 04 0a000001 00 20 0a000005'),
    '',
  );
  fixture(
    frame(2, body),
    {
      type: 'update',
      withdrawn: [],
      attributes: [
        { kind: 'origin', origin: 0 },
        { kind: 'asPath', segments: [] },
        {
          kind: 'mpUnreachNlri',
          afi: 2,
          safi: 1,
          withdrawn: [
            { family: 'ipv6', address: '2001:db8:0:1::', length: 64 },
            { family: 'ipv6', address: '2001:db8:2::', length: 48 },
          ],
        },
        { kind: 'mpReachNlri', afi: 1, safi: 1, nextHops: ['10.0.0.1'], nlri: [{ family: 'ipv4', address: '10.0.0.5', length: 32 }] },
      ],
      nlri: [],
    },
    NEW,
  );
});

test('an attribute over 255 octets gets the Extended Length flag; MP_REACH of another family is kept whole', () => {
  const comms = Array.from({ length: 70 }, (_, i) => (0xfde90000 + i).toString(16)).join('');
  const body = updateBody('', attr(0x40, 1, '00') + attr(0x40, 2, '') + attr(0xd0, 8, comms) + attr(0x80, 14, '0019 46 04 0a000001 00'), '');
  const communities = Array.from({ length: 70 }, (_, i) => 0xfde90000 + i);
  fixture(
    frame(2, body),
    {
      type: 'update',
      withdrawn: [],
      attributes: [
        { kind: 'origin', origin: 0 },
        { kind: 'asPath', segments: [] },
        { kind: 'communities', communities },
        { kind: 'unknown', code: 14, flags: 0x80, value: hex('0019 46 04 0a000001 00') },
      ],
      nlri: [],
    },
    NEW,
  );
});

test('decoding normalises what the encoder recomputes: extended length on short values, unused flag bits, trailing prefix bits', () => {
  const body = updateBody(
    '',
    attr(0x50, 1, '00') + attr(0x40, 2, '') + attr(0x40, 3, '0a000001') + attr(0xcf, 99, 'aa'),
    '19 0a0a0aff',
  );
  const r = decodeMessage(frame(2, body), NEW);
  const msg = ok(r);
  assert.deepEqual(msg, {
    type: 'update',
    withdrawn: [],
    attributes: [
      { kind: 'origin', origin: 0 },
      { kind: 'asPath', segments: [] },
      { kind: 'nextHop', nextHop: '10.0.0.1' },
      { kind: 'unknown', code: 99, flags: 0xc0, value: hex('aa') },
    ],
    nlri: [{ family: 'ipv4', address: '10.10.10.128', length: 25 }],
  });
  assert.deepEqual(ok(decodeMessage(encodeMessage(msg, NEW), NEW)), msg);
});

test('NOTIFICATION without data, and KEEPALIVE, ROUTE-REFRESH BoRR/EoRR (RFC 7313)', () => {
  fixture(frame(3, '04 00'), { type: 'notification', code: 4, subcode: 0, data: new Uint8Array(0) }, NEW);
  fixture(frame(5, '0002 01 01'), { type: 'routeRefresh', afi: 2, subtype: 1, safi: 1 }, NEW);
  fixture(frame(5, '0002 02 01'), { type: 'routeRefresh', afi: 2, subtype: 2, safi: 1 }, NEW);
});

test('a normal ROUTE-REFRESH with ORF entries (RFC 5291) decodes, the ORF part skipped', () => {
  const msg = ok(decodeMessage(frame(5, '0001 00 01 01 0007 40 0000'), NEW));
  assert.deepEqual(msg, { type: 'routeRefresh', afi: 1, subtype: 0, safi: 1 });
});

test('encodeMessage refuses messages its decoder would reject or that exceed the maximum size', () => {
  const open = { type: 'open', version: 4, myAs: 1, holdTime: 90, bgpId: '10.0.0.1', optionalParameters: [] } as const;
  assert.throws(() => encodeMessage({ ...open, version: 3 }, NEW), RangeError);
  assert.throws(() => encodeMessage({ ...open, holdTime: 2 }, NEW), RangeError);
  assert.throws(() => encodeMessage({ ...open, bgpId: '0.0.0.0' }, NEW), RangeError);
  assert.throws(() => encodeMessage({ ...open, optionalParameters: [{ type: 'unknown', code: 1, value: new Uint8Array(0) }] }, NEW), RangeError);
  const nlri = Array.from({ length: 900 }, (_, i) => ({ family: 'ipv4' as const, address: `10.0.${i >> 8}.${i & 255}`, length: 32 }));
  const update = { type: 'update', withdrawn: [], attributes: [], nlri } as const;
  assert.throws(() => encodeMessage(update, NEW), RangeError);
  assert.equal(encodeMessage(update, { ...NEW, extendedMessage: true }).length, 23 + 900 * 5);
  assert.throws(() => encodeMessage({ type: 'update', withdrawn: [], attributes: [{ kind: 'communities', communities: [] }], nlri: [] }, NEW), RangeError);
  assert.throws(() => encodeMessage({ type: 'update', withdrawn: [], attributes: [{ kind: 'asPath', segments: [{ type: 'sequence', asns: [70000] }] }], nlri: [] }, OLD), RangeError);
  assert.throws(() => encodeMessage({ type: 'update', withdrawn: [], attributes: [{ kind: 'unknown', code: 99, flags: 0x40, value: new Uint8Array(0) }], nlri: [] }, NEW), RangeError);
});
