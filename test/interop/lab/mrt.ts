/**
 * Writes an MRT TABLE_DUMP_V2 file (RFC 6396 §4.3) of IPv4 unicast routes from one peer, so GoBGP
 * can load a large table in one call (`gobgp mrt inject global FILE`) before a session comes up.
 * Built by hand here (not with the codec under test); attributes are ORIGIN IGP, an empty AS_PATH
 * (4-octet encoding, as RFC 6396 §4.3.4 requires) and NEXT_HOP.
 */
import { writeFileSync } from 'node:fs';

function ipv4Bytes(a: string): number[] {
  return a.split('.').map(Number);
}

function record(subtype: number, body: Buffer): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt32BE(Math.floor(Date.now() / 1000), 0);
  h.writeUInt16BE(13, 4); // TABLE_DUMP_V2
  h.writeUInt16BE(subtype, 6);
  h.writeUInt32BE(body.length, 8);
  return Buffer.concat([h, body]);
}

/**
 * Writes `prefixes` (IPv4, "a.b.c.d/len") as a TABLE_DUMP_V2 file with one peer. `padding` more
 * entries repeat the first prefixes at the end: GoBGP 3.10's `mrt inject` drops roughly the last
 * queue-full (about 1 000 paths) of a file (seen here: 100 000 in, 98 971 in the RIB), so the tail
 * it drops is made of duplicates.
 */
export function writeMrtTable(file: string, prefixes: readonly string[], peer: { bgpId: string; address: string; asn: number }, nextHop: string, padding = 0): void {
  const parts: Buffer[] = [];
  // PEER_INDEX_TABLE (subtype 1): collector id, empty view name, one peer (type 2: AS4, IPv4).
  const pit = Buffer.from([...ipv4Bytes(peer.bgpId), 0, 0, 0, 1, 0x02, ...ipv4Bytes(peer.bgpId), ...ipv4Bytes(peer.address), 0, 0, 0, 0]);
  pit.writeUInt32BE(peer.asn, pit.length - 4);
  parts.push(record(1, pit));
  const attrs = Buffer.from([0x40, 1, 1, 0, 0x40, 2, 0, 0x40, 3, 4, ...ipv4Bytes(nextHop)]);
  const all = [...prefixes];
  for (let i = 0; i < padding && prefixes.length > 0; i++) all.push(prefixes[i % prefixes.length] as string);
  all.forEach((p, seq) => {
    const [addr = '', lenText = '32'] = p.split('/');
    const len = Number(lenText);
    const bytes = ipv4Bytes(addr).slice(0, Math.ceil(len / 8));
    const head = Buffer.alloc(4);
    head.writeUInt32BE(seq, 0);
    const entry = Buffer.alloc(8);
    entry.writeUInt16BE(0, 0); // peer index
    entry.writeUInt32BE(Math.floor(Date.now() / 1000), 2);
    entry.writeUInt16BE(attrs.length, 6);
    parts.push(record(2, Buffer.concat([head, Buffer.from([len, ...bytes, 0, 1]), entry, attrs])));
  });
  writeFileSync(file, Buffer.concat(parts));
}

/** N distinct IPv4 /32 prefixes from 198.18.0.0/15 (RFC 2544 benchmarking range), N <= 131072. */
export function benchPrefixes(n: number): string[] {
  if (n > 131072) throw new Error('at most 131072 prefixes fit 198.18.0.0/15');
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(`198.${18 + (i >> 16)}.${(i >> 8) & 0xff}.${i & 0xff}/32`);
  return out;
}
