// `npm run bench` (third part): the rendering targets of issue 4 on the generated workspace of
// about 350 templates: the full render as a process (`dist/cli.js render --out`) against the
// Jinja2 reference script (Debian's python3-jinja2 through our makejinja-compatible script), a warm
// full re-render in-process (what the server does for "Render Templates") and the re-render of one
// template for the live preview. A benchmark, not a test: it fails only when it cannot measure.
//
// Options: --process-runs=N (default 10), --iterations=N (in-process rounds, default 100).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { ms, ratio, summarize, table } from './stats.mjs';
import { generateTemplateWorkspace } from './templateWorkspace.mjs';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const workDir = join(repoRoot, 'bench', '.work');
const workspace = join(workDir, 'render-workspace');
const options = parseOptions(process.argv.slice(2));
const REFERENCE_PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const REFERENCE_SCRIPT = join(repoRoot, 'test', 'support', 'makejinja_reference.py');
const CLI = join(repoRoot, 'dist', 'cli.js');

if (!existsSync(CLI)) fail('dist/cli.js is missing: run `node esbuild.mjs --production` first (npm run bench does)');
const out = join(repoRoot, 'out', 'server', 'src');
compile();
const require = createRequire(import.meta.url);
const { WorkspaceRenderer } = require(join(out, 'engines', 'render', 'workspaceRender.js'));
const { nodeFileReader } = require(join(out, 'host', 'fileReader.js'));

const generated = generateTemplateWorkspace(workspace, repoRoot);
const templateCount = countFiles(join(workspace, 'templates', 'config'), (name) => name.endsWith('.j2'));
console.log(`\nrender: ${workspace}\n  ${templateCount} templates, ${generated.totalLines} lines; ${options.processRuns} process runs each, ${options.iterations} in-process rounds\n`);

// 1. Full render as a process, ours against the reference, alternating so both see the same machine state.
const ourOut = join(workDir, 'render-ours');
const referenceOut = join(workDir, 'render-reference');
const ourSamples = [];
const referenceSamples = [];
// Both write every file into an empty folder each time (removed before the clock starts), so both do
// the same work; ours also fsyncs each file before renaming it into place.
for (let i = 0; i < options.processRuns; i++) {
  rmSync(ourOut, { recursive: true, force: true });
  ourSamples.push(timeProcess(process.execPath, [CLI, 'render', workspace, '--out', ourOut]));
  rmSync(referenceOut, { recursive: true, force: true });
  referenceSamples.push(timeProcess(REFERENCE_PYTHON, [REFERENCE_SCRIPT, workspace, '--out', referenceOut]));
}
const differences = compareTrees(referenceOut, ourOut);
const ours = summarize(ourSamples);
const reference = summarize(referenceSamples);

// 2. Warm full re-render in-process, and 3. one template for the preview as the user types.
const env = Object.fromEntries(Object.entries(process.env).filter(([, value]) => value !== undefined));
const renderer = new WorkspaceRenderer(workspace, nodeFileReader, { env, derivedData: 'static' });
const firstPlan = await timeAsync(() => renderer.plan());
const plan = await renderer.plan();
if (plan.errors.length > 0) fail(`the generated workspace does not render: ${plan.errors[0].message}`);
const fullSamples = [];
for (let i = 0; i < Math.max(5, options.iterations / 4); i++) await renderer.plan();
for (let i = 0; i < options.iterations; i++) fullSamples.push(await timeAsync(() => renderer.plan()));
const full = summarize(fullSamples);

const previewPath = join(workspace, 'templates', 'config', generated.changedTemplate);
const largePath = join(workspace, 'templates', 'config', 'talos', 'talconfig.yaml.j2');
const preview = await previewSamples(previewPath, (text, i) => text.replace('TZ: Etc/UTC', `TZ: Etc/UTC${i % 10}`));
const largePreview = await previewSamples(largePath, (text, i) => text.replace('clusterName: kubernetes', `clusterName: kubernetes${i % 10}`));

