/**
 * Test support for router-config: configurations and nodes written by hand (not by the config
 * parser), shared by the model, renderer and daemon tests. Not a test file itself.
 */
import type { BfdProfileConfig, Config, PeerConfig } from '../config/types.js';
import type { Node } from '../model/kubernetes.js';

export function peer(over: Partial<PeerConfig> = {}): PeerConfig {
  return {
    name: 'peer1',
    myAsn: 64512,
    peerAsn: 64512,
    peerAddress: '10.10.10.1',
    peerPort: 179,
    holdTime: 90,
    keepaliveTime: 30,
    nodeSelectors: [],
    ebgpMultiHop: false,
    enableGracefulRestart: false,
    ...over,
  };
}

export function config(peers: PeerConfig[], bfdProfiles: BfdProfileConfig[] = []): Config {
  return { peers, pools: [], advertisements: [], bfdProfiles, warnings: [] };
}

export function node(name: string, addresses: string[], labels: Record<string, string> = {}): Node {
  return {
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...labels } },
    status: { addresses: [...addresses.map((address) => ({ type: 'InternalIP', address })), { type: 'Hostname', address: name }] },
  };
}

/** The seed's ConfigMap (one peer, AS 64512 both sides) and its two nodes, in manifest order. */
export const seedConfig = config([peer()]);
export const seedNodes = [node('node117', ['10.10.10.117']), node('node116', ['10.10.10.116'])];

export const fastBfd: BfdProfileConfig = {
  name: 'fast',
  receiveInterval: 100,
  transmitInterval: 150,
  detectMultiplier: 4,
  echoInterval: 50,
  echoMode: false,
  passiveMode: true,
  minimumTtl: 254,
};

/**
 * A richer lab: router 10.10.10.1 (iBGP, password, short timers, BFD) for every node; router
 * 10.10.10.2 (AS 65000, eBGP) reached by rack 1 as AS 64601 and rack 2 as AS 64602 with multihop;
 * router fd00::1 (iBGP over IPv6) for the nodes with an IPv6 address.
 */
export const richConfig = config(
  [
    peer({ name: 'tor', password: 's3cret', holdTime: 30, keepaliveTime: 10, bfdProfile: 'fast' }),
    peer({
      name: 'spine-rack1',
      peerAddress: '10.10.10.2',
      peerAsn: 65000,
      myAsn: 64601,
      nodeSelectors: [{ matchLabels: { rack: '1' } }],
    }),
    peer({
      name: 'spine-rack2',
      peerAddress: '10.10.10.2',
      peerAsn: 65000,
      myAsn: 64602,
      ebgpMultiHop: true,
      nodeSelectors: [{ matchLabels: { rack: '2' } }],
    }),
    peer({ name: 'tor6', peerAddress: 'fd00::1', nodeSelectors: [{ matchExpressions: [{ key: 'ipv6', operator: 'Exists' }] }] }),
  ],
  [fastBfd],
);

export const richNodes = [
  node('node116', ['10.10.10.116', 'fd00::116'], { rack: '1', ipv6: 'yes' }),
  node('node117', ['10.10.10.117', 'fd00::117'], { rack: '1', ipv6: 'yes' }),
  node('node118', ['10.10.10.118'], { rack: '2' }),
];
