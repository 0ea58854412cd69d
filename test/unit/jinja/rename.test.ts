// Rename of a cluster.yaml key across cluster.yaml, the templates' free uses and plugin.py: from the
// key or from a template variable, every refusal with its message, and every new-name check.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { computeRename, prepareRename, type RenameContext, type RenameCursor, type RenameResult } from '../../../server/src/services/jinja/rename';
import { at, atCursor, CLUSTER_PATH, NODES_PATH, templatePath, workspace, type TestWorkspace } from './indexSupport';

const CLUSTER = ['node_cidr: "10.0.0.0/24"', '"cloudflare_domain": example.net', 'settings:', '  sub: 1', ''].join('\n');
const NODES = 'nodes:\n  - name: a\n';
const TEMPLATES = {
  'a.yaml.j2': [
    'domain: #{ cloudflare_domain }#',
    '#| cloudflare_domain stays in this comment #|',
    'text: "cloudflare_domain #{ \'cloudflare_domain\' }#"',
    'attr: #{ settings.cloudflare_domain }#',
    '#% for n in nodes %#',
    '#% if n.name == cloudflare_domain %#x#% endif %#',
    '#% endfor %#',
  ].join('\n'),
  'b.yaml.j2': ['#% set cloudflare_domain = "local" %#', 'local: #{ cloudflare_domain }#'].join('\n'),
  'c.yaml.j2': '#% macro m(cloudflare_domain) %##{ cloudflare_domain }##% endmacro %#\n#{ m(cloudflare_domain) }#',
};
const PLUGIN = [
  'def only_for_plugin(): pass',
  'class Plugin:',
  '    def data(self):',
  '        data.setdefault("cloudflare_domain", "example.com")',
  '        data["derived"] = data.get("cloudflare_domain") + "/x"',
  '        return data',
  '',
].join('\n');

function contextOf(ws: TestWorkspace, overrides: Partial<RenameContext> = {}): RenameContext {
  return { cluster: ws.cluster, syntax: ws.context.syntax, templateContext: ws.context, source: ws.index, clusterSchema: ws.clusterSchema, ...overrides };
}

function clusterCursor(marked: string): RenameCursor {
  const { text, offset } = atCursor(marked);
  return { kind: 'cluster', filePath: CLUSTER_PATH, text, offset };
}

function templateCursor(name: string, marked: string): RenameCursor {
  const { text, offset } = atCursor(marked);
  return { kind: 'template', filePath: templatePath(name), text, offset };
}

/** Edits as `file:line:col-col`, in the order of the edit (files, then positions); or the error. */
function editsOf(result: RenameResult): string[] | string {
  if ('error' in result) return result.error;
  return Object.entries(result.edit.changes ?? {}).flatMap(([uri, edits]) => edits.map((edit) => `${at(uri, edit.range)} ${edit.newText}`));
}

function errorOf(result: { error: string } | object): string | undefined {
  return 'error' in result ? result.error : undefined;
}

const EXPECTED_EDITS = [
  'cluster.yaml:1:1-18 public_domain',
  'templates/config/a.yaml.j2:0:11-28 public_domain',
  'templates/config/a.yaml.j2:5:16-33 public_domain',
  'templates/config/c.yaml.j2:1:5-22 public_domain',
  'templates/scripts/plugin.py:3:25-42 public_domain',
  'templates/scripts/plugin.py:4:36-53 public_domain',
];

