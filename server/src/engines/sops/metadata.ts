// The sops metadata block: reading it from any store (nested under `sops` in YAML and JSON,
// flattened as sops_age__list_0__map_enc in dotenv and under [sops] in INI, as stores/metadata.go
// and stores/flatten.go do), and building it the way sops 3.13 writes it (keys sorted at every
// level, empty key lists left out).
import { GoBytes, GoTime, TreeComment, TreeList, TreeMap, type TreeValue } from './goValues';
import { SopsError } from './sopsError';
import type { CryptRule } from './treeCrypt';

/** The sops version whose metadata layout encryptSops writes (and records in `version`). */
export const SOPS_FORMAT_VERSION = '3.13.2';

export interface SopsAgeKey {
  recipient: string;
  /** The data key, age-encrypted for the recipient and ASCII-armored. */
  enc: string;
}

export interface SopsPgpKey {
  fp: string;
  /** The data key, OpenPGP-encrypted and ASCII-armored. */
  enc: string;
  created_at: string;
}

export interface SopsMetadata extends CryptRule {
  age: SopsAgeKey[];
  pgp: SopsPgpKey[];
  /** kms, gcp_kms, azure_kv, hc_vault, hckms: non-empty entry lists as written. */
  otherKeys: Record<string, unknown[]>;
  /** Shamir key groups as written (sops writes them only for two or more groups). */
  key_groups?: unknown[];
  shamir_threshold?: number;
  lastmodified: string;
  /** The encrypted MAC; '' when the file has none. */
  mac: string;
  version: string;
}

export type SopsStore = 'yaml' | 'json' | 'dotenv' | 'ini' | 'binary';

const OTHER_KEY_TYPES = ['kms', 'gcp_kms', 'azure_kv', 'hc_vault', 'hckms'];
const RULE_STRINGS = ['encrypted_regex', 'unencrypted_regex', 'encrypted_suffix', 'unencrypted_suffix', 'encrypted_comment_regex', 'unencrypted_comment_regex'] as const;

// ---------------------------------------------------------------------------------------------
// Tree ↔ plain values

/** A tree value as plain JSON-like data (ints as numbers when safe, times as text). */
export function treeToPlain(value: TreeValue): unknown {
  if (value instanceof TreeMap) {
    const out: Record<string, unknown> = {};
    for (const entry of value.entries) if (!(entry instanceof TreeComment)) out[entry.key] = treeToPlain(entry.value);
    return out;
  }
  if (value instanceof TreeList) return value.items.filter((item) => !(item instanceof TreeComment)).map((item) => treeToPlain(item as TreeValue));
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (value instanceof GoTime) return value.text;
  if (value instanceof GoBytes) return value.bytes.toString('utf8');
  return value;
}

/** mapstructure's weakly typed string conversion. */
function asString(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? '1' : '0';
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  throw new SopsError('parse', 'the sops metadata has a structure where a text is expected');
}

function asBoolean(value: unknown): boolean {
  if (value === null || value === undefined || value === '') return false;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value !== 0;
  if (typeof value === 'string') {
    if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value)) return true;
    if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(value)) return false;
  }
  throw new SopsError('parse', 'mac_only_encrypted in the sops metadata is not a boolean');
}

function asList(value: unknown, what: string): Array<Record<string, unknown>> {
  if (value === null || value === undefined) return [];
  if (!Array.isArray(value)) throw new SopsError('parse', `${what} in the sops metadata is not a list`);
  return value.map((item) => {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) throw new SopsError('parse', `an entry of ${what} in the sops metadata is not a mapping`);
    return item as Record<string, unknown>;
  });
}

