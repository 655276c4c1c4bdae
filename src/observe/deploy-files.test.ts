// The shipped Prometheus rules and Grafana dashboard (deploy/) reference only metrics we export, and
// carry MetalLB's alerts. When promtool is available (PATH or $PROMTOOL), it checks the rules and runs
// their unit tests (deploy/prometheus/alerts.test.yaml) too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { METRIC_NAMES } from './metrics.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const ALERTS = join(ROOT, 'deploy/prometheus/alerts.yaml');
const ALERT_TESTS = join(ROOT, 'deploy/prometheus/alerts.test.yaml');
const DASHBOARD = join(ROOT, 'deploy/grafana/metallb-ts.json');

const EXPORTED = new Set<string>([...METRIC_NAMES.metallb, ...METRIC_NAMES.ours]);
const HISTOGRAMS = new Set<string>(['metallbts_bgp_update_latency_seconds']);

/** Metric names in a PromQL expression (ours and MetalLB's), histogram series mapped to their family. */
export function metricsIn(expr: string): string[] {
  const out: string[] = [];
  for (const m of expr.matchAll(/\b(metallb(?:ts)?_[A-Za-z0-9_]+)/g)) {
    const name = m[1] ?? '';
    const base = name.replace(/_(bucket|sum|count)$/, '');
    out.push(HISTOGRAMS.has(base) ? base : name);
  }
  return out;
}

interface Rule {
  alert?: string;
  expr: string;
  labels?: Record<string, string>;
}

test('alert rules: MetalLB chart alerts present, every referenced metric exported', () => {
  const doc = parse(readFileSync(ALERTS, 'utf8')) as { groups: { name: string; rules: Rule[] }[] };
  const rules = doc.groups.flatMap((g) => g.rules);
  const names = rules.map((r) => r.alert);
  for (const want of [
    'MetalLBStaleConfig',
    'MetalLBConfigNotLoaded',
    'MetalLBAddressPoolExhausted',
    'MetalLBAddressPoolUsage75thPercent',
    'MetalLBAddressPoolUsage85thPercent',
    'MetalLBAddressPoolUsage95thPercent',
    'MetalLBBGPSessionDown',
  ]) {
    assert.ok(names.includes(want), want);
  }
  let referenced = 0;
  for (const r of rules) {
    assert.ok(r.labels?.['severity'], `${r.alert} has a severity`);
    const metrics = metricsIn(r.expr);
    assert.ok(metrics.length > 0, `${r.alert} references a metric`);
    for (const m of metrics) assert.ok(EXPORTED.has(m), `${r.alert}: ${m} is not exported`);
    referenced += metrics.length;
  }
  assert.ok(referenced >= rules.length);
});

test('dashboard: every panel query and variable references exported metrics only', () => {
  const dash = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as {
    uid: string;
    panels: { type: string; title: string; targets?: { expr: string }[] }[];
    templating: { list: { name: string; query: unknown }[] };
  };
  assert.equal(dash.uid, 'metallb-ts');
  const seen = new Set<string>();
  const panels = dash.panels.filter((p) => p.type !== 'row');
  assert.ok(panels.length >= 10);
  for (const p of panels) {
    assert.ok(p.targets && p.targets.length > 0, `${p.title} has queries`);
    for (const t of p.targets) {
      const metrics = metricsIn(t.expr);
      assert.ok(metrics.length > 0, `${p.title}: ${t.expr}`);
      for (const m of metrics) {
        assert.ok(EXPORTED.has(m), `${p.title}: ${m} is not exported`);
        seen.add(m);
      }
    }
  }
  for (const v of dash.templating.list) for (const m of metricsIn(JSON.stringify(v.query))) assert.ok(EXPORTED.has(m), `variable ${v.name}: ${m}`);
  // The dashboard shows every MetalLB metric we export.
  for (const m of METRIC_NAMES.metallb) assert.ok(seen.has(m), `${m} on the dashboard`);
});

test('promtool checks the rules and runs their unit tests', (t) => {
  const promtool = process.env['PROMTOOL'] ?? 'promtool';
  const probe = spawnSync(promtool, ['--version'], { encoding: 'utf8' });
  if (probe.error) {
    // .ci/run installs Debian's prometheus package; under CI scripts/run-tests.mjs fails on this skip.
    t.skip('promtool not installed (Debian package prometheus, or set PROMTOOL)');
    return;
  }
  const check = spawnSync(promtool, ['check', 'rules', ALERTS], { encoding: 'utf8' });
  assert.equal(check.status, 0, check.stdout + check.stderr);
  const unit = spawnSync(promtool, ['test', 'rules', ALERT_TESTS], { encoding: 'utf8' });
  assert.equal(unit.status, 0, unit.stdout + unit.stderr);
});
