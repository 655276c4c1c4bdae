import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UsageError } from './flags.js';
import { parseSpeakerFlags } from './speaker-command.js';

describe('speaker flags', () => {
  it('takes the node and namespace from the downward API environment, with MetalLB defaults', () => {
    const f = parseSpeakerFlags([], { NODE_NAME: 'worker-1', METALLB_NAMESPACE: 'lb' });
    assert.ok(f !== 'help');
    assert.equal(f.nodeName, 'worker-1');
    assert.equal(f.namespace, 'lb');
    assert.deepEqual(f.metricsAddr, { host: '::', port: 7472 });
    assert.deepEqual(f.statusAddr, { host: '127.0.0.1', port: 7473 });
    assert.equal(f.kubeconfig, undefined);
    const d = parseSpeakerFlags(['--node-name', 'n'], {});
    assert.ok(d !== 'help');
    assert.equal(d.namespace, 'metallb-system');
  });

  it('parses the DaemonSet invocation', () => {
    const f = parseSpeakerFlags(['--node-name', 'n1', '--namespace', 'metallb-system', '--metrics-addr', ':7472', '--status-addr', 'off', '--log-level', 'info', '--no-listen', '--kubeconfig', '/k'], {});
    assert.ok(f !== 'help');
    assert.equal(f.statusAddr, undefined);
    assert.equal(f.kubeconfig, '/k');
    assert.equal(f.listen, undefined);
  });

  it('names the flag of each bad command line', () => {
    const flagOf = (argv: string[], env: Record<string, string> = {}): string | undefined => {
      try {
        parseSpeakerFlags(argv, env);
      } catch (err) {
        assert.ok(err instanceof UsageError);
        return err.flag;
      }
      return 'none';
    };
    assert.equal(flagOf([]), '--node-name');
    assert.equal(flagOf(['--node-name', 'Bad_Name']), '--node-name');
    assert.equal(flagOf(['--node-name', 'n', '--namespace', 'UPPER']), '--namespace');
    assert.equal(flagOf(['--node-name', 'n', '--listen', ':179', '--no-listen']), '--listen');
    assert.equal(flagOf(['--node-name', 'n', '--metrics-addr', 'nope']), '--metrics-addr');
    assert.equal(flagOf(['--node-name', 'n', '--log-level', 'loud']), '--log-level');
    assert.equal(flagOf(['--node', 'n']), '--node');
  });
});
