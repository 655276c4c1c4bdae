/**
 * Every malformation the codec detects maps to its NOTIFICATION code/subcode and data (RFC 4271 §6)
 * or to its RFC 7606 treatment. The last test checks that every non-deprecated subcode of RFC 4271
 * §6.1-§6.3 (and RFC 5492's Unsupported Capability) was produced by one of them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ERROR_CODE } from './codes.js';
import { BGP_ERRORS, bgpError, notificationFor } from './errors.js';
import { decodeMessage, encodeMessage } from './message.js';
import { validateOpen } from './open.js';
import { validateUpdate } from './update.js';
import { attr, frame, hex, toHex, updateBody } from './test-helpers.js';
import type { BgpError, CodecOptions, DecodeResult, ErrorHandling, OpenMessage, UpdateMessage } from './types.js';

const NEW: CodecOptions = { fourOctetAs: true, extendedMessage: false };
const OLD: CodecOptions = { fourOctetAs: false, extendedMessage: false };
const produced = new Set<string>();

function note(e: BgpError): BgpError {
  produced.add(`${e.code}/${e.subcode}`);
  assert.equal(BGP_ERRORS[e.reason as keyof typeof BGP_ERRORS].code, e.code);
  assert.equal(BGP_ERRORS[e.reason as keyof typeof BGP_ERRORS].subcode, e.subcode);
  return e;
}

/** Expects a session-reset error with this code/subcode (and data, when given). */
function reset(r: DecodeResult, code: number, subcode: number, data?: string): BgpError {
  if (r.ok) assert.fail(`expected ${code}/${subcode}, decoded ${JSON.stringify(r.msg.type)} with ${r.errors.map((e) => e.reason).join(',')}`);
  note(r.error);
  assert.equal(`${r.error.code}/${r.error.subcode}`, `${code}/${subcode}`, r.error.message);
  assert.equal(r.error.handling, 'session-reset');
  if (data !== undefined) assert.equal(toHex(r.error.data), toHex(hex(data)));
  return r.error;
}

/** Expects ok:true with exactly one error of this code/subcode and handling. */
function soft(r: DecodeResult, code: number, subcode: number, handling: ErrorHandling, data?: string): UpdateMessage {
  if (!r.ok) assert.fail(`expected ${handling}, got reset ${r.error.reason}`);
  assert.equal(r.errors.length, 1, r.errors.map((e) => e.reason).join(','));
  const e = note(r.errors[0] as BgpError);
  assert.equal(`${e.code}/${e.subcode}`, `${code}/${subcode}`, e.message);
  assert.equal(e.handling, handling);
  assert.equal(r.withdrawAll, handling === 'treat-as-withdraw');
  if (data !== undefined) assert.equal(toHex(e.data), toHex(hex(data)));
  assert.equal(r.msg.type, 'update');
  return r.msg as UpdateMessage;
}

const ORIGIN = attr(0x40, 1, '00');
const AS_PATH = attr(0x40, 2, '02 01 0000fde9');
const NEXT_HOP = attr(0x40, 3, '0a000001');
const NLRI = '20 0a0a0a0a';
const upd = (attrs: string, nlri = NLRI, withdrawn = ''): Uint8Array => frame(2, updateBody(withdrawn, attrs, nlri));

// --- Message header errors (RFC 4271 §6.1) ---------------------------------------------------------

test('1/1 Connection Not Synchronized: marker not all ones', () => {
  const m = frame(4, '');
  m[0] = 0xfe;
  reset(decodeMessage(m, NEW), 1, 1, '');
});

