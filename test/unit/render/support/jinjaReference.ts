// Differential harness for filters and tests: cases are written in a JSON encoding that keeps
// Python's types (float vs int, tuple, Markup, Undefined, generators); one /usr/bin/python3 run
// applies Jinja2's real filters/tests to all of them, and our side decodes the same JSON.
import { spawnSync } from 'node:child_process';
import { PyIterator } from '../../../../server/src/engines/render/filters';
import {
  Markup,
  PyDict,
  PyError,
  PyFloat,
  PyFunction,
  Undefined,
  dictKey,
  pyStr,
  tuple,
  typeName,
  type PyKwargs,
  type PyValue,
  type UndefinedMode,
} from '../../../../server/src/engines/render/pyValues';
import { REFERENCE_PYTHON, referenceUnavailable } from '../../../support/referencePython';

/** A value in the shared encoding: JSON plus tagged objects for the types JSON cannot tell apart. */
export type Encoded =
  | null
  | boolean
  | number
  | string
  | Encoded[]
  | { $float: number | 'nan' | 'inf' | '-inf' | '-0' }
  | { $tuple: Encoded[] }
  | { $dict: [Encoded, Encoded][] }
  | { $markup: string }
  | { $undefined: UndefinedMode; name: string }
  | { $iter: Encoded[] }
  | { $func: string }
  | { $self: true };

/** A float (JSON alone would make 1.0 an int). */
export function F(value: number): Encoded {
  if (Number.isNaN(value)) return { $float: 'nan' };
  if (!Number.isFinite(value)) return { $float: value > 0 ? 'inf' : '-inf' };
  // JSON writes -0 as 0.
  if (Object.is(value, -0)) return { $float: '-0' };
  return { $float: value };
}
export const T = (...items: Encoded[]): Encoded => ({ $tuple: items });
/** A dict with str keys, in the order written. */
export const D = (entries: Record<string, Encoded>): Encoded => ({ $dict: Object.entries(entries) });
/** A dict with any keys. */
export const DK = (...entries: [Encoded, Encoded][]): Encoded => ({ $dict: entries });
export const M = (text: string): Encoded => ({ $markup: text });
export const U = (name: string, mode: UndefinedMode = 'chainable'): Encoded => ({ $undefined: mode, name });
/** A generator over the items. */
export const G = (...items: Encoded[]): Encoded => ({ $iter: items });
/** A function object. */
export const FN = (name: string): Encoded => ({ $func: name });
/** In an argument: the very object passed as the value (for `sameas`). */
export const SELF: Encoded = { $self: true };

export interface ReferenceCase {
  /** Filter or test name. */
  name: string;
  value: Encoded;
  args?: Encoded[];
  kwargs?: Record<string, Encoded>;
  /** The environment's undefined class (default chainable, as cluster-template configures). */
  mode?: UndefinedMode;
  autoescape?: boolean;
}

/** What a call produced: the result's type and str(), a consumed iterator's items, or the exception. */
export type Outcome = { type: string; str: string } | { type: string; items: string } | { error: string; message: string };

/** Decodes a value for our side; `self` stands for the case's value (sameas). */
export function decode(encoded: Encoded, self?: PyValue): PyValue {
  if (encoded === null || typeof encoded === 'boolean' || typeof encoded === 'string' || typeof encoded === 'number') return encoded;
  if (Array.isArray(encoded)) return encoded.map((item) => decode(item, self));
  if ('$float' in encoded) {
    const raw = encoded.$float;
    return new PyFloat(raw === 'nan' ? NaN : raw === 'inf' ? Infinity : raw === '-inf' ? -Infinity : raw === '-0' ? -0 : raw);
  }
  if ('$tuple' in encoded) return tuple(encoded.$tuple.map((item) => decode(item, self)));
  if ('$dict' in encoded) {
    const dict = new PyDict();
    for (const [key, item] of encoded.$dict) dict.set(dictKey(decode(key))!, decode(item, self));
    return dict;
  }
  if ('$markup' in encoded) return new Markup(encoded.$markup);
  if ('$undefined' in encoded) return new Undefined(encoded.$undefined, `'${encoded.name}' is undefined`, encoded.name);
  if ('$iter' in encoded) return new PyIterator('generator', '<genexpr>', (decode(encoded.$iter, self) as PyValue[])[Symbol.iterator]());
  if ('$func' in encoded) return new PyFunction(encoded.$func, () => null);
  if ('$self' in encoded) {
    if (self === undefined) throw new Error('$self outside an argument');
    return self;
  }
  throw new Error(`cannot decode ${JSON.stringify(encoded)}`);
}

