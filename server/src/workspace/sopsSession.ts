// SOPS inside the server: the identities and .sops.yaml of each workspace root (reloaded when they
// change), the commands (encrypt, decrypt, encrypt all, the Edit Secret reads and writes, a new
// age.key) and the diagnostics of `*.sops.*` files, open or closed, outside templates/. Refuses all
// encryption, decryption and writes in an untrusted workspace. Plaintext and key material stay in
// memory: they are never logged, put in a message, or written anywhere but the secret file itself
// (and only when the user decrypts it in place).
import * as path from 'node:path';
import { URI } from 'vscode-uri';
import type { Diagnostic } from 'vscode-languageserver-types';
import { ageKeyFileText, generateAgeKeyPair, publicKeyOf } from '../engines/sops/ageKey';
import {
  chooseSopsEngine,
  decryptWithSopsCli,
  encryptWithSopsCli,
  sopsCliEnvironment,
  type SopsCliContext,
  type SopsCliResult,
} from '../engines/sops/cliEngine';
import { describeMissingIdentities, loadAgeIdentities, WORKSPACE_AGE_KEY_NAME, type LoadedIdentities } from '../engines/sops/identities';
import { classifySecretText, findSecretFiles, isSecretFileName } from '../engines/sops/secretsStatus';
import { findSopsConfig, matchCreationRule, partialEncryptionOf, SOPS_CONFIG_NAME, type FoundSopsConfig, type SopsCreationRule } from '../engines/sops/sopsConfig';
import {
  decryptSops,
  encryptSops,
  readSopsMetadata,
  SopsError,
  storeOfPath,
  unwrapDataKey,
  type CryptRule,
  type SopsMetadata,
  type SopsStore,
} from '../engines/sops/sopsFormat';
import type { FileReader } from '../host/fileReader';
import type { ProcessRunner } from '../host/processRunner';
import type {
  EncryptAllResult,
  GenerateAgeKeyResult,
  ReadSecretResult,
  SecretErrorCode,
  SopsFileResult,
  SopsProgressParams,
  WriteSecretResult,
} from '../protocol';
import { collectSopsDiagnostics, type SopsFileFacts, type SopsVerification } from '../services/sops/diagnostics';
import type { SopsEngineSetting } from '../settings';
import { CoalescingRunner } from './coalescingRunner';

/** The folders `task configure` encrypts (cluster-template's encrypt-secrets), relative to the root. */
export const ENCRYPT_ALL_FOLDERS = ['bootstrap', 'kubernetes', 'talos', 'infrastructure'];

const RESTRICTED = 'Encrypting and decrypting secrets is disabled in Restricted Mode: trust the workspace first.';

/** Writes of secret files and key files; both replace the target in one rename. */
export interface SecretWriter {
  /** Replaces an existing file atomically, keeping its permissions. */
  replace(filePath: string, content: string | Uint8Array): Promise<void>;
  /** Creates a file atomically with these permissions; rejects with code EEXIST when anything is there. */
  createExclusive(filePath: string, content: string, mode: number): Promise<void>;
}

export interface SopsSessionDeps {
  /** The disk (not editors' unsaved text: the disk is what gets encrypted and replaced). */
  reader: FileReader;
  writer: SecretWriter;
  runner: ProcessRunner;
  /** Workspace folders. */
  roots(): string[];
  isTrusted(): boolean;
  settings(): { engine: SopsEngineSetting; ageKeyFile: string };
  /** `sops.defaults.ageKeyFile` from the client. */
  otherExtensionAgeKeyFile(): string | undefined;
  /** The environment (SOPS_AGE_KEY, SOPS_AGE_KEY_FILE, XDG_CONFIG_HOME). */
  env(): Readonly<Record<string, string | undefined>>;
  home(): string | undefined;
  /** An open editor's text and version. */
  openDocument(filePath: string): { text: string; version: number } | undefined;
  publish(filePath: string, diagnostics: Diagnostic[], version?: number): void;
  log(message: string): void;
  now(): Date;
}

export interface CancellationLike {
  readonly isCancellationRequested: boolean;
}

export interface FileEvent {
  filePath: string;
  isDeleted: boolean;
}

