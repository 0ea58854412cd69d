// Every per-value rule of VALIDATION.md through the whole pipeline (parse → schema → unknown keys →
// cross-field), checking the code, the severity and the exact text the problem is reported on.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ConfigProblem } from '../../server/src/services/cluster/diagnostics';
import { check, contextFor, setLine, VALID_CLUSTER, VALID_NODES } from './support/config';

function only(problems: ConfigProblem[]): ConfigProblem {
  assert.equal(problems.length, 1, `expected one problem, got: ${JSON.stringify(problems.map((p) => [p.code, p.message]))}`);
  return problems[0];
}

describe('valid files', () => {
  it('gives no problem for a valid cluster.yaml and nodes.yaml', () => {
    const result = check(VALID_CLUSTER, VALID_NODES);
    assert.deepEqual(result, { cluster: [], nodes: [] });
  });
});

describe('cluster.yaml value rules', () => {
  const cases: [string, string, string, string][] = [
    // [key, replacement line, code, text the problem is reported on]
    ['node_cidr', 'node_cidr: "192.168.1.0"', 'cidr', 'node_cidr'],
    ['node_cidr', 'node_cidr: "fd00::/64"', 'cidr', 'node_cidr'],
    ['node_cidr', 'node_cidr: "192.168.1.5/24"', 'cidr-canonical', 'node_cidr'],
    ['cluster_api_addr', 'cluster_api_addr: "192.168.1.010"', 'ipv4', 'cluster_api_addr'],
    ['cluster_api_addr', 'cluster_api_addr: "192.168.1"', 'ipv4', 'cluster_api_addr'],
    ['cluster_api_addr', 'cluster_api_addr: 12', 'type', 'cluster_api_addr'],
    ['repository_name', 'repository_name: "https://github.com/alice/home-ops"', 'repository-name', 'repository_name'],
    ['repository_name', 'repository_name: "git@github.com:alice/home-ops"', 'repository-name', 'repository_name'],
    ['cloudflare_domain', 'cloudflare_domain: "Example.com"', 'fqdn', 'cloudflare_domain'],
    ['cloudflare_domain', 'cloudflare_domain: "localhost"', 'fqdn', 'cloudflare_domain'],
    ['cloudflare_token', 'cloudflare_token: ""', 'cloudflare-token', 'cloudflare_token'],
  ];
  for (const [key, line, code, at] of cases) {
    it(`${line} → ${code}`, () => {
      const text = setLine(VALID_CLUSTER, key, line);
      const problem = only(check(text, VALID_NODES).cluster);
      assert.equal(problem.code, code);
      assert.equal(problem.severity, 'error');
      assert.equal(text.slice(problem.span.start, problem.span.end), at);
    });
  }

  const added: [string, string][] = [
    ['node_vlan_tag: 100', 'type'],
    ['node_vlan_tag: "5000"', 'vlan-tag'],
    ['node_vlan_tag: "0"', 'vlan-tag'],
    ['node_vlan_tag: ""', 'non-empty'],
    ['node_vlan_tag:', 'type'],
    ['node_default_gateway: ""', 'non-empty'],
    ['repository_branch: ""', 'non-empty'],
    ['repository_visibility: "secret"', 'enum-repository-visibility'],
    ['cilium_loadbalancer_mode: "nat"', 'enum-loadbalancer-mode'],
    ['cluster_svc_cidr: "10.43.0.0/29"', 'svc-cidr-size'],
    ['cluster_pod_cidr: "10.42.0.1/16"', 'cidr-canonical'],
    ['node_dns_servers: ["1.1.1.1", "1.1.1"]', 'ipv4'],
    ['cluster_api_tls_sans: ["api.example.com", "https://x.example.com"]', 'fqdn'],
    ['node_ntp_servers: "1.1.1.1"', 'type'],
  ];
  for (const [line, code] of added) {
    it(`${line} → ${code}`, () => {
      const text = VALID_CLUSTER + line + '\n';
      const problem = only(check(text, VALID_NODES).cluster);
      assert.equal(problem.code, code);
      assert.ok(problem.span.start >= VALID_CLUSTER.length, 'reported on the added line');
    });
  }

  it('reports a bad list element at its index', () => {
    const text = VALID_CLUSTER + 'node_dns_servers:\n  - "1.1.1.1"\n  - "1.0.0.300"\n';
    const problem = only(check(text, VALID_NODES).cluster);
    assert.equal(text.slice(problem.span.start, problem.span.end), '"1.0.0.300"');
  });

  it('reports a missing required key at the top level once per key', () => {
    const text = VALID_CLUSTER.replace(/^cloudflare_domain:.*\n/m, '');
    const problem = only(check(text, VALID_NODES).cluster);
    assert.equal(problem.code, 'required-key');
    assert.match(problem.message, /cloudflare_domain/);
  });

  it('never shows a secret value in a message', () => {
    const text = setLine(VALID_CLUSTER, 'cloudflare_token', 'cloudflare_token: 123456789');
    const problem = only(check(text, VALID_NODES).cluster);
    assert.equal(problem.code, 'type');
    assert.doesNotMatch(problem.message, /123456789/);
  });
});

