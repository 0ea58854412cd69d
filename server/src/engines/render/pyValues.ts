// The Python value model the renderer computes with, so that templates print, compare and branch
// exactly as under Jinja2: None, bool, int, float, str, list, tuple, dict, Markup, the Undefined
// kinds and a few objects. Pure: no I/O. Every other render module builds on these definitions.
//
// Representation (one per Python type):
//   None -> null · bool -> boolean · int -> number (always integral) · float -> PyFloat
//   str -> string · list -> Array · tuple -> PyTuple · dict -> PyDict · Markup -> Markup
//   Undefined / ChainableUndefined / DebugUndefined / StrictUndefined -> Undefined (mode decides)
//   namespace, loop, cycler, joiner, macros, functions -> PyObject subclasses

export type UndefinedMode = 'default' | 'chainable' | 'debug' | 'strict';

export type PyValue = null | boolean | number | string | PyFloat | PyValue[] | PyDict | Markup | Undefined | PyObject;

/** Keyword arguments of a call, in the order written. */
export type PyKwargs = Map<string, PyValue>;

/** A Python float; JS numbers stand for ints only, because Python prints 2.0 and 2 differently. */
export class PyFloat {
  constructor(readonly value: number) {}
}

/** A Python tuple. map/filter/slice on it return plain arrays (lists), as their results are new lists. */
export class PyTuple extends Array<PyValue> {
  static override get [Symbol.species](): ArrayConstructor {
    return Array;
  }
}

/**
 * range objects and dict views (keys(), values(), items()): they iterate, index and filter like the
 * lists they hold, and print as Python prints them: `range(0, 3)`, `dict_items([('a', 1)])`.
 */
export class PyView extends Array<PyValue> {
  static override get [Symbol.species](): ArrayConstructor {
    return Array;
  }
  kind: 'range' | 'dict_keys' | 'dict_values' | 'dict_items' = 'dict_keys';
  rangeArguments: [number, number, number] = [0, 0, 1];
}

export function pyView(kind: PyView['kind'], items: Iterable<PyValue>, rangeArguments?: [number, number, number]): PyView {
  const view = new PyView();
  view.kind = kind;
  if (rangeArguments) view.rangeArguments = rangeArguments;
  for (const item of items) view.push(item);
  return view;
}

function viewRepr(view: PyView): string {
  if (view.kind !== 'range') return `${view.kind}([${view.map(pyRepr).join(', ')}])`;
  const [start, stop, step] = view.rangeArguments;
  return step === 1 ? `range(${start}, ${stop})` : `range(${start}, ${stop}, ${step})`;
}

export function tuple(items: Iterable<PyValue>): PyTuple {
  const result = new PyTuple();
  for (const item of items) result.push(item);
  return result;
}

export function isTuple(value: unknown): value is PyTuple {
  return value instanceof PyTuple;
}

export function isList(value: unknown): value is PyValue[] {
  return Array.isArray(value) && !(value instanceof PyTuple);
}

/** A Python dict: insertion-ordered. Keys are strings, ints, bools, None (floats are stored as their number). */
export class PyDict extends Map<string | number | boolean | null, PyValue> {
  static of(entries: Iterable<[string | number | boolean | null, PyValue]>): PyDict {
    const dict = new PyDict();
    for (const [key, value] of entries) dict.set(key, value);
    return dict;
  }
}

/** A dict key from a Python value; null when the value cannot be a key (unhashable). */
export function dictKey(value: PyValue): string | number | boolean | null | undefined {
  if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (value instanceof PyFloat) return value.value;
  if (value instanceof Markup) return value.text;
  return undefined;
}

/** A dict key from a Python value, raising Python's TypeError for an unhashable one. */
export function hashableKey(value: PyValue): string | number | boolean | null {
  const key = dictKey(value);
  if (key === undefined) throw typeError(`unhashable type: '${typeName(value)}'`);
  return key;
}

/** A slice written in a subscript (`x[1:-1]`, `x[::2]`); missing parts are null, as in Python. */
export class PySlice {
  constructor(
    readonly start: PyValue,
    readonly stop: PyValue,
    readonly step: PyValue,
  ) {}
}

/** markupsafe.Markup: text that escaping leaves alone. With autoescape off it prints as its text. */
export class Markup {
  constructor(readonly text: string) {}
}

