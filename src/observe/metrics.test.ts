import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMetrics, METRIC_NAMES } from './metrics.js';
import type { MetricsSnapshot } from './metrics.js';
import { counters, counts, parseExposition, sessionStatus } from './test-helpers.js';

function snapshot(partial: Partial<MetricsSnapshot> = {}): MetricsSnapshot {
  return {
    node: 'node-116',
    sessions: [
      { status: sessionStatus(), pendingPrefixes: 0 },
      {
        status: sessionStatus({
          name: 'peer6',
          peer: '[fd00::1]:1179',
          peerAddress: 'fd00::1',
          state: 'Active',
          uptimeMs: 0,
          prefixesAdvertised: 0,
          counters: counters({
            messagesSent: counts({ open: 2, notification: 1 }),
            notificationsSent: { '6/2': 1 },
            notificationsReceived: { '4/0': 2 },
            flaps: 3,
          }),
        }),
        pendingPrefixes: 5,
      },
    ],
    pools: [{ pool: 'default', inUse: 2, total: 89, ipv4: { inUse: 1, total: 25 }, ipv6: { inUse: 1, total: 64 }, servicesAllocated: 1 }],
    announced: [
      { service: 'argocd/argocd-server', ip: '10.10.10.12' },
      { service: 'argocd/argocd-server', ip: 'fd00::12' },
    ],
    config: { loaded: true, stale: true, updates: 7, updateErrors: 2 },
    refusedConnections: 4,
    ready: true,
    ...partial,
  };
}

test('every MetalLB metric with its labels and value from the snapshot', async () => {
  const m = createMetrics({ snapshot: () => snapshot(), defaultMetrics: false });
  const { values, types } = parseExposition(await m.render());
  const want: [string, number][] = [
    ['metallb_bgp_session_up{peer="10.10.10.117:179"}', 1],
    ['metallb_bgp_session_up{peer="[fd00::1]:1179"}', 0],
    ['metallb_bgp_updates_total{peer="10.10.10.117:179"}', 3],
    ['metallb_bgp_updates_total{peer="[fd00::1]:1179"}', 0],
    ['metallb_bgp_announced_prefixes_total{peer="10.10.10.117:179"}', 2],
    ['metallb_bgp_pending_prefixes_total{peer="[fd00::1]:1179"}', 5],
    ['metallb_allocator_addresses_in_use_total{pool="default"}', 2],
    ['metallb_allocator_addresses_total{pool="default"}', 89],
    ['metallb_allocator_ipv4_addresses_in_use_total{pool="default"}', 1],
    ['metallb_allocator_ipv4_addresses_total{pool="default"}', 25],
    ['metallb_allocator_ipv6_addresses_in_use_total{pool="default"}', 1],
    ['metallb_allocator_ipv6_addresses_total{pool="default"}', 64],
    ['metallb_allocator_services_allocated_total{pool="default"}', 1],
    ['metallb_k8s_client_updates_total', 7],
    ['metallb_k8s_client_update_errors_total', 2],
    ['metallb_k8s_client_config_loaded_bool', 1],
    ['metallb_k8s_client_config_stale_bool', 1],
    ['metallb_speaker_announced{service="argocd/argocd-server",protocol="bgp",node="node-116",ip="10.10.10.12"}', 1],
    ['metallb_speaker_announced{service="argocd/argocd-server",protocol="bgp",node="node-116",ip="fd00::12"}', 1],
  ];
  for (const [key, value] of want) assert.equal(values.get(key), value, key);
  assert.equal(types.get('metallb_bgp_session_up'), 'gauge');
  assert.equal(types.get('metallb_bgp_updates_total'), 'counter');
  assert.equal(types.get('metallb_bgp_announced_prefixes_total'), 'gauge');
  assert.equal(types.get('metallb_k8s_client_updates_total'), 'counter');
  for (const name of [...METRIC_NAMES.metallb, ...METRIC_NAMES.ours]) assert.ok(types.has(name), `${name} registered`);
});

test('our metrics: messages by type, NOTIFICATIONs by direction/code/subcode, flaps, refused, latency', async () => {
  const m = createMetrics({ snapshot: () => snapshot(), defaultMetrics: false });
  m.observeUpdateLatency('10.10.10.117:179', 0.003);
  m.observeUpdateLatency('10.10.10.117:179', 0.2);
  const { values, types } = parseExposition(await m.render());
  assert.equal(values.get('metallbts_bgp_messages_sent_total{peer="10.10.10.117:179",type="keepalive"}'), 4);
  assert.equal(values.get('metallbts_bgp_messages_received_total{peer="10.10.10.117:179",type="keepalive"}'), 5);
  assert.equal(values.get('metallbts_bgp_messages_sent_total{peer="[fd00::1]:1179",type="notification"}'), 1);
  assert.equal(values.get('metallbts_bgp_notifications_total{peer="[fd00::1]:1179",direction="sent",code="6",subcode="2"}'), 1);
  assert.equal(values.get('metallbts_bgp_notifications_total{peer="[fd00::1]:1179",direction="received",code="4",subcode="0"}'), 2);
  assert.equal(values.get('metallbts_bgp_session_flaps_total{peer="[fd00::1]:1179"}'), 3);
  assert.equal(values.get('metallbts_bgp_connections_refused_total'), 4);
  assert.equal(values.get('metallbts_ready_bool'), 1);
  assert.equal(types.get('metallbts_bgp_update_latency_seconds'), 'histogram');
  assert.equal(values.get('metallbts_bgp_update_latency_seconds_count{peer="10.10.10.117:179"}'), 2);
  assert.equal(values.get('metallbts_bgp_update_latency_seconds_bucket{le="0.005",peer="10.10.10.117:179"}'), 1);
  assert.equal(values.get('metallbts_bgp_update_latency_seconds_bucket{le="0.25",peer="10.10.10.117:179"}'), 2);
});

test('values are read on each scrape, once per scrape; a removed session disappears', async () => {
  let calls = 0;
  let snap = snapshot();
  const m = createMetrics({
    snapshot: () => {
      calls++;
      return snap;
    },
    defaultMetrics: false,
  });
  await m.render();
  assert.equal(calls, 1);
  snap = snapshot({ sessions: [], config: { loaded: true, stale: false, updates: 8, updateErrors: 2 } });
  const { values } = parseExposition(await m.render());
  assert.equal(calls, 2);
  assert.equal(values.get('metallb_bgp_session_up{peer="10.10.10.117:179"}'), undefined);
  assert.equal(values.get('metallb_k8s_client_config_stale_bool'), 0);
  assert.equal(values.get('metallb_k8s_client_updates_total'), 8);
});

test('default process metrics are on unless turned off', async () => {
  const on = parseExposition(await createMetrics({ snapshot: () => snapshot() }).render());
  assert.ok(on.types.has('process_cpu_seconds_total'));
  const off = parseExposition(await createMetrics({ snapshot: () => snapshot(), defaultMetrics: false }).render());
  assert.ok(!off.types.has('process_cpu_seconds_total'));
});
