// Custom messages between our client and server. The only server file the client may import.
import { NotificationType, RequestType0 } from 'vscode-languageserver-protocol';
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
