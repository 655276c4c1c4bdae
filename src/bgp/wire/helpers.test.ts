/**
 * The pure helpers around the codec: shutdown communication (RFC 9003), End-of-RIB (RFC 4724 §2),
 * ROUTE-REFRESH construction, OPEN negotiation, size functions and attribute order.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { endOfRib, endOfRibFamily, endOfRibOf } from './end-of-rib.js';
import { decodeMessage, encodeMessage } from './message.js';
import { readShutdownCommunication, shutdownNotification } from './notification.js';
import { capabilitiesOf, negotiateCodecOptions, peerAsOf } from './open.js';
import { attributeEncodedSize, canonicalAttributeOrder } from './path-attributes.js';
import { prefixEncodedSize } from './nlri.js';
import { routeRefresh } from './route-refresh.js';
import { attr, frame, hex, toHex, updateBody } from './test-helpers.js';
import type { CodecOptions, NotificationMessage, OpenMessage, PathAttribute } from './types.js';

const NEW: CodecOptions = { fourOctetAs: true, extendedMessage: false };

test('shutdown communication: built and read back, UTF-8, cut at 255 octets on a character boundary (RFC 9003 §2)', () => {
  const n = shutdownNotification(2, 'maintenance — back at 10:00');
  assert.equal(n.code, 6);
  assert.equal(n.subcode, 2);
  assert.equal(n.data[0], n.data.length - 1);
  assert.deepEqual(readShutdownCommunication(n), { kind: 'message', text: 'maintenance — back at 10:00' });
  // Round trip through the wire.
  const r = decodeMessage(encodeMessage(n, NEW), NEW);
  assert.ok(r.ok && r.msg.type === 'notification');
  assert.deepEqual(readShutdownCommunication(r.msg), { kind: 'message', text: 'maintenance — back at 10:00' });
  // 200 two-octet characters: 400 octets, cut to 254 (127 whole characters).
  const long = shutdownNotification(4, 'é'.repeat(200));
  assert.equal(long.subcode, 4);
  assert.equal(long.data[0], 254);
  assert.deepEqual(readShutdownCommunication(long), { kind: 'message', text: 'é'.repeat(127) });
  const ascii = shutdownNotification(2, 'x'.repeat(300));
  assert.equal(ascii.data[0], 255);
  assert.equal(ascii.data.length, 256);
  // No text: no communication.
  assert.equal(shutdownNotification(2).data.length, 0);
});

test('shutdown communication: invalid length or UTF-8 is reported, other NOTIFICATIONs have none (RFC 9003 §3)', () => {
  const n = (subcode: number, data: string, code = 6): NotificationMessage => ({ type: 'notification', code, subcode, data: hex(data) });
  assert.deepEqual(readShutdownCommunication(n(2, '05 6869')), { kind: 'invalid', reason: 'length' });
  assert.deepEqual(readShutdownCommunication(n(4, '02 c328')), { kind: 'invalid', reason: 'utf8' });
  assert.deepEqual(readShutdownCommunication(n(2, '')), { kind: 'none' });
  assert.deepEqual(readShutdownCommunication(n(2, '00')), { kind: 'none' });
  assert.deepEqual(readShutdownCommunication(n(3, '02 6869')), { kind: 'none' });
  assert.deepEqual(readShutdownCommunication(n(2, '02 6869', 5)), { kind: 'none' });
  assert.deepEqual(readShutdownCommunication(n(4, '02 6869')), { kind: 'message', text: 'hi' });
});

test('End-of-RIB: empty UPDATE for IPv4 unicast, bare MP_UNREACH_NLRI otherwise (RFC 4724 §2)', () => {
  assert.equal(toHex(encodeMessage(endOfRib(1, 1), NEW)), toHex(frame(2, '0000 0000')));
  assert.equal(toHex(encodeMessage(endOfRib(2, 1), NEW)), toHex(frame(2, updateBody('', attr(0x80, 15, '0002 01'), ''))));
  assert.equal(toHex(encodeMessage(endOfRib(25, 70), NEW)), toHex(frame(2, updateBody('', attr(0x80, 15, '0019 46'), ''))));
  for (const [afi, safi] of [
    [1, 1],
    [2, 1],
    [1, 2],
    [25, 70],
  ] as const) {
    const r = decodeMessage(encodeMessage(endOfRib(afi, safi), NEW), NEW);
    assert.deepEqual(endOfRibOf(r), { afi, safi });
  }
  // Not End-of-RIB: withdrawals, NLRI, other attributes, a withdrawn prefix in MP_UNREACH.
  assert.equal(endOfRibFamily({ type: 'update', withdrawn: [{ family: 'ipv4', address: '10.0.0.0', length: 8 }], attributes: [], nlri: [] }), undefined);
  assert.equal(endOfRibOf(decodeMessage(frame(2, updateBody('', attr(0x80, 15, '0002 01 08 fd'), '')), NEW)), undefined);
  assert.equal(endOfRibOf(decodeMessage(frame(2, updateBody('', attr(0x40, 1, '00'), '')), NEW)), undefined);
  // An UPDATE whose only attribute was discarded as malformed is not an End-of-RIB (RFC 7606).
  const discarded = decodeMessage(frame(2, updateBody('', attr(0x40, 6, '00'), '')), NEW);
  assert.ok(discarded.ok && discarded.msg.type === 'update' && discarded.msg.attributes.length === 0);
  assert.equal(endOfRibOf(discarded), undefined);
});

test('routeRefresh builds normal, BoRR and EoRR messages (RFC 2918, RFC 7313)', () => {
  assert.deepEqual(routeRefresh(1, 1), { type: 'routeRefresh', afi: 1, subtype: 0, safi: 1 });
  assert.equal(toHex(encodeMessage(routeRefresh(2, 1, 2), NEW)), toHex(frame(5, '0002 02 01')));
});

const open = (caps: OpenMessage['optionalParameters'][number], myAs = 65001): OpenMessage => ({
  type: 'open',
  version: 4,
  myAs,
  holdTime: 90,
  bgpId: '10.0.0.1',
  optionalParameters: [caps],
});

test('negotiateCodecOptions: 4-octet AS and extended message only when both sides advertise them', () => {
  const both = open({ type: 'capabilities', capabilities: [{ kind: 'fourOctetAs', asn: 65001 }, { kind: 'extendedMessage' }] });
  const fourOnly = open({ type: 'capabilities', capabilities: [{ kind: 'fourOctetAs', asn: 65002 }] });
  const none = open({ type: 'capabilities', capabilities: [] });
  assert.deepEqual(negotiateCodecOptions(both, both), { fourOctetAs: true, extendedMessage: true });
  assert.deepEqual(negotiateCodecOptions(both, fourOnly), { fourOctetAs: true, extendedMessage: false });
  assert.deepEqual(negotiateCodecOptions(none, both), { fourOctetAs: false, extendedMessage: false });
  assert.equal(peerAsOf(fourOnly), 65002);
  assert.equal(peerAsOf(none), 65001);
  assert.equal(capabilitiesOf(both).length, 2);
});

test('prefixEncodedSize and attributeEncodedSize (extended length past 255 octets)', () => {
  assert.equal(prefixEncodedSize({ family: 'ipv4', address: '10.0.0.1', length: 32 }), 5);
  assert.equal(prefixEncodedSize({ family: 'ipv4', address: '0.0.0.0', length: 0 }), 1);
  assert.equal(prefixEncodedSize({ family: 'ipv6', address: '2001:db8::', length: 33 }), 6);
  assert.equal(prefixEncodedSize({ family: 'ipv6', address: '2001:db8::1', length: 128 }), 17);
  const comms = (n: number): PathAttribute => ({ kind: 'communities', communities: new Array<number>(n).fill(1) });
  assert.equal(attributeEncodedSize(comms(63), NEW), 3 + 252);
  assert.equal(attributeEncodedSize(comms(64), NEW), 4 + 256);
  assert.equal(attributeEncodedSize({ kind: 'aggregator', asn: 1, address: '10.0.0.1' }, { ...NEW, fourOctetAs: false }), 3 + 6);
});

test('canonicalAttributeOrder puts MP_REACH/MP_UNREACH first, then type order', () => {
  const attrs: PathAttribute[] = [
    { kind: 'communities', communities: [1] },
    { kind: 'nextHop', nextHop: '10.0.0.1' },
    { kind: 'mpReachNlri', afi: 2, safi: 1, nextHops: ['2001:db8::1'], nlri: [] },
    { kind: 'origin', origin: 0 },
    { kind: 'unknown', code: 99, flags: 0xc0, value: new Uint8Array(0) },
    { kind: 'mpUnreachNlri', afi: 2, safi: 1, withdrawn: [] },
  ];
  assert.deepEqual(
    canonicalAttributeOrder(attrs).map((a) => a.kind),
    ['mpReachNlri', 'mpUnreachNlri', 'origin', 'nextHop', 'communities', 'unknown'],
  );
});
