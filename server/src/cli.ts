// The command-line tool: the same engines as the language server, for pre-commit hooks and CI.
// `check <folder>` checks cluster.yaml, nodes.yaml and every template, prints
// `path:line:col: severity: message [code]` sorted by path and position, and exits 1 on any error.
import * as path from 'node:path';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { nodeFileReader } from './host/fileReader';
import type { ConfigProblem } from './services/cluster/diagnostics';
import { parseTemplate } from './services/jinja/parser';
import { collectTemplateProblems } from './services/jinja/templateDiagnostics';
import { ConfigFileStore, type RootCheck } from './workspace/configFiles';
import { loadTemplateWorkspace } from './workspace/templateWorkspace';

const USAGE = `Usage: cluster-template-tools <command> [arguments]

Commands:
  check <folder>   Check cluster.yaml, nodes.yaml and the makejinja templates of a
                   cluster-template repository. Prints path:line:col: severity: message [code]
                   sorted by path and position; exits 1 when there is an error.
  help             Show this help.
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
  const workspace = await loadTemplateWorkspace(root, nodeFileReader, configCheck);
  if (workspace.templates.size === 0 && !workspace.hasMakejinjaToml) return { findings: [], checked: 0 };
  for (const note of workspace.notes) process.stderr.write(`note: ${note}\n`);
  const findings: Finding[] = workspace.configProblems.map((problem) => {
    const line = (problem.line ?? 0) + 1;
    return { relativePath: 'makejinja.toml', offset: line, severity: problem.severity, line: `makejinja.toml:${line}:1: ${problem.severity}: ${problem.message} [makejinja-config]` };
  });
  let checked = 0;
  for (const filePath of new Set(workspace.templates.values())) {
    const text = await nodeFileReader.readText(filePath);
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
  const store = new ConfigFileStore(nodeFileReader, () => ({ useWorkspaceSchema: true }));
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

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
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
