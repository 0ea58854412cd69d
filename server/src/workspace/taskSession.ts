// The remaining-work session of the language server: reads item states per workspace root, keeps
// scaffold plans until applied, runs checks and the Configure pipeline, remembers step results,
// and says when the states may have changed. Domain rules live in engines/tasks; I/O in the deps.
import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import { URI } from 'vscode-uri';
import { CATALOG, findStep } from '../engines/tasks/catalog';
import { runConfigurePipeline } from '../engines/tasks/configurePipeline';
import { readWorkItems, stepInfo, placeholderValues } from '../engines/tasks/itemState';
import { planScaffold, type ScaffoldFileChange } from '../engines/tasks/scaffolds';
import { readWorkspaceShape, type WorkspaceShape } from '../engines/tasks/stateContext';
import { readTaskfile } from '../engines/tasks/taskfile';
import { commandEnvironment, runVerifyStep } from '../engines/tasks/verify';
import { publicKeyOf } from '../engines/sops/ageKey';
import type { FileReader } from '../host/fileReader';
import type { ProcessRunner } from '../host/processRunner';
import type { StepResultStore } from '../host/stepResultStore';
import type {
  ApplyRenderPlanResult,
  ApplyScaffoldResult,
  ConfigureResult,
  EncryptAllResult,
  RenderPlanResult,
  ScaffoldPlanResult,
  SetVariablesResult,
  TaskfileTasksResult,
  ValidateVariableResult,
  VariablePromptsResult,
  WorkItemsResult,
  WorkStepResult,
} from '../protocol';
import type { ConfigFileContext } from '../services/cluster/diagnostics';
import { planVariableEdits } from '../services/cluster/variableEdits';
import { buildVariablePrompts, typedValueOf, validateVariableText } from '../services/cluster/variablePrompts';
import { schemaAtPath } from '../services/cluster/configSchema';

export interface TaskSessionDeps {
  /** Open editors' unsaved text over the disk. */
  reader: FileReader;
  /** Renders text as the template at templatePath with the root's data (no diagnostics published). */
  renderText(root: string, templatePath: string, text: string): Promise<{ text?: string; error?: string }>;
  results: StepResultStore;
  runner: ProcessRunner;
  isOnPath(program: string): boolean;
  isTrusted(): boolean;
  /** cluster.yaml's effective schema and validator for a root. */
  clusterContext(root: string): Promise<ConfigFileContext>;
  /** Errors of cluster.yaml and nodes.yaml (as the check command reports them). */
  configErrors(root: string): Promise<{ uri: string; line: number; message: string }[]>;
  renderPlan(root: string): Promise<RenderPlanResult>;
  applyRender(planId: string, overwriteHandEdited: string[]): Promise<ApplyRenderPlanResult>;
  encryptAll(root: string, onProgress: (message: string) => void): Promise<EncryptAllResult>;
  /** Atomic write of a whole file (parent folders created). */
  writeFile(filePath: string, content: string): Promise<void>;
  randomBytes(count: number): Uint8Array;
  now(): Date;
  log(message: string): void;
  /** Files this session wrote (scaffolds): caches of schemas, templates and renders forget them. */
  filesWritten(filePaths: string[]): void;
}


interface StoredScaffold {
  root: string;
  changes: ScaffoldFileChange[];
}

const RESTRICTED = 'This workspace is in Restricted Mode: trust it to let Cluster Template Tools write files and run commands.';
/** Scaffold plans kept for apply: the latest few. */
const KEPT_SCAFFOLDS = 4;

export class TaskSession {
  private readonly scaffolds = new Map<string, StoredScaffold>();

  constructor(private readonly deps: TaskSessionDeps) {}

  /** Every item of the catalog with its state in this root. */
  async items(root: string): Promise<WorkItemsResult> {
    const shape = await this.shapeOf(root);
    const environment = await commandEnvironment(root, this.deps.reader);
    if (!shape.isClusterTemplate) return { isClusterTemplate: false, items: [], environment, notes: [] };
    const items = await readWorkItems(CATALOG, shape.context);
    const notes = this.deps.isTrusted() ? [] : ['Restricted Mode: states are shown, nothing runs; derived values are approximate (plugin.py is read, not run).'];
    return { isClusterTemplate: true, items, environment, notes };
  }

