// Generates the benchmark workspace: a fork-sized cluster.yaml (~120 KB, 400+ active keys, comment
// blocks like a cluster.sample.yaml), nodes.yaml, the fork's CUE schema declaring every key, and the
// equivalent JSON schemas for yaml-language-server. Deterministic: the same files on every run.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const APPS = [
  'grafana', 'prometheus', 'loki', 'tempo', 'alertmanager', 'homepage', 'authentik', 'immich',
  'jellyfin', 'sonarr', 'radarr', 'prowlarr', 'bazarr', 'lidarr', 'readarr', 'overseerr',
  'tautulli', 'plex', 'paperless', 'nextcloud', 'vaultwarden', 'gitea', 'forgejo', 'harbor',
  'minio', 'longhorn', 'rook_ceph', 'velero', 'kopia', 'zigbee2mqtt', 'mosquitto', 'home_assistant',
  'esphome', 'node_red', 'frigate', 'unifi', 'pihole', 'adguard', 'uptime_kuma', 'gatus',
];

const NODE_CIDR_PREFIX = '192.168.42';

/** The app whose keys the benchmark edits, hovers and completes near: one in the middle of the file. */
export const TARGET_APP = APPS[20];

const IPV4_PATTERN = '^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}$';
const CIDR_PATTERN = '^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}/([0-9]|[12][0-9]|3[0-2])$';
const FQDN_PATTERN = '^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$';

/**
 * One key of the generated schema: its CUE constraint, its JSON schema, its YAML value (undefined:
 * declared but absent from cluster.yaml, so completion has something to offer) and its docs.
 */
function key(name, cue, json, yaml, doc) {
  return { name, cue, json, yaml, doc };
}

const ipv4 = (description) => ({ type: 'string', format: 'ipv4', pattern: IPV4_PATTERN, description });
const cidr = (description) => ({ type: 'string', pattern: CIDR_PATTERN, description });

