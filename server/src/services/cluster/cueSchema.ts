// Reads a workspace's CUE schema (.taskfiles/template/resources/cluster.schema.cue, nodes.schema.cue)
// into our JsonSchema. Pure and total: never throws, never guesses. A construct it cannot read is
// skipped with a note naming file, line and construct, and skipping only ever makes the schema looser.
import { isFqdn } from './formats';
import { parseCidr, parseIPv4 } from './ipv4';
import type { JsonSchema, JsonType, SchemaReadResult } from './schemaTypes';

/**
 * Converts the part of CUE that cluster-template schema files use. Example:
 * `readCueSchema('#Config: {\n  a?: *"x" | "y"\n}\n#Config', 'c.cue')` gives
 * `{ type: 'object', properties: { a: { type: 'string', enum: ['x', 'y'], default: 'x', 'x-origin': 'workspace-cue' } },
 *   additionalProperties: false }`, isClosed true, no notes.
 */
export function readCueSchema(text: string, fileName: string): SchemaReadResult {
  const notes = new NoteList(fileName);
  try {
    const scanned = scanCue(text);
    const file = new CueParser(scanned.tokens).parseFile();
    // cue vet rejects a file with any syntax error, so each is reported, even in parts not used.
    for (const error of file.syntaxErrors) {
      const outcome = error.keptKey === undefined ? 'this declaration is skipped' : `the key ${error.keptKey} is kept without constraints`;
      notes.add(error.line, '', `syntax error: ${error.message}; ${outcome}.`);
    }
    return new CueConverter(file, scanned, notes).convertFile();
  } catch (error) {
    // Only a bug in this module gets here; the caller still gets a usable (empty) answer.
    notes.add(1, '', `internal error while reading the schema (${(error as Error).message}); nothing was read.`);
    return { schema: {}, isClosed: false, notes: notes.list() };
  }
}

// ---------------------------------------------------------------------------------------------
// Notes

const MAX_NOTES = 100;

class NoteList {
  private readonly items: string[] = [];
  private readonly seen = new Set<string>();
  private omitted = 0;

  constructor(private readonly fileName: string) {}

  add(line: number, path: string, message: string): void {
    const note = `${this.fileName}:${line}: ${path ? `${path}: ` : ''}${message}`;
    if (this.seen.has(note)) return;
    this.seen.add(note);
    // A binary or wildly broken file must not flood the output channel.
    if (this.items.length >= MAX_NOTES) this.omitted++;
    else this.items.push(note);
  }

  list(): string[] {
    return this.omitted > 0 ? [...this.items, `${this.fileName}: ${this.omitted} more notes not shown.`] : [...this.items];
  }
}

// ---------------------------------------------------------------------------------------------
// Scanner: text to tokens, with CUE's automatic comma at the end of a line, and comments by line.

type TokenKind = 'ident' | 'string' | 'bytes' | 'number' | 'op' | 'comma' | 'illegal' | 'eof';

interface Token {
  kind: TokenKind;
  /** Identifier name, operator, number source text, or the decoded value of a string. */
  text: string;
  /** 1-based line where the token starts. */
  line: number;
  isInterpolated?: boolean;
  /** For illegal tokens: what is wrong with them. */
  problem?: string;
}

interface ScanResult {
  tokens: Token[];
  /** Text of comments that are alone on their line, by 1-based line. */
  ownLineComments: Map<number, string>;
  /** Text of comments that follow code on their line, by 1-based line. */
  trailingComments: Map<number, string>;
}

// One sticky pattern reads most tokens, so the per-character work happens inside the regex engine;
// the token's first character then says which kind it is. Alternatives: blanks, newline, comment,
// bottom, identifier, number, operator, comma.
const TOKEN_PATTERN = new RegExp(
  [
    '[ \\t\\r\\uFEFF]+',
    '\\n',
    '//[^\\n]*',
    '_\\|_',
    // Any non-ASCII character may be part of a name: a superset of CUE's letters, and much faster
    // to match than Unicode property classes.
    '(?:_?#)?[A-Za-z_$\\u0080-\\uFFFF][A-Za-z0-9_$\\u0080-\\uFFFF]*',
    '(?:0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|(?:\\d[\\d_]*(?:\\.[\\d_]*)?|\\.\\d[\\d_]*)(?:[eE][+-]?\\d+)?)(?:[KMGTP]i?)?',
    '\\.\\.\\.|=~|!=|!~|<=|>=|==|&&|\\|\\||[{}\\[\\]():?!.|&*=<>+\\-/,]',
  ].join('|'),
  'y',
);
// CUE inserts a comma after a line's last token when it is one of these (as Go does with semicolons).
const OPS_ENDING_A_LINE = new Set([')', ']', '}', '?', '...']);

function endsLine(token: Token): boolean {
  if (token.kind === 'op') return OPS_ENDING_A_LINE.has(token.text);
  return token.kind !== 'comma' && token.kind !== 'eof';
}

function scanCue(text: string): ScanResult {
  const tokens: Token[] = [];
  const ownLineComments = new Map<number, string>();
  const trailingComments = new Map<number, string>();
  let i = 0;
  let line = 1;
  let lineHasToken = false;
  const push = (token: Token): void => {
    tokens.push(token);
    lineHasToken = true;
  };
  while (i < text.length) {
    const code = text.charCodeAt(i);
    if (code === 32 || code === 9 || code === 13) {
      i++;
      continue;
    }
    const ch = text[i];
    if (ch === '"' || ch === "'" || (ch === '#' && isRawStringStart(text, i))) {
      const scanned = scanString(text, i, line);
      push(scanned.token);
      i = scanned.end;
      line = scanned.endLine;
      continue;
    }
    if (ch === '@') {
      // Attributes (`@go(Name)`, `@tag(x)`) carry no constraint on the data.
      const end = skipAttribute(text, i);
      line += countNewlines(text, i, end);
      i = end;
      continue;
    }
    TOKEN_PATTERN.lastIndex = i;
    const match = TOKEN_PATTERN.exec(text);
    if (!match) {
      const codePoint = String.fromCodePoint(text.codePointAt(i) ?? 0);
      push({ kind: 'illegal', text: codePoint, line, problem: `unexpected character "${codePoint}"` });
      i += codePoint.length;
      continue;
    }
    const token = match[0];
    i += token.length;
    const first = token.charCodeAt(0);
    if (first === 32 || first === 9 || first === 13 || first === 0xfeff) continue;
    if (first === 10) {
      const last = tokens[tokens.length - 1];
      if (lineHasToken && last !== undefined && endsLine(last)) tokens.push({ kind: 'comma', text: '\n', line });
      line++;
      lineHasToken = false;
    } else if (first === 47 && token.charCodeAt(1) === 47) {
      (lineHasToken ? trailingComments : ownLineComments).set(line, token.slice(2).trim());
    } else if (isNameStart(first) || token === '_|_') {
      push({ kind: 'ident', text: token, line });
    } else if ((first >= 48 && first <= 57) || (first === 46 && token.length > 1 && token !== '...')) {
      push({ kind: 'number', text: token, line });
    } else if (token === ',') {
      push({ kind: 'comma', text: ',', line });
    } else {
      push({ kind: 'op', text: token, line });
    }
  }
  tokens.push({ kind: 'eof', text: '', line });
  return { tokens, ownLineComments, trailingComments };
}

function isNameStart(code: number): boolean {
  return (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95 || code === 36 || code === 35 || code >= 0x80;
}

function countNewlines(text: string, start: number, end: number): number {
  let count = 0;
  for (let i = start; i < end; i++) if (text.charCodeAt(i) === 10) count++;
  return count;
}

function isRawStringStart(text: string, i: number): boolean {
  let j = i;
  while (text[j] === '#') j++;
  return text[j] === '"' || text[j] === "'";
}

function skipAttribute(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length && /[\p{L}\p{Nd}_$]/u.test(text[i])) i++;
  if (text[i] !== '(') return i;
  let depth = 0;
  for (; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"') {
      i++;
      while (i < text.length && text[i] !== '"' && text[i] !== '\n') i += text[i] === '\\' ? 2 : 1;
    } else if (ch === '(') depth++;
    else if (ch === ')' && --depth === 0) return i + 1;
  }
  return i;
}

function scanString(text: string, start: number, startLine: number): { token: Token; end: number; endLine: number } {
  let hashes = 0;
  while (text[start + hashes] === '#') hashes++;
  const quote = text[start + hashes];
  const isMultiline = text.startsWith(quote.repeat(3), start + hashes);
  const closing = (isMultiline ? quote.repeat(3) : quote) + '#'.repeat(hashes);
  const escape = '\\' + '#'.repeat(hashes);
  const contentStart = start + hashes + (isMultiline ? 3 : 1);
  let line = startLine;
  let isInterpolated = false;
  let j = contentStart;
  const fail = (problem: string, end: number) => ({ token: { kind: 'illegal' as const, text: '', line: startLine, problem }, end, endLine: line });
  for (;;) {
    if (j >= text.length) return fail('unterminated string', j);
    const ch = text[j];
    if (ch === '\n') {
      if (!isMultiline) return fail('unterminated string', j);
      line++;
      j++;
      continue;
    }
    if (text.startsWith(escape, j)) {
      const k = j + escape.length;
      if (text[k] === '(') {
        const close = findInterpolationEnd(text, k);
        if (close < 0) return fail('unterminated string interpolation', text.length);
        line += countNewlines(text, k, close);
        isInterpolated = true;
        j = close + 1;
        continue;
      }
      if (text[k] === '\n') line++;
      j = k + 1;
      continue;
    }
    if (text.startsWith(closing, j)) break;
    j++;
  }
  const end = j + closing.length;
  const kind = quote === "'" ? ('bytes' as const) : ('string' as const);
  if (isInterpolated) return { token: { kind, text: '', line: startLine, isInterpolated: true }, end, endLine: line };
  const raw = text.slice(contentStart, j);
  const decoded = decodeString(isMultiline ? dedentMultiline(raw) : raw, escape);
  if (typeof decoded !== 'string') return fail(decoded.problem, end);
  return { token: { kind, text: decoded, line: startLine }, end, endLine: line };
}

/** The index of the `)` that closes an interpolation opened at `open`, or -1. */
function findInterpolationEnd(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"') {
      i++;
      while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    } else if (ch === '(') depth++;
    else if (ch === ')' && --depth === 0) return i;
  }
  return -1;
}

/** CUE multi-line strings drop the first newline and the indentation of the closing quotes from every line. */
function dedentMultiline(raw: string): string {
  const body = raw.replace(/^\r?\n/, '');
  const lastNewline = body.lastIndexOf('\n');
  if (lastNewline < 0) return body;
  const indent = body.slice(lastNewline + 1);
  return body
    .slice(0, lastNewline)
    .split('\n')
    .map((line) => line.replace(/\r$/, ''))
    .map((line) => (line.startsWith(indent) ? line.slice(indent.length) : line.trimStart()))
    .join('\n');
}