/** Runs a filter or test of ours on a case's decoded value and arguments. */
export function decodeCall(testCase: ReferenceCase): { value: PyValue; args: PyValue[]; kwargs: PyKwargs } {
  const value = decode(testCase.value);
  const args = (testCase.args ?? []).map((arg) => decode(arg, value));
  const kwargs: PyKwargs = new Map(Object.entries(testCase.kwargs ?? {}).map(([key, arg]) => [key, decode(arg, value)]));
  return { value, args, kwargs };
}

/** Our outcome, described as the Python side describes Jinja2's. */
export function describeOurs(run: () => PyValue): Outcome {
  try {
    const result = run();
    if (result instanceof PyIterator) return { type: result.typeName, items: pyStr(result.iterate()) };
    return { type: typeName(result), str: pyStr(result) };
  } catch (error) {
    if (error instanceof PyError) return { error: error.pyType, message: error.message };
    return { error: `JS ${(error as Error).name}`, message: (error as Error).message };
  }
}

// Reads {kind, cases} on stdin and prints one outcome per case.
const PYTHON = String.raw`
import json, sys, types
from jinja2 import Environment, Undefined, ChainableUndefined, StrictUndefined, DebugUndefined
from markupsafe import Markup

CLASSES = {'default': Undefined, 'chainable': ChainableUndefined, 'strict': StrictUndefined, 'debug': DebugUndefined}
ITERATORS = (types.GeneratorType, type(reversed([])), type(reversed(())), type(reversed({})))

def decode(v, self=None):
    if isinstance(v, list):
        return [decode(x, self) for x in v]
    if isinstance(v, dict):
        if '$float' in v:
            return float(v['$float'])
        if '$tuple' in v:
            return tuple(decode(x, self) for x in v['$tuple'])
        if '$dict' in v:
            return {decode(k): decode(x, self) for k, x in v['$dict']}
        if '$markup' in v:
            return Markup(v['$markup'])
        if '$undefined' in v:
            return CLASSES[v['$undefined']](name=v['name'])
        if '$iter' in v:
            return (x for x in decode(v['$iter'], self))
        if '$func' in v:
            def function(*args, **kwargs):
                return None
            function.__name__ = v['$func']
            return function
        if '$self' in v:
            return self
    return v

def describe(result):
    try:
        if isinstance(result, ITERATORS):
            return {'type': type(result).__name__, 'items': str(list(result))}
        return {'type': type(result).__name__, 'str': str(result)}
    except Exception as e:
        return {'error': type(e).__name__, 'message': str(e)}

request = json.load(sys.stdin)
environments = {}
outcomes = []
for case in request['cases']:
    key = (case.get('mode', 'chainable'), bool(case.get('autoescape')))
    if key not in environments:
        env = Environment(undefined=CLASSES[key[0]], autoescape=key[1])
        environments[key] = (env, env.from_string('').new_context({}))
    env, context = environments[key]
    value = decode(case['value'])
    args = [decode(a, value) for a in case.get('args', [])]
    kwargs = {k: decode(a, value) for k, a in case.get('kwargs', {}).items()}
    try:
        if request['kind'] == 'filter':
            result = env.call_filter(case['name'], value, args, kwargs, context=context)
        else:
            result = env.call_test(case['name'], value, args, kwargs, context=context)
    except Exception as e:
        outcomes.append({'error': type(e).__name__, 'message': str(e)})
        continue
    outcomes.append(describe(result))
print(json.dumps(outcomes))
`;

/** Jinja2's outcomes for the cases, or why the reference cannot run here. */
export function runReference(kind: 'filter' | 'test', cases: ReferenceCase[]): { outcomes?: Outcome[]; skipReason?: string } {
  const run = spawnSync(REFERENCE_PYTHON, ['-c', PYTHON], { input: JSON.stringify({ kind, cases }), encoding: 'utf8', timeout: 60_000 });
  if (run.error) return { skipReason: referenceUnavailable(`python3 could not be started (${run.error.message})`) };
  if (run.status !== 0) {
    if (/No module named '?(jinja2|markupsafe)/.test(run.stderr)) return { skipReason: referenceUnavailable('the jinja2 Python module is not installed (apt-get install python3-jinja2)') };
    throw new Error(`python3 failed: ${run.stderr}`);
  }
  return { outcomes: JSON.parse(run.stdout) as Outcome[] };
}

/** A readable label for a case in failure messages. */
export function caseLabel(testCase: ReferenceCase): string {
  const parts = [JSON.stringify(testCase.value), testCase.name];
  if (testCase.args?.length) parts.push(`args=${JSON.stringify(testCase.args)}`);
  if (testCase.kwargs) parts.push(`kwargs=${JSON.stringify(testCase.kwargs)}`);
  if (testCase.mode) parts.push(`mode=${testCase.mode}`);
  if (testCase.autoescape) parts.push('autoescape');
  return parts.join(' | ');
}
