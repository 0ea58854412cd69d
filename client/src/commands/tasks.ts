// The remaining-work commands: run a step of the tree (scaffold, set variables, run a command or a
// check, show a manual step), Configure (check, render, encrypt, validate) and Reconcile. The server
// plans, validates, edits and checks; this module asks the questions, applies the edits it gets back
// and runs commands as VS Code tasks. Nothing that writes or runs happens in an untrusted workspace.
// Secret values go from input boxes to the server only: never into messages or the output channel.
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import * as vscode from 'vscode';
import { Trace, type LanguageClient } from 'vscode-languageclient/node';
import {
  applyScaffoldRequest,
  configureRequest,
  recordStepResultRequest,
  runVerifyRequest,
  scaffoldPlanRequest,
  setVariablesRequest,
  validateVariableRequest,
  variablePromptsRequest,
  workProgressNotification,
  type ConfigureResult,
  type ScaffoldChangeInfo,
  type SetVariablesResult,
  type VariablePromptInfo,
  type WorkStepParams,
  type WorkStepResult,
} from '../../../server/src/protocol';
import { registerTaskfileTaskProvider, TASK_SOURCE } from '../tasks/taskProvider';
import type { RemainingWorkNode, RemainingWorkProvider, StepNode } from '../views/remainingWork';

/** Tasks started from the tree: their end is reported to the server as the step's result. Declared in package.json. */
export const STEP_TASK_TYPE = 'cluster-template-step';

/** The scaffold question lists this many files; the rest are counted. */
const MAX_LISTED_FILES = 15;

export interface TaskCommandDeps {
  /** The running language client (started on first use). */
  client(): Promise<LanguageClient>;
  /** The language client when it is running or starting; undefined when nothing started it. */
  startedClient(): Promise<LanguageClient> | undefined;
  output: vscode.LogOutputChannel;
  remainingWork: RemainingWorkProvider;
}

interface StepTaskDefinition extends vscode.TaskDefinition {
  /** The catalog item and step the task runs; absent for Reconcile from the Command Palette. */
  item?: string;
  step?: string;
}

/** A step named by ids, for callers other than the tree (other extensions, tests). */
interface StepReference {
  folderUri?: string;
  itemId: string;
  stepId: string;
}

export function registerTaskCommands(deps: TaskCommandDeps): vscode.Disposable[] {
  const configure = new ConfigureRunner(deps);
  return [
    vscode.commands.registerCommand('clusterTemplate.runStep', (target?: RemainingWorkNode | StepReference) => runStep(deps, configure, target)),
    vscode.commands.registerCommand('clusterTemplate.configure', (target?: unknown) => configure.run(target)),
    vscode.commands.registerCommand('clusterTemplate.reconcile', (target?: unknown) => reconcile(deps, target)),
    vscode.commands.registerCommand('clusterTemplate.refreshRemainingWork', () => deps.remainingWork.refreshNow()),
    vscode.tasks.onDidEndTaskProcess((event) => void recordTaskEnd(deps, event)),
    ...registerTaskfileTaskProvider(deps),
  ];
}

// ---- Run Step -----------------------------------------------------------------------------------

async function runStep(deps: TaskCommandDeps, configure: ConfigureRunner, target: RemainingWorkNode | StepReference | undefined): Promise<void> {
  const node = await resolveStep(deps, target);
  if (!node) return;
  const { step } = node;
  switch (step.kind) {
    case 'manual':
      await vscode.window.showInformationMessage(`${node.item.title}: ${step.title}`, { modal: true, detail: step.detail ?? 'A step done by hand.' });
      return;
    case 'scaffold':
      return scaffold(deps, node);
    case 'configure':
      return setVariables(deps, configure, node);
    case 'pipeline':
      // The configure pipeline is ours; reconcile is a command line the server filled in.
      if (step.commandLine === undefined && step.id !== 'reconcile') return configure.run(node);
      return runStepAsTask(deps, node);
    case 'run':
      return runStepAsTask(deps, node);
    case 'verify':
      return verify(deps, node);
  }
}

