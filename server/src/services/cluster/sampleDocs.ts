// Reads the key documentation in cluster.sample.yaml / nodes.sample.yaml (cluster-template style:
// `# --` comment blocks above a key, or a `# (REQUIRED) ...` comment after it). Pure and line-based:
// it does not parse YAML and never throws; lines it does not recognise are simply not documentation.
import type { SampleKeyDoc } from './schemaTypes';

/**
 * One entry per documented key, in file order (a key documented twice appears twice). Example:
 * `readSampleDocs('# -- The pod CIDR.\n#    (OPTIONAL) / (DEFAULT: "10.42.0.0/16")\n# cluster_pod_cidr: ""\n')` gives
 * `[{ key: 'cluster_pod_cidr', description: 'The pod CIDR.', isRequired: false, defaultText: '"10.42.0.0/16"',
 *     refs: [], line: 2, isCommented: true }]`.
 */
export function readSampleDocs(text: string): SampleKeyDoc[] {
  const docs: SampleKeyDoc[] = [];
  const lines = text.split(/\r?\n/);
  let block: { lines: string[]; keyIndent: number } | undefined;
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index];
    const comment = /^\s*#(.*)$/.exec(line);
    if (comment) {
      const body = comment[1];
      // `# --` opens a block; `# ---` (a ruler or a heading) does not.
      const start = /^(\s*)--(?:\s+(.*))?$/.exec(body);
      if (start) {
        block = { lines: [start[2] ?? ''], keyIndent: start[1].length };
        continue;
      }
      const key = readKeyLine(body, true);
      if (block) {
        // A commented key ends the block only at the block's own indentation: `#    audit: ...` deeper in is prose.
        if (key && key.indent <= block.keyIndent) {
          docs.push(makeDoc(block.lines, key, index, true));
          block = undefined;
        } else block.lines.push(body.trim());
        continue;
      }
      if (key && isDocComment(key.trailing)) docs.push(makeDoc([], key, index, true));
      continue;
    }
    if (line.trim() !== '') {
      const key = readKeyLine(line, false);
      if (key && (block || isDocComment(key.trailing))) docs.push(makeDoc(block?.lines ?? [], key, index, false));
    }
    block = undefined;
  }
  return docs;
}

interface KeyLine {
  key: string;
  indent: number;
  /** The comment after the value, without its `#`. */
  trailing?: string;
}

