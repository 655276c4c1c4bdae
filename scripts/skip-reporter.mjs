// A node:test reporter that records every skipped test as one JSON line:
// {"file": ..., "name": "suite > test", "reason": "..." | null}. scripts/run-tests.mjs reads these
// lines to print the skips grouped by reason and to apply the skip policy (see there).
//
// Tests are tracked by nesting level from `test:start` events, so a skipped test carries the names
// of the suites around it.
export default async function* skipReporter(source) {
  const stacks = new Map();
  for await (const event of source) {
    const data = event.data ?? {};
    const file = data.file ?? '';
    if (event.type === 'test:start') {
      const stack = stacks.get(file) ?? [];
      stack.length = data.nesting;
      stack.push(data.name);
      stacks.set(file, stack);
      continue;
    }
    if ((event.type === 'test:pass' || event.type === 'test:fail') && data.skip !== undefined && data.skip !== false) {
      const parents = (stacks.get(file) ?? []).slice(0, data.nesting);
      const name = [...parents, data.name].join(' > ');
      const reason = typeof data.skip === 'string' && data.skip.trim() !== '' ? data.skip : null;
      yield `${JSON.stringify({ file, name, reason })}\n`;
    }
  }
}
