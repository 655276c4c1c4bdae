/**
 * Manifest files as a source of object changes: `load()` reads every file under the paths and returns
 * every object; `reload(files)` re-reads only those files and returns only what changed.
 *
 * Invariants:
 * - Each object is validated and slimmed as it is read (`classify.ts`), one document at a time.
 * - A re-read document whose text (by a 52-bit hash) and position are unchanged is not parsed again
 *   and yields no change. A parsed object yields an upsert unless its fingerprint (the hash of its
 *   document's text, with its file and line when its result depends on them; for documents that
 *   hold several objects, the hash of its slim value) equals that of the copy last passed on.
 * - Memory: once a batch is returned, the source keeps per object only its kind, key, file and
 *   fingerprint, never the slim object (the pipeline keeps that). Objects defined in several files
 *   keep their values (the rare duplicate case); a value that is needed but not kept (the winner of
 *   a duplicate is deleted) is read again from its file.
 * - A file that does not parse (a YAML syntax error anywhere in it) or cannot be read keeps its objects
 *   as they were and reports a source issue (scope: the file); when it parses again the scope gets
 *   the file's remaining warnings, or an empty list. A deleted file deletes its objects.
 * - Two definitions of one object: the one in the later file (paths sorted; within a file, the later
 *   document) wins, and each file that holds a losing copy gets a warning; deleting the winner brings
 *   the other back.
 * - Files are listed as `loadManifests` lists them: named files whatever their extension, inside
 *   folders (recursively, skipping dot-names) only `.yaml`, `.yml` and `.json`.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import type { ChangeBatch, ClusterObjectKind, ObjectChange, ObjectIssue, SourceIssues } from '../../model/cluster.js';
import { classify, objectLabel } from './classify.js';
import type { Classified } from './classify.js';
import { readManifestText } from './read.js';
import { readErrorMessage, syntaxErrorMessage } from './messages.js';
import type { DocumentSource, ReadError } from './read.js';

const EXTENSIONS = ['.yaml', '.yml', '.json'];

function hasManifestExtension(name: string): boolean {
  const lower = name.toLowerCase();
  return EXTENSIONS.some((ext) => lower.endsWith(ext));
}

type EntryState = Extract<Classified, { key: string }>['state'];

/** One object of one file, as last read. Reused as is when its document is unchanged. */
interface Entry {
  readonly kind: ClusterObjectKind;
  readonly key: string;
  readonly file: string;
  /** The identity of what this copy passes on (see the module header). */
  fingerprint: number;
  /** The slim object or why it is invalid: set when parsed, dropped once passed on (kept for duplicates). */
  state: EntryState | undefined;
}

const NO_ISSUES: ObjectIssue[] = [];
const NO_ENTRIES: Entry[] = [];

/** What a document produced, for reuse when its text comes back unchanged. */
interface DocumentResult {
  readonly hash: number;
  readonly firstLine: number;
  entries: Entry[];
  /** Issues of the document (`NO_ISSUES` when none). */
  issues: ObjectIssue[];
  /** Whether anything it produced depends on its file or line (issues, warnings, configuration origins). */
  lineBound: boolean;
}

interface FileState {
  /** Entries defined again later in the same file (they lose; usually none). */
  readonly shadowed: ReadonlySet<Entry> | undefined;
  /** Issues of the file itself: unkeyed objects, validation warnings (not syntax errors: see `broken`). */
  readonly issues: readonly ObjectIssue[];
  /** Syntax or read errors of the last read; while set, `documents` are those of the last good read. */
  readonly broken: readonly ObjectIssue[];
  /** The documents of the last good read, in file order. */
  readonly documents: readonly DocumentResult[];
  /** Parse every document on the next read (a value that was needed could not be read from it). */
  readonly stale?: boolean;
}

/** The entries a file defines (its documents' entries, without those shadowed by a later copy). */
function* entriesOf(state: FileState): Generator<Entry> {
  for (const d of state.documents) for (const e of d.entries) if (state.shadowed === undefined || !state.shadowed.has(e)) yield e;
}