function baseKeys() {
  return [
    key('node_cidr', 'net.IPCIDR & !=cluster_pod_cidr & !=cluster_svc_cidr', cidr('The network CIDR of the nodes.'),
      `"${NODE_CIDR_PREFIX}.0/24"`, { text: 'The network CIDR of the nodes.', tag: 'REQUIRED', example: '192.168.1.0/24' }),
    key('node_dns_servers?', '[...net.IPv4]', { type: 'array', items: ipv4('A DNS server.'), description: 'DNS servers the nodes use.' },
      '["1.1.1.1", "1.0.0.1"]', { text: 'DNS servers the nodes use.', tag: 'OPTIONAL', default: '["1.1.1.1", "1.0.0.1"]' }),
    key('node_ntp_servers?', '[...net.IPv4]', { type: 'array', items: ipv4('An NTP server.'), description: 'NTP servers the nodes use.' },
      '\n  - "162.159.200.1"\n  - "162.159.200.123"', { text: 'NTP servers the nodes use.', tag: 'OPTIONAL', default: '["162.159.200.1", "162.159.200.123"]' }),
    key('node_default_gateway?', 'net.IPv4 & !=""', ipv4('The default gateway of the nodes.'),
      `"${NODE_CIDR_PREFIX}.1"`, { text: 'The default gateway of the nodes.', tag: 'OPTIONAL', default: 'the first address in node_cidr' }),
    key('node_vlan_tag?', 'string & !=""', { type: 'string', minLength: 1, description: 'The VLAN tag of the node network.' },
      undefined, { text: 'The VLAN tag of the node network, when the switch port is a trunk.', tag: 'OPTIONAL', example: '"100"', commented: '""' }),
    key('cluster_pod_cidr', '*"10.42.0.0/16" | net.IPCIDR & !=node_cidr & !=cluster_svc_cidr', cidr('The pod CIDR.'),
      '"10.42.0.0/16"', { text: 'The pod CIDR; must not overlap node_cidr.', tag: 'OPTIONAL', default: '10.42.0.0/16' }),
    key('cluster_svc_cidr', '*"10.43.0.0/16" | net.IPCIDR & !=node_cidr & !=cluster_pod_cidr', cidr('The service CIDR.'),
      '"10.43.0.0/16"', { text: 'The service CIDR; must not overlap node_cidr.', tag: 'OPTIONAL', default: '10.43.0.0/16' }),
    key('cluster_api_addr', 'net.IPv4', ipv4('The Kubernetes API address.'),
      `"${NODE_CIDR_PREFIX}.20"`, { text: 'The Kubernetes API address, an unused address in node_cidr.', tag: 'REQUIRED' }),
    key('cluster_api_tls_sans?', '[...net.FQDN]', { type: 'array', items: { type: 'string', pattern: FQDN_PATTERN }, description: 'Extra names for the API certificate.' },
      '["k8s.example.com"]', { text: 'Extra names for the API certificate.', tag: 'OPTIONAL' }),
    key('cluster_gateway_addr', 'net.IPv4 & !=cluster_api_addr & !=cluster_dns_gateway_addr & !=cloudflare_gateway_addr', ipv4('The internal gateway address.'),
      `"${NODE_CIDR_PREFIX}.22"`, { text: 'The internal gateway address, an unused address in node_cidr.', tag: 'REQUIRED' }),
    key('cluster_dns_gateway_addr', 'net.IPv4 & !=cluster_api_addr & !=cluster_gateway_addr & !=cloudflare_gateway_addr', ipv4('The k8s-gateway DNS address.'),
      `"${NODE_CIDR_PREFIX}.21"`, { text: 'The k8s-gateway DNS address, an unused address in node_cidr.', tag: 'REQUIRED' }),
    key('repository_name', 'string', { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}$', description: 'The GitHub repository, owner/name.' },
      '"bench-user/home-ops"', { text: 'The GitHub repository, owner/name.', tag: 'REQUIRED' }),
    key('repository_branch?', 'string & !=""', { type: 'string', minLength: 1, default: 'main', description: 'The branch Flux follows.' },
      '"main"', { text: 'The branch Flux follows.', tag: 'OPTIONAL', default: 'main' }),
    key('repository_visibility?', '*"public" | "private"', { enum: ['public', 'private'], default: 'public', description: 'Whether the repository is public.' },
      '"public"', { text: 'Whether the repository is public or private.', tag: 'OPTIONAL', default: 'public' }),
    key('cloudflare_domain', 'net.FQDN', { type: 'string', pattern: FQDN_PATTERN, description: 'The domain in Cloudflare.' },
      '"example.com"', { text: 'The domain in Cloudflare.', tag: 'REQUIRED' }),
    key('cloudflare_token', 'string', { type: 'string', description: 'A Cloudflare API token.' },
      '"bench-placeholder-token"', { text: 'A Cloudflare API token with DNS edit rights.', tag: 'REQUIRED' }),
    key('cloudflare_gateway_addr', 'net.IPv4 & !=cluster_api_addr & !=cluster_gateway_addr & !=cluster_dns_gateway_addr', ipv4('The external gateway address.'),
      `"${NODE_CIDR_PREFIX}.23"`, { text: 'The external gateway address, an unused address in node_cidr.', tag: 'REQUIRED' }),
    key('cilium_bgp_router_addr?', 'net.IPv4 & !=""', ipv4('The BGP router address.'),
      undefined, { text: 'The BGP router address.', tag: 'OPTIONAL', commented: '""' }),
    key('cilium_bgp_router_asn?', 'string & !=""', { type: 'string', minLength: 1, description: 'The BGP router ASN.' },
      undefined, { text: 'The BGP router ASN.', tag: 'OPTIONAL', commented: '""' }),
    key('cilium_bgp_node_asn?', 'string & !=""', { type: 'string', minLength: 1, description: 'The BGP node ASN.' },
      undefined, { text: 'The BGP node ASN.', tag: 'OPTIONAL', commented: '""' }),
    key('cilium_loadbalancer_mode?', '*"dsr" | "snat"', { enum: ['dsr', 'snat'], default: 'dsr', description: 'The Cilium load balancer mode.' },
      '"dsr"', { text: 'The Cilium load balancer mode.', tag: 'OPTIONAL', default: 'dsr' }),
  ];
}

function title(app) {
  return app.split('_').map((word) => word[0].toUpperCase() + word.slice(1)).join(' ');
}

