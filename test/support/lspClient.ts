// A small LSP client over stdio for the protocol tests and the benchmark: spawns a server, tracks
// open documents and their versions, records every publish and notification, and answers the few
// server-to-client requests. Knows nothing about cluster-template rules.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { basename, isAbsolute, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import {
  CodeActionRequest,
  CompletionRequest,
  ConfigurationRequest,
  createMessageConnection,
  DidChangeConfigurationNotification,
  DidChangeTextDocumentNotification,
  DidCloseTextDocumentNotification,
  DidOpenTextDocumentNotification,
  DocumentSymbolRequest,
  ExitNotification,
  FoldingRangeRequest,
  HoverRequest,
  InitializedNotification,
  InitializeRequest,
  PublishDiagnosticsNotification,
  ShutdownRequest,
  StreamMessageReader,
  StreamMessageWriter,
  type ClientCapabilities,
  type CodeAction,
  type Command,
  type CompletionItem,
  type CompletionList,
  type ConfigurationParams,
  type Diagnostic,
  type DocumentSymbol,
  type FoldingRange,
  type Hover,
  type InitializeResult,
  type MessageConnection,
  type Position,
  type PublishDiagnosticsParams,
  type Range,
  type SymbolInformation,
  type TextDocumentContentChangeEvent,
} from 'vscode-languageserver-protocol/node';
import { TextDocument } from 'vscode-languageserver-textdocument';

export interface ServerCommand {
  command: string;
  args: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * How a publish is tied to a document version.
 * - 'version': the publish must carry the version (our server; the protocol tests insist on it).
 * - 'first-after-change': a publish without a version counts for the newest change sent before it
 *   (yaml-language-server sends no version; it debounces, so the first publish after a change is
 *   the one that validated that change, provided the caller waits for it before changing again).
 */
export type VersionMatching = 'version' | 'first-after-change';

export interface StartOptions {
  server: ServerCommand;
  /** Absolute path of the workspace folder sent as rootUri and the only workspace folder. */
  workspaceFolder: string;
  /** Answers to workspace/configuration, looked up by dotted section (`yaml` → settings.yaml). */
  settings?: Record<string, unknown>;
  initializationOptions?: unknown;
  versionMatching?: VersionMatching;
  /** Default timeout for waits, in milliseconds. */
  timeoutMs?: number;
  capabilities?: ClientCapabilities;
}

export interface PublishRecord {
  /** 1-based order among all publishes this client received, for every uri. */
  seq: number;
  params: PublishDiagnosticsParams;
  /** performance.now() when the message was read. */
  receivedAt: number;
}

export interface NotificationRecord {
  method: string;
  params: unknown;
  receivedAt: number;
}

export interface ServerRequestRecord {
  method: string;
  params: unknown;
}

export interface ChangeResult {
  version: number;
  /** performance.now() just before the didChange was written. */
  sentAt: number;
}

export interface MemorySample {
  /** Resident set size now, in bytes (VmRSS). */
  rssBytes: number;
  /** Peak resident set size, in bytes (VmHWM). */
  peakRssBytes: number;
}

interface TrackedDocument {
  document: TextDocument;
  /** For each version sent: the last publish seq before it was sent, and when it was sent. */
  sent: Map<number, { seqBefore: number; sentAt: number }>;
}

interface Waiter {
  test: () => boolean;
  resolve: () => void;
}

const DEFAULT_CAPABILITIES: ClientCapabilities = {
  workspace: {
    configuration: true,
    workspaceFolders: true,
    didChangeConfiguration: { dynamicRegistration: false },
    didChangeWatchedFiles: { dynamicRegistration: true },
    applyEdit: true,
    workspaceEdit: { documentChanges: true },
  },
  textDocument: {
    synchronization: { dynamicRegistration: false, didSave: true },
    publishDiagnostics: { relatedInformation: true, versionSupport: true, codeDescriptionSupport: true, dataSupport: true },
    completion: {
      completionItem: {
        snippetSupport: true,
        documentationFormat: ['markdown', 'plaintext'],
        labelDetailsSupport: true,
        insertReplaceSupport: false,
      },
      contextSupport: true,
    },
    hover: { contentFormat: ['markdown', 'plaintext'] },
    codeAction: {
      codeActionLiteralSupport: { codeActionKind: { valueSet: ['', 'quickfix', 'refactor', 'source'] } },
      isPreferredSupport: true,
      dataSupport: true,
    },
    documentSymbol: { hierarchicalDocumentSymbolSupport: true },
    foldingRange: { lineFoldingOnly: true },
  },
};

/** The file URI of an absolute path, spelled the way VS Code does (file:///abs/path). */
export function fileUri(path: string): string {
  return pathToFileURL(path).href;
}

export class LspClient {
  readonly initializeResult: InitializeResult;
  readonly publishes: PublishRecord[] = [];
  readonly notifications: NotificationRecord[] = [];
  readonly serverRequests: ServerRequestRecord[] = [];
  readonly workspaceFolder: string;
  private readonly documents = new Map<string, TrackedDocument>();
  private readonly waiters = new Set<Waiter>();
  private stderrTail = '';
  private exitCode: number | null | undefined;
  private exitSignal: NodeJS.Signals | null = null;
  private readonly exited: Promise<void>;

  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    private readonly connection: MessageConnection,
    private readonly options: StartOptions,
    initializeResult: InitializeResult,
    exited: Promise<void>,
  ) {
    this.initializeResult = initializeResult;
    this.workspaceFolder = options.workspaceFolder;
    this.exited = exited;
  }

