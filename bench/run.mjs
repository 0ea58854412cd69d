// `npm run bench`: compares our bundled server with yaml-language-server over stdio on a generated
// fork-sized workspace (edit→diagnostics, completion, hover, memory) and prints the ratios.
// A benchmark, not a test: it reports against the targets of issue 2 and fails only when it cannot measure.
//
// Options: --iterations=N (timed rounds per measurement, default 60), --warmup=N (default 10),
//          --server=ours|yaml-language-server|both (default both).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { generateWorkspace, TARGET_APP } from './generate.mjs';
import { mb, ms, ratio, summarize, table } from './stats.mjs';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const workDir = join(repoRoot, 'bench', '.work');
const options = parseOptions(process.argv.slice(2));

compileClient();
const { LspClient, fileUri } = createRequire(import.meta.url)(join(repoRoot, 'out', 'test', 'support', 'lspClient.js'));

const generated = generateWorkspace(workDir);
console.log(
  `workspace: ${generated.workspace}\n  cluster.yaml ${(generated.clusterYamlBytes / 1024).toFixed(1)} KiB, ` +
    `${generated.activeKeys} active keys, ${generated.declaredKeys} keys declared by the CUE schema and the JSON schema\n` +
    `  ${options.iterations} timed rounds after ${options.warmup} warm-up rounds per measurement\n`,
);

const serverNodeFlags = JSON.parse(readFileSync(join(repoRoot, 'server', 'nodeFlags.json'), 'utf8'));

const servers = [
  {
    name: 'ours',
    // Started as the extension starts it: with the Node flags from server/nodeFlags.json.
    command: { command: process.execPath, args: [...serverNodeFlags, join(repoRoot, 'dist', 'server.js'), '--stdio'], cwd: repoRoot },
    versionMatching: 'version',
    settings: {},
    async prepare(client) {
      const ready = await client.waitForNotification('clusterTemplate/ready', () => true, 30_000);
      const notes = ready.params?.notes ?? [];
      return [`ready: workspaceSchema=${ready.params?.workspaceSchema}, ${notes.length} notes`, ...notes.map((note) => `    note: ${note}`)].join('\n');
    },
  },
  {
    name: 'yaml-language-server',
    command: {
      command: process.execPath,
      args: [join(repoRoot, 'node_modules', 'yaml-language-server', 'bin', 'yaml-language-server'), '--stdio'],
      cwd: repoRoot,
    },
    // It publishes without a version and debounces validation by 200 ms per document: the first
    // publish after a change is that change's, as long as only one change is in flight (see measure()).
    versionMatching: 'first-after-change',
    settings: yamlLanguageServerSettings(),
    async prepare(client) {
      // It pulls its settings (workspace/configuration) after `initialized` and again after every
      // didChangeConfiguration; documents are opened only once the pull with our schemas is answered,
      // so no re-validation caused by a late settings change lands inside the measurements.
      await client.waitForConfigurationRequests(0, 30_000);
      const before = client.configurationRequestCount();
      await client.changeConfiguration(yamlLanguageServerSettings());
      await client.waitForConfigurationRequests(before, 30_000);
      await new Promise((resolve) => setImmediate(resolve));
      return 'settings pulled: yaml.validate=true, yaml.schemas → cluster.yaml, nodes.yaml';
    },
  },
].filter((server) => options.server === 'both' || options.server === server.name);

const results = {};
for (const server of servers) {
  console.log(`measuring ${server.name} …`);
  try {
    results[server.name] = await measure(server);
    const r = results[server.name];
    console.log(`  ${r.prepared}`);
    console.log(
      `  first diagnostics after open: ${ms(r.openMs)} (${r.initialDiagnostics.length} diagnostics${r.initialDiagnostics.length ? ': ' + r.initialDiagnostics.slice(0, 3).join(' | ') : ''})`,
    );
    console.log(`  schema applied (an enum typo is flagged): ${r.schemaCatchesTypo ? 'yes' : 'NO'}`);
    console.log(`  completion items at the empty line: ${r.completionItems}; hover: ${r.hoverChars} characters`);
    if (r.extraPublishes) console.log(`  WARNING: ${r.extraPublishes} publishes that belong to no edit arrived during the edit loop`);
  } catch (error) {
    console.log(`  FAILED: ${error instanceof Error ? error.message : error}`);
    results[server.name] = { error: String(error instanceof Error ? error.message : error) };
  }
}

report(results);

