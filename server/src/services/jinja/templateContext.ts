// What a template can see: the data of cluster.yaml and nodes.yaml (with the schema's keys),
// the variables, filters and functions of the workspace's plugin.py, Jinja's builtins and
// makejinja's globals. Built from already-read inputs; reads no files.
import type { UndefinedMode } from '../../engines/render/makejinjaConfig';
import type { ConfigSchema } from '../cluster/configSchema';
import { isSecretSchema } from '../cluster/configSchema';
import { typeSummary } from '../cluster/keyDocs';
import type { JsonSchema } from '../cluster/schemaTypes';
import type { YamlNode } from '../yaml/parse';
import type { Span } from './ast';
import {
  CLUSTER_TEMPLATE_FILTERS,
  CLUSTER_TEMPLATE_FUNCTIONS,
  JINJA_FILTERS,
  JINJA_GLOBALS,
  JINJA_TESTS,
  MAKEJINJA_GLOBALS,
  signatureLabel,
  type BuiltinEntry,
} from './builtins';
import type { PluginCallable, PluginPyResult } from './pluginPy';
import type { JinjaSyntax } from './syntax';

/** `data`: another data file listed in makejinja.toml. */
export type VariableSource = 'cluster.yaml' | 'nodes.yaml' | 'data' | 'schema' | 'plugin.py' | 'makejinja';

export interface SourceLocation {
  /** Absolute path of the file. */
  filePath: string;
  span?: Span;
  /** 0-based line, when no span is known (plugin.py). */
  line?: number;
}

export interface ItemField {
  name: string;
  doc?: string;
  typeText?: string;
}

export interface TemplateVariable {
  name: string;
  source: VariableSource;
  /** The value from the data file, when the key is set there. */
  value?: unknown;
  hasValue: boolean;
  isSecret: boolean;
  /** Markdown documentation (schema description, sample comment, plugin source line). */
  doc?: string;
  typeText?: string;
  location?: SourceLocation;
  /** For a list of mappings (nodes): the fields an item may have. */
  itemFields?: ItemField[];
  /** For plugin variables read statically: the value is an approximation from the source text. */
  isApproximate?: boolean;
}

export interface CallableInfo {
  name: string;
  kind: 'filter' | 'test' | 'function';
  origin: 'jinja' | 'makejinja' | 'plugin';
  summary: string;
  doc: string;
  signature: string;
  /** Positional arguments after the piped/tested value; null: no limit; undefined: unknown. */
  minArgs?: number;
  maxArgs?: number | null;
  location?: SourceLocation;
  isSecretResult?: boolean;
}

export interface TemplateContext {
  syntax: JinjaSyntax;
  undefinedMode: UndefinedMode;
  variables: ReadonlyMap<string, TemplateVariable>;
  filters: ReadonlyMap<string, CallableInfo>;
  tests: ReadonlyMap<string, CallableInfo>;
  functions: ReadonlyMap<string, CallableInfo>;
  /** Names the loader finds (`kubernetes/apps/x.yaml.j2`), for include/import. */
  templateNames: ReadonlySet<string>;
  /** Whether derived variables come from a static reading of plugin.py (not from running it). */
  isPluginApproximate: boolean;
}

export interface DataFileInput {
  filePath: string;
  value: Record<string, unknown> | null;
  root: YamlNode | null;
  schema: ConfigSchema;
}

export interface TemplateContextInput {
  syntax: JinjaSyntax;
  undefinedMode: UndefinedMode;
  cluster?: DataFileInput;
  nodes?: DataFileInput;
  plugin?: { filePath: string; result: PluginPyResult };
  /** Other data files of makejinja.toml, in order, already read into values. */
  otherData?: { filePath: string; value: Record<string, unknown> }[];
  templateNames: Iterable<string>;
}

function fromBuiltin(entry: BuiltinEntry, kind: CallableInfo['kind']): CallableInfo {
  return {
    name: entry.name,
    kind,
    origin: entry.origin === 'jinja' ? 'jinja' : 'makejinja',
    summary: entry.summary,
    doc: entry.doc,
    signature: signatureLabel(entry),
    minArgs: entry.signature?.minArgs,
    maxArgs: entry.signature?.maxArgs,
    isSecretResult: entry.isSecretResult,
  };
}

function fromPlugin(callable: PluginCallable, kind: CallableInfo['kind'], filePath: string, known: CallableInfo | undefined): CallableInfo {
  // A filter's first parameter is the piped value; a test's the tested value.
  const params = callable.params.filter((p) => p.kind !== 'varargs' && p.kind !== 'kwargs');
  const skip = kind === 'function' ? 0 : 1;
  const positional = params.slice(skip).filter((p) => p.kind !== 'keywordOnly');
  const hasVarargs = callable.params.some((p) => p.kind === 'varargs');
  const label = `${callable.name}(${callable.params
    .map((p) => (p.kind === 'varargs' ? '*' : p.kind === 'kwargs' ? '**' : '') + p.name + (p.hasDefault ? '=…' : ''))
    .join(', ')})`;
  return {
    name: callable.name,
    kind,
    origin: 'plugin',
    summary: known?.summary ?? `Defined by the workspace plugin (plugin.py line ${callable.line + 1}).`,
    doc: known?.doc ?? '',
    signature: label,
    minArgs: callable.isResolved ? positional.filter((p) => !p.hasDefault).length : undefined,
    maxArgs: callable.isResolved ? (hasVarargs ? null : positional.length) : undefined,
    location: { filePath, line: callable.line },
    isSecretResult: known?.isSecretResult,
  };
}

