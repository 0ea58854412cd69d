// Unit tests for the cross-field and cross-file rules of cluster.yaml / nodes.yaml: one valid and at
// least one invalid case per rule, checking file, path, code and severity, and one problem per mistake.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseYaml, spanForPath, toValue, type YamlPath } from '../../server/src/services/yaml/parse';
import { checkCrossFieldRules, type ConfigSnapshot, type CrossFieldProblem } from '../../server/src/services/cluster/crossFieldRules';
import { isKnownRuleCode } from '../../server/src/services/cluster/ruleCodes';

// ------------------------------------------------------------------------------------------------
// Fixtures: a valid cluster.yaml and nodes.yaml, changed a little per case.

type Entries = [string, string][];

const BASE_CLUSTER: Entries = [
  ['node_cidr', '10.10.10.0/24'],
  ['cluster_api_addr', '10.10.10.20'],
  ['cluster_gateway_addr', '10.10.10.21'],
  ['cluster_dns_gateway_addr', '10.10.10.22'],
  ['cloudflare_gateway_addr', '10.10.10.23'],
  ['repository_name', 'me/home-ops'],
  ['cloudflare_domain', 'example.com'],
  ['cloudflare_token', 'cf-token-SECRET'],
];

/** The base file with keys replaced in place, removed (null) or appended (new keys, in order). Values are raw YAML. */
function clusterYaml(changes: Record<string, string | null> = {}, base: Entries = BASE_CLUSTER): string {
  const lines: string[] = [];
  for (const [key, value] of base) {
    if (key in changes) {
      const changed = changes[key];
      if (changed !== null) lines.push(`${key}: ${changed}`);
    } else {
      lines.push(`${key}: ${value}`);
    }
  }
  for (const [key, value] of Object.entries(changes)) {
    if (!base.some(([existing]) => existing === key) && value !== null) lines.push(`${key}: ${value}`);
  }
  return lines.join('\n') + '\n';
}

/** The base file with some keys moved to the top, in the given order (for "later in the file" cases). */
function clusterYamlWithFirst(first: Entries, changes: Record<string, string | null> = {}): string {
  const rest = BASE_CLUSTER.filter(([key]) => !first.some(([moved]) => moved === key));
  return clusterYaml(changes, [...first, ...rest]);
}

type NodeEntries = Record<string, string>;

const BASE_NODES: NodeEntries[] = [
  { name: 'k8s-0', address: '10.10.10.10', controller: 'true', disk: '/dev/sda', mac_addr: 'aa:bb:cc:dd:ee:00' },
  { name: 'k8s-1', address: '10.10.10.11', controller: 'false', disk: '/dev/sda', mac_addr: 'aa:bb:cc:dd:ee:01' },
  { name: 'k8s-2', address: '10.10.10.12', controller: 'false', disk: '/dev/sda', mac_addr: 'aa:bb:cc:dd:ee:02' },
];

function nodesYaml(nodes: NodeEntries[] = BASE_NODES): string {
  if (nodes.length === 0) return 'nodes: []\n';
  const lines = ['nodes:'];
  for (const node of nodes) {
    Object.entries(node).forEach(([key, value], i) => lines.push(`${i === 0 ? '  - ' : '    '}${key}: ${value}`));
  }
  return lines.join('\n') + '\n';
}

/** BASE_NODES with some fields of some nodes changed (an empty-string value removes the field). */
function changedNodes(changes: Record<number, NodeEntries>): NodeEntries[] {
  return BASE_NODES.map((node, index) => {
    const merged: NodeEntries = { ...node, ...(changes[index] ?? {}) };
    for (const [key, value] of Object.entries(merged)) if (value === '') delete merged[key];
    return merged;
  });
}

function snapshot(text: string, failed: YamlPath[] = []): ConfigSnapshot {
  const parsed = parseYaml(text);
  assert.deepEqual(parsed.problems, [], `fixture must be valid YAML:\n${text}`);
  const value = toValue(parsed.root);
  return {
    value: typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null,
    offsetOf: (path) => spanForPath(parsed.root, path)?.start,
    failedPaths: new Set(failed.map((path) => JSON.stringify(path))),
  };
}

interface Case {
  name: string;
  /** cluster.yaml text; undefined means the valid base file, null means no file. */
  cluster?: string | null;
  nodes?: string | null;
  failed?: { cluster?: YamlPath[]; nodes?: YamlPath[] };
  expected: { file: 'cluster' | 'nodes'; path: YamlPath; code: string; severity?: 'error' | 'warning' }[];
}

function run(c: Pick<Case, 'cluster' | 'nodes' | 'failed'>): CrossFieldProblem[] {
  const clusterText = c.cluster === undefined ? clusterYaml() : c.cluster;
  const nodesText = c.nodes === undefined ? nodesYaml() : c.nodes;
  return checkCrossFieldRules({
    cluster: clusterText === null ? null : snapshot(clusterText, c.failed?.cluster),
    nodes: nodesText === null ? null : snapshot(nodesText, c.failed?.nodes),
  });
}

function runTable(cases: Case[]): void {
  for (const c of cases) {
    test(c.name, () => {
      const problems = run(c);
      assert.deepEqual(
        problems.map(({ file, path, code, severity }) => ({ file, path, code, severity })),
        c.expected.map((e) => ({ ...e, severity: e.severity ?? 'error' })),
      );
      for (const problem of problems) assert.ok(isKnownRuleCode(problem.code), problem.code);
    });
  }
}

// ------------------------------------------------------------------------------------------------

test('the base fixtures are valid', () => {
  assert.deepEqual(run({}), []);
});

test('no files, or files whose root is not a mapping, give nothing', () => {
  assert.deepEqual(run({ cluster: null, nodes: null }), []);
  assert.deepEqual(run({ cluster: '- a\n- b\n', nodes: '42\n' }), []);
});