const SIMPLE_ESCAPES: Record<string, string> = {
  a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', '/': '/', '"': '"', "'": "'",
};

function decodeString(raw: string, escape: string): string | { problem: string } {
  let out = '';
  let i = 0;
  for (;;) {
    const at = raw.indexOf(escape, i);
    if (at < 0) return out + raw.slice(i);
    out += raw.slice(i, at);
    const k = at + escape.length;
    const ch = raw[k];
    if (ch !== undefined && ch in SIMPLE_ESCAPES) {
      out += SIMPLE_ESCAPES[ch];
      i = k + 1;
      continue;
    }
    const hexLength = ch === 'u' ? 4 : ch === 'U' ? 8 : ch === 'x' ? 2 : 0;
    if (hexLength > 0 && new RegExp(`^[0-9a-fA-F]{${hexLength}}`).test(raw.slice(k + 1, k + 1 + hexLength))) {
      const code = parseInt(raw.slice(k + 1, k + 1 + hexLength), 16);
      if (code > 0x10ffff) return { problem: `invalid escape "\\${raw.slice(k, k + 1 + hexLength)}"` };
      out += String.fromCodePoint(code);
      i = k + 1 + hexLength;
      continue;
    }
    if (/^[0-7]{3}$/.test(raw.slice(k, k + 3))) {
      out += String.fromCharCode(parseInt(raw.slice(k, k + 3), 8));
      i = k + 3;
      continue;
    }
    return { problem: `invalid escape "\\${ch ?? ''}" in a string` };
  }
}

/** A CUE number literal's value (underscores, 0x/0o/0b, K/Ki multipliers), or undefined. */
function parseCueNumber(source: string): { value: number; isInteger: boolean } | undefined {
  let text = source.replace(/_/g, '');
  let multiplier = 1;
  const suffix = /([KMGTP])(i?)$/.exec(text);
  if (suffix) {
    const power = 'KMGTP'.indexOf(suffix[1]) + 1;
    multiplier = suffix[2] ? 1024 ** power : 1000 ** power;
    text = text.slice(0, -suffix[0].length);
  }
  let value: number;
  let isFloatSyntax = false;
  if (/^0[xX]/.test(text)) value = parseInt(text.slice(2), 16);
  else if (/^0[oO]/.test(text)) value = parseInt(text.slice(2), 8);
  else if (/^0[bB]/.test(text)) value = parseInt(text.slice(2), 2);
  else {
    value = text === '' ? NaN : Number(text);
    isFloatSyntax = /[.eE]/.test(text);
  }
  value *= multiplier;
  if (!Number.isFinite(value)) return undefined;
  return { value, isInteger: suffix ? Number.isInteger(value) : !isFloatSyntax };
}

// ---------------------------------------------------------------------------------------------
// Syntax tree and parser

type LiteralValue = string | number | boolean | null | LiteralValue[];

type Expr =
  | { kind: 'literal'; value: LiteralValue; isFloat?: boolean; line: number }
  | { kind: 'ident'; name: string; line: number }
  | { kind: 'selector'; path: string[]; line: number }
  | { kind: 'call'; callee: Expr; args: Expr[]; line: number }
  | { kind: 'unary'; op: string; operand: Expr; line: number }
  | { kind: 'and'; items: Expr[]; line: number }
  | { kind: 'or'; items: Expr[]; line: number }
  | { kind: 'list'; elements: Expr[]; hasRest: boolean; rest?: Expr; line: number }
  | { kind: 'struct'; decls: Decl[]; line: number }
  | { kind: 'comprehension'; keyword: string; hasFor: boolean; body: Decl[]; line: number }
  | { kind: 'top'; line: number }
  | { kind: 'bottom'; line: number }
  | { kind: 'unsupported'; what: string; line: number }
  | { kind: 'invalid'; message: string; line: number };

type FieldConstraint = 'regular' | 'optional' | 'required';
type LabelKind = 'regular' | 'definition' | 'hidden';

type Decl =
  | { kind: 'field'; label: string; labelKind: LabelKind; constraint: FieldConstraint; value: Expr; line: number; alias?: string }
  | { kind: 'pattern'; label: Expr; value: Expr; line: number }
  | { kind: 'dynamic'; line: number }
  | { kind: 'embed'; value: Expr; line: number }
  | { kind: 'let'; name: string; value: Expr; line: number }
  | { kind: 'ellipsis'; line: number }
  | { kind: 'comprehension'; keyword: string; hasFor: boolean; body: Decl[]; line: number }
  | { kind: 'invalid'; message: string; line: number };

interface ParsedFile {
  imports: { alias: string; path: string }[];
  decls: Decl[];
  syntaxErrors: { line: number; message: string; keptKey?: string }[];
}

// Deeper nesting than any schema needs; it keeps recursion far from the stack limit on hostile input.
const MAX_NESTING = 200;

interface PendingField {
  label: string;
  labelKind: LabelKind;
  constraint: FieldConstraint;
  line: number;
}

/**
 * Thrown inside the parser only and always caught there, to skip one broken declaration. Not an
 * Error: a garbage file throws one per line, and capturing stack traces would dominate the time.
 */
class CueSyntaxError {
  constructor(
    readonly line: number,
    readonly message: string,
  ) {}
}

// Binary operators by precedence, as in the CUE spec; only `|` and `&` mean something in a schema.
const BINARY_PRECEDENCE: Record<string, number> = {
  '|': 1, '&': 2, '||': 3, '&&': 4,
  '==': 5, '!=': 5, '<': 5, '<=': 5, '>': 5, '>=': 5, '=~': 5, '!~': 5,
  '+': 6, '-': 6, '*': 7, '/': 7,
};
const UNARY_OPS = new Set(['*', '!=', '=~', '!~', '<', '<=', '>', '>=', '-', '+', '!']);

class CueParser {
  private pos = 0;
  /** The field whose value is being parsed, so that a broken value still leaves its key. */
  private pendingField: PendingField | undefined;
  private depth = 0;
  private readonly syntaxErrors: ParsedFile['syntaxErrors'] = [];

  constructor(private readonly tokens: Token[]) {}

  parseFile(): ParsedFile {
    const imports: ParsedFile['imports'] = [];
    this.skipCommas();
    if (this.isIdent('package') && this.peek(1).kind === 'ident' && !this.isOpAt(2, ':')) {
      this.pos += 2;
    }
    for (;;) {
      this.skipCommas();
      if (!this.isIdent('import') || this.isOpAt(1, ':') || this.isOpAt(1, '?')) break;
      try {
        this.next();
        if (this.isOp('(')) {
          this.next();
          for (;;) {
            this.skipCommas();
            if (this.isOp(')')) break;
            imports.push(this.parseImportSpec());
          }
          this.next();
        } else imports.push(this.parseImportSpec());
      } catch (error) {
        if (!(error instanceof CueSyntaxError)) throw error;
        this.syntaxErrors.push({ line: error.line, message: error.message });
        this.skipToDeclEnd();
      }
    }
    const decls = this.parseDecls(false);
    return { imports, decls, syntaxErrors: this.syntaxErrors };
  }

  private parseImportSpec(): { alias: string; path: string } {
    let alias: string | undefined;
    if (this.peek().kind === 'ident') alias = this.next().text;
    const path = this.next();
    if (path.kind !== 'string') throw this.unexpected(path);
    const name = path.text.split(':')[0];
    return { alias: alias ?? name.slice(name.lastIndexOf('/') + 1), path: name };
  }

  private peek(offset = 0): Token {
    return this.tokens[Math.min(this.pos + offset, this.tokens.length - 1)];
  }

  private next(): Token {
    const token = this.peek();
    if (token.kind !== 'eof') this.pos++;
    return token;
  }

  private isOp(text: string): boolean {
    return this.isOpAt(0, text);
  }

  private isOpAt(offset: number, text: string): boolean {
    const token = this.peek(offset);
    return token.kind === 'op' && token.text === text;
  }

  private isIdent(name: string): boolean {
    const token = this.peek();
    return token.kind === 'ident' && token.text === name;
  }

  private skipCommas(): void {
    while (this.peek().kind === 'comma') this.pos++;
  }

  private expectOp(text: string): Token {
    const token = this.peek();
    if (token.kind !== 'op' || token.text !== text) throw this.unexpected(token, `"${text}"`);
    return this.next();
  }

  private unexpected(token: Token, wanted?: string): CueSyntaxError {
    if (token.kind === 'illegal') return new CueSyntaxError(token.line, token.problem ?? 'unreadable text');
    const found =
      token.kind === 'eof' ? 'the end of the file'
      : token.kind === 'comma' ? (token.text === ',' ? '","' : 'the end of the line')
      : token.kind === 'string' || token.kind === 'bytes' ? 'a string'
      : `"${token.text}"`;
    if (wanted) return new CueSyntaxError(token.line, `expected ${wanted} but found ${found}`);
    if (token.kind === 'eof') return new CueSyntaxError(token.line, 'the file ends too early');
    if (token.kind === 'comma' && token.text !== ',') return new CueSyntaxError(token.line, 'the line ends too early');
    return new CueSyntaxError(token.line, `unexpected ${found}`);
  }

  /** Declarations up to the closing `}` (not consumed) or the end of the file. */
  private parseDecls(insideBraces: boolean): Decl[] {
    const decls: Decl[] = [];
    const outerPendingField = this.pendingField;
    for (;;) {
      this.skipCommas();
      const token = this.peek();
      if (token.kind === 'eof') break;
      if (token.kind === 'op' && token.text === '}') {
        if (insideBraces) break;
        this.syntaxErrors.push({ line: token.line, message: 'unexpected "}"' });
        decls.push({ kind: 'invalid', message: 'unexpected "}"', line: token.line });
        this.next();
        continue;
      }
      this.pendingField = undefined;
      try {
        const decl = this.parseDecl();
        const after = this.peek();
        if (!(after.kind === 'comma' || after.kind === 'eof' || (after.kind === 'op' && after.text === '}'))) throw this.unexpected(after);
        decls.push(decl);
      } catch (error) {
        if (!(error instanceof CueSyntaxError)) throw error;
        // parseDecl may have set it (TypeScript cannot see that through the call).
        const field = this.pendingField as PendingField | undefined;
        this.syntaxErrors.push(field ? { line: error.line, message: error.message, keptKey: field.label } : { line: error.line, message: error.message });
        const value: Expr = { kind: 'invalid', message: error.message, line: error.line };
        decls.push(field ? { kind: 'field', ...field, value } : { kind: 'invalid', message: error.message, line: error.line });
        const before = this.pos;
        this.skipToDeclEnd();
        // Always move on, or a token that starts no declaration would be read forever.
        if (this.pos === before && this.peek().kind !== 'comma' && !this.isOp('}')) this.next();
      }
    }
    this.pendingField = outerPendingField;
    return decls;
  }

