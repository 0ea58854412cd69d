// The OAuth2-Proxy scaffold's templates (REMAINING-WORK §11): the proxy in the network namespace
// and an Envoy Gateway ext_authz SecurityPolicy for routes labelled security: oauth2-protected.
import type { ScaffoldTemplate, TemplateWriter } from '../scaffolds';
import { CLUSTER_SECRETS_SUBSTITUTION, GIT_SOURCE } from './fluxParts';

export const OAUTH2_PROXY_GATE = 'oauth2_proxy_enabled | default(false)';
const BASE = 'kubernetes/apps/network/oauth2-proxy';
const DEFAULT_RESPONSE_HEADERS = "['X-Auth-Request-User', 'X-Auth-Request-Email', 'X-Auth-Request-Groups', 'X-Auth-Request-Preferred-Username', 'Authorization']";

export function oauth2ProxyTemplates(w: TemplateWriter): ScaffoldTemplate[] {
  const { block, value } = w;
  return [
    {
      path: `${BASE}/ks.yaml.j2`,
      description: 'Flux Kustomization oauth2-proxy (network namespace)',
      body: w.gated(
        OAUTH2_PROXY_GATE,
        `---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: oauth2-proxy
spec:
  interval: 1h
  path: ./kubernetes/apps/network/oauth2-proxy/app
  targetNamespace: network
  prune: true
  wait: false
${GIT_SOURCE}${CLUSTER_SECRETS_SUBSTITUTION}`,
      ),
    },
    {
      path: `${BASE}/app/kustomization.yaml.j2`,
      description: 'kustomization of the OAuth2-Proxy app',
      body: w.gated(
        OAUTH2_PROXY_GATE,
        `---
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ./helmrelease.yaml
  - ./ocirepository.yaml
  - ./secret.sops.yaml
  - ./securitypolicy-extauth.yaml
`,
      ),
    },
    {
      path: `${BASE}/app/ocirepository.yaml.j2`,
      description: 'OCIRepository of the OAuth2-Proxy chart (7.11.0)',
      body: w.gated(
        OAUTH2_PROXY_GATE,
        `---
apiVersion: source.toolkit.fluxcd.io/v1
kind: OCIRepository
metadata:
  name: oauth2-proxy
spec:
  interval: 15m
  url: oci://ghcr.io/oauth2-proxy/helm-charts/oauth2-proxy
  ref:
    tag: 7.11.0
  layerSelector:
    mediaType: application/vnd.cncf.helm.chart.content.v1.tar+gzip
    operation: copy
`,
      ),
    },
    {
      path: `${BASE}/app/helmrelease.yaml.j2`,
      description: 'HelmRelease oauth2-proxy (OIDC provider, X-Auth-Request headers, port 4180)',
      body: w.gated(
        OAUTH2_PROXY_GATE,
        `---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: oauth2-proxy
spec:
  interval: 1h
  chartRef:
    kind: OCIRepository
    name: oauth2-proxy
  install:
    remediation:
      retries: -1
  upgrade:
    cleanupOnFail: true
    remediation:
      retries: 3
  values:
    replicaCount: ${value('oauth2_proxy_replicas | default(2)')}
    config:
      ${w.comment('client-id, client-secret and cookie-secret')}
      existingSecret: oauth2-proxy-secrets
      configFile: |-
        provider = "oidc"
        oidc_issuer_url = "${value('oauth2_proxy_oidc_issuer')}"
        email_domains = ${value("oauth2_proxy_email_domains | default(['*']) | tojson")}
        ${block('if oauth2_proxy_allowed_groups')}
        allowed_groups = ${value('oauth2_proxy_allowed_groups | tojson')}
        ${block('endif')}
        ${block('if oauth2_proxy_cookie_domain')}
        cookie_domains = ${value('[oauth2_proxy_cookie_domain] | tojson')}
        whitelist_domains = ${value("['.' ~ oauth2_proxy_cookie_domain] | tojson")}
        ${block('endif')}
        cookie_secure = true
        cookie_httponly = true
        cookie_samesite = "lax"
        set_xauthrequest = true
        set_authorization_header = true
        reverse_proxy = true
        skip_provider_button = true
        upstreams = ["static://202"]
        http_address = "0.0.0.0:4180"
    service:
      portNumber: 4180
    metrics:
      servicemonitor:
        enabled: ${value('(monitoring_enabled | default(false)) | string | lower')}
    podDisruptionBudget:
      enabled: true
      minAvailable: 1
    affinity:
      podAntiAffinity:
        preferredDuringSchedulingIgnoredDuringExecution:
          - weight: 100
            podAffinityTerm:
              topologyKey: kubernetes.io/hostname
              labelSelector:
                matchLabels:
                  app.kubernetes.io/name: oauth2-proxy
    resources:
      requests:
        cpu: 10m
        memory: 32Mi
      limits:
        memory: 128Mi
`,
      ),
    },
    {
      path: `${BASE}/app/secret.sops.yaml.j2`,
      description: 'Secret oauth2-proxy-secrets (client id and secret, cookie secret; SOPS-encrypted by task configure)',
      body: w.gated(
        OAUTH2_PROXY_GATE,
        `---
apiVersion: v1
kind: Secret
metadata:
  name: oauth2-proxy-secrets
stringData:
  client-id: "${value('oauth2_proxy_client_id')}"
  client-secret: "${value('oauth2_proxy_client_secret')}"
  cookie-secret: "${value('oauth2_proxy_cookie_secret')}"
`,
      ),
    },
    {
      path: `${BASE}/app/securitypolicy-extauth.yaml.j2`,
      description: 'SecurityPolicy oauth2-proxy-extauth for HTTPRoutes labelled security: oauth2-protected',
      body: w.gated(
        OAUTH2_PROXY_GATE,
        `---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: SecurityPolicy
metadata:
  name: oauth2-proxy-extauth
spec:
  targetSelectors:
    - group: gateway.networking.k8s.io
      kind: HTTPRoute
      matchLabels:
        security: oauth2-protected
  extAuth:
    ${w.comment('Client request headers sent to oauth2-proxy: the session cookie and where the request was going.')}
    headersToExtAuth:
      - cookie
      - x-forwarded-host
      - x-forwarded-proto
      - x-forwarded-uri
    http:
      backendRefs:
        - name: oauth2-proxy
          namespace: network
          port: 4180
      path: /oauth2/auth
      ${w.comment("oauth2-proxy's answer headers passed on to the protected app.")}
      headersToBackend:
        ${block(`for header in oauth2_proxy_set_headers | default(${DEFAULT_RESPONSE_HEADERS})`)}
        - ${value('header')}
        ${block('endfor')}
`,
      ),
    },
  ];
}
