/**
 * The containers run exactly the `bin/metallb-ts` invocations the tests run: the manifests' command
 * and args (with `$(VAR)` expanded from the container's env as the kubelet does, the downward API
 * giving a node name and the namespace) are parsed by the commands' own flag parsers and run through
 * the real CLI with `--help`; the Dockerfile's ENTRYPOINT and CMD are the same binary; the probes and
 * ports agree with the flags.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { IContainer } from 'kubernetes-models/v1';
import { parseSpeakerFlags } from '../../src/cli/speaker-command.js';
import { parseControllerFlags } from '../../src/cli/controller-command.js';
import { REPO, renderedObjects, repoFile, repoHas, theObject, type K8sObject } from './manifests.js';

/** Where the Dockerfile puts the repository's bin/ and dist/: `/app/bin/metallb-ts` is `bin/metallb-ts` here. */
const IMAGE_ROOT = '/app/';

/** What the downward API gives in the tests: the pod's node and namespace. */
const DOWNWARD: Readonly<Record<string, string>> = { 'spec.nodeName': 'node-a', 'metadata.namespace': 'metallb-system' };

function containerOf(o: K8sObject): IContainer {
  const c = (o as unknown as { spec: { template: { spec: { containers: IContainer[] } } } }).spec.template.spec.containers[0];
  assert.ok(c, `${o.kind}/${o.metadata.name} has a container`);
  return c;
}

/** The container's environment, downward API fields resolved as the kubelet would in the tests' pod. */
function envOf(c: IContainer): Record<string, string> {
  const env: Record<string, string> = {};
  for (const e of c.env ?? []) {
    const path = e.valueFrom?.fieldRef?.fieldPath;
    const value = e.value ?? (path !== undefined ? DOWNWARD[path] : undefined);
    assert.ok(value !== undefined, `env ${e.name} resolves`);
    env[e.name] = value;
  }
  return env;
}

/** Kubernetes' `$(VAR)` expansion of command and args: defined variables are replaced, `$$` is a literal `$`. */
function expand(arg: string, env: Readonly<Record<string, string>>): string {
  return arg.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, name: string | undefined) => {
    if (m === '$$') return '$';
    const v = name !== undefined ? env[name] : undefined;
    return v ?? m;
  });
}

/** The container's argv as the kubelet starts it, with the image path mapped to this repository. */
function argvOf(c: IContainer): { bin: string; argv: string[]; env: Record<string, string> } {
  const env = envOf(c);
  const full = [...(c.command ?? []), ...(c.args ?? [])].map((a) => expand(a, env));
  const [bin = '', ...argv] = full;
  assert.ok(bin.startsWith(IMAGE_ROOT), `the command is an absolute path in the image: ${bin}`);
  const local = bin.slice(IMAGE_ROOT.length);
  assert.equal(local, 'bin/metallb-ts');
  for (const a of argv) assert.ok(!a.includes('$('), `every variable is defined: ${a}`);
  return { bin: join(REPO, local), argv, env };
}

/** Runs the real CLI with `--help` appended: the command exists and knows every flag given. */
function runsWithHelp(bin: string, argv: readonly string[]): void {
  const r = spawnSync(process.execPath, [bin, ...argv, '--help'], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 0, `metallb-ts ${argv.join(' ')} --help: ${r.stderr}`);
  assert.match(r.stdout, new RegExp(`^usage: metallb-ts ${argv[0] ?? ''}`));
}

test('the speaker DaemonSet runs `bin/metallb-ts speaker --node-name $(NODE_NAME) ...`, a valid invocation', () => {
  const c = containerOf(theObject(renderedObjects(), 'DaemonSet', 'metallb-ts-speaker'));
  const { bin, argv, env } = argvOf(c);
  assert.deepEqual(argv.slice(0, 3), ['speaker', '--node-name', 'node-a']);
  const flags = parseSpeakerFlags(argv.slice(1), env);
  assert.notEqual(flags, 'help');
  if (flags === 'help') return;
  assert.equal(flags.nodeName, 'node-a');
  assert.equal(flags.namespace, 'metallb-system');
  assert.equal(flags.kubeconfig, undefined, 'in-cluster: the service account, no kubeconfig');
  assert.equal(flags.listen, undefined, 'dials out only: port 179 would need CAP_NET_BIND_SERVICE');
  assert.deepEqual(flags.metricsAddr, { host: '::', port: 7472 });
  assert.deepEqual(flags.statusAddr, { host: '127.0.0.1', port: 7473 });
  assert.equal(c.ports?.find((p) => p.name === 'monitoring')?.containerPort, flags.metricsAddr?.port, 'the probes hit the metrics port');
  // The same env alone gives the same node and namespace (the flags' documented defaults).
  const byEnv = parseSpeakerFlags([], env);
  assert.ok(byEnv !== 'help');
  assert.deepEqual([byEnv.nodeName, byEnv.namespace], ['node-a', 'metallb-system']);
  runsWithHelp(bin, argv);
});

