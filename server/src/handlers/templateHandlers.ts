// LSP handlers for .j2 templates: find the document and its analysis, call one service, return
// its answer. No domain rules here.
import type {
  CodeAction,
  CodeActionParams,
  CompletionItem,
  CompletionParams,
  DefinitionParams,
  DocumentSymbol,
  DocumentSymbolParams,
  FoldingRange,
  FoldingRangeParams,
  Hover,
  HoverParams,
  Location,
} from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { URI } from 'vscode-uri';
import type { FileReader } from '../host/fileReader';
import { quickFixesOf } from '../services/cluster/codeActions';
import { computeTemplateCompletion } from '../services/jinja/templateCompletion';
import { computeTemplateHover } from '../services/jinja/templateHover';
import { computeTemplateDefinition, computeTemplateFolding, computeTemplateSymbols } from '../services/jinja/templateNavigation';
import { walkNodes } from '../services/jinja/walk';
import type { OpenDocumentSource } from '../workspace/configFiles';
import { isTemplatePath, type TemplateAnalysis, type TemplateStore } from '../workspace/templateStore';

export interface TemplateHandlerDeps {
  documents: { get(uri: string): TextDocument | undefined };
  templates: TemplateStore;
  open: OpenDocumentSource;
  reader: FileReader;
}

export function isTemplateUri(uri: string): boolean {
  return isTemplatePath(URI.parse(uri).fsPath);
}

/** The open template and its analysis against the current data. */
export async function templateTargetOf(deps: TemplateHandlerDeps, uri: string): Promise<{ document: TextDocument; analysis: TemplateAnalysis } | undefined> {
  const document = deps.documents.get(uri);
  if (!document || !isTemplateUri(uri)) return undefined;
  const analysis = await deps.templates.analyze(URI.parse(uri).fsPath, document.getText(), deps.open);
  return analysis ? { document, analysis } : undefined;
}

export function templateCodeActionHandler(_deps: TemplateHandlerDeps) {
  return async (params: CodeActionParams): Promise<CodeAction[]> => quickFixesOf(params.textDocument.uri, params.context.diagnostics);
}

export function templateCompletionHandler(deps: TemplateHandlerDeps) {
  return async (params: CompletionParams): Promise<CompletionItem[]> => {
    const target = await templateTargetOf(deps, params.textDocument.uri);
    if (!target) return [];
    const { document, analysis } = target;
    return computeTemplateCompletion(document, document.offsetAt(params.position), analysis.parsed, analysis.context);
  };
}

/**
 * The services take a synchronous text lookup: read beforehand every file a hover or a definition
 * may point into (the data files, plugin.py, the templates this one includes or imports).
 */
async function textsFor(deps: TemplateHandlerDeps, analysis: TemplateAnalysis): Promise<(filePath: string) => string | undefined> {
  const paths = new Set<string>();
  for (const variable of analysis.context.variables.values()) if (variable.location) paths.add(variable.location.filePath);
  if (analysis.workspace.plugin) paths.add(analysis.workspace.plugin.filePath);
  walkNodes(analysis.parsed.body, (node) => {
    if ((node.kind === 'Include' || node.kind === 'Import' || node.kind === 'FromImport' || node.kind === 'Extends') && node.template.kind === 'Const') {
      const file = analysis.workspace.templates.get(String(node.template.value));
      if (file) paths.add(file);
    }
  });
  const texts = new Map<string, string>();
  await Promise.all(
    [...paths].map(async (filePath) => {
      const text = deps.open.get(filePath)?.text ?? (await deps.reader.readText(filePath));
      if (text !== undefined) texts.set(filePath, text);
    }),
  );
  return (filePath) => texts.get(filePath);
}

export function templateHoverHandler(deps: TemplateHandlerDeps) {
  return async (params: HoverParams): Promise<Hover | null> => {
    const target = await templateTargetOf(deps, params.textDocument.uri);
    if (!target) return null;
    const { document, analysis } = target;
    return computeTemplateHover(document, document.offsetAt(params.position), analysis.parsed, analysis.context, await textsFor(deps, analysis));
  };
}

export function templateDefinitionHandler(deps: TemplateHandlerDeps) {
  return async (params: DefinitionParams): Promise<Location[]> => {
    const target = await templateTargetOf(deps, params.textDocument.uri);
    if (!target) return [];
    const { document, analysis } = target;
    const readTextOf = await textsFor(deps, analysis);
    return computeTemplateDefinition(document, document.offsetAt(params.position), analysis.parsed, analysis.context, analysis.workspace.templates, readTextOf);
  };
}

export function templateSymbolHandler(deps: TemplateHandlerDeps) {
  return async (params: DocumentSymbolParams): Promise<DocumentSymbol[]> => {
    const target = await templateTargetOf(deps, params.textDocument.uri);
    return target ? computeTemplateSymbols(target.document, target.analysis.parsed) : [];
  };
}

export function templateFoldingHandler(deps: TemplateHandlerDeps) {
  return async (params: FoldingRangeParams): Promise<FoldingRange[]> => {
    const target = await templateTargetOf(deps, params.textDocument.uri);
    return target ? computeTemplateFolding(target.document, target.analysis.parsed) : [];
  };
}
