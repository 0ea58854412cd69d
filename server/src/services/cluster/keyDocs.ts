// Documentation of one config key as Markdown, shared by hover and completion. Secret values
// are never rendered: only whether they are set.
import type { ConfigSchema } from './configSchema';
import { isSecretSchema } from './configSchema';
import type { JsonSchema, SampleKeyDoc } from './schemaTypes';

export interface KeyDocInput {
  key: string;
  schema: JsonSchema | undefined;
  sample: SampleKeyDoc | undefined;
  config: ConfigSchema;
  /** Whether the key is required in its mapping. */
  isRequired: boolean;
  /** The current value: `present` with the value, or `absent`. Omit in completion. */
  current?: { present: true; value: unknown } | { present: false };
}

/** A one-line type summary, e.g. `string (IPv4 CIDR)` or `"dsr" | "snat"`. */
export function typeSummary(schema: JsonSchema | undefined): string {
  if (!schema) return 'any';
  if (schema.enum) return schema.enum.map((v) => JSON.stringify(v)).join(' | ');
  const type = Array.isArray(schema.type) ? schema.type.join(' | ') : schema.type;
  const formats: Record<string, string> = {
    ipv4: 'IPv4 address',
    'ipv4-cidr': 'IPv4 CIDR',
    fqdn: 'domain name',
    'http-url': 'http(s) URL',
  };
  if (type === 'array') {
    const item = schema.items ? typeSummary(schema.items) : 'any';
    return `list of ${item}`;
  }
  const format = schema.format ? formats[schema.format] ?? schema.format : undefined;
  return [type ?? 'any', format ? `(${format})` : ''].filter(Boolean).join(' ');
}

/** YAML text for a value in docs and inserts: strings quoted, lists in flow style. */
export function yamlInline(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(yamlInline).join(', ')}]`;
  if (value && typeof value === 'object') {
    return `{ ${Object.entries(value).map(([k, v]) => `${k}: ${yamlInline(v)}`).join(', ')} }`;
  }
  return String(value);
}

function originText(schema: JsonSchema | undefined, config: ConfigSchema, sample: SampleKeyDoc | undefined): string {
  switch (schema?.['x-origin']) {
    case 'workspace-cue':
    case 'workspace-json':
      return `Defined by the workspace schema \`${config.workspaceLabel ?? ''}\`.`;
    case 'sample':
      return `Documented in \`${config.kind}.sample.yaml\` line ${(sample?.line ?? 0) + 1}.`;
    default:
      return config.workspaceLabel ? `Also declared in \`${config.workspaceLabel}\`.` : 'From the cluster-template schema.';
  }
}

/**
 * Markdown for a key. Example: `describeKey({ key: 'node_cidr', ... })` starts with
 * "**node_cidr** · `string (IPv4 CIDR)` · required".
 */
export function describeKey(input: KeyDocInput): string {
  const { key, schema, sample, config, isRequired, current } = input;
  const parts: string[] = [];
  parts.push(`**${key}** · \`${typeSummary(schema)}\` · ${isRequired ? 'required' : 'optional'}${schema?.['x-group'] ? ` · ${schema['x-group']}` : ''}`);
  const description = schema?.markdownDescription ?? schema?.description ?? sample?.description;
  if (description) parts.push(description);
  if (sample && schema?.markdownDescription && sample.description && !schema.markdownDescription.includes(sample.description)) {
    parts.push(`*From ${config.kind}.sample.yaml:* ${sample.description}`);
  }
  const isSecret = isSecretSchema(schema, key);
  if (schema?.enum) {
    const docs = schema.markdownEnumDescriptions ?? [];
    parts.push('Allowed values:\n' + schema.enum.map((v, i) => `- \`${String(v)}\`${docs[i] ? `: ${docs[i]}` : ''}`).join('\n'));
  }
  // A fork's schema may give a secret a default (a stock password): it is still a secret.
  if (isSecret) {
    if (schema?.default !== undefined || sample?.defaultText) parts.push('Default: set in the schema (hidden, secret).');
  } else if (schema?.default !== undefined) parts.push(`Default: \`${yamlInline(schema.default)}\``);
  else if (sample?.defaultText) parts.push(`Default: ${sample.defaultText}`);
  if (!isSecret && schema?.examples?.length) parts.push(`Example: \`${yamlInline(schema.examples[0])}\``);
  else if (!isSecret && sample?.example) parts.push(`Example: ${sample.example}`);
  if (current) {
    if (!current.present) {
      parts.push(schema?.default !== undefined && !isSecret ? `Not set: the default \`${yamlInline(schema.default)}\` applies.` : 'Not set.');
    } else if (isSecret) {
      parts.push('Value: set (secret, hidden).');
    } else {
      parts.push(`Value: \`${yamlInline(current.value)}\``);
    }
  }
  if (isSecret) parts.push('🔒 Secret: its value is never shown by this extension.');
  const refs = [...(schema?.['x-ref'] ?? []), ...(sample?.refs ?? [])];
  if (refs.length) parts.push('See: ' + [...new Set(refs)].map((r) => `[${r.replace(/^https?:\/\//, '')}](${r})`).join(' · '));
  parts.push(`*${originText(schema, config, sample)}*`);
  return parts.join('\n\n');
}
