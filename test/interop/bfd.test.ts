/**
 * BFD against FRR 8.4's bfdd (RFC 5880/5881): our session (src/bfd, in a child process inside a lab
 * namespace) comes Up with 300 ms x 3, stays Up through FRR's poll sequence to 200 ms, and when the child is SIGKILLed FRR declares the peer down
 * within the detection time (under 1 s). This covers the BFD protocol layer only; the BFD -> BGP
 * wiring of the speaker is not done yet.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { Lab, requireLab, waitUntil } from './lab/lab.js';
import { startFrr } from './lab/frr.js';

interface BfdPeerJson { peer: string; status: string; 'remote-receive-interval'?: number; 'remote-transmit-interval'?: number }

test('BFD: a session with FRR bfdd comes Up at 300 ms x 3 and FRR sees it down in under 1 s after SIGKILL', { timeout: 90_000 }, async (t) => {
  if (!requireLab(t, ['frr'])) return;
  const lab = Lab.create();
  after(() => lab.teardown());
  const r = await lab.addSwitch('r');
  const h = await lab.addHost('h', 5);
  const frr = await startFrr(lab, r, {
    asn: 64512,
    routerId: r.v4,
    neighbors: [],
    extra: ['log stdout debugging', 'debug bfd peer', 'bfd', ` peer ${h.v4}`, '  receive-interval 300', '  transmit-interval 300', '  detect-multiplier 3', ' !', '!'].join('\n'),
  });
  const bfdd = lab.spawn(r.name, `frr-bfdd-${frr.pathspace}`, '/usr/lib/frr/bfdd', ['-N', frr.pathspace, '-F', 'traditional', '-f', frr.confFile, '-P', '0']);
  const peerScript = fileURLToPath(new URL('./bfd-peer.js', import.meta.url));
  const child = lab.spawn(h.name, 'bfd-peer', process.execPath, [peerScript, h.v4, r.v4, '300', '300', '3'], { pipe: true });
  let out = '';
  child.child.stdout?.on('data', (d: Buffer) => { out += d.toString(); });
  const peers = async (): Promise<BfdPeerJson[]> => {
    try {
      return JSON.parse(await frr.vtysh('show bfd peers json')) as BfdPeerJson[];
    } catch {
      return [];
    }
  };
  const up = await waitUntil(async () => (await peers()).find((p) => p.peer === h.v4 && p.status === 'up'), { timeoutMs: 30_000, intervalMs: 100, what: 'FRR bfd peer up' });
  assert.equal(up['remote-receive-interval'], 300);
  assert.equal(up['remote-transmit-interval'], 300);
  await waitUntil(() => (out.includes('state Init Up') || out.includes('state Down Up') ? true : undefined), { timeoutMs: 10_000, what: 'our session Up' });
  // FRR changes its interval on the running session: a poll sequence (RFC 5880 §6.5) that we
  // answer with a Final; the session must not flap.
  await waitUntil(() => (out.includes('steady 300000') ? true : undefined), { timeoutMs: 10_000, what: 'steady at 300 ms' });
  await frr.vtysh('configure terminal', 'bfd', `peer ${h.v4}`, 'transmit-interval 200');
  await waitUntil(() => (out.includes('steady 200000') ? true : undefined), { timeoutMs: 10_000, what: 'FRR at 200 ms, ten packets later' });
  const after200 = (await peers()).find((p) => p.peer === h.v4);
  assert.equal(after200?.status, 'up');
  assert.equal(/state Up /.test(out), false, `our session left Up: ${out}`);
  const killedAt = Date.now();
  process.kill(child.pid, 'SIGKILL');
  await waitUntil(async () => (await peers()).find((p) => p.peer === h.v4 && p.status === 'down'), { timeoutMs: 5_000, intervalMs: 20, what: 'FRR bfd peer down' });
  const polled = Date.now() - killedAt;
  // bfdd logs the change with millisecond timestamps (`debug bfd peer`): the exact moment, free of
  // vtysh polling latency.
  const line = await waitUntil(() => lab.log(bfdd).split('\n').find((l) => l.includes(`peer:${h.v4}`) && / up -> down/.test(l)), { timeoutMs: 5_000, what: 'bfdd state-change log' });
  const m = /^(\d{4})\/(\d\d)\/(\d\d) (\d\d:\d\d:\d\d\.\d{3})/.exec(line);
  assert.ok(m, line);
  const elapsed = new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}`).getTime() - killedAt;
  t.diagnostic(`FRR bfdd logged the peer down ${elapsed} ms after SIGKILL (seen by polling after ${polled} ms): ${line}`);
  assert.ok(elapsed < 1000, `${elapsed} ms`);
});
