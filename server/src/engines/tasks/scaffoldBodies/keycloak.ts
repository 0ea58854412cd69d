// The Keycloak scaffold's templates (REMAINING-WORK §9, core only: operator, Keycloak CR, secrets,
// route and the database of either mode; no realm import, backups or tracing). Text only.
import type { ScaffoldTemplate, TemplateWriter } from '../scaffolds';
import { CLUSTER_SECRETS_SUBSTITUTION, GIT_SOURCE } from './fluxParts';

export const KEYCLOAK_GATE = 'keycloak_enabled | default(false)';
const DB_MODE = "keycloak_db_mode | default('embedded')";
const EMBEDDED_GATE = `${KEYCLOAK_GATE} and (${DB_MODE}) == 'embedded'`;
const CNPG_MODE_GATE = `${KEYCLOAK_GATE} and (${DB_MODE}) == 'cnpg'`;
const OPERATOR_VERSION = "keycloak_operator_version | default('26.5.0')";
const DB_NAME = "keycloak_db_name | default('keycloak')";
const DB_USER = "keycloak_db_user | default('keycloak')";
const STORAGE_SIZE = "keycloak_storage_size | default('5Gi')";
const BASE = 'kubernetes/apps/identity';

export function keycloakTemplates(w: TemplateWriter): ScaffoldTemplate[] {
  const { block, value } = w;
  // The plugin may derive keycloak_hostname; without it the templates compute the same name.
  const hostnameSet = block("set keycloak_host = keycloak_hostname | default((keycloak_subdomain | default('auth')) ~ '.' ~ cloudflare_domain)");
  return [
    {
      path: `${BASE}/kustomization.yaml.j2`,
      description: 'kustomization of the identity namespace',
      body: w.gated(
        KEYCLOAK_GATE,
        `---
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: identity
components:
  - ../../components/sops
resources:
  - ./namespace.yaml
  - ./keycloak/ks.yaml
`,
      ),
    },
    {
      path: `${BASE}/namespace.yaml.j2`,
      description: 'Namespace identity (Pod Security baseline)',
      body: w.gated(
        KEYCLOAK_GATE,
        `---
apiVersion: v1
kind: Namespace
metadata:
  name: identity
  annotations:
    kustomize.toolkit.fluxcd.io/prune: disabled
  labels:
    pod-security.kubernetes.io/enforce: baseline
    pod-security.kubernetes.io/audit: baseline
    pod-security.kubernetes.io/warn: baseline
`,
      ),
    },
    {
      path: `${BASE}/keycloak/ks.yaml.j2`,
      description: 'Flux Kustomizations keycloak-operator, keycloak and keycloak-config',
      body: w.gated(
        KEYCLOAK_GATE,
        `---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: keycloak-operator
spec:
  interval: 1h
  path: ./kubernetes/apps/identity/keycloak/operator
  targetNamespace: identity
  prune: true
  wait: false
  timeout: 10m
  dependsOn:
    - name: coredns
      namespace: kube-system
  healthChecks:
    - apiVersion: apps/v1
      kind: Deployment
      name: keycloak-operator
      namespace: identity
${GIT_SOURCE}---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: keycloak
spec:
  interval: 1h
  path: ./kubernetes/apps/identity/keycloak/app
  targetNamespace: identity
  prune: true
  wait: false
  timeout: 15m
  dependsOn:
    - name: keycloak-operator
    - name: cert-manager
      namespace: cert-manager
    ${block(`if (${DB_MODE}) == 'cnpg'`)}
    - name: cloudnative-pg
      namespace: cnpg-system
    ${block('endif')}
  healthChecks:
    - apiVersion: k8s.keycloak.org/v2alpha1
      kind: Keycloak
      name: keycloak
      namespace: identity
${GIT_SOURCE}${CLUSTER_SECRETS_SUBSTITUTION}---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: keycloak-config
spec:
  interval: 1h
  path: ./kubernetes/apps/identity/keycloak/config
  targetNamespace: identity
  prune: true
  wait: false
  dependsOn:
    - name: keycloak
${GIT_SOURCE}${CLUSTER_SECRETS_SUBSTITUTION}`,
      ),
    },
    {
      path: `${BASE}/keycloak/operator/kustomization.yaml.j2`,
      description: 'kustomization of the Keycloak operator (CRDs from keycloak-k8s-resources)',
      body: w.gated(
        KEYCLOAK_GATE,
        `---
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - https://raw.githubusercontent.com/keycloak/keycloak-k8s-resources/${value(OPERATOR_VERSION)}/kubernetes/keycloaks.k8s.keycloak.org-v1.yml
  - https://raw.githubusercontent.com/keycloak/keycloak-k8s-resources/${value(OPERATOR_VERSION)}/kubernetes/keycloakrealmimports.k8s.keycloak.org-v1.yml
  - ./keycloak-operator.yaml
`,
      ),
    },
    {
      path: `${BASE}/keycloak/operator/keycloak-operator.yaml.j2`,
      description: 'Keycloak operator: ServiceAccount, ClusterRole, ClusterRoleBinding, Deployment',
      body: w.gated(KEYCLOAK_GATE, keycloakOperator(w)),
    },
    {
      path: `${BASE}/keycloak/config/kustomization.yaml.j2`,
      description: 'empty kustomization for the keycloak-config Flux Kustomization (the realm goes here)',
      body: w.gated(
        KEYCLOAK_GATE,
        `---
${w.comment('The realm configuration (keycloak-config-cli or a KeycloakRealmImport) belongs here.')}
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources: []
`,
      ),
    },
    {
      path: `${BASE}/keycloak/app/kustomization.yaml.j2`,
      description: 'kustomization of the Keycloak app (the database of the chosen mode)',
      body: w.gated(
        KEYCLOAK_GATE,
        `---
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ./secret.sops.yaml
  ${block(`if (${DB_MODE}) == 'embedded'`)}
  - ./postgres-embedded.yaml
  ${block('endif')}
  ${block(`if (${DB_MODE}) == 'cnpg'`)}
  - ./postgres-cnpg.yaml
  ${block('endif')}
  - ./keycloak-cr.yaml
  - ./httproute.yaml
`,
      ),
    },
    {
      path: `${BASE}/keycloak/app/keycloak-cr.yaml.j2`,
      description: 'Keycloak keycloak (admin and database from secrets, behind the gateway)',
      body: w.gated(
        KEYCLOAK_GATE,
        `${hostnameSet}
---
apiVersion: k8s.keycloak.org/v2alpha1
kind: Keycloak
metadata:
  name: keycloak
spec:
  instances: ${value('keycloak_replicas | default(1)')}
  bootstrapAdmin:
    user:
      secret: keycloak-admin-credentials
  db:
    vendor: postgres
    ${w.comment('CloudNativePG serves the primary as <cluster>-rw; the embedded StatefulSet has one Service.')}
    host: ${value(`'keycloak-postgres-rw' if (${DB_MODE}) == 'cnpg' else 'keycloak-postgres'`)}
    port: 5432
    database: ${value(DB_NAME)}
    usernameSecret:
      name: keycloak-db-secret
      key: username
    passwordSecret:
      name: keycloak-db-secret
      key: password
  http:
    httpEnabled: true
    httpPort: 8080
  hostname:
    hostname: https://${value('keycloak_host')}
  proxy:
    headers: xforwarded
  ingress:
    enabled: false
`,
      ),
    },
    {
      path: `${BASE}/keycloak/app/secret.sops.yaml.j2`,
      description: 'Secrets keycloak-admin-credentials and keycloak-db-secret (SOPS-encrypted by task configure)',
      body: w.gated(
        KEYCLOAK_GATE,
        `---
apiVersion: v1
kind: Secret
metadata:
  name: keycloak-admin-credentials
stringData:
  username: admin
  password: "${value('keycloak_admin_password')}"
---
apiVersion: v1
kind: Secret
metadata:
  name: keycloak-db-secret
${w.comment('basic-auth: CloudNativePG takes the owner credentials in this shape too.')}
type: kubernetes.io/basic-auth
stringData:
  username: "${value(DB_USER)}"
  password: "${value('keycloak_db_password')}"
`,
      ),
    },
    {
      path: `${BASE}/keycloak/app/httproute.yaml.j2`,
      description: 'HTTPRoute keycloak on envoy-external',
      body: w.gated(
        KEYCLOAK_GATE,
        `---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: keycloak
spec:
  hostnames:
    - "${value("keycloak_subdomain | default('auth')")}.\${SECRET_DOMAIN}"
  parentRefs:
    - name: envoy-external
      namespace: network
      sectionName: https
  rules:
    - backendRefs:
        - name: keycloak-service
          port: 8080
`,
      ),
    },
    {
      path: `${BASE}/keycloak/app/postgres-embedded.yaml.j2`,
      description: 'PostgreSQL StatefulSet and Service keycloak-postgres (keycloak_db_mode embedded)',
      body: w.gated(EMBEDDED_GATE, embeddedPostgres(w)),
    },
    {
      path: `${BASE}/keycloak/app/postgres-cnpg.yaml.j2`,
      description: 'CloudNativePG Cluster keycloak-postgres (keycloak_db_mode cnpg)',
      body: w.gated(
        CNPG_MODE_GATE,
        `${block("set storage_class_name = cnpg_storage_class | default(storage_class | default(''))")}
---
apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata:
  name: keycloak-postgres
spec:
  instances: ${value('keycloak_db_instances | default(1)')}
  imageName: ${value("cnpg_postgres_image | default('ghcr.io/cloudnative-pg/postgresql:18.1-standard-trixie')")}
  bootstrap:
    initdb:
      database: ${value(DB_NAME)}
      owner: ${value(DB_USER)}
      secret:
        name: keycloak-db-secret
  storage:
    size: ${value(STORAGE_SIZE)}
    ${block('if storage_class_name')}
    storageClass: ${value('storage_class_name')}
    ${block('endif')}
`,
      ),
    },
  ];
}

