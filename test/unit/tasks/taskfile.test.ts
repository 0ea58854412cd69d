// Reading Taskfiles as go-task v3 does: root file names, includes (folders, templates, nested
// namespaces, flatten, aliases, excludes, internal, optional), cycles and broken files. Fixtures
// on disk through the node reader, small cases in memory.
import assert from 'node:assert/strict';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { memoryFileReader, nodeFileReader, type FileReader } from '../../../server/src/host/fileReader';
import { readTaskfile, type TaskfileReadResult, type TaskfileTask } from '../../../server/src/engines/tasks/taskfile';

const FIXTURES = join(__dirname, '../../../../test/fixtures/tasks/taskfiles');

/** The result with file paths relative to the fixture folder, so expectations stay readable. */
function relativeTo(root: string, result: TaskfileReadResult): TaskfileReadResult {
  return {
    ...(result.file !== undefined ? { file: relative(root, result.file) } : {}),
    tasks: result.tasks.map((task) => ({ ...task, file: relative(root, task.file) })),
    problems: result.problems.map((problem) => ({ ...problem, file: relative(root, problem.file) })),
  };
}

async function readFixture(name: string): Promise<TaskfileReadResult> {
  const root = join(FIXTURES, name);
  return relativeTo(root, await readTaskfile(root, nodeFileReader));
}

function task(name: string, file: string, line: number, extra: Partial<TaskfileTask> = {}): TaskfileTask {
  return { name, aliases: [], isInternal: false, requiredVars: [], file, line, ...extra };
}

describe('readTaskfile on a cluster-template repository', () => {
  it('lists every task under the name task accepts', async () => {
    const root = 'Taskfile.yaml';
    const bootstrap = '.taskfiles/bootstrap/Taskfile.yaml';
    const infra = '.taskfiles/infra/Taskfile.yaml';
    const talos = '.taskfiles/talos/Taskfile.yaml';
    const template = '.taskfiles/template/Taskfile.yaml';
    assert.deepEqual(await readFixture('cluster-template'), {
      file: root,
      tasks: [
        task('default', root, 24),
        task('reconcile', root, 26, { description: 'Make Flux fetch the repository and apply it now' }),
        task('bootstrap:talos', bootstrap, 5, { description: 'Bootstrap the Talos cluster' }),
        task('bootstrap:preflight', bootstrap, 16, { description: 'Check the nodes answer before applying anything' }),
        task('bootstrap:verify', bootstrap, 20, { description: 'Check every node joined' }),
        task('bootstrap:apply-sequential', bootstrap, 24, { description: 'Apply the machine configs one node at a time' }),
        task('bootstrap:apply-parallel', bootstrap, 28, { description: 'Apply the machine configs to all nodes at once' }),
        task('bootstrap:apps', bootstrap, 32, { description: 'Install the first apps (Cilium, CoreDNS, Flux)' }),
        task('infra:init', infra, 8, { description: 'Initialise OpenTofu' }),
        task('infra:plan', infra, 12, { description: 'Show what OpenTofu would change' }),
        task('infra:apply', infra, 15, { description: 'Apply the plan after confirmation' }),
        task('infra:apply-auto', infra, 18, { description: 'Apply without asking' }),
        task('infra:destroy', infra, 21, { description: 'Destroy the infrastructure' }),
        task('infra:output', infra, 25),
        task('infra:state-list', infra, 26),
        task('infra:force-unlock', infra, 27, { description: 'Release a stuck state lock', requiredVars: ['LOCK_ID'] }),
        task('infra:validate', infra, 32),
        task('infra:fmt', infra, 33),
        task('infra:fmt-check', infra, 34),
        task('infra:secrets-edit', infra, 35, { description: 'Edit the OpenTofu credentials' }),
        task('infra:verify-nodes', infra, 38, { description: 'Probe every node in maintenance mode' }),
        task('talos:generate-config', talos, 5, { description: 'Generate the Talos machine configs' }),
        task('talos:apply-node', talos, 9, { description: 'Apply the Talos config to one node', requiredVars: ['IP'] }),
        task('talos:upgrade-node', talos, 17, { description: 'Upgrade Talos on one node', requiredVars: ['IP'] }),
        task('talos:upgrade-k8s', talos, 24, { description: 'Upgrade Kubernetes to the version in talenv.yaml' }),
        task('talos:reset', talos, 28, { description: 'Reset the nodes to maintenance mode' }),
        task('init', template, 9, { description: 'Create cluster.yaml, nodes.yaml and the keys the repository needs' }),
        task('configure', template, 17, { description: 'Check the configuration, render the templates, encrypt secrets, validate' }),
        task('template:schema', template, 28, { description: 'Generate the JSON schemas from the CUE schemas' }),
        task('template:debug', template, 32, { description: 'Show the state of the common cluster resources' }),
        task('template:tidy', template, 38, { description: 'Archive the template files into .private' }),
        task('template:reset', template, 42, { description: 'Delete the rendered folders' }),
        task('template:copy-samples', template, 47, { isInternal: true }),
      ],
      problems: [],
    });
  });
});

