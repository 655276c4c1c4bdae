/**
 * The status views as text, in the shapes network engineers read on a switch: `status peers` like
 * `show ip bgp summary` (FRR's columns, with PfxSnt), `status peer ADDRESS` like Mellanox Onyx's
 * `show ip bgp neighbors ADDRESS` (as in the seed's walkthrough), `status routes` like
 * `show ip bgp neighbors ADDRESS advertised-routes`, and `status services` as a table. Pure.
 */
import type { NotificationView, PeerDetail, PeerRoutes, PeerSummary, ServiceView } from './status.js';

const two = (n: number): string => String(n).padStart(2, '0');

/**
 * FRR's Up/Down column: `hh:mm:ss` under a day, `NdNNhNNm` under a week, `NwNdNNh` beyond.
 */
export function formatUpDown(totalSeconds: number): string {
  let s = Math.max(0, Math.floor(totalSeconds));
  const day = 86400;
  if (s < day) return `${two(Math.floor(s / 3600))}:${two(Math.floor((s % 3600) / 60))}:${two(s % 60)}`;
  if (s < 7 * day) {
    const d = Math.floor(s / day);
    s %= day;
    return `${d}d${two(Math.floor(s / 3600))}h${two(Math.floor((s % 3600) / 60))}m`;
  }
  const w = Math.floor(s / (7 * day));
  s %= 7 * day;
  return `${w}w${Math.floor(s / day)}d${two(Math.floor((s % day) / 3600))}h`;
}

/** Onyx's `d:hh:mm:ss` (`Last read: 0:00:00:05`). */
export function formatDhms(totalSeconds: number): string {
  const s = Math.max(0, Math.floor(totalSeconds));
  return `${Math.floor(s / 86400)}:${two(Math.floor((s % 86400) / 3600))}:${two(Math.floor((s % 3600) / 60))}:${two(s % 60)}`;
}

