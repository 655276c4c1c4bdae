/**
 * `metallb-ts controller` flags: defaults (MetalLB's port, the downward API's namespace), durations,
 * and errors that name the flag.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseControllerFlags } from './controller-command.js';
import { UsageError } from './flags.js';

test('defaults: namespace from METALLB_NAMESPACE, metrics on :7472, lease 10s', () => {
  assert.deepEqual(parseControllerFlags([], { METALLB_NAMESPACE: 'lb' }), {
    namespace: 'lb',
    leaseName: 'metallb-ts-controller',
    leaseDurationMs: 10_000,
    logLevel: 'info',
    metricsAddr: { host: '::', port: 7472 },
  });
  assert.equal((parseControllerFlags([], {}) as { namespace: string }).namespace, 'metallb-system');
});

test('the flags of the Deployment', () => {
  const f = parseControllerFlags(
    ['--kubeconfig', '/k', '--namespace', 'metallb-system', '--metrics-addr', 'off', '--log-level', 'debug', '--lease-name', 'x', '--lease-duration', '15s', '--lb-class', 'c'],
    {},
  );
  assert.deepEqual(f, { kubeconfig: '/k', namespace: 'metallb-system', leaseName: 'x', leaseDurationMs: 15_000, logLevel: 'debug', loadBalancerClass: 'c' });
});

test('bad values name their flag', () => {
  for (const [argv, flag] of [
    [['--lease-duration', 'soon'], '--lease-duration'],
    [['--lease-duration', '500ms'], '--lease-duration'],
    [['--metrics-addr', 'nowhere'], '--metrics-addr'],
    [['--log-level', 'loud'], '--log-level'],
    [['--bogus'], '--bogus'],
  ] as const) {
    assert.throws(() => parseControllerFlags(argv, {}), (err: unknown) => err instanceof UsageError && err.flag === flag, argv.join(' '));
  }
});
