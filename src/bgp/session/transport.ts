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

export interface ConnectOptions {
  readonly host: string;
  readonly port: number;
  /** Local address to bind before connecting. */
  readonly localAddress?: string;
}

export interface ListenOptions {
  readonly host: string;
  readonly port: number;
}

/** A bound listener. */
export interface Listener {
  /** The address and port actually bound (the port is chosen by the system when 0 was asked). */
  readonly address: string;
  readonly port: number;
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
