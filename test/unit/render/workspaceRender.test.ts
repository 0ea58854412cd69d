// makejinja's workspace semantics: inputs in order (first output path wins), include/exclude,
// jinja_suffix, keep_empty, copied files, modes, empty folders, file_data/data_vars/env, errors
// collected from every template, the live preview, invalidation; a temporary workspace compared
// with the makejinja reference script; and the `render` command (nothing written on error).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fnmatchCase, globMatcher, pathMatch, WorkspaceRenderer, type RenderPlan } from '../../../server/src/engines/render/workspaceRender';
import { writeRenderPlan } from '../../../server/src/host/atomicWrite';
import { memoryFileReader, nodeFileReader, type MemoryFileOptions } from '../../../server/src/host/fileReader';
import { REFERENCE_PYTHON, referenceUnavailable } from '../../support/referencePython';

const REPO_ROOT = join(__dirname, '..', '..', '..', '..');
const CLI = join(REPO_ROOT, 'out', 'server', 'src', 'cli.js');
const REFERENCE_SCRIPT = join(REPO_ROOT, 'test', 'support', 'makejinja_reference.py');

const DELIMITERS = '[makejinja.delimiter]\nblock_start = "#%"\nblock_end = "%#"\ncomment_start = "#|"\ncomment_end = "#|"\nvariable_start = "#{"\nvariable_end = "}#"\n';
const TOML = (extra = ''): string =>
  `[makejinja]\ninputs = ["./templates/overrides", "./templates/config"]\noutput = "./"\njinja_suffix = ".j2"\nforce = true\ndata = ["./cluster.yaml"]\n${extra}\n${DELIMITERS}`;

function renderer(files: Record<string, string>, options: MemoryFileOptions = {}, env: Record<string, string> = {}): WorkspaceRenderer {
  return new WorkspaceRenderer('/ws', memoryFileReader(files, options), { env, derivedData: 'static' });
}

function outputs(plan: RenderPlan): Record<string, string> {
  return Object.fromEntries(plan.files.map((file) => [file.relativePath, typeof file.content === 'string' ? file.content : `<${file.content.length} bytes>`]));
}

