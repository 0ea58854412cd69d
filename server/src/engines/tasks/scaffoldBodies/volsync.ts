// The VolSync scaffold's templates (REMAINING-WORK §4): the operator in the storage namespace,
// the restic credentials, and macros that give an app its backup. Text only; planning is scaffolds.ts.
import type { ScaffoldTemplate, TemplateWriter } from '../scaffolds';
import { CLUSTER_SECRETS_SUBSTITUTION, GIT_SOURCE } from './fluxParts';

export const VOLSYNC_GATE = 'volsync_enabled | default(false)';
/** The bucket the RustFS setup job creates and the restic repositories live in. */
export const VOLSYNC_BUCKET_EXPRESSION = "volsync_s3_bucket | default('volsync-backups')";
const STORAGE_GATE = `rustfs_enabled | default(false) or ${VOLSYNC_GATE}`;

const BASE = 'kubernetes/apps/storage/volsync';

export function volsyncTemplates(w: TemplateWriter): ScaffoldTemplate[] {
  const { value } = w;
  return [
    {
      path: `${BASE}/ks.yaml.j2`,
      description: 'Flux Kustomization volsync (storage namespace)',
      body: w.gated(
        VOLSYNC_GATE,
        `---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: volsync
spec:
  interval: 1h
  path: ./kubernetes/apps/storage/volsync/app
  targetNamespace: storage
  prune: true
  wait: false
${GIT_SOURCE}${CLUSTER_SECRETS_SUBSTITUTION}`,
      ),
    },
    {
      path: `${BASE}/app/kustomization.yaml.j2`,
      description: 'kustomization of the VolSync app',
      body: w.gated(
        VOLSYNC_GATE,
        `---
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ./helmrelease.yaml
  - ./ocirepository.yaml
  - ./secret.sops.yaml
`,
      ),
    },
    {
      path: `${BASE}/app/ocirepository.yaml.j2`,
      description: 'OCIRepository of the VolSync chart (0.14.0)',
      body: w.gated(
        VOLSYNC_GATE,
        `---
apiVersion: source.toolkit.fluxcd.io/v1
kind: OCIRepository
metadata:
  name: volsync
spec:
  interval: 15m
  url: oci://ghcr.io/backube/helm-charts/volsync
  ref:
    tag: 0.14.0
  layerSelector:
    mediaType: application/vnd.cncf.helm.chart.content.v1.tar+gzip
    operation: copy
`,
      ),
    },
    {
      path: `${BASE}/app/helmrelease.yaml.j2`,
      description: 'HelmRelease volsync (CRDs managed by the chart)',
      body: w.gated(
        VOLSYNC_GATE,
        `---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: volsync
spec:
  interval: 1h
  chartRef:
    kind: OCIRepository
    name: volsync
  install:
    remediation:
      retries: -1
  upgrade:
    cleanupOnFail: true
    remediation:
      retries: 3
  values:
    manageCRDs: true
    metrics:
      enabled: true
    ${w.comment('A ServiceMonitor needs the Prometheus Operator CRDs: only with monitoring on.')}
    serviceMonitor:
      enabled: ${value('(monitoring_enabled | default(false)) | string | lower')}
    resources:
      requests:
        cpu: 10m
        memory: 64Mi
      limits:
        memory: 256Mi
`,
      ),
    },
    {
      path: `${BASE}/app/secret.sops.yaml.j2`,
      description: 'Secret volsync-restic-config (restic repository and S3 credentials; SOPS-encrypted by task configure)',
      body: w.gated(
        VOLSYNC_GATE,
        `---
apiVersion: v1
kind: Secret
metadata:
  name: volsync-restic-config
  namespace: storage
stringData:
  RESTIC_REPOSITORY: "s3:${value('volsync_s3_endpoint')}/${value(VOLSYNC_BUCKET_EXPRESSION)}"
  RESTIC_PASSWORD: "${value('volsync_restic_password')}"
  AWS_ACCESS_KEY_ID: "${value('volsync_s3_access_key')}"
  AWS_SECRET_ACCESS_KEY: "${value('volsync_s3_secret_key')}"
`,
      ),
    },
    {
      path: `${BASE}/backup.macros.j2`,
      description: 'macros giving an app its restic Secret and ReplicationSource (renders to nothing on its own)',
      body: backupMacros(w),
    },
  ];
}

