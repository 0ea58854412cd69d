// Jinja2 3.1's builtin filters (jinja2/filters.py) over the Python value model: the same parameters
// (positional and keyword), results, result types and exceptions. Pure: lookups and nested
// filter/test calls go through the RuntimeContext; no I/O, no template state of its own.
import { objectTypeRepr, pythonAttribute } from './methods';
import { binaryOp, escapeHtml, floatToInt, markupPercentFormat, percentFormat } from './operators';
import {
  Markup,
  PyDict,
  PyError,
  PyFloat,
  PyFunction,
  PyObject,
  PyTuple,
  Undefined,
  bindArguments,
  codePointLength,
  floatRepr,
  isList,
  isNumber,
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
  stringRepr,
  tuple,
  typeError,
  typeName,
  undefinedError,
  type FilterFunction,
  type ParameterSpec,
  type PyErrorType,
  type PyValue,
  type RuntimeContext,
} from './pyValues';

// ---------------------------------------------------------------------------------------------
// Values filters return that the core model has no class for

/**
 * A Python generator or iterator, which is what map, select, reject, unique, batch, slice, items
 * and reverse return in Jinja2. As in Python it is lazy (errors show when it is consumed), can
 * be consumed once, is always true, has no len() and prints as `<generator object ...>`.
 */
export class PyIterator extends PyObject {
  constructor(
    /** Python's type name: 'generator', 'list_reverseiterator', 'reversed', ... */
    readonly typeName: string,
    /** The generator function's name, shown by str() ('sync_do_map'); undefined for iterators. */
    private readonly producer: string | undefined,
    private readonly source: Iterator<PyValue>,
  ) {
    super();
  }

  /** Python's next(): the next item, or `done` when the iterator is exhausted. */
  next(): IteratorResult<PyValue> {
    return this.source.next();
  }

  /** The remaining items; pyIterate() uses this, so a second pass sees nothing, as in Python. */
  iterate(): PyValue[] {
    const items: PyValue[] = [];
    for (let step = this.source.next(); !step.done; step = this.source.next()) items.push(step.value);
    return items;
  }

  override toPyString(): string {
    // Python shows a memory address here; no template output can depend on its digits.
    return this.producer !== undefined ? `<generator object ${this.producer} at 0x7f0000000000>` : `<${this.typeName} object at 0x7f0000000000>`;
  }
}

/** groupby's items: (grouper, list) tuples whose parts are also the attributes `grouper` and `list`. */
export class GroupTuple extends PyTuple {
  /** The attribute of Jinja's _GroupTuple namedtuple, for getattr; undefined for other names. */
  attribute(name: string): PyValue | undefined {
    if (name === 'grouper') return this[0];
    if (name === 'list') return this[1];
    return undefined;
  }
}

function groupTuple(grouper: PyValue, items: PyValue[]): GroupTuple {
  const group = new GroupTuple();
  group.push(grouper, items);
  return group;
}

/**
 * Settings of the running environment that filters consult when the context offers them; without
 * them filters behave as makejinja's defaults (autoescape off, '\n' newlines).
 */
interface EnvironmentSettings {
  readonly autoescape?: boolean;
  readonly newlineSequence?: string;
}

function settingsOf(ctx: RuntimeContext): EnvironmentSettings {
  return ctx as RuntimeContext & EnvironmentSettings;
}

// ---------------------------------------------------------------------------------------------
// Python str helpers (code points, Python's idea of whitespace and line breaks)

// str.isspace(): what str.split(), str.strip() and the regex \s treat as whitespace.
const SPACE_CLASS = '\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const SPACE_RUN = new RegExp(`[${SPACE_CLASS}]+`, 'u');
const SPACE_RUN_CAPTURED = new RegExp(`([${SPACE_CLASS}]+)`, 'u');
const SPACE_CHAR = new RegExp(`[${SPACE_CLASS}]`, 'u');
// The regex \w of a Python str pattern: letters, digits and other numerics, underscore.
const WORD_CHAR = '\\p{L}\\p{N}_';
// str.splitlines() breaks lines at these (and at \r\n as one break).
const LINE_BREAKS = new Set(['\n', '\r', '\v', '\f', '\x1c', '\x1d', '\x1e', '\x85', '\u2028', '\u2029']);

function isSpace(char: string): boolean {
  return SPACE_CHAR.test(char);
}

/** Python's str.split() with no separator. */
function splitWhitespace(text: string): string[] {
  return text.split(SPACE_RUN).filter((part) => part !== '');
}

/** Python's str.strip(chars): whitespace when chars is undefined. */
function stripText(text: string, chars?: string): string {
  const chars_ = chars === undefined ? undefined : new Set(Array.from(chars));
  const strip = (char: string): boolean => (chars_ ? chars_.has(char) : isSpace(char));
  const points = Array.from(text);
  let start = 0;
  let end = points.length;
  while (start < end && strip(points[start])) start++;
  while (end > start && strip(points[end - 1])) end--;
  return points.slice(start, end).join('');
}

/** Python's str.splitlines(keepends). */
function splitLines(text: string, keepEnds = false): string[] {
  const lines: string[] = [];
  let start = 0;
  let i = 0;
  while (i < text.length) {
    if (LINE_BREAKS.has(text[i])) {
      const end = text[i] === '\r' && text[i + 1] === '\n' ? i + 2 : i + 1;
      lines.push(text.slice(start, keepEnds ? end : i));
      start = i = end;
    } else i++;
  }
  if (start < text.length) lines.push(text.slice(start));
  return lines;
}

/** text[start:end] in code points (non-negative indices). */
function sliceCodePoints(text: string, start: number, end?: number): string {
  return Array.from(text).slice(start, end).join('');
}

// Characters whose title case differs from their upper case (Python's capitalize uses title case).
const TITLE_CASE: Record<string, string> = {
  '\u01c4': '\u01c5',
  '\u01c5': '\u01c5',
  '\u01c6': '\u01c5',
  '\u01c7': '\u01c8',
  '\u01c8': '\u01c8',
  '\u01c9': '\u01c8',
  '\u01ca': '\u01cb',
  '\u01cb': '\u01cb',
  '\u01cc': '\u01cb',
  '\u01f1': '\u01f2',
  '\u01f2': '\u01f2',
  '\u01f3': '\u01f2',
};

function titleCaseChar(char: string): string {
  const special = TITLE_CASE[char];
  if (special) return special;
  const upper = char.toUpperCase();
  // Expansions such as ß -> SS title-case as Ss.
  const points = Array.from(upper);
  return points.length > 1 ? points[0] + points.slice(1).join('').toLowerCase() : upper;
}

/** Python's str.capitalize(): the first character title-cased, the rest lower-cased. */
function capitalizeText(text: string): string {
  const points = Array.from(text);
  if (points.length === 0) return '';
  return titleCaseChar(points[0]) + points.slice(1).join('').toLowerCase();
}

/** Python's str.center(width). */
function centerText(text: string, width: number): string {
  const length = codePointLength(text);
  if (width <= length) return text;
  const margin = width - length;
  const left = Math.floor(margin / 2) + (margin & width & 1);
  return ' '.repeat(left) + text + ' '.repeat(margin - left);
}

/** Python's str.replace(old, new, count) (count < 0: all), in code points for an empty `old`. */
function replaceText(text: string, old: string, replacement: string, count: number): string {
  if (count === 0) return text;
  if (old === '') {
    const points = Array.from(text);
    let out = '';
    let done = 0;
    for (let i = 0; i <= points.length; i++) {
      if (count < 0 || done < count) {
        out += replacement;
        done++;
      }
      if (i < points.length) out += points[i];
    }
    return out;
  }
  let out = '';
  let start = 0;
  let done = 0;
  for (;;) {
    if (count >= 0 && done >= count) break;
    const found = text.indexOf(old, start);
    if (found < 0) break;
    out += text.slice(start, found) + replacement;
    start = found + old.length;
    done++;
  }
  return out + text.slice(start);
}

/** A str of the same kind as `like`: Markup methods return Markup, str methods str. */
function sameKind(like: PyValue, text: string): string | Markup {
  return like instanceof Markup ? new Markup(text) : text;
}

/** markupsafe's soft_str: str and Markup stay, anything else becomes str(value). */
function softText(value: PyValue): string {
  return stringOf(value) ?? pyStr(value);
}

/** markupsafe's soft_str keeping the kind: Markup stays Markup. */
function softStr(value: PyValue): string | Markup {
  return value instanceof Markup ? value : softText(value);
}

/** Text joined with Markup: Markup stays as it is, plain text is escaped. */
function markupText(value: string | Markup): string {
  return value instanceof Markup ? value.text : escapeHtml(value);
}

/** `a + b` for two str/Markup values, with markupsafe's escaping when either is Markup. */
function concatText(a: string | Markup, b: string | Markup): string | Markup {
  if (a instanceof Markup || b instanceof Markup) return new Markup(markupText(a) + markupText(b));
  return a + b;
}

/** `separator.join(items)` for str/Markup values: a Markup separator escapes plain items. */
function joinText(separator: string | Markup, items: (string | Markup)[]): string | Markup {
  if (separator instanceof Markup) return new Markup(items.map(markupText).join(separator.text));
  return items.map((item) => (item instanceof Markup ? item.text : item)).join(separator);
}

