// The loopback exception to RFC 4271 §6.3's NEXT_HOP check: only with `loopbackNextHop` (a session
// whose two ends are both 127/8 addresses of one host, as in the no-root demo) is a 127/8 NEXT_HOP
// decoded and encoded; otherwise it stays invalid.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeMessage, encodeMessage } from './message.js';

// UPDATE written by hand: ORIGIN IGP, empty AS_PATH, NEXT_HOP 127.0.0.116, LOCAL_PREF 0, NLRI 10.10.10.12/32.
const UPDATE = Buffer.from(
  'ffffffffffffffffffffffffffffffff' + '0031' + '02' + '0000' + '0015' +
    '40010100' + '400200' + '4003047f000074' + '40050400000000' + '200a0a0a0c',
  'hex',
);

test('a 127/8 NEXT_HOP is accepted and re-encoded byte for byte on a loopback session', () => {
  const opts = { fourOctetAs: true, extendedMessage: false, loopbackNextHop: true };
  const r = decodeMessage(new Uint8Array(UPDATE), opts);
  assert.ok(r.ok && r.msg.type === 'update');
  assert.deepEqual(r.errors, []);
  assert.equal(r.withdrawAll, false);
  assert.deepEqual(
    r.msg.attributes.find((a) => a.kind === 'nextHop'),
    { kind: 'nextHop', nextHop: '127.0.0.116' },
  );
  assert.deepEqual(Buffer.from(encodeMessage(r.msg, opts)), UPDATE);
});

test('without it the same NEXT_HOP is invalid: treat-as-withdraw on decode, refused on encode', () => {
  const opts = { fourOctetAs: true, extendedMessage: false };
  const r = decodeMessage(new Uint8Array(UPDATE), opts);
  // RFC 7606 §7.3: an invalid NEXT_HOP is treat-as-withdraw.
  assert.ok(r.ok);
  assert.equal(r.withdrawAll, true);
  assert.deepEqual(r.errors.map((e) => [e.code, e.subcode]), [[3, 8]]);
  const withLoopback = decodeMessage(new Uint8Array(UPDATE), { ...opts, loopbackNextHop: true });
  assert.ok(withLoopback.ok);
  assert.throws(() => encodeMessage(withLoopback.msg, opts), RangeError);
});
