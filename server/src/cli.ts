// The command-line tool: the same engines as the language server, for pre-commit hooks and CI.
// `check <folder>` checks cluster.yaml, nodes.yaml and every template, prints
// `path:line:col: severity: message [code]` sorted by path and position, and exits 1 on any error.
// `render <workspace>` renders like makejinja, writing nothing when any template fails.
import * as path from 'node:path';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { WorkspaceRenderer, type RenderPlan } from './engines/render/workspaceRender';
import { blockingAtomicWriteOps, writeRenderPlan } from './host/atomicWrite';
import { blockingFileReader, nodePluginFileAccess } from './host/fileReader';
import { findPluginDataScript, nodeProcessRunner } from './host/processRunner';
import type { ConfigProblem } from './services/cluster/diagnostics';
import { parseTemplate } from './services/jinja/parser';
import type * as TemplateDiagnostics from './services/jinja/templateDiagnostics';
import type * as ConfigFiles from './workspace/configFiles';
import type { RootCheck } from './workspace/configFiles';
import type * as TemplateWorkspace from './workspace/templateWorkspace';

// The check command's modules (schemas, ajv) load only when it runs, so that `render` starts fast.
const checkModules = () => ({
  ...(require('./workspace/configFiles') as typeof ConfigFiles),
  ...(require('./workspace/templateWorkspace') as typeof TemplateWorkspace),
  ...(require('./services/jinja/templateDiagnostics') as typeof TemplateDiagnostics),
});

const USAGE = `Usage: cluster-template-tools <command> [arguments]

Commands:
  check <folder>   Check cluster.yaml, nodes.yaml and the makejinja templates of a
                   cluster-template repository. Prints path:line:col: severity: message [code]
                   sorted by path and position; exits 1 when there is an error.
  render <workspace> [--out <dir>] [--dry-run] [--python <path>]
                   Render the templates like makejinja (makejinja.toml) into the workspace,
                   or into <dir> with --out (the workspace is then left untouched). Prints a
                   summary; on any template error prints template:line: Type: message, writes
                   nothing and exits 1. --dry-run prints what would be written. plugin.py's
                   data() is read statically unless --python names an interpreter to run it
                   with (that executes the workspace's Python code).
  help             Show this help.

Exit codes: 0 success, 1 problems found (check) or render failed, 2 usage error.
`;

/** Formats one problem the way compilers do, so editors and CI annotate it. Lines and columns are 1-based. */
export function formatProblem(relativePath: string, document: TextDocument, problem: ConfigProblem): string {
  const position = document.positionAt(problem.span.start);
  return `${relativePath}:${position.line + 1}:${position.character + 1}: ${problem.severity}: ${problem.message} [${problem.code}]`;
}

/** One problem to print, with what it is sorted by. */
interface Finding {
  relativePath: string;
  offset: number;
  severity: ConfigProblem['severity'];
  line: string;
}

function findingsOf(relativePath: string, document: TextDocument, problems: ConfigProblem[]): Finding[] {
  return problems.map((problem) => ({ relativePath, offset: problem.span.start, severity: problem.severity, line: formatProblem(relativePath, document, problem) }));
}

/** Every template's diagnostics, parsed with the workspace's delimiters against the current data. */
async function checkTemplates(root: string, configCheck: RootCheck): Promise<{ findings: Finding[]; checked: number }> {
  const { loadTemplateWorkspace, collectTemplateProblems } = checkModules();
  const workspace = await loadTemplateWorkspace(root, blockingFileReader, configCheck);
  if (workspace.templates.size === 0 && !workspace.hasMakejinjaToml) return { findings: [], checked: 0 };
  for (const note of workspace.notes) process.stderr.write(`note: ${note}\n`);
  const findings: Finding[] = workspace.configProblems.map((problem) => {
    const line = (problem.line ?? 0) + 1;
    return { relativePath: 'makejinja.toml', offset: line, severity: problem.severity, line: `makejinja.toml:${line}:1: ${problem.severity}: ${problem.message} [makejinja-config]` };
  });
  let checked = 0;
  for (const filePath of new Set(workspace.templates.values())) {
    const text = await blockingFileReader.readText(filePath);
    if (text === undefined) continue;
    checked++;
    const problems = collectTemplateProblems(parseTemplate(text, workspace.syntax), workspace.context);
    const relativePath = path.relative(root, filePath).split(path.sep).join('/');
    findings.push(...findingsOf(relativePath, TextDocument.create(filePath, 'jinja', 0, text), problems));
  }
  return { findings, checked };
}

