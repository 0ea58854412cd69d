// The index of every template of one workspace (and of its plugin.py): which data names each file
// uses, with spans, kept per file with the text it was built from so one changed file re-indexes
// alone. Serves references, unused-key hints and rename; decides nothing about them.
import type { FileReader } from '../host/fileReader';
import type { Expr, Span } from '../services/jinja/ast';
import type { IndexedUse, TemplateUseSource } from '../services/jinja/keyReferences';
import { resolveNames, type LocalDefinition } from '../services/jinja/nameResolution';
import { parseTemplate } from '../services/jinja/parser';
import { readPluginDataKeys, type PluginDataKey } from '../services/jinja/pluginDataReads';
import type { JinjaSyntax } from '../services/jinja/syntax';
import { walkNodes } from '../services/jinja/walk';

export interface IndexedTemplate {
  text: string;
  /** Free name → spans of its uses. */
  uses: Map<string, Span[]>;
  /** `owner.member` / `owner[].member` → spans of the member name. */
  members: Map<string, Span[]>;
}

function memberKey(owner: string, member: string, isItem: boolean): string {
  return `${owner}${isItem ? '[]' : ''}.${member}`;
}

/** Filters whose result holds (some of) the same items as their input, so a loop over it iterates those items. */
const ITEM_PRESERVING_FILTERS = new Set(['selectattr', 'rejectattr', 'select', 'reject', 'sort', 'list', 'unique', 'reverse', 'default', 'd']);
/** Filters that name an attribute of the items: as their first argument, or as `attribute=`. */
const ATTRIBUTE_ARGUMENT_FILTERS = new Set(['selectattr', 'rejectattr']);
const ATTRIBUTE_KEYWORD_FILTERS = new Set(['map', 'sort', 'groupby', 'sum', 'unique', 'min', 'max', 'join']);

/** The free name an expression's items come from: `nodes`, `nodes | selectattr("controller")`. */
function itemsRoot(expr: Expr, freeNames: Map<Expr, string>): string | undefined {
  let current: Expr | undefined = expr;
  while (current?.kind === 'Filter' && ITEM_PRESERVING_FILTERS.has(current.name)) current = current.node;
  return current ? freeNames.get(current) : undefined;
}

/** The name inside the quotes of a string literal written as one plain literal, for an exact span. */
function stringNameSpan(expr: Expr): { name: string; span: Span } | undefined {
  if (expr.kind !== 'Const' || expr.type !== 'string' || typeof expr.value !== 'string') return undefined;
  if (expr.raw.length !== expr.value.length + 2) return undefined;
  // A dotted attribute (`attribute="a.b"`) names the item's `a` first.
  const name = expr.value.split('.')[0];
  return { name, span: { start: expr.span.start + 1, end: expr.span.start + 1 + name.length } };
}

function push(map: Map<string, Span[]>, key: string, span: Span): void {
  const spans = map.get(key);
  if (spans) spans.push(span);
  else map.set(key, [span]);
}

/** Parses one template and collects its free names and member uses. */
export function indexTemplate(text: string, syntax: JinjaSyntax): IndexedTemplate {
  const parsed = parseTemplate(text, syntax);
  const resolution = resolveNames(parsed.body);
  const uses = new Map<string, Span[]>();
  const freeNames = new Map<Expr, string>();
  const localOf = new Map<Expr, LocalDefinition>();
  for (const use of resolution.uses) {
    if (use.local) {
      localOf.set(use.node, use.local);
      continue;
    }
    push(uses, use.name, use.span);
    freeNames.set(use.node, use.name);
  }

  const members = new Map<string, Span[]>();
  // Loop targets (by the start of their definition) → the free name whose items they take.
  const loopItems = new Map<number, string>();
  /** `x.member`: x free, or a loop target over a free list. */
  const addMember = (owner: Expr, member: string, span: Span): void => {
    const free = freeNames.get(owner);
    if (free !== undefined) {
      push(members, memberKey(free, member, false), span);
      return;
    }
    const local = localOf.get(owner);
    const list = local?.kind === 'loop-target' ? loopItems.get(local.span.start) : undefined;
    if (list !== undefined) push(members, memberKey(list, member, true), span);
    else if (owner.kind === 'Getitem' && owner.node.kind === 'Name' && owner.arg.kind === 'Const' && owner.arg.type === 'number') {
      // `nodes[0].address`
      const indexed = freeNames.get(owner.node);
      if (indexed !== undefined) push(members, memberKey(indexed, member, true), span);
    }
  };

  walkNodes(parsed.body, (node) => {
    switch (node.kind) {
      case 'For': {
        // The walk reaches the loop before its body, so the targets are known when their uses come.
        const list = itemsRoot(node.iter, freeNames);
        if (list !== undefined && node.target.kind === 'Name') loopItems.set(node.target.span.start, list);
        return;
      }
      case 'Getattr':
        if (node.attr) addMember(node.node, node.attr, node.attrSpan);
        return;
      case 'Getitem': {
        const key = stringNameSpan(node.arg);
        if (key && !key.name.includes('.')) addMember(node.node, key.name, key.span);
        return;
      }
      case 'Filter': {
        const list = node.node ? itemsRoot(node.node, freeNames) : undefined;
        if (list === undefined) return;
        const attributes: Expr[] = [];
        if (ATTRIBUTE_ARGUMENT_FILTERS.has(node.name) && node.args[0]) attributes.push(node.args[0]);
        if (ATTRIBUTE_KEYWORD_FILTERS.has(node.name)) attributes.push(...node.kwargs.filter((keyword) => keyword.name === 'attribute').map((keyword) => keyword.value));
        for (const attribute of attributes) {
          const key = stringNameSpan(attribute);
          if (key) push(members, memberKey(list, key.name, true), key.span);
        }
        return;
      }
    }
  });
  return { text, uses, members };
}