const TWO_32 = 0x100000000;

/**
 * A 52-bit non-cryptographic hash of `text[start, end)`: two 32-bit multiply-xor hashes (murmur3's
 * constants), 32 + 20 bits kept. A collision (probability ~2^-52 per comparison) would only hide an edit.
 */
function hashText(text: string, start = 0, end = text.length): number {
  let h1 = 0x9747b28c ^ (end - start);
  let h2 = 0x85ebca6b ^ (end - start);
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0xcc9e2d51);
    h1 = (h1 << 15) | (h1 >>> 17);
    h2 = Math.imul(h2 ^ c, 0x1b873593);
    h2 = (h2 << 13) | (h2 >>> 19);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 0x85ebca6b);
  h1 = Math.imul(h1 ^ (h1 >>> 13), 0xc2b2ae35);
  h1 ^= h1 >>> 16;
  h2 = Math.imul(h2 ^ (h2 >>> 16), 0x7feb352d);
  h2 = Math.imul(h2 ^ (h2 >>> 15), 0x846ca68b);
  h2 ^= h2 >>> 16;
  return (h1 >>> 0) * 0x100000 + (h2 >>> 12);
}

/** Mixes numbers into a 52-bit hash (for fingerprints that depend on a line or file). */
function mixHash(h: number, ...values: number[]): number {
  let hi = Math.floor(h / TWO_32) | 0;
  let lo = h % TWO_32 | 0;
  for (const v of values) {
    hi = Math.imul(hi ^ (v | 0), 0xcc9e2d51) ^ (lo >>> 7);
    lo = Math.imul(lo ^ Math.floor(v / TWO_32), 0x1b873593) ^ (hi >>> 11);
  }
  return ((hi ^ (hi >>> 16)) >>> 12) * TWO_32 + ((lo ^ (lo >>> 15)) >>> 0);
}

/** The fingerprint of one object of a document that holds several: the hash of its value. */
function valueFingerprint(e: Entry, doc: DocumentResult, index: number, fileHash: number): number {
  if (e.kind === 'Config' || e.state === undefined) return mixHash(doc.hash, index, doc.firstLine, fileHash);
  try {
    return hashText(JSON.stringify(e.state));
  } catch {
    return mixHash(doc.hash, index, doc.firstLine, fileHash);
  }
}

function readErrorIssue(e: ReadError): ObjectIssue {
  return {
    severity: 'error',
    object: e.file,
    path: '',
    rule: e.code,
    message: e.code === 'yamlSyntax' ? syntaxErrorMessage(e.message, e.column) : e.message,
    file: e.file,
    ...(e.line > 0 ? { line: e.line } : {}),
  };
}

function readFailed(file: string, err: unknown): ObjectIssue {
  return { severity: 'error', object: file, path: '', rule: 'readFailed', message: readErrorMessage(err), file };
}

