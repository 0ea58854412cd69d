// The real file system for the server and the command-line tool. Engines and the workspace
// loader receive a FileReader; tests pass an in-memory one. The synchronous PluginFileAccess here
// serves the renderer's plugin functions, which run inside a synchronous render.
import { promises as fs, readdirSync, readFileSync, statSync, type Dirent, type Stats } from 'node:fs';
import { dirname, join } from 'node:path';

export type FileKind = 'file' | 'directory' | 'other';

export interface FileStat {
  kind: FileKind;
  /** Permission bits (st_mode & 0o7777). */
  mode: number;
}

export interface DirectoryEntry {
  /** Absolute path. */
  path: string;
  kind: FileKind;
}

export interface FileReader {
  /** The file's text, or undefined when it does not exist or cannot be read. */
  readText(path: string): Promise<string | undefined>;
  /** Every file under a folder (absolute paths, recursively); empty when the folder is missing. */
  listFiles?(folder: string): Promise<string[]>;
  /** The file's bytes (files the renderer copies unchanged), or undefined when unreadable. */
  readBytes?(path: string): Promise<Uint8Array | undefined>;
  /** What is at a path (symbolic links followed), or undefined when nothing is. */
  stat?(path: string): Promise<FileStat | undefined>;
  /** Every file and folder under a folder, recursively, empty folders included; undefined when it is not a folder. */
  listEntries?(folder: string): Promise<DirectoryEntry[] | undefined>;
}

/** Synchronous reads for plugin functions (age_key, talos_patches) called in the middle of a render. */
export interface PluginFileAccess {
  /** The file's text; undefined when there is no file (a folder, or nothing). */
  readText(path: string): string | undefined;
  /** The entries directly in a folder; undefined when the path is not a folder. */
  listDir(path: string): PluginDirEntry[] | undefined;
}

export interface PluginDirEntry {
  name: string;
  isFile: boolean;
  isDirectory: boolean;
}

function kindOf(stats: { isFile(): boolean; isDirectory(): boolean }): FileKind {
  return stats.isFile() ? 'file' : stats.isDirectory() ? 'directory' : 'other';
}

/** The file-system calls the readers make: asynchronous in the server, blocking in the CLI. */
interface NodeFsCalls {
  readText(path: string): Promise<string>;
  readBytes(path: string): Promise<Uint8Array>;
  readdir(path: string): Promise<Dirent[]>;
  readdirRecursive(path: string): Promise<Dirent[]>;
  stat(path: string): Promise<Stats>;
}

const asyncFsCalls: NodeFsCalls = {
  readText: (path) => fs.readFile(path, 'utf8'),
  readBytes: (path) => fs.readFile(path),
  readdir: (path) => fs.readdir(path, { withFileTypes: true }),
  readdirRecursive: (path) => fs.readdir(path, { recursive: true, withFileTypes: true }),
  stat: (path) => fs.stat(path),
};

// Blocking calls behind the same promises: a one-shot command has no other work to interleave,
// and hundreds of small reads through libuv's four-thread pool cost more than the reads themselves.
const blockingFsCalls: NodeFsCalls = {
  readText: async (path) => readFileSync(path, 'utf8'),
  readBytes: async (path) => readFileSync(path),
  readdir: async (path) => readdirSync(path, { withFileTypes: true }),
  readdirRecursive: async (path) => readdirSync(path, { recursive: true, withFileTypes: true }),
  stat: async (path) => statSync(path),
};

