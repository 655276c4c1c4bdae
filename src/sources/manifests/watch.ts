/**
 * Watches manifest files and folders and calls back, debounced, when anything below them changes.
 *
 * Editors save by writing in place or by renaming a new file over the old one, so a file path is
 * watched through its parent folder; a folder is watched with every subfolder, re-listed after each
 * change so new subfolders are followed. Events are only a hint: the callback is expected to reload
 * and compare, so a spurious event costs one reload and a missed one is caught by the next.
 */
import { watch, statSync, readdirSync, type Dirent, type FSWatcher } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

export interface ManifestWatcher {
  /** Stops watching; no callback runs after this returns. */
  close(): void;
}

export interface WatchOptions {
  /** Quiet time before the callback runs, in milliseconds (default 50). */
  readonly debounceMs?: number;
}

function foldersBelow(dir: string): string[] {
  const out = [dir];
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    if (e.isDirectory() && !e.name.startsWith('.')) out.push(...foldersBelow(join(dir, e.name)));
  }
  return out;
}

/**
 * Calls `onChange` (debounced) whenever a file at or below one of `paths` is created, written,
 * renamed or removed.
 */
export function watchManifests(paths: readonly string[], onChange: () => void, options: WatchOptions = {}): ManifestWatcher {
  const debounceMs = options.debounceMs ?? 50;
  const watchers = new Map<string, FSWatcher>();
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  // Which folders to watch, and for a folder watched on behalf of a single file, which names count.
  const fileFilters = new Map<string, Set<string>>();
  const trees: string[] = [];
  for (const p of paths.map((x) => resolve(x))) {
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
    if (closed) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      if (closed) return;
      refresh();
      onChange();
    }, debounceMs);
  };

  const ensure = (dir: string, filter: Set<string> | undefined): void => {
    if (watchers.has(dir)) return;
    try {
      const w = watch(dir, { persistent: true }, (_event, name) => {
        if (filter && name !== null && !filter.has(String(name))) return;
        fire();
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
    for (const [dir, names] of fileFilters) ensure(dir, trees.some((t) => dir === t || dir.startsWith(`${t}/`)) ? undefined : names);
    for (const t of trees) for (const dir of foldersBelow(t)) ensure(dir, undefined);
  };

  refresh();
  return {
    close(): void {
      closed = true;
      if (timer) clearTimeout(timer);
      for (const w of watchers.values()) w.close();
      watchers.clear();
    },
  };
}
