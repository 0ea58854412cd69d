// `.sops.yaml`: reading creation rules and stores options, finding the nearest config above a
// file and choosing the rule that applies to it, as sops 3.7–3.13 does (config/config.go). Also
// translates Go RE2 regular expressions, which path_regex and encrypted_regex are, to JavaScript.
// Pure: text in, data out; files only through the FileReader. Problems are data, never thrown.
import * as path from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node as YamlNode, type Pair, type Scalar } from 'yaml';
import type { FileReader } from '../../host/fileReader';
import { bech32Decode, isAgeRecipient } from './ageKey';
import type { CryptRule } from './sopsFormat';
import { compileGoRegex } from './goRegex';

export const SOPS_CONFIG_NAME = '.sops.yaml';
/** sops does not read this name; it only warns that it ignored it (config.LookupConfigFile). */
const ALTERNATE_CONFIG_NAME = '.sops.yml';
/** How many folders sops climbs looking for its config (config.maxDepth). */
const MAX_CONFIG_DEPTH = 100;

export interface SopsConfigProblem {
  message: string;
  /** error: sops refuses the config (or this rule, when a file uses it); warning: accepted but suspicious or ignored. */
  severity: 'error' | 'warning';
  code: string;
  /** UTF-16 offsets into the .sops.yaml text. */
  start: number;
  end: number;
  /** 0-based line and column of `start`. */
  line: number;
  column: number;
}

/** Key types sops supports that the native engine does not: the CLI engine handles them. */
export type ForeignKeyType = 'pgp' | 'kms' | 'gcp_kms' | 'hckms' | 'azure_keyvault' | 'hc_vault_transit_uri' | 'key_groups' | 'age_ssh' | 'age_plugin';

/** The options that choose which values are encrypted (sops allows at most one of the first six). */
export interface PartialEncryptionOptions {
  encryptedRegex?: string;
  unencryptedRegex?: string;
  encryptedSuffix?: string;
  unencryptedSuffix?: string;
  encryptedCommentRegex?: string;
  unencryptedCommentRegex?: string;
  macOnlyEncrypted: boolean;
}

export interface SopsCreationRule extends PartialEncryptionOptions {
  /** Position in creation_rules (0-based). */
  index: number;
  /** 0-based line of the rule's first key, for diagnostics. */
  line: number;
  /** Absent or empty: the rule matches every file. */
  pathRegex?: string;
  /** age recipients the native engine encrypts for (X25519 `age1…`, post-quantum `age1pq1…`), in the order sops uses them. */
  ageRecipients: string[];
  /** Key types this rule asks for that only the sops binary can use; empty when the native engine suffices. */
  foreignKeyTypes: ForeignKeyType[];
  shamirThreshold?: number;
  /** Problems that make sops refuse to encrypt with this rule (it still loads the config). */
  problems: SopsConfigProblem[];
}

export interface SopsStoresOptions {
  /** stores.yaml.indent; sops writes 4 when unset or 0. */
  yamlIndent?: number;
  /** stores.json.indent; sops's default (-1) is a tab-free 4-space layout. */
  jsonIndent?: number;
  /** stores.json_binary.indent. */
  jsonBinaryIndent?: number;
}

export interface SopsConfig {
  /** Absolute path of the .sops.yaml. */
  configPath: string;
  /** The folder path_regex is relative to. */
  folder: string;
  /** False when the file has no creation_rules at all: sops then behaves as if there were no config. */
  hasCreationRules: boolean;
  rules: SopsCreationRule[];
  stores: SopsStoresOptions;
  /** Every problem, config-wide and per rule, in text order. */
  problems: SopsConfigProblem[];
  /** True when sops could not load the file at all (broken YAML, a value of the wrong type). */
  isUnloadable: boolean;
}

export interface FoundSopsConfig {
  config: SopsConfig;
  /** Set when a `.sops.yml` was passed over on the way (sops ignores that name). */
  note?: string;
}

