/**
 * YAML text with line numbers (pure): where a path of a parsed document sits in its file, and YAML
 * embedded in a string (a ConfigMap's `data.config`) parsed with its lines mapped back to the file.
 * Shared by the manifest reader and the legacy ConfigMap decoder.
 */
import { LineCounter, isMap, isNode, isSeq, parseAllDocuments } from 'yaml';
import type { Document } from 'yaml';

/** A segment of a path into an object: a key or a list index. */
export type PathSegment = string | number;
export type ObjectPath = readonly PathSegment[];

/** The first line of a (multi-line, pretty) YAML error message. */
export function firstLine(message: string): string {
  const nl = message.indexOf('\n');
  return nl === -1 ? message : message.slice(0, nl);
}

/** Finds the line of `path` inside `node`, falling back to the deepest ancestor that exists. */
export function lineIn(node: unknown, path: ObjectPath, counter: LineCounter): number | undefined {
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
export function blockLineIn(node: unknown, path: ObjectPath, counter: LineCounter): number | undefined {
  let current: unknown = node;
  for (const seg of path) {
    if (isMap(current)) current = current.get(seg, true);
    else if (isSeq(current) && typeof seg === 'number') current = current.items[seg];
    else return undefined;
  }
  if (!isNode(current) || !current.range || !('type' in current) || current.type !== 'BLOCK_LITERAL') return undefined;
  return counter.linePos(current.range[0]).line + 1;
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
