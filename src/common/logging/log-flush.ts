import pino, { type Logger } from 'pino';
import { stopPeriodicFlush } from './log-destination';

interface FlushableStream {
  flushSync?: () => void;
}

function streamOf(logger: Logger): FlushableStream | undefined {
  return (logger as unknown as Record<symbol, FlushableStream | undefined>)[pino.symbols.streamSym];
}

/**
 * Writes every line logged so far, before the process exits. The asynchronous destination
 * may have a chunk out on libuv's thread pool, and when stdout is a full non-blocking pipe
 * that chunk waits on a retry timer (EAGAIN), which an exit would never run: the
 * synchronous flush skips such a chunk, so it would be lost. So first wait until the
 * destination has drained through its own writes (`flush(callback)`), then write the last
 * few lines synchronously. Gives up waiting after `timeoutMs` (a stdout nobody reads),
 * writing what it can. Streams without a buffer (tests) resolve at once.
 */
export async function flushLogs(logger: Logger, timeoutMs = 10_000): Promise<void> {
  const stream = streamOf(logger);
  if (stream) stopPeriodicFlush(stream);
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    logger.flush(() => {
      clearTimeout(timer);
      resolve();
    });
  });
  flushLogsSync(logger);
}

/**
 * The synchronous part alone, for paths that must not wait (a fatal error); never throws.
 * A chunk already out on the thread pool is still written (libuv joins its threads at
 * exit), unless it is waiting to retry after EAGAIN.
 */
export function flushLogsSync(logger: Logger): void {
  try {
    streamOf(logger)?.flushSync?.();
  } catch {
    // A destroyed or not yet opened destination: there is nothing left to write to.
  }
}
