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