  /** After a syntax error: skip to the comma that ends the declaration, or to the `}` around it. */
  private skipToDeclEnd(): void {
    let depth = 0;
    for (;;) {
      const token = this.peek();
      if (token.kind === 'eof') return;
      if (depth === 0 && token.kind === 'comma') return;
      if (token.kind === 'op') {
        if (token.text === '{' || token.text === '[' || token.text === '(') depth++;
        else if (token.text === '}') {
          if (depth === 0) return;
          depth--;
        } else if ((token.text === ']' || token.text === ')') && depth > 0) depth--;
      }
      this.next();
    }
  }

  private parseDecl(): Decl {
    const token = this.peek();
    const line = token.line;
    if (token.kind === 'op' && token.text === '...') {
      this.next();
      if (!this.atDeclEnd()) this.parseExpr();
      return { kind: 'ellipsis', line };
    }
    if (token.kind === 'ident' && token.text === 'let' && this.peek(1).kind === 'ident' && this.isOpAt(2, '=')) {
      this.next();
      const name = this.next().text;
      this.next();
      return { kind: 'let', name, value: this.parseExpr(), line };
    }
    if (token.kind === 'ident' && (token.text === 'for' || token.text === 'if') && !this.isLabelFollowAt(1)) {
      return this.parseComprehension();
    }
    if (token.kind === 'op' && token.text === '[' && this.isOpAt(this.matchingCloseOffset(0) + 1, ':')) {
      return this.parsePatternConstraint();
    }
    if (token.kind === 'op' && token.text === '(' && this.isOpAt(this.matchingCloseOffset(0) + 1, ':')) {
      this.pos += this.matchingCloseOffset(0) + 2;
      this.parseExpr();
      return { kind: 'dynamic', line };
    }
    // An alias `X=label: value` or `X=[pattern]: value` names the field for references; we do not need it.
    if (token.kind === 'ident' && this.isOpAt(1, '=') && (this.isLabelStartAt(2) || this.isOpAt(2, '['))) {
      this.pos += 2;
      const decl = this.parseDecl();
      return decl.kind === 'field' ? { ...decl, alias: token.text } : decl;
    }
    if (this.isLabelStartAt(0)) return this.parseField();
    return { kind: 'embed', value: this.parseExpr(), line };
  }

  private atDeclEnd(): boolean {
    const token = this.peek();
    return token.kind === 'comma' || token.kind === 'eof' || (token.kind === 'op' && token.text === '}');
  }

  private isLabelFollowAt(offset: number): boolean {
    return this.isOpAt(offset, ':') || ((this.isOpAt(offset, '?') || this.isOpAt(offset, '!')) && this.isOpAt(offset + 1, ':'));
  }

  private isLabelStartAt(offset: number): boolean {
    const token = this.peek(offset);
    const isLabelToken = (token.kind === 'ident' && token.text !== '_|_') || token.kind === 'string';
    return isLabelToken && this.isLabelFollowAt(offset + 1);
  }

  /** Offset (from the current token) of the bracket closing the one at `offset`, or a far offset. */
  private matchingCloseOffset(offset: number): number {
    let depth = 0;
    for (let k = offset; this.pos + k < this.tokens.length; k++) {
      const token = this.peek(k);
      if (token.kind === 'eof') return k;
      if (token.kind !== 'op') continue;
      if (token.text === '(' || token.text === '[' || token.text === '{') depth++;
      else if ((token.text === ')' || token.text === ']' || token.text === '}') && --depth === 0) return k;
    }
    return this.tokens.length;
  }

  private parseField(): Decl {
    const labelToken = this.next();
    const line = labelToken.line;
    if (labelToken.isInterpolated) {
      this.skipLabelMarkers();
      this.parseExpr();
      return { kind: 'dynamic', line };
    }
    const label = labelToken.text;
    const labelKind: LabelKind =
      labelToken.kind === 'string' ? 'regular'
      : label.startsWith('#') || label.startsWith('_#') ? 'definition'
      : label.startsWith('_') ? 'hidden'
      : 'regular';
    let constraint: FieldConstraint = 'regular';
    if (this.isOp('?')) constraint = 'optional';
    else if (this.isOp('!')) constraint = 'required';
    if (constraint !== 'regular') this.next();
    this.expectOp(':');
    // For `a: b: c` the pending field stays `a`: a broken value then keeps the outer key.
    this.pendingField ??= { label, labelKind, constraint, line };
    // `a: b: c` is shorthand for `a: { b: c }`.
    const value: Expr = this.isLabelStartAt(0) ? { kind: 'struct', decls: [this.parseField()], line } : this.parseExpr();
    return { kind: 'field', label, labelKind, constraint, value, line };
  }

  private skipLabelMarkers(): void {
    if (this.isOp('?') || this.isOp('!')) this.next();
    this.expectOp(':');
  }

  private parsePatternConstraint(): Decl {
    const line = this.next().line;
    if (this.peek().kind === 'ident' && this.isOpAt(1, '=')) this.pos += 2;
    const label = this.parseExpr();
    this.expectOp(']');
    this.skipLabelMarkers();
    return { kind: 'pattern', label, value: this.parseExpr(), line };
  }

  /** `for k, v in src`, `if cond` and `let x = e` clauses, then the struct they produce. */
  private parseComprehension(): Decl & { kind: 'comprehension' } {
    const first = this.peek();
    let hasFor = false;
    for (;;) {
      const token = this.peek();
      if (token.kind !== 'ident') break;
      if (token.text === 'for') {
        this.next();
        this.expectIdent();
        if (this.peek().kind === 'comma' && this.peek().text === ',') {
          this.next();
          this.expectIdent();
        }
        if (!this.isIdent('in')) throw this.unexpected(this.peek(), '"in"');
        this.next();
        this.parseExpr();
        hasFor = true;
      } else if (token.text === 'if') {
        this.next();
        this.parseExpr();
      } else if (token.text === 'let') {
        this.next();
        this.expectIdent();
        this.expectOp('=');
        this.parseExpr();
      } else break;
      // Clauses may be separated by commas, written or inserted at a line end.
      if (this.peek().kind === 'comma' && this.peek(1).kind === 'ident') this.next();
    }
    this.expectOp('{');
    const body = this.parseDecls(true);
    this.expectOp('}');
    return { kind: 'comprehension', keyword: first.text, hasFor, body, line: first.line };
  }

  private expectIdent(): Token {
    const token = this.peek();
    if (token.kind !== 'ident') throw this.unexpected(token, 'a name');
    return this.next();
  }

  private parseExpr(): Expr {
    return this.parseBinary(1);
  }

  private parseBinary(minPrecedence: number): Expr {
    let left = this.parseUnary();
    for (;;) {
      const token = this.peek();
      const precedence = token.kind === 'op' ? BINARY_PRECEDENCE[token.text] : undefined;
      if (precedence === undefined || precedence < minPrecedence) return left;
      this.next();
      const right = this.parseBinary(precedence + 1);
      if (token.text === '|' || token.text === '&') {
        const kind = token.text === '|' ? 'or' : 'and';
        const items = left.kind === kind ? [...left.items, right] : [left, right];
        left = { kind, items, line: left.line };
      } else {
        left = { kind: 'unsupported', what: `an expression with the operator "${token.text}"`, line: token.line };
      }
    }
  }

  // Every nested value passes through here, so this is where nesting depth is counted.
  private parseUnary(): Expr {
    const token = this.peek();
    if (this.depth >= MAX_NESTING) throw new CueSyntaxError(token.line, `values are nested more than ${MAX_NESTING} levels deep`);
    this.depth++;
    try {
      if (token.kind === 'op' && UNARY_OPS.has(token.text)) {
        this.next();
        return { kind: 'unary', op: token.text, operand: this.parseUnary(), line: token.line };
      }
      return this.parsePostfix();
    } finally {
      this.depth--;
    }
  }

  private parsePostfix(): Expr {
    let expr = this.parsePrimary();
    for (;;) {
      if (this.isOp('.')) {
        this.next();
        const name = this.next();
        if (name.kind !== 'ident') throw this.unexpected(name, 'a name after "."');
        if (expr.kind === 'ident') expr = { kind: 'selector', path: [expr.name, name.text], line: expr.line };
        else if (expr.kind === 'selector') expr = { kind: 'selector', path: [...expr.path, name.text], line: expr.line };
        else expr = { kind: 'unsupported', what: 'a selector on a computed value', line: expr.line };
      } else if (this.isOp('(')) {
        this.next();
        const args: Expr[] = [];
        for (;;) {
          this.skipCommas();
          if (this.isOp(')')) break;
          args.push(this.parseExpr());
          if (!this.isOp(')') && this.peek().kind !== 'comma') throw this.unexpected(this.peek(), '"," or ")"');
        }
        this.next();
        expr = { kind: 'call', callee: expr, args, line: expr.line };
      } else if (this.isOp('[')) {
        this.next();
        this.parseExpr();
        this.expectOp(']');
        expr = { kind: 'unsupported', what: 'an index expression', line: expr.line };
      } else return expr;
    }
  }

  private parsePrimary(): Expr {
    const ahead = this.peek();
    // A missing operand: leave the comma or closing bracket for error recovery to stop at.
    if (ahead.kind === 'comma' || ahead.kind === 'eof' || (ahead.kind === 'op' && (ahead.text === '}' || ahead.text === ']' || ahead.text === ')'))) {
      throw this.unexpected(ahead);
    }
    const token = this.next();
    const line = token.line;
    switch (token.kind) {
      case 'ident':
        if (token.text === 'true' || token.text === 'false') return { kind: 'literal', value: token.text === 'true', line };
        if (token.text === 'null') return { kind: 'literal', value: null, line };
        if (token.text === '_') return { kind: 'top', line };
        if (token.text === '_|_') return { kind: 'bottom', line };
        if (token.text === 'for' || token.text === 'if' || token.text === 'let' || token.text === 'in') throw this.unexpected(token);
        return { kind: 'ident', name: token.text, line };
      case 'number': {
        const number = parseCueNumber(token.text);
        if (!number) throw new CueSyntaxError(line, `cannot read the number "${token.text}"`);
        return { kind: 'literal', value: number.value, isFloat: !number.isInteger, line };
      }
      case 'string':
        if (token.isInterpolated) return { kind: 'unsupported', what: 'string interpolation', line };
        return { kind: 'literal', value: token.text, line };
      case 'bytes':
        return { kind: 'unsupported', what: 'a bytes literal', line };
      case 'op':
        if (token.text === '(') {
          const inner = this.parseExpr();
          this.expectOp(')');
          return inner;
        }
        if (token.text === '[') return this.parseList(line);
        if (token.text === '{') {
          const decls = this.parseDecls(true);
          this.expectOp('}');
          return { kind: 'struct', decls, line };
        }
        throw this.unexpected(token);
      default:
        throw this.unexpected(token);
    }
  }

