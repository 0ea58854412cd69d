// Splits a template into text, comments, raw blocks and tags (with their expression tokens), the
// way Jinja2's lexer does for the configured delimiters, but tolerant: it never throws, records
// problems with exact spans, and resynchronises after a broken tag. No parsing of statements here.
import type { Span, Tag, TemplateProblem } from './ast';
import type { JinjaSyntax } from './syntax';

export type TokenType = 'name' | 'string' | 'integer' | 'float' | 'operator' | 'end';

export interface Token {
  type: TokenType;
  /** Identifier, operator text, decoded string value, or the source text of a number. */
  value: string;
  start: number;
  end: number;
}

/** Template code of one tag: a block tag, a `#{ }#` tag or a line statement. */
export interface CodeSegment {
  kind: 'code';
  tag: Tag;
  /** Where the start delimiter (with its marker) ends: the tag's content starts here. */
  contentStart: number;
  /** Where the content ends: the end delimiter, or where reading stopped when unterminated. */
  contentEnd: number;
  tokens: Token[];
  /** A problem was already reported inside this tag; the parser then reports no more for it. */
  hasProblem: boolean;
}

export type Segment =
  | { kind: 'text'; span: Span }
  | { kind: 'comment'; tag: Tag; textSpan: Span }
  | CodeSegment
  | { kind: 'raw'; openTag: Tag; closeTag?: Tag; bodySpan: Span };

export interface LexResult {
  segments: Segment[];
  tags: Tag[];
  problems: TemplateProblem[];
}

type StartKind = 'block' | 'variable' | 'comment' | 'lineStatement' | 'lineComment';

interface StartRule {
  kind: StartKind;
  delimiter: string;
}

interface StartMatch {
  kind: StartKind | 'raw';
  /**
   * Where Jinja's root rule matches, which decides which tag comes first: for line prefixes the
   * spaces before them (Jinja's begin token swallows those; the renderer applies that).
   */
  matchStart: number;
  /** Where the tag begins: its delimiter or prefix. The text before it ends here. */
  tagStart: number;
  /** After the delimiter and its `-`/`+` marker. */
  contentStart: number;
  marker: '' | '-' | '+';
  /** For raw: the end of the whole `#% raw %#` tag and its right marker. */
  rawOpenEnd?: number;
  rawRightMarker?: '' | '-';
}

const SINGLE_OPERATORS = new Set(['+', '-', '/', '*', '%', '~', '[', ']', '(', ')', '{', '}', '>', '<', '=', '.', ':', '|', ',', ';']);
const CLOSERS: Record<string, string> = { '(': ')', '[': ']', '{': '}' };

/**
 * Tokenises `text` with `syntax`. Example: with the makejinja syntax, `a #{ x }# b` gives a text
 * segment `a `, a code segment whose tokens are [name x], and a text segment ` b`.
 */
export function lexTemplate(text: string, syntax: JinjaSyntax): LexResult {
  return new Lexer(text, syntax).run();
}

/** Python's str.isspace(), which is what `\s` means in Jinja's (Unicode) regular expressions. */
export function isPythonSpace(code: number): boolean {
  if (code <= 32) return code === 32 || (code >= 9 && code <= 13) || (code >= 28 && code <= 31);
  if (code < 0x85) return false;
  return (
    code === 0x85 ||
    code === 0xa0 ||
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000
  );
}

