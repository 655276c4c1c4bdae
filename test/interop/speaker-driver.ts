/**
 * Test driver: our `Speaker` in its own process, so it can run inside a lab network namespace
 * (`ip netns exec NS node speaker-driver.js '<settings json>'`). A Node.js process cannot move one
 * socket into another namespace, so the speaker lives where its sockets must live.
 *
 * Protocol (JSON lines):
 * - argv[2]: settings (see `DriverSettings` in lab/speaker.ts).
 * - stdin, one command per line, `{ "id": N, "cmd": ... }`:
 *   `advertise` `{ ads: [{ prefix, peers?, localPref?, med?, communities?, largeCommunities? }] }`
 *   replaces the desired set of every peer; `status` answers with every session's status;
 *   `reset` `{ peer }` resets one session; `close` closes the speaker (Cease to every peer) and exits.
 *   Each command is answered `{ "event": "ack", "id": N, ... }` or `{ "event": "error", "id": N, message }`.
 * - stdout, one event per line: `ready`, `state` (peer, from, state in lower case), `up`, `down`
 *   (peer, reason), `notificationReceived` (peer, code, subcode), `update` (peer, counts),
 *   `refused` (remoteAddress). The speaker's own log lines go to stderr.
 * Peers are named by their address.
 */
import { createInterface } from 'node:readline';
import { Speaker } from '../../src/bgp/session/speaker.js';
import type { Advertisement } from '../../src/bgp/session/adj-rib-out.js';
import type { PeerSettings } from '../../src/bgp/session/settings.js';
import { createLogger } from '../../src/observe/log.js';
import { canonicalIp, parseCidr } from '../../src/model/ip.js';
import type { Prefix } from '../../src/bgp/wire/types.js';
import type { DriverAdvertisement, DriverSettings } from './lab/speaker.js';

const settings = JSON.parse(process.argv[2] ?? '{}') as DriverSettings;

function emit(obj: Record<string, unknown>): void {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

function toPrefix(text: string): Prefix {
  const c = parseCidr(text, true);
  const [addr = '', len = ''] = text.split('/');
  const address = canonicalIp(addr);
  if (!c || address === undefined) throw new Error(`bad prefix ${text}`);
  return { family: address.includes(':') ? 'ipv6' : 'ipv4', address, length: Number(len) };
}

function community(text: string): number {
  const [a = '', v = ''] = text.split(':');
  return Number(a) * 65536 + Number(v);
}

function toAdvertisement(a: DriverAdvertisement): Advertisement {
  return {
    prefix: toPrefix(a.prefix),
    ...(a.localPref !== undefined ? { localPref: a.localPref } : {}),
    ...(a.med !== undefined ? { med: a.med } : {}),
    communities: (a.communities ?? []).map(community),
    largeCommunities: (a.largeCommunities ?? []).map((l) => {
      const [g = '', d1 = '', d2 = ''] = l.split(':');
      return { globalAdmin: Number(g), localData1: Number(d1), localData2: Number(d2) };
    }),
  };
}

const logger = createLogger({ level: 'info', write: (line) => void process.stderr.write(`${line}\n`) });
const speaker = new Speaker({
  ...(settings.listen ? { listen: settings.listen } : {}),
  routerId: settings.routerId,
  logger,
});

for (const p of settings.peers) {
  const s: PeerSettings = {
    name: p.address,
    localAsn: settings.asn,
    peerAsn: p.asn,
    peerAddress: p.address,
    ...(p.port !== undefined ? { peerPort: p.port } : {}),
    ...(p.localAddress !== undefined ? { sourceAddress: p.localAddress } : {}),
    ...(p.holdTime !== undefined ? { holdTimeSec: p.holdTime } : {}),
    ...(p.keepalive !== undefined ? { keepaliveSec: p.keepalive } : {}),
    ...(p.passive !== undefined ? { passive: p.passive } : {}),
    ...(settings.connectRetryMs !== undefined ? { backoff: { initialMs: settings.connectRetryMs, maxMs: settings.connectRetryMs * 4 } } : {}),
  };
  speaker.addPeer(s);
}

speaker.on('stateChange', (e) => emit({ event: 'state', peer: e.name, from: e.from.toLowerCase(), state: e.to.toLowerCase() }));
speaker.on('sessionUp', (e) => emit({ event: 'up', peer: e.name, negotiated: e.negotiated, localAddress: e.localAddress, remoteAddress: e.remoteAddress }));
speaker.on('sessionDown', (e) => emit({ event: 'down', peer: e.name, reason: e.reason }));
speaker.on('notificationReceived', (e) => emit({ event: 'notificationReceived', peer: e.name, code: e.notification.code, subcode: e.notification.subcode }));
speaker.on('updateReceived', (e) =>
  emit({
    event: 'update',
    peer: e.name,
    announced: e.announced.length,
    withdrawn: e.withdrawn.length,
    withdrawAll: e.withdrawAll,
    errors: e.errors.map((x) => x.reason),
    ...(e.endOfRib ? { endOfRib: e.endOfRib } : {}),
  }),
);
speaker.on('connectionRefused', (e) => emit({ event: 'refused', remoteAddress: e.remoteAddress }));

async function handle(line: string): Promise<void> {
  const c = JSON.parse(line) as { id: number; cmd: string; ads?: DriverAdvertisement[]; peer?: string };
  try {
    switch (c.cmd) {
      case 'advertise': {
        const ads = c.ads ?? [];
        for (const p of settings.peers) {
          const mine = ads.filter((a) => a.peers === undefined || a.peers.includes(p.address)).map(toAdvertisement);
          speaker.setAdvertisements(p.address, mine);
        }
        emit({ event: 'ack', id: c.id });
        return;
      }
      case 'status':
        emit({ event: 'ack', id: c.id, status: speaker.status() });
        return;
      case 'reset':
        await speaker.resetPeer(c.peer ?? '');
        emit({ event: 'ack', id: c.id });
        return;
      case 'close':
        await speaker.close();
        emit({ event: 'ack', id: c.id });
        process.exit(0);
        return;
      default:
        throw new Error(`unknown command ${c.cmd}`);
    }
  } catch (e) {
    emit({ event: 'error', id: c.id, message: (e as Error).message });
  }
}

await speaker.start();
emit({ event: 'ready', listen: speaker.listenAddress ?? null });
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim()) void handle(line);
});
process.on('SIGTERM', () => {
  void speaker.close().finally(() => process.exit(0));
  setTimeout(() => process.exit(0), 3000).unref();
});
