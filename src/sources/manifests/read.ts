/**
 * Fast reading of manifest text (pure): YAML (multi-document) or JSON, one object at a time.
 *
 * A multi-document YAML file is split at its document markers (`---` at column 0, which YAML 1.2
 * §9.1.4 forbids inside any scalar, so the split is exact) and each document is parsed on its own
 * (by `block-yaml.ts` when it is plain block YAML as kubectl prints it, else by js-yaml, which gives
 * the same value), then handed to the caller, which validates and slims it before the next one is parsed: the
 * raw objects of the whole file never exist at once. A file with directives (`%YAML`, `%TAG`) or
 * document end markers (`...`) is parsed whole instead. JSON (what `kubectl get -o json` prints)
 * takes `JSON.parse`. A `kind: List` document is expanded into its items.
 *
 * Line numbers cost nothing until asked: every object keeps its document's text and first line, and
 * `lineOf(path)` re-parses just that document with the `yaml` package (which keeps positions) on
 * first use. Never throws on any text.
 */
import { CORE_SCHEMA, YAMLException, load, loadAll } from 'js-yaml';
import { LineCounter, parseAllDocuments, parseDocument } from 'yaml';
import type { Document } from 'yaml';
import { blockLineIn, lineIn } from '../../config/yaml-lines.js';
import type { ObjectPath } from '../../config/yaml-lines.js';
import { readBlockDocument, readBlockEntry } from './block-yaml.js';

/** A problem reading a manifest file: YAML/JSON syntax, a document that is not an object, an unreadable file. */
export interface ReadError {
  readonly file: string;
  /** 1-based; 0 when the problem has no line (an unreadable file). */
  readonly line: number;
  /** 1-based. */
  readonly column?: number;
  /** `yamlSyntax`, `notAnObject`, `listItemNotAnObject`, `readFailed`. */
  readonly code: string;
  /** What is wrong, without the file name or position (they are fields). */
  readonly message: string;
}

/** One document of a file: its text and where it starts. */
export interface DocumentSource {
  readonly file: string;
  /** 0-based index of the document in the file. */
  readonly index: number;
  /** For one item of a `kind: List` read on its own: its index (`text` is then `items:` and the item). */
  readonly item?: number;
  /** 1-based line of the first line of `text` in the file. */
  readonly firstLine: number;
  readonly text: string;
}