describe('WorkspaceRenderer.plan', () => {
  it('renders inputs in order: the first file for an output path wins; suffixes are stripped, other files copied', async () => {
    const plan = await renderer({
      '/ws/makejinja.toml': TOML(),
      '/ws/cluster.yaml': 'name: home\n',
      '/ws/templates/overrides/apps/a.yaml.j2': 'override #{ name }#\n',
      '/ws/templates/config/apps/a.yaml.j2': 'config #{ name }#\n',
      '/ws/templates/config/apps/b.yaml.j2': 'b #{ name | upper }#\n',
      '/ws/templates/config/apps/plain.txt': 'copied #{ as is }#\n',
      '/ws/templates/config/apps/c.yaml': 'c.yaml is copied and wins over c.yaml.j2 (sorted first)\n',
      '/ws/templates/config/apps/c.yaml.j2': 'never rendered\n',
    }).plan();
    assert.deepEqual(plan.errors, []);
    assert.deepEqual(outputs(plan), {
      'apps/a.yaml': 'override home\n',
      'apps/b.yaml': 'b HOME\n',
      'apps/c.yaml': '<56 bytes>',
      'apps/plain.txt': '<19 bytes>',
    });
    const copied = plan.files.find((file) => file.relativePath === 'apps/plain.txt')!;
    assert.deepEqual([copied.kind, copied.inputPath, copied.mode], ['copied', '/ws/templates/config/apps/plain.txt', 0o644]);
    const rendered = plan.files.find((file) => file.relativePath === 'apps/a.yaml')!;
    assert.deepEqual([rendered.kind, rendered.templateName, rendered.inputPath, rendered.outputPath, rendered.mode], ['rendered', 'apps/a.yaml.j2', '/ws/templates/overrides/apps/a.yaml.j2', '/ws/apps/a.yaml', undefined]);
  });

  it('skips excluded paths without parsing them, while templates still include them', async () => {
    const plan = await renderer({
      '/ws/makejinja.toml': TOML('exclude_patterns = ["*.partial.yaml.j2", "broken/*"]\n'),
      '/ws/cluster.yaml': 'name: home\n',
      '/ws/templates/config/x.partial.yaml.j2': 'partial of #{ name }#\n',
      '/ws/templates/config/main.yaml.j2': '#% include "x.partial.yaml.j2" %#',
      '/ws/templates/config/broken/not-jinja.yaml.j2': '#% if %# {{{ this is not a template\n',
    }).plan();
    assert.deepEqual(plan.errors, []);
    assert.deepEqual(outputs(plan), { 'main.yaml': 'partial of home\n' });
  });

  it('keep_jinja_suffix keeps the suffix; include_patterns select files, each pattern in turn', async () => {
    const plan = await renderer({
      '/ws/makejinja.toml': TOML('keep_jinja_suffix = true\ninclude_patterns = ["*.j2", "sub/**/*.txt"]\n'),
      '/ws/cluster.yaml': 'name: home\n',
      '/ws/templates/config/top.yaml.j2': 'top\n',
      '/ws/templates/config/top.txt': 'not included\n',
      '/ws/templates/config/sub/deeper/x.txt': 'included\n',
      '/ws/templates/config/sub/y.yaml.j2': 'not included\n',
    }).plan();
    assert.deepEqual(Object.keys(outputs(plan)), ['top.yaml.j2', 'sub/deeper/x.txt']);
  });

  it('writes no file for a template that renders only whitespace, unless keep_empty', async () => {
    const files = {
      '/ws/makejinja.toml': TOML(),
      '/ws/cluster.yaml': 'name: home\n',
      '/ws/templates/config/macros.yaml.j2': '#% macro m() %#x#% endmacro %#\n \t\n',
      '/ws/templates/config/real.yaml.j2': 'real\n',
    };
    assert.deepEqual(Object.keys(outputs(await renderer(files).plan())), ['real.yaml']);
    const kept = await renderer({ ...files, '/ws/makejinja.toml': TOML('keep_empty = true\n') }).plan();
    // trim_blocks drops the newline after the macro's end tag.
    assert.deepEqual(outputs(kept), { 'macros.yaml': ' \t\n', 'real.yaml': 'real\n' });
  });

  it('removes output folders the render leaves empty (existing ones), creates only folders that get something', async () => {
    const plan = await renderer(
      {
        '/ws/makejinja.toml': TOML(),
        '/ws/cluster.yaml': 'name: home\n',
        '/ws/templates/config/kept/a.yaml.j2': 'a\n',
        '/ws/templates/config/emptied/only-macros.yaml.j2': '#% macro m() %#x#% endmacro %#',
        '/ws/templates/config/never/only-macros.yaml.j2': '   ',
        '/ws/templates/config/has-other/b.yaml.j2': '',
        '/ws/has-other/someone-elses.txt': 'not ours\n',
      },
      { directories: ['/ws/emptied', '/ws/templates/config/empty-input', '/ws/empty-input'] },
    ).plan();
    assert.deepEqual(plan.directoriesToRemove, ['/ws/empty-input', '/ws/emptied']);
    assert.deepEqual(
      plan.directories.map((directory) => directory.outputPath),
      ['/ws/has-other', '/ws/kept'],
    );
  });

  it('copy_metadata gives rendered files and folders their input modes', async () => {
    const plan = await renderer(
      { '/ws/makejinja.toml': TOML('copy_metadata = true\n'), '/ws/cluster.yaml': '', '/ws/templates/config/bin/run.sh.j2': '#!/bin/sh\n' },
      { modes: { '/ws/templates/config/bin/run.sh.j2': 0o755, '/ws/templates/config/bin': 0o750 } },
    ).plan();
    assert.equal(plan.files[0].mode, 0o755);
    assert.deepEqual(plan.directories, [{ outputPath: '/ws/bin', inputPath: '/ws/templates/config/bin', mode: 0o750 }]);
    assert.ok(plan.notes.some((note) => note.startsWith('copy_metadata:')));
  });

  it('collects the error of every failing template, at its template and line, and still renders the rest', async () => {
    const plan = await renderer({
      '/ws/makejinja.toml': TOML('undefined = "strict"\n'),
      '/ws/cluster.yaml': 'name: home\n',
      '/ws/templates/config/a.yaml.j2': 'ok\n#{ missing }#\n',
      '/ws/templates/config/b.yaml.j2': 'line 1\nline 2\n#% if %#\n',
      '/ws/templates/config/c.yaml.j2': '#% include "partials/inc.j2" %#',
      '/ws/templates/config/partials/inc.j2': '\n\n#{ name | nosuchfilter }#',
      '/ws/templates/config/d.yaml.j2': 'fine #{ name }#\n',
    }).plan();
    assert.deepEqual(
      plan.errors.map((error) => [error.templatePath, error.line, error.pyType]),
      [
        ['/ws/templates/config/a.yaml.j2', 2, 'UndefinedError'],
        ['/ws/templates/config/b.yaml.j2', 3, 'TemplateSyntaxError'],
        ['/ws/templates/config/partials/inc.j2', 3, 'TemplateAssertionError'],
      ],
    );
    assert.equal(plan.errors[0].message, "'missing' is undefined");
    assert.deepEqual(plan.problems[0], { templatePath: '/ws/templates/config/a.yaml.j2', line: 2, message: "UndefinedError: 'missing' is undefined" });
    // inc.j2 fails on its own and inside c.yaml.j2: one error at that place.
    assert.ok(Object.keys(outputs(plan)).includes('d.yaml'));
  });

  it('gives templates the data, data_vars, file_data, env and the plugin functions', async () => {
    const plan = await renderer(
      {
        '/ws/makejinja.toml': TOML('data_vars = { "cluster.name" = "from-vars" }\nfile_data = { "page.yaml.j2" = ["./page.yaml"] }\nimport_paths = ["./scripts"]\nloaders = ["plugin:Plugin"]\n'),
        '/ws/cluster.yaml': 'cluster: {name: yaml}\nnode_cidr: 10.0.0.0/24\nratio: 1.0\n',
        '/ws/page.yaml': 'title: only here\n',
        '/ws/age.key': '# public key: age1abc\nAGE-SECRET-KEY-1XYZ\n',
        '/ws/scripts/plugin.py': [
          'def nthhost(value, query): ...',
          'def age_key(key_type, file_path="age.key"): ...',
          'def shout(value): ...',
          'class Plugin:',
          '    def __init__(self, data):',
          '        self._data = data',
          '    def data(self):',
          '        self._data.setdefault("gateway", nthhost(self._data["node_cidr"], 1))',
          '        return self._data',
          '    def filters(self):',
          '        return [nthhost, shout]',
          '    def functions(self):',
          '        return [age_key]',
        ].join('\n'),
        '/ws/templates/config/page.yaml.j2': '#{ title }# #{ cluster.name }# #{ ratio }# #{ gateway }# #{ env.GREETING }# #{ age_key("public") }# #{ "10.1.0.0/16" | nthhost(5) }#\n',
        '/ws/templates/config/other.yaml.j2': '[#{ title }#]\n',
        '/ws/templates/config/shout.yaml.j2': '#{ "x" | shout }#\n',
      },
      {},
      { GREETING: 'hi' },
    ).plan();
    assert.deepEqual(outputs(plan), { 'other.yaml': '[]\n', 'page.yaml': 'only here from-vars 1.0 10.0.0.1 hi age1abc 10.1.0.5\n' });
    assert.deepEqual(
      plan.errors.map((error) => [error.templateName, error.pyType, error.message]),
      [['shout.yaml.j2', 'NotImplementedError', "plugin filter 'shout' is defined in plugin.py but not implemented natively by Cluster Template Tools"]],
    );
    assert.ok(plan.notes.some((note) => note.startsWith('derived values approximate:')));
    assert.ok(plan.notes.some((note) => note.includes('shout') && note.includes('does not implement')));
  });

  it('stops before rendering on broken data, a broken makejinja.toml, extensions or a missing makejinja.toml', async () => {
    const broken = await renderer({ '/ws/makejinja.toml': TOML(), '/ws/cluster.yaml': '- a list\n', '/ws/templates/config/a.yaml.j2': 'a\n' }).plan();
    assert.deepEqual(
      broken.errors.map((error) => [error.templatePath, error.pyType, error.message]),
      [['/ws/cluster.yaml', 'TypeError', "Expected YAML documents in 'cluster.yaml' to be mappings but found list"]],
    );
    assert.deepEqual(broken.files, []);
    const badOption = await renderer({ '/ws/makejinja.toml': TOML('jinja-sufix = ".j2"\n'), '/ws/cluster.yaml': '' }).plan();
    assert.equal(badOption.errors[0].pyType, 'ConfigError');
    assert.equal(badOption.errors[0].line, 7);
    const extensions = await renderer({ '/ws/makejinja.toml': TOML('extensions = ["jinja2.ext.do", "jinja2.ext.i18n"]\n'), '/ws/cluster.yaml': '' }).plan();
    assert.match(extensions.errors[0].message, /Jinja extensions jinja2\.ext\.i18n are not supported/);
    const supported = await renderer({ '/ws/makejinja.toml': TOML('extensions = ["jinja2.ext.do", "jinja2.ext.loopcontrols"]\n'), '/ws/cluster.yaml': '' }).plan();
    assert.deepEqual(supported.errors, []);
    const emptyPattern = await renderer({ '/ws/makejinja.toml': TOML('exclude_patterns = ["./"]\n'), '/ws/cluster.yaml': '' }).plan();
    assert.deepEqual([emptyPattern.errors[0].pyType, emptyPattern.errors[0].message], ['ValueError', 'exclude_patterns: empty pattern']);
    const none = await renderer({}).plan();
    assert.match(none.errors[0].message, /makejinja\.toml not found/);
  });

  it('does not overwrite existing outputs without force, as makejinja', async () => {
    const plan = await renderer({
      '/ws/makejinja.toml': TOML().replace('force = true\n', ''),
      '/ws/cluster.yaml': '',
      '/ws/templates/config/new.yaml.j2': 'new\n',
      '/ws/templates/config/old.yaml.j2': '#{ broken',
      '/ws/old.yaml': 'hand made\n',
    }).plan();
    assert.deepEqual(Object.keys(outputs(plan)), ['new.yaml']);
    assert.deepEqual(plan.skippedExisting, ['/ws/old.yaml']);
    assert.deepEqual(plan.errors, []);
  });

  it('notes the options it does not honour', async () => {
    const toml = '[makejinja]\ninputs = ["./gone"]\noutput = "./"\nexec_pre = ["echo hi"]\nclean = true\n';
    const plan = await renderer({ '/ws/makejinja.toml': toml }).plan();
    assert.deepEqual(plan.errors, []);
    assert.ok(plan.notes.some((note) => note.includes('exec_pre') && note.includes('not run')));
    assert.ok(plan.notes.some((note) => note.includes('clean = true')));
    assert.ok(plan.notes.some((note) => note.includes('./gone does not exist')));
  });
});

