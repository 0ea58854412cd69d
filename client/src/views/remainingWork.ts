// The "Remaining Work" tree: per workspace folder, the catalog items the server read from it,
// grouped by priority, with their steps as children. It only shows what the server says; it
// computes no state and runs nothing (commands/tasks.ts does, from the nodes made here).
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import {
  workItemsRequest,
  type WorkItemInfo,
  type WorkItemState,
  type WorkItemsResult,
  type WorkPriority,
  type WorkStepInfo,
  type WorkStepKind,
  type WorkStepResult,
} from '../../../server/src/protocol';

export const REMAINING_WORK_VIEW_ID = 'clusterTemplate.remainingWork';
/** True when at least one workspace folder is a cluster-template repository (viewsWelcome reads it). */
export const IS_CLUSTER_TEMPLATE_REPO_KEY = 'clusterTemplate.isClusterTemplateRepo';
/** True once every folder has answered: keeps the "not a cluster-template repository" text from flashing while loading. */
export const REMAINING_WORK_LOADED_KEY = 'clusterTemplate.remainingWorkLoaded';

/** Changes arriving closer together than this cause one reload (a render touches hundreds of files). */
const REFRESH_DEBOUNCE_MS = 200;

export type GroupId = WorkPriority | 'completed';
const GROUP_ORDER: readonly GroupId[] = ['high', 'medium', 'low', 'future', 'completed'];
const GROUP_LABELS: Record<GroupId, string> = { high: 'High', medium: 'Medium', low: 'Low', future: 'Future', completed: 'Completed' };

const STATE_LABELS: Record<WorkItemState, string> = {
  done: 'done',
  'in-progress': 'in progress',
  todo: 'to do',
  blocked: 'blocked',
  unknown: 'unknown',
};

export interface FolderNode {
  kind: 'folder';
  folder: vscode.WorkspaceFolder;
}

export interface GroupNode {
  kind: 'group';
  folder: vscode.WorkspaceFolder;
  group: GroupId;
  items: WorkItemInfo[];
  /** Titles of every item of the folder, for "depends on" in tooltips. */
  titles: ReadonlyMap<string, string>;
}

export interface ItemNode {
  kind: 'item';
  folder: vscode.WorkspaceFolder;
  item: WorkItemInfo;
  titles: ReadonlyMap<string, string>;
}

export interface StepNode {
  kind: 'step';
  folder: vscode.WorkspaceFolder;
  item: WorkItemInfo;
  step: WorkStepInfo;
}

export interface MessageNode {
  kind: 'message';
  folder: vscode.WorkspaceFolder;
  text: string;
}

export type RemainingWorkNode = FolderNode | GroupNode | ItemNode | StepNode | MessageNode;

export interface RemainingWorkDeps {
  /** The running language client (started on first use). */
  client(): Promise<LanguageClient>;
  output: vscode.LogOutputChannel;
}

/** What a folder answered: its items, or why it could not be read. */
type FolderAnswer = { result: WorkItemsResult } | { error: string };

/**
 * Serves the tree and keeps the last answer of each folder, which the commands read for a step's
 * command line and the environment. Reloads on `refresh` (debounced) and when folders change.
 */
