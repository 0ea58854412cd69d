// Owns the language client, the output channel, the status bar item and the command
// registrations. Starts the server only in a cluster-template workspace or when one of its files opens.
import * as vscode from 'vscode';
import { LanguageClient, type LanguageClientOptions, type ServerOptions, TransportKind } from 'vscode-languageclient/node';
import {
  configStatusNotification,
  readyNotification,
  recheckRequest,
  SERVER_NODE_FLAGS,
  trustGrantedNotification,
  workItemsChangedNotification,
  type ConfigStatusParams,
  type RenderInitializationOptions,
  type SopsInitializationOptions,
} from '../../server/src/protocol';
import { registerRenderCommands } from './commands/render';
import { registerSopsCommands } from './commands/sops';
import { registerTaskCommands } from './commands/tasks';
import { ConfigStatusBar } from './statusBar';
import { registerRemainingWorkView, RemainingWorkProvider } from './views/remainingWork';

const OUTPUT_NAME = 'Cluster Template';
/** Language ids of our .j2 templates (package.json contributes them with their grammars). */
const TEMPLATE_LANGUAGES = ['jinja', 'jinja-yaml', 'jinja-markdown', 'jinja-terraform', 'jinja-gotmpl-yaml'];

export class ExtensionContextState {
  private client: LanguageClient | undefined;
  private readonly output: vscode.LogOutputChannel;
  private readonly statusBar: ConfigStatusBar;
  private readonly remainingWork: RemainingWorkProvider;
  private readyResolve!: () => void;
  private readonly ready: Promise<void>;
  private starting: Promise<void> | undefined;

  constructor(private readonly context: vscode.ExtensionContext) {
    this.output = vscode.window.createOutputChannel(OUTPUT_NAME, { log: true });
    this.statusBar = new ConfigStatusBar();
    this.remainingWork = new RemainingWorkProvider({ client: () => this.runningClient(), output: this.output });
    this.ready = new Promise((resolve) => (this.readyResolve = resolve));
    context.subscriptions.push(this.output, this.statusBar);
  }

  async start(): Promise<void> {
    this.registerCommands();
    if (await this.isClusterTemplateWorkspace()) {
      await this.startClient();
      return;
    }
    // Activated by a YAML or Jinja file elsewhere: wait until one of ours opens.
    const startIfOurs = (document: vscode.TextDocument): void => {
      if (isOurFile(document.uri)) void this.startClient();
    };
    vscode.workspace.textDocuments.forEach(startIfOurs);
    this.context.subscriptions.push(vscode.workspace.onDidOpenTextDocument(startIfOurs));
  }

  whenReady(): Promise<void> {
    return this.ready;
  }

  private registerCommands(): void {
    this.context.subscriptions.push(
      vscode.commands.registerCommand('clusterTemplate.showOutput', () => this.output.show(true)),
      vscode.commands.registerCommand('clusterTemplate.restartServer', async () => {
        if (!this.client) return this.startClient();
        this.output.info('Restarting the language server.');
        await this.client.restart();
      }),
      vscode.commands.registerCommand('clusterTemplate.checkWorkspace', async () => {
        if (!this.client) await this.startClient();
        const status = await vscode.window.withProgress(
          { location: vscode.ProgressLocation.Window, title: 'Checking cluster.yaml and nodes.yaml' },
          () => this.client!.sendRequest(recheckRequest),
        );
        this.statusBar.update(status);
        const errors = status.files.reduce((n, f) => n + f.errors, 0);
        const warnings = status.files.reduce((n, f) => n + f.warnings, 0);
        if (errors + warnings === 0) void vscode.window.showInformationMessage('Cluster config: no problems found.');
        else await vscode.commands.executeCommand('workbench.actions.view.problems');
      }),
      vscode.commands.registerCommand('clusterTemplate.internal.whenReady', () => this.ready),
      ...registerRenderCommands({ client: () => this.runningClient(), output: this.output }),
      ...registerSopsCommands({ client: () => this.runningClient(), output: this.output }),
      ...registerRemainingWorkView(this.remainingWork),
      ...registerTaskCommands({
        client: () => this.runningClient(),
        // Set once something started the server: the task provider never starts it on its own.
        startedClient: () => (this.starting ? this.runningClient() : undefined),
        output: this.output,
        remainingWork: this.remainingWork,
      }),
      // The server stops approximating derived data and allows writes from now on; steps may run now.
      vscode.workspace.onDidGrantWorkspaceTrust(() => {
        void this.client?.sendNotification(trustGrantedNotification);
        this.remainingWork.scheduleRefresh();
      }),
    );
  }

