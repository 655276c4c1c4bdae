/**
 * The UDP transport of BFD: RFC 5881 (single hop, destination port 3784) and RFC 5883 (multihop,
 * port 4784). Each session sends from its own socket bound to a source port in 49152-65535
 * (RFC 5881 §4) with TTL 255 (RFC 5881 §5, GTSM). One listener per (local address, port) receives
 * and demultiplexes by Your Discriminator, or by peer address while it is zero (RFC 5880 §6.8.6).
 *
 * Limitation: RFC 5881 §5 asks a single-hop receiver to discard packets whose TTL is not 255, and
 * RFC 5883 §5 a multihop one to check a minimum TTL. That needs IP_RECVTTL / IP_MINTTL, which
 * node:dgram cannot set or read; received TTLs are therefore not checked here.
 */
import dgram from 'node:dgram';
import { isIPv6 } from 'node:net';

/** RFC 5881 §4: single-hop control packets go to UDP port 3784. */
export const BFD_SINGLE_HOP_PORT = 3784;
/** RFC 5883 §5: multihop control packets go to UDP port 4784. */
export const BFD_MULTI_HOP_PORT = 4784;
/** RFC 5881 §4: the source port range. */
export const BFD_SOURCE_PORT_MIN = 49152;
export const BFD_SOURCE_PORT_MAX = 65535;

/** Whom a received packet belongs to. */
export interface BfdReceiver {
  /** Called with the payload and the sender's address. */
  (bytes: Uint8Array, from: string): void;
}

/** A listener on one local address and port that hands payloads to the registered receiver. */
export class BfdListener {
  readonly #socket: dgram.Socket;
  readonly #byPeer = new Map<string, BfdReceiver>();

  private constructor(socket: dgram.Socket) {
    this.#socket = socket;
    socket.on('message', (msg, rinfo) => {
      this.#byPeer.get(rinfo.address)?.(msg, rinfo.address);
    });
  }

  /** Binds a listener; `port` is 3784 or 4784 (or any port in tests). */
  static async open(localAddress: string, port: number): Promise<BfdListener> {
    const socket = dgram.createSocket({ type: isIPv6(localAddress) ? 'udp6' : 'udp4', reuseAddr: true });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(port, localAddress, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    return new BfdListener(socket);
  }

  /** The bound port. */
  get port(): number {
    return this.#socket.address().port;
  }

  /** Routes packets from `peer` to `receiver`; returns the function that undoes it. */
  register(peer: string, receiver: BfdReceiver): () => void {
    this.#byPeer.set(peer, receiver);
    return () => {
      if (this.#byPeer.get(peer) === receiver) this.#byPeer.delete(peer);
    };
  }

  close(): void {
    this.#socket.close();
  }
}

/** A sending socket for one session: fixed source port in 49152-65535, TTL 255. */
export class BfdSender {
  readonly #socket: dgram.Socket;

  private constructor(socket: dgram.Socket, readonly peer: string, readonly port: number) {
    this.#socket = socket;
  }

  /** Binds to a free port of the RFC 5881 §4 range on `localAddress` (tries up to 64 ports). */
  static async open(localAddress: string, peer: string, port: number): Promise<BfdSender> {
    const span = BFD_SOURCE_PORT_MAX - BFD_SOURCE_PORT_MIN + 1;
    let lastError: unknown;
    for (let i = 0; i < 64; i++) {
      const source = BFD_SOURCE_PORT_MIN + Math.floor(Math.random() * span);
      const socket = dgram.createSocket(isIPv6(localAddress) ? 'udp6' : 'udp4');
      try {
        await new Promise<void>((resolve, reject) => {
          socket.once('error', reject);
          socket.bind(source, localAddress, () => {
            socket.off('error', reject);
            resolve();
          });
        });
        // RFC 5881 §5 / RFC 5883 §5: sent with TTL (hop limit) 255.
        socket.setTTL(255);
        return new BfdSender(socket, peer, port);
      } catch (err) {
        lastError = err;
        socket.close();
      }
    }
    throw new Error(`no free BFD source port on ${localAddress}: ${String(lastError)}`);
  }

  /** The local source port. */
  get sourcePort(): number {
    return this.#socket.address().port;
  }

  send(bytes: Uint8Array): void {
    this.#socket.send(bytes, this.port, this.peer);
  }

  close(): void {
    this.#socket.close();
  }
}
