/**
 * Every byte fixture captured from a real router (src/bgp/wire/fixtures/*.hex, written by
 * test/interop/capture-fixtures.ts): decode, encode, round-trip, and the attributes the lab told the
 * router to send. A fixture file has comment lines starting with `#` (the first says where it came
 * from) and the message as hex.
 *
 * Codec options per fixture: messages from the `-as2peer-` sessions were sent to a peer without the
 * 4-octet AS capability, so their AS_PATH uses 2-octet AS numbers (RFC 6793 §4.2.2); every other
 * session negotiated 4-octet AS numbers. No session negotiated extended messages.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { decodeMessage, encodeMessage } from './index.js';
import type { BgpMessage, CodecOptions, PathAttribute } from './types.js';

// From dist/src/bgp/wire/fixtures.test.js back to the source tree (fixtures are not compiled).
const FOLDER = new URL('../../../../src/bgp/wire/fixtures/', import.meta.url);

interface Fixture {
  readonly name: string;
  readonly source: string;
  readonly bytes: Uint8Array;
}

function loadFixtures(): Fixture[] {
  return readdirSync(FOLDER)
    .filter((f) => f.endsWith('.hex'))
    .sort()
    .map((name) => {
      const text = readFileSync(new URL(name, FOLDER), 'utf8');
      const lines = text.split('\n');
      const source = (lines.find((l) => l.startsWith('#')) ?? '').slice(1).trim();
      const hex = lines
        .filter((l) => !l.startsWith('#'))
        .join('')
        .replace(/\s+/g, '');
      return { name, source, bytes: Uint8Array.from(Buffer.from(hex, 'hex')) };
    });
}

const fixtures = loadFixtures();
const ROUTERS = ['frr', 'bird', 'gobgp', 'exabgp'] as const;

function optionsFor(name: string): CodecOptions {
  return { fourOctetAs: !name.includes('-as2peer-'), extendedMessage: false };
}

/**
 * Fixtures whose bytes a canonical encoder does not reproduce, with the reason. RFC 4271 §4.3 lets
 * a sender set the Extended Length flag (two length octets) on any attribute; our encoder (as the
 * house style asks) chooses the one-octet form whenever the value fits in 255 octets. For these
 * fixtures the test checks that our encoding equals the capture with exactly that one difference
 * undone (`withShortLengths`), so every other byte is still compared.
 */
const NOT_BYTE_CANONICAL: ReadonlyMap<RegExp, string> = new Map<RegExp, string>([
  [/^frr-[^-]+-.*-update-\d+\.hex$/, 'FRR sets Extended Length on AS_PATH, AS4_PATH and MP_REACH_NLRI even when short'],
  [/^bird-[^-]+-.*-v6-update-[12]\.hex$/, 'BIRD sets Extended Length on MP_REACH_NLRI even when short'],
  [/^exabgp-[^-]+-(ebgp|ibgp)-v6-update-4\.hex$/, 'ExaBGP sets Extended Length on the MP_UNREACH_NLRI of its IPv6 End-of-RIB'],
]);

/**
 * The same UPDATE with every short attribute (value <= 255 octets) re-framed with a one-octet
 * length and the Extended Length flag (0x10) clear; lengths recomputed. Hand-parsed here (RFC 4271
 * §4.3), independent of the codec under test.
 */
function withShortLengths(b: Uint8Array): Uint8Array {
  const buf = Buffer.from(b);
  const wlen = buf.readUInt16BE(19);
  const alenAt = 21 + wlen;
  const alen = buf.readUInt16BE(alenAt);
  const attrs: number[] = [];
  let off = alenAt + 2;
  const end = off + alen;
  while (off < end) {
    const flags = buf[off] ?? 0;
    const type = buf[off + 1] ?? 0;
    const ext = (flags & 0x10) !== 0;
    const len = ext ? buf.readUInt16BE(off + 2) : (buf[off + 2] ?? 0);
    const hdr = ext ? 4 : 3;
    const value = [...buf.subarray(off + hdr, off + hdr + len)];
    if (len <= 255) attrs.push(flags & ~0x10, type, len, ...value);
    else attrs.push(flags | 0x10, type, len >> 8, len & 0xff, ...value);
    off += hdr + len;
  }
  const head = [...buf.subarray(0, alenAt)];
  const nlri = [...buf.subarray(end)];
  const out = Buffer.from([...head, attrs.length >> 8, attrs.length & 0xff, ...attrs, ...nlri]);
  out.writeUInt16BE(out.length, 16);
  return out;
}

function canonicalException(name: string): string | undefined {
  for (const [re, why] of NOT_BYTE_CANONICAL) if (re.test(name)) return why;
  return undefined;
}