  private async runningClient(): Promise<LanguageClient> {
    if (!this.client) await this.startClient();
    return this.client!;
  }

  private async isClusterTemplateWorkspace(): Promise<boolean> {
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
      if (await exists(vscode.Uri.joinPath(folder.uri, 'makejinja.toml'))) return true;
      const hasConfig = await exists(vscode.Uri.joinPath(folder.uri, 'cluster.yaml'));
      if (hasConfig && (await exists(vscode.Uri.joinPath(folder.uri, 'templates')))) return true;
    }
    return false;
  }

  private startClient(): Promise<void> {
    this.starting ??= this.createClient();
    return this.starting;
  }

  private async createClient(): Promise<void> {
    const serverModule = this.context.asAbsolutePath('dist/server.js');
    const serverOptions: ServerOptions = {
      run: { module: serverModule, transport: TransportKind.ipc, options: { execArgv: [...SERVER_NODE_FLAGS] } },
      debug: { module: serverModule, transport: TransportKind.ipc, options: { execArgv: [...SERVER_NODE_FLAGS, '--nolazy', '--inspect=6019'] } },
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: [
        { scheme: 'file', language: 'yaml', pattern: '**/cluster.yaml' },
        { scheme: 'file', language: 'yaml', pattern: '**/nodes.yaml' },
        ...TEMPLATE_LANGUAGES.map((language) => ({ scheme: 'file', language })),
        // Secrets, for the plaintext-secret and MAC checks of open files (templates are matched above).
        { scheme: 'file', pattern: '**/*.sops.*' },
      ],
      // `sops` carries sops.defaults.ageKeyFile, the key file setting of other SOPS extensions.
      synchronize: { configurationSection: ['clusterTemplate', 'sops'] },
      outputChannel: this.output,
      initializationOptions: {
        settings: vscode.workspace.getConfiguration('clusterTemplate'),
        isTrusted: vscode.workspace.isTrusted,
        storagePath: this.context.storageUri?.fsPath,
        sopsDefaultsAgeKeyFile: vscode.workspace.getConfiguration('sops').get<string>('defaults.ageKeyFile'),
      } satisfies RenderInitializationOptions & SopsInitializationOptions & { settings: unknown },
    };
    this.client = new LanguageClient('clusterTemplate', 'Cluster Template Language Server', serverOptions, clientOptions);
    this.context.subscriptions.push(
      this.client.onNotification(readyNotification, (params) => {
        this.output.info(`Ready. Workspace schema: ${params.workspaceSchema}.`);
        this.statusBar.setReady(params.workspaceSchema);
        this.readyResolve();
        // Items asked for while the server was still reading the workspace are read again.
        this.remainingWork.scheduleRefresh();
      }),
      this.client.onNotification(configStatusNotification, (params: ConfigStatusParams) => this.statusBar.update(params)),
      this.client.onNotification(workItemsChangedNotification, (params) => this.remainingWork.scheduleRefresh(params.folderUri)),
    );
    this.statusBar.setStarting();
    await this.client.start();
  }

  async dispose(): Promise<void> {
    await this.client?.stop();
    this.client = undefined;
  }
}

function isOurFile(uri: vscode.Uri): boolean {
  return /\/(cluster|nodes)\.yaml$|\.j2$/.test(uri.path);
}

async function exists(uri: vscode.Uri): Promise<boolean> {
  try {
    await vscode.workspace.fs.stat(uri);
    return true;
  } catch {
    // stat throws FileNotFound: the file is simply not there.
    return false;
  }
}
