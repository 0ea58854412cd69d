// The generated workspace both template benchmarks use: about 350 templates shaped like the real
// cluster-template ones (Flux Kustomizations, HelmReleases, secrets, a 500-line talconfig), with
// hundreds of `#% if %#` blocks, `default` filters and loops over nodes.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export const TEMPLATE_COUNT = 350;
export const LARGE_TEMPLATE_LINES = 500;

/** Writes the workspace under `workspace` (replacing it) and describes what it wrote. */
export function generateTemplateWorkspace(workspace, repoRoot) {
  rmSync(workspace, { recursive: true, force: true });
  const write = (relative, text) => {
    const file = join(workspace, relative);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
  };
  const apps = Array.from({ length: 70 }, (_, i) => `app${String(i).padStart(2, '0')}`);
  write('makejinja.toml', readFileSync(join(repoRoot, 'example', 'makejinja.toml'), 'utf8'));
  write('templates/scripts/plugin.py', readFileSync(join(repoRoot, 'example', 'templates', 'scripts', 'plugin.py'), 'utf8'));
  write('nodes.yaml', nodesYaml());
  write('cluster.yaml', clusterYaml(apps));

  const templates = [];
  for (const [i, app] of apps.entries()) {
    const folder = `templates/config/kubernetes/apps/${namespaceOf(i)}/${app}`;
    templates.push([`${folder}/ks.yaml.j2`, ksTemplate(app, i)]);
    templates.push([`${folder}/app/kustomization.yaml.j2`, kustomizationTemplate(app)]);
    templates.push([`${folder}/app/helmrelease.yaml.j2`, helmReleaseTemplate(app, i)]);
    templates.push([`${folder}/app/ocirepository.yaml.j2`, ociTemplate(app)]);
    // One app slot carries the 500-line template (a talconfig-sized file); the others a secret.
    templates.push(i === 35 ? [`templates/config/talos/talconfig.yaml.j2`, largeTemplate(LARGE_TEMPLATE_LINES)] : [`${folder}/app/secret.sops.yaml.j2`, secretTemplate(app)]);
  }
  let totalLines = 0;
  let totalBytes = 0;
  for (const [relative, text] of templates) {
    write(relative, text);
    totalLines += text.split('\n').length;
    totalBytes += text.length;
  }
  const largeText = templates.find(([relative]) => relative.endsWith('talconfig.yaml.j2'))[1];
  return {
    totalLines,
    totalBytes,
    largeText,
    largeLines: largeText.split('\n').length - 1,
    changedTemplate: `kubernetes/apps/${namespaceOf(20)}/${apps[20]}/app/helmrelease.yaml.j2`,
  };
}

function namespaceOf(i) {
  return ['default', 'observability', 'media', 'network', 'storage', 'home'][i % 6];
}

function clusterYaml(apps) {
  const lines = [
    'node_cidr: "192.168.42.0/24"',
    'node_dns_servers: ["1.1.1.1", "1.0.0.1"]',
    'node_vlan_tag: "42"',
    'cluster_api_addr: "192.168.42.20"',
    'cluster_api_tls_sans: ["k8s.example.net"]',
    'cluster_pod_cidr: "10.42.0.0/16"',
    'cluster_svc_cidr: "10.43.0.0/16"',
    'cluster_dns_gateway_addr: "192.168.42.21"',
    'cluster_gateway_addr: "192.168.42.22"',
    'cloudflare_gateway_addr: "192.168.42.23"',
    'repository_name: "bench-user/home-ops"',
    'repository_branch: "main"',
    'cloudflare_domain: "example.net"',
    'cloudflare_token: "placeholder"',
  ];
  for (const app of apps) lines.push(`${app}_enabled: true`, `${app}_hostname: "${app}"`, `${app}_version: "1.2.3"`);
  return lines.join('\n') + '\n';
}

function nodesYaml() {
  const node = (i, controller) =>
    [`  - name: "kube-${i}"`, `    address: "192.168.42.${10 + i}"`, `    controller: ${controller}`, '    disk: "/dev/sda"', `    mac_addr: "bc:24:11:5e:0a:1${i}"`, '    schematic_id: "d6446cf694a2375379ea2466dbfd5307b13e20896ce965cad9a758178835c8e8"'].join('\n');
  return `nodes:\n${[node(0, true), node(1, true), node(2, false)].join('\n')}\n`;
}

function ksTemplate(app, i) {
  return `---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: ${app}
spec:
  #% if ${app}_enabled %#
  dependsOn:
    - name: ${i % 2 ? 'cert-manager' : 'external-secrets'}
      namespace: ${namespaceOf(i)}
  #% endif %#
  interval: 1h
  path: ./kubernetes/apps/${namespaceOf(i)}/${app}/app
  postBuild:
    substitute:
      APP: ${app}
      HOSTNAME: "#{ ${app}_hostname }#.#{ cloudflare_domain }#"
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
    namespace: flux-system
  targetNamespace: ${namespaceOf(i)}
  wait: false
`;
}

