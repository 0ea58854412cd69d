// Renders a workspace the way makejinja 2.8.2 does (src/makejinja/app.py: handle_input_dir,
// generate_output_path, render_file, render_dir, postprocess_rendered_dirs), entirely in memory:
// the result is a plan of files to write and folders to remove, with every template error. Reads
// through a FileReader; writes nothing (host/atomicWrite.ts applies a plan). Keeps what it loaded
// warm between renders and reloads only what a changed file affects.
import * as path from 'node:path';
import type { FileReader, FileStat } from '../../host/fileReader';
import type { PluginFileAccess } from '../../host/fileReader';
import type { ProcessRunner } from '../../host/processRunner';
import { comparePyPaths, loadFileData, loadMakejinjaData, pySuffix, pyPathText, type DataFileError } from './dataFiles';
import { unsupportedExtensions } from './extensions';
import { RenderError, TemplateEnvironment, type TemplateSource } from './environment';
import { jinjaSyntaxOf, readMakejinjaConfig, type MakejinjaConfig } from './makejinjaConfig';
import { computeDerivedData, type DerivedDataResult, type PluginSource } from './pluginData';
import { nativePluginCallables, type PluginCallables } from './pluginNatives';
import { PyDict, PyError, type PyErrorType, type PyValue } from './pyValues';

export interface WorkspaceRenderOptions {
  /** Write into this folder instead of makejinja.toml's output (the workspace is then left untouched). */
  outputRoot?: string;
  /** The process environment the templates see as `env`. */
  env: Record<string, string>;
  /** How the plugins' data() is computed: statically, or by running Python (trusted workspaces). */
  derivedData: 'static' | { python: string; runner: ProcessRunner; timeoutMs?: number; scriptPath?: string };
  /** Synchronous file access for plugin functions; by default a snapshot taken at load time. */
  pluginFiles?: PluginFileAccess;
}

export type PlannedFileKind = 'rendered' | 'copied';

export interface PlannedFile {
  /** Absolute path of the output file. */
  outputPath: string;
  /**
   * The output path relative to the workspace root, or to `outputRoot` when one is given (where the
   * file would be in the workspace), with '/' separators.
   */
  relativePath: string;
  /** Absolute path of the template or copied file. */
  inputPath: string;
  /** The loader name of a rendered template. */
  templateName?: string;
  kind: PlannedFileKind;
  content: string | Uint8Array;
  /** Permission bits to give the file: the input's (copy_metadata, and always for copied files). */
  mode?: number;
}

export interface PlannedDirectory {
  /** Absolute path of the output folder. */
  outputPath: string;
  inputPath: string;
  /** The input folder's permission bits (copy_metadata). */
  mode?: number;
}

/** A template (or data, or makejinja.toml) problem: makejinja would stop with this exception. */
export interface PlanError {
  /** Absolute path of the file at fault (the template the error is in, possibly an included one). */
  templatePath: string;
  /** The loader name, for templates. */
  templateName?: string;
  /** 1-based. */
  line: number;
  pyType: PyErrorType | 'ConfigError';
  message: string;
}

/** The shape the language server's render session shows at a template line. */
export interface PlanProblem {
  templatePath: string;
  line: number;
  message: string;
}

export interface RenderPlan {
  files: PlannedFile[];
  /** Output folders the render keeps or creates (with keep_empty, empty ones too). */
  directories: PlannedDirectory[];
  /** Existing output folders the render leaves empty: makejinja removes them. Deepest first. */
  directoriesToRemove: string[];
  errors: PlanError[];
  /** The errors as `Type: message` at a template line. */
  problems: PlanProblem[];
  /** Options not honoured, skipped paths, approximate derived data: said, never silent. */
  notes: string[];
  /** Outputs makejinja would not overwrite (force = false and the file exists). */
  skippedExisting: string[];
}

export interface RenderOneResult {
  /** The rendered text (also when makejinja would skip it as empty). */
  text?: string;
  error?: PlanError;
  /** Where makejinja writes it; undefined for files outside the inputs. */
  outputPath?: string;
  notes: string[];
}

interface InputEntry {
  /** Relative to its input folder, '/'-separated. */
  relative: string;
  absolute: string;
  kind: 'file' | 'directory';
  mode: number;
  /** The input path as written plus the relative path: what exclude_patterns are matched against. */
  fullPath: string;
  /** Computed once per listing (the config does not change while the listing is kept). */
  outputPath?: string;
  isExcluded?: boolean;
}

interface InputRoot {
  /** As written in makejinja.toml. */
  written: string;
  absolute: string;
  kind: 'directory' | 'file' | 'missing';
  entries: InputEntry[];
}

