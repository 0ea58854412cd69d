// Quick fixes for the SOPS diagnostics: "Encrypt this file" for a plaintext secret and "Generate
// age key" when no key exists. Both are client commands (they write files after the client's own
// checks); this module only says which command fits which diagnostic.
import { CodeAction, CodeActionKind, type Diagnostic } from 'vscode-languageserver-types';
import { SOPS_SOURCE, SopsCode, type NoAgeKeyData } from './diagnostics';

/** Client command ids (package.json contributes them). */
export const SopsCommand = {
  encryptFile: 'clusterTemplate.sops.encryptFile',
  generateAgeKey: 'clusterTemplate.sops.generateAgeKey',
} as const;

/**
 * The fixes for the diagnostics in a code action request.
 * @example computeSopsCodeActions('file:///ws/kubernetes/x.sops.yaml', [plaintextDiagnostic])
 *   → [{ title: 'Encrypt this file with sops', command: clusterTemplate.sops.encryptFile [uri] }]
 */
export function computeSopsCodeActions(uri: string, diagnostics: Diagnostic[]): CodeAction[] {
  const actions: CodeAction[] = [];
  for (const diagnostic of diagnostics) {
    if (diagnostic.source !== SOPS_SOURCE) continue;
    if (diagnostic.code === SopsCode.plaintext) {
      actions.push({
        title: 'Encrypt this file with sops',
        kind: CodeActionKind.QuickFix,
        diagnostics: [diagnostic],
        isPreferred: true,
        command: { title: 'Encrypt File', command: SopsCommand.encryptFile, arguments: [uri] },
      });
    } else if (diagnostic.code === SopsCode.noAgeKey && isNoAgeKeyData(diagnostic.data)) {
      actions.push({
        title: 'Generate an age key (age.key, readable only by you)',
        kind: CodeActionKind.QuickFix,
        diagnostics: [diagnostic],
        isPreferred: true,
        command: { title: 'Generate age Key', command: SopsCommand.generateAgeKey, arguments: [diagnostic.data.folderUri] },
      });
    }
  }
  return actions;
}

function isNoAgeKeyData(data: unknown): data is NoAgeKeyData {
  return !!data && typeof data === 'object' && typeof (data as NoAgeKeyData).folderUri === 'string';
}
