// Differential check against real Jinja2 (Debian python3-jinja2): on each snippet, Jinja2's parser
// either accepts it or raises TemplateSyntaxError; our parser must agree (no problems vs some).
// Skipped only when python3 or jinja2 is missing; CI installs python3-jinja2.
import { REFERENCE_PYTHON, referenceUnavailable } from '../../support/referencePython';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import type { JinjaSyntax } from '../../../server/src/services/jinja/syntax';
import { DEFAULTS, MAKEJINJA, parse } from './parserSupport';

const MAKEJINJA_SNIPPETS = [
  // accepted
  'a: #{ x }#\n# a YAML comment\nb: c # trailing\n',
  '##{ x }# #| comment #| text',
  '#| multi\nline #|',
  '#{ a ~ b | upper }#',
  '#{ not a in b }#',
  '#{ x if c else d | e }#',
  '#{ x if c }#',
  '#{ a is not defined and b is divisibleby 3 }#',
  '#{ f(a, b=1, *c, **d) }#',
  '#{ x[1:2:3] }#',
  '#{ x.0.1 }#',
  '#{ [1, 2,] ~ (1,) ~ () ~ {"a": 1,} }#',
  '#{ "a\\tb" \'c\\\'d\' "#{" }#',
  '#{ 0x1F + 0b11 + 0o7 + 1_000 + 1.5e3 + 1.e3 }#',
  '#{- x -}# #{+ x }#',
  '#%- if x -%#a#%+ elif y +%#b#% else: %#c#% endif %#',
  '#% for k, v in d.items() if k recursive %##{ loop.index }##% else %#none#% endfor %#',
  '#% set a, b = 1, 2 %##% set ns = namespace(x=1) %##% set ns.x = 2 %#',
  '#% set x | trim %#t#% endset %#',
  '#% macro m(a, b=1) %##{ caller() }##% endmacro %##% call(x) m(1) %##{ x }##% endcall %#',
  '#% filter indent(width=4, first=False) %#x#% endfilter %#',
  "#% include 'a' ignore missing with context %##% import 'a' as b %##% from 'a' import b, c as d %#",
  '#% with a = 1, b = 2 %##{ a }##% endwith %#',
  '#% raw %##{ not parsed #% if %##% endraw %#',
  '#% block body scoped %#x#% endblock body %#',
  '#% for x in y %##% do x.append(1) %##% break %##% continue %##% endfor %#',
  '#{ if }#',
  '#{ x is defined }#',
  // rejected
  '#{ }#',
  '#{ a b }#',
  '#{ (a }#',
  '#{ a) }#',
  '#{ a @ b }#',
  "#{ 'abc }#",
  '#{ "\\x4" }#',
  '#{ x | }#',
  '#{ x. }#',
  '#{ x +}#',
  '#{ 01 }#',
  '#{ a is b is c }#',
  '#{ f(a=1, b) }#',
  '#{ x is defined if y else z }#',
  '#% if x %#a',
  '#% if x %#a#% endfor %#',
  '#% if a %##% for x in y %##% endif %#',
  '#% endif %#',
  '#% else %#',
  '#% if x %##% else %##% elif y %##% endif %#',
  '#% foo %#',
  '#% %#',
  '#% set true = 1 %#',
  '#% set x 1 %#',
  '#% for a.b in x %##% endfor %#',
  '#% macro m(a=1, b) %##% endmacro %#',
  '#% call m %##% endcall %#',
  "#% from 'a' import _b %#",
  '#% raw %#x',
  '#% block a required %#x#% endblock %#',
  '#| unterminated',
  'a #{ x',
  '#{ x #% if y %#',
];

const DEFAULT_SNIPPETS = [
  "{{ {'a': {'b': 1}} }}",
  '{% for x in xs %}{{ x }}{# c #}{% endfor %}',
  '{%- raw -%}{{ y }}{%+ endraw +%}',
  '{{ x -}} {%- if a +%}{% endif %}',
  '#{ not a tag }# #% nor this %#',
  '{{ {a }}',
  '{{ (a }}',
  '{% if x %}',
  '{# open',
];

const LINE_SYNTAX: JinjaSyntax = { ...DEFAULTS, lineStatementPrefix: '#', lineCommentPrefix: '##' };
const LINE_SNIPPETS = [
  'items:\n  # for x in xs\n  - {{ x }}  ## note\n  # endfor\n',
  '# set x = [1,\n  2]\n{{ x }}',
  '# if x\n',
  '#\n',
];

