// Document symbols and folding ranges for cluster.yaml and nodes.yaml, from the parsed tree.
import { DocumentSymbol, FoldingRange, FoldingRangeKind, Range, SymbolKind } from 'vscode-languageserver-types';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { Span, YamlNode } from '../yaml/parse';

function rangeOf(document: TextDocument, span: Span): Range {
  return Range.create(document.positionAt(span.start), document.positionAt(span.end));
}

function symbolKind(node: YamlNode | null): SymbolKind {
  if (!node) return SymbolKind.Null;
  if (node.kind === 'map') return SymbolKind.Object;
  if (node.kind === 'seq') return SymbolKind.Array;
  if (node.kind === 'scalar') {
    if (typeof node.value === 'number') return SymbolKind.Number;
    if (typeof node.value === 'boolean') return SymbolKind.Boolean;
  }
  return SymbolKind.String;
}

function children(document: TextDocument, node: YamlNode | null): DocumentSymbol[] {
  if (!node) return [];
  if (node.kind === 'map') {
    return node.entries.map((entry) =>
      DocumentSymbol.create(
        entry.key,
        undefined,
        entry.value?.kind === 'scalar' ? SymbolKind.Property : symbolKind(entry.value),
        rangeOf(document, entry.span),
        rangeOf(document, entry.keySpan),
        children(document, entry.value),
      ),
    );
  }
  if (node.kind === 'seq') {
    return node.items.map((item, index) => {
      // A node is best named by its `name` field.
      const name = item.kind === 'map' ? item.entries.find((e) => e.key === 'name')?.value : undefined;
      const label = name?.kind === 'scalar' ? String(name.value) : `[${index}]`;
      return DocumentSymbol.create(label, undefined, symbolKind(item), rangeOf(document, item.span), rangeOf(document, item.span), children(document, item));
    });
  }
  return [];
}

/** The outline: every key, nested, with list items named by their `name`. */
export function computeDocumentSymbols(document: TextDocument, root: YamlNode | null): DocumentSymbol[] {
  return children(document, root);
}

/** Folding for multi-line mappings and lists, and for comment blocks of two lines or more. */
export function computeFoldingRanges(document: TextDocument, root: YamlNode | null): FoldingRange[] {
  const ranges: FoldingRange[] = [];
  const visit = (node: YamlNode | null, startLine?: number): void => {
    if (!node) return;
    if (node.kind === 'map' || node.kind === 'seq') {
      const endLine = document.positionAt(Math.max(node.span.start, node.span.end - 1)).line;
      if (startLine !== undefined && endLine > startLine) ranges.push(FoldingRange.create(startLine, endLine));
      if (node.kind === 'map') for (const entry of node.entries) visit(entry.value, document.positionAt(entry.keySpan.start).line);
      else for (const item of node.items) visit(item, document.positionAt(item.span.start).line);
    }
  };
  visit(root);
  const lines = document.getText().split('\n');
  let blockStart = -1;
  lines.forEach((line, i) => {
    const isComment = /^\s*#/.test(line);
    if (isComment && blockStart < 0) blockStart = i;
    if (!isComment && blockStart >= 0) {
      if (i - 1 > blockStart) ranges.push(FoldingRange.create(blockStart, i - 1, undefined, undefined, FoldingRangeKind.Comment));
      blockStart = -1;
    }
  });
  if (blockStart >= 0 && lines.length - 1 > blockStart) ranges.push(FoldingRange.create(blockStart, lines.length - 1, undefined, undefined, FoldingRangeKind.Comment));
  return ranges;
}
