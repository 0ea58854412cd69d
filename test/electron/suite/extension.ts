// The extension-host suite: drives our features through the VS Code API on the example workspace
// (opened by test/electron/run.mjs) and waits on diagnostics events, never on fixed sleeps.
import assert from 'node:assert/strict';
import * as vscode from 'vscode';

const extensionId = 'cluster-template-tools.cluster-template-tools';
const waitMs = 30_000;

export interface TestCase {
  name: string;
  run: () => Promise<void>;
}

function workspaceFile(name: string): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'no workspace folder open');
  return vscode.Uri.joinPath(folder.uri, name);
}

async function openClusterYaml(): Promise<vscode.TextDocument> {
  const document = await vscode.workspace.openTextDocument(workspaceFile('cluster.yaml'));
  await vscode.window.showTextDocument(document);
  return document;
}

function lineMatching(document: vscode.TextDocument, pattern: RegExp): vscode.TextLine {
  for (let line = 0; line < document.lineCount; line++) {
    if (pattern.test(document.lineAt(line).text)) return document.lineAt(line);
  }
  assert.fail(`no line matching ${pattern} in ${document.uri.fsPath}`);
}

async function replaceLine(document: vscode.TextDocument, line: number, text: string): Promise<void> {
  const edit = new vscode.WorkspaceEdit();
  edit.replace(document.uri, document.lineAt(line).range, text);
  assert.ok(await vscode.workspace.applyEdit(edit), 'edit was not applied');
}

function codeOf(diagnostic: vscode.Diagnostic): string | number | undefined {
  const code = diagnostic.code;
  return typeof code === 'object' ? code.value : code;
}

function ours(uri: vscode.Uri): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri).filter((diagnostic) => diagnostic.source === 'cluster-template');
}

/** Resolves once the diagnostics of `uri` satisfy `isDone`, checking after every change event. */
function waitForDiagnostics(
  uri: vscode.Uri,
  isDone: (diagnostics: vscode.Diagnostic[]) => boolean,
  what: string,
): Promise<vscode.Diagnostic[]> {
  return new Promise((resolve, reject) => {
    if (isDone(ours(uri))) return resolve(ours(uri));
    const timer = setTimeout(() => {
      subscription.dispose();
      const seen = ours(uri).map((d) => `${codeOf(d)}: ${d.message}`).join('\n');
      reject(new Error(`timed out waiting for ${what}; diagnostics now:\n${seen}`));
    }, waitMs);
    const subscription = vscode.languages.onDidChangeDiagnostics((event) => {
      if (!event.uris.some((changed) => changed.toString() === uri.toString())) return;
      if (!isDone(ours(uri))) return;
      clearTimeout(timer);
      subscription.dispose();
      resolve(ours(uri));
    });
  });
}

/** Makes a mistake in one line, checks the diagnostic it causes, then restores the line. */
async function expectDiagnosticForLine(
  linePattern: RegExp,
  mistake: (line: string) => string,
  code: string,
  message: RegExp,
): Promise<void> {
  const document = await openClusterYaml();
  const line = lineMatching(document, linePattern);
  const original = line.text;
  await replaceLine(document, line.lineNumber, mistake(original));
  try {
    const found = await waitForDiagnostics(document.uri, (all) => all.some((d) => codeOf(d) === code), code);
    const diagnostic = found.find((d) => codeOf(d) === code);
    assert.ok(diagnostic);
    assert.match(diagnostic.message, message);
    assert.equal(diagnostic.range.start.line, line.lineNumber, 'reported on the edited line');
  } finally {
    await replaceLine(document, line.lineNumber, original);
  }
  await waitForDiagnostics(document.uri, (all) => !all.some((d) => codeOf(d) === code), `${code} to clear`);
}

export const cases: TestCase[] = [
  {
    name: 'the extension activates on the example workspace',
    run: async () => {
      const extension = vscode.extensions.getExtension(extensionId);
      assert.ok(extension, `${extensionId} is not installed`);
      await extension.activate();
      assert.equal(extension.isActive, true);
    },
  },
  {
    name: 'cluster_api_addr outside node_cidr is an api-addr-in-cidr error on that line',
    run: () =>
      expectDiagnosticForLine(
        /^cluster_api_addr:/,
        () => 'cluster_api_addr: "10.0.0.5"',
        'api-addr-in-cidr',
        /cluster_api_addr 10\.0\.0\.5 is outside node_cidr/,
      ),
  },
  {
    name: 'a mistyped key is an unknown-key problem with a "did you mean"',
    run: () =>
      expectDiagnosticForLine(
        /^node_cidr:/,
        (line) => line.replace(/^node_cidr:/, 'node_cidrr:'),
        'unknown-key',
        /node_cidrr[\s\S]*did you mean[\s\S]*node_cidr\b/i,
      ),
  },
  {
    name: 'completion on an empty line offers a missing top-level key',
    run: async () => {
      const document = await openClusterYaml();
      const missingKey = ['node_vlan_tag', 'cilium_bgp_router_addr', 'node_default_gateway']
        .find((key) => !new RegExp(`^${key}:`, 'm').test(document.getText()));
      assert.ok(missingKey, 'example/cluster.yaml sets every candidate key');
      const end = document.lineAt(document.lineCount - 1).range.end;
      const edit = new vscode.WorkspaceEdit();
      edit.insert(document.uri, end, '\n');
      assert.ok(await vscode.workspace.applyEdit(edit));
      try {
        const list = await vscode.commands.executeCommand<vscode.CompletionList>(
          'vscode.executeCompletionItemProvider',
          document.uri,
          new vscode.Position(document.lineCount - 1, 0),
        );
        const labels = list.items.map((item) => (typeof item.label === 'string' ? item.label : item.label.label));
        assert.ok(labels.some((label) => label.startsWith(missingKey)), `${missingKey} not in ${labels.join(', ')}`);
      } finally {
        const undo = new vscode.WorkspaceEdit();
        undo.delete(document.uri, new vscode.Range(end, document.lineAt(document.lineCount - 1).range.end));
        await vscode.workspace.applyEdit(undo);
      }
    },
  },
  {
    name: 'hover on node_cidr shows its documentation',
    run: async () => {
      const document = await openClusterYaml();
      const line = lineMatching(document, /^node_cidr:/);
      const hovers = await vscode.commands.executeCommand<vscode.Hover[]>(
        'vscode.executeHoverProvider',
        document.uri,
        new vscode.Position(line.lineNumber, 2),
      );
      const text = hovers
        .flatMap((hover) => hover.contents)
        .map((content) => (typeof content === 'string' ? content : content.value))
        .join('\n');
      assert.match(text, /(\*\*|`)node_cidr(\*\*|`)/, 'names the key in bold or code');
      assert.match(text, /network/i, 'describes the key');
    },
  },
];
