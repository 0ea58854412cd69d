// Find references from cluster.yaml / nodes.yaml keys and from template variables, and the hint on
// cluster.yaml keys that nothing uses.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { Location } from 'vscode-languageserver-types';
import { findKeyReferences, findVariableReferences, toUnusedKeyDiagnostics, unusedKeyHints } from '../../../server/src/services/jinja/keyReferences';
import { at, atCursor, configFile, SYNTAX, templatePath, workspace } from './indexSupport';

function locations(found: Location[] | undefined): string[] | undefined {
  return found?.map((location) => at(location.uri, location.range));
}

const CLUSTER = ['node_cidr: "10.0.0.0/24"', 'cloudflare_domain: example.net', 'settings:', '  sub: 1', 'unused_key: 1', ''].join('\n');
const NODES = ['nodes:', '  - name: a', '    address: 10.0.0.1', '  - name: b', '    address: 10.0.0.2', ''].join('\n');
const TEMPLATES = {
  'a.yaml.j2': ['cidr: #{ node_cidr }#', '#| node_cidr #|', 'sub: #{ settings.sub }#', '#% for node in nodes %#', '- #{ node.address }#', '#% endfor %#'].join('\n'),
  'b.yaml.j2': ['#% set node_cidr = "x" %#', 'local: #{ node_cidr }#', 'domain: "#{ cloudflare_domain }#"'].join('\n'),
};
const PLUGIN = 'def data(self):\n    data.setdefault("unused_key", 2)\n    return data.get("node_cidr")\n';

describe('references of config keys', () => {
  it('lists the key and every template use and plugin read, from the key or its value', async () => {
    const ws = await workspace({ cluster: CLUSTER, nodes: NODES, templates: TEMPLATES, plugin: PLUGIN });
    const onKey = atCursor(CLUSTER.replace('node_cidr:', 'node_ci¦dr:'));
    assert.deepEqual(locations(findKeyReferences(configFile('cluster', onKey.text), onKey.offset, ws.index, true)), [
      'cluster.yaml:0:0-9',
      'templates/config/a.yaml.j2:0:9-18',
      'templates/scripts/plugin.py:2:21-30',
    ]);
    const onValue = atCursor(CLUSTER.replace('"10.0', '"10¦.0'));
    assert.deepEqual(locations(findKeyReferences(configFile('cluster', onValue.text), onValue.offset, ws.index, false)), [
      'templates/config/a.yaml.j2:0:9-18',
      'templates/scripts/plugin.py:2:21-30',
    ]);
  });

  it('follows a member of a mapping key, and finds nothing where no key is', async () => {
    const ws = await workspace({ cluster: CLUSTER, nodes: NODES, templates: TEMPLATES });
    const member = atCursor(CLUSTER.replace('  sub:', '  s¦ub:'));
    assert.deepEqual(locations(findKeyReferences(configFile('cluster', member.text), member.offset, ws.index, true)), ['cluster.yaml:3:2-5', 'templates/config/a.yaml.j2:2:17-20']);
    const nowhere = atCursor('¦\n' + CLUSTER);
    assert.deepEqual(findKeyReferences(configFile('cluster', nowhere.text), nowhere.offset, ws.index, true), []);
  });

  it('finds the uses of a node field in loops over nodes, declared in every node', async () => {
    const ws = await workspace({ cluster: CLUSTER, nodes: NODES, templates: TEMPLATES });
    const field = atCursor(NODES.replace('    address: 10.0.0.2', '    addr¦ess: 10.0.0.2'));
    assert.deepEqual(locations(findKeyReferences(configFile('nodes', field.text), field.offset, ws.index, true)), [
      'nodes.yaml:2:4-11',
      'nodes.yaml:4:4-11',
      'templates/config/a.yaml.j2:4:10-17',
    ]);
    const list = atCursor(NODES.replace('nodes:', 'no¦des:'));
    assert.deepEqual(locations(findKeyReferences(configFile('nodes', list.text), list.offset, ws.index, false)), ['templates/config/a.yaml.j2:3:15-20']);
  });

  it('finds references from a free variable in a template, using the template as it is being edited', async () => {
    const ws = await workspace({ cluster: CLUSTER, nodes: NODES, templates: TEMPLATES });
    // The edited text has a second use the index has not seen yet.
    const edited = atCursor(TEMPLATES['a.yaml.j2'] + '\nagain: #{ node_c¦idr }#');
    const found = findVariableReferences({ filePath: templatePath('a.yaml.j2'), text: edited.text, offset: edited.offset }, SYNTAX, [ws.cluster, ws.nodes], ws.index, true);
    assert.deepEqual(locations(found), ['cluster.yaml:0:0-9', 'templates/config/a.yaml.j2:0:9-18', 'templates/config/a.yaml.j2:6:10-19']);
    // The local node_cidr of b.yaml.j2 is no reference, and a cursor on it finds nothing.
    const local = atCursor(TEMPLATES['b.yaml.j2'].replace('local: #{ node_cidr', 'local: #{ node¦_cidr'));
    assert.equal(findVariableReferences({ filePath: templatePath('b.yaml.j2'), text: local.text, offset: local.offset }, SYNTAX, [ws.cluster], ws.index, true), undefined);
  });
});

describe('unused cluster.yaml keys', () => {
  it('hints at keys no template uses and plugin.py does not read (a setdefault is no read)', async () => {
    const ws = await workspace({ cluster: CLUSTER, templates: TEMPLATES, plugin: PLUGIN });
    const hints = unusedKeyHints(ws.cluster.root, ws.index.usedNames(), { templateCount: ws.index.templateCount, hasPlugin: true });
    assert.deepEqual(hints, [
      {
        span: { start: CLUSTER.indexOf('unused_key'), end: CLUSTER.indexOf('unused_key') + 'unused_key'.length },
        code: 'unused-key',
        severity: 'hint',
        message: 'No template uses unused_key and plugin.py does not read it: its value changes no rendered file.',
      },
    ]);
    const diagnostics = toUnusedKeyDiagnostics(TextDocument.create('file:///ws/cluster.yaml', 'yaml', 1, CLUSTER), hints);
    assert.deepEqual(
      diagnostics.map((d) => [d.code, d.severity, d.tags, d.range]),
      [['unused-key', 4, [1], { start: { line: 4, character: 0 }, end: { line: 4, character: 10 } }]],
    );
  });

  it('says nothing without templates, and words the hint for a workspace without plugin', async () => {
    const none = await workspace({ cluster: CLUSTER, templates: {} });
    assert.deepEqual(unusedKeyHints(none.cluster.root, none.index.usedNames(), { templateCount: 0, hasPlugin: false }), []);
    const ws = await workspace({ cluster: 'node_cidr: x\nother: y\n', templates: { 'a.j2': '#{ node_cidr }#' } });
    assert.deepEqual(
      unusedKeyHints(ws.cluster.root, ws.index.usedNames(), { templateCount: 1, hasPlugin: false }).map((hint) => hint.message),
      ['No template uses other: its value changes no rendered file.'],
    );
  });
});
