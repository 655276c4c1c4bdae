/**
 * Test-only builders of session snapshots for the metrics and status tests: a plain `SessionStatus`
 * with every field set to a neutral value, overridden per test.
 */
import type { MessageCounts, SessionCounters, SessionStatus } from '../bgp/session/session.js';

export function counts(partial: Partial<MessageCounts> = {}): MessageCounts {
  return { open: 0, update: 0, notification: 0, keepalive: 0, routeRefresh: 0, ...partial };
}

export function counters(partial: Partial<SessionCounters> = {}): SessionCounters {
  return {
    messagesSent: counts(),
    messagesReceived: counts(),
    prefixesAnnounced: 0,
    prefixesWithdrawn: 0,
    prefixesReceived: 0,
    withdrawalsReceived: 0,
    updateErrorsReceived: 0,
    notificationsSent: {},
    notificationsReceived: {},
    flaps: 0,
    connectAttempts: 0,
    connectFailures: 0,
    connectionsAccepted: 0,
    collisions: 0,
    ...partial,
  };
}

/** An Established iBGP session to 10.10.10.117:179 unless overridden. */
export function sessionStatus(partial: Partial<SessionStatus> = {}): SessionStatus {
  return {
    name: 'peer1',
    peer: '10.10.10.117:179',
    peerAddress: '10.10.10.117',
    peerPort: 179,
    passive: false,
    state: 'Established',
    stateSince: 1_000_000,
    uptimeMs: 65_000,
    localAsn: 64512,
    peerAsn: 64512,
    localAddress: '10.10.10.116',
    localPort: 40000,
    remoteAddress: '10.10.10.117',
    remotePort: 179,
    localRouterId: '10.10.10.116',
    remoteRouterId: '10.10.10.117',
    holdTime: { configured: 90, negotiated: 90 },
    keepaliveTime: { configured: 30, negotiated: 30 },
    capabilities: {
      advertised: [{ kind: 'multiprotocol', afi: 1, safi: 1 }, { kind: 'routeRefresh' }, { kind: 'fourOctetAs', asn: 64512 }],
      received: [{ kind: 'multiprotocol', afi: 1, safi: 1 }, { kind: 'fourOctetAs', asn: 64512 }],
    },
    families: ['ipv4'],
    fourOctetAs: true,
    extendedMessage: false,
    counters: counters({ messagesSent: counts({ open: 1, update: 3, keepalive: 4 }), messagesReceived: counts({ open: 1, keepalive: 5 }) }),
    prefixesDesired: 2,
    prefixesAdvertised: 2,
    prefixesNotSent: 0,
    pendingBytes: 0,
    lastRead: 1_060_000,
    lastWrite: 1_062_000,
    ...partial,
  };
}

/** Parses the text exposition into `name{labels}` → value, and `name` → TYPE. */
export function parseExposition(text: string): { values: Map<string, number>; types: Map<string, string> } {
  const values = new Map<string, number>();
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    const t = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (t) types.set(t[1]!, t[2]!);
    if (line === '' || line.startsWith('#')) continue;
    const m = /^(\S+?(?:\{.*\})?) (\S+)$/.exec(line);
    if (!m) throw new Error(`unparseable line ${line}`);
    values.set(m[1]!, Number(m[2]));
  }
  return { values, types };
}

