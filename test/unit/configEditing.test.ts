// Completion, hover, code actions and the outline of cluster.yaml / nodes.yaml, on small inline
// documents with a ¦ cursor marker.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { computeCodeActions } from '../../server/src/services/cluster/codeActions';
import { computeCompletion } from '../../server/src/services/cluster/completion';
import { analyzeConfigFile } from '../../server/src/services/cluster/diagnostics';
import { computeHover } from '../../server/src/services/cluster/hover';
import { toLspDiagnostics } from '../../server/src/services/cluster/lspDiagnostics';
import { computeDocumentSymbols, computeFoldingRanges } from '../../server/src/services/cluster/outline';
import { contextFor, VALID_CLUSTER, VALID_NODES, withCursor } from './support/config';

const cluster = contextFor('cluster');
const nodes = contextFor('nodes');

function complete(text: string, kind: 'cluster' | 'nodes' = 'cluster') {
  const { document, offset } = withCursor(text);
  return computeCompletion(document, offset, { schema: (kind === 'cluster' ? cluster : nodes).schema });
}

describe('completion', () => {
  it('offers missing keys on an empty line, not present ones', () => {
    const labels = complete(VALID_CLUSTER + '¦').map((i) => i.label);
    assert.ok(labels.includes('node_ntp_servers'));
    assert.ok(labels.includes('cilium_bgp_router_addr'));
    assert.ok(!labels.includes('node_cidr'));
  });

  it('inserts the default for a key that has one', () => {
    const item = complete(VALID_CLUSTER + 'cluster_pod¦').find((i) => i.label === 'cluster_pod_cidr' && !i.labelDetails)!;
    assert.equal((item.textEdit as { newText: string }).newText, 'cluster_pod_cidr: ${1:"10.42.0.0/16"}');
  });

  it('offers an uncomment item for a key present only as a comment', () => {
    const items = complete(VALID_CLUSTER + '¦').filter((i) => i.label === 'node_vlan_tag');
    assert.equal(items.length, 2);
    const uncomment = items.find((i) => i.labelDetails)!;
    assert.match(uncomment.labelDetails!.description!, /uncomment line 10/);
    assert.deepEqual(uncomment.additionalTextEdits, [{ range: { start: { line: 9, character: 0 }, end: { line: 9, character: 2 } }, newText: '' }]);
  });

  it('offers enum values after the colon, quoted', () => {
    const items = complete(VALID_CLUSTER + 'cilium_loadbalancer_mode: ¦');
    assert.deepEqual(items.map((i) => i.label).sort(), ['dsr', 'snat']);
    assert.equal((items.find((i) => i.label === 'dsr')!.textEdit as { newText: string }).newText, '"dsr"');
  });

  it('offers booleans for a node field and node keys inside a node', () => {
    const text = VALID_NODES.replace('    controller: true\n', '    controller: ¦\n');
    assert.deepEqual(complete(text, 'nodes').map((i) => i.label), ['true', 'false']);
    const inside = VALID_NODES.replace('    disk: "/dev/sda"\n', '    ¦\n');
    const labels = complete(inside, 'nodes').map((i) => i.label);
    assert.ok(labels.includes('disk'));
    assert.ok(labels.includes('mtu'));
    assert.ok(!labels.includes('name'));
  });

  it('offers a node skeleton on a new list item', () => {
    const items = complete(VALID_NODES + '  - ¦', 'nodes');
    const skeleton = items.find((i) => i.label === 'New node');
    assert.ok(skeleton);
    assert.match((skeleton.textEdit as { newText: string }).newText, /^name: .*\n    address: /);
  });

  it('never offers a secret value', () => {
    const items = complete('cloudflare_token: ¦');
    assert.deepEqual(items, []);
    const uncomment = complete('# cloudflare_token: "supersecret"\n¦').filter((i) => i.label === 'cloudflare_token');
    for (const item of uncomment) assert.doesNotMatch(JSON.stringify(item), /supersecret/);
  });
});

