/**
 * What the BGP library logs through: a small interface of its own, so that `metallb-ts/bgp` needs no
 * logging library and prints nothing unless its caller gives it a logger. Each line is an `event` (a
 * stable camelCase name such as `sessionUp`), a human `msg`, and structured fields. metallb-ts's own
 * logger (`src/observe/log.ts`) satisfies it as it is.
 */

/** Structured fields of one log line. */
export type BgpLogFields = Readonly<Record<string, unknown>>;

/** The logger a `Speaker` and its sessions write to. */
export interface BgpLogger {
  debug(event: string, msg: string, fields?: BgpLogFields): void;
  info(event: string, msg: string, fields?: BgpLogFields): void;
  warn(event: string, msg: string, fields?: BgpLogFields): void;
  error(event: string, msg: string, fields?: BgpLogFields): void;
  /** A logger that adds `fields` to every line (a session adds its peer). */
  with(fields: BgpLogFields): BgpLogger;
}

/** The default: logs nothing. */
export const silentBgpLogger: BgpLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  with: () => silentBgpLogger,
};
