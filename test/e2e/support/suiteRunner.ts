// Packages the @vscode/test-electron suite (test/electron/suite) as a small extra extension that
// runs the suite when VS Code activates it and writes the outcome next to the workspace copy,
// so the same extension-host suite also runs in code-server, where desktop VS Code cannot.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './codeServer';

/** The file, next to the opened workspace folder, where the runner writes its outcome. */
export const suiteResultFileName = 'extension-host-suite.json';

export interface SuiteOutcome {
  passed: boolean;
  log: string[];
}

/** Builds the runner .vsix in `workDir` and returns its path. */
export function buildSuiteRunnerVsix(workDir: string): string {
  const extensionDir = join(workDir, 'suite-runner');
  mkdirSync(extensionDir, { recursive: true });
  writeFileSync(join(extensionDir, 'package.json'), JSON.stringify({
    name: 'suite-runner',
    publisher: 'cluster-template-tools-test',
    version: '0.0.0',
    license: 'MIT',
    engines: { vscode: '^1.100.0' },
    main: './runner.js',
    activationEvents: ['onStartupFinished'],
    // Our extension is activated first, as the suite expects an installed extension.
    extensionDependencies: ['cluster-template-tools.cluster-template-tools'],
    capabilities: { untrustedWorkspaces: { supported: true } },
  }, null, 2));
  writeFileSync(join(extensionDir, 'README.md'), 'Runs the extension-host test suite once and records the outcome.\n');
  writeFileSync(join(extensionDir, 'runner.js'), runnerSource);

  // Bundled into the runner so `require('vscode')` comes from inside an extension folder.
  run(join(repoRoot, 'node_modules', '.bin', 'esbuild'), [
    join(repoRoot, 'test', 'electron', 'suite', 'index.ts'),
    '--bundle', '--platform=node', '--format=cjs', '--target=node20', '--external:vscode', '--log-level=warning',
    `--outfile=${join(extensionDir, 'suite.js')}`,
  ], repoRoot);
  const vsix = join(workDir, 'suite-runner.vsix');
  run(join(repoRoot, 'node_modules', '.bin', 'vsce'), [
    'package', '--no-dependencies', '--allow-missing-repository', '--skip-license', '-o', vsix,
  ], extensionDir);
  return vsix;
}

/** Waits for the runner's outcome file (the runner renames it into place when complete). */
export async function waitForSuiteOutcome(resultFile: string, timeoutMs = 120_000): Promise<SuiteOutcome> {
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(resultFile)) {
    if (Date.now() > deadline) throw new Error(`the extension-host suite wrote no result within ${timeoutMs} ms`);
    await new Promise((tick) => setTimeout(tick, 200));
  }
  return JSON.parse(readFileSync(resultFile, 'utf8')) as SuiteOutcome;
}

function run(command: string, args: string[], cwd: string): void {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', timeout: 120_000 });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed:\n${result.stdout}\n${result.stderr}`);
}

// Plain JavaScript: it runs in the extension host as the runner's entry point.
const runnerSource = `// Runs the extension-host suite once and writes { passed, log } for the test harness.
const path = require('path');
const fs = require('fs');
const vscode = require('vscode');

exports.activate = async function activate() {
  const folder = vscode.workspace.workspaceFolders && vscode.workspace.workspaceFolders[0];
  if (!folder) return;
  const resultFile = path.join(path.dirname(folder.uri.fsPath), ${JSON.stringify(suiteResultFileName)});
  const log = [];
  let passed = false;
  try {
    await require('./suite.js').runCases((line) => log.push(line));
    passed = true;
  } catch (error) {
    log.push(String(error && error.stack || error));
  }
  // Written under another name first, so the harness never reads half a file.
  fs.writeFileSync(resultFile + '.tmp', JSON.stringify({ passed, log }));
  fs.renameSync(resultFile + '.tmp', resultFile);
};

exports.deactivate = function deactivate() {};
`;
