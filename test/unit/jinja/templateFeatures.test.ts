// Completion, hover, go to definition, outline and folding in templates, on small inline templates
// with a ¦ cursor marker and a small workspace (cluster.yaml, nodes.yaml, plugin.py, two templates).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CompletionItemKind, InsertTextFormat, MarkupKind, SymbolKind, type CompletionItem, type DocumentSymbol, type Hover } from 'vscode-languageserver-types';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { analyzeConfigFile } from '../../../server/src/services/cluster/diagnostics';
import { LOOP_ATTRIBUTES } from '../../../server/src/services/jinja/builtins';
import { parseTemplate } from '../../../server/src/services/jinja/parser';
import { readPluginPy } from '../../../server/src/services/jinja/pluginPy';
import { JINJA_DEFAULT_SYNTAX, MAKEJINJA_CLUSTER_TEMPLATE_SYNTAX, type JinjaSyntax } from '../../../server/src/services/jinja/syntax';
import { computeTemplateCompletion } from '../../../server/src/services/jinja/templateCompletion';
import { buildTemplateContext, type DataFileInput, type TemplateContext } from '../../../server/src/services/jinja/templateContext';
import { computeTemplateHover } from '../../../server/src/services/jinja/templateHover';
import { computeTemplateDefinition, computeTemplateFolding, computeTemplateSymbols } from '../../../server/src/services/jinja/templateNavigation';
import { BUNDLED, contextFor } from '../support/config';

// ---------------------------------------------------------------------------------------------
// A tiny workspace

const CLUSTER_PATH = '/ws/cluster.yaml';
const NODES_PATH = '/ws/nodes.yaml';
const PLUGIN_PATH = '/ws/templates/scripts/plugin.py';
const TEMPLATE_ROOT = '/ws/templates/config/';

// The secret values below must never show up in any completion or hover.
const CLUSTER_SECRET = 'cf-secret-value-1234';
const EXTRA_SECRET = 'extra-secret-value-5678';
const NODE_SECRET = 'node-secret-value-9012';
const PLUGIN_SECRET = 'hunter2-literal';

const CLUSTER = `node_cidr: "192.168.1.0/24"
cluster_api_addr: "192.168.1.100"
cloudflare_token: "${CLUSTER_SECRET}"
extra_settings:
  region: "eu-west"
  api_token: "${EXTRA_SECRET}"
`;

const NODES = `nodes:
  - name: "k8s-0"
    address: "192.168.1.10"
    controller: true
    bmc_password: "${NODE_SECRET}"
  - name: "k8s-1"
    address: "192.168.1.11"
    controller: false
    rack: "b"
`;

const PLUGIN = `import makejinja


def nthhost(value, query):
    return value


def age_key(key_type, file_path="age.key"):
    return ""


class Plugin(makejinja.plugin.Plugin):
    def __init__(self, data):
        self._data = data

    def data(self):
        data = self._data
        data.setdefault("node_default_gateway", nthhost(data.get("node_cidr", ""), 1))
        data.setdefault("flux_webhook_token", "${PLUGIN_SECRET}")
        return data

    def filters(self):
        return [nthhost]

    def functions(self):
        return [age_key]
`;

const MACROS = `#| helpers #|
#% macro render(item) %#
- #{ item }#
#% endmacro %#
#% macro other() %##% endmacro %#
`;

const TEMPLATES: Record<string, string> = {
  'base.yaml.j2': 'kind: base\n',
  'lib/macros.j2': MACROS,
};

const FILES: Record<string, string> = {
  [CLUSTER_PATH]: CLUSTER,
  [NODES_PATH]: NODES,
  [PLUGIN_PATH]: PLUGIN,
  ...Object.fromEntries(Object.entries(TEMPLATES).map(([name, text]) => [TEMPLATE_ROOT + name, text])),
};
const TEMPLATE_FILES = new Map(Object.keys(TEMPLATES).map((name) => [name, TEMPLATE_ROOT + name]));
const readTextOf = (filePath: string): string | undefined => FILES[filePath];

function dataInput(kind: 'cluster' | 'nodes', filePath: string, text: string): DataFileInput {
  const fileContext = contextFor(kind);
  const analysis = analyzeConfigFile(kind, text, fileContext);
  return { filePath, value: analysis.value, root: analysis.parsed.root, schema: fileContext.schema };
}

function contextOf(syntax: JinjaSyntax = MAKEJINJA_CLUSTER_TEMPLATE_SYNTAX): TemplateContext {
  return buildTemplateContext({
    syntax,
    undefinedMode: 'chainable',
    cluster: dataInput('cluster', CLUSTER_PATH, CLUSTER),
    nodes: dataInput('nodes', NODES_PATH, NODES),
    plugin: { filePath: PLUGIN_PATH, result: readPluginPy(PLUGIN, { className: 'Plugin' }) },
    templateNames: Object.keys(TEMPLATES),
  });
}

