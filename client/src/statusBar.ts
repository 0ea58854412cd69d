// The status bar item that says whether cluster.yaml and nodes.yaml are valid; a click opens Problems.
import * as vscode from 'vscode';
import type { ConfigStatusParams } from '../../server/src/protocol';

export class ConfigStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('clusterTemplate.configStatus', vscode.StatusBarAlignment.Left, 10);
  private schemaText = '';

  constructor() {
    this.item.name = 'Cluster config';
    this.item.command = 'workbench.actions.view.problems';
  }

  setStarting(): void {
    this.item.text = '$(sync~spin) Cluster config';
    this.item.tooltip = 'Cluster Template Tools is reading the workspace…';
    this.item.show();
  }

  setReady(workspaceSchema: 'cue' | 'json' | 'none'): void {
    this.schemaText =
      workspaceSchema === 'cue'
        ? 'Keys are checked against the workspace CUE schema (as task configure does).'
        : workspaceSchema === 'json'
          ? 'Keys are checked against the workspace JSON schema.'
          : 'No workspace schema found: keys are checked against the cluster-template schema.';
  }

  update(status: ConfigStatusParams): void {
    const errors = status.files.reduce((n, f) => n + f.errors, 0);
    const warnings = status.files.reduce((n, f) => n + f.warnings, 0);
    const files = status.files.map((f) => `${vscode.workspace.asRelativePath(vscode.Uri.parse(f.uri))}: ${f.errors} error(s), ${f.warnings} warning(s)`);
    if (errors > 0) {
      this.item.text = `$(error) Cluster config: ${errors} error${errors === 1 ? '' : 's'}`;
      this.item.backgroundColor = new vscode.ThemeColor('statusBarItem.errorBackground');
    } else if (warnings > 0) {
      this.item.text = `$(warning) Cluster config: ${warnings} warning${warnings === 1 ? '' : 's'}`;
      this.item.backgroundColor = new vscode.ThemeColor('statusBarItem.warningBackground');
    } else {
      this.item.text = '$(check) Cluster config';
      this.item.backgroundColor = undefined;
    }
    const tooltip = new vscode.MarkdownString(
      [errors + warnings === 0 ? 'cluster.yaml and nodes.yaml are valid.' : 'Click to open the Problems panel.', ...files, this.schemaText].filter(Boolean).join('\n\n'),
    );
    this.item.tooltip = tooltip;
    this.item.show();
  }

  dispose(): void {
    this.item.dispose();
  }
}
