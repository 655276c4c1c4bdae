import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Config, PeerConfig, PoolConfig } from '../config/types.js';
import type { EndpointSlice, Node, Service } from '../model/kubernetes.js';
import { createLogger } from '../observe/log.js';
import type { PeerSettings } from '../bgp/session/settings.js';
import type { RemovePeerOptions, RouteAdvertisement, SpeakerPort } from './runtime.js';
import { SpeakerRuntime } from './runtime.js';
import { World } from './test-world.js';
import type { WorldState } from './test-world.js';
import { advertisementConfig as adv, peerConfig, poolConfig } from '../config/test-builders.js';

// ---- a fake speaker that records every call ----

/** What the session layer reads of an advertisement. */
function wire(a: RouteAdvertisement): RouteAdvertisement {
  return { prefix: a.prefix, ...(a.localPref !== undefined ? { localPref: a.localPref } : {}), communities: a.communities, largeCommunities: a.largeCommunities };
}

type Call =
  | { op: 'addPeer'; settings: PeerSettings }
  | { op: 'removePeer'; name: string; drainMs?: number; cease?: string }
  | { op: 'tableReady'; name: string }
  | { op: 'setAdvertisements'; name: string; ads: readonly RouteAdvertisement[] }
  | { op: 'updateAdvertisements'; name: string; upsert: readonly RouteAdvertisement[]; withdraw: readonly string[] };

class FakeSpeaker implements SpeakerPort {
  calls: Call[] = [];
  addPeer(settings: PeerSettings): void {
    this.calls.push({ op: 'addPeer', settings });
  }
  removePeer(name: string, options?: RemovePeerOptions): void {
    this.calls.push({ op: 'removePeer', name, ...(options ? { drainMs: options.drainMs, ...(options.cease ? { cease: options.cease } : {}) } : {}) });
  }
  tableReady(name: string): void {
    this.calls.push({ op: 'tableReady', name });
  }
  setAdvertisements(name: string, ads: readonly RouteAdvertisement[]): void {
    this.calls.push({ op: 'setAdvertisements', name, ads: ads.map(wire) });
  }
  updateAdvertisements(name: string, upsert: readonly RouteAdvertisement[], withdraw: readonly string[]): void {
    this.calls.push({ op: 'updateAdvertisements', name, upsert: upsert.map(wire), withdraw });
  }
  take(): Call[] {
    const c = this.calls;
    this.calls = [];
    return c;
  }
}

// ---- hand-written cluster data: the seed scenario (the demo's peer on 127.0.0.1:1179) ----

const peer = (over: Partial<PeerConfig> = {}): PeerConfig => peerConfig({ peerAddress: '127.0.0.1', peerPort: 1179, ...over });
const pool = (name: string, first: string, last: string): PoolConfig => poolConfig(name, [[first, last]], { avoidBuggyIPs: true });




function config(over: Partial<Config> = {}): Config {
  return {
    peers: [peer()],
    pools: [pool('default', '10.10.10.10', '10.10.10.98')],
    advertisements: [adv('bgpadvertisement1', ['default'])],
    bfdProfiles: [],
    warnings: [],
    ...over,
  };
}

function node(name: string, address: string, labels: Record<string, string> = {}): Node {
  return {
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...labels } },
    status: { addresses: [{ type: 'InternalIP', address }] },
  };
}

function service(namespace: string, name: string, ip?: string): Service {
  return {
    kind: 'Service',
    metadata: { namespace, name, ...(ip ? { annotations: { 'metallb.io/loadBalancerIPs': ip } } : {}) },
    spec: { type: 'LoadBalancer', clusterIP: '10.96.0.10', ipFamilies: ['IPv4'], externalTrafficPolicy: 'Cluster' },
  };
}

function slice(namespace: string, svc: string, nodes: string[], ready = true): EndpointSlice {
  return {
    kind: 'EndpointSlice',
    metadata: { namespace, name: `${svc}-abc`, labels: { 'kubernetes.io/service-name': svc } },
    addressType: 'IPv4',
    endpoints: nodes.map((n, i) => ({ addresses: [`10.244.${i}.5`], conditions: { ready }, nodeName: n })),
  };
}