  async scaffoldPlan(root: string, itemId: string, stepId: string): Promise<ScaffoldPlanResult> {
    if (!this.deps.isTrusted()) return { changes: [], upToDate: [], notes: [], refused: RESTRICTED };
    const found = findStep(CATALOG, itemId, stepId);
    if (!found || found.step.kind !== 'scaffold') return { changes: [], upToDate: [], notes: [], refused: `No scaffold step ${itemId}/${stepId}.` };
    const shape = await this.shapeOf(root);
    const templateDir = shape.context.templateDirs[shape.context.templateDirs.length - 1] ?? path.join(root, 'templates', 'config');
    const plan = await planScaffold(found.step.scaffold, { root, reader: this.deps.reader, syntax: shape.context.syntax, templateDir });
    const planId = randomUUID();
    this.scaffolds.set(planId, { root, changes: plan.changes });
    while (this.scaffolds.size > KEPT_SCAFFOLDS) this.scaffolds.delete(this.scaffolds.keys().next().value!);
    return {
      planId,
      changes: plan.changes.map((change) => ({ uri: URI.file(change.path).toString(), kind: change.kind, description: change.description, conflictsWithExisting: change.conflictsWithExisting === true })),
      upToDate: plan.upToDate.map((filePath) => URI.file(filePath).toString()),
      notes: plan.notes,
    };
  }

