// Real-editor tests for rendering: the packaged .vsix in code-server on a copy of example/ (plus a
// fake age.key, which `task init` would create), driven as a user would: "Render Templates" from
// the Command Palette, the summary, Write, the question about hand edits, and the live preview.
// Needs scripts/prepare-e2e.mjs to have run (npm test does that).
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CodeServerSession, exampleWorkspace } from './support/codeServer';
import { clickDialogButton, clickNotificationButton, editorTextOfTab, hideNotificationCenter, showNotificationCenter, waitForDialog, waitForNotification, waitUntil } from './support/workbench';

// Starting code-server, chromium and the extension takes 10-20 s here; each step waits on the UI.
const sessionTimeoutMs = 180_000;
const stepTimeoutMs = 120_000;

const echoOutput = 'kubernetes/apps/default/echo/ks.yaml';
const secretsTemplate = 'templates/config/kubernetes/components/sops/cluster-secrets.sops.yaml.j2';

describe('rendering in a real VS Code', { timeout: sessionTimeoutMs * 3 }, () => {
  let session: CodeServerSession;
  let sourceDir: string;

  before(async () => {
    sourceDir = mkdtempSync(join(tmpdir(), 'ctt-e2e-render-src-'));
    const workspace = join(sourceDir, 'example');
    cpSync(exampleWorkspace, workspace, { recursive: true });
    writeFileSync(join(workspace, 'age.key'), '# public key: age1testonlyfakepublickeyforrendertestsxxxxxxxxxxxxxxxxxxxxxxxx\nAGE-SECRET-KEY-1TESTONLYFAKE\n');
    session = await CodeServerSession.start({ workspace });
    // The status bar item appears once the extension has started its language server.
    await session.statusBarItem('Cluster config').waitFor({ timeout: 60_000 });
  }, { timeout: sessionTimeoutMs });

  after(async () => {
    await session?.close();
    if (sourceDir) rmSync(sourceDir, { recursive: true, force: true });
  });

  it('renders from the Command Palette, shows the summary and writes the files on "Write"', { timeout: stepTimeoutMs }, async () => {
    await session.step('render-write', async () => {
      assert.ok(!existsSync(join(session.workspaceDir, echoOutput)), 'the copy already has rendered files');
      await session.runCommand('Cluster Template: Render Templates');
      const summary = await waitForNotification(session.page, /Render: \d+ created, 0 changed, 0 unchanged, 0 removed/);
      const created = Number(/Render: (\d+) created/.exec(await summary.innerText())?.[1]);
      assert.ok(created >= 10, `only ${created} files would be created`);
      await session.screenshot('render-summary');
      await clickNotificationButton(summary, 'Write');

      await waitForNotification(session.page, `Render: wrote ${created} files, removed 0.`);
      const ks = session.readWorkspaceFile(echoOutput);
      assert.match(ks, /^kind: Kustomization$/m);
      assert.doesNotMatch(ks, /#\{|#%/);
    });
  });

  it('shows the change of a hand-edited file in a diff, then asks before overwriting it and keeps the edit on "Keep My Edits"', { timeout: stepTimeoutMs }, async () => {
    await session.step('render-hand-edit', async () => {
      const outputPath = join(session.workspaceDir, echoOutput);
      const edited = readFileSync(outputPath, 'utf8') + '# changed by hand\n';
      writeFileSync(outputPath, edited);

      // Five notifications follow each other here; the center lists them all (see showNotificationCenter).
      await showNotificationCenter(session.page);
      await session.runCommand('Cluster Template: Render Templates');
      const summaryText = /Render: 0 created, 1 changed, \d+ unchanged, 0 removed/;
      await clickNotificationButton(await waitForNotification(session.page, summaryText), 'Show Changes');
      // One diff editor: the file on disk on the left, what the render would write on the right.
      await session.page.locator('.tabs-container .tab.active', { hasText: 'ks.yaml (on disk ↔ rendered)' }).waitFor();
      // The summary comes back, so Write is still one click away.
      await clickNotificationButton(await waitForNotification(session.page, summaryText), 'Write');
      const dialog = await waitForDialog(session.page, '1 generated file was edited by hand since the last render: overwrite?');
      assert.match(await dialog.innerText(), /kubernetes\/apps\/default\/echo\/ks\.yaml/);
      await session.screenshot('render-hand-edit-question');
      await clickDialogButton(dialog, 'Keep My Edits');

      await waitForNotification(session.page, 'Render: wrote 0 files, removed 0, kept 1 as they are.');
      assert.equal(readFileSync(outputPath, 'utf8'), edited);
      await hideNotificationCenter(session.page);
    });
  });

  it('opens the rendered preview beside a template and follows typing', { timeout: stepTimeoutMs }, async () => {
    await session.step('render-preview', async () => {
      await session.openFile(secretsTemplate);
      await session.runCommand('Cluster Template: Open Rendered Preview');
      // The preview's tab is the output's name: the template's without .j2.
      const previewTab = /cluster-secrets\.sops\.yaml(?!\.j2)/;
      const previewText = (): Promise<string> => editorTextOfTab(session.page, previewTab).catch(() => '');
      await waitUntil('the preview to show the rendered domain', async () => (await previewText()).includes('SECRET_DOMAIN: "example.net"'));

      // Back in the template (the preview opened without taking focus), typed key by key:
      // `#{` auto-closes with ` }#`, and the preview re-renders after each pause.
      await session.page.locator('.editor-group-container').first().locator('.monaco-editor .view-lines').click();
      await session.cursorToNewLastLine();
      await session.type('  PREVIEW_CHECK: #{ cloudflare_domain | upper');
      await waitUntil('the preview to show the typed line rendered', async () => (await previewText()).includes('PREVIEW_CHECK: EXAMPLE.NET'));
      await session.screenshot('render-preview');

      // A line that fails at render time: the preview says so on its first line, and Problems lists it.
      await session.cursorToNewLastLine();
      const { line } = await session.cursorPosition();
      await session.type('  BROKEN: #{ 1 // 0');
      await waitUntil('the preview to show the render error', async () =>
        (await previewText()).startsWith(`# Render error at line ${line}: ZeroDivisionError`));
      const problem = await session.waitForProblem('ZeroDivisionError', 'render-error');
      assert.match(problem, new RegExp(`\\[Ln ${line}, Col \\d+\\]`));
    });
  });

  it('compares the rendered preview with the file on disk', { timeout: stepTimeoutMs }, async () => {
    await session.step('render-compare', async () => {
      await session.openFile(secretsTemplate);
      await session.runCommand('Cluster Template: Compare Rendered Preview with File on Disk');
      await session.page.locator('.tabs-container .tab.active', { hasText: 'cluster-secrets.sops.yaml (on disk ↔ rendered preview)' }).waitFor();
      // The typed lines are only in the preview: the diff marks them as added on the right.
      await session.page.locator('.editor-instance .monaco-diff-editor .modified .line-insert').first().waitFor();
    });
  });
});
