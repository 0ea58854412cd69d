// The scaffold steps of the remaining-work catalog, applied to copies of small workspaces: each one
// renders without template errors into valid YAML holding exactly the expected objects; planning again
// changes nothing; existing files are never overwritten silently; edits keep the rest of the text byte
// for byte; a workspace on Jinja's default delimiters gets its own syntax; the reference Jinja2 agrees.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { jinjaSyntaxOf, readMakejinjaConfig } from '../../../server/src/engines/render/makejinjaConfig';
import { WorkspaceRenderer } from '../../../server/src/engines/render/workspaceRender';
import { addResourceEntry, admitResourceEntry, planScaffold, SCAFFOLD_IDS, templateWriter, type ScaffoldContext, type ScaffoldPlan } from '../../../server/src/engines/tasks/scaffolds';
import { memoryFileReader, nodeFileReader } from '../../../server/src/host/fileReader';
import { JINJA_DEFAULT_SYNTAX, MAKEJINJA_CLUSTER_TEMPLATE_SYNTAX } from '../../../server/src/services/jinja/syntax';
import { REFERENCE_PYTHON, referenceUnavailable } from '../../support/referencePython';

const REPO_ROOT = join(__dirname, '..', '..', '..', '..');
const FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'tasks');
const REFERENCE_SCRIPT = join(REPO_ROOT, 'test', 'support', 'makejinja_reference.py');
const APPS = 'templates/config/kubernetes/apps';

let scratch = '';
let copies = 0;

function copyFixture(name: string): string {
  const root = join(scratch, `${name}-${copies++}`);
  cpSync(join(FIXTURES, name), root, { recursive: true });
  return root;
}

function contextFor(root: string): ScaffoldContext {
  const { config } = readMakejinjaConfig(readFileSync(join(root, 'makejinja.toml'), 'utf8'));
  return { root, reader: nodeFileReader, syntax: jinjaSyntaxOf(config), templateDir: resolve(root, config.inputs[config.inputs.length - 1]) };
}

function apply(plan: ScaffoldPlan): void {
  for (const change of plan.changes) {
    mkdirSync(dirname(change.path), { recursive: true });
    writeFileSync(change.path, change.newText);
  }
}

async function scaffold(root: string, ...ids: string[]): Promise<ScaffoldPlan[]> {
  const plans: ScaffoldPlan[] = [];
  for (const id of ids) {
    const plan = await planScaffold(id, contextFor(root));
    apply(plan);
    plans.push(plan);
  }
  return plans;
}

function setVariable(root: string, key: string, yamlValue: string): void {
  const file = join(root, 'cluster.yaml');
  const text = readFileSync(file, 'utf8');
  const line = new RegExp(`^${key}:.*$`, 'm');
  writeFileSync(file, line.test(text) ? text.replace(line, `${key}: ${yamlValue}`) : `${text}${key}: ${yamlValue}\n`);
}

/** The rendered files by workspace-relative path; any template error fails the test. */
async function render(root: string): Promise<Map<string, string>> {
  const plan = await new WorkspaceRenderer(root, nodeFileReader, { env: {}, derivedData: 'static' }).plan();
  assert.deepEqual(plan.errors, []);
  return new Map(plan.files.map((file) => [file.relativePath, typeof file.content === 'string' ? file.content : Buffer.from(file.content).toString('utf8')]));
}

interface RenderedObject {
  file: string;
  /** `<file>: <apiVersion> <kind> <name or ->` */
  label: string;
  value: unknown;
}

function at(value: unknown, ...keys: (string | number)[]): unknown {
  let current = value;
  for (const key of keys) current = current !== null && typeof current === 'object' ? (current as Record<string | number, unknown>)[key] : undefined;
  return current;
}

/** Every object of every rendered .yaml file; a YAML error fails the test. */
function objectsOf(files: Map<string, string>): RenderedObject[] {
  const out: RenderedObject[] = [];
  for (const [file, text] of files) {
    if (!file.endsWith('.yaml')) continue;
    for (const document of parseAllDocuments(text)) {
      assert.deepEqual(
        document.errors.map((error) => error.message),
        [],
        `${file} is not valid YAML`,
      );
      const value: unknown = document.toJS();
      if (value === null || value === undefined) continue;
      out.push({ file, label: `${file}: ${String(at(value, 'apiVersion'))} ${String(at(value, 'kind'))} ${String(at(value, 'metadata', 'name') ?? '-')}`, value });
    }
  }
  return out;
}

function objectIn(objects: RenderedObject[], file: string, kind?: string): unknown {
  const found = objects.filter((object) => object.file === file && (kind === undefined || at(object.value, 'kind') === kind));
  assert.equal(found.length, 1, `expected one ${kind ?? 'object'} in ${file}, found ${found.length}`);
  return found[0].value;
}

const KUSTOMIZE = 'kustomize.config.k8s.io/v1beta1 Kustomization -';
const FLUX_KS = 'kustomize.toolkit.fluxcd.io/v1 Kustomization';

