// Differential tests for globals.ts: Jinja2's range, dict, cycler, joiner and namespace globals,
// driven step by step here and in real Python + Jinja2 (one /usr/bin/python3 process for the file).
// lipsum is random in Jinja2, so it is checked for shape only.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Namespace, builtinGlobals, generateLoremIpsum } from '../../../server/src/engines/render/globals';
import { jinjaGetattr } from '../../../server/src/engines/render/methods';
import { Markup, PyError, type PyValue } from '../../../server/src/engines/render/pyValues';
import { d, encode, f, m, makeOpsContext, ourOutcome, runReference, t, toPy, u, type CaseValue, type Outcome } from './support/opsContext';

type Step =
  | ['new', string, CaseValue[], Record<string, CaseValue>?]
  | ['attr', string]
  | ['call', string, CaseValue[]?, Record<string, CaseValue>?]
  | ['invoke', CaseValue[]?, Record<string, CaseValue>?];

const scripts: Step[][] = [];

function script(...steps: Step[]): void {
  scripts.push(steps);
}

/** One global called once, nothing after. */
function global(name: string, args: CaseValue[] = [], kwargs: Record<string, CaseValue> = {}): void {
  script(['new', name, args, kwargs]);
}

const encodeKwargs = (kwargs: Record<string, CaseValue> = {}): Record<string, unknown> =>
  Object.fromEntries(Object.entries(kwargs).map(([key, value]) => [key, encode(value)]));
const toKwargs = (kwargs: Record<string, CaseValue> = {}): Map<string, PyValue> =>
  new Map(Object.entries(kwargs).map(([key, value]) => [key, toPy(value, 'default')]));

function encodeStep(step: Step): unknown[] {
  switch (step[0]) {
    case 'new':
      return ['new', step[1], encode(step[2]), encodeKwargs(step[3])];
    case 'attr':
      return step;
    case 'call':
      return ['call', step[1], encode(step[2] ?? []), encodeKwargs(step[3])];
    case 'invoke':
      return ['invoke', encode(step[1] ?? []), encodeKwargs(step[2])];
  }
}

/** Runs a script against our globals: one outcome per step, as the reference script reports. */
function runOurs(steps: Step[]): Outcome {
  const ctx = makeOpsContext('default');
  const globals = builtinGlobals();
  let obj: PyValue = null;
  const args = (values: CaseValue[] = []): PyValue[] => values.map((value) => toPy(value, 'default'));
  return {
    steps: steps.map((step) =>
      ourOutcome(() => {
        switch (step[0]) {
          case 'new':
            obj = ctx.call(globals.get(step[1])!, args(step[2]), toKwargs(step[3]));
            return obj;
          case 'attr':
            return jinjaGetattr(ctx, obj, step[1]);
          case 'call':
            return ctx.call(jinjaGetattr(ctx, obj, step[1]), args(step[2]), toKwargs(step[3]));
          case 'invoke':
            return ctx.call(obj, args(step[1]), toKwargs(step[2]));
        }
      }),
    ),
  };
}

// --- range ------------------------------------------------------------------------------------
// Python's range is a lazy object; the renderer's is a list, so the reference converts with list().
const rangeCases: CaseValue[][] = [[5], [0], [-3], [2, 7], [7, 2], [0, 10, 3], [10, 0, -3], [10, 0, 3], [-5, 5, 2], [1, 2, 0], [f(1.5)], ['3'], [], [1, 2, 3, 4], [true], [u('n')]];

// --- dict -------------------------------------------------------------------------------------
global('dict');
global('dict', [], { a: 1, b: f(2) });
global('dict', [d(['a', 1])], { b: 2 });
global('dict', [d(['a', 1])], { a: 2 });
global('dict', [[t('a', 1), ['b', 2], 'cd']]);
global('dict', [[t('a', 1), t('a', 2)]]);
global('dict', [[[1, 2, 3]]]);
global('dict', [[1]]);
global('dict', [5]);
global('dict', [1, 2]);
global('dict', [[t([1], 2)]]);
global('dict', [[t(1, 'int'), t(true, 'bool'), t(f(1), 'float')]]);

// --- namespace --------------------------------------------------------------------------------
global('namespace');
global('namespace', [], { a: 1, b: 'x' });
global('namespace', [d(['a', 1])], { b: [2] });
global('namespace', [1, 2]);
script(['new', 'namespace', [], { a: 1 }], ['attr', 'a'], ['attr', 'b'], ['attr', 'items']);

// --- cycler -----------------------------------------------------------------------------------
script(
  ['new', 'cycler', ['odd', 'even', 3]],
  ['attr', 'current'],
  ['call', 'next'],
  ['call', 'next'],
  ['attr', 'pos'],
  ['call', 'next'],
  ['call', 'next'],
  ['attr', 'current'],
  ['call', 'reset'],
  ['attr', 'current'],
  ['attr', 'items'],
  ['attr', 'nope'],
  ['call', 'next', [1]],
);
script(['new', 'cycler', []]);
script(['new', 'cycler', [1], { x: 1 }]);
script(['new', 'cycler', [m('<a>')]], ['call', 'next'], ['call', 'next']);

