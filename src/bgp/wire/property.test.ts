/**
 * Property tests (fast-check): decode(encode(m)) = m for valid messages, the size functions agree with
 * the encoder, and decoding random or mutated bytes never throws and always answers with a
 * well-formed outcome.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatIpValue, parseIp } from '../../model/ip.js';
import { formatIpv6Bytes, parseIpv6Into, parseIpv4 } from './address.js';
import { isKnownErrorCode } from './codes.js';
import { BGP_ERRORS } from './errors.js';
import { MessageFramer } from './framer.js';
import { decodeMessage, encodeMessage } from './message.js';
import { attributesEncodedSize } from './path-attributes.js';
import { updateEncodedSize } from './update.js';
import { codecOptions, ipv6, message, update } from './test-arbitraries.js';
import type { BgpMessage, CodecOptions, DecodeResult } from './types.js';

const TYPES = new Set(['open', 'update', 'notification', 'keepalive', 'routeRefresh']);

/** Asserts that a decode outcome is well formed: ok with a message, or an error from the tables. */
export function assertWellFormed(r: DecodeResult): void {
  const check = (e: { code: number; subcode: number; reason: string; handling: string; data: Uint8Array }): void => {
    assert.ok(isKnownErrorCode(e.code, e.subcode), `${e.code}/${e.subcode}`);
    const entry = BGP_ERRORS[e.reason as keyof typeof BGP_ERRORS];
    assert.ok(entry, e.reason);
    assert.equal(entry.code, e.code);
    assert.equal(entry.subcode, e.subcode);
    assert.ok(e.data instanceof Uint8Array);
  };
  if (r.ok) {
    assert.ok(TYPES.has(r.msg.type));
    for (const e of r.errors) {
      check(e);
      assert.notEqual(e.handling, 'session-reset');
    }
    assert.equal(r.withdrawAll, r.errors.some((e) => e.handling === 'treat-as-withdraw'));
  } else {
    check(r.error);
    assert.equal(r.error.handling, 'session-reset');
  }
}

const optsAndMessage = codecOptions.chain((opts) => fc.tuple(fc.constant(opts), message(opts)));

test('decode(encode(m)) deep-equals m for every valid message', () => {
  fc.assert(
    fc.property(optsAndMessage, ([opts, m]) => {
      const bytes = encodeMessage(m, opts);
      const r = decodeMessage(bytes, opts);
      if (!r.ok) assert.fail(`${r.error.reason}: ${r.error.message}`);
      assert.deepEqual(r.errors, []);
      assert.deepEqual(r.msg, m);
      // Encoding is deterministic.
      assert.deepEqual(encodeMessage(r.msg, opts), bytes);
    }),
    { numRuns: 2000 },
  );
});

test('updateEncodedSize and attributesEncodedSize match the encoder', () => {
  fc.assert(
    fc.property(
      codecOptions.chain((opts) => fc.tuple(fc.constant(opts), update(opts))),
      ([opts, m]) => {
        const bytes = encodeMessage(m, opts);
        assert.equal(updateEncodedSize(m, opts), bytes.length);
        const wl = ((bytes[19] as number) << 8) | (bytes[20] as number);
        const al = ((bytes[21 + wl] as number) << 8) | (bytes[22 + wl] as number);
        assert.equal(attributesEncodedSize(m.attributes, opts), al);
      },
    ),
    { numRuns: 500 },
  );
});

test('IPv6 text conversion agrees with src/model/ip.ts', () => {
  const out = new Uint8Array(16);
  fc.assert(
    fc.property(ipv6, (text) => {
      assert.ok(parseIpv6Into(text, out, 0));
      assert.equal(formatIpv6Bytes(out, 0), text);
      const model = parseIp(text);
      assert.ok(model);
      assert.equal(formatIpValue('ipv6', model.value), text);
    }),
  );
  for (const bad of ['', ':', '1::2::3', '12345::', 'g::', '1:2:3:4:5:6:7:8:9', '::1.2.3', '1:2:3:4:5:6:7::8:9']) {
    assert.equal(parseIpv6Into(bad, out, 0), false, bad);
  }
  for (const [bad, ok] of [['01.2.3.4', false], ['1.2.3.256', false], ['1.2.3', false], ['1.2.3.4', true], ['255.255.255.255', true]] as const) {
    assert.equal(parseIpv4(bad) >= 0, ok, bad);
  }
});

