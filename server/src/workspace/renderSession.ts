// Rendering inside the server: one warm renderer per workspace root (reloaded when its inputs
// change), the plans the client has been shown (by id, until applied or replaced), applying a plan
// (trusted workspaces only; hand edits kept unless confirmed), the render record, and the render
// problems that the server publishes next to each template's own diagnostics.
import { createHash, randomUUID } from 'node:crypto';
import * as path from 'node:path';
import { URI } from 'vscode-uri';
import {
  computeOutputStatuses,
  contentHash,
  emptyRecord,
  parseRenderRecord,
  pathsToHash,
  recordAfterApply,
  serializeRenderRecord,
  type OutputStatus,
  type RenderRecord,
} from '../engines/render/renderRecord';
import { WorkspaceRenderer } from '../engines/render/workspaceRender';
import { forEachConcurrently, WRITE_CONCURRENCY } from '../host/atomicWrite';
import type { FileReader } from '../host/fileReader';
import type { ProcessRunner } from '../host/processRunner';
import type { ApplyRenderPlanResult, RenderPlanError, RenderPlanFile, RenderPlanResult, RenderPreviewResult } from '../protocol';

/** Where derived data (the plugin's data()) comes from. */
export type DerivedDataSource = { kind: 'static' } | { kind: 'python'; pythonPath: string };

/** A render failure at a template line (1-based), by absolute template path. */
export interface RenderProblem {
  templatePath: string;
  line: number;
  message: string;
}

/** One file a render produces. */
export interface RenderedOutput {
  /** Absolute output path. */
  outputPath: string;
  /** Absolute path of the template or copied file it comes from. */
  inputPath: string;
  content: string | Uint8Array;
  /** Permission bits to give the file (copy_metadata). */
  mode?: number;
}

export interface RendererPlan {
  files: RenderedOutput[];
  /** Absolute paths of output folders the render leaves empty (makejinja removes them). */
  directoriesToRemove: string[];
  problems: RenderProblem[];
  notes: string[];
}

export interface RendererPreview {
  text?: string;
  problem?: RenderProblem;
  /** Absolute output path of the template, when it renders to a file. */
  outputPath?: string;
  notes: string[];
}

/** What the session needs from the engine's warm workspace renderer. */
export interface SessionRenderer {
  plan(): Promise<RendererPlan>;
  preview(inputPath: string, text: string): Promise<RendererPreview>;
  /** A file under the root changed (template, data file); false when the renderer must be reloaded. */
  fileChanged(filePath: string): boolean;
}

/**
 * Loads the engine's warm WorkspaceRenderer. `env` is what templates see as `env` (makejinja
 * passes the process environment); `pluginDataScript` is our plugin_data.py helper, without which
 * plugin.py is read statically.
 */
export function workspaceRendererLoader(
  reader: FileReader,
  runner: ProcessRunner,
  env: () => Record<string, string>,
  pluginDataScript: string | undefined,
): RenderSessionDeps['loadRenderer'] {
  return async (root, derivedData) =>
    new WorkspaceRenderer(root, reader, {
      env: env(),
      derivedData: derivedData.kind === 'static' ? 'static' : { python: derivedData.pythonPath, runner, scriptPath: pluginDataScript },
    });
}

/** Writes of a plan; every file write is atomic (a reader sees the old or the new file, never half). */
export interface OutputWriter {
  writeFile(filePath: string, content: string | Uint8Array, mode?: number): Promise<void>;
  removeFile(filePath: string): Promise<void>;
  /** Removes a folder if it is empty; a non-empty or missing folder is left alone. */
  removeEmptyDirectory(folder: string): Promise<void>;
}

export interface CancellationLike {
  readonly isCancellationRequested: boolean;
}

