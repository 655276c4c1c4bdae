/**
 * Fuzz run: at least 1 000 000 random and mutated messages through `decodeMessage` (and a share of
 * them through the framer). Bounded: it stops after 1e6 inputs or 60 s and then asserts that it
 * reached 1e6. Inputs are mutated in place in one scratch buffer from a corpus encoded once, with a
 * small xorshift generator, so each input costs little more than the decode itself. The decoder must
 * never throw and must always answer with a well-formed outcome.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ERROR_CODE } from './codes.js';
import { BGP_ERRORS } from './errors.js';
import { MessageFramer } from './framer.js';
import { decodeMessage, encodeMessage } from './message.js';
import { message } from './test-arbitraries.js';
import { attr, frame, toHex, updateBody } from './test-helpers.js';
import type { BgpError, CodecOptions, DecodeResult } from './types.js';

const TARGET = 1_000_000;
const BUDGET_MS = 60_000;

const KNOWN = new Set<number>();
for (const e of Object.values(ERROR_CODE)) for (const s of Object.values(e.subcodes)) KNOWN.add(e.code * 256 + s.subcode);
const TYPES = new Set(['open', 'update', 'notification', 'keepalive', 'routeRefresh']);

function errorOk(e: BgpError): boolean {
  const entry = BGP_ERRORS[e.reason as keyof typeof BGP_ERRORS] as { code: number; subcode: number } | undefined;
  return KNOWN.has(e.code * 256 + e.subcode) && entry !== undefined && entry.code === e.code && entry.subcode === e.subcode && e.data instanceof Uint8Array;
}

/** Whether an outcome is well formed (the cheap version of property.test.ts's check). */
function wellFormed(r: DecodeResult): boolean {
  if (!r.ok) return r.error.handling === 'session-reset' && errorOk(r.error);
  if (!TYPES.has(r.msg.type)) return false;
  let taw = false;
  for (const e of r.errors) {
    if (e.handling === 'session-reset' || !errorOk(e)) return false;
    if (e.handling === 'treat-as-withdraw') taw = true;
  }
  return taw === r.withdrawAll;
}

const OPTIONS: CodecOptions[] = [
  { fourOctetAs: true, extendedMessage: false },
  { fourOctetAs: false, extendedMessage: false },
  { fourOctetAs: true, extendedMessage: true },
  { fourOctetAs: false, extendedMessage: true },
];

function corpus(): { bytes: Uint8Array; opts: CodecOptions }[] {
  const out: { bytes: Uint8Array; opts: CodecOptions }[] = [];
  // Hand-written seeds with every attribute type and the MP attributes.
  const seeds = [
    frame(2, updateBody('18 0a0b0c', attr(0x40, 1, '00') + attr(0x40, 2, '02 01 0000fde9') + attr(0x40, 3, '0a000001') + attr(0x80, 4, '00000064') + attr(0x40, 5, '00000064') + attr(0x40, 6, '') + attr(0xc0, 7, '0000fde9 0a000001') + attr(0xc0, 8, 'fde90064') + attr(0xc0, 16, '0002fde900000064') + attr(0xc0, 17, '02 01 0000fde9') + attr(0xc0, 18, '0000fde9 0a000001') + attr(0xc0, 32, '0000fde9 00000001 00000002'), '20 0a0a0a0c 18 c0a801')),
    frame(2, updateBody('', attr(0x40, 1, '00') + attr(0x40, 2, '') + attr(0x80, 14, '0002 01 20 20010db8000000000000000000000001 fe800000000000000000000000000001 00 80 20010db8000000000000000000000064') + attr(0x80, 15, '0002 01 40 20010db800000001'), '')),
    frame(1, '04 fde9 00b4 0a000001 14 02 06 01 04 0001 00 01 02 02 02 00 02 06 41 04 0000fde9'),
    frame(1, '04 fde9 00b4 0a000001 ff ff 0008 02 0005 01 03 0001 00'),
    frame(3, '06 02 03 627965'),
    frame(5, '0001 00 01'),
    frame(4, ''),
  ];
  for (const bytes of seeds) for (const opts of OPTIONS) out.push({ bytes, opts });
  let seed = 42;
  for (const opts of OPTIONS) {
    for (const m of fc.sample(message(opts), { numRuns: 150, seed: seed++ })) out.push({ bytes: encodeMessage(m, opts), opts });
  }
  return out;
}

