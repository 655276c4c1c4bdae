import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError } from './flags.js';
import { parseRunFlags } from './run-command.js';

function flagOf(argv: string[]): string | undefined {
  try {
    parseRunFlags(argv);
  } catch (err) {
    assert.ok(err instanceof UsageError);
    return err.flag;
  }
  assert.fail('expected a UsageError');
}

test('run flags: node, repeated manifests, log level, listen', () => {
  assert.deepEqual(parseRunFlags(['--node', 'n1', '--manifests', 'a', '--manifests', 'b/']), {
    node: 'n1',
    manifests: ['a', 'b/'],
    logLevel: 'info',
    drainMs: 5000,
    metricsAddr: { host: '::', port: 7472 },
    statusAddr: { host: '127.0.0.1', port: 7473 },
  });
  assert.deepEqual(parseRunFlags(['--node=n1', '--manifests=a', '--log-level', 'debug', '--listen', '127.0.0.116:1179']), {
    node: 'n1',
    manifests: ['a'],
    logLevel: 'debug',
    drainMs: 5000,
    listen: { host: '127.0.0.116', port: 1179 },
    metricsAddr: { host: '::', port: 7472 },
    statusAddr: { host: '127.0.0.1', port: 7473 },
  });
  assert.equal(parseRunFlags(['--help']), 'help');
});

test('run flags: --metrics-addr and --status-addr default to MetalLB :7472 and loopback :7473; "" and off disable', () => {
  const base = ['--node', 'n1', '--manifests', 'a'];
  const r = parseRunFlags([...base, '--metrics-addr', '127.0.0.1:0', '--status-addr', '[::1]:9000']);
  assert.ok(r !== 'help');
  assert.deepEqual([r.metricsAddr, r.statusAddr], [
    { host: '127.0.0.1', port: 0 },
    { host: '::1', port: 9000 },
  ]);
  const off = parseRunFlags([...base, '--metrics-addr', '', '--status-addr', 'off']);
  assert.ok(off !== 'help');
  assert.deepEqual([off.metricsAddr, off.statusAddr], [undefined, undefined]);
  assert.equal(flagOf([...base, '--metrics-addr', '7472']), '--metrics-addr');
  assert.equal(flagOf([...base, '--status-addr', 'localhost']), '--status-addr');
});

test('bad run flags name the flag', () => {
  assert.equal(flagOf(['--manifests', 'a']), '--node');
  assert.equal(flagOf(['--node', 'n1']), '--manifests');
  assert.equal(flagOf(['--node', 'n1', '--manifests', 'a', '--log-level', 'chatty']), '--log-level');
  assert.equal(flagOf(['--node', 'n1', '--manifests', 'a', '--listen', '1179']), '--listen');
  assert.equal(flagOf(['--node', 'n1', '--manifests', 'a', '--listen', ':1179', '--no-listen']), '--listen');
  assert.equal(flagOf(['--node', 'n1', '--manifests', 'a', '--nodes', 'x']), '--nodes');
});

test('run flags: --drain-time is a duration, 5s by default, 0 disables', () => {
  const base = ['--node', 'n1', '--manifests', 'a'];
  const drain = (extra: string[]): number | undefined => {
    const r = parseRunFlags([...base, ...extra]);
    return r === 'help' ? undefined : r.drainMs;
  };
  assert.equal(drain([]), 5000);
  assert.equal(drain(['--drain-time', '1500ms']), 1500);
  assert.equal(drain(['--drain-time', '1m']), 60_000);
  assert.equal(drain(['--drain-time', '0']), 0);
  for (const bad of ['5', '-1s', '2h', 'soon', '']) assert.equal(flagOf([...base, '--drain-time', bad]), '--drain-time');
});
