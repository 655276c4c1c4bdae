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
  /**
   * One event logged from one place, for loops that log a line per service: the function logs
   * `event`/`msg` at `level` with the fields it is given. Its `caller` is captured once, at its first
   * call (where that call is written), instead of on every line, so call it from one place only. Below
   * the logger's level it is a no-op. With the default sink the line is formatted when it is written
   * (later in the same or a following turn of the event loop, `ts` still the time of the call): pass a
   * fresh `fields` object and do not change it afterwards.
   */
  bind(level: LogLevel, event: string, msg: string): (fields?: LogFields) => void;
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
/** The whole seconds of the last timestamp and their `2021-04-29T22:25:21` text (one Date per second). */
let tsSecond = NaN;
let tsPrefix = '';
function defaultNow(): string {
  return timestampAt(performance.now());
}
/** The RFC 3339 time of a `performance.now()` reading. */
function timestampAt(perfNow: number): string {
  const t = origin + perfNow;
  const ms = Math.floor(t);
  const second = Math.floor(ms / 1000);
  if (second !== tsSecond) {
    tsSecond = second;
    tsPrefix = new Date(second * 1000).toISOString().slice(0, 19);
  }
  const nanos = (ms - second * 1000) * 1e6 + Math.min(999999, Math.round((t - ms) * 1e6));
  if (nanos === 0) return `${tsPrefix}Z`;
  return `${tsPrefix}.${String(nanos).padStart(9, '0').replace(/0+$/, '')}Z`;
}

/**
 * The `file:line` of the code that called the logger. With source maps enabled (the CLI enables them)
 * this names the TypeScript file and line.
 *
 * Cost: one structured call site (V8's `CallSite`, no stack string): the capture starts above the
 * logger method that was called (`above`) and keeps a single frame, the caller's. The source-map
 * lookup is done once per call site (cached by compiled file, line and column).
 */
const callerCache = new Map<string, string>();
/** V8's structured call sites instead of a formatted stack. */
const structured = (_e: Error, sites: NodeJS.CallSite[]): NodeJS.CallSite[] => sites;

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- V8's constructorOpt is any function
function callerOf(above: Function): string {
  const prepare = Error.prepareStackTrace;
  const limit = Error.stackTraceLimit;
  const holder: { stack?: unknown } = {};
  try {
    Error.stackTraceLimit = 1;
    Error.prepareStackTrace = structured;
    Error.captureStackTrace(holder, above);
    // Read while the structured formatter is installed (V8 formats the stack on first access).
    const sites = holder.stack;
    const site = Array.isArray(sites) ? (sites[0] as NodeJS.CallSite | undefined) : undefined;
    if (!site) return 'unknown:0';
    const file = site.getFileName() ?? '';
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
  } finally {
    Error.prepareStackTrace = prepare;
    Error.stackTraceLimit = limit;
  }
}

function baseName(file: string): string {
  return file.slice(Math.max(file.lastIndexOf('/'), file.lastIndexOf('\\')) + 1);
}

/**
 * The default sink: lines queued and written to stdout in chunks, one chunk of up to 1024 lines per
 * turn of the event loop (`setImmediate`), and all of them on exit. stdout to a file is a synchronous
 * write per call; one reload that announces 10 000 services logs 30 000 lines, which would otherwise be
 * 30 000 syscalls on the speaker's critical path. A bound event's line (`bind`) is queued unformatted
 * and formatted when its chunk is written, so the formatting runs between I/O callbacks (the BGP
 * handshake, the table going out) instead of inside the reload that logs it. Order is kept.
 */
type PendingLine = string | (() => string);
let pending: PendingLine[] = [];
/** Index of the first line of `pending` not yet written. */
let pendingHead = 0;
let flushScheduled = false;
let exitHooked = false;
const LINES_PER_TURN = 1024;

function flushStdout(max = Infinity): void {
  flushScheduled = false;
  const end = Math.min(pending.length, pendingHead + max);
  if (end <= pendingHead) return;
  let text = '';
  for (let i = pendingHead; i < end; i++) {
    const line = pending[i] ?? '';
    text += `${typeof line === 'string' ? line : line()}\n`;
  }
  pendingHead = end;
  if (pendingHead >= pending.length) {
    pending = [];
    pendingHead = 0;
  } else scheduleFlush();
  process.stdout.write(text);
}
function scheduleFlush(): void {
  if (flushScheduled) return;
  flushScheduled = true;
  if (!exitHooked) {
    exitHooked = true;
    process.on('exit', () => flushStdout());
  }
  setImmediate(() => flushStdout(LINES_PER_TURN));
}
function writeStdout(line: PendingLine): void {
  pending.push(line);
  scheduleFlush();
}

