// The command-line tool: the same engines as the language server, for pre-commit hooks and CI.
// `check <folder>` checks cluster.yaml, nodes.yaml and every template, prints
// `path:line:col: severity: message [code]` sorted by path and position, and exits 1 on any error.
// `render <workspace>` renders like makejinja, writing nothing when any template fails.
// `status <workspace>` lists the remaining work with its states (engines/tasks).
// `decrypt`, `encrypt` and `sops-status` work on sops files with the native engine (the sops
// binary only for key types it does not implement); plaintext goes to stdout, never to stderr.
import { homedir } from 'node:os';
import * as path from 'node:path';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { WorkspaceRenderer, type RenderPlan } from './engines/render/workspaceRender';
import { blockingAtomicWriteOps, writeFileAtomic, writeRenderPlan } from './host/atomicWrite';
import { blockingFileReader, nodePluginFileAccess } from './host/fileReader';
import { findPluginDataScript, nodeProcessRunner } from './host/processRunner';
import type { ConfigProblem } from './services/cluster/diagnostics';
import { parseTemplate } from './services/jinja/parser';
import type * as TemplateDiagnostics from './services/jinja/templateDiagnostics';
import type * as ConfigFiles from './workspace/configFiles';
import type { RootCheck } from './workspace/configFiles';
import type * as TemplateWorkspace from './workspace/templateWorkspace';
import type * as SopsFormat from './engines/sops/sopsFormat';
import type * as SopsConfigModule from './engines/sops/sopsConfig';
import type * as SopsIdentities from './engines/sops/identities';
import type * as SopsCliEngine from './engines/sops/cliEngine';
import type * as SopsSecretsStatus from './engines/sops/secretsStatus';
import type * as TaskCatalog from './engines/tasks/catalog';
import type * as TaskItemState from './engines/tasks/itemState';
import type * as TaskStateContext from './engines/tasks/stateContext';
import type * as StepResultStoreModule from './host/stepResultStore';
import type { WorkItemInfo } from './protocol';

// The check command's modules (schemas, ajv) load only when it runs, so that `render` starts fast.
const checkModules = () => ({
  ...(require('./workspace/configFiles') as typeof ConfigFiles),
  ...(require('./workspace/templateWorkspace') as typeof TemplateWorkspace),
  ...(require('./services/jinja/templateDiagnostics') as typeof TemplateDiagnostics),
});

// The sops commands' modules (age-encryption among them) load only when one of them runs.
const sopsModules = () => ({
  format: require('./engines/sops/sopsFormat') as typeof SopsFormat,
  config: require('./engines/sops/sopsConfig') as typeof SopsConfigModule,
  identities: require('./engines/sops/identities') as typeof SopsIdentities,
  cliEngine: require('./engines/sops/cliEngine') as typeof SopsCliEngine,
  secrets: require('./engines/sops/secretsStatus') as typeof SopsSecretsStatus,
});