describe('readTaskfile include rules', () => {
  it('namespaces nested includes, flattens, aliases, excludes, marks internal and skips optional ones', async () => {
    assert.deepEqual(await readFixture('nested'), {
      file: 'Taskfile.yml',
      tasks: [
        task('build', 'Taskfile.yml', 28, { description: 'Build everything', summary: 'Builds the docs and the tools.\n', aliases: ['b', 'all'] }),
        task('deploy', 'Taskfile.yml', 35, { description: 'Deploy', requiredVars: ['ENV', 'REGION'] }),
        task('hidden', 'Taskfile.yml', 40, { isInternal: true }),
        task('list-shorthand', 'Taskfile.yml', 43),
        task('empty', 'Taskfile.yml', 46),
        // A folder include finds the Taskfile inside; `task docs` runs docs:default.
        task('docs:default', 'docs/Taskfile.yml', 7, { aliases: ['docs'] }),
        task('docs:build', 'docs/Taskfile.yml', 8, { description: 'Build the docs', aliases: ['docs:b'] }),
        task('docs:api:gen', 'docs/api/taskfile.dist.yaml', 4, { description: 'Generate the API docs', requiredVars: ['SPEC'] }),
        // `:top` escapes one level of namespace: the api include's, not the docs one.
        task('docs:top', 'docs/api/taskfile.dist.yaml', 9, { description: 'Declared with a leading colon' }),
        // Flattened: no namespace; secret-helper excluded; its build clashes (a problem below).
        task('lint', 'lib/Tasks.yml', 4, { description: 'Lint', aliases: ['l'] }),
        // Internal include with a namespace alias; sub:* excluded.
        task('tools:default', 'tools/Taskfile.yaml', 7, { description: 'Tools', aliases: ['t:default', 'tools', 't'], isInternal: true }),
        task('tools:fmt', 'tools/Taskfile.yaml', 10, { description: 'Format', aliases: ['tools:f', 't:fmt', 't:f'], isInternal: true }),
        // The same file through {{.TASKFILE_DIR}} and through a var built on {{.ROOT_DIR}}.
        task('sh1:hello', 'shared/Taskfile.yml', 4, { description: 'Included twice, under two namespaces' }),
        task('sh2:hello', 'shared/Taskfile.yml', 4, { description: 'Included twice, under two namespaces' }),
      ],
      problems: [
        { file: 'Taskfile.yml', line: 8, message: 'include "lib": task "build" is already defined (the include is flattened)' },
        { file: 'Taskfile.yml', line: 24, message: 'include "gone": no Taskfile at ./gone/Taskfile.yml' },
        { file: 'Taskfile.yml', line: 25, message: 'include "dyn": the path {{.UNKNOWN}}/Taskfile.yml uses template values that are only known when task runs' },
      ],
    });
  });

  it('reports include cycles where they close, and still lists the tasks', async () => {
    assert.deepEqual(await readFixture('cycle'), {
      file: 'Taskfile.yml',
      tasks: [task('root-task', 'Taskfile.yml', 7), task('a:a-task', 'a.yml', 7), task('a:b:b-task', 'b.yml', 8)],
      problems: [
        { file: 'b.yml', line: 4, message: 'include "back" makes an include cycle: Taskfile.yml → a.yml → b.yml → Taskfile.yml' },
        { file: 'b.yml', line: 5, message: 'include "self" makes an include cycle: b.yml → b.yml' },
      ],
    });
  });

  it('reports broken YAML and a wrong shape at their lines and keeps the other files', async () => {
    const result = await readFixture('broken');
    assert.deepEqual(result.tasks, [task('ok', 'Taskfile.yaml', 8, { description: 'Still listed' })]);
    assert.deepEqual(result.problems, [
      { file: 'bad.yml', line: 7, message: 'not valid YAML: All mapping items must start at the same column' },
      { file: 'worse.yml', line: 4, message: '"tasks" must be a mapping of task names' },
    ]);
  });
});

