// Tokenizes templates with our TextMate grammars the way VS Code does (vscode-textmate + oniguruma) and checks
// the scopes: Jinja tags win over host rules that would start at the same place (a YAML comment, a flow
// mapping), and the host stays highlighted around them. Also checks the manifest wiring and language configuration.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as textmate from 'vscode-textmate';
import * as oniguruma from 'vscode-oniguruma';

const ROOT = join(__dirname, '../../..');

interface GrammarContribution {
  language: string;
  scopeName: string;
  path: string;
  embeddedLanguages?: Record<string, string>;
}
interface LanguageContribution {
  id: string;
  extensions: string[];
  configuration: string;
}
const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  activationEvents: string[];
  contributes: { languages: LanguageContribution[]; grammars: GrammarContribution[]; snippets: { language: string; path: string }[] };
};
const OUR_GRAMMARS = new Map(manifest.contributes.grammars.map((g) => [g.scopeName, join(ROOT, g.path)]));

/** Host grammars: a stand-in YAML whose comment starts at the blanks before '#' (the hardest case for a tag). */
const STAND_IN_HOSTS = { 'source.yaml': join(ROOT, 'test/fixtures/grammars/yaml-standin.tmLanguage.json') };
/** VS Code's own YAML and Markdown grammars, present once code-server is installed (scripts/install-code-server.sh). */
const VSCODE_EXTENSIONS = join(ROOT, '.vscode-test/code-server/node_modules/code-server/lib/vscode/extensions');
const VSCODE_HOSTS: Record<string, string> = {
  'source.yaml': join(VSCODE_EXTENSIONS, 'yaml/syntaxes/yaml.tmLanguage.json'),
  'source.yaml.1.0': join(VSCODE_EXTENSIONS, 'yaml/syntaxes/yaml-1.0.tmLanguage.json'),
  'source.yaml.1.1': join(VSCODE_EXTENSIONS, 'yaml/syntaxes/yaml-1.1.tmLanguage.json'),
  'source.yaml.1.2': join(VSCODE_EXTENSIONS, 'yaml/syntaxes/yaml-1.2.tmLanguage.json'),
  'source.yaml.1.3': join(VSCODE_EXTENSIONS, 'yaml/syntaxes/yaml-1.3.tmLanguage.json'),
  'source.yaml.embedded': join(VSCODE_EXTENSIONS, 'yaml/syntaxes/yaml-embedded.tmLanguage.json'),
  'text.html.markdown': join(VSCODE_EXTENSIONS, 'markdown-basics/syntaxes/markdown.tmLanguage.json'),
};
const hasVscodeGrammars = Object.values(VSCODE_HOSTS).every((file) => existsSync(file));

// The WASM engine can be loaded once per process; every registry shares it.
let onigLib: Promise<textmate.IOnigLib> | undefined;
function loadOniguruma(): Promise<textmate.IOnigLib> {
  onigLib ??= (async () => {
    const wasm = readFileSync(require.resolve('vscode-oniguruma/release/onig.wasm'));
    await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
    return {
      createOnigScanner: (patterns: string[]) => new oniguruma.OnigScanner(patterns),
      createOnigString: (text: string) => new oniguruma.OnigString(text),
    };
  })();
  return onigLib;
}

type RawGrammar = Record<string, unknown> & { injections?: Record<string, unknown>; repository?: Record<string, unknown> };

async function loadGrammar(
  rootScope: string,
  hosts: Record<string, string>,
  patch?: (scopeName: string, grammar: RawGrammar) => void,
): Promise<textmate.IGrammar> {
  const registry = new textmate.Registry({
    onigLib: loadOniguruma(),
    loadGrammar: async (scopeName) => {
      const file = OUR_GRAMMARS.get(scopeName) ?? hosts[scopeName];
      if (!file) return null;
      const raw = JSON.parse(readFileSync(file, 'utf8')) as RawGrammar;
      patch?.(scopeName, raw);
      return textmate.parseRawGrammar(JSON.stringify(raw), file);
    },
  });
  const grammar = await registry.loadGrammar(rootScope);
  assert.ok(grammar, `grammar ${rootScope} loads`);
  return grammar;
}

interface Token {
  start: number;
  text: string;
  scopes: string[];
}

function tokenize(grammar: textmate.IGrammar, text: string): Token[][] {
  let stack = textmate.INITIAL;
  return text.split('\n').map((line) => {
    const result = grammar.tokenizeLine(line, stack);
    stack = result.ruleStack;
    return result.tokens.map((t) => ({ start: t.startIndex, text: line.slice(t.startIndex, t.endIndex), scopes: t.scopes }));
  });
}

/** [text, innermost scope] of every token that is not only blanks: the compact shape the tables compare. */
function innermost(line: Token[]): [string, string][] {
  return line.filter((t) => t.text.trim() !== '').map((t) => [t.text, t.scopes[t.scopes.length - 1]]);
}

function tokenOf(line: Token[], text: string): Token {
  const token = line.find((t) => t.text === text);
  assert.ok(token, `a token ${JSON.stringify(text)} in ${JSON.stringify(line.map((t) => t.text))}`);
  return token;
}