export class RemainingWorkProvider implements vscode.TreeDataProvider<RemainingWorkNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<RemainingWorkNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly answers = new Map<string, Promise<FolderAnswer>>();
  private readonly pendingFolders = new Set<string>();
  private readonly notesShown = new Set<string>();
  private readonly subscriptions: vscode.Disposable[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: RemainingWorkDeps) {
    this.subscriptions.push(
      this.changed,
      vscode.workspace.onDidChangeWorkspaceFolders(() => this.scheduleRefresh()),
    );
  }

  /** Reloads one folder (by uri) or all of them, once changes have stopped for a moment. */
  scheduleRefresh(folderUri?: string): void {
    // An empty string in the set stands for "every folder".
    this.pendingFolders.add(folderUri ?? '');
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const folders = [...this.pendingFolders];
      this.pendingFolders.clear();
      if (folders.includes('')) this.answers.clear();
      else for (const uri of folders) this.answers.delete(normalizedFolderKey(uri));
      this.changed.fire(undefined);
    }, REFRESH_DEBOUNCE_MS);
  }

  /** Reloads everything now and resolves when the folders have answered. */
  async refreshNow(): Promise<void> {
    this.answers.clear();
    this.changed.fire(undefined);
    await Promise.all((vscode.workspace.workspaceFolders ?? []).map((folder) => this.answerOf(folder)));
  }

  /** The folder's items as last read (read now when there is no answer yet); undefined when it could not be read. */
  async itemsOf(folder: vscode.WorkspaceFolder): Promise<WorkItemsResult | undefined> {
    const answer = await this.answerOf(folder);
    return 'result' in answer ? answer.result : undefined;
  }

  /** The workspace folders that are cluster-template repositories. */
  async clusterTemplateFolders(): Promise<vscode.WorkspaceFolder[]> {
    const folders = vscode.workspace.workspaceFolders ?? [];
    const results = await Promise.all(folders.map((folder) => this.itemsOf(folder)));
    return folders.filter((_folder, index) => results[index]?.isClusterTemplate === true);
  }

  /** The current node of a step, from the last answer of its folder. */
  async findStep(folder: vscode.WorkspaceFolder, itemId: string, stepId: string): Promise<StepNode | undefined> {
    const result = await this.itemsOf(folder);
    const item = result?.items.find((candidate) => candidate.id === itemId);
    const step = item?.steps.find((candidate) => candidate.id === stepId);
    return item && step ? { kind: 'step', folder, item, step } : undefined;
  }

  async getChildren(node?: RemainingWorkNode): Promise<RemainingWorkNode[]> {
    if (!node) return this.rootNodes();
    switch (node.kind) {
      case 'folder':
        return this.folderChildren(node.folder);
      case 'group':
        return node.items.map((item) => ({ kind: 'item', folder: node.folder, item, titles: node.titles }));
      case 'item':
        return node.item.steps.map((step) => ({ kind: 'step', folder: node.folder, item: node.item, step }));
      default:
        return [];
    }
  }

  getTreeItem(node: RemainingWorkNode): vscode.TreeItem {
    switch (node.kind) {
      case 'folder':
        return folderTreeItem(node);
      case 'group':
        return groupTreeItem(node);
      case 'item':
        return itemTreeItem(node);
      case 'step':
        return stepTreeItem(node);
      case 'message':
        return messageTreeItem(node);
    }
  }

  private async rootNodes(): Promise<RemainingWorkNode[]> {
    const folders = vscode.workspace.workspaceFolders ?? [];
    const answers = await Promise.all(folders.map((folder) => this.answerOf(folder)));
    // A folder whose answer failed is listed too: its node says why.
    const shown = folders.filter((_folder, index) => {
      const answer = answers[index];
      return 'error' in answer || answer.result.isClusterTemplate;
    });
    const isClusterTemplateRepo = answers.some((answer) => 'result' in answer && answer.result.isClusterTemplate);
    await vscode.commands.executeCommand('setContext', IS_CLUSTER_TEMPLATE_REPO_KEY, isClusterTemplateRepo);
    await vscode.commands.executeCommand('setContext', REMAINING_WORK_LOADED_KEY, true);
    if (shown.length === 1) return this.folderChildren(shown[0]);
    return shown.map((folder) => ({ kind: 'folder', folder }));
  }

  private async folderChildren(folder: vscode.WorkspaceFolder): Promise<RemainingWorkNode[]> {
    const answer = await this.answerOf(folder);
    if ('error' in answer) return [{ kind: 'message', folder, text: `Could not read the remaining work: ${answer.error}` }];
    const { items } = answer.result;
    const titles = new Map(items.map((item) => [item.id, item.title]));
    const groups: RemainingWorkNode[] = [];
    for (const group of GROUP_ORDER) {
      const members = items.filter((item) => (group === 'completed' ? item.state === 'done' : item.state !== 'done' && item.priority === group));
      if (members.length > 0) groups.push({ kind: 'group', folder, group, items: members, titles });
    }
    return groups;
  }

  private answerOf(folder: vscode.WorkspaceFolder): Promise<FolderAnswer> {
    const key = normalizedFolderKey(folder.uri.toString());
    let answer = this.answers.get(key);
    if (!answer) {
      answer = this.requestItems(folder);
      this.answers.set(key, answer);
    }
    return answer;
  }

  private async requestItems(folder: vscode.WorkspaceFolder): Promise<FolderAnswer> {
    try {
      const client = await this.deps.client();
      const result = await client.sendRequest(workItemsRequest, { folderUri: folder.uri.toString() });
      for (const note of result.notes) {
        if (this.notesShown.has(note)) continue;
        this.notesShown.add(note);
        this.deps.output.info(`[remaining work] ${folder.name}: ${note}`);
      }
      return { result };
    } catch (error) {
      const message = (error as Error)?.message ?? String(error);
      this.deps.output.error(`[remaining work] ${folder.name}: ${message}`);
      return { error: message };
    }
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    for (const subscription of this.subscriptions) subscription.dispose();
  }
}

