// Remaining work over stdio against the bundled server, on temporary copies of example/ (shaped like
// the seed repository on 2026-01-06): the states the tree shows, scaffolding VolSync, configuring
// Talos Backup through the variable requests, the Configure pipeline, a check run through a stand-in
// kubectl on PATH, the Taskfile tasks, restricted mode, and the CLI's `status` on the result.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { parseAllDocuments } from 'yaml';
import type {
  ApplyScaffoldResult,
  ConfigureResult,
  ScaffoldPlanResult,
  SetVariablesResult,
  TaskfileTasksResult,
  ValidateVariableResult,
  VariablePromptsResult,
  WorkItemInfo,
  WorkItemsResult,
  WorkStepResult,
} from '../../server/src/protocol';
import { fileUri, LspClient } from '../support/lspClient';

const repoRoot = resolve(__dirname, '..', '..', '..');
const serverBundle = join(repoRoot, 'dist', 'server.js');
const cli = join(repoRoot, 'dist', 'cli.js');
const scratch = mkdtempSync(join(tmpdir(), 'ctt-tasks-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** Step results go here, not into the home of the machine running the tests. */
const stateDir = join(scratch, 'state');
/** Stand-in programs put first on PATH (a kubectl that prints a captured answer). */
const fakeBin = join(scratch, 'bin');
const home = join(scratch, 'home');
mkdirSync(home);

// Recognisably fake credentials; the test checks none of them reaches a rendered file in plain text.
const FAKE_ACCESS_KEY = 'FAKEACCESSKEYFORTESTS01';
const FAKE_SECRET_KEY = 'fake-secret-key-for-the-remaining-work-tests';
const FAKE_RESTIC_PASSWORD = 'fake-restic-password-for-tests';

function serverEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!/^(SOPS_|XDG_CONFIG_HOME$|HOME$|KUBECONFIG$)/.test(name)) env[name] = value;
  return { ...env, HOME: home, CLUSTER_TEMPLATE_TOOLS_STATE_DIR: stateDir, PATH: `${fakeBin}:${process.env.PATH}` };
}

let copies = 0;
function workspaceCopy(): string {
  const root = join(scratch, String(++copies), 'example');
  cpSync(join(repoRoot, 'example'), root, { recursive: true });
  execFileSync('age-keygen', ['-o', join(root, 'age.key')], { stdio: 'ignore' });
  return root;
}

async function start(root: string, isTrusted = true): Promise<LspClient> {
  const client = await LspClient.start({
    server: { command: process.execPath, args: [serverBundle, '--stdio'], cwd: repoRoot, env: serverEnv() },
    workspaceFolder: root,
    initializationOptions: { isTrusted, storagePath: join(root, '..', 'storage') },
    timeoutMs: 30_000,
  });
  await client.waitForNotification('clusterTemplate/ready');
  return client;
}

async function withServer(body: (client: LspClient, root: string) => Promise<void>, isTrusted = true): Promise<void> {
  const root = workspaceCopy();
  const client = await start(root, isTrusted);
  try {
    await body(client, root);
    assert.equal((await client.shutdown()).code, 0);
  } finally {
    client.dispose();
  }
}

const folder = (client: LspClient) => ({ folderUri: fileUri(client.workspaceFolder) });
const items = async (client: LspClient): Promise<WorkItemInfo[]> => (await client.request<WorkItemsResult>('clusterTemplate/tasks/items', folder(client))).items;
const item = (all: WorkItemInfo[], id: string): WorkItemInfo => {
  const found = all.find((candidate) => candidate.id === id);
  assert.ok(found, `no item ${id}`);
  return found;
};

/** Applies setVariables' edits to cluster.yaml as the client does (then saves), and tells the server. */
async function setVariables(client: LspClient, root: string, assignments: { key: string; text: string }[]): Promise<void> {
  const result = await client.request<SetVariablesResult>('clusterTemplate/tasks/setVariables', { ...folder(client), assignments });
  assert.deepEqual(result.problems, []);
  const file = join(root, 'cluster.yaml');
  const document = TextDocument.create(result.uri, 'yaml', 1, readFileSync(file, 'utf8'));
  writeFileSync(file, TextDocument.applyEdits(document, result.edits));
  await client.notify('workspace/didChangeWatchedFiles', { changes: [{ uri: client.uri('cluster.yaml'), type: 2 }] });
}

