// Reads a workspace JSON schema (e.g. .taskfiles/template/resources/cluster.schema.json, or the
// file a `# yaml-language-server: $schema=` modeline names) into our schema shape. Pure.
import type { JsonSchema, SchemaReadResult } from './schemaTypes';

/**
 * Parses the JSON and inlines local `$ref`s (`#/$defs/X`, `#/definitions/X`) so that keys can be
 * merged with ours. Example: `readJsonSchema('{"type":"object","additionalProperties":false}').isClosed === true`.
 */
export function readJsonSchema(text: string, label: string): SchemaReadResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return { schema: {}, isClosed: false, notes: [`${label} is not valid JSON (${(error as Error).message}); it is ignored.`] };
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return { schema: {}, isClosed: false, notes: [`${label} is not a JSON schema object; it is ignored.`] };
  }
  const notes: string[] = [];
  const root = parsed as JsonSchema;
  const schema = inlineRefs(root, root, notes, 0) as JsonSchema;
  return { schema, isClosed: schema.additionalProperties === false, notes };
}

function inlineRefs(node: unknown, root: JsonSchema, notes: string[], depth: number): unknown {
  if (Array.isArray(node)) return node.map((item) => inlineRefs(item, root, notes, depth));
  if (!node || typeof node !== 'object') return node;
  const record = node as Record<string, unknown>;
  if (typeof record.$ref === 'string') {
    const target = resolveLocalRef(root, record.$ref);
    if (target === undefined || depth > 8) {
      notes.push(`could not follow $ref ${record.$ref}; that part is not checked.`);
      return {};
    }
    const { $ref: _ref, ...siblings } = record;
    return { ...(inlineRefs(target, root, notes, depth + 1) as object), ...siblings };
  }
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) {
    if (key === '$defs' || key === 'definitions') continue;
    out[key] = inlineRefs(value, root, notes, depth);
  }
  return out;
}

function resolveLocalRef(root: JsonSchema, ref: string): unknown {
  if (!ref.startsWith('#/')) return undefined;
  let node: unknown = root;
  for (const part of ref.slice(2).split('/')) {
    if (!node || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return node;
}

/** The `$schema=` target of a yaml-language-server modeline in the first lines, if any. */
export function findSchemaModeline(text: string): string | undefined {
  const head = text.slice(0, 2000);
  const match = /^#\s*yaml-language-server:\s*\$schema=(\S+)/m.exec(head);
  return match?.[1];
}