/** One object read from a file, with lazy line lookups. */
export interface ReadObject {
  readonly object: Record<string, unknown>;
  readonly document: DocumentSource;
  /** 0-based index in `items` when the object came from a `kind: List`. */
  readonly item?: number;
  /** 1-based line where the object starts (computed on first access for List items). */
  readonly line: number;
  /** The line of the value at `path` (or of its nearest ancestor that exists). */
  readonly lineOf: (path: ObjectPath) => number | undefined;
  /** The first content line of a literal block scalar at `path`, if it is one. */
  readonly blockLineOf: (path: ObjectPath) => number | undefined;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Whether position `i` (at the start of a line) holds a document marker `---` (YAML 1.2 §9.1.4). */
function isDocumentStart(text: string, i: number): boolean {
  if (text.charCodeAt(i) !== 45 || text.charCodeAt(i + 1) !== 45 || text.charCodeAt(i + 2) !== 45) return false;
  const c = text.charCodeAt(i + 3);
  return Number.isNaN(c) || c === 32 || c === 9 || c === 10 || c === 13;
}

/** Whether the file can be split at its `---` lines: no directives and no `...` end markers. */
function splittable(text: string): boolean {
  if (text.startsWith('%') || text.includes('\n%')) return false;
  for (let i = text.indexOf('\n...'); i !== -1; i = text.indexOf('\n...', i + 1)) {
    const c = text.charCodeAt(i + 4);
    if (Number.isNaN(c) || c === 32 || c === 9 || c === 10 || c === 13) return false;
  }
  return !text.startsWith('...');
}

/**
 * Calls `each` with the bounds of every document of `text`, split at `---` lines; the text of each
 * includes its own marker line. Lines are counted as the text is walked.
 */
export function forEachDocumentRange(text: string, each: (start: number, end: number, firstLine: number) => void): void {
  let start = 0;
  let line = 1;
  let pos = 0;
  for (;;) {
    let next = text.indexOf('\n---', pos);
    while (next !== -1 && !isDocumentStart(text, next + 1)) next = text.indexOf('\n---', next + 1);
    const end = next === -1 ? text.length : next + 1;
    if (end > start) each(start, end, line);
    if (next === -1) return;
    // Count the lines of the document just passed.
    for (let i = text.indexOf('\n', start); i !== -1 && i < end; i = text.indexOf('\n', i + 1)) line++;
    start = end;
    pos = end;
  }
}

/** The message of a parse error, without the position and snippet js-yaml appends. */
function reasonOf(err: unknown): string {
  if (err instanceof YAMLException) return err.reason || 'invalid YAML';
  return err instanceof Error ? err.message : String(err);
}

/** 1-based line and column of a js-yaml error inside a document starting at `firstLine`. */
function positionOf(err: unknown, firstLine: number): { line: number; column?: number } {
  if (err instanceof YAMLException && err.mark !== undefined && err.mark !== null) {
    return { line: firstLine + err.mark.line, column: err.mark.column + 1 };
  }
  return { line: firstLine };
}

const LOAD_OPTIONS = { schema: CORE_SCHEMA } as const;

/** Line lookups of one document. */
interface Lines {
  lineOf(path: ObjectPath): number | undefined;
  blockLineOf(path: ObjectPath): number | undefined;
}

/** Looks `lookup` up in a positional parse made on first need and kept; `undefined` on any failure. */
function lazyLines(parse: () => { contents: unknown; counter: LineCounter; offset: number } | undefined): Lines {
  let parsed: { contents: unknown; counter: LineCounter; offset: number } | null | undefined;
  const get = (): { contents: unknown; counter: LineCounter; offset: number } | null => {
    if (parsed === undefined) {
      try {
        parsed = parse() ?? null;
      } catch {
        parsed = null;
      }
    }
    return parsed;
  };
  const at = (find: typeof lineIn, path: ObjectPath): number | undefined => {
    const p = get();
    if (p === null) return undefined;
    try {
      const l = find(p.contents, path, p.counter);
      return l === undefined ? undefined : l + p.offset;
    } catch {
      return undefined;
    }
  };
  return { lineOf: (path) => at(lineIn, path), blockLineOf: (path) => at(blockLineIn, path) };
}

/** Lines of one split document: its text re-parsed with `yaml`, lines shifted to the file's. */
function documentLines(source: DocumentSource): Lines {
  return lazyLines(() => {
    const counter = new LineCounter();
    const doc = parseDocument(source.text, { lineCounter: counter, uniqueKeys: false });
    return { contents: doc.contents, counter, offset: source.firstLine - 1 };
  });
}

/** The line where a document's content starts: its first line that is not blank, a comment or `---`. */
function contentLine(source: DocumentSource): number {
  const text = source.text;
  let line = source.firstLine;
  let i = 0;
  while (i < text.length) {
    const nl = text.indexOf('\n', i);
    const end = nl === -1 ? text.length : nl;
    let j = i;
    while (j < end && (text.charCodeAt(j) === 32 || text.charCodeAt(j) === 9 || text.charCodeAt(j) === 13)) j++;
    const blank = j === end || text.charCodeAt(j) === 35; // '#'
    if (!blank) {
      if (!(j === i && isDocumentStart(text, i))) return line;
      // `--- value` on the marker line: the content starts there.
      const rest = text.slice(i + 3, end).trim();
      if (rest !== '' && !rest.startsWith('#')) return line;
    }
    if (nl === -1) break;
    i = nl + 1;
    line++;
  }
  return source.firstLine;
}

/** Callbacks of `readManifestText`. */
export interface ReadSink {
  object(o: ReadObject): void;
  error(e: ReadError): void;
  /**
   * Called once per document before its objects; `source.text` is `whole.slice(start, end)` (a
   * callback that scans the text is faster on `whole`). Return false to skip the document.
   */
  document?(source: DocumentSource, whole: string, start: number, end: number): boolean;
}

function emitValue(value: unknown, source: DocumentSource, lines: Lines, startLine: () => number, sink: ReadSink): void {
  if (value === null || value === undefined) return; // an empty document
  if (!isPlainObject(value)) {
    sink.error({ file: source.file, line: startLine(), code: 'notAnObject', message: 'document is not an object (a mapping with apiVersion and kind)' });
    return;
  }
  const items = value['items'];
  if (value['kind'] === 'List' && Array.isArray(items)) {
    for (let i = 0; i < items.length; i++) {
      const item: unknown = items[i];
      const base = ['items', i] as const;
      const lineOfItem = (): number => lines.lineOf(base) ?? startLine();
      if (!isPlainObject(item)) {
        sink.error({ file: source.file, line: lineOfItem(), code: 'listItemNotAnObject', message: `List item ${i} is not an object` });
        continue;
      }
      items[i] = undefined; // the item is handed over; the List does not keep it alive
      sink.object({
        object: item,
        document: source,
        item: i,
        get line(): number {
          return lineOfItem();
        },
        lineOf: (path) => lines.lineOf([...base, ...path]),
        blockLineOf: (path) => lines.blockLineOf([...base, ...path]),
      });
    }
    return;
  }
  let line: number | undefined;
  sink.object({
    object: value,
    document: source,
    get line(): number {
      return (line ??= startLine());
    },
    lineOf: (path) => lines.lineOf(path),
    blockLineOf: (path) => lines.blockLineOf(path),
  });
}

/**
 * Characters that keep a file on js-yaml alone: tabs (never indentation in YAML, and allowed only in
 * some places), carriage returns (line breaks of their own in YAML),
 * the non-printable characters js-yaml rejects in scalars (its `PATTERN_NON_PRINTABLE`), the
 * non-ASCII line breaks and a byte order mark inside the text. `block-yaml.ts` reads only files
 * without them, so js-yaml reports these cases as it always did.
 */
// eslint-disable-next-line no-control-regex -- the control characters are what it looks for
const OUTSIDE_BLOCK_READER = /[\t\r\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F\uFEFF\uFFFE\uFFFF\u2028\u2029]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?:[^\uD800-\uDBFF]|^)[\uDC00-\uDFFF]/;

