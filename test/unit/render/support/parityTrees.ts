// Helpers for the renderer parity test: read a rendered output tree, describe where two files first
// differ (without printing secret-looking content), and find `template:line` in an error report.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** One entry of an output tree; directories matter because makejinja removes empty ones. */
export interface TreeEntry {
  kind: 'file' | 'dir';
  /** Permission bits (mode & 0o7777). */
  mode: number;
}

/** Every file and folder under root, keyed by its '/'-separated path relative to root, sorted. */
export function readTree(root: string): Map<string, TreeEntry> {
  const entries = new Map<string, TreeEntry>();
  const walk = (relative: string): void => {
    for (const name of readdirSync(join(root, relative)).sort()) {
      const childRelative = relative ? `${relative}/${name}` : name;
      const stats = statSync(join(root, childRelative));
      const kind = stats.isDirectory() ? 'dir' : 'file';
      entries.set(childRelative, { kind, mode: stats.mode & 0o7777 });
      if (kind === 'dir') walk(childRelative);
    }
  };
  walk('');
  return entries;
}

/** The listing compared between the two trees: folders end with '/'. */
export function treeListing(tree: Map<string, TreeEntry>): string[] {
  return [...tree].map(([path, entry]) => (entry.kind === 'dir' ? `${path}/` : path));
}

// Test key material (age private keys, the fake deploy key and tokens in *.sops.* files) stays out
// of test output even though the fixture values are not real secrets.
const SECRET_LINE = /AGE-SECRET-KEY-|PRIVATE KEY/;

function isSecretFile(relativePath: string): boolean {
  return /\.sops\./.test(relativePath);
}

function shown(line: string | undefined, hidden: boolean): string {
  if (line === undefined) return '(no such line)';
  return hidden ? `(${line.length} characters, hidden: may hold a secret)` : JSON.stringify(line);
}

/**
 * Where two renderings of one file first differ, as a message naming the line, or undefined when
 * they are byte-identical. Lines are split on "\n" only, so a stray "\r" shows in the JSON text.
 * Example: describeFirstDifference('a.txt', Buffer.from('x\ny\n'), Buffer.from('x\nz\n'))
 *   -> 'a.txt line 2 differs:\n  expected "y"\n  actual   "z"'
 */
export function describeFirstDifference(relativePath: string, expected: Buffer, actual: Buffer): string | undefined {
  if (expected.equals(actual)) return undefined;
  const expectedLines = expected.toString('utf8').split('\n');
  const actualLines = actual.toString('utf8').split('\n');
  const count = Math.max(expectedLines.length, actualLines.length);
  for (let index = 0; index < count; index++) {
    const want = expectedLines[index];
    const got = actualLines[index];
    if (want === got) continue;
    const hidden = isSecretFile(relativePath) || SECRET_LINE.test(want ?? '') || SECRET_LINE.test(got ?? '');
    const where = want !== undefined && got !== undefined ? firstDifferentColumn(want, got) : undefined;
    const column = where === undefined ? '' : ` (column ${where + 1})`;
    return `${relativePath} line ${index + 1} differs${column}:\n  expected ${shown(want, hidden)}\n  actual   ${shown(got, hidden)}`;
  }
  // Same text, different bytes: only possible with invalid UTF-8 on one side.
  return `${relativePath}: same text but different bytes (${expected.length} vs ${actual.length})`;
}

function firstDifferentColumn(a: string, b: string): number {
  let index = 0;
  while (index < a.length && index < b.length && a[index] === b[index]) index++;
  return index;
}

/** A file's bytes, read for comparison. */
export function readBytes(root: string, relativePath: string): Buffer {
  return readFileSync(join(root, relativePath));
}

export interface ErrorLocation {
  template: string;
  line: number;
}

const LOCATION = /^(.+?):(\d+)(?::\d+)?:\s/;

/** The `template:line` of the first error line in a report (`path:line: ...` or `path:line:col: ...`). */
export function firstErrorLocation(stderr: string): ErrorLocation | undefined {
  for (const line of stderr.split(/\r?\n/)) {
    const match = LOCATION.exec(line.trim());
    if (match) return { template: match[1], line: Number(match[2]) };
  }
  return undefined;
}

/**
 * Whether a report names the template and line the reference named. The reference names templates
 * as Jinja does (relative to their input folder); ours may prefix the input folder, so a path that
 * ends with '/' + the template name matches too.
 */
export function reportsLocation(stderr: string, expected: ErrorLocation): boolean {
  return stderr.split(/\r?\n/).some((line) => {
    const match = LOCATION.exec(line.trim());
    if (!match || Number(match[2]) !== expected.line) return false;
    const path = match[1].replace(/\\/g, '/');
    return path === expected.template || path.endsWith(`/${expected.template}`);
  });
}
