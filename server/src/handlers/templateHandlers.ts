// LSP handlers for .j2 templates: find the document and its analysis, call one service, return
// its answer. No domain rules here.
import type { CodeAction, CodeActionParams } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { URI } from 'vscode-uri';
import { quickFixesOf } from '../services/cluster/codeActions';
import type { OpenDocumentSource } from '../workspace/configFiles';
import { isTemplatePath, type TemplateAnalysis, type TemplateStore } from '../workspace/templateStore';

export interface TemplateHandlerDeps {
  documents: { get(uri: string): TextDocument | undefined };
  templates: TemplateStore;
  open: OpenDocumentSource;
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