  /** Writes a scaffold plan: every file atomically; a conflicting file only when the user agreed. */
  async applyScaffold(planId: string, overwrite: readonly string[]): Promise<ApplyScaffoldResult> {
    const result: ApplyScaffoldResult = { written: [], skipped: [], errors: [] };
    if (!this.deps.isTrusted()) return { ...result, errors: [RESTRICTED] };
    const stored = this.scaffolds.get(planId);
    if (!stored) return { ...result, errors: ['The scaffold plan is out of date: run the step again.'] };
    this.scaffolds.delete(planId);
    const agreed = new Set(overwrite);
    for (const change of stored.changes) {
      const uri = URI.file(change.path).toString();
      if (change.conflictsWithExisting && !agreed.has(uri)) {
        result.skipped.push(uri);
        continue;
      }
      try {
        await this.deps.writeFile(change.path, change.newText);
        result.written.push(uri);
      } catch (error) {
        result.errors.push(`${path.relative(stored.root, change.path)}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
      }
    }
    this.deps.filesWritten(result.written.map((uri) => URI.parse(uri).fsPath));
    return result;
  }

  async variablePrompts(root: string, itemId: string, stepId: string, entered: { key: string; text: string }[]): Promise<VariablePromptsResult> {
    const found = findStep(CATALOG, itemId, stepId);
    if (!found || found.step.kind !== 'configure') return { prompts: [], refused: `No configure step ${itemId}/${stepId}.` };
    const shape = await this.shapeOf(root);
    const context = await this.deps.clusterContext(root);
    const agePublicKey = await this.agePublicKey(root);
    const prompts = buildVariablePrompts(found.step.variables, {
      clusterValues: shape.context.clusterValues ?? {},
      entered: Object.fromEntries(entered.map((answer) => [answer.key, answer.text])),
      schema: context.schema.root,
      randomBytes: this.deps.randomBytes,
      ...(agePublicKey ? { agePublicKey } : {}),
    });
    return { prompts };
  }

  async validateVariable(root: string, key: string, text: string, isOptional: boolean): Promise<ValidateVariableResult> {
    const error = validateVariableText(key, text, await this.deps.clusterContext(root), isOptional);
    return error ? { error } : {};
  }

  /** The edits that write these values into cluster.yaml; the client applies them (undo works). */
  async setVariables(root: string, assignments: { key: string; text: string }[]): Promise<SetVariablesResult> {
    const clusterFile = path.join(root, 'cluster.yaml');
    const uri = URI.file(clusterFile).toString();
    if (!this.deps.isTrusted()) return { uri, edits: [], problems: [RESTRICTED] };
    const text = await this.deps.reader.readText(clusterFile);
    if (text === undefined) return { uri, edits: [], problems: ['cluster.yaml is missing: copy cluster.sample.yaml first (task init).'] };
    const context = await this.deps.clusterContext(root);
    const problems: string[] = [];
    const typed = [];
    for (const assignment of assignments) {
      if (assignment.text.trim() === '') continue;
      const error = validateVariableText(assignment.key, assignment.text, context, true);
      if (error) problems.push(`${assignment.key}: ${error}`);
      else typed.push({ key: assignment.key, value: typedValueOf(assignment.text, schemaAtPath(context.schema.root, [assignment.key])) });
    }
    if (problems.length > 0) return { uri, edits: [], problems };
    const planned = planVariableEdits(text, typed);
    return { uri, edits: planned.edits, problems: planned.problems };
  }

  async runVerify(root: string, itemId: string, stepId: string): Promise<WorkStepResult> {
    const at = this.deps.now().toISOString();
    if (!this.deps.isTrusted()) return { status: 'error', reason: RESTRICTED, details: [], at };
    const found = findStep(CATALOG, itemId, stepId);
    if (!found || found.step.kind !== 'verify') return { status: 'error', reason: `No check ${itemId}/${stepId}.`, details: [], at };
    const shape = await this.shapeOf(root);
    const result = await runVerifyStep(found.step, {
      root,
      values: placeholderValues(shape.context),
      env: await commandEnvironment(root, this.deps.reader),
      runner: this.deps.runner,
      now: this.deps.now,
    });
    await this.remember(root, itemId, stepId, result);
    return result;
  }

  /** How a run step's task ended: exit 0 passes. */
  async recordRun(root: string, itemId: string, stepId: string, exitCode: number | undefined): Promise<void> {
    const found = findStep(CATALOG, itemId, stepId);
    if (!found) return;
    const at = this.deps.now().toISOString();
    const result: WorkStepResult =
      exitCode === 0
        ? { status: 'pass', reason: 'finished with exit code 0', details: [], at }
        : exitCode === undefined
          ? { status: 'error', reason: 'did not finish (stopped or the terminal closed)', details: [], at }
          : { status: 'fail', reason: `failed with exit code ${exitCode}: see its terminal`, details: [], at };
    await this.remember(root, itemId, stepId, result);
  }

  async configure(root: string, overwriteHandEdited: boolean, progress: (message: string) => void): Promise<ConfigureResult> {
    if (!this.deps.isTrusted()) return { outcome: 'refused', stages: [{ name: 'check', status: 'skipped', message: RESTRICTED, details: [] }], handEdited: [], configErrors: [] };
    const result = await runConfigurePipeline({
      root,
      checkConfig: () => this.deps.configErrors(root),
      renderPlan: () => this.deps.renderPlan(root),
      applyRender: (planId, overwrite) => this.deps.applyRender(planId, overwrite),
      encryptAll: () => this.deps.encryptAll(root, progress),
      reader: this.deps.reader,
      runner: this.deps.runner,
      env: await commandEnvironment(root, this.deps.reader),
      isOnPath: this.deps.isOnPath,
      progress,
      overwriteHandEdited,
    });
    return result;
  }

  async taskfileTasks(root: string): Promise<TaskfileTasksResult> {
    const read = await readTaskfile(root, this.deps.reader);
    return {
      tasks: read.tasks.map((task) => ({
        name: task.name,
        ...(task.description ? { description: task.description } : {}),
        requiredVars: task.requiredVars,
        isInternal: task.isInternal,
        uri: URI.file(task.file).toString(),
        line: task.line,
      })),
      problems: read.problems.map((problem) => `${path.relative(root, problem.file)}:${problem.line}: ${problem.message}`),
      environment: await commandEnvironment(root, this.deps.reader),
    };
  }

  /** A step's command line as it would run now (for callers that only need one step). */
  async stepCommand(root: string, itemId: string, stepId: string): Promise<string | undefined> {
    const found = findStep(CATALOG, itemId, stepId);
    if (!found) return undefined;
    return stepInfo(itemId, found.step, (await this.shapeOf(root)).context).commandLine;
  }

  private async remember(root: string, itemId: string, stepId: string, result: WorkStepResult): Promise<void> {
    try {
      await this.deps.results.record(root, itemId, stepId, result);
    } catch (error) {
      // Only the memory of the result is lost; the verdict was still shown.
      this.deps.log(`[warn] could not remember the result of ${itemId}/${stepId}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    }
  }

  private async shapeOf(root: string): Promise<WorkspaceShape> {
    return readWorkspaceShape(root, {
      reader: this.deps.reader,
      renderText: (templatePath, text) => this.deps.renderText(root, templatePath, text),
      stepResults: await this.deps.results.load(root),
      isOnPath: this.deps.isOnPath,
    });
  }

  /** The recipient of the workspace's age.key; the private key never leaves this function. */
  private async agePublicKey(root: string): Promise<string | undefined> {
    const text = await this.deps.reader.readText(path.join(root, 'age.key'));
    if (!text) return undefined;
    const written = /^#\s*public key:\s*(age1[0-9a-z]+)\s*$/m.exec(text)?.[1];
    if (written) return written;
    const identity = /^AGE-SECRET-KEY-1[0-9A-Z]+$/m.exec(text)?.[0];
    return identity ? publicKeyOf(identity) : undefined;
  }
}
