// What a place in a template stands for (the tag around it, the name, filter, test, attribute or
// template string under it, the shape of a value) and the Markdown that documents each, shared by
// completion, hover and navigation. Reads no files; never renders the value of a secret.
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { isSecretSchema } from '../cluster/configSchema';
import { yamlInline } from '../cluster/keyDocs';
import type { Expr, ForNode, Node, ParsedTemplate, Span, Statement, Tag } from './ast';
import { LOOP_ATTRIBUTES, MACRO_VARIABLES, type BuiltinEntry } from './builtins';
import type { JinjaSyntax } from './syntax';
import type { CallableInfo, ItemField, SourceLocation, TemplateContext, TemplateVariable } from './templateContext';
import { isStatement, nodeAtOffset, scopesAt, walkNodes, type LocalVariable, type NamespaceAttribute } from './walk';

/** Reads another workspace file (cluster.yaml, plugin.py, a template) by absolute path; undefined when unreadable. */
export type ReadTextOf = (filePath: string) => string | undefined;

export const SECRET_MARK = '(secret)';

// ---------------------------------------------------------------------------------------------
// Tags

export interface TagContent {
  tag: Tag;
  /** After the start delimiter and its marker. */
  start: number;
  /** Before the end delimiter and its marker; where reading stopped for an unterminated tag. */
  end: number;
}

function delimitersOf(kind: Tag['kind'], syntax: JinjaSyntax): [string, string] {
  switch (kind) {
    case 'block':
      return [syntax.blockStart, syntax.blockEnd];
    case 'variable':
      return [syntax.variableStart, syntax.variableEnd];
    case 'comment':
      return [syntax.commentStart, syntax.commentEnd];
    case 'lineStatement':
      return [syntax.lineStatementPrefix ?? '', ''];
    case 'lineComment':
      return [syntax.lineCommentPrefix ?? '', ''];
  }
}

/** The code between a tag's delimiters. Example: for `#%- if x %#` it is ` if x `. */
export function tagContent(tag: Tag, syntax: JinjaSyntax): TagContent {
  const [open, close] = delimitersOf(tag.kind, syntax);
  const start = Math.min(tag.span.start + open.length + (tag.trimLeft || tag.keepLeft ? 1 : 0), tag.span.end);
  const end = tag.isTerminated && close ? tag.span.end - close.length - (tag.trimRight || tag.keepRight ? 1 : 0) : tag.span.end;
  return { tag, start, end: Math.max(start, end) };
}

/** The code tag (block, variable or line statement) whose content holds `offset`; comments do not count. */
export function codeTagAt(parsed: ParsedTemplate, offset: number, syntax: JinjaSyntax): TagContent | undefined {
  for (const tag of parsed.tags) {
    if (tag.span.start > offset) break;
    if (tag.kind === 'comment' || tag.kind === 'lineComment' || tag.span.end < offset) continue;
    const content = tagContent(tag, syntax);
    if (content.start <= offset && offset <= content.end) return content;
  }
  return undefined;
}

/**
 * Names that a statement assigns (for targets, set targets, with targets), with their parts:
 * these are definitions, not uses, so completion and hover treat them apart.
 */
export function assignmentTargets(statements: readonly Statement[]): Set<Node> {
  const targets = new Set<Node>();
  const add = (expr: Expr): void => {
    targets.add(expr);
    if (expr.kind === 'Tuple' || expr.kind === 'List') expr.items.forEach(add);
  };
  for (const statement of statements) {
    if (statement.kind === 'For' || statement.kind === 'Set' || statement.kind === 'SetBlock') add(statement.target);
    if (statement.kind === 'With') for (const assignment of statement.assignments) add(assignment.target);
  }
  return targets;
}

export function within(span: Span, offset: number): boolean {
  return span.start <= offset && offset <= span.end;
}

/** The 1-based line of an offset in a document. */
export function lineOf(document: TextDocument, offset: number): number {
  return document.positionAt(offset).line + 1;
}