/** JSON of one value; a replacer (several times slower) only for the rare value holding a bigint. */
function jsonValue(v: unknown): string | undefined {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'bigint') return `"${v.toString()}"`;
  try {
    return JSON.stringify(v);
  } catch {
    return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
  }
}

/** The keys the logger sets itself; they win over fields of the same name. */
const OWN_KEYS = new Set(['caller', 'event', 'level', 'msg', 'ts']);

/**
 * One line: the fields and the logger's own keys, sorted as go-kit prints them, written by hand (the
 * records are flat: no intermediate record, no sorted copy, one JSON.stringify per value). Undefined
 * values are left out, an Error is logged as its message, as `JSON.stringify` of the record would.
 */
function formatLine(base: LogFields, fields: LogFields | undefined, caller: string, event: string, level: LogLevel, msg: string, ts: string): string {
  const keys: string[] = ['caller', 'event', 'level', 'msg', 'ts'];
  for (const k of Object.keys(base)) if (!OWN_KEYS.has(k) && (fields === undefined || !Object.hasOwn(fields, k))) keys.push(k);
  if (fields !== undefined) for (const k of Object.keys(fields)) if (!OWN_KEYS.has(k)) keys.push(k);
  keys.sort();
  let out = '{';
  for (const k of keys) {
    let v: unknown;
    switch (k) {
      case 'caller':
        v = caller;
        break;
      case 'event':
        v = event;
        break;
      case 'level':
        v = level;
        break;
      case 'msg':
        v = msg;
        break;
      case 'ts':
        v = ts;
        break;
      default:
        v = fields !== undefined && Object.hasOwn(fields, k) ? fields[k] : base[k];
    }
    if (v === undefined) continue;
    const json = jsonValue(v instanceof Error ? v.message : v);
    if (json === undefined) continue; // a function or symbol: JSON leaves the key out
    out += `${out.length > 1 ? ',' : ''}${JSON.stringify(k)}:${json}`;
  }
  return `${out}}`;
}

/** Creates a logger. Lines below the level cost one comparison: nothing is captured or formatted. */
export function createLogger(options: LoggerOptions = {}, base: LogFields = {}): Logger {
  const threshold = THRESHOLD[options.level ?? 'info'];
  const write: (line: string) => void = options.write ?? writeStdout;
  const now = options.now ?? defaultNow;
  /** Bound lines are queued unformatted (the default sink and clock only). */
  const deferred = options.write === undefined && options.now === undefined;
  const emit = (level: LogLevel, caller: string, event: string, msg: string, fields?: LogFields): void => {
    write(formatLine(base, fields, caller, event, level, msg, now()));
  };
  // Each method names itself as where the caller's frame starts (callerOf's `above`).
  const logger: Logger = {
    debug(e, m, f) {
      if (threshold <= RANK.debug) emit('debug', callerOf(logger.debug), e, m, f);
    },
    info(e, m, f) {
      if (threshold <= RANK.info) emit('info', callerOf(logger.info), e, m, f);
    },
    warn(e, m, f) {
      if (threshold <= RANK.warn) emit('warn', callerOf(logger.warn), e, m, f);
    },
    error(e, m, f) {
      if (threshold <= RANK.error) emit('error', callerOf(logger.error), e, m, f);
    },
    with: (fields) => createLogger(options, { ...base, ...fields }),
    bind(level, event, msg) {
      if (threshold > RANK[level]) return () => undefined;
      let caller: string | undefined;
      const bound = (fields?: LogFields): void => {
        caller ??= callerOf(bound);
        if (!deferred) {
          emit(level, caller, event, msg, fields);
          return;
        }
        const c = caller;
        const at = performance.now();
        writeStdout(() => formatLine(base, fields, c, event, level, msg, timestampAt(at)));
      };
      return bound;
    },
  };
  return logger;
}

/** A logger that writes nothing. */
export const silentLogger: Logger = createLogger({ level: 'none', write: () => undefined });