describe('unknown keys', () => {
  it('warns on an unknown key without a workspace schema, with a did-you-mean fix', () => {
    const text = VALID_CLUSTER + 'node_vlan_tagg: "5"\n';
    const problem = only(check(text, VALID_NODES).cluster);
    assert.equal(problem.code, 'unknown-key');
    assert.equal(problem.severity, 'warning');
    assert.match(problem.message, /Did you mean node_vlan_tag\?/);
    assert.deepEqual(problem.fix && { title: problem.fix.title, newText: problem.fix.newText }, { title: 'Change to node_vlan_tag', newText: 'node_vlan_tag' });
  });

  it('errors on an unknown key when a closed workspace schema decides', () => {
    const workspace = {
      label: '.taskfiles/template/resources/cluster.schema.cue',
      origin: 'workspace-cue' as const,
      result: { isClosed: true, notes: [], schema: { type: 'object' as const, properties: { node_cidr: { type: 'string' as const } }, required: ['node_cidr'] } },
    };
    const ctx = contextFor('cluster', workspace);
    const problems = check('node_cidr: "10.0.0.0/24"\nvolsync_enabled: true\n', undefined, ctx).cluster;
    const problem = only(problems);
    assert.equal(problem.code, 'unknown-key');
    assert.equal(problem.severity, 'error');
    assert.match(problem.message, /cue vet/);
  });

  it('knows fork keys from the workspace schema', () => {
    const workspace = {
      label: 'cluster.schema.cue',
      origin: 'workspace-cue' as const,
      result: { isClosed: true, notes: [], schema: { type: 'object' as const, properties: { my_fork_key: { type: 'integer' as const, minimum: 2 } } } },
    };
    const ctx = contextFor('cluster', workspace);
    assert.deepEqual(check('my_fork_key: 3\n', undefined, ctx).cluster, []);
    assert.equal(only(check('my_fork_key: 1\n', undefined, ctx).cluster).code, 'range');
  });

  it('flags unknown node fields', () => {
    const text = VALID_NODES.replace('    disk: "/dev/sda"\n    mac_addr: "00:11:22:33:44:56"', '    disk: "/dev/sda"\n    mac_adr: "00:11:22:33:44:56"');
    const problems = check(VALID_CLUSTER, text).nodes;
    assert.deepEqual(problems.map((p) => p.code).sort(), ['required-key', 'unknown-key']);
    assert.match(problems.find((p) => p.code === 'unknown-key')!.message, /Did you mean mac_addr\?/);
  });
});

describe('nodes.yaml value rules', () => {
  const cases: [string, string, string][] = [
    ['name', 'name: "K8s-0"', 'node-name-format'],
    ['name', 'name: "-k8s"', 'node-name-format'],
    ['name', 'name: "controller"', 'node-name-reserved'],
    ['address', 'address: "192.168.1.256"', 'ipv4'],
    ['controller', 'controller: "true"', 'type'],
    ['mac_addr', 'mac_addr: "00:11:22:33:44:5G"', 'mac-format'],
    ['mac_addr', 'mac_addr: "00:11:22:AA:44:55"', 'mac-format'],
    ['schematic_id', 'schematic_id: "abc"', 'schematic-id-format'],
  ];
  for (const [key, line, code] of cases) {
    it(`${line} → ${code}`, () => {
      const text = setLine(VALID_NODES, key, line);
      const problem = only(check(VALID_CLUSTER, text).nodes);
      assert.equal(problem.code, code);
      assert.equal(text.slice(problem.span.start, problem.span.end), key);
    });
  }

  it('checks mtu as an integer from 1450 to 9000', () => {
    const withMtu = (value: string) => VALID_NODES.replace('    disk: "/dev/sda"\n', `    disk: "/dev/sda"\n    mtu: ${value}\n`);
    assert.deepEqual(check(VALID_CLUSTER, withMtu('9000')).nodes, []);
    assert.equal(only(check(VALID_CLUSTER, withMtu('9001')).nodes).code, 'mtu-range');
    assert.equal(only(check(VALID_CLUSTER, withMtu('"1500"')).nodes).code, 'type');
  });

  it('offers lowercase for an uppercase MAC address', () => {
    const text = setLine(VALID_NODES, 'mac_addr', 'mac_addr: "00:11:22:AA:44:55"');
    assert.equal(only(check(VALID_CLUSTER, text).nodes).fix?.newText, '"00:11:22:aa:44:55"');
  });

  it('reports a missing node field at the node', () => {
    const text = VALID_NODES.replace('    disk: "/dev/sda"\n', '');
    const problem = only(check(VALID_CLUSTER, text).nodes);
    assert.equal(problem.code, 'required-key');
    assert.match(problem.message, /Node 1 .*disk/);
    assert.equal(text.slice(problem.span.start, problem.span.end), 'name: "k8s-0"');
  });
});

describe('YAML level', () => {
  it('reports syntax errors and runs no schema check', () => {
    const problems = check('node_cidr: "10.0.0.0/24\ncluster_api_addr: [\n', undefined).cluster;
    assert.ok(problems.length > 0);
    assert.ok(problems.every((p) => p.code === 'yaml-syntax'));
  });

  it('reports a duplicate key at the later occurrence', () => {
    const text = VALID_CLUSTER + 'node_cidr: "10.0.0.0/24"\n';
    const problem = only(check(text, VALID_NODES).cluster);
    assert.equal(problem.code, 'duplicate-key');
    assert.ok(problem.span.start >= VALID_CLUSTER.length);
    assert.match(problem.message, /line 2/);
  });

  it('rejects a document that is not a mapping', () => {
    assert.equal(only(check('- a\n- b\n', undefined).cluster).code, 'not-a-mapping');
  });
});
