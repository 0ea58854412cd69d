// Starts a real VS Code (code-server) with the packaged extension on a temporary copy of a
// workspace, drives it through Debian's chromium with playwright-core, and tears it all down.
// It only reads the UI; it never reaches into the extension's code or the language server.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';

export const repoRoot = findRepoRoot(__dirname);
export const exampleWorkspace = join(repoRoot, 'example');
export const vsixPath = join(repoRoot, 'dist', 'cluster-template-tools.vsix');
export const codeServerBin = join(repoRoot, '.vscode-test', 'code-server', 'node_modules', '.bin', 'code-server');
export const resultsDir = join(repoRoot, 'test-results');

/** How long a UI state may take to appear; activation plus the first server pass fit well inside. */
export const uiTimeoutMs = 30_000;

/** Flags that keep chromium from calling out to a network this machine does not have. */
export const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Settings for the fresh user-data folder: nothing may open on its own (welcome page, tips,
 * update checks), and word-based suggestions are off so every completion row comes from a
 * language feature rather than from words already in the file.
 */
const userSettings = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'chat.commandCenter.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'extensions.ignoreRecommendations': true,
  'editor.wordBasedSuggestions': 'off',
  'editor.minimap.enabled': false,
  'files.autoSave': 'off',
};

export interface SessionOptions {
  /** Folder copied to a temporary directory and opened; tests may edit the copy. */
  workspace?: string;
  /** Leave workspace trust on so VS Code asks on first open (restricted-mode tests). */
  askForTrust?: boolean;
  /** The .vsix to install; null starts VS Code without our extension. */
  vsix?: string | null;
  /** More extensions to install next to ours (test-only helpers). */
  extraVsix?: string[];
}

export class CodeServerSession {
  private constructor(
    readonly page: Page,
    readonly workspaceDir: string,
    readonly url: string,
    private readonly browser: Browser,
    private readonly server: ChildProcess,
    private readonly tempDir: string,
    private readonly logFile: string,
  ) {}

