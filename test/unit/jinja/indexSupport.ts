// A small in-memory workspace for the reference and rename tests: cluster.yaml, nodes.yaml,
// templates and plugin.py under /ws, indexed by TemplateIndex, with the template context they give.
import assert from 'node:assert/strict';
import type { ConfigSchema } from '../../../server/src/services/cluster/configSchema';
import type { JsonSchema } from '../../../server/src/services/cluster/schemaTypes';
import type { ConfigFileInput } from '../../../server/src/services/jinja/keyReferences';
import { readPluginPy } from '../../../server/src/services/jinja/pluginPy';
import { MAKEJINJA_CLUSTER_TEMPLATE_SYNTAX } from '../../../server/src/services/jinja/syntax';
import { buildTemplateContext, type TemplateContext } from '../../../server/src/services/jinja/templateContext';
import { parseYaml, toValue } from '../../../server/src/services/yaml/parse';
import { memoryFileReader } from '../../../server/src/host/fileReader';
import { TemplateIndex } from '../../../server/src/workspace/templateIndex';

export const ROOT = '/ws';
export const SYNTAX = MAKEJINJA_CLUSTER_TEMPLATE_SYNTAX;
export const CLUSTER_PATH = `${ROOT}/cluster.yaml`;
export const NODES_PATH = `${ROOT}/nodes.yaml`;
export const PLUGIN_PATH = `${ROOT}/templates/scripts/plugin.py`;

export function templatePath(name: string): string {
  return `${ROOT}/templates/config/${name}`;
}

/** Removes the one `¦` cursor marker; returns the text without it and the cursor offset. */
export function atCursor(marked: string): { text: string; offset: number } {
  const offset = marked.indexOf('¦');
  assert.notEqual(offset, -1, 'no cursor marker');
  assert.equal(marked.indexOf('¦', offset + 1), -1, 'more than one cursor marker');
  return { text: marked.slice(0, offset) + marked.slice(offset + 1), offset };
}

export function configFile(kind: 'cluster' | 'nodes', text: string): ConfigFileInput {
  return { kind, filePath: kind === 'cluster' ? CLUSTER_PATH : NODES_PATH, text, root: parseYaml(text).root };
}

export function schemaOf(kind: 'cluster' | 'nodes', properties: Record<string, JsonSchema> = {}, workspaceLabel?: string): ConfigSchema {
  return { kind, root: { type: 'object', properties }, isClosedByWorkspace: workspaceLabel !== undefined, workspaceLabel, sampleDocs: new Map(), notes: [] };
}

export interface TestWorkspace {
  index: TemplateIndex;
  cluster: ConfigFileInput;
  nodes: ConfigFileInput;
  context: TemplateContext;
  clusterSchema: ConfigSchema;
}

export async function workspace(input: {
  cluster?: string;
  nodes?: string;
  /** Loader name → template text. */
  templates: Record<string, string>;
  plugin?: string;
  clusterProperties?: Record<string, JsonSchema>;
  workspaceSchemaLabel?: string;
}): Promise<TestWorkspace> {
  const cluster = configFile('cluster', input.cluster ?? '');
  const nodes = configFile('nodes', input.nodes ?? '');
  const files: Record<string, string> = {};
  const templates = new Map<string, string>();
  for (const [name, text] of Object.entries(input.templates)) {
    files[templatePath(name)] = text;
    templates.set(name, templatePath(name));
  }
  if (input.plugin !== undefined) files[PLUGIN_PATH] = input.plugin;
  const index = new TemplateIndex(SYNTAX);
  await index.build(templates, memoryFileReader(files), input.plugin !== undefined ? PLUGIN_PATH : undefined);
  const clusterSchema = schemaOf('cluster', input.clusterProperties, input.workspaceSchemaLabel);
  const context = buildTemplateContext({
    syntax: SYNTAX,
    undefinedMode: 'chainable',
    cluster: { filePath: CLUSTER_PATH, value: toValue(cluster.root) as Record<string, unknown> | null, root: cluster.root, schema: clusterSchema },
    nodes: { filePath: NODES_PATH, value: toValue(nodes.root) as Record<string, unknown> | null, root: nodes.root, schema: schemaOf('nodes') },
    plugin: input.plugin !== undefined ? { filePath: PLUGIN_PATH, result: readPluginPy(input.plugin) } : undefined,
    templateNames: templates.keys(),
  });
  return { index, cluster, nodes, context, clusterSchema };
}

/** Locations and edits print as `file:line:col-col` with the file relative to /ws. */
export function at(uri: string, range: { start: { line: number; character: number }; end: { line: number; character: number } }): string {
  const file = uri.replace(/^file:\/\/\/ws\//, '');
  return `${file}:${range.start.line}:${range.start.character}-${range.end.line === range.start.line ? '' : range.end.line + ':'}${range.end.character}`;
}
