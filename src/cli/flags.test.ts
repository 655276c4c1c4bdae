import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError, hostPortFlag, logLevelFlag, parseFlags, requireFlag, secondsFlag } from './flags.js';

const SPEC = { node: { type: 'string' }, manifests: { type: 'string', multiple: true }, 'no-listen': { type: 'boolean' } } as const;

function flagOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof UsageError);
    return err.flag;
  }
  assert.fail('expected a UsageError');
}

test('flags parse; repeated flags accumulate', () => {
  const v = parseFlags(['--node', 'a', '--manifests', 'x', '--manifests=y', '--no-listen'], SPEC);
  assert.equal(v.node, 'a');
  assert.deepEqual(v.manifests, ['x', 'y']);
  assert.equal(v['no-listen'], true);
});

test('an unknown flag, a missing value or a stray argument names the flag', () => {
  assert.equal(flagOf(() => parseFlags(['--nodes', 'a'], SPEC)), '--nodes');
  assert.equal(flagOf(() => parseFlags(['--node'], SPEC)), '--node');
  assert.equal(flagOf(() => requireFlag(undefined, '--node')), '--node');
  assert.throws(() => parseFlags(['stray'], SPEC), UsageError);
});

test('value checks name their flag', () => {
  assert.equal(logLevelFlag(undefined), 'info');
  assert.equal(logLevelFlag('all'), 'all');
  assert.equal(flagOf(() => logLevelFlag('verbose')), '--log-level');
  assert.equal(secondsFlag('1.5', '--for'), 1.5);
  assert.equal(flagOf(() => secondsFlag('0', '--for')), '--for');
  assert.equal(flagOf(() => secondsFlag('soon', '--for')), '--for');
  assert.deepEqual(hostPortFlag('127.0.0.1:1179', '--listen'), { host: '127.0.0.1', port: 1179 });
  assert.deepEqual(hostPortFlag('[::1]:179', '--listen'), { host: '::1', port: 179 });
  assert.deepEqual(hostPortFlag(':179', '--listen'), { host: '::', port: 179 });
  assert.equal(flagOf(() => hostPortFlag('127.0.0.1', '--listen')), '--listen');
  assert.equal(flagOf(() => hostPortFlag('127.0.0.1:70000', '--listen')), '--listen');
});
