// Entry point that @vscode/test-electron loads in the extension host (extensionTestsPath): runs
// the cases of ./extension in order and throws when one fails. No test framework is bundled.
import { cases } from './extension';

/** Called by VS Code once the workspace is open; rejecting marks the run as failed. */
export async function run(): Promise<void> {
  await runCases((line) => console.log(line));
}

/**
 * Runs every case, reporting `ok - name` / `not ok - name` lines and a final `passed/total
 * passed` line; rejects when a case failed. test/e2e/support/suiteRunner.ts reads the lines.
 */
export async function runCases(report: (line: string) => void): Promise<void> {
  const failures: string[] = [];
  for (const testCase of cases) {
    const started = Date.now();
    try {
      await testCase.run();
      report(`ok - ${testCase.name} (${Date.now() - started} ms)`);
    } catch (error) {
      const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
      report(`not ok - ${testCase.name}\n${detail}`);
      failures.push(testCase.name);
    }
  }
  report(`${cases.length - failures.length}/${cases.length} passed`);
  if (failures.length > 0) throw new Error(`failed: ${failures.join(', ')}`);
}