/** markupsafe.escape(value): Markup (and ChainableUndefined, which has __html__) is not escaped again. */
export function escapeValue(value: PyValue): Markup {
  if (value instanceof Markup) return value;
  if (value instanceof Undefined && value.mode === 'chainable') return new Markup('');
  return new Markup(escapeHtml(pyStr(value)));
}

/** hasattr(value, '__html__'). */
export function hasHtml(value: PyValue): boolean {
  return value instanceof Markup || (value instanceof Undefined && value.mode === 'chainable');
}

// ---------------------------------------------------------------------------------------------
// Python number helpers

/** An argument Python uses as an index (str.center's width, a count): int or bool, else TypeError. */
function indexArgument(value: PyValue): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value instanceof Undefined) throw undefinedError(value);
  throw typeError(`'${typeName(value)}' object cannot be interpreted as an integer`);
}

/** The exact value of a finite non-negative double as digits × 10**-scale (every double is one). */
function exactDecimal(value: number): { digits: bigint; scale: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value);
  const bits = view.getBigUint64(0);
  const biased = Number((bits >> 52n) & 0x7ffn);
  let mantissa = bits & ((1n << 52n) - 1n);
  let exponent = -1074;
  if (biased !== 0) {
    mantissa |= 1n << 52n;
    exponent = biased - 1075;
  }
  if (exponent >= 0) return { digits: mantissa << BigInt(exponent), scale: 0 };
  return { digits: mantissa * 5n ** BigInt(-exponent), scale: -exponent };
}

/** |value| × 10**places rounded half-to-even on its exact binary value, as C and Python round. */
function roundedScaled(value: number, places: number): bigint {
  const { digits, scale } = exactDecimal(Math.abs(value));
  const shift = scale - places;
  if (shift <= 0) return digits * 10n ** BigInt(-shift);
  const divisor = 10n ** BigInt(shift);
  const quotient = digits / divisor;
  const twice = (digits % divisor) * 2n;
  return twice > divisor || (twice === divisor && quotient % 2n === 1n) ? quotient + 1n : quotient;
}

/** Python's '%.Nf' % value. */
export function formatFixed(value: number, places: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  const sign = value < 0 || Object.is(value, -0) ? '-' : '';
  const digits = roundedScaled(value, places).toString().padStart(places + 1, '0');
  if (places === 0) return sign + digits;
  return `${sign}${digits.slice(0, -places)}.${digits.slice(-places)}`;
}

/** Python's round(float, ndigits): correctly rounded, half to even, keeping the sign of zero. */
function roundFloat(value: number, places: number): number {
  if (!Number.isFinite(value) || places > 323) return value;
  if (places < -308) return value < 0 || Object.is(value, -0) ? -0 : 0;
  const scaled = roundedScaled(value, places);
  const magnitude = Number(`${scaled}e${-places}`);
  if (!Number.isFinite(magnitude)) throw new PyError('OverflowError', 'rounded value too large to represent');
  return value < 0 || Object.is(value, -0) ? -magnitude : magnitude;
}

/** Python's round(int, ndigits): ints stay ints; negative ndigits round half to even. */
function roundInt(value: number, places: number): number {
  if (places >= 0) return value;
  const divisor = 10n ** BigInt(-places);
  const magnitude = BigInt(Math.abs(value));
  let quotient = magnitude / divisor;
  const twice = (magnitude % divisor) * 2n;
  if (twice > divisor || (twice === divisor && quotient % 2n === 1n)) quotient += 1n;
  const result = Number(quotient * divisor);
  return value < 0 && result !== 0 ? -result : result;
}

const INT_DIGITS = '0123456789abcdefghijklmnopqrstuvwxyz';

const DECIMAL_DIGIT = /\p{Nd}/u;

/**
 * int() and float() read the decimal digits of every script. Unicode encodes each script's digits
 * as runs of whole 0-9 sets, so a digit's value is its distance from the run's start, modulo 10.
 */
function asciiDigits(text: string): string {
  if (/^[\x00-\x7f]*$/.test(text)) return text;
  return Array.from(text, (char) => {
    if (char <= '\x7f' || !DECIMAL_DIGIT.test(char)) return char;
    let start = char.codePointAt(0)!;
    while (DECIMAL_DIGIT.test(String.fromCodePoint(start - 1))) start--;
    return String((char.codePointAt(0)! - start) % 10);
  }).join('');
}

/** Python's int(text, base) for a str, or undefined where Python raises ValueError. */
function parseIntLiteral(text: string, base: number): number | undefined {
  let body = asciiDigits(stripText(text));
  let negative = false;
  if (body.startsWith('+') || body.startsWith('-')) {
    negative = body.startsWith('-');
    body = body.slice(1);
  }
  const lower = body.toLowerCase();
  const prefixBase = lower.startsWith('0x') ? 16 : lower.startsWith('0o') ? 8 : lower.startsWith('0b') ? 2 : 0;
  let prefixed = false;
  if (base === 0) {
    if (prefixBase) {
      base = prefixBase;
      prefixed = true;
    } else {
      base = 10;
      // Base 0 refuses leading zeros on a non-zero decimal ("010"), as Python source does.
      if (/^0[0-9_]*$/.test(body) && /[1-9]/.test(body)) return undefined;
    }
  } else if (prefixBase === base) prefixed = true;
  if (prefixed) {
    body = body.slice(2);
    // An underscore may follow the prefix directly.
    if (body.startsWith('_')) body = body.slice(1);
  }
  if (body === '' || body.startsWith('_') || body.endsWith('_') || body.includes('__')) return undefined;
  let result = 0n;
  for (const char of body.toLowerCase()) {
    if (char === '_') continue;
    const digit = INT_DIGITS.indexOf(char);
    if (digit < 0 || digit >= base) return undefined;
    result = result * BigInt(base) + BigInt(digit);
  }
  const number = Number(result);
  return negative && number !== 0 ? -number : number;
}

const FLOAT_LITERAL = /^[+-]?(?:(?:\d(?:_?\d)*)(?:\.(?:\d(?:_?\d)*)?)?|\.\d(?:_?\d)*)(?:[eE][+-]?\d(?:_?\d)*)?$/;
const FLOAT_SPECIAL = /^([+-]?)(inf|infinity|nan)$/i;

/** Python's float(text), or undefined where Python raises ValueError. */
function parseFloatLiteral(text: string): number | undefined {
  const body = asciiDigits(stripText(text));
  const special = FLOAT_SPECIAL.exec(body);
  if (special) {
    if (special[2].toLowerCase() === 'nan') return NaN;
    return special[1] === '-' ? -Infinity : Infinity;
  }
  if (!FLOAT_LITERAL.test(body)) return undefined;
  return Number(body.replace(/_/g, ''));
}

/** Python's float(value): a JS number, or the exception Python raises. */
function toFloat(value: PyValue): number {
  if (isNumber(value)) return numberOf(value);
  const text = stringOf(value);
  if (text !== undefined) {
    const parsed = parseFloatLiteral(text);
    if (parsed === undefined) throw new PyError('ValueError', `could not convert string to float: ${stringRepr(text)}`);
    return parsed;
  }
  if (value instanceof Undefined) throw undefinedError(value);
  throw typeError(`float() argument must be a string or a real number, not '${typeName(value)}'`);
}

// ---------------------------------------------------------------------------------------------
// Comparison and sorting with Python's rules and error messages

/** Python's `a < b` or `a > b` (for sort, min and max); Undefined raises as its __lt__ does. */
export function pyRichCompare(a: PyValue, b: PyValue, op: '<' | '<=' | '>' | '>='): boolean {
  if (a instanceof Undefined) throw undefinedError(a);
  if (b instanceof Undefined) throw undefinedError(b);
  if (Array.isArray(a) && Array.isArray(b) && isTuple(a) === isTuple(b)) {
    const shared = Math.min(a.length, b.length);
    for (let i = 0; i < shared; i++) {
      if (!pyEquals(a[i], b[i])) return pyRichCompare(a[i], b[i], op);
    }
    return compareNumbers(a.length, b.length, op);
  }
  if (isNumber(a) && isNumber(b)) return compareNumbers(numberOf(a), numberOf(b), op);
  const order = pyCompare(a, b, op);
  return compareNumbers(order, 0, op);
}

function compareNumbers(a: number, b: number, op: '<' | '<=' | '>' | '>='): boolean {
  switch (op) {
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
  }
}

/**
 * Python's sorted(values, key=key, reverse=reverse). The compare order follows CPython's list.sort
 * for short lists (a run, then binary insertion), so a TypeError names the same two types.
 */
function pySorted(values: PyValue[], key: (value: PyValue) => PyValue, reverse: boolean): PyValue[] {
  let pairs = values.map((value) => ({ value, key: key(value) }));
  if (reverse) pairs = pairs.reverse();
  const less = (a: { key: PyValue }, b: { key: PyValue }): boolean => pyRichCompare(a.key, b.key, '<');
  const n = pairs.length;
  if (n >= 2) {
    let run = 2;
    if (less(pairs[1], pairs[0])) {
      while (run < n && less(pairs[run], pairs[run - 1])) run++;
      pairs.splice(0, run, ...pairs.slice(0, run).reverse());
    } else {
      while (run < n && !less(pairs[run], pairs[run - 1])) run++;
    }
    for (let start = run; start < n; start++) {
      const pivot = pairs[start];
      let low = 0;
      let high = start;
      while (low < high) {
        const middle = low + ((high - low) >> 1);
        if (less(pivot, pairs[middle])) high = middle;
        else low = middle + 1;
      }
      pairs.splice(start, 1);
      pairs.splice(low, 0, pivot);
    }
  }
  if (reverse) pairs.reverse();
  return pairs.map((pair) => pair.value);
}