/** An undefined value; `hint` is Jinja's message for it ("'foo' is undefined"). */
export class Undefined {
  constructor(
    readonly mode: UndefinedMode,
    readonly hint: string,
    /** The name as written, for DebugUndefined's `{{ name }}`. */
    readonly name?: string,
  ) {}
}

/** Objects with attributes: namespace(), loop, cycler, joiner, macros, functions. */
export abstract class PyObject {
  abstract readonly typeName: string;
  /** The attribute's value, or undefined (JS) when the object has no such attribute. */
  getAttribute(_name: string): PyValue | undefined {
    return undefined;
  }
  /** Python's repr() when it differs from str() (a date: datetime.date(2024, 1, 1)). */
  toPyRepr?(): string;
  /** Python's str(); objects without their own print like Python's default repr. */
  toPyString(): string {
    return `<${this.typeName} object>`;
  }
  isTruthy(): boolean {
    return true;
  }
}

/** What a callable receives besides its arguments: the running template's services. */
export interface RuntimeContext {
  readonly undefinedMode: UndefinedMode;
  makeUndefined(hint: string, name?: string): Undefined;
  /** Jinja's getattr: the attribute (Python method) first, then the item; Undefined when neither exists. */
  getattr(obj: PyValue, name: string): PyValue;
  /** Jinja's getitem: the item first, then (for a string key) the attribute; Undefined when neither exists. */
  getitem(obj: PyValue, key: PyValue): PyValue;
  callFilter(name: string, value: PyValue, args: PyValue[], kwargs?: PyKwargs): PyValue;
  callTest(name: string, value: PyValue, args: PyValue[], kwargs?: PyKwargs): boolean;
  call(callee: PyValue, args: PyValue[], kwargs?: PyKwargs): PyValue;
  /** The process environment as the template's `env` sees it, and other globals. */
  readonly globals: ReadonlyMap<string, PyValue>;
  /** Environment settings some filters follow (join, replace, wordwrap); makejinja's defaults when absent. */
  readonly autoescape?: boolean;
  readonly newlineSequence?: string;
  /** Whether a filter / test of that name exists (builtins and plugin ones), for the `filter` and `test` tests. */
  hasFilter?(name: string): boolean;
  hasTest?(name: string): boolean;
}

/** A callable Python object: functions, bound methods, macros, plugin functions. */
export class PyFunction extends PyObject {
  readonly typeName: string = 'function';
  constructor(
    readonly name: string,
    readonly impl: (ctx: RuntimeContext, args: PyValue[], kwargs: PyKwargs) => PyValue,
  ) {
    super();
  }
  override toPyString(): string {
    return `<function ${this.name}>`;
  }
}

export type FilterFunction = (ctx: RuntimeContext, value: PyValue, args: PyValue[], kwargs: PyKwargs) => PyValue;
export type TestFunction = (ctx: RuntimeContext, value: PyValue, args: PyValue[], kwargs: PyKwargs) => boolean;

// ---------------------------------------------------------------------------------------------
// Errors

export type PyErrorType =
  | 'TemplateSyntaxError'
  | 'TemplateNotFound'
  | 'TemplateRuntimeError'
  | 'TemplateAssertionError'
  | 'UndefinedError'
  | 'FilterArgumentError'
  | 'TypeError'
  | 'ValueError'
  | 'KeyError'
  | 'IndexError'
  | 'AttributeError'
  | 'ZeroDivisionError'
  | 'OverflowError'
  | 'FileNotFoundError'
  | 'RuntimeError'
  | 'AssertionError'
  | 'NotImplementedError';

/** A Python exception raised while rendering; the interpreter adds where it happened. */
export class PyError extends Error {
  constructor(
    readonly pyType: PyErrorType,
    message: string,
  ) {
    super(message);
  }
}

export function typeError(message: string): PyError {
  return new PyError('TypeError', message);
}

/** Raised by any use of a StrictUndefined (and of a default Undefined beyond printing/testing). */
export function undefinedError(value: Undefined): PyError {
  return new PyError('UndefinedError', value.hint);
}

// ---------------------------------------------------------------------------------------------
// Type names, truthiness, length, iteration