/** A decrypted file, kept only for the duration of one request. */
type Decrypted =
  | { kind: 'ok'; plaintext: string; bytes: Uint8Array; metadata?: SopsMetadata; dataKey?: Uint8Array }
  | { kind: 'error'; code: SecretErrorCode; message: string };

export class SopsSession {
  private readonly identities = new Map<string, Promise<LoadedIdentities>>();
  private readonly configs = new Map<string, Promise<FoundSopsConfig | undefined>>();
  /** Files with published diagnostics, so a removed file or a reset clears or re-checks them. */
  private readonly published = new Set<string>();
  /** Paths of the key files the identity loads looked at, so their changes are noticed. */
  private readonly keyFilePaths = new Set<string>();
  private readonly checks: CoalescingRunner;

  constructor(private readonly deps: SopsSessionDeps) {
    this.checks = new CoalescingRunner(
      (filePath) => this.check(filePath),
      (filePath, error) => deps.log(`[error] checking ${filePath}: ${stackWithoutMessage(error)}`),
    );
  }

  // ---- which files ------------------------------------------------------------------------------

  /** A `*.sops.*` file outside the root's templates/ folder (and outside .git and node_modules). */
  isSecretFile(filePath: string): boolean {
    if (!isSecretFileName(path.basename(filePath))) return false;
    const parts = relativeTo(this.rootOf(filePath), filePath).split('/');
    return parts[0] !== 'templates' && !parts.some((part) => part === '.git' || part === 'node_modules');
  }

  /** The workspace folder holding a file (the innermost), else the file's own folder. */
  rootOf(filePath: string): string {
    const roots = this.deps.roots().filter((root) => isInside(root, filePath));
    return roots.sort((a, b) => b.length - a.length)[0] ?? path.dirname(filePath);
  }

  // ---- commands ---------------------------------------------------------------------------------

  /**
   * Encrypts a plaintext secret in place with the creation rule of its .sops.yaml. An encrypted
   * file is left alone. Example: kubernetes/apps/x/secret.sops.yaml in plaintext → done.
   */
  async encryptFile(filePath: string): Promise<SopsFileResult> {
    const uri = URI.file(filePath).toString();
    const name = this.displayName(filePath);
    if (!this.deps.isTrusted()) return { uri, outcome: 'refused', message: RESTRICTED };
    const text = await this.deps.reader.readText(filePath);
    if (text === undefined) return { uri, outcome: 'failed', message: `${name} cannot be read.` };
    const status = classifySecretText(text, filePath);
    if (status.state === 'encrypted') return { uri, outcome: 'unchanged', message: `${name} is already encrypted.` };
    if (status.state === 'broken') return { uri, outcome: 'refused', message: `${name} is neither plaintext nor a sound sops file (${status.reason}); nothing was written.` };
    const encrypted = await this.encryptText(filePath, text);
    if (encrypted.kind === 'error') return { uri, outcome: encrypted.outcome, message: `${name}: ${encrypted.message}` };
    const written = await this.replaceIfUnchanged(filePath, text, encrypted.text);
    if (written) return { uri, outcome: 'failed', message: `${name}: ${written}` };
    this.scheduleCheck(filePath);
    return { uri, outcome: 'done', message: `Encrypted ${name}${encrypted.note}.` };
  }

  /** Decrypts a secret in place after verifying its MAC (the client has asked the user). */
  async decryptFile(filePath: string): Promise<SopsFileResult> {
    const uri = URI.file(filePath).toString();
    const name = this.displayName(filePath);
    if (!this.deps.isTrusted()) return { uri, outcome: 'refused', message: RESTRICTED };
    const text = await this.deps.reader.readText(filePath);
    if (text === undefined) return { uri, outcome: 'failed', message: `${name} cannot be read.` };
    const status = classifySecretText(text, filePath);
    if (status.state === 'plaintext') return { uri, outcome: 'unchanged', message: `${name} is not encrypted.` };
    const decrypted = await this.decryptText(filePath, text);
    if (decrypted.kind === 'error') return { uri, outcome: decrypted.code === 'failed' ? 'failed' : 'refused', message: `${name}: ${decrypted.message} Nothing was written.` };
    const written = await this.replaceIfUnchanged(filePath, text, decrypted.bytes);
    if (written) return { uri, outcome: 'failed', message: `${name}: ${written}` };
    this.scheduleCheck(filePath);
    return { uri, outcome: 'done', message: `Decrypted ${name} in place: encrypt it again before committing.` };
  }

