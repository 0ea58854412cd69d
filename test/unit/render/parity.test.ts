// Parity: every workspace under test/fixtures/render is rendered by the reference (Debian's Jinja2
// driven by test/support/makejinja_reference.py, our makejinja 2.8.2 stand-in) and by our CLI
// (`node dist/cli.js render <workspace> --out <dir> --python ...`). The trees must match byte for byte:
// the same files and folders, the same contents, the same permission bits. Workspaces named
// error-* must fail in both, and our report must name the template and line Jinja2 names.
import { REFERENCE_PYTHON, referenceUnavailable } from '../../support/referencePython';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  describeFirstDifference,
  firstErrorLocation,
  readBytes,
  readTree,
  reportsLocation,
  treeListing,
  type TreeEntry,
} from './support/parityTrees';

const REPO_ROOT = join(__dirname, '..', '..', '..', '..');
const FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'render');
const REFERENCE_SCRIPT = join(REPO_ROOT, 'test', 'support', 'makejinja_reference.py');
const CLI = join(REPO_ROOT, 'dist', 'cli.js');

// Both renderers see the same environment: templates print `env.PARITY_GREETING` and read a
// variable that must stay unset. PYTHONUTF8 keeps Python's file encoding UTF-8 whatever the locale.
const RENDER_ENV: NodeJS.ProcessEnv = { ...process.env, PARITY_GREETING: 'hello from the parity test', PYTHONUTF8: '1', PYTHONDONTWRITEBYTECODE: '1' };
delete RENDER_ENV.PARITY_NOT_SET;
delete RENDER_ENV.NODE_TEST_CONTEXT;

const WORKSPACES = readdirSync(FIXTURES)
  .filter((name) => statSync(join(FIXTURES, name)).isDirectory())
  .sort();

// makejinja runs the plugin's data(), so our CLI does too (--python). The cluster-template-shaped
// workspace also renders without it: there plugin.py's data() is read statically, and must agree.
const STATIC_PLUGIN_DATA_WORKSPACES = new Set(['cluster']);

interface Variant {
  workspace: string;
  label: string;
  cliOptions: string[];
}

/**
 * Error workspaces where we name another line than Jinja2, on purpose: an unclosed block is reported
 * at its opening tag (where the fix goes); Jinja2 reports the end of the template.
 */
const OUR_ERROR_LOCATIONS: Record<string, { template: string; line: number }> = {
  'error-unclosed-block': { template: 'broken.txt.j2', line: 2 },
};

const VARIANTS: Variant[] = WORKSPACES.flatMap((workspace) => {
  const variants: Variant[] = [{ workspace, label: workspace, cliOptions: ['--python', REFERENCE_PYTHON] }];
  if (STATIC_PLUGIN_DATA_WORKSPACES.has(workspace)) variants.push({ workspace, label: `${workspace} (plugin data read statically)`, cliOptions: [] });
  return variants;
});

interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[]): RunResult {
  const result = spawnSync(command, args, { cwd: REPO_ROOT, env: RENDER_ENV, encoding: 'utf8', timeout: 120_000 });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Like run, without blocking: the renders of all workspaces overlap. Never rejects. */
function runAsync(command: string, args: string[]): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: REPO_ROOT, env: RENDER_ENV, timeout: 120_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', (error) => resolve({ status: null, stdout, stderr: `${stderr}${error.message}` }));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** Runs tasks with at most `limit` of them at a time. */
function createLimiter(limit: number): <T>(task: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async (task) => {
    while (active >= limit) await new Promise<void>((wake) => waiting.push(wake));
    active++;
    try {
      return await task();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}

interface WorkspaceRenders {
  reference: RunResult;
  ours: RunResult;
  referenceOut: string;
  ourOut: string;
}

function newestSourceTime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSourceTime(full) : statSync(full).mtimeMs);
  }
  return newest;
}

/** The unit layer does not bundle, so build dist/cli.js here when it is missing or older than the sources. */
function ensureCliBuilt(): void {
  const sourcesTime = Math.max(newestSourceTime(join(REPO_ROOT, 'server', 'src')), statSync(join(REPO_ROOT, 'esbuild.mjs')).mtimeMs);
  if (existsSync(CLI) && statSync(CLI).mtimeMs >= sourcesTime) return;
  const build = run(process.execPath, ['esbuild.mjs']);
  assert.equal(build.status, 0, `node esbuild.mjs failed:\n${build.stderr}`);
}

/** Why the reference cannot run here (a skip locally, a failure in CI), or undefined when it can. */
function referenceSkipReason(): string | undefined {
  const probe = spawnSync(REFERENCE_PYTHON, ['-c', 'import jinja2, yaml, tomllib'], { encoding: 'utf8' });
  if (probe.error) return referenceUnavailable(`python3 could not be started (${probe.error.message})`);
  if (probe.status !== 0) return referenceUnavailable(`the reference needs Python 3.11+ with jinja2 and yaml (apt-get install python3-jinja2 python3-yaml): ${probe.stderr.trim()}`);
  return undefined;
}

function modeText(entry: TreeEntry | undefined): string {
  return entry ? `0${entry.mode.toString(8)}` : 'absent';
}

