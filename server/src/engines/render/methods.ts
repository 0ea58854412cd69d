// Attributes and methods of builtin Python values (str, list, dict, tuple, int, float, Markup) as
// bound functions, and Jinja2's Environment.getattr / getitem with its Undefined hints. Methods
// mutate their receiver as in Python (makejinja renders without Jinja's sandbox). Pure: no I/O.
import {
  Markup,
  PyDict,
  PyError,
  PyFloat,
  PyFunction,
  PyObject,
  PySlice,
  PyTuple,
  Undefined,
  codePointLength,
  dictKey,
  numberOf,
  pyCompare,
  pyEquals,
  pyIterate,
  pyRepr,
  pyTruthy,
  stringOf,
  tuple,
  pyView,
  typeError,
  typeName,
  undefinedError,
  type PyKwargs,
  type PyValue,
  type RuntimeContext,
} from './pyValues';
import { escapeHtml, findDictKey, markupStrFormat, pythonGetitem, reprOf, sliceRepr, strFormat } from './operators';

/** A method bound to its receiver, printed the way Python prints builtin methods (less the address). */
export class BuiltinMethod extends PyFunction {
  override readonly typeName: string = 'builtin_function_or_method';
  constructor(
    name: string,
    readonly ownerType: string,
    impl: (ctx: RuntimeContext, args: PyValue[], kwargs: PyKwargs) => PyValue,
  ) {
    super(name, impl);
  }
  override toPyString(): string {
    return `<built-in method ${this.name} of ${this.ownerType} object>`;
  }
}

// ---------------------------------------------------------------------------------------------
// Jinja2's getattr / getitem

/**
 * Jinja2's Environment.getattr: the Python attribute first, then the item; an Undefined with
 * Jinja's hint when neither exists. Undefined receivers: chainable gives itself, others raise.
 * @example jinjaGetattr(ctx, PyDict.of([['a', 1]]), 'a') === 1
 */
export function jinjaGetattr(ctx: RuntimeContext, obj: PyValue, name: string): PyValue {
  if (obj instanceof Undefined) {
    if (obj.mode === 'chainable') return obj;
    throw undefinedError(obj);
  }
  const attribute = pythonAttribute(obj, name);
  if (attribute !== undefined) return attribute;
  if (obj instanceof PyDict) {
    const key = findDictKey(obj, name);
    if (key !== undefined) return obj.get(key)!;
  }
  return missingMember(ctx, obj, name);
}

/**
 * Jinja2's Environment.getitem: obj[key] first, then (for a str key) the attribute; an Undefined
 * with Jinja's hint when neither exists.
 * @example jinjaGetitem(ctx, [1, 2], -1) === 2; jinjaGetitem(ctx, 'abc', new PySlice(1, null, null)) === 'bc'
 */
export function jinjaGetitem(ctx: RuntimeContext, obj: PyValue, key: PyValue | PySlice): PyValue {
  if (obj instanceof Undefined) {
    if (obj.mode === 'chainable') return obj;
    throw undefinedError(obj);
  }
  try {
    return pythonGetitem(obj, key as PyValue);
  } catch (error) {
    // Environment.getitem turns exactly these into the attribute try / Undefined.
    if (!(error instanceof PyError) || !['TypeError', 'KeyError', 'IndexError', 'AttributeError'].includes(error.pyType)) throw error;
  }
  const name = stringOf(key as PyValue);
  if (name !== undefined) {
    const attribute = pythonAttribute(obj, name);
    if (attribute !== undefined) return attribute;
  }
  return missingMember(ctx, obj, key);
}

/** Undefined(obj=obj, name=key) as Jinja builds it; the debug name is DebugUndefined's text. */
function missingMember(ctx: RuntimeContext, obj: PyValue, key: PyValue | PySlice): Undefined {
  const objectText = objectTypeRepr(obj);
  const keyText = key instanceof PySlice ? sliceRepr(key) : reprOf(key);
  const hint = typeof key === 'string' || key instanceof Markup ? `${pyRepr(objectText)} has no attribute ${keyText}` : `${objectText} has no element ${keyText}`;
  return ctx.makeUndefined(hint, `no such element: ${objectText}[${keyText}]`);
}

// The modules of the objects templates meet, for jinja2.utils.object_type_repr.
const OBJECT_MODULES: Record<string, string> = {
  Markup: 'markupsafe',
  Namespace: 'jinja2.utils',
  Cycler: 'jinja2.utils',
  Joiner: 'jinja2.utils',
  LoopContext: 'jinja2.runtime',
  Macro: 'jinja2.runtime',
  Context: 'jinja2.runtime',
  TemplateModule: 'jinja2.environment',
};

/** jinja2.utils.object_type_repr: "dict object", "None", "jinja2.utils.Namespace object". */
export function objectTypeRepr(obj: PyValue): string {
  if (obj === null) return 'None';
  const name = typeName(obj);
  const module = OBJECT_MODULES[name];
  return module ? `${module}.${name} object` : `${name} object`;
}

// ---------------------------------------------------------------------------------------------
// Python attributes

/**
 * Python's getattr(obj, name) without Jinja's item fallback: a bound method, a value attribute,
 * or undefined (JS) when Python would raise AttributeError.
 */
