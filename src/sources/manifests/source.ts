/**
 * Manifest files as a source of object changes: `load()` reads every file under the paths and returns
 * every object; `reload(files)` re-reads only those files and returns only what changed.
 *
 * Invariants:
 * - Each object is validated and slimmed as it is read (`classify.ts`), one document at a time.
 * - A re-read document whose text (by hash) and position are unchanged is not parsed again; a parsed
 *   object whose slim value equals the last one passed on yields no change.
 * - A file that does not parse (a YAML syntax error anywhere in it) or cannot be read keeps its objects
 *   as they were and reports a source issue (scope: the file); when it parses again the scope gets
 *   the file's remaining warnings, or an empty list. A deleted file deletes its objects.
 * - Two definitions of one object: the one in the later file (paths sorted; within a file, the later
 *   document) wins, and each file that holds a losing copy gets a warning; deleting the winner brings
 *   the other back.
 * - Files are listed as `loadManifests` lists them: named files whatever their extension, inside
 *   folders (recursively, skipping dot-names) only `.yaml`, `.yml` and `.json`.
 */
import { hash } from 'node:crypto';
import { readFile, readdir, stat } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import type { ChangeBatch, ClusterObjectKind, ClusterObjectKinds, ObjectChange, ObjectIssue, SourceIssues } from '../../model/cluster.js';
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

/** One object of one file, as last read. Immutable: reused as is when its document is unchanged. */
interface Entry {
  readonly id: string;
  readonly kind: ClusterObjectKind;
  readonly key: string;
  readonly file: string;
  readonly state: Extract<Classified, { key: string }>['state'];
  readonly warnings: readonly ObjectIssue[];
}

/** What a document produced, for reuse when its text comes back unchanged. */
interface DocumentResult {
  readonly firstLine: number;
  readonly entries: Entry[];
  readonly issues: ObjectIssue[];
  /** Whether anything it produced depends on its line (issues, warnings, configuration origins). */
  readonly lineBound: boolean;
}

interface FileState {
  readonly entries: readonly Entry[];
  /** Issues of the file itself: unkeyed objects, validation warnings (not syntax errors: see `broken`). */
  readonly issues: readonly ObjectIssue[];
  /** Syntax or read errors of the last read; while set, `entries` are those of the last good read. */
  readonly broken: readonly ObjectIssue[];
  readonly documents: ReadonlyMap<string, DocumentResult[]>;
}

/**
 * The identity of a document's text: its SHA-1 (native, ~4x cheaper than hashing in JS; not for
 * security: a collision would only hide an edit) and its length.
 */
function hashText(text: string): string {
  return `${hash('sha1', text, 'base64')}${text.length}`;
}