test(`fuzz: ${TARGET} random and mutated messages never make the decoder throw`, () => {
  const seeds = corpus();
  assert.ok(seeds.length > 500);
  const scratch = new Uint8Array(70_000);
  let s = 0x9e3779b9 | 0;
  const rnd = (): number => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return s >>> 0;
  };
  const started = performance.now();
  let n = 0;
  let okCount = 0;
  let framer = new MessageFramer({ extendedMessage: true });
  for (; n < TARGET; n++) {
    if ((n & 1023) === 0 && performance.now() - started > BUDGET_MS) break;
    let len: number;
    let opts: CodecOptions;
    const kind = rnd() % 16;
    if (kind === 0) {
      // Random bytes behind a valid marker, a random type and (usually) a consistent length.
      len = 19 + (rnd() % 120);
      scratch.fill(0xff, 0, 16);
      for (let i = 16; i < len; i++) scratch[i] = rnd() & 0xff;
      scratch[18] = 1 + (rnd() % 6);
      opts = OPTIONS[rnd() & 3] as CodecOptions;
    } else {
      const seed = seeds[rnd() % seeds.length] as { bytes: Uint8Array; opts: CodecOptions };
      len = seed.bytes.length;
      scratch.set(seed.bytes, 0);
      opts = rnd() % 8 === 0 ? (OPTIONS[rnd() & 3] as CodecOptions) : seed.opts;
      const edits = 1 + (rnd() % 4);
      for (let e = 0; e < edits; e++) {
        const op = rnd() % 8;
        if (op < 5) {
          // Overwrite one byte of the body (or, rarely, of the header).
          const at = rnd() % 32 === 0 ? 16 + (rnd() % 3) : 19 + (rnd() % Math.max(1, len - 19));
          scratch[at] = rnd() % 4 === 0 ? [0, 0xff, 0x80, 0x7f, 1][rnd() % 5] as number : rnd() & 0xff;
        } else if (op === 5) {
          len = 19 + (rnd() % Math.max(1, len - 18)); // truncate
        } else if (op === 6 && len < 4000) {
          const extra = 1 + (rnd() % 16); // extend with noise
          for (let i = 0; i < extra; i++) scratch[len + i] = rnd() & 0xff;
          len += extra;
        } else {
          const at = 19 + (rnd() % Math.max(1, len - 19)); // flip a bit
          scratch[at] = (scratch[at] as number) ^ (1 << (rnd() % 8));
        }
      }
      if (rnd() % 4 !== 0) {
        scratch[16] = len >>> 8;
        scratch[17] = len & 0xff;
      }
    }
    const input = scratch.subarray(0, len);
    let r: DecodeResult;
    try {
      r = decodeMessage(input, opts);
    } catch (err) {
      assert.fail(`decodeMessage threw on ${toHex(input)} (${JSON.stringify(opts)}): ${String(err)}`);
    }
    if (!wellFormed(r)) assert.fail(`ill-formed outcome on ${toHex(input)}: ${JSON.stringify(r)}`);
    if (r.ok) okCount++;
    if ((n & 7) === 0) {
      // The framer sees the same bytes; after an error it stays failed, so use a fresh one then.
      for (const f of framer.pushAndCollect(input)) {
        if (!f.ok) {
          if (!errorOk(f.error)) assert.fail(`framer error ${f.error.reason} is not in the tables`);
        }
      }
      if (framer.buffered > 100_000 || framer.next()?.ok === false) framer = new MessageFramer({ extendedMessage: true });
    }
  }
  const elapsed = performance.now() - started;
  console.log(`fuzz: ${n} inputs in ${Math.round(elapsed)} ms, ${okCount} decoded ok`);
  assert.ok(n >= TARGET, `only ${n} inputs in ${BUDGET_MS} ms`);
  // The mutations must leave a fair share decodable, or the fuzz only exercises the header checks.
  assert.ok(okCount > TARGET / 20, `only ${okCount} inputs decoded`);
});