test('the controller Deployment runs `bin/metallb-ts controller ...`, a valid invocation', () => {
  const c = containerOf(theObject(renderedObjects(), 'Deployment', 'metallb-ts-controller'));
  const { bin, argv, env } = argvOf(c);
  assert.equal(argv[0], 'controller');
  const flags = parseControllerFlags(argv.slice(1), env);
  assert.notEqual(flags, 'help');
  if (flags === 'help') return;
  assert.equal(flags.namespace, 'metallb-system');
  assert.equal(flags.kubeconfig, undefined, 'in-cluster: the service account, no kubeconfig');
  assert.equal(flags.leaseName, 'metallb-ts-controller');
  assert.equal(flags.leaseDurationMs, 10_000);
  assert.deepEqual(flags.metricsAddr, { host: '::', port: 7472 });
  assert.equal(c.ports?.find((p) => p.name === 'monitoring')?.containerPort, flags.metricsAddr?.port, 'the probes hit the metrics port');
  const byEnv = parseControllerFlags([], env);
  assert.ok(byEnv !== 'help');
  assert.equal(byEnv.namespace, 'metallb-system');
  runsWithHelp(bin, argv);
});

test('an invocation the commands do not accept would be caught (the parsers check)', () => {
  assert.throws(() => parseSpeakerFlags(['--node-name', 'node-a', '--metrics-adr', ':7472'], {}), /metrics-adr/);
  assert.throws(() => parseSpeakerFlags(['--node-name', '$(NODE_NAME)'], {}), /node-name/);
  assert.throws(() => parseControllerFlags(['--lease-duration', 'soon'], {}), /lease-duration/);
  for (const command of ['speaker', 'controller']) {
    const r = spawnSync(process.execPath, [join(REPO, 'bin/metallb-ts'), command, '--bogus', '--help'], { encoding: 'utf8', timeout: 30_000 });
    assert.notEqual(r.status, 0, command);
  }
});

/** The Dockerfile's instructions, continuation lines joined. */
function dockerfile(): { instr: string; rest: string }[] {
  const text = repoFile('Dockerfile').replace(/\\\n/g, ' ');
  const out: { instr: string; rest: string }[] = [];
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (t === '' || t.startsWith('#')) continue;
    const m = /^(\S+)\s+(.*)$/.exec(t);
    assert.ok(m, `Dockerfile line: ${t}`);
    out.push({ instr: (m[1] ?? '').toUpperCase(), rest: m[2] ?? '' });
  }
  return out;
}

test("the Dockerfile: multi-stage, its runtime stage runs /app/bin/metallb-ts as the manifests' non-root user, its CMD a valid invocation", () => {
  const lines = dockerfile();
  const stages = lines.filter((l) => l.instr === 'FROM');
  assert.equal(stages.length, 2, 'a build stage and a runtime stage');
  assert.match(stages[0]?.rest ?? '', / AS build$/);
  assert.match(stages[1]?.rest ?? '', / AS runtime$/);
  // Only what follows the last FROM is in the image.
  const runtime = lines.slice(lines.lastIndexOf(stages[1] as { instr: string; rest: string }));
  const get = (instr: string): string[] => runtime.filter((l) => l.instr === instr).map((l) => l.rest);
  assert.deepEqual(get('WORKDIR'), ['/app']);
  assert.ok(get('RUN').some((r) => r.includes('npm ci --omit=dev')), 'production dependencies only');
  assert.ok(get('COPY').some((c) => c === 'bin ./bin'), 'bin/ at /app/bin');
  assert.ok(get('COPY').some((c) => c.startsWith('--from=build') && c.endsWith('./dist/src')), 'the compiled code from the build stage');
  const user = get('USER')[0];
  assert.equal(user, '65534:65534');
  for (const name of ['DaemonSet/metallb-ts-speaker', 'Deployment/metallb-ts-controller']) {
    const [kind, n] = name.split('/') as [string, string];
    const spec = (theObject(renderedObjects(), kind, n) as unknown as { spec: { template: { spec: { securityContext: { runAsUser: number; runAsGroup: number } } } } }).spec.template.spec;
    assert.equal(`${spec.securityContext.runAsUser}:${spec.securityContext.runAsGroup}`, user, `${name} runs as the image's user`);
  }
  const entrypoint = JSON.parse(get('ENTRYPOINT')[0] ?? '[]') as string[];
  const cmd = JSON.parse(get('CMD')[0] ?? '[]') as string[];
  assert.deepEqual(entrypoint, [`${IMAGE_ROOT}bin/metallb-ts`]);
  const r = spawnSync(process.execPath, [join(REPO, 'bin/metallb-ts'), ...cmd], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 0, `metallb-ts ${cmd.join(' ')}: ${r.stderr}`);
  assert.match(r.stdout, /^usage: metallb-ts <command>/);
  assert.match(r.stdout, /^ {2}speaker /m, 'the image lists the speaker command');
  assert.match(r.stdout, /^ {2}controller /m, 'and the controller command');
});

test('the Dockerfile copies only files that exist and that .dockerignore lets through', () => {
  const ignore = repoFile('.dockerignore')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  assert.equal(ignore[0], '**', 'everything is excluded first, then allowed by name');
  const allowed = ignore.filter((l) => l.startsWith('!')).map((l) => l.slice(1).replace(/\/\*\*$/, ''));
  for (const { instr, rest } of dockerfile()) {
    if (instr !== 'COPY' || rest.startsWith('--from=')) continue;
    const sources = rest.split(/\s+/).slice(0, -1);
    for (const s of sources) {
      assert.ok(repoHas(s), `COPY ${s}: exists`);
      assert.ok(allowed.includes(s), `COPY ${s}: allowed by .dockerignore`);
    }
  }
});