  /**
   * Encrypts every plaintext `*.sops.*` file under bootstrap/, kubernetes/, talos/ and
   * infrastructure/ of a root, as `task configure` does; encrypted files are skipped. Cancellation
   * stops before the next file (every file is written whole or not at all).
   */
  async encryptAll(root: string, onProgress: (progress: Omit<SopsProgressParams, 'progressId'>) => void, token?: CancellationLike): Promise<EncryptAllResult> {
    const result: EncryptAllResult = { encrypted: [], alreadyEncrypted: [], failed: [] };
    if (!this.deps.isTrusted()) return { ...result, refused: RESTRICTED };
    const files: string[] = [];
    for (const folder of ENCRYPT_ALL_FOLDERS) files.push(...(await findSecretFiles(path.join(root, folder), this.deps.reader)));
    let done = 0;
    for (const filePath of files) {
      if (token?.isCancellationRequested) break;
      const uri = URI.file(filePath).toString();
      const outcome = await this.encryptFile(filePath);
      if (outcome.outcome === 'done') result.encrypted.push(uri);
      else if (outcome.outcome === 'unchanged') result.alreadyEncrypted.push(uri);
      else result.failed.push({ uri, message: outcome.message });
      onProgress({ done: ++done, total: files.length, relativePath: relativeTo(root, filePath) });
    }
    return result;
  }

  /** The decrypted text of a secret for the Edit Secret editor (MAC verified). */
  async readSecret(filePath: string): Promise<ReadSecretResult> {
    if (!this.deps.isTrusted()) return { error: { code: 'restricted', message: RESTRICTED } };
    const name = this.displayName(filePath);
    const text = await this.deps.reader.readText(filePath);
    if (text === undefined) return { error: { code: 'not-found', message: `${name} does not exist.` } };
    const status = classifySecretText(text, filePath);
    if (status.state === 'plaintext') return { error: { code: 'not-encrypted', message: `${name} is not encrypted: open it directly, and encrypt it before committing.` } };
    const decrypted = await this.decryptText(filePath, text);
    if (decrypted.kind === 'error') return { error: { code: decrypted.code, message: decrypted.message } };
    if (storeOfPath(filePath) === 'binary' && !isUtf8(decrypted.bytes)) {
      return { error: { code: 'unsupported', message: `${name} holds binary data, which cannot be edited as text.` } };
    }
    return { text: decrypted.plaintext };
  }

  /**
   * Re-encrypts edited plaintext into a secret, as `sops edit` does on save: the file's own data
   * key, recipients and options, unchanged values keep their ciphertext, a new MAC and
   * lastmodified. The file on disk must still decrypt (MAC verified); the write is atomic.
   */
  async writeSecret(filePath: string, plaintext: string): Promise<WriteSecretResult> {
    const name = this.displayName(filePath);
    const refuse = (code: SecretErrorCode, message: string): WriteSecretResult => ({ outcome: code === 'failed' ? 'failed' : 'refused', message: `${name} was not saved: ${message}`, error: { code, message } });
    if (!this.deps.isTrusted()) return refuse('restricted', RESTRICTED);
    const current = await this.deps.reader.readText(filePath);
    if (current === undefined) return refuse('not-found', 'the file no longer exists.');
    if (classifySecretText(current, filePath).state === 'plaintext') return refuse('not-encrypted', 'the file on disk is no longer encrypted.');
    const decrypted = await this.decryptText(filePath, current);
    if (decrypted.kind === 'error') return refuse(decrypted.code, decrypted.message);
    if (decrypted.plaintext === plaintext) return { outcome: 'unchanged', message: `${name} has not changed.` };

    const store = storeOfPath(filePath);
    let encrypted: string;
    if (decrypted.metadata && decrypted.dataKey) {
      const found = await this.configFor(filePath);
      try {
        encrypted = await encryptSops(plaintext, store, {
          rule: ruleOfMetadata(decrypted.metadata),
          ageRecipients: decrypted.metadata.age.map((entry) => entry.recipient),
          indent: indentOf(found, store),
          now: this.deps.now(),
          previous: { text: current, dataKey: decrypted.dataKey },
        });
      } catch (error) {
        return refuse(error instanceof SopsError ? codeOfWriteError(error) : 'failed', safeMessage(error, store));
      }
    } else {
      // Opened by the sops program: it encrypts the new text with the creation rules (sops 3.9+).
      const cli = await this.cliContext(filePath);
      const result = await encryptWithSopsCli(filePath, cli, plaintext);
      if (result.kind !== 'ok') return refuse('failed', cliMessage(result));
      encrypted = result.output;
    }
    const written = await this.replaceIfUnchanged(filePath, current, encrypted);
    if (written) return refuse('failed', written);
    this.scheduleCheck(filePath);
    return { outcome: 'done', message: `Saved and re-encrypted ${name}.` };
  }