console.log(
  table(
    ['', 'median', 'p95', 'min', 'max'],
    [
      row(`full render into an empty folder, process: ours (node dist/cli.js render)`, ours),
      row(`full render into an empty folder, process: Jinja2 reference (python3)`, reference),
      ['full render, in-process, first (cold load)', ms(firstPlan), '', '', ''],
      row(`full re-render, in-process, warm (${plan.files.length} files)`, full),
      row('preview re-render, one app template (edited text)', preview),
      row(`preview re-render, ${generated.largeLines}-line template (edited text)`, largePreview),
    ],
  ),
);
const speedup = reference.median / ours.median;
console.log(`  process ratio (reference median / ours median): ${ratio(speedup)}; outputs ${differences.length === 0 ? 'byte-identical' : `DIFFER in ${differences.length} file(s): ${differences.slice(0, 5).join(', ')}`}`);
const targets = [
  ['process render ≥ 3× faster than the reference (medians)', ratio(speedup), speedup >= 3],
  ['warm full re-render < 50 ms (median)', ms(full.median), full.median < 50],
  ['preview re-render < 5 ms (median, app template)', ms(preview.median), preview.median < 5],
  ['preview re-render < 5 ms (median, large template)', ms(largePreview.median), largePreview.median < 5],
];
console.log('\n' + table(['target', 'value', ''], targets.map(([label, value, ok]) => [label, value, ok ? 'met' : 'MISSED'])));

mkdirSync(workDir, { recursive: true });
const file = join(workDir, 'render-results.json');
writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), node: process.version, options, templates: templateCount, ours, reference, speedup, firstPlanMs: firstPlan, full, preview, largePreview, differences }, null, 2) + '\n');
console.log(`\nraw numbers: ${file}`);

async function previewSamples(filePath, edit) {
  const original = readFileSync(filePath, 'utf8');
  const variants = Array.from({ length: 10 }, (_, i) => edit(original, i));
  if (variants[0] === original) fail(`${relative(workspace, filePath)} has nothing to edit`);
  for (let i = 0; i < 20; i++) await renderer.preview(filePath, variants[i % variants.length]);
  const samples = [];
  for (let i = 0; i < options.iterations; i++) {
    const text = variants[i % variants.length];
    samples.push(
      await timeAsync(async () => {
        const result = await renderer.preview(filePath, text);
        if (result.text === undefined) fail(`preview failed: ${result.problem?.message}`);
      }),
    );
  }
  return summarize(samples);
}

function timeProcess(command, args) {
  const start = performance.now();
  const result = spawnSync(command, args, { cwd: repoRoot, encoding: 'utf8' });
  const elapsed = performance.now() - start;
  if (result.status !== 0) fail(`${command} ${args.join(' ')} failed:\n${result.stderr}`);
  return elapsed;
}

async function timeAsync(action) {
  const start = performance.now();
  await action();
  return performance.now() - start;
}

function compareTrees(expectedRoot, actualRoot) {
  const expected = listFiles(expectedRoot);
  const actual = listFiles(actualRoot);
  const differing = [];
  for (const path of new Set([...expected, ...actual])) {
    const a = existsSync(join(expectedRoot, path)) ? readFileSync(join(expectedRoot, path)) : undefined;
    const b = existsSync(join(actualRoot, path)) ? readFileSync(join(actualRoot, path)) : undefined;
    if (!a || !b || !a.equals(b)) differing.push(path);
  }
  return differing;
}

function listFiles(root, prefix = '') {
  if (!existsSync(root)) return [];
  const files = [];
  for (const name of readdirSync(join(root, prefix))) {
    const path = join(prefix, name);
    if (statSync(join(root, path)).isDirectory()) files.push(...listFiles(root, path));
    else files.push(path);
  }
  return files;
}

function countFiles(folder, accept) {
  return listFiles(folder).filter((path) => accept(path)).length;
}

function row(label, summary) {
  return [label, ms(summary.median), ms(summary.p95), ms(summary.min), ms(summary.max)];
}

function compile() {
  // Type errors elsewhere must not stop the measurement: tsc still writes every file.
  const result = spawnSync('npx', ['tsc', '-p', 'test/tsconfig.json'], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
  const needed = ['engines/render/workspaceRender.js', 'host/fileReader.js'];
  const missing = needed.filter((name) => !existsSync(join(out, name)));
  if (missing.length > 0) fail(`could not compile: ${missing.join(', ')} missing\n${result.stdout}`);
}

function parseOptions(args) {
  const parsed = { processRuns: 10, iterations: 100 };
  for (const arg of args) {
    const match = /^--(process-runs|iterations)=(\d+)$/.exec(arg);
    if (!match) fail(`unknown option ${arg}`);
    parsed[match[1] === 'process-runs' ? 'processRuns' : 'iterations'] = Number(match[2]);
  }
  return parsed;
}

function fail(message) {
  console.error(message);
  process.exit(1);
}


