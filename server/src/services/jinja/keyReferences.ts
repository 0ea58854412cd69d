// Find references for the data keys of cluster.yaml and nodes.yaml: every template that uses a key
// (and plugin.py's literal reads of it), and the hint on cluster.yaml keys no template uses.
// Works from an index of uses passed in; reads no files and parses only the template at the cursor.
import { Diagnostic, DiagnosticTag, Location, Range } from 'vscode-languageserver-types';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { URI } from 'vscode-uri';
import type { ConfigProblem } from '../cluster/diagnostics';
import { toLspDiagnostics } from '../cluster/lspDiagnostics';
import type { ConfigFileKind } from '../cluster/schemaTypes';
import { entryAt, pathAtOffset, type Span, type YamlNode, type YamlPath } from '../yaml/parse';
import { resolveNames } from './nameResolution';
import { parseTemplate } from './parser';
import type { PluginDataKey } from './pluginDataReads';
import type { JinjaSyntax } from './syntax';

export interface IndexedUse {
  filePath: string;
  span: Span;
}

/** The workspace's index of uses, as the reference and rename services read it (workspace/templateIndex.ts implements it). */
export interface TemplateUseSource {
  /** Free uses of a name in templates, and plugin.py's literal reads of the key; by file, then position. */
  usesOf(name: string): IndexedUse[];
  /** `owner.member` uses; with `isItem`, attributes of the items of a list (`node.address` in `for node in nodes`). */
  memberUsesOf(owner: string, member: string, isItem: boolean): IndexedUse[];
  /** Every place plugin.py names the key, writes included (for rename). */
  pluginKeysOf(name: string): (PluginDataKey & { filePath: string })[];
  /** The text a file was indexed from. */
  textOf(filePath: string): string | undefined;
  /** How many templates are indexed. */
  readonly templateCount: number;
}

/** A cluster.yaml or nodes.yaml as the editor has it. */
export interface ConfigFileInput {
  kind: ConfigFileKind;
  filePath: string;
  text: string;
  root: YamlNode | null;
}

export const UNUSED_KEY_CODE = 'unused-key';

/** Turns spans of several files into LSP locations, computing each file's line starts once. */
export class LocationMaker {
  private readonly documents = new Map<string, TextDocument | undefined>();

  constructor(
    private readonly textOf: (filePath: string) => string | undefined,
    known: { filePath: string; text: string }[] = [],
  ) {
    for (const file of known) this.documents.set(file.filePath, TextDocument.create(URI.file(file.filePath).toString(), 'plaintext', 0, file.text));
  }

  document(filePath: string): TextDocument | undefined {
    if (!this.documents.has(filePath)) {
      const text = this.textOf(filePath);
      this.documents.set(filePath, text === undefined ? undefined : TextDocument.create(URI.file(filePath).toString(), 'plaintext', 0, text));
    }
    return this.documents.get(filePath);
  }

  range(filePath: string, span: Span): Range | undefined {
    const document = this.document(filePath);
    return document && Range.create(document.positionAt(span.start), document.positionAt(span.end));
  }

  location(filePath: string, span: Span): Location | undefined {
    const range = this.range(filePath, span);
    return range && Location.create(URI.file(filePath).toString(), range);
  }
}

/** What a cursor in a config file refers to: a top-level name, or a member of one (`nodes[].address`). */
export type DataKeyTarget = { name: string } | { owner: string; member: string; isItem: boolean };

/**
 * The data key at a cursor of cluster.yaml / nodes.yaml: `node_cidr` on its key or value,
 * `nodes[].address` on the address of a node, `some_map.field` one level down; undefined elsewhere.
 */
export function dataKeyAt(root: YamlNode | null, offset: number): { target: DataKeyTarget; path: YamlPath } | undefined {
  const { path } = pathAtOffset(root, offset);
  const keys = path.filter((segment): segment is string => typeof segment === 'string');
  if (keys.length === 0) return undefined;
  if (keys.length === 1) return { target: { name: keys[0] }, path: [keys[0]] };
  const isItem = typeof path[1] === 'number';
  // Deeper members (`a.b.c`) are not indexed: the owner's second-level key is the deepest we follow.
  const memberAt = path.findIndex((segment, i) => i > 0 && typeof segment === 'string');
  if (keys.length > 2 || (isItem && memberAt !== 2) || (!isItem && memberAt !== 1)) return undefined;
  return { target: { owner: keys[0], member: keys[1], isItem }, path: path.slice(0, memberAt + 1) };
}