/**
 * Example: after `await index.build(new Map([['a.yaml.j2', '/ws/t/a.yaml.j2']]), reader)` with the
 * file `#{ node_cidr }#`, `index.usesOf('node_cidr')` is `[{ filePath: '/ws/t/a.yaml.j2', span: { start: 3, end: 12 } }]`.
 */
export class TemplateIndex implements TemplateUseSource {
  private readonly files = new Map<string, IndexedTemplate>();
  /** How many indexed files use each free name: updated per file, so usedNames() never rescans. */
  private readonly nameCounts = new Map<string, number>();
  private plugin: { filePath: string; text: string; keys: PluginDataKey[] } | undefined;

  constructor(private readonly syntax: JinjaSyntax) {}

  get templateCount(): number {
    return this.files.size;
  }

  /**
   * Reads and indexes every template (loader name → absolute path) and plugin.py, replacing what was
   * indexed before. Files that cannot be read are left out.
   */
  async build(templates: ReadonlyMap<string, string>, reader: FileReader, pluginPath?: string): Promise<void> {
    const paths = [...new Set(templates.values())];
    const [texts, pluginText] = await Promise.all([Promise.all(paths.map((filePath) => reader.readText(filePath))), pluginPath ? reader.readText(pluginPath) : undefined]);
    this.files.clear();
    this.nameCounts.clear();
    paths.forEach((filePath, i) => {
      const text = texts[i];
      if (text !== undefined) this.store(filePath, indexTemplate(text, this.syntax));
    });
    this.plugin = undefined;
    if (pluginPath && pluginText !== undefined) this.setPlugin(pluginPath, pluginText);
  }

  /** Re-indexes one file after a change: a template (added if new), or plugin.py. Unchanged text costs nothing. */
  update(filePath: string, text: string): void {
    if (this.plugin?.filePath === filePath) {
      if (this.plugin.text !== text) this.setPlugin(filePath, text);
      return;
    }
    if (this.files.get(filePath)?.text === text) return;
    this.remove(filePath);
    this.store(filePath, indexTemplate(text, this.syntax));
  }

  /** Forgets a deleted template. */
  remove(filePath: string): void {
    const entry = this.files.get(filePath);
    if (!entry) return;
    this.files.delete(filePath);
    for (const name of entry.uses.keys()) {
      const count = (this.nameCounts.get(name) ?? 1) - 1;
      if (count > 0) this.nameCounts.set(name, count);
      else this.nameCounts.delete(name);
    }
  }

  /** Makes `filePath` the workspace's plugin.py (its literal data reads count as uses). */
  setPlugin(filePath: string, text: string): void {
    this.plugin = { filePath, text, keys: readPluginDataKeys(text) };
  }

  hasFile(filePath: string): boolean {
    return this.files.has(filePath) || this.plugin?.filePath === filePath;
  }

  textOf(filePath: string): string | undefined {
    return this.files.get(filePath)?.text ?? (this.plugin?.filePath === filePath ? this.plugin.text : undefined);
  }

  usesOf(name: string): IndexedUse[] {
    const uses: IndexedUse[] = [];
    for (const [filePath, entry] of this.files) for (const span of entry.uses.get(name) ?? []) uses.push({ filePath, span });
    if (this.plugin) for (const key of this.plugin.keys) if (key.isRead && key.name === name) uses.push({ filePath: this.plugin.filePath, span: key.span });
    return sortUses(uses);
  }

  memberUsesOf(owner: string, member: string, isItem: boolean): IndexedUse[] {
    const key = memberKey(owner, member, isItem);
    const uses: IndexedUse[] = [];
    for (const [filePath, entry] of this.files) for (const span of entry.members.get(key) ?? []) uses.push({ filePath, span });
    return sortUses(uses);
  }

  pluginKeysOf(name: string): (PluginDataKey & { filePath: string })[] {
    const plugin = this.plugin;
    return plugin ? plugin.keys.filter((key) => key.name === name).map((key) => ({ ...key, filePath: plugin.filePath })) : [];
  }

  /** Every free name some template uses, and every key plugin.py reads. */
  usedNames(): Set<string> {
    const names = new Set(this.nameCounts.keys());
    for (const key of this.plugin?.keys ?? []) if (key.isRead) names.add(key.name);
    return names;
  }

  private store(filePath: string, entry: IndexedTemplate): void {
    this.files.set(filePath, entry);
    for (const name of entry.uses.keys()) this.nameCounts.set(name, (this.nameCounts.get(name) ?? 0) + 1);
  }
}

function sortUses(uses: IndexedUse[]): IndexedUse[] {
  return uses.sort((a, b) => (a.filePath < b.filePath ? -1 : a.filePath > b.filePath ? 1 : a.span.start - b.span.start));
}