function byPathThenPosition(a: Finding, b: Finding): number {
  if (a.relativePath !== b.relativePath) return a.relativePath < b.relativePath ? -1 : 1;
  return a.offset - b.offset;
}

async function check(folder: string): Promise<number> {
  const root = path.resolve(folder);
  const { ConfigFileStore } = checkModules();
  const store = new ConfigFileStore(blockingFileReader, () => ({ useWorkspaceSchema: true }));
  const result = await store.checkRoot(root, { get: () => undefined });
  for (const note of result.workspace.notes) process.stderr.write(`note: ${note}\n`);
  const findings: Finding[] = [];
  let checked = 0;
  for (const state of Object.values(result.files)) {
    if (state.text === undefined) continue;
    checked++;
    const document = TextDocument.create(state.filePath, 'yaml', 0, state.text);
    findings.push(...findingsOf(path.relative(root, state.filePath), document, result.problems[state.kind]));
  }
  if (checked === 0) {
    process.stderr.write(`error: ${root} has neither cluster.yaml nor nodes.yaml\n`);
    return 2;
  }
  const templates = await checkTemplates(root, result);
  findings.push(...templates.findings);
  for (const finding of findings.sort(byPathThenPosition)) process.stdout.write(finding.line + '\n');
  const errors = findings.filter((finding) => finding.severity === 'error').length;
  const warnings = findings.filter((finding) => finding.severity === 'warning').length;
  process.stderr.write(`${checked} file(s) and ${templates.checked} template(s) checked: ${errors} error(s), ${warnings} warning(s)\n`);
  return errors > 0 ? 1 : 0;
}

interface RenderArguments {
  workspace: string;
  out?: string;
  isDryRun: boolean;
  python?: string;
}

/** The render command's arguments, or a sentence saying what is wrong with them. */
function parseRenderArguments(args: string[]): RenderArguments | string {
  let workspace: string | undefined;
  let out: string | undefined;
  let python: string | undefined;
  let isDryRun = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--dry-run') isDryRun = true;
    else if (arg === '--out' || arg === '--python') {
      const value = args[++i];
      if (value === undefined || value.startsWith('--')) return `${arg} needs a value`;
      if (arg === '--out') out = value;
      else python = value;
    } else if (arg.startsWith('--out=')) out = arg.slice('--out='.length);
    else if (arg.startsWith('--python=')) python = arg.slice('--python='.length);
    else if (arg.startsWith('-')) return `unknown option ${arg}`;
    else if (workspace === undefined) workspace = arg;
    else return `unexpected argument ${arg}`;
  }
  if (workspace === undefined) return 'render needs a workspace folder';
  const parsed: RenderArguments = { workspace, isDryRun };
  if (out !== undefined) parsed.out = out;
  if (python !== undefined) parsed.python = python;
  return parsed;
}

type OutputState = 'created' | 'changed' | 'unchanged';

/** Compares each planned file with the disk: content, and the mode the plan sets. */
async function outputStates(plan: RenderPlan): Promise<Map<string, OutputState>> {
  const states = new Map<string, OutputState>();
  for (const file of plan.files) {
    const existing = await blockingFileReader.readBytes!(file.outputPath);
    if (existing === undefined) {
      states.set(file.outputPath, 'created');
      continue;
    }
    const planned = typeof file.content === 'string' ? Buffer.from(file.content, 'utf8') : Buffer.from(file.content);
    const isSameMode = file.mode === undefined || (await blockingFileReader.stat!(file.outputPath))?.mode === file.mode;
    states.set(file.outputPath, Buffer.compare(planned, Buffer.from(existing)) === 0 && isSameMode ? 'unchanged' : 'changed');
  }
  return states;
}

