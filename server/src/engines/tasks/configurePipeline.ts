// The Configure pipeline: what `task configure` does, natively. Check cluster.yaml and nodes.yaml,
// render all or nothing, encrypt every new *.sops.* file, then validate with kubeconform and
// talhelper when they are installed. Each stage goes through the deps it is given; a failed stage
// stops the ones after it, as the Taskfile's commands do.
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { URI } from 'vscode-uri';
import type { FileReader } from '../../host/fileReader';
import type { ProcessRunner } from '../../host/processRunner';
import type { ApplyRenderPlanResult, ConfigureResult, ConfigureStage, EncryptAllResult, RenderPlanResult } from '../../protocol';

/** Validators can take a while on a large repository; a stuck one must not hold the pipeline forever. */
const VALIDATOR_TIMEOUT_MS = 300_000;
/** How many lines of a failing tool's output the summary keeps. */
const KEPT_OUTPUT_LINES = 20;

export interface ConfigurePipelineDeps {
  root: string;
  /** Errors of cluster.yaml and nodes.yaml (warnings do not stop `task configure`). */
  checkConfig(): Promise<{ uri: string; line: number; message: string }[]>;
  renderPlan(): Promise<RenderPlanResult>;
  applyRender(planId: string, overwriteHandEdited: string[]): Promise<ApplyRenderPlanResult>;
  encryptAll(): Promise<EncryptAllResult>;
  reader: FileReader;
  runner: ProcessRunner;
  env: Record<string, string>;
  isOnPath(program: string): boolean;
  progress(message: string): void;
  /** Overwrite generated files edited by hand (the user answered the question `task configure` asks). */
  overwriteHandEdited: boolean;
}

/**
 * Runs the stages in order. Example: on a valid example workspace with age.key and no kubeconform,
 * answers outcome 'done' with check ok, render ok, encrypt ok, kubeconform skipped (YAML parses),
 * talhelper skipped.
 */
export async function runConfigurePipeline(deps: ConfigurePipelineDeps): Promise<ConfigureResult> {
  const stages: ConfigureStage[] = [];
  const result = (outcome: ConfigureResult['outcome'], extra: Partial<ConfigureResult> = {}): ConfigureResult => ({ outcome, stages, handEdited: [], configErrors: [], ...extra });

  deps.progress('Checking cluster.yaml and nodes.yaml');
  const configErrors = await deps.checkConfig();
  if (configErrors.length > 0) {
    stages.push({ name: 'check', status: 'failed', message: `${configErrors.length} error(s) in cluster.yaml / nodes.yaml: nothing was rendered`, details: configErrors.map((e) => `${path.basename(URI.parse(e.uri).fsPath)}:${e.line}: ${e.message}`) });
    return result('failed', { configErrors });
  }
  stages.push({ name: 'check', status: 'ok', message: 'cluster.yaml and nodes.yaml are valid', details: [] });

  deps.progress('Rendering the templates');
  const plan = await deps.renderPlan();
  if (plan.errors.length > 0) {
    stages.push({ name: 'render', status: 'failed', message: `${plan.errors.length} template error(s): nothing was written`, details: plan.errors.map((e) => `${relativeOf(deps.root, e.templateUri)}:${e.line}: ${e.message}`) });
    return result('failed');
  }
  const handEdited = plan.files.filter((file) => file.isHandEdited && file.status !== 'unchanged').map((file) => file.uri);
  if (handEdited.length > 0 && !deps.overwriteHandEdited) {
    stages.push({ name: 'render', status: 'skipped', message: `${handEdited.length} generated file(s) were edited by hand since the last render: nothing was written`, details: handEdited.map((uri) => relativeOf(deps.root, uri)) });
    return result('needs-confirmation', { handEdited });
  }
  const applied = await deps.applyRender(plan.planId, handEdited);
  const counts = countStatuses(plan);
  if (applied.errors.length > 0) {
    stages.push({ name: 'render', status: 'failed', message: `writing failed: ${applied.errors[0]}`, details: applied.errors });
    return result('failed');
  }
  stages.push({ name: 'render', status: 'ok', message: `${counts.created} created, ${counts.changed} changed, ${counts.unchanged} unchanged, ${applied.removed.length} removed`, details: [...plan.notes, ...applied.skipped.map((uri) => `kept as it is: ${relativeOf(deps.root, uri)}`)] });

  deps.progress('Encrypting new secrets');
  const encrypted = await deps.encryptAll();
  if (encrypted.refused) {
    stages.push({ name: 'encrypt', status: 'failed', message: encrypted.refused, details: [] });
    return result('failed');
  }
  if (encrypted.failed.length > 0) {
    // A plaintext secret must not be left for a commit to pick up: the pipeline fails loudly.
    stages.push({ name: 'encrypt', status: 'failed', message: `${encrypted.failed.length} secret file(s) are still plaintext`, details: encrypted.failed.map((f) => `${relativeOf(deps.root, f.uri)}: ${f.message}`) });
    return result('failed');
  }
  stages.push({ name: 'encrypt', status: 'ok', message: `${encrypted.encrypted.length} encrypted now, ${encrypted.alreadyEncrypted.length} already encrypted`, details: encrypted.encrypted.map((uri) => relativeOf(deps.root, uri)) });

  deps.progress('Validating the manifests');
  const kubeconform = await kubeconformStage(deps, plan);
  stages.push(kubeconform);
  if (kubeconform.status === 'failed') return result('failed');
  deps.progress('Validating the Talos configuration');
  const talhelper = await talhelperStage(deps);
  stages.push(talhelper);
  return result(talhelper.status === 'failed' ? 'failed' : 'done');
}

