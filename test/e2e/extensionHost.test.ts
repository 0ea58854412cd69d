// Runs the @vscode/test-electron suite (test/electron/suite) in code-server's extension host, so
// the VS Code API checks (getDiagnostics, executeCompletionItemProvider, executeHoverProvider)
// run on every `npm test` even where desktop VS Code cannot be downloaded.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CodeServerSession } from './support/codeServer';
import { buildSuiteRunnerVsix, suiteResultFileName, waitForSuiteOutcome } from './support/suiteRunner';

describe('extension-host suite in code-server', { timeout: 300_000 }, () => {
  const workDir = mkdtempSync(join(tmpdir(), 'ctt-suite-runner-'));
  let session: CodeServerSession | undefined;

  after(async () => {
    await session?.close();
    rmSync(workDir, { recursive: true, force: true });
  });

  it('passes every case through the VS Code API', { timeout: 240_000 }, async () => {
    const runnerVsix = buildSuiteRunnerVsix(workDir);
    session = await CodeServerSession.start({ extraVsix: [runnerVsix] });
    const started = session;
    const outcome = await started.step('extension-host-suite', () =>
      waitForSuiteOutcome(join(dirname(started.workspaceDir), suiteResultFileName)));
    const log = outcome.log.join('\n');
    assert.equal(outcome.passed, true, log);
    // Every case must have run and passed, not just the runner returning without error. (The
    // cases cannot be imported here: they need the extension host's \`vscode\` module.)
    const summary = /^(\d+)\/(\d+) passed$/m.exec(log);
    assert.ok(summary, `no summary line:\n${log}`);
    assert.equal(summary[1], summary[2], log);
    assert.ok(Number(summary[2]) >= 5, `only ${summary[2]} cases ran:\n${log}`);
  });
});