function createNodeFileReader(calls: NodeFsCalls): FileReader {
  return {
    async readText(path: string): Promise<string | undefined> {
      try {
        return await calls.readText(path);
      } catch {
        // Missing or unreadable: callers treat both as "not there".
        return undefined;
      }
    },
    async listFiles(folder: string): Promise<string[]> {
      try {
        const entries = await calls.readdirRecursive(folder);
        return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath ?? (e as unknown as { path: string }).path, e.name));
      } catch {
        // A missing input folder holds no templates (makejinja skips it too).
        return [];
      }
    },
    async readBytes(path: string): Promise<Uint8Array | undefined> {
      try {
        return await calls.readBytes(path);
      } catch {
        // Missing or unreadable: the caller reports it.
        return undefined;
      }
    },
    async stat(path: string): Promise<FileStat | undefined> {
      try {
        const stats = await calls.stat(path);
        return { kind: kindOf(stats), mode: stats.mode & 0o7777 };
      } catch {
        // Nothing there (or a dangling link): "not there" for every caller.
        return undefined;
      }
    },
    async listEntries(folder: string): Promise<DirectoryEntry[] | undefined> {
      try {
        if (!(await calls.stat(folder)).isDirectory()) return undefined;
      } catch {
        // No such folder.
        return undefined;
      }
      const out: DirectoryEntry[] = [];
      // Walk by hand: links to folders are listed as what they point to but not descended into,
      // as Python's pathlib glob does with `**`.
      const walk = async (dir: string): Promise<void> => {
        let entries;
        try {
          entries = await calls.readdir(dir);
        } catch {
          // An unreadable folder inside the tree: makejinja's glob skips it too.
          return;
        }
        for (const entry of entries) {
          const full = join(dir, entry.name);
          if (entry.isSymbolicLink()) {
            try {
              out.push({ path: full, kind: kindOf(await calls.stat(full)) });
            } catch {
              // A dangling link is neither file nor folder.
              out.push({ path: full, kind: 'other' });
            }
            continue;
          }
          out.push({ path: full, kind: kindOf(entry) });
          if (entry.isDirectory()) await walk(full);
        }
      };
      await walk(folder);
      return out;
    },
  };
}

/** The real file system, asynchronously: the language server, which must stay responsive. */
export const nodeFileReader: FileReader = createNodeFileReader(asyncFsCalls);

/** The real file system with blocking calls: the command-line tool. */
export const blockingFileReader: FileReader = createNodeFileReader(blockingFsCalls);

/** Plugin file access on the real file system (synchronous: the render calling it is). */
export const nodePluginFileAccess: PluginFileAccess = {
  readText(path: string): string | undefined {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      // Missing, a folder or unreadable: the plugin function raises FileNotFoundError or IsADirectoryError.
      return undefined;
    }
  },
  listDir(path: string): PluginDirEntry[] | undefined {
    try {
      return readdirSync(path).map((name) => {
        let kind: FileKind = 'other';
        try {
          kind = kindOf(statSync(join(path, name)));
        } catch {
          // A dangling link: neither file nor folder.
        }
        return { name, isFile: kind === 'file', isDirectory: kind === 'directory' };
      });
    } catch {
      // Not a folder.
      return undefined;
    }
  },
};

export interface MemoryFileOptions {
  /** Folders that exist without files in them (absolute paths). */
  directories?: string[];
  /** Permission bits by absolute path (files default to 0o644, folders to 0o755). */
  modes?: Record<string, number>;
  /** Binary files by absolute path, besides the text files. */
  bytes?: Record<string, Uint8Array>;
}

/** A FileReader over a map of absolute paths to texts. */
export function memoryFileReader(files: Record<string, string>, options: MemoryFileOptions = {}): FileReader {
  const binary = options.bytes ?? {};
  const filePaths = (): string[] => [...Object.keys(files), ...Object.keys(binary)];
  const allDirectories = (): Set<string> => {
    const out = new Set<string>();
    const addParents = (path: string): void => {
      for (let dir = dirname(path); !out.has(dir) && dir !== dirname(dir); dir = dirname(dir)) out.add(dir);
      out.add('/');
    };
    for (const path of filePaths()) addParents(path);
    for (const dir of options.directories ?? []) {
      out.add(dir);
      addParents(dir);
    }
    return out;
  };
  const under = (folder: string, path: string): boolean => path.startsWith(folder.replace(/\/?$/, '/'));
  return {
    readText: async (path) => files[path] ?? (binary[path] ? new TextDecoder().decode(binary[path]) : undefined),
    listFiles: async (folder) => filePaths().filter((path) => under(folder, path)),
    readBytes: async (path) => binary[path] ?? (files[path] !== undefined ? new TextEncoder().encode(files[path]) : undefined),
    stat: async (path) => {
      if (files[path] !== undefined || binary[path] !== undefined) return { kind: 'file', mode: options.modes?.[path] ?? 0o644 };
      if (allDirectories().has(path)) return { kind: 'directory', mode: options.modes?.[path] ?? 0o755 };
      return undefined;
    },
    listEntries: async (folder) => {
      const directories = allDirectories();
      if (!directories.has(folder)) return undefined;
      return [
        ...[...directories].filter((dir) => under(folder, dir)).map((path) => ({ path, kind: 'directory' as const })),
        ...filePaths()
          .filter((path) => under(folder, path))
          .map((path) => ({ path, kind: 'file' as const })),
      ];
    },
  };
}