  /**
   * Creates `<root>/age.key` (mode 0600) with a new X25519 identity, as `age-keygen -o age.key`
   * does, unless a file is there already; answers with the public key only.
   */
  async generateAgeKey(root: string): Promise<GenerateAgeKeyResult> {
    const keyPath = path.join(root, WORKSPACE_AGE_KEY_NAME);
    const keyFileUri = URI.file(keyPath).toString();
    if (!this.deps.isTrusted()) return { outcome: 'refused', keyFileUri, message: 'Creating age.key is disabled in Restricted Mode: trust the workspace first.' };
    const existing = await this.existingPublicKey(keyPath);
    if (existing !== undefined) return existingKeyResult(keyFileUri, existing);
    const keyPair = generateAgeKeyPair();
    try {
      await this.deps.writer.createExclusive(keyPath, ageKeyFileText(keyPair, this.deps.now()), 0o600);
    } catch (error) {
      if ((error as NodeJS.ErrnoException)?.code === 'EEXIST') return existingKeyResult(keyFileUri, (await this.existingPublicKey(keyPath)) ?? '');
      return { outcome: 'failed', keyFileUri, message: `age.key could not be created: ${describeError(error)}` };
    }
    this.forgetIdentities();
    // The no-key warnings go (and files encrypted for another key now say so).
    void this.recheckAll();
    const ignored = await this.isIgnoredByGit(root);
    const message =
      `Created age.key (mode 0600, readable only by you). Public key: ${keyPair.recipient}. ` +
      'Rendering the templates (task configure) puts it into .sops.yaml as the recipient every secret is encrypted for; ' +
      'Flux decrypts with the private key (the sops-age Secret in flux-system). Back it up somewhere safe' +
      (ignored ? ' and never commit it.' : '. It is not in .gitignore: add it there before committing anything.');
    return { outcome: 'created', keyFileUri, publicKey: keyPair.recipient, message };
  }

  // ---- diagnostics ------------------------------------------------------------------------------

  /** An open secret's text changed (or it opened): check the editor's text. */
  documentChanged(filePath: string): void {
    if (this.isSecretFile(filePath)) this.scheduleCheck(filePath);
  }

  /** A secret's editor closed: the file on disk is checked from now on. */
  documentClosed(filePath: string): void {
    if (this.isSecretFile(filePath)) this.scheduleCheck(filePath);
  }

  /** Checks every secret file of every root (workspace load). */
  async scanRoots(): Promise<void> {
    const files = (await Promise.all(this.deps.roots().map((root) => findSecretFiles(root, this.deps.reader)))).flat();
    await Promise.all(files.map((filePath) => this.scheduleCheck(filePath)));
  }

  /** Files changed on disk: secrets are re-checked; a .sops.yaml or key file re-checks every secret. */
  filesChanged(events: FileEvent[]): void {
    let isEverythingStale = false;
    for (const event of events) {
      const name = path.basename(event.filePath);
      if (name === SOPS_CONFIG_NAME || name === '.sops.yml') {
        this.configs.clear();
        isEverythingStale = true;
      } else if (name === WORKSPACE_AGE_KEY_NAME || this.isKeyFileInUse(event.filePath)) {
        this.forgetIdentities();
        isEverythingStale = true;
      } else if (this.isSecretFile(event.filePath)) {
        void this.scheduleCheck(event.filePath);
      }
    }
    if (isEverythingStale) void this.recheckAll();
  }

  /** Settings or trust changed: identities and configs are read again and every secret re-checked. */
  reset(): void {
    this.forgetIdentities();
    this.configs.clear();
    void this.recheckAll();
  }