export type CreationRuleMatch =
  | { kind: 'matched'; rule: SopsCreationRule; relativePath: string }
  /** The rule that matched cannot be used (two partial-encryption options, a bad recipient...). */
  | { kind: 'unusable-rule'; rule: SopsCreationRule; relativePath: string; message: string }
  /** A path_regex before any match is not a valid Go regular expression: sops stops there. */
  | { kind: 'invalid-regex'; rule: SopsCreationRule; relativePath: string; message: string }
  | { kind: 'no-match'; relativePath: string }
  /** The config has no creation_rules: sops needs keys on its command line instead. */
  | { kind: 'no-creation-rules' }
  | { kind: 'unloadable-config'; message: string };

// ---------------------------------------------------------------------------------------------
// Go RE2 → JavaScript.
// The output always uses the `u` flag (code points, like Go's runes) and never `i`, `m` or `s`:
// Go scopes those flags to groups, so case folding, multi-line anchors and dot-all are spelled
// out in the translated pattern instead (regexp/syntax with the Perl flags regexp.Compile uses).
// ---------------------------------------------------------------------------------------------

const PARTIAL_ENCRYPTION_KEYS = {
  unencrypted_suffix: 'unencryptedSuffix',
  encrypted_suffix: 'encryptedSuffix',
  unencrypted_regex: 'unencryptedRegex',
  encrypted_regex: 'encryptedRegex',
  unencrypted_comment_regex: 'unencryptedCommentRegex',
  encrypted_comment_regex: 'encryptedCommentRegex',
} as const;

/** Key fields that take a string (comma-separated) or a list of strings. */
const KEY_LIST_FIELDS = ['age', 'pgp', 'kms', 'gcp_kms', 'azure_keyvault', 'hc_vault_transit_uri'] as const;

const TOP_LEVEL_KEYS = new Set(['creation_rules', 'destination_rules', 'stores']);
const STORE_NAMES = new Set(['yaml', 'json', 'json_binary', 'dotenv', 'ini']);

// yaml.v3 still reads YAML 1.1 booleans into a Go bool field, which mac_only_encrypted is.
const YAML11_BOOLEANS: Record<string, boolean> = {
  y: true, Y: true, yes: true, Yes: true, YES: true, on: true, On: true, ON: true,
  n: false, N: false, no: false, No: false, NO: false, off: false, Off: false, OFF: false,
};

class ConfigReader {
  readonly problems: SopsConfigProblem[] = [];
  isUnloadable = false;

  constructor(
    private readonly text: string,
    private readonly lineCounter: LineCounter,
  ) {}

  /** 0-based line of an offset. */
  lineOf(offset: number): number {
    return this.lineCounter.linePos(Math.min(offset, this.text.length)).line - 1;
  }

  problemAt(start: number, end: number, severity: SopsConfigProblem['severity'], code: string, message: string): SopsConfigProblem {
    const position = this.lineCounter.linePos(Math.min(start, this.text.length));
    const problem: SopsConfigProblem = { message, severity, code, start, end: Math.max(end, start), line: position.line - 1, column: position.col - 1 };
    this.problems.push(problem);
    return problem;
  }

  problem(node: YamlNode | Pair | null | undefined, severity: SopsConfigProblem['severity'], code: string, message: string): SopsConfigProblem {
    const range = rangeOf(node);
    return this.problemAt(range[0], range[1], severity, code, message);
  }

  /** A value of a type yaml.v3 cannot put in sops' Go struct: sops fails to load the whole file. */
  typeError(node: YamlNode | null | undefined, key: string, expected: string): void {
    this.isUnloadable = true;
    this.problem(node, 'error', 'sops-config-type', `${key} must be ${expected}; sops cannot load this .sops.yaml.`);
  }

  /** A Go string field: any scalar's text (yaml.v3 accepts numbers and booleans there); null is "". */
  stringField(node: YamlNode | null | undefined, key: string): string | undefined {
    if (node === null || node === undefined) return undefined;
    if (!isScalar(node)) {
      this.typeError(node, key, 'a string');
      return undefined;
    }
    if (node.value === null) return undefined;
    return typeof node.value === 'string' ? node.value : (node.source ?? String(node.value));
  }