/** Source text of an expression, on one line and shortened for labels. */
export function sourceOf(document: TextDocument, expr: Expr | undefined, limit = 60): string {
  if (!expr) return '';
  const span = expr.parenSpan ?? expr.span;
  const text = document.getText().slice(span.start, span.end).replace(/\s+/g, ' ').trim();
  return text.length > limit ? text.slice(0, limit - 1) + '…' : text;
}

// ---------------------------------------------------------------------------------------------
// Values

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Whether a key's values are secrets by its name (fork keys and node fields carry no annotation here). */
export function isSecretName(name: string): boolean {
  return isSecretSchema(undefined, name);
}

function inlineMasked(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(inlineMasked).join(', ')}]`;
  if (isPlainObject(value)) {
    return `{ ${Object.entries(value)
      .map(([key, item]) => `${key}: ${isSecretName(key) ? SECRET_MARK : inlineMasked(item)}`)
      .join(', ')} }`;
  }
  return yamlInline(value);
}

/** A value as inline YAML, values of secret-named keys inside it masked, shortened to `limit`. */
export function showValue(value: unknown, limit = 120): string {
  const text = inlineMasked(value);
  return text.length > limit ? text.slice(0, limit - 1) + '…' : text;
}

/** The location of a variable as words: `cluster.yaml line 12`, `plugin.py line 40`. */
export function locationText(location: SourceLocation | undefined, readTextOf?: ReadTextOf): string | undefined {
  if (!location) return undefined;
  const file = location.filePath.split(/[\\/]/).pop() ?? location.filePath;
  if (location.line !== undefined) return `${file} line ${location.line + 1}`;
  const text = location.span && readTextOf?.(location.filePath);
  if (text !== undefined && location.span) return `${file} line ${lineCount(text, location.span.start)}`;
  return file;
}

/** 1-based line of `offset` in `text`. */
export function lineCount(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

// ---------------------------------------------------------------------------------------------
// Locals

/** The visible locals at offsets of one template, computed once per offset. */
export class LocalScopes {
  private readonly cache = new Map<number, Map<string, LocalVariable>>();
  constructor(readonly parsed: ParsedTemplate) {}

  at(offset: number): Map<string, LocalVariable> {
    let scope = this.cache.get(offset);
    if (!scope) {
      scope = new Map(scopesAt(this.parsed.body, offset).map((local) => [local.name, local]));
      this.cache.set(offset, scope);
    }
    return scope;
  }

  lookup(name: string, offset: number): LocalVariable | undefined {
    return this.at(offset).get(name);
  }
}

/**
 * The local a defining identifier at `offset` introduces (a for target, set target, macro name or
 * parameter, import alias), or undefined when the offset is on none.
 */
export function definitionAt(parsed: ParsedTemplate, offset: number): LocalVariable | undefined {
  const path = nodeAtOffset(parsed.body, offset);
  const statements = path.filter(isStatement);
  const statement = statements[statements.length - 1];
  if (!statement) return undefined;
  const innermost = path[path.length - 1];
  if (innermost.kind === 'Name' && assignmentTargets([statement]).has(innermost)) {
    const kind = statement.kind === 'For' ? 'loop-target' : statement.kind === 'With' ? 'with' : 'set';
    const local: LocalVariable = { name: innermost.name, kind, span: innermost.span, definedBy: statement };
    if (statement.kind === 'Set' && statement.target === innermost) addNamespace(local, parsed, statement.span.end);
    return local;
  }
  const make = (name: string, kind: LocalVariable['kind'], span: Span): LocalVariable => ({ name, kind, span, definedBy: statement });
  switch (statement.kind) {
    case 'Macro':
      if (statement.name && within(statement.nameSpan, offset)) return make(statement.name, 'macro', statement.nameSpan);
      for (const param of statement.params) if (within(param.nameSpan, offset)) return make(param.name, 'macro-param', param.nameSpan);
      return undefined;
    case 'CallBlock':
      for (const param of statement.params) if (within(param.nameSpan, offset)) return make(param.name, 'call-param', param.nameSpan);
      return undefined;
    case 'Import':
      return statement.alias && within(statement.aliasSpan, offset) ? make(statement.alias, 'import', statement.aliasSpan) : undefined;
    case 'FromImport':
      for (const imported of statement.names) {
        const span = imported.aliasSpan ?? imported.nameSpan;
        if (within(imported.nameSpan, offset) || (imported.aliasSpan && within(imported.aliasSpan, offset))) return make(imported.alias ?? imported.name, 'from-import', span);
      }
      return undefined;
    default:
      return undefined;
  }
}

/** Gives a local the namespace attributes scopesAt would: those of namespace(...) and later `set ns.x`. */
function addNamespace(local: LocalVariable, parsed: ParsedTemplate, after: number): void {
  const found = scopesAt(parsed.body, after).find((candidate) => candidate.definedBy === local.definedBy && candidate.name === local.name);
  if (found?.namespaceAttributes) local.namespaceAttributes = found.namespaceAttributes;
}

const LOCAL_LABELS: Record<LocalVariable['kind'], string> = {
  'loop-target': 'loop variable',
  loop: 'loop object',
  set: 'set',
  macro: 'macro',
  'macro-param': 'macro parameter',
  'macro-implicit': 'macro variable',
  'call-param': 'call block parameter',
  with: 'with variable',
  import: 'imported template',
  'from-import': 'imported name',
};

/** A short description of a local for completion details: `loop over nodes`, `set on line 3`. */
export function localDetail(local: LocalVariable, document: TextDocument): string {
  const statement = local.definedBy;
  const line = lineOf(document, statement.span.start);
  switch (local.kind) {
    case 'loop-target':
      return statement.kind === 'For' ? `loop over ${sourceOf(document, statement.iter, 40)}` : 'loop variable';
    case 'loop':
      return `loop object (line ${line})`;
    case 'set':
      return local.namespaceAttributes ? `namespace set on line ${line}` : `set on line ${line}`;
    case 'macro':
      return `macro on line ${line}`;
    case 'with':
      return `with on line ${line}`;
    case 'import':
    case 'from-import':
      return `imported on line ${line}`;
    default:
      return LOCAL_LABELS[local.kind];
  }
}

function macroSignature(document: TextDocument, statement: Statement): string | undefined {
  if (statement.kind !== 'Macro') return undefined;
  const params = statement.params.map((param) => (param.default ? `${param.name}=${sourceOf(document, param.default, 30)}` : param.name));
  return `${statement.name}(${params.join(', ')})`;
}

/** Markdown for a template local: what it is, where it is set, and what is known of its value. */
export function localMarkdown(local: LocalVariable, document: TextDocument, ctx: TemplateContext, scopes: LocalScopes): string {
  const statement = local.definedBy;
  const line = lineOf(document, statement.span.start);
  const parts: string[] = [`(${LOCAL_LABELS[local.kind]}) **${local.name}**`];
  switch (local.kind) {
    case 'loop-target': {
      if (statement.kind !== 'For') break;
      const isWhole = statement.target.kind === 'Name';
      parts.push(`${isWhole ? 'Each item' : 'Unpacked from each item'} of \`${sourceOf(document, statement.iter)}\` in the for loop on line ${line}.`);
      const shape = isWhole ? loopItemShape(statement, ctx, scopes) : undefined;
      const attributes = shape ? attributesOf(shape) : [];
      if (attributes.length > 0) parts.push(`Attributes: ${attributes.map((a) => `\`${a.name}\``).join(', ')}`);
      if (shape && shape.values.length > 0) parts.push(`${shape.values.length} item${shape.values.length === 1 ? '' : 's'} with the current data.`);
      break;
    }
    case 'loop':
      parts.push(`The loop object of the for loop on line ${line}: ${LOOP_ATTRIBUTES.map((a) => `\`loop.${a.name}\``).join(', ')}.`);
      break;
    case 'set':
      if (statement.kind === 'Set') {
        parts.push(`Set on line ${line}: \`${sourceOf(document, statement.value)}\``);
        if (local.namespaceAttributes) parts.push(`A namespace with the attributes ${local.namespaceAttributes.map((a) => `\`${a.name}\``).join(', ') || '(none yet)'}.`);
      } else parts.push(`Set on line ${line} to the rendered body of the block.`);
      break;
    case 'macro': {
      const signature = macroSignature(document, statement);
      if (signature) parts.push('```jinja\nmacro ' + signature + '\n```');
      parts.push(`Defined on line ${line}.`);
      break;
    }
    case 'macro-param':
    case 'call-param': {
      const params = statement.kind === 'Macro' || statement.kind === 'CallBlock' ? statement.params : [];
      const param = params.find((p) => p.name === local.name);
      const owner = statement.kind === 'Macro' ? `macro \`${statement.name}\`` : 'the call block';
      parts.push(`Parameter of ${owner} on line ${line}.${param?.default ? ` Default: \`${sourceOf(document, param.default)}\`` : ''}`);
      break;
    }
    case 'macro-implicit': {
      const entry = MACRO_VARIABLES.find((v) => v.name === local.name);
      if (entry) parts.push(entry.doc);
      break;
    }
    case 'with': {
      const assignment = statement.kind === 'With' ? statement.assignments.find((a) => a.targets.some((t) => t.kind === 'Name' && t.name === local.name)) : undefined;
      parts.push(`Set by the with block on line ${line}${assignment ? `: \`${sourceOf(document, assignment.value)}\`` : '.'}`);
      break;
    }
    case 'import':
    case 'from-import':
      if (statement.kind === 'Import' || statement.kind === 'FromImport') {
        parts.push(`${local.kind === 'import' ? 'The macros and top-level sets of' : 'Imported from'} \`${sourceOf(document, statement.template)}\` (line ${line}).`);
      }
      break;
  }
  return parts.join('\n\n');
}