/** Whether the text is JSON (starts with `{` or `[` after whitespace). */
function looksLikeJson(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 9 || c === 10 || c === 13 || c === 0xfeff) continue;
    return c === 123 || c === 91;
  }
  return false;
}

/**
 * Reads the text of one manifest file and hands every object and every error to `sink`, in file
 * order. `file` names the file in errors and origins. Never throws (a sink that throws is not caught).
 */
export function readManifestText(text: string, file: string, sink: ReadSink): void {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (looksLikeJson(text)) {
    let value: unknown;
    let parsed = false;
    try {
      value = JSON.parse(text);
      parsed = true;
    } catch {
      // Not strict JSON: YAML is a superset of JSON and reports the error with a position.
    }
    if (parsed) {
      const source: DocumentSource = { file, index: 0, firstLine: 1, text };
      if (sink.document?.(source, text, 0, text.length) === false) return;
      emitValue(value, source, documentLines(source), () => contentLine(source), sink);
      return;
    }
  }
  if (!splittable(text)) {
    readWhole(text, file, sink);
    return;
  }
  let index = 0;
  const block = !OUTSIDE_BLOCK_READER.test(text);
  forEachDocumentRange(text, (start, end, firstLine) => {
    const docIndex = index++;
    if (readListItems(text, start, end, firstLine, file, docIndex, block, sink)) return;
    const source: DocumentSource = { file, index: docIndex, firstLine, text: text.slice(start, end) };
    if (sink.document?.(source, text, start, end) === false) return;
    let value: unknown = block ? readBlockDocument(text, start, end) : undefined;
    try {
      if (value === undefined) value = load(source.text, LOAD_OPTIONS);
    } catch (err) {
      sink.error({ file, ...positionOf(err, firstLine), code: 'yamlSyntax', message: reasonOf(err) });
      return;
    }
    emitValue(value, source, documentLines(source), () => contentLine(source), sink);
  });
}

/** The line starting at `i`: its end (the index of its newline, or the text's end). */
function lineEnd(text: string, i: number, end: number): number {
  const nl = text.indexOf('\n', i);
  return nl === -1 || nl > end ? end : nl;
}

/**
 * A `kind: List` document as kubectl prints it (`items:` at column 0, each item a `- ` line at column
 * 0 followed by indented lines, the List's other keys at column 0) is read one item at a time: each
 * item is parsed as `items:\n<its lines>` (the same YAML in the same context, so the same value) and
 * handed on before the next is parsed, and a re-read file compares items, not the whole List.
 * Returns false (nothing done) when the document does not have that layout; the caller then parses
 * it whole, which gives the same objects.
 */
