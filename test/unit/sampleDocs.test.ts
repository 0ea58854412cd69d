// Unit tests for the sample-file documentation reader: `# --` blocks above keys (commented or not),
// the markers inside them, nodes.sample.yaml's comments after list item fields, and what is not documentation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readSampleDocs } from '../../server/src/services/cluster/sampleDocs';

// Shaped like the January-2026 cluster.sample.yaml (our own text, the same conventions).
const CLUSTER_SAMPLE = [
  '---',
  '# -- The network CIDR for the nodes.',
  '# (REQUIRED) / (e.g. 192.168.1.0/24)',
  'node_cidr: ""',
  '',
  '# -- DNS servers to use for the cluster.',
  '#    (OPTIONAL) / (DEFAULT: ["1.1.1.1", "1.0.0.1"]) / (Cloudflare DNS)',
  '# node_dns_servers: []',
  '',
  '# -- Attach a VLAN tag to the nodes.',
  '#    (OPTIONAL) / (REF: https://www.talos.dev/latest/advanced/advanced-networking/#vlans)',
  '# node_vlan_tag: ""',
  '',
  '# -- API token for the DNS provider',
  '#    (REQUIRED) (NOTE: See the README)',
  'cloudflare_token: ""',
  '',
].join('\n');

test('cluster.sample.yaml blocks document the key below them, commented out or not', () => {
  assert.deepEqual(readSampleDocs(CLUSTER_SAMPLE), [
    {
      key: 'node_cidr',
      description: 'The network CIDR for the nodes.',
      isRequired: true,
      example: '192.168.1.0/24',
      refs: [],
      line: 3,
      isCommented: false,
    },
    {
      key: 'node_dns_servers',
      description: 'DNS servers to use for the cluster. Cloudflare DNS.',
      isRequired: false,
      defaultText: '["1.1.1.1", "1.0.0.1"]',
      refs: [],
      line: 7,
      isCommented: true,
    },
    {
      key: 'node_vlan_tag',
      description: 'Attach a VLAN tag to the nodes.',
      isRequired: false,
      refs: ['https://www.talos.dev/latest/advanced/advanced-networking/#vlans'],
      line: 11,
      isCommented: true,
    },
    {
      key: 'cloudflare_token',
      description: 'API token for the DNS provider. NOTE: See the README.',
      isRequired: true,
      refs: [],
      line: 15,
      isCommented: false,
    },
  ]);
});

test('prose inside a block is joined into sentences; key-like prose deeper in the block is not the key', () => {
  const text = [
    '# -- When several nodes announce the same IP, traffic is',
    '#    spread across paths. A Secret is created and referenced by',
    '#    CiliumBGPPeerConfig for MD5 authentication',
    '#    audit: "observe"',
    '#    enforce: Policies created with enableDefaultDeny: true',
    '#    Talos creates sub-interfaces (trunk port / bare-metal mode)',
    '#    (CONDITIONAL) / Required only without UniFi',
    '#    (OPTIONAL) / (DEFAULT: 3)',
    '# ecmp_paths: 3',
  ].join('\n');
  assert.deepEqual(readSampleDocs(text), [
    {
      key: 'ecmp_paths',
      description:
        'When several nodes announce the same IP, traffic is spread across paths. A Secret is created and referenced by ' +
        'CiliumBGPPeerConfig for MD5 authentication audit: "observe" enforce: Policies created with enableDefaultDeny: true. ' +
        'Talos creates sub-interfaces (trunk port / bare-metal mode). CONDITIONAL. Required only without UniFi.',
      isRequired: false,
      defaultText: '3',
      refs: [],
      line: 8,
      isCommented: true,
    },
  ]);
});

test('blocks cut off by a blank line, a new block or a non-key line document nothing; headings are not blocks', () => {
  const text = [
    '# -- Orphan block followed by a blank line',
    '#    (OPTIONAL)',
    '',
    '# orphan_key: ""',
    '# -- Replaced block',
    '# -- The real doc',
    '# real_key: ""',
    '# --- HEADING ---',
    '# not_documented: ""',
    '# -- Block before a document marker',
    '---',
    'key_after_marker: 1',
  ].join('\n');
  assert.deepEqual(readSampleDocs(text), [{ key: 'real_key', description: 'The real doc.', refs: [], line: 6, isCommented: true }]);
});

