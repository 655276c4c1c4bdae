/**
 * A standalone BFD endpoint for interop tests, run inside a lab namespace (`ip netns exec`):
 * `node bfd-peer.js LOCAL PEER TX_MS RX_MS MULT`. Prints `state FROM TO DIAG` on every change.
 */
import { BfdListener, BfdSender, BfdSession, BFD_SINGLE_HOP_PORT } from '../../src/bfd/index.js';
import { systemClock } from '../../src/bgp/session/clock.js';

const [local = '', peer = '', tx = '300', rx = '300', mult = '3'] = process.argv.slice(2);
const listener = await BfdListener.open(local, BFD_SINGLE_HOP_PORT);
const sender = await BfdSender.open(local, peer, BFD_SINGLE_HOP_PORT);
const session = new BfdSession({
  desiredMinTxUs: Number(tx) * 1000,
  requiredMinRxUs: Number(rx) * 1000,
  detectMult: Number(mult),
  myDiscriminator: 1 + Math.floor(Math.random() * 0xfffffffe),
  passive: false,
  seed: process.pid,
  clock: systemClock,
  send: (b) => sender.send(b),
  onStateChange: (from, to, diag) => process.stdout.write(`state ${from} ${to} ${diag}\n`),
});
listener.register(peer, (b) => session.receive(b));
session.start();
process.stdout.write(`ready ${sender.sourcePort}\n`);