function keycloakOperator(w: TemplateWriter): string {
  const { value } = w;
  const verbs = '["get", "list", "watch", "create", "update", "patch", "delete"]';
  return `---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: keycloak-operator
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: keycloak-operator
rules:
  - apiGroups: [""]
    resources: ["configmaps", "secrets", "services", "pods"]
    verbs: ${verbs}
  - apiGroups: [""]
    resources: ["events"]
    verbs: ["create", "patch"]
  - apiGroups: ["apps"]
    resources: ["statefulsets"]
    verbs: ${verbs}
  - apiGroups: ["batch"]
    resources: ["jobs"]
    verbs: ${verbs}
  - apiGroups: ["networking.k8s.io"]
    resources: ["ingresses", "networkpolicies"]
    verbs: ${verbs}
  - apiGroups: ["policy"]
    resources: ["poddisruptionbudgets"]
    verbs: ${verbs}
  - apiGroups: ["k8s.keycloak.org"]
    resources:
      - keycloaks
      - keycloaks/status
      - keycloaks/finalizers
      - keycloakrealmimports
      - keycloakrealmimports/status
      - keycloakrealmimports/finalizers
    verbs: ${verbs}
  - apiGroups: ["apiextensions.k8s.io"]
    resources: ["customresourcedefinitions"]
    verbs: ["get", "list", "watch"]
  - apiGroups: ["coordination.k8s.io"]
    resources: ["leases"]
    verbs: ${verbs}
  - apiGroups: ["monitoring.coreos.com"]
    resources: ["servicemonitors"]
    verbs: ${verbs}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: keycloak-operator
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: keycloak-operator
subjects:
  - kind: ServiceAccount
    name: keycloak-operator
    namespace: identity
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: keycloak-operator
  labels:
    app.kubernetes.io/name: keycloak-operator
spec:
  replicas: 1
  selector:
    matchLabels:
      app.kubernetes.io/name: keycloak-operator
  template:
    metadata:
      labels:
        app.kubernetes.io/name: keycloak-operator
    spec:
      serviceAccountName: keycloak-operator
      securityContext:
        runAsNonRoot: true
        seccompProfile:
          type: RuntimeDefault
      containers:
        - name: keycloak-operator
          image: quay.io/keycloak/keycloak-operator:${value(OPERATOR_VERSION)}
          env:
            - name: KUBERNETES_NAMESPACE
              valueFrom:
                fieldRef:
                  fieldPath: metadata.namespace
            - name: RELATED_IMAGE_KEYCLOAK
              value: quay.io/keycloak/keycloak:${value(OPERATOR_VERSION)}
          ports:
            - name: http
              containerPort: 8080
          livenessProbe:
            httpGet:
              path: /q/health/live
              port: http
          readinessProbe:
            httpGet:
              path: /q/health/ready
              port: http
          resources:
            requests:
              cpu: 50m
              memory: 256Mi
            limits:
              memory: 512Mi
          securityContext:
            allowPrivilegeEscalation: false
            capabilities:
              drop: ["ALL"]
`;
}

