// Reads a makejinja plugin.py without running it: the variables its Plugin class adds to the
// template data, and the filters, functions and tests it registers, with lines and parameters.
// Pure text analysis of a tolerant Python tokenization; never executes, imports or throws.

// What makejinja does with a plugin (src/makejinja/app.py, load_plugin, v2.8.2): it constructs the
// class with `data` (and `env`, `config` when asked for), then registers `functions()` and the
// deprecated `globals()` as globals, merges `data()` into the globals, and registers `filters()` and
// `tests()`. Each callable is registered under its `__name__`, so a list of functions is the form
// makejinja accepts; a dict is read here too but noted, because makejinja would fail on it.

export interface PluginVariable {
  name: string;
  /** 0-based line of the first place that sets it. */
  line: number;
  /** Source text of the value at that place (absent for `data.setdefault("x")` and unreadable forms). */
  valueText?: string;
  /** True when every place that sets it is inside if/elif/else/for/while/except/case. */
  isConditional: boolean;
  /** How the first place sets it: `data["x"] = v`, `data.setdefault("x", v)`, a merged dict, or the returned dict. */
  how: 'assign' | 'setdefault' | 'update' | 'return';
  /** 0-based lines of the other places that set it, in source order. */
  otherLines: number[];
}

export interface PluginParam {
  name: string;
  hasDefault: boolean;
  kind: 'positional' | 'positionalOnly' | 'keywordOnly' | 'varargs' | 'kwargs';
}

export interface PluginCallable {
  /** The name templates use: the function's own name (makejinja registers `__name__`), or the dict key. */
  name: string;
  /** 0-based line of its `def`, or of the place it is listed when the definition was not found. */
  line: number;
  /** Parameters as written, without a bound `self`/`cls`; for a filter the first is the piped value. */
  params: PluginParam[];
  /** False when the definition is not in this file (imported, built from a call): params are unknown. */
  isResolved: boolean;
  /** 0-based line where filters()/functions()/tests() lists it. */
  listedAtLine: number;
}

export interface PluginPyResult {
  /** The class read as the plugin, when one was found. */
  className?: string;
  variables: PluginVariable[];
  filters: PluginCallable[];
  functions: PluginCallable[];
  tests: PluginCallable[];
  /** What could not be read statically, in words for a person (line numbers here count from 1). */
  notes: string[];
}

export interface ReadPluginPyOptions {
  /** The class named by makejinja.toml's loader/plugin ("plugin:Plugin" → "Plugin"). */
  className?: string;
}

// ---------------------------------------------------------------------------------------------
// Tokens and statements

type TokenKind = 'name' | 'number' | 'string' | 'op';

interface Token {
  kind: TokenKind;
  text: string;
  start: number;
  end: number;
  line: number;
  /** Decoded content of a plain (not f-, not bytes) string literal. */
  value?: string;
}

interface Statement {
  tokens: Token[];
  indent: number;
  line: number;
  children: Statement[];
}