// ---------------------------------------------------------------------------------------------
// Variables and callables

const SOURCE_LABELS: Record<TemplateVariable['source'], string> = {
  'cluster.yaml': 'cluster.yaml',
  'nodes.yaml': 'nodes.yaml',
  data: 'data file',
  schema: 'not set',
  'plugin.py': 'plugin.py',
  makejinja: 'makejinja',
};

export function sourceLabel(variable: TemplateVariable): string {
  return SOURCE_LABELS[variable.source];
}

/** One line for completion: the current value, masked for secrets. */
export function variableDetail(variable: TemplateVariable): string {
  if (variable.isSecret) return SECRET_MARK;
  switch (variable.source) {
    case 'cluster.yaml':
    case 'nodes.yaml':
    case 'data':
      return showValue(variable.value, 60);
    case 'plugin.py':
      return 'derived in plugin.py';
    case 'schema':
      return variable.typeText ? `not set · ${variable.typeText}` : 'not set';
    case 'makejinja':
      return variable.typeText ?? 'makejinja';
  }
}

function typeOfValue(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'list';
  if (isPlainObject(value)) return 'mapping';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  if (typeof value === 'boolean') return 'bool';
  return 'string';
}

/** A secret plugin variable's doc must not carry its source text (it may hold the literal secret). */
function safeDoc(variable: TemplateVariable): string | undefined {
  if (!variable.doc || !(variable.isSecret && variable.source === 'plugin.py')) return variable.doc;
  return variable.doc
    .split('\n\n')
    .filter((paragraph) => !paragraph.startsWith('Derived in plugin.py'))
    .join('\n\n') || undefined;
}