export interface RenderSessionDeps {
  /** Text of workspace files: open editors' unsaved text over the disk. Also reads output files' bytes. */
  reader: FileReader & Required<Pick<FileReader, 'readBytes'>>;
  loadRenderer(root: string, derivedData: DerivedDataSource): Promise<SessionRenderer>;
  writer: OutputWriter;
  /** The extension's workspace storage folder, where records are kept; undefined keeps them in memory. */
  storagePath(): string | undefined;
  isTrusted(): boolean;
  pythonPath(): string;
  /** Render problems changed for these templates: publish their diagnostics again. */
  onProblemsChanged(templatePaths: string[]): void;
  now(): number;
}

/** A render the client has been shown: everything needed to write it later. */
interface StoredPlan {
  root: string;
  files: Map<string, RenderedOutput>;
  statuses: Map<string, OutputStatus>;
  directoriesToRemove: string[];
  hasErrors: boolean;
  record: RenderRecord;
}

/** Raised when a request was cancelled; the handler turns it into the LSP cancellation answer. */
export class RenderCancelled extends Error {
  constructor() {
    super('cancelled');
  }
}

/** Plans kept for renderedContent and apply: the latest few, so an old notification still works. */
const KEPT_PLANS = 4;

export class RenderSession {
  private readonly renderers = new Map<string, Promise<SessionRenderer>>();
  private readonly plans = new Map<string, StoredPlan>();
  private readonly records = new Map<string, RenderRecord>();
  /** Problems of the last full render, per root, by template path. */
  private readonly planProblems = new Map<string, Map<string, RenderProblem[]>>();
  /** Problems of the last preview of a template (which may sit in another template it includes). */
  private readonly previewProblems = new Map<string, Map<string, RenderProblem[]>>();

  constructor(private readonly deps: RenderSessionDeps) {}

  /** Drops every warm renderer: trust or the Python setting changed what derived data is. */
  reset(): void {
    this.renderers.clear();
  }

  /** A file changed on disk or in an editor: the renderers of roots holding it forget what they read. */
  fileChanged(filePath: string): void {
    for (const [root, pending] of this.renderers) {
      if (!isInside(root, filePath)) continue;
      void pending.then(
        (renderer) => {
          // Reloaded from scratch when the renderer cannot take the change in place (makejinja.toml, plugin.py).
          if (!renderer.fileChanged(filePath) && this.renderers.get(root) === pending) this.renderers.delete(root);
        },
        () => this.renderers.delete(root),
      );
    }
  }

  /**
   * Renders a whole root in memory and compares it with the disk and the record of the last render.
   * Example: a fresh copy of example/ gives every output `created` and no errors.
   */
  async plan(root: string, token?: CancellationLike): Promise<RenderPlanResult> {
    const started = this.deps.now();
    const renderer = await this.rendererFor(root);
    throwIfCancelled(token);
    const rendered = await renderer.plan();
    throwIfCancelled(token);
    this.setPlanProblems(root, rendered.problems);

    const files = new Map<string, RenderedOutput>();
    for (const file of rendered.files) files.set(relativeTo(root, file.outputPath), file);
    const planned = [...files].map(([relativePath, file]) => ({ relativePath, contentHash: contentHash(file.content) }));
    const record = await this.recordOf(root);
    const diskHashes = await this.diskHashes(root, pathsToHash(planned, record), token);
    const statuses = computeOutputStatuses(planned, diskHashes, record);

    const planId = randomUUID();
    this.keepPlan(planId, {
      root,
      files,
      statuses: new Map(statuses.map((status) => [status.relativePath, status])),
      directoriesToRemove: rendered.directoriesToRemove,
      hasErrors: rendered.problems.length > 0,
      record,
    });
    return {
      planId,
      files: statuses.map((status) => planFileOf(root, status, files.get(status.relativePath))),
      errors: rendered.problems.map(planErrorOf),
      // The engine says "derived values approximate" itself whenever plugin.py's data() did not run.
      notes: rendered.notes,
      durationMs: Math.round(this.deps.now() - started),
    };
  }