export function pythonAttribute(obj: PyValue, name: string): PyValue | undefined {
  if (obj instanceof Undefined) {
    if (obj.mode === 'chainable') return obj;
    throw undefinedError(obj);
  }
  if (obj instanceof PyObject) return obj.getAttribute(name);
  if (typeof obj === 'string' || obj instanceof Markup) return bindFrom(STR_METHODS, obj, name, 'str');
  if (obj instanceof PyTuple) {
    // Named tuples (groupby's _GroupTuple in filters.ts) expose fields through attribute(name).
    const field = (obj as PyTuple & { attribute?: (name: string) => PyValue | undefined }).attribute?.(name);
    if (field !== undefined) return field;
    return bindFrom(TUPLE_METHODS, obj, name, 'tuple');
  }
  if (Array.isArray(obj)) return bindFrom(LIST_METHODS, obj, name, 'list');
  if (obj instanceof PyDict) return bindFrom(DICT_METHODS, obj, name, 'dict');
  if (typeof obj === 'number' || typeof obj === 'boolean') return intAttribute(numberOf(obj), name, typeName(obj));
  if (obj instanceof PyFloat) return floatAttribute(obj.value, name);
  return undefined;
}

interface MethodSpec<T> {
  /** How Python words argument-count errors for this method (they differ by CPython's parser). */
  style: 'noargs' | 'one' | 'clinic' | 'parsetuple' | 'keywords' | 'any';
  min: number;
  max: number;
  /** Keyword names accepted ('keywords' style) in positional order. */
  keywords?: string[];
  impl: (self: T, args: PyValue[], ctx: RuntimeContext, kwargs: PyKwargs) => PyValue;
}

function bindFrom<T extends PyValue>(table: Record<string, MethodSpec<T>>, self: T, name: string, ownerType: string): PyValue | undefined {
  if (!Object.prototype.hasOwnProperty.call(table, name)) return undefined;
  const spec = table[name];
  const shownType = self instanceof Markup ? 'Markup' : ownerType;
  return new BuiltinMethod(name, shownType, (ctx, args, kwargs) => spec.impl(self, bindMethodArguments(name, ownerType, spec, args, kwargs), ctx, kwargs));
}

function plural(count: number): string {
  return count === 1 ? 'argument' : 'arguments';
}

/** Checks the argument count as CPython does and gives the positional list (keywords placed in). */
function bindMethodArguments<T>(name: string, ownerType: string, spec: MethodSpec<T>, args: PyValue[], kwargs: PyKwargs): PyValue[] {
  const given = args.length;
  switch (spec.style) {
    case 'any':
      return args;
    case 'noargs':
    case 'one':
    case 'clinic':
    case 'parsetuple':
      if (kwargs.size > 0) throw typeError(spec.style === 'parsetuple' ? `${name}() takes no keyword arguments` : `${ownerType}.${name}() takes no keyword arguments`);
      if (given >= spec.min && given <= spec.max) return args;
      if (spec.style === 'noargs') throw typeError(`${ownerType}.${name}() takes no arguments (${given} given)`);
      if (spec.style === 'one') throw typeError(`${ownerType}.${name}() takes exactly one argument (${given} given)`);
      if (spec.style === 'clinic') {
        if (spec.min === spec.max) throw typeError(`${name} expected ${spec.min} ${plural(spec.min)}, got ${given}`);
        if (given < spec.min) throw typeError(`${name} expected at least ${spec.min} ${plural(spec.min)}, got ${given}`);
        throw typeError(`${name} expected at most ${spec.max} ${plural(spec.max)}, got ${given}`);
      }
      if (given < spec.min) throw typeError(`${name}() takes at least ${spec.min} ${plural(spec.min)} (${given} given)`);
      throw typeError(`${name}() takes at most ${spec.max} ${plural(spec.max)} (${given} given)`);
    case 'keywords': {
      if (given > spec.max) throw typeError(`${name}() takes at most ${spec.max} ${plural(spec.max)} (${given} given)`);
      const keywords = spec.keywords ?? [];
      const bound: (PyValue | undefined)[] = [...args];
      for (const [key, value] of kwargs) {
        const index = keywords.indexOf(key);
        if (index < 0) throw typeError(`'${key}' is an invalid keyword argument for ${name}()`);
        if (index < given) throw typeError(`argument for ${name}() given by name ('${key}') and position (${index + 1})`);
        bound[index] = value;
      }
      return Array.from(bound, (value) => (value === undefined ? MISSING_ARGUMENT : value));
    }
  }
}

// Marks a parameter left out before a later keyword argument; methods treat it as "not given".
const MISSING_ARGUMENT = new PyTuple();

function given(args: PyValue[], index: number): boolean {
  return index < args.length && args[index] !== MISSING_ARGUMENT;
}

/** An int argument (operator.index): bools count, anything else is a TypeError. */
function indexArgument(value: PyValue): number {
  if (typeof value === 'number' || typeof value === 'boolean') return numberOf(value);
  if (value instanceof Undefined && value.mode === 'strict') throw undefinedError(value);
  throw typeError(`'${typeName(value)}' object cannot be interpreted as an integer`);
}

/** A start/end argument: an int or None. */
function sliceArgument(value: PyValue | undefined, message = 'slice indices must be integers or None or have an __index__ method'): number | null {
  if (value === undefined || value === null || value === MISSING_ARGUMENT) return null;
  if (typeof value === 'number' || typeof value === 'boolean') return numberOf(value);
  throw typeError(message);
}

// ---------------------------------------------------------------------------------------------
// str

