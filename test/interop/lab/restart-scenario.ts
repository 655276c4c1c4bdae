/**
 * The graceful restart scenario (issue 11) on the seed topology, for the interop test and the
 * benchmark: one node (10.10.10.117) whose BGPPeer has `enableGracefulRestart`, FRR in its default
 * helper mode, the client behind the router opening a connection to the service IP every 10 ms, the
 * router's kernel route sampled every 20 ms, and the speaker killed with SIGKILL and started again,
 * `restarts` times. The node answers ARP only for addresses on the receiving interface
 * (`arp_ignore=1`), so a request reaches it only through the BGP route: a route lost is a request lost.
 *
 * Each restart: SIGKILL; wait until FRR holds the node's path as stale; start the speaker; wait until
 * FRR has the session Established, the End-of-RIB, and no stale path left. FRR's debug log of the
 * received UPDATEs is cut into sessions afterwards.
 */
import type { Lab } from './lab.js';
import { waitUntil } from './lab.js';
import { VtyClient } from './vty.js';
import { SERVICE_IP, benchIp, manifestList, serviceObjects, startSeedTopology } from './seed-topology.js';
import type { SeedTopology } from './seed-topology.js';
import { enableUpdateLog, sessionsInLog, startClientLoop, startRouteSampler } from './traffic-watch.js';
import type { ClientOutcome, LoggedSession, RouteChange, RouteEvent } from './traffic-watch.js';

/** The seed's pool and peer as CRDs, with graceful restart, and a `bench` pool for many services. */
export const GRACEFUL_RESTART_CONFIG = `apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: default, namespace: metallb-system}
spec:
  addresses: [10.10.10.10-10.10.10.98]
  avoidBuggyIPs: true
---
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: bench, namespace: metallb-system}
spec:
  addresses: [198.18.0.0/15]
  autoAssign: false
---
apiVersion: metallb.io/v1beta1
kind: BGPAdvertisement
metadata: {name: default, namespace: metallb-system}
spec:
  ipAddressPools: [default, bench]
---
apiVersion: metallb.io/v1beta2
kind: BGPPeer
metadata: {name: router, namespace: metallb-system}
spec:
  myASN: 64512
  peerASN: 64512
  peerAddress: 10.10.10.1
  enableGracefulRestart: true
`;

export interface RestartScenarioOptions {
  /** Services besides argocd-server (on the bench pool, endpoints on the node). */
  readonly services: number;
  readonly restarts: number;
  /** Namespace role prefix (default `gr-`). */
  readonly rolePrefix?: string;
  /** Called after each restart. */
  readonly onRestart?: (r: RestartResult) => void;
}

/** One restart, times in ms from the SIGKILL. */
export interface RestartResult {
  readonly index: number;
  /** FRR shows the node's path as stale. */
  readonly staleMs: number;
  /** FRR shows the new session Established. */
  readonly establishedMs: number;
  /** No stale path left (End-of-RIB processed). */
  readonly freshMs: number;
}

export interface RestartScenarioResult {
  readonly node: string;
  readonly restarts: RestartResult[];
  /** Prefixes the node announces (argocd-server plus the bench services). */
  readonly prefixes: number;
  /** Kernel route changes of the sampled destinations (the first sample of each included). */
  readonly routeChanges: RouteChange[];
  /** Changes of those routes reported by `ip monitor route` (none expected). */
  readonly routeEvents: RouteEvent[];
  readonly routeSamples: number;
  readonly maxSampleGapMs: number;
  readonly requests: ClientOutcome[];
  /** FRR's log of the node's sessions, the first one included. */
  readonly sessions: LoggedSession[];
  /** Paths still stale at the end (0 expected). */
  readonly staleAtEnd: number;
  /** The node's paths in FRR at the end. */
  readonly pathsAtEnd: number;
}

interface PathJson {
  readonly stale?: boolean;
  readonly nexthops?: readonly { readonly ip?: string }[];
}

