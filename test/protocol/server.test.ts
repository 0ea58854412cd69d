// Protocol tests: start the bundled dist/server.js with --stdio and talk LSP to it through
// test/support/lspClient.ts, on the small workspaces under test/fixtures/. No rule logic here:
// each test states the diagnostics, edits and answers a user would see.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { CodeAction, Command, Diagnostic, DocumentSymbol, Range, TextEdit, WorkspaceEdit } from 'vscode-languageserver-protocol/node';
import { hoverText, LspClient, rangeOfText } from '../support/lspClient';

const repoRoot = resolve(__dirname, '..', '..', '..');
const serverBundle = join(repoRoot, 'dist', 'server.js');
/** The cloudflare_token value of every fixture; it must never leave the server. */
const FIXTURE_TOKEN = 'fixture-token-value-6f1d2c3b4a5e';

type FixtureName = 'valid-minimal' | 'cue-schema' | 'json-schema';

function fixturePath(name: FixtureName): string {
  return join(repoRoot, 'test', 'fixtures', name);
}

function fixtureText(name: FixtureName, file: 'cluster.yaml' | 'nodes.yaml'): string {
  return readFileSync(join(fixturePath(name), file), 'utf8');
}

async function startServer(name: FixtureName): Promise<LspClient> {
  const client = await LspClient.start({
    server: { command: process.execPath, args: [serverBundle, '--stdio'], cwd: repoRoot },
    workspaceFolder: fixturePath(name),
    timeoutMs: 10_000,
  });
  // The workspace schema decides which keys exist, so nothing is opened before it is read.
  await client.waitForNotification('clusterTemplate/ready');
  return client;
}

/** Runs `body` against a fresh server on the fixture, then checks nothing leaked the token and shuts down. */
async function withServer(name: FixtureName, body: (client: LspClient) => Promise<void>): Promise<void> {
  const client = await startServer(name);
  try {
    await body(client);
    const everythingSent = JSON.stringify([client.notifications, client.publishes]) + client.stderr;
    assert.ok(!everythingSent.includes(FIXTURE_TOKEN), 'the token value appeared in a notification, a diagnostic or stderr');
    const exit = await client.shutdown();
    assert.deepEqual(exit, { code: 0, signal: null });
  } finally {
    client.dispose();
  }
}

/** `text` with the single occurrence of `from` replaced by `to` (fails when `from` is not unique). */
function replaceOnce(text: string, from: string, to: string): string {
  const first = text.indexOf(from);
  assert.ok(first >= 0, `fixture lacks ${JSON.stringify(from)}`);
  assert.equal(text.indexOf(from, first + 1), -1, `fixture has ${JSON.stringify(from)} more than once`);
  return text.slice(0, first) + to + text.slice(first + from.length);
}

/** The range of the `occurrence`-th mapping key `key` (a `key:` at the start of a line or after `- `). */
function keyRange(text: string, key: string, occurrence = 0): Range {
  const pattern = new RegExp(`^(?:\\s*-\\s+|\\s*)(${key}):`, 'gm');
  let match: RegExpExecArray | null = null;
  for (let i = 0; i <= occurrence; i++) {
    match = pattern.exec(text);
    assert.ok(match, `key ${key} occurs fewer than ${occurrence + 1} times`);
  }
  const start = match!.index + match![0].length - key.length - 1;
  const document = TextDocument.create('untitled:x', 'yaml', 0, text);
  return { start: document.positionAt(start), end: document.positionAt(start + key.length) };
}

/** Only the parts of a diagnostic the contract fixes, so whole lists can be compared. */
function summarize(diagnostics: Diagnostic[]): { code: unknown; severity: unknown; range: Range }[] {
  return diagnostics.map((d) => ({ code: d.code, severity: d.severity, range: d.range }));
}

function lineOf(text: string, needle: string): number {
  const offset = text.indexOf(needle);
  assert.ok(offset >= 0, `text lacks ${needle}`);
  return text.slice(0, offset).split('\n').length - 1;
}

function applyWorkspaceEdit(uri: string, text: string, edit: WorkspaceEdit | undefined): string {
  assert.ok(edit, 'the code action has no edit');
  const edits: TextEdit[] = [...(edit.changes?.[uri] ?? [])];
  for (const change of edit.documentChanges ?? []) {
    if ('textDocument' in change && change.textDocument.uri === uri) {
      for (const e of change.edits) {
        assert.ok('newText' in e, 'snippet edits were not asked for');
        edits.push({ range: e.range, newText: e.newText });
      }
    }
  }
  assert.ok(edits.length > 0, `the edit does not touch ${uri}`);
  return TextDocument.applyEdits(TextDocument.create(uri, 'yaml', 0, text), edits);
}