// Python's str.isspace() characters (bidirectional WS/B/S or category Zs); JS \s differs.
const WHITESPACE = '\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const WHITESPACE_CHAR = new RegExp(`[${WHITESPACE}]`, 'u');
const LINE_BREAK = /\r\n|[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]/;
const CASED = /[\p{Lu}\p{Ll}\p{Lt}]/u;
const UPPER = /[\p{Lu}\p{Lt}]/u;
const LOWER = /\p{Ll}/u;
const DIGIT_EXTRA = /[\u00b2\u00b3\u00b9\u2070\u2074-\u2079\u2080-\u2089\u2460-\u2468\u2474-\u247c\u2488-\u2490\u24ea\u24f5-\u24fd\u24ff\u2776-\u277e\u2780-\u2788\u278a-\u2792\u1369-\u1371\u19da]/u;

function isWhitespace(char: string): boolean {
  return WHITESPACE_CHAR.test(char);
}

/** A str argument or Python's TypeError with the given wording. */
function textArgument(value: PyValue, message: (actual: string) => string): string {
  const text = stringOf(value);
  if (text === undefined) {
    if (value instanceof Undefined && value.mode === 'strict') throw undefinedError(value);
    throw typeError(message(typeName(value)));
  }
  return text;
}

/** CPython's ADJUST_INDICES for find/count/startswith: clamps end, wraps negatives. */
function adjustIndices(startValue: PyValue | undefined, endValue: PyValue | undefined, length: number): [number, number] {
  let start = sliceArgument(startValue) ?? 0;
  let end = sliceArgument(endValue) ?? length;
  if (end > length) end = length;
  else if (end < 0) end = Math.max(0, end + length);
  if (start < 0) start = Math.max(0, start + length);
  return [start, end];
}

function codePoints(text: string): string[] {
  return Array.from(text);
}

function findIn(text: string, args: PyValue[], fromRight: boolean): number {
  const chars = codePoints(text);
  const sub = codePoints(textArgument(args[0], (t) => `must be str, not ${t}`));
  const [start, end] = adjustIndices(args[1], args[2], chars.length);
  if (end - start < sub.length) return -1;
  const matches = (at: number): boolean => sub.every((char, i) => chars[at + i] === char);
  if (fromRight) {
    for (let at = end - sub.length; at >= start; at--) if (matches(at)) return at;
  } else {
    for (let at = start; at <= end - sub.length; at++) if (matches(at)) return at;
  }
  return -1;
}

function countIn(text: string, args: PyValue[]): number {
  const chars = codePoints(text);
  const sub = codePoints(textArgument(args[0], (t) => `must be str, not ${t}`));
  const [start, end] = adjustIndices(args[1], args[2], chars.length);
  if (end - start < sub.length) return 0;
  if (sub.length === 0) return end - start + 1;
  let count = 0;
  for (let at = start; at <= end - sub.length; ) {
    if (sub.every((char, i) => chars[at + i] === char)) {
      count++;
      at += sub.length;
    } else at++;
  }
  return count;
}

function affixMatch(text: string, args: PyValue[], name: 'startswith' | 'endswith'): boolean {
  const affix = args[0];
  const candidates: string[] = [];
  if (affix instanceof PyTuple) {
    for (const item of affix) candidates.push(textArgument(item, (t) => `tuple for ${name} must only contain str, not ${t}`));
  } else {
    candidates.push(textArgument(affix, (t) => `${name} first arg must be str or a tuple of str, not ${t}`));
  }
  const chars = codePoints(text);
  const [start, endIn] = adjustIndices(args[1], args[2], chars.length);
  return candidates.some((candidate) => {
    const sub = codePoints(candidate);
    const end = endIn - sub.length;
    if (end < start) return false;
    const at = name === 'startswith' ? start : end;
    return sub.every((char, i) => chars[at + i] === char);
  });
}

function splitText(text: string, args: PyValue[], fromRight: boolean): string[] {
  const sepValue = given(args, 0) ? args[0] : null;
  let maxsplit = given(args, 1) ? indexArgument(args[1]) : -1;
  if (maxsplit < 0) maxsplit = Number.MAX_SAFE_INTEGER;
  if (sepValue === null) return splitWhitespace(text, maxsplit, fromRight);
  const sep = textArgument(sepValue, (t) => `must be str or None, not ${t}`);
  if (sep === '') throw new PyError('ValueError', 'empty separator');
  const parts: string[] = [];
  let rest = text;
  while (parts.length < maxsplit) {
    const at = fromRight ? rest.lastIndexOf(sep) : rest.indexOf(sep);
    if (at < 0) break;
    if (fromRight) {
      parts.unshift(rest.slice(at + sep.length));
      rest = rest.slice(0, at);
    } else {
      parts.push(rest.slice(0, at));
      rest = rest.slice(at + sep.length);
    }
  }
  if (fromRight) parts.unshift(rest);
  else parts.push(rest);
  return parts;
}

function splitWhitespace(text: string, maxsplit: number, fromRight: boolean): string[] {
  const chars = codePoints(text);
  if (fromRight) chars.reverse();
  const parts: string[] = [];
  let i = 0;
  while (i < chars.length) {
    while (i < chars.length && isWhitespace(chars[i])) i++;
    if (i >= chars.length) break;
    if (parts.length >= maxsplit) {
      // The rest, leading whitespace skipped, trailing whitespace kept.
      let rest = chars.slice(i);
      if (fromRight) rest = rest.reverse();
      parts.push(rest.join(''));
      break;
    }
    const start = i;
    while (i < chars.length && !isWhitespace(chars[i])) i++;
    let word = chars.slice(start, i);
    if (fromRight) word = word.reverse();
    parts.push(word.join(''));
  }
  if (fromRight) parts.reverse();
  return parts;
}