  private parseList(line: number): Expr {
    const elements: Expr[] = [];
    let hasRest = false;
    let rest: Expr | undefined;
    for (;;) {
      this.skipCommas();
      const token = this.peek();
      if (token.kind === 'op' && token.text === ']') {
        this.next();
        return { kind: 'list', elements, hasRest, rest, line };
      }
      if (token.kind === 'op' && token.text === '...') {
        this.next();
        hasRest = true;
        if (!this.isOp(']') && this.peek().kind !== 'comma') rest = this.parseExpr();
      } else if (token.kind === 'ident' && (token.text === 'for' || token.text === 'if')) {
        const comprehension = this.parseComprehension();
        elements.push({ ...comprehension });
      } else elements.push(this.parseExpr());
      if (!this.isOp(']') && this.peek().kind !== 'comma') throw this.unexpected(this.peek(), '"," or "]"');
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Conversion to JSON Schema

interface Binding {
  name: string;
  kind: 'definition' | 'let';
  exprs: Expr[];
  scope: Scope;
}

interface Scope {
  parent: Scope | undefined;
  bindings: Map<string, Binding>;
  /** Regular and hidden fields declared here: references to them are cross-field constraints. */
  fieldNames: Set<string>;
}

/** One conjunct to convert: an expression, where its names resolve, and whether a definition closes its structs. */
interface Operand {
  expr: Expr;
  scope: Scope;
  inDefinition: boolean;
}

interface FieldEntry {
  operand: Operand;
  constraint: FieldConstraint;
  line: number;
}

interface PatternEntry {
  label: Expr;
  operand: Operand;
  line: number;
}

/** The fields of one struct value, gathered from its literal, its embeddings and the definitions it uses. */
interface StructParts {
  fields: Map<string, FieldEntry[]>;
  hidden: { label: string; value: Expr; line: number }[];
  patterns: PatternEntry[];
  /** A definition or close() is involved: undeclared fields are not allowed. */
  isClosed: boolean;
  /**
   * Closed already on its own, as a referenced definition or close() is: in a conjunction it allows
   * only its own fields. (Struct literals written inside a definition are closed only once unified.)
   */
  isClosedByReference: boolean;
  /** `...` or something unreadable that may add fields: undeclared fields may be allowed. */
  isOpen: boolean;
  /** Definitions expanded into these parts; they count as "being expanded" until the struct is built. */
  bindings: Binding[];
}

interface Converted {
  schema: JsonSchema;
  /** Set when the value is one concrete literal (usable as a default or an enum member). */
  literal?: { value: LiteralValue };
}

const ANNOTATION_KEYS = new Set(['default', 'examples', 'description', 'title', 'markdownDescription', 'x-origin', 'x-ref']);
const BUILTIN_PACKAGES = new Set(['net', 'list', 'strings', 'math', 'time', 'regexp', 'struct', 'uuid', 'encoding/json', 'encoding/yaml']);

// CUE's predeclared numeric types that are bounded ints.
const BOUNDED_INTS: Record<string, [number, number]> = {
  int8: [-128, 127], int16: [-32768, 32767], int32: [-2147483648, 2147483647],
  int64: [-9223372036854775808, 9223372036854775807],
  uint8: [0, 255], uint16: [0, 65535], uint32: [0, 4294967295], uint64: [0, 18446744073709551615],
  rune: [0, 0x10ffff],
};

class CueConverter {
  private readonly imports = new Map<string, string>();
  private readonly expanding = new Set<Binding>();
  /** Cross-field references met while converting the current field; one note per field lists them. */
  private crossRefs: string[] = [];
  private hasNotedIpv6Cidr = false;

  constructor(
    private readonly file: ParsedFile,
    private readonly scanned: ScanResult,
    private readonly notes: NoteList,
  ) {
    for (const spec of file.imports) this.imports.set(spec.alias, spec.path);
  }

  convertFile(): SchemaReadResult {
    const fileScope = makeScope(this.file.decls, undefined);
    const parts = this.collectDecls(this.file.decls, fileScope, false, '');
    if (parts.fields.size === 0 && !parts.isClosed) {
      const isConfigDefined = fileScope.bindings.get('#Config')?.kind === 'definition';
      const isConfigUsed = this.file.decls.some((decl) => decl.kind === 'embed' && decl.value.kind === 'ident' && decl.value.name === '#Config');
      this.notes.add(
        1,
        '',
        isConfigDefined && !isConfigUsed
          ? '#Config is defined but not used at the top level (no bare "#Config" line), so cue vet would not apply it; nothing was read.'
          : 'no #Config struct or top-level fields found; nothing was read.',
      );
      return { schema: {}, isClosed: false, notes: this.notes.list() };
    }
    const isClosed = parts.isClosed && !parts.isOpen;
    return { schema: this.buildStruct(parts, ''), isClosed, notes: this.notes.list() };
  }

  // ----- structs

  private collectDecls(decls: Decl[], scope: Scope, inDefinition: boolean, path: string): StructParts {
    const parts: StructParts = { fields: new Map(), hidden: [], patterns: [], isClosed: inDefinition, isClosedByReference: false, isOpen: false, bindings: [] };
    for (const decl of decls) {
      switch (decl.kind) {
        case 'field':
          if (decl.labelKind === 'definition') break; // a binding, resolved through the scope
          if (decl.labelKind === 'hidden') {
            parts.hidden.push({ label: decl.label, value: decl.value, line: decl.line });
            break;
          }
          addFieldEntry(parts, decl.label, { operand: { expr: decl.value, scope, inDefinition }, constraint: decl.constraint, line: decl.line });
          break;
        case 'pattern':
          parts.patterns.push({ label: decl.label, operand: { expr: decl.value, scope, inDefinition }, line: decl.line });
          break;
        case 'dynamic':
          this.notes.add(decl.line, path, 'a field with a computed name is not read; other keys are allowed here.');
          parts.isOpen = true;
          break;
        case 'embed':
          if (this.isStructish(decl.value, scope)) mergeEmbedded(parts, this.collect({ expr: decl.value, scope, inDefinition }, path));
          else this.notes.add(decl.line, path, `the embedded value ${describeExpr(decl.value)} is not read.`);
          break;
        case 'ellipsis':
          parts.isOpen = true;
          break;
        case 'comprehension':
          this.collectComprehension(decl, parts, scope, inDefinition, path);
          break;
        case 'invalid': // already reported with the other syntax errors
        case 'let':
          break;
      }
    }
    return parts;
  }

  /**
   * A comprehension's condition is not evaluated. The fields its body declares are read as optional
   * (never required), so a value CUE accepts is still accepted; anything else in it opens the struct.
   */
  private collectComprehension(decl: Decl & { kind: 'comprehension' }, parts: StructParts, scope: Scope, inDefinition: boolean, path: string): void {
    const bodyScope = makeScope(decl.body, scope);
    const body = this.collectDecls(decl.body, bodyScope, inDefinition, path);
    const names = [...body.fields.keys()];
    for (const [name, entries] of body.fields) {
      for (const entry of entries) addFieldEntry(parts, name, { ...entry, constraint: 'optional' });
    }
    parts.hidden.push(...body.hidden);
    parts.bindings.push(...body.bindings);
    const hasUnreadableFields = body.patterns.length > 0 || body.isOpen;
    if (hasUnreadableFields) parts.isOpen = true;
    const keyword = decl.hasFor ? 'for' : decl.keyword;
    const what = names.length > 0 ? `the fields it adds (${names.join(', ')}) are read as optional` : 'it adds no fields that can be read';
    this.notes.add(decl.line, path, `"${keyword}" comprehension: its clauses are not evaluated; ${what}${hasUnreadableFields ? ', and other keys are allowed here' : ''}.`);
  }

  /** The struct parts of an operand that is a struct literal, a definition, close(), or a conjunction of those. */
  private collect(operand: Operand, path: string): StructParts {
    const { expr, scope } = operand;
    switch (expr.kind) {
      case 'struct':
        return this.collectDecls(expr.decls, makeScope(expr.decls, scope), operand.inDefinition, path);
      case 'ident': {
        const found = lookup(scope, expr.name);
        if (found?.kind !== 'binding') break;
        const binding = found.binding;
        if (this.expanding.has(binding)) {
          this.notes.add(expr.line, path, `${binding.name} refers to itself; the recursive part is not expanded and allows any keys.`);
          return openParts();
        }
        // Field values are converted later, in buildStruct, which releases the binding: a definition
        // that contains itself (`#Node: { children?: [...#Node] }`) is caught there.
        this.expanding.add(binding);
        const isDefinition = binding.kind === 'definition';
        const parts = this.collectConjunction(
          binding.exprs.map((e) => ({ expr: e, scope: binding.scope, inDefinition: isDefinition || operand.inDefinition })),
          path,
        );
        parts.bindings.push(binding);
        if (isDefinition) {
          parts.isClosed = true;
          parts.isClosedByReference = true;
        }
        return parts;
      }
      case 'call':
        if (expr.callee.kind === 'ident' && expr.callee.name === 'close' && expr.args.length === 1) {
          const parts = this.collect({ ...operand, expr: expr.args[0] }, path);
          parts.isClosed = true;
          parts.isClosedByReference = true;
          return parts;
        }
        break;
      case 'and':
        return this.collectConjunction(expr.items.map((item) => ({ ...operand, expr: item })), path);
      default:
        break;
    }
    this.notes.add(expr.line, path, `${describeExpr(expr)} is not read as a struct; other keys are allowed here.`);
    return openParts();
  }

  /**
   * Struct conjunction: constraints of fields with the same name add up. A closed part allows only
   * its own fields, so the allowed set is the intersection over the closed parts (CUE's rule).
   */
  private collectConjunction(operands: Operand[], path: string): StructParts {
    const all: StructParts[] = [];
    for (const operand of operands) {
      if (this.isStructish(operand.expr, operand.scope)) all.push(this.collect(operand, path));
      else this.notes.add(operand.expr.line, path, `${describeExpr(operand.expr)} in a struct conjunction is not read.`);
    }
    if (all.length === 1) return all[0];
    const result: StructParts = { fields: new Map(), hidden: [], patterns: [], isClosed: false, isClosedByReference: false, isOpen: false, bindings: [] };
    for (const parts of all) {
      for (const [name, entries] of parts.fields) for (const entry of entries) addFieldEntry(result, name, entry);
      result.hidden.push(...parts.hidden);
      result.patterns.push(...parts.patterns);
      result.bindings.push(...parts.bindings);
    }
    result.isClosed = all.some((parts) => parts.isClosed);
    const closedParts = all.filter((parts) => parts.isClosedByReference && !parts.isOpen && parts.patterns.length === 0);
    if (closedParts.length === 0) {
      result.isOpen = all.some((parts) => parts.isOpen);
      return result;
    }
    result.isClosedByReference = true;
    for (const [name, entries] of [...result.fields]) {
      if (closedParts.every((parts) => parts.fields.has(name))) continue;
      this.notes.add(entries[0].line, joinPath(path, name), 'a closed definition joined with "&" does not allow this field (cue vet rejects such a schema); it is left out.');
      result.fields.delete(name);
    }
    return result;
  }

  private isStructish(expr: Expr, scope: Scope, seen?: Set<Binding>): boolean {
    switch (expr.kind) {
      case 'struct':
        return true;
      case 'ident': {
        const found = lookup(scope, expr.name);
        if (found?.kind !== 'binding' || seen?.has(found.binding)) return false;
        const binding = found.binding;
        const seenNow = seen ?? new Set<Binding>();
        seenNow.add(binding);
        return binding.exprs.every((e) => this.isStructish(e, binding.scope, seenNow));
      }
      case 'call':
        return expr.callee.kind === 'ident' && expr.callee.name === 'close' && expr.args.length === 1 && this.isStructish(expr.args[0], scope, seen);
      case 'and':
        return expr.items.every((item) => this.isStructish(item, scope, seen));
      default:
        return false;
    }
  }

  private buildStruct(parts: StructParts, path: string): JsonSchema {
    const properties: Record<string, JsonSchema> = {};
    const required: string[] = [];
    for (const [name, entries] of parts.fields) {
      const fieldPath = joinPath(path, name);
      const outerRefs = this.crossRefs;
      this.crossRefs = [];
      const converted = this.convertConjunction(entries.map((entry) => entry.operand), fieldPath);
      const refs = [...new Set(this.crossRefs)];
      this.crossRefs = outerRefs;
      if (refs.length > 0) {
        this.notes.add(
          entries[0].line,
          fieldPath,
          `cross-field constraint${refs.length > 1 ? 's' : ''} ${refs.join(', ')} skipped (references to other fields are not converted).`,
        );
      }
      const schema = converted.schema;
      for (const pattern of parts.patterns) {
        const matcher = this.patternMatcher(pattern, path);
        if (matcher.kind === 'all' || (matcher.kind === 'regex' && new RegExp(matcher.source, 'u').test(name))) {
          mergeSchemas(schema, this.convertOperand(pattern.operand, fieldPath).schema, (message) => this.notes.add(pattern.line, fieldPath, message));
        }
      }
      this.annotate(schema, entries[0].line);
      const hasDefault = 'default' in schema || converted.literal !== undefined;
      const isOptional = entries.every((entry) => entry.constraint === 'optional');
      const isMarkedRequired = entries.some((entry) => entry.constraint === 'required');
      // A field with a default or a concrete value need not be written: CUE fills it in.
      if (isMarkedRequired || (!isOptional && !hasDefault)) required.push(name);
      properties[name] = schema;
    }
    for (const hidden of parts.hidden) this.noteHiddenField(hidden, path);
    const schema: JsonSchema = { type: 'object', properties };
    if (required.length > 0) schema.required = required;
    let isOpen = parts.isOpen;
    const patternProperties: Record<string, JsonSchema> = {};
    for (const pattern of parts.patterns) {
      const matcher = this.patternMatcher(pattern, path);
      const valueSchema = this.convertOperand(pattern.operand, joinPath(path, '*')).schema;
      if (matcher.kind === 'all') schema.additionalProperties = valueSchema;
      else if (matcher.kind === 'regex') patternProperties[matcher.source] = valueSchema;
      else isOpen = true;
    }
    if (Object.keys(patternProperties).length > 0) schema.patternProperties = patternProperties;
    if (parts.isClosed && !isOpen && schema.additionalProperties === undefined) schema.additionalProperties = false;
    for (const binding of parts.bindings) this.expanding.delete(binding);
    return schema;
  }

  private patternMatcher(pattern: PatternEntry, path: string): { kind: 'all' } | { kind: 'regex'; source: string } | { kind: 'unreadable' } {
    const label = pattern.label;
    if (label.kind === 'ident' && label.name === 'string' && !lookup(pattern.operand.scope, 'string')) return { kind: 'all' };
    if (label.kind === 'top') return { kind: 'all' };
    if (label.kind === 'unary' && label.op === '=~' && label.operand.kind === 'literal' && typeof label.operand.value === 'string') {
      const converted = convertRe2Pattern(label.operand.value);
      if ('pattern' in converted) return { kind: 'regex', source: converted.pattern };
      this.notes.add(pattern.line, path, `the field pattern "${label.operand.value}" is not read (${converted.problem}); other keys are allowed here.`);
      return { kind: 'unreadable' };
    }
    this.notes.add(pattern.line, path, `the field pattern [${describeExpr(label)}] is not read; other keys are allowed here.`);
    return { kind: 'unreadable' };
  }

  private noteHiddenField(hidden: { label: string; value: Expr; line: number }, path: string): void {
    const checks = [...new Set(collectCheckNames(hidden.value))];
    const inside = checks.length > 0 ? `; the checks inside it (${checks.join(', ')}) are not converted` : '';
    this.notes.add(hidden.line, path, `hidden field ${hidden.label} skipped: hidden fields are not part of the data${inside}.`);
  }

  /** Doc comments (the comment lines right above a field, and the comment after it) as description and links. */
  private annotate(schema: JsonSchema, line: number): void {
    schema['x-origin'] = 'workspace-cue';
    const lines: string[] = [];
    for (let above = line - 1; this.scanned.ownLineComments.has(above); above--) lines.unshift(this.scanned.ownLineComments.get(above) ?? '');
    const trailing = this.scanned.trailingComments.get(line);
    if (trailing !== undefined) lines.push(trailing);
    const refs: string[] = [];
    const text: string[] = [];
    for (const commentLine of lines) {
      const ref = /^REF:\s*(\S+)/.exec(commentLine);
      if (ref) refs.push(ref[1]);
      else if (commentLine !== '') text.push(commentLine);
    }
    if (text.length > 0 && schema.description === undefined) schema.description = text.join('\n');
    if (refs.length > 0) schema['x-ref'] = refs;
  }

  // ----- expressions

  private convertOperand(operand: Operand, path: string): Converted {
    return this.convertExpr(operand.expr, operand.scope, operand.inDefinition, path);
  }

  private convertConjunction(operands: Operand[], path: string): Converted {
    const flat: Operand[] = [];
    const flatten = (operand: Operand): void => {
      if (operand.expr.kind === 'and' && !this.isStructish(operand.expr, operand.scope)) {
        for (const item of operand.expr.items) flatten({ ...operand, expr: item });
      } else flat.push(operand);
    };
    operands.forEach(flatten);
    if (flat.length === 1) return this.convertOperand(flat[0], path);
    const structOperands = flat.filter((operand) => this.isStructish(operand.expr, operand.scope));
    const others = flat.filter((operand) => !structOperands.includes(operand));
    const schema: JsonSchema = structOperands.length > 0 ? this.buildStruct(this.collectConjunction(structOperands, path), path) : {};
    const converted = others.map((operand) => this.convertOperand(operand, path));
    for (let k = 0; k < converted.length; k++) {
      mergeSchemas(schema, converted[k].schema, (message) => this.notes.add(others[k].expr.line, path, message));
    }
    finalizeConjunction(schema);
    let literal: Converted['literal'];
    const literals = converted.filter((c) => c.literal !== undefined);
    if (structOperands.length === 0 && literals.length > 0) {
      const value = literals[0].literal?.value as LiteralValue;
      const isConcrete = converted.every((c) => (c.literal ? deepEqual(c.literal.value, value) : satisfies(c.schema, value) === true));
      if (isConcrete) literal = { value };
    }
    return literal ? { schema, literal } : { schema };
  }

  private convertExpr(expr: Expr, scope: Scope, inDefinition: boolean, path: string): Converted {
    if (this.isStructish(expr, scope)) {
      return { schema: this.buildStruct(this.collect({ expr, scope, inDefinition }, path), path) };
    }
    switch (expr.kind) {
      case 'literal':
        return literalConverted(expr.value, expr.isFloat === true);
      case 'ident':
        return this.convertIdent(expr, scope, inDefinition, path);
      case 'selector':
        return this.convertSelector(expr, scope, path);
      case 'call':
        return this.convertCall(expr, scope, path);
      case 'unary':
        return this.convertUnary(expr, scope, inDefinition, path);
      case 'and':
        return this.convertConjunction(expr.items.map((item) => ({ expr: item, scope, inDefinition })), path);
      case 'or':
        return this.convertDisjunction(expr, scope, inDefinition, path);
      case 'list':
        return this.convertList(expr, scope, inDefinition, path);
      case 'top':
        return { schema: {} };
      case 'bottom':
        return this.skip(expr, path, '_|_ (bottom) is not converted; the constraint is skipped.');
      case 'comprehension':
        return this.skip(expr, path, `a "${expr.keyword}" comprehension is not converted; the constraint is skipped.`);
      case 'unsupported':
        return this.skip(expr, path, `${expr.what} is not supported; the constraint is skipped.`);
      case 'invalid':
        return { schema: {} }; // already reported with the other syntax errors
      case 'struct':
        return { schema: {} }; // unreachable: structs are structish
    }
  }

  private skip(expr: Expr, path: string, message: string): Converted {
    this.notes.add(expr.line, path, message);
    return { schema: {} };
  }

  private convertIdent(expr: Expr & { kind: 'ident' }, scope: Scope, inDefinition: boolean, path: string): Converted {
    const found = lookup(scope, expr.name);
    if (found?.kind === 'field') {
      this.crossRefs.push(expr.name);
      return { schema: {} };
    }
    if (found?.kind === 'binding') {
      const binding = found.binding;
      if (this.expanding.has(binding)) return this.skip(expr, path, `${binding.name} refers to itself; the recursive part is not expanded.`);
      this.expanding.add(binding);
      const isDefinition = binding.kind === 'definition';
      const converted = this.convertConjunction(
        binding.exprs.map((e) => ({ expr: e, scope: binding.scope, inDefinition: isDefinition || inDefinition })),
        path,
      );
      this.expanding.delete(binding);
      return converted;
    }
    switch (expr.name) {
      case 'string':
        return { schema: { type: 'string' } };
      case 'bool':
        return { schema: { type: 'boolean' } };
      case 'int':
        return { schema: { type: 'integer' } };
      case 'uint':
        return { schema: { type: 'integer', minimum: 0 } };
      case 'number':
      case 'float':
      case 'float32':
      case 'float64':
        return { schema: { type: 'number' } };
      case 'bytes':
        return this.skip(expr, path, 'bytes values are not supported; the constraint is skipped.');
      default:
        break;
    }
    const bounds = BOUNDED_INTS[expr.name];
    if (bounds) return { schema: { type: 'integer', minimum: bounds[0], maximum: bounds[1] } };
    return this.skip(expr, path, `the reference "${expr.name}" cannot be resolved; the constraint is skipped.`);
  }

  private packageOf(name: string, scope: Scope): string | undefined {
    if (lookup(scope, name)) return undefined;
    return this.imports.get(name) ?? (BUILTIN_PACKAGES.has(name) ? name : undefined);
  }

  private convertSelector(expr: Expr & { kind: 'selector' }, scope: Scope, path: string): Converted {
    const found = lookup(scope, expr.path[0]);
    if (found?.kind === 'field') {
      this.crossRefs.push(expr.path.join('.'));
      return { schema: {} };
    }
    const packagePath = this.packageOf(expr.path[0], scope);
    if (packagePath === undefined || expr.path.length !== 2) {
      return this.skip(expr, path, `the reference "${expr.path.join('.')}" cannot be resolved; the constraint is skipped.`);
    }
    return this.convertBuiltin(packagePath, expr.path[1], undefined, expr, path);
  }

  private convertCall(expr: Expr & { kind: 'call' }, scope: Scope, path: string): Converted {
    const callee = expr.callee;
    if (callee.kind === 'selector' && callee.path.length === 2) {
      const packagePath = this.packageOf(callee.path[0], scope);
      if (packagePath !== undefined) return this.convertBuiltin(packagePath, callee.path[1], expr.args, expr, path);
    }
    return this.skip(expr, path, `${describeExpr(expr)} is not supported; the constraint is skipped.`);
  }

  private convertBuiltin(packagePath: string, member: string, args: Expr[] | undefined, expr: Expr, path: string): Converted {
    const name = `${packagePath}.${member}`;
    const hasNoArgs = args === undefined || args.length === 0;
    const countArg = args?.length === 1 ? literalOf(args[0]) : undefined;
    const count = typeof countArg?.value === 'number' && Number.isInteger(countArg.value) && countArg.value >= 0 ? countArg.value : undefined;
    switch (name) {
      case 'net.IPv4':
        if (hasNoArgs) return { schema: { type: 'string', format: 'ipv4' } };
        break;
      case 'net.IPCIDR':
        if (!hasNoArgs) break;
        if (!this.hasNotedIpv6Cidr) {
          this.hasNotedIpv6Cidr = true;
          this.notes.add(expr.line, path, 'net.IPCIDR is read as an IPv4 CIDR (format ipv4-cidr); CUE also accepts IPv6 CIDRs.');
        }
        return { schema: { type: 'string', format: 'ipv4-cidr' } };
      case 'net.FQDN':
        if (hasNoArgs) return { schema: { type: 'string', format: 'fqdn' } };
        break;
      case 'list.UniqueItems':
        if (hasNoArgs) return { schema: { type: 'array', uniqueItems: true } };
        break;
      case 'list.MinItems':
        if (count !== undefined) return { schema: { type: 'array', minItems: count } };
        break;
      case 'list.MaxItems':
        if (count !== undefined) return { schema: { type: 'array', maxItems: count } };
        break;
      case 'strings.MinRunes':
        // JSON Schema counts code points, as CUE counts runes.
        if (count !== undefined) return { schema: { type: 'string', minLength: count } };
        break;
      case 'strings.MaxRunes':
        if (count !== undefined) return { schema: { type: 'string', maxLength: count } };
        break;
      default:
        break;
    }
    return this.skip(expr, path, `${describeExpr(expr)} is not supported; the constraint is skipped.`);
  }

  private convertUnary(expr: Expr & { kind: 'unary' }, scope: Scope, inDefinition: boolean, path: string): Converted {
    const operand = expr.operand;
    const literal = literalOf(operand);
    const reference = referenceText(operand, scope);
    switch (expr.op) {
      case '*':
        return this.convertDisjunction({ kind: 'or', items: [expr], line: expr.line }, scope, inDefinition, path);
      case '-':
      case '+':
        if (literal && typeof literal.value === 'number') {
          const value = expr.op === '-' ? -literal.value : literal.value;
          return literalConverted(value, operand.kind === 'literal' && operand.isFloat === true);
        }
        break;
      case '!=':
        if (literal) return { schema: { not: { const: literal.value } } };
        if (reference) {
          this.crossRefs.push(`!=${reference}`);
          return { schema: {} };
        }
        break;
      case '=~':
      case '!~':
        if (literal && typeof literal.value === 'string') {
          const converted = convertRe2Pattern(literal.value);
          if ('problem' in converted) {
            this.notes.add(expr.line, path, `the pattern ${JSON.stringify(literal.value)} is skipped (${converted.problem}).`);
            return { schema: { type: 'string' } };
          }
          return { schema: expr.op === '=~' ? { type: 'string', pattern: converted.pattern } : { type: 'string', not: { pattern: converted.pattern } } };
        }
        if (reference) {
          this.crossRefs.push(`${expr.op}${reference}`);
          return { schema: {} };
        }
        break;
      case '<':
      case '<=':
      case '>':
      case '>=':
        if (literal && typeof literal.value === 'number') {
          const keyword = { '<': 'exclusiveMaximum', '<=': 'maximum', '>': 'exclusiveMinimum', '>=': 'minimum' }[expr.op];
          return { schema: { type: 'number', [keyword]: literal.value } };
        }
        if (literal && typeof literal.value === 'string') {
          return this.skip(expr, path, `the bound ${expr.op}${JSON.stringify(literal.value)} compares strings lexically; it is skipped.`);
        }
        if (reference) {
          this.crossRefs.push(`${expr.op}${reference}`);
          return { schema: {} };
        }
        break;
      default:
        break;
    }
    return this.skip(expr, path, `${describeExpr(expr)} is not supported; the constraint is skipped.`);
  }

  /**
   * `*"a" | "b"` becomes an enum with a default. A literal that another alternative already accepts
   * (`*"10.42.0.0/16" | net.IPCIDR`) adds nothing to validation; it stays as the default or an example.
   */
  private convertDisjunction(expr: Expr & { kind: 'or' }, scope: Scope, inDefinition: boolean, path: string): Converted {
    const alternatives = expr.items.map((item) => {
      let inner = item;
      let isDefault = false;
      while (inner.kind === 'unary' && inner.op === '*') {
        inner = inner.operand;
        isDefault = true;
      }
      return { isDefault, line: item.line, converted: this.convertExpr(inner, scope, inDefinition, path) };
    });
    let defaultValue: { value: LiteralValue } | undefined;
    const defaults = alternatives.filter((alternative) => alternative.isDefault);
    if (defaults.some((alternative) => alternative.converted.literal === undefined)) {
      this.notes.add(expr.line, path, 'a default marked with "*" is not a concrete value; no default is taken.');
    } else if (defaults.length > 0) {
      const values = uniqueValues(defaults.map((alternative) => alternative.converted.literal?.value as LiteralValue));
      if (values.length === 1) defaultValue = { value: values[0] };
      else this.notes.add(expr.line, path, 'several different defaults are marked with "*"; no default is taken.');
    }
    const others = alternatives.filter((alternative) => !alternative.converted.literal).map((alternative) => alternative.converted.schema);
    const literals = uniqueValues(
      alternatives.filter((alternative) => alternative.converted.literal).map((alternative) => alternative.converted.literal?.value as LiteralValue),
    );
    let schema: JsonSchema;
    if (others.some(isUnconstrained)) {
      schema = {};
    } else {
      const kept: LiteralValue[] = [];
      const subsumed: LiteralValue[] = [];
      for (const value of literals) (others.some((other) => satisfies(other, value) === true) ? subsumed : kept).push(value);
      if (others.length === 0) schema = enumSchema(kept);
      else if (kept.length === 0 && others.length === 1) schema = others[0];
      else {
        const branches = [...others];
        if (kept.length > 0) branches.push(kept.length === 1 ? { const: kept[0] } : { enum: kept });
        schema = branches.every((branch) => Object.keys(branch).length === 1 && branch.type !== undefined)
          ? { type: [...new Set(branches.flatMap((branch) => (Array.isArray(branch.type) ? branch.type : [branch.type as JsonType])))] }
          : { anyOf: branches };
      }
      // Literals that add no constraint still name values worth offering in completion.
      const examples = subsumed.filter((value) => !(defaultValue && deepEqual(value, defaultValue.value)));
      if (examples.length > 0) schema.examples = uniqueValues([...((schema.examples as LiteralValue[] | undefined) ?? []), ...examples]);
    }
    if (defaultValue) schema.default = defaultValue.value;
    const single = alternatives.length === 1 ? alternatives[0].converted.literal : undefined;
    return single ? { schema, literal: single } : { schema };
  }

  private convertList(expr: Expr & { kind: 'list' }, scope: Scope, inDefinition: boolean, path: string): Converted {
    const literal = literalOf(expr);
    if (literal) return literalConverted(literal.value, false);
    if (expr.elements.length === 0) {
      const schema: JsonSchema = { type: 'array' };
      if (expr.rest) {
        const items = this.convertExpr(expr.rest, scope, inDefinition, `${path}[]`).schema;
        if (!isUnconstrained(items)) schema.items = items;
      }
      return { schema };
    }
    const hasComprehension = expr.elements.some((element) => element.kind === 'comprehension');
    this.notes.add(
      expr.line,
      path,
      hasComprehension
        ? 'a list comprehension is not converted; only "a list" is checked.'
        : 'a list with fixed elements is not converted; only "a list" is checked.',
    );
    return { schema: { type: 'array' } };
  }
}

function makeScope(decls: Decl[], parent: Scope | undefined): Scope {
  const scope: Scope = { parent, bindings: new Map(), fieldNames: new Set() };
  for (const decl of decls) {
    if (decl.kind === 'field') {
      if (decl.labelKind === 'definition') {
        const existing = scope.bindings.get(decl.label);
        if (existing) existing.exprs.push(decl.value);
        else scope.bindings.set(decl.label, { name: decl.label, kind: 'definition', exprs: [decl.value], scope });
      } else scope.fieldNames.add(decl.label);
      // `X=field: ...` names the field X for references: using X is a cross-field reference.
      if (decl.alias !== undefined) scope.fieldNames.add(decl.alias);
    } else if (decl.kind === 'let') {
      scope.bindings.set(decl.name, { name: decl.name, kind: 'let', exprs: [decl.value], scope });
    }
  }
  return scope;
}

function lookup(scope: Scope | undefined, name: string): { kind: 'binding'; binding: Binding } | { kind: 'field' } | undefined {
  for (let current = scope; current; current = current.parent) {
    const binding = current.bindings.get(name);
    if (binding) return { kind: 'binding', binding };
    if (current.fieldNames.has(name)) return { kind: 'field' };
  }
  return undefined;
}

function referenceText(expr: Expr, scope: Scope): string | undefined {
  if (expr.kind === 'ident' && lookup(scope, expr.name)?.kind === 'field') return expr.name;
  if (expr.kind === 'selector' && lookup(scope, expr.path[0])?.kind === 'field') return expr.path.join('.');
  return undefined;
}

function addFieldEntry(parts: StructParts, name: string, entry: FieldEntry): void {
  const entries = parts.fields.get(name);
  if (entries) entries.push(entry);
  else parts.fields.set(name, [entry]);
}

function mergeEmbedded(target: StructParts, embedded: StructParts): void {
  for (const [name, entries] of embedded.fields) for (const entry of entries) addFieldEntry(target, name, entry);
  target.hidden.push(...embedded.hidden);
  target.patterns.push(...embedded.patterns);
  target.bindings.push(...embedded.bindings);
  target.isClosed ||= embedded.isClosed;
  target.isClosedByReference ||= embedded.isClosedByReference;
  target.isOpen ||= embedded.isOpen;
}

function openParts(): StructParts {
  return { fields: new Map(), hidden: [], patterns: [], isClosed: false, isClosedByReference: false, isOpen: true, bindings: [] };
}

function joinPath(path: string, name: string): string {
  return path ? `${path}.${name}` : name;
}

/** How a note names an expression: its CUE text in backticks where it has a short one, else a phrase. */
function describeExpr(expr: Expr): string {
  const code = codeText(expr);
  if (code !== undefined) return `\`${code}\``;
  switch (expr.kind) {
    case 'and':
      return 'a conjunction';
    case 'or':
      return 'a disjunction';
    case 'list':
      return 'a list';
    case 'struct':
      return 'a struct';
    case 'comprehension':
      return `a "${expr.keyword}" comprehension`;
    case 'unsupported':
      return expr.what;
    default:
      return 'unreadable text';
  }
}

function codeText(expr: Expr): string | undefined {
  switch (expr.kind) {
    case 'ident':
      return expr.name;
    case 'selector':
      return expr.path.join('.');
    case 'literal':
      return JSON.stringify(expr.value);
    case 'top':
      return '_';
    case 'bottom':
      return '_|_';
    case 'unary': {
      const operand = codeText(expr.operand);
      return operand === undefined ? undefined : `${expr.op}${operand}`;
    }
    case 'call': {
      const callee = codeText(expr.callee);
      return callee === undefined ? undefined : `${callee}(${expr.args.map((arg) => codeText(arg) ?? '…').join(', ')})`;
    }
    default:
      return undefined;
  }
}

/** Names of the checks inside a skipped hidden field, for its note. */
function collectCheckNames(expr: Expr): string[] {
  const names: string[] = [];
  const visitDecls = (decls: Decl[]): void => {
    for (const decl of decls) {
      if (decl.kind === 'field' || decl.kind === 'embed' || decl.kind === 'let' || decl.kind === 'pattern') visit(decl.value);
      else if (decl.kind === 'comprehension') {
        names.push(`"${decl.hasFor ? 'for' : decl.keyword}" comprehension`);
        visitDecls(decl.body);
      }
    }
  };
  const visit = (node: Expr): void => {
    switch (node.kind) {
      case 'call':
        if (node.callee.kind === 'selector') names.push(`${node.callee.path.join('.')}()`);
        node.args.forEach(visit);
        break;
      case 'selector':
        if (node.path[0] === 'list' || node.path[0] === 'strings') names.push(node.path.join('.'));
        break;
      case 'unary':
        visit(node.operand);
        break;
      case 'and':
      case 'or':
        node.items.forEach(visit);
        break;
      case 'list':
        node.elements.forEach(visit);
        if (node.rest) visit(node.rest);
        break;
      case 'struct':
        visitDecls(node.decls);
        break;
      case 'comprehension':
        names.push(`"${node.hasFor ? 'for' : node.keyword}" comprehension`);
        visitDecls(node.body);
        break;
      default:
        break;
    }
  };
  visit(expr);
  return names;
}

// ---------------------------------------------------------------------------------------------
// Literals and schema algebra

function literalOf(expr: Expr): { value: LiteralValue } | undefined {
  switch (expr.kind) {
    case 'literal':
      return { value: expr.value };
    case 'unary': {
      if (expr.op !== '-' && expr.op !== '+') return undefined;
      const inner = literalOf(expr.operand);
      if (!inner || typeof inner.value !== 'number') return undefined;
      return { value: expr.op === '-' ? -inner.value : inner.value };
    }
    case 'list': {
      if (expr.hasRest) return undefined;
      const values: LiteralValue[] = [];
      for (const element of expr.elements) {
        const value = literalOf(element);
        if (!value) return undefined;
        values.push(value.value);
      }
      return { value: values };
    }
    default:
      return undefined;
  }
}

function jsonTypeOf(value: LiteralValue, isFloat = false): JsonType {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) && !isFloat ? 'integer' : 'number';
  return typeof value === 'boolean' ? 'boolean' : 'string';
}

function literalConverted(value: LiteralValue, isFloat: boolean): Converted {
  return { schema: { type: jsonTypeOf(value, isFloat), const: value }, literal: { value } };
}

function enumSchema(values: LiteralValue[]): JsonSchema {
  const types = new Set(values.map((value) => jsonTypeOf(value)));
  if (types.has('integer') && types.has('number')) types.delete('integer');
  const schema: JsonSchema = { enum: values };
  if (types.size === 1) schema.type = [...types][0];
  return schema;
}

function isUnconstrained(schema: JsonSchema): boolean {
  return Object.keys(schema).every((key) => ANNOTATION_KEYS.has(key));
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, k) => deepEqual(item, b[k]));
  return false;
}