function isNotFound(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/**
 * Reads one file's text into documents, reusing the documents of `previous` whose text is unchanged
 * (except those holding an entry of `force`). Parsed entries are appended to `fresh`.
 */
function readFileState(file: string, text: string, previous: FileState | undefined, force: ReadonlySet<Entry> | undefined, fresh: Entry[]): FileState {
  const issues: ObjectIssue[] = [];
  const broken: ObjectIssue[] = [];
  const documents: DocumentResult[] = [];
  // The previous documents by hash, for reuse (an index built per read, not kept).
  const byHash = new Map<number, DocumentResult | DocumentResult[]>();
  if (previous !== undefined && previous.stale !== true) {
    for (const d of previous.documents) {
      if (force !== undefined && d.entries.some((e) => force.has(e))) continue;
      const have = byHash.get(d.hash);
      if (have === undefined) byHash.set(d.hash, d);
      else if (Array.isArray(have)) have.push(d);
      else byHash.set(d.hash, [have, d]);
    }
  }
  const fileHash = hashText(file);
  let current: DocumentResult | undefined;
  const finish = (): void => {
    const d = current;
    if (d === undefined) return;
    current = undefined;
    d.entries = d.entries.length === 0 ? NO_ENTRIES : d.entries.slice(); // exact length (push leaves 17 slots)
    documents.push(d);
    if (d.entries.length === 1) {
      const e = d.entries[0] as Entry;
      e.fingerprint = d.lineBound ? mixHash(d.hash, d.firstLine, fileHash) : d.hash;
    } else {
      for (let i = 0; i < d.entries.length; i++) {
        const e = d.entries[i] as Entry;
        e.fingerprint = valueFingerprint(e, d, i, fileHash);
      }
    }
  };
  const bind = (): void => {
    if (current) current.lineBound = true;
  };
  const addIssue = (i: ObjectIssue): void => {
    issues.push(i);
    if (current) {
      if (current.issues === NO_ISSUES) current.issues = [];
      current.issues.push(i);
    }
  };
  readManifestText(text, file, {
    document(source: DocumentSource, whole: string, start: number, end: number): boolean {
      finish();
      const hash = hashText(whole, start, end);
      const candidates = byHash.get(hash);
      let reuse: DocumentResult | undefined;
      if (candidates !== undefined) {
        const match = (d: DocumentResult): boolean => !d.lineBound || d.firstLine === source.firstLine;
        if (Array.isArray(candidates)) {
          const at = candidates.findIndex(match);
          if (at !== -1) reuse = candidates.splice(at, 1)[0];
        } else if (match(candidates)) {
          reuse = candidates;
          byHash.delete(hash);
        }
      }
      if (reuse !== undefined) {
        for (const i of reuse.issues) issues.push(i);
        documents.push(reuse);
        return false;
      }
      current = { hash, firstLine: source.firstLine, entries: [], issues: NO_ISSUES, lineBound: false };
      return true;
    },
    object(read): void {
      const c = classify(read);
      if (c.kind === 'ignored') return;
      if (c.kind === 'unkeyed') {
        for (const i of c.issues) addIssue(i);
        bind();
        return;
      }
      const entry: Entry = { kind: c.kind, key: c.key, file, fingerprint: 0, state: c.state };
      if (!c.state.ok || c.warnings.length > 0 || c.kind === 'Config') bind();
      current?.entries.push(entry);
      fresh.push(entry);
      for (const w of c.warnings) addIssue(w);
    },
    error(e): void {
      const issue = readErrorIssue(e);
      if (e.code === 'yamlSyntax') broken.push(issue);
      else {
        addIssue(issue);
        bind();
      }
    },
  });
  finish();
  if (broken.length > 0) {
    // The file keeps the objects of its last good read.
    return { shadowed: previous?.shadowed, issues: previous?.issues ?? [], broken, documents: previous?.documents ?? [] };
  }
  // One object defined twice in one file: the later definition is used, the earlier one is reported.
  // Detected without an index when no key repeats within its kind (the usual case).
  const seen = new Map<ClusterObjectKind, Set<string>>();
  let shadowed: Set<Entry> | undefined;
  for (let d = documents.length - 1; d >= 0; d--) {
    const entries = (documents[d] as DocumentResult).entries;
    for (let i = entries.length - 1; i >= 0; i--) {
      const e = entries[i] as Entry;
      let keys = seen.get(e.kind);
      if (keys === undefined) seen.set(e.kind, (keys = new Set()));
      if (!keys.has(e.key)) {
        keys.add(e.key);
        continue;
      }
      (shadowed ??= new Set()).add(e);
    }
  }
  if (shadowed !== undefined) {
    for (const d of documents) {
      for (const e of d.entries) {
        if (!shadowed.has(e)) continue;
        issues.push({
          severity: 'warning',
          object: objectLabel(e.kind, e.key),
          path: '',
          rule: 'duplicateObject',
          message: 'defined again later in this file; the later definition is used',
          file,
        });
      }
    }
  }
  return { shadowed, issues, broken, documents };
}

/**
 * The documents of `before` not in `after` and the reverse, by identity. The common prefix and
 * suffix (an edit in the middle of a big file leaves both long) are skipped without building sets.
 */
function documentsChanged(before: readonly DocumentResult[], after: readonly DocumentResult[]): { removed: DocumentResult[]; added: DocumentResult[] } {
  let head = 0;
  while (head < before.length && head < after.length && before[head] === after[head]) head++;
  let tail = 0;
  while (tail < before.length - head && tail < after.length - head && before[before.length - 1 - tail] === after[after.length - 1 - tail]) tail++;
  const oldMiddle = new Set<DocumentResult>();
  for (let i = head; i < before.length - tail; i++) oldMiddle.add(before[i] as DocumentResult);
  const newMiddle = new Set<DocumentResult>();
  for (let i = head; i < after.length - tail; i++) newMiddle.add(after[i] as DocumentResult);
  const removed: DocumentResult[] = [];
  const added: DocumentResult[] = [];
  for (const d of oldMiddle) if (!newMiddle.has(d)) removed.push(d);
  for (const d of newMiddle) if (!oldMiddle.has(d)) added.push(d);
  return { removed, added };
}

/** A root as given and as resolved. */
interface Root {
  readonly given: string;
  readonly resolved: string;
}

/**
 * Manifest files and folders as a source of `ChangeBatch`es (see the module header). Calls made
 * before the previous one ended wait for it, so batches apply in call order.
 */
export class ManifestSource {
  private readonly roots: readonly Root[];
  private readonly files = new Map<string, FileState>();
  /** Every copy of every object, by kind and key; one entry per file that defines it. */
  private readonly copies = new Map<ClusterObjectKind, Map<string, Entry | Entry[]>>();
  /** How many objects have copies in several files (the duplicate warnings are looked for only then). */
  private multiCopies = 0;
  /**
   * Objects whose last change passed on is not their winning copy's (its value could not be read
   * again: its file does not parse), by kind and key: the fingerprint of what was passed on.
   */
  private readonly pending = new Map<ClusterObjectKind, Map<string, number>>();
  /** The issues last reported per scope, as JSON (to report only what changed). */
  private readonly reportedIssues = new Map<string, string>();
  /** The end of the last call, so calls do not interleave. */
  private queue: Promise<void> = Promise.resolve();
  /** Read problems of paths that are not files being tracked (a missing root), by scope. */
  private readonly pathIssues = new Map<string, ObjectIssue[]>();

  /** `paths`: files and folders, as for `loadManifests`. */
  constructor(paths: readonly string[]) {
    this.roots = paths.map((given) => ({ given, resolved: resolve(given) }));
  }

  /** Reads every file and returns every object (and every problem) as changes. */
  async load(): Promise<ChangeBatch> {
    return this.reload();
  }

  /**
   * Re-reads `files` (every file under the paths when absent) and returns what changed since the last
   * call. A path that is a folder under a watched folder is read whole (a new folder); a path that no
   * longer exists deletes the objects of the files at or below it.
   */
  reload(files?: readonly string[]): Promise<ChangeBatch> {
    // Calls run one after the other, so each batch is relative to the one before it.
    const run = this.queue.then(() => this.reloadNow(files));
    this.queue = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private async reloadNow(files: readonly string[] | undefined): Promise<ChangeBatch> {
    const toRead = new Set<string>();
    const gone = new Set<string>();
    const issueScopes = new Set<string>();
    if (files === undefined) {
      const listed = new Set<string>();
      for (const root of this.roots) await this.list(root.given, true, listed);
      for (const f of listed) toRead.add(f);
      for (const f of this.files.keys()) if (!listed.has(f)) gone.add(f);
      // Folders that could not be listed (or can again) report under their own scope.
      for (const scope of this.pathIssues.keys()) issueScopes.add(scope);
      for (const scope of this.reportedIssues.keys()) if (!this.files.has(scope)) issueScopes.add(scope);
    } else {
      for (const raw of files) {
        const display = this.displayOf(raw);
        if (display === undefined) continue;
        let isDir = false;
        try {
          isDir = (await stat(display.path)).isDirectory();
        } catch (err) {
          if (!isNotFound(err)) toRead.add(display.path);
          else for (const f of this.knownAtOrBelow(display.path)) gone.add(f);
          continue;
        }
        if (isDir) {
          const listed = new Set<string>();
          await this.list(display.path, false, listed);
          for (const f of listed) toRead.add(f);
          for (const f of this.knownAtOrBelow(display.path)) if (!listed.has(f)) gone.add(f);
        } else if (display.explicit || hasManifestExtension(display.path)) toRead.add(display.path);
      }
    }

    // What was passed on for each object touched, captured at its first touch.
    const touched = new Map<ClusterObjectKind, Map<string, Entry | undefined>>();
    const fresh: Entry[] = [];
    for (const file of gone) {
      const prev = this.files.get(file);
      this.files.delete(file);
      if (prev) this.replaceEntries(entriesOf(prev), [], touched);
      issueScopes.add(file);
    }
    // Read in sorted order so the effects of duplicates are stable.
    for (const file of [...toRead].sort()) {
      issueScopes.add(file);
      await this.readFile(file, undefined, touched, fresh);
    }

    const changes: ObjectChange[] = [];
    // Settle every touched object; a winner whose value is not at hand is read again from its file.
    for (let round = 0; touched.size > 0; round++) {
      const need = new Map<string, Set<Entry>>();
      for (const [kind, keys] of touched) {
        for (const [key, prev] of keys) {
          const change = this.settle(kind, key, prev, issueScopes, round < 3 ? need : undefined);
          if (change === 'need') continue;
          keys.delete(key);
          if (change !== undefined) changes.push(change);
        }
        if (keys.size === 0) touched.delete(kind);
      }
      for (const [file, force] of need) await this.readFile(file, force, touched, fresh);
    }
    // Values are dropped once passed on, except for objects with copies in several files.
    for (const e of fresh) {
      const have = this.copies.get(e.kind)?.get(e.key);
      if (!Array.isArray(have)) e.state = undefined;
    }

    const sourceIssues: SourceIssues[] = [];
    for (const scope of [...issueScopes].sort()) {
      const issues = this.issuesOf(scope);
      const json = JSON.stringify(issues);
      const last = this.reportedIssues.get(scope);
      if (last === json || (last === undefined && issues.length === 0)) continue;
      if (issues.length === 0) this.reportedIssues.delete(scope);
      else this.reportedIssues.set(scope, json);
      sourceIssues.push({ scope, issues });
    }
    return sourceIssues.length > 0 ? { changes, sourceIssues } : { changes };
  }

  /** The files currently read, sorted. */
  trackedFiles(): string[] {
    return [...this.files.keys()].sort();
  }

  private isExplicit(file: string): boolean {
    return this.roots.some((r) => r.given === file);
  }

  /** Known files equal to `path` or inside it. */
  private knownAtOrBelow(path: string): string[] {
    const out: string[] = [];
    const prefix = path.endsWith(sep) ? path : `${path}${sep}`;
    for (const f of this.files.keys()) if (f === path || f.startsWith(prefix)) out.push(f);
    return out;
  }

  /**
   * The path as this source names it (below the root as given), and whether it is a root itself;
   * undefined when it is not at or under any root.
   */
  private displayOf(path: string): { path: string; explicit: boolean } | undefined {
    const abs = resolve(path);
    for (const root of this.roots) if (root.resolved === abs) return { path: root.given, explicit: true };
    for (const root of this.roots) {
      const rel = relative(root.resolved, abs);
      if (rel === '' || rel.startsWith('..') || rel.startsWith(sep)) continue;
      if (rel.split(sep).some((part) => part.startsWith('.'))) return undefined;
      return { path: join(root.given, rel), explicit: false };
    }
    return undefined;
  }

  /** Adds the files at or below `path` to `out` (a missing root is reported as a path issue). */
  private async list(path: string, explicit: boolean, out: Set<string>): Promise<void> {
    let info;
    try {
      info = await stat(path);
    } catch {
      if (explicit) out.add(path); // read, and reported, as a file that cannot be read
      return;
    }
    if (info.isDirectory()) {
      let names: string[];
      try {
        names = (await readdir(path)).sort();
      } catch (err) {
        this.pathIssues.set(path, [readFailed(path, err)]);
        return;
      }
      this.pathIssues.delete(path);
      for (const name of names) {
        if (name.startsWith('.')) continue;
        await this.list(join(path, name), false, out);
      }
      return;
    }
    if (explicit || hasManifestExtension(path)) out.add(path);
  }

  /**
   * Reads one file (documents holding an entry of `force` are parsed again) and records its
   * entries; an unreadable file keeps its objects and reports the error.
   */
  private async readFile(file: string, force: ReadonlySet<Entry> | undefined, touched: Map<ClusterObjectKind, Map<string, Entry | undefined>>, fresh: Entry[]): Promise<void> {
    const prev = this.files.get(file);
    let text: string;
    try {
      // Read whole, then decoded once (faster than decoding as it streams in).
      text = (await readFile(file)).toString('utf8');
    } catch (err) {
      if (isNotFound(err) && !this.isExplicit(file)) {
        this.files.delete(file);
        if (prev) this.replaceEntries(entriesOf(prev), [], touched);
        return;
      }
      // Unreadable: keep its objects; report it (an explicit path that is missing too).
      this.files.set(file, { shadowed: prev?.shadowed, issues: prev?.issues ?? [], broken: [readFailed(file, err)], documents: prev?.documents ?? [], stale: force !== undefined || prev?.stale === true });
      return;
    }
    const next = readFileState(file, text, prev, force, fresh);
    if (next.broken.length > 0 && (force !== undefined || prev?.stale === true)) {
      this.files.set(file, { ...next, stale: true });
      return;
    }
    this.files.set(file, next);
    if (prev === undefined) this.replaceEntries([], entriesOf(next), touched);
    else if (prev.documents !== next.documents) {
      if (prev.shadowed !== undefined || next.shadowed !== undefined) {
        // Which copy of a repeated object counts may change with documents left as they were.
        this.replaceEntries(entriesOf(prev), entriesOf(next), touched);
      } else {
        // Entries of unchanged documents are the same objects: only the others are replaced.
        const { removed, added } = documentsChanged(prev.documents, next.documents);
        this.replaceEntries(
          removed.flatMap((d) => d.entries),
          added.flatMap((d) => d.entries),
          touched,
        );
      }
    }
  }

  private copyMap(kind: ClusterObjectKind): Map<string, Entry | Entry[]> {
    let m = this.copies.get(kind);
    if (m === undefined) this.copies.set(kind, (m = new Map()));
    return m;
  }

  /** Notes the first touch of an object in this reload, with what was passed on for it until now. */
  private touch(e: Entry, touched: Map<ClusterObjectKind, Map<string, Entry | undefined>>): void {
    let keys = touched.get(e.kind);
    if (keys === undefined) touched.set(e.kind, (keys = new Map()));
    if (keys.has(e.key)) return;
    let prev = this.winnerOf(this.copiesOf(e.kind, e.key));
    const pendingFingerprint = this.pending.get(e.kind)?.get(e.key);
    if (pendingFingerprint !== undefined) prev = { kind: e.kind, key: e.key, file: prev?.file ?? '', fingerprint: pendingFingerprint, state: undefined };
    keys.set(e.key, prev);
  }

  private replaceEntries(before: Iterable<Entry>, after: Iterable<Entry>, touched: Map<ClusterObjectKind, Map<string, Entry | undefined>>): void {
    for (const e of before) {
      this.touch(e, touched);
      const m = this.copyMap(e.kind);
      const have = m.get(e.key);
      if (have === e) m.delete(e.key);
      else if (Array.isArray(have)) {
        const kept = have.filter((x) => x !== e);
        if (kept.length === 1) {
          m.set(e.key, kept[0] as Entry);
          this.multiCopies--;
        } else m.set(e.key, kept);
      }
    }
    for (const e of after) {
      this.touch(e, touched);
      const m = this.copyMap(e.kind);
      const have = m.get(e.key);
      if (have === undefined) m.set(e.key, e);
      else if (Array.isArray(have)) have.push(e);
      else {
        m.set(e.key, [have, e]);
        this.multiCopies++;
      }
    }
  }

  /** Every copy of an object (one per file that defines it). */
  private copiesOf(kind: ClusterObjectKind, key: string): readonly Entry[] {
    const have = this.copies.get(kind)?.get(key);
    return have === undefined ? [] : Array.isArray(have) ? have : [have];
  }

  /** The copy of `id` that wins: the one in the later file (a file holds at most one copy). */
  private winnerOf(list: readonly Entry[]): Entry | undefined {
    let best: Entry | undefined;
    for (const e of list) if (best === undefined || e.file > best.file) best = e;
    return best;
  }

  /**
   * The change for an object after its copies changed, if any (`prev`: what was passed on before);
   * files whose duplicate warnings may change join `scopes`. `'need'`: the winner's value is not at
   * hand and its file is added to `need` to be read again (without `need`: it cannot be, and the
   * object stays as passed on until its file is read).
   */
  private settle(kind: ClusterObjectKind, key: string, prev: Entry | undefined, scopes: Set<string>, need: Map<string, Set<Entry>> | undefined): ObjectChange | 'need' | undefined {
    const list = this.copiesOf(kind, key);
    const winner = this.winnerOf(list);
    if (list.length > 1 || (prev !== undefined && prev.file !== winner?.file)) {
      for (const e of list) scopes.add(e.file);
      if (prev && prev.file !== '') scopes.add(prev.file);
    }
    const pending = this.pending.get(kind);
    if (winner === undefined) {
      pending?.delete(key);
      if (prev === undefined) return undefined;
      return { op: 'delete', kind, key };
    }
    if (prev !== undefined && prev.fingerprint === winner.fingerprint) {
      pending?.delete(key);
      return undefined;
    }
    const state = winner.state;
    if (state === undefined) {
      const file = this.files.get(winner.file);
      if (need !== undefined && file !== undefined && file.stale !== true) {
        let force = need.get(winner.file);
        if (force === undefined) need.set(winner.file, (force = new Set()));
        force.add(winner);
        return 'need';
      }
      // Its file does not parse: what was passed on stays until the file is read again.
      if (prev !== undefined) {
        let m = pending;
        if (m === undefined) this.pending.set(kind, (m = new Map()));
        m.set(key, prev.fingerprint);
      }
      if (file !== undefined && file.stale !== true) this.files.set(winner.file, { ...file, stale: true });
      return undefined;
    }
    pending?.delete(key);
    if (!state.ok) return { op: 'invalid', kind, key, issues: state.issues };
    return { op: 'upsert', kind, key, object: state.object } as ObjectChange;
  }

  /** The current issues of a scope: a file's errors and warnings, duplicates it loses, or a path's. */
  private issuesOf(scope: string): ObjectIssue[] {
    const out: ObjectIssue[] = [];
    for (const i of this.pathIssues.get(scope) ?? []) out.push(i);
    const state = this.files.get(scope);
    if (state === undefined) return out;
    for (const i of state.broken) out.push(i);
    for (const i of state.issues) out.push(i);
    if (this.multiCopies === 0) return out;
    for (const e of entriesOf(state)) {
      const list = this.copies.get(e.kind)?.get(e.key);
      if (list === undefined || !Array.isArray(list)) continue;
      const winner = this.winnerOf(list);
      if (winner === undefined || winner === e) continue;
      out.push({
        severity: 'warning',
        object: objectLabel(e.kind, e.key),
        path: '',
        rule: 'duplicateObject',
        message: `also defined in ${winner.file}, which is used`,
        file: scope,
      });
    }
    return out;
  }
}