  /** The diagnostics of one secret's text (its open editor's or the file's on disk). */
  async diagnosticsFor(filePath: string, text: string): Promise<Diagnostic[]> {
    return collectSopsDiagnostics(text, await this.factsOf(filePath, text));
  }

  private scheduleCheck(filePath: string): Promise<void> {
    return this.checks.run(filePath);
  }

  private async recheckAll(): Promise<void> {
    const known = [...this.published];
    await Promise.all([...known.map((filePath) => this.scheduleCheck(filePath)), this.scanRoots()]);
  }

  private async check(filePath: string): Promise<void> {
    const open = this.deps.openDocument(filePath);
    const text = open?.text ?? (await this.deps.reader.readText(filePath));
    if (text === undefined || !this.isSecretFile(filePath)) {
      if (this.published.delete(filePath)) this.deps.publish(filePath, []);
      return;
    }
    const diagnostics = await this.diagnosticsFor(filePath, text);
    // The editor moved on while we decrypted: the run queued by that change publishes instead.
    if (open && this.deps.openDocument(filePath)?.version !== open.version) return;
    this.published.add(filePath);
    this.deps.publish(filePath, diagnostics, open?.version);
  }

  private async factsOf(filePath: string, text: string): Promise<SopsFileFacts> {
    const root = this.rootOf(filePath);
    const store = storeOfPath(filePath);
    const status = classifySecretText(text, filePath);
    const facts: SopsFileFacts = {
      relativePath: relativeTo(root, filePath),
      store,
      state: status.state === 'broken' ? { kind: 'broken', reason: status.reason ?? 'unknown' } : { kind: status.state },
      creationRule: await this.creationRuleFact(filePath),
      folderUri: URI.file(root).toString(),
    };
    // Restricted Mode: no key is read and nothing is decrypted, so no verdict either way.
    if (!this.deps.isTrusted()) return facts;
    const loaded = await this.identitiesFor(root);
    facts.ageKey = { isFound: loaded.identities.length > 0, searched: loaded.missing.filter((missing) => missing.reason !== 'not-set').map((missing) => missing.label) };
    if (status.state === 'encrypted' && loaded.identities.length > 0) {
      const verification = await this.verify(text, store, loaded);
      if (verification) facts.verification = verification;
    }
    return facts;
  }

  /** Decrypts in memory to check the MAC; the plaintext is dropped at once. Undefined: cannot tell natively. */
  private async verify(text: string, store: SopsStore, loaded: LoadedIdentities): Promise<SopsVerification | undefined> {
    try {
      const metadata = readSopsMetadata(text, store);
      if (!metadata || metadata.age.length === 0) return undefined;
      const dataKey = await unwrapDataKey(metadata, loaded.identities);
      if (!dataKey) return { kind: 'not-a-recipient' };
      decryptSops(text, store, dataKey);
      return { kind: 'ok' };
    } catch (error) {
      if (!(error instanceof SopsError)) throw error;
      if (error.code === 'mac-mismatch') return { kind: 'mac-mismatch' };
      if (error.code === 'no-mac') return { kind: 'no-mac' };
      if (error.code === 'value-auth' || error.code === 'parse') {
        const keyPath = keyPathOf(error.message);
        // A parse error with no key path is the file's structure, which classification reports.
        if (error.code === 'parse' && !keyPath) return undefined;
        return keyPath ? { kind: 'value-tampered', keyPath } : { kind: 'value-tampered' };
      }
      return undefined;
    }
  }

  private async creationRuleFact(filePath: string): Promise<SopsFileFacts['creationRule']> {
    const found = await this.configFor(filePath);
    if (!found) return { kind: 'no-config' };
    const match = matchCreationRule(found.config, filePath);
    if (match.kind === 'matched') return { kind: 'matched' };
    if (match.kind === 'no-match') return { kind: 'unmatched' };
    if (match.kind === 'no-creation-rules') return { kind: 'no-config' };
    return { kind: 'unusable', message: match.message };
  }

  // ---- engine calls -----------------------------------------------------------------------------

