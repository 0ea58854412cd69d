// Reads each catalog item's state from a workspace: templates, kustomization entries and their
// gates, cluster.yaml values, derived flags, rendered and encrypted outputs, last check results.
// Never assumes a state; never writes; never puts a cluster.yaml value into a reason.
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { FileReader } from '../../host/fileReader';
import type { WorkItemInfo, WorkStepInfo, WorkStepResult } from '../../protocol';
import type { JinjaSyntax } from '../../services/jinja/syntax';
import { globMatcher } from '../render/workspaceRender';
import { classifySecretText } from '../sops/secretsStatus';
import { itemsInDependencyOrder } from './catalog';
import type { Catalog, CatalogItem, Condition, ItemState, Step } from './catalogTypes';
import { commandLineOf, substitutePlaceholders, type PlaceholderValues } from './shellQuote';

/** Last results per item id, then per step id. */
export type StepResults = Record<string, Record<string, WorkStepResult>>;

export interface StateContext {
  root: string;
  /** makejinja's input folders (absolute), in makejinja.toml's order: an earlier one wins a shared path. */
  templateDirs: string[];
  reader: FileReader;
  syntax: JinjaSyntax;
  /** cluster.yaml's top-level values as written; undefined when it is missing or does not parse. */
  clusterValues: Record<string, unknown> | undefined;
  /** nodes.yaml's values (for command placeholders); empty when missing. */
  nodesValues: Record<string, unknown>;
  /** Why cluster.yaml could not be read, when clusterValues is undefined. */
  clusterProblem?: string;
  /** Renders template text as if it were the file at templatePath, with the workspace's data. */
  renderText(templatePath: string, text: string): Promise<{ text?: string; error?: string }>;
  stepResults: StepResults;
  /** Whether a program can be started (found on PATH). */
  isOnPath(program: string): boolean;
}

/** What one condition says: holds, does not, or cannot be told (and why). */
export interface ConditionResult {
  holds: boolean | undefined;
  detail?: string;
}

/** Hints for the programs steps run, said when one is missing. */
export const TOOL_HINTS: Record<string, string> = {
  kubectl: 'kubectl is not installed: it talks to the cluster (https://kubernetes.io/docs/tasks/tools/).',
  talosctl: 'talosctl is not installed: it talks to the Talos nodes (https://www.talos.dev/latest/talos-guides/install/talosctl/).',
  flux: 'flux is not installed: it asks Flux to reconcile (https://fluxcd.io/flux/installation/#install-the-flux-cli).',
  task: 'task is not installed: it runs the Taskfile (https://taskfile.dev/installation/).',
  curl: 'curl is not installed.',
};

export const RECONCILE_COMMAND = ['flux', '--namespace', 'flux-system', 'reconcile', 'kustomization', 'flux-system', '--with-source'];

/**
 * Every item with its state and reasons, in catalog order. Example: on a workspace with the
 * talos-backup templates and no backup_* values, talos-backup is in-progress with
 * "✗ the backup_* variables are set in cluster.yaml: backup_s3_endpoint, ... unset".
 */
export async function readWorkItems(catalog: Catalog, ctx: StateContext): Promise<WorkItemInfo[]> {
  const reader = new ConditionReader(ctx);
  const states = new Map<string, ItemState>();
  const infos = new Map<string, WorkItemInfo>();
  for (const item of itemsInDependencyOrder(catalog)) {
    const info = await readItem(item, ctx, reader, states);
    states.set(item.id, info.state);
    infos.set(item.id, info);
  }
  return catalog.items.map((item) => infos.get(item.id)!);
}