/**
 * Markdown for a variable of the data, the plugin or makejinja. Example: for `node_cidr` set in
 * cluster.yaml it reads "(variable) **node_cidr** · `string (IPv4 CIDR)`", the schema text,
 * "Value: `"192.168.1.0/24"`" and "*From cluster.yaml line 2.*".
 */
export function variableMarkdown(variable: TemplateVariable, readTextOf?: ReadTextOf): string {
  const typeText = variable.typeText ?? typeOfValue(variable.value);
  const parts: string[] = [`(variable) **${variable.name}**${typeText ? ` · \`${typeText}\`` : ''}`];
  const doc = safeDoc(variable);
  if (doc) parts.push(doc);
  const where = locationText(variable.location, readTextOf);
  switch (variable.source) {
    case 'cluster.yaml':
    case 'nodes.yaml':
    case 'data':
      if (variable.isSecret) parts.push('Value: set (secret, hidden).');
      else if (Array.isArray(variable.value) && variable.value.some(isPlainObject)) {
        parts.push(`Value: ${variable.value.length} item${variable.value.length === 1 ? '' : 's'}${variable.itemFields ? ` with the fields ${variable.itemFields.map((f) => `\`${f.name}\``).join(', ')}` : ''}.`);
      } else parts.push(`Value: \`${showValue(variable.value, 300)}\``);
      parts.push(`*From ${where}.*`);
      break;
    case 'schema': {
      const file = where ?? 'the data file';
      parts.push(`Not set in ${file}: undefined when rendering${variable.value !== undefined && !variable.isSecret ? ` (the schema default \`${showValue(variable.value, 80)}\` is not applied by makejinja)` : ''}.`);
      break;
    }
    case 'plugin.py':
      parts.push(variable.isSecret ? 'Value: secret, hidden.' : 'Value: derived values approximate (plugin.py read statically; the renderer runs its data() in a trusted workspace with Python).');
      parts.push(`*From ${where}.*`);
      break;
    case 'makejinja':
      parts.push('Value: hidden (the environment can hold secrets).');
      parts.push('*Provided by makejinja.*');
      break;
  }
  if (variable.isSecret) parts.push('🔒 Secret: its value is never shown by this extension.');
  return parts.join('\n\n');
}

/** Markdown for a filter, test or function: signature, summary, doc and origin. */
export function callableMarkdown(info: CallableInfo, readTextOf?: ReadTextOf): string {
  const parts: string[] = [`(${info.kind}) \`${info.signature}\``];
  if (info.summary) parts.push(info.summary);
  if (info.doc && info.doc !== info.summary) parts.push(info.doc);
  if (info.isSecretResult) parts.push('🔒 Its result is a secret: this extension never shows it.');
  if (info.origin === 'plugin') parts.push(`*Defined in ${locationText(info.location, readTextOf) ?? 'plugin.py'}.*`);
  else parts.push(info.origin === 'jinja' ? `*Jinja builtin ${info.kind}.*` : '*Provided by makejinja.*');
  return parts.join('\n\n');
}