const CTX = contextOf();
const JINJA_CTX = contextOf(JINJA_DEFAULT_SYNTAX);

/** The document, cursor offset and parse of a template written with one ¦ cursor marker. */
function at(marked: string, ctx: TemplateContext = CTX) {
  const offset = marked.indexOf('¦');
  assert.notEqual(offset, -1, 'no cursor marker');
  const text = marked.slice(0, offset) + marked.slice(offset + 1);
  const document = TextDocument.create('file:///ws/templates/config/t.yaml.j2', 'jinja-yaml', 1, text);
  return { document, offset, parsed: parseTemplate(text, ctx.syntax), ctx };
}

function complete(marked: string, ctx: TemplateContext = CTX): CompletionItem[] {
  const { document, offset, parsed } = at(marked, ctx);
  return computeTemplateCompletion(document, offset, parsed, ctx);
}

function labels(items: CompletionItem[]): string[] {
  return items.map((item) => item.label);
}

function item(items: CompletionItem[], label: string): CompletionItem {
  const found = items.find((candidate) => candidate.label === label);
  assert.ok(found, `no item ${label} in ${labels(items).join(', ')}`);
  return found;
}

/** The replaced text and the new text of an item's edit, as `[start-end] newText`. */
function edit(items: CompletionItem[], label: string): string {
  const textEdit = item(items, label).textEdit;
  assert.ok(textEdit && 'range' in textEdit);
  const { start, end } = textEdit.range;
  return `[${start.line}:${start.character}-${end.line}:${end.character}] ${textEdit.newText}`;
}

function hover(marked: string, ctx: TemplateContext = CTX): Hover | null {
  const { document, offset, parsed } = at(marked, ctx);
  return computeTemplateHover(document, offset, parsed, ctx, readTextOf);
}

function hoverText(marked: string): string | undefined {
  const result = hover(marked);
  if (!result) return undefined;
  assert.ok(typeof result.contents === 'object' && 'kind' in result.contents && result.contents.kind === MarkupKind.Markdown);
  return result.contents.value;
}

/** Definitions as `file:line:character-character` (lines 0-based), the file relative to /ws. */
function definitions(marked: string): string[] {
  const { document, offset, parsed } = at(marked);
  return computeTemplateDefinition(document, offset, parsed, CTX, TEMPLATE_FILES, readTextOf).map(
    (location) => `${location.uri.replace('file:///ws/', '')}:${location.range.start.line}:${location.range.start.character}-${location.range.end.line}:${location.range.end.character}`,
  );
}

function assertNoSecrets(value: unknown): void {
  const json = JSON.stringify(value);
  for (const secret of [CLUSTER_SECRET, EXTRA_SECRET, NODE_SECRET, PLUGIN_SECRET]) assert.ok(!json.includes(secret), `a secret value leaked: ${secret}`);
}

const SCHEMA_NODE_FIELDS = Object.keys(BUNDLED.nodes.properties!.nodes!.items!.properties!);

// ---------------------------------------------------------------------------------------------