async function measure(server) {
  const client = await LspClient.start({
    server: server.command,
    workspaceFolder: generated.workspace,
    settings: server.settings,
    versionMatching: server.versionMatching,
    timeoutMs: 30_000,
  });
  try {
    const prepared = await server.prepare(client);
    const clusterUri = client.uri('cluster.yaml');
    const nodesUri = client.uri('nodes.yaml');
    const opened = await client.open(clusterUri);
    await client.open(nodesUri);
    const first = await client.waitForDiagnostics(clusterUri, opened.version);
    const initialDiagnostics = first.params.diagnostics.map((d) => `${d.code ?? ''} ${typeof d.message === 'string' ? d.message : d.message.value}`.trim());
    await client.waitForDiagnostics(nodesUri, 1);
    const afterOpen = client.memory();

    // Prove the schema is in use: "info" → "infx" breaks an enum of the fork's keys, then undo it.
    const text = client.text(clusterUri);
    const logLevelAt = indexAfter(text, `\n${TARGET_APP}_log_level: "inf`);
    const typo = await client.replace(clusterUri, logLevelAt, logLevelAt + 1, 'x');
    const withTypo = await client.waitForDiagnostics(clusterUri, typo.version);
    const undo = await client.replace(clusterUri, logLevelAt, logLevelAt + 1, 'o');
    await client.waitForDiagnostics(clusterUri, undo.version);
    const schemaCatchesTypo = withTypo.params.diagnostics.length > first.params.diagnostics.length;

    // Edit → diagnostics: a one-character edit of a value (the first letter of a hostname),
    // alternating so every change differs from the text before it. Each round waits for its
    // publish before the next edit, so exactly one publish is pending at any time.
    const hostnameAt = indexAfter(text, `\n${TARGET_APP}_hostname: "`);
    const letters = [text[hostnameAt] === 'w' ? 'x' : 'w', text[hostnameAt]];
    const editSamples = [];
    const publishesBefore = client.publishesFor(clusterUri).length;
    const rounds = options.warmup + options.iterations;
    for (let round = 0; round < rounds; round++) {
      const change = await client.replace(clusterUri, hostnameAt, hostnameAt + 1, letters[round % 2]);
      const published = await client.waitForDiagnostics(clusterUri, change.version);
      if (round >= options.warmup) editSamples.push(published.receivedAt - change.sentAt);
    }
    // Any publish beyond one per edit would mean a wrong pairing for yaml-language-server.
    await new Promise((resolve) => setTimeout(resolve, 400));
    const extraPublishes = client.publishesFor(clusterUri).length - publishesBefore - rounds;

    // Completion on an empty line between two top-level keys, in the middle of the file.
    const current = client.text(clusterUri);
    // The generator puts an empty line before each app's three-line banner.
    const bannerTitleLine = current.split('\n').findIndex((line) => line.startsWith('# ') && line.endsWith(`/apps/${TARGET_APP.replaceAll('_', '-')}`));
    const emptyLine = bannerTitleLine - 2;
    if (bannerTitleLine < 0 || lineText(current, emptyLine) !== '') throw new Error(`line ${emptyLine} is not empty`);
    const completionSamples = [];
    let completionItems = 0;
    for (let round = 0; round < rounds; round++) {
      const start = performance.now();
      const items = await client.completion(clusterUri, { line: emptyLine, character: 0 });
      if (round >= options.warmup) completionSamples.push(performance.now() - start);
      completionItems = items.length;
    }

    // Hover on a key in the middle of the file.
    const versionKeyAt = current.indexOf(`\n${TARGET_APP}_version:`) + 3;
    const hoverPosition = client.positionAt(clusterUri, versionKeyAt);
    const hoverSamples = [];
    let hoverChars = 0;
    for (let round = 0; round < rounds; round++) {
      const start = performance.now();
      const hover = await client.hover(clusterUri, hoverPosition);
      if (round >= options.warmup) hoverSamples.push(performance.now() - start);
      hoverChars = hoverLength(hover);
    }

    const memory = client.memory();
    const exit = await client.shutdown(10_000);
    return {
      prepared,
      openMs: first.receivedAt - opened.sentAt,
      initialDiagnostics,
      schemaCatchesTypo,
      extraPublishes,
      edit: summarize(editSamples),
      completion: summarize(completionSamples),
      hover: summarize(hoverSamples),
      completionItems,
      hoverChars,
      rssAfterOpenBytes: afterOpen.rssBytes,
      rssBytes: memory.rssBytes,
      peakRssBytes: memory.peakRssBytes,
      exit,
    };
  } finally {
    client.dispose();
  }
}

