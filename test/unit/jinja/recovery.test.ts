// Broken templates: each problem has a stable code and an exact place, and what follows still parses.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse, problemsOf, showBody, slice } from './parserSupport';

function result(text: string): { tree: string; problems: string[] } {
  const parsed = parse(text);
  return { tree: showBody(text, parsed.body), problems: problemsOf(text, parsed) };
}

describe('jinja parser recovery', () => {
  it('reports an unclosed block at its opening tag and keeps parsing', () => {
    assert.deepEqual(result('#% if x %#\na: #{ b }#\n#% for i in l %#c'), {
      tree: '(if x "\\na: " (out b) "\\n" (for i l "c")!)!',
      problems: [
        `unclosed-block@"#% if x %#": 'if' block is not closed: expected '#% endif %#'.`,
        `unclosed-block@"#% for i in l %#": 'for' block is not closed: expected '#% endfor %#'.`,
      ],
    });
    const text = '#% if x %#\na: 1\n';
    const node = parse(text).body[0];
    assert.equal(node.kind === 'If' ? node.closeTagSpan : 'not an if', undefined);
    assert.equal(slice(text, node.span), '#% if x %#\na: 1\n');
  });

  it('reports a wrong end tag naming both blocks, with the opening tag as related', () => {
    const text = '#% if x %#\na\n#% endfor %#\n#{ y }#';
    const parsed = parse(text);
    assert.deepEqual(result(text), {
      tree: '(if x "\\na\\n") "\\n" (out y)',
      problems: [`mismatched-block@"#% endfor %#": 'endfor' cannot close the 'if' block opened on line 1: expected '#% endif %#'.`],
    });
    assert.deepEqual(
      parsed.problems[0].related?.map((related) => [slice(text, related.span), related.message]),
      [['#% if x %#', "'if' block opened here"]],
    );
  });

  it('closes an inner block left open when an outer end tag comes', () => {
    const text = '#% for n in nodes %#\n#% if n.a %#\nx\n#% endfor %#\nafter';
    const parsed = parse(text);
    assert.deepEqual(result(text), {
      tree: '(for n nodes "\\n" (if (. n a) "\\nx\\n")!) "\\nafter"',
      problems: [
        `mismatched-block@"#% endfor %#": 'endfor' belongs to the 'for' block opened on line 1, but the 'if' block opened on line 2 is not closed: expected '#% endif %#' first.`,
      ],
    });
    assert.deepEqual(
      parsed.problems[0].related?.map((related) => slice(text, related.span)),
      ['#% if n.a %#', '#% for n in nodes %#'],
    );
    // Blocks further in than the innermost are reported as unclosed themselves.
    assert.deepEqual(result('#% for a in b %##% if c %##% with d = 1 %##% endfor %#').problems, [
      `unclosed-block@"#% if c %#": 'if' block is not closed: expected '#% endif %#'.`,
      `mismatched-block@"#% endfor %#": 'endfor' belongs to the 'for' block opened on line 1, but the 'with' block opened on line 1 is not closed: expected '#% endwith %#' first.`,
    ]);
  });

  it('reports stray end tags, else and elif where they do not belong', () => {
    assert.equal(result('a #% endif %# b #% else %# c #% elif x %#').tree, '"a " (invalid endif) " b " (invalid else) " c " (invalid elif)');
    assert.deepEqual(result('a #% endif %# b #% else %# c #% elif x %#').problems, [
      `unexpected-end@"#% endif %#": 'endif' has no open 'if' block to close.`,
      `unexpected-tag@"#% else %#": 'else' is only allowed inside an 'if' or 'for' block.`,
      `unexpected-tag@"#% elif x %#": 'elif' is only allowed inside an 'if' block.`,
    ]);
    assert.deepEqual(result('#% if a %#1#% else %#2#% else %#3#% endif %#'), {
      tree: '(if a "1" else "2" (invalid else) "3")',
      problems: [`unexpected-tag@"#% else %#": 'else' cannot follow the 'else' of the 'if' block opened on line 1.`],
    });
    assert.deepEqual(result('#% raw %#x#% endraw %##% endraw %#').problems, [`unexpected-end@"#% endraw %#": 'endraw' has no open 'raw' block to close.`]);
  });

  it('reports an unknown statement at its name, keeping the tag as an invalid node', () => {
    assert.deepEqual(result('#% fro x in y %#a#% endfor %#'), {
      tree: '(invalid fro) "a" (invalid endfor)',
      problems: [`unknown-tag@"fro": Unknown statement 'fro'.`, `unexpected-end@"#% endfor %#": 'endfor' has no open 'for' block to close.`],
    });
    const text = '#% fro x %#';
    const node = parse(text).body[0];
    if (node.kind !== 'InvalidTag') return assert.fail('expected an invalid tag node');
    assert.deepEqual([slice(text, node.span), slice(text, node.keywordSpan)], ['#% fro x %#', 'fro']);
  });

  it('cuts an unterminated tag at its line end and reads the next lines as template', () => {
    const text = 'a: #{ node.na\nb: #{ ok }#\n#% if x %#c#% endif %#';
    const parsed = parse(text);
    assert.deepEqual(result(text), {
      tree: '"a: " (out (. node na)) "\\nb: " (out ok) "\\n" (if x "c")',
      problems: [`unterminated-tag@"#{": Tag is not closed: expected '}#'.`],
    });
    assert.deepEqual(
      parsed.tags.map((tag) => [slice(text, tag.span), tag.isTerminated]),
      [
        ['#{ node.na', false],
        ['#{ ok }#', true],
        ['#% if x %#', true],
        ['#% endif %#', true],
      ],
    );
    // Another tag on the same line ends it too.
    assert.deepEqual(result('#{ a #{ b }#'), { tree: '(out a) (out b)', problems: [`unterminated-tag@"#{": Tag is not closed: expected '}#'.`] });
    // An unterminated block tag still opens its block.
    assert.deepEqual(result('#% if x\ny\n#% endif %#'), { tree: '(if x "\\ny\\n")', problems: [`unterminated-tag@"#%": Tag is not closed: expected '%#'.`] });
  });

  it('reports garbage inside a tag at its place, once per tag, and parses the following tags', () => {
    assert.deepEqual(result('#{ a @ b }# #{ c d }# #{ (e }# #{ f) }# #{ ok }#'), {
      tree: '(out a) " " (out c) " " (out e) " " (out f) " " (out ok)',
      problems: [
        `syntax@"@": Unexpected character '@'.`,
        `syntax@"d": Expected the end of the tag ('}#'), got 'd'.`,
        `syntax@"(": '(' is never closed.`,
        `syntax@")": Unexpected ')'.`,
      ],
    });
    assert.deepEqual(result('#% if x == %#a#% endif %##{ "abc }#'), {
      tree: '(if (cmp x == ?) "a") (out abc)',
      problems: [`syntax@"%#": Expected an expression, got '%#'.`, `syntax@"\\"": String is not closed: expected ".`],
    });
  });

  it('does not let a broken set open a block that would swallow the file', () => {
    assert.deepEqual(result('#% set x 1 %#\n#{ x }#'), {
      tree: '(set x ?) "\\n" (out x)',
      problems: [`syntax@"1": Expected '=' or the end of the tag after the 'set' target, got '1'.`],
    });
  });

  it('reads on after an unterminated comment or raw block', () => {
    assert.deepEqual(result('#| note\nkey: #{ v }#'), {
      tree: '(comment " note") "\\nkey: " (out v)',
      problems: [`unterminated-tag@"#|": Comment is not closed: expected '#|'.`],
    });
    assert.deepEqual(result('#% raw %#\n#{ v }#'), {
      tree: '(raw "")! "\\n" (out v)',
      problems: [`unclosed-block@"#% raw %#": 'raw' block is not closed: expected '#% endraw %#'.`],
    });
  });

  it('reports statement headers Jinja rejects', () => {
    const cases: [string, string][] = [
      ['#% %#', `syntax@"%#": Expected a statement name, got '%#'.`],
      ['#% 1 %#', `syntax@"1": Expected a statement name, got '1'.`],
      ['#% set true = 1 %#', `syntax@"true": Cannot assign to the constant 'true'.`],
      ['#% for a.b in c %##% endfor %#', `syntax@".": Expected 'in', got '.'.`],
      ['#% macro m(a=1, b) %##% endmacro %#', `syntax@"b": A parameter without a default cannot follow one with a default.`],
      ['#% call m %##% endcall %#', `syntax@"m": Expected a macro call after 'call'.`],
      ["#% from 'x' import _private %#", `syntax@"_private": Names starting with an underscore cannot be imported.`],
      ['#% block a-b %##% endblock %#', `syntax@"-": Block names have to be valid identifiers and may not contain hyphens; use an underscore instead.`],
      ['#% block a required %#x#% endblock %#', `syntax@"endblock": Required blocks can only contain comments or whitespace.`],
      ['#{ a is b is c }#', 'syntax@"is": Tests cannot be chained with a second `is`.'],
      ['#{ f(a=1, b) }#', `syntax@"b": Invalid call syntax: positional arguments must come before keyword arguments, and *args before **kwargs.`],
      ['#{ "\\x4" }#', `syntax@"\\"\\\\x4\\"": truncated \\xXX escape`],
    ];
    assert.deepEqual(
      cases.map(([text]) => [text, problemsOf(text, parse(text)).join(' | ')]),
      cases,
    );
  });
});