// ---------------------------------------------------------------------------------------------
// Shapes: what is statically known of the value of an expression, to list and explain attributes

export interface ValueShape {
  /** The expression in Markdown words, for hovers: `` `nodes` ``, ``each item of `nodes` ``. */
  label: string;
  /** The values it has with the current data: one for a variable, one per item for a loop target. */
  values: unknown[];
  /** Documented attributes of these values (node fields). */
  fields: ItemField[];
  /** Documented fields of the items when the values are lists (the schema's node fields). */
  itemFields: ItemField[];
  isSecret: boolean;
  /** Where the values live in a data file: the variable and the keys below it (`*` for every item). */
  dataPath?: { variable: TemplateVariable; path: (string | '*')[] };
  /** The `loop` object, or a namespace() object with these attributes. */
  special?: { kind: 'loop' } | { kind: 'namespace'; attributes: NamespaceAttribute[] };
}

/** Filters whose result holds (some of) the items of their input, in a list. */
const ITEM_KEEPING_FILTERS = new Set(['selectattr', 'rejectattr', 'select', 'reject', 'sort', 'unique', 'list', 'reverse', 'default', 'd']);
/** Filters whose result is one item of their input. */
const ITEM_PICKING_FILTERS = new Set(['first', 'last', 'random']);
const MAX_DEPTH = 8;

function itemsOf(shape: ValueShape, label: string): ValueShape {
  return {
    label,
    values: shape.values.flatMap((value) => (Array.isArray(value) ? value : [])),
    fields: shape.itemFields,
    itemFields: [],
    isSecret: shape.isSecret,
    dataPath: shape.dataPath ? { variable: shape.dataPath.variable, path: [...shape.dataPath.path, '*'] } : undefined,
  };
}