interface LoadedState {
  config: MakejinjaConfig;
  /** Errors that stop makejinja before it renders anything (config, data, extensions). */
  fatal: PlanError[];
  notes: string[];
  fileData: Map<string, PyDict>;
  environment?: TemplateEnvironment;
  derived?: DerivedDataResult;
  callables?: PluginCallables;
  /** Files whose change needs a full reload (makejinja.toml, data, plugin modules, plugin input files). */
  reloadOn: Set<string>;
  /** Folders whose contents' change needs a full reload (data folders, import paths). */
  reloadUnder: string[];
  /** The folder outputs go to. */
  outputBase: string;
}

const PLUGIN_DEFAULT_FILES = ['age.key', 'cloudflare-tunnel.json', 'github-deploy.key', 'github-push-token.txt'];

/**
 * A warm renderer for one workspace root. Example:
 * `await new WorkspaceRenderer('/ws', nodeFileReader, { env: {}, derivedData: 'static' }).plan()`
 * gives every output file of the workspace with its content, and the errors of every template.
 */
export class WorkspaceRenderer {
  private state?: LoadedState;
  private loading?: Promise<LoadedState>;
  private inputs?: InputRoot[];
  private readonly texts = new Map<string, string>();
  private readonly bytes = new Map<string, Uint8Array>();
  /** Loader name → absolute path (the first input folder holding it), for the environment. */
  private templateIndex = new Map<string, string>();
  /** The plugin's default files (age.key, ...) as read at load time. */
  private snapshot = new Map<string, string>();
  /** Listed files changed since they were read: read again before the next render. */
  private readonly pendingReads = new Set<string>();
  /** Folder → its direct entries, over the inputs as last listed (talos_patches lists them). */
  private children = new Map<string, { name: string; isFile: boolean; isDirectory: boolean }[]>();

  constructor(
    readonly root: string,
    private readonly reader: FileReader,
    private readonly options: WorkspaceRenderOptions,
  ) {}

  /**
   * A file changed (saved, created, deleted). Templates are re-read in place; makejinja.toml,
   * data files and plugin modules make the next render reload everything. Always handled here.
   */
  fileChanged(filePath: string): boolean {
    const state = this.state;
    if (!state) {
      // A load in progress may have read the old content: start over at the next render.
      if (this.loading) this.reloadAll();
      return true;
    }
    if (state.reloadOn.has(filePath) || state.reloadUnder.some((folder) => isInside(folder, filePath))) {
      this.reloadAll();
      return true;
    }
    if (this.inputs?.some((input) => input.absolute === filePath || isInside(input.absolute, filePath))) {
      this.texts.delete(filePath);
      this.bytes.delete(filePath);
      for (const [name, filePathOfName] of this.templateIndex) if (filePathOfName === filePath) state.environment?.invalidate(name);
      // A file we listed changed: read it again. Anything else (new, a folder): list the inputs again.
      const isListed = this.inputs.some((input) => input.absolute === filePath || input.entries.some((entry) => entry.absolute === filePath && entry.kind === 'file'));
      if (isListed) this.pendingReads.add(filePath);
      else this.inputs = undefined;
    }
    if (this.snapshot.has(filePath) || PLUGIN_DEFAULT_FILES.some((name) => path.join(this.root, name) === filePath)) this.reloadAll();
    return true;
  }

  /** Forgets everything: the next render loads the workspace again. */
  reloadAll(): void {
    this.pendingReads.clear();
    this.state = undefined;
    this.loading = undefined;
    this.inputs = undefined;
    this.texts.clear();
    this.bytes.clear();
  }

