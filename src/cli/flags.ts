/**
 * Command-line flags: a thin, strict layer over `node:util` parseArgs. Every problem becomes a
 * `UsageError` that names the flag, which the commands turn into a message on stderr and exit code 2.
 */
import { parseArgs } from 'node:util';
import { LOG_LEVEL_SETTINGS, type LogLevelSetting } from '../observe/log.js';

/** A bad command line: `flag` is the offending flag (`--node`), or undefined for a stray argument. */
export class UsageError extends Error {
  readonly flag: string | undefined;
  constructor(flag: string | undefined, message: string) {
    super(message);
    this.name = 'UsageError';
    this.flag = flag;
  }
}

/** Exit code for a bad command line (as getopt-style tools use). */
export const EXIT_USAGE = 2;

export type FlagSpec = Readonly<Record<string, { readonly type: 'string' | 'boolean'; readonly multiple?: boolean }>>;

type Values<S extends FlagSpec> = {
  [K in keyof S]?: S[K]['type'] extends 'boolean' ? boolean : S[K]['multiple'] extends true ? string[] : string;
};

/** Parses `argv` against `spec`; unknown flags, missing values and positional arguments are errors. */
export function parseFlags<S extends FlagSpec>(argv: readonly string[], spec: S): Values<S> {
  try {
    const { values } = parseArgs({ args: [...argv], options: spec, strict: true, allowPositionals: false });
    return values as Values<S>;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const flag = /'(-{1,2}[A-Za-z0-9-]+)/.exec(message)?.[1];
    throw new UsageError(flag, message);
  }
}

/** A required single-valued flag: present, non-empty. */
export function requireFlag(value: string | undefined, flag: string): string {
  if (value === undefined || value.trim() === '') throw new UsageError(flag, `${flag} is required`);
  return value;
}

/** `--log-level`: one of MetalLB's values (all, debug, info, warn, error, none); default info. */
export function logLevelFlag(value: string | undefined): LogLevelSetting {
  if (value === undefined) return 'info';
  if ((LOG_LEVEL_SETTINGS as readonly string[]).includes(value)) return value as LogLevelSetting;
  throw new UsageError('--log-level', `--log-level must be one of ${LOG_LEVEL_SETTINGS.join(', ')} (got '${value}')`);
}

/** A positive number of seconds (fractions allowed), e.g. `--for 5`. */
export function secondsFlag(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) {
    throw new UsageError(flag, `${flag} must be a positive number of seconds (got '${value}')`);
  }
  return n;
}

/** `ADDR:PORT` (`127.0.0.1:179`, `[::1]:179`, `:179` for every address) as host and port. */
export function hostPortFlag(value: string, flag: string): { host: string; port: number } {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(value);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new UsageError(flag, `${flag} must be ADDR:PORT (got '${value}')`);
  const host = m[1] ?? m[2] ?? '';
  return { host: host === '' ? '::' : host, port };
}

/** Writes a usage error the way every command does and returns the exit code. */
export function reportUsageError(command: string, err: UsageError, usage: string): number {
  process.stderr.write(`metallb-ts ${command}: ${err.message}\n\n${usage}`);
  return EXIT_USAGE;
}

/**
 * A command's flags from `parse`, or its exit code instead: 0 after printing `usage` when help was
 * asked for, EXIT_USAGE after `reportUsageError` when `parse` threw a UsageError (others propagate).
 */
export function commandFlags<T>(command: string, usage: string, parse: () => T | 'help'): { readonly flags: T } | { readonly exit: number } {
  let flags: T | 'help';
  try {
    flags = parse();
  } catch (err) {
    if (err instanceof UsageError) return { exit: reportUsageError(command, err, usage) };
    throw err;
  }
  if (flags === 'help') {
    process.stdout.write(usage);
    return { exit: 0 };
  }
  return { flags };
}