  booleanField(node: YamlNode | null | undefined, key: string): boolean | undefined {
    if (node === null || node === undefined || (isScalar(node) && node.value === null)) return undefined;
    if (isScalar(node) && typeof node.value === 'boolean') return node.value;
    if (isScalar(node) && node.type === 'PLAIN' && typeof node.value === 'string' && node.value in YAML11_BOOLEANS) return YAML11_BOOLEANS[node.value];
    this.typeError(node, key, 'true or false');
    return undefined;
  }

  integerField(node: YamlNode | null | undefined, key: string): number | undefined {
    if (node === null || node === undefined || (isScalar(node) && node.value === null)) return undefined;
    if (isScalar(node) && typeof node.value === 'number' && Number.isInteger(node.value)) return node.value;
    this.typeError(node, key, 'a whole number');
    return undefined;
  }
}

function rangeOf(node: YamlNode | Pair | null | undefined): [number, number] {
  if (!node) return [0, 0];
  if ('range' in node && node.range) return [node.range[0], node.range[1]];
  const pair = node as Pair;
  const keyRange = rangeOf(pair.key as YamlNode | null);
  const valueRange = pair.value ? rangeOf(pair.value as YamlNode) : keyRange;
  return [keyRange[0], Math.max(keyRange[1], valueRange[1])];
}

function keyText(pair: Pair): string {
  return isScalar(pair.key) ? String((pair.key as Scalar).value) : '';
}

/** The strings of a key field: a comma-separated string, or a list whose items are split again (sops joins then splits). */
function keyListOf(reader: ConfigReader, node: YamlNode | null | undefined, key: string, ruleProblems: SopsConfigProblem[]): { values: string[]; hasEmptyItem: boolean } {
  if (node === null || node === undefined || (isScalar(node) && node.value === null)) return { values: [], hasEmptyItem: false };
  if (isScalar(node)) {
    if (typeof node.value !== 'string') {
      ruleProblems.push(reader.problem(node, 'error', 'sops-config-key', `${key} must be a string or a list of strings.`));
      return { values: [], hasEmptyItem: false };
    }
    // String form: empty items (a trailing comma) are dropped (config.parseKeyField).
    return { values: node.value.split(',').map((item) => item.trim()).filter((item) => item !== ''), hasEmptyItem: false };
  }
  if (isSeq(node)) {
    const values: string[] = [];
    let hasEmptyItem = false;
    for (const item of node.items as (YamlNode | null)[]) {
      if (!isScalar(item) || typeof item.value !== 'string') {
        ruleProblems.push(reader.problem(item, 'error', 'sops-config-key', `every item of ${key} must be a string.`));
        continue;
      }
      // List form: the items are joined with commas and split again, so an empty item is an error.
      for (const part of item.value.split(',')) {
        if (part.trim() === '') hasEmptyItem = true;
        else values.push(part.trim());
      }
    }
    return { values, hasEmptyItem };
  }
  ruleProblems.push(reader.problem(node, 'error', 'sops-config-key', `${key} must be a string or a list of strings.`));
  return { values: [], hasEmptyItem: false };
}

type RecipientKind = 'x25519' | 'pq' | 'plugin' | 'ssh' | 'invalid';

/** What kind of age recipient sops would parse `text` as (age.parseRecipient). */
export function ageRecipientKind(text: string): RecipientKind {
  if (text.startsWith('age1pq1')) return bech32Decode(text)?.hrp === 'age1pq' ? 'pq' : 'invalid';
  if (text.startsWith('age1') && text.split('1').length - 1 > 1 && !isAgeRecipient(text)) return 'plugin';
  if (text.startsWith('age1')) return isAgeRecipient(text) ? 'x25519' : 'invalid';
  if (text.startsWith('ssh-')) return 'ssh';
  return 'invalid';
}

