// Loads what the templates of a workspace see: makejinja.toml (delimiters, inputs, undefined
// mode), the template files the loader finds, the plugin.py it imports, and the data of
// cluster.yaml / nodes.yaml from the config store. Reads files only through a FileReader.
import * as path from 'node:path';
import { jinjaSyntaxOf, makejinjaDefaults, parseToml, readMakejinjaConfig, type MakejinjaConfig, type MakejinjaConfigProblem } from '../engines/render/makejinjaConfig';
import { parseAllDocuments } from 'yaml';
import type { FileReader } from '../host/fileReader';
import { readPluginPy, type PluginPyResult } from '../services/jinja/pluginPy';
import { MAKEJINJA_CLUSTER_TEMPLATE_SYNTAX, type JinjaSyntax } from '../services/jinja/syntax';
import { buildTemplateContext, type DataFileInput, type TemplateContext } from '../services/jinja/templateContext';
import type { RootCheck } from './configFiles';

export interface TemplateWorkspace {
  root: string;
  config: MakejinjaConfig;
  configProblems: MakejinjaConfigProblem[];
  hasMakejinjaToml: boolean;
  syntax: JinjaSyntax;
  /** Built from the data as it was when loaded; see templateContextOf for fresh data. */
  context: TemplateContext;
  /** Loader name (relative to its input folder) → absolute path; the first input folder wins. */
  templates: Map<string, string>;
  plugin?: { filePath: string; result: PluginPyResult };
  /** makejinja.toml's data files other than cluster.yaml and nodes.yaml, read into values. */
  otherData: { filePath: string; value: Record<string, unknown> }[];
  notes: string[];
}

/** Python's PurePath.match: the pattern's parts match the path's last parts, each like fnmatch. */
export function pathMatches(relativePath: string, pattern: string): boolean {
  const parts = relativePath.split('/');
  const patternParts = pattern.split('/').filter(Boolean);
  if (pattern.startsWith('/')) return false;
  if (patternParts.length > parts.length) return false;
  const tail = parts.slice(parts.length - patternParts.length);
  return patternParts.every((part, i) => fnmatch(tail[i], part));
}

function fnmatch(name: string, pattern: string): boolean {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') source += '.*';
    else if (c === '?') source += '.';
    else if (c === '[') {
      const close = pattern.indexOf(']', i + 1);
      if (close < 0) source += '\\[';
      else {
        const body = pattern.slice(i + 1, close).replace(/^!/, '^').replace(/\\/g, '\\\\');
        source += `[${body}]`;
        i = close;
      }
    } else source += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, 's').test(name);
}

/** Whether a file is a template makejinja renders (suffix, include and exclude patterns). */
export function isTemplateFile(relativePath: string, config: MakejinjaConfig): boolean {
  if (config.jinja_suffix && !relativePath.endsWith(config.jinja_suffix)) return false;
  if (config.exclude_patterns.some((pattern) => pathMatches(relativePath, pattern))) return false;
  return true;
}

function pluginFileOf(root: string, config: MakejinjaConfig): { filePath: string; className: string } | undefined {
  const spec = [...config.plugins, ...config.loaders][0];
  if (!spec) return undefined;
  const [module, className] = spec.includes(':') ? spec.split(':') : [spec.slice(0, spec.lastIndexOf('.')), spec.slice(spec.lastIndexOf('.') + 1)];
  const importPath = config.import_paths[0] ?? '.';
  return { filePath: path.resolve(root, importPath, module.replace(/\./g, '/') + '.py'), className };
}

function dataInput(check: RootCheck | undefined, kind: 'cluster' | 'nodes'): DataFileInput | undefined {
  const state = check?.files[kind];
  if (!check || !state?.analysis) return undefined;
  return { filePath: state.filePath, value: state.analysis.value, root: state.analysis.parsed.root, schema: check.workspace[kind].schema };
}

/**
 * Reads makejinja.toml (the cluster-template's delimiters when it is missing), lists templates and
 * reads plugin.py. Example: for the example workspace, `templates.get('kubernetes/apps/kustomization.yaml.j2')`
 * is its absolute path and `context.syntax.variableStart` is `#{`.
 */