async function resolveStep(deps: TaskCommandDeps, target: RemainingWorkNode | StepReference | undefined): Promise<StepNode | undefined> {
  if (target && 'kind' in target && target.kind === 'step') {
    // The node may be older than the last refresh: prefer the step as the server last described it.
    return (await deps.remainingWork.findStep(target.folder, target.item.id, target.step.id)) ?? target;
  }
  if (target && 'itemId' in target && 'stepId' in target) {
    const folder = target.folderUri ? vscode.workspace.getWorkspaceFolder(vscode.Uri.parse(target.folderUri)) : await pickFolder(deps, 'Folder of the step');
    const node = folder && (await deps.remainingWork.findStep(folder, target.itemId, target.stepId));
    if (!node && folder) void vscode.window.showWarningMessage(`No step ${target.itemId}/${target.stepId} in ${folder.name}.`);
    return node;
  }
  void vscode.window.showInformationMessage('Run a step from the Remaining Work view (Cluster Template in the activity bar).');
  return undefined;
}

function stepParams(node: StepNode): WorkStepParams {
  return { folderUri: node.folder.uri.toString(), itemId: node.item.id, stepId: node.step.id };
}

// ---- scaffold -------------------------------------------------------------------------------------

async function scaffold(deps: TaskCommandDeps, node: StepNode): Promise<void> {
  if (!requireTrust('Scaffolding writes templates')) return;
  const client = await deps.client();
  const plan = await client.sendRequest(scaffoldPlanRequest, stepParams(node));
  for (const note of plan.notes) deps.output.info(`[scaffold] ${node.item.title}: ${note}`);
  if (plan.refused) {
    void vscode.window.showErrorMessage(`${node.item.title}: ${plan.refused}`);
    return;
  }
  if (plan.changes.length === 0 || !plan.planId) {
    void vscode.window.showInformationMessage(`${node.item.title}: the templates are already in place (${plural(plan.upToDate.length, 'file')} up to date).`);
    return;
  }

  const creates = plan.changes.filter((change) => change.kind === 'create');
  const edits = plan.changes.filter((change) => change.kind === 'edit');
  const question =
    `${node.item.title}: create ${plural(creates.length, 'file')}` + (edits.length > 0 ? ` and edit ${plural(edits.length, 'file')}` : '') + '?';
  const lines = [...creates, ...edits].map((change) => `${change.kind === 'create' ? '+' : '~'} ${relativePath(node.folder, change.uri)}: ${change.description}`);
  const listed = lines.slice(0, MAX_LISTED_FILES);
  if (lines.length > listed.length) listed.push(`… and ${lines.length - listed.length} more`);
  if (plan.upToDate.length > 0) listed.push(`${plural(plan.upToDate.length, 'file')} already up to date`);
  const conflicts = plan.changes.filter((change) => change.conflictsWithExisting);
  if (conflicts.length > 0) listed.push(`${plural(conflicts.length, 'file')} already exist with other content: you will be asked about each`);
  const answer = await vscode.window.showInformationMessage(question, { modal: true, detail: listed.join('\n') }, 'Scaffold');
  if (answer !== 'Scaffold') return;

  const overwrite: string[] = [];
  for (const conflict of conflicts) {
    const choice = await askAboutConflict(node, conflict);
    // Cancelling one question cancels the scaffold: nothing is written.
    if (choice === undefined) return;
    if (choice === 'Overwrite') overwrite.push(conflict.uri);
  }

  const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `Scaffolding ${node.item.title}` }, () =>
    client.sendRequest(applyScaffoldRequest, { planId: plan.planId!, overwrite }),
  );
  deps.remainingWork.scheduleRefresh(node.folder.uri.toString());
  for (const uri of result.written) deps.output.info(`[scaffold] wrote ${relativePath(node.folder, uri)}`);
  for (const error of result.errors) deps.output.warn(`[scaffold] ${error}`);

  const createdUris = new Set(creates.map((change) => change.uri));
  const firstCreated = result.written.find((uri) => createdUris.has(uri)) ?? result.written[0];
  if (firstCreated) await vscode.window.showTextDocument(vscode.Uri.parse(firstCreated), { preview: false, preserveFocus: true });

  const report = `${node.item.title}: wrote ${plural(result.written.length, 'file')}` + (result.skipped.length > 0 ? `, kept ${result.skipped.length} as they were` : '') + '.';
  if (result.errors.length === 0) {
    void vscode.window.showInformationMessage(report);
    return;
  }
  const more = result.errors.length > 1 ? ` (+${result.errors.length - 1} more in the output)` : '';
  const choice = await vscode.window.showErrorMessage(`${report} ${result.errors[0]}${more}`, 'Show Output');
  if (choice === 'Show Output') deps.output.show(true);
}