test('1/2 Bad Message Length: per type minimums and exact sizes, with the length field as data', () => {
  reset(decodeMessage(frame(4, '00'), NEW), 1, 2, '0014'); // KEEPALIVE of 20
  reset(decodeMessage(frame(1, '04 fde9 00b4 0a000001'), NEW), 1, 2, '001c'); // OPEN of 28
  reset(decodeMessage(frame(2, '0000 00'), NEW), 1, 2, '0016'); // UPDATE of 22
  reset(decodeMessage(frame(3, '06'), NEW), 1, 2, '0014'); // NOTIFICATION of 20
  const short = frame(4, '');
  short[17] = 18;
  reset(decodeMessage(short, NEW), 1, 2, '0012');
  // A length field that disagrees with the bytes handed over.
  const lying = frame(3, '0600');
  lying[17] = 22;
  reset(decodeMessage(lying, NEW), 1, 2, '0016');
  // Past 4096 without extended messages (RFC 8654), and an OPEN past 4096 even with them.
  const big = frame(2, updateBody('', '', '00'.repeat(4100)));
  reset(decodeMessage(big, NEW), 1, 2);
  assert.ok(decodeMessage(big, { ...NEW, extendedMessage: true }).ok);
  const bigOpen = frame(1, '04 fde9 00b4 0a000001 ff ff 1000' + '02 0ffd ' + 'c8ff'.padEnd(2 * 0xffd, '0'));
  reset(decodeMessage(bigOpen, { ...NEW, extendedMessage: true }), 1, 2);
  reset(decodeMessage(new Uint8Array(5), NEW), 1, 2);
});

test('1/3 Bad Message Type, with the type as data', () => {
  reset(decodeMessage(frame(6, ''), NEW), 1, 3, '06');
  reset(decodeMessage(frame(0, ''), NEW), 1, 3, '00');
});

// --- OPEN errors (RFC 4271 §6.2, RFC 5492) -----------------------------------------------------------

const openBody = (version: string, holdTime: string, id: string, params = '00'): Uint8Array => frame(1, `${version} fde9 ${holdTime} ${id} ${params}`);

test('2/1 Unsupported Version Number, data = largest supported version (4)', () => {
  reset(decodeMessage(openBody('03', '00b4', '0a000001'), NEW), 2, 1, '0004');
  reset(decodeMessage(openBody('05', '00b4', '0a000001'), NEW), 2, 1, '0004');
});

test('2/3 Bad BGP Identifier: zero (RFC 6286 §2.2)', () => {
  reset(decodeMessage(openBody('04', '00b4', '00000000'), NEW), 2, 3);
});

test('2/4 Unsupported Optional Parameter (including the deprecated authentication parameter 1)', () => {
  reset(decodeMessage(openBody('04', '00b4', '0a000001', '04 01 02 0000'), NEW), 2, 4);
  reset(decodeMessage(openBody('04', '00b4', '0a000001', '03 07 01 00'), NEW), 2, 4);
});

test('2/6 Unacceptable Hold Time: 1 and 2 seconds', () => {
  reset(decodeMessage(openBody('04', '0001', '0a000001'), NEW), 2, 6);
  reset(decodeMessage(openBody('04', '0002', '0a000001'), NEW), 2, 6);
  assert.ok(decodeMessage(openBody('04', '0000', '0a000001'), NEW).ok);
  assert.ok(decodeMessage(openBody('04', '0003', '0a000001'), NEW).ok);
});

test('2/0 OPEN whose parameter block does not add up', () => {
  reset(decodeMessage(openBody('04', '00b4', '0a000001', '05 02 02 0200'), NEW), 2, 0); // says 5, has 4
  reset(decodeMessage(openBody('04', '00b4', '0a000001', '04 02 03 0200'), NEW), 2, 0); // parameter overruns
  reset(decodeMessage(openBody('04', '00b4', '0a000001', '04 02 02 0201'), NEW), 2, 0); // capability overruns
  reset(decodeMessage(openBody('04', '00b4', '0a000001', '01 02'), NEW), 2, 0);
});

const peerOpen = (over: Partial<OpenMessage> = {}): OpenMessage => ({
  type: 'open',
  version: 4,
  myAs: 65002,
  holdTime: 90,
  bgpId: '10.0.0.2',
  optionalParameters: [{ type: 'capabilities', capabilities: [{ kind: 'fourOctetAs', asn: 65002 }, { kind: 'multiprotocol', afi: 1, safi: 1 }] }],
  ...over,
});