function appKeys(app, index) {
  const name = title(app);
  const host = app.replaceAll('_', '-');
  const address = `${NODE_CIDR_PREFIX}.${100 + index}`;
  const ref = `https://docs.example.invalid/apps/${host}`;
  const renderedInto = ` Rendered into kubernetes/apps/${host}/app/helmrelease.yaml by task configure.`;
  return withSentence(renderedInto, [
    key(`${app}_enabled?`, '*false | bool', { type: 'boolean', default: false, description: `Deploy ${name}.` },
      'true', { text: `Deploy ${name} into the cluster. Turning it off removes its namespace on the next reconcile.`, tag: 'OPTIONAL', default: 'false' }),
    key(`${app}_hostname?`, 'net.FQDN', { type: 'string', pattern: FQDN_PATTERN, description: `The hostname ${name} is served at.` },
      `"${host}.example.com"`, { text: `The hostname ${name} is served at, behind the internal gateway. It must be a name inside cloudflare_domain so that the wildcard certificate covers it.`, tag: 'OPTIONAL', example: `${host}.example.com`, ref }),
    key(`${app}_addr?`, 'net.IPv4', ipv4(`The LoadBalancer address of ${name}.`),
      `"${address}"`, { text: `A LoadBalancer address for ${name}, for clients that cannot go through the gateway. Choose an unused address in node_cidr outside the DHCP range.`, tag: 'OPTIONAL', example: address }),
    key(`${app}_port?`, 'int & >=1 & <=65535', { type: 'integer', minimum: 1, maximum: 65535, description: `The service port of ${name}.` },
      String(8000 + index), { text: `The service port of ${name}. Change it only when another service already listens there.`, tag: 'OPTIONAL', default: String(8000 + index) }),
    key(`${app}_replicas?`, 'int & >=1 & <=10', { type: 'integer', minimum: 1, maximum: 10, description: `How many ${name} pods run.` },
      String(1 + (index % 3)), { text: `How many ${name} pods run. More than one needs shared storage that allows many writers.`, tag: 'OPTIONAL', default: '1' }),
    key(`${app}_log_level?`, '*"info" | "debug" | "warn" | "error"', { enum: ['info', 'debug', 'warn', 'error'], default: 'info', description: `The log level of ${name}.` },
      '"info"', { text: `The log level of ${name}: info, debug, warn or error.`, tag: 'OPTIONAL', default: 'info' }),
    key(`${app}_version?`, 'string & =~"^v[0-9]+\\\\.[0-9]+\\\\.[0-9]+$"', { type: 'string', pattern: '^v[0-9]+\\.[0-9]+\\.[0-9]+$', description: `The ${name} release.` },
      `"v${1 + (index % 4)}.${index % 10}.${(index * 7) % 13}"`, { text: `The ${name} release to deploy, as a tag. Renovate bumps it; pin it here only to hold an upgrade back.`, tag: 'OPTIONAL', ref }),
    key(`${app}_storage_size?`, 'string & =~"^[0-9]+(Mi|Gi|Ti)$"', { type: 'string', pattern: '^[0-9]+(Mi|Gi|Ti)$', description: `The volume size of ${name}.` },
      `"${5 * (1 + (index % 8))}Gi"`, { text: `The size of the ${name} data volume. Volumes can grow later but never shrink.`, tag: 'OPTIONAL', default: '5Gi' }),
    key(`${app}_allowed_cidrs?`, '[...net.IPCIDR]', { type: 'array', items: cidr('A client network.'), description: `Networks allowed to reach ${name}.` },
      index % 2 === 0 ? '["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]' : '\n  - "10.0.0.0/8"\n  - "192.168.0.0/16"',
      { text: `Networks allowed to reach ${name} through its LoadBalancer address; everything else is dropped by a network policy.`, tag: 'OPTIONAL', default: '["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]' }),
    key(`${app}_dns_servers?`, '[...net.IPv4]', { type: 'array', items: ipv4('A DNS server.'), description: `DNS servers of the ${name} pods.` },
      `\n  - "${NODE_CIDR_PREFIX}.21"\n  - "1.1.1.1"`, { text: `DNS servers the ${name} pods use instead of the cluster DNS.`, tag: 'OPTIONAL' }),
    // Declared but absent from cluster.yaml, so completion has missing keys to offer.
    key(`${app}_node_selector?`, 'string & !=""', { type: 'string', minLength: 1, description: `Run ${name} only on nodes with this label.` },
      undefined, { text: `Run ${name} only on nodes with this label.`, tag: 'OPTIONAL' }),
    key(`${app}_timezone?`, 'string & !=""', { type: 'string', minLength: 1, default: 'Etc/UTC', description: `The time zone of ${name}.` },
      undefined, { text: `The time zone of ${name}.`, tag: 'OPTIONAL', default: 'Etc/UTC' }),
  ]);
}

