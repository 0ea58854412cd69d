// The rules of cluster.yaml / nodes.yaml that compare values with each other, within a file and across
// the two (VALIDATION.md 8, 17–24, 27, 29, 32, and the remaining-work items' settings that only work together).
// Pure: plain values in, problems out. Per-value formats and types are the schema validator's; values that failed them are skipped here.
import type { YamlPath } from '../yaml/parse';
import { cidrContains, cidrsOverlap, firstHost, formatIPv4, parseCidr, parseIPv4, type Ipv4Cidr } from './ipv4';
import type { KnownRuleCode } from './ruleCodes';

export interface ConfigSnapshot {
  /** Plain JS value of the file's root (null when absent or not a mapping). */
  value: Record<string, unknown> | null;
  /** Document offset of the key or list item at a path, for "later occurrence" ordering; undefined if absent. */
  offsetOf(path: YamlPath): number | undefined;
  /** Paths (JSON-pointer-like arrays) whose value already failed a format/type rule: they take no part in cross-field rules. */
  failedPaths: ReadonlySet<string>; // key = JSON.stringify(path)
}

export interface CrossFieldInput {
  cluster: ConfigSnapshot | null;
  nodes: ConfigSnapshot | null;
}

export interface CrossFieldProblem {
  file: 'cluster' | 'nodes';
  path: YamlPath; // where to report, per VALIDATION.md "Where an error is reported"
  code: string; // a key of RULE_TITLES
  message: string; // names the other key/node involved; never a secret value
  severity: 'error' | 'warning';
  related?: { file: 'cluster' | 'nodes'; path: YamlPath; message: string }[]; // the other end of a collision
}

/** Used when the key is omitted (CUE defaults, Jan plugin.py, PY). */
export const DEFAULT_POD_CIDR = '10.42.0.0/16';
export const DEFAULT_SVC_CIDR = '10.43.0.0/16';

type Related = NonNullable<CrossFieldProblem['related']>[number];

/**
 * Every cross-field and cross-file problem of the two files, in a fixed order (cluster.yaml rules,
 * then node rules, then the remaining-work settings). Either file may be missing.
 * Example: cluster `{ node_cidr: '10.0.0.0/24', cluster_api_addr: '192.168.1.5', ... }` gives an
 * `api-addr-in-cidr` problem at `['cluster_api_addr']`.
 */
