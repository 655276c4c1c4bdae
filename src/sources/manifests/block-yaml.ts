/**
 * A fast reader for the plain block YAML that `kubectl get -o yaml` prints (pure): block mappings and
 * block sequences (kubectl's `- ` items at the key's own indentation included), one-line plain
 * scalars, one-line quoted strings without escapes, and the empty flow collections `[]` and `{}`.
 *
 * It gives exactly what js-yaml's `load` with `CORE_SCHEMA` gives for such text, or `undefined` when
 * the text holds anything else (anchors, aliases, tags, block or multi-line scalars, flow collections,
 * escapes, comments after content, a duplicate key, `<<`, `__proto__`, bad indentation, a
 * syntax error), so the caller parses it with js-yaml, which then also reports any error with its
 * position. Plain scalars (keys included, as js-yaml resolves them) are resolved by js-yaml's own
 * core-schema types (null, bool, int, float: YAML 1.2 §10.3.2), so a value never differs.
 *
 * Why: js-yaml builds a general parser state per document and an intermediate string per token; a
 * 50 MB `kind: List` of 100 000 Services spent a third of its read time there, and as much again
 * collecting the garbage. This reader walks the text once, line by line, without copies beyond the
 * values themselves.
 *
 * The caller gives it only text without tabs, carriage returns and the characters js-yaml rejects
 * (`read.ts` checks each file once), so those cases keep js-yaml's handling and messages.
 */
import { CORE_SCHEMA } from 'js-yaml';

/** js-yaml's implicit (plain-scalar) types of the core schema, in resolution order. */
interface ImplicitType {
  resolve(data: string): boolean;
  construct(data: string): unknown;
}

const IMPLICIT: readonly ImplicitType[] | undefined = (() => {
  const list = (CORE_SCHEMA as unknown as { compiledImplicit?: unknown }).compiledImplicit;
  if (!Array.isArray(list)) return undefined;
  for (const t of list) {
    const x = t as Partial<ImplicitType> | null;
    if (typeof x?.resolve !== 'function' || typeof x.construct !== 'function') return undefined;
  }
  return list as ImplicitType[];
})();

/**
 * Whether a plain scalar starting with char code `c` can resolve to something other than a string
 * in the core schema (null `~ null Null NULL`, bool `true True TRUE false ...`, int and float
 * `[-+.0-9]...`): the other scalars skip the type tests.
 */
function mayResolve(c: number): boolean {
  return (c >= 48 && c <= 57) || c === 45 || c === 43 || c === 46 || c === 126 || c === 110 || c === 78 || c === 116 || c === 84 || c === 102 || c === 70;
}

/** The value of a plain scalar, as js-yaml resolves it. */
function resolvePlain(s: string, types: readonly ImplicitType[]): unknown {
  if (s.length > 0 && !mayResolve(s.charCodeAt(0))) return s;
  for (const t of types) if (t.resolve(s)) return t.construct(s);
  return s;
}

/** Thrown inside the reader when the text leaves the subset; caught at its entry points only. */
class OutsideSubset {}
const OUTSIDE = new OutsideSubset();

const SPACE = 32;
const DASH = 45;
const COLON = 58;
const HASH = 35;
const DQUOTE = 34;
const SQUOTE = 39;

/** Whether char code `c` may not start a plain scalar or key here (YAML 1.2 §7.3.3 indicators). */
function isIndicator(c: number): boolean {
  // [ ] { } , # & * ! | > ' " % @ ` ? :
  return c === 91 || c === 93 || c === 123 || c === 125 || c === 44 || c === 35 || c === 38 || c === 42 || c === 33 || c === 124 || c === 62 || c === 39 || c === 34 || c === 37 || c === 64 || c === 96 || c === 63 || c === 58;
}

/** The reader over `text[start, end)`: the current line's indentation and content bounds. */
class BlockReader {
  /** Start of the next line to read. */
  private next: number;
  /** The current line: its start, indentation (column of its content), content start and end. */
  private lineStart = 0;
  private indent = 0;
  private cs = 0;
  private ce = 0;
  private eof = false;