  /** What a plan would write to one output file (by uri); undefined when the plan or file is unknown. */
  renderedContent(planId: string, uri: string): string | undefined {
    const plan = this.plans.get(planId);
    if (!plan) return undefined;
    const file = plan.files.get(relativeTo(plan.root, URI.parse(uri).fsPath));
    if (!file) return undefined;
    return typeof file.content === 'string' ? file.content : new TextDecoder().decode(file.content);
  }

  /**
   * Writes a plan: created and changed files (hand-edited ones only when confirmed), removes files
   * the render no longer produces when they are as we wrote them, then records what was written.
   * Nothing happens in an untrusted workspace or for a plan with errors. A file that changed on
   * disk after the plan is left alone. Cancellation is honoured until the first write; after it
   * the plan is written to the end, since half a render is worse than either state.
   */
  async apply(planId: string, overwriteHandEdited: readonly string[], token?: CancellationLike): Promise<ApplyRenderPlanResult> {
    const result: ApplyRenderPlanResult = { written: [], removed: [], skipped: [], errors: [] };
    if (!this.deps.isTrusted()) {
      result.errors.push('Writing rendered files is disabled in Restricted Mode: trust the workspace first.');
      return result;
    }
    const plan = this.plans.get(planId);
    if (!plan) {
      result.errors.push('This render is no longer available: render again.');
      return result;
    }
    if (plan.hasErrors) {
      result.errors.push('The render has errors: nothing was written.');
      return result;
    }
    const confirmed = new Set(overwriteHandEdited.map((uri) => relativeTo(plan.root, URI.parse(uri).fsPath)));
    const current = await this.diskHashes(plan.root, [...plan.statuses.keys()], token);
    throwIfCancelled(token);
    // Plans are single-use: a second apply would compare against a disk it has just changed.
    this.plans.delete(planId);

    const written = new Set<string>();
    const removed = new Set<string>();
    const changes: { status: OutputStatus; absolute: string; uri: string }[] = [];
    for (const status of plan.statuses.values()) {
      const absolute = path.join(plan.root, status.relativePath);
      const uri = URI.file(absolute).toString();
      if (status.status === 'unchanged') continue;
      if (current.get(status.relativePath) !== status.diskHash) {
        result.skipped.push(uri);
        result.errors.push(`${status.relativePath} changed on disk after the render; render again to update it.`);
        continue;
      }
      if (status.isHandEdited && (status.status === 'removed' || !confirmed.has(status.relativePath))) {
        result.skipped.push(uri);
        continue;
      }
      changes.push({ status, absolute, uri });
    }
    // The writes are independent (each atomic, each fsynced): overlapping them keeps a large render fast.
    await forEachConcurrently(changes, WRITE_CONCURRENCY, async ({ status, absolute, uri }) => {
      try {
        if (status.status === 'removed') {
          await this.deps.writer.removeFile(absolute);
          removed.add(status.relativePath);
          result.removed.push(uri);
        } else {
          const file = plan.files.get(status.relativePath)!;
          await this.deps.writer.writeFile(absolute, file.content, file.mode);
          written.add(status.relativePath);
          result.written.push(uri);
        }
      } catch (error) {
        result.errors.push(`${status.relativePath}: ${describeWriteError(error)}`);
      }
    });
    result.written.sort();
    result.removed.sort();
    // Deepest first, so a folder emptied by removing its only subfolder goes too.
    for (const folder of [...plan.directoriesToRemove].sort((a, b) => b.length - a.length)) {
      try {
        await this.deps.writer.removeEmptyDirectory(folder);
      } catch (error) {
        result.errors.push(`${relativeTo(plan.root, folder)}: ${describeWriteError(error)}`);
      }
    }
    await this.saveRecord(plan.root, recordAfterApply(plan.record, [...plan.statuses.values()], { written, removed }), result);
    return result;
  }

