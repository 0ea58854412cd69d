// Analyses cluster.yaml and nodes.yaml: YAML problems, schema problems, unknown keys, then the
// cross-field and cross-file rules over both files. Returns offset-based problems; no LSP I/O.
import { closestName } from '../text/didYouMean';
import type { ParsedYaml, Span, YamlNode, YamlPath } from '../yaml/parse';
import { nodeAt, parseYaml, spanForPath, toValue } from '../yaml/parse';
import type { ConfigSchema } from './configSchema';
import { checkCrossFieldRules, type ConfigSnapshot, type CrossFieldProblem } from './crossFieldRules';
import type { ConfigValidator, SchemaProblem } from './schemaValidation';
import type { ConfigFileKind, JsonSchema } from './schemaTypes';

export type Severity = 'error' | 'warning' | 'information' | 'hint';

export interface QuickFix {
  title: string;
  span: Span;
  newText: string;
}

export interface ConfigProblem {
  span: Span;
  code: string;
  message: string;
  severity: Severity;
  fix?: QuickFix;
  /** Other places the problem involves; `self` is the same file. */
  related?: { file: ConfigFileKind | 'self'; span: Span; message: string }[];
}

export interface ConfigFileContext {
  schema: ConfigSchema;
  validator: ConfigValidator;
}

export interface ConfigFileAnalysis {
  kind: ConfigFileKind;
  parsed: ParsedYaml;
  /** The root mapping as plain values; null when the file is not well-formed or not a mapping. */
  value: Record<string, unknown> | null;
  /** Problems that need only this file. */
  problems: ConfigProblem[];
  /** JSON.stringify(path) of values that failed their own rule: they sit out the cross-field rules. */
  failedPaths: Set<string>;
}

/**
 * Parses and checks one file on its own. Example: `analyzeConfigFile('cluster', 'node_cidr: x\n', ctx)`
 * has a `cidr` problem on the key `node_cidr`.
 */
export function analyzeConfigFile(
  kind: ConfigFileKind,
  text: string,
  ctx: ConfigFileContext,
  parse: (text: string) => ParsedYaml = parseYaml,
): ConfigFileAnalysis {
  const parsed = parse(text);
  const problems: ConfigProblem[] = parsed.problems.map((p) => ({ span: p.span, code: p.code, message: p.message, severity: 'error' }));
  const failedPaths = new Set<string>();
  if (problems.length > 0) return { kind, parsed, value: null, problems, failedPaths };

  const root = parsed.root;
  if (parsed.documentCount > 1) {
    problems.push({
      span: { start: 0, end: Math.min(text.length, text.indexOf('\n') < 0 ? text.length : text.indexOf('\n')) },
      code: 'multiple-documents',
      message: `${fileName(kind)} holds ${parsed.documentCount} YAML documents; only the first is checked.`,
      severity: 'warning',
    });
  }
  if (root && root.kind !== 'map') {
    problems.push({
      span: root.span,
      code: 'not-a-mapping',
      message: `${fileName(kind)} must be a mapping of keys to values (key: value lines), not ${root.kind === 'seq' ? 'a list' : 'a single value'}.`,
      severity: 'error',
    });
    return { kind, parsed, value: null, problems, failedPaths };
  }
  const value = (toValue(root) ?? {}) as Record<string, unknown>;

  for (const problem of findUnknownKeys(root, ctx.schema.root, [], ctx.schema)) {
    problems.push(problem.problem);
    failedPaths.add(JSON.stringify(problem.path));
  }
  for (const problem of ctx.validator.validate(value)) {
    problems.push(toConfigProblem(problem, root, text));
    if (problem.target === 'value') failedPaths.add(JSON.stringify(problem.path));
  }
  return { kind, parsed, value, problems, failedPaths };
}

function fileName(kind: ConfigFileKind): string {
  return kind === 'cluster' ? 'cluster.yaml' : 'nodes.yaml';
}

function findUnknownKeys(
  node: YamlNode | null,
  schema: JsonSchema | undefined,
  path: YamlPath,
  config: ConfigSchema,
): { path: YamlPath; problem: ConfigProblem }[] {
  if (!node || !schema) return [];
  const out: { path: YamlPath; problem: ConfigProblem }[] = [];
  if (node.kind === 'map' && schema.properties) {
    const known = Object.keys(schema.properties);
    for (const entry of node.entries) {
      const entryPath = [...path, entry.key];
      const property = schema.properties[entry.key];
      if (property) {
        out.push(...findUnknownKeys(entry.value, property, entryPath, config));
        continue;
      }
      if (schema.additionalProperties !== false) continue;
      const suggestion = closestName(entry.key, known);
      out.push({ path: entryPath, problem: unknownKeyProblem(entry.key, entry.keySpan, path, suggestion, config) });
    }
  } else if (node.kind === 'seq' && schema.items) {
    node.items.forEach((item, index) => out.push(...findUnknownKeys(item, schema.items, [...path, index], config)));
  }
  return out;
}