function memberOf(shape: ValueShape, key: string): ValueShape {
  return {
    label: `\`${key}\` of ${shape.label}`,
    values: shape.values.flatMap((value) => (isPlainObject(value) && Object.prototype.hasOwnProperty.call(value, key) ? [value[key]] : [])),
    fields: [],
    itemFields: [],
    isSecret: shape.isSecret || isSecretName(key),
    dataPath: shape.dataPath ? { variable: shape.dataPath.variable, path: [...shape.dataPath.path, key] } : undefined,
  };
}

/** The shape of the items a for loop with a single target goes over. */
export function loopItemShape(loop: ForNode, ctx: TemplateContext, scopes: LocalScopes): ValueShape | undefined {
  const iter = shapeOf(loop.iter, loop.openTagSpan.start, ctx, scopes);
  return iter && !iter.special ? itemsOf(iter, `each item of ${iter.label}`) : undefined;
}

/**
 * What is known of `expr`'s value, evaluated where the scope at `offset` applies. Example: in
 * `#% for node in nodes %#`, the shape of `node` has the node fields and one value per node.
 */
export function shapeOf(expr: Expr, offset: number, ctx: TemplateContext, scopes: LocalScopes, depth = 0): ValueShape | undefined {
  if (depth > MAX_DEPTH) return undefined;
  switch (expr.kind) {
    case 'Name': {
      const local = scopes.lookup(expr.name, offset);
      if (local) return localShape(local, ctx, scopes, depth);
      const variable = ctx.variables.get(expr.name);
      if (!variable) return undefined;
      return {
        label: `\`${expr.name}\``,
        values: variable.hasValue ? [variable.value] : [],
        fields: [],
        itemFields: variable.itemFields ?? [],
        isSecret: variable.isSecret,
        dataPath: variable.source === 'cluster.yaml' || variable.source === 'nodes.yaml' ? { variable, path: [] } : undefined,
      };
    }
    case 'Getattr': {
      const owner = shapeOf(expr.node, offset, ctx, scopes, depth + 1);
      return owner && !owner.special && expr.attr ? memberOf(owner, expr.attr) : undefined;
    }
    case 'Getitem': {
      const owner = shapeOf(expr.node, offset, ctx, scopes, depth + 1);
      if (!owner || owner.special || expr.arg.kind !== 'Const') return undefined;
      if (typeof expr.arg.value === 'number') return itemsOf(owner, `an item of ${owner.label}`);
      return typeof expr.arg.value === 'string' ? memberOf(owner, expr.arg.value) : undefined;
    }
    case 'Filter': {
      if (!expr.node) return undefined;
      const input = shapeOf(expr.node, offset, ctx, scopes, depth + 1);
      if (!input || input.special) return undefined;
      if (ITEM_KEEPING_FILTERS.has(expr.name)) return input;
      if (ITEM_PICKING_FILTERS.has(expr.name)) return itemsOf(input, `an item of ${input.label}`);
      return undefined;
    }
    default:
      return undefined;
  }
}

function localShape(local: LocalVariable, ctx: TemplateContext, scopes: LocalScopes, depth: number): ValueShape | undefined {
  const statement = local.definedBy;
  switch (local.kind) {
    case 'loop':
      return { label: '`loop`', values: [], fields: [], itemFields: [], isSecret: false, special: { kind: 'loop' } };
    case 'loop-target':
      return statement.kind === 'For' && statement.target.kind === 'Name' ? loopItemShape(statement, ctx, scopes) : undefined;
    case 'set':
      if (local.namespaceAttributes) return { label: `\`${local.name}\``, values: [], fields: [], itemFields: [], isSecret: false, special: { kind: 'namespace', attributes: local.namespaceAttributes } };
      if (statement.kind === 'Set' && statement.target.kind === 'Name') return shapeOf(statement.value, statement.span.start, ctx, scopes, depth + 1);
      return undefined;
    case 'with': {
      if (statement.kind !== 'With') return undefined;
      const assignment = statement.assignments.find((a) => a.target.kind === 'Name' && a.target.name === local.name);
      return assignment ? shapeOf(assignment.value, statement.span.start, ctx, scopes, depth + 1) : undefined;
    }
    default:
      return undefined;
  }
}

