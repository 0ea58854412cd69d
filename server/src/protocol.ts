// Custom messages between our client and server. The only server file the client may import.
import { NotificationType, NotificationType0, RequestType, RequestType0 } from 'vscode-languageserver-protocol';
import nodeFlags from '../nodeFlags.json';

/** Node flags the server process runs with (memory settings; see host/memoryFlags.ts). */
export const SERVER_NODE_FLAGS: readonly string[] = nodeFlags;

export interface ReadyParams {
  /** Which workspace schema decides the keys of cluster.yaml / nodes.yaml. */
  workspaceSchema: 'cue' | 'json' | 'none';
  /** What the server could not read in the workspace schema (shown in the output channel). */
  notes: string[];
}

export interface ConfigFileStatus {
  uri: string;
  errors: number;
  warnings: number;
}

export interface ConfigStatusParams {
  files: ConfigFileStatus[];
}

/** Sent once the workspace is read and the config files have been checked for the first time. */
export const readyNotification = new NotificationType<ReadyParams>('clusterTemplate/ready');

/** Sent after every check: error and warning counts per config file, for the status bar. */
export const configStatusNotification = new NotificationType<ConfigStatusParams>('clusterTemplate/configStatus');

/** Re-reads the workspace schema and re-checks every config file; answers with the new status. */
export const recheckRequest = new RequestType0<ConfigStatusParams, void>('clusterTemplate/recheck');

// ---- Rendering (issue 4) ------------------------------------------------------------------------

/** What the client passes in initializationOptions next to the settings. */
export interface RenderInitializationOptions {
  /** VS Code's workspace trust: when false the server never writes and never runs plugin.py. */
  isTrusted?: boolean;
  /** The extension's workspace storage folder, where the record of the last render is kept. */
  storagePath?: string;
}

export interface RenderPlanParams {
  /** A workspace folder (or any folder holding makejinja.toml). */
  folderUri: string;
}

/**
 * - created: not on disk yet. changed: on disk with other content. unchanged: on disk as rendered.
 * - removed: written by the last render, not produced now, still on disk.
 */
export type RenderFileStatus = 'created' | 'changed' | 'unchanged' | 'removed';

export interface RenderPlanFile {
  /** The output file. */
  uri: string;
  /** Its path relative to the workspace folder, with '/'. */
  relativePath: string;
  /** The template (or copied file) it comes from; absent for removed files. */
  templateUri?: string;
  status: RenderFileStatus;
  /** On disk, written by the last render, and edited since: writing (or removing) would lose those edits. */
  isHandEdited: boolean;
}

export interface RenderPlanError {
  templateUri: string;
  /** 1-based line in that template. */
  line: number;
  message: string;
}

export interface RenderPlanResult {
  /** Names the rendered content kept by the server until it is applied or replaced. */
  planId: string;
  files: RenderPlanFile[];
  /** When not empty nothing may be written: the render is all or nothing. */
  errors: RenderPlanError[];
  /** What the render could only approximate or skipped (say "derived values approximate"). */
  notes: string[];
  durationMs: number;
}

export interface RenderedContentParams {
  planId: string;
  uri: string;
}

export interface RenderedContentResult {
  text: string;
}

export interface ApplyRenderPlanParams {
  planId: string;
  /** Hand-edited output files (uris) the user agreed to overwrite; every other hand-edited file is kept. */
  overwriteHandEdited: string[];
}

export interface ApplyRenderPlanResult {
  /** Output files written (uris). */
  written: string[];
  /** Output files removed (uris). */
  removed: string[];
  /** Output files left as they are (hand-edited and not confirmed, or changed on disk since the plan). */
  skipped: string[];
  /** Messages a person can act on; empty when everything went through. */
  errors: string[];
}

export interface RenderPreviewParams {
  /** A template; an open document's unsaved text is what gets rendered. */
  templateUri: string;
}

export interface RenderPreviewResult {
  /** The rendered text; absent when the render failed. */
  text?: string;
  /** Where the render failed; the line is in the template named by the message when it is another one. */
  error?: { line: number; message: string };
  /** The file the template renders to, when it has one (for "compare with file on disk"). */
  outputUri?: string;
  notes: string[];
}

/** Renders a whole workspace in memory and answers with what writing it would change. */
export const renderPlanRequest = new RequestType<RenderPlanParams, RenderPlanResult, void>('clusterTemplate/renderPlan');

/** The text a plan would write to one file (the right side of a diff editor). */
export const renderedContentRequest = new RequestType<RenderedContentParams, RenderedContentResult, void>('clusterTemplate/renderedContent');

