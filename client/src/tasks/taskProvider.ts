// The Taskfile tasks of each workspace folder as VS Code tasks ("Run Task" lists `task configure`,
// `task reconcile`, ...). The server reads the Taskfile and its includes; this module only turns
// its answer into vscode.Task objects. It never starts the language server on its own.
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { taskfileTasksRequest, type TaskfileTaskInfo } from '../../../server/src/protocol';

/** Declared in package.json `taskDefinitions`. */
export const TASKFILE_TASK_TYPE = 'cluster-template-task';
export const TASK_SOURCE = 'Cluster Template';

export interface TaskfileTaskDefinition extends vscode.TaskDefinition {
  /** The Taskfile task, with its namespace: `configure`, `talos:apply-node`. */
  task: string;
  /** The workspace folder (by name) whose Taskfile declares it; the task's own folder otherwise. */
  folder?: string;
  /** Variables passed on the command line as NAME=value (Task's way to set `requires` vars). */
  vars?: Record<string, string>;
}

export interface TaskProviderDeps {
  /** The language client when it is running or starting; undefined outside cluster-template workspaces. */
  startedClient(): Promise<LanguageClient> | undefined;
  output: vscode.LogOutputChannel;
}

export class TaskfileTaskProvider implements vscode.TaskProvider {
  constructor(private readonly deps: TaskProviderDeps) {}

  async provideTasks(token: vscode.CancellationToken): Promise<vscode.Task[]> {
    const starting = this.deps.startedClient();
    // Not a cluster-template workspace: starting a server only to list tasks would be wasted.
    if (!starting) return [];
    const client = await starting;
    const tasks: vscode.Task[] = [];
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
      if (token.isCancellationRequested) break;
      const listed = await this.listTasks(client, folder, token);
      if (!listed) continue;
      for (const info of listed.tasks) {
        if (info.isInternal) continue;
        tasks.push(taskfileTask({ type: TASKFILE_TASK_TYPE, task: info.name }, folder, listed.environment, info));
      }
    }
    return tasks;
  }

  /** Completes a task written in tasks.json: `{ "type": "cluster-template-task", "task": "configure" }`. */
  async resolveTask(task: vscode.Task, token: vscode.CancellationToken): Promise<vscode.Task | undefined> {
    const definition = task.definition as TaskfileTaskDefinition;
    if (definition.type !== TASKFILE_TASK_TYPE || typeof definition.task !== 'string' || definition.task === '') return undefined;
    const folder = folderOfTask(task, definition);
    if (!folder) return undefined;
    const starting = this.deps.startedClient();
    const listed = starting ? await this.listTasks(await starting, folder, token) : undefined;
    const info = listed?.tasks.find((candidate) => candidate.name === definition.task);
    // The definition object must be the one given, or VS Code does not match the resolved task to tasks.json.
    return taskfileTask(definition, folder, listed?.environment ?? {}, info, task.name);
  }

  private async listTasks(
    client: LanguageClient,
    folder: vscode.WorkspaceFolder,
    token: vscode.CancellationToken,
  ): Promise<{ tasks: TaskfileTaskInfo[]; environment: Record<string, string> } | undefined> {
    try {
      const result = await client.sendRequest(taskfileTasksRequest, { folderUri: folder.uri.toString() }, token);
      for (const problem of result.problems) this.deps.output.warn(`[tasks] ${folder.name}: ${problem}`);
      return result;
    } catch (error) {
      this.deps.output.error(`[tasks] ${folder.name}: could not read the Taskfile: ${(error as Error)?.message ?? String(error)}`);
      return undefined;
    }
  }
}

export function registerTaskfileTaskProvider(deps: TaskProviderDeps): vscode.Disposable[] {
  return [vscode.tasks.registerTaskProvider(TASKFILE_TASK_TYPE, new TaskfileTaskProvider(deps))];
}

/** `task <name> [NAME=value ...]` in the folder, with the Taskfile's environment. */
function taskfileTask(
  definition: TaskfileTaskDefinition,
  folder: vscode.WorkspaceFolder,
  environment: Record<string, string>,
  info: TaskfileTaskInfo | undefined,
  name = `task ${definition.task}`,
): vscode.Task {
  const vars = Object.entries(definition.vars ?? {}).map(([key, value]) => `${key}=${value}`);
  // Arguments (not a command line): VS Code quotes each one for the user's shell.
  const execution = new vscode.ShellExecution('task', [definition.task, ...vars], { cwd: folder.uri.fsPath, env: environment });
  const task = new vscode.Task(definition, folder, name, TASK_SOURCE, execution, []);
  const needs = info && info.requiredVars.length > 0 ? `needs ${info.requiredVars.join(', ')}` : undefined;
  task.detail = [info?.description, needs].filter(Boolean).join(' · ') || undefined;
  return task;
}

function folderOfTask(task: vscode.Task, definition: TaskfileTaskDefinition): vscode.WorkspaceFolder | undefined {
  const folders = vscode.workspace.workspaceFolders ?? [];
  if (definition.folder) return folders.find((folder) => folder.name === definition.folder);
  if (task.scope && typeof task.scope === 'object') return task.scope;
  // A workspace-level task (in a .code-workspace file): only unambiguous with one folder.
  return folders.length === 1 ? folders[0] : undefined;
}
