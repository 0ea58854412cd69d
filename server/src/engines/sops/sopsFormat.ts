// The SOPS file format, compatible with sops 3.7–3.13: decrypting (MAC always verified) and
// encrypting YAML, JSON, dotenv, INI and binary files, reading their metadata. Pure: text and
// keys in, text out; no file, process or environment access. Encrypted files are written in the
// sops 3.13.2 layout (metadata keys sorted at every level).
import { randomBytes } from 'node:crypto';
import { DATA_KEY_SIZE, unwrapDataKey, wrapDataKey } from './dataKey';
import { binaryText, readJsonTree, writeJsonTree } from './jsonStore';
import { readDotenvTree, writeDotenvTree } from './dotenvStore';
import { formatRfc3339Utc, GoBytes, normalizeLastModified, TreeComment, TreeMap, type TreeScalar } from './goValues';
import { readIniTree, writeIniTree } from './iniStore';
import {
  attachMetadata,
  buildMetadataTree,
  extractMetadataTree,
  hasMetadataEntry,
  keptKeyEntries,
  metadataFromTree,
  SOPS_FORMAT_VERSION,
  type SopsAgeKey,
  type SopsMetadata,
  type SopsStore,
} from './metadata';
import { SopsError } from './sopsError';
import { decryptTree, effectiveRule, encryptTree, stashKey, type CryptRule } from './treeCrypt';
import { encryptLeaf, openValue, parseEncryptedValue } from './valueCipher';
import { DEFAULT_YAML_INDENT, readYamlTree, writeYamlTree } from './yamlStore';

export { SopsError, type SopsErrorCode } from './sopsError';
export { SOPS_FORMAT_VERSION, type SopsAgeKey, type SopsMetadata, type SopsPgpKey, type SopsStore } from './metadata';
export { DEFAULT_UNENCRYPTED_SUFFIX, MAC_ONLY_ENCRYPTED_SEED, type CryptRule } from './treeCrypt';
export { DATA_KEY_SIZE, unwrapDataKey, wrapDataKey } from './dataKey';

/**
 * The store sops picks for a path (formats.FormatForPath): .yaml/.yml, .json, .env, .ini, and
 * binary for anything else. Example: storeOfPath('kubernetes/app/secret.sops.yaml') → 'yaml'.
 */
export function storeOfPath(path: string): SopsStore {
  if (path.endsWith('.yaml') || path.endsWith('.yml')) return 'yaml';
  if (path.endsWith('.json')) return 'json';
  if (path.endsWith('.env')) return 'dotenv';
  if (path.endsWith('.ini')) return 'ini';
  return 'binary';
}

