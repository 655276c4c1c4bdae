/**
 * Python's `kubernetes` client (Debian's python3-kubernetes, a client we did not write) against the
 * double: list with a resourceVersion, writes through the typed API (a stale replace answered 409),
 * then a watch from the listed resourceVersion that sees exactly the events after it; and a watch
 * from a resourceVersion the server expired, which the client raises as a 410.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ApiServerDouble } from './server.js';
import { startApiServer } from './server.js';
import type { Loose } from './test-support.js';
import { findPythonKubernetes } from './test-support.js';

const found = findPythonKubernetes();
const skip = 'skip' in found ? found.skip : false;

const LIST_AND_WATCH = `
import json, sys
from kubernetes import client, config, watch
config.load_kube_config(config_file=sys.argv[1])
v1 = client.CoreV1Api()
out = lambda **k: print(json.dumps(k), flush=True)
v1.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name="py")))
lst = v1.list_namespaced_config_map("py")
rv = lst.metadata.resource_version
out(step="listed", rv=rv, items=len(lst.items))
cm = v1.create_namespaced_config_map("py", client.V1ConfigMap(metadata=client.V1ObjectMeta(name="c1", labels={"app": "x"}), data={"a": "1"}))
stale = cm.metadata.resource_version
cm.data["a"] = "2"
cm = v1.replace_namespaced_config_map("c1", "py", cm)
cm.metadata.resource_version = stale
try:
    v1.replace_namespaced_config_map("c1", "py", cm)
    out(step="stale", status=200)
except client.exceptions.ApiException as e:
    out(step="stale", status=e.status, reason=json.loads(e.body)["reason"])
v1.patch_namespaced_config_map("c1", "py", {"data": {"a": "3"}})
v1.delete_namespaced_config_map("c1", "py")
events = []
w = watch.Watch()
for ev in w.stream(v1.list_namespaced_config_map, "py", resource_version=rv, timeout_seconds=30):
    events.append([ev["type"], ev["object"].metadata.name, ev["object"].data["a"], ev["object"].metadata.resource_version])
    if len(events) == 4:
        w.stop()
out(step="watched", events=events)
sel = v1.list_namespaced_config_map("py", label_selector="app=x")
out(step="selected", items=len(sel.items))
`;

const EXPIRED = `
import json, sys
from kubernetes import client, config, watch
config.load_kube_config(config_file=sys.argv[1])
v1 = client.CoreV1Api()
try:
    for ev in watch.Watch().stream(v1.list_namespaced_config_map, "py", resource_version=sys.argv[2], timeout_seconds=30):
        print(json.dumps({"step": "event", "type": ev["type"]}), flush=True)
    print(json.dumps({"step": "ended"}), flush=True)
except client.exceptions.ApiException as e:
    print(json.dumps({"step": "error", "status": e.status, "reason": e.reason}), flush=True)
`;

describe("Python's kubernetes client against the double", { skip }, () => {
  let api: ApiServerDouble;
  let dir = '';
  let kubeconfig = '';

  function python(script: string, args: readonly string[]): Promise<Loose[]> {
    const path = join(dir, 'script.py');
    writeFileSync(path, script);
    return new Promise((resolve, reject) => {
      const p = spawn('path' in found ? found.path : 'python3', [path, kubeconfig, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      p.on('error', reject);
      p.on('close', (code) => {
        if (code !== 0) reject(new Error(`python exited ${String(code)}: ${stderr}`));
        else resolve(stdout.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Loose));
      });
    });
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kube-double-python-'));
    api = await startApiServer();
    kubeconfig = join(dir, 'kubeconfig');
    api.writeKubeconfig(kubeconfig);
  });
  after(async () => {
    await api?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  let listedRv = '';

  test('list with resourceVersion, typed writes (stale replace is 409), watch from the listed resourceVersion sees every event after it', async () => {
    const steps = await python(LIST_AND_WATCH, []);
    const listed = steps.find((s) => s.step === 'listed');
    assert.equal(listed.items, 0);
    assert.match(listed.rv, /^\d+$/);
    listedRv = listed.rv;
    const stale = steps.find((s) => s.step === 'stale');
    assert.equal(stale.status, 409);
    assert.equal(stale.reason, 'Conflict');
    const watched = steps.find((s) => s.step === 'watched');
    assert.deepEqual(
      watched.events.map((e: Loose[]) => [e[0], e[1], e[2]]),
      [
        ['ADDED', 'c1', '1'],
        ['MODIFIED', 'c1', '2'],
        ['MODIFIED', 'c1', '3'],
        ['DELETED', 'c1', '3'],
      ],
    );
    const rvs = watched.events.map((e: Loose[]) => Number(e[3]));
    for (let i = 1; i < rvs.length; i++) assert.ok(rvs[i] > rvs[i - 1], 'resourceVersions increase');
    assert.ok(rvs[0] > Number(listedRv));
    assert.equal(steps.find((s) => s.step === 'selected').items, 0);
  });

  test('a watch from an expired resourceVersion raises 410 in the client', async () => {
    assert.notEqual(listedRv, '', 'runs after the list test');
    api.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'later', namespace: 'py' } });
    api.expireHistory();
    const steps = await python(EXPIRED, [listedRv]);
    assert.deepEqual(steps.map((s) => s.step), ['error']);
    assert.equal(steps[0].status, 410);
    assert.match(steps[0].reason, /^Expired: too old resource version/);
  });
});