describe('hover', () => {
  function hover(text: string, kind: 'cluster' | 'nodes' = 'cluster') {
    const { document, offset } = withCursor(text);
    const ctx = kind === 'cluster' ? cluster : nodes;
    const analysis = analyzeConfigFile(kind, document.getText(), ctx);
    const result = computeHover(document, offset, { schema: ctx.schema, analysis });
    return result ? (result.contents as { value: string }).value : null;
  }

  it('documents a key with type, requiredness and value', () => {
    const value = hover(VALID_CLUSTER.replace('node_cidr:', 'node_¦cidr:'))!;
    assert.match(value, /^\*\*node_cidr\*\* · `string \(IPv4 CIDR\)` · required/);
    assert.match(value, /Value: `"192\.168\.1\.0\/24"`/);
  });

  it('works on the value too, and on node fields', () => {
    assert.match(hover(VALID_CLUSTER.replace('"alice/home-ops"', '"alice/home¦-ops"'))!, /\*\*repository_name\*\*/);
    const nodeHover = hover(VALID_NODES.replace('mac_addr: "00:11:22:33:44:55"', 'mac_¦addr: "00:11:22:33:44:55"'), 'nodes')!;
    assert.match(nodeHover, /Node 1 field/);
    assert.match(nodeHover, /\*\*mac_addr\*\* · `string` · required/);
  });

  it('masks secret values', () => {
    const value = hover(VALID_CLUSTER.replace('cloudflare_token:', 'cloudflare_¦token:'))!;
    assert.doesNotMatch(value, /not-a-real-token/);
    assert.match(value, /set \(secret, hidden\)/);
  });

  it('lists enum values with their docs', () => {
    assert.match(hover('cilium_loadbalancer_mode¦: "dsr"\n')!, /Allowed values:\n- `dsr`/);
  });
});

describe('code actions', () => {
  it('turns a did-you-mean fix into a preferred quick fix', () => {
    const text = VALID_CLUSTER + 'node_cidrr: "x"\n';
    const document = TextDocument.create('file:///ws/cluster.yaml', 'yaml', 1, text);
    const analysis = analyzeConfigFile('cluster', text, cluster);
    const diagnostics = toLspDiagnostics(document, analysis.problems, {});
    const actions = computeCodeActions(document, {
      uri: document.uri,
      range: diagnostics[0].range,
      diagnostics,
      schema: cluster.schema,
      presentKeys: new Set(),
    });
    const fix = actions.find((a) => a.kind === 'quickfix')!;
    assert.equal(fix.title, 'Change to node_cidr');
    assert.equal(fix.isPreferred, true);
    assert.deepEqual(fix.edit!.changes![document.uri][0].newText, 'node_cidr');
  });

  it('uncomments a documented key on the requested line, unless it is already set', () => {
    const document = TextDocument.create('file:///ws/cluster.yaml', 'yaml', 1, VALID_CLUSTER);
    const range = { start: { line: 9, character: 3 }, end: { line: 9, character: 3 } };
    const actions = computeCodeActions(document, { uri: document.uri, range, diagnostics: [], schema: cluster.schema, presentKeys: new Set() });
    assert.deepEqual(actions.map((a) => a.title), ['Uncomment node_vlan_tag']);
    const none = computeCodeActions(document, { uri: document.uri, range, diagnostics: [], schema: cluster.schema, presentKeys: new Set(['node_vlan_tag']) });
    assert.deepEqual(none, []);
  });
});

describe('outline', () => {
  it('names nodes by their name and folds mappings and comment blocks', () => {
    const text = '# one\n# two\n' + VALID_NODES;
    const document = TextDocument.create('file:///ws/nodes.yaml', 'yaml', 1, text);
    const analysis = analyzeConfigFile('nodes', text, nodes);
    const symbols = computeDocumentSymbols(document, analysis.parsed.root);
    assert.deepEqual(symbols.map((s) => s.name), ['nodes']);
    assert.deepEqual(symbols[0].children!.map((s) => s.name), ['k8s-0', 'k8s-1']);
    const folds = computeFoldingRanges(document, analysis.parsed.root).map((f) => [f.startLine, f.endLine, f.kind ?? '']);
    assert.deepEqual(folds, [[2, 14, ''], [3, 8, ''], [9, 14, ''], [0, 1, 'comment']]);
  });
});

describe('secrets with schema defaults', () => {
  it('never shows a secret default from a workspace schema in hover or completion', () => {
    const workspace = {
      label: 'cluster.schema.cue',
      origin: 'workspace-cue' as const,
      result: { isClosed: true, notes: [], schema: { type: 'object' as const, properties: { rustfs_secret_key: { type: 'string' as const, default: 'stockpassword' } } } },
    };
    const ctx = contextFor('cluster', workspace);
    const { document, offset } = withCursor('rustfs_secret_key¦: "mine"\n');
    const analysis = analyzeConfigFile('cluster', document.getText(), ctx);
    const hover = JSON.stringify(computeHover(document, offset, { schema: ctx.schema, analysis }));
    assert.doesNotMatch(hover, /stockpassword|mine/);
    const items = JSON.stringify(computeCompletion(withCursor('¦').document, 0, { schema: ctx.schema }));
    assert.match(items, /rustfs_secret_key/);
    assert.doesNotMatch(items, /stockpassword/);
  });
});
