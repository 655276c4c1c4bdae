/**
 * Child processes of the demo (one speaker per node): started with their output read line by line,
 * stopped with SIGTERM and, if they do not exit within a grace period, SIGKILL. Each child is ended by
 * its own pid, never by name.
 */
import { spawn, type ChildProcess } from 'node:child_process';

/** How a child ended. */
export interface ChildExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface ChildHandle {
  readonly name: string;
  readonly pid: number | undefined;
  /** Resolves when the process has exited. */
  readonly exited: Promise<ChildExit>;
  /** Whether it has exited. */
  readonly hasExited: () => boolean;
  /**
   * Sends SIGTERM, then SIGKILL after `graceMs` if it is still running; resolves with how it ended and
   * whether it had to be killed.
   */
  stop(graceMs?: number): Promise<ChildExit & { readonly killed: boolean }>;
}

export interface StartOptions {
  /** Called with each complete line of stdout or stderr (without the newline). */
  readonly onLine: (stream: 'stdout' | 'stderr', line: string) => void;
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
}

/** Splits a byte stream into lines; `flush` hands over a last line that had no newline. */
export function lineSplitter(onLine: (line: string) => void): { push(chunk: Buffer | string): void; flush(): void } {
  let rest = '';
  return {
    push(chunk) {
      rest += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
      let i = rest.indexOf('\n');
      while (i !== -1) {
        onLine(rest.slice(0, i).replace(/\r$/, ''));
        rest = rest.slice(i + 1);
        i = rest.indexOf('\n');
      }
    },
    flush() {
      if (rest !== '') onLine(rest);
      rest = '';
    },
  };
}

/** Starts `command args` as a child named `name`. */
export function startChild(name: string, command: string, args: readonly string[], options: StartOptions): ChildHandle {
  const child: ChildProcess = spawn(command, [...args], {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let done = false;
  const out = lineSplitter((l) => options.onLine('stdout', l));
  const err = lineSplitter((l) => options.onLine('stderr', l));
  child.stdout?.on('data', (c: Buffer) => out.push(c));
  child.stderr?.on('data', (c: Buffer) => err.push(c));
  const exited = new Promise<ChildExit>((resolve) => {
    child.on('error', (e) => {
      options.onLine('stderr', `${name}: ${e.message}`);
      done = true;
      resolve({ code: null, signal: null });
    });
    // 'close' comes after the output streams ended, so every line has been handed over by then.
    child.on('close', (code, signal) => {
      out.flush();
      err.flush();
      done = true;
      resolve({ code, signal });
    });
  });
  return {
    name,
    pid: child.pid,
    exited,
    hasExited: () => done,
    async stop(graceMs = 2000) {
      if (done) return { ...(await exited), killed: false };
      child.kill('SIGTERM');
      let killed = false;
      const timer = setTimeout(() => {
        killed = true;
        child.kill('SIGKILL');
      }, graceMs);
      const result = await exited;
      clearTimeout(timer);
      return { ...result, killed };
    },
  };
}
