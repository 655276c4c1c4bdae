/**
 * Prometheus metrics of a metallb-ts process (prom-client), with MetalLB's names, labels and help
 * texts, plus metallb-ts's own under the `metallbts_` prefix.
 *
 * Values are read on scrape: every gauge and counter has a `collect` callback that reads one plain
 * `MetricsSnapshot` (the speaker's `status()`, the runtime's plan and allocation, the reload
 * counters), taken once per scrape. Nothing in the BGP or speaker code increments a metric, so the
 * metrics can never drift from what `status` shows. The one exception is the update-latency
 * histogram, whose observations are events (`observeUpdateLatency`).
 *
 * MetalLB's metrics (reference: MetalLB's `internal/bgp/native`, `internal/allocator/stats.go`,
 * `internal/k8s/metrics.go`, `speaker/main.go`):
 * - `metallb_bgp_session_up{peer}` gauge, `metallb_bgp_updates_total{peer}` counter (UPDATEs sent),
 *   `metallb_bgp_announced_prefixes_total{peer}` gauge, `metallb_bgp_pending_prefixes_total{peer}`
 *   gauge; `peer` is "IP:PORT" (IPv6 in brackets).
 * - `metallb_allocator_addresses_total{pool}`, `..._addresses_in_use_total{pool}` and their
 *   `metallb_allocator_ipv4_`/`ipv6_` variants, gauges; `metallb_allocator_services_allocated_total`
 *   (MetalLB registers it and never sets it; we set it: services with an IP from the pool).
 * - `metallb_k8s_client_updates_total`, `..._update_errors_total` counters (one update = one reload
 *   of the manifests), `..._config_loaded_bool`, `..._config_stale_bool` gauges.
 * - `metallb_speaker_announced{service,protocol,node,ip}` gauge, 1 per announced service IP.
 *
 * Ours:
 * - `metallbts_bgp_messages_sent_total{peer,type}` / `..._received_total{peer,type}`, `type` one of
 *   open, update, notification, keepalive, route_refresh.
 * - `metallbts_bgp_notifications_total{peer,direction,code,subcode}`, direction `sent`/`received`.
 * - `metallbts_bgp_session_flaps_total{peer}`: times the session left Established.
 * - `metallbts_bgp_connections_refused_total`: incoming connections from no configured peer.
 * - `metallbts_bgp_update_latency_seconds{peer}` histogram: from the start of the reload that made a
 *   change (a manifest edit) to the UPDATE carrying it being handed to the socket.
 * - `metallbts_ready_bool`: 1 once the first configuration loaded and the speaker started.
 *
 * Session counters live in the session object, so a session that is replaced (its peer's settings
 * changed) starts its counters again: Prometheus sees a counter reset, which `rate()` handles.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { MessageCounts, SessionStatus } from '../bgp/session/session.js';
import type { PoolUsage } from '../allocator/types.js';

/** One session as the metrics see it. */
export interface SessionMetrics {
  readonly status: SessionStatus;
  /** Prefixes that should be on the session but are not (yet), withdrawals not yet sent included. */
  readonly pendingPrefixes: number;
}

/** The reload counters of the configuration source (MetalLB's k8s client metrics). */
export interface ConfigMetrics {
  /** A configuration was applied at least once. */
  readonly loaded: boolean;
  /** The last reload failed: the process runs on an older configuration. */
  readonly stale: boolean;
  readonly updates: number;
  readonly updateErrors: number;
}

/** Everything one scrape reads. */
export interface MetricsSnapshot {
  /** This node's name (`node` label of `metallb_speaker_announced`). */
  readonly node: string;
  readonly sessions: readonly SessionMetrics[];
  readonly pools: readonly (PoolUsage & { readonly servicesAllocated: number })[];
  /** One entry per announced service IP. */
  readonly announced: readonly { readonly service: string; readonly ip: string }[];
  readonly config: ConfigMetrics;
  readonly refusedConnections: number;
  readonly ready: boolean;
}

/** The Prometheus text exposition content type. */
export const METRICS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;

/** Message type → the `type` label. */
const MESSAGE_TYPES: readonly (readonly [keyof MessageCounts, string])[] = [
  ['open', 'open'],
  ['update', 'update'],
  ['notification', 'notification'],
  ['keepalive', 'keepalive'],
  ['routeRefresh', 'route_refresh'],
];

