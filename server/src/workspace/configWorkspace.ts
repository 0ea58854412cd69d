// Loads what a cluster-template workspace says about its config files: the workspace schema
// (CUE first, then JSON or a modeline), the sample files' docs, and compiles the validators.
// Shared by the language server and the command-line tool; reads files only through a FileReader.
import * as path from 'node:path';
import bundledClusterSchema from '../../../schemas/cluster.schema.json';
import bundledNodesSchema from '../../../schemas/nodes.schema.json';
import type { FileReader } from '../host/fileReader';
import { buildConfigSchema, type WorkspaceSchemaSource } from '../services/cluster/configSchema';
import { readCueSchema } from '../services/cluster/cueSchema';
import type { ConfigFileContext } from '../services/cluster/diagnostics';
import { readJsonSchema } from '../services/cluster/jsonSchemaSource';
import { readSampleDocs } from '../services/cluster/sampleDocs';
import { createConfigValidator } from '../services/cluster/schemaValidation';
import type { ConfigFileKind, JsonSchema } from '../services/cluster/schemaTypes';

export const SCHEMA_FOLDER = '.taskfiles/template/resources';

export interface ConfigWorkspace {
  root: string;
  cluster: ConfigFileContext;
  nodes: ConfigFileContext;
  /** Which workspace schema decided the keys. */
  workspaceSchema: 'cue' | 'json' | 'none';
  /** Everything that could not be read, for the output channel (never secret values). */
  notes: string[];
  /** Schema files to watch: a change means reloading. */
  watchedFiles: string[];
}

export interface LoadOptions {
  /** Whether to use the workspace's own schema (setting clusterTemplate.schema.useWorkspaceSchema). */
  useWorkspaceSchema: boolean;
  /** Modeline targets found in the open cluster.yaml / nodes.yaml, relative to the root. */
  modelines?: Partial<Record<ConfigFileKind, string>>;
}

const BUNDLED: Record<ConfigFileKind, JsonSchema> = {
  cluster: bundledClusterSchema as unknown as JsonSchema,
  nodes: bundledNodesSchema as unknown as JsonSchema,
};

/** The kind of config file a path names, by its file name. */
export function configKindOf(filePath: string): ConfigFileKind | undefined {
  const base = path.basename(filePath);
  if (base === 'cluster.yaml') return 'cluster';
  if (base === 'nodes.yaml') return 'nodes';
  return undefined;
}

/**
 * Reads the workspace at `root`. Example: a root with `.taskfiles/template/resources/cluster.schema.cue`
 * gives `workspaceSchema: 'cue'` and unknown keys become errors.
 */
export async function loadConfigWorkspace(root: string, reader: FileReader, options: LoadOptions): Promise<ConfigWorkspace> {
  const notes: string[] = [];
  const watchedFiles: string[] = [];
  let workspaceSchema: ConfigWorkspace['workspaceSchema'] = 'none';
  const contexts = {} as Record<ConfigFileKind, ConfigFileContext>;
  for (const kind of ['cluster', 'nodes'] as const) {
    const modeline = options.modelines?.[kind];
    if (modeline && /^[a-z]+:\/\//i.test(modeline)) {
      notes.push(`${kind}.yaml names the remote schema ${modeline} in its modeline; remote schemas are not downloaded, so the local schemas are used.`);
    }
    const source = options.useWorkspaceSchema ? await readWorkspaceSchema(root, kind, reader, modeline, watchedFiles) : undefined;
    if (source) workspaceSchema = workspaceSchema === 'cue' ? 'cue' : source.origin === 'workspace-cue' ? 'cue' : 'json';
    const samplePath = path.join(root, `${kind}.sample.yaml`);
    watchedFiles.push(samplePath);
    const sampleText = await reader.readText(samplePath);
    const samples = sampleText ? readSampleDocs(sampleText) : [];
    const schema = buildConfigSchema(kind, BUNDLED[kind], source, samples);
    const fallback = source ? buildConfigSchema(kind, BUNDLED[kind], undefined, samples) : undefined;
    const validator = createConfigValidator(schema, fallback);
    notes.push(...schema.notes);
    if (validator.compileNote) notes.push(validator.compileNote);
    contexts[kind] = { schema, validator };
  }
  return { root, cluster: contexts.cluster, nodes: contexts.nodes, workspaceSchema, notes, watchedFiles };
}

async function readWorkspaceSchema(
  root: string,
  kind: ConfigFileKind,
  reader: FileReader,
  modeline: string | undefined,
  watchedFiles: string[],
): Promise<WorkspaceSchemaSource | undefined> {
  const cueLabel = `${SCHEMA_FOLDER}/${kind}.schema.cue`;
  const jsonLabel = `${SCHEMA_FOLDER}/${kind}.schema.json`;
  watchedFiles.push(path.join(root, cueLabel), path.join(root, jsonLabel));
  // CUE is what `task configure` runs (cue vet); the JSON file is generated from it.
  const cueText = await reader.readText(path.join(root, cueLabel));
  if (cueText !== undefined) return { result: readCueSchema(cueText, cueLabel), origin: 'workspace-cue', label: cueLabel };
  const modelineLabel = modeline && !/^[a-z]+:\/\//i.test(modeline) ? modeline : undefined;
  for (const label of [modelineLabel, jsonLabel]) {
    if (!label) continue;
    const absolute = path.resolve(root, label);
    if (label === modelineLabel) watchedFiles.push(absolute);
    const text = await reader.readText(absolute);
    if (text !== undefined) return { result: readJsonSchema(text, label), origin: 'workspace-json', label };
  }
  return undefined;
}
