// Runs one verify step: substitutes the workspace's values into its command, runs it through the
// ProcessRunner it is given, and lets the step's output parser say pass or fail. Never throws for a
// failing tool; never keeps the tool's raw output (only the parser's reason and details).
import * as path from 'node:path';
import type { FileReader } from '../../host/fileReader';
import type { ProcessRunner } from '../../host/processRunner';
import type { WorkStepResult } from '../../protocol';
import type { VerifyStep } from './catalogTypes';
import { TOOL_HINTS } from './itemState';
import { parseCheckOutput } from './outputParsers';
import { substitutePlaceholders, type PlaceholderValues } from './shellQuote';

/** Checks talk to a cluster that may be slow; a minute is generous for a `get`. */
export const VERIFY_TIMEOUT_MS = 60_000;

export interface VerifyContext {
  root: string;
  values: PlaceholderValues;
  env: Record<string, string>;
  runner: ProcessRunner;
  now(): Date;
}

/**
 * Example: the tuppr "nodes" step runs `kubectl get nodes -o json` and answers
 * `{ status: 'pass', reason: 'all 3 nodes are Ready', ... }`, or an error when kubectl is missing.
 */
export async function runVerifyStep(step: VerifyStep, ctx: VerifyContext): Promise<WorkStepResult> {
  const at = ctx.now().toISOString();
  const command = substitutePlaceholders(step.command, ctx.values);
  if ('missing' in command) return { status: 'error', reason: `set ${command.missing.join(', ')} first (cluster.yaml / nodes.yaml)`, details: [], at };
  const expect: Record<string, string> = {};
  for (const [name, template] of Object.entries(step.expect ?? {})) {
    const value = substitutePlaceholders([template], ctx.values);
    if ('missing' in value) return { status: 'error', reason: `set ${value.missing.join(', ')} first (cluster.yaml / nodes.yaml)`, details: [], at };
    expect[name] = value.argv[0];
  }
  const [program, ...args] = command.argv;
  const run = await ctx.runner.run({ command: program, args, cwd: ctx.root, timeoutMs: VERIFY_TIMEOUT_MS, env: ctx.env });
  if (run.spawnError) {
    const reason = run.spawnError === 'ENOENT' ? (TOOL_HINTS[program] ?? `${program} is not installed.`) : `${program} could not start (${run.spawnError})`;
    return { status: 'error', reason, details: [], at };
  }
  if (run.isTimedOut) return { status: 'error', reason: `${program} did not answer within ${VERIFY_TIMEOUT_MS / 1000} s`, details: [], at };
  const verdict = parseCheckOutput(step.parser, { stdout: run.stdout, stderr: run.stderr, exitCode: run.exitCode }, expect);
  return { ...verdict, at };
}

/**
 * The environment commands run with, as the Taskfile sets it: KUBECONFIG, TALOSCONFIG and
 * SOPS_AGE_KEY_FILE point into the repository, but only when those files exist (a missing
 * kubeconfig would hide the user's own ~/.kube/config).
 */
export async function commandEnvironment(root: string, reader: FileReader): Promise<Record<string, string>> {
  const candidates: Record<string, string> = {
    KUBECONFIG: path.join(root, 'kubeconfig'),
    TALOSCONFIG: path.join(root, 'talos', 'clusterconfig', 'talosconfig'),
    SOPS_AGE_KEY_FILE: path.join(root, 'age.key'),
  };
  const env: Record<string, string> = {};
  for (const [name, filePath] of Object.entries(candidates)) {
    const exists = reader.stat ? (await reader.stat(filePath))?.kind === 'file' : (await reader.readText(filePath)) !== undefined;
    if (exists) env[name] = filePath;
  }
  return env;
}
