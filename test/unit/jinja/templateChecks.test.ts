// Name resolution and template diagnostics on small inline templates with the cluster-template
// delimiters, against a context built from a tiny cluster.yaml / nodes.yaml and plugin.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { memoryFileReader } from '../../../server/src/host/fileReader';
import { analyzeConfigFile } from '../../../server/src/services/cluster/diagnostics';
import { resolveNames } from '../../../server/src/services/jinja/nameResolution';
import { parseTemplate } from '../../../server/src/services/jinja/parser';
import { readPluginPy } from '../../../server/src/services/jinja/pluginPy';
import { JINJA_DEFAULT_SYNTAX, MAKEJINJA_CLUSTER_TEMPLATE_SYNTAX } from '../../../server/src/services/jinja/syntax';
import { buildTemplateContext, type TemplateContext } from '../../../server/src/services/jinja/templateContext';
import { collectTemplateProblems } from '../../../server/src/services/jinja/templateDiagnostics';
import { loadTemplateWorkspace, pathMatches } from '../../../server/src/workspace/templateWorkspace';
import { contextFor, VALID_CLUSTER, VALID_NODES } from '../support/config';

const PLUGIN = `
from makejinja.plugin import Plugin as MakejinjaPlugin

def nthhost(value, query):
    return value

def age_key(key_type, file_path="age.key"):
    return ""

class Plugin(MakejinjaPlugin):
    def data(self):
        data = {}
        data.setdefault("spegel_enabled", True)
        return data

    def filters(self):
        return [nthhost]

    def functions(self):
        return [age_key]
`;

function context(undefinedMode: 'chainable' | 'strict' = 'chainable', syntax = MAKEJINJA_CLUSTER_TEMPLATE_SYNTAX): TemplateContext {
  const clusterCtx = contextFor('cluster');
  const nodesCtx = contextFor('nodes');
  const cluster = analyzeConfigFile('cluster', VALID_CLUSTER, clusterCtx);
  const nodes = analyzeConfigFile('nodes', VALID_NODES, nodesCtx);
  return buildTemplateContext({
    syntax,
    undefinedMode,
    cluster: { filePath: '/ws/cluster.yaml', value: cluster.value, root: cluster.parsed.root, schema: clusterCtx.schema },
    nodes: { filePath: '/ws/nodes.yaml', value: nodes.value, root: nodes.parsed.root, schema: nodesCtx.schema },
    plugin: { filePath: '/ws/templates/scripts/plugin.py', result: readPluginPy(PLUGIN, { className: 'Plugin' }) },
    templateNames: ['kubernetes/apps/kustomization.yaml.j2', 'partials/labels.yaml.j2'],
  });
}

function problems(text: string, ctx = context()) {
  const parsed = parseTemplate(text, ctx.syntax);
  return collectTemplateProblems(parsed, ctx).map((p) => ({ code: p.code, severity: p.severity, at: text.slice(p.span.start, p.span.end), fix: p.fix?.newText }));
}

describe('name resolution', () => {
  it('tells locals from free names across scopes', () => {
    const text = '#% set a = 1 %##% for n in nodes %##{ n }##{ loop.index }##{ a }##% endfor %##{ n }##% macro m(p) %##{ p }##{ caller }##% endmacro %##{ m }#';
    const uses = resolveNames(parseTemplate(text, MAKEJINJA_CLUSTER_TEMPLATE_SYNTAX).body).uses.map((u) => `${u.name}:${u.local?.kind ?? 'free'}`);
    assert.deepEqual(uses, ['nodes:free', 'n:loop-target', 'loop:loop', 'a:set', 'n:free', 'p:macro-param', 'caller:macro-implicit', 'm:macro']);
  });

  it('keeps sets inside an if visible after it, and sets inside a for inside it', () => {
    const text = '#% if x %##% set a = 1 %##% endif %##{ a }##% for i in y %##% set b = 1 %##% endfor %##{ b }#';
    const free = resolveNames(parseTemplate(text, MAKEJINJA_CLUSTER_TEMPLATE_SYNTAX).body).uses.filter((u) => !u.local).map((u) => u.name);
    assert.deepEqual(free, ['x', 'y', 'b']);
  });
});