  /** Installs the extension, starts code-server and chromium, and waits for the workbench. */
  static async start(options: SessionOptions = {}): Promise<CodeServerSession> {
    const source = options.workspace ?? exampleWorkspace;
    const vsix = options.vsix === undefined ? vsixPath : options.vsix;
    if (!existsSync(codeServerBin)) throw new Error(`code-server missing: run scripts/install-code-server.sh`);
    if (vsix !== null && !existsSync(vsix)) throw new Error(`${vsix} missing: run npm run package`);

    const tempDir = mkdtempSync(join(tmpdir(), 'ctt-e2e-'));
    const dirs = { ext: join(tempDir, 'extensions'), user: join(tempDir, 'user-data') };
    mkdirSync(join(dirs.user, 'User'), { recursive: true });
    writeFileSync(join(dirs.user, 'User', 'settings.json'), JSON.stringify(userSettings, null, 2));
    const workspaceDir = join(tempDir, basename(source));
    cpSync(source, workspaceDir, { recursive: true });

    // --config keeps code-server from reading or writing ~/.config/code-server.
    const common = ['--config', join(tempDir, 'config.yaml'), '--extensions-dir', dirs.ext, '--user-data-dir', dirs.user];
    for (const extension of [...(vsix === null ? [] : [vsix]), ...(options.extraVsix ?? [])]) {
      installExtension(common, extension);
    }

    const logFile = join(tempDir, 'code-server.log');
    const args = [...common, '--auth', 'none', '--bind-addr', '127.0.0.1:0', '--disable-telemetry', '--disable-update-check'];
    if (!options.askForTrust) args.push('--disable-workspace-trust');
    // Own process group, so close() can stop code-server together with its extension hosts.
    const server = spawn(codeServerBin, [...args, workspaceDir], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let browser: Browser | undefined;
    try {
      // Port 0 lets the kernel pick a free port; code-server logs the one it got.
      const port = await waitForListeningPort(server, logFile);
      const url = `http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspaceDir)}`;
      browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: chromiumArgs });
      const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
      const session = new CodeServerSession(page, workspaceDir, url, browser, server, tempDir, logFile);
      await page.goto(url);
      await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
      // The Explorer's first row means the folder is open and the workbench has restored.
      await page.getByRole('treeitem').first().waitFor({ timeout: 60_000 });
      return session;
    } catch (error) {
      await browser?.close().catch(() => undefined);
      await stopServer(server);
      keepLogOnFailure(logFile, 'start');
      rmSync(tempDir, { recursive: true, force: true });
      throw error;
    }
  }

  /** Closes chromium, stops the code-server process group and removes every temporary folder. */
  async close(): Promise<void> {
    await this.browser.close().catch(() => undefined);
    await stopServer(this.server);
    rmSync(this.tempDir, { recursive: true, force: true, maxRetries: 5 });
  }

  /** Runs a test step; on failure saves a screenshot and the code-server log under test-results/. */
  async step<T>(name: string, body: () => Promise<T>): Promise<T> {
    try {
      return await body();
    } catch (error) {
      await this.screenshot(`failure-${name}`).catch(() => undefined);
      keepLogOnFailure(this.logFile, name);
      throw error;
    }
  }

  async screenshot(name: string): Promise<string> {
    mkdirSync(resultsDir, { recursive: true });
    const file = join(resultsDir, `${safeName(name)}.png`);
    await this.page.screenshot({ path: file });
    return file;
  }

  /** Text of a file of the workspace copy as it is on disk (unsaved edits are not included). */
  readWorkspaceFile(relativePath: string): string {
    return readFileSync(join(this.workspaceDir, relativePath), 'utf8');
  }

  // ---- editor ---------------------------------------------------------------------------------

  /** Opens a file with Quick Open (Ctrl+P) and waits until its editor has focus. */
  async openFile(relativePath: string): Promise<void> {
    await this.page.keyboard.press('Control+P');
    const input = this.page.locator('.quick-input-widget input');
    await input.waitFor();
    await input.fill(relativePath);
    // Pick the row for exactly this path; the list fills in asynchronously from the file search.
    const row = this.page.locator('.quick-input-list .monaco-list-row', { hasText: basename(relativePath) });
    await row.first().waitFor();
    await this.page.keyboard.press('Enter');
    await this.waitForActiveEditor(basename(relativePath));
  }

  /** Opens a file by clicking its row in the Explorer (top-level files only). */
  async openFileInExplorer(name: string): Promise<void> {
    await this.page.getByRole('treeitem', { name, exact: true }).click();
    // A single click opens a preview and leaves focus in the Explorer; move it to the text.
    await this.page.locator('.tabs-container .tab.active', { hasText: name }).waitFor();
    await this.page.locator('.editor-instance .monaco-editor .view-lines').click();
    await this.waitForActiveEditor(name);
  }

  private async waitForActiveEditor(name: string): Promise<void> {
    await this.page.locator('.tabs-container .tab.active', { hasText: name }).waitFor();
    await this.page.locator('.editor-instance .monaco-editor.focused').waitFor();
  }

  /** Moves the cursor to the start of a 1-based line with Go to Line (Ctrl+G). */
  async goToLine(line: number): Promise<void> {
    await this.page.keyboard.press('Control+G');
    const input = this.page.locator('.quick-input-widget input');
    await input.waitFor();
    await input.fill(`:${line}`);
    await this.page.keyboard.press('Enter');
    await input.waitFor({ state: 'hidden' });
    await this.waitForCursor(line);
  }

  /** Replaces the whole text of a 1-based line, as a user selecting it and typing would. */
  async replaceLine(line: number, text: string): Promise<void> {
    // Go to Line leaves the cursor at column 1, so the selection includes any indentation.
    await this.goToLine(line);
    await this.page.keyboard.press('Shift+End');
    await this.insertText(text);
  }

  /**
   * Inserts text at the cursor in one input event, without key-by-key auto-indent. Auto-closing
   * pairs can still fire on an opening delimiter (`"` or `#{`): tests that insert one type it key
   * by key instead, as a user would.
   */
  async insertText(text: string): Promise<void> {
    await this.page.keyboard.insertText(text);
  }

  /** Types key by key, so completion and other on-type features react as they would for a user. */
  async type(text: string): Promise<void> {
    await this.page.keyboard.type(text);
  }

  /** Moves the cursor to column 1 of an empty line at the end of the document, adding one if needed. */
  async cursorToNewLastLine(): Promise<void> {
    await this.page.keyboard.press('Control+End');
    const end = await this.cursorPosition();
    if (end.column > 1) {
      await this.insertText('\n');
      await this.waitForCursor(end.line + 1);
    }
    // Auto-indent may carry indentation onto the new line; a key at column 1 must not have any.
    if ((await this.cursorPosition()).column > 1) {
      await this.page.keyboard.press('Shift+Home');
      await this.page.keyboard.press('Backspace');
    }
    await this.waitForCursor(undefined, 1);
  }

  /** Cursor position from the status bar's "Ln x, Col y" item, once it reflects the last key. */
  async cursorPosition(): Promise<{ line: number; column: number }> {
    await this.nextFrames();
    const text = await this.page.locator('.statusbar-item', { hasText: /Ln \d+, Col \d+/ }).first().innerText();
    const match = /Ln (\d+), Col (\d+)/.exec(text);
    if (!match) throw new Error(`no cursor position in status bar: ${text}`);
    return { line: Number(match[1]), column: Number(match[2]) };
  }

  private async waitForCursor(line?: number, column?: number): Promise<void> {
    const pattern = new RegExp(`Ln ${line ?? '\\d+'}, Col ${column ?? '\\d+'}\\b`);
    await this.page.locator('.statusbar-item', { hasText: pattern }).first().waitFor();
  }

  /**
   * Waits two animation frames. The status bar renders the cursor position on the next frame
   * after a key, and nothing else signals that it is current; two frames cover that update.
   */
  private async nextFrames(): Promise<void> {
    // A string, because test/tsconfig.json has no DOM types.
    await this.page.evaluate('new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))');
  }

  // ---- completion -----------------------------------------------------------------------------

  /** Opens the suggest widget with Ctrl+Space and returns the labels of its rendered rows. */
  async triggerCompletion(): Promise<string[]> {
    await this.page.keyboard.press('Control+Space');
    // Either rows, or the widget's "No suggestions." once every provider has answered.
    const rows = this.page.locator('.suggest-widget.visible .monaco-list-row');
    const noSuggestions = this.page.locator('.suggest-widget.visible .message', { hasText: 'No suggestions' });
    await rows.first().or(noSuggestions).waitFor({ timeout: uiTimeoutMs });
    return this.suggestionLabels();
  }

  /**
   * Labels of the suggestion rows currently rendered. The list is virtual: only rows in view
   * exist in the page, so type a prefix first to bring a wanted row into view.
   */
  async suggestionLabels(): Promise<string[]> {
    return this.page.locator('.suggest-widget.visible .monaco-list-row .label-name').allInnerTexts();
  }

  /** Waits until a suggestion row with this exact label is rendered. */
  async waitForSuggestion(label: string): Promise<Locator> {
    const row = this.page
      .locator('.suggest-widget.visible .monaco-list-row')
      .filter({ has: this.page.locator('.label-name', { hasText: new RegExp(`^${escapeRegExp(label)}$`) }) });
    await row.first().waitFor();
    return row.first();
  }

  async closeSuggestions(): Promise<void> {
    await this.page.keyboard.press('Escape');
    await this.page.locator('.suggest-widget.visible').waitFor({ state: 'hidden' });
  }

  // ---- Problems panel -------------------------------------------------------------------------

  /** Shows the Problems panel (Ctrl+Shift+M toggles it, so only press when it is not showing). */
  async openProblems(): Promise<void> {
    const panel = this.page.locator('.markers-panel');
    if (await panel.isVisible()) return;
    await this.page.keyboard.press('Control+Shift+M');
    await panel.waitFor();
  }

  /** Texts of the Problems rows currently rendered (file rows and marker rows). */
  async problemRows(): Promise<string[]> {
    await this.openProblems();
    return this.page.locator('.markers-panel .monaco-list-row').allInnerTexts();
  }

  /** Waits for a Problems row containing every given text; returns its text. */
  async waitForProblem(...texts: (string | RegExp)[]): Promise<string> {
    await this.openProblems();
    let rows = this.page.locator('.markers-panel .monaco-list-row');
    for (const text of texts) rows = rows.filter({ hasText: text });
    await rows.first().waitFor({ timeout: uiTimeoutMs });
    return rows.first().innerText();
  }

  /** Waits until no Problems row contains the text. */
  async waitForNoProblem(text: string | RegExp): Promise<void> {
    await this.openProblems();
    await this.page.locator('.markers-panel .monaco-list-row', { hasText: text }).first().waitFor({ state: 'hidden', timeout: uiTimeoutMs });
  }

  // ---- hover ----------------------------------------------------------------------------------

  /**
   * Hovers the mouse over the first visible token whose text is exactly `word` in the active
   * editor and returns the hover's text once it contains `expected`.
   */
  async hoverWord(word: string, expected: string | RegExp): Promise<string> {
    const token = this.page
      .locator('.editor-instance .monaco-editor .view-lines .view-line span span')
      .filter({ hasText: new RegExp(`^${escapeRegExp(word)}$`) })
      .first();
    await token.waitFor();
    // Move away first: a mouse already resting on the token would not start a new hover.
    await this.page.mouse.move(0, 0);
    await token.hover();
    const hover = this.page.locator('.monaco-hover:not(.hidden)', { hasText: expected }).first();
    await hover.waitFor({ timeout: uiTimeoutMs });
    return hover.innerText();
  }

  // ---- commands, status bar, dialogs ---------------------------------------------------------

  /** Runs a command by its title from the Command Palette (F1). */
  async runCommand(title: string): Promise<void> {
    await this.page.keyboard.press('F1');
    const input = this.page.locator('.quick-input-widget input');
    await input.waitFor();
    await input.fill(`>${title}`);
    await this.page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first().waitFor();
    await this.page.keyboard.press('Enter');
    // The palette closes, or (for commands that ask something next) is reused for the question.
    await waitUntil(`"${title}" to leave the Command Palette`, async () =>
      !(await input.isVisible()) || !(await input.inputValue()).startsWith('>'));
  }

  /** Waits until the Output view shows the channel `name` (its channel picker has it selected). */
  async waitForOutputChannel(name: string): Promise<void> {
    const pickers = this.page.locator('.part.panel select.monaco-select-box');
    await waitUntil(`the Output view to show "${name}"`, async () => {
      for (const picker of await pickers.all()) {
        if ((await picker.inputValue().catch(() => '')) === name) return true;
      }
      return false;
    });
  }

  /** The status bar item whose text contains `text`. */
  statusBarItem(text: string | RegExp): Locator {
    return this.page.locator('.statusbar-item', { hasText: text }).first();
  }

  /** Answers VS Code's first-open trust dialog with "No" (restricted mode). */
  async chooseRestrictedMode(): Promise<void> {
    const dialog = this.page.locator('.monaco-dialog-box');
    await dialog.waitFor({ timeout: uiTimeoutMs });
    await dialog.getByRole('button', { name: /^No/ }).click();
    await dialog.waitFor({ state: 'hidden' });
    await this.statusBarItem('Restricted Mode').waitFor();
  }
}

