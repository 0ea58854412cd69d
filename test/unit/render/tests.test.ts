// Differential tests of the builtin tests (`x is name`): every case runs through our BUILTIN_TESTS
// and through Jinja2's own tests (env.call_test, one Python process for the table); results and
// exceptions (type and message) must be equal.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { BUILTIN_TESTS } from '../../../server/src/engines/render/tests';
import { PyDict, PyError, PyObject, type PyValue } from '../../../server/src/engines/render/pyValues';
import { FakeContext } from './support/fakeContext';
import { D, DK, F, FN, G, M, SELF, T, U, caseLabel, decodeCall, describeOurs, runReference, type Encoded, type ReferenceCase } from './support/jinjaReference';

const c = (name: string, value: Encoded, args: Encoded[] = [], options: Partial<ReferenceCase> = {}): ReferenceCase => ({ name, value, args, ...options });

/** The same test applied to a spread of values of every kind. */
function acrossValues(name: string, args: Encoded[] = []): ReferenceCase[] {
  const values: Encoded[] = [null, true, false, 0, 1, 7, -3, F(2.0), F(3.5), '', 'abc', 'ABC', 'Abc', '123', M('<b>'), [], [1], T(), T(1), D({}), D({ a: 1 }), U('missing'), U('missing', 'default'), G(1), FN('f')];
  return values.map((value) => c(name, value, args));
}

const CASES: ReferenceCase[] = [
  ...acrossValues('defined'),
  ...acrossValues('undefined'),
  ...acrossValues('none'),
  ...acrossValues('boolean'),
  ...acrossValues('true'),
  ...acrossValues('false'),
  ...acrossValues('integer'),
  ...acrossValues('float'),
  ...acrossValues('number'),
  ...acrossValues('string'),
  ...acrossValues('mapping'),
  ...acrossValues('iterable'),
  ...acrossValues('sequence'),
  ...acrossValues('callable'),
  ...acrossValues('escaped'),
  ...acrossValues('lower'),
  ...acrossValues('upper'),
  c('odd', 3),
  c('odd', -3),
  c('odd', 4),
  c('odd', F(3.0)),
  c('odd', true),
  c('odd', 'abc'),
  c('odd', '%d'),
  c('odd', null),
  c('odd', U('missing')),
  c('even', 4),
  c('even', -2),
  c('even', F(2.5)),
  c('even', 0),
  c('divisibleby', 9, [3]),
  c('divisibleby', 10, [3]),
  c('divisibleby', 10, [0]),
  c('divisibleby', F(7.5), [F(2.5)]),
  c('divisibleby', F(1.0), [F(0.0)]),
  c('divisibleby', 'x', [2]),
  c('lower', 'abc1'),
  c('lower', 'ǅ'),
  c('lower', 'ª'),
  c('upper', 'ÀÉ1'),
  c('upper', 'ß'),
  c('lower', U('missing', 'strict')),
  c('filter', 'upper'),
  c('filter', 'nosuch'),
  c('filter', 5),
  c('filter', [1]),
  c('test', 'odd'),
  c('test', 'equalto'),
  c('test', 'upper'),
  c('test', 'nosuch'),
  c('test', T('odd')),
  c('sameas', null, [null]),
  c('sameas', false, [false]),
  c('sameas', true, [1]),
  c('sameas', 0, [false]),
  c('sameas', [1], [SELF]),
  c('sameas', D({ a: 1 }), [SELF]),
  c('sameas', [1], [[1]]),
  c('sameas', U('missing'), [SELF]),
  c('in', 'b', ['abc']),
  c('in', 'd', ['abc']),
  c('in', 1, [[1, 2]]),
  c('in', F(1.0), [T(1, 2)]),
  c('in', 'a', [D({ a: 1 })]),
  c('in', true, [DK([1, 'x'])]),
  c('in', 1, ['abc']),
  c('in', [1], [D({ a: 1 })]),
  c('in', 'x', [U('missing')]),
  c('in', 'x', [5]),
  c('in', 'x', [U('missing', 'strict')]),
  c('eq', 1, [F(1.0)]),
  c('==', 'a', [M('a')]),
  c('equalto', [1, 2], [[1, 2]]),
  c('equalto', [1, 2], [T(1, 2)]),
  c('eq', U('missing'), [U('other')]),
  c('eq', U('missing'), [null]),
  c('eq', U('missing', 'strict'), [1]),
  c('ne', 1, [2]),
  c('!=', D({ a: 1 }), [D({ a: 1 })]),
  c('gt', 2, [1]),
  c('>', 'b', ['a']),
  c('greaterthan', [1, 2], [[1]]),
  c('gt', 1, ['a']),
  c('gt', U('missing'), [1]),
  c('ge', 2, [2]),
  c('>=', F(1.5), [2]),
  c('lt', 1, [2]),
  c('<', T(1, 'a'), [T(1, 'b')]),
  c('lessthan', null, [1]),
  c('lt', 1, [U('missing')]),
  c('le', 2, [2]),
  c('<=', 'a', ['B']),
  c('le', [1], [T(1)]),
  c('eq', 1, [], { kwargs: { b: 1 } }),
  c('gt', 1, [1, 2]),
  c('callable', 1, [2]),
  c('callable', 1, [], { kwargs: { x: 2 } }),
  c('divisibleby', 1, [], { kwargs: { num: 1 } }),
];