describe('renderer parity with makejinja 2.8.2 and Jinja2', () => {
  let scratch = '';
  let skipReason: string | undefined;
  const renders = new Map<string, Promise<WorkspaceRenders>>();

  before(() => {
    skipReason = referenceSkipReason();
    if (skipReason) return;
    ensureCliBuilt();
    scratch = mkdtempSync(join(tmpdir(), 'render-parity-'));
    const limit = createLimiter(Math.max(2, cpus().length * 2));
    VARIANTS.forEach((variant, index) => {
      const root = join(FIXTURES, variant.workspace);
      const referenceOut = join(scratch, String(index), 'reference');
      const ourOut = join(scratch, String(index), 'ours');
      const reference = limit(() => runAsync(REFERENCE_PYTHON, [REFERENCE_SCRIPT, root, '--out', referenceOut]));
      const ours = limit(() => runAsync(process.execPath, [CLI, 'render', root, '--out', ourOut, ...variant.cliOptions]));
      renders.set(variant.label, Promise.all([reference, ours]).then(([referenceRun, ourRun]) => ({ reference: referenceRun, ours: ourRun, referenceOut, ourOut })));
    });
  });

  after(() => {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('has fixture workspaces for both outcomes', () => {
    assert.ok(WORKSPACES.filter((name) => name.startsWith('error-')).length >= 5, WORKSPACES.join(', '));
    assert.ok(WORKSPACES.filter((name) => !name.startsWith('error-')).length >= 8, WORKSPACES.join(', '));
  });

  for (const { workspace, label } of VARIANTS) {
    const expectsError = workspace.startsWith('error-');

    it(label, async (t) => {
      if (skipReason) {
        t.skip(skipReason);
        return;
      }
      const rendered = renders.get(label);
      assert.ok(rendered, `no render was started for ${label}`);
      const { reference, ours, referenceOut, ourOut } = await rendered;

      if (expectsError) {
        assert.equal(reference.status, 1, `the reference should fail on ${workspace} with a template error:\n${reference.stderr}`);
        const location = firstErrorLocation(reference.stderr);
        assert.ok(location, `the reference named no template:line:\n${reference.stderr}`);
        assert.equal(ours.status, 1, `our renderer should fail like Jinja2 (${reference.stderr.trim()}); it exited ${ours.status}:\n${ours.stderr}`);
        const expected = OUR_ERROR_LOCATIONS[workspace] ?? location;
        assert.ok(
          reportsLocation(ours.stderr, expected),
          `expected ${expected.template}:${expected.line} (Jinja2: ${reference.stderr.trim()}); our report does not name it:\n${ours.stderr}`,
        );
        return;
      }

      assert.equal(reference.status, 0, `the reference failed on ${workspace} (a broken fixture?):\n${reference.stderr}`);
      assert.equal(ours.status, 0, `our renderer failed on ${workspace}:\n${ours.stderr}\n${ours.stdout}`);
      const expectedTree = readTree(referenceOut);
      const actualTree = existsSync(ourOut) ? readTree(ourOut) : new Map<string, TreeEntry>();
      assert.ok([...expectedTree.values()].some((entry) => entry.kind === 'file'), 'the reference rendered no file: the comparison would prove nothing');

      await t.test('same files and folders', () => {
        assert.deepEqual(treeListing(actualTree), treeListing(expectedTree));
      });
      for (const [path, expected] of expectedTree) {
        const actual = actualTree.get(path);
        if (expected.kind === 'dir') {
          if (actual?.kind === 'dir' && actual.mode !== expected.mode) {
            await t.test(`${path}/ mode`, () => assert.fail(`${path}/: mode ${modeText(actual)}, Jinja2 side ${modeText(expected)}`));
          }
          continue;
        }
        await t.test(path, () => {
          assert.ok(actual?.kind === 'file', `${path}: not rendered by us`);
          const difference = describeFirstDifference(path, readBytes(referenceOut, path), readBytes(ourOut, path));
          assert.ok(difference === undefined, difference);
          assert.equal(modeText(actual), modeText(expected), `${path}: file mode`);
        });
      }
    });
  }
});

describe('parity helpers', () => {
  it('names the first differing line and hides secret-looking lines', () => {
    assert.equal(
      describeFirstDifference('a.txt', Buffer.from('x\ny\r\n'), Buffer.from('x\ny\n')),
      'a.txt line 2 differs (column 2):\n  expected "y\\r"\n  actual   "y"',
    );
    assert.equal(describeFirstDifference('a.txt', Buffer.from('same'), Buffer.from('same')), undefined);
    assert.match(describeFirstDifference('a.txt', Buffer.from('x'), Buffer.from('x\nmore')) ?? '', /line 2 differs:\n {2}expected \(no such line\)\n {2}actual {3}"more"/);
    const secret = describeFirstDifference('k.sops.yaml', Buffer.from('key: AGE-SECRET-KEY-1ABC\n'), Buffer.from('key: \n')) ?? '';
    assert.doesNotMatch(secret, /AGE-SECRET-KEY-1ABC/);
  });

  it('finds template:line in both report shapes', () => {
    const location = firstErrorLocation('broken.txt.j2:4: TemplateSyntaxError: expected token');
    assert.deepEqual(location, { template: 'broken.txt.j2', line: 4 });
    assert.ok(reportsLocation('templates/config/broken.txt.j2:4:7: error: boom', { template: 'broken.txt.j2', line: 4 }));
    assert.ok(!reportsLocation('templates/config/broken.txt.j2:5: boom', { template: 'broken.txt.j2', line: 4 }));
    assert.ok(!reportsLocation('templates/config/notbroken.txt.j2:4: boom', { template: 'broken.txt.j2', line: 4 }));
  });
});