test('validateOpen: 2/2 Bad Peer AS, 2/3 Bad BGP Identifier, 2/6 hold time, 2/7 Unsupported Capability', () => {
  const x = { localAs: 65001, localBgpId: '10.0.0.1', peerAs: 65002 };
  assert.equal(validateOpen(peerOpen(), x), undefined);
  const expect = (e: BgpError | undefined, code: number, subcode: number): BgpError => {
    assert.ok(e, `expected ${code}/${subcode}`);
    note(e);
    assert.equal(`${e.code}/${e.subcode}`, `${code}/${subcode}`);
    return e;
  };
  expect(validateOpen(peerOpen(), { ...x, peerAs: 65003 }), 2, 2);
  expect(validateOpen(peerOpen({ myAs: 0, optionalParameters: [] }), { localAs: 65001, localBgpId: '10.0.0.1' }), 2, 2); // RFC 7607
  expect(validateOpen(peerOpen({ myAs: 65005 }), x), 2, 2); // disagrees with its 4-octet AS
  // A 4-octet AS behind AS_TRANS is accepted.
  const big = peerOpen({ myAs: 23456, optionalParameters: [{ type: 'capabilities', capabilities: [{ kind: 'fourOctetAs', asn: 4200000000 }] }] });
  assert.equal(validateOpen(big, { ...x, peerAs: 4200000000 }), undefined);
  // iBGP with our own identifier (RFC 6286 §2.2); eBGP may share it.
  const ibgp = peerOpen({ myAs: 65001, bgpId: '10.0.0.1', optionalParameters: [] });
  expect(validateOpen(ibgp, { ...x, peerAs: 65001 }), 2, 3);
  assert.equal(validateOpen(peerOpen({ bgpId: '10.0.0.1' }), x), undefined);
  expect(validateOpen(peerOpen({ holdTime: 5 }), { ...x, minHoldTime: 9 }), 2, 6);
  expect(validateOpen(peerOpen({ holdTime: 0 }), { ...x, allowZeroHoldTime: false }), 2, 6);
  const e = expect(validateOpen(peerOpen(), { ...x, requiredCapabilities: [{ kind: 'multiprotocol', afi: 2, safi: 1 }, { kind: 'fourOctetAs', asn: 65001 }] }), 2, 7);
  // RFC 5492 §5: the data lists the missing capability: MP IPv6 unicast.
  assert.equal(toHex(e.data), '010400020001');
});

// --- UPDATE errors (RFC 4271 §6.3, RFC 7606) ---------------------------------------------------------

test('3/1 Malformed Attribute List: withdrawn or attribute length past the message (session reset)', () => {
  reset(decodeMessage(frame(2, '0005 0000'), NEW), 3, 1);
  reset(decodeMessage(frame(2, '0000 0005 400100'), NEW), 3, 1);
});

test('3/1 duplicates: MP_REACH_NLRI twice resets; any other attribute twice keeps the first (RFC 7606 §3(g))', () => {
  const mp = attr(0x80, 14, '0001 01 04 0a000001 00 20 0a000005');
  reset(decodeMessage(upd(ORIGIN + AS_PATH + mp + mp, ''), NEW), 3, 1);
  const mpu = attr(0x80, 15, '0002 01');
  reset(decodeMessage(upd(mpu + mpu, ''), NEW), 3, 1);
  const msg = soft(decodeMessage(upd(ORIGIN + AS_PATH + NEXT_HOP + attr(0x40, 1, '02')), NEW), 3, 1, 'attribute-discard');
  assert.deepEqual(msg.attributes[0], { kind: 'origin', origin: 0 });
  assert.equal(msg.attributes.length, 3);
});

test('3/2 Unrecognized Well-known Attribute, data = the attribute (session reset)', () => {
  reset(decodeMessage(upd(ORIGIN + AS_PATH + NEXT_HOP + attr(0x40, 99, 'aabb')), NEW), 3, 2, '406302aabb');
});

test('3/3 Missing Well-known Attribute, data = its type code (treat-as-withdraw, RFC 7606 §3(d))', () => {
  soft(decodeMessage(upd(AS_PATH + NEXT_HOP), NEW), 3, 3, 'treat-as-withdraw', '01');
  soft(decodeMessage(upd(ORIGIN + NEXT_HOP), NEW), 3, 3, 'treat-as-withdraw', '02');
  soft(decodeMessage(upd(ORIGIN + AS_PATH), NEW), 3, 3, 'treat-as-withdraw', '03');
  // MP_REACH_NLRI needs ORIGIN and AS_PATH but no NEXT_HOP (RFC 4760 §3).
  const mp = attr(0x80, 14, '0002 01 10 20010db8000000000000000000000001 00 80 20010db8000000000000000000000064');
  soft(decodeMessage(upd(ORIGIN + mp, ''), NEW), 3, 3, 'treat-as-withdraw', '02');
  const full = decodeMessage(upd(ORIGIN + AS_PATH + mp, ''), NEW);
  assert.ok(full.ok && full.errors.length === 0);
  // Only withdrawals: nothing is required.
  const w = decodeMessage(upd('', '', '20 0a0a0a0a'), NEW);
  assert.ok(w.ok && w.errors.length === 0);
});

