// Jinja expressions: every form, Jinja's precedence, and exact spans of names, attributes, filters.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Expr } from '../../../server/src/services/jinja/ast';
import { parseExpr, showExpr, slice } from './parserSupport';

function shape(source: string): string {
  const { expr, problems } = parseExpr(source);
  assert.deepEqual(problems, [], `unexpected problems for ${source}`);
  return showExpr(expr);
}

describe('jinja expressions', () => {
  it('reads every expression form', () => {
    const cases: [string, string][] = [
      ['node_cidr', 'node_cidr'],
      ['"a\\tb" \'c\'', '"a\\tbc"'],
      ['42', '42'],
      ['1_000', '1000'],
      ['0x1F', '31'],
      ['0b101', '5'],
      ['0o17', '15'],
      ['1.5', '1.5'],
      ['1.5e3', '1500'],
      ['2e-2', '0.02'],
      ['true', 'true'],
      ['False', 'false'],
      ['none', 'none'],
      ['None', 'none'],
      ['[1, a, ]', '[1, a]'],
      ['[]', '[]'],
      ['(1, 2)', '(tuple 1 2)'],
      ['(1,)', '(tuple 1)'],
      ['()', '(tuple)'],
      ['a, b', '(tuple a b)'],
      ['{"a": 1, b: [2],}', '{"a": 1, b: [2]}'],
      ['{}', '{}'],
      ['a.b.c', '(. (. a b) c)'],
      ['a.0', '([] a 0)'],
      ['x.0.1', '([] ([] x 0) 1)'],
      ['a["k"]', '([] a "k")'],
      ['a[1, 2]', '([] a (tuple 1 2))'],
      ['a[1:2]', '([] a (slice 1 2 _))'],
      ['a[::2]', '([] a (slice _ _ 2))'],
      ['a[:]', '([] a (slice _ _ _))'],
      ['a[1:]', '([] a (slice 1 _ _))'],
      ['f()', '(call f)'],
      ['f(1, k=2, *rest, **opts)', '(call f 1 k=2 *rest **opts)'],
      ['f(a)(b)', '(call (call f a) b)'],
      ['a[b](c).d', '(. (call ([] a b) c) d)'],
      ['x | upper', '(|upper x)'],
      ['x | default(1, true) | length', '(|length (|default x 1 true))'],
      ['x | indent(width=4, first=False)', '(|indent x width=4 first=false)'],
      ['x | ns.filter', '(|ns.filter x)'],
      ['x is defined', '(is defined x)'],
      ['x is not none', '(is not none x)'],
      ['x is divisibleby 3', '(is divisibleby x 3)'],
      ['x is sameas(false)', '(is sameas x false)'],
      ['x is in [1]', '(is in x [1])'],
      ['a if b else c', '(if b a c)'],
      ['a if b', '(if b a)'],
      ['a if b else c if d else e', '(if b a (if d c e))'],
      ['a + b - c', '(- (+ a b) c)'],
      ['a * b / c // d % e', '(% (// (/ (* a b) c) d) e)'],
      ['a ** b ** c', '(** (** a b) c)'],
      ["'a' ~ 1 ~ none", '(~ (~ "a" 1) none)'],
      ['-a', '(unary- a)'],
      ['+a', '(unary+ a)'],
      ['not a', '(not a)'],
      ['not not a', '(not (not a))'],
      ['a == b != c < d <= e > f >= g', '(cmp a == b != c < d <= e > f >= g)'],
      ['a in b', '(cmp a in b)'],
      ['a not in b', '(cmp a not in b)'],
      ['a and b or not c', '(or (and a b) (not c))'],
      ['a or b and c', '(or a (and b c))'],
      // Jinja reads a keyword in expression position as a plain name.
      ['if', 'if'],
    ];
    assert.deepEqual(
      cases.map(([source]) => [source, shape(source)]),
      cases,
    );
  });

  it("follows Jinja's precedence", () => {
    const cases: [string, string][] = [
      // A filter binds tighter than every binary operator.
      ['a ~ b | upper', '(~ a (|upper b))'],
      ['a + b | int', '(+ a (|int b))'],
      // `not` is looser than comparisons.
      ['not a in b', '(not (cmp a in b))'],
      ['not a == b', '(not (cmp a == b))'],
      // The else part of a conditional is a full expression, filters included.
      ['x if c else d | e', '(if c x (|e d))'],
      // Unary minus applies before the power and before the filter, as in Jinja.
      ['-2 ** 2', '(** (unary- 2) 2)'],
      ['-a | abs', '(|abs (unary- a))'],
      ['a * b + c * d', '(+ (* a b) (* c d))'],
      ['a + b ~ c', '(+ a (~ b c))'],
      ['a ~ b * c', '(~ a (* b c))'],
      ['(a + b) * c', '(* (+ a b) c)'],
      ['a | f is t', '(is t (|f a))'],
      ['a is t and b', '(and (is t a) b)'],
      ['x | length > 0', '(cmp (|length x) > 0)'],
      ['a.b(c) | f(1) is t', '(is t (|f (call (. a b) c) 1))'],
      ['(nodes | selectattr("controller", "equalto", False) | list | length) and (x | length)', '(and (|length (|list (|selectattr nodes "controller" "equalto" false))) (|length x))'],
    ];
    assert.deepEqual(
      cases.map(([source]) => [source, shape(source)]),
      cases,
    );
  });

  it('decodes string escapes like Python', () => {
    const value = (source: string) => {
      const { expr } = parseExpr(source);
      assert.equal(expr.kind, 'Const');
      return expr.kind === 'Const' ? expr.value : undefined;
    };
    assert.equal(value(String.raw`'a\'b'`), "a'b");
    assert.equal(value(String.raw`"a\"b"`), 'a"b');
    assert.equal(value(String.raw`'\n\t\\'`), '\n\t\\');
    assert.equal(value(String.raw`'\x41\u00e9\U0001F600\101'`), 'Aé😀A');
    // Unknown escapes stay as written (Python keeps the backslash).
    assert.equal(value(String.raw`'\d+'`), '\\d+');
    // `#{` and `}#` inside a string are text, not delimiters.
    assert.equal(value(`'#{ x }#'`), '#{ x }#');
  });

  it('keeps the raw text of literals', () => {
    const { expr } = parseExpr(`'a' "b"`);
    assert.deepEqual(expr, { kind: 'Const', type: 'string', value: 'ab', raw: `'a' "b"`, span: { start: 3, end: 10 } });
    const number = parseExpr('1_0.5e1').expr;
    assert.deepEqual(number, { kind: 'Const', type: 'number', value: 105, raw: '1_0.5e1', span: { start: 3, end: 10 } });
  });

  it('gives exact spans: a name is its identifier, attributes and filter names have their own', () => {
    const { expr, text } = parseExpr('(item.mac_addr | lower) ~ x.y | default(z, true)');
    assert.equal(expr.kind, 'BinOp');
    if (expr.kind !== 'BinOp') return;
    assert.equal(slice(text, expr.span), '(item.mac_addr | lower) ~ x.y | default(z, true)');
    assert.equal(slice(text, expr.opSpan), '~');
    const left = expr.left;
    assert.equal(left.kind, 'Filter');
    if (left.kind !== 'Filter' || !left.node || left.node.kind !== 'Getattr') return assert.fail('expected a filter of a getattr');
    assert.equal(slice(text, left.span), 'item.mac_addr | lower');
    assert.equal(slice(text, left.parenSpan), '(item.mac_addr | lower)');
    assert.equal(slice(text, left.nameSpan), 'lower');
    assert.equal(slice(text, left.node.span), 'item.mac_addr');
    assert.equal(slice(text, left.node.attrSpan), 'mac_addr');
    assert.equal(slice(text, left.node.node.span), 'item');
    const right = expr.right;
    if (right.kind !== 'Filter' || !right.node) return assert.fail('expected a filter');
    assert.equal(slice(text, right.span), 'x.y | default(z, true)');
    assert.equal(slice(text, right.nameSpan), 'default');
    assert.equal(slice(text, right.argsSpan), '(z, true)');
    assert.deepEqual(
      right.args.map((arg) => slice(text, arg.span)),
      ['z', 'true'],
    );
  });

  it('gives spans to keyword arguments, tests, comparisons and conditionals', () => {
    const { expr, text } = parseExpr('f(width=4) if x is not defined else a not in b');
    if (expr.kind !== 'CondExpr' || !expr.expr2) return assert.fail('expected a full conditional');
    assert.equal(slice(text, expr.span), 'f(width=4) if x is not defined else a not in b');
    if (expr.expr1.kind !== 'Call') return assert.fail('expected a call');
    const keyword = expr.expr1.kwargs[0];
    assert.deepEqual([slice(text, keyword.nameSpan), slice(text, keyword.span), slice(text, keyword.value.span)], ['width', 'width=4', '4']);
    if (expr.test.kind !== 'Test') return assert.fail('expected a test');
    assert.deepEqual([slice(text, expr.test.span), slice(text, expr.test.nameSpan), expr.test.negated], ['x is not defined', 'defined', true]);
    if (expr.expr2.kind !== 'Compare') return assert.fail('expected a comparison');
    assert.deepEqual([slice(text, expr.expr2.span), slice(text, expr.expr2.ops[0].opSpan)], ['a not in b', 'not in']);
  });

  it('spans tuples, lists, dicts, subscripts and slices', () => {
    const { expr, text } = parseExpr('a, [1, 2], {"k": v}, s[1:2]');
    if (expr.kind !== 'Tuple') return assert.fail('expected a tuple');
    assert.deepEqual(
      [expr, ...expr.items].map((item: Expr) => slice(text, item.span)),
      ['a, [1, 2], {"k": v}, s[1:2]', 'a', '[1, 2]', '{"k": v}', 's[1:2]'],
    );
    const dict = expr.items[2];
    if (dict.kind !== 'Dict') return assert.fail('expected a dict');
    assert.equal(slice(text, dict.items[0].span), '"k": v');
    const item = expr.items[3];
    if (item.kind !== 'Getitem') return assert.fail('expected a subscript');
    assert.equal(slice(text, item.arg.span), '1:2');
  });

  it('keeps a partial tree where an expression breaks (what completion needs)', () => {
    const cases: [string, string][] = [
      ['node.', '(. node ?)'],
      ['x | ', '(|? x)'],
      ['x is ', '(is ? x)'],
      ['a + ', '(+ a ?)'],
      ['f(a, ', '(call f a ?)'],
    ];
    for (const [source, tree] of cases) {
      const { expr, problems } = parseExpr(source);
      assert.equal(showExpr(expr), tree, source);
      assert.equal(problems.length, 1, source);
    }
    const { expr, text } = parseExpr('node. ');
    if (expr.kind !== 'Getattr') return assert.fail('expected a getattr');
    // The empty attribute sits where the name was expected: right before the end delimiter.
    assert.deepEqual(expr.attrSpan, { start: text.indexOf('}#'), end: text.indexOf('}#') });
  });
});
