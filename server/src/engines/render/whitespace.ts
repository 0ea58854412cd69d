// Jinja2's whitespace rules, applied to the template data between tags: newline normalisation,
// keep_trailing_newline, `-` and `+` markers, trim_blocks and lstrip_blocks. The parser leaves all
// whitespace in the Text nodes; this module decides, once per template, what each Text prints.
// It follows jinja2/lexer.py (Lexer.tokeniter and the OptionalLStrip handling) rule for rule.
import type { ParsedTemplate, Statement, Tag } from '../../services/jinja/ast';
import type { JinjaSyntax } from '../../services/jinja/syntax';

export interface PreparedSource {
  /** The source with every newline as '\n' and, unless keep_trailing_newline, one trailing newline dropped. */
  text: string;
  /** 0-based line and character of an offset in `text` (lines are the source's lines). */
  positionAt(offset: number): { line: number; character: number };
}

/** Jinja2 splits the source on \r\n, \r and \n, drops one final empty line unless keep_trailing_newline, and rejoins with \n. */
export function prepareSource(source: string, keepTrailingNewline: boolean): PreparedSource {
  let text = source.includes('\r') ? source.replace(/\r\n|\r/g, '\n') : source;
  if (!keepTrailingNewline && text.endsWith('\n')) text = text.slice(0, -1);
  let lineStarts: number[] | undefined;
  return {
    text,
    positionAt(offset: number) {
      lineStarts ??= computeLineStarts(text);
      let low = 0;
      let high = lineStarts.length - 1;
      while (low < high) {
        const middle = (low + high + 1) >> 1;
        if (lineStarts[middle] <= offset) low = middle;
        else high = middle - 1;
      }
      return { line: low, character: offset - lineStarts[low] };
    },
  };
}

function computeLineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

// Python's whitespace (str.isspace, re's \s): unlike JavaScript's \s it has \x1c-\x1f and \x85 and not the BOM.
const PY_SPACE = '\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const LEADING_SPACE = new RegExp(`^[${PY_SPACE}]*`);
const TRAILING_SPACE = new RegExp(`[${PY_SPACE}]+$`);
const ONLY_SPACE = new RegExp(`^[${PY_SPACE}]+$`);
const LINE_COMMENT_LEAD = new RegExp(`[${PY_SPACE.replace('\\n', '').replace('\\r', '')}]+$`);

/**
 * What every piece of template data prints, keyed by the start offset of its Text node (and of a
 * raw block's body). Example with trim_blocks and lstrip_blocks: in "a\n  #% if x %#\nb" the Text
 * "a\n  " prints "a\n" and the Text "\nb" prints "b".
 */
export function computeTextOutputs(parsed: ParsedTemplate, text: string, syntax: JinjaSyntax, newlineSequence: string): Map<number, string> {
  const tagByStart = new Map<number, Tag>();
  const tagByEnd = new Map<number, Tag>();
  for (const tag of parsed.tags) {
    tagByStart.set(tag.span.start, tag);
    tagByEnd.set(tag.span.end, tag);
  }
  const rawOpenTags = new Set<Tag>();
  const pieces: { start: number; end: number }[] = [];
  collectData(parsed.body, pieces, rawOpenTags);

  const outputs = new Map<number, string>();
  for (const { start, end } of pieces) {
    let data = text.slice(start, end);
    // After the previous tag: what its end consumed, and whether Jinja's lexer then stands at a line start.
    const previous = tagByEnd.get(start);
    let isLineStarting = true;
    if (previous) {
      if (previous.kind === 'lineStatement') {
        // A line statement ends with `\s*(\n|$)`: the whitespace after it through its last newline.
        const run = LEADING_SPACE.exec(data)![0];
        const cut = run.length === data.length ? run.length : run.lastIndexOf('\n') + 1;
        data = data.slice(cut);
        isLineStarting = true;
      } else if (previous.kind === 'lineComment') {
        isLineStarting = false;
      } else if (previous.trimRight) {
        const consumed = LEADING_SPACE.exec(data)![0];
        isLineStarting = consumed.endsWith('\n');
        data = data.slice(consumed.length);
      } else if (consumesNewline(previous, syntax, rawOpenTags) && data.startsWith('\n')) {
        data = data.slice(1);
        isLineStarting = true;
      } else {
        isLineStarting = false;
      }
    }
    // Before the next tag: `-` strips all whitespace; lstrip_blocks strips the indentation of a block or comment tag.
    const next = tagByStart.get(end);
    if (next) {
      if (next.kind === 'lineStatement') {
        // The prefix's pattern `^[ \t\v]*prefix` takes the indentation with it.
        data = data.replace(/[ \t\v]*$/, '');
      } else if (next.kind === 'lineComment') {
        // `(?:^|(?<=\S))[^\S\r\n]*prefix`: the spaces before a line comment go with it.
        data = data.replace(LINE_COMMENT_LEAD, '');
      } else if (next.trimLeft) {
        data = data.replace(TRAILING_SPACE, '');
      } else if (syntax.lstripBlocks && !next.keepLeft && next.kind !== 'variable') {
        const lineStart = data.lastIndexOf('\n') + 1;
        if ((lineStart > 0 || isLineStarting) && ONLY_SPACE.test(data.slice(lineStart))) data = data.slice(0, lineStart);
      }
    }
    outputs.set(start, newlineSequence === '\n' ? data : data.replace(/\n/g, newlineSequence));
  }
  return outputs;
}

/** trim_blocks drops the newline after block and comment tags, but not after `+%#` nor after `#% raw %#`. */
function consumesNewline(tag: Tag, syntax: JinjaSyntax, rawOpenTags: Set<Tag>): boolean {
  return syntax.trimBlocks && (tag.kind === 'block' || tag.kind === 'comment') && !tag.keepRight && !rawOpenTags.has(tag);
}

function collectData(body: Statement[], pieces: { start: number; end: number }[], rawOpenTags: Set<Tag>): void {
  for (const statement of body) {
    switch (statement.kind) {
      case 'Text':
        pieces.push({ start: statement.span.start, end: statement.span.end });
        break;
      case 'Raw':
        rawOpenTags.add(statement.openTag);
        pieces.push({ start: statement.bodySpan.start, end: statement.bodySpan.end });
        break;
      case 'If':
        for (const branch of statement.branches) collectData(branch.body, pieces, rawOpenTags);
        if (statement.else) collectData(statement.else.body, pieces, rawOpenTags);
        break;
      case 'For':
        collectData(statement.body, pieces, rawOpenTags);
        if (statement.else) collectData(statement.else.body, pieces, rawOpenTags);
        break;
      case 'SetBlock':
      case 'Macro':
      case 'CallBlock':
      case 'FilterBlock':
      case 'With':
      case 'Block':
      case 'Autoescape':
        collectData(statement.body, pieces, rawOpenTags);
        break;
      default:
        break;
    }
  }
}