function snapshot(over: WorldState = {}): WorldState {
  return {
    config: config(),
    nodes: [node('node-116', '127.0.0.116'), node('node-117', '127.0.0.117')],
    services: [service('argocd', 'argocd-server', '10.10.10.12')],
    endpointSlices: [slice('argocd', 'argocd-server', ['node-116', 'node-117'])],
    ...over,
  };
}

function setup(
  nodeName = 'node-116',
  options: { drainMs?: number; ignoreExcludeLB?: boolean } = {},
): {
  rt: { apply(state: WorldState): ReturnType<SpeakerRuntime['apply']>; runtime: SpeakerRuntime; sessionSettings(): ReadonlyMap<string, PeerSettings> };
  speaker: FakeSpeaker;
  logs: Record<string, unknown>[];
} {
  const speaker = new FakeSpeaker();
  const logs: Record<string, unknown>[] = [];
  const logger = createLogger({ level: 'all', write: (l) => logs.push(JSON.parse(l) as Record<string, unknown>) });
  const runtime = new SpeakerRuntime({ node: nodeName, speaker, logger, ...options });
  const world = new World();
  const rt = {
    runtime,
    apply: (state: WorldState) => runtime.apply(world.batch(state)),
    sessionSettings: () => runtime.sessionSettings(),
  };
  return { rt, speaker, logs };
}

function events(logs: Record<string, unknown>[]): string[] {
  return logs.map((l) => String(l['event']));
}