/** Python's min()/max() with a key: the first extreme item wins. */
function pyExtreme(values: PyValue[], key: (value: PyValue) => PyValue, op: '<' | '>'): PyValue {
  let best = values[0];
  let bestKey = key(best);
  for (let i = 1; i < values.length; i++) {
    const itemKey = key(values[i]);
    if (pyRichCompare(itemKey, bestKey, op)) {
      best = values[i];
      bestKey = itemKey;
    }
  }
  return best;
}

/** Raises Python's TypeError for values a set or dict cannot hold. */
export function requireHashable(value: PyValue): void {
  if (isList(value) || value instanceof PyDict) throw typeError(`unhashable type: '${typeName(value)}'`);
  if (isTuple(value)) value.forEach(requireHashable);
  if (value instanceof Undefined && value.mode === 'strict') throw undefinedError(value);
}

/** Python's `a == b` as a set sees it: equal values of one hash (1, 1.0, True are one). */
function sameSetMember(a: PyValue, b: PyValue): boolean {
  if (a instanceof Undefined || b instanceof Undefined) {
    return a instanceof Undefined && b instanceof Undefined && a.mode === b.mode;
  }
  return a === b || pyEquals(a, b);
}

// ---------------------------------------------------------------------------------------------
// Attribute getters (make_attrgetter / make_multi_attrgetter)

/** Jinja's _prepare_attribute_parts: "a.0.b" -> ['a', 0, 'b']. */
function attributeParts(attribute: PyValue): PyValue[] {
  if (attribute === null) return [];
  const text = stringOf(attribute);
  if (text !== undefined) return text.split('.').map((part) => (/^[0-9]+$/.test(part) ? Number(part) : part));
  return [attribute];
}

/** Lower-cases str values (Jinja's ignore_case postprocessor). */
function ignoreCase(value: PyValue): PyValue {
  if (typeof value === 'string') return value.toLowerCase();
  if (value instanceof Markup) return new Markup(value.text.toLowerCase());
  return value;
}

function makeAttrGetter(
  ctx: RuntimeContext,
  attribute: PyValue,
  postprocess?: (value: PyValue) => PyValue,
  fallback: PyValue = null,
): (item: PyValue) => PyValue {
  const parts = attributeParts(attribute);
  return (item) => {
    for (const part of parts) {
      item = ctx.getitem(item, part);
      if (fallback !== null && item instanceof Undefined) item = fallback;
    }
    return postprocess ? postprocess(item) : item;
  };
}

/** make_multi_attrgetter: "age,name" -> [item.age, item.name]; no attribute -> [item]. */
function makeMultiAttrGetter(ctx: RuntimeContext, attribute: PyValue, postprocess?: (value: PyValue) => PyValue): (item: PyValue) => PyValue {
  const text = stringOf(attribute);
  const paths = (text !== undefined ? text.split(',') : [attribute]).map(attributeParts);
  return (item) =>
    paths.map((parts) => {
      let value = item;
      for (const part of parts) value = ctx.getitem(value, part);
      return postprocess ? postprocess(value) : value;
    });
}

// ---------------------------------------------------------------------------------------------
// Iteration helpers

/** Python's iter(value) as a lazy JS iterator (PyIterators are consumed one item at a time). */
function* iterateLazily(value: PyValue): Generator<PyValue> {
  if (value instanceof PyIterator) {
    for (let step = value.next(); !step.done; step = value.next()) yield step.value;
    return;
  }
  yield* pyIterate(value);
}

function dictItems(value: PyDict): PyTuple[] {
  return Array.from(value, ([key, item]) => tuple([key, item]));
}

/** value.items() as Jinja code calls it on a value that may be no dict. */
function itemsOf(value: PyValue): PyTuple[] {
  if (value instanceof PyDict) return dictItems(value);
  if (value instanceof Undefined) throw undefinedError(value);
  throw new PyError('AttributeError', `'${typeName(value)}' object has no attribute 'items'`);
}

// ---------------------------------------------------------------------------------------------
// Filter definitions

/** A filter with a fixed Python signature; `pyName` is the function name Python's TypeErrors show. */
function define(pyName: string, params: ParameterSpec[], run: (ctx: RuntimeContext, value: PyValue, bound: PyValue[]) => PyValue): FilterFunction {
  return (ctx, value, args, kwargs) => run(ctx, value, bindArguments(pyName, params, args, kwargs));
}

function required(name: string): ParameterSpec {
  return { name };
}

function optional(name: string, value: PyValue): ParameterSpec {
  return { name, default: value };
}

/** environment.undefined(hint): DebugUndefined prints such a value as "undefined value printed: hint". */
function undefinedWithHint(ctx: RuntimeContext, hint: string): Undefined {
  return ctx.makeUndefined(hint, `undefined value printed: ${hint}`);
}

function filterArgumentError(message: string): PyError {
  return new PyError('FilterArgumentError', message);
}

const doAbs = define('abs', [], (_ctx, value) => {
  if (value instanceof PyFloat) return new PyFloat(Math.abs(value.value));
  if (typeof value === 'number' || typeof value === 'boolean') return Math.abs(numberOf(value));
  throw typeError(`bad operand type for abs(): '${typeName(value)}'`);
});

const doAttr = define('do_attr', [required('name')], (ctx, value, [name]) => {
  const attributeName = stringOf(name);
  if (attributeName === undefined) throw typeError(`attribute name must be string, not '${typeName(name)}'`);
  const found = value instanceof GroupTuple ? value.attribute(attributeName) : pythonAttribute(value, attributeName);
  if (found !== undefined) return found;
  const objectText = objectTypeRepr(value);
  return ctx.makeUndefined(`${stringRepr(objectText)} has no attribute ${stringRepr(attributeName)}`, `no such element: ${objectText}[${stringRepr(attributeName)}]`);
});

const doBatch = define('do_batch', [required('linecount'), optional('fill_with', null)], (_ctx, value, [linecount, fillWith]) => {
  function* batches(): Generator<PyValue> {
    let current: PyValue[] = [];
    for (const item of iterateLazily(value)) {
      if (pyEquals(current.length, linecount)) {
        yield current;
        current = [];
      }
      current.push(item);
    }
    if (current.length > 0) {
      if (fillWith !== null && pyRichCompare(current.length, linecount, '<')) {
        const missing = binaryOp('-', linecount, current.length);
        current = [...current, ...(binaryOp('*', [fillWith], missing) as PyValue[])];
      }
      yield current;
    }
  }
  return new PyIterator('generator', 'do_batch', batches());
});

const doCapitalize = define('do_capitalize', [], (_ctx, value) => sameKind(value, capitalizeText(softText(value))));

const doCenter = define('do_center', [optional('width', 80)], (_ctx, value, [width]) => sameKind(value, centerText(softText(value), indexArgument(width))));

const doDefault = define('do_default', [optional('default_value', ''), optional('boolean', false)], (_ctx, value, [fallback, boolean]) => {
  if (value instanceof Undefined || (pyTruthy(boolean) && !pyTruthy(value))) return fallback;
  return value;
});

const doDictsort = define(
  'do_dictsort',
  [optional('case_sensitive', false), optional('by', 'key'), optional('reverse', false)],
  (_ctx, value, [caseSensitive, by, reverse]) => {
    let position: number;
    if (pyEquals(by, 'key')) position = 0;
    else if (pyEquals(by, 'value')) position = 1;
    else throw filterArgumentError('You can only sort by either "key" or "value"');
    const sensitive = pyTruthy(caseSensitive);
    return pySorted(
      itemsOf(value),
      (item) => {
        const part = (item as PyTuple)[position];
        return sensitive ? part : ignoreCase(part);
      },
      pyTruthy(reverse),
    );
  },
);

const doEscape = define('escape', [], (_ctx, value) => escapeValue(value));

