// LSP handlers for cluster.yaml and nodes.yaml: find the document and its analysis, call one
// service, return its answer. No domain rules here.
import type {
  CodeAction,
  CodeActionParams,
  CompletionItem,
  CompletionParams,
  DocumentSymbol,
  DocumentSymbolParams,
  FoldingRange,
  FoldingRangeParams,
  Hover,
  HoverParams,
} from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { URI } from 'vscode-uri';
import { computeCodeActions } from '../services/cluster/codeActions';
import { computeCompletion } from '../services/cluster/completion';
import type { ConfigFileAnalysis } from '../services/cluster/diagnostics';
import { computeHover } from '../services/cluster/hover';
import { computeDocumentSymbols, computeFoldingRanges } from '../services/cluster/outline';
import type { ConfigFileContext } from '../services/cluster/diagnostics';
import { ConfigFileStore } from '../workspace/configFiles';
import { configKindOf } from '../workspace/configWorkspace';

export interface HandlerDeps {
  documents: { get(uri: string): TextDocument | undefined };
  store: ConfigFileStore;
  /** Runs (or joins) the check of a root so the analysis of the current version exists. */
  ensureChecked(root: string): Promise<void>;
}

interface ConfigTarget {
  document: TextDocument;
  context: ConfigFileContext;
  analysis: ConfigFileAnalysis;
}

async function targetOf(deps: HandlerDeps, uri: string): Promise<ConfigTarget | undefined> {
  const document = deps.documents.get(uri);
  if (!document) return undefined;
  const filePath = URI.parse(uri).fsPath;
  const kind = configKindOf(filePath);
  if (!kind) return undefined;
  const root = ConfigFileStore.rootOf(filePath);
  let analysis = deps.store.analysisOf(filePath, document.getText());
  if (!analysis) {
    await deps.ensureChecked(root);
    analysis = deps.store.analysisOf(filePath, document.getText());
  }
  if (!analysis) return undefined;
  const workspace = await deps.store.workspaceFor(root);
  return { document, context: workspace[kind], analysis };
}

export function completionHandler(deps: HandlerDeps) {
  return async (params: CompletionParams): Promise<CompletionItem[]> => {
    const document = deps.documents.get(params.textDocument.uri);
    const filePath = URI.parse(params.textDocument.uri).fsPath;
    const kind = configKindOf(filePath);
    if (!document || !kind) return [];
    // Completion works on the text alone: while a key is half typed the file often does not parse.
    const workspace = await deps.store.workspaceFor(ConfigFileStore.rootOf(filePath));
    return computeCompletion(document, document.offsetAt(params.position), { schema: workspace[kind].schema });
  };
}

export function hoverHandler(deps: HandlerDeps) {
  return async (params: HoverParams): Promise<Hover | null> => {
    const target = await targetOf(deps, params.textDocument.uri);
    if (!target) return null;
    return computeHover(target.document, target.document.offsetAt(params.position), { schema: target.context.schema, analysis: target.analysis });
  };
}

export function codeActionHandler(deps: HandlerDeps) {
  return async (params: CodeActionParams): Promise<CodeAction[]> => {
    const target = await targetOf(deps, params.textDocument.uri);
    if (!target) return [];
    const root = target.analysis.parsed.root;
    const presentKeys = new Set(root?.kind === 'map' ? root.entries.map((e) => e.key) : []);
    return computeCodeActions(target.document, {
      uri: params.textDocument.uri,
      range: params.range,
      diagnostics: params.context.diagnostics,
      schema: target.context.schema,
      presentKeys,
    });
  };
}

export function documentSymbolHandler(deps: HandlerDeps) {
  return async (params: DocumentSymbolParams): Promise<DocumentSymbol[]> => {
    const target = await targetOf(deps, params.textDocument.uri);
    return target ? computeDocumentSymbols(target.document, target.analysis.parsed.root) : [];
  };
}

export function foldingRangeHandler(deps: HandlerDeps) {
  return async (params: FoldingRangeParams): Promise<FoldingRange[]> => {
    const target = await targetOf(deps, params.textDocument.uri);
    return target ? computeFoldingRanges(target.document, target.analysis.parsed.root) : [];
  };
}
