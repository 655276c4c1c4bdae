/**
 * The Kubernetes API server as a source: `KubernetesSource` (list and watch per resource, changes as
 * `ChangeBatch`es), the HTTP client it runs on (`KubeClient`, configured by client-node's
 * `KubeConfig`), and the resources it can watch.
 */
export { KubernetesSource } from './source.js';
export type { KubernetesSourceOptions, Reachability } from './source.js';
export { KubeApiError, KubeClient, loadKubeConfig } from './client.js';
export type { ApiResponse, KubeApi, RequestOptions, WatchEvent, WatchOptions } from './client.js';
export { ListWatch } from './list-watch.js';
export type { ListWatchSink, ListWatchTiming } from './list-watch.js';
export { ALL_KINDS, LEGACY_CONFIGMAP, pipelineKindOf, resourceOf } from './resources.js';
export type { ResourceSpec, WatchedKind } from './resources.js';
export { convertObject, keyOfObject } from './convert.js';