describe('builtin tests agree with Jinja2', () => {
  it('gives the same results and exceptions as env.call_test for each case', (t) => {
    const { outcomes, skipReason } = runReference('test', CASES);
    if (!outcomes) {
      console.log(`skipping the Jinja2 test comparison: ${skipReason}`);
      t.skip(skipReason);
      return;
    }
    assert.equal(outcomes.length, CASES.length);
    const mismatches: string[] = [];
    CASES.forEach((testCase, index) => {
      const ctx = new FakeContext({ undefinedMode: testCase.mode ?? 'chainable' });
      const test = BUILTIN_TESTS.get(testCase.name);
      assert.ok(test, `no test ${testCase.name}`);
      const ours = describeOurs(() => {
        const { value, args, kwargs } = decodeCall(testCase);
        return test(ctx, value, args, kwargs);
      });
      const theirs = outcomes[index];
      if (JSON.stringify(ours) !== JSON.stringify(theirs)) {
        mismatches.push(`${caseLabel(testCase)}\n   ours:   ${JSON.stringify(ours)}\n   jinja2: ${JSON.stringify(theirs)}`);
      }
    });
    assert.equal(mismatches.length, 0, `${mismatches.length} of ${CASES.length} cases differ:\n${mismatches.join('\n')}`);
    const trueCount = outcomes.filter((outcome) => 'str' in outcome && outcome.str === 'True').length;
    const falseCount = outcomes.filter((outcome) => 'str' in outcome && outcome.str === 'False').length;
    const errors = outcomes.length - trueCount - falseCount;
    assert.ok(trueCount >= 50 && falseCount >= 50 && errors >= 10, `true ${trueCount}, false ${falseCount}, errors ${errors}`);
  });

  it('has every test of Jinja2 3.1', () => {
    const names = [
      'odd', 'even', 'divisibleby', 'defined', 'undefined', 'filter', 'test', 'none', 'boolean', 'false', 'true',
      'integer', 'float', 'lower', 'upper', 'string', 'mapping', 'number', 'sequence', 'iterable', 'callable',
      'sameas', 'escaped', 'in', '==', 'eq', 'equalto', '!=', 'ne', '>', 'gt', 'greaterthan', 'ge', '>=', '<', 'lt',
      'lessthan', '<=', 'le',
    ];
    assert.deepEqual([...BUILTIN_TESTS.keys()].sort(), names.sort());
  });
});

describe('filter and test lookups', () => {
  it('asks the context for plugin filters and tests when it can list them', () => {
    const ctx = Object.assign(new FakeContext(), { hasFilter: (name: string) => name === 'plugin_filter', hasTest: (name: string) => name === 'plugin_test' });
    const run = (name: string, value: PyValue): boolean => BUILTIN_TESTS.get(name)!(ctx, value, [], new Map());
    assert.deepEqual([run('filter', 'plugin_filter'), run('filter', 'upper'), run('test', 'plugin_test'), run('test', 'odd')], [true, false, true, false]);
  });

  it('counts objects the runtime calls (macros, loop) as callable, plain objects not', () => {
    class CallableObject extends PyObject {
      readonly typeName = 'Macro';
      impl(): PyValue {
        return null;
      }
    }
    class PlainObject extends PyObject {
      readonly typeName = 'Namespace';
    }
    const callable = BUILTIN_TESTS.get('callable')!;
    assert.deepEqual([callable(new FakeContext(), new CallableObject(), [], new Map()), callable(new FakeContext(), new PlainObject(), [], new Map())], [true, false]);
  });

  it('raises for unhashable names as a dict lookup does', () => {
    assert.throws(
      () => BUILTIN_TESTS.get('filter')!(new FakeContext(), new PyDict(), [], new Map()),
      (error: unknown) => error instanceof PyError && error.message === "unhashable type: 'dict'",
    );
  });
});
