// The language server: creates the connection, declares capabilities, wires handlers to the
// services, and publishes diagnostics. Holds no domain rules.
import './host/memoryFlags';
import { homedir } from 'node:os';
import {
  createConnection,
  DidChangeWatchedFilesNotification,
  FileChangeType,
  ProposedFeatures,
  TextDocuments,
  TextDocumentSyncKind,
  type CancellationToken,
  type CodeActionParams,
  type InitializeParams,
  type InitializeResult,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { URI } from 'vscode-uri';
import {
  codeActionHandler,
  completionHandler,
  documentSymbolHandler,
  foldingRangeHandler,
  hoverHandler,
  type HandlerDeps,
} from './handlers/configHandlers';
import { prepareRenameHandler, referencesHandler, renameHandler, type ReferenceHandlerDeps } from './handlers/referenceHandlers';
import { safeHandler } from './handlers/safe';
import {
  isTemplateUri,
  templateCodeActionHandler,
  templateCompletionHandler,
  templateDefinitionHandler,
  templateFoldingHandler,
  templateHoverHandler,
  templateSymbolHandler,
  type TemplateHandlerDeps,
} from './handlers/templateHandlers';
import {
  applyRenderPlanHandler,
  renderDiagnosticsOf,
  renderedContentHandler,
  renderPlanHandler,
  renderPreviewHandler,
  type RenderHandlerDeps,
} from './handlers/renderHandlers';
import {
  decryptFileHandler,
  encryptAllHandler,
  encryptFileHandler,
  generateAgeKeyHandler,
  isSecretUri,
  readSecretHandler,
  sopsCodeActionHandler,
  writeSecretHandler,
  type SopsHandlerDeps,
} from './handlers/sopsHandlers';
import {
  applyScaffoldHandler,
  configureHandler,
  recordStepResultHandler,
  runVerifyHandler,
  scaffoldPlanHandler,
  setVariablesHandler,
  taskfileTasksHandler,
  validateVariableHandler,
  variablePromptsHandler,
  workItemsHandler,
  type TaskHandlerDeps,
} from './handlers/taskHandlers';
import { createFileExclusive, nodeOutputWriter, writeFileAtomic } from './host/atomicWrite';
import { nodeFileReader, type FileReader } from './host/fileReader';
import { findPluginDataScript, isOnPath, nodeProcessRunner } from './host/processRunner';
import { fileStepResultStore } from './host/stepResultStore';
import {
  applyRenderPlanRequest,
  configStatusNotification,
  readyNotification,
  recheckRequest,
  renderedContentRequest,
  renderPlanRequest,
  renderPreviewRequest,
  trustGrantedNotification,
  decryptFileRequest,
  encryptAllRequest,
  encryptFileRequest,
  generateAgeKeyRequest,
  readSecretRequest,
  sopsProgressNotification,
  writeSecretRequest,
  applyScaffoldRequest,
  configureRequest,
  recordStepResultRequest,
  runVerifyRequest,
  scaffoldPlanRequest,
  setVariablesRequest,
  taskfileTasksRequest,
  validateVariableRequest,
  variablePromptsRequest,
  workItemsChangedNotification,
  workItemsRequest,
  workProgressNotification,
  type ConfigFileStatus,
  type ConfigStatusParams,
  type RenderInitializationOptions,
  type SopsInitializationOptions,
} from './protocol';
import { toLspDiagnostics } from './services/cluster/lspDiagnostics';
import { toUnusedKeyDiagnostics, unusedKeyHints } from './services/jinja/keyReferences';
import { DEFAULT_SETTINGS, readSettings, type ServerSettings } from './settings';
import { CoalescingRunner } from './workspace/coalescingRunner';
import { ConfigFileStore } from './workspace/configFiles';
import { configKindOf } from './workspace/configWorkspace';
import { RenderSession, workspaceRendererLoader } from './workspace/renderSession';
import { SopsSession, type SecretWriter } from './workspace/sopsSession';
import { TaskSession } from './workspace/taskSession';
import { classifySecretText } from './engines/sops/secretsStatus';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { randomBytes } from 'node:crypto';
import { isTemplatePath, TemplateStore } from './workspace/templateStore';

const connection = createConnection(ProposedFeatures.all);
const documents = new TextDocuments(TextDocument);
const log = (message: string): void => connection.console.log(message);

let settings: ServerSettings = DEFAULT_SETTINGS;
let hasConfigurationCapability = false;
let hasWatchedFilesCapability = false;
let roots: string[] = [];
const store = new ConfigFileStore(
  nodeFileReader,
  () => ({ useWorkspaceSchema: settings.schema.useWorkspaceSchema }),
  // Every keystroke checks both config files: the closed one is read from disk only when it changes.
  () => hasWatchedFilesCapability,
);
const templates = new TemplateStore(nodeFileReader, store, () => roots);
/** Status per config file path, for the status bar. */
const statuses = new Map<string, ConfigFileStatus>();

const openDocuments = {
  get(filePath: string) {
    const document = documents.get(URI.file(filePath).toString());
    return document ? { text: document.getText(), version: document.version } : undefined;
  },
};

/** Workspace trust and the storage folder, from the client (initializationOptions, trustGranted). */
let isTrusted = false;
let storagePath: string | undefined;
/** The renderer reads what the editor shows: an open document's unsaved text over the disk. */
const renderReader: FileReader & Required<Pick<FileReader, 'readBytes'>> = {
  ...nodeFileReader,
  readText: async (filePath) => openDocuments.get(filePath)?.text ?? nodeFileReader.readText(filePath),
  readBytes: (filePath) => nodeFileReader.readBytes!(filePath),
};
const renderSession = new RenderSession({
  reader: renderReader,
  loadRenderer: workspaceRendererLoader(renderReader, nodeProcessRunner, () => ({ ...process.env }) as Record<string, string>, findPluginDataScript()),
  writer: nodeOutputWriter,
  storagePath: () => storagePath,
  isTrusted: () => isTrusted,
  pythonPath: () => settings.render.pythonPath,
  onProblemsChanged: (templatePaths) => templatePaths.forEach((filePath) => void publishRenderProblems(filePath)),
  now: () => performance.now(),
});

/** `sops.defaults.ageKeyFile`, the key file setting of other SOPS extensions (from the client). */
let sopsDefaultsAgeKeyFile: string | undefined;
const secretWriter: SecretWriter = {
  replace: async (filePath, content) => {
    const before = await nodeFileReader.readText(filePath);
    await writeFileAtomic(filePath, content);
    // Encrypting a rendered secret in place is part of rendering, not a hand edit of its output.
    const root = rootsHolding(filePath)[0];
    const after = typeof content === 'string' ? content : Buffer.from(content).toString('utf8');
    if (root && before !== undefined && !isSopsEncryptedText(before, filePath) && isSopsEncryptedText(after, filePath)) {
      await renderSession.outputEncrypted(root, filePath, before, after);
    }
  },
  createExclusive: (filePath, content, mode) => createFileExclusive(filePath, content, mode),
};
const sopsSession = new SopsSession({
  reader: nodeFileReader,
  writer: secretWriter,
  runner: nodeProcessRunner,
  roots: () => roots,
  isTrusted: () => isTrusted,
  settings: () => settings.sops,
  otherExtensionAgeKeyFile: () => sopsDefaultsAgeKeyFile,
  env: () => process.env,
  home: () => homedir(),
  openDocument: (filePath) => openDocuments.get(filePath),
  publish: (filePath, diagnostics, version) => connection.sendDiagnostics({ uri: URI.file(filePath).toString(), version, diagnostics }),
  log,
  now: () => new Date(),
});

const taskSession = new TaskSession({
  reader: renderReader,
  renderText: (root, templatePath, text) => renderSession.renderText(root, templatePath, text),
  results: fileStepResultStore(),
  runner: nodeProcessRunner,
  isOnPath: (program) => isOnPath(program),
  isTrusted: () => isTrusted,
  clusterContext: async (root) => (await store.workspaceFor(root)).cluster,
  configErrors: async (root) => {
    const check = await store.checkRoot(root, openDocuments);
    return Object.values(check.files).flatMap((state) =>
      check.problems[state.kind]
        .filter((problem) => problem.severity === 'error')
        .map((problem) => ({ uri: URI.file(state.filePath).toString(), line: lineAt(state.text ?? '', problem.span.start), message: problem.message })),
    );
  },
  renderPlan: (root) => renderSession.plan(root),
  applyRender: (planId, overwrite) => renderSession.apply(planId, overwrite),
  encryptAll: (root, onProgress) => sopsSession.encryptAll(root, (progress) => onProgress(`Encrypting ${progress.relativePath} (${progress.done}/${progress.total})`)),
  writeFile: async (filePath, content) => {
    await mkdir(dirname(filePath), { recursive: true });
    await writeFileAtomic(filePath, content);
  },
  randomBytes: (count) => randomBytes(count),
  now: () => new Date(),
  log,
  filesWritten: (filePaths) => {
    for (const filePath of filePaths) {
      store.fileChanged(filePath);
      renderSession.fileChanged(filePath);
    }
    store.invalidate();
    templates.invalidate();
    for (const root of new Set(filePaths.flatMap(rootsHolding))) {
      statesChanged(root);
      void scheduleCheck(root);
    }
  },
});

/** 1-based line of an offset. */
function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/** Tells the client the remaining-work states of a root may have changed; bursts coalesce. */
const pendingStateNotices = new Map<string, ReturnType<typeof setTimeout>>();
function statesChanged(root: string): void {
  clearTimeout(pendingStateNotices.get(root));
  pendingStateNotices.set(
    root,
    setTimeout(() => {
      pendingStateNotices.delete(root);
      void connection.sendNotification(workItemsChangedNotification, { folderUri: URI.file(root).toString() });
    }, 300),
  );
}

function isSopsEncryptedText(text: string, filePath: string): boolean {
  return classifySecretText(text, filePath).state === 'encrypted';
}

function rootsHolding(filePath: string): string[] {
  return roots.filter((root) => filePath === root || filePath.startsWith(root + '/'));
}

/** Render problems of a template: an open one gets them with its own diagnostics, a closed one alone. */
async function publishRenderProblems(filePath: string): Promise<void> {
  // cluster.yaml and nodes.yaml have their own publish, whose checks already report what breaks loading them.
  if (configKindOf(filePath)) return;
  const uri = URI.file(filePath).toString();
  if (documents.get(uri) && isTemplatePath(filePath)) return scheduleTemplateCheck(uri);
  connection.sendDiagnostics({ uri, diagnostics: renderDiagnosticsOf(renderSession.problemsFor(filePath), await nodeFileReader.readText(filePath)) });
}

async function checkRoot(root: string): Promise<void> {
  const check = await store.checkRoot(root, openDocuments);
  const textDocuments: Record<string, TextDocument> = {};
  for (const state of Object.values(check.files)) {
    const uri = URI.file(state.filePath).toString();
    textDocuments[state.kind] = documents.get(uri) ?? TextDocument.create(uri, 'yaml', 0, state.text ?? '');
  }
  for (const state of Object.values(check.files)) {
    const uri = URI.file(state.filePath).toString();
    const document = textDocuments[state.kind];
    if (!state.analysis || !settings.validation.enable) {
      statuses.delete(state.filePath);
      connection.sendDiagnostics({ uri, diagnostics: [] });
      continue;
    }
    // The text may have moved on while we awaited; publish only for the version we checked.
    if (state.version !== undefined && documents.get(uri)?.version !== state.version) continue;
    const problems = check.problems[state.kind];
    const diagnostics = toLspDiagnostics(document, problems, textDocuments);
    // Keys no template uses: only once the index exists (built in the background after startup).
    const index = state.kind === 'cluster' ? await templates.builtIndexOf(root) : undefined;
    if (index && state.analysis) {
      const hints = unusedKeyHints(state.analysis.parsed.root, index.usedNames(), { templateCount: index.templateCount, hasPlugin: !!(await templates.workspaceFor(root)).plugin });
      diagnostics.push(...toUnusedKeyDiagnostics(document, hints));
    }
    connection.sendDiagnostics({ uri, version: state.version, diagnostics });
    statuses.set(state.filePath, {
      uri,
      errors: problems.filter((p) => p.severity === 'error').length,
      warnings: problems.filter((p) => p.severity === 'warning').length,
    });
  }
  void connection.sendNotification(configStatusNotification, currentStatus());
  // The templates see the data: re-check the open ones of this root.
  for (const document of documents.all()) {
    const filePath = URI.parse(document.uri).fsPath;
    if (isTemplatePath(filePath) && (await templates.rootOf(filePath)) === root) void scheduleTemplateCheck(document.uri);
  }
}

/** Checks one open template against the current data and publishes for the version checked. */
async function checkTemplate(uri: string): Promise<void> {
  const document = documents.get(uri);
  if (!document) return;
  const version = document.version;
  const analysis = await templates.analyze(URI.parse(uri).fsPath, document.getText(), openDocuments);
  if (documents.get(uri)?.version !== version) return;
  const diagnostics = analysis && settings.validation.enable ? toLspDiagnostics(document, analysis.problems, {}) : [];
  // One publish per template: the last render's problems go with the template's own diagnostics.
  diagnostics.push(...renderDiagnosticsOf(renderSession.problemsFor(URI.parse(uri).fsPath), document.getText()));
  connection.sendDiagnostics({ uri, version, diagnostics });
}

function currentStatus(): ConfigStatusParams {
  return { files: [...statuses.values()] };
}

/** Checks of config roots and of open templates: bursts of edits coalesce into one check of the newest text. */
const rootChecks = new CoalescingRunner((root) => checkRoot(root), (root, error) => log(`[error] checking ${root}: ${(error as Error)?.stack ?? String(error)}`));
const scheduleCheck = (root: string): Promise<void> => rootChecks.run(root);
const templateChecks = new CoalescingRunner((uri) => checkTemplate(uri), (uri, error) => log(`[error] checking ${uri}: ${(error as Error)?.stack ?? String(error)}`));
const scheduleTemplateCheck = (uri: string): Promise<void> => templateChecks.run(uri);

const deps: HandlerDeps = {
  documents,
  store,
  ensureChecked: (root) => scheduleCheck(root),
};

connection.onInitialize((params: InitializeParams): InitializeResult => {
  hasConfigurationCapability = !!params.capabilities.workspace?.configuration;
  hasWatchedFilesCapability = !!params.capabilities.workspace?.didChangeWatchedFiles?.dynamicRegistration;
  const folders = params.workspaceFolders?.map((f) => URI.parse(f.uri).fsPath) ?? [];
  if (folders.length === 0 && params.rootUri) folders.push(URI.parse(params.rootUri).fsPath);
  roots = folders;
  if (params.initializationOptions?.settings) settings = readSettings(params.initializationOptions.settings);
  const renderOptions = (params.initializationOptions ?? {}) as RenderInitializationOptions;
  // Untrusted unless the client says otherwise: no writes and no plugin.py run by default.
  isTrusted = renderOptions.isTrusted === true;
  storagePath = typeof renderOptions.storagePath === 'string' ? renderOptions.storagePath : undefined;
  const sopsOptions = (params.initializationOptions ?? {}) as SopsInitializationOptions;
  sopsDefaultsAgeKeyFile = typeof sopsOptions.sopsDefaultsAgeKeyFile === 'string' ? sopsOptions.sopsDefaultsAgeKeyFile : undefined;
  return {
    capabilities: {
      textDocumentSync: TextDocumentSyncKind.Incremental,
      // ':' ' ' '-' '"' for YAML keys and values; '.' '|' "'" '/' '%' '{' for template expressions and tags.
      completionProvider: { triggerCharacters: [':', ' ', '-', '"', '.', '|', "'", '/', '%', '{'], resolveProvider: false },
      hoverProvider: true,
      definitionProvider: true,
      referencesProvider: true,
      renameProvider: { prepareProvider: true },
      codeActionProvider: { codeActionKinds: ['quickfix', 'refactor.rewrite'] },
      documentSymbolProvider: true,
      foldingRangeProvider: true,
    },
    serverInfo: { name: 'cluster-template-tools' },
  };
});

connection.onInitialized(async () => {
  if (hasConfigurationCapability) {
    try {
      settings = readSettings(await connection.workspace.getConfiguration('clusterTemplate'));
    } catch (error) {
      log(`[warn] could not read settings, using defaults: ${String(error)}`);
    }
  }
  if (hasWatchedFilesCapability) {
    void connection.client.register(DidChangeWatchedFilesNotification.type, {
      watchers: [
        { globPattern: '**/{cluster,nodes}.yaml' },
        { globPattern: '**/{cluster,nodes}.sample.yaml' },
        { globPattern: '**/.taskfiles/template/resources/*.{cue,json}' },
        { globPattern: '**/makejinja.toml' },
        { globPattern: '**/*.{j2,py}' },
        { globPattern: '**/*.sops.*' },
        { globPattern: '**/{.sops.yaml,age.key}' },
        // Rendered manifests and the Taskfile: the remaining-work states read them.
        { globPattern: '**/kubernetes/**/*.yaml' },
        { globPattern: '**/{Taskfile,taskfile}*.{yml,yaml}' },
      ],
    });
  }
  let workspaceSchema: 'cue' | 'json' | 'none' = 'none';
  const notes: string[] = [];
  for (const root of roots) {
    const workspace = await store.workspaceFor(root);
    if (workspace.workspaceSchema !== 'none') workspaceSchema = workspace.workspaceSchema;
    notes.push(...workspace.notes);
    log(`[info] ${root}: workspace schema ${workspace.workspaceSchema}${workspace.notes.length ? `, ${workspace.notes.length} note(s)` : ''}`);
    for (const note of workspace.notes) log(`[note] ${note}`);
    await scheduleCheck(root);
    // Index the templates in the background, then re-check so cluster.yaml gets its unused-key hints.
    void templates.indexFor(root).then(() => scheduleCheck(root), (error: unknown) => log(`[error] indexing templates of ${root}: ${String(error)}`));
  }
  void connection.sendNotification(readyNotification, { workspaceSchema, notes });
  // Secrets outside templates/, open or not: a plaintext one is a leak waiting for a commit.
  void sopsSession.scanRoots();
});

connection.onDidChangeConfiguration(async (change) => {
  const fromPush = (change.settings as { clusterTemplate?: unknown } | undefined)?.clusterTemplate;
  settings = fromPush !== undefined ? readSettings(fromPush) : hasConfigurationCapability ? readSettings(await connection.workspace.getConfiguration('clusterTemplate')) : settings;
  const sopsPush = (change.settings as { sops?: { defaults?: { ageKeyFile?: unknown } } } | undefined)?.sops;
  if (sopsPush !== undefined) sopsDefaultsAgeKeyFile = typeof sopsPush.defaults?.ageKeyFile === 'string' ? sopsPush.defaults.ageKeyFile : undefined;
  sopsSession.reset();
  store.invalidate();
  templates.invalidate();
  renderSession.reset();
  for (const root of knownRoots()) void scheduleCheck(root);
});

function knownRoots(): Set<string> {
  const all = new Set(roots);
  for (const document of documents.all()) {
    const filePath = URI.parse(document.uri).fsPath;
    if (configKindOf(filePath)) all.add(ConfigFileStore.rootOf(filePath));
  }
  return all;
}

connection.onDidChangeWatchedFiles(async (params) => {
  const touched = new Set<string>();
  const reloadedTemplateRoots = new Set<string>();
  for (const change of params.changes) {
    const filePath = URI.parse(change.uri).fsPath;
    store.fileChanged(filePath);
    renderSession.fileChanged(filePath);
    const templateRoot = await templates.rootOf(filePath);
    if (templateRoot && isTemplatePath(filePath) && change.type === FileChangeType.Changed) {
      // An edited template: re-index just it (an open one is re-indexed as it is typed).
      const index = await templates.builtIndexOf(templateRoot);
      const text = documents.get(change.uri) ? undefined : await nodeFileReader.readText(filePath);
      if (index && text !== undefined) index.update(filePath, text);
      touched.add(templateRoot);
    } else if (templateRoot && (await templates.isWorkspaceFile(filePath))) {
      // makejinja.toml, plugin.py, or a template added or removed: read the template workspace again.
      templates.invalidate(templateRoot);
      reloadedTemplateRoots.add(templateRoot);
    }
    if (await store.isSchemaFile(filePath)) {
      store.invalidate();
      for (const root of knownRoots()) touched.add(root);
    } else if (configKindOf(filePath)) {
      touched.add(ConfigFileStore.rootOf(filePath));
    }
  }
  sopsSession.filesChanged(params.changes.map((change) => ({ filePath: URI.parse(change.uri).fsPath, isDeleted: change.type === FileChangeType.Deleted })));
  for (const root of new Set(params.changes.flatMap((change) => rootsHolding(URI.parse(change.uri).fsPath)))) statesChanged(root);
  for (const root of touched) void scheduleCheck(root);
  for (const root of reloadedTemplateRoots) {
    void templates.indexFor(root).then(() => scheduleCheck(root), (error: unknown) => log(`[error] indexing templates of ${root}: ${String(error)}`));
  }
  if (reloadedTemplateRoots.size > 0) for (const document of documents.all()) if (isTemplatePath(URI.parse(document.uri).fsPath)) void scheduleTemplateCheck(document.uri);
});

function rootOfDocument(uri: string): string | undefined {
  const filePath = URI.parse(uri).fsPath;
  return configKindOf(filePath) ? ConfigFileStore.rootOf(filePath) : undefined;
}

function onDocumentText(uri: string): void {
  renderSession.fileChanged(URI.parse(uri).fsPath);
  const root = rootOfDocument(uri);
  if (root) void scheduleCheck(root);
  else if (isTemplatePath(URI.parse(uri).fsPath)) void scheduleTemplateCheck(uri);
  else sopsSession.documentChanged(URI.parse(uri).fsPath);
}
documents.onDidOpen((event) => onDocumentText(event.document.uri));
documents.onDidChangeContent((event) => onDocumentText(event.document.uri));
documents.onDidClose((event) => {
  // The file on disk is what counts once the editor closes a config file; a closed template is not checked.
  store.fileChanged(URI.parse(event.document.uri).fsPath);
  renderSession.fileChanged(URI.parse(event.document.uri).fsPath);
  const root = rootOfDocument(event.document.uri);
  if (root) void scheduleCheck(root);
  const filePath = URI.parse(event.document.uri).fsPath;
  if (isTemplatePath(filePath)) {
    templates.forget(filePath);
    renderSession.forgetPreview(filePath);
    // Render problems stay visible on a closed template until the next render.
    void publishRenderProblems(filePath);
  }
  sopsSession.documentClosed(filePath);
});

const templateDeps: TemplateHandlerDeps = { documents, templates, open: openDocuments, reader: nodeFileReader };
/** Sends a request to the template handler for .j2 documents and to the config handler otherwise. */
function byDocumentKind<P extends { textDocument: { uri: string } }, R>(config: (p: P) => Promise<R>, template: (p: P) => Promise<R>) {
  return (params: P): Promise<R> => (isTemplateUri(params.textDocument.uri) ? template(params) : config(params));
}

const documentCodeActions = byDocumentKind(codeActionHandler(deps), templateCodeActionHandler(templateDeps));
const secretCodeActions = sopsCodeActionHandler();
connection.onCodeAction(
  safeHandler('textDocument/codeAction', log, [], (params: CodeActionParams) =>
    isSecretUri(sopsSession, params.textDocument.uri) ? secretCodeActions(params) : documentCodeActions(params),
  ),
);
connection.onCompletion(safeHandler('textDocument/completion', log, [], byDocumentKind(completionHandler(deps), templateCompletionHandler(templateDeps))));
connection.onHover(safeHandler('textDocument/hover', log, null, byDocumentKind(hoverHandler(deps), templateHoverHandler(templateDeps))));
const referenceDeps: ReferenceHandlerDeps = {
  documents,
  configs: store,
  templates,
  open: openDocuments,
  showNote: (message) => void connection.window.showInformationMessage(message),
};
connection.onReferences(safeHandler('textDocument/references', log, [], referencesHandler(referenceDeps)));
connection.onPrepareRename(safeHandler('textDocument/prepareRename', log, null, prepareRenameHandler(referenceDeps)));
connection.onRenameRequest(safeHandler('textDocument/rename', log, null, renameHandler(referenceDeps)));
connection.onDefinition(safeHandler('textDocument/definition', log, [], byDocumentKind(async () => [], templateDefinitionHandler(templateDeps))));
connection.onDocumentSymbol(safeHandler('textDocument/documentSymbol', log, [], byDocumentKind(documentSymbolHandler(deps), templateSymbolHandler(templateDeps))));
connection.onFoldingRanges(safeHandler('textDocument/foldingRange', log, [], byDocumentKind(foldingRangeHandler(deps), templateFoldingHandler(templateDeps))));
connection.onRequest(
  recheckRequest,
  safeHandler('clusterTemplate/recheck', log, { files: [] }, async () => {
    store.invalidate();
    await Promise.all([...knownRoots()].map((root) => scheduleCheck(root)));
    return currentStatus();
  }),
);

const renderDeps: RenderHandlerDeps = { session: renderSession, textOf: (filePath) => renderReader.readText(filePath), rootOf: (filePath) => templates.rootOf(filePath) };
/** safeHandler for the render requests, which also take the request's cancellation token. */
function withToken<P, R>(method: string, empty: R, handler: (params: P, token: CancellationToken) => Promise<R>) {
  return (params: P, token: CancellationToken): Promise<R> => safeHandler(method, log, empty, (p: P) => handler(p, token))(params);
}
const failedRender = 'The render failed unexpectedly; the Cluster Template output has the details.';
connection.onRequest(renderPlanRequest, withToken('clusterTemplate/renderPlan', { planId: '', files: [], errors: [], notes: [failedRender], durationMs: 0 }, renderPlanHandler(renderDeps)));
connection.onRequest(renderedContentRequest, safeHandler('clusterTemplate/renderedContent', log, { text: '' }, renderedContentHandler(renderDeps)));
connection.onRequest(applyRenderPlanRequest, withToken('clusterTemplate/applyRenderPlan', { written: [], removed: [], skipped: [], errors: [failedRender] }, applyRenderPlanHandler(renderDeps)));
connection.onRequest(renderPreviewRequest, withToken('clusterTemplate/renderPreview', { error: { line: 1, message: failedRender }, notes: [] }, renderPreviewHandler(renderDeps)));
const sopsDeps: SopsHandlerDeps = { session: sopsSession, sendProgress: (params) => void connection.sendNotification(sopsProgressNotification, params) };
const refusedFile = (params: { uri: string }) => ({ uri: params.uri, outcome: 'failed' as const, message: 'The SOPS operation failed unexpectedly; the Cluster Template output has the details.' });
connection.onRequest(encryptFileRequest, (params) => safeHandler('clusterTemplate/sops/encryptFile', log, refusedFile(params), encryptFileHandler(sopsDeps))(params));
connection.onRequest(decryptFileRequest, (params) => safeHandler('clusterTemplate/sops/decryptFile', log, refusedFile(params), decryptFileHandler(sopsDeps))(params));
connection.onRequest(encryptAllRequest, withToken('clusterTemplate/sops/encryptAll', { encrypted: [], alreadyEncrypted: [], failed: [], refused: 'Encrypting failed unexpectedly; the Cluster Template output has the details.' }, encryptAllHandler(sopsDeps)));
connection.onRequest(readSecretRequest, safeHandler('clusterTemplate/sops/readSecret', log, { error: { code: 'failed', message: 'Decrypting failed unexpectedly; the Cluster Template output has the details.' } }, readSecretHandler(sopsDeps)));
connection.onRequest(writeSecretRequest, safeHandler('clusterTemplate/sops/writeSecret', log, { outcome: 'failed', message: 'Saving the secret failed unexpectedly; the file on disk is as it was.', error: { code: 'failed', message: 'unexpected error' } }, writeSecretHandler(sopsDeps)));
connection.onRequest(generateAgeKeyRequest, (params) => safeHandler('clusterTemplate/sops/generateAgeKey', log, { outcome: 'failed', keyFileUri: '', message: 'Creating age.key failed unexpectedly; the Cluster Template output has the details.' }, generateAgeKeyHandler(sopsDeps))(params));
const taskDeps: TaskHandlerDeps = {
  session: taskSession,
  sendProgress: (params) => void connection.sendNotification(workProgressNotification, params),
  statesChanged,
};
const unexpected = 'failed unexpectedly; the Cluster Template output has the details.';
connection.onRequest(workItemsRequest, safeHandler('clusterTemplate/tasks/items', log, { isClusterTemplate: true, items: [], environment: {}, notes: [`Reading the remaining work ${unexpected}`] }, workItemsHandler(taskDeps)));
connection.onRequest(scaffoldPlanRequest, safeHandler('clusterTemplate/tasks/scaffoldPlan', log, { changes: [], upToDate: [], notes: [], refused: `Planning the scaffold ${unexpected}` }, scaffoldPlanHandler(taskDeps)));
connection.onRequest(applyScaffoldRequest, safeHandler('clusterTemplate/tasks/applyScaffold', log, { written: [], skipped: [], errors: [`Writing the scaffold ${unexpected}`] }, applyScaffoldHandler(taskDeps)));
connection.onRequest(variablePromptsRequest, safeHandler('clusterTemplate/tasks/variablePrompts', log, { prompts: [], refused: `Reading the variables ${unexpected}` }, variablePromptsHandler(taskDeps)));
connection.onRequest(validateVariableRequest, safeHandler('clusterTemplate/tasks/validateVariable', log, {}, validateVariableHandler(taskDeps)));
connection.onRequest(setVariablesRequest, safeHandler('clusterTemplate/tasks/setVariables', log, { uri: '', edits: [], problems: [`Planning the cluster.yaml edits ${unexpected}`] }, setVariablesHandler(taskDeps)));
connection.onRequest(runVerifyRequest, safeHandler('clusterTemplate/tasks/runVerify', log, { status: 'error' as const, reason: `The check ${unexpected}`, details: [], at: new Date(0).toISOString() }, runVerifyHandler(taskDeps)));
connection.onRequest(recordStepResultRequest, safeHandler('clusterTemplate/tasks/recordStepResult', log, undefined, recordStepResultHandler(taskDeps)));
connection.onRequest(configureRequest, safeHandler('clusterTemplate/tasks/configure', log, { outcome: 'failed' as const, stages: [{ name: 'check' as const, status: 'failed' as const, message: `Configure ${unexpected}`, details: [] }], handEdited: [], configErrors: [] }, configureHandler(taskDeps)));
connection.onRequest(taskfileTasksRequest, safeHandler('clusterTemplate/tasks/taskfile', log, { tasks: [], problems: [`Reading the Taskfile ${unexpected}`], environment: {} }, taskfileTasksHandler(taskDeps)));
connection.onNotification(trustGrantedNotification, () => {
  isTrusted = true;
  // Derived data changes from static to plugin.py's real data().
  renderSession.reset();
  // Secrets can now be decrypted: their MAC checks and the age key check run.
  sopsSession.reset();
  roots.forEach(statesChanged);
});

process.on('uncaughtException', (error) => log(`[error] uncaught: ${error.stack ?? String(error)}`));
documents.listen(connection);
connection.listen();