function uniqueValues(values: LiteralValue[]): LiteralValue[] {
  const out: LiteralValue[] = [];
  for (const value of values) if (!out.some((existing) => deepEqual(existing, value))) out.push(value);
  return out;
}

const LOWER_BOUND_KEYS = new Set(['minimum', 'exclusiveMinimum', 'minLength', 'minItems']);
const UPPER_BOUND_KEYS = new Set(['maximum', 'exclusiveMaximum', 'maxLength', 'maxItems']);

/**
 * Adds `source`'s constraints to `target` (a conjunction). Keywords that combine simply are combined;
 * anything else goes into allOf, which is exact for a conjunction.
 */
function mergeSchemas(target: JsonSchema, source: JsonSchema, note: (message: string) => void): void {
  for (const [key, value] of Object.entries(source)) {
    if (value === undefined) continue;
    const existing = target[key];
    if (existing === undefined) {
      target[key] = value;
      continue;
    }
    if (JSON.stringify(existing) === JSON.stringify(value)) continue;
    if (key === 'type') {
      const type = intersectTypes(existing as JsonSchema['type'], value as JsonSchema['type']);
      if (type !== undefined) target.type = type;
      else pushAllOf(target, { type: value as JsonType });
    } else if (LOWER_BOUND_KEYS.has(key)) target[key] = Math.max(existing as number, value as number);
    else if (UPPER_BOUND_KEYS.has(key)) target[key] = Math.min(existing as number, value as number);
    else if (key === 'uniqueItems') target.uniqueItems = true;
    else if (key === 'not') target.not = combineNegations(existing as JsonSchema, value as JsonSchema);
    else if (key === 'enum') {
      const common = (existing as LiteralValue[]).filter((item) => (value as LiteralValue[]).some((other) => deepEqual(item, other)));
      if (common.length > 0) target.enum = common;
      else pushAllOf(target, { enum: value as unknown[] });
    } else if (key === 'items') mergeSchemas(existing as JsonSchema, value as JsonSchema, note);
    else if (key === 'examples') target.examples = uniqueValues([...(existing as LiteralValue[]), ...(value as LiteralValue[])]);
    else if (key === 'default') {
      note('the combined values mark different defaults; no default is taken.');
      delete target.default;
    } else if (key === 'description' || key === 'x-origin' || key === 'x-ref') continue;
    else pushAllOf(target, { [key]: value });
  }
}

