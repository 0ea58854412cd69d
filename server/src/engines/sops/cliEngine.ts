// The CLI engine: runs the `sops` binary through an injected ProcessRunner when the user prefers
// it (clusterTemplate.sops.engine = "cli") or a file or rule needs a key type the native engine
// does not implement (PGP, cloud KMS, Vault, key groups...). Content goes through pipes only,
// never temporary files; sops' stderr is summarised, with anything key-like removed.
import type { ProcessRunner } from '../../host/processRunner';
import type { ForeignKeyType } from './sopsConfig';
import type { LoadedIdentities } from './identities';

export type SopsEnginePreference = 'native' | 'cli';

export interface SopsCliContext {
  runner: ProcessRunner;
  /** The program to run; default `sops` (found on PATH). */
  command?: string;
  /** sops looks for .sops.yaml from its current folder: use the folder of the config that applies. */
  cwd: string;
  /** Passed as `--config` so the rules are the ones we matched, whatever the current folder. */
  configPath?: string;
  /** Extra environment (e.g. SOPS_AGE_KEY_FILE from sopsCliEnvironment); added to the process's own. */
  env?: Record<string, string>;
  /** Default 60 s: PGP and cloud keys may prompt or reach the network. */
  timeoutMs?: number;
}

/** Why a sops run failed, from its exit status (cmd/sops/codes) and, for a few, its message. */
export type SopsCliFailure =
  | 'mac-mismatch'
  | 'mac-missing'
  | 'no-key'
  | 'already-encrypted'
  | 'not-encrypted'
  | 'no-config'
  | 'no-matching-rule'
  | 'unsupported-version'
  | 'other';

export type SopsCliResult =
  | { kind: 'ok'; output: string }
  /** `sops` could not be started: not installed, or not on PATH. */
  | { kind: 'missing-binary'; message: string; hint: string }
  | { kind: 'failed'; reason: SopsCliFailure; exitCode: number | null; message: string }
  | { kind: 'timed-out'; message: string };

export type SopsCliVersion = { kind: 'ok'; version: string; major: number; minor: number; patch: number } | Exclude<SopsCliResult, { kind: 'ok' }>;

const DEFAULT_TIMEOUT_MS = 60_000;
const DEFAULT_COMMAND = 'sops';
/** `--filename-override` and reading from standard input arrived in sops 3.9. */
const STDIN_MINIMUM = { major: 3, minor: 9 };

// sops' exit statuses (cmd/sops/codes/codes.go).
const EXIT_REASONS: Record<number, SopsCliFailure> = {
  51: 'mac-mismatch',
  52: 'mac-missing',
  61: 'no-config',
  111: 'no-key',
  128: 'no-key',
  203: 'already-encrypted',
};

const FAILURE_MESSAGES: Record<Exclude<SopsCliFailure, 'other'>, string> = {
  'mac-mismatch': 'sops refused the file: its MAC does not match (the file was changed by hand or damaged).',
  'mac-missing': 'sops refused the file: it has no MAC.',
  'no-key': 'sops found no key that can open the data key of this file.',
  'already-encrypted': 'sops refused: the file is already encrypted.',
  'not-encrypted': 'sops refused: the file is not encrypted with sops.',
  'no-config': 'sops found no .sops.yaml.',
  'no-matching-rule': 'No creation rule in .sops.yaml matches this file.',
  'unsupported-version': `This sops is too old for editing in memory (it needs ${STDIN_MINIMUM.major}.${STDIN_MINIMUM.minor} or newer to read from standard input).`,
};