describe('WorkspaceRenderer.renderOne and invalidation', () => {
  const files: Record<string, string> = {
    '/ws/makejinja.toml': TOML(),
    '/ws/cluster.yaml': 'name: home\n',
    '/ws/templates/config/page.yaml.j2': 'saved #{ name }#\n',
    '/ws/templates/config/inc.j2': '#{ name.bad.call() }#',
    '/ws/templates/overrides/shadowed.yaml.j2': 'override\n',
    '/ws/templates/config/shadowed.yaml.j2': 'config\n',
  };

  it('renders the editor text, with errors in included templates at their own path', async () => {
    const workspace = renderer(files);
    assert.deepEqual(await workspace.renderOne('/ws/templates/config/page.yaml.j2'), { notes: [], outputPath: '/ws/page.yaml', text: 'saved home\n' });
    const unsaved = await workspace.renderOne('/ws/templates/config/page.yaml.j2', 'unsaved #{ name }#\n');
    assert.equal(unsaved.text, 'unsaved home\n');
    const failing = await workspace.renderOne('/ws/templates/config/page.yaml.j2', 'line 1\n#% include "inc.j2" %#\n');
    assert.deepEqual([failing.error?.templatePath, failing.error?.line, failing.error?.pyType], ['/ws/templates/config/inc.j2', 1, 'UndefinedError']);
    const preview = await workspace.preview('/ws/templates/config/shadowed.yaml.j2', 'typed\n');
    assert.equal(preview.text, 'typed\n');
    assert.ok(preview.notes.some((note) => note.includes('templates/overrides/shadowed.yaml.j2') && note.includes('makejinja renders that file')));
  });

  it('re-reads a changed template, and reloads data when a data file changes', async () => {
    const live = { ...files };
    const workspace = new WorkspaceRenderer('/ws', memoryFileReader(live), { env: {}, derivedData: 'static' });
    assert.equal(outputs(await workspace.plan())['page.yaml'], 'saved home\n');
    live['/ws/templates/config/page.yaml.j2'] = 'changed #{ name }#\n';
    live['/ws/cluster.yaml'] = 'name: office\n';
    // Without being told, the warm renderer keeps what it read.
    assert.equal(outputs(await workspace.plan())['page.yaml'], 'saved home\n');
    assert.equal(workspace.fileChanged('/ws/templates/config/page.yaml.j2'), true);
    assert.equal(outputs(await workspace.plan())['page.yaml'], 'changed home\n');
    workspace.fileChanged('/ws/cluster.yaml');
    assert.equal(outputs(await workspace.plan())['page.yaml'], 'changed office\n');
    live['/ws/templates/overrides/page.yaml.j2'] = 'new override\n';
    workspace.fileChanged('/ws/templates/overrides/page.yaml.j2');
    assert.equal(outputs(await workspace.plan())['page.yaml'], 'new override\n');
  });
});