function pushAllOf(target: JsonSchema, schema: JsonSchema): void {
  target.allOf = [...(target.allOf ?? []), schema];
}

function intersectTypes(a: JsonSchema['type'], b: JsonSchema['type']): JsonSchema['type'] | undefined {
  const left = Array.isArray(a) ? a : a ? [a] : [];
  const right = Array.isArray(b) ? b : b ? [b] : [];
  const result = new Set<JsonType>();
  for (const x of left) {
    for (const y of right) {
      if (x === y) result.add(x);
      else if ((x === 'integer' && y === 'number') || (x === 'number' && y === 'integer')) result.add('integer');
    }
  }
  if (result.size === 0) return undefined;
  return result.size === 1 ? [...result][0] : [...result];
}

/** not A and not B: `not: { enum: [a, b] }` for literals, `not: { anyOf: [...] }` otherwise. */
function combineNegations(a: JsonSchema, b: JsonSchema): JsonSchema {
  const valuesOf = (schema: JsonSchema): LiteralValue[] | undefined => {
    const keys = Object.keys(schema);
    if (keys.length !== 1) return undefined;
    if (keys[0] === 'const') return [schema.const as LiteralValue];
    if (keys[0] === 'enum') return schema.enum as LiteralValue[];
    return undefined;
  };
  const left = valuesOf(a);
  const right = valuesOf(b);
  if (left && right) return { enum: uniqueValues([...left, ...right]) };
  const branches = (schema: JsonSchema): JsonSchema[] => (Object.keys(schema).length === 1 && schema.anyOf ? schema.anyOf : [schema]);
  return { anyOf: [...branches(a), ...branches(b)] };
}

