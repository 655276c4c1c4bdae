/**
 * One BFD session: the reducer of fsm.ts driven by a clock and a packet sink. It owns the two
 * timers and nothing else; sockets live in udp.ts, so tests run on a `ManualClock` and a function.
 * Received bytes go through `decodeControlPacket` (RFC 5880 §6.8.6 checks) before the reducer.
 */
import type { Clock, TimerHandle } from '../bgp/session/clock.js';
import { decodeControlPacket, encodeControlPacket, type BfdDecodeReason, type BfdStateName } from './packet.js';
import { initialBfdState, step, type BfdFsmConfig, type BfdFsmEvent, type BfdFsmState, type BfdIntervals, type BfdTimerName } from './fsm.js';

/** Counters in the shape of MetalLB's BFD metrics (metallb_bfd_*). */
export interface BfdCounters {
  controlPacketInput: number;
  controlPacketOutput: number;
  /** Times the session went Up (metallb_bfd_session_up_events). */
  sessionUpEvents: number;
  /** Times the session left Up (metallb_bfd_session_down_events). */
  sessionDownEvents: number;
  /** Received packets discarded, by reason. */
  discarded: Partial<Record<BfdDecodeReason, number>>;
}

/** Options of `BfdSession`. */
export interface BfdSessionOptions extends BfdFsmConfig {
  readonly clock: Clock;
  /** Sends one encoded control packet to the peer. */
  readonly send: (bytes: Uint8Array) => void;
  /** Called on every state change, after the state is updated. */
  readonly onStateChange?: (from: BfdStateName, to: BfdStateName, diag: number) => void;
}

/** A BFD session in asynchronous mode (RFC 5880 §6.1). */
export class BfdSession {
  #state: BfdFsmState;
  readonly #timers = new Map<BfdTimerName, TimerHandle>();
  readonly #opts: BfdSessionOptions;
  /** The counters of this session. */
  readonly counters: BfdCounters = { controlPacketInput: 0, controlPacketOutput: 0, sessionUpEvents: 0, sessionDownEvents: 0, discarded: {} };

  constructor(opts: BfdSessionOptions) {
    this.#opts = opts;
    this.#state = initialBfdState(opts);
  }

  /** The reducer's state (read-only view). */
  get state(): BfdFsmState {
    return this.#state;
  }

  /** Leaves AdminDown and starts sending (unless passive). */
  start(): void {
    this.#dispatch({ type: 'Start' });
  }

  /** Goes AdminDown (diag 7), tells the peer, and stops the timers. */
  stop(): void {
    this.#dispatch({ type: 'Stop' });
  }

  /** Changes the intervals; a running session uses a poll sequence (RFC 5880 §6.8.3). */
  setIntervals(intervals: BfdIntervals): void {
    this.#dispatch({ type: 'SetIntervals', intervals });
  }

  /** Feeds one received UDP payload. Returns the discard reason, or undefined when accepted. */
  receive(bytes: Uint8Array): BfdDecodeReason | undefined {
    const r = decodeControlPacket(bytes);
    if (!r.ok) {
      this.counters.discarded[r.error.reason] = (this.counters.discarded[r.error.reason] ?? 0) + 1;
      return r.error.reason;
    }
    this.counters.controlPacketInput++;
    this.#dispatch({ type: 'PacketReceived', packet: r.packet });
    return undefined;
  }

  #dispatch(e: BfdFsmEvent): void {
    const r = step(this.#state, e);
    this.#state = r.state;
    for (const a of r.actions) {
      switch (a.type) {
        case 'Send':
          this.counters.controlPacketOutput++;
          this.#opts.send(encodeControlPacket(a.packet));
          break;
        case 'StartTimer': {
          this.#timers.get(a.timer)?.cancel();
          const name = a.timer;
          this.#timers.set(name, this.#opts.clock.setTimer(a.ms, () => {
            this.#timers.delete(name);
            this.#dispatch({ type: name === 'tx' ? 'TxTimerExpired' : 'DetectTimerExpired' });
          }));
          break;
        }
        case 'StopTimer':
          this.#timers.get(a.timer)?.cancel();
          this.#timers.delete(a.timer);
          break;
        case 'StateChanged':
          if (a.to === 'Up') this.counters.sessionUpEvents++;
          if (a.from === 'Up') this.counters.sessionDownEvents++;
          this.#opts.onStateChange?.(a.from, a.to, a.diag);
          break;
      }
    }
  }
}
