import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lineSplitter, startChild } from './children.js';

test('lines are split across chunks; a last line without newline comes with flush', () => {
  const lines: string[] = [];
  const s = lineSplitter((l) => lines.push(l));
  s.push('{"a":1}\n{"b"');
  s.push(':2}\r\n');
  s.push('tail');
  assert.deepEqual(lines, ['{"a":1}', '{"b":2}']);
  s.flush();
  assert.deepEqual(lines, ['{"a":1}', '{"b":2}', 'tail']);
});

test('a child that handles SIGTERM exits by itself; one that ignores it is killed', async () => {
  const lines: string[] = [];
  const script = `process.on('SIGTERM', () => { console.log('bye'); process.exit(0); }); console.log('ready'); setInterval(() => {}, 1000);`;
  const polite = startChild('polite', process.execPath, ['-e', script], { onLine: (_s, l) => lines.push(l) });
  while (!lines.includes('ready')) await new Promise((r) => setTimeout(r, 10));
  const r1 = await polite.stop(5000);
  assert.deepEqual([r1.code, r1.killed], [0, false]);
  assert.ok(lines.includes('bye'));

  const stubborn = startChild('stubborn', process.execPath, ['-e', `process.on('SIGTERM', () => {}); console.log('ready'); setInterval(() => {}, 1000);`], {
    onLine: (_s, l) => lines.push(`s:${l}`),
  });
  while (!lines.includes('s:ready')) await new Promise((r) => setTimeout(r, 10));
  const r2 = await stubborn.stop(100);
  assert.deepEqual([r2.signal, r2.killed], ['SIGKILL', true]);
  assert.equal(stubborn.hasExited(), true);
});
