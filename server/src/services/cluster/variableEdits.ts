// Sets top-level keys of cluster.yaml as text edits that keep every comment, blank line and key
// order (the configure step's writer). Never reads or writes files, and never puts a value into a
// problem message: values may be secrets.
import { Composer, isMap, isScalar, Parser, type Node as YamlNode, type Pair } from 'yaml';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { TextEdit } from 'vscode-languageserver-types';

export type VariableValue = string | number | boolean | string[] | Record<string, string>[];

export interface VariableAssignment {
  key: string;
  value: VariableValue;
}

export interface VariableEditResult {
  /** Non-overlapping edits, in document order. */
  edits: TextEdit[];
  /** Why some or all assignments were not written (key names only, never values). */
  problems: string[];
}

/** Lists are written as block sequences under the key, indented this much (cluster.yaml's style). */
const LIST_INDENT = '  ';

/** A key written by hand in cluster.yaml: snake_case identifiers only. */
const KEY_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The edits that give each key its value in a cluster.yaml text.
 * An active key has only its value replaced; a key present only as a column-0 comment
 * (`# key: ""`, or `# key:` with a commented list below) is uncommented where it stands; a missing
 * key goes after the last key sharing its prefix up to the first `_`, else at the end of the file.
 * @example planVariableEdits('backup_s3_endpoint: ""\n', [{ key: 'backup_s3_bucket', value: 'etcd' }])
 *   → { edits: [{ range: 0:22–0:22, newText: '\nbackup_s3_bucket: "etcd"' }], problems: [] }
 */
export function planVariableEdits(text: string, assignments: VariableAssignment[]): VariableEditResult {
  const problems: string[] = [];
  const eol = lineEndingOf(text);

  const parsed = parseTopLevel(text);
  if ('problem' in parsed) return { edits: [], problems: [parsed.problem] };

  // The last assignment of a key wins, in the position of its first mention.
  const byKey = new Map<string, VariableAssignment>();
  for (const assignment of assignments) {
    if (!KEY_PATTERN.test(assignment.key)) {
      problems.push(`"${assignment.key}" is not a cluster.yaml key name; it was not written`);
      continue;
    }
    const unsupported = unsupportedValueReason(assignment.value);
    if (unsupported) {
      problems.push(`${assignment.key}: ${unsupported}; it was not written`);
      continue;
    }
    if (byKey.has(assignment.key)) problems.push(`${assignment.key} was given more than once; the last value is written`);
    byKey.set(assignment.key, assignment);
  }

  const edits: OffsetEdit[] = [];
  // Insertions grouped by where they go, so keys added together keep the order they were given in.
  const insertionsAfter = new Map<number, string[]>();
  const appended: string[] = [];

  for (const { key, value } of byKey.values()) {
    const pair = parsed.pairs.get(key);
    if (pair) {
      const edit = replaceValue(text, parsed.comments, pair, value, eol);
      if (edit) edits.push(edit);
      else problems.push(`${key} could not be located in the file; it was not written`);
      continue;
    }
    const commented = findCommentedKey(text, parsed.comments, key);
    if (commented) {
      edits.push({ start: commented.start, end: commented.end, newText: formatYamlEntry(key, value, eol) });
      continue;
    }
    const anchor = insertionPointAfterPrefixGroup(text, parsed.pairs, key);
    if (anchor !== undefined) {
      const group = insertionsAfter.get(anchor) ?? [];
      group.push(formatYamlEntry(key, value, eol));
      insertionsAfter.set(anchor, group);
    } else {
      appended.push(formatYamlEntry(key, value, eol));
    }
  }

  for (const [offset, entries] of insertionsAfter) {
    edits.push({ start: offset, end: offset, newText: entries.map((entry) => eol + entry).join('') });
  }
  if (appended.length > 0) edits.push(appendAtEnd(text, appended, eol));

  edits.sort((a, b) => a.start - b.start || a.end - b.end);
  const document = TextDocument.create('untitled:cluster.yaml', 'yaml', 0, text);
  return {
    edits: edits.map((edit) => ({ range: { start: document.positionAt(edit.start), end: document.positionAt(edit.end) }, newText: edit.newText })),
    problems,
  };
}

/**
 * A value as cluster.yaml writes it: strings double-quoted, numbers and booleans plain, an empty
 * list as `[]`, other lists as block lines indented by two spaces (joined with `\n`).
 * @example formatYamlValue('a "b"') → '"a \\"b\\""'
 * @example formatYamlValue(['1.1.1.1']) → '  - "1.1.1.1"'
 */