function withSentence(sentence, keys) {
  return keys.map((k) => ({ ...k, doc: { ...k.doc, text: k.doc.text + sentence } }));
}

function commentBlock(doc) {
  const lines = [];
  const words = `${doc.text} (${doc.tag})`.split(' ');
  let line = '# --';
  for (const word of words) {
    if (line.length + word.length + 1 > 100) {
      lines.push(line);
      line = '#   ';
    }
    line += ' ' + word;
  }
  lines.push(line);
  if (doc.default) lines.push(`#    (DEFAULT: ${doc.default})`);
  if (doc.example) lines.push(`#    (e.g. ${doc.example})`);
  if (doc.ref) lines.push(`#    (REF: ${doc.ref})`);
  return lines.join('\n');
}

function yamlEntry(k) {
  const name = k.name.replace(/\?$/, '');
  const block = commentBlock(k.doc);
  if (k.yaml === undefined) {
    return k.doc.commented ? `${block}\n# ${name}: ${k.doc.commented}\n` : undefined;
  }
  return `${block}\n${name}:${k.yaml.startsWith('\n') ? '' : ' '}${k.yaml}\n`;
}

function sectionBanner(text) {
  const rule = '# ' + '='.repeat(98);
  return `${rule}\n# ${text}\n${rule}\n`;
}

function clusterYaml(base, apps) {
  const parts = ['---\n', sectionBanner('Cluster network, API and repository settings'), '\n'];
  for (const k of base) {
    const entry = yamlEntry(k);
    if (entry) parts.push(entry, '\n');
  }
  for (const [app, keys] of apps) {
    parts.push(sectionBanner(`${title(app)}: deployed by this fork's templates/config/kubernetes/apps/${app.replaceAll('_', '-')}`), '\n');
    for (const k of keys) {
      const entry = yamlEntry(k);
      if (entry) parts.push(entry, '\n');
    }
  }
  return parts.join('');
}

function nodesYaml() {
  const lines = ['---', 'nodes:'];
  for (let i = 0; i < 6; i++) {
    lines.push(
      `  - name: "k8s-${i}"`,
      `    address: "${NODE_CIDR_PREFIX}.${10 + i}"`,
      `    controller: ${i < 3}`,
      `    disk: "/dev/nvme0n1"`,
      `    mac_addr: "00:11:22:33:44:${(0xa0 + i).toString(16)}"`,
      `    schematic_id: "${'0123456789abcdef'.repeat(4)}"`,
      `    mtu: 1500`,
    );
  }
  return lines.join('\n') + '\n';
}

function cueSchema(base, apps) {
  const all = [...base, ...apps.flatMap(([, keys]) => keys)];
  const width = Math.max(...all.map((k) => k.name.length)) + 1;
  const body = all.map((k) => `\t${(k.name + ':').padEnd(width + 1)}${k.cue}`).join('\n');
  return `package config\n\nimport (\n\t"net"\n)\n\n#Config: {\n${body}\n}\n\n#Config\n`;
}

function nodesCueSchema() {
  return `package config

import (
\t"net"
\t"list"
)

#Config: {
\tnodes: [...#Node]
\t_nodes_check: {
\t\tname:     list.UniqueItems() & [for item in nodes {item.name}]
\t\taddress:  list.UniqueItems() & [for item in nodes {item.address}]
\t\tmac_addr: list.UniqueItems() & [for item in nodes {item.mac_addr}]
\t}
}

#Node: {
\tname:          =~"^[a-z0-9][a-z0-9\\\\-]{0,61}[a-z0-9]$|^[a-z0-9]$" & !="global" & !="controller" & !="worker"
\taddress:       net.IPv4
\tcontroller:    bool
\tdisk:          string
\tmac_addr:      =~"^([0-9a-f]{2}[:]){5}([0-9a-f]{2})$"
\tschematic_id:  =~"^[a-z0-9]{64}$"
\tmtu?:          >=1450 & <=9000
\tsecureboot?:   bool
\tencrypt_disk?: bool
}

#Config
`;
}

