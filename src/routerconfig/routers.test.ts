import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { config, fastBfd, node, peer, richConfig, richNodes, seedConfig, seedNodes } from './fixtures.test-support.js';
import { routerPlans } from './routers.js';

describe('routerPlans', () => {
  test('the seed: one router, AS 64512, both nodes as iBGP neighbors in manifest order, no extras', () => {
    const { routers, issues } = routerPlans(seedConfig, seedNodes);
    assert.deepEqual(issues, []);
    assert.deepEqual(routers, [
      {
        address: '10.10.10.1',
        family: 'ipv4',
        asn: 64512,
        routerId: '10.10.10.1',
        port: 179,
        neighbors: [
          { node: 'node117', peer: 'peer1', address: '10.10.10.117', family: 'ipv4', remoteAsn: 64512, ibgp: true, multihop: false },
          { node: 'node116', peer: 'peer1', address: '10.10.10.116', family: 'ipv4', remoteAsn: 64512, ibgp: true, multihop: false },
        ],
      },
    ]);
  });

  test('peers with one address are one router; nodeSelectors pick its neighbors; remote-as is myAsn', () => {
    const { routers } = routerPlans(richConfig, richNodes);
    assert.deepEqual(
      routers.map((r) => [r.address, r.asn, r.neighbors.map((n) => `${n.node}=${n.address}/${n.remoteAsn}${n.ibgp ? 'i' : 'e'}`)]),
      [
        ['10.10.10.1', 64512, ['node116=10.10.10.116/64512i', 'node117=10.10.10.117/64512i', 'node118=10.10.10.118/64512i']],
        ['10.10.10.2', 65000, ['node116=10.10.10.116/64601e', 'node117=10.10.10.117/64601e', 'node118=10.10.10.118/64602e']],
        ['fd00::1', 64512, ['node116=fd00::116/64512i', 'node117=fd00::117/64512i']],
      ],
    );
    assert.equal(routers[2]?.routerId, undefined);
  });

  test('password, non-default timers, BFD profile and multihop are carried; default timers are not', () => {
    const { routers } = routerPlans(richConfig, richNodes);
    const tor = routers[0]?.neighbors[0];
    assert.equal(tor?.password, 's3cret');
    assert.deepEqual(tor?.timers, { holdTime: 30, keepaliveTime: 10 });
    assert.deepEqual(tor?.bfd, fastBfd);
    const rack2 = routers[1]?.neighbors[2];
    assert.equal(rack2?.multihop, true);
    assert.equal(rack2?.timers, undefined);
    assert.equal(rack2?.password, undefined);
  });

  test('sourceAddress overrides the node address', () => {
    const { routers } = routerPlans(
      config([peer({ sourceAddress: '10.10.10.200', nodeSelectors: [{ matchLabels: { 'kubernetes.io/hostname': 'node116' } }] })]),
      seedNodes,
    );
    assert.deepEqual(routers[0]?.neighbors.map((n) => [n.node, n.address]), [['node116', '10.10.10.200']]);
  });

  test('--router keeps one router (the address is compared canonically)', () => {
    const { routers } = routerPlans(richConfig, richNodes, 'FD00:0::1');
    assert.deepEqual(routers.map((r) => r.address), ['fd00::1']);
  });

  test('dynamic ASN: internal means the router has myAsn; external cannot be rendered', () => {
    const internal = peer({ dynamicAsn: 'internal' });
    delete (internal as { peerAsn?: number }).peerAsn;
    const external = peer({ name: 'ext', peerAddress: '10.10.10.9', dynamicAsn: 'external' });
    delete (external as { peerAsn?: number }).peerAsn;
    const { routers, issues } = routerPlans(config([internal, external]), seedNodes);
    assert.deepEqual(routers.map((r) => [r.address, r.asn]), [['10.10.10.1', 64512]]);
    assert.deepEqual(issues.map((i) => [i.rule, i.router]), [['routerAsnUnknown', '10.10.10.9']]);
  });

  test('issues: conflicting router ASN, node without an address of the family, duplicate neighbor, unknown BFD profile, no neighbors', () => {
    const { routers, issues } = routerPlans(
      config([
        peer({ name: 'a' }),
        peer({ name: 'b', peerAsn: 65001 }),
        peer({ name: 'c', myAsn: 64999 }),
        peer({ name: 'v6', peerAddress: 'fd00::1' }),
        peer({ name: 'bfd', peerAddress: '10.10.10.3', bfdProfile: 'missing' }),
        peer({ name: 'nobody', peerAddress: '10.10.10.4', nodeSelectors: [{ matchLabels: { rack: '9' } }] }),
      ]),
      seedNodes,
    );
    assert.deepEqual(
      issues.map((i) => [i.rule, i.peer ?? '', i.node ?? '']),
      [
        ['conflictingRouterAsn', 'b', ''],
        ['duplicateNeighbor', 'c', 'node117'],
        ['duplicateNeighbor', 'c', 'node116'],
        ['nodeAddressUnknown', 'v6', 'node117'],
        ['nodeAddressUnknown', 'v6', 'node116'],
        ['bfdProfileUnknown', 'bfd', ''],
        ['noNeighbors', '', ''],
        ['noNeighbors', '', ''],
      ],
    );
    assert.deepEqual(routers[0]?.neighbors.map((n) => n.remoteAsn), [64512, 64512]);
    assert.equal(routers.find((r) => r.address === '10.10.10.3')?.neighbors[0]?.bfd, undefined);
  });

  test('a password no router CLI can take as written is reported', () => {
    for (const [password, rules] of [
      ['s3cret!#', []],
      ['two words', ['passwordNotPortable']],
      ['quo"te', ['passwordNotPortable']],
      ['back\\slash', ['passwordNotPortable']],
      ['caf\u00e9', ['passwordNotPortable']],
    ] as const) {
      const { issues } = routerPlans(config([peer({ password })]), seedNodes);
      assert.deepEqual(issues.map((i) => i.rule), rules, password);
    }
  });

  test('peerPort: the router listens where the nodes dial; a second port for one address is an error', () => {
    const { routers, issues } = routerPlans(config([peer({ peerPort: 1790 }), peer({ name: 'other', peerPort: 179, myAsn: 64999 })]), seedNodes);
    assert.equal(routers[0]?.port, 1790);
    assert.deepEqual(issues.map((i) => [i.rule, i.severity]), [
      ['conflictingPeerPort', 'error'],
      ['nonStandardPeerPort', 'warning'],
    ]);
  });

  test('a node is picked up only through its InternalIP', () => {
    const external: ReturnType<typeof node> = {
      ...node('n', []),
      status: { addresses: [{ type: 'ExternalIP', address: '192.0.2.1' }] },
    };
    const { routers, issues } = routerPlans(seedConfig, [external]);
    assert.deepEqual(routers[0]?.neighbors, []);
    assert.equal(issues[0]?.rule, 'nodeAddressUnknown');
  });
});
