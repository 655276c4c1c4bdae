/**
 * The transport over real TCP sockets (node:net). Addresses are reported in canonical text, with
 * IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`, as a dual-stack listener reports them) written as
 * plain IPv4.
 */
import net from 'node:net';
import { canonicalIp } from '../../model/ip.js';
import type { Connection, ConnectionHandlers, ConnectOptions, Listener, ListenOptions, Transport } from './transport.js';

/** Canonical text of a socket address, IPv4-mapped IPv6 shown as IPv4. */
export function normalizeAddress(address: string | undefined): string {
  if (address === undefined) return '';
  const c = canonicalIp(address) ?? address;
  return c.startsWith('::ffff:') && c.includes('.') ? c.slice('::ffff:'.length) : c;
}

class SocketConnection implements Connection {
  readonly localAddress: string;
  readonly localPort: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly #socket: net.Socket;
  #closed = false;
  #error: Error | undefined;

  constructor(socket: net.Socket) {
    this.#socket = socket;
    this.localAddress = normalizeAddress(socket.localAddress);
    this.localPort = socket.localPort ?? 0;
    this.remoteAddress = normalizeAddress(socket.remoteAddress);
    this.remotePort = socket.remotePort ?? 0;
    socket.setNoDelay(true);
    // An error without a listener would throw out of the event loop: keep it for onClose instead.
    socket.on('error', (e) => (this.#error = e));
    // Until start() the socket stays paused and errors are held back, so nothing is lost.
    socket.pause();
  }

  start(handlers: ConnectionHandlers): void {
    const s = this.#socket;
    s.on('data', (b: Buffer) => handlers.onData(new Uint8Array(b.buffer, b.byteOffset, b.byteLength)));
    s.on('drain', () => handlers.onDrain());
    s.on('close', () => {
      if (this.#closed) return;
      this.#closed = true;
      handlers.onClose(this.#error);
    });
    // The peer closing its side: close ours too (BGP has no half-open use).
    s.on('end', () => s.end());
    if (s.destroyed) {
      this.#closed = true;
      queueMicrotask(() => handlers.onClose(this.#error));
      return;
    }
    s.resume();
  }

  write(bytes: Uint8Array): boolean {
    if (this.#socket.destroyed || this.#socket.writableEnded) return false;
    return this.#socket.write(bytes);
  }

  get bufferedBytes(): number {
    return this.#socket.writableLength;
  }

  end(): void {
    if (!this.#socket.writableEnded) this.#socket.end();
  }

  destroy(): void {
    this.#socket.destroy();
  }
}

/** The node:net transport. */
export const netTransport: Transport = {
  connect(options: ConnectOptions, done) {
    let settled = false;
    const socket = net.createConnection({
      host: options.host,
      port: options.port,
      ...(options.localAddress !== undefined ? { localAddress: options.localAddress } : {}),
    });
    const onError = (e: Error): void => {
      if (settled) return;
      settled = true;
      socket.destroy();
      done(e);
    };
    socket.once('error', onError);
    socket.once('connect', () => {
      if (settled) return;
      settled = true;
      socket.off('error', onError);
      done(undefined, new SocketConnection(socket));
    });
    return () => {
      if (settled) return;
      settled = true;
      socket.destroy();
    };
  },

  listen(options: ListenOptions, onConnection) {
    return new Promise<Listener>((resolve, reject) => {
      const server = net.createServer({ pauseOnConnect: true }, (socket) => {
        onConnection(new SocketConnection(socket));
      });
      server.once('error', reject);
      server.listen({ host: options.host, port: options.port }, () => {
        server.off('error', reject);
        // Errors after binding (e.g. out of file descriptors on accept) must not crash the process;
        // the server keeps listening.
        server.on('error', () => undefined);
        const addr = server.address();
        const bound = typeof addr === 'object' && addr !== null ? addr : { address: options.host, port: options.port };
        resolve({
          address: normalizeAddress(bound.address),
          port: bound.port,
          close: () =>
            new Promise<void>((res) => {
              server.close(() => res());
            }),
        });
      });
    });
  },
};