function unknownKeyProblem(key: string, span: Span, parentPath: YamlPath, suggestion: string | undefined, config: ConfigSchema): ConfigProblem {
  const where = parentPath.length === 0 ? fileName(config.kind) : 'a node';
  const didYouMean = suggestion ? ` Did you mean ${suggestion}?` : '';
  const consequence = config.isClosedByWorkspace
    ? ` The workspace schema (${config.workspaceLabel}) does not allow it, so task configure fails at cue vet.`
    : ` It is not a key of the cluster-template schema and is ignored by the templates.`;
  return {
    span,
    code: 'unknown-key',
    message: `Unknown key ${key} in ${where}.${didYouMean}${consequence}`,
    severity: config.isClosedByWorkspace ? 'error' : 'warning',
    fix: suggestion ? { title: `Change to ${suggestion}`, span, newText: suggestion } : undefined,
  };
}

function lineSpanAt(text: string, start: number): Span {
  const newline = text.indexOf('\n', start);
  return { start, end: newline < 0 ? text.length : newline };
}

function toConfigProblem(problem: SchemaProblem, root: YamlNode | null, text: string): ConfigProblem {
  let span: Span | undefined;
  if (problem.target === 'missing') {
    // A missing key is reported at the mapping that lacks it: its first line.
    const owner = problem.path.length === 0 ? root : nodeAt(root, problem.path);
    span = owner ? (problem.path.length === 0 ? spanForPath(root, []) : lineSpanAt(text, owner.span.start)) : undefined;
  } else {
    span = spanForPath(root, problem.path);
  }
  span ??= { start: 0, end: 0 };
  const valueNode = nodeAt(root, problem.path);
  const fix =
    problem.replacement !== undefined && valueNode
      ? { title: fixTitle(problem), span: valueNode.span, newText: problem.replacement }
      : undefined;
  return { span, code: problem.code, message: problem.message, severity: 'error', fix };
}

function fixTitle(problem: SchemaProblem): string {
  switch (problem.code) {
    case 'type':
      return 'Write the value with the right type';
    case 'cidr-canonical':
      return `Use the network address ${problem.replacement ?? ''}`.trim();
    case 'mac-format':
      return 'Write the MAC address in lowercase with colons';
    default:
      return 'Fix the value';
  }
}

function snapshotOf(analysis: ConfigFileAnalysis | undefined): ConfigSnapshot | null {
  if (!analysis || !analysis.value) return null;
  const root = analysis.parsed.root;
  return {
    value: analysis.value,
    offsetOf: (path) => spanForPath(root, path)?.start,
    failedPaths: analysis.failedPaths,
  };
}

export interface ConfigDiagnosticsResult {
  cluster: ConfigProblem[];
  nodes: ConfigProblem[];
}

/**
 * Joins both files' own problems with the cross-field rules. Either file may be absent.
 * Example: two nodes named `k8s-0` give a `node-name-unique` problem on the second one.
 */
export function collectConfigProblems(cluster: ConfigFileAnalysis | undefined, nodes: ConfigFileAnalysis | undefined): ConfigDiagnosticsResult {
  const result: ConfigDiagnosticsResult = { cluster: [...(cluster?.problems ?? [])], nodes: [...(nodes?.problems ?? [])] };
  const crossProblems = checkCrossFieldRules({ cluster: snapshotOf(cluster), nodes: snapshotOf(nodes) });
  const analyses = { cluster, nodes };
  for (const problem of crossProblems) {
    const analysis = analyses[problem.file];
    if (!analysis) continue;
    result[problem.file].push(crossToProblem(problem, analyses));
  }
  result.cluster.sort((a, b) => a.span.start - b.span.start);
  result.nodes.sort((a, b) => a.span.start - b.span.start);
  return result;
}

function crossToProblem(
  problem: CrossFieldProblem,
  analyses: Record<ConfigFileKind, ConfigFileAnalysis | undefined>,
): ConfigProblem {
  const spanIn = (file: ConfigFileKind, path: YamlPath): Span | undefined => spanForPath(analyses[file]?.parsed.root ?? null, path);
  const related = (problem.related ?? []).flatMap((r) => {
    const span = spanIn(r.file, r.path);
    return span ? [{ file: r.file, span, message: r.message }] : [];
  });
  return {
    span: spanIn(problem.file, problem.path) ?? { start: 0, end: 0 },
    code: problem.code,
    message: problem.message,
    severity: problem.severity,
    related: related.length ? related : undefined,
  };
}