function stripText(text: string, args: PyValue[], name: string, left: boolean, right: boolean): string {
  const charsValue = args.length > 0 ? args[0] : null;
  let isStripped: (char: string) => boolean = isWhitespace;
  if (charsValue !== null) {
    const set = new Set(codePoints(textArgument(charsValue, () => `${name} arg must be None or str`)));
    isStripped = (char) => set.has(char);
  }
  const chars = codePoints(text);
  let start = 0;
  let end = chars.length;
  if (left) while (start < end && isStripped(chars[start])) start++;
  if (right) while (end > start && isStripped(chars[end - 1])) end--;
  return chars.slice(start, end).join('');
}

function replaceText(text: string, args: PyValue[]): string {
  const old = textArgument(args[0], (t) => `replace() argument 1 must be str, not ${t}`);
  const replacement = textArgument(args[1], (t) => `replace() argument 2 must be str, not ${t}`);
  let count = args.length > 2 ? indexArgument(args[2]) : -1;
  if (count < 0) count = Number.MAX_SAFE_INTEGER;
  if (old === '') {
    // An empty pattern matches before every character and at the end.
    const chars = codePoints(text);
    let out = '';
    let used = 0;
    for (let i = 0; i <= chars.length; i++) {
      if (used < count) {
        out += replacement;
        used++;
      }
      if (i < chars.length) out += chars[i];
    }
    return out;
  }
  let out = '';
  let rest = text;
  for (let used = 0; used < count; used++) {
    const at = rest.indexOf(old);
    if (at < 0) break;
    out += rest.slice(0, at) + replacement;
    rest = rest.slice(at + old.length);
  }
  return out + rest;
}

function fillArgument(args: PyValue[]): string {
  if (args.length < 2) return ' ';
  const fill = stringOf(args[1]);
  if (fill === undefined) throw typeError(`The fill character must be a unicode character, not ${typeName(args[1])}`);
  if (codePointLength(fill) !== 1) throw typeError('The fill character must be exactly one character long');
  return fill;
}

function justify(text: string, args: PyValue[], how: 'left' | 'right' | 'center'): string {
  const width = indexArgument(args[0]);
  const fill = fillArgument(args);
  const length = codePointLength(text);
  const margin = width - length;
  if (margin <= 0) return text;
  if (how === 'left') return text + fill.repeat(margin);
  if (how === 'right') return fill.repeat(margin) + text;
  // CPython's pad(): the odd space goes left when the width is odd.
  const left = Math.floor(margin / 2) + (margin & width & 1);
  return fill.repeat(left) + text + fill.repeat(margin - left);
}

function titleCase(text: string): string {
  let out = '';
  let previousCased = false;
  for (const char of text) {
    out += previousCased ? char.toLowerCase() : char.toUpperCase();
    previousCased = CASED.test(char);
  }
  return out;
}

function capitalize(text: string): string {
  const chars = codePoints(text);
  if (chars.length === 0) return '';
  return titleChar(chars[0]) + chars.slice(1).join('').toLowerCase();
}

// Title case differs from upper case for a few digraphs (Python's capitalize uses title case).
const TITLE_CASE: Record<string, string> = { 'Ǆ': 'ǅ', 'ǅ': 'ǅ', 'ǆ': 'ǅ', 'Ǉ': 'ǈ', 'ǈ': 'ǈ', 'ǉ': 'ǈ', 'Ǌ': 'ǋ', 'ǋ': 'ǋ', 'ǌ': 'ǋ', 'Ǳ': 'ǲ', 'ǲ': 'ǲ', 'ǳ': 'ǲ' };

function titleChar(char: string): string {
  return TITLE_CASE[char] ?? char.toUpperCase();
}

function swapCase(text: string): string {
  let out = '';
  for (const char of text) out += UPPER.test(char) ? char.toLowerCase() : LOWER.test(char) ? char.toUpperCase() : char;
  return out;
}

function hasCase(text: string, wanted: RegExp, other: RegExp): boolean {
  let sawCased = false;
  for (const char of text) {
    if (other.test(char)) return false;
    if (wanted.test(char)) sawCased = true;
  }
  return sawCased;
}

function isTitle(text: string): boolean {
  let sawCased = false;
  let previousCased = false;
  for (const char of text) {
    if (UPPER.test(char)) {
      if (previousCased) return false;
      previousCased = true;
      sawCased = true;
    } else if (LOWER.test(char)) {
      if (!previousCased) return false;
      previousCased = true;
      sawCased = true;
    } else previousCased = false;
  }
  return sawCased;
}

function everyChar(text: string, test: (char: string) => boolean): boolean {
  if (text.length === 0) return false;
  for (const char of text) if (!test(char)) return false;
  return true;
}

const isDecimalChar = (char: string): boolean => /\p{Nd}/u.test(char);
const isDigitChar = (char: string): boolean => isDecimalChar(char) || DIGIT_EXTRA.test(char);
const isNumericChar = (char: string): boolean => /[\p{Nd}\p{Nl}\p{No}]/u.test(char) || /[〇一二三四五六七八九十百千万億兆零]/u.test(char);
const isAlphaChar = (char: string): boolean => /\p{L}/u.test(char);

function splitLines(text: string, args: PyValue[]): string[] {
  const keepEnds = given(args, 0) ? indexArgument(args[0]) !== 0 : false;
  const lines: string[] = [];
  let rest = text;
  while (rest.length > 0) {
    const match = LINE_BREAK.exec(rest);
    if (!match) {
      lines.push(rest);
      break;
    }
    lines.push(rest.slice(0, keepEnds ? match.index + match[0].length : match.index));
    rest = rest.slice(match.index + match[0].length);
  }
  return lines;
}