function kustomizationTemplate(app) {
  return `---
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ./helmrelease.yaml
  - ./ocirepository.yaml
#% if ${app}_enabled %#
  - ./secret.sops.yaml
#% endif %#
`;
}

function ociTemplate(app) {
  return `---
apiVersion: source.toolkit.fluxcd.io/v1
kind: OCIRepository
metadata:
  name: ${app}
spec:
  interval: 15m
  layerSelector:
    mediaType: application/vnd.cncf.helm.chart.content.v1.tar+gzip
    operation: copy
  ref:
    tag: "#{ ${app}_version }#"
  url: oci://ghcr.io/bench/charts/${app}
`;
}

function secretTemplate(app) {
  return `---
apiVersion: v1
kind: Secret
metadata:
  name: ${app}-secret
stringData:
  #| The token is written by the template, never logged. #|
  TOKEN: "#{ cloudflare_token }#"
  DOMAIN: "#{ cloudflare_domain | lower }#"
`;
}

function helmReleaseTemplate(app, i) {
  return `---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: ${app}
spec:
  chartRef:
    kind: OCIRepository
    name: ${app}
  interval: 1h
  values:
    controllers:
      ${app}:
        replicas: #{ 2 if (nodes | length) > 1 else 1 }#
        containers:
          app:
            image:
              repository: ghcr.io/bench/${app}
              tag: "#{ ${app}_version }#"
            env:
              TZ: Etc/UTC
              GATEWAY: "#{ cluster_gateway_addr }#"
              #% if node_vlan_tag %#
              VLAN: "#{ node_vlan_tag }#"
              #% endif %#
            resources:
              requests:
                cpu: ${10 + i}m
              limits:
                memory: ${128 + i}Mi
    service:
      app:
        ports:
          http:
            port: ${8000 + i}
    route:
      app:
        hostnames: ["#{ ${app}_hostname }#.#{ cloudflare_domain }#"]
        parentRefs:
          - name: envoy-internal
            namespace: network
            sectionName: https
    #% set controllers = nodes | selectattr('controller') | list %#
    affinity:
      nodes:
        #% for node in controllers %#
        - "#{ node.name }#"
        #% endfor %#
`;
}

/** A talconfig-like template of about `lines` lines: node loops, conditions, filters, sets, comments. */
function largeTemplate(lines) {
  const head = [
    '---',
    '#| Generated benchmark input shaped like talconfig.yaml.j2. #|',
    'clusterName: kubernetes',
    'endpoint: "https://#{ cluster_api_addr }#:6443"',
    '#% set prefix = node_cidr.split("/") | last %#',
    'additionalApiServerCertSans: &sans',
    '  - "127.0.0.1"',
    '  - "#{ cluster_api_addr }#"',
    '  #% for san in cluster_api_tls_sans | default([]) %#',
    '  - "#{ san }#"',
    '  #% endfor %#',
  ];
  const section = (n) => [
    `section${n}:`,
    `  #| Section ${n}: one block per node, with the same shape as the real file. #|`,
    '  nodes:',
    '    #% for node in nodes %#',
    `    - hostname: "#{ node.name }#-${n}"`,
    '      ipAddress: "#{ node.address }#"',
    '      controlPlane: #{ node.controller | string | lower }#',
    "      #% if node.disk.startswith('/') %#",
    '      installDisk: "#{ node.disk }#"',
    '      #% else %#',
    '      installDiskSelector: { serial: "#{ node.disk }#" }',
    '      #% endif %#',
    '      networkInterfaces:',
    '        - deviceSelector: { hardwareAddr: "#{ node.mac_addr }#" }',
    '          addresses: ["#{ node.address }#/#{ prefix }#"]',
    '          routes: [{ network: 0.0.0.0/0, gateway: "#{ node_default_gateway }#" }]',
    '          mtu: #{ node.mtu | default(1500) }#',
    '          #% if node.controller %#',
    '          vip: { ip: "#{ cluster_api_addr }#" }',
    '          #% endif %#',
    `      labels: { index: "#{ loop.index }#", total: "#{ loop.length }#", gateway: "#{ node_cidr | nthhost(${n % 200 + 1}) }#" }`,
    '    #% endfor %#',
    `  pods: "#{ cluster_pod_cidr }#"`,
    `  services: "#{ cluster_svc_cidr ~ '' }#"`,
  ];
  const body = [...head];
  for (let n = 0; body.length + 25 <= lines; n++) body.push(...section(n));
  while (body.length < lines) body.push(`# padding line ${body.length}`);
  return body.join('\n') + '\n';
}