export function typeName(value: PyValue): string {
  if (value === null) return 'NoneType';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return 'int';
  if (typeof value === 'string') return 'str';
  if (value instanceof PyFloat) return 'float';
  if (value instanceof PyTuple) return 'tuple';
  if (value instanceof PyView) return value.kind;
  if (Array.isArray(value)) return 'list';
  if (value instanceof PyDict) return 'dict';
  if (value instanceof Markup) return 'Markup';
  if (value instanceof Undefined) return undefinedClassName(value.mode);
  return value.typeName;
}

function undefinedClassName(mode: UndefinedMode): string {
  return { default: 'Undefined', chainable: 'ChainableUndefined', debug: 'DebugUndefined', strict: 'StrictUndefined' }[mode];
}

export function isUndefined(value: unknown): value is Undefined {
  return value instanceof Undefined;
}

/** int or float (bool counts as int, as in Python arithmetic). */
export function isNumber(value: PyValue): value is number | boolean | PyFloat {
  return typeof value === 'number' || typeof value === 'boolean' || value instanceof PyFloat;
}

/** The JS number of an int, bool or float. */
export function numberOf(value: number | boolean | PyFloat): number {
  if (typeof value === 'boolean') return value ? 1 : 0;
  return value instanceof PyFloat ? value.value : value;
}

/** A Python str from a string or Markup; undefined for other types. */
export function stringOf(value: PyValue): string | undefined {
  if (typeof value === 'string') return value;
  if (value instanceof Markup) return value.text;
  return undefined;
}

export function isMapping(value: PyValue): value is PyDict {
  return value instanceof PyDict;
}

/** Python's bool(value). StrictUndefined raises. */
export function pyTruthy(value: PyValue): boolean {
  if (value === null) return false;
  switch (typeof value) {
    case 'boolean':
      return value;
    case 'number':
      return value !== 0;
    case 'string':
      return value.length > 0;
  }
  if (value instanceof PyFloat) return value.value !== 0;
  if (Array.isArray(value)) return value.length > 0;
  if (value instanceof PyDict) return value.size > 0;
  if (value instanceof Markup) return value.text.length > 0;
  if (value instanceof Undefined) {
    if (value.mode === 'strict') throw undefinedError(value);
    return false;
  }
  return value.isTruthy();
}

/** Python's len(value). */
export function pyLen(value: PyValue): number {
  if (typeof value === 'string') return codePointLength(value);
  if (value instanceof Markup) return codePointLength(value.text);
  if (Array.isArray(value)) return value.length;
  if (value instanceof PyDict) return value.size;
  if (value instanceof Undefined) {
    if (value.mode === 'strict') throw undefinedError(value);
    return 0;
  }
  throw typeError(`object of type '${typeName(value)}' has no len()`);
}

/** Python counts characters in code points; JS strings count UTF-16 units. */
export function codePointLength(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) i++;
    count++;
  }
  return count;
}

/** Python's iter(value) as an array: lists and tuples, a string's characters, a dict's keys. */
export function pyIterate(value: PyValue): PyValue[] {
  if (Array.isArray(value)) return value;
  if (typeof value === 'string') return Array.from(value);
  if (value instanceof Markup) return Array.from(value.text);
  if (value instanceof PyDict) return Array.from(value.keys());
  if (value instanceof Undefined) {
    if (value.mode === 'strict') throw undefinedError(value);
    return [];
  }
  if (value instanceof PyObject) {
    const items = (value as PyObject & { iterate?: () => PyValue[] }).iterate?.();
    if (items) return items;
  }
  throw typeError(`'${typeName(value)}' object is not iterable`);
}

// ---------------------------------------------------------------------------------------------
// str() and repr()

/** Python's str(value), which is what `#{ value }#` prints. */
export function pyStr(value: PyValue): string {
  if (value === null) return 'None';
  switch (typeof value) {
    case 'string':
      return value;
    case 'boolean':
      return value ? 'True' : 'False';
    case 'number':
      return intToString(value);
  }
  if (value instanceof PyFloat) return floatRepr(value.value);
  if (value instanceof Markup) return value.text;
  if (value instanceof Undefined) return undefinedToString(value);
  if (Array.isArray(value) || value instanceof PyDict) return pyRepr(value);
  return value.toPyString();
}

function undefinedToString(value: Undefined): string {
  if (value.mode === 'strict') throw undefinedError(value);
  // DebugUndefined prints the expression back with Jinja's default delimiters, whatever the template's.
  if (value.mode === 'debug') return value.name !== undefined ? `{{ ${value.name} }}` : `{{ ${value.hint} }}`;
  return '';
}