const YAML = 'source.makejinja.yaml';
const EXPR = 'meta.embedded.expression.jinja';
const STMT = 'meta.embedded.statement.jinja';
const BEGIN_EXPR = 'punctuation.definition.tag.expression.begin.jinja';
const END_EXPR = 'punctuation.definition.tag.expression.end.jinja';
const BEGIN_STMT = 'punctuation.definition.tag.statement.begin.jinja';
const END_STMT = 'punctuation.definition.tag.statement.end.jinja';
const MARKER = 'punctuation.definition.tag.whitespace-control.jinja';

const VALUE_LINE = "api: #{ cluster_api_addr | default('x') }#";
const VALUE_LINE_TOKENS: [string, string][] = [
  ['api', 'entity.name.tag.yaml'],
  [':', 'punctuation.separator.key-value.mapping.yaml'],
  ['#{', BEGIN_EXPR],
  ['cluster_api_addr', 'variable.other.jinja'],
  ['|', 'keyword.operator.filter.jinja'],
  ['default', 'support.function.filter.jinja'],
  ['(', 'punctuation.section.parens.begin.jinja'],
  ["'", 'punctuation.definition.string.begin.jinja'],
  ['x', 'string.quoted.single.jinja'],
  ["'", 'punctuation.definition.string.end.jinja'],
  [')', 'punctuation.section.parens.end.jinja'],
  ['}#', END_EXPR],
];

test('a #{ }# YAML value is Jinja, not the YAML comment that would start at the blank before it', async () => {
  const [line] = tokenize(await loadGrammar(YAML, STAND_IN_HOSTS), VALUE_LINE);
  assert.deepEqual(innermost(line), VALUE_LINE_TOKENS);
  const tag = line.slice(line.findIndex((t) => t.text === '#{'));
  for (const token of tag) {
    assert.ok(token.scopes.includes(EXPR), `${token.text} is inside the expression tag`);
    assert.ok(!token.scopes.some((s) => s.startsWith('comment')), `${token.text} is not a comment: ${token.scopes.join(' ')}`);
  }
});

test('the win needs both the left priority of the injection and the blank guard (controls)', async () => {
  const withoutLeftPriority = await loadGrammar(YAML, STAND_IN_HOSTS, (scopeName, raw) => {
    if (scopeName !== YAML || !raw.injections) return;
    raw.injections = Object.fromEntries(Object.entries(raw.injections).map(([selector, rule]) => [selector.replace(/^L:/, ''), rule]));
  });
  const withoutGuard = await loadGrammar(YAML, STAND_IN_HOSTS, (scopeName, raw) => {
    if (scopeName === 'source.makejinja' && raw.repository) raw.repository['host-guard'] = { match: '(?!)' };
  });
  const tagStart = VALUE_LINE.indexOf('#{');
  for (const grammar of [withoutLeftPriority, withoutGuard]) {
    const [line] = tokenize(grammar, VALUE_LINE);
    const fromTag = line.filter((t) => t.start + t.text.length > tagStart);
    assert.ok(fromTag.length > 0);
    for (const token of fromTag) {
      assert.ok(token.scopes.includes('comment.line.number-sign.yaml'), `the host comment wins in the control: ${token.text}`);
      assert.ok(!token.scopes.includes(EXPR));
    }
  }
});

test('YAML comments stay comments; a tag inside a YAML comment is still Jinja (makejinja renders it)', async () => {
  const lines = tokenize(await loadGrammar(YAML, STAND_IN_HOSTS), '# plain\nkey: value # trailing\n# note #{ x }# end');
  assert.deepEqual(innermost(lines[0]), [
    ['#', 'punctuation.definition.comment.yaml'],
    [' plain', 'comment.line.number-sign.yaml'],
  ]);
  assert.deepEqual(innermost(lines[1]), [
    ['key', 'entity.name.tag.yaml'],
    [':', 'punctuation.separator.key-value.mapping.yaml'],
    ['value', 'string.unquoted.plain.out.yaml'],
    ['#', 'punctuation.definition.comment.yaml'],
    [' trailing', 'comment.line.number-sign.yaml'],
  ]);
  assert.deepEqual(innermost(lines[2]), [
    ['#', 'punctuation.definition.comment.yaml'],
    [' note', 'comment.line.number-sign.yaml'],
    ['#{', BEGIN_EXPR],
    ['x', 'variable.other.jinja'],
    ['}#', END_EXPR],
    [' end', 'comment.line.number-sign.yaml'],
  ]);
  assert.ok(tokenOf(lines[2], 'x').scopes.includes('comment.line.number-sign.yaml'));
});

test('the host resumes after a tag inside a plain scalar and inside a quoted string', async () => {
  const lines = tokenize(await loadGrammar(YAML, STAND_IN_HOSTS), 'url: https://#{ addr }#:6443\n  - "#{ item }#"');
  assert.deepEqual(innermost(lines[0]), [
    ['url', 'entity.name.tag.yaml'],
    [':', 'punctuation.separator.key-value.mapping.yaml'],
    ['https://', 'string.unquoted.plain.out.yaml'],
    ['#{', BEGIN_EXPR],
    ['addr', 'variable.other.jinja'],
    ['}#', END_EXPR],
    [':6443', 'string.unquoted.plain.out.yaml'],
  ]);
  assert.deepEqual(tokenOf(lines[0], ':6443').scopes, [YAML, 'string.unquoted.plain.out.yaml']);
  assert.deepEqual(innermost(lines[1]), [
    ['-', 'punctuation.definition.block.sequence.item.yaml'],
    ['"', 'string.quoted.double.yaml'],
    ['#{', BEGIN_EXPR],
    ['item', 'variable.other.jinja'],
    ['}#', END_EXPR],
    ['"', 'string.quoted.double.yaml'],
  ]);
});

