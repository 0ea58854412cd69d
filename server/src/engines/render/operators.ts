// Python 3.11 semantics of the operators templates use (+ - * / // % ** and unary - +, `in`,
// slicing) and of Python's two string formatting languages (printf-style `%` and str.format),
// with Python's exception types and messages. Pure: no I/O, no template state.
//
// Known limits: ints are JS numbers, so results beyond 2**53 lose digits that Python keeps; a
// negative float to a fractional power (a complex number in Python) raises NotImplementedError.
import {
  Markup,
  PyDict,
  PyError,
  PyFloat,
  PyObject,
  PySlice,
  PyTuple,
  Undefined,
  dictKey,
  floatRepr,
  isList,
  isNumber,
  isTuple,
  numberOf,
  pyCompare,
  pyEquals,
  pyIterate,
  pyRepr,
  pyStr,
  stringOf,
  tuple,
  typeError,
  typeName,
  undefinedError,
  type PyKwargs,
  type PyValue,
  type RuntimeContext,
} from './pyValues';
import { pythonAttribute } from './methods';

export type BinaryOperator = '+' | '-' | '*' | '/' | '//' | '%' | '**';
export type UnaryOperator = '-' | '+';

// Repeating a sequence past this many items would exhaust memory; Python raises MemoryError there.
const MAX_REPEAT_LENGTH = 1 << 28;

// ---------------------------------------------------------------------------------------------
// Arithmetic

/**
 * Python's `left op right` as a Jinja2 template evaluates it (no sandbox, so plain Python).
 * @example binaryOp('//', -7, 2) === -4; binaryOp('/', 1, 2) is PyFloat(0.5)
 */
export function binaryOp(op: BinaryOperator, left: PyValue, right: PyValue): PyValue {
  // str.__mod__ runs before Undefined.__rmod__ gets a say, so "%s" % undefined prints it.
  if (op === '%' && stringOf(left) !== undefined && !(left instanceof Undefined)) {
    if (left instanceof Markup) return new Markup(formatPercent(left.text, right, true));
    return percentFormat(left as string, right);
  }
  if (left instanceof Undefined) throw undefinedError(left);
  if (right instanceof Undefined) throw undefinedError(right);
  if (isNumber(left) && isNumber(right)) return numericOp(op, left, right);
  switch (op) {
    case '+':
      return concatenate(left, right);
    case '*':
      if (isRepeatable(left) && isNumber(right)) return repeat(left, right);
      if (isNumber(left) && isRepeatable(right)) return repeat(right, left);
      if (isRepeatable(left) || isRepeatable(right)) {
        const count = isRepeatable(left) ? right : left;
        throw typeError(`can't multiply sequence by non-int of type '${typeName(count)}'`);
      }
      break;
  }
  throw unsupportedOperands(op, left, right);
}

function unsupportedOperands(op: BinaryOperator, left: PyValue, right: PyValue): PyError {
  const shown = op === '**' ? '** or pow()' : op;
  return typeError(`unsupported operand type(s) for ${shown}: '${typeName(left)}' and '${typeName(right)}'`);
}

function concatenate(left: PyValue, right: PyValue): PyValue {
  // Markup escapes the plain text joined to it (markupsafe's __add__ / __radd__).
  if (left instanceof Markup && (typeof right === 'string' || right instanceof Markup)) return new Markup(left.text + escapeText(right));
  if (right instanceof Markup && typeof left === 'string') return new Markup(escapeText(left) + right.text);
  if (typeof left === 'string') {
    if (typeof right === 'string') return left + right;
    throw typeError(`can only concatenate str (not "${typeName(right)}") to str`);
  }
  if (Array.isArray(left) && !(left instanceof Markup)) {
    const kind = isTuple(left) ? 'tuple' : 'list';
    if (Array.isArray(right) && isTuple(right) === isTuple(left)) {
      return kind === 'tuple' ? tuple([...left, ...right]) : [...left, ...right];
    }
    throw typeError(`can only concatenate ${kind} (not "${typeName(right)}") to ${kind}`);
  }
  throw unsupportedOperands('+', left, right);
}

function isRepeatable(value: PyValue): value is string | Markup | PyValue[] {
  return typeof value === 'string' || value instanceof Markup || Array.isArray(value);
}

function repeat(sequence: string | Markup | PyValue[], countValue: number | boolean | PyFloat): PyValue {
  if (countValue instanceof PyFloat) throw typeError(`can't multiply sequence by non-int of type 'float'`);
  const count = Math.max(0, numberOf(countValue));
  const length = typeof sequence === 'string' ? sequence.length : sequence instanceof Markup ? sequence.text.length : sequence.length;
  if (length * count > MAX_REPEAT_LENGTH) throw new PyError('OverflowError', 'repeated sequence is too long');
  if (typeof sequence === 'string') return sequence.repeat(count);
  if (sequence instanceof Markup) return new Markup(sequence.text.repeat(count));
  const items: PyValue[] = [];
  for (let i = 0; i < count; i++) items.push(...sequence);
  return isTuple(sequence) ? tuple(items) : items;
}

function numericOp(op: BinaryOperator, leftValue: number | boolean | PyFloat, rightValue: number | boolean | PyFloat): PyValue {
  const a = numberOf(leftValue);
  const b = numberOf(rightValue);
  const isFloat = leftValue instanceof PyFloat || rightValue instanceof PyFloat;
  switch (op) {
    case '+':
      return isFloat ? new PyFloat(a + b) : normalizeInt(a + b);
    case '-':
      return isFloat ? new PyFloat(a - b) : normalizeInt(a - b);
    case '*':
      return isFloat ? new PyFloat(a * b) : normalizeInt(a * b);
    case '/':
      if (b === 0) throw new PyError('ZeroDivisionError', isFloat ? 'float division by zero' : 'division by zero');
      return new PyFloat(a / b);
    case '//':
      if (b === 0) throw new PyError('ZeroDivisionError', isFloat ? 'float floor division by zero' : 'integer division or modulo by zero');
      return isFloat ? new PyFloat(floatDivmod(a, b)[0]) : intFloorDiv(a, b);
    case '%':
      if (b === 0) throw new PyError('ZeroDivisionError', isFloat ? 'float modulo' : 'integer modulo by zero');
      return isFloat ? new PyFloat(floatDivmod(a, b)[1]) : intMod(a, b);
    case '**':
      if (!isFloat && b >= 0) return intPower(a, b);
      return new PyFloat(floatPower(a, b));
  }
}

/** -0 is not an int value; keep ints printing as "0". */
function normalizeInt(value: number): number {
  return value === 0 ? 0 : value;
}

