// The render commands: "Render Templates" (render in memory, summary, diffs, write after asking
// about hand edits), the live rendered preview of a template, and its comparison with the file on
// disk. The server renders; this module only asks, shows and relays. File contents are never logged.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import {
  applyRenderPlanRequest,
  renderedContentRequest,
  renderPlanRequest,
  renderPreviewRequest,
  type RenderPlanFile,
  type RenderPlanResult,
  type RenderPreviewResult,
} from '../../../server/src/protocol';

/** Virtual documents holding what a render plan would write (right side of "Show Changes"). */
export const RENDERED_SCHEME = 'cluster-template-rendered';
/** Virtual documents holding the live rendered output of a template. */
export const PREVIEW_SCHEME = 'cluster-template-preview';

/** Typing pauses shorter than this re-render the preview once. */
const PREVIEW_DEBOUNCE_MS = 150;
/** "Show Changes" opens this many diff editors at most without asking which ones. */
const MAX_DIFF_EDITORS = 10;

export interface RenderCommandDeps {
  /** The running language client (started on first use). */
  client(): Promise<LanguageClient>;
  output: vscode.LogOutputChannel;
}

export function registerRenderCommands(deps: RenderCommandDeps): vscode.Disposable[] {
  const rendered = new RenderedContentProvider(deps);
  const previews = new PreviewProvider(deps);
  return [
    rendered,
    previews,
    vscode.workspace.registerTextDocumentContentProvider(RENDERED_SCHEME, rendered),
    vscode.workspace.registerTextDocumentContentProvider(PREVIEW_SCHEME, previews),
    vscode.commands.registerCommand('clusterTemplate.render', (resource?: vscode.Uri) => renderTemplates(deps, resource)),
    vscode.commands.registerCommand('clusterTemplate.openRenderedPreview', (resource?: vscode.Uri) => openPreview(resource)),
    vscode.commands.registerCommand('clusterTemplate.diffRenderedWithDisk', (resource?: vscode.Uri) => diffWithDisk(deps, previews, resource)),
  ];
}

// ---- Render Templates -------------------------------------------------------------------------

async function renderTemplates(deps: RenderCommandDeps, resource: vscode.Uri | undefined): Promise<void> {
  if (!vscode.workspace.isTrusted) {
    // The command is disabled in Restricted Mode; this covers a call from another extension.
    void vscode.window.showWarningMessage('Rendering writes files: trust the workspace first.');
    return;
  }
  const folder = await folderToRender(resource);
  if (!folder) return;
  const client = await deps.client();
  let plan: RenderPlanResult;
  try {
    plan = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'Cluster Template: rendering templates', cancellable: true },
      (_progress, token) => client.sendRequest(renderPlanRequest, { folderUri: folder.toString() }, token),
    );
  } catch (error) {
    if (isCancellation(error)) return;
    void vscode.window.showErrorMessage(`Rendering failed: ${messageOf(error)}`);
    return;
  }
  deps.output.info(`Rendered ${plan.files.length} files in ${plan.durationMs} ms; ${plan.errors.length} errors.`);
  for (const note of plan.notes) deps.output.info(`[render] ${note}`);

  if (plan.errors.length > 0) {
    const failed = [...new Set(plan.errors.map((error) => error.templateUri))];
    // Usually templates; a broken data file or makejinja.toml stops the render before any template.
    const message = failed.every((uri) => uri.endsWith('.j2'))
      ? `${plural(failed.length, 'template')} failed to render; nothing was written.`
      : `The render failed in ${failed.map((uri) => path.basename(vscode.Uri.parse(uri).fsPath)).join(', ')}; nothing was written.`;
    const choice = await vscode.window.showErrorMessage(message, 'Show Problems');
    if (choice === 'Show Problems') await vscode.commands.executeCommand('workbench.actions.view.problems');
    return;
  }

  const count = (status: RenderPlanFile['status']): number => plan.files.filter((file) => file.status === status).length;
  const summary = `Render: ${count('created')} created, ${count('changed')} changed, ${count('unchanged')} unchanged, ${count('removed')} removed`;
  // The one note that changes what the numbers mean goes into the message; the others are in the output.
  const isApproximate = plan.notes.some((note) => note.includes('derived values approximate'));
  const otherNotes = plan.notes.length - (isApproximate ? 1 : 0);
  const notes = (isApproximate ? ' (derived values approximate)' : '') + (otherNotes > 0 ? `; ${plural(otherNotes, 'note')} in the output` : '');
  const hasChanges = count('created') + count('changed') > 0;
  const hasWrites = hasChanges || count('removed') > 0;
  for (;;) {
    const actions = [...(hasWrites ? ['Write'] : []), ...(hasChanges ? ['Show Changes'] : [])];
    const choice = await vscode.window.showInformationMessage(summary + notes, ...actions);
    if (choice === 'Show Changes') {
      await showChanges(plan);
      // The summary comes back so "Write" stays one click away after looking at the diffs.
      continue;
    }
    if (choice === 'Write') await writePlan(deps, client, plan);
    return;
  }
}