// Rule 8: cidr-overlap
runTable([
  {
    name: 'cidr-overlap: pod and service CIDRs that do not overlap are fine',
    cluster: clusterYaml({ cluster_pod_cidr: '10.44.0.0/16', cluster_svc_cidr: '10.45.0.0/16' }),
    expected: [],
  },
  {
    name: 'cidr-overlap: node_cidr inside the omitted default pod CIDR is reported on node_cidr',
    cluster: clusterYaml({
      node_cidr: '10.42.0.0/24',
      cluster_api_addr: '10.42.0.20',
      cluster_gateway_addr: '10.42.0.21',
      cluster_dns_gateway_addr: '10.42.0.22',
      cloudflare_gateway_addr: '10.42.0.23',
    }),
    nodes: null,
    expected: [{ file: 'cluster', path: ['node_cidr'], code: 'cidr-overlap' }],
  },
  {
    name: 'cidr-overlap: a written pod CIDR after node_cidr that contains it is reported on the pod CIDR',
    cluster: clusterYaml({ cluster_pod_cidr: '10.10.0.0/16' }),
    expected: [{ file: 'cluster', path: ['cluster_pod_cidr'], code: 'cidr-overlap' }],
  },
  {
    name: 'cidr-overlap: a pod CIDR written before node_cidr makes node_cidr the later one',
    cluster: clusterYamlWithFirst([['cluster_pod_cidr', '10.10.0.0/16']]),
    expected: [{ file: 'cluster', path: ['node_cidr'], code: 'cidr-overlap' }],
  },
  {
    name: 'cidr-overlap: equal written pod and service CIDRs are reported on the later one',
    cluster: clusterYaml({ cluster_pod_cidr: '10.50.0.0/16', cluster_svc_cidr: '10.50.0.0/16' }),
    expected: [{ file: 'cluster', path: ['cluster_svc_cidr'], code: 'cidr-overlap' }],
  },
  {
    name: 'cidr-overlap: a pod CIDR holding the default service CIDR is reported on the pod CIDR, never on the default',
    cluster: clusterYaml({ cluster_pod_cidr: '10.40.0.0/14' }),
    expected: [{ file: 'cluster', path: ['cluster_pod_cidr'], code: 'cidr-overlap' }],
  },
  {
    name: 'cidr-overlap: a /32 pod CIDR inside node_cidr counts',
    cluster: clusterYaml({ cluster_pod_cidr: '10.10.10.200/32' }),
    expected: [{ file: 'cluster', path: ['cluster_pod_cidr'], code: 'cidr-overlap' }],
  },
  {
    name: 'cidr-overlap: a node_cidr holding both defaults is one problem',
    cluster: clusterYaml({ node_cidr: '10.0.0.0/8' }),
    nodes: null,
    expected: [{ file: 'cluster', path: ['node_cidr'], code: 'cidr-overlap' }],
  },
  {
    name: 'cidr-overlap: all three equal and written give one problem on each later CIDR',
    cluster: clusterYaml({ node_cidr: '10.10.10.0/24', cluster_pod_cidr: '10.10.10.0/24', cluster_svc_cidr: '10.10.10.0/24' }),
    expected: [
      { file: 'cluster', path: ['cluster_pod_cidr'], code: 'cidr-overlap' },
      { file: 'cluster', path: ['cluster_svc_cidr'], code: 'cidr-overlap' },
    ],
  },
  {
    name: 'cidr-overlap: a pod CIDR that failed its own rule takes no part',
    cluster: clusterYaml({ cluster_pod_cidr: '10.10.10.5/16' }),
    failed: { cluster: [['cluster_pod_cidr']] },
    expected: [],
  },
  {
    name: 'cidr-overlap: a written but broken pod CIDR does not fall back to the default',
    cluster: clusterYaml({
      node_cidr: '10.42.0.0/24',
      cluster_api_addr: '10.42.0.20',
      cluster_gateway_addr: '10.42.0.21',
      cluster_dns_gateway_addr: '10.42.0.22',
      cloudflare_gateway_addr: '10.42.0.23',
      cluster_pod_cidr: 'not-a-cidr',
    }),
    nodes: null,
    failed: { cluster: [['cluster_pod_cidr']] },
    expected: [],
  },
  {
    name: 'cidr-overlap: a CIDR of the wrong type takes no part even when not marked failed',
    cluster: clusterYaml({ node_cidr: '42', cluster_pod_cidr: '10.10.0.0/16' }),
    nodes: null,
    expected: [],
  },
]);

test('cidr-overlap: message names every overlapping range and the defaults', () => {
  const problems = run({ cluster: clusterYaml({ node_cidr: '10.0.0.0/8' }), nodes: null });
  assert.deepEqual(problems, [
    {
      file: 'cluster',
      path: ['node_cidr'],
      code: 'cidr-overlap',
      message:
        'node_cidr 10.0.0.0/8 contains the default cluster_pod_cidr 10.42.0.0/16 (used because cluster_pod_cidr is not set) and contains the default cluster_svc_cidr 10.43.0.0/16 (used because cluster_svc_cidr is not set). The node, pod and service networks must not share any address. Choose a range that overlaps neither, or set cluster_pod_cidr or cluster_svc_cidr to a range of its own.',
      severity: 'error',
      related: undefined,
    },
  ]);
});

test('cidr-overlap: two written ranges point at each other', () => {
  const problems = run({ cluster: clusterYaml({ cluster_pod_cidr: '10.10.0.0/16' }) });
  assert.deepEqual(problems, [
    {
      file: 'cluster',
      path: ['cluster_pod_cidr'],
      code: 'cidr-overlap',
      message: 'cluster_pod_cidr 10.10.0.0/16 contains node_cidr 10.10.10.0/24. The node, pod and service networks must not share any address.',
      severity: 'error',
      related: [{ file: 'cluster', path: ['node_cidr'], message: 'node_cidr 10.10.10.0/24 overlaps cluster_pod_cidr 10.10.0.0/16' }],
    },
  ]);
});

// Rule 17: bgp-all-or-nothing
const BGP_ALL = { cilium_bgp_router_addr: '10.10.10.1', cilium_bgp_router_asn: '"64513"', cilium_bgp_node_asn: '"64514"' };

runTable([
  { name: 'bgp-all-or-nothing: all three keys set is fine', cluster: clusterYaml(BGP_ALL), expected: [] },
  {
    name: 'bgp-all-or-nothing: one key set is reported on it',
    cluster: clusterYaml({ cilium_bgp_router_addr: '10.10.10.1' }),
    expected: [{ file: 'cluster', path: ['cilium_bgp_router_addr'], code: 'bgp-all-or-nothing' }],
  },
  {
    name: 'bgp-all-or-nothing: two keys set are each reported',
    cluster: clusterYaml({ cilium_bgp_router_asn: '"64513"', cilium_bgp_node_asn: '"64514"' }),
    expected: [
      { file: 'cluster', path: ['cilium_bgp_router_asn'], code: 'bgp-all-or-nothing' },
      { file: 'cluster', path: ['cilium_bgp_node_asn'], code: 'bgp-all-or-nothing' },
    ],
  },
  {
    name: 'bgp-all-or-nothing: a key left empty (failed non-empty) with the other two set adds nothing',
    cluster: clusterYaml({ ...BGP_ALL, cilium_bgp_node_asn: '""' }),
    failed: { cluster: [['cilium_bgp_node_asn']] },
    expected: [],
  },
  {
    name: 'bgp-all-or-nothing: one set, one failed, one omitted is still incomplete',
    cluster: clusterYaml({ cilium_bgp_router_addr: '10.10.10.1', cilium_bgp_router_asn: '64513' }),
    failed: { cluster: [['cilium_bgp_router_asn']] },
    expected: [{ file: 'cluster', path: ['cilium_bgp_router_addr'], code: 'bgp-all-or-nothing' }],
  },
  {
    name: 'bgp-all-or-nothing: an ASN of the wrong type is neither set nor unset',
    cluster: clusterYaml({ cilium_bgp_router_addr: '10.10.10.1', cilium_bgp_router_asn: '"64513"', cilium_bgp_node_asn: '64514' }),
    expected: [],
  },
]);

