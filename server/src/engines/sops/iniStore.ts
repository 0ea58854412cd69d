// The INI store as sops' stores/ini has it with go-ini (gopkg.in/ini.v1): sections in order, the
// DEFAULT section first (keys before any header), string values with go-ini's quoting ("""…"""
// multi-line, `…`, "…"), inline ';'/'#' comments cut, comment lines attached to the next section
// or key; written back aligned ("key = value"), a blank line between sections (go-ini 1.67).
import { TreeComment, TreeMap, type TreeValue } from './goValues';
import { valueToString } from './dotenvStore';
import { SopsError } from './sopsError';

const DEFAULT_SECTION = 'DEFAULT';

interface IniKey {
  name: string;
  value: string;
  comment: string;
}

interface IniSection {
  name: string;
  comment: string;
  keys: IniKey[];
}

function hasSurroundingQuote(text: string, quote: string): boolean {
  return text.length >= 2 && text[0] === quote && text[text.length - 1] === quote && text.split(quote).length - 1 === 2;
}

/** go-ini's cleanComment: the comment part of the rest of a line, if any. */
function trailingComment(rest: string): string | undefined {
  const index = rest.search(/[#;]/);
  return index === -1 ? undefined : rest.slice(index);
}

class IniParser {
  private readonly lines: string[];
  private index = 0;
  private comment = '';

  constructor(text: string) {
    const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
    // Lines keep their "\n", as go-ini's reader does (multi-line values need it).
    this.lines = body.match(/[^\n]*\n|[^\n]+$/g) ?? [];
  }

  parse(): IniSection[] {
    const sections: IniSection[] = [{ name: DEFAULT_SECTION, comment: '', keys: [] }];
    let section = sections[0];
    while (this.index < this.lines.length) {
      const lineNumber = this.index + 1;
      const line = this.lines[this.index++].replace(/^\s+/, '');
      if (line.length === 0) continue;
      if (line[0] === '#' || line[0] === ';') {
        this.comment += line;
        continue;
      }
      if (line[0] === '[') {
        const close = line.lastIndexOf(']');
        if (close === -1) throw new SopsError('parse', `invalid INI: unclosed section header at line ${lineNumber}`);
        const comment = trailingComment(line.slice(close + 1));
        if (comment !== undefined) this.comment += comment;
        section = { name: line.slice(1, close), comment: this.takeComment(), keys: [] };
        sections.push(section);
        continue;
      }
      const { name, rest } = this.readKeyName(line, lineNumber);
      const value = this.readValue(rest, lineNumber);
      const existing = section.keys.find((key) => key.name === name);
      // go-ini without shadows keeps the first position and the last value.
      if (existing) {
        existing.value = value;
        existing.comment = this.takeComment();
      } else {
        section.keys.push({ name, value, comment: this.takeComment() });
      }
    }
    return sections;
  }

  private takeComment(): string {
    const comment = this.comment.trim();
    this.comment = '';
    return comment;
  }

  private readKeyName(line: string, lineNumber: number): { name: string; rest: string } {
    let quote = '';
    if (line[0] === '"') quote = line.length > 6 && line.startsWith('"""') ? '"""' : '"';
    else if (line[0] === '`') quote = '`';
    if (quote) {
      const close = line.indexOf(quote, quote.length);
      if (close === -1) throw new SopsError('parse', `invalid INI: missing closing key quote at line ${lineNumber}`);
      const delimiter = line.slice(close + quote.length).search(/[=:]/);
      if (delimiter === -1) throw new SopsError('parse', `invalid INI: no '=' at line ${lineNumber}`);
      return { name: line.slice(quote.length, close).trim(), rest: line.slice(close + quote.length + delimiter + 1) };
    }
    const delimiter = line.search(/[=:]/);
    if (delimiter === -1) throw new SopsError('parse', `invalid INI: no '=' at line ${lineNumber}`);
    if (delimiter === 0) throw new SopsError('parse', `invalid INI: empty key name at line ${lineNumber}`);
    return { name: line.slice(0, delimiter).trim(), rest: line.slice(delimiter + 1) };
  }

  private readValue(input: string, lineNumber: number): string {
    let line = input.replace(/^\s+/, '');
    if (line.length === 0) return '';
    let quote = '';
    if (line.length > 3 && line.startsWith('"""')) quote = '"""';
    else if (line[0] === '`') quote = '`';
    if (quote) {
      const body = line.slice(quote.length);
      const close = body.lastIndexOf(quote);
      if (close !== -1) return body.slice(0, close);
      return this.readMultiline(body, quote, lineNumber);
    }
    line = line.trim();
    if (line.endsWith('\\')) line = this.readContinuation(line.slice(0, -1));
    const comment = line.search(/[#;]/);
    if (comment !== -1) {
      // go-ini 1.67 keeps an inline comment as the key's comment.
      this.comment += line.slice(comment);
      line = line.slice(0, comment).trim();
    }
    if (hasSurroundingQuote(line, "'") || hasSurroundingQuote(line, '"')) line = line.slice(1, -1);
    return line;
  }

  private readMultiline(first: string, quote: string, lineNumber: number): string {
    let value = first;
    while (this.index < this.lines.length) {
      const next = this.lines[this.index++];
      const close = next.lastIndexOf(quote);
      if (close !== -1) {
        const comment = trailingComment(next.slice(close));
        if (comment !== undefined) this.comment += comment.trim();
        return value + next.slice(0, close);
      }
      value += next;
    }
    throw new SopsError('parse', `invalid INI: unclosed ${quote} value from line ${lineNumber}`);
  }

  private readContinuation(start: string): string {
    let value = start;
    while (this.index < this.lines.length) {
      const next = this.lines[this.index++].trim();
      if (next.length === 0) break;
      value += next;
      if (!value.endsWith('\\')) break;
      value = value.slice(0, -1);
    }
    return value;
  }
}

/** sops' stripCommentChar: the comment marker and the spaces after it go. */
function stripCommentChar(comment: string): string {
  if (comment.startsWith(';')) return comment.replace(/^[; ]+/, '');
  if (comment.startsWith('#')) return comment.replace(/^[# ]+/, '');
  return comment;
}

/** Reads INI text into one branch: a mapping per section (DEFAULT first), comments as items. */
export function readIniTree(text: string): TreeMap[] {
  const entries = new IniParser(text).parse().map((section) => {
    const items: Array<TreeComment | { key: string; value: TreeValue }> = [];
    if (section.comment) items.push(new TreeComment(stripCommentChar(section.comment)));
    for (const key of section.keys) {
      items.push({ key: key.name, value: key.value });
      if (key.comment) items.push(new TreeComment(stripCommentChar(key.comment)));
    }
    return { key: section.name, value: new TreeMap(items) as TreeValue };
  });
  return [new TreeMap(entries)];
}

function commentLines(comment: string, trimBody: boolean): string {
  return comment
    .split('\n')
    .map((line) => {
      if (line[0] !== '#' && line[0] !== ';') return '; ' + (trimBody ? line.trim() : line);
      return line[0] + ' ' + line.slice(1).trim();
    })
    .map((line) => line + '\n')
    .join('');
}

function quoteKey(name: string): string {
  if (name.includes('"') || /[=:]/.test(name)) return '`' + name + '`';
  if (name.includes('`')) return '"""' + name + '"""';
  return name;
}

function quoteValue(value: string): string {
  if (/[\n`]/.test(value)) return '"""' + value + '"""';
  if (/[#;]/.test(value)) return '`' + value + '`';
  if (value.trim().length !== value.length) return '"' + value + '"';
  return value;
}

/** Writes the tree as sops' INI store does (go-ini's pretty format). */
export function writeIniTree(branches: readonly TreeMap[]): string {
  const sections: IniSection[] = [];
  for (const entry of branches[0]?.entries ?? []) {
    if (entry instanceof TreeComment) continue;
    if (!(entry.value instanceof TreeMap)) throw new SopsError('unsupported', 'INI section values must be mappings');
    const section: IniSection = { name: entry.key, comment: '', keys: [] };
    const items = entry.value.entries;
    let first = 0;
    if (items[0] instanceof TreeComment) {
      section.comment = items[0].value;
      first = 1;
    }
    let lastKey: IniKey | undefined;
    for (let i = first; i < items.length; i++) {
      const item = items[i];
      if (item instanceof TreeComment) {
        // sops gives a comment to the key before it; go-ini writes it above that key.
        if (lastKey) lastKey.comment = item.value;
        continue;
      }
      const value = valueToString(item.value);
      const existing = section.keys.find((key) => key.name === item.key);
      if (existing) existing.value = value;
      else section.keys.push((lastKey = { name: item.key, value, comment: '' }));
      if (existing) lastKey = existing;
    }
    sections.push(section);
  }
  const out: string[] = [];
  sections.forEach((section, index) => {
    if (section.comment) out.push(commentLines(section.comment, false));
    if (index > 0 || section.name.toUpperCase() !== DEFAULT_SECTION) out.push(`[${section.name}]\n`);
    else if (section.keys.length === 0) return;
    const names = section.keys.map((key) => quoteKey(key.name));
    const align = Math.max(0, ...names.map((name) => Buffer.byteLength(name, 'utf8')));
    section.keys.forEach((key, keyIndex) => {
      if (key.comment) out.push(commentLines(key.comment, true));
      const name = names[keyIndex];
      out.push(name, ' '.repeat(align - Buffer.byteLength(name, 'utf8')), ' = ', quoteValue(key.value), '\n');
    });
    // go-ini 1.67 (sops 3.8 on) puts a blank line between sections, not after the last one.
    if (index < sections.length - 1) out.push('\n');
  });
  return out.join('');
}
