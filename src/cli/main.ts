/**
 * The `metallb-ts` command line: picks the subcommand and hands over to its module. Wiring only.
 * Each command is one row of COMMANDS; its module is loaded only when it runs.
 */

interface CommandEntry {
  /** One line for the usage text (after the command's name). */
  readonly summary: string;
  readonly run: (argv: readonly string[]) => Promise<number>;
}

const COMMANDS: Readonly<Record<string, CommandEntry>> = {
  config: {
    summary: 'validate|convert|explain PATH...  check, convert or print the MetalLB configuration',
    run: async (argv) => (await import('./config-command.js')).configCommand(argv),
  },
  plan: {
    summary: '--manifests PATH [--json]          the allocation, without opening any session',
    run: async (argv) => (await import('./plan-command.js')).planCommand(argv),
  },
  'router-config': {
    summary: "--vendor VENDOR --manifests PATH  the upstream routers' BGP configuration",
    run: async (argv) => (await import('./router-config-command.js')).routerConfigCommand(argv),
  },
  version: {
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
  const rows = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(14)} ${c.summary}`);
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