describe('Python path matching', () => {
  it('PurePath.match matches from the right; an absolute pattern matches the whole path', () => {
    assert.equal(pathMatch('templates/config/a.partial.yaml.j2', '*.partial.yaml.j2'), true);
    assert.equal(pathMatch('templates/config/sub/a.yaml', 'config/*/a.yaml'), true);
    assert.equal(pathMatch('templates/config/sub/a.yaml', 'config/*.yaml'), false);
    assert.equal(pathMatch('templates/config/a.yaml', '**/a.yaml'), true);
    assert.equal(pathMatch('templates/a.yaml', '/templates/a.yaml'), false);
    assert.throws(() => pathMatch('a', ''), /empty pattern/);
  });

  it('fnmatch: *, ?, [seq], [!seq], a literal [ when unclosed', () => {
    assert.deepEqual(
      [fnmatchCase('.hidden', '*'), fnmatchCase('a.j2', '?.j2'), fnmatchCase('b1', '[ab][0-9]'), fnmatchCase('c', '[!ab]'), fnmatchCase('[x', '[x'), fnmatchCase('A', 'a')],
      [true, true, true, true, true, false],
    );
  });

  it('Path.glob: ** spans zero or more folders; a trailing ** selects folders', () => {
    const all = globMatcher('**/*');
    assert.deepEqual([all('a', 'file'), all('a/b/c', 'file'), all('d', 'directory')], [true, true, true]);
    const yaml = globMatcher('**/*.yaml');
    assert.deepEqual([yaml('x.yaml', 'file'), yaml('a/b/x.yaml', 'file'), yaml('a/x.yml', 'file')], [true, true, false]);
    const folders = globMatcher('sub/**');
    assert.deepEqual([folders('sub/x', 'directory'), folders('sub/x', 'file')], [true, false]);
  });
});

