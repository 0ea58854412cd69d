// Handlers of the render requests: turn uris into paths, call the render session, return its answer.
// Also turns render problems into LSP diagnostics for the server's template publish.
import { DiagnosticSeverity, ErrorCodes, LSPErrorCodes, ResponseError, type CancellationToken, type Diagnostic } from 'vscode-languageserver';
import { URI } from 'vscode-uri';
import type {
  ApplyRenderPlanParams,
  ApplyRenderPlanResult,
  RenderedContentParams,
  RenderedContentResult,
  RenderPlanParams,
  RenderPlanResult,
  RenderPreviewParams,
  RenderPreviewResult,
} from '../protocol';
import { RenderCancelled, type RenderProblem, type RenderSession } from '../workspace/renderSession';

export interface RenderHandlerDeps {
  session: RenderSession;
  /** An open editor's text, else the file on disk. */
  textOf(filePath: string): Promise<string | undefined>;
  /** The workspace root (folder with makejinja.toml) a template belongs to. */
  rootOf(filePath: string): Promise<string | undefined>;
}

/** Runs a session call; a cancellation becomes the protocol's RequestCancelled answer. */
async function cancellable<R>(call: () => Promise<R>): Promise<R> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof RenderCancelled) throw new ResponseError(LSPErrorCodes.RequestCancelled, 'Render cancelled');
    throw error;
  }
}

export function renderPlanHandler(deps: RenderHandlerDeps) {
  return (params: RenderPlanParams, token?: CancellationToken): Promise<RenderPlanResult> =>
    cancellable(() => deps.session.plan(URI.parse(params.folderUri).fsPath, token));
}

export function renderedContentHandler(deps: RenderHandlerDeps) {
  return async (params: RenderedContentParams): Promise<RenderedContentResult> => {
    const text = deps.session.renderedContent(params.planId, params.uri);
    // An answer for the user: the diff editor shows it instead of an empty document.
    if (text === undefined) throw new ResponseError(ErrorCodes.InvalidParams, 'This render is no longer available: render again.');
    return { text };
  };
}

export function applyRenderPlanHandler(deps: RenderHandlerDeps) {
  return (params: ApplyRenderPlanParams, token?: CancellationToken): Promise<ApplyRenderPlanResult> =>
    cancellable(() => deps.session.apply(params.planId, params.overwriteHandEdited ?? [], token));
}

export function renderPreviewHandler(deps: RenderHandlerDeps) {
  return (params: RenderPreviewParams, token?: CancellationToken): Promise<RenderPreviewResult> =>
    cancellable(async () => {
      const templatePath = URI.parse(params.templateUri).fsPath;
      const [root, text] = await Promise.all([deps.rootOf(templatePath), deps.textOf(templatePath)]);
      if (text === undefined) return { error: { line: 1, message: 'The template cannot be read.' }, notes: [] };
      if (root === undefined) return { error: { line: 1, message: 'The template is not in a makejinja workspace (no makejinja.toml above it).' }, notes: [] };
      return deps.session.preview(templatePath, text, root, token);
    });
}

/**
 * Render problems as error diagnostics over their template line (indentation excluded). `text` is
 * the template's text, for the line's extent; without it the diagnostic spans to the next line.
 */
export function renderDiagnosticsOf(problems: RenderProblem[], text: string | undefined): Diagnostic[] {
  const lines = text?.split(/\r\n|\r|\n/);
  return problems.map((problem) => {
    const line = Math.max(0, problem.line - 1);
    const lineText = lines?.[line];
    const range =
      lineText === undefined
        ? { start: { line, character: 0 }, end: { line: line + 1, character: 0 } }
        : { start: { line, character: lineText.length - lineText.trimStart().length }, end: { line, character: lineText.length } };
    return { range, severity: DiagnosticSeverity.Error, source: 'render', code: 'render-error', message: problem.message };
  });
}
