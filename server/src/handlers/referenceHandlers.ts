// References and rename across cluster.yaml, nodes.yaml and the templates: find the cursor's file
// and the workspace's template index, call one service, return its answer.
import { ResponseError, type Location, type PrepareRenameParams, type Range, type ReferenceParams, type RenameParams, type WorkspaceEdit } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { URI } from 'vscode-uri';
import { findKeyReferences, findVariableReferences, type ConfigFileInput } from '../services/jinja/keyReferences';
import { computeRename, prepareRename, type RenameContext, type RenameCursor } from '../services/jinja/rename';
import type { ConfigFileKind } from '../services/cluster/schemaTypes';
import { ConfigFileStore, type OpenDocumentSource } from '../workspace/configFiles';
import { configKindOf } from '../workspace/configWorkspace';
import { isTemplatePath, type TemplateStore } from '../workspace/templateStore';

export interface ReferenceHandlerDeps {
  documents: { get(uri: string): TextDocument | undefined };
  configs: ConfigFileStore;
  templates: TemplateStore;
  open: OpenDocumentSource;
  /** Tells the user what a rename left unchanged (a schema that still declares the old name). */
  showNote(message: string): void;
}

interface Cursor {
  document: TextDocument;
  filePath: string;
  kind: ConfigFileKind | 'template';
  root: string;
}

async function cursorOf(deps: ReferenceHandlerDeps, uri: string): Promise<Cursor | undefined> {
  const document = deps.documents.get(uri);
  if (!document) return undefined;
  const filePath = URI.parse(uri).fsPath;
  const kind = configKindOf(filePath);
  if (kind) return { document, filePath, kind, root: ConfigFileStore.rootOf(filePath) };
  if (!isTemplatePath(filePath)) return undefined;
  const root = await deps.templates.rootOf(filePath);
  return root ? { document, filePath, kind: 'template', root } : undefined;
}

/** cluster.yaml and nodes.yaml of a root as the editor has them (open text, or disk). */
async function configFilesOf(deps: ReferenceHandlerDeps, root: string): Promise<ConfigFileInput[]> {
  const check = await deps.configs.checkRoot(root, deps.open);
  return Object.values(check.files).flatMap((state) =>
    state.text !== undefined && state.analysis ? [{ kind: state.kind, filePath: state.filePath, text: state.text, root: state.analysis.parsed.root }] : [],
  );
}

export function referencesHandler(deps: ReferenceHandlerDeps) {
  return async (params: ReferenceParams): Promise<Location[]> => {
    const cursor = await cursorOf(deps, params.textDocument.uri);
    if (!cursor) return [];
    const index = await deps.templates.indexFor(cursor.root);
    const offset = cursor.document.offsetAt(params.position);
    const includeDeclaration = params.context.includeDeclaration;
    const configFiles = await configFilesOf(deps, cursor.root);
    if (cursor.kind === 'template') {
      const workspace = await deps.templates.workspaceFor(cursor.root);
      const template = { filePath: cursor.filePath, text: cursor.document.getText(), offset };
      return findVariableReferences(template, workspace.syntax, configFiles, index, includeDeclaration) ?? [];
    }
    const file = configFiles.find((f) => f.filePath === cursor.filePath);
    return file ? findKeyReferences(file, offset, index, includeDeclaration) : [];
  };
}

async function renameContextOf(deps: ReferenceHandlerDeps, cursor: Cursor): Promise<RenameContext | undefined> {
  const configFiles = await configFilesOf(deps, cursor.root);
  const cluster = configFiles.find((f) => f.kind === 'cluster');
  if (!cluster) return undefined;
  const analysis = cursor.kind === 'template' ? await deps.templates.analyze(cursor.filePath, cursor.document.getText(), deps.open) : undefined;
  const workspace = await deps.templates.workspaceFor(cursor.root);
  const configWorkspace = await deps.configs.workspaceFor(cursor.root);
  return {
    cluster,
    syntax: workspace.syntax,
    templateContext: analysis?.context ?? workspace.context,
    source: await deps.templates.indexFor(cursor.root),
    clusterSchema: configWorkspace.cluster.schema,
  };
}

function renameCursorOf(cursor: Cursor, offset: number): RenameCursor {
  return { kind: cursor.kind, filePath: cursor.filePath, text: cursor.document.getText(), offset };
}

export function prepareRenameHandler(deps: ReferenceHandlerDeps) {
  return async (params: PrepareRenameParams): Promise<{ range: Range; placeholder: string } | null> => {
    const cursor = await cursorOf(deps, params.textDocument.uri);
    if (!cursor) return null;
    const ctx = await renameContextOf(deps, cursor);
    if (!ctx) throw new ResponseError(0, 'This workspace has no cluster.yaml: there is no key to rename.');
    const result = prepareRename(renameCursorOf(cursor, cursor.document.offsetAt(params.position)), ctx);
    if ('error' in result) throw new ResponseError(0, result.error);
    return result;
  };
}

export function renameHandler(deps: ReferenceHandlerDeps) {
  return async (params: RenameParams): Promise<WorkspaceEdit | null> => {
    const cursor = await cursorOf(deps, params.textDocument.uri);
    if (!cursor) return null;
    const ctx = await renameContextOf(deps, cursor);
    if (!ctx) throw new ResponseError(0, 'This workspace has no cluster.yaml: there is no key to rename.');
    const result = computeRename(renameCursorOf(cursor, cursor.document.offsetAt(params.position)), params.newName, ctx);
    if ('error' in result) throw new ResponseError(0, result.error);
    for (const note of result.notes) deps.showNote(note);
    return result.edit;
  };
}
