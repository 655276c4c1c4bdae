/**
 * The `metallb-ts` command line: parses the subcommand and hands over to its module. Wiring only.
 */

const USAGE = `usage: metallb-ts <command> [options]

commands:
  run                          the speaker of one node, on plain manifests (standalone mode)
  demo                         the seed's scenario on loopback (what \`npm start\` runs)
  status [peers|peer ADDRESS|routes|services]
                               the state of a running \`run\` (BGP peers, routes, services)
  config validate|convert|explain PATH...
                               check, convert or print the MetalLB configuration in files/folders
  router-config                the upstream routers' BGP configuration (--vendor, --manifests)
  plan --manifests PATH... [--node NAME] [--json]
                               print the IP allocation and each node's advertisements
  version                      print the version
`;

/** Runs the CLI with `argv` (without node and script) and resolves to the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const [command] = argv;
  switch (command) {
    case 'version':
    case '--version': {
      const { readFile } = await import('node:fs/promises');
      const pkg = JSON.parse(await readFile(new URL('../../../package.json', import.meta.url), 'utf8')) as {
        version: string;
      };
      process.stdout.write(`metallb-ts ${pkg.version}\n`);
      return 0;
    }
    case 'run': {
      const { runCommand } = await import('./run-command.js');
      return runCommand(argv.slice(1));
    }
    case 'status': {
      const { statusCommand } = await import('./status-command.js');
      return statusCommand(argv.slice(1));
    }
    case 'demo': {
      const { demoCommand } = await import('./demo-command.js');
      return demoCommand(argv.slice(1));
    }
    case 'config': {
      const { configCommand } = await import('./config-command.js');
      return configCommand(argv.slice(1));
    }
    case 'router-config': {
      const { routerConfigCommand } = await import('./router-config-command.js');
      return routerConfigCommand(argv.slice(1));
    }
    case 'plan': {
      const { planCommand } = await import('./plan-command.js');
      return planCommand(argv.slice(1));
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return command === undefined ? 2 : 0;
    default:
      process.stderr.write(`metallb-ts: unknown command '${command}'\n\n${USAGE}`);
      return 2;
  }
}
