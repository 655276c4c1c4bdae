/**
 * The demo's own output: each speaker's lines carry its node's name, and the endpoint lines say where
 * each node serves its status and metrics.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { endpointLines, freeLoopbackPort, nodeLinePrefixes } from './demo.js';

test('node prefixes are padded to the longest name', () => {
  const p = nodeLinePrefixes(['node-116', 'n2']);
  assert.equal(p.get('node-116'), 'node-116 | ');
  assert.equal(p.get('n2'), 'n2       | ');
});

test('endpoint lines name each node, its status address (and how to ask it) and its metrics URL', () => {
  const lines = endpointLines([
    { node: 'node-116', metricsPort: 7472, statusPort: 7473 },
    { node: 'node-117', metricsPort: 40001, statusPort: 40002 },
  ]);
  assert.deepEqual(lines.slice(1), [
    'demo:   node-116: status 127.0.0.1:7473 (metallb-ts status peers), metrics http://127.0.0.1:7472/metrics',
    'demo:   node-117: status 127.0.0.1:40002 (metallb-ts status peers --status-addr 127.0.0.1:40002), metrics http://127.0.0.1:40001/metrics',
  ]);
});

test('freeLoopbackPort gives the preferred port when it is free, another one when it is taken', async () => {
  const any = await freeLoopbackPort();
  assert.ok(any > 0);
  assert.equal(await freeLoopbackPort(any), any);
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(any, '127.0.0.1', resolve));
  try {
    const other = await freeLoopbackPort(any);
    assert.notEqual(other, any);
    assert.ok(other > 0);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});
