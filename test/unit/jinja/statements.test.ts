// Jinja statements: every tag form, the tree around it, and the spans callers fold, outline and link.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Statement } from '../../../server/src/services/jinja/ast';
import { DEFAULTS, parse, showBody, slice } from './parserSupport';

function tree(text: string): string {
  const parsed = parse(text);
  assert.deepEqual(parsed.problems, [], `unexpected problems for ${text}`);
  return showBody(text, parsed.body);
}

function only<K extends Statement['kind']>(text: string, kind: K): Extract<Statement, { kind: K }> {
  const parsed = parse(text);
  assert.deepEqual(parsed.problems, []);
  const node = parsed.body.find((statement) => statement.kind === kind);
  if (!node) throw new Error(`no ${kind} in ${text}`);
  return node as Extract<Statement, { kind: K }>;
}

describe('jinja statements', () => {
  it('reads every statement form', () => {
    const cases: [string, string][] = [
      ['a #{ x }# b', '"a " (out x) " b"'],
      ['#{ a, b }#', '(out (tuple a b))'],
      ['#| note #|', '(comment " note ")'],
      ['#% if a %#1#% elif b %#2#% elif c %#3#% else %#4#% endif %#', '(if a "1" elif b "2" elif c "3" else "4")'],
      ['#% if a: %#1#% else: %#2#% endif %#', '(if a "1" else "2")'],
      ['#% if a, b %##% endif %#', '(if (tuple a b))'],
      ['#% for x in xs %##{ x }##% endfor %#', '(for x xs (out x))'],
      ['#% for k, v in d.items() if k recursive %#1#% else %#2#% endfor %#', '(for (tuple k v) (call (. d items)) if k recursive "1" else "2")'],
      ['#% for (a, b) in c %##% endfor %#', '(for (tuple a b) c)'],
      ['#% for x in a, b %##% endfor %#', '(for x (tuple a b))'],
      ['#% set x = 1 %#', '(set x 1)'],
      ['#% set a, b = 1, 2 %#', '(set (tuple a b) (tuple 1 2))'],
      ['#% set ns.found = true %#', '(set (ns ns found) true)'],
      ['#% set x %#t#% endset %#', '(setblock x "t")'],
      ['#% set x | trim | upper %#t#% endset %#', '(setblock x (|upper (|trim _)) "t")'],
      ['#% macro m(a, b=1) %##{ a }##% endmacro %#', '(macro m (a b=1) (out a))'],
      ['#% macro m() %##% endmacro %#', '(macro m ())'],
      ['#% call(x) m(1) %##{ x }##% endcall %#', '(callblock (x) (call m 1) (out x))'],
      ['#% call m() %#b#% endcall %#', '(callblock () (call m) "b")'],
      ['#% filter indent(width=4, first=False) %#x#% endfilter %#', '(filterblock (|indent _ width=4 first=false) "x")'],
      ['#% filter upper | trim %#x#% endfilter %#', '(filterblock (|trim (|upper _)) "x")'],
      ["#% include 'a.j2' %#", '(include "a.j2" with-context)'],
      ["#% include ['a', 'b'] ignore missing without context %#", '(include ["a", "b"] ignore-missing without-context)'],
      ["#% import 'macros.j2' as m %#", '(import "macros.j2" as m)'],
      ["#% import 'macros.j2' as m with context %#", '(import "macros.j2" as m with-context)'],
      ["#% from 'm.j2' import a, b as c %#", '(from "m.j2" import a b as c)'],
      ["#% from 'm.j2' import a with context %#", '(from "m.j2" import a with-context)'],
      ['#% with a = 1, b = c %##{ a }##% endwith %#', '(with a=1 b=c (out a))'],
      ['#% raw %##{ x }# #% if %##% endraw %#', '(raw "#{ x }# #% if %#")'],
      ['#% block body scoped %#x#% endblock body %#', '(block body scoped "x")'],
      ['#% block a required %# #| c #| #% endblock %#', '(block a required " " (comment " c ") " ")'],
      ["#% extends 'base.j2' %#", '(extends "base.j2")'],
      ['#% autoescape false %#x#% endautoescape %#', '(autoescape false "x")'],
      ['#% do items.append(1) %#', '(do (call (. items append) 1))'],
      ['#% for x in y %##% continue %##% break %##% endfor %#', '(for x y (continue) (break))'],
      ['#% print a, b %#', '(print a b)'],
    ];
    assert.deepEqual(
      cases.map(([text]) => [text, tree(text)]),
      cases,
    );
  });

  it('nests blocks', () => {
    const text = '#% for n in nodes %#\n#% if n.controller %#\n- #{ n.name }#\n#% endif %#\n#% endfor %#\n';
    assert.equal(tree(text), '(for n nodes "\\n" (if (. n controller) "\\n- " (out (. n name)) "\\n") "\\n") "\\n"');
  });

  it('records opening and closing tag spans of blocks and branch tags', () => {
    const text = 'x\n#% if a %#\n1\n#%- elif b -%#\n2\n#% else %#\n3\n#% endif %#\ny';
    const node = only(text, 'If');
    assert.equal(slice(text, node.span), '#% if a %#\n1\n#%- elif b -%#\n2\n#% else %#\n3\n#% endif %#');
    assert.equal(slice(text, node.openTagSpan), '#% if a %#');
    assert.equal(slice(text, node.closeTagSpan), '#% endif %#');
    assert.deepEqual(
      node.branches.map((branch) => [slice(text, branch.tagSpan), slice(text, branch.test.span)]),
      [
        ['#% if a %#', 'a'],
        ['#%- elif b -%#', 'b'],
      ],
    );
    assert.equal(slice(text, node.else?.tagSpan), '#% else %#');
    assert.deepEqual([node.branches[1].tag.trimLeft, node.branches[1].tag.trimRight], [true, true]);
    assert.equal(node.openTag.span, node.openTagSpan);
  });

  it('spans for targets, set targets, macro names and params, imports', () => {
    const forText = '#% for key, value in data | dictsort %##% endfor %#';
    const loop = only(forText, 'For');
    assert.equal(loop.target.kind, 'Tuple');
    if (loop.target.kind === 'Tuple') assert.deepEqual(loop.target.items.map((item) => slice(forText, item.span)), ['key', 'value']);
    assert.equal(slice(forText, loop.iter.span), 'data | dictsort');

    const setText = '#% set count, total = 1, 2 %#';
    const set = only(setText, 'Set');
    assert.deepEqual(
      set.targets.map((target) => slice(setText, target.span)),
      ['count', 'total'],
    );
    const nsText = '#% set ns.count = 1 %#';
    const nsSet = only(nsText, 'Set');
    const nsTarget = nsSet.targets[0];
    assert.equal(nsTarget.kind, 'NsRef');
    if (nsTarget.kind === 'NsRef') assert.deepEqual([slice(nsText, nsTarget.span), slice(nsText, nsTarget.nameSpan), slice(nsText, nsTarget.attrSpan)], ['ns.count', 'ns', 'count']);

    const macroText = '#% macro render(item, indent=2) %##% endmacro %#';
    const macro = only(macroText, 'Macro');
    assert.equal(slice(macroText, macro.nameSpan), 'render');
    assert.deepEqual(
      macro.params.map((param) => [slice(macroText, param.nameSpan), slice(macroText, param.span)]),
      [
        ['item', 'item'],
        ['indent', 'indent=2'],
      ],
    );
    assert.equal(slice(macroText, macro.closeTagSpan), '#% endmacro %#');

    const importText = "#% import 'lib.j2' as lib %##% from 'x.j2' import a as b %##% include 'part.j2' %#";
    const parsed = parse(importText);
    const [imported, fromImport, include] = parsed.body;
    if (imported.kind !== 'Import' || fromImport.kind !== 'FromImport' || include.kind !== 'Include') return assert.fail('unexpected statements');
    assert.deepEqual([slice(importText, imported.template.span), slice(importText, imported.aliasSpan)], ["'lib.j2'", 'lib']);
    assert.deepEqual([slice(importText, fromImport.names[0].nameSpan), slice(importText, fromImport.names[0].aliasSpan)], ['a', 'b']);
    assert.equal(slice(importText, include.template.span), "'part.j2'");
  });

  it('records whitespace markers on every tag', () => {
    const text = 'a\n  #%- if x +%#\n#{- y -}#\n#%+ endif -%#\n#|- c -#|';
    const parsed = parse(text);
    assert.deepEqual(parsed.problems, []);
    assert.deepEqual(
      parsed.tags.map((tag) => [tag.kind, slice(text, tag.span), tag.trimLeft, tag.trimRight, tag.keepLeft, tag.keepRight]),
      [
        ['block', '#%- if x +%#', true, false, false, true],
        ['variable', '#{- y -}#', true, true, false, false],
        ['block', '#%+ endif -%#', false, true, true, false],
        ['comment', '#|- c -#|', true, true, false, false],
      ],
    );
    // A marker is not part of the expression next to it.
    assert.equal(tree('#{ x -}#'), '(out x)');
    assert.equal(tree('#{ 1 -}#'), '(out 1)');
  });

  it("reads Jinja's default delimiters", () => {
    const text = "{% for x in xs %}{{ {'a': {'b': x}} }}{# c #}{% endfor %}{%- raw -%}{{ y }}{%+ endraw +%}";
    const parsed = parse(text, DEFAULTS);
    assert.deepEqual(parsed.problems, []);
    assert.equal(showBody(text, parsed.body), '(for x xs (out {"a": {"b": x}}) (comment " c ")) (raw "{{ y }}")');
  });
});