  private async encryptText(filePath: string, text: string): Promise<{ kind: 'ok'; text: string; note: string } | { kind: 'error'; outcome: 'refused' | 'failed'; message: string }> {
    const found = await this.configFor(filePath);
    if (!found) return { kind: 'error', outcome: 'refused', message: `no ${SOPS_CONFIG_NAME} above it, so there is no creation rule to encrypt it with (render .sops.yaml first).` };
    const match = matchCreationRule(found.config, filePath);
    if (match.kind === 'no-match') return { kind: 'error', outcome: 'refused', message: `no creation rule in ${relativeTo(this.rootOf(filePath), found.config.configPath)} matches ${match.relativePath}.` };
    if (match.kind === 'no-creation-rules') return { kind: 'error', outcome: 'refused', message: `${SOPS_CONFIG_NAME} has no creation_rules.` };
    if (match.kind !== 'matched') return { kind: 'error', outcome: 'refused', message: match.message };
    const choice = chooseSopsEngine({ preference: this.deps.settings().engine, foreignKeyTypes: match.rule.foreignKeyTypes });
    if (choice.engine === 'cli') {
      const result = await encryptWithSopsCli(filePath, await this.cliContext(filePath, found), text);
      if (result.kind !== 'ok') return { kind: 'error', outcome: 'failed', message: cliMessage(result) };
      return { kind: 'ok', text: result.output, note: ` with the sops program (${choice.reason})` };
    }
    const store = storeOfPath(filePath);
    try {
      const encrypted = await encryptSops(text, store, { rule: cryptRuleOf(match.rule), ageRecipients: match.rule.ageRecipients, indent: indentOf(found, store), now: this.deps.now() });
      return { kind: 'ok', text: encrypted, note: '' };
    } catch (error) {
      if (!(error instanceof SopsError)) return { kind: 'error', outcome: 'failed', message: describeError(error) };
      return { kind: 'error', outcome: 'refused', message: `${safeMessage(error, store)}; nothing was written.` };
    }
  }

  /** Decrypts with the native engine when it can open the data key, else with the sops program. */
  private async decryptText(filePath: string, text: string): Promise<Decrypted> {
    const store = storeOfPath(filePath);
    const root = this.rootOf(filePath);
    let metadata: SopsMetadata | undefined;
    try {
      metadata = readSopsMetadata(text, store);
    } catch (error) {
      return { kind: 'error', code: 'invalid', message: `the sops metadata cannot be read (${safeMessage(error, store)}).` };
    }
    if (!metadata) return { kind: 'error', code: 'not-encrypted', message: 'the file is not encrypted.' };
    const choice = chooseSopsEngine({ preference: this.deps.settings().engine, canDecryptNatively: metadata.age.length > 0 && !metadata.key_groups?.length });
    if (choice.engine === 'cli') {
      const result = await decryptWithSopsCli(filePath, await this.cliContext(filePath), text);
      if (result.kind !== 'ok') return { kind: 'error', code: cliErrorCode(result), message: cliMessage(result) };
      return { kind: 'ok', plaintext: result.output, bytes: new TextEncoder().encode(result.output) };
    }
    const loaded = await this.identitiesFor(root);
    let dataKey: Uint8Array | undefined;
    try {
      dataKey = await unwrapDataKey(metadata, loaded.identities);
    } catch (error) {
      return { kind: 'error', code: 'unsupported', message: safeMessage(error, store) };
    }
    if (!dataKey) return { kind: 'error', code: 'no-key', message: describeMissingIdentities(loaded, metadata.age.map((entry) => entry.recipient)) };
    try {
      const found = await this.configFor(filePath);
      const result = decryptSops(text, store, dataKey, { indent: indentOf(found, store) });
      return { kind: 'ok', plaintext: result.plaintext, bytes: result.bytes, metadata: result.metadata, dataKey };
    } catch (error) {
      if (!(error instanceof SopsError)) throw error;
      const isIntegrity = error.code === 'mac-mismatch' || error.code === 'no-mac' || error.code === 'value-auth';
      const message = isIntegrity
        ? `it fails its MAC check (${error.message}): the file was changed outside sops. Restore it from git, or render and encrypt it again.`
        : `it cannot be decrypted (${safeMessage(error, store)}).`;
      return { kind: 'error', code: isIntegrity ? 'integrity' : 'invalid', message };
    }
  }

