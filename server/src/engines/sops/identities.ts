// Where age identities come from, in the order the editor and the command line look: the
// SOPS_AGE_KEY / SOPS_AGE_KEY_FILE environment, our setting, the setting other SOPS extensions
// use, the workspace's age.key, then sops' own keys.txt. Inputs are explicit (no process.env);
// files come through a FileReader. Identities are returned to the caller and never put in a
// message: descriptions carry paths and counts only.
import * as path from 'node:path';
import type { FileReader } from '../../host/fileReader';
import { publicKeyOf } from './ageKey';

export interface IdentitySources {
  /** The environment to read SOPS_AGE_KEY, SOPS_AGE_KEY_FILE and XDG_CONFIG_HOME / APPDATA from. */
  env: Readonly<Record<string, string | undefined>>;
  /** `clusterTemplate.sops.ageKeyFile`. Relative paths are taken from the workspace root; `~/` is the home folder. */
  settingKeyFile?: string;
  /** `sops.defaults.ageKeyFile`, the setting other SOPS extensions read (often `age.key`). */
  sopsExtensionKeyFile?: string;
  /** The workspace (or repository) root: its age.key is where cluster-template keeps the key. */
  workspaceRoot?: string;
  /** The home folder, for `~` and sops' default keys.txt. */
  home?: string;
  /** process.platform: decides where sops' user config folder is. Default 'linux'. */
  platform?: string;
  /** The current folder, for a relative SOPS_AGE_KEY_FILE (sops opens it from there); default the workspace root. */
  cwd?: string;
}

export type IdentitySourceKind = 'SOPS_AGE_KEY' | 'SOPS_AGE_KEY_FILE' | 'setting' | 'sopsExtensionSetting' | 'workspace' | 'userConfig';

export interface IdentityLocation {
  kind: IdentitySourceKind;
  /** How to name the source to a user: `SOPS_AGE_KEY`, `clusterTemplate.sops.ageKeyFile (/path)`, `/repo/age.key`. */
  label: string;
  /** The file read; absent for SOPS_AGE_KEY. */
  path?: string;
}

export interface FoundIdentities extends IdentityLocation {
  /** How many new identities this source added (duplicates of earlier sources are not counted). */
  count: number;
  /** The public keys of its X25519 identities: safe to show, and what a file's recipients are compared with. */
  recipients: string[];
}

export interface MissingIdentities extends IdentityLocation {
  /** not-set: the variable or setting is empty; not-found: no readable file; empty: the file holds no identity. */
  reason: 'not-set' | 'not-found' | 'empty';
}

export interface IdentityProblem extends IdentityLocation {
  /** 1-based line in the file or variable, when the problem is one line. */
  line?: number;
  /** Never contains key material. */
  message: string;
}

export interface LoadedIdentities {
  /** `AGE-SECRET-KEY-1…` / `AGE-SECRET-KEY-PQ-1…` strings, in source order, without duplicates. Secret: never log. */
  identities: string[];
  found: FoundIdentities[];
  missing: MissingIdentities[];
  problems: IdentityProblem[];
}

export interface ParsedIdentityText {
  identities: string[];
  problems: { line: number; message: string }[];
}

export const SETTING_AGE_KEY_FILE = 'clusterTemplate.sops.ageKeyFile';
export const SOPS_EXTENSION_AGE_KEY_FILE = 'sops.defaults.ageKeyFile';
export const WORKSPACE_AGE_KEY_NAME = 'age.key';

/**
 * The identities in a key file or in SOPS_AGE_KEY, as sops reads them (age/keysource.go
 * parseIdentities): blank lines and `#` lines are skipped; a file has one identity per line,
 * the variable may hold several per line separated by spaces. Problems name the line only.
 * @example parseAgeIdentities('# public key: age1…\nAGE-SECRET-KEY-1…\n', false) // { identities: ['AGE-SECRET-KEY-1…'], problems: [] }
 */
