// Catalog command templates to argv and to a POSIX sh command line: `{key}` placeholders filled
// from cluster.yaml / nodes.yaml, then each argument quoted. Runs nothing and reads no files.
import type { CommandTemplate } from './catalogTypes';

/** The parsed cluster.yaml and nodes.yaml a command template is filled from. */
export interface PlaceholderValues {
  cluster: Record<string, unknown>;
  nodes: Record<string, unknown>;
}

/** Words sh reads literally anywhere on a command line: no quoting needed. */
const SAFE_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** `NAME=…` as the first word of a command line is a variable assignment, not the command. */
const ASSIGNMENT_WORD = /^[A-Za-z_][A-Za-z0-9_]*=/;

/**
 * One argument quoted for POSIX sh: safe words stay bare, anything else goes in single quotes,
 * with each `'` written as `'\''` (close, escaped quote, reopen).
 * @example quoteShellArgument('kube-system') → kube-system
 * @example quoteShellArgument("it's $HOME") → 'it'\''s $HOME'
 */
export function quoteShellArgument(arg: string): string {
  return SAFE_WORD.test(arg) ? arg : singleQuoted(arg);
}

function singleQuoted(arg: string): string {
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/**
 * A command line sh splits back into exactly `argv`.
 * @example commandLineOf(['kubectl', '-n', 'kube-system', 'get', 'pods', '-l', 'app=a b']) → kubectl -n kube-system get pods -l 'app=a b'
 */
export function commandLineOf(argv: string[]): string {
  return argv.map((arg, index) => (index === 0 && ASSIGNMENT_WORD.test(arg) ? singleQuoted(arg) : quoteShellArgument(arg))).join(' ');
}

/**
 * What a `{…}` may hold to be a placeholder: a path of identifiers with an optional index after
 * the first one and an optional `|fallback`. Anything else in braces is left as written.
 */
const PLACEHOLDER_BODY = /^([a-z_][a-z0-9_]*)(?:\[(\d+)\])?((?:\.[a-z_][a-z0-9_]*)*)(?:\|([^}]*))?$/i;

/**
 * Brace words kubectl's JSONPath and Go templates use on their own (`{range .items[*]}…{end}`);
 * no cluster.yaml key is named like them.
 */
const TEMPLATE_KEYWORDS = new Set(['end', 'range', 'if', 'else', 'with', 'define', 'template', 'block']);

/**
 * Fills `{key}` placeholders in every argument. `{key}` is a cluster.yaml value (a dotted path
 * reaches into mappings), `{key|fallback}` uses the fallback when the value is unset,
 * `{nodes[0].address}` reads the nodes.yaml `nodes` list, `{controller.address}` the first node
 * with `controller: true`. JSONPath (`{.metadata.name}`, `{range …}{end}`) and Go templates
 * (`{{.X}}`) and `${VAR}` pass through unchanged. Unset, empty and non-scalar values are reported by name.
 * @example substitutePlaceholders(['talosctl', '-n', '{controller.address}'], { cluster: {}, nodes: { nodes: [{ address: '10.0.0.1', controller: true }] } })
 *   → { argv: ['talosctl', '-n', '10.0.0.1'] }
 */
export function substitutePlaceholders(argv: CommandTemplate, values: PlaceholderValues): { argv: string[] } | { missing: string[] } {
  const missing: string[] = [];
  const filled = argv.map((arg) =>
    arg.replace(/\{([^{}]*)\}/g, (whole: string, body: string, offset: number) => {
      // `{{x}}`: the inner braces belong to a Go template. `${x}`: a shell or Flux variable.
      if (arg[offset - 1] === '{' && arg[offset + whole.length] === '}') return whole;
      if (arg[offset - 1] === '$') return whole;
      const placeholder = parsePlaceholder(body);
      if (!placeholder) return whole;
      const value = textOf(resolve(placeholder, values));
      if (value !== undefined) return value;
      if (placeholder.fallback !== undefined) return placeholder.fallback;
      if (!missing.includes(placeholder.name)) missing.push(placeholder.name);
      return whole;
    }),
  );
  return missing.length > 0 ? { missing } : { argv: filled };
}

interface Placeholder {
  /** As written, without the fallback: what a "missing" report names. */
  name: string;
  root: string;
  index?: number;
  fields: string[];
  fallback?: string;
}

function parsePlaceholder(body: string): Placeholder | undefined {
  const match = PLACEHOLDER_BODY.exec(body);
  if (!match) return undefined;
  const [, root, index, path, fallback] = match;
  if (TEMPLATE_KEYWORDS.has(root) && index === undefined && !path) return undefined;
  const name = fallback === undefined ? body : body.slice(0, body.indexOf('|'));
  return { name, root, index: index === undefined ? undefined : Number(index), fields: path ? path.slice(1).split('.') : [], fallback };
}

function resolve(placeholder: Placeholder, values: PlaceholderValues): unknown {
  const nodeList = Array.isArray(values.nodes.nodes) ? (values.nodes.nodes as unknown[]) : [];
  let value: unknown;
  if (placeholder.root === 'nodes') {
    // `{nodes}` alone or `{nodes.x}` name no single node.
    if (placeholder.index === undefined) return undefined;
    value = nodeList[placeholder.index];
  } else if (placeholder.root === 'controller' && placeholder.index === undefined) {
    value = nodeList.find((node) => isRecord(node) && node.controller === true);
  } else {
    value = values.cluster[placeholder.root];
    if (placeholder.index !== undefined) value = Array.isArray(value) ? value[placeholder.index] : undefined;
  }
  for (const field of placeholder.fields) value = isRecord(value) ? value[field] : undefined;
  return value;
}

/** The text of a scalar value; undefined for unset, empty or structured values. */
function textOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value.trim() === '' ? undefined : value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return !!value && typeof value === 'object' && !Array.isArray(value);
}