async function readItem(item: CatalogItem, ctx: StateContext, reader: ConditionReader, states: Map<string, ItemState>): Promise<WorkItemInfo> {
  const reasons: string[] = [];
  let state: ItemState;
  if (ctx.clusterValues === undefined) {
    state = 'unknown';
    reasons.push(ctx.clusterProblem ?? 'cluster.yaml could not be read');
  } else {
    const results = await Promise.all(item.requirements.map((condition) => reader.check(item.id, condition)));
    const blockers = await blockersOf(item, reader, states);
    const isUnknown = results.some((result) => result.holds === undefined);
    const holding = results.filter((result) => result.holds === true).length;
    const showsProgress = results.some((result, index) => result.holds === true && item.requirements[index].showsProgress !== false);
    if (holding === results.length) state = 'done';
    else if (blockers.length > 0) state = 'blocked';
    else if (isUnknown) state = 'unknown';
    else state = showsProgress ? 'in-progress' : 'todo';
    if (state !== 'done') reasons.push(...blockers.map((reason) => `blocked: ${reason}`));
    item.requirements.forEach((condition, index) => reasons.push(describe(condition, results[index])));
  }
  return {
    id: item.id,
    title: item.title,
    priority: item.priority,
    isGuide: item.isGuide === true,
    summary: item.summary,
    state,
    reasons,
    warnings: item.warnings ?? [],
    dependsOn: item.dependencies.flatMap((dependency) => (dependency.item ? [dependency.item] : [])),
    steps: item.steps.map((step) => stepInfo(item.id, step, ctx)),
  };
}

async function blockersOf(item: CatalogItem, reader: ConditionReader, states: Map<string, ItemState>): Promise<string[]> {
  const out: string[] = [];
  for (const dependency of item.dependencies) {
    if (dependency.appliesWhen && (await reader.check(item.id, dependency.appliesWhen)).holds !== true) continue;
    if (dependency.item && states.get(dependency.item) === 'done') continue;
    if (dependency.satisfiedBy && (await reader.check(item.id, dependency.satisfiedBy)).holds === true) continue;
    out.push(dependency.reason);
  }
  return out;
}

function describe(condition: Condition, result: ConditionResult): string {
  const mark = result.holds === true ? '✓' : result.holds === false ? '✗' : '?';
  return result.detail ? `${mark} ${condition.label}: ${result.detail}` : `${mark} ${condition.label}`;
}

/** A step with its command as it would run here, what it lacks, and its last result. */
export function stepInfo(itemId: string, step: Step, ctx: StateContext): WorkStepInfo {
  const info: WorkStepInfo = { id: step.id, title: step.title, kind: step.kind };
  if (step.detail) info.detail = step.detail;
  const command = step.kind === 'run' || step.kind === 'verify' ? step.command : step.kind === 'pipeline' && step.pipeline === 'reconcile' ? RECONCILE_COMMAND : undefined;
  if (command) {
    const substituted = substitutePlaceholders(command, placeholderValues(ctx));
    if ('missing' in substituted) {
      info.missingValues = substituted.missing;
      info.commandLine = commandLineOf(command);
    } else {
      info.commandLine = commandLineOf(substituted.argv);
    }
    if (!ctx.isOnPath(command[0])) info.missingTool = TOOL_HINTS[command[0]] ?? `${command[0]} is not installed.`;
  }
  const last = ctx.stepResults[itemId]?.[step.id];
  if (last) info.lastResult = last;
  return info;
}

export function placeholderValues(ctx: Pick<StateContext, 'clusterValues' | 'nodesValues'>): PlaceholderValues {
  return { cluster: ctx.clusterValues ?? {}, nodes: ctx.nodesValues };
}

/** Whether a cluster.yaml value counts as set: commented out, null, empty text or an empty list do not. */
export function isValueSet(value: unknown): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value === 'string') return value.trim() !== '';
  if (Array.isArray(value)) return value.length > 0;
  return true;
}

/** Evaluates conditions against one workspace, caching what several items read (templates, renders). */
class ConditionReader {
  private readonly templateTexts = new Map<string, Promise<string | undefined>>();
  private readonly renders = new Map<string, Promise<{ text?: string; error?: string }>>();
  private templateList?: Promise<{ relative: string; absolute: string }[]>;

