/**
 * The byte-stream transport a session runs over, as an interface: real TCP sockets
 * (`net-transport.ts`) or an in-memory network for tests (`memory-transport.ts`). The contract
 * suite runs the same session tests over both.
 */

/** What a connection tells its owner. Handlers are set once with `Connection.start`. */
export interface ConnectionHandlers {
  /** Bytes arrived, in order. */
  onData(bytes: Uint8Array): void;
  /** The send buffer has room again after `write` returned false. */
  onDrain(): void;
  /** The connection is closed (by either side, or failed); called once. */
  onClose(error?: Error): void;
}

/** One established byte-stream connection. */
export interface Connection {
  readonly localAddress: string;
  readonly localPort: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** Starts delivering events; nothing is delivered (or lost) before. */
  start(handlers: ConnectionHandlers): void;
  /** Queues bytes; false when the buffer is above its mark (wait for `onDrain`). */
  write(bytes: Uint8Array): boolean;
  /** Bytes written but not yet handed to the network. */
  readonly bufferedBytes: number;
  /** Sends what is queued, then closes the sending side. */
  end(): void;
  /** Closes at once, dropping anything unsent. */
  destroy(): void;
}

/** Per-peer options of a TCP connection that node:net does not offer (see `socket-options.ts`). */
export interface PeerTransportOptions {
  /** The TCP MD5 signature key (RFC 2385) of the connection; absent: no signature. */
  readonly md5Password?: string;
  /** TTL (IPv4) or hop limit (IPv6) of the packets sent to the peer, 1..255; absent: the system's. */
  readonly ttl?: number;
}

export interface ConnectOptions extends PeerTransportOptions {
  readonly host: string;
  readonly port: number;
  /** Local address to bind before connecting. */
  readonly localAddress?: string;
}

export interface ListenOptions {
  readonly host: string;
  readonly port: number;
  /**
   * An accepted connection could not be given its peer's options (see `Listener.setPeerOptions`)
   * and was closed; default: nothing is reported.
   */
  readonly onError?: (error: Error) => void;
}

/** A bound listener. */
export interface Listener {
  /** The address and port actually bound (the port is chosen by the system when 0 was asked). */
  readonly address: string;
  readonly port: number;
  /**
   * Sets the options of connections from `peerAddress` (undefined removes them): the MD5 key is set
   * on the listening socket for that address (connections from it are then accepted only with a
   * valid signature, RFC 2385 §2), the TTL on each accepted connection. Throws when they cannot be
   * set (the error names the address and why).
   */
  setPeerOptions(peerAddress: string, options: PeerTransportOptions | undefined): void;
  close(): Promise<void>;
}

export interface Transport {
  /**
   * Opens a connection; `done` is called once, with the connection or the error. The returned
   * function abandons the attempt (then `done` is never called, and a late connection is destroyed).
   */
  connect(options: ConnectOptions, done: (error: Error | undefined, connection?: Connection) => void): () => void;
  /** Listens for connections. */
  listen(options: ListenOptions, onConnection: (connection: Connection) => void): Promise<Listener>;
}
