// Differential tests of the interpreter and the whitespace rules: every case renders with our
// TemplateEnvironment and with the reference Jinja2 (one Python process for the whole table), and
// the outputs must be equal byte for byte; failures must agree on the exception type and line.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { TemplateEnvironment, RenderError } from '../../../server/src/engines/render/environment';
import { PyDict, PyFloat, PyError, tuple, type PyValue, type UndefinedMode } from '../../../server/src/engines/render/pyValues';
import { JINJA_DEFAULT_SYNTAX, MAKEJINJA_CLUSTER_TEMPLATE_SYNTAX } from '../../../server/src/services/jinja/syntax';
import { REFERENCE_PYTHON, referenceUnavailable } from '../../support/referencePython';

interface CaseOptions {
  syntax?: 'makejinja' | 'default';
  undefined?: UndefinedMode;
  trim_blocks?: boolean;
  lstrip_blocks?: boolean;
  keep_trailing_newline?: boolean;
  newline_sequence?: '\n' | '\r\n' | '\r';
  extensions?: string[];
}

interface Case {
  name: string;
  template: string;
  data?: Record<string, unknown>;
  templates?: Record<string, string>;
  options?: CaseOptions;
  /**
   * Where we deliberately report a syntax error on another line than Jinja2: an unclosed block is
   * reported at its opening tag (where the fix goes), Jinja2 reports the end of the template.
   */
  ourErrorLine?: number;
}

const f = (value: number) => ({ $float: value });
const t = (...items: unknown[]) => ({ $tuple: items });

const NODES = [
  { name: 'kube-0', address: '192.168.42.10', controller: true, disk: '/dev/sda' },
  { name: 'kube-1', address: '192.168.42.11', controller: true, disk: '/dev/sdb' },
  { name: 'kube-2', address: '192.168.42.12', controller: false, disk: '/dev/nvme0n1' },
];

