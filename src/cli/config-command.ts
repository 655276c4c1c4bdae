/**
 * `metallb-ts config validate|convert|explain PATH...`: reads manifests (files or folders, any mix
 * of objects), and validates, converts or prints the MetalLB configuration in them. Wiring only: the
 * work is in `src/config` and `src/sources/manifests`.
 */
import { stringify } from 'yaml';
import { loadManifests } from '../sources/manifests/index.js';
import { loadClusterState, stateErrors } from '../sources/manifests/state.js';
import type { ConfigIssue } from '../config/index.js';
import type { AllocationRule } from '../allocator/types.js';
import type { ClusterState } from '../pipeline/cluster-state.js';
import { isLegacyConfigMap } from '../config/decode.js';
import { convertLegacyConfigMap, renderCrdsYaml } from '../config/convert.js';
import { defaultIo, type CommandIo } from './io.js';

export type { CommandIo };

export const CONFIG_USAGE = `usage: metallb-ts config <subcommand> PATH...

subcommands:
  validate PATH...        check the MetalLB configuration (legacy ConfigMap and/or metallb.io CRDs)
                          and the cluster objects (Services, EndpointSlices, Nodes, Namespaces) in
                          files or folders; exit 0 when valid, 1 with every error on stderr
  convert PATH            print the legacy ConfigMap as metallb.io CRDs (as MetalLB's configmaptocrs)
  explain [--json] PATH...  print the normalised configuration (YAML, or JSON with --json)
`;

/** One issue as `file:line: Kind/name: path: message (rule)`. */
export function formatIssue(issue: ConfigIssue): string {
  const place = issue.file !== undefined ? `${issue.file}${issue.line !== undefined ? `:${issue.line}` : ''}: ` : '';
  const severity = issue.severity === 'warning' ? 'warning: ' : '';
  const object = issue.object !== issue.file ? `${issue.object}: ` : '';
  const path = issue.path !== '' ? `${issue.path}: ` : '';
  const value = issue.value !== undefined && !issue.message.includes(issue.value) ? ` (got ${JSON.stringify(issue.value)})` : '';
  return `${place}${severity}${object}${path}${issue.message}${value} (${issue.rule})`;
}

/** Issues in file order (file, then line), keeping the pipeline's order otherwise. */
export function sortIssues(issues: readonly ConfigIssue[]): ConfigIssue[] {
  return issues
    .map((issue, index) => ({ issue, index }))
    .sort((a, b) => {
      const fa = a.issue.file ?? '';
      const fb = b.issue.file ?? '';
      if (fa !== fb) return fa < fb ? -1 : 1;
      const d = (a.issue.line ?? 0) - (b.issue.line ?? 0);
      return d !== 0 ? d : a.index - b.index;
    })
    .map((x) => x.issue);
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/**
 * Allocation rules that mean a Service's own request is wrong (not that the pools are full): what
 * `config validate` reports as errors of the Service.
 */
const REQUEST_RULES: ReadonlySet<AllocationRule> = new Set<AllocationRule>([
  'invalidRequestedIPs',
  'bothIPRequests',
  'requestedFamilyMismatch',
  'ipNotInPool',
  'ipsInDifferentPools',
  'requestedPoolMismatch',
  'unknownPool',
  'invalidClusterIPs',
]);

/** Services whose request cannot be met whatever else changes: an IP outside every pool, an unknown pool, ... */
function requestIssues(state: ClusterState): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const r of state.allocationReport().services) {
    if (!r.error || !REQUEST_RULES.has(r.error.rule)) continue;
    out.push({ severity: 'error', object: `Service/${r.service}`, path: '', rule: r.error.rule, message: r.error.message, ...state.origin('Service', r.service) });
  }
  return out;
}

