// Completion in cluster.yaml and nodes.yaml: missing keys with their default, keys present only
// as comments (uncomment in place), enum and boolean values, a node skeleton. Never shows secrets.
import {
  CompletionItem,
  CompletionItemKind,
  InsertTextFormat,
  MarkupKind,
  Range,
  TextEdit,
} from 'vscode-languageserver-types';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { commentedKeys, lineContextAt, type LineContext } from '../yaml/lineContext';
import type { ConfigSchema } from './configSchema';
import { isSecretSchema } from './configSchema';
import { describeKey, typeSummary, yamlInline } from './keyDocs';
import type { JsonSchema } from './schemaTypes';

export interface CompletionContext {
  schema: ConfigSchema;
}

interface MappingTarget {
  schema: JsonSchema;
  /** Indentation of the keys in this mapping; commented keys are looked for at it. */
  indent: number;
}

/** The object schema whose keys the cursor's mapping holds, from the line context's parents. */
function mappingSchema(root: JsonSchema, context: LineContext): JsonSchema | undefined {
  let schema: JsonSchema | undefined = root;
  for (const parent of context.parents) {
    if (!schema) return undefined;
    schema = parent === '-' ? schema.items : schema.properties?.[parent];
  }
  return schema;
}

/**
 * Completion items at `offset`. Example: on an empty line of a cluster.yaml without
 * `node_vlan_tag`, the list holds `node_vlan_tag` inserting `node_vlan_tag: "${1}"`.
 */
export function computeCompletion(document: TextDocument, offset: number, ctx: CompletionContext): CompletionItem[] {
  const text = document.getText();
  const context = lineContextAt(text, offset);
  const schema = mappingSchema(ctx.schema.root, context);
  if (!schema) return [];
  if (context.position === 'value') {
    const property = context.key ? schema.properties?.[context.key] : undefined;
    return property ? valueItems(document, offset, context, property, context.key!) : [];
  }
  const items: CompletionItem[] = [];
  if (schema.properties) items.push(...keyItems(document, offset, context, { schema, indent: context.indent }, ctx.schema, text));
  if (ctx.schema.kind === 'nodes' && isNodeListPosition(context)) items.push(nodeSkeletonItem(document, offset, context));
  return items;
}

function isNodeListPosition(context: LineContext): boolean {
  // Right under `nodes:` (an empty line or a fresh `- `), not inside an item that already has keys.
  return context.parents.length === 1 && context.parents[0] === 'nodes' && context.prefix === '' ||
    (context.parents.join('/') === 'nodes/-' && context.isListItemStart && context.siblingKeys.size === 0);
}

function insertForKey(key: string, schema: JsonSchema, isSecret: boolean): string {
  if (schema.enum) return `${key}: ${'${1|' + schema.enum.map((v) => String(v)).join(',') + '|}'}`;
  if (schema.type === 'boolean') return `${key}: \${1|${schema.default === true ? 'true,false' : 'false,true'}|}`;
  if (isSecret) return `${key}: "\${1}"`;
  if (schema.default !== undefined) return `${key}: \${1:${escapeSnippet(yamlInline(schema.default))}}`;
  if (schema.type === 'array') return `${key}:\n  - \${1}`;
  if (schema.type === 'integer' || schema.type === 'number') return `${key}: \${1}`;
  if (schema.type === 'object') return `${key}:\n  \${1}`;
  const example = schema.examples?.[0];
  return example !== undefined && typeof example === 'string' ? `${key}: "\${1:${escapeSnippet(example)}}"` : `${key}: "\${1}"`;
}

function escapeSnippet(text: string): string {
  return text.replace(/[$}\\]/g, (c) => '\\' + c);
}

