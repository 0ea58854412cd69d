// Unit tests for the makejinja.toml reader: makejinja's defaults, every option family, and a
// problem (with its line) for each kind of bad input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  jinjaSyntaxOf,
  makejinjaDefaults,
  readMakejinjaConfig,
  type MakejinjaConfig,
  type MakejinjaConfigProblem,
  type TemplateSyntax,
} from '../../../server/src/engines/render/makejinjaConfig';
import type { JinjaSyntax } from '../../../server/src/services/jinja/syntax';

const REPO_ROOT = join(__dirname, '..', '..', '..', '..');
const MINIMAL = '[makejinja]\ninputs = ["./templates"]\noutput = "./"\n';

/** The defaults with the two required options filled in as MINIMAL does, plus `changes`. */
function expectedConfig(changes: (config: MakejinjaConfig) => void = () => undefined): MakejinjaConfig {
  const config = makejinjaDefaults();
  config.inputs = ['./templates'];
  config.output = './';
  changes(config);
  return config;
}

function problemsOf(text: string): MakejinjaConfigProblem[] {
  return readMakejinjaConfig(text).problems;
}

test('the example workspace makejinja.toml reads completely and without problems', () => {
  const text = readFileSync(join(REPO_ROOT, 'example', 'makejinja.toml'), 'utf8');
  const expected = makejinjaDefaults();
  expected.inputs = ['./templates/overrides', './templates/config'];
  expected.output = './';
  expected.exclude_patterns = ['*.partial.yaml.j2'];
  expected.data = ['./cluster.yaml', './nodes.yaml'];
  expected.import_paths = ['./templates/scripts'];
  expected.loaders = ['plugin:Plugin'];
  expected.jinja_suffix = '.j2';
  expected.copy_metadata = true;
  expected.force = true;
  expected.undefined = 'chainable';
  expected.delimiters = {
    block_start: '#%',
    block_end: '%#',
    comment_start: '#|',
    comment_end: '#|',
    variable_start: '#{',
    variable_end: '}#',
  };
  assert.deepEqual(readMakejinjaConfig(text), { config: expected, problems: [] });
});

test('makejinja defaults (not Jinja defaults) apply when makejinja.toml omits whitespace options', () => {
  // The upstream cluster-template makejinja.toml has no [makejinja.whitespace]: makejinja's defaults
  // make trim_blocks, lstrip_blocks and keep_trailing_newline true, unlike Jinja's own (all false).
  const { config, problems } = readMakejinjaConfig(MINIMAL);
  assert.deepEqual(problems, []);
  assert.deepEqual(config.whitespace, { trim_blocks: true, lstrip_blocks: true, keep_trailing_newline: true, newline_sequence: '\n' });
  assert.deepEqual(config, expectedConfig());
  assert.equal(config.jinja_suffix, '.jinja');
  assert.deepEqual(config.include_patterns, ['**/*']);
  assert.deepEqual(config.import_paths, ['.']);
  assert.equal(config.undefined, 'default');
});

test('jinjaSyntaxOf gives the delimiters, prefixes and block whitespace switches', () => {
  const text = `${MINIMAL}
[makejinja.delimiter]
block_start = "<%"
block_end = "%>"
variable_start = "<<"
variable_end = ">>"
comment_start = "<#"
comment_end = "#>"

[makejinja.prefix]
line_statement = "%%"
line_comment = "##"

[makejinja.whitespace]
trim_blocks = false
lstrip_blocks = true
`;
  const { config, problems } = readMakejinjaConfig(text);
  assert.deepEqual(problems, []);
  assert.deepEqual(jinjaSyntaxOf(config), {
    blockStart: '<%',
    blockEnd: '%>',
    variableStart: '<<',
    variableEnd: '>>',
    commentStart: '<#',
    commentEnd: '#>',
    lineStatementPrefix: '%%',
    lineCommentPrefix: '##',
    trimBlocks: false,
    lstripBlocks: true,
  });
});

test('jinjaSyntaxOf leaves the line prefixes out when makejinja.toml does not set them', () => {
  assert.deepEqual(jinjaSyntaxOf(readMakejinjaConfig(MINIMAL).config), {
    blockStart: '{%',
    blockEnd: '%}',
    variableStart: '{{',
    variableEnd: '}}',
    commentStart: '{#',
    commentEnd: '#}',
    trimBlocks: true,
    lstripBlocks: true,
  });
});