const CASES: Case[] = [
  // Printing Python values
  { name: 'print scalars', template: '#{ a }# #{ b }# #{ c }# #{ d }# #{ e }# #{ n }#', data: { a: true, b: false, c: null, d: 3, e: f(2), n: -0 } },
  { name: 'print floats', template: '#{ 4/2 }# #{ 1/3 }# #{ 1e16 }# #{ 1.5e-7 }# #{ 0.1 + 0.2 }# #{ 10**21 }# #{ 2**-1 }# #{ 1.0 }# #{ 100.0 * 3 }#' },
  { name: 'print containers', template: "#{ [1, 'a', none, true, 2.5] }# #{ {'k': [1, (2, 3)], 'q': \"it's\"} }# #{ (1,) }# #{ () }# #{ {} }#" },
  { name: 'print unicode repr', template: "#{ ['é', 'tab\\there', 'new\\nline', '\\u00a0', 'back\\\\slash'] }#" },
  { name: 'print data dicts', template: '#{ nodes[0] }#', data: { nodes: NODES } },
  { name: 'concat', template: "#{ 'a' ~ 1 ~ true ~ none ~ [1] ~ 2.0 }#" },
  // Truthiness and logic
  { name: 'truthiness', template: "#% for v in [[], {}, '', 0, 0.0, none, [0], {'a':1}, 'x', 1, -1] %##{ 'T' if v else 'F' }##% endfor %#" },
  { name: 'and or operands', template: "#{ [] or 'x' }#|#{ 'a' and 'b' }#|#{ 0 and 1 }#|#{ none or none }#|#{ not [] }#|#{ not 'x' }#" },
  { name: 'if on data', template: '#% if nodes %#has#% else %#none#% endif %#|#% if empty %#E#% elif other %#O#% else %#X#% endif %#', data: { nodes: [], empty: {}, other: 'y' } },
  { name: 'inline if no else', template: "[#{ 'x' if false }#]" },
  { name: 'in and not in', template: "#{ 'a' in 'cat' }# #{ 1 in [1,2] }# #{ 'k' in {'k':1} }# #{ 'z' not in 'cat' }# #{ 3 not in [1] }#" },
  { name: 'comparisons chain', template: '#{ 1 < 2 < 3 }# #{ 1 < 3 < 2 }# #{ 1 == 1.0 }# #{ true == 1 }# #{ [1,2] < [1,3] }# #{ "a" < "b" }# #{ none == none }#' },
  { name: 'compare type error', template: "#{ 1 < 'a' }#" },
  // Arithmetic
  { name: 'arithmetic', template: '#{ 7 // 2 }# #{ -7 // 2 }# #{ 7 % 3 }# #{ -7 % 3 }# #{ 2 ** 10 }# #{ 7 / 2 }# #{ 3 * "ab" }# #{ [1] * 2 }# #{ [1] + [2] }# #{ -(3) }# #{ 1 + true }#' },
  { name: 'string formatting', template: "#{ '%s-%s' % ('a', 1) }# #{ '%05.2f' % 3.14159 }# #{ '%d%%' % 50 }# #{ '%r' % 'q' }#" },
  { name: 'division by zero', template: '#{ 1 / 0 }#' },
  // Loops
  { name: 'loop variables', template: '#% for n in nodes %##{ loop.index }#/#{ loop.index0 }#/#{ loop.revindex }#/#{ loop.first }#/#{ loop.last }#/#{ loop.length }# #% endfor %#', data: { nodes: NODES } },
  { name: 'loop cycle prev next', template: "#% for x in [1,2,3] %##{ loop.cycle('a','b') }##{ loop.previtem }##{ loop.nextitem }#,#% endfor %#" },
  { name: 'loop changed', template: '#% for x in [1,1,2,2,1] %##% if loop.changed(x) %##{ x }##% endif %##% endfor %#' },
  { name: 'loop filter and else', template: '#% for n in nodes if not n.controller %##{ n.name }#:#{ loop.length }##% else %#none#% endfor %#|#% for x in [] %#x#% else %#empty#% endfor %#', data: { nodes: NODES } },
  { name: 'loop over dict and string', template: "#% for k in {'b': 1, 'a': 2} %##{ k }##% endfor %#|#% for c in 'xyz' %##{ c }#.#% endfor %#|#% for k, v in {'b': 1, 'a': 2}.items() %##{ k }#=#{ v }# #% endfor %#" },
  { name: 'loop scoping', template: '#% set c = 0 %##% for i in [1,2,3] %##% set c = c + 1 %##{ c }##% endfor %#/#{ c }#' },
  { name: 'recursive loop', template: "#% for item in tree recursive %##{ item.name }#[#{ loop.depth }#]#% if item.children %#(#{ loop(item.children) }#)#% endif %##% endfor %#", data: { tree: [{ name: 'a', children: [{ name: 'b', children: [] }, { name: 'c' }] }, { name: 'd' }] } },
  { name: 'namespace in loop', template: '#% set ns = namespace(count=0, names=[]) %##% for n in nodes %##% if n.controller %##% set ns.count = ns.count + 1 %##% endif %##% endfor %##{ ns.count }# #{ ns }#', data: { nodes: NODES } },
  { name: 'unpack mismatch', template: '#% for a, b in [[1, 2, 3]] %##{ a }##% endfor %#' },
  { name: 'break continue', template: '#% for x in [1,2,3,4] %##% if x == 2 %##% continue %##% endif %##{ x }##% if x == 3 %##% break %##% endif %#.#% endfor %#', options: { extensions: ['jinja2.ext.loopcontrols'] } },
  { name: 'do without the extension', template: "a\n#% if false %##% do x %##% endif %#" },
  { name: 'do statement', template: '#% set l = [] %##% do l.append(1) %##{ l }#', options: { extensions: ['jinja2.ext.do'] } },
  { name: 'append via set', template: "#% set names = [] %##% for n in nodes %##% set _ = names.append(n.name) %##% endfor %##{ names | join(',') }#", data: { nodes: NODES } },
  // Macros and call blocks
  { name: 'macro defaults varargs kwargs', template: "#% macro m(a, b='B') %##{ a }#-#{ b }#-#{ varargs }#-#{ kwargs }##% endmacro %##{ m(1) }#|#{ m(1, 2, 3) }#|#{ m(1, x=5) }#|#{ m(b=9, a=8) }#" },
  { name: 'macro missing arg', template: '#% macro m(a) %#[#{ a }#]#% endmacro %##{ m() }#' },
  { name: 'macro too many args', template: '#% macro m(a) %##{ a }##% endmacro %##{ m(1, 2) }#' },
  { name: 'macro late binding', template: '#% set x = 5 %##% macro m() %##{ x }##% endmacro %##% set x = 6 %##{ m() }#' },
  { name: 'call block', template: "#% macro wrap(tag) %#<#{ tag }#>#{ caller() }#</#{ tag }#>#% endmacro %##% call wrap('b') %#inner#% endcall %#|#% macro each(xs) %##% for x in xs %##{ caller(x) }##% endfor %##% endmacro %##% call(item) each([1,2]) %#(#{ item }#)#% endcall %#" },
  // Set, with, filters as blocks
  { name: 'set block with filter', template: '#% set block | upper %#hello #{ name }##% endset %##{ block }#', data: { name: 'world' } },
  { name: 'filter block indent', template: 'x:\n  #% filter indent(2) %#\na: 1\nb: 2\n#% endfilter %#\n' },
  { name: 'with scope', template: '#% with a = 1, b = 2 %##{ a + b }##% set c = 3 %##% endwith %#[#{ c }#][#{ a }#]' },
  { name: 'if set leaks', template: '#% if true %##% set y = 1 %##% endif %##{ y }#' },
  { name: 'tuple set', template: '#% set a, b = 1, 2 %##{ b }##{ a }#' },
  // Undefined modes
  { name: 'chainable undefined', template: "[#{ x.y.z }#][#{ x['a'][0] }#][#{ x is defined }#][#{ x.y is defined }#][#{ x == none }#][#{ x | default('d') }#][#{ x.y | default('e') }#]" },
  { name: 'chainable call fails', template: '#{ x.y() }#' },
  { name: 'default undefined attr fails', template: '#{ x.y }#', options: { undefined: 'default' } },
  { name: 'default undefined print', template: '[#{ x }#][#{ x | length }#]', options: { undefined: 'default' } },
  { name: 'strict undefined print', template: 'a #{ missing }#', options: { undefined: 'strict' } },
  { name: 'strict undefined test', template: '#{ missing is defined }# #{ missing | default("d") }#', options: { undefined: 'strict' } },
  { name: 'debug undefined', template: '[#{ missing }#]', options: { undefined: 'debug' } },
  { name: 'undefined arithmetic', template: '#{ missing + 1 }#' },
  { name: 'undefined in string', template: "#{ 'a' in missing }#" },
  // Includes and imports
  { name: 'include with context', template: "#% for n in nodes %##% include 'part.j2' %##% endfor %#", templates: { 'part.j2': '- #{ n.name }# #{ top }#\n' }, data: { nodes: NODES, top: 'T' } },
  { name: 'include missing ignored', template: "a#% include 'nope.j2' ignore missing %#b" },
  { name: 'include missing fails', template: "a\n#% include 'nope.j2' %#b" },
  { name: 'include list', template: "#% include ['nope.j2', 'part.j2'] %#", templates: { 'part.j2': 'found' } },
  { name: 'import macros', template: "#% import 'lib.j2' as lib %##% from 'lib.j2' import twice as t %##{ lib.twice(2) }#|#{ t('x') }#|#{ lib.value }#", templates: { 'lib.j2': "#% macro twice(v) %##{ v }##{ v }##% endmacro %##% set value = 'V' %#" } },
  { name: 'extends and blocks', template: "#% extends 'base.j2' %##% block body %#child #{ super() }##% endblock %#", templates: { 'base.j2': 'start #% block body %#base#% endblock %# end' } },
  // Whitespace rules with makejinja's options
  { name: 'trim and lstrip blocks', template: 'a:\n  #% if true %#\n  b: 1\n  #% endif %#\nc: 2\n' },
  { name: 'comment tags', template: 'x\n  #| a comment #|\ny\n#| another #|z\n' },
  { name: 'tag after text on a line', template: 'key: #% if true %#yes#% endif %#\nnext\n' },
  { name: 'minus markers', template: 'a   \n  #%- if true -%#   \n  b\n  #%- endif %#\nc #{- 1 -}# d\n' },
  { name: 'plus markers', template: 'a\n  #%+ if true +%#\nb\n#% endif +%#\nc\n' },
  { name: 'variable not lstripped', template: 'a\n  #{ 1 }#\n  #% if true %#x#% endif %#\n' },
  { name: 'consecutive tags', template: '#% set a = 1 %##% set b = 2 %#\n  #% if a %#\n#{ a }##{ b }#\n#% endif %#\n' },
  { name: 'raw block', template: 'a\n  #% raw %#\n  #{ not rendered }# #% if %#\n  #% endraw %#\nb\n' },
  { name: 'crlf input', template: 'a\r\n#% if true %#\r\nb\r\n#% endif %#\r\nc\r\n' },
  { name: 'tabs before tags', template: 'a\n\t\t#% if true %#\n\tb\n\t#% endif %#\n' },
  { name: 'no trailing newline', template: 'a\n#% if true %#b#% endif %#' },
  { name: 'keep_trailing_newline false', template: 'a\nb\n\n', options: { keep_trailing_newline: false } },
  { name: 'newline sequence crlf', template: 'a\nb\n#% if true %#\nc\n#% endif %#\n', options: { newline_sequence: '\r\n' } },
  { name: 'no trim no lstrip', template: 'a\n  #% if true %#\n  b\n  #% endif %#\n', options: { trim_blocks: false, lstrip_blocks: false } },
  { name: 'default delimiters', template: '{% for x in [1,2] %}\n  {{ x }}\n{% endfor %}\n{# c #}\n', options: { syntax: 'default' } },
  { name: 'text ending with spaces before tag', template: 'x   #% if true %#y#% endif %#\n' },
  { name: 'whitespace only lines', template: '   \n   #% if true %#   \n  z\n#% endif %#   \n' },
  { name: 'comment at start', template: '  #| lead #|\nbody\n' },
  { name: 'macro whitespace', template: '#% macro m(x) %#\n  item: #{ x }#\n#% endmacro %#\nlist:\n#{ m(1) }##{ m(2) }#' },
  { name: 'raw with markers', template: 'a  \n  #%- raw -%#  \n  x #{ y }#\n  #%- endraw -%#  \nb\n  #% raw %#z#% endraw %#\n' },
  { name: 'comment markers', template: 'a  \n  #|- c -#|  \nb\n  #|+ keep +#|\nc\n' },
  { name: 'spaces between tags on a line', template: '#% if true %#  #% endif %#|\n#% if true %#\n  #% endif %#|\n' },
  { name: 'indented tag at file start', template: '  #% if true %#\nx\n  #% endif %#\n' },
  { name: 'variable line then block', template: '#{ 1 }#\n  #% if true %#\ny\n#% endif %#\n' },
  { name: 'comment holding tags', template: 'a #| #{ x }# #% if %# #| b\n' },
  { name: 'loop over undefined', template: '[#% for x in missing %##{ x }##% endfor %#][#% for x in missing.deep %#y#% else %#e#% endfor %#]' },
  { name: 'default undefined chained default fails', template: "#{ missing.x | default('d') }#", options: { undefined: 'default' } },
  { name: 'conversion filters', template: "#{ none | string }# #{ 3 | float }# #{ true | lower }# #{ '42' | int + 1 }# #{ 2.5 | round }# #{ 'x' | upper }#" },
  { name: 'percent with undefined', template: "[#{ '%s' % missing }#]" },
  { name: 'namespace from dict', template: "#% set ns = namespace({'a': 1}, b=2) %##{ ns.a }##{ ns.b }#" },
  { name: 'nested set in if in for', template: "#% for i in [1, 2] %##% if i == 2 %##% set last = i %##% endif %##{ last | default('-') }##% endfor %#" },
  { name: 'macro caller with args', template: "#% macro table(rows) %##% for r in rows %##{ caller(r, loop.index) }##% endfor %##% endmacro %##% call(row, n) table(['a', 'b']) %##{ n }#=#{ row }#;#% endcall %#" },
  { name: 'nested loops depth', template: "#% for a in [1, 2] %##% for b in 'xy' %##{ loop.index }##{ b }##{ a }# #% endfor %##{ loop.index }#|#% endfor %#" },
  { name: 'string escapes', template: "#{ 'a\\tb\\\\n' }#|#{ \"q'\" }#|#{ 'é' | length }#" },
  { name: 'is tests', template: "#{ 1 is odd }##{ 2 is even }##{ 9 is divisibleby 3 }##{ none is none }##{ 'a' is string }##{ 1 is number }##{ true is boolean }##{ 1.0 is float }##{ 1 is integer }##{ {} is mapping }##{ [] is iterable }##{ 'A' is upper }##{ 3 is in [3] }##{ 1 is eq 1 }##{ 1 is ne 2 }##{ x is undefined }##{ true is true }##{ false is false }##{ none is sameas none }#" },
  // Realistic cluster-template shapes
  {
    name: 'talos nodes',
    template: [
      'nodes:',
      '  #% for node in nodes %#',
      '  - hostname: "#{ node.name }#"',
      '    ipAddress: "#{ node.address }#"',
      '    controlPlane: #{ node.controller | lower }#',
      '    installDisk: "#{ node.disk }#"',
      '    #% if node.mtu is defined %#',
      '    mtu: #{ node.mtu }#',
      '    #% endif %#',
      '  #% endfor %#',
      'controllers: #{ nodes | selectattr("controller") | map(attribute="name") | list }#',
      'workers: #{ nodes | rejectattr("controller") | map(attribute="name") | join(", ") }#',
      'vip: #{ cluster_api_addr | default("none") }#',
      '',
    ].join('\n'),
    data: { nodes: NODES, cluster_api_addr: '192.168.42.20' },
  },
  {
    name: 'dict methods and slicing',
    template: "#{ d.get('a') }# #{ d.get('z', 'dflt') }# #{ d.keys() | list }# #{ d.values() | list }# #{ d.items() | list }# #{ s[1:-1] }# #{ s[::-1] }# #{ l[-2:] }# #{ s.split('-') }# #{ s.startswith('a') }# #{ ','.join(l | map('string')) }# #{ '{}-{}'.format(1, 'b') }#",
    data: { d: { a: 1, b: f(2.5) }, s: 'a-b-c', l: [1, 2, 3] },
  },
  { name: 'tuple data', template: '#{ t }# #{ t[0] }# #{ t | list }#', data: { t: t(1, 'a') } },
  { name: 'range dict globals', template: "#{ range(3) | list }# #{ range(1, 10, 3) | list }# #{ dict(a=1, b=2) }# #% set c = cycler('x', 'y') %##{ c.next() }##{ c.next() }##{ c.next() }# #% set j = joiner('|') %##% for i in [1,2,3] %##{ j() }##{ i }##% endfor %#" },
  { name: 'syntax error line', template: 'a\nb\n#% if %#\n#% endif %#' },
  { name: 'unknown filter', template: 'a\n#% if false %##{ x | nosuchfilter }##% endif %#' },
  { name: 'unclosed block', template: 'a\n#% for x in y %#\nb\n', ourErrorLine: 2 },
  { name: 'unknown filter in loop in if', template: '#% if false %##% for x in [] %##{ x | nope }##% endfor %##% endif %#ok' },
  { name: 'unknown filter in inline if', template: '#{ 1 if true else (2 | nope) }#|#{ 1 if false else (2 | nope) }#' },
  { name: 'unknown test in if', template: '#% if x is nope %#y#% endif %#' },
];