/** Creates the view and its provider; everything returned goes into the disposables list. */
export function registerRemainingWorkView(provider: RemainingWorkProvider): vscode.Disposable[] {
  const view = vscode.window.createTreeView(REMAINING_WORK_VIEW_ID, { treeDataProvider: provider, showCollapseAll: true });
  return [provider, view];
}

// ---- tree items -----------------------------------------------------------------------------------

/** Folder uris arrive from the server and from VS Code; compare them in one spelling. */
function normalizedFolderKey(uri: string): string {
  return vscode.Uri.parse(uri).toString().replace(/\/$/, '');
}

function folderKey(folder: vscode.WorkspaceFolder): string {
  return normalizedFolderKey(folder.uri.toString());
}

function folderTreeItem(node: FolderNode): vscode.TreeItem {
  const treeItem = new vscode.TreeItem(node.folder.name, vscode.TreeItemCollapsibleState.Expanded);
  treeItem.id = folderKey(node.folder);
  treeItem.iconPath = vscode.ThemeIcon.Folder;
  treeItem.resourceUri = node.folder.uri;
  treeItem.contextValue = 'folder';
  return treeItem;
}

function groupTreeItem(node: GroupNode): vscode.TreeItem {
  // What needs doing soon is open; the far future and what is finished start folded.
  const isOpen = node.group !== 'future' && node.group !== 'completed';
  const treeItem = new vscode.TreeItem(
    GROUP_LABELS[node.group],
    isOpen ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed,
  );
  treeItem.id = `${folderKey(node.folder)}#group:${node.group}`;
  treeItem.description = String(node.items.length);
  treeItem.contextValue = `group-${node.group}`;
  return treeItem;
}

function itemTreeItem(node: ItemNode): vscode.TreeItem {
  const { item } = node;
  const treeItem = new vscode.TreeItem(item.title, vscode.TreeItemCollapsibleState.Collapsed);
  treeItem.id = `${folderKey(node.folder)}#item:${item.id}`;
  treeItem.description = STATE_LABELS[item.state] + (item.isGuide ? ' · guide' : '');
  treeItem.iconPath = stateIcon(item.state);
  treeItem.tooltip = itemTooltip(item, node.titles);
  treeItem.contextValue = item.isGuide ? 'item-guide' : 'item';
  return treeItem;
}

function stepTreeItem(node: StepNode): vscode.TreeItem {
  const { step } = node;
  const treeItem = new vscode.TreeItem(step.title, vscode.TreeItemCollapsibleState.None);
  treeItem.id = `${folderKey(node.folder)}#item:${node.item.id}#step:${step.id}`;
  treeItem.description = stepDescription(step);
  treeItem.iconPath = stepIcon(step);
  treeItem.tooltip = stepTooltip(step);
  // Short kebab-case words for the `when` clauses of the inline buttons.
  treeItem.contextValue = `step-${step.kind}`;
  if (step.kind === 'manual') {
    // Reading is all a manual step offers, so a click does it (also in restricted mode).
    treeItem.command = { command: 'clusterTemplate.runStep', title: 'Show Step', arguments: [node] };
  }
  return treeItem;
}

function messageTreeItem(node: MessageNode): vscode.TreeItem {
  const treeItem = new vscode.TreeItem(node.text, vscode.TreeItemCollapsibleState.None);
  treeItem.id = `${folderKey(node.folder)}#message`;
  treeItem.iconPath = new vscode.ThemeIcon('error', new vscode.ThemeColor('problemsErrorIcon.foreground'));
  treeItem.tooltip = node.text;
  treeItem.command = { command: 'clusterTemplate.showOutput', title: 'Show Output' };
  return treeItem;
}