function readListItems(text: string, start: number, end: number, firstLine: number, file: string, docIndex: number, block: boolean, sink: ReadSink): boolean {
  // Most documents are single objects: look for `items:` at column 0 within this document only.
  let itemsLine: number;
  if (text.startsWith('items:', start)) itemsLine = start;
  else {
    const at = text.slice(start, end).indexOf('\nitems:');
    if (at === -1) return false;
    itemsLine = start + at + 1;
  }
  const afterKey = lineEnd(text, itemsLine, end);
  if (text.slice(itemsLine + 6, afterKey).trim() !== '') return false; // `items: []` or `items: # x` -> whole
  // Walk the lines after `items:`: items start with `- ` (or `-` alone), continue indented or blank.
  const items: { start: number; end: number; line: number }[] = [];
  let line = firstLine;
  for (let i = text.indexOf('\n', start); i !== -1 && i < itemsLine; i = text.indexOf('\n', i + 1)) line++;
  let pos = afterKey + 1;
  line++;
  let blockEnd = end;
  while (pos < end) {
    const e = lineEnd(text, pos, end);
    const c = text.charCodeAt(pos);
    if (c === 45 /* - */ && (pos + 1 === e || text.charCodeAt(pos + 1) === 32)) {
      if (items.length > 0) (items[items.length - 1] as { end: number }).end = pos;
      items.push({ start: pos, end, line });
    } else if (c === 32 || c === 35 /* # */ || pos === e || (c === 13 && pos + 1 === e)) {
      if (items.length === 0 && c === 32) return false; // indented content before the first item
    } else {
      blockEnd = pos;
      break;
    }
    pos = e + 1;
    line++;
  }
  if (items.length === 0) return false;
  (items[items.length - 1] as { end: number }).end = blockEnd;
  // The rest of the document (the List's own keys) must say `kind: List` and hold no other items.
  let header: unknown;
  try {
    header = load(text.slice(start, itemsLine) + text.slice(blockEnd, end), LOAD_OPTIONS);
  } catch {
    return false;
  }
  if (!isPlainObject(header) || header['kind'] !== 'List' || 'items' in header) return false;
  for (let i = 0; i < items.length; i++) {
    const item = items[i] as { start: number; end: number; line: number };
    // `items:` on the line before the item's first: lines keep their numbers (firstLine is `items:`).
    // The item's text is made only when it is needed (js-yaml, or a line lookup for an error).
    let itemText: string | undefined;
    const source: DocumentSource = {
      file,
      index: docIndex,
      item: i,
      firstLine: item.line - 1,
      get text(): string {
        return (itemText ??= `items:\n${text.slice(item.start, item.end)}`);
      },
    };
    if (sink.document?.(source, text, item.start, item.end) === false) continue;
    let object: unknown = block ? readBlockEntry(text, item.start, item.end) : undefined;
    if (object === undefined) {
      let value: unknown;
      try {
        value = load(source.text, LOAD_OPTIONS);
      } catch (err) {
        sink.error({ file, ...positionOf(err, source.firstLine), code: 'yamlSyntax', message: reasonOf(err) });
        continue;
      }
      const list = isPlainObject(value) ? value['items'] : undefined;
      object = Array.isArray(list) && list.length === 1 ? list[0] : undefined;
    }
    if (!isPlainObject(object)) {
      sink.error({ file, line: item.line, code: 'listItemNotAnObject', message: `List item ${i} is not an object` });
      continue;
    }
    const lines = documentLines(source);
    sink.object({
      object,
      document: source,
      item: i,
      line: item.line,
      lineOf: (path) => lines.lineOf(['items', 0, ...path]),
      blockLineOf: (path) => lines.blockLineOf(['items', 0, ...path]),
    });
  }
  return true;
}

/** A file that cannot be split: parsed whole; its documents share one positional parse for lines. */
function readWhole(text: string, file: string, sink: ReadSink): void {
  let docs: unknown[];
  try {
    docs = loadAll(text, null, LOAD_OPTIONS);
  } catch (err) {
    sink.error({ file, ...positionOf(err, 1), code: 'yamlSyntax', message: reasonOf(err) });
    return;
  }
  // Lines: every document is looked up in one positional parse of the whole file, by its index.
  const whole: DocumentSource = { file, index: 0, firstLine: 1, text };
  if (sink.document?.(whole, text, 0, text.length) === false) return;
  let all: { docs: Document.Parsed[]; counter: LineCounter } | undefined;
  const positional = (): { docs: Document.Parsed[]; counter: LineCounter } => {
    if (all === undefined) {
      const counter = new LineCounter();
      const parsed = parseAllDocuments(text, { lineCounter: counter, uniqueKeys: false });
      all = { docs: Array.isArray(parsed) ? (parsed as Document.Parsed[]) : [], counter };
    }
    return all;
  };
  for (let index = 0; index < docs.length; index++) {
    const source: DocumentSource = { file, index, firstLine: 1, text };
    const lines = lazyLines(() => {
      const p = positional();
      const doc = p.docs[index];
      return doc ? { contents: doc.contents, counter: p.counter, offset: 0 } : undefined;
    });
    emitValue(docs[index], source, lines, () => lines.lineOf([]) ?? 1, sink);
  }
}
