/**
 * Watches manifest files and folders and calls back, after a short quiet time, with the paths that
 * changed, so the reader re-reads only those (`ManifestSource.reload(files)`).
 *
 * Editors save by writing in place or by renaming a new file over the old one, so a file path is
 * watched through its parent folder (events for other names in that folder are dropped); a folder is
 * watched with every subfolder, and after a change that touches a folder the tree is listed again so
 * new subfolders are followed. Reported paths are absolute: the file named by the event, or the
 * folder itself when the platform gives no name (the reader then lists that folder). Events are only
 * a hint: the reader compares, so a spurious event costs one read of one file.
 *
 * Timers are injectable (`WatchOptions.timers`) so tests drive the quiet time without sleeping.
 */
import { watch, statSync, readdirSync, type Dirent, type FSWatcher } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

export interface ManifestWatcher {
  /** Stops watching; no callback runs after this returns. */
  close(): void;
}

/** The timer functions the watcher uses (node's by default). */
export interface WatchTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface WatchOptions {
  /**
   * Quiet time after the last event before the callback runs, in milliseconds (default 2): long
   * enough to merge the events of one save (write, or create + rename), short enough that a change
   * reaches the routers in a few milliseconds.
   */
  readonly debounceMs?: number;
  readonly timers?: WatchTimers;
}

const NODE_TIMERS: WatchTimers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

function foldersBelow(dir: string, out: string[]): void {
  out.push(dir);
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    if (e.isDirectory() && !e.name.startsWith('.')) foldersBelow(join(dir, e.name), out);
  }
}

/**
 * Calls `onChange(paths, firstEventAt)` after a quiet time whenever files at or below one of `paths`
 * are created, written, renamed or removed; `paths` are the absolute paths of the files (or folders)
 * concerned, sorted, each once; `firstEventAt` is when the first event of the batch arrived
 * (`performance.now()`), so a caller can tell the event's delivery and the quiet time from its own work.
 */
export function watchManifests(paths: readonly string[], onChange: (changed: string[], firstEventAt: number) => void, options: WatchOptions = {}): ManifestWatcher {
  const debounceMs = options.debounceMs ?? 2;
  const timers = options.timers ?? NODE_TIMERS;
  const watchers = new Map<string, FSWatcher>();
  const pending = new Set<string>();
  /** When the first event of the pending batch arrived. */
  let firstEventAt = 0;
  let timer: unknown;
  let closed = false;

  // Which folders to watch, and for a folder watched on behalf of single files, which names count.
  const fileFilters = new Map<string, Set<string>>();
  const trees: string[] = [];
  for (const given of paths) {
    const p = resolve(given);
    let isDir = false;
    try {
      isDir = statSync(p).isDirectory();
    } catch {
      isDir = false;
    }
    if (isDir) trees.push(p);
    else {
      const dir = dirname(p);
      const names = fileFilters.get(dir) ?? new Set<string>();
      names.add(basename(p));
      fileFilters.set(dir, names);
    }
  }

  const fire = (): void => {
    timer = undefined;
    if (closed) return;
    const changed = [...pending].sort();
    pending.clear();
    // A path that is a folder now, or is gone (it may have been one), may change the set of folders.
    let folders = false;
    for (const p of changed) {
      try {
        if (statSync(p).isDirectory()) folders = true;
      } catch {
        folders = true;
      }
      if (folders) break;
    }
    if (folders) refresh();
    onChange(changed, firstEventAt);
  };

  const note = (path: string): void => {
    if (closed) return;
    if (pending.size === 0) firstEventAt = performance.now();
    pending.add(path);
    if (timer !== undefined) timers.clearTimeout(timer);
    timer = timers.setTimeout(fire, debounceMs);
  };

  const ensure = (dir: string, filter: Set<string> | undefined): void => {
    if (watchers.has(dir)) return;
    try {
      const w = watch(dir, { persistent: true }, (_event, name) => {
        if (name === null) {
          if (filter) for (const n of filter) note(join(dir, n));
          else note(dir);
          return;
        }
        const file = String(name);
        if (filter && !filter.has(file)) return;
        note(join(dir, file));
      });
      w.on('error', () => {
        watchers.delete(dir);
        w.close();
      });
      watchers.set(dir, w);
    } catch {
      // The folder does not exist (yet); the next refresh tries again.
    }
  };

  const refresh = (): void => {
    // A watched folder that is gone is forgotten, so it is watched again if it comes back.
    for (const [dir, w] of watchers) {
      try {
        statSync(dir);
      } catch {
        w.close();
        watchers.delete(dir);
      }
    }
    for (const [dir, names] of fileFilters) ensure(dir, trees.some((t) => dir === t || dir.startsWith(`${t}/`)) ? undefined : names);
    for (const t of trees) {
      const dirs: string[] = [];
      foldersBelow(t, dirs);
      for (const dir of dirs) ensure(dir, undefined);
    }
  };

  refresh();
  return {
    close(): void {
      closed = true;
      if (timer !== undefined) timers.clearTimeout(timer);
      timer = undefined;
      pending.clear();
      for (const w of watchers.values()) w.close();
      watchers.clear();
    },
  };
}
