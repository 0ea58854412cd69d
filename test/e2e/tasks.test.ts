// Real-editor tests for the remaining-work view: the packaged .vsix in code-server on a copy of
// example/ (shaped like the seed's repository on 2026-01-06, plus an age.key as `task init` would
// make), driven as a user would: the Cluster Template activity bar item, the tree's groups and
// states read from the page, a scaffold step run with its inline button, the set-variables steps
// answered in quick picks and input boxes, Configure, and the rendered, encrypted result on disk.
// A second session checks restricted mode. Needs scripts/prepare-e2e.mjs (npm test runs it).
// The S3 keys typed here are fake; decrypted values are compared in memory and never printed.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { CodeServerSession, exampleWorkspace } from './support/codeServer';
import { clickDialogButton, clickNotificationButton, waitForDialog, waitForNotification, waitUntil } from './support/workbench';

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

/** Typed into the password boxes of both items; must never reach a rendered file in plain text. */
const FAKE_ACCESS_KEY = 'FAKEACCESSKEYE2E';
const FAKE_SECRET_KEY = 'fake-secret-key-e2e';
const RUSTFS_ENDPOINT = 'http://rustfs-svc.storage.svc.cluster.local:9000';

const talosBackupSecret = 'kubernetes/apps/kube-system/talos-backup/app/secret.sops.yaml';
const volsyncSecret = 'kubernetes/apps/storage/volsync/app/secret.sops.yaml';

/** Rendering plus encryption of the whole example takes a few seconds; the first run starts cold. */
const configureTimeoutMs = 90_000;

interface TreeRow {
  level: number;
  label: string;
  description: string;
}

/**
 * The rows the Remaining Work tree renders now (all of them fit in the window's height), top to
 * bottom. Read in one pass in the page: the tree re-renders while it refreshes, and rows read one
 * by one could be gone by the time they are asked for.
 */
