// Reading expectations from the workspace's own files, so real-editor tests never hard-code
// line numbers or documentation text.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const repoRoot = resolve(__dirname, '..', '..', '..', '..');

/** 1-based line of the first line of `text` matching `pattern`; fails when there is none. */
export function lineOf(text: string, pattern: RegExp): { line: number; text: string } {
  const lines = text.split('\n');
  const index = lines.findIndex((candidate) => pattern.test(candidate));
  assert.notEqual(index, -1, `no line matching ${pattern}`);
  return { line: index + 1, text: lines[index].replace(/\r$/, '') };
}

/** The first clause of a key's schema description, as hover renders it (markdown stripped). */
export function firstClauseOfDescription(key: string): string {
  const schema = JSON.parse(readFileSync(join(repoRoot, 'schemas', 'cluster.schema.json'), 'utf8'));
  const description: string = schema.properties[key].markdownDescription;
  return description.replace(/[`*_]/g, '').split(/[,.;:(]/)[0].trim();
}
