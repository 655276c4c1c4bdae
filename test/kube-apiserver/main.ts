/**
 * The API server double as a process:
 * `node dist/test/kube-apiserver/main.js --listen HOST:PORT [--data FILE] [--kubeconfig-out FILE]
 *  [--history N] [--bookmark-interval SECONDS]`.
 * Prints one JSON line `{"msg":"listening","url":...}` once it serves, and on SIGTERM/SIGINT closes
 * every watch, flushes the data file and exits 0, so a stop/restart with the same `--data` keeps the
 * objects and the resourceVersion counter.
 */
import { startApiServer } from './server.js';

function usage(message: string): never {
  process.stderr.write(`kube-apiserver double: ${message}\nusage: main.js --listen HOST:PORT [--data FILE] [--kubeconfig-out FILE] [--history N] [--bookmark-interval SECONDS]\n`);
  process.exit(2);
}

async function main(argv: readonly string[]): Promise<void> {
  let listen = '127.0.0.1:0';
  let data: string | undefined;
  let kubeconfig: string | undefined;
  let history: number | undefined;
  let bookmarkSeconds: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) usage(`${a} needs a value`);
      return v;
    };
    switch (a) {
      case '--listen':
        listen = value();
        break;
      case '--data':
        data = value();
        break;
      case '--kubeconfig-out':
        kubeconfig = value();
        break;
      case '--history':
        history = Number(value());
        if (!Number.isInteger(history) || history < 1) usage('--history must be a positive integer');
        break;
      case '--bookmark-interval':
        bookmarkSeconds = Number(value());
        if (!(bookmarkSeconds > 0)) usage('--bookmark-interval must be a positive number of seconds');
        break;
      case undefined:
      default:
        usage(`unknown argument ${String(a)}`);
    }
  }
  const m = /^(.*):(\d+)$/.exec(listen);
  if (!m) usage(`--listen ${listen}: expected HOST:PORT`);
  const host = (m[1] ?? '').replace(/^\[(.*)\]$/, '$1');
  const server = await startApiServer({
    host: host === '' ? '127.0.0.1' : host,
    port: Number(m[2]),
    ...(data !== undefined ? { dataFile: data } : {}),
    ...(history !== undefined ? { historySize: history } : {}),
    ...(bookmarkSeconds !== undefined ? { bookmarkIntervalMs: bookmarkSeconds * 1000 } : {}),
  });
  if (kubeconfig !== undefined) server.writeKubeconfig(kubeconfig);
  process.stdout.write(`${JSON.stringify({ msg: 'listening', url: server.url, resourceVersion: server.resourceVersion() })}\n`);
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    server.close().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`close failed: ${String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`kube-apiserver double: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