/** The folder to render: the one holding a clicked makejinja.toml, the active editor's, the only one, or the user's pick. */
async function folderToRender(resource: vscode.Uri | undefined): Promise<vscode.Uri | undefined> {
  if (resource?.scheme === 'file') return path.basename(resource.fsPath) === 'makejinja.toml' ? vscode.Uri.joinPath(resource, '..') : resource;
  const folders = vscode.workspace.workspaceFolders ?? [];
  const active = vscode.window.activeTextEditor?.document.uri;
  const activeFolder = active && vscode.workspace.getWorkspaceFolder(active.scheme === PREVIEW_SCHEME ? templateOfPreview(active) : active);
  if (activeFolder) return activeFolder.uri;
  if (folders.length === 1) return folders[0].uri;
  if (folders.length === 0) {
    void vscode.window.showWarningMessage('Open the folder of a cluster-template repository to render its templates.');
    return undefined;
  }
  return (await vscode.window.showWorkspaceFolderPick({ placeHolder: 'Folder whose templates to render' }))?.uri;
}

async function showChanges(plan: RenderPlanResult): Promise<void> {
  let files = plan.files.filter((file) => file.status === 'created' || file.status === 'changed');
  if (files.length > MAX_DIFF_EDITORS) {
    const picked = await vscode.window.showQuickPick(
      files.map((file) => ({ label: file.relativePath, description: file.status + (file.isHandEdited ? ', edited by hand' : ''), file })),
      { canPickMany: true, placeHolder: `${files.length} files would change: pick the ones to compare` },
    );
    files = (picked ?? []).map((item) => item.file);
  }
  for (const file of files) {
    const onDisk = vscode.Uri.parse(file.uri);
    const left = file.status === 'created' ? renderedUri(plan.planId, onDisk, true) : onDisk;
    await vscode.commands.executeCommand('vscode.diff', left, renderedUri(plan.planId, onDisk), `${file.relativePath} (on disk ↔ rendered)`, { preview: false });
  }
}

async function writePlan(deps: RenderCommandDeps, client: LanguageClient, plan: RenderPlanResult): Promise<void> {
  if (!vscode.workspace.isTrusted) return;
  const handEdited = plan.files.filter((file) => file.isHandEdited && (file.status === 'created' || file.status === 'changed'));
  let overwriteHandEdited: string[] = [];
  if (handEdited.length > 0) {
    const question =
      handEdited.length === 1
        ? '1 generated file was edited by hand since the last render: overwrite?'
        : `${handEdited.length} generated files were edited by hand since the last render: overwrite?`;
    const listed = handEdited.slice(0, 10).map((file) => file.relativePath);
    const more = handEdited.length > listed.length ? `\n… and ${handEdited.length - listed.length} more` : '';
    const answer = await vscode.window.showWarningMessage(question, { modal: true, detail: listed.join('\n') + more }, 'Overwrite', 'Keep My Edits');
    if (answer === undefined) return;
    if (answer === 'Overwrite') overwriteHandEdited = handEdited.map((file) => file.uri);
  }
  // In the status bar: a notification here would be one more toast between the summary and the report.
  const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'Writing rendered files' }, () =>
    client.sendRequest(applyRenderPlanRequest, { planId: plan.planId, overwriteHandEdited }),
  );
  for (const error of result.errors) deps.output.warn(`[render] ${error}`);
  const parts = [`wrote ${plural(result.written.length, 'file')}`, `removed ${result.removed.length}`];
  if (result.skipped.length > 0) parts.push(`kept ${result.skipped.length} as they are`);
  const report = `Render: ${parts.join(', ')}.`;
  if (result.errors.length > 0) {
    const choice = await vscode.window.showErrorMessage(`${report} ${result.errors[0]}${result.errors.length > 1 ? ` (+${result.errors.length - 1} more in the output)` : ''}`, 'Show Output');
    if (choice === 'Show Output') deps.output.show(true);
  } else {
    void vscode.window.showInformationMessage(report);
  }
}