test('the fixture folder holds captures from every lab router (guards against globbing the wrong folder)', () => {
  assert.ok(fixtures.length >= 8, `found only ${fixtures.length} fixtures in ${FOLDER.pathname}`);
  for (const r of ROUTERS) {
    const mine = fixtures.filter((f) => f.name.startsWith(`${r}-`));
    assert.ok(mine.some((f) => f.name.endsWith('-open.hex')), `no OPEN from ${r}`);
    assert.ok(mine.some((f) => f.name.includes('-update-')), `no UPDATE from ${r}`);
  }
  for (const f of fixtures) assert.match(f.source, /^(OPEN|UPDATE).* from .*captured in the lab \d{4}-\d\d-\d\d/, `${f.name} does not say where it came from`);
});

for (const f of fixtures) {
  test(`fixture ${f.name}: decode, encode, round-trip`, () => {
    const opts = optionsFor(f.name);
    const d = decodeMessage(f.bytes, opts);
    assert.ok(d.ok, `decode failed: ${d.ok ? '' : `${d.error.reason} ${d.error.message}`}`);
    // A real router's message is well formed: no RFC 7606 treatment either.
    assert.deepEqual(d.errors, []);
    assert.equal(d.withdrawAll, false);
    const expectedType = f.name.endsWith('-open.hex') ? 'open' : 'update';
    assert.equal(d.msg.type, expectedType);

    const encoded = encodeMessage(d.msg, opts);
    const again = decodeMessage(encoded, opts);
    assert.ok(again.ok, 're-decoding our own encoding failed');
    assert.deepEqual(again.msg, d.msg);

    const why = canonicalException(f.name);
    const hex = (x: Uint8Array): string => Buffer.from(x).toString('hex');
    if (why === undefined) assert.equal(hex(encoded), hex(f.bytes));
    else {
      assert.notEqual(hex(encoded), hex(f.bytes), `${f.name} is byte-canonical now: drop it from NOT_BYTE_CANONICAL`);
      assert.equal(hex(encoded), hex(withShortLengths(f.bytes)), `differs from the capture by more than the length form (${why})`);
    }

    checkWhatTheLabSent(f.name, d.msg);
  });
}

const C = (asn: number, v: number): number => asn * 65536 + v;

/** The capture script told every router the same things; check the decoded values carry them. */
function checkWhatTheLabSent(name: string, msg: BgpMessage): void {
  const ibgp = name.includes('-ibgp-');
  if (msg.type === 'open') {
    assert.equal(msg.version, 4);
    const caps = msg.optionalParameters.flatMap((p) => (p.type === 'capabilities' ? p.capabilities : []));
    const as4 = caps.find((c) => c.kind === 'fourOctetAs');
    // RFC 6793 §4.1: the router's real AS in the capability; AS_TRANS in My AS when it is 4-octet.
    assert.equal(as4?.kind === 'fourOctetAs' ? as4.asn : undefined, ibgp ? 64512 : 4200000001);
    assert.equal(msg.myAs, ibgp ? 64512 : 23456);
    const family = name.includes('-v6-') ? 2 : 1;
    assert.ok(caps.some((c) => c.kind === 'multiprotocol' && c.afi === family && c.safi === 1), 'no multiprotocol capability for the session family');
    return;
  }
  if (msg.type !== 'update') return;
  const find = <K extends PathAttribute['kind']>(kind: K): Extract<PathAttribute, { kind: K }> | undefined =>
    msg.attributes.find((a): a is Extract<PathAttribute, { kind: K }> => a.kind === kind);
  const communities = find('communities');
  if (communities) {
    assert.deepEqual([...communities.communities].sort((a, b) => a - b), [C(64512, 100), C(64512, 200)]);
    assert.deepEqual(find('largeCommunities')?.communities, [{ globalAdmin: 64512, localData1: 1, localData2: 2 }]);
    assert.equal(find('multiExitDisc')?.med, 50);
    if (ibgp) assert.equal(find('localPref')?.localPref, 200);
  }
  // RFC 4271 §5.1.5: LOCAL_PREF only on iBGP.
  if (!ibgp) assert.equal(find('localPref'), undefined);
  const asPath = find('asPath');
  if (asPath) {
    const asns = asPath.segments.flatMap((s) => s.asns);
    if (ibgp) assert.deepEqual(asns, []);
    else if (name.includes('-as2peer-')) {
      // RFC 6793 §4.2.2: AS_TRANS in AS_PATH, the real AS in AS4_PATH.
      assert.deepEqual(asns, [23456]);
      assert.deepEqual(find('as4Path')?.segments.flatMap((s) => s.asns), [4200000001]);
    } else assert.deepEqual(asns, [4200000001]);
  }
  const nlri = [...msg.nlri, ...(find('mpReachNlri')?.nlri ?? [])].map((p) => `${p.address}/${p.length}`);
  for (const p of nlri) assert.ok(['198.51.100.1/32', '198.51.100.2/32', '203.0.113.0/24', '2001:db8::1/128', '2001:db8::2/128', '2001:db8:1::/48'].includes(p), `unexpected NLRI ${p}`);
}
