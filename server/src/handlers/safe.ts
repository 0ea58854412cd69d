// The one wrapper every handler goes through: an exception is a bug, logged with the method and
// document, and the client gets the method's empty answer instead of an error. A ResponseError is
// the exception: it is an answer meant for the user (why a rename cannot start) and goes through.
import { ResponseError } from 'vscode-languageserver';

export type Logger = (message: string) => void;

export function safeHandler<P, R>(
  method: string,
  log: Logger,
  empty: R,
  handler: (params: P) => Promise<R> | R,
): (params: P) => Promise<R> {
  return async (params: P): Promise<R> => {
    try {
      return await handler(params);
    } catch (error) {
      if (error instanceof ResponseError) throw error;
      const uri = (params as { textDocument?: { uri?: string } } | undefined)?.textDocument?.uri ?? '';
      log(`[error] ${method} ${uri}: ${(error as Error)?.stack ?? String(error)}`);
      return empty;
    }
  };
}