// ---------------------------------------------------------------------------------------------
// A real workspace: ours against the makejinja reference, then the CLI

function writeTree(root: string, files: Record<string, string>, modes: Record<string, number> = {}): void {
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(join(root, name, '..'), { recursive: true });
    writeFileSync(join(root, name), content);
  }
  for (const [name, mode] of Object.entries(modes)) chmodSync(join(root, name), mode);
}

/** Every file and folder under root: relative path → content (files) or 'dir', with the mode. */
function readTree(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const full = join(dir, name);
      const stats = statSync(full);
      const mode = (stats.mode & 0o777).toString(8);
      if (stats.isDirectory()) {
        out[relative(root, full)] = `dir ${mode}`;
        walk(full);
      } else out[relative(root, full)] = `${mode} ${readFileSync(full, 'utf8')}`;
    }
  };
  if (existsSync(root)) walk(root);
  return out;
}

const WORKSPACE_FILES: Record<string, string> = {
  'makejinja.toml': '[makejinja]\ninputs = ["./templates/overrides", "./templates/config"]\noutput = "./"\nexclude_patterns = ["*.partial.yaml.j2", "templates/overrides/skipped.yaml.j2"]\ndata = ["./cluster.yaml", "./data"]\njinja_suffix = ".j2"\ncopy_metadata = true\nforce = true\nundefined = "chainable"\n\n[makejinja.delimiter]\nblock_start = "#%"\nblock_end = "%#"\ncomment_start = "#|"\ncomment_end = "#|"\nvariable_start = "#{"\nvariable_end = "}#"\n',
  'cluster.yaml': 'name: home\nratio: 2.0\nflags: [on, off, yes]\n',
  'data/10-more.json': '{"extra": 1.5, "name": "from-json"}',
  'data/.ignored.yaml': 'name: hidden\n',
  'templates/overrides/apps/a.yaml.j2': 'override #{ name }#\n',
  'templates/overrides/skipped.yaml.j2': 'the excluded override is still what the loader finds #{ extra }#\n',
  'templates/config/apps/a.yaml.j2': 'config a\n',
  'templates/config/apps/b.yaml.j2': '#% include "apps/b.partial.yaml.j2" %#\nratio: #{ ratio }# #{ flags }# #{ missing.key }#\n',
  'templates/config/apps/b.partial.yaml.j2': 'partial: #{ name | upper }#\n',
  'templates/config/skipped.yaml.j2': 'config version\n',
  'templates/config/bin/run.sh.j2': '#!/bin/sh\necho #{ name }#\n',
  'templates/config/bin/data.bin': '\u0000\u0001 copied\n',
  'templates/config/macros-only/m.yaml.j2': '#% macro x() %#x#% endmacro %#\n',
  'templates/config/nested/deeper/empty.yaml.j2': '   \n',
  'templates/config/nested/kept.yaml.j2': 'kept\n',
  'emptied/.keep-nothing': '',
};

