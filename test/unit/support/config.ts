// Builders for unit tests of the cluster.yaml / nodes.yaml services: the bundled schemas,
// a cursor marker, and valid base documents that single tests then break in one place.
import { TextDocument } from 'vscode-languageserver-textdocument';
import bundledCluster from '../../../schemas/cluster.schema.json';
import bundledNodes from '../../../schemas/nodes.schema.json';
import { buildConfigSchema, type WorkspaceSchemaSource } from '../../../server/src/services/cluster/configSchema';
import { analyzeConfigFile, collectConfigProblems, type ConfigFileContext } from '../../../server/src/services/cluster/diagnostics';
import { createConfigValidator } from '../../../server/src/services/cluster/schemaValidation';
import type { ConfigFileKind, JsonSchema, SampleKeyDoc } from '../../../server/src/services/cluster/schemaTypes';

export const BUNDLED: Record<ConfigFileKind, JsonSchema> = {
  cluster: bundledCluster as unknown as JsonSchema,
  nodes: bundledNodes as unknown as JsonSchema,
};

export function contextFor(kind: ConfigFileKind, workspace?: WorkspaceSchemaSource, samples: SampleKeyDoc[] = []): ConfigFileContext {
  const schema = buildConfigSchema(kind, BUNDLED[kind], workspace, samples);
  return { schema, validator: createConfigValidator(schema) };
}

export const VALID_CLUSTER = `# a small homelab
node_cidr: "192.168.1.0/24"
cluster_api_addr: "192.168.1.100"
cluster_gateway_addr: "192.168.1.101"
cluster_dns_gateway_addr: "192.168.1.102"
cloudflare_gateway_addr: "192.168.1.103"
repository_name: "alice/home-ops"
cloudflare_domain: "example.com"
cloudflare_token: "not-a-real-token-1234"
# node_vlan_tag: "100"
`;

export const VALID_NODES = `nodes:
  - name: "k8s-0"
    address: "192.168.1.10"
    controller: true
    disk: "/dev/sda"
    mac_addr: "00:11:22:33:44:55"
    schematic_id: "${'a'.repeat(64)}"
  - name: "k8s-1"
    address: "192.168.1.11"
    controller: false
    disk: "/dev/sda"
    mac_addr: "00:11:22:33:44:56"
    schematic_id: "${'b'.repeat(64)}"
`;

/** Checks both files with the bundled schemas; returns problems per file. */
export function check(cluster: string | undefined, nodes: string | undefined, clusterCtx = contextFor('cluster'), nodesCtx = contextFor('nodes')) {
  const c = cluster === undefined ? undefined : analyzeConfigFile('cluster', cluster, clusterCtx);
  const n = nodes === undefined ? undefined : analyzeConfigFile('nodes', nodes, nodesCtx);
  return collectConfigProblems(c, n);
}

/** Splits `text` at the ¦ cursor marker. */
export function withCursor(text: string): { document: TextDocument; offset: number; text: string } {
  const offset = text.indexOf('¦');
  if (offset < 0) throw new Error('no ¦ cursor marker');
  const clean = text.slice(0, offset) + text.slice(offset + 1);
  return { document: TextDocument.create('file:///ws/cluster.yaml', 'yaml', 1, clean), offset, text: clean };
}

/** Replaces the one line that starts with `key:` (top level or indented) by `replacement`. */
export function setLine(text: string, key: string, replacement: string): string {
  const pattern = new RegExp(`^(\\s*(?:- )?)${key}:.*$`, 'm');
  if (!pattern.test(text)) throw new Error(`no line for ${key}`);
  return text.replace(pattern, (_m, lead: string) => lead + replacement);
}