const doFilesizeformat = define('do_filesizeformat', [optional('binary', false)], (_ctx, value, [binary]) => {
  const bytes = toFloat(value);
  const isBinary = pyTruthy(binary);
  const base = isBinary ? 1024 : 1000;
  const prefixes = isBinary ? ['KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB'] : ['kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];
  if (bytes === 1) return '1 Byte';
  if (bytes < base) return `${floatToInt(bytes)} Bytes`;
  let unit = 0;
  let prefix = '';
  for (let i = 0; i < prefixes.length; i++) {
    // base ** (i + 2) is an exact Python int; Number() rounds it as Python's float division does.
    unit = Number(BigInt(base) ** BigInt(i + 2));
    prefix = prefixes[i];
    if (bytes < unit) break;
  }
  return `${formatFixed((base * bytes) / unit, 1)} ${prefix}`;
});

const doFirst = define('do_first', [], (ctx, value) => {
  if (value instanceof PyIterator) {
    const step = value.next();
    return step.done ? undefinedWithHint(ctx, 'No first item, sequence was empty.') : step.value;
  }
  const items = pyIterate(value);
  return items.length > 0 ? items[0] : undefinedWithHint(ctx, 'No first item, sequence was empty.');
});

const doFloat = define('do_float', [optional('default', new PyFloat(0))], (_ctx, value, [fallback]) => {
  try {
    return new PyFloat(toFloat(value));
  } catch (error) {
    if (isPyError(error, 'TypeError', 'ValueError')) return fallback;
    throw error;
  }
});

const doForceescape = define('do_forceescape', [], (_ctx, value) => new Markup(escapeHtml(pyStr(value))));

const doFormat: FilterFunction = (_ctx, value, args, kwargs) => {
  if (args.length > 0 && kwargs.size > 0) throw filterArgumentError("can't handle positional and keyword arguments at the same time");
  const operand = kwargs.size > 0 ? PyDict.of(kwargs) : tuple(args);
  if (value instanceof Markup) return markupPercentFormat(value, operand);
  return percentFormat(softText(value), operand);
};

const doGroupby = define(
  'do_groupby',
  [required('attribute'), optional('default', null), optional('case_sensitive', false)],
  (ctx, value, [attribute, fallback, caseSensitive]) => {
    const sensitive = pyTruthy(caseSensitive);
    const keyOf = makeAttrGetter(ctx, attribute, sensitive ? undefined : ignoreCase, fallback);
    const sorted = pySorted(pyIterate(value), keyOf, false);
    const groups: { key: PyValue; items: PyValue[] }[] = [];
    for (const item of sorted) {
      const key = keyOf(item);
      const last = groups[groups.length - 1];
      if (last && pyEquals(last.key, key)) last.items.push(item);
      else groups.push({ key, items: [item] });
    }
    // Case-insensitive groups show the key as the group's first item spells it.
    const shownKeyOf = sensitive ? undefined : makeAttrGetter(ctx, attribute, undefined, fallback);
    return groups.map((group) => groupTuple(shownKeyOf ? shownKeyOf(group.items[0]) : group.key, group.items));
  },
);

const doIndent = define('do_indent', [optional('width', 4), optional('first', false), optional('blank', false)], (_ctx, value, [width, first, blank]) => {
  let indention: string | Markup;
  const widthText = stringOf(width);
  if (width instanceof Markup) indention = width;
  else if (widthText !== undefined) indention = widthText;
  else if (width instanceof Undefined) throw undefinedError(width);
  else if (width instanceof PyFloat || !isNumber(width)) throw typeError(`can't multiply sequence by non-int of type '${typeName(width)}'`);
  else indention = ' '.repeat(Math.max(0, numberOf(width)));
  let newline: string | Markup = '\n';
  if (value instanceof Markup) {
    indention = new Markup(stringOf(indention)!);
    newline = new Markup('\n');
  }
  const text = stringOf(value);
  if (text === undefined) {
    if (value instanceof Undefined) throw undefinedError(value);
    if (isList(value)) throw new PyError('AttributeError', "'list' object has no attribute 'splitlines'");
    throw typeError(`unsupported operand type(s) for +=: '${typeName(value)}' and 'str'`);
  }
  // Jinja appends a newline first so that splitlines keeps a trailing empty line.
  const lines = splitLines(text + '\n').map((line) => sameKind(value, line));
  let result: string | Markup;
  if (pyTruthy(blank)) {
    result = joinText(concatText(newline, indention), lines);
  } else {
    result = lines[0];
    const rest = lines.slice(1);
    if (rest.length > 0) {
      const indented = rest.map((line) => (stringOf(line) ? concatText(indention, line) : line));
      result = concatText(result, concatText(newline, joinText(newline, indented)));
    }
  }
  if (pyTruthy(first)) result = concatText(indention, result);
  return result;
});

const doInt = define('do_int', [optional('default', 0), optional('base', 10)], (_ctx, value, [fallback, base]) => {
  const text = stringOf(value);
  if (text !== undefined) {
    if (typeof base === 'number' || typeof base === 'boolean') {
      const radix = numberOf(base);
      if (radix === 0 || (radix >= 2 && radix <= 36)) {
        const parsed = parseIntLiteral(text, radix);
        if (parsed !== undefined) return parsed;
      }
    }
    // "42.23"|int is 42: Jinja retries through float().
    const asFloat = parseFloatLiteral(text);
    if (asFloat === undefined || Number.isNaN(asFloat)) return fallback;
    return floatToInt(asFloat);
  }
  if (typeof value === 'number' || typeof value === 'boolean') return numberOf(value);
  if (value instanceof PyFloat) {
    if (Number.isNaN(value.value)) return fallback;
    return floatToInt(value.value);
  }
  if (value instanceof Undefined) throw undefinedError(value);
  return fallback;
});

const doItems = define('do_items', [], (_ctx, value) => {
  function* items(): Generator<PyValue> {
    if (value instanceof Undefined) return;
    if (!(value instanceof PyDict)) throw typeError('Can only get item pairs from a mapping.');
    yield* dictItems(value);
  }
  return new PyIterator('generator', 'do_items', items());
});

const doJoin = define('sync_do_join', [optional('d', ''), optional('attribute', null)], (ctx, value, [separator, attribute]) => {
  let items = pyIterate(value);
  if (attribute !== null) items = items.map(makeAttrGetter(ctx, attribute));
  if (!settingsOf(ctx).autoescape) return items.map(pyStr).join(pyStr(separator));
  // With autoescape, Markup anywhere makes the result Markup and escapes the plain parts.
  if (separator instanceof Markup || items.some(hasHtml)) {
    const markupSeparator = separator instanceof Markup ? separator : escapeValue(separator);
    return new Markup(items.map((item) => (hasHtml(item) ? escapeValue(item).text : escapeHtml(pyStr(item)))).join(markupSeparator.text));
  }
  return items.map(pyStr).join(pyStr(separator));
});

const doLast = define('do_last', [], (ctx, value) => {
  const items = reversibleItems(value);
  if (items.length === 0) return undefinedWithHint(ctx, 'No last item, sequence was empty.');
  // reversed() indexes the sequence, and Markup's __getitem__ returns Markup.
  return value instanceof Markup ? new Markup(items[items.length - 1] as string) : items[items.length - 1];
});

/** The items reversed() accepts: sequences and dicts (and Undefined, an empty sequence). */
function reversibleItems(value: PyValue): PyValue[] {
  if (stringOf(value) !== undefined || Array.isArray(value) || value instanceof PyDict || value instanceof Undefined) return pyIterate(value);
  throw typeError(`'${typeName(value)}' object is not reversible`);
}

const doLength = define('len', [], (_ctx, value) => pyLen(value));

const doList = define('sync_do_list', [], (_ctx, value) => [...pyIterate(value)]);

const doLower = define('do_lower', [], (_ctx, value) => sameKind(value, softText(value).toLowerCase()));

const doUpper = define('do_upper', [], (_ctx, value) => sameKind(value, softText(value).toUpperCase()));

const doMap: FilterFunction = (ctx, value, args, kwargs) => {
  function* mapped(): Generator<PyValue> {
    if (!pyTruthy(value)) return;
    let apply: (item: PyValue) => PyValue;
    if (args.length === 0 && kwargs.has('attribute')) {
      const rest = new Map(kwargs);
      const attribute = rest.get('attribute')!;
      rest.delete('attribute');
      const fallback = rest.has('default') ? rest.get('default')! : null;
      rest.delete('default');
      if (rest.size > 0) throw filterArgumentError(`Unexpected keyword argument ${stringRepr(rest.keys().next().value as string)}`);
      apply = makeAttrGetter(ctx, attribute, undefined, fallback);
    } else {
      if (args.length === 0) throw filterArgumentError('map requires a filter argument');
      const [name, ...rest] = args;
      apply = (item) => ctx.callFilter(callableName(name, 'filter'), item, rest, kwargs);
    }
    for (const item of iterateLazily(value)) yield apply(item);
  }
  return new PyIterator('generator', 'sync_do_map', mapped());
};

/** The name of a filter/test given as an argument; Jinja's message when it is not a known name. */
function callableName(name: PyValue, kind: 'filter' | 'test'): string {
  if (typeof name === 'string') return name;
  if (name instanceof Markup) return name.text;
  let message = `No ${kind} named ${name instanceof Undefined ? 'Undefined' : pyRepr(name)}.`;
  if (name instanceof Undefined) message += ` (${name.hint}; did you forget to quote the callable name?)`;
  throw new PyError('TemplateRuntimeError', message);
}

function minOrMax(op: '<' | '>'): FilterFunction {
  return define(op === '<' ? 'do_min' : 'do_max', [optional('case_sensitive', false), optional('attribute', null)], (ctx, value, [caseSensitive, attribute]) => {
    const items = pyIterate(value);
    if (items.length === 0) return undefinedWithHint(ctx, 'No aggregated item, sequence was empty.');
    return pyExtreme(items, makeAttrGetter(ctx, attribute, pyTruthy(caseSensitive) ? undefined : ignoreCase), op);
  });
}

const doRandom = define('do_random', [], (ctx, value) => {
  const items = stringOf(value) !== undefined || Array.isArray(value) || value instanceof Undefined ? pyIterate(value) : undefined;
  if (!items) throw typeError(`object of type '${typeName(value)}' has no len()`);
  if (items.length === 0) return undefinedWithHint(ctx, 'No random item, sequence was empty.');
  return items[Math.floor(Math.random() * items.length)];
});

/** select/reject/selectattr/rejectattr (Jinja's select_or_reject). */
function selectOrReject(keep: boolean, lookupAttribute: boolean): FilterFunction {
  return (ctx, value, args, kwargs) => {
    function* selected(): Generator<PyValue> {
      if (!pyTruthy(value)) return;
      let transform = (item: PyValue): PyValue => item;
      let offset = 0;
      if (lookupAttribute) {
        if (args.length === 0) throw filterArgumentError('Missing parameter for attribute name');
        transform = makeAttrGetter(ctx, args[0]);
        offset = 1;
      }
      let test: (item: PyValue) => boolean = pyTruthy;
      if (args.length > offset) {
        const name = args[offset];
        const rest = args.slice(offset + 1);
        test = (item) => pyTruthy(ctx.callTest(callableName(name, 'test'), item, rest, kwargs));
      }
      for (const item of iterateLazily(value)) {
        if (test(transform(item)) === keep) yield item;
      }
    }
    return new PyIterator('generator', 'select_or_reject', selected());
  };
}

const doPprint = define('do_pprint', [], (_ctx, value) => prettyFormat(value));

const doReplace = define('do_replace', [required('old'), required('new'), optional('count', null)], (ctx, value, [old, replacement, count]) => {
  const limit = count === null ? -1 : indexArgument(count);
  if (!settingsOf(ctx).autoescape) return replaceText(pyStr(value), pyStr(old), pyStr(replacement), limit);
  // With autoescape (Jinja's precedence: old has html, or new has and the value has not), the
  // value is escaped first; Markup.replace then escapes plain arguments.
  const escapeFirst = hasHtml(old) || (hasHtml(replacement) && !hasHtml(value));
  const subject = escapeFirst ? escapeValue(value) : softStr(value);
  if (subject instanceof Markup) return new Markup(replaceText(subject.text, markupText(softStr(old)), markupText(softStr(replacement)), limit));
  return replaceText(subject, softText(old), softText(replacement), limit);
});

const doReverse = define('do_reverse', [], (_ctx, value) => {
  const text = stringOf(value);
  if (text !== undefined) return sameKind(value, Array.from(text).reverse().join(''));
  const iteratorType = isList(value) ? 'list_reverseiterator' : value instanceof PyDict ? 'dict_reversekeyiterator' : isTuple(value) || value instanceof Undefined ? 'reversed' : undefined;
  if (iteratorType) {
    const items = pyIterate(value).slice().reverse();
    return new PyIterator(iteratorType, undefined, items[Symbol.iterator]());
  }
  try {
    return pyIterate(value).slice().reverse();
  } catch (error) {
    if (isPyError(error, 'TypeError')) throw filterArgumentError('argument must be iterable');
    throw error;
  }
});

const doRound = define('do_round', [optional('precision', 0), optional('method', 'common')], (_ctx, value, [precision, method]) => {
  const methodName = stringOf(method);
  if (methodName !== 'common' && methodName !== 'ceil' && methodName !== 'floor') throw filterArgumentError('method must be common, ceil or floor');
  if (methodName === 'common') {
    if (!isNumber(value)) throw typeError(`type ${typeName(value)} doesn't define __round__ method`);
    // round(x, None) is round(x): an int.
    if (precision === null) return value instanceof PyFloat ? floatToInt(roundFloat(value.value, 0)) : numberOf(value);
    const places = indexArgument(precision);
    if (value instanceof PyFloat) return new PyFloat(roundFloat(value.value, places));
    return roundInt(numberOf(value), places);
  }
  // math.ceil/floor(value * 10**precision) / 10**precision: always a float.
  const factor = binaryOp('**', 10, precision);
  const scaled = binaryOp('*', value, factor);
  if (!isNumber(scaled)) throw typeError(`must be real number, not ${typeName(scaled)}`);
  // math.ceil/floor return ints, which have no negative zero.
  const rounded = (methodName === 'ceil' ? Math.ceil(numberOf(scaled)) : Math.floor(numberOf(scaled))) + 0;
  if (!Number.isFinite(rounded)) {
    throw Number.isNaN(rounded) ? new PyError('ValueError', 'cannot convert float NaN to integer') : new PyError('OverflowError', 'cannot convert float infinity to integer');
  }
  return binaryOp('/', rounded, factor);
});

const doSafe = define('do_mark_safe', [], (_ctx, value) => (value instanceof Markup ? value : new Markup(hasHtml(value) ? '' : pyStr(value))));

const doSlice = define('sync_do_slice', [required('slices'), optional('fill_with', null)], (_ctx, value, [slices, fillWith]) => {
  function* sliced(): Generator<PyValue> {
    const items = pyIterate(value).slice();
    const count = slices;
    if (!isNumber(count) || count instanceof PyFloat) {
      binaryOp('//', items.length, count); // raises Python's TypeError for the operand types
      throw typeError(`'${typeName(count)}' object cannot be interpreted as an integer`);
    }
    const perSlice = binaryOp('//', items.length, count) as number;
    const withExtra = binaryOp('%', items.length, count) as number;
    let offset = 0;
    const total = numberOf(count);
    for (let index = 0; index < total; index++) {
      const start = offset + index * perSlice;
      if (index < withExtra) offset += 1;
      const end = offset + (index + 1) * perSlice;
      const part = items.slice(start, end);
      if (fillWith !== null && index >= withExtra) part.push(fillWith);
      yield part;
    }
  }
  return new PyIterator('generator', 'sync_do_slice', sliced());
});

const doSort = define('do_sort', [optional('reverse', false), optional('case_sensitive', false), optional('attribute', null)], (ctx, value, [reverse, caseSensitive, attribute]) => {
  const key = makeMultiAttrGetter(ctx, attribute, pyTruthy(caseSensitive) ? undefined : ignoreCase);
  return pySorted(pyIterate(value), key, pyTruthy(reverse));
});

const doString = define('soft_str', [], (_ctx, value) => (value instanceof Markup ? value : softText(value)));

const doStriptags = define('do_striptags', [], (_ctx, value) => {
  let text = pyStr(value);
  text = text.replace(/<!--[\s\S]*?-->/g, '').replace(/<[\s\S]*?>/g, '');
  return unescapeHtml(splitWhitespace(text).join(' '));
});

const doSum = define('sync_do_sum', [optional('attribute', null), optional('start', 0)], (ctx, value, [attribute, start]) => {
  let items = pyIterate(value);
  if (attribute !== null) items = items.map(makeAttrGetter(ctx, attribute));
  if (stringOf(start) !== undefined) throw typeError("sum() can't sum strings [use ''.join(seq) instead]");
  let total = start;
  for (const item of items) total = binaryOp('+', total, item);
  return total;
});

// Jinja's _word_beginning_split_re: a word starts after '-', whitespace or an opening bracket.
const WORD_BEGINNING = new RegExp(`([-${SPACE_CLASS}({\\[<]+)`, 'u');

const doTitle = define('do_title', [], (_ctx, value) => {
  const parts = softText(value).split(WORD_BEGINNING);
  return parts
    .filter((part) => part !== '')
    .map((part) => {
      const [head, ...tail] = Array.from(part);
      return head.toUpperCase() + tail.join('').toLowerCase();
    })
    .join('');
});

const doTojson = define('do_tojson', [optional('indent', null)], (_ctx, value, [indent]) => {
  let indentText: string | null = null;
  if (indent !== null) {
    const text = stringOf(indent);
    if (text !== undefined) indentText = text;
    else if (typeof indent === 'number' || typeof indent === 'boolean') indentText = ' '.repeat(Math.max(0, numberOf(indent)));
    else throw typeError(`can't multiply sequence by non-int of type '${typeName(indent)}'`);
  }
  const json = jsonDumps(value, indentText);
  return new Markup(json.replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026').replace(/'/g, '\\u0027'));
});