/** The metadata mapping (already unflattened) as SopsMetadata. */
export function metadataFromTree(tree: TreeMap): SopsMetadata {
  const raw = treeToPlain(tree) as Record<string, unknown>;
  const metadata: SopsMetadata = {
    age: asList(raw.age, 'age').map((entry) => ({ recipient: asString(entry.recipient), enc: asString(entry.enc) })),
    pgp: asList(raw.pgp, 'pgp').map((entry) => ({ fp: asString(entry.fp), enc: asString(entry.enc), created_at: asString(entry.created_at) })),
    otherKeys: {},
    lastmodified: asString(raw.lastmodified),
    mac: asString(raw.mac),
    version: asString(raw.version),
  };
  for (const type of OTHER_KEY_TYPES) {
    const list = asList(raw[type], type);
    if (list.length > 0) metadata.otherKeys[type] = list;
  }
  if (raw.key_groups !== undefined && raw.key_groups !== null) {
    const groups = asList(raw.key_groups, 'key_groups');
    if (groups.length > 0) metadata.key_groups = groups;
  }
  if (raw.shamir_threshold !== undefined && raw.shamir_threshold !== null && raw.shamir_threshold !== '') {
    const threshold = Number(raw.shamir_threshold);
    if (!Number.isInteger(threshold)) throw new SopsError('parse', 'shamir_threshold in the sops metadata is not an integer');
    if (threshold !== 0) metadata.shamir_threshold = threshold;
  }
  for (const option of RULE_STRINGS) {
    const value = asString(raw[option]);
    if (value !== '') metadata[option] = value;
  }
  if (asBoolean(raw.mac_only_encrypted)) metadata.mac_only_encrypted = true;
  return metadata;
}

// ---------------------------------------------------------------------------------------------
// Flattening (dotenv, INI)

const MAP_SEPARATOR = '__map_';
const LIST_SEPARATOR = '__list_';

interface FlatNode {
  value?: TreeValue;
  hasValue: boolean;
  keys?: Map<string, FlatNode>;
  indexes?: Map<number, FlatNode>;
}

/** stores.unflattenTreeBranch: sops_age__list_0__map_enc back into nested lists and mappings. */
export function unflattenTree(flat: TreeMap): TreeMap {
  const root: FlatNode = { hasValue: false };
  for (const entry of flat.entries) {
    if (entry instanceof TreeComment) continue;
    let node = root;
    for (const token of tokenizeFlatKey(entry.key)) {
      if (typeof token === 'string') {
        node.keys ??= new Map();
        let next = node.keys.get(token);
        if (!next) node.keys.set(token, (next = { hasValue: false }));
        node = next;
      } else {
        node.indexes ??= new Map();
        let next = node.indexes.get(token);
        if (!next) node.indexes.set(token, (next = { hasValue: false }));
        node = next;
      }
    }
    if (node.hasValue) throw new SopsError('parse', `the sops metadata has '${entry.key}' twice`);
    node.hasValue = true;
    node.value = entry.value;
  }
  const result = convertFlatNode(root);
  if (!(result instanceof TreeMap)) throw new SopsError('parse', 'the flattened sops metadata has no root mapping');
  return result;
}

function tokenizeFlatKey(key: string): Array<string | number> {
  const tokens: Array<string | number> = [];
  let rest = key;
  let kind: 'map' | 'list' = 'map';
  for (;;) {
    const mapAt = rest.indexOf(MAP_SEPARATOR);
    const listAt = rest.indexOf(LIST_SEPARATOR);
    const at = mapAt === -1 ? listAt : listAt === -1 ? mapAt : Math.min(mapAt, listAt);
    const piece = at === -1 ? rest : rest.slice(0, at);
    tokens.push(kind === 'map' ? piece : Number.parseInt(piece, 10) || 0);
    if (at === -1) return tokens;
    kind = at === listAt ? 'list' : 'map';
    rest = rest.slice(at + (kind === 'list' ? LIST_SEPARATOR.length : MAP_SEPARATOR.length));
  }
}

