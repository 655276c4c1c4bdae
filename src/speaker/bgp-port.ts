/**
 * The runtime's `SpeakerPort` on metallb-ts's own BGP `Speaker` (`src/bgp/session`): session settings
 * and advertisements translated to the session layer's types. Removals are asynchronous there (they
 * wait for the Cease to go out); `settled()` lets a caller wait for all of them.
 */
import type { Speaker } from '../bgp/session/speaker.js';
import type { Advertisement } from '../bgp/session/adj-rib-out.js';
import { CeaseSubcode } from '../bgp/fsm/codes.js';
import type { LargeCommunity, Prefix } from '../bgp/wire/types.js';
import { parseCommunityText } from '../bgp/wire/community-text.js';
import { parseCidr, formatIpValue } from '../model/ip.js';
import type { Logger } from '../observe/log.js';
import type { RouteAdvertisement, SpeakerPort } from './runtime.js';

/** `10.10.10.12/32` as the wire's Prefix, or undefined when it does not parse. */
export function prefixOfText(text: string): Prefix | undefined {
  const p = parseCidr(text);
  if (!p) return undefined;
  return { family: p.family, address: formatIpValue(p.family, p.value), length: p.length };
}

/** The session layer's advertisement for a runtime one (undefined when it cannot be encoded). */
export function advertisementOf(a: RouteAdvertisement): Advertisement | undefined {
  const prefix = prefixOfText(a.prefix);
  if (!prefix) return undefined;
  const communities: number[] = [];
  for (const c of a.communities) {
    const v = parseCommunityText(c);
    if (!v.ok || v.community.kind !== 'standard') return undefined;
    communities.push(v.community.value);
  }
  const largeCommunities: LargeCommunity[] = [];
  for (const c of a.largeCommunities) {
    const v = parseCommunityText(c);
    if (!v.ok || v.community.kind !== 'large') return undefined;
    largeCommunities.push(v.community.value);
  }
  return { prefix, ...(a.localPref !== undefined ? { localPref: a.localPref } : {}), communities, largeCommunities };
}

/** A `SpeakerPort` that drives `speaker`. */
export function speakerPort(speaker: Speaker, logger: Logger): SpeakerPort & { settled(): Promise<void> } {
  const pending = new Set<Promise<void>>();
  const track = (p: Promise<void>, what: string, name: string): void => {
    const q = p.catch((err: unknown) => {
      logger.error('speakerError', `failed to ${what}`, { peerName: name, error: err instanceof Error ? err.message : String(err) });
    });
    pending.add(q);
    void q.finally(() => pending.delete(q));
  };
  return {
    addPeer(s) {
      try {
        speaker.addPeer(s, { awaitTable: true });
      } catch (err) {
        logger.error('speakerError', 'failed to add peer', { peerName: s.name, error: err instanceof Error ? err.message : String(err) });
      }
    },
    tableReady(name) {
      try {
        speaker.tableReady(name);
      } catch (err) {
        logger.error('speakerError', 'failed to send the table', { peerName: name, error: err instanceof Error ? err.message : String(err) });
      }
    },
    removePeer(name, options) {
      const subcode = options?.cease === 'administrativeShutdown' ? CeaseSubcode.adminShutdown : CeaseSubcode.peerDeconfigured;
      track(options ? speaker.shutdownPeer(name, { drainMs: options.drainMs, subcode }) : speaker.removePeer(name), 'remove peer', name);
    },
    setAdvertisements(name, ads) {
      const out: Advertisement[] = [];
      for (const a of ads) {
        const converted = advertisementOf(a);
        if (converted) out.push(converted);
        else logger.error('speakerError', 'advertisement cannot be encoded, skipped', { peerName: name, prefix: a.prefix });
      }
      try {
        speaker.setAdvertisements(name, out);
      } catch (err) {
        logger.error('speakerError', 'failed to set advertisements', { peerName: name, error: err instanceof Error ? err.message : String(err) });
      }
    },
    updateAdvertisements(name, upsert, withdraw) {
      const ads: Advertisement[] = [];
      for (const a of upsert) {
        const converted = advertisementOf(a);
        if (converted) ads.push(converted);
        else logger.error('speakerError', 'advertisement cannot be encoded, skipped', { peerName: name, prefix: a.prefix });
      }
      const prefixes: Prefix[] = [];
      for (const text of withdraw) {
        const p = prefixOfText(text);
        if (p) prefixes.push(p);
      }
      try {
        speaker.updateAdvertisements(name, { upsert: ads, withdraw: prefixes });
      } catch (err) {
        logger.error('speakerError', 'failed to update advertisements', { peerName: name, error: err instanceof Error ? err.message : String(err) });
      }
    },
    async settled() {
      await Promise.all([...pending]);
    },
  };
}