  constructor(
    private readonly text: string,
    start: number,
    private readonly end: number,
    private readonly types: readonly ImplicitType[],
  ) {
    this.next = start;
    this.advance();
  }

  /** Moves to the next line with content (blank and comment-only lines are skipped). */
  private advance(): void {
    const text = this.text;
    for (;;) {
      if (this.next >= this.end) {
        this.eof = true;
        return;
      }
      const ls = this.next;
      let le = text.indexOf('\n', ls);
      if (le === -1 || le > this.end) le = this.end;
      this.next = le + 1;
      let cs = ls;
      while (cs < le && text.charCodeAt(cs) === SPACE) cs++;
      let ce = le;
      while (ce > cs && (text.charCodeAt(ce - 1) === SPACE || text.charCodeAt(ce - 1) === 13)) ce--;
      if (ce === cs || text.charCodeAt(cs) === HASH) continue;
      this.lineStart = ls;
      this.indent = cs - ls;
      this.cs = cs;
      this.ce = ce;
      return;
    }
  }

  /** Whether the current content starts a sequence entry (`-` then a space or the end of the line). */
  private isEntry(): boolean {
    return this.text.charCodeAt(this.cs) === DASH && (this.cs + 1 === this.ce || this.text.charCodeAt(this.cs + 1) === SPACE);
  }

  /** Reads a whole document (its `---` marker line skipped); the value, or OUTSIDE thrown. */
  document(): unknown {
    const text = this.text;
    if (!this.eof && this.indent === 0 && text.startsWith('---', this.cs)) {
      if (this.ce !== this.cs + 3) throw OUTSIDE; // content on the marker line
      this.advance();
    }
    if (this.eof) return null;
    const value = this.node();
    if (!this.eof) throw OUTSIDE;
    return value;
  }

  /** Reads exactly one entry of a sequence at column 0 (one `kind: List` item as kubectl prints it). */
  entry(): unknown {
    if (this.eof || this.indent !== 0 || !this.isEntry()) throw OUTSIDE;
    const list = this.sequence(0);
    if (!this.eof || list.length !== 1) throw OUTSIDE;
    return list[0];
  }

  /** The block node starting at the current line. */
  private node(): unknown {
    return this.isEntry() ? this.sequence(this.indent) : this.mapping(this.indent);
  }

  private sequence(n: number): unknown[] {
    const out: unknown[] = [];
    const text = this.text;
    while (!this.eof && this.indent === n && this.isEntry()) {
      let c = this.cs + 1;
      while (c < this.ce && text.charCodeAt(c) === SPACE) c++;
      if (c === this.ce) {
        this.advance();
        out.push(!this.eof && this.indent > n ? this.node() : null);
        continue;
      }
      // The entry's content starts on its own line: read it as a node at that column.
      this.indent = c - this.lineStart;
      this.cs = c;
      out.push(this.inline(n));
    }
    if (!this.eof && this.indent > n) throw OUTSIDE;
    return out;
  }

  /** A node that starts inside a line (after `- `), whose parent is at column `n`. */
  private inline(n: number): unknown {
    if (this.isEntry()) return this.sequence(this.indent);
    if (this.keyEnd() !== -1) return this.mapping(this.indent);
    const value = this.scalar(this.cs, this.ce);
    this.advance();
    if (!this.eof && this.indent > n) throw OUTSIDE; // a multi-line scalar
    return value;
  }

  /** The position of the `:` ending the current line's key, or -1 when the line holds no key. */
  private keyEnd(): number {
    const text = this.text;
    const first = text.charCodeAt(this.cs);
    if (isIndicator(first) || first === DASH) {
      // A key may start with `-` followed by a non-space (`-x: 1`); the other indicators leave the subset.
      if (first !== DASH || this.isEntry()) return -1;
    }
    for (let i = text.indexOf(':', this.cs); i !== -1 && i < this.ce; i = text.indexOf(':', i + 1)) {
      if (i + 1 === this.ce || text.charCodeAt(i + 1) === SPACE) return i;
    }
    return -1;
  }

