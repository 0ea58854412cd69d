// The shape of the schemas we validate cluster.yaml and nodes.yaml against: JSON Schema
// (draft-07 subset that ajv understands) plus our own annotation keywords, listed here.
// Pure types; no I/O.

export type ConfigFileKind = 'cluster' | 'nodes';

/** A rule id: the stable `code` of a diagnostic (see ../shared/VALIDATION.md for the base list). */
export type RuleCode = string;

/**
 * JSON Schema with our annotations. Annotation keywords (all optional):
 * - `x-rules`: maps an ajv keyword that failed (`format`, `pattern`, `minLength`, ...) to our rule code;
 * - `x-secret`: the value is a secret and is never shown (hover, completion, messages, logs);
 * - `x-group`: a heading for documentation (e.g. "Network", "VolSync backups");
 * - `x-ref`: documentation links (string URLs);
 * - `x-origin`: where the key's definition came from ("bundled", "workspace-cue", "workspace-json", "sample").
 * Custom validation keywords (registered with ajv in the validator):
 * - `canonicalCidr: true`: an IPv4 CIDR with no host bits set;
 * - `minCidrAddresses: n`: an IPv4 CIDR holding at least n addresses;
 * - `decimalRange: [min, max]`: a string of decimal digits whose value lies in [min, max].
 * Custom formats: `ipv4` (ajv-formats), `ipv4-cidr`, `fqdn`.
 */
export interface JsonSchema {
  type?: JsonType | JsonType[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  enum?: unknown[];
  const?: unknown;
  not?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  uniqueItems?: boolean;
  default?: unknown;
  examples?: unknown[];
  description?: string;
  markdownDescription?: string;
  markdownEnumDescriptions?: string[];
  title?: string;
  $schema?: string;
  $id?: string;
  canonicalCidr?: boolean;
  minCidrAddresses?: number;
  decimalRange?: [number, number];
  'x-rules'?: Record<string, RuleCode>;
  'x-secret'?: boolean;
  'x-group'?: string;
  'x-ref'?: string[];
  'x-origin'?: SchemaOrigin;
  [extra: string]: unknown;
}

export type JsonType = 'string' | 'boolean' | 'integer' | 'number' | 'array' | 'object' | 'null';
export type SchemaOrigin = 'bundled' | 'workspace-cue' | 'workspace-json' | 'sample';

/** What a workspace schema reader produces: a schema, whether it is closed, and what it could not read. */
export interface SchemaReadResult {
  schema: JsonSchema;
  /** True when the source rejects unknown keys (CUE definitions, additionalProperties: false). */
  isClosed: boolean;
  /** Human-readable notes about constructs that were skipped (never guessed). */
  notes: string[];
}

/** Documentation for one key gathered from cluster.sample.yaml / nodes.sample.yaml comments. */
export interface SampleKeyDoc {
  key: string;
  description: string;
  isRequired?: boolean;
  defaultText?: string;
  example?: string;
  refs: string[];
  /** The line (0-based) of the key in the sample file. */
  line: number;
  /** True when the key is commented out in the sample (`# key: value`). */
  isCommented: boolean;
}
