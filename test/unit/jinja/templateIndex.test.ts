// The workspace index of template uses: free names only (never locals, comments or strings),
// member uses of data lists, plugin.py reads, and per-file updates that keep the totals right.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { memoryFileReader } from '../../../server/src/host/fileReader';
import type { IndexedUse } from '../../../server/src/services/jinja/keyReferences';
import { TemplateIndex } from '../../../server/src/workspace/templateIndex';
import { PLUGIN_PATH, ROOT, SYNTAX, templatePath } from './indexSupport';

/** Uses as `file:line:column` (0-based), checking each span holds `expected` text. */
function show(index: TemplateIndex, uses: IndexedUse[], expected: string): string[] {
  return uses.map((use) => {
    const text = index.textOf(use.filePath) ?? '';
    assert.equal(text.slice(use.span.start, use.span.end), expected);
    const before = text.slice(0, use.span.start).split('\n');
    return `${use.filePath.slice(ROOT.length + 1)}:${before.length - 1}:${before[before.length - 1].length}`;
  });
}

async function indexOf(templates: Record<string, string>, plugin?: string): Promise<TemplateIndex> {
  const files: Record<string, string> = {};
  for (const [name, text] of Object.entries(templates)) files[templatePath(name)] = text;
  if (plugin !== undefined) files[PLUGIN_PATH] = plugin;
  const index = new TemplateIndex(SYNTAX);
  await index.build(new Map(Object.keys(templates).map((name) => [name, templatePath(name)])), memoryFileReader(files), plugin !== undefined ? PLUGIN_PATH : undefined);
  return index;
}

describe('template index', () => {
  it('indexes free uses only: not locals, not comments, not strings or attributes', async () => {
    const index = await indexOf({
      'a.yaml.j2': [
        'x: #{ domain }#',
        '#| domain in a comment #|',
        'y: "#{ \'domain\' }#" #{ other.domain }#',
        '#% for domain in domains %##{ domain }##% endfor %#',
        '#% set domain = 1 %#',
        'z: #{ domain }#',
      ].join('\n'),
      'b.yaml.j2': '#% if domain %#b#% endif %#',
    });
    assert.deepEqual(show(index, index.usesOf('domain'), 'domain'), ['templates/config/a.yaml.j2:0:6', 'templates/config/b.yaml.j2:0:6']);
    assert.deepEqual([...index.usedNames()].sort(), ['domain', 'domains', 'other']);
    assert.equal(index.templateCount, 2);
  });

  it('counts plugin.py reads as uses, but not its writes', async () => {
    const index = await indexOf({ 'a.j2': '#{ used_in_template }#' }, 'def data(self):\n    data.setdefault("written", 1)\n    return data.get("read")\n');
    assert.deepEqual([...index.usedNames()].sort(), ['read', 'used_in_template']);
    assert.deepEqual(show(index, index.usesOf('read'), 'read'), ['templates/scripts/plugin.py:2:21']);
    assert.deepEqual(index.usesOf('written'), []);
    assert.deepEqual(
      index.pluginKeysOf('written').map((key) => `${key.access}@${key.span.start}`),
      ['setdefault@37'],
    );
  });

  it('indexes attributes of the items of a data list and of a data mapping', async () => {
    const index = await indexOf({
      'n.j2': [
        '#% for node in nodes %##{ node.address }##{ node["disk"] }##% endfor %#',
        '#% for c in nodes | selectattr("controller") %##{ c.address }##% endfor %#',
        '#{ nodes | map(attribute="address") | join(",") }#',
        '#{ nodes[0].address }#',
        '#{ settings.address }#',
        '#% for node in others %##{ node.address }##% endfor %#',
      ].join('\n'),
    });
    assert.deepEqual(show(index, index.memberUsesOf('nodes', 'address', true), 'address'), [
      'templates/config/n.j2:0:31',
      'templates/config/n.j2:1:52',
      'templates/config/n.j2:2:26',
      'templates/config/n.j2:3:12',
    ]);
    assert.deepEqual(show(index, index.memberUsesOf('nodes', 'disk', true), 'disk'), ['templates/config/n.j2:0:50']);
    assert.deepEqual(show(index, index.memberUsesOf('nodes', 'controller', true), 'controller'), ['templates/config/n.j2:1:32']);
    assert.deepEqual(show(index, index.memberUsesOf('settings', 'address', false), 'address'), ['templates/config/n.j2:4:12']);
    assert.deepEqual(show(index, index.memberUsesOf('others', 'address', true), 'address'), ['templates/config/n.j2:5:32']);
    assert.deepEqual(index.memberUsesOf('nodes', 'address', false), []);
  });

  it('updates one changed template and keeps the used names right across files', async () => {
    const index = await indexOf({ 'a.j2': '#{ shared }##{ only_a }#', 'b.j2': '#{ shared }#' });
    index.update(templatePath('a.j2'), '#{ renamed }#');
    assert.deepEqual([...index.usedNames()].sort(), ['renamed', 'shared']);
    assert.deepEqual(show(index, index.usesOf('shared'), 'shared'), ['templates/config/b.j2:0:3']);

    index.remove(templatePath('b.j2'));
    assert.deepEqual([...index.usedNames()].sort(), ['renamed']);
    assert.equal(index.templateCount, 1);

    // A template that was not there is added.
    index.update(templatePath('new.j2'), 'k: #{ shared }#');
    assert.deepEqual(show(index, index.usesOf('shared'), 'shared'), ['templates/config/new.j2:0:6']);
    assert.equal(index.templateCount, 2);
  });

  it('re-reads plugin.py when it changes, and leaves out templates it cannot read', async () => {
    const files = { [templatePath('a.j2')]: '#{ a }#', [PLUGIN_PATH]: 'x = data["first"]\n' };
    const index = new TemplateIndex(SYNTAX);
    await index.build(new Map([['a.j2', templatePath('a.j2')], ['gone.j2', templatePath('gone.j2')]]), memoryFileReader(files), PLUGIN_PATH);
    assert.equal(index.templateCount, 1);
    assert.deepEqual([...index.usedNames()].sort(), ['a', 'first']);
    index.update(PLUGIN_PATH, 'x = data["second"]\n');
    assert.deepEqual([...index.usedNames()].sort(), ['a', 'second']);
    assert.equal(index.templateCount, 1);
  });
});
