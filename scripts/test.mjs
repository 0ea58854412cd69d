// Runs the test layers with Node's test runner: unit (compiled services), protocol (the bundled
// server over stdio) and e2e (the packaged extension in code-server). `npm test` runs all three.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const layers = process.argv.slice(2);
const wanted = layers.length ? layers : ['unit', 'protocol', 'e2e'];

function run(cmd, args, opts = {}) {
  const result = spawnSync(cmd, args, { stdio: 'inherit', ...opts });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

function testFiles(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) out.push(...testFiles(full));
    else if (name.endsWith('.test.js')) out.push(full);
  }
  return out.sort();
}

run('npx', ['tsc', '-p', 'test/tsconfig.json']);
if (wanted.includes('protocol') || wanted.includes('e2e')) run('node', ['esbuild.mjs']);
if (wanted.includes('e2e')) run('node', ['scripts/prepare-e2e.mjs']);

const files = wanted.flatMap((layer) => testFiles(join('out', 'test', layer)));
if (files.length === 0) {
  console.error('no test files found for', wanted.join(', '));
  process.exit(1);
}
// One process, sequential files: e2e tests start code-server and must not overlap.
run('node', ['--test', '--test-concurrency=1', '--enable-source-maps', ...files]);
