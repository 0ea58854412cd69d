// Rendering over stdio against the bundled server, on temporary copies of example/: the plan and
// its statuses, the rendered content, writing, hand-edited files, a broken template (error at its
// line, nothing written, a diagnostic), the preview of unsaved text, and restricted mode.
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, test } from 'node:test';
import type { PublishDiagnosticsParams } from 'vscode-languageserver-protocol/node';
import type {
  ApplyRenderPlanResult,
  RenderedContentResult,
  RenderPlanResult,
  RenderPreviewResult,
} from '../../server/src/protocol';
import { fileUri, LspClient } from '../support/lspClient';

const repoRoot = resolve(__dirname, '..', '..', '..');
const serverBundle = join(repoRoot, 'dist', 'server.js');
const scratch = mkdtempSync(join(tmpdir(), 'ctt-render-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

const echoTemplate = 'templates/config/kubernetes/apps/default/echo/ks.yaml.j2';
const echoOutput = 'kubernetes/apps/default/echo/ks.yaml';
const secretsTemplate = 'templates/config/kubernetes/components/sops/cluster-secrets.sops.yaml.j2';
const secretsOutput = 'kubernetes/components/sops/cluster-secrets.sops.yaml';
/** Recognisably fake: example/ ships no age.key (a user creates one with `task init`), and .sops.yaml.j2 reads it. */
const FAKE_AGE_PUBLIC_KEY = 'age1testonlyfakepublickeyforrendertestsxxxxxxxxxxxxxxxxxxxxxxxx';

let copies = 0;
/** A fresh copy of example/ with a fake age.key, and a fresh storage folder for the render record. */
function workspaceCopy(): { root: string; storage: string } {
  const dir = join(scratch, String(++copies));
  const root = join(dir, 'example');
  cpSync(join(repoRoot, 'example'), root, { recursive: true });
  writeFileSync(join(root, 'age.key'), `# created: 2026-01-01T00:00:00Z\n# public key: ${FAKE_AGE_PUBLIC_KEY}\nAGE-SECRET-KEY-1TESTONLYFAKE\n`);
  return { root, storage: join(dir, 'storage') };
}

async function start(root: string, storage: string, isTrusted = true): Promise<LspClient> {
  const client = await LspClient.start({
    server: { command: process.execPath, args: [serverBundle, '--stdio'], cwd: repoRoot },
    workspaceFolder: root,
    initializationOptions: { isTrusted, storagePath: storage },
    timeoutMs: 20_000,
  });
  await client.waitForNotification('clusterTemplate/ready');
  return client;
}

async function withServer(body: (client: LspClient, root: string) => Promise<void>, isTrusted = true): Promise<void> {
  const { root, storage } = workspaceCopy();
  const client = await start(root, storage, isTrusted);
  try {
    await body(client, root);
    assert.equal((await client.shutdown()).code, 0);
  } finally {
    client.dispose();
  }
}

const plan = (client: LspClient): Promise<RenderPlanResult> => client.request('clusterTemplate/renderPlan', { folderUri: fileUri(client.workspaceFolder) });
const apply = (client: LspClient, planId: string, overwriteHandEdited: string[] = []): Promise<ApplyRenderPlanResult> =>
  client.request('clusterTemplate/applyRenderPlan', { planId, overwriteHandEdited });
const renderedText = async (client: LspClient, planId: string, relativePath: string): Promise<string> =>
  (await client.request<RenderedContentResult>('clusterTemplate/renderedContent', { planId, uri: client.uri(relativePath) })).text;
const preview = (client: LspClient, relativePath: string): Promise<RenderPreviewResult> =>
  client.request('clusterTemplate/renderPreview', { templateUri: client.uri(relativePath) });

function fileOf(result: RenderPlanResult, relativePath: string) {
  const file = result.files.find((f) => f.relativePath === relativePath);
  assert.ok(file, `${relativePath} not in the plan: ${result.files.map((f) => f.relativePath).join(', ')}`);
  return file;
}

/** Tells the server a file changed on disk, as the editor's file watcher would. */
async function changedOnDisk(client: LspClient, relativePath: string): Promise<void> {
  await client.notify('workspace/didChangeWatchedFiles', { changes: [{ uri: client.uri(relativePath), type: 2 }] });
}

/** Every file under a folder, relative, except the templates and workspace files of example/. */
function outputsIn(root: string): string[] {
  const source = new Set(listFiles(join(repoRoot, 'example')));
  return listFiles(root).filter((path) => !source.has(path) && path !== 'age.key');
}

function listFiles(root: string, prefix = ''): string[] {
  return readdirSync(join(root, prefix), { withFileTypes: true }).flatMap((entry) => {
    const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
    return entry.isDirectory() ? listFiles(root, relative) : [relative];
  });
}

const renderDiagnostics = (params: PublishDiagnosticsParams) => params.diagnostics.filter((d) => d.source === 'render');

describe('rendering over stdio', () => {
  test('a fresh workspace renders without errors and every output is created', async () => {
    await withServer(async (client, root) => {
      const result = await plan(client);
      assert.deepEqual(result.errors, []);
      assert.ok(result.files.length >= 10, `only ${result.files.length} files`);
      assert.deepEqual([...new Set(result.files.map((f) => f.status))], ['created']);
      assert.ok(result.files.every((f) => !f.isHandEdited));
      const echo = fileOf(result, echoOutput);
      assert.equal(echo.uri, fileUri(join(root, echoOutput)));
      assert.equal(echo.templateUri, fileUri(join(root, echoTemplate)));
      assert.ok(!result.notes.some((note) => note.includes('derived values approximate')), `trusted, yet: ${result.notes.join('; ')}`);
      assert.deepEqual(outputsIn(root), [], 'a plan wrote files');

      const secrets = await renderedText(client, result.planId, secretsOutput);
      assert.match(secrets, /SECRET_DOMAIN: "example\.net"\n/);
      assert.doesNotMatch(secrets, /#\{|#%/);
      const sops = await renderedText(client, result.planId, '.sops.yaml');
      assert.ok(sops.includes(`age: "${FAKE_AGE_PUBLIC_KEY}"`), 'age_key() did not read age.key');
      await assert.rejects(client.request('clusterTemplate/renderedContent', { planId: 'no-such-plan', uri: client.uri(echoOutput) }), /render again/);
    });
  });

  test('writing a plan creates the files as rendered, and the next plan finds them unchanged', async () => {
    await withServer(async (client, root) => {
      const first = await plan(client);
      const expected = await renderedText(client, first.planId, secretsOutput);
      const written = await apply(client, first.planId);
      assert.deepEqual(written.errors, []);
      assert.deepEqual(written.skipped, []);
      assert.equal(written.written.length, first.files.length);
      assert.equal(readFileSync(join(root, secretsOutput), 'utf8'), expected);
      assert.deepEqual(outputsIn(root).sort(), first.files.map((f) => f.relativePath).sort());

      const second = await plan(client);
      assert.deepEqual([...new Set(second.files.map((f) => f.status))], ['unchanged']);
      // A plan is written once: applying it again would compare against a disk it already changed.
      assert.match((await apply(client, first.planId)).errors.join(), /render again/);
    });
  });

  test('a generated file edited by hand is reported and kept unless the user confirms', async () => {
    await withServer(async (client, root) => {
      await apply(client, (await plan(client)).planId);
      const rendered = readFileSync(join(root, echoOutput), 'utf8');
      const edited = rendered + '# my own change\n';
      writeFileSync(join(root, echoOutput), edited);

      const second = await plan(client);
      const echo = fileOf(second, echoOutput);
      assert.deepEqual([echo.status, echo.isHandEdited], ['changed', true]);
      assert.equal(second.files.filter((f) => f.isHandEdited).length, 1);

      const kept = await apply(client, second.planId);
      assert.deepEqual(kept.skipped, [echo.uri]);
      assert.deepEqual(kept.written, []);
      assert.equal(readFileSync(join(root, echoOutput), 'utf8'), edited);
      // Still an edit of ours: asked again next time.
      const third = await plan(client);
      assert.equal(fileOf(third, echoOutput).isHandEdited, true);

      const overwritten = await apply(client, third.planId, [echo.uri]);
      assert.deepEqual(overwritten.written, [echo.uri]);
      assert.equal(readFileSync(join(root, echoOutput), 'utf8'), rendered);
      assert.deepEqual(fileOf(await plan(client), echoOutput), { ...echo, status: 'unchanged', isHandEdited: false });
    });
  });

  test('a file the render no longer produces is removed when untouched and kept when edited', async () => {
    await withServer(async (client, root) => {
      await apply(client, (await plan(client)).planId);
      writeFileSync(join(root, secretsOutput), readFileSync(join(root, secretsOutput), 'utf8') + '# edited\n');
      rmSync(join(root, echoTemplate));
      rmSync(join(root, secretsTemplate));
      await changedOnDisk(client, echoTemplate);
      await changedOnDisk(client, secretsTemplate);
      const afterDelete = await plan(client);
      assert.deepEqual(
        afterDelete.files.filter((f) => f.status === 'removed').map((f) => [f.relativePath, f.isHandEdited]).sort(),
        [[secretsOutput, true], [echoOutput, false]].sort(),
      );
      const result = await apply(client, afterDelete.planId, [client.uri(secretsOutput)]);
      assert.deepEqual(result.removed, [client.uri(echoOutput)]);
      assert.ok(!existsSync(join(root, echoOutput)));
      assert.ok(existsSync(join(root, secretsOutput)), 'an edited file was removed');
      assert.deepEqual(result.skipped, [client.uri(secretsOutput)]);
    });
  });

  test('a broken template fails the render at its line, writes nothing and shows a diagnostic until fixed', async () => {
    await withServer(async (client, root) => {
      const templatePath = join(root, echoTemplate);
      const original = readFileSync(templatePath, 'utf8');
      const lines = original.split('\n');
      const brokenLine = lines.findIndex((line) => line.startsWith('  interval:')) + 1;
      lines[brokenLine - 1] = '  interval: #{ 1 + }#';
      writeFileSync(templatePath, lines.join('\n'));
      await changedOnDisk(client, echoTemplate);
      const templateUri = client.uri(echoTemplate);
      const mark = client.publishMark();

      const broken = await plan(client);
      assert.equal(broken.errors.length, 1, JSON.stringify(broken.errors));
      assert.deepEqual([broken.errors[0].templateUri, broken.errors[0].line], [templateUri, brokenLine]);
      assert.match(broken.errors[0].message, /\S/);
      const refused = await apply(client, broken.planId);
      assert.deepEqual([refused.written, refused.removed], [[], []]);
      assert.match(refused.errors.join(), /nothing was written/);
      assert.deepEqual(outputsIn(root), []);

      const published = await client.waitForPublish(templateUri, mark, (p) => renderDiagnostics(p).length > 0);
      const [diagnostic] = renderDiagnostics(published.params);
      assert.equal(diagnostic.code, 'render-error');
      assert.equal(diagnostic.severity, 1);
      assert.equal(diagnostic.range.start.line, brokenLine - 1);
      assert.equal(diagnostic.message, broken.errors[0].message);

      writeFileSync(templatePath, original);
      await changedOnDisk(client, echoTemplate);
      const fixedMark = client.publishMark();
      assert.deepEqual((await plan(client)).errors, []);
      await client.waitForPublish(templateUri, fixedMark, (p) => renderDiagnostics(p).length === 0);
    });
  });

  test('the preview renders unsaved text, and a render error joins the template diagnostics at its line', async () => {
    await withServer(async (client) => {
      const templateUri = client.uri(secretsTemplate);
      const saved = readFileSync(new URL(templateUri), 'utf8');
      await client.open(templateUri, saved + '  PREVIEWED: "#{ cloudflare_domain | upper }#"\n', 'jinja-yaml');
      const result = await preview(client, secretsTemplate);
      assert.equal(result.error, undefined);
      assert.match(result.text ?? '', /PREVIEWED: "EXAMPLE\.NET"\n$/);
      assert.equal(result.outputUri, client.uri(secretsOutput));

      // An unknown variable (a template diagnostic) and a division by zero (a render error) on two lines.
      const broken = saved + '  UNKNOWN: "#{ cloudflare_domian }#"\n  BROKEN: "#{ 1 // 0 }#"\n';
      const { version } = await client.setText(templateUri, broken);
      await client.waitForDiagnostics(templateUri, version);
      const failed = await preview(client, secretsTemplate);
      const brokenLine = broken.split('\n').findIndex((line) => line.includes('BROKEN')) + 1;
      assert.equal(failed.text, undefined);
      assert.equal(failed.error?.line, brokenLine);
      const merged = await client.waitForPublish(templateUri, 0, (p) => renderDiagnostics(p).length > 0 && p.diagnostics.some((d) => d.code === 'undefined-variable'));
      assert.deepEqual(renderDiagnostics(merged.params).map((d) => d.range.start.line), [brokenLine - 1]);

      const mark = client.publishMark();
      const fixed = await client.setText(templateUri, saved);
      assert.equal((await preview(client, secretsTemplate)).error, undefined);
      await client.waitForPublish(templateUri, mark, (p) => p.version === fixed.version && renderDiagnostics(p).length === 0);
    });
  });

  test('in an untrusted workspace the plan approximates derived data and writing is refused until trust is granted', async () => {
    await withServer(async (client, root) => {
      const untrusted = await plan(client);
      assert.deepEqual(untrusted.errors, []);
      assert.ok(untrusted.notes.some((note) => note.includes('derived values approximate')), untrusted.notes.join('; '));
      const refused = await apply(client, untrusted.planId);
      assert.deepEqual([refused.written, refused.removed], [[], []]);
      assert.match(refused.errors.join(), /Restricted Mode/);
      assert.deepEqual(outputsIn(root), []);
      const previewed = await preview(client, secretsTemplate);
      assert.ok(previewed.notes.some((note) => note.includes('derived values approximate')));

      await client.notify('clusterTemplate/trustGranted', undefined);
      const trusted = await plan(client);
      assert.ok(!trusted.notes.some((note) => note.includes('derived values approximate')), trusted.notes.join('; '));
      assert.deepEqual((await apply(client, trusted.planId)).errors, []);
      assert.ok(existsSync(join(root, echoOutput)));
    }, false);
  });
});
