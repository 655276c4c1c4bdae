import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { config, peer, richConfig, richNodes, seedConfig, seedNodes } from './fixtures.test-support.js';
import type { Vendor } from './render.js';
import { isVendor, renderRouterConfig, VENDORS } from './render.js';
import type { RenderOptions } from './render-options.js';
import { routerPlans } from './routers.js';

// Goldens live in the source tree (tests run from dist/src/routerconfig).
const GOLDEN_DIR = fileURLToPath(new URL('../../../src/routerconfig/testdata/', import.meta.url));
const UPDATE = process.env.UPDATE_GOLDEN === '1';

/** The seed document's Mellanox commands, in its order, without the prompts. */
const SEED_MELLANOX_LINES = [
  'no spanning-tree',
  'lldp',
  'ip routing',
  'protocol bgp',
  'router bgp 64512',
  'neighbor 10.10.10.117 remote-as 64512',
  'neighbor 10.10.10.116 remote-as 64512',
];

const scenarios = {
  seed: () => routerPlans(seedConfig, seedNodes).routers,
  rich: () => routerPlans(richConfig, richNodes).routers,
};

function golden(name: string, actual: string): void {
  const file = `${GOLDEN_DIR}${name}.golden`;
  if (UPDATE) {
    mkdirSync(GOLDEN_DIR, { recursive: true });
    writeFileSync(file, actual);
    return;
  }
  assert.ok(existsSync(file), `missing golden ${file} (run with UPDATE_GOLDEN=1)`);
  assert.equal(actual, readFileSync(file, 'utf8'));
}

describe('golden output for every vendor', () => {
  for (const [scenario, routers] of Object.entries(scenarios)) {
    for (const vendor of VENDORS) {
      test(`${scenario}.${vendor}`, () => golden(`${scenario}.${vendor}`, renderRouterConfig(vendor, routers())));
    }
  }

  test('every vendor and scenario has a golden file, and no golden is left over', () => {
    const files = readdirSync(GOLDEN_DIR).filter((f) => f.endsWith('.golden'));
    const expected = Object.keys(scenarios).flatMap((s) => VENDORS.map((v) => `${s}.${v}.golden`));
    assert.ok(files.length > 0, 'found no golden files');
    assert.deepEqual([...files].sort(), [...expected].sort());
  });
});

describe('the seed on the Mellanox switch', () => {
  test("the neighbor lines are exactly the seed's", () => {
    const lines = renderRouterConfig('onyx', scenarios.seed()).split('\n');
    assert.deepEqual(
      lines.filter((l) => l.startsWith('neighbor ')),
      SEED_MELLANOX_LINES.filter((l) => l.startsWith('neighbor ')),
    );
  });

  test("without ECMP the output is exactly the seed's lines; with ECMP only maximum-paths is added", () => {
    assert.equal(renderRouterConfig('onyx', scenarios.seed(), { ecmp: false }), `${SEED_MELLANOX_LINES.join('\n')}\n`);
    assert.equal(renderRouterConfig('onyx', scenarios.seed()), `${[...SEED_MELLANOX_LINES, 'maximum-paths 2'].join('\n')}\n`);
  });

  test('neighbors follow the order of the Node manifests', () => {
    const reversed = routerPlans(seedConfig, [...seedNodes].reverse()).routers;
    assert.deepEqual(
      renderRouterConfig('onyx', reversed).split('\n').filter((l) => l.startsWith('neighbor ')),
      ['neighbor 10.10.10.116 remote-as 64512', 'neighbor 10.10.10.117 remote-as 64512'],
    );
  });
});

describe('rendering rules', () => {
  const rich = scenarios.rich();
  const text = (vendor: Vendor, options: RenderOptions = {}): string => renderRouterConfig(vendor, rich, options);

  test('one section per router, each named in a comment when there are several', () => {
    for (const vendor of VENDORS) {
      const headers = text(vendor).split('\n').filter((l) => / router \S+ \(AS \d+\): \d+ nodes?$/.test(l));
      assert.equal(headers.length, 3, vendor);
    }
    assert.doesNotMatch(renderRouterConfig('frr', scenarios.seed()), /\(AS 64512\)/);
  });

  test('FRR: ECMP per kind and family, relaxed AS paths for several eBGP ASNs, activation per family', () => {
    const frr = text('frr');
    assert.match(frr, /address-family ipv4 unicast\n( {2}neighbor \S+ activate\n){3} {2}maximum-paths ibgp 3\n/);
    assert.match(frr, /bgp bestpath as-path multipath-relax/);
    assert.match(frr, / {2}maximum-paths 3\n exit-address-family/);
    assert.match(frr, /address-family ipv6 unicast\n {2}neighbor fd00::116 activate\n {2}neighbor fd00::117 activate\n {2}maximum-paths ibgp 2\n/);
    assert.match(frr, / neighbor 10\.10\.10\.116 password s3cret\n neighbor 10\.10\.10\.116 timers 10 30\n/);
    assert.match(frr, / neighbor 10\.10\.10\.118 ebgp-multihop\n/);
    assert.match(frr, /bfd\n profile fast\n {2}receive-interval 100\n {2}transmit-interval 150\n {2}detect-multiplier 4\n {2}passive-mode\n/);
    assert.doesNotMatch(text('frr', { ecmp: false }), /maximum-paths/);
    assert.match(text('frr', { maximumPaths: 16 }), /maximum-paths ibgp 16/);
  });

  test('ECMP settings per vendor', () => {
    assert.match(text('eos'), /maximum-paths 3 ecmp 3/);
    assert.match(text('nxos'), /maximum-paths ibgp 3/);
    assert.match(text('junos'), /group metallb-ebgp multipath multiple-as/);
    assert.match(text('junos'), /forwarding-table export metallb-ecmp/);
    assert.match(text('bird'), /merge paths on limit 3;/);
    for (const vendor of VENDORS) assert.doesNotMatch(text(vendor, { ecmp: false }), /maximum-paths|multipath|merge paths|load-balance/, vendor);
  });

  test('passwords, timers and BFD appear only for the sessions that configure them', () => {
    for (const vendor of VENDORS) {
      const out = text(vendor);
      assert.equal(out.split('s3cret').length - 1, 3, `${vendor}: password once per tor neighbor`);
      assert.doesNotMatch(renderRouterConfig(vendor, scenarios.seed()), /password|timers|hold|bfd/i, vendor);
    }
  });

  test('a non-standard peerPort: BIRD listens there, FRR says how to start bgpd', () => {
    const routers = routerPlans(config([peer({ peerPort: 1790 })]), seedNodes).routers;
    assert.match(renderRouterConfig('bird', routers), /local 10\.10\.10\.1 port 1790 as 64512;/);
    assert.match(renderRouterConfig('frr', routers), /^! the nodes dial port 1790: run bgpd with -p 1790\n/);
    assert.doesNotMatch(renderRouterConfig('bird', scenarios.seed()), / port /);
  });

  test('isVendor', () => {
    assert.equal(isVendor('frr'), true);
    assert.equal(isVendor('ios'), false);
  });
});
