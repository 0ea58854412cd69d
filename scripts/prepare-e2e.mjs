// Gets everything the real-editor tests need before they run: a .vsix no older than the sources
// it is built from, and code-server plus chromium. Called by scripts/test.mjs; runs nothing else.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const vsix = join(root, 'dist', 'cluster-template-tools.vsix');
// Everything that ends up in the .vsix or decides what goes into it.
const packagedSources = [
  'client/src', 'server/src', 'schemas', 'syntaxes', 'snippets', 'images',
  'package.json', 'esbuild.mjs', '.vscodeignore', 'README.md', 'LICENSE', 'CHANGELOG.md',
];

function newestChange(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs; // a deleted file only shows as a newer folder
  for (const name of readdirSync(path)) newest = Math.max(newest, newestChange(join(path, name)));
  return newest;
}

function run(command, args) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`prepare-e2e: ${command} ${args.join(' ')} failed`);
    process.exit(result.status ?? 1);
  }
}

const sourcesChanged = Math.max(...packagedSources.map((path) => newestChange(join(root, path))));
if (!existsSync(vsix) || statSync(vsix).mtimeMs < sourcesChanged) {
  console.log('prepare-e2e: packaging the extension (the .vsix is missing or older than its sources)');
  run('npm', ['run', 'package']);
}
run('bash', [join(root, 'scripts', 'install-code-server.sh')]);