function readRule(reader: ConfigReader, node: YamlNode | null, index: number): SopsCreationRule {
  const range = rangeOf(node);
  const rule: SopsCreationRule = {
    index,
    line: reader.lineOf(range[0]),
    ageRecipients: [],
    foreignKeyTypes: [],
    macOnlyEncrypted: false,
    problems: [],
  };
  if (!isMap(node)) {
    if (node !== null && !(isScalar(node) && node.value === null)) reader.typeError(node, `creation_rules[${index}]`, 'a mapping');
    return rule;
  }
  const foreign = new Set<ForeignKeyType>();
  const partialOptions: Pair[] = [];
  for (const pair of node.items as Pair<YamlNode, YamlNode | null>[]) {
    const key = keyText(pair);
    const value = pair.value;
    if (key === 'path_regex') {
      const pattern = reader.stringField(value, key);
      if (pattern) {
        rule.pathRegex = pattern;
        const compiled = compileGoRegex(pattern);
        if ('error' in compiled) reader.problem(value, 'error', 'sops-config-regex', `path_regex is not a valid Go regular expression (${compiled.error}); sops stops at this rule.`);
      }
    } else if (key in PARTIAL_ENCRYPTION_KEYS) {
      const text = reader.stringField(value, key);
      if (text) {
        rule[PARTIAL_ENCRYPTION_KEYS[key as keyof typeof PARTIAL_ENCRYPTION_KEYS]] = text;
        partialOptions.push(pair);
        if (key.endsWith('_regex')) {
          const compiled = compileGoRegex(text);
          if ('error' in compiled) rule.problems.push(reader.problem(value, 'error', 'sops-config-regex', `${key} is not a valid Go regular expression (${compiled.error}).`));
        }
      }
    } else if (key === 'mac_only_encrypted') {
      rule.macOnlyEncrypted = reader.booleanField(value, key) ?? false;
    } else if (key === 'shamir_threshold') {
      const threshold = reader.integerField(value, key);
      if (threshold !== undefined) rule.shamirThreshold = threshold;
    } else if (key === 'aws_profile') {
      reader.stringField(value, key);
    } else if (key === 'key_groups') {
      if (value !== null && !(isScalar(value) && value.value === null)) {
        if (!isSeq(value)) reader.typeError(value, key, 'a list of key groups');
        else if (value.items.length > 0) foreign.add('key_groups');
      }
    } else if (key === 'hckms') {
      if (value !== null && !(isScalar(value) && value.value === null)) {
        if (!isSeq(value)) reader.typeError(value, key, 'a list of strings');
        else if (value.items.length > 0) foreign.add('hckms');
      }
    } else if ((KEY_LIST_FIELDS as readonly string[]).includes(key)) {
      const { values, hasEmptyItem } = keyListOf(reader, value, key, rule.problems);
      if (hasEmptyItem) rule.problems.push(reader.problem(value, 'error', 'sops-config-key', `${key} has an empty item; sops refuses it.`));
      if (key !== 'age') {
        if (values.length > 0) foreign.add(key as ForeignKeyType);
        continue;
      }
      for (const recipient of values) {
        const kind = ageRecipientKind(recipient);
        if (kind === 'x25519' || kind === 'pq') rule.ageRecipients.push(recipient);
        else if (kind === 'plugin') foreign.add('age_plugin');
        else if (kind === 'ssh') foreign.add('age_ssh');
        else rule.problems.push(reader.problem(value, 'error', 'sops-config-recipient', `${shortened(recipient)} is not an age recipient (age1 followed by 58 characters).`));
      }
    } else if (key !== '') {
      reader.problem(pair.key as YamlNode, 'warning', 'sops-config-unknown-key', `Unknown key ${key} in a creation rule: sops ignores it.`);
    }
  }
  if (partialOptions.length > 1) {
    for (const pair of partialOptions.slice(1)) {
      rule.problems.push(
        reader.problem(pair, 'error', 'sops-config-partial-options', 'A rule may use only one of encrypted_suffix, unencrypted_suffix, encrypted_regex, unencrypted_regex, encrypted_comment_regex and unencrypted_comment_regex; sops refuses this rule.'),
      );
    }
  }
  rule.foreignKeyTypes = [...foreign];
  return rule;
}

/** A recipient shown in a message: recipients are public, but a mistyped secret key must not be echoed. */
function shortened(text: string): string {
  if (/^AGE-SECRET-KEY-/i.test(text)) return 'An age secret key (AGE-SECRET-KEY-…)';
  return text.length > 24 ? `${text.slice(0, 20)}…` : text;
}