function embeddedPostgres(w: TemplateWriter): string {
  const { block, value } = w;
  return `---
apiVersion: v1
kind: Service
metadata:
  name: keycloak-postgres
spec:
  selector:
    app.kubernetes.io/name: keycloak-postgres
  ports:
    - name: postgres
      port: 5432
      targetPort: postgres
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: keycloak-postgres
spec:
  serviceName: keycloak-postgres
  replicas: 1
  selector:
    matchLabels:
      app.kubernetes.io/name: keycloak-postgres
  template:
    metadata:
      labels:
        app.kubernetes.io/name: keycloak-postgres
    spec:
      securityContext:
        ${w.comment('The postgres user of the Alpine image.')}
        runAsUser: 70
        runAsGroup: 70
        fsGroup: 70
        runAsNonRoot: true
      containers:
        - name: postgres
          image: postgres:18-alpine
          env:
            - name: POSTGRES_DB
              value: ${value(DB_NAME)}
            - name: POSTGRES_USER
              valueFrom:
                secretKeyRef:
                  name: keycloak-db-secret
                  key: username
            - name: POSTGRES_PASSWORD
              valueFrom:
                secretKeyRef:
                  name: keycloak-db-secret
                  key: password
          ports:
            - name: postgres
              containerPort: 5432
          readinessProbe:
            exec:
              ${w.comment('Only whether the server accepts connections: no user or shell variables needed.')}
              command: ["pg_isready", "-h", "127.0.0.1", "-p", "5432"]
          resources:
            requests:
              cpu: 50m
              memory: 128Mi
            limits:
              memory: 512Mi
          volumeMounts:
            ${w.comment('PostgreSQL 18 images keep their data in a versioned folder below this mount.')}
            - name: data
              mountPath: /var/lib/postgresql
  volumeClaimTemplates:
    - metadata:
        name: data
      spec:
        accessModes: ["ReadWriteOnce"]
        ${block("if storage_class | default('')")}
        storageClassName: ${value('storage_class')}
        ${block('endif')}
        resources:
          requests:
            storage: ${value(STORAGE_SIZE)}
`;
}
