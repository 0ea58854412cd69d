// The SOPS commands: Encrypt File, Decrypt File (after a modal question), Encrypt All Secrets
// (progress and a summary), Generate age Key, and Edit Secret, whose editor is backed by a file
// system that asks the server for the decrypted text and hands saves back to it for re-encryption.
// Plaintext lives only in VS Code's editor memory and the LSP connection: never on disk, never in a log.
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import {
  decryptFileRequest,
  encryptAllRequest,
  encryptFileRequest,
  generateAgeKeyRequest,
  readSecretRequest,
  sopsProgressNotification,
  writeSecretRequest,
  type EncryptAllResult,
  type SecretErrorCode,
  type SopsFileResult,
} from '../../../server/src/protocol';

/** Editors of decrypted secrets: the real file's path under this scheme (so the language follows its extension). */
export const SECRET_SCHEME = 'cluster-template-secret';

export interface SopsCommandDeps {
  /** The running language client (started on first use). */
  client(): Promise<LanguageClient>;
  output: vscode.LogOutputChannel;
}

export function registerSopsCommands(deps: SopsCommandDeps): vscode.Disposable[] {
  const secrets = new SecretFileSystem(deps);
  return [
    secrets,
    vscode.workspace.registerFileSystemProvider(SECRET_SCHEME, secrets, { isCaseSensitive: true }),
    vscode.commands.registerCommand('clusterTemplate.sops.encryptFile', (resource?: vscode.Uri | string) => encryptFile(deps, resource)),
    vscode.commands.registerCommand('clusterTemplate.sops.decryptFile', (resource?: vscode.Uri | string) => decryptFile(deps, resource)),
    vscode.commands.registerCommand('clusterTemplate.sops.encryptAll', (resource?: vscode.Uri | string) => encryptAll(deps, resource)),
    vscode.commands.registerCommand('clusterTemplate.sops.editSecret', (resource?: vscode.Uri | string) => editSecret(resource)),
    vscode.commands.registerCommand('clusterTemplate.sops.generateAgeKey', (resource?: vscode.Uri | string) => generateAgeKey(deps, resource)),
  ];
}

// ---- Encrypt File / Decrypt File ----------------------------------------------------------------

async function encryptFile(deps: SopsCommandDeps, resource: vscode.Uri | string | undefined): Promise<void> {
  if (!requireTrust('Encrypting')) return;
  const file = targetSecretFile(resource);
  if (!file) return;
  // Encrypt what the editor shows: unsaved plaintext would otherwise be saved over the encrypted file later.
  if (!(await saveIfDirty(file))) return;
  const client = await deps.client();
  const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `Encrypting ${path.basename(file.fsPath)}` }, () =>
    client.sendRequest(encryptFileRequest, { uri: file.toString() }),
  );
  showFileResult(result);
}

async function decryptFile(deps: SopsCommandDeps, resource: vscode.Uri | string | undefined): Promise<void> {
  if (!requireTrust('Decrypting')) return;
  const file = targetSecretFile(resource);
  if (!file) return;
  const answer = await vscode.window.showWarningMessage(
    `Decrypt ${path.basename(file.fsPath)} in place?`,
    {
      modal: true,
      detail:
        'The plaintext will be written to the file on disk. Encrypt it again before committing, ' +
        'or use "Edit Secret" to change values without writing plaintext to disk.',
    },
    'Decrypt',
  );
  if (answer !== 'Decrypt') return;
  if (!(await saveIfDirty(file))) return;
  const client = await deps.client();
  const result = await client.sendRequest(decryptFileRequest, { uri: file.toString() });
  showFileResult(result);
}

function showFileResult(result: SopsFileResult): void {
  if (result.outcome === 'done' || result.outcome === 'unchanged') void vscode.window.showInformationMessage(result.message);
  else void vscode.window.showErrorMessage(result.message);
}

// ---- Encrypt All Secrets ------------------------------------------------------------------------

