// Real-editor tests for SOPS: the packaged .vsix in code-server on a copy of example/ rendered with
// a real age key (age-keygen, then the command-line renderer), driven as a new user would: the
// plaintext-secret error in Problems, "Encrypt All Secrets", "Edit Secret" to change a value in
// memory and save it encrypted, and a value tampered with by hand showing the MAC error.
// Decrypted values are compared in memory and never printed. Needs scripts/prepare-e2e.mjs.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { CodeServerSession, exampleWorkspace, repoRoot } from './support/codeServer';
import { lineOf } from './support/fixtureText';
import { editorTextOfTab, waitForNotification, waitUntil } from './support/workbench';

// Starting code-server, chromium and the extension takes 10-20 s here; each step waits on the UI.
const sessionTimeoutMs = 180_000;
const stepTimeoutMs = 120_000;

const secretPath = 'kubernetes/components/sops/cluster-secrets.sops.yaml';
const decryptedTab = /^\(decrypted\) cluster-secrets\.sops\.yaml/;
const NEW_DOMAIN = 'changed-in-the-editor.example.org';

/** The secret's stringData decrypted by sops-age (an independent implementation), in memory. */
async function decryptedStringData(workspaceDir: string): Promise<Record<string, unknown>> {
  const { decryptSops } = await import('sops-age');
  const secretKey = readFileSync(join(workspaceDir, 'age.key'), 'utf8').split('\n').find((line) => line.startsWith('AGE-SECRET-KEY-'))!;
  const decrypted = await decryptSops(readFileSync(join(workspaceDir, secretPath), 'utf8'), { secretKey, fileType: 'yaml' });
  return (decrypted as { stringData: Record<string, unknown> }).stringData;
}

/** Every file of the workspace, relative, to show that editing a secret leaves nothing behind. */
function filesUnder(root: string, prefix = ''): string[] {
  return readdirSync(join(root, prefix), { withFileTypes: true }).flatMap((entry) => {
    const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
    return entry.isDirectory() ? filesUnder(root, relative) : [relative];
  });
}

describe('SOPS in a real VS Code', { timeout: sessionTimeoutMs * 3 }, () => {
  let session: CodeServerSession;
  let sourceDir: string;

  before(async () => {
    sourceDir = mkdtempSync(join(tmpdir(), 'ctt-e2e-sops-src-'));
    const workspace = join(sourceDir, 'example');
    cpSync(exampleWorkspace, workspace, { recursive: true });
    // What `task init` and `task configure` do before a user sees a secret: a key, then a render.
    execFileSync('age-keygen', ['-o', join(workspace, 'age.key')], { stdio: 'ignore' });
    execFileSync(process.execPath, [join(repoRoot, 'dist', 'cli.js'), 'render', workspace], { stdio: 'ignore' });
    session = await CodeServerSession.start({ workspace });
    await session.statusBarItem('Cluster config').waitFor({ timeout: 60_000 });
  }, { timeout: sessionTimeoutMs });

  after(async () => {
    await session?.close();
    if (sourceDir) rmSync(sourceDir, { recursive: true, force: true });
  });

  it('lists the rendered plaintext secret in Problems', { timeout: stepTimeoutMs }, async () => {
    await session.step('sops-plaintext-problem', async () => {
      assert.ok(!session.readWorkspaceFile(secretPath).includes('sops:'), 'the rendered secret is already encrypted');
      const row = await session.waitForProblem('plaintext secret: encrypt before committing');
      assert.match(row, /sops-plaintext-secret/);
      await session.screenshot('sops-plaintext-problem');
    });
  });

  it('encrypts every rendered secret with "Encrypt All Secrets" and the problem goes away', { timeout: stepTimeoutMs }, async () => {
    await session.step('sops-encrypt-all', async () => {
      await session.runCommand('Cluster Template: Encrypt All Secrets');
      await waitForNotification(session.page, 'Encrypt All Secrets: 1 encrypted, 0 already encrypted, 0 failed.');
      const onDisk = session.readWorkspaceFile(secretPath);
      assert.ok(/^sops:$/m.test(onDisk) && /SECRET_DOMAIN: ENC\[AES256_GCM,/.test(onDisk), 'the secret on disk is not encrypted');
      await session.waitForNoProblem('plaintext secret: encrypt before committing');
    });
  });

  it('edits a value with "Edit Secret" in memory and saves it encrypted', { timeout: stepTimeoutMs }, async () => {
    await session.step('sops-edit-secret', async () => {
      const filesBefore = filesUnder(session.workspaceDir).sort();
      const encryptedBefore = session.readWorkspaceFile(secretPath);
      await session.openFile(secretPath);
      await session.runCommand('Cluster Template: Edit Secret');
      // The decrypted view: a tab marked as such next to the encrypted file's, the values in clear text.
      const secretText = (): Promise<string> => editorTextOfTab(session.page, decryptedTab).catch(() => '');
      await waitUntil('the decrypted secret in the editor', async () => /SECRET_DOMAIN: "?example\.net/.test(await secretText()));
      await session.screenshot('sops-edit-secret');

      const { line } = lineOf(await secretText(), /SECRET_DOMAIN:/);
      await session.replaceLine(line, `  SECRET_DOMAIN: ${NEW_DOMAIN}`);
      await session.page.keyboard.press('Control+S');
      await waitUntil('the secret on disk to change', async () => session.readWorkspaceFile(secretPath) !== encryptedBefore);

      const onDisk = session.readWorkspaceFile(secretPath);
      assert.ok(!onDisk.includes(NEW_DOMAIN), 'the new value reached the disk in clear text');
      assert.ok(/SECRET_DOMAIN: ENC\[AES256_GCM,/.test(onDisk), 'the saved secret is not encrypted');
      assert.ok((parseYaml(onDisk) as { sops?: unknown }).sops, 'the saved secret has no sops metadata');
      assert.ok((await decryptedStringData(session.workspaceDir)).SECRET_DOMAIN === NEW_DOMAIN, 'the saved secret does not decrypt to the new value');

      // Closing the decrypted view leaves nothing behind: no temporary or backup file appeared.
      await session.page.keyboard.press('Control+W');
      assert.deepEqual(filesUnder(session.workspaceDir).sort(), filesBefore);
      // The server checked the new file: its MAC is sound, so no SOPS problem is listed.
      await session.waitForNoProblem(/sops-(mac-mismatch|value-tampered)/);
    });
  });

  it('shows the MAC error when an encrypted value is changed by hand', { timeout: stepTimeoutMs }, async () => {
    await session.step('sops-tampered', async () => {
      await session.openFile(secretPath);
      const onDisk = session.readWorkspaceFile(secretPath);
      const { line, text } = lineOf(onDisk, /^ {2}SECRET_DOMAIN: ENC\[AES256_GCM,data:/);
      // One character of the ciphertext, as a careless edit would change it.
      const tampered = text.replace(/(data:)(.)/, (_, head: string, first: string) => head + (first === 'A' ? 'B' : 'A'));
      await session.replaceLine(line, tampered);
      await session.page.keyboard.press('Control+S');
      // On the tampered value's line: an intermediate state of the edit may be reported first.
      const row = await session.waitForProblem('MAC check failed', 'sops-value-tampered', new RegExp(`\\[Ln ${line}, Col \\d+\\]`));
      assert.match(row, /stringData\.SECRET_DOMAIN/);
      await session.screenshot('sops-mac-error');
    });
  });
});