function askAboutConflict(node: StepNode, conflict: ScaffoldChangeInfo): Thenable<'Overwrite' | 'Keep' | undefined> {
  return vscode.window.showWarningMessage(
    `${relativePath(node.folder, conflict.uri)} already exists with other content. Overwrite it?`,
    { modal: true, detail: `${conflict.description}\n\n"Keep" leaves your file as it is and writes the others.` },
    'Overwrite',
    'Keep',
  );
}

// ---- configure: set variables ----------------------------------------------------------------------

/** "Leave it as it is" for one question (an optional key, or a key that already has a value). */
const KEEP = Symbol('keep');

/**
 * Runs a request that carries secret values (typed passwords, generated ones) with the protocol
 * trace off: `clusterTemplate.trace.server` would otherwise copy them into the output channel.
 */
async function untraced<T>(client: LanguageClient, request: () => Promise<T>): Promise<T> {
  const setting = vscode.workspace.getConfiguration('clusterTemplate').get<string>('trace.server', 'off');
  if (setting === 'off') return request();
  await client.setTrace(Trace.Off);
  try {
    return await request();
  } finally {
    await client.setTrace(Trace.fromString(setting));
  }
}

async function setVariables(deps: TaskCommandDeps, configure: ConfigureRunner, node: StepNode): Promise<void> {
  if (!requireTrust('Setting values writes cluster.yaml')) return;
  const client = await deps.client();
  // Generated passwords travel in the suggestions.
  const { prompts, refused } = await untraced(client, () => client.sendRequest(variablePromptsRequest, stepParams(node)));
  if (refused) {
    void vscode.window.showErrorMessage(`${node.item.title}: ${refused}`);
    return;
  }
  const assignments: { key: string; text: string }[] = [];
  for (const [index, prompt] of prompts.entries()) {
    const title = `${node.item.title}: ${node.step.title} (${index + 1}/${prompts.length})`;
    const answer = await askValue(client, node.folder, prompt, title);
    // Escape anywhere cancels the whole flow before anything is written.
    if (answer === undefined) return;
    if (answer !== KEEP) assignments.push({ key: prompt.key, text: answer });
  }
  if (assignments.length === 0) {
    void vscode.window.showInformationMessage(`${node.item.title}: nothing to change in cluster.yaml.`);
    return;
  }

  const result = await untraced(client, () => client.sendRequest(setVariablesRequest, { folderUri: node.folder.uri.toString(), assignments }));
  for (const problem of result.problems) deps.output.warn(`[configure] ${node.item.title}: ${problem}`);
  const written = await applyConfigEdits(result);
  deps.remainingWork.scheduleRefresh(node.folder.uri.toString());
  if (!written) {
    void vscode.window.showErrorMessage(`${node.item.title}: cluster.yaml could not be edited (it changed meanwhile?). Nothing was saved.`);
    return;
  }
  const keysWritten = assignments.length - result.problems.length;
  const problems = result.problems.length > 0 ? ` Not written: ${result.problems.join('; ')}.` : '';
  const message = `${node.item.title}: set ${plural(Math.max(keysWritten, 0), 'value')} in cluster.yaml.${problems}`;
  const actions = ['Open cluster.yaml', 'Run Configure'];
  const choice =
    result.problems.length > 0 ? await vscode.window.showWarningMessage(message, ...actions) : await vscode.window.showInformationMessage(message, ...actions);
  if (choice === 'Open cluster.yaml') await vscode.window.showTextDocument(vscode.Uri.parse(result.uri));
  if (choice === 'Run Configure') await configure.run(node);
}

/**
 * One question: a pick among the server's suggestions when there is a choice, then an input box
 * checked by the server as the user types. Resolves to the text, KEEP, or undefined (cancelled).
 */
