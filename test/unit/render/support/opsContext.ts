// Test support for the operator, method and global differential tests: a RuntimeContext wired to
// methods.ts, short constructors for Python values, the JSON tagging test/support/pyOpsReference.py
// reads, one reference run per test file, and our side of each outcome in the same shape.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import {
  Markup,
  PyDict,
  PyError,
  PyFloat,
  PyFunction,
  PySlice,
  PyTuple,
  Undefined,
  pyStr,
  tuple,
  typeName,
  type PyKwargs,
  type PyValue,
  type RuntimeContext,
  type UndefinedMode,
} from '../../../../server/src/engines/render/pyValues';
import { jinjaGetattr, jinjaGetitem } from '../../../../server/src/engines/render/methods';
import { REFERENCE_PYTHON, referenceUnavailable } from '../../../support/referencePython';

/** A context with Jinja's getattr/getitem and calls of PyFunctions; filters and tests are absent. */
export function makeOpsContext(undefinedMode: UndefinedMode = 'default'): RuntimeContext {
  const ctx: RuntimeContext = {
    undefinedMode,
    makeUndefined: (hint, name) => new Undefined(undefinedMode, hint, name),
    getattr: (obj, name) => jinjaGetattr(ctx, obj, name),
    getitem: (obj, key) => jinjaGetitem(ctx, obj, key),
    callFilter: (name) => {
      throw new Error(`no filter ${name} in the operators test context`);
    },
    callTest: (name) => {
      throw new Error(`no test ${name} in the operators test context`);
    },
    call: (callee, args, kwargs) => {
      if (callee instanceof PyFunction) return callee.impl(ctx, args, kwargs ?? new Map());
      throw new PyError('TypeError', `'${typeName(callee)}' object is not callable`);
    },
    globals: new Map(),
  };
  return ctx;
}

// ---------------------------------------------------------------------------------------------
// Value constructors: f(1.5) float, t(1, 2) tuple, d(['a', 1]) dict, m('x') Markup, u('x') Undefined

/** A variable that is not defined: `name` in the test's undefined mode (set when encoding/using). */
export class UndefinedName {
  constructor(readonly name: string) {}
}

export const f = (value: number): PyFloat => new PyFloat(value);
/** A tuple; its items may be undefined names (resolved by toPy in the case's mode). */
export const t = (...items: (PyValue | UndefinedName)[]): PyTuple => tuple(items as PyValue[]);
export const d = (...entries: [string | number | boolean | null, PyValue][]): PyDict => PyDict.of(entries);
export const m = (text: string): Markup => new Markup(text);
export const u = (name: string): UndefinedName => new UndefinedName(name);
export const sl = (start: PyValue, stop: PyValue, step: PyValue = null): PySlice => new PySlice(start, stop, step);
export const kw = (entries: Record<string, PyValue> = {}): PyKwargs => new Map(Object.entries(entries));

/** A test value: a PyValue, or an undefined name resolved in the case's mode. */
export type CaseValue = PyValue | UndefinedName | PySlice | CaseValue[];

/** Our PyValue for a case value (Undefined made in `mode`), deep-copied so cases never share lists. */
export function toPy(value: CaseValue, mode: UndefinedMode): PyValue {
  if (value instanceof UndefinedName) return new Undefined(mode, `'${value.name}' is undefined`, value.name);
  if (value instanceof PySlice) return value as unknown as PyValue;
  if (value instanceof PyTuple) return tuple(value.map((item) => toPy(item, mode)));
  if (Array.isArray(value)) return value.map((item) => toPy(item, mode));
  if (value instanceof PyDict) return PyDict.of([...value].map(([key, item]) => [key, toPy(item, mode)]));
  return value;
}

/** The tagged JSON the Python side decodes. */
export function encode(value: CaseValue | PyKwargs): unknown {
  if (value instanceof Map && !(value instanceof PyDict)) return Object.fromEntries([...value].map(([key, item]) => [key, encode(item)]));
  if (value instanceof UndefinedName) return { $undefined: value.name };
  if (value instanceof PySlice) return { $slice: [encode(value.start), encode(value.stop), encode(value.step)] };
  if (value instanceof PyFloat) {
    if (Object.is(value.value, -0)) return { $float: '-0.0' };
    return { $float: Number.isFinite(value.value) ? value.value : String(value.value).replace('Infinity', 'inf').replace('NaN', 'nan') };
  }
  if (value instanceof PyTuple) return { $tuple: value.map(encode) };
  if (Array.isArray(value)) return value.map(encode);
  if (value instanceof PyDict) return { $dict: [...value].map(([key, item]) => [key, encode(item)]) };
  if (value instanceof Markup) return { $markup: value.text };
  if (value instanceof Undefined) return { $undefined: value.name ?? 'x' };
  if (typeof value === 'number' && !Number.isInteger(value)) throw new Error(`int ${value} is not integral; use f()`);
  return value;
}

// ---------------------------------------------------------------------------------------------
// Outcomes

/** What both sides report for one evaluation. */
export interface Outcome {
  type?: string;
  str?: string;
  /** The Undefined's message, when the result is an Undefined. */
  hint?: string;
  error?: [string, string];
  /** str() of the receiver after a method call (mutation check). */
  after?: string;
  steps?: Outcome[];
}

/** Python's class name of a value, as type(value).__name__ prints it. */
function pythonTypeName(value: PyValue): string {
  return typeName(value);
}

/** str() of a value or the failure of str(), in the reference script's words. */
export function strOf(value: PyValue): string {
  try {
    return pyStr(value);
  } catch (error) {
    if (error instanceof PyError) return `<str failed: ${error.pyType}: ${error.message}>`;
    throw error;
  }
}

export function describe(value: PyValue): Outcome {
  const described: Outcome = { type: pythonTypeName(value) };
  if (value instanceof Undefined) described.hint = value.hint;
  described.str = strOf(value);
  return described;
}

/** Runs our side of a case: its result described, or the PyError it raised. */
export function ourOutcome(action: () => PyValue): Outcome {
  let result: PyValue;
  try {
    result = action();
  } catch (error) {
    if (error instanceof PyError) return { error: [error.pyType, error.message] };
    throw error;
  }
  return describe(result);
}

const SCRIPT = join(__dirname, '..', '..', '..', '..', '..', 'test', 'support', 'pyOpsReference.py');

/** Evaluates the cases in one Python process; a skip reason when the reference is missing. */
export function runReference(cases: unknown[]): { outcomes?: Outcome[]; skipReason?: string } {
  const run = spawnSync(REFERENCE_PYTHON, [SCRIPT], { input: JSON.stringify(cases), encoding: 'utf8', timeout: 60_000, maxBuffer: 64 * 1024 * 1024 });
  if (run.error) return { skipReason: referenceUnavailable(`python3 could not be started (${run.error.message})`) };
  if (run.status !== 0) {
    if (/No module named '?(jinja2|markupsafe)/.test(run.stderr)) return { skipReason: referenceUnavailable('the jinja2 Python module is not installed (apt-get install python3-jinja2)') };
    throw new Error(`python3 failed: ${run.stderr}`);
  }
  const outcomes = JSON.parse(run.stdout) as Outcome[];
  if (outcomes.length !== cases.length) throw new Error(`reference answered ${outcomes.length} of ${cases.length} cases`);
  return { outcomes };
}

/** A readable label for a case in assertion output. */
export function label(value: CaseValue | PyKwargs): string {
  return JSON.stringify(encode(value));
}