function table(header: readonly string[], rows: readonly (readonly string[])[], rightAligned: ReadonlySet<number>): string[] {
  const widths = header.map((h, i) => rows.reduce((w, r) => Math.max(w, (r[i] ?? '').length), h.length));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (rightAligned.has(i) ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

/** `status peers`: the neighbour table. */
export function formatPeers(node: string, peers: readonly PeerSummary[], warnings: readonly string[] = []): string {
  const asns = [...new Set(peers.map((p) => p.localAsn))];
  const lines = [
    `BGP summary of node ${node}${asns.length === 1 ? `, local AS number ${asns[0]}` : ''}`,
    ...warnings.map((w) => `Warning: ${w}`),
    `Peers ${peers.length}`,
    '',
  ];
  const rows = peers.map((p) => [
    p.address,
    '4',
    String(p.asn),
    String(p.msgRcvd),
    String(p.msgSent),
    p.state === 'Established' ? formatUpDown(p.uptimeSeconds) : p.everUp ? formatUpDown(p.stateSeconds) : 'never',
    p.state,
    String(p.prefixesSent),
  ]);
  for (const l of table(['Neighbor', 'V', 'AS', 'MsgRcvd', 'MsgSent', 'Up/Down', 'State', 'PfxSnt'], rows, new Set([2, 3, 4, 5, 7]))) lines.push(l);
  const up = peers.filter((p) => p.state === 'Established').length;
  lines.push('', `Total number of neighbors ${peers.length}, established ${up}`);
  return `${lines.join('\n')}\n`;
}

function notificationLine(label: string, n: NotificationView | null): string {
  if (!n) return `  ${label}: none`;
  const comm = n.communication !== undefined ? `, message "${n.communication}"` : '';
  const data = n.data !== '' && n.communication === undefined ? `, data ${n.data}` : '';
  return `  ${label}: ${n.code}/${n.subcode} (${n.name})${comm}${data}, ${formatDhms(n.secondsAgo)} ago`;
}

/** `status peer ADDRESS`: one neighbour in Onyx's `show ip bgp neighbors` shape. */
export function formatPeerDetail(d: PeerDetail): string {
  const up = d.state === 'Established';
  const lines = [
    `BGP neighbor: ${d.address}, remote AS: ${d.asn || 'unknown'}, link: ${d.link}`,
    `  Peer name: ${d.name}, remote port: ${d.port}${d.passive ? ', passive' : ''}`,
    `  BGP version: ${d.bgpVersion}, remote router ID: ${d.remoteRouterId ?? 'none'}, local router ID: ${d.localRouterId ?? 'none'}`,
    `  Local AS: ${d.localAsn}, local address: ${d.localAddress !== null ? `${d.localAddress}:${d.localPort ?? ''}` : 'none'}`,
    `  BGP State: ${d.state.toUpperCase()}, ${up ? 'up' : 'down'} for ${formatDhms(up ? d.uptimeSeconds : d.stateSeconds)}`,
    `  Last read: ${d.lastReadSecondsAgo !== null ? formatDhms(d.lastReadSecondsAgo) : 'never'}, last write: ${
      d.lastWriteSecondsAgo !== null ? formatDhms(d.lastWriteSecondsAgo) : 'never'
    }, hold time is: ${d.holdTime}, keepalive interval in seconds: ${trimNumber(d.keepaliveTime)}`,
    `  Configured hold time in seconds: ${d.configuredHoldTime}, keepalive interval in seconds: ${
      d.configuredKeepaliveTime !== null ? trimNumber(d.configuredKeepaliveTime) : trimNumber(Math.floor(d.configuredHoldTime / 3))
    }`,
    `  Minimum holdtime from neighbor in seconds: ${d.minimumHoldTimeFromPeer}`,
    '',
    '  Capabilities advertised:',
    ...(d.capabilities.advertised.length > 0 ? d.capabilities.advertised.map((c) => `    ${c}`) : ['    none']),
    '  Capabilities received:',
    ...(d.capabilities.received.length > 0 ? d.capabilities.received.map((c) => `    ${c}`) : ['    none']),
    `  Address families: ${d.families.length > 0 ? d.families.join(', ') : 'none'}`,
    '',
    '  Message statistics:        Sent       Rcvd',
    ...(
      [
        ['Opens', 'open'],
        ['Updates', 'update'],
        ['Notifications', 'notification'],
        ['Keepalives', 'keepalive'],
        ['Route Refresh', 'routeRefresh'],
      ] as const
    ).map(([label, k]) => `    ${label.padEnd(20)}${String(d.messagesSent[k]).padStart(8)}${String(d.messagesReceived[k]).padStart(11)}`),
    `    ${'Total'.padEnd(20)}${String(d.msgSent).padStart(8)}${String(d.msgRcvd).padStart(11)}`,
    '',
    `  Prefixes sent: ${d.prefixesSent}, not sendable: ${d.prefixesNotSent}, received: ${d.prefixesReceived}`,
    `  Session flaps: ${d.flaps}`,
    `  Last error: ${d.lastError ? `${d.lastError.reason}, ${formatDhms(d.lastError.secondsAgo)} ago` : 'none'}`,
    ...(d.connectionProblem ? [`  Connection problem: ${d.connectionProblem.reason}, ${formatDhms(d.connectionProblem.secondsAgo)} ago`] : []),
    notificationLine('Last NOTIFICATION sent', d.lastNotificationSent),
    notificationLine('Last NOTIFICATION received', d.lastNotificationReceived),
  ];
  return `${lines.join('\n')}\n`;
}

function trimNumber(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}

/** `status routes`: per peer, the routes sent, in address order. */
export function formatRoutes(peers: readonly PeerRoutes[]): string {
  const out: string[] = [];
  for (const p of peers) {
    out.push(`Routes advertised to ${p.address} (${p.name}, AS ${p.asn || 'unknown'}, ${p.state}): ${p.routes.length}`);
    if (p.routes.length > 0) {
      const rows = p.routes.map((r) => [
        r.prefix,
        r.nextHop ?? '-',
        r.localPref !== null ? String(r.localPref) : '',
        r.med !== null ? String(r.med) : '',
        [...r.asPath.map(String), 'i'].join(' '),
        [...r.communities, ...r.largeCommunities].join(' '),
        r.services.join(','),
      ]);
      for (const l of table(['Network', 'Next Hop', 'LocPrf', 'Metric', 'Path', 'Communities', 'Services'], rows, new Set([2, 3]))) out.push(`  ${l}`);
    }
    out.push('');
  }
  if (peers.length === 0) out.push('No BGP peers.', '');
  return out.join('\n');
}

/** `status services`: one row per service. */
export function formatServices(services: readonly ServiceView[]): string {
  if (services.length === 0) return 'No LoadBalancer services.\n';
  const rows = services.map((s) => [
    s.service,
    s.ips.length > 0 ? s.ips.join(',') : '-',
    s.pool ?? '-',
    s.status,
    s.status === 'announced'
      ? s.peers.map((p) => `${p.address}${p.established ? '' : '(down)'}`).join(',')
      : `${s.reason ?? ''}${s.message !== null ? ` (${s.message})` : ''}`,
  ]);
  return `${table(['Service', 'IP', 'Pool', 'Status', 'Peers / Reason'], rows, new Set()).join('\n')}\n`;
}