function renderedUri(planId: string, fileUri: vscode.Uri, empty = false): vscode.Uri {
  const query = new URLSearchParams({ plan: planId, file: fileUri.toString(), ...(empty ? { empty: '1' } : {}) });
  // The output file's path keeps the tab title and the language (by extension) of the real file.
  return vscode.Uri.from({ scheme: RENDERED_SCHEME, path: fileUri.path, query: query.toString() });
}

/** Serves what a plan would write, and an empty document for the left side of a created file. */
class RenderedContentProvider implements vscode.TextDocumentContentProvider, vscode.Disposable {
  constructor(private readonly deps: RenderCommandDeps) {}

  async provideTextDocumentContent(uri: vscode.Uri, token: vscode.CancellationToken): Promise<string> {
    const query = new URLSearchParams(uri.query);
    if (query.get('empty')) return '';
    const client = await this.deps.client();
    try {
      const result = await client.sendRequest(renderedContentRequest, { planId: query.get('plan') ?? '', uri: query.get('file') ?? '' }, token);
      return result.text;
    } catch (error) {
      if (isCancellation(error)) return '';
      return `${commentLine(uri.path, messageOf(error))}\n`;
    }
  }

  dispose(): void {
    // Nothing to release: the documents live in VS Code.
  }
}

// ---- Rendered preview ---------------------------------------------------------------------------

/** The preview document of a template: its path without the .j2 suffix, so VS Code picks the output's language. */
function previewUriOf(template: vscode.Uri): vscode.Uri {
  const outputPath = template.path.replace(/\.j2$/, '');
  return vscode.Uri.from({ scheme: PREVIEW_SCHEME, path: outputPath, query: new URLSearchParams({ template: template.toString() }).toString() });
}

function templateOfPreview(preview: vscode.Uri): vscode.Uri {
  return vscode.Uri.parse(new URLSearchParams(preview.query).get('template') ?? '');
}

/** The template a command is about: the clicked file, the active template, or the template of the active preview. */
function targetTemplate(resource: vscode.Uri | undefined): vscode.Uri | undefined {
  const uri = resource ?? vscode.window.activeTextEditor?.document.uri;
  if (uri?.scheme === PREVIEW_SCHEME) return templateOfPreview(uri);
  if (uri?.scheme === 'file' && uri.path.endsWith('.j2')) return uri;
  void vscode.window.showInformationMessage('Open a .j2 template first: the preview shows what it renders to.');
  return undefined;
}

async function openPreview(resource: vscode.Uri | undefined): Promise<void> {
  const template = targetTemplate(resource);
  if (!template) return;
  const document = await vscode.workspace.openTextDocument(previewUriOf(template));
  // Beside the template and without taking focus: the user keeps typing in the template.
  await vscode.window.showTextDocument(document, { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true, preview: false });
}

async function diffWithDisk(deps: RenderCommandDeps, previews: PreviewProvider, resource: vscode.Uri | undefined): Promise<void> {
  const template = targetTemplate(resource);
  if (!template) return;
  const result = await previews.render(template);
  if (!result.outputUri) {
    void vscode.window.showWarningMessage(`${path.basename(template.fsPath)} does not render to a file${result.error ? `: ${result.error.message}` : '.'}`);
    return;
  }
  const onDisk = vscode.Uri.parse(result.outputUri);
  const left = (await exists(onDisk)) ? onDisk : renderedUri('', onDisk, true);
  const name = path.basename(onDisk.fsPath);
  await vscode.commands.executeCommand('vscode.diff', left, previewUriOf(template), `${name} (on disk ↔ rendered preview)`);
  deps.output.debug(`Comparing the rendered preview of ${template.fsPath} with ${onDisk.fsPath}.`);
}

/**
 * Serves the live preview of templates and re-renders the open previews as the user types in a
 * template or in a file it reads (data files, makejinja.toml, plugin.py), after a short pause.
 */
