/**
 * The file edge of manifests: reads files and folders (recursively; `.yaml`, `.yml`, `.json`) and
 * hands their text to the pure `parseManifests`. Files are read in a stable order (the paths in the
 * order given; inside a folder, entries sorted by name).
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseManifests } from './parse.js';
import { readErrorMessage } from './messages.js';
import type { ManifestError, ManifestObject, ManifestSet } from './parse.js';

const EXTENSIONS = ['.yaml', '.yml', '.json'];

function hasManifestExtension(name: string): boolean {
  const lower = name.toLowerCase();
  return EXTENSIONS.some((ext) => lower.endsWith(ext));
}

async function listFiles(path: string, errors: ManifestError[], explicit: boolean): Promise<string[]> {
  let info;
  try {
    info = await stat(path);
  } catch (err) {
    errors.push({ file: path, line: 0, code: 'readFailed', message: readErrorMessage(err) });
    return [];
  }
  if (info.isDirectory()) {
    let entries: string[];
    try {
      entries = (await readdir(path)).sort();
    } catch (err) {
      errors.push({ file: path, line: 0, code: 'readFailed', message: readErrorMessage(err) });
      return [];
    }
    const out: string[] = [];
    for (const name of entries) {
      if (name.startsWith('.')) continue;
      for (const f of await listFiles(join(path, name), errors, false)) out.push(f);
    }
    return out;
  }
  // A file named on the command line is read whatever its extension; inside folders only manifests.
  return explicit || hasManifestExtension(path) ? [path] : [];
}

/**
 * Reads every manifest under `paths` (files or folders, recursively) and returns all objects and all
 * errors (unreadable files, YAML syntax errors with file and line). Never rejects for bad input.
 */
export async function loadManifests(paths: readonly string[]): Promise<ManifestSet> {
  const objects: ManifestObject[] = [];
  const errors: ManifestError[] = [];
  const files: string[] = [];
  for (const p of paths) for (const f of await listFiles(p, errors, true)) files.push(f);
  const seen = new Set<string>();
  for (const file of [...new Set(files)]) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      errors.push({ file, line: 0, code: 'readFailed', message: readErrorMessage(err) });
      continue;
    }
    // A file whose text did not change since the last load is not parsed again: a reload after one
    // edit parses one file, not the whole folder (parsing is pure, so the result is the same).
    const cached = parsedFiles.get(file);
    const set = cached !== undefined && cached.text === text ? cached.set : parseManifests(text, file);
    parsedFiles.set(file, { text, set });
    seen.add(file);
    // One push per object: a spread of a file's objects would grow the stack with the file.
    for (const o of set.objects) objects.push(o);
    for (const e of set.errors) errors.push(e);
  }
  // Forget files that are gone (or belong to another set of paths), so the cache stays bounded.
  for (const file of parsedFiles.keys()) if (!seen.has(file)) parsedFiles.delete(file);
  return { objects, errors };
}

/** The last text and parse of each file read, by path. */
const parsedFiles = new Map<string, { readonly text: string; readonly set: ManifestSet }>();
