import pino, { type Logger } from 'pino';

interface FlushableStream {
  flushSync?: () => void;
}

/**
 * Writes every line logged so far before the process exits. An asynchronous destination
 * holds lines in memory and may have a write in flight on libuv's thread pool, which
 * `process.exit` does not wait for: wait for that write (`flush(callback)`), then write
 * the rest synchronously. Gives up waiting after `timeoutMs` (a stdout nobody reads) and
 * writes what it can synchronously. Streams without a buffer (tests) resolve at once.
 */
export async function flushLogs(logger: Logger, timeoutMs = 2000): Promise<void> {
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    logger.flush(() => {
      clearTimeout(timer);
      resolve();
    });
  });
  flushLogsSync(logger);
}

/** The synchronous part alone, for paths that cannot wait; never throws. */
export function flushLogsSync(logger: Logger): void {
  const stream = (logger as unknown as Record<symbol, FlushableStream>)[pino.symbols.streamSym];
  try {
    stream?.flushSync?.();
  } catch {
    // A destroyed or not yet opened destination: there is nothing left to write to.
  }
}