export interface AttributeInfo {
  name: string;
  kind: 'loop' | 'field' | 'key' | 'namespace';
  doc?: string;
  typeText?: string;
  isSecret: boolean;
  /** For the loop object: the builtin entry. */
  entry?: BuiltinEntry;
  /** For a namespace attribute: where it is given. */
  span?: Span;
}

/** The attributes a shape offers: loop attributes, namespace attributes, or fields and keys present in the values. */
export function attributesOf(shape: ValueShape): AttributeInfo[] {
  if (shape.special?.kind === 'loop') {
    return LOOP_ATTRIBUTES.map((entry) => ({ name: entry.name, kind: 'loop', doc: entry.doc, typeText: entry.returns, isSecret: false, entry }));
  }
  if (shape.special?.kind === 'namespace') {
    return shape.special.attributes.map((attribute) => ({ name: attribute.name, kind: 'namespace', isSecret: isSecretName(attribute.name), span: attribute.span }));
  }
  const attributes = new Map<string, AttributeInfo>();
  for (const field of shape.fields) {
    attributes.set(field.name, { name: field.name, kind: 'field', doc: field.doc, typeText: field.typeText, isSecret: shape.isSecret || isSecretName(field.name) });
  }
  for (const value of shape.values) {
    if (!isPlainObject(value)) continue;
    for (const key of Object.keys(value)) {
      if (!attributes.has(key)) attributes.set(key, { name: key, kind: 'key', typeText: typeOfValue(value[key]), isSecret: shape.isSecret || isSecretName(key) });
    }
  }
  return [...attributes.values()];
}

/** A short view of the values of an attribute across the owner's values, for completion details. */
export function attributeValuesText(shape: ValueShape, attribute: AttributeInfo, limit = 60): string | undefined {
  if (attribute.isSecret || shape.special) return undefined;
  const values = shape.values.filter(isPlainObject).map((value) => value[attribute.name]).filter((value) => value !== undefined);
  if (values.length === 0) return undefined;
  const text = values.map((value) => showValue(value, 40)).join(', ');
  return text.length > limit ? text.slice(0, limit - 1) + '…' : text;
}