/** Histogram buckets for the change-to-UPDATE latency, seconds (1 ms to 10 s). */
export const UPDATE_LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The names of every metric we export (MetalLB's and ours), for tests and the deploy files' checks. */
export const METRIC_NAMES = {
  metallb: [
    'metallb_bgp_session_up',
    'metallb_bgp_updates_total',
    'metallb_bgp_announced_prefixes_total',
    'metallb_bgp_pending_prefixes_total',
    'metallb_allocator_addresses_in_use_total',
    'metallb_allocator_addresses_total',
    'metallb_allocator_ipv4_addresses_in_use_total',
    'metallb_allocator_ipv4_addresses_total',
    'metallb_allocator_ipv6_addresses_in_use_total',
    'metallb_allocator_ipv6_addresses_total',
    'metallb_allocator_services_allocated_total',
    'metallb_k8s_client_config_loaded_bool',
    'metallb_k8s_client_config_stale_bool',
    'metallb_k8s_client_updates_total',
    'metallb_k8s_client_update_errors_total',
    'metallb_speaker_announced',
  ],
  ours: [
    'metallbts_bgp_messages_sent_total',
    'metallbts_bgp_messages_received_total',
    'metallbts_bgp_notifications_total',
    'metallbts_bgp_session_flaps_total',
    'metallbts_bgp_connections_refused_total',
    'metallbts_bgp_update_latency_seconds',
    'metallbts_ready_bool',
  ],
} as const;

/** The metrics of one process. */
export interface Metrics {
  readonly registry: Registry;
  /** Renders the text exposition, reading a fresh snapshot. */
  render(): Promise<string>;
  /** Records one change-to-UPDATE latency for `peer` ("IP:PORT"). */
  observeUpdateLatency(peer: string, seconds: number): void;
}

export interface MetricsOptions {
  /** Called once per scrape. */
  readonly snapshot: () => MetricsSnapshot;
  /** Also export prom-client's process and Node.js metrics (default true). */
  readonly defaultMetrics?: boolean;
}

/** Creates the registry and its metrics. */
export function createMetrics(options: MetricsOptions): Metrics {
  const registry = new Registry();
  let cached: MetricsSnapshot | undefined;
  const snap = (): MetricsSnapshot => (cached ??= options.snapshot());
  const registers = [registry];

  const gauge = (name: string, help: string, labelNames: readonly string[], fill: (g: Gauge, s: MetricsSnapshot) => void): void => {
    new Gauge({
      name,
      help,
      labelNames: [...labelNames],
      registers,
      collect() {
        this.reset();
        fill(this, snap());
      },
    });
  };
  const counter = (name: string, help: string, labelNames: readonly string[], fill: (c: Counter, s: MetricsSnapshot) => void): void => {
    new Counter({
      name,
      help,
      labelNames: [...labelNames],
      registers,
      collect() {
        this.reset();
        fill(this, snap());
      },
    });
  };

  // MetalLB native BGP (internal/bgp/native).
  gauge('metallb_bgp_session_up', 'BGP session state (1 is up, 0 is down)', ['peer'], (g, s) => {
    for (const x of s.sessions) g.set({ peer: x.status.peer }, x.status.state === 'Established' ? 1 : 0);
  });
  counter('metallb_bgp_updates_total', 'Number of BGP UPDATE messages sent', ['peer'], (c, s) => {
    for (const x of s.sessions) c.inc({ peer: x.status.peer }, x.status.counters.messagesSent.update);
  });
  gauge('metallb_bgp_announced_prefixes_total', 'Number of prefixes currently being advertised on the BGP session', ['peer'], (g, s) => {
    for (const x of s.sessions) g.set({ peer: x.status.peer }, x.status.prefixesAdvertised);
  });
  gauge(
    'metallb_bgp_pending_prefixes_total',
    'Number of prefixes that should be advertised on the BGP session but are not yet',
    ['peer'],
    (g, s) => {
      for (const x of s.sessions) g.set({ peer: x.status.peer }, x.pendingPrefixes);
    },
  );

  // Allocator (internal/allocator/stats.go).
  const pool = (name: string, help: string, value: (p: MetricsSnapshot['pools'][number]) => number): void =>
    gauge(name, help, ['pool'], (g, s) => {
      for (const p of s.pools) g.set({ pool: p.pool }, value(p));
    });
  pool('metallb_allocator_addresses_in_use_total', 'Number of IP addresses in use, per pool', (p) => p.inUse);
  pool('metallb_allocator_addresses_total', 'Number of usable IP addresses, per pool', (p) => p.total);
  pool('metallb_allocator_ipv4_addresses_in_use_total', 'Number of IPV4 addresses in use, per pool', (p) => p.ipv4.inUse);
  pool('metallb_allocator_ipv4_addresses_total', 'Number of usable IPV4 addresses, per pool', (p) => p.ipv4.total);
  pool('metallb_allocator_ipv6_addresses_in_use_total', 'Number of IPV6 addresses in use, per pool', (p) => p.ipv6.inUse);
  pool('metallb_allocator_ipv6_addresses_total', 'Number of usable IPV6 addresses, per pool', (p) => p.ipv6.total);
  pool('metallb_allocator_services_allocated_total', 'Number of services allocated, per pool', (p) => p.servicesAllocated);

  // Configuration source (internal/k8s/metrics.go): one update is one reload of the manifests.
  counter('metallb_k8s_client_updates_total', 'Number of k8s object updates that have been processed.', [], (c, s) => {
    c.inc(s.config.updates);
  });
  counter('metallb_k8s_client_update_errors_total', 'Number of k8s object updates that failed for some reason.', [], (c, s) => {
    c.inc(s.config.updateErrors);
  });
  gauge('metallb_k8s_client_config_loaded_bool', '1 if the MetalLB configuration was successfully loaded at least once.', [], (g, s) => {
    g.set(s.config.loaded ? 1 : 0);
  });
  gauge(
    'metallb_k8s_client_config_stale_bool',
    '1 if running on a stale configuration, because the latest config failed to load.',
    [],
    (g, s) => {
      g.set(s.config.stale ? 1 : 0);
    },
  );

  // Speaker (speaker/main.go).
  gauge(
    'metallb_speaker_announced',
    'Services being announced from this node. This is desired state, it does not guarantee that the routing protocols have converged.',
    ['service', 'protocol', 'node', 'ip'],
    (g, s) => {
      for (const a of s.announced) g.set({ service: a.service, protocol: 'bgp', node: s.node, ip: a.ip }, 1);
    },
  );

  // Ours.
  for (const [direction, key] of [
    ['sent', 'messagesSent'],
    ['received', 'messagesReceived'],
  ] as const) {
    counter(`metallbts_bgp_messages_${direction}_total`, `BGP messages ${direction}, by type`, ['peer', 'type'], (c, s) => {
      for (const x of s.sessions) {
        for (const [field, type] of MESSAGE_TYPES) c.inc({ peer: x.status.peer, type }, x.status.counters[key][field]);
      }
    });
  }
  counter(
    'metallbts_bgp_notifications_total',
    'BGP NOTIFICATION messages by direction (sent, received), error code and subcode',
    ['peer', 'direction', 'code', 'subcode'],
    (c, s) => {
      for (const x of s.sessions) {
        for (const [direction, table] of [
          ['sent', x.status.counters.notificationsSent],
          ['received', x.status.counters.notificationsReceived],
        ] as const) {
          for (const [codeSub, n] of Object.entries(table)) {
            const [code = '0', subcode = '0'] = codeSub.split('/');
            c.inc({ peer: x.status.peer, direction, code, subcode }, n);
          }
        }
      }
    },
  );
  counter('metallbts_bgp_session_flaps_total', 'Times the BGP session left the Established state', ['peer'], (c, s) => {
    for (const x of s.sessions) c.inc({ peer: x.status.peer }, x.status.counters.flaps);
  });
  counter(
    'metallbts_bgp_connections_refused_total',
    'Incoming BGP connections refused because they came from no configured peer',
    [],
    (c, s) => {
      c.inc(s.refusedConnections);
    },
  );
  gauge('metallbts_ready_bool', '1 once the first configuration loaded and the speaker started', [], (g, s) => {
    g.set(s.ready ? 1 : 0);
  });
  const latency = new Histogram({
    name: 'metallbts_bgp_update_latency_seconds',
    help: 'Time from the start of the reload that made a change to the UPDATE carrying it being written, per peer',
    labelNames: ['peer'],
    buckets: UPDATE_LATENCY_BUCKETS,
    registers,
  });

  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry });

  return {
    registry,
    async render() {
      cached = undefined;
      try {
        return await registry.metrics();
      } finally {
        cached = undefined;
      }
    },
    observeUpdateLatency(peer, seconds) {
      latency.observe({ peer }, seconds);
    },
  };
}