interface Outcome {
  output?: string;
  error?: { type: string; message: string; line: number | null };
}

function referenceOutcomes(): Outcome[] | string {
  const script = join(__dirname, '..', '..', '..', '..', 'test', 'support', 'jinja_reference.py');
  const result = spawnSync(REFERENCE_PYTHON, [script], { input: JSON.stringify({ cases: CASES }), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) return referenceUnavailable(`reference script failed: ${result.stderr || result.error?.message}`);
  return JSON.parse(result.stdout) as Outcome[];
}

function toPy(value: unknown): PyValue {
  if (value === null || value === undefined) return null;
  if (Array.isArray(value)) return value.map(toPy);
  if (typeof value === 'object') {
    const record = value as Record<string, unknown>;
    if ('$float' in record) return new PyFloat(record.$float as number);
    if ('$tuple' in record) return tuple((record.$tuple as unknown[]).map(toPy));
    return PyDict.of(Object.entries(record).map(([k, v]) => [k, toPy(v)]));
  }
  return value as PyValue;
}

function ourOutcome(testCase: Case): Outcome {
  const options = testCase.options ?? {};
  const templates = new Map(Object.entries({ ...testCase.templates, __case__: testCase.template }));
  try {
    const environment = new TemplateEnvironment({
      syntax: {
        ...(options.syntax === 'default' ? JINJA_DEFAULT_SYNTAX : MAKEJINJA_CLUSTER_TEMPLATE_SYNTAX),
        trimBlocks: options.trim_blocks ?? true,
        lstripBlocks: options.lstrip_blocks ?? true,
      },
      keepTrailingNewline: options.keep_trailing_newline ?? true,
      newlineSequence: options.newline_sequence ?? '\n',
      undefinedMode: options.undefined ?? 'chainable',
      extensions: options.extensions ?? [],
      loadTemplate: (name) => (templates.has(name) ? { name, text: templates.get(name)! } : undefined),
      globals: new Map(),
    });
    const vars = toPy(testCase.data ?? {}) as PyDict;
    return { output: environment.render('__case__', new Map([...vars].map(([k, v]) => [String(k), v]))) };
  } catch (error) {
    if (error instanceof RenderError) return { error: { type: error.pyType, message: error.message, line: error.line } };
    if (error instanceof PyError) return { error: { type: error.pyType, message: error.message, line: null } };
    throw error;
  }
}

describe('interpreter: differential against Jinja2', () => {
  const reference = referenceOutcomes();
  if (typeof reference === 'string') {
    it('reference Jinja2 is unavailable', { skip: reference }, () => {});
    return;
  }
  CASES.forEach((testCase, i) => {
    it(testCase.name, () => {
      const expected = reference[i];
      const actual = ourOutcome(testCase);
      if (expected.output !== undefined) {
        assert.equal(actual.error, undefined, `Jinja2 rendered ${JSON.stringify(expected.output)}, we failed: ${JSON.stringify(actual.error)}`);
        assert.equal(actual.output, expected.output);
      } else {
        assert.ok(actual.error, `Jinja2 failed with ${JSON.stringify(expected.error)}, we rendered ${JSON.stringify(actual.output)}`);
        assert.equal(actual.error.type, expected.error!.type, `message: ours ${actual.error.message} / Jinja2 ${expected.error!.message}`);
        const expectedLine = testCase.ourErrorLine ?? expected.error!.line;
        if (expectedLine !== null && actual.error.line !== null) assert.equal(actual.error.line, expectedLine, 'error line');
      }
    });
  });
});