/** Markdown for one attribute of a shape: its doc, type and, unless secret, the values across items. */
export function attributeMarkdown(shape: ValueShape, attribute: AttributeInfo, document: TextDocument): string {
  const what = { loop: 'loop attribute', field: 'field', key: 'key', namespace: 'namespace attribute' }[attribute.kind];
  const parts: string[] = [`(${what}) **${attribute.kind === 'loop' ? 'loop.' : ''}${attribute.name}**${attribute.typeText ? ` · \`${attribute.typeText}\`` : ''}`];
  if (attribute.entry?.signature) parts.push('```jinja\nloop.' + attribute.entry.name + '(' + attribute.entry.signature.params.map((p) => (p.variadic === 'positional' ? '*' : '') + p.name).join(', ') + ')\n```');
  if (attribute.doc) parts.push(attribute.doc);
  if (attribute.kind === 'namespace' && attribute.span) parts.push(`Given on line ${lineOf(document, attribute.span.start)}.`);
  if (attribute.kind === 'field' || attribute.kind === 'key') {
    parts.push(`Of ${shape.label}.`);
    if (attribute.isSecret) parts.push('Value: secret, hidden. 🔒');
    else if (shape.values.length > 0) parts.push(valuesAcross(shape, attribute.name));
  }
  return parts.join('\n\n');
}

function valuesAcross(shape: ValueShape, name: string): string {
  const items = shape.values;
  if (items.length === 1) {
    const value = isPlainObject(items[0]) ? items[0][name] : undefined;
    return value === undefined ? 'Not set.' : `Value: \`${showValue(value, 200)}\``;
  }
  const lines = items.slice(0, 20).map((item, index) => {
    const value = isPlainObject(item) ? item[name] : undefined;
    const label = isPlainObject(item) && typeof item.name === 'string' && name !== 'name' ? `${index + 1} (${item.name})` : String(index + 1);
    return `- ${label}: ${value === undefined ? '*not set*' : `\`${showValue(value, 80)}\``}`;
  });
  if (items.length > 20) lines.push(`- … ${items.length - 20} more`);
  return `Values across the ${items.length} items:\n${lines.join('\n')}`;
}

// ---------------------------------------------------------------------------------------------
// What is under the cursor

export type TemplateTarget =
  /** A variable use or definition; `local` is set when the template itself defines it. */
  | { kind: 'name'; name: string; span: Span; local?: LocalVariable; isDefinition: boolean; isCall: boolean }
  | { kind: 'filter' | 'test'; name: string; span: Span }
  | { kind: 'attribute'; object: Expr; name: string; span: Span }
  /** A template string of include, import, from or extends. */
  | { kind: 'template'; name: string; span: Span };

const TEMPLATE_STATEMENTS = new Set(['Include', 'Import', 'FromImport', 'Extends']);

/** Whether a statement names templates (include, import, from, extends). */
export function namesTemplates(statement: Statement | undefined): statement is Extract<Statement, { template: Expr }> {
  return !!statement && TEMPLATE_STATEMENTS.has(statement.kind);
}

/**
 * The thing at `offset` for hover and navigation. Example: in `#{ x | upper }#` at `upper` it is the
 * filter `upper`; at `x` the name `x`.
 */
export function targetAt(parsed: ParsedTemplate, offset: number, scopes: LocalScopes): TemplateTarget | undefined {
  const definition = definitionAt(parsed, offset);
  if (definition) return { kind: 'name', name: definition.name, span: definition.span, local: definition, isDefinition: true, isCall: false };
  const path = nodeAtOffset(parsed.body, offset);
  const statements = path.filter(isStatement);
  const statement = statements[statements.length - 1];
  for (let i = path.length - 1; i >= 0; i--) {
    const node = path[i];
    switch (node.kind) {
      case 'Name': {
        const parent = path[i - 1];
        const isCall = parent?.kind === 'Call' && parent.node === node;
        return { kind: 'name', name: node.name, span: node.span, local: scopes.lookup(node.name, node.span.start), isDefinition: false, isCall };
      }
      case 'NsRef':
        if (within(node.nameSpan, offset)) return { kind: 'name', name: node.name, span: node.nameSpan, local: scopes.lookup(node.name, node.span.start), isDefinition: false, isCall: false };
        if (within(node.attrSpan, offset)) return { kind: 'attribute', object: { kind: 'Name', name: node.name, span: node.nameSpan }, name: node.attr, span: node.attrSpan };
        return undefined;
      case 'Getattr':
        if (node.attr && within(node.attrSpan, offset)) return { kind: 'attribute', object: node.node, name: node.attr, span: node.attrSpan };
        break;
      case 'Filter':
      case 'Test':
        if (node.name && within(node.nameSpan, offset)) return { kind: node.kind === 'Filter' ? 'filter' : 'test', name: node.name, span: node.nameSpan };
        break;
      case 'Const':
        if (node.type === 'string' && namesTemplates(statement) && isTemplateOperand(statement.template, node)) return { kind: 'template', name: String(node.value), span: node.span };
        return undefined;
    }
  }
  return undefined;
}

/** Whether `node` is the template operand itself or one item of a list of templates (include accepts a list). */
export function isTemplateOperand(operand: Expr, node: Expr): boolean {
  return operand === node || ((operand.kind === 'List' || operand.kind === 'Tuple') && operand.items.includes(node));
}

/** The top-level macro of that name in a parsed template. */
export function findMacro(parsed: ParsedTemplate, name: string): Extract<Statement, { kind: 'Macro' }> | undefined {
  let found: Extract<Statement, { kind: 'Macro' }> | undefined;
  walkNodes(parsed.body, (node) => {
    if (found || !isStatement(node)) return false;
    if (node.kind === 'Macro' && node.name === name) found = node;
    // Macros inside if blocks still become the module's exports; those inside other macros do not.
    return node.kind === 'If';
  });
  return found;
}
