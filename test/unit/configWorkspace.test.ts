// Which schema decides the keys of a workspace: CUE first, then the generated JSON or a modeline,
// then none; and keys documented only in cluster.sample.yaml.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { memoryFileReader } from '../../server/src/host/fileReader';
import { analyzeConfigFile } from '../../server/src/services/cluster/diagnostics';
import { loadConfigWorkspace } from '../../server/src/workspace/configWorkspace';

const CUE = `package config

#Config: {
	node_cidr: string
	my_fork_flag?: *false | bool
}

#Config
`;

const JSON_SCHEMA = JSON.stringify({
  type: 'object',
  additionalProperties: false,
  properties: { node_cidr: { type: 'string' }, json_only_key: { type: 'integer' } },
});

const SAMPLE = `---
# -- Turn on the fork's homepage app.
#    (OPTIONAL) (DEFAULT: false)
# homepage_enabled: false
`;

async function load(files: Record<string, string>, modelines = {}) {
  return loadConfigWorkspace('/ws', memoryFileReader(files), { useWorkspaceSchema: true, modelines });
}

function codes(workspace: Awaited<ReturnType<typeof load>>, text: string): string[] {
  return analyzeConfigFile('cluster', text, workspace.cluster).problems.map((p) => `${p.code}:${p.severity}`);
}

describe('workspace schema', () => {
  it('uses the CUE schema when present: it decides which keys exist', async () => {
    const workspace = await load({ '/ws/.taskfiles/template/resources/cluster.schema.cue': CUE });
    assert.equal(workspace.workspaceSchema, 'cue');
    assert.deepEqual(codes(workspace, 'node_cidr: "10.0.0.0/24"\nmy_fork_flag: true\n'), []);
    assert.deepEqual(codes(workspace, 'node_cidr: "10.0.0.0/24"\ncluster_api_addr: "10.0.0.1"\n'), ['unknown-key:error']);
    // Our rules still apply to the keys both know.
    assert.deepEqual(codes(workspace, 'node_cidr: "10.0.0.5/24"\n'), ['cidr-canonical:error']);
  });

  it('falls back to the generated JSON schema', async () => {
    const workspace = await load({ '/ws/.taskfiles/template/resources/cluster.schema.json': JSON_SCHEMA });
    assert.equal(workspace.workspaceSchema, 'json');
    assert.deepEqual(codes(workspace, 'node_cidr: "10.0.0.0/24"\njson_only_key: "x"\n'), ['type:error']);
  });

  it('follows a yaml-language-server modeline to a local schema, and notes a remote one', async () => {
    const workspace = await load({ '/ws/schemas/mine.json': JSON_SCHEMA }, { cluster: './schemas/mine.json' });
    assert.equal(workspace.workspaceSchema, 'json');
    assert.deepEqual(codes(workspace, 'json_only_key: 3\nnode_cidr: "10.0.0.0/24"\n'), []);
    const remote = await load({}, { cluster: 'https://example.com/schema.json' });
    assert.equal(remote.workspaceSchema, 'none');
    assert.ok(remote.notes.some((n) => /not downloaded/.test(n)));
  });

  it('without a workspace schema, warns on unknown keys and knows keys the sample documents', async () => {
    const workspace = await load({ '/ws/cluster.sample.yaml': SAMPLE });
    assert.equal(workspace.workspaceSchema, 'none');
    const required = 'node_cidr: "10.0.0.0/24"\n';
    assert.deepEqual(codes(workspace, 'homepage_enabled: true\n' + required).filter((c) => !c.startsWith('required-key')), []);
    assert.deepEqual(codes(workspace, 'homepage_enabld: true\n' + required).filter((c) => !c.startsWith('required-key')), ['unknown-key:warning']);
  });

  it('notes what the CUE reader skipped', async () => {
    const workspace = await load({ '/ws/.taskfiles/template/resources/cluster.schema.cue': CUE.replace('node_cidr: string', 'node_cidr: string & !=cluster_pod_cidr') });
    assert.ok(workspace.notes.some((n) => /cluster_pod_cidr/.test(n)), workspace.notes.join('\n'));
  });
});
