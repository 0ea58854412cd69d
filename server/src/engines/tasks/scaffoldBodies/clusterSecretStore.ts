// The ClusterSecretStore scaffold's templates (REMAINING-WORK §13): one store per provider of
// external_secrets_provider (1password, bitwarden, vault), applied after the operator's CRDs exist.
import type { ScaffoldTemplate, TemplateWriter } from '../scaffolds';
import { GIT_SOURCE } from './fluxParts';

const ESO_GATE = 'external_secrets_enabled | default(false)';
const PROVIDER = "external_secrets_provider | default('1password')";
const BASE = 'kubernetes/apps/external-secrets/cluster-secret-store';
export const CLUSTER_SECRET_STORE_ENTRY = './cluster-secret-store/ks.yaml';
/** Where upstream keeps the operator's Flux Kustomization; the store depends on it. */
export const EXTERNAL_SECRETS_DEFAULT_KUSTOMIZATION = 'kubernetes/apps/external-secrets/external-secrets/ks.yaml.j2';

interface Provider {
  /** The value of external_secrets_provider. */
  key: string;
  /** File and store name. */
  name: string;
  secretName: string;
  /** The cluster.yaml key holding the token. */
  tokenVariable: string;
  providerSpec: (w: TemplateWriter) => string;
}

const PROVIDERS: Provider[] = [
  {
    key: '1password',
    name: 'onepassword',
    secretName: 'onepassword-connect-token',
    tokenVariable: 'onepassword_connect_token',
    providerSpec: (w) => `    onepassword:
      connectHost: "${w.value('onepassword_connect_host')}"
      vaults:
        ${w.value("onepassword_vault | default('kubernetes')")}: 1
      auth:
        secretRef:
          connectTokenSecretRef:
            name: onepassword-connect-token
            namespace: external-secrets
            key: token
`,
  },
  {
    key: 'bitwarden',
    name: 'bitwarden',
    secretName: 'bitwarden-access-token',
    tokenVariable: 'bitwarden_access_token',
    providerSpec: (w) => `    bitwardensecretsmanager:
      apiURL: https://api.bitwarden.com
      identityURL: https://identity.bitwarden.com
      ${w.comment("The chart's bitwarden-sdk-server, reached over TLS with its own CA.")}
      bitwardenServerSDKURL: https://bitwarden-sdk-server.external-secrets.svc.cluster.local:9998
      caProvider:
        type: Secret
        name: bitwarden-tls-certs
        namespace: external-secrets
        key: ca.crt
      organizationID: "${w.value('bitwarden_organization_id')}"
      projectID: "${w.value('bitwarden_project_id')}"
      auth:
        secretRef:
          credentials:
            name: bitwarden-access-token
            namespace: external-secrets
            key: token
`,
  },
  {
    key: 'vault',
    name: 'vault',
    secretName: 'vault-token',
    tokenVariable: 'vault_token',
    providerSpec: (w) => `    vault:
      server: "${w.value('vault_server')}"
      path: ${w.value("vault_path | default('secret')")}
      version: v2
      auth:
        tokenSecretRef:
          name: vault-token
          namespace: external-secrets
          key: token
`,
  },
];

function providerGate(provider: Provider): string {
  return `${ESO_GATE} and (${PROVIDER}) == '${provider.key}'`;
}

export function clusterSecretStoreTemplates(w: TemplateWriter, operatorKustomization: string): ScaffoldTemplate[] {
  const { block } = w;
  const storeEntries = PROVIDERS.map((provider) => `  ${block(`if (${PROVIDER}) == '${provider.key}'`)}
  - ./clustersecretstore-${provider.name}.yaml
  ${block('endif')}
`).join('');
  return [
    {
      path: `${BASE}/ks.yaml.j2`,
      description: `Flux Kustomization cluster-secret-store (after ${operatorKustomization})`,
      body: w.gated(
        ESO_GATE,
        `---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: cluster-secret-store
spec:
  interval: 1h
  path: ./kubernetes/apps/external-secrets/cluster-secret-store/app
  targetNamespace: external-secrets
  prune: true
  wait: false
  ${w.comment('The ClusterSecretStore kind exists once the operator has installed its CRDs.')}
  dependsOn:
    - name: ${operatorKustomization}
${GIT_SOURCE}`,
      ),
    },
    {
      path: `${BASE}/app/kustomization.yaml.j2`,
      description: 'kustomization of the store of the chosen provider',
      body: w.gated(
        ESO_GATE,
        `---
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ./secret.sops.yaml
${storeEntries}`,
      ),
    },
    {
      path: `${BASE}/app/secret.sops.yaml.j2`,
      description: "the provider's access token (SOPS-encrypted by task configure)",
      body: w.gated(
        ESO_GATE,
        PROVIDERS.map((provider, index) => `${block(`${index === 0 ? 'if' : 'elif'} (${PROVIDER}) == '${provider.key}'`)}
---
apiVersion: v1
kind: Secret
metadata:
  name: ${provider.secretName}
stringData:
  token: "${w.value(provider.tokenVariable)}"
`).join('') + `${block('endif')}\n`,
      ),
    },
    ...PROVIDERS.map((provider) => ({
      path: `${BASE}/app/clustersecretstore-${provider.name}.yaml.j2`,
      description: `ClusterSecretStore ${provider.name} (external_secrets_provider ${provider.key})`,
      body: w.gated(
        providerGate(provider),
        `---
apiVersion: external-secrets.io/v1
kind: ClusterSecretStore
metadata:
  name: ${provider.name}
spec:
  provider:
${provider.providerSpec(w)}`,
      ),
    })),
  ];
}