test('bgp-all-or-nothing: message names the missing keys', () => {
  const [problem] = run({ cluster: clusterYaml({ cilium_bgp_router_addr: '10.10.10.1' }) });
  assert.equal(
    problem.message,
    'cilium_bgp_router_addr is set but cilium_bgp_router_asn and cilium_bgp_node_asn are not. Set all three of cilium_bgp_router_addr, cilium_bgp_router_asn, cilium_bgp_node_asn to use BGP, or none of them; with only some, BGP stays off.',
  );
});

// Rules 18–20: addresses inside node_cidr
runTable([
  {
    name: 'default-gateway-in-cidr: an explicit gateway inside node_cidr is fine',
    cluster: clusterYaml({ node_default_gateway: '10.10.10.254' }),
    expected: [],
  },
  {
    name: 'default-gateway-in-cidr: an explicit gateway outside node_cidr',
    cluster: clusterYaml({ node_default_gateway: '10.10.11.1' }),
    expected: [{ file: 'cluster', path: ['node_default_gateway'], code: 'default-gateway-in-cidr' }],
  },
  {
    name: 'default-gateway-in-cidr: skipped when node_cidr failed',
    cluster: clusterYaml({ node_cidr: '10.10.10.1/24', node_default_gateway: '10.10.11.1' }),
    failed: { cluster: [['node_cidr']] },
    nodes: null,
    expected: [],
  },
  {
    name: 'api-addr-in-cidr: outside node_cidr',
    cluster: clusterYaml({ cluster_api_addr: '192.168.1.5' }),
    expected: [{ file: 'cluster', path: ['cluster_api_addr'], code: 'api-addr-in-cidr' }],
  },
  {
    name: 'api-addr-in-cidr: BGP does not excuse the API address',
    cluster: clusterYaml({ ...BGP_ALL, cluster_api_addr: '192.168.1.5' }),
    expected: [{ file: 'cluster', path: ['cluster_api_addr'], code: 'api-addr-in-cidr' }],
  },
  {
    name: 'api-addr-in-cidr: a failed API address takes no part',
    cluster: clusterYaml({ cluster_api_addr: '192.168.1.05' }),
    failed: { cluster: [['cluster_api_addr']] },
    expected: [],
  },
  {
    name: 'api-addr-in-cidr: the last address of a node_cidr is inside',
    cluster: clusterYaml({ cluster_api_addr: '10.10.10.255' }),
    expected: [],
  },
  {
    name: 'gateway-addr-in-cidr: each gateway outside node_cidr without BGP',
    cluster: clusterYaml({ cluster_gateway_addr: '192.168.1.21', cloudflare_gateway_addr: '192.168.1.23' }),
    expected: [
      { file: 'cluster', path: ['cluster_gateway_addr'], code: 'gateway-addr-in-cidr' },
      { file: 'cluster', path: ['cloudflare_gateway_addr'], code: 'gateway-addr-in-cidr' },
    ],
  },
  {
    name: 'gateway-addr-in-cidr: the DNS gateway too',
    cluster: clusterYaml({ cluster_dns_gateway_addr: '10.10.11.22' }),
    expected: [{ file: 'cluster', path: ['cluster_dns_gateway_addr'], code: 'gateway-addr-in-cidr' }],
  },
  {
    name: 'gateway-addr-in-cidr: with BGP on, gateways may be anywhere',
    cluster: clusterYaml({ ...BGP_ALL, cluster_gateway_addr: '192.168.1.21', cluster_dns_gateway_addr: '192.168.1.22', cloudflare_gateway_addr: '192.168.1.23' }),
    expected: [],
  },
  {
    name: 'gateway-addr-in-cidr: with BGP half set only the BGP keys are reported',
    cluster: clusterYaml({ cilium_bgp_router_addr: '10.10.10.1', cluster_gateway_addr: '192.168.1.21' }),
    expected: [{ file: 'cluster', path: ['cilium_bgp_router_addr'], code: 'bgp-all-or-nothing' }],
  },
  {
    name: 'gateway-addr-in-cidr: with a BGP key that failed, BGP is undecidable and gateways are not judged',
    cluster: clusterYaml({ ...BGP_ALL, cilium_bgp_router_asn: '"0"', cluster_gateway_addr: '192.168.1.21' }),
    failed: { cluster: [['cilium_bgp_router_asn']] },
    expected: [],
  },
  {
    name: 'in-cidr rules: a /32 node_cidr holds exactly its address',
    cluster: clusterYaml({ ...BGP_ALL, node_cidr: '10.10.10.20/32', cluster_api_addr: '10.10.10.20', cluster_gateway_addr: '10.10.10.21' }),
    nodes: null,
    expected: [],
  },
]);

test('api-addr-in-cidr: the message says what is wrong and what to do', () => {
  const problems = run({ cluster: clusterYaml({ cluster_api_addr: '192.168.1.5' }) });
  assert.deepEqual(problems, [
    {
      file: 'cluster',
      path: ['cluster_api_addr'],
      code: 'api-addr-in-cidr',
      message: 'cluster_api_addr 192.168.1.5 is outside node_cidr 10.10.10.0/24. The API address must be an unused address in the node network.',
      severity: 'error',
      related: [{ file: 'cluster', path: ['node_cidr'], message: 'node_cidr is 10.10.10.0/24' }],
    },
  ]);
});

