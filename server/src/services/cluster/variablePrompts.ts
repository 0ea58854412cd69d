// The questions of a configure step: each variable with its state in cluster.yaml, suggestions
// (current value, default, choices, values derived from the workspace) and validation of a typed
// value by the schema's rules. Pure; secret values are never returned, only whether they are set.
import type { VariablePromptInfo } from '../../protocol';
import type { VariablePrompt } from '../../engines/tasks/catalogTypes';
import type { ConfigFileContext } from './diagnostics';
import { isSecretSchema, schemaAtPath } from './configSchema';
import type { JsonSchema } from './schemaTypes';

export interface PromptContext {
  /** cluster.yaml's values as written; empty when it cannot be read. */
  clusterValues: Record<string, unknown>;
  /** Values typed earlier in the same flow, which derived suggestions build on (issuer → JWKS URI). */
  entered: Record<string, string>;
  schema: JsonSchema;
  /** The public key (recipient) of the workspace's age.key, when there is one. */
  agePublicKey?: string;
  /** Random bytes, for generated passwords. */
  randomBytes(count: number): Uint8Array;
}

/** The in-cluster RustFS endpoint: its Service is rustfs-svc (the guides' `rustfs` does not exist). */
export const RUSTFS_ENDPOINT = 'http://rustfs-svc.storage.svc.cluster.local:9000';

/**
 * Example: `{ key: 'backup_age_public_key', derive: 'agePublicKey' }` with an age.key gives a
 * suggestion "public key of age.key" whose value is the `age1…` recipient.
 */
export function buildVariablePrompts(prompts: VariablePrompt[], ctx: PromptContext): VariablePromptInfo[] {
  return prompts.map((prompt) => {
    const keySchema = schemaAtPath(ctx.schema, [prompt.key]);
    const isSecret = prompt.isSecret === true || isSecretSchema(keySchema, prompt.key);
    const current = ctx.clusterValues[prompt.key];
    const isSet = current !== undefined && current !== null && String(current).trim() !== '';
    const suggestions: VariablePromptInfo['suggestions'] = [];
    const add = (label: string, value: string, detail?: string): void => {
      if (suggestions.some((s) => s.value === value)) return;
      suggestions.push(detail === undefined ? { label, value } : { label, value, detail });
    };
    if (isSet && !isSecret) add(String(current), textOf(current), 'current value');
    const derived = deriveValue(prompt, ctx);
    if (derived) add(derived.label, derived.value, derived.detail);
    if (prompt.default !== undefined) add(String(prompt.default), textOf(prompt.default), 'default');
    for (const choice of prompt.choices ?? []) add(choice.label, textOf(choice.value), choice.detail);
    for (const value of keySchema?.enum ?? []) add(String(value), textOf(value), 'allowed value');
    const info: VariablePromptInfo = { key: prompt.key, prompt: prompt.prompt, isSecret, isOptional: prompt.isOptional === true, isSet, suggestions };
    if (isSet && !isSecret) info.currentValue = textOf(current);
    const description = keySchema?.markdownDescription ?? keySchema?.description;
    if (typeof description === 'string') info.description = description;
    return info;
  });
}

function deriveValue(prompt: VariablePrompt, ctx: PromptContext): { label: string; value: string; detail: string } | undefined {
  switch (prompt.derive) {
    case 'agePublicKey':
      return ctx.agePublicKey ? { label: ctx.agePublicKey, value: ctx.agePublicKey, detail: 'public key of age.key' } : undefined;
    case 'rustfsEndpoint':
      return ctx.clusterValues.rustfs_enabled === true ? { label: RUSTFS_ENDPOINT, value: RUSTFS_ENDPOINT, detail: 'RustFS runs in this cluster (rustfs_enabled)' } : undefined;
    case 'jwksFromIssuer': {
      const issuer = ctx.entered.oidc_issuer_url ?? (typeof ctx.clusterValues.oidc_issuer_url === 'string' ? ctx.clusterValues.oidc_issuer_url : undefined);
      if (!issuer || !/^https?:\/\//.test(issuer)) return undefined;
      const jwks = `${issuer.replace(/\/+$/, '')}/protocol/openid-connect/certs`;
      return { label: jwks, value: jwks, detail: 'the issuer’s JWKS (Keycloak layout)' };
    }
    case 'randomBase64':
      return { label: 'a new random value', value: Buffer.from(ctx.randomBytes(32)).toString('base64'), detail: '32 random bytes, base64 (openssl rand -base64 32)' };
    case 'randomHex':
      return { label: 'a new random value', value: Buffer.from(ctx.randomBytes(32)).toString('hex'), detail: '32 random bytes, hex (openssl rand -hex 32)' };
    default:
      return undefined;
  }
}

function textOf(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * The typed value a text stands for under the key's schema: "true" → true for a boolean, "7" → 7
 * for an integer, anything else stays text. Example: `typedValueOf('3', { type: 'integer' })` is 3.
 */
export function typedValueOf(text: string, schema: JsonSchema | undefined): string | number | boolean {
  const types = schema?.type === undefined ? [] : Array.isArray(schema.type) ? schema.type : [schema.type];
  const trimmed = text.trim();
  if (types.includes('boolean') && (trimmed === 'true' || trimmed === 'false')) return trimmed === 'true';
  if ((types.includes('integer') || types.includes('number')) && /^-?\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed);
  return text;
}

/**
 * The schema's verdict on one typed value, as the sentence the input box shows; undefined when
 * valid. The value itself is never repeated (it may be a secret).
 */
export function validateVariableText(key: string, text: string, context: ConfigFileContext, isOptional: boolean): string | undefined {
  if (text.trim() === '') return isOptional ? undefined : 'A value is needed (Escape cancels).';
  const keySchema = schemaAtPath(context.schema.root, [key]);
  const value = typedValueOf(text, keySchema);
  const problems = context.validator.validate({ [key]: value }).filter((problem) => problem.path[0] === key && problem.target === 'value');
  return problems[0]?.message;
}