// --- joiner -----------------------------------------------------------------------------------
script(['new', 'joiner', []], ['invoke'], ['invoke'], ['invoke'], ['attr', 'sep'], ['attr', 'used']);
script(['new', 'joiner', [' | ']], ['invoke'], ['invoke']);
script(['new', 'joiner', [], { sep: '-' }], ['invoke'], ['invoke']);
script(['new', 'joiner', [5]], ['invoke'], ['invoke']);
script(['new', 'joiner', []], ['invoke', [1]]);
script(['new', 'joiner', [], { x: 1 }]);

// A range case is a script with one step whose result is list()-ed on the Python side.
const referenceCases: unknown[] = [
  ...rangeCases.map((args) => ({ kind: 'script', steps: [['new', 'range', encode(args), {}]] })),
  ...scripts.map((steps) => ({ kind: 'script', steps: steps.map(encodeStep) })),
];
const ourCases: (() => Outcome)[] = [...rangeCases.map((args) => () => runOurs([['new', 'range', args]])), ...scripts.map((steps) => () => runOurs(steps))];
const caseNames = [...rangeCases.map((args) => `range(${JSON.stringify(encode(args))})`), ...scripts.map((steps) => JSON.stringify(steps.map(encodeStep)))];

describe('Jinja2 globals agree with Python 3 + Jinja2', () => {
  it('matches the reference on every step of every script', (context) => {
    const { outcomes, skipReason } = runReference(referenceCases);
    if (!outcomes) {
      console.log(`skipping the Python differential test: ${skipReason}`);
      context.skip(skipReason);
      return;
    }
    const mismatches = ourCases
      .map((ours, index) => ({ name: caseNames[index], python: withoutAddress(outcomes[index]), ours: withoutAddress(ours()) }))
      .filter((row) => !isDeepEqual(row.python, row.ours));
    assert.deepEqual(mismatches, [], `${mismatches.length} of ${ourCases.length} scripts differ`);
  });

  it('covers enough steps to mean something', () => {
    const steps = rangeCases.length + scripts.reduce((sum, steps) => sum + steps.length, 0);
    assert.ok(steps >= 60, `only ${steps} steps`);
  });
});

describe('globals beyond the reference', () => {
  it('refuses ranges larger than Jinja sandbox MAX_RANGE instead of building a huge list', () => {
    const range = builtinGlobals().get('range')!;
    assert.throws(
      () => makeOpsContext().call(range, [100001]),
      (error: unknown) => error instanceof PyError && error.pyType === 'OverflowError',
    );
    assert.equal((makeOpsContext().call(range, [100000]) as PyValue[]).length, 100000);
  });

  it('lipsum makes paragraphs of capitalised sentences, as HTML by default', () => {
    const ctx = makeOpsContext();
    const lipsum = builtinGlobals().get('lipsum')!;
    const html = ctx.call(lipsum, [2]);
    assert.ok(html instanceof Markup);
    assert.match(html.text, /^<p>[A-Z][A-Za-z, .]+\.<\/p>\n<p>[A-Z][A-Za-z, .]+\.<\/p>$/);
    const text = ctx.call(lipsum, [3, false, 5, 10]);
    assert.equal(typeof text, 'string');
    const paragraphs = (text as string).split('\n\n');
    assert.equal(paragraphs.length, 3);
    for (const paragraph of paragraphs) {
      const words = paragraph.split(' ').length;
      assert.ok(words >= 5 && words < 10, `${words} words`);
      assert.match(paragraph, /\.$/);
    }
  });

  it('lipsum is repeatable for one seed (the renderer output does not change run to run)', () => {
    let state = 0;
    const fixed = (low: number, high: number): number => low + (state++ % (high - low));
    state = 0;
    const first = generateLoremIpsum(fixed, 1, false, 20, 30);
    state = 0;
    assert.equal(generateLoremIpsum(fixed, 1, false, 20, 30), first);
  });

  it('namespace attributes are set through setAttribute and shown in its repr', () => {
    const namespace = new Namespace();
    namespace.setAttribute('found', true);
    namespace.setAttribute('items', [1]);
    assert.equal(namespace.toPyString(), "<Namespace {'found': True, 'items': [1]}>");
    assert.equal(jinjaGetattr(makeOpsContext(), namespace, 'found'), true);
  });
});

/** Objects print with an address in Python (<jinja2.utils.Cycler object at 0x…>); compare types only. */
function withoutAddress(outcome: Outcome): Outcome {
  const strip = (step: Outcome): Outcome => {
    if (step.str !== undefined && / at 0x[0-9a-f]+>$/.test(step.str)) delete step.str;
    if (step.str !== undefined && /^<jinja2\.utils\.\w+ object>$/.test(step.str)) delete step.str;
    if (step.type === 'builtin_function_or_method' || step.type === 'method') delete step.str;
    return step;
  };
  return outcome.steps ? { steps: outcome.steps.map(strip) } : strip(outcome);
}

function isDeepEqual(a: unknown, b: unknown): boolean {
  try {
    assert.deepEqual(a, b);
    return true;
  } catch {
    return false;
  }
}
