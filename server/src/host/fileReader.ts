// The real file system for the server and the command-line tool. Engines and the workspace
// loader receive a FileReader; tests pass an in-memory one.
import { promises as fs } from 'node:fs';
import { join } from 'node:path';

export interface FileReader {
  /** The file's text, or undefined when it does not exist or cannot be read. */
  readText(path: string): Promise<string | undefined>;
  /** Every file under a folder (absolute paths, recursively); empty when the folder is missing. */
  listFiles?(folder: string): Promise<string[]>;
}

export const nodeFileReader: FileReader = {
  async readText(path: string): Promise<string | undefined> {
    try {
      return await fs.readFile(path, 'utf8');
    } catch {
      // Missing or unreadable: callers treat both as "not there".
      return undefined;
    }
  },
  async listFiles(folder: string): Promise<string[]> {
    try {
      const entries = await fs.readdir(folder, { recursive: true, withFileTypes: true });
      return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath ?? (e as unknown as { path: string }).path, e.name));
    } catch {
      // A missing input folder holds no templates (makejinja skips it too).
      return [];
    }
  },
};

/** A FileReader over a map of absolute paths to texts. */
export function memoryFileReader(files: Record<string, string>): FileReader {
  return {
    readText: async (path) => files[path],
    listFiles: async (folder) => Object.keys(files).filter((path) => path.startsWith(folder.replace(/\/?$/, '/'))),
  };
}