// The status command's modules load only when it runs.
const statusModules = () => ({
  ...(require('./engines/tasks/catalog') as typeof TaskCatalog),
  ...(require('./engines/tasks/itemState') as typeof TaskItemState),
  ...(require('./engines/tasks/stateContext') as typeof TaskStateContext),
  ...(require('./host/stepResultStore') as typeof StepResultStoreModule),
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
  decrypt <file>   Decrypt a sops file and print the plaintext to stdout. The MAC is always
                   checked; exits 1 on a MAC mismatch, a damaged file or when no age key opens it.
  encrypt <file> [--in-place]
                   Encrypt a plaintext file with the creation rule of the nearest .sops.yaml
                   above it. Prints the encrypted file, or replaces the file with --in-place
                   (atomically). An encrypted file is never encrypted again (exit 1).
  sops-status <folder>
                   List every *.sops.* file under the folder (templates/, .git and node_modules
                   left out) as encrypted, plaintext or broken; exits 1 when any is plaintext or
                   broken (a pre-commit check).
  status <workspace> [--json]
                   The remaining work of a cluster-template repository: every item with its
                   state (done, in-progress, todo, blocked, unknown), why, and its steps' last
                   known results (kept per workspace in ~/.local/state/cluster-template-tools).
                   --json prints one object per item. Derived values come from reading
                   plugin.py statically. Exits 1 when the folder is not such a repository.
  help             Show this help.

Age keys are read from, in order: SOPS_AGE_KEY, SOPS_AGE_KEY_FILE, the workspace settings
clusterTemplate.sops.ageKeyFile and sops.defaults.ageKeyFile (.vscode/settings.json), age.key in
the workspace, and sops' keys.txt ($XDG_CONFIG_HOME or ~/.config/sops/age/keys.txt). The
workspace is the folder of the nearest .sops.yaml above the file, else the current folder.
PGP, KMS, Vault and key-group files and rules are handed to the sops program when it is installed.

Exit codes: 0 success, 1 problems found (check, sops-status) or the command failed, 2 usage error.
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

// ---------------------------------------------------------------------------------------------
// sops: decrypt, encrypt, sops-status

/** A sops command's failure: a sentence for stderr (never a value or a key) and the exit code. */
class CommandFailure extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/**
 * The workspace settings that name age key files, from <workspace>/.vscode/settings.json (JSON
 * with comments); the same values the editor passes to the engine. Missing or unreadable: none.
 */
async function editorKeyFileSettings(workspaceRoot: string): Promise<{ settingKeyFile?: string; sopsExtensionKeyFile?: string }> {
  const text = await blockingFileReader.readText(path.join(workspaceRoot, '.vscode', 'settings.json'));
  if (text === undefined) return {};
  let settings: Record<string, unknown>;
  try {
    settings = JSON.parse(withoutJsonComments(text)) as Record<string, unknown>;
  } catch {
    // A settings file the editor itself would flag: the other key sources still apply.
    return {};
  }
  const lookup = (dotted: string): string | undefined => {
    if (typeof settings[dotted] === 'string') return settings[dotted] as string;
    let node: unknown = settings;
    for (const part of dotted.split('.')) node = node && typeof node === 'object' ? (node as Record<string, unknown>)[part] : undefined;
    return typeof node === 'string' ? node : undefined;
  };
  const result: { settingKeyFile?: string; sopsExtensionKeyFile?: string } = {};
  const ours = lookup('clusterTemplate.sops.ageKeyFile');
  const theirs = lookup('sops.defaults.ageKeyFile');
  if (ours) result.settingKeyFile = ours;
  if (theirs) result.sopsExtensionKeyFile = theirs;
  return result;
}

/** JSON with comments (VS Code settings.json): line and block comments and trailing commas, outside strings, removed. */
function withoutJsonComments(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (char === '"') {
      let end = i + 1;
      while (end < text.length && text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      out += text.slice(i, end + 1);
      i = end;
    } else if (char === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      out += '\n';
    } else if (char === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? text.length : end + 1;
    } else {
      out += char;
    }
  }
  return out.replace(/,(\s*[}\]])/g, '$1');
}

/** Where the workspace is for a sops file: the folder of the nearest .sops.yaml above it, else the current folder. */
async function sopsContextFor(filePath: string) {
  const { config, identities } = sopsModules();
  const found = await config.findSopsConfig(filePath, blockingFileReader);
  const workspaceRoot = found?.config.folder ?? process.cwd();
  const sources: SopsIdentities.IdentitySources = {
    env: process.env,
    ...(await editorKeyFileSettings(workspaceRoot)),
    workspaceRoot,
    home: homedir(),
    platform: process.platform,
    cwd: process.cwd(),
  };
  return { found, workspaceRoot, sources, loadIdentities: () => identities.loadAgeIdentities(sources, blockingFileReader) };
}

async function readSopsInput(filePath: string): Promise<{ text: string; bytes: Uint8Array }> {
  const bytes = await blockingFileReader.readBytes!(filePath);
  if (bytes === undefined) throw new CommandFailure(`error: cannot read ${filePath}`);
  return { text: Buffer.from(bytes).toString('utf8'), bytes };
}

function describeSopsError(error: unknown, filePath: string): CommandFailure {
  const { format } = sopsModules();
  if (error instanceof format.SopsError) return new CommandFailure(`error: ${filePath}: ${error.message} [${error.code}]`);
  throw error;
}

/** Runs the sops binary for what the native engine cannot do; a missing binary is said plainly. */
function cliOutcome(result: SopsCliEngine.SopsCliResult, filePath: string, why: string): string {
  if (result.kind === 'ok') return result.output;
  if (result.kind === 'missing-binary') throw new CommandFailure(`error: ${filePath}: ${why}. ${result.message} ${result.hint}`);
  throw new CommandFailure(`error: ${filePath}: ${result.message}`);
}

