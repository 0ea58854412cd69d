// Converts offset-based config problems into LSP diagnostics (ranges, severities, related
// information, fix data). The only place that decides how a problem looks in the editor.
import { Diagnostic, DiagnosticRelatedInformation, DiagnosticSeverity, Location, Range } from 'vscode-languageserver-types';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { fixData } from './codeActions';
import type { ConfigProblem, Severity } from './diagnostics';
import type { ConfigFileKind } from './schemaTypes';

export const DIAGNOSTIC_SOURCE = 'cluster-template';

const SEVERITIES: Record<Severity, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  information: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
};

/** Documents of both config files, for positions of related information. */
export type ConfigDocuments = Partial<Record<ConfigFileKind, TextDocument>>;

/**
 * Example: a problem at offsets 0–9 of "node_cidr: x" becomes a diagnostic on line 0, characters 0–9,
 * with `source: 'cluster-template'` and the rule id as `code`.
 */
export function toLspDiagnostics(document: TextDocument, problems: ConfigProblem[], documents: ConfigDocuments): Diagnostic[] {
  return problems.map((problem) => {
    const diagnostic = Diagnostic.create(
      Range.create(document.positionAt(problem.span.start), document.positionAt(problem.span.end)),
      problem.message,
      SEVERITIES[problem.severity],
      problem.code,
      DIAGNOSTIC_SOURCE,
    );
    if (problem.related) {
      diagnostic.relatedInformation = problem.related.flatMap((related) => {
        const other = related.file === 'self' ? document : documents[related.file];
        if (!other) return [];
        const range = Range.create(other.positionAt(related.span.start), other.positionAt(related.span.end));
        return [DiagnosticRelatedInformation.create(Location.create(other.uri, range), related.message)];
      });
    }
    if (problem.fix) diagnostic.data = fixData(document, problem.fix);
    return diagnostic;
  });
}
