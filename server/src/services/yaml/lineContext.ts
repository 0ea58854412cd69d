// Works out, from the lines around the cursor, where in a block-style YAML mapping the user is
// typing. Line-based on purpose: while a key is half typed the file often does not parse.

export interface LineContext {
  /** `key`: typing a key (or an empty line); `value`: after `key:`. */
  position: 'key' | 'value';
  /** Column where the mapping's keys start on this line. */
  indent: number;
  /** The key whose value is being typed (value position). */
  key?: string;
  /** The partial word under the cursor and where it starts. */
  prefix: string;
  prefixStart: number;
  /** Keys of the enclosing mappings, outermost first; list items appear as '-'. */
  parents: string[];
  /** Keys already present in the mapping being edited. */
  siblingKeys: Set<string>;
  /** True when the line starts a list item (`- ` before the key). */
  isListItemStart: boolean;
}

/** Line starts of a text, with each line's text cut only when asked for (completion runs per keystroke). */
class Lines {
  readonly starts: number[] = [0];

  constructor(readonly source: string) {
    for (let i = source.indexOf('\n'); i >= 0; i = source.indexOf('\n', i + 1)) this.starts.push(i + 1);
  }

  get count(): number {
    return this.starts.length;
  }

  text(index: number): string {
    const end = index + 1 < this.starts.length ? this.starts[index + 1] - 1 : this.source.length;
    const line = this.source.slice(this.starts[index], end);
    return line.endsWith('\r') ? line.slice(0, -1) : line;
  }

  /** The line that holds `offset` (binary search). */
  indexAt(offset: number): number {
    let low = 0;
    let high = this.starts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (this.starts[middle] <= offset) low = middle;
      else high = middle - 1;
    }
    return low;
  }
}

const KEY_LINE = /^(\s*)(-\s+)?([A-Za-z_][\w.-]*)\s*:(\s|$)/;

function isBlankOrComment(text: string): boolean {
  return /^\s*(#.*)?$/.test(text);
}

/** Indentation of a line's mapping keys (a `- ` list marker counts as indentation). */
function keyIndent(text: string): number {
  const match = /^(\s*)(-\s+)?/.exec(text)!;
  return match[0].length;
}

/**
 * The context at `offset`. Example: in "nodes:\n  - name: a\n    ad|" the context is a key
 * position with parents ['nodes', '-'] and sibling keys {name}.
 */
export function lineContextAt(text: string, offset: number): LineContext {
  const lines = new Lines(text);
  const index = lines.indexAt(offset);
  const before = lines.text(index).slice(0, offset - lines.starts[index]);

  const wordMatch = /[\w.-]*$/.exec(before)!;
  const prefix = wordMatch[0];
  const prefixStart = offset - prefix.length;

  const valueMatch = /^(\s*)(-\s+)?([A-Za-z_][\w.-]*)\s*:\s*(.*)$/.exec(before);
  const listStart = /^(\s*)-\s*/.exec(before);
  const indent = valueMatch ? valueMatch[1].length + (valueMatch[2]?.length ?? 0) : listStart ? listStart[0].length : /^\s*/.exec(before)![0].length;
  const isListItemStart = !!(valueMatch?.[2] ?? listStart);

  const parents = findParents(lines, index, indent, isListItemStart);
  const siblingKeys = findSiblingKeys(lines, index, indent, isListItemStart);
  if (valueMatch) {
    const valuePrefix = valueMatch[4].replace(/^["']/, '');
    return {
      position: 'value',
      indent,
      key: valueMatch[3],
      prefix: valuePrefix,
      prefixStart: offset - valuePrefix.length,
      parents,
      siblingKeys,
      isListItemStart,
    };
  }
  return { position: 'key', indent, prefix, prefixStart, parents, siblingKeys, isListItemStart };
}

function findParents(lines: Lines, index: number, indent: number, isListItemStart: boolean): string[] {
  const parents: string[] = [];
  let limit = indent;
  if (isListItemStart) {
    parents.unshift('-');
    limit = /^\s*/.exec(lines.text(index))![0].length;
  }
  for (let i = index - 1; i >= 0 && limit > 0; i--) {
    const text = lines.text(i);
    if (isBlankOrComment(text)) continue;
    const lead = /^\s*/.exec(text)![0].length;
    if (lead >= limit) continue; // a sibling or something nested deeper
    const key = KEY_LINE.exec(text);
    if (/^\s*-(\s|$)/.test(text)) {
      // A list item that holds our line; when our line nests under the item's key, that key too.
      if (key && keyIndent(text) < limit) parents.unshift(key[3]);
      parents.unshift('-');
    } else if (key) {
      parents.unshift(key[3]);
    }
    limit = lead;
  }
  return parents;
}

function findSiblingKeys(lines: Lines, index: number, indent: number, isListItemStart: boolean): Set<string> {
  const keys = new Set<string>();
  if (indent === 0 && !isListItemStart) {
    // The top level: every key at column 0 but the one being typed (a regex beats cutting every line).
    const pattern = /^([A-Za-z_][\w.-]*)[ \t]*:/gm;
    const current = lines.starts[index];
    for (let match = pattern.exec(lines.source); match; match = pattern.exec(lines.source)) if (match.index !== current) keys.add(match[1]);
    return keys;
  }
  const collect = (text: string): boolean => {
    if (isBlankOrComment(text)) return true;
    const lead = /^\s*/.exec(text)![0].length;
    const match = KEY_LINE.exec(text);
    const startsItem = /^\s*-(\s|$)/.test(text);
    if (startsItem && keyIndent(text) === indent) {
      if (match) keys.add(match[3]);
      return false; // the item's first line: the mapping starts here
    }
    if (lead < indent) return false;
    if (lead === indent && match && !match[2]) keys.add(match[3]);
    return true;
  };
  if (!isListItemStart) {
    for (let i = index - 1; i >= 0; i--) if (!collect(lines.text(i))) break;
  }
  for (let i = index + 1; i < lines.count; i++) {
    const text = lines.text(i);
    if (/^\s*-(\s|$)/.test(text) && keyIndent(text) <= indent) break;
    if (!collect(text)) break;
  }
  return keys;
}

/** Lines of the form `# key: value` at the given indentation, with their line numbers (0-based). */
export function commentedKeys(text: string, indent = 0): { key: string; line: number; start: number; valueText: string }[] {
  const out: { key: string; line: number; start: number; valueText: string }[] = [];
  const pattern = /^([ \t]*)#[ \t]?([A-Za-z_][\w-]*)[ \t]*:(.*)$/gm;
  let line = 0;
  let counted = 0;
  for (let match = pattern.exec(text); match; match = pattern.exec(text)) {
    // Count newlines only up to each match, once: line numbers without splitting the text.
    for (let i = text.indexOf('\n', counted); i >= 0 && i < match.index; i = text.indexOf('\n', i + 1)) line++;
    counted = match.index;
    if (match[1].length === indent) out.push({ key: match[2], line, start: match.index, valueText: match[3].replace(/\r$/, '').trim() });
  }
  return out;
}
