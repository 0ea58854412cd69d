// Hover in cluster.yaml and nodes.yaml: the documentation of the key under the cursor and its
// effective value (masked for secrets).
import { Hover, MarkupKind, Range } from 'vscode-languageserver-types';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { entryAt, pathAtOffset, toValue } from '../yaml/parse';
import type { ConfigSchema } from './configSchema';
import { schemaAtPath } from './configSchema';
import type { ConfigFileAnalysis } from './diagnostics';
import { describeKey } from './keyDocs';

export interface HoverContext {
  schema: ConfigSchema;
  analysis: ConfigFileAnalysis;
}

/**
 * Hover at `offset` on a key or its value. Example: over `node_cidr` the Markdown starts with
 * "**node_cidr** · `string (IPv4 CIDR)` · required" and ends with its current value.
 */
export function computeHover(document: TextDocument, offset: number, ctx: HoverContext): Hover | null {
  const root = ctx.analysis.parsed.root;
  const { path } = pathAtOffset(root, offset);
  // Hover describes the innermost key: drop trailing list indexes (a list item shows its list's key).
  while (path.length > 0 && typeof path[path.length - 1] === 'number') path.pop();
  if (path.length === 0) return null;
  const key = String(path[path.length - 1]);
  const entry = entryAt(root, path);
  if (!entry) return null;
  const property = schemaAtPath(ctx.schema.root, path);
  const parent = schemaAtPath(ctx.schema.root, path.slice(0, -1));
  const isNodeField = ctx.schema.kind === 'nodes' && path.length === 3;
  const sample = ctx.schema.sampleDocs.get(key);
  if (!property && !sample) return null;
  const markdown = describeKey({
    key,
    schema: property,
    sample,
    config: ctx.schema,
    isRequired: (parent?.required ?? []).includes(key),
    current: { present: true, value: toValue(entry.value) },
  });
  const heading = isNodeField ? `*Node ${Number(path[1]) + 1} field*\n\n` : '';
  return {
    contents: { kind: MarkupKind.Markdown, value: heading + markdown },
    range: Range.create(document.positionAt(entry.keySpan.start), document.positionAt(entry.keySpan.end)),
  };
}