export function parseAgeIdentities(text: string, allowsSeveralPerLine: boolean): ParsedIdentityText {
  const result: ParsedIdentityText = { identities: [], problems: [] };
  if (text.startsWith('age-encryption.org/') || text.startsWith('-----BEGIN AGE ENCRYPTED FILE-----')) {
    result.problems.push({ line: 1, message: 'the key file is itself encrypted with a passphrase, which is not supported here; decrypt it with age first or use the sops binary' });
    return result;
  }
  text.split('\n').forEach((rawLine, index) => {
    // Go's line scanner drops one trailing \r.
    const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    if (line === '' || line.startsWith('#')) return;
    const words = allowsSeveralPerLine ? line.split(/\s+/).filter((word) => word !== '') : [line];
    for (const word of words) {
      if (word.startsWith('AGE-PLUGIN-')) result.problems.push({ line: index + 1, message: 'age plugin identities need the sops binary (set clusterTemplate.sops.engine to "cli")' });
      else if (word.startsWith('AGE-SECRET-KEY-PQ-1')) result.identities.push(word);
      else if (word.startsWith('AGE-SECRET-KEY-1') && publicKeyOf(word) !== undefined) result.identities.push(word);
      else if (word.startsWith('AGE-SECRET-KEY-1')) result.problems.push({ line: index + 1, message: 'malformed age secret key (bad length or checksum)' });
      else result.problems.push({ line: index + 1, message: 'not an age identity (expected AGE-SECRET-KEY-1…)' });
    }
  });
  return result;
}

/** `~` and `~/x` become the home folder; a relative path is taken from the workspace root. */
function resolveSettingPath(value: string, sources: IdentitySources): string | undefined {
  let expanded = value.trim().replace(/\$\{workspaceFolder\}/g, sources.workspaceRoot ?? '${workspaceFolder}');
  if (expanded === '~' || expanded.startsWith('~/') || expanded.startsWith('~\\')) {
    if (!sources.home) return undefined;
    expanded = path.join(sources.home, expanded.slice(1));
  }
  if (expanded.includes('${workspaceFolder}')) return undefined;
  if (path.isAbsolute(expanded)) return path.normalize(expanded);
  return sources.workspaceRoot ? path.resolve(sources.workspaceRoot, expanded) : undefined;
}

/**
 * sops' default keys.txt: `sops/age/keys.txt` in Go's user config folder ($XDG_CONFIG_HOME or
 * ~/.config on Linux; on macOS $XDG_CONFIG_HOME or ~/Library/Application Support; %AppData% on
 * Windows), as age/keysource.go getUserConfigDir picks it.
 */
export function userConfigKeyFile(sources: IdentitySources): string | undefined {
  const platform = sources.platform ?? 'linux';
  const xdg = sources.env.XDG_CONFIG_HOME;
  let folder: string | undefined;
  if (platform === 'win32') folder = sources.env.APPDATA || undefined;
  else if (platform === 'darwin') folder = xdg || (sources.home ? path.join(sources.home, 'Library', 'Application Support') : undefined);
  // Go's os.UserConfigDir fails on a relative XDG_CONFIG_HOME, and sops then reads no keys.txt.
  else if (xdg) folder = path.isAbsolute(xdg) ? xdg : undefined;
  else if (sources.home) folder = path.join(sources.home, '.config');
  return folder ? path.join(folder, 'sops', 'age', 'keys.txt') : undefined;
}

interface Candidate extends IdentityLocation {
  /** The variable's text (SOPS_AGE_KEY) instead of a file. */
  text?: string;
  /** Why there is nothing to read, when nothing is set. */
  isUnset?: boolean;
}