function isCodeAction(action: Command | CodeAction): action is CodeAction {
  return typeof (action as Command).command !== 'string';
}

const ERROR = 1;
const WARNING = 2;

describe('initialize and readiness', () => {
  test('declares incremental sync and the language features', async () => {
    await withServer('valid-minimal', async (client) => {
      const capabilities = client.initializeResult.capabilities;
      const sync = capabilities.textDocumentSync;
      const syncKind = typeof sync === 'number' ? sync : sync?.change;
      assert.equal(syncKind, 2);
      assert.ok(capabilities.completionProvider, 'completionProvider');
      assert.ok(capabilities.hoverProvider, 'hoverProvider');
      assert.ok(capabilities.codeActionProvider, 'codeActionProvider');
      assert.ok(capabilities.documentSymbolProvider, 'documentSymbolProvider');
      assert.ok(capabilities.foldingRangeProvider, 'foldingRangeProvider');
    });
  });

  const schemaKinds: [FixtureName, string][] = [
    ['valid-minimal', 'none'],
    ['cue-schema', 'cue'],
    ['json-schema', 'json'],
  ];
  for (const [fixture, workspaceSchema] of schemaKinds) {
    test(`ready reports workspaceSchema '${workspaceSchema}' for ${fixture}`, async () => {
      await withServer(fixture, async (client) => {
        const ready = await client.waitForNotification('clusterTemplate/ready');
        const params = ready.params as { workspaceSchema: unknown; notes: unknown };
        assert.equal(params.workspaceSchema, workspaceSchema);
        assert.ok(Array.isArray(params.notes) && params.notes.every((n) => typeof n === 'string'), 'notes is a list of strings');
      });
    });
  }

  test('shutdown then exit ends the process with code 0', async () => {
    const client = await startServer('valid-minimal');
    try {
      assert.deepEqual(await client.shutdown(), { code: 0, signal: null });
    } finally {
      client.dispose();
    }
  });
});