  /** Renders every input in memory: what makejinja would write, or every error it would meet. */
  async plan(): Promise<RenderPlan> {
    const state = await this.load();
    const plan: RenderPlan = { files: [], directories: [], directoriesToRemove: [], errors: [...state.fatal], problems: [], notes: [...state.notes], skippedExisting: [] };
    if (state.fatal.length > 0 || !state.environment) return finishPlan(plan);
    const inputs = await this.loadInputs(state);
    const environment = state.environment;
    const { config } = state;

    const renderedFiles = new Map<string, string>();
    const renderedDirs = new Map<string, InputEntry>();
    const singleOutput = await this.singleOutputPath(state, inputs);

    for (const input of inputs) {
      if (input.kind === 'missing') {
        plan.notes.push(`The input ${input.written} does not exist; makejinja skips it.`);
        continue;
      }
      if (input.kind === 'file') {
        // handle_input_file: rendered through the DictLoader by its file name, whatever its suffix.
        const name = path.basename(input.absolute);
        const outputPath = singleOutput ?? this.outputPathOf(state, name);
        if (!renderedFiles.has(outputPath)) await this.renderTemplate(state, plan, name, input.absolute, outputPath, await this.modeOf(input.absolute));
        renderedFiles.set(outputPath, input.absolute);
        continue;
      }
      const isSuffixEnforced = config.jinja_suffix !== '';
      for (const entry of this.selectEntries(input, config.include_patterns)) {
        entry.outputPath ??= this.outputPathOf(state, entry.relative);
        const outputPath = entry.outputPath;
        entry.isExcluded ??= config.exclude_patterns.some((pattern) => pathMatch(entry.fullPath, pattern));
        if (entry.isExcluded) continue;
        if (entry.kind === 'file' && !renderedFiles.has(outputPath)) {
          if (pySuffix(entry.relative) === config.jinja_suffix || !isSuffixEnforced) {
            await this.renderTemplate(state, plan, entry.relative, entry.absolute, outputPath, entry.mode);
          } else if (await this.mayWrite(state, plan, outputPath)) {
            const content = await this.bytesOf(entry.absolute);
            if (content === undefined) {
              plan.errors.push({ templatePath: entry.absolute, line: 1, pyType: 'FileNotFoundError', message: `could not read ${entry.relative}` });
            } else {
              plan.files.push(this.planned(outputPath, entry.absolute, 'copied', content, entry.mode));
            }
          }
          renderedFiles.set(outputPath, entry.absolute);
        } else if (entry.kind === 'directory' && !renderedDirs.has(outputPath)) {
          renderedDirs.set(outputPath, entry);
        }
      }
    }
    await this.planDirectories(state, plan, renderedDirs);
    return finishPlan(plan);
  }

  /**
   * Renders one template for the live preview: `text` is the editor's unsaved text (the file's
   * own text when omitted). Errors come back, not thrown.
   */
  async renderOne(inputPath: string, text?: string): Promise<RenderOneResult> {
    const state = await this.load();
    const notes = [...state.notes];
    if (state.fatal.length > 0 || !state.environment) return { error: state.fatal[0], notes };
    const inputs = await this.loadInputs(state);
    const located = locateInput(inputs, inputPath);
    const name = located?.name ?? path.basename(inputPath);
    const result: RenderOneResult = { notes };
    if (located) {
      result.outputPath = this.outputPathOf(state, located.name);
      const winner = this.templateIndex.get(located.name);
      if (located.input.kind === 'directory' && winner && winner !== inputPath) {
        notes.push(`${path.relative(this.root, winner)} has the same name in an earlier input folder: makejinja renders that file, not this one.`);
      }
      const fullPath = located.input.kind === 'directory' ? `${pyPathText(located.input.written)}/${located.name}` : located.name;
      if (located.input.kind === 'directory' && state.config.exclude_patterns.some((pattern) => safeMatch(fullPath, pattern))) {
        notes.push('This file matches exclude_patterns: makejinja does not render it on its own (templates may include it).');
      }
    }
    const source: TemplateSource = { name, text: text ?? this.texts.get(inputPath) ?? (await this.reader.readText(inputPath)) ?? '', path: inputPath };
    try {
      result.text = state.environment.renderSource(source, state.fileData.get(name) ?? new Map());
    } catch (error) {
      result.error = this.errorOf(error, name, inputPath);
    }
    return result;
  }

  /** renderOne in the shape the server's render session takes. */
  async preview(inputPath: string, text: string): Promise<{ text?: string; problem?: PlanProblem; outputPath?: string; notes: string[] }> {
    const one = await this.renderOne(inputPath, text);
    const out: { text?: string; problem?: PlanProblem; outputPath?: string; notes: string[] } = { notes: one.notes };
    if (one.text !== undefined) out.text = one.text;
    if (one.error) out.problem = problemOf(one.error);
    if (one.outputPath !== undefined) out.outputPath = one.outputPath;
    return out;
  }

  // -- loading ----------------------------------------------------------------------------------

  private load(): Promise<LoadedState> {
    if (this.state) return Promise.resolve(this.state);
    if (!this.loading) {
      const loading = this.loadState().then((state) => {
        if (this.loading === loading) this.state = state;
        return state;
      });
      this.loading = loading;
      loading.catch(() => {
        if (this.loading === loading) this.loading = undefined;
      });
    }
    return this.loading;
  }

