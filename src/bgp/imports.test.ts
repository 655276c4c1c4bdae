// `src/bgp` is a library: it imports nothing of the application (config, observe, speaker, ...) and of
// `src/model` only the IP types. This reads the import specifiers of every source file under src/bgp
// (tests included) and checks where each one leads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** This file runs from dist/src/bgp; the sources are in src/bgp of the repository. */
const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const bgp = join(repo, 'src/bgp');
/** Files outside src/bgp that the library may import. */
const ALLOWED = new Set([join(repo, 'src/model/ip.ts')]);
/** Packages test files may import (the library itself imports only node builtins). */
const TEST_PACKAGES = new Set(['fast-check']);
/** The one package the library itself loads, and the one file that loads it (at run time, lazily). */
const LIBRARY_PACKAGES = new Map([['koffi', join(repo, 'src/bgp/session/socket-options.ts')]]);

/** Tests and their helpers (`x.test.ts`, `test-x.ts`). */
function isTestFile(file: string): boolean {
  return file.endsWith('.test.ts') || /\/test-[^/]*\.ts$/.test(file);
}

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) for (const f of sources(p)) out.push(f);
    else if (name.endsWith('.ts')) out.push(p);
  }
  return out;
}

/** Every module specifier of `text`: static imports and re-exports, side-effect and dynamic imports. */
function specifiers(text: string): string[] {
  const out: string[] = [];
  const patterns = [
    /\b(?:import|export)\b[^'";]*?\bfrom\s*['"]([^'"]+)['"]/g,
    /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
    /\bimport\s+['"]([^'"]+)['"]/g,
    // require of a name, and a function made by createRequire called with a name: run-time loads.
    /\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
    /\bcreateRequire\s*\([^)]*\)\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const re of patterns) for (const m of text.matchAll(re)) out.push(m[1] as string);
  return out;
}

test('the import scanner sees every form of import', () => {
  const text = `import a from './a.js';\nimport type { B } from '../b.js';\nexport * from "./c.js";\nexport { d } from './d.js';\nimport './e.js';\nconst f = await import('./f.js');\nimport {\n  g,\n} from './g.js';\nconst h = require('./h.js');\nconst i = createRequire(import.meta.url)('./i.js');`;
  assert.deepEqual(specifiers(text).sort(), ['../b.js', './a.js', './c.js', './d.js', './e.js', './f.js', './g.js', './h.js', './i.js']);
});

test('src/bgp imports only itself, src/model/ip.ts and node builtins', () => {
  const files = sources(bgp);
  assert.ok(files.length > 40, `found only ${files.length} files under ${bgp}`);
  const bad: string[] = [];
  for (const file of files) {
    for (const spec of specifiers(readFileSync(file, 'utf8'))) {
      if (spec.startsWith('node:')) continue;
      if (!spec.startsWith('.')) {
        if (LIBRARY_PACKAGES.get(spec) === file) continue;
        if (!(isTestFile(file) && TEST_PACKAGES.has(spec))) bad.push(`${relative(repo, file)}: ${spec}`);
        continue;
      }
      const target = resolve(dirname(file), spec).replace(/\.js$/, '.ts');
      if (target.startsWith(bgp + '/') || ALLOWED.has(target)) continue;
      bad.push(`${relative(repo, file)}: ${spec}`);
    }
  }
  assert.deepEqual(bad, []);
});