// Rule 21: vip-unique
runTable([
  {
    name: 'vip-unique: an explicit default gateway frees the first address for a VIP',
    cluster: clusterYaml({ node_default_gateway: '10.10.10.254', cluster_api_addr: '10.10.10.1' }),
    expected: [],
  },
  {
    name: 'vip-unique: the gateway VIP equal to the API VIP is reported on the later key',
    cluster: clusterYaml({ cluster_gateway_addr: '10.10.10.20' }),
    expected: [{ file: 'cluster', path: ['cluster_gateway_addr'], code: 'vip-unique' }],
  },
  {
    name: 'vip-unique: "later" follows the file, not a fixed key order',
    cluster: clusterYamlWithFirst([['cloudflare_gateway_addr', '10.10.10.23'], ['cluster_api_addr', '10.10.10.23']]),
    expected: [{ file: 'cluster', path: ['cluster_api_addr'], code: 'vip-unique' }],
  },
  {
    name: 'vip-unique: three equal addresses give a problem on the second and the third',
    cluster: clusterYaml({ cluster_gateway_addr: '10.10.10.20', cluster_dns_gateway_addr: '10.10.10.20' }),
    expected: [
      { file: 'cluster', path: ['cluster_gateway_addr'], code: 'vip-unique' },
      { file: 'cluster', path: ['cluster_dns_gateway_addr'], code: 'vip-unique' },
    ],
  },
  {
    name: 'vip-unique: a VIP on the derived default gateway is reported on the VIP',
    cluster: clusterYaml({ cluster_dns_gateway_addr: '10.10.10.1' }),
    expected: [{ file: 'cluster', path: ['cluster_dns_gateway_addr'], code: 'vip-unique' }],
  },
  {
    name: 'vip-unique: an explicit default gateway written before the VIP puts the problem on the VIP',
    cluster: clusterYamlWithFirst([['node_default_gateway', '10.10.10.23']]),
    expected: [{ file: 'cluster', path: ['cloudflare_gateway_addr'], code: 'vip-unique' }],
  },
  {
    name: 'vip-unique: an explicit default gateway written after the VIP is the one reported',
    cluster: clusterYaml({ node_default_gateway: '10.10.10.20' }),
    expected: [{ file: 'cluster', path: ['node_default_gateway'], code: 'vip-unique' }],
  },
  {
    name: 'vip-unique: a written but broken node_default_gateway derives no default',
    cluster: clusterYaml({ node_default_gateway: '10.10.10.01', cluster_api_addr: '10.10.10.1' }),
    failed: { cluster: [['node_default_gateway']] },
    expected: [],
  },
  {
    name: 'vip-unique: a VIP in failedPaths takes no part even when its text looks fine',
    cluster: clusterYaml({ cluster_gateway_addr: '10.10.10.20' }),
    failed: { cluster: [['cluster_gateway_addr']] },
    expected: [],
  },
  {
    name: 'vip-unique: a /32 node_cidr has no derived default gateway',
    cluster: clusterYaml({ ...BGP_ALL, node_cidr: '10.10.10.20/32', cluster_api_addr: '10.10.10.20', cluster_gateway_addr: '10.10.10.21' }),
    nodes: null,
    expected: [],
  },
  {
    name: 'vip-unique: the BGP router address may equal the default gateway',
    cluster: clusterYaml({ ...BGP_ALL, cilium_bgp_router_addr: '10.10.10.1' }),
    expected: [],
  },
]);

test('vip-unique: messages name the earlier user of the address', () => {
  assert.deepEqual(run({ cluster: clusterYaml({ cluster_gateway_addr: '10.10.10.20' }) }), [
    {
      file: 'cluster',
      path: ['cluster_gateway_addr'],
      code: 'vip-unique',
      message:
        'cluster_gateway_addr 10.10.10.20 is already used: it is cluster_api_addr. The API address, the three gateway addresses and the default gateway must all be different.',
      severity: 'error',
      related: [{ file: 'cluster', path: ['cluster_api_addr'], message: 'cluster_api_addr is 10.10.10.20' }],
    },
  ]);
  assert.deepEqual(run({ cluster: clusterYaml({ cluster_api_addr: '10.10.10.1' }) }), [
    {
      file: 'cluster',
      path: ['cluster_api_addr'],
      code: 'vip-unique',
      message:
        "cluster_api_addr 10.10.10.1 is already used: it is the default gateway, which is node_cidr's first address because node_default_gateway is not set. The API address, the three gateway addresses and the default gateway must all be different.",
      severity: 'error',
      related: [{ file: 'cluster', path: ['node_cidr'], message: 'the default gateway 10.10.10.1 comes from node_cidr' }],
    },
  ]);
});

