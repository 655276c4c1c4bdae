/**
 * The routes of the operations servers: metrics and health (`/metrics`, `/livez`, `/readyz`) and the
 * status documents `metallb-ts status` reads. Each status path answers JSON:
 * - `/status/peers`: `{ node, peers: PeerSummary[] }`
 * - `/status/peers/ADDRESS`: `PeerDetail`, or 404 `{ error }` when no session has that peer
 * - `/status/routes`: `{ node, peers: PeerRoutes[] }`
 * - `/status/services`: `{ node, services: ServiceView[] }`
 * - `/status`: the whole `StatusDocument`
 */
import type { RouteHandler } from './http-server.js';
import { jsonReply, textReply } from './http-server.js';
import type { Metrics } from './metrics.js';
import { METRICS_CONTENT_TYPE } from './metrics.js';
import type { StatusInput } from './status.js';
import { peerDetail, peersView, routesView, servicesView, statusDocument } from './status.js';

/** `/livez` always (the process answers), `/readyz` once `ready()`. */
export function healthRoutes(ready: () => boolean): RouteHandler {
  return (path) => {
    if (path === '/livez') return textReply('ok\n');
    if (path === '/readyz') return ready() ? textReply('ok\n') : textReply('not ready: configuration not loaded yet\n', 503);
    return undefined;
  };
}

/** `/metrics`. */
export function metricsRoutes(metrics: Metrics): RouteHandler {
  return async (path) => {
    if (path !== '/metrics') return undefined;
    return { status: 200, contentType: METRICS_CONTENT_TYPE, body: await metrics.render() };
  };
}

/** `/status/...`. `canonical` normalises an address for `status peer ADDRESS`. */
export function statusRoutes(input: () => StatusInput, canonical: (address: string) => string): RouteHandler {
  return (path) => {
    if (path === '/status' || path === '/status/') return jsonReply(statusDocument(input()));
    if (path === '/status/peers') {
      const i = input();
      return jsonReply({ node: i.node, warnings: i.warnings ?? [], peers: peersView(i) });
    }
    if (path.startsWith('/status/peers/')) {
      const key = path.slice('/status/peers/'.length);
      const d = peerDetail(input(), key, canonical);
      return d ? jsonReply(d) : jsonReply({ error: `no BGP session with peer ${key}` }, 404);
    }
    if (path === '/status/routes') {
      const i = input();
      return jsonReply({ node: i.node, peers: routesView(i) });
    }
    if (path === '/status/services') {
      const i = input();
      return jsonReply({ node: i.node, services: servicesView(i) });
    }
    return undefined;
  };
}