/** Colour codes and anything that looks like a secret key are removed; long output is cut. */
export function summarizeSopsStderr(stderr: string): string {
  const lines = stderr
    // eslint-disable-next-line no-control-regex
    .replace(/\u001b\[[0-9;]*m/g, '')
    .replace(/AGE-SECRET-KEY-[0-9A-Z-]+/gi, 'AGE-SECRET-KEY-…')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
  const text = lines.join(' ');
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

function classifyFailure(exitCode: number | null, stderr: string): SopsCliFailure {
  const byCode = exitCode !== null ? EXIT_REASONS[exitCode] : undefined;
  if (byCode) return byCode;
  if (/no matching creation rules found/i.test(stderr)) return 'no-matching-rule';
  if (/flag provided but not defined|no help topic/i.test(stderr)) return 'unsupported-version';
  if (/sops metadata not found/i.test(stderr)) return 'not-encrypted';
  return 'other';
}

async function runSops(args: string[], context: SopsCliContext, stdin?: string): Promise<SopsCliResult> {
  const command = context.command ?? DEFAULT_COMMAND;
  const configArgs = context.configPath ? ['--config', context.configPath] : [];
  const request = { command, args: [...configArgs, ...args], cwd: context.cwd, timeoutMs: context.timeoutMs ?? DEFAULT_TIMEOUT_MS, ...(context.env ? { env: context.env } : {}), ...(stdin !== undefined ? { stdin } : {}) };
  const result = await context.runner.run(request);
  if (result.spawnError !== undefined) {
    const isMissing = result.spawnError === 'ENOENT' || result.spawnError === 'EACCES';
    return {
      kind: 'missing-binary',
      message: isMissing ? `The sops program (${command}) is not installed or not on PATH.` : `The sops program (${command}) could not be started (${result.spawnError}).`,
      hint: 'Install sops (https://github.com/getsops/sops/releases) or set clusterTemplate.sops.engine to "native" for age keys.',
    };
  }
  if (result.isTimedOut) return { kind: 'timed-out', message: `sops did not finish within ${Math.round((context.timeoutMs ?? DEFAULT_TIMEOUT_MS) / 1000)} s and was stopped.` };
  if (result.exitCode === 0) return { kind: 'ok', output: result.stdout };
  const reason = classifyFailure(result.exitCode, result.stderr);
  const summary = summarizeSopsStderr(result.stderr);
  const message = reason === 'other' ? `sops failed (exit ${result.exitCode}): ${summary || 'no message'}` : FAILURE_MESSAGES[reason];
  return { kind: 'failed', reason, exitCode: result.exitCode, message };
}

/**
 * `sops --version`, parsed ("sops 3.9.4 (latest)").
 * @example await sopsCliVersion({ runner, cwd: '/repo' }) // { kind: 'ok', version: '3.9.4', major: 3, minor: 9, patch: 4 }
 */
export async function sopsCliVersion(context: SopsCliContext): Promise<SopsCliVersion> {
  const result = await runSops(['--version'], { ...context, configPath: undefined });
  if (result.kind !== 'ok') return result;
  const match = /sops (\d+)\.(\d+)\.(\d+)/.exec(result.output);
  if (!match) return { kind: 'failed', reason: 'other', exitCode: 0, message: `sops printed an unexpected version: ${summarizeSopsStderr(result.output).slice(0, 80)}` };
  return { kind: 'ok', version: `${match[1]}.${match[2]}.${match[3]}`, major: Number(match[1]), minor: Number(match[2]), patch: Number(match[3]) };
}

/** Whether this sops reads content from standard input with --filename-override (3.9+). */
export function canUseStdin(version: { major: number; minor: number }): boolean {
  return version.major > STDIN_MINIMUM.major || (version.major === STDIN_MINIMUM.major && version.minor >= STDIN_MINIMUM.minor);
}

/**
 * Decrypts with the sops binary; the plaintext is the result's output (never logged). With
 * `text`, the content is piped in and `filePath` only names it (sops 3.9+); without, sops reads
 * the file. The MAC is checked by sops.
 * @example await decryptWithSopsCli('/repo/secret.sops.yaml', { runner, cwd: '/repo' })
 */
export async function decryptWithSopsCli(filePath: string, context: SopsCliContext, text?: string): Promise<SopsCliResult> {
  // The flag forms work from sops 3.0 to 3.13; the subcommand form is needed for stdin.
  return text === undefined ? runSops(['--decrypt', filePath], context) : runSops(['decrypt', '--filename-override', filePath], context, text);
}

/**
 * Encrypts with the sops binary using the .sops.yaml rules for `filePath`; the ciphertext is
 * the result's output. With `text`, the plaintext is piped in (sops 3.9+) and nothing is read
 * from disk.
 * @example await encryptWithSopsCli('/repo/kubernetes/secret.sops.yaml', { runner, cwd: '/repo', configPath: '/repo/.sops.yaml' })
 */
export async function encryptWithSopsCli(filePath: string, context: SopsCliContext, text?: string): Promise<SopsCliResult> {
  return text === undefined ? runSops(['--encrypt', filePath], context) : runSops(['encrypt', '--filename-override', filePath], context, text);
}

/**
 * The environment that lets sops find the identities we found: when the user's environment
 * names none, the first key file we read becomes SOPS_AGE_KEY_FILE (a path, never the key).
 * @example sopsCliEnvironment(loaded, process.env) // { SOPS_AGE_KEY_FILE: '/repo/age.key' }
 */
export function sopsCliEnvironment(loaded: LoadedIdentities, env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  if (env.SOPS_AGE_KEY || env.SOPS_AGE_KEY_FILE) return {};
  const file = loaded.found.find((found) => found.path !== undefined && found.kind !== 'userConfig');
  return file?.path ? { SOPS_AGE_KEY_FILE: file.path } : {};
}

export interface EngineChoice {
  engine: SopsEnginePreference;
  /** Why the CLI is used; empty when the native engine is. */
  reason: string;
}

const KEY_TYPE_NAMES: Record<string, string> = {
  pgp: 'PGP',
  kms: 'AWS KMS',
  gcp_kms: 'GCP KMS',
  hckms: 'HuaweiCloud KMS',
  azure_keyvault: 'Azure Key Vault',
  azure_kv: 'Azure Key Vault',
  hc_vault_transit_uri: 'HashiCorp Vault',
  hc_vault: 'HashiCorp Vault',
  key_groups: 'key groups',
  age_ssh: 'age SSH recipients',
  age_plugin: 'age plugin recipients',
};

/** A readable list of key types: "PGP and AWS KMS". */
export function describeKeyTypes(types: readonly string[]): string {
  const names = [...new Set(types.map((type) => KEY_TYPE_NAMES[type] ?? type))];
  return names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

/**
 * Which engine handles a file. Encrypting: the native engine unless the user prefers the CLI
 * or the rule needs a key type we do not implement. Decrypting: the native engine when the
 * file has a data key wrapped for age (`canDecryptNatively`), else the CLI.
 * @example chooseSopsEngine({ preference: 'native', foreignKeyTypes: ['pgp'] }) // { engine: 'cli', reason: 'the rule uses PGP, …' }
 */
export function chooseSopsEngine(input: { preference: SopsEnginePreference; foreignKeyTypes?: readonly (ForeignKeyType | string)[]; canDecryptNatively?: boolean }): EngineChoice {
  if (input.preference === 'cli') return { engine: 'cli', reason: 'clusterTemplate.sops.engine is "cli"' };
  const foreign = input.foreignKeyTypes ?? [];
  if (foreign.length > 0) return { engine: 'cli', reason: `the creation rule uses ${describeKeyTypes(foreign)}, which only the sops program implements` };
  if (input.canDecryptNatively === false) return { engine: 'cli', reason: 'the file has no data key wrapped for an age recipient; only the sops program can open it' };
  return { engine: 'native', reason: '' };
}