async function decrypt(file: string): Promise<number> {
  const { format, identities, cliEngine } = sopsModules();
  const filePath = path.resolve(file);
  const { text } = await readSopsInput(filePath);
  const store = format.storeOfPath(filePath);
  let metadata: SopsFormat.SopsMetadata | undefined;
  try {
    metadata = format.readSopsMetadata(text, store);
  } catch (error) {
    throw describeSopsError(error, filePath);
  }
  if (!metadata) throw new CommandFailure(`error: ${filePath} is not encrypted with sops (it has no sops metadata)`);
  const context = await sopsContextFor(filePath);
  const hasNativeKeys = metadata.age.length > 0 && !(metadata.key_groups && metadata.key_groups.length > 0);
  if (!hasNativeKeys) {
    // PGP, cloud KMS, Vault, key groups: only the sops program opens these.
    const choice = cliEngine.chooseSopsEngine({ preference: 'native', canDecryptNatively: false });
    const loaded = await context.loadIdentities();
    const result = await cliEngine.decryptWithSopsCli(filePath, {
      runner: nodeProcessRunner,
      cwd: context.workspaceRoot,
      ...(context.found ? { configPath: context.found.config.configPath } : {}),
      env: cliEngine.sopsCliEnvironment(loaded, process.env),
    });
    process.stdout.write(cliOutcome(result, filePath, choice.reason));
    return 0;
  }
  const loaded = await context.loadIdentities();
  for (const problem of loaded.problems) process.stderr.write(`warning: ${problem.label}${problem.line ? ` line ${problem.line}` : ''}: ${problem.message}\n`);
  let dataKey: Uint8Array | undefined;
  try {
    dataKey = await format.unwrapDataKey(metadata, loaded.identities);
  } catch (error) {
    throw describeSopsError(error, filePath);
  }
  if (!dataKey) {
    const wanted = metadata.age.map((entry) => entry.recipient);
    const missing = identities.describeMissingIdentities(loaded, wanted);
    const otherKeyTypes = [...(metadata.pgp.length > 0 ? ['pgp'] : []), ...Object.keys(metadata.otherKeys)];
    if (otherKeyTypes.length === 0) throw new CommandFailure(`error: ${filePath}: ${missing}`);
    // The file is also wrapped for PGP or a cloud key: the sops program may still open it.
    const result = await cliEngine.decryptWithSopsCli(filePath, {
      runner: nodeProcessRunner,
      cwd: context.workspaceRoot,
      ...(context.found ? { configPath: context.found.config.configPath } : {}),
    });
    if (result.kind !== 'ok') throw new CommandFailure(`error: ${filePath}: ${missing} It is also encrypted for ${cliEngine.describeKeyTypes(otherKeyTypes)}: ${result.message}`);
    process.stdout.write(result.output);
    return 0;
  }
  // Like sops, the plaintext is written with the .sops.yaml stores indentation.
  const stores = context.found?.config.stores;
  const indent = store === 'yaml' ? stores?.yamlIndent : store === 'json' ? stores?.jsonIndent : undefined;
  let result: SopsFormat.DecryptResult;
  try {
    result = format.decryptSops(text, store, dataKey, indent !== undefined ? { indent } : {});
  } catch (error) {
    throw describeSopsError(error, filePath);
  }
  process.stdout.write(store === 'binary' ? result.bytes : result.plaintext);
  return 0;
}