function expandTabs(text: string, args: PyValue[]): string {
  const size = given(args, 0) ? indexArgument(args[0]) : 8;
  let out = '';
  let column = 0;
  for (const char of text) {
    if (char === '\t') {
      if (size > 0) {
        const spaces = size - (column % size);
        out += ' '.repeat(spaces);
        column += spaces;
      }
    } else {
      out += char;
      column = char === '\n' || char === '\r' ? 0 : column + 1;
    }
  }
  return out;
}

function zfill(text: string, args: PyValue[]): string {
  const width = indexArgument(args[0]);
  const chars = codePoints(text);
  if (chars.length >= width) return text;
  const zeros = '0'.repeat(width - chars.length);
  if (chars[0] === '+' || chars[0] === '-') return chars[0] + zeros + chars.slice(1).join('');
  return zeros + text;
}

function partition(text: string, args: PyValue[], fromRight: boolean): PyTuple {
  const sep = textArgument(args[0], (t) => `must be str, not ${t}`);
  if (sep === '') throw new PyError('ValueError', 'empty separator');
  const at = fromRight ? text.lastIndexOf(sep) : text.indexOf(sep);
  if (at < 0) return fromRight ? tuple(['', '', text]) : tuple([text, '', '']);
  return tuple([text.slice(0, at), sep, text.slice(at + sep.length)]);
}

function joinText(separator: string, iterable: PyValue, escapeItems: boolean): string {
  let items: PyValue[];
  try {
    items = pyIterate(iterable);
  } catch (error) {
    if (error instanceof PyError && error.pyType === 'TypeError') throw typeError('can only join an iterable');
    throw error;
  }
  return items
    .map((item, index) => {
      const text = stringOf(item);
      if (text === undefined) throw typeError(`sequence item ${index}: expected str instance, ${typeName(item)} found`);
      return escapeItems && !(item instanceof Markup) ? escapeHtml(text) : text;
    })
    .join(separator);
}

function mappingAsKwargs(mapping: PyValue): PyKwargs {
  if (!(mapping instanceof PyDict)) throw typeError(`'${typeName(mapping)}' object is not subscriptable`);
  const kwargs: PyKwargs = new Map();
  for (const [key, value] of mapping) if (typeof key === 'string') kwargs.set(key, value);
  return kwargs;
}

type StrSelf = string | Markup;
const textOf = (self: StrSelf): string => (typeof self === 'string' ? self : self.text);

