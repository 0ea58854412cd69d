// Checks the bundled JSON Schemas (schemas/cluster.schema.json, schemas/nodes.schema.json) as data:
// every key documented and grouped, every x-rules code known, defaults and examples valid, the
// template's keys, required lists and secrets as VALIDATION.md and REMAINING-WORK.md describe them.
// It does not test the real validator; ajv here uses stand-in formats and ignores our custom keywords.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv, { type ErrorObject } from 'ajv';
import addFormats from 'ajv-formats';
import { RULE_TITLES, isKnownRuleCode } from '../../server/src/services/cluster/ruleCodes';
import type { JsonSchema } from '../../server/src/services/cluster/schemaTypes';

// Compiled to out/test/unit/, so the repository root is three levels up.
const schemaDir = join(__dirname, '..', '..', '..', 'schemas');
const clusterSchema = JSON.parse(readFileSync(join(schemaDir, 'cluster.schema.json'), 'utf8')) as JsonSchema;
const nodesSchema = JSON.parse(readFileSync(join(schemaDir, 'nodes.schema.json'), 'utf8')) as JsonSchema;

const TEMPLATE_KEYS = [
  'node_cidr', 'node_dns_servers', 'node_ntp_servers', 'node_default_gateway', 'node_vlan_tag',
  'cluster_api_addr', 'cluster_api_tls_sans', 'cluster_pod_cidr', 'cluster_svc_cidr',
  'cluster_dns_gateway_addr', 'cluster_gateway_addr', 'repository_name', 'repository_branch',
  'repository_visibility', 'cloudflare_domain', 'cloudflare_token', 'cloudflare_gateway_addr',
  'cilium_loadbalancer_mode', 'cilium_bgp_router_addr', 'cilium_bgp_router_asn', 'cilium_bgp_node_asn',
];
const NODE_KEYS = [
  'name', 'address', 'controller', 'disk', 'mac_addr', 'schematic_id', 'mtu', 'secureboot', 'encrypt_disk',
  'kernel_modules',
];
// The user-settable variables REMAINING-WORK.md names for its items (derived flags excluded).
const REMAINING_WORK_KEYS = [
  'volsync_enabled', 'volsync_s3_endpoint', 'volsync_s3_bucket', 'volsync_restic_password', 'volsync_schedule',
  'volsync_copy_method', 'volsync_retain_hourly', 'volsync_retain_daily', 'volsync_retain_weekly',
  'volsync_retain_monthly', 'volsync_retain_yearly', 'volsync_s3_access_key', 'volsync_s3_secret_key',
  'backup_s3_endpoint', 'backup_s3_bucket', 'backup_s3_access_key', 'backup_s3_secret_key', 'backup_s3_region',
  'backup_age_public_key', 'cluster_name', 'talos_version', 'kubernetes_version',
  'oidc_provider_name', 'oidc_issuer_url', 'oidc_jwks_uri', 'oidc_additional_claims', 'oidc_sso_enabled',
  'oidc_client_id', 'oidc_client_secret', 'oidc_redirect_url', 'oidc_cookie_domain', 'oidc_cookie_samesite',
  'oidc_refresh_token', 'oidc_logout_path', 'oidc_scopes', 'oidc_authorization_endpoint', 'oidc_token_endpoint',
  'keycloak_enabled', 'keycloak_subdomain', 'keycloak_realm', 'keycloak_admin_password', 'keycloak_db_mode',
  'keycloak_db_user', 'keycloak_db_password', 'keycloak_db_name', 'keycloak_storage_size', 'keycloak_replicas',
  'keycloak_db_instances', 'keycloak_operator_version', 'keycloak_s3_access_key', 'keycloak_s3_secret_key',
  'keycloak_backup_schedule', 'keycloak_backup_retention_days', 'keycloak_tracing_enabled',
  'keycloak_tracing_sample_rate', 'keycloak_monitoring_enabled',
  'cnpg_enabled', 'cnpg_postgres_image', 'cnpg_storage_class', 'cnpg_priority_class', 'cnpg_control_plane_only',
  'cnpg_backup_enabled', 'cnpg_s3_access_key', 'cnpg_s3_secret_key', 'cnpg_pgvector_enabled',
  'cnpg_pgvector_image', 'cnpg_pgvector_version', 'cnpg_barman_plugin_enabled', 'cnpg_barman_plugin_version',
  'cnpg_barman_plugin_log_level', 'storage_class', 'rustfs_enabled', 'monitoring_enabled', 'tracing_enabled',
  'network_policies_enabled',
  'oauth2_proxy_enabled', 'oauth2_proxy_oidc_issuer', 'oauth2_proxy_client_id', 'oauth2_proxy_client_secret',
  'oauth2_proxy_cookie_secret', 'oauth2_proxy_cookie_domain', 'oauth2_proxy_email_domains',
  'oauth2_proxy_allowed_groups', 'oauth2_proxy_replicas', 'oauth2_proxy_set_headers',
  'grpc_gateway_enabled', 'grpc_hostname', 'grpc_default_port', 'grpc_enabled', 'grpc_service_name', 'grpc_port',
  'grpc_reflection_enabled', 'external_secrets_enabled', 'external_secrets_provider', 'onepassword_connect_host',
];
// Computed by plugin.py (or rejected by rule 1); a user can never set them.
const DERIVED_KEYS = [
  'talos_backup_enabled', 'backup_s3_internal', 'oidc_enabled', 'keycloak_hostname', 'keycloak_issuer_url',
  'keycloak_internal_issuer_url', 'keycloak_jwks_uri', 'keycloak_cnpg_missing', 'keycloak_backup_enabled',
  'keycloak_bootstrap_oidc_client', 'cilium_bgp_enabled', 'spegel_enabled',
];

