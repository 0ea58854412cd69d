// Runs a program and collects its output: the only place the server and the command-line tool
// start processes. Engines receive a ProcessRunner; tests pass a fake or this real one.
import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import * as path from 'node:path';

export interface ProcessRequest {
  command: string;
  args: string[];
  cwd: string;
  /** Written to the process's standard input, which is then closed. */
  stdin?: string;
  /** The process is killed after this long (milliseconds). */
  timeoutMs: number;
  /** Extra environment variables on top of this process's environment. */
  env?: Record<string, string>;
}

export interface ProcessResult {
  /** null when the process did not exit by itself (killed, or never started). */
  exitCode: number | null;
  stdout: string;
  stderr: string;
  isTimedOut: boolean;
  /** Set when the program could not be started at all (e.g. ENOENT: not installed). */
  spawnError?: string;
}

export interface ProcessRunner {
  run(request: ProcessRequest): Promise<ProcessResult>;
}

export const nodeProcessRunner: ProcessRunner = {
  run(request: ProcessRequest): Promise<ProcessResult> {
    return new Promise((resolve) => {
      const stdout: Buffer[] = [];
      const stderr: Buffer[] = [];
      let isTimedOut = false;
      let isSettled = false;
      const finish = (result: Omit<ProcessResult, 'stdout' | 'stderr' | 'isTimedOut'>): void => {
        if (isSettled) return;
        isSettled = true;
        clearTimeout(timer);
        resolve({ ...result, stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8'), isTimedOut });
      };
      const child = spawn(request.command, request.args, {
        cwd: request.cwd,
        env: { ...process.env, ...request.env },
        stdio: ['pipe', 'pipe', 'pipe'],
        windowsHide: true,
      });
      const timer = setTimeout(() => {
        isTimedOut = true;
        child.kill('SIGKILL');
      }, request.timeoutMs);
      child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
      child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
      child.on('error', (error: NodeJS.ErrnoException) => finish({ exitCode: null, spawnError: error.code ?? error.message }));
      child.on('close', (code) => finish({ exitCode: code }));
      // A process that exits without reading its input makes the write fail with EPIPE: its exit code tells what happened.
      child.stdin.on('error', () => undefined);
      child.stdin.end(request.stdin ?? '');
    });
  },
};

/**
 * Our helper script server/python/plugin_data.py: found above the running code, in the source tree
 * (out/server/src/... when testing) or beside the bundle (dist/../server/python in the extension).
 */
export function findPluginDataScript(from: string = __dirname): string | undefined {
  for (let dir = from; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'server', 'python', 'plugin_data.py');
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** Whether a program is an executable file on PATH (what a shell would start). */
export function isOnPath(program: string, env: NodeJS.ProcessEnv = process.env): boolean {
  if (program.includes('/')) return isExecutable(program);
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (dir && isExecutable(path.join(dir, program))) return true;
  }
  return false;
}

function isExecutable(filePath: string): boolean {
  try {
    accessSync(filePath, constants.X_OK);
    return statSync(filePath).isFile();
  } catch {
    // Missing or not executable: not this one.
    return false;
  }
}