class PreviewProvider implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  private readonly subscriptions: vscode.Disposable[] = [];
  /** The last good output of each previewed template, shown under an error line while the template is broken. */
  private readonly lastText = new Map<string, string>();
  private readonly notesShown = new Set<string>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: RenderCommandDeps) {
    this.subscriptions.push(
      this.changed,
      vscode.workspace.onDidChangeTextDocument((event) => {
        if (event.contentChanges.length > 0 && affectsPreviews(event.document.uri)) this.scheduleRefresh();
      }),
      vscode.workspace.onDidSaveTextDocument((document) => {
        if (affectsPreviews(document.uri)) this.scheduleRefresh();
      }),
      vscode.workspace.onDidCloseTextDocument((document) => {
        if (document.uri.scheme === PREVIEW_SCHEME) this.lastText.delete(templateOfPreview(document.uri).toString());
      }),
    );
  }

  async provideTextDocumentContent(uri: vscode.Uri, token: vscode.CancellationToken): Promise<string> {
    const template = templateOfPreview(uri);
    let result: RenderPreviewResult;
    try {
      result = await this.render(template, token);
    } catch (error) {
      if (isCancellation(error)) return this.lastText.get(template.toString()) ?? '';
      result = { error: { line: 1, message: messageOf(error) }, notes: [] };
    }
    this.showNotes(result.notes);
    if (result.text !== undefined && !result.error) {
      this.lastText.set(template.toString(), result.text);
      return result.text;
    }
    const message = result.error ? `Render error at line ${result.error.line}: ${result.error.message}` : 'The template rendered nothing.';
    const previous = this.lastText.get(template.toString());
    const shown = previous === undefined ? '' : '\n' + commentLine(uri.path, 'Showing the last successful render below.') + '\n' + previous;
    return commentLine(uri.path, message) + shown;
  }

  async render(template: vscode.Uri, token?: vscode.CancellationToken): Promise<RenderPreviewResult> {
    const client = await this.deps.client();
    const params = { templateUri: template.toString() };
    return token ? client.sendRequest(renderPreviewRequest, params, token) : client.sendRequest(renderPreviewRequest, params);
  }

  private scheduleRefresh(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      for (const document of vscode.workspace.textDocuments) {
        if (document.uri.scheme === PREVIEW_SCHEME && !document.isClosed) this.changed.fire(document.uri);
      }
    }, PREVIEW_DEBOUNCE_MS);
  }

  /** Each note once per session, in the output channel; "derived values approximate" also as a message. */
  private showNotes(notes: string[]): void {
    for (const note of notes) {
      if (this.notesShown.has(note)) continue;
      this.notesShown.add(note);
      this.deps.output.info(`[preview] ${note}`);
      if (note.includes('derived values approximate')) void vscode.window.showInformationMessage(`Rendered preview: ${note}.`);
    }
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    for (const subscription of this.subscriptions) subscription.dispose();
  }
}

/** Whether an edit of this document can change a rendered preview. */
function affectsPreviews(uri: vscode.Uri): boolean {
  if (uri.scheme !== 'file') return false;
  return /\.(j2|ya?ml|json|toml|py)$/.test(uri.path);
}

// ---- helpers --------------------------------------------------------------------------------------

/** One comment line in the output's own syntax, so the preview stays valid where it can. */
function commentLine(outputPath: string, text: string): string {
  const flat = text.replace(/\s*\n\s*/g, ' ');
  if (/\.(md|markdown|html?|xml)$/.test(outputPath)) return `<!-- ${flat.replace(/--/g, '- -')} -->`;
  if (/\.(json|jsonc|js|ts|go)$/.test(outputPath)) return `// ${flat}`;
  return `# ${flat}`;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

function isCancellation(error: unknown): boolean {
  if (error instanceof vscode.CancellationError) return true;
  const code = (error as { code?: unknown } | undefined)?.code;
  // LSPErrorCodes.RequestCancelled: the server stopped because we asked it to.
  return code === -32800;
}

function messageOf(error: unknown): string {
  return (error as Error)?.message ?? String(error);
}

async function exists(uri: vscode.Uri): Promise<boolean> {
  try {
    await vscode.workspace.fs.stat(uri);
    return true;
  } catch {
    // stat throws FileNotFound: the file is simply not there.
    return false;
  }
}
