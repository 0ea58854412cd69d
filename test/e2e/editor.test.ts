// Real-editor tests: the packaged .vsix in code-server on a copy of example/, read through the UI
// as a user sees it (status bar, Problems panel, suggest widget, hover). Needs
// scripts/prepare-e2e.mjs to have run (npm test does that).
import { firstClauseOfDescription, lineOf } from './support/fixtureText';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CodeServerSession, repoRoot, uiTimeoutMs } from './support/codeServer';

// Starting code-server, chromium and the extension takes 10-20 s here; each step waits on the UI.
const sessionTimeoutMs = 180_000;
const stepTimeoutMs = 120_000;



describe('extension in a real VS Code (trusted workspace)', { timeout: sessionTimeoutMs * 3 }, () => {
  let session: CodeServerSession;
  let clusterYaml: string;

  before(async () => {
    session = await CodeServerSession.start();
    clusterYaml = session.readWorkspaceFile('cluster.yaml');
  }, { timeout: sessionTimeoutMs });

  after(async () => {
    await session?.close();
  });

  it('activates on the example workspace and reports its state in the status bar', { timeout: stepTimeoutMs }, async () => {
    await session.step('activation', async () => {
      // No file is opened: activation must come from the workspace itself.
      const item = session.statusBarItem('Cluster config');
      await item.waitFor({ timeout: 60_000 });
      assert.match(await item.innerText(), /Cluster config/);
    });
  });

  it('shows the output channel from the command palette', { timeout: stepTimeoutMs }, async () => {
    await session.step('show-output', async () => {
      await session.runCommand('Cluster Template: Show Output');
      await session.waitForOutputChannel('Cluster Template');
    });
  });

  it('shows cluster_api_addr outside node_cidr in the Problems panel with our message and code', { timeout: stepTimeoutMs }, async () => {
    await session.step('api-addr-in-cidr', async () => {
      await session.openFile('cluster.yaml');
      const apiAddr = lineOf(clusterYaml, /^cluster_api_addr:/);
      await session.replaceLine(apiAddr.line, 'cluster_api_addr: "10.0.0.5"');

      const row = await session.waitForProblem('cluster_api_addr 10.0.0.5 is outside node_cidr', 'api-addr-in-cidr');
      assert.match(row, /cluster-template/);
      await session.statusBarItem(/Cluster config: \d+ errors?/).waitFor({ timeout: uiTimeoutMs });
      // The one screenshot kept from a passing run: the squiggle, the Problems row, the status bar.
      await session.screenshot('editor-with-diagnostic');

      await session.replaceLine(apiAddr.line, apiAddr.text);
      await session.waitForNoProblem('api-addr-in-cidr');
    });
  });

  it('flags a mistyped key as unknown and suggests the known one', { timeout: stepTimeoutMs }, async () => {
    await session.step('unknown-key', async () => {
      await session.openFile('cluster.yaml');
      const nodeCidr = lineOf(clusterYaml, /^node_cidr:/);
      await session.replaceLine(nodeCidr.line, nodeCidr.text.replace(/^node_cidr:/, 'node_cidrr:'));

      const row = await session.waitForProblem('node_cidrr', /did you mean/i, 'unknown-key');
      assert.match(row, /node_cidr\b/);

      await session.replaceLine(nodeCidr.line, nodeCidr.text);
      await session.waitForNoProblem('node_cidrr');
    });
  });

  it('offers a missing top-level key on an empty line', { timeout: stepTimeoutMs }, async () => {
    await session.step('completion', async () => {
      const missingKey = ['node_vlan_tag', 'cilium_bgp_router_addr', 'node_default_gateway']
        .find((key) => !new RegExp(`^${key}:`, 'm').test(clusterYaml));
      assert.ok(missingKey, 'example/cluster.yaml sets every candidate key; pick another');

      await session.openFile('cluster.yaml');
      await session.cursorToNewLastLine();
      const labels = await session.triggerCompletion();
      assert.ok(labels.length > 0, 'no completion offered on an empty line');
      // Narrow the list (it only renders the rows in view) until the wanted key shows.
      await session.type(missingKey.slice(0, 6));
      const row = await session.waitForSuggestion(missingKey);
      assert.match(await row.innerText(), new RegExp(missingKey));

      await session.closeSuggestions();
      await session.page.keyboard.press('Shift+Home');
      await session.page.keyboard.press('Backspace');
    });
  });

  it('shows the documentation of node_cidr on hover', { timeout: stepTimeoutMs }, async () => {
    await session.step('hover', async () => {
      await session.openFile('cluster.yaml');
      await session.goToLine(lineOf(clusterYaml, /^node_cidr:/).line);
      const clause = firstClauseOfDescription('node_cidr');
      const text = await session.hoverWord('node_cidr', clause);
      assert.ok(text.includes(clause), `hover lacks the description: ${text}`);
      const keyName = session.page.locator('.monaco-hover:not(.hidden)').locator('strong, code', { hasText: 'node_cidr' });
      assert.ok((await keyName.count()) > 0, `hover does not name the key in bold or code: ${text}`);
    });
  });
});

describe('extension in a real VS Code (restricted mode)', { timeout: sessionTimeoutMs * 2 }, () => {
  let session: CodeServerSession;

  before(async () => {
    session = await CodeServerSession.start({ askForTrust: true });
  }, { timeout: sessionTimeoutMs });

  after(async () => {
    await session?.close();
  });

  it('still validates cluster.yaml when the workspace is not trusted', { timeout: stepTimeoutMs }, async () => {
    await session.step('restricted-mode', async () => {
      await session.chooseRestrictedMode();
      await session.statusBarItem('Cluster config').waitFor({ timeout: 60_000 });

      await session.openFile('cluster.yaml');
      const apiAddr = lineOf(session.readWorkspaceFile('cluster.yaml'), /^cluster_api_addr:/);
      await session.replaceLine(apiAddr.line, 'cluster_api_addr: "10.0.0.5"');
      await session.waitForProblem('cluster_api_addr 10.0.0.5 is outside node_cidr', 'api-addr-in-cidr');
    });
  });
});