const doTrim = define('do_trim', [optional('chars', null)], (_ctx, value, [chars]) => {
  let charsText: string | undefined;
  if (chars !== null) {
    charsText = stringOf(chars);
    if (charsText === undefined) throw typeError('strip arg must be None or str');
    // Markup.strip escapes its argument like every Markup method.
    if (value instanceof Markup && !(chars instanceof Markup)) charsText = escapeHtml(charsText);
  }
  return sameKind(value, stripText(softText(value), charsText));
});

function assertionError(message: string): PyError {
  return new PyError('AssertionError', message);
}

const doTruncate = define(
  'do_truncate',
  [optional('length', 255), optional('killwords', false), optional('end', '...'), optional('leeway', null)],
  (_ctx, value, [length, killwords, end, leeway]) => {
    // Jinja's default policy truncate.leeway is 5.
    const slack = leeway === null ? 5 : leeway;
    const endLength = pyLen(end);
    if (!pyRichCompare(length, endLength, '>=')) throw assertionError(`expected length >= ${endLength}, got ${pyStr(length)}`);
    if (!pyRichCompare(slack, 0, '>=')) throw assertionError(`expected leeway >= 0, got ${pyStr(slack)}`);
    if (pyRichCompare(pyLen(value), binaryOp('+', length, slack), '<=')) return value;
    const text = stringOf(value);
    const endText = stringOf(end);
    if (text === undefined || endText === undefined) {
      if (pyTruthy(killwords)) throw typeError(`can only concatenate ${typeName(value)} (not "${typeName(end)}") to ${typeName(value)}`);
      throw new PyError('AttributeError', `'${typeName(value)}' object has no attribute 'rsplit'`);
    }
    const keep = indexArgument(binaryOp('-', length, endLength));
    let head = sliceCodePoints(text, 0, Math.max(0, keep));
    if (!pyTruthy(killwords)) {
      const space = head.lastIndexOf(' ');
      if (space >= 0) head = head.slice(0, space);
    }
    return concatText(sameKind(value, head), end as string | Markup);
  },
);