/** The places in the config file that declare a target: the key itself, or that field in every item. */
function declarations(root: YamlNode | null, target: DataKeyTarget): Span[] {
  if ('name' in target) {
    if (root?.kind !== 'map') return [];
    return root.entries.filter((entry) => entry.key === target.name).map((entry) => entry.keySpan);
  }
  if (!target.isItem) {
    const entry = entryAt(root, [target.owner, target.member]);
    return entry ? [entry.keySpan] : [];
  }
  const list = root?.kind === 'map' ? root.entries.find((entry) => entry.key === target.owner)?.value : undefined;
  if (list?.kind !== 'seq') return [];
  return list.items.flatMap((item) => (item.kind === 'map' ? item.entries.filter((entry) => entry.key === target.member).map((entry) => entry.keySpan) : []));
}

function usesOfTarget(source: TemplateUseSource, target: DataKeyTarget): IndexedUse[] {
  return 'name' in target ? source.usesOf(target.name) : source.memberUsesOf(target.owner, target.member, target.isItem);
}

/**
 * References of the key under the cursor in cluster.yaml or nodes.yaml: its declaration(s) first when
 * asked for, then every template use. Example: on `node_cidr` of `node_cidr: "10.0.0.0/24"` with a
 * template `#{ node_cidr }#`, the key's location and the template's `node_cidr`.
 */
export function findKeyReferences(file: ConfigFileInput, offset: number, source: TemplateUseSource, includeDeclaration: boolean): Location[] {
  const at = dataKeyAt(file.root, offset);
  if (!at) return [];
  const locations = new LocationMaker((filePath) => source.textOf(filePath), [file]);
  const spans: IndexedUse[] = [
    ...(includeDeclaration ? declarations(file.root, at.target).map((span) => ({ filePath: file.filePath, span })) : []),
    ...usesOfTarget(source, at.target),
  ];
  return spans.flatMap((use) => locations.location(use.filePath, use.span) ?? []);
}

/**
 * References of the variable under the cursor in a template, when it is free (not a local): its key
 * in cluster.yaml / nodes.yaml when asked for, then every use in every template. Undefined when the
 * cursor is on no free variable.
 */
export function findVariableReferences(
  template: { filePath: string; text: string; offset: number },
  syntax: JinjaSyntax,
  configFiles: ConfigFileInput[],
  source: TemplateUseSource,
  includeDeclaration: boolean,
): Location[] | undefined {
  const { uses: templateUses } = resolveNames(parseTemplate(template.text, syntax).body);
  const use = templateUses.find((candidate) => candidate.span.start <= template.offset && template.offset <= candidate.span.end);
  if (!use || use.local) return undefined;
  const locations = new LocationMaker((filePath) => (filePath === template.filePath ? template.text : source.textOf(filePath)), configFiles);
  const declared = includeDeclaration ? configFiles.flatMap((file) => declarations(file.root, { name: use.name }).map((span) => ({ filePath: file.filePath, span }))) : [];
  // The open template's own uses come from its current text, the others from the index.
  const current = templateUses.filter((other) => !other.local && other.name === use.name).map((other) => ({ filePath: template.filePath, span: other.span }));
  const elsewhere = source.usesOf(use.name).filter((other) => other.filePath !== template.filePath);
  const uses = [...current, ...elsewhere].sort((a, b) => (a.filePath < b.filePath ? -1 : a.filePath > b.filePath ? 1 : a.span.start - b.span.start));
  return [...declared, ...uses].flatMap((at) => locations.location(at.filePath, at.span) ?? []);
}

export interface UnusedKeyOptions {
  /** Templates the workspace has: with none, nothing can be said about use. */
  templateCount: number;
  /** Whether plugin.py exists (its literal reads are in `usedNames`), for the message. */
  hasPlugin: boolean;
}

/**
 * Hints on the top-level keys of cluster.yaml that no template uses and plugin.py does not read.
 * Example: `node_vlan_tag: "10"` with templates that never mention it gives a hint on the key.
 */
export function unusedKeyHints(root: YamlNode | null, usedNames: ReadonlySet<string>, options: UnusedKeyOptions): ConfigProblem[] {
  if (options.templateCount === 0 || root?.kind !== 'map') return [];
  const readers = options.hasPlugin ? 'No template uses %s and plugin.py does not read it' : 'No template uses %s';
  return root.entries
    .filter((entry) => !usedNames.has(entry.key))
    .map((entry) => ({
      span: entry.keySpan,
      code: UNUSED_KEY_CODE,
      severity: 'hint' as const,
      message: `${readers.replace('%s', entry.key)}: its value changes no rendered file.`,
    }));
}

/** LSP diagnostics for unused-key hints: faded in the editor (tag Unnecessary), as unused code is. */
export function toUnusedKeyDiagnostics(document: TextDocument, hints: ConfigProblem[]): Diagnostic[] {
  return toLspDiagnostics(document, hints, {}).map((diagnostic) => ({ ...diagnostic, tags: [DiagnosticTag.Unnecessary] }));
}