/** Writes a plan atomically; refused in an untrusted workspace. */
export const applyRenderPlanRequest = new RequestType<ApplyRenderPlanParams, ApplyRenderPlanResult, void>('clusterTemplate/applyRenderPlan');

/** Renders one template (its unsaved text) for the live preview. */
export const renderPreviewRequest = new RequestType<RenderPreviewParams, RenderPreviewResult, void>('clusterTemplate/renderPreview');

/** The user trusted the workspace: writing and running plugin.py are allowed from now on. */
export const trustGrantedNotification = new NotificationType0('clusterTemplate/trustGranted');

// ---- SOPS (issue 5) -----------------------------------------------------------------------------
// Requests about one secret file name it by uri; folder requests take a workspace folder. Every
// answer is a typed result with a message a person can act on; none carries key material, and
// only readSecret carries plaintext (in memory, for the Edit Secret editor).

/** What the client passes in initializationOptions for SOPS, next to the settings. */
export interface SopsInitializationOptions {
  /** `sops.defaults.ageKeyFile`, the setting other SOPS extensions use (often `age.key`). */
  sopsDefaultsAgeKeyFile?: string;
}

export interface SopsFileParams {
  /** A `*.sops.*` file. */
  uri: string;
}

/**
 * - done: the file was encrypted (or decrypted) and written.
 * - unchanged: nothing to do (already encrypted, already plaintext, or the edit changed nothing).
 * - refused: not allowed or not possible (restricted mode, no creation rule, no key, MAC mismatch).
 * - failed: an unexpected error; the file on disk is as it was.
 */
export type SopsOutcome = 'done' | 'unchanged' | 'refused' | 'failed';

export interface SopsFileResult {
  uri: string;
  outcome: SopsOutcome;
  /** For the user; never contains secret values. */
  message: string;
}

export interface EncryptAllParams {
  folderUri: string;
  /** Names this run in the progress notifications (chosen by the client). */
  progressId?: string;
}

export interface EncryptAllResult {
  /** Files encrypted now. */
  encrypted: string[];
  /** Files that were encrypted already (left as they are). */
  alreadyEncrypted: string[];
  /** Files that could not be encrypted, each with the reason. */
  failed: { uri: string; message: string }[];
  /** Why nothing ran at all (restricted mode); absent otherwise. */
  refused?: string;
}

/** Sent while encryptAll runs: how far it is. */
export interface SopsProgressParams {
  progressId: string;
  done: number;
  total: number;
  /** The file just handled, relative to the folder. */
  relativePath: string;
}

export interface ReadSecretResult {
  /** The decrypted content; absent when it cannot be read (see error). */
  text?: string;
  error?: { code: SecretErrorCode; message: string };
}

export interface WriteSecretParams {
  uri: string;
  /** The new plaintext, re-encrypted with the file's own data key, recipients and options. */
  text: string;
}

/** Why a secret cannot be opened or saved; the Edit Secret file system maps these to its errors. */
export type SecretErrorCode = 'not-found' | 'not-encrypted' | 'no-key' | 'integrity' | 'restricted' | 'invalid' | 'unsupported' | 'failed';

export interface WriteSecretResult {
  outcome: SopsOutcome;
  message: string;
  error?: { code: SecretErrorCode; message: string };
}

export interface GenerateAgeKeyParams {
  folderUri: string;
}

export interface GenerateAgeKeyResult {
  /** created: a new age.key (mode 0600). exists: one was there and was left alone. refused / failed: nothing written. */
  outcome: 'created' | 'exists' | 'refused' | 'failed';
  /** The age.key file. */
  keyFileUri: string;
  /** The public key (recipient), when known. Never the private key. */
  publicKey?: string;
  message: string;
}

/** Encrypts a `*.sops.*` file in place with the rules of its .sops.yaml; an encrypted file is left alone. */
export const encryptFileRequest = new RequestType<SopsFileParams, SopsFileResult, void>('clusterTemplate/sops/encryptFile');

/** Decrypts a file in place (the client asks the user first); the MAC is verified before anything is written. */
export const decryptFileRequest = new RequestType<SopsFileParams, SopsFileResult, void>('clusterTemplate/sops/decryptFile');

/** Encrypts every plaintext `*.sops.*` file under bootstrap/, kubernetes/, talos/ and infrastructure/ (what `task configure` does). */
export const encryptAllRequest = new RequestType<EncryptAllParams, EncryptAllResult, void>('clusterTemplate/sops/encryptAll');

/** Progress of encryptAll. */
export const sopsProgressNotification = new NotificationType<SopsProgressParams>('clusterTemplate/sops/progress');

/** The decrypted content of a secret, for the Edit Secret editor; sent in memory only. */
export const readSecretRequest = new RequestType<SopsFileParams, ReadSecretResult, void>('clusterTemplate/sops/readSecret');

