/**
 * Helpers for the double's own tests: plain HTTP requests, a watch stream read line by line as
 * events, and finding the external clients (kubectl, Python's kubernetes) with a skip reason when
 * they are missing.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { request as httpRequest } from 'node:http';

/** JSON as a test navigates it (assertions check every value they read). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests walk response JSON freely and assert on it
export type Loose = any;

/** A response: status, parsed JSON body (or the text), headers. */
export interface Reply {
  readonly status: number;
  readonly body: Loose;
  readonly text: string;
  readonly headers: Headers;
}

/** Sends one request to the double; a JSON body is sent as application/json unless a content type is given. */
export async function call(base: string, method: string, path: string, body?: unknown, contentType = 'application/json', accept = 'application/json'): Promise<Reply> {
  const init: RequestInit = { method, headers: { 'Content-Type': contentType, Accept: accept } };
  if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
  const r = await fetch(`${base}${path}`, init);
  const text = await r.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    parsed = {};
  }
  return { status: r.status, body: parsed, text, headers: r.headers };
}

/** One watch event as the wire carries it. */
export interface WatchEvent {
  readonly type: string;
  readonly object: Loose;
}

/** An open watch: `next()` resolves with the next event, or undefined once the server ended the stream. */
export interface WatchStream {
  readonly status: number;
  next(): Promise<WatchEvent | undefined>;
  /** Resolves when the server ends the response. */
  readonly ended: Promise<void>;
  close(): void;
}

/** Opens a watch (the path carries `?watch=1&...`) and reads it line by line. */
export function openWatch(base: string, path: string): Promise<WatchStream> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${base}${path}`, { headers: { Accept: 'application/json' } }, (res: IncomingMessage) => {
      const queue: WatchEvent[] = [];
      const waiting: Array<(e: WatchEvent | undefined) => void> = [];
      let done = false;
      let buf = '';
      let endResolve: () => void = () => undefined;
      const ended = new Promise<void>((r) => (endResolve = r));
      const push = (e: WatchEvent | undefined): void => {
        const w = waiting.shift();
        if (w !== undefined) w(e);
        else if (e !== undefined) queue.push(e);
      };
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        let i: number;
        while ((i = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          if (line.trim() !== '') push(JSON.parse(line) as WatchEvent);
        }
      });
      const finish = (): void => {
        if (done) return;
        done = true;
        endResolve();
        while (waiting.length > 0) waiting.shift()?.(undefined);
      };
      res.on('end', finish);
      res.on('close', finish);
      res.on('error', finish);
      resolve({
        status: res.statusCode ?? 0,
        next: () => {
          const e = queue.shift();
          if (e !== undefined) return Promise.resolve(e);
          if (done) return Promise.resolve(undefined);
          return new Promise((r) => waiting.push(r));
        },
        ended,
        close: () => req.destroy(),
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** `/usr/bin/kubectl` (shipped with the machine image), or the reason it cannot be used. */
export function findKubectl(): { path: string } | { skip: string } {
  const path = '/usr/bin/kubectl';
  if (!existsSync(path)) return { skip: 'kubectl is not installed at /usr/bin/kubectl' };
  return { path };
}

/** A Python with the `kubernetes` package (Debian's python3-kubernetes), or the reason there is none. */
export function findPythonKubernetes(): { path: string } | { skip: string } {
  for (const path of ['/usr/bin/python3', 'python3']) {
    const r = spawnSync(path, ['-c', 'import kubernetes'], { encoding: 'utf8' });
    if (r.status === 0) return { path };
  }
  return { skip: "Python's kubernetes client is not installed (Debian package python3-kubernetes)" };
}