describe('rename of a cluster.yaml key', () => {
  it('renames the key, every free use (no locals, comments, strings, attributes) and plugin.py mentions', async () => {
    const ws = await workspace({ cluster: CLUSTER, nodes: NODES, templates: TEMPLATES, plugin: PLUGIN });
    const cursor = clusterCursor(CLUSTER.replace('"cloudflare_domain"', '"cloudflare¦_domain"'));
    assert.deepEqual(prepareRename(cursor, contextOf(ws)), {
      range: { start: { line: 1, character: 1 }, end: { line: 1, character: 18 } },
      placeholder: 'cloudflare_domain',
    });
    const result = computeRename(cursor, 'public_domain', contextOf(ws));
    assert.deepEqual(editsOf(result), EXPECTED_EDITS);
    assert.deepEqual('notes' in result && result.notes, []);
  });

  it('starts the same rename from a free use in a template, reading that template as edited', async () => {
    const ws = await workspace({ cluster: CLUSTER, nodes: NODES, templates: TEMPLATES, plugin: PLUGIN });
    const cursor = templateCursor('a.yaml.j2', TEMPLATES['a.yaml.j2'].replace('domain: #{ cloudflare', 'domain: #{ cloud¦flare'));
    assert.deepEqual(prepareRename(cursor, contextOf(ws)), {
      range: { start: { line: 0, character: 11 }, end: { line: 0, character: 28 } },
      placeholder: 'cloudflare_domain',
    });
    assert.deepEqual(editsOf(computeRename(cursor, 'public_domain', contextOf(ws))), EXPECTED_EDITS);

    const edited = templateCursor('a.yaml.j2', 'new: #{ cloudflare_dom¦ain }#');
    assert.deepEqual(editsOf(computeRename(edited, 'public_domain', contextOf(ws))), [
      'cluster.yaml:1:1-18 public_domain',
      'templates/config/a.yaml.j2:0:8-25 public_domain',
      'templates/config/c.yaml.j2:1:5-22 public_domain',
      'templates/scripts/plugin.py:3:25-42 public_domain',
      'templates/scripts/plugin.py:4:36-53 public_domain',
    ]);
  });

  it('refuses what is not a cluster.yaml key, saying what it is', async () => {
    const ws = await workspace({
      cluster: CLUSTER,
      nodes: NODES,
      plugin: PLUGIN,
      templates: {},
      clusterProperties: { node_vlan_tag: { type: 'string' } },
    });
    const ctx = contextOf(ws);
    const inTemplate = (marked: string) => errorOf(prepareRename(templateCursor('t.j2', marked), ctx));
    assert.equal(inTemplate('#{ ran¦ge(3) }#'), 'range is a Jinja builtin, not a key of cluster.yaml.');
    assert.equal(inTemplate('#{ only_for¦_plugin }#'), 'only_for_plugin is not a key of cluster.yaml: nothing defines it.');
    assert.equal(inTemplate('#{ deri¦ved }#'), 'derived is derived by plugin.py (line 5), not a key of cluster.yaml.');
    assert.equal(inTemplate('#{ no¦des }#'), 'nodes comes from nodes.yaml; only keys of cluster.yaml can be renamed.');
    assert.equal(inTemplate('#{ node_vlan¦_tag }#'), 'node_vlan_tag is not set in cluster.yaml (only the schema declares it), so there is no key to rename.');
    assert.equal(inTemplate('#{ node_cidrr¦ }#'), 'node_cidrr is not a key of cluster.yaml: nothing defines it.');
    assert.equal(inTemplate('#% for node_cidr in x %##{ node_ci¦dr }##% endfor %#'), 'node_cidr is a for-loop variable in this template, not a key of cluster.yaml.');
    assert.equal(inTemplate('#% set node_ci¦dr = 1 %#'), 'node_cidr is set by the template in this template, not a key of cluster.yaml.');
    assert.equal(inTemplate('text node_ci¦dr'), 'Place the cursor on a variable that comes from cluster.yaml to rename it.');
    assert.equal(inTemplate('#| node_ci¦dr #|'), 'Place the cursor on a variable that comes from cluster.yaml to rename it.');

    assert.equal(errorOf(prepareRename(clusterCursor(CLUSTER.replace('"10.0', '"10¦.0')), ctx)), 'Place the cursor on the key node_cidr, not on its value, to rename it.');
    assert.equal(errorOf(prepareRename(clusterCursor(CLUSTER.replace('  sub', '  s¦ub')), ctx)), 'Only top-level keys of cluster.yaml are template variables; this is inside settings.');
    const nodes = atCursor(NODES.replace('name', 'na¦me'));
    assert.equal(errorOf(prepareRename({ kind: 'nodes', filePath: NODES_PATH, ...nodes }, ctx)), 'Keys of nodes.yaml cannot be renamed: the node schema fixes their names.');
  });

  it('checks the new name: an identifier, not reserved, not a name templates already see or use', async () => {
    const ws = await workspace({
      cluster: CLUSTER,
      nodes: NODES,
      plugin: PLUGIN,
      templates: { 'a.j2': '#{ node_cidr }#\n#{ typo_name }#\n#% for n in nodes %##{ node_cidr }##% endfor %#' },
      clusterProperties: { node_vlan_tag: { type: 'string' } },
    });
    const cursor = clusterCursor(CLUSTER.replace('node_cidr:', 'node_c¦idr:'));
    const renameTo = (newName: string) => errorOf(computeRename(cursor, newName, contextOf(ws)));
    assert.equal(renameTo('2cidr'), '"2cidr" is not a valid variable name: use letters, digits and underscores, not starting with a digit.');
    assert.equal(renameTo('node-cidr'), '"node-cidr" is not a valid variable name: use letters, digits and underscores, not starting with a digit.');
    assert.equal(renameTo('loop'), 'loop is reserved in Jinja templates.');
    assert.equal(renameTo('none'), 'none is reserved in Jinja templates.');
    assert.equal(renameTo('settings'), 'cluster.yaml already has a key settings.');
    assert.equal(renameTo('derived'), 'Templates already see a variable derived (from plugin.py): the two would clash.');
    assert.equal(renameTo('nodes'), 'Templates already see a variable nodes (from nodes.yaml): the two would clash.');
    assert.equal(renameTo('node_vlan_tag'), 'Templates already see a variable node_vlan_tag (from schema): the two would clash.');
    assert.equal(renameTo('range'), 'range is a function templates can call: the key would hide it.');
    assert.equal(renameTo('typo_name'), "1 place already uses typo_name (first: templates/config/a.j2 line 2): they would start reading node_cidr's value.");
    assert.equal(
      renameTo('n'),
      'In templates/config/a.j2 line 3, n is a for-loop variable at that place: the renamed use would read it instead of the key. Choose another name.',
    );
    assert.deepEqual(editsOf(computeRename(cursor, 'node_cidr', contextOf(ws))), []);
    assert.deepEqual(editsOf(computeRename(cursor, 'network', contextOf(ws))), [
      'cluster.yaml:0:0-9 network',
      'templates/config/a.j2:0:3-12 network',
      'templates/config/a.j2:2:23-32 network',
    ]);
  });

  it('notes where the old name is still declared by a schema', async () => {
    const cursor = clusterCursor(CLUSTER.replace('node_cidr:', 'node_c¦idr:'));
    const workspaceSchema = await workspace({
      cluster: CLUSTER,
      templates: {},
      clusterProperties: { node_cidr: { type: 'string', 'x-origin': 'workspace-cue' } },
      workspaceSchemaLabel: 'cluster.schema.cue',
    });
    const withCue = computeRename(cursor, 'network', contextOf(workspaceSchema));
    assert.deepEqual('notes' in withCue && withCue.notes, ['cluster.schema.cue still declares node_cidr: rename it there too, or cluster.yaml fails the schema check with network.']);
    const bundled = await workspace({ cluster: CLUSTER, templates: {}, clusterProperties: { node_cidr: { type: 'string', 'x-origin': 'bundled' } } });
    const withBundled = computeRename(cursor, 'network', contextOf(bundled));
    assert.deepEqual('notes' in withBundled && withBundled.notes, [
      'node_cidr is a standard cluster-template key: the bundled schema does not know network, so cluster.yaml reports it as an unknown key.',
    ]);
  });
});