/** Re-encrypts edited plaintext into the secret file atomically, as `sops edit` does on save. */
export const writeSecretRequest = new RequestType<WriteSecretParams, WriteSecretResult, void>('clusterTemplate/sops/writeSecret');

/** Creates the folder's age.key (mode 0600) unless one exists; answers with the public key only. */
export const generateAgeKeyRequest = new RequestType<GenerateAgeKeyParams, GenerateAgeKeyResult, void>('clusterTemplate/sops/generateAgeKey');

// ---- Remaining work (issue 6) -------------------------------------------------------------------
// The server reads each catalog item's state from the workspace and runs the checks; the client
// shows the tree, asks the questions and runs commands as VS Code tasks. No answer carries a secret
// value: variables marked secret are only ever said to be set or unset.

export type WorkPriority = 'high' | 'medium' | 'low' | 'future';
export type WorkItemState = 'done' | 'in-progress' | 'todo' | 'blocked' | 'unknown';
export type WorkStepKind = 'scaffold' | 'configure' | 'pipeline' | 'run' | 'verify' | 'manual';

export interface WorkFolderParams {
  folderUri: string;
}

export interface WorkStepResult {
  status: 'pass' | 'fail' | 'error';
  /** One line: why. */
  reason: string;
  details: string[];
  /** ISO time of the run. */
  at: string;
}

export interface WorkStepInfo {
  id: string;
  title: string;
  kind: WorkStepKind;
  detail?: string;
  /** run, verify and reconcile steps: the command with the workspace's values substituted, quoted for a POSIX shell. */
  commandLine?: string;
  /** Placeholders of the command with no value in cluster.yaml / nodes.yaml (the step cannot run yet). */
  missingValues?: string[];
  /** The program the step needs, when it is not on PATH: a sentence saying so and what it is for. */
  missingTool?: string;
  lastResult?: WorkStepResult;
}

export interface WorkItemInfo {
  id: string;
  title: string;
  priority: WorkPriority;
  isGuide: boolean;
  summary: string;
  state: WorkItemState;
  /** Why the item is in this state: what holds, what is missing, what blocks it. */
  reasons: string[];
  /** Where the guide and the repository disagree. */
  warnings: string[];
  /** Catalog items this one builds on. */
  dependsOn: string[];
  steps: WorkStepInfo[];
}

export interface WorkItemsResult {
  /** False when the folder has no makejinja.toml nor cluster.yaml + templates/: the view shows its welcome text. */
  isClusterTemplate: boolean;
  items: WorkItemInfo[];
  /** Environment the commands run with (KUBECONFIG, TALOSCONFIG, SOPS_AGE_KEY_FILE as the Taskfile sets them). */
  environment: Record<string, string>;
  notes: string[];
}

export interface WorkStepParams extends WorkFolderParams {
  itemId: string;
  stepId: string;
}

export interface ScaffoldChangeInfo {
  uri: string;
  kind: 'create' | 'edit';
  description: string;
  /** A file with other content is already there: only written when the user says so. */
  conflictsWithExisting: boolean;
}

export interface ScaffoldPlanResult {
  /** Names the planned content kept by the server until applied or replaced. */
  planId?: string;
  changes: ScaffoldChangeInfo[];
  /** Files already as the scaffold writes them. */
  upToDate: string[];
  notes: string[];
  /** Why there is no plan (restricted mode, unknown step); absent otherwise. */
  refused?: string;
}

export interface ApplyScaffoldParams {
  planId: string;
  /** Conflicting files (uris) the user agreed to overwrite. */
  overwrite: string[];
}

export interface ApplyScaffoldResult {
  written: string[];
  skipped: string[];
  errors: string[];
}

export interface VariablePromptInfo {
  key: string;
  prompt: string;
  isSecret: boolean;
  isOptional: boolean;
  /** Has a value in cluster.yaml now (for secrets this is all that is said). */
  isSet: boolean;
  /** The current value as written, for non-secret keys. */
  currentValue?: string;
  /** Values to offer: the current one, the default, derived ones, the schema's choices. */
  suggestions: { label: string; value: string; detail?: string }[];
  /** The schema's description of the key. */
  description?: string;
}

export interface VariablePromptsResult {
  prompts: VariablePromptInfo[];
  refused?: string;
}

export interface VariablePromptsParams extends WorkStepParams {
  /** Values typed so far in this flow: derived suggestions build on them (the JWKS URI on the issuer). */
  entered?: { key: string; text: string }[];
}

export interface ValidateVariableParams extends WorkFolderParams {
  key: string;
  /** As typed. */
  text: string;
  /** An empty answer is accepted (the key is then left as it is). */
  isOptional?: boolean;
}

