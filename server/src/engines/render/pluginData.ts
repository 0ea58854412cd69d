// The derived data of a workspace's makejinja plugins: what Plugin(data=...).data() adds to the
// template globals. Either by running the plugin for real (trusted workspace, Python available:
// server/python/plugin_data.py through a ProcessRunner) or by evaluating its data() statically
// with a small Python subset interpreter, which is approximate and says so. Never runs shell
// commands of its own; never puts data values in notes.
import * as path from 'node:path';
import type { ProcessRunner } from '../../host/processRunner';
import { readPluginPy } from '../../services/jinja/pluginPy';
import { dateTimeFromIso, parseJsonValue, PyDateTime } from './dataFiles';
import type { MakejinjaConfig } from './makejinjaConfig';
import { nativePluginCallables, type DeclaredPluginCallables, type PluginFileAccess } from './pluginNatives';
import {
  PyDict,
  PyError,
  hashableKey,
  PySlice,
  PyFloat,
  PyFunction,
  PyObject,
  PyTuple,
  Undefined,
  floatRepr,
  isList,
  isTuple,
  numberOf,
  pyCompare,
  pyEquals,
  pyIterate,
  pyLen,
  pyRepr,
  pyStr,
  pyTruthy,
  stringOf,
  tuple,
  typeName,
  type PyErrorType,
  type PyKwargs,
  type PyValue,
  type RuntimeContext,
} from './pyValues';
import { pythonAttribute } from './methods';
import { binaryOp, compareValues, pythonGetitem } from './operators';

/** A plugin named in makejinja.toml and the module file it resolves to (read by the caller). */
export interface PluginSource {
  /** As written: "plugin:Plugin" or "plugin.Plugin". */
  spec: string;
  /** The module's file, when found on the import paths. */
  filePath?: string;
  text?: string;
}

export interface PythonDerivation {
  /** The interpreter (setting clusterTemplate.render.pythonPath; default 'python3'). */
  python: string;
  runner: ProcessRunner;
  timeoutMs?: number;
  /** server/python/plugin_data.py (host/processRunner.ts findPluginDataScript); without it Python is not run. */
  scriptPath?: string;
}

export interface DerivedDataRequest {
  root: string;
  config: MakejinjaConfig;
  /** The merged data files (makejinja's load_data); not changed by this module. */
  data: PyDict;
  plugins: PluginSource[];
  mode: 'static' | PythonDerivation;
  /** File access for the plugin's functions when data() calls them statically (nthhost, age_key...). */
  files: PluginFileAccess;
}

export interface DerivedDataResult {
  /** The plugins' data() results merged in order: globals on top of the data files. */
  derived: PyDict;
  /** The names the plugins register (from the run, or read statically from plugin.py). */
  declared?: DeclaredPluginCallables;
  source: 'python' | 'static' | 'none';
  /** True unless the plugins ran for real (or there are none). */
  isApproximate: boolean;
  notes: string[];
}

/**
 * The plugins' derived data. Example: upstream cluster-template's plugin with `node_cidr:
 * 10.0.0.0/24` and mode 'static' gives derived.node_default_gateway = '10.0.0.1' and a note
 * "derived values approximate: ...".
 */
export async function computeDerivedData(request: DerivedDataRequest): Promise<DerivedDataResult> {
  if (request.plugins.length === 0) return { derived: new PyDict(), source: 'none', isApproximate: false, notes: [] };
  let reason = 'Python plugins are not run (static reading of plugin.py)';
  if (request.mode !== 'static') {
    const run = await runPluginsInPython(request, request.mode);
    if ('derived' in run) return run;
    reason = run.failure;
  }
  const result = deriveStatically(request);
  result.notes.unshift(`derived values approximate: ${reason}`);
  return result;
}

// ---------------------------------------------------------------------------------------------
// Running the plugin

const SPECIAL_KEYS = new Set(['$tuple', '$dict', '$date', '$datetime', '$time', '$repr']);

/** JSON for plugin_data.py: floats keep a decimal point, tuples/odd dicts/dates are tagged. */
export function encodeForPython(value: PyValue): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return pyStr(value);
  if (value instanceof PyFloat) {
    if (Number.isNaN(value.value)) return 'NaN';
    if (!Number.isFinite(value.value)) return value.value > 0 ? 'Infinity' : '-Infinity';
    return floatRepr(value.value);
  }
  const text = stringOf(value);
  if (text !== undefined) return JSON.stringify(text);
  if (isTuple(value)) return `{"$tuple":[${value.map(encodeForPython).join(',')}]}`;
  if (Array.isArray(value)) return `[${value.map(encodeForPython).join(',')}]`;
  if (value instanceof PyDict) {
    const keys = [...value.keys()];
    const isPlain = keys.every((key) => typeof key === 'string') && !(keys.length === 1 && SPECIAL_KEYS.has(keys[0] as string));
    if (isPlain) return `{${[...value].map(([key, item]) => `${JSON.stringify(key)}:${encodeForPython(item)}`).join(',')}}`;
    return `{"$dict":[${[...value].map(([key, item]) => `[${encodeForPython(key)},${encodeForPython(item)}]`).join(',')}]}`;
  }
  if (value instanceof PyDateTime) return `{"$${value.kind}":${JSON.stringify(value.isoFormat())}}`;
  if (value instanceof Undefined) return 'null';
  return JSON.stringify(pyStr(value));
}

/** A Python object plugin_data.py could only describe: prints as Python's str() of it. */
class ForeignObject extends PyObject {
  constructor(
    readonly typeName: string,
    private readonly text: string,
  ) {
    super();
  }
  override toPyString(): string {
    return this.text;
  }
}

/** The inverse of plugin_data.py's encode(). */
export function decodeFromPython(value: PyValue): PyValue {
  if (Array.isArray(value)) return value.map(decodeFromPython);
  if (!(value instanceof PyDict)) return value;
  const keys = [...value.keys()];
  const only = keys.length === 1 ? keys[0] : keys.length === 2 && keys.includes('$repr') ? '$repr' : undefined;
  if (typeof only === 'string' && SPECIAL_KEYS.has(only)) {
    const inner = value.get(only)!;
    switch (only) {
      case '$tuple':
        return tuple(pyIterate(inner).map(decodeFromPython));
      case '$dict': {
        const dict = new PyDict();
        for (const pair of pyIterate(inner)) {
          const [key, item] = pyIterate(pair);
          const decodedKey = decodeFromPython(key);
          dict.set(decodedKey instanceof PyFloat ? decodedKey.value : (decodedKey as string | number | boolean | null), decodeFromPython(item));
        }
        return dict;
      }
      case '$date':
      case '$datetime':
      case '$time':
        return dateTimeFromIso(String(inner)) ?? String(inner);
      case '$repr':
        return new ForeignObject(String(value.get('$type') ?? 'object'), String(inner));
    }
  }
  const dict = new PyDict();
  for (const [key, item] of value) dict.set(key, decodeFromPython(item));
  return dict;
}

async function runPluginsInPython(request: DerivedDataRequest, mode: PythonDerivation): Promise<DerivedDataResult | { failure: string }> {
  const script = mode.scriptPath;
  if (!script) return { failure: 'the helper script plugin_data.py is missing from this installation' };
  const { config } = request;
  const input =
    '{' +
    [
      `"plugins":${JSON.stringify([...config.plugins, ...config.loaders])}`,
      `"import_paths":${JSON.stringify(config.import_paths.map((entry) => path.resolve(request.root, entry)))}`,
      `"config":${JSON.stringify(config)}`,
      `"data":${encodeForPython(request.data)}`,
    ].join(',') +
    '}';
  // -B: no __pycache__ folders written into the user's templates/scripts.
  const result = await mode.runner.run({ command: mode.python, args: ['-B', script], cwd: request.root, stdin: input, timeoutMs: mode.timeoutMs ?? 30_000 });
  if (result.spawnError) return { failure: `Python (${mode.python}) could not be started (${result.spawnError})` };
  if (result.isTimedOut) return { failure: `plugin.py did not finish within ${Math.round((mode.timeoutMs ?? 30_000) / 1000)} s` };
  if (result.exitCode !== 0) {
    const last = result.stderr.trim().split('\n').pop() ?? '';
    return { failure: `running plugin.py failed (${last.replace(/^plugin_data: /, '').slice(0, 300) || `exit code ${result.exitCode}`})` };
  }
  let output: PyValue;
  try {
    output = parseJsonValue(result.stdout);
  } catch {
    return { failure: 'plugin.py printed something other than the expected result' };
  }
  if (!(output instanceof PyDict)) return { failure: 'plugin.py printed something other than the expected result' };
  const names = (key: string): string[] => pyIterate(output.get(key) ?? []).map((item) => pyStr(item));
  const derived = decodeFromPython(output.get('derived') ?? new PyDict());
  const notes = names('notes');
  if (output.get('stand_in') === true) notes.push('makejinja is not installed for this Python; plugin.py ran with a stand-in makejinja module');
  return {
    derived: derived instanceof PyDict ? derived : new PyDict(),
    declared: { functions: names('functions'), filters: names('filters'), tests: names('tests') },
    source: 'python',
    isApproximate: false,
    notes,
  };
}