async function scaffold(client: LspClient, itemId: string): Promise<{ plan: ScaffoldPlanResult; applied: ApplyScaffoldResult }> {
  const plan = await client.request<ScaffoldPlanResult>('clusterTemplate/tasks/scaffoldPlan', { ...folder(client), itemId, stepId: 'scaffold' });
  assert.equal(plan.refused, undefined);
  const applied = await client.request<ApplyScaffoldResult>('clusterTemplate/tasks/applyScaffold', { planId: plan.planId, overwrite: [] });
  assert.deepEqual(applied.errors, []);
  // The editor's file watcher reports the new files; the server also forgets them itself.
  await client.notify('workspace/didChangeWatchedFiles', { changes: applied.written.map((uri) => ({ uri, type: 1 })) });
  return { plan, applied };
}

const TALOS_BACKUP_ANSWERS = [
  { key: 'backup_s3_endpoint', text: 'http://rustfs-svc.storage.svc.cluster.local:9000' },
  { key: 'backup_s3_bucket', text: 'etcd-backups' },
  { key: 'backup_s3_access_key', text: FAKE_ACCESS_KEY },
  { key: 'backup_s3_secret_key', text: FAKE_SECRET_KEY },
  { key: 'backup_s3_region', text: '' },
];
const VOLSYNC_ANSWERS = [
  { key: 'volsync_enabled', text: 'true' },
  { key: 'volsync_s3_endpoint', text: 'http://rustfs-svc.storage.svc.cluster.local:9000' },
  { key: 'volsync_s3_bucket', text: 'volsync-backups' },
  { key: 'volsync_s3_access_key', text: FAKE_ACCESS_KEY },
  { key: 'volsync_s3_secret_key', text: FAKE_SECRET_KEY },
  { key: 'volsync_restic_password', text: FAKE_RESTIC_PASSWORD },
];

before(() => {
  mkdirSync(fakeBin, { recursive: true });
  // A kubectl that answers `get nodes -o json` with three Ready nodes and fails everything else
  // the way kubectl fails without a cluster.
  const nodes = JSON.stringify({
    apiVersion: 'v1',
    kind: 'List',
    items: ['k8s-0', 'k8s-1', 'k8s-2'].map((name) => ({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name },
      status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' }] },
    })),
  });
  writeFileSync(join(fakeBin, 'nodes.json'), nodes);
  writeFileSync(
    join(fakeBin, 'kubectl'),
    `#!/bin/sh\nif [ "$1 $2" = "get nodes" ]; then cat "${join(fakeBin, 'nodes.json')}"; exit 0; fi\necho "The connection to the server localhost:8080 was refused - did you specify the right host or port?" >&2\nexit 1\n`,
  );
  chmodSync(join(fakeBin, 'kubectl'), 0o755);
});