async function askValue(client: LanguageClient, folder: vscode.WorkspaceFolder, prompt: VariablePromptInfo, title: string): Promise<string | typeof KEEP | undefined> {
  const canKeep = prompt.isOptional || prompt.isSet;
  const validate = async (text: string): Promise<string | undefined> => {
    if (text === '' && canKeep) return undefined;
    const params = { folderUri: folder.uri.toString(), key: prompt.key, text, isOptional: canKeep };
    const result = prompt.isSecret ? await untraced(client, () => client.sendRequest(validateVariableRequest, params)) : await client.sendRequest(validateVariableRequest, params);
    return result.error;
  };

  let prefill = prompt.isSecret ? '' : (prompt.currentValue ?? prompt.suggestions[0]?.value ?? '');
  // A pick list when there is a choice to make: several suggestions, a generated secret (a password
  // box never shows it), or one suggestion beside "Leave it as it is".
  const offersChoice = prompt.suggestions.length > 1 || (prompt.suggestions.length === 1 && (prompt.isSecret || canKeep));
  if (offersChoice) {
    type Choice = vscode.QuickPickItem & { value?: string; isKeep?: boolean };
    const choices: Choice[] = prompt.suggestions.map((suggestion) => ({
      label: suggestion.label,
      // A secret suggestion (a generated password) is picked by its label, never shown.
      description: prompt.isSecret || suggestion.value === suggestion.label ? undefined : suggestion.value,
      detail: suggestion.detail,
      value: suggestion.value,
    }));
    choices.push({ label: '$(edit) Type a value…', alwaysShow: true });
    if (canKeep) choices.push({ label: '$(dash) Leave it as it is', description: prompt.isSet ? (prompt.isSecret ? 'set' : prompt.currentValue) : 'unset', isKeep: true, alwaysShow: true });
    const picked = await vscode.window.showQuickPick(choices, { title, placeHolder: prompt.prompt, ignoreFocusOut: true, matchOnDescription: true });
    if (!picked) return undefined;
    if (picked.isKeep) return KEEP;
    if (picked.value !== undefined) {
      // A suggestion the schema rejects (a stale current value) goes on to the input box with its message.
      if ((await validate(picked.value)) === undefined) return sameAsCurrent(prompt, picked.value) ? KEEP : picked.value;
      prefill = picked.value;
    }
  }

  const text = await vscode.window.showInputBox({
    title,
    prompt: prompt.description ? `${prompt.prompt}: ${prompt.description}` : prompt.prompt,
    value: prefill,
    password: prompt.isSecret,
    placeHolder: canKeep ? (prompt.isSet ? 'Leave empty to keep the current value' : 'Optional: leave empty to leave it unset') : undefined,
    ignoreFocusOut: true,
    validateInput: validate,
  });
  if (text === undefined) return undefined;
  if (text === '' && canKeep) return KEEP;
  return sameAsCurrent(prompt, text) ? KEEP : text;
}

function sameAsCurrent(prompt: VariablePromptInfo, text: string): boolean {
  return !prompt.isSecret && prompt.isSet && prompt.currentValue === text;
}

/** Applies the server's edits to cluster.yaml as one undoable edit and saves the document. */
async function applyConfigEdits(result: SetVariablesResult): Promise<boolean> {
  if (result.edits.length === 0) return true;
  const uri = vscode.Uri.parse(result.uri);
  const document = await vscode.workspace.openTextDocument(uri);
  const edit = new vscode.WorkspaceEdit();
  for (const change of result.edits) {
    const { start, end } = change.range;
    edit.replace(uri, new vscode.Range(start.line, start.character, end.line, end.character), change.newText);
  }
  if (!(await vscode.workspace.applyEdit(edit))) return false;
  return document.save();
}

// ---- run and verify ------------------------------------------------------------------------------

async function runStepAsTask(deps: TaskCommandDeps, node: StepNode): Promise<void> {
  if (!requireTrust('Running commands')) return;
  const { step } = node;
  if (!(await explainWhyStepCannotRun(node))) return;
  const commandLine = step.commandLine;
  if (!commandLine) {
    void vscode.window.showErrorMessage(`${node.item.title}: "${step.title}" has no command to run.`);
    return;
  }
  const environment = (await deps.remainingWork.itemsOf(node.folder))?.environment ?? {};
  await executeShellTask(node.folder, `${node.item.title}: ${step.title}`, commandLine, environment, { item: node.item.id, step: step.id });
}

