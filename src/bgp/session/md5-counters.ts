/**
 * The kernel's TCP MD5 counters (Linux, `/proc/net/netstat`, per network namespace), and what their
 * rise most likely means for a peer that cannot connect. The kernel drops a segment whose MD5
 * option does not match its key without a word to either side (RFC 2385 §2), so these counters are
 * the only trace of a password mismatch on our side. They count for the whole namespace: a rise is a
 * likely explanation, never a proof, for one peer.
 */
import { readFileSync } from 'node:fs';

/** The TcpExt counters of RFC 2385 drops, since boot of the namespace. */
export interface TcpMd5Counters {
  /** Segments without an MD5 option from an address we have a key for. */
  readonly notFound: number;
  /** Segments with an MD5 option from an address we have no key for. */
  readonly unexpected: number;
  /** Segments whose MD5 signature is wrong (a different password). */
  readonly failure: number;
}

/** The counters in the text of `/proc/net/netstat`, or undefined when they are not there. */
export function parseTcpMd5Counters(text: string): TcpMd5Counters | undefined {
  const lines = text.split('\n');
  for (let i = 0; i + 1 < lines.length; i++) {
    const names = (lines[i] as string).trim().split(/\s+/);
    const values = (lines[i + 1] as string).trim().split(/\s+/);
    if (names[0] !== 'TcpExt:' || values[0] !== 'TcpExt:') continue;
    const at = (name: string): number | undefined => {
      const k = names.indexOf(name);
      const v = k > 0 ? Number(values[k]) : NaN;
      return Number.isFinite(v) ? v : undefined;
    };
    const notFound = at('TCPMD5NotFound');
    const unexpected = at('TCPMD5Unexpected');
    const failure = at('TCPMD5Failure');
    if (notFound === undefined || unexpected === undefined || failure === undefined) return undefined;
    return { notFound, unexpected, failure };
  }
  return undefined;
}

/** Reads the counters of this process's network namespace; undefined where there are none. */
export function readTcpMd5Counters(path = '/proc/net/netstat'): TcpMd5Counters | undefined {
  try {
    return parseTcpMd5Counters(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * Why a peer that is not connected most likely cannot, from the rise of the counters between
 * `before` and `after`: for a peer with a password, segments with a wrong signature
 * (TCPMD5Failure) or none (TCPMD5NotFound); for a peer without, signed segments
 * (TCPMD5Unexpected). Undefined when no counter relevant to the peer rose.
 */
export function tcpMd5Explanation(hasPassword: boolean, before: TcpMd5Counters, after: TcpMd5Counters): string | undefined {
  const failure = after.failure - before.failure;
  const notFound = after.notFound - before.notFound;
  const unexpected = after.unexpected - before.unexpected;
  if (hasPassword) {
    const parts: string[] = [];
    if (failure > 0) parts.push(`TCPMD5Failure rose by ${failure}: segments arrived signed with another password, the peer's password likely differs`);
    if (notFound > 0) parts.push(`TCPMD5NotFound rose by ${notFound}: segments arrived without a signature, the peer likely has no password set`);
    return parts.length > 0 ? `TCP MD5 (RFC 2385) drops: ${parts.join('; ')}` : undefined;
  }
  if (unexpected > 0) {
    return `TCP MD5 (RFC 2385) drops: TCPMD5Unexpected rose by ${unexpected}: signed segments arrived, the peer likely requires a password that this peer does not set`;
  }
  return undefined;
}
