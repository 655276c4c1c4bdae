/**
 * Texts of reading errors (pure). The file and the line are fields of every error, printed once by
 * the caller (`file:line: ...`), so messages carry neither: Node's errno messages repeat the path
 * (`ENOENT: no such file or directory, open 'x.yaml'`) and the `yaml` package's repeat the position
 * (`... at line 6, column 1:`). The column, which has no field in an issue, ends the message.
 */

/** The message of a failed read or listing, without the path. */
export function readErrorMessage(err: unknown): string {
  const e = err as NodeJS.ErrnoException | undefined;
  if (e && typeof e.code === 'string') {
    switch (e.code) {
      case 'ENOENT':
        return 'no such file or directory';
      case 'EACCES':
        return 'permission denied';
      case 'EISDIR':
        return 'is a directory';
      case 'ENOTDIR':
        return 'a parent of this path is not a directory';
      default:
        return e.code;
    }
  }
  return err instanceof Error ? err.message : String(err);
}

/** A YAML error's first line without its trailing position, then `(column N)` when known. */
export function syntaxErrorMessage(message: string, column: number | undefined): string {
  const nl = message.indexOf('\n');
  let text = (nl === -1 ? message : message.slice(0, nl)).trim();
  text = text.replace(/\s*at line \d+, column \d+:?$/, '').replace(/:$/, '');
  return column !== undefined ? `${text} (column ${column})` : text;
}
