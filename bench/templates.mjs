// `npm run bench` (second part): the template targets of issue 3, measured in-process on generated
// inputs: diagnostics of a 500-line template, and the workspace index of 350 templates (cold build,
// update after one template changes). A benchmark, not a test: it fails only when it cannot measure.
//
// Options: --iterations=N (timed rounds per measurement, default 200; the cold build uses N/10),
//          --warmup=N (default 20).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { ms, summarize, table } from './stats.mjs';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const workDir = join(repoRoot, 'bench', '.work');
const workspace = join(workDir, 'templates-workspace');
const options = parseOptions(process.argv.slice(2));
const TEMPLATE_COUNT = 350;
const LARGE_TEMPLATE_LINES = 500;

const out = join(repoRoot, 'out', 'server', 'src');
compile();
const require = createRequire(import.meta.url);
const { parseTemplate } = require(join(out, 'services', 'jinja', 'parser.js'));
const { collectTemplateProblems } = require(join(out, 'services', 'jinja', 'templateDiagnostics.js'));
const { TemplateIndex } = require(join(out, 'workspace', 'templateIndex.js'));
const { loadTemplateWorkspace } = require(join(out, 'workspace', 'templateWorkspace.js'));
const { ConfigFileStore } = require(join(out, 'workspace', 'configFiles.js'));
const { nodeFileReader } = require(join(out, 'host', 'fileReader.js'));

const generated = generateWorkspace();
const configs = new ConfigFileStore(nodeFileReader, () => ({ useWorkspaceSchema: true }));
const check = await configs.checkRoot(workspace, { get: () => undefined });
const loaded = await loadTemplateWorkspace(workspace, nodeFileReader, check);
console.log(
  `\ntemplates: ${workspace}\n  ${loaded.templates.size} templates, ${generated.totalLines} lines, ${(generated.totalBytes / 1024).toFixed(0)} KiB; ` +
    `large template ${generated.largeLines} lines, ${(generated.largeText.length / 1024).toFixed(1)} KiB\n` +
    `  ${options.iterations} timed rounds after ${options.warmup} warm-up rounds (cold build: ${coldRounds()} rounds)\n`,
);
if (loaded.templates.size !== TEMPLATE_COUNT) throw new Error(`expected ${TEMPLATE_COUNT} templates, the loader found ${loaded.templates.size}`);

// Diagnostics of one large template: what the server does on every edit of it.
const largeProblems = collectTemplateProblems(parseTemplate(generated.largeText, loaded.syntax), loaded.context);
if (largeProblems.length > 0) {
  // The generated template is meant to be correct: problems would mean it measures the wrong thing.
  console.log(`  WARNING: the large template has ${largeProblems.length} problems, e.g. ${largeProblems.slice(0, 3).map((p) => p.message).join(' | ')}`);
}
const diagnostics = timed(options.warmup, options.iterations, () => collectTemplateProblems(parseTemplate(generated.largeText, loaded.syntax), loaded.context));

// Cold index build: a new index reading and parsing every template and plugin.py. The very first
// build in this process also pays for compiling the code paths, so it is reported on its own.
const pluginPath = loaded.plugin?.filePath;
const first = await timeAsync(() => new TemplateIndex(loaded.syntax).build(loaded.templates, nodeFileReader, pluginPath));
const build = summarize(await timedAsync(coldRounds(), () => new TemplateIndex(loaded.syntax).build(loaded.templates, nodeFileReader, pluginPath)));

// Update after one template changes: alternate one mid-sized template between two texts.
const index = new TemplateIndex(loaded.syntax);
await index.build(loaded.templates, nodeFileReader, pluginPath);
const changedPath = loaded.templates.get(generated.changedTemplate);
const original = index.textOf(changedPath);
const variants = [original.replace('#{ cluster_gateway_addr }#', '#{ cluster_dns_gateway_addr }#'), original];
if (variants[0] === variants[1]) throw new Error(`${generated.changedTemplate} has nothing to change`);
let round = 0;
const update = timed(options.warmup, options.iterations, () => index.update(changedPath, variants[round++ % 2]));
const usedAfter = index.usedNames().size;

console.log(
  table(
    ['', 'median', 'p95', 'min', 'max'],
    [
      row(`diagnostics, ${generated.largeLines}-line template`, diagnostics),
      ['index build, first in process', ms(first), '', '', ''],
      row(`index build, cold (${TEMPLATE_COUNT} templates)`, build),
      row('index update, one template', update),
    ],
  ),
);
console.log(`  index: ${usedAfter} used names; the large template has ${largeProblems.length} problems`);
const targets = [
  ['diagnostics median < 5 ms', diagnostics.median, (v) => v < 5],
  ['index build < 500 ms (median of cold builds)', build.median, (v) => v < 500],
  ['index build < 500 ms (first in process)', first, (v) => v < 500],
  ['index update < 10 ms (p95)', update.p95, (v) => v < 10],
];
console.log('\n' + table(['target', 'value', ''], targets.map(([label, value, ok]) => [label, ms(value), ok(value) ? 'met' : 'MISSED'])));

mkdirSync(workDir, { recursive: true });
const file = join(workDir, 'templates-results.json');
writeFileSync(
  file,
  JSON.stringify({ date: new Date().toISOString(), node: process.version, options, templates: loaded.templates.size, diagnostics, firstBuildMs: first, build, update }, null, 2) + '\n',
);
console.log(`\nraw numbers: ${file}`);

function row(label, summary) {
  return [label, ms(summary.median), ms(summary.p95), ms(summary.min), ms(summary.max)];
}

function coldRounds() {
  return Math.max(5, Math.round(options.iterations / 10));
}

function timed(warmup, iterations, action) {
  for (let i = 0; i < warmup; i++) action();
  const samples = [];
  for (let i = 0; i < iterations; i++) {
    const start = performance.now();
    action();
    samples.push(performance.now() - start);
  }
  return summarize(samples);
}

async function timeAsync(action) {
  const start = performance.now();
  await action();
  return performance.now() - start;
}

async function timedAsync(iterations, action) {
  const samples = [];
  for (let i = 0; i < iterations; i++) samples.push(await timeAsync(action));
  return samples;
}

function compile() {
  // The whole tree is compiled (the services, the workspace and their imports). Type errors in
  // files this benchmark does not load must not stop it: tsc still writes every file.
  const result = spawnSync('npx', ['tsc', '-p', 'test/tsconfig.json'], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
  const needed = ['services/jinja/parser.js', 'services/jinja/templateDiagnostics.js', 'workspace/templateIndex.js', 'workspace/templateWorkspace.js'];
  const missing = needed.filter((file) => !existsSync(join(out, file)));
  if (missing.length > 0) {
    process.stdout.write(result.stdout ?? '');
    console.error(`could not compile: ${missing.join(', ')} missing`);
    process.exit(1);
  }
  if (result.status !== 0) console.log(`note: tsc reported type errors (${(result.stdout.match(/error TS/g) ?? []).length}); measuring the emitted code`);
}

function parseOptions(args) {
  const parsed = { iterations: 200, warmup: 20 };
  for (const arg of args) {
    const match = /^--(iterations|warmup)=(\d+)$/.exec(arg);
    if (!match) throw new Error(`unknown option ${arg}`);
    parsed[match[1]] = Number(match[2]);
  }
  if (!(parsed.iterations >= 1)) throw new Error('--iterations must be ≥ 1');
  return parsed;
}

// ---------------------------------------------------------------------------------------------
// The generated workspace: deterministic, shaped like a large cluster-template fork.

function generateWorkspace() {
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