// Rules 22–24, 27, 29, 32: nodes
runTable([
  {
    name: 'node-address-in-cidr: a node outside node_cidr',
    nodes: nodesYaml(changedNodes({ 1: { address: '10.10.11.11' } })),
    expected: [{ file: 'nodes', path: ['nodes', 1, 'address'], code: 'node-address-in-cidr' }],
  },
  {
    name: 'node-address-in-cidr: skipped without cluster.yaml',
    cluster: null,
    nodes: nodesYaml(changedNodes({ 1: { address: '10.10.11.11' } })),
    expected: [],
  },
  {
    name: 'node-address-in-cidr: skipped when node_cidr failed',
    cluster: clusterYaml({ node_cidr: '10.10.10.0/33' }),
    failed: { cluster: [['node_cidr']] },
    nodes: nodesYaml(changedNodes({ 1: { address: '10.10.11.11' } })),
    expected: [],
  },
  {
    name: 'node-address-in-cidr: a failed node address takes no part',
    nodes: nodesYaml(changedNodes({ 1: { address: '10.10.11.011' } })),
    failed: { nodes: [['nodes', 1, 'address']] },
    expected: [],
  },
  {
    name: 'node-address-unique: the later of two nodes is reported',
    nodes: nodesYaml(changedNodes({ 2: { address: '10.10.10.10' } })),
    expected: [{ file: 'nodes', path: ['nodes', 2, 'address'], code: 'node-address-unique' }],
  },
  {
    name: 'node-address-unique: also without cluster.yaml',
    cluster: null,
    nodes: nodesYaml(changedNodes({ 2: { address: '10.10.10.10' } })),
    expected: [{ file: 'nodes', path: ['nodes', 2, 'address'], code: 'node-address-unique' }],
  },
  {
    name: 'node-address-unique: a duplicate in failedPaths takes no part',
    nodes: nodesYaml(changedNodes({ 2: { address: '10.10.10.10' } })),
    failed: { nodes: [['nodes', 2, 'address']] },
    expected: [],
  },
  {
    name: 'node-address-collision: a node on the API address is reported on the node',
    nodes: nodesYaml(changedNodes({ 0: { address: '10.10.10.20' } })),
    expected: [{ file: 'nodes', path: ['nodes', 0, 'address'], code: 'node-address-collision' }],
  },
  {
    name: 'node-address-collision: a node on the derived default gateway',
    nodes: nodesYaml(changedNodes({ 1: { address: '10.10.10.1' } })),
    expected: [{ file: 'nodes', path: ['nodes', 1, 'address'], code: 'node-address-collision' }],
  },
  {
    name: 'node-address-collision: a node on the explicit default gateway',
    cluster: clusterYaml({ node_default_gateway: '10.10.10.254' }),
    nodes: nodesYaml(changedNodes({ 1: { address: '10.10.10.254' } })),
    expected: [{ file: 'nodes', path: ['nodes', 1, 'address'], code: 'node-address-collision' }],
  },
  {
    name: 'node-address-collision: with an explicit default gateway the first address is free',
    cluster: clusterYaml({ node_default_gateway: '10.10.10.254' }),
    nodes: nodesYaml(changedNodes({ 1: { address: '10.10.10.1' } })),
    expected: [],
  },
  {
    name: 'node-address-collision: two nodes on a gateway VIP give a collision each, not also a duplicate',
    nodes: nodesYaml(changedNodes({ 1: { address: '10.10.10.21' }, 2: { address: '10.10.10.21' } })),
    expected: [
      { file: 'nodes', path: ['nodes', 1, 'address'], code: 'node-address-collision' },
      { file: 'nodes', path: ['nodes', 2, 'address'], code: 'node-address-collision' },
    ],
  },
  {
    name: 'node-address-collision: a VIP in failedPaths is not compared',
    failed: { cluster: [['cluster_api_addr']] },
    nodes: nodesYaml(changedNodes({ 0: { address: '10.10.10.20' } })),
    expected: [],
  },
  {
    name: 'node-name-unique: the later node is reported',
    nodes: nodesYaml(changedNodes({ 2: { name: 'k8s-0' } })),
    expected: [{ file: 'nodes', path: ['nodes', 2, 'name'], code: 'node-name-unique' }],
  },
  {
    name: 'node-name-unique: three equal names give two problems',
    cluster: null,
    nodes: nodesYaml(changedNodes({ 1: { name: 'k8s-0' }, 2: { name: 'k8s-0' } })),
    expected: [
      { file: 'nodes', path: ['nodes', 1, 'name'], code: 'node-name-unique' },
      { file: 'nodes', path: ['nodes', 2, 'name'], code: 'node-name-unique' },
    ],
  },
  {
    name: 'node-name-unique: a failed name takes no part',
    nodes: nodesYaml(changedNodes({ 2: { name: 'k8s-0' } })),
    failed: { nodes: [['nodes', 2, 'name']] },
    expected: [],
  },
  {
    name: 'node-name-unique: a failed node takes no part at all',
    nodes: nodesYaml(changedNodes({ 2: { name: 'k8s-0', address: '10.10.10.10' } })),
    failed: { nodes: [['nodes', 2]] },
    expected: [],
  },
  {
    name: 'mac-unique: the later node is reported',
    nodes: nodesYaml(changedNodes({ 1: { mac_addr: 'aa:bb:cc:dd:ee:00' } })),
    expected: [{ file: 'nodes', path: ['nodes', 1, 'mac_addr'], code: 'mac-unique' }],
  },
  {
    name: 'mac-unique: case does not make two MACs different',
    nodes: nodesYaml(changedNodes({ 1: { mac_addr: 'AA:BB:CC:DD:EE:00' } })),
    expected: [{ file: 'nodes', path: ['nodes', 1, 'mac_addr'], code: 'mac-unique' }],
  },
  {
    name: 'mac-unique: a MAC that failed mac-format takes no part',
    nodes: nodesYaml(changedNodes({ 1: { mac_addr: 'AA:BB:CC:DD:EE:00' } })),
    failed: { nodes: [['nodes', 1, 'mac_addr']] },
    expected: [],
  },
  {
    name: 'controller-required: all nodes are workers',
    nodes: nodesYaml(changedNodes({ 0: { controller: 'false' } })),
    expected: [{ file: 'nodes', path: ['nodes'], code: 'controller-required' }],
  },
  {
    name: 'controller-required: an empty node list',
    nodes: nodesYaml([]),
    expected: [{ file: 'nodes', path: ['nodes'], code: 'controller-required' }],
  },
  {
    name: 'controller-required: also without cluster.yaml',
    cluster: null,
    nodes: nodesYaml([]),
    expected: [{ file: 'nodes', path: ['nodes'], code: 'controller-required' }],
  },
  {
    name: 'controller-required: a quoted "true" (failed type) is not a second error',
    nodes: nodesYaml(changedNodes({ 0: { controller: '"true"' } })),
    failed: { nodes: [['nodes', 0, 'controller']] },
    expected: [],
  },
  {
    name: 'controller-required: a node missing `controller` (a required-key error) is not a second error',
    nodes: nodesYaml(changedNodes({ 0: { controller: '' } })),
    expected: [],
  },
  {
    name: 'controller-required: a node list that failed its type takes no part',
    nodes: 'nodes: {}\n',
    failed: { nodes: [['nodes']] },
    expected: [],
  },
  {
    name: 'node rules: no nodes key at all (a required-key error) gives nothing here',
    nodes: 'other: 1\n',
    expected: [],
  },
  {
    name: 'node rules: a node that is not a mapping is skipped, and so is controller-required',
    nodes: 'nodes:\n  - just-a-string\n  - name: k8s-1\n    address: 10.10.10.11\n    controller: false\n',
    expected: [],
  },
]);