  constructor(private readonly ctx: StateContext) {}

  async check(itemId: string, condition: Condition): Promise<ConditionResult> {
    switch (condition.kind) {
      case 'templatesExist': {
        const missing: string[] = [];
        for (const relative of condition.paths) if ((await this.findTemplate(relative)) === undefined) missing.push(relative);
        return missing.length === 0 ? { holds: true } : { holds: false, detail: `${listed(missing.map(shortPath))} missing` };
      }
      case 'templateContains': {
        const pattern = new RegExp(condition.pattern, 'm');
        const matches = globMatcher(condition.glob);
        for (const template of await this.templates()) {
          if (!matches(template.relative, 'file')) continue;
          const text = await this.templateText(template.absolute);
          if (text !== undefined && pattern.test(text)) return { holds: true, detail: `in ${template.relative}` };
        }
        return { holds: false };
      }
      case 'variablesSet': {
        const unset = condition.keys.filter((key) => !isValueSet(this.ctx.clusterValues?.[key]));
        return unset.length === 0 ? { holds: true } : { holds: false, detail: `${listed(unset)} unset` };
      }
      case 'expression': {
        const evaluated = await this.evaluate(condition.expression);
        return evaluated.error !== undefined ? { holds: undefined, detail: evaluated.error } : { holds: evaluated.value };
      }
      case 'kustomizationEntry':
        return this.checkKustomizationEntry(condition.template, condition.entry);
      case 'renderedExist': {
        const missing: string[] = [];
        for (const relative of condition.paths) if (!(await this.isFile(path.join(this.ctx.root, relative)))) missing.push(relative);
        return missing.length === 0 ? { holds: true } : { holds: false, detail: `${listed(missing)} not rendered` };
      }
      case 'renderedEncrypted': {
        const problems: string[] = [];
        for (const relative of condition.paths) {
          const text = await this.ctx.reader.readText(path.join(this.ctx.root, relative));
          if (text === undefined) problems.push(`${relative} not rendered`);
          else if (classifySecretText(text, relative).state !== 'encrypted') problems.push(`${relative} is not encrypted`);
        }
        return problems.length === 0 ? { holds: true } : { holds: false, detail: problems.join('; ') };
      }
      case 'stepsPassed': {
        const results = this.ctx.stepResults[itemId] ?? {};
        const notRun = condition.steps.filter((step) => !results[step]);
        const failed = condition.steps.filter((step) => results[step]?.status === 'fail');
        // An error is a check that could not be made (no tool, no cluster): not a verdict on the cluster.
        const unchecked = condition.steps.filter((step) => results[step]?.status === 'error');
        if (notRun.length === 0 && failed.length === 0 && unchecked.length === 0) return { holds: true };
        const parts: string[] = [];
        if (failed.length) parts.push(`${listed(failed)} failed`);
        if (unchecked.length) parts.push(`${listed(unchecked)} could not be checked`);
        if (notRun.length) parts.push(`${listed(notRun)} not run yet`);
        return { holds: false, detail: parts.join('; ') };
      }
      case 'any': {
        const results = await Promise.all(condition.of.map((inner) => this.check(itemId, inner)));
        if (results.some((result) => result.holds === true)) return { holds: true };
        return results.some((result) => result.holds === undefined) ? { holds: undefined } : { holds: false };
      }
    }
  }

  /** Listed in the template, and kept by its gate when rendered with the workspace's values. */
  private async checkKustomizationEntry(templateRelative: string, entry: string): Promise<ConditionResult> {
    const template = await this.findTemplate(templateRelative);
    if (template === undefined) return { holds: false, detail: `${shortPath(templateRelative)} missing` };
    const text = (await this.templateText(template)) ?? '';
    if (!new RegExp(`^\\s*-\\s*["']?${escapeRegExp(entry)}["']?\\s*$`, 'm').test(text)) {
      return { holds: false, detail: `${entry} is not listed in ${shortPath(templateRelative)}` };
    }
    const rendered = await this.render(template, text);
    if (rendered.error !== undefined) return { holds: undefined, detail: `${shortPath(templateRelative)} does not render: ${rendered.error}` };
    const resources = resourcesOf(rendered.text ?? '');
    if (resources === undefined) return { holds: undefined, detail: `${shortPath(templateRelative)} does not render to a kustomization` };
    return resources.includes(entry) ? { holds: true } : { holds: false, detail: `${entry} is listed but its condition is false with the current values` };
  }