// `key:` or `- key:` (a list item's first field), the key plain or quoted, followed by a space or the end.
const KEY_LINE = /^(\s*)(?:-\s+)?([A-Za-z_][A-Za-z0-9_.-]*|"[^"]*"|'[^']*'):(?=\s|$)(.*)$/;
// What a commented-out key may hold: one scalar, a quoted string or a flow collection, so that prose
// such as `#    audit: Policies created with ...` is not mistaken for a key.
const SIMPLE_VALUE = /^\s*(?:"(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|\[.*\]|\{.*\}|[^\s#]+)?\s*$/;

function readKeyLine(source: string, isCommented: boolean): KeyLine | undefined {
  const match = KEY_LINE.exec(source);
  if (!match) return undefined;
  const { value, trailing } = splitTrailingComment(match[3]);
  if (isCommented && !SIMPLE_VALUE.test(value)) return undefined;
  const rawKey = match[2];
  const key = /^["']/.test(rawKey) ? rawKey.slice(1, -1) : rawKey;
  return trailing === undefined ? { key, indent: match[1].length } : { key, indent: match[1].length, trailing };
}

/** Splits `value   # comment` at the first `#` that is outside quotes and follows a blank. */
function splitTrailingComment(rest: string): { value: string; trailing?: string } {
  if (!rest.includes('#')) return { value: rest };
  let quote: string | undefined;
  for (let i = 0; i < rest.length; i++) {
    const ch = rest[i];
    if (quote) {
      if (ch === '\\' && quote === '"') i++;
      else if (ch === quote) quote = undefined;
    } else if (ch === '"' || ch === "'") {
      if (i === 0 || /\s/.test(rest[i - 1])) quote = ch;
    } else if (ch === '#' && (i === 0 || /\s/.test(rest[i - 1]))) {
      return { value: rest.slice(0, i), trailing: rest.slice(i + 1).trim() };
    }
  }
  return { value: rest };
}

// A comment after a key is documentation when it says `-- ...` or starts with a (REQUIRED)/(OPTIONAL)
// marker, as nodes.sample.yaml does; other comments after values are remarks about the example.
function isDocComment(trailing: string | undefined): trailing is string {
  return trailing !== undefined && (/^--(\s|$)/.test(trailing) || /^\((?:[A-Za-z]+\/)*(?:REQUIRED|OPTIONAL)\)/.test(trailing));
}

function makeDoc(blockLines: string[], key: KeyLine, line: number, isCommented: boolean): SampleKeyDoc {
  const lines = [...blockLines];
  if (isDocComment(key.trailing)) lines.push(key.trailing.replace(/^--\s*/, ''));
  const parsed = parseDocText(lines.join('\n'));
  const doc: SampleKeyDoc = { key: key.key, description: parsed.description, refs: parsed.refs, line, isCommented };
  if (parsed.isRequired !== undefined) doc.isRequired = parsed.isRequired;
  if (parsed.defaultText !== undefined) doc.defaultText = parsed.defaultText;
  if (parsed.example !== undefined) doc.example = parsed.example;
  return doc;
}

interface DocText {
  description: string;
  isRequired?: boolean;
  defaultText?: string;
  example?: string;
  refs: string[];
}

/** Takes the markers out of a block's text and joins what is left into sentences. */
function parseDocText(text: string): DocText {
  const doc: DocText = { description: '', refs: [] };
  // Parenthesised markers first; they may span lines: (REQUIRED), (OPTIONAL), (DEFAULT: x), (e.g. x), (REF: url).
  const kept: string[] = [];
  let from = 0;
  for (let open = text.indexOf('('); open >= 0; open = text.indexOf('(', open + 1)) {
    if (open < from) continue;
    const close = findClosingParen(text, open);
    const replacement = close > 0 ? applyMarker(doc, text.slice(open + 1, close).replace(/\s+/g, ' ').trim()) : undefined;
    if (replacement !== undefined) {
      kept.push(text.slice(from, open), replacement);
      from = close + 1;
    }
  }
  kept.push(text.slice(from));
  const rest = kept.join('');
  // Then the bare forms seen in nodes.sample.yaml: `DEFAULT: 1500`, `Ref: url`, `Example: [...]`.
  const lines = rest.split('\n').map((line) => {
    let out = line.replace(/\b(?:REF|Ref):\s*(\S+)/g, (_all, ref: string) => {
      doc.refs.push(ref);
      return ' ';
    });
    out = out.replace(/\bDEFAULT:\s*(.+)$/, (all, value: string) => {
      if (doc.defaultText !== undefined) return all;
      doc.defaultText = value.trim();
      return ' ';
    });
    out = out.replace(/\bExample:\s*(.+)$/, (all, value: string) => {
      if (doc.example !== undefined) return all;
      doc.example = value.trim();
      return ' ';
    });
    return out;
  });
  doc.description = joinSentences(lines);
  return doc;
}

/** Records a parenthesised marker; returns the text to leave in its place, or undefined if it is no marker. */
function applyMarker(doc: DocText, inner: string): string | undefined {
  if (/^(?:[A-Za-z]+\/)*REQUIRED$/.test(inner)) {
    doc.isRequired ??= true;
    return ' ';
  }
  if (/^(?:[A-Za-z]+\/)*OPTIONAL$/.test(inner)) {
    doc.isRequired ??= false;
    return ' ';
  }
  const value = /^(DEFAULT:|e\.g\.,?|REF:)\s*(.*)$/i.exec(inner);
  if (!value) return undefined;
  const kind = value[1].toLowerCase();
  if (kind === 'default:') doc.defaultText ??= value[2];
  else if (kind === 'ref:') {
    // Left in bare form so that the next pass collects every ref in the order they are written.
    if (/^\S+$/.test(value[2])) return ` REF: ${value[2]} `;
    doc.refs.push(value[2]);
  } else doc.example ??= value[2];
  return ' ';
}

/** The index of the `)` closing the `(` at `open` (nested parentheses and double quotes respected), or -1. */
function findClosingParen(text: string, open: number): number {
  let depth = 0;
  let isInQuotes = false;
  for (let i = open; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"') isInQuotes = !isInQuotes;
    else if (isInQuotes) continue;
    else if (ch === '(') depth++;
    else if (ch === ')' && --depth === 0) return i;
  }
  return -1;
}

/**
 * Lines and ` / `-separated segments become sentences. A line continues the sentence before it (the
 * block was wrapped) when that one has not ended and the line starts in lower case or the one before
 * ends on a word such as "by".
 */
function joinSentences(lines: string[]): string {
  const sentences: string[] = [];
  for (const line of lines) {
    splitSegments(line).forEach((segment, k) => {
      // A separator left dangling by a removed marker (`... load - Example: [...]`) goes; `https://x/` keeps its slash.
      const text = unwrapParentheses(segment.replace(/^[\s,;]+/, '').replace(/(?:\s+[-–—/])+\s*$/, '').replace(/[\s,;]+$/, ''));
      if (text === '') return;
      const last = sentences.length - 1;
      if (last >= 0 && k === 0 && continuesSentence(sentences[last], text)) sentences[last] += ` ${text}`;
      else sentences.push(text);
    });
  }
  return sentences.map(endSentence).join(' ');
}

// Words a wrapped line can end on but a sentence cannot.
const TRAILING_FUNCTION_WORDS = /\b(?:a|an|the|by|to|of|and|or|with|for|in|on|at|as|via|from|than|that|is|are|be|when|if)$/i;

function continuesSentence(previous: string, next: string): boolean {
  if (/[.!?:]$/.test(previous)) return false;
  return /^[a-z]/.test(next) || TRAILING_FUNCTION_WORDS.test(previous);
}

/** Splits a line at ` / ` separators that are not inside parentheses. */
function splitSegments(line: string): string[] {
  const segments: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (ch === '(') depth++;
    else if (ch === ')') depth = Math.max(0, depth - 1);
    else if (ch === '/' && depth === 0 && (i === 0 || /\s/.test(line[i - 1])) && (i === line.length - 1 || /\s/.test(line[i + 1]))) {
      segments.push(line.slice(start, i));
      start = i + 1;
    }
  }
  segments.push(line.slice(start));
  return segments;
}

function endSentence(text: string): string {
  return /[.!?:]$/.test(text) ? text : `${text}.`;
}

function unwrapParentheses(text: string): string {
  return text.startsWith('(') && findClosingParen(text, 0) === text.length - 1 ? text.slice(1, -1).trim() : text;
}