/**
 * Two macros an app template imports: one Secret (in a *.sops.yaml.j2, so it is encrypted) and one
 * ReplicationSource. Both render nothing while VolSync is off, so apps may call them unconditionally.
 * The file itself only defines macros: it renders to whitespace and makejinja writes no output for it.
 */
function backupMacros(w: TemplateWriter): string {
  const { block, value } = w;
  const importLine = block("from 'kubernetes/apps/storage/volsync/backup.macros.j2' import volsync_restic_secret, volsync_replication_source");
  return `${w.comment(`Per-app VolSync backups. In an app's secret template (*.sops.yaml.j2):
  ${importLine}
  ${value("volsync_restic_secret('grafana', 'monitoring')")}
and in another of its templates:
  ${value("volsync_replication_source('grafana', 'monitoring', 'grafana-data', '5Gi')")}
Schedule, copy method and retention come from volsync_schedule, volsync_copy_method and volsync_retain_*.`)}
${block('macro volsync_restic_secret(app, namespace)')}
${block(`if ${VOLSYNC_GATE}`)}
---
apiVersion: v1
kind: Secret
metadata:
  name: ${value('app')}-restic-config
  namespace: ${value('namespace')}
stringData:
  RESTIC_REPOSITORY: "s3:${value('volsync_s3_endpoint')}/${value(VOLSYNC_BUCKET_EXPRESSION)}/${value('namespace')}/${value('app')}"
  RESTIC_PASSWORD: "${value('volsync_restic_password')}"
  AWS_ACCESS_KEY_ID: "${value('volsync_s3_access_key')}"
  AWS_SECRET_ACCESS_KEY: "${value('volsync_s3_secret_key')}"
${block('endif', { trimLeft: true })}
${block('endmacro')}
${block("macro volsync_replication_source(app, namespace, pvc, capacity, storage_class_name='')")}
${block(`if ${VOLSYNC_GATE}`)}
${block("set class_name = storage_class_name or storage_class | default('')")}
---
apiVersion: volsync.backube/v1alpha1
kind: ReplicationSource
metadata:
  name: ${value('app')}-backup
  namespace: ${value('namespace')}
spec:
  sourcePVC: ${value('pvc')}
  trigger:
    schedule: "${value("volsync_schedule | default('0 */6 * * *')")}"
  restic:
    repository: ${value('app')}-restic-config
    copyMethod: ${value("volsync_copy_method | default('Clone')")}
    pruneIntervalDays: 7
${block('if class_name')}
    storageClassName: ${value('class_name')}
${block('endif')}
    capacity: ${value('capacity')}
    retain:
${block('if volsync_retain_hourly')}
      hourly: ${value('volsync_retain_hourly')}
${block('endif')}
${block('if volsync_retain_yearly')}
      yearly: ${value('volsync_retain_yearly')}
${block('endif')}
      daily: ${value('volsync_retain_daily | default(7)')}
      weekly: ${value('volsync_retain_weekly | default(4)')}
      monthly: ${value('volsync_retain_monthly | default(3)')}
${block('endif', { trimLeft: true })}
${block('endmacro')}
`;
}

/** The storage namespace, when the workspace has none yet (no RustFS). */
export function storageNamespaceTemplates(w: TemplateWriter): ScaffoldTemplate[] {
  return [
    {
      path: 'kubernetes/apps/storage/kustomization.yaml.j2',
      description: 'kustomization of the storage namespace (VolSync listed)',
      body: w.gated(
        STORAGE_GATE,
        `---
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: storage
components:
  - ../../components/sops
resources:
  - ./namespace.yaml
  ${w.block(`if ${VOLSYNC_GATE}`)}
  - ./volsync/ks.yaml
  ${w.block('endif')}
`,
      ),
    },
    {
      path: 'kubernetes/apps/storage/namespace.yaml.j2',
      description: 'Namespace storage',
      body: w.gated(
        STORAGE_GATE,
        `---
apiVersion: v1
kind: Namespace
metadata:
  name: storage
  annotations:
    kustomize.toolkit.fluxcd.io/prune: disabled
`,
      ),
    },
  ];
}