test('TemplateSyntax and the parser\'s JinjaSyntax have the same shape (checked by the compiler)', () => {
  const forParser: JinjaSyntax = jinjaSyntaxOf(readMakejinjaConfig(MINIMAL).config);
  const back: TemplateSyntax = forParser;
  assert.equal(back, forParser);
});

test('every remaining option is read, with dashes in keys meaning underscores', () => {
  const text = `[makejinja]
inputs = ["a", "b"]
output = "out"
include-patterns = ["**/*.j2"]
keep_jinja_suffix = true
keep-empty = true
jinja_suffix = ""
plugins = ["plugin.Plugin"]
data_vars = { "areas.kitchen" = "Cuisine" }
force = true
quiet = true
undefined = "strict"

[makejinja.file_data]
"home.yaml.jinja" = ["./home.yaml", "./common.yaml"]

[makejinja.whitespace]
keep_trailing_newline = false
newline_sequence = "\\r\\n"

[makejinja.internal]
optimized = false
cache_size = 400
auto_reload = true
enable_async = true
`;
  const expected = makejinjaDefaults();
  expected.inputs = ['a', 'b'];
  expected.output = 'out';
  expected.include_patterns = ['**/*.j2'];
  expected.keep_jinja_suffix = true;
  expected.keep_empty = true;
  expected.jinja_suffix = '';
  expected.plugins = ['plugin.Plugin'];
  expected.data_vars = { 'areas.kitchen': 'Cuisine' };
  expected.file_data = { 'home.yaml.jinja': ['./home.yaml', './common.yaml'] };
  expected.force = true;
  expected.quiet = true;
  expected.undefined = 'strict';
  expected.whitespace.keep_trailing_newline = false;
  expected.whitespace.newline_sequence = '\r\n';
  expected.internal = { optimized: false, autoescape: false, cache_size: 400, auto_reload: true, enable_async: true };
  assert.deepEqual(readMakejinjaConfig(text), { config: expected, problems: [] });
});

test('an unknown option is an error at its line, with the closest option name', () => {
  const text = `${MINIMAL}exclude_pattern = ["*.md"]\n\n[makejinja.whitespace]\ntrim_block = false\n`;
  assert.deepEqual(readMakejinjaConfig(text), {
    config: expectedConfig(),
    problems: [
      { message: '`exclude_pattern` is not a makejinja option; makejinja refuses to run with it. Did you mean `exclude_patterns`?', line: 3, severity: 'error' },
      { message: '`whitespace.trim_block` is not a makejinja option; makejinja refuses to run with it. Did you mean `trim_blocks`?', line: 6, severity: 'error' },
    ],
  });
});

test('an unknown option inside an inline table points at its own line', () => {
  const single = `${MINIMAL}delimiter = { block_start = "<%", colour = "red" }\n`;
  const result = readMakejinjaConfig(single);
  assert.deepEqual(result.problems, [{ message: '`delimiter.colour` is not a makejinja option; makejinja refuses to run with it.', line: 3, severity: 'error' }]);
  assert.equal(result.config.delimiters.block_start, '<%');
  // smol-toml also reads TOML 1.1 inline tables that span lines; the key keeps its own line.
  const spread = `${MINIMAL}delimiter = {\n  block_start = "<%",\n  colour = "red" }\n`;
  assert.deepEqual(problemsOf(spread), [{ message: '`delimiter.colour` is not a makejinja option; makejinja refuses to run with it.', line: 5, severity: 'error' }]);
});

test('values of the wrong type are errors and leave the default in place', () => {
  const text = `[makejinja]
inputs = "./templates"
output = "./"
copy_metadata = "yes"
undefined = "lenient"
data_vars = { answer = 42 }

[makejinja.whitespace]
newline_sequence = "\\t"
[makejinja.internal]
cache_size = 1.5
`;
  assert.deepEqual(readMakejinjaConfig(text), {
    config: (() => {
      const config = makejinjaDefaults();
      config.output = './';
      return config;
    })(),
    problems: [
      { message: '`inputs` must be a list of strings, e.g. ["./templates"]', line: 1, severity: 'error' },
      { message: '`copy_metadata` must be true or false', line: 3, severity: 'error' },
      { message: '`undefined` must be one of "default", "chainable", "debug", "strict"', line: 4, severity: 'error' },
      { message: '`data_vars` must be a table of strings, e.g. { "a.b" = "value" }', line: 5, severity: 'error' },
      { message: '`whitespace.newline_sequence` must be "\\n", "\\r\\n" or "\\r"', line: 8, severity: 'error' },
      { message: '`internal.cache_size` must be a whole number', line: 10, severity: 'error' },
    ],
  });
});

