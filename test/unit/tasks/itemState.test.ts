// Item states read from real workspaces: copies of example/ (the seed repository on 2026-01-06)
// taken to each state of each item (before, partly done, done) by the same steps a user takes:
// scaffolds, cluster.yaml edits, a render and encryption. No state is set by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { after } from 'node:test';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { WorkspaceRenderer } from '../../../server/src/engines/render/workspaceRender';
import { ageKeyFileText, generateAgeKeyPair } from '../../../server/src/engines/sops/ageKey';
import { encryptSops, isSopsEncrypted } from '../../../server/src/engines/sops/sopsFormat';
import { findSecretFiles } from '../../../server/src/engines/sops/secretsStatus';
import { CATALOG } from '../../../server/src/engines/tasks/catalog';
import type { ItemState } from '../../../server/src/engines/tasks/catalogTypes';
import { readWorkItems, type StepResults } from '../../../server/src/engines/tasks/itemState';
import { planScaffold } from '../../../server/src/engines/tasks/scaffolds';
import { readWorkspaceShape } from '../../../server/src/engines/tasks/stateContext';
import { writeRenderPlan } from '../../../server/src/host/atomicWrite';
import { nodeFileReader } from '../../../server/src/host/fileReader';
import type { WorkItemInfo } from '../../../server/src/protocol';
import { planVariableEdits, type VariableAssignment } from '../../../server/src/services/cluster/variableEdits';
import { MAKEJINJA_CLUSTER_TEMPLATE_SYNTAX } from '../../../server/src/services/jinja/syntax';

