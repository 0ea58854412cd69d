// SOPS over stdio against the bundled server, on temporary copies of example/ rendered with a real
// age key (made by Debian's age-keygen): the plaintext-secret diagnostic and its quick fix, Encrypt
// File, Decrypt File, the Edit Secret reads and writes, the MAC diagnostic of a tampered file,
// Encrypt All Secrets with its progress and summary, Generate age Key, and restricted mode.
// Values are compared in memory and never printed: no assertion message carries a secret.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import type { Diagnostic, PublishDiagnosticsParams } from 'vscode-languageserver-protocol/node';
import type {
  EncryptAllResult,
  GenerateAgeKeyResult,
  ReadSecretResult,
  RenderPlanResult,
  SopsFileResult,
  SopsProgressParams,
  WriteSecretResult,
} from '../../server/src/protocol';
import { fileUri, LspClient } from '../support/lspClient';

const repoRoot = resolve(__dirname, '..', '..', '..');
const serverBundle = join(repoRoot, 'dist', 'server.js');
const scratch = mkdtempSync(join(tmpdir(), 'ctt-sops-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

const secretPath = 'kubernetes/components/sops/cluster-secrets.sops.yaml';
const secretTemplate = 'templates/config/kubernetes/components/sops/cluster-secrets.sops.yaml.j2';
/** An empty home: no ~/.config/sops/age/keys.txt of the machine running the tests is read. */
const home = join(scratch, 'home');
mkdirSync(home);

/** The server's environment without any SOPS key of the machine running the tests. */
function serverEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!/^(SOPS_|XDG_CONFIG_HOME$|HOME$)/.test(name)) env[name] = value;
  return { ...env, HOME: home };
}

async function start(root: string, isTrusted = true): Promise<LspClient> {
  const client = await LspClient.start({
    server: { command: process.execPath, args: [serverBundle, '--stdio'], cwd: repoRoot, env: serverEnv() },
    workspaceFolder: root,
    initializationOptions: { isTrusted, storagePath: join(root, '..', 'storage') },
    timeoutMs: 20_000,
  });
  await client.waitForNotification('clusterTemplate/ready');
  return client;
}

/** example/ rendered once with a fresh age key; every test works on its own copy of it. */
let renderedBase: string;
before(async () => {
  renderedBase = join(scratch, 'base', 'example');
  cpSync(join(repoRoot, 'example'), renderedBase, { recursive: true });
  execFileSync('age-keygen', ['-o', join(renderedBase, 'age.key')], { stdio: 'ignore' });
  const client = await start(renderedBase);
  try {
    const plan = await client.request<RenderPlanResult>('clusterTemplate/renderPlan', { folderUri: fileUri(renderedBase) });
    assert.deepEqual(plan.errors, []);
    const applied = await client.request<{ errors: string[] }>('clusterTemplate/applyRenderPlan', { planId: plan.planId, overwriteHandEdited: [] });
    assert.deepEqual(applied.errors, []);
    assert.equal((await client.shutdown()).code, 0);
  } finally {
    client.dispose();
  }
  assert.ok(existsSync(join(renderedBase, '.sops.yaml')) && existsSync(join(renderedBase, secretPath)), 'the render wrote no .sops.yaml or secret');
});

let copies = 0;
function workspaceCopy(): string {
  const root = join(scratch, String(++copies), 'example');
  cpSync(renderedBase, root, { recursive: true });
  return root;
}

async function withServer(body: (client: LspClient, root: string) => Promise<void>, options: { isTrusted?: boolean; root?: string } = {}): Promise<void> {
  const root = options.root ?? workspaceCopy();
  const client = await start(root, options.isTrusted ?? true);
  try {
    await body(client, root);
    assert.equal((await client.shutdown()).code, 0);
  } finally {
    client.dispose();
  }
}

const sopsRequest = <R>(client: LspClient, name: string, params: unknown): Promise<R> => client.request<R>(`clusterTemplate/sops/${name}`, params);
const encryptFile = (client: LspClient, relativePath: string) => sopsRequest<SopsFileResult>(client, 'encryptFile', { uri: client.uri(relativePath) });
const decryptFile = (client: LspClient, relativePath: string) => sopsRequest<SopsFileResult>(client, 'decryptFile', { uri: client.uri(relativePath) });
const readSecret = (client: LspClient, relativePath: string) => sopsRequest<ReadSecretResult>(client, 'readSecret', { uri: client.uri(relativePath) });
const writeSecret = (client: LspClient, relativePath: string, text: string) => sopsRequest<WriteSecretResult>(client, 'writeSecret', { uri: client.uri(relativePath), text });

