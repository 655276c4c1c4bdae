/**
 * A tiny BGP capture peer for recording what real routers send. It listens on TCP port 179 on the
 * given local addresses, answers each connection with a hand-built OPEN (built here byte by byte,
 * not by the codec under test) and KEEPALIVEs, and prints every complete message it receives as one
 * JSON line on stdout: `{"local":..., "remote":..., "type":N, "hex":"..."}`.
 *
 * Run inside a lab namespace: `ip netns exec NS node capture-peer.js '<json settings>'`, where the
 * settings are `{ "peers": [{ "local": "10.10.10.2", "asn": 65001, "bgpId": "10.10.10.2",
 * "fourOctetAs": true, "families": ["ipv4"] }] }`. It never originates routes.
 */
import { createServer } from 'node:net';
import type { Socket } from 'node:net';

interface CapturePeer {
  readonly local: string;
  readonly asn: number;
  readonly bgpId: string;
  readonly fourOctetAs: boolean;
  readonly families: readonly ('ipv4' | 'ipv6')[];
}

const settings = JSON.parse(process.argv[2] ?? '{}') as { peers: CapturePeer[]; port?: number };

function u16(n: number): number[] {
  return [(n >> 8) & 0xff, n & 0xff];
}
function u32(n: number): number[] {
  return [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
}

/** RFC 4271 §4.1 header around a body. */
function message(type: number, body: number[]): Buffer {
  return Buffer.from([...new Array<number>(16).fill(0xff), ...u16(19 + body.length), type, ...body]);
}

/** RFC 4271 §4.2 OPEN with one capabilities parameter per capability (RFC 5492), as FRR does. */
function openFor(p: CapturePeer): Buffer {
  const caps: number[][] = [];
  for (const f of p.families) caps.push([1, 4, ...u16(f === 'ipv4' ? 1 : 2), 0, 1]); // RFC 4760 §8
  caps.push([2, 0]); // RFC 2918 route refresh
  if (p.fourOctetAs) caps.push([65, 4, ...u32(p.asn)]); // RFC 6793
  const params = caps.flatMap((c) => [2, c.length, ...c]);
  const myAs = p.asn > 0xffff ? 23456 : p.asn;
  const id = p.bgpId.split('.').map(Number);
  return message(1, [4, ...u16(myAs), ...u16(90), ...id, params.length, ...params]);
}

const KEEPALIVE = message(4, []);

function emit(obj: Record<string, unknown>): void {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

function handle(sock: Socket): void {
  const local = (sock.localAddress ?? '').replace(/^::ffff:/, '');
  const remote = (sock.remoteAddress ?? '').replace(/^::ffff:/, '');
  const peer = settings.peers.find((p) => p.local === local);
  if (!peer) {
    emit({ event: 'refused', local, remote });
    sock.destroy();
    return;
  }
  emit({ event: 'connected', local, remote });
  sock.write(openFor(peer));
  let buf = Buffer.alloc(0);
  let timer: NodeJS.Timeout | undefined;
  sock.on('data', (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    while (buf.length >= 19) {
      const len = buf.readUInt16BE(16);
      if (len < 19) {
        emit({ event: 'bad-length', local, remote, len });
        sock.destroy();
        return;
      }
      if (buf.length < len) break;
      const msg = buf.subarray(0, len);
      buf = buf.subarray(len);
      const type = msg[18] ?? 0;
      emit({ event: 'message', local, remote, type, hex: msg.toString('hex') });
      if (type === 1) {
        sock.write(KEEPALIVE);
        timer = setInterval(() => sock.write(KEEPALIVE), 3000);
      }
    }
  });
  sock.on('error', () => undefined);
  sock.on('close', () => {
    if (timer) clearInterval(timer);
    emit({ event: 'closed', local, remote });
  });
}

const server = createServer(handle);
server.listen({ port: settings.port ?? 179, host: '::', ipv6Only: false }, () => emit({ event: 'listening' }));
process.on('SIGTERM', () => process.exit(0));