test('block statements: keyword, loop targets, filters, modifiers and whitespace markers', async () => {
  const lines = tokenize(
    await loadGrammar(YAML, STAND_IN_HOSTS),
    '#% if x_enabled %#\n  #%- for name, node in nodes | dictsort recursive -%#\n#%+ endif +%#',
  );
  assert.deepEqual(innermost(lines[0]), [
    ['#%', BEGIN_STMT],
    ['if', 'keyword.control.conditional.jinja'],
    ['x_enabled', 'variable.other.jinja'],
    ['%#', END_STMT],
  ]);
  assert.deepEqual(innermost(lines[1]), [
    ['#%', BEGIN_STMT],
    ['-', MARKER],
    ['for', 'keyword.control.loop.jinja'],
    ['name', 'variable.other.loop.jinja'],
    [',', 'punctuation.separator.comma.jinja'],
    ['node', 'variable.other.loop.jinja'],
    ['in', 'keyword.control.loop.jinja'],
    ['nodes', 'variable.other.jinja'],
    ['|', 'keyword.operator.filter.jinja'],
    ['dictsort', 'support.function.filter.jinja'],
    ['recursive', 'keyword.control.loop.jinja'],
    ['-', MARKER],
    ['%#', END_STMT],
  ]);
  assert.deepEqual(innermost(lines[2]), [
    ['#%', BEGIN_STMT],
    ['+', MARKER],
    ['endif', 'keyword.control.conditional.jinja'],
    ['+', MARKER],
    ['%#', END_STMT],
  ]);
  for (const token of lines.flat().filter((t) => t.text.trim() !== '')) assert.ok(token.scopes.includes(STMT), token.text);
});

test('every statement keyword gets its scope', async () => {
  const grammar = await loadGrammar('source.makejinja', {});
  const cases: [string, string, string][] = [
    ['#% elif a %#', 'elif', 'keyword.control.conditional.jinja'],
    ['#% else %#', 'else', 'keyword.control.conditional.jinja'],
    ['#% endfor %#', 'endfor', 'keyword.control.loop.jinja'],
    ['#% break %#', 'break', 'keyword.control.loop.jinja'],
    ['#% set x = 1 %#', 'set', 'keyword.control.set.jinja'],
    ['#% set block_value %#', 'set', 'keyword.control.set.jinja'],
    ['#% endset %#', 'endset', 'keyword.control.set.jinja'],
    ['#% macro render(n) %#', 'macro', 'keyword.control.macro.jinja'],
    ['#% macro render(n) %#', 'render', 'entity.name.function.macro.jinja'],
    ['#% endmacro %#', 'endmacro', 'keyword.control.macro.jinja'],
    ['#% call render(1) %#', 'call', 'keyword.control.macro.jinja'],
    ['#% endcall %#', 'endcall', 'keyword.control.macro.jinja'],
    ['#% filter upper %#', 'filter', 'keyword.control.filter.jinja'],
    ['#% filter upper %#', 'upper', 'support.function.filter.jinja'],
    ['#% endfilter %#', 'endfilter', 'keyword.control.filter.jinja'],
    ["#% include 'a.j2' ignore missing %#", 'include', 'keyword.control.import.jinja'],
    ["#% include 'a.j2' ignore missing %#", 'missing', 'keyword.control.import.jinja'],
    ["#% import 'm.j2' as m %#", 'import', 'keyword.control.import.jinja'],
    ["#% import 'm.j2' as m %#", 'as', 'keyword.control.import.jinja'],
    ["#% from 'm.j2' import x with context %#", 'from', 'keyword.control.import.jinja'],
    ["#% from 'm.j2' import x with context %#", 'import', 'keyword.control.import.jinja'],
    ["#% from 'm.j2' import x with context %#", 'context', 'keyword.control.import.jinja'],
    ["#% extends 'base.j2' %#", 'extends', 'keyword.control.import.jinja'],
    ['#% with a = 1 %#', 'with', 'keyword.control.jinja'],
    ['#% endwith %#', 'endwith', 'keyword.control.jinja'],
    ['#% block body scoped %#', 'block', 'keyword.control.block.jinja'],
    ['#% block body scoped %#', 'body', 'entity.name.section.block.jinja'],
    ['#% block body scoped %#', 'scoped', 'storage.modifier.jinja'],
    ['#% endblock body %#', 'endblock', 'keyword.control.block.jinja'],
    ['#% do items.append(1) %#', 'do', 'keyword.control.jinja'],
    ['{% endif %}', 'endif', 'keyword.control.conditional.jinja'],
  ];
  for (const [source, word, scope] of cases) {
    const [line] = tokenize(grammar, source);
    const token = tokenOf(line, word);
    assert.equal(token.scopes[token.scopes.length - 1], scope, `${word} in ${source}`);
  }
});