const REPO_ROOT = join(__dirname, '..', '..', '..', '..');
const scratch = mkdtempSync(join(tmpdir(), 'ctt-states-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

let copies = 0;
interface Workspace {
  root: string;
  recipient: string;
}

/** A fresh copy of example/ with its own age key. */
function example(): Workspace {
  const root = join(scratch, String(++copies));
  cpSync(join(REPO_ROOT, 'example'), root, { recursive: true });
  const pair = generateAgeKeyPair();
  writeFileSync(join(root, 'age.key'), ageKeyFileText(pair, new Date('2026-01-06T00:00:00Z')), { mode: 0o600 });
  return { root, recipient: pair.recipient };
}

function setValues(ws: Workspace, assignments: VariableAssignment[]): void {
  const file = join(ws.root, 'cluster.yaml');
  const text = readFileSync(file, 'utf8');
  const planned = planVariableEdits(text, assignments);
  assert.deepEqual(planned.problems, []);
  writeFileSync(file, TextDocument.applyEdits(TextDocument.create('file:///cluster.yaml', 'yaml', 1, text), planned.edits));
}

async function scaffold(ws: Workspace, id: string): Promise<void> {
  const plan = await planScaffold(id, { root: ws.root, reader: nodeFileReader, syntax: MAKEJINJA_CLUSTER_TEMPLATE_SYNTAX, templateDir: join(ws.root, 'templates', 'config') });
  for (const change of plan.changes) {
    mkdirSync(dirname(change.path), { recursive: true });
    writeFileSync(change.path, change.newText);
  }
}

/** What `task configure` does to the disk: render, then encrypt every plaintext *.sops.* (the example's rule). */
async function renderAndEncrypt(ws: Workspace): Promise<void> {
  const plan = await new WorkspaceRenderer(ws.root, nodeFileReader, { env: {}, derivedData: 'static' }).plan();
  assert.deepEqual(plan.problems, []);
  const written = await writeRenderPlan(plan);
  assert.deepEqual(written.failures, []);
  for (const filePath of await findSecretFiles(ws.root, nodeFileReader)) {
    const relativePath = relative(ws.root, filePath);
    if (relativePath.startsWith('templates/')) continue;
    const text = readFileSync(filePath, 'utf8');
    if (isSopsEncrypted(text, 'yaml')) continue;
    const rule = relativePath.startsWith('talos/') ? { mac_only_encrypted: true } : { encrypted_regex: '^(data|stringData)$', mac_only_encrypted: true };
    writeFileSync(filePath, await encryptSops(text, 'yaml', { rule, ageRecipients: [ws.recipient], indent: 2 }));
  }
}

async function states(ws: Workspace, stepResults: StepResults = {}): Promise<Map<string, WorkItemInfo>> {
  const renderer = new WorkspaceRenderer(ws.root, nodeFileReader, { env: {}, derivedData: 'static' });
  const shape = await readWorkspaceShape(ws.root, {
    reader: nodeFileReader,
    renderText: async (templatePath, text) => {
      const rendered = await renderer.preview(templatePath, text);
      return rendered.problem ? { error: rendered.problem.message } : { text: rendered.text ?? '' };
    },
    stepResults,
    isOnPath: () => false,
  });
  assert.equal(shape.isClusterTemplate, true);
  const items = await readWorkItems(CATALOG, shape.context);
  return new Map(items.map((item) => [item.id, item]));
}

function assertStates(actual: Map<string, WorkItemInfo>, expected: Record<string, ItemState>): void {
  const picked = Object.fromEntries(Object.keys(expected).map((id) => [id, actual.get(id)?.state]));
  const why = Object.keys(expected).map((id) => `${id}:\n  ${actual.get(id)?.reasons.join('\n  ')}`).join('\n');
  assert.deepEqual(picked, expected, why);
}

const passed = (at = '2026-01-06T12:00:00.000Z') => ({ status: 'pass' as const, reason: 'ok', details: [], at });
const TUPPR_CHECKS = ['talos-api', 'pods', 'crds', 'upgrades', 'nodes', 'versions'];

test('the example as shipped (seed repository on 2026-01-06)', async () => {
  const all = await states(example());
  assertStates(all, {
    'talos-backup': 'in-progress',
    tuppr: 'in-progress',
    volsync: 'todo',
    'jwt-security-policy': 'blocked',
    cnpg: 'todo',
    keycloak: 'todo',
    'oidc-sso': 'blocked',
    'oauth2-proxy': 'blocked',
    'grpc-routing': 'todo',
    'bjw-s-repository': 'todo',
    'cluster-secret-store': 'blocked',
    'otel-metrics-sink': 'todo',
    'tcp-tls-passthrough': 'todo',
    'merged-gateways': 'todo',
  });
  const backup = all.get('talos-backup')!;
  assert.deepEqual(backup.reasons, [
    '✓ the talos-backup templates exist',
    '✗ the backup_* variables are set in cluster.yaml: backup_s3_endpoint, backup_s3_bucket, backup_s3_access_key and 2 more unset',
    '✗ kube-system deploys talos-backup (talos_backup_enabled): ./talos-backup/ks.yaml is listed but its condition is false with the current values',
    '✗ the talos-backup manifests are rendered: kubernetes/apps/kube-system/talos-backup/ks.yaml, kubernetes/apps/kube-system/talos-backup/app/helmrelease.yaml not rendered',
    '✗ the rendered S3 credentials are encrypted: kubernetes/apps/kube-system/talos-backup/app/secret.sops.yaml not rendered',
  ]);
  assert.equal(all.get('jwt-security-policy')!.reasons[0], 'blocked: no OIDC provider: set oidc_issuer_url and oidc_jwks_uri, or set up Keycloak');
});

test('Talos Backup: configured but not rendered, then done; blocked without an S3 store or without the Talos API patch', async () => {
  const ws = example();
  const values: VariableAssignment[] = [
    { key: 'backup_s3_endpoint', value: 'http://rustfs-svc.storage.svc.cluster.local:9000' },
    { key: 'backup_s3_bucket', value: 'etcd-backups' },
    { key: 'backup_s3_access_key', value: 'FAKEKEY' },
    { key: 'backup_s3_secret_key', value: 'fake-secret' },
    { key: 'backup_age_public_key', value: ws.recipient },
  ];
  setValues(ws, values);
  const configured = await states(ws);
  assertStates(configured, { 'talos-backup': 'in-progress' });
  assert.ok(configured.get('talos-backup')!.reasons.includes('✓ kube-system deploys talos-backup (talos_backup_enabled)'));
  await renderAndEncrypt(ws);
  assertStates(await states(ws), { 'talos-backup': 'done' });

  const noStore = example();
  setValues(noStore, [{ key: 'rustfs_enabled', value: false }]);
  const blocked = await states(noStore);
  assertStates(blocked, { 'talos-backup': 'blocked', volsync: 'blocked' });
  assert.match(blocked.get('talos-backup')!.reasons[0], /^blocked: needs an S3 store/);

  const noPatch = example();
  rmSync(join(noPatch.root, 'templates/config/talos/patches/controller/machine-talos-api.yaml.j2'));
  const unpatched = await states(noPatch);
  assertStates(unpatched, { 'talos-backup': 'blocked', tuppr: 'blocked' });
  assert.ok(unpatched.get('tuppr')!.reasons[0].includes('os:admin'));
});

test('tuppr: done only when the six checks passed; a failed one keeps it in progress', async () => {
  const ws = example();
  const allPassed: StepResults = { tuppr: Object.fromEntries(TUPPR_CHECKS.map((id) => [id, passed()])) };
  assertStates(await states(ws, allPassed), { tuppr: 'done' });
  const oneFailed: StepResults = { tuppr: { ...allPassed.tuppr, nodes: { status: 'fail', reason: 'k8s-2 is NotReady', details: [], at: '2026-01-06T12:00:00.000Z' } } };
  const failing = await states(ws, oneFailed);
  assertStates(failing, { tuppr: 'in-progress' });
  assert.ok(failing.get('tuppr')!.reasons.includes('✗ the six checks passed in the cluster: nodes failed'));
  // The last results travel with the steps.
  assert.equal(failing.get('tuppr')!.steps.find((step) => step.id === 'nodes')!.lastResult?.reason, 'k8s-2 is NotReady');
});

test('VolSync: scaffolded, then configured, rendered and encrypted', async () => {
  const ws = example();
  await scaffold(ws, 'volsync');
  assertStates(await states(ws), { volsync: 'in-progress' });
  setValues(ws, [
    { key: 'volsync_enabled', value: true },
    { key: 'volsync_s3_endpoint', value: 'http://rustfs-svc.storage.svc.cluster.local:9000' },
    { key: 'volsync_s3_bucket', value: 'volsync-backups' },
    { key: 'volsync_s3_access_key', value: 'FAKEKEY' },
    { key: 'volsync_s3_secret_key', value: 'fake-secret' },
    { key: 'volsync_restic_password', value: 'fake-password' },
  ]);
  const configured = await states(ws);
  assertStates(configured, { volsync: 'in-progress' });
  assert.ok(configured.get('volsync')!.reasons.includes('✓ storage deploys volsync'), configured.get('volsync')!.reasons.join('\n'));
  await renderAndEncrypt(ws);
  assertStates(await states(ws), { volsync: 'done' });
});

test('JWT: an external provider unblocks it; rendered, it is done', async () => {
  const ws = example();
  setValues(ws, [
    { key: 'oidc_issuer_url', value: 'https://id.example.net/realms/home' },
    { key: 'oidc_jwks_uri', value: 'https://id.example.net/realms/home/protocol/openid-connect/certs' },
  ]);
  assertStates(await states(ws), { 'jwt-security-policy': 'in-progress', 'oidc-sso': 'todo' });
  await renderAndEncrypt(ws);
  assertStates(await states(ws), { 'jwt-security-policy': 'done' });
});

test('CloudNativePG and Keycloak: cnpg mode without CNPG is blocked; both set up are done and unblock JWT', async () => {
  const ws = example();
  await scaffold(ws, 'keycloak');
  setValues(ws, [
    { key: 'keycloak_enabled', value: true },
    { key: 'keycloak_realm', value: 'home' },
    { key: 'keycloak_admin_password', value: 'fake-admin-password' },
    { key: 'keycloak_db_password', value: 'fake-db-password' },
    { key: 'keycloak_db_mode', value: 'cnpg' },
  ]);
  const withoutCnpg = await states(ws);
  assertStates(withoutCnpg, { keycloak: 'blocked', cnpg: 'todo' });
  assert.match(withoutCnpg.get('keycloak')!.reasons[0], /^blocked: keycloak_db_mode is cnpg but CloudNativePG is not set up/);

  await scaffold(ws, 'cnpg');
  assertStates(await states(ws), { cnpg: 'in-progress', keycloak: 'blocked' });
  setValues(ws, [{ key: 'cnpg_enabled', value: true }]);
  await renderAndEncrypt(ws);
  const done = await states(ws);
  assertStates(done, { cnpg: 'done', keycloak: 'done' });
  assert.notEqual(done.get('jwt-security-policy')!.state, 'blocked');
});

test('gRPC routing: the scaffold adds the listener and a route; enabled and rendered, it is done', async () => {
  const ws = example();
  await scaffold(ws, 'grpc-route');
  assertStates(await states(ws), { 'grpc-routing': 'in-progress' });
  setValues(ws, [{ key: 'grpc_gateway_enabled', value: true }]);
  assertStates(await states(ws), { 'grpc-routing': 'done' });
});

test('a cluster.yaml that does not parse: every state unknown, with the reason', async () => {
  const ws = example();
  writeFileSync(join(ws.root, 'cluster.yaml'), 'node_cidr: "192.168.42.0/24"\n  bad: [indent\n');
  const all = await states(ws);
  for (const info of all.values()) assert.equal(info.state, 'unknown', info.id);
  assert.match(all.get('volsync')!.reasons[0], /^cluster\.yaml does not parse \(line \d+\)/);
  // No value of the file is repeated in a reason.
  for (const info of all.values()) for (const reason of info.reasons) assert.ok(!reason.includes('192.168'), reason);
});

test('a folder without makejinja.toml or templates is not a cluster-template repository', async () => {
  const empty = join(scratch, 'empty');
  mkdirSync(empty, { recursive: true });
  const shape = await readWorkspaceShape(empty, { reader: nodeFileReader, renderText: async () => ({ text: '' }), stepResults: {}, isOnPath: () => false });
  assert.equal(shape.isClusterTemplate, false);
  assert.ok(!existsSync(join(empty, 'cluster.yaml')));
});

/** Adds a file under the example's template folder. */
function addTemplate(ws: Workspace, relativePath: string, text: string): void {
  const file = join(ws.root, 'templates', 'config', relativePath);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
}

/** Edits a template of the example in place. */
function editTemplate(ws: Workspace, relativePath: string, edit: (text: string) => string): void {
  const file = join(ws.root, 'templates', 'config', relativePath);
  writeFileSync(file, edit(readFileSync(file, 'utf8')));
}

const ENVOY = 'kubernetes/apps/network/envoy-gateway/app/envoy.yaml.j2';

test('OAuth2-Proxy: blocked without a provider; scaffolded and configured with an external issuer, done', async () => {
  const ws = example();
  await scaffold(ws, 'oauth2-proxy');
  assertStates(await states(ws), { 'oauth2-proxy': 'blocked' });
  setValues(ws, [
    { key: 'oauth2_proxy_enabled', value: true },
    { key: 'oauth2_proxy_oidc_issuer', value: 'https://id.example.net/realms/home' },
    { key: 'oauth2_proxy_client_id', value: 'oauth2-proxy' },
    { key: 'oauth2_proxy_client_secret', value: 'fake-client-secret' },
    { key: 'oauth2_proxy_cookie_secret', value: 'fake-cookie-secret' },
  ]);
  assertStates(await states(ws), { 'oauth2-proxy': 'done' });
});

test('browser SSO: the templates, the gated entry, a labelled route and the values make it done', async () => {
  const ws = example();
  setValues(ws, [{ key: 'oidc_issuer_url', value: 'https://id.example.net/realms/home' }]);
  assertStates(await states(ws), { 'oidc-sso': 'todo' });
  addTemplate(ws, 'kubernetes/apps/network/envoy-gateway/app/securitypolicy-oidc.yaml.j2', '#% if oidc_sso_enabled %#\nkind: SecurityPolicy\n#% endif %#\n');
  addTemplate(ws, 'kubernetes/apps/network/envoy-gateway/app/secret-oidc.sops.yaml.j2', '#% if oidc_sso_enabled %#\nkind: Secret\n#% endif %#\n');
  assertStates(await states(ws), { 'oidc-sso': 'in-progress' });
  editTemplate(ws, 'kubernetes/apps/network/envoy-gateway/app/kustomization.yaml.j2', (text) => `${text}  #% if oidc_sso_enabled %#\n  - ./securitypolicy-oidc.yaml\n  #% endif %#\n`);
  addTemplate(ws, 'kubernetes/apps/default/echo/app/httproute.yaml.j2', 'kind: HTTPRoute\nmetadata:\n  labels:\n    security: oidc-protected\n');
  setValues(ws, [
    { key: 'oidc_sso_enabled', value: true },
    { key: 'oidc_client_id', value: 'envoy-gateway' },
    { key: 'oidc_client_secret', value: 'abcdef0123456789' },
  ]);
  assertStates(await states(ws), { 'oidc-sso': 'done' });
});

test('shared bjw-s repository: scaffolded is in progress until Flux applies the folder', async () => {
  const ws = example();
  await scaffold(ws, 'bjw-s-repository');
  assertStates(await states(ws), { 'bjw-s-repository': 'in-progress' });
  addTemplate(ws, 'kubernetes/flux/cluster/ks.yaml.j2', 'kind: Kustomization\nspec:\n  path: ./kubernetes/flux/cluster/repositories\n');
  assertStates(await states(ws), { 'bjw-s-repository': 'done' });
});

test('ClusterSecretStore: blocked until External Secrets is enabled; scaffolded, done', async () => {
  const ws = example();
  assertStates(await states(ws), { 'cluster-secret-store': 'blocked' });
  setValues(ws, [{ key: 'external_secrets_enabled', value: true }]);
  assertStates(await states(ws), { 'cluster-secret-store': 'in-progress' });
  await scaffold(ws, 'cluster-secret-store');
  assertStates(await states(ws), { 'cluster-secret-store': 'done' });
});

test('the evaluate-only future items read their one fact from the templates', async () => {
  const ws = example();
  editTemplate(ws, ENVOY, (text) => text.replace(/^spec:\n/m, 'spec:\n  mergeGateways: true\n  telemetry:\n    metrics:\n      sinks:\n        - type: OpenTelemetry\n'));
  addTemplate(ws, 'kubernetes/apps/default/mqtt/app/tcproute.yaml.j2', 'apiVersion: gateway.networking.k8s.io/v1alpha2\nkind: TCPRoute\n');
  assertStates(await states(ws), { 'otel-metrics-sink': 'done', 'tcp-tls-passthrough': 'done', 'merged-gateways': 'done' });
});