function readStores(reader: ConfigReader, node: YamlNode | null | undefined, stores: SopsStoresOptions): void {
  if (node === null || node === undefined || (isScalar(node) && node.value === null)) return;
  if (!isMap(node)) {
    reader.typeError(node, 'stores', 'a mapping');
    return;
  }
  for (const pair of node.items as Pair<YamlNode, YamlNode | null>[]) {
    const name = keyText(pair);
    if (!STORE_NAMES.has(name)) {
      reader.problem(pair.key as YamlNode, 'warning', 'sops-config-unknown-key', `Unknown store ${name}: sops ignores it.`);
      continue;
    }
    const options = pair.value;
    if (options === null || (isScalar(options) && options.value === null)) continue;
    if (!isMap(options)) {
      reader.typeError(options, `stores.${name}`, 'a mapping');
      continue;
    }
    for (const option of options.items as Pair<YamlNode, YamlNode | null>[]) {
      const optionName = keyText(option);
      if (optionName === 'indent' && (name === 'yaml' || name === 'json' || name === 'json_binary')) {
        const indent = reader.integerField(option.value, `stores.${name}.indent`);
        if (indent === undefined) continue;
        if (name === 'yaml') stores.yamlIndent = indent;
        else if (name === 'json') stores.jsonIndent = indent;
        else stores.jsonBinaryIndent = indent;
      } else {
        reader.problem(option.key as YamlNode, 'warning', 'sops-config-unknown-key', `Unknown option ${optionName} for the ${name} store: sops ignores it.`);
      }
    }
  }
}

/**
 * Reads a .sops.yaml. Never throws: problems (with offsets and lines) come back as data.
 * @example parseSopsConfig('creation_rules:\n  - path_regex: .*\\.sops\\.yaml\n    age: age1…\n', '/repo/.sops.yaml')
 */
export function parseSopsConfig(text: string, configPath: string): SopsConfig {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const reader = new ConfigReader(text, lineCounter);
  const config: SopsConfig = {
    configPath,
    folder: path.dirname(configPath),
    hasCreationRules: false,
    rules: [],
    stores: {},
    problems: reader.problems,
    isUnloadable: false,
  };
  for (const error of document.errors) {
    reader.isUnloadable = true;
    reader.problemAt(error.pos[0], error.pos[1], 'error', 'sops-config-yaml', `.sops.yaml is not valid YAML: ${error.message.split('\n')[0]}`);
  }
  const root = document.contents as YamlNode | null;
  if (reader.isUnloadable || root === null || (isScalar(root) && root.value === null)) {
    config.isUnloadable = reader.isUnloadable;
    return config;
  }
  if (!isMap(root)) {
    reader.typeError(root, '.sops.yaml', 'a mapping (creation_rules, stores)');
    config.isUnloadable = true;
    return config;
  }
  for (const pair of root.items as Pair<YamlNode, YamlNode | null>[]) {
    const key = keyText(pair);
    const value = pair.value;
    if (key === 'creation_rules') {
      if (value === null || (isScalar(value) && value.value === null)) continue;
      if (!isSeq(value)) {
        reader.typeError(value, key, 'a list of rules');
        continue;
      }
      config.hasCreationRules = true;
      (value.items as (YamlNode | null)[]).forEach((item, index) => config.rules.push(readRule(reader, item, index)));
    } else if (key === 'stores') {
      readStores(reader, value, config.stores);
    } else if (!TOP_LEVEL_KEYS.has(key)) {
      reader.problem(pair.key as YamlNode, 'warning', 'sops-config-unknown-key', `Unknown key ${key}: sops ignores it.`);
    }
  }
  config.problems.sort((a, b) => a.start - b.start);
  config.isUnloadable = reader.isUnloadable;
  return config;
}

/**
 * The nearest .sops.yaml in the file's folder or above it (sops itself starts from the current
 * directory; starting from the file gives the same answer for files inside the repository and
 * the right one when the editor's current directory is elsewhere).
 * @example await findSopsConfig('/repo/kubernetes/apps/x/secret.sops.yaml', reader) // config of /repo/.sops.yaml
 */