test('3/4 Attribute Flags Error, data = the attribute; treatment per attribute (RFC 7606 §3(c))', () => {
  soft(decodeMessage(upd(attr(0xc0, 1, '00') + AS_PATH + NEXT_HOP), NEW), 3, 4, 'treat-as-withdraw', 'c0010100');
  soft(decodeMessage(upd(ORIGIN + attr(0x60, 2, '') + NEXT_HOP), NEW), 3, 4, 'treat-as-withdraw'); // partial on well-known
  soft(decodeMessage(upd(ORIGIN + AS_PATH + NEXT_HOP + attr(0x40, 4, '00000001')), NEW), 3, 4, 'treat-as-withdraw');
  soft(decodeMessage(upd(ORIGIN + AS_PATH + NEXT_HOP + attr(0xc0, 6, '')), NEW), 3, 4, 'attribute-discard');
  soft(decodeMessage(upd(ORIGIN + AS_PATH + NEXT_HOP + attr(0x80, 7, '0000fde90a000001')), NEW), 3, 4, 'attribute-discard');
  reset(decodeMessage(upd(ORIGIN + AS_PATH + attr(0xc0, 14, '0001 01 04 0a000001 00'), ''), NEW), 3, 4);
});

test('3/5 Attribute Length Error, data = the attribute; treatment per attribute (RFC 7606 §7)', () => {
  soft(decodeMessage(upd(attr(0x40, 1, '0000') + AS_PATH + NEXT_HOP), NEW), 3, 5, 'treat-as-withdraw', '4001020000');
  soft(decodeMessage(upd(ORIGIN + AS_PATH + attr(0x40, 3, '0a0000')), NEW), 3, 5, 'treat-as-withdraw');
  soft(decodeMessage(upd(ORIGIN + AS_PATH + NEXT_HOP + attr(0x80, 4, '0001')), NEW), 3, 5, 'treat-as-withdraw');
  soft(decodeMessage(upd(ORIGIN + AS_PATH + NEXT_HOP + attr(0x40, 5, '00')), NEW), 3, 5, 'treat-as-withdraw');
  soft(decodeMessage(upd(ORIGIN + AS_PATH + NEXT_HOP + attr(0x40, 6, '00')), NEW), 3, 5, 'attribute-discard');
  // AGGREGATOR is 8 octets on a 4-octet session, 6 on a 2-octet one.
  soft(decodeMessage(upd(ORIGIN + AS_PATH + NEXT_HOP + attr(0xc0, 7, 'fde90a000001')), NEW), 3, 5, 'attribute-discard');
  soft(decodeMessage(upd(ORIGIN + attr(0x40, 2, '02 01 fde9') + NEXT_HOP + attr(0xc0, 7, '0000fde90a000001')), OLD), 3, 5, 'attribute-discard');
  soft(decodeMessage(upd(ORIGIN + AS_PATH + NEXT_HOP + attr(0xc0, 18, '0000fde9')), NEW), 3, 5, 'attribute-discard');
});

test('3/5 an attribute that overruns the attribute list, or a truncated header: treat-as-withdraw (RFC 7606 §4)', () => {
  // The last attribute claims 9 octets; the list has 4 left. The NLRI are still found.
  const msg = soft(decodeMessage(upd(ORIGIN + AS_PATH + NEXT_HOP + '80 04 09 00000000'), NEW), 3, 5, 'treat-as-withdraw');
  assert.deepEqual(msg.nlri, [{ family: 'ipv4', address: '10.10.10.10', length: 32 }]);
  soft(decodeMessage(upd(ORIGIN + AS_PATH + NEXT_HOP + '80 04'), NEW), 3, 5, 'treat-as-withdraw');
  soft(decodeMessage(upd(ORIGIN + AS_PATH + NEXT_HOP + '90 04 00'), NEW), 3, 5, 'treat-as-withdraw');
});

