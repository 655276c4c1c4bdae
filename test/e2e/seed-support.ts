/**
 * What the loopback end-to-end tests share: where the CLI and the seed's manifests are, a free
 * loopback port, a copy of the seed's manifests whose router listens on that port, and waiting,
 * HTTP and CLI helpers.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const BIN = join(ROOT, 'bin/metallb-ts');
export const SEED = join(ROOT, 'examples/seed');

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** The seed's manifests in a new temporary folder (name starting with `prefix`), with the router on `port`. */
export function seedManifests(port: number, prefix = 'mlbts-e2e-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const config = readFileSync(join(SEED, 'config.yaml'), 'utf8').replace('peer-port: 1179', `peer-port: ${port}`);
  assert.ok(config.includes(`peer-port: ${port}`));
  writeFileSync(join(dir, 'config.yaml'), config);
  writeFileSync(join(dir, 'cluster.yaml'), readFileSync(join(SEED, 'cluster.yaml')));
  return dir;
}

/**
 * A free TCP port on 127.0.0.1 below 16384, the largest `peerPort` MetalLB's BGPPeer CRD accepts
 * (the system's ephemeral ports are above it). Tried at random in 10000-16383.
 */
export async function freeCrdPort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 10000 + Math.floor(Math.random() * 6384);
    const ok = await new Promise<boolean>((resolve) => {
      const s = createServer();
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (ok) return port;
  }
  throw new Error('no free port in 10000-16383');
}

/** Waits until `pred` holds, polling; throws after `ms` naming `what`. */
export async function waitFor(what: string, pred: () => boolean | Promise<boolean>, ms: number): Promise<void> {
  const start = Date.now();
  while (!(await pred())) {
    if (Date.now() - start > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** GET http://127.0.0.1:PORT/PATH: the status and the body. */
export function httpGet(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, timeout: 3000 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/** Runs `metallb-ts ARGS` to its end (killed after `ms`): exit code, stdout, stderr. */
export function cli(args: string[], ms = 8000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`metallb-ts ${args.join(' ')} did not exit within ${ms} ms`));
    }, ms);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
