// Builds the effective schema of cluster.yaml or nodes.yaml from our bundled schema, the
// workspace's own schema (CUE or JSON: it decides which keys exist) and the sample file's
// comment docs. Pure: callers pass the texts' read results in.
import type { ConfigFileKind, JsonSchema, SampleKeyDoc, SchemaOrigin, SchemaReadResult } from './schemaTypes';

export interface WorkspaceSchemaSource {
  result: SchemaReadResult;
  origin: SchemaOrigin;
  /** Workspace-relative path shown in messages, e.g. `.taskfiles/template/resources/cluster.schema.cue`. */
  label: string;
}

export interface ConfigSchema {
  kind: ConfigFileKind;
  /** The merged schema. Objects keep `additionalProperties: false` where unknown keys are flagged. */
  root: JsonSchema;
  /** Whether a closed workspace schema decides the keys (unknown keys are errors, as `cue vet` rejects them). */
  isClosedByWorkspace: boolean;
  /** The workspace schema's label, when one was used. */
  workspaceLabel?: string;
  /** Sample-file docs by key name (top-level keys, or node fields for nodes.yaml). */
  sampleDocs: Map<string, SampleKeyDoc>;
  /** What could not be read or merged, for the output channel. */
  notes: string[];
}

/**
 * Merges the sources. Example: with a closed workspace schema that lacks `volsync_enabled`,
 * `buildConfigSchema('cluster', bundled, ws).root.properties.volsync_enabled` is undefined.
 */
export function buildConfigSchema(
  kind: ConfigFileKind,
  bundled: JsonSchema,
  workspace: WorkspaceSchemaSource | undefined,
  samples: SampleKeyDoc[] = [],
): ConfigSchema {
  const notes: string[] = workspace ? [...workspace.result.notes] : [];
  const sampleDocs = new Map(samples.map((doc) => [doc.key, doc]));
  let root: JsonSchema;
  if (workspace) {
    root = mergeSchema(bundled, workspace.result.schema, workspace.origin, workspace.result.isClosed, [], notes);
  } else {
    root = bundled;
  }
  // Keys the sample documents but no schema describes are known to this fork unless a closed schema says otherwise.
  const isClosedByWorkspace = !!workspace && workspace.result.isClosed;
  if (!isClosedByWorkspace) root = addSampleKeys(kind, root, samples);
  return { kind, root, isClosedByWorkspace, workspaceLabel: workspace?.label, sampleDocs, notes };
}

function isObjectSchema(schema: JsonSchema): boolean {
  return schema.type === 'object' || schema.properties !== undefined;
}

function isArraySchema(schema: JsonSchema): boolean {
  return schema.type === 'array' || schema.items !== undefined;
}

function primaryType(schema: JsonSchema): string | undefined {
  if (Array.isArray(schema.type)) return schema.type.filter((t) => t !== 'null').sort().join('|');
  return schema.type;
}

function mergeSchema(
  bundled: JsonSchema | undefined,
  workspace: JsonSchema,
  origin: SchemaOrigin,
  isClosed: boolean,
  path: string[],
  notes: string[],
): JsonSchema {
  if (!bundled) return { ...workspace, 'x-origin': origin };
  if (isObjectSchema(bundled) && isObjectSchema(workspace)) {
    const properties: Record<string, JsonSchema> = {};
    const workspaceProps = workspace.properties ?? {};
    for (const [key, prop] of Object.entries(workspaceProps)) {
      properties[key] = mergeSchema(bundled.properties?.[key], prop, origin, isClosed, [...path, key], notes);
    }
    // An open workspace schema leaves our extra keys (remaining-work variables) known.
    const isWorkspaceClosed = workspace.additionalProperties === false || (isClosed && workspace.additionalProperties === undefined);
    if (!isWorkspaceClosed) {
      for (const [key, prop] of Object.entries(bundled.properties ?? {})) if (!(key in properties)) properties[key] = prop;
    }
    // A key with a default is filled in by CUE when absent, so it is never required.
    const required = (workspace.required ?? []).filter((key) => properties[key]?.default === undefined);
    return {
      ...bundled,
      properties,
      required,
      additionalProperties: isWorkspaceClosed ? false : bundled.additionalProperties,
    };
  }
  if (isArraySchema(bundled) && isArraySchema(workspace)) {
    if (!workspace.items) return bundled;
    return { ...bundled, items: mergeSchema(bundled.items, workspace.items, origin, isClosed, [...path, '[]'], notes) };
  }
  const bundledType = primaryType(bundled);
  const workspaceType = primaryType(workspace);
  // CUE's numbers include our integers (`mtu?: >=1450 & <=9000` is a number there): the stricter bundled rule stands.
  const isNarrowing = bundledType === 'integer' && workspaceType === 'number';
  if (workspaceType && bundledType && workspaceType !== bundledType && !isNarrowing) {
    // The workspace is the truth `task configure` checks; keep our docs, take its constraints.
    notes.push(`${path.join('.')}: the workspace schema says ${workspaceType} where the template says ${bundledType}; using the workspace's.`);
    return {
      ...workspace,
      markdownDescription: bundled.markdownDescription,
      'x-group': bundled['x-group'],
      'x-ref': bundled['x-ref'],
      'x-secret': bundled['x-secret'],
      'x-origin': origin,
    };
  }
  return bundled;
}

function addSampleKeys(kind: ConfigFileKind, root: JsonSchema, samples: SampleKeyDoc[]): JsonSchema {
  const target = kind === 'cluster' ? root : root.properties?.nodes?.items;
  if (!target?.properties) return root;
  const extra: Record<string, JsonSchema> = {};
  for (const doc of samples) {
    if (doc.key in target.properties) continue;
    extra[doc.key] = { markdownDescription: doc.description, 'x-origin': 'sample', 'x-group': 'From the sample file' };
  }
  if (Object.keys(extra).length === 0) return root;
  const widened: JsonSchema = { ...target, properties: { ...target.properties, ...extra } };
  if (kind === 'cluster') return widened;
  const nodes = root.properties!.nodes!;
  return { ...root, properties: { ...root.properties, nodes: { ...nodes, items: widened } } };
}

/** The schema that describes the value at `path` (keys and list indexes), or undefined. */
export function schemaAtPath(root: JsonSchema, path: (string | number)[]): JsonSchema | undefined {
  let schema: JsonSchema | undefined = root;
  for (const segment of path) {
    if (!schema) return undefined;
    schema = typeof segment === 'number' ? schema.items : schema.properties?.[segment];
  }
  return schema;
}

/** Whether values at this schema are secrets: never shown in hover, completion, messages or logs. */
export function isSecretSchema(schema: JsonSchema | undefined, key: string | undefined): boolean {
  if (schema?.['x-secret'] === true) return true;
  // Fork keys carry no annotation: fall back on the name, as users name secrets plainly.
  return key !== undefined && /(token|password|secret|private_key|privatekey|api_key|apikey|access_key)/i.test(key);
}
