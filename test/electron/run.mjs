// `npm run test:electron`: runs test/electron/suite inside desktop VS Code through
// @vscode/test-electron, on the minimum supported version and on stable. It downloads VS Code,
// so it cannot run on a machine without internet; `npm test` uses code-server instead.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runTests } from '@vscode/test-electron';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
// Override with e.g. VSCODE_VERSIONS=insiders or VSCODE_VERSIONS=1.100.0.
const versions = (process.env.VSCODE_VERSIONS ?? '1.100.0,stable').split(',').map((v) => v.trim());

function run(command, args) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

// The suite is compiled TypeScript; the extension runs from its development bundles in dist/.
run('npx', ['tsc', '-p', 'test/tsconfig.json']);
run('node', ['esbuild.mjs']);

let failed = false;
for (const version of versions) {
  // The suite edits files, so each run gets its own copy of the example workspace.
  const scratch = mkdtempSync(join(tmpdir(), 'ctt-electron-'));
  const workspace = join(scratch, 'example');
  cpSync(join(root, 'example'), workspace, { recursive: true });
  try {
    console.log(`test:electron: VS Code ${version}`);
    await runTests({
      version,
      extensionDevelopmentPath: root,
      extensionTestsPath: join(root, 'out', 'test', 'electron', 'suite', 'index.js'),
      launchArgs: [
        workspace,
        '--disable-extensions', // only ours: no other extension may add diagnostics or completions
        '--disable-workspace-trust',
        '--skip-welcome',
        '--skip-release-notes',
        `--user-data-dir=${join(scratch, 'user-data')}`,
      ],
    });
  } catch (error) {
    console.error(`test:electron: VS Code ${version} failed:`, error instanceof Error ? error.message : error);
    failed = true;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
process.exit(failed ? 1 : 0);