describe('diagnostics', () => {
  for (const fixture of ['valid-minimal', 'cue-schema', 'json-schema'] as const) {
    test(`the valid files of ${fixture} get no diagnostics, published with their version`, async () => {
      await withServer(fixture, async (client) => {
        const clusterUri = client.uri('cluster.yaml');
        const nodesUri = client.uri('nodes.yaml');
        await client.open(clusterUri);
        await client.open(nodesUri);
        const cluster = await client.waitForDiagnostics(clusterUri, 1);
        const nodes = await client.waitForDiagnostics(nodesUri, 1);
        assert.equal(cluster.params.version, 1);
        assert.equal(nodes.params.version, 1);
        assert.deepEqual(cluster.params.diagnostics, []);
        assert.deepEqual(nodes.params.diagnostics, []);
      });
    });
  }

  test('an API address outside node_cidr is reported at its key, with code, source and version', async () => {
    await withServer('valid-minimal', async (client) => {
      const uri = client.uri('cluster.yaml');
      const text = replaceOnce(fixtureText('valid-minimal', 'cluster.yaml'), '"192.168.1.100"', '"10.99.0.5"');
      await client.open(uri, text);
      const published = await client.waitForDiagnostics(uri, 1);
      assert.equal(published.params.version, 1);
      assert.deepEqual(summarize(published.params.diagnostics), [
        { code: 'api-addr-in-cidr', severity: ERROR, range: keyRange(text, 'cluster_api_addr') },
      ]);
      const [diagnostic] = published.params.diagnostics;
      assert.equal(diagnostic.source, 'cluster-template');
      assert.ok(typeof diagnostic.message === 'string' && diagnostic.message.length > 0, 'a plain-text message');
    });
  });

  test('a bad list element is reported at that element', async () => {
    await withServer('valid-minimal', async (client) => {
      const uri = client.uri('cluster.yaml');
      const text = replaceOnce(fixtureText('valid-minimal', 'cluster.yaml'), '"1.0.0.1"]\n', '"1.0.0.300"]\n');
      await client.open(uri, text);
      const published = await client.waitForDiagnostics(uri, 1);
      assert.deepEqual(summarize(published.params.diagnostics), [
        { code: 'ipv4', severity: ERROR, range: rangeOfText(text, '"1.0.0.300"') },
      ]);
    });
  });

  test('an unknown key is a warning without a workspace schema', async () => {
    await withServer('valid-minimal', async (client) => {
      const uri = client.uri('cluster.yaml');
      const text = replaceOnce(fixtureText('valid-minimal', 'cluster.yaml'), 'cilium_loadbalancer_mode:', 'cilium_loadbalancer_mod:');
      await client.open(uri, text);
      const published = await client.waitForDiagnostics(uri, 1);
      assert.deepEqual(summarize(published.params.diagnostics), [
        { code: 'unknown-key', severity: WARNING, range: keyRange(text, 'cilium_loadbalancer_mod') },
      ]);
    });
  });

  test('a key the closed CUE schema lacks is an error; a key the fork added is fine', async () => {
    await withServer('cue-schema', async (client) => {
      const uri = client.uri('cluster.yaml');
      const text = replaceOnce(fixtureText('cue-schema', 'cluster.yaml'), 'cilium_loadbalancer_mode:', 'cilium_loadbalancer_mod:');
      await client.open(uri, text);
      const published = await client.waitForDiagnostics(uri, 1);
      // homepage_enabled is only declared by the fixture's CUE schema; it must not be flagged.
      assert.deepEqual(summarize(published.params.diagnostics), [
        { code: 'unknown-key', severity: ERROR, range: keyRange(text, 'cilium_loadbalancer_mod') },
      ]);
    });
  });

  test('a change is republished with its version, and undoing it clears the diagnostics', async () => {
    await withServer('valid-minimal', async (client) => {
      const uri = client.uri('cluster.yaml');
      await client.open(uri);
      assert.deepEqual((await client.waitForDiagnostics(uri, 1)).params.diagnostics, []);

      const valueStart = client.text(uri).indexOf('"192.168.1.100"');
      const broken = await client.replace(uri, valueStart, valueStart + '"192.168.1.100"'.length, '"10.99.0.5"');
      assert.equal(broken.version, 2);
      const afterBreak = await client.waitForDiagnostics(uri, 2);
      assert.equal(afterBreak.params.version, 2);
      assert.deepEqual(summarize(afterBreak.params.diagnostics), [
        { code: 'api-addr-in-cidr', severity: ERROR, range: keyRange(client.text(uri), 'cluster_api_addr') },
      ]);

      const fixed = await client.replace(uri, valueStart, valueStart + '"10.99.0.5"'.length, '"192.168.1.100"');
      const afterFix = await client.waitForDiagnostics(uri, fixed.version);
      assert.equal(afterFix.params.version, 3);
      assert.deepEqual(afterFix.params.diagnostics, []);
    });
  });

  test('two nodes with the same name: the later name is reported', async () => {
    await withServer('valid-minimal', async (client) => {
      const uri = client.uri('nodes.yaml');
      const text = replaceOnce(fixtureText('valid-minimal', 'nodes.yaml'), 'name: "k8s-1"', 'name: "k8s-0"');
      await client.open(uri, text);
      const published = await client.waitForDiagnostics(uri, 1);
      assert.deepEqual(summarize(published.params.diagnostics), [
        { code: 'node-name-unique', severity: ERROR, range: keyRange(text, 'name', 1) },
      ]);
    });
  });

  test('editing node_cidr in cluster.yaml re-checks nodes.yaml', async () => {
    await withServer('valid-minimal', async (client) => {
      const clusterUri = client.uri('cluster.yaml');
      const nodesUri = client.uri('nodes.yaml');
      await client.open(clusterUri);
      await client.open(nodesUri);
      await client.waitForDiagnostics(clusterUri, 1);
      assert.deepEqual((await client.waitForDiagnostics(nodesUri, 1)).params.diagnostics, []);
      const nodesText = client.text(nodesUri);

      const cidrStart = client.text(clusterUri).indexOf('"192.168.1.0/24"');
      const mark = client.publishMark();
      await client.replace(clusterUri, cidrStart, cidrStart + '"192.168.1.0/24"'.length, '"10.0.0.0/24"');
      // A re-check already under way (the one after the template index is built) may publish the
      // unchanged nodes.yaml first: wait for the publish that reflects the new node_cidr.
      const republished = await client.waitForPublish(nodesUri, mark, (params) => params.diagnostics.length > 0);
      // nodes.yaml itself did not change, so its publish still carries its own version.
      assert.equal(republished.params.version, 1);
      assert.deepEqual(summarize(republished.params.diagnostics), [
        { code: 'node-address-in-cidr', severity: ERROR, range: keyRange(nodesText, 'address', 0) },
        { code: 'node-address-in-cidr', severity: ERROR, range: keyRange(nodesText, 'address', 1) },
      ]);

      const markBack = client.publishMark();
      await client.replace(clusterUri, cidrStart, cidrStart + '"10.0.0.0/24"'.length, '"192.168.1.0/24"');
      const cleared = await client.waitForPublish(nodesUri, markBack, (params) => params.diagnostics.length === 0);
      assert.deepEqual(cleared.params.diagnostics, []);
    });
  });

  test('broken YAML never takes the server down', async () => {
    await withServer('valid-minimal', async (client) => {
      const uri = client.uri('cluster.yaml');
      const valid = fixtureText('valid-minimal', 'cluster.yaml');
      await client.open(uri);
      await client.waitForDiagnostics(uri, 1);
      const garbage: [string, string | undefined][] = [
        ['node_cidr: "192.168.1.0/24\ncluster_api_addr: "192.168.1.100"\n', 'yaml-syntax'],
        [']]] : : {{\n\t- \u0000\u0001 ? ! & * |\n', 'yaml-syntax'],
        ['- just\n- a list\n', 'not-a-mapping'],
        ['', undefined],
        ['a: 1\n---\nb: 2\n', undefined],
        ['node_cidr: &anchor "192.168.1.0/24"\ncluster_api_addr: *anchor\n', undefined],
        ['node_cidr:\n  - [\n', 'yaml-syntax'],
        [valid.slice(0, Math.floor(valid.length / 2)), undefined],
      ];
      for (const [text, expectedCode] of garbage) {
        const { version } = await client.setText(uri, text);
        const published = await client.waitForDiagnostics(uri, version);
        if (expectedCode) {
          assert.ok(
            published.params.diagnostics.some((d) => d.code === expectedCode),
            `expected ${expectedCode} for ${JSON.stringify(text)}, got ${JSON.stringify(summarize(published.params.diagnostics))}`,
          );
        }
        // Requests keep working on broken text (the answers may be empty).
        await client.hover(uri, { line: 0, character: 1 });
        await client.completion(uri, { line: 0, character: 0 });
        await client.documentSymbols(uri);
        await client.foldingRanges(uri);
      }
      const { version } = await client.setText(uri, valid);
      assert.deepEqual((await client.waitForDiagnostics(uri, version)).params.diagnostics, []);
      assert.equal(client.hasExited, false);
    });
  });
});