/** What each scaffold adds to the rendered base workspace (its cluster.yaml turns everything on). */
const EXPECTED_NEW_OBJECTS: Record<string, string[]> = {
  volsync: [
    `kubernetes/apps/storage/kustomization.yaml: ${KUSTOMIZE}`,
    'kubernetes/apps/storage/namespace.yaml: v1 Namespace storage',
    'kubernetes/apps/storage/volsync/app/helmrelease.yaml: helm.toolkit.fluxcd.io/v2 HelmRelease volsync',
    `kubernetes/apps/storage/volsync/app/kustomization.yaml: ${KUSTOMIZE}`,
    'kubernetes/apps/storage/volsync/app/ocirepository.yaml: source.toolkit.fluxcd.io/v1 OCIRepository volsync',
    'kubernetes/apps/storage/volsync/app/secret.sops.yaml: v1 Secret volsync-restic-config',
    `kubernetes/apps/storage/volsync/ks.yaml: ${FLUX_KS} volsync`,
  ],
  cnpg: [
    'kubernetes/apps/cnpg-system/cloudnative-pg/app/helmrelease.yaml: helm.toolkit.fluxcd.io/v2 HelmRelease cloudnative-pg',
    'kubernetes/apps/cnpg-system/cloudnative-pg/app/helmrepository.yaml: source.toolkit.fluxcd.io/v1 HelmRepository cloudnative-pg',
    `kubernetes/apps/cnpg-system/cloudnative-pg/app/kustomization.yaml: ${KUSTOMIZE}`,
    `kubernetes/apps/cnpg-system/cloudnative-pg/ks.yaml: ${FLUX_KS} cloudnative-pg`,
    `kubernetes/apps/cnpg-system/kustomization.yaml: ${KUSTOMIZE}`,
    'kubernetes/apps/cnpg-system/namespace.yaml: v1 Namespace cnpg-system',
  ],
  keycloak: [
    'kubernetes/apps/identity/keycloak/app/httproute.yaml: gateway.networking.k8s.io/v1 HTTPRoute keycloak',
    'kubernetes/apps/identity/keycloak/app/keycloak-cr.yaml: k8s.keycloak.org/v2alpha1 Keycloak keycloak',
    `kubernetes/apps/identity/keycloak/app/kustomization.yaml: ${KUSTOMIZE}`,
    'kubernetes/apps/identity/keycloak/app/postgres-embedded.yaml: apps/v1 StatefulSet keycloak-postgres',
    'kubernetes/apps/identity/keycloak/app/postgres-embedded.yaml: v1 Service keycloak-postgres',
    'kubernetes/apps/identity/keycloak/app/secret.sops.yaml: v1 Secret keycloak-admin-credentials',
    'kubernetes/apps/identity/keycloak/app/secret.sops.yaml: v1 Secret keycloak-db-secret',
    `kubernetes/apps/identity/keycloak/config/kustomization.yaml: ${KUSTOMIZE}`,
    `kubernetes/apps/identity/keycloak/ks.yaml: ${FLUX_KS} keycloak`,
    `kubernetes/apps/identity/keycloak/ks.yaml: ${FLUX_KS} keycloak-config`,
    `kubernetes/apps/identity/keycloak/ks.yaml: ${FLUX_KS} keycloak-operator`,
    'kubernetes/apps/identity/keycloak/operator/keycloak-operator.yaml: apps/v1 Deployment keycloak-operator',
    'kubernetes/apps/identity/keycloak/operator/keycloak-operator.yaml: rbac.authorization.k8s.io/v1 ClusterRole keycloak-operator',
    'kubernetes/apps/identity/keycloak/operator/keycloak-operator.yaml: rbac.authorization.k8s.io/v1 ClusterRoleBinding keycloak-operator',
    'kubernetes/apps/identity/keycloak/operator/keycloak-operator.yaml: v1 ServiceAccount keycloak-operator',
    `kubernetes/apps/identity/keycloak/operator/kustomization.yaml: ${KUSTOMIZE}`,
    `kubernetes/apps/identity/kustomization.yaml: ${KUSTOMIZE}`,
    'kubernetes/apps/identity/namespace.yaml: v1 Namespace identity',
  ],
  'grpc-route': ['kubernetes/apps/network/envoy-gateway/app/grpcroute.yaml: gateway.networking.k8s.io/v1 GRPCRoute grpc-example'],
  'oauth2-proxy': [
    'kubernetes/apps/network/oauth2-proxy/app/helmrelease.yaml: helm.toolkit.fluxcd.io/v2 HelmRelease oauth2-proxy',
    `kubernetes/apps/network/oauth2-proxy/app/kustomization.yaml: ${KUSTOMIZE}`,
    'kubernetes/apps/network/oauth2-proxy/app/ocirepository.yaml: source.toolkit.fluxcd.io/v1 OCIRepository oauth2-proxy',
    'kubernetes/apps/network/oauth2-proxy/app/secret.sops.yaml: v1 Secret oauth2-proxy-secrets',
    'kubernetes/apps/network/oauth2-proxy/app/securitypolicy-extauth.yaml: gateway.envoyproxy.io/v1alpha1 SecurityPolicy oauth2-proxy-extauth',
    `kubernetes/apps/network/oauth2-proxy/ks.yaml: ${FLUX_KS} oauth2-proxy`,
  ],
  'bjw-s-repository': [
    'kubernetes/flux/cluster/repositories/bjw-s.yaml: source.toolkit.fluxcd.io/v1 OCIRepository bjw-s-app-template',
    `kubernetes/flux/cluster/repositories/kustomization.yaml: ${KUSTOMIZE}`,
  ],
  'cluster-secret-store': [
    'kubernetes/apps/external-secrets/cluster-secret-store/app/clustersecretstore-onepassword.yaml: external-secrets.io/v1 ClusterSecretStore onepassword',
    `kubernetes/apps/external-secrets/cluster-secret-store/app/kustomization.yaml: ${KUSTOMIZE}`,
    'kubernetes/apps/external-secrets/cluster-secret-store/app/secret.sops.yaml: v1 Secret onepassword-connect-token',
    `kubernetes/apps/external-secrets/cluster-secret-store/ks.yaml: ${FLUX_KS} cluster-secret-store`,
  ],
};