export async function findSopsConfig(filePath: string, reader: FileReader): Promise<FoundSopsConfig | undefined> {
  let folder = path.dirname(path.resolve(filePath));
  let alternate: string | undefined;
  for (let depth = 0; depth < MAX_CONFIG_DEPTH; depth++) {
    const configPath = path.join(folder, SOPS_CONFIG_NAME);
    const text = await reader.readText(configPath);
    if (text !== undefined) {
      const found: FoundSopsConfig = { config: parseSopsConfig(text, configPath) };
      if (alternate) found.note = `${alternate} was ignored: sops reads only files named ${SOPS_CONFIG_NAME}.`;
      return found;
    }
    if (alternate === undefined) {
      const alternatePath = path.join(folder, ALTERNATE_CONFIG_NAME);
      if ((await reader.readText(alternatePath)) !== undefined) alternate = alternatePath;
    }
    const parent = path.dirname(folder);
    if (parent === folder) break;
    folder = parent;
  }
  return undefined;
}

/** The path sops matches path_regex against: relative to the config's folder when inside it, with `/` separators. */
export function pathForRules(config: SopsConfig, filePath: string): string {
  const absolute = path.resolve(filePath);
  const prefix = config.folder.endsWith(path.sep) ? config.folder : config.folder + path.sep;
  const relative = absolute.startsWith(prefix) ? absolute.slice(prefix.length) : absolute;
  return relative.split(path.sep).join('/');
}

/**
 * The creation rule sops would use for `filePath`: the first whose path_regex matches (a rule
 * without one matches everything), as config.parseCreationRuleForFile does.
 * @example matchCreationRule(config, '/repo/kubernetes/apps/x/secret.sops.yaml') // { kind: 'matched', rule, relativePath: 'kubernetes/apps/x/secret.sops.yaml' }
 */
export function matchCreationRule(config: SopsConfig, filePath: string): CreationRuleMatch {
  if (config.isUnloadable) {
    const first = config.problems.find((problem) => problem.severity === 'error');
    return { kind: 'unloadable-config', message: `${config.configPath}:${(first?.line ?? 0) + 1}: ${first?.message ?? 'sops cannot load this file.'}` };
  }
  if (!config.hasCreationRules) return { kind: 'no-creation-rules' };
  const relativePath = pathForRules(config, filePath);
  for (const rule of config.rules) {
    if (rule.pathRegex) {
      const compiled = compileGoRegex(rule.pathRegex);
      if ('error' in compiled) return { kind: 'invalid-regex', rule, relativePath, message: `creation rule ${rule.index + 1}: ${compiled.error}` };
      if (!compiled.regex.test(relativePath)) continue;
    }
    const firstProblem = rule.problems.find((problem) => problem.severity === 'error');
    if (firstProblem) return { kind: 'unusable-rule', rule, relativePath, message: `creation rule ${rule.index + 1} (line ${rule.line + 1}): ${firstProblem.message}` };
    return { kind: 'matched', rule, relativePath };
  }
  return { kind: 'no-match', relativePath };
}

/** A rule's partial-encryption options in the format engine's shape (sops' own option names). */
export function cryptRuleOf(rule: PartialEncryptionOptions): CryptRule {
  const cryptRule: CryptRule = {};
  for (const [optionName, field] of Object.entries(PARTIAL_ENCRYPTION_KEYS)) {
    const value = rule[field];
    if (value !== undefined) cryptRule[optionName as keyof typeof PARTIAL_ENCRYPTION_KEYS] = value;
  }
  if (rule.macOnlyEncrypted) cryptRule.mac_only_encrypted = true;
  return cryptRule;
}

/** The partial-encryption options of a rule, as the format engine takes them. */
export function partialEncryptionOf(rule: SopsCreationRule): PartialEncryptionOptions {
  const options: PartialEncryptionOptions = { macOnlyEncrypted: rule.macOnlyEncrypted };
  for (const field of Object.values(PARTIAL_ENCRYPTION_KEYS)) if (rule[field] !== undefined) options[field] = rule[field];
  return options;
}
