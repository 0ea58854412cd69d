// Diagnostics of `*.sops.*` files from facts the SOPS session gathered (encrypted or not, the MAC
// verdict, the matching creation rule, whether an age key exists). Pure: text + facts in, LSP
// diagnostics out. Messages name paths and keys only, never a value or key material.
import { Diagnostic, DiagnosticSeverity, Range } from 'vscode-languageserver-types';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';

export const SOPS_SOURCE = 'sops';

/** Diagnostic codes; the code actions service keys its fixes on them. */
export const SopsCode = {
  plaintext: 'sops-plaintext-secret',
  macMismatch: 'sops-mac-mismatch',
  valueTampered: 'sops-value-tampered',
  noMac: 'sops-no-mac',
  brokenMetadata: 'sops-broken-metadata',
  noCreationRule: 'sops-no-creation-rule',
  noAgeKey: 'sops-no-age-key',
  notRecipient: 'sops-not-a-recipient',
} as const;

/** The file formats sops knows (`--input-type`); anything else is the binary store. */
export type SopsStoreKind = 'yaml' | 'json' | 'dotenv' | 'ini' | 'binary';

/** What decrypting an encrypted file with the identities found said. */
export type SopsVerification =
  | { kind: 'ok' }
  | { kind: 'mac-mismatch' }
  | { kind: 'no-mac' }
  /** A value failed AES-GCM authentication; `keyPath` names it when known (mapping keys, list items skipped). */
  | { kind: 'value-tampered'; keyPath?: string[] }
  /** The file has age recipients but none of the identities found is one of them. */
  | { kind: 'not-a-recipient' };

export interface SopsFileFacts {
  /** Path relative to the workspace folder, with '/'. */
  relativePath: string;
  store: SopsStoreKind;
  /** plaintext: no sops metadata. broken: sops metadata that cannot be read (reason says why, without values). */
  state: { kind: 'plaintext' } | { kind: 'encrypted' } | { kind: 'broken'; reason: string };
  /** For an encrypted file; absent when it was not checked (restricted mode, no key, a key type we do not implement). */
  verification?: SopsVerification;
  /**
   * The nearest .sops.yaml and the creation rule it gives this path. unusable: sops would stop on
   * the config or the rule (the message says why, with the .sops.yaml line).
   */
  creationRule: { kind: 'matched' } | { kind: 'unmatched' } | { kind: 'no-config' } | { kind: 'unusable'; message: string };
  /** Where age identities were looked for; absent when not checked (restricted mode). */
  ageKey?: { isFound: boolean; searched: string[] };
  /** The workspace folder (uri) where "Generate age key" would create age.key. */
  folderUri: string;
}

/** Data of the no-age-key diagnostic, for its quick fix. */
export interface NoAgeKeyData {
  folderUri: string;
}

/**
 * The problems of one secret file.
 * @example collectSopsDiagnostics('stringData:\n  token: abc\n', { state: { kind: 'plaintext' }, … })
 *   → [{ severity: Error, message: 'plaintext secret: encrypt before committing', range: line 0 }]
 */
export function collectSopsDiagnostics(text: string, facts: SopsFileFacts): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const head = firstContentLine(text);
  const add = (range: Range, severity: DiagnosticSeverity, code: string, message: string, data?: unknown): void => {
    const diagnostic: Diagnostic = { range, severity, source: SOPS_SOURCE, code, message };
    if (data !== undefined) diagnostic.data = data;
    diagnostics.push(diagnostic);
  };

  if (facts.state.kind === 'plaintext') {
    add(head, DiagnosticSeverity.Error, SopsCode.plaintext, 'plaintext secret: encrypt before committing');
  } else if (facts.state.kind === 'broken') {
    add(locateMetadata(text, facts.store, ['sops']) ?? head, DiagnosticSeverity.Error, SopsCode.brokenMetadata, `The sops metadata cannot be read: ${facts.state.reason}`);
  } else {
    const verification = facts.verification;
    if (verification?.kind === 'mac-mismatch') {
      add(
        locateMetadata(text, facts.store, ['sops', 'mac']) ?? head,
        DiagnosticSeverity.Error,
        SopsCode.macMismatch,
        'MAC mismatch: this secret was changed outside sops, so sops and Flux refuse to decrypt it. Restore it from git, or render and encrypt it again.',
      );
    } else if (verification?.kind === 'value-tampered') {
      const where = verification.keyPath?.length ? ` (${verification.keyPath.join('.')})` : '';
      add(
        (verification.keyPath && locateKey(text, facts.store, verification.keyPath)) ?? head,
        DiagnosticSeverity.Error,
        SopsCode.valueTampered,
        `MAC check failed: an encrypted value${where} was changed outside sops, so sops and Flux refuse to decrypt this file. Restore it from git, or render and encrypt it again.`,
      );
    } else if (verification?.kind === 'no-mac') {
      add(
        locateMetadata(text, facts.store, ['sops']) ?? head,
        DiagnosticSeverity.Error,
        SopsCode.noMac,
        'The sops metadata has no MAC: sops and Flux refuse to decrypt this file. Restore it from git, or render and encrypt it again.',
      );
    } else if (verification?.kind === 'not-a-recipient') {
      add(
        locateMetadata(text, facts.store, ['sops', 'age']) ?? head,
        DiagnosticSeverity.Warning,
        SopsCode.notRecipient,
        'None of the age keys found is a recipient of this file: it cannot be decrypted or checked here. Use the age.key it was encrypted for.',
      );
    }
  }

  const rule = facts.creationRule;
  if (rule.kind !== 'matched') {
    const message =
      rule.kind === 'no-config'
        ? 'No .sops.yaml with creation rules above this file: sops does not know how to encrypt it. Render .sops.yaml (task configure) first.'
        : rule.kind === 'unmatched'
          ? 'No creation rule in .sops.yaml matches this path, so sops cannot encrypt it: move the file or add a rule.'
          : `sops cannot encrypt this file with its .sops.yaml: ${rule.message}`;
    add(head, DiagnosticSeverity.Warning, SopsCode.noCreationRule, message);
  }

  if (facts.ageKey && !facts.ageKey.isFound) {
    const looked = facts.ageKey.searched.length > 0 ? ` Looked in: ${facts.ageKey.searched.join(', ')}.` : '';
    const data: NoAgeKeyData = { folderUri: facts.folderUri };
    add(
      head,
      DiagnosticSeverity.Warning,
      SopsCode.noAgeKey,
      `No age key found: secrets cannot be decrypted or checked, and .sops.yaml has no recipient to render.${looked} Generate one with "Cluster Template: Generate age Key".`,
      data,
    );
  }
  return diagnostics;
}

