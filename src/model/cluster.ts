/**
 * The input of the pipeline from cluster objects to routes: a stream of object changes.
 *
 * Sources (`src/sources/manifests` today, the Kubernetes API later) turn what they read into these
 * changes: every object is validated and slimmed at the edge (`src/model/validate.ts`), so the pipeline
 * (`src/pipeline`) only ever sees the typed shapes of `kubernetes.ts`. A source passes on only what
 * changed: an object added or changed (`upsert`), removed (`delete`), or replaced by a version that
 * does not validate (`invalid`: the pipeline keeps the last good version of that object, if any, and
 * reports the problems; every other object goes on unaffected).
 *
 * Configuration objects (the ConfigMap `metallb-system/config`, `metallb.io` resources, the Secrets
 * they refer to) travel as raw objects with their origin: the configuration is built from all of them
 * together (`src/config`), and a build that fails keeps the last good configuration.
 */
import type { EndpointSlice, Node, Service } from './kubernetes.js';

/**
 * A problem with one object from outside, with where it is. A configuration issue (`ConfigIssue` of
 * `src/config/types.ts`) is one of these, so both print alike.
 */
export interface ObjectIssue {
  readonly severity: 'error' | 'warning';
  /** `Kind/namespace/name` (or `Kind/name` for cluster-scoped kinds). */
  readonly object: string;
  /** The field, dotted with indexes: `spec.ports[0].port`; empty for the whole object. */
  readonly path: string;
  /** The offending value, as text, when short. */
  readonly value?: string;
  /** A stable identifier tests assert (`notAList`, `invalidIP`, `missingField`, ...). */
  readonly rule: string;
  readonly message: string;
  readonly file?: string;
  readonly line?: number;
}

/** A configuration object as read: plain data and, from files, where it is (for line numbers). */
export interface RawConfigObject {
  readonly object: Readonly<Record<string, unknown>>;
  readonly origin?: { readonly file: string; readonly line: number };
  readonly lineOf?: (path: readonly (string | number)[]) => number | undefined;
  readonly blockLineOf?: (path: readonly (string | number)[]) => number | undefined;
}

/** The kinds of validated cluster objects and their slim shapes. */
export interface ClusterObjectKinds {
  readonly Service: Service;
  readonly EndpointSlice: EndpointSlice;
  readonly Node: Node;
  /** A Namespace is only its labels (for pools' namespaceSelectors). */
  readonly Namespace: { readonly name: string; readonly labels: Readonly<Record<string, string>> };
  /** Configuration objects: ConfigMap, metallb.io kinds and Secrets, built together. */
  readonly Config: RawConfigObject;
}

export type ClusterObjectKind = keyof ClusterObjectKinds;

/**
 * The key of an object within its kind: `namespace/name` for namespaced kinds (namespace `default`
 * when absent, see `namespacedKeyOf`), `name` for Nodes and Namespaces, and for configuration objects
 * `Kind/namespace/name` (so a ConfigMap and a BGPPeer of one name do not collide).
 */
export type ObjectKey = string;

/** Where an object was read (a file and the line where the object starts). */
export interface ObjectOrigin {
  readonly file: string;
  readonly line: number;
}

/** One change of one object. */
export type ObjectChange =
  | {
      readonly [K in ClusterObjectKind]: {
        readonly op: 'upsert';
        readonly kind: K;
        readonly key: ObjectKey;
        readonly object: ClusterObjectKinds[K];
        /** Where it was read, for reports about it later (an allocation that its request cannot get). */
        readonly origin?: ObjectOrigin;
      };
    }[ClusterObjectKind]
  | { readonly op: 'delete'; readonly kind: ClusterObjectKind; readonly key: ObjectKey }
  | { readonly op: 'invalid'; readonly kind: ClusterObjectKind; readonly key: ObjectKey; readonly issues: readonly ObjectIssue[] };

/**
 * Problems of a source that are not about one object: a file that cannot be read or does not parse.
 * `scope` names what they are about (a file path), so a later report for the same scope replaces them
 * and an empty list clears them. While a file does not parse, its objects stay as they were.
 */
export interface SourceIssues {
  readonly scope: string;
  readonly issues: readonly ObjectIssue[];
}

/** A batch of changes from a source, applied together. */
export interface ChangeBatch {
  readonly changes: readonly ObjectChange[];
  /** Source-level problems, by scope (absent: unchanged). */
  readonly sourceIssues?: readonly SourceIssues[];
}