/** Deep equality of plain data (what validation and YAML produce). */
function sameData(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameData(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const ka = Object.keys(ra);
  if (ka.length !== Object.keys(rb).length) return false;
  for (const k of ka) {
    if (!Object.prototype.hasOwnProperty.call(rb, k) || !sameData(ra[k], rb[k])) return false;
  }
  return true;
}

/** Whether passing on `next` after `prev` would change nothing for the consumer. */
function sameEntry(prev: Entry, next: Entry): boolean {
  if (prev === next) return true;
  if (prev.state.ok !== next.state.ok) return false;
  if (!prev.state.ok || !next.state.ok) return sameData(prev.state, next.state);
  if (prev.kind === 'Config') {
    const p = prev.state.object as ClusterObjectKinds['Config'];
    const n = next.state.object as ClusterObjectKinds['Config'];
    return prev.file === next.file && p.origin?.line === n.origin?.line && sameData(p.object, n.object);
  }
  return sameData(prev.state.object, next.state.object);
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

/** Reads one file's text into entries, reusing the documents of `previous` whose text is unchanged. */
function readFileState(file: string, text: string, previous: FileState | undefined): FileState {
  const entries: Entry[] = [];
  const issues: ObjectIssue[] = [];
  const broken: ObjectIssue[] = [];
  const documents = new Map<string, DocumentResult[]>();
  let current: { digest: string; result: DocumentResult } | undefined;
  const finish = (): void => {
    if (current === undefined) return;
    const list = documents.get(current.digest);
    if (list) list.push(current.result);
    else documents.set(current.digest, [current.result]);
    current = undefined;
  };
  readManifestText(text, file, {
    document(source: DocumentSource): boolean {
      finish();
      const digest = hashText(source.text);
      const candidates = previous?.documents.get(digest);
      const reuse = candidates?.find((d) => !d.lineBound || d.firstLine === source.firstLine);
      if (reuse !== undefined) {
        for (const e of reuse.entries) entries.push(e);
        for (const i of reuse.issues) issues.push(i);
        const list = documents.get(digest);
        if (list) list.push(reuse);
        else documents.set(digest, [reuse]);
        return false;
      }
      current = { digest, result: { firstLine: source.firstLine, entries: [], issues: [], lineBound: false } };
      return true;
    },
    object(read): void {
      const c = classify(read);
      if (c.kind === 'ignored') return;
      const result = current?.result;
      const bind = (): void => {
        if (result) (result as { lineBound: boolean }).lineBound = true;
      };
      if (c.kind === 'unkeyed') {
        for (const i of c.issues) {
          issues.push(i);
          result?.issues.push(i);
        }
        bind();
        return;
      }
      const entry: Entry = { id: `${c.kind}\u0000${c.key}`, kind: c.kind, key: c.key, file, state: c.state, warnings: c.warnings };
      if (!c.state.ok || c.warnings.length > 0 || c.kind === 'Config') bind();
      entries.push(entry);
      result?.entries.push(entry);
      for (const w of c.warnings) issues.push(w);
    },
    error(e): void {
      const issue = readErrorIssue(e);
      if (e.code === 'yamlSyntax') broken.push(issue);
      else {
        issues.push(issue);
        current?.result.issues.push(issue);
        const result = current?.result;
        if (result) (result as { lineBound: boolean }).lineBound = true;
      }
    },
  });
  finish();
  if (broken.length > 0) {
    // The file keeps the objects of its last good read.
    return { entries: previous?.entries ?? [], issues: previous?.issues ?? [], broken, documents: previous?.documents ?? new Map() };
  }
  // One object defined twice in one file: the later definition is used, the earlier one is reported.
  const last = new Map<string, number>();
  for (let i = 0; i < entries.length; i++) last.set((entries[i] as Entry).id, i);
  if (last.size === entries.length) return { entries, issues, broken, documents };
  const kept: Entry[] = [];
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i] as Entry;
    if (last.get(e.id) === i) kept.push(e);
    else {
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
  return { entries: kept, issues, broken, documents };
}

/**
 * The entries of `before` not in `after` and the reverse, by identity. The common prefix and suffix
 * (an edit in the middle of a big file leaves both long) are skipped without building sets.
 */
function entriesChanged(before: readonly Entry[], after: readonly Entry[]): { removed: Entry[]; added: Entry[] } {
  let head = 0;
  while (head < before.length && head < after.length && before[head] === after[head]) head++;
  let tail = 0;
  while (tail < before.length - head && tail < after.length - head && before[before.length - 1 - tail] === after[after.length - 1 - tail]) tail++;
  const oldMiddle = new Set<Entry>();
  for (let i = head; i < before.length - tail; i++) oldMiddle.add(before[i] as Entry);
  const newMiddle = new Set<Entry>();
  for (let i = head; i < after.length - tail; i++) newMiddle.add(after[i] as Entry);
  const removed: Entry[] = [];
  const added: Entry[] = [];
  for (const e of oldMiddle) if (!newMiddle.has(e)) removed.push(e);
  for (const e of newMiddle) if (!oldMiddle.has(e)) added.push(e);
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
  /** Every copy of every object, by id (`kind\0key`). */
  private readonly copies = new Map<string, Entry | Entry[]>();
  /** What was last passed on for each id. */
  private readonly emitted = new Map<string, Entry>();
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

    const touched = new Set<string>();
    for (const file of gone) {
      const prev = this.files.get(file);
      this.files.delete(file);
      if (prev) this.replaceEntries(file, prev.entries, [], touched);
      issueScopes.add(file);
    }
    // Read in sorted order so the effects of duplicates are stable.
    for (const file of [...toRead].sort()) {
      issueScopes.add(file);
      const prev = this.files.get(file);
      let text: string;
      try {
        // Read whole, then decoded once (faster than decoding as it streams in).
        text = (await readFile(file)).toString('utf8');
      } catch (err) {
        if (isNotFound(err) && !this.isExplicit(file)) {
          this.files.delete(file);
          if (prev) this.replaceEntries(file, prev.entries, [], touched);
          continue;
        }
        // Unreadable: keep its objects; report it (an explicit path that is missing too).
        this.files.set(file, { entries: prev?.entries ?? [], issues: prev?.issues ?? [], broken: [readFailed(file, err)], documents: prev?.documents ?? new Map() });
        continue;
      }
      const next = readFileState(file, text, prev);
      this.files.set(file, next);
      if (prev === undefined) this.replaceEntries(file, [], next.entries, touched);
      else if (prev.entries !== next.entries) {
        // Entries of unchanged documents are the same objects: only the others are replaced.
        const { removed, added } = entriesChanged(prev.entries, next.entries);
        this.replaceEntries(file, removed, added, touched);
      }
    }

    const changes: ObjectChange[] = [];
    for (const id of touched) {
      const change = this.settle(id, issueScopes);
      if (change !== undefined) changes.push(change);
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

  private replaceEntries(file: string, before: readonly Entry[], after: readonly Entry[], touched: Set<string>): void {
    for (const e of before) {
      touched.add(e.id);
      const list = this.copiesOf(e.id);
      const kept = list.filter((x) => x.file !== file);
      if (kept.length === 0) this.copies.delete(e.id);
      else this.copies.set(e.id, kept.length === 1 ? (kept[0] as Entry) : kept);
    }
    for (const e of after) {
      touched.add(e.id);
      const have = this.copies.get(e.id);
      if (have === undefined) this.copies.set(e.id, e);
      else if (Array.isArray(have)) have.push(e);
      else this.copies.set(e.id, [have, e]);
    }
  }

  /** Every copy of `id` (one per file that defines it). */
  private copiesOf(id: string): readonly Entry[] {
    const have = this.copies.get(id);
    return have === undefined ? [] : Array.isArray(have) ? have : [have];
  }

  /** The copy of `id` that wins: the one in the later file (a file holds at most one copy). */
  private winnerOf(list: readonly Entry[]): Entry | undefined {
    let best: Entry | undefined;
    for (const e of list) if (best === undefined || e.file > best.file) best = e;
    return best;
  }

  /** The change for `id` after its copies changed, if any; files whose duplicate warnings may change join `scopes`. */
  private settle(id: string, scopes: Set<string>): ObjectChange | undefined {
    const list = this.copiesOf(id);
    const winner = this.winnerOf(list);
    const prev = this.emitted.get(id);
    if (list.length > 1 || (prev !== undefined && prev.file !== winner?.file)) {
      for (const e of list) scopes.add(e.file);
      if (prev) scopes.add(prev.file);
    }
    if (winner === undefined) {
      if (prev === undefined) return undefined;
      this.emitted.delete(id);
      return { op: 'delete', kind: prev.kind, key: prev.key };
    }
    this.emitted.set(id, winner);
    if (prev !== undefined && sameEntry(prev, winner)) return undefined;
    if (!winner.state.ok) return { op: 'invalid', kind: winner.kind, key: winner.key, issues: winner.state.issues };
    return { op: 'upsert', kind: winner.kind, key: winner.key, object: winner.state.object } as ObjectChange;
  }

  /** The current issues of a scope: a file's errors and warnings, duplicates it loses, or a path's. */
  private issuesOf(scope: string): ObjectIssue[] {
    const out: ObjectIssue[] = [];
    for (const i of this.pathIssues.get(scope) ?? []) out.push(i);
    const state = this.files.get(scope);
    if (state === undefined) return out;
    for (const i of state.broken) out.push(i);
    for (const i of state.issues) out.push(i);
    for (const e of state.entries) {
      const list = this.copies.get(e.id);
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