export async function loadTemplateWorkspace(root: string, reader: FileReader, check: RootCheck | undefined): Promise<TemplateWorkspace> {
  const notes: string[] = [];
  const tomlText = await reader.readText(path.join(root, 'makejinja.toml'));
  const read = tomlText !== undefined ? readMakejinjaConfig(tomlText) : undefined;
  const config = read?.config ?? { ...makejinjaDefaults(), inputs: ['./templates/config'], output: './' };
  // Without makejinja.toml, assume the cluster-template's conventions rather than Jinja's defaults.
  const syntax = read ? jinjaSyntaxOf(config) : MAKEJINJA_CLUSTER_TEMPLATE_SYNTAX;
  if (!read) notes.push('No makejinja.toml: using the cluster-template delimiters and templates/config.');

  const templates = new Map<string, string>();
  for (const input of config.inputs) {
    const folder = path.resolve(root, input);
    const files = (await reader.listFiles?.(folder)) ?? [];
    for (const filePath of files.sort()) {
      const name = path.relative(folder, filePath).split(path.sep).join('/');
      if (!templates.has(name) && isTemplateFile(name, config)) templates.set(name, filePath);
    }
  }

  let plugin: TemplateWorkspace['plugin'];
  const pluginFile = pluginFileOf(root, config);
  if (pluginFile) {
    const text = await reader.readText(pluginFile.filePath);
    if (text === undefined) notes.push(`The plugin ${path.relative(root, pluginFile.filePath)} named in makejinja.toml was not found.`);
    else {
      plugin = { filePath: pluginFile.filePath, result: readPluginPy(text, { className: pluginFile.className }) };
      notes.push(...plugin.result.notes.map((note) => `plugin.py: ${note}`));
    }
  }
  const otherData = await readOtherDataFiles(root, config, reader, notes);
  const workspace = { root, config, configProblems: read?.problems ?? [], hasMakejinjaToml: !!read, syntax, templates, plugin, otherData, notes };
  return { ...workspace, context: templateContextOf(workspace, check) };
}

/**
 * The context for the current data: cheap, so the server rebuilds it whenever cluster.yaml or
 * nodes.yaml change, while the files read above stay cached.
 */
export function templateContextOf(workspace: Omit<TemplateWorkspace, 'context'>, check: RootCheck | undefined): TemplateContext {
  return buildTemplateContext({
    syntax: workspace.syntax,
    undefinedMode: workspace.config.undefined,
    cluster: dataInput(check, 'cluster'),
    nodes: dataInput(check, 'nodes'),
    plugin: workspace.plugin,
    otherData: workspace.otherData,
    templateNames: workspace.templates.keys(),
  });
}

/** Reads the data files besides cluster.yaml and nodes.yaml (YAML documents merged in order, JSON, TOML). */
async function readOtherDataFiles(root: string, config: MakejinjaConfig, reader: FileReader, notes: string[]): Promise<TemplateWorkspace['otherData']> {
  const out: TemplateWorkspace['otherData'] = [];
  for (const entry of config.data) {
    const filePath = path.resolve(root, entry);
    const base = path.basename(filePath);
    if (base === 'cluster.yaml' || base === 'nodes.yaml') continue;
    const text = await reader.readText(filePath);
    if (text === undefined) {
      notes.push(`The data path ${entry} of makejinja.toml is not a readable file; its keys are unknown to the templates (folders are not read yet).`);
      continue;
    }
    const value = parseDataFile(base, text);
    if (value) out.push({ filePath, value });
    else notes.push(`The data file ${entry} could not be read as a mapping; its keys are unknown to the templates.`);
  }
  return out;
}

function parseDataFile(name: string, text: string): Record<string, unknown> | undefined {
  try {
    let value: unknown;
    if (/\.json$/i.test(name)) value = JSON.parse(text);
    else if (/\.toml$/i.test(name)) value = parseToml(text);
    else value = Object.assign({}, ...parseAllDocuments(text).map((document) => document.toJS() ?? {}));
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    // A broken data file: reported as a note by the caller, and makejinja would fail on it too.
    return undefined;
  }
}