function convertFlatNode(node: FlatNode): TreeValue {
  const kinds = Number(node.hasValue) + Number((node.keys?.size ?? 0) > 0) + Number((node.indexes?.size ?? 0) > 0);
  if (kinds > 1) throw new SopsError('parse', 'the flattened sops metadata mixes values, mappings and lists');
  if (node.hasValue) return node.value ?? null;
  if (node.keys && node.keys.size > 0) {
    const names = [...node.keys.keys()].sort();
    return new TreeMap(names.map((name) => ({ key: name, value: convertFlatNode(node.keys!.get(name)!) })));
  }
  if (node.indexes && node.indexes.size > 0) {
    const size = node.indexes.size;
    const items: TreeValue[] = [];
    for (let i = 0; i < size; i++) {
      const item = node.indexes.get(i);
      if (!item) throw new SopsError('parse', 'the flattened sops metadata has an incomplete list');
      items.push(convertFlatNode(item));
    }
    return new TreeList(items);
  }
  return new TreeMap();
}

/** stores.flattenTreeBranch with a key prefix ('sops_' for dotenv, '' under INI's [sops]). */
export function flattenTree(tree: TreeMap, prefix: string): TreeMap {
  const out: Array<{ key: string; value: TreeValue }> = [];
  const seen = new Set<string>();
  const descend = (value: TreeValue, key: string): void => {
    if (value instanceof TreeMap) {
      for (const entry of value.entries) if (!(entry instanceof TreeComment)) descend(entry.value, key + MAP_SEPARATOR + entry.key);
      return;
    }
    if (value instanceof TreeList) {
      let index = 0;
      for (const item of value.items) if (!(item instanceof TreeComment)) descend(item as TreeValue, key + LIST_SEPARATOR + index++);
      return;
    }
    if (seen.has(key)) throw new SopsError('parse', `key collision '${key}' while flattening the sops metadata`);
    seen.add(key);
    out.push({ key, value });
  };
  for (const entry of tree.entries) if (!(entry instanceof TreeComment)) descend(entry.value, prefix + entry.key);
  return new TreeMap(out);
}

// ---------------------------------------------------------------------------------------------
// Finding and removing the metadata in a store's tree

const METADATA_KEY = 'sops';
const FLAT_PREFIX = 'sops_';

/** Whether a plaintext tree has the entries sops reserves for metadata (a file encrypted already). */
export function hasMetadataEntry(branches: readonly TreeMap[], store: SopsStore): boolean {
  return branches.some((branch) =>
    branch.entries.some((entry) => !(entry instanceof TreeComment) && (store === 'dotenv' ? entry.key.startsWith(FLAT_PREFIX) : entry.key === METADATA_KEY)),
  );
}

/**
 * Removes the metadata entries from every branch and returns the metadata mapping (unflattened),
 * or undefined when the tree has none (stores.ExtractMetadata).
 */
export function extractMetadataTree(branches: TreeMap[], store: SopsStore): TreeMap | undefined {
  if (store === 'dotenv') {
    const first = branches[0];
    if (!first) return undefined;
    const flat: Array<{ key: string; value: TreeValue }> = [];
    const kept = first.entries.filter((entry) => {
      if (entry instanceof TreeComment || !entry.key.startsWith(FLAT_PREFIX)) return true;
      flat.push({ key: entry.key.slice(FLAT_PREFIX.length), value: entry.value });
      return false;
    });
    if (flat.length === 0) return undefined;
    first.entries.splice(0, first.entries.length, ...kept);
    return unflattenTree(new TreeMap(flat));
  }
  let found: TreeMap | undefined;
  let seen = false;
  branches.forEach((branch, index) => {
    const kept = branch.entries.filter((entry) => {
      if (entry instanceof TreeComment || entry.key !== METADATA_KEY) return true;
      if (index === 0) {
        if (seen) throw new SopsError('parse', 'the file has two sops metadata entries');
        seen = true;
        if (!(entry.value instanceof TreeMap)) throw new SopsError('parse', 'the sops metadata entry is not a mapping');
        found = entry.value;
      }
      return false;
    });
    branch.entries.splice(0, branch.entries.length, ...kept);
  });
  if (!found) return undefined;
  if (store !== 'ini') return found;
  // INI keeps the metadata flat under [sops], with newlines written as \n.
  const escaped = new TreeMap(
    found.entries.map((entry) => (entry instanceof TreeComment || typeof entry.value !== 'string' ? entry : { key: entry.key, value: entry.value.replace(/\\n/g, '\n') })),
  );
  return unflattenTree(escaped);
}

