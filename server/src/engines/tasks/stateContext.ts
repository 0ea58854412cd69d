// Gathers what itemState.ts reads from one workspace: makejinja's inputs and delimiters, the values
// of cluster.yaml and nodes.yaml. Reads through the FileReader it is given; writes nothing.
import * as path from 'node:path';
import { parseDocument } from 'yaml';
import type { FileReader } from '../../host/fileReader';
import { MAKEJINJA_CLUSTER_TEMPLATE_SYNTAX } from '../../services/jinja/syntax';
import { jinjaSyntaxOf, readMakejinjaConfig } from '../render/makejinjaConfig';
import type { StateContext, StepResults } from './itemState';

export interface StateContextDeps {
  reader: FileReader;
  renderText: StateContext['renderText'];
  stepResults: StepResults;
  isOnPath(program: string): boolean;
}

export interface WorkspaceShape {
  /** makejinja.toml exists, or cluster.yaml beside a templates/ folder (before `task init` too, via the sample). */
  isClusterTemplate: boolean;
  context: StateContext;
}

/**
 * Reads one workspace root. Example: example/ gives templateDirs [<root>/templates/overrides,
 * <root>/templates/config], the `#% %#` syntax, and cluster.yaml's values.
 */
export async function readWorkspaceShape(root: string, deps: StateContextDeps): Promise<WorkspaceShape> {
  const tomlText = await deps.reader.readText(path.join(root, 'makejinja.toml'));
  const config = tomlText === undefined ? undefined : readMakejinjaConfig(tomlText).config;
  const templateDirs = config ? config.inputs.map((input) => path.resolve(root, input)) : [path.join(root, 'templates', 'config')];
  const syntax = config ? jinjaSyntaxOf(config) : MAKEJINJA_CLUSTER_TEMPLATE_SYNTAX;
  const cluster = await readYamlMapping(deps.reader, path.join(root, 'cluster.yaml'));
  const nodes = await readYamlMapping(deps.reader, path.join(root, 'nodes.yaml'));
  const hasTemplates = (await deps.reader.stat?.(path.join(root, 'templates')))?.kind === 'directory';
  const hasSample = (await deps.reader.readText(path.join(root, 'cluster.sample.yaml'))) !== undefined;
  const context: StateContext = {
    root,
    templateDirs,
    reader: deps.reader,
    syntax,
    clusterValues: cluster.values,
    nodesValues: nodes.values ?? {},
    renderText: deps.renderText,
    stepResults: deps.stepResults,
    isOnPath: deps.isOnPath,
  };
  if (cluster.problem) context.clusterProblem = cluster.problem;
  return { isClusterTemplate: tomlText !== undefined || (hasTemplates && (cluster.exists || hasSample)), context };
}

async function readYamlMapping(reader: FileReader, filePath: string): Promise<{ values?: Record<string, unknown>; problem?: string; exists: boolean }> {
  const name = path.basename(filePath);
  const text = await reader.readText(filePath);
  if (text === undefined) {
    const hint = name === 'cluster.yaml' ? ': copy cluster.sample.yaml (task init) and fill it in' : '';
    return { problem: `${name} is missing${hint}`, exists: false };
  }
  const document = parseDocument(text);
  // Only the line is said: the text around an error may be a secret value.
  if (document.errors.length > 0) {
    const line = document.errors[0].linePos?.[0].line;
    return { problem: `${name} does not parse${line ? ` (line ${line})` : ''}: fix it to see the states`, exists: true };
  }
  const values: unknown = document.toJS();
  if (values === null || values === undefined) return { values: {}, exists: true };
  if (typeof values !== 'object' || Array.isArray(values)) return { problem: `${name} is not a mapping of keys to values`, exists: true };
  return { values: values as Record<string, unknown>, exists: true };
}
