// Where the last result of each remaining-work step is kept, per workspace: one JSON file under the
// user's state folder, shared by the language server and the command-line tool. Holds verdicts and
// reasons only (never command output that could carry a secret).
import { createHash } from 'node:crypto';
import { promises as fs, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import * as path from 'node:path';
import type { WorkStepResult } from '../protocol';
import { writeFileAtomic } from './atomicWrite';

export type StoredStepResults = Record<string, Record<string, WorkStepResult>>;

export interface StepResultStore {
  load(root: string): Promise<StoredStepResults>;
  record(root: string, itemId: string, stepId: string, result: WorkStepResult): Promise<void>;
}

/**
 * `$CLUSTER_TEMPLATE_TOOLS_STATE_DIR`, else `$XDG_STATE_HOME/cluster-template-tools`, else
 * `~/.local/state/cluster-template-tools`: outside the repository, so nothing lands in Git.
 */
export function stateFolder(env: NodeJS.ProcessEnv = process.env): string {
  if (env.CLUSTER_TEMPLATE_TOOLS_STATE_DIR) return env.CLUSTER_TEMPLATE_TOOLS_STATE_DIR;
  const base = env.XDG_STATE_HOME || path.join(homedir(), '.local', 'state');
  return path.join(base, 'cluster-template-tools');
}

/** The results file of one workspace root, named by a hash of its absolute path. */
export function resultsFileOf(root: string, folder: string = stateFolder()): string {
  const digest = createHash('sha256').update(path.resolve(root)).digest('hex').slice(0, 32);
  return path.join(folder, 'step-results', `${digest}.json`);
}

interface ResultsFile {
  root: string;
  results: StoredStepResults;
}

function parseResults(text: string | undefined): StoredStepResults {
  if (!text) return {};
  try {
    const parsed = JSON.parse(text) as Partial<ResultsFile>;
    return parsed.results && typeof parsed.results === 'object' ? parsed.results : {};
  } catch {
    // A damaged file only loses the remembered results: the checks can be run again.
    return {};
  }
}

/** Results in the state folder; writes are atomic and serialised per root. */
export function fileStepResultStore(folder: string = stateFolder()): StepResultStore {
  const queues = new Map<string, Promise<void>>();
  const load = async (root: string): Promise<StoredStepResults> => parseResults(await fs.readFile(resultsFileOf(root, folder), 'utf8').catch(() => undefined));
  return {
    load,
    record(root, itemId, stepId, result) {
      const previous = queues.get(root) ?? Promise.resolve();
      const next = previous.then(async () => {
        const results = await load(root);
        results[itemId] = { ...(results[itemId] ?? {}), [stepId]: result };
        const file = resultsFileOf(root, folder);
        await fs.mkdir(path.dirname(file), { recursive: true });
        const content: ResultsFile = { root: path.resolve(root), results };
        await writeFileAtomic(file, JSON.stringify(content, null, 2) + '\n');
      });
      queues.set(root, next.catch(() => undefined));
      return next;
    },
  };
}

/** The same results read synchronously, for the command-line tool. */
export function loadStepResultsBlocking(root: string, folder: string = stateFolder()): StoredStepResults {
  try {
    return parseResults(readFileSync(resultsFileOf(root, folder), 'utf8'));
  } catch {
    // No file yet: nothing was run for this workspace.
    return {};
  }
}

/** Results kept in memory (tests, and a server without a state folder). */
export function memoryStepResultStore(): StepResultStore {
  const byRoot = new Map<string, StoredStepResults>();
  return {
    async load(root) {
      return structuredClone(byRoot.get(root) ?? {});
    },
    async record(root, itemId, stepId, result) {
      const results = byRoot.get(root) ?? {};
      results[itemId] = { ...(results[itemId] ?? {}), [stepId]: result };
      byRoot.set(root, results);
    },
  };
}
