// The record of what the last render wrote (output path → sha256 of the bytes written) and the
// status of every output file derived from it. Pure: the caller reads the record file and the disk
// and passes hashes in; nothing here touches the file system. makejinja keeps no such record and
// overwrites silently; we keep one (outside the user's tree) to ask before losing hand edits.
import { createHash } from 'node:crypto';
import type { RenderFileStatus } from '../../protocol';

export interface RenderRecord {
  /** The workspace root it belongs to: a record written for another root is not used. */
  root: string;
  /** Output path relative to the root, with '/', → sha256 (hex) of the content last written there. */
  files: Record<string, string>;
}

/** One file the render would write, by its path relative to the root. */
export interface PlannedOutput {
  relativePath: string;
  contentHash: string;
}

export interface OutputStatus {
  relativePath: string;
  status: RenderFileStatus;
  /** Written by the last render and edited since: writing or removing it would lose those edits. */
  isHandEdited: boolean;
  /** The planned content's hash; absent for removed files. */
  contentHash?: string;
  /** The hash of the file on disk when the status was computed; absent when it is not there. */
  diskHash?: string;
}

const RECORD_VERSION = 1;

export function emptyRecord(root: string): RenderRecord {
  return { root, files: {} };
}

/** sha256 (hex) of the bytes a content is written as: strings as UTF-8, as the writer encodes them. */
export function contentHash(content: string | Uint8Array): string {
  return createHash('sha256').update(typeof content === 'string' ? Buffer.from(content, 'utf8') : content).digest('hex');
}

/**
 * The record stored in `text`, or an empty one when it is missing, unreadable or for another root
 * (then every file counts as never written by us, which is what makejinja assumes anyway).
 * Example: `parseRenderRecord('{"version":1,"root":"/ws","files":{"a.yaml":"ab12…"}}', '/ws')`.
 */
export function parseRenderRecord(text: string | undefined, root: string): RenderRecord {
  if (text === undefined) return emptyRecord(root);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    // A damaged record only costs the hand-edit check for one render; the next write replaces it.
    return emptyRecord(root);
  }
  const candidate = raw as { version?: unknown; root?: unknown; files?: unknown } | null;
  if (!candidate || candidate.version !== RECORD_VERSION || candidate.root !== root || !candidate.files || typeof candidate.files !== 'object') {
    return emptyRecord(root);
  }
  const files: Record<string, string> = {};
  for (const [relativePath, hash] of Object.entries(candidate.files as Record<string, unknown>)) {
    if (typeof hash === 'string' && /^[0-9a-f]{64}$/.test(hash)) files[relativePath] = hash;
  }
  return { root, files };
}

export function serializeRenderRecord(record: RenderRecord): string {
  const files = Object.fromEntries(Object.entries(record.files).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return JSON.stringify({ version: RECORD_VERSION, root: record.root, files }, null, 1) + '\n';
}

/** Every path whose disk content the statuses depend on: the planned files and the recorded ones. */
export function pathsToHash(planned: readonly PlannedOutput[], record: RenderRecord): string[] {
  return [...new Set([...planned.map((file) => file.relativePath), ...Object.keys(record.files)])];
}

/**
 * Status of each planned file, plus the files the last render wrote that this one no longer
 * produces and that are still on disk (`removed`). `diskHashes` holds the hash of every path of
 * `pathsToHash` that exists. A file whose disk content already equals the render is `unchanged`
 * and never hand-edited: writing it loses nothing.
 * Example: planned a.yaml (hash H1), disk a.yaml H2, record a.yaml H3 → changed, hand-edited.
 */
export function computeOutputStatuses(planned: readonly PlannedOutput[], diskHashes: ReadonlyMap<string, string>, record: RenderRecord): OutputStatus[] {
  const statuses: OutputStatus[] = [];
  const plannedPaths = new Set<string>();
  for (const file of planned) {
    plannedPaths.add(file.relativePath);
    const diskHash = diskHashes.get(file.relativePath);
    const recorded = record.files[file.relativePath];
    const status: RenderFileStatus = diskHash === undefined ? 'created' : diskHash === file.contentHash ? 'unchanged' : 'changed';
    const isHandEdited = status === 'changed' && recorded !== undefined && recorded !== diskHash;
    statuses.push({ relativePath: file.relativePath, status, isHandEdited, contentHash: file.contentHash, diskHash });
  }
  for (const [relativePath, recorded] of Object.entries(record.files)) {
    if (plannedPaths.has(relativePath)) continue;
    const diskHash = diskHashes.get(relativePath);
    if (diskHash === undefined) continue;
    statuses.push({ relativePath, status: 'removed', isHandEdited: diskHash !== recorded, diskHash });
  }
  return statuses;
}

/** What applying a plan did, by relative path. */
export interface ApplyOutcome {
  written: ReadonlySet<string>;
  removed: ReadonlySet<string>;
}

/**
 * The record after applying a plan: written and unchanged files get their content's hash; a file
 * kept with its hand edits keeps its old hash (so it still counts as hand-edited next time); a
 * removed file, or one the render no longer produces that was kept because it was edited, leaves
 * the record (it is the user's file now); a file that failed to be written or removed keeps its entry.
 */
export function recordAfterApply(previous: RenderRecord, statuses: readonly OutputStatus[], outcome: ApplyOutcome): RenderRecord {
  const files: Record<string, string> = {};
  for (const file of statuses) {
    const recorded = previous.files[file.relativePath];
    if (file.status === 'removed') {
      const released = outcome.removed.has(file.relativePath) || file.isHandEdited;
      if (!released && recorded !== undefined) files[file.relativePath] = recorded;
    } else if (file.contentHash !== undefined && (file.status === 'unchanged' || outcome.written.has(file.relativePath))) {
      files[file.relativePath] = file.contentHash;
    } else if (recorded !== undefined) {
      files[file.relativePath] = recorded;
    }
  }
  return { root: previous.root, files };
}