const doUnique = define('do_unique', [optional('case_sensitive', false), optional('attribute', null)], (ctx, value, [caseSensitive, attribute]) => {
  const keyOf = makeAttrGetter(ctx, attribute, pyTruthy(caseSensitive) ? undefined : ignoreCase);
  function* unique(): Generator<PyValue> {
    const seen: PyValue[] = [];
    for (const item of iterateLazily(value)) {
      const key = keyOf(item);
      requireHashable(key);
      if (!seen.some((known) => sameSetMember(known, key))) {
        seen.push(key);
        yield item;
      }
    }
  }
  return new PyIterator('generator', 'do_unique', unique());
});

const doUrlencode = define('do_urlencode', [], (_ctx, value) => {
  if (stringOf(value) !== undefined || !isIterable(value)) return urlQuote(value, false);
  const pairs = value instanceof PyDict ? dictItems(value) : pyIterate(value);
  return pairs
    .map((pair) => {
      const [key, item] = unpackPair(pair);
      return `${urlQuote(key, true)}=${urlQuote(item, true)}`;
    })
    .join('&');
});

function isIterable(value: PyValue): boolean {
  return stringOf(value) !== undefined || Array.isArray(value) || value instanceof PyDict || value instanceof Undefined || (value instanceof PyObject && 'iterate' in value);
}

/** Python's `k, v = pair` with its errors. */
function unpackPair(pair: PyValue): [PyValue, PyValue] {
  if (!isIterable(pair)) throw typeError(`cannot unpack non-iterable ${typeName(pair)} object`);
  const items = pyIterate(pair);
  if (items.length < 2) throw new PyError('ValueError', `not enough values to unpack (expected 2, got ${items.length})`);
  if (items.length > 2) throw new PyError('ValueError', 'too many values to unpack (expected 2)');
  return [items[0], items[1]];
}

const URL_SAFE = /[A-Za-z0-9_.\-~]/;

/** Jinja's url_quote: UTF-8, percent-encoding all but unreserved characters (and '/' outside queries). */
function urlQuote(value: PyValue, forQuery: boolean): string {
  const text = softText(value);
  let out = '';
  for (const byte of new TextEncoder().encode(text)) {
    const char = String.fromCharCode(byte);
    if (byte < 0x80 && (URL_SAFE.test(char) || (!forQuery && char === '/'))) out += char;
    else out += '%' + byte.toString(16).toUpperCase().padStart(2, '0');
  }
  return forQuery ? out.replace(/%20/g, '+') : out;
}

const doUrlize = define(
  'do_urlize',
  [optional('trim_url_limit', null), optional('nofollow', false), optional('target', null), optional('rel', null), optional('extra_schemes', null)],
  (ctx, value, [trimUrlLimit, nofollow, target, rel, extraSchemes]) => {
    const relParts = new Set(splitWhitespace(rel === null ? '' : softText(rel)));
    if (pyTruthy(nofollow)) relParts.add('nofollow');
    // Jinja's default policy urlize.rel is "noopener".
    relParts.add('noopener');
    const relText = Array.from(relParts).sort(compareCodePointText).join(' ');
    const schemes = extraSchemes === null ? [] : pyIterate(extraSchemes).map(softText);
    for (const scheme of schemes) {
      if (!URI_SCHEME.test(scheme)) throw filterArgumentError(`${stringRepr(scheme)} is not a valid URI scheme prefix.`);
    }
    const limit = trimUrlLimit === null ? undefined : trimUrlLimit;
    const result = urlize(value, limit, relText || null, target === null ? null : softText(target), extraSchemes === null ? undefined : schemes);
    return settingsOf(ctx).autoescape ? new Markup(result) : result;
  },
);

function compareCodePointText(a: string, b: string): number {
  return pyCompare(a, b);
}

const doWordcount = define('do_wordcount', [], (_ctx, value) => (softText(value).match(new RegExp(`[${WORD_CHAR}]+`, 'gu')) ?? []).length);

const doWordwrap = define(
  'do_wordwrap',
  [optional('width', 79), optional('break_long_words', true), optional('wrapstring', null), optional('break_on_hyphens', true)],
  (ctx, value, [width, breakLongWords, wrapstring, breakOnHyphens]) => {
    const separator = wrapstring === null ? settingsOf(ctx).newlineSequence ?? '\n' : softText(wrapstring);
    const text = stringOf(value);
    if (text === undefined) {
      if (value instanceof Undefined) throw undefinedError(value);
      throw new PyError('AttributeError', `'${typeName(value)}' object has no attribute 'splitlines'`);
    }
    return splitLines(text)
      .map((line) => wrapParagraph(line, width, pyTruthy(breakLongWords), breakOnHyphens).join(separator))
      .join(separator);
  },
);

const doXmlattr = define('do_xmlattr', [optional('autospace', true)], (ctx, value, [autospace]) => {
  const parts: string[] = [];
  for (const pair of itemsOf(value)) {
    const [key, item] = pair;
    if (item === null || item instanceof Undefined) continue;
    const keyText = stringOf(key);
    if (keyText === undefined) throw typeError(`expected string or bytes-like object, got '${typeName(key)}'`);
    if (/[ \t\n\r\f\v/>=]/.test(keyText)) throw new PyError('ValueError', `Invalid character in attribute name: ${pyRepr(key)}`);
    parts.push(`${escapeValue(key).text}="${escapeValue(item).text}"`);
  }
  let result = parts.join(' ');
  if (pyTruthy(autospace) && result) result = ' ' + result;
  return settingsOf(ctx).autoescape ? new Markup(result) : result;
});

function isPyError(error: unknown, ...types: PyErrorType[]): error is PyError {
  return error instanceof PyError && types.includes(error.pyType);
}

// ---------------------------------------------------------------------------------------------
// tojson: json.dumps(value, sort_keys=True, indent=indent) as Python writes it

function jsonDumps(value: PyValue, indent: string | null): string {
  const itemSeparator = indent === null ? ', ' : ',';
  const encode = (item: PyValue, level: number): string => {
    if (item === null) return 'null';
    if (item === true) return 'true';
    if (item === false) return 'false';
    if (typeof item === 'number') return pyStr(item);
    if (item instanceof PyFloat) return jsonFloat(item.value);
    const text = stringOf(item);
    if (text !== undefined) return jsonString(text);
    if (Array.isArray(item)) {
      if (item.length === 0) return '[]';
      return wrap('[', ']', item.map((element) => encode(element, level + 1)), level);
    }
    if (item instanceof PyDict) {
      if (item.size === 0) return '{}';
      const sorted = pySorted(dictItems(item), (pair) => pair, false) as PyTuple[];
      return wrap(
        '{',
        '}',
        sorted.map(([key, entry]) => `${jsonString(jsonKey(key))}: ${encode(entry, level + 1)}`),
        level,
      );
    }
    throw typeError(`Object of type ${typeName(item)} is not JSON serializable`);
  };
  const wrap = (open: string, close: string, parts: string[], level: number): string => {
    if (indent === null) return open + parts.join(itemSeparator) + close;
    const inner = '\n' + indent.repeat(level + 1);
    return open + inner + parts.join(itemSeparator + inner) + '\n' + indent.repeat(level) + close;
  };
  return encode(value, 0);
}

function jsonFloat(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return 'Infinity';
  if (value === -Infinity) return '-Infinity';
  return floatRepr(value);
}

function jsonKey(key: PyValue): string {
  const text = stringOf(key);
  if (text !== undefined) return text;
  if (key instanceof PyFloat) return jsonFloat(key.value);
  if (key === true) return 'true';
  if (key === false) return 'false';
  if (key === null) return 'null';
  if (typeof key === 'number') return pyStr(key);
  throw typeError(`keys must be str, int, float, bool or None, not ${typeName(key)}`);
}

const JSON_ESCAPES: Record<string, string> = { '"': '\\"', '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f' };

/** json's ensure_ascii string: everything outside printable ASCII as \uXXXX (UTF-16 units). */
function jsonString(text: string): string {
  let out = '"';
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    const code = text.charCodeAt(i);
    if (JSON_ESCAPES[char]) out += JSON_ESCAPES[char];
    else if (code < 0x20 || code > 0x7e) out += '\\u' + code.toString(16).padStart(4, '0');
    else out += char;
  }
  return out + '"';
}

// ---------------------------------------------------------------------------------------------
// striptags' html.unescape (the common entities; unknown names stay as written)