function intFloorDiv(a: number, b: number): number {
  const x = BigInt(a);
  const y = BigInt(b);
  let quotient = x / y;
  if (x % y !== 0n && x < 0n !== y < 0n) quotient -= 1n;
  return normalizeInt(Number(quotient));
}

function intMod(a: number, b: number): number {
  const x = BigInt(a);
  const y = BigInt(b);
  let remainder = x % y;
  if (remainder !== 0n && remainder < 0n !== y < 0n) remainder += y;
  return normalizeInt(Number(remainder));
}

function intPower(base: number, exponent: number): number {
  if (Math.abs(base) <= 1 || exponent < 64) {
    const exact = BigInt(base) ** BigInt(exponent);
    return normalizeInt(Number(exact));
  }
  // Beyond what a double holds anyway; avoid building a huge BigInt.
  return Math.pow(base, exponent);
}

/** CPython's float divmod (Objects/floatobject.c), so signs and rounding match exactly. */
function floatDivmod(x: number, y: number): [number, number] {
  let mod = x % y; // JS % is C fmod
  let div = (x - mod) / y;
  if (mod) {
    if (y < 0 !== mod < 0) {
      mod += y;
      div -= 1;
    }
  } else {
    mod = Math.sign(y) < 0 || Object.is(y, -0) ? -0 : 0;
  }
  let floorDiv: number;
  if (div) {
    floorDiv = Math.floor(div);
    if (div - floorDiv > 0.5) floorDiv += 1;
  } else {
    floorDiv = x / y < 0 || Object.is(x / y, -0) ? -0 : 0;
  }
  return [floorDiv, mod];
}

/** C pow() with Python's errors; JS Math.pow differs from C on 1**nan and (-1)**inf. */
function floatPower(x: number, y: number): number {
  if (y === 0 || x === 1) return 1;
  if (x === 0 && y < 0) throw new PyError('ZeroDivisionError', '0.0 cannot be raised to a negative power');
  if (x === -1 && !Number.isFinite(y) && !Number.isNaN(y)) return 1;
  if (x < 0 && Number.isFinite(x) && Number.isFinite(y) && !Number.isInteger(y)) {
    throw new PyError('NotImplementedError', 'a negative number to a fractional power is complex, which templates here do not support');
  }
  const result = exactPower(x, y) ?? (y === 0.5 ? Math.sqrt(x) : Math.pow(x, y));
  if (!Number.isFinite(result) && Number.isFinite(x) && Number.isFinite(y)) throw new PyError('OverflowError', "(34, 'Numerical result out of range')");
  return result;
}

// Exponents up to this size are computed exactly; beyond it the BigInts get too large to bother.
const MAX_EXACT_EXPONENT = 1100;

/**
 * x ** n correctly rounded for a finite non-zero x and an integral n (C's pow is, V8's Math.pow
 * is not: 7 ** -2 differs in the last digit). Undefined when it does not apply.
 */
function exactPower(x: number, n: number): number | undefined {
  if (!Number.isInteger(n) || Math.abs(n) > MAX_EXACT_EXPONENT || x === 0 || !Number.isFinite(x)) return undefined;
  const { mantissa, exponent } = binaryParts(Math.abs(x));
  const count = Math.abs(n);
  const power = mantissa ** BigInt(count);
  const shift = exponent * count; // |x| ** count = power * 2 ** shift
  const negative = x < 0 && count % 2 === 1;
  let magnitude: number;
  if (n >= 0) magnitude = shift >= 0 ? rationalToDouble(power << BigInt(shift), 1n) : rationalToDouble(power, 1n << BigInt(-shift));
  else magnitude = shift >= 0 ? rationalToDouble(1n, power << BigInt(shift)) : rationalToDouble(1n << BigInt(-shift), power);
  return negative ? -magnitude : magnitude;
}

/** A finite positive double as mantissa × 2 ** exponent (integers). */
function binaryParts(value: number): { mantissa: bigint; exponent: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value);
  const high = view.getUint32(0);
  const biased = (high >>> 20) & 0x7ff;
  let mantissa = (BigInt(high & 0xfffff) << 32n) | BigInt(view.getUint32(4));
  if (biased === 0) return { mantissa, exponent: -1074 };
  mantissa |= 1n << 52n;
  return { mantissa, exponent: biased - 1075 };
}

function bitLength(value: bigint): number {
  return value === 0n ? 0 : value.toString(2).length;
}

/** numerator / denominator (both positive) rounded half-to-even to a double, subnormals included. */
function rationalToDouble(numerator: bigint, denominator: bigint): number {
  const shift = 55 - (bitLength(numerator) - bitLength(denominator));
  const scaledNumerator = shift >= 0 ? numerator << BigInt(shift) : numerator;
  const scaledDenominator = shift >= 0 ? denominator : denominator << BigInt(-shift);
  const quotient = scaledNumerator / scaledDenominator; // value = (quotient + fraction) * 2 ** -shift
  const sticky = scaledNumerator % scaledDenominator !== 0n;
  const length = bitLength(quotient);
  const topExponent = length - 1 - shift;
  if (topExponent > 1023) return Infinity;
  // Bits a double keeps: 53, fewer for subnormals (lowest bit 2 ** -1074).
  const keep = Math.min(53, topExponent + 1074 + 1);
  if (keep < 0) return 0;
  const drop = length - keep;
  let kept = quotient >> BigInt(drop);
  const rest = quotient - (kept << BigInt(drop));
  const half = drop > 0 ? 1n << BigInt(drop - 1) : 0n;
  if (drop > 0 && (rest > half || (rest === half && (sticky || kept % 2n === 1n)))) kept += 1n;
  return scaleByPowerOfTwo(Number(kept), drop - shift);
}

/** value × 2 ** exponent in steps that never round (the caller already rounded). */
function scaleByPowerOfTwo(value: number, exponent: number): number {
  let result = value;
  let remaining = exponent;
  while (remaining > 1000) {
    result *= 2 ** 1000;
    remaining -= 1000;
  }
  while (remaining < -1000) {
    result *= 2 ** -1000;
    remaining += 1000;
  }
  return result * 2 ** remaining;
}

/** Python's unary `-x` / `+x`. */
export function unaryOp(op: UnaryOperator, value: PyValue): PyValue {
  if (value instanceof Undefined) throw undefinedError(value);
  if (value instanceof PyFloat) return new PyFloat(op === '-' ? -value.value : value.value);
  if (typeof value === 'number' || typeof value === 'boolean') {
    const number = numberOf(value);
    return op === '-' ? normalizeInt(-number) : number;
  }
  throw typeError(`bad operand type for unary ${op}: '${typeName(value)}'`);
}