describe('a temporary workspace compared with the makejinja reference', () => {
  let parent: string;
  before(() => {
    parent = mkdtempSync(join(tmpdir(), 'ctt-workspace-render-'));
  });
  after(() => rmSync(parent, { recursive: true, force: true }));

  it('writes the same files, contents, modes and folders', async (t) => {
    const probe = spawnSync(REFERENCE_PYTHON, ['-c', 'import jinja2, yaml, tomllib'], { encoding: 'utf8' });
    if (probe.error || probe.status !== 0) return t.skip(referenceUnavailable('the reference needs Python 3.11+ with jinja2 and yaml'));
    const root = join(parent, 'ws');
    writeTree(root, WORKSPACE_FILES, { 'templates/config/bin/run.sh.j2': 0o755, 'templates/config/bin/data.bin': 0o600, 'templates/config/bin': 0o750 });
    rmSync(join(root, 'emptied', '.keep-nothing'));
    mkdirSync(join(root, 'templates', 'config', 'emptied'));
    const ours = join(parent, 'ours');
    const theirs = join(parent, 'theirs');
    // The same empty output folder exists before both renders: makejinja removes it.
    for (const out of [ours, theirs]) mkdirSync(join(out, 'emptied'), { recursive: true });

    const plan = await new WorkspaceRenderer(root, nodeFileReader, { outputRoot: ours, env: {}, derivedData: 'static' }).plan();
    assert.deepEqual(plan.errors, []);
    const written = await writeRenderPlan(plan);
    assert.deepEqual(written.failures, []);
    const reference = spawnSync(REFERENCE_PYTHON, [REFERENCE_SCRIPT, root, '--out', theirs], { encoding: 'utf8', env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } });
    assert.equal(reference.status, 0, reference.stderr);
    assert.deepEqual(readTree(ours), readTree(theirs));
    assert.equal(readTree(ours)['skipped.yaml'], '644 the excluded override is still what the loader finds 1.5\n');
  });
});