/** Tells the server files changed on disk, as the editor's file watcher would. */
async function changedOnDisk(client: LspClient, relativePath: string, type: 1 | 2 | 3 = 2): Promise<void> {
  await client.notify('workspace/didChangeWatchedFiles', { changes: [{ uri: client.uri(relativePath), type }] });
}

const sopsCodes = (params: PublishDiagnosticsParams): string[] => params.diagnostics.filter((d) => d.source === 'sops').map((d) => String(d.code));
const hasCode = (code: string) => (params: PublishDiagnosticsParams) => sopsCodes(params).includes(code);
const messageOf = (diagnostic: Diagnostic): string => (typeof diagnostic.message === 'string' ? diagnostic.message : diagnostic.message.value);

/** The secret's data as parsed YAML, for comparisons that never print it. */
function dataOf(text: string): { stringData?: Record<string, unknown>; metadata?: unknown; sops?: Record<string, unknown> } {
  return parseYaml(text);
}

function publicKeyOf(root: string): string {
  return /# public key: (age1\w+)/.exec(readFileSync(join(root, 'age.key'), 'utf8'))![1];
}

/** The file's values decrypted by sops-age, an independent implementation (it does not check the MAC). */
async function decryptIndependently(root: string, relativePath: string): Promise<Record<string, unknown>> {
  const { decryptSops } = await import('sops-age');
  const secretKey = readFileSync(join(root, 'age.key'), 'utf8').split('\n').find((line) => line.startsWith('AGE-SECRET-KEY-'))!;
  return decryptSops(readFileSync(join(root, relativePath), 'utf8'), { secretKey, fileType: 'yaml' });
}