test('a block documents only the first key after it; nested example keys are not documented', () => {
  const text = [
    '# -- Token for the API',
    '#    (OPTIONAL)',
    '# api_token_id: ""',
    '# api_token_secret: ""',
    '',
    '# -- VM defaults',
    '# vm_defaults:',
    '#   cores: 4           # CPU cores',
    '#   memory: 8192       # Memory in MB',
  ].join('\n');
  assert.deepEqual(readSampleDocs(text), [
    { key: 'api_token_id', description: 'Token for the API.', isRequired: false, refs: [], line: 2, isCommented: true },
    { key: 'vm_defaults', description: 'VM defaults.', refs: [], line: 6, isCommented: true },
  ]);
});

// Shaped like the January-2026 nodes.sample.yaml: documentation after each commented list item field.
const NODES_SAMPLE = [
  '---',
  'nodes: []',
  '  # - name: ""            # (REQUIRED) Name of the node (must match [a-z0-9-]+)',
  '  #   controller: true    # (REQUIRED) Set to true for a control-plane node',
  '  #   mtu: 1500           # (ADVANCED/OPTIONAL) MTU of the NIC. DEFAULT: 1500',
  '  #   secureboot: false   # (ADVANCED/OPTIONAL) SecureBoot on UEFI. Ref: https://www.talos.dev/latest/secureboot',
  '  #   kernel_modules: []  # (ADVANCED/OPTIONAL) Needs a matching schematic - Example: ["nvidia", "zfs"]',
  '  #   vm_id: 101          # Controllers boot first',
  '  # ...',
].join('\n');

test('nodes.sample.yaml list item fields are documented by the marker comment after them', () => {
  assert.deepEqual(readSampleDocs(NODES_SAMPLE), [
    { key: 'name', description: 'Name of the node (must match [a-z0-9-]+).', isRequired: true, refs: [], line: 2, isCommented: true },
    { key: 'controller', description: 'Set to true for a control-plane node.', isRequired: true, refs: [], line: 3, isCommented: true },
    { key: 'mtu', description: 'MTU of the NIC.', isRequired: false, defaultText: '1500', refs: [], line: 4, isCommented: true },
    {
      key: 'secureboot',
      description: 'SecureBoot on UEFI.',
      isRequired: false,
      refs: ['https://www.talos.dev/latest/secureboot'],
      line: 5,
      isCommented: true,
    },
    {
      key: 'kernel_modules',
      description: 'Needs a matching schematic.',
      isRequired: false,
      example: '["nvidia", "zfs"]',
      refs: [],
      line: 6,
      isCommented: true,
    },
  ]);
});

test('a `# --` or marker comment after a live key documents it; quoted keys and CRLF line ends are read', () => {
  const text = 'replicas: 2 # -- How many replicas (OPTIONAL)\r\n"quoted-key": x  # (REQUIRED) A quoted key\r\nplain: "a # b"  # just a remark\r\n';
  assert.deepEqual(readSampleDocs(text), [
    { key: 'replicas', description: 'How many replicas.', isRequired: false, refs: [], line: 0, isCommented: false },
    { key: 'quoted-key', description: 'A quoted key.', isRequired: true, refs: [], line: 1, isCommented: false },
  ]);
});

test('markers may span lines; the first default and example win; several refs are kept in order', () => {
  const text = [
    '# -- Realm roles',
    '#    (DEFAULT: admin, operator,',
    '#    viewer)',
    '#    (e.g., root@pam!terraform) / (e.g. other)',
    '#    REF: https://one.example.org/a',
    '#    (REF: docs/guides/roles.md)',
    '# realm_roles: []',
  ].join('\n');
  assert.deepEqual(readSampleDocs(text), [
    {
      key: 'realm_roles',
      description: 'Realm roles.',
      defaultText: 'admin, operator, viewer',
      example: 'root@pam!terraform',
      refs: ['https://one.example.org/a', 'docs/guides/roles.md'],
      line: 6,
      isCommented: true,
    },
  ]);
});

test('empty, unrelated or garbage text documents nothing', () => {
  assert.deepEqual(readSampleDocs(''), []);
  assert.deepEqual(readSampleDocs('# --\n'), []);
  assert.deepEqual(readSampleDocs('# -- only a block\n# key_without_colon\n'), []);
  assert.deepEqual(readSampleDocs('plain: yaml\nlist:\n  - a\n'), []);
  assert.deepEqual(readSampleDocs('\u0000\u0001 ### -- ((( """ \n#(((\n: : :\n'), []);
});
