// Rename of a cluster.yaml key: the key itself, every free use of it in every template (never a
// local of the same name, never text in comments or strings) and plugin.py's literal mentions of it.
// Refuses what is not a cluster.yaml key and any new name that would change what a template reads.
import * as path from 'node:path';
import { TextEdit, type Range, type WorkspaceEdit } from 'vscode-languageserver-types';
import { URI } from 'vscode-uri';
import type { ConfigSchema } from '../cluster/configSchema';
import { pathAtOffset, type Span } from '../yaml/parse';
import { LocationMaker, type ConfigFileInput, type IndexedUse, type TemplateUseSource } from './keyReferences';
import type { LocalDefinitionKind } from './nameResolution';
import { resolveNames } from './nameResolution';
import { parseTemplate } from './parser';
import type { JinjaSyntax } from './syntax';
import type { TemplateContext } from './templateContext';

export interface RenameContext {
  /** cluster.yaml as the editor has it. */
  cluster: ConfigFileInput;
  syntax: JinjaSyntax;
  /** What templates see, to tell a key from a plugin variable, a builtin or a clash. */
  templateContext: TemplateContext;
  source: TemplateUseSource;
  /** cluster.yaml's schema, to say where the old name is still declared. */
  clusterSchema?: ConfigSchema;
}

/** Where rename was asked: a config file (by kind) or a template, with the text the editor has. */
export interface RenameCursor {
  kind: 'cluster' | 'nodes' | 'template';
  filePath: string;
  text: string;
  offset: number;
}

export type PrepareRenameResult = { range: Range; placeholder: string } | { error: string };
/** `notes`: what the edit does not change and the user should know (a schema still declaring the old name). */
export type RenameResult = { edit: WorkspaceEdit; notes: string[] } | { error: string };