function schemaFields(schema: JsonSchema | undefined): ItemField[] {
  return Object.entries(schema?.properties ?? {}).map(([name, property]) => ({
    name,
    doc: property.markdownDescription ?? property.description,
    typeText: typeSummary(property),
  }));
}

function addDataVariables(out: Map<string, TemplateVariable>, input: DataFileInput, source: 'cluster.yaml' | 'nodes.yaml'): void {
  const properties = input.schema.root.properties ?? {};
  const spans = new Map<string, Span>();
  if (input.root?.kind === 'map') for (const entry of input.root.entries) if (!spans.has(entry.key)) spans.set(entry.key, entry.keySpan);
  const names = new Set([...Object.keys(properties), ...Object.keys(input.value ?? {})]);
  for (const name of names) {
    const property = properties[name];
    const hasValue = !!input.value && Object.prototype.hasOwnProperty.call(input.value, name);
    const span = spans.get(name);
    const sample = input.schema.sampleDocs.get(name);
    out.set(name, {
      name,
      source: hasValue ? source : 'schema',
      value: hasValue ? input.value![name] : property?.default,
      hasValue,
      isSecret: isSecretSchema(property, name),
      doc: property?.markdownDescription ?? property?.description ?? sample?.description,
      typeText: property ? typeSummary(property) : undefined,
      location: { filePath: input.filePath, span },
      itemFields: property?.type === 'array' && property.items?.properties ? schemaFields(property.items) : undefined,
    });
  }
}

/**
 * Example: with a cluster.yaml holding `node_cidr` and the bundled schema, `variables.get('node_cidr')`
 * has source `cluster.yaml` and its value; `variables.get('node_vlan_tag')` has source `schema`.
 */
export function buildTemplateContext(input: TemplateContextInput): TemplateContext {
  const variables = new Map<string, TemplateVariable>();
  for (const global of MAKEJINJA_GLOBALS) {
    variables.set(global.name, { name: global.name, source: 'makejinja', hasValue: false, isSecret: true, doc: global.doc, typeText: global.returns });
  }
  // makejinja merges the data files in order; cluster.yaml and nodes.yaml are described by their schemas.
  for (const file of input.otherData ?? []) {
    for (const [name, value] of Object.entries(file.value)) {
      variables.set(name, { name, source: 'data', value, hasValue: true, isSecret: isSecretSchema(undefined, name), location: { filePath: file.filePath } });
    }
  }
  if (input.nodes) addDataVariables(variables, input.nodes, 'nodes.yaml');
  if (input.cluster) addDataVariables(variables, input.cluster, 'cluster.yaml');
  const plugin = input.plugin;
  for (const variable of plugin?.result.variables ?? []) {
    const existing = variables.get(variable.name);
    // plugin.py's data() runs after the data files are merged: its setdefault keeps a set value.
    if (existing?.hasValue && variable.how === 'setdefault') continue;
    const isSecret = existing?.isSecret ?? isSecretSchema(undefined, variable.name);
    // The source text of a secret's value may be the secret itself (`setdefault("x_token", "...")`).
    const derivation = variable.valueText && !isSecret ? `Derived in plugin.py: \`${variable.valueText.slice(0, 200)}\`` : undefined;
    variables.set(variable.name, {
      name: variable.name,
      source: 'plugin.py',
      hasValue: false,
      isSecret,
      doc: [existing?.doc, derivation].filter(Boolean).join('\n\n'),
      typeText: existing?.typeText,
      location: { filePath: plugin!.filePath, line: variable.line },
      isApproximate: true,
      itemFields: existing?.itemFields,
    });
  }

  const filters = new Map(JINJA_FILTERS.map((e) => [e.name, fromBuiltin(e, 'filter')]));
  const tests = new Map(JINJA_TESTS.map((e) => [e.name, fromBuiltin(e, 'test')]));
  const functions = new Map(JINJA_GLOBALS.map((e) => [e.name, fromBuiltin(e, 'function')]));
  const knownPluginFilters = new Map(CLUSTER_TEMPLATE_FILTERS.map((e) => [e.name, fromBuiltin(e, 'filter')]));
  const knownPluginFunctions = new Map(CLUSTER_TEMPLATE_FUNCTIONS.map((e) => [e.name, fromBuiltin(e, 'function')]));
  if (plugin) {
    for (const f of plugin.result.filters) filters.set(f.name, fromPlugin(f, 'filter', plugin.filePath, knownPluginFilters.get(f.name)));
    for (const f of plugin.result.functions) functions.set(f.name, fromPlugin(f, 'function', plugin.filePath, knownPluginFunctions.get(f.name)));
    for (const t of plugin.result.tests) tests.set(t.name, fromPlugin(t, 'test', plugin.filePath, undefined));
  }
  return {
    syntax: input.syntax,
    undefinedMode: input.undefinedMode,
    variables,
    filters,
    tests,
    functions,
    templateNames: new Set(input.templateNames),
    isPluginApproximate: !!plugin,
  };
}