test('expressions: strings, numbers, operators, filters, tests, attributes, calls, constants', async () => {
  const grammar = await loadGrammar('source.makejinja', {});
  const cases: [string, [string, string][]][] = [
    [
      String.raw`#{ 'a' ~ "b\n" }#`,
      [
        ["'", 'punctuation.definition.string.begin.jinja'],
        ['a', 'string.quoted.single.jinja'],
        ["'", 'punctuation.definition.string.end.jinja'],
        ['~', 'keyword.operator.concatenation.jinja'],
        ['"', 'punctuation.definition.string.begin.jinja'],
        ['b', 'string.quoted.double.jinja'],
        [String.raw`\n`, 'constant.character.escape.jinja'],
        ['"', 'punctuation.definition.string.end.jinja'],
      ],
    ],
    [
      '#{ 1 + 2.5 * 1e3 // 4 ** 2 - 0x1F % 3 }#',
      [
        ['1', 'constant.numeric.integer.jinja'],
        ['+', 'keyword.operator.arithmetic.jinja'],
        ['2.5', 'constant.numeric.float.jinja'],
        ['*', 'keyword.operator.arithmetic.jinja'],
        ['1e3', 'constant.numeric.float.jinja'],
        ['//', 'keyword.operator.arithmetic.jinja'],
        ['4', 'constant.numeric.integer.jinja'],
        ['**', 'keyword.operator.arithmetic.jinja'],
        ['2', 'constant.numeric.integer.jinja'],
        ['-', 'keyword.operator.arithmetic.jinja'],
        ['0x1F', 'constant.numeric.integer.jinja'],
        ['%', 'keyword.operator.arithmetic.jinja'],
        ['3', 'constant.numeric.integer.jinja'],
      ],
    ],
    [
      '#{ a == b and c != d or not e in [1, 2] }#',
      [
        ['a', 'variable.other.jinja'],
        ['==', 'keyword.operator.comparison.jinja'],
        ['b', 'variable.other.jinja'],
        ['and', 'keyword.operator.logical.jinja'],
        ['c', 'variable.other.jinja'],
        ['!=', 'keyword.operator.comparison.jinja'],
        ['d', 'variable.other.jinja'],
        ['or', 'keyword.operator.logical.jinja'],
        ['not', 'keyword.operator.logical.jinja'],
        ['e', 'variable.other.jinja'],
        ['in', 'keyword.operator.word.jinja'],
        ['[', 'punctuation.section.brackets.begin.jinja'],
        ['1', 'constant.numeric.integer.jinja'],
        [',', 'punctuation.separator.comma.jinja'],
        ['2', 'constant.numeric.integer.jinja'],
        [']', 'punctuation.section.brackets.end.jinja'],
      ],
    ],
    [
      '#{ x is not none and n is divisibleby(3) }#',
      [
        ['x', 'variable.other.jinja'],
        ['is', 'keyword.operator.word.jinja'],
        ['not', 'keyword.operator.logical.jinja'],
        ['none', 'support.function.test.jinja'],
        ['and', 'keyword.operator.logical.jinja'],
        ['n', 'variable.other.jinja'],
        ['is', 'keyword.operator.word.jinja'],
        ['divisibleby', 'support.function.test.jinja'],
        ['(', 'punctuation.section.parens.begin.jinja'],
        ['3', 'constant.numeric.integer.jinja'],
        [')', 'punctuation.section.parens.end.jinja'],
      ],
    ],
    [
      "#{ node_cidr.split('/') | last }#",
      [
        ['node_cidr', 'variable.other.jinja'],
        ['.', 'punctuation.accessor.jinja'],
        ['split', 'entity.name.function.member.jinja'],
        ['(', 'punctuation.section.parens.begin.jinja'],
        ["'", 'punctuation.definition.string.begin.jinja'],
        ['/', 'string.quoted.single.jinja'],
        ["'", 'punctuation.definition.string.end.jinja'],
        [')', 'punctuation.section.parens.end.jinja'],
        ['|', 'keyword.operator.filter.jinja'],
        ['last', 'support.function.filter.jinja'],
      ],
    ],
    [
      "#{ true if loop.index > 1 else talos_patches('%s' % item.name) | length }#",
      [
        ['true', 'constant.language.jinja'],
        ['if', 'keyword.control.conditional.jinja'],
        ['loop', 'variable.language.jinja'],
        ['.', 'punctuation.accessor.jinja'],
        ['index', 'variable.other.property.jinja'],
        ['>', 'keyword.operator.comparison.jinja'],
        ['1', 'constant.numeric.integer.jinja'],
        ['else', 'keyword.control.conditional.jinja'],
        ['talos_patches', 'entity.name.function.jinja'],
        ['(', 'punctuation.section.parens.begin.jinja'],
        ["'", 'punctuation.definition.string.begin.jinja'],
        ['%s', 'string.quoted.single.jinja'],
        ["'", 'punctuation.definition.string.end.jinja'],
        ['%', 'keyword.operator.arithmetic.jinja'],
        ['item', 'variable.other.jinja'],
        ['.', 'punctuation.accessor.jinja'],
        ['name', 'variable.other.property.jinja'],
        [')', 'punctuation.section.parens.end.jinja'],
        ['|', 'keyword.operator.filter.jinja'],
        ['length', 'support.function.filter.jinja'],
      ],
    ],
    [
      "#{ {'a': range(3)}['a'] }#",
      [
        ['{', 'punctuation.section.braces.begin.jinja'],
        ["'", 'punctuation.definition.string.begin.jinja'],
        ['a', 'string.quoted.single.jinja'],
        ["'", 'punctuation.definition.string.end.jinja'],
        [':', 'punctuation.separator.colon.jinja'],
        ['range', 'support.function.builtin.jinja'],
        ['(', 'punctuation.section.parens.begin.jinja'],
        ['3', 'constant.numeric.integer.jinja'],
        [')', 'punctuation.section.parens.end.jinja'],
        ['}', 'punctuation.section.braces.end.jinja'],
        ['[', 'punctuation.section.brackets.begin.jinja'],
        ["'", 'punctuation.definition.string.begin.jinja'],
        ['a', 'string.quoted.single.jinja'],
        ["'", 'punctuation.definition.string.end.jinja'],
        [']', 'punctuation.section.brackets.end.jinja'],
      ],
    ],
  ];
  for (const [source, expected] of cases) {
    const [line] = tokenize(grammar, source);
    assert.deepEqual(innermost(line), [['#{', BEGIN_EXPR], ...expected, ['}#', END_EXPR]], source);
  }
});