  /** Renders one template's current text for the live preview and publishes its problems. */
  async preview(templatePath: string, text: string, root: string, token?: CancellationLike): Promise<RenderPreviewResult> {
    const renderer = await this.rendererFor(root);
    throwIfCancelled(token);
    const preview = await renderer.preview(templatePath, text);
    this.setPreviewProblems(templatePath, preview.problem ? [preview.problem] : []);
    const result: RenderPreviewResult = { notes: preview.notes };
    if (preview.text !== undefined) result.text = preview.text;
    if (preview.outputPath !== undefined) result.outputUri = URI.file(preview.outputPath).toString();
    if (preview.problem) {
      const elsewhere = preview.problem.templatePath !== templatePath;
      const where = elsewhere ? `${relativeTo(root, preview.problem.templatePath)} line ${preview.problem.line}: ` : '';
      result.error = { line: preview.problem.line, message: where + preview.problem.message };
    }
    return result;
  }

  /**
   * Renders text as if it were the template at templatePath, publishing nothing: the remaining-work
   * states evaluate gates and derived flags this way. Example: `#% if rustfs_enabled %#yes#% endif %#`.
   */
  async renderText(root: string, templatePath: string, text: string): Promise<{ text?: string; error?: string }> {
    const renderer = await this.rendererFor(root);
    const rendered = await renderer.preview(templatePath, text);
    return rendered.problem ? { error: rendered.problem.message } : { text: rendered.text ?? '' };
  }

  /**
   * A rendered file was encrypted in place by our SOPS commands (what `task configure` does right
   * after makejinja). When the plaintext was exactly what the last render wrote, the encrypted bytes
   * become what the record expects, so the next render does not take encryption for a hand edit.
   */
  async outputEncrypted(root: string, filePath: string, plaintext: string, encrypted: string): Promise<void> {
    const record = await this.recordOf(root);
    const relativePath = path.relative(root, filePath).split(path.sep).join('/');
    if (record.files[relativePath] !== contentHash(plaintext)) return;
    const updated: RenderRecord = { root, files: { ...record.files, [relativePath]: contentHash(encrypted) } };
    const ignored: ApplyRenderPlanResult = { written: [], removed: [], skipped: [], errors: [] };
    await this.saveRecord(root, updated, ignored);
  }

  /** A template's editor closed: problems found by previewing it no longer show. */
  forgetPreview(templatePath: string): void {
    this.setPreviewProblems(templatePath, []);
  }

  /** Render problems to show on a template, from the last full render and from previews. */
  problemsFor(templatePath: string): RenderProblem[] {
    const seen = new Set<string>();
    const out: RenderProblem[] = [];
    const sources = [...this.planProblems.values(), ...this.previewProblems.values()];
    for (const byTemplate of sources) {
      for (const problem of byTemplate.get(templatePath) ?? []) {
        const key = `${problem.line}\u0000${problem.message}`;
        if (seen.has(key)) continue;
        seen.add(key);
        out.push(problem);
      }
    }
    return out.sort((a, b) => a.line - b.line);
  }

  private rendererFor(root: string): Promise<SessionRenderer> {
    let pending = this.renderers.get(root);
    if (!pending) {
      const derived: DerivedDataSource = this.deps.isTrusted() ? { kind: 'python', pythonPath: this.deps.pythonPath() } : { kind: 'static' };
      pending = this.deps.loadRenderer(root, derived);
      this.renderers.set(root, pending);
      // A failed load is not kept: the next request tries again (the user may have fixed makejinja.toml).
      pending.catch(() => {
        if (this.renderers.get(root) === pending) this.renderers.delete(root);
      });
    }
    return pending;
  }

  private keepPlan(planId: string, plan: StoredPlan): void {
    this.plans.set(planId, plan);
    for (const id of this.plans.keys()) {
      if (this.plans.size <= KEPT_PLANS) break;
      this.plans.delete(id);
    }
  }

  private async diskHashes(root: string, relativePaths: string[], token?: CancellationLike): Promise<Map<string, string>> {
    const hashes = new Map<string, string>();
    for (const relativePath of relativePaths) {
      throwIfCancelled(token);
      // The disk, not an editor's unsaved text: the disk is what a write replaces.
      const bytes = await this.deps.reader.readBytes(path.join(root, relativePath));
      if (bytes !== undefined) hashes.set(relativePath, contentHash(bytes));
    }
    return hashes;
  }

