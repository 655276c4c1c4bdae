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
  });
  assert.deepEqual(parseRunFlags(['--node=n1', '--manifests=a', '--log-level', 'debug', '--listen', '127.0.0.116:1179']), {
    node: 'n1',
    manifests: ['a'],
    logLevel: 'debug',
    listen: { host: '127.0.0.116', port: 1179 },
  });
  assert.equal(parseRunFlags(['--help']), 'help');
});

test('bad run flags name the flag', () => {
  assert.equal(flagOf(['--manifests', 'a']), '--node');
  assert.equal(flagOf(['--node', 'n1']), '--manifests');
  assert.equal(flagOf(['--node', 'n1', '--manifests', 'a', '--log-level', 'chatty']), '--log-level');
  assert.equal(flagOf(['--node', 'n1', '--manifests', 'a', '--listen', '1179']), '--listen');
  assert.equal(flagOf(['--node', 'n1', '--manifests', 'a', '--listen', ':1179', '--no-listen']), '--listen');
  assert.equal(flagOf(['--node', 'n1', '--manifests', 'a', '--nodes', 'x']), '--nodes');
});