async function verify(deps: TaskCommandDeps, node: StepNode): Promise<void> {
  if (!requireTrust('Running checks')) return;
  if (!(await explainWhyStepCannotRun(node))) return;
  const client = await deps.client();
  const name = `${node.item.title}: ${node.step.title}`;
  let result: WorkStepResult;
  try {
    result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: name, cancellable: true }, (_progress, token) =>
      client.sendRequest(runVerifyRequest, stepParams(node), token),
    );
  } catch (error) {
    if (isCancellation(error)) return;
    throw error;
  } finally {
    deps.remainingWork.scheduleRefresh(node.folder.uri.toString());
  }
  deps.output.info(`[verify] ${name}: ${result.status}: ${result.reason}`);
  for (const detail of result.details) deps.output.info(`[verify]   ${detail}`);
  if (result.status === 'pass') {
    void vscode.window.showInformationMessage(`${name} passed: ${result.reason}`);
    return;
  }
  const message = `${name} ${result.status === 'fail' ? 'failed' : 'could not run'}: ${result.reason}`;
  const choice = result.status === 'fail' ? await vscode.window.showWarningMessage(message, 'Show Output') : await vscode.window.showErrorMessage(message, 'Show Output');
  if (choice === 'Show Output') deps.output.show(true);
}

/** Says why a step cannot run yet (values missing from the config files, a program not installed); true when it can. */
async function explainWhyStepCannotRun(node: StepNode): Promise<boolean> {
  const { step } = node;
  if (step.missingValues && step.missingValues.length > 0) {
    const values = step.missingValues.join(', ');
    const choice = await vscode.window.showWarningMessage(
      `${node.item.title}: "${step.title}" cannot run yet: no value for ${values} in cluster.yaml / nodes.yaml.`,
      'Open cluster.yaml',
      'Open nodes.yaml',
    );
    if (choice) await vscode.window.showTextDocument(vscode.Uri.joinPath(node.folder.uri, choice === 'Open cluster.yaml' ? 'cluster.yaml' : 'nodes.yaml'));
    return false;
  }
  if (step.missingTool) {
    void vscode.window.showWarningMessage(`${node.item.title}: "${step.title}" cannot run: ${step.missingTool}`);
    return false;
  }
  return true;
}

/**
 * Runs a command line of the server in a terminal. POSIX `sh` runs it wherever there is one: the
 * server quoted it for a POSIX shell, and the user's own shell (fish, PowerShell) may read quotes otherwise.
 */
async function executeShellTask(
  folder: vscode.WorkspaceFolder,
  name: string,
  commandLine: string,
  environment: Record<string, string>,
  ids: { item?: string; step?: string },
): Promise<void> {
  const definition: StepTaskDefinition = { type: STEP_TASK_TYPE, ...ids };
  const options: vscode.ShellExecutionOptions = { cwd: folder.uri.fsPath, env: environment };
  if (process.platform !== 'win32') Object.assign(options, { executable: 'sh', shellArgs: ['-c'] });
  const task = new vscode.Task(definition, folder, name, TASK_SOURCE, new vscode.ShellExecution(commandLine, options), []);
  task.presentationOptions = { reveal: vscode.TaskRevealKind.Always, panel: vscode.TaskPanelKind.Dedicated, clear: true };
  await vscode.tasks.executeTask(task);
}

/** A task started from a step ended (also when re-run from its terminal): the server remembers the exit code. */
async function recordTaskEnd(deps: TaskCommandDeps, event: vscode.TaskProcessEndEvent): Promise<void> {
  const { task } = event.execution;
  const definition = task.definition as StepTaskDefinition;
  if (definition.type !== STEP_TASK_TYPE || !definition.item || !definition.step) return;
  if (!task.scope || typeof task.scope !== 'object') return;
  const starting = deps.startedClient();
  if (!starting) return;
  const folderUri = task.scope.uri.toString();
  try {
    const client = await starting;
    await client.sendRequest(recordStepResultRequest, { folderUri, itemId: definition.item, stepId: definition.step, exitCode: event.exitCode });
  } catch (error) {
    deps.output.warn(`[tasks] could not record the result of ${task.name}: ${messageOf(error)}`);
  }
  deps.remainingWork.scheduleRefresh(folderUri);
}