test('node messages name the other node and file', () => {
  assert.deepEqual(run({ nodes: nodesYaml(changedNodes({ 2: { name: 'k8s-0' } })) }), [
    {
      file: 'nodes',
      path: ['nodes', 2, 'name'],
      code: 'node-name-unique',
      message: 'The node name "k8s-0" is already used by the node at position 1. Node names must be unique.',
      severity: 'error',
      related: [{ file: 'nodes', path: ['nodes', 0, 'name'], message: 'first used by node "k8s-0"' }],
    },
  ]);
  assert.deepEqual(run({ nodes: nodesYaml(changedNodes({ 0: { address: '10.10.10.20' } })) }), [
    {
      file: 'nodes',
      path: ['nodes', 0, 'address'],
      code: 'node-address-collision',
      message:
        'The address 10.10.10.20 of node "k8s-0" is also cluster_api_addr in cluster.yaml. A node address must differ from the API address, the gateway addresses and the default gateway.',
      severity: 'error',
      related: [{ file: 'cluster', path: ['cluster_api_addr'], message: 'cluster_api_addr is 10.10.10.20' }],
    },
  ]);
  assert.deepEqual(run({ nodes: nodesYaml(changedNodes({ 1: { address: '10.10.11.11', name: '' } })) }), [
    {
      file: 'nodes',
      path: ['nodes', 1, 'address'],
      code: 'node-address-in-cidr',
      message: 'The address 10.10.11.11 of the node at position 2 is outside node_cidr 10.10.10.0/24 (cluster.yaml). Every node address must be in the node network.',
      severity: 'error',
      related: [{ file: 'cluster', path: ['node_cidr'], message: 'node_cidr is 10.10.10.0/24' }],
    },
  ]);
  assert.deepEqual(run({ nodes: nodesYaml([]) }), [
    {
      file: 'nodes',
      path: ['nodes'],
      code: 'controller-required',
      message: 'nodes is empty. Add at least one node with controller: true; the Kubernetes API runs on the controller nodes.',
      severity: 'error',
    },
  ]);
});

test('without nodes.yaml only cluster rules run', () => {
  assert.deepEqual(
    run({ cluster: clusterYaml({ cluster_api_addr: '192.168.1.5' }), nodes: null }).map((p) => p.code),
    ['api-addr-in-cidr'],
  );
});

// Remaining-work items (REMAINING-WORK.md §4–§11)
const VOLSYNC_ALL = {
  volsync_enabled: 'true',
  volsync_s3_endpoint: 'https://acct.r2.cloudflarestorage.com',
  volsync_s3_bucket: 'volsync-backups',
  volsync_restic_password: 'restic-SECRET',
  volsync_s3_access_key: 'vs-access-SECRET',
  volsync_s3_secret_key: 'vs-secret-SECRET',
};
const BACKUP_ALL = {
  backup_s3_endpoint: 'https://acct.r2.cloudflarestorage.com',
  backup_s3_bucket: 'etcd-backups',
  backup_s3_access_key: 'bk-access-SECRET',
  backup_s3_secret_key: 'bk-secret-SECRET',
  backup_age_public_key: 'age1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq',
};
const KEYCLOAK_ON = { keycloak_enabled: 'true', keycloak_admin_password: 'kc-admin-SECRET', keycloak_db_password: 'kc-db-SECRET' };
const SSO_CLIENT = { oidc_client_id: 'envoy-gateway', oidc_client_secret: 'oidc-client-SECRET' };
const OAUTH2_ALL = {
  oauth2_proxy_enabled: 'true',
  oauth2_proxy_oidc_issuer: 'https://sso.example.com/realms/home',
  oauth2_proxy_client_id: 'oauth2-proxy',
  oauth2_proxy_client_secret: 'o2p-client-SECRET',
  oauth2_proxy_cookie_secret: 'o2p-cookie-SECRET',
};