  /** Spawns the server, sends initialize and initialized, and returns a ready client. */
  static async start(options: StartOptions): Promise<LspClient> {
    const child = spawn(options.server.command, options.server.args, {
      cwd: options.server.cwd,
      env: options.server.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const connection = createMessageConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
    // The client object does not exist until initialize returns, but messages can arrive before
    // that (logs, configuration requests), so they go through this late-bound holder.
    const holder: { client?: LspClient; early: (() => void)[]; stderr: string[] } = { early: [], stderr: [] };
    const whenClient = (action: (client: LspClient) => void): void => {
      if (holder.client) action(holder.client);
      else holder.early.push(() => action(holder.client!));
    };
    let markExited: () => void = () => undefined;
    const exited = new Promise<void>((resolve) => (markExited = resolve));
    child.on('exit', (code, signal) => {
      whenClient((client) => {
        client.exitCode = code;
        client.exitSignal = signal;
        client.wake();
      });
      markExited();
    });
    child.on('error', (error) => holder.stderr.push(`spawn error: ${error.message}\n`));
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      if (holder.client) holder.client.appendStderr(chunk);
      else holder.stderr.push(chunk);
    });
    // A server that dies mid-request must fail the request, not the whole test process.
    child.stdin.on('error', () => undefined);

    connection.onNotification(PublishDiagnosticsNotification.type, (params) => {
      const receivedAt = performance.now();
      whenClient((client) => client.recordPublish(params, receivedAt));
    });
    connection.onNotification((method, params) => {
      const receivedAt = performance.now();
      whenClient((client) => client.recordNotification(method, params, receivedAt));
    });
    connection.onRequest(ConfigurationRequest.type, (params) => {
      const settings = options.settings ?? {};
      whenClient((client) => client.recordServerRequest(ConfigurationRequest.method, params));
      return answerConfiguration(params, settings);
    });
    connection.onRequest((method, params) => {
      whenClient((client) => client.recordServerRequest(method, params));
      if (method === 'workspace/workspaceFolders') return [workspaceFolderOf(options.workspaceFolder)];
      // client/registerCapability, window/workDoneProgress/create, window/showMessageRequest, …:
      // a null result is a valid answer to all of them and keeps the server going.
      return null;
    });
    connection.listen();

    const rootUri = fileUri(options.workspaceFolder);
    const initializeResult = await withTimeout(
      connection.sendRequest(InitializeRequest.type, {
        processId: process.pid,
        clientInfo: { name: 'cluster-template-tools-test-client', version: '1' },
        locale: 'en',
        rootPath: options.workspaceFolder,
        rootUri,
        workspaceFolders: [workspaceFolderOf(options.workspaceFolder)],
        capabilities: options.capabilities ?? DEFAULT_CAPABILITIES,
        initializationOptions: options.initializationOptions,
        trace: 'off',
      }),
      options.timeoutMs ?? 10_000,
      () => `initialize did not answer; server stderr:\n${holder.stderr.join('')}`,
    );
    const client = new LspClient(child, connection, options, initializeResult, exited);
    holder.client = client;
    client.stderrTail = holder.stderr.join('');
    for (const action of holder.early) action();
    await connection.sendNotification(InitializedNotification.type, {});
    return client;
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get stderr(): string {
    return this.stderrTail;
  }

  /** The file URI of a path relative to the workspace folder (or an absolute path). */
  uri(path: string): string {
    return fileUri(isAbsolute(path) ? path : join(this.workspaceFolder, path));
  }

  /** The text this client believes the server has for `uri`. */
  text(uri: string): string {
    return this.tracked(uri).document.getText();
  }

  version(uri: string): number {
    return this.tracked(uri).document.version;
  }

  positionAt(uri: string, offset: number): Position {
    return this.tracked(uri).document.positionAt(offset);
  }

  offsetAt(uri: string, position: Position): number {
    return this.tracked(uri).document.offsetAt(position);
  }

  /** The range of the `occurrence`-th (0-based) appearance of `needle` in the document. */
  rangeOf(uri: string, needle: string, occurrence = 0): Range {
    return rangeOfText(this.text(uri), needle, occurrence);
  }

  /** Sends didOpen. `text` defaults to the file's content on disk. Returns the version (1). */
  async open(uri: string, text?: string, languageId = 'yaml'): Promise<ChangeResult> {
    const content = text ?? readFileSync(new URL(uri), 'utf8');
    const version = 1;
    const document = TextDocument.create(uri, languageId, version, content);
    const tracked: TrackedDocument = { document, sent: new Map() };
    this.documents.set(uri, tracked);
    const sentAt = this.markSent(tracked, version);
    await this.connection.sendNotification(DidOpenTextDocumentNotification.type, {
      textDocument: { uri, languageId, version, text: content },
    });
    return { version, sentAt };
  }

  /** Sends one incremental didChange replacing [start, end) (UTF-16 offsets) with `newText`. */
  async replace(uri: string, start: number, end: number, newText: string): Promise<ChangeResult> {
    const tracked = this.tracked(uri);
    const range = { start: tracked.document.positionAt(start), end: tracked.document.positionAt(end) };
    return this.change(uri, [{ range, text: newText }]);
  }

  /** Replaces the whole document with one full-content change. */
  async setText(uri: string, text: string): Promise<ChangeResult> {
    return this.change(uri, [{ text }]);
  }

  /** Sends a didChange with these content changes and bumps the version by one. */
  async change(uri: string, changes: TextDocumentContentChangeEvent[]): Promise<ChangeResult> {
    const tracked = this.tracked(uri);
    const version = tracked.document.version + 1;
    tracked.document = TextDocument.update(tracked.document, changes, version);
    const sentAt = this.markSent(tracked, version);
    await this.connection.sendNotification(DidChangeTextDocumentNotification.type, {
      textDocument: { uri, version },
      contentChanges: changes,
    });
    return { version, sentAt };
  }

  async close(uri: string): Promise<void> {
    this.documents.delete(uri);
    await this.connection.sendNotification(DidCloseTextDocumentNotification.type, { textDocument: { uri } });
  }

  /** Sends workspace/didChangeConfiguration; servers that pull settings ask via workspace/configuration. */
  async changeConfiguration(settings: unknown): Promise<void> {
    await this.connection.sendNotification(DidChangeConfigurationNotification.type, { settings });
  }

  /** The number of publishes received so far; pass it to `waitForPublish` to wait for a later one. */
  publishMark(): number {
    return this.publishes.length;
  }

  /** Every publish received for `uri`, oldest first. */
  publishesFor(uri: string): PublishRecord[] {
    return this.publishes.filter((p) => p.params.uri === uri);
  }

  /**
   * Resolves with the publish for `uri` that belongs to `version` (see VersionMatching), including
   * one that arrived before this call.
   */
  async waitForDiagnostics(uri: string, version: number, timeoutMs?: number): Promise<PublishRecord> {
    const tracked = this.tracked(uri);
    const sent = tracked.sent.get(version);
    if (!sent) throw new Error(`version ${version} of ${uri} was never sent`);
    const matching = this.options.versionMatching ?? 'version';
    const matches = (record: PublishRecord): boolean => {
      if (record.params.uri !== uri) return false;
      if (record.params.version !== undefined && record.params.version !== null) return record.params.version === version;
      return matching === 'first-after-change' && record.seq > sent.seqBefore;
    };
    return this.waitFor(
      () => this.publishes.find(matches),
      timeoutMs,
      () => `no diagnostics for ${basename(uri)} version ${version}; publishes for it: ${this.describePublishes(uri)}`,
    );
  }

  /** Resolves with the first publish for `uri` after `mark` (from `publishMark()`) that passes `accept`. */
  async waitForPublish(
    uri: string,
    mark: number,
    accept: (params: PublishDiagnosticsParams) => boolean = () => true,
    timeoutMs?: number,
  ): Promise<PublishRecord> {
    return this.waitFor(
      () => this.publishes.find((p) => p.seq > mark && p.params.uri === uri && accept(p.params)),
      timeoutMs,
      () => `no matching publish for ${basename(uri)} after #${mark}; publishes for it: ${this.describePublishes(uri)}`,
    );
  }

  /** Resolves with the first notification of `method` (already received or future) that passes `accept`. */
  async waitForNotification(method: string, accept: (params: unknown) => boolean = () => true, timeoutMs?: number): Promise<NotificationRecord> {
    return this.waitFor(
      () => this.notifications.find((n) => n.method === method && accept(n.params)),
      timeoutMs,
      () => `no ${method} notification; got: ${[...new Set(this.notifications.map((n) => n.method))].join(', ') || 'none'}`,
    );
  }

  /** Resolves once the server has asked for workspace/configuration more than `count` times. */
  async waitForConfigurationRequests(count: number, timeoutMs?: number): Promise<void> {
    await this.waitFor(
      () => (this.serverRequests.filter((r) => r.method === ConfigurationRequest.method).length > count ? true : undefined),
      timeoutMs,
      () => 'the server did not ask for its configuration',
    );
  }

  configurationRequestCount(): number {
    return this.serverRequests.filter((r) => r.method === ConfigurationRequest.method).length;
  }

  async completion(uri: string, position: Position): Promise<CompletionItem[]> {
    const result = await this.connection.sendRequest(CompletionRequest.type, { textDocument: { uri }, position });
    return completionItemsOf(result);
  }

  async hover(uri: string, position: Position): Promise<Hover | null> {
    return this.connection.sendRequest(HoverRequest.type, { textDocument: { uri }, position });
  }

  async codeActions(uri: string, range: Range, diagnostics: Diagnostic[], only?: string[]): Promise<(Command | CodeAction)[]> {
    const result = await this.connection.sendRequest(CodeActionRequest.type, {
      textDocument: { uri },
      range,
      context: { diagnostics, only, triggerKind: 1 },
    });
    return result ?? [];
  }

  async documentSymbols(uri: string): Promise<DocumentSymbol[] | SymbolInformation[]> {
    return (await this.connection.sendRequest(DocumentSymbolRequest.type, { textDocument: { uri } })) ?? [];
  }

  async foldingRanges(uri: string): Promise<FoldingRange[]> {
    return (await this.connection.sendRequest(FoldingRangeRequest.type, { textDocument: { uri } })) ?? [];
  }

  /** Any other request, by method name. */
  async request<R>(method: string, params: unknown): Promise<R> {
    return this.connection.sendRequest<R>(method, params);
  }

  async notify(method: string, params: unknown): Promise<void> {
    await this.connection.sendNotification(method, params);
  }

  /** The server's current and peak resident memory from /proc (Linux only). */
  memory(): MemorySample {
    const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
    const kib = (field: string): number => {
      const match = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(status);
      if (!match) throw new Error(`${field} missing from /proc/${this.pid}/status`);
      return Number(match[1]) * 1024;
    };
    return { rssBytes: kib('VmRSS'), peakRssBytes: kib('VmHWM') };
  }

  get hasExited(): boolean {
    return this.exitCode !== undefined;
  }

  /** Sends shutdown then exit, and resolves with the exit code once the process has ended. */
  async shutdown(timeoutMs = 5_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    await withTimeout(this.connection.sendRequest(ShutdownRequest.type), timeoutMs, () => `shutdown did not answer; stderr:\n${this.stderrTail}`);
    await this.connection.sendNotification(ExitNotification.type);
    await withTimeout(this.exited, timeoutMs, () => 'the server did not exit after the exit notification');
    this.connection.dispose();
    return { code: this.exitCode ?? null, signal: this.exitSignal };
  }

  /** Ends the connection and kills the process if it still runs (cleanup after a failed test). */
  dispose(): void {
    this.connection.dispose();
    if (!this.hasExited) this.child.kill('SIGKILL');
  }

  private tracked(uri: string): TrackedDocument {
    const tracked = this.documents.get(uri);
    if (!tracked) throw new Error(`${uri} is not open`);
    return tracked;
  }

  private markSent(tracked: TrackedDocument, version: number): number {
    const sentAt = performance.now();
    tracked.sent.set(version, { seqBefore: this.publishes.length, sentAt });
    return sentAt;
  }

  private recordPublish(params: PublishDiagnosticsParams, receivedAt: number): void {
    this.publishes.push({ seq: this.publishes.length + 1, params, receivedAt });
    this.wake();
  }

  private recordNotification(method: string, params: unknown, receivedAt: number): void {
    this.notifications.push({ method, params, receivedAt });
    this.wake();
  }

  private recordServerRequest(method: string, params: unknown): void {
    this.serverRequests.push({ method, params });
    this.wake();
  }

  private appendStderr(chunk: string): void {
    // Only the tail matters for failure messages; a chatty server must not grow this forever.
    this.stderrTail = (this.stderrTail + chunk).slice(-16_384);
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) {
      if (waiter.test()) {
        this.waiters.delete(waiter);
        waiter.resolve();
      }
    }
  }