describe('template diagnostics', () => {
  it('passes a correct template', () => {
    const text = [
      '#% for node in nodes %#',
      '- name: "#{ node.name }#"',
      '  ip: #{ node.address }# #{ loop.index }#',
      '#% endfor %#',
      'cidr: #{ node_cidr | nthhost(10) }#',
      'vlan: #{ node_vlan_tag | default("none") }#',
      'spegel: #{ spegel_enabled }#',
      'key: #{ age_key("public") }#',
      '#% if cloudflare_domain is defined and repository_name is string %##% endif %#',
      '#% include "partials/labels.yaml.j2" %#',
      '#% set ns = namespace(found=false) %##% set ns.found = true %##{ ns.found }#',
      '#{ env.HOME }#',
    ].join('\n');
    assert.deepEqual(problems(text), []);
  });

  const cases: [string, string, string, string, string | undefined][] = [
    // [template, code, severity, reported text, fix]
    ['#{ cloudflare_domian }#', 'undefined-variable', 'warning', 'cloudflare_domian', 'cloudflare_domain'],
    ['#{ totally_unknown }#', 'undefined-variable', 'warning', 'totally_unknown', undefined],
    ['#{ node_cidr | nthost(1) }#', 'unknown-filter', 'error', 'nthost', 'nthhost'],
    ['#% if x is strin %##% endif %#'.replace('x', 'node_cidr'), 'unknown-test', 'error', 'strin', 'string'],
    ['#{ node_cidr | replace("a") }#', 'argument-count', 'error', 'replace', undefined],
    ['#{ age_key() }#', 'argument-count', 'error', 'age_key', undefined],
    ['#{ agekey("public") }#', 'unknown-function', 'error', 'agekey', 'age_key'],
    ['#{ nthhost(1) }#', 'unknown-function', 'error', 'nthhost', undefined],
    ['#% for node in nodes %##{ node.adress }##% endfor %#', 'unknown-attribute', 'warning', 'adress', 'address'],
    ['#% for node in nodes %##{ loop.idx }##% endfor %#', 'unknown-attribute', 'warning', 'idx', 'index'],
    ['#% include "partials/label.yaml.j2" %#', 'missing-template', 'error', '"partials/label.yaml.j2"', undefined],
    ['#% if node_cidr %#\na', 'unclosed-block', 'error', '#% if node_cidr %#', undefined],
  ];
  for (const [text, code, severity, at, fix] of cases) {
    it(`${text.replace(/\n/g, '⏎')} → ${code}`, () => {
      assert.deepEqual(problems(text), [{ code, severity, at, fix }]);
    });
  }

  it('makes an undefined variable an error under strict undefined', () => {
    assert.deepEqual(problems('#{ nope }#', context('strict')).map((p) => p.severity), ['error']);
  });

  it('ignores a missing include marked ignore missing', () => {
    assert.deepEqual(problems('#% include "gone.yaml.j2" ignore missing %#'), []);
  });

  it('works with Jinja default delimiters', () => {
    assert.deepEqual(problems('{{ cloudflare_domian }}', context('chainable', JINJA_DEFAULT_SYNTAX)).map((p) => p.code), ['undefined-variable']);
  });

  it('knows schema keys that are not set: optional keys render empty by design', () => {
    assert.deepEqual(problems('#% if cilium_bgp_router_addr %##{ cilium_bgp_router_addr }##% endif %#'), []);
  });
});

describe('template workspace', () => {
  it('matches exclude patterns like Python PurePath.match', () => {
    assert.equal(pathMatches('a/b/c.partial.yaml.j2', '*.partial.yaml.j2'), true);
    assert.equal(pathMatches('a/b/c.yaml.j2', '*.partial.yaml.j2'), false);
    assert.equal(pathMatches('a/b/c.yaml.j2', 'b/*.yaml.j2'), true);
    assert.equal(pathMatches('a/b/c.yaml.j2', 'x/*.yaml.j2'), false);
  });

  it('lists templates with the first input winning, skips excluded ones and finds the plugin', async () => {
    const toml = `[makejinja]\ninputs = ["./templates/overrides", "./templates/config"]\noutput = "./"\nexclude_patterns = ["*.partial.yaml.j2"]\nimport_paths = ["./templates/scripts"]\nloaders = ["plugin:Plugin"]\njinja_suffix = ".j2"\nundefined = "chainable"\n`;
    const reader = memoryFileReader({
      '/ws/makejinja.toml': toml,
      '/ws/templates/config/a.yaml.j2': 'a',
      '/ws/templates/config/b.partial.yaml.j2': 'b',
      '/ws/templates/config/readme.md': 'not a template',
      '/ws/templates/overrides/a.yaml.j2': 'override',
      '/ws/templates/scripts/plugin.py': PLUGIN,
    });
    const workspace = await loadTemplateWorkspace('/ws', reader, undefined);
    assert.deepEqual([...workspace.templates], [['a.yaml.j2', '/ws/templates/overrides/a.yaml.j2']]);
    assert.equal(workspace.plugin?.filePath, '/ws/templates/scripts/plugin.py');
    assert.ok(workspace.context.filters.has('nthhost'));
    assert.equal(workspace.context.syntax.variableStart, '{{', 'makejinja.toml without delimiters uses Jinja defaults');
  });

  it('knows the keys of the other data files makejinja.toml lists', async () => {
    const toml = `[makejinja]\ninputs = ["./templates"]\noutput = "./"\ndata = ["./cluster.yaml", "./extra.yaml", "./more.json"]\n`;
    const reader = memoryFileReader({
      '/ws/makejinja.toml': toml,
      '/ws/extra.yaml': 'homepage_title: Home\n---\nhomepage_theme: dark\n',
      '/ws/more.json': '{"json_key": 1}',
      '/ws/templates/a.j2': '',
    });
    const workspace = await loadTemplateWorkspace('/ws', reader, undefined);
    assert.equal(workspace.context.variables.get('homepage_theme')?.source, 'data');
    // No delimiters in this makejinja.toml: Jinja's defaults.
    const text = '{{ homepage_title }} {{ homepage_theme }} {{ json_key }} {{ homepage_titel }}';
    const found = collectTemplateProblems(parseTemplate(text, workspace.context.syntax), workspace.context).map((p) => [p.code, p.fix?.newText]);
    assert.deepEqual(found, [['undefined-variable', 'homepage_title']]);
  });
});
