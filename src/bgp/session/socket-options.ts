/**
 * TCP socket options that node:net does not offer, set through libc with the koffi FFI (Linux only):
 * the TCP MD5 signature key (RFC 2385, `TCP_MD5SIG`), the IP TTL / IPv6 hop limit of sent packets,
 * and sockets created, bound and put to listen here, before node:net takes their descriptor over.
 *
 * koffi is loaded on first use, not on import: a machine where it cannot load runs every session
 * that needs none of these options as before, and `socketOptionsProblem()` says why the others
 * cannot run. Every failed call throws a `SocketOptionError` naming the call, the address and the
 * errno (`EADDRINUSE`, ...), so callers can tell bind errors apart as they do with node:net's.
 */
import { createRequire } from 'node:module';
import os from 'node:os';
import { parseIp } from '../../model/ip.js';
import type { IpAddress, IpFamily } from '../../model/ip.js';
// Types only (erased): the package itself is loaded at run time, in `load()`.
import type * as Koffi from 'koffi';

// <sys/socket.h>, <netinet/in.h>, <linux/tcp.h> and <linux/in6.h> on Linux (every architecture
// node runs on shares these values).
const AF_INET = 2;
const AF_INET6 = 10;
const SOCK_STREAM = 1;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;
const SOL_SOCKET = 1;
const SO_REUSEADDR = 2;
const IPPROTO_IP = 0;
const IPPROTO_TCP = 6;
const IPPROTO_IPV6 = 41;
const IP_TTL = 2;
const IPV6_UNICAST_HOPS = 16;
const IPV6_V6ONLY = 26;
const TCP_MD5SIG = 14;
/** `struct tcp_md5sig`: sockaddr_storage (128), flags, prefixlen, keylen (u16), ifindex (int), key[80]. */
const TCP_MD5SIG_SIZE = 216;
const TCP_MD5SIG_KEYLEN_OFFSET = 130;
const TCP_MD5SIG_KEY_OFFSET = 136;

/** The longest TCP MD5 key the kernel takes (`TCP_MD5SIG_MAXKEYLEN`), in bytes. */
export const TCP_MD5_MAX_KEY_BYTES = 80;

/** A failed socket call: `code` is the errno name (`EADDRINUSE`) or `EFFIUNAVAILABLE`. */
export class SocketOptionError extends Error {
  readonly code: string;
  readonly errno?: number;
  constructor(message: string, code: string, errno?: number) {
    super(message);
    this.name = 'SocketOptionError';
    this.code = code;
    if (errno !== undefined) this.errno = errno;
  }
}

interface Libc {
  socket(domain: number, type: number, protocol: number): number;
  setsockopt(fd: number, level: number, name: number, value: Buffer, length: number): number;
  getsockopt(fd: number, level: number, name: number, value: Buffer, length: Buffer): number;
  bind(fd: number, address: Buffer, length: number): number;
  listen(fd: number, backlog: number): number;
  close(fd: number): number;
  strerror(errno: number): string;
  errno(): number;
}

let libc: Libc | undefined;
let loadProblem: string | undefined;

/** Binds the libc functions once; records why when koffi or libc cannot load. */
function load(): Libc | undefined {
  if (libc || loadProblem !== undefined) return libc;
  if (process.platform !== 'linux') {
    loadProblem = `TCP MD5 and TTL socket options are implemented for Linux only (this is ${process.platform})`;
    return undefined;
  }
  try {
    // A runtime require, so that importing this module never fails where koffi cannot load.
    const koffi = createRequire(import.meta.url)('koffi') as typeof Koffi;
    const lib = koffi.load('libc.so.6');
    const fns = {
      socket: lib.func('int socket(int, int, int)'),
      setsockopt: lib.func('int setsockopt(int, int, int, const void *, uint32_t)'),
      getsockopt: lib.func('int getsockopt(int, int, int, void *, void *)'),
      bind: lib.func('int bind(int, const void *, uint32_t)'),
      listen: lib.func('int listen(int, int)'),
      close: lib.func('int close(int)'),
      strerror: lib.func('const char *strerror(int)'),
    };
    libc = {
      socket: (d, t, p) => fns.socket(d, t, p) as number,
      setsockopt: (fd, l, n, v, len) => fns.setsockopt(fd, l, n, v, len) as number,
      getsockopt: (fd, l, n, v, len) => fns.getsockopt(fd, l, n, v, len) as number,
      bind: (fd, a, len) => fns.bind(fd, a, len) as number,
      listen: (fd, b) => fns.listen(fd, b) as number,
      close: (fd) => fns.close(fd) as number,
      strerror: (e) => fns.strerror(e) as string,
      errno: () => koffi.errno(),
    };
  } catch (e) {
    loadProblem = `the koffi FFI package cannot load (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`;
  }
  return libc;
}