describe('template completion', () => {
  it('offers variables with their current value where an expression starts, secrets masked', () => {
    const items = complete('a: #{ ¦ }#');
    assert.deepEqual(item(items, 'node_cidr'), {
      label: 'node_cidr',
      labelDetails: { description: 'cluster.yaml' },
      kind: CompletionItemKind.Variable,
      detail: '"192.168.1.0/24"',
      documentation: {
        kind: MarkupKind.Markdown,
        value: `(variable) **node_cidr** · \`string (IPv4 CIDR)\`\n\n${BUNDLED.cluster.properties!.node_cidr!.markdownDescription}\n\nValue: \`"192.168.1.0/24"\`\n\n*From cluster.yaml.*`,
      },
      sortText: '1-node_cidr',
      textEdit: { range: { start: { line: 0, character: 6 }, end: { line: 0, character: 6 } }, newText: 'node_cidr' },
    });
    assert.equal(item(items, 'cloudflare_token').detail, '(secret)');
    assert.equal(item(items, 'env').detail, '(secret)');
    assert.equal(item(items, 'flux_webhook_token').detail, '(secret)');
    assert.equal(item(items, 'node_default_gateway').detail, 'derived in plugin.py');
    assert.equal(item(items, 'node_vlan_tag').detail, 'not set · string');
    // A secret-named key inside a value is masked too.
    assert.equal(item(items, 'extra_settings').detail, '{ region: "eu-west", api_token: (secret) }');
    // Long values are cut short (the secret-named key inside `nodes` is masked too: see assertNoSecrets).
    assert.equal(item(items, 'nodes').detail, '[{ name: "k8s-0", address: "192.168.1.10", controller: true…');
    assertNoSecrets(items);
  });

  it('offers plugin functions and Jinja globals as calls', () => {
    const items = complete('#{ ¦ }#');
    assert.deepEqual(
      { ...item(items, 'age_key'), documentation: undefined },
      {
        label: 'age_key',
        labelDetails: { description: 'plugin.py' },
        kind: CompletionItemKind.Function,
        detail: 'age_key(key_type, file_path=…)',
        documentation: undefined,
        sortText: '3-age_key',
        textEdit: { range: { start: { line: 0, character: 3 }, end: { line: 0, character: 3 } }, newText: 'age_key($1)' },
        insertTextFormat: InsertTextFormat.Snippet,
      },
    );
    assert.match(JSON.stringify(item(items, 'age_key').documentation), /^\{"kind":"markdown","value":"\(function\) `age_key\(key_type, file_path=…\)`/);
    assert.equal(edit(items, 'range'), '[0:3-0:3] range($1)');
    // Parentheses already written are not doubled.
    assert.equal(edit(complete('#{ ran¦() }#'), 'range'), '[0:3-0:6] range');
  });

  it('replaces the partial word, in the cluster-template delimiters and in Jinja defaults', () => {
    assert.equal(edit(complete('x: "#{ node_c¦ }#"'), 'node_cidr'), '[0:7-0:13] node_cidr');
    assert.equal(edit(complete('x: "#{ node_c¦'), 'node_cidr'), '[0:7-0:13] node_cidr');
    assert.equal(edit(complete('x: "{{ node_c¦ }}"', JINJA_CTX), 'node_cidr'), '[0:7-0:13] node_cidr');
    // In a file with Jinja's defaults, `#{` is plain text.
    assert.deepEqual(complete('x: "#{ node_c¦ }#"', JINJA_CTX), []);
    assert.equal(edit(complete('#% if cluster_a¦'), 'cluster_api_addr'), '[0:6-0:15] cluster_api_addr');
    assert.equal(edit(complete('#% if node_cidr and ¦ %#'), 'node_cidr'), '[0:20-0:20] node_cidr');
  });

  it('offers the template\'s locals first, innermost scope included', () => {
    const items = complete('#% set port = 6443 %#\n#% for node in nodes %#\n#% macro m(width=2) %#\n#{ ¦ }#\n#% endmacro %#\n#% endfor %#');
    assert.deepEqual(
      items.filter((i) => i.sortText!.startsWith('0-')).map((i) => `${i.label}: ${i.detail}`),
      ['port: set on line 1', 'node: loop over nodes', 'loop: loop object (line 2)', 'm: macro on line 3', 'varargs: macro variable', 'kwargs: macro variable', 'caller: macro variable', 'width: macro parameter'],
    );
    assert.equal(edit(items, 'm'), '[3:3-3:3] m($1)');
    // A local hides the variable of the same name.
    assert.equal(labels(complete('#% for nodes in [1] %##{ ¦ }##% endfor %#')).filter((l) => l === 'nodes').length, 1);
    assert.equal(item(complete('#% for nodes in [1] %##{ ¦ }##% endfor %#'), 'nodes').detail, 'loop over [1]');
  });

  it('offers filters after |, with their signature', () => {
    const items = complete('#{ node_cidr | ¦ }#');
    assert.deepEqual(
      { ...item(items, 'nthhost'), documentation: undefined },
      {
        label: 'nthhost',
        labelDetails: { description: 'plugin.py' },
        kind: CompletionItemKind.Function,
        detail: 'nthhost(value, query)',
        documentation: undefined,
        sortText: '0-nthhost',
        textEdit: { range: { start: { line: 0, character: 15 }, end: { line: 0, character: 15 } }, newText: 'nthhost($1)' },
        insertTextFormat: InsertTextFormat.Snippet,
      },
    );
    assert.equal(edit(items, 'default'), '[0:15-0:15] default');
    assert.equal(item(items, 'default').detail, "default(default_value='', boolean=False)");
    assert.equal(items.length, CTX.filters.size);
    assert.equal(edit(complete('#{ node_cidr|nth¦'), 'nthhost'), '[0:13-0:16] nthhost($1)');
    assert.equal(edit(complete('#% for n in nodes | sel¦ %#'), 'selectattr'), '[0:20-0:23] selectattr($1)');
    assert.equal(edit(complete('{{ x | up¦ }}', JINJA_CTX), 'upper'), '[0:7-0:9] upper');
  });

  it('offers tests after is and is not, without the operator names', () => {
    const items = complete('#% if x is ¦ %#');
    assert.equal(edit(items, 'defined'), '[0:11-0:11] defined');
    assert.equal(edit(items, 'divisibleby'), '[0:11-0:11] divisibleby($1)');
    assert.ok(!labels(items).includes('=='));
    assert.ok(labels(items).includes('eq'));
    assert.equal(edit(complete('#{ x is not def¦ }#'), 'defined'), '[0:12-0:15] defined');
  });

  it('offers the node fields of a loop over nodes: the schema\'s, then keys present in the data', () => {
    const items = complete('#% for node in nodes %#\n  - #{ node.¦ }#\n#% endfor %#');
    assert.deepEqual(labels(items), [...SCHEMA_NODE_FIELDS, 'bmc_password', 'rack']);
    assert.equal(item(items, 'address').detail, 'string (IPv4 address) · "192.168.1.10", "192.168.1.11"');
    assert.equal(item(items, 'address').kind, CompletionItemKind.Field);
    assert.equal(item(items, 'rack').kind, CompletionItemKind.Property);
    assert.equal(item(items, 'bmc_password').detail, 'string (secret)');
    assert.equal(edit(items, 'address'), '[1:12-1:12] address');
    assertNoSecrets(items);
    // Through a filter that keeps items, an index, and a set alias; typing a part of the name.
    assert.equal(edit(complete('#% for n in nodes | selectattr("controller") %##{ n.add¦ }#'), 'address'), '[0:52-0:55] address');
    assert.deepEqual(labels(complete('#{ nodes[0].¦ }#')), [...SCHEMA_NODE_FIELDS, 'bmc_password', 'rack']);
    assert.deepEqual(labels(complete('#% for n in nodes %##% set first = n %##{ first.¦ }##% endfor %#')), [...SCHEMA_NODE_FIELDS, 'bmc_password', 'rack']);
  });

  it('offers loop attributes, mapping keys and namespace attributes', () => {
    const loop = complete('#% for n in nodes %##{ loop.¦ }##% endfor %#');
    assert.deepEqual(labels(loop), LOOP_ATTRIBUTES.map((a) => a.name));
    assert.equal(item(loop, 'index').detail, 'int');
    assert.equal(edit(loop, 'cycle'), '[0:28-0:28] cycle($1)');
    assert.equal(item(loop, 'cycle').kind, CompletionItemKind.Method);

    const mapping = complete('#{ extra_settings.¦ }#');
    assert.deepEqual(
      mapping.map((i) => `${i.label}: ${i.detail}`),
      ['region: string · "eu-west"', 'api_token: string (secret)'],
    );
    assertNoSecrets(mapping);

    assert.deepEqual(labels(complete('#% set ns = namespace(found=false) %#\n#% set ns.count = 1 %#\n#{ ns.¦ }#')), ['found', 'count']);
    // Nothing is known of the environment, and of values the data does not hold.
    assert.deepEqual(complete('#{ env.¦ }#'), []);
    assert.deepEqual(complete('#{ node_vlan_tag.¦ }#'), []);
  });

  it('offers block keywords with snippets that close the block, in the workspace delimiters', () => {
    const items = complete('#% ¦');
    assert.deepEqual(labels(items), ['if', 'for', 'set', 'macro', 'call', 'filter', 'with', 'include', 'import', 'from', 'extends', 'block', 'raw']);
    assert.deepEqual(item(items, 'if'), {
      label: 'if',
      kind: CompletionItemKind.Snippet,
      detail: 'if block',
      sortText: '000',
      filterText: '#% if',
      insertTextFormat: InsertTextFormat.Snippet,
      textEdit: { range: { start: { line: 0, character: 0 }, end: { line: 0, character: 3 } }, newText: '#% if ${1:condition} %#\n$0\n#% endif %#' },
    });
    assert.equal(edit(items, 'for'), '[0:0-0:3] #% for ${1:item} in ${2:items} %#\n$0\n#% endfor %#');
    assert.equal(edit(items, 'set'), '[0:0-0:3] #% set ${1:name} = ${2:value} %#');
    assert.equal(edit(items, 'macro'), '[0:0-0:3] #% macro ${1:name}(${2}) %#\n$0\n#% endmacro %#');
    assert.equal(edit(items, 'include'), '[0:0-0:3] #% include "${1}" %#');
    assert.equal(item(items, 'include').kind, CompletionItemKind.Keyword);

    // Whitespace markers are kept, a closed tag is replaced whole.
    const trimmed = complete('  #%- f¦ -%#');
    assert.equal(edit(trimmed, 'for'), '[0:2-0:11] #%- for ${1:item} in ${2:items} -%#\n$0\n#% endfor %#');
    assert.equal(item(trimmed, 'for').filterText, '#%- for');
    // Right after the delimiter, the space is added.
    assert.equal(edit(complete('#%¦'), 'set'), '[0:0-0:2] #% set ${1:name} = ${2:value} %#');
    // Jinja's defaults: `}` is escaped in the snippet.
    assert.equal(edit(complete('{% ¦ %}', JINJA_CTX), 'if'), '[0:0-0:6] {% if ${1:condition} %\\}\n$0\n{% endif %\\}');
    // With more written after the keyword, only the keyword is replaced.
    assert.equal(edit(complete('#% i¦ x %#'), 'if'), '[0:3-0:4] if');
  });

  it('offers the middle and end keywords of the innermost open block', () => {
    const inIf = complete('#% if a %#\nx\n#% e¦');
    assert.deepEqual(labels(inIf).slice(0, 4), ['elif', 'else', 'endif', 'if']);
    assert.equal(item(inIf, 'endif').detail, 'close the if block of line 1');
    assert.equal(edit(inIf, 'endif'), '[2:0-2:4] #% endif %#');
    assert.equal(edit(inIf, 'elif'), '[2:0-2:4] #% elif ${1:condition} %#');
    // After the else, only the end.
    assert.deepEqual(labels(complete('#% if a %#x#% else %#y#% ¦')).slice(0, 2), ['endif', 'if']);
    assert.deepEqual(labels(complete('#% for a in b %#x#% ¦')).slice(0, 3), ['else', 'endfor', 'if']);
    // The innermost block decides.
    assert.deepEqual(labels(complete('#% if a %##% macro m() %#x#% ¦')).slice(0, 2), ['endmacro', 'if']);
    // Typing the end tag itself (the parser already closed the block with it).
    assert.deepEqual(labels(complete('#% if a %#x#% endi¦ %#')).slice(0, 3), ['elif', 'else', 'endif']);
  });

  it('offers template names inside include, import, from and extends strings', () => {
    assert.deepEqual(complete('#% include "¦'), [
      { label: 'base.yaml.j2', kind: CompletionItemKind.File, filterText: 'base.yaml.j2', textEdit: { range: { start: { line: 0, character: 12 }, end: { line: 0, character: 12 } }, newText: 'base.yaml.j2' } },
      { label: 'lib/macros.j2', kind: CompletionItemKind.File, filterText: 'lib/macros.j2', textEdit: { range: { start: { line: 0, character: 12 }, end: { line: 0, character: 12 } }, newText: 'lib/macros.j2' } },
    ]);
    // The whole string content is replaced when the string is closed.
    assert.equal(edit(complete('#% import "li¦b/x" as m %#'), 'lib/macros.j2'), '[0:11-0:16] lib/macros.j2');
    assert.equal(edit(complete("#% from 'l¦' import render %#"), 'lib/macros.j2'), '[0:9-0:10] lib/macros.j2');
    assert.equal(edit(complete('#% extends "¦" %#'), 'base.yaml.j2'), '[0:12-0:12] base.yaml.j2');
    assert.equal(edit(complete('{% include "b¦" %}', JINJA_CTX), 'base.yaml.j2'), '[0:12-0:13] base.yaml.j2');
    // Without a quote yet, the name comes quoted.
    assert.equal(edit(complete('#% include ¦'), 'base.yaml.j2'), '[0:11-0:11] "base.yaml.j2"');
  });

  it('offers nothing outside code, in comments, in other strings and where a name is being defined', () => {
    for (const marked of ['plain ¦text #{ x }#', '#| a comment ¦ #|', '#{ "some ¦string" }#', '#% set ¦', '#% set ¦ = 1 %#', '#% for ¦', '#% for a, b¦ in c %#', '#% macro m(¦', '#{ x }#¦']) {
      assert.deepEqual(complete(marked), [], marked);
    }
  });

  it('never shows a secret value in any item or its documentation', () => {
    for (const marked of ['#{ ¦ }#', '#{ nodes | first | ¦ }#', '#% for n in nodes %##{ n.¦ }##% endfor %#', '#{ extra_settings.¦ }#', '#{ nodes[0].¦ }#']) {
      assertNoSecrets(complete(marked));
    }
  });
});

describe('template hover', () => {
  it('shows a data variable with its type, docs, value and line in cluster.yaml', () => {
    const result = hover('#{ node_c¦idr }#');
    assert.ok(result);
    assert.deepEqual(result.range, { start: { line: 0, character: 3 }, end: { line: 0, character: 12 } });
    const text = hoverText('#{ node_c¦idr }#')!;
    const description = BUNDLED.cluster.properties!.node_cidr!.markdownDescription!;
    assert.equal(text, `(variable) **node_cidr** · \`string (IPv4 CIDR)\`\n\n${description}\n\nValue: \`"192.168.1.0/24"\`\n\n*From cluster.yaml line 1.*`);
  });

  it('masks secrets: data keys, secret-named keys inside values, env and secret plugin variables', () => {
    const token = hoverText('#{ cloudflare_tok¦en }#')!;
    assert.ok(token.includes('Value: set (secret, hidden).'));
    assert.ok(token.endsWith('*From cluster.yaml line 3.*\n\n🔒 Secret: its value is never shown by this extension.'));
    assert.ok(hoverText('#{ extra_set¦tings }#')!.includes('Value: `{ region: "eu-west", api_token: (secret) }`'));
    assert.equal(
      hoverText('#{ e¦nv.HOME }#'),
      '(variable) **env** · `Mapping[str, str]`\n\nmakejinja exposes `os.environ` as `env`: `#{ env.HOME }#` or `#{ env["KUBECONFIG"] }#`. Values differ between machines, so rendered files may too.\n\nValue: hidden (the environment can hold secrets).\n\n*Provided by makejinja.*\n\n🔒 Secret: its value is never shown by this extension.',
    );
    assert.equal(
      hoverText('#{ flux_webhook_to¦ken }#'),
      '(variable) **flux_webhook_token**\n\nValue: secret, hidden.\n\n*From plugin.py line 19.*\n\n🔒 Secret: its value is never shown by this extension.',
    );
    for (const marked of ['#{ cloudflare_tok¦en }#', '#{ extra_set¦tings }#', '#{ flux_webhook_to¦ken }#', '#{ no¦des }#', '#% for n in nodes %##{ n.bmc_pass¦word }##% endfor %#']) {
      assertNoSecrets(hover(marked));
    }
  });

  it('shows plugin variables as approximate, unset keys as undefined, and node lists by their fields', () => {
    assert.equal(
      hoverText('#{ node_default_gate¦way }#')!.split('\n\n').slice(-3).join('\n\n'),
      'Derived in plugin.py: `nthhost(data.get("node_cidr", ""), 1)`\n\nValue: derived values approximate (plugin.py read statically; the renderer runs its data() in a trusted workspace with Python).\n\n*From plugin.py line 18.*',
    );
    assert.ok(hoverText('#{ node_vlan_t¦ag }#')!.endsWith('\n\nNot set in cluster.yaml: undefined when rendering.'));
    assert.ok(hoverText('#{ no¦des }#')!.includes(`Value: 2 items with the fields ${SCHEMA_NODE_FIELDS.map((f) => `\`${f}\``).join(', ')}.\n\n*From nodes.yaml line 1.*`));
  });

  it('shows filters, tests and functions with signature and docs', () => {
    assert.equal(
      hoverText('#{ x | up¦per }#'),
      '(filter) `upper()`\n\nUpper case.\n\nConverts the value to a string, then to upper case (so `true|upper` is `TRUE`).\n\n*Jinja builtin filter.*',
    );
    const nthhost = hoverText('#{ node_cidr | nthh¦ost(1) }#')!;
    assert.ok(nthhost.startsWith('(filter) `nthhost(value, query)`\n\nThe address at position `query` in a network.'));
    assert.ok(nthhost.endsWith('*Defined in plugin.py line 4.*'));
    assert.ok(hoverText('#% if x is not defi¦ned %#')!.startsWith('(test) `defined()`\n\nIs the variable defined?'));
    const ageKey = hoverText('#{ age_k¦ey("public") }#')!;
    assert.ok(ageKey.startsWith('(function) `age_key(key_type, file_path=…)`'));
    assert.ok(ageKey.endsWith('🔒 Its result is a secret: this extension never shows it.\n\n*Defined in plugin.py line 8.*'));
    assert.ok(hoverText('#% for i in ran¦ge(3) %##% endfor %#')!.startsWith('(function) `range(start, [stop], [step])`'));
  });

  it('shows a node field with its doc and the values across nodes', () => {
    const text = hoverText('#% for node in nodes %#\n#{ node.addr¦ess }#\n#% endfor %#');
    const doc = BUNDLED.nodes.properties!.nodes!.items!.properties!.address!.markdownDescription!;
    assert.equal(
      text,
      `(field) **address** · \`string (IPv4 address)\`\n\n${doc}\n\nOf each item of \`nodes\`.\n\nValues across the 2 items:\n- 1 (k8s-0): \`"192.168.1.10"\`\n- 2 (k8s-1): \`"192.168.1.11"\``,
    );
    assert.ok(hoverText('#% for node in nodes %##{ node.ra¦ck }##% endfor %#')!.endsWith('Values across the 2 items:\n- 1 (k8s-0): *not set*\n- 2 (k8s-1): `"b"`'));
    assert.equal(hoverText('#% for node in nodes %##{ node.bmc_pass¦word }##% endfor %#'), '(key) **bmc_password** · `string`\n\nOf each item of `nodes`.\n\nValue: secret, hidden. 🔒');
    assert.equal(hoverText('#{ extra_settings.reg¦ion }#'), '(key) **region** · `string`\n\nOf `extra_settings`.\n\nValue: `"eu-west"`');
  });

  it('shows loop attributes and the template\'s locals', () => {
    assert.equal(hoverText('#% for n in nodes %##{ loop.ind¦ex }##% endfor %#'), '(loop attribute) **loop.index** · `int`\n\nThe number of the current iteration, starting at 1.');
    assert.equal(
      hoverText('#% for node in nodes %#\n#{ no¦de.name }#\n#% endfor %#'),
      `(loop variable) **node**\n\nEach item of \`nodes\` in the for loop on line 1.\n\nAttributes: ${[...SCHEMA_NODE_FIELDS, 'bmc_password', 'rack'].map((f) => `\`${f}\``).join(', ')}\n\n2 items with the current data.`,
    );
    // On the definition itself too.
    assert.ok(hoverText('#% for no¦de in nodes %#x#% endfor %#')!.startsWith('(loop variable) **node**'));
    assert.equal(hoverText('\n#% set port = 6443 %#\n#{ po¦rt }#'), '(set) **port**\n\nSet on line 2: `6443`');
    assert.equal(hoverText('#% macro m(a, width=2) %##{ wid¦th }##% endmacro %#'), '(macro parameter) **width**\n\nParameter of macro `m` on line 1. Default: `2`');
    assert.equal(hoverText('#% macro m(a, width=2) %#x#% endmacro %##{ m¦(1) }#'), '(macro) **m**\n\n```jinja\nmacro m(a, width=2)\n```\n\nDefined on line 1.');
    assert.equal(hoverText('#% set ns = namespace(found=false) %##% set ns.found = true %##{ ns.fou¦nd }#'), '(namespace attribute) **found**\n\nGiven on line 1.');
  });

  it('has nothing to say outside code and about unknown names', () => {
    assert.equal(hover('plain ¦text #{ x }#'), null);
    assert.equal(hover('#{ no_such_na¦me }#'), null);
    assert.equal(hover('#{ x | no_such_fil¦ter }#'), null);
  });
});

describe('template go to definition', () => {
  it('goes from a variable to its key in cluster.yaml or nodes.yaml, or its line in plugin.py', () => {
    assert.deepEqual(definitions('#{ cluster_api_a¦ddr }#'), ['cluster.yaml:1:0-1:16']);
    assert.deepEqual(definitions('#% for n in no¦des %##% endfor %#'), ['nodes.yaml:0:0-0:5']);
    assert.deepEqual(definitions('#{ node_default_gate¦way }#'), ['templates/scripts/plugin.py:17:0-17:86']);
    // A key the data does not set has nowhere to go; neither has env.
    assert.deepEqual(definitions('#{ node_vlan_t¦ag }#'), []);
    assert.deepEqual(definitions('#{ e¦nv }#'), []);
  });

  it('goes from plugin filters and functions to their def line; builtins have none', () => {
    assert.deepEqual(definitions('#{ node_cidr | nthh¦ost(1) }#'), ['templates/scripts/plugin.py:3:0-3:26']);
    assert.deepEqual(definitions('#{ age_k¦ey("public") }#'), ['templates/scripts/plugin.py:7:0-7:43']);
    assert.deepEqual(definitions('#{ x | up¦per }#'), []);
  });

  it('goes from a local to its definition in the template, and from a macro call to the macro', () => {
    assert.deepEqual(definitions('#% set port = 1 %#\n#{ po¦rt }#'), ['templates/config/t.yaml.j2:0:7-0:11']);
    assert.deepEqual(definitions('#% for node in nodes %#\n#{ no¦de.name }#\n#% endfor %#'), ['templates/config/t.yaml.j2:0:7-0:11']);
    assert.deepEqual(definitions('#% macro card(x) %#\n#% endmacro %#\n#{ ca¦rd(1) }#'), ['templates/config/t.yaml.j2:0:9-0:13']);
    assert.deepEqual(definitions('#% macro card(x) %#\n#{ ¦x }#\n#% endmacro %#'), ['templates/config/t.yaml.j2:0:14-0:15']);
  });

  it('goes from include/import/from/extends strings to the template, and into imported macros', () => {
    assert.deepEqual(definitions('#% include "base.ya¦ml.j2" %#'), ['templates/config/base.yaml.j2:0:0-0:0']);
    assert.deepEqual(definitions('#% extends "base.ya¦ml.j2" %#'), ['templates/config/base.yaml.j2:0:0-0:0']);
    assert.deepEqual(definitions('#% include ["missing.j2", "base.ya¦ml.j2"] %#'), ['templates/config/base.yaml.j2:0:0-0:0']);
    assert.deepEqual(definitions('#% include "missi¦ng.j2" %#'), []);
    assert.deepEqual(definitions('#% from "lib/macros.j2" import render %#\n#{ rend¦er(1) }#'), ['templates/config/lib/macros.j2:1:9-1:15']);
    assert.deepEqual(definitions('#% from "lib/macros.j2" import other as o %#\n#{ ¦o() }#'), ['templates/config/lib/macros.j2:4:9-4:14']);
    assert.deepEqual(definitions('#% import "lib/macros.j2" as lib %#\n#{ lib.rend¦er(1) }#'), ['templates/config/lib/macros.j2:1:9-1:15']);
    // A name the other template lacks stays on the import.
    assert.deepEqual(definitions('#% from "lib/macros.j2" import nothing %#\n#{ noth¦ing() }#'), ['templates/config/t.yaml.j2:0:31-0:38']);
  });

  it('goes from a node field to that key of every node, and from a namespace attribute to where it is given', () => {
    assert.deepEqual(definitions('#% for node in nodes %##{ node.addr¦ess }##% endfor %#'), ['nodes.yaml:2:4-2:11', 'nodes.yaml:6:4-6:11']);
    assert.deepEqual(definitions('#{ extra_settings.reg¦ion }#'), ['cluster.yaml:4:2-4:8']);
    assert.deepEqual(definitions('#% set ns = namespace(found=false) %#\n#{ ns.fou¦nd }#'), ['templates/config/t.yaml.j2:0:22-0:27']);
  });
});

/** Symbols as indented `name [kind] range (selection) detail` lines, lines and characters 0-based. */
function outline(symbols: DocumentSymbol[], indent = ''): string[] {
  const kinds = new Map(Object.entries(SymbolKind).map(([name, value]) => [value, name]));
  const pos = (p: { line: number; character: number }) => `${p.line}:${p.character}`;
  return symbols.flatMap((symbol) => [
    `${indent}${symbol.name} [${kinds.get(symbol.kind)}] ${pos(symbol.range.start)}-${pos(symbol.range.end)} (${pos(symbol.selectionRange.start)}-${pos(symbol.selectionRange.end)})${symbol.detail ? ` ${symbol.detail}` : ''}`,
    ...outline(symbol.children ?? [], indent + '  '),
  ]);
}

const OUTLINE_TEMPLATE = `#% set prefix = node_cidr.split("/") | last %#
#% macro card(name, size=2) %#
  #% if size > 1 %#
big
  #% elif size == 1 %#
  #% set one = true %#
  #% else %#
none
  #% endif %#
#% endmacro %#
#% for node in nodes if node.controller %#
  #% with addr = node.address %#
  #% call card(addr) %#x#% endcall %#
  #% endwith %#
#% else %#
  #% filter upper %#y#% endfilter %#
#% endfor %#
#% block footer %#
#% set body | trim %#z#% endset %#
#% endblock %#
`;

describe('template outline and folding', () => {
  it('lists blocks by their header, nested as written, with macros, sets and named blocks', () => {
    const { document, parsed } = at(OUTLINE_TEMPLATE + '¦');
    assert.deepEqual(outline(computeTemplateSymbols(document, parsed)), [
      'set prefix [Variable] 0:0-0:46 (0:0-0:46) = node_cidr.split("/") | last',
      'macro card(name, size=2) [Function] 1:0-9:14 (1:9-1:13)',
      '  if size > 1 [Namespace] 2:2-8:13 (2:2-2:19)',
      '    elif size == 1 [Namespace] 4:2-6:2 (4:2-4:22)',
      '      set one [Variable] 5:2-5:22 (5:2-5:22) = true',
      '    else [Namespace] 6:2-8:2 (6:2-6:12)',
      'for node in nodes if node.controller [Namespace] 10:0-16:12 (10:0-10:42)',
      '  with addr = node.address [Namespace] 11:2-13:15 (11:2-11:32)',
      '    call card(addr) [Namespace] 12:2-12:37 (12:2-12:23)',
      '  else [Namespace] 14:0-16:0 (14:0-14:10)',
      '    filter upper [Namespace] 15:2-15:36 (15:2-15:20)',
      'block footer [Module] 17:0-19:14 (17:9-17:15)',
      '  set body [Variable] 18:0-18:34 (18:0-18:21)',
    ]);
  });

  it('keeps an unclosed block in the outline up to where the text ends', () => {
    const { document, parsed } = at('#% if a %#\nx\n#% for b in c %#\ny¦');
    assert.deepEqual(outline(computeTemplateSymbols(document, parsed)), ['if a [Namespace] 0:0-3:1 (0:0-0:10)', '  for b in c [Namespace] 2:0-3:1 (2:0-2:16)']);
  });

  it('folds every multi-line block from its tag to its end tag, branches up to the next tag, and long comments', () => {
    const { document, parsed } = at(OUTLINE_TEMPLATE + '#| one\ntwo #|\n#| single #|\n#% raw %#\n#{ x }#\n#% endraw %#\n¦');
    assert.deepEqual(computeTemplateFolding(document, parsed), [
      { startLine: 1, endLine: 9 },
      { startLine: 2, endLine: 8 },
      { startLine: 4, endLine: 5 },
      { startLine: 6, endLine: 7 },
      { startLine: 10, endLine: 16 },
      { startLine: 11, endLine: 13 },
      { startLine: 14, endLine: 15 },
      { startLine: 17, endLine: 19 },
      { startLine: 20, endLine: 21, kind: 'comment' },
      { startLine: 23, endLine: 25 },
    ]);
  });
});