// ---------------------------------------------------------------------------------------------
// Static derivation

/** Evaluates every plugin's data() with the Python subset below; what it cannot evaluate is noted. */
export function deriveStatically(request: DerivedDataRequest): DerivedDataResult {
  const derived = new PyDict();
  const notes: string[] = [];
  const declared: { functions: string[]; filters: string[]; tests: string[] } = { functions: [], filters: [], tests: [] };
  // The plugin gets the data dict itself; makejinja's globals hold a shallow copy taken before.
  const data = PyDict.of(request.data);
  for (const plugin of request.plugins) {
    const className = classNameOf(plugin.spec);
    if (plugin.text === undefined) {
      notes.push(`the plugin ${plugin.spec} was not found on the import paths; its data and functions are missing`);
      continue;
    }
    const shown = plugin.filePath ? path.relative(request.root, plugin.filePath) || plugin.filePath : plugin.spec;
    const reading = readPluginPy(plugin.text, { className });
    declared.functions.push(...reading.functions.map((f) => f.name));
    declared.filters.push(...reading.filters.map((f) => f.name));
    declared.tests.push(...reading.tests.map((f) => f.name));
    for (const method of ['path_filters', 'extensions', 'policies']) {
      // Python reports these when it runs the plugin; statically, their presence is all we know.
      if (new RegExp(`^[ \\t]+def ${method}\\(`, 'm').test(plugin.text)) notes.push(`${shown}: ${method}() is defined; the editor renderer does not apply it`);
    }
    const before = PyDict.of(data);
    const outcome = evaluatePluginData(plugin.text, className, data, request);
    if (outcome.result instanceof PyDict) for (const [key, value] of outcome.result) derived.set(key, value);
    else {
      // Stopped early: keep what the statements before the stop added or changed.
      for (const [key, value] of data) if (!before.has(key) || before.get(key) !== value) derived.set(key, value);
    }
    if (outcome.problem) notes.push(`${shown}: ${outcome.problem}`);
    const missing = reading.variables.map((v) => v.name).filter((name) => !derived.has(name) && !request.data.has(name));
    if (missing.length > 0) notes.push(`${shown}: not derived statically: ${missing.join(', ')}`);
  }
  return { derived, declared, source: 'static', isApproximate: true, notes };
}

function classNameOf(spec: string): string {
  return spec.includes(':') ? spec.slice(spec.indexOf(':') + 1) : spec.slice(spec.lastIndexOf('.') + 1);
}

/** Runs `ClassName(data=...).data()` of a plugin source; the result, or why it stopped. */
export function evaluatePluginData(
  text: string,
  className: string,
  data: PyDict,
  request: Pick<DerivedDataRequest, 'root' | 'files'>,
): { result?: PyValue; problem?: string } {
  let module: Block;
  try {
    module = parseModule(text);
  } catch (error) {
    if (error instanceof Unsupported) return { problem: `plugin.py could not be read (line ${error.line}: ${error.message})` };
    throw error;
  }
  const interpreter = new StaticInterpreter(request.root, request.files);
  try {
    interpreter.runModule(module);
    const cls = interpreter.moduleScope.values.get(className);
    if (!(cls instanceof StaticClass)) return { problem: `class ${className} not found in plugin.py` };
    const instance = interpreter.instantiate(cls, data);
    const method = cls.methods.get('data');
    if (!method) return { result: new PyDict() };
    return { result: interpreter.callFunction(method, [], new Map(), instance) };
  } catch (error) {
    if (error instanceof Unsupported) return { problem: `data() could not be evaluated without Python from line ${error.line} on (${error.message})` };
    if (error instanceof PyError) return { problem: `data() would raise ${error.pyType}: ${error.message}` };
    throw error;
  }
}

// -- tokens ------------------------------------------------------------------------------------

class Unsupported extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
  }
}

interface Token {
  kind: 'name' | 'number' | 'string' | 'op';
  text: string;
  line: number;
  /** Decoded text of a string literal. */
  value?: string;
  isFormatted?: boolean;
  isBytes?: boolean;
}

interface LogicalLine {
  indent: number;
  line: number;
  tokens: Token[];
}