const OPERATORS = [
  '**=', '//=', '>>=', '<<=', '...', '->', ':=', '==', '!=', '<=', '>=', '**', '//', '<<', '>>',
  '+=', '-=', '*=', '/=', '%=', '&=', '|=', '^=', '@=',
];
const OPENERS: Record<string, string> = { '(': ')', '[': ']', '{': '}' };
const CLOSERS = new Set([')', ']', '}']);
// Sticky expressions match exactly at lastIndex, so the tokenizer never copies the text.
const NAME = /[\p{L}\p{Nl}_][\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}]*/uy;
const NUMBER = /(?:0[xXoObB][0-9a-fA-F_]+|(?:\d[\d_]*\.?[\d_]*|\.\d[\d_]*)(?:[eE][+-]?\d[\d_]*)?[jJ]?)/y;
const STRING_PREFIX = /(?:[rRbBuUfFtT]{1,2})?(?='|")/y;
const MAY_START_STRING = /['"rRbBuUfFtT]/;
const MAY_START_OPERATOR = new Set(OPERATORS.map((operator) => operator[0]));

function stickyMatch(pattern: RegExp, text: string, position: number): string | undefined {
  pattern.lastIndex = position;
  return pattern.exec(text)?.[0];
}

/** Splits Python source into logical lines of tokens, each with its indentation. */
function tokenize(text: string): { tokens: Token[]; indent: number; line: number }[] {
  const logical: { tokens: Token[]; indent: number; line: number }[] = [];
  let current: Token[] = [];
  let indent = 0;
  let depth = 0;
  let position = 0;
  let line = 0;
  let atLineStart = true;

  const finishLine = (): void => {
    if (current.length > 0) logical.push({ tokens: current, indent, line: current[0].line });
    current = [];
  };

  while (position < text.length) {
    if (atLineStart && depth === 0) {
      let column = 0;
      while (position < text.length && (text[position] === ' ' || text[position] === '\t' || text[position] === '\f')) {
        column = text[position] === '\t' ? (Math.floor(column / 8) + 1) * 8 : column + 1;
        position++;
      }
      indent = column;
      atLineStart = false;
      continue;
    }
    const c = text[position];
    if (c === '\n') {
      line++;
      position++;
      if (depth > 0 && startsStatement(text, position, indent)) {
        // An unclosed bracket: Python would stop here with a syntax error; we resume at the next
        // statement so the rest of the file is still read.
        depth = 0;
      }
      if (depth === 0) {
        finishLine();
        atLineStart = true;
      }
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\f' || c === '\r') {
      position++;
      continue;
    }
    if (c === '#') {
      while (position < text.length && text[position] !== '\n') position++;
      continue;
    }
    if (c === '\\' && (text[position + 1] === '\n' || (text[position + 1] === '\r' && text[position + 2] === '\n'))) {
      position += text[position + 1] === '\n' ? 2 : 3;
      line++;
      continue;
    }
    const prefix = MAY_START_STRING.test(c) ? stickyMatch(STRING_PREFIX, text, position) : undefined;
    if (prefix !== undefined) {
      const start = position;
      const startLine = line;
      const flags = prefix.toLowerCase();
      position += prefix.length;
      const scanned = scanString(text, position, flags.includes('f') || flags.includes('t'));
      line += countNewlines(text, position, scanned.end);
      position = scanned.end;
      const token: Token = { kind: 'string', text: text.slice(start, position), start, end: position, line: startLine };
      if (!flags.includes('f') && !flags.includes('b') && !flags.includes('t')) token.value = decodeString(scanned.content, flags.includes('r'));
      current.push(token);
      continue;
    }
    const name = stickyMatch(NAME, text, position);
    if (name) {
      current.push({ kind: 'name', text: name, start: position, end: position + name.length, line });
      position += name.length;
      continue;
    }
    const number = (c >= '0' && c <= '9') || c === '.' ? stickyMatch(NUMBER, text, position) : undefined;
    if (number) {
      current.push({ kind: 'number', text: number, start: position, end: position + number.length, line });
      position += number.length;
      continue;
    }
    const operator = (MAY_START_OPERATOR.has(c) && OPERATORS.find((candidate) => text.startsWith(candidate, position))) || c;
    if (OPENERS[operator]) depth++;
    else if (CLOSERS.has(operator)) depth = Math.max(0, depth - 1);
    current.push({ kind: 'op', text: operator, start: position, end: position + operator.length, line });
    position += operator.length;
  }
  finishLine();
  return logical;
}

const STATEMENT_KEYWORDS = /^(?:def|class|return|if|elif|else|for|while|try|except|finally|with|import|from|pass|raise|async|@)\b/;

/** Does the line at `position` begin a statement at or left of `indent` (the open line's indentation)? */
function startsStatement(text: string, position: number, indent: number): boolean {
  const lineEnd = text.indexOf('\n', position);
  const line = text.slice(position, lineEnd < 0 ? text.length : lineEnd);
  const content = line.trimStart();
  if (content === '' || content.startsWith('#')) return false;
  return line.length - content.length <= indent && STATEMENT_KEYWORDS.test(content);
}

function countNewlines(text: string, from: number, to: number): number {
  let count = 0;
  for (let i = from; i < to; i++) if (text[i] === '\n') count++;
  return count;
}

/** Scans a string literal starting at its opening quote; an unterminated one ends at its line's end. */
function scanString(text: string, position: number, isFormatted: boolean): { end: number; content: string } {
  const quote = text[position];
  const isTriple = text[position + 1] === quote && text[position + 2] === quote;
  const delimiter = isTriple ? quote.repeat(3) : quote;
  let i = position + delimiter.length;
  const contentStart = i;
  while (i < text.length) {
    if (text.startsWith(delimiter, i)) return { end: i + delimiter.length, content: text.slice(contentStart, i) };
    const c = text[i];
    if (c === '\\') {
      i += 2;
      continue;
    }
    if (c === '\n' && !isTriple) return { end: i, content: text.slice(contentStart, i) };
    if (isFormatted && c === '{') {
      if (text[i + 1] === '{') {
        i += 2;
        continue;
      }
      i = skipReplacementField(text, i + 1);
      continue;
    }
    i++;
  }
  return { end: text.length, content: text.slice(contentStart) };
}

/** Skips an f-string `{...}` field, which may hold brackets and (since Python 3.12) any strings. */
function skipReplacementField(text: string, position: number): number {
  let depth = 0;
  let i = position;
  while (i < text.length) {
    const c = text[i];
    if (c === '\n' && depth === 0 && text[i - 1] !== '\\') return i;
    if (c === "'" || c === '"') {
      i = scanString(text, i, true).end;
      continue;
    }
    if (OPENERS[c]) depth++;
    else if (CLOSERS.has(c)) {
      if (c === '}' && depth === 0) return i + 1;
      depth--;
    }
    i++;
  }
  return i;
}

function decodeString(content: string, isRaw: boolean): string {
  if (isRaw) return content;
  const escapes: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', '0': '\0', '\n': '' };
  return content.replace(/\\(.)/gs, (whole, c: string) => escapes[c] ?? whole);
}

const BLOCK_KEYWORDS = new Set(['if', 'elif', 'else', 'for', 'while', 'try', 'except', 'finally', 'with', 'def', 'class', 'match', 'case', 'async']);
const CONDITIONAL_KEYWORDS = new Set(['if', 'elif', 'else', 'for', 'while', 'except', 'case']);

/** Builds the statement tree from indentation; `;` and one-line bodies (`if x: y`) become statements. */
function buildStatements(text: string): Statement[] {
  const root: Statement = { tokens: [], indent: -1, line: 0, children: [] };
  const stack: Statement[] = [root];
  for (const logicalLine of tokenize(text)) {
    // A one-line compound statement keeps everything after its colon in its body, `;` included.
    const whole = headerAndBody(logicalLine.tokens);
    const statements = whole.body.length > 0 ? [whole.header] : splitTopLevel(logicalLine.tokens, ';');
    for (const tokens of statements) {
      if (tokens.length === 0) continue;
      while (stack.length > 1 && stack[stack.length - 1].indent >= logicalLine.indent) stack.pop();
      const statement: Statement = { tokens, indent: logicalLine.indent, line: tokens[0].line, children: [] };
      stack[stack.length - 1].children.push(statement);
      for (const body of splitTopLevel(whole.body, ';')) {
        if (body.length > 0) statement.children.push({ tokens: body, indent: logicalLine.indent + 1, line: body[0].line, children: [] });
      }
      stack.push(statement);
    }
  }
  return root.children;
}

/** `if x: y` → header `if x:` and body `y`; other statements have no body. */
function headerAndBody(tokens: Token[]): { header: Token[]; body: Token[] } {
  const first = tokens[0];
  if (first.kind !== 'name' || !BLOCK_KEYWORDS.has(first.text)) return { header: tokens, body: [] };
  let depth = 0;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    if (token.kind !== 'op') continue;
    if (OPENERS[token.text]) depth++;
    else if (CLOSERS.has(token.text)) depth--;
    else if (token.text === ':' && depth === 0) return { header: tokens.slice(0, i + 1), body: tokens.slice(i + 1) };
  }
  return { header: tokens, body: [] };
}

/** Splits tokens at a separator that is not inside brackets. */
function splitTopLevel(tokens: Token[], separator: string): Token[][] {
  const parts: Token[][] = [[]];
  let depth = 0;
  for (const token of tokens) {
    if (token.kind === 'op') {
      if (OPENERS[token.text]) depth++;
      else if (CLOSERS.has(token.text)) depth--;
      else if (token.text === separator && depth === 0) {
        parts.push([]);
        continue;
      }
    }
    parts[parts.length - 1].push(token);
  }
  return parts;
}

/** Index of the bracket that closes the one at `open`, or the last index when it never closes. */
function matchingBracket(tokens: Token[], open: number): number {
  let depth = 0;
  for (let i = open; i < tokens.length; i++) {
    const token = tokens[i];
    if (token.kind !== 'op') continue;
    if (OPENERS[token.text]) depth++;
    else if (CLOSERS.has(token.text)) {
      depth--;
      if (depth === 0) return i;
    }
  }
  return tokens.length - 1;
}

function isOp(token: Token | undefined, text: string): boolean {
  return token !== undefined && token.kind === 'op' && token.text === text;
}

function isName(token: Token | undefined, text?: string): boolean {
  return token !== undefined && token.kind === 'name' && (text === undefined || token.text === text);
}

// ---------------------------------------------------------------------------------------------
// Definitions

interface FunctionDef {
  name: string;
  line: number;
  params: PluginParam[];
  decorators: string[];
  body: Statement[];
  /** The class the function is a method of. */
  className?: string;
}

interface ClassDef {
  name: string;
  line: number;
  basesText: string;
  methods: Map<string, FunctionDef>;
}

/** `def name(params)` → its definition; `decorators` are the statements just before it. */
function readFunction(statement: Statement, decorators: string[], className?: string): FunctionDef | undefined {
  const tokens = statement.tokens;
  const at = isName(tokens[0], 'async') ? 1 : 0;
  if (!isName(tokens[at], 'def') || !isName(tokens[at + 1]) || !isOp(tokens[at + 2], '(')) return undefined;
  const close = matchingBracket(tokens, at + 2);
  const params = readParams(tokens.slice(at + 3, close));
  return { name: tokens[at + 1].text, line: tokens[at + 1].line, params, decorators, body: statement.children, className };
}

function readParams(tokens: Token[]): PluginParam[] {
  const params: PluginParam[] = [];
  let isKeywordOnly = false;
  for (const part of splitTopLevel(tokens, ',')) {
    if (part.length === 0) continue;
    if (isOp(part[0], '/')) {
      for (const earlier of params) if (earlier.kind === 'positional') earlier.kind = 'positionalOnly';
      continue;
    }
    if (isOp(part[0], '*') && !isName(part[1])) {
      isKeywordOnly = true;
      continue;
    }
    if (isOp(part[0], '*') && isName(part[1])) {
      params.push({ name: part[1].text, hasDefault: false, kind: 'varargs' });
      isKeywordOnly = true;
      continue;
    }
    if (isOp(part[0], '**') && isName(part[1])) {
      params.push({ name: part[1].text, hasDefault: false, kind: 'kwargs' });
      continue;
    }
    if (!isName(part[0])) continue;
    params.push({ name: part[0].text, hasDefault: part.some((token) => isOp(token, '=')), kind: isKeywordOnly ? 'keywordOnly' : 'positional' });
  }
  return params;
}

/** Module-level functions and classes (with their methods), plus simple `alias = name` bindings. */
function readDefinitions(statements: Statement[]): { functions: Map<string, FunctionDef>; classes: Map<string, ClassDef>; bindings: Map<string, string> } {
  const functions = new Map<string, FunctionDef>();
  const classes = new Map<string, ClassDef>();
  const bindings = new Map<string, string>();
  let decorators: string[] = [];
  for (const statement of statements) {
    const tokens = statement.tokens;
    if (isOp(tokens[0], '@')) {
      decorators.push(tokens.slice(1).map((token) => token.text).join(''));
      continue;
    }
    const fn = readFunction(statement, decorators);
    if (fn && !functions.has(fn.name)) functions.set(fn.name, fn);
    if (isName(tokens[0], 'class') && isName(tokens[1])) {
      const close = isOp(tokens[2], '(') ? matchingBracket(tokens, 2) : 1;
      const methods = new Map<string, FunctionDef>();
      let methodDecorators: string[] = [];
      for (const member of statement.children) {
        if (isOp(member.tokens[0], '@')) {
          methodDecorators.push(member.tokens.slice(1).map((token) => token.text).join(''));
          continue;
        }
        const method = readFunction(member, methodDecorators, tokens[1].text);
        if (method && !methods.has(method.name)) methods.set(method.name, method);
        methodDecorators = [];
      }
      const basesText = close > 2 ? tokens.slice(3, close).map((token) => token.text).join('') : '';
      if (!classes.has(tokens[1].text)) classes.set(tokens[1].text, { name: tokens[1].text, line: tokens[1].line, basesText, methods });
    }
    if (tokens.length === 3 && isName(tokens[0]) && isOp(tokens[1], '=') && isName(tokens[2])) bindings.set(tokens[0].text, tokens[2].text);
    decorators = [];
  }
  return { functions, classes, bindings };
}

const PLUGIN_METHODS = ['data', 'filters', 'functions', 'globals', 'tests'];

function choosePluginClass(classes: Map<string, ClassDef>, wanted: string | undefined): ClassDef | undefined {
  if (wanted !== undefined) return classes.get(wanted);
  const all = [...classes.values()];
  const candidates = all.filter((cls) => PLUGIN_METHODS.some((method) => cls.methods.has(method)) || /\bPlugin\b/.test(cls.basesText));
  return candidates.find((cls) => cls.name === 'Plugin') ?? candidates.find((cls) => /\bPlugin\b/.test(cls.basesText)) ?? candidates[0];
}

// ---------------------------------------------------------------------------------------------
// The reader

/**
 * Reads plugin.py statically. Example: for
 * `class Plugin:\n    def data(self):\n        d = self._data\n        d.setdefault("x", 1)\n        return d`
 * the variables are [{ name: 'x', line: 3, valueText: '1', isConditional: false, how: 'setdefault', otherLines: [] }].
 */
export function readPluginPy(text: string, options: ReadPluginPyOptions = {}): PluginPyResult {
  const result: PluginPyResult = { variables: [], filters: [], functions: [], tests: [], notes: [] };
  try {
    new PluginReader(text, result).read(options.className);
  } catch (error) {
    // A bug in this reader must not take the language server down with it; the partial result
    // stays usable and the note makes the gap visible.
    result.notes.push(`plugin.py could not be read completely (${error instanceof Error ? error.message : String(error)})`);
  }
  return result;
}

interface Occurrence {
  name: string;
  line: number;
  valueText?: string;
  isConditional: boolean;
  how: PluginVariable['how'];
}

interface DictKeys {
  keys: { name: string; line: number; valueText?: string }[];
  /** The expression builds on the plugin's data (an alias, `**data`, `dict(data)`, `data.copy()`). */
  isDataDerived: boolean;
  /** Parts we could not read (computed keys, comprehensions, calls). */
  unreadable: Token[];
}

class PluginReader {
  private readonly occurrences: Occurrence[] = [];
  private functions = new Map<string, FunctionDef>();
  private bindings = new Map<string, string>();
  private plugin: ClassDef | undefined;
  private readonly scanned = new Set<string>();
  /** Per function being scanned: local name → source text of its last value, for `data["x"] = x`. */
  private readonly locals: Map<string, string>[] = [];
  /** Names data() returns: whatever they are bound to is the template data. */
  private readonly returnedNames = new Set<string>();

  constructor(
    private readonly text: string,
    private readonly result: PluginPyResult,
  ) {}

  read(wantedClass: string | undefined): void {
    const statements = buildStatements(this.text);
    const definitions = readDefinitions(statements);
    this.functions = definitions.functions;
    this.bindings = definitions.bindings;
    this.plugin = choosePluginClass(definitions.classes, wantedClass);
    if (!this.plugin) {
      this.note(wantedClass !== undefined ? `plugin.py has no class ${wantedClass}` : 'plugin.py has no plugin class (a class with data(), filters() or functions())');
      return;
    }
    this.result.className = this.plugin.name;
    this.readData(this.plugin);
    this.result.filters = this.readCallables('filters');
    this.result.functions = [...this.readCallables('functions'), ...this.readCallables('globals')];
    this.result.tests = this.readCallables('tests');
    this.readEnvironmentRegistrations(this.plugin);
    this.result.variables = mergeOccurrences(this.occurrences);
  }

  private note(message: string): void {
    if (!this.result.notes.includes(message)) this.result.notes.push(message);
  }

  /** Source text of a value; a local variable stands for the value it was last given. */
  private valueText(tokens: Token[]): string | undefined {
    if (tokens.length === 1 && isName(tokens[0])) {
      const local = this.locals[this.locals.length - 1]?.get(tokens[0].text);
      if (local) return local;
    }
    return this.source(tokens) || undefined;
  }

  private source(tokens: Token[]): string {
    return tokens.length === 0 ? '' : this.text.slice(tokens[0].start, tokens[tokens.length - 1].end);
  }

  // -- data ---------------------------------------------------------------------------------

  private readData(plugin: ClassDef): void {
    const init = plugin.methods.get('__init__');
    const data = plugin.methods.get('data');
    // `self._data = data` (or a copy of it) in __init__ makes `self._data` the template data in
    // every method.
    const selfAliases = new Set<string>();
    const dataParam = init?.params.find((p) => p.name === 'data');
    if (init && dataParam) {
      const initAliases = new Set([dataParam.name]);
      for (const statement of walk(init.body)) {
        const parts = splitTopLevel(statement.tokens, '=');
        if (parts.length !== 2) continue;
        const target = this.aliasName(stripAnnotation(parts[0]));
        if (target?.startsWith('self.') && this.dictKeys(parts[1], initAliases).isDataDerived) selfAliases.add(target);
      }
    }
    if (!data) return;
    const aliases = new Set<string>(selfAliases);
    // The name data() returns is the template data from its first line on.
    for (const statement of walk(data.body)) {
      const t = statement.tokens;
      if (t.length === 2 && isName(t[0], 'return') && isName(t[1])) {
        aliases.add(t[1].text);
        this.returnedNames.add(t[1].text);
      }
    }
    this.scanFunction(data, aliases, false, true);
  }

  /** Records what a function body does to the data held in `aliases`. */
  private scanFunction(fn: FunctionDef, aliases: Set<string>, isCalledConditionally: boolean, isDataMethod: boolean): void {
    const key = `${fn.className ?? ''}.${fn.name}:${[...aliases].sort().join(',')}:${isCalledConditionally}`;
    if (this.scanned.has(key)) return;
    this.scanned.add(key);
    this.locals.push(new Map());
    this.scanBlock(fn.body, aliases, isCalledConditionally, isDataMethod);
    this.locals.pop();
  }

  private scanBlock(statements: Statement[], aliases: Set<string>, isConditional: boolean, isDataMethod: boolean): void {
    for (const statement of statements) {
      const first = statement.tokens[0];
      const keyword = isName(first) ? first.text : '';
      if (keyword === 'def' || keyword === 'class' || keyword === 'async' || isOp(first, '@')) continue;
      if (statement.children.length > 0 || (BLOCK_KEYWORDS.has(keyword) && isOp(statement.tokens[statement.tokens.length - 1], ':'))) {
        // The header itself may call helpers or use setdefault (`if data.setdefault(...)`).
        this.scanExpressionStatement(statement.tokens, aliases, isConditional);
        this.scanBlock(statement.children, aliases, isConditional || CONDITIONAL_KEYWORDS.has(keyword), isDataMethod);
        continue;
      }
      this.scanSimpleStatement(statement.tokens, aliases, isConditional, isDataMethod);
    }
  }

  private scanSimpleStatement(tokens: Token[], aliases: Set<string>, isConditional: boolean, isDataMethod: boolean): void {
    if (isName(tokens[0], 'return')) {
      const value = tokens.slice(1);
      if (isDataMethod && value.length > 0) {
        const dict = this.dictKeys(value, aliases);
        for (const entry of dict.keys) this.add(entry.name, entry.line, entry.valueText, isConditional, 'return');
        if (!dict.isDataDerived && dict.keys.length === 0) {
          this.note(`data() returns \`${this.source(value)}\` (line ${value[0].line + 1}), which cannot be read without running Python`);
        } else {
          this.noteUnreadable(dict.unreadable, 'data()');
        }
      }
      this.scanExpressionStatement(value, aliases, isConditional);
      return;
    }

    const parts = splitTopLevel(tokens, '=');
    if (parts.length >= 2) {
      const value = parts[parts.length - 1];
      for (const rawTarget of parts.slice(0, -1)) this.assign(stripAnnotation(rawTarget), value, aliases, isConditional, isDataMethod);
      this.scanExpressionStatement(value, aliases, isConditional);
      return;
    }

    // `data |= {...}` and `data["x"] += 1`.
    const augmented = tokens.findIndex((token) => token.kind === 'op' && token.text.length >= 2 && token.text.endsWith('=') && !['==', '!=', '<=', '>=', ':='].includes(token.text));
    if (augmented > 0) {
      const target = tokens.slice(0, augmented);
      const value = tokens.slice(augmented + 1);
      const subscript = this.dataSubscript(target, aliases);
      if (subscript) this.add(subscript.name, subscript.line, undefined, isConditional, 'assign');
      else if (tokens[augmented].text === '|=' && this.aliasLength(target, 0, aliases) === target.length) {
        this.addDictKeys(value, aliases, isConditional, 'update');
      }
      this.scanExpressionStatement(value, aliases, isConditional);
      return;
    }
    this.scanExpressionStatement(tokens, aliases, isConditional);
  }

  private assign(target: Token[], value: Token[], aliases: Set<string>, isConditional: boolean, isDataMethod: boolean): void {
    const subscript = this.dataSubscript(target, aliases);
    if (subscript) {
      this.add(subscript.name, subscript.line, this.valueText(value), isConditional, 'assign');
      return;
    }
    const targetName = this.aliasName(target);
    if (targetName === undefined) return;
    if (!targetName.startsWith('self.')) this.locals[this.locals.length - 1]?.set(targetName, this.valueText(value) ?? '');
    const dict = this.dictKeys(value, aliases);
    const isReturned = isDataMethod && this.returnedNames.has(targetName);
    if (dict.isDataDerived || isReturned) {
      // `merged = {**data, "x": 1}`, or `result = {...}` when data() returns `result`.
      aliases.add(targetName);
      for (const entry of dict.keys) this.add(entry.name, entry.line, entry.valueText, isConditional, 'update');
      if (dict.keys.length > 0 || dict.isDataDerived) this.noteUnreadable(dict.unreadable, 'data()');
    } else {
      // Rebinding the name to something else: later writes through it no longer reach the data.
      aliases.delete(targetName);
    }
  }

  /** setdefault/update calls on the data, and helpers that receive the data as an argument. */
  private scanExpressionStatement(tokens: Token[], aliases: Set<string>, isConditional: boolean): void {
    for (let i = 0; i < tokens.length; i++) {
      const length = this.aliasLength(tokens, i, aliases);
      if (length > 0 && isOp(tokens[i + length], '.') && isName(tokens[i + length + 1]) && isOp(tokens[i + length + 2], '(')) {
        const method = tokens[i + length + 1].text;
        const open = i + length + 2;
        const close = matchingBracket(tokens, open);
        const args = splitTopLevel(tokens.slice(open + 1, close), ',').filter((arg) => arg.length > 0);
        if (method === 'setdefault') {
          const keyToken = args[0]?.length === 1 ? args[0][0] : undefined;
          if (keyToken?.value !== undefined) {
            this.add(keyToken.value, keyToken.line, args[1] ? this.valueText(args[1]) : undefined, isConditional, 'setdefault');
          } else if (args[0]) {
            this.note(`data.setdefault() with a computed name at line ${args[0][0].line + 1} cannot be read statically`);
          }
        } else if (method === 'update') {
          for (const arg of args) {
            if (isName(arg[0]) && isOp(arg[1], '=')) this.add(arg[0].text, arg[0].line, this.source(arg.slice(2)) || undefined, isConditional, 'update');
            else this.addDictKeys(arg, aliases, isConditional, 'update');
          }
        }
        i = open;
        continue;
      }
      if (length === 0 && isOp(tokens[i + 1], '(') && !isOp(tokens[i - 1], '.')) this.followCall(tokens, i, aliases, isConditional);
      if (isName(tokens[i], 'self') && isOp(tokens[i + 1], '.') && isName(tokens[i + 2]) && isOp(tokens[i + 3], '(')) {
        this.followCall(tokens, i + 2, aliases, isConditional, true);
      }
    }
  }

  /** `helper(data)` or `self.helper(data)`: scan the helper with the parameters that receive the data. */
  private followCall(tokens: Token[], nameIndex: number, aliases: Set<string>, isConditional: boolean, isMethod = false): void {
    const nameToken = tokens[nameIndex];
    if (!isName(nameToken)) return;
    const fn = isMethod ? this.plugin?.methods.get(nameToken.text) : this.functions.get(nameToken.text);
    if (!fn) return;
    const close = matchingBracket(tokens, nameIndex + 1);
    const args = splitTopLevel(tokens.slice(nameIndex + 2, close), ',').filter((arg) => arg.length > 0);
    const params = isMethod && !fn.decorators.includes('staticmethod') ? fn.params.slice(1) : fn.params;
    const received = new Set<string>();
    args.forEach((arg, index) => {
      if (isName(arg[0]) && isOp(arg[1], '=')) {
        if (this.aliasLength(arg, 2, aliases) === arg.length - 2) received.add(arg[0].text);
      } else if (this.aliasLength(arg, 0, aliases) === arg.length && params[index] && params[index].kind !== 'varargs') {
        received.add(params[index].name);
      }
    });
    // A method sees the data through `self._data` too, even when it is not passed.
    if (isMethod) for (const alias of aliases) if (alias.startsWith('self.')) received.add(alias);
    if (received.size > 0) this.scanFunction(fn, received, isConditional, false);
  }

  /** How many tokens from `start` spell a name holding the data (`data`, `self._data`); 0 if none. */
  private aliasLength(tokens: Token[], start: number, aliases: Set<string>): number {
    const token = tokens[start];
    if (!isName(token) || isOp(tokens[start - 1], '.')) return 0;
    if (token.text === 'self' && isOp(tokens[start + 1], '.') && isName(tokens[start + 2]) && aliases.has(`self.${tokens[start + 2].text}`)) return 3;
    return aliases.has(token.text) ? 1 : 0;
  }

  /** `name` or `self.name` as an assignment target. */
  private aliasName(target: Token[]): string | undefined {
    if (target.length === 1 && isName(target[0])) return target[0].text;
    if (target.length === 3 && isName(target[0], 'self') && isOp(target[1], '.') && isName(target[2])) return `self.${target[2].text}`;
    return undefined;
  }

  /** `data["x"]` (exactly one string subscript on the data) → x. */
  private dataSubscript(target: Token[], aliases: Set<string>): { name: string; line: number } | undefined {
    const length = this.aliasLength(target, 0, aliases);
    if (length === 0 || !isOp(target[length], '[') || target.length !== length + 3 || !isOp(target[length + 2], ']')) return undefined;
    const key = target[length + 1];
    if (key.value === undefined) {
      this.note(`data[...] with a computed name at line ${key.line + 1} cannot be read statically`);
      return undefined;
    }
    return { name: key.value, line: key.line };
  }

  private addDictKeys(tokens: Token[], aliases: Set<string>, isConditional: boolean, how: PluginVariable['how']): void {
    const dict = this.dictKeys(tokens, aliases);
    for (const entry of dict.keys) this.add(entry.name, entry.line, entry.valueText, isConditional, how);
    if (dict.keys.length === 0 && !dict.isDataDerived && tokens.length > 0) {
      this.note(`the data is merged with \`${this.source(tokens)}\` at line ${tokens[0].line + 1}, which cannot be read without running Python`);
    }
    this.noteUnreadable(dict.unreadable, 'data');
  }

  /** Keys of `{...}`, `dict(...)` and their `|` combinations, and whether the data is part of it. */
  private dictKeys(tokens: Token[], aliases: Set<string>): DictKeys {
    const out: DictKeys = { keys: [], isDataDerived: false, unreadable: [] };
    for (const operand of splitTopLevel(tokens, '|')) {
      if (operand.length === 0) continue;
      if (this.aliasLength(operand, 0, aliases) === operand.length) {
        out.isDataDerived = true;
      } else if (isOp(operand[0], '{') && matchingBracket(operand, 0) === operand.length - 1) {
        this.readDictLiteral(operand.slice(1, -1), aliases, out);
      } else if (isName(operand[0], 'dict') && isOp(operand[1], '(') && matchingBracket(operand, 1) === operand.length - 1) {
        for (const arg of splitTopLevel(operand.slice(2, -1), ',').filter((part) => part.length > 0)) {
          if (isName(arg[0]) && isOp(arg[1], '=')) out.keys.push({ name: arg[0].text, line: arg[0].line, valueText: this.source(arg.slice(2)) || undefined });
          else {
            const inner = this.dictKeys(arg, aliases);
            out.keys.push(...inner.keys);
            out.isDataDerived ||= inner.isDataDerived;
            out.unreadable.push(...inner.unreadable);
          }
        }
      } else if (this.isDataCopy(operand, aliases)) {
        out.isDataDerived = true;
      } else {
        out.unreadable.push(operand[0]);
      }
    }
    return out;
  }

  /** `data.copy()`, `copy.copy(data)`, `copy.deepcopy(data)`, `deepcopy(data)`. */
  private isDataCopy(tokens: Token[], aliases: Set<string>): boolean {
    const length = this.aliasLength(tokens, 0, aliases);
    if (length > 0) return tokens.length === length + 4 && isOp(tokens[length], '.') && isName(tokens[length + 1], 'copy') && isOp(tokens[length + 2], '(') && isOp(tokens[length + 3], ')');
    const open = tokens.findIndex((token) => isOp(token, '('));
    if (open < 1 || !isOp(tokens[tokens.length - 1], ')') || matchingBracket(tokens, open) !== tokens.length - 1) return false;
    const callee = tokens.slice(0, open).map((token) => token.text).join('');
    const inner = tokens.slice(open + 1, -1);
    return ['copy', 'deepcopy', 'copy.copy', 'copy.deepcopy'].includes(callee) && inner.length > 0 && this.aliasLength(inner, 0, aliases) === inner.length;
  }

  private readDictLiteral(body: Token[], aliases: Set<string>, out: DictKeys): void {
    if (body.some((token) => isName(token, 'for'))) {
      if (splitTopLevel(body, ',').some((entry) => entry.some((token) => isName(token, 'for')) && !entry.some((token) => OPENERS[token.text]))) {
        out.unreadable.push(body[0]);
        return;
      }
    }
    for (const entry of splitTopLevel(body, ',')) {
      if (entry.length === 0) continue;
      if (isOp(entry[0], '**')) {
        const spread = entry.slice(1);
        if (this.aliasLength(spread, 0, aliases) === spread.length || this.isDataCopy(spread, aliases)) out.isDataDerived = true;
        continue;
      }
      const colon = splitTopLevel(entry, ':');
      if (colon.length < 2) continue;
      const keyTokens = colon[0];
      if (keyTokens.length === 1 && keyTokens[0].value !== undefined) {
        const valueTokens = entry.slice(keyTokens.length + 1);
        out.keys.push({ name: keyTokens[0].value, line: keyTokens[0].line, valueText: this.source(valueTokens) || undefined });
      } else {
        out.unreadable.push(keyTokens[0]);
      }
    }
  }

  private noteUnreadable(tokens: Token[], where: string): void {
    for (const token of tokens) this.note(`part of what ${where} adds at line ${token.line + 1} cannot be read without running Python`);
  }

  private add(name: string, line: number, valueText: string | undefined, isConditional: boolean, how: PluginVariable['how']): void {
    const occurrence: Occurrence = { name, line, isConditional, how };
    if (valueText !== undefined) occurrence.valueText = valueText;
    this.occurrences.push(occurrence);
  }

  // -- filters, functions, tests --------------------------------------------------------------

  private readCallables(method: 'filters' | 'functions' | 'globals' | 'tests'): PluginCallable[] {
    const fn = this.plugin?.methods.get(method);
    if (!fn) return [];
    const statements = [...walk(fn.body)];
    const returns = statements.filter((statement) => isName(statement.tokens[0], 'return'));
    if (returns.length === 0) {
      this.note(`${method}() has no return statement; makejinja expects it to return a list of functions`);
      return [];
    }
    const out: PluginCallable[] = [];
    for (const statement of returns) out.push(...this.callablesOf(statement.tokens.slice(1), statements, method));
    return out;
  }

  /** The callables an expression lists: `[a, b]`, `(a,)`, `{"n": f}`, `a_list + [c]`, or a local list. */
  private callablesOf(tokens: Token[], statements: Statement[], method: string): PluginCallable[] {
    if (tokens.length === 0) return [];
    const out: PluginCallable[] = [];
    const tupleItems = splitTopLevel(tokens, ',');
    if (tupleItems.length > 1) {
      // `return a, b` is a tuple.
      for (const element of tupleItems) if (element.length > 0) out.push(this.callable(element, undefined, method));
      return out;
    }
    for (const operand of splitTopLevel(tokens, '+')) {
      if (operand.length === 0) continue;
      const first = operand[0];
      const isWhole = matchingBracket(operand, 0) === operand.length - 1;
      if ((isOp(first, '[') || isOp(first, '(')) && isWhole) {
        for (const element of splitTopLevel(operand.slice(1, -1), ',')) if (element.length > 0) out.push(this.callable(element, undefined, method));
      } else if (isOp(first, '{') && isWhole) {
        this.note(`${method}() returns a dict (line ${first.line + 1}); makejinja 2.8.2 registers each callable by its __name__ and fails on a dict`);
        for (const entry of splitTopLevel(operand.slice(1, -1), ',')) {
          const [key, ...rest] = splitTopLevel(entry, ':');
          if (key?.length === 1 && key[0].value !== undefined && rest.length > 0) out.push(this.callable(entry.slice(2), key[0].value, method));
        }
      } else if (operand.length === 1 && isName(first)) {
        out.push(...this.callablesOfLocal(first, statements, method));
      } else {
        this.note(`${method}() returns \`${this.source(operand)}\` (line ${first.line + 1}), which cannot be read without running Python`);
      }
    }
    return out;
  }

  /** A list built in the method: `names = [...]`, then `names.append(f)`, `names += [...]`, `names.extend([...])`. */
  private callablesOfLocal(name: Token, statements: Statement[], method: string): PluginCallable[] {
    const out: PluginCallable[] = [];
    let isFound = false;
    for (const statement of statements) {
      const t = statement.tokens;
      if (!isName(t[0], name.text)) continue;
      if (isOp(t[1], '=')) {
        out.length = 0;
        out.push(...this.callablesOf(t.slice(2), [], method));
        isFound = true;
      } else if (isOp(t[1], '+=')) {
        out.push(...this.callablesOf(t.slice(2), [], method));
      } else if (isOp(t[1], '.') && isName(t[2]) && isOp(t[3], '(')) {
        const inner = t.slice(4, matchingBracket(t, 3));
        if (t[2].text === 'append') out.push(this.callable(inner, undefined, method));
        else if (t[2].text === 'extend') out.push(...this.callablesOf(inner, [], method));
      }
    }
    if (!isFound) this.note(`${method}() returns \`${name.text}\` (line ${name.line + 1}), which cannot be read without running Python`);
    return out;
  }

  /** One listed callable, resolved to its definition when it is in this file. */
  private callable(tokens: Token[], key: string | undefined, method: string): PluginCallable {
    const listedAtLine = tokens[0].line;
    const unresolved = (name: string): PluginCallable => ({ name: key ?? name, line: listedAtLine, params: [], isResolved: false, listedAtLine });
    if (isName(tokens[0], 'lambda')) {
      const colon = splitTopLevel(tokens.slice(1), ':');
      const params = readParams(colon[0] ?? []);
      if (key === undefined) this.note(`a lambda in ${method}() (line ${listedAtLine + 1}) is registered by makejinja under the name "<lambda>"`);
      return { name: key ?? '<lambda>', line: listedAtLine, params, isResolved: true, listedAtLine };
    }
    let definition: FunctionDef | undefined;
    let isBound = false;
    if (tokens.length === 1 && isName(tokens[0])) {
      const name = this.bindings.get(tokens[0].text) ?? tokens[0].text;
      definition = this.functions.get(name);
    } else if (tokens.length === 3 && isName(tokens[0]) && isOp(tokens[1], '.') && isName(tokens[2])) {
      const owner = tokens[0].text;
      if (owner === 'self' || owner === 'cls' || owner === this.plugin?.name) {
        definition = this.plugin?.methods.get(tokens[2].text);
        isBound = owner !== this.plugin?.name;
      }
    }
    if (!definition) {
      const name = tokens[tokens.length - 1].kind === 'name' ? tokens[tokens.length - 1].text : this.source(tokens);
      this.note(`${key ?? name} in ${method}() (line ${listedAtLine + 1}) is not defined in plugin.py; its parameters are unknown`);
      return unresolved(name);
    }
    const isStatic = definition.decorators.includes('staticmethod');
    const isClassMethod = definition.decorators.includes('classmethod');
    const dropsFirst = definition.className !== undefined && !isStatic && (isBound || isClassMethod);
    return {
      name: key ?? definition.name,
      line: definition.line,
      params: dropsFirst ? definition.params.slice(1) : definition.params,
      isResolved: true,
      listedAtLine,
    };
  }

  /** `env.filters["name"] = f`, `self.env.globals["name"] = f`, `env.tests["name"] = f` in the plugin class. */
  private readEnvironmentRegistrations(plugin: ClassDef): void {
    const targets = { filters: this.result.filters, globals: this.result.functions, tests: this.result.tests } as const;
    for (const method of plugin.methods.values()) {
      for (const statement of walk(method.body)) {
        const parts = splitTopLevel(statement.tokens, '=');
        if (parts.length !== 2) continue;
        const [target, value] = parts;
        const n = target.length;
        if (n < 6 || !isOp(target[n - 1], ']') || target[n - 2].value === undefined || !isOp(target[n - 3], '[') || !isOp(target[n - 5], '.')) continue;
        const registry = target[n - 4].text as keyof typeof targets;
        if (!(registry in targets) || value.length === 0) continue;
        targets[registry].push(this.callable(value, target[n - 2].value, `${registry} registration`));
      }
    }
  }
}

function* walk(statements: Statement[]): Generator<Statement> {
  for (const statement of statements) {
    yield statement;
    const first = statement.tokens[0];
    if (isName(first, 'def') || isName(first, 'class') || isName(first, 'async')) continue;
    yield* walk(statement.children);
  }
}

/** `name: annotation` as an assignment target is `name`. */
function stripAnnotation(target: Token[]): Token[] {
  const parts = splitTopLevel(target, ':');
  return parts.length > 1 ? parts[0] : target;
}

function mergeOccurrences(occurrences: Occurrence[]): PluginVariable[] {
  const byName = new Map<string, PluginVariable>();
  for (const occurrence of occurrences) {
    const existing = byName.get(occurrence.name);
    if (!existing) {
      const variable: PluginVariable = { name: occurrence.name, line: occurrence.line, isConditional: occurrence.isConditional, how: occurrence.how, otherLines: [] };
      if (occurrence.valueText !== undefined) variable.valueText = occurrence.valueText;
      byName.set(occurrence.name, variable);
      continue;
    }
    existing.isConditional &&= occurrence.isConditional;
    if (occurrence.line !== existing.line && !existing.otherLines.includes(occurrence.line)) existing.otherLines.push(occurrence.line);
  }
  return [...byName.values()];
}