  private mapping(n: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const text = this.text;
    while (!this.eof && this.indent === n) {
      if (this.isEntry()) throw OUTSIDE;
      const colon = this.keyEnd();
      if (colon === -1) throw OUTSIDE;
      let ke = colon;
      while (ke > this.cs && text.charCodeAt(ke - 1) === SPACE) ke--;
      const keyText = text.slice(this.cs, ke);
      if (keyText.includes(' #')) throw OUTSIDE;
      const key = String(resolvePlain(keyText, this.types));
      if (key === '__proto__' || key === '<<' || Object.prototype.hasOwnProperty.call(out, key)) throw OUTSIDE;
      let v = colon + 1;
      while (v < this.ce && text.charCodeAt(v) === SPACE) v++;
      let value: unknown;
      if (v === this.ce) {
        this.advance();
        if (this.eof || this.indent < n) value = null;
        else if (this.indent > n) value = this.node();
        else value = this.isEntry() ? this.sequence(n) : null; // kubectl's `key:` then `- ` at the key's column
      } else {
        value = this.scalar(v, this.ce);
        this.advance();
        if (!this.eof && this.indent > n) throw OUTSIDE; // a multi-line scalar
      }
      out[key] = value;
    }
    if (!this.eof && this.indent > n) throw OUTSIDE;
    return out;
  }

  /** A one-line scalar in `text[s, e)` (trimmed). */
  private scalar(s: number, e: number): unknown {
    const text = this.text;
    const c = text.charCodeAt(s);
    if (c === DQUOTE || c === SQUOTE) {
      if (e - s < 2 || text.charCodeAt(e - 1) !== c) throw OUTSIDE;
      const inner = text.slice(s + 1, e - 1);
      // Escapes (`\` in double quotes, `''` in single quotes) and anything after the closing quote leave the subset.
      if (inner.includes(c === DQUOTE ? '"' : "'") || (c === DQUOTE && inner.includes('\\'))) throw OUTSIDE;
      return inner;
    }
    if (c === 91 /* [ */ || c === 123 /* { */) {
      if (e - s === 2 && text.charCodeAt(s + 1) === c + 2) return c === 91 ? [] : {};
      throw OUTSIDE;
    }
    if (isIndicator(c)) throw OUTSIDE;
    if (c === DASH && (s + 1 === e || text.charCodeAt(s + 1) === SPACE)) throw OUTSIDE;
    const plain = text.slice(s, e);
    // A comment after the value, or a `: ` (a nested mapping on one line is an error): leave the subset.
    if (plain.includes(' #') || plain.includes(': ') || plain.charCodeAt(plain.length - 1) === COLON) throw OUTSIDE;
    return resolvePlain(plain, this.types);
  }
}

/**
 * The value of the YAML document `text[start, end)` (its `---` line included), as js-yaml's `load`
 * with `CORE_SCHEMA` gives it, or `undefined` when the text is outside the subset (see the header).
 */
export function readBlockDocument(text: string, start: number, end: number): unknown {
  if (IMPLICIT === undefined) return undefined;
  try {
    return new BlockReader(text, start, end, IMPLICIT).document();
  } catch (err) {
    if (err === OUTSIDE) return undefined;
    throw err;
  }
}

/**
 * The value of the one sequence entry `text[start, end)` (a `- ` line at column 0 and the indented
 * lines after it), as js-yaml gives the item of `items:\n<entry>`, or `undefined` when outside the subset.
 */
export function readBlockEntry(text: string, start: number, end: number): unknown {
  if (IMPLICIT === undefined) return undefined;
  try {
    return new BlockReader(text, start, end, IMPLICIT).entry();
  } catch (err) {
    if (err === OUTSIDE) return undefined;
    throw err;
  }
}