describe('SpeakerRuntime', () => {
  test('the seed scenario: one session bound to the node address, the service IP advertised', () => {
    const { rt, speaker, logs } = setup();
    assert.equal(rt.apply(snapshot()).applied, true);
    const calls = speaker.take();
    assert.deepEqual(calls.map((c) => c.op), ['addPeer', 'setAdvertisements']);
    const add = calls[0];
    assert.ok(add?.op === 'addPeer');
    assert.equal(add.settings.name, 'peer1');
    assert.equal(add.settings.peerAddress, '127.0.0.1');
    assert.equal(add.settings.peerPort, 1179);
    // No sourceAddress configured: the session binds to the node's InternalIP of the peer's family.
    assert.equal(add.settings.sourceAddress, '127.0.0.116');
    const set = calls[1];
    assert.ok(set?.op === 'setAdvertisements');
    assert.deepEqual(set.ads, [{ prefix: '10.10.10.12/32', localPref: 0, communities: [], largeCommunities: [] }]);
    assert.deepEqual(events(logs), ['config reloaded', 'ipAllocated', 'peerAdded', 'updatedAdvertisements', 'serviceAnnounced']);
  });

  test('a batch of configuration and nodes opens the sessions; the services that follow are sent as one set', () => {
    const { rt, speaker, logs } = setup();
    const all = snapshot();
    rt.apply({ config: config(), ...(all.nodes ? { nodes: all.nodes } : {}) });
    const opened = speaker.take();
    assert.deepEqual(opened.map((c) => c.op), ['addPeer', 'setAdvertisements']);
    assert.ok(opened[0]?.op === 'addPeer');
    assert.equal(opened[0].settings.sourceAddress, '127.0.0.116');
    assert.deepEqual(opened[1]?.op === 'setAdvertisements' && opened[1].ads, []);
    rt.apply(all);
    const calls = speaker.take();
    assert.deepEqual(calls, [{ op: 'updateAdvertisements', name: 'peer1', upsert: [{ prefix: '10.10.10.12/32', localPref: 0, communities: [], largeCommunities: [] }], withdraw: [] }]);
    assert.deepEqual(events(logs), ['config reloaded', 'peerAdded', 'ipAllocated', 'updatedAdvertisements', 'serviceAnnounced']);
  });

  test('openSessions opens nothing without this node', () => {
    const { rt, speaker, logs } = setup('node-999');
    rt.apply(snapshot());
    assert.deepEqual(speaker.take(), []);
    const missing = logs.find((l) => l['event'] === 'nodeNotFound');
    assert.equal(missing?.['level'], 'warn');
    assert.deepEqual(missing?.['nodes'], ['node-116', 'node-117']);
    assert.equal(rt.runtime.nodeFound, false);
  });

  test("the logs match the seed's lines key for key and value for value (plus level)", () => {
    const { rt, logs } = setup();
    rt.apply(snapshot());
    const seedFile = new URL('../../../src/speaker/testdata/seed-logs.jsonl', import.meta.url);
    const seed = readFileSync(seedFile, 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(seed.length, 2);
    for (const want of seed) {
      const got = logs.find((l) => l['event'] === want['event']);
      assert.ok(got, `no ${String(want['event'])} line`);
      assert.deepEqual(Object.keys(got), [...Object.keys(want), 'level'].sort());
      for (const [k, v] of Object.entries(want)) {
        if (k === 'ts') assert.match(String(got[k]), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{1,9}Z$/);
        else if (k === 'caller') assert.match(String(got[k]), /^[\w.-]+\.(ts|js):\d+$/);
        else assert.deepEqual(got[k], v, k);
      }
      assert.equal(got['level'], 'info');
    }
  });

  test('service changes replace advertisements and never touch the session', () => {
    const { rt, speaker, logs } = setup();
    rt.apply(snapshot());
    speaker.take();
    logs.length = 0;

    // A second service appears.
    rt.apply(
      snapshot({
        services: [service('argocd', 'argocd-server', '10.10.10.12'), service('web', 'shop')],
        endpointSlices: [slice('argocd', 'argocd-server', ['node-116']), slice('web', 'shop', ['node-117'])],
      }),
    );
    let calls = speaker.take();
    assert.deepEqual(calls, [
      // Standalone mode: web/shop's hashed first choice in the pool (src/allocator/README.md).
      { op: 'updateAdvertisements', name: 'peer1', upsert: [{ prefix: '10.10.10.47/32', localPref: 0, communities: [], largeCommunities: [] }], withdraw: [] },
    ]);
    assert.deepEqual(events(logs), ['ipAllocated', 'updatedAdvertisements', 'serviceAnnounced']);
    logs.length = 0;

    // Its endpoints stop being ready: withdrawn with MetalLB's reason.
    rt.apply(
      snapshot({
        services: [service('argocd', 'argocd-server', '10.10.10.12'), service('web', 'shop')],
        endpointSlices: [slice('argocd', 'argocd-server', ['node-116']), slice('web', 'shop', ['node-117'], false)],
      }),
    );
    calls = speaker.take();
    assert.deepEqual(calls, [{ op: 'updateAdvertisements', name: 'peer1', upsert: [], withdraw: ['10.10.10.47/32'] }]);
    assert.deepEqual(events(logs), ['serviceWithdrawn']);
    assert.equal(logs[0]?.['reason'], 'noEndpoints');
    assert.equal(logs[0]?.['service'], 'web/shop');
    assert.equal(logs[0]?.['ip'], '10.10.10.47');
    logs.length = 0;

    // The service is deleted from the manifests.
    rt.apply(snapshot({ services: [], endpointSlices: [] }));
    calls = speaker.take();
    assert.deepEqual(calls, [{ op: 'updateAdvertisements', name: 'peer1', upsert: [], withdraw: ['10.10.10.12/32'] }]);
    assert.deepEqual(events(logs), ['serviceWithdrawn']);
    assert.equal(logs[0]?.['reason'], 'serviceDeleted');

    // The same snapshot again: nothing at all is sent.
    rt.apply(snapshot({ services: [], endpointSlices: [] }));
    assert.deepEqual(speaker.take(), []);
  });

  test('configuration changes that do not concern a peer keep its session', () => {
    const { rt, speaker } = setup();
    rt.apply(snapshot());
    speaker.take();
    const other = peer({ name: 'peer2', peerAddress: '127.0.0.2', peerAsn: 64513 });
    // A new pool, communities on the advertisement, and a second peer.
    rt.apply(
      snapshot({
        config: config({
          peers: [peer(), other],
          pools: [pool('default', '10.10.10.10', '10.10.10.98'), pool('extra', '10.10.20.10', '10.10.20.20')],
          advertisements: [adv('bgpadvertisement1', ['default'], { communities: ['64512:100'] })],
        }),
      }),
    );
    const calls = speaker.take();
    assert.equal(calls.filter((c) => c.op === 'removePeer').length, 0);
    assert.deepEqual(
      calls.filter((c) => c.op === 'addPeer').map((c) => c.op === 'addPeer' && c.settings.name),
      ['peer2'],
    );
    const sets = calls.filter((c): c is Extract<Call, { op: 'setAdvertisements' }> => c.op === 'setAdvertisements');
    assert.deepEqual(
      sets.map((s) => [s.name, s.ads.map((a) => [a.prefix, a.communities, a.localPref])]),
      [
        ['peer1', [['10.10.10.12/32', ['64512:100'], 0]]],
        // eBGP: no LOCAL_PREF.
        ['peer2', [['10.10.10.12/32', ['64512:100'], undefined]]],
      ],
    );
  });

  test('a peer whose own settings change is replaced; the others are kept', () => {
    const { rt, speaker, logs } = setup();
    const other = peer({ name: 'peer2', peerAddress: '127.0.0.2' });
    rt.apply(snapshot({ config: config({ peers: [peer(), other] }) }));
    speaker.take();
    logs.length = 0;
    rt.apply(snapshot({ config: config({ peers: [peer({ holdTime: 30, keepaliveTime: 10 }), other] }) }));
    const calls = speaker.take();
    assert.deepEqual(
      calls.map((c) => [c.op, c.op === 'addPeer' ? c.settings.name : c.name]),
      [
        ['removePeer', 'peer1'],
        ['addPeer', 'peer1'],
        ['setAdvertisements', 'peer1'],
      ],
    );
    assert.deepEqual(events(logs), ['config reloaded', 'peerRemoved', 'peerAdded']);
  });

  test("a change of the node's address re-binds its sessions; node selectors add and remove peers", () => {
    const { rt, speaker, logs } = setup();
    const rack = peer({ name: 'tor', peerAddress: '127.0.0.3', nodeSelectors: [{ matchLabels: { rack: 'a' } }] });
    rt.apply(snapshot({ config: config({ peers: [peer(), rack] }) }));
    assert.deepEqual(speaker.take().filter((c) => c.op === 'addPeer').length, 1);

    rt.apply(snapshot({ config: config({ peers: [peer(), rack] }), nodes: [node('node-116', '127.0.0.126', { rack: 'a' })] }));
    const calls = speaker.take();
    assert.deepEqual(
      calls.filter((c) => c.op !== 'setAdvertisements').map((c) => [c.op, c.op === 'addPeer' ? `${c.settings.name}@${c.settings.sourceAddress}` : c.name]),
      [
        ['removePeer', 'peer1'],
        ['addPeer', 'peer1@127.0.0.126'],
        ['addPeer', 'tor@127.0.0.126'],
      ],
    );
    logs.length = 0;
    rt.apply(snapshot({ config: config({ peers: [peer(), rack] }), nodes: [node('node-116', '127.0.0.126')] }));
    assert.deepEqual(speaker.take().map((c) => c.op), ['removePeer']);
    const removed = logs.find((l) => l['event'] === 'peerRemoved');
    assert.equal(removed?.['reason'], 'filteredByNodeSelector');
  });

  test('legacy peers renumbered by a deletion keep their sessions; fields that need no reset keep them too', () => {
    const { rt, speaker, logs } = setup();
    // Legacy peers are named by position: deleting the first renames the second.
    const a = peer({ name: 'peer1', peerAddress: '127.0.0.2' });
    const b = peer({ name: 'peer2', peerAddress: '127.0.0.3' });
    rt.apply(snapshot({ config: config({ peers: [a, b] }) }));
    speaker.take();
    logs.length = 0;
    rt.apply(snapshot({ config: config({ peers: [{ ...b, name: 'peer1' }] }) }));
    // Only the deleted peer's session goes; the other keeps its session (key peer2) and sends nothing new.
    assert.deepEqual(speaker.take(), [{ op: 'removePeer', name: 'peer1' }]);
    // The service now reaches one router instead of two: logged as an update of its advertisements.
    assert.deepEqual(events(logs), ['config reloaded', 'peerRemoved', 'peerUpdated', 'updatedAdvertisements', 'serviceAnnounced']);
    assert.equal(logs[1]?.['peer'], '127.0.0.2');
    assert.deepEqual([logs[2]?.['peerName'], logs[2]?.['previousName']], ['peer1', 'peer2']);
    assert.deepEqual([...rt.sessionSettings().keys()], ['peer2']);

    // A new service reaches the renamed peer through its session.
    rt.apply(
      snapshot({
        config: config({ peers: [{ ...b, name: 'peer1' }] }),
        services: [service('argocd', 'argocd-server', '10.10.10.12'), service('web', 'shop')],
        endpointSlices: [slice('argocd', 'argocd-server', ['node-116']), slice('web', 'shop', ['node-116'])],
      }),
    );
    const calls = speaker.take();
    assert.deepEqual(calls.map((c) => [c.op, c.op === 'addPeer' ? c.settings.name : c.name]), [['updateAdvertisements', 'peer2']]);

    // keepaliveTime needs no reset (RFC 4271 §4.4: keepalives are local); nodeSelectors that still select
    // this node neither.
    logs.length = 0;
    rt.apply(
      snapshot({
        config: config({ peers: [{ ...b, name: 'peer1', keepaliveTime: 10, nodeSelectors: [{ matchLabels: { 'kubernetes.io/hostname': 'node-116' } }] }] }),
        services: [service('argocd', 'argocd-server', '10.10.10.12'), service('web', 'shop')],
        endpointSlices: [slice('argocd', 'argocd-server', ['node-116']), slice('web', 'shop', ['node-116'])],
      }),
    );
    assert.deepEqual(speaker.take(), []);
    assert.deepEqual(events(logs), ['config reloaded', 'peerUpdated']);
    assert.deepEqual(logs[1]?.['fields'], ['keepaliveTime', 'nodeSelectors']);
  });

  test('a configuration that does not build keeps the last good state and logs why', () => {
    const { rt, speaker, logs } = setup();
    rt.apply(snapshot());
    speaker.take();
    logs.length = 0;
    const result = rt.apply(snapshot({ config: config({ peers: [peer({ holdTime: 1 })] }) }));
    assert.equal(result.applied, false);
    assert.equal(rt.runtime.stale, true);
    assert.deepEqual(speaker.take(), []);
    assert.equal(logs.length, 1);
    assert.equal(logs[0]?.['msg'], 'failed to parse the configuration');
    assert.equal(logs[0]?.['level'], 'error');
    assert.equal(logs[0]?.['keeping'], 'last good configuration');
    assert.deepEqual((logs[0]?.['errors'] as { object: string; path: string }[]).map((e) => [e.object, e.path])[0], ['BGPPeer/peer1', 'spec.holdTime']);
    assert.equal(rt.runtime.cluster.serviceCount, 1);
    // Services keep flowing while the configuration is stale: removing the service withdraws it.
    logs.length = 0;
    rt.apply(snapshot({ config: config({ peers: [peer({ holdTime: 1 })] }), services: [] }));
    assert.deepEqual(speaker.take(), [{ op: 'updateAdvertisements', name: 'peer1', upsert: [], withdraw: ['10.10.10.12/32'] }]);
    // Fixed again: said so, and nothing else changes.
    rt.apply(snapshot({ services: [] }));
    assert.deepEqual(speaker.take(), []);
    assert.deepEqual(events(logs), ['serviceWithdrawn', 'configCurrent']);
    assert.equal(rt.runtime.stale, false);
  });

  test('a node missing from the manifests closes its sessions and withdraws', () => {
    const { rt, speaker, logs } = setup('node-117');
    rt.apply(snapshot());
    speaker.take();
    logs.length = 0;
    rt.apply(snapshot({ nodes: [node('node-116', '127.0.0.116')] }));
    assert.deepEqual(speaker.take(), [{ op: 'removePeer', name: 'peer1' }]);
    assert.deepEqual(events(logs), ['nodeNotFound', 'peerRemoved', 'serviceWithdrawn']);
    assert.equal(logs[2]?.['reason'], 'nodeNotFound');
  });

  test('no session sends its table before the first complete read; after it, every session at once', () => {
    const { rt, speaker, logs } = setup();
    // The configuration and the Nodes first (as `run` applies them), then the services.
    rt.apply(snapshot({ services: [], endpointSlices: [] }));
    rt.apply(snapshot());
    const before = speaker.take();
    assert.equal(before.filter((c) => c.op === 'tableReady').length, 0);
    assert.deepEqual(before.map((c) => c.op), ['addPeer', 'setAdvertisements', 'updateAdvertisements']);
    assert.equal(rt.runtime.synced, false);
    rt.runtime.sourcesSynced();
    assert.deepEqual(speaker.take(), [{ op: 'tableReady', name: 'peer1' }]);
    assert.equal(logs.find((l) => l['event'] === 'sourcesSynced')?.['prefixes'], 1);
    rt.runtime.sourcesSynced();
    assert.deepEqual(speaker.take(), []);
    // A peer added later gets its set, then is ready at once; the kept session is not told again.
    const other = peer({ name: 'peer2', peerAddress: '127.0.0.2' });
    rt.apply(snapshot({ config: config({ peers: [peer(), other] }) }));
    assert.deepEqual(
      speaker.take().map((c) => [c.op, c.op === 'addPeer' ? c.settings.name : c.name]),
      [
        ['addPeer', 'peer2'],
        ['setAdvertisements', 'peer2'],
        ['tableReady', 'peer2'],
      ],
    );
  });

  test('with a drain time, a peer that leaves is drained; a session replaced for new settings is not', () => {
    const { rt, speaker, logs } = setup('node-116', { drainMs: 5000 });
    const rack = peer({ name: 'tor', peerAddress: '127.0.0.3', nodeSelectors: [{ matchLabels: { rack: 'a' } }] });
    const labelled = [node('node-116', '127.0.0.116', { rack: 'a' }), node('node-117', '127.0.0.117')];
    rt.apply(snapshot({ config: config({ peers: [peer(), rack] }), nodes: labelled }));
    speaker.take();
    // The node loses the label its peer selects: drained, then Cease 6/3.
    rt.apply(snapshot({ config: config({ peers: [peer(), rack] }) }));
    assert.deepEqual(speaker.take(), [{ op: 'removePeer', name: 'tor', drainMs: 5000, cease: 'peerDeconfigured' }]);
    assert.equal(logs.find((l) => l['event'] === 'peerRemoved')?.['drainMs'], 5000);
    // A hold time change replaces the session at once.
    rt.apply(snapshot({ config: config({ peers: [peer({ holdTime: 30 })] }) }));
    assert.deepEqual(speaker.take().map((c) => [c.op, c.op === 'removePeer' ? c.drainMs : undefined]), [
      ['removePeer', undefined],
      ['addPeer', undefined],
      ['setAdvertisements', undefined],
    ]);
    // A peer deleted from the configuration is drained too.
    rt.apply(snapshot({ config: config({ peers: [] }) }));
    assert.deepEqual(speaker.take(), [{ op: 'removePeer', name: 'peer1', drainMs: 5000, cease: 'peerDeconfigured' }]);
  });

  test('a node labelled exclude-from-external-load-balancers drains and closes its sessions (Cease 6/2) until the label goes', () => {
    const excludedNode = node('node-116', '127.0.0.116', { 'node.kubernetes.io/exclude-from-external-load-balancers': '' });
    for (const drainMs of [5000, 0]) {
      const { rt, speaker, logs } = setup('node-116', { drainMs });
      rt.apply(snapshot());
      speaker.take();
      rt.apply(snapshot({ nodes: [excludedNode, node('node-117', '127.0.0.117')] }));
      assert.deepEqual(speaker.take(), [{ op: 'removePeer', name: 'peer1', drainMs, cease: 'administrativeShutdown' }]);
      assert.equal(logs.find((l) => l['event'] === 'peerRemoved')?.['reason'], 'nodeLabeledExcludeBalancers');
      assert.equal(logs.find((l) => l['event'] === 'serviceWithdrawn')?.['reason'], 'nodeLabeledExcludeBalancers');
      // Nothing while excluded; the session and the route come back with the label gone.
      rt.apply(snapshot({ nodes: [excludedNode, node('node-117', '127.0.0.117')], services: [service('argocd', 'argocd-server', '10.10.10.13')] }));
      assert.deepEqual(speaker.take(), []);
      rt.apply(snapshot());
      const back = speaker.take();
      assert.deepEqual(back.map((c) => c.op), ['addPeer', 'setAdvertisements']);
      assert.deepEqual(back[1]?.op === 'setAdvertisements' ? back[1].ads.map((a) => a.prefix) : [], ['10.10.10.12/32']);
    }
    // With MetalLB's --ignore-exclude-lb the label changes nothing.
    const { rt, speaker } = setup('node-116', { drainMs: 5000, ignoreExcludeLB: true });
    rt.apply(snapshot());
    speaker.take();
    rt.apply(snapshot({ nodes: [excludedNode, node('node-117', '127.0.0.117')] }));
    assert.deepEqual(speaker.take(), []);
  });
});
