/**
 * Logs as JSON lines in MetalLB's shape (go-kit): `caller` (file:line of the call), `level`, `event`,
 * `msg`, the event's own fields, and `ts` in RFC 3339 with fractional seconds, keys sorted as go-kit
 * prints them. `--log-level` takes MetalLB's values: all, debug, info, warn, error, none.
 *
 * The sink and the clock are injectable so tests read exactly what was logged.
 */
import { findSourceMap } from 'node:module';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogLevelSetting = 'all' | LogLevel | 'none';

export const LOG_LEVEL_SETTINGS: readonly LogLevelSetting[] = ['all', 'debug', 'info', 'warn', 'error', 'none'];

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };
const THRESHOLD: Record<LogLevelSetting, number> = { all: 0, debug: 0, info: 1, warn: 2, error: 3, none: 4 };

export type LogFields = Readonly<Record<string, unknown>>;

export interface Logger {
  debug(event: string, msg: string, fields?: LogFields): void;
  info(event: string, msg: string, fields?: LogFields): void;
  warn(event: string, msg: string, fields?: LogFields): void;
  error(event: string, msg: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line. */
  with(fields: LogFields): Logger;
}

export interface LoggerOptions {
  readonly level?: LogLevelSetting;
  /** Where each line goes (without newline); default: process.stdout. */
  readonly write?: (line: string) => void;
  /** Current time; default: Date.now with sub-millisecond digits from the monotonic clock. */
  readonly now?: () => string;
}

/**
 * RFC 3339 UTC time with up to nine fractional digits, trailing zeros dropped, as Go prints it
 * (`2021-04-29T22:25:21.49316365Z`): `epochMs` whole milliseconds plus `subMsNanos` (0..999999).
 */
export function rfc3339Nano(epochMs: number, subMsNanos = 0): string {
  const ms = Math.floor(epochMs);
  const iso = new Date(ms).toISOString(); // 2021-04-29T22:25:21.493Z
  const nanos = (((ms % 1000) + 1000) % 1000) * 1e6 + subMsNanos;
  const frac = String(nanos).padStart(9, '0').replace(/0+$/, '');
  return `${iso.slice(0, 19)}${frac ? `.${frac}` : ''}Z`;
}

const origin = Date.now() - performance.now();
function defaultNow(): string {
  const t = origin + performance.now();
  const ms = Math.floor(t);
  return rfc3339Nano(ms, Math.min(999999, Math.round((t - ms) * 1e6)));
}

/**
 * The `file:line` of the code that called the logger (skipping frames inside this module). With source
 * maps enabled (the CLI enables them) this names the TypeScript file and line.
 *
 * Cost: V8's structured call sites (no stack string), and the source-map lookup once per call site
 * (cached), so a line costs microseconds instead of a formatted, source-mapped stack trace each time.
 */
const callerCache = new Map<string, string>();
const THIS_MODULE = /[/\\]observe[/\\]log\.(js|ts)$/;

function callSites(): NodeJS.CallSite[] {
  const prepare = Error.prepareStackTrace;
  const limit = Error.stackTraceLimit;
  try {
    Error.stackTraceLimit = 4; // callerOf, emit, the level method, the caller
    Error.prepareStackTrace = (_e, sites) => sites;
    const holder: { stack?: unknown } = {};
    Error.captureStackTrace(holder, callSites);
    return Array.isArray(holder.stack) ? (holder.stack as NodeJS.CallSite[]) : [];
  } finally {
    Error.prepareStackTrace = prepare;
    Error.stackTraceLimit = limit;
  }
}

function callerOf(): string {
  for (const site of callSites()) {
    const file = site.getFileName() ?? '';
    if (file === '' || THIS_MODULE.test(file)) continue;
    const line = site.getLineNumber() ?? 0;
    const column = site.getColumnNumber() ?? 0;
    const key = `${file}:${line}:${column}`;
    let caller = callerCache.get(key);
    if (caller === undefined) {
      caller = `${baseName(file)}:${line}`;
      const entry = findSourceMap(file)?.findEntry(line - 1, column - 1);
      if (entry && 'originalSource' in entry && entry.originalSource) caller = `${baseName(entry.originalSource)}:${entry.originalLine + 1}`;
      callerCache.set(key, caller);
    }
    return caller;
  }
  return 'unknown:0';
}

function baseName(file: string): string {
  return file.slice(Math.max(file.lastIndexOf('/'), file.lastIndexOf('\\')) + 1);
}

/**
 * The default sink: lines collected and written to stdout together once the current job is done
 * (`setImmediate`), or every 512 lines, and on exit. stdout to a file is a synchronous write per call;
 * one reload that announces 10 000 services logs 30 000 lines, which would otherwise be 30 000
 * syscalls on the speaker's critical path. Order is kept; nothing is held past the current job.
 */
let pendingLines: string[] = [];
let flushScheduled = false;
let exitHooked = false;
function flushStdout(): void {
  flushScheduled = false;
  if (pendingLines.length === 0) return;
  const text = `${pendingLines.join('\n')}\n`;
  pendingLines = [];
  process.stdout.write(text);
}
function writeStdout(line: string): void {
  pendingLines.push(line);
  if (pendingLines.length >= 512) flushStdout();
  else if (!flushScheduled) {
    flushScheduled = true;
    if (!exitHooked) {
      exitHooked = true;
      process.on('exit', flushStdout);
    }
    setImmediate(flushStdout);
  }
}

/** JSON of a record; a replacer (several times slower) only for the rare record holding a bigint. */
function toJson(record: Record<string, unknown>): string {
  try {
    return JSON.stringify(record);
  } catch {
    return JSON.stringify(record, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  }
}

/** Creates a logger. */
export function createLogger(options: LoggerOptions = {}, base: LogFields = {}): Logger {
  const threshold = THRESHOLD[options.level ?? 'info'];
  const write = options.write ?? writeStdout;
  const now = options.now ?? defaultNow;
  const emit = (level: LogLevel, event: string, msg: string, fields?: LogFields): void => {
    if (RANK[level] < threshold) return;
    const record: Record<string, unknown> = { ...base, ...fields, caller: callerOf(), event, level, msg, ts: now() };
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(record).sort()) {
      const v = record[key];
      if (v !== undefined) sorted[key] = v instanceof Error ? v.message : v;
    }
    write(toJson(sorted));
  };
  return {
    debug: (e, m, f) => emit('debug', e, m, f),
    info: (e, m, f) => emit('info', e, m, f),
    warn: (e, m, f) => emit('warn', e, m, f),
    error: (e, m, f) => emit('error', e, m, f),
    with: (fields) => createLogger(options, { ...base, ...fields }),
  };
}

/** A logger that writes nothing. */
export const silentLogger: Logger = createLogger({ level: 'none', write: () => undefined });
