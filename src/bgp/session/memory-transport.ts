/**
 * An in-memory network for tests: listeners and connections between named addresses inside one
 * process, delivering bytes asynchronously and in order like TCP, with a send buffer mark so that
 * backpressure (`write` returning false, then `onDrain`) happens as on a socket.
 *
 * TCP MD5 is modelled as RFC 2385 §2 has it: a connection whose password differs from the
 * listener's key for the dialling address (one of them absent included) never completes, as the
 * kernel drops the SYN. Hops are not modelled: a TTL is recorded (`MemoryNetwork.ttls`), not
 * enforced.
 */
import type { Connection, ConnectionHandlers, ConnectOptions, Listener, ListenOptions, PeerTransportOptions, Transport } from './transport.js';

interface Endpoint {
  readonly host: string;
  readonly port: number;
}

class MemoryConnection implements Connection {
  readonly localAddress: string;
  readonly localPort: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  peer: MemoryConnection | undefined;
  #handlers: ConnectionHandlers | undefined;
  #inbox: Uint8Array[] = [];
  #closedPending = false;
  #closed = false;
  #ended = false;
  #remoteEnded = false;
  #buffered = 0;
  #wantDrain = false;
  readonly #highWaterMark: number;

  constructor(local: Endpoint, remote: Endpoint, highWaterMark: number) {
    this.localAddress = local.host;
    this.localPort = local.port;
    this.remoteAddress = remote.host;
    this.remotePort = remote.port;
    this.#highWaterMark = highWaterMark;
  }

  start(handlers: ConnectionHandlers): void {
    this.#handlers = handlers;
    const inbox = this.#inbox;
    this.#inbox = [];
    for (const b of inbox) handlers.onData(b);
    if (this.#closedPending) this.#finish();
  }

  /** Bytes from the other side. */
  deliver(bytes: Uint8Array): void {
    if (this.#closed) return;
    if (this.#handlers) this.#handlers.onData(bytes);
    else this.#inbox.push(bytes);
  }

  /** The other side closed. */
  remoteClosed(): void {
    if (this.#handlers) this.#finish();
    else this.#closedPending = true;
  }

  #finish(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#handlers?.onClose();
  }

  write(bytes: Uint8Array): boolean {
    if (this.#closed || this.#ended) return false;
    const copy = Uint8Array.from(bytes);
    this.#buffered += copy.length;
    setImmediate(() => {
      this.#buffered -= copy.length;
      this.peer?.deliver(copy);
      if (this.#wantDrain && this.#buffered <= this.#highWaterMark) {
        this.#wantDrain = false;
        if (!this.#closed) this.#handlers?.onDrain();
      }
    });
    if (this.#buffered > this.#highWaterMark) {
      this.#wantDrain = true;
      return false;
    }
    return true;
  }

  get bufferedBytes(): number {
    return this.#buffered;
  }

  /** Like TCP: a FIN after the data written so far; the connection closes once both sides ended. */
  end(): void {
    if (this.#ended || this.#closed) return;
    this.#ended = true;
    // After everything written so far has been delivered (writes deliver on the next turn).
    setImmediate(() => {
      if (this.#remoteEnded) this.#closeBoth();
      else this.peer?.remoteEnded();
    });
  }

  /** The other side sent its FIN: end ours too (node's allowHalfOpen: false), or finish closing. */
  remoteEnded(): void {
    this.#remoteEnded = true;
    if (this.#ended) this.#closeBoth();
    else this.end();
  }

  destroy(): void {
    if (this.#closed) return;
    this.#closeBoth();
  }

  #closeBoth(): void {
    const peer = this.peer;
    this.peer = undefined;
    if (peer) {
      peer.peer = undefined;
      setImmediate(() => peer.remoteClosed());
    }
    setImmediate(() => this.remoteClosed());
  }
}

/** A network of in-memory hosts. */
interface MemoryListener {
  readonly onConnection: (c: Connection) => void;
  /** Options per peer address, as set by `Listener.setPeerOptions`. */
  readonly peers: Map<string, PeerTransportOptions>;
}

export class MemoryNetwork {
  readonly #listeners = new Map<string, MemoryListener>();
  #nextPort = 40000;
  /** The TTL of each connection made, dialled and accepted ones, by "local|remote" address. */
  readonly ttls = new Map<string, number | undefined>();
  /** Connections that never completed because their MD5 passwords differ. */
  md5Drops = 0;
  /** Send buffer mark per connection, in bytes. */
  highWaterMark = 16 * 1024;

  /** A transport whose connections come from `defaultLocalAddress` unless a local address is given. */
  transport(defaultLocalAddress: string): Transport {
    return {
      connect: (options: ConnectOptions, done) => {
        let cancelled = false;
        setImmediate(() => {
          if (cancelled) return;
          const listener = this.#listeners.get(`${options.host}|${options.port}`) ?? this.#listeners.get(`${wildcard(options.host)}|${options.port}`);
          if (!listener) {
            done(Object.assign(new Error(`connect ECONNREFUSED ${options.host}:${options.port}`), { code: 'ECONNREFUSED' }));
            return;
          }
          const local = { host: options.localAddress ?? defaultLocalAddress, port: this.#nextPort++ };
          const accepted = listener.peers.get(local.host);
          if (accepted?.md5Password !== options.md5Password) {
            // RFC 2385 §2: the SYN is dropped; the dialler's connect times out.
            this.md5Drops++;
            return;
          }
          this.ttls.set(`${local.host}|${options.host}`, options.ttl);
          this.ttls.set(`${options.host}|${local.host}`, accepted?.ttl);
          const onConnection = listener.onConnection;
          const remote = { host: options.host, port: options.port };
          const a = new MemoryConnection(local, remote, this.highWaterMark);
          const b = new MemoryConnection(remote, local, this.highWaterMark);
          a.peer = b;
          b.peer = a;
          onConnection(b);
          done(undefined, a);
        });
        return () => {
          cancelled = true;
        };
      },
      listen: (options: ListenOptions, onConnection) => {
        const port = options.port === 0 ? this.#nextPort++ : options.port;
        const key = `${options.host}|${port}`;
        if (this.#listeners.has(key)) return Promise.reject(Object.assign(new Error(`listen EADDRINUSE ${options.host}:${port}`), { code: 'EADDRINUSE' }));
        const peers = new Map<string, PeerTransportOptions>();
        this.#listeners.set(key, { onConnection, peers });
        const listener: Listener = {
          address: options.host,
          port,
          setPeerOptions(peerAddress, next) {
            if (next) peers.set(peerAddress, next);
            else peers.delete(peerAddress);
          },
          close: () => {
            this.#listeners.delete(key);
            return Promise.resolve();
          },
        };
        return Promise.resolve(listener);
      },
    };
  }
}

function wildcard(host: string): string {
  return host.includes(':') ? '::' : '0.0.0.0';
}