export function formatYamlValue(value: VariableValue): string {
  const formatted = formatValue(value);
  return formatted.kind === 'inline' ? formatted.text : formatted.lines.join('\n');
}

/**
 * One `key: value` entry, block lists on the following lines.
 * @example formatYamlEntry('node_dns_servers', ['1.1.1.1'], '\n') → 'node_dns_servers:\n  - "1.1.1.1"'
 */
export function formatYamlEntry(key: string, value: VariableValue, eol = '\n'): string {
  const formatted = formatValue(value);
  return formatted.kind === 'inline' ? `${key}: ${formatted.text}` : [`${key}:`, ...formatted.lines].join(eol);
}

// ---- Parsing ----------------------------------------------------------------------------------

interface CommentToken {
  offset: number;
  source: string;
}

interface TopLevel {
  /** First occurrence of each top-level key. */
  pairs: Map<string, Pair<YamlNode, YamlNode | null>>;
  /** Every comment the parser found, in source order (never inside block scalars). */
  comments: CommentToken[];
}

interface OffsetEdit {
  start: number;
  end: number;
  newText: string;
}

function parseTopLevel(text: string): TopLevel | { problem: string } {
  const tokens = [...new Parser().parse(text)];
  const documents = [...new Composer({ keepSourceTokens: true, prettyErrors: false }).compose(tokens, true, text.length)];
  if (documents.length > 1) return { problem: 'the file holds more than one YAML document; nothing was changed' };
  const document = documents[0];
  const error = document?.errors[0];
  if (error) {
    // Only the line and the error code: the library's message can quote the source, which may hold secrets.
    const line = lineNumberAt(text, error.pos[0]);
    return { problem: `the file is not valid YAML (line ${line}, ${error.code}); nothing was changed` };
  }
  const pairs = new Map<string, Pair<YamlNode, YamlNode | null>>();
  const root = document?.contents ?? null;
  if (root !== null) {
    if (!isMap(root) || root.flow) return { problem: 'the top level of the file is not a block mapping of keys; nothing was changed' };
    for (const pair of root.items as Pair<YamlNode, YamlNode | null>[]) {
      if (isScalar(pair.key) && typeof pair.key.value === 'string' && !pairs.has(pair.key.value)) pairs.set(pair.key.value, pair);
    }
  }
  const comments: CommentToken[] = [];
  collectComments(tokens, comments);
  comments.sort((a, b) => a.offset - b.offset);
  return { pairs, comments };
}

/** Every `comment` source token in the concrete syntax tree, wherever the parser hung it. */
function collectComments(value: unknown, out: CommentToken[]): void {
  if (Array.isArray(value)) {
    for (const item of value) collectComments(item, out);
    return;
  }
  if (!value || typeof value !== 'object') return;
  const token = value as { type?: unknown; offset?: unknown; source?: unknown };
  if (token.type === 'comment' && typeof token.offset === 'number' && typeof token.source === 'string') {
    out.push({ offset: token.offset, source: token.source });
    return;
  }
  for (const child of Object.values(value)) collectComments(child, out);
}

// ---- Replacing an active key -------------------------------------------------------------------

function replaceValue(text: string, comments: CommentToken[], pair: Pair<YamlNode, YamlNode | null>, value: VariableValue, eol: string): OffsetEdit | undefined {
  const colon = colonOffsetOf(pair);
  if (colon === undefined) return undefined;
  const formatted = formatValue(value);
  const old = pair.value;
  const oldRange = old?.range && old.range[1] > old.range[0] ? { start: old.range[0], end: trimLineBreaks(text, old.range[0], old.range[1]) } : undefined;
  const keyLineEnd = lineEndAt(text, colon);
  const isOldOnKeyLine = oldRange !== undefined && oldRange.start < keyLineEnd && oldRange.end <= keyLineEnd;

  // Same-line value to same-line value: touch only the value, so spacing and a trailing comment stay.
  if (formatted.kind === 'inline' && isOldOnKeyLine) {
    return { start: oldRange.start, end: oldRange.end, newText: formatted.text };
  }

  // Otherwise rewrite everything after the colon, carrying a comment of the key's line along.
  const keyLineComment = comments.find((comment) => comment.offset > colon && comment.offset < keyLineEnd);
  let end = colon + 1;
  if (oldRange) end = Math.max(end, oldRange.end);
  if (keyLineComment) end = Math.max(end, keyLineComment.offset + keyLineComment.source.length);
  const inline = formatted.kind === 'inline' ? ` ${formatted.text}` : '';
  const comment = keyLineComment ? ` ${keyLineComment.source}` : '';
  const block = formatted.kind === 'block' ? formatted.lines.map((line) => eol + line).join('') : '';
  return { start: colon + 1, end, newText: inline + comment + block };
}