  private waitFor<T>(find: () => T | undefined, timeoutMs: number | undefined, describe: () => string): Promise<T> {
    const found = find();
    if (found !== undefined) return Promise.resolve(found);
    const limit = timeoutMs ?? this.options.timeoutMs ?? 5_000;
    return new Promise<T>((resolve, reject) => {
      let result: T | undefined;
      const waiter: Waiter = {
        test: () => {
          result = find();
          return result !== undefined || this.hasExited;
        },
        resolve: () => {
          clearTimeout(timer);
          if (result !== undefined) resolve(result);
          else reject(new Error(`server exited (code ${this.exitCode}, signal ${this.exitSignal}) while waiting: ${describe()}\nstderr:\n${this.stderrTail}`));
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`timed out after ${limit} ms: ${describe()}\nstderr:\n${this.stderrTail}`));
      }, limit);
      this.waiters.add(waiter);
    });
  }

  private describePublishes(uri: string): string {
    const list = this.publishesFor(uri).map((p) => `#${p.seq} v${p.params.version ?? '-'} (${p.params.diagnostics.length})`);
    return list.length ? list.join(', ') : 'none';
  }
}

/** The range of the `occurrence`-th (0-based) appearance of `needle` in `text`. */
export function rangeOfText(text: string, needle: string, occurrence = 0): Range {
  let offset = -1;
  for (let i = 0; i <= occurrence; i++) {
    offset = text.indexOf(needle, offset + 1);
    if (offset < 0) throw new Error(`"${needle}" occurs fewer than ${occurrence + 1} times`);
  }
  const document = TextDocument.create('untitled:text', 'plaintext', 0, text);
  return { start: document.positionAt(offset), end: document.positionAt(offset + needle.length) };
}

/** The plain text of a hover's contents, whatever shape the server chose. */
export function hoverText(hover: Hover | null): string {
  if (!hover) return '';
  const parts = Array.isArray(hover.contents) ? hover.contents : [hover.contents];
  return parts.map((part) => (typeof part === 'string' ? part : part.value)).join('\n');
}

function completionItemsOf(result: CompletionItem[] | CompletionList | null): CompletionItem[] {
  if (!result) return [];
  return Array.isArray(result) ? result : result.items;
}

function workspaceFolderOf(path: string): { uri: string; name: string } {
  return { uri: fileUri(path), name: basename(path) };
}

function answerConfiguration(params: ConfigurationParams, settings: Record<string, unknown>): unknown[] {
  return params.items.map((item) => {
    if (!item.section) return settings;
    // A section such as `[yaml]` (language-scoped) is a literal key; `a.b` walks nested objects.
    if (item.section in settings) return settings[item.section];
    let value: unknown = settings;
    for (const part of item.section.split('.')) {
      if (value === null || typeof value !== 'object') return null;
      value = (value as Record<string, unknown>)[part];
    }
    return value ?? null;
  });
}

function withTimeout<T>(promise: Promise<T>, timeoutMs: number, describe: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms: ${describe()}`)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
