import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { getJson, parseStatusArgs, statusPath } from './status-command.js';
import { UsageError } from './flags.js';

test('status arguments: views, address, --json; bad ones are usage errors', () => {
  assert.deepEqual(parseStatusArgs([]), { view: { kind: 'peers' }, host: '127.0.0.1', port: 7473, json: false });
  assert.deepEqual(parseStatusArgs(['peer', '10.10.10.117', '--json', '--status-addr', '[::1]:9000']), {
    view: { kind: 'peer', address: '10.10.10.117' },
    host: '::1',
    port: 9000,
    json: true,
  });
  assert.equal(parseStatusArgs(['--status-addr', ':7000']) !== 'help' && (parseStatusArgs(['--status-addr', ':7000']) as { host: string }).host, '127.0.0.1');
  assert.equal(parseStatusArgs(['--help']), 'help');
  for (const bad of [['peer'], ['peer', 'a', 'b'], ['routes', 'x'], ['bogus'], ['--status-addr', 'nope'], ['--colour']]) {
    assert.throws(() => parseStatusArgs(bad), UsageError, bad.join(' '));
  }
  assert.equal(statusPath({ kind: 'peer', address: 'fd00::1' }), '/status/peers/fd00%3A%3A1');
  assert.equal(statusPath({ kind: 'services' }), '/status/services');
});

test('a closed port is ECONNREFUSED (what status reports as nothing listening)', async () => {
  const port = await new Promise<number>((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
  await assert.rejects(getJson('127.0.0.1', port, '/status/peers'), (e: NodeJS.ErrnoException) => e.code === 'ECONNREFUSED');
});
