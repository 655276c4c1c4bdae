/**
 * `metallb-ts router-config --vendor VENDOR --manifests PATH [--manifests PATH...] [--router ADDRESS]
 * [--no-ecmp] [--maximum-paths N]`: prints the upstream routers' BGP configuration for the peers
 * and nodes in the manifests. Wiring only: reads the files, calls `routerConfigFromManifests`, prints.
 *
 * Exit codes: 0 printed; 1 the configuration is invalid, no router matched, or something had to be
 * left out (the issues go to stderr, what could be rendered still goes to stdout); 2 usage error.
 */
import { loadManifests } from '../sources/manifests/load.js';
import { isVendor, VENDORS } from '../routerconfig/render.js';
import type { RenderOptions } from '../routerconfig/render-options.js';
import { routerConfigFromManifests } from '../routerconfig/from-manifests.js';
import { defaultIo, type CommandIo } from './io.js';
import { formatIssue, sortIssues } from './config-command.js';

export type { CommandIo };

export const ROUTER_CONFIG_USAGE = `usage: metallb-ts router-config --vendor VENDOR --manifests PATH [--manifests PATH...]
                               [--router ADDRESS] [--no-ecmp] [--maximum-paths N]

Prints the BGP configuration of each upstream router (each distinct peer address) for the nodes
that peer with it, from the MetalLB configuration and Node objects in the manifests.

  --vendor VENDOR       ${VENDORS.join(', ')}
  --manifests PATH      a file or folder of manifests (repeatable)
  --router ADDRESS      only the router with this address
  --no-ecmp             leave out maximum-paths / multipath / merge paths
  --maximum-paths N     ECMP path limit (default: the number of nodes of the router)
`;

interface Args {
  vendor?: string;
  manifests: string[];
  router?: string;
  ecmp: boolean;
  maximumPaths?: number;
}

function parseArgs(argv: readonly string[]): Args | string {
  const args: Args = { manifests: [], ecmp: true };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const eq = arg.indexOf('=');
    const flag = arg.startsWith('--') && eq !== -1 ? arg.slice(0, eq) : arg;
    const inline = arg.startsWith('--') && eq !== -1 ? arg.slice(eq + 1) : undefined;
    const value = (): string | undefined => inline ?? argv[++i];
    switch (flag) {
      case '--vendor': {
        const v = value();
        if (v === undefined) return '--vendor needs a value';
        args.vendor = v;
        break;
      }
      case '--manifests': {
        const v = value();
        if (v === undefined) return '--manifests needs a value';
        args.manifests.push(v);
        break;
      }
      case '--router': {
        const v = value();
        if (v === undefined) return '--router needs a value';
        args.router = v;
        break;
      }
      case '--no-ecmp':
        args.ecmp = false;
        break;
      case '--maximum-paths': {
        const v = value();
        const n = Number(v);
        if (v === undefined || !/^[1-9][0-9]*$/.test(v) || n > 1024) return '--maximum-paths needs a whole number from 1 to 1024';
        args.maximumPaths = n;
        break;
      }
      default:
        return `unknown argument '${arg}'`;
    }
  }
  return args;
}

/** Runs `router-config` with its arguments (after the subcommand) and resolves to the exit code. */
export async function routerConfigCommand(argv: readonly string[], io: CommandIo = defaultIo): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.stdout(ROUTER_CONFIG_USAGE);
    return 0;
  }
  const args = parseArgs(argv);
  if (typeof args === 'string') {
    io.stderr(`metallb-ts router-config: ${args}\n\n${ROUTER_CONFIG_USAGE}`);
    return 2;
  }
  if (args.vendor === undefined || !isVendor(args.vendor)) {
    const why = args.vendor === undefined ? '--vendor is required' : `unknown vendor '${args.vendor}'`;
    io.stderr(`metallb-ts router-config: ${why} (one of ${VENDORS.join(', ')})\n`);
    return 2;
  }
  if (args.manifests.length === 0) {
    io.stderr(`metallb-ts router-config: --manifests is required\n\n${ROUTER_CONFIG_USAGE}`);
    return 2;
  }

  const set = await loadManifests(args.manifests);
  const options: RenderOptions = { ecmp: args.ecmp, ...(args.maximumPaths !== undefined ? { maximumPaths: args.maximumPaths } : {}) };
  const result = routerConfigFromManifests(set, {
    vendor: args.vendor,
    ...(args.router !== undefined ? { router: args.router } : {}),
    options,
  });
  if (!result.ok) {
    for (const e of result.configErrors) {
      const where = e.file !== undefined ? `${e.file}${e.line !== undefined ? `:${e.line}` : ''}: ` : '';
      io.stderr(`metallb-ts router-config: ${where}${e.object}${e.path ? ` ${e.path}` : ''}: ${e.message} (${e.rule})\n`);
    }
    return 1;
  }
  for (const w of sortIssues(result.configWarnings)) io.stderr(`metallb-ts router-config: ${formatIssue(w)}\n`);
  for (const i of result.issues) io.stderr(`metallb-ts router-config: ${i.severity}: ${i.message} (${i.rule})\n`);
  if (result.routers.length === 0) {
    io.stderr(
      `metallb-ts router-config: ${args.router !== undefined ? `no peer has the address ${args.router}` : 'the manifests configure no BGP peer'}\n`,
    );
    return 1;
  }
  io.stdout(result.text);
  return result.issues.some((i) => i.severity === 'error') ? 1 : 0;
}