/** `!=""` on a string is the same as "at least one character", which reads better in messages. */
function finalizeConjunction(schema: JsonSchema): void {
  if (schema.type !== 'string' || !schema.not) return;
  const not = schema.not;
  if (Object.keys(not).length !== 1) return;
  if (not.const === '') {
    delete schema.not;
  } else if (Array.isArray(not.enum) && not.enum.includes('')) {
    const rest = not.enum.filter((value) => value !== '');
    schema.not = rest.length === 1 ? { const: rest[0] } : { enum: rest };
  } else return;
  schema.minLength = Math.max(schema.minLength ?? 0, 1);
}

/**
 * Whether a literal passes a schema this module produced: true, false, or undefined when that
 * cannot be decided here (then the literal is kept as its own alternative, never dropped).
 */
function satisfies(schema: JsonSchema, value: LiteralValue): boolean | undefined {
  let isKnown = true;
  const isString = typeof value === 'string';
  const isNumber = typeof value === 'number';
  for (const [key, expected] of Object.entries(schema)) {
    if (expected === undefined || ANNOTATION_KEYS.has(key)) continue;
    let result: boolean | undefined;
    switch (key) {
      case 'type': {
        const types = Array.isArray(expected) ? expected : [expected];
        const actual = jsonTypeOf(value);
        result = types.includes(actual) || (actual === 'integer' && types.includes('number'));
        break;
      }
      case 'const':
        result = deepEqual(expected, value);
        break;
      case 'enum':
        result = (expected as LiteralValue[]).some((item) => deepEqual(item, value));
        break;
      case 'minLength':
        result = !isString || [...value].length >= (expected as number);
        break;
      case 'maxLength':
        result = !isString || [...value].length <= (expected as number);
        break;
      case 'pattern':
        result = !isString || new RegExp(expected as string, 'u').test(value);
        break;
      case 'format':
        result = !isString ? true : checkFormat(expected as string, value);
        break;
      case 'minimum':
        result = !isNumber || value >= (expected as number);
        break;
      case 'maximum':
        result = !isNumber || value <= (expected as number);
        break;
      case 'exclusiveMinimum':
        result = !isNumber || value > (expected as number);
        break;
      case 'exclusiveMaximum':
        result = !isNumber || value < (expected as number);
        break;
      case 'not': {
        const inner = satisfies(expected as JsonSchema, value);
        result = inner === undefined ? undefined : !inner;
        break;
      }
      case 'allOf': {
        const results = (expected as JsonSchema[]).map((branch) => satisfies(branch, value));
        result = results.includes(false) ? false : results.includes(undefined) ? undefined : true;
        break;
      }
      case 'anyOf': {
        const results = (expected as JsonSchema[]).map((branch) => satisfies(branch, value));
        result = results.includes(true) ? true : results.includes(undefined) ? undefined : false;
        break;
      }
      case 'items':
        if (!Array.isArray(value)) result = true;
        else {
          const results = value.map((item) => satisfies(expected as JsonSchema, item));
          result = results.includes(false) ? false : results.includes(undefined) ? undefined : true;
        }
        break;
      case 'uniqueItems':
        result = !Array.isArray(value) || uniqueValues(value).length === value.length;
        break;
      case 'minItems':
        result = !Array.isArray(value) || value.length >= (expected as number);
        break;
      case 'maxItems':
        result = !Array.isArray(value) || value.length <= (expected as number);
        break;
      default:
        result = undefined;
    }
    if (result === false) return false;
    if (result === undefined) isKnown = false;
  }
  return isKnown ? true : undefined;
}

