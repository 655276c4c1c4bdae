/**
 * The node speaker's reload trace: each reload logs `manifestsApplied` at debug level with where its
 * time went (the watcher's quiet time, the wait, the read, the apply) and the CLOCK_MONOTONIC of its
 * end, which the scale benchmark places against its own file operations (bench/scale.ts --trace).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../observe/log.js';
import { startNodeSpeaker } from './node-speaker.js';

const CONFIG = `apiVersion: v1
kind: ConfigMap
metadata:
  namespace: metallb-system
  name: config
data:
  config: |
    address-pools:
    - name: default
      protocol: bgp
      addresses:
      - 198.51.100.0/24
`;

const NODE = `apiVersion: v1
kind: Node
metadata:
  name: node-a
status:
  addresses:
  - type: InternalIP
    address: 192.0.2.1
`;

interface AppliedFields {
  event?: string;
  level?: string;
  files?: number | string;
  changes?: number;
  quietMs?: number;
  queuedMs?: number;
  readMs?: number;
  applyMs?: number;
  cpuMs?: number;
  monotonicMs?: number;
}

test('each reload logs manifestsApplied at debug with its quiet time, wait, read, apply and monotonic end', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mlbts-node-speaker-'));
  const lines: AppliedFields[] = [];
  const logger = createLogger({ level: 'debug', write: (line) => lines.push(JSON.parse(line) as AppliedFields) });
  writeFileSync(join(dir, '00-config.yaml'), CONFIG);
  writeFileSync(join(dir, '01-node.yaml'), NODE);
  const speaker = await startNodeSpeaker({ node: 'node-a', manifests: [dir], logger });
  try {
    const applied = (): AppliedFields[] => lines.filter((l) => l.event === 'manifestsApplied');
    assert.equal(applied().length, 1, 'the first load is traced too');
    assert.equal(applied()[0]?.files, 'all');

    const file = join(dir, '10-svc.yaml');
    writeFileSync(file, `apiVersion: v1\nkind: Service\nmetadata:\n  namespace: a\n  name: s\nspec:\n  type: LoadBalancer\n  ports: [{port: 80}]\n`);
    const seenAt = performance.now() - 5; // the watcher's first event, 5 ms before it asked
    const monoBefore = Number(process.hrtime.bigint()) / 1e6;
    await speaker.reload([file], seenAt);
    const monoAfter = Number(process.hrtime.bigint()) / 1e6;
    const l = applied()[1];
    assert.ok(l, 'the reload logged manifestsApplied');
    assert.equal(l.level, 'debug');
    assert.equal(l.files, 1);
    assert.equal(l.changes, 1);
    assert.ok((l.quietMs ?? NaN) >= 5, `quietMs ${l.quietMs}`);
    for (const k of ['queuedMs', 'readMs', 'applyMs', 'cpuMs'] as const) assert.ok((l[k] ?? NaN) >= 0, `${k} ${l[k]}`);
    const mono = l.monotonicMs ?? NaN;
    assert.ok(mono >= monoBefore - 0.001 && mono <= monoAfter + 0.001, `${mono} not within [${monoBefore}, ${monoAfter}]`);
    // Read and apply fit between the call and the end.
    assert.ok((l.queuedMs ?? 0) + (l.readMs ?? 0) + (l.applyMs ?? 0) <= monoAfter - monoBefore + 0.01);
  } finally {
    await speaker.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('at info level a reload logs no trace', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mlbts-node-speaker-'));
  const lines: AppliedFields[] = [];
  const logger = createLogger({ level: 'info', write: (line) => lines.push(JSON.parse(line) as AppliedFields) });
  writeFileSync(join(dir, '00-config.yaml'), CONFIG);
  writeFileSync(join(dir, '01-node.yaml'), NODE);
  const speaker = await startNodeSpeaker({ node: 'node-a', manifests: [dir], logger });
  try {
    await speaker.reload();
    assert.ok(lines.length > 0, 'info lines were written');
    assert.equal(lines.filter((l) => l.event === 'manifestsApplied').length, 0);
  } finally {
    await speaker.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
