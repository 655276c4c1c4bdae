/**
 * The file edge of manifests: reads files and folders (recursively; `.yaml`, `.yml`, `.json`) and
 * hands their text to the pure `parseManifests`. Files are read in a stable order (the paths in the
 * order given; inside a folder, entries sorted by name).
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseManifests } from './parse.js';
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
    errors.push({ file: path, line: 0, code: 'readFailed', message: err instanceof Error ? err.message : String(err) });
    return [];
  }
  if (info.isDirectory()) {
    let entries: string[];
    try {
      entries = (await readdir(path)).sort();
    } catch (err) {
      errors.push({ file: path, line: 0, code: 'readFailed', message: err instanceof Error ? err.message : String(err) });
      return [];
    }
    const out: string[] = [];
    for (const name of entries) {
      if (name.startsWith('.')) continue;
      out.push(...(await listFiles(join(path, name), errors, false)));
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
  for (const p of paths) files.push(...(await listFiles(p, errors, true)));
  for (const file of [...new Set(files)]) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      errors.push({ file, line: 0, code: 'readFailed', message: err instanceof Error ? err.message : String(err) });
      continue;
    }
    const set = parseManifests(text, file);
    objects.push(...set.objects);
    errors.push(...set.errors);
  }
  return { objects, errors };
}