test('decoding random bytes never throws and answers with a well-formed outcome', () => {
  fc.assert(
    fc.property(codecOptions, fc.uint8Array({ maxLength: 200 }), (opts, bytes) => {
      assertWellFormed(decodeMessage(bytes, opts));
    }),
    { numRuns: 2000 },
  );
  // Random bodies behind a valid header of every type, so the body decoders see the noise.
  fc.assert(
    fc.property(codecOptions, fc.integer({ min: 0, max: 7 }), fc.uint8Array({ maxLength: 300 }), (opts, type, body) => {
      const m = new Uint8Array(19 + body.length);
      m.fill(0xff, 0, 16);
      m[16] = m.length >>> 8;
      m[17] = m.length & 0xff;
      m[18] = type;
      m.set(body, 19);
      assertWellFormed(decodeMessage(m, opts));
    }),
    { numRuns: 5000 },
  );
});

test('decoding mutated valid messages never throws and answers with a well-formed outcome', () => {
  fc.assert(
    fc.property(
      optsAndMessage,
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
      fc.boolean(),
      ([opts, m], edits, fixLength) => {
        const bytes = encodeMessage(m, opts);
        for (const [at, v] of edits) bytes[19 + (at % Math.max(1, bytes.length - 19))] = v;
        if (fixLength) {
          bytes[16] = bytes.length >>> 8;
          bytes[17] = bytes.length & 0xff;
        }
        assertWellFormed(decodeMessage(bytes, opts));
      },
    ),
    { numRuns: 3000 },
  );
});

test('framing random streams of valid messages split anywhere gives back the messages', () => {
  fc.assert(
    fc.property(
      codecOptions.chain((opts) => fc.tuple(fc.constant(opts), fc.array(message(opts), { minLength: 1, maxLength: 5 }))),
      fc.array(fc.nat(), { maxLength: 8 }),
      ([opts, msgs], cuts) => {
        const parts = msgs.map((m) => encodeMessage(m, opts));
        const total = parts.reduce((n, p) => n + p.length, 0);
        const all = new Uint8Array(total);
        let at = 0;
        for (const p of parts) {
          all.set(p, at);
          at += p.length;
        }
        const points = [...new Set(cuts.map((c) => c % (total + 1)))].sort((a, b) => a - b);
        const framer = new MessageFramer({ extendedMessage: opts.extendedMessage });
        const got: BgpMessage[] = [];
        let prev = 0;
        for (const p of [...points, total]) {
          for (const r of framer.pushAndCollect(all.subarray(prev, p))) {
            assert.ok(r.ok);
            const d = decodeMessage(r.bytes, opts);
            assert.ok(d.ok);
            got.push(d.msg);
          }
          prev = p;
        }
        assert.deepEqual(got, msgs);
        assert.equal(framer.buffered, 0);
      },
    ),
    { numRuns: 300 },
  );
});

export type { CodecOptions };

test('IPv6 parsing accepts every RFC 4291 text form and agrees with src/model/ip.ts', () => {
  const out = new Uint8Array(16);
  const cases = ['::', '::1', '1::', '1:2:3:4:5:6:7:8', '1::8', 'fe80::1', 'FE80::A', '::ffff:1.2.3.4', '64:ff9b::192.0.2.1', '1:2:3:4:5:6:1.2.3.4', '0:0:0:0:0:0:0:0', '2001:db8::1:0:0:1'];
  for (const text of cases) {
    assert.ok(parseIpv6Into(text, out, 0), text);
    const model = parseIp(text);
    assert.ok(model, text);
    assert.equal(formatIpv6Bytes(out, 0), formatIpValue('ipv6', model.value), text);
  }
  fc.assert(
    fc.property(fc.stringMatching(/^[0-9a-f:.]{0,20}$/), (text) => {
      const mine = parseIpv6Into(text, out, 0);
      const model = parseIp(text);
      const modelV6 = model?.family === 'ipv6' ? model : undefined;
      assert.equal(mine, modelV6 !== undefined, text);
      if (mine && modelV6) assert.equal(formatIpv6Bytes(out, 0), formatIpValue('ipv6', modelV6.value));
    }),
    { numRuns: 5000 },
  );
});
