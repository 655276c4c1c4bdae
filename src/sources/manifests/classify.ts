/**
 * One object read from a manifest -> what the pipeline gets for it (pure): the shared classification
 * of `../classify-object.ts` (the Kubernetes source uses the same), plus where in the file the object
 * is: configuration objects travel raw with their origin and line lookups, validation issues carry
 * the file and line.
 */
import type { ClusterObjectKind, ClusterObjectKinds, ObjectIssue, RawConfigObject } from '../../model/cluster.js';
import type { ValidationContext } from '../../model/validate.js';
import { configKey, kindOf, nameOf, objectLabel, validateObject } from '../classify-object.js';
import type { ReadObject } from './read.js';

export { kindOf, objectLabel };

/** What one object of a file stands for: a change the source may pass on, or a problem of the file. */
export type Classified =
  | {
      readonly kind: ClusterObjectKind;
      readonly key: string;
      /** The slim object (or the raw configuration object), or why it is invalid. */
      readonly state: { readonly ok: true; readonly object: ClusterObjectKinds[ClusterObjectKind] } | { readonly ok: false; readonly issues: readonly ObjectIssue[] };
      readonly warnings: readonly ObjectIssue[];
    }
  /** An object of a validated kind that cannot be keyed (no name): a problem of its file. */
  | { readonly kind: 'unkeyed'; readonly issues: readonly ObjectIssue[] }
  | { readonly kind: 'ignored' };

/** Classifies, validates and slims one object read from a file. */
export function classify(read: ReadObject): Classified {
  const object = read.object;
  const kind = kindOf(object);
  if (kind === undefined) return { kind: 'ignored' };
  const file = read.document.file;
  if (kind === 'Config') {
    const { name, namespace } = nameOf(object);
    // A nameless configuration object still goes to the configuration builder, which reports it with
    // its line; its key is unique to where it is.
    const id = name ?? `?${file}#${read.document.index}${read.item !== undefined ? `.${read.item}` : ''}`;
    const raw: RawConfigObject = {
      object,
      origin: {
        file,
        get line(): number {
          return read.line;
        },
      },
      lineOf: read.lineOf,
      blockLineOf: read.blockLineOf,
    };
    return { kind, key: configKey(object, namespace, id), state: { ok: true, object: raw }, warnings: [] };
  }
  const context: ValidationContext = { file, lineOf: (path) => read.lineOf(path) ?? read.line };
  const v = validateObject(kind, object, context);
  if (v.key === undefined) return { kind: 'unkeyed', issues: v.state.ok ? [] : v.state.issues };
  return { kind, key: v.key, state: v.state, warnings: v.warnings };
}