test('options our renderer does not honour are warnings only when set to a non-default value', () => {
  const quiet = `${MINIMAL}extensions = ["jinja2.ext.loopcontrols"]\nexec_pre = []\nexec_post = []\nclean = false\nundefined = "chainable"\n[makejinja.internal]\nautoescape = false\n`;
  assert.deepEqual(problemsOf(quiet), []);
  const loud = `${MINIMAL}extensions = ["jinja2.ext.do", "jinja2.ext.i18n"]
exec_pre = ["echo hi"]
exec_post = ["echo bye"]
clean = true
undefined = "debug"
[makejinja.internal]
autoescape = true
`;
  assert.deepEqual(problemsOf(loud), [
    { message: 'the editor renderer implements jinja2.ext.do and jinja2.ext.loopcontrols only, not jinja2.ext.i18n; templates that use their tags will fail to render', line: 3, severity: 'warning' },
    { message: 'shell commands in exec_pre are not run by the editor renderer; run makejinja for them', line: 4, severity: 'warning' },
    { message: 'shell commands in exec_post are not run by the editor renderer; run makejinja for them', line: 5, severity: 'warning' },
    { message: 'clean = true (delete the whole output folder first) is not done by the editor renderer; it only replaces the files it renders', line: 6, severity: 'warning' },
    { message: 'internal.autoescape = true (HTML escaping of every printed value) is not available in the editor renderer', line: 9, severity: 'warning' },
  ]);
});

test('missing inputs and output are errors, as makejinja requires both', () => {
  assert.deepEqual(problemsOf('# settings\n[makejinja]\nforce = true\n'), [
    { message: '`inputs` is missing; makejinja requires it', line: 1, severity: 'error' },
    { message: '`output` is missing; makejinja requires it', line: 1, severity: 'error' },
  ]);
});

test('a file without a [makejinja] table, or with other tables, is reported', () => {
  assert.deepEqual(readMakejinjaConfig(''), {
    config: makejinjaDefaults(),
    problems: [{ message: 'makejinja.toml has no [makejinja] table; makejinja reads its options only from there', severity: 'error' }],
  });
  assert.deepEqual(problemsOf(`[tool]\nname = "x"\n${MINIMAL}`), [
    { message: '[tool] is outside the [makejinja] table; makejinja ignores it', line: 0, severity: 'warning' },
  ]);
  assert.deepEqual(problemsOf('makejinja = 3\n'), [{ message: '`makejinja` must be a table ([makejinja])', line: 0, severity: 'error' }]);
});

test('a TOML syntax error gives the defaults and an error at its line', () => {
  const result = readMakejinjaConfig('[makejinja]\ninputs = ["a"\noutput = "./"\n');
  assert.deepEqual(result.config, makejinjaDefaults());
  assert.deepEqual(result.problems, [
    { message: 'makejinja.toml is not valid TOML: Invalid TOML document: expected comma or end of structure', line: 2, severity: 'error' },
  ]);
});

test('Jinja refuses equal start delimiters and empty ones', () => {
  const text = `${MINIMAL}[makejinja.delimiter]\nblock_start = "#{"\nvariable_start = "#{"\ncomment_end = ""\n`;
  assert.deepEqual(problemsOf(text), [
    { message: 'block_start, variable_start and comment_start must all differ; Jinja refuses the environment otherwise', line: 3, severity: 'error' },
    { message: 'delimiter `comment_end` must not be empty', line: 6, severity: 'error' },
  ]);
});

test('line numbers survive multi-line strings and arrays, comments and quoted keys', () => {
  const text = `[makejinja]
inputs = [
  "./a", # first
  "./b",
]
output = """
./"""
"colour" = 1
`;
  assert.deepEqual(problemsOf(text), [{ message: '`colour` is not a makejinja option; makejinja refuses to run with it.', line: 7, severity: 'error' }]);
});