function stateIcon(state: WorkItemState): vscode.ThemeIcon {
  switch (state) {
    case 'done':
      return new vscode.ThemeIcon('pass-filled', new vscode.ThemeColor('testing.iconPassed'));
    case 'in-progress':
      return new vscode.ThemeIcon('pie-chart', new vscode.ThemeColor('charts.yellow'));
    case 'todo':
      return new vscode.ThemeIcon('circle-large-outline');
    case 'blocked':
      return new vscode.ThemeIcon('lock', new vscode.ThemeColor('problemsWarningIcon.foreground'));
    case 'unknown':
      return new vscode.ThemeIcon('question');
  }
}

const STEP_KIND_ICONS: Record<WorkStepKind, string> = {
  scaffold: 'new-file',
  configure: 'edit',
  pipeline: 'run-all',
  run: 'terminal',
  verify: 'beaker',
  manual: 'book',
};

const STEP_KIND_LABELS: Record<WorkStepKind, string> = {
  scaffold: 'Creates templates',
  configure: 'Sets values in cluster.yaml',
  pipeline: 'Runs a pipeline',
  run: 'Runs a command in a terminal',
  verify: 'Checks the cluster',
  manual: 'Done by hand',
};

/** The last result when there is one (that is what the user looks for), the kind otherwise. */
function stepIcon(step: WorkStepInfo): vscode.ThemeIcon {
  switch (step.lastResult?.status) {
    case 'pass':
      return new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed'));
    case 'fail':
      return new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed'));
    case 'error':
      return new vscode.ThemeIcon('warning', new vscode.ThemeColor('testing.iconErrored'));
    default:
      return new vscode.ThemeIcon(STEP_KIND_ICONS[step.kind]);
  }
}

function stepDescription(step: WorkStepInfo): string | undefined {
  if (step.lastResult) return `${resultLabel(step.lastResult)} · ${shortTime(step.lastResult.at)}`;
  if (step.missingValues && step.missingValues.length > 0) return `needs ${step.missingValues.join(', ')}`;
  if (step.missingTool) return 'tool missing';
  return undefined;
}

function resultLabel(result: WorkStepResult): string {
  return result.status === 'pass' ? 'passed' : `${result.status === 'fail' ? 'failed' : 'error'}: ${result.reason}`;
}

function itemTooltip(item: WorkItemInfo, titles: ReadonlyMap<string, string>): vscode.MarkdownString {
  const markdown = new vscode.MarkdownString();
  markdown.appendMarkdown('**');
  markdown.appendText(item.title);
  markdown.appendMarkdown(`** · ${STATE_LABELS[item.state]}${item.isGuide ? ' · guide' : ''}\n\n`);
  markdown.appendText(item.summary);
  appendList(markdown, 'Why', item.reasons);
  appendList(markdown, 'Warnings', item.warnings);
  if (item.dependsOn.length > 0) appendList(markdown, 'Depends on', item.dependsOn.map((id) => titles.get(id) ?? id));
  return markdown;
}

function stepTooltip(step: WorkStepInfo): vscode.MarkdownString {
  const markdown = new vscode.MarkdownString();
  markdown.appendMarkdown('**');
  markdown.appendText(step.title);
  markdown.appendMarkdown(`** · ${STEP_KIND_LABELS[step.kind]}\n\n`);
  if (step.detail) markdown.appendText(step.detail);
  if (step.commandLine) {
    markdown.appendMarkdown('\n\n');
    markdown.appendCodeblock(step.commandLine, 'shellscript');
  }
  if (step.missingValues && step.missingValues.length > 0) appendList(markdown, 'No value yet in cluster.yaml / nodes.yaml', step.missingValues);
  if (step.missingTool) appendList(markdown, 'Missing tool', [step.missingTool]);
  if (step.lastResult) {
    const result = step.lastResult;
    appendList(markdown, `Last run ${new Date(result.at).toLocaleString()}`, [`${result.status}: ${result.reason}`, ...result.details]);
  }
  return markdown;
}

/** A bold heading and one bullet per entry; entries are text, never markup. */
function appendList(markdown: vscode.MarkdownString, heading: string, entries: string[]): void {
  if (entries.length === 0) return;
  markdown.appendMarkdown('\n\n**');
  markdown.appendText(heading);
  markdown.appendMarkdown('**\n');
  for (const entry of entries) {
    markdown.appendMarkdown('\n- ');
    markdown.appendText(entry.replace(/\s*\n\s*/g, ' '));
  }
}

/** Time of day for today's runs, the date for older ones. */
function shortTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const isToday = date.toDateString() === new Date().toDateString();
  return isToday ? date.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' }) : date.toLocaleDateString();
}
