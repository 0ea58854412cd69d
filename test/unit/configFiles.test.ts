// The config store reads a closed cluster.yaml / nodes.yaml from disk once while file events keep
// it honest, and on every check when no such events come.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FileReader } from '../../server/src/host/fileReader';
import { ConfigFileStore } from '../../server/src/workspace/configFiles';
import { VALID_CLUSTER, VALID_NODES } from './support/config';

function countingReader(files: Record<string, string>): { reader: FileReader; reads: Map<string, number> } {
  const reads = new Map<string, number>();
  return {
    reads,
    reader: {
      async readText(path) {
        reads.set(path, (reads.get(path) ?? 0) + 1);
        return files[path];
      },
    },
  };
}

const open = { get: () => undefined };

describe('config store disk reads', () => {
  it('reads a closed file once while watching, and again after it changed', async () => {
    const files = { '/ws/cluster.yaml': VALID_CLUSTER, '/ws/nodes.yaml': VALID_NODES };
    const { reader, reads } = countingReader(files);
    const store = new ConfigFileStore(reader, () => ({ useWorkspaceSchema: true }), () => true);
    await store.checkRoot('/ws', open);
    await store.checkRoot('/ws', open);
    assert.equal(reads.get('/ws/nodes.yaml'), 1);
    files['/ws/nodes.yaml'] = 'nodes: []\n';
    store.fileChanged('/ws/nodes.yaml');
    const check = await store.checkRoot('/ws', open);
    assert.equal(reads.get('/ws/nodes.yaml'), 2);
    assert.deepEqual(check.problems.nodes.map((p) => p.code), ['controller-required']);
  });

  it('reads on every check when no file events come', async () => {
    const { reader, reads } = countingReader({ '/ws/cluster.yaml': VALID_CLUSTER, '/ws/nodes.yaml': VALID_NODES });
    const store = new ConfigFileStore(reader, () => ({ useWorkspaceSchema: true }));
    await store.checkRoot('/ws', open);
    await store.checkRoot('/ws', open);
    assert.equal(reads.get('/ws/nodes.yaml'), 2);
  });
});
