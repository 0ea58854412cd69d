// Real-editor tests for the remaining-work view: the packaged .vsix in code-server on a copy of
// example/ (shaped like the seed's repository on 2026-01-06, plus a fake age.key as `task init`
// would make), driven as a user would: the Cluster Template activity bar item, the tree's groups
// and states read from the page, and a scaffold step run with its inline button.
// Needs scripts/prepare-e2e.mjs to have run (npm test does that).
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import { CodeServerSession, exampleWorkspace } from './support/codeServer';
import { clickDialogButton, waitForDialog, waitForNotification, waitUntil } from './support/workbench';

// Starting code-server, chromium and the extension takes 10-20 s here; each step waits on the UI.
const sessionTimeoutMs = 180_000;
const stepTimeoutMs = 120_000;

/** What the VolSync scaffold creates, relative to the workspace (the catalog's requirement list). */
const volsyncTemplates = [
  'ks.yaml.j2',
  'app/kustomization.yaml.j2',
  'app/helmrelease.yaml.j2',
  'app/ocirepository.yaml.j2',
  'app/secret.sops.yaml.j2',
].map((file) => `templates/config/kubernetes/apps/storage/volsync/${file}`);

const talosBackup = /Talos etcd backup/;
const tuppr = /^tuppr\b/;
const volsync = /^VolSync\b/;
const jwt = /^JWT SecurityPolicy/;

interface TreeRow {
  level: number;
  label: string;
  description: string;
}

/** The rows the Remaining Work tree renders now (all of them fit in the window's height), top to bottom. */
async function treeRows(page: Page): Promise<TreeRow[]> {
  const rows = await remainingWorkTree(page).locator('.monaco-list-row').all();
  const result: TreeRow[] = [];
  for (const row of rows) {
    // allInnerTexts does not wait: step rows without a description have no such element.
    const [label = ''] = await row.locator('.label-name').allInnerTexts();
    const [description = ''] = await row.locator('.label-description').allInnerTexts();
    result.push({ level: Number(await row.getAttribute('aria-level')), label: label.trim(), description: description.trim() });
  }
  return result;
}

function remainingWorkTree(page: Page): Locator {
  return page.locator('.part.sidebar .monaco-list[aria-label="Remaining Work"]');
}

/** Group label → the item rows under it (one level deeper), from a flat list of rows. */
function itemsByGroup(rows: TreeRow[]): Map<string, TreeRow[]> {
  const groups = new Map<string, TreeRow[]>();
  const groupLevel = Math.min(...rows.map((row) => row.level));
  let current: TreeRow[] | undefined;
  for (const row of rows) {
    if (row.level === groupLevel) groups.set(row.label, (current = []));
    else if (row.level === groupLevel + 1) current?.push(row);
  }
  return groups;
}

function findItem(rows: TreeRow[] | undefined, title: RegExp): TreeRow | undefined {
  return rows?.find((row) => title.test(row.label));
}

function rowLocator(page: Page, label: RegExp): Locator {
  return remainingWorkTree(page)
    .locator('.monaco-list-row')
    .filter({ has: page.locator('.label-name', { hasText: label }) })
    .first();
}

describe('remaining work in a real VS Code', { timeout: sessionTimeoutMs * 3 }, () => {
  let session: CodeServerSession;
  let sourceDir: string;

  before(async () => {
    sourceDir = mkdtempSync(join(tmpdir(), 'ctt-e2e-tasks-src-'));
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

  it('shows the items grouped by priority with their states', { timeout: stepTimeoutMs }, async () => {
    await session.step('tasks-tree', async () => {
      const { page } = session;
      await page.locator('.part.activitybar').getByRole('tab', { name: /^Cluster Template/ }).click();
      await rowLocator(page, /^High$/).waitFor();
      // The groups and items come with the first answer; wait until the Low group has its item too.
      await rowLocator(page, jwt).waitFor();
      await session.screenshot('tasks-tree');

      const groups = itemsByGroup(await treeRows(page));
      const groupNames = [...groups.keys()];
      assert.deepEqual(
        groupNames.filter((name) => ['High', 'Medium', 'Low', 'Future', 'Completed'].includes(name)),
        groupNames,
        `unexpected root rows: ${groupNames.join(', ')}`,
      );
      assert.deepEqual(groupNames.slice(0, 3), ['High', 'Medium', 'Low']);
      const high = groups.get('High');
      assert.ok(findItem(high, talosBackup), `no Talos backup under High: ${JSON.stringify(high)}`);
      assert.ok(findItem(high, tuppr), `no tuppr under High: ${JSON.stringify(high)}`);
      const medium = groups.get('Medium');
      assert.equal(findItem(medium, volsync)?.description, 'to do', `VolSync under Medium: ${JSON.stringify(medium)}`);
      const low = groups.get('Low');
      assert.equal(findItem(low, jwt)?.description, 'blocked', `JWT under Low: ${JSON.stringify(low)}`);
      // Nothing is finished in this workspace yet; every item is in exactly one group.
      const everyItem = [...groups.values()].flat().map((row) => row.label);
      assert.equal(new Set(everyItem).size, everyItem.length, `an item is listed twice: ${everyItem.join(', ')}`);
    });
  });

  it('scaffolds VolSync from its step\'s inline button and shows the new state', { timeout: stepTimeoutMs }, async () => {
    await session.step('tasks-scaffold', async () => {
      const { page } = session;
      for (const file of volsyncTemplates) assert.ok(!existsSync(join(session.workspaceDir, file)), `${file} exists before the scaffold`);

      // A click on the item unfolds its steps; the run button shows on the hovered row.
      await rowLocator(page, volsync).click();
      const step = rowLocator(page, /^Create the VolSync templates$/);
      await step.waitFor();
      await step.hover();
      await step.getByRole('button', { name: 'Run Step' }).click();

      // The five templates, and whatever else the scaffold adds (helpers, kustomization and schema edits).
      const dialog = await waitForDialog(page, /VolSync PVC backups: create \d+ files/);
      const question = await dialog.innerText();
      for (const file of volsyncTemplates) assert.ok(question.includes(file.replace('templates/config/', '')), `the question does not list ${file}:\n${question}`);
      await session.screenshot('tasks-scaffold-question');
      await clickDialogButton(dialog, 'Scaffold');

      await waitForNotification(page, /^VolSync PVC backups: wrote \d+ files/);
      for (const file of volsyncTemplates) assert.ok(existsSync(join(session.workspaceDir, file)), `${file} was not written`);
      const ks = session.readWorkspaceFile(volsyncTemplates[0]);
      assert.match(ks, /kind: Kustomization/);
      assert.match(ks, /#%/, 'the template is not gated with the workspace\'s block delimiters');
      // The first created file opens in an editor.
      const createdNames = volsyncTemplates.map((file) => basename(file));
      await page.locator('.tabs-container .tab', { hasText: new RegExp(createdNames.map((name) => name.replace(/\./g, '\\.')).join('|')) }).first().waitFor();

      // The server sees the new files and the tree follows: VolSync is under way now.
      let rows: TreeRow[] = [];
      await waitUntil('VolSync to be shown in progress', async () => {
        rows = await treeRows(page);
        return findItem(itemsByGroup(rows).get('Medium'), volsync)?.description === 'in progress';
      }).catch((error: Error) => {
        throw new Error(`${error.message}; rows: ${JSON.stringify(rows)}`);
      });
      await session.screenshot('tasks-scaffold-done');
    });
  });
});
