// The byte layouts handed to the kernel (sockaddr_in, sockaddr_in6, IPv4-mapped), written as hex
// from <netinet/in.h>, not by the encoder; and the MD5 counters of /proc/net/netstat.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import { closeSocket, createTcpSocket, setTcpMd5Key, sockaddrOf, socketOptionsProblem, TCP_MD5_MAX_KEY_BYTES } from './socket-options.js';
import { parseTcpMd5Counters, tcpMd5Explanation } from './md5-counters.js';

const le = os.endianness() === 'LE';

test('sockaddr_in: family (host order), port (network order), address, 8 zero bytes', () => {
  const want = `${le ? '0200' : '0002'}00b30a0a0a01` + '00'.repeat(8);
  assert.equal(sockaddrOf('ipv4', '10.10.10.1', 179).toString('hex'), want);
});

test('sockaddr_in6: family 10, port, flowinfo 0, address, scope 0; IPv4 on an IPv6 socket is IPv4-mapped', () => {
  const head = `${le ? '0a00' : '000a'}00b3` + '00000000';
  assert.equal(sockaddrOf('ipv6', 'fd00:10::1', 179).toString('hex'), `${head}fd000010000000000000000000000001` + '00000000');
  assert.equal(sockaddrOf('ipv6', '10.10.10.1', 179).toString('hex'), `${head}00000000000000000000ffff0a0a0a01` + '00000000');
  assert.throws(() => sockaddrOf('ipv4', 'fd00::1', 0), { code: 'EAFNOSUPPORT' });
});

test('the kernel takes a key of up to 80 bytes; a longer one is refused before it; removing an absent key is no error', { skip: socketOptionsProblem() ?? false }, () => {
  const fd = createTcpSocket('ipv4');
  try {
    setTcpMd5Key(fd, 'ipv4', '127.0.0.1', 'k'.repeat(TCP_MD5_MAX_KEY_BYTES));
    assert.throws(() => setTcpMd5Key(fd, 'ipv4', '127.0.0.1', 'k'.repeat(TCP_MD5_MAX_KEY_BYTES + 1)), { code: 'EINVAL' });
    setTcpMd5Key(fd, 'ipv4', '127.0.0.1', undefined);
    setTcpMd5Key(fd, 'ipv4', '127.0.0.1', undefined);
  } finally {
    closeSocket(fd);
  }
});

// The TcpExt lines of /proc/net/netstat on Linux 6.x (trimmed around the MD5 counters).
const NETSTAT = `TcpExt: SyncookiesSent TCPSpuriousRTOs TCPMD5NotFound TCPMD5Unexpected TCPMD5Failure TCPSackShifted
TcpExt: 0 3 4 5 6 7
IpExt: InNoRoutes InTruncatedPkts
IpExt: 0 0
`;

test('parseTcpMd5Counters reads the three counters by name; undefined without them', () => {
  assert.deepEqual(parseTcpMd5Counters(NETSTAT), { notFound: 4, unexpected: 5, failure: 6 });
  assert.equal(parseTcpMd5Counters('IpExt: InNoRoutes\nIpExt: 0\n'), undefined);
  assert.equal(parseTcpMd5Counters(''), undefined);
});

test('tcpMd5Explanation names only the counters that fit the peer', () => {
  const z = { notFound: 0, unexpected: 0, failure: 0 };
  assert.match(tcpMd5Explanation(true, z, { ...z, failure: 2 }) ?? '', /TCPMD5Failure rose by 2/);
  assert.match(tcpMd5Explanation(true, z, { ...z, notFound: 1 }) ?? '', /TCPMD5NotFound rose by 1/);
  assert.equal(tcpMd5Explanation(true, z, { ...z, unexpected: 9 }), undefined);
  assert.match(tcpMd5Explanation(false, z, { ...z, unexpected: 9 }) ?? '', /TCPMD5Unexpected rose by 9/);
  assert.equal(tcpMd5Explanation(false, z, { ...z, failure: 9, notFound: 1 }), undefined);
});
