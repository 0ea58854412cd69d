// The CloudNativePG scaffold's templates (REMAINING-WORK §8, core only: no monitoring, network
// policies or Barman plugin). Text only; planning is scaffolds.ts.
import type { ScaffoldTemplate, TemplateWriter } from '../scaffolds';
import { GIT_SOURCE } from './fluxParts';

export const CNPG_GATE = 'cnpg_enabled | default(false)';
const BACKUP_GATE = 'cnpg_backup_enabled | default(false)';
const BASE = 'kubernetes/apps/cnpg-system';

export function cnpgTemplates(w: TemplateWriter): ScaffoldTemplate[] {
  const { block, value } = w;
  return [
    {
      path: `${BASE}/kustomization.yaml.j2`,
      description: 'kustomization of the cnpg-system namespace',
      body: w.gated(
        CNPG_GATE,
        `---
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: cnpg-system
resources:
  - ./namespace.yaml
  - ./cloudnative-pg/ks.yaml
`,
      ),
    },
    {
      path: `${BASE}/namespace.yaml.j2`,
      description: 'Namespace cnpg-system (Pod Security restricted)',
      body: w.gated(
        CNPG_GATE,
        `---
apiVersion: v1
kind: Namespace
metadata:
  name: cnpg-system
  annotations:
    kustomize.toolkit.fluxcd.io/prune: disabled
  labels:
    pod-security.kubernetes.io/enforce: restricted
    pod-security.kubernetes.io/audit: restricted
    pod-security.kubernetes.io/warn: restricted
`,
      ),
    },
    {
      path: `${BASE}/cloudnative-pg/ks.yaml.j2`,
      description: 'Flux Kustomization cloudnative-pg (waits for the HelmRelease)',
      body: w.gated(
        CNPG_GATE,
        `---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: cloudnative-pg
spec:
  interval: 1h
  path: ./kubernetes/apps/cnpg-system/cloudnative-pg/app
  targetNamespace: cnpg-system
  prune: true
  wait: true
  timeout: 15m
  healthChecks:
    - apiVersion: helm.toolkit.fluxcd.io/v2
      kind: HelmRelease
      name: cloudnative-pg
      namespace: cnpg-system
${GIT_SOURCE}`,
      ),
    },
    {
      path: `${BASE}/cloudnative-pg/app/kustomization.yaml.j2`,
      description: 'kustomization of the CloudNativePG app (backup secret only with cnpg_backup_enabled)',
      body: w.gated(
        CNPG_GATE,
        `---
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ./helmrelease.yaml
  - ./helmrepository.yaml
  ${block(`if ${BACKUP_GATE}`)}
  - ./secret-backup.sops.yaml
  ${block('endif')}
`,
      ),
    },
    {
      path: `${BASE}/cloudnative-pg/app/helmrepository.yaml.j2`,
      description: 'HelmRepository cloudnative-pg',
      body: w.gated(
        CNPG_GATE,
        `---
apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmRepository
metadata:
  name: cloudnative-pg
spec:
  interval: 1h
  url: https://cloudnative-pg.github.io/charts
`,
      ),
    },
    {
      path: `${BASE}/cloudnative-pg/app/helmrelease.yaml.j2`,
      description: 'HelmRelease cloudnative-pg (chart 0.27.0, operator 1.28.0)',
      body: w.gated(
        CNPG_GATE,
        `---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: cloudnative-pg
spec:
  interval: 1h
  chart:
    spec:
      chart: cloudnative-pg
      version: 0.27.0
      sourceRef:
        kind: HelmRepository
        name: cloudnative-pg
  install:
    crds: CreateReplace
    remediation:
      retries: -1
  upgrade:
    crds: CreateReplace
    cleanupOnFail: true
    remediation:
      retries: 3
  values:
    crds:
      create: true
    priorityClassName: ${value("cnpg_priority_class | default('system-cluster-critical')")}
    additionalEnv:
      ${w.comment('The PostgreSQL image new Clusters get when they name none.')}
      - name: POSTGRES_IMAGE_NAME
        value: ${value("cnpg_postgres_image | default('ghcr.io/cloudnative-pg/postgresql:18.1-standard-trixie')")}
    ${block('if cnpg_control_plane_only | default(true)')}
    nodeSelector:
      node-role.kubernetes.io/control-plane: ""
    tolerations:
      - key: node-role.kubernetes.io/control-plane
        operator: Exists
        effect: NoSchedule
    ${block('endif')}
    resources:
      requests:
        cpu: 50m
        memory: 128Mi
      limits:
        memory: 512Mi
`,
      ),
    },
    {
      path: `${BASE}/cloudnative-pg/app/secret-backup.sops.yaml.j2`,
      description: 'Secret cnpg-backup-credentials (S3 keys for Barman backups; only with cnpg_backup_enabled)',
      body: w.gated(
        `${CNPG_GATE} and ${BACKUP_GATE}`,
        `---
apiVersion: v1
kind: Secret
metadata:
  name: cnpg-backup-credentials
stringData:
  ACCESS_KEY_ID: "${value('cnpg_s3_access_key')}"
  SECRET_ACCESS_KEY: "${value('cnpg_s3_secret_key')}"
`,
      ),
    },
  ];
}