  private async cliContext(filePath: string, found?: FoundSopsConfig): Promise<SopsCliContext> {
    const config = found ?? (await this.configFor(filePath));
    const loaded = await this.identitiesFor(this.rootOf(filePath));
    const context: SopsCliContext = {
      runner: this.deps.runner,
      cwd: config?.config.folder ?? path.dirname(filePath),
      env: sopsCliEnvironment(loaded, this.deps.env()),
    };
    if (config) context.configPath = config.config.configPath;
    return context;
  }

  // ---- caches and files -------------------------------------------------------------------------

  private identitiesFor(root: string): Promise<LoadedIdentities> {
    let pending = this.identities.get(root);
    if (!pending) {
      const settings = this.deps.settings();
      pending = loadAgeIdentities(
        {
          env: this.deps.env(),
          settingKeyFile: settings.ageKeyFile || undefined,
          sopsExtensionKeyFile: this.deps.otherExtensionAgeKeyFile(),
          workspaceRoot: root,
          home: this.deps.home(),
          platform: process.platform,
        },
        this.deps.reader,
      );
      this.identities.set(root, pending);
      pending.then(
        (loaded) => {
          // Every key file looked at, found or not: creating or changing one changes what decrypts.
          for (const source of [...loaded.found, ...loaded.missing]) if (source.path) this.keyFilePaths.add(source.path);
        },
        () => this.identities.delete(root),
      );
    }
    return pending;
  }

  private forgetIdentities(): void {
    this.identities.clear();
    this.keyFilePaths.clear();
  }

  private isKeyFileInUse(filePath: string): boolean {
    return this.keyFilePaths.has(filePath);
  }

  private configFor(filePath: string): Promise<FoundSopsConfig | undefined> {
    const folder = path.dirname(filePath);
    let pending = this.configs.get(folder);
    if (!pending) {
      pending = findSopsConfig(filePath, this.deps.reader);
      this.configs.set(folder, pending);
      pending.catch(() => this.configs.delete(folder));
    }
    return pending;
  }

  /**
   * Writes new content over a file unless it changed since it was read (an editor saved, git
   * checked out): the user's newer file wins and nothing is lost. Returns a message on failure.
   */
  private async replaceIfUnchanged(filePath: string, readText: string, content: string | Uint8Array): Promise<string | undefined> {
    if ((await this.deps.reader.readText(filePath)) !== readText) return 'the file changed on disk meanwhile; nothing was written. Try again.';
    try {
      await this.deps.writer.replace(filePath, content);
      return undefined;
    } catch (error) {
      return `it could not be written (${describeError(error)}); the file is as it was.`;
    }
  }

  /** The public key of an existing age.key (its comment, else derived); '' when it has none; undefined when there is no file. */
  private async existingPublicKey(keyPath: string): Promise<string | undefined> {
    const stat = await this.deps.reader.stat?.(keyPath);
    const text = await this.deps.reader.readText(keyPath);
    if (!stat && text === undefined) return undefined;
    if (text === undefined) return '';
    const comment = /^# public key: (age1[0-9a-z]+)\s*$/m.exec(text);
    if (comment) return comment[1];
    const identity = text.split(/\r?\n/).find((line) => line.startsWith('AGE-SECRET-KEY-1'));
    return (identity && publicKeyOf(identity.trim())) ?? '';
  }

  private async isIgnoredByGit(root: string): Promise<boolean> {
    const gitignore = (await this.deps.reader.readText(path.join(root, '.gitignore'))) ?? '';
    return gitignore.split(/\r?\n/).some((line) => ['age.key', '/age.key', '*.key'].includes(line.trim()));
  }

  private displayName(filePath: string): string {
    return relativeTo(this.rootOf(filePath), filePath);
  }
}

function existingKeyResult(keyFileUri: string, publicKey: string): GenerateAgeKeyResult {
  const result: GenerateAgeKeyResult = {
    outcome: 'exists',
    keyFileUri,
    message: publicKey
      ? `age.key exists already and was left as it is. Its public key: ${publicKey}.`
      : 'age.key exists already and was left as it is (it holds no age identity this extension can read).',
  };
  if (publicKey) result.publicKey = publicKey;
  return result;
}

