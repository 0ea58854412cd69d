// The Configure pipeline's order and stops, with fake stages: a failing check renders nothing,
// template errors write nothing, hand-edited outputs need confirmation, plaintext left behind fails,
// validators run only when installed (and a YAML parse stands in for kubeconform otherwise).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runConfigurePipeline, type ConfigurePipelineDeps } from '../../../server/src/engines/tasks/configurePipeline';
import { memoryFileReader } from '../../../server/src/host/fileReader';
import type { ProcessRequest, ProcessResult } from '../../../server/src/host/processRunner';
import type { RenderPlanResult } from '../../../server/src/protocol';

const ROOT = '/ws';
const uri = (relative: string): string => `file://${ROOT}/${relative}`;

function plan(overrides: Partial<RenderPlanResult> = {}): RenderPlanResult {
  return {
    planId: 'p1',
    files: [
      { uri: uri('kubernetes/apps/a.yaml'), relativePath: 'kubernetes/apps/a.yaml', status: 'created', isHandEdited: false },
      { uri: uri('kubernetes/apps/b.yaml'), relativePath: 'kubernetes/apps/b.yaml', status: 'unchanged', isHandEdited: false },
      { uri: uri('talos/talconfig.yaml'), relativePath: 'talos/talconfig.yaml', status: 'changed', isHandEdited: false },
    ],
    errors: [],
    notes: [],
    durationMs: 1,
    ...overrides,
  };
}

function deps(overrides: Partial<ConfigurePipelineDeps> = {}, files: Record<string, string> = {}): ConfigurePipelineDeps & { calls: string[]; runs: ProcessRequest[] } {
  const calls: string[] = [];
  const runs: ProcessRequest[] = [];
  return {
    calls,
    runs,
    root: ROOT,
    checkConfig: async () => (calls.push('check'), []),
    renderPlan: async () => (calls.push('plan'), plan()),
    applyRender: async (planId, overwrite) => (calls.push(`apply ${planId} [${overwrite.join(',')}]`), { written: [uri('kubernetes/apps/a.yaml')], removed: [], skipped: [], errors: [] }),
    encryptAll: async () => (calls.push('encrypt'), { encrypted: [uri('kubernetes/s.sops.yaml')], alreadyEncrypted: [], failed: [] }),
    reader: memoryFileReader({ [`${ROOT}/kubernetes/apps/a.yaml`]: 'kind: A\n', [`${ROOT}/kubernetes/apps/b.yaml`]: 'kind: B\n', [`${ROOT}/talos/talconfig.yaml`]: 'clusterName: x\n', ...files }),
    runner: {
      run: async (request: ProcessRequest): Promise<ProcessResult> => {
        runs.push(request);
        return { exitCode: 0, stdout: 'Summary: 2 resources found - Valid: 2\n', stderr: '', isTimedOut: false };
      },
    },
    env: {},
    isOnPath: () => false,
    progress: (message) => calls.push(`progress: ${message}`),
    overwriteHandEdited: false,
    ...overrides,
  };
}

test('all stages in order; validators skipped when not installed, every rendered YAML parsed instead', async () => {
  const d = deps();
  const result = await runConfigurePipeline(d);
  assert.equal(result.outcome, 'done');
  assert.deepEqual(result.stages.map((s) => [s.name, s.status]), [['check', 'ok'], ['render', 'ok'], ['encrypt', 'ok'], ['kubeconform', 'skipped'], ['talhelper', 'skipped']]);
  assert.equal(result.stages[1].message, '1 created, 1 changed, 1 unchanged, 0 removed');
  assert.match(result.stages[3].message, /kubeconform is not installed.*all 3 rendered YAML files parse/);
  assert.match(result.stages[4].message, /talhelper is not installed/);
  assert.deepEqual(d.calls.filter((c) => !c.startsWith('progress')), ['check', 'plan', 'apply p1 []', 'encrypt']);
  assert.deepEqual(d.runs, []);
});

