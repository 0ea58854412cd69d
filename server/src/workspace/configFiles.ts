// Keeps the analyses of cluster.yaml and nodes.yaml per workspace root: open documents by
// version, closed ones from disk, and the loaded workspace schema. Caches live in this object,
// never in module state. Decides nothing about validity: the services do.
import * as path from 'node:path';
import type { FileReader } from '../host/fileReader';
import { analyzeConfigFile, collectConfigProblems, type ConfigDiagnosticsResult, type ConfigFileAnalysis } from '../services/cluster/diagnostics';
import { findSchemaModeline } from '../services/cluster/jsonSchemaSource';
import type { ConfigFileKind } from '../services/cluster/schemaTypes';
import { IncrementalYamlParser } from '../services/yaml/incrementalParse';
import { loadConfigWorkspace, type ConfigWorkspace, type LoadOptions } from './configWorkspace';

export interface OpenDocumentSource {
  /** The open document's text and version for a file path, if it is open. */
  get(filePath: string): { text: string; version: number } | undefined;
}

export interface ConfigFileState {
  kind: ConfigFileKind;
  filePath: string;
  /** Undefined when the file exists neither open nor on disk. */
  analysis?: ConfigFileAnalysis;
  /** The open document's version, when open. */
  version?: number;
  /** The text that was checked. */
  text?: string;
}

export interface RootCheck {
  workspace: ConfigWorkspace;
  files: Record<ConfigFileKind, ConfigFileState>;
  problems: ConfigDiagnosticsResult;
}

interface LoadedWorkspace {
  workspace: Promise<ConfigWorkspace>;
  modelines: Partial<Record<ConfigFileKind, string>>;
}

export class ConfigFileStore {
  private readonly workspaces = new Map<string, LoadedWorkspace>();
  /** Last analysis per file path, reused while the text is unchanged. */
  private readonly analyses = new Map<string, { text: string; schemaGeneration: ConfigWorkspace; analysis: ConfigFileAnalysis }>();
  /** One incremental parser per file path: edits re-parse only the keys they touch. */
  private readonly parsers = new Map<string, IncrementalYamlParser>();

  /** Texts of closed config files; only kept while file events tell us when they change. */
  private readonly diskTexts = new Map<string, Promise<string | undefined>>();

  constructor(
    private readonly reader: FileReader,
    private readonly options: () => Omit<LoadOptions, 'modelines'>,
    /** Whether file-change events reach `fileChanged` (the client watches files); else disk is read each check. */
    private readonly isWatchingFiles: () => boolean = () => false,
  ) {}

  /** A file changed, was created or deleted on disk, or an editor closed it: read it again next time. */
  fileChanged(filePath: string): void {
    this.diskTexts.delete(filePath);
  }

  private diskText(filePath: string): Promise<string | undefined> {
    if (!this.isWatchingFiles()) return this.reader.readText(filePath);
    let cached = this.diskTexts.get(filePath);
    if (!cached) this.diskTexts.set(filePath, (cached = this.reader.readText(filePath)));
    return cached;
  }

  /** The workspace root a config file belongs to: the folder that holds it. */
  static rootOf(filePath: string): string {
    return path.dirname(filePath);
  }

  /** Forget loaded schemas (all roots, or one): the next check reads them again. */
  invalidate(root?: string): void {
    if (root === undefined) {
      this.workspaces.clear();
      this.diskTexts.clear();
    } else this.workspaces.delete(root);
  }

  /**
   * The loaded workspace of a root. With `modelines` (what the files' modelines say now), a change
   * of them reloads; without, whatever is loaded is used.
   */
  workspaceFor(root: string, modelines?: Partial<Record<ConfigFileKind, string>>): Promise<ConfigWorkspace> {
    const loaded = this.workspaces.get(root);
    if (loaded && (!modelines || (loaded.modelines.cluster === modelines.cluster && loaded.modelines.nodes === modelines.nodes))) return loaded.workspace;
    const wanted = modelines ?? {};
    const workspace = loadConfigWorkspace(root, this.reader, { ...this.options(), modelines: wanted });
    this.workspaces.set(root, { workspace, modelines: wanted });
    return workspace;
  }

  /** Whether a path is one of the files whose change means reloading a workspace schema. */
  async isSchemaFile(filePath: string): Promise<boolean> {
    for (const loaded of this.workspaces.values()) {
      const workspace = await loaded.workspace;
      if (workspace.watchedFiles.includes(filePath)) return true;
    }
    return false;
  }

  /**
   * Checks both config files of `root`, the open versions where open. Example: after an edit of
   * cluster.yaml, `problems.nodes` holds node addresses outside the new node_cidr.
   */
  async checkRoot(root: string, open: OpenDocumentSource): Promise<RootCheck> {
    const texts = {} as Record<ConfigFileKind, { filePath: string; text?: string; version?: number }>;
    for (const kind of ['cluster', 'nodes'] as const) {
      const filePath = path.join(root, `${kind}.yaml`);
      const openDoc = open.get(filePath);
      texts[kind] = openDoc ? { filePath, text: openDoc.text, version: openDoc.version } : { filePath, text: await this.diskText(filePath) };
    }
    const modelines = {
      cluster: texts.cluster.text ? findSchemaModeline(texts.cluster.text) : undefined,
      nodes: texts.nodes.text ? findSchemaModeline(texts.nodes.text) : undefined,
    };
    const workspace = await this.workspaceFor(root, modelines);
    const files = {} as Record<ConfigFileKind, ConfigFileState>;
    for (const kind of ['cluster', 'nodes'] as const) {
      const { filePath, text, version } = texts[kind];
      files[kind] = { kind, filePath, version, text, analysis: text === undefined ? undefined : this.analyze(kind, filePath, text, workspace) };
    }
    const problems = collectConfigProblems(files.cluster.analysis, files.nodes.analysis);
    return { workspace, files, problems };
  }

  private analyze(kind: ConfigFileKind, filePath: string, text: string, workspace: ConfigWorkspace): ConfigFileAnalysis {
    const cached = this.analyses.get(filePath);
    if (cached && cached.text === text && cached.schemaGeneration === workspace) return cached.analysis;
    let parser = this.parsers.get(filePath);
    if (!parser) this.parsers.set(filePath, (parser = new IncrementalYamlParser()));
    const analysis = analyzeConfigFile(kind, text, workspace[kind], (t) => parser!.parse(t));
    this.analyses.set(filePath, { text, schemaGeneration: workspace, analysis });
    return analysis;
  }

  /** The latest analysis of a file, if it has been checked with the current text. */
  analysisOf(filePath: string, text: string): ConfigFileAnalysis | undefined {
    const cached = this.analyses.get(filePath);
    return cached && cached.text === text ? cached.analysis : undefined;
  }
}