describe('completion, hover and code actions', () => {
  test('completion on an empty line offers the keys not yet present, never the token', async () => {
    await withServer('valid-minimal', async (client) => {
      const uri = client.uri('cluster.yaml');
      await client.open(uri);
      const text = client.text(uri);
      assert.ok(text.endsWith('\n'));
      const items = await client.completion(uri, client.positionAt(uri, text.length));
      const labels = items.map((item) => item.label);
      for (const missing of ['node_ntp_servers', 'cluster_pod_cidr', 'cluster_svc_cidr', 'cilium_bgp_router_addr']) {
        assert.ok(labels.includes(missing), `missing key ${missing} is not offered; got ${labels.join(', ')}`);
      }
      for (const present of ['node_cidr', 'cluster_api_addr', 'cloudflare_token']) {
        assert.ok(!labels.includes(present), `${present} is already in the file but offered again`);
      }
      assert.ok(!JSON.stringify(items).includes(FIXTURE_TOKEN));
    });
  });

  test('completion offers a key that only the workspace CUE schema declares', async () => {
    await withServer('cue-schema', async (client) => {
      const uri = client.uri('cluster.yaml');
      const text = replaceOnce(fixtureText('cue-schema', 'cluster.yaml'), 'homepage_enabled: true\n', '');
      await client.open(uri, text);
      const items = await client.completion(uri, client.positionAt(uri, text.length));
      assert.ok(items.some((item) => item.label === 'homepage_enabled'), 'homepage_enabled is not offered');
    });
  });

  test('hover on a key gives markdown with its documentation and effective value', async () => {
    await withServer('valid-minimal', async (client) => {
      const uri = client.uri('cluster.yaml');
      await client.open(uri);
      const range = keyRange(client.text(uri), 'node_cidr');
      const hover = await client.hover(uri, { line: range.start.line, character: range.start.character + 2 });
      assert.ok(hover, 'no hover on node_cidr');
      assert.ok(!Array.isArray(hover.contents) && typeof hover.contents === 'object' && 'kind' in hover.contents, 'hover is not MarkupContent');
      assert.equal(hover.contents.kind, 'markdown');
      assert.ok(hoverText(hover).includes('192.168.1.0/24'), `the effective value is missing: ${hoverText(hover)}`);
    });
  });

  test('hover on the token key documents it without showing the value', async () => {
    await withServer('valid-minimal', async (client) => {
      const uri = client.uri('cluster.yaml');
      await client.open(uri);
      const range = keyRange(client.text(uri), 'cloudflare_token');
      const hover = await client.hover(uri, { line: range.start.line, character: range.start.character + 3 });
      assert.ok(hoverText(hover).length > 0, 'no hover on cloudflare_token');
      assert.ok(!hoverText(hover).includes(FIXTURE_TOKEN), 'the token value is shown in the hover');
    });
  });

  test('a mistyped key gets a "Change to" quick fix whose edit makes the file valid', async () => {
    await withServer('valid-minimal', async (client) => {
      const uri = client.uri('cluster.yaml');
      const text = replaceOnce(fixtureText('valid-minimal', 'cluster.yaml'), 'node_cidr:', 'nod_cidr:');
      await client.open(uri, text);
      const published = await client.waitForDiagnostics(uri, 1);
      const unknown = published.params.diagnostics.filter((d) => d.code === 'unknown-key');
      assert.deepEqual(unknown.map((d) => d.range), [keyRange(text, 'nod_cidr')]);

      const actions = await client.codeActions(uri, unknown[0].range, unknown);
      const fix = actions.filter(isCodeAction).find((action) => action.title === 'Change to node_cidr');
      assert.ok(fix, `no "Change to node_cidr" action; got ${actions.map((a) => a.title).join(' | ')}`);
      assert.equal(fix.kind, 'quickfix');
      const fixedText = applyWorkspaceEdit(uri, text, fix.edit);
      assert.equal(fixedText, fixtureText('valid-minimal', 'cluster.yaml'));

      const { version } = await client.setText(uri, fixedText);
      assert.deepEqual((await client.waitForDiagnostics(uri, version)).params.diagnostics, []);
    });
  });

  test('a mistyped fork key gets a quick fix to the CUE-declared key', async () => {
    await withServer('cue-schema', async (client) => {
      const uri = client.uri('cluster.yaml');
      const text = replaceOnce(fixtureText('cue-schema', 'cluster.yaml'), 'homepage_enabled:', 'homepage_enabld:');
      await client.open(uri, text);
      const published = await client.waitForDiagnostics(uri, 1);
      const unknown = published.params.diagnostics.filter((d) => d.code === 'unknown-key');
      assert.equal(unknown.length, 1);
      const actions = await client.codeActions(uri, unknown[0].range, unknown);
      const fix = actions.filter(isCodeAction).find((action) => action.title === 'Change to homepage_enabled');
      assert.ok(fix, `no quick fix; got ${actions.map((a) => a.title).join(' | ')}`);
      assert.equal(applyWorkspaceEdit(uri, text, fix.edit), fixtureText('cue-schema', 'cluster.yaml'));
    });
  });
});

