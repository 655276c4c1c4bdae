/**
 * The data of the BGP finite state machine (RFC 4271 §8): its configuration, its state, the events
 * fed to it and the actions it asks its driver to perform. Everything here is plain readonly data so
 * that `step(state, event)` is a pure function and tests can drive it without sockets or timers.
 *
 * One FSM instance stands for one TCP connection attempt chain to one peer. Connection collisions
 * (RFC 4271 §6.8) involve two connections and are resolved by the session layer, which holds a
 * second FSM instance for the colliding connection and feeds `OpenCollisionDump` to the loser.
 */
import type {
  BgpError,
  Capability,
  NotificationMessage,
  OpenMessage,
  RouteRefreshMessage,
  UpdateMessage,
  BgpMessage,
  DecodeResult,
} from '../wire/types.js';

/** The six states of RFC 4271 §8.2.2. */
export type FsmStateName = 'Idle' | 'Connect' | 'Active' | 'OpenSent' | 'OpenConfirm' | 'Established';

/** The timers the FSM asks its driver to run (RFC 4271 §8.1.3, §10). */
export type TimerName = 'connectRetry' | 'hold' | 'keepalive';

/** Connect retry backoff: the first delay, the cap, and the jitter fraction (0..1) taken off a delay. */
export interface BackoffConfig {
  /** Delay before the first retry, in ms (default 1000: "first retry within 1 s"). */
  readonly initialMs: number;
  /** Largest delay, in ms (MetalLB native: 2 minutes). */
  readonly maxMs: number;
  /** Fraction of each delay that is randomised away: the delay is `d * (1 - jitter * r)`, r in [0,1). */
  readonly jitter: number;
}

/** What the FSM needs to know about the local speaker and the peer. */
export interface FsmConfig {
  /** Our AS number (4-octet range). */
  readonly localAsn: number;
  /** The AS the peer must have; unset when `dynamicAsn` is set. */
  readonly peerAsn?: number;
  /** MetalLB's dynamicASN: `internal` accepts only our own AS, `external` any other AS. */
  readonly dynamicAsn?: 'internal' | 'external';
  /** Proposed hold time in seconds: 0, or >= 3 (RFC 4271 §4.2). */
  readonly holdTimeSec: number;
  /** Keepalive interval in seconds; unset or 0 means a third of the negotiated hold time. */
  readonly keepaliveSec?: number;
  /** Only accept connections; never dial. */
  readonly passive: boolean;
  /** How long a TCP connect may take in the Connect state, in ms. */
  readonly connectTimeoutMs: number;
  readonly backoff: BackoffConfig;
  /** The capabilities we put into our OPEN (RFC 5492), in order. */
  readonly capabilities: readonly Capability[];
}

/** What the two OPENs agreed on (RFC 4271 §4.2, §10; RFC 5492; RFC 4760; RFC 6793; RFC 8654). */
export interface Negotiated {
  /** min(ours, peer's) in seconds; 0 means no hold timer and no keepalives. */
  readonly holdTimeSec: number;
  /** Interval between our KEEPALIVEs in ms; 0 when the hold time is 0. */
  readonly keepaliveMs: number;
  /** The peer's real AS (from its 4-octet AS capability when present). */
  readonly peerAsn: number;
  readonly localAsn: number;
  readonly ibgp: boolean;
  readonly peerBgpId: string;
  readonly localBgpId: string;
  /** Both sides support 4-octet AS numbers (RFC 6793): AS_PATH carries 4-octet ASNs. */
  readonly fourOctetAs: boolean;
  /** Both sides advertised extended messages (RFC 8654): messages up to 65535 octets. */
  readonly extendedMessage: boolean;
  /** The peer advertised route refresh (RFC 2918) / enhanced route refresh (RFC 7313). */
  readonly routeRefresh: boolean;
  readonly enhancedRouteRefresh: boolean;
  /** The AFI/SAFI pairs both sides support (RFC 4760 §8; no MP capability means IPv4 unicast). */
  readonly families: readonly { readonly afi: number; readonly safi: number }[];
  /** The peer's graceful restart capability (RFC 4724), when it sent one. */
  readonly peerGracefulRestart?: Extract<Capability, { kind: 'gracefulRestart' }>;
  readonly localCapabilities: readonly Capability[];
  readonly peerCapabilities: readonly Capability[];
  readonly sentOpen: OpenMessage;
  readonly receivedOpen: OpenMessage;
}

/** Which side opened the TCP connection. */
export type ConnectionDirection = 'outbound' | 'inbound';

/** The FSM state (RFC 4271 §8: the state plus the session attributes the reducer needs). */
export interface FsmState {
  readonly name: FsmStateName;
  readonly config: FsmConfig;
  /** RFC 4271 §8: ConnectRetryCounter, failed attempts since the last Established. */
  readonly connectRetryCounter: number;
  /** Index into the backoff sequence; 0 after Established. */
  readonly backoffAttempt: number;
  /** State of the seeded pseudo-random generator used for jitter (32-bit). */
  readonly rng: number;
  /** The current connection, from TcpConnected/TcpConnectionConfirmed until it closes. */
  readonly connection?: {
    readonly direction: ConnectionDirection;
    readonly localBgpId: string;
    readonly sentOpen: OpenMessage;
    /** Set once the peer's OPEN passed the checks (OpenConfirm and Established). */
    readonly negotiated?: Negotiated;
  };
}

