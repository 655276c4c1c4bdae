#!/usr/bin/env node
// Renders the kustomize tree config/ into the all-in-one config/manifests/metallb-ts.yaml, with
// `kubectl kustomize config/` (kubectl 1.32 carries kustomize 5.5), under a header that says so.
// test/deploy/kustomize.test.ts checks the committed file equals this output, so the two never drift.
// Usage: node scripts/render-manifests.mjs [--check]   (--check: exit 1 if the file is out of date)
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const out = join(root, 'config/manifests/metallb-ts.yaml');
const HEADER =
  '# metallb-ts in BGP mode, all in one file: `kubectl apply -f config/manifests/metallb-ts.yaml`.\n' +
  '# Rendered from the kustomize tree config/ by `npm run manifests` (kubectl kustomize config/); do not edit.\n';

const rendered = execFileSync('kubectl', ['kustomize', join(root, 'config')], { encoding: 'utf8', maxBuffer: 64 << 20 });
const text = HEADER + rendered;
if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(out, 'utf8');
  } catch {
    /* missing: out of date */
  }
  if (current !== text) {
    console.error('config/manifests/metallb-ts.yaml is out of date: run `npm run manifests`');
    process.exit(1);
  }
} else {
  writeFileSync(out, text);
  console.log(`wrote ${out}`);
}