// ---- Configure and Reconcile -----------------------------------------------------------------------

/** Runs the configure pipeline, one run at a time (its progress notifications share one handler). */
class ConfigureRunner {
  private isRunning = false;

  constructor(private readonly deps: TaskCommandDeps) {}

  async run(target: unknown): Promise<void> {
    if (!requireTrust('Configure writes rendered files')) return;
    if (this.isRunning) {
      void vscode.window.showInformationMessage('Configure is already running.');
      return;
    }
    const folder = await targetFolder(this.deps, target, 'Folder to configure');
    if (!folder) return;
    this.isRunning = true;
    try {
      await this.runIn(folder);
    } finally {
      this.isRunning = false;
      this.deps.remainingWork.scheduleRefresh(folder.uri.toString());
    }
  }

  private async runIn(folder: vscode.WorkspaceFolder): Promise<void> {
    const client = await this.deps.client();
    let result = await this.runPipeline(client, folder, false);
    if (result.outcome === 'needs-confirmation') {
      const listed = result.handEdited.slice(0, MAX_LISTED_FILES).map((uri) => relativePath(folder, uri));
      if (result.handEdited.length > listed.length) listed.push(`… and ${result.handEdited.length - listed.length} more`);
      const question = `${plural(result.handEdited.length, 'generated file')} ${result.handEdited.length === 1 ? 'was' : 'were'} edited by hand since the last render. Overwrite and continue?`;
      const answer = await vscode.window.showWarningMessage(question, { modal: true, detail: listed.join('\n') }, 'Overwrite');
      if (answer !== 'Overwrite') {
        void vscode.window.showInformationMessage('Configure: nothing was written.');
        return;
      }
      result = await this.runPipeline(client, folder, true);
    }
    await this.report(folder, result);
  }

  private runPipeline(client: LanguageClient, folder: vscode.WorkspaceFolder, overwriteHandEdited: boolean): Thenable<ConfigureResult> {
    return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Cluster Template: Configure' }, async (progress) => {
      const progressId = randomUUID();
      const subscription = client.onNotification(workProgressNotification, (params) => {
        if (params.progressId === progressId) progress.report({ message: params.message });
      });
      try {
        return await client.sendRequest(configureRequest, { folderUri: folder.uri.toString(), progressId, overwriteHandEdited });
      } finally {
        subscription.dispose();
      }
    });
  }

  private async report(folder: vscode.WorkspaceFolder, result: ConfigureResult): Promise<void> {
    const { output } = this.deps;
    for (const stage of result.stages) {
      output.info(`[configure] ${stage.name}: ${stage.status}${stage.message ? `: ${stage.message}` : ''}`);
      for (const detail of stage.details) output.info(`[configure]   ${detail}`);
    }
    for (const error of result.configErrors) output.warn(`[configure] ${relativePath(folder, error.uri)}:${error.line}: ${error.message}`);

    if (result.configErrors.length > 0) {
      const files = [...new Set(result.configErrors.map((error) => path.basename(vscode.Uri.parse(error.uri).fsPath)))].join(' and ');
      const choice = await vscode.window.showErrorMessage(
        `Configure stopped: ${plural(result.configErrors.length, 'error')} in ${files}; nothing was rendered.`,
        'Show Problems',
      );
      if (choice === 'Show Problems') await vscode.commands.executeCommand('workbench.actions.view.problems');
      return;
    }
    const failed = result.stages.find((stage) => stage.status === 'failed');
    if (result.outcome === 'refused') {
      void vscode.window.showErrorMessage(`Configure refused: ${failed?.message ?? result.stages[0]?.message ?? 'see the output'}`);
      return;
    }
    // Skipped stages say why (a tool not installed); ok stages only say so, details are in the output.
    const stages = result.stages.map((stage) => `${stage.name} ${stage.status}` + (stage.status === 'skipped' && stage.message ? ` (${stage.message})` : ''));
    const summary = `Configure ${result.outcome === 'done' ? 'done' : 'failed'}: ${stages.join(' · ')}`;
    if (result.outcome === 'done') {
      void vscode.window.showInformationMessage(summary);
      return;
    }
    const choice = await vscode.window.showErrorMessage(`${summary}.${failed ? ` ${failed.name}: ${failed.message}` : ''}`, 'Show Output');
    if (choice === 'Show Output') output.show(true);
  }
}