/** The offset of the `:` that separates a block mapping key from its value, from the CST. */
function colonOffsetOf(pair: Pair<YamlNode, YamlNode | null>): number | undefined {
  const item = (pair as { srcToken?: { sep?: { type: string; offset: number }[] } }).srcToken;
  return item?.sep?.find((token) => token.type === 'map-value-ind')?.offset;
}

// ---- Uncommenting ------------------------------------------------------------------------------

/**
 * The lines of `# key: …` at column 0 (one space at most after `#`, so commented nested keys do not
 * count), plus a commented block value below `# key:` (`#   - a`, `#   name: x`).
 */
function findCommentedKey(text: string, comments: CommentToken[], key: string): { start: number; end: number } | undefined {
  const keyLine = new RegExp(`^#( ?)${key}:(\\s.*)?$`);
  for (let i = 0; i < comments.length; i++) {
    const first = comments[i];
    if (!isAtLineStart(text, first.offset)) continue;
    const match = keyLine.exec(first.source);
    if (!match) continue;
    let last = first;
    const rest = (match[2] ?? '').trim();
    if (rest === '' || rest.startsWith('#')) {
      const keyIndent = match[1].length;
      for (let j = i + 1; j < comments.length; j++) {
        const next = comments[j];
        if (!isNextLine(text, last.offset + last.source.length, next.offset)) break;
        const content = /^#( *)(\S.*)$/.exec(next.source);
        if (!content) break;
        const indent = content[1].length;
        const isSequenceItem = content[2] === '-' || content[2].startsWith('- ');
        // YAML lets a sequence sit at its key's indentation; anything else must be indented deeper.
        if (!(indent > keyIndent || (indent === keyIndent && isSequenceItem))) break;
        last = next;
      }
    }
    return { start: first.offset, end: last.offset + last.source.length };
  }
  return undefined;
}

function isNextLine(text: string, endOfLine: number, nextOffset: number): boolean {
  const between = text.slice(endOfLine, nextOffset);
  return between === '\n' || between === '\r\n';
}

// ---- Inserting ---------------------------------------------------------------------------------

/** End of the line of the last top-level key sharing the new key's prefix (`backup_` for backup_s3_bucket). */
function insertionPointAfterPrefixGroup(text: string, pairs: TopLevel['pairs'], key: string): number | undefined {
  const underscore = key.indexOf('_');
  const prefix = underscore > 0 ? key.slice(0, underscore) : key;
  let last: Pair<YamlNode, YamlNode | null> | undefined;
  for (const [name, pair] of pairs) {
    if (name === prefix || name.startsWith(prefix + '_')) {
      if (!last || pairEnd(text, pair) > pairEnd(text, last)) last = pair;
    }
  }
  return last ? lineEndAt(text, pairEnd(text, last)) : undefined;
}

/** Where a pair's content ends: after its value, or after the key for `key:` with nothing. */
function pairEnd(text: string, pair: Pair<YamlNode, YamlNode | null>): number {
  const keyEnd = (pair.key as YamlNode).range?.[1] ?? 0;
  const value = pair.value?.range;
  if (!value || value[1] <= value[0]) return Math.max(keyEnd, colonOffsetOf(pair) ?? keyEnd);
  return Math.max(keyEnd, trimLineBreaks(text, value[0], value[1]));
}

function appendAtEnd(text: string, entries: string[], eol: string): OffsetEdit {
  let lead = '';
  if (text.length > 0) {
    const endsWithLineBreak = text.endsWith('\n');
    const endsWithBlankLine = /(^|\n)[ \t]*\r?\n$/.test(text);
    lead = (endsWithLineBreak ? '' : eol) + (endsWithBlankLine ? '' : eol);
  }
  return { start: text.length, end: text.length, newText: lead + entries.join(eol) + eol };
}

