#!/usr/bin/env node
// Runs the compiled test suite with node's own test runner and prints one plain closing line.
//
// Unit tests are dist/src/**/*.test.js; interop tests are dist/test/interop/**/*.test.js. Interop tests
// need root and the Debian daemons; they skip outside CI when those are missing, and fail under CI=true.
// Files run one at a time (interop tests build network namespaces and must not overlap).
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
const only = args.includes('--unit') ? 'unit' : args.includes('--interop') ? 'interop' : 'all';
const filters = args.filter((a) => !a.startsWith('--'));

function findTests(dir) {
  let out = [];
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries.sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out = out.concat(findTests(p));
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

const unit = only === 'interop' ? [] : findTests(join(root, 'dist/src'));
const interop = only === 'unit' ? [] : findTests(join(root, 'dist/test'));
let files = [...unit, ...interop];
if (filters.length > 0) files = files.filter((f) => filters.some((x) => f.includes(x)));
if (files.length === 0) {
  console.error('run-tests: found no test files under dist/ (did the build run?)');
  process.exit(1);
}

const dir = mkdtempSync(join(tmpdir(), 'metallb-ts-tests-'));
const tap = join(dir, 'results.tap');
const child = spawn(
  process.execPath,
  [
    '--test',
    '--test-concurrency=1',
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    '--test-reporter=tap',
    `--test-reporter-destination=${tap}`,
    ...files.map((f) => relative(root, f)),
  ],
  { cwd: root, stdio: 'inherit' },
);
child.on('exit', (code, signal) => {
  let counts = { pass: 0, fail: 0, skipped: 0 };
  try {
    const text = readFileSync(tap, 'utf8');
    for (const key of ['pass', 'fail', 'skipped']) {
      const m = text.match(new RegExp(`^# ${key} (\\d+)$`, 'm'));
      if (m) counts[key] = Number(m[1]);
    }
  } catch {
    /* no TAP written: the exit code below still tells */
  }
  rmSync(dir, { recursive: true, force: true });
  console.log(`tests: ${counts.pass} passed, ${counts.fail} failed, ${counts.skipped} skipped`);
  process.exit(signal ? 1 : (code ?? 1));
});