  private async loadState(): Promise<LoadedState> {
    const tomlPath = path.join(this.root, 'makejinja.toml');
    const reloadOn = new Set<string>([tomlPath]);
    const notes: string[] = [];
    const fatal: PlanError[] = [];
    const tomlText = await this.reader.readText(tomlPath);
    const read = readMakejinjaConfig(tomlText ?? '');
    const config = read.config;
    const outputBase = this.options.outputRoot ? path.resolve(this.options.outputRoot) : path.resolve(this.root, config.output || '.');
    const state: LoadedState = { config, fatal, notes, fileData: new Map(), reloadOn, reloadUnder: [], outputBase };
    if (tomlText === undefined) {
      fatal.push({ templatePath: tomlPath, line: 1, pyType: 'ConfigError', message: 'makejinja.toml not found: makejinja reads its inputs, output and data from it' });
      return state;
    }
    for (const problem of read.problems) {
      if (problem.severity === 'error') fatal.push({ templatePath: tomlPath, line: (problem.line ?? 0) + 1, pyType: 'ConfigError', message: problem.message });
      else if (!problem.message.startsWith('the editor renderer implements jinja2.ext.do')) notes.push(`makejinja.toml: ${problem.message}`);
    }
    const missingExtensions = unsupportedExtensions(config.extensions);
    if (missingExtensions.length > 0) {
      fatal.push({ templatePath: tomlPath, line: 1, pyType: 'ConfigError', message: `Jinja extensions ${missingExtensions.join(', ')} are not supported by this renderer (it implements jinja2.ext.do and jinja2.ext.loopcontrols); render with makejinja instead` });
    }
    if (config.internal.autoescape) {
      fatal.push({ templatePath: tomlPath, line: 1, pyType: 'ConfigError', message: 'internal.autoescape = true is not supported by this renderer (its output would differ from makejinja)' });
    }
    if (config.exclude_patterns.some((pattern) => pattern.split('/').every((part) => part === '' || part === '.'))) {
      // Path.match raises ValueError("empty pattern") on the first path makejinja checks.
      fatal.push({ templatePath: tomlPath, line: 1, pyType: 'ValueError', message: 'exclude_patterns: empty pattern' });
    }
    if (config.copy_metadata) notes.push('copy_metadata: file and folder permissions are copied; access and modification times are not.');
    if (fatal.length > 0) return state;

    // Data: makejinja's load_data, then the file-specific data of file_data.
    for (const entry of config.data) state.reloadUnder.push(path.resolve(this.root, entry));
    const loaded = await loadMakejinjaData(this.root, config, this.reader);
    for (const file of loaded.files) reloadOn.add(file.filePath);
    notes.push(...loaded.notes);
    if (loaded.error) {
      fatal.push(dataError(loaded.error));
      return state;
    }
    const fileData = await loadFileData(this.root, config, this.reader);
    for (const file of fileData.files) reloadOn.add(file.filePath);
    for (const entries of Object.values(config.file_data)) for (const entry of entries) reloadOn.add(path.resolve(this.root, entry));
    notes.push(...fileData.notes);
    if (fileData.error) {
      fatal.push(dataError(fileData.error));
      return state;
    }
    state.fileData = fileData.byTemplate;

    // Plugins: their module files, the files their functions read, then derived data.
    const plugins = await this.findPlugins(config);
    for (const plugin of plugins) if (plugin.filePath) reloadOn.add(plugin.filePath);
    for (const importPath of config.import_paths) {
      const folder = path.resolve(this.root, importPath);
      // The workspace root itself is an import path by default; only .py changes there matter.
      if (folder !== this.root) state.reloadUnder.push(folder);
    }
    await this.loadInputs(state);
    const pluginFiles = this.options.pluginFiles ?? (await this.snapshotPluginFiles());
    const mode = this.options.derivedData === 'static' ? 'static' : this.options.derivedData;
    const derived = await computeDerivedData({ root: this.root, config, data: loaded.data, plugins, mode, files: pluginFiles });
    state.derived = derived;
    notes.push(...derived.notes);
    const hasPlugins = plugins.length > 0;
    const callables = hasPlugins ? nativePluginCallables(this.root, pluginFiles, derived.declared) : { functions: new Map(), filters: new Map(), tests: new Map(), missing: [] };
    state.callables = callables;
    if (callables.missing.length > 0) {
      notes.push(`plugin.py defines ${callables.missing.join(', ')}, which this renderer does not implement: templates using them fail to render.`);
    }

    // makejinja's globals: the data, `env`, then each plugin's functions and data() (later wins).
    const globals = new Map<string, PyValue>();
    for (const [key, value] of loaded.data) if (typeof key === 'string') globals.set(key, value);
    globals.set('env', PyDict.of(Object.entries(this.options.env)));
    for (const [name, fn] of callables.functions) globals.set(name, fn);
    for (const [key, value] of derived.derived) if (typeof key === 'string') globals.set(key, value);

    try {
      state.environment = new TemplateEnvironment({
        syntax: jinjaSyntaxOf(config),
        keepTrailingNewline: config.whitespace.keep_trailing_newline,
        newlineSequence: config.whitespace.newline_sequence,
        undefinedMode: config.undefined,
        loadTemplate: (name) => this.loadTemplate(name),
        globals,
        filters: callables.filters,
        tests: callables.tests,
        extensions: config.extensions,
      });
    } catch (error) {
      if (!(error instanceof PyError)) throw error;
      fatal.push({ templatePath: tomlPath, line: 1, pyType: error.pyType, message: error.message });
    }
    return state;
  }

