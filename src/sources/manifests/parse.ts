/**
 * Manifest text -> plain objects (pure). A file may hold any number of YAML (or JSON) documents, each
 * an object or a `kind: List` of objects. Every object keeps its origin (file, line of its start) and a
 * `lineOf(path)` lookup so later layers can point at the exact line of a field.
 *
 * Invariants: this never throws on any input text; syntax errors come back as `ManifestError`s with
 * file and line; empty documents are skipped; a document that is not a mapping is an error.
 */
import { LineCounter, isMap, isSeq, parseAllDocuments } from 'yaml';
import type { Document, Node as YamlNode } from 'yaml';
import { blockLineIn, firstLine, lineIn } from '../../config/yaml-lines.js';
import { syntaxErrorMessage } from './messages.js';
import type { ObjectPath } from '../../config/yaml-lines.js';

export type { ObjectPath, PathSegment } from '../../config/yaml-lines.js';
export { parseEmbeddedYaml } from '../../config/yaml-lines.js';

/** Where an object came from. */
export interface ManifestOrigin {
  /** The file as given (or the label passed to `parseManifests`). */
  readonly file: string;
  /** 1-based line where the object starts. */
  readonly line: number;
  /** 0-based index of the YAML document in the file. */
  readonly document: number;
  /** 0-based index in `items` when the object came from a `kind: List`. */
  readonly item?: number;
}

/** One object read from a manifest: the plain JSON-like value and where it came from. */
export interface ManifestObject {
  /** The object as plain data (`apiVersion`, `kind`, `metadata`, ...). */
  readonly object: Readonly<Record<string, unknown>>;
  readonly origin: ManifestOrigin;
  /**
   * The 1-based line of the value at `path` inside this object, or of its nearest ancestor that
   * exists; `undefined` only when nothing of the path exists.
   */
  readonly lineOf: (path: ObjectPath) => number | undefined;
  /**
   * When the value at `path` is a literal block scalar (`key: |`), the 1-based line of its first
   * content line (its lines map 1:1 to the file); otherwise `undefined`.
   */
  readonly blockLineOf: (path: ObjectPath) => number | undefined;
}

/** A problem reading a manifest: YAML syntax, a non-object document, an unreadable file. */
export interface ManifestError {
  readonly file: string;
  /** 1-based line; 0 when the problem has no line (an unreadable file). */
  readonly line: number;
  readonly column?: number;
  /** Stable identifier: `yamlSyntax`, `notAnObject`, `listItemNotAnObject`, `readFailed`. */
  readonly code: string;
  readonly message: string;
}

export interface ManifestSet {
  readonly objects: readonly ManifestObject[];
  readonly errors: readonly ManifestError[];
}

/** Options for `parseManifests`. */
export interface ParseManifestsOptions {
  /** Keep objects whose kind is `List` as they are instead of expanding `items` (default false). */
  readonly keepLists?: boolean;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Parses the text of one manifest file (YAML, multi-document, or JSON) into objects and errors.
 * `file` labels origins and errors. Never throws.
 */
export function parseManifests(text: string, file: string, options: ParseManifestsOptions = {}): ManifestSet {
  return parseJsonManifest(text, file, options) ?? parseYamlManifests(text, file, options);
}

/**
 * The fast path for a file that is one JSON object (what `kubectl get -o json` writes, often a `List`
 * of thousands of objects): `JSON.parse` is two orders of magnitude faster than building YAML
 * documents with positions. Lines are only needed when something is wrong with an object, so they
 * come from the YAML parse of the same text, done lazily on the first `lineOf`/`origin.line` asked
 * for, which gives exactly the answers the YAML path gives. Anything else (not JSON, or JSON that is
 * not an object) returns undefined and takes the YAML path, errors included.
 */
function parseJsonManifest(text: string, file: string, options: ParseManifestsOptions): ManifestSet | undefined {
  const start = text.search(/\S/);
  if (start < 0 || text[start] !== '{') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isPlainObject(value)) return undefined;
  let yaml: ManifestSet | undefined;
  const slow = (): ManifestSet => (yaml ??= parseYamlManifests(text, file, options));
  const make = (object: Record<string, unknown>, k: number, item: number | undefined): ManifestObject => ({
    object,
    origin: {
      file,
      document: 0,
      ...(item !== undefined ? { item } : {}),
      get line(): number {
        return slow().objects[k]?.origin.line ?? 1;
      },
    },
    lineOf: (path) => slow().objects[k]?.lineOf(path),
    blockLineOf: (path) => slow().objects[k]?.blockLineOf(path),
  });
  if (value.kind === 'List' && Array.isArray(value.items) && !options.keepLists) {
    // A non-object item is an error with a line: let the YAML path report it.
    if (!value.items.every(isPlainObject)) return undefined;
    return { objects: value.items.map((item: Record<string, unknown>, i: number) => make(item, i, i)), errors: [] };
  }
  return { objects: [make(value, 0, undefined)], errors: [] };
}

