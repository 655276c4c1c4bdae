#!/usr/bin/env node
// Runs the compiled test suite with node's own test runner and prints one plain closing line,
// `tests: N passed, N failed, N skipped`.
//
// Unit tests are dist/src/**/*.test.js and dist/bench/**/*.test.js (the benchmarks' own logic);
// interop tests are dist/test/**/*.test.js. Files run one at a time (interop tests build network namespaces and must not overlap). Arguments other than
// --unit/--interop keep only the files whose path (relative to the repository) contains one of them.
//
// The skip policy lives here, and only here: a test that cannot run where it is (no root, a daemon
// not installed, a file it cannot read) skips with a reason, `t.skip(reason)` or `{ skip: reason }`,
// and never checks CI itself. The runner then prints every skip, grouped by reason. A skip without
// a reason fails the run. Under CI (the CI variable set to any non-empty value) every skip fails
// the run: CI installs what the tests need, so a skip there would hide a failure.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
const only = args.includes('--unit') ? 'unit' : args.includes('--interop') ? 'interop' : 'all';
const filters = args.filter((a) => !a.startsWith('--'));
const ci = (process.env.CI ?? '') !== '';

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

const unit = only === 'interop' ? [] : [...findTests(join(root, 'dist/src')), ...findTests(join(root, 'dist/bench'))];
const interop = only === 'unit' ? [] : findTests(join(root, 'dist/test'));
let files = [...unit, ...interop].map((f) => relative(root, f));
if (filters.length > 0) files = files.filter((f) => filters.some((x) => f.includes(x)));
if (files.length === 0) {
  console.error(`run-tests: found no test files under dist/${filters.length > 0 ? ` matching ${filters.join(' ')}` : ''} (did the build run?)`);
  process.exit(1);
}

/** `dist/src/a/b.test.js` -> `src/a/b.test.ts`, the file a person opens. */
function sourceOf(file) {
  const rel = relative(root, file);
  return rel.startsWith('dist/') ? rel.slice('dist/'.length).replace(/\.js$/, '.ts') : rel;
}

/** The skips the reporter recorded, grouped by reason (in order of first appearance). */
function readSkips(path) {
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return new Map();
  }
  const byReason = new Map();
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const { file, name, reason } = JSON.parse(line);
    const key = reason ?? '';
    const list = byReason.get(key) ?? [];
    list.push(`${sourceOf(file)}: ${name}`);
    byReason.set(key, list);
  }
  return byReason;
}

function printSkips(byReason) {
  if (byReason.size === 0) return;
  console.log('\nskipped tests, by reason:');
  for (const [reason, tests] of byReason) {
    console.log(`  ${reason === '' ? '(no reason given: not allowed)' : reason}: ${tests.length}`);
    for (const t of tests) console.log(`    ${t}`);
  }
}

const dir = mkdtempSync(join(tmpdir(), 'metallb-ts-tests-'));
const tap = join(dir, 'results.tap');
const skipsFile = join(dir, 'skips.jsonl');
const child = spawn(
  process.execPath,
  [
    '--test',
    '--test-concurrency=1',
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    '--test-reporter=tap',
    `--test-reporter-destination=${tap}`,
    `--test-reporter=${join(root, 'scripts/skip-reporter.mjs')}`,
    `--test-reporter-destination=${skipsFile}`,
    ...files,
  ],
  { cwd: root, stdio: 'inherit' },
);
child.on('exit', (code, signal) => {
  const counts = { pass: 0, fail: 0, skipped: 0 };
  try {
    const text = readFileSync(tap, 'utf8');
    for (const key of ['pass', 'fail', 'skipped']) {
      const m = text.match(new RegExp(`^# ${key} (\\d+)$`, 'm'));
      if (m) counts[key] = Number(m[1]);
    }
  } catch {
    /* no TAP written: the exit code below still tells */
  }
  const skips = readSkips(skipsFile);
  rmSync(dir, { recursive: true, force: true });
  printSkips(skips);
  let exit = signal ? 1 : (code ?? 1);
  const skipped = [...skips.values()].reduce((n, l) => n + l.length, 0);
  if (skips.has('')) {
    console.log(`run-tests: ${skips.get('').length} test(s) skipped without a reason; give t.skip() the reason`);
    exit = exit || 1;
  }
  if (ci && skipped > 0) {
    console.log(`run-tests: CI is set, and ${skipped} test(s) skipped: under CI a skip fails the run (install what they need)`);
    exit = exit || 1;
  }
  console.log(`tests: ${counts.pass} passed, ${counts.fail} failed, ${counts.skipped} skipped`);
  process.exit(exit);
});