  /** Every input: its kind and, for folders, every file and folder below it (sorted like pathlib). */
  private async loadInputs(state: LoadedState): Promise<InputRoot[]> {
    for (const filePath of this.pendingReads) {
      this.pendingReads.delete(filePath);
      await this.ensureText(filePath);
      // Gone (deleted, or now a folder): the listing is out of date.
      if (!this.texts.has(filePath)) this.inputs = undefined;
    }
    if (this.inputs) return this.inputs;
    const inputs: InputRoot[] = [];
    for (const written of state.config.inputs) {
      const absolute = path.resolve(this.root, written);
      const stat = await this.statOf(absolute);
      if (!stat) {
        inputs.push({ written, absolute, kind: 'missing', entries: [] });
        continue;
      }
      if (stat.kind === 'file') {
        inputs.push({ written, absolute, kind: 'file', entries: [] });
        await this.ensureText(absolute);
        continue;
      }
      const listed = (await this.reader.listEntries?.(absolute)) ?? ((await this.reader.listFiles?.(absolute)) ?? []).map((p) => ({ path: p, kind: 'file' as const }));
      const entries: InputEntry[] = [];
      for (const item of listed) {
        if (item.kind === 'other') continue;
        const relative = path.relative(absolute, item.path).split(path.sep).join('/');
        // Modes: copied files always take theirs (shutil.copy2); templates and folders only with copy_metadata.
        const needsMode = item.kind === 'file' || state.config.copy_metadata;
        const mode = needsMode ? ((await this.statOf(item.path))?.mode ?? (item.kind === 'file' ? 0o644 : 0o755)) : 0o755;
        entries.push({ relative, absolute: item.path, kind: item.kind, mode, fullPath: `${pyPathText(written)}/${relative}` });
      }
      entries.sort((a, b) => comparePyPaths(a.relative, b.relative));
      inputs.push({ written, absolute, kind: 'directory', entries });
    }
    // Preload every file's text: templates include each other (excluded partials too) synchronously.
    for (const input of inputs) for (const entry of input.entries) if (entry.kind === 'file') await this.ensureText(entry.absolute);
    const index = buildTemplateIndex(inputs);
    // A name that now resolves to another file (an override added or removed) must be parsed again.
    for (const name of new Set([...index.keys(), ...this.templateIndex.keys()])) {
      if (index.get(name) !== this.templateIndex.get(name)) state.environment?.invalidate(name);
    }
    this.templateIndex = index;
    this.children = childrenOf(inputs);
    this.inputs = inputs;
    return inputs;
  }

  private async ensureText(filePath: string): Promise<void> {
    if (this.texts.has(filePath)) return;
    const text = await this.reader.readText(filePath);
    if (text !== undefined) this.texts.set(filePath, text);
  }

  private async bytesOf(filePath: string): Promise<Uint8Array | undefined> {
    const known = this.bytes.get(filePath);
    if (known) return known;
    const bytes = this.reader.readBytes ? await this.reader.readBytes(filePath) : textBytes(this.texts.get(filePath) ?? (await this.reader.readText(filePath)));
    if (bytes) this.bytes.set(filePath, bytes);
    return bytes;
  }

  private async statOf(filePath: string): Promise<FileStat | undefined> {
    if (this.reader.stat) return this.reader.stat(filePath);
    if ((await this.reader.readText(filePath)) !== undefined) return { kind: 'file', mode: 0o644 };
    const listed = await this.reader.listFiles?.(filePath);
    return listed && listed.length > 0 ? { kind: 'directory', mode: 0o755 } : undefined;
  }

  private async modeOf(filePath: string): Promise<number> {
    return (await this.statOf(filePath))?.mode ?? 0o644;
  }

  /** The jinja2 ChoiceLoader of makejinja: input files by name, then the input folders in order. */
  private loadTemplate(name: string): TemplateSource | undefined {
    const filePath = this.templateIndex.get(name);
    if (!filePath) return undefined;
    const text = this.texts.get(filePath);
    return text === undefined ? undefined : { name, text, path: filePath };
  }