/**
 * Why the socket options of this module cannot be set on this machine, or undefined when they
 * can. Loads koffi the first time.
 */
export function socketOptionsProblem(): string | undefined {
  load();
  return loadProblem;
}

function lib(what: string): Libc {
  const l = load();
  if (!l) throw new SocketOptionError(`cannot ${what}: ${loadProblem ?? 'unknown reason'}`, 'EFFIUNAVAILABLE');
  return l;
}

/** The errno name of `n` (`ECONNREFUSED`), from node's table. */
function errnoName(n: number): string {
  for (const [name, value] of Object.entries(os.constants.errno)) if (value === n) return name;
  return `E${n}`;
}

function check(l: Libc, result: number, what: string): number {
  if (result >= 0) return result;
  const errno = l.errno();
  const code = errnoName(errno);
  throw new SocketOptionError(`${what}: ${code} (${l.strerror(errno)})`, code, errno);
}

function ipOf(address: string, what: string): IpAddress {
  const ip = parseIp(address);
  if (!ip) throw new SocketOptionError(`${what}: ${address} is not an IP address`, 'EINVAL');
  return ip;
}

/**
 * `struct sockaddr_in` or `sockaddr_in6` for `address` and `port`, in the family of a socket of
 * `socketFamily`: an IPv4 address on an IPv6 socket becomes IPv4-mapped (`::ffff:a.b.c.d`).
 */
export function sockaddrOf(socketFamily: IpFamily, address: string, port: number): Buffer {
  const ip = ipOf(address, 'socket address');
  const little = os.endianness() === 'LE';
  if (socketFamily === 'ipv4') {
    if (ip.family !== 'ipv4') throw new SocketOptionError(`an IPv4 socket cannot use the IPv6 address ${address}`, 'EAFNOSUPPORT');
    const b = Buffer.alloc(16);
    if (little) b.writeUInt16LE(AF_INET, 0);
    else b.writeUInt16BE(AF_INET, 0);
    b.writeUInt16BE(port, 2); // sin_port, network byte order
    b.writeUInt32BE(Number(ip.value), 4);
    return b;
  }
  const b = Buffer.alloc(28);
  if (little) b.writeUInt16LE(AF_INET6, 0);
  else b.writeUInt16BE(AF_INET6, 0);
  b.writeUInt16BE(port, 2);
  // sin6_flowinfo (4 bytes) stays 0; sin6_addr at 8; sin6_scope_id stays 0.
  const value = ip.family === 'ipv4' ? (0xffffn << 32n) | ip.value : ip.value;
  for (let i = 0; i < 16; i++) b[8 + i] = Number((value >> BigInt(8 * (15 - i))) & 0xffn);
  return b;
}

function intOption(value: number): Buffer {
  const b = Buffer.alloc(4);
  if (os.endianness() === 'LE') b.writeInt32LE(value, 0);
  else b.writeInt32BE(value, 0);
  return b;
}

/**
 * A new non-blocking, close-on-exec TCP socket of `family`; an IPv6 socket also accepts IPv4
 * (IPV6_V6ONLY off) when `dualStack`. The caller owns the descriptor (see `closeSocket`).
 */
export function createTcpSocket(family: IpFamily, dualStack = false): number {
  const l = lib('create a TCP socket with options');
  const fd = check(l, l.socket(family === 'ipv4' ? AF_INET : AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), `socket(${family})`);
  if (family === 'ipv6') {
    try {
      check(l, l.setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, intOption(dualStack ? 0 : 1), 4), 'setsockopt(IPV6_V6ONLY)');
    } catch (e) {
      l.close(fd);
      throw e;
    }
  }
  return fd;
}

/** Closes a descriptor that was not handed to node:net. */
export function closeSocket(fd: number): void {
  const l = lib('close a socket');
  l.close(fd);
}