describe('readTaskfile in memory', () => {
  it('takes the first root name in go-task order', async () => {
    const reader = memoryFileReader({
      '/r/taskfile.dist.yaml': 'version: "3"\ntasks:\n  dist: echo\n',
      '/r/taskfile.yaml': 'version: "3"\ntasks:\n  lower: echo\n',
      '/r/Taskfile.dist.yml': 'version: "3"\ntasks:\n  upper-dist: echo\n',
    });
    const result = await readTaskfile('/r', reader);
    assert.deepEqual(result, { file: '/r/taskfile.yaml', tasks: [task('lower', '/r/taskfile.yaml', 3)], problems: [] });

    // With the first i names missing, the next one in order wins.
    const names = ['Taskfile.yml', 'taskfile.yml', 'Taskfile.yaml', 'taskfile.yaml', 'Taskfile.dist.yml', 'taskfile.dist.yml', 'Taskfile.dist.yaml', 'taskfile.dist.yaml'];
    for (let i = 0; i < names.length; i++) {
      const files = Object.fromEntries(names.slice(i).map((name) => [`/r/${name}`, 'tasks: {}\n']));
      assert.equal((await readTaskfile('/r', memoryFileReader(files))).file, `/r/${names[i]}`);
    }
  });

  it('answers nothing for a folder without a Taskfile, and reads a Taskfile given directly', async () => {
    const reader = memoryFileReader({ '/r/other.yml': 'tasks:\n  x: echo\n' });
    assert.deepEqual(await readTaskfile('/r', reader), { tasks: [], problems: [] });
    assert.deepEqual(await readTaskfile('/r/other.yml', reader), { file: '/r/other.yml', tasks: [task('x', '/r/other.yml', 2)], problems: [] });
  });

  it('works with a reader that cannot stat (folder includes found by trying the names)', async () => {
    const files: Record<string, string> = {
      '/r/Taskfile.yml': 'includes:\n  sub: ./sub\n  opt:\n    taskfile: ./none\n    optional: true\n',
      '/r/sub/taskfile.dist.yml': 'tasks:\n  a: echo\n',
    };
    const reader: FileReader = { readText: async (path) => files[path] };
    assert.deepEqual(await readTaskfile('/r', reader), { file: '/r/Taskfile.yml', tasks: [task('sub:a', '/r/sub/taskfile.dist.yml', 2)], problems: [] });
  });

  it('fills {{.USER_WORKING_DIR}} from the options, and the root folder by default', async () => {
    const reader = memoryFileReader({
      '/r/Taskfile.yml': 'includes:\n  here: "{{.USER_WORKING_DIR}}/t.yml"\n',
      '/r/t.yml': 'tasks:\n  root-one: echo\n',
      '/w/t.yml': 'tasks:\n  work-one: echo\n',
    });
    assert.deepEqual(
      (await readTaskfile('/r', reader)).tasks.map((t) => t.name),
      ['here:root-one'],
    );
    assert.deepEqual(
      (await readTaskfile('/r', reader, { userWorkingDir: '/w' })).tasks.map((t) => t.name),
      ['here:work-one'],
    );
  });

  it('reports a broken root file, an include without a path and a remote include', async () => {
    // The unclosed flow sequence is only noticed at the end of the text: shown on the last line.
    assert.deepEqual(await readTaskfile('/r', memoryFileReader({ '/r/Taskfile.yml': 'tasks:\n  a: [\n\n' })), {
      file: '/r/Taskfile.yml',
      tasks: [],
      problems: [{ file: '/r/Taskfile.yml', line: 2, message: 'not valid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]' }],
    });

    const result = await readTaskfile(
      '/r',
      memoryFileReader({ '/r/Taskfile.yml': 'includes:\n  nothing:\n    optional: true\n  far: https://example.com/Taskfile.yml\n  list: [a]\ntasks:\n  t: echo\n' }),
    );
    assert.deepEqual(result, {
      file: '/r/Taskfile.yml',
      tasks: [task('t', '/r/Taskfile.yml', 7)],
      problems: [
        { file: '/r/Taskfile.yml', line: 2, message: 'include "nothing" must specify taskfile or dir' },
        { file: '/r/Taskfile.yml', line: 5, message: 'include "list" must be a path or a mapping with "taskfile"' },
        { file: '/r/Taskfile.yml', line: 4, message: 'include "far": remote Taskfiles (https://example.com/Taskfile.yml) are not read' },
      ],
    });
  });

  it('keeps the namespace free for a real task named like it (no default alias then)', async () => {
    const reader = memoryFileReader({
      '/r/Taskfile.yml': 'includes:\n  docs: ./docs.yml\ntasks:\n  docs: echo mine\n',
      '/r/docs.yml': 'tasks:\n  default: echo theirs\n',
    });
    assert.deepEqual((await readTaskfile('/r', reader)).tasks, [task('docs', '/r/Taskfile.yml', 4), task('docs:default', '/r/docs.yml', 2)]);
  });
});