/** Polls a UI condition every 50 ms, for states no selector can express (input values). */
async function waitUntil(what: string, condition: () => Promise<boolean>, timeoutMs = uiTimeoutMs): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolveTick) => setTimeout(resolveTick, 50));
  }
}

function installExtension(commonArgs: string[], vsix: string): void {
  const result = spawnSync(codeServerBin, [...commonArgs, '--install-extension', vsix], { encoding: 'utf8', timeout: 120_000 });
  if (result.status !== 0 || !/successfully installed/i.test(result.stdout)) {
    throw new Error(`installing ${vsix} failed (exit ${result.status}):\n${result.stdout}\n${result.stderr}`);
  }
}

/** Resolves with the port from code-server's "HTTP server listening on" line; logs all output. */
function waitForListeningPort(server: ChildProcess, logFile: string): Promise<number> {
  const log = createWriteStream(logFile);
  return new Promise((resolvePort, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`code-server did not start within 60 s:\n${seen}`)), 60_000);
    const onData = (chunk: Buffer): void => {
      log.write(chunk);
      if (seen.length < 20_000) seen += chunk.toString();
      const match = /HTTP server listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(seen);
      if (match) {
        clearTimeout(timer);
        resolvePort(Number(match[1]));
      }
    };
    server.stdout?.on('data', onData);
    server.stderr?.on('data', onData);
    server.once('exit', (code) => {
      clearTimeout(timer);
      log.end();
      reject(new Error(`code-server exited (${code}) before listening:\n${seen}`));
    });
  });
}

/**
 * Stops code-server and everything in its process group (extension hosts, language servers):
 * SIGTERM lets code-server shut down cleanly; whatever is left after 5 s, or outlives it, is killed.
 */
async function stopServer(server: ChildProcess): Promise<void> {
  if (server.pid === undefined) return;
  signalGroup(server.pid, 'SIGTERM');
  await onceExited(server, 5_000);
  signalGroup(server.pid, 'SIGKILL');
  await onceExited(server, 5_000);
}

function signalGroup(groupId: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-groupId, signal);
  } catch {
    // ESRCH: no process of the group is left; nothing to stop.
  }
}

function onceExited(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolveExit) => {
    const timer = setTimeout(() => resolveExit(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolveExit(true);
    });
  });
}

function keepLogOnFailure(logFile: string, name: string): void {
  if (!existsSync(logFile)) return;
  mkdirSync(resultsDir, { recursive: true });
  cpSync(logFile, join(resultsDir, `failure-${safeName(name)}-code-server.log`));
}

function findRepoRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).name === 'cluster-template-tools') return dir;
    if (dirname(dir) === dir) return resolve(from, '..', '..', '..', '..');
  }
}

function safeName(name: string): string {
  return name.replace(/[^a-z0-9._-]+/gi, '-');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