// ---------------------------------------------------------------------------------------------
// Membership, dict keys and slicing

/**
 * The stored key of `dict` that Python's dict lookup would find for `value` (1, 1.0 and True are
 * one key), undefined when absent. TypeError for unhashable values.
 */
export function findDictKey(dict: PyDict, value: PyValue): string | number | boolean | null | undefined {
  if (value instanceof Undefined) {
    if (value.mode === 'strict') throw undefinedError(value);
    return undefined;
  }
  const key = dictKey(value);
  if (key === undefined) {
    if (value instanceof PyTuple) {
      value.forEach((item) => findDictKey(new PyDict(), item)); // unhashable items still raise
      return undefined; // our dicts hold no tuple keys
    }
    throw typeError(`unhashable type: '${typeName(value)}'`);
  }
  if (dict.has(key)) return key;
  if (typeof key === 'boolean') {
    const asNumber = key ? 1 : 0;
    return dict.has(asNumber) ? asNumber : undefined;
  }
  if (key === 0 || key === 1) {
    const asBoolean = key === 1;
    return dict.has(asBoolean) ? asBoolean : undefined;
  }
  return undefined;
}

/**
 * Python's `item in container`.
 * @example pyContains('abc', 'b') === true; pyContains([1, 2], new PyFloat(2)) === true
 */
/**
 * Python's comparison operators as Jinja writes them (`==`, `<`, `in`, `not in`, ...).
 * @example compareValues('in', 'a', 'cat') === true
 */
export function compareValues(op: string, left: PyValue, right: PyValue): boolean {
  switch (op) {
    case '==':
      return pyEquals(left, right);
    case '!=':
      return !pyEquals(left, right);
    case '<':
      return pyCompare(left, right, '<') < 0;
    case '<=':
      return pyCompare(left, right, '<=') <= 0;
    case '>':
      return pyCompare(left, right, '>') > 0;
    case '>=':
      return pyCompare(left, right, '>=') >= 0;
    case 'in':
      return pyContains(right, left);
    case 'not in':
      return !pyContains(right, left);
  }
  throw new PyError('TemplateSyntaxError', `unknown comparison operator ${op}`);
}

export function pyContains(container: PyValue, item: PyValue): boolean {
  const text = stringOf(container);
  if (text !== undefined) {
    const needle = stringOf(item);
    if (needle === undefined) {
      if (item instanceof Undefined && item.mode === 'strict') throw undefinedError(item);
      throw typeError(`'in <string>' requires string as left operand, not ${typeName(item)}`);
    }
    return text.includes(needle);
  }
  if (Array.isArray(container)) return container.some((element) => element === item || pyEquals(item, element));
  if (container instanceof PyDict) return findDictKey(container, item) !== undefined;
  if (container instanceof Undefined) {
    if (container.mode === 'strict') throw undefinedError(container);
    return false;
  }
  if (container instanceof PyObject && 'iterate' in container) return pyIterate(container).some((element) => pyEquals(item, element));
  throw typeError(`argument of type '${typeName(container)}' is not iterable`);
}

/** A slice's start, stop and step for a sequence of `length` items, as Python's slice.indices(). */
export function sliceIndices(slice: PySlice, length: number): [number, number, number] {
  const part = (value: PyValue): number | null => {
    if (value === null) return null;
    if (typeof value === 'number' || typeof value === 'boolean') return numberOf(value);
    if (value instanceof Undefined && value.mode === 'strict') throw undefinedError(value);
    throw typeError('slice indices must be integers or None or have an __index__ method');
  };
  const stepPart = part(slice.step);
  const step = stepPart ?? 1;
  if (step === 0) throw new PyError('ValueError', 'slice step cannot be zero');
  const lower = step < 0 ? -1 : 0;
  const upper = step < 0 ? length - 1 : length;
  const clamp = (value: number | null, fallback: number): number => {
    if (value === null) return fallback;
    if (value < 0) return Math.max(value + length, lower);
    return Math.min(value, upper);
  };
  const start = clamp(part(slice.start), step < 0 ? upper : lower);
  const stop = clamp(part(slice.stop), step < 0 ? lower : upper);
  return [start, stop, step];
}

function pickSlice<T>(items: readonly T[], slice: PySlice): T[] {
  const [start, stop, step] = sliceIndices(slice, items.length);
  const picked: T[] = [];
  if (step > 0) for (let i = start; i < stop; i += step) picked.push(items[i]);
  else for (let i = start; i > stop; i += step) picked.push(items[i]);
  return picked;
}

/**
 * Python's `value[start:stop:step]` for str (by code point), Markup, list and tuple.
 * @example sliceValue('hello', new PySlice(null, null, -1)) === 'olleh'
 */
export function sliceValue(value: PyValue, slice: PySlice): PyValue {
  if (typeof value === 'string') return pickSlice(Array.from(value), slice).join('');
  if (value instanceof Markup) return new Markup(pickSlice(Array.from(value.text), slice).join(''));
  if (value instanceof PyTuple) return tuple(pickSlice(value, slice));
  if (Array.isArray(value)) return pickSlice(value, slice);
  if (value instanceof Undefined) {
    if (value.mode === 'chainable') return value;
    throw undefinedError(value);
  }
  if (value instanceof PyDict) throw typeError(`unhashable type: 'slice'`);
  throw typeError(`'${typeName(value)}' object is not subscriptable`);
}

/**
 * Python's repr(value); an Undefined shows as Jinja's "Undefined" (pyRepr leaves top-level
 * Undefined empty).
 */
export function reprOf(value: PyValue): string {
  return value instanceof Undefined ? 'Undefined' : pyRepr(value);
}

/** repr() of a slice, as Jinja's "has no element slice(1, None, None)" hints show it. */
export function sliceRepr(slice: PySlice): string {
  return `slice(${reprOf(slice.start)}, ${reprOf(slice.stop)}, ${reprOf(slice.step)})`;
}

// ---------------------------------------------------------------------------------------------
// Markup escaping (markupsafe.escape)

/** markupsafe's escape of a text: & < > " ' become entities. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&#34;', "'": '&#39;' })[char]!);
}

/** The text of a value as it is joined to Markup: Markup stays, other text is escaped. */
function escapeText(value: string | Markup): string {
  return value instanceof Markup ? value.text : escapeHtml(value);
}

// ---------------------------------------------------------------------------------------------
// Exact decimal rendering of doubles. JS toFixed/toExponential round ties away from zero; C (and
// Python) round the exact binary value half-to-even, so digits are computed here with BigInt.