describe('SOPS over stdio', () => {
  test('a rendered plaintext secret, closed or open, is an error with a quick fix that encrypts it', async () => {
    await withServer(async (client) => {
      const uri = client.uri(secretPath);
      const closed = await client.waitForPublish(uri, 0, hasCode('sops-plaintext-secret'));
      const diagnostic = closed.params.diagnostics.find((d) => d.code === 'sops-plaintext-secret')!;
      assert.equal(messageOf(diagnostic), 'plaintext secret: encrypt before committing');
      assert.equal(diagnostic.severity, 1);
      assert.deepEqual(sopsCodes(closed.params), ['sops-plaintext-secret'], 'a rule matches and age.key exists: one problem only');
      const actions = await client.codeActions(uri, diagnostic.range, [diagnostic]);
      assert.deepEqual(
        actions.map((action) => ('command' in action && typeof action.command === 'object' ? [action.command.command, action.command.arguments] : undefined)),
        [['clusterTemplate.sops.encryptFile', [uri]]],
      );
      // Templates are never checked: the .j2 source of the secret is not a secret.
      assert.deepEqual(client.publishesFor(client.uri(secretTemplate)).filter((p) => sopsCodes(p.params).length > 0), []);

      const { version } = await client.open(uri);
      const open = await client.waitForDiagnostics(uri, version);
      assert.deepEqual(sopsCodes(open.params), ['sops-plaintext-secret']);
    });
  });

  test('Encrypt File encrypts with the .sops.yaml rule, the error goes, and an encrypted file is never encrypted twice', async () => {
    await withServer(async (client, root) => {
      const uri = client.uri(secretPath);
      const plaintext = readFileSync(join(root, secretPath), 'utf8');
      await client.waitForPublish(uri, 0, hasCode('sops-plaintext-secret'));
      const mark = client.publishMark();
      const result = await encryptFile(client, secretPath);
      assert.equal(result.outcome, 'done', result.message);
      const encrypted = readFileSync(join(root, secretPath), 'utf8');
      const parsed = dataOf(encrypted);
      assert.ok(Object.values(parsed.stringData ?? {}).every((value) => typeof value === 'string' && value.startsWith('ENC[AES256_GCM,')), 'stringData is not encrypted');
      assert.ok(isDeepStrictEqual(parsed.metadata, dataOf(plaintext).metadata), 'metadata should stay in clear text (encrypted_regex)');
      const sops = parsed.sops as { age: { recipient: string }[]; encrypted_regex: string; mac_only_encrypted: boolean };
      assert.deepEqual([sops.age.map((entry) => entry.recipient), sops.encrypted_regex, sops.mac_only_encrypted], [[publicKeyOf(root)], '^(data|stringData)$', true]);
      assert.ok(/^stringData:\n {2}SECRET_DOMAIN: ENC\[/m.test(encrypted), 'stores.yaml.indent 2 is not honoured');
      // The values decrypt with another implementation too.
      assert.ok(isDeepStrictEqual((await decryptIndependently(root, secretPath)).stringData, dataOf(plaintext).stringData), 'sops-age decrypts other values');
      await client.waitForPublish(uri, mark, (p) => sopsCodes(p).length === 0);

      const again = await encryptFile(client, secretPath);
      assert.equal(again.outcome, 'unchanged', again.message);
      assert.ok(readFileSync(join(root, secretPath), 'utf8') === encrypted, 'a second Encrypt File changed the file');
    });
  });

  test('Edit Secret: readSecret decrypts in memory, writeSecret re-encrypts the change as sops edit does', async () => {
    await withServer(async (client, root) => {
      const plaintext = readFileSync(join(root, secretPath), 'utf8');
      assert.equal((await encryptFile(client, secretPath)).outcome, 'done');
      const before = readFileSync(join(root, secretPath), 'utf8');
      const read = await readSecret(client, secretPath);
      assert.equal(read.error, undefined);
      assert.ok(isDeepStrictEqual(dataOf(read.text ?? '').stringData, dataOf(plaintext).stringData), 'readSecret gives other values than were encrypted');
      assert.equal((await writeSecret(client, secretPath, read.text!)).outcome, 'unchanged');
      assert.ok(readFileSync(join(root, secretPath), 'utf8') === before, 'an unchanged save rewrote the file');

      const edited = read.text!.replace(/^(\s+SECRET_DOMAIN: ).*$/m, '$1changed.example.org') + '  SECRET_NEW: added-in-memory\n';
      const written = await writeSecret(client, secretPath, edited);
      assert.equal(written.outcome, 'done', written.message);
      const after = readFileSync(join(root, secretPath), 'utf8');
      assert.ok(!after.includes('changed.example.org') && !after.includes('added-in-memory'), 'plaintext reached the file on disk');
      const afterSops = dataOf(after).sops as { age: { enc: string }[]; lastmodified: string };
      const beforeSops = dataOf(before).sops as { age: { enc: string }[]; lastmodified: string };
      assert.equal(afterSops.age[0].enc, beforeSops.age[0].enc, 'the data key was wrapped again: sops edit keeps it');
      const reread = await readSecret(client, secretPath);
      const values = dataOf(reread.text ?? '').stringData ?? {};
      assert.ok(values.SECRET_DOMAIN === 'changed.example.org' && values.SECRET_NEW === 'added-in-memory', 'the change does not decrypt back');
      const independent = (await decryptIndependently(root, secretPath)).stringData as Record<string, unknown>;
      assert.ok(independent.SECRET_DOMAIN === 'changed.example.org', 'sops-age does not see the change');
      // No temporary file is left next to the secret.
      assert.deepEqual(readdirSync(join(root, 'kubernetes/components/sops')).filter((name) => name.startsWith('.') || name.endsWith('.tmp')), []);

      const invalid = await writeSecret(client, secretPath, 'stringData: [unclosed\n');
      assert.equal(invalid.outcome, 'refused');
      assert.equal(invalid.error?.code, 'invalid');
      assert.ok(!invalid.message.includes('unclosed'), 'the refusal quotes the text');
      assert.ok(readFileSync(join(root, secretPath), 'utf8') === after, 'a refused save changed the file');
    });
  });

  test('Decrypt File writes the plaintext back after checking the MAC, and the plaintext error returns', async () => {
    await withServer(async (client, root) => {
      const plaintext = readFileSync(join(root, secretPath), 'utf8');
      assert.equal((await encryptFile(client, secretPath)).outcome, 'done');
      const mark = client.publishMark();
      const result = await decryptFile(client, secretPath);
      assert.equal(result.outcome, 'done', result.message);
      const decrypted = readFileSync(join(root, secretPath), 'utf8');
      assert.ok(isDeepStrictEqual(dataOf(decrypted).stringData, dataOf(plaintext).stringData) && !decrypted.includes('sops:'), 'Decrypt File wrote something else');
      await client.waitForPublish(client.uri(secretPath), mark, hasCode('sops-plaintext-secret'));
      assert.equal((await decryptFile(client, secretPath)).outcome, 'unchanged');
    });
  });

  test('a value changed by hand is a MAC error, and the file is neither decrypted nor overwritten', async () => {
    await withServer(async (client, root) => {
      const uri = client.uri(secretPath);
      assert.equal((await encryptFile(client, secretPath)).outcome, 'done');
      const encrypted = readFileSync(join(root, secretPath), 'utf8');
      // One character of the ciphertext, as a hand edit would.
      const tampered = encrypted.replace(/(SECRET_DOMAIN: ENC\[AES256_GCM,data:)(.)/, (_, head: string, first: string) => head + (first === 'A' ? 'B' : 'A'));
      assert.notEqual(tampered, encrypted);
      writeFileSync(join(root, secretPath), tampered);
      const mark = client.publishMark();
      await changedOnDisk(client, secretPath);
      const published = await client.waitForPublish(uri, mark, hasCode('sops-value-tampered'));
      const diagnostic = published.params.diagnostics.find((d) => d.code === 'sops-value-tampered')!;
      assert.equal(diagnostic.severity, 1);
      assert.match(messageOf(diagnostic), /MAC check failed.*stringData\.SECRET_DOMAIN/);
      assert.equal(tampered.split('\n')[diagnostic.range.start.line].trim().split(':')[0], 'SECRET_DOMAIN');

      assert.equal((await readSecret(client, secretPath)).error?.code, 'integrity');
      assert.equal((await writeSecret(client, secretPath, 'stringData:\n  SECRET_DOMAIN: x\n')).outcome, 'refused');
      assert.equal((await decryptFile(client, secretPath)).outcome, 'refused');
      assert.ok(readFileSync(join(root, secretPath), 'utf8') === tampered, 'a tampered file was written');

      // An encrypted value removed by hand: every value still opens, but the MAC no longer matches.
      const removed = encrypted.replace(/^ {2}SECRET_DOMAIN: .*\n/m, '');
      writeFileSync(join(root, secretPath), removed);
      const removedMark = client.publishMark();
      await changedOnDisk(client, secretPath);
      const mismatch = await client.waitForPublish(uri, removedMark, hasCode('sops-mac-mismatch'));
      const macLine = removed.split('\n')[mismatch.params.diagnostics.find((d) => d.code === 'sops-mac-mismatch')!.range.start.line];
      assert.match(macLine, /^\s+mac: ENC\[/);
    });
  });

  test('Encrypt All Secrets encrypts the plaintext secrets under the rendered folders, skips encrypted ones and sums up', async () => {
    await withServer(async (client, root) => {
      const add = (relativePath: string, text: string): void => {
        mkdirSync(join(root, relativePath, '..'), { recursive: true });
        writeFileSync(join(root, relativePath), text);
      };
      const secret = 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: extra\nstringData:\n  TOKEN: not-for-git\n';
      add('kubernetes/apps/default/extra/secret.sops.yaml', secret);
      add('talos/talsecret.sops.yaml', 'cluster:\n  secret: not-for-git\n');
      add('bootstrap/unmatched.sops.json', '{"token": "not-for-git"}\n');
      add('elsewhere/other.sops.yaml', secret);
      add('kubernetes/apps/default/extra/done.sops.yaml', secret);
      assert.equal((await encryptFile(client, 'kubernetes/apps/default/extra/done.sops.yaml')).outcome, 'done');
      const alreadyEncrypted = readFileSync(join(root, 'kubernetes/apps/default/extra/done.sops.yaml'), 'utf8');

      const result = await sopsRequest<EncryptAllResult>(client, 'encryptAll', { folderUri: fileUri(root), progressId: 'run-1' });
      const relative = (uris: string[]) => uris.map((uri) => uri.slice(fileUri(root).length + 1)).sort();
      assert.deepEqual(relative(result.encrypted), ['kubernetes/apps/default/extra/secret.sops.yaml', secretPath, 'talos/talsecret.sops.yaml'].sort());
      assert.deepEqual(relative(result.alreadyEncrypted), ['kubernetes/apps/default/extra/done.sops.yaml']);
      assert.deepEqual(relative(result.failed.map((failure) => failure.uri)), ['bootstrap/unmatched.sops.json']);
      assert.match(result.failed[0].message, /no creation rule/);
      assert.equal(result.refused, undefined);
      assert.ok(readFileSync(join(root, 'kubernetes/apps/default/extra/done.sops.yaml'), 'utf8') === alreadyEncrypted, 'an encrypted file was encrypted again');
      assert.ok(readFileSync(join(root, 'elsewhere/other.sops.yaml'), 'utf8') === secret, 'a file outside the rendered folders was encrypted');
      // talos/ is encrypted whole (no encrypted_regex in its rule).
      assert.ok(/^ {2}secret: ENC\[/m.test(readFileSync(join(root, 'talos/talsecret.sops.yaml'), 'utf8')), 'talos/talsecret.sops.yaml is not encrypted whole');

      const progress = client.notifications.filter((n) => n.method === 'clusterTemplate/sops/progress').map((n) => n.params as SopsProgressParams);
      assert.deepEqual(progress.map((p) => [p.progressId, p.done, p.total]), [1, 2, 3, 4, 5].map((done) => ['run-1', done, 5]));
    });
  });

  test('with no age key anywhere, the guided fix generates age.key (mode 0600) and answers with the public key only', async () => {
    const root = workspaceCopy();
    rmSync(join(root, 'age.key'));
    await withServer(async (client) => {
      const uri = client.uri(secretPath);
      const published = await client.waitForPublish(uri, 0, hasCode('sops-no-age-key'));
      const diagnostic = published.params.diagnostics.find((d) => d.code === 'sops-no-age-key')!;
      assert.match(messageOf(diagnostic), /No age key found.*age\.key/);
      const actions = await client.codeActions(uri, diagnostic.range, [diagnostic]);
      const fix = actions.find((action) => 'command' in action && typeof action.command === 'object' && action.command.command === 'clusterTemplate.sops.generateAgeKey');
      assert.ok(fix && 'command' in fix && typeof fix.command === 'object');
      assert.deepEqual(fix.command.arguments, [fileUri(root)]);

      const mark = client.publishMark();
      const created = await sopsRequest<GenerateAgeKeyResult>(client, 'generateAgeKey', { folderUri: fileUri(root) });
      assert.equal(created.outcome, 'created', created.message);
      assert.ok(!JSON.stringify(created).includes('AGE-SECRET-KEY'), 'the answer carries the private key');
      const keyFile = join(root, 'age.key');
      assert.equal(statSync(keyFile).mode & 0o777, 0o600);
      const keyText = readFileSync(keyFile, 'utf8');
      assert.ok(/^# created: \S+\n# public key: age1\w+\nAGE-SECRET-KEY-1\w+\n$/.test(keyText), 'age.key is not laid out as age-keygen writes it');
      // age-keygen derives the same public key from the file: it is a real age identity.
      assert.equal(execFileSync('age-keygen', ['-y', keyFile], { encoding: 'utf8' }).trim(), created.publicKey);
      assert.match(created.message, /\.sops\.yaml/);
      // The server re-checks the secrets itself (the editor's file watcher would also report age.key).
      await client.waitForPublish(uri, mark, (p) => !hasCode('sops-no-age-key')(p));

      const again = await sopsRequest<GenerateAgeKeyResult>(client, 'generateAgeKey', { folderUri: fileUri(root) });
      assert.deepEqual([again.outcome, again.publicKey], ['exists', created.publicKey]);
      assert.ok(readFileSync(keyFile, 'utf8') === keyText, 'an existing age.key was overwritten');
    }, { root });
  });

  test('in restricted mode nothing is encrypted, decrypted or written, and the plaintext check still runs', async () => {
    const root = workspaceCopy();
    await withServer(async (client) => {
      const uri = client.uri(secretPath);
      const published = await client.waitForPublish(uri, 0, hasCode('sops-plaintext-secret'));
      assert.deepEqual(sopsCodes(published.params), ['sops-plaintext-secret']);
      const before = readFileSync(join(root, secretPath), 'utf8');
      const keyBefore = readFileSync(join(root, 'age.key'), 'utf8');
      for (const result of [await encryptFile(client, secretPath), await decryptFile(client, secretPath)]) {
        assert.equal(result.outcome, 'refused');
        assert.match(result.message, /Restricted Mode/);
      }
      assert.equal((await readSecret(client, secretPath)).error?.code, 'restricted');
      assert.equal((await writeSecret(client, secretPath, 'stringData:\n  a: b\n')).error?.code, 'restricted');
      assert.equal((await sopsRequest<GenerateAgeKeyResult>(client, 'generateAgeKey', { folderUri: fileUri(root) })).outcome, 'refused');
      assert.match((await sopsRequest<EncryptAllResult>(client, 'encryptAll', { folderUri: fileUri(root) })).refused ?? '', /Restricted Mode/);
      assert.ok(readFileSync(join(root, secretPath), 'utf8') === before && readFileSync(join(root, 'age.key'), 'utf8') === keyBefore, 'a file was written in restricted mode');

      await client.notify('clusterTemplate/trustGranted', undefined);
      assert.equal((await encryptFile(client, secretPath)).outcome, 'done');
    }, { root, isTrusted: false });
  });
});