function keyItems(
  document: TextDocument,
  offset: number,
  context: LineContext,
  target: MappingTarget,
  config: ConfigSchema,
  text: string,
): CompletionItem[] {
  const range = Range.create(document.positionAt(context.prefixStart), document.positionAt(offset));
  const required = new Set(target.schema.required ?? []);
  const items: CompletionItem[] = [];
  const isRoot = context.parents.length === 0;
  const commented = isRoot ? new Map(commentedKeys(text, 0).map((c) => [c.key, c])) : new Map();
  const groups = groupOrder(target.schema);
  for (const [key, property] of Object.entries(target.schema.properties ?? {})) {
    if (context.siblingKeys.has(key)) continue;
    const isSecret = isSecretSchema(property, key);
    const sample = config.sampleDocs.get(key);
    const documentation = { kind: MarkupKind.Markdown, value: describeKey({ key, schema: property, sample, config, isRequired: required.has(key) }) };
    const sortGroup = required.has(key) ? '0' : String(1 + (groups.get(String(property['x-group'] ?? '')) ?? 50)).padStart(3, '0');
    const entry = commented.get(key);
    if (entry && isRoot) {
      const line = entry.line;
      const lineText = text.slice(entry.start, text.indexOf('\n', entry.start) < 0 ? text.length : text.indexOf('\n', entry.start));
      const hashEnd = /^#\s?/.exec(lineText)![0].length;
      items.push({
        label: key,
        labelDetails: { description: `uncomment line ${line + 1}` },
        kind: CompletionItemKind.Property,
        detail: `Uncomment ${key}${isSecret ? '' : `: ${entry.valueText}`}`,
        documentation,
        sortText: `${sortGroup}-${key}-0`,
        filterText: key,
        textEdit: TextEdit.replace(range, ''),
        additionalTextEdits: [TextEdit.del(Range.create(line, 0, line, hashEnd))],
      });
    }
    items.push({
      label: key,
      kind: CompletionItemKind.Property,
      detail: `${typeSummary(property)}${required.has(key) ? ' · required' : ''}${property['x-group'] ? ` · ${property['x-group']}` : ''}`,
      documentation,
      sortText: `${sortGroup}-${key}-1`,
      filterText: key,
      insertTextFormat: InsertTextFormat.Snippet,
      textEdit: TextEdit.replace(range, indentSnippet(insertForKey(key, property, isSecret), context.indent)),
    });
  }
  return items;
}

function indentSnippet(snippet: string, indent: number): string {
  return snippet.replace(/\n/g, '\n' + ' '.repeat(indent));
}

function groupOrder(schema: JsonSchema): Map<string, number> {
  const order = new Map<string, number>();
  for (const property of Object.values(schema.properties ?? {})) {
    const group = String(property['x-group'] ?? '');
    if (!order.has(group)) order.set(group, order.size);
  }
  return order;
}

function valueItems(document: TextDocument, offset: number, context: LineContext, property: JsonSchema, key: string): CompletionItem[] {
  const range = Range.create(document.positionAt(context.prefixStart), document.positionAt(offset));
  // Inside an opened quote the value goes in bare; otherwise strings get their own quotes.
  const isQuoted = context.prefixStart > 0 && /["']/.test(document.getText().charAt(context.prefixStart - 1));
  const items: CompletionItem[] = [];
  if (property.enum) {
    const docs = property.markdownEnumDescriptions ?? [];
    property.enum.forEach((value, i) => {
      const textValue = String(value);
      items.push({
        label: textValue,
        kind: CompletionItemKind.EnumMember,
        detail: value === property.default ? 'default' : undefined,
        documentation: docs[i] ? { kind: MarkupKind.Markdown, value: docs[i] } : undefined,
        textEdit: TextEdit.replace(range, isQuoted || typeof value !== 'string' ? textValue : JSON.stringify(textValue)),
        sortText: value === property.default ? '0' : `1-${textValue}`,
      });
    });
    return items;
  }
  if (property.type === 'boolean') {
    for (const value of [true, false]) {
      items.push({
        label: String(value),
        kind: CompletionItemKind.Value,
        detail: value === property.default ? 'default' : undefined,
        textEdit: TextEdit.replace(range, String(value)),
      });
    }
    return items;
  }
  if (isSecretSchema(property, key)) return [];
  const suggestions = [property.default, ...(property.examples ?? [])].filter((v) => v !== undefined && typeof v !== 'object');
  for (const value of new Set(suggestions.map((v) => String(v)))) {
    const isString = property.type === 'string';
    items.push({
      label: value,
      kind: CompletionItemKind.Value,
      detail: String(property.default) === value ? 'default' : 'example',
      textEdit: TextEdit.replace(range, isString && !isQuoted ? JSON.stringify(value) : value),
    });
  }
  return items;
}

function nodeSkeletonItem(document: TextDocument, offset: number, context: LineContext): CompletionItem {
  const range = Range.create(document.positionAt(context.prefixStart), document.positionAt(offset));
  const dash = context.isListItemStart ? '' : '- ';
  const pad = ' '.repeat(context.isListItemStart ? context.indent : context.indent + 2);
  const body = [
    `${dash}name: "\${1:k8s-0}"`,
    `${pad}address: "\${2:192.168.1.10}"`,
    `${pad}controller: \${3|true,false|}`,
    `${pad}disk: "\${4:/dev/sda}"`,
    `${pad}mac_addr: "\${5:00:11:22:33:44:55}"`,
    `${pad}schematic_id: "\${6}"`,
  ].join('\n');
  return {
    label: 'New node',
    kind: CompletionItemKind.Snippet,
    detail: 'A nodes.yaml entry with every required field',
    insertTextFormat: InsertTextFormat.Snippet,
    textEdit: TextEdit.replace(range, body),
    sortText: '0-node',
  };
}