export function checkCrossFieldRules(input: CrossFieldInput): CrossFieldProblem[] {
  const cluster = input.cluster?.value ? new Reader(input.cluster) : undefined;
  const nodesFile = input.nodes?.value ? new Reader(input.nodes) : undefined;
  const problems: CrossFieldProblem[] = [];
  const facts = cluster ? readClusterFacts(cluster) : undefined;
  if (facts) {
    problems.push(...checkCidrOverlap(facts));
    problems.push(...checkBgp(facts));
    problems.push(...checkInNodeCidr(facts));
    problems.push(...checkVipUnique(facts));
  }
  if (nodesFile) {
    const nodes = readNodes(nodesFile);
    if (nodes) {
      if (facts) problems.push(...checkNodesAgainstCluster(nodes, facts));
      problems.push(...checkNodeUniqueness(nodes, new Set(facts ? clusterAddressesOf(facts).map((entry) => entry.address) : [])));
      problems.push(...checkController(nodes));
    }
  }
  if (cluster) problems.push(...checkRequirements(cluster));
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Reading values. Three outcomes per key: absent, unusable (failed its own rule or has the wrong
// type: it takes no part, so one mistake gives one error), or usable.

type Lookup = { kind: 'absent' } | { kind: 'failed' } | { kind: 'present'; value: unknown };

class Reader {
  constructor(private readonly snapshot: ConfigSnapshot) {}

  lookup(path: YamlPath): Lookup {
    // A value inside a failed mapping or list is as unusable as the container.
    for (let length = 1; length <= path.length; length++) {
      if (this.snapshot.failedPaths.has(JSON.stringify(path.slice(0, length)))) return { kind: 'failed' };
    }
    let current: unknown = this.snapshot.value;
    for (const segment of path) {
      if (typeof segment === 'number') {
        if (!Array.isArray(current) || segment >= current.length) return { kind: 'absent' };
        current = current[segment];
      } else {
        if (!isMapping(current) || !Object.prototype.hasOwnProperty.call(current, segment)) return { kind: 'absent' };
        current = current[segment];
      }
    }
    return { kind: 'present', value: current };
  }

  /** Document order; a path the snapshot cannot place sorts last. */
  offsetOf(path: YamlPath): number {
    return this.snapshot.offsetOf(path) ?? Number.MAX_SAFE_INTEGER;
  }
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

type Usable<T> = { kind: 'absent' } | { kind: 'unusable' } | { kind: 'ok'; value: T };

function readAddress(reader: Reader, path: YamlPath): Usable<number> {
  const found = reader.lookup(path);
  if (found.kind === 'absent') return found;
  if (found.kind === 'failed' || typeof found.value !== 'string') return { kind: 'unusable' };
  const address = parseIPv4(found.value);
  return address === undefined ? { kind: 'unusable' } : { kind: 'ok', value: address };
}

function readCidr(reader: Reader, key: string): Usable<{ cidr: Ipv4Cidr; text: string }> {
  const found = reader.lookup([key]);
  if (found.kind === 'absent') return found;
  if (found.kind === 'failed' || typeof found.value !== 'string') return { kind: 'unusable' };
  const cidr = parseCidr(found.value);
  return cidr ? { kind: 'ok', value: { cidr, text: found.value } } : { kind: 'unusable' };
}

// ---------------------------------------------------------------------------------------------
// cluster.yaml facts

type CidrKey = 'node_cidr' | 'cluster_pod_cidr' | 'cluster_svc_cidr';

interface CidrFact {
  key: CidrKey;
  cidr: Ipv4Cidr;
  /** Shown as written (a non-canonical CIDR that slipped through is still the user's text). */
  text: string;
  isDefault: boolean;
  offset: number;
}

interface ClusterAddress {
  key: string;
  address: number;
  offset: number;
  /** The default gateway derived from node_cidr because node_default_gateway is omitted. */
  isDerived: boolean;
}

/** BGP on (all three keys), off (none), partial (some set, some not) or undecidable (a key is unusable). */
type BgpState = 'on' | 'off' | 'partial' | 'unknown';

interface ClusterFacts {
  nodeCidr: CidrFact | undefined;
  cidrs: CidrFact[];
  /** cluster_api_addr and the three gateway VIPs that are usable, in that order. */
  vips: ClusterAddress[];
  /** The explicit node_default_gateway, or the derived one; undefined when neither is known. */
  defaultGateway: ClusterAddress | undefined;
  bgp: { state: BgpState; setKeys: string[]; unsetKeys: string[] };
}

const VIP_KEYS = ['cluster_api_addr', 'cluster_gateway_addr', 'cluster_dns_gateway_addr', 'cloudflare_gateway_addr'] as const;
const BGP_KEYS = ['cilium_bgp_router_addr', 'cilium_bgp_router_asn', 'cilium_bgp_node_asn'] as const;
const DERIVED_GATEWAY_OFFSET = -1; // not written anywhere, so it always counts as the earlier occurrence

function readClusterFacts(reader: Reader): ClusterFacts {
  const cidrFact = (key: CidrKey, defaultText?: string): CidrFact | undefined => {
    const read = readCidr(reader, key);
    if (read.kind === 'ok') {
      return { key, ...read.value, isDefault: false, offset: reader.offsetOf([key]) };
    }
    // Only an omitted key takes its default; a written but broken one is simply unknown.
    if (read.kind === 'absent' && defaultText) {
      return { key, cidr: parseCidr(defaultText) as Ipv4Cidr, text: defaultText, isDefault: true, offset: Number.MAX_SAFE_INTEGER };
    }
    return undefined;
  };
  const nodeCidr = cidrFact('node_cidr');
  const cidrs = [nodeCidr, cidrFact('cluster_pod_cidr', DEFAULT_POD_CIDR), cidrFact('cluster_svc_cidr', DEFAULT_SVC_CIDR)].filter(
    (fact): fact is CidrFact => fact !== undefined,
  );

  const written = (key: string): ClusterAddress | undefined => {
    const read = readAddress(reader, [key]);
    return read.kind === 'ok' ? { key, address: read.value, offset: reader.offsetOf([key]), isDerived: false } : undefined;
  };
  const vips = VIP_KEYS.map(written).filter((vip): vip is ClusterAddress => vip !== undefined);

  let defaultGateway: ClusterAddress | undefined;
  const gatewayRead = readAddress(reader, ['node_default_gateway']);
  if (gatewayRead.kind === 'ok') {
    defaultGateway = written('node_default_gateway');
  } else if (gatewayRead.kind === 'absent' && nodeCidr) {
    const derived = firstHost(nodeCidr.cidr);
    if (derived !== undefined) defaultGateway = { key: 'node_default_gateway', address: derived, offset: DERIVED_GATEWAY_OFFSET, isDerived: true };
  }

  return { nodeCidr, cidrs, vips, defaultGateway, bgp: readBgp(reader) };
}

function readBgp(reader: Reader): ClusterFacts['bgp'] {
  const setKeys: string[] = [];
  const unsetKeys: string[] = [];
  let unknown = 0;
  for (const key of BGP_KEYS) {
    const state = settingState(reader, key);
    if (state === 'set') setKeys.push(key);
    else if (state === 'unset') unsetKeys.push(key);
    else unknown++;
  }
  let state: BgpState;
  if (setKeys.length > 0 && unsetKeys.length > 0) state = 'partial';
  else if (unknown > 0) state = 'unknown';
  else state = setKeys.length === BGP_KEYS.length ? 'on' : 'off';
  return { state, setKeys, unsetKeys };
}

/** A string setting: set (non-empty), unset (omitted, null or ""), or unknown (failed or not a string). */
function settingState(reader: Reader, key: string): 'set' | 'unset' | 'unknown' {
  const found = reader.lookup([key]);
  if (found.kind === 'absent') return 'unset';
  if (found.kind === 'failed') return 'unknown';
  if (found.value === null || found.value === '') return 'unset';
  return typeof found.value === 'string' ? 'set' : 'unknown';
}

// ---------------------------------------------------------------------------------------------
// Rule 8: cidr-overlap

function checkCidrOverlap(facts: ClusterFacts): CrossFieldProblem[] {
  // Reported once per CIDR, naming every range it overlaps: one too-wide node_cidr is one mistake.
  const overlapsByTarget = new Map<CidrKey, { target: CidrFact; others: CidrFact[] }>();
  for (let i = 0; i < facts.cidrs.length; i++) {
    for (let j = i + 1; j < facts.cidrs.length; j++) {
      const [a, b] = [facts.cidrs[i], facts.cidrs[j]];
      if (!cidrsOverlap(a.cidr, b.cidr) || (a.isDefault && b.isDefault)) continue;
      // A defaulted CIDR is never the one reported; between two written ones, the later one is.
      const target = a.isDefault ? b : b.isDefault ? a : b.offset > a.offset ? b : a;
      const other = target === a ? b : a;
      const entry = overlapsByTarget.get(target.key) ?? { target, others: [] };
      entry.others.push(other);
      overlapsByTarget.set(target.key, entry);
    }
  }
  return [...overlapsByTarget.values()].map(({ target, others }) => {
    const clauses = others.map((other) => `${overlapVerb(target.cidr, other.cidr)} ${describeCidr(other)}`);
    const defaults = others.filter((other) => other.isDefault).map((other) => other.key);
    const advice = defaults.length
      ? ` Choose a range that overlaps neither, or set ${joinWords(defaults, 'or')} to a range of its own.`
      : '';
    return {
      file: 'cluster',
      path: [target.key],
      code: code('cidr-overlap'),
      message: `${target.key} ${target.text} ${joinWords(clauses, 'and')}. The node, pod and service networks must not share any address.${advice}`,
      severity: 'error',
      related: relatedList(
        others
          .filter((other) => !other.isDefault)
          .map((other) => ({ file: 'cluster', path: [other.key], message: `${other.key} ${other.text} overlaps ${target.key} ${target.text}` })),
      ),
    };
  });
}

function overlapVerb(subject: Ipv4Cidr, other: Ipv4Cidr): string {
  if (subject.prefix === other.prefix) return 'is the same range as';
  return subject.prefix < other.prefix ? 'contains' : 'lies inside';
}

function describeCidr(fact: CidrFact): string {
  return fact.isDefault ? `the default ${fact.key} ${fact.text} (used because ${fact.key} is not set)` : `${fact.key} ${fact.text}`;
}

// ---------------------------------------------------------------------------------------------
// Rule 17: bgp-all-or-nothing, reported on each BGP key that is set

function checkBgp(facts: ClusterFacts): CrossFieldProblem[] {
  const { state, setKeys, unsetKeys } = facts.bgp;
  if (state !== 'partial') return [];
  return setKeys.map((key) => ({
    file: 'cluster',
    path: [key],
    code: code('bgp-all-or-nothing'),
    message: `${key} is set but ${joinWords(unsetKeys, 'and')} ${unsetKeys.length > 1 ? 'are' : 'is'} not. Set all three of ${BGP_KEYS.join(', ')} to use BGP, or none of them; with only some, BGP stays off.`,
    severity: 'error',
  }));
}

// ---------------------------------------------------------------------------------------------
// Rules 18, 19, 20: addresses that must lie inside node_cidr

function checkInNodeCidr(facts: ClusterFacts): CrossFieldProblem[] {
  const { nodeCidr } = facts;
  if (!nodeCidr) return [];
  const problems: CrossFieldProblem[] = [];
  const outside = (address: ClusterAddress, ruleCode: KnownRuleCode, why: string): void => {
    if (cidrContains(nodeCidr.cidr, address.address)) return;
    problems.push({
      file: 'cluster',
      path: [address.key],
      code: code(ruleCode),
      message: `${address.key} ${formatIPv4(address.address)} is outside node_cidr ${nodeCidr.text}. ${why}`,
      severity: 'error',
      related: [{ file: 'cluster', path: ['node_cidr'], message: `node_cidr is ${nodeCidr.text}` }],
    });
  };
  if (facts.defaultGateway && !facts.defaultGateway.isDerived) {
    outside(facts.defaultGateway, 'default-gateway-in-cidr', 'The nodes must reach their default gateway inside the node network.');
  }
  for (const vip of facts.vips) {
    if (vip.key === 'cluster_api_addr') {
      outside(vip, 'api-addr-in-cidr', 'The API address must be an unused address in the node network.');
    } else if (facts.bgp.state === 'off') {
      // With BGP on, gateways may live anywhere. With BGP partial or undecidable the fix may well be
      // to complete BGP, so only the BGP problem is reported until that is settled.
      outside(vip, 'gateway-addr-in-cidr', 'Without BGP, the load balancer hands out addresses from node_cidr, so a gateway address must be an unused address in the node network.');
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Rule 21: vip-unique, on the later occurrence (a derived default gateway always counts as earlier)

function checkVipUnique(facts: ClusterFacts): CrossFieldProblem[] {
  const problems: CrossFieldProblem[] = [];
  for (const ordered of groupBy(clusterAddressesOf(facts), (entry) => entry.address)) {
    const first = ordered[0];
    for (let i = 1; i < ordered.length; i++) {
      const later = ordered[i];
      const earlier = ordered.slice(0, i);
      problems.push({
        file: 'cluster',
        path: [later.key],
        code: code('vip-unique'),
        message: `${later.key} ${formatIPv4(later.address)} is already used: ${describeClusterAddress(first)}. The API address, the three gateway addresses and the default gateway must all be different.`,
        severity: 'error',
        related: earlier.map((entry) => relatedForClusterAddress(entry)),
      });
    }
  }
  return problems;
}

function describeClusterAddress(entry: ClusterAddress): string {
  return entry.isDerived
    ? `it is the default gateway, which is node_cidr's first address because node_default_gateway is not set`
    : `it is ${entry.key}`;
}

function relatedForClusterAddress(entry: ClusterAddress): Related {
  return entry.isDerived
    ? { file: 'cluster', path: ['node_cidr'], message: `the default gateway ${formatIPv4(entry.address)} comes from node_cidr` }
    : { file: 'cluster', path: [entry.key], message: `${entry.key} is ${formatIPv4(entry.address)}` };
}

// ---------------------------------------------------------------------------------------------
// nodes.yaml facts

interface NodeFacts {
  index: number;
  name: string | undefined;
  address: number | undefined;
  mac: string | undefined;
  /** true/false when known; undefined when missing, failed or of the wrong type. */
  controller: boolean | undefined;
}

interface NodesFacts {
  nodes: NodeFacts[];
  /** False when some node (or its controller key) could not be read, so "no controller" is undecidable. */
  isControllerKnown: boolean;
}

function readNodes(reader: Reader): NodesFacts | undefined {
  const list = reader.lookup(['nodes']);
  if (list.kind !== 'present' || !Array.isArray(list.value)) return undefined;
  const nodes: NodeFacts[] = [];
  let isControllerKnown = true;
  list.value.forEach((item, index) => {
    const node = reader.lookup(['nodes', index]);
    if (node.kind !== 'present' || !isMapping(item)) {
      isControllerKnown = false;
      return;
    }
    const text = (key: string): string | undefined => {
      const found = reader.lookup(['nodes', index, key]);
      return found.kind === 'present' && typeof found.value === 'string' && found.value !== '' ? found.value : undefined;
    };
    const address = readAddress(reader, ['nodes', index, 'address']);
    const controller = reader.lookup(['nodes', index, 'controller']);
    const isController = controller.kind === 'present' && typeof controller.value === 'boolean' ? controller.value : undefined;
    // A missing or broken `controller` already has its own error; do not pile "no controller" on top.
    if (isController === undefined) isControllerKnown = false;
    nodes.push({
      index,
      name: text('name'),
      address: address.kind === 'ok' ? address.value : undefined,
      mac: text('mac_addr')?.toLowerCase(),
      controller: isController,
    });
  });
  return { nodes, isControllerKnown };
}

function describeNode(node: NodeFacts): string {
  return node.name !== undefined ? `node "${node.name}"` : `the node at position ${node.index + 1}`;
}

// ---------------------------------------------------------------------------------------------
// Rules 22, 24: node addresses against cluster.yaml, reported on the node's address

function checkNodesAgainstCluster(nodesFacts: NodesFacts, facts: ClusterFacts): CrossFieldProblem[] {
  const problems: CrossFieldProblem[] = [];
  const clusterAddresses = clusterAddressesOf(facts);
  for (const node of nodesFacts.nodes) {
    if (node.address === undefined) continue;
    const path = ['nodes', node.index, 'address'];
    const shown = formatIPv4(node.address);
    if (facts.nodeCidr && !cidrContains(facts.nodeCidr.cidr, node.address)) {
      problems.push({
        file: 'nodes',
        path,
        code: code('node-address-in-cidr'),
        message: `The address ${shown} of ${describeNode(node)} is outside node_cidr ${facts.nodeCidr.text} (cluster.yaml). Every node address must be in the node network.`,
        severity: 'error',
        related: [{ file: 'cluster', path: ['node_cidr'], message: `node_cidr is ${facts.nodeCidr.text}` }],
      });
    }
    const collision = clusterAddresses.find((entry) => entry.address === node.address);
    if (collision) {
      const what = collision.isDerived
        ? `the default gateway (node_cidr's first address, used because node_default_gateway is not set in cluster.yaml)`
        : `${collision.key} in cluster.yaml`;
      problems.push({
        file: 'nodes',
        path,
        code: code('node-address-collision'),
        message: `The address ${shown} of ${describeNode(node)} is also ${what}. A node address must differ from the API address, the gateway addresses and the default gateway.`,
        severity: 'error',
        related: [relatedForClusterAddress(collision)],
      });
    }
  }
  return problems;
}

/** The VIPs and the default gateway (explicit or derived), earliest first. */
function clusterAddressesOf(facts: ClusterFacts): ClusterAddress[] {
  return [...facts.vips, ...(facts.defaultGateway ? [facts.defaultGateway] : [])].sort((a, b) => a.offset - b.offset);
}

// ---------------------------------------------------------------------------------------------
// Rules 23, 27, 29: values two nodes must not share, reported on the later node

/**
 * `takenByCluster`: addresses already reported as node-address-collision on every node that uses
 * them, so two nodes on the API address give two collisions, not also a node-address-unique.
 */
function checkNodeUniqueness(nodesFacts: NodesFacts, takenByCluster: ReadonlySet<number>): CrossFieldProblem[] {
  const problems: CrossFieldProblem[] = [];
  const duplicates = <T>(
    pick: (node: NodeFacts) => T | undefined,
    key: string,
    ruleCode: KnownRuleCode,
    sentence: (node: NodeFacts, first: NodeFacts, value: T) => string,
  ): void => {
    const firstByValue = new Map<T, NodeFacts>();
    for (const node of nodesFacts.nodes) {
      const value = pick(node);
      if (value === undefined) continue;
      const first = firstByValue.get(value);
      if (!first) {
        firstByValue.set(value, node);
        continue;
      }
      problems.push({
        file: 'nodes',
        path: ['nodes', node.index, key],
        code: code(ruleCode),
        message: sentence(node, first, value),
        severity: 'error',
        related: [{ file: 'nodes', path: ['nodes', first.index, key], message: `first used by ${describeNode(first)}` }],
      });
    }
  };
  duplicates(
    (node) => (node.address !== undefined && !takenByCluster.has(node.address) ? node.address : undefined),
    'address',
    'node-address-unique',
    (node, first, address) => `${capitalize(describeNode(node))} has the address ${formatIPv4(address)}, which ${describeNode(first)} already uses. Every node needs its own address.`,
  );
  duplicates(
    (node) => node.name,
    'name',
    'node-name-unique',
    (_node, first, name) => `The node name "${name}" is already used by the node at position ${first.index + 1}. Node names must be unique.`,
  );
  duplicates(
    (node) => node.mac,
    'mac_addr',
    'mac-unique',
    (node, first, mac) => `${capitalize(describeNode(node))} has the MAC address ${mac}, which ${describeNode(first)} already uses. Every node needs its own network interface.`,
  );
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Rule 32: controller-required, at ["nodes"]

function checkController(nodesFacts: NodesFacts): CrossFieldProblem[] {
  if (!nodesFacts.isControllerKnown || nodesFacts.nodes.some((node) => node.controller === true)) return [];
  const message =
    nodesFacts.nodes.length === 0
      ? 'nodes is empty. Add at least one node with controller: true; the Kubernetes API runs on the controller nodes.'
      : 'No node has controller: true. At least one node must be a controller; the Kubernetes API runs on the controller nodes.';
  return [{ file: 'nodes', path: ['nodes'], code: code('controller-required'), message, severity: 'error' }];
}

// ---------------------------------------------------------------------------------------------
// Remaining-work items (../shared/REMAINING-WORK.md): settings that only work together. Each one
// is read as its plugin.py does: omitted, null or "" count as unset; a flag is on only when `true`.
// Severity: a feature asked for but missing its settings is an error; a sub-feature switched on
// while the feature it needs is off is a warning (the template quietly leaves it out).

type Condition =
  | { key: string; is: 'true' | 'not-true' | 'set' }
  | { key: string; equals: string }
  | { key: string; contains: string };

interface NeededKey {
  key: string;
  /** Not needed when this flag is true (plugin.py fills the key in then). */
  unlessTrue?: string;
}

interface Requirement {
  /** Where the problem goes: the key that asks for the others. */
  at: string;
  /** All must hold for the requirement to apply. */
  when: Condition[];
  needsKeys?: NeededKey[];
  needsEnabled?: string[];
  severity: CrossFieldProblem['severity'];
  /** Ends the message: what goes wrong otherwise. */
  why: string;
}

const REQUIREMENTS: Requirement[] = [
  // §4 VolSync: the restic secret is built from endpoint, bucket, password and the two S3 keys
  // ("Detecting done": volsync_enabled with endpoint, bucket, password, keys).
  {
    at: 'volsync_enabled',
    when: [{ key: 'volsync_enabled', is: 'true' }],
    needsKeys: ['volsync_s3_endpoint', 'volsync_s3_bucket', 'volsync_restic_password', 'volsync_s3_access_key', 'volsync_s3_secret_key'].map(
      (key) => ({ key }),
    ),
    severity: 'error',
    why: 'VolSync builds its restic repository secret from them.',
  },
  // §4 VolSync: the in-cluster endpoint is RustFS; without it the backups have nowhere to go.
  {
    at: 'volsync_s3_endpoint',
    when: [{ key: 'volsync_enabled', is: 'true' }, { key: 'volsync_s3_endpoint', contains: 'svc.cluster.local' }],
    needsEnabled: ['rustfs_enabled'],
    severity: 'warning',
    why: 'An in-cluster endpoint means RustFS, which is only deployed when rustfs_enabled is true.',
  },
  // §5 Talos backup: talos_backup_enabled = endpoint and bucket, so one without the other turns it off.
  {
    at: 'backup_s3_endpoint',
    when: [{ key: 'backup_s3_endpoint', is: 'set' }],
    needsKeys: [{ key: 'backup_s3_bucket' }],
    severity: 'error',
    why: 'Talos backup only turns on when both backup_s3_endpoint and backup_s3_bucket are set.',
  },
  {
    at: 'backup_s3_bucket',
    when: [{ key: 'backup_s3_bucket', is: 'set' }],
    needsKeys: [{ key: 'backup_s3_endpoint' }],
    severity: 'error',
    why: 'Talos backup only turns on when both backup_s3_endpoint and backup_s3_bucket are set.',
  },
  // §5 Talos backup: once on, its secret needs the S3 keys and the age public key.
  {
    at: 'backup_s3_endpoint',
    when: [{ key: 'backup_s3_endpoint', is: 'set' }, { key: 'backup_s3_bucket', is: 'set' }],
    needsKeys: [{ key: 'backup_s3_access_key' }, { key: 'backup_s3_secret_key' }, { key: 'backup_age_public_key' }],
    severity: 'error',
    why: 'Talos backup is on, and its credentials secret needs them to upload encrypted snapshots.',
  },
  // §5 Talos backup: an svc.cluster.local endpoint makes talos-backup depend on the rustfs Kustomization.
  {
    at: 'backup_s3_endpoint',
    when: [
      { key: 'backup_s3_endpoint', contains: 'svc.cluster.local' },
      { key: 'backup_s3_bucket', is: 'set' },
    ],
    needsEnabled: ['rustfs_enabled'],
    severity: 'warning',
    why: 'An in-cluster endpoint makes talos-backup wait for RustFS, which is only deployed when rustfs_enabled is true.',
  },
  // §6 JWT: oidc_enabled = issuer and JWKS; with Keycloak on, plugin.py fills the missing one in.
  {
    at: 'oidc_jwks_uri',
    when: [{ key: 'oidc_jwks_uri', is: 'set' }],
    needsKeys: [{ key: 'oidc_issuer_url', unlessTrue: 'keycloak_enabled' }],
    severity: 'error',
    why: 'The JWT SecurityPolicy only turns on when both oidc_issuer_url and oidc_jwks_uri are set.',
  },
  // §6 JWT: an issuer alone is normal for browser SSO (§10), so only a hint when SSO is off.
  {
    at: 'oidc_issuer_url',
    when: [
      { key: 'oidc_issuer_url', is: 'set' },
      { key: 'oidc_sso_enabled', is: 'not-true' },
    ],
    needsKeys: [{ key: 'oidc_jwks_uri', unlessTrue: 'keycloak_enabled' }],
    severity: 'warning',
    why: 'The JWT SecurityPolicy only turns on when both oidc_issuer_url and oidc_jwks_uri are set.',
  },
  // §8 CloudNativePG: each sub-feature flag is and-ed with cnpg_enabled; backups also with rustfs_enabled.
  {
    at: 'cnpg_backup_enabled',
    when: [{ key: 'cnpg_backup_enabled', is: 'true' }],
    needsEnabled: ['cnpg_enabled', 'rustfs_enabled'],
    severity: 'warning',
    why: 'CloudNativePG backups go to RustFS and stay off otherwise.',
  },
  {
    at: 'cnpg_backup_enabled',
    when: [
      { key: 'cnpg_backup_enabled', is: 'true' },
      { key: 'cnpg_enabled', is: 'true' },
    ],
    needsKeys: [{ key: 'cnpg_s3_access_key' }, { key: 'cnpg_s3_secret_key' }],
    severity: 'error',
    why: 'CloudNativePG backups stay off without the RustFS access keys.',
  },
  {
    at: 'cnpg_barman_plugin_enabled',
    when: [{ key: 'cnpg_barman_plugin_enabled', is: 'true' }],
    needsEnabled: ['cnpg_enabled'],
    severity: 'warning',
    why: 'The Barman Cloud plugin is part of the CloudNativePG deployment and stays off otherwise.',
  },
  {
    at: 'cnpg_pgvector_enabled',
    when: [{ key: 'cnpg_pgvector_enabled', is: 'true' }],
    needsEnabled: ['cnpg_enabled'],
    severity: 'warning',
    why: 'pgvector is mounted into CloudNativePG clusters and stays off otherwise.',
  },
  // §9 Keycloak: both passwords are required when enabled.
  {
    at: 'keycloak_enabled',
    when: [{ key: 'keycloak_enabled', is: 'true' }],
    needsKeys: [{ key: 'keycloak_admin_password' }, { key: 'keycloak_db_password' }],
    severity: 'error',
    why: 'Keycloak needs them for its admin account and its database.',
  },
  // §9 Keycloak: cnpg mode without cnpg_enabled only sets keycloak_cnpg_missing and renders a
  // database nobody runs; the item says to report an error.
  {
    at: 'keycloak_db_mode',
    when: [
      { key: 'keycloak_enabled', is: 'true' },
      { key: 'keycloak_db_mode', equals: 'cnpg' },
    ],
    needsEnabled: ['cnpg_enabled'],
    severity: 'error',
    why: "Keycloak's database would be a CloudNativePG cluster, but the operator is not deployed; enable CloudNativePG or use keycloak_db_mode: embedded.",
  },
  // §9 Keycloak backups: keycloak_backup_enabled = rustfs_enabled and both keycloak_s3 keys.
  {
    at: 'keycloak_s3_access_key',
    when: [
      { key: 'keycloak_enabled', is: 'true' },
      { key: 'keycloak_s3_access_key', is: 'set' },
    ],
    needsKeys: [{ key: 'keycloak_s3_secret_key' }],
    severity: 'error',
    why: 'Keycloak backups need both S3 keys and stay off otherwise.',
  },
  {
    at: 'keycloak_s3_secret_key',
    when: [
      { key: 'keycloak_enabled', is: 'true' },
      { key: 'keycloak_s3_secret_key', is: 'set' },
    ],
    needsKeys: [{ key: 'keycloak_s3_access_key' }],
    severity: 'error',
    why: 'Keycloak backups need both S3 keys and stay off otherwise.',
  },
  {
    at: 'keycloak_s3_access_key',
    when: [
      { key: 'keycloak_enabled', is: 'true' },
      { key: 'keycloak_s3_access_key', is: 'set' },
      { key: 'keycloak_s3_secret_key', is: 'set' },
    ],
    needsEnabled: ['rustfs_enabled'],
    severity: 'warning',
    why: 'Keycloak backups go to RustFS and stay off otherwise.',
  },
  // §10 OIDC SSO: oidc_sso_enabled = flag and issuer and client id and client secret; with Keycloak
  // on, plugin.py derives the issuer (§6) but never the client.
  {
    at: 'oidc_sso_enabled',
    when: [{ key: 'oidc_sso_enabled', is: 'true' }],
    needsKeys: [{ key: 'oidc_issuer_url', unlessTrue: 'keycloak_enabled' }, { key: 'oidc_client_id' }, { key: 'oidc_client_secret' }],
    severity: 'error',
    why: 'Browser SSO stays off until the identity provider and its client are known.',
  },
  // §11 OAuth2-Proxy: issuer, client id, client secret and cookie secret are required when enabled.
  {
    at: 'oauth2_proxy_enabled',
    when: [{ key: 'oauth2_proxy_enabled', is: 'true' }],
    needsKeys: ['oauth2_proxy_oidc_issuer', 'oauth2_proxy_client_id', 'oauth2_proxy_client_secret', 'oauth2_proxy_cookie_secret'].map((key) => ({ key })),
    severity: 'error',
    why: 'OAuth2-Proxy cannot log anyone in without them.',
  },
];

type Truth = 'yes' | 'no' | 'unknown';

function flagTruth(reader: Reader, key: string): Truth {
  const found = reader.lookup([key]);
  if (found.kind === 'absent') return 'no';
  if (found.kind === 'failed') return 'unknown';
  if (found.value === true) return 'yes';
  return found.value === false || found.value === null ? 'no' : 'unknown';
}

function conditionTruth(reader: Reader, condition: Condition): Truth {
  if ('is' in condition) {
    if (condition.is === 'set') {
      const state = settingState(reader, condition.key);
      return state === 'set' ? 'yes' : state === 'unset' ? 'no' : 'unknown';
    }
    const truth = flagTruth(reader, condition.key);
    if (condition.is === 'true' || truth === 'unknown') return truth;
    return truth === 'yes' ? 'no' : 'yes';
  }
  const found = reader.lookup([condition.key]);
  if (found.kind === 'absent') return 'no';
  if (found.kind === 'failed') return 'unknown';
  if (found.value === null) return 'no';
  if (typeof found.value !== 'string') return 'unknown';
  const holds = 'equals' in condition ? found.value === condition.equals : found.value.includes(condition.contains);
  return holds ? 'yes' : 'no';
}

function checkRequirements(reader: Reader): CrossFieldProblem[] {
  const problems: CrossFieldProblem[] = [];
  for (const requirement of REQUIREMENTS) {
    if (!requirement.when.every((condition) => conditionTruth(reader, condition) === 'yes')) continue;
    const context = describeConditions(requirement.when);
    // Only keys that are certainly unset count: a broken value already has its own error.
    const missingKeys = (requirement.needsKeys ?? [])
      .filter((needed) => !needed.unlessTrue || flagTruth(reader, needed.unlessTrue) === 'no')
      .map((needed) => needed.key)
      .filter((key) => settingState(reader, key) === 'unset');
    if (missingKeys.length) {
      problems.push({
        file: 'cluster',
        path: [requirement.at],
        code: code('requires-key'),
        message: `${context}, but ${joinWords(missingKeys, 'and')} ${missingKeys.length > 1 ? 'are' : 'is'} not set. ${requirement.why}`,
        severity: requirement.severity,
      });
    }
    const offFlags = (requirement.needsEnabled ?? []).filter((flag) => flagTruth(reader, flag) === 'no');
    if (offFlags.length) {
      problems.push({
        file: 'cluster',
        path: [requirement.at],
        code: code('requires-enabled'),
        message: `${context}, but ${joinWords(offFlags, 'and')} ${offFlags.length > 1 ? 'are' : 'is'} not true. ${requirement.why}`,
        severity: requirement.severity,
      });
    }
  }
  return problems;
}

/** "keycloak_enabled is true and keycloak_db_mode is cnpg". Values shown are constants, never user secrets. */
function describeConditions(conditions: Condition[]): string {
  const setKeys = conditions.filter((c) => 'is' in c && c.is === 'set').map((c) => c.key);
  const parts: string[] = [];
  for (const condition of conditions) {
    if ('equals' in condition) parts.push(`${condition.key} is ${condition.equals}`);
    else if ('contains' in condition) parts.push(`${condition.key} points inside the cluster (${condition.contains})`);
    else if (condition.is === 'true') parts.push(`${condition.key} is true`);
    else if (condition.is === 'set' && condition.key === setKeys[0]) parts.push(`${joinWords(setKeys, 'and')} ${setKeys.length > 1 ? 'are' : 'is'} set`);
    // 'not-true' conditions only narrow when a rule applies; they need no words.
  }
  return joinWords(parts, 'and');
}

// ---------------------------------------------------------------------------------------------
// Small helpers

function code(ruleCode: KnownRuleCode): string {
  return ruleCode;
}

function groupBy<T, K>(items: T[], keyOf: (item: T) => K): T[][] {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  return [...groups.values()];
}

function joinWords(words: string[], conjunction: 'and' | 'or'): string {
  if (words.length <= 1) return words.join('');
  return `${words.slice(0, -1).join(', ')} ${conjunction} ${words[words.length - 1]}`;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function relatedList(related: Related[]): Related[] | undefined {
  return related.length ? related : undefined;
}
