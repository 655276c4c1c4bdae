/**
 * The transport over real TCP sockets (node:net). Addresses are reported in canonical text, with
 * IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`, as a dual-stack listener reports them) written as
 * plain IPv4.
 *
 * A connection with a TCP MD5 password or a TTL (`PeerTransportOptions`) is made on a socket created
 * through libc (`socket-options.ts`), with the options set before `connect()`, and handed to
 * node:net, which connects it without blocking. The listener is created the same way when the FFI
 * loads, so that MD5 keys can be set on it per peer address (accepted sockets inherit them, and get
 * their peer's TTL before they are handed on). Without the FFI, connections without a password are
 * plain node:net ones with the system's TTL (`socketOptionsProblem()` says why), and a connection
 * that needs a password fails with an error saying so.
 */
import net from 'node:net';
import { canonicalIp, parseIp } from '../../model/ip.js';
import type { IpFamily } from '../../model/ip.js';
import type { Connection, ConnectionHandlers, ConnectOptions, Listener, ListenOptions, PeerTransportOptions, Transport } from './transport.js';
import {
  bindSocket,
  closeSocket,
  createTcpSocket,
  hopLimitOf,
  listenSocket,
  setHopLimit,
  setReuseAddress,
  setTcpMd5Key,
  SocketOptionError,
  socketOptionsProblem,
} from './socket-options.js';
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
  /** The node:net socket (for `connectionHopLimit`). */
  get socket(): net.Socket {
    return this.#socket;
  }
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

/** The descriptor of a connected node:net socket (libuv's TCP handle exposes it on Unix). */
export function descriptorOf(socket: net.Socket): number {
  const fd = (socket as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) throw new SocketOptionError('the socket has no file descriptor to set options on', 'EBADF');
  return fd;
}

/**
 * The TTL / hop limit a connection of this transport sends with (undefined for another transport's
 * connection). Reads it from the kernel, so it says what is applied, not what was asked.
 */
export function connectionHopLimit(connection: Connection): number | undefined {
  if (!(connection instanceof SocketConnection)) return undefined;
  const family = parseIp(connection.remoteAddress)?.family ?? 'ipv4';
  return hopLimitOf(descriptorOf(connection.socket), family);
}

/** Calls `done` once with the connection of `socket` (connecting), or its error. */
function settle(socket: net.Socket, done: (error: Error | undefined, connection?: Connection) => void): () => void {
  let settled = false;
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
}

/** A socket created through libc with the MD5 key and TTL set, then bound to `localAddress`. */
function socketWithOptions(options: ConnectOptions, family: IpFamily): net.Socket {
  const fd = createTcpSocket(family);
  try {
    if (options.ttl !== undefined) setHopLimit(fd, family, options.ttl);
    if (options.md5Password !== undefined) setTcpMd5Key(fd, family, options.host, options.md5Password);
    if (options.localAddress !== undefined) bindSocket(fd, family, options.localAddress, 0);
    return new net.Socket({ fd });
  } catch (e) {
    closeSocket(fd);
    throw e;
  }
}

function failLater(error: Error, done: (error: Error | undefined) => void): () => void {
  let cancelled = false;
  setImmediate(() => {
    if (!cancelled) done(error);
  });
  return () => {
    cancelled = true;
  };
}

/**
 * A listener whose socket was created through libc, so that MD5 keys can be set on it per peer
 * address; accepted sockets get their peer's TTL before they are handed on.
 */