const STR_METHODS: Record<string, MethodSpec<StrSelf>> = {
  split: { style: 'keywords', min: 0, max: 2, keywords: ['sep', 'maxsplit'], impl: (s, a) => splitText(textOf(s), a, false) },
  rsplit: { style: 'keywords', min: 0, max: 2, keywords: ['sep', 'maxsplit'], impl: (s, a) => splitText(textOf(s), a, true) },
  splitlines: { style: 'keywords', min: 0, max: 1, keywords: ['keepends'], impl: (s, a) => splitLines(textOf(s), a) },
  startswith: { style: 'parsetuple', min: 1, max: 3, impl: (s, a) => affixMatch(textOf(s), a, 'startswith') },
  endswith: { style: 'parsetuple', min: 1, max: 3, impl: (s, a) => affixMatch(textOf(s), a, 'endswith') },
  find: { style: 'parsetuple', min: 1, max: 3, impl: (s, a) => findIn(textOf(s), a, false) },
  rfind: { style: 'parsetuple', min: 1, max: 3, impl: (s, a) => findIn(textOf(s), a, true) },
  index: { style: 'parsetuple', min: 1, max: 3, impl: (s, a) => foundOrRaise(findIn(textOf(s), a, false)) },
  rindex: { style: 'parsetuple', min: 1, max: 3, impl: (s, a) => foundOrRaise(findIn(textOf(s), a, true)) },
  count: { style: 'parsetuple', min: 1, max: 3, impl: (s, a) => countIn(textOf(s), a) },
  lower: { style: 'noargs', min: 0, max: 0, impl: (s) => textOf(s).toLowerCase() },
  upper: { style: 'noargs', min: 0, max: 0, impl: (s) => textOf(s).toUpperCase() },
  casefold: { style: 'noargs', min: 0, max: 0, impl: (s) => textOf(s).toUpperCase().toLowerCase() },
  swapcase: { style: 'noargs', min: 0, max: 0, impl: (s) => swapCase(textOf(s)) },
  capitalize: { style: 'noargs', min: 0, max: 0, impl: (s) => capitalize(textOf(s)) },
  title: { style: 'noargs', min: 0, max: 0, impl: (s) => titleCase(textOf(s)) },
  strip: { style: 'clinic', min: 0, max: 1, impl: (s, a) => stripText(textOf(s), a, 'strip', true, true) },
  lstrip: { style: 'clinic', min: 0, max: 1, impl: (s, a) => stripText(textOf(s), a, 'lstrip', true, false) },
  rstrip: { style: 'clinic', min: 0, max: 1, impl: (s, a) => stripText(textOf(s), a, 'rstrip', false, true) },
  replace: { style: 'clinic', min: 2, max: 3, impl: (s, a) => replaceText(textOf(s), a) },
  join: {
    style: 'one',
    min: 1,
    max: 1,
    impl: (s, a) => (s instanceof Markup ? new Markup(joinText(s.text, a[0], true)) : joinText(s, a[0], false)),
  },
  format: {
    style: 'any',
    min: 0,
    max: Infinity,
    impl: (s, a, ctx, kw) => (s instanceof Markup ? markupStrFormat(s, a, kw) : strFormat(s, a, kw, ctx)),
  },
  format_map: {
    style: 'one',
    min: 1,
    max: 1,
    // markupsafe 2.1 (Debian's, the reference) does not wrap format_map: Markup gives a plain str.
    impl: (s, a, ctx) => strFormat(textOf(s), [], mappingAsKwargs(a[0]), ctx),
  },
  zfill: { style: 'one', min: 1, max: 1, impl: (s, a) => zfill(textOf(s), a) },
  ljust: { style: 'clinic', min: 1, max: 2, impl: (s, a) => justify(textOf(s), a, 'left') },
  rjust: { style: 'clinic', min: 1, max: 2, impl: (s, a) => justify(textOf(s), a, 'right') },
  center: { style: 'clinic', min: 1, max: 2, impl: (s, a) => justify(textOf(s), a, 'center') },
  partition: { style: 'one', min: 1, max: 1, impl: (s, a) => partition(textOf(s), a, false) },
  rpartition: { style: 'one', min: 1, max: 1, impl: (s, a) => partition(textOf(s), a, true) },
  removeprefix: {
    style: 'one',
    min: 1,
    max: 1,
    impl: (s, a) => {
      const prefix = textArgument(a[0], (t) => `removeprefix() argument must be str, not ${t}`);
      return textOf(s).startsWith(prefix) ? textOf(s).slice(prefix.length) : textOf(s);
    },
  },
  removesuffix: {
    style: 'one',
    min: 1,
    max: 1,
    impl: (s, a) => {
      const suffix = textArgument(a[0], (t) => `removesuffix() argument must be str, not ${t}`);
      return suffix && textOf(s).endsWith(suffix) ? textOf(s).slice(0, -suffix.length) : textOf(s);
    },
  },
  expandtabs: { style: 'keywords', min: 0, max: 1, keywords: ['tabsize'], impl: (s, a) => expandTabs(textOf(s), a) },
  isdigit: { style: 'noargs', min: 0, max: 0, impl: (s) => everyChar(textOf(s), isDigitChar) },
  isdecimal: { style: 'noargs', min: 0, max: 0, impl: (s) => everyChar(textOf(s), isDecimalChar) },
  isnumeric: { style: 'noargs', min: 0, max: 0, impl: (s) => everyChar(textOf(s), isNumericChar) },
  isalpha: { style: 'noargs', min: 0, max: 0, impl: (s) => everyChar(textOf(s), isAlphaChar) },
  isalnum: { style: 'noargs', min: 0, max: 0, impl: (s) => everyChar(textOf(s), (c) => isAlphaChar(c) || isNumericChar(c) || isDigitChar(c)) },
  isspace: { style: 'noargs', min: 0, max: 0, impl: (s) => everyChar(textOf(s), isWhitespace) },
  islower: { style: 'noargs', min: 0, max: 0, impl: (s) => hasCase(textOf(s), LOWER, UPPER) },
  isupper: { style: 'noargs', min: 0, max: 0, impl: (s) => hasCase(textOf(s), UPPER, LOWER) },
  istitle: { style: 'noargs', min: 0, max: 0, impl: (s) => isTitle(textOf(s)) },
  isascii: { style: 'noargs', min: 0, max: 0, impl: (s) => /^[\x00-\x7f]*$/.test(textOf(s)) },
  isidentifier: { style: 'noargs', min: 0, max: 0, impl: (s) => /^[\p{XID_Start}_][\p{XID_Continue}]*$/u.test(textOf(s)) },
  isprintable: { style: 'noargs', min: 0, max: 0, impl: (s) => !/[\p{Z}\p{C}]/u.test(textOf(s).replace(/ /g, '')) },
};

function foundOrRaise(index: number): number {
  if (index < 0) throw new PyError('ValueError', 'substring not found');
  return index;
}

// markupsafe.Markup wraps these so the result is Markup again and str arguments are escaped.
const MARKUP_WRAPPED = new Set([
  'capitalize', 'title', 'lower', 'upper', 'replace', 'ljust', 'rjust', 'lstrip', 'rstrip', 'center', 'strip',
  'expandtabs', 'swapcase', 'zfill', 'casefold', 'partition', 'rpartition', 'split', 'rsplit', 'splitlines',
]);

for (const name of MARKUP_WRAPPED) {
  const plain = STR_METHODS[name];
  STR_METHODS[name] = {
    ...plain,
    impl: (self, args, ctx, kwargs) => {
      if (!(self instanceof Markup)) return plain.impl(self, args, ctx, kwargs);
      const escapeArgument = (value: PyValue): PyValue => (typeof value === 'string' ? escapeHtml(value) : value);
      const escapedKwargs: PyKwargs = new Map([...kwargs].map(([key, value]) => [key, escapeArgument(value)]));
      const result = plain.impl(self, args.map(escapeArgument), ctx, escapedKwargs);
      return wrapMarkup(result);
    },
  };
}

function wrapMarkup(result: PyValue): PyValue {
  if (typeof result === 'string') return new Markup(result);
  if (result instanceof PyTuple) return tuple(result.map(wrapMarkup));
  if (Array.isArray(result)) return result.map(wrapMarkup);
  return result;
}

// ---------------------------------------------------------------------------------------------
// list and tuple

function notInSequence(kind: 'list' | 'tuple', value: PyValue): PyError {
  return new PyError('ValueError', kind === 'list' ? `${reprOf(value)} is not in list` : 'tuple.index(x): x not in tuple');
}