function intToString(value: number): string {
  if (!Number.isFinite(value)) return floatRepr(value);
  // Python prints every digit of a big int; JS rounds the digits past 2**53 and switches to
  // exponent notation at 1e21. Ints beyond 2**53 are only as exact as a double holds them.
  return Math.abs(value) > Number.MAX_SAFE_INTEGER ? BigInt(value).toString() : String(value);
}

/**
 * Python's repr(float): the shortest digits that round-trip (JS finds the same ones), in fixed
 * notation when the exponent is in [-4, 16), otherwise as d.ddde+XX.
 * @example floatRepr(2) === '2.0'; floatRepr(1e16) === '1e+16'; floatRepr(0.0001) === '0.0001'
 */
export function floatRepr(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (value === Infinity) return 'inf';
  if (value === -Infinity) return '-inf';
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
  const sign = value < 0 ? '-' : '';
  const [mantissa, exponentText] = Math.abs(value).toExponential().split('e');
  const exponent = Number(exponentText);
  const digits = mantissa.replace('.', '');
  if (exponent >= -4 && exponent < 16) {
    if (exponent < 0) return `${sign}0.${'0'.repeat(-exponent - 1)}${digits}`;
    const whole = digits.slice(0, exponent + 1).padEnd(exponent + 1, '0');
    const fraction = digits.slice(exponent + 1) || '0';
    return `${sign}${whole}.${fraction}`;
  }
  const shortMantissa = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  const exponentDigits = String(Math.abs(exponent)).padStart(2, '0');
  return `${sign}${shortMantissa}e${exponent < 0 ? '-' : '+'}${exponentDigits}`;
}

