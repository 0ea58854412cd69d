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
import { ms, summarize, table, parseRoundOptions } from './stats.mjs';
import { generateTemplateWorkspace, TEMPLATE_COUNT } from './templateWorkspace.mjs';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const workDir = join(repoRoot, 'bench', '.work');
const workspace = join(workDir, 'templates-workspace');
const options = parseRoundOptions(process.argv.slice(2), { iterations: 200, warmup: 20 });

const out = join(repoRoot, 'out', 'server', 'src');
compile();
const require = createRequire(import.meta.url);
const { parseTemplate } = require(join(out, 'services', 'jinja', 'parser.js'));
const { collectTemplateProblems } = require(join(out, 'services', 'jinja', 'templateDiagnostics.js'));
const { TemplateIndex } = require(join(out, 'workspace', 'templateIndex.js'));
const { loadTemplateWorkspace } = require(join(out, 'workspace', 'templateWorkspace.js'));
const { ConfigFileStore } = require(join(out, 'workspace', 'configFiles.js'));
const { nodeFileReader } = require(join(out, 'host', 'fileReader.js'));

const generated = generateTemplateWorkspace(workspace, repoRoot);
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


// ---------------------------------------------------------------------------------------------
// The generated workspace: deterministic, shaped like a large cluster-template fork.