/** The exact decimal value of a finite non-negative double: digits × 10**exponent. */
function exactDecimal(value: number): { digits: bigint; exponent: number } {
  if (value === 0) return { digits: 0n, exponent: 0 };
  const { mantissa, exponent } = binaryParts(value);
  if (exponent >= 0) return { digits: mantissa << BigInt(exponent), exponent: 0 };
  return { digits: mantissa * 5n ** BigInt(-exponent), exponent };
}

/** digits × 10**shift rounded half-to-even to an integer. */
function roundShift(digits: bigint, shift: number): bigint {
  if (shift >= 0) return digits * 10n ** BigInt(shift);
  const divisor = 10n ** BigInt(-shift);
  const quotient = digits / divisor;
  const twiceRemainder = (digits % divisor) * 2n;
  if (twiceRemainder > divisor || (twiceRemainder === divisor && quotient % 2n === 1n)) return quotient + 1n;
  return quotient;
}

/** abs(value) with `precision` decimals ("3.14"). */
function fixedDigits(value: number, precision: number, keepPoint: boolean): string {
  const { digits, exponent } = exactDecimal(Math.abs(value));
  const scaled = roundShift(digits, exponent + precision).toString().padStart(precision + 1, '0');
  const whole = scaled.slice(0, scaled.length - precision);
  const fraction = scaled.slice(scaled.length - precision);
  return precision > 0 ? `${whole}.${fraction}` : keepPoint ? `${whole}.` : whole;
}

/** abs(value) rounded to precision+1 significant digits: the digits and the decimal exponent. */
function significantDigits(value: number, precision: number): { text: string; exponent: number } {
  const { digits, exponent } = exactDecimal(Math.abs(value));
  if (digits === 0n) return { text: '0'.repeat(precision + 1), exponent: 0 };
  let decimalExponent = digits.toString().length - 1 + exponent;
  let text = roundShift(digits, exponent - decimalExponent + precision).toString();
  if (text.length > precision + 1) {
    decimalExponent += 1;
    text = text.slice(0, precision + 1);
  }
  return { text, exponent: decimalExponent };
}

function exponentSuffix(exponent: number, upper: boolean): string {
  return `${upper ? 'E' : 'e'}${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`;
}

/** abs(value) in %e form with `precision` decimals. */
function exponentDigits(value: number, precision: number, keepPoint: boolean, upper: boolean): string {
  const { text, exponent } = significantDigits(value, precision);
  const mantissa = precision > 0 ? `${text[0]}.${text.slice(1)}` : keepPoint ? `${text}.` : text;
  return mantissa + exponentSuffix(exponent, upper);
}

/**
 * abs(value) in %g form. `addDotZero` is str.format's type-less float with a precision: at least
 * one decimal in fixed notation and the switch to exponent one digit earlier.
 */
function generalDigits(value: number, precisionIn: number, alternate: boolean, upper: boolean, addDotZero = false): string {
  const precision = precisionIn === 0 ? 1 : precisionIn;
  const { exponent } = significantDigits(value, precision - 1);
  const useExponent = exponent < -4 || exponent >= (addDotZero ? precision - 1 : precision);
  let text = useExponent ? exponentDigits(value, precision - 1, alternate, upper) : fixedDigits(value, precision - 1 - exponent, alternate);
  if (!alternate) {
    // %g drops trailing zeros (and a bare point) from the mantissa.
    text = text.replace(/(\.\d*?)0+(?=$|[eE])/, '$1').replace(/\.(?=$|[eE])/, '');
  }
  if (addDotZero && !useExponent && !text.includes('.')) text += '.0';
  return text;
}

function nonFiniteText(value: number, upper: boolean): string {
  const text = Number.isNaN(value) ? 'nan' : 'inf';
  return upper ? text.toUpperCase() : text;
}

function isNegative(value: number): boolean {
  return value < 0 || Object.is(value, -0);
}

// ---------------------------------------------------------------------------------------------
// printf-style formatting: format % args

/**
 * Python's `format % args` for a str format. A tuple supplies several arguments, a dict (or any
 * other mapping-like value) serves `%(name)s` keys, anything else is one argument.
 * @example percentFormat('%-5s|%03d', tuple(['a', 7])) === 'a    |007'
 */
export function percentFormat(format: string, args: PyValue): string {
  return formatPercent(format, args, false);
}

/** Markup's `%`: like percentFormat but the text of str arguments is escaped. */
export function markupPercentFormat(format: Markup, args: PyValue): Markup {
  return new Markup(formatPercent(format.text, args, true));
}

interface PercentSpec {
  leftAlign: boolean;
  sign: '' | '+' | ' ';
  alternate: boolean;
  zeroPad: boolean;
  width: number;
  precision: number | undefined;
}

function formatPercent(format: string, args: PyValue, escape: boolean): string {
  // CPython's getnextarg: a tuple is a list of arguments; anything else is the one argument.
  let current: PyValue[] | PyValue = args;
  let argCount = isTuple(args) ? args.length : -1;
  let argIndex = isTuple(args) ? 0 : -2;
  // Lists, dicts and Undefined have __getitem__, which is all % asks of a mapping.
  const mapping = !isTuple(args) && stringOf(args) === undefined && (args instanceof PyDict || isList(args) || args instanceof Undefined) ? args : undefined;
  const nextArg = (): PyValue => {
    if (argIndex < argCount) {
      const index = argIndex++;
      return argCount < 0 ? (current as PyValue) : (current as PyValue[])[index];
    }
    throw typeError('not enough arguments for format string');
  };

  let out = '';
  let i = 0;
  while (i < format.length) {
    const percent = format.indexOf('%', i);
    if (percent < 0) {
      out += format.slice(i);
      break;
    }
    out += format.slice(i, percent);
    i = percent + 1;
    if (i >= format.length) throw new PyError('ValueError', 'incomplete format');
    if (format[i] === '%') {
      out += '%';
      i++;
      continue;
    }
    if (format[i] === '(') {
      if (mapping === undefined) throw typeError('format requires a mapping');
      let depth = 1;
      const keyStart = ++i;
      while (i < format.length && depth > 0) {
        if (format[i] === '(') depth++;
        else if (format[i] === ')') depth--;
        i++;
      }
      if (depth > 0) throw new PyError('ValueError', 'incomplete format key');
      current = mappingItem(mapping, format.slice(keyStart, i - 1));
      argCount = -1;
      argIndex = -2;
    }
    const spec: PercentSpec = { leftAlign: false, sign: '', alternate: false, zeroPad: false, width: -1, precision: undefined };
    for (; i < format.length; i++) {
      const flag = format[i];
      if (flag === '-') spec.leftAlign = true;
      else if (flag === '+') spec.sign = '+';
      else if (flag === ' ') spec.sign = spec.sign === '+' ? '+' : ' ';
      else if (flag === '#') spec.alternate = true;
      else if (flag === '0') spec.zeroPad = true;
      else break;
    }
    if (format[i] === '*') {
      const width = starArgument(nextArg());
      if (width < 0) spec.leftAlign = true;
      spec.width = Math.abs(width);
      i++;
    } else {
      const match = /^\d+/.exec(format.slice(i));
      if (match) {
        spec.width = Number(match[0]);
        i += match[0].length;
      }
    }
    if (format[i] === '.') {
      i++;
      if (format[i] === '*') {
        spec.precision = Math.max(0, starArgument(nextArg()));
        i++;
      } else {
        const match = /^\d*/.exec(format.slice(i))!;
        spec.precision = match[0] ? Number(match[0]) : 0;
        i += match[0].length;
      }
    }
    while (format[i] === 'h' || format[i] === 'l' || format[i] === 'L') i++;
    if (i >= format.length) throw new PyError('ValueError', 'incomplete format');
    const conversion = format[i];
    const argument = nextArg();
    out += percentConversion(conversion, argument, spec, escape, i);
    i++;
  }
  if (argIndex < argCount && mapping === undefined) throw typeError('not all arguments converted during string formatting');
  return out;
}