function report(all) {
  const ours = all.ours && !all.ours.error ? all.ours : undefined;
  const theirs = all['yaml-language-server'] && !all['yaml-language-server'].error ? all['yaml-language-server'] : undefined;
  const divide = (a, b) => (a !== undefined && b !== undefined && b > 0 ? a / b : undefined);
  const row = (label, pick, format) => [label, format(ours && pick(ours)), format(theirs && pick(theirs)), ratio(divide(theirs && pick(theirs), ours && pick(ours)))];
  console.log('\n' + table(['', 'ours', 'yaml-language-server', 'yaml-ls / ours'], [
    row('edit → diagnostics, median', (r) => r.edit.median, ms),
    row('edit → diagnostics, p95', (r) => r.edit.p95, ms),
    row('completion, median', (r) => r.completion.median, ms),
    row('completion, p95', (r) => r.completion.p95, ms),
    row('hover, median', (r) => r.hover.median, ms),
    row('hover, p95', (r) => r.hover.p95, ms),
    row('RSS after open', (r) => r.rssAfterOpenBytes, mb),
    row('RSS after the runs', (r) => r.rssBytes, mb),
    row('peak RSS', (r) => r.peakRssBytes, mb),
  ]));

  if (ours) {
    const targets = [
      ['edit → diagnostics median ≥ 8× faster', divide(theirs?.edit.median, ours.edit.median), (v) => v >= 8, ratio],
      ['edit → diagnostics p95 < 25 ms', ours.edit.p95, (v) => v < 25, ms],
      ['completion median no slower', divide(theirs?.completion.median, ours.completion.median), (v) => v >= 1, ratio],
      ['hover median no slower', divide(theirs?.hover.median, ours.hover.median), (v) => v >= 1, ratio],
      ['RSS < 80 MB', ours.rssBytes, (v) => v < 80 * 1024 * 1024, mb],
    ];
    console.log('\n' + table(['target', 'value', ''], targets.map(([label, value, ok, format]) => [label, format(value), value === undefined ? 'n/a' : ok(value) ? 'met' : 'MISSED'])));
  }

  mkdirSync(workDir, { recursive: true });
  const file = join(workDir, 'results.json');
  writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), node: process.version, options, generated, results: all }, null, 2) + '\n');
  console.log(`\nraw numbers: ${file}`);
  if (Object.values(all).some((r) => r.error)) process.exitCode = 1;
}

function yamlLanguageServerSettings() {
  return {
    yaml: {
      validate: true,
      hover: true,
      completion: true,
      format: { enable: false },
      // Both stores would fetch catalogs from the network; the comparison uses only our schemas.
      schemaStore: { enable: false },
      kubernetesCRDStore: { enable: false },
      // Absolute paths, not `**/cluster.yaml`: its globs never match inside a dot folder such as
      // bench/.work (wildcards skip dot segments), which would silently leave the file schemaless.
      schemas: {
        [fileUri(generated.clusterSchemaPath)]: [join(generated.workspace, 'cluster.yaml')],
        [fileUri(generated.nodesSchemaPath)]: [join(generated.workspace, 'nodes.yaml')],
      },
    },
    http: { proxy: '', proxyStrictSSL: false },
    '[yaml]': {},
    editor: {},
  };
}

function compileClient() {
  // Only the client (test/support) is compiled here, so the benchmark does not depend on the
  // rest of the test tree type-checking.
  const result = spawnSync('npx', ['tsc', '-p', 'bench/tsconfig.json'], { cwd: repoRoot, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error('could not compile test/support/lspClient.ts');
    process.exit(result.status ?? 1);
  }
  if (!existsSync(join(repoRoot, 'dist', 'server.js')) && (options.server === 'both' || options.server === 'ours')) {
    console.error('dist/server.js is missing: run `node esbuild.mjs` (npm run bench does it first)');
    process.exit(1);
  }
}

function parseOptions(args) {
  const parsed = { iterations: 60, warmup: 10, server: 'both' };
  for (const arg of args) {
    const match = /^--(iterations|warmup|server)=(.+)$/.exec(arg);
    if (!match) throw new Error(`unknown option ${arg}`);
    parsed[match[1]] = match[1] === 'server' ? match[2] : Number(match[2]);
  }
  if (!['both', 'ours', 'yaml-language-server'].includes(parsed.server)) throw new Error(`--server must be ours, yaml-language-server or both`);
  if (!(parsed.iterations >= 1) || !(parsed.warmup >= 0)) throw new Error('--iterations must be ≥ 1 and --warmup ≥ 0');
  return parsed;
}

function indexAfter(text, needle) {
  const at = text.indexOf(needle);
  if (at < 0) throw new Error(`generated cluster.yaml lacks ${JSON.stringify(needle)}`);
  return at + needle.length;
}

function lineText(text, line) {
  return text.split('\n')[line];
}

function hoverLength(hover) {
  if (!hover) return 0;
  const parts = Array.isArray(hover.contents) ? hover.contents : [hover.contents];
  return parts.reduce((n, part) => n + (typeof part === 'string' ? part.length : part.value.length), 0);
}