  private recordFile(root: string): string | undefined {
    const storage = this.deps.storagePath();
    if (!storage) return undefined;
    // One file per root: a multi-root workspace shares one storage folder.
    const name = createHash('sha256').update(root).digest('hex').slice(0, 16);
    return path.join(storage, 'render-records', `${name}.json`);
  }

  private async recordOf(root: string): Promise<RenderRecord> {
    const known = this.records.get(root);
    if (known) return known;
    const file = this.recordFile(root);
    // Record files are ours, never open in an editor; readText of the disk is what we want.
    const record = file ? parseRenderRecord(await this.deps.reader.readText(file), root) : emptyRecord(root);
    this.records.set(root, record);
    return record;
  }

  private async saveRecord(root: string, record: RenderRecord, result: ApplyRenderPlanResult): Promise<void> {
    this.records.set(root, record);
    const file = this.recordFile(root);
    if (!file) return;
    try {
      await this.deps.writer.writeFile(file, serializeRenderRecord(record));
    } catch (error) {
      result.errors.push(`The record of rendered files could not be saved (${describeWriteError(error)}); hand edits may go unnoticed next time.`);
    }
  }

  private setPlanProblems(root: string, problems: RenderProblem[]): void {
    const before = this.planProblems.get(root);
    const after = groupByTemplate(problems);
    this.planProblems.set(root, after);
    // The full render supersedes earlier previews of this root's templates.
    const changed = new Set([...(before?.keys() ?? []), ...after.keys()]);
    for (const [previewed, byTemplate] of this.previewProblems) {
      if (!isInside(root, previewed)) continue;
      for (const template of byTemplate.keys()) changed.add(template);
      this.previewProblems.delete(previewed);
    }
    if (changed.size > 0) this.deps.onProblemsChanged([...changed]);
  }

  private setPreviewProblems(templatePath: string, problems: RenderProblem[]): void {
    const before = this.previewProblems.get(templatePath);
    if (!before && problems.length === 0) return;
    const after = groupByTemplate(problems);
    if (after.size > 0) this.previewProblems.set(templatePath, after);
    else this.previewProblems.delete(templatePath);
    const changed = new Set([...(before?.keys() ?? []), ...after.keys()]);
    if (changed.size > 0) this.deps.onProblemsChanged([...changed]);
  }
}

function groupByTemplate(problems: RenderProblem[]): Map<string, RenderProblem[]> {
  const grouped = new Map<string, RenderProblem[]>();
  for (const problem of problems) {
    const list = grouped.get(problem.templatePath) ?? [];
    list.push(problem);
    grouped.set(problem.templatePath, list);
  }
  return grouped;
}

function planFileOf(root: string, status: OutputStatus, file: RenderedOutput | undefined): RenderPlanFile {
  const planFile: RenderPlanFile = {
    uri: URI.file(path.join(root, status.relativePath)).toString(),
    relativePath: status.relativePath,
    status: status.status,
    isHandEdited: status.isHandEdited,
  };
  if (file) planFile.templateUri = URI.file(file.inputPath).toString();
  return planFile;
}

function planErrorOf(problem: RenderProblem): RenderPlanError {
  return { templateUri: URI.file(problem.templatePath).toString(), line: problem.line, message: problem.message };
}

function throwIfCancelled(token: CancellationLike | undefined): void {
  if (token?.isCancellationRequested) throw new RenderCancelled();
}

/** A path relative to the root with '/', as records and plans name files. */
function relativeTo(root: string, filePath: string): string {
  return path.relative(root, filePath).split(path.sep).join('/');
}

function isInside(root: string, filePath: string): boolean {
  return filePath === root || filePath.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
}

/** The reason a write failed, without the content (never logged or shown). */
function describeWriteError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException)?.code;
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'ENOSPC') return 'no space left on the device';
  if (code === 'EROFS') return 'read-only file system';
  return (error as Error)?.message ?? String(error);
}
