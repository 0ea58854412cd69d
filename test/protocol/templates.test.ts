// Templates over stdio: diagnostics of an open .j2 file against the workspace's data, its
// re-check when cluster.yaml changes, and the quick fix for a misspelled variable.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileUri, LspClient } from '../support/lspClient';

const repoRoot = resolve(__dirname, '..', '..', '..');
const serverBundle = join(repoRoot, 'dist', 'server.js');
const workspace = mkdtempSync(join(tmpdir(), 'ctt-templates-'));
cpSync(join(repoRoot, 'example'), workspace, { recursive: true });
after(() => rmSync(workspace, { recursive: true, force: true }));

const templatePath = join(workspace, 'templates/config/kubernetes/apps/default/echo/app/helmrelease.yaml.j2');
const templateUri = fileUri(templatePath);

async function start(): Promise<LspClient> {
  const client = await LspClient.start({
    server: { command: process.execPath, args: [serverBundle, '--stdio'], cwd: repoRoot },
    workspaceFolder: workspace,
    timeoutMs: 10_000,
  });
  await client.waitForNotification('clusterTemplate/ready');
  return client;
}

describe('templates over stdio', () => {
  test('a correct template has no diagnostics; a misspelled variable gets a warning with a fix', async () => {
    const client = await start();
    try {
      const text = readFileSync(templatePath, 'utf8');
      await client.open(templateUri, text, 'jinja-yaml');
      assert.deepEqual((await client.waitForDiagnostics(templateUri, 1)).params.diagnostics, []);

      const withTypo = text + 'extra: "#{ cloudflare_domian }#"\n';
      const { version } = await client.setText(templateUri, withTypo);
      const publish = await client.waitForDiagnostics(templateUri, version);
      assert.equal(publish.params.diagnostics.length, 1);
      const [diagnostic] = publish.params.diagnostics;
      assert.equal(diagnostic.code, 'undefined-variable');
      assert.equal(diagnostic.severity, 2);
      assert.match(String(diagnostic.message), /Did you mean cloudflare_domain\?/);
      const actions = await client.codeActions(templateUri, diagnostic.range, publish.params.diagnostics);
      const fix = actions.find((a) => 'edit' in a && a.title === 'Change to cloudflare_domain');
      assert.ok(fix, JSON.stringify(actions));

      const withFilter = text + 'extra: "#{ cloudflare_domain | upperr }#"\n';
      const second = await client.setText(templateUri, withFilter);
      const errors = (await client.waitForDiagnostics(templateUri, second.version)).params.diagnostics;
      assert.deepEqual(errors.map((d) => [d.code, d.severity]), [['unknown-filter', 1]]);
      assert.equal((await client.shutdown()).code, 0);
    } finally {
      client.dispose();
    }
  });

  test('an unclosed block is reported at its opening tag and the rest still parses', async () => {
    const client = await start();
    try {
      const text = '#% if cloudflare_domain %#\na: #{ cloudflare_domian }#\n';
      await client.open(templateUri, text, 'jinja-yaml');
      const publish = await client.waitForDiagnostics(templateUri, 1);
      assert.deepEqual(publish.params.diagnostics.map((d) => d.code).sort(), ['unclosed-block', 'undefined-variable']);
      const unclosed = publish.params.diagnostics.find((d) => d.code === 'unclosed-block')!;
      assert.deepEqual(unclosed.range, { start: { line: 0, character: 0 }, end: { line: 0, character: 26 } });
      assert.equal((await client.shutdown()).code, 0);
    } finally {
      client.dispose();
    }
  });
});
