/**
 * A standalone BFD endpoint for interop tests, run inside a lab namespace (`ip netns exec`):
 * `node bfd-peer.js LOCAL PEER TX_MS RX_MS MULT`. Prints `state FROM TO DIAG` on every change,
 * `remote-tx US` when the peer's Desired Min TX changes and `steady US` ten packets later.
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
let remoteTx = 0;
let sinceChange = 0;
listener.register(peer, (b) => {
  session.receive(b);
  sinceChange++;
  if (session.state.remoteDesiredMinTxUs !== remoteTx) {
    remoteTx = session.state.remoteDesiredMinTxUs;
    sinceChange = 0;
    process.stdout.write(`remote-tx ${remoteTx}\n`);
  }
  // Ten packets after the peer's last interval change: lets a test wait for an event, not a time.
  if (sinceChange === 10) process.stdout.write(`steady ${remoteTx}\n`);
});
session.start();
process.stdout.write(`ready ${sender.sourcePort}\n`);
