/**
 * BGP sessions: the speaker (peers, listener, events, status), the per-peer session driver, the
 * transports and clocks they run on (with TCP MD5 and TTL socket options), and the per-peer
 * settings. See README.md in this folder.
 */
export { Speaker } from './speaker.js';
export type { SpeakerOptions, SpeakerEvents, PeerRef, PeerStatus, AddPeerOptions, GracefulShutdownOptions } from './speaker.js';
export {
  Session,
  describe as describeDownReason,
  advertisementProblem,
  prefixProblem,
  GRACEFUL_SHUTDOWN_COMMUNITY,
  gracefulShutdownAdvertisement,
} from './session.js';
export { DesiredRoutes } from './desired-routes.js';
export type { AdvertisementChange } from './desired-routes.js';
export type {
  SessionDeps,
  SessionEvents,
  SessionStatus,
  SessionCounters,
  MessageCounts,
  NotificationRecord,
  AdvertisedRoute,
} from './session.js';
export { capabilitiesFor, fsmConfigFor, validatePeerSettings, PEER_DEFAULTS, isIbgp, ttlFor, transportOptionsFor } from './settings.js';
export type { PeerSettings } from './settings.js';
export { silentBgpLogger } from './logger.js';
export type { BgpLogger, BgpLogFields } from './logger.js';
export { systemClock, ManualClock } from './clock.js';
export type { Clock, TimerHandle } from './clock.js';
export { netTransport, normalizeAddress, connectionHopLimit } from './net-transport.js';
export { socketOptionsProblem, SocketOptionError, TCP_MD5_MAX_KEY_BYTES } from './socket-options.js';
export { readTcpMd5Counters, parseTcpMd5Counters, tcpMd5Explanation } from './md5-counters.js';
export type { TcpMd5Counters } from './md5-counters.js';
export { MemoryNetwork } from './memory-transport.js';
export type { Transport, Connection, ConnectionHandlers, ConnectOptions, ListenOptions, Listener, PeerTransportOptions } from './transport.js';
// The Adj-RIB-Out (`adj-rib-out.ts`) is exported from `src/bgp/index.ts` directly.
