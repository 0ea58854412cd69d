// Writes files so that a reader sees the old or the new content, never half of it: a temporary
// file in the same folder, written, flushed to disk, then renamed over the target. Also applies a
// render plan (folders, files, removal of folders left empty). The only render code that writes.
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, fsyncSync, mkdirSync, openSync, promises as fs, readdirSync, renameSync, rmdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

/** The file-system calls an atomic write makes; tests pass failing ones. */
/** What an atomic write does with the temporary file it opened (fs.FileHandle has these). */
export interface WritableHandle {
  writeFile(content: string | Uint8Array): Promise<void>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

export interface AtomicWriteOps {
  open(filePath: string, flags: string, mode: number): Promise<WritableHandle>;
  rename(from: string, to: string): Promise<void>;
  chmod(filePath: string, mode: number): Promise<void>;
  unlink(filePath: string): Promise<void>;
  stat(filePath: string): Promise<{ mode: number; isDirectory(): boolean }>;
  mkdir(folder: string): Promise<void>;
  rmdir(folder: string): Promise<void>;
  readdir(folder: string): Promise<string[]>;
}

export const nodeAtomicWriteOps: AtomicWriteOps = {
  open: (filePath, flags, mode) => fs.open(filePath, flags, mode),
  rename: (from, to) => fs.rename(from, to),
  chmod: (filePath, mode) => fs.chmod(filePath, mode),
  unlink: (filePath) => fs.unlink(filePath),
  stat: (filePath) => fs.stat(filePath),
  mkdir: async (folder) => {
    await fs.mkdir(folder, { recursive: true });
  },
  rmdir: (folder) => fs.rmdir(folder),
  readdir: (folder) => fs.readdir(folder),
};

export interface AtomicWriteOptions {
  /** Permission bits for the file; without it an existing file keeps its own, a new one gets the umask's default. */
  mode?: number;
  ops?: AtomicWriteOps;
}

/**
 * Replaces `filePath` with `content` atomically. On any failure the temporary file is removed,
 * the original is untouched and the error is thrown.
 * @example await writeFileAtomic('/ws/kubernetes/apps/x.yaml', 'kind: X\n', { mode: 0o644 })
 */
export async function writeFileAtomic(filePath: string, content: string | Uint8Array, options: AtomicWriteOptions = {}): Promise<void> {
  const ops = options.ops ?? nodeAtomicWriteOps;
  const folder = path.dirname(filePath);
  const temporary = path.join(folder, `.${path.basename(filePath)}.${randomBytes(6).toString('hex')}.tmp`);
  let mode = options.mode;
  if (mode === undefined) {
    try {
      // makejinja opens the existing file for writing, which keeps its permissions; so do we.
      mode = (await ops.stat(filePath)).mode & 0o7777;
    } catch {
      // A new file: the umask decides, as for any file created with mode 0o666.
    }
  }
  let handle: WritableHandle | undefined;
  try {
    handle = await ops.open(temporary, 'wx', 0o666);
    await handle.writeFile(content);
    await handle.sync();
    await handle.close();
    handle = undefined;
    if (mode !== undefined) await ops.chmod(temporary, mode);
    await ops.rename(temporary, filePath);
  } catch (error) {
    if (handle) await handle.close().catch(() => undefined);
    await ops.unlink(temporary).catch(() => undefined);
    throw error;
  }
}

// The same calls, blocking, for the command-line tool: a one-shot process gains nothing from
// libuv's four-thread pool and pays its overhead on every one of thousands of small calls.
export const blockingAtomicWriteOps: AtomicWriteOps = {
  open: async (filePath, flags, mode) => {
    const fd = openSync(filePath, flags, mode);
    return {
      writeFile: async (content) => writeFileSync(fd, content),
      sync: async () => fsyncSync(fd),
      close: async () => closeSync(fd),
    };
  },
  rename: async (from, to) => renameSync(from, to),
  chmod: async (filePath, mode) => chmodSync(filePath, mode),
  unlink: async (filePath) => unlinkSync(filePath),
  stat: async (filePath) => statSync(filePath),
  mkdir: async (folder) => {
    mkdirSync(folder, { recursive: true });
  },
  rmdir: async (folder) => rmdirSync(folder),
  readdir: async (folder) => readdirSync(folder),
};

/** How many atomic writes run at once. */
export const WRITE_CONCURRENCY = 32;

/** Runs `work` on every item with at most `limit` running at once; resolves when all have settled. */
export async function forEachConcurrently<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await work(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/**
 * Creates a file that must not exist yet (a new age.key), as atomically as a replacement: the
 * content goes to a temporary file opened with `mode` from the start (never readable by others),
 * flushed, then hard-linked into place, which fails when anything is already there (a rename would
 * replace it). Throws EEXIST and leaves the existing file alone.
 */
export async function createFileExclusive(filePath: string, content: string | Uint8Array, mode: number, ops: AtomicWriteOps = nodeAtomicWriteOps): Promise<void> {
  await writeFileAtomic(filePath, content, {
    mode,
    ops: {
      ...ops,
      open: (temporary, flags) => ops.open(temporary, flags, mode),
      rename: async (from, to) => {
        try {
          await fs.link(from, to);
        } finally {
          await ops.unlink(from).catch(() => undefined);
        }
      },
    },
  });
}

/** The parts of a render plan that are written (see engines/render/workspaceRender.ts RenderPlan). */
export interface WritablePlan {
  files: { outputPath: string; content: string | Uint8Array; mode?: number }[];
  directories: { outputPath: string; mode?: number }[];
  directoriesToRemove: string[];
  errors: unknown[];
}

export interface WritePlanResult {
  written: string[];
  createdDirectories: string[];
  removedDirectories: string[];
  /** `path: reason` for every write that failed; the other writes still happened. */
  failures: string[];
}

/**
 * Applies a plan: folders, then every file atomically, then removes the folders left empty and
 * gives kept folders their modes (deepest first, like makejinja's postprocess). A plan with errors
 * writes nothing. `onlyFiles` limits the files written (e.g. to changed ones).
 */
export async function writeRenderPlan(plan: WritablePlan, options: { ops?: AtomicWriteOps; onlyFiles?: ReadonlySet<string> } = {}): Promise<WritePlanResult> {
  const ops = options.ops ?? nodeAtomicWriteOps;
  const result: WritePlanResult = { written: [], createdDirectories: [], removedDirectories: [], failures: [] };
  if (plan.errors.length > 0) throw new Error('the render has errors: nothing was written');
  const exists = async (folder: string): Promise<boolean> => ops.stat(folder).then(
    (stats) => stats.isDirectory(),
    () => false,
  );
  for (const directory of plan.directories) {
    if (await exists(directory.outputPath)) continue;
    try {
      await ops.mkdir(directory.outputPath);
      result.createdDirectories.push(directory.outputPath);
    } catch (error) {
      result.failures.push(`${directory.outputPath}: ${reasonOf(error)}`);
    }
  }
  const files = plan.files.filter((file) => !options.onlyFiles || options.onlyFiles.has(file.outputPath));
  // Each write waits for its fsync: overlapping them is what keeps hundreds of files fast.
  await forEachConcurrently(files, WRITE_CONCURRENCY, async (file) => {
    try {
      await ops.mkdir(path.dirname(file.outputPath));
      await writeFileAtomic(file.outputPath, file.content, { mode: file.mode, ops });
      result.written.push(file.outputPath);
    } catch (error) {
      result.failures.push(`${file.outputPath}: ${reasonOf(error)}`);
    }
  });
  result.written.sort();
  for (const folder of [...plan.directoriesToRemove].sort((a, b) => b.length - a.length)) {
    try {
      // Only when still empty: makejinja removes folders it finds empty after rendering.
      if ((await ops.readdir(folder)).length > 0) continue;
      await ops.rmdir(folder);
      result.removedDirectories.push(folder);
    } catch (error) {
      result.failures.push(`${folder}: ${reasonOf(error)}`);
    }
  }
  for (const directory of [...plan.directories].reverse()) {
    if (directory.mode === undefined) continue;
    try {
      await ops.chmod(directory.outputPath, directory.mode);
    } catch (error) {
      result.failures.push(`${directory.outputPath}: ${reasonOf(error)}`);
    }
  }
  return result;
}

/** The language server's OutputWriter (workspace/renderSession.ts) on the real file system. */
export const nodeOutputWriter = {
  async writeFile(filePath: string, content: string | Uint8Array, mode?: number): Promise<void> {
    await fs.mkdir(path.dirname(filePath), { recursive: true });
    await writeFileAtomic(filePath, content, { mode });
  },
  async removeFile(filePath: string): Promise<void> {
    await fs.rm(filePath, { force: true });
  },
  async removeEmptyDirectory(folder: string): Promise<void> {
    try {
      await fs.rmdir(folder);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // Not empty (someone put a file there) or already gone: leave it, as the contract says.
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST' && code !== 'ENOENT') throw error;
    }
  },
};

function reasonOf(error: unknown): string {
  const code = (error as NodeJS.ErrnoException)?.code;
  return code ? `${code} (${(error as Error).message})` : String((error as Error)?.message ?? error);
}