describe('scaffolds', () => {
  let baseLabels = new Set<string>();

  before(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'ctt-scaffolds-'));
    baseLabels = new Set(objectsOf(await render(copyFixture('scaffold-base'))).map((object) => object.label));
  });
  after(() => rmSync(scratch, { recursive: true, force: true }));

  it('has a table entry for every scaffold id', () => {
    assert.deepEqual(Object.keys(EXPECTED_NEW_OBJECTS).sort(), [...SCAFFOLD_IDS].sort());
  });

  for (const id of SCAFFOLD_IDS) {
    it(`${id}: renders exactly the expected objects, and planning again changes nothing`, async () => {
      const root = copyFixture('scaffold-base');
      const [plan] = await scaffold(root, id);
      assert.ok(plan.changes.length > 0);
      assert.ok(plan.changes.every((change) => !change.conflictsWithExisting && change.path.startsWith(join(root, 'templates', 'config'))));
      const added = objectsOf(await render(root))
        .map((object) => object.label)
        .filter((label) => !baseLabels.has(label))
        .sort();
      assert.deepEqual(added, [...EXPECTED_NEW_OBJECTS[id]].sort());

      const again = await planScaffold(id, contextFor(root));
      assert.deepEqual(again.changes, []);
      assert.deepEqual([...again.upToDate].sort(), plan.changes.map((change) => change.path).concat(plan.upToDate).sort());
    });
  }

  it('volsync: the secret, the chart values and the edited kustomizations and setup job', async () => {
    const root = copyFixture('scaffold-base');
    await scaffold(root, 'volsync');
    const objects = objectsOf(await render(root));
    assert.deepEqual(at(objectIn(objects, 'kubernetes/apps/storage/volsync/app/secret.sops.yaml'), 'stringData'), {
      RESTIC_REPOSITORY: 's3:https://fake-account.r2.cloudflarestorage.com/volsync-backups',
      RESTIC_PASSWORD: 'fake-restic-password',
      AWS_ACCESS_KEY_ID: 'fake-volsync-access-key',
      AWS_SECRET_ACCESS_KEY: 'fake-volsync-secret-key',
    });
    assert.deepEqual(at(objectIn(objects, 'kubernetes/apps/storage/volsync/app/ocirepository.yaml'), 'spec', 'ref'), { tag: '0.14.0' });
    assert.deepEqual(at(objectIn(objects, 'kubernetes/apps/storage/volsync/app/helmrelease.yaml'), 'spec', 'values'), {
      manageCRDs: true,
      metrics: { enabled: true },
      serviceMonitor: { enabled: false },
      resources: { requests: { cpu: '10m', memory: '64Mi' }, limits: { memory: '256Mi' } },
    });
    assert.equal(at(objectIn(objects, 'kubernetes/apps/storage/volsync/ks.yaml'), 'spec', 'path'), './kubernetes/apps/storage/volsync/app');
    // rustfs_enabled is false: the widened gates admit storage, and RustFS stays out.
    assert.deepEqual(at(objectIn(objects, 'kubernetes/apps/kustomization.yaml'), 'resources'), ['./external-secrets', './network', './storage']);
    assert.deepEqual(at(objectIn(objects, 'kubernetes/apps/storage/kustomization.yaml'), 'resources'), ['./namespace.yaml', './volsync/ks.yaml']);
    assert.equal(
      at(objectIn(objects, 'kubernetes/apps/storage/rustfs/setup/job-setup.yaml'), 'spec', 'template', 'spec', 'containers', 0, 'args', 0),
      'set -eu\nmc alias set rustfs http://rustfs-svc.storage.svc.cluster.local:9000 "$RUSTFS_ACCESS_KEY" "$RUSTFS_SECRET_KEY"\nmc mb --ignore-existing rustfs/volsync-backups\necho "buckets ready"\n',
    );
  });

  it('volsync: with rustfs_enabled on as well, storage keeps RustFS and adds VolSync', async () => {
    const root = copyFixture('scaffold-base');
    setVariable(root, 'rustfs_enabled', 'true');
    await scaffold(root, 'volsync');
    const objects = objectsOf(await render(root));
    assert.deepEqual(at(objectIn(objects, 'kubernetes/apps/storage/kustomization.yaml'), 'resources'), ['./namespace.yaml', './rustfs/ks.yaml', './volsync/ks.yaml']);
  });

  it('volsync: edits insert lines and keep every other byte', async () => {
    const root = copyFixture('scaffold-base');
    const originals = new Map(['kustomization.yaml.j2', 'storage/kustomization.yaml.j2', 'storage/rustfs/setup/job-setup.yaml.j2'].map((file) => [file, readFileSync(join(root, APPS, file), 'utf8')]));
    await scaffold(root, 'volsync', 'cnpg', 'keycloak');
    const read = (file: string): string => readFileSync(join(root, APPS, file), 'utf8');
    assert.equal(
      read('kustomization.yaml.j2'),
      `---
#| The namespaces Flux applies. #|
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  #% if cnpg_enabled | default(false) %#
  - ./cnpg-system
  #% endif %#
  #% if external_secrets_enabled | default(false) %#
  - ./external-secrets
  #% endif %#
  #% if keycloak_enabled | default(false) %#
  - ./identity
  #% endif %#
  - ./network
  #% if rustfs_enabled or volsync_enabled | default(false) %#
  - ./storage
  #% endif %#
`,
    );
    assert.equal(
      read('storage/kustomization.yaml.j2'),
      `#% if rustfs_enabled or volsync_enabled | default(false) %#
---
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: storage
components:
  - ../../components/sops
resources:
  - ./namespace.yaml
  #% if rustfs_enabled %#
  - ./rustfs/ks.yaml
  #% endif %#
  #% if volsync_enabled | default(false) %#
  - ./volsync/ks.yaml
  #% endif %#
#% endif %#
`,
    );
    const job = originals.get('storage/rustfs/setup/job-setup.yaml.j2')!;
    const insertAt = job.indexOf('              echo "buckets ready"');
    const added = `              #% if volsync_enabled | default(false) %#
              mc mb --ignore-existing rustfs/#{ volsync_s3_bucket | default('volsync-backups') }#
              #% endif %#
`;
    assert.equal(read('storage/rustfs/setup/job-setup.yaml.j2'), job.slice(0, insertAt) + added + job.slice(insertAt));
  });

  it('volsync: switched off, nothing of VolSync renders (app macros included)', async () => {
    const root = copyFixture('scaffold-base');
    await scaffold(root, 'volsync');
    writeAppUsingBackupMacros(root);
    setVariable(root, 'volsync_enabled', 'false');
    const files = await render(root);
    assert.deepEqual(
      [...files.keys()].filter((file) => /volsync|storage\/(kustomization|namespace)|demo/.test(file)),
      [],
    );
    assert.deepEqual(
      [...files].filter(([, text]) => /volsync/i.test(text)).map(([file]) => file),
      [],
    );
    assert.deepEqual(at(objectIn(objectsOf(files), 'kubernetes/apps/kustomization.yaml'), 'resources'), ['./external-secrets', './network']);
  });

  it('volsync: the backup macros give an app its Secret and ReplicationSource', async () => {
    const root = copyFixture('scaffold-base');
    await scaffold(root, 'volsync');
    writeAppUsingBackupMacros(root);
    setVariable(root, 'volsync_retain_daily', '14');
    const files = await render(root);
    const objects = objectsOf(files);
    assert.deepEqual(objectIn(objects, 'kubernetes/apps/demo/app/volsync.sops.yaml'), {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'grafana-restic-config', namespace: 'monitoring' },
      stringData: {
        RESTIC_REPOSITORY: 's3:https://fake-account.r2.cloudflarestorage.com/volsync-backups/monitoring/grafana',
        RESTIC_PASSWORD: 'fake-restic-password',
        AWS_ACCESS_KEY_ID: 'fake-volsync-access-key',
        AWS_SECRET_ACCESS_KEY: 'fake-volsync-secret-key',
      },
    });
    assert.equal(
      files.get('kubernetes/apps/demo/app/replicationsource.yaml'),
      `---
apiVersion: volsync.backube/v1alpha1
kind: ReplicationSource
metadata:
  name: grafana-backup
  namespace: monitoring
spec:
  sourcePVC: grafana-data
  trigger:
    schedule: "0 */6 * * *"
  restic:
    repository: grafana-restic-config
    copyMethod: Clone
    pruneIntervalDays: 7
    storageClassName: fast
    capacity: 5Gi
    retain:
      daily: 14
      weekly: 4
      monthly: 3
`,
    );
    assert.ok(![...files.keys()].some((file) => file.includes('backup.macros')), 'the macro file renders to nothing');
  });

  it('keycloak: cnpg mode renders a CloudNativePG Cluster instead of the StatefulSet', async () => {
    const root = copyFixture('scaffold-base');
    setVariable(root, 'keycloak_db_mode', '"cnpg"');
    await scaffold(root, 'keycloak');
    const objects = objectsOf(await render(root));
    const appObjects = objects.filter((object) => object.file.startsWith('kubernetes/apps/identity/keycloak/app/')).map((object) => object.label);
    assert.ok(appObjects.includes('kubernetes/apps/identity/keycloak/app/postgres-cnpg.yaml: postgresql.cnpg.io/v1 Cluster keycloak-postgres'), appObjects.join('\n'));
    assert.ok(!appObjects.some((label) => label.includes('postgres-embedded')), appObjects.join('\n'));
    assert.deepEqual(at(objectIn(objects, 'kubernetes/apps/identity/keycloak/app/kustomization.yaml'), 'resources'), [
      './secret.sops.yaml',
      './postgres-cnpg.yaml',
      './keycloak-cr.yaml',
      './httproute.yaml',
    ]);
    const keycloak = objects.find((object) => object.label === `kubernetes/apps/identity/keycloak/ks.yaml: ${FLUX_KS} keycloak`)!;
    assert.deepEqual(at(keycloak.value, 'spec', 'dependsOn'), [
      { name: 'keycloak-operator' },
      { name: 'cert-manager', namespace: 'cert-manager' },
      { name: 'cloudnative-pg', namespace: 'cnpg-system' },
    ]);
    const cr = objectIn(objects, 'kubernetes/apps/identity/keycloak/app/keycloak-cr.yaml');
    assert.equal(at(cr, 'spec', 'db', 'host'), 'keycloak-postgres-rw');
    assert.equal(at(cr, 'spec', 'hostname', 'hostname'), 'https://sso.example.test');
  });

  it('grpc-route: the listener joins envoy-internal only, and the route matches it', async () => {
    const root = copyFixture('scaffold-base');
    const envoyPath = join(root, APPS, 'network/envoy-gateway/app/envoy.yaml.j2');
    const original = readFileSync(envoyPath, 'utf8');
    await scaffold(root, 'grpc-route');
    const at0 = original.indexOf('---\napiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata:\n  name: envoy-external');
    const listener = `    #% if grpc_gateway_enabled | default(false) %#
    - name: grpc
      protocol: HTTPS
      port: 443
      hostname: "#{ grpc_hostname | default('grpc.' ~ cloudflare_domain) }#"
      allowedRoutes:
        namespaces:
          from: All
        kinds:
          - group: gateway.networking.k8s.io
            kind: GRPCRoute
      tls:
        certificateRefs:
          - kind: Secret
            name: \${SECRET_DOMAIN/./-}-production-tls
    #% endif %#
`;
    assert.equal(readFileSync(envoyPath, 'utf8'), original.slice(0, at0) + listener + original.slice(at0));

    const objects = objectsOf(await render(root));
    const gateways = objects.filter((object) => object.file === 'kubernetes/apps/network/envoy-gateway/app/envoy.yaml');
    assert.deepEqual(
      gateways.map((gateway) => [at(gateway.value, 'metadata', 'name'), (at(gateway.value, 'spec', 'listeners') as unknown[]).map((item) => at(item, 'name'))]),
      [
        ['envoy-internal', ['http', 'https', 'grpc']],
        ['envoy-external', ['https']],
      ],
    );
    const route = objectIn(objects, 'kubernetes/apps/network/envoy-gateway/app/grpcroute.yaml');
    assert.deepEqual(at(route, 'spec', 'parentRefs'), [{ name: 'envoy-internal', namespace: 'network', sectionName: 'grpc' }]);
    assert.deepEqual(at(route, 'spec', 'hostnames'), ['grpc.example.test']);
    assert.deepEqual(
      (at(route, 'spec', 'rules') as unknown[]).map((rule) => at(rule, 'matches', 0, 'method', 'service')),
      ['grpc.reflection.v1alpha.ServerReflection', 'grpc.health.v1.Health', 'example.v1.ExampleService'],
    );
    assert.deepEqual(at(objectIn(objects, 'kubernetes/apps/network/envoy-gateway/app/kustomization.yaml'), 'resources'), ['./envoy.yaml', './grpcroute.yaml']);
  });

  it('oauth2-proxy: client headers go to the auth service, its answer headers to the app', async () => {
    const root = copyFixture('scaffold-base');
    await scaffold(root, 'oauth2-proxy');
    const objects = objectsOf(await render(root));
    const extAuth = at(objectIn(objects, 'kubernetes/apps/network/oauth2-proxy/app/securitypolicy-extauth.yaml'), 'spec', 'extAuth');
    assert.deepEqual(at(extAuth, 'headersToExtAuth'), ['cookie', 'x-forwarded-host', 'x-forwarded-proto', 'x-forwarded-uri']);
    assert.deepEqual(at(extAuth, 'http'), {
      backendRefs: [{ name: 'oauth2-proxy', namespace: 'network', port: 4180 }],
      path: '/oauth2/auth',
      headersToBackend: ['X-Auth-Request-User', 'X-Auth-Request-Email', 'X-Auth-Request-Groups', 'X-Auth-Request-Preferred-Username', 'Authorization'],
    });
    assert.deepEqual(Object.keys(at(objectIn(objects, 'kubernetes/apps/network/oauth2-proxy/app/secret.sops.yaml'), 'stringData') as object), ['client-id', 'client-secret', 'cookie-secret']);
    const configFile = String(at(objectIn(objects, 'kubernetes/apps/network/oauth2-proxy/app/helmrelease.yaml'), 'spec', 'values', 'config', 'configFile'));
    assert.match(configFile, /^allowed_groups = \["admins"\]$/m);
    assert.match(configFile, /^oidc_issuer_url = "https:\/\/sso\.example\.test\/realms\/home"$/m);
    assert.deepEqual(at(objectIn(objects, 'kubernetes/apps/network/kustomization.yaml'), 'resources'), ['./namespace.yaml', './envoy-gateway/ks.yaml', './oauth2-proxy/ks.yaml']);
  });

  it('bjw-s-repository: says the folder is not wired into Flux yet', async () => {
    const root = copyFixture('scaffold-base');
    const [plan] = await scaffold(root, 'bjw-s-repository');
    assert.equal(plan.notes.filter((note) => /Flux does not apply kubernetes\/flux\/cluster\/repositories/.test(note)).length, 1);
    const objects = objectsOf(await render(root));
    assert.deepEqual(at(objectIn(objects, 'kubernetes/flux/cluster/repositories/bjw-s.yaml'), 'spec', 'url'), 'oci://ghcr.io/bjw-s-labs/helm-charts/app-template');
    assert.deepEqual(at(objectIn(objects, 'kubernetes/flux/cluster/repositories/bjw-s.yaml'), 'spec', 'ref'), { tag: '3.7.3' });
  });

  for (const [provider, variables, expected] of [
    ['vault', { vault_server: '"https://vault.example.test"', vault_token: '"fake-vault-token"' }, ['vault', 'vault-token']],
    ['bitwarden', { bitwarden_access_token: '"fake-bitwarden-token"', bitwarden_organization_id: '"fake-org"', bitwarden_project_id: '"fake-project"' }, ['bitwarden', 'bitwarden-access-token']],
  ] as const) {
    it(`cluster-secret-store: provider ${provider} gets its own store and token secret`, async () => {
      const root = copyFixture('scaffold-base');
      setVariable(root, 'external_secrets_provider', `"${provider}"`);
      for (const [key, value] of Object.entries(variables)) setVariable(root, key, value);
      await scaffold(root, 'cluster-secret-store');
      const objects = objectsOf(await render(root)).filter((object) => object.file.includes('cluster-secret-store/app/'));
      assert.deepEqual(
        objects.map((object) => object.label).sort(),
        [
          `kubernetes/apps/external-secrets/cluster-secret-store/app/clustersecretstore-${expected[0]}.yaml: external-secrets.io/v1 ClusterSecretStore ${expected[0]}`,
          `kubernetes/apps/external-secrets/cluster-secret-store/app/kustomization.yaml: ${KUSTOMIZE}`,
          `kubernetes/apps/external-secrets/cluster-secret-store/app/secret.sops.yaml: v1 Secret ${expected[1]}`,
        ].sort(),
      );
    });
  }

  it('cluster-secret-store: waits for the operator, listed without a second gate inside the gated file', async () => {
    const root = copyFixture('scaffold-base');
    await scaffold(root, 'cluster-secret-store');
    const objects = objectsOf(await render(root));
    assert.deepEqual(at(objectIn(objects, 'kubernetes/apps/external-secrets/cluster-secret-store/ks.yaml'), 'spec', 'dependsOn'), [{ name: 'external-secrets' }]);
    const kustomization = readFileSync(join(root, APPS, 'external-secrets/kustomization.yaml.j2'), 'utf8');
    assert.match(kustomization, /  - \.\/external-secrets\/ks\.yaml\n  - \.\/cluster-secret-store\/ks\.yaml\n#% endif %#\n$/);
  });

  it('never overwrites silently: another file at a create path is a conflict; an equal one is up to date', async () => {
    const root = copyFixture('scaffold-base');
    const ks = join(root, APPS, 'storage/volsync/ks.yaml.j2');
    mkdirSync(dirname(ks), { recursive: true });
    writeFileSync(ks, '---\n# my own volsync\n');
    const first = await planScaffold('volsync', contextFor(root));
    assert.equal(readFileSync(ks, 'utf8'), '---\n# my own volsync\n', 'planning writes nothing');
    assert.deepEqual(
      first.changes.filter((change) => change.conflictsWithExisting).map((change) => [change.path, change.kind]),
      [[ks, 'create']],
    );
    const wanted = first.changes.find((change) => change.path === ks)!.newText;
    writeFileSync(ks, wanted);
    const second = await planScaffold('volsync', contextFor(root));
    assert.ok(second.upToDate.includes(ks));
    assert.ok(!second.changes.some((change) => change.path === ks || change.conflictsWithExisting));
  });

  it("a workspace on Jinja's default delimiters gets {% %} and {{ }}; storage is created and listed", async () => {
    const root = copyFixture('scaffold-curly');
    const before = objectsOf(await render(root)).map((object) => object.label);
    const [plan] = await scaffold(root, 'volsync');
    for (const change of plan.changes) {
      assert.doesNotMatch(change.newText, /#%|%#|#\{|\}#|#\|/, change.path);
    }
    const created = plan.changes.find((change) => change.path.endsWith('storage/volsync/app/secret.sops.yaml.j2'))!;
    assert.match(created.newText, /^\{% if volsync_enabled \| default\(false\) %\}\n---\n/);
    assert.match(created.newText, /RESTIC_PASSWORD: "\{\{ volsync_restic_password \}\}"/);
    assert.deepEqual(
      plan.changes.map((change) => [relative(root, change.path), change.kind]).filter(([, kind]) => kind === 'edit'),
      [['templates/config/kubernetes/apps/kustomization.yaml.j2', 'edit']],
    );
    assert.ok(plan.notes.some((note) => note.includes('job-setup.yaml.j2 does not exist')));

    const objects = objectsOf(await render(root));
    const added = objects.map((object) => object.label).filter((label) => !before.includes(label)).sort();
    assert.deepEqual(added, [...EXPECTED_NEW_OBJECTS.volsync].sort());
    assert.deepEqual(at(objectIn(objects, 'kubernetes/apps/kustomization.yaml'), 'resources'), ['./network', './storage']);
    assert.equal(at(objectIn(objects, 'kubernetes/apps/storage/volsync/app/secret.sops.yaml'), 'stringData', 'RESTIC_REPOSITORY'), 's3:http://minio.example.test:9000/restic');
    assert.deepEqual((await planScaffold('volsync', contextFor(root))).changes, []);
  });

  it('matches the reference Jinja2 byte for byte with every scaffold applied', async (t) => {
    const probe = spawnSync(REFERENCE_PYTHON, ['-c', 'import jinja2, yaml, tomllib'], { encoding: 'utf8' });
    if (probe.error || probe.status !== 0) {
      t.skip(referenceUnavailable(`the reference needs Python 3.11+ with jinja2 and yaml: ${probe.error?.message ?? probe.stderr.trim()}`));
      return;
    }
    for (const [fixture, ids] of [
      ['scaffold-base', SCAFFOLD_IDS],
      ['scaffold-curly', ['volsync']],
    ] as const) {
      const root = copyFixture(fixture);
      await scaffold(root, ...ids);
      if (fixture === 'scaffold-base') writeAppUsingBackupMacros(root);
      const ours = await render(root);
      const out = `${root}-reference`;
      const reference = spawnSync(REFERENCE_PYTHON, [REFERENCE_SCRIPT, root, '--out', out], { encoding: 'utf8', env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1', PYTHONUTF8: '1' } });
      assert.equal(reference.status, 0, reference.stderr);
      const theirs = readTextTree(out);
      assert.deepEqual([...ours.keys()].sort(), [...theirs.keys()].sort(), fixture);
      for (const [file, text] of theirs) assert.ok(ours.get(file) === text, `${fixture}: ${file} differs from the reference`);
    }
  });

  it('rejects an unknown scaffold id', async () => {
    await assert.rejects(planScaffold('nope', contextFor(copyFixture('scaffold-base'))), /unknown scaffold "nope"/);
  });
});

describe('scaffold text edits', () => {
  const writer = templateWriter(MAKEJINJA_CLUSTER_TEMPLATE_SYNTAX);

  it('writes tags in the given delimiters', () => {
    const curly = templateWriter(JINJA_DEFAULT_SYNTAX);
    assert.deepEqual(
      [writer.block('if x'), writer.block('endif', { trimLeft: true }), writer.value('y'), writer.comment('z'), writer.gated('g', 'body\n')],
      ['#% if x %#', '#%- endif %#', '#{ y }#', '#| z #|', '#% if g %#\nbody\n#% endif %#\n'],
    );
    assert.deepEqual([curly.block('if x'), curly.value('y'), curly.comment('z')], ['{% if x %}', '{{ y }}', '{# z #}']);
  });

  it('keeps CRLF line breaks and adds the missing final one', () => {
    const outcome = addResourceEntry('resources:\r\n  - ./a\r\n  - ./c', MAKEJINJA_CLUSTER_TEMPLATE_SYNTAX, writer, './d', 'd_enabled');
    assert.deepEqual(outcome, {
      text: 'resources:\r\n  - ./a\r\n  - ./c\r\n  #% if d_enabled %#\r\n  - ./d\r\n  #% endif %#\r\n',
      description: 'listed ./d under d_enabled',
    });
  });

  it('inserts at the sorted place before the gate of the next entry, or at the end of an unsorted list', () => {
    const sorted = 'resources:\n  - ./a\n  #% if c %#\n  - ./c\n  #% endif %#\nother: 1\n';
    assert.equal(
      (addResourceEntry(sorted, MAKEJINJA_CLUSTER_TEMPLATE_SYNTAX, writer, './b', undefined) as { text: string }).text,
      'resources:\n  - ./a\n  - ./b\n  #% if c %#\n  - ./c\n  #% endif %#\nother: 1\n',
    );
    assert.equal(
      (addResourceEntry('resources:\n  - ./z\n  - ./a\n', MAKEJINJA_CLUSTER_TEMPLATE_SYNTAX, writer, './b', undefined) as { text: string }).text,
      'resources:\n  - ./z\n  - ./a\n  - ./b\n',
    );
    assert.equal(addResourceEntry('resources:\n  - "a/"\n', MAKEJINJA_CLUSTER_TEMPLATE_SYNTAX, writer, './a', 'x'), undefined);
    assert.deepEqual(addResourceEntry('resources: []\n', MAKEJINJA_CLUSTER_TEMPLATE_SYNTAX, writer, './a', undefined), {
      note: 'no block-style resources: list found; add ./a by hand',
    });
  });

  it('widens a gate once, parenthesising an inline if, and leaves ungated entries alone', () => {
    const text = "resources:\n  #% if 'x' if a else b %#\n  - ./storage\n  #% endif %#\n";
    const widened = admitResourceEntry(text, MAKEJINJA_CLUSTER_TEMPLATE_SYNTAX, writer, './storage', 'v', 'v | default(false)') as { text: string };
    assert.equal(widened.text, "resources:\n  #% if ('x' if a else b) or v | default(false) %#\n  - ./storage\n  #% endif %#\n");
    assert.equal(admitResourceEntry(widened.text, MAKEJINJA_CLUSTER_TEMPLATE_SYNTAX, writer, './storage', 'v', 'v | default(false)'), undefined);
    assert.equal(admitResourceEntry('resources:\n  - ./storage\n', MAKEJINJA_CLUSTER_TEMPLATE_SYNTAX, writer, './storage', 'v', 'v'), undefined);
    assert.deepEqual(
      admitResourceEntry('resources:\n  #% if a %#\n  - ./x\n  #% else %#\n  - ./storage\n  #% endif %#\n', MAKEJINJA_CLUSTER_TEMPLATE_SYNTAX, writer, './storage', 'v', 'v'),
      { note: 'the if block around it cannot be widened automatically; make sure it is on when v is' },
    );
  });

  it('notes what it cannot do in a workspace missing the files it edits', async () => {
    const reader = memoryFileReader({ '/ws/templates/config/kubernetes/apps/network/envoy-gateway/app/kustomization.yaml.j2': 'resources:\n  - ./envoy.yaml\n' });
    const ctx: ScaffoldContext = { root: '/ws', reader, syntax: MAKEJINJA_CLUSTER_TEMPLATE_SYNTAX, templateDir: '/ws/templates/config' };
    const grpc = await planScaffold('grpc-route', ctx);
    assert.deepEqual(
      grpc.changes.map((change) => [change.kind, change.path]),
      [
        ['create', '/ws/templates/config/kubernetes/apps/network/envoy-gateway/app/grpcroute.yaml.j2'],
        ['edit', '/ws/templates/config/kubernetes/apps/network/envoy-gateway/app/kustomization.yaml.j2'],
      ],
    );
    assert.ok(grpc.notes.some((note) => note.startsWith('kubernetes/apps/network/envoy-gateway/app/envoy.yaml.j2 does not exist')), grpc.notes.join('\n'));
    const cnpg = await planScaffold('cnpg', ctx);
    assert.deepEqual(cnpg.notes, [
      'kubernetes/apps/kustomization.yaml.j2 does not exist: list ./cnpg-system in the kustomization that should deploy it (under cnpg_enabled | default(false)).',
      'No .taskfiles/template/resources/cluster.schema.cue here: declare cnpg_enabled, cnpg_postgres_image, cnpg_storage_class, cnpg_priority_class, cnpg_control_plane_only, cnpg_backup_enabled, cnpg_s3_access_key, cnpg_s3_secret_key in your schema (then `task template:schema`) or `cue vet` rejects them.',
    ]);
  });

  it('declares the item\'s keys in the workspace\'s CUE schema, once', async () => {
    const cue = 'package config\n\n#Config: {\n\tnode_cidr: string\n\tvolsync_enabled?: *false | bool\n}\n\n#Config\n';
    const files = { '/ws/.taskfiles/template/resources/cluster.schema.cue': cue };
    const ctx: ScaffoldContext = { root: '/ws', reader: memoryFileReader(files), syntax: MAKEJINJA_CLUSTER_TEMPLATE_SYNTAX, templateDir: '/ws/templates/config' };
    const plan = await planScaffold('volsync', ctx);
    const schemaChange = plan.changes.find((change) => change.path.endsWith('cluster.schema.cue'))!;
    assert.equal(schemaChange.kind, 'edit');
    assert.match(schemaChange.newText, /^\tvolsync_s3_access_key\?: +string & !=""$/m);
    assert.equal(schemaChange.newText.match(/volsync_enabled\?:/g)?.length, 1);
    assert.ok(!plan.notes.some((note) => note.includes('cluster.schema.cue')), plan.notes.join('\n'));
    const after = { ...files, '/ws/.taskfiles/template/resources/cluster.schema.cue': schemaChange.newText };
    const again = await planScaffold('volsync', { ...ctx, reader: memoryFileReader(after) });
    assert.ok(!again.changes.some((change) => change.path.endsWith('cluster.schema.cue')));
    assert.ok(again.upToDate.some((filePath) => filePath.endsWith('cluster.schema.cue')));
  });
});

/** An app that backs up its PVC with the VolSync macros (a secret template and a source template). */
function writeAppUsingBackupMacros(root: string): void {
  const app = join(root, APPS, 'demo', 'app');
  mkdirSync(app, { recursive: true });
  const importLine = "#% from 'kubernetes/apps/storage/volsync/backup.macros.j2' import volsync_restic_secret, volsync_replication_source %#\n";
  writeFileSync(join(app, 'volsync.sops.yaml.j2'), `${importLine}#{ volsync_restic_secret('grafana', 'monitoring') }#\n`);
  writeFileSync(join(app, 'replicationsource.yaml.j2'), `${importLine}#{ volsync_replication_source('grafana', 'monitoring', 'grafana-data', '5Gi', 'fast') }#\n`);
}

/** Every file under a folder as text, by '/'-separated relative path. */
function readTextTree(folder: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const full = join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else out.set(relative(folder, full).split('\\').join('/'), readFileSync(full, 'utf8'));
    }
  };
  if (existsSync(folder)) walk(folder);
  return out;
}
