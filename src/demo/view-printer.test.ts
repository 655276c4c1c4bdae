import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { NeighborRow } from './router-view.js';
import type { RouterSnapshot } from './view-printer.js';
import { ViewPrinter } from './view-printer.js';

function snap(neighbors: NeighborRow[], routes: RouterSnapshot['routes'] = []): RouterSnapshot {
  return { title: 'lab router 127.0.0.1:1179', routerId: '127.0.0.1', localAs: 64512, neighbors, routes, isInternal: () => true };
}

test('the view is printed again only when sessions or routes change, not when counters tick', () => {
  const printed: string[] = [];
  let current = snap([{ address: '127.0.0.116', asn: 64512, msgRcvd: 1, msgSent: 1, state: 'OpenSent', prefixes: 0 }]);
  const p = new ViewPrinter(() => [current], (t) => printed.push(t), () => 0);
  assert.equal(p.check(), true);
  current = snap([{ address: '127.0.0.116', asn: 64512, msgRcvd: 9, msgSent: 7, state: 'OpenSent', prefixes: 0 }]);
  assert.equal(p.check(), false);
  current = snap([{ address: '127.0.0.116', asn: 64512, msgRcvd: 9, msgSent: 7, state: 'Established', sinceMs: 0, prefixes: 1 }], [
    {
      prefix: '10.10.10.12/32',
      paths: [{ neighbor: '127.0.0.116', prefix: '10.10.10.12/32', nextHop: '127.0.0.116', origin: 0, asPath: [], communities: [], largeCommunities: [], sinceMs: 0 }],
    },
  ]);
  assert.equal(p.check(), true);
  assert.equal(printed.length, 2);
  assert.match(printed[1]!, /show ip bgp summary/);
  assert.match(printed[1]!, /B>\* 10\.10\.10\.12\/32 \[200\/0\] via 127\.0\.0\.116/);
  p.force();
  assert.equal(printed.length, 3);
});
