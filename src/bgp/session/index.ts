/**
 * BGP sessions: the speaker (peers, listener, events, status), the per-peer session driver, the
 * transports and clocks they run on, and the per-peer settings. See README.md in this folder.
 */
export { Speaker } from './speaker.js';
export type { SpeakerOptions, SpeakerEvents, PeerRef, AddPeerOptions, GracefulShutdownOptions } from './speaker.js';
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
export { capabilitiesFor, fsmConfigFor, validatePeerSettings, PEER_DEFAULTS } from './settings.js';
export type { PeerSettings } from './settings.js';
export { silentBgpLogger } from './logger.js';
export type { BgpLogger, BgpLogFields } from './logger.js';
export { systemClock, ManualClock } from './clock.js';
export type { Clock, TimerHandle } from './clock.js';
export { netTransport, normalizeAddress } from './net-transport.js';
export { MemoryNetwork } from './memory-transport.js';
export type { Transport, Connection, ConnectionHandlers, ConnectOptions, ListenOptions, Listener } from './transport.js';
// The Adj-RIB-Out (`adj-rib-out.ts`) is exported from `src/bgp/index.ts` directly.