describe('remaining work over stdio', { timeout: 180_000 }, () => {
  test('the example (seed repository on 2026-01-06): Talos Backup and tuppr High, VolSync Medium, JWT Low and blocked', async () => {
    await withServer(async (client) => {
      const result = await client.request<WorkItemsResult>('clusterTemplate/tasks/items', folder(client));
      assert.equal(result.isClusterTemplate, true);
      const all = result.items;
      assert.deepEqual(all.filter((i) => i.priority === 'high').map((i) => i.id), ['talos-backup', 'tuppr']);
      assert.deepEqual(all.filter((i) => i.priority === 'medium').map((i) => i.id), ['volsync']);
      assert.deepEqual(all.filter((i) => i.priority === 'low').map((i) => i.id), ['jwt-security-policy']);
      const backup = item(all, 'talos-backup');
      assert.equal(backup.state, 'in-progress');
      assert.ok(backup.reasons.includes('✓ the talos-backup templates exist'), backup.reasons.join('\n'));
      assert.ok(backup.reasons.some((r) => r.startsWith('✗ the backup_* variables are set in cluster.yaml: backup_s3_endpoint')), backup.reasons.join('\n'));
      assert.equal(item(all, 'tuppr').state, 'in-progress');
      assert.ok(item(all, 'tuppr').reasons.some((r) => r.startsWith('✗ the six checks passed in the cluster')));
      assert.equal(item(all, 'volsync').state, 'todo');
      const jwt = item(all, 'jwt-security-policy');
      assert.equal(jwt.state, 'blocked');
      assert.ok(jwt.reasons[0].startsWith('blocked: no OIDC provider'), jwt.reasons.join('\n'));
      assert.equal(item(all, 'keycloak').state, 'todo');
      // Command lines carry the workspace's values, quoted for the shell.
      const talosApi = backup.steps.find((s) => s.id === 'talos-api')!;
      assert.match(talosApi.commandLine ?? '', /^talosctl get machineconfig -n 192\.168\.42\.\d+ -o yaml$/);
    });
  });

  test('scaffold VolSync, configure Talos Backup and VolSync, then Configure: valid render, encrypted secrets, new states', async () => {
    await withServer(async (client, root) => {
      const { plan, applied } = await scaffold(client, 'volsync');
      const created = plan.changes.filter((c) => c.kind === 'create').map((c) => c.uri.slice(fileUri(root).length + 1)).sort();
      for (const file of ['ks.yaml.j2', 'app/kustomization.yaml.j2', 'app/ocirepository.yaml.j2', 'app/helmrelease.yaml.j2', 'app/secret.sops.yaml.j2']) {
        assert.ok(created.includes(`templates/config/kubernetes/apps/storage/volsync/${file}`), `${file} not created: ${created.join(', ')}`);
        assert.ok(existsSync(join(root, 'templates/config/kubernetes/apps/storage/volsync', file)));
      }
      const edited = plan.changes.filter((c) => c.kind === 'edit').map((c) => c.uri.slice(fileUri(root).length + 1));
      assert.ok(edited.includes('.taskfiles/template/resources/cluster.schema.cue'), edited.join(', '));
      assert.ok(edited.includes('templates/config/kubernetes/apps/storage/kustomization.yaml.j2'), edited.join(', '));
      assert.equal(applied.written.length, plan.changes.length);
      assert.equal(item(await items(client), 'volsync').state, 'in-progress');

      // Scaffolding again changes nothing.
      const again = await client.request<ScaffoldPlanResult>('clusterTemplate/tasks/scaffoldPlan', { ...folder(client), itemId: 'volsync', stepId: 'scaffold' });
      assert.deepEqual(again.changes, []);

      // The configure questions: the age key is derived from age.key; secrets show no value.
      const prompts = await client.request<VariablePromptsResult>('clusterTemplate/tasks/variablePrompts', { ...folder(client), itemId: 'talos-backup', stepId: 'set-variables' });
      const ageKey = /# public key: (age1\w+)/.exec(readFileSync(join(root, 'age.key'), 'utf8'))![1];
      const agePrompt = prompts.prompts.find((p) => p.key === 'backup_age_public_key')!;
      assert.equal(agePrompt.suggestions[0].value, ageKey);
      const secretPrompt = prompts.prompts.find((p) => p.key === 'backup_s3_secret_key')!;
      assert.equal(secretPrompt.isSecret, true);
      assert.equal(secretPrompt.currentValue, undefined);
      const invalid = await client.request<ValidateVariableResult>('clusterTemplate/tasks/validateVariable', { ...folder(client), key: 'backup_s3_endpoint', text: 'ftp://nas.local' });
      assert.ok(invalid.error, 'ftp:// accepted');
      const valid = await client.request<ValidateVariableResult>('clusterTemplate/tasks/validateVariable', { ...folder(client), key: 'backup_s3_endpoint', text: 'https://abc.r2.cloudflarestorage.com' });
      assert.equal(valid.error, undefined);

      await setVariables(client, root, [...TALOS_BACKUP_ANSWERS, { key: 'backup_age_public_key', text: ageKey }]);
      await setVariables(client, root, VOLSYNC_ANSWERS);
      const clusterYaml = readFileSync(join(root, 'cluster.yaml'), 'utf8');
      // Commented keys were uncommented in place: each key appears once.
      for (const key of ['backup_s3_endpoint', 'volsync_enabled', 'volsync_s3_access_key']) {
        assert.equal(clusterYaml.match(new RegExp(`^${key}:`, 'gm'))?.length, 1, `${key} is not written exactly once`);
      }
      assert.equal(item(await items(client), 'talos-backup').state, 'in-progress');

      const progressId = 'configure-1';
      const configured = await client.request<ConfigureResult>('clusterTemplate/tasks/configure', { ...folder(client), progressId, overwriteHandEdited: false });
      assert.equal(configured.outcome, 'done', JSON.stringify(configured.stages, null, 1));
      assert.deepEqual(configured.stages.map((s) => [s.name, s.status]).slice(0, 3), [['check', 'ok'], ['render', 'ok'], ['encrypt', 'ok']]);
      await client.waitForNotification('clusterTemplate/tasks/progress', (p) => (p as { progressId: string }).progressId === progressId);

      // Every rendered YAML file parses; the new secrets are encrypted and hold no plaintext credential.
      for (const relative of [
        'kubernetes/apps/kube-system/talos-backup/app/helmrelease.yaml',
        'kubernetes/apps/storage/volsync/app/helmrelease.yaml',
        'kubernetes/apps/storage/kustomization.yaml',
      ]) {
        const text = readFileSync(join(root, relative), 'utf8');
        for (const document of parseAllDocuments(text)) assert.deepEqual('errors' in document ? document.errors : [], [], relative);
      }
      for (const secret of ['kubernetes/apps/kube-system/talos-backup/app/secret.sops.yaml', 'kubernetes/apps/storage/volsync/app/secret.sops.yaml']) {
        const text = readFileSync(join(root, secret), 'utf8');
        assert.match(text, /ENC\[AES256_GCM,/, `${secret} is not encrypted`);
        for (const value of [FAKE_ACCESS_KEY, FAKE_SECRET_KEY, FAKE_RESTIC_PASSWORD]) assert.ok(!text.includes(value), `${secret} holds a credential in plain text`);
      }
      assert.match(readFileSync(join(root, 'kubernetes/apps/storage/kustomization.yaml'), 'utf8'), /\.\/volsync\/ks\.yaml/);

      const after = await items(client);
      assert.equal(item(after, 'talos-backup').state, 'done', item(after, 'talos-backup').reasons.join('\n'));
      assert.equal(item(after, 'volsync').state, 'done', item(after, 'volsync').reasons.join('\n'));

      // A second Configure: the secrets encrypted by the first are not taken for hand edits.
      const second = await client.request<ConfigureResult>('clusterTemplate/tasks/configure', { ...folder(client), overwriteHandEdited: false });
      assert.equal(second.outcome, 'done', JSON.stringify(second.stages, null, 1));
      assert.equal(item(await items(client), 'volsync').state, 'done');

      // The command-line tool reads the same states.
      const status = spawnSync(process.execPath, [cli, 'status', root, '--json'], { encoding: 'utf8', env: serverEnv() });
      assert.equal(status.status, 0, status.stderr);
      const fromCli = JSON.parse(status.stdout) as { id: string; state: string; priority: string; reasons: string[] }[];
      assert.deepEqual(
        fromCli.filter((i) => ['talos-backup', 'volsync', 'jwt-security-policy'].includes(i.id)).map((i) => [i.id, i.priority, i.state]),
        [['talos-backup', 'high', 'done'], ['volsync', 'medium', 'done'], ['jwt-security-policy', 'low', 'blocked']],
      );
    });
  });

  test('Configure refuses an invalid cluster.yaml with its errors and writes nothing', async () => {
    await withServer(async (client, root) => {
      const file = join(root, 'cluster.yaml');
      writeFileSync(file, readFileSync(file, 'utf8').replace(/^node_cidr: .*$/m, 'node_cidr: "192.168.42.0/33"'));
      await client.notify('workspace/didChangeWatchedFiles', { changes: [{ uri: client.uri('cluster.yaml'), type: 2 }] });
      const configured = await client.request<ConfigureResult>('clusterTemplate/tasks/configure', { ...folder(client), overwriteHandEdited: false });
      assert.equal(configured.outcome, 'failed');
      assert.equal(configured.stages.length, 1);
      assert.equal(configured.stages[0].name, 'check');
      assert.ok(configured.configErrors.some((e) => e.uri.endsWith('cluster.yaml') && e.line > 0), JSON.stringify(configured.configErrors));
      assert.equal(existsSync(join(root, 'kubernetes')), false, 'something was rendered');
    });
  });

  test('a check runs the tool, parses its output, and is remembered for the tree and the CLI', async () => {
    await withServer(async (client, root) => {
      const nodes = await client.request<WorkStepResult>('clusterTemplate/tasks/runVerify', { ...folder(client), itemId: 'tuppr', stepId: 'nodes' });
      assert.equal(nodes.status, 'pass', nodes.reason);
      const pods = await client.request<WorkStepResult>('clusterTemplate/tasks/runVerify', { ...folder(client), itemId: 'tuppr', stepId: 'pods' });
      // kubectl answered that it cannot reach a cluster: the check could not be made (an error, not a failure).
      assert.equal(pods.status, 'error');
      assert.match(pods.reason, /cluster|connect|refused/i);
      const talosApi = await client.request<WorkStepResult>('clusterTemplate/tasks/runVerify', { ...folder(client), itemId: 'tuppr', stepId: 'talos-api' });
      // No talosctl here (or on the CI machine): said plainly.
      assert.equal(talosApi.status, 'error');
      assert.match(talosApi.reason, /talosctl is not installed/);
      await client.waitForNotification('clusterTemplate/tasks/changed');
      const tuppr = item(await items(client), 'tuppr');
      assert.equal(tuppr.steps.find((s) => s.id === 'nodes')!.lastResult?.status, 'pass');
      assert.ok(tuppr.reasons.includes('✗ the six checks passed in the cluster: talos-api, pods could not be checked; crds, upgrades, versions not run yet'), tuppr.reasons.join('\n'));
      const status = spawnSync(process.execPath, [cli, 'status', root], { encoding: 'utf8', env: serverEnv() });
      assert.match(status.stdout, /last nodes: pass/);
    });
  });

  test('the Taskfile tasks, includes namespaced', async () => {
    await withServer(async (client) => {
      const result = await client.request<TaskfileTasksResult>('clusterTemplate/tasks/taskfile', folder(client));
      const names = result.tasks.map((task) => task.name);
      for (const name of ['configure', 'reconcile', 'talos:apply-node', 'template:debug']) assert.ok(names.includes(name), `${name} missing: ${names.join(', ')}`);
      assert.deepEqual(result.problems, []);
    });
  });

  test('restricted mode shows the states and refuses to write or run', async () => {
    await withServer(async (client) => {
      assert.equal(item(await items(client), 'talos-backup').state, 'in-progress');
      const plan = await client.request<ScaffoldPlanResult>('clusterTemplate/tasks/scaffoldPlan', { ...folder(client), itemId: 'volsync', stepId: 'scaffold' });
      assert.match(plan.refused ?? '', /Restricted Mode/);
      const check = await client.request<WorkStepResult>('clusterTemplate/tasks/runVerify', { ...folder(client), itemId: 'tuppr', stepId: 'nodes' });
      assert.equal(check.status, 'error');
      const configured = await client.request<ConfigureResult>('clusterTemplate/tasks/configure', { ...folder(client), overwriteHandEdited: false });
      assert.equal(configured.outcome, 'refused');
      const edits = await client.request<SetVariablesResult>('clusterTemplate/tasks/setVariables', { ...folder(client), assignments: [{ key: 'backup_s3_bucket', text: 'x' }] });
      assert.deepEqual(edits.edits, []);
    }, false);
  });

  test('a folder that is not a cluster-template repository', async () => {
    const empty = join(scratch, 'empty');
    mkdirSync(empty, { recursive: true });
    const client = await start(empty);
    try {
      const result = await client.request<WorkItemsResult>('clusterTemplate/tasks/items', { folderUri: fileUri(empty) });
      assert.equal(result.isClusterTemplate, false);
      assert.deepEqual(result.items, []);
      assert.equal((await client.shutdown()).code, 0);
    } finally {
      client.dispose();
    }
  });
});
