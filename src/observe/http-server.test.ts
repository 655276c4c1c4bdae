import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { jsonReply, routes, startOpsServer, textReply } from './http-server.js';
import { healthRoutes } from './ops-routes.js';

function get(port: number, path: string, method = 'GET'): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('routes in order, 404, 405, a throwing handler answers 500, health follows readiness', async () => {
  let ready = false;
  const server = await startOpsServer(
    '127.0.0.1',
    0,
    routes(
      healthRoutes(() => ready),
      (path) => (path === '/json' ? jsonReply({ a: 1 }) : undefined),
      (path) => {
        if (path === '/boom') throw new Error('boom');
        return path === '/text' ? textReply('hi\n') : undefined;
      },
    ),
  );
  try {
    assert.equal((await get(server.port, '/livez')).status, 200);
    assert.equal((await get(server.port, '/readyz')).status, 503);
    ready = true;
    assert.equal((await get(server.port, '/readyz')).status, 200);
    const j = await get(server.port, '/json?x=1');
    assert.deepEqual([j.status, JSON.parse(j.body)], [200, { a: 1 }]);
    assert.match(j.type, /^application\/json/);
    assert.equal((await get(server.port, '/text')).body, 'hi\n');
    assert.equal((await get(server.port, '/nothing')).status, 404);
    assert.equal((await get(server.port, '/text', 'POST')).status, 405);
    assert.equal((await get(server.port, '/boom')).status, 500);
    assert.equal((await get(server.port, '/livez')).status, 200);
  } finally {
    await server.close();
  }
});

test('binding a port in use rejects', async () => {
  const a = await startOpsServer('127.0.0.1', 0, () => undefined);
  try {
    await assert.rejects(startOpsServer('127.0.0.1', a.port, () => undefined), (e: NodeJS.ErrnoException) => e.code === 'EADDRINUSE');
  } finally {
    await a.close();
  }
});
