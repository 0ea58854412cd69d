// Reads a go-task v3 Taskfile and the Taskfiles it includes into the flat list of task names
// `task` accepts, each with where it is declared. Runs nothing; files come through a FileReader.
// The merge rules (namespaces, aliases, flatten, excludes, internal) follow go-task's ast.Tasks.Merge.
import * as path from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node as YamlNode, type Pair, type YAMLMap } from 'yaml';
import type { FileReader } from '../../host/fileReader';

/** The names go-task looks for in a folder, in its order of preference. */
export const TASKFILE_NAMES = ['Taskfile.yml', 'taskfile.yml', 'Taskfile.yaml', 'taskfile.yaml', 'Taskfile.dist.yml', 'taskfile.dist.yml', 'Taskfile.dist.yaml', 'taskfile.dist.yaml'] as const;

export interface TaskfileTask {
  /** As `task` accepts it: namespaced by the includes it came through (`talos:apply-node`). */
  name: string;
  description?: string;
  summary?: string;
  /** Other names `task` accepts for it, namespaced like the name. */
  aliases: string[];
  /** `internal: true` on the task or on an include it came through: `task` refuses to run it directly. */
  isInternal: boolean;
  /** Variables listed under `requires.vars`. */
  requiredVars: string[];
  /** The Taskfile that declares it (absolute). */
  file: string;
  /** 1-based line of its key. */
  line: number;
}

export interface TaskfileProblem {
  file: string;
  /** 1-based. */
  line: number;
  message: string;
}

export interface TaskfileReadResult {
  /** The root Taskfile; absent when the folder has none. */
  file?: string;
  tasks: TaskfileTask[];
  problems: TaskfileProblem[];
}

export interface TaskfileReadOptions {
  /** `{{.USER_WORKING_DIR}}`: where `task` is started. Defaults to the root Taskfile's folder. */
  userWorkingDir?: string;
}

const NAMESPACE_SEPARATOR = ':';

/**
 * The tasks of the Taskfile in `root` (a folder, or the Taskfile itself) and of everything it
 * includes, in declaration order: each file's own tasks, then its includes in order.
 * @example readTaskfile('/repo', reader) with `includes: { talos: .taskfiles/talos }`
 *   → { file: '/repo/Taskfile.yaml', tasks: [{ name: 'reconcile', … }, { name: 'talos:apply-node', requiredVars: ['IP'], … }], problems: [] }
 */
export async function readTaskfile(root: string, reader: FileReader, options: TaskfileReadOptions = {}): Promise<TaskfileReadResult> {
  const rootFile = await resolveEntrypoint(reader, root);
  if (!rootFile) return { tasks: [], problems: [] };
  const session = new TaskfileSession(reader, path.dirname(rootFile), options.userWorkingDir ?? path.dirname(rootFile));
  const tasks = await session.collect(rootFile, [rootFile]);
  return { file: rootFile, tasks, problems: session.problems };
}

// ---- Reading one file --------------------------------------------------------------------------

interface RawInclude {
  namespace: string;
  line: number;
  taskfile: string;
  isOptional: boolean;
  isInternal: boolean;
  isFlattened: boolean;
  aliases: string[];
  excludes: string[];
}

interface ParsedTaskfile {
  tasks: TaskfileTask[];
  includes: RawInclude[];
  /** Top-level `vars` with plain values: go-task fills include paths with them. */
  staticVars: Map<string, string>;
}

class TaskfileSession {
  readonly problems: TaskfileProblem[] = [];
  /** A file included twice (a diamond, not a cycle) is parsed once. */
  private readonly parsed = new Map<string, Promise<ParsedTaskfile | undefined>>();

  constructor(
    private readonly reader: FileReader,
    private readonly rootDir: string,
    private readonly userWorkingDir: string,
  ) {}

