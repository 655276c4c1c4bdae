/**
 * The `frr` and `bird` output is accepted by the real daemons: `vtysh --dryrun -f FILE` and
 * `bird -p -c FILE` (parse only; nothing runs, nothing listens). Skipped, with the reason, when a
 * daemon is not installed or vtysh cannot read its own configuration as this user (Debian's
 * /etc/frr/vtysh.conf is readable by root and the frr group only); scripts/run-tests.mjs fails such a
 * skip under CI, where the daemons are installed and the tests run as root.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { config, fastBfd, peer, richConfig, richNodes, seedConfig, seedNodes } from './fixtures.test-support.js';
import { renderRouterConfig } from './render.js';
import type { RouterPlan } from './routers.js';
import { routerPlans } from './routers.js';

function findBinary(candidates: readonly string[]): string | undefined {
  return candidates.find((p) => existsSync(p));
}

const VTYSH = findBinary(['/usr/bin/vtysh', '/usr/local/bin/vtysh']);
const BIRD = findBinary(['/usr/sbin/bird', '/usr/bin/bird', '/usr/local/sbin/bird']);

/**
 * Why vtysh cannot check a file here, or undefined when it can. vtysh reads its own vtysh.conf
 * first; when it cannot (a non-root user outside the frr group), it says so and still exits 0, so
 * every check would fail on that message rather than on the file under test.
 */
function vtyshUnusable(): string | undefined {
  if (!VTYSH) return 'vtysh is not installed';
  const r = check(VTYSH, (f) => ['--dryrun', '-f', f], '');
  if (r.error !== undefined) return `vtysh does not run: ${r.error}`;
  const cannotRead = /Can't open configuration file (\S+)/.exec(r.output);
  if (cannotRead) return `vtysh cannot read ${cannotRead[1] ?? 'its configuration'} as this user (run as root or in the frr group)`;
  return undefined;
}

/** Every router of every scenario, one configuration per router (each is a separate device). */
function allRouters(): { name: string; router: RouterPlan }[] {
  const echo = config([
    peer({ name: 'echo', bfdProfile: 'echo', holdTime: 0, keepaliveTime: 0, password: 'S3cr3t-p@ss_w0rd.x!' }),
    peer({ name: 'port', peerAddress: '10.10.10.6', peerPort: 1790 }),
    peer({ name: 'ebgp', peerAddress: '10.10.10.5', peerAsn: 65010, myAsn: 64512, ebgpMultiHop: true, holdTime: 3, keepaliveTime: 1 }),
  ], [{ ...fastBfd, name: 'echo', echoMode: true, passiveMode: false, minimumTtl: 250 }]);
  const scenarios = {
    seed: routerPlans(seedConfig, seedNodes).routers,
    rich: routerPlans(richConfig, richNodes).routers,
    edge: routerPlans(echo, seedNodes).routers,
  };
  return Object.entries(scenarios).flatMap(([s, routers]) => routers.map((router) => ({ name: `${s}-${router.address}`, router })));
}

function check(binary: string, args: (file: string) => string[], text: string): { status: number | null; output: string; error?: string } {
  const dir = mkdtempSync(join(tmpdir(), 'metallb-ts-routerconfig-'));
  try {
    const file = join(dir, 'router.conf');
    writeFileSync(file, text);
    const r = spawnSync(binary, args(file), { encoding: 'utf8', timeout: 20_000 });
    return { status: r.status, output: `${r.stdout}${r.stderr}`, ...(r.error ? { error: r.error.message } : {}) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('frr output is accepted by vtysh --dryrun', () => {
  const skip = vtyshUnusable() ?? false;
  for (const { name, router } of allRouters()) {
    test(name, { skip }, () => {
      assert.ok(VTYSH);
      for (const options of [{}, { ecmp: false }]) {
        const text = renderRouterConfig('frr', [router], options);
        const r = check(VTYSH, (f) => ['--dryrun', '-f', f], text);
        assert.equal(r.status, 0, `${r.output}\n--- config ---\n${text}`);
        assert.doesNotMatch(r.output, /Unknown command|% /);
      }
    });
  }

  test('vtysh --dryrun rejects a broken line (the check can fail)', { skip }, () => {
    assert.ok(VTYSH);
    const r = check(VTYSH, (f) => ['--dryrun', '-f', f], 'router bgp 64512\n neighbor 10.10.10.116 remote-az 64512\n');
    assert.notEqual(r.status, 0);
  });

  test('every neighbor activated or given attributes was declared with remote-as first', () => {
    // vtysh --dryrun parses but does not execute; bgpd would refuse these lines at load time.
    for (const { name, router } of allRouters()) {
      const declared = new Set<string>();
      for (const line of renderRouterConfig('frr', [router]).split('\n')) {
        const m = /^\s*neighbor (\S+) (\S+)/.exec(line);
        if (!m) continue;
        const [, address = '', verb] = m;
        if (verb === 'remote-as') declared.add(address);
        else assert.ok(declared.has(address), `${name}: '${line.trim()}' before remote-as`);
      }
    }
  });
});

describe('bird output is accepted by bird -p', () => {
  const skip = BIRD ? false : 'bird is not installed';
  for (const { name, router } of allRouters()) {
    test(name, { skip }, () => {
      assert.ok(BIRD);
      for (const options of [{}, { ecmp: false }]) {
        const text = renderRouterConfig('bird', [router], options);
        const r = check(BIRD, (f) => ['-p', '-c', f], text);
        assert.equal(r.status, 0, `${r.output}\n--- config ---\n${text}`);
      }
    });
  }

  test('bird -p rejects a broken line (the check can fail)', { skip }, () => {
    assert.ok(BIRD);
    const r = check(BIRD, (f) => ['-p', '-c', f], 'protocol bgp x { neighbor 10.10.10.116 az 64512; }\n');
    assert.notEqual(r.status, 0);
  });
});