export interface ValidateVariableResult {
  /** The message to show under the input box; absent when valid. */
  error?: string;
}

export interface SetVariablesParams extends WorkFolderParams {
  /** Values as typed; the server converts them to the schema's types. */
  assignments: { key: string; text: string }[];
}

export interface SetVariablesResult {
  /** cluster.yaml. */
  uri: string;
  /** Text edits keeping comments and order; the client applies them to the document and saves it. */
  edits: { range: { start: { line: number; character: number }; end: { line: number; character: number } }; newText: string }[];
  /** Keys not written, with the reason (never the value). */
  problems: string[];
}

export interface RecordStepResultParams extends WorkStepParams {
  /** Exit code of the task the client ran; undefined when it did not finish. */
  exitCode?: number;
}

export interface ConfigureParams extends WorkFolderParams {
  progressId?: string;
  /** Overwrite generated files edited by hand since the last render (like `task configure`). */
  overwriteHandEdited: boolean;
}

export interface ConfigureStage {
  name: 'check' | 'render' | 'encrypt' | 'kubeconform' | 'talhelper';
  status: 'ok' | 'failed' | 'skipped';
  message: string;
  details: string[];
}

export interface ConfigureResult {
  /** needs-confirmation: generated files were edited by hand; nothing was written (see handEdited). */
  outcome: 'done' | 'failed' | 'refused' | 'needs-confirmation';
  stages: ConfigureStage[];
  /** Hand-edited output files (uris), when outcome is needs-confirmation. */
  handEdited: string[];
  /** cluster.yaml / nodes.yaml errors that stopped the pipeline. */
  configErrors: { uri: string; line: number; message: string }[];
}

export interface WorkProgressParams {
  progressId: string;
  message: string;
}

export interface TaskfileTaskInfo {
  name: string;
  description?: string;
  requiredVars: string[];
  isInternal: boolean;
  /** Where it is declared. */
  uri: string;
  line: number;
}

export interface TaskfileTasksResult {
  tasks: TaskfileTaskInfo[];
  problems: string[];
  environment: Record<string, string>;
}

/** Every catalog item with its state read from the workspace, its steps and their last results. */
export const workItemsRequest = new RequestType<WorkFolderParams, WorkItemsResult, void>('clusterTemplate/tasks/items');

/** Something the states depend on changed (files, settings, a step result): ask for the items again. */
export const workItemsChangedNotification = new NotificationType<WorkFolderParams>('clusterTemplate/tasks/changed');

/** The files a scaffold step would create or edit; nothing is written yet. */
export const scaffoldPlanRequest = new RequestType<WorkStepParams, ScaffoldPlanResult, void>('clusterTemplate/tasks/scaffoldPlan');

/** Writes a scaffold plan atomically; refused in an untrusted workspace. */
export const applyScaffoldRequest = new RequestType<ApplyScaffoldParams, ApplyScaffoldResult, void>('clusterTemplate/tasks/applyScaffold');

/** The questions of a configure step, with current values (non-secret only) and suggestions. */
export const variablePromptsRequest = new RequestType<VariablePromptsParams, VariablePromptsResult, void>('clusterTemplate/tasks/variablePrompts');

/** Checks one typed value against the cluster.yaml schema rules (for the input box). */
export const validateVariableRequest = new RequestType<ValidateVariableParams, ValidateVariableResult, void>('clusterTemplate/tasks/validateVariable');

/** The cluster.yaml edits that set these values (comments and order kept, commented keys uncommented in place). */
export const setVariablesRequest = new RequestType<SetVariablesParams, SetVariablesResult, void>('clusterTemplate/tasks/setVariables');

/** Runs a verify step's check as a child process, parses its output and remembers the result. */
export const runVerifyRequest = new RequestType<WorkStepParams, WorkStepResult, void>('clusterTemplate/tasks/runVerify');

/** Remembers how a run step's task ended. */
export const recordStepResultRequest = new RequestType<RecordStepResultParams, void, void>('clusterTemplate/tasks/recordStepResult');

/** Does natively what `task configure` does: check, render, encrypt, validate when the tools exist. */
export const configureRequest = new RequestType<ConfigureParams, ConfigureResult, void>('clusterTemplate/tasks/configure');

/** Progress of configure. */
export const workProgressNotification = new NotificationType<WorkProgressParams>('clusterTemplate/tasks/progress');

/** The tasks of the folder's Taskfile (with includes), for the task provider. */
export const taskfileTasksRequest = new RequestType<WorkFolderParams, TaskfileTasksResult, void>('clusterTemplate/tasks/taskfile');