test('a dict closing right before }# ends the dict, then the tag', async () => {
  const [line] = tokenize(await loadGrammar('source.makejinja', {}), "#{ {'a': 1}}# after");
  assert.deepEqual(innermost(line).slice(-3), [
    ['}', 'punctuation.section.braces.end.jinja'],
    ['}#', END_EXPR],
    [' after', 'source.makejinja'],
  ]);
});

test('comments: #| #| on one line, across lines, with markers; the text after them is not a comment', async () => {
  const lines = tokenize(await loadGrammar(YAML, STAND_IN_HOSTS), '#| one #|\n#|- first\nsecond -#| key: v');
  assert.deepEqual(innermost(lines[0]), [
    ['#|', 'punctuation.definition.comment.begin.jinja'],
    [' one ', 'comment.block.jinja'],
    ['#|', 'punctuation.definition.comment.end.jinja'],
  ]);
  assert.deepEqual(innermost(lines[1]), [
    ['#|', 'punctuation.definition.comment.begin.jinja'],
    ['-', MARKER],
    [' first', 'comment.block.jinja'],
  ]);
  assert.deepEqual(innermost(lines[2]), [
    ['second ', 'comment.block.jinja'],
    ['-', MARKER],
    ['#|', 'punctuation.definition.comment.end.jinja'],
    ['key: v', 'string.unquoted.plain.out.yaml'],
  ]);
  assert.ok(!tokenOf(lines[2], 'key: v').scopes.some((s) => s.startsWith('comment')));
});

test('raw blocks keep their content out of Jinja', async () => {
  const [line] = tokenize(await loadGrammar(YAML, STAND_IN_HOSTS), '#% raw %##{ not_jinja }##% endraw %#');
  assert.deepEqual(innermost(line), [
    ['#%', BEGIN_STMT],
    ['raw', 'keyword.control.raw.jinja'],
    ['%#', END_STMT],
    ['#{ not_jinja }#', 'meta.raw.content.jinja'],
    ['#%', BEGIN_STMT],
    ['endraw', 'keyword.control.raw.jinja'],
    ['%#', END_STMT],
  ]);
});

test('Jinja default delimiters still highlight, in YAML (beating a flow mapping) and in plain files', async () => {
  const yamlLines = tokenize(
    await loadGrammar(YAML, STAND_IN_HOSTS),
    'map: {{ x | upper }}\n{%- if y %}\n{# note #}\nflow: { a: 1 }\n{% raw %}{{ a }}{% endraw %}',
  );
  assert.deepEqual(innermost(yamlLines[0]), [
    ['map', 'entity.name.tag.yaml'],
    [':', 'punctuation.separator.key-value.mapping.yaml'],
    ['{{', BEGIN_EXPR],
    ['x', 'variable.other.jinja'],
    ['|', 'keyword.operator.filter.jinja'],
    ['upper', 'support.function.filter.jinja'],
    ['}}', END_EXPR],
  ]);
  assert.ok(!tokenOf(yamlLines[0], '{{').scopes.includes('meta.flow-mapping.yaml'));
  assert.deepEqual(innermost(yamlLines[1]), [
    ['{%', BEGIN_STMT],
    ['-', MARKER],
    ['if', 'keyword.control.conditional.jinja'],
    ['y', 'variable.other.jinja'],
    ['%}', END_STMT],
  ]);
  assert.deepEqual(innermost(yamlLines[2]), [
    ['{#', 'punctuation.definition.comment.begin.jinja'],
    [' note ', 'comment.block.jinja'],
    ['#}', 'punctuation.definition.comment.end.jinja'],
  ]);
  assert.deepEqual(innermost(yamlLines[3]), [
    ['flow', 'entity.name.tag.yaml'],
    [':', 'punctuation.separator.key-value.mapping.yaml'],
    ['{', 'punctuation.definition.mapping.begin.yaml'],
    ['a: 1', 'string.unquoted.plain.out.yaml'],
    ['}', 'punctuation.definition.mapping.end.yaml'],
  ]);
  assert.deepEqual(tokenOf(yamlLines[4], '{{ a }}').scopes.slice(-1), ['meta.raw.content.jinja']);

  const plain = tokenize(await loadGrammar('source.makejinja', {}), 'echo ${#items[@]} {{ n }}\n## Title {#anchor}');
  assert.deepEqual(innermost(plain[0]), [
    ['echo ${#items[@]} ', 'source.makejinja'],
    ['{{', BEGIN_EXPR],
    ['n', 'variable.other.jinja'],
    ['}}', END_EXPR],
  ]);
  assert.deepEqual(innermost(plain[1]), [['## Title {#anchor}', 'source.makejinja']]);
});