const ASP_SYNTAX: JinjaSyntax = { blockStart: '<%', blockEnd: '%>', variableStart: '<%=', variableEnd: '%>', commentStart: '<%#', commentEnd: '%>', trimBlocks: false, lstripBlocks: false };
const ASP_SNIPPETS = ['<% if a %><%= b %><%# c %><% endif %>', '<%= a b %>'];

const GROUPS: { syntax: JinjaSyntax; snippets: string[] }[] = [
  { syntax: MAKEJINJA, snippets: MAKEJINJA_SNIPPETS },
  { syntax: DEFAULTS, snippets: DEFAULT_SNIPPETS },
  { syntax: LINE_SYNTAX, snippets: LINE_SNIPPETS },
  { syntax: ASP_SYNTAX, snippets: ASP_SNIPPETS },
];

// Reads groups of {syntax, snippets} on stdin; prints, per snippet, null (parsed) or the error text.
const PYTHON = `
import json, sys
import jinja2
from jinja2 import Environment, TemplateSyntaxError
results = []
for group in json.load(sys.stdin):
    s = group['syntax']
    env = Environment(
        block_start_string=s['blockStart'], block_end_string=s['blockEnd'],
        variable_start_string=s['variableStart'], variable_end_string=s['variableEnd'],
        comment_start_string=s['commentStart'], comment_end_string=s['commentEnd'],
        line_statement_prefix=s.get('lineStatementPrefix'), line_comment_prefix=s.get('lineCommentPrefix'),
        trim_blocks=s['trimBlocks'], lstrip_blocks=s['lstripBlocks'],
        extensions=['jinja2.ext.do', 'jinja2.ext.loopcontrols'])
    for source in group['snippets']:
        try:
            env.parse(source)
            results.append(None)
        except TemplateSyntaxError as error:
            results.append(str(error))
print(json.dumps(results))
`;

function runJinja2(): { results?: (string | null)[]; skipReason?: string } {
  const run = spawnSync(REFERENCE_PYTHON, ['-c', PYTHON], { input: JSON.stringify(GROUPS), encoding: 'utf8', timeout: 60_000 });
  if (run.error) return { skipReason: referenceUnavailable(`python3 could not be started (${run.error.message})`) };
  if (run.status !== 0) {
    if (/No module named '?jinja2/.test(run.stderr)) return { skipReason: referenceUnavailable('the jinja2 Python module is not installed (apt-get install python3-jinja2)') };
    throw new Error(`python3 failed: ${run.stderr}`);
  }
  return { results: JSON.parse(run.stdout) as (string | null)[] };
}

describe('jinja parser agrees with Jinja2', () => {
  it('accepts what Jinja2 accepts and reports a problem where Jinja2 raises', (t) => {
    const { results, skipReason } = runJinja2();
    if (!results) {
      console.log(`skipping the Jinja2 differential test: ${skipReason}`);
      t.skip(skipReason);
      return;
    }
    const snippets = GROUPS.flatMap((group) => group.snippets.map((source) => ({ source, syntax: group.syntax })));
    assert.equal(results.length, snippets.length);
    const theirs = snippets.map((snippet, index) => [snippet.source, results[index] === null ? 'ok' : `error: ${results[index]}`]);
    const ours = snippets.map((snippet, index) => {
      const problems = parse(snippet.source, snippet.syntax).problems;
      // Show Jinja2's message on both sides when both fail, so a diff shows only disagreements.
      if (problems.length > 0 && results[index] !== null) return [snippet.source, `error: ${results[index]}`];
      return [snippet.source, problems.length === 0 ? 'ok' : `error: ${problems.map((problem) => problem.message).join(' | ')}`];
    });
    assert.deepEqual(ours, theirs);
    // The table must exercise both outcomes, or this test could not fail.
    const accepted = results.filter((result) => result === null).length;
    assert.ok(accepted >= 20 && results.length - accepted >= 20, `accepted ${accepted} of ${results.length}`);
  });

  it('departs from Jinja2 on purpose for a string running over lines through a delimiter', () => {
    // Jinja2 reads `'x\n}#'` as one string; we read it as an unfinished string so that typing a
    // quote does not swallow the following lines and tags.
    const text = "#{ 'x\n}#' }#";
    assert.deepEqual(
      parse(text).problems.map((problem) => problem.code),
      ['syntax'],
    );
  });
});
