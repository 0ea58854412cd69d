// The one wrapper every handler goes through: an exception is a bug, logged with the method and
// document, and the client gets the method's empty answer instead of an error.

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
      const uri = (params as { textDocument?: { uri?: string } } | undefined)?.textDocument?.uri ?? '';
      log(`[error] ${method} ${uri}: ${(error as Error)?.stack ?? String(error)}`);
      return empty;
    }
  };
}