async function encrypt(file: string, isInPlace: boolean): Promise<number> {
  const { format, config, cliEngine } = sopsModules();
  const filePath = path.resolve(file);
  const { text, bytes } = await readSopsInput(filePath);
  const store = format.storeOfPath(filePath);
  // Checked before anything else: an encrypted file must never be encrypted a second time.
  let existing: SopsFormat.SopsMetadata | undefined;
  try {
    existing = format.readSopsMetadata(text, store);
  } catch {
    // Not readable in its store: encryptSops reports why below.
  }
  if (existing || (store !== 'binary' && format.isSopsEncrypted(text, store) && text.includes('ENC[AES256_GCM,'))) {
    throw new CommandFailure(`error: ${filePath} is already encrypted; nothing was written`);
  }
  const context = await sopsContextFor(filePath);
  if (!context.found) throw new CommandFailure(`error: no ${config.SOPS_CONFIG_NAME} in ${path.dirname(filePath)} or any folder above it: sops needs its creation rules to encrypt`);
  const sopsConfig = context.found.config;
  if (context.found.note) process.stderr.write(`note: ${context.found.note}\n`);
  const match = config.matchCreationRule(sopsConfig, filePath);
  if (match.kind === 'no-creation-rules') throw new CommandFailure(`error: ${sopsConfig.configPath} has no creation_rules`);
  if (match.kind === 'no-match') throw new CommandFailure(`error: no creation rule in ${sopsConfig.configPath} matches ${match.relativePath}`);
  if (match.kind !== 'matched') throw new CommandFailure(`error: ${match.kind === 'unloadable-config' ? match.message : `${sopsConfig.configPath}: ${match.message}`}`);
  const rule = match.rule;
  let ciphertext: string;
  const choice = cliEngine.chooseSopsEngine({ preference: 'native', foreignKeyTypes: rule.foreignKeyTypes });
  if (choice.engine === 'cli') {
    const loaded = await context.loadIdentities();
    const result = await cliEngine.encryptWithSopsCli(filePath, {
      runner: nodeProcessRunner,
      cwd: sopsConfig.folder,
      configPath: sopsConfig.configPath,
      env: cliEngine.sopsCliEnvironment(loaded, process.env),
    });
    ciphertext = cliOutcome(result, filePath, choice.reason);
  } else {
    if (rule.ageRecipients.length === 0) throw new CommandFailure(`error: creation rule ${rule.index + 1} of ${sopsConfig.configPath} (line ${rule.line + 1}) lists no age recipient`);
    const indent = store === 'yaml' ? sopsConfig.stores.yamlIndent : store === 'json' ? sopsConfig.stores.jsonIndent : store === 'binary' ? sopsConfig.stores.jsonBinaryIndent : undefined;
    try {
      ciphertext = await format.encryptSops(store === 'binary' ? bytes : text, store, {
        rule: config.cryptRuleOf(rule),
        ageRecipients: rule.ageRecipients,
        ...(indent !== undefined ? { indent } : {}),
        now: new Date(),
      });
    } catch (error) {
      throw describeSopsError(error, filePath);
    }
  }
  if (!isInPlace) {
    process.stdout.write(ciphertext);
    return 0;
  }
  await writeFileAtomic(filePath, ciphertext, { ops: blockingAtomicWriteOps });
  process.stderr.write(`encrypted ${path.relative(process.cwd(), filePath) || filePath} in place (creation rule ${rule.index + 1} of ${path.relative(process.cwd(), sopsConfig.configPath) || sopsConfig.configPath})\n`);
  return 0;
}

async function sopsStatus(folder: string): Promise<number> {
  const { secrets } = sopsModules();
  const root = path.resolve(folder);
  if ((await blockingFileReader.stat!(root))?.kind !== 'directory') {
    process.stderr.write(`error: ${root} is not a folder\n`);
    return 2;
  }
  const files = await secrets.findSecretFiles(root, blockingFileReader);
  const counts: Record<SopsSecretsStatus.SecretState, number> = { encrypted: 0, plaintext: 0, broken: 0 };
  for (const filePath of files) {
    const text = await blockingFileReader.readText(filePath);
    const status: SopsSecretsStatus.SecretStatus = text === undefined ? { state: 'broken', reason: 'cannot be read' } : secrets.classifySecretText(text, filePath);
    counts[status.state]++;
    const relativePath = path.relative(root, filePath).split(path.sep).join('/');
    process.stdout.write(`${status.state.padEnd(9)} ${relativePath}${status.state === 'encrypted' || !status.reason ? '' : `: ${status.reason}`}\n`);
  }
  process.stderr.write(`${files.length} secret file(s): ${counts.encrypted} encrypted, ${counts.plaintext} plaintext, ${counts.broken} broken\n`);
  return counts.plaintext + counts.broken > 0 ? 1 : 0;
}

const STATE_LABELS: Record<WorkItemInfo['state'], string> = { done: 'done', 'in-progress': 'in progress', todo: 'to do', blocked: 'blocked', unknown: 'unknown' };
const PRIORITY_LABELS: Record<WorkItemInfo['priority'], string> = { high: 'High', medium: 'Medium', low: 'Low', future: 'Future' };