function isNewline(code: number): boolean {
  return code === 10 || code === 13;
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

const NAME_CHAR = /[\p{L}\p{N}\p{M}\p{Pc}\u00b7]/u;
const IDENTIFIER = /^[\p{ID_Start}_][\p{ID_Continue}]*$/u;

function isNameChar(code: number, char: string): boolean {
  if (code < 128) return (code >= 97 && code <= 122) || (code >= 65 && code <= 90) || isDigit(code) || code === 95;
  return NAME_CHAR.test(char);
}

class Lexer {
  private readonly segments: Segment[] = [];
  private readonly tags: Tag[] = [];
  private readonly problems: TemplateProblem[] = [];
  /** Start rules in Jinja's alternation order: longest delimiter first, then by token name (reversed). */
  private readonly rules: StartRule[];
  /** Next known occurrence of each rule's delimiter (cached so that scanning stays linear). */
  private readonly nextOccurrence: number[];
  /** Start delimiters that end a runaway tag (see lexCode); pure bracket runs like `{{` are valid tokens. */
  private readonly cutDelimiters: string[];

  constructor(
    private readonly text: string,
    private readonly syntax: JinjaSyntax,
  ) {
    const rules: StartRule[] = [
      { kind: 'comment', delimiter: syntax.commentStart },
      { kind: 'block', delimiter: syntax.blockStart },
      { kind: 'variable', delimiter: syntax.variableStart },
    ];
    if (syntax.lineStatementPrefix) rules.push({ kind: 'lineStatement', delimiter: syntax.lineStatementPrefix });
    if (syntax.lineCommentPrefix) rules.push({ kind: 'lineComment', delimiter: syntax.lineCommentPrefix });
    // An empty start delimiter (a broken configuration) would match everywhere without progress.
    for (let i = rules.length - 1; i >= 0; i--) if (rules[i].delimiter.length === 0) rules.splice(i, 1);
    // Jinja sorts (length, token name) descending: e.g. `#{` before `#`, and among equals
    // variable_begin > linestatement_begin > linecomment_begin > comment_begin > block_begin.
    const tokenName: Record<StartKind, string> = {
      block: 'block_begin',
      variable: 'variable_begin',
      comment: 'comment_begin',
      lineStatement: 'linestatement_begin',
      lineComment: 'linecomment_begin',
    };
    rules.sort((a, b) => b.delimiter.length - a.delimiter.length || (tokenName[b.kind] < tokenName[a.kind] ? -1 : tokenName[b.kind] > tokenName[a.kind] ? 1 : 0));
    this.rules = rules;
    this.nextOccurrence = rules.map(() => -2);
    this.cutDelimiters = [syntax.blockStart, syntax.variableStart, syntax.commentStart].filter((d) => d.length > 0 && !/^[([{]+$/.test(d));
  }

  run(): LexResult {
    const text = this.text;
    let pos = 0;
    while (pos < text.length) {
      const match = this.findStart(pos);
      if (!match) {
        this.segments.push({ kind: 'text', span: { start: pos, end: text.length } });
        break;
      }
      if (match.tagStart > pos) this.segments.push({ kind: 'text', span: { start: pos, end: match.tagStart } });
      switch (match.kind) {
        case 'raw':
          pos = this.lexRaw(match);
          break;
        case 'comment':
          pos = this.lexComment(match);
          break;
        case 'lineComment':
          pos = this.lexLineComment(match);
          break;
        default:
          pos = this.lexCode(match.kind, match);
      }
    }
    return { segments: this.segments, tags: this.tags, problems: this.problems };
  }

  // -- finding the next tag ----------------------------------------------------------------

  /** The earliest place at or after `from` where Jinja's root rule would match, or null. */
  private findStart(from: number): StartMatch | null {
    let best: StartMatch | null = null;
    for (let index = 0; index < this.rules.length; index++) {
      const rule = this.rules[index];
      // Only a strictly earlier match beats the best so far: ties go to the earlier rule in
      // Jinja's order, which is the order of this loop.
      const match = this.nextMatchOfRule(rule, index, from, best ? best.matchStart : Infinity);
      if (match) best = match;
    }
    return best;
  }

  private nextMatchOfRule(rule: StartRule, index: number, from: number, limit: number): StartMatch | null {
    const text = this.text;
    const delimiter = rule.delimiter;
    // Only line prefixes can match before their delimiter (at the spaces before it).
    const isLineRule = rule.kind === 'lineStatement' || rule.kind === 'lineComment';
    let at = this.nextOccurrence[index];
    if (at !== -1 && at < from) at = text.indexOf(delimiter, from);
    while (at !== -1 && (isLineRule || at < limit)) {
      const match = this.matchRuleAt(rule, at, from);
      if (match) {
        this.nextOccurrence[index] = at;
        return match.matchStart < limit ? match : null;
      }
      at = text.indexOf(delimiter, at + 1);
    }
    this.nextOccurrence[index] = at;
    return null;
  }

  /** Whether `rule` matches with its delimiter at `at` (scanning began at `from`). */
  private matchRuleAt(rule: StartRule, at: number, from: number): StartMatch | null {
    const text = this.text;
    const afterDelimiter = at + rule.delimiter.length;
    const markerChar = text[afterDelimiter];
    const marker: '' | '-' | '+' = markerChar === '-' || markerChar === '+' ? markerChar : '';
    const contentStart = afterDelimiter + marker.length;
    if (rule.kind === 'lineStatement') {
      // `^[ \t\v]*prefix`: only spaces, tabs and vertical tabs before it on its line.
      let lineStart = at;
      while (lineStart > from && (text[lineStart - 1] === ' ' || text[lineStart - 1] === '\t' || text[lineStart - 1] === '\v')) lineStart--;
      if (!this.isLineStart(lineStart)) return null;
      return { kind: 'lineStatement', tagStart: at, matchStart: lineStart, contentStart, marker };
    }
    if (rule.kind === 'lineComment') {
      // `(?:^|(?<=\S))[^\S\r\n]*prefix`: the spaces before it belong to the comment token.
      let runStart = at;
      while (runStart > from && isPythonSpace(text.charCodeAt(runStart - 1)) && !isNewline(text.charCodeAt(runStart - 1))) runStart--;
      const isAllowed = this.isLineStart(runStart) || (runStart > 0 && !isPythonSpace(text.charCodeAt(runStart - 1)));
      if (!isAllowed) return null;
      return { kind: 'lineComment', tagStart: at, matchStart: runStart, contentStart, marker };
    }
    if (rule.kind === 'block') {
      const raw = this.matchRawOpen(at);
      if (raw) return raw;
    }
    return { kind: rule.kind, tagStart: at, matchStart: at, contentStart, marker };
  }

  /** `^` in Jinja's multiline regexes; Jinja turns `\r\n` and `\r` into `\n` before lexing. */
  private isLineStart(at: number): boolean {
    if (at === 0) return true;
    const previous = this.text.charCodeAt(at - 1);
    return previous === 10 || (previous === 13 && this.text.charCodeAt(at) !== 10);
  }

  /** `blockStart(-|+)?\s*raw\s*(-?blockEnd)`; the raw rule comes first in Jinja's root rule. */
  private matchRawOpen(at: number): StartMatch | null {
    const text = this.text;
    const syntax = this.syntax;
    let pos = at + syntax.blockStart.length;
    const markerChar = text[pos];
    const marker: '' | '-' | '+' = markerChar === '-' || markerChar === '+' ? markerChar : '';
    pos += marker.length;
    pos = this.skipSpaces(pos);
    if (!text.startsWith('raw', pos)) return null;
    pos = this.skipSpaces(pos + 3);
    let rawRightMarker: '' | '-' = '';
    if (text[pos] === '-' && text.startsWith(syntax.blockEnd, pos + 1)) {
      rawRightMarker = '-';
      pos += 1;
    }
    if (!text.startsWith(syntax.blockEnd, pos)) return null;
    return { kind: 'raw', tagStart: at, matchStart: at, contentStart: at + syntax.blockStart.length + marker.length, marker, rawOpenEnd: pos + syntax.blockEnd.length, rawRightMarker };
  }

  private skipSpaces(pos: number): number {
    while (pos < this.text.length && isPythonSpace(this.text.charCodeAt(pos))) pos++;
    return pos;
  }

  private lineEndFrom(pos: number): number {
    const text = this.text;
    while (pos < text.length) {
      const code = text.charCodeAt(pos);
      if (code === 10 || code === 13) return pos;
      pos++;
    }
    return text.length;
  }

  private addTag(tag: Tag): Tag {
    this.tags.push(tag);
    return tag;
  }

  // -- raw, comments -------------------------------------------------------------------------

  private lexRaw(match: StartMatch): number {
    const text = this.text;
    const syntax = this.syntax;
    const openEnd = match.rawOpenEnd ?? match.contentStart;
    const openTag = this.addTag({
      kind: 'block',
      span: { start: match.tagStart, end: openEnd },
      trimLeft: match.marker === '-',
      keepLeft: match.marker === '+',
      trimRight: match.rawRightMarker === '-',
      keepRight: false,
      isTerminated: true,
    });
    // The first `blockStart(-|+)?\s*endraw\s*(+blockEnd|-blockEnd|blockEnd)` after the opening tag.
    for (let at = text.indexOf(syntax.blockStart, openEnd); at !== -1; at = text.indexOf(syntax.blockStart, at + 1)) {
      let pos = at + syntax.blockStart.length;
      const markerChar = text[pos];
      const marker = markerChar === '-' || markerChar === '+' ? markerChar : '';
      pos = this.skipSpaces(pos + marker.length);
      if (!text.startsWith('endraw', pos)) continue;
      pos = this.skipSpaces(pos + 6);
      let rightMarker = '';
      if ((text[pos] === '-' || text[pos] === '+') && text.startsWith(syntax.blockEnd, pos + 1)) {
        rightMarker = text[pos];
        pos += 1;
      }
      if (!text.startsWith(syntax.blockEnd, pos)) continue;
      const end = pos + syntax.blockEnd.length;
      const closeTag = this.addTag({
        kind: 'block',
        span: { start: at, end },
        trimLeft: marker === '-',
        keepLeft: marker === '+',
        trimRight: rightMarker === '-',
        keepRight: rightMarker === '+',
        isTerminated: true,
      });
      this.segments.push({ kind: 'raw', openTag, closeTag, bodySpan: { start: openEnd, end: at } });
      return end;
    }
    // Jinja fails the whole template here; we report it and read on after the opening tag.
    this.problems.push({
      span: openTag.span,
      code: 'unclosed-block',
      message: `'raw' block is not closed: expected '${syntax.blockStart} endraw ${syntax.blockEnd}'.`,
    });
    this.segments.push({ kind: 'raw', openTag, bodySpan: { start: openEnd, end: openEnd } });
    return openEnd;
  }

  private lexComment(match: StartMatch): number {
    const text = this.text;
    const endDelimiter = this.syntax.commentEnd;
    const found = endDelimiter ? text.indexOf(endDelimiter, match.contentStart) : -1;
    if (found === -1) {
      // Jinja: "Missing end of comment tag". The comment is taken to end with its first line so
      // that the rest of the file is still read as template.
      const end = this.lineEndFrom(match.contentStart);
      const tag = this.addTag({ kind: 'comment', span: { start: match.tagStart, end }, trimLeft: match.marker === '-', keepLeft: match.marker === '+', trimRight: false, keepRight: false, isTerminated: false });
      this.problems.push({
        span: { start: match.tagStart, end: match.contentStart },
        code: 'unterminated-tag',
        message: `Comment is not closed: expected '${endDelimiter}'.`,
      });
      this.segments.push({ kind: 'comment', tag, textSpan: { start: match.contentStart, end } });
      return end;
    }
    // `(.*?)(\+end|-end\s*|end)`: a marker right before the end delimiter belongs to it.
    let textEnd = found;
    let rightMarker = '';
    if (found - 1 >= match.contentStart && (text[found - 1] === '-' || text[found - 1] === '+')) {
      rightMarker = text[found - 1];
      textEnd = found - 1;
    }
    const end = found + endDelimiter.length;
    const tag = this.addTag({
      kind: 'comment',
      span: { start: match.tagStart, end },
      trimLeft: match.marker === '-',
      keepLeft: match.marker === '+',
      trimRight: rightMarker === '-',
      keepRight: rightMarker === '+',
      isTerminated: true,
    });
    this.segments.push({ kind: 'comment', tag, textSpan: { start: match.contentStart, end: textEnd } });
    return end;
  }

  private lexLineComment(match: StartMatch): number {
    const end = this.lineEndFrom(match.contentStart);
    const tag = this.addTag({ kind: 'lineComment', span: { start: match.tagStart, end }, trimLeft: match.marker === '-', keepLeft: match.marker === '+', trimRight: false, keepRight: false, isTerminated: true });
    this.segments.push({ kind: 'comment', tag, textSpan: { start: match.contentStart, end } });
    return end;
  }

  // -- tags with expressions ------------------------------------------------------------------

  /**
   * Reads the tokens of a block tag, `#{ }#` tag or line statement, up to its end delimiter, and
   * returns where the template text continues. Follows Jinja's tag rules in order (end delimiter
   * unless brackets are open, whitespace, float, integer, name, string, operator). Recovery:
   * an unexpected character is reported and skipped; an end delimiter met inside open brackets
   * that cannot be read as a closing bracket ends the tag with the bracket reported; reaching the
   * end of the file or another tag's start delimiter means this tag is unterminated, and then it
   * is cut at the end of its first line so that what follows is read as template again.
   */
  private lexCode(kind: 'block' | 'variable' | 'lineStatement', match: StartMatch): number {
    const text = this.text;
    const syntax = this.syntax;
    const length = text.length;
    const tokens: Token[] = [];
    const problems: TemplateProblem[] = [];
    const brackets: { char: string; start: number }[] = [];
    const endDelimiter = kind === 'block' ? syntax.blockEnd : kind === 'variable' ? syntax.variableEnd : '';
    let pos = match.contentStart;
    let endStart = -1;
    let endEnd = -1;
    let rightMarker = '';
    let isTerminated = false;
    const endFirst = endDelimiter.charCodeAt(0);

    scan: while (true) {
      if (kind === 'lineStatement') {
        // `\s*(\n|$)` ends a line statement unless brackets are open.
        if (brackets.length === 0) {
          let probe = pos;
          while (probe < length && isPythonSpace(text.charCodeAt(probe)) && !isNewline(text.charCodeAt(probe))) probe++;
          if (probe >= length || isNewline(text.charCodeAt(probe))) {
            endStart = endEnd = pos;
            isTerminated = true;
            break;
          }
        }
        if (pos >= length) break;
      } else {
        if (pos >= length) break;
        const first = text.charCodeAt(pos);
        const end = first === endFirst || first === 45 /* - */ || first === 43 /* + */ ? this.matchEnd(kind, pos, endDelimiter) : null;
        if (end) {
          const top = brackets[brackets.length - 1];
          if (!top) {
            endStart = pos;
            endEnd = end.end;
            rightMarker = end.marker;
            isTerminated = true;
            break;
          }
          // Jinja only sees an end delimiter when brackets are balanced; otherwise it reads the
          // characters as operators. That is valid only when they close the open bracket, as in
          // `{{ {'a': {'b': 1}} }}`; anything else fails in Jinja, and we end the tag here.
          if (!(end.marker === '' && text[pos] === CLOSERS[top.char])) {
            problems.push({ span: { start: top.start, end: top.start + 1 }, code: 'syntax', message: `'${top.char}' is never closed.` });
            brackets.length = 0;
            endStart = pos;
            endEnd = end.end;
            rightMarker = end.marker;
            isTerminated = true;
            break;
          }
        }
      }

      const code = text.charCodeAt(pos);
      const char = text[pos];
      if (isPythonSpace(code)) {
        pos++;
        while (pos < length && isPythonSpace(text.charCodeAt(pos))) pos++;
        continue;
      }
      if (isDigit(code)) {
        const numberEnd = this.matchFloat(pos);
        if (numberEnd > pos) {
          tokens.push({ type: 'float', value: text.slice(pos, numberEnd), start: pos, end: numberEnd });
        } else {
          const integerEnd = this.matchInteger(pos);
          tokens.push({ type: 'integer', value: text.slice(pos, integerEnd), start: pos, end: integerEnd });
          pos = integerEnd;
          continue;
        }
        pos = numberEnd;
        continue;
      }
      if (isNameChar(code, char)) {
        let nameEnd = pos + 1;
        let isAscii = code < 128;
        while (nameEnd < length) {
          const nameCode = text.charCodeAt(nameEnd);
          if (!isNameChar(nameCode, text[nameEnd])) break;
          if (nameCode >= 128) isAscii = false;
          nameEnd++;
        }
        const value = text.slice(pos, nameEnd);
        if (!isAscii) {
          if (!IDENTIFIER.test(value)) problems.push({ span: { start: pos, end: nameEnd }, code: 'syntax', message: `Invalid character in identifier '${value}'.` });
        }
        tokens.push({ type: 'name', value, start: pos, end: nameEnd });
        pos = nameEnd;
        continue;
      }
      if (char === '"' || char === "'") {
        const stringEnd = this.matchString(pos, endDelimiter);
        if (stringEnd > 0) {
          const decoded = decodeStringLiteral(text.slice(pos + 1, stringEnd - 1));
          if (decoded.error) problems.push({ span: { start: pos, end: stringEnd }, code: 'syntax', message: decoded.error });
          tokens.push({ type: 'string', value: decoded.value, start: pos, end: stringEnd });
          pos = stringEnd;
          continue;
        }
        problems.push({ span: { start: pos, end: pos + 1 }, code: 'syntax', message: `String is not closed: expected ${char}.` });
        pos++;
        continue;
      }
      for (const delimiter of this.cutDelimiters) {
        if (delimiter.charCodeAt(0) === code && text.startsWith(delimiter, pos)) break scan;
      }
      const operator = matchOperator(text, pos);
      if (operator) {
        const start = pos;
        pos += operator.length;
        if (operator === '(' || operator === '[' || operator === '{') {
          brackets.push({ char: operator, start });
        } else if (operator === ')' || operator === ']' || operator === '}') {
          const top = brackets[brackets.length - 1];
          if (!top) {
            problems.push({ span: { start, end: pos }, code: 'syntax', message: `Unexpected '${operator}'.` });
            continue;
          }
          if (CLOSERS[top.char] !== operator) {
            problems.push({ span: { start, end: pos }, code: 'syntax', message: `Unexpected '${operator}', expected '${CLOSERS[top.char]}'.` });
            // Close up to the matching bracket if there is one; otherwise drop the stray closer.
            const matching = brackets.map((b) => CLOSERS[b.char]).lastIndexOf(operator);
            if (matching === -1) continue;
            brackets.length = matching;
            tokens.push({ type: 'operator', value: operator, start, end: pos });
            continue;
          }
          brackets.pop();
        }
        tokens.push({ type: 'operator', value: operator, start, end: pos });
        continue;
      }
      problems.push({ span: { start: pos, end: pos + 1 }, code: 'syntax', message: `Unexpected character '${char}'.` });
      pos++;
    }

    let resume: number;
    let contentEnd: number;
    let spanEnd: number;
    if (isTerminated) {
      contentEnd = endStart;
      spanEnd = kind === 'lineStatement' ? this.trimRightSpaces(match.contentStart, endStart) : endEnd;
      resume = kind === 'lineStatement' ? endStart : endEnd;
    } else {
      // Unterminated: keep what is on the opening line (for completion while typing) and read on.
      const lineEnd = this.lineEndFrom(match.contentStart);
      const cut = Math.min(pos, lineEnd);
      let kept = 0;
      while (kept < tokens.length && tokens[kept].start < cut) kept++;
      tokens.length = kept;
      const lastTokenEnd = kept > 0 ? tokens[kept - 1].end : match.contentStart;
      resume = Math.max(cut, lastTokenEnd);
      contentEnd = resume;
      spanEnd = resume;
      for (let i = problems.length - 1; i >= 0; i--) if (problems[i].span.start >= resume) problems.splice(i, 1);
      const delimiterSpan = { start: match.tagStart, end: match.contentStart };
      problems.unshift(
        kind === 'lineStatement'
          ? { span: delimiterSpan, code: 'unterminated-tag', message: 'Line statement is not closed: a bracket is still open at the end of the file.' }
          : { span: delimiterSpan, code: 'unterminated-tag', message: `Tag is not closed: expected '${endDelimiter}'.` },
      );
    }
    const tag = this.addTag({
      kind,
      span: { start: match.tagStart, end: spanEnd },
      trimLeft: match.marker === '-',
      keepLeft: match.marker === '+',
      trimRight: rightMarker === '-',
      keepRight: rightMarker === '+',
      isTerminated,
    });
    this.problems.push(...problems);
    this.segments.push({ kind: 'code', tag, contentStart: match.contentStart, contentEnd, tokens, hasProblem: problems.length > 0 });
    return resume;
  }

  private trimRightSpaces(start: number, end: number): number {
    while (end > start && isPythonSpace(this.text.charCodeAt(end - 1))) end--;
    return end;
  }

  /** Block: `+end | -end | end`; variable: `-end | end` (Jinja has no `+` before a variable end). */
  private matchEnd(kind: 'block' | 'variable', pos: number, endDelimiter: string): { end: number; marker: string } | null {
    const text = this.text;
    const char = text[pos];
    if ((char === '-' || (char === '+' && kind === 'block')) && text.startsWith(endDelimiter, pos + 1)) {
      return { end: pos + 1 + endDelimiter.length, marker: char };
    }
    if (text.startsWith(endDelimiter, pos)) return { end: pos + endDelimiter.length, marker: '' };
    return null;
  }

  /** Jinja's float_re at `pos` (not after a dot); returns its end or `pos` when it does not match. */
  private matchFloat(pos: number): number {
    const text = this.text;
    if (pos > 0 && text[pos - 1] === '.') return pos;
    const intEnd = this.matchDigitGroups(pos);
    if (intEnd === pos) return pos;
    // (\.digits)?e[+-]?digits  |  \.digits
    let afterFraction = intEnd;
    if (text[intEnd] === '.') {
      const fractionEnd = this.matchDigitGroups(intEnd + 1);
      if (fractionEnd > intEnd + 1) afterFraction = fractionEnd;
    }
    const exponentEnd = this.matchExponent(afterFraction);
    if (exponentEnd > afterFraction) return exponentEnd;
    // A fraction without an exponent: the `\.digits` branch.
    if (afterFraction > intEnd) return afterFraction;
    const bareExponent = this.matchExponent(intEnd);
    return bareExponent > intEnd ? bareExponent : pos;
  }

  private matchExponent(pos: number): number {
    const text = this.text;
    if (text[pos] !== 'e' && text[pos] !== 'E') return pos;
    let at = pos + 1;
    if (text[at] === '+' || text[at] === '-') at++;
    const end = this.matchDigitGroups(at);
    return end > at ? end : pos;
  }

  /** `(\d+_)*\d+`: digits with single underscores between them. */
  private matchDigitGroups(pos: number): number {
    const text = this.text;
    let at = pos;
    let end = pos;
    while (at < text.length && isDigit(text.charCodeAt(at))) {
      while (at < text.length && isDigit(text.charCodeAt(at))) at++;
      end = at;
      if (text[at] === '_' && isDigit(text.charCodeAt(at + 1))) at++;
      else break;
    }
    return end;
  }

  /** Jinja's integer_re: 0b / 0o / 0x literals, decimals with `_`, or zeros. */
  private matchInteger(pos: number): number {
    const text = this.text;
    const prefix = text[pos + 1]?.toLowerCase();
    if (text[pos] === '0' && (prefix === 'b' || prefix === 'o' || prefix === 'x')) {
      const isValid = prefix === 'b' ? (c: string) => c === '0' || c === '1' : prefix === 'o' ? (c: string) => c >= '0' && c <= '7' : (c: string) => /[0-9a-fA-F]/.test(c);
      let at = pos + 2;
      let end = -1;
      while (at < text.length) {
        if (text[at] === '_' && at + 1 < text.length && isValid(text[at + 1])) at += 2;
        else if (isValid(text[at])) at += 1;
        else break;
        end = at;
      }
      if (end !== -1) return end;
    }
    // `[1-9](_?\d)*` or `0(_?0)*`
    const isZero = text[pos] === '0';
    const allowed = (at: number) => (isZero ? text.charCodeAt(at) === 48 : isDigit(text.charCodeAt(at)));
    let at = pos + 1;
    while (at < text.length) {
      if (text[at] === '_' && allowed(at + 1)) at += 2;
      else if (allowed(at)) at += 1;
      else break;
    }
    return at;
  }

  /**
   * End of the string literal starting at `pos` (a backslash escapes any character, newlines
   * included), or -1 when it is not closed. A literal that would run over a line end and past a
   * tag delimiter is treated as unclosed: that is an unfinished string while typing, not a
   * multi-line literal, and taking it whole would swallow the following tags.
   */
  private matchString(pos: number, endDelimiter: string): number {
    const text = this.text;
    const quote = text[pos];
    let at = pos + 1;
    let sawNewline = false;
    while (at < text.length) {
      const char = text[at];
      if (char === '\\') {
        at += 2;
        continue;
      }
      if (char === quote) {
        if (sawNewline) {
          const body = text.slice(pos, at);
          const delimiters = [endDelimiter, this.syntax.blockStart, this.syntax.variableStart, this.syntax.commentStart].filter((d) => d.length > 0);
          if (delimiters.some((d) => body.includes(d))) return -1;
        }
        return at + 1;
      }
      if (char === '\n' || char === '\r') sawNewline = true;
      at++;
    }
    return -1;
  }
}

/** Jinja's operator_re (longest first): the two-character operators, else a one-character one. */
function matchOperator(text: string, pos: number): string | null {
  const char = text[pos];
  if (!SINGLE_OPERATORS.has(char) && char !== '!') return null;
  const next = text[pos + 1];
  if ((char === '/' || char === '*') && next === char) return char + char;
  if ((char === '=' || char === '!' || char === '>' || char === '<') && next === '=') return char + '=';
  return char === '!' ? null : char;
}

const SIMPLE_ESCAPES: Record<string, string> = { '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };

/**
 * Decodes the body of a string literal as Jinja does (Python's unicode-escape codec after newline
 * normalisation). Unknown escapes such as `\d` stay as written. `\N{...}` names cannot be checked
 * without Unicode's name table: they are kept as written and never reported.
 */
export function decodeStringLiteral(body: string, newlineSequence = '\n'): { value: string; error?: string } {
  if (!body.includes('\\') && !body.includes('\r') && (newlineSequence === '\n' || !body.includes('\n'))) return { value: body };
  const normalized = newlineSequence === '\n' ? body.replace(/\r\n?/g, '\n') : body.replace(/\r\n|\r|\n/g, newlineSequence);
  let value = '';
  for (let i = 0; i < normalized.length; i++) {
    const char = normalized[i];
    if (char !== '\\') {
      value += char;
      continue;
    }
    const next = normalized[i + 1];
    if (next === undefined) return { value, error: '\\ at end of string' };
    if (next in SIMPLE_ESCAPES) {
      value += SIMPLE_ESCAPES[next];
      i++;
    } else if (next === '\n') {
      i++;
    } else if (next === '\r' && newlineSequence !== '\n') {
      // A backslash before a newline written as \r\n or \r joins the lines too.
      i += normalized[i + 2] === '\n' ? 2 : 1;
    } else if (next >= '0' && next <= '7') {
      let digits = next;
      while (digits.length < 3 && normalized[i + 1 + digits.length] >= '0' && normalized[i + 1 + digits.length] <= '7') digits += normalized[i + 1 + digits.length];
      value += String.fromCodePoint(parseInt(digits, 8));
      i += digits.length;
    } else if (next === 'x' || next === 'u' || next === 'U') {
      const width = next === 'x' ? 2 : next === 'u' ? 4 : 8;
      const digits = normalized.slice(i + 2, i + 2 + width);
      if (digits.length < width || !/^[0-9a-fA-F]+$/.test(digits)) {
        return { value, error: `truncated \\${next === 'x' ? 'xXX' : next === 'u' ? 'uXXXX' : 'UXXXXXXXX'} escape` };
      }
      const codePoint = parseInt(digits, 16);
      if (codePoint > 0x10ffff) return { value, error: 'illegal Unicode character' };
      value += String.fromCodePoint(codePoint);
      i += 1 + width;
    } else if (next === 'N') {
      const close = normalized.indexOf('}', i + 3);
      if (normalized[i + 2] !== '{' || close === -1 || close === i + 3) return { value, error: 'malformed \\N character escape' };
      value += normalized.slice(i, close + 1);
      i = close;
    } else {
      value += '\\' + next;
      i++;
    }
  }
  return { value };
}