/** The first line that is not blank, a comment or a document marker (the whole line), else line 0. */
function firstContentLine(text: string): Range {
  const lines = text.split(/\r\n|\r|\n/);
  let index = lines.findIndex((line) => line.trim() !== '' && !/^\s*(#|---\s*$|;)/.test(line));
  if (index < 0) index = 0;
  const line = lines[index] ?? '';
  const indent = line.length - line.trimStart().length;
  return Range.create(index, indent, index, line.length);
}

/** The key of a metadata entry: `sops.mac` in YAML/JSON, `sops_mac=` in dotenv, `mac` under `[sops]` in INI. */
function locateMetadata(text: string, store: SopsStoreKind, path: string[]): Range | undefined {
  if (store === 'dotenv') return locateDotenvKey(text, path.join('_'));
  if (store === 'ini') return path.length === 1 ? locateIniSection(text, 'sops') : locateIniKey(text, 'sops', path[path.length - 1]);
  return locateTreeKey(text, path);
}

/** The key of a data entry named by its path of mapping keys. */
function locateKey(text: string, store: SopsStoreKind, keyPath: string[]): Range | undefined {
  if (store === 'dotenv') return locateDotenvKey(text, keyPath[keyPath.length - 1]);
  if (store === 'ini') return keyPath.length >= 2 ? locateIniKey(text, keyPath[0], keyPath[keyPath.length - 1]) : undefined;
  return locateTreeKey(text, keyPath);
}

/**
 * A key in YAML or JSON (JSON parses as YAML) by its path of mapping keys; list items are walked
 * through, as sops's key paths skip them. The first match in document order wins.
 */
function locateTreeKey(text: string, path: string[]): Range | undefined {
  const lineCounter = new LineCounter();
  let document;
  try {
    document = parseDocument(text, { lineCounter, keepSourceTokens: false, uniqueKeys: false });
  } catch {
    // Unparseable text: the caller falls back to the first line.
    return undefined;
  }
  const find = (node: unknown, depth: number): [number, number] | undefined => {
    if (isSeq(node)) {
      for (const item of node.items) {
        const found = find(item, depth);
        if (found) return found;
      }
      return undefined;
    }
    if (!isMap(node)) return undefined;
    for (const pair of node.items) {
      const key = pair.key as YamlNode | null;
      if (!isScalar(key) || String(key.value) !== path[depth] || !key.range) continue;
      if (depth === path.length - 1) return [key.range[0], key.range[1]];
      const found = find(pair.value, depth + 1);
      if (found) return found;
    }
    return undefined;
  };
  const span = find(document.contents, 0);
  if (!span) return undefined;
  const start = lineCounter.linePos(span[0]);
  const end = lineCounter.linePos(span[1]);
  return Range.create(start.line - 1, start.col - 1, end.line - 1, end.col - 1);
}

function locateDotenvKey(text: string, key: string): Range | undefined {
  const lines = text.split(/\r\n|\r|\n/);
  const index = lines.findIndex((line) => line.startsWith(`${key}=`) || line.startsWith(`${key} =`));
  return index < 0 ? undefined : Range.create(index, 0, index, key.length);
}

function locateIniSection(text: string, section: string): Range | undefined {
  const lines = text.split(/\r\n|\r|\n/);
  const index = lines.findIndex((line) => line.trim() === `[${section}]`);
  return index < 0 ? undefined : Range.create(index, 0, index, lines[index].length);
}

function locateIniKey(text: string, section: string, key: string): Range | undefined {
  const lines = text.split(/\r\n|\r|\n/);
  let current = '';
  for (let index = 0; index < lines.length; index++) {
    const header = /^\s*\[(.*)\]\s*$/.exec(lines[index]);
    if (header) {
      current = header[1];
      continue;
    }
    const entry = /^(\s*)([^=;#]+?)\s*=/.exec(lines[index]);
    if (current === section && entry && entry[2] === key) return Range.create(index, entry[1].length, index, entry[1].length + key.length);
  }
  return undefined;
}
