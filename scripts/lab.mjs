#!/usr/bin/env node
// `npm run lab` (root, Debian's frr): the seed scenario for real in network namespaces. A router
// namespace runs FRR, two node namespaces run `metallb-ts run` on the seed's manifests, a client
// namespace behind the router asks the service IP from many source ports and is answered by both
// nodes through the ECMP route. Prints FRR's view, the speakers' logs and the answers, then waits for
// Ctrl-C (or `--for SECONDS`) and tears everything down. The topology is
// test/interop/lab/seed-topology.ts (compiled to dist/), shared with the interop tests.
//
//   npm run lab [-- --for SECONDS] [-- --keep-logs]
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { for: { type: 'string' }, help: { type: 'boolean' } } });
if (values.help) {
  process.stdout.write('usage: npm run lab [-- --for SECONDS]\n');
  process.exit(0);
}
const forSeconds = values.for === undefined ? undefined : Number(values.for);
if (forSeconds !== undefined && !(forSeconds >= 0)) {
  process.stderr.write('lab: --for needs a number of seconds\n');
  process.exit(2);
}

const { Lab, labUnavailable } = await import('../dist/test/interop/lab/lab.js');
const { startSeedTopology, SERVICE_IP } = await import('../dist/test/interop/lab/seed-topology.js');

const why = labUnavailable(['frr']);
if (why) {
  process.stderr.write(`lab: cannot run here: ${why}\n`);
  process.exit(1);
}

const lab = Lab.create();
let stopping = false;
const stop = async (code) => {
  if (stopping) return;
  stopping = true;
  process.stdout.write('\n== tearing down (namespaces deleted, processes killed by pid)\n');
  await lab.teardown();
  process.exit(code);
};
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));

const section = (title, body) => process.stdout.write(`\n== ${title}\n${body.trimEnd()}\n`);

try {
  process.stdout.write(`lab ${lab.id}: building the seed topology (router 10.10.10.1 with FRR, nodes 10.10.10.116 and 10.10.10.117, client 172.31.0.2)\n`);
  const t0 = Date.now();
  const topo = await startSeedTopology(lab);
  section('manifests', `${topo.manifestsDir}: the seed's ConfigMap verbatim, Nodes node-116 and node-117, argocd/argocd-server and its EndpointSlice`);
  await topo.waitEstablished(30_000);
  await topo.waitRoute(`${SERVICE_IP}/32`, topo.nodes.map((n) => n.address), 30_000);
  process.stdout.write(`sessions Established and the ECMP route installed ${Date.now() - t0} ms after start\n`);

  section("router: vtysh -c 'show ip bgp summary'", await topo.frr.vtysh('show ip bgp summary'));
  section("router: vtysh -c 'show ip bgp neighbors'", await topo.frr.vtysh('show ip bgp neighbors'));
  section("router: vtysh -c 'show ip route bgp'", await topo.frr.vtysh('show ip route bgp'));
  section('router: ip route show 10.10.10.12 (the kernel)', await lab.exec(topo.router.name, 'ip', ['route', 'show', SERVICE_IP]));
  for (const { node, log } of topo.speakerLogs()) section(`speaker log of ${node}`, log);

  const answers = await topo.clientRequests(16);
  const byNode = new Map();
  for (const a of answers) byNode.set(a.body ?? `error: ${a.error}`, (byNode.get(a.body ?? `error: ${a.error}`) ?? 0) + 1);
  section(
    `client 172.31.0.2: 16 requests to http://${SERVICE_IP}/ from source ports ${answers[0]?.localPort}-${answers.at(-1)?.localPort}`,
    answers.map((a) => `  :${a.localPort} -> ${a.body ?? `error: ${a.error}`}`).join('\n') +
      '\n' + [...byNode].map(([k, v]) => `answered by ${k}: ${v}`).join('\n'),
  );
  if (forSeconds === undefined) {
    process.stdout.write('\nrunning; Ctrl-C stops and tears everything down\n');
  } else {
    process.stdout.write(`\nrunning for ${forSeconds} s, then tearing down\n`);
    setTimeout(() => void stop(0), forSeconds * 1000);
  }
} catch (err) {
  process.stderr.write(`lab failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  await stop(1);
}
