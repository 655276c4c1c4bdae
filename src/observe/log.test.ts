import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger, rfc3339Nano } from './log.js';

test('lines have MetalLB shape: sorted keys, caller, event, level, msg, ts', () => {
  const lines: string[] = [];
  const log = createLogger({ write: (l) => lines.push(l), now: () => '2021-04-29T22:25:21.49316365Z' });
  log.info('serviceAnnounced', 'service has IP, announcing', {
    ip: '10.10.10.12',
    pool: 'default',
    protocol: 'bgp',
    service: 'argocd/argocd-server',
  });
  assert.equal(lines.length, 1);
  const rec = JSON.parse(lines[0]!) as Record<string, unknown>;
  assert.deepEqual(Object.keys(rec), ['caller', 'event', 'ip', 'level', 'msg', 'pool', 'protocol', 'service', 'ts']);
  assert.match(String(rec['caller']), /^log\.test\.(js|ts):\d+$/);
  assert.equal(rec['event'], 'serviceAnnounced');
  assert.equal(rec['level'], 'info');
});

test('levels filter as --log-level says', () => {
  const lines: string[] = [];
  const log = createLogger({ level: 'warn', write: (l) => lines.push(l) });
  log.debug('a', 'a');
  log.info('b', 'b');
  log.warn('c', 'c');
  log.error('d', 'd');
  assert.deepEqual(lines.map((l) => (JSON.parse(l) as { event: string }).event), ['c', 'd']);
  const none: string[] = [];
  createLogger({ level: 'none', write: (l) => none.push(l) }).error('x', 'x');
  assert.equal(none.length, 0);
});

test('timestamps are RFC 3339 with fractional seconds', () => {
  assert.equal(rfc3339Nano(Date.UTC(2021, 3, 29, 22, 25, 21, 493), 163650), '2021-04-29T22:25:21.49316365Z');
  assert.equal(rfc3339Nano(Date.UTC(2021, 3, 29, 22, 25, 21, 0)), '2021-04-29T22:25:21Z');
  assert.match(createLoggerTs(), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
});

function createLoggerTs(): string {
  let line = '';
  createLogger({ write: (l) => (line = l) }).info('e', 'm');
  return String((JSON.parse(line) as { ts: string }).ts);
}