interface PropertyEntry {
  path: string;
  schema: JsonSchema;
  isTopLevel: boolean;
}

/** Every property schema and every `items` schema below the root, with a readable path. */
function collectProperties(root: JsonSchema): PropertyEntry[] {
  const entries: PropertyEntry[] = [];
  const visit = (schema: JsonSchema, path: string, depth: number): void => {
    for (const [key, child] of Object.entries(schema.properties ?? {})) {
      const childPath = path ? `${path}.${key}` : key;
      entries.push({ path: childPath, schema: child, isTopLevel: depth === 0 });
      visit(child, childPath, depth + 1);
    }
    if (schema.items) {
      entries.push({ path: `${path}[]`, schema: schema.items, isTopLevel: false });
      visit(schema.items, `${path}[]`, depth + 1);
    }
  };
  visit(root, '', 0);
  return entries;
}

const allEntries = [...collectProperties(clusterSchema), ...collectProperties(nodesSchema)];
const nodeItem = nodesSchema.properties?.nodes?.items as JsonSchema;

const FQDN_STAND_IN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
const CIDR_STAND_IN =
  /^((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\/(3[0-2]|[12]?[0-9])$/;

function createAjv(): Ajv {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addFormat('ipv4-cidr', CIDR_STAND_IN);
  ajv.addFormat('fqdn', FQDN_STAND_IN);
  ajv.addFormat('http-url', /^https?:\/\/[^\s/?#]+\S*$/);
  return ajv;
}
const ajv = createAjv();

/** Validates one value against one property schema; returns ajv's errors (empty when valid). */
function errorsFor(schema: JsonSchema, value: unknown): ErrorObject[] {
  const validate = ajv.compile(schema);
  return validate(value) ? [] : [...(validate.errors ?? [])];
}

/** The rule codes that our x-rules map the failing keywords of `value` to. */
function ruleCodesFor(schema: JsonSchema, value: unknown): string[] {
  return errorsFor(schema, value).map((error) => schema['x-rules']?.[error.keyword] ?? `(unmapped ${error.keyword})`);
}

function topLevel(schema: JsonSchema, key: string): JsonSchema {
  const property = schema.properties?.[key];
  assert.ok(property, `missing property ${key}`);
  return property;
}

test('both schemas are closed draft-07 objects that ajv compiles', () => {
  for (const schema of [clusterSchema, nodesSchema, nodeItem]) {
    assert.equal(schema.type, 'object');
    assert.equal(schema.additionalProperties, false);
  }
  assert.equal(clusterSchema.$schema, 'http://json-schema.org/draft-07/schema#');
  assert.equal(nodesSchema.$schema, 'http://json-schema.org/draft-07/schema#');
  assert.doesNotThrow(() => ajv.compile(clusterSchema));
  assert.doesNotThrow(() => ajv.compile(nodesSchema));
});

test('every property at every level has an exact type and a description; top-level ones a group', () => {
  assert.ok(allEntries.length > 130, `only ${allEntries.length} property schemas found`);
  for (const { path, schema, isTopLevel } of allEntries) {
    assert.equal(typeof schema.type, 'string', `${path}: type must be one JSON type, not a list`);
    assert.notEqual(schema.type, 'null', `${path}: null is never allowed`);
    assert.ok(typeof schema.markdownDescription === 'string' && schema.markdownDescription.length >= 15, `${path}: markdownDescription`);
    if (isTopLevel) assert.ok(typeof schema['x-group'] === 'string' && schema['x-group'].length > 0, `${path}: x-group`);
  }
});

test('every x-rules code is a known rule and names a keyword the schema uses', () => {
  let mappings = 0;
  for (const { path, schema } of allEntries) {
    for (const [keyword, code] of Object.entries(schema['x-rules'] ?? {})) {
      mappings++;
      assert.ok(isKnownRuleCode(code), `${path}: x-rules.${keyword} = ${code} is not in RULE_TITLES`);
      assert.ok(code in RULE_TITLES);
      assert.ok(keyword in schema, `${path}: x-rules names ${keyword}, which the schema does not use`);
    }
  }
  assert.ok(mappings > 100, `only ${mappings} x-rules mappings`);
});

test('every constraint keyword has an x-rules mapping', () => {
  const constraintKeywords = ['format', 'pattern', 'minLength', 'minimum', 'maximum', 'enum', 'not', 'canonicalCidr', 'minCidrAddresses', 'decimalRange'];
  for (const { path, schema } of allEntries) {
    for (const keyword of constraintKeywords) {
      if (keyword in schema) assert.ok(schema['x-rules']?.[keyword], `${path}: ${keyword} has no x-rules entry`);
    }
  }
});

test('enums describe each allowed value', () => {
  for (const { path, schema } of allEntries) {
    if (!schema.enum) continue;
    assert.equal(schema.markdownEnumDescriptions?.length, schema.enum.length, `${path}: markdownEnumDescriptions`);
  }
});

test('every default and every example validates against its own property schema', () => {
  let checked = 0;
  for (const { path, schema } of allEntries) {
    const values = [...(schema.default !== undefined ? [schema.default] : []), ...(schema.examples ?? [])];
    for (const value of values) {
      checked++;
      assert.deepEqual(errorsFor(schema, value), [], `${path}: ${JSON.stringify(value)} is invalid`);
    }
  }
  assert.ok(checked > 150, `only ${checked} values checked`);
});

test('defaults are those of VALIDATION.md; node_default_gateway has none', () => {
  const defaults = Object.fromEntries(
    Object.entries(clusterSchema.properties ?? {}).filter(([key]) => TEMPLATE_KEYS.includes(key)).map(([key, p]) => [key, p.default]),
  );
  assert.deepEqual(
    Object.fromEntries(Object.entries(defaults).filter(([, value]) => value !== undefined)),
    {
      node_dns_servers: ['1.1.1.1', '1.0.0.1'],
      node_ntp_servers: ['162.159.200.1', '162.159.200.123'],
      cluster_pod_cidr: '10.42.0.0/16',
      cluster_svc_cidr: '10.43.0.0/16',
      repository_branch: 'main',
      repository_visibility: 'public',
      cilium_loadbalancer_mode: 'dsr',
    },
  );
  assert.match(topLevel(clusterSchema, 'node_default_gateway').markdownDescription ?? '', /derive/);
  const nodeDefaults = Object.fromEntries(Object.entries(nodeItem.properties ?? {}).filter(([, p]) => p.default !== undefined).map(([key, p]) => [key, p.default]));
  assert.deepEqual(nodeDefaults, { mtu: 1500, secureboot: false, encrypt_disk: false, kernel_modules: [] });
});

test('the 21 template keys, the remaining-work variables and the 10 node keys are present; derived flags are not', () => {
  const clusterKeys = Object.keys(clusterSchema.properties ?? {});
  assert.deepEqual(TEMPLATE_KEYS.filter((key) => !clusterKeys.includes(key)), []);
  assert.deepEqual(REMAINING_WORK_KEYS.filter((key) => !clusterKeys.includes(key)), []);
  assert.deepEqual([...clusterKeys].sort(), [...TEMPLATE_KEYS, ...REMAINING_WORK_KEYS].sort());
  assert.deepEqual(DERIVED_KEYS.filter((key) => clusterKeys.includes(key)), []);
  assert.deepEqual(Object.keys(nodesSchema.properties ?? {}), ['nodes']);
  assert.deepEqual(Object.keys(nodeItem.properties ?? {}).sort(), [...NODE_KEYS].sort());
});

test('required lists follow VALIDATION.md rule 2', () => {
  assert.deepEqual([...(clusterSchema.required ?? [])].sort(), [
    'cloudflare_domain', 'cloudflare_gateway_addr', 'cloudflare_token', 'cluster_api_addr',
    'cluster_dns_gateway_addr', 'cluster_gateway_addr', 'node_cidr', 'repository_name',
  ]);
  assert.deepEqual(nodesSchema.required, ['nodes']);
  assert.deepEqual([...(nodeItem.required ?? [])].sort(), ['address', 'controller', 'disk', 'mac_addr', 'name', 'schematic_id']);
});

test('secrets are marked x-secret and carry no default or example value', () => {
  const secretNames = /token|password|secret|private/;
  // Named like a secret but holding none: switches, public URLs and a provider choice.
  const notSecret = [
    'oidc_refresh_token', 'oidc_token_endpoint', 'onepassword_connect_host', 'external_secrets_enabled',
    'external_secrets_provider',
  ];
  const nameChecked = allEntries.filter(({ path }) => secretNames.test(path.split('.').pop() ?? ''));
  assert.ok(nameChecked.length >= 16, `only ${nameChecked.length} secret-looking names`);
  for (const { path, schema } of nameChecked) {
    const isSecret = !notSecret.includes(path);
    assert.equal(schema['x-secret'] === true, isSecret, `${path}: x-secret should be ${isSecret}`);
  }
  for (const key of ['volsync_s3_access_key', 'backup_s3_access_key', 'cnpg_s3_access_key', 'keycloak_s3_access_key']) {
    assert.equal(topLevel(clusterSchema, key)['x-secret'], true, `${key} must be x-secret`);
  }
  for (const { path, schema } of allEntries.filter(({ schema }) => schema['x-secret'])) {
    assert.equal(schema.default, undefined, `${path}: a secret has no default`);
    assert.equal(schema.examples, undefined, `${path}: a secret has no examples`);
  }
  assert.equal(topLevel(clusterSchema, 'backup_age_public_key')['x-secret'], undefined);
});

test('x-ref entries are https documentation links', () => {
  for (const { path, schema } of allEntries) {
    for (const ref of schema['x-ref'] ?? []) assert.match(ref, /^https:\/\/[a-z0-9.-]+\.[a-z]{2,}\//, `${path}: ${ref}`);
  }
});

test('rule 3: VLAN and ASNs are strings, mtu an integer, node flags booleans', () => {
  for (const key of ['node_vlan_tag', 'cilium_bgp_router_asn', 'cilium_bgp_node_asn']) {
    assert.deepEqual(errorsFor(topLevel(clusterSchema, key), 100).map((e) => e.keyword), ['type'], key);
  }
  assert.deepEqual(errorsFor(topLevel(nodeItem, 'mtu'), '1500').map((e) => e.keyword), ['type']);
  assert.deepEqual(errorsFor(topLevel(nodeItem, 'controller'), 'true').map((e) => e.keyword), ['type']);
  assert.deepEqual(errorsFor(topLevel(clusterSchema, 'node_vlan_tag'), null).map((e) => e.keyword), ['type']);
});

test('custom keywords carry the ranges VALIDATION.md gives', () => {
  assert.deepEqual(topLevel(clusterSchema, 'node_vlan_tag').decimalRange, [1, 4094]);
  assert.deepEqual(topLevel(clusterSchema, 'cilium_bgp_router_asn').decimalRange, [1, 4294967295]);
  assert.deepEqual(topLevel(clusterSchema, 'cilium_bgp_node_asn').decimalRange, [1, 4294967295]);
  assert.equal(topLevel(clusterSchema, 'cluster_svc_cidr').minCidrAddresses, 11);
  for (const key of ['node_cidr', 'cluster_pod_cidr', 'cluster_svc_cidr']) {
    const schema = topLevel(clusterSchema, key);
    assert.equal(schema.canonicalCidr, true, key);
    assert.deepEqual(schema['x-rules'], {
      format: 'cidr',
      canonicalCidr: 'cidr-canonical',
      ...(key === 'cluster_svc_cidr' ? { minCidrAddresses: 'svc-cidr-size' } : {}),
    });
  }
});

// [key, bad value, the rule code(s) the failure maps to]; list elements are checked against `items`.
const CLUSTER_FAILURES: [string, unknown, string[]][] = [
  ['node_cidr', '10.0.0.0', ['cidr']],
  ['node_cidr', '10.0.0.0/33', ['cidr']],
  ['cluster_api_addr', '192.168.1.256', ['ipv4']],
  ['node_default_gateway', '', ['non-empty', 'ipv4']],
  ['repository_name', 'https://github.com/octocat/home-ops', ['repository-name']],
  ['repository_name', 'git@github.com:octocat/home-ops', ['repository-name']],
  ['repository_name', '-octocat/home-ops', ['repository-name']],
  ['repository_branch', '', ['non-empty']],
  ['repository_visibility', 'internal', ['enum-repository-visibility']],
  ['cilium_loadbalancer_mode', 'geneve', ['enum-loadbalancer-mode']],
  ['cloudflare_domain', 'Example.com', ['fqdn']],
  ['cloudflare_domain', 'localhost', ['fqdn']],
  ['cloudflare_token', '', ['cloudflare-token']],
  ['node_vlan_tag', '', ['non-empty']],
  ['cilium_bgp_node_asn', '', ['non-empty']],
  ['volsync_s3_endpoint', 's3://volsync-backups', ['url']],
  ['volsync_schedule', '@daily', ['pattern']],
  ['volsync_copy_method', 'clone', ['enum']],
  ['volsync_retain_daily', 0, ['range']],
  ['volsync_retain_weekly', 53, ['range']],
  ['backup_age_public_key', 'age1abc', ['age-public-key']],
  ['talos_version', 'v1.12.0', ['pattern']],
  ['keycloak_admin_password', 'short', ['schema-constraint']],
  ['keycloak_storage_size', '5GB', ['pattern']],
  ['keycloak_subdomain', 'Auth', ['pattern']],
  ['cnpg_postgres_image', 'docker.io/postgres:18', ['pattern']],
  ['oidc_logout_path', 'logout', ['pattern']],
  ['oidc_cookie_samesite', 'lax', ['enum']],
  ['grpc_default_port', 70000, ['range']],
];
const CLUSTER_ITEM_FAILURES: [string, unknown, string[]][] = [
  ['node_dns_servers', '1.1.1', ['ipv4']],
  ['node_ntp_servers', '162.159.200.01', ['ipv4']],
  ['cluster_api_tls_sans', 'https://k8s.example.com', ['fqdn']],
];
const NODE_FAILURES: [string, unknown, string[]][] = [
  ['name', 'K8s-0', ['node-name-format']],
  ['name', 'k8s-', ['node-name-format']],
  ['name', 'a'.repeat(64), ['node-name-format']],
  ['name', 'controller', ['node-name-reserved']],
  ['name', 'global', ['node-name-reserved']],
  ['address', '192.168.1', ['ipv4']],
  ['mac_addr', 'BC:24:11:AA:BB:CC', ['mac-format']],
  ['mac_addr', 'bc-24-11-aa-bb-cc', ['mac-format']],
  ['schematic_id', 'a'.repeat(63), ['schematic-id-format']],
  ['schematic_id', 'A'.repeat(64), ['schematic-id-format']],
  ['mtu', 1449, ['mtu-range']],
  ['mtu', 9001, ['mtu-range']],
];

test('bad values fail with the keyword our x-rules map to the right rule code', () => {
  for (const [key, value, codes] of CLUSTER_FAILURES) {
    assert.deepEqual(ruleCodesFor(topLevel(clusterSchema, key), value), codes, `${key}: ${JSON.stringify(value)}`);
  }
  for (const [key, value, codes] of CLUSTER_ITEM_FAILURES) {
    const items = topLevel(clusterSchema, key).items as JsonSchema;
    assert.deepEqual(ruleCodesFor(items, value), codes, `${key}[]: ${JSON.stringify(value)}`);
  }
  for (const [key, value, codes] of NODE_FAILURES) {
    assert.deepEqual(ruleCodesFor(topLevel(nodeItem, key), value), codes, `nodes[].${key}: ${JSON.stringify(value)}`);
  }
});

test('boundary values just inside the ranges pass', () => {
  const passing: [JsonSchema, unknown][] = [
    [topLevel(nodeItem, 'mtu'), 1450],
    [topLevel(nodeItem, 'mtu'), 9000],
    [topLevel(nodeItem, 'name'), 'a'],
    [topLevel(nodeItem, 'name'), 'controller-0'],
    [topLevel(nodeItem, 'name'), 'a'.repeat(63)],
    [topLevel(clusterSchema, 'repository_name'), 'a/b'],
    [topLevel(clusterSchema, 'repository_name'), `${'a'.repeat(39)}/${'r.e_p-o'.padEnd(100, 'x')}`],
    [topLevel(clusterSchema, 'volsync_retain_daily'), 365],
    [topLevel(clusterSchema, 'keycloak_admin_password'), '12345678'],
  ];
  for (const [schema, value] of passing) assert.deepEqual(errorsFor(schema, value), [], JSON.stringify(value));
  assert.deepEqual(ruleCodesFor(topLevel(clusterSchema, 'repository_name'), `${'a'.repeat(40)}/b`), ['repository-name']);
});

test('whole documents: a minimal file passes, unknown and missing keys fail', () => {
  const minimalCluster = {
    node_cidr: '192.168.1.0/24',
    cluster_api_addr: '192.168.1.25',
    cluster_gateway_addr: '192.168.1.26',
    cluster_dns_gateway_addr: '192.168.1.27',
    cloudflare_gateway_addr: '192.168.1.28',
    repository_name: 'octocat/home-ops',
    cloudflare_domain: 'example.com',
    cloudflare_token: 'placeholder',
  };
  assert.deepEqual(errorsFor(clusterSchema, minimalCluster), []);
  const unknown = errorsFor(clusterSchema, { ...minimalCluster, spegel_enabled: true });
  assert.deepEqual(unknown.map((e) => [e.keyword, e.params]), [['additionalProperties', { additionalProperty: 'spegel_enabled' }]]);
  const { cloudflare_token: _omitted, ...withoutToken } = minimalCluster;
  assert.deepEqual(errorsFor(clusterSchema, withoutToken).map((e) => [e.keyword, e.params]), [['required', { missingProperty: 'cloudflare_token' }]]);

  const node = {
    name: 'k8s-0',
    address: '192.168.1.10',
    controller: true,
    disk: '/dev/sda',
    mac_addr: 'bc:24:11:aa:bb:cc',
    schematic_id: '376567988ad370138ad8b2698212367b8edcb69b5fd68c80be1f2ec7d603b4ba',
  };
  assert.deepEqual(errorsFor(nodesSchema, { nodes: [node] }), []);
  assert.deepEqual(errorsFor(nodesSchema, { nodes: [{ ...node, ip: '1.2.3.4' }] }).map((e) => [e.instancePath, e.keyword]), [['/nodes/0', 'additionalProperties']]);
  assert.deepEqual(errorsFor(nodesSchema, { nodes: [], extra: 1 }).map((e) => e.keyword), ['additionalProperties']);
  assert.deepEqual(errorsFor(nodesSchema, {}).map((e) => e.keyword), ['required']);
});

test('the schema defaults of the pod and service CIDRs are the ones the cross-field rules assume', async () => {
    const { DEFAULT_POD_CIDR, DEFAULT_SVC_CIDR } = require('../../server/src/services/cluster/crossFieldRules') as typeof import('../../server/src/services/cluster/crossFieldRules');
    const cluster = JSON.parse(readFileSync(join(__dirname, '../../../schemas/cluster.schema.json'), 'utf8'));
    assert.equal(cluster.properties.cluster_pod_cidr.default, DEFAULT_POD_CIDR);
    assert.equal(cluster.properties.cluster_svc_cidr.default, DEFAULT_SVC_CIDR);
});
