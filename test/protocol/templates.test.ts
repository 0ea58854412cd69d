// Templates over stdio: diagnostics of an open .j2 file against the workspace's data, its
// re-check when cluster.yaml changes, and the quick fix for a misspelled variable.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

  test('completion, hover, definition, references and rename work across templates and cluster.yaml', async () => {
    const client = await start();
    try {
      const text = readFileSync(templatePath, 'utf8') + 'extra: "#{ cloudflare_d }#"\n';
      await client.open(templateUri, text, 'jinja-yaml');
      await client.waitForDiagnostics(templateUri, 1);
      const at = text.indexOf('cloudflare_d }#') + 'cloudflare_d'.length;
      const position = (offset: number) => {
        const before = text.slice(0, offset).split('\n');
        return { line: before.length - 1, character: before[before.length - 1].length };
      };
      const items = await client.completion(templateUri, position(at));
      const domain = items.find((item) => item.label === 'cloudflare_domain');
      assert.ok(domain, items.map((i) => i.label).join(', '));
      assert.match(String(domain.detail), /example|\./);


      const fixedText = text.replace('cloudflare_d }#', 'cloudflare_domain }#');
      const { version } = await client.setText(templateUri, fixedText);
      await client.waitForDiagnostics(templateUri, version);
      const onVariable = fixedText.indexOf('cloudflare_domain }#') + 3;
      const fixedPosition = (offset: number) => {
        const before = fixedText.slice(0, offset).split('\n');
        return { line: before.length - 1, character: before[before.length - 1].length };
      };
      const hover = await client.hover(templateUri, fixedPosition(onVariable));
      assert.match(JSON.stringify(hover), /cloudflare_domain/);
      assert.match(JSON.stringify(hover), /cluster\.yaml/);
      const definition = await client.request<{ uri: string; range: { start: { line: number } } }[]>('textDocument/definition', {
        textDocument: { uri: templateUri },
        position: fixedPosition(onVariable),
      });
      assert.equal(definition.length, 1);
      assert.equal(definition[0].uri, fileUri(join(workspace, 'cluster.yaml')));
      const clusterLines = readFileSync(join(workspace, 'cluster.yaml'), 'utf8').split('\n');
      assert.match(clusterLines[definition[0].range.start.line], /^cloudflare_domain:/);

      const references = await client.request<{ uri: string }[]>('textDocument/references', {
        textDocument: { uri: templateUri },
        position: fixedPosition(onVariable),
        context: { includeDeclaration: true },
      });
      assert.ok(references.some((r) => r.uri === templateUri));
      assert.ok(references.some((r) => r.uri.endsWith('/cluster.yaml')));

      const edit = await client.request<{ changes: Record<string, unknown[]> }>('textDocument/rename', {
        textDocument: { uri: templateUri },
        position: fixedPosition(onVariable),
        newName: 'public_domain',
      });
      assert.ok(Object.keys(edit.changes).some((uri) => uri.endsWith('/cluster.yaml')));
      assert.ok(edit.changes[templateUri].length >= 1);

      await assert.rejects(
        client.request('textDocument/prepareRename', { textDocument: { uri: templateUri }, position: { line: 0, character: 0 } }),
        /./,
        'a rename on a non-key is refused with a message',
      );
      assert.equal((await client.shutdown()).code, 0);
    } finally {
      client.dispose();
    }
  });

  test('a closed cluster.yaml changed on disk is read again when the client reports the change', async () => {
    const client = await start();
    const clusterPath = join(workspace, 'cluster.yaml');
    const original = readFileSync(clusterPath, 'utf8');
    try {
      const nodesUri = fileUri(join(workspace, 'nodes.yaml'));
      await client.open(nodesUri);
      assert.deepEqual((await client.waitForDiagnostics(nodesUri, 1)).params.diagnostics, []);
      // The cached text must not hide the new node_cidr: every node address falls outside it.
      writeFileSync(clusterPath, original.replace(/^node_cidr: .*$/m, 'node_cidr: "10.99.0.0/24"'));
      const mark = client.publishMark();
      await client.notify('workspace/didChangeWatchedFiles', { changes: [{ uri: fileUri(clusterPath), type: 2 }] });
      const publish = await client.waitForPublish(nodesUri, mark, (params) => params.diagnostics.length > 0);
      assert.ok(publish.params.diagnostics.every((d) => d.code === 'node-address-in-cidr'), JSON.stringify(publish.params.diagnostics));
      assert.equal((await client.shutdown()).code, 0);
    } finally {
      writeFileSync(clusterPath, original);
      client.dispose();
    }
  });
});
