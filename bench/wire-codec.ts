/**
 * Codec micro-benchmarks (not a test): encoding full UPDATEs as the Adj-RIB-Out will, and decoding a
 * 100 000-prefix table as a session receives it. Run: `npm run build && node dist/bench/wire-codec.js`.
 */
import { decodeMessage, encodeMessage, MessageFramer, updateEncodedSize } from '../src/bgp/wire/index.js';
import type { CodecOptions, PathAttribute, Prefix, UpdateMessage } from '../src/bgp/wire/index.js';

const opts: CodecOptions = { fourOctetAs: true, extendedMessage: false };

function time(label: string, iterations: number, fn: () => void): number {
  for (let i = 0; i < Math.min(200, iterations); i++) fn(); // warm up
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) fn();
  const ns = Number(process.hrtime.bigint() - t0) / iterations;
  console.log(`${label.padEnd(60)} ${(ns / 1000).toFixed(1).padStart(9)} µs/op`);
  return ns;
}

const attrs4: PathAttribute[] = [
  { kind: 'origin', origin: 0 },
  { kind: 'asPath', segments: [{ type: 'sequence', asns: [64512] }] },
  { kind: 'nextHop', nextHop: '172.31.0.2' },
  { kind: 'multiExitDisc', med: 10 },
  { kind: 'communities', communities: [0xfc000001] },
  { kind: 'largeCommunities', communities: [{ globalAdmin: 64512, localData1: 1, localData2: 2 }] },
];

function v4(i: number): Prefix {
  return { family: 'ipv4', address: `10.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}`, length: 32 };
}
function v6(i: number): Prefix {
  return { family: 'ipv6', address: `fd00::${(i >>> 16).toString(16)}:${(i & 0xffff).toString(16)}`, length: 128 };
}

// Pack as many /32s as fit into 4096 octets.
const nlri: Prefix[] = [];
for (let i = 0; ; i++) {
  const next: UpdateMessage = { type: 'update', withdrawn: [], attributes: attrs4, nlri: [...nlri, v4(i)] };
  if (updateEncodedSize(next, opts) > 4096) break;
  nlri.push(v4(i));
}
const full: UpdateMessage = { type: 'update', withdrawn: [], attributes: attrs4, nlri };
const fullBytes = encodeMessage(full, opts);
console.log(`UPDATE with ${nlri.length} /32s: ${fullBytes.length} octets`);
time(`encodeMessage, ${nlri.length} IPv4 /32s`, 5000, () => encodeMessage(full, opts));
time(`decodeMessage, ${nlri.length} IPv4 /32s`, 5000, () => decodeMessage(fullBytes, opts));

const nlri6: Prefix[] = [];
for (let i = 0; i < 220; i++) nlri6.push(v6(i));
const mp: UpdateMessage = {
  type: 'update',
  withdrawn: [],
  attributes: [attrs4[0] as PathAttribute, attrs4[1] as PathAttribute, { kind: 'mpReachNlri', afi: 2, safi: 1, nextHops: ['fd00::2'], nlri: nlri6 }],
  nlri: [],
};
const mpBytes = encodeMessage(mp, opts);
console.log(`UPDATE with ${nlri6.length} IPv6 /128s: ${mpBytes.length} octets`);
time(`encodeMessage, ${nlri6.length} IPv6 /128s`, 5000, () => encodeMessage(mp, opts));
time(`decodeMessage, ${nlri6.length} IPv6 /128s`, 5000, () => decodeMessage(mpBytes, opts));

// A 100 000-prefix table as a stream of full UPDATEs, framed and decoded.
const table: Uint8Array[] = [];
let total = 0;
for (let i = 0; i < 100_000; i += nlri.length) {
  const chunk: Prefix[] = [];
  for (let j = i; j < Math.min(100_000, i + nlri.length); j++) chunk.push(v4(j));
  const b = encodeMessage({ type: 'update', withdrawn: [], attributes: attrs4, nlri: chunk }, opts);
  table.push(b);
  total += b.length;
}
const stream = new Uint8Array(total);
{
  let at = 0;
  for (const b of table) {
    stream.set(b, at);
    at += b.length;
  }
}
const ns = time('frame + decode 100 000 IPv4 /32s (64 KiB reads)', 20, () => {
  const f = new MessageFramer();
  let prefixes = 0;
  for (let at = 0; at < stream.length; at += 65536) {
    for (const r of f.pushAndCollect(stream.subarray(at, at + 65536))) {
      if (!r.ok) throw new Error('framing failed');
      const d = decodeMessage(r.bytes, opts);
      if (!d.ok || d.msg.type !== 'update') throw new Error('decode failed');
      prefixes += d.msg.nlri.length;
    }
  }
  if (prefixes !== 100_000) throw new Error(`decoded ${prefixes}`);
});
console.log(`  = ${(ns / 1e6).toFixed(1)} ms per 100 000-prefix table, ${table.length} UPDATEs`);
const encNs = time('encode 100 000 IPv4 /32s into full UPDATEs', 20, () => {
  for (let i = 0; i < 100_000; i += nlri.length) {
    const chunk: Prefix[] = [];
    for (let j = i; j < Math.min(100_000, i + nlri.length); j++) chunk.push(v4(j));
    encodeMessage({ type: 'update', withdrawn: [], attributes: attrs4, nlri: chunk }, opts);
  }
});
console.log(`  = ${(encNs / 1e6).toFixed(1)} ms per table (includes building the prefix text)`);