// ---------------------------------------------------------------------------------------------
// Building the metadata block to write

export interface MetadataToWrite extends CryptRule {
  age: SopsAgeKey[];
  lastmodified: string;
  mac: string;
  version: string;
  /** Further entries kept as written (pgp, kms, … when re-encrypting with the same data key). */
  keptEntries?: ReadonlyArray<{ key: string; value: TreeValue }>;
}

function sortedTree(value: TreeValue): TreeValue {
  if (value instanceof TreeMap) {
    const entries = value.entries.filter((entry): entry is { key: string; value: TreeValue } => !(entry instanceof TreeComment));
    return new TreeMap(entries.map((entry) => ({ key: entry.key, value: sortedTree(entry.value) })).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)));
  }
  if (value instanceof TreeList) return new TreeList(value.items.filter((item) => !(item instanceof TreeComment)).map((item) => sortedTree(item as TreeValue)));
  return value;
}

/** The metadata mapping as sops 3.13 serialises it: keys sorted at every level. */
export function buildMetadataTree(metadata: MetadataToWrite): TreeMap {
  const entries: Array<{ key: string; value: TreeValue }> = [];
  if (metadata.age.length > 0) {
    entries.push({ key: 'age', value: new TreeList(metadata.age.map((key) => new TreeMap([{ key: 'recipient', value: key.recipient }, { key: 'enc', value: key.enc }]))) });
  }
  entries.push({ key: 'lastmodified', value: metadata.lastmodified }, { key: 'mac', value: metadata.mac }, { key: 'version', value: metadata.version });
  for (const option of RULE_STRINGS) {
    const value = metadata[option];
    if (value) entries.push({ key: option, value });
  }
  if (metadata.mac_only_encrypted) entries.push({ key: 'mac_only_encrypted', value: true });
  for (const kept of metadata.keptEntries ?? []) entries.push(kept);
  return sortedTree(new TreeMap(entries)) as TreeMap;
}

/** Adds the metadata to the tree in the store's layout (stores.SerializeMetadata). */
export function attachMetadata(branches: TreeMap[], store: SopsStore, metadata: TreeMap): void {
  if (store === 'dotenv') {
    branches[0].entries.push(...flattenTree(metadata, FLAT_PREFIX).entries);
    return;
  }
  if (store === 'ini') {
    const flat = flattenTree(metadata, '');
    const escaped = flat.entries.map((entry) => (entry instanceof TreeComment || typeof entry.value !== 'string' ? entry : { key: entry.key, value: entry.value.replace(/\n/g, '\\n') }));
    branches[0].entries.push({ key: METADATA_KEY, value: new TreeMap(escaped) });
    return;
  }
  for (const branch of branches) branch.entries.push({ key: METADATA_KEY, value: metadata });
}

/** The metadata entries of a previous version that encryptSops keeps as written. */
export function keptKeyEntries(metadataTree: TreeMap): Array<{ key: string; value: TreeValue }> {
  const kept: Array<{ key: string; value: TreeValue }> = [];
  for (const entry of metadataTree.entries) {
    if (entry instanceof TreeComment) continue;
    if (entry.key === 'pgp' || OTHER_KEY_TYPES.includes(entry.key)) {
      const empty = entry.value === null || (entry.value instanceof TreeList && entry.value.items.length === 0);
      if (!empty) kept.push(entry);
    }
  }
  return kept;
}
