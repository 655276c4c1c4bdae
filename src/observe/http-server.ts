/**
 * The operations endpoints of a running speaker over HTTP: `/metrics` (Prometheus text), `/livez`,
 * `/readyz`, and the status documents `metallb-ts status` reads (`/status/peers`,
 * `/status/peers/ADDRESS`, `/status/routes`, `/status/services`). One small server type serves any
 * subset: `run` starts one on `--metrics-addr` and one on `--status-addr` (or a single one when both
 * are the same address). Only GET and HEAD; everything else is 405. A handler that throws answers 500
 * and never takes the process down.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A response: status, content type, body. */
export interface HttpReply {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

/** Answers a GET of `path` (already split from the query); undefined means 404. */
export type RouteHandler = (path: string, query: URLSearchParams) => Promise<HttpReply | undefined> | HttpReply | undefined;

export interface OpsServer {
  readonly address: string;
  readonly port: number;
  close(): Promise<void>;
}

/** JSON reply helper. */
export function jsonReply(value: unknown, status = 200): HttpReply {
  return { status, contentType: 'application/json; charset=utf-8', body: `${JSON.stringify(value, null, 2)}\n` };
}

/** Plain-text reply helper. */
export function textReply(body: string, status = 200): HttpReply {
  return { status, contentType: 'text/plain; charset=utf-8', body };
}

/** Tries each handler in order; the first that answers wins. */
export function routes(...handlers: readonly RouteHandler[]): RouteHandler {
  return async (path, query) => {
    for (const h of handlers) {
      const r = await h(path, query);
      if (r) return r;
    }
    return undefined;
  };
}

/** Starts a server on `host:port` (port 0: the system chooses). Rejects when it cannot bind. */
export async function startOpsServer(host: string, port: number, handler: RouteHandler): Promise<OpsServer> {
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void answer(handler, req, res);
  });
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen({ host, port }, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const a = server.address() as AddressInfo;
  return {
    address: a.address,
    port: a.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function answer(handler: RouteHandler, req: IncomingMessage, res: ServerResponse): Promise<void> {
  let reply: HttpReply;
  try {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      reply = textReply('method not allowed\n', 405);
    } else {
      const url = new URL(req.url ?? '/', 'http://localhost');
      reply = (await handler(decodeURIComponent(url.pathname), url.searchParams)) ?? textReply('not found\n', 404);
    }
  } catch (err) {
    reply = textReply(`internal error: ${err instanceof Error ? err.message : String(err)}\n`, 500);
  }
  res.writeHead(reply.status, { 'content-type': reply.contentType, 'content-length': Buffer.byteLength(reply.body) });
  res.end(req.method === 'HEAD' ? undefined : reply.body);
}
