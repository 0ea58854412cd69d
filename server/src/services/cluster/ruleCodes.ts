// The one list of diagnostic codes for cluster.yaml / nodes.yaml, with a short title each.
// Schemas (`x-rules`), the validator and the cross-field rules all use these ids; a test keeps them in step.

export const RULE_TITLES = {
  // YAML level
  'yaml-syntax': 'YAML syntax error',
  'duplicate-key': 'Duplicate key',
  'not-a-mapping': 'The document is not a mapping',
  'multiple-documents': 'More than one YAML document',
  // Schema level (VALIDATION.md 1–16, 25, 26, 28, 30, 31)
  'unknown-key': 'Unknown key',
  'required-key': 'Missing required key',
  type: 'Wrong type',
  'non-empty': 'Empty value',
  ipv4: 'Not an IPv4 address',
  cidr: 'Not an IPv4 CIDR',
  'cidr-canonical': 'CIDR has host bits set',
  'svc-cidr-size': 'Service CIDR too small',
  'enum-loadbalancer-mode': 'Unknown load balancer mode',
  'enum-repository-visibility': 'Unknown repository visibility',
  enum: 'Value not allowed',
  fqdn: 'Not a valid domain name',
  'repository-name': 'Not an owner/repo name',
  'cloudflare-token': 'Empty Cloudflare token',
  'vlan-tag': 'VLAN tag out of range',
  'bgp-asn': 'ASN out of range',
  'node-name-format': 'Invalid node name',
  'node-name-reserved': 'Reserved node name',
  'mac-format': 'Invalid MAC address',
  'schematic-id-format': 'Invalid schematic ID',
  'mtu-range': 'MTU out of range',
  url: 'Not an http(s) URL',
  'age-public-key': 'Not an age public key',
  pattern: 'Value does not match the expected pattern',
  range: 'Value out of range',
  format: 'Value has the wrong format',
  'schema-constraint': 'Value breaks a schema constraint',
  // Cross-field and cross-file (VALIDATION.md 8, 17–24, 27, 29, 32)
  'cidr-overlap': 'CIDRs overlap',
  'bgp-all-or-nothing': 'Incomplete BGP settings',
  'default-gateway-in-cidr': 'Default gateway outside node_cidr',
  'api-addr-in-cidr': 'API address outside node_cidr',
  'gateway-addr-in-cidr': 'Gateway address outside node_cidr',
  'vip-unique': 'Address used twice',
  'node-address-in-cidr': 'Node address outside node_cidr',
  'node-address-unique': 'Two nodes share an address',
  'node-address-collision': 'Node address collides with a cluster address',
  'node-name-unique': 'Two nodes share a name',
  'mac-unique': 'Two nodes share a MAC address',
  'controller-required': 'No controller node',
  // Remaining-work items (../shared/REMAINING-WORK.md): variables that only make sense together
  'requires-key': 'A setting needs another one',
  'requires-enabled': 'A feature needs another feature enabled',
} as const;

export type KnownRuleCode = keyof typeof RULE_TITLES;

export function isKnownRuleCode(code: string): code is KnownRuleCode {
  return Object.prototype.hasOwnProperty.call(RULE_TITLES, code);
}