function sequenceIndex(items: PyValue[], args: PyValue[], kind: 'list' | 'tuple'): number {
  const message = 'slice indices must be integers or have an __index__ method';
  let start = sliceArgument(args[1], message) ?? 0;
  let end = sliceArgument(args[2], message) ?? items.length;
  if (start < 0) start = Math.max(0, start + items.length);
  if (end < 0) end = Math.max(0, end + items.length);
  for (let i = start; i < Math.min(end, items.length); i++) if (pyEquals(items[i], args[0])) return i;
  throw notInSequence(kind, args[0]);
}

function countEqual(items: PyValue[], value: PyValue): number {
  return items.filter((item) => item === value || pyEquals(item, value)).length;
}

/** Python's list.sort: stable; compares "later < earlier" as CPython does, so errors name types alike. */
function sortList(ctx: RuntimeContext, items: PyValue[], kwargs: PyKwargs): null {
  for (const name of kwargs.keys()) if (name !== 'key' && name !== 'reverse') throw typeError(`'${name}' is an invalid keyword argument for sort()`);
  const keyFunction = kwargs.get('key') ?? null;
  const reverse = pyTruthy(kwargs.get('reverse') ?? false);
  const keys = items.map((item) => (keyFunction === null ? item : ctx.call(keyFunction, [item])));
  const order = items.map((_, i) => i);
  if (reverse) order.reverse();
  const lessThan = (a: number, b: number): boolean => {
    const x = keys[a];
    const y = keys[b];
    if (x instanceof Undefined) throw undefinedError(x);
    if (y instanceof Undefined) throw undefinedError(y);
    return pyCompare(x, y, '<') < 0;
  };
  const sorted = mergeSort(order, lessThan);
  if (reverse) sorted.reverse();
  const values = sorted.map((i) => items[i]);
  items.splice(0, items.length, ...values);
  return null;
}

function mergeSort(order: number[], lessThan: (a: number, b: number) => boolean): number[] {
  if (order.length <= 1) return order;
  const middle = order.length >> 1;
  const left = mergeSort(order.slice(0, middle), lessThan);
  const right = mergeSort(order.slice(middle), lessThan);
  const merged: number[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length && j < right.length) {
    if (lessThan(right[j], left[i])) merged.push(right[j++]);
    else merged.push(left[i++]);
  }
  return merged.concat(left.slice(i), right.slice(j));
}

const LIST_METHODS: Record<string, MethodSpec<PyValue[]>> = {
  append: { style: 'one', min: 1, max: 1, impl: (s, a) => (s.push(a[0]), null) },
  extend: { style: 'one', min: 1, max: 1, impl: (s, a) => (s.push(...pyIterate(a[0])), null) },
  insert: {
    style: 'clinic',
    min: 2,
    max: 2,
    impl: (s, a) => {
      let at = indexArgument(a[0]);
      if (at < 0) at = Math.max(0, at + s.length);
      s.splice(Math.min(at, s.length), 0, a[1]);
      return null;
    },
  },
  pop: {
    style: 'clinic',
    min: 0,
    max: 1,
    impl: (s, a) => {
      let at = a.length > 0 ? indexArgument(a[0]) : -1;
      if (s.length === 0) throw new PyError('IndexError', 'pop from empty list');
      if (at < 0) at += s.length;
      if (at < 0 || at >= s.length) throw new PyError('IndexError', 'pop index out of range');
      return s.splice(at, 1)[0];
    },
  },
  remove: {
    style: 'one',
    min: 1,
    max: 1,
    impl: (s, a) => {
      const at = s.findIndex((item) => item === a[0] || pyEquals(item, a[0]));
      if (at < 0) throw new PyError('ValueError', 'list.remove(x): x not in list');
      s.splice(at, 1);
      return null;
    },
  },
  index: { style: 'clinic', min: 1, max: 3, impl: (s, a) => sequenceIndex(s, a, 'list') },
  count: { style: 'one', min: 1, max: 1, impl: (s, a) => countEqual(s, a[0]) },
  reverse: { style: 'noargs', min: 0, max: 0, impl: (s) => (s.reverse(), null) },
  sort: {
    style: 'any',
    min: 0,
    max: 0,
    impl: (s, a, ctx, kw) => {
      if (a.length > 0) throw typeError('sort() takes no positional arguments');
      return sortList(ctx, s, kw);
    },
  },
  copy: { style: 'noargs', min: 0, max: 0, impl: (s) => [...s] },
  clear: { style: 'noargs', min: 0, max: 0, impl: (s) => (s.splice(0, s.length), null) },
};

const TUPLE_METHODS: Record<string, MethodSpec<PyValue[]>> = {
  index: { style: 'clinic', min: 1, max: 3, impl: (s, a) => sequenceIndex(s, a, 'tuple') },
  count: { style: 'one', min: 1, max: 1, impl: (s, a) => countEqual(s, a[0]) },
};

// ---------------------------------------------------------------------------------------------
// dict

function hashableKey(value: PyValue): string | number | boolean | null {
  if (value instanceof Undefined) {
    if (value.mode === 'strict') throw undefinedError(value);
    // Hashable in Python, but PyDict keys are primitives only.
    throw new PyError('NotImplementedError', 'an undefined value cannot be stored as a dict key by this renderer');
  }
  const key = dictKey(value);
  if (key === undefined) throw typeError(`unhashable type: '${typeName(value)}'`);
  return key;
}

/** Stores value under `key` the way Python would (an equal existing key keeps its identity). */
export function dictSet(dict: PyDict, key: PyValue, value: PyValue): void {
  const existing = findDictKey(dict, key);
  dict.set(existing !== undefined ? existing : hashableKey(key), value);
}

