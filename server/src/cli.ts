// The command-line tool: the same engines as the language server, for pre-commit hooks and CI.
// `check <folder>` prints `path:line:col: severity: message [code]` and exits 1 on any error.
import * as path from 'node:path';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { nodeFileReader } from './host/fileReader';
import type { ConfigProblem } from './services/cluster/diagnostics';
import { ConfigFileStore } from './workspace/configFiles';

const USAGE = `Usage: cluster-template-tools <command> [arguments]

Commands:
  check <folder>   Check cluster.yaml and nodes.yaml of a cluster-template repository.
                   Prints path:line:col: severity: message [code]; exits 1 when there is an error.
  help             Show this help.
`;

/** Formats one problem the way compilers do, so editors and CI annotate it. Lines and columns are 1-based. */
export function formatProblem(relativePath: string, document: TextDocument, problem: ConfigProblem): string {
  const position = document.positionAt(problem.span.start);
  return `${relativePath}:${position.line + 1}:${position.character + 1}: ${problem.severity}: ${problem.message} [${problem.code}]`;
}

async function check(folder: string): Promise<number> {
  const root = path.resolve(folder);
  const store = new ConfigFileStore(nodeFileReader, () => ({ useWorkspaceSchema: true }));
  const result = await store.checkRoot(root, { get: () => undefined });
  for (const note of result.workspace.notes) process.stderr.write(`note: ${note}\n`);
  let errors = 0;
  let warnings = 0;
  let checked = 0;
  for (const state of Object.values(result.files)) {
    if (state.text === undefined) continue;
    checked++;
    const document = TextDocument.create(state.filePath, 'yaml', 0, state.text);
    for (const problem of result.problems[state.kind]) {
      process.stdout.write(formatProblem(path.relative(root, state.filePath), document, problem) + '\n');
      if (problem.severity === 'error') errors++;
      else if (problem.severity === 'warning') warnings++;
    }
  }
  if (checked === 0) {
    process.stderr.write(`error: ${root} has neither cluster.yaml nor nodes.yaml\n`);
    return 2;
  }
  process.stderr.write(`${checked} file(s) checked: ${errors} error(s), ${warnings} warning(s)\n`);
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