async function encryptAll(deps: SopsCommandDeps, resource: vscode.Uri | string | undefined): Promise<void> {
  if (!requireTrust('Encrypting')) return;
  const folder = await targetFolder(resource, 'Folder whose secrets to encrypt');
  if (!folder) return;
  // Files being edited are written first, so what gets encrypted is what the editors show.
  await saveDirtySecretsUnder(folder);
  const client = await deps.client();
  const progressId = randomUUID();
  const result: EncryptAllResult = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'Encrypting secrets' },
    async (progress) => {
      let reported = 0;
      const subscription = client.onNotification(sopsProgressNotification, (params) => {
        if (params.progressId !== progressId || params.total === 0) return;
        const percent = (params.done / params.total) * 100;
        progress.report({ increment: percent - reported, message: `${params.done}/${params.total} ${params.relativePath}` });
        reported = percent;
      });
      try {
        return await client.sendRequest(encryptAllRequest, { folderUri: folder.toString(), progressId });
      } finally {
        subscription.dispose();
      }
    },
  );
  if (result.refused) {
    void vscode.window.showErrorMessage(result.refused);
    return;
  }
  for (const failure of result.failed) deps.output.warn(`[sops] ${vscode.Uri.parse(failure.uri).fsPath}: ${failure.message}`);
  for (const uri of result.encrypted) deps.output.info(`[sops] encrypted ${vscode.Uri.parse(uri).fsPath}`);
  const total = result.encrypted.length + result.alreadyEncrypted.length + result.failed.length;
  if (total === 0) {
    void vscode.window.showInformationMessage('Encrypt All Secrets: no *.sops.* files under bootstrap/, kubernetes/, talos/ or infrastructure/.');
    return;
  }
  const summary = `Encrypt All Secrets: ${result.encrypted.length} encrypted, ${result.alreadyEncrypted.length} already encrypted, ${result.failed.length} failed.`;
  if (result.failed.length === 0) {
    void vscode.window.showInformationMessage(summary);
    return;
  }
  const first = result.failed[0];
  const choice = await vscode.window.showErrorMessage(`${summary} ${vscode.workspace.asRelativePath(vscode.Uri.parse(first.uri))}: ${first.message}`, 'Show Output');
  if (choice === 'Show Output') deps.output.show(true);
}

async function saveDirtySecretsUnder(folder: vscode.Uri): Promise<void> {
  const prefix = folder.fsPath.endsWith(path.sep) ? folder.fsPath : folder.fsPath + path.sep;
  for (const document of vscode.workspace.textDocuments) {
    if (document.uri.scheme === 'file' && document.isDirty && isSecretPath(document.uri) && document.uri.fsPath.startsWith(prefix)) await document.save();
  }
}

// ---- Generate age Key ---------------------------------------------------------------------------

async function generateAgeKey(deps: SopsCommandDeps, resource: vscode.Uri | string | undefined): Promise<void> {
  if (!requireTrust('Creating age.key')) return;
  const folder = await targetFolder(resource, 'Folder to create age.key in');
  if (!folder) return;
  const client = await deps.client();
  const result = await client.sendRequest(generateAgeKeyRequest, { folderUri: folder.toString() });
  if (result.outcome === 'refused' || result.outcome === 'failed' || !result.publicKey) {
    void vscode.window.showErrorMessage(result.message);
    return;
  }
  const actions = result.outcome === 'created' ? ['Copy Public Key', 'Render Templates'] : ['Copy Public Key'];
  const choice = await vscode.window.showInformationMessage(result.message, ...actions);
  if (choice === 'Copy Public Key') await vscode.env.clipboard.writeText(result.publicKey);
  if (choice === 'Render Templates') await vscode.commands.executeCommand('clusterTemplate.render', folder);
}

// ---- Edit Secret --------------------------------------------------------------------------------

