// How template text is split into text, comments, raw blocks and tags, per Jinja2's lexer rules,
// with delimiters that come only from the syntax object.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { JinjaSyntax } from '../../../server/src/services/jinja/syntax';
import { DEFAULTS, MAKEJINJA, parse, problemsOf, showBody, slice } from './parserSupport';

function pieces(text: string, syntax: JinjaSyntax = MAKEJINJA): string[] {
  const parsed = parse(text, syntax);
  assert.deepEqual(problemsOf(text, parsed), []);
  return parsed.body.map((node) => `${node.kind}:${slice(text, node.span)}`);
}

describe('jinja lexing', () => {
  it('leaves YAML comments and other lone # alone', () => {
    const text = '# yaml comment\nkey: value # trailing\nlist: [a, "#b"] #! #} %#\n';
    assert.deepEqual(pieces(text), ['Text:' + text]);
  });

  it('treats # without a delimiter as text and finds the delimiter right after it', () => {
    assert.deepEqual(pieces('# a\n##{ x }#\n'), ['Text:# a\n#', 'Output:#{ x }#', 'Text:\n']);
  });

  it('reads #| ... #| comments, whose start and end are the same string', () => {
    const text = '#| one #|a: 1 #| two\nlines #|\n#|-trimmed-#|';
    assert.deepEqual(pieces(text), ['Comment:#| one #|', 'Text:a: 1 ', 'Comment:#| two\nlines #|', 'Text:\n', 'Comment:#|-trimmed-#|']);
    const parsed = parse(text);
    const last = parsed.body[parsed.body.length - 1];
    assert.equal(last.kind === 'Comment' ? slice(text, last.textSpan) : undefined, 'trimmed');
  });

  it('does not see delimiters inside strings, and sees block and variable ends only at token boundaries', () => {
    const text = `#% set open = "#{" ~ '%#' %##{ "}#" }#`;
    assert.deepEqual(showBody(text, parse(text).body), '(set open (~ "#{" "%#")) (out "}#")');
  });

  it('reads a closing brace pair inside an expression as brackets, as Jinja does with {{ }}', () => {
    const text = "{{ {'a': {'b': 1}} }}";
    assert.equal(showBody(text, parse(text, DEFAULTS).body), '(out {"a": {"b": 1}})');
  });

  it('tries the longest start delimiter first', () => {
    const asp: JinjaSyntax = { blockStart: '<%', blockEnd: '%>', variableStart: '<%=', variableEnd: '%>', commentStart: '<%#', commentEnd: '%>', trimBlocks: false, lstripBlocks: false };
    const text = '<% if a %><%= b %><%# c %><% endif %>';
    const parsed = parse(text, asp);
    assert.deepEqual(problemsOf(text, parsed), []);
    assert.equal(showBody(text, parsed.body), '(if a (out b) (comment " c "))');
  });

  it('keeps raw blocks unparsed, with their markers', () => {
    const text = '#%- raw -%##{ not: parsed #% if %##%+ endraw +%#after';
    const parsed = parse(text);
    assert.deepEqual(problemsOf(text, parsed), []);
    const raw = parsed.body[0];
    if (raw.kind !== 'Raw') return assert.fail('expected a raw block');
    assert.deepEqual([slice(text, raw.openTagSpan), slice(text, raw.bodySpan), slice(text, raw.closeTagSpan)], ['#%- raw -%#', '#{ not: parsed #% if %#', '#%+ endraw +%#']);
    assert.deepEqual([raw.openTag.trimLeft, raw.openTag.trimRight, raw.closeTag?.keepLeft, raw.closeTag?.keepRight], [true, true, true, true]);
    // `#% rawx %#` is not a raw tag: it is an unknown statement.
    assert.deepEqual(problemsOf('#% rawx %#', parse('#% rawx %#')), ['unknown-tag@"rawx": Unknown statement \'rawx\'.']);
  });

  it('reads line statements and line comments when the syntax has prefixes', () => {
    const lines: JinjaSyntax = { ...DEFAULTS, lineStatementPrefix: '#', lineCommentPrefix: '##' };
    const text = 'items:\n  # for x in xs\n  - {{ x }}  ## note\n  # endfor\nend ## tail';
    const parsed = parse(text, lines);
    assert.deepEqual(problemsOf(text, parsed), []);
    assert.equal(showBody(text, parsed.body), '"items:\\n  " (for x xs "\\n  - " (out x) "  " (comment " note") "\\n  ") "\\nend " (comment " tail")');
    assert.deepEqual(
      parsed.tags.map((tag) => `${tag.kind}:${slice(text, tag.span)}`),
      ['lineStatement:# for x in xs', 'variable:{{ x }}', 'lineComment:## note', 'lineStatement:# endfor', 'lineComment:## tail'],
    );
    // A line statement continues over lines while a bracket is open.
    const multi = '# set x = [1,\n  2]\n{{ x }}';
    assert.equal(showBody(multi, parse(multi, lines).body), '(set x [1, 2]) "\\n" (out x)');
  });

  it('keeps offsets with CRLF line ends', () => {
    const text = 'a: 1\r\n#% if x %#\r\nb: #{ y }#\r\n#% endif %#\r\n';
    const parsed = parse(text);
    assert.deepEqual(problemsOf(text, parsed), []);
    assert.deepEqual(
      parsed.tags.map((tag) => slice(text, tag.span)),
      ['#% if x %#', '#{ y }#', '#% endif %#'],
    );
  });

  it('lists every tag in source order, comments included', () => {
    const text = '#| c #|#% if x %##{ y }##% endif %#';
    assert.deepEqual(
      parse(text).tags.map((tag) => `${tag.kind}:${slice(text, tag.span)}:${tag.isTerminated}`),
      ['comment:#| c #|:true', 'block:#% if x %#:true', 'variable:#{ y }#:true', 'block:#% endif %#:true'],
    );
  });

  it('reads numbers, names and operators as Jinja does', () => {
    const text = '#{ x.0.1 ~ 1.e3 ~ a//b ~ c**d ~ (e!=f) ~ 1_000 }#';
    assert.equal(showBody(text, parse(text).body), '(out (~ (~ (~ (~ (~ ([] ([] x 0) 1) (. 1 e3)) (// a b)) (** c d)) (cmp e != f)) 1000))');
    assert.equal(showBody('#{ café }#', parse('#{ café }#').body), '(out café)');
  });
});
