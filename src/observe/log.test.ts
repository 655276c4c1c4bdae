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

test('bind: one event from one place, caller captured at its first call, same line shape', () => {
  const lines: string[] = [];
  const log = createLogger({ write: (l) => lines.push(l), now: () => '2021-04-29T22:25:21.49316365Z' });
  const announced = log.bind('info', 'serviceAnnounced', 'service has IP, announcing');
  for (const ip of ['10.10.10.12', '10.10.10.13']) announced({ ip, pool: 'default', protocol: 'bgp', service: 'argocd/argocd-server' });
  log.info('serviceAnnounced', 'service has IP, announcing', { ip: '10.10.10.12', pool: 'default', protocol: 'bgp', service: 'argocd/argocd-server' });
  assert.equal(lines.length, 3);
  const [a, b, c] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(Object.keys(a!), ['caller', 'event', 'ip', 'level', 'msg', 'pool', 'protocol', 'service', 'ts']);
  assert.equal(a!['ip'], '10.10.10.12');
  assert.equal(b!['ip'], '10.10.10.13');
  assert.match(String(a!['caller']), /^log\.test\.(js|ts):\d+$/);
  assert.equal(a!['caller'], b!['caller']);
  // The bound line and the plain one differ only in caller (different lines of this file).
  assert.notEqual(a!['caller'], c!['caller']);
  assert.equal(lines[0]!.replace(/"caller":"[^"]*"/, ''), lines[2]!.replace(/"caller":"[^"]*"/, ''));
});

test('bind below the level logs nothing; fields win over base fields, own keys over both', () => {
  const lines: string[] = [];
  const log = createLogger({ level: 'warn', write: (l) => lines.push(l) });
  log.bind('info', 'ipAllocated', 'IP address assigned by controller')({ ip: '10.10.10.12' });
  assert.equal(lines.length, 0);
  log.with({ peer: 'a', node: 'n' }).warn('w', 'm', { peer: 'b', level: 'x', skipped: undefined, err: new Error('boom'), big: 5n });
  assert.deepEqual(JSON.parse(lines[0]!), { big: '5', caller: JSON.parse(lines[0]!).caller, err: 'boom', event: 'w', level: 'warn', msg: 'm', node: 'n', peer: 'b', ts: JSON.parse(lines[0]!).ts });
  assert.deepEqual(Object.keys(JSON.parse(lines[0]!) as object), ['big', 'caller', 'err', 'event', 'level', 'msg', 'node', 'peer', 'ts']);
});