async function editSecret(resource: vscode.Uri | string | undefined): Promise<void> {
  if (!requireTrust('Decrypting')) return;
  const file = targetSecretFile(resource);
  if (!file) return;
  try {
    const document = await vscode.workspace.openTextDocument(secretUriOf(file));
    await vscode.window.showTextDocument(document, { preview: false });
  } catch (error) {
    void vscode.window.showErrorMessage(`Cannot edit ${path.basename(file.fsPath)}: ${secretErrorMessage(error)}`);
  }
}

/** Marks the decrypted view's tab, which would otherwise look exactly like the encrypted file's. */
const DECRYPTED_PREFIX = '(decrypted) ';

/** The decrypted view of a secret: its path with a marked name, which keeps the extension and so the language. */
export function secretUriOf(file: vscode.Uri): vscode.Uri {
  return file.with({ scheme: SECRET_SCHEME, path: path.posix.join(path.posix.dirname(file.path), DECRYPTED_PREFIX + path.posix.basename(file.path)) });
}

function fileOfSecret(secret: vscode.Uri): vscode.Uri {
  const name = path.posix.basename(secret.path);
  const realName = name.startsWith(DECRYPTED_PREFIX) ? name.slice(DECRYPTED_PREFIX.length) : name;
  return secret.with({ scheme: 'file', path: path.posix.join(path.posix.dirname(secret.path), realName) });
}

/**
 * The decrypted view of secret files. Nothing is cached here: every read asks the server, every
 * save goes to the server, which writes the re-encrypted file atomically. Only files that exist
 * can be opened; folders, renames and deletes are refused.
 */
class SecretFileSystem implements vscode.FileSystemProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<vscode.FileChangeEvent[]>();
  readonly onDidChangeFile = this.changed.event;

  constructor(private readonly deps: SopsCommandDeps) {}

  watch(uri: vscode.Uri): vscode.Disposable {
    // The real file changing (re-encrypted, reverted by git) changes what the editor should show.
    const file = fileOfSecret(uri);
    const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.joinPath(file, '..'), path.basename(file.fsPath)));
    const fire = (type: vscode.FileChangeType) => () => this.changed.fire([{ type, uri }]);
    return vscode.Disposable.from(watcher, watcher.onDidChange(fire(vscode.FileChangeType.Changed)), watcher.onDidDelete(fire(vscode.FileChangeType.Deleted)));
  }

  async stat(uri: vscode.Uri): Promise<vscode.FileStat> {
    // The real file's times, so VS Code's "changed on disk since you opened it" check works on save.
    const real = await vscode.workspace.fs.stat(fileOfSecret(uri));
    if (real.type !== vscode.FileType.File) throw vscode.FileSystemError.FileIsADirectory(uri);
    return { type: vscode.FileType.File, ctime: real.ctime, mtime: real.mtime, size: real.size, permissions: vscode.workspace.isTrusted ? undefined : vscode.FilePermission.Readonly };
  }

  async readFile(uri: vscode.Uri): Promise<Uint8Array> {
    const client = await this.deps.client();
    const result = await client.sendRequest(readSecretRequest, { uri: fileOfSecret(uri).toString() });
    if (result.text === undefined) throw fileSystemError(uri, result.error?.code ?? 'failed', result.error?.message ?? 'the secret cannot be read');
    return new TextEncoder().encode(result.text);
  }

  async writeFile(uri: vscode.Uri, content: Uint8Array, options: { create: boolean; overwrite: boolean }): Promise<void> {
    if (!options.overwrite) throw vscode.FileSystemError.FileExists(uri);
    const client = await this.deps.client();
    const text = new TextDecoder('utf-8', { fatal: true }).decode(content);
    const result = await client.sendRequest(writeSecretRequest, { uri: fileOfSecret(uri).toString(), text });
    if (result.outcome === 'done' || result.outcome === 'unchanged') {
      this.changed.fire([{ type: vscode.FileChangeType.Changed, uri }]);
      // Paths only: the output channel never sees content.
      this.deps.output.info(`[sops] ${result.outcome === 'done' ? 're-encrypted' : 'unchanged'} ${fileOfSecret(uri).fsPath}`);
      return;
    }
    throw fileSystemError(uri, result.error?.code ?? 'failed', result.message);
  }

  readDirectory(): [string, vscode.FileType][] {
    throw vscode.FileSystemError.NoPermissions('Edit Secret opens single files only.');
  }

  createDirectory(): void {
    throw vscode.FileSystemError.NoPermissions('Edit Secret opens single files only.');
  }

  delete(): void {
    throw vscode.FileSystemError.NoPermissions('Delete the encrypted file itself, not its decrypted view.');
  }

  rename(): void {
    throw vscode.FileSystemError.NoPermissions('Rename the encrypted file itself, not its decrypted view.');
  }

  dispose(): void {
    this.changed.dispose();
  }
}