function parseYamlManifests(text: string, file: string, options: ParseManifestsOptions): ManifestSet {
  const objects: ManifestObject[] = [];
  const errors: ManifestError[] = [];
  const counter = new LineCounter();
  let docs: Document.Parsed[];
  try {
    docs = parseAllDocuments(text, { lineCounter: counter, prettyErrors: true, uniqueKeys: true }) as Document.Parsed[];
  } catch (err) {
    errors.push({ file, line: 1, code: 'yamlSyntax', message: err instanceof Error ? err.message : String(err) });
    return { objects, errors };
  }
  if (!Array.isArray(docs)) docs = [docs as Document.Parsed];
  docs.forEach((doc, index) => {
    if (doc.errors.length > 0) {
      for (const e of doc.errors) {
        const pos = e.linePos?.[0] ?? counter.linePos(e.pos[0]);
        errors.push({ file, line: pos.line, column: pos.col, code: 'yamlSyntax', message: syntaxErrorMessage(e.message, pos.col) });
      }
      return;
    }
    const contents = doc.contents as YamlNode | null;
    if (contents === null) return; // an empty document (a stray `---`)
    const startLine = contents.range ? counter.linePos(contents.range[0]).line : counter.linePos(doc.range[0]).line;
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 1000 });
    } catch (err) {
      errors.push({ file, line: startLine, code: 'yamlSyntax', message: err instanceof Error ? firstLine(err.message) : String(err) });
      return;
    }
    if (value === null || value === undefined) return;
    if (!isPlainObject(value)) {
      errors.push({ file, line: startLine, code: 'notAnObject', message: 'document is not an object (a mapping with apiVersion and kind)' });
      return;
    }
    if (value.kind === 'List' && Array.isArray(value.items) && !options.keepLists) {
      const itemsNode = isMap(contents) ? contents.get('items', true) : undefined;
      value.items.forEach((item: unknown, i: number) => {
        const itemNode: unknown = isSeq(itemsNode) ? itemsNode.items[i] : undefined;
        const itemLine = lineIn(itemNode, [], counter) ?? startLine;
        if (!isPlainObject(item)) {
          errors.push({ file, line: itemLine, code: 'listItemNotAnObject', message: `List item ${i} is not an object` });
          return;
        }
        objects.push({
          object: item,
          origin: { file, line: itemLine, document: index, item: i },
          lineOf: (path) => lineIn(itemNode, path, counter) ?? itemLine,
          blockLineOf: (path) => blockLineIn(itemNode, path, counter),
        });
      });
      return;
    }
    objects.push({
      object: value,
      origin: { file, line: startLine, document: index },
      lineOf: (path) => lineIn(contents, path, counter) ?? startLine,
      blockLineOf: (path) => blockLineIn(contents, path, counter),
    });
  });
  return { objects, errors };
}