/**
 * dict.update / dict(): entries of a mapping or of an iterable of pairs, then keyword arguments,
 * with Python's errors for malformed pairs.
 */
export function updateDict(dict: PyDict, source: PyValue | undefined, kwargs: PyKwargs): void {
  if (source instanceof PyDict) {
    for (const [key, value] of source) dictSet(dict, key, value);
  } else if (source !== undefined) {
    let index = 0;
    for (const pair of pyIterate(source)) {
      let items: PyValue[];
      try {
        items = pyIterate(pair);
      } catch (error) {
        if (error instanceof PyError && error.pyType === 'TypeError') throw typeError(`cannot convert dictionary update sequence element #${index} to a sequence`);
        throw error;
      }
      if (items.length !== 2) throw new PyError('ValueError', `dictionary update sequence element #${index} has length ${items.length}; 2 is required`);
      dictSet(dict, items[0], items[1]);
      index++;
    }
  }
  for (const [key, value] of kwargs) dictSet(dict, key, value);
}

const DICT_METHODS: Record<string, MethodSpec<PyDict>> = {
  get: {
    style: 'clinic',
    min: 1,
    max: 2,
    impl: (s, a) => {
      const key = findDictKey(s, a[0]);
      return key !== undefined ? s.get(key)! : a.length > 1 ? a[1] : null;
    },
  },
  // Views: templates iterate them like lists; they print as dict_items([...]) etc.
  items: { style: 'noargs', min: 0, max: 0, impl: (s) => pyView('dict_items', [...s].map(([key, value]) => tuple([key, value]))) },
  keys: { style: 'noargs', min: 0, max: 0, impl: (s) => pyView('dict_keys', s.keys()) },
  values: { style: 'noargs', min: 0, max: 0, impl: (s) => pyView('dict_values', s.values()) },
  update: {
    style: 'any',
    min: 0,
    max: 1,
    impl: (s, a, _ctx, kw) => {
      if (a.length > 1) throw typeError(`update expected at most 1 argument, got ${a.length}`);
      updateDict(s, a[0], kw);
      return null;
    },
  },
  pop: {
    style: 'clinic',
    min: 1,
    max: 2,
    impl: (s, a) => {
      const key = findDictKey(s, a[0]);
      if (key === undefined) {
        if (a.length > 1) return a[1];
        throw new PyError('KeyError', reprOf(a[0]));
      }
      const value = s.get(key)!;
      s.delete(key);
      return value;
    },
  },
  setdefault: {
    style: 'clinic',
    min: 1,
    max: 2,
    impl: (s, a) => {
      const key = findDictKey(s, a[0]);
      if (key !== undefined) return s.get(key)!;
      const value = a.length > 1 ? a[1] : null;
      s.set(hashableKey(a[0]), value);
      return value;
    },
  },
  popitem: {
    style: 'noargs',
    min: 0,
    max: 0,
    impl: (s) => {
      const last = [...s].pop();
      if (!last) throw new PyError('KeyError', "'popitem(): dictionary is empty'");
      s.delete(last[0]);
      return tuple(last);
    },
  },
  copy: { style: 'noargs', min: 0, max: 0, impl: (s) => PyDict.of(s) },
  clear: { style: 'noargs', min: 0, max: 0, impl: (s) => (s.clear(), null) },
};

// ---------------------------------------------------------------------------------------------
// int, bool, float

function method(name: string, ownerType: string, impl: (args: PyValue[]) => PyValue, max = 0): BuiltinMethod {
  return new BuiltinMethod(name, ownerType, (_ctx, args, kwargs) => {
    if (kwargs.size > 0) throw typeError(`${ownerType}.${name}() takes no keyword arguments`);
    if (args.length > max) throw typeError(`${ownerType}.${name}() takes no arguments (${args.length} given)`);
    return impl(args);
  });
}

function intAttribute(value: number, name: string, ownerType: string): PyValue | undefined {
  switch (name) {
    case 'real':
    case 'numerator':
      return value;
    case 'imag':
      return 0;
    case 'denominator':
      return 1;
    case 'bit_length':
      return method(name, ownerType, () => (value === 0 ? 0 : BigInt(Math.abs(value)).toString(2).length));
    case 'bit_count':
      return method(name, ownerType, () => BigInt(Math.abs(value)).toString(2).replace(/0/g, '').length);
    case 'conjugate':
      return method(name, ownerType, () => value);
    case 'as_integer_ratio':
      return method(name, ownerType, () => tuple([value, 1]));
  }
  return undefined;
}

function floatAttribute(value: number, name: string): PyValue | undefined {
  switch (name) {
    case 'real':
      return new PyFloat(value);
    case 'imag':
      return new PyFloat(0);
    case 'is_integer':
      return method(name, 'float', () => Number.isInteger(value));
    case 'conjugate':
      return method(name, 'float', () => new PyFloat(value));
    case 'as_integer_ratio':
      return method(name, 'float', () => floatRatio(value));
  }
  return undefined;
}

function floatRatio(value: number): PyTuple {
  if (Number.isNaN(value)) throw new PyError('ValueError', 'cannot convert NaN to integer ratio');
  if (!Number.isFinite(value)) throw new PyError('OverflowError', 'cannot convert Infinity to integer ratio');
  let numerator = value;
  let denominator = 1;
  while (!Number.isInteger(numerator)) {
    numerator *= 2;
    denominator *= 2;
  }
  return tuple([numerator, denominator]);
}