interface RenameTarget {
  name: string;
  filePath: string;
  span: Span;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Words Jinja reads as constants or operators, and names it defines in every loop or macro. */
const RESERVED = new Set(['true', 'false', 'none', 'True', 'False', 'None', 'and', 'or', 'not', 'in', 'is', 'if', 'else', 'loop', 'self', 'varargs', 'kwargs', 'caller']);

const LOCAL_WORDS: Record<LocalDefinitionKind, string> = {
  'loop-target': 'a for-loop variable',
  loop: 'the loop object',
  set: 'set by the template',
  macro: 'a macro',
  'macro-param': 'a macro parameter',
  'macro-implicit': 'a name Jinja defines in macros',
  with: 'set by a with block',
  import: 'an imported name',
  namespace: 'a namespace set by the template',
};

function hasClusterKey(ctx: RenameContext, name: string): boolean {
  return ctx.cluster.root?.kind === 'map' && ctx.cluster.root.entries.some((entry) => entry.key === name);
}

/** Why a free template name that is not a cluster.yaml key cannot be renamed. */
function notAKeyReason(name: string, ctx: RenameContext): string {
  const variable = ctx.templateContext.variables.get(name);
  switch (variable?.source) {
    case 'nodes.yaml':
      return `${name} comes from nodes.yaml; only keys of cluster.yaml can be renamed.`;
    case 'plugin.py':
      return `${name} is derived by plugin.py${variable.location?.line !== undefined ? ` (line ${variable.location.line + 1})` : ''}, not a key of cluster.yaml.`;
    case 'schema':
      return `${name} is not set in cluster.yaml (only the schema declares it), so there is no key to rename.`;
    case 'makejinja':
      return `${name} is a makejinja global, not a key of cluster.yaml.`;
    case 'data':
      return `${name} comes from another data file of makejinja.toml, not from cluster.yaml.`;
  }
  const callable = ctx.templateContext.functions.get(name);
  if (callable) return callable.origin === 'plugin' ? `${name} is a function of plugin.py, not a key of cluster.yaml.` : `${name} is a ${callable.origin === 'jinja' ? 'Jinja' : 'makejinja'} builtin, not a key of cluster.yaml.`;
  return `${name} is not a key of cluster.yaml: nothing defines it.`;
}

function targetAt(cursor: RenameCursor, ctx: RenameContext): RenameTarget | { error: string } {
  if (cursor.kind === 'nodes') return { error: 'Keys of nodes.yaml cannot be renamed: the node schema fixes their names.' };
  if (cursor.kind === 'cluster') {
    const { path: at, onKey } = pathAtOffset(ctx.cluster.root, cursor.offset);
    if (at.length === 0) return { error: 'Place the cursor on a top-level key of cluster.yaml to rename it.' };
    if (at.length > 1) return { error: `Only top-level keys of cluster.yaml are template variables; this is inside ${at[0]}.` };
    const name = String(at[0]);
    if (!onKey) return { error: `Place the cursor on the key ${name}, not on its value, to rename it.` };
    const entry = ctx.cluster.root?.kind === 'map' ? ctx.cluster.root.entries.find((e) => e.key === name && e.keySpan.start <= cursor.offset && cursor.offset <= e.keySpan.end) : undefined;
    if (!entry) return { error: 'Place the cursor on a top-level key of cluster.yaml to rename it.' };
    return { name, filePath: cursor.filePath, span: keyNameSpan(cursor.text, entry.keySpan) };
  }
  const resolution = resolveNames(parseTemplate(cursor.text, ctx.syntax).body);
  const use = resolution.uses.find((u) => u.span.start <= cursor.offset && cursor.offset <= u.span.end);
  const local = use ? use.local : resolution.definitions.find((d) => d.kind !== 'loop' && d.kind !== 'macro-implicit' && d.span.start <= cursor.offset && cursor.offset <= d.span.end);
  if (local) return { error: `${local.name} is ${LOCAL_WORDS[local.kind]} in this template, not a key of cluster.yaml.` };
  if (!use) return { error: 'Place the cursor on a variable that comes from cluster.yaml to rename it.' };
  if (!hasClusterKey(ctx, use.name)) return { error: notAKeyReason(use.name, ctx) };
  return { name: use.name, filePath: cursor.filePath, span: use.span };
}

/** A quoted YAML key is renamed inside its quotes. */
function keyNameSpan(text: string, keySpan: Span): Span {
  const first = text[keySpan.start];
  const isQuoted = (first === '"' || first === "'") && text[keySpan.end - 1] === first && keySpan.end - keySpan.start >= 2;
  return isQuoted ? { start: keySpan.start + 1, end: keySpan.end - 1 } : keySpan;
}

/**
 * Whether rename can start at the cursor, and on which text. Example: on `cluster_api_addr` in
 * `#{ cluster_api_addr }#` (a key of cluster.yaml) → its range and placeholder `cluster_api_addr`;
 * on `range` → an error saying it is a Jinja builtin.
 */
export function prepareRename(cursor: RenameCursor, ctx: RenameContext): PrepareRenameResult {
  const target = targetAt(cursor, ctx);
  if ('error' in target) return target;
  const range = new LocationMaker(() => undefined, [{ filePath: cursor.filePath, text: cursor.text }]).range(cursor.filePath, target.span);
  return range ? { range, placeholder: target.name } : { error: 'Place the cursor on a cluster.yaml key to rename it.' };
}

/** Why `newName` cannot replace `oldName`, or undefined when it can. */
function newNameProblem(oldName: string, newName: string, ctx: RenameContext): string | undefined {
  if (!IDENTIFIER.test(newName)) return `"${newName}" is not a valid variable name: use letters, digits and underscores, not starting with a digit.`;
  if (RESERVED.has(newName)) return `${newName} is reserved in Jinja templates.`;
  if (hasClusterKey(ctx, newName)) return `cluster.yaml already has a key ${newName}.`;
  const variable = ctx.templateContext.variables.get(newName);
  if (variable) return `Templates already see a variable ${newName} (from ${variable.source}): the two would clash.`;
  if (ctx.templateContext.functions.has(newName)) return `${newName} is a function templates can call: the key would hide it.`;
  const existing = ctx.source.usesOf(newName);
  if (existing.length > 0) return `${existing.length} place${existing.length === 1 ? '' : 's'} already use${existing.length === 1 ? 's' : ''} ${newName} (first: ${describe(existing[0], ctx)}): they would start reading ${oldName}'s value.`;
  return undefined;
}

function relativeToWorkspace(filePath: string, ctx: RenameContext): string {
  return path.relative(path.dirname(ctx.cluster.filePath), filePath).split(path.sep).join('/');
}

function describe(use: IndexedUse, ctx: RenameContext): string {
  const range = new LocationMaker((filePath) => ctx.source.textOf(filePath)).range(use.filePath, use.span);
  return `${relativeToWorkspace(use.filePath, ctx)}${range ? ` line ${range.start.line + 1}` : ''}`;
}

/** Template files and the spans to replace in each: the cursor's template from its current text, the others from the index. */
function templateEdits(cursor: RenameCursor, name: string, ctx: RenameContext): Map<string, { text: string; spans: Span[] }> {
  const pluginSpans = new Set(ctx.source.pluginKeysOf(name).map((key) => `${key.filePath}\0${key.span.start}`));
  const files = new Map<string, { text: string; spans: Span[] }>();
  for (const use of ctx.source.usesOf(name)) {
    if (pluginSpans.has(`${use.filePath}\0${use.span.start}`) || (cursor.kind === 'template' && use.filePath === cursor.filePath)) continue;
    const text = ctx.source.textOf(use.filePath);
    if (text === undefined) continue;
    const file = files.get(use.filePath) ?? { text, spans: [] };
    file.spans.push(use.span);
    files.set(use.filePath, file);
  }
  if (cursor.kind === 'template') {
    const spans = resolveNames(parseTemplate(cursor.text, ctx.syntax).body)
      .uses.filter((use) => !use.local && use.name === name)
      .map((use) => use.span);
    if (spans.length > 0) files.set(cursor.filePath, { text: cursor.text, spans });
  }
  return files;
}

/**
 * After renaming, every renamed use must still be a free use of the new name: a local of that name
 * around a use (`for new_name in ...`) would silently take its place.
 */
function shadowingProblem(filePath: string, text: string, spans: Span[], newName: string, ctx: RenameContext): string | undefined {
  const sorted = [...spans].sort((a, b) => a.start - b.start);
  let renamed = '';
  let last = 0;
  const newStarts: number[] = [];
  for (const span of sorted) {
    renamed += text.slice(last, span.start);
    newStarts.push(renamed.length);
    renamed += newName;
    last = span.end;
  }
  renamed += text.slice(last);
  const uses = resolveNames(parseTemplate(renamed, ctx.syntax).body).uses;
  const byStart = new Map(uses.filter((use) => use.name === newName).map((use) => [use.span.start, use]));
  for (let i = 0; i < sorted.length; i++) {
    const use = byStart.get(newStarts[i]);
    if (use && !use.local) continue;
    const where = new LocationMaker(() => text).range(filePath, sorted[i]);
    const what = use?.local ? LOCAL_WORDS[use.local.kind] : 'something else';
    return `In ${relativeToWorkspace(filePath, ctx)}${where ? ` line ${where.start.line + 1}` : ''}, ${newName} is ${what} at that place: the renamed use would read it instead of the key. Choose another name.`;
  }
  return undefined;
}

/** What still names the old key after the edit. */
function renameNotes(name: string, newName: string, ctx: RenameContext): string[] {
  const property = ctx.clusterSchema?.root.properties?.[name];
  if (!property) return [];
  const origin = property['x-origin'];
  if (origin === 'workspace-cue' || origin === 'workspace-json') {
    const label = ctx.clusterSchema?.workspaceLabel ?? 'the workspace schema';
    return [`${label} still declares ${name}: rename it there too, or cluster.yaml fails the schema check with ${newName}.`];
  }
  return [`${name} is a standard cluster-template key: the bundled schema does not know ${newName}, so cluster.yaml reports it as an unknown key.`];
}

/**
 * Example: renaming `cloudflare_domain` to `public_domain` from its key in cluster.yaml edits that
 * key, `#{ cloudflare_domain }#` in every template (not `#% set cloudflare_domain = 1 %#` nor what
 * follows it) and `data.get("cloudflare_domain")` in plugin.py.
 */
export function computeRename(cursor: RenameCursor, newName: string, ctx: RenameContext): RenameResult {
  const target = targetAt(cursor, ctx);
  if ('error' in target) return target;
  const name = target.name;
  if (newName === name) return { edit: { changes: {} }, notes: [] };
  const problem = newNameProblem(name, newName, ctx);
  if (problem) return { error: problem };

  const templates = templateEdits(cursor, name, ctx);
  for (const [filePath, file] of templates) {
    const shadowed = shadowingProblem(filePath, file.text, file.spans, newName, ctx);
    if (shadowed) return { error: shadowed };
  }

  const clusterText = cursor.kind === 'cluster' ? cursor.text : ctx.cluster.text;
  const known = [{ filePath: ctx.cluster.filePath, text: clusterText }, ...[...templates].map(([filePath, file]) => ({ filePath, text: file.text }))];
  const locations = new LocationMaker((filePath) => ctx.source.textOf(filePath), known);
  const changes: Record<string, TextEdit[]> = {};
  const replace = (filePath: string, span: Span): void => {
    const range = locations.range(filePath, span);
    if (!range) return;
    const uri = URI.file(filePath).toString();
    (changes[uri] ??= []).push(TextEdit.replace(range, newName));
  };
  if (ctx.cluster.root?.kind === 'map') {
    for (const entry of ctx.cluster.root.entries) if (entry.key === name) replace(ctx.cluster.filePath, keyNameSpan(clusterText, entry.keySpan));
  }
  for (const [filePath, file] of [...templates].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) for (const span of file.spans) replace(filePath, span);
  for (const key of ctx.source.pluginKeysOf(name)) replace(key.filePath, key.span);
  return { edit: { changes }, notes: renameNotes(name, newName, ctx) };
}