/** Python's repr(value): what lists and dicts show for their items. */
export function pyRepr(value: PyValue): string {
  if (typeof value === 'string') return stringRepr(value);
  if (value instanceof Markup) return `Markup(${stringRepr(value.text)})`;
  if (value instanceof PyTuple) {
    if (value.length === 1) return `(${pyRepr(value[0])},)`;
    return `(${value.map(pyRepr).join(', ')})`;
  }
  if (value instanceof PyView) return viewRepr(value);
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(', ')}]`;
  if (value instanceof PyDict) {
    const parts: string[] = [];
    for (const [key, item] of value) parts.push(`${pyRepr(key)}: ${pyRepr(item)}`);
    return `{${parts.join(', ')}}`;
  }
  // Every Undefined class inherits Undefined.__repr__.
  if (value instanceof Undefined) return 'Undefined';
  if (value instanceof PyObject && value.toPyRepr) return value.toPyRepr();
  return pyStr(value);
}

// Characters Python's str.isprintable() rejects (other than the escapes handled first): separators
// and "other" categories, except the plain space.
const NON_PRINTABLE = /[\p{Z}\p{C}]/u;

/** Python's repr(str): single quotes unless the text has a ' and no ", escapes for the rest. */
export function stringRepr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = quote;
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (char === quote || char === '\\') out += '\\' + char;
    else if (char === '\n') out += '\\n';
    else if (char === '\r') out += '\\r';
    else if (char === '\t') out += '\\t';
    else if (char !== ' ' && NON_PRINTABLE.test(char)) {
      if (code < 0x100) out += '\\x' + code.toString(16).padStart(2, '0');
      else if (code < 0x10000) out += '\\u' + code.toString(16).padStart(4, '0');
      else out += '\\U' + code.toString(16).padStart(8, '0');
    } else out += char;
  }
  return out + quote;
}

// ---------------------------------------------------------------------------------------------
// Equality and ordering

/** Python's a == b. Undefined equals only another Undefined; StrictUndefined raises. */
export function pyEquals(a: PyValue, b: PyValue): boolean {
  if (a instanceof Undefined || b instanceof Undefined) {
    if (a instanceof Undefined && a.mode === 'strict') throw undefinedError(a);
    if (b instanceof Undefined && b.mode === 'strict') throw undefinedError(b);
    return a instanceof Undefined && b instanceof Undefined;
  }
  if (a === b) return true;
  if (a === null || b === null) return false;
  if (isNumber(a) && isNumber(b)) return numberOf(a) === numberOf(b);
  const textA = stringOf(a);
  const textB = stringOf(b);
  if (textA !== undefined || textB !== undefined) return textA === textB;
  if (Array.isArray(a) && Array.isArray(b)) {
    if (isTuple(a) !== isTuple(b) || a.length !== b.length) return false;
    return a.every((item, i) => pyEquals(item, b[i]));
  }
  if (a instanceof PyDict && b instanceof PyDict) {
    if (a.size !== b.size) return false;
    for (const [key, item] of a) {
      if (!b.has(key) || !pyEquals(item, b.get(key)!)) return false;
    }
    return true;
  }
  return false;
}

/** Python's ordering for <, >, sort, min and max: negative, zero or positive; TypeError across types. */
export function pyCompare(a: PyValue, b: PyValue, operator = '<'): number {
  if (a instanceof Undefined && a.mode === 'strict') throw undefinedError(a);
  if (b instanceof Undefined && b.mode === 'strict') throw undefinedError(b);
  if (isNumber(a) && isNumber(b)) {
    const x = numberOf(a);
    const y = numberOf(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  const textA = stringOf(a);
  const textB = stringOf(b);
  if (textA !== undefined && textB !== undefined) return compareCodePoints(textA, textB);
  if (Array.isArray(a) && Array.isArray(b) && isTuple(a) === isTuple(b)) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      if (!pyEquals(a[i], b[i])) return pyCompare(a[i], b[i], operator);
    }
    return a.length - b.length;
  }
  throw typeError(`'${operator}' not supported between instances of '${typeName(a)}' and '${typeName(b)}'`);
}

/** Python orders strings by code point; JS `<` orders by UTF-16 unit, which differs above U+FFFF. */
function compareCodePoints(a: string, b: string): number {
  if (a === b) return 0;
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x - y;
  }
  return a.length - b.length;
}

// ---------------------------------------------------------------------------------------------
// Arguments

export interface ParameterSpec {
  name: string;
  /** Omitted: the argument is required. */
  default?: PyValue;
}

/**
 * Binds positional and keyword arguments to parameters the way Python does, with Python's
 * TypeError messages. @example bindArguments('indent', [{name:'width', default:4}], [2], new Map()) -> [2]
 */
export function bindArguments(functionName: string, params: ParameterSpec[], args: PyValue[], kwargs: PyKwargs | undefined): PyValue[] {
  if (args.length > params.length) {
    throw typeError(`${functionName}() takes ${params.length} positional arguments but ${args.length} were given`);
  }
  const bound: (PyValue | typeof MISSING)[] = params.map((_, i) => (i < args.length ? args[i] : MISSING));
  for (const [name, value] of kwargs ?? []) {
    const index = params.findIndex((p) => p.name === name);
    if (index < 0) throw typeError(`${functionName}() got an unexpected keyword argument '${name}'`);
    if (bound[index] !== MISSING) throw typeError(`${functionName}() got multiple values for argument '${name}'`);
    bound[index] = value;
  }
  return bound.map((value, i) => {
    if (value !== MISSING) return value;
    if (!('default' in params[i])) throw typeError(`${functionName}() missing 1 required positional argument: '${params[i].name}'`);
    return params[i].default as PyValue;
  });
}

const MISSING = Symbol('missing');

// ---------------------------------------------------------------------------------------------
// Conversion from plain data

/**
 * A Python value from JSON-like data (objects become dicts, integral numbers ints, other numbers
 * floats). Data files keep the float/int distinction through their own loader (dataFiles.ts).
 */
export function fromPlain(value: unknown): PyValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isInteger(value) ? value : new PyFloat(value);
  if (Array.isArray(value)) return value.map(fromPlain);
  if (value instanceof PyDict || value instanceof PyFloat || value instanceof Markup || value instanceof PyObject) return value;
  if (typeof value === 'object') return PyDict.of(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, fromPlain(v)]));
  return String(value);
}

/** Plain JSON-like data from a Python value (for protocol answers and tests). */
export function toPlain(value: PyValue): unknown {
  if (value instanceof PyFloat) return value.value;
  if (value instanceof Markup) return value.text;
  if (value instanceof Undefined) return undefined;
  if (Array.isArray(value)) return value.map(toPlain);
  if (value instanceof PyDict) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of value) out[String(key)] = toPlain(item);
    return out;
  }
  if (value instanceof PyObject) return value.toPyString();
  return value;
}