  /** The module file of each plugin on the import paths (first match, like sys.path order). */
  private async findPlugins(config: MakejinjaConfig): Promise<PluginSource[]> {
    const out: PluginSource[] = [];
    for (const spec of [...config.plugins, ...config.loaders]) {
      const module = spec.includes(':') ? spec.slice(0, spec.indexOf(':')) : spec.slice(0, Math.max(0, spec.lastIndexOf('.')));
      const source: PluginSource = { spec };
      for (const importPath of config.import_paths) {
        const base = path.resolve(this.root, importPath, ...module.split('.'));
        for (const candidate of [`${base}.py`, path.join(base, '__init__.py')]) {
          const text = await this.reader.readText(candidate);
          if (text !== undefined) {
            source.filePath = candidate;
            source.text = text;
            break;
          }
        }
        if (source.text !== undefined) break;
      }
      out.push(source);
    }
    return out;
  }

  /**
   * Files the plugin functions may read, from memory: the files upstream's functions read by
   * default (read now) and the inputs as currently listed (kept fresh by fileChanged).
   */
  private async snapshotPluginFiles(): Promise<PluginFileAccess> {
    const files = new Map<string, string>();
    for (const name of PLUGIN_DEFAULT_FILES) {
      const filePath = path.join(this.root, name);
      const text = await this.reader.readText(filePath);
      if (text !== undefined) files.set(filePath, text);
    }
    this.snapshot = files;
    return {
      readText: (filePath) => this.snapshot.get(filePath) ?? this.texts.get(filePath),
      listDir: (folder) => this.children.get(folder),
    };
  }

  // -- rendering --------------------------------------------------------------------------------

  /** handle_input_dir's generator: for each include pattern, the sorted glob results. */
  private selectEntries(input: InputRoot, patterns: string[]): InputEntry[] {
    const out: InputEntry[] = [];
    for (const pattern of patterns) {
      const matcher = globMatcher(pattern);
      out.push(...input.entries.filter((entry) => matcher(entry.relative, entry.kind)));
    }
    return out;
  }

  /** generate_output_path: output / relative path, the jinja suffix dropped. */
  private outputPathOf(state: LoadedState, relative: string): string {
    const { config } = state;
    let outputRelative = relative;
    if (pySuffix(relative) === config.jinja_suffix && !config.keep_jinja_suffix) outputRelative = relative.slice(0, relative.length - pySuffix(relative).length);
    return path.join(state.outputBase, ...outputRelative.split('/'));
  }

  /** single_input_output_file: one input file and an output that names a file. */
  private async singleOutputPath(state: LoadedState, inputs: InputRoot[]): Promise<string | undefined> {
    if (this.options.outputRoot) return undefined;
    if (inputs.length > 1 || inputs.some((input) => input.kind === 'directory')) return undefined;
    const outputStat = await this.statOf(state.outputBase);
    if (outputStat?.kind === 'directory') return undefined;
    if (pySuffix(state.outputBase) !== '' || outputStat?.kind === 'file') return state.outputBase;
    return undefined;
  }

  /** render_file and render_dir skip outputs that exist unless force is set. */
  private async mayWrite(state: LoadedState, plan: RenderPlan, outputPath: string): Promise<boolean> {
    if (state.config.force) return true;
    if (!(await this.statOf(outputPath))) return true;
    plan.skippedExisting.push(outputPath);
    return false;
  }

  private async renderTemplate(state: LoadedState, plan: RenderPlan, name: string, inputPath: string, outputPath: string, mode: number): Promise<void> {
    if (!(await this.mayWrite(state, plan, outputPath))) return;
    let text: string;
    try {
      text = state.environment!.render(name, state.fileData.get(name) ?? new Map());
    } catch (error) {
      const found = this.errorOf(error, name, inputPath);
      // A broken partial fails every template including it: one error per place is enough.
      const isKnown = plan.errors.some((e) => e.templatePath === found.templatePath && e.line === found.line && e.message === found.message);
      if (!isKnown) plan.errors.push(found);
      return;
    }
    // Prevents empty macro definitions (makejinja): a template rendering only whitespace writes nothing.
    if (isPyBlank(text) && !state.config.keep_empty) return;
    const file = this.planned(outputPath, inputPath, 'rendered', text, state.config.copy_metadata ? mode : undefined);
    file.templateName = name;
    plan.files.push(file);
  }