test('config errors stop everything before the render', async () => {
  const d = deps({ checkConfig: async () => [{ uri: uri('cluster.yaml'), line: 3, message: 'node_cidr is not a CIDR' }] });
  const result = await runConfigurePipeline(d);
  assert.equal(result.outcome, 'failed');
  assert.deepEqual(result.stages.map((s) => s.name), ['check']);
  assert.deepEqual(result.stages[0].details, ['cluster.yaml:3: node_cidr is not a CIDR']);
  assert.equal(result.configErrors.length, 1);
  assert.ok(!d.calls.includes('plan'));
});

test('template errors: nothing is applied or encrypted', async () => {
  const d = deps({ renderPlan: async () => plan({ errors: [{ templateUri: uri('templates/config/x.yaml.j2'), line: 4, message: "TypeError: 'int' object is not iterable" }] }) });
  const result = await runConfigurePipeline(d);
  assert.equal(result.outcome, 'failed');
  assert.deepEqual(result.stages[1].details, ["templates/config/x.yaml.j2:4: TypeError: 'int' object is not iterable"]);
  assert.ok(!d.calls.some((c) => c.startsWith('apply') || c === 'encrypt'));
});

test('hand-edited outputs: asks first, then overwrites only those when told to', async () => {
  const edited = plan();
  edited.files[2].isHandEdited = true;
  const first = await runConfigurePipeline(deps({ renderPlan: async () => edited }));
  assert.equal(first.outcome, 'needs-confirmation');
  assert.deepEqual(first.handEdited, [uri('talos/talconfig.yaml')]);
  const d = deps({ renderPlan: async () => edited, overwriteHandEdited: true });
  const second = await runConfigurePipeline(d);
  assert.equal(second.outcome, 'done');
  assert.ok(d.calls.includes(`apply p1 [${uri('talos/talconfig.yaml')}]`));
});

test('a secret that could not be encrypted fails the pipeline before validation', async () => {
  const d = deps({ encryptAll: async () => ({ encrypted: [], alreadyEncrypted: [], failed: [{ uri: uri('kubernetes/s.sops.yaml'), message: 'no creation rule matches' }] }) });
  const result = await runConfigurePipeline(d);
  assert.equal(result.outcome, 'failed');
  assert.equal(result.stages.at(-1)!.name, 'encrypt');
  assert.deepEqual(result.stages.at(-1)!.details, ['kubernetes/s.sops.yaml: no creation rule matches']);
});

test('installed validators run: the repository script for kubeconform, talhelper on talconfig.yaml; a failure fails', async () => {
  const d = deps({ isOnPath: () => true }, { [`${ROOT}/.taskfiles/template/resources/kubeconform.sh`]: '#!/bin/sh\n' });
  const result = await runConfigurePipeline(d);
  assert.equal(result.outcome, 'done');
  assert.deepEqual(d.runs.map((r) => [r.command, ...r.args]), [
    ['bash', `${ROOT}/.taskfiles/template/resources/kubeconform.sh`, `${ROOT}/kubernetes`],
    ['talhelper', 'validate', 'talconfig', `${ROOT}/talos/talconfig.yaml`],
  ]);
  const failing = deps({
    isOnPath: () => true,
    runner: { run: async () => ({ exitCode: 1, stdout: 'kubernetes/apps/a.yaml - A is invalid: missing field\n', stderr: '', isTimedOut: false }) },
  });
  const failed = await runConfigurePipeline(failing);
  assert.equal(failed.outcome, 'failed');
  assert.deepEqual(failed.stages.at(-1)!.details, ['kubernetes/apps/a.yaml - A is invalid: missing field']);
});

test('without kubeconform a rendered file that does not parse fails the stage', async () => {
  const result = await runConfigurePipeline(deps({}, { [`${ROOT}/kubernetes/apps/a.yaml`]: 'a: [1, 2\n' }));
  assert.equal(result.outcome, 'failed');
  assert.match(result.stages[3].details[0], /^kubernetes\/apps\/a\.yaml:\d+: /);
});