// ---- Formatting --------------------------------------------------------------------------------

type FormattedValue = { kind: 'inline'; text: string } | { kind: 'block'; lines: string[] };

function formatValue(value: VariableValue): FormattedValue {
  if (!Array.isArray(value)) return { kind: 'inline', text: formatScalar(value) };
  if (value.length === 0) return { kind: 'inline', text: '[]' };
  const lines: string[] = [];
  for (const item of value) {
    if (typeof item === 'string') {
      lines.push(`${LIST_INDENT}- ${quoteYamlString(item)}`);
      continue;
    }
    const entries = Object.entries(item);
    if (entries.length === 0) {
      lines.push(`${LIST_INDENT}- {}`);
      continue;
    }
    entries.forEach(([name, text], index) => {
      const lead = index === 0 ? `${LIST_INDENT}- ` : `${LIST_INDENT}  `;
      lines.push(`${lead}${formatMappingKey(name)}: ${quoteYamlString(text)}`);
    });
  }
  return { kind: 'block', lines };
}

function formatScalar(value: string | number | boolean): string {
  if (typeof value === 'string') return quoteYamlString(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return String(value);
}

function formatMappingKey(name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_-]*$/.test(name) ? name : quoteYamlString(name);
}

/** YAML 1.2 escapes for characters a double-quoted scalar may not hold literally. */
const NAMED_ESCAPES: Record<string, string> = {
  '\0': '\\0',
  '\x07': '\\a',
  '\b': '\\b',
  '\t': '\\t',
  '\n': '\\n',
  '\v': '\\v',
  '\f': '\\f',
  '\r': '\\r',
  '\x1b': '\\e',
  '"': '\\"',
  '\\': '\\\\',
  '\x85': '\\N',
  '\u2028': '\\L',
  '\u2029': '\\P',
};

/**
 * A double-quoted YAML scalar: printable characters stay, the rest become escapes (YAML 1.2 §5.7),
 * so the value survives any parser byte for byte.
 */
function quoteYamlString(value: string): string {
  let out = '"';
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    const code = value.charCodeAt(i);
    const named = NAMED_ESCAPES[ch];
    if (named) out += named;
    else if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) out += '\\x' + hex(code, 2);
    else if (code === 0xfeff || code === 0xfffe || code === 0xffff) out += '\\u' + hex(code, 4);
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < value.length && isLowSurrogate(value.charCodeAt(i + 1))) {
      out += ch + value[i + 1];
      i++;
    } else if (code >= 0xd800 && code <= 0xdfff) out += '\\u' + hex(code, 4);
    else out += ch;
  }
  return out + '"';
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

function hex(code: number, width: number): string {
  return code.toString(16).toUpperCase().padStart(width, '0');
}

/** Why a value cannot be written (checked at run time: assignments arrive from the client as JSON). */
function unsupportedValueReason(value: unknown): string | undefined {
  if (typeof value === 'string' || typeof value === 'boolean') return undefined;
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : 'the value is not a finite number';
  if (!Array.isArray(value)) return 'the value must be a string, number, boolean or list';
  const isStringList = value.every((item) => typeof item === 'string');
  const isObjectList = value.every((item) => !!item && typeof item === 'object' && !Array.isArray(item) && Object.values(item).every((field) => typeof field === 'string'));
  return isStringList || isObjectList ? undefined : 'a list value must hold only strings, or only mappings of strings';
}

// ---- Text helpers ------------------------------------------------------------------------------

/** The file's line ending: CRLF when its first line ends that way. */
function lineEndingOf(text: string): string {
  const newline = text.indexOf('\n');
  return newline > 0 && text[newline - 1] === '\r' ? '\r\n' : '\n';
}

/** `end` moved back over the line breaks a block node's range includes. */
function trimLineBreaks(text: string, start: number, end: number): number {
  while (end > start && (text[end - 1] === '\n' || text[end - 1] === '\r')) end--;
  return end;
}

/** The offset of the line break ending the line that holds `offset` (or the end of the text). */
function lineEndAt(text: string, offset: number): number {
  const newline = text.indexOf('\n', offset);
  if (newline < 0) return text.length;
  return newline > 0 && text[newline - 1] === '\r' ? newline - 1 : newline;
}

function isAtLineStart(text: string, offset: number): boolean {
  return offset === 0 || text[offset - 1] === '\n';
}

function lineNumberAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}
