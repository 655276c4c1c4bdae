/**
 * `run`'s operations endpoints, wired: the metrics registry over the node's `NodeOperations`, the
 * metrics server (`/metrics`, `/livez`, `/readyz`) and the status server (`/status/...`, plus health),
 * one server when both flags name the same address. Servers start before the speaker, so `/readyz`
 * answers 503 until the first configuration is applied. A server that cannot bind is logged and left
 * out (MetalLB logs and carries on too); the speaker runs regardless. Each server logs
 * `opsListening` with the address and port it got (port 0 picks one).
 */
import type { Logger } from '../observe/log.js';
import { createMetrics } from '../observe/metrics.js';
import type { RouteHandler, OpsServer } from '../observe/http-server.js';
import { routes, startOpsServer } from '../observe/http-server.js';
import { healthRoutes, metricsRoutes, statusRoutes } from '../observe/ops-routes.js';
import type { ReloadReport } from '../speaker/node-speaker.js';
import { canonicalAddress, NodeOperations } from '../speaker/operations.js';
import type { AttachedSpeaker } from '../speaker/operations.js';

type Addr = { readonly host: string; readonly port: number };

export interface RunningOperations {
  readonly operations: NodeOperations;
  onReload(report: ReloadReport): void;
  attach(speaker: AttachedSpeaker): void;
  close(): Promise<void>;
}

/** Starts the endpoints named by the flags (either may be absent). */
export async function startOperations(node: string, logger: Logger, metricsAddr?: Addr, statusAddr?: Addr): Promise<RunningOperations> {
  const operations = new NodeOperations(node);
  const metrics = createMetrics({ snapshot: () => operations.metricsSnapshot() });
  const health = healthRoutes(() => operations.ready);
  const metricsHandler = routes(metricsRoutes(metrics), health);
  const statusHandler = routes(
    statusRoutes(() => operations.statusInput(), canonicalAddress),
    health,
  );

  const wanted: { role: string; addr: Addr; handler: RouteHandler }[] = [];
  const same = metricsAddr && statusAddr && metricsAddr.host === statusAddr.host && metricsAddr.port === statusAddr.port && metricsAddr.port !== 0;
  if (same) {
    wanted.push({ role: 'metrics,status', addr: metricsAddr, handler: routes(metricsHandler, statusHandler) });
  } else {
    if (metricsAddr) wanted.push({ role: 'metrics', addr: metricsAddr, handler: metricsHandler });
    if (statusAddr) wanted.push({ role: 'status', addr: statusAddr, handler: statusHandler });
  }
  const servers: OpsServer[] = [];
  for (const w of wanted) {
    try {
      const s = await startOpsServer(w.addr.host, w.addr.port, w.handler);
      servers.push(s);
      logger.info('opsListening', `serving ${w.role} endpoints`, { role: w.role, address: s.address, port: s.port });
    } catch (err) {
      logger.error('opsListenFailed', `cannot serve ${w.role} endpoints`, {
        role: w.role,
        address: w.addr.host,
        port: w.addr.port,
        error: err instanceof Error ? err.message : String(err),
      });
    }
  }

  return {
    operations,
    onReload(report) {
      operations.stats.record(report);
      for (const u of report.updates) metrics.observeUpdateLatency(u.peer, u.seconds);
    },
    attach(speaker) {
      operations.attach(speaker);
    },
    async close() {
      await Promise.all(servers.map((s) => s.close()));
    },
  };
}