  private planned(outputPath: string, inputPath: string, kind: PlannedFileKind, content: string | Uint8Array, mode: number | undefined): PlannedFile {
    const base = this.options.outputRoot ? path.resolve(this.options.outputRoot) : this.root;
    // Outputs are nearly always below the base: slicing is much cheaper than path.relative.
    const relativePath = outputPath.startsWith(base + path.sep) ? outputPath.slice(base.length + 1) : path.relative(base, outputPath);
    const file: PlannedFile = { outputPath, relativePath: relativePath.split(path.sep).join('/'), inputPath, kind, content };
    if (mode !== undefined) file.mode = mode;
    return file;
  }

  /** postprocess_rendered_dirs: which output folders exist after the render, and which makejinja removes. */
  private async planDirectories(state: LoadedState, plan: RenderPlan, renderedDirs: Map<string, InputEntry>): Promise<void> {
    const { config } = state;
    // Folders holding something the render writes or keeps: every ancestor of a planned file.
    const filled = new Set<string>();
    const fill = (filePath: string): void => {
      for (let dir = path.dirname(filePath); !filled.has(dir) && dir !== path.dirname(dir); dir = path.dirname(dir)) filled.add(dir);
    };
    for (const file of plan.files) fill(file.outputPath);
    const removed = new Set<string>();
    const hasChild = async (folder: string): Promise<boolean> => {
      if (filled.has(folder)) return true;
      const existing = (await this.reader.listEntries?.(folder)) ?? [];
      return existing.some((entry) => ![...removed].some((gone) => gone === entry.path || isInside(gone, entry.path)));
    };
    // Deepest first (reverse path order), as makejinja walks them.
    for (const [outputPath, entry] of [...renderedDirs].sort((a, b) => comparePyPaths(b[0], a[0]))) {
      if (!config.keep_empty && !(await hasChild(outputPath))) {
        if ((await this.statOf(outputPath))?.kind === 'directory') removed.add(outputPath);
        continue;
      }
      fill(outputPath);
      const directory: PlannedDirectory = { outputPath, inputPath: entry.absolute };
      if (config.copy_metadata) directory.mode = entry.mode;
      plan.directories.push(directory);
    }
    plan.directories.reverse();
    plan.directoriesToRemove.push(...[...removed].sort((a, b) => comparePyPaths(b, a)));
  }

  private errorOf(error: unknown, name: string, inputPath: string): PlanError {
    if (error instanceof RenderError) {
      const templatePath = error.templatePath ?? this.templateIndex.get(error.templateName) ?? inputPath;
      return { templatePath, templateName: error.templateName, line: error.line, pyType: error.pyType, message: error.message };
    }
    if (error instanceof PyError) return { templatePath: inputPath, templateName: name, line: 1, pyType: error.pyType, message: error.message };
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers

function finishPlan(plan: RenderPlan): RenderPlan {
  plan.problems = plan.errors.map(problemOf);
  return plan;
}

function problemOf(error: PlanError): PlanProblem {
  return { templatePath: error.templatePath, line: error.line, message: `${error.pyType}: ${error.message}` };
}

function dataError(error: DataFileError): PlanError {
  return { templatePath: error.filePath, line: error.line ?? 1, pyType: error.pyType, message: error.message };
}

function textBytes(text: string | undefined): Uint8Array | undefined {
  return text === undefined ? undefined : new TextEncoder().encode(text);
}

function isInside(folder: string, filePath: string): boolean {
  const relative = path.relative(folder, filePath);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
}

// str.strip() == '' in Python: only whitespace characters (str.isspace) in the text.
const PY_BLANK = /^[\t\n\x0b\x0c\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$/;

function isPyBlank(text: string): boolean {
  return PY_BLANK.test(text);
}

/** Loader name → file: input files by name first (DictLoader), then the folders in order (FileSystemLoader). */
function buildTemplateIndex(inputs: InputRoot[]): Map<string, string> {
  const index = new Map<string, string>();
  for (const input of inputs) if (input.kind === 'file' && !index.has(path.basename(input.absolute))) index.set(path.basename(input.absolute), input.absolute);
  for (const input of inputs) {
    if (input.kind !== 'directory') continue;
    for (const entry of input.entries) if (entry.kind === 'file' && !index.has(entry.relative)) index.set(entry.relative, entry.absolute);
  }
  return index;
}

/** Every input folder's direct entries, by absolute folder path. */
function childrenOf(inputs: InputRoot[]): Map<string, { name: string; isFile: boolean; isDirectory: boolean }[]> {
  const children = new Map<string, { name: string; isFile: boolean; isDirectory: boolean }[]>();
  for (const input of inputs) {
    if (input.kind !== 'directory') continue;
    children.set(input.absolute, []);
    for (const entry of input.entries) {
      if (entry.kind === 'directory' && !children.has(entry.absolute)) children.set(entry.absolute, []);
      const parent = path.dirname(entry.absolute);
      children.get(parent)?.push({ name: path.basename(entry.absolute), isFile: entry.kind === 'file', isDirectory: entry.kind === 'directory' });
    }
  }
  return children;
}

function locateInput(inputs: InputRoot[], filePath: string): { input: InputRoot; name: string } | undefined {
  for (const input of inputs) {
    if (input.kind === 'file' && input.absolute === filePath) return { input, name: path.basename(filePath) };
    if (input.kind === 'directory' && isInside(input.absolute, filePath)) return { input, name: path.relative(input.absolute, filePath).split(path.sep).join('/') };
  }
  return undefined;
}

/** fnmatch.fnmatchcase's pattern language for one path part: *, ?, [seq], [!seq]; no escapes. */
export function fnmatchCase(name: string, pattern: string): boolean {
  let compiled = FNMATCH_CACHE.get(pattern);
  if (!compiled) {
    compiled = fnmatchRegExp(pattern);
    if (FNMATCH_CACHE.size >= FNMATCH_CACHE_LIMIT) FNMATCH_CACHE.clear();
    FNMATCH_CACHE.set(pattern, compiled);
  }
  return compiled.test(name);
}

// Patterns come from makejinja.toml: a handful, each compiled once (a cache of pure results, kept small).
const FNMATCH_CACHE = new Map<string, RegExp>();
const FNMATCH_CACHE_LIMIT = 256;

function fnmatchRegExp(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') {
      source += '.*';
      while (pattern[i + 1] === '*') i++;
    } else if (c === '?') source += '.';
    else if (c === '[') {
      let j = i + 1;
      if (pattern[j] === '!') j++;
      if (pattern[j] === ']') j++;
      while (j < pattern.length && pattern[j] !== ']') j++;
      if (j >= pattern.length) source += '\\[';
      else {
        let body = pattern.slice(i + 1, j);
        const isNegated = body.startsWith('!');
        if (isNegated) body = body.slice(1);
        body = body.replace(/\\/g, '\\\\').replace(/\^/g, '\\^').replace(/\[/g, '\\[').replace(/\]/g, '\\]');
        source += `[${isNegated ? '^' : ''}${body}]`;
        i = j;
      }
    } else source += c.replace(/[.+^${}()|\\\]]/g, '\\$&');
  }
  return new RegExp(`^(?:${source})$`, 'su');
}