function candidatesOf(sources: IdentitySources): Candidate[] {
  const candidates: Candidate[] = [];
  const keyText = sources.env.SOPS_AGE_KEY;
  candidates.push(keyText !== undefined && keyText !== '' ? { kind: 'SOPS_AGE_KEY', label: 'SOPS_AGE_KEY', text: keyText } : { kind: 'SOPS_AGE_KEY', label: 'SOPS_AGE_KEY', isUnset: true });
  const keyFile = sources.env.SOPS_AGE_KEY_FILE;
  if (keyFile) {
    const base = sources.cwd ?? sources.workspaceRoot;
    const resolved = path.isAbsolute(keyFile) || !base ? keyFile : path.resolve(base, keyFile);
    candidates.push({ kind: 'SOPS_AGE_KEY_FILE', label: `SOPS_AGE_KEY_FILE (${resolved})`, path: resolved });
  } else {
    candidates.push({ kind: 'SOPS_AGE_KEY_FILE', label: 'SOPS_AGE_KEY_FILE', isUnset: true });
  }
  const settings: [IdentitySourceKind, string, string | undefined][] = [
    ['setting', SETTING_AGE_KEY_FILE, sources.settingKeyFile],
    ['sopsExtensionSetting', SOPS_EXTENSION_AGE_KEY_FILE, sources.sopsExtensionKeyFile],
  ];
  for (const [kind, name, value] of settings) {
    const resolved = value && value.trim() !== '' ? resolveSettingPath(value, sources) : undefined;
    candidates.push(resolved ? { kind, label: `${name} (${resolved})`, path: resolved } : { kind, label: name, isUnset: true });
  }
  if (sources.workspaceRoot) {
    const workspaceKey = path.join(sources.workspaceRoot, WORKSPACE_AGE_KEY_NAME);
    candidates.push({ kind: 'workspace', label: workspaceKey, path: workspaceKey });
  }
  const userKeys = userConfigKeyFile(sources);
  if (userKeys) candidates.push({ kind: 'userConfig', label: userKeys, path: userKeys });
  return candidates;
}

/**
 * Every age identity the sources offer, in order, without duplicates, with where each came from
 * and what was looked for in vain (for a "missing age key" fix). A file named by two sources is
 * read once.
 * @example await loadAgeIdentities({ env: { SOPS_AGE_KEY_FILE: '/keys/age.key' }, workspaceRoot: '/repo', home: '/home/me' }, reader)
 */
export async function loadAgeIdentities(sources: IdentitySources, reader: FileReader): Promise<LoadedIdentities> {
  const loaded: LoadedIdentities = { identities: [], found: [], missing: [], problems: [] };
  const seenIdentities = new Set<string>();
  const readPaths = new Set<string>();
  for (const candidate of candidatesOf(sources)) {
    const location: IdentityLocation = { kind: candidate.kind, label: candidate.label };
    if (candidate.path) location.path = candidate.path;
    if (candidate.isUnset) {
      loaded.missing.push({ ...location, reason: 'not-set' });
      continue;
    }
    if (candidate.path) {
      if (readPaths.has(candidate.path)) continue;
      readPaths.add(candidate.path);
    }
    const text = candidate.text ?? (candidate.path ? await reader.readText(candidate.path) : undefined);
    if (text === undefined) {
      loaded.missing.push({ ...location, reason: 'not-found' });
      continue;
    }
    const parsed = parseAgeIdentities(text, candidate.kind === 'SOPS_AGE_KEY');
    for (const problem of parsed.problems) loaded.problems.push({ ...location, line: problem.line, message: problem.message });
    const added = parsed.identities.filter((identity) => !seenIdentities.has(identity));
    for (const identity of added) seenIdentities.add(identity);
    if (parsed.identities.length === 0) {
      loaded.missing.push({ ...location, reason: 'empty' });
      continue;
    }
    loaded.identities.push(...added);
    const recipients = parsed.identities.map((identity) => publicKeyOf(identity)).filter((recipient): recipient is string => recipient !== undefined);
    loaded.found.push({ ...location, count: added.length, recipients });
  }
  return loaded;
}

/**
 * One paragraph for a user whose file no identity opens: where we looked (paths, never keys)
 * and which recipients the file wants.
 * @example describeMissingIdentities(loaded, ['age1…']) // 'No age key … Looked in: SOPS_AGE_KEY (not set), …'
 */
export function describeMissingIdentities(loaded: LoadedIdentities, wantedRecipients: readonly string[] = []): string {
  const reasons: Record<MissingIdentities['reason'], string> = { 'not-set': 'not set', 'not-found': 'no such file', empty: 'no key in it' };
  const looked = [
    ...loaded.found.map((found) => `${found.label} (${found.count === 1 ? 'a key' : `${found.count} keys`} for ${found.recipients.join(', ') || 'other recipients'})`),
    ...loaded.missing.map((missing) => `${missing.label} (${reasons[missing.reason]})`),
  ];
  const wanted = wantedRecipients.length > 0 ? ` The file is encrypted for ${wantedRecipients.join(', ')}.` : '';
  return `No age key that can open this file was found.${wanted} Looked in: ${looked.join('; ')}.`;
}
