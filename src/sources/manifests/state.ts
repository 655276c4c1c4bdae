/**
 * The pipeline's state of a set of manifests, read once: for commands that look rather than run
 * (`plan`, the demo's topology, tests and benchmarks). `run` keeps a `ManifestSource` and feeds its
 * changes to the runtime instead.
 */
import type { ObjectIssue } from '../../model/cluster.js';
import { ClusterState } from '../../pipeline/cluster-state.js';
import type { ClusterStateOptions } from '../../pipeline/cluster-state.js';
import { ManifestSource } from './source.js';

/** Reads `paths` (files or folders) into a new `ClusterState`. */
export async function loadClusterState(paths: readonly string[], options: ClusterStateOptions = { standalone: true }): Promise<ClusterState> {
  const state = new ClusterState(options);
  state.apply(await new ManifestSource(paths).load());
  return state;
}

/** Every error of a state: files that do not read or parse, invalid objects, a configuration that does not build. */
export function stateErrors(state: ClusterState): ObjectIssue[] {
  const out: ObjectIssue[] = [];
  for (const issues of state.sourceIssues().values()) for (const e of issues) if (e.severity === 'error') out.push(e);
  for (const bad of state.invalidObjects()) for (const e of bad.issues) if (e.severity === 'error') out.push(e);
  if (state.configStale || !state.config) for (const e of state.configIssues) if (e.severity === 'error') out.push(e);
  return out;
}