  private async evaluate(expression: string): Promise<{ value: boolean; error?: undefined } | { error: string }> {
    const { blockStart: open, blockEnd: close } = this.ctx.syntax;
    const probe = `${open} if ${expression} ${close}yes${open} else ${close}no${open} endif ${close}`;
    // Rendered as a file of the last input folder, so includes and imports resolve as in a template.
    const probePath = path.join(this.ctx.templateDirs[this.ctx.templateDirs.length - 1] ?? this.ctx.root, '.cluster-template-tools-probe.j2');
    const rendered = await this.render(probePath, probe);
    if (rendered.error !== undefined) return { error: `\`${expression}\` does not evaluate: ${rendered.error}` };
    return { value: rendered.text?.trim() === 'yes' };
  }

  private render(templatePath: string, text: string): Promise<{ text?: string; error?: string }> {
    const key = `${templatePath}\u0000${text}`;
    let pending = this.renders.get(key);
    if (!pending) {
      pending = this.ctx.renderText(templatePath, text);
      this.renders.set(key, pending);
    }
    return pending;
  }

  private async findTemplate(relative: string): Promise<string | undefined> {
    for (const dir of this.ctx.templateDirs) {
      const candidate = path.join(dir, relative);
      if (await this.isFile(candidate)) return candidate;
    }
    return undefined;
  }

  private templateText(absolute: string): Promise<string | undefined> {
    let pending = this.templateTexts.get(absolute);
    if (!pending) {
      pending = this.ctx.reader.readText(absolute);
      this.templateTexts.set(absolute, pending);
    }
    return pending;
  }

  /** Every template of every input folder, relative to its folder; a path in an earlier folder hides a later one. */
  private templates(): Promise<{ relative: string; absolute: string }[]> {
    this.templateList ??= (async () => {
      const seen = new Set<string>();
      const out: { relative: string; absolute: string }[] = [];
      for (const dir of this.ctx.templateDirs) {
        for (const absolute of (await this.ctx.reader.listFiles?.(dir)) ?? []) {
          const relative = path.relative(dir, absolute).split(path.sep).join('/');
          if (seen.has(relative)) continue;
          seen.add(relative);
          out.push({ relative, absolute });
        }
      }
      return out.sort((a, b) => (a.relative < b.relative ? -1 : a.relative > b.relative ? 1 : 0));
    })();
    return this.templateList;
  }

  private async isFile(filePath: string): Promise<boolean> {
    if (this.ctx.reader.stat) return (await this.ctx.reader.stat(filePath))?.kind === 'file';
    return (await this.ctx.reader.readText(filePath)) !== undefined;
  }
}

/** The `resources` of a rendered kustomization, or undefined when it is not one. */
function resourcesOf(text: string): string[] | undefined {
  for (const document of parseAllDocuments(text)) {
    if (!('contents' in document) || document.errors.length > 0) return undefined;
    const value: unknown = document.toJS();
    if (value && typeof value === 'object' && 'resources' in value) {
      const resources = (value as { resources: unknown }).resources;
      return Array.isArray(resources) ? resources.map(String) : [];
    }
  }
  return undefined;
}

function shortPath(relative: string): string {
  return relative.replace(/^kubernetes\/apps\//, '');
}

function listed(names: string[]): string {
  return names.length <= 3 ? names.join(', ') : `${names.slice(0, 3).join(', ')} and ${names.length - 3} more`;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