async function validate(paths: readonly string[], io: CommandIo, explain: 'yaml' | 'json' | undefined): Promise<number> {
  const state = await loadClusterState(paths);
  const config = state.config;
  const warnings: ConfigIssue[] = [...state.configIssues.filter((e) => e.severity === 'warning')];
  for (const issues of state.sourceIssues().values()) for (const e of issues) if (e.severity === 'warning') warnings.push(e);
  for (const bad of state.invalidObjects()) for (const e of bad.issues) if (e.severity === 'warning') warnings.push(e);
  for (const w of sortIssues(warnings)) io.stderr(`${formatIssue(w)}\n`);
  const errors: ConfigIssue[] = [...stateErrors(state), ...(config && !state.configStale ? requestIssues(state) : [])];
  if (errors.length > 0 || !config) {
    for (const e of sortIssues(errors)) io.stderr(`${formatIssue(e)}\n`);
    io.stderr(`invalid: ${plural(errors.length, 'error')}\n`);
    return 1;
  }
  if (explain !== undefined) {
    // Passwords (also those resolved from Secrets) are not printed.
    const shown = { ...config, peers: config.peers.map((p) => (p.password !== undefined ? { ...p, password: '<redacted>' } : p)) };
    io.stdout(explain === 'json' ? `${JSON.stringify(shown, null, 2)}\n` : stringify(shown, { lineWidth: 0 }));
    return 0;
  }
  const found = config.peers.length + config.pools.length + config.advertisements.length + config.bfdProfiles.length;
  if (found === 0) io.stderr(`warning: no MetalLB configuration found in ${paths.join(' ')}\n`);
  io.stdout(
    `valid: ${plural(config.peers.length, 'peer')}, ${plural(config.pools.length, 'pool')}, ` +
      `${plural(config.advertisements.length, 'advertisement')}, ${plural(config.bfdProfiles.length, 'BFD profile')}, ` +
      `${plural(state.serviceCount, 'service')}${warnings.length > 0 ? `, ${plural(warnings.length, 'warning')}` : ''}\n`,
  );
  return 0;
}

async function convert(paths: readonly string[], io: CommandIo): Promise<number> {
  const set = await loadManifests(paths);
  for (const e of set.errors) io.stderr(`${e.file}${e.line > 0 ? `:${e.line}` : ''}: ${e.message} (${e.code})\n`);
  if (set.errors.length > 0) return 1;
  const configMaps = set.objects.filter((o) => isLegacyConfigMap(o.object));
  if (configMaps.length === 0) {
    io.stderr(`metallb-ts config convert: no legacy MetalLB ConfigMap (data.config) in ${paths.join(' ')}\n`);
    return 1;
  }
  let out = '';
  let failed = false;
  for (const cm of configMaps) {
    const result = convertLegacyConfigMap(cm);
    const warnings = result.warnings;
    for (const w of warnings) io.stderr(`${formatIssue(w)}\n`);
    if (!result.ok) {
      for (const e of result.errors) io.stderr(`${formatIssue(e)}\n`);
      failed = true;
      continue;
    }
    out += renderCrdsYaml(result.objects);
  }
  if (failed) return 1;
  io.stdout(out);
  return 0;
}

/** Runs `metallb-ts config ...` with `argv` after `config`; resolves to the exit code. */
export async function configCommand(argv: readonly string[], io: CommandIo = defaultIo): Promise<number> {
  const [sub, ...rest] = argv;
  const json = rest.includes('--json');
  const paths = rest.filter((a) => a !== '--json');
  const unknownFlag = paths.find((a) => a.startsWith('--'));
  if (unknownFlag !== undefined) {
    io.stderr(`metallb-ts config: unknown option ${unknownFlag}\n\n${CONFIG_USAGE}`);
    return 2;
  }
  switch (sub) {
    case 'validate':
    case 'explain':
    case 'convert':
      if (paths.length === 0 || (sub === 'convert' && paths.length !== 1)) {
        io.stderr(CONFIG_USAGE);
        return 2;
      }
      if (sub === 'convert') return convert(paths, io);
      return validate(paths, io, sub === 'explain' ? (json ? 'json' : 'yaml') : undefined);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      io.stdout(CONFIG_USAGE);
      return sub === undefined ? 2 : 0;
    default:
      io.stderr(`metallb-ts config: unknown subcommand '${sub}'\n\n${CONFIG_USAGE}`);
      return 2;
  }
}
