/**
 * Hand-built BGP bytes and a raw-socket BGP peer for hostile-input and interop tests. Nothing here
 * uses the codec under test: messages are assembled octet by octet from RFC 4271 §4 (and RFC 5492,
 * RFC 6793, RFC 4760 for capabilities), so a codec bug cannot hide itself.
 *
 * `RawPeer` listens on a loopback address, accepts our speaker's connection, and follows a script:
 * it can behave (OPEN, KEEPALIVEs) or send any bytes at any point, and it records every message and
 * NOTIFICATION it receives and when the connection closes.
 */
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';

export function u16(n: number): number[] {
  return [(n >> 8) & 0xff, n & 0xff];
}
export function u32(n: number): number[] {
  return [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
}
export function ipv4(a: string): number[] {
  return a.split('.').map(Number);
}

/** RFC 4271 §4.1 header + body. `marker`/`length` override the correct values for hostile tests. */
export function message(type: number, body: readonly number[], o: { marker?: readonly number[]; length?: number } = {}): Buffer {
  const marker = o.marker ?? new Array<number>(16).fill(0xff);
  return Buffer.from([...marker, ...u16(o.length ?? 19 + body.length), type, ...body]);
}

/** RFC 5492 capabilities we put into OPENs by default: MP IPv4/IPv6 unicast, route refresh, 4-octet AS. */
export function defaultCapabilities(asn: number): number[][] {
  return [
    [1, 4, 0, 1, 0, 1],
    [1, 4, 0, 2, 0, 1],
    [2, 0],
    [65, 4, ...u32(asn)],
  ];
}

export interface OpenFields {
  readonly version?: number;
  readonly asn: number;
  /** The 2-octet My AS field; default the AS, or AS_TRANS when it does not fit. */
  readonly myAs?: number;
  readonly holdTime?: number;
  readonly bgpId: string;
  /** Raw optional parameters (type, length, value already joined); default one capabilities parameter per capability. */
  readonly params?: readonly number[];
}

/** RFC 4271 §4.2 OPEN. */
export function open(f: OpenFields): Buffer {
  const params = f.params ?? defaultCapabilities(f.asn).flatMap((c) => [2, c.length, ...c]);
  const myAs = f.myAs ?? (f.asn > 0xffff ? 23456 : f.asn);
  return message(1, [f.version ?? 4, ...u16(myAs), ...u16(f.holdTime ?? 90), ...ipv4(f.bgpId), params.length, ...params]);
}

export const KEEPALIVE = message(4, []);

/** One path attribute (RFC 4271 §4.3); the length octet(s) are computed unless `length` is given. */
export function attr(flags: number, type: number, value: readonly number[], length?: number): number[] {
  const ext = (flags & 0x10) !== 0;
  const len = length ?? value.length;
  return [flags, type, ...(ext ? u16(len) : [len]), ...value];
}

/** RFC 4271 §4.3 UPDATE from raw parts; `attrLength` overrides Total Path Attribute Length. */
export function update(p: { withdrawn?: readonly number[]; attrs?: readonly number[]; nlri?: readonly number[]; attrLength?: number }): Buffer {
  const w = p.withdrawn ?? [];
  const a = p.attrs ?? [];
  return message(2, [...u16(w.length), ...w, ...u16(p.attrLength ?? a.length), ...a, ...(p.nlri ?? [])]);
}

/** A well-formed eBGP path: ORIGIN IGP, AS_PATH [asn] (4-octet), NEXT_HOP. */
export function goodAttrs(asn: number, nextHop: string): number[] {
  return [...attr(0x40, 1, [0]), ...attr(0x40, 2, [2, 1, ...u32(asn)]), ...attr(0x40, 3, ipv4(nextHop))];
}

/** A received NOTIFICATION. */
export interface ReceivedNotification {
  readonly code: number;
  readonly subcode: number;
  readonly data: Buffer;
}

/** One accepted connection of a RawPeer. */
export class RawConnection {
  readonly messages: { type: number; bytes: Buffer }[] = [];
  readonly notifications: ReceivedNotification[] = [];
  closed = false;
  private buf = Buffer.alloc(0);
  private waiters: (() => void)[] = [];

  constructor(readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      while (this.buf.length >= 19) {
        const len = this.buf.readUInt16BE(16);
        if (len < 19 || this.buf.length < len) break;
        const bytes = this.buf.subarray(0, len);
        this.buf = this.buf.subarray(len);
        const type = bytes[18] ?? 0;
        this.messages.push({ type, bytes });
        if (type === 3) this.notifications.push({ code: bytes[19] ?? 0, subcode: bytes[20] ?? 0, data: bytes.subarray(21) });
      }
      this.wake();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Waits until `pred` holds (checked on every received chunk and on close). */
  async until(pred: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pred()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 250));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Waits for a message of `type` (counting from message index `from`). */
  async waitType(type: number, timeoutMs = 10_000, from = 0): Promise<Buffer> {
    await this.until(() => this.messages.slice(from).some((m) => m.type === type) || this.closed, timeoutMs, `message type ${type}`);
    const m = this.messages.slice(from).find((x) => x.type === type);
    if (!m) throw new Error(`connection closed before a message of type ${type} arrived`);
    return m.bytes;
  }

  /** Waits for the NOTIFICATION the speaker sends before closing. */
  async waitNotification(timeoutMs = 10_000): Promise<ReceivedNotification> {
    await this.until(() => this.notifications.length > 0 || this.closed, timeoutMs, 'NOTIFICATION');
    const n = this.notifications[0];
    if (!n) throw new Error('connection closed without a NOTIFICATION');
    return n;
  }

  async waitClosed(timeoutMs = 10_000): Promise<void> {
    await this.until(() => this.closed, timeoutMs, 'connection close');
  }

  send(bytes: Buffer | Uint8Array): void {
    if (!this.socket.destroyed) this.socket.write(bytes);
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/**
 * A raw BGP peer listening on a loopback address; each accepted connection is handed to `onConnection`.
 * Used both for well-behaved peers and hostile ones.
 */
export class RawPeer {
  readonly connections: RawConnection[] = [];
  private server: Server | undefined;
  private waiters: (() => void)[] = [];
  port = 0;

  constructor(
    readonly address: string,
    private readonly onConnection: (c: RawConnection, index: number) => void | Promise<void>,
  ) {}

  async listen(port = 0): Promise<this> {
    this.server = createServer((s) => {
      const c = new RawConnection(s);
      this.connections.push(c);
      for (const w of this.waiters.splice(0)) w();
      void Promise.resolve(this.onConnection(c, this.connections.length - 1)).catch(() => c.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      this.server?.once('error', reject);
      this.server?.listen({ host: this.address, port }, () => resolve());
    });
    const a = this.server.address();
    this.port = typeof a === 'object' && a ? a.port : port;
    return this;
  }

  /** Waits until the peer has accepted at least `n` connections; returns the n-th. */
  async waitConnection(n: number, timeoutMs = 15_000): Promise<RawConnection> {
    const deadline = Date.now() + timeoutMs;
    while (this.connections.length < n) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for connection #${n} on ${this.address}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 250));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.connections[n - 1] as RawConnection;
  }

  async close(): Promise<void> {
    for (const c of this.connections) c.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

/**
 * Script for a well-behaved peer: send our OPEN, answer the speaker's OPEN with a KEEPALIVE, and
 * keep sending KEEPALIVEs every `keepaliveMs` until the connection closes.
 */
export function behave(f: OpenFields, keepaliveMs = 1000): (c: RawConnection) => Promise<void> {
  return async (c) => {
    c.send(open(f));
    await c.waitType(1);
    c.send(KEEPALIVE);
    const t = setInterval(() => c.send(KEEPALIVE), keepaliveMs);
    c.socket.once('close', () => clearInterval(t));
  };
}