describe('document symbols and folding', () => {
  test('cluster.yaml symbols are its top-level keys, in order', async () => {
    await withServer('valid-minimal', async (client) => {
      const uri = client.uri('cluster.yaml');
      await client.open(uri);
      const text = client.text(uri);
      const symbols = (await client.documentSymbols(uri)) as DocumentSymbol[];
      const keys = [...text.matchAll(/^([a-z_]+):/gm)].map((m) => m[1]);
      assert.deepEqual(symbols.map((s) => s.name), keys);
      const nodeCidr = symbols.find((s) => s.name === 'node_cidr');
      assert.deepEqual(nodeCidr?.selectionRange, keyRange(text, 'node_cidr'));
    });
  });

  test('nodes.yaml has a nodes symbol with one child per node', async () => {
    await withServer('valid-minimal', async (client) => {
      const uri = client.uri('nodes.yaml');
      await client.open(uri);
      const symbols = (await client.documentSymbols(uri)) as DocumentSymbol[];
      assert.deepEqual(symbols.map((s) => s.name), ['nodes']);
      assert.equal(symbols[0].children?.length, 2);
    });
  });

  test('nodes.yaml folds the node list and each node', async () => {
    await withServer('valid-minimal', async (client) => {
      const uri = client.uri('nodes.yaml');
      await client.open(uri);
      const text = client.text(uri);
      const lastLine = text.trimEnd().split('\n').length - 1;
      const ranges = (await client.foldingRanges(uri)).map((r) => [r.startLine, r.endLine]);
      const expected = [
        [lineOf(text, 'nodes:'), lastLine],
        [lineOf(text, '- name: "k8s-0"'), lineOf(text, '    mtu: 1500')],
        [lineOf(text, '- name: "k8s-1"'), lastLine],
      ];
      for (const range of expected) {
        assert.ok(ranges.some(([start, end]) => start === range[0] && end === range[1]), `no fold ${range}; got ${JSON.stringify(ranges)}`);
      }
    });
  });
});