test('gotmpl: {{ }} are Go template actions, #{ }# is Jinja, also inside a Go string', async () => {
  const lines = tokenize(
    await loadGrammar('source.makejinja.gotmpl-yaml', STAND_IN_HOSTS),
    [
      '{{ (fromYaml (readFile (printf "../%s/app" .Release.Namespace))).spec.values | toYaml }}',
      '#% if spegel_enabled %#',
      'image: {{- .Values.image | default "#{ default_image }#" -}}',
      '{{/* kept for helmfile */}}',
      '#% endif %#',
    ].join('\n'),
  );
  assert.deepEqual(innermost(lines[0]), [
    ['{{', 'punctuation.definition.tag.begin.gotemplate'],
    ['(', 'punctuation.section.parens.begin.gotemplate'],
    ['fromYaml', 'support.function.gotemplate'],
    ['(', 'punctuation.section.parens.begin.gotemplate'],
    ['readFile', 'support.function.gotemplate'],
    ['(', 'punctuation.section.parens.begin.gotemplate'],
    ['printf', 'support.function.builtin.gotemplate'],
    ['"', 'punctuation.definition.string.begin.gotemplate'],
    ['../%s/app', 'string.quoted.double.gotemplate'],
    ['"', 'punctuation.definition.string.end.gotemplate'],
    ['.', 'punctuation.accessor.gotemplate'],
    ['Release', 'variable.other.member.gotemplate'],
    ['.', 'punctuation.accessor.gotemplate'],
    ['Namespace', 'variable.other.member.gotemplate'],
    [')', 'punctuation.section.parens.end.gotemplate'],
    [')', 'punctuation.section.parens.end.gotemplate'],
    [')', 'punctuation.section.parens.end.gotemplate'],
    ['.', 'punctuation.accessor.gotemplate'],
    ['spec', 'variable.other.member.gotemplate'],
    ['.', 'punctuation.accessor.gotemplate'],
    ['values', 'variable.other.member.gotemplate'],
    ['|', 'keyword.operator.pipe.gotemplate'],
    ['toYaml', 'support.function.gotemplate'],
    ['}}', 'punctuation.definition.tag.end.gotemplate'],
  ]);
  assert.ok(!lines[0].some((t) => t.scopes.some((s) => s.endsWith('.jinja'))), 'no Jinja in a Go action');
  assert.deepEqual(innermost(lines[1]).map(([, scope]) => scope), [BEGIN_STMT, 'keyword.control.conditional.jinja', 'variable.other.jinja', END_STMT]);
  assert.deepEqual(innermost(lines[2]), [
    ['image', 'entity.name.tag.yaml'],
    [':', 'punctuation.separator.key-value.mapping.yaml'],
    ['{{', 'punctuation.definition.tag.begin.gotemplate'],
    ['-', 'punctuation.definition.tag.whitespace-control.gotemplate'],
    ['.', 'punctuation.accessor.gotemplate'],
    ['Values', 'variable.other.member.gotemplate'],
    ['.', 'punctuation.accessor.gotemplate'],
    ['image', 'variable.other.member.gotemplate'],
    ['|', 'keyword.operator.pipe.gotemplate'],
    ['default', 'support.function.gotemplate'],
    ['"', 'punctuation.definition.string.begin.gotemplate'],
    ['#{', BEGIN_EXPR],
    ['default_image', 'variable.other.jinja'],
    ['}#', END_EXPR],
    ['"', 'punctuation.definition.string.end.gotemplate'],
    ['-', 'punctuation.definition.tag.whitespace-control.gotemplate'],
    ['}}', 'punctuation.definition.tag.end.gotemplate'],
  ]);
  assert.ok(tokenOf(lines[2], 'default_image').scopes.includes('string.quoted.double.gotemplate'));
  assert.deepEqual(innermost(lines[3]).map(([, scope]) => scope), [
    'punctuation.definition.tag.begin.gotemplate',
    'punctuation.definition.comment.begin.gotemplate',
    'comment.block.gotemplate',
    'punctuation.definition.comment.end.gotemplate',
    'punctuation.definition.tag.end.gotemplate',
  ]);
});