async function kubeconformStage(deps: ConfigurePipelineDeps, plan: RenderPlanResult): Promise<ConfigureStage> {
  const kubernetes = path.join(deps.root, 'kubernetes');
  if (deps.isOnPath('kubeconform')) {
    // The repository's own wrapper (kustomize build + Flux schemas) when it has one, as the Taskfile runs it.
    const script = path.join(deps.root, '.taskfiles', 'template', 'resources', 'kubeconform.sh');
    const hasScript = (await deps.reader.readText(script)) !== undefined;
    const command = hasScript ? { command: 'bash', args: [script, kubernetes] } : { command: 'kubeconform', args: ['-summary', '-ignore-missing-schemas', kubernetes] };
    const run = await deps.runner.run({ ...command, cwd: deps.root, timeoutMs: VALIDATOR_TIMEOUT_MS, env: deps.env });
    const label = hasScript ? 'kubeconform.sh' : 'kubeconform';
    if (run.exitCode === 0) return { name: 'kubeconform', status: 'ok', message: `${label} passed`, details: lastLines(run.stdout) };
    return { name: 'kubeconform', status: 'failed', message: run.isTimedOut ? `${label} did not finish in time` : `${label} found problems (exit ${run.exitCode ?? 'none'})`, details: lastLines(run.stdout + run.stderr) };
  }
  // Without kubeconform, at least every rendered YAML file must parse.
  const problems: string[] = [];
  let parsed = 0;
  for (const file of plan.files) {
    if (file.status === 'removed' || !/\.ya?ml$/.test(file.relativePath)) continue;
    const text = await deps.reader.readText(URI.parse(file.uri).fsPath);
    if (text === undefined) continue;
    parsed++;
    for (const document of parseAllDocuments(text)) {
      const error = 'errors' in document ? document.errors[0] : undefined;
      if (error) {
        problems.push(`${file.relativePath}:${error.linePos?.[0].line ?? 1}: ${error.code}`);
        break;
      }
    }
  }
  if (problems.length > 0) return { name: 'kubeconform', status: 'failed', message: `kubeconform is not installed, and ${problems.length} rendered YAML file(s) do not parse`, details: problems };
  return { name: 'kubeconform', status: 'skipped', message: `kubeconform is not installed: not checked against the Kubernetes schemas (all ${parsed} rendered YAML files parse)`, details: [] };
}

async function talhelperStage(deps: ConfigurePipelineDeps): Promise<ConfigureStage> {
  const talconfig = path.join(deps.root, 'talos', 'talconfig.yaml');
  if ((await deps.reader.readText(talconfig)) === undefined) return { name: 'talhelper', status: 'skipped', message: 'no talos/talconfig.yaml to validate', details: [] };
  if (!deps.isOnPath('talhelper')) return { name: 'talhelper', status: 'skipped', message: 'talhelper is not installed: talos/talconfig.yaml was not validated', details: [] };
  const run = await deps.runner.run({ command: 'talhelper', args: ['validate', 'talconfig', talconfig], cwd: deps.root, timeoutMs: VALIDATOR_TIMEOUT_MS, env: deps.env });
  if (run.exitCode === 0) return { name: 'talhelper', status: 'ok', message: 'talhelper validate talconfig passed', details: [] };
  return { name: 'talhelper', status: 'failed', message: run.isTimedOut ? 'talhelper did not finish in time' : 'talhelper validate talconfig found problems', details: lastLines(run.stdout + run.stderr) };
}

function countStatuses(plan: RenderPlanResult): Record<'created' | 'changed' | 'unchanged' | 'removed', number> {
  const counts = { created: 0, changed: 0, unchanged: 0, removed: 0 };
  for (const file of plan.files) counts[file.status]++;
  return counts;
}

function relativeOf(root: string, uri: string): string {
  return path.relative(root, URI.parse(uri).fsPath).split(path.sep).join('/');
}

function lastLines(text: string): string[] {
  return text.split('\n').filter((line) => line.trim() !== '').slice(-KEPT_OUTPUT_LINES);
}