function fileSystemError(uri: vscode.Uri, code: SecretErrorCode, message: string): vscode.FileSystemError {
  if (code === 'not-found') return vscode.FileSystemError.FileNotFound(uri);
  if (code === 'restricted') return vscode.FileSystemError.NoPermissions(message);
  return new vscode.FileSystemError(message);
}

function secretErrorMessage(error: unknown): string {
  const message = (error as Error)?.message ?? String(error);
  // VS Code wraps provider errors as "cannot open <uri>. Detail: <message>"; the detail is ours.
  const detail = /Detail: ([\s\S]*)$/.exec(message);
  return (detail ? detail[1] : message).replace(/\s*\(FileSystemError\)$/, '');
}

// ---- helpers ------------------------------------------------------------------------------------

function requireTrust(action: string): boolean {
  if (vscode.workspace.isTrusted) return true;
  // The commands are disabled in Restricted Mode; this covers a call from another extension or a quick fix.
  void vscode.window.showWarningMessage(`${action} secrets is disabled in Restricted Mode: trust the workspace first.`);
  return false;
}

function isSecretPath(uri: vscode.Uri): boolean {
  return /[^/]\.sops\.[^./]+$/.test(uri.path);
}

/** The secret a command is about: the clicked file or quick-fix argument, else the active editor's (a decrypted view counts). */
function targetSecretFile(resource: vscode.Uri | string | undefined): vscode.Uri | undefined {
  let uri = typeof resource === 'string' ? vscode.Uri.parse(resource) : resource ?? vscode.window.activeTextEditor?.document.uri;
  if (uri?.scheme === SECRET_SCHEME) uri = fileOfSecret(uri);
  if (uri?.scheme === 'file' && isSecretPath(uri)) return uri;
  void vscode.window.showInformationMessage('Open or select a *.sops.* file first.');
  return undefined;
}

/** A workspace folder: the given one, the active editor's, the only one, or the user's pick. */
async function targetFolder(resource: vscode.Uri | string | undefined, placeHolder: string): Promise<vscode.Uri | undefined> {
  if (resource) return typeof resource === 'string' ? vscode.Uri.parse(resource) : resource;
  const active = vscode.window.activeTextEditor?.document.uri;
  const activeFolder = active && vscode.workspace.getWorkspaceFolder(active.scheme === SECRET_SCHEME ? fileOfSecret(active) : active);
  if (activeFolder) return activeFolder.uri;
  const folders = vscode.workspace.workspaceFolders ?? [];
  if (folders.length === 1) return folders[0].uri;
  if (folders.length === 0) {
    void vscode.window.showWarningMessage('Open the folder of a cluster-template repository first.');
    return undefined;
  }
  return (await vscode.window.showWorkspaceFolderPick({ placeHolder }))?.uri;
}

/** Saves an open, modified editor of the file; false when the user's edits could not be saved. */
async function saveIfDirty(file: vscode.Uri): Promise<boolean> {
  const document = vscode.workspace.textDocuments.find((candidate) => candidate.uri.toString() === file.toString());
  if (!document?.isDirty) return true;
  return document.save();
}