  /** The tasks of `file` merged with its includes, named as seen from `file`. */
  async collect(file: string, chain: string[]): Promise<TaskfileTask[]> {
    const parsed = await this.parse(file);
    if (!parsed) return [];
    const merged = new Map<string, TaskfileTask>();
    for (const task of parsed.tasks) {
      if (merged.has(task.name)) continue;
      merged.set(task.name, { ...task, aliases: [...task.aliases], requiredVars: [...task.requiredVars] });
    }
    for (const include of parsed.includes) {
      const problem = (message: string): void => {
        this.problems.push({ file, line: include.line, message });
      };
      const written = this.expandIncludePath(include.taskfile, file, parsed.staticVars);
      if (written === undefined) {
        if (!include.isOptional) problem(`include "${include.namespace}": the path ${include.taskfile} uses template values that are only known when task runs`);
        continue;
      }
      if (/^[a-z][a-z0-9+.-]*:\/\//i.test(written) || written.startsWith('git@')) {
        if (!include.isOptional) problem(`include "${include.namespace}": remote Taskfiles (${written}) are not read`);
        continue;
      }
      const target = await resolveEntrypoint(this.reader, path.resolve(path.dirname(file), written));
      if (!target) {
        if (!include.isOptional) problem(`include "${include.namespace}": no Taskfile at ${written}`);
        continue;
      }
      if (chain.includes(target)) {
        const cycle = [...chain.slice(chain.indexOf(target)), target].map((entry) => this.display(entry)).join(' → ');
        problem(`include "${include.namespace}" makes an include cycle: ${cycle}`);
        continue;
      }
      const included = await this.collect(target, [...chain, target]);
      mergeIncluded(merged, included, include, problem);
    }
    return [...merged.values()];
  }

  private parse(file: string): Promise<ParsedTaskfile | undefined> {
    let pending = this.parsed.get(file);
    if (!pending) {
      pending = this.reader.readText(file).then((text) => (text === undefined ? undefined : parseTaskfile(text, file, this.problems)));
      this.parsed.set(file, pending);
    }
    return pending;
  }

