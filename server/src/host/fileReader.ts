// The real file system for the server and the command-line tool. Engines and the workspace
// loader receive a FileReader; tests pass an in-memory one.
import { promises as fs } from 'node:fs';

export interface FileReader {
  /** The file's text, or undefined when it does not exist or cannot be read. */
  readText(path: string): Promise<string | undefined>;
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
};

/** A FileReader over a map of absolute paths to texts. */
export function memoryFileReader(files: Record<string, string>): FileReader {
  return { readText: async (path) => files[path] };
}