async function status(folder: string, isJson: boolean): Promise<number> {
  const root = path.resolve(folder);
  const { CATALOG, readWorkItems, readWorkspaceShape, loadStepResultsBlocking } = statusModules();
  const { isOnPath } = require('./host/processRunner') as typeof import('./host/processRunner');
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined) env[key] = value;
  const renderer = new WorkspaceRenderer(root, blockingFileReader, { env, derivedData: 'static', pluginFiles: nodePluginFileAccess });
  const shape = await readWorkspaceShape(root, {
    reader: blockingFileReader,
    renderText: async (templatePath, text) => {
      const rendered = await renderer.preview(templatePath, text);
      return rendered.problem ? { error: rendered.problem.message } : { text: rendered.text ?? '' };
    },
    stepResults: loadStepResultsBlocking(root),
    isOnPath: (program) => isOnPath(program),
  });
  if (!shape.isClusterTemplate) {
    process.stderr.write(`error: ${root} is not a cluster-template repository (no makejinja.toml, no cluster.yaml beside templates/)\n`);
    return 1;
  }
  const items = await readWorkItems(CATALOG, shape.context);
  if (isJson) {
    const out = items.map((item) => ({
      id: item.id,
      title: item.title,
      priority: item.priority,
      state: item.state,
      reasons: item.reasons,
      steps: item.steps.map((step) => ({ id: step.id, title: step.title, kind: step.kind, ...(step.lastResult ? { lastResult: step.lastResult } : {}) })),
    }));
    process.stdout.write(JSON.stringify(out, null, 2) + '\n');
    return 0;
  }
  const lines: string[] = [];
  for (const priority of ['high', 'medium', 'low', 'future'] as const) {
    const group = items.filter((item) => item.priority === priority);
    if (group.length === 0) continue;
    lines.push(PRIORITY_LABELS[priority]);
    for (const item of group) {
      lines.push(`  ${item.title} [${item.id}]: ${STATE_LABELS[item.state]}${item.isGuide ? ' (guide)' : ''}`);
      for (const reason of item.reasons) lines.push(`      ${reason}`);
      for (const step of item.steps) {
        if (step.lastResult) lines.push(`      last ${step.id}: ${step.lastResult.status} (${step.lastResult.at}): ${step.lastResult.reason}`);
      }
    }
  }
  const done = items.filter((item) => item.state === 'done').length;
  lines.push(`${items.length} item(s): ${done} done, ${items.length - done} open`);
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
    case 'decrypt':
    case 'sops-status': {
      if (rest.length !== 1 || rest[0].startsWith('-')) {
        process.stderr.write(`error: ${command} needs exactly one ${command === 'decrypt' ? 'file' : 'folder'}\n\n${USAGE}`);
        return 2;
      }
      return command === 'decrypt' ? decrypt(rest[0]) : sopsStatus(rest[0]);
    }
    case 'status': {
      const isJson = rest.includes('--json');
      const others = rest.filter((arg) => arg !== '--json');
      if (others.length !== 1 || others[0].startsWith('-')) {
        process.stderr.write(`error: status needs exactly one workspace folder${others.find((arg) => arg.startsWith('-')) ? ` (unknown option ${others.find((arg) => arg.startsWith('-'))})` : ''}\n\n${USAGE}`);
        return 2;
      }
      return status(others[0], isJson);
    }
    case 'encrypt': {
      const isInPlace = rest.includes('--in-place') || rest.includes('-i');
      const others = rest.filter((arg) => arg !== '--in-place' && arg !== '-i');
      if (others.length !== 1 || others[0].startsWith('-')) {
        process.stderr.write(`error: ${others.find((arg) => arg.startsWith('-')) ? `unknown option ${others.find((arg) => arg.startsWith('-'))}` : 'encrypt needs exactly one file'}\n\n${USAGE}`);
        return 2;
      }
      return encrypt(others[0], isInPlace);
    }
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
    if (error instanceof CommandFailure) {
      process.stderr.write(`${error.message}\n`);
      process.exit(error.exitCode);
    }
    process.stderr.write(`internal error: ${(error as Error)?.stack ?? String(error)}\n`);
    process.exit(3);
  },
);