  /**
   * An include path with `{{.ROOT_DIR}}`, `{{.TASKFILE_DIR}}`, `{{.USER_WORKING_DIR}}` and the
   * including file's plain vars filled in; undefined when another template is left.
   */
  private expandIncludePath(written: string, includingFile: string, staticVars: Map<string, string>): string | undefined {
    const special = new Map([
      ['ROOT_DIR', this.rootDir],
      ['TASKFILE_DIR', path.dirname(includingFile)],
      ['USER_WORKING_DIR', this.userWorkingDir],
    ]);
    const fill = (text: string, lookup: (name: string) => string | undefined): string => text.replace(/\{\{\s*\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g, (whole, name: string) => lookup(name) ?? whole);
    const expanded = fill(written, (name) => {
      const value = special.get(name) ?? staticVars.get(name);
      // A var's own value may use the special dirs (`SHARED: '{{.ROOT_DIR}}/shared'`), one level deep.
      return value === undefined ? undefined : fill(value, (inner) => special.get(inner));
    });
    return expanded.includes('{{') ? undefined : expanded;
  }

  private display(file: string): string {
    const relative = path.relative(this.rootDir, file);
    return relative && !relative.startsWith('..') ? relative : file;
  }
}

/** go-task's merge of an included file's tasks into the including file's (ast.Tasks.Merge). */
function mergeIncluded(merged: Map<string, TaskfileTask>, included: TaskfileTask[], include: RawInclude, problem: (message: string) => void): void {
  const includedNames = new Set(included.map((task) => task.name));
  for (const task of included) {
    if (isExcluded(task.name, include.excludes)) continue;
    const copy: TaskfileTask = { ...task, aliases: [...task.aliases], requiredVars: [...task.requiredVars], isInternal: task.isInternal || include.isInternal };
    if (!include.isFlattened) {
      copy.name = withNamespace(task.name, include.namespace);
      copy.aliases = task.aliases.map((alias) => withNamespace(alias, include.namespace));
      for (const namespaceAlias of include.aliases) {
        copy.aliases.push(withNamespace(task.name, namespaceAlias), ...task.aliases.map((alias) => withNamespace(alias, namespaceAlias)));
      }
    }
    if (merged.has(copy.name)) {
      problem(`include "${include.namespace}": task "${copy.name}" is already defined${include.isFlattened ? ' (the include is flattened)' : ''}`);
      continue;
    }
    merged.set(copy.name, copy);
  }
  // `task <namespace>` runs the included file's default task, unless a task already has that name.
  if (!include.isFlattened && includedNames.has('default') && !merged.has(include.namespace)) {
    merged.get(withNamespace('default', include.namespace))?.aliases.push(include.namespace, ...include.aliases);
  }
}

/** `ns:task`; a leading `:` (`:init` in an included file) puts the task at the top level instead. */
function withNamespace(name: string, namespace: string): string {
  return name.startsWith(NAMESPACE_SEPARATOR) ? name.slice(1) : `${namespace}${NAMESPACE_SEPARATOR}${name}`;
}

/** `excludes` holds task names of the included file, or `ns:*` for all of a nested namespace. */
function isExcluded(name: string, excludes: string[]): boolean {
  return excludes.some((exclude) => {
    if (exclude.endsWith(NAMESPACE_SEPARATOR + '*')) {
      const namespace = exclude.slice(0, -2);
      return namespace !== '' && name.startsWith(namespace + NAMESPACE_SEPARATOR);
    }
    return name === exclude;
  });
}

// ---- Parsing -----------------------------------------------------------------------------------

function parseTaskfile(text: string, file: string, problems: TaskfileProblem[]): ParsedTaskfile | undefined {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  // An error at the very end (an unclosed quote) is shown on the last line, not one past it.
  const lineAt = (offset: number): number => lineCounter.linePos(Math.min(offset, text.replace(/\s+$/, '').length)).line;
  const error = document.errors[0];
  if (error) {
    // go-task refuses the whole file at its first error; so do we, but the rest of the tree is still read.
    problems.push({ file, line: lineAt(error.pos[0]), message: `not valid YAML: ${error.message.split('\n')[0]}` });
    return undefined;
  }
  const root = document.contents;
  if (root === null) return { tasks: [], includes: [], staticVars: new Map() };
  if (!isMap(root)) {
    problems.push({ file, line: lineAt(root.range?.[0] ?? 0), message: 'not a Taskfile: the top level is not a mapping' });
    return undefined;
  }
  const shapeProblem = (node: YamlNode | null | undefined, message: string): void => {
    problems.push({ file, line: lineAt(node?.range?.[0] ?? 0), message });
  };

  const tasks: TaskfileTask[] = [];
  const tasksNode = valueOf(root, 'tasks');
  if (tasksNode && !isNullScalar(tasksNode)) {
    if (!isMap(tasksNode)) shapeProblem(tasksNode, '"tasks" must be a mapping of task names');
    else {
      for (const pair of tasksNode.items as Pair<YamlNode, YamlNode | null>[]) {
        const name = scalarText(pair.key);
        if (name === undefined) continue;
        tasks.push(readTask(name, pair.value, file, lineAt(pair.key?.range?.[0] ?? 0)));
      }
    }
  }

  const includes: RawInclude[] = [];
  const includesNode = valueOf(root, 'includes');
  if (includesNode && !isNullScalar(includesNode)) {
    if (!isMap(includesNode)) shapeProblem(includesNode, '"includes" must be a mapping of namespaces');
    else {
      for (const pair of includesNode.items as Pair<YamlNode, YamlNode | null>[]) {
        const namespace = scalarText(pair.key);
        if (namespace === undefined) continue;
        const include = readInclude(namespace, pair.value, lineAt(pair.key?.range?.[0] ?? 0));
        if (typeof include === 'string') shapeProblem(pair.key, include);
        else includes.push(include);
      }
    }
  }

  const staticVars = new Map<string, string>();
  const varsNode = valueOf(root, 'vars');
  if (isMap(varsNode)) {
    for (const pair of varsNode.items as Pair<YamlNode, YamlNode | null>[]) {
      const name = scalarText(pair.key);
      const value = isScalar(pair.value) && pair.value.value !== null ? String(pair.value.value) : undefined;
      if (name !== undefined && value !== undefined) staticVars.set(name, value);
    }
  }
  return { tasks, includes, staticVars };
}

/** A task: a mapping, or the shorthand of one command (a string) or a list of commands. */
function readTask(name: string, node: YamlNode | null, file: string, line: number): TaskfileTask {
  const task: TaskfileTask = { name, aliases: [], isInternal: false, requiredVars: [], file, line };
  if (!isMap(node)) return task;
  const description = scalarText(valueOf(node, 'desc'));
  if (description !== undefined) task.description = description;
  const summary = scalarText(valueOf(node, 'summary'));
  if (summary !== undefined) task.summary = summary;
  task.aliases = stringList(valueOf(node, 'aliases'));
  task.isInternal = isTrue(valueOf(node, 'internal'));
  const requiredVars = valueOf(valueOf(node, 'requires'), 'vars');
  if (isSeq(requiredVars)) {
    for (const item of requiredVars.items as YamlNode[]) {
      // `- IP` or `- name: MODE` with an enum.
      const variable = isMap(item) ? scalarText(valueOf(item, 'name')) : scalarText(item);
      if (variable !== undefined) task.requiredVars.push(variable);
    }
  }
  return task;
}

/** An include: a path string, or a mapping with `taskfile` and options. A string is a problem message. */
function readInclude(namespace: string, node: YamlNode | null, line: number): RawInclude | string {
  const include: RawInclude = { namespace, line, taskfile: '', isOptional: false, isInternal: false, isFlattened: false, aliases: [], excludes: [] };
  if (isScalar(node) && node.value !== null) {
    include.taskfile = String(node.value);
    return include;
  }
  if (!isMap(node)) return `include "${namespace}" must be a path or a mapping with "taskfile"`;
  const taskfile = scalarText(valueOf(node, 'taskfile')) ?? '';
  const dir = scalarText(valueOf(node, 'dir')) ?? '';
  if (taskfile.trim() === '' && dir.trim() === '') return `include "${namespace}" must specify taskfile or dir`;
  // Without `taskfile`, go-task looks in the including file's own folder (`dir` only sets where tasks run).
  include.taskfile = taskfile;
  include.isOptional = isTrue(valueOf(node, 'optional'));
  include.isInternal = isTrue(valueOf(node, 'internal'));
  include.isFlattened = isTrue(valueOf(node, 'flatten'));
  include.aliases = stringList(valueOf(node, 'aliases'));
  include.excludes = stringList(valueOf(node, 'excludes'));
  return include;
}

// ---- Files -------------------------------------------------------------------------------------

/** The Taskfile at `target`: the file itself, or the first of TASKFILE_NAMES inside the folder. */
async function resolveEntrypoint(reader: FileReader, target: string): Promise<string | undefined> {
  const kind = await kindOf(reader, target);
  if (kind === 'file') return target;
  if (kind === undefined && reader.stat) return undefined;
  for (const name of TASKFILE_NAMES) {
    const candidate = path.join(target, name);
    if ((await kindOf(reader, candidate)) === 'file') return candidate;
  }
  return undefined;
}

/** File or folder; without `stat` a readable path is a file and anything else is unknown. */
async function kindOf(reader: FileReader, target: string): Promise<'file' | 'directory' | undefined> {
  if (reader.stat) {
    const stat = await reader.stat(target);
    return stat?.kind === 'file' ? 'file' : stat?.kind === 'directory' ? 'directory' : undefined;
  }
  return (await reader.readText(target)) !== undefined ? 'file' : undefined;
}

// ---- YAML helpers ------------------------------------------------------------------------------

function valueOf(node: YamlNode | null | undefined, key: string): YamlNode | null | undefined {
  if (!isMap(node)) return undefined;
  const pair = (node as YAMLMap<YamlNode, YamlNode | null>).items.find((item) => scalarText(item.key) === key);
  return pair ? pair.value : undefined;
}

function scalarText(node: YamlNode | null | undefined): string | undefined {
  return isScalar(node) && node.value !== null && node.value !== undefined ? String(node.value) : undefined;
}

function isNullScalar(node: YamlNode): boolean {
  return isScalar(node) && node.value === null;
}

function isTrue(node: YamlNode | null | undefined): boolean {
  return isScalar(node) && node.value === true;
}

function stringList(node: YamlNode | null | undefined): string[] {
  if (!isSeq(node)) return [];
  return (node.items as YamlNode[]).map(scalarText).filter((item): item is string => item !== undefined);
}
