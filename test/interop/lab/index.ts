/**
 * The interop lab library for tests and benchmarks: network namespaces with random-suffixed names,
 * a bridge, veths and addresses (10.10.10.0/24, fd00:10::/64, inside the namespaces only); FRR,
 * BIRD 2, GoBGP and ExaBGP started from generated configs with parsed-JSON query helpers; our speaker
 * as a driver process inside a namespace; hand-built BGP bytes and raw-socket peers; bounded
 * polling; and a teardown that kills every process it started by pid and deletes its namespaces.
 *
 * Typical use in a node:test file:
 *
 *   const lab = Lab.create();
 *   after(() => lab.teardown());
 *   test('...', async (t) => {
 *     if (!requireLab(t, ['frr'])) return;   // skip, with the reason, without root/daemons
 *     const r = await lab.addSwitch('r');     // namespace with br0 = 10.10.10.1, fd00:10::1
 *     const n = await lab.addHost('n', 11);   // namespace with eth0 = 10.10.10.11, fd00:10::b
 *     const frr = await startFrr(lab, r, { asn: 64512, routerId: r.v4, neighbors: [...] });
 *     await frr.waitEstablished(n.v4);
 *   });
 */
export * from './lab.js';
export * from './frr.js';
export * from './bird.js';
export * from './gobgp.js';
export * from './exabgp.js';
export * from './speaker.js';
export * from './vty.js';
export * from './mrt.js';
export * from './raw-bgp.js';