function starArgument(value: PyValue): number {
  if (typeof value === 'number' || typeof value === 'boolean') return numberOf(value);
  throw typeError('* wants int');
}

/** mapping[key] with Python's errors, for `%(key)s`. */
function mappingItem(mapping: PyValue, key: string): PyValue {
  if (mapping instanceof PyDict) {
    const found = findDictKey(mapping, key);
    if (found === undefined) throw new PyError('KeyError', reprOf(key));
    return mapping.get(found)!;
  }
  if (mapping instanceof Undefined) {
    if (mapping.mode === 'chainable') return mapping;
    throw undefinedError(mapping);
  }
  throw typeError(`${typeName(mapping)} indices must be integers or slices, not str`);
}

function percentConversion(conversion: string, argument: PyValue, spec: PercentSpec, escape: boolean, index: number): string {
  switch (conversion) {
    case 's':
    case 'r':
    case 'a': {
      let text = conversion === 's' ? pyStr(argument) : conversion === 'r' ? reprOf(argument) : asciiRepr(argument);
      if (escape && !(conversion === 's' && argument instanceof Markup)) text = escapeHtml(text);
      if (spec.precision !== undefined) text = Array.from(text).slice(0, spec.precision).join('');
      return padPlain(text, spec);
    }
    case 'c':
      return padPlain(percentChar(argument), spec);
    case 'd':
    case 'i':
    case 'u':
      return padNumber(...intDigits(percentInteger(conversion, argument, true), 10, spec), spec);
    case 'x':
    case 'X':
    case 'o': {
      const radix = conversion === 'o' ? 8 : 16;
      const [negative, digits] = intDigits(percentInteger(conversion, argument, false), radix, spec);
      const prefix = spec.alternate ? (conversion === 'o' ? '0o' : conversion === 'x' ? '0x' : '0X') : '';
      return padNumber(negative, conversion === 'X' ? digits.toUpperCase() : digits, spec, prefix);
    }
    case 'e':
    case 'E':
    case 'f':
    case 'F':
    case 'g':
    case 'G': {
      const value = percentFloat(argument);
      const upper = conversion === conversion.toUpperCase();
      const precision = spec.precision ?? 6;
      let digits: string;
      if (!Number.isFinite(value)) digits = nonFiniteText(value, upper);
      else if (conversion === 'f' || conversion === 'F') digits = fixedDigits(value, precision, spec.alternate);
      else if (conversion === 'e' || conversion === 'E') digits = exponentDigits(value, precision, spec.alternate, upper);
      else digits = generalDigits(value, precision, spec.alternate, upper);
      return padNumber(isNegative(value) && !Number.isNaN(value), digits, spec);
    }
    default: {
      const code = conversion.codePointAt(0)!;
      throw new PyError('ValueError', `unsupported format character '${conversion}' (0x${code.toString(16)}) at index ${index}`);
    }
  }
}

function percentChar(argument: PyValue): string {
  const text = stringOf(argument);
  if (text !== undefined) {
    if (Array.from(text).length === 1) return text;
    throw typeError('%c requires int or char');
  }
  if (typeof argument === 'number' || typeof argument === 'boolean') {
    const code = numberOf(argument);
    if (code < 0 || code > 0x10ffff) throw new PyError('OverflowError', '%c arg not in range(0x110000)');
    return String.fromCodePoint(code);
  }
  throw typeError('%c requires int or char');
}

/** The int an integer conversion formats: %d truncates floats, %x/%o take ints only. */
function percentInteger(conversion: string, argument: PyValue, acceptsFloat: boolean): number {
  if (typeof argument === 'number' || typeof argument === 'boolean') return numberOf(argument);
  if (argument instanceof Undefined && acceptsFloat) throw undefinedError(argument); // int(undefined) fails
  if (argument instanceof PyFloat && acceptsFloat) return floatToInt(argument.value);
  const what = acceptsFloat ? 'a real number' : 'an integer';
  throw typeError(`%${conversion} format: ${what} is required, not ${typeName(argument)}`);
}

/** Python's int(float). */
export function floatToInt(value: number): number {
  if (Number.isNaN(value)) throw new PyError('ValueError', 'cannot convert float NaN to integer');
  if (!Number.isFinite(value)) throw new PyError('OverflowError', 'cannot convert float infinity to integer');
  return normalizeInt(Math.trunc(value));
}

function percentFloat(argument: PyValue): number {
  if (isNumber(argument)) return numberOf(argument);
  if (argument instanceof Undefined) throw undefinedError(argument);
  throw typeError(`must be real number, not ${typeName(argument)}`);
}

/** The sign and digits of an int in a radix, with %-style precision as a minimum digit count. */
function intDigits(value: number, radix: number, spec: PercentSpec): [boolean, string] {
  let digits = (Math.abs(value) >= 2 ** 53 ? BigInt(Math.abs(value)) : Math.abs(value)).toString(radix);
  if (spec.precision !== undefined && digits.length < spec.precision) digits = digits.padStart(spec.precision, '0');
  return [value < 0, digits];
}

function padPlain(text: string, spec: PercentSpec): string {
  const missing = spec.width - Array.from(text).length;
  if (missing <= 0) return text;
  return spec.leftAlign ? text + ' '.repeat(missing) : ' '.repeat(missing) + text;
}

