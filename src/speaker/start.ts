/**
 * What both speaker processes (`run` on files, `speaker` on the API server) start the same way: the BGP
 * speaker with its runtime, and the first complete read applied in two steps.
 */
import { Speaker } from '../bgp/session/speaker.js';
import type { ChangeBatch, ObjectChange } from '../model/cluster.js';
import type { Logger } from '../observe/log.js';
import { speakerPort } from './bgp-port.js';
import { SpeakerRuntime } from './runtime.js';
import type { ApplyResult, SpeakerPort } from './runtime.js';

/** What `startSpeakerRuntime` needs. */
export interface SpeakerRuntimeOptions {
  readonly node: string;
  readonly logger: Logger;
  /** Also accept connections from configured peers here. */
  readonly listen?: { readonly host: string; readonly port: number };
  readonly loadBalancerClass?: string;
  /** Graceful shutdown drain time, ms (RFC 8326). */
  readonly drainMs?: number;
  /** False in a cluster (the controller's statuses are the allocation's strongest claims); default true. */
  readonly standalone?: boolean;
}

/** Starts the BGP speaker (and its listener) and the runtime that drives it from the pipeline. */
export async function startSpeakerRuntime(options: SpeakerRuntimeOptions): Promise<{ speaker: Speaker; port: SpeakerPort & { settled(): Promise<void> }; runtime: SpeakerRuntime }> {
  const { logger } = options;
  const speaker = new Speaker({
    logger,
    // Within MetalLB's 2 s termination grace period, with room to exit.
    closeTimeoutMs: 1500,
    ...(options.listen ? { listen: { address: options.listen.host, port: options.listen.port } } : {}),
  });
  await speaker.start();
  const port = speakerPort(speaker, logger);
  const runtime = new SpeakerRuntime({
    node: options.node,
    speaker: port,
    logger,
    ...(options.standalone === false ? { standalone: false } : {}),
    ...(options.loadBalancerClass !== undefined ? { loadBalancerClass: options.loadBalancerClass } : {}),
    ...(options.drainMs !== undefined ? { drainMs: options.drainMs } : {}),
  });
  return { speaker, port, runtime };
}

/** Resolves after `n` turns of the event loop (I/O callbacks included). */
export async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/**
 * Applies the first complete read: the configuration, Nodes and Namespaces first, so the sessions
 * open, then two turns of the event loop (the connect completes, the OPEN goes out, the peer's OPEN
 * and KEEPALIVE are answered) while nothing else runs, then the rest (Services, EndpointSlices).
 * The rest is not applied once `closed()` says so. `applied` is called after each step.
 */
export async function applyFirstBatch(
  runtime: SpeakerRuntime,
  batch: ChangeBatch,
  closed: () => boolean,
  applied: (result: ApplyResult) => void = () => undefined,
): Promise<ApplyResult | undefined> {
  const head: ObjectChange[] = [];
  const tail: ObjectChange[] = [];
  for (const c of batch.changes) (c.kind === 'Config' || c.kind === 'Node' || c.kind === 'Namespace' ? head : tail).push(c);
  applied(runtime.apply({ changes: head, ...(batch.sourceIssues ? { sourceIssues: batch.sourceIssues } : {}) }));
  await turns(2);
  if (closed()) return undefined;
  const rest = runtime.apply({ changes: tail });
  applied(rest);
  return rest;
}
