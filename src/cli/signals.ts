/**
 * Waiting for SIGTERM/SIGINT and shutting down within a limit: the one implementation behind `run`,
 * `speaker` and `controller`.
 */
import type { Logger } from '../observe/log.js';

/** How a command shuts down on its first signal. */
export interface SignalShutdown {
  /** The info line logged at the first signal. */
  readonly message: string;
  /** Fields of that line besides the signal. */
  readonly fields?: Readonly<Record<string, unknown>>;
  /** If `shutdown` has not finished this long after the first signal, the process exits with 1, ms. */
  readonly limitMs: number;
  /** The error line logged when the limit is reached. */
  readonly overdueMessage: string;
  /** A later signal (e.g. end a drain at once); without it later signals are ignored. */
  readonly onSecondSignal?: { readonly message: string; readonly run: () => void };
}

/**
 * Resolves with exit code 0 once SIGTERM or SIGINT arrived and `shutdown` finished, 1 if it failed;
 * exits the process with 1 when it takes longer than `options.limitMs`.
 */
export function untilSignal(logger: Logger, shutdown: () => Promise<void>, options: SignalShutdown): Promise<number> {
  return new Promise((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stopping) {
        if (options.onSecondSignal) {
          logger.info('shutdown', options.onSecondSignal.message, { signal });
          options.onSecondSignal.run();
        }
        return;
      }
      stopping = true;
      logger.info('shutdown', options.message, { signal, ...options.fields });
      const hard = setTimeout(() => {
        logger.error('shutdown', options.overdueMessage);
        process.exit(1);
      }, options.limitMs);
      hard.unref();
      shutdown().then(
        () => {
          clearTimeout(hard);
          process.off('SIGTERM', onSignal);
          process.off('SIGINT', onSignal);
          resolve(0);
        },
        (err: unknown) => {
          logger.error('shutdown', 'failed to stop cleanly', { error: err instanceof Error ? err.message : String(err) });
          clearTimeout(hard);
          resolve(1);
        },
      );
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}