// Named references html.unescape knows; those marked with a trailing '*' also match without ';'.
const HTML_ENTITIES: Record<string, string> = {
  'amp*': '&',
  'lt*': '<',
  'gt*': '>',
  'quot*': '"',
  'AMP*': '&',
  'LT*': '<',
  'GT*': '>',
  'QUOT*': '"',
  apos: "'",
  'nbsp*': '\xa0',
  'copy*': '\xa9',
  'COPY*': '\xa9',
  'reg*': '\xae',
  'REG*': '\xae',
  'laquo*': '\xab',
  'raquo*': '\xbb',
  'middot*': '\xb7',
  'times*': '\xd7',
  'divide*': '\xf7',
  'deg*': '\xb0',
  'para*': '\xb6',
  'sect*': '\xa7',
  'shy*': '\xad',
  'plusmn*': '\xb1',
  'micro*': '\xb5',
  'cent*': '\xa2',
  'pound*': '\xa3',
  'yen*': '\xa5',
  'euro': '\u20ac',
  'hellip': '\u2026',
  'mdash': '\u2014',
  'ndash': '\u2013',
  'lsquo': '\u2018',
  'rsquo': '\u2019',
  'ldquo': '\u201c',
  'rdquo': '\u201d',
  'bull': '\u2022',
  'trade': '\u2122',
  'larr': '\u2190',
  'rarr': '\u2192',
};

const NAMED_WITH_SEMICOLON = new Map<string, string>();
const NAMED_WITHOUT_SEMICOLON = new Map<string, string>();
for (const [name, text] of Object.entries(HTML_ENTITIES)) {
  const bare = name.replace('*', '');
  NAMED_WITH_SEMICOLON.set(bare + ';', text);
  if (name.endsWith('*')) NAMED_WITHOUT_SEMICOLON.set(bare, text);
}

// html's _invalid_charrefs: numeric references HTML5 maps to other characters (Windows-1252).
const INVALID_CHARREFS: Record<number, string> = {
  0x00: '\ufffd', 0x0d: '\r', 0x80: '\u20ac', 0x81: '\x81', 0x82: '\u201a', 0x83: '\u0192', 0x84: '\u201e',
  0x85: '\u2026', 0x86: '\u2020', 0x87: '\u2021', 0x88: '\u02c6', 0x89: '\u2030', 0x8a: '\u0160', 0x8b: '\u2039',
  0x8c: '\u0152', 0x8d: '\x8d', 0x8e: '\u017d', 0x8f: '\x8f', 0x90: '\x90', 0x91: '\u2018', 0x92: '\u2019',
  0x93: '\u201c', 0x94: '\u201d', 0x95: '\u2022', 0x96: '\u2013', 0x97: '\u2014', 0x98: '\u02dc', 0x99: '\u2122',
  0x9a: '\u0161', 0x9b: '\u203a', 0x9c: '\u0153', 0x9d: '\x9d', 0x9e: '\u017e', 0x9f: '\u0178',
};

function isInvalidCodePoint(code: number): boolean {
  return (
    (code >= 0x1 && code <= 0x8) ||
    code === 0xb ||
    (code >= 0xe && code <= 0x1f) ||
    (code >= 0x7f && code <= 0x9f) ||
    (code >= 0xfdd0 && code <= 0xfdef) ||
    (code & 0xfffe) === 0xfffe
  );
}

/** Python's html.unescape for numeric references and common named ones. */
function unescapeHtml(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(/&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)/g, (whole, reference: string) => {
    if (reference.startsWith('#')) {
      const hex = reference[1] === 'x' || reference[1] === 'X';
      const code = parseInt(reference.slice(hex ? 2 : 1).replace(';', ''), hex ? 16 : 10);
      if (code in INVALID_CHARREFS) return INVALID_CHARREFS[code];
      if ((code >= 0xd800 && code <= 0xdfff) || code > 0x10ffff) return '\ufffd';
      if (isInvalidCodePoint(code)) return '';
      return String.fromCodePoint(code);
    }
    const exact = NAMED_WITH_SEMICOLON.get(reference) ?? NAMED_WITHOUT_SEMICOLON.get(reference);
    if (exact !== undefined) return exact;
    // The longest known name without ';' at the start of the reference wins.
    for (let length = reference.length - 1; length > 1; length--) {
      const known = NAMED_WITHOUT_SEMICOLON.get(reference.slice(0, length));
      if (known !== undefined) return known + reference.slice(length);
    }
    return whole;
  });
}

// ---------------------------------------------------------------------------------------------
// wordwrap: textwrap.wrap(expand_tabs=False, replace_whitespace=False) of one paragraph

const WRAP_SPACE = '[\\t\\n\\x0b\\x0c\\r ]';
const WRAP_NON_SPACE = '[^\\t\\n\\x0b\\x0c\\r ]';
const WRAP_WORD_PUNCT = `[${WORD_CHAR}!"'&.,?]`;
const WRAP_LETTER = '[\\p{L}\\p{Nl}\\p{No}_]';
// textwrap's wordsep_re: whitespace runs, em-dashes, and words split after hyphens between letters.
const WORD_SEPARATOR = new RegExp(
  `(${WRAP_SPACE}+` +
    `|(?<=${WRAP_WORD_PUNCT})-{2,}(?=[${WORD_CHAR}])` +
    `|${WRAP_NON_SPACE}+?(?:-(?:(?<=${WRAP_LETTER}{2}-)|(?<=${WRAP_LETTER}-${WRAP_LETTER}-))(?=${WRAP_LETTER}-?${WRAP_LETTER})` +
    `|(?=${WRAP_SPACE}|$)` +
    `|(?<=${WRAP_WORD_PUNCT})(?=-{2,}[${WORD_CHAR}])))`,
  'u',
);
const SIMPLE_WORD_SEPARATOR = new RegExp(`(${WRAP_SPACE}+)`, 'u');

function wrapParagraph(text: string, widthValue: PyValue, breakLongWords: boolean, breakOnHyphens: PyValue): string[] {
  // textwrap compares `break_on_hyphens is True`: only the real True splits at hyphens.
  const chunks = text.split(breakOnHyphens === true ? WORD_SEPARATOR : SIMPLE_WORD_SEPARATOR).filter((chunk) => chunk !== '');
  if (!pyRichCompare(widthValue, 0, '>')) throw new PyError('ValueError', `invalid width ${pyRepr(widthValue)} (must be > 0)`);
  const width = numberOf(widthValue as number);
  const length = codePointLength;
  const isBlank = (chunk: string): boolean => stripText(chunk) === '';
  const lines: string[] = [];
  chunks.reverse();
  while (chunks.length > 0) {
    const line: string[] = [];
    let lineLength = 0;
    if (isBlank(chunks[chunks.length - 1]) && lines.length > 0) chunks.pop();
    while (chunks.length > 0) {
      const size = length(chunks[chunks.length - 1]);
      if (lineLength + size > width) break;
      line.push(chunks.pop()!);
      lineLength += size;
    }
    if (chunks.length > 0 && length(chunks[chunks.length - 1]) > width) {
      const spaceLeft = width < 1 ? 1 : width - lineLength;
      if (breakLongWords) {
        let end = spaceLeft;
        const chunk = Array.from(chunks[chunks.length - 1]);
        if (pyTruthy(breakOnHyphens) && chunk.length > spaceLeft) {
          const hyphen = chunk.slice(0, Math.max(0, spaceLeft)).lastIndexOf('-');
          if (hyphen > 0 && chunk.slice(0, hyphen).some((char) => char !== '-')) end = hyphen + 1;
        }
        line.push(chunk.slice(0, Math.max(0, end)).join(''));
        chunks[chunks.length - 1] = chunk.slice(Math.max(0, end)).join('');
      } else if (line.length === 0) {
        line.push(chunks.pop()!);
      }
      lineLength = line.reduce((sum, part) => sum + length(part), 0);
    }
    if (line.length > 0 && isBlank(line[line.length - 1])) {
      lineLength -= length(line[line.length - 1]);
      line.pop();
    }
    if (line.length > 0) lines.push(line.join(''));
  }
  return lines;
}

// ---------------------------------------------------------------------------------------------
// urlize (jinja2.utils.urlize)

const NON_SPACE = `[^${SPACE_CLASS}]`;
const HTTP_URL = new RegExp(
  '^(' +
    `(https?://|www\\.)(([${WORD_CHAR}%-]+\\.)+)?([a-z]{2,63}|xn--[${WORD_CHAR}%]{2,59})` +
    `|([${WORD_CHAR}%-]{2,63}\\.)+(com|net|int|edu|gov|org|info|mil)` +
    '|(https?://)((([\\p{Nd}]{1,3})(\\.[\\p{Nd}]{1,3}){3})|(\\[([\\p{Nd}a-f]{0,4}:){2}([\\p{Nd}a-f]{0,4}:?){1,6}\\]))' +
    `)(?::[\\p{Nd}]{1,5})?(?:[/?#]${NON_SPACE}*)?$`,
  'iu',
);
const EMAIL = new RegExp(`^${NON_SPACE}+@[${WORD_CHAR}][${WORD_CHAR}.-]*\\.[${WORD_CHAR}]+$`, 'u');
const URI_SCHEME = new RegExp(`^([${WORD_CHAR}.+-]{2,}:(/){0,2})$`, 'u');

function countOccurrences(text: string, part: string): number {
  return text.split(part).length - 1;
}