test('3/6 Invalid ORIGIN Attribute, data = the attribute (treat-as-withdraw)', () => {
  soft(decodeMessage(upd(attr(0x40, 1, '03') + AS_PATH + NEXT_HOP), NEW), 3, 6, 'treat-as-withdraw', '40010103');
});

test('3/8 Invalid NEXT_HOP Attribute: non-host addresses (treat-as-withdraw, RFC 7606 §7.3)', () => {
  for (const nh of ['00000000', '7f000001', 'e0000001', 'ffffffff', 'f0000001']) {
    soft(decodeMessage(upd(ORIGIN + AS_PATH + attr(0x40, 3, nh)), NEW), 3, 8, 'treat-as-withdraw', `400304${nh}`);
  }
});

test('3/9 Optional Attribute Error: communities lengths, malformed AS4_PATH, broken MP_REACH/MP_UNREACH', () => {
  soft(decodeMessage(upd(ORIGIN + AS_PATH + NEXT_HOP + attr(0xc0, 8, '000001')), NEW), 3, 9, 'treat-as-withdraw', 'c00803000001');
  soft(decodeMessage(upd(ORIGIN + AS_PATH + NEXT_HOP + attr(0xc0, 8, '')), NEW), 3, 9, 'treat-as-withdraw');
  soft(decodeMessage(upd(ORIGIN + AS_PATH + NEXT_HOP + attr(0xc0, 16, '0002fde9000000')), NEW), 3, 9, 'treat-as-withdraw');
  soft(decodeMessage(upd(ORIGIN + AS_PATH + NEXT_HOP + attr(0xc0, 32, '0000fde900000001')), NEW), 3, 9, 'treat-as-withdraw');
  soft(decodeMessage(upd(ORIGIN + attr(0x40, 2, '02 01 5ba0') + NEXT_HOP + attr(0xc0, 17, '02 02 00010000')), OLD), 3, 9, 'attribute-discard');
  const mpBad = (v: string): Uint8Array => upd(ORIGIN + AS_PATH + attr(0x80, 14, v), '');
  reset(decodeMessage(mpBad('0002 01 05 0102030405 00'), NEW), 3, 9); // next hop length 5
  reset(decodeMessage(mpBad('0002 01 10 20010db8'), NEW), 3, 9); // next hop overruns
  reset(decodeMessage(mpBad('0002'), NEW), 3, 9); // too short
  reset(decodeMessage(mpBad('0002 01 10 20010db8000000000000000000000001 00 81 00'), NEW), 3, 9); // prefix length 129
  reset(decodeMessage(upd(attr(0x80, 15, '0001 01 21 0a0a0a0a0a'), ''), NEW), 3, 9); // prefix length 33
  reset(decodeMessage(upd(attr(0x80, 15, '0001'), ''), NEW), 3, 9);
});

test('3/10 Invalid Network Field: NLRI or withdrawn prefix too long or truncated (session reset)', () => {
  reset(decodeMessage(upd(ORIGIN + AS_PATH + NEXT_HOP, '21 0a0a0a0a0a'), NEW), 3, 10);
  reset(decodeMessage(upd(ORIGIN + AS_PATH + NEXT_HOP, '20 0a0a0a'), NEW), 3, 10);
  reset(decodeMessage(upd('', '', '18 0a0a'), NEW), 3, 10);
});

test('3/11 Malformed AS_PATH: bad segment type, empty segment, overrun, odd length (treat-as-withdraw)', () => {
  for (const path of ['05 01 0000fde9', '02 00', '02 02 0000fde9', '02 01 0000fde9 02']) {
    soft(decodeMessage(upd(ORIGIN + attr(0x40, 2, path) + NEXT_HOP), NEW), 3, 11, 'treat-as-withdraw');
  }
  // 4-octet AS numbers on a 2-octet session do not line up.
  soft(decodeMessage(upd(ORIGIN + attr(0x40, 2, '02 01 0000fde9') + NEXT_HOP), OLD), 3, 11, 'treat-as-withdraw');
});