/** SO_REUSEADDR, as node:net sets on its listeners. */
export function setReuseAddress(fd: number): void {
  const l = lib('set SO_REUSEADDR');
  check(l, l.setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, intOption(1), 4), 'setsockopt(SO_REUSEADDR)');
}

/** Binds `fd` (a socket of `socketFamily`) to `address` and `port` (0: any port). */
export function bindSocket(fd: number, socketFamily: IpFamily, address: string, port: number): void {
  const l = lib(`bind to ${address}`);
  const sa = sockaddrOf(socketFamily, address, port);
  check(l, l.bind(fd, sa, sa.length), `bind ${address}${port !== 0 ? ` port ${port}` : ''}`);
}

/** Puts a bound socket in the listening state. */
export function listenSocket(fd: number, backlog: number): void {
  const l = lib('listen');
  check(l, l.listen(fd, backlog), 'listen');
}

/**
 * Sets (or, with `password` undefined, removes) the TCP MD5 key (RFC 2385 §4.1) that segments
 * to and from `peerAddress` are signed and checked with, on a socket of `socketFamily`. On a
 * listening socket the key applies to connections from that address, and accepted sockets
 * inherit it; on a socket about to connect, to the connection. The kernel drops every segment
 * from that address whose signature is missing or wrong (RFC 2385 §2).
 */
export function setTcpMd5Key(fd: number, socketFamily: IpFamily, peerAddress: string, password: string | undefined): void {
  const l = lib(`set the TCP MD5 password for ${peerAddress}`);
  const key = Buffer.from(password ?? '', 'utf8');
  if (key.length > TCP_MD5_MAX_KEY_BYTES) {
    throw new SocketOptionError(`TCP MD5 password for ${peerAddress} is ${key.length} bytes, the kernel takes at most ${TCP_MD5_MAX_KEY_BYTES}`, 'EINVAL');
  }
  const sig = Buffer.alloc(TCP_MD5SIG_SIZE);
  sockaddrOf(socketFamily, peerAddress, 0).copy(sig, 0);
  if (os.endianness() === 'LE') sig.writeUInt16LE(key.length, TCP_MD5SIG_KEYLEN_OFFSET);
  else sig.writeUInt16BE(key.length, TCP_MD5SIG_KEYLEN_OFFSET);
  key.copy(sig, TCP_MD5SIG_KEY_OFFSET);
  const result = l.setsockopt(fd, IPPROTO_TCP, TCP_MD5SIG, sig, sig.length);
  // Removing a key that is not there is not an error for us.
  if (result < 0 && password === undefined && l.errno() === os.constants.errno.ENOENT) return;
  check(l, result, `setsockopt(TCP_MD5SIG) for ${peerAddress}`);
}

/**
 * Sets the TTL (IPv4, IP_TTL) or hop limit (IPv6, IPV6_UNICAST_HOPS) of the packets `fd` sends
 * to a peer of `peerFamily` (an IPv4 peer on an IPv6 socket is reached over IPv4, so IP_TTL).
 */
export function setHopLimit(fd: number, peerFamily: IpFamily, ttl: number): void {
  const l = lib(`set the TTL to ${ttl}`);
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > 255) throw new SocketOptionError(`TTL ${ttl} must be 1..255`, 'EINVAL');
  if (peerFamily === 'ipv4') check(l, l.setsockopt(fd, IPPROTO_IP, IP_TTL, intOption(ttl), 4), `setsockopt(IP_TTL ${ttl})`);
  else check(l, l.setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, intOption(ttl), 4), `setsockopt(IPV6_UNICAST_HOPS ${ttl})`);
}

/** The TTL / hop limit `fd` sends with to a peer of `peerFamily` (for tests and status). */
export function hopLimitOf(fd: number, peerFamily: IpFamily): number {
  const l = lib('read the TTL');
  const value = Buffer.alloc(4);
  const length = intOption(4);
  if (peerFamily === 'ipv4') check(l, l.getsockopt(fd, IPPROTO_IP, IP_TTL, value, length), 'getsockopt(IP_TTL)');
  else check(l, l.getsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, value, length), 'getsockopt(IPV6_UNICAST_HOPS)');
  return os.endianness() === 'LE' ? value.readInt32LE(0) : value.readInt32BE(0);
}