const OPERATORS = ['...', '**=', '//=', '>>=', '<<=', '->', ':=', '==', '!=', '<=', '>=', '**', '//', '<<', '>>', '+=', '-=', '*=', '/=', '%=', '&=', '|=', '^=', '@='];
const NAME_RE = /[\p{L}\p{Nl}_][\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}]*/uy;
const NUMBER_RE = /0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|(?:\d[\d_]*\.?[\d_]*|\.\d[\d_]*)(?:[eE][+-]?\d[\d_]*)?[jJ]?/y;
const STRING_START = /([rRbBuUfF]{0,2})('''|"""|'|")/y;

function tokenize(text: string): LogicalLine[] {
  const lines: LogicalLine[] = [];
  let current: Token[] = [];
  let indent = 0;
  let depth = 0;
  let line = 1;
  let position = 0;
  let atLineStart = true;
  const finish = (): void => {
    if (current.length > 0) lines.push({ indent, line: current[0].line, tokens: current });
    current = [];
  };
  while (position < text.length) {
    if (atLineStart && depth === 0) {
      let column = 0;
      while (text[position] === ' ' || text[position] === '\t') {
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
      if (depth === 0) {
        finish();
        atLineStart = true;
      }
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r' || c === '\f') {
      position++;
      continue;
    }
    if (c === '#') {
      while (position < text.length && text[position] !== '\n') position++;
      continue;
    }
    if (c === '\\' && (text[position + 1] === '\n' || text[position + 1] === '\r')) {
      position += text[position + 1] === '\r' && text[position + 2] === '\n' ? 3 : 2;
      line++;
      continue;
    }
    STRING_START.lastIndex = position;
    const stringStart = STRING_START.exec(text);
    if (stringStart && (stringStart[1] === '' || /^[rRbBuUfF]+$/.test(stringStart[1]))) {
      const prefix = stringStart[1].toLowerCase();
      const quote = stringStart[2];
      const startLine = line;
      let i = position + stringStart[0].length;
      let raw = '';
      for (;;) {
        if (i >= text.length) throw new Unsupported('unterminated string', startLine);
        if (text.startsWith(quote, i)) break;
        if (text[i] === '\n') {
          if (quote.length === 1) throw new Unsupported('unterminated string', startLine);
          line++;
        }
        if (text[i] === '\\' && i + 1 < text.length) {
          if (text[i + 1] === '\n') line++;
          raw += text[i] + text[i + 1];
          i += 2;
          continue;
        }
        raw += text[i];
        i++;
      }
      position = i + quote.length;
      current.push({
        kind: 'string',
        text: text.slice(stringStart.index, position),
        line: startLine,
        value: prefix.includes('r') ? raw : decodeEscapes(raw),
        isFormatted: prefix.includes('f'),
        isBytes: prefix.includes('b'),
      });
      continue;
    }
    NAME_RE.lastIndex = position;
    const name = NAME_RE.exec(text);
    if (name) {
      current.push({ kind: 'name', text: name[0], line });
      position += name[0].length;
      continue;
    }
    if ((c >= '0' && c <= '9') || (c === '.' && /[0-9]/.test(text[position + 1] ?? ''))) {
      NUMBER_RE.lastIndex = position;
      const number = NUMBER_RE.exec(text)!;
      current.push({ kind: 'number', text: number[0], line });
      position += number[0].length;
      continue;
    }
    const operator = OPERATORS.find((candidate) => text.startsWith(candidate, position)) ?? c;
    if ('([{'.includes(operator)) depth++;
    else if (')]}'.includes(operator)) depth = Math.max(0, depth - 1);
    current.push({ kind: 'op', text: operator, line });
    position += operator.length;
  }
  finish();
  return lines;
}

function decodeEscapes(raw: string): string {
  return raw.replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{1,3}|\n|.)/gs, (whole, code: string) => {
    const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', v: '\v', '\n': '' };
    if (simple[code] !== undefined) return simple[code];
    if (/^[xuU]/.test(code)) return String.fromCodePoint(parseInt(code.slice(1), 16));
    if (/^[0-7]+$/.test(code)) return String.fromCodePoint(parseInt(code, 8));
    return whole;
  });
}

// -- syntax tree -------------------------------------------------------------------------------

type Expr =
  | { k: 'const'; value: PyValue }
  | { k: 'fstring'; parts: (string | { expr: Expr; conversion?: string })[] }
  | { k: 'name'; id: string; line: number }
  | { k: 'attr'; obj: Expr; name: string; line: number }
  | { k: 'sub'; obj: Expr; index: Expr | SliceExpr; line: number }
  | { k: 'call'; fn: Expr; args: Expr[]; kwargs: [string, Expr][]; line: number }
  | { k: 'bin'; op: string; left: Expr; right: Expr; line: number }
  | { k: 'unary'; op: string; operand: Expr; line: number }
  | { k: 'and' | 'or'; left: Expr; right: Expr }
  | { k: 'not'; operand: Expr }
  | { k: 'cmp'; first: Expr; rest: [string, Expr][]; line: number }
  | { k: 'ifexp'; test: Expr; body: Expr; orelse: Expr }
  | { k: 'list' | 'tuple' | 'set'; items: Expr[] }
  | { k: 'dict'; entries: [Expr | null, Expr][] }
  | { k: 'comp'; kind: 'list' | 'gen' | 'set' | 'dict'; element: Expr; key?: Expr; clauses: Clause[] }
  | { k: 'lambda'; params: Param[]; body: Expr };

interface SliceExpr {
  k: 'slice';
  lower?: Expr;
  upper?: Expr;
  step?: Expr;
}

interface Clause {
  target: Expr;
  iter: Expr;
  conditions: Expr[];
}

interface Param {
  name: string;
  default?: Expr;
  kind: 'normal' | 'varargs' | 'kwargs';
}

type Stmt =
  | { k: 'expr'; expr: Expr; line: number }
  | { k: 'assign'; targets: Expr[]; value: Expr; line: number }
  | { k: 'aug'; target: Expr; op: string; value: Expr; line: number }
  | { k: 'return'; value?: Expr; line: number }
  | { k: 'pass' | 'break' | 'continue'; line: number }
  | { k: 'if'; branches: { test?: Expr; body: Block }[]; line: number }
  | { k: 'for'; target: Expr; iter: Expr; body: Block; line: number }
  | { k: 'try'; body: Block; handlers: { types: string[] | null; name?: string; body: Block }[]; orelse?: Block; finalbody?: Block; line: number }
  | { k: 'raise'; value?: Expr; line: number }
  | { k: 'def'; name: string; params: Param[]; body: Block; decorators: string[]; line: number }
  | { k: 'class'; name: string; body: Block; line: number }
  | { k: 'import'; names: string[]; line: number }
  | { k: 'unsupported'; what: string; line: number };

type Block = Stmt[];

/** Expression parser over one statement's tokens (Python's precedence, a subset of its forms). */
class ExprParser {
  private position = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly line: number,
  ) {}

  get isDone(): boolean {
    return this.position >= this.tokens.length;
  }
  peek(offset = 0): Token | undefined {
    return this.tokens[this.position + offset];
  }
  isOp(text: string, offset = 0): boolean {
    const token = this.peek(offset);
    return token?.kind === 'op' && token.text === text;
  }
  isKeyword(text: string, offset = 0): boolean {
    const token = this.peek(offset);
    return token?.kind === 'name' && token.text === text;
  }
  next(): Token {
    const token = this.tokens[this.position++];
    if (!token) throw this.unsupported('unexpected end of statement');
    return token;
  }
  expectOp(text: string): void {
    if (!this.isOp(text)) throw this.unsupported(`expected '${text}'`);
    this.position++;
  }
  unsupported(message: string): Unsupported {
    return new Unsupported(message, this.peek()?.line ?? this.line);
  }

  /** A full expression list: `a, b` is a tuple. */
  parseExpressionList(): Expr {
    const first = this.parseExpression();
    if (!this.isOp(',')) return first;
    const items = [first];
    while (this.isOp(',')) {
      this.position++;
      if (this.isDone || this.isOp(')') || this.isOp('=') || this.isOp(':')) break;
      items.push(this.parseExpression());
    }
    return { k: 'tuple', items };
  }

  parseExpression(): Expr {
    if (this.isKeyword('lambda')) {
      this.position++;
      const params = this.parseParams(':');
      this.expectOp(':');
      return { k: 'lambda', params, body: this.parseExpression() };
    }
    const body = this.parseOr();
    if (this.isKeyword('if')) {
      this.position++;
      const test = this.parseOr();
      if (!this.isKeyword('else')) throw this.unsupported("expected 'else'");
      this.position++;
      return { k: 'ifexp', test, body, orelse: this.parseExpression() };
    }
    return body;
  }

  parseParams(end: string): Param[] {
    const params: Param[] = [];
    while (!this.isOp(end)) {
      let kind: Param['kind'] = 'normal';
      if (this.isOp('*') || this.isOp('**')) {
        kind = this.next().text === '*' ? 'varargs' : 'kwargs';
        if (this.isOp(',')) {
          // A bare `*`: keyword-only parameters follow; we bind them by name anyway.
          this.position++;
          continue;
        }
      }
      if (this.isOp('/')) {
        this.position++;
        if (this.isOp(',')) this.position++;
        continue;
      }
      const name = this.next();
      if (name.kind !== 'name') throw this.unsupported('unexpected parameter');
      if (this.isOp(':') && end !== ':') {
        // Annotation: skipped, never evaluated.
        this.position++;
        this.parseExpression();
      }
      let defaultValue: Expr | undefined;
      if (this.isOp('=')) {
        this.position++;
        defaultValue = this.parseExpression();
      }
      params.push(defaultValue ? { name: name.text, default: defaultValue, kind } : { name: name.text, kind });
      if (!this.isOp(',')) break;
      this.position++;
    }
    return params;
  }

  private parseOr(): Expr {
    let left = this.parseAnd();
    while (this.isKeyword('or')) {
      this.position++;
      left = { k: 'or', left, right: this.parseAnd() };
    }
    return left;
  }

  private parseAnd(): Expr {
    let left = this.parseNot();
    while (this.isKeyword('and')) {
      this.position++;
      left = { k: 'and', left, right: this.parseNot() };
    }
    return left;
  }

  private parseNot(): Expr {
    if (this.isKeyword('not')) {
      this.position++;
      return { k: 'not', operand: this.parseNot() };
    }
    return this.parseComparison();
  }

  private parseComparison(): Expr {
    const line = this.peek()?.line ?? this.line;
    const first = this.parseBinary(0);
    const rest: [string, Expr][] = [];
    for (;;) {
      let op: string | undefined;
      const token = this.peek();
      if (token?.kind === 'op' && ['==', '!=', '<', '>', '<=', '>='].includes(token.text)) {
        op = token.text;
        this.position++;
      } else if (this.isKeyword('in')) {
        op = 'in';
        this.position++;
      } else if (this.isKeyword('not') && this.isKeyword('in', 1)) {
        op = 'not in';
        this.position += 2;
      } else if (this.isKeyword('is')) {
        this.position++;
        op = 'is';
        if (this.isKeyword('not')) {
          this.position++;
          op = 'is not';
        }
      }
      if (!op) break;
      rest.push([op, this.parseBinary(0)]);
    }
    return rest.length === 0 ? first : { k: 'cmp', first, rest, line };
  }

  private static readonly LEVELS: string[][] = [['|'], ['^'], ['&'], ['<<', '>>'], ['+', '-'], ['*', '/', '//', '%', '@']];

  private parseBinary(level: number): Expr {
    if (level >= ExprParser.LEVELS.length) return this.parseUnary();
    let left = this.parseBinary(level + 1);
    for (;;) {
      const token = this.peek();
      if (token?.kind !== 'op' || !ExprParser.LEVELS[level].includes(token.text)) return left;
      this.position++;
      left = { k: 'bin', op: token.text, left, right: this.parseBinary(level + 1), line: token.line };
    }
  }

  private parseUnary(): Expr {
    const token = this.peek();
    if (token?.kind === 'op' && ['-', '+', '~'].includes(token.text)) {
      this.position++;
      return { k: 'unary', op: token.text, operand: this.parseUnary(), line: token.line };
    }
    return this.parsePower();
  }

  private parsePower(): Expr {
    const base = this.parsePrimary();
    if (this.isOp('**')) {
      const line = this.next().line;
      return { k: 'bin', op: '**', left: base, right: this.parseUnary(), line };
    }
    return base;
  }

  private parsePrimary(): Expr {
    let expr = this.parseAtom();
    for (;;) {
      if (this.isOp('.')) {
        this.position++;
        const name = this.next();
        expr = { k: 'attr', obj: expr, name: name.text, line: name.line };
      } else if (this.isOp('(')) {
        const line = this.next().line;
        const args: Expr[] = [];
        const kwargs: [string, Expr][] = [];
        while (!this.isOp(')')) {
          if (this.isOp('*') || this.isOp('**')) throw this.unsupported('*args in a call');
          if (this.peek()?.kind === 'name' && this.isOp('=', 1)) {
            const name = this.next().text;
            this.position++;
            kwargs.push([name, this.parseExpression()]);
          } else {
            const arg = this.parseExpression();
            if (this.isKeyword('for')) args.push({ k: 'comp', kind: 'gen', element: arg, clauses: this.parseClauses() });
            else args.push(arg);
          }
          if (!this.isOp(',')) break;
          this.position++;
        }
        this.expectOp(')');
        expr = { k: 'call', fn: expr, args, kwargs, line };
      } else if (this.isOp('[')) {
        const line = this.next().line;
        const index = this.parseSubscript();
        this.expectOp(']');
        expr = { k: 'sub', obj: expr, index, line };
      } else return expr;
    }
  }

  private parseSubscript(): Expr | SliceExpr {
    const part = (): Expr | undefined => (this.isOp(':') || this.isOp(']') ? undefined : this.parseExpression());
    const lower = part();
    if (!this.isOp(':')) {
      if (!this.isOp(',')) return lower!;
      // `dict[str, Any]` (annotations, never evaluated) and `d[a, b]` (a tuple key).
      const items = [lower!];
      while (this.isOp(',')) {
        this.position++;
        if (this.isOp(']')) break;
        items.push(this.parseExpression());
      }
      return { k: 'tuple', items };
    }
    this.position++;
    const upper = part();
    let step: Expr | undefined;
    if (this.isOp(':')) {
      this.position++;
      step = part();
    }
    return { k: 'slice', lower, upper, step };
  }

  private parseClauses(): Clause[] {
    const clauses: Clause[] = [];
    while (this.isKeyword('for')) {
      this.position++;
      const target = this.parseTargetList();
      if (!this.isKeyword('in')) throw this.unsupported("expected 'in'");
      this.position++;
      const iter = this.parseOr();
      const conditions: Expr[] = [];
      while (this.isKeyword('if')) {
        this.position++;
        conditions.push(this.parseOrNoTernary());
      }
      clauses.push({ target, iter, conditions });
    }
    return clauses;
  }

  private parseOrNoTernary(): Expr {
    return this.parseOr();
  }

  /** `a`, `a, b`, `(a, b)` as a for-target. */
  parseTargetList(): Expr {
    const items: Expr[] = [this.parseBinary(0)];
    while (this.isOp(',')) {
      this.position++;
      if (this.isKeyword('in') || this.isOp('=')) break;
      items.push(this.parseBinary(0));
    }
    return items.length === 1 ? items[0] : { k: 'tuple', items };
  }

  private parseAtom(): Expr {
    const token = this.next();
    if (token.kind === 'number') return { k: 'const', value: parseNumber(token) };
    if (token.kind === 'string') {
      const parts: Token[] = [token];
      while (this.peek()?.kind === 'string') parts.push(this.next());
      if (parts.some((part) => part.isBytes)) throw new Unsupported('bytes literals', token.line);
      if (!parts.some((part) => part.isFormatted)) return { k: 'const', value: parts.map((part) => part.value!).join('') };
      const pieces: (string | { expr: Expr; conversion?: string })[] = [];
      for (const part of parts) {
        if (part.isFormatted) pieces.push(...parseFormatted(part.value!, part.line));
        else pieces.push(part.value!);
      }
      return { k: 'fstring', parts: pieces };
    }
    if (token.kind === 'op' && token.text === '...') return { k: 'const', value: null };
    if (token.kind === 'name') {
      if (token.text === 'True') return { k: 'const', value: true };
      if (token.text === 'False') return { k: 'const', value: false };
      if (token.text === 'None') return { k: 'const', value: null };
      return { k: 'name', id: token.text, line: token.line };
    }
    if (token.text === '(') {
      if (this.isOp(')')) {
        this.position++;
        return { k: 'tuple', items: [] };
      }
      const first = this.parseExpression();
      if (this.isKeyword('for')) {
        const clauses = this.parseClauses();
        this.expectOp(')');
        return { k: 'comp', kind: 'gen', element: first, clauses };
      }
      if (this.isOp(')')) {
        this.position++;
        return first;
      }
      const items = [first];
      while (this.isOp(',')) {
        this.position++;
        if (this.isOp(')')) break;
        items.push(this.parseExpression());
      }
      this.expectOp(')');
      return { k: 'tuple', items };
    }
    if (token.text === '[') {
      const items: Expr[] = [];
      if (!this.isOp(']')) {
        const first = this.parseExpression();
        if (this.isKeyword('for')) {
          const clauses = this.parseClauses();
          this.expectOp(']');
          return { k: 'comp', kind: 'list', element: first, clauses };
        }
        items.push(first);
        while (this.isOp(',')) {
          this.position++;
          if (this.isOp(']')) break;
          items.push(this.parseExpression());
        }
      }
      this.expectOp(']');
      return { k: 'list', items };
    }
    if (token.text === '{') {
      if (this.isOp('}')) {
        this.position++;
        return { k: 'dict', entries: [] };
      }
      if (this.isOp('**')) {
        this.position++;
        const entries: [Expr | null, Expr][] = [[null, this.parseBinary(0)]];
        return this.finishDict(entries);
      }
      const first = this.parseExpression();
      if (this.isOp(':')) {
        this.position++;
        const value = this.parseExpression();
        if (this.isKeyword('for')) {
          const clauses = this.parseClauses();
          this.expectOp('}');
          return { k: 'comp', kind: 'dict', key: first, element: value, clauses };
        }
        return this.finishDict([[first, value]]);
      }
      if (this.isKeyword('for')) {
        const clauses = this.parseClauses();
        this.expectOp('}');
        return { k: 'comp', kind: 'set', element: first, clauses };
      }
      const items = [first];
      while (this.isOp(',')) {
        this.position++;
        if (this.isOp('}')) break;
        items.push(this.parseExpression());
      }
      this.expectOp('}');
      return { k: 'set', items };
    }
    throw new Unsupported(`unexpected '${token.text}'`, token.line);
  }

  private finishDict(entries: [Expr | null, Expr][]): Expr {
    while (this.isOp(',')) {
      this.position++;
      if (this.isOp('}')) break;
      if (this.isOp('**')) {
        this.position++;
        entries.push([null, this.parseBinary(0)]);
        continue;
      }
      const key = this.parseExpression();
      this.expectOp(':');
      entries.push([key, this.parseExpression()]);
    }
    this.expectOp('}');
    return { k: 'dict', entries };
  }
}

function parseNumber(token: Token): PyValue {
  const text = token.text.replace(/_/g, '');
  if (/[jJ]$/.test(text)) throw new Unsupported('complex numbers', token.line);
  if (/^0[xX]/.test(text)) return Number(BigInt(text));
  if (/^0[oO]/.test(text)) return Number(BigInt('0o' + text.slice(2)));
  if (/^0[bB]/.test(text)) return Number(BigInt('0b' + text.slice(2)));
  if (/[.eE]/.test(text)) return new PyFloat(Number(text));
  return Number(text);
}

/** The literal text and `{expression!conversion}` fields of an f-string (no format specs). */
function parseFormatted(body: string, line: number): (string | { expr: Expr; conversion?: string })[] {
  const pieces: (string | { expr: Expr; conversion?: string })[] = [];
  let literal = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if ((c === '{' || c === '}') && body[i + 1] === c) {
      literal += c;
      i++;
      continue;
    }
    if (c !== '{') {
      literal += c;
      continue;
    }
    let depth = 1;
    let j = i + 1;
    for (; j < body.length && depth > 0; j++) {
      if (body[j] === '{') depth++;
      else if (body[j] === '}') depth--;
    }
    let field = body.slice(i + 1, j - 1);
    let conversion: string | undefined;
    const bang = /!([rsa])$/.exec(field);
    if (bang) {
      conversion = bang[1];
      field = field.slice(0, -2);
    }
    if (/[^=!<>]:[^\]]*$/.test(field) && !/[[({]/.test(field)) throw new Unsupported('format specs in f-strings', line);
    if (literal) pieces.push(literal);
    literal = '';
    const lines = tokenize(field);
    const parser = new ExprParser(lines[0]?.tokens ?? [], line);
    pieces.push(conversion ? { expr: parser.parseExpressionList(), conversion } : { expr: parser.parseExpressionList() });
    i = j - 1;
  }
  if (literal) pieces.push(literal);
  return pieces;
}

const COMPOUND = new Set(['if', 'elif', 'else', 'for', 'while', 'try', 'except', 'finally', 'with', 'def', 'class', 'async', 'match']);

/** Parses a module into statements (a block tree by indentation). */
function parseModule(text: string): Block {
  const lines = tokenize(text);
  let index = 0;
  const parseBlock = (indent: number): Block => {
    const block: Block = [];
    let decorators: string[] = [];
    while (index < lines.length && lines[index].indent >= indent) {
      const logical = lines[index];
      if (logical.indent > indent) throw new Unsupported('unexpected indentation', logical.line);
      index++;
      const tokens = logical.tokens;
      if (tokens[0].kind === 'op' && tokens[0].text === '@') {
        decorators.push(tokens.slice(1).map((token) => token.text).join(''));
        continue;
      }
      const last = tokens[tokens.length - 1];
      // `match` is a keyword only as a statement (`match x:`); elsewhere it is a name (`match = re.search(...)`).
      const isSoftKeyword = tokens[0].text !== 'match' || (last.kind === 'op' && last.text === ':' && tokens.length > 2);
      const first = tokens[0].kind === 'name' && COMPOUND.has(tokens[0].text) && isSoftKeyword ? tokens[0].text : undefined;
      if (!first) {
        block.push(...splitSimple(tokens).map((part) => parseSimple(part, logical.line)));
        decorators = [];
        continue;
      }
      const colon = headerColon(tokens);
      if (colon < 0) throw new Unsupported(`'${first}' without ':'`, logical.line);
      const header = tokens.slice(0, colon);
      const inline = tokens.slice(colon + 1);
      const body = (): Block => {
        if (inline.length > 0) return splitSimple(inline).map((part) => parseSimple(part, logical.line));
        const next = lines[index];
        if (!next || next.indent <= indent) throw new Unsupported('empty block', logical.line);
        return parseBlock(next.indent);
      };
      const statement = parseCompound(first, header, body, logical.line, decorators, block);
      decorators = [];
      if (statement) block.push(statement);
    }
    return block;
  };
  return parseBlock(0);
}

/** The `:` ending a compound statement's header (not one inside brackets or a lambda). */
function headerColon(tokens: Token[]): number {
  let depth = 0;
  let lambdas = 0;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    if (token.kind === 'name' && token.text === 'lambda') lambdas++;
    if (token.kind !== 'op') continue;
    if ('([{'.includes(token.text)) depth++;
    else if (')]}'.includes(token.text)) depth--;
    else if (token.text === ':' && depth === 0) {
      if (lambdas > 0) lambdas--;
      else return i;
    }
  }
  return -1;
}

function splitSimple(tokens: Token[]): Token[][] {
  const parts: Token[][] = [[]];
  let depth = 0;
  for (const token of tokens) {
    if (token.kind === 'op') {
      if ('([{'.includes(token.text)) depth++;
      else if (')]}'.includes(token.text)) depth--;
      else if (token.text === ';' && depth === 0) {
        parts.push([]);
        continue;
      }
    }
    parts[parts.length - 1].push(token);
  }
  return parts.filter((part) => part.length > 0);
}

function parseCompound(keyword: string, header: Token[], body: () => Block, line: number, decorators: string[], block: Block): Stmt | undefined {
  const expr = (tokens: Token[]): Expr => {
    const parser = new ExprParser(tokens, line);
    const result = parser.parseExpressionList();
    if (!parser.isDone) throw parser.unsupported(`unexpected '${parser.peek()!.text}'`);
    return result;
  };
  const previous = block[block.length - 1];
  switch (keyword) {
    case 'if':
      return { k: 'if', branches: [{ test: expr(header.slice(1)), body: body() }], line };
    case 'elif':
    case 'else': {
      const owner = previous?.k === 'if' || previous?.k === 'for' || previous?.k === 'try' ? previous : undefined;
      if (owner?.k === 'if') {
        owner.branches.push(keyword === 'elif' ? { test: expr(header.slice(1)), body: body() } : { body: body() });
        return undefined;
      }
      if (owner?.k === 'try' && keyword === 'else') {
        owner.orelse = body();
        return undefined;
      }
      body();
      return { k: 'unsupported', what: `${keyword} after a loop`, line };
    }
    case 'for': {
      const parser = new ExprParser(header.slice(1), line);
      const target = parser.parseTargetList();
      if (!parser.isKeyword('in')) throw parser.unsupported("expected 'in'");
      parser.next();
      const iter = parser.parseExpressionList();
      return { k: 'for', target, iter, body: body(), line };
    }
    case 'try':
      return { k: 'try', body: body(), handlers: [], line };
    case 'except': {
      if (previous?.k !== 'try') throw new Unsupported("'except' without 'try'", line);
      const rest = header.slice(1);
      const asIndex = rest.findIndex((token) => token.kind === 'name' && token.text === 'as');
      const typeTokens = asIndex >= 0 ? rest.slice(0, asIndex) : rest;
      const types = typeTokens.length === 0 ? null : typeTokens.filter((token) => token.kind === 'name').map((token) => token.text);
      const handler: { types: string[] | null; name?: string; body: Block } = { types, body: body() };
      if (asIndex >= 0) handler.name = rest[asIndex + 1]?.text;
      previous.handlers.push(handler);
      return undefined;
    }
    case 'finally':
      if (previous?.k !== 'try') throw new Unsupported("'finally' without 'try'", line);
      previous.finalbody = body();
      return undefined;
    case 'def': {
      const parser = new ExprParser(header.slice(2), line);
      parser.expectOp('(');
      const params = parser.parseParams(')');
      parser.expectOp(')');
      return { k: 'def', name: header[1].text, params, body: body(), decorators, line };
    }
    case 'class':
      return { k: 'class', name: header[1].text, body: body(), line };
    default:
      body();
      return { k: 'unsupported', what: `'${keyword}' statements`, line };
  }
}

function parseSimple(tokens: Token[], line: number): Stmt {
  const first = tokens[0];
  line = first.line;
  if (first.kind === 'name') {
    switch (first.text) {
      case 'pass':
      case 'break':
      case 'continue':
        return { k: first.text, line };
      case 'return':
        return tokens.length > 1 ? { k: 'return', value: parseWhole(tokens.slice(1), line), line } : { k: 'return', line };
      case 'raise':
        return tokens.length > 1 ? { k: 'raise', value: parseWhole(tokens.slice(1).filter((_, i, all) => !all.slice(0, i + 1).some((t) => t.text === 'from')), line), line } : { k: 'raise', line };
      case 'import':
      case 'from': {
        const names: string[] = [];
        if (first.text === 'import') {
          for (const part of splitOn(tokens.slice(1), ',')) names.push(part[part.length - 1].text === part[0].text ? part[0].text : part[part.length - 1].text);
        } else {
          const importIndex = tokens.findIndex((token) => token.kind === 'name' && token.text === 'import');
          for (const part of splitOn(tokens.slice(importIndex + 1).filter((token) => token.text !== '(' && token.text !== ')'), ',')) names.push(part[part.length - 1].text);
        }
        return { k: 'import', names, line };
      }
      case 'global':
      case 'nonlocal':
      case 'del':
      case 'assert':
      case 'yield':
      case 'await':
        return { k: 'unsupported', what: `'${first.text}' statements`, line };
    }
  }
  // Assignment targets: split at top-level `=`; augmented assignment by its operator.
  const parts = splitOn(tokens, '=');
  const augmented = tokens.findIndex((token) => token.kind === 'op' && /^(?:\+|-|\*|\/|\/\/|%|\*\*|\||&|\^|<<|>>)=$/.test(token.text));
  if (augmented > 0 && parts.length === 1) {
    return { k: 'aug', target: parseWhole(tokens.slice(0, augmented), line), op: tokens[augmented].text.slice(0, -1), value: parseWhole(tokens.slice(augmented + 1), line), line };
  }
  if (parts.length > 1) {
    const targets = parts.slice(0, -1).map((part) => parseWhole(stripAnnotation(part), line));
    return { k: 'assign', targets, value: parseWhole(parts[parts.length - 1], line), line };
  }
  // `x: int` alone declares without assigning.
  const annotation = splitOn(tokens, ':');
  if (annotation.length > 1 && tokens[0].kind === 'name' && tokens[1]?.text === ':') return { k: 'pass', line };
  return { k: 'expr', expr: parseWhole(tokens, line), line };
}

function stripAnnotation(tokens: Token[]): Token[] {
  const parts = splitOn(tokens, ':');
  return parts.length > 1 ? parts[0] : tokens;
}

function parseWhole(tokens: Token[], line: number): Expr {
  const parser = new ExprParser(tokens, line);
  const expr = parser.parseExpressionList();
  if (!parser.isDone) throw parser.unsupported(`unexpected '${parser.peek()!.text}'`);
  return expr;
}

/** Splits at a top-level operator token (not inside brackets, not `==`). */
function splitOn(tokens: Token[], separator: string): Token[][] {
  const parts: Token[][] = [[]];
  let depth = 0;
  let lambdas = 0;
  for (const token of tokens) {
    if (token.kind === 'name' && token.text === 'lambda') lambdas++;
    if (token.kind === 'op') {
      if ('([{'.includes(token.text)) depth++;
      else if (')]}'.includes(token.text)) depth--;
      else if (token.text === separator && depth === 0) {
        if (separator === ':' && lambdas > 0) {
          lambdas--;
        } else {
          parts.push([]);
          continue;
        }
      }
    }
    parts[parts.length - 1].push(token);
  }
  return parts;
}

// -- evaluation --------------------------------------------------------------------------------

class StaticFunction extends PyObject {
  readonly typeName = 'function';
  constructor(
    readonly name: string,
    readonly params: Param[],
    readonly body: Block | Expr,
    readonly closure: Scope,
    readonly isMethod = false,
  ) {
    super();
  }
  override toPyString(): string {
    return `<function ${this.name}>`;
  }
}

/** A Python callable implemented here (builtins, bound methods, plugin natives). */
class BuiltinCallable extends PyObject {
  readonly typeName = 'builtin_function_or_method';
  constructor(
    readonly name: string,
    readonly call: (args: PyValue[], kwargs: PyKwargs) => PyValue,
    /** For isinstance: which values are instances (set for type objects like str, dict). */
    readonly isInstance?: (value: PyValue) => boolean,
  ) {
    super();
  }
}

class StaticClass extends PyObject {
  readonly typeName = 'type';
  constructor(
    readonly name: string,
    readonly methods: Map<string, StaticFunction>,
  ) {
    super();
  }
}

class StaticInstance extends PyObject {
  readonly attributes = new Map<string, PyValue>();
  constructor(readonly cls: StaticClass) {
    super();
  }
  get typeName(): string {
    return this.cls.name;
  }
}

class StaticModule extends PyObject {
  readonly typeName = 'module';
  constructor(readonly name: string) {
    super();
  }
}

class Scope {
  readonly values = new Map<string, PyValue>();
  constructor(readonly parent?: Scope) {}
  lookup(name: string): PyValue | undefined {
    return this.values.get(name) ?? this.parent?.lookup(name);
  }
}

class ReturnSignal {
  constructor(readonly value: PyValue) {}
}
class BreakSignal {}
class ContinueSignal {}

const MAX_STEPS = 200_000;
const MAX_DEPTH = 60;

class StaticInterpreter {
  readonly moduleScope: Scope;
  private steps = 0;
  private depth = 0;
  private readonly natives: Map<string, PyValue>;
  /** What methods of builtin values (methods.ts) need from their caller: calls back into this interpreter. */
  private readonly runtime: RuntimeContext = {
    undefinedMode: 'strict',
    makeUndefined: (hint, name) => new Undefined('strict', hint, name),
    getattr: (obj, name) => this.attribute(obj, name, 0),
    getitem: (obj, key) => pythonGetitem(obj, key),
    callFilter: (name) => {
      throw new Unsupported(`the Jinja filter ${name}`, 0);
    },
    callTest: (name) => {
      throw new Unsupported(`the Jinja test ${name}`, 0);
    },
    call: (callee, args, kwargs) => this.callValue(callee, args, kwargs ?? new Map(), 0),
    globals: new Map(),
  };

  constructor(root: string, files: PluginFileAccess) {
    const builtins = new Scope();
    for (const [name, value] of builtinFunctions(this)) builtins.values.set(name, value);
    this.moduleScope = new Scope(builtins);
    // The plugin's own functions that have a native version are called natively (they read files,
    // parse addresses); a Python definition of the same name in plugin.py is assumed to match.
    const callables = nativePluginCallables(root, files);
    this.natives = new Map<string, PyValue>();
    const noContext = undefined as unknown as RuntimeContext;
    for (const [name, fn] of callables.functions) this.natives.set(name, new BuiltinCallable(name, (args, kwargs) => fn.impl(noContext, args, kwargs)));
    for (const [name, filter] of callables.filters) {
      this.natives.set(
        name,
        new BuiltinCallable(name, (args, kwargs) => {
          if (args.length === 0) throw new PyError('TypeError', `${name}() missing 1 required positional argument: 'value'`);
          return filter(noContext, args[0], args.slice(1), kwargs);
        }),
      );
    }
  }

  runModule(module: Block): void {
    for (const statement of module) {
      try {
        if (statement.k === 'def' && this.natives.has(statement.name)) {
          this.moduleScope.values.set(statement.name, this.natives.get(statement.name)!);
          continue;
        }
        if (statement.k === 'import') {
          for (const name of statement.names) this.moduleScope.values.set(name, new StaticModule(name));
          continue;
        }
        this.exec([statement], this.moduleScope);
      } catch (error) {
        // Module-level code we cannot run (e.g. a constant computed by a library call) only matters
        // if data() uses it; the name stays unknown and data() stops there with a clear reason.
        if (!(error instanceof Unsupported) && !(error instanceof PyError)) throw error;
      }
    }
  }

  instantiate(cls: StaticClass, data: PyDict): StaticInstance {
    const instance = new StaticInstance(cls);
    const init = cls.methods.get('__init__');
    if (init) {
      // load_plugin passes env, environment, data and config by keyword, as the signature asks.
      const kwargs: PyKwargs = new Map();
      for (const param of init.params.slice(1)) {
        if (param.name === 'data') kwargs.set('data', data);
        else if (param.name === 'env' || param.name === 'environment' || param.name === 'config') kwargs.set(param.name, null);
      }
      this.callFunction(init, [], kwargs, instance);
    }
    return instance;
  }

  private step(line: number): void {
    if (++this.steps > MAX_STEPS) throw new Unsupported('too many steps', line);
  }

  callFunction(fn: StaticFunction, args: PyValue[], kwargs: PyKwargs, self?: PyValue): PyValue {
    if (++this.depth > MAX_DEPTH) throw new Unsupported('calls nest too deeply', 0);
    try {
      const scope = new Scope(fn.closure);
      const all = self !== undefined ? [self, ...args] : args;
      const remaining = new Map(kwargs);
      fn.params.forEach((param, i) => {
        if (param.kind === 'varargs') {
          scope.values.set(param.name, tuple(all.slice(i)));
          return;
        }
        if (param.kind === 'kwargs') {
          scope.values.set(param.name, PyDict.of(remaining));
          remaining.clear();
          return;
        }
        if (i < all.length) scope.values.set(param.name, all[i]);
        else if (remaining.has(param.name)) {
          scope.values.set(param.name, remaining.get(param.name)!);
          remaining.delete(param.name);
        } else if (param.default) scope.values.set(param.name, this.eval(param.default, fn.closure));
        else throw new PyError('TypeError', `${fn.name}() missing 1 required positional argument: '${param.name}'`);
      });
      if (remaining.size > 0) throw new PyError('TypeError', `${fn.name}() got an unexpected keyword argument '${[...remaining.keys()][0]}'`);
      if (!Array.isArray(fn.body)) return this.eval(fn.body as Expr, scope);
      try {
        this.exec(fn.body, scope);
      } catch (signal) {
        if (signal instanceof ReturnSignal) return signal.value;
        throw signal;
      }
      return null;
    } finally {
      this.depth--;
    }
  }

  exec(block: Block, scope: Scope): void {
    for (const statement of block) {
      this.step(statement.line);
      switch (statement.k) {
        case 'pass':
          break;
        case 'break':
          throw new BreakSignal();
        case 'continue':
          throw new ContinueSignal();
        case 'expr':
          this.eval(statement.expr, scope);
          break;
        case 'return':
          throw new ReturnSignal(statement.value ? this.eval(statement.value, scope) : null);
        case 'assign': {
          const value = this.eval(statement.value, scope);
          for (const target of statement.targets) this.assign(target, value, scope);
          break;
        }
        case 'aug': {
          const current = this.eval(statement.target, scope);
          const right = this.eval(statement.value, scope);
          // list += iterable extends in place, as Python's __iadd__ does.
          if (statement.op === '+' && isList(current)) current.push(...pyIterate(right));
          else this.assign(statement.target, binary(statement.op, current, right, statement.line), scope);
          break;
        }
        case 'if': {
          const branch = statement.branches.find((b) => !b.test || pyTruthy(this.eval(b.test, scope)));
          if (branch) this.exec(branch.body, scope);
          break;
        }
        case 'for':
          for (const item of [...pyIterate(this.eval(statement.iter, scope))]) {
            this.assign(statement.target, item, scope);
            try {
              this.exec(statement.body, scope);
            } catch (signal) {
              if (signal instanceof BreakSignal) break;
              if (signal instanceof ContinueSignal) continue;
              throw signal;
            }
          }
          break;
        case 'try':
          this.execTry(statement, scope);
          break;
        case 'raise': {
          const value = statement.value ? this.eval(statement.value, scope) : null;
          throw raiseOf(value, statement.line);
        }
        case 'def':
          scope.values.set(statement.name, new StaticFunction(statement.name, statement.params, statement.body, scope));
          break;
        case 'class': {
          const methods = new Map<string, StaticFunction>();
          for (const member of statement.body) {
            if (member.k === 'def') methods.set(member.name, new StaticFunction(member.name, member.params, member.body, scope, !member.decorators.includes('staticmethod')));
          }
          scope.values.set(statement.name, new StaticClass(statement.name, methods));
          break;
        }
        case 'import':
          throw new Unsupported('imports inside functions', statement.line);
        case 'unsupported':
          throw new Unsupported(statement.what, statement.line);
      }
    }
  }

  private execTry(statement: Extract<Stmt, { k: 'try' }>, scope: Scope): void {
    try {
      try {
        this.exec(statement.body, scope);
      } catch (error) {
        if (!(error instanceof PyError)) throw error;
        const handler = statement.handlers.find((h) => h.types === null || h.types.some((type) => exceptionMatches(error.pyType, type)));
        if (!handler) throw error;
        if (handler.name) scope.values.set(handler.name, new ExceptionValue(error));
        this.exec(handler.body, scope);
        return;
      }
      if (statement.orelse) this.exec(statement.orelse, scope);
    } finally {
      if (statement.finalbody) this.exec(statement.finalbody, scope);
    }
  }

  private assign(target: Expr, value: PyValue, scope: Scope): void {
    switch (target.k) {
      case 'name':
        scope.values.set(target.id, value);
        return;
      case 'tuple':
      case 'list': {
        const items = pyIterate(value);
        if (items.length !== target.items.length) throw new PyError('ValueError', `not enough values to unpack (expected ${target.items.length}, got ${items.length})`);
        target.items.forEach((item, i) => this.assign(item, items[i], scope));
        return;
      }
      case 'sub': {
        const obj = this.eval(target.obj, scope);
        if (target.index.k === 'slice') throw new Unsupported('slice assignment', target.line);
        const key = this.eval(target.index, scope);
        if (obj instanceof PyDict) obj.set(hashableKey(key), value);
        else if (isList(obj)) obj[normalizeIndex(obj.length, key)] = value;
        else throw new PyError('TypeError', `'${typeName(obj)}' object does not support item assignment`);
        return;
      }
      case 'attr': {
        const obj = this.eval(target.obj, scope);
        if (obj instanceof StaticInstance) obj.attributes.set(target.name, value);
        else throw new Unsupported(`setting attributes of ${typeName(obj)}`, target.line);
        return;
      }
      default:
        throw new Unsupported('this assignment target', 0);
    }
  }

  eval(expr: Expr, scope: Scope): PyValue {
    switch (expr.k) {
      case 'const':
        return expr.value;
      case 'fstring':
        return expr.parts
          .map((part) => {
            if (typeof part === 'string') return part;
            const value = this.eval(part.expr, scope);
            return part.conversion === 'r' ? pyRepr(value) : pyStr(value);
          })
          .join('');
      case 'name': {
        const value = scope.lookup(expr.id);
        if (value === undefined) throw new Unsupported(`the name '${expr.id}' is not known statically`, expr.line);
        return value;
      }
      case 'attr':
        return this.attribute(this.eval(expr.obj, scope), expr.name, expr.line);
      case 'sub': {
        const obj = this.eval(expr.obj, scope);
        if (expr.index.k === 'slice') {
          const part = (e: Expr | undefined): PyValue => (e ? this.eval(e, scope) : null);
          return pythonGetitem(obj, new PySlice(part(expr.index.lower), part(expr.index.upper), part(expr.index.step)));
        }
        return pythonGetitem(obj, this.eval(expr.index, scope));
      }
      case 'call': {
        const args = expr.args.map((arg) => this.eval(arg, scope));
        const kwargs: PyKwargs = new Map(expr.kwargs.map(([name, value]) => [name, this.eval(value, scope)]));
        if (expr.fn.k === 'attr') {
          const obj = this.eval(expr.fn.obj, scope);
          return this.callValue(this.attribute(obj, expr.fn.name, expr.line), args, kwargs, expr.line);
        }
        return this.callValue(this.eval(expr.fn, scope), args, kwargs, expr.line);
      }
      case 'bin':
        return binary(expr.op, this.eval(expr.left, scope), this.eval(expr.right, scope), expr.line);
      case 'unary': {
        const value = this.eval(expr.operand, scope);
        if (expr.op === '+') return value;
        if (expr.op === '-') {
          if (value instanceof PyFloat) return new PyFloat(-value.value);
          if (typeof value === 'number' || typeof value === 'boolean') return -numberOf(value);
        }
        if (expr.op === '~' && (typeof value === 'number' || typeof value === 'boolean')) return ~numberOf(value);
        throw new PyError('TypeError', `bad operand type for unary ${expr.op}: '${typeName(value)}'`);
      }
      case 'and': {
        const left = this.eval(expr.left, scope);
        return pyTruthy(left) ? this.eval(expr.right, scope) : left;
      }
      case 'or': {
        const left = this.eval(expr.left, scope);
        return pyTruthy(left) ? left : this.eval(expr.right, scope);
      }
      case 'not':
        return !pyTruthy(this.eval(expr.operand, scope));
      case 'cmp': {
        let left = this.eval(expr.first, scope);
        for (const [op, rightExpr] of expr.rest) {
          const right = this.eval(rightExpr, scope);
          if (!compare(op, left, right)) return false;
          left = right;
        }
        return true;
      }
      case 'ifexp':
        return pyTruthy(this.eval(expr.test, scope)) ? this.eval(expr.body, scope) : this.eval(expr.orelse, scope);
      case 'list':
        return expr.items.map((item) => this.eval(item, scope));
      case 'tuple':
        return tuple(expr.items.map((item) => this.eval(item, scope)));
      case 'set':
        throw new Unsupported('sets', 0);
      case 'dict': {
        const dict = new PyDict();
        for (const [keyExpr, valueExpr] of expr.entries) {
          const value = this.eval(valueExpr, scope);
          if (keyExpr === null) {
            if (!(value instanceof PyDict)) throw new PyError('TypeError', `'${typeName(value)}' object is not a mapping`);
            for (const [key, item] of value) dict.set(key, item);
          } else dict.set(hashableKey(this.eval(keyExpr, scope)), value);
        }
        return dict;
      }
      case 'comp':
        return this.comprehension(expr, scope);
      case 'lambda':
        return new StaticFunction('<lambda>', expr.params, expr.body, scope);
    }
  }

  private comprehension(expr: Extract<Expr, { k: 'comp' }>, outer: Scope): PyValue {
    if (expr.kind === 'set') throw new Unsupported('set comprehensions', 0);
    const scope = new Scope(outer);
    const items: PyValue[] = [];
    const dict = new PyDict();
    const run = (index: number): void => {
      if (index === expr.clauses.length) {
        if (expr.kind === 'dict') dict.set(hashableKey(this.eval(expr.key!, scope)), this.eval(expr.element, scope));
        else items.push(this.eval(expr.element, scope));
        return;
      }
      const clause = expr.clauses[index];
      for (const item of [...pyIterate(this.eval(clause.iter, scope))]) {
        this.step(0);
        this.assign(clause.target, item, scope);
        if (clause.conditions.every((condition) => pyTruthy(this.eval(condition, scope)))) run(index + 1);
      }
    };
    run(0);
    return expr.kind === 'dict' ? dict : items;
  }

  callValue(callee: PyValue, args: PyValue[], kwargs: PyKwargs, line: number): PyValue {
    if (callee instanceof BuiltinCallable) return callee.call(args, kwargs);
    if (callee instanceof StaticFunction) return this.callFunction(callee, args, kwargs);
    if (callee instanceof BoundMethod) return this.callFunction(callee.fn, args, kwargs, callee.self);
    if (callee instanceof StaticClass) throw new Unsupported(`creating ${callee.name} objects`, line);
    if (callee instanceof PyFunction) return callee.impl(this.runtime, args, kwargs);
    throw new PyError('TypeError', `'${typeName(callee)}' object is not callable`);
  }

  private attribute(obj: PyValue, name: string, line: number): PyValue {
    if (obj instanceof StaticInstance) {
      if (obj.attributes.has(name)) return obj.attributes.get(name)!;
      const method = obj.cls.methods.get(name);
      if (method) return method.isMethod ? new BoundMethod(method, obj) : method;
      throw new PyError('AttributeError', `'${obj.cls.name}' object has no attribute '${name}'`);
    }
    if (obj instanceof StaticModule) throw new Unsupported(`${obj.name}.${name} (a library)`, line);
    if (obj instanceof ExceptionValue) {
      if (name === 'args') return tuple([obj.error.message]);
      throw new Unsupported(`exception attribute ${name}`, line);
    }
    // str, list, dict, tuple and number methods: the same ones templates call (methods.ts).
    const attribute = pythonAttribute(obj, name);
    if (attribute !== undefined) return attribute;
    throw new PyError('AttributeError', `'${typeName(obj)}' object has no attribute '${name}'`);
  }
}

class BoundMethod extends PyObject {
  readonly typeName = 'method';
  constructor(
    readonly fn: StaticFunction,
    readonly self: PyValue,
  ) {
    super();
  }
}

class ExceptionValue extends PyObject {
  constructor(readonly error: PyError) {
    super();
  }
  get typeName(): string {
    return this.error.pyType;
  }
  override toPyString(): string {
    return this.error.message;
  }
}

// Python's exception hierarchy, as far as plugin code catches it.
const EXCEPTION_PARENTS: Record<string, string[]> = {
  Exception: [],
  LookupError: ['KeyError', 'IndexError'],
  OSError: ['FileNotFoundError'],
  IOError: ['FileNotFoundError'],
  ArithmeticError: ['ZeroDivisionError', 'OverflowError'],
  ValueError: [],
};

function exceptionMatches(raised: PyErrorType, caught: string): boolean {
  if (caught === 'Exception' || caught === 'BaseException' || caught === raised) return true;
  return (EXCEPTION_PARENTS[caught] ?? []).includes(raised);
}

const RAISABLE = new Set<string>(['TypeError', 'ValueError', 'KeyError', 'IndexError', 'AttributeError', 'ZeroDivisionError', 'FileNotFoundError', 'RuntimeError', 'NotImplementedError']);

function raiseOf(value: PyValue, line: number): PyError {
  if (value instanceof ExceptionValue) return value.error;
  if (value instanceof RaisedException) return new PyError(value.pyType, value.message);
  throw new Unsupported('raising this exception', line);
}

class RaisedException extends PyObject {
  readonly typeName = 'Exception';
  constructor(
    readonly pyType: PyErrorType,
    readonly message: string,
  ) {
    super();
  }
}


function normalizeIndex(length: number, key: PyValue): number {
  if (typeof key !== 'number' && typeof key !== 'boolean') throw new PyError('TypeError', `list indices must be integers or slices, not ${typeName(key)}`);
  const index = numberOf(key);
  const normalized = index < 0 ? index + length : index;
  if (normalized < 0 || normalized >= length) throw new PyError('IndexError', 'list assignment index out of range');
  return normalized;
}

/** Python's comparisons: Jinja's (operators.ts) plus identity, which only plugin code writes. */
function compare(op: string, left: PyValue, right: PyValue): boolean {
  if (op === 'is') return left === right;
  if (op === 'is not') return left !== right;
  return compareValues(op, left, right);
}

/** Python's binary operators: Jinja's share operators.ts; the bitwise ones and dict union are plugin-only. */
function binary(op: string, left: PyValue, right: PyValue, line: number): PyValue {
  switch (op) {
    case '+':
    case '-':
    case '*':
    case '/':
    case '//':
    case '%':
    case '**':
      return binaryOp(op, left, right);
  }
  if (op === '|' && left instanceof PyDict && right instanceof PyDict) return PyDict.of([...left, ...right]);
  const isInt = (v: PyValue): v is number | boolean => typeof v === 'number' || typeof v === 'boolean';
  if (isInt(left) && isInt(right)) {
    const a = numberOf(left);
    const b = numberOf(right);
    switch (op) {
      case '&':
        return a & b;
      case '|':
        return a | b;
      case '^':
        return a ^ b;
      case '<<':
        return a * 2 ** b;
      case '>>':
        return Math.floor(a / 2 ** b);
    }
  }
  if (op === '@') throw new Unsupported('the @ operator', line);
  throw new PyError('TypeError', `unsupported operand type(s) for ${op}: '${typeName(left)}' and '${typeName(right)}'`);
}

function arity(name: string, args: PyValue[], min: number, max: number): void {
  if (args.length < min || args.length > max) throw new PyError('TypeError', `${name}() takes ${min === max ? min : `from ${min} to ${max}`} arguments (${args.length} given)`);
}

function builtinFunctions(interpreter: StaticInterpreter): Map<string, PyValue> {
  const out = new Map<string, PyValue>();
  const add = (name: string, call: (args: PyValue[], kwargs: PyKwargs) => PyValue, isInstance?: (value: PyValue) => boolean): void => {
    out.set(name, new BuiltinCallable(name, call, isInstance));
  };
  const callWith = (fn: PyValue, args: PyValue[]): PyValue => interpreter.callValue(fn, args, new Map(), 0);
  const iterate = (value: PyValue): PyValue[] => [...pyIterate(value)];
  add('len', (args) => pyLen(args[0]));
  add('all', (args) => iterate(args[0]).every(pyTruthy));
  add('any', (args) => iterate(args[0]).some(pyTruthy));
  add('bool', (args) => (args.length === 0 ? false : pyTruthy(args[0])), (v) => typeof v === 'boolean');
  add('str', (args) => (args.length === 0 ? '' : pyStr(args[0])), (v) => stringOf(v) !== undefined);
  add(
    'int',
    (args) => {
      const value = args[0] ?? 0;
      if (typeof value === 'number') return value;
      if (typeof value === 'boolean') return value ? 1 : 0;
      if (value instanceof PyFloat) return Math.trunc(value.value);
      const text = stringOf(value);
      if (text !== undefined && /^\s*[-+]?\d[\d_]*\s*$/.test(text)) return Number(text.trim().replace(/_/g, ''));
      throw new PyError('ValueError', `invalid literal for int() with base 10: ${pyRepr(value)}`);
    },
    (v) => typeof v === 'number' || typeof v === 'boolean',
  );
  add(
    'float',
    (args) => {
      const value = args[0] ?? 0;
      if (typeof value === 'number' || typeof value === 'boolean' || value instanceof PyFloat) return new PyFloat(numberOf(value));
      const text = stringOf(value);
      if (text !== undefined && /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/.test(text)) return new PyFloat(Number(text));
      throw new PyError('ValueError', `could not convert string to float: ${pyRepr(value)}`);
    },
    (v) => v instanceof PyFloat,
  );
  add('list', (args) => (args.length === 0 ? [] : iterate(args[0])), (v) => Array.isArray(v) && !isTuple(v));
  add('tuple', (args) => tuple(args.length === 0 ? [] : iterate(args[0])), (v) => isTuple(v));
  add(
    'dict',
    (args, kwargs) => {
      const dict = new PyDict();
      if (args[0] instanceof PyDict) for (const [key, value] of args[0]) dict.set(key, value);
      else if (args[0] !== undefined) for (const pair of iterate(args[0])) dict.set(hashableKey(pyIterate(pair)[0]), pyIterate(pair)[1]);
      for (const [key, value] of kwargs) dict.set(key, value);
      return dict;
    },
    (v) => v instanceof PyDict,
  );
  add('sorted', (args, kwargs) => {
    const key = kwargs.get('key');
    const items = iterate(args[0]).map((item) => ({ item, sortKey: key && key !== null ? callWith(key, [item]) : item }));
    items.sort((a, b) => pyCompare(a.sortKey, b.sortKey));
    if (kwargs.get('reverse') && pyTruthy(kwargs.get('reverse')!)) items.reverse();
    return items.map((entry) => entry.item);
  });
  const extreme = (name: string, sign: number) => (args: PyValue[]) => {
    const items = args.length === 1 ? iterate(args[0]) : args;
    if (items.length === 0) throw new PyError('ValueError', `${name}() arg is an empty sequence`);
    return items.reduce((best, item) => (pyCompare(item, best) * sign > 0 ? item : best));
  };
  add('min', extreme('min', -1));
  add('max', extreme('max', 1));
  add('sum', (args) => iterate(args[0]).reduce((total: PyValue, item) => binaryOp('+', total, item), args[1] ?? 0));
  add('abs', (args) => (args[0] instanceof PyFloat ? new PyFloat(Math.abs(args[0].value)) : Math.abs(numberOf(args[0] as number))));
  add('range', (args) => {
    const [start, stop, step] = args.length === 1 ? [0, args[0] as number, 1] : [args[0] as number, args[1] as number, (args[2] as number) ?? 1];
    const out: number[] = [];
    for (let i = start; step > 0 ? i < stop : i > stop; i += step) out.push(i);
    return out;
  });
  add('enumerate', (args) => iterate(args[0]).map((item, i) => tuple([i + ((args[1] as number) ?? 0), item])));
  add('zip', (args) => {
    const lists = args.map(iterate);
    const length = Math.min(...lists.map((list) => list.length));
    return Array.from({ length }, (_, i) => tuple(lists.map((list) => list[i])));
  });
  add('isinstance', (args) => {
    const types = isTuple(args[1]) ? [...args[1]] : [args[1]];
    return types.some((type) => type instanceof BuiltinCallable && !!type.isInstance?.(args[0]));
  });
  add('print', () => null);
  for (const name of RAISABLE) add(name, (args) => new RaisedException(name as PyErrorType, args.length > 0 ? pyStr(args[0]) : ''));
  add('Exception', (args) => new RaisedException('RuntimeError', args.length > 0 ? pyStr(args[0]) : ''));
  return out;
}
