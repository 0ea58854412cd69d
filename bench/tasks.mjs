// `npm run bench` (remaining-work part). Issue 6 names no targets; these are the numbers a user
// feels: how long the Remaining Work tree takes to read every item's state on the example workspace
// (cold: a new renderer, as after a restart; warm: the renderer kept, as on each refresh), and the
// `status` command as a process. A benchmark, not a test: it fails only when it cannot measure.
//
// Options: --iterations=N (timed rounds, default 50), --warmup=N (default 5).
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { ms, summarize, table, parseRoundOptions } from './stats.mjs';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const options = parseRoundOptions(process.argv.slice(2), { iterations: 50, warmup: 5 });
const out = join(repoRoot, 'out', 'server', 'src');
compile();
const require = createRequire(import.meta.url);
const { CATALOG } = require(join(out, 'engines', 'tasks', 'catalog.js'));
const { readWorkItems } = require(join(out, 'engines', 'tasks', 'itemState.js'));
const { readWorkspaceShape } = require(join(out, 'engines', 'tasks', 'stateContext.js'));
const { WorkspaceRenderer } = require(join(out, 'engines', 'render', 'workspaceRender.js'));
const { nodeFileReader } = require(join(out, 'host', 'fileReader.js'));
const { ageKeyFileText, generateAgeKeyPair } = require(join(out, 'engines', 'sops', 'ageKey.js'));

const scratch = mkdtempSync(join(tmpdir(), 'ctt-bench-tasks-'));
const root = join(scratch, 'example');
cpSync(join(repoRoot, 'example'), root, { recursive: true });
writeFileSync(join(root, 'age.key'), ageKeyFileText(generateAgeKeyPair(), new Date()));

async function readStates(renderer) {
  const shape = await readWorkspaceShape(root, {
    reader: nodeFileReader,
    renderText: async (templatePath, text) => {
      const rendered = await renderer.preview(templatePath, text);
      return rendered.problem ? { error: rendered.problem.message } : { text: rendered.text ?? '' };
    },
    stepResults: {},
    isOnPath: () => false,
  });
  return readWorkItems(CATALOG, shape.context);
}

const newRenderer = () => new WorkspaceRenderer(root, nodeFileReader, { env: {}, derivedData: 'static' });
const first = await readStates(newRenderer());
const states = first.map((item) => `${item.id}=${item.state}`).join(' ');
if (first.length !== CATALOG.items.length) fail('not every item was read');

async function time(label, body) {
  for (let i = 0; i < options.warmup; i++) await body();
  const samples = [];
  for (let i = 0; i < options.iterations; i++) {
    const started = performance.now();
    await body();
    samples.push(performance.now() - started);
  }
  return [label, summarize(samples)];
}

const warmRenderer = newRenderer();
const rows = [
  await time(`all ${CATALOG.items.length} item states, cold renderer`, () => readStates(newRenderer())),
  await time(`all ${CATALOG.items.length} item states, warm renderer (tree refresh)`, () => readStates(warmRenderer)),
];
const cli = join(repoRoot, 'dist', 'cli.js');
if (existsSync(cli)) {
  const env = { ...process.env, CLUSTER_TEMPLATE_TOOLS_STATE_DIR: join(scratch, 'state') };
  rows.push(
    await time('`node dist/cli.js status <example> --json` (process)', async () => {
      const run = spawnSync(process.execPath, [cli, 'status', root, '--json'], { env, encoding: 'utf8' });
      if (run.status !== 0) fail(`status failed: ${run.stderr}`);
    }),
  );
}
rmSync(scratch, { recursive: true, force: true });

console.log('\nRemaining work (example workspace, seed shape)');
console.log(`states: ${states}\n`);
console.log(table(['measurement', 'median', 'p95', 'n'], rows.map(([label, s]) => [label, ms(s.median), ms(s.p95), String(s.n)])));

function compile() {
  const result = spawnSync('npx', ['tsc', '-p', 'test/tsconfig.json'], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
  if (!existsSync(join(out, 'engines', 'tasks', 'itemState.js'))) {
    process.stdout.write(result.stdout ?? '');
    fail('could not compile the task engine');
  }
  if (result.status !== 0) console.log(`note: tsc reported type errors (${(result.stdout.match(/error TS/g) ?? []).length}); measuring the emitted code`);
}


function fail(message) {
  console.error(`bench/tasks.mjs: ${message}`);
  process.exit(1);
}
