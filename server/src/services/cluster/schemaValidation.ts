// Validates a config file's value against its effective schema with ajv and turns every
// failure into a problem with our rule code and a sentence a person understands.
// Knows nothing of positions: problems carry paths; diagnostics.ts maps them to ranges.
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { YamlPath } from '../yaml/parse';
import type { ConfigSchema } from './configSchema';
import { isSecretSchema, schemaAtPath } from './configSchema';
import { isFqdn, isHttpUrl } from './formats';
import { cidrSize, parseCidr } from './ipv4';
import { describeValueProblem } from './messages';
import type { JsonSchema } from './schemaTypes';

export interface SchemaProblem {
  path: YamlPath;
  /** `value`: the key's value is wrong (reported at the key); `missing`: a required key is absent (reported at the mapping). */
  target: 'value' | 'missing';
  code: string;
  message: string;
  /** A replacement value text that fixes the problem, when one is certain. */
  replacement?: string;
}

export interface ConfigValidator {
  validate(value: unknown): SchemaProblem[];
  /** Why the workspace schema could not be compiled, if it could not (the bundled one is used instead). */
  compileNote?: string;
}

/** Default rule code per ajv keyword, when the schema's `x-rules` does not name one. */
const DEFAULT_CODES: Record<string, string> = {
  type: 'type',
  required: 'required-key',
  enum: 'enum',
  const: 'enum',
  pattern: 'pattern',
  format: 'format',
  minimum: 'range',
  maximum: 'range',
  exclusiveMinimum: 'range',
  exclusiveMaximum: 'range',
  minLength: 'non-empty',
  maxLength: 'range',
  minItems: 'range',
  maxItems: 'range',
  uniqueItems: 'schema-constraint',
  canonicalCidr: 'cidr-canonical',
  minCidrAddresses: 'svc-cidr-size',
  decimalRange: 'range',
};

/** When one value breaks several keywords, the most basic failure is the one worth saying. */
const KEYWORD_PRIORITY = ['type', 'required', 'minLength', 'format', 'pattern', 'enum', 'const'];

function createAjv(): Ajv {
  const ajv = new Ajv({ allErrors: true, verbose: true, strict: false, validateFormats: true });
  addFormats(ajv, ['ipv4', 'uri', 'email', 'date', 'date-time', 'hostname']);
  ajv.addFormat('ipv4-cidr', { type: 'string', validate: (text: string) => parseCidr(text) !== undefined });
  ajv.addFormat('fqdn', { type: 'string', validate: isFqdn });
  ajv.addFormat('http-url', { type: 'string', validate: isHttpUrl });
  ajv.addKeyword({
    keyword: 'canonicalCidr',
    type: 'string',
    schemaType: 'boolean',
    // Only judged once the text is a CIDR at all; the format keyword reports the rest.
    validate: (wanted: boolean, data: string) => {
      const cidr = parseCidr(data);
      return !wanted || !cidr || cidr.address === cidr.network;
    },
  });
  ajv.addKeyword({
    keyword: 'minCidrAddresses',
    type: 'string',
    schemaType: 'number',
    validate: (minimum: number, data: string) => {
      const cidr = parseCidr(data);
      return !cidr || cidrSize(cidr.prefix) >= minimum;
    },
  });
  ajv.addKeyword({
    keyword: 'decimalRange',
    type: 'string',
    schemaType: 'array',
    validate: (range: [number, number], data: string) => {
      if (data === '') return true; // emptiness is the non-empty rule's to report
      if (!/^[0-9]+$/.test(data)) return false;
      const value = Number(data);
      return value >= range[0] && value <= range[1];
    },
  });
  return ajv;
}

/** Keywords that only document: dropped before compiling, so that keys with the same rules share one validator. */
const ANNOTATIONS = new Set([
  'markdownDescription', 'description', 'title', 'examples', 'default', 'markdownEnumDescriptions',
  'x-group', 'x-ref', 'x-origin', 'x-secret', '$schema', '$id', '$comment',
]);

function withoutAnnotations(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(withoutAnnotations);
  if (!schema || typeof schema !== 'object') return schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (ANNOTATIONS.has(key)) continue;
    // `properties` and `x-rules` hold names, not keywords: keep their keys, strip inside.
    out[key] = key === 'properties' || key === 'x-rules' ? mapValues(value, withoutAnnotations) : withoutAnnotations(value);
  }
  return out;
}

function mapValues(record: unknown, fn: (value: unknown) => unknown): unknown {
  if (!record || typeof record !== 'object') return record;
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, fn(v)]));
}

/** The root's own keywords besides its keys (e.g. allOf in a workspace JSON schema), or undefined when it has none. */
function rootRest(root: JsonSchema): JsonSchema | undefined {
  const { properties: _p, required: _r, additionalProperties: _a, type: _t, ...rest } = withoutAnnotations(root) as JsonSchema;
  return Object.keys(rest).filter((k) => k !== 'x-rules').length > 0 ? rest : undefined;
}

interface CompiledConfigSchema {
  root: JsonSchema;
  /** One validator per top-level key; keys with identical rules share one. */
  byKey: Map<string, ValidateFunction>;
  rest?: ValidateFunction;
}

/**
 * Compiles one small validator per distinct key schema instead of one for the whole root: a fork
 * schema with hundreds of plain string keys then compiles a handful of functions, not a huge one
 * (ajv's code generation for a 500-key root took 300 ms and 30 MB here).
 */
