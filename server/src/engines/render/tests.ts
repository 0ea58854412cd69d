// Jinja2 3.1's builtin tests (jinja2/tests.py, used as `x is name`) over the Python value model,
// with Python's results and exceptions. Pure: no I/O, no template state.
import { BUILTIN_FILTERS, hasHtml, isCallableValue, pyRichCompare, requireHashable } from './filters';
import { binaryOp, pyContains } from './operators';
import {
  Markup,
  PyDict,
  PyFloat,
  PyObject,
  Undefined,
  bindArguments,
  pyEquals,
  pyStr,
  stringOf,
  typeError,
  undefinedError,
  type ParameterSpec,
  type PyValue,
  type RuntimeContext,
  type TestFunction,
} from './pyValues';

/** A test with a fixed Python signature; `pyName` is the function name Python's TypeErrors show. */
function define(pyName: string, params: ParameterSpec[], run: (ctx: RuntimeContext, value: PyValue, bound: PyValue[]) => boolean): TestFunction {
  return (ctx, value, args, kwargs) => run(ctx, value, bindArguments(pyName, params, args, kwargs));
}

/** `value % divisor == 1` style checks: Python's % (string formatting for str) then ==. */
function remainderEquals(value: PyValue, divisor: PyValue, expected: number): boolean {
  return pyEquals(binaryOp('%', value, divisor), expected);
}

/**
 * Names of the filters and tests of the running environment, when the context can list them
 * (plugin filters included); otherwise the builtins.
 */
interface NameLookups {
  hasFilter?(name: string): boolean;
  hasTest?(name: string): boolean;
}

/** `name in env.filters` / `env.tests`: a dict lookup, so unhashable names raise. */
function isRegistered(value: PyValue, has: (name: string) => boolean): boolean {
  requireHashable(value);
  const name = stringOf(value);
  return name !== undefined && has(name);
}

/** str.islower() / str.isupper(): at least one cased character and none of the other case. */
function hasOnlyCase(text: string, wanted: 'lower' | 'upper'): boolean {
  let cased = false;
  for (const char of text) {
    const isUpper = /\p{Uppercase}/u.test(char);
    const isLower = /\p{Lowercase}/u.test(char);
    const isTitle = /\p{Lt}/u.test(char);
    if (isTitle) return false;
    if (wanted === 'lower' ? isUpper : isLower) return false;
    if (wanted === 'lower' ? isLower : isUpper) cased = true;
  }
  return cased;
}

/** The operator module's functions: two positional arguments, no keywords. */
function operatorTest(pyName: string, compare: (a: PyValue, b: PyValue) => boolean): TestFunction {
  return (_ctx, value, args, kwargs) => {
    if (kwargs.size > 0) throw typeError(`_operator.${pyName}() takes no keyword arguments`);
    if (args.length !== 1) throw typeError(`${pyName} expected 2 arguments, got ${args.length + 1}`);
    return compare(value, args[0]);
  };
}

const equalTo = operatorTest('eq', pyEquals);
const notEqualTo = operatorTest('ne', (a, b) => !pyEquals(a, b));
const greaterThan = operatorTest('gt', (a, b) => pyRichCompare(a, b, '>'));
const greaterOrEqual = operatorTest('ge', (a, b) => pyRichCompare(a, b, '>='));
const lessThan = operatorTest('lt', (a, b) => pyRichCompare(a, b, '<'));
const lessOrEqual = operatorTest('le', (a, b) => pyRichCompare(a, b, '<='));

/** The builtin callable(obj, /). */
const isCallableTest: TestFunction = (_ctx, value, args, kwargs) => {
  if (kwargs.size > 0) throw typeError('callable() takes no keyword arguments');
  if (args.length > 0) throw typeError(`callable() takes exactly one argument (${args.length + 1} given)`);
  return isCallableValue(value);
};

/** Python's iter(value) succeeds (StrictUndefined raises UndefinedError, which is no TypeError). */
function isIterable(value: PyValue): boolean {
  if (value instanceof Undefined) {
    if (value.mode === 'strict') throw undefinedError(value);
    return true;
  }
  if (typeof value === 'string' || Array.isArray(value) || value instanceof PyDict || value instanceof Markup) return true;
  return value instanceof PyObject && 'iterate' in value;
}

