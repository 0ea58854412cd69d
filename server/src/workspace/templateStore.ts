// Keeps, per workspace root, the loaded template workspace (makejinja.toml, template list,
// plugin.py) and the parse of each open template by text; rebuilds the template context when the
// data of cluster.yaml / nodes.yaml changes. Caches live in this object, never in module state.
import * as path from 'node:path';
import type { FileReader } from '../host/fileReader';
import type { ParsedTemplate } from '../services/jinja/ast';
import { resolveNames, type NameResolution } from '../services/jinja/nameResolution';
import { parseTemplate } from '../services/jinja/parser';
import type { TemplateContext } from '../services/jinja/templateContext';
import { collectTemplateProblems, type TemplateDiagnostic } from '../services/jinja/templateDiagnostics';
import type { ConfigFileStore, OpenDocumentSource } from './configFiles';
import { TemplateIndex } from './templateIndex';
import { loadTemplateWorkspace, templateContextOf, type TemplateWorkspace } from './templateWorkspace';

export interface TemplateAnalysis {
  root: string;
  workspace: TemplateWorkspace;
  context: TemplateContext;
  parsed: ParsedTemplate;
  resolution: NameResolution;
  problems: TemplateDiagnostic[];
}

/** Whether a path is a Jinja template by name (the workspace's suffix decides which are rendered). */
export function isTemplatePath(filePath: string): boolean {
  return filePath.endsWith('.j2') || filePath.endsWith('.jinja');
}

export class TemplateStore {
  private readonly workspaces = new Map<string, Promise<TemplateWorkspace>>();
  private readonly roots = new Map<string, Promise<string | undefined>>();
  private readonly parses = new Map<string, { text: string; syntax: unknown; parsed: ParsedTemplate; resolution: NameResolution }>();
  private readonly contexts = new Map<string, { key: unknown[]; context: TemplateContext }>();
  private readonly indexes = new Map<string, Promise<TemplateIndex>>();

  constructor(
    private readonly reader: FileReader,
    private readonly configs: ConfigFileStore,
    /** Workspace folders: a template outside any makejinja.toml folder belongs to the folder holding it. */
    private readonly workspaceFolders: () => string[],
  ) {}

  /** Forget loaded workspaces (all, or one root) and folder lookups: the next request reads again. */
  invalidate(root?: string): void {
    if (root === undefined) {
      this.workspaces.clear();
      this.roots.clear();
      this.indexes.clear();
    } else {
      this.workspaces.delete(root);
      this.indexes.delete(root);
    }
    this.contexts.clear();
  }

  /** The index of every template of a root (built on first use, then kept up to date by `analyze`). */
  indexFor(root: string): Promise<TemplateIndex> {
    let cached = this.indexes.get(root);
    if (!cached) {
      cached = (async () => {
        const workspace = await this.workspaceFor(root);
        const index = new TemplateIndex(workspace.syntax);
        await index.build(workspace.templates, this.reader, workspace.plugin?.filePath);
        return index;
      })();
      this.indexes.set(root, cached);
    }
    return cached;
  }

  /** The index of a root if it has been built; never starts a build. */
  async builtIndexOf(root: string): Promise<TemplateIndex | undefined> {
    return this.indexes.get(root);
  }

  /** The workspace root of a template: the nearest folder above it with makejinja.toml, else its workspace folder. */
  rootOf(filePath: string): Promise<string | undefined> {
    const folder = path.dirname(filePath);
    let cached = this.roots.get(folder);
    if (!cached) {
      cached = this.findRoot(folder);
      this.roots.set(folder, cached);
    }
    return cached;
  }

  private async findRoot(folder: string): Promise<string | undefined> {
    for (let dir = folder; ; dir = path.dirname(dir)) {
      if ((await this.reader.readText(path.join(dir, 'makejinja.toml'))) !== undefined) return dir;
      if (path.dirname(dir) === dir) break;
    }
    const containing = this.workspaceFolders().filter((root) => folder === root || folder.startsWith(root + path.sep));
    return containing.sort((a, b) => b.length - a.length)[0];
  }

  workspaceFor(root: string): Promise<TemplateWorkspace> {
    let cached = this.workspaces.get(root);
    if (!cached) {
      cached = loadTemplateWorkspace(root, this.reader, undefined);
      this.workspaces.set(root, cached);
    }
    return cached;
  }

  /** Whether a changed file means reloading a template workspace (makejinja.toml, plugin.py, a template added or removed). */
  async isWorkspaceFile(filePath: string): Promise<boolean> {
    if (path.basename(filePath) === 'makejinja.toml' || isTemplatePath(filePath)) return true;
    for (const pending of this.workspaces.values()) {
      if ((await pending).plugin?.filePath === filePath) return true;
    }
    return false;
  }

  /**
   * Parses and checks one template against the current data. Example: `analyze('/ws/templates/config/a.yaml.j2',
   * '#{ nod_cidr }#', open)` has an `undefined-variable` problem suggesting node_cidr.
   */
  async analyze(filePath: string, text: string, open: OpenDocumentSource): Promise<TemplateAnalysis | undefined> {
    const root = await this.rootOf(filePath);
    if (!root) return undefined;
    const workspace = await this.workspaceFor(root);
    const check = await this.configs.checkRoot(root, open);
    const context = this.contextFor(root, workspace, check);
    const { parsed, resolution } = this.parse(filePath, text, workspace);
    const problems = collectTemplateProblems(parsed, context, resolution);
    // The editor's text is what references and rename must see.
    const index = this.indexes.get(root);
    if (index && [...workspace.templates.values()].includes(filePath)) (await index).update(filePath, text);
    return { root, workspace, context, parsed, resolution, problems };
  }

  private contextFor(root: string, workspace: TemplateWorkspace, check: Awaited<ReturnType<ConfigFileStore['checkRoot']>>): TemplateContext {
    // Rebuilt only when the workspace or one of the data files' analyses changed.
    const key = [workspace, check.workspace, check.files.cluster.analysis, check.files.nodes.analysis];
    const cached = this.contexts.get(root);
    if (cached && cached.key.every((part, i) => part === key[i])) return cached.context;
    const context = templateContextOf(workspace, check);
    this.contexts.set(root, { key, context });
    return context;
  }

  private parse(filePath: string, text: string, workspace: TemplateWorkspace): { parsed: ParsedTemplate; resolution: NameResolution } {
    const cached = this.parses.get(filePath);
    if (cached && cached.text === text && cached.syntax === workspace.syntax) return cached;
    const parsed = parseTemplate(text, workspace.syntax);
    const entry = { text, syntax: workspace.syntax, parsed, resolution: resolveNames(parsed.body) };
    this.parses.set(filePath, entry);
    return entry;
  }

  /** Drop the parse of a closed template. */
  forget(filePath: string): void {
    this.parses.delete(filePath);
  }
}