test('Terraform host: HCL comments, strings and blocks around Jinja tags', async () => {
  const lines = tokenize(
    await loadGrammar('source.makejinja.terraform', {}),
    '# generated #{ now }#\nresource "vm" "node" {\n  name  = "#{ node.name }#"\n  cores = #{ cores }#\n}',
  );
  assert.deepEqual(innermost(lines[0]), [
    ['#', 'punctuation.definition.comment.hcl'],
    [' generated', 'comment.line.number-sign.hcl'],
    ['#{', BEGIN_EXPR],
    ['now', 'variable.other.jinja'],
    ['}#', END_EXPR],
  ]);
  assert.deepEqual(innermost(lines[1]), [
    ['resource', 'entity.name.type.block.hcl'],
    ['"', 'punctuation.definition.string.begin.hcl'],
    ['vm', 'string.quoted.double.hcl'],
    ['"', 'punctuation.definition.string.end.hcl'],
    ['"', 'punctuation.definition.string.begin.hcl'],
    ['node', 'string.quoted.double.hcl'],
    ['"', 'punctuation.definition.string.end.hcl'],
    ['{', 'punctuation.section.braces.hcl'],
  ]);
  assert.deepEqual(innermost(lines[2]), [
    ['name', 'variable.other.property.hcl'],
    ['=', 'keyword.operator.assignment.hcl'],
    ['"', 'punctuation.definition.string.begin.hcl'],
    ['#{', BEGIN_EXPR],
    ['node', 'variable.other.jinja'],
    ['.', 'punctuation.accessor.jinja'],
    ['name', 'variable.other.property.jinja'],
    ['}#', END_EXPR],
    ['"', 'punctuation.definition.string.end.hcl'],
  ]);
  assert.deepEqual(innermost(lines[3]), [
    ['cores', 'variable.other.property.hcl'],
    ['=', 'keyword.operator.assignment.hcl'],
    ['#{', BEGIN_EXPR],
    ['cores', 'variable.other.jinja'],
    ['}#', END_EXPR],
  ]);
});

test('inside a tag the token type is "other" and the language is jinja, even within a YAML string', async () => {
  const ids = new Map(manifest.contributes.languages.map((l, index) => [l.id, index + 1]));
  const yamlContribution = manifest.contributes.grammars.find((g) => g.scopeName === YAML);
  assert.ok(yamlContribution?.embeddedLanguages);
  const embeddedLanguages = Object.fromEntries(
    Object.entries(yamlContribution.embeddedLanguages).map(([scope, id]) => [scope, ids.get(id) ?? 0]),
  );
  const registry = new textmate.Registry({
    onigLib: loadOniguruma(),
    loadGrammar: async (scopeName) => {
      const file = OUR_GRAMMARS.get(scopeName) ?? (STAND_IN_HOSTS as Record<string, string>)[scopeName];
      return file ? textmate.parseRawGrammar(readFileSync(file, 'utf8'), file) : null;
    },
  });
  const grammar = await registry.loadGrammarWithConfiguration(YAML, ids.get('jinja-yaml') ?? 0, { embeddedLanguages });
  assert.ok(grammar);
  const line = 'k: "a #{ x }#"';
  const binary = grammar.tokenizeLine2(line, textmate.INITIAL).tokens;
  const metadataAt = (offset: number): number => {
    let metadata = 0;
    for (let i = 0; i < binary.length; i += 2) if (binary[i] <= offset) metadata = binary[i + 1];
    return metadata;
  };
  // Bits of vscode-textmate's encoded metadata: language id 0-7, standard token type 8-9 (0 other, 2 string).
  const languageOf = (metadata: number) => metadata & 0xff;
  const tokenTypeOf = (metadata: number) => (metadata >>> 8) & 0x3;
  const quote = metadataAt(line.indexOf('"'));
  const variable = metadataAt(line.indexOf('x'));
  assert.deepEqual([languageOf(quote), tokenTypeOf(quote)], [ids.get('jinja-yaml'), 2]);
  assert.deepEqual([languageOf(variable), tokenTypeOf(variable)], [ids.get('jinja'), 0]);
});

test("with VS Code's own YAML and Markdown grammars", async (t) => {
  if (!hasVscodeGrammars) {
    t.skip('VS Code grammars not installed (scripts/install-code-server.sh installs them)');
    return;
  }
  const yamlLines = tokenize(
    await loadGrammar(YAML, VSCODE_HOSTS),
    [VALUE_LINE, '# plain', 'nodes:', '  #% for item in nodes %#', '  - mtu: #{ item.mtu }# # note', '  #% endfor %#'].join('\n'),
  );
  assert.deepEqual(innermost(yamlLines[0]).slice(2), VALUE_LINE_TOKENS.slice(2));
  assert.ok(!yamlLines[0].some((tok) => tok.scopes.some((s) => s.startsWith('comment'))));
  assert.deepEqual(innermost(yamlLines[1]), [
    ['#', 'punctuation.definition.comment.yaml'],
    [' plain', 'comment.line.number-sign.yaml'],
  ]);
  assert.deepEqual(innermost(yamlLines[3]).map(([, scope]) => scope), [BEGIN_STMT, 'keyword.control.loop.jinja', 'variable.other.loop.jinja', 'keyword.control.loop.jinja', 'variable.other.jinja', END_STMT]);
  assert.ok(!yamlLines[3].some((tok) => tok.scopes.some((s) => s.startsWith('comment'))));
  assert.deepEqual(tokenOf(yamlLines[4], 'mtu').scopes.slice(-1), ['entity.name.tag.yaml']);
  assert.ok(tokenOf(yamlLines[4], '#{').scopes.includes(EXPR));
  assert.ok(!tokenOf(yamlLines[4], '#{').scopes.some((s) => s.startsWith('comment')));
  assert.deepEqual(tokenOf(yamlLines[4], ' note').scopes.slice(-1), ['comment.line.number-sign.yaml']);

  const md = tokenize(await loadGrammar('source.makejinja.markdown', VSCODE_HOSTS), '# Title #{ name }#\n\n#% if x %#\n- item {{ y }}\n#% endif %#\n## Anchor {#id}');
  assert.deepEqual(tokenOf(md[0], 'Title').scopes.slice(-1), ['entity.name.section.markdown']);
  assert.ok(tokenOf(md[0], 'name').scopes.includes(EXPR));
  assert.deepEqual(innermost(md[2]).map(([, scope]) => scope), [BEGIN_STMT, 'keyword.control.conditional.jinja', 'variable.other.jinja', END_STMT]);
  assert.ok(!md[2].some((tok) => tok.scopes.some((s) => s.startsWith('markup.heading'))));
  assert.ok(tokenOf(md[3], 'y').scopes.includes('markup.list.unnumbered.markdown'));
  assert.ok(tokenOf(md[3], 'y').scopes.includes(EXPR));
  assert.ok(!md[5].some((tok) => tok.scopes.includes('comment.block.jinja')));
});