async function render(args: RenderArguments): Promise<number> {
  const root = path.resolve(args.workspace);
  if ((await blockingFileReader.stat!(root))?.kind !== 'directory') {
    process.stderr.write(`error: ${root} is not a folder\n`);
    return 2;
  }
  const outputRoot = args.out !== undefined ? path.resolve(args.out) : undefined;
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined) env[key] = value;
  const renderer = new WorkspaceRenderer(root, blockingFileReader, {
    outputRoot,
    env,
    derivedData: args.python ? { python: args.python, runner: nodeProcessRunner, scriptPath: findPluginDataScript() } : 'static',
    pluginFiles: nodePluginFileAccess,
  });
  const plan = await renderer.plan();
  const shown = (filePath: string): string => path.relative(process.cwd(), filePath) || '.';
  if (plan.errors.length > 0) {
    for (const error of plan.errors) process.stderr.write(`${shown(error.templatePath)}:${error.line}: ${error.pyType}: ${error.message}\n`);
    for (const note of plan.notes) process.stderr.write(`note: ${note}\n`);
    process.stderr.write(`${plan.errors.length} error(s): nothing was written\n`);
    return 1;
  }
  const states = await outputStates(plan);
  const count = (state: OutputState): number => [...states.values()].filter((s) => s === state).length;
  const toWrite = new Set([...states].filter(([, state]) => state !== 'unchanged').map(([filePath]) => filePath));
  const destination = outputRoot ?? root;
  const lines: string[] = [];
  if (args.isDryRun) {
    for (const file of plan.files) {
      const state = states.get(file.outputPath)!;
      if (state !== 'unchanged') lines.push(`${state === 'created' ? 'create' : 'change'} ${path.relative(destination, file.outputPath)}`);
    }
    for (const folder of plan.directoriesToRemove) lines.push(`remove empty folder ${path.relative(destination, folder)}`);
  } else {
    const written = await writeRenderPlan(plan, { onlyFiles: toWrite, ops: blockingAtomicWriteOps });
    if (written.failures.length > 0) {
      for (const failure of written.failures) process.stderr.write(`error: could not write ${failure}\n`);
      return 1;
    }
  }
  const verb = args.isDryRun ? 'would render' : 'rendered';
  lines.push(
    `${plan.files.length} file(s) ${verb} into ${shown(destination)}: ${count('created')} created, ${count('changed')} changed, ${count('unchanged')} unchanged` +
      (plan.directoriesToRemove.length > 0 ? `, ${plan.directoriesToRemove.length} empty folder(s) ${args.isDryRun ? 'to remove' : 'removed'}` : '') +
      (plan.skippedExisting.length > 0 ? `, ${plan.skippedExisting.length} existing file(s) kept (force = false)` : ''),
  );
  for (const note of plan.notes) lines.push(`note: ${note}`);
  if (!args.python && plan.notes.some((note) => note.startsWith('derived values approximate'))) {
    lines.push("note: plugin.py's data() was not run; pass --python <path> to run it (this executes the workspace's Python code).");
  }
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'render': {
      const parsed = parseRenderArguments(rest);
      if (typeof parsed === 'string') {
        process.stderr.write(`error: ${parsed}\n\n${USAGE}`);
        return 2;
      }
      return render(parsed);
    }
    case 'check':
      if (rest.length !== 1) {
        process.stderr.write(USAGE);
        return 2;
      }
      return check(rest[0]);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return command === undefined ? 2 : 0;
    default:
      process.stderr.write(`Unknown command: ${command}\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`internal error: ${(error as Error)?.stack ?? String(error)}\n`);
    process.exit(3);
  },
);
