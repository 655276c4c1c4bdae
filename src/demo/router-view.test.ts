import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LabRib } from './lab-rib.js';
import { formatBgpSummary, formatRouteTable, formatUpDown } from './router-view.js';

test('Up/Down reads as FRR prints it', () => {
  assert.equal(formatUpDown(undefined, 0), 'never');
  assert.equal(formatUpDown(0, 12_000), '00:00:12');
  assert.equal(formatUpDown(0, (3600 * 5 + 61) * 1000), '05:01:01');
  assert.equal(formatUpDown(0, (86400 * 2 + 3600 * 3 + 240) * 1000), '2d03h04m');
  assert.equal(formatUpDown(0, (86400 * 9 + 3600) * 1000), '1w2d01h');
});

test('the summary has the columns of show ip bgp summary and a row per neighbour', () => {
  const text = formatBgpSummary({
    routerId: '127.0.0.1',
    localAs: 64512,
    nowMs: 10_000,
    neighbors: [
      { address: '127.0.0.116', asn: 64512, msgRcvd: 5, msgSent: 4, state: 'Established', sinceMs: 5_000, prefixes: 1 },
      { address: '127.0.0.117', asn: 64512, msgRcvd: 0, msgSent: 0, state: 'Active', prefixes: 0 },
    ],
  });
  const lines = text.split('\n');
  const header = lines.find((l) => l.startsWith('Neighbor'));
  assert.ok(header);
  assert.deepEqual(header.split(/\s+/), ['Neighbor', 'V', 'AS', 'MsgRcvd', 'MsgSent', 'Up/Down', 'State/PfxRcd', 'State']);
  assert.deepEqual(lines.find((l) => l.startsWith('127.0.0.116'))!.split(/\s+/), ['127.0.0.116', '4', '64512', '5', '4', '00:00:05', '1', 'Established']);
  assert.deepEqual(lines.find((l) => l.startsWith('127.0.0.117'))!.split(/\s+/), ['127.0.0.117', '4', '64512', '0', '0', 'never', 'Active', 'Active']);
});

test('an ECMP route prints as B>* prefix via one node, then via the other', () => {
  const rib = new LabRib();
  for (const n of ['127.0.0.117', '127.0.0.116']) {
    rib.applyUpdate(n, { type: 'update', withdrawn: [], attributes: [{ kind: 'origin', origin: 0 }, { kind: 'asPath', segments: [] }, { kind: 'nextHop', nextHop: n }], nlri: [{ family: 'ipv4', address: '10.10.10.12', length: 32 }] }, 0);
  }
  const text = formatRouteTable({ routes: rib.routes(), isInternal: () => true, nowMs: 3000 });
  const lines = text.split('\n').filter((l) => l.includes('via'));
  assert.equal(lines.length, 2);
  assert.match(lines[0]!, /^B>\* 10\.10\.10\.12\/32 \[200\/0\] via 127\.0\.0\.116, weight 1, 00:00:03$/);
  assert.match(lines[1]!, /^ {2}\* +via 127\.0\.0\.117, weight 1, 00:00:03$/);
  // The second via lines up under the first.
  assert.equal(lines[0]!.indexOf('via'), lines[1]!.indexOf('via'));
  assert.match(formatRouteTable({ routes: [], isInternal: () => true, nowMs: 0 }), /no BGP routes/);
});