function compileConfigSchema(ajv: Ajv, root: JsonSchema): CompiledConfigSchema {
  const shared = new Map<string, ValidateFunction>();
  const byKey = new Map<string, ValidateFunction>();
  for (const [key, property] of Object.entries(root.properties ?? {})) {
    const stripped = withoutAnnotations(property) as JsonSchema;
    const id = JSON.stringify(stripped);
    let validate = shared.get(id);
    if (!validate) shared.set(id, (validate = ajv.compile(stripped)));
    byKey.set(key, validate);
  }
  const rest = rootRest(root);
  return { root, byKey, rest: rest ? ajv.compile(rest) : undefined };
}

/**
 * Compiles the schema once; `validate` then runs per edit.
 * Example: `createConfigValidator(schema).validate({ node_cidr: 'x' })` gives a `cidr` problem at ['node_cidr'].
 */
export function createConfigValidator(schema: ConfigSchema, fallback?: ConfigSchema): ConfigValidator {
  const ajv = createAjv();
  let compiled: CompiledConfigSchema;
  let active = schema;
  let compileNote: string | undefined;
  try {
    compiled = compileConfigSchema(ajv, schema.root);
  } catch (error) {
    if (!fallback) throw error;
    compileNote = `The workspace schema could not be used (${(error as Error).message}); validating against the bundled schema.`;
    active = fallback;
    compiled = compileConfigSchema(ajv, fallback.root);
  }
  return {
    compileNote,
    validate(value: unknown): SchemaProblem[] {
      return toProblems(runValidators(compiled, value), active);
    },
  };
}

function escapePointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Runs the per-key validators and returns ajv errors with paths from the document root. */
function runValidators(compiled: CompiledConfigSchema, value: unknown): ErrorObject[] {
  const errors: ErrorObject[] = [];
  const record = (value ?? {}) as Record<string, unknown>;
  for (const key of compiled.root.required ?? []) {
    if (!(key in record)) {
      errors.push({ instancePath: '', schemaPath: '#/required', keyword: 'required', params: { missingProperty: key }, parentSchema: compiled.root, data: record });
    }
  }
  for (const [key, item] of Object.entries(record)) {
    const validate = compiled.byKey.get(key);
    if (!validate || validate(item)) continue;
    const prefix = '/' + escapePointer(key);
    for (const error of validate.errors ?? []) errors.push({ ...error, instancePath: prefix + error.instancePath });
  }
  if (compiled.rest && !compiled.rest(record)) errors.push(...(compiled.rest.errors ?? []));
  return errors;
}

function pointerToPath(pointer: string): YamlPath {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((part) => (/^\d+$/.test(part) ? Number(part) : part));
}

function toProblems(errors: ErrorObject[], schema: ConfigSchema): SchemaProblem[] {
  const byPath = new Map<string, ErrorObject[]>();
  const problems: SchemaProblem[] = [];
  for (const error of errors) {
    // Unknown keys are reported by our own walk, with "did you mean"; combinator wrappers repeat inner errors.
    if (error.keyword === 'additionalProperties' || error.keyword === 'anyOf' || error.keyword === 'oneOf' || error.keyword === 'if') continue;
    if (error.keyword === 'required') {
      const path = pointerToPath(error.instancePath);
      const missing = String((error.params as { missingProperty: string }).missingProperty);
      problems.push(describeMissing(schema, path, missing));
      continue;
    }
    const list = byPath.get(error.instancePath) ?? [];
    list.push(error);
    byPath.set(error.instancePath, list);
  }
  for (const [pointer, list] of byPath) {
    list.sort((a, b) => rank(a.keyword) - rank(b.keyword));
    const error = list[0];
    const path = pointerToPath(pointer);
    const parentSchema = (error.parentSchema ?? {}) as JsonSchema;
    const code = parentSchema['x-rules']?.[error.keyword] ?? DEFAULT_CODES[error.keyword] ?? 'schema-constraint';
    const key = keyName(path);
    const propertySchema = schemaAtPath(schema.root, path) ?? parentSchema;
    const isSecret = isSecretSchema(propertySchema, typeof path[path.length - 1] === 'string' ? key : undefined);
    const { message, replacement } = describeValueProblem({
      code,
      keyword: error.keyword,
      params: error.params as Record<string, unknown>,
      key,
      value: error.data,
      schema: parentSchema,
      isSecret,
    });
    problems.push({ path, target: 'value', code, message, replacement });
  }
  return problems;
}

function rank(keyword: string): number {
  const index = KEYWORD_PRIORITY.indexOf(keyword);
  return index < 0 ? KEYWORD_PRIORITY.length : index;
}

/** `nodes[1].address` style name for messages. */
export function keyName(path: YamlPath): string {
  let out = '';
  for (const segment of path) out += typeof segment === 'number' ? `[${segment}]` : out ? `.${segment}` : segment;
  return out || 'the file';
}

function describeMissing(schema: ConfigSchema, path: YamlPath, missing: string): SchemaProblem {
  const owner = path.length === 0 ? (schema.kind === 'cluster' ? 'cluster.yaml' : 'nodes.yaml') : nodeLabel(path);
  const described = schemaAtPath(schema.root, [...path, missing])?.markdownDescription;
  const hint = described ? ` ${firstSentence(described)}` : '';
  return {
    path,
    target: 'missing',
    code: 'required-key',
    message: `${owner} is missing the required key ${missing}.${hint}`,
  };
}

function nodeLabel(path: YamlPath): string {
  if (path[0] === 'nodes' && typeof path[1] === 'number' && path.length === 2) return `Node ${path[1] + 1} (nodes[${path[1]}])`;
  return keyName(path);
}

function firstSentence(markdown: string): string {
  const plain = markdown.replace(/\s+/g, ' ').trim();
  const match = /^(.+?[.!?])(\s|$)/.exec(plain);
  return match ? match[1] : plain;
}