function checkFormat(format: string, value: string): boolean | undefined {
  if (format === 'ipv4') return parseIPv4(value) !== undefined;
  if (format === 'ipv4-cidr') return parseCidr(value) !== undefined;
  if (format === 'fqdn') return isFqdn(value);
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// RE2 (CUE's regular expressions) to JavaScript, as ajv compiles patterns: `new RegExp(p, 'u')`.

// Outside a class, unicode-mode JavaScript allows `\` only before these; RE2 allows it before any punctuation.
const JS_SYNTAX_CHARACTERS = new Set([...'^$\\.*+?()[]{}|/']);
const RE2_SPACE = '\\t\\n\\f\\r ';
const POSIX_CLASSES: Record<string, string> = {
  alnum: '0-9A-Za-z', alpha: 'A-Za-z', ascii: '\\x00-\\x7F', blank: '\\t ', cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9', graph: '!-~', lower: 'a-z', print: ' -~', punct: '!-\\/:-@\\[-`\\{-~', space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z', word: '0-9A-Za-z_', xdigit: '0-9A-Fa-f',
};
const GENERAL_CATEGORIES = new Set([
  'L', 'Lu', 'Ll', 'Lt', 'Lm', 'Lo', 'M', 'Mn', 'Mc', 'Me', 'N', 'Nd', 'Nl', 'No', 'P', 'Pc', 'Pd', 'Ps', 'Pe', 'Pi', 'Pf', 'Po',
  'S', 'Sm', 'Sc', 'Sk', 'So', 'Z', 'Zs', 'Zl', 'Zp', 'C', 'Cc', 'Cf', 'Cs', 'Co', 'Cn',
]);

/**
 * The JavaScript form of an RE2 pattern, or why there is none. Example:
 * convertRe2Pattern('^[a-z0-9\\-]+\\:x$') gives { pattern: '^[a-z0-9\\-]+:x$' }.
 */
export function convertRe2Pattern(source: string): { pattern: string } | { problem: string } {
  let out = '';
  let i = 0;
  while (i < source.length) {
    const ch = source[i];
    if (ch === '\\') {
      const escape = convertEscape(source, i, false);
      if ('problem' in escape) return escape;
      out += escape.text;
      i = escape.end;
    } else if (ch === '[') {
      const converted = convertClass(source, i);
      if ('problem' in converted) return converted;
      out += converted.text;
      i = converted.end;
    } else if (ch === '(' && source[i + 1] === '?') {
      if (source.startsWith('(?P<', i)) {
        out += '(?<';
        i += 4;
      } else if (source.startsWith('(?:', i)) {
        out += '(?:';
        i += 3;
      } else return { problem: 'inline flags such as (?i) have no JavaScript equivalent' };
    } else if (ch === '{') {
      // RE2 reads a brace that does not form a repeat count as a literal; unicode JavaScript needs it escaped.
      const repeat = /^\{\d+(?:,\d*)?\}/.exec(source.slice(i, i + 24));
      out += repeat ? repeat[0] : '\\{';
      i += repeat ? repeat[0].length : 1;
    } else if (ch === '}' || ch === ']') {
      // Literal in RE2 when nothing opened them; a syntax error in unicode-mode JavaScript unless escaped.
      out += `\\${ch}`;
      i++;
    } else {
      out += ch;
      i++;
    }
  }
  try {
    new RegExp(out, 'u');
  } catch {
    return { problem: 'it is not a valid regular expression in JavaScript' };
  }
  return { pattern: out };
}

function convertEscape(source: string, start: number, inClass: boolean): { text: string; end: number } | { problem: string } {
  const ch = source[start + 1];
  const end = start + 2;
  if (ch === undefined) return { problem: 'it ends with a lone backslash' };
  if ('dDwWntrfv'.includes(ch)) return { text: `\\${ch}`, end };
  if ((ch === 'b' || ch === 'B') && !inClass) return { text: `\\${ch}`, end };
  // RE2's \s is ASCII whitespace only; JavaScript's \s also matches Unicode spaces.
  if (ch === 's') return { text: inClass ? RE2_SPACE : `[${RE2_SPACE}]`, end };
  if (ch === 'S' && !inClass) return { text: `[^${RE2_SPACE}]`, end };
  if (ch === 'a') return { text: '\\x07', end };
  if (ch === 'A' && !inClass) return { text: '^', end };
  if (ch === 'z' && !inClass) return { text: '$', end };
  if (ch === 'x') {
    const braced = /^\{([0-9a-fA-F]{1,6})\}/.exec(source.slice(end, end + 9));
    if (braced) return { text: `\\u{${braced[1]}}`, end: end + braced[0].length };
    if (/^[0-9a-fA-F]{2}$/.test(source.slice(end, end + 2))) return { text: `\\x${source.slice(end, end + 2)}`, end: end + 2 };
    return { problem: 'it has a malformed \\x escape' };
  }
  if (ch === 'p' || ch === 'P') {
    let name: string;
    let after: number;
    if (source[end] === '{') {
      const close = source.indexOf('}', end);
      if (close < 0) return { problem: 'it has a malformed \\p escape' };
      name = source.slice(end + 1, close);
      after = close + 1;
    } else {
      name = source[end] ?? '';
      after = end + 1;
    }
    let negated = ch === 'P';
    if (name.startsWith('^')) {
      negated = !negated;
      name = name.slice(1);
    }
    if (!/^[A-Za-z_]+$/.test(name)) return { problem: 'it has a malformed \\p escape' };
    const property = GENERAL_CATEGORIES.has(name) || name === 'Any' ? name : `Script=${name}`;
    return { text: `\\${negated ? 'P' : 'p'}{${property}}`, end: after };
  }
  if (ch === 'Q') {
    const close = source.indexOf('\\E', end);
    const literal = source.slice(end, close < 0 ? source.length : close);
    const escaped = [...literal].map((c) => (JS_SYNTAX_CHARACTERS.has(c) || (inClass && c === '-') ? `\\${c}` : c)).join('');
    return { text: escaped, end: close < 0 ? source.length : close + 2 };
  }
  if (/[!-/:-@[-`{-~]/.test(ch)) {
    if (JS_SYNTAX_CHARACTERS.has(ch) || (inClass && ch === '-')) return { text: `\\${ch}`, end };
    return { text: ch, end };
  }
  return { problem: `the escape \\${ch} is not supported` };
}

function convertClass(source: string, start: number): { text: string; end: number } | { problem: string } {
  let out = '[';
  let i = start + 1;
  if (source[i] === '^') {
    out += '^';
    i++;
  }
  // In RE2 a `]` right after the opening bracket is a literal; in JavaScript `[]` is an empty class.
  if (source[i] === ']') {
    out += '\\]';
    i++;
  }
  while (i < source.length) {
    const ch = source[i];
    if (ch === ']') return { text: `${out}]`, end: i + 1 };
    if (source.startsWith('[:', i)) {
      const close = source.indexOf(':]', i + 2);
      const name = close < 0 ? '' : source.slice(i + 2, close);
      const ranges = POSIX_CLASSES[name];
      if (!ranges) return { problem: `the class [:${name}:] is not supported` };
      out += ranges;
      i = close + 2;
    } else if (ch === '\\') {
      const escape = convertEscape(source, i, true);
      if ('problem' in escape) return escape;
      out += escape.text;
      i = escape.end;
    } else if (ch === '[') {
      out += '\\[';
      i++;
    } else {
      out += ch;
      i++;
    }
  }
  return { problem: 'it has an unclosed character class' };
}