async function reconcile(deps: TaskCommandDeps, target: unknown): Promise<void> {
  if (!requireTrust('Reconcile runs flux')) return;
  const folder = await targetFolder(deps, target, 'Folder to reconcile');
  if (!folder) return;
  const result = await deps.remainingWork.itemsOf(folder);
  // Every item's reconcile step runs the same command, with the workspace's kubeconfig.
  const step = result?.items.flatMap((item) => item.steps).find((candidate) => candidate.kind === 'pipeline' && candidate.id === 'reconcile' && candidate.commandLine);
  if (!step?.commandLine) {
    void vscode.window.showErrorMessage(`Reconcile: ${folder.name} is not a cluster-template repository (no makejinja.toml, no cluster.yaml beside templates/).`);
    return;
  }
  if (step.missingTool) {
    void vscode.window.showWarningMessage(`Reconcile cannot run: ${step.missingTool}`);
    return;
  }
  await executeShellTask(folder, 'Reconcile', step.commandLine, result?.environment ?? {}, {});
}

// ---- helpers --------------------------------------------------------------------------------------

/** The folder a command is about: a tree node's, a resource's, the active editor's, the only one, or the user's pick. */
async function targetFolder(deps: TaskCommandDeps, target: unknown, placeHolder: string): Promise<vscode.WorkspaceFolder | undefined> {
  if (target && typeof target === 'object' && 'folder' in target && isWorkspaceFolder((target as { folder: unknown }).folder)) {
    return (target as { folder: vscode.WorkspaceFolder }).folder;
  }
  const resource = target instanceof vscode.Uri ? target : typeof target === 'string' ? vscode.Uri.parse(target) : undefined;
  const fromResource = resource && vscode.workspace.getWorkspaceFolder(resource);
  if (fromResource) return fromResource;
  return pickFolder(deps, placeHolder);
}

async function pickFolder(deps: TaskCommandDeps, placeHolder: string): Promise<vscode.WorkspaceFolder | undefined> {
  const candidates = await deps.remainingWork.clusterTemplateFolders();
  const active = vscode.window.activeTextEditor?.document.uri;
  const activeFolder = active && vscode.workspace.getWorkspaceFolder(active);
  if (activeFolder && candidates.some((folder) => folder.uri.toString() === activeFolder.uri.toString())) return activeFolder;
  if (candidates.length === 1) return candidates[0];
  if (candidates.length === 0) {
    void vscode.window.showWarningMessage('Open the folder of a cluster-template repository first.');
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(
    candidates.map((folder) => ({ label: folder.name, description: folder.uri.fsPath, folder })),
    { placeHolder },
  );
  return picked?.folder;
}

function isWorkspaceFolder(value: unknown): value is vscode.WorkspaceFolder {
  return !!value && typeof value === 'object' && 'uri' in value && (value as { uri: unknown }).uri instanceof vscode.Uri && 'index' in value;
}

/** False (after saying why and offering to manage trust) in Restricted Mode, where the buttons are hidden anyway. */
function requireTrust(what: string): boolean {
  if (vscode.workspace.isTrusted) return true;
  void vscode.window
    .showWarningMessage(`${what}: trust the workspace first. Restricted Mode shows the remaining work but runs and writes nothing.`, 'Manage Workspace Trust')
    .then((choice) => {
      if (choice) void vscode.commands.executeCommand('workbench.trust.manage');
    });
  return false;
}

function relativePath(folder: vscode.WorkspaceFolder, uri: string): string {
  const relative = path.relative(folder.uri.fsPath, vscode.Uri.parse(uri).fsPath);
  return relative.split(path.sep).join('/');
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

function isCancellation(error: unknown): boolean {
  if (error instanceof vscode.CancellationError) return true;
  // LSPErrorCodes.RequestCancelled: the server stopped because we asked it to.
  return (error as { code?: unknown } | undefined)?.code === -32800;
}

function messageOf(error: unknown): string {
  return (error as Error)?.message ?? String(error);
}