async function treeRows(page: Page): Promise<TreeRow[]> {
  const rows = await remainingWorkTree(page)
    .locator('.monaco-list-row')
    .evaluateAll((elements) =>
      elements.map((row) => ({
        index: Number(row.getAttribute('data-index')),
        level: Number(row.getAttribute('aria-level')),
        // Step rows without a description have no such element.
        label: (row.querySelector('.label-name')?.textContent ?? '').trim(),
        description: (row.querySelector('.label-description')?.textContent ?? '').trim(),
      })),
    );
  return rows.sort((a, b) => a.index - b.index).map(({ level, label, description }) => ({ level, label, description }));
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

/** Unfolds or folds a row of the tree with a click, as a user would, unless it is that way already. */
async function setExpanded(page: Page, label: RegExp, expanded: boolean): Promise<void> {
  const row = rowLocator(page, label);
  await row.waitFor();
  if ((await row.getAttribute('aria-expanded')) === String(expanded)) return;
  await row.click();
  await waitUntil(`${label} to be ${expanded ? 'unfolded' : 'folded'}`, async () => (await row.getAttribute('aria-expanded')) === String(expanded));
}

/** Clicks the inline Run Step button of a step row (the buttons show on the hovered row). */
async function runStepFromTree(page: Page, stepLabel: RegExp): Promise<void> {
  const step = rowLocator(page, stepLabel);
  await step.waitFor();
  await step.hover();
  await step.getByRole('button', { name: 'Run Step' }).click();
}

/**
 * How to answer one question of a set-variables step. `prompt` must match the question shown
 * (the quick pick's placeholder or the input box's prompt), so an answer never lands on another key.
 */
type Answer = { prompt: RegExp } & (
  /** A quick pick: type `pick` to filter it, then Enter on the highlighted row, which must match `row`. */
  | { pick: string; row: RegExp }
  /** An input box already holding this suggestion: Enter. */
  | { accept: string }
  /** An empty password box: type the secret. */
  | { secret: string }
  /** An optional key left alone: "Leave it as it is" in a quick pick, or an emptied input box. */
  | { leave: true }
  /** A generated secret: "a new random value" in a quick pick, or a password box holding it. */
  | { generated: true; typedIfNotOffered: string }
);

interface AnswersGiven {
  /** Whether every `generated` question offered its generated value (undefined when there was none). */
  generatedOffered?: boolean;
}

/**
 * Answers the questions of a set-variables step in order, by typing as a user would. Each question
 * is told apart by its title, "<item>: <step> (n/count)". Typed values never appear in failures.
 */
async function answerQuestions(page: Page, title: string, answers: Answer[]): Promise<AnswersGiven> {
  const widget = page.locator('.quick-input-widget');
  const input = widget.locator('.quick-input-box input');
  const rows = widget.locator('.quick-input-list .monaco-list-row');
  const given: AnswersGiven = {};
  for (const [index, answer] of answers.entries()) {
    const counter = `${title} (${index + 1}/${answers.length})`;
    await widget.locator('.quick-input-title', { hasText: counter }).waitFor().catch(async (error: Error) => {
      // A rejected answer keeps the previous question open with the schema's message (never the value).
      const shown = (await widget.isVisible()) ? await widget.innerText() : 'no question open';
      throw new Error(`${error.message}\nwaiting for "${counter}"; shown: ${shown}`);
    });
    // The title, the list and the input's kind change together, so the mode is settled now.
    const isPick = await rows.first().isVisible();
    const shown = `${await widget.innerText()}\n${(await input.getAttribute('placeholder')) ?? ''}`;
    assert.match(shown, answer.prompt, `question ${counter} is not the expected one:\n${shown}`);
    const isPassword = (await input.getAttribute('type')) === 'password';

    if ('pick' in answer) {
      assert.ok(isPick, `${counter}: expected a quick pick of suggestions`);
      await input.pressSequentially(answer.pick);
      await waitForHighlightedRow(widget, answer.row, counter);
    } else if ('accept' in answer) {
      assert.ok(!isPick && !isPassword, `${counter}: expected a plain input box`);
      assert.equal(await input.inputValue(), answer.accept, `${counter}: the input box does not hold the suggestion`);
    } else if ('secret' in answer) {
      assert.ok(!isPick && isPassword, `${counter}: expected a password box`);
      assert.equal(await input.inputValue(), '', `${counter}: the password box is not empty`);
      await input.pressSequentially(answer.secret);
    } else if ('leave' in answer) {
      if (isPick) {
        await input.pressSequentially('Leave');
        await waitForHighlightedRow(widget, /Leave it as it is/, counter);
      } else {
        // The box holds the default; emptied, its placeholder says that an empty answer leaves the key alone.
        await input.press('Control+A');
        await input.press('Backspace');
        assert.match((await input.getAttribute('placeholder')) ?? '', /leave empty/i, `${counter}: the box does not say how to leave the key alone`);
      }
    } else {
      let offered: boolean;
      if (isPick) {
        await input.pressSequentially('random');
        await waitForHighlightedRow(widget, /a new random value/, counter);
        offered = true;
      } else {
        assert.ok(isPassword, `${counter}: a secret is asked in a plain input box`);
        offered = (await input.inputValue()) !== '';
        // Nothing offered: a user has to make one up, so the flow goes on (the caller reports it).
        if (!offered) await input.pressSequentially(answer.typedIfNotOffered);
      }
      given.generatedOffered = (given.generatedOffered ?? true) && offered;
    }
    await input.press('Enter');
  }
  await widget.waitFor({ state: 'hidden' });
  return given;
}

/** Waits until the highlighted row of the quick pick (the one Enter takes) matches. */
async function waitForHighlightedRow(widget: Locator, row: RegExp, counter: string): Promise<void> {
  const focused = widget.locator('.quick-input-list .monaco-list-row.focused');
  let seen: string[] = [];
  await waitUntil(`${counter}: the row ${row} to be highlighted`, async () => {
    seen = await focused.allInnerTexts();
    return seen.length === 1 && row.test(seen[0]);
  }).catch((error: Error) => {
    throw new Error(`${error.message}; highlighted: ${JSON.stringify(seen)}`);
  });
}

/**
 * Waits for Configure's summary and returns its message. Configure asks before overwriting files
 * edited by hand; that question must not come on these workspaces, so it fails the test.
 */
async function waitForConfigureSummary(page: Page): Promise<string> {
  // Matched on the message itself: a toast's text starts with its buttons' labels.
  const message = page.locator('.notification-list-item-message', { hasText: /^Configure (done|failed|refused|stopped)/ });
  const summary = page
    .locator('.notifications-toasts .notification-toast, .notifications-center.visible .notification-list-item')
    .filter({ has: message })
    .first();
  const handEditedQuestion = page.locator('.monaco-dialog-box', { hasText: /edited by hand/ });
  await summary.or(handEditedQuestion).first().waitFor({ timeout: configureTimeoutMs });
  if (await handEditedQuestion.isVisible()) {
    const question = await handEditedQuestion.innerText();
    await clickDialogButton(handEditedQuestion, 'Cancel');
    assert.fail(`Configure asked about files edited by hand, on files only it wrote:\n${question}`);
  }
  return (await summary.locator(message).innerText()).trim();
}

/**
 * Waits until every expected item sits in its group with its state. "Completed" starts folded:
 * it is unfolded once it is there, as a user would to look inside.
 */
async function waitForItemStates(page: Page, expected: { group: string; item: RegExp; state: string }[]): Promise<void> {
  let rows: TreeRow[] = [];
  const wanted = expected.map((entry) => `${entry.item.source} ${entry.state} under ${entry.group}`).join(', ');
  await waitUntil(wanted, async () => {
    const completed = rowLocator(page, /^Completed$/);
    // Short waits: the group may not be there yet, or a refresh may replace its row; the next poll looks again.
    if ((await completed.getAttribute('aria-expanded', { timeout: 1_000 }).catch(() => null)) === 'false') {
      await setExpanded(page, /^Completed$/, true).catch(() => undefined);
    }
    rows = await treeRows(page);
    const groups = itemsByGroup(rows);
    return expected.every((entry) => findItem(groups.get(entry.group), entry.item)?.description === entry.state);
  }).catch((error: Error) => {
    throw new Error(`${error.message}; rows: ${JSON.stringify(rows)}`);
  });
}

/** 0-based index of the only line matching; fails when there is none or more than one. */
function onlyLineIndex(text: string, pattern: RegExp): number {
  const indexes = text.split('\n').flatMap((line, index) => (pattern.test(line) ? [index] : []));
  assert.equal(indexes.length, 1, `${indexes.length} lines match ${pattern}`);
  return indexes[0];
}

/** 0-based indexes of the lines that differ between two texts of the same length in lines. */
function changedLineIndexes(before: string, after: string): number[] {
  const oldLines = before.split('\n');
  const newLines = after.split('\n');
  assert.equal(newLines.length, oldLines.length, 'cluster.yaml gained or lost lines: keys were not uncommented in place');
  return newLines.flatMap((line, index) => (line === oldLines[index] ? [] : [index]));
}

/** The keys of cluster.yaml with a prefix, with their values (only compared, never printed). */
function clusterValuesWithPrefix(clusterYaml: string, prefix: string): Record<string, unknown> {
  const values = parseYaml(clusterYaml) as Record<string, unknown>;
  return Object.fromEntries(Object.entries(values).filter(([key]) => key.startsWith(prefix)));
}

/** A rendered secret's stringData decrypted by sops-age (an independent implementation), in memory. */
async function decryptedStringData(workspaceDir: string, secretPath: string): Promise<Record<string, unknown>> {
  const { decryptSops } = await import('sops-age');
  const secretKey = readFileSync(join(workspaceDir, 'age.key'), 'utf8').split('\n').find((line) => line.startsWith('AGE-SECRET-KEY-'))!;
  const decrypted = await decryptSops(readFileSync(join(workspaceDir, secretPath), 'utf8'), { secretKey, fileType: 'yaml' });
  return (decrypted as { stringData: Record<string, unknown> }).stringData;
}

/** Asserts a rendered secret is SOPS-encrypted and holds none of the typed keys in plain text. */
function assertEncrypted(session: CodeServerSession, secretPath: string): void {
  assert.ok(existsSync(join(session.workspaceDir, secretPath)), `${secretPath} was not rendered`);
  const text = session.readWorkspaceFile(secretPath);
  assert.ok(text.includes('ENC[AES256_GCM,'), `${secretPath} is not encrypted`);
  assert.ok(!text.includes(FAKE_ACCESS_KEY), `${secretPath} holds the access key in plain text`);
  assert.ok(!text.includes(FAKE_SECRET_KEY), `${secretPath} holds the secret key in plain text`);
}

/** Every rendered .yaml file under kubernetes/, relative to the workspace. */
function renderedYamlFiles(workspaceDir: string, prefix = 'kubernetes'): string[] {
  return readdirSync(join(workspaceDir, prefix), { withFileTypes: true }).flatMap((entry) => {
    const relative = `${prefix}/${entry.name}`;
    if (entry.isDirectory()) return renderedYamlFiles(workspaceDir, relative);
    return entry.name.endsWith('.yaml') ? [relative] : [];
  });
}

function agePublicKeyOf(session: CodeServerSession): string {
  const match = /^# public key: (age1[0-9a-z]+)$/m.exec(session.readWorkspaceFile('age.key'));
  assert.ok(match, 'age.key has no "# public key:" line');
  return match[1];
}

describe('remaining work in a real VS Code', { timeout: sessionTimeoutMs * 3 }, () => {
  let session: CodeServerSession;
  let sourceDir: string;

  before(async () => {
    sourceDir = mkdtempSync(join(tmpdir(), 'ctt-e2e-tasks-src-'));
    const workspace = join(sourceDir, 'example');
    cpSync(exampleWorkspace, workspace, { recursive: true });
    // A real key: Configure encrypts the rendered secrets to it (a made-up recipient cannot be encrypted to).
    execFileSync('age-keygen', ['-o', join(workspace, 'age.key')], { stdio: 'ignore' });
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

  // Set by the VolSync test below, checked on its own so the rest of the flow still runs without it.
  let resticPasswordOffered: boolean | undefined;

  it('sets the Talos etcd backup values from its step, then Configure from the message', { timeout: stepTimeoutMs }, async () => {
    await session.step('tasks-talos-backup', async () => {
      const { page } = session;
      const before = session.readWorkspaceFile('cluster.yaml');
      const commentedKeys = ['endpoint', 'bucket', 'access_key', 'secret_key', 'age_public_key'].map((key) =>
        onlyLineIndex(before, new RegExp(`^# backup_s3_${key}:|^# backup_${key}:`)),
      );

      // Room for Talos's steps: fold VolSync, which the scaffold test unfolded.
      await setExpanded(page, volsync, false);
      await setExpanded(page, talosBackup, true);
      await runStepFromTree(page, /^Set the backup_\* variables$/);
      const agePublicKey = agePublicKeyOf(session);
      await answerQuestions(page, 'Talos etcd backup: Set the backup_* variables', [
        // "RustFS in the cluster": offered first, as the endpoint derived from rustfs_enabled.
        { prompt: /S3 endpoint for the etcd snapshots/, pick: 'rustfs', row: /^http:\/\/rustfs-svc\.storage\.svc\.cluster\.local:9000\b/ },
        { prompt: /Bucket name/, accept: 'etcd-backups' },
        { prompt: /S3 access key id/, secret: FAKE_ACCESS_KEY },
        { prompt: /S3 secret access key/, secret: FAKE_SECRET_KEY },
        { prompt: /S3 region/, leave: true },
        { prompt: /age public key/, accept: agePublicKey },
      ]);
      // Not anchored: a toast's text starts with its buttons' labels.
      const message = await waitForNotification(page, /Talos etcd backup: set 5 values in cluster\.yaml\./);

      // Each commented key was uncommented where it stood; nothing else changed (comments, order, the region).
      const after = session.readWorkspaceFile('cluster.yaml');
      assert.deepEqual(changedLineIndexes(before, after), commentedKeys);
      assert.equal(onlyLineIndex(after, /^\s*#?\s*backup_s3_endpoint:/), commentedKeys[0]);
      const backupValues = clusterValuesWithPrefix(after, 'backup_');
      assert.deepEqual(Object.keys(backupValues).sort(), ['backup_age_public_key', 'backup_s3_access_key', 'backup_s3_bucket', 'backup_s3_endpoint', 'backup_s3_secret_key']);
      // Compared without printing: the keys are secrets as far as the product knows.
      assert.ok(backupValues.backup_s3_access_key === FAKE_ACCESS_KEY && backupValues.backup_s3_secret_key === FAKE_SECRET_KEY, 'the typed S3 keys were not written as typed');
      assert.deepEqual(
        { endpoint: backupValues.backup_s3_endpoint, bucket: backupValues.backup_s3_bucket, age: backupValues.backup_age_public_key },
        { endpoint: RUSTFS_ENDPOINT, bucket: 'etcd-backups', age: agePublicKey },
      );

      await clickNotificationButton(message, 'Run Configure');
      const summary = await waitForConfigureSummary(page);
      assert.match(summary, /^Configure done: check ok · render ok · encrypt ok\b/);
      await session.screenshot('tasks-talos-configured');
      await session.runCommand('Notifications: Clear All Notifications');

      assertEncrypted(session, talosBackupSecret);
      assert.deepEqual(await decryptedStringData(session.workspaceDir, talosBackupSecret), {
        'age-public-key': agePublicKey,
        'aws-access-key-id': FAKE_ACCESS_KEY,
        'aws-secret-access-key': FAKE_SECRET_KEY,
      }, 'the decrypted talos-backup secret differs from what was typed');
      // Talos Backup is finished in the workspace; VolSync still waits for its values.
      await waitForItemStates(page, [
        { group: 'Completed', item: talosBackup, state: 'done' },
        { group: 'Medium', item: volsync, state: 'in progress' },
      ]);
      await setExpanded(page, talosBackup, false);
    });
  });

  it('sets the VolSync values from its step, then Configure from the view\'s title', { timeout: stepTimeoutMs }, async () => {
    await session.step('tasks-volsync', async () => {
      const { page } = session;
      const before = session.readWorkspaceFile('cluster.yaml');
      const commentedKeys = ['enabled', 's3_endpoint', 's3_bucket', 'restic_password'].map((key) => onlyLineIndex(before, new RegExp(`^# volsync_${key}:`)));

      await setExpanded(page, volsync, true);
      await runStepFromTree(page, /^Set the volsync_\* variables$/);
      const given = await answerQuestions(page, 'VolSync PVC backups: Set the volsync_* variables', [
        { prompt: /Deploy VolSync/, pick: 'true', row: /^true\b/ },
        { prompt: /S3 endpoint for the restic repositories/, pick: 'rustfs', row: /^http:\/\/rustfs-svc\.storage\.svc\.cluster\.local:9000\b/ },
        { prompt: /Bucket name/, accept: 'volsync-backups' },
        { prompt: /S3 access key id/, secret: FAKE_ACCESS_KEY },
        { prompt: /S3 secret access key/, secret: FAKE_SECRET_KEY },
        { prompt: /restic repository password/, generated: true, typedIfNotOffered: 'typed-restic-password-e2e' },
        { prompt: /Backup schedule/, leave: true },
        { prompt: /How a PVC is copied/, leave: true },
      ]);
      resticPasswordOffered = given.generatedOffered;
      await waitForNotification(page, /VolSync PVC backups: set 6 values in cluster\.yaml\./);

      // The four keys of the sample were uncommented in place; the two new ones (not in the sample) are added.
      const after = session.readWorkspaceFile('cluster.yaml');
      for (const [index, key] of ['enabled', 's3_endpoint', 's3_bucket', 'restic_password'].entries()) {
        assert.match(after.split('\n')[commentedKeys[index]] ?? '', new RegExp(`^volsync_${key}:`), `volsync_${key} was not uncommented in place`);
        assert.equal(onlyLineIndex(after, new RegExp(`^\\s*#?\\s*volsync_${key}:`)), commentedKeys[index]);
      }
      const volsyncValues = clusterValuesWithPrefix(after, 'volsync_');
      assert.deepEqual(
        Object.keys(volsyncValues).sort(),
        ['volsync_enabled', 'volsync_restic_password', 'volsync_s3_access_key', 'volsync_s3_bucket', 'volsync_s3_endpoint', 'volsync_s3_secret_key'],
      );
      assert.ok(volsyncValues.volsync_s3_access_key === FAKE_ACCESS_KEY && volsyncValues.volsync_s3_secret_key === FAKE_SECRET_KEY, 'the typed S3 keys were not written as typed');
      const resticPassword = volsyncValues.volsync_restic_password;
      assert.ok(typeof resticPassword === 'string' && resticPassword.length >= 16, 'no usable restic password in cluster.yaml');
      assert.deepEqual(
        { enabled: volsyncValues.volsync_enabled, endpoint: volsyncValues.volsync_s3_endpoint, bucket: volsyncValues.volsync_s3_bucket },
        { enabled: true, endpoint: RUSTFS_ENDPOINT, bucket: 'volsync-backups' },
      );

      // The view's title button this time; the render overwrites files the first Configure wrote and
      // encrypted, which must not count as edited by hand.
      await page.locator('.part.sidebar .title-actions').getByRole('button', { name: 'Configure', exact: true }).click();
      const summary = await waitForConfigureSummary(page);
      assert.match(summary, /^Configure done: check ok · render ok · encrypt ok\b/);
      await session.screenshot('tasks-volsync-configured');

      for (const secret of [talosBackupSecret, volsyncSecret]) assertEncrypted(session, secret);
      assert.deepEqual(await decryptedStringData(session.workspaceDir, volsyncSecret), {
        RESTIC_REPOSITORY: `s3:${RUSTFS_ENDPOINT}/volsync-backups`,
        RESTIC_PASSWORD: resticPassword,
        AWS_ACCESS_KEY_ID: FAKE_ACCESS_KEY,
        AWS_SECRET_ACCESS_KEY: FAKE_SECRET_KEY,
      }, 'the decrypted VolSync secret differs from cluster.yaml');
      const unparsable: string[] = [];
      const rendered = renderedYamlFiles(session.workspaceDir);
      for (const file of rendered) {
        const errors = parseAllDocuments(session.readWorkspaceFile(file)).flatMap((document) => ('errors' in document ? document.errors : []));
        if (errors.length > 0) unparsable.push(`${file}: ${errors[0].message}`);
      }
      assert.deepEqual(unparsable, [], 'rendered files that are not valid YAML');
      assert.ok(rendered.includes('kubernetes/apps/storage/volsync/ks.yaml'), `VolSync was not rendered: ${rendered.filter((file) => file.includes('storage')).join(', ')}`);

      await waitForItemStates(page, [
        { group: 'Completed', item: talosBackup, state: 'done' },
        { group: 'Completed', item: volsync, state: 'done' },
      ]);
      await session.screenshot('tasks-completed');
    });
  });

  it('offers a generated restic password for VolSync', () => {
    // Read from the previous test's flow: the question showed "a new random value", or a password box holding one.
    assert.equal(resticPasswordOffered, true, 'the restic password question offered no generated value (only an empty password box)');
  });
});

describe('remaining work in restricted mode', { timeout: sessionTimeoutMs * 2 }, () => {
  let session: CodeServerSession;

  before(async () => {
    session = await CodeServerSession.start({ askForTrust: true });
  }, { timeout: sessionTimeoutMs });

  after(async () => {
    await session?.close();
  });

  it('shows the states but offers nothing to run', { timeout: stepTimeoutMs }, async () => {
    await session.step('tasks-restricted', async () => {
      const { page } = session;
      await session.chooseRestrictedMode();
      await page.locator('.part.activitybar').getByRole('tab', { name: /^Cluster Template/ }).click();
      await rowLocator(page, jwt).waitFor({ timeout: 60_000 });

      const groups = itemsByGroup(await treeRows(page));
      assert.equal(findItem(groups.get('Medium'), volsync)?.description, 'to do', `VolSync under Medium: ${JSON.stringify(groups.get('Medium'))}`);
      assert.equal(findItem(groups.get('Low'), jwt)?.description, 'blocked', `JWT under Low: ${JSON.stringify(groups.get('Low'))}`);

      // The title keeps Refresh (so its toolbar is there) but has no Configure or Reconcile.
      const titleActions = page.locator('.part.sidebar .title-actions');
      await titleActions.getByRole('button', { name: 'Refresh Remaining Work', exact: true }).waitFor();
      const titleButtons = await titleActions.getByRole('button').evaluateAll((buttons) => buttons.map((button) => button.getAttribute('aria-label')));
      assert.ok(!titleButtons.includes('Configure') && !titleButtons.includes('Reconcile'), `title buttons: ${titleButtons.join(', ')}`);

      // A row's inline buttons are in the page with the row (shown on hover); the steps have none.
      await setExpanded(page, volsync, true);
      const step = rowLocator(page, /^Create the VolSync templates$/);
      await step.waitFor();
      await step.hover();
      const stepRows = remainingWorkTree(page).locator('.monaco-list-row');
      assert.equal(await stepRows.getByRole('button', { name: 'Run Step' }).count(), 0, 'a step offers Run Step in restricted mode');
      await session.screenshot('tasks-restricted');
    });
  });
});