function urlize(value: PyValue, trimUrlLimit: PyValue | undefined, rel: string | null, target: string | null, extraSchemes: string[] | undefined): string {
  const trimUrl = (url: string): string => {
    if (trimUrlLimit === undefined) return url;
    const limit = indexArgument(trimUrlLimit);
    return codePointLength(url) > limit ? `${sliceCodePoints(url, 0, Math.max(0, limit))}...` : url;
  };
  const words = escapeValue(value).text.split(SPACE_RUN_CAPTURED);
  const relAttribute = rel ? ` rel="${escapeHtml(rel)}"` : '';
  const targetAttribute = target ? ` target="${escapeHtml(target)}"` : '';
  return words
    .map((word) => {
      let head = '';
      let middle = word;
      let tail = '';
      const lead = /^([(<]|&lt;)+/.exec(middle);
      if (lead) {
        head = lead[0];
        middle = middle.slice(head.length);
      }
      if ([')', '>', '.', ',', '\n', '&gt;'].some((end) => middle.endsWith(end))) {
        const trail = /([)>.,\n]|&gt;)+$/.exec(middle);
        if (trail) {
          tail = trail[0];
          middle = middle.slice(0, trail.index);
        }
      }
      // Prefer balanced parentheses inside the URL to a trailing character outside it.
      for (const [open, close] of [['(', ')'], ['<', '>'], ['&lt;', '&gt;']]) {
        const opened = countOccurrences(middle, open);
        if (opened <= countOccurrences(middle, close)) continue;
        const moves = Math.min(opened, countOccurrences(tail, close));
        for (let i = 0; i < moves; i++) {
          const endIndex = tail.indexOf(close) + close.length;
          middle += tail.slice(0, endIndex);
          tail = tail.slice(endIndex);
        }
      }
      if (HTTP_URL.test(middle)) {
        if (middle.startsWith('https://') || middle.startsWith('http://')) {
          middle = `<a href="${middle}"${relAttribute}${targetAttribute}>${trimUrl(middle)}</a>`;
        } else {
          middle = `<a href="https://${middle}"${relAttribute}${targetAttribute}>${trimUrl(middle)}</a>`;
        }
      } else if (middle.startsWith('mailto:') && EMAIL.test(middle.slice(7))) {
        middle = `<a href="${middle}">${middle.slice(7)}</a>`;
      } else if (middle.includes('@') && !middle.startsWith('www.') && !middle.includes(':') && EMAIL.test(middle)) {
        middle = `<a href="mailto:${middle}">${middle}</a>`;
      } else if (extraSchemes !== undefined) {
        for (const scheme of extraSchemes) {
          if (middle !== scheme && middle.startsWith(scheme)) middle = `<a href="${middle}"${relAttribute}${targetAttribute}>${middle}</a>`;
        }
      }
      return head + middle + tail;
    })
    .join('');
}

// ---------------------------------------------------------------------------------------------
// pprint.pformat (width 80, indent 1, sorted dicts)

const PPRINT_WIDTH = 80;

/** repr() as pprint writes it: dict keys sorted, Undefined as Jinja's repr. */
function prettyRepr(value: PyValue): string {
  if (value instanceof Undefined) {
    if (value.mode === 'strict') throw undefinedError(value);
    return 'Undefined';
  }
  if (value instanceof PyDict) {
    return `{${sortedForPrint(value)
      .map(([key, item]) => `${prettyRepr(key)}: ${prettyRepr(item)}`)
      .join(', ')}}`;
  }
  if (isTuple(value)) return value.length === 1 ? `(${prettyRepr(value[0])},)` : `(${value.map(prettyRepr).join(', ')})`;
  if (Array.isArray(value)) return `[${value.map(prettyRepr).join(', ')}]`;
  return pyRepr(value);
}

/** pprint's _safe_key order: natural order, else by type name. */
function sortedForPrint(dict: PyDict): [PyValue, PyValue][] {
  const entries: [PyValue, PyValue][] = Array.from(dict);
  const typeKey = (value: PyValue): string => `<class '${typeName(value)}'>`;
  const safeLess = (a: PyValue, b: PyValue): boolean => {
    try {
      return pyRichCompare(a, b, '<');
    } catch (error) {
      if (!isPyError(error, 'TypeError')) throw error;
      return typeKey(a) < typeKey(b);
    }
  };
  return entries.sort(([a], [b]) => (safeLess(a, b) ? -1 : safeLess(b, a) ? 1 : 0));
}

function prettyFormat(value: PyValue): string {
  return formatPretty(value, 0, 0, 0);
}

function formatPretty(value: PyValue, indent: number, allowance: number, level: number): string {
  const rep = prettyRepr(value);
  if (codePointLength(rep) <= PPRINT_WIDTH - indent - allowance) return rep;
  const inner = level + 1;
  if (value instanceof PyDict) {
    if (value.size === 0) return rep;
    const entries = sortedForPrint(value);
    const itemIndent = indent + 1;
    const parts = entries.map(([key, item], i) => {
      const keyRep = prettyRepr(key);
      const last = i === entries.length - 1;
      return `${keyRep}: ${formatPretty(item, itemIndent + codePointLength(keyRep) + 2, last ? allowance + 1 : 1, inner)}`;
    });
    return `{${parts.join(',\n' + ' '.repeat(itemIndent))}}`;
  }
  if (Array.isArray(value)) {
    const tupleValue = isTuple(value);
    const close = tupleValue ? (value.length === 1 ? ',)' : ')') : ']';
    const itemIndent = indent + 1;
    const parts = value.map((item, i) => formatPretty(item, itemIndent, i === value.length - 1 ? allowance + close.length : 1, inner));
    return `${tupleValue ? '(' : '['}${parts.join(',\n' + ' '.repeat(itemIndent))}${close}`;
  }
  if (typeof value === 'string') return formatPrettyString(value, indent, allowance, inner);
  return rep;
}

/** pprint's _pprint_str: a long str split into adjacent literals at word boundaries. */
function formatPrettyString(text: string, indentIn: number, allowanceIn: number, level: number): string {
  if (text.length === 0) return pyRepr(text);
  let indent = indentIn;
  let allowance = allowanceIn;
  if (level === 1) {
    indent += 1;
    allowance += 1;
  }
  const chunks: string[] = [];
  const lines = splitLines(text, true);
  const maxWidth = PPRINT_WIDTH - indent;
  let maxWidthFirst = maxWidth;
  let rep = '';
  lines.forEach((line, i) => {
    rep = pyRepr(line);
    if (i === lines.length - 1) maxWidthFirst -= allowance;
    if (codePointLength(rep) <= maxWidthFirst) {
      chunks.push(rep);
      return;
    }
    const parts = line.match(new RegExp(`${NON_SPACE}*[${SPACE_CLASS}]*`, 'gu'))!.filter((part) => part !== '');
    let maxWidthSecond = maxWidth;
    let current = '';
    parts.forEach((part, j) => {
      const candidate = current + part;
      if (j === parts.length - 1 && i === lines.length - 1) maxWidthSecond -= allowance;
      if (codePointLength(pyRepr(candidate)) > maxWidthSecond) {
        if (current) chunks.push(pyRepr(current));
        current = part;
      } else current = candidate;
    });
    if (current) chunks.push(pyRepr(current));
  });
  if (chunks.length === 1) return rep;
  const body = chunks.join('\n' + ' '.repeat(indent));
  return level === 1 ? `(${body})` : body;
}

// ---------------------------------------------------------------------------------------------

/** Jinja2's builtin filters by name (jinja2.filters.FILTERS). */
export const BUILTIN_FILTERS: ReadonlyMap<string, FilterFunction> = new Map<string, FilterFunction>([
  ['abs', doAbs],
  ['attr', doAttr],
  ['batch', doBatch],
  ['capitalize', doCapitalize],
  ['center', doCenter],
  ['count', doLength],
  ['d', doDefault],
  ['default', doDefault],
  ['dictsort', doDictsort],
  ['e', doEscape],
  ['escape', doEscape],
  ['filesizeformat', doFilesizeformat],
  ['first', doFirst],
  ['float', doFloat],
  ['forceescape', doForceescape],
  ['format', doFormat],
  ['groupby', doGroupby],
  ['indent', doIndent],
  ['int', doInt],
  ['join', doJoin],
  ['last', doLast],
  ['length', doLength],
  ['list', doList],
  ['lower', doLower],
  ['items', doItems],
  ['map', doMap],
  ['min', minOrMax('<')],
  ['max', minOrMax('>')],
  ['pprint', doPprint],
  ['random', doRandom],
  ['reject', selectOrReject(false, false)],
  ['rejectattr', selectOrReject(false, true)],
  ['replace', doReplace],
  ['reverse', doReverse],
  ['round', doRound],
  ['safe', doSafe],
  ['select', selectOrReject(true, false)],
  ['selectattr', selectOrReject(true, true)],
  ['slice', doSlice],
  ['sort', doSort],
  ['string', doString],
  ['striptags', doStriptags],
  ['sum', doSum],
  ['title', doTitle],
  ['trim', doTrim],
  ['truncate', doTruncate],
  ['unique', doUnique],
  ['upper', doUpper],
  ['urlencode', doUrlencode],
  ['urlize', doUrlize],
  ['wordcount', doWordcount],
  ['wordwrap', doWordwrap],
  ['xmlattr', doXmlattr],
  ['tojson', doTojson],
]);

/**
 * Python's callable(value): functions, Undefined (its class defines __call__), and the objects the
 * runtime calls through a `call` or `impl` method (macros, loop, plugin callables).
 */
export function isCallableValue(value: PyValue): boolean {
  if (value instanceof PyFunction || value instanceof Undefined) return true;
  if (!(value instanceof PyObject)) return false;
  const candidate = value as PyObject & { call?: unknown; impl?: unknown };
  return typeof candidate.call === 'function' || typeof candidate.impl === 'function';
}
