// Handlers of the SOPS requests and of code actions on secret files: turn uris into paths, call
// the SOPS session or the quick-fix service, return the answer. No domain rules here.
import type { CancellationToken, CodeAction, CodeActionParams } from 'vscode-languageserver';
import { URI } from 'vscode-uri';
import type {
  EncryptAllParams,
  EncryptAllResult,
  GenerateAgeKeyParams,
  GenerateAgeKeyResult,
  ReadSecretResult,
  SopsFileParams,
  SopsFileResult,
  SopsProgressParams,
  WriteSecretParams,
  WriteSecretResult,
} from '../protocol';
import { computeSopsCodeActions } from '../services/sops/codeActions';
import type { SopsSession } from '../workspace/sopsSession';

export interface SopsHandlerDeps {
  session: SopsSession;
  sendProgress(params: SopsProgressParams): void;
}

const pathOf = (uri: string): string => URI.parse(uri).fsPath;

export function encryptFileHandler(deps: SopsHandlerDeps) {
  return (params: SopsFileParams): Promise<SopsFileResult> => deps.session.encryptFile(pathOf(params.uri));
}

export function decryptFileHandler(deps: SopsHandlerDeps) {
  return (params: SopsFileParams): Promise<SopsFileResult> => deps.session.decryptFile(pathOf(params.uri));
}

export function encryptAllHandler(deps: SopsHandlerDeps) {
  return (params: EncryptAllParams, token?: CancellationToken): Promise<EncryptAllResult> =>
    deps.session.encryptAll(pathOf(params.folderUri), (progress) => {
      if (params.progressId) deps.sendProgress({ progressId: params.progressId, ...progress });
    }, token);
}

export function readSecretHandler(deps: SopsHandlerDeps) {
  return (params: SopsFileParams): Promise<ReadSecretResult> => deps.session.readSecret(pathOf(params.uri));
}

export function writeSecretHandler(deps: SopsHandlerDeps) {
  return (params: WriteSecretParams): Promise<WriteSecretResult> => deps.session.writeSecret(pathOf(params.uri), params.text);
}

export function generateAgeKeyHandler(deps: SopsHandlerDeps) {
  return (params: GenerateAgeKeyParams): Promise<GenerateAgeKeyResult> => deps.session.generateAgeKey(pathOf(params.folderUri));
}

/** Whether a document is a secret file the SOPS features own (rather than a config file or template). */
export function isSecretUri(session: SopsSession, uri: string): boolean {
  return uri.startsWith('file:') && session.isSecretFile(pathOf(uri));
}

export function sopsCodeActionHandler() {
  return async (params: CodeActionParams): Promise<CodeAction[]> => computeSopsCodeActions(params.textDocument.uri, params.context.diagnostics);
}
