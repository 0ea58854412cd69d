// Code actions for cluster.yaml and nodes.yaml: the quick fix a problem carries (did-you-mean,
// canonical CIDR, quoting), and "uncomment" for a documented key that is only present as a comment.
import { CodeAction, CodeActionKind, Diagnostic, Range, TextEdit } from 'vscode-languageserver-types';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { commentedKeys } from '../yaml/lineContext';
import type { ConfigSchema } from './configSchema';
import type { QuickFix } from './diagnostics';

/** What the diagnostics service stores in `Diagnostic.data` so that fixes need no re-analysis. */
export interface DiagnosticFixData {
  fix: { title: string; newText: string; range: Range };
}

export function fixData(document: TextDocument, fix: QuickFix): DiagnosticFixData {
  return {
    fix: { title: fix.title, newText: fix.newText, range: Range.create(document.positionAt(fix.span.start), document.positionAt(fix.span.end)) },
  };
}

export interface CodeActionInput {
  uri: string;
  range: Range;
  diagnostics: Diagnostic[];
  schema: ConfigSchema;
  /** Top-level keys present in the file, so an uncomment never duplicates a key. */
  presentKeys: Set<string>;
}

/** The quick fixes our diagnostics carry in their data (config files and templates alike). */
export function quickFixesOf(uri: string, diagnostics: Diagnostic[]): CodeAction[] {
  const actions: CodeAction[] = [];
  for (const diagnostic of diagnostics) {
    if (!isFixData(diagnostic.data)) continue;
    const { title, newText, range } = diagnostic.data.fix;
    actions.push({
      title,
      kind: CodeActionKind.QuickFix,
      diagnostics: [diagnostic],
      isPreferred: true,
      edit: { changes: { [uri]: [TextEdit.replace(range, newText)] } },
    });
  }
  return actions;
}

function isFixData(data: unknown): data is DiagnosticFixData {
  return !!data && typeof data === 'object' && 'fix' in data && typeof (data as DiagnosticFixData).fix?.newText === 'string';
}

/**
 * Actions for the requested range. Example: a diagnostic for `node_cidrr` with fix data gives
 * the preferred quick fix "Change to node_cidr".
 */
export function computeCodeActions(document: TextDocument, input: CodeActionInput): CodeAction[] {
  const actions = quickFixesOf(input.uri, input.diagnostics);
  const known = input.schema.kind === 'cluster' ? input.schema.root.properties ?? {} : {};
  for (const entry of commentedKeys(document.getText(), 0)) {
    if (entry.line < input.range.start.line || entry.line > input.range.end.line) continue;
    if (!(entry.key in known) || input.presentKeys.has(entry.key)) continue;
    const lineText = document.getText(Range.create(entry.line, 0, entry.line + 1, 0));
    const hashEnd = /^#\s?/.exec(lineText)![0].length;
    actions.push({
      title: `Uncomment ${entry.key}`,
      kind: CodeActionKind.RefactorRewrite,
      edit: { changes: { [input.uri]: [TextEdit.del(Range.create(entry.line, 0, entry.line, hashEnd))] } },
    });
  }
  return actions;
}