/** A creation rule's options in the format engine's shape. */
function cryptRuleOf(rule: SopsCreationRule): CryptRule {
  const options = partialEncryptionOf(rule);
  const out: CryptRule = {};
  if (options.encryptedRegex !== undefined) out.encrypted_regex = options.encryptedRegex;
  if (options.unencryptedRegex !== undefined) out.unencrypted_regex = options.unencryptedRegex;
  if (options.encryptedSuffix !== undefined) out.encrypted_suffix = options.encryptedSuffix;
  if (options.unencryptedSuffix !== undefined) out.unencrypted_suffix = options.unencryptedSuffix;
  if (options.encryptedCommentRegex !== undefined) out.encrypted_comment_regex = options.encryptedCommentRegex;
  if (options.unencryptedCommentRegex !== undefined) out.unencrypted_comment_regex = options.unencryptedCommentRegex;
  if (options.macOnlyEncrypted) out.mac_only_encrypted = true;
  return out;
}

/** The options an encrypted file was written with (sops edit keeps them). */
function ruleOfMetadata(metadata: SopsMetadata): CryptRule {
  const rule: CryptRule = {};
  for (const key of ['encrypted_regex', 'unencrypted_regex', 'encrypted_suffix', 'unencrypted_suffix', 'encrypted_comment_regex', 'unencrypted_comment_regex'] as const) {
    if (metadata[key]) rule[key] = metadata[key];
  }
  if (metadata.mac_only_encrypted) rule.mac_only_encrypted = true;
  return rule;
}

/** The output indentation sops uses for a store (stores.yaml.indent / stores.json.indent). */
function indentOf(found: FoundSopsConfig | undefined, store: SopsStore): number | undefined {
  if (store === 'yaml') return found?.config.stores.yamlIndent || undefined;
  if (store === 'json') return found?.config.stores.jsonIndent;
  return undefined;
}

/** The key path in an engine message ("the value at 'stringData:token' …"), list items excluded. */
function keyPathOf(message: string): string[] | undefined {
  const match = /the value at '([^']*)'/.exec(message);
  return match ? match[1].split(':').filter((part) => part !== '') : undefined;
}

function codeOfWriteError(error: SopsError): SecretErrorCode {
  if (error.code === 'parse' || error.code === 'already-encrypted' || error.code === 'invalid-rule') return 'invalid';
  if (error.code === 'unsupported') return 'unsupported';
  if (error.code === 'mac-mismatch' || error.code === 'no-mac' || error.code === 'value-auth') return 'integrity';
  return 'failed';
}

/** SopsError messages never hold values; any other error might quote the text, so only its kind is told. */
function safeMessage(error: unknown, store: SopsStore): string {
  if (error instanceof SopsError) return error.message;
  return `the content cannot be read as ${store}`;
}

function cliMessage(result: Exclude<SopsCliResult, { kind: 'ok' }>): string {
  return result.kind === 'missing-binary' ? `${result.message} ${result.hint}` : result.message;
}

function cliErrorCode(result: Exclude<SopsCliResult, { kind: 'ok' }>): SecretErrorCode {
  if (result.kind !== 'failed') return 'unsupported';
  if (result.reason === 'mac-mismatch' || result.reason === 'mac-missing') return 'integrity';
  if (result.reason === 'no-key') return 'no-key';
  if (result.reason === 'not-encrypted') return 'not-encrypted';
  return 'failed';
}

function isUtf8(bytes: Uint8Array): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    // Not UTF-8: binary content.
    return false;
  }
}

/** Why something failed, without content: the error code and message of a file-system call. */
function describeError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException)?.code;
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'ENOSPC') return 'no space left on the device';
  if (code === 'EROFS') return 'read-only file system';
  if (error instanceof SopsError) return error.message;
  return code ?? (error as Error)?.name ?? 'unexpected error';
}

/** A bug's stack for the log, without its message line, which could quote the file. */
function stackWithoutMessage(error: unknown): string {
  const stack = (error as Error)?.stack;
  if (!stack) return describeError(error);
  return [(error as Error).name, ...stack.split('\n').filter((line) => /^\s+at /.test(line))].join('\n');
}

function relativeTo(root: string, filePath: string): string {
  return path.relative(root, filePath).split(path.sep).join('/');
}

function isInside(root: string, filePath: string): boolean {
  return filePath.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
}