/**
 * PurePath.match (Python 3.11): the pattern's parts match the path's last parts; an absolute
 * pattern must match the whole path. `**` is no wildcard of its own here: it acts like `*`.
 * @example pathMatch('templates/config/a.partial.yaml.j2', '*.partial.yaml.j2') === true
 */
export function pathMatch(filePath: string, pattern: string): boolean {
  const isAbsolute = pattern.startsWith('/');
  const patternParts = pattern.split('/').filter((part) => part !== '' && part !== '.');
  if (patternParts.length === 0) throw new PyError('ValueError', 'empty pattern');
  const pathIsAbsolute = filePath.startsWith('/');
  const parts = filePath.split('/').filter((part) => part !== '' && part !== '.');
  if (isAbsolute) {
    if (!pathIsAbsolute || patternParts.length !== parts.length) return false;
  } else if (patternParts.length > parts.length) return false;
  const tail = parts.slice(parts.length - patternParts.length);
  return patternParts.every((part, i) => fnmatchCase(tail[i], part));
}

function safeMatch(filePath: string, pattern: string): boolean {
  try {
    return pathMatch(filePath, pattern);
  } catch {
    // An empty pattern: makejinja fails on it; the full render reports that.
    return false;
  }
}

/**
 * Path.glob (Python 3.11) as a test on a relative path: `**` spans zero or more folders; every
 * other part is fnmatch'ed; only the last part may be a file.
 */
export function globMatcher(pattern: string): (relative: string, kind: 'file' | 'directory') => boolean {
  const patternParts = pattern.split('/').filter((part) => part !== '' && part !== '.');
  const endsWithRecursive = patternParts[patternParts.length - 1] === '**';
  return (relative, kind) => {
    // A trailing `**` selects folders only.
    if (endsWithRecursive && kind !== 'directory') return false;
    const parts = relative.split('/');
    const match = (p: number, q: number): boolean => {
      if (p === patternParts.length) return q === parts.length;
      const part = patternParts[p];
      if (part === '**') {
        for (let skip = q; skip <= parts.length; skip++) if (match(p + 1, skip)) return true;
        return false;
      }
      if (q >= parts.length) return false;
      return fnmatchCase(parts[q], part) && match(p + 1, q + 1);
    };
    return match(0, 0);
  };
}
