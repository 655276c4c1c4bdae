/**
 * What the loopback end-to-end tests share: where the CLI and the seed's manifests are, a free
 * loopback port, and a copy of the seed's manifests whose router listens on that port.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
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