runTable([
  { name: 'volsync: enabled with every setting is fine', cluster: clusterYaml(VOLSYNC_ALL), expected: [] },
  {
    name: 'volsync: enabled without its settings is one requires-key',
    cluster: clusterYaml({ volsync_enabled: 'true' }),
    expected: [{ file: 'cluster', path: ['volsync_enabled'], code: 'requires-key' }],
  },
  {
    name: 'volsync: disabled needs nothing',
    cluster: clusterYaml({ volsync_enabled: 'false' }),
    expected: [],
  },
  {
    name: 'volsync: a flag of the wrong type (failed) decides nothing',
    cluster: clusterYaml({ volsync_enabled: '"true"' }),
    failed: { cluster: [['volsync_enabled']] },
    expected: [],
  },
  {
    name: 'volsync: a setting that failed its own rule is not also missing',
    cluster: clusterYaml({ ...VOLSYNC_ALL, volsync_s3_endpoint: 's3.example.com' }),
    failed: { cluster: [['volsync_s3_endpoint']] },
    expected: [],
  },
  {
    name: 'volsync: an empty setting counts as unset',
    cluster: clusterYaml({ ...VOLSYNC_ALL, volsync_restic_password: '""' }),
    expected: [{ file: 'cluster', path: ['volsync_enabled'], code: 'requires-key' }],
  },
  {
    name: 'volsync: an in-cluster endpoint without RustFS is a warning on the endpoint',
    cluster: clusterYaml({ ...VOLSYNC_ALL, volsync_s3_endpoint: 'http://rustfs.storage.svc.cluster.local:9000' }),
    expected: [{ file: 'cluster', path: ['volsync_s3_endpoint'], code: 'requires-enabled', severity: 'warning' }],
  },
  {
    name: 'volsync: an in-cluster endpoint with RustFS is fine',
    cluster: clusterYaml({ ...VOLSYNC_ALL, volsync_s3_endpoint: 'http://rustfs.storage.svc.cluster.local:9000', rustfs_enabled: 'true' }),
    expected: [],
  },
  { name: 'talos backup: fully set is fine', cluster: clusterYaml(BACKUP_ALL), expected: [] },
  {
    name: 'talos backup: an endpoint without a bucket',
    cluster: clusterYaml({ backup_s3_endpoint: BACKUP_ALL.backup_s3_endpoint }),
    expected: [{ file: 'cluster', path: ['backup_s3_endpoint'], code: 'requires-key' }],
  },
  {
    name: 'talos backup: a bucket without an endpoint',
    cluster: clusterYaml({ backup_s3_bucket: 'etcd-backups' }),
    expected: [{ file: 'cluster', path: ['backup_s3_bucket'], code: 'requires-key' }],
  },
  {
    name: 'talos backup: endpoint and bucket without keys is one problem on the endpoint',
    cluster: clusterYaml({ backup_s3_endpoint: BACKUP_ALL.backup_s3_endpoint, backup_s3_bucket: 'etcd-backups' }),
    expected: [{ file: 'cluster', path: ['backup_s3_endpoint'], code: 'requires-key' }],
  },
  {
    name: 'talos backup: an in-cluster endpoint without RustFS is a warning',
    cluster: clusterYaml({ ...BACKUP_ALL, backup_s3_endpoint: 'http://rustfs-svc.storage.svc.cluster.local:9000' }),
    expected: [{ file: 'cluster', path: ['backup_s3_endpoint'], code: 'requires-enabled', severity: 'warning' }],
  },
  {
    name: 'talos backup: an in-cluster endpoint with RustFS is fine',
    cluster: clusterYaml({ ...BACKUP_ALL, backup_s3_endpoint: 'http://rustfs-svc.storage.svc.cluster.local:9000', rustfs_enabled: 'true' }),
    expected: [],
  },
  {
    name: 'jwt: a JWKS URI without an issuer',
    cluster: clusterYaml({ oidc_jwks_uri: 'https://sso.example.com/realms/home/protocol/openid-connect/certs' }),
    expected: [{ file: 'cluster', path: ['oidc_jwks_uri'], code: 'requires-key' }],
  },
  {
    name: 'jwt: Keycloak fills the missing issuer in',
    cluster: clusterYaml({ ...KEYCLOAK_ON, oidc_jwks_uri: 'https://sso.example.com/realms/home/protocol/openid-connect/certs' }),
    expected: [],
  },
  {
    name: 'jwt: an issuer alone without SSO is a warning',
    cluster: clusterYaml({ oidc_issuer_url: 'https://sso.example.com/realms/home' }),
    expected: [{ file: 'cluster', path: ['oidc_issuer_url'], code: 'requires-key', severity: 'warning' }],
  },
  {
    name: 'jwt: issuer and JWKS together are fine',
    cluster: clusterYaml({
      oidc_issuer_url: 'https://sso.example.com/realms/home',
      oidc_jwks_uri: 'https://sso.example.com/realms/home/protocol/openid-connect/certs',
    }),
    expected: [],
  },
  {
    name: 'oidc sso: enabled with issuer and client is fine (the issuer alone is normal for SSO)',
    cluster: clusterYaml({ oidc_sso_enabled: 'true', oidc_issuer_url: 'https://sso.example.com/realms/home', ...SSO_CLIENT }),
    expected: [],
  },
  {
    name: 'oidc sso: enabled without issuer or client',
    cluster: clusterYaml({ oidc_sso_enabled: 'true' }),
    expected: [{ file: 'cluster', path: ['oidc_sso_enabled'], code: 'requires-key' }],
  },
  {
    name: 'oidc sso: with Keycloak the issuer may be omitted, the client may not',
    cluster: clusterYaml({ ...KEYCLOAK_ON, oidc_sso_enabled: 'true', oidc_client_id: 'envoy-gateway' }),
    expected: [{ file: 'cluster', path: ['oidc_sso_enabled'], code: 'requires-key' }],
  },
  {
    name: 'oidc sso: with Keycloak and a client, fine',
    cluster: clusterYaml({ ...KEYCLOAK_ON, oidc_sso_enabled: 'true', ...SSO_CLIENT }),
    expected: [],
  },
  {
    name: 'keycloak: enabled without its passwords',
    cluster: clusterYaml({ keycloak_enabled: 'true' }),
    expected: [{ file: 'cluster', path: ['keycloak_enabled'], code: 'requires-key' }],
  },
  {
    name: 'keycloak: cnpg mode without cnpg_enabled is an error on keycloak_db_mode',
    cluster: clusterYaml({ ...KEYCLOAK_ON, keycloak_db_mode: 'cnpg' }),
    expected: [{ file: 'cluster', path: ['keycloak_db_mode'], code: 'requires-enabled' }],
  },
  {
    name: 'keycloak: cnpg mode with cnpg_enabled false is the same error',
    cluster: clusterYaml({ ...KEYCLOAK_ON, keycloak_db_mode: 'cnpg', cnpg_enabled: 'false' }),
    expected: [{ file: 'cluster', path: ['keycloak_db_mode'], code: 'requires-enabled' }],
  },
  {
    name: 'keycloak: cnpg mode with cnpg_enabled is fine',
    cluster: clusterYaml({ ...KEYCLOAK_ON, keycloak_db_mode: 'cnpg', cnpg_enabled: 'true' }),
    expected: [],
  },
  {
    name: 'keycloak: the db mode does not matter while Keycloak is off',
    cluster: clusterYaml({ keycloak_db_mode: 'cnpg' }),
    expected: [],
  },
  {
    name: 'keycloak: embedded mode needs no CloudNativePG',
    cluster: clusterYaml({ ...KEYCLOAK_ON, keycloak_db_mode: 'embedded' }),
    expected: [],
  },
  {
    name: 'keycloak backups: one S3 key without the other',
    cluster: clusterYaml({ ...KEYCLOAK_ON, rustfs_enabled: 'true', keycloak_s3_access_key: 'kc-s3-access-SECRET' }),
    expected: [{ file: 'cluster', path: ['keycloak_s3_access_key'], code: 'requires-key' }],
  },
  {
    name: 'keycloak backups: the secret key without the access key',
    cluster: clusterYaml({ ...KEYCLOAK_ON, rustfs_enabled: 'true', keycloak_s3_secret_key: 'kc-s3-secret-SECRET' }),
    expected: [{ file: 'cluster', path: ['keycloak_s3_secret_key'], code: 'requires-key' }],
  },
  {
    name: 'keycloak backups: both keys without RustFS is a warning',
    cluster: clusterYaml({ ...KEYCLOAK_ON, keycloak_s3_access_key: 'kc-s3-access-SECRET', keycloak_s3_secret_key: 'kc-s3-secret-SECRET' }),
    expected: [{ file: 'cluster', path: ['keycloak_s3_access_key'], code: 'requires-enabled', severity: 'warning' }],
  },
  {
    name: 'keycloak backups: both keys with RustFS are fine',
    cluster: clusterYaml({ ...KEYCLOAK_ON, rustfs_enabled: 'true', keycloak_s3_access_key: 'kc-s3-access-SECRET', keycloak_s3_secret_key: 'kc-s3-secret-SECRET' }),
    expected: [],
  },
  {
    name: 'cnpg: backups without the operator and RustFS is one warning',
    cluster: clusterYaml({ cnpg_backup_enabled: 'true' }),
    expected: [{ file: 'cluster', path: ['cnpg_backup_enabled'], code: 'requires-enabled', severity: 'warning' }],
  },
  {
    name: 'cnpg: backups with operator and RustFS but no keys',
    cluster: clusterYaml({ cnpg_enabled: 'true', rustfs_enabled: 'true', cnpg_backup_enabled: 'true' }),
    expected: [{ file: 'cluster', path: ['cnpg_backup_enabled'], code: 'requires-key' }],
  },
  {
    name: 'cnpg: backups fully set are fine',
    cluster: clusterYaml({
      cnpg_enabled: 'true',
      rustfs_enabled: 'true',
      cnpg_backup_enabled: 'true',
      cnpg_s3_access_key: 'cnpg-access-SECRET',
      cnpg_s3_secret_key: 'cnpg-secret-SECRET',
    }),
    expected: [],
  },
  {
    name: 'cnpg: the Barman plugin without the operator',
    cluster: clusterYaml({ cnpg_barman_plugin_enabled: 'true' }),
    expected: [{ file: 'cluster', path: ['cnpg_barman_plugin_enabled'], code: 'requires-enabled', severity: 'warning' }],
  },
  {
    name: 'cnpg: pgvector without the operator',
    cluster: clusterYaml({ cnpg_pgvector_enabled: 'true' }),
    expected: [{ file: 'cluster', path: ['cnpg_pgvector_enabled'], code: 'requires-enabled', severity: 'warning' }],
  },
  {
    name: 'cnpg: sub-features with the operator are fine',
    cluster: clusterYaml({ cnpg_enabled: 'true', cnpg_barman_plugin_enabled: 'true', cnpg_pgvector_enabled: 'true' }),
    expected: [],
  },
  {
    name: 'cnpg: an operator flag that failed its type decides nothing',
    cluster: clusterYaml({ cnpg_enabled: '"yes"', cnpg_pgvector_enabled: 'true' }),
    failed: { cluster: [['cnpg_enabled']] },
    expected: [],
  },
  { name: 'oauth2-proxy: fully set is fine', cluster: clusterYaml(OAUTH2_ALL), expected: [] },
  {
    name: 'oauth2-proxy: enabled without its settings',
    cluster: clusterYaml({ oauth2_proxy_enabled: 'true', oauth2_proxy_client_id: 'oauth2-proxy' }),
    expected: [{ file: 'cluster', path: ['oauth2_proxy_enabled'], code: 'requires-key' }],
  },
  {
    name: 'remaining-work rules run without nodes.yaml',
    cluster: clusterYaml({ keycloak_enabled: 'true' }),
    nodes: null,
    expected: [{ file: 'cluster', path: ['keycloak_enabled'], code: 'requires-key' }],
  },
]);