test('manifest: grammars, languages, activation and snippets are wired to files that exist', () => {
  const { languages, grammars, snippets } = manifest.contributes;
  const ids = languages.map((l) => l.id);
  assert.deepEqual(ids, ['jinja', 'jinja-yaml', 'jinja-markdown', 'jinja-terraform', 'jinja-gotmpl-yaml']);
  for (const language of languages) {
    assert.ok(existsSync(join(ROOT, language.configuration)), language.configuration);
    assert.ok(manifest.activationEvents.includes(`onLanguage:${language.id}`), language.id);
  }
  assert.deepEqual(grammars.map((g) => g.language), ids);
  for (const grammar of grammars) {
    const raw = JSON.parse(readFileSync(join(ROOT, grammar.path), 'utf8')) as { scopeName: string };
    assert.equal(raw.scopeName, grammar.scopeName, grammar.path);
    for (const target of Object.values(grammar.embeddedLanguages ?? {})) {
      assert.ok(ids.includes(target) || ['yaml', 'json', 'shellscript', 'html'].includes(target), target);
    }
  }
  for (const snippet of snippets) {
    assert.ok(ids.includes(snippet.language));
    assert.ok(existsSync(join(ROOT, snippet.path)), snippet.path);
  }
});

test('file associations: the longest matching extension wins, as in VS Code', () => {
  const languageOf = (fileName: string): string | undefined => {
    let best: { id: string; length: number } | undefined;
    for (const language of manifest.contributes.languages) {
      for (const extension of language.extensions) {
        if (fileName.endsWith(extension) && (!best || extension.length > best.length)) best = { id: language.id, length: extension.length };
      }
    }
    return best?.id;
  };
  const cases: [string, string | undefined][] = [
    ['ks.yaml.j2', 'jinja-yaml'],
    ['secret.sops.yaml.j2', 'jinja-yaml'],
    ['.sops.yaml.j2', 'jinja-yaml'],
    ['config.yml.j2', 'jinja-yaml'],
    ['values.yaml.gotmpl.j2', 'jinja-gotmpl-yaml'],
    ['README.md.j2', 'jinja-markdown'],
    ['main.tf.j2', 'jinja-terraform'],
    ['terraform.tfvars.j2', 'jinja-terraform'],
    ['bgp.conf.j2', 'jinja'],
    ['cluster.yaml', undefined],
  ];
  assert.deepEqual(cases.map(([name]) => [name, languageOf(name)]), cases);
});

test('language configuration: folding markers, auto-closing pairs and block comments', () => {
  for (const language of manifest.contributes.languages) {
    const config = JSON.parse(readFileSync(join(ROOT, language.configuration), 'utf8')) as {
      comments: { blockComment: [string, string]; lineComment?: string };
      autoClosingPairs: { open: string; close: string }[];
      folding: { markers: { start: string; end: string } };
    };
    assert.deepEqual(config.comments, { blockComment: ['#|', '#|'] }, `${language.id}: a # line comment would "uncomment" #% and #{ lines`);
    const opens = config.autoClosingPairs.map((p) => `${p.open}…${p.close}`);
    for (const pair of ['#{… }#', '#%… %#', '#|… #|']) assert.ok(opens.includes(pair), `${language.id} closes ${pair}`);
    assert.equal(opens.includes('{%… %}'), language.id !== 'jinja-gotmpl-yaml', `${language.id}: {% pairs only where {{ }} is Jinja`);

    const start = new RegExp(config.folding.markers.start);
    const end = new RegExp(config.folding.markers.end);
    const cases: [string, 'start' | 'end' | 'none'][] = [
      ['#% if x_enabled %#', 'start'],
      ['  #%- for node in nodes -%#', 'start'],
      ['{% macro m(a) %}', 'start'],
      ['#% set block_value %#', 'start'],
      ['#% set x = 1 %#', 'none'],
      ['#% if x %#a#% endif %#', 'none'],
      ['#% else %#', 'none'],
      ['key: value', 'none'],
      ['#% endif %#', 'end'],
      ['    #%- endfor %#', 'end'],
      ['{% endmacro %}', 'end'],
      ['#% endset %#', 'end'],
    ];
    const actual = cases.map(([line]) => [line, start.test(line) ? 'start' : end.test(line) ? 'end' : 'none']);
    assert.deepEqual(actual, cases, language.id);
  }
});