function listenWithOptions(options: ListenOptions, onConnection: (connection: Connection) => void): Promise<Listener> {
  const family: IpFamily = parseIp(options.host)?.family === 'ipv4' ? 'ipv4' : 'ipv6';
  let fd: number;
  try {
    fd = createTcpSocket(family, true);
    try {
      setReuseAddress(fd);
      bindSocket(fd, family, options.host, options.port);
      listenSocket(fd, 511);
    } catch (e) {
      closeSocket(fd);
      throw e;
    }
  } catch (e) {
    return Promise.reject(e instanceof Error ? e : new Error(String(e)));
  }
  const peers = new Map<string, PeerTransportOptions>();
  const server = net.createServer({ pauseOnConnect: true }, (socket) => {
    const remote = normalizeAddress(socket.remoteAddress);
    const ttl = peers.get(remote)?.ttl;
    if (ttl !== undefined) {
      try {
        setHopLimit(descriptorOf(socket), parseIp(remote)?.family ?? family, ttl);
      } catch (e) {
        socket.destroy();
        options.onError?.(new Error(`connection from ${remote} closed: its TTL ${ttl} cannot be set: ${(e as Error).message}`));
        return;
      }
    }
    onConnection(new SocketConnection(socket));
  });
  return new Promise<Listener>((resolve, reject) => {
    // The server's handle owns the descriptor from here (it closes it on a listen error).
    const onListenError = (e: Error): void => reject(e);
    server.once('error', onListenError);
    server.listen({ fd }, () => {
      server.off('error', onListenError);
      server.on('error', () => undefined);
      const addr = server.address();
      const bound = typeof addr === 'object' && addr !== null ? addr : { address: options.host, port: options.port };
      resolve({
        address: normalizeAddress(bound.address),
        port: bound.port,
        setPeerOptions(peerAddress, next) {
          const key = normalizeAddress(peerAddress);
          const peerFamily = parseIp(key)?.family;
          if (peerFamily === undefined) throw new SocketOptionError(`${peerAddress} is not an IP address`, 'EINVAL');
          const before = peers.get(key);
          // An IPv4 listener never sees an IPv6 peer: no key to set for it.
          if (next?.md5Password !== before?.md5Password && !(family === 'ipv4' && peerFamily === 'ipv6')) {
            setTcpMd5Key(fd, family, key, next?.md5Password);
          }
          if (next) peers.set(key, next);
          else peers.delete(key);
        },
        close: () =>
          new Promise<void>((res) => {
            server.close(() => res());
          }),
      });
    });
  });
}

/** The plain node:net listener, where the FFI cannot load. */
function listenPlain(options: ListenOptions, onConnection: (connection: Connection) => void, problem: string): Promise<Listener> {
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
        setPeerOptions(peerAddress, next) {
          if (next?.md5Password !== undefined) {
            throw new SocketOptionError(`cannot accept TCP MD5 connections from ${peerAddress}: ${problem}`, 'EFFIUNAVAILABLE');
          }
        },
        close: () =>
          new Promise<void>((res) => {
            server.close(() => res());
          }),
      });
    });
  });
}

/** The node:net transport, with libc sockets for the options node:net lacks. */
export const netTransport: Transport = {
  connect(options: ConnectOptions, done) {
    const wantsOptions = options.md5Password !== undefined || options.ttl !== undefined;
    const problem = wantsOptions ? socketOptionsProblem() : undefined;
    if (!wantsOptions || (problem !== undefined && options.md5Password === undefined)) {
      // Plain node:net: no option, or only a TTL where the FFI cannot load (the speaker warns).
      const socket = net.createConnection({
        host: options.host,
        port: options.port,
        ...(options.localAddress !== undefined ? { localAddress: options.localAddress } : {}),
      });
      return settle(socket, done);
    }
    if (problem !== undefined) {
      return failLater(new SocketOptionError(`cannot connect to ${options.host} with a TCP MD5 password: ${problem}`, 'EFFIUNAVAILABLE'), done);
    }
    const family = parseIp(options.host)?.family;
    if (family === undefined) return failLater(new SocketOptionError(`${options.host} is not an IP address`, 'EINVAL'), done);
    let socket: net.Socket;
    try {
      socket = socketWithOptions(options, family);
    } catch (e) {
      return failLater(e instanceof Error ? e : new Error(String(e)), done);
    }
    const cancel = settle(socket, done);
    socket.connect({ host: options.host, port: options.port });
    return cancel;
  },

  listen(options: ListenOptions, onConnection) {
    const problem = socketOptionsProblem();
    return problem === undefined ? listenWithOptions(options, onConnection) : listenPlain(options, onConnection, problem);
  },
};
