/**
 * Manifest text -> plain objects (pure). A file may hold any number of YAML (or JSON) documents, each
 * an object or a `kind: List` of objects. Every object keeps its origin (file, line of its start) and a
 * `lineOf(path)` lookup so later layers can point at the exact line of a field.
 *
 * Invariants: this never throws on any input text; syntax errors come back as `ManifestError`s with
 * file and line; empty documents are skipped; a document that is not a mapping is an error.
 */
import { LineCounter, isMap, isNode, isSeq, parseAllDocuments } from 'yaml';
import type { Document, Node as YamlNode } from 'yaml';

/** A segment of a path into an object: a key or a list index. */
export type PathSegment = string | number;
export type ObjectPath = readonly PathSegment[];

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

function firstLine(message: string): string {
  const nl = message.indexOf('\n');
  return nl === -1 ? message : message.slice(0, nl);
}

/** Finds the line of `path` inside `node`, falling back to the deepest ancestor that exists. */
function lineIn(node: unknown, path: ObjectPath, counter: LineCounter): number | undefined {
  let current: unknown = node;
  let best: number | undefined;
  const lineOfNode = (n: unknown): number | undefined => {
    if (isNode(n) && n.range) return counter.linePos(n.range[0]).line;
    return undefined;
  };
  best = lineOfNode(current);
  for (const seg of path) {
    if (isMap(current)) {
      const pair = current.items.find((p) => {
        const k: unknown = p.key;
        const keyValue = isNode(k) && 'value' in k ? (k as { value: unknown }).value : k;
        return String(keyValue) === String(seg);
      });
      if (!pair) return best;
      // Point at the key's line: a block value starts on the line after its key.
      const keyLine = lineOfNode(pair.key);
      const valueLine = lineOfNode(pair.value);
      current = pair.value;
      best = keyLine ?? valueLine ?? best;
    } else if (isSeq(current) && typeof seg === 'number') {
      const item = current.items[seg];
      if (item === undefined) return best;
      current = item;
      best = lineOfNode(item) ?? best;
    } else {
      return best;
    }
  }
  return best;
}

/** The first content line of a literal block scalar at `path` under `node`, if it is one. */
function blockLineIn(node: unknown, path: ObjectPath, counter: LineCounter): number | undefined {
  let current: unknown = node;
  for (const seg of path) {
    if (isMap(current)) current = current.get(seg, true);
    else if (isSeq(current) && typeof seg === 'number') current = current.items[seg];
    else return undefined;
  }
  if (!isNode(current) || !current.range || !('type' in current) || current.type !== 'BLOCK_LITERAL') return undefined;
  return counter.linePos(current.range[0]).line + 1;
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
        errors.push({ file, line: pos.line, column: pos.col, code: 'yamlSyntax', message: firstLine(e.message) });
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

/**
 * Parses a YAML text that is embedded in another file (such as a ConfigMap's `data.config`) into one
 * value, with a line lookup; `lineOffset` is added to every line. Never throws.
 */
export function parseEmbeddedYaml(
  text: string,
  lineOffset: number,
): { value: unknown; errors: { line: number; column: number; message: string }[]; lineOf: (path: ObjectPath) => number | undefined } {
  const counter = new LineCounter();
  const errors: { line: number; column: number; message: string }[] = [];
  let docs: Document.Parsed[];
  try {
    docs = parseAllDocuments(text, { lineCounter: counter, prettyErrors: true, uniqueKeys: true }) as Document.Parsed[];
  } catch (err) {
    return { value: undefined, errors: [{ line: lineOffset + 1, column: 1, message: String(err) }], lineOf: () => undefined };
  }
  if (!Array.isArray(docs)) docs = [docs as Document.Parsed];
  const nonEmpty = docs.filter((d) => d.errors.length > 0 || d.contents !== null);
  for (const d of nonEmpty) {
    for (const e of d.errors) {
      const pos = e.linePos?.[0] ?? counter.linePos(e.pos[0]);
      errors.push({ line: pos.line + lineOffset, column: pos.col, message: firstLine(e.message) });
    }
  }
  if (nonEmpty.length > 1 && errors.length === 0) {
    const second = nonEmpty[1];
    const line = second?.contents?.range ? counter.linePos(second.contents.range[0]).line : 1;
    errors.push({ line: line + lineOffset, column: 1, message: 'more than one YAML document' });
  }
  const doc = nonEmpty[0];
  if (errors.length > 0 || !doc) return { value: undefined, errors, lineOf: () => undefined };
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 1000 });
  } catch (err) {
    return { value: undefined, errors: [{ line: lineOffset + 1, column: 1, message: err instanceof Error ? firstLine(err.message) : String(err) }], lineOf: () => undefined };
  }
  const contents = doc.contents;
  return {
    value,
    errors,
    lineOf: (path) => {
      const l = lineIn(contents, path, counter);
      return l === undefined ? undefined : l + lineOffset;
    },
  };
}