const ENCRYPTED_MARKERS: Record<SopsStore, RegExp> = {
  yaml: /^sops:[ \t]*(?:#.*)?\r?$/m,
  json: /"sops"\s*:\s*\{/,
  binary: /"sops"\s*:\s*\{/,
  dotenv: /^sops_(?:mac|lastmodified|version)=/m,
  ini: /^[ \t]*\[sops\]/m,
};

/**
 * A cheap look for sops metadata (no parsing): true when the text has the store's metadata marker
 * (a top-level `sops:` key, a "sops" object, sops_* lines, a [sops] section). Example:
 * isSopsEncrypted('a: ENC[…]\nsops:\n  mac: …\n', 'yaml') → true.
 */
export function isSopsEncrypted(text: string, store: SopsStore): boolean {
  return ENCRYPTED_MARKERS[store].test(text);
}

function readTree(text: string, store: SopsStore): TreeMap[] {
  switch (store) {
    case 'yaml':
      return readYamlTree(text);
    case 'json':
    case 'binary':
      return readJsonTree(text);
    case 'dotenv':
      return readDotenvTree(text);
    case 'ini':
      return readIniTree(text);
  }
}

function writeTree(branches: TreeMap[], store: SopsStore, indent: number | undefined): string {
  switch (store) {
    case 'yaml':
      return writeYamlTree(branches, indent ?? DEFAULT_YAML_INDENT);
    case 'json':
    case 'binary':
      return writeJsonTree(branches, indent);
    case 'dotenv':
      return writeDotenvTree(branches);
    case 'ini':
      return writeIniTree(branches);
  }
}

/**
 * The metadata of an encrypted file, or undefined when it has none (a plaintext file). Throws
 * SopsError 'parse' when the text is not valid in its store (except binary: anything that is not
 * a sops JSON document is a plaintext binary file) or the metadata is malformed.
 * Example: readSopsMetadata(text, 'yaml')?.age[0].recipient → 'age1…'.
 */
export function readSopsMetadata(text: string, store: SopsStore): SopsMetadata | undefined {
  let branches: TreeMap[];
  try {
    branches = readTree(text, store);
  } catch (error) {
    if (store === 'binary') return undefined;
    throw error;
  }
  const tree = extractMetadataTree(branches, store);
  return tree ? metadataFromTree(tree) : undefined;
}

export interface DecryptOptions {
  /** Skip the MAC check (sops --ignore-mac); values still have to authenticate. */
  ignoreMac?: boolean;
  /** YAML: spaces per level of the output (sops default 4); JSON: -1 (tab, default) or spaces. */
  indent?: number;
}

export interface DecryptResult {
  /** The file in its store without the metadata, as `sops decrypt` writes it. */
  plaintext: string;
  /** The same as bytes; for a binary file the exact bytes (which need not be UTF-8). */
  bytes: Uint8Array;
  metadata: SopsMetadata;
}

function checkDataKey(dataKey: Uint8Array): void {
  if (dataKey.length !== DATA_KEY_SIZE) throw new SopsError('parse', `a sops data key is ${DATA_KEY_SIZE} bytes, not ${dataKey.length}`);
}

/** Checks the stored MAC against the computed one (sops' DecryptTree); returns the MAC's IV. */
function verifyMac(metadata: SopsMetadata, computed: string, dataKey: Uint8Array, ignoreMac: boolean): { additionalData: string; iv?: Buffer } {
  const additionalData = normalizeLastModified(metadata.lastmodified);
  if (additionalData === undefined) throw new SopsError('parse', 'lastmodified in the sops metadata is not an RFC 3339 time');
  if (ignoreMac) return { additionalData };
  if (metadata.mac === '') throw new SopsError('no-mac', 'the file has no MAC; it cannot be trusted (sops refuses it without --ignore-mac)');
  const parsed = parseEncryptedValue(metadata.mac);
  const stored = parsed ? openValue(parsed, dataKey, additionalData) : undefined;
  if (!stored) throw new SopsError('mac-mismatch', 'the MAC cannot be decrypted with this data key: the file was tampered with or lastmodified changed');
  if (stored.toString('utf8') !== computed) {
    throw new SopsError('mac-mismatch', 'MAC mismatch: the values, their order or their key paths changed since the file was encrypted');
  }
  return { additionalData, iv: parsed!.iv };
}

interface DecryptedTree {
  branches: TreeMap[];
  metadata: SopsMetadata;
  metadataTree: TreeMap;
  binaryBytes?: Buffer;
}

interface ParsedEncrypted {
  branches: TreeMap[];
  metadata: SopsMetadata;
  metadataTree: TreeMap;
}

function parseEncrypted(text: string, store: SopsStore): ParsedEncrypted {
  let branches: TreeMap[];
  try {
    branches = readTree(text, store);
  } catch (error) {
    if (store === 'binary' && error instanceof SopsError) throw new SopsError('not-encrypted', 'the file is not a sops-encrypted binary file');
    throw error;
  }
  const metadataTree = extractMetadataTree(branches, store);
  if (!metadataTree) throw new SopsError('not-encrypted', 'the file has no sops metadata: it is not encrypted');
  return { branches, metadataTree, metadata: metadataFromTree(metadataTree) };
}

function decryptToTree(text: string | ParsedEncrypted, store: SopsStore, dataKey: Uint8Array, ignoreMac: boolean, onLeaf?: (additionalData: string, value: TreeScalar | TreeComment, iv: Buffer) => void): DecryptedTree {
  checkDataKey(dataKey);
  const { branches, metadataTree, metadata } = typeof text === 'string' ? parseEncrypted(text, store) : text;
  const rule = effectiveRule(metadata);
  let binaryBytes: Buffer | undefined;
  const { mac } = decryptTree(branches, rule, dataKey, (additionalData, value, iv, plaintext) => {
    if (store === 'binary' && additionalData === 'data:') binaryBytes = plaintext;
    onLeaf?.(additionalData, value, iv);
  });
  const verified = verifyMac(metadata, mac, dataKey, ignoreMac);
  if (verified.iv) onLeaf?.(verified.additionalData, mac, verified.iv);
  return { branches, metadata, metadataTree, binaryBytes };
}

/**
 * Decrypts a sops file with its data key and verifies the MAC. Throws SopsError with code
 * 'not-encrypted', 'value-auth', 'no-mac', 'mac-mismatch', 'parse' or 'unsupported'; messages never
 * hold values or keys. Example: decryptSops(text, 'yaml', key).plaintext → 'stringData:\n    token: …'.
 */
export function decryptSops(text: string, store: SopsStore, dataKey: Uint8Array, options: DecryptOptions = {}): DecryptResult {
  return decryptedResult(decryptToTree(text, store, dataKey, options.ignoreMac === true), store, options);
}

function decryptedResult({ branches, metadata, binaryBytes }: DecryptedTree, store: SopsStore, options: DecryptOptions): DecryptResult {
  if (store === 'binary') {
    const bytes = binaryBytes ?? Buffer.from(binaryText(branches), 'utf8');
    return { plaintext: bytes.toString('utf8'), bytes: new Uint8Array(bytes), metadata };
  }
  const plaintext = writeTree(branches, store, options.indent);
  return { plaintext, bytes: new Uint8Array(Buffer.from(plaintext, 'utf8')), metadata };
}

/**
 * decryptSops with age identities instead of a data key, reading the file once: the data key is
 * unwrapped from the first age entry an identity opens (key-file text accepted) and returned for
 * a later re-encryption. Throws SopsError 'no-key' when no identity opens the file, besides the
 * codes of decryptSops. Example: await decryptSopsWithIdentities(text, 'yaml', [ageKeyFileText]).
 */
export async function decryptSopsWithIdentities(text: string, store: SopsStore, ageIdentities: readonly string[], options: DecryptOptions = {}): Promise<DecryptResult & { dataKey: Uint8Array }> {
  const parsed = parseEncrypted(text, store);
  const dataKey = await unwrapDataKey(parsed.metadata, ageIdentities);
  if (!dataKey) {
    const kinds = [parsed.metadata.age.length > 0 ? 'age' : '', parsed.metadata.pgp.length > 0 ? 'pgp' : '', ...Object.keys(parsed.metadata.otherKeys)].filter(Boolean);
    throw new SopsError('no-key', `none of the given age identities opens this file (it is encrypted for: ${kinds.join(', ') || 'no known key type'})`);
  }
  return { ...decryptedResult(decryptToTree(parsed, store, dataKey, options.ignoreMac === true), store, options), dataKey };
}

export interface EncryptOptions {
  /** The data key; a random 32-byte key when absent. */
  dataKey?: Uint8Array;
  /** Which values to encrypt (the creation rule's options); none set means unencrypted_suffix _unencrypted. */
  rule: CryptRule;
  /** age recipients (age1… or age1pq1…) to wrap the data key for. */
  ageRecipients: readonly string[];
  /** YAML: spaces per level (sops default 4; cluster-template uses 2); JSON: -1 (tab) or spaces. */
  indent?: number;
  /** The time written as lastmodified (now when absent). */
  now?: Date;
  /**
   * The previous encrypted version of the same file and its data key (sops edit): the data key is
   * reused, unchanged values keep their IVs and ciphertext, wrapped keys for recipients still
   * listed are kept, and PGP/KMS/… entries (which wrap the same key) are carried over.
   */
  previous?: { text: string; dataKey: Uint8Array };
}

/**
 * Encrypts a plaintext file for age recipients, as `sops encrypt` does. Refuses a file that
 * already has sops metadata ('already-encrypted'); 'invalid-rule' for a bad rule or no recipient.
 * Example: await encryptSops('stringData:\n  token: x\n', 'yaml', { rule: { encrypted_regex:
 * '^(data|stringData)$', mac_only_encrypted: true }, ageRecipients: ['age1…'], indent: 2 }).
 */
export async function encryptSops(plaintext: string | Uint8Array, store: SopsStore, options: EncryptOptions): Promise<string> {
  const rule = effectiveRule(options.rule);
  let branches: TreeMap[];
  if (store === 'binary') {
    const bytes = typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : Buffer.from(plaintext);
    if (isSopsEncrypted(bytes.toString('utf8'), 'binary') && readSopsMetadata(bytes.toString('utf8'), 'binary')) {
      throw new SopsError('already-encrypted', 'the file already has sops metadata: it is encrypted already');
    }
    branches = [new TreeMap([{ key: 'data', value: new GoBytes(bytes) }])];
  } else {
    const text = typeof plaintext === 'string' ? plaintext : Buffer.from(plaintext).toString('utf8');
    branches = readTree(text, store);
    if (branches.length === 0) throw new SopsError('parse', 'the file is empty: sops needs at least one document');
    if (hasMetadataEntry(branches, store)) {
      throw new SopsError('already-encrypted', `the file already has sops metadata (a top-level '${store === 'dotenv' ? 'sops_' : 'sops'}' entry): it is encrypted already`);
    }
  }

  let dataKey = options.dataKey ?? randomBytes(DATA_KEY_SIZE);
  let ivStash: Map<string, Buffer> | undefined;
  let previousAge: SopsAgeKey[] = [];
  let keptEntries: ReturnType<typeof keptKeyEntries> = [];
  if (options.previous) {
    dataKey = options.previous.dataKey;
    const stash = new Map<string, Buffer>();
    const previous = decryptToTree(options.previous.text, store, dataKey, false, (additionalData, value, iv) => stash.set(stashKey(additionalData, value), iv));
    ivStash = stash;
    previousAge = previous.metadata.age;
    keptEntries = keptKeyEntries(previous.metadataTree);
  }
  checkDataKey(dataKey);
  if (options.ageRecipients.length === 0 && keptEntries.length === 0) {
    throw new SopsError('invalid-rule', 'no age recipient to encrypt the data key for');
  }

  const mac = encryptTree(branches, rule, dataKey, { ivStash });
  const lastmodified = formatRfc3339Utc(options.now ?? new Date());
  // Like sops edit, an unchanged MAC under an unchanged lastmodified keeps its IV.
  const encryptedMac = encryptLeaf(mac, dataKey, lastmodified, ivStash?.get(stashKey(lastmodified, mac)));
  const fresh = options.ageRecipients.filter((recipient) => !previousAge.some((entry) => entry.recipient === recipient.trim()));
  const wrapped = await wrapDataKey(dataKey, fresh);
  const age = options.ageRecipients.map((raw) => {
    const recipient = raw.trim();
    return previousAge.find((entry) => entry.recipient === recipient) ?? wrapped.find((entry) => entry.recipient === recipient)!;
  });
  const metadata = buildMetadataTree({ ...rule, age, lastmodified, mac: encryptedMac, version: SOPS_FORMAT_VERSION, keptEntries });
  attachMetadata(branches, store, metadata);
  return writeTree(branches, store, options.indent);
}
