// Real-editor tests for makejinja templates: the packaged .vsix in code-server on a copy of
// example/, read through the UI as a user sees it (token inspector, Problems panel, suggest
// widget, hover, go to definition). Needs scripts/prepare-e2e.mjs to have run (npm test does that).
import { firstClauseOfDescription, lineOf } from './support/fixtureText';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CodeServerSession, repoRoot, uiTimeoutMs } from './support/codeServer';

// Starting code-server, chromium and the extension takes 10-20 s here; each step waits on the UI.
const sessionTimeoutMs = 180_000;
const stepTimeoutMs = 120_000;

/** Short, with YAML comments, a YAML key and a `#{ }#` tag inside a quoted value, all in view. */
const templatePath = 'templates/config/kubernetes/components/sops/cluster-secrets.sops.yaml.j2';
const variableTag = '#{ cloudflare_domain }#';


/** 1-based line and column of the first occurrence of `needle`, plus `offset` characters. */
function positionOf(text: string, needle: string, offset = 0): { line: number; column: number } {
  const found = lineOf(text, new RegExp(escapeRegExp(needle)));
  return { line: found.line, column: found.text.indexOf(needle) + 1 + offset };
}


function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Polls a UI condition every 50 ms, for states no selector can express (cursor line numbers). */
async function waitUntil(what: string, condition: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + uiTimeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${uiTimeoutMs} ms waiting for ${what}`);
    await new Promise((resolveTick) => setTimeout(resolveTick, 50));
  }
}

/** Moves the cursor to a 1-based line and column with Go to Line (Ctrl+G, `:line:column`). */
async function goToPosition(session: CodeServerSession, line: number, column: number): Promise<void> {
  await session.page.keyboard.press('Control+G');
  const input = session.page.locator('.quick-input-widget input');
  await input.waitFor();
  await input.fill(`:${line}:${column}`);
  await session.page.keyboard.press('Enter');
  await input.waitFor({ state: 'hidden' });
  await waitUntil(`the cursor at ${line}:${column}`, async () => {
    const cursor = await session.cursorPosition();
    return cursor.line === line && cursor.column === column;
  });
}

interface InspectedToken {
  text: string;
  language: string;
  foreground: string;
  /** Innermost scope first, as the inspector lists them. */
  scopes: string[];
}

/** Runs "Developer: Inspect Editor Tokens and Scopes" on the token at a position and reads its widget. */
async function inspectToken(session: CodeServerSession, line: number, column: number): Promise<InspectedToken> {
  await goToPosition(session, line, column);
  await session.runCommand('Developer: Inspect Editor Tokens and Scopes');
  const widget = session.page.locator('.token-inspect-widget');
  // The widget first shows a placeholder; the scope row appears once the grammar has answered.
  const scopes = widget.locator('.tiw-metadata-scopes');
  await scopes.waitFor({ timeout: uiTimeoutMs });
  const metadata = async (key: string): Promise<string> =>
    widget.locator('tr', { has: session.page.locator('.tiw-metadata-key', { hasText: new RegExp(`^${key}$`) }) })
      .first().locator('.tiw-metadata-value').innerText();
  const token: InspectedToken = {
    // The heading is the token text followed by its length ("17 chars").
    text: (await widget.locator('.tiw-token').innerText()).replace(/\s*\d+ chars?$/, '').trim(),
    language: await metadata('language'),
    foreground: await metadata('foreground'),
    scopes: (await scopes.innerText()).split('\n').map((scope) => scope.trim()).filter(Boolean),
  };
  await session.page.keyboard.press('Escape');
  await widget.waitFor({ state: 'hidden' });
  return token;
}

/** Hovers the mouse over the rendered token containing `word` on the line showing `lineText`. */
async function hoverWordOnLine(session: CodeServerSession, lineText: string, word: string, expected: string | RegExp): Promise<string> {
  // The tokenizer renders ` cloudflare_domain ` with its blanks as one span, so match by containment;
  // the span's centre, where the mouse goes, is inside the word.
  const token = session.page
    .locator('.editor-instance .monaco-editor .view-lines .view-line', { hasText: lineText })
    .first()
    .locator('span span', { hasText: new RegExp(`^\\s*${escapeRegExp(word)}\\s*$`) })
    .first();
  await token.waitFor();
  // Move away first: a mouse already resting on the token would not start a new hover.
  await session.page.mouse.move(0, 0);
  await token.hover();
  const hover = session.page.locator('.monaco-hover:not(.hidden)', { hasText: expected }).first();
  await hover.waitFor({ timeout: uiTimeoutMs });
  return hover.innerText();
}

/** Deletes a 1-based line and the line break before it, undoing a line appended at the end. */
async function removeLine(session: CodeServerSession, line: number): Promise<void> {
  // Go to Line also takes focus back from the Problems panel, which opening it gave away.
  await session.goToLine(line);
  await session.page.keyboard.press('End');
  await session.page.keyboard.press('Shift+Home');
  // On an indented line the first Home stops at the indentation; the second reaches column 1.
  await session.page.keyboard.press('Shift+Home');
  await session.page.keyboard.press('Backspace');
  await session.page.keyboard.press('Backspace');
}

describe('makejinja templates in a real VS Code', { timeout: sessionTimeoutMs * 3 }, () => {
  let session: CodeServerSession;
  let clusterYaml: string;
  let template: string;

  before(async () => {
    session = await CodeServerSession.start();
    clusterYaml = session.readWorkspaceFile('cluster.yaml');
    template = session.readWorkspaceFile(templatePath);
  }, { timeout: sessionTimeoutMs });

  after(async () => {
    await session?.close();
  });

  it('highlights a #{ }# tag inside a YAML value with the Jinja scopes and keeps YAML around it', { timeout: stepTimeoutMs }, async () => {
    await session.step('template-highlighting', async () => {
      await session.openFile(templatePath);

      const variablePosition = positionOf(template, variableTag, '#{ cloud'.length);
      const variable = await inspectToken(session, variablePosition.line, variablePosition.column);
      assert.equal(variable.text, 'cloudflare_domain');
      assert.equal(variable.language, 'jinja', `the tag is not an embedded Jinja region: ${variable.scopes.join(' ')}`);
      assert.equal(variable.scopes[0], 'variable.other.jinja');
      assert.ok(variable.scopes.includes('meta.embedded.expression.jinja'), variable.scopes.join(' '));
      // Still inside the YAML string around the tag, under our grammar's root.
      assert.ok(variable.scopes.includes('string.quoted.double.yaml'), variable.scopes.join(' '));
      assert.equal(variable.scopes.at(-1), 'source.makejinja.yaml');

      const tagPosition = positionOf(template, variableTag);
      const tagStart = await inspectToken(session, tagPosition.line, tagPosition.column);
      assert.equal(tagStart.text, '#{');
      assert.equal(tagStart.scopes[0], 'punctuation.definition.tag.expression.begin.jinja');

      const keyPosition = positionOf(template, 'SECRET_DOMAIN', 2);
      const key = await inspectToken(session, keyPosition.line, keyPosition.column);
      assert.equal(key.text, 'SECRET_DOMAIN');
      assert.equal(key.language, 'jinja-yaml');
      // The YAML grammar is included, not embedded, so its key scope sits under our root scope.
      assert.equal(key.scopes[0], 'entity.name.tag.yaml');
      assert.ok(!key.scopes.some((scope) => scope.endsWith('.jinja')), `a Jinja scope on a YAML key: ${key.scopes.join(' ')}`);

      const commentLine = lineOf(template, /^# /).line;
      const comment = await inspectToken(session, commentLine, 3);
      assert.match(comment.scopes[0], /^comment\.line\.number-sign\.yaml$/);
      // The theme must tell the tag and the variable apart from a YAML comment.
      assert.notEqual(variable.foreground, comment.foreground, 'the variable is coloured like a YAML comment');
      assert.notEqual(tagStart.foreground, comment.foreground, 'the tag is coloured like a YAML comment');

      // Kept from a passing run to look at: comments, keys and the tag in their colours.
      await session.page.mouse.move(0, 0);
      await session.screenshot('template-highlighting');
    });
  });

  it('warns about a misspelled variable in Problems and suggests the known key', { timeout: stepTimeoutMs }, async () => {
    await session.step('template-undefined-variable', async () => {
      await session.openFile(templatePath);
      await session.cursorToNewLastLine();
      const { line } = await session.cursorPosition();
      // Key by key, as a user types; auto-closing adds the ` }#` after the cursor (inserting the
      // whole tag at once would get a second one).
      await session.type('  TYPO: #{ cloudflare_domian');

      const row = await session.waitForProblem('cloudflare_domian is not defined', 'Did you mean cloudflare_domain?', 'undefined-variable');
      assert.match(row, /renders as an empty string/);
      const marker = session.page.locator('.markers-panel .monaco-list-row', { hasText: 'cloudflare_domian is not defined' }).first();
      assert.equal(await marker.locator('.codicon-warning').count(), 1, `not shown as a warning: ${row}`);

      await removeLine(session, line);
      await session.waitForNoProblem('cloudflare_domian');
    });
  });

  it('completes a cluster.yaml key inside #{ }# with its value, and filters after |', { timeout: stepTimeoutMs }, async () => {
    await session.step('template-completion', async () => {
      await session.openFile(templatePath);
      await session.cursorToNewLastLine();
      const { line } = await session.cursorPosition();
      // Key by key as a user types: `#{` auto-closes with ` }#` after the cursor.
      await session.type('x: #{ cloudflare_d');
      await session.triggerCompletion();
      const row = await session.waitForSuggestion('cloudflare_domain');
      // The row shows where the key comes from; its detail (the value) is in the details pane,
      // which a second Ctrl+Space opens for the focused row, the best match.
      assert.match(await row.innerText(), /cluster\.yaml/);
      assert.match((await row.getAttribute('class')) ?? '', /\bfocused\b/, 'cloudflare_domain is not the best match');
      await session.page.keyboard.press('Control+Space');
      const detail = session.page.locator('.suggest-details-container .suggest-details .header .type');
      await detail.filter({ hasText: 'example.net' }).waitFor({ timeout: uiTimeoutMs });
      await session.closeSuggestions();

      // Finish the name and start a filter; the cursor stays before the auto-closed ` }#`.
      await session.type('omain | ');
      await session.triggerCompletion();
      // Narrow the list (it only renders the rows in view) until the wanted filter shows.
      await session.type('def');
      await session.waitForSuggestion('default');

      await session.closeSuggestions();
      await removeLine(session, line);
    });
  });

  it('keeps a secret value out of the completion details', { timeout: stepTimeoutMs }, async () => {
    await session.step('template-completion-secret', async () => {
      const secretValue = /^cloudflare_token:\s*"([^"]+)"/m.exec(clusterYaml)?.[1];
      assert.ok(secretValue, 'example/cluster.yaml has no quoted cloudflare_token; pick another secret');

      await session.openFile(templatePath);
      await session.cursorToNewLastLine();
      const { line } = await session.cursorPosition();
      await session.type('x: #{ cloudflare_tok');
      await session.triggerCompletion();
      await session.waitForSuggestion('cloudflare_token');
      // The details pane stays open once a completion opened it; open it only when it is closed.
      const details = session.page.locator('.suggest-details-container .suggest-details');
      if (!(await details.isVisible())) await session.page.keyboard.press('Control+Space');
      // The pane follows the focused row; wait until it describes the secret key.
      const tokenDetails = details.filter({ hasText: 'cloudflare_token' });
      await tokenDetails.waitFor({ timeout: uiTimeoutMs });
      const text = await tokenDetails.innerText();
      assert.ok(!text.includes(secretValue), 'the completion details show the secret value');
      assert.match(text, /hidden/, `the details do not say the value is hidden: ${text}`);

      await session.closeSuggestions();
      await removeLine(session, line);
    });
  });

  it('shows the documentation, value and origin of a variable on hover', { timeout: stepTimeoutMs }, async () => {
    await session.step('template-hover', async () => {
      await session.openFile(templatePath);
      const clause = firstClauseOfDescription('cloudflare_domain');
      const text = await hoverWordOnLine(session, variableTag, 'cloudflare_domain', clause);
      assert.ok(text.includes(clause), `hover lacks the description: ${text}`);
      const keyLine = lineOf(clusterYaml, /^cloudflare_domain:/).line;
      assert.ok(text.includes(`cluster.yaml line ${keyLine}`), `hover does not say where the variable comes from: ${text}`);
      assert.match(text, /example\.net/, `hover lacks the value: ${text}`);
      await session.page.mouse.move(0, 0);
    });
  });

  it('goes to the key in cluster.yaml from a variable with F12', { timeout: stepTimeoutMs }, async () => {
    await session.step('template-definition', async () => {
      await session.openFile(templatePath);
      const variablePosition = positionOf(template, variableTag, '#{ cloud'.length);
      const keyLine = lineOf(clusterYaml, /^cloudflare_domain:/).line;
      assert.notEqual(keyLine, variablePosition.line, 'the key is on the template line; a missing jump would go unnoticed');
      await goToPosition(session, variablePosition.line, variablePosition.column);
      await session.page.keyboard.press('F12');

      await session.page.locator('.tabs-container .tab.active', { hasText: /^cluster\.yaml/ }).waitFor({ timeout: uiTimeoutMs });
      await waitUntil(`the cursor on line ${keyLine} of cluster.yaml`, async () => (await session.cursorPosition()).line === keyLine);
    });
  });
});