test('remaining-work messages name the keys involved', () => {
  assert.deepEqual(run({ cluster: clusterYaml({ volsync_enabled: 'true', volsync_s3_bucket: 'volsync-backups' }) }), [
    {
      file: 'cluster',
      path: ['volsync_enabled'],
      code: 'requires-key',
      message:
        'volsync_enabled is true, but volsync_s3_endpoint, volsync_restic_password, volsync_s3_access_key and volsync_s3_secret_key are not set. VolSync builds its restic repository secret from them.',
      severity: 'error',
    },
  ]);
  assert.deepEqual(run({ cluster: clusterYaml({ ...KEYCLOAK_ON, keycloak_db_mode: 'cnpg' }) }), [
    {
      file: 'cluster',
      path: ['keycloak_db_mode'],
      code: 'requires-enabled',
      message:
        "keycloak_enabled is true and keycloak_db_mode is cnpg, but cnpg_enabled is not true. Keycloak's database would be a CloudNativePG cluster, but the operator is not deployed; enable CloudNativePG or use keycloak_db_mode: embedded.",
      severity: 'error',
    },
  ]);
  assert.deepEqual(run({ cluster: clusterYaml({ backup_s3_endpoint: BACKUP_ALL.backup_s3_endpoint, backup_s3_bucket: 'etcd-backups' }) }), [
    {
      file: 'cluster',
      path: ['backup_s3_endpoint'],
      code: 'requires-key',
      message:
        'backup_s3_endpoint and backup_s3_bucket are set, but backup_s3_access_key, backup_s3_secret_key and backup_age_public_key are not set. Talos backup is on, and its credentials secret needs them to upload encrypted snapshots.',
      severity: 'error',
    },
  ]);
});

test('no message or related message shows a secret value', () => {
  const secrets = ['cf-token-SECRET', 'SECRET'];
  // Every feature half set, with secrets present, so that as many rules as possible speak.
  const cluster = clusterYaml({
    cluster_gateway_addr: '10.10.10.20',
    cilium_bgp_router_addr: '10.10.10.1',
    volsync_enabled: 'true',
    volsync_restic_password: 'restic-SECRET',
    volsync_s3_endpoint: 'http://rustfs.storage.svc.cluster.local:9000',
    backup_s3_endpoint: 'http://rustfs-svc.storage.svc.cluster.local:9000',
    backup_s3_bucket: 'etcd-backups',
    backup_s3_secret_key: 'bk-secret-SECRET',
    keycloak_enabled: 'true',
    keycloak_admin_password: 'kc-admin-SECRET',
    keycloak_db_mode: 'cnpg',
    keycloak_s3_access_key: 'kc-s3-access-SECRET',
    oidc_sso_enabled: 'true',
    oidc_client_secret: 'oidc-client-SECRET',
    oauth2_proxy_enabled: 'true',
    oauth2_proxy_cookie_secret: 'o2p-cookie-SECRET',
    cnpg_backup_enabled: 'true',
    cnpg_s3_secret_key: 'cnpg-secret-SECRET',
  });
  const problems = run({ cluster });
  assert.ok(problems.length >= 10, `expected many problems, got ${problems.length}`);
  for (const problem of problems) {
    const texts = [problem.message, ...(problem.related ?? []).map((r) => r.message)];
    for (const text of texts) for (const secret of secrets) assert.ok(!text.includes(secret), `${problem.code}: ${text}`);
    assert.ok(isKnownRuleCode(problem.code), problem.code);
  }
});

test('every problem points at a path that exists in its file', () => {
  const clusterText = clusterYaml({ cluster_api_addr: '10.10.10.1', cluster_pod_cidr: '10.10.0.0/16', cilium_bgp_node_asn: '"1"', keycloak_enabled: 'true' });
  const nodesText = nodesYaml(changedNodes({ 0: { controller: 'false' }, 1: { address: '10.10.10.1', name: 'k8s-0' }, 2: { mac_addr: 'aa:bb:cc:dd:ee:01' } }));
  const problems = run({ cluster: clusterText, nodes: nodesText });
  assert.deepEqual(
    problems.map((p) => p.code),
    ['cidr-overlap', 'bgp-all-or-nothing', 'vip-unique', 'node-address-collision', 'node-name-unique', 'mac-unique', 'controller-required', 'requires-key'],
  );
  const roots = { cluster: parseYaml(clusterText).root, nodes: parseYaml(nodesText).root };
  for (const problem of problems) {
    assert.ok(spanForPath(roots[problem.file], problem.path), `${problem.code} at ${JSON.stringify(problem.path)}`);
    for (const related of problem.related ?? []) assert.ok(spanForPath(roots[related.file], related.path), `related of ${problem.code}`);
  }
});