/** Runs the scenario in `lab` (root, FRR); the caller tears the lab down. */
export async function runRestartScenario(lab: Lab, options: RestartScenarioOptions): Promise<RestartScenarioResult> {
  const node = 'node-117';
  const extra: Record<string, string> = { '00-config.yaml': GRACEFUL_RESTART_CONFIG };
  if (options.services > 0) {
    const objects: object[] = [];
    for (let i = 0; i < options.services; i++) {
      for (const o of serviceObjects({ namespace: 'bench', name: `svc-${i}`, ip: benchIp(i), endpointNodes: [node] }, i)) objects.push(o);
    }
    extra['20-bench.json'] = manifestList(objects);
  }
  const topo: SeedTopology = await startSeedTopology(lab, {
    nodeHosts: [117],
    startSpeakers: false,
    rolePrefix: options.rolePrefix ?? 'gr-',
    extraManifests: extra,
    logLevel: 'warn',
  });
  const n = topo.node(node);
  // Requests reach the node only through the BGP route (no ARP answer for the service IP on eth0).
  await lab.exec(n.ns.name, 'sysctl', ['-q', '-w', 'net.ipv4.conf.all.arp_ignore=1']);
  await enableUpdateLog(topo.frr);
  const prefixes = options.services + 1;
  const sampled = [SERVICE_IP, ...(options.services > 0 ? [benchIp(0), benchIp(options.services - 1)] : [])];

  const vty = await VtyClient.connect(topo.frr.bgpdVty);
  try {
    const paths = async (): Promise<PathJson[]> => {
      const j = JSON.parse(await vty.command(`show bgp ipv4 unicast ${SERVICE_IP}/32 json`)) as { paths?: PathJson[] };
      return j.paths ?? [];
    };
    const summary = async (): Promise<{ state?: string; pfxRcd?: number }> => {
      const j = JSON.parse(await vty.command('show bgp ipv4 unicast summary json')) as { peers?: Record<string, { state?: string; pfxRcd?: number }> };
      return j.peers?.[n.address] ?? {};
    };
    /** Every prefix from the node held, none stale (a full table walk: once per restart). */
    const staleCount = async (): Promise<{ stale: number; paths: number }> => {
      const j = JSON.parse(await vty.command('show bgp ipv4 unicast json')) as { routes?: Record<string, PathJson[]> };
      let stale = 0;
      let count = 0;
      for (const ps of Object.values(j.routes ?? {})) {
        for (const p of ps) {
          if (p.nexthops?.[0]?.ip !== n.address) continue;
          count++;
          if (p.stale === true) stale++;
        }
      }
      return { stale, paths: count };
    };

    topo.startSpeaker(n);
    await topo.frr.waitEstablished(n.address, 60_000);
    await waitUntil(async () => (await summary()).pfxRcd === prefixes, { timeoutMs: 120_000, intervalMs: 100, what: `${prefixes} prefixes in FRR` });
    await topo.waitRoute(`${SERVICE_IP}/32`, [n.address]);

    const client = topo.client;
    if (!client) throw new Error('no client namespace');
    const sampler = await startRouteSampler(lab, topo.router.name, sampled, 20);
    const loop = await startClientLoop(lab, client.name, SERVICE_IP, 10);
    const restarts: RestartResult[] = [];
    for (let i = 0; i < options.restarts; i++) {
      const speaker = n.speaker;
      if (!speaker) throw new Error('no speaker');
      const t0 = performance.now();
      process.kill(speaker.pid, 'SIGKILL');
      await speaker.exited;
      // FRR keeps the path, marked stale, for the restart time the speaker advertised (RFC 4724 §4.2).
      await waitUntil(async () => (await paths()).some((p) => p.stale === true), { timeoutMs: 10_000, intervalMs: 5, what: 'the stale path' });
      const staleMs = performance.now() - t0;
      topo.startSpeaker(n);
      await waitUntil(async () => (await summary()).state === 'Established', { timeoutMs: 60_000, intervalMs: 5, what: 'the new session' });
      const establishedMs = performance.now() - t0;
      await waitUntil(async () => (await paths()).every((p) => p.stale !== true), { timeoutMs: 120_000, intervalMs: 5, what: 'no stale path' });
      const freshMs = performance.now() - t0;
      const r = { index: i + 1, staleMs, establishedMs, freshMs };
      restarts.push(r);
      options.onRestart?.(r);
    }
    // Let the sampler and the client see the end state for a few samples.
    const seen = loop.outcomes().length;
    await waitUntil(() => loop.outcomes().length >= seen + 20, { timeoutMs: 10_000, intervalMs: 20, what: 'more requests' });
    const requests = await loop.stop();
    const route = await sampler.stop();
    const end = await staleCount();
    const log = topo.frr.bgpd ? lab.log(topo.frr.bgpd) : '';
    return {
      node: n.address,
      restarts,
      prefixes,
      routeChanges: route.changes,
      routeEvents: route.events,
      routeSamples: route.samples,
      maxSampleGapMs: route.maxGapMs,
      requests,
      sessions: sessionsInLog(log, n.address),
      staleAtEnd: end.stale,
      pathsAtEnd: end.paths,
    };
  } finally {
    vty.close();
  }
}