/** len(value) and value.__getitem__ both exist. */
function isSequence(value: PyValue): boolean {
  if (value instanceof Undefined) return value.mode !== 'strict';
  return typeof value === 'string' || Array.isArray(value) || value instanceof PyDict || value instanceof Markup;
}

/** Jinja2's builtin tests by name (jinja2.tests.TESTS). */
export const BUILTIN_TESTS: ReadonlyMap<string, TestFunction> = new Map<string, TestFunction>([
  ['odd', define('test_odd', [], (_ctx, value) => remainderEquals(value, 2, 1))],
  ['even', define('test_even', [], (_ctx, value) => remainderEquals(value, 2, 0))],
  ['divisibleby', define('test_divisibleby', [{ name: 'num' }], (_ctx, value, [num]) => remainderEquals(value, num, 0))],
  ['defined', define('test_defined', [], (_ctx, value) => !(value instanceof Undefined))],
  ['undefined', define('test_undefined', [], (_ctx, value) => value instanceof Undefined)],
  [
    'filter',
    define('test_filter', [], (ctx, value) => {
      const lookups = ctx as RuntimeContext & NameLookups;
      return isRegistered(value, (name) => (lookups.hasFilter ? lookups.hasFilter(name) : BUILTIN_FILTERS.has(name)));
    }),
  ],
  [
    'test',
    define('test_test', [], (ctx, value) => {
      const lookups = ctx as RuntimeContext & NameLookups;
      return isRegistered(value, (name) => (lookups.hasTest ? lookups.hasTest(name) : BUILTIN_TESTS.has(name)));
    }),
  ],
  ['none', define('test_none', [], (_ctx, value) => value === null)],
  ['boolean', define('test_boolean', [], (_ctx, value) => typeof value === 'boolean')],
  ['false', define('test_false', [], (_ctx, value) => value === false)],
  ['true', define('test_true', [], (_ctx, value) => value === true)],
  ['integer', define('test_integer', [], (_ctx, value) => typeof value === 'number')],
  ['float', define('test_float', [], (_ctx, value) => value instanceof PyFloat)],
  ['lower', define('test_lower', [], (_ctx, value) => hasOnlyCase(pyStr(value), 'lower'))],
  ['upper', define('test_upper', [], (_ctx, value) => hasOnlyCase(pyStr(value), 'upper'))],
  ['string', define('test_string', [], (_ctx, value) => stringOf(value) !== undefined)],
  ['mapping', define('test_mapping', [], (_ctx, value) => value instanceof PyDict)],
  // numbers.Number: int, float and bool (a subclass of int).
  ['number', define('test_number', [], (_ctx, value) => typeof value === 'number' || typeof value === 'boolean' || value instanceof PyFloat)],
  ['sequence', define('test_sequence', [], (_ctx, value) => isSequence(value))],
  ['iterable', define('test_iterable', [], (_ctx, value) => isIterable(value))],
  ['callable', isCallableTest],
  // Identity: JS === matches Python's `is` for None, True/False and the same object.
  ['sameas', define('test_sameas', [{ name: 'other' }], (_ctx, value, [other]) => value === other)],
  ['escaped', define('test_escaped', [], (_ctx, value) => hasHtml(value))],
  ['in', define('test_in', [{ name: 'seq' }], (_ctx, value, [seq]) => pyContains(seq, value))],
  ['==', equalTo],
  ['eq', equalTo],
  ['equalto', equalTo],
  ['!=', notEqualTo],
  ['ne', notEqualTo],
  ['>', greaterThan],
  ['gt', greaterThan],
  ['greaterthan', greaterThan],
  ['ge', greaterOrEqual],
  ['>=', greaterOrEqual],
  ['<', lessThan],
  ['lt', lessThan],
  ['lessthan', lessThan],
  ['<=', lessOrEqual],
  ['le', lessOrEqual],
]);