function jsonSchema(base, apps) {
  const all = [...base, ...apps.flatMap(([, keys]) => keys)];
  const properties = {};
  for (const k of all) {
    const name = k.name.replace(/\?$/, '');
    const docs = [k.doc.text, k.doc.default ? `Default: ${k.doc.default}` : '', k.doc.example ? `Example: ${k.doc.example}` : '']
      .filter(Boolean)
      .join('\n\n');
    properties[name] = { ...k.json, markdownDescription: docs };
  }
  const required = base.filter((k) => !k.name.endsWith('?')).map((k) => k.name).filter((n) => n !== 'cluster_pod_cidr' && n !== 'cluster_svc_cidr');
  return { $schema: 'http://json-schema.org/draft-07/schema#', title: 'cluster.yaml', type: 'object', properties, required, additionalProperties: false };
}

function nodesJsonSchema() {
  const node = {
    type: 'object',
    properties: {
      name: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,61}[a-z0-9]$|^[a-z0-9]$', not: { enum: ['global', 'controller', 'worker'] } },
      address: { type: 'string', format: 'ipv4', pattern: IPV4_PATTERN },
      controller: { type: 'boolean' },
      disk: { type: 'string' },
      mac_addr: { type: 'string', pattern: '^([0-9a-f]{2}[:]){5}([0-9a-f]{2})$' },
      schematic_id: { type: 'string', pattern: '^[a-z0-9]{64}$' },
      mtu: { type: 'integer', minimum: 1450, maximum: 9000 },
      secureboot: { type: 'boolean' },
      encrypt_disk: { type: 'boolean' },
    },
    required: ['name', 'address', 'controller', 'disk', 'mac_addr', 'schematic_id'],
    additionalProperties: false,
  };
  return { $schema: 'http://json-schema.org/draft-07/schema#', title: 'nodes.yaml', type: 'object', properties: { nodes: { type: 'array', items: node } }, required: ['nodes'], additionalProperties: false };
}

/**
 * Writes the workspace under `root` (replacing it) and returns its paths and key count.
 * Example: generateWorkspace('bench/.work').clusterYamlBytes is about 120 000.
 */
export function generateWorkspace(root) {
  rmSync(root, { recursive: true, force: true });
  const workspace = join(root, 'workspace');
  const resources = join(workspace, '.taskfiles', 'template', 'resources');
  // The JSON schemas live outside the workspace: our server would read a workspace JSON schema too,
  // and the comparison gives each server the schema in the form it takes (ours: CUE).
  const yamlLsDir = join(root, 'yaml-language-server');
  mkdirSync(resources, { recursive: true });
  mkdirSync(yamlLsDir, { recursive: true });

  const base = baseKeys();
  const apps = APPS.map((app, index) => [app, appKeys(app, index)]);
  const cluster = clusterYaml(base, apps);
  writeFileSync(join(workspace, 'cluster.yaml'), cluster);
  writeFileSync(join(workspace, 'nodes.yaml'), nodesYaml());
  writeFileSync(join(workspace, 'makejinja.toml'), '[makejinja]\ninputs = ["./templates/config"]\noutput = "./"\ndata = ["./cluster.yaml", "./nodes.yaml"]\n\n[makejinja.delimiter]\nblock_start = "#%"\nblock_end = "%#"\ncomment_start = "#|"\ncomment_end = "#|"\nvariable_start = "#{"\nvariable_end = "}#"\n');
  mkdirSync(join(workspace, 'templates', 'config'), { recursive: true });
  writeFileSync(join(resources, 'cluster.schema.cue'), cueSchema(base, apps));
  writeFileSync(join(resources, 'nodes.schema.cue'), nodesCueSchema());
  const clusterSchemaPath = join(yamlLsDir, 'cluster.schema.json');
  const nodesSchemaPath = join(yamlLsDir, 'nodes.schema.json');
  writeFileSync(clusterSchemaPath, JSON.stringify(jsonSchema(base, apps), null, 2) + '\n');
  writeFileSync(nodesSchemaPath, JSON.stringify(nodesJsonSchema(), null, 2) + '\n');

  const activeKeys = cluster.split('\n').filter((line) => /^[a-z0-9_]+:/.test(line)).length;
  const declaredKeys = base.length + apps.reduce((n, [, keys]) => n + keys.length, 0);
  return { workspace, clusterSchemaPath, nodesSchemaPath, clusterYamlBytes: Buffer.byteLength(cluster), activeKeys, declaredKeys };
}