test('validateUpdate: session-context checks of RFC 4271 §6.3 and RFC 7606', () => {
  const r = decodeMessage(upd(ORIGIN + AS_PATH + NEXT_HOP + attr(0x40, 5, '00000064')), NEW);
  assert.ok(r.ok && r.msg.type === 'update');
  const m = r.msg;
  assert.deepEqual(validateUpdate(m, { ibgp: false, peerAs: 65001 }).map((e) => e.reason), ['BGP_ERR_LOCAL_PREF_FROM_EXTERNAL']);
  const wrongFirst = validateUpdate(m, { ibgp: false, peerAs: 65009 }).map(note);
  assert.deepEqual(wrongFirst.map((e) => `${e.code}/${e.subcode}/${e.handling}`), ['3/11/treat-as-withdraw', '3/0/attribute-discard']);
  assert.deepEqual(validateUpdate(m, { ibgp: true, peerAs: 65001 }), []);
  assert.deepEqual(validateUpdate(m, { ibgp: false, peerAs: 65009, enforceFirstAs: false }).map((e) => e.reason), ['BGP_ERR_LOCAL_PREF_FROM_EXTERNAL']);
  const own = validateUpdate(m, { ibgp: true, peerAs: 65001, localAddresses: ['10.0.0.1'] }).map(note);
  assert.deepEqual(own.map((e) => `${e.code}/${e.subcode}`), ['3/8']);
  const noLp: UpdateMessage = { ...m, attributes: m.attributes.filter((a) => a.kind !== 'localPref') };
  const missing = validateUpdate(noLp, { ibgp: true, peerAs: 65001 }).map(note);
  assert.deepEqual(missing.map((e) => `${e.code}/${e.subcode}/${toHex(e.data)}`), ['3/3/05']);
  const confed: UpdateMessage = { ...noLp, attributes: [...noLp.attributes, { kind: 'asPath', segments: [{ type: 'confedSequence', asns: [1] }] }] };
  assert.ok(validateUpdate(confed, { ibgp: false, peerAs: 65001 }).some((e) => e.subcode === 11));
});

// --- ROUTE-REFRESH (RFC 7313 §5) ----------------------------------------------------------------------

test('7/1 ROUTE-REFRESH Invalid Message Length, data = the whole message', () => {
  const m = frame(5, '0001 01 01 00');
  reset(decodeMessage(m, NEW), 7, 1, toHex(m));
  reset(decodeMessage(frame(5, '0001 00'), NEW), 7, 1);
});

// --- Codes the state machine and session send (RFC 4271 §6.5-§6.7) ------------------------------------

test('the error table has the codes of hold timer expiry, FSM errors and Cease, and they encode', () => {
  const cases = [
    ['BGP_ERR_HOLD_TIMER_EXPIRED', 4, 0],
    ['BGP_ERR_FSM', 5, 0],
    ['BGP_ERR_FSM_UNEXPECTED_IN_OPENSENT', 5, 1],
    ['BGP_ERR_CEASE_ADMIN_SHUTDOWN', 6, 2],
    ['BGP_ERR_CEASE_CONNECTION_COLLISION', 6, 7],
  ] as const;
  for (const [reason, code, subcode] of cases) {
    const n = notificationFor(bgpError(reason, 'x'));
    const r = decodeMessage(encodeMessage(n, NEW), NEW);
    assert.ok(r.ok);
    assert.deepEqual(r.msg, { type: 'notification', code, subcode, data: new Uint8Array(0) });
  }
  assert.equal(ERROR_CODE.CEASE.subcodes.HARD_RESET.subcode, 9);
});

test('every non-deprecated subcode of RFC 4271 §6.1-§6.3 (and RFC 5492 §5) was produced above', () => {
  const want: string[] = [];
  for (const entry of [ERROR_CODE.MESSAGE_HEADER_ERROR, ERROR_CODE.OPEN_MESSAGE_ERROR, ERROR_CODE.UPDATE_MESSAGE_ERROR]) {
    for (const s of Object.values(entry.subcodes)) {
      if (s.subcode === 0 || ('deprecated' in s && s.deprecated)) continue;
      want.push(`${entry.code}/${s.subcode}`);
    }
  }
  assert.equal(want.length, 3 + 6 + 10);
  assert.deepEqual(want.filter((w) => !produced.has(w)), []);
});