// ---------------------------------------------------------------------------------------------------
// Events (RFC 4271 §8.1)

/** RFC 4271 §8.1.2 Event 1 (ManualStart) and Event 4 (ManualStart_with_PassiveTcpEstablishment). */
export interface ManualStart {
  readonly type: 'ManualStart';
  /** Wait for the peer to connect instead of dialing first (implied by `config.passive`). */
  readonly passive?: boolean;
}

/** RFC 4271 §8.1.2 Event 2: stop, closing any connection with Cease and this subcode (RFC 4486). */
export interface ManualStop {
  readonly type: 'ManualStop';
  /** Cease subcode: 2 admin shutdown, 3 peer de-configured, 4 admin reset, 8 out of resources... */
  readonly subcode: number;
  /** NOTIFICATION data, e.g. an RFC 9003 shutdown communication. */
  readonly data?: Uint8Array;
}

/** The addresses of an established TCP connection and the BGP Identifier to use on it. */
export interface ConnectionInfo {
  /** Our BGP Identifier for this connection (configured, or derived from the local address). */
  readonly localBgpId: string;
}

/** RFC 4271 §8.1.4 Events 16/17: our outgoing connection is up. */
export interface TcpConnected extends ConnectionInfo {
  readonly type: 'TcpConnected';
}

/** RFC 4271 §8.1.4 Event 17: an incoming connection from the peer was accepted. */
export interface TcpConnectionConfirmed extends ConnectionInfo {
  readonly type: 'TcpConnectionConfirmed';
}

/** RFC 4271 §8.1.4 Event 18: the connection failed or was closed by the peer. */
export interface TcpConnectionFails {
  readonly type: 'TcpConnectionFails';
}

/** A framed message from the peer, decoded or not (RFC 4271 §8.1.5 Events 19-28). */
export interface MessageReceived {
  readonly type: 'MessageReceived';
  readonly result: DecodeResult;
}

/** RFC 4271 §8.1.3 Events 9, 10, 11. */
export interface TimerExpired {
  readonly type: 'ConnectRetryTimerExpired' | 'HoldTimerExpired' | 'KeepaliveTimerExpired';
}

/** RFC 4271 §8.1.4 Event 23: this connection lost a collision (§6.8) and must close with Cease 6/7. */
export interface OpenCollisionDump {
  readonly type: 'OpenCollisionDump';
}

export type FsmEvent =
  | ManualStart
  | ManualStop
  | TcpConnected
  | TcpConnectionConfirmed
  | TcpConnectionFails
  | MessageReceived
  | TimerExpired
  | OpenCollisionDump;

// ---------------------------------------------------------------------------------------------------
// Actions

/** Why a connection ended, as data. */
export type DownReason =
  /** The TCP connection failed, timed out or was closed by the peer without a NOTIFICATION. */
  | { readonly kind: 'tcpFailure' }
  /** The peer sent a NOTIFICATION. */
  | { readonly kind: 'notificationReceived'; readonly notification: NotificationMessage }
  /** We found an error (protocol error, hold timer expiry, FSM error) and sent a NOTIFICATION. */
  | { readonly kind: 'protocolError'; readonly notification: NotificationMessage; readonly reason: string }
  /** We were stopped or lost a collision and sent Cease. */
  | { readonly kind: 'stopped'; readonly notification: NotificationMessage };

export type FsmAction =
  /** Open a TCP connection to the peer. */
  | { readonly type: 'Connect' }
  /** Send a message on the current connection. */
  | { readonly type: 'Send'; readonly message: BgpMessage }
  /** (Re)start a timer; a running timer of that name is replaced. */
  | { readonly type: 'StartTimer'; readonly timer: TimerName; readonly ms: number }
  | { readonly type: 'StopTimer'; readonly timer: TimerName }
  /**
   * Drop the current connection (or abandon the connect in progress). When `notification` is set,
   * send it first and flush. It is absent only when there is no established connection, when the TCP
   * connection itself failed, or when the peer sent a NOTIFICATION (RFC 4271 §6: no reply to one).
   */
  | { readonly type: 'Close'; readonly notification?: NotificationMessage }
  /** The session reached Established with these parameters. */
  | { readonly type: 'Established'; readonly negotiated: Negotiated }
  /**
   * A connection ended. `wasEstablished` tells a session flap from a failed attempt. `retryInMs` is
   * the backoff before the next attempt, absent when the FSM stopped or only listens.
   */
  | { readonly type: 'SessionDown'; readonly reason: DownReason; readonly wasEstablished: boolean; readonly retryInMs?: number }
  /** The peer sent an UPDATE (Established). `errors` are RFC 7606 non-fatal findings. */
  | {
      readonly type: 'UpdateReceived';
      readonly update: UpdateMessage;
      readonly errors: readonly BgpError[];
      readonly withdrawAll: boolean;
    }
  /** The peer asked for our routes again (RFC 2918 §4, RFC 7313 subtype 0), for a negotiated family. */
  | { readonly type: 'RouteRefreshRequested'; readonly request: RouteRefreshMessage };

/** The result of one step. */
export interface StepResult {
  readonly state: FsmState;
  readonly actions: readonly FsmAction[];
}