function padNumber(negative: boolean, digits: string, spec: PercentSpec, prefix = ''): string {
  const sign = negative ? '-' : spec.sign;
  const body = sign + prefix + digits;
  const missing = spec.width - body.length;
  if (missing <= 0) return body;
  if (spec.leftAlign) return body + ' '.repeat(missing);
  if (spec.zeroPad) return sign + prefix + '0'.repeat(missing) + digits;
  return ' '.repeat(missing) + body;
}

/** Python's ascii(value): repr with non-ASCII characters escaped. */
export function asciiRepr(value: PyValue): string {
  let out = '';
  for (const char of reprOf(value)) {
    const code = char.codePointAt(0)!;
    if (code < 0x80) out += char;
    else if (code < 0x100) out += '\\x' + code.toString(16).padStart(2, '0');
    else if (code < 0x10000) out += '\\u' + code.toString(16).padStart(4, '0');
    else out += '\\U' + code.toString(16).padStart(8, '0');
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// str.format and the format-spec mini-language

const MAX_FORMAT_RECURSION = 2;

/**
 * Python's `template.format(*args, **kwargs)`: {} {0} {name} {0.attr} {0[key]}, !r !s !a and
 * format specs (nested {} in specs too). Attribute lookups are Python's, not Jinja's.
 * @example strFormat('{0:>5}|{x!r}', [1], new Map([['x', 'a']]), ctx) === "    1|'a'"
 */
export function strFormat(template: string, args: PyValue[], kwargs: PyKwargs, _ctx?: RuntimeContext): string {
  const state: NumberingState = { auto: 0, mode: 'unset', escape: false };
  return formatTemplate(template, args, kwargs, state, MAX_FORMAT_RECURSION);
}

/** Markup.format: like strFormat, but each field's text is escaped unless the value is Markup. */
export function markupStrFormat(template: Markup, args: PyValue[], kwargs: PyKwargs): Markup {
  const state: NumberingState = { auto: 0, mode: 'unset', escape: true };
  return new Markup(formatTemplate(template.text, args, kwargs, state, MAX_FORMAT_RECURSION));
}

interface NumberingState {
  auto: number;
  mode: 'unset' | 'auto' | 'manual';
  /** markupsafe's EscapeFormatter: escape what each field produces. */
  escape: boolean;
}

function formatTemplate(template: string, args: PyValue[], kwargs: PyKwargs, state: NumberingState, depth: number): string {
  if (depth <= 0) throw new PyError('ValueError', 'Max string recursion exceeded');
  let out = '';
  let i = 0;
  while (i < template.length) {
    const char = template[i];
    if (char === '}') {
      if (template[i + 1] !== '}') throw new PyError('ValueError', "Single '}' encountered in format string");
      out += '}';
      i += 2;
      continue;
    }
    if (char !== '{') {
      out += char;
      i++;
      continue;
    }
    if (template[i + 1] === '{') {
      out += '{';
      i += 2;
      continue;
    }
    if (i + 1 >= template.length) throw new PyError('ValueError', "Single '{' encountered in format string");
    // The field runs to the matching brace; braces nest only inside the format spec.
    let nesting = 1;
    let end = i + 1;
    while (end < template.length) {
      if (template[end] === '{') nesting++;
      else if (template[end] === '}' && --nesting === 0) break;
      end++;
    }
    if (nesting > 0) throw new PyError('ValueError', "expected '}' before end of string");
    out += formatField(template.slice(i + 1, end), args, kwargs, state, depth);
    i = end + 1;
  }
  return out;
}

function formatField(field: string, args: PyValue[], kwargs: PyKwargs, state: NumberingState, depth: number): string {
  // The field name ends at the first ':' or '!' outside brackets.
  let nameEnd = 0;
  let inBracket = false;
  for (; nameEnd < field.length; nameEnd++) {
    const char = field[nameEnd];
    if (char === '[') inBracket = true;
    else if (char === ']') inBracket = false;
    else if (!inBracket && (char === ':' || char === '!')) break;
  }
  const name = field.slice(0, nameEnd);
  let conversion: string | undefined;
  let spec = '';
  let rest = field.slice(nameEnd);
  if (rest.startsWith('!')) {
    if (rest.length < 2) throw new PyError('ValueError', 'end of string while looking for conversion specifier');
    conversion = rest[1];
    rest = rest.slice(2);
    if (rest.length > 0 && !rest.startsWith(':')) throw new PyError('ValueError', "expected ':' after conversion specifier");
  }
  if (rest.startsWith(':')) spec = rest.slice(1);
  let value = resolveFieldName(name, args, kwargs, state);
  if (conversion !== undefined) {
    if (conversion === 'r') value = reprOf(value);
    else if (conversion === 's') value = pyStr(value);
    else if (conversion === 'a') value = asciiRepr(value);
    else throw new PyError('ValueError', `Unknown conversion specifier ${conversion}`);
  }
  if (spec.includes('{')) spec = formatTemplate(spec, args, kwargs, { ...state, escape: false }, depth - 1);
  if (!state.escape) return formatValue(value, spec);
  if (value instanceof Markup) {
    if (spec) throw new PyError('ValueError', 'Unsupported format specification for Markup.');
    return value.text;
  }
  return escapeHtml(formatValue(value, spec));
}

function resolveFieldName(name: string, args: PyValue[], kwargs: PyKwargs, state: NumberingState): PyValue {
  const firstEnd = name.search(/[.[]/);
  const first = firstEnd < 0 ? name : name.slice(0, firstEnd);
  let value: PyValue;
  if (first === '') {
    if (state.mode === 'manual') throw new PyError('ValueError', 'cannot switch from manual field specification to automatic field numbering');
    state.mode = 'auto';
    value = positional(args, state.auto++);
  } else if (/^\d+$/.test(first)) {
    if (state.mode === 'auto') throw new PyError('ValueError', 'cannot switch from automatic field numbering to manual field specification');
    state.mode = 'manual';
    value = positional(args, Number(first));
  } else {
    if (!kwargs.has(first)) throw new PyError('KeyError', reprOf(first));
    value = kwargs.get(first)!;
  }
  let i = firstEnd < 0 ? name.length : firstEnd;
  while (i < name.length) {
    if (name[i] === '.') {
      const match = /^[^.[]*/.exec(name.slice(i + 1))!;
      if (match[0] === '') throw new PyError('ValueError', 'Empty attribute in format string');
      value = pythonGetattr(value, match[0]);
      i += 1 + match[0].length;
    } else if (name[i] === '[') {
      const close = name.indexOf(']', i);
      if (close < 0) throw new PyError('ValueError', "Missing ']' in format string");
      const keyText = name.slice(i + 1, close);
      if (keyText === '') throw new PyError('ValueError', 'Empty attribute in format string');
      value = pythonGetitem(value, /^\d+$/.test(keyText) ? Number(keyText) : keyText);
      i = close + 1;
    } else {
      throw new PyError('ValueError', "Only '.' or '[' may follow ']' in format field specifier");
    }
  }
  return value;
}

function positional(args: PyValue[], index: number): PyValue {
  if (index >= args.length) throw new PyError('IndexError', `Replacement index ${index} out of range for positional args tuple`);
  return args[index];
}

/** Python's getattr(obj, name) (no item fallback), with AttributeError as Python words it. */
function pythonGetattr(obj: PyValue, name: string): PyValue {
  const found = pythonAttribute(obj, name);
  if (found !== undefined) return found;
  throw new PyError('AttributeError', `'${typeName(obj)}' object has no attribute '${name}'`);
}

/** Python's obj[key] with Python's errors (str.format's {0[key]}). */
export function pythonGetitem(obj: PyValue, key: PyValue | PySlice): PyValue {
  if (obj instanceof PyDict) {
    if (key instanceof PySlice) throw typeError("unhashable type: 'slice'");
    const found = findDictKey(obj, key);
    if (found === undefined) throw new PyError('KeyError', reprOf(key));
    return obj.get(found)!;
  }
  if (obj instanceof Undefined) {
    if (obj.mode === 'chainable') return obj;
    throw undefinedError(obj);
  }
  const text = stringOf(obj);
  if (Array.isArray(obj) || text !== undefined) {
    const kind = text !== undefined ? 'string' : isTuple(obj) ? 'tuple' : 'list';
    if (key instanceof PySlice) return sliceValue(obj, key);
    if (typeof key !== 'number' && typeof key !== 'boolean') {
      if (text !== undefined) throw typeError(`string indices must be integers, not '${typeName(key)}'`);
      throw typeError(`${kind} indices must be integers or slices, not ${typeName(key)}`);
    }
    const items = text !== undefined ? Array.from(text) : (obj as PyValue[]);
    let index = numberOf(key);
    if (index < 0) index += items.length;
    if (index < 0 || index >= items.length) throw new PyError('IndexError', `${kind} index out of range`);
    const item = items[index];
    return obj instanceof Markup ? new Markup(item as string) : item;
  }
  throw typeError(`'${typeName(obj)}' object is not subscriptable`);
}

interface FormatSpec {
  fill: string;
  align: '' | '<' | '>' | '=' | '^';
  sign: '' | '+' | '-' | ' ';
  coerceZero: boolean;
  alternate: boolean;
  zeroFlag: boolean;
  width: number;
  grouping: '' | ',' | '_';
  precision: number | undefined;
  type: string;
}

function parseFormatSpec(spec: string, value: PyValue): FormatSpec {
  const chars = Array.from(spec);
  const result: FormatSpec = { fill: '', align: '', sign: '', coerceZero: false, alternate: false, zeroFlag: false, width: -1, grouping: '', precision: undefined, type: '' };
  let i = 0;
  const isAlign = (char: string | undefined): boolean => char === '<' || char === '>' || char === '=' || char === '^';
  if (chars.length >= 2 && isAlign(chars[1])) {
    result.fill = chars[0];
    result.align = chars[1] as FormatSpec['align'];
    i = 2;
  } else if (isAlign(chars[0])) {
    result.align = chars[0] as FormatSpec['align'];
    i = 1;
  }
  if (chars[i] === '+' || chars[i] === '-' || chars[i] === ' ') result.sign = chars[i++] as FormatSpec['sign'];
  if (chars[i] === 'z') {
    result.coerceZero = true;
    i++;
  }
  if (chars[i] === '#') {
    result.alternate = true;
    i++;
  }
  if (chars[i] === '0') {
    result.zeroFlag = true;
    i++;
  }
  let digits = '';
  while (i < chars.length && chars[i] >= '0' && chars[i] <= '9') digits += chars[i++];
  if (digits) result.width = Number(digits);
  if (chars[i] === ',' || chars[i] === '_') {
    result.grouping = chars[i++] as ',' | '_';
    if (chars[i] === ',' || chars[i] === '_') throw new PyError('ValueError', "Cannot specify both ',' and '_'.");
  }
  if (chars[i] === '.') {
    i++;
    let precision = '';
    while (i < chars.length && chars[i] >= '0' && chars[i] <= '9') precision += chars[i++];
    if (!precision) throw new PyError('ValueError', 'Format specifier missing precision');
    result.precision = Number(precision);
  }
  if (chars.length - i > 1) throw new PyError('ValueError', `Invalid format specifier '${spec}' for object of type '${typeName(value)}'`);
  if (i < chars.length) result.type = chars[i];
  if (result.zeroFlag) {
    // A '0' before the width pads with zeros after the sign, unless fill or align say otherwise.
    if (!result.fill) result.fill = '0';
    if (!result.align && (typeof value !== 'string' && !(value instanceof Markup))) result.align = '=';
  }
  if (!result.fill) result.fill = ' ';
  return result;
}

/**
 * Python's format(value, spec) for str, int, bool, float; other values accept only an empty spec.
 * @example formatValue(1234.5, ',.2f') === '1,234.50'
 */
export function formatValue(value: PyValue, specText: string): string {
  if (specText === '') {
    if (value instanceof Undefined && value.mode === 'strict') throw undefinedError(value);
    return pyStr(value);
  }
  const text = stringOf(value);
  if (text !== undefined) return formatString(text, parseFormatSpec(specText, value));
  if (value instanceof PyFloat) return formatFloat(value.value, parseFormatSpec(specText, value));
  if (typeof value === 'number' || typeof value === 'boolean') {
    const spec = parseFormatSpec(specText, value);
    if ('eEfFgG%'.includes(spec.type) && spec.type !== '') return formatFloat(numberOf(value), spec);
    return formatInt(numberOf(value), spec, value);
  }
  // object.__format__ refuses any spec before looking at the value, Undefined included.
  throw typeError(`unsupported format string passed to ${typeName(value)}.__format__`);
}

function formatString(text: string, spec: FormatSpec): string {
  if (spec.type !== '' && spec.type !== 's') throw new PyError('ValueError', `Unknown format code '${spec.type}' for object of type 'str'`);
  if (spec.sign) throw new PyError('ValueError', 'Sign not allowed in string format specifier');
  if (spec.alternate) throw new PyError('ValueError', 'Alternate form (#) not allowed in string format specifier');
  if (spec.coerceZero) throw new PyError('ValueError', 'Negative zero coercion (z) not allowed in string format specifier');
  if (spec.grouping) throw new PyError('ValueError', `Cannot specify '${spec.grouping}' with 's'.`);
  if (spec.align === '=') throw new PyError('ValueError', "'=' alignment not allowed in string format specifier");
  let chars = Array.from(text);
  if (spec.precision !== undefined) chars = chars.slice(0, spec.precision);
  return align(chars.join(''), chars.length, spec, '<');
}

function align(text: string, length: number, spec: FormatSpec, defaultAlign: '<' | '>'): string {
  const missing = spec.width - length;
  if (missing <= 0) return text;
  const how = spec.align || defaultAlign;
  if (how === '<') return text + spec.fill.repeat(missing);
  if (how === '^') {
    const left = Math.floor(missing / 2);
    return spec.fill.repeat(left) + text + spec.fill.repeat(missing - left);
  }
  return spec.fill.repeat(missing) + text;
}

function checkGrouping(spec: FormatSpec, type: string): void {
  if (!spec.grouping) return;
  const allowed = spec.grouping === '_' ? 'bdoxXeEfFgG%' : 'deEfFgG%';
  if (type !== '' && !allowed.includes(type)) throw new PyError('ValueError', `Cannot specify '${spec.grouping}' with '${type}'.`);
}

function formatInt(value: number, spec: FormatSpec, original: PyValue): string {
  const type = spec.type;
  if (type !== '' && !'bcdoxXn'.includes(type)) {
    throw new PyError('ValueError', `Unknown format code '${type}' for object of type '${typeName(original)}'`);
  }
  if (spec.precision !== undefined) throw new PyError('ValueError', 'Precision not allowed in integer format specifier');
  if (spec.coerceZero) throw new PyError('ValueError', 'Negative zero coercion (z) not allowed in integer format specifier');
  checkGrouping(spec, type);
  if (type === 'c') {
    if (spec.sign) throw new PyError('ValueError', "Sign not allowed with integer format specifier 'c'");
    if (spec.alternate) throw new PyError('ValueError', "Alternate form (#) not allowed with integer format specifier 'c'");
    if (value < 0 || value > 0x10ffff) throw new PyError('OverflowError', '%c arg not in range(0x110000)');
    return align(String.fromCodePoint(value), 1, spec, '>');
  }
  const radix = type === 'b' ? 2 : type === 'o' ? 8 : type === 'x' || type === 'X' ? 16 : 10;
  let digits = (Math.abs(value) >= 2 ** 53 ? BigInt(Math.abs(value)) : Math.abs(value)).toString(radix);
  if (type === 'X') digits = digits.toUpperCase();
  const prefix = spec.alternate && radix !== 10 ? `0${type === 'X' ? 'X' : type}` : '';
  return composeNumber(value < 0, prefix, digits, '', spec, radix === 10 ? 3 : 4);
}

function formatFloat(value: number, spec: FormatSpec): string {
  const type = spec.type;
  if (!['', 'e', 'E', 'f', 'F', 'g', 'G', 'n', '%'].includes(type)) throw new PyError('ValueError', `Unknown format code '${type}' for object of type 'float'`);
  if (type === 'n' && spec.grouping) throw new PyError('ValueError', `Cannot specify '${spec.grouping}' with 'n'.`);
  checkGrouping(spec, type);
  const upper = type === 'E' || type === 'F' || type === 'G';
  const scaled = type === '%' ? value * 100 : value;
  let text: string;
  if (!Number.isFinite(scaled)) text = nonFiniteText(scaled, upper);
  else if (type === '') text = spec.precision === undefined ? floatRepr(Math.abs(scaled)) : generalDigits(scaled, spec.precision, spec.alternate, false, true);
  else if (type === 'f' || type === 'F' || type === '%') text = fixedDigits(scaled, spec.precision ?? 6, spec.alternate);
  else if (type === 'e' || type === 'E') text = exponentDigits(scaled, spec.precision ?? 6, spec.alternate, upper);
  else text = generalDigits(scaled, spec.precision ?? 6, spec.alternate, upper);
  if (type === '%') text += '%';
  let negative = isNegative(scaled) && !Number.isNaN(scaled);
  // 'z' turns a negative zero result (after rounding) into a positive one.
  if (negative && spec.coerceZero && /^[0.]*(?:[eE%].*)?$/.test(text.replace(/[eE][-+]\d+$/, ''))) negative = false;
  const match = /^(\d*)(.*)$/s.exec(text)!;
  return composeNumber(negative, '', match[1], match[2], spec, 3);
}

/**
 * Sign, prefix, grouped integer digits and the rest (fraction, exponent, '%'), padded as the spec
 * asks. With '0' fill and '=' alignment the padding becomes leading digits and is grouped too
 * (CPython's InsertThousandsGrouping).
 */
function composeNumber(negative: boolean, prefix: string, digits: string, rest: string, spec: FormatSpec, groupSize: number): string {
  const sign = negative ? '-' : spec.sign === '+' ? '+' : spec.sign === ' ' ? ' ' : '';
  const zeroFill = spec.fill === '0' && spec.align === '=';
  const minDigits = zeroFill ? spec.width - sign.length - prefix.length - Array.from(rest).length : 0;
  const separator = spec.grouping === '' ? '' : spec.grouping;
  const grouped = digits === '' ? digits : groupDigits(digits, separator, groupSize, minDigits);
  const body = grouped + rest;
  const length = sign.length + prefix.length + Array.from(body).length;
  const missing = spec.width - length;
  if (missing <= 0) return sign + prefix + body;
  const how = spec.align || '>';
  if (how === '=') return sign + prefix + spec.fill.repeat(missing) + body;
  if (how === '<') return sign + prefix + body + spec.fill.repeat(missing);
  if (how === '^') {
    const left = Math.floor(missing / 2);
    return spec.fill.repeat(left) + sign + prefix + body + spec.fill.repeat(missing - left);
  }
  return spec.fill.repeat(missing) + sign + prefix + body;
}

function groupDigits(digits: string, separator: string, size: number, minWidthIn: number): string {
  if (!separator) return digits.padStart(minWidthIn, '0');
  let minWidth = minWidthIn;
  let remaining = digits.length;
  const groups: string[] = [];
  for (;;) {
    const length = Math.min(Math.max(remaining, minWidth, 1), size);
    const taken = Math.max(0, Math.min(remaining, length));
    const chunk = digits.slice(remaining - taken, remaining).padStart(length, '0');
    groups.unshift(chunk);
    remaining -= taken;
    minWidth -= length;
    if (remaining <= 0 && minWidth <= 0) break;
    minWidth -= separator.length;
  }
  return groups.join(separator);
}