describe('the render command', () => {
  let parent: string;
  before(() => {
    parent = mkdtempSync(join(tmpdir(), 'ctt-render-cli-'));
  });
  after(() => rmSync(parent, { recursive: true, force: true }));

  const cli = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: parent });

  it('renders into --out, prints a summary and leaves the workspace untouched', () => {
    const root = join(parent, 'ok');
    writeTree(root, WORKSPACE_FILES);
    const before = readTree(root);
    const out = join(parent, 'ok-out');
    const first = cli(['render', root, '--out', out]);
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stdout, /file\(s\) rendered into ok-out: (\d+) created, 0 changed, 0 unchanged/);
    assert.match(first.stdout, /note: plugin\.py's data\(\) was not run|note: copy_metadata/);
    assert.equal(readFileSync(join(out, 'apps', 'a.yaml'), 'utf8'), 'override from-json\n');
    assert.deepEqual(readTree(root), before);
    const again = cli(['render', root, '--out', out, '--dry-run']);
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /would render into ok-out: 0 created, 0 changed, (\d+) unchanged/);
    writeFileSync(join(out, 'apps', 'a.yaml'), 'edited\n');
    const dry = cli(['render', root, '--out', out, '--dry-run']);
    assert.match(dry.stdout, /^change apps\/a\.yaml$/m);
    assert.equal(readFileSync(join(out, 'apps', 'a.yaml'), 'utf8'), 'edited\n');
  });

  it('prints template:line: Type: message for every failing template, writes nothing and exits 1', () => {
    const root = join(parent, 'broken');
    writeTree(root, {
      ...WORKSPACE_FILES,
      'templates/config/apps/bad1.yaml.j2': 'fine\n#{ name | nosuch }#\n',
      'templates/config/apps/bad2.yaml.j2': '#% for x in %#\n',
    });
    const out = join(parent, 'broken-out');
    const result = cli(['render', root, '--out', out]);
    assert.equal(result.status, 1);
    const lines = result.stderr.split('\n').filter((line) => /^broken\//.test(line));
    assert.equal(lines.length, 2, result.stderr);
    assert.ok(lines[0].startsWith("broken/templates/config/apps/bad1.yaml.j2:2: TemplateAssertionError: No filter named 'nosuch'"), lines[0]);
    assert.ok(lines[1].startsWith('broken/templates/config/apps/bad2.yaml.j2:1: TemplateSyntaxError: '), lines[1]);
    assert.match(result.stderr, /2 error\(s\): nothing was written/);
    assert.equal(existsSync(out), false);
  });

  it('runs plugin.py for real only with --python', (t) => {
    const probe = spawnSync(REFERENCE_PYTHON, ['-c', 'import sys'], { encoding: 'utf8' });
    if (probe.error || probe.status !== 0) return t.skip(referenceUnavailable('no python3 to run plugin.py with'));
    const root = join(parent, 'with-plugin');
    writeTree(root, {
      ...WORKSPACE_FILES,
      'makejinja.toml': WORKSPACE_FILES['makejinja.toml'].replace('force = true', 'force = true\nimport_paths = ["./scripts"]\nloaders = ["plugin:Plugin"]'),
      // Only running Python knows this value: the static reading stops at the library call.
      'scripts/plugin.py': 'import platform\nclass Plugin:\n    def __init__(self, data):\n        self.d = data\n    def data(self):\n        return {"impl": platform.python_implementation()}\n',
      'templates/config/impl.txt.j2': 'impl=#{ impl }#\n',
    });
    const statically = cli(['render', root, '--out', join(parent, 'static-out')]);
    assert.equal(statically.status, 0, statically.stderr);
    assert.equal(readFileSync(join(parent, 'static-out', 'impl.txt'), 'utf8'), 'impl=\n');
    assert.match(statically.stdout, /note: derived values approximate: /);
    const real = cli(['render', root, '--out', join(parent, 'python-out'), '--python', REFERENCE_PYTHON]);
    assert.equal(real.status, 0, real.stderr);
    assert.equal(readFileSync(join(parent, 'python-out', 'impl.txt'), 'utf8'), 'impl=CPython\n');
    assert.doesNotMatch(real.stdout, /derived values approximate/);
    assert.equal(existsSync(join(root, 'scripts', '__pycache__')), false);
  });

  it('exits 2 on usage errors', () => {
    for (const args of [['render'], ['render', parent, '--bogus'], ['render', parent, '--out'], ['render', join(parent, 'no-such-folder')]]) {
      const result = cli(args);
      assert.equal(result.status, 2, `${args.join(' ')}: ${result.stderr}`);
    }
    assert.match(cli(['help']).stdout, /render <workspace> \[--out <dir>\] \[--dry-run\] \[--python <path>\]/);
  });
});
