/**
 * The `metallb-ts` command line: picks the subcommand and hands over to its module. Wiring only.
 * Each command is one row of COMMANDS; its module is loaded only when it runs.
 */

interface CommandEntry {
  /** The command's arguments, for the usage text. */
  readonly args: string;
  /** What it does, in a few words. */
  readonly summary: string;
  readonly run: (argv: readonly string[]) => Promise<number>;
}

const COMMANDS: Readonly<Record<string, CommandEntry>> = {
  run: {
    args: '--node NAME --manifests PATH...',
    summary: 'the speaker of one node, on plain manifests (standalone)',
    run: async (argv) => (await import('./run-command.js')).runCommand(argv),
  },
  controller: {
    args: '[--kubeconfig FILE] [--namespace NS] [--metrics-addr ADDR:PORT]',
    summary: "MetalLB's controller on the API server: IPs, statuses, events, leader election",
    run: async (argv) => (await import('./controller-command.js')).controllerCommand(argv),
  },
  demo: {
    args: '[--for SECONDS]',
    summary: "the seed's scenario on loopback (what `npm start` runs)",
    run: async (argv) => (await import('./demo-command.js')).demoCommand(argv),
  },
  status: {
    args: '[peers|peer ADDRESS|routes|services] [--json]',
    summary: 'the state of a running `run`',
    run: async (argv) => (await import('./status-command.js')).statusCommand(argv),
  },
  config: {
    args: 'validate|convert|explain PATH...',
    summary: 'check, convert or print the MetalLB configuration',
    run: async (argv) => (await import('./config-command.js')).configCommand(argv),
  },
  plan: {
    args: '--manifests PATH [--node NAME] [--json]',
    summary: "the allocation and each node's advertisements",
    run: async (argv) => (await import('./plan-command.js')).planCommand(argv),
  },
  'router-config': {
    args: '--vendor VENDOR --manifests PATH',
    summary: "the upstream routers' BGP configuration",
    run: async (argv) => (await import('./router-config-command.js')).routerConfigCommand(argv),
  },
  speaker: {
    args: '--node-name NAME [--kubeconfig FILE] [--namespace NS]',
    summary: 'the speaker of one node in a cluster, on the API server',
    run: async (argv) => (await import('./speaker-command.js')).speakerCommand(argv),
  },
  version: {
    args: '',
    summary: 'print the version',
    run: async () => {
      const { readFile } = await import('node:fs/promises');
      const pkg = JSON.parse(await readFile(new URL('../../../package.json', import.meta.url), 'utf8')) as {
        version: string;
      };
      process.stdout.write(`metallb-ts ${pkg.version}\n`);
      return 0;
    },
  },
};

function usage(): string {
  const rows = Object.entries(COMMANDS).map(([name, c]) => `  ${`${name} ${c.args}`.trimEnd()}\n      ${c.summary}`);
  return `usage: metallb-ts <command> [options]\n\ncommands:\n${rows.join('\n')}\n`;
}

/** Runs the CLI with `argv` (without node and script) and resolves to the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(usage());
    return command === undefined ? 2 : 0;
  }
  const name = command === '--version' ? 'version' : command;
  const entry = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!entry) {
    process.stderr.write(`metallb-ts: unknown command '${command}'\n\n${usage()}`);
    return 2;
  }
  return entry.run(rest);
}
