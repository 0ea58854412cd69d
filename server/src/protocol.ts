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
